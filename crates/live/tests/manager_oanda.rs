//! The order manager over the real OANDA adapter against the local OANDA
//! mock: an order with broker-held exits journaled, accepted and filled
//! once (a fill line the stream sends twice included), and the kill
//! switch ending with the venue flat: our resting order cancelled, the
//! position closed, and its stop gone with it.

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
