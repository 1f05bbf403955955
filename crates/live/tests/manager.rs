//! The order manager (`LiveBroker`) over the real Binance adapter against
//! the local Binance mock: persist before send, unknown outcomes resolved
//! by query with one client id, fills applied once, rejects never resent,
//! restart reconciliation, and the kill switch's venue-confirmed flat.
//! Everything on 127.0.0.1.

#[path = "support/order.rs"]
mod support;

use omni_core::domain::{
    AccountId, InstrumentId, Order, OrderId, OrderType, Side, TimeInForce, Timestamp, VenueId,
};
use omni_core::execution::{Broker, ExecutionReport};
use omni_live::binance::{BinanceConfig, BinanceSpot};
use omni_live::journal::{Journal, JournalOrder, JournalState};
use omni_live::{Credentials, LiveBroker, LiveInstrument, LiveSettings, Secret};
use omni_mockvenue::binance::{Fault, MockBinance};
use rust_decimal::Decimal;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Counts rings: the engine's thread sleeps until a broker rings.
#[derive(Debug, Default)]
struct CountRings(AtomicUsize);

impl omni_core::market::Ring for CountRings {
    fn ring(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

const KEY: &str = "mgr-test-key";
const SECRET: &str = "mgr-test-secret";
const ACCOUNT: AccountId = AccountId(0);
const BTC: InstrumentId = InstrumentId(0);
const BINANCE: VenueId = VenueId(0);

fn d(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

fn api(mock: &MockBinance, timeout: Duration) -> BinanceSpot {
    let credentials = Credentials {
        key: Secret::new(KEY),
        secret: Secret::new(SECRET),
    };
    BinanceSpot::new(BinanceConfig {
        rest_url: mock.rest_url(),
        ws_api_url: mock.ws_url(),
        request_timeout: timeout,
        ..BinanceConfig::testnet(credentials)
    })
    .expect("adapter")
}

fn settings(db: &Path) -> LiveSettings {
    let mut s = LiveSettings::new(
        ACCOUNT,
        "USDT",
        vec![LiveInstrument {
            id: BTC,
            name: "BTC/USDT".into(),
            venue: BINANCE,
            min_qty: d("0.00001"),
        }],
        db.to_path_buf(),
    );
    s.refresh = Duration::from_millis(300);
    s.resolve_first = Duration::from_millis(100);
    s
}

fn order(id: u64, side: Side, kind: OrderType, qty: &str, limit: Option<&str>) -> Order {
    support::order(id, 0, side, kind, d(qty), limit.map(d), d("60000"))
}

/// Reports handed over until `done` holds of them (or the time is up).
async fn reports_until(
    broker: &mut LiveBroker,
    within: Duration,
    done: impl Fn(&[ExecutionReport]) -> bool,
) -> Vec<ExecutionReport> {
    let start = Instant::now();
    let mut all = Vec::new();
    while start.elapsed() < within {
        broker.advance(Timestamp(1), &mut all);
        if done(&all) {
            return all;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    all
}

fn fills(r: &[ExecutionReport]) -> Vec<(String, Decimal, Decimal)> {
    r.iter()
        .filter_map(|r| match r {
            ExecutionReport::Filled {
                trade_id,
                qty,
                price,
                ..
            } => Some((trade_id.clone(), *qty, *price)),
            _ => None,
        })
        .collect()
}

async fn funded_mock() -> MockBinance {
    let mock = MockBinance::start(KEY, SECRET).await;
    mock.set_price("BTCUSDT", d("60000"));
    mock.set_balance("USDT", d("10000"));
    mock
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_is_journaled_before_it_is_sent_and_its_fill_booked_once() {
    let mock = funded_mock().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("omni.db");
    let mut broker = LiveBroker::start(api(&mock, Duration::from_secs(5)), settings(&db)).unwrap();
    let rings = Arc::new(CountRings::default());
    broker.set_ring(rings.clone());
    broker
        .submit(
            &order(1, Side::Buy, OrderType::Market, "0.01", None),
            Timestamp(1_000_000),
        )
        .unwrap();
    // On disk, seen by another connection, when submit returns.
    let j = Journal::open(&db).unwrap();
    let row = j.orders("binance").unwrap();
    assert_eq!(row.len(), 1);
    assert_eq!(row[0].order_id, 1);
    let reports = reports_until(&mut broker, Duration::from_secs(10), |r| {
        !fills(r).is_empty()
    })
    .await;
    let orders: Vec<&ExecutionReport> = reports
        .iter()
        .filter(|r| !matches!(r, ExecutionReport::VenueState { .. }))
        .collect();
    assert!(
        matches!(
            orders[0],
            ExecutionReport::Accepted {
                order_id: OrderId(1),
                ..
            }
        ),
        "{reports:?}"
    );
    let f = fills(&reports);
    assert_eq!(f.len(), 1, "{reports:?}");
    assert_eq!((f[0].1, f[0].2), (d("0.01"), d("60000")));
    // Each report queued rang the engine's bell.
    assert!(
        rings.0.load(Ordering::SeqCst) >= 2,
        "accepted and filled rang"
    );
    // The mock charges 0.1 % in the asset received (0.00001 BTC), valued
    // in the account's currency at the fill price.
    let fee = reports.iter().find_map(|r| match r {
        ExecutionReport::Filled { fee, .. } => Some(*fee),
        _ => None,
    });
    assert_eq!(fee, Some(d("0.6")));
    // The same fee in BTC, for the book to hold what the venue holds.
    assert!(
        reports.iter().any(|r| matches!(
            r,
            ExecutionReport::FeeInKind { qty, trade_id, .. } if *qty == d("0.00001") && trade_id == &f[0].0
        )),
        "{reports:?}"
    );
    assert!(f[0].0.starts_with("binance:"));
    // Later reports (stream, refresh) never book it again.
    let later = reports_until(&mut broker, Duration::from_millis(800), |_| false).await;
    assert!(fills(&later).is_empty(), "{later:?}");
    assert_eq!(mock.requests("POST /api/v3/order"), 1);
    let o = j.order(&row[0].client_id).unwrap().unwrap();
    assert_eq!(
        (o.state, o.filled, o.sends),
        (JournalState::Filled, d("0.01"), 1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_reply_leaves_the_order_in_flight_until_a_query_finds_it_never_sent_twice() {
    let mock = funded_mock().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("omni.db");
    let mut broker =
        LiveBroker::start(api(&mock, Duration::from_millis(400)), settings(&db)).unwrap();
    // Let the start-up requests pass before the fault is queued.
    reports_until(&mut broker, Duration::from_secs(5), |r| {
        r.iter()
            .any(|r| matches!(r, ExecutionReport::VenueState { .. }))
    })
    .await;
    mock.fault(Fault::DropReplyAfterExecute);
    broker
        .submit(
            &order(7, Side::Buy, OrderType::Market, "0.01", None),
            Timestamp(1),
        )
        .unwrap();
    let reports = reports_until(&mut broker, Duration::from_secs(10), |r| {
        !fills(r).is_empty()
    })
    .await;
    assert_eq!(fills(&reports).len(), 1, "{reports:?}");
    assert_eq!(mock.requests("POST /api/v3/order"), 1, "never sent again");
    assert_eq!(mock.orders().len(), 1);
    // The stream may deliver the fill before the query resolves the order.
    reports_until(&mut broker, Duration::from_secs(5), |_| {
        Journal::open(&db).unwrap().orders("binance").unwrap()[0].state == JournalState::Filled
    })
    .await;
    let j = Journal::open(&db).unwrap();
    let o = &j.orders("binance").unwrap()[0];
    assert_eq!((o.state, o.sends), (JournalState::Filled, 1));
    assert_eq!(mock.requests("POST /api/v3/order"), 1, "never sent again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fill_sent_twice_on_the_stream_is_booked_once() {
    let mock = funded_mock().await;
    let dir = tempfile::tempdir().unwrap();
    let mut broker = LiveBroker::start(
        api(&mock, Duration::from_secs(5)),
        settings(&dir.path().join("db")),
    )
    .unwrap();
    broker
        .submit(
            &order(3, Side::Buy, OrderType::Limit, "0.02", Some("59000")),
            Timestamp(1),
        )
        .unwrap();
    reports_until(&mut broker, Duration::from_secs(5), |r| {
        r.iter()
            .any(|r| matches!(r, ExecutionReport::Accepted { .. }))
    })
    .await;
    let client_id = mock.orders()[0].client_id.clone();
    mock.fault(Fault::DuplicateNextFill);
    mock.fill(&client_id, d("0.005"), d("59000")).unwrap();
    mock.fill(&client_id, d("0.015"), d("59000")).unwrap();
    let reports = reports_until(&mut broker, Duration::from_secs(10), |r| {
        fills(r).len() >= 2
    })
    .await;
    // Wait a little longer: a third (the duplicate) must never come.
    let later = reports_until(&mut broker, Duration::from_millis(600), |_| false).await;
    let mut all = fills(&reports);
    all.extend(fills(&later));
    let qty: Vec<Decimal> = all.iter().map(|f| f.1).collect();
    assert_eq!(qty, vec![d("0.005"), d("0.015")], "{all:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_venue_refusal_is_reported_with_its_reason_and_never_resent() {
    let mock = funded_mock().await;
    mock.set_balance("USDT", d("10"));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let mut broker = LiveBroker::start(api(&mock, Duration::from_secs(5)), settings(&db)).unwrap();
    broker
        .submit(
            &order(4, Side::Buy, OrderType::Market, "0.01", None),
            Timestamp(1),
        )
        .unwrap();
    let reports = reports_until(&mut broker, Duration::from_secs(10), |r| {
        r.iter()
            .any(|r| matches!(r, ExecutionReport::Rejected { .. }))
    })
    .await;
    let reason = reports
        .iter()
        .find_map(|r| match r {
            ExecutionReport::Rejected {
                order_id, reason, ..
            } => {
                assert_eq!(*order_id, OrderId(4));
                Some(reason.clone())
            }
            _ => None,
        })
        .expect("rejected");
    assert!(reason.contains("insufficient balance"), "{reason}");
    reports_until(&mut broker, Duration::from_millis(500), |_| false).await;
    assert_eq!(mock.requests("POST /api/v3/order"), 1);
    let j = Journal::open(&db).unwrap();
    assert_eq!(
        j.orders("binance").unwrap()[0].state,
        JournalState::Rejected
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_below_the_venue_filters_is_refused_before_it_is_sent() {
    let mock = funded_mock().await;
    let dir = tempfile::tempdir().unwrap();
    let mut broker = LiveBroker::start(
        api(&mock, Duration::from_secs(5)),
        settings(&dir.path().join("db")),
    )
    .unwrap();
    // 0.00005 BTC at 60000 is 3 USDT, under the 5 USDT minimum notional.
    broker
        .submit(
            &order(5, Side::Buy, OrderType::Market, "0.00005", None),
            Timestamp(1),
        )
        .unwrap();
    let reports = reports_until(&mut broker, Duration::from_secs(10), |r| {
        r.iter()
            .any(|r| matches!(r, ExecutionReport::Rejected { .. }))
    })
    .await;
    let text = format!("{reports:?}");
    assert!(
        text.contains("not sent") && text.contains("NOTIONAL"),
        "{text}"
    );
    assert_eq!(mock.requests("POST /api/v3/order"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kill_switch_cancels_orders_we_never_placed_and_flat_comes_from_the_venue() {
    let mock = funded_mock().await;
    let dir = tempfile::tempdir().unwrap();
    let mut broker = LiveBroker::start(
        api(&mock, Duration::from_secs(5)),
        settings(&dir.path().join("db")),
    )
    .unwrap();
    broker
        .submit(
            &order(8, Side::Buy, OrderType::Limit, "0.01", Some("55000")),
            Timestamp(1),
        )
        .unwrap();
    reports_until(&mut broker, Duration::from_secs(5), |r| {
        r.iter()
            .any(|r| matches!(r, ExecutionReport::Accepted { .. }))
    })
    .await;
    // An order made by hand on the venue's site.
    mock.place_direct("BTCUSDT", "BUY", d("0.01"), d("50000"))
        .unwrap();
    assert_eq!(mock.orders().iter().filter(|o| o.is_open()).count(), 2);
    broker.cancel_all(ACCOUNT, Timestamp(2)).unwrap();
    let reports = reports_until(&mut broker, Duration::from_secs(10), |r| {
        r.iter().any(|r| {
            matches!(
                r,
                ExecutionReport::VenueState {
                    open_orders: 0,
                    positions,
                    unreachable: None,
                    ..
                } if positions.is_empty()
            )
        })
    })
    .await;
    assert!(
        reports.iter().any(|r| matches!(
            r,
            ExecutionReport::Cancelled {
                order_id: OrderId(8),
                ..
            }
        )),
        "{reports:?}"
    );
    assert_eq!(mock.orders().iter().filter(|o| o.is_open()).count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_venue_is_never_reported_flat() {
    let port = omni_mockvenue::closed_port();
    let a = BinanceSpot::new(BinanceConfig {
        rest_url: format!("http://127.0.0.1:{port}"),
        ws_api_url: format!("ws://127.0.0.1:{port}/ws-api/v3"),
        request_timeout: Duration::from_millis(300),
        ..BinanceConfig::testnet(Credentials {
            key: Secret::new(KEY),
            secret: Secret::new(SECRET),
        })
    })
    .expect("adapter");
    let dir = tempfile::tempdir().unwrap();
    let mut broker = LiveBroker::start(a, settings(&dir.path().join("db"))).unwrap();
    broker.cancel_all(ACCOUNT, Timestamp(2)).unwrap();
    let reports = reports_until(&mut broker, Duration::from_secs(3), |_| false).await;
    let states: Vec<&ExecutionReport> = reports
        .iter()
        .filter(|r| matches!(r, ExecutionReport::VenueState { .. }))
        .collect();
    assert!(!states.is_empty());
    for s in states {
        assert!(
            matches!(
                s,
                ExecutionReport::VenueState {
                    unreachable: Some(_),
                    ..
                }
            ),
            "{s:?}"
        );
    }
    // The queries refuse rather than answer "nothing open".
    assert!(broker.open_orders(ACCOUNT).is_err());
    assert!(broker.positions(ACCOUNT).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_crash_journaled_orders_are_resolved_by_query_and_never_resent() {
    let mock = funded_mock().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    // The previous run committed two orders and died: one reached the
    // venue (and filled), the other never left.
    let sent = {
        use omni_live::api::{PlaceRequest, VenueApi};
        let a = api(&mock, Duration::from_secs(5));
        a.prepare(&["BTCUSDT".into()]).await.unwrap();
        let req = PlaceRequest {
            client_id: "om0-21-1".into(),
            symbol: "BTCUSDT".into(),
            side: Side::Buy,
            kind: OrderType::Market,
            tif: TimeInForce::Gtc,
            qty: d("0.01"),
            limit: None,
            stop: None,
            take_profit: None,
            stop_loss: None,
        };
        a.place(&req).await.unwrap();
        req.client_id
    };
    let j = Journal::open(&db).unwrap();
    for (id, client_id) in [(21, sent.as_str()), (22, "om0-22-1")] {
        j.insert(
            &JournalOrder {
                client_id: client_id.into(),
                order_id: id,
                account: 0,
                broker: "binance".into(),
                symbol: "BTCUSDT".into(),
                side: "BUY".into(),
                qty: d("0.01"),
                limit: None,
                state: JournalState::InFlight,
                venue_id: None,
                filled: Decimal::ZERO,
                reason: None,
                sends: 1,
                created_ms: 0,
            },
            1,
        )
        .unwrap();
    }
    let before = mock.requests("POST /api/v3/order");
    let mut broker = LiveBroker::start(api(&mock, Duration::from_secs(5)), settings(&db)).unwrap();
    let reports = reports_until(&mut broker, Duration::from_secs(10), |r| {
        !fills(r).is_empty()
            && r.iter()
                .any(|r| matches!(r, ExecutionReport::Rejected { .. }))
    })
    .await;
    assert!(
        reports.iter().any(|r| matches!(
            r,
            ExecutionReport::Filled {
                order_id: OrderId(21),
                ..
            }
        )),
        "{reports:?}"
    );
    assert!(
        reports.iter().any(|r| matches!(
            r,
            ExecutionReport::Rejected { order_id: OrderId(22), reason, .. }
                if reason.contains("never received")
        )),
        "{reports:?}"
    );
    assert_eq!(
        mock.requests("POST /api/v3/order"),
        before,
        "nothing resent"
    );
    assert_eq!(j.order(&sent).unwrap().unwrap().state, JournalState::Filled);
    assert_eq!(
        j.order("om0-22-1").unwrap().unwrap().state,
        JournalState::Rejected
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kill_switch_under_load_ends_flat_only_when_everything_is_gone() {
    // Ten resting orders, one of them partly filled, an open position, an
    // order made by hand, and submits still queued when K comes.
    let mock = funded_mock().await;
    mock.set_balance("USDT", d("1000000"));
    let dir = tempfile::tempdir().unwrap();
    let mut broker = LiveBroker::start(
        api(&mock, Duration::from_secs(5)),
        settings(&dir.path().join("db")),
    )
    .unwrap();
    reports_until(&mut broker, Duration::from_secs(5), |r| {
        r.iter()
            .any(|r| matches!(r, ExecutionReport::VenueState { .. }))
    })
    .await;
    broker
        .submit(
            &order(1, Side::Buy, OrderType::Market, "0.05", None),
            Timestamp(1),
        )
        .unwrap();
    for id in 2..12 {
        broker
            .submit(
                &order(id, Side::Buy, OrderType::Limit, "0.01", Some("50000")),
                Timestamp(1),
            )
            .unwrap();
    }
    reports_until(&mut broker, Duration::from_secs(10), |r| {
        r.iter().any(|r| {
            matches!(
                r,
                ExecutionReport::Accepted {
                    order_id: OrderId(11),
                    ..
                }
            )
        })
    })
    .await;
    let partly = mock
        .orders()
        .into_iter()
        .find(|o| o.client_id.starts_with("om0-5-"))
        .expect("order 5")
        .client_id;
    mock.fill(&partly, d("0.004"), d("50000")).unwrap();
    mock.place_direct("BTCUSDT", "BUY", d("0.02"), d("40000"))
        .unwrap();
    // Two more submits are queued behind a slow answer when K comes.
    mock.fault(Fault::Delay(300));
    for id in 12..14 {
        broker
            .submit(
                &order(id, Side::Buy, OrderType::Limit, "0.01", Some("50000")),
                Timestamp(1),
            )
            .unwrap();
    }
    // K, as the engine sends it: a cancel per working order, cancel-all,
    // then a market sell of what the book holds (0.05 + 0.004, less the
    // 0.1 % the venue kept in BTC).
    for id in 2..14 {
        broker.cancel(ACCOUNT, OrderId(id), Timestamp(2)).unwrap();
    }
    broker.cancel_all(ACCOUNT, Timestamp(2)).unwrap();
    broker
        .submit(
            &order(14, Side::Sell, OrderType::Market, "0.053946", None),
            Timestamp(2),
        )
        .unwrap();
    let reports = reports_until(&mut broker, Duration::from_secs(15), |r| {
        r.iter().any(|r| {
            matches!(r, ExecutionReport::VenueState { open_orders: 0, positions, unreachable: None, .. } if positions.is_empty())
        }) && mock.orders().iter().all(|o| !o.is_open())
    })
    .await;
    let first_flat = reports.iter().position(|r| {
        matches!(r, ExecutionReport::VenueState { open_orders: 0, positions, unreachable: None, .. } if positions.is_empty())
    });
    assert!(first_flat.is_some(), "never flat: {reports:?}");
    // Every order at the venue ended; nothing was left working, ours or not.
    let open: Vec<_> = mock.orders().into_iter().filter(|o| o.is_open()).collect();
    assert!(open.is_empty(), "{open:?}");
    // The orders queued behind K were placed and then cancelled by a later
    // round, or cancelled before placing: none filled.
    for id in [12u64, 13] {
        let prefix = format!("om0-{id}-");
        let filled: Decimal = mock
            .orders()
            .iter()
            .filter(|o| o.client_id.starts_with(&prefix))
            .map(|o| o.executed)
            .sum();
        assert_eq!(filled, Decimal::ZERO, "order {id} filled after K");
    }
    // The venue holds only dust of BTC now.
    let btc = mock.balance("BTC");
    assert!(btc.free + btc.locked < d("0.00001"), "{btc:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_hands_the_engine_the_journals_recent_executions_again() {
    // The engine's store may have lost a fill the journal committed (a
    // crash between the two): the restart hands it over again, with its
    // fee in kind; the engine ignores what it already has, by trade id.
    let mock = funded_mock().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let mut first = LiveBroker::start(api(&mock, Duration::from_secs(5)), settings(&db)).unwrap();
    first
        .submit(
            &order(1, Side::Buy, OrderType::Market, "0.01", None),
            Timestamp(1),
        )
        .unwrap();
    let before = reports_until(&mut first, Duration::from_secs(10), |r| {
        !fills(r).is_empty()
    })
    .await;
    let trade = fills(&before)[0].0.clone();
    drop(first);
    let posts = mock.requests("POST /api/v3/order");

    let mut again = LiveBroker::start(api(&mock, Duration::from_secs(5)), settings(&db)).unwrap();
    let after = reports_until(&mut again, Duration::from_secs(5), |r| {
        r.iter()
            .any(|r| matches!(r, ExecutionReport::FeeInKind { .. }))
    })
    .await;
    assert_eq!(
        fills(&after),
        vec![(trade.clone(), d("0.01"), d("60000"))],
        "{after:?}"
    );
    assert!(after.iter().any(|r| matches!(
        r,
        ExecutionReport::FeeInKind { trade_id, qty, .. } if *trade_id == trade && *qty == d("0.00001")
    )));
    assert_eq!(mock.requests("POST /api/v3/order"), posts, "nothing sent");
}
