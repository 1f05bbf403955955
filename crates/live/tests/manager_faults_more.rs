//! More of the reliability notes' fault tests through the order manager,
//! over the real Binance adapter against the local Binance mock: the
//! venue's own rejects (fault 11), a fill that arrives after its order's
//! cancel and a stale snapshot (fault 4), and a restart after a trade made
//! by hand at the venue (fault 16). Everything on 127.0.0.1.

#[path = "support/binance_faults.rs"]
mod faults;
#[path = "support/reports.rs"]
mod reports;
#[path = "support/order.rs"]
mod support;

use faults::{ACCOUNT, BTC, POST_ORDER, api, d, funded_mock, journal_row, journal_rows, settings};
use reports::{fills, reports_until};

use omni_core::domain::{InstrumentId, Order, OrderId, OrderType, Side, Timestamp};
use omni_core::execution::{Broker, ExecutionReport};
use omni_live::LiveBroker;
use omni_live::journal::{Journal, JournalState};
use omni_mockvenue::binance::{Fault, MockBinance};
use rust_decimal::Decimal;
use std::path::Path;
use std::time::{Duration, Instant};

const DELETE_ORDER: &str = "DELETE /api/v3/order";
const DELETE_OPEN: &str = "DELETE /api/v3/openOrders";
/// Several of the manager's refreshes (300 ms apart).
const SETTLE: Duration = Duration::from_millis(800);

/// Unknown outcomes believed absent after 100 ms.
fn start(mock: &MockBinance, db: &Path) -> LiveBroker {
    LiveBroker::start(
        api(mock, mock.ws_url()),
        settings(db, Duration::from_millis(100)),
    )
    .expect("broker")
}

fn limit_buy(id: u64, qty: &str, price: &str) -> Order {
    support::order(
        id,
        0,
        Side::Buy,
        OrderType::Limit,
        d(qty),
        Some(d(price)),
        d("60000"),
    )
}

/// Waits for the start-up requests to pass (the first venue report, with
/// the stream subscribed), so a fault queued next applies to the order;
/// returns that report.
async fn started(broker: &mut LiveBroker, mock: &MockBinance) -> ExecutionReport {
    let r = reports_until(broker, Duration::from_secs(5), |r| {
        r.iter()
            .any(|r| matches!(r, ExecutionReport::VenueState { .. }))
            && broker_stream_up(mock)
    })
    .await;
    assert!(broker_stream_up(mock), "the stream never came up");
    r.into_iter()
        .find(|r| matches!(r, ExecutionReport::VenueState { .. }))
        .expect("the manager never reported the venue")
}

fn broker_stream_up(mock: &MockBinance) -> bool {
    mock.subscribers() > 0
}

/// Quantities of the journal's recorded executions of `client_id`.
fn journal_fills(db: &Path, client_id: &str) -> Vec<Decimal> {
    Journal::open(db)
        .unwrap()
        .fills_since("binance", ACCOUNT.0, 0)
        .unwrap()
        .into_iter()
        .filter(|(_, f)| f.client_id == client_id)
        .map(|(_, f)| f.qty)
        .collect()
}

fn position(r: &ExecutionReport) -> Option<(u32, Vec<(InstrumentId, Decimal)>)> {
    match r {
        ExecutionReport::VenueState {
            open_orders,
            positions,
            unreachable: None,
            ..
        } => Some((*open_orders, positions.clone())),
        _ => None,
    }
}

/// Reports that concern an order (anything but the venue's state).
fn order_reports(r: &[ExecutionReport]) -> Vec<ExecutionReport> {
    r.iter()
        .filter(|r| {
            !matches!(
                r,
                ExecutionReport::VenueState { .. } | ExecutionReport::FeeInKind { .. }
            )
        })
        .cloned()
        .collect()
}

/// Reliability fault 11: the venue refuses an order our own filters let
/// through, with `code` and `msg`. The order ends REJECTED with the
/// venue's reason, is sent once, and a restart on the same database finds
/// no ghost: nothing working in the journal, nothing at the venue.
async fn refused_by_the_venue(code: i64, msg: &str) {
    let mock = funded_mock().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let mut broker = start(&mock, &db);
    started(&mut broker, &mock).await;
    mock.fault(Fault::Reject(code, msg.to_string()));
    // 0.01 BTC at 59000 (590 USDT): on tick, on lot, above the minimum
    // notional the adapter knows: sent.
    broker
        .submit(&limit_buy(9, "0.01", "59000"), Timestamp(1))
        .unwrap();
    let mut reports = reports_until(&mut broker, Duration::from_secs(5), |r| {
        r.iter()
            .any(|r| matches!(r, ExecutionReport::Rejected { .. }))
    })
    .await;
    reports.extend(reports_until(&mut broker, SETTLE, |_| false).await);
    let mine = order_reports(&reports);
    assert_eq!(mine.len(), 1, "one report, the reject: {mine:?}");
    let ExecutionReport::Rejected {
        order_id, reason, ..
    } = &mine[0]
    else {
        panic!("not rejected: {mine:?}");
    };
    assert_eq!(*order_id, OrderId(9));
    assert!(
        reason.contains(&code.to_string()) && reason.contains(msg),
        "the venue's reason: {reason}"
    );
    assert_eq!(mock.requests(POST_ORDER), 1, "never resent");
    assert!(mock.orders().is_empty(), "{:?}", mock.orders());
    let row = journal_row(&db);
    assert_eq!((row.state, row.sends), (JournalState::Rejected, 1));
    assert!(row.reason.as_deref().is_some_and(|r| r.contains(msg)));
    assert!(row.venue_id.is_none());

    // A restart on the same database: the order stays rejected, nothing
    // is sent, nothing is booked, and the venue holds nothing.
    drop(broker);
    let mut broker = start(&mock, &db);
    let state = started(&mut broker, &mock).await;
    assert_eq!(position(&state), Some((0, Vec::new())), "{state:?}");
    let later = reports_until(&mut broker, SETTLE, |_| false).await;
    assert!(order_reports(&later).is_empty(), "{later:?}");
    assert_eq!(mock.requests(POST_ORDER), 1);
    assert!(mock.orders().is_empty() && mock.trades().is_empty());
    let unfinished = Journal::open(&db).unwrap().unfinished("binance").unwrap();
    assert!(unfinished.is_empty(), "{unfinished:?}");
    let row = journal_row(&db);
    assert_eq!((row.state, row.sends), (JournalState::Rejected, 1));
    assert!(journal_fills(&db, &row.client_id).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_venues_own_minimum_notional_reject_is_final_never_resent_and_leaves_no_ghost() {
    refused_by_the_venue(-1013, "Filter failure: NOTIONAL").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_2010_reject_other_than_duplicate_is_final_not_already_placed() {
    // The adapter cannot send a post-only order (LIMIT_MAKER); the venue's
    // answer to one that would cross is this -2010, which must read as a
    // reject, unlike "Duplicate order sent.".
    refused_by_the_venue(-2010, "Order would immediately match and take.").await;
}

/// A resting buy of 0.01 at 59000, accepted; returns its client id.
async fn resting(broker: &mut LiveBroker, db: &Path, id: u64) -> String {
    broker
        .submit(&limit_buy(id, "0.01", "59000"), Timestamp(1))
        .unwrap();
    let r = reports_until(broker, Duration::from_secs(5), |r| {
        r.iter()
            .any(|r| matches!(r, ExecutionReport::Accepted { .. }))
    })
    .await;
    assert!(
        r.iter().any(|r| matches!(
            r,
            ExecutionReport::Accepted { order_id, .. } if *order_id == OrderId(id)
        )),
        "{r:?}"
    );
    journal_row(db).client_id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fill_the_stream_delivers_after_its_orders_cancel_is_booked_once_and_the_order_ends_consistent()
 {
    // Reliability fault 4: a cancel races a fill. 0.004 of the order
    // trades, and the stream delivers the order's CANCELED (with 0.004
    // executed) before the trade's own event.
    let mock = funded_mock().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let mut broker = start(&mock, &db);
    started(&mut broker, &mock).await;
    let client_id = resting(&mut broker, &db, 3).await;
    mock.fault(Fault::HoldNextFill);
    mock.fill(&client_id, d("0.004"), d("59000")).unwrap();
    broker.cancel(ACCOUNT, OrderId(3), Timestamp(1)).unwrap();
    let mut reports = reports_until(&mut broker, Duration::from_secs(5), |r| {
        r.iter()
            .any(|r| matches!(r, ExecutionReport::Cancelled { .. }))
    })
    .await;
    reports.extend(reports_until(&mut broker, SETTLE, |_| false).await);
    assert!(mock.pending_faults().is_empty(), "the held fill was sent");

    // Booked once, before the order's end; nothing else.
    let mine = order_reports(&reports);
    assert_eq!(
        fills(&mine),
        vec![(OrderId(3), d("0.004"), d("59000"))],
        "{mine:?}"
    );
    assert_eq!(mine.len(), 2, "the fill, then the cancel: {mine:?}");
    assert!(
        matches!(mine[0], ExecutionReport::Filled { .. })
            && matches!(
                mine[1],
                ExecutionReport::Cancelled {
                    order_id: OrderId(3),
                    ..
                }
            ),
        "{mine:?}"
    );
    // The journal, the venue and the fills agree.
    let row = journal_row(&db);
    assert_eq!(row.state, JournalState::Cancelled);
    assert_eq!(row.filled, d("0.004"));
    assert_eq!(journal_fills(&db, &client_id), vec![d("0.004")]);
    let orders = mock.orders();
    assert_eq!(orders.len(), 1, "{orders:?}");
    assert_eq!(
        (orders[0].status.as_str(), orders[0].executed),
        ("CANCELED", d("0.004"))
    );
    assert_eq!(mock.trades().len(), 1);
    assert_eq!(mock.requests(POST_ORDER), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_snapshot_never_moves_an_order_back() {
    // Reliability fault 4: the stream has reported a partial fill; the
    // venue's next open-orders list is older (NEW, nothing executed).
    let mock = funded_mock().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let mut broker = start(&mock, &db);
    started(&mut broker, &mock).await;
    let client_id = resting(&mut broker, &db, 4).await;
    mock.fill(&client_id, d("0.004"), d("59000")).unwrap();
    let first = reports_until(&mut broker, Duration::from_secs(5), |r| {
        !fills(r).is_empty()
    })
    .await;
    assert_eq!(fills(&first), vec![(OrderId(4), d("0.004"), d("59000"))]);
    let row = journal_row(&db);
    assert_eq!(
        (row.state, row.filled),
        (JournalState::PartiallyFilled, d("0.004"))
    );

    mock.fault(Fault::StaleSnapshot);
    let start = Instant::now();
    let mut after = Vec::new();
    while !mock.pending_faults().is_empty() && start.elapsed() < Duration::from_secs(5) {
        broker.advance(Timestamp(1), &mut after);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        mock.pending_faults().is_empty(),
        "the stale answer was read"
    );
    after.extend(reports_until(&mut broker, SETTLE, |_| false).await);
    assert!(order_reports(&after).is_empty(), "{after:?}");
    let row = journal_row(&db);
    assert_eq!(
        (row.state, row.filled),
        (JournalState::PartiallyFilled, d("0.004")),
        "moved back by a stale snapshot"
    );

    // The rest fills: the order ends FILLED with what was filled.
    mock.fill(&client_id, d("0.006"), d("59000")).unwrap();
    let mut end = reports_until(&mut broker, Duration::from_secs(5), |r| {
        !fills(r).is_empty()
    })
    .await;
    end.extend(reports_until(&mut broker, SETTLE, |_| false).await);
    assert_eq!(
        fills(&end),
        vec![(OrderId(4), d("0.006"), d("59000"))],
        "{end:?}"
    );
    let row = journal_row(&db);
    assert_eq!((row.state, row.filled), (JournalState::Filled, d("0.01")));
    assert_eq!(journal_fills(&db, &client_id), vec![d("0.004"), d("0.006")]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_trade_made_by_hand_at_the_venue_a_restart_reports_the_position_and_sends_nothing()
{
    // Reliability fault 16: a restart after an outside change.
    let mock = funded_mock().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let mut broker = start(&mock, &db);
    let state = started(&mut broker, &mock).await;
    assert_eq!(position(&state), Some((0, Vec::new())), "{state:?}");
    drop(broker);

    // By hand at the venue: a buy of 0.01 that trades at once (0.00999
    // kept after the 0.1 % fee in BTC), and a buy left resting.
    mock.place_direct("BTCUSDT", "BUY", d("0.01"), d("60000"))
        .unwrap();
    mock.place_direct("BTCUSDT", "BUY", d("0.01"), d("50000"))
        .unwrap();
    assert_eq!(mock.trades().len(), 1);

    let mut broker = start(&mock, &db);
    let state = started(&mut broker, &mock).await;
    assert_eq!(
        position(&state),
        Some((1, vec![(BTC, d("0.00999"))])),
        "the venue's position and order, not the journal's none: {state:?}"
    );
    let later = reports_until(&mut broker, SETTLE, |_| false).await;
    assert!(order_reports(&later).is_empty(), "{later:?}");
    // Every later report says the same; nothing was sent on our own.
    assert!(
        later
            .iter()
            .filter_map(position)
            .all(|p| p == (1, vec![(BTC, d("0.00999"))])),
        "{later:?}"
    );
    assert_eq!(mock.requests(POST_ORDER), 0);
    assert_eq!(mock.requests(DELETE_ORDER) + mock.requests(DELETE_OPEN), 0);
    assert_eq!(mock.orders().len(), 2);
    assert!(journal_rows(&db).is_empty());
}
