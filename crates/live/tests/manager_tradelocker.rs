//! Sizes between the engine and TradeLocker, through the order manager
//! over the real TradeLocker adapter against the local mock: the engine
//! counts units (EUR of EUR/USD, ounces of XAU/USD), TradeLocker counts
//! lots of each instrument's contract size, which only its instrument
//! details give (`lotSize`: 100 000 for EURUSD, 100 for XAUUSD on the
//! mock). An engine order of 1000 EUR/USD reaches the broker as 0.01 lot;
//! the broker's 0.01 lot comes back to the engine as 1000; an order under
//! the minimum lot, or for an instrument whose contract size the broker
//! does not give, is refused before anything is sent, with the reason.

#[path = "support/reports.rs"]
mod reports;
#[path = "support/order.rs"]
mod support;

use reports::{fills, flat, reports_until};

use omni_core::domain::{AccountId, InstrumentId, OrderId, OrderType, Side, Timestamp, VenueId};
use omni_core::execution::{Broker, ExecutionReport};
use omni_live::tradelocker::{TradeLocker, TradeLockerConfig};
use omni_live::{LiveBroker, LiveInstrument, LiveSettings, Secret};
use omni_mockvenue::tradelocker::{Endpoint, MockTradeLocker};
use rust_decimal::Decimal;
use std::time::Duration;

const EMAIL: &str = "sizes@example.com";
const PASSWORD: &str = "tl-sizes-password";
const SERVER: &str = "OSP-DEMO";

fn d(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

async fn mock() -> MockTradeLocker {
    let mock = MockTradeLocker::start(EMAIL, PASSWORD, SERVER).await;
    mock.set_price("EURUSD", d("1.1000"));
    mock.set_price("XAUUSD", d("2000"));
    mock
}

/// The manager for EUR/USD (instrument 0) and XAU/USD (instrument 1),
/// with the catalog's minimum quantities (1 unit, 0.01 oz), started and
/// past its first report.
async fn start(mock: &MockTradeLocker, db: &std::path::Path) -> LiveBroker {
    start_keeping(mock, db).await.0
}

/// [`start`], with the reports handed over until the first venue report.
async fn start_keeping(
    mock: &MockTradeLocker,
    db: &std::path::Path,
) -> (LiveBroker, Vec<ExecutionReport>) {
    let api = TradeLocker::new(TradeLockerConfig {
        rest_url: mock.rest_url(),
        request_timeout: Duration::from_secs(3),
        poll: Duration::from_millis(100),
        ..TradeLockerConfig::demo(EMAIL, Secret::new(PASSWORD), SERVER)
    })
    .expect("adapter");
    let instrument = |id: u16, name: &str, min_qty: &str| LiveInstrument {
        id: InstrumentId(id),
        name: name.into(),
        venue: VenueId(0),
        min_qty: d(min_qty),
    };
    let mut s = LiveSettings::new(
        AccountId(0),
        "USD",
        vec![
            instrument(0, "EUR/USD", "1"),
            instrument(1, "XAU/USD", "0.01"),
        ],
        db.to_path_buf(),
    );
    s.refresh = Duration::from_millis(200);
    let mut b = LiveBroker::start(api, s).expect("broker");
    let first = reports_until(&mut b, Duration::from_secs(5), |r| {
        r.iter()
            .any(|r| matches!(r, ExecutionReport::VenueState { .. }))
    })
    .await;
    assert!(!first.is_empty(), "no first report from the venue");
    (b, first)
}

fn market(id: u64, instrument: u16, side: Side, units: &str, px: &str) -> omni_core::domain::Order {
    support::order(
        id,
        instrument,
        side,
        OrderType::Market,
        d(units),
        None,
        d(px),
    )
}

/// The reason of order `id`'s rejection, once one is reported.
async fn rejection(b: &mut LiveBroker, id: u64) -> String {
    let reports = reports_until(b, Duration::from_secs(5), |r| {
        r.iter().any(
            |r| matches!(r, ExecutionReport::Rejected { order_id, .. } if *order_id == OrderId(id)),
        )
    })
    .await;
    reports
        .iter()
        .find_map(|r| match r {
            ExecutionReport::Rejected {
                order_id, reason, ..
            } if *order_id == OrderId(id) => Some(reason.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("order {id} not rejected: {reports:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_engine_order_of_1000_eur_usd_reaches_tradelocker_as_0_01_lot() {
    let mock = mock().await;
    let dir = tempfile::tempdir().unwrap();
    let mut b = start(&mock, &dir.path().join("omni.db")).await;
    b.submit(&market(1, 0, Side::Buy, "1000", "1.1"), Timestamp(1))
        .unwrap();
    let reports = reports_until(&mut b, Duration::from_secs(5), |r| {
        r.iter()
            .any(|r| matches!(r, ExecutionReport::Filled { .. }))
    })
    .await;
    // On the wire and in the broker's book: lots.
    let bodies = mock.order_bodies();
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    let body: serde_json::Value = serde_json::from_str(&bodies[0]).unwrap();
    assert_eq!(body["qty"], "0.01", "{body}");
    let truth = mock.truth();
    assert_eq!(truth.orders[0].qty, d("0.01"));
    assert_eq!(truth.positions[0].qty, d("0.01"));
    // Back to the engine: units.
    assert_eq!(
        fills(&reports),
        vec![(OrderId(1), d("1000"), d("1.1"))],
        "{reports:?}"
    );
    // Gold: 100 oz a lot, so 37 oz are 0.37 lot.
    b.submit(&market(2, 1, Side::Buy, "37", "2000"), Timestamp(1))
        .unwrap();
    let reports = reports_until(&mut b, Duration::from_secs(5), |r| {
        r.iter()
            .any(|r| matches!(r, ExecutionReport::Filled { .. }))
    })
    .await;
    let body: serde_json::Value = serde_json::from_str(&mock.order_bodies()[1]).unwrap();
    assert_eq!(body["qty"], "0.37", "{body}");
    assert_eq!(
        fills(&reports),
        vec![(OrderId(2), d("37"), d("2000"))],
        "{reports:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_position_of_0_01_lot_at_tradelocker_is_1000_units_to_the_engine() {
    let mock = mock().await;
    let dir = tempfile::tempdir().unwrap();
    let mut b = start(&mock, &dir.path().join("omni.db")).await;
    // Opened at the broker (by hand) once the account's baseline is taken.
    mock.place_by_hand("EURUSD", "buy", "market", d("0.01"), None)
        .unwrap();
    mock.place_by_hand("XAUUSD", "sell", "market", d("0.37"), None)
        .unwrap();
    let want = vec![(InstrumentId(0), d("1000")), (InstrumentId(1), d("-37"))];
    let reports = reports_until(&mut b, Duration::from_secs(5), |r| {
        r.iter().any(|r| {
            matches!(r, ExecutionReport::VenueState { positions, .. } if {
                let mut p = positions.clone();
                p.sort();
                p == want
            })
        })
    })
    .await;
    assert!(
        reports.iter().any(|r| matches!(
            r,
            ExecutionReport::VenueState {
                other_positions: 0,
                ..
            }
        )),
        "{reports:?}"
    );
    let mut held: Vec<(InstrumentId, Decimal)> = b
        .positions(AccountId(0))
        .unwrap()
        .iter()
        .map(|p| (p.instrument, p.qty))
        .collect();
    held.sort();
    assert_eq!(held, want, "{reports:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_under_the_minimum_lot_is_refused_before_sending_with_the_reason() {
    let mock = mock().await;
    let dir = tempfile::tempdir().unwrap();
    let mut b = start(&mock, &dir.path().join("omni.db")).await;
    // 999 EUR is 0.00999 lot: under TradeLocker's 0.01.
    b.submit(&market(1, 0, Side::Buy, "999", "1.1"), Timestamp(1))
        .unwrap();
    let why = rejection(&mut b, 1).await;
    assert!(
        why.contains("not sent") && why.contains("minimum lot 0.01") && why.contains("1000 units"),
        "{why}"
    );
    assert_eq!(mock.requests(Endpoint::PlaceOrder), 0);
    assert!(mock.order_bodies().is_empty());
    // 1999 EUR round down to the lot step: 0.01 lot goes, and the engine
    // hears the rest will never fill.
    b.submit(&market(2, 0, Side::Buy, "1999", "1.1"), Timestamp(1))
        .unwrap();
    let reports = reports_until(&mut b, Duration::from_secs(5), |r| {
        r.iter().any(|r| {
            matches!(
                r,
                ExecutionReport::Cancelled {
                    order_id: OrderId(2),
                    ..
                }
            )
        })
    })
    .await;
    assert_eq!(fills(&reports), vec![(OrderId(2), d("1000"), d("1.1"))]);
    let body: serde_json::Value = serde_json::from_str(&mock.order_bodies()[0]).unwrap();
    assert_eq!(body["qty"], "0.01", "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_brokers_contract_size_nothing_is_sent_and_its_lots_are_never_units() {
    let mock = mock().await;
    // A broker whose EURUSD details name no `lotSize`.
    mock.hide_detail("EURUSD", "lotSize");
    let dir = tempfile::tempdir().unwrap();
    let mut b = start(&mock, &dir.path().join("omni.db")).await;
    b.submit(&market(1, 0, Side::Buy, "1000", "1.1"), Timestamp(1))
        .unwrap();
    let why = rejection(&mut b, 1).await;
    assert!(
        why.contains("not sent") && why.contains("no contract size (`lotSize`)"),
        "{why}"
    );
    assert_eq!(mock.requests(Endpoint::PlaceOrder), 0);
    // Gold's size is known: its orders still go.
    b.submit(&market(2, 1, Side::Buy, "1", "2000"), Timestamp(1))
        .unwrap();
    let reports = reports_until(&mut b, Duration::from_secs(5), |r| {
        r.iter()
            .any(|r| matches!(r, ExecutionReport::Filled { .. }))
    })
    .await;
    assert_eq!(fills(&reports), vec![(OrderId(2), d("1"), d("2000"))]);
    // A EURUSD position at the broker is never booked against EUR/USD (as
    // 0.5 units), yet keeps the account from flat until K closes it.
    mock.place_by_hand("EURUSD", "buy", "market", d("0.5"), None)
        .unwrap();
    let reports = reports_until(&mut b, Duration::from_secs(1), |_| false).await;
    let states: Vec<&Vec<(InstrumentId, Decimal)>> = reports
        .iter()
        .filter_map(|r| match r {
            ExecutionReport::VenueState { positions, .. } => Some(positions),
            _ => None,
        })
        .collect();
    assert!(!states.is_empty(), "{reports:?}");
    assert!(
        states
            .iter()
            .all(|p| *p == &vec![(InstrumentId(1), d("1"))]),
        "{reports:?}"
    );
    b.cancel_all(AccountId(0), Timestamp(1)).unwrap();
    let reports = reports_until(&mut b, Duration::from_secs(8), |r| r.iter().any(flat)).await;
    let first_flat = reports.iter().position(flat).expect("never flat");
    assert!(
        reports[..first_flat].iter().any(|r| matches!(
            r,
            ExecutionReport::VenueState {
                other_positions: 1..,
                ..
            }
        )),
        "{reports:?}"
    );
    assert!(mock.truth().positions.is_empty());
}

/// The venue's exits among `r`: (side, units, price, trade id).
fn venue_exits(r: &[ExecutionReport]) -> Vec<(Side, Decimal, Decimal, String)> {
    r.iter()
        .filter_map(|r| match r {
            ExecutionReport::VenueExit {
                account: AccountId(0),
                instrument: InstrumentId(0),
                side,
                qty,
                price,
                trade_id,
                ..
            } => Some((*side, *qty, *price, trade_id.clone())),
            _ => None,
        })
        .collect()
}

/// Buys 1000 EUR/USD (0.01 lot) with a stop loss at 1.0900 and a take
/// profit at 1.1100 held at TradeLocker; waits for the venue's position.
async fn long_with_exits(b: &mut LiveBroker) {
    let mut buy = market(1, 0, Side::Buy, "1000", "1.1");
    buy.stop_loss = Some(d("1.0900"));
    buy.take_profit = Some(d("1.1100"));
    b.submit(&buy, Timestamp(1)).unwrap();
    reports_until(b, Duration::from_secs(5), |r| {
        r.iter().any(
            |r| matches!(r, ExecutionReport::VenueState { positions, .. } if positions == &vec![(InstrumentId(0), d("1000"))]),
        )
    })
    .await;
}

/// The execution of the position's stop loss at the mock: its id.
fn stop_execution(mock: &MockTradeLocker) -> (String, String) {
    let truth = mock.truth();
    let stop = truth
        .orders
        .iter()
        .find(|o| o.kind == "stop" && o.strategy_id.is_none())
        .expect("the stop TradeLocker held");
    let e = truth
        .executions
        .iter()
        .find(|e| e.order_id == stop.id)
        .expect("the stop filled");
    (stop.id.clone(), e.id.clone())
}

/// TradeLocker's stop loss for our buy fires while we do nothing: its
/// execution (TradeLocker's own order, no `strategyId`) reaches the engine
/// once, as the venue's exit of the position our buy opened, in units;
/// we send nothing; the execution polled again after a restart is
/// recorded already and not booked again (the restart hands over the
/// journal's one copy, which the engine knows by its trade id).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_tradelocker_fires_closes_the_position_once_and_we_send_nothing() {
    let mock = mock().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("omni.db");
    let mut b = start(&mock, &db).await;
    long_with_exits(&mut b).await;

    mock.set_price("EURUSD", d("1.0890"));
    let reports = reports_until(&mut b, Duration::from_secs(5), |r| {
        !venue_exits(r).is_empty() && r.iter().any(flat)
    })
    .await;
    let later = reports_until(&mut b, Duration::from_millis(600), |_| false).await;
    let (stop, execution) = stop_execution(&mock);
    let want = vec![(
        Side::Sell,
        d("1000"),
        d("1.0890"),
        format!("tradelocker:{execution}"),
    )];
    let mut exits = venue_exits(&reports);
    exits.extend(venue_exits(&later));
    assert_eq!(exits, want, "{reports:?} {later:?}");
    assert!(
        fills(&reports).is_empty(),
        "no order of ours filled: {reports:?}"
    );
    assert!(reports.iter().any(flat), "{reports:?}");
    assert!(mock.truth().positions.is_empty());
    assert_eq!(mock.requests(Endpoint::PlaceOrder), 1, "only our buy");
    let j = omni_live::journal::Journal::open(&db).unwrap();
    let row = j.order(&stop).unwrap().expect("the exit's row");
    assert_eq!(
        (row.order_id, row.side.as_str(), row.qty),
        (0, "SELL", d("1000"))
    );
    assert_eq!(j.fills_of(&stop).unwrap().len(), 1);

    drop(b);
    let (mut b, mut again) = start_keeping(&mock, &db).await;
    again.extend(reports_until(&mut b, Duration::from_secs(2), |_| false).await);
    assert_eq!(venue_exits(&again), want, "{again:?}");
    assert_eq!(j.fills_of(&stop).unwrap().len(), 1);
    assert_eq!(mock.requests(Endpoint::PlaceOrder), 1);
}

/// The stop fires while our process is down: the first poll after the
/// restart finds its execution (our queries would not: the order is
/// TradeLocker's) and the engine hears of it once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_that_fired_while_we_were_down_is_booked_after_the_restart() {
    let mock = mock().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("omni.db");
    let mut b = start(&mock, &db).await;
    long_with_exits(&mut b).await;
    drop(b);

    mock.set_price("EURUSD", d("1.0890"));
    let (_, execution) = stop_execution(&mock);
    let (mut b, mut reports) = start_keeping(&mock, &db).await;
    reports.extend(
        reports_until(&mut b, Duration::from_secs(5), |r| {
            !venue_exits(r).is_empty() && r.iter().any(flat)
        })
        .await,
    );
    let later = reports_until(&mut b, Duration::from_millis(600), |_| false).await;
    let mut exits = venue_exits(&reports);
    exits.extend(venue_exits(&later));
    assert_eq!(
        exits,
        vec![(
            Side::Sell,
            d("1000"),
            d("1.0890"),
            format!("tradelocker:{execution}")
        )],
        "{reports:?} {later:?}"
    );
    assert_eq!(mock.requests(Endpoint::PlaceOrder), 1);
}
