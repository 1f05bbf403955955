//! The order manager over the real OANDA adapter against the local mock:
//! an IOC order OANDA fills only in part (one `ORDER_FILL` for the part,
//! then `ORDER_CANCEL` `INSUFFICIENT_LIQUIDITY` for the rest, as v20 ends
//! an IOC remainder; a FOK order never fills in part) is booked once with
//! its exact quantity, a duplicate of that fill line included, and ends
//! partially filled and closed; an order left IN_FLIGHT by a crash is
//! resolved after the restart by query, never sent again under a new id.

#[path = "support/reports.rs"]
mod reports;
#[path = "support/order.rs"]
mod support;

use reports::{fills, flat, reports_until};

use omni_core::domain::{
    AccountId, InstrumentId, OrderId, OrderType, Side, TimeInForce, Timestamp, VenueId,
};
use omni_core::execution::{Broker, ExecutionReport};
use omni_live::journal::{Journal, JournalOrder, JournalState};
use omni_live::oanda::{Oanda, OandaConfig};
use omni_live::{LiveBroker, LiveInstrument, LiveSettings, Secret};
use omni_mockvenue::oanda::{Endpoint, MockOanda};
use rust_decimal::Decimal;
use std::time::Duration;

const ACCOUNT: &str = "101-004-6666666-001";
const TOKEN: &str = "oanda-partial-token";

fn d(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

fn adapter(mock: &MockOanda) -> Oanda {
    Oanda::new(OandaConfig {
        rest_url: mock.rest_url(),
        stream_url: mock.stream_url(),
        request_timeout: Duration::from_secs(5),
        ..OandaConfig::practice(ACCOUNT, Secret::new(TOKEN))
    })
    .expect("adapter")
}

fn start(mock: &MockOanda, db: &std::path::Path) -> LiveBroker {
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
    LiveBroker::start(adapter(mock), s).expect("broker")
}

fn cancelled(r: &[ExecutionReport], id: u64) -> bool {
    r.iter().any(
        |r| matches!(r, ExecutionReport::Cancelled { order_id, .. } if *order_id == OrderId(id)),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ioc_order_filled_in_part_is_booked_once_and_its_remainder_closed() {
    let mock = MockOanda::start(ACCOUNT, TOKEN).await;
    mock.set_heartbeat(Duration::from_millis(200));
    mock.set_price("EUR_USD", d("1.08123"));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("omni.db");
    let mut b = start(&mock, &db);
    reports_until(&mut b, Duration::from_secs(5), |r| r.iter().any(flat)).await;

    mock.partial_fill_next(d("400"));
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
    buy.tif = TimeInForce::Ioc;
    b.submit(&buy, Timestamp(1)).unwrap();
    let mut reports = reports_until(&mut b, Duration::from_secs(5), |r| {
        !fills(r).is_empty() && cancelled(r, 1)
    })
    .await;
    reports.extend(reports_until(&mut b, Duration::from_millis(800), |_| false).await);
    assert_eq!(mock.order_bodies()[0]["order"]["timeInForce"], "IOC");
    assert_eq!(
        fills(&reports),
        vec![(OrderId(1), d("400"), d("1.08123"))],
        "booked once, exactly the part: {reports:?}"
    );
    assert!(cancelled(&reports, 1), "the rest is closed: {reports:?}");
    assert!(
        reports.iter().any(|r| matches!(
            r,
            ExecutionReport::VenueState { positions, .. }
                if positions == &vec![(InstrumentId(0), d("400"))]
        )),
        "{reports:?}"
    );
    let j = Journal::open(&db).unwrap();
    let o = &j.orders("oanda").unwrap()[0];
    assert_eq!(
        (o.state, o.filled, o.sends),
        (JournalState::Cancelled, d("400"), 1),
        "partially filled and closed"
    );
    assert_eq!(j.fills_of(&o.client_id).unwrap().len(), 1);
    let truth = mock.truth();
    assert_eq!(truth.positions[0].long_units, d("400"));
    assert_eq!(truth.orders[0].state, "CANCELLED");
}

/// A FOK market order (our default) is never filled in part: OANDA fills
/// it in full; the scripted part stays unused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fok_order_is_never_filled_in_part() {
    let mock = MockOanda::start(ACCOUNT, TOKEN).await;
    mock.set_price("EUR_USD", d("1.08123"));
    mock.partial_fill_next(d("400"));
    let (status, answer) = mock.place_direct(serde_json::json!({"order": {
        "type": "MARKET", "instrument": "EUR_USD", "units": "1000", "timeInForce": "FOK"
    }}));
    assert_eq!(status, 201);
    assert_eq!(answer["orderFillTransaction"]["units"], "1000", "{answer}");
    assert!(answer.get("orderCancelTransaction").is_none(), "{answer}");
    let (_, answer) = mock.place_direct(serde_json::json!({"order": {
        "type": "MARKET", "instrument": "EUR_USD", "units": "-1000", "timeInForce": "IOC"
    }}));
    assert_eq!(answer["orderFillTransaction"]["units"], "-400", "{answer}");
    assert_eq!(
        answer["orderCancelTransaction"]["reason"], "INSUFFICIENT_LIQUIDITY",
        "{answer}"
    );
}

/// The previous run journaled two orders IN_FLIGHT and died: one reached
/// OANDA (and filled), the other never left. After the restart the first
/// is found by query under its own client id and its fill booked once;
/// the second is closed as never received; nothing is posted again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_crash_an_in_flight_order_is_resolved_by_query_never_resent() {
    use omni_live::api::{PlaceRequest, VenueApi};
    let mock = MockOanda::start(ACCOUNT, TOKEN).await;
    mock.set_price("EUR_USD", d("1.08123"));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("omni.db");
    let sent = "om0-21-1".to_string();
    {
        let a = adapter(&mock);
        a.prepare(&["EUR_USD".into()]).await.unwrap();
        let req = PlaceRequest {
            client_id: sent.clone(),
            symbol: "EUR_USD".into(),
            side: Side::Buy,
            kind: OrderType::Market,
            tif: TimeInForce::Gtc,
            qty: d("1000"),
            limit: None,
            stop: None,
            take_profit: None,
            stop_loss: None,
        };
        a.place(&req).await.unwrap();
    }
    let j = Journal::open(&db).unwrap();
    for (id, client_id) in [(21, sent.as_str()), (22, "om0-22-1")] {
        j.insert(
            &JournalOrder {
                client_id: client_id.into(),
                order_id: id,
                account: 0,
                broker: "oanda".into(),
                symbol: "EUR_USD".into(),
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
    let mut b = start(&mock, &db);
    let mut reports = reports_until(&mut b, Duration::from_secs(10), |r| {
        !fills(r).is_empty()
            && r.iter()
                .any(|r| matches!(r, ExecutionReport::Rejected { .. }))
    })
    .await;
    reports.extend(reports_until(&mut b, Duration::from_millis(600), |_| false).await);
    assert_eq!(
        fills(&reports),
        vec![(OrderId(21), d("1000"), d("1.08123"))],
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
