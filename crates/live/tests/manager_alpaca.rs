//! The order manager over the real Alpaca adapter against the local Alpaca
//! mock: an order journaled and filled once (a fill the stream sends twice
//! included), positions reported from the venue, and the kill switch
//! cancelling an order made by hand, flat only when the venue says so.

#[path = "support/reports.rs"]
mod reports;
#[path = "support/order.rs"]
mod support;

use reports::{fills, flat, reports_until};

use omni_core::domain::{AccountId, InstrumentId, OrderId, OrderType, Side, Timestamp, VenueId};
use omni_core::execution::{Broker, ExecutionReport};
use omni_live::alpaca::{Alpaca, AlpacaConfig};
use omni_live::journal::{Journal, JournalState};
use omni_live::{Credentials, LiveBroker, LiveInstrument, LiveSettings, Secret};
use omni_mockvenue::alpaca::{Endpoint, MockAlpaca};
use rust_decimal::Decimal;
use std::time::Duration;

const KEY: &str = "PKMGRTEST";
const SECRET: &str = "alpaca-manager-secret";

fn d(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

fn start(mock: &MockAlpaca, db: &std::path::Path) -> LiveBroker {
    let api = Alpaca::new(AlpacaConfig {
        rest_url: mock.rest_url(),
        stream_url: mock.stream_url(),
        request_timeout: Duration::from_secs(5),
        ..AlpacaConfig::paper(Credentials {
            key: Secret::new(KEY),
            secret: Secret::new(SECRET),
        })
    })
    .expect("adapter");
    let mut s = LiveSettings::new(
        AccountId(0),
        "USD",
        vec![LiveInstrument {
            id: InstrumentId(0),
            name: "AAPL".into(),
            venue: VenueId(0),
            min_qty: d("1"),
        }],
        db.to_path_buf(),
    );
    s.refresh = Duration::from_millis(200);
    LiveBroker::start(api, s).expect("broker")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alpaca_order_is_journaled_filled_once_and_the_kill_switch_ends_venue_flat() {
    let mock = MockAlpaca::start(KEY, SECRET).await;
    mock.set_price("AAPL", d("187.23"));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("omni.db");
    let mut b = start(&mock, &db);
    // The start-up report: nothing held (the baseline).
    reports_until(&mut b, Duration::from_secs(5), |r| r.iter().any(flat)).await;

    mock.duplicate_next_fill();
    let buy = support::order(
        1,
        0,
        Side::Buy,
        OrderType::Market,
        d("3"),
        None,
        d("187.23"),
    );
    b.submit(&buy, Timestamp(1)).unwrap();
    let reports = reports_until(&mut b, Duration::from_secs(10), |r| {
        r.iter().any(
            |r| matches!(r, ExecutionReport::VenueState { positions, .. } if positions.len() == 1),
        )
    })
    .await;
    let later = reports_until(&mut b, Duration::from_millis(500), |_| false).await;
    let mut booked = fills(&reports);
    booked.extend(fills(&later));
    assert_eq!(
        booked,
        vec![(OrderId(1), d("3"), d("187.23"))],
        "{reports:?}"
    );
    assert!(reports.iter().any(|r| matches!(
        r,
        ExecutionReport::VenueState { positions, .. } if positions == &vec![(InstrumentId(0), d("3"))]
    )));
    let j = Journal::open(&db).unwrap();
    let o = &j.orders("alpaca").unwrap()[0];
    assert_eq!(
        (o.state, o.filled, o.sends),
        (JournalState::Filled, d("3"), 1)
    );

    // A resting order of ours and one made by hand on Alpaca's site.
    let rest = support::order(
        2,
        0,
        Side::Buy,
        OrderType::Limit,
        d("1"),
        Some(d("150")),
        d("150"),
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
    mock.place_direct(serde_json::json!({
        "symbol": "AAPL", "qty": "1", "side": "buy", "type": "limit",
        "time_in_force": "gtc", "limit_price": "100", "client_order_id": "by-hand"
    }))
    .unwrap();

    // K, as the engine sends it: cancel ours, cancel everything at the
    // venue, sell the position.
    b.cancel(AccountId(0), OrderId(2), Timestamp(1)).unwrap();
    b.cancel_all(AccountId(0), Timestamp(1)).unwrap();
    let sell = support::order(
        3,
        0,
        Side::Sell,
        OrderType::Market,
        d("3"),
        None,
        d("187.23"),
    );
    b.submit(&sell, Timestamp(1)).unwrap();
    let reports = reports_until(&mut b, Duration::from_secs(10), |r| r.iter().any(flat)).await;
    assert!(reports.iter().any(flat), "never flat: {reports:?}");
    // Nothing reported flat while the venue still held something.
    let first_flat = reports.iter().position(flat).unwrap_or(usize::MAX);
    assert!(
        reports[..first_flat].iter().any(|r| matches!(
            r,
            ExecutionReport::Cancelled {
                order_id: OrderId(2),
                ..
            }
        )),
        "{reports:?}"
    );
    let truth = mock.truth();
    assert!(
        truth
            .orders
            .iter()
            .all(|o| o.status != "new" && o.status != "accepted")
    );
    assert!(truth.positions.iter().all(|p| p.qty.is_zero()));
}

/// K on Alpaca uses Alpaca's own kill switch (`DELETE
/// /v2/positions?cancel_orders=true`), not a second sell: the engine's
/// flatten order is never sent, the venue's close carries its fill, booked
/// up to the engine's quantity; a position held before omni-tui is closed
/// too and not booked; flat only when Alpaca holds nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kill_switch_closes_with_alpacas_own_close_all_and_books_it_once() {
    let mock = MockAlpaca::start(KEY, SECRET).await;
    mock.set_price("AAPL", d("187.23"));
    // Two shares bought by hand before omni-tui traded the account.
    mock.place_direct(serde_json::json!({
        "symbol": "AAPL", "qty": "2", "side": "buy", "type": "market",
        "time_in_force": "day", "client_order_id": "by-hand-before"
    }))
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("omni.db");
    let mut b = start(&mock, &db);
    // The two shares are the baseline: no position of ours.
    reports_until(&mut b, Duration::from_secs(5), |r| r.iter().any(flat)).await;

    let buy = support::order(
        1,
        0,
        Side::Buy,
        OrderType::Market,
        d("3"),
        None,
        d("187.23"),
    );
    b.submit(&buy, Timestamp(1)).unwrap();
    let reports = reports_until(&mut b, Duration::from_secs(10), |r| {
        r.iter().any(|r| {
            matches!(r, ExecutionReport::VenueState { positions, .. } if positions == &vec![(InstrumentId(0), d("3"))])
        })
    })
    .await;
    assert_eq!(fills(&reports), vec![(OrderId(1), d("3"), d("187.23"))]);

    // Bitcoin, which this account does not trade, bought by hand; Alpaca's
    // first close-all leaves it (held for an order).
    mock.place_direct(serde_json::json!({
        "symbol": "BTC/USD", "qty": "0.01", "side": "buy", "type": "market",
        "time_in_force": "gtc", "client_order_id": "by-hand-btc"
    }))
    .unwrap();
    mock.fault(
        Endpoint::ClosePositions,
        omni_mockvenue::alpaca::Fault::HeldForOrders("BTC/USD".into()),
    );

    // K as the engine sends it: cancel-all, then its flatten order.
    mock.set_price("AAPL", d("188"));
    b.cancel_all(AccountId(0), Timestamp(1)).unwrap();
    let mut sell = support::order(2, 0, Side::Sell, OrderType::Market, d("3"), None, d("188"));
    sell.purpose = omni_core::domain::OrderPurpose::Flatten;
    b.submit(&sell, Timestamp(1)).unwrap();
    let reports = reports_until(&mut b, Duration::from_secs(10), |r| r.iter().any(flat)).await;
    let first_flat = reports.iter().position(flat).expect("never flat");
    // The engine's flatten order is filled by Alpaca's close, 3 and not 5,
    // before the venue is reported flat.
    assert_eq!(
        fills(&reports[..first_flat]),
        vec![(OrderId(2), d("3"), d("188"))],
        "{reports:?}"
    );
    // Not flat while bitcoin was left: the venue's word counts every position.
    assert!(
        reports[..first_flat].iter().any(|r| matches!(
            r,
            ExecutionReport::VenueState {
                other_positions: 1,
                ..
            }
        )),
        "{reports:?}"
    );
    let later = reports_until(&mut b, Duration::from_millis(500), |_| false).await;
    assert!(fills(&later).is_empty(), "{later:?}");
    assert_eq!(mock.requests(Endpoint::ClosePositions), 2);
    // Our flatten order never reached Alpaca: no second sell.
    let sells = mock
        .order_bodies()
        .into_iter()
        .filter(|o| o["side"] == "sell")
        .count();
    assert_eq!(sells, 0, "{:?}", mock.order_bodies());
    let truth = mock.truth();
    assert!(truth.positions.iter().all(|p| p.qty.is_zero()), "{truth:?}");

    let j = Journal::open(&db).unwrap();
    let rows = j.orders("alpaca").unwrap();
    let ours = rows
        .iter()
        .find(|o| o.order_id == 2 && o.sends == 0)
        .unwrap();
    assert_eq!(ours.state, JournalState::Cancelled);
    assert!(
        ours.reason
            .as_deref()
            .is_some_and(|r| r.contains("closed by the venue's own order")),
        "{ours:?}"
    );
    let close = rows
        .iter()
        .find(|o| o.order_id == 2 && o.sends == 1)
        .unwrap();
    assert_eq!((close.state, close.filled), (JournalState::Filled, d("5")));
    assert_eq!(j.recorded_qty(&close.client_id), d("5"));
    // The baseline is gone: Alpaca holds nothing and that is flat.
    assert_eq!(
        j.baseline("alpaca", 0).unwrap(),
        Some(vec![(String::new(), Decimal::ZERO)])
    );

    // A restart hands the journal's executions over again (the engine
    // ignores those it has by trade id): the close still counts 3 for the
    // engine's order, never the 5 Alpaca sold.
    drop(b);
    let mut b = start(&mock, &db);
    let replayed = reports_until(&mut b, Duration::from_secs(5), |r| r.iter().any(flat)).await;
    let closes: Vec<_> = fills(&replayed)
        .into_iter()
        .filter(|(id, _, _)| *id == OrderId(2))
        .collect();
    assert_eq!(closes, vec![(OrderId(2), d("3"), d("188"))], "{replayed:?}");
}
