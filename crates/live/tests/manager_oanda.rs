//! The order manager over the real OANDA adapter against the local OANDA
//! mock: an order with broker-held exits journaled, accepted and filled
//! once (a fill line the stream sends twice included), and the kill
//! switch ending with the venue flat: our resting order cancelled, the
//! position closed, and its stop gone with it; an order made by hand on
//! OANDA's platform (no client id of ours) cancelled by K too, pending
//! orders always cancelled before any position is closed.

#[path = "support/reports.rs"]
mod reports;
#[path = "support/order.rs"]
mod support;

use reports::{fills, flat, reports_until};

use omni_core::domain::{AccountId, InstrumentId, OrderId, OrderType, Side, Timestamp, VenueId};
use omni_core::execution::{Broker, ExecutionReport};
use omni_live::journal::{Journal, JournalState};
use omni_live::oanda::{Oanda, OandaConfig};
use omni_live::{LiveBroker, LiveInstrument, LiveSettings, Secret};
use omni_mockvenue::oanda::{Endpoint, MockOanda};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::time::Duration;

const ACCOUNT: &str = "101-004-7777777-001";
const TOKEN: &str = "oanda-manager-token";

fn d(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

fn start(mock: &MockOanda, db: &std::path::Path) -> LiveBroker {
    let api = Oanda::new(OandaConfig {
        rest_url: mock.rest_url(),
        stream_url: mock.stream_url(),
        request_timeout: Duration::from_secs(5),
        ..OandaConfig::practice(ACCOUNT, Secret::new(TOKEN))
    })
    .expect("adapter");
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
    LiveBroker::start(api, s).expect("broker")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oanda_order_is_accepted_filled_once_and_the_kill_switch_ends_venue_flat() {
    let mock = MockOanda::start(ACCOUNT, TOKEN).await;
    mock.set_heartbeat(Duration::from_millis(200));
    mock.set_price("EUR_USD", d("1.08123"));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("omni.db");
    let mut b = start(&mock, &db);
    reports_until(&mut b, Duration::from_secs(5), |r| r.iter().any(flat)).await;

    mock.duplicate_next_fill();
    let mut buy = support::order(
        1,
        0,
        Side::Buy,
        OrderType::Market,
        d("1000"),
        None,
        d("1.08123"),
    );
    buy.stop_loss = Some(d("1.07"));
    buy.take_profit = Some(d("1.1"));
    b.submit(&buy, Timestamp(1)).unwrap();
    let reports = reports_until(&mut b, Duration::from_secs(5), |r| {
        r.iter().any(
            |r| matches!(r, ExecutionReport::VenueState { positions, .. } if positions.len() == 1),
        )
    })
    .await;
    let later = reports_until(&mut b, Duration::from_millis(500), |_| false).await;
    assert!(
        reports.iter().any(|r| matches!(
            r,
            ExecutionReport::Accepted {
                order_id: OrderId(1),
                ..
            }
        )),
        "{reports:?}"
    );
    let mut booked = fills(&reports);
    booked.extend(fills(&later));
    assert_eq!(
        booked,
        vec![(OrderId(1), d("1000"), d("1.08123"))],
        "{reports:?}"
    );
    assert!(reports.iter().any(|r| matches!(
        r,
        ExecutionReport::VenueState { positions, .. } if positions == &vec![(InstrumentId(0), d("1000"))]
    )));
    let sent = &mock.order_bodies()[0]["order"];
    assert_eq!(
        (&sent["instrument"], &sent["stopLossOnFill"]["price"]),
        (&serde_json::json!("EUR_USD"), &serde_json::json!("1.07"))
    );
    let j = Journal::open(&db).unwrap();
    let o = &j.orders("oanda").unwrap()[0];
    assert_eq!(
        (o.state, o.filled, o.sends),
        (JournalState::Filled, d("1000"), 1)
    );

    // A resting order of ours.
    let rest = support::order(
        2,
        0,
        Side::Buy,
        OrderType::Limit,
        d("10"),
        Some(d("1.05")),
        d("1.05"),
    );
    b.submit(&rest, Timestamp(1)).unwrap();
    reports_until(&mut b, Duration::from_secs(5), |r| {
        r.iter().any(|r| {
            matches!(
                r,
                ExecutionReport::Accepted {
                    order_id: OrderId(2),
                    ..
                }
            )
        })
    })
    .await;

    // K as the engine sends it: cancel-all, then its flatten order. OANDA
    // closes positions itself: the flatten order is not sent, OANDA's
    // position close fills it, and flat comes after that fill.
    b.cancel_all(AccountId(0), Timestamp(1)).unwrap();
    let mut sell = support::order(
        3,
        0,
        Side::Sell,
        OrderType::Market,
        d("1000"),
        None,
        d("1.08123"),
    );
    sell.purpose = omni_core::domain::OrderPurpose::Flatten;
    b.submit(&sell, Timestamp(1)).unwrap();
    let reports = reports_until(&mut b, Duration::from_secs(5), |r| r.iter().any(flat)).await;
    let first_flat = reports.iter().position(flat).expect("never flat");
    assert_eq!(
        fills(&reports[..first_flat]),
        vec![(OrderId(3), d("1000"), d("1.08123"))],
        "{reports:?}"
    );
    assert_eq!(mock.requests(Endpoint::ClosePosition), 1);
    assert_eq!(
        mock.order_bodies().len(),
        2,
        "only the buy and the resting order were posted"
    );
    assert!(reports.iter().any(flat), "never flat: {reports:?}");
    assert!(
        reports.iter().any(|r| matches!(
            r,
            ExecutionReport::Cancelled {
                order_id: OrderId(2),
                ..
            }
        )),
        "{reports:?}"
    );
    let truth = mock.truth();
    assert!(truth.positions.is_empty());
    assert!(truth.orders.iter().all(|o| o.state != "PENDING"));
}

/// A limit order made on OANDA's platform, with no `clientExtensions`:
/// returns its OANDA order id.
fn limit_by_hand(mock: &MockOanda, units: &str, price: &str) -> String {
    let (status, answer) = mock.place_direct(json!({"order": {
        "type": "LIMIT", "instrument": "EUR_USD", "units": units, "price": price,
        "timeInForce": "GTC", "positionFill": "DEFAULT"
    }}));
    assert_eq!(status, 201, "{answer}");
    answer["orderCreateTransaction"]["id"]
        .as_str()
        .expect("the create transaction has an id")
        .to_string()
}

/// The state OANDA holds order `id` in.
fn order_state(mock: &MockOanda, id: &str) -> String {
    mock.truth()
        .orders
        .iter()
        .find(|o| o.id == id)
        .map(|o| o.state.clone())
        .unwrap_or_default()
}

/// The specifiers of the cancels sent, in order.
fn cancels(log: &[(Endpoint, String)]) -> Vec<String> {
    log.iter()
        .filter(|(e, _)| *e == Endpoint::CancelOrder)
        .map(|(_, arg)| arg.clone())
        .collect()
}

/// K with nothing but an order made by hand resting at OANDA: the order
/// carries no client id of ours, so it is listed under its OANDA id and
/// must be cancelled by that id (`@<OANDA id>` names a client id OANDA
/// does not have: 404 `ORDER_DOESNT_EXIST`, and the order would rest on).
/// Flat means the venue itself reports no order and no position.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kill_switch_cancels_an_order_made_by_hand_when_no_position_is_open() {
    let mock = MockOanda::start(ACCOUNT, TOKEN).await;
    mock.set_heartbeat(Duration::from_millis(200));
    mock.set_price("EUR_USD", d("1.08123"));
    let by_hand = limit_by_hand(&mock, "25", "1.05000");
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("omni.db");
    let mut b = start(&mock, &db);
    let reports = reports_until(&mut b, Duration::from_secs(5), |r| {
        r.iter().any(|r| {
            matches!(r, ExecutionReport::VenueState { open_orders: 1, positions, .. } if positions.is_empty())
        })
    })
    .await;
    assert!(!reports.iter().any(flat), "the order is seen: {reports:?}");

    let before_k = mock.request_log().len();
    b.cancel_all(AccountId(0), Timestamp(1)).unwrap();
    let reports = reports_until(&mut b, Duration::from_secs(5), |r| r.iter().any(flat)).await;
    assert!(reports.iter().any(flat), "never venue-flat: {reports:?}");
    assert_eq!(order_state(&mock, &by_hand), "CANCELLED");
    let truth = mock.truth();
    assert!(truth.positions.is_empty(), "{truth:?}");
    assert!(
        truth.orders.iter().all(|o| o.state != "PENDING"),
        "{truth:?}"
    );
    let log = mock.request_log()[before_k..].to_vec();
    assert_eq!(
        cancels(&log),
        vec![by_hand.clone()],
        "one cancel, by OANDA's id: {log:?}"
    );
    assert!(
        !log.iter().any(|(e, _)| *e == Endpoint::ClosePosition),
        "nothing to close: {log:?}"
    );
    let cancelled = truth
        .transactions
        .iter()
        .filter(|t| t["type"] == "ORDER_CANCEL" && t["orderID"] == by_hand.as_str())
        .collect::<Vec<&Value>>();
    assert_eq!(cancelled.len(), 1, "{:?}", truth.transactions);
    assert_eq!(cancelled[0]["reason"], "CLIENT_REQUEST");
}

/// K with a position of ours (its broker-held stop attached) and an order
/// made by hand: every pending order is cancelled before any position is
/// closed, the position's stop is left to go with its trade, and the last
/// word is a fresh look at the positions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kill_switch_cancels_pending_orders_before_it_closes_positions() {
    let mock = MockOanda::start(ACCOUNT, TOKEN).await;
    mock.set_heartbeat(Duration::from_millis(200));
    mock.set_price("EUR_USD", d("1.08123"));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("omni.db");
    let mut b = start(&mock, &db);
    reports_until(&mut b, Duration::from_secs(5), |r| r.iter().any(flat)).await;

    let mut buy = support::order(
        1,
        0,
        Side::Buy,
        OrderType::Market,
        d("1000"),
        None,
        d("1.08123"),
    );
    buy.stop_loss = Some(d("1.07"));
    b.submit(&buy, Timestamp(1)).unwrap();
    reports_until(&mut b, Duration::from_secs(5), |r| {
        r.iter().any(
            |r| matches!(r, ExecutionReport::VenueState { positions, .. } if positions == &vec![(InstrumentId(0), d("1000"))]),
        )
    })
    .await;
    let by_hand = limit_by_hand(&mock, "-40", "1.20000");
    let stop = mock
        .truth()
        .orders
        .iter()
        .find(|o| o.kind == "STOP_LOSS")
        .map(|o| o.id.clone())
        .expect("the stop OANDA holds for the trade");

    let before_k = mock.request_log().len();
    b.cancel_all(AccountId(0), Timestamp(1)).unwrap();
    let mut sell = support::order(
        2,
        0,
        Side::Sell,
        OrderType::Market,
        d("1000"),
        None,
        d("1.08123"),
    );
    sell.purpose = omni_core::domain::OrderPurpose::Flatten;
    b.submit(&sell, Timestamp(1)).unwrap();
    let reports = reports_until(&mut b, Duration::from_secs(5), |r| r.iter().any(flat)).await;
    assert!(reports.iter().any(flat), "never venue-flat: {reports:?}");

    let log = mock.request_log()[before_k..].to_vec();
    let at = |want: Endpoint| {
        log.iter()
            .enumerate()
            .filter(|(_, (e, _))| *e == want)
            .map(|(i, _)| i)
            .collect::<Vec<usize>>()
    };
    let (cancel_at, close_at) = (at(Endpoint::CancelOrder), at(Endpoint::ClosePosition));
    assert_eq!(cancels(&log), vec![by_hand.clone()], "{log:?}");
    assert_eq!(close_at.len(), 1, "{log:?}");
    assert!(
        cancel_at.iter().all(|c| *c < close_at[0]),
        "a cancel after the close: {log:?}"
    );
    // The pending orders were read before they were cancelled, and the
    // positions read again after the close, before the venue said flat.
    assert!(
        at(Endpoint::PendingOrders)
            .iter()
            .any(|p| *p < cancel_at[0]),
        "{log:?}"
    );
    assert!(
        at(Endpoint::OpenPositions).iter().any(|p| *p > close_at[0]),
        "{log:?}"
    );
    assert_eq!(order_state(&mock, &by_hand), "CANCELLED");
    assert_eq!(
        order_state(&mock, &stop),
        "CANCELLED",
        "the stop went with its trade"
    );
    let truth = mock.truth();
    assert!(truth.positions.is_empty(), "{truth:?}");
    assert!(
        truth.orders.iter().all(|o| o.state != "PENDING"),
        "{truth:?}"
    );
}
