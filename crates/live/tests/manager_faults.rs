//! The order manager's answers to a venue that misbehaves, over the real
//! Binance adapter against the local Binance mock: a duplicate client id
//! means "already placed", an order lost on the way in is sent again under
//! its own id only after three "absent" answers over `absent_for`, and an
//! order a crashed run journaled but never sent is resolved as never sent.
//! Everything on 127.0.0.1.

#[path = "support/binance_faults.rs"]
mod faults;
#[path = "support/reports.rs"]
mod reports;
#[path = "support/order.rs"]
mod support;

use faults::{POST_ORDER, api, d, funded_mock, journal_row, settings};
use reports::{fills, reports_until};

use omni_core::domain::{Order, OrderId, OrderType, Side, Timestamp};
use omni_core::execution::{Broker, ExecutionReport};
use omni_live::LiveBroker;
use omni_live::journal::{Journal, JournalOrder, JournalState};
use omni_mockvenue::binance::Fault;
use rust_decimal::Decimal;
use std::time::{Duration, Instant};

const GET_ORDER: &str = "GET /api/v3/order";
/// Requests behind one "no such order" answer of the adapter's: it asks
/// three times (here without a pause) before believing the venue.
const TRIES: u64 = 3;

fn order(id: u64, kind: OrderType, qty: &str, limit: Option<&str>) -> Order {
    support::order(id, 0, Side::Buy, kind, d(qty), limit.map(d), d("60000"))
}

/// Waits for the start-up requests to pass (the first venue report), so
/// a fault queued next applies to the order.
async fn started(broker: &mut LiveBroker) {
    let r = reports_until(broker, Duration::from_secs(5), |r| {
        r.iter()
            .any(|r| matches!(r, ExecutionReport::VenueState { .. }))
    })
    .await;
    assert!(!r.is_empty(), "the manager never reported the venue");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplicate_client_id_reject_means_already_placed_and_the_order_is_found_by_query() {
    // The order lands but its reply is lost, the stream is down, and the
    // venue's first three queries do not see it yet (its replication
    // lag): the manager sends it again under the same client id, and the
    // venue's -2010 "Duplicate order sent." is read as "already placed".
    let mock = funded_mock().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let no_stream = format!("ws://127.0.0.1:{}/ws-api/v3", omni_mockvenue::closed_port());
    let mut broker = LiveBroker::start(
        api(&mock, no_stream),
        settings(&db, Duration::from_millis(100)),
    )
    .unwrap();
    started(&mut broker).await;
    mock.fault(Fault::DropReplyAfterExecute);
    for _ in 0..3 * TRIES {
        mock.fault(Fault::QueryLag);
    }
    broker
        .submit(
            &order(9, OrderType::Limit, "0.01", Some("59000")),
            Timestamp(1),
        )
        .unwrap();
    let reports = reports_until(&mut broker, Duration::from_secs(10), |r| {
        r.iter().any(|r| {
            matches!(
                r,
                ExecutionReport::Accepted { .. } | ExecutionReport::Rejected { .. }
            )
        })
    })
    .await;
    assert!(
        reports.iter().any(|r| matches!(
            r,
            ExecutionReport::Accepted {
                order_id: OrderId(9),
                ..
            }
        )),
        "{reports:?}"
    );
    assert!(
        !reports
            .iter()
            .any(|r| matches!(r, ExecutionReport::Rejected { .. })),
        "{reports:?}"
    );
    // Sent twice under one client id: the venue holds one order.
    assert_eq!(mock.requests(POST_ORDER), 2);
    assert!(
        mock.requests(GET_ORDER) > 3 * TRIES,
        "3 absent answers, then found"
    );
    let orders = mock.orders();
    assert_eq!(orders.len(), 1, "{orders:?}");
    let row = journal_row(&db);
    assert_eq!(row.client_id, orders[0].client_id);
    assert_eq!(row.sends, 2);
    assert_eq!(
        row.venue_id.as_deref(),
        Some(orders[0].order_id.to_string().as_str())
    );

    // Its fill, found by the manager's own queries, is booked once.
    mock.fill(&row.client_id, d("0.01"), d("59000")).unwrap();
    let filled = reports_until(&mut broker, Duration::from_secs(10), |r| {
        !fills(r).is_empty()
    })
    .await;
    let later = reports_until(&mut broker, Duration::from_millis(700), |_| false).await;
    let mut all = fills(&filled);
    all.extend(fills(&later));
    assert_eq!(all, vec![(OrderId(9), d("0.01"), d("59000"))], "{filled:?}");
    assert_eq!(journal_row(&db).state, JournalState::Filled);
    assert_eq!(mock.requests(POST_ORDER), 2, "never sent a third time");
    assert_eq!(mock.orders().len(), 1);
}

/// An order lost on the way in (never executed, never answered): returns
/// how many "no such order" answers the manager had had when the resend
/// arrived (the resend's own answer resolves it: no query after).
async fn lost_request(absent_for: Duration) -> u64 {
    let mock = funded_mock().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let mut broker =
        LiveBroker::start(api(&mock, mock.ws_url()), settings(&db, absent_for)).unwrap();
    started(&mut broker).await;
    mock.fault(Fault::DropRequest);
    broker
        .submit(&order(5, OrderType::Market, "0.01", None), Timestamp(1))
        .unwrap();
    // Watch the mock closely: the queries before the second send.
    let start = Instant::now();
    let mut all = Vec::new();
    let mut at_resend = None;
    while start.elapsed() < Duration::from_secs(10) {
        let gets = mock.requests(GET_ORDER);
        let posts = mock.requests(POST_ORDER);
        assert!(posts <= 2, "sent {posts} times");
        if posts == 2 && at_resend.is_none() {
            at_resend = Some(gets);
        }
        broker.advance(Timestamp(1), &mut all);
        if !fills(&all).is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let at_resend = at_resend.expect("the order was never sent again");
    let later = reports_until(&mut broker, Duration::from_millis(600), |_| false).await;
    all.extend(later);
    // Sent again under its own id, once, and filled once.
    assert_eq!(
        fills(&all),
        vec![(OrderId(5), d("0.01"), d("60000"))],
        "{all:?}"
    );
    assert_eq!(mock.requests(POST_ORDER), 2);
    let orders = mock.orders();
    assert_eq!(orders.len(), 1, "{orders:?}");
    let row = journal_row(&db);
    assert_eq!(orders[0].client_id, row.client_id, "never a new client id");
    assert_eq!((row.state, row.sends), (JournalState::Filled, 2));
    assert_eq!(mock.requests(GET_ORDER), at_resend, "no query after");
    assert_eq!(at_resend % TRIES, 0, "whole answers only: {at_resend}");
    at_resend / TRIES
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_lost_on_the_way_is_sent_again_under_its_id_only_after_three_absent_answers() {
    // `absent_for` is short here: the count of answers decides.
    let answers = lost_request(Duration::from_millis(100)).await;
    assert_eq!(answers, 3, "resent after the third absent answer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_absent_answers_sooner_than_absent_for_do_not_resend_yet() {
    // Answers at about 100, 300 and 700 ms after the timeout: the third
    // comes 600 ms after the first, short of 1 s; the fourth (at about
    // 1500 ms) is past it.
    let answers = lost_request(Duration::from_secs(1)).await;
    assert_eq!(answers, 4, "resent once absent for 1 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_a_crashed_run_journaled_but_never_sent_is_resolved_as_never_sent() {
    // Reliability fault 1: kill -9 after the order's commit, before its
    // send. The journal holds it IN_FLIGHT with no send counted.
    let mock = funded_mock().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let j = Journal::open(&db).unwrap();
    j.insert(
        &JournalOrder {
            client_id: "om0-31-1".into(),
            order_id: 31,
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
            sends: 0,
            created_ms: 0,
        },
        1,
    )
    .unwrap();
    let mut broker = LiveBroker::start(
        api(&mock, mock.ws_url()),
        settings(&db, Duration::from_secs(2)),
    )
    .unwrap();
    let reports = reports_until(&mut broker, Duration::from_secs(5), |r| {
        r.iter()
            .any(|r| matches!(r, ExecutionReport::Rejected { .. }))
    })
    .await;
    let reason = reports
        .iter()
        .find_map(|r| match r {
            ExecutionReport::Rejected {
                order_id: OrderId(31),
                reason,
                ..
            } => Some(reason.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("not rejected: {reports:?}"));
    assert!(reason.contains("never sent"), "{reason}");
    // Some refreshes later: still nothing sent, nothing booked.
    let later = reports_until(&mut broker, Duration::from_millis(700), |_| false).await;
    assert!(fills(&later).is_empty() && fills(&reports).is_empty());
    assert_eq!(mock.requests(POST_ORDER), 0);
    assert!(mock.orders().is_empty());
    let row = j.order("om0-31-1").unwrap().unwrap();
    assert_eq!((row.state, row.sends), (JournalState::Rejected, 0));
}
