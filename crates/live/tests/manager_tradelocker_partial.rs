//! The order manager over the real TradeLocker adapter against the local
//! mock, when TradeLocker fills an order only in part: a market (IOC)
//! order's remainder is cancelled (`Cancelled` with `filledQty` > 0), so
//! the order ends partially filled and closed; a limit (GTC) order's
//! remainder rests (`New` with `filledQty` > 0), so the order stays
//! working. Either way the part is booked once with its exact size, though
//! every poll of `executions` lists it again. And an order left IN_FLIGHT
//! by a crash is resolved after the restart by query, never sent again.

#[path = "support/reports.rs"]
mod reports;
#[path = "support/order.rs"]
mod support;

use reports::{fills, reports_until};

use omni_core::domain::{AccountId, InstrumentId, OrderId, OrderType, Side, Timestamp, VenueId};
use omni_core::execution::{Broker, ExecutionReport};
use omni_live::journal::{Journal, JournalOrder, JournalState};
use omni_live::tradelocker::{TradeLocker, TradeLockerConfig};
use omni_live::{LiveBroker, LiveInstrument, LiveSettings, Secret};
use omni_mockvenue::tradelocker::{Endpoint, MockTradeLocker};
use rust_decimal::Decimal;
use std::time::Duration;

const EMAIL: &str = "partial@example.com";
const PASSWORD: &str = "tl-partial-password";
const SERVER: &str = "OSP-DEMO";

fn d(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

fn adapter(mock: &MockTradeLocker) -> TradeLocker {
    TradeLocker::new(TradeLockerConfig {
        rest_url: mock.rest_url(),
        request_timeout: Duration::from_secs(3),
        poll: Duration::from_millis(100),
        ..TradeLockerConfig::demo(EMAIL, Secret::new(PASSWORD), SERVER)
    })
    .expect("adapter")
}

async fn start(mock: &MockTradeLocker, db: &std::path::Path) -> LiveBroker {
    start_keeping(mock, db).await.0
}

/// [`start`], with the reports handed over until the first venue report.
async fn start_keeping(
    mock: &MockTradeLocker,
    db: &std::path::Path,
) -> (LiveBroker, Vec<ExecutionReport>) {
    let mut s = LiveSettings::new(
        AccountId(0),
        "USD",
        vec![LiveInstrument {
            id: InstrumentId(0),
            name: "EUR/USD".into(),
            venue: VenueId(0),
            min_qty: d("1"),
        }],
        db.to_path_buf(),
    );
    s.refresh = Duration::from_millis(200);
    let mut b = LiveBroker::start(adapter(mock), s).expect("broker");
    let first = reports_until(&mut b, Duration::from_secs(5), |r| {
        r.iter()
            .any(|r| matches!(r, ExecutionReport::VenueState { .. }))
    })
    .await;
    assert!(!first.is_empty(), "no first report from the venue");
    (b, first)
}

async fn mock() -> MockTradeLocker {
    let mock = MockTradeLocker::start(EMAIL, PASSWORD, SERVER).await;
    mock.set_price("EURUSD", d("1.1000"));
    mock
}

fn cancelled(r: &[ExecutionReport], id: u64) -> bool {
    r.iter().any(
        |r| matches!(r, ExecutionReport::Cancelled { order_id, .. } if *order_id == OrderId(id)),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_market_order_filled_in_part_is_booked_once_and_its_remainder_closed() {
    let mock = mock().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("omni.db");
    let mut b = start(&mock, &db).await;
    mock.partial_fill_next(d("0.01"));
    let buy = support::order(
        1,
        0,
        Side::Buy,
        OrderType::Market,
        d("3000"),
        None,
        d("1.1"),
    );
    b.submit(&buy, Timestamp(1)).unwrap();
    let mut reports = reports_until(&mut b, Duration::from_secs(5), |r| {
        !fills(r).is_empty() && cancelled(r, 1)
    })
    .await;
    // Several more polls, each listing the execution again.
    reports.extend(reports_until(&mut b, Duration::from_millis(800), |_| false).await);
    assert_eq!(
        fills(&reports),
        vec![(OrderId(1), d("1000"), d("1.1"))],
        "booked once, exactly the part: {reports:?}"
    );
    assert!(cancelled(&reports, 1), "the rest is closed: {reports:?}");
    let j = Journal::open(&db).unwrap();
    let o = &j.orders("tradelocker").unwrap()[0];
    assert_eq!(
        (o.state, o.filled, o.sends),
        (JournalState::Cancelled, d("1000"), 1),
        "partially filled and closed"
    );
    assert_eq!(j.fills_of(&o.client_id).unwrap().len(), 1);
    let truth = mock.truth();
    assert_eq!(
        (truth.orders[0].status.as_str(), truth.orders[0].filled),
        ("Cancelled", d("0.01"))
    );
    assert_eq!(truth.executions.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_limit_order_filled_in_part_is_booked_once_and_keeps_working() {
    let mock = mock().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("omni.db");
    let mut b = start(&mock, &db).await;
    let buy = support::order(
        1,
        0,
        Side::Buy,
        OrderType::Limit,
        d("3000"),
        Some(d("1.05")),
        d("1.05"),
    );
    b.submit(&buy, Timestamp(1)).unwrap();
    reports_until(&mut b, Duration::from_secs(5), |r| {
        r.iter().any(|r| {
            matches!(
                r,
                ExecutionReport::Accepted {
                    order_id: OrderId(1),
                    ..
                }
            )
        })
    })
    .await;
    mock.partial_fill_next(d("0.01"));
    mock.set_price("EURUSD", d("1.0400"));
    let mut reports = reports_until(&mut b, Duration::from_secs(5), |r| !fills(r).is_empty()).await;
    reports.extend(reports_until(&mut b, Duration::from_millis(800), |_| false).await);
    assert_eq!(
        fills(&reports),
        vec![(OrderId(1), d("1000"), d("1.05"))],
        "booked once, exactly the part: {reports:?}"
    );
    assert!(!cancelled(&reports, 1), "the rest works on: {reports:?}");
    let j = Journal::open(&db).unwrap();
    let o = &j.orders("tradelocker").unwrap()[0];
    assert_eq!(
        (o.state, o.filled),
        (JournalState::PartiallyFilled, d("1000")),
        "working"
    );
    let truth = mock.truth();
    assert_eq!(
        (truth.orders[0].status.as_str(), truth.orders[0].filled),
        ("New", d("0.01"))
    );
    // The rest fills later: booked once more, for the remainder only.
    mock.set_price("EURUSD", d("1.0300"));
    mock.set_price("EURUSD", d("1.0400"));
    let mut reports = reports_until(&mut b, Duration::from_secs(5), |r| !fills(r).is_empty()).await;
    reports.extend(reports_until(&mut b, Duration::from_millis(600), |_| false).await);
    assert_eq!(
        fills(&reports),
        vec![(OrderId(1), d("2000"), d("1.05"))],
        "{reports:?}"
    );
    let o = &j.orders("tradelocker").unwrap()[0];
    assert_eq!((o.state, o.filled), (JournalState::Filled, d("3000")));
}

/// The previous run journaled two orders IN_FLIGHT and died: one reached
/// TradeLocker (tagged with its client id as `strategyId`, and filled),
/// the other never left. After the restart the first is found by query
/// and its fill booked once; the second is closed as never received;
/// nothing is posted again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_crash_an_in_flight_order_is_resolved_by_query_never_resent() {
    use omni_core::domain::TimeInForce;
    use omni_live::api::{PlaceRequest, VenueApi};
    let mock = mock().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("omni.db");
    let sent = "om0-21-1".to_string();
    {
        let a = adapter(&mock);
        a.prepare(&["EURUSD".into()]).await.unwrap();
        let mut req = PlaceRequest {
            client_id: sent.clone(),
            symbol: a.symbol("EUR/USD"),
            side: Side::Buy,
            kind: OrderType::Market,
            tif: TimeInForce::Gtc,
            qty: d("1000"),
            limit: None,
            stop: None,
            take_profit: None,
            stop_loss: None,
        };
        a.conform(&mut req, d("1.1")).unwrap();
        a.place(&req).await.unwrap();
    }
    let j = Journal::open(&db).unwrap();
    for (id, client_id) in [(21, sent.as_str()), (22, "om0-22-1")] {
        j.insert(
            &JournalOrder {
                client_id: client_id.into(),
                order_id: id,
                account: 0,
                broker: "tradelocker".into(),
                symbol: "EURUSD".into(),
                side: "BUY".into(),
                qty: d("1000"),
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
    let posted = mock.requests(Endpoint::PlaceOrder);
    let (mut b, mut reports) = start_keeping(&mock, &db).await;
    let rejected = |r: &[ExecutionReport]| {
        r.iter()
            .any(|r| matches!(r, ExecutionReport::Rejected { .. }))
    };
    if !rejected(&reports) {
        reports.extend(reports_until(&mut b, Duration::from_secs(10), rejected).await);
    }
    reports.extend(reports_until(&mut b, Duration::from_millis(600), |_| false).await);
    assert_eq!(
        fills(&reports),
        vec![(OrderId(21), d("1000"), d("1.1"))],
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
        mock.requests(Endpoint::PlaceOrder),
        posted,
        "nothing resent"
    );
    assert_eq!(mock.order_bodies().len(), 1);
    assert_eq!(j.order(&sent).unwrap().unwrap().state, JournalState::Filled);
    assert_eq!(j.fills_of(&sent).unwrap().len(), 1);
    assert_eq!(
        j.order("om0-22-1").unwrap().unwrap().state,
        JournalState::Rejected
    );
}
