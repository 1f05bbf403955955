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

/// The venue's exits among `r`: (side, quantity, price, trade id).
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

/// A fresh mock and database, the manager started on them and venue-flat,
/// then a long with its stop and take profit held at OANDA
/// ([`long_with_exits`]). The directory lives as long as the returned
/// guard.
async fn long_at_oanda() -> (MockOanda, tempfile::TempDir, std::path::PathBuf, LiveBroker) {
    let mock = MockOanda::start(ACCOUNT, TOKEN).await;
    mock.set_heartbeat(Duration::from_millis(200));
    mock.set_price("EUR_USD", d("1.08123"));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("omni.db");
    let mut b = start(&mock, &db);
    reports_until(&mut b, Duration::from_secs(5), |r| r.iter().any(flat)).await;
    long_with_exits(&mut b).await;
    (mock, dir, db, b)
}

/// Buys 1000 EUR/USD with a stop loss at 1.07 and a take profit at 1.1
/// held at OANDA, and waits until the venue reports the position.
async fn long_with_exits(b: &mut LiveBroker) {
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
    reports_until(b, Duration::from_secs(5), |r| {
        r.iter().any(
            |r| matches!(r, ExecutionReport::VenueState { positions, .. } if positions == &vec![(InstrumentId(0), d("1000"))]),
        )
    })
    .await;
}

/// The stop loss OANDA held for our buy fires while we do nothing: its
/// fill (OANDA's own order, no client id of ours) reaches the engine once,
/// as the venue's exit of the position our buy opened, recorded in the
/// journal by its transaction id before it is reported; the line OANDA
/// sends twice is booked once; we send nothing; and a restart hands it
/// over again as the same exit (the engine knows it by its trade id),
/// never as a fill of our buy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_oanda_fires_closes_the_position_once_and_we_send_nothing() {
    let (mock, _dir, db, mut b) = long_at_oanda().await;
    while !b.view().stream_up {
        reports_until(&mut b, Duration::from_millis(20), |_| false).await;
    }

    mock.duplicate_next_fill();
    mock.set_price("EUR_USD", d("1.0695"));
    let reports = reports_until(&mut b, Duration::from_secs(5), |r| {
        !venue_exits(r).is_empty() && r.iter().any(flat)
    })
    .await;
    let later = reports_until(&mut b, Duration::from_millis(600), |_| false).await;
    let truth = mock.truth();
    let stop = truth
        .orders
        .iter()
        .find(|o| o.kind == "STOP_LOSS")
        .expect("the stop OANDA held");
    let stop_fill = stop
        .filling_transaction_id
        .clone()
        .expect("the stop filled");
    let mut exits = venue_exits(&reports);
    exits.extend(venue_exits(&later));
    assert_eq!(
        exits,
        vec![(
            Side::Sell,
            d("1000"),
            d("1.0695"),
            format!("oanda:{stop_fill}")
        )],
        "{reports:?} {later:?}"
    );
    assert!(
        fills(&reports).is_empty(),
        "no order of ours filled: {reports:?}"
    );
    assert!(fills(&later).is_empty(), "{later:?}");
    assert!(reports.iter().any(flat), "the venue is flat: {reports:?}");
    assert!(truth.positions.is_empty(), "{truth:?}");
    assert_eq!(mock.order_bodies().len(), 1, "only our buy was ever sent");

    // The journal: our buy as it was, the exit as an order OANDA made
    // (engine order 0) under its own id, its one fill by transaction id.
    let j = Journal::open(&db).unwrap();
    let buy = j
        .orders("oanda")
        .unwrap()
        .into_iter()
        .find(|o| o.order_id == 1)
        .expect("our buy");
    assert_eq!((buy.state, buy.filled), (JournalState::Filled, d("1000")));
    assert_eq!(j.recorded_qty(&buy.client_id), d("1000"));
    let exit = j.order(&stop.id).unwrap().expect("the exit's row");
    assert_eq!(
        (
            exit.order_id,
            exit.side.as_str(),
            exit.state,
            exit.venue_id.as_deref()
        ),
        (0, "SELL", JournalState::Filled, Some(stop.id.as_str()))
    );
    let recorded = j.fills_of(&stop.id).unwrap();
    assert_eq!(
        recorded
            .iter()
            .map(|f| (f.trade_id.as_str(), f.qty, f.price))
            .collect::<Vec<_>>(),
        vec![(stop_fill.as_str(), d("1000"), d("1.0695"))]
    );

    // A restart hands the exit over again, as the venue's exit.
    drop(b);
    let mut b = start(&mock, &db);
    let again = reports_until(&mut b, Duration::from_secs(5), |r| r.iter().any(flat)).await;
    assert_eq!(
        venue_exits(&again),
        vec![(
            Side::Sell,
            d("1000"),
            d("1.0695"),
            format!("oanda:{stop_fill}")
        )],
        "{again:?}"
    );
    assert_eq!(
        fills(&again),
        vec![(OrderId(1), d("1000"), d("1.08123"))],
        "only our buy's own fill is a fill: {again:?}"
    );
    assert_eq!(mock.order_bodies().len(), 1);
}

/// The engine's own exit, sent because its copy of the stop saw the price
/// too, reaches OANDA after OANDA's stop has closed the trade: it goes
/// `REDUCE_ONLY`, so OANDA cancels it instead of opening a short; our
/// entry went `DEFAULT`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_exit_of_ours_after_oandas_stop_never_opens_the_reverse_position() {
    let (mock, _dir, _db, mut b) = long_at_oanda().await;
    mock.set_price("EUR_USD", d("1.0695"));
    reports_until(&mut b, Duration::from_secs(5), |r| {
        !venue_exits(r).is_empty()
    })
    .await;

    let mut exit = support::order(
        2,
        0,
        Side::Sell,
        OrderType::Market,
        d("1000"),
        None,
        d("1.0695"),
    );
    exit.purpose = omni_core::domain::OrderPurpose::Exit;
    exit.exit_reason = Some(omni_core::domain::ExitReason::StopLoss);
    b.submit(&exit, Timestamp(2)).unwrap();
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
    let bodies = mock.order_bodies();
    assert_eq!(bodies.len(), 2);
    assert_eq!(bodies[0]["order"]["positionFill"], "DEFAULT", "the entry");
    assert_eq!(
        bodies[1]["order"]["positionFill"], "REDUCE_ONLY",
        "the exit"
    );
    assert!(fills(&reports).is_empty(), "{reports:?}");
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
    assert!(truth.positions.is_empty(), "no reverse position: {truth:?}");
}

/// OANDA's stop fires while our process is down (OANDA does not replay
/// its stream, and no query of ours finds OANDA's own order): the first
/// connection after the restart catches up on the exit fills it missed,
/// and the engine hears of this one once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_that_fired_while_we_were_down_is_booked_after_the_restart() {
    let (mock, _dir, db, b) = long_at_oanda().await;
    drop(b);

    mock.set_price("EUR_USD", d("1.0695"));
    let stop_fill = mock
        .truth()
        .orders
        .iter()
        .find(|o| o.kind == "STOP_LOSS")
        .and_then(|o| o.filling_transaction_id.clone())
        .expect("the stop filled");
    let mut b = start(&mock, &db);
    let reports = reports_until(&mut b, Duration::from_secs(5), |r| {
        !venue_exits(r).is_empty() && r.iter().any(flat)
    })
    .await;
    let later = reports_until(&mut b, Duration::from_millis(600), |_| false).await;
    let mut exits = venue_exits(&reports);
    exits.extend(venue_exits(&later));
    assert_eq!(
        exits,
        vec![(
            Side::Sell,
            d("1000"),
            d("1.0695"),
            format!("oanda:{stop_fill}")
        )],
        "{reports:?} {later:?}"
    );
    assert_eq!(mock.order_bodies().len(), 1, "we sent nothing");
}

/// OANDA's take profit fires while the transaction stream is cut: the
/// line is lost, and the next connection catches up from the last
/// transaction the stream had seen.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_take_profit_that_fired_while_the_stream_was_down_is_booked_on_reconnect() {
    let (mock, _dir, _db, mut b) = long_at_oanda().await;
    while !b.view().stream_up {
        reports_until(&mut b, Duration::from_millis(20), |_| false).await;
    }
    let connections = mock.stream_connections();

    mock.drop_streams();
    mock.set_price("EUR_USD", d("1.1002"));
    let reports = reports_until(&mut b, Duration::from_secs(5), |r| {
        !venue_exits(r).is_empty()
    })
    .await;
    assert!(
        mock.stream_connections() > connections,
        "the exit came on a new connection"
    );
    let take = mock
        .truth()
        .orders
        .iter()
        .find(|o| o.kind == "TAKE_PROFIT")
        .and_then(|o| o.filling_transaction_id.clone())
        .expect("the take profit filled");
    assert_eq!(
        venue_exits(&reports),
        vec![(Side::Sell, d("1000"), d("1.1002"), format!("oanda:{take}"))],
        "{reports:?}"
    );
}

/// A crash between journaling OANDA's exit and recording its fill leaves
/// the exit's row unfinished: at the restart it is asked about by its
/// OANDA id like an order of ours, and its fill is fetched, recorded and
/// reported once (here the stop filled longer ago than the stream's
/// catch-up looks back, so only that query can find it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exit_journaled_without_its_fill_is_completed_by_query_after_a_crash() {
    let (mock, _dir, db, b) = long_at_oanda().await;
    drop(b);

    mock.set_price("EUR_USD", d("1.0695"));
    let stop = mock
        .truth()
        .orders
        .into_iter()
        .find(|o| o.kind == "STOP_LOSS")
        .expect("the stop");
    let stop_fill = stop.filling_transaction_id.clone().expect("filled");
    // Many transactions since (orders made by hand, resting far away).
    for _ in 0..520 {
        limit_by_hand(&mock, "1", "1.00000");
    }
    // What the crashed run left: the exit's row, not its fill.
    let j = Journal::open(&db).unwrap();
    j.insert(
        &omni_live::journal::JournalOrder {
            client_id: stop.id.clone(),
            order_id: 0,
            account: 0,
            broker: "oanda".into(),
            symbol: "EUR_USD".into(),
            side: "SELL".into(),
            qty: d("1000"),
            limit: None,
            state: JournalState::PartiallyFilled,
            venue_id: Some(stop.id.clone()),
            filled: Decimal::ZERO,
            reason: None,
            sends: 0,
            created_ms: 0,
        },
        1,
    )
    .unwrap();

    let mut b = start(&mock, &db);
    let reports = reports_until(&mut b, Duration::from_secs(5), |r| {
        !venue_exits(r).is_empty()
    })
    .await;
    let later = reports_until(&mut b, Duration::from_millis(600), |_| false).await;
    let mut exits = venue_exits(&reports);
    exits.extend(venue_exits(&later));
    assert_eq!(
        exits,
        vec![(
            Side::Sell,
            d("1000"),
            d("1.0695"),
            format!("oanda:{stop_fill}")
        )],
        "{reports:?} {later:?}"
    );
    let row = j.order(&stop.id).unwrap().expect("the row");
    assert_eq!(row.state, JournalState::Filled);
    assert_eq!(j.fills_of(&stop.id).unwrap().len(), 1);
    assert_eq!(mock.order_bodies().len(), 1, "we sent nothing");
}
