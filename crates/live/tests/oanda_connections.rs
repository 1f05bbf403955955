//! OANDA allows at most 2 new connections a second. The mock records
//! when it accepted each TCP connection; over a busy run of the order
//! manager on the real adapter (start-up, refreshes every 100 ms with
//! three questions at once, orders placed and filled, the stream's
//! queries, a dropped stream, the kill switch) no 1 s window holds more
//! than 2 of them.

#[path = "support/reports.rs"]
mod reports;
#[path = "support/order.rs"]
mod support;

use reports::{flat, reports_until};

use omni_core::domain::{AccountId, InstrumentId, OrderId, OrderType, Side, Timestamp, VenueId};
use omni_core::execution::{Broker, ExecutionReport};
use omni_live::oanda::{Oanda, OandaConfig};
use omni_live::{LiveBroker, LiveInstrument, LiveSettings, Secret};
use omni_mockvenue::oanda::{Endpoint, Fault, MockOanda};
use rust_decimal::Decimal;
use std::time::Duration;

const ACCOUNT: &str = "101-004-5555555-001";
const TOKEN: &str = "oanda-connections-token";

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
    .expect("adapter")
    .with_stream_silence_limit(Duration::from_secs(2));
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
    s.refresh = Duration::from_millis(100);
    LiveBroker::start(api, s).expect("broker")
}

fn accepted(r: &[ExecutionReport], id: u64) -> bool {
    r.iter().any(
        |r| matches!(r, ExecutionReport::Accepted { order_id, .. } if *order_id == OrderId(id)),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_run_opens_at_most_two_connections_a_second() {
    let mock = MockOanda::start(ACCOUNT, TOKEN).await;
    mock.set_heartbeat(Duration::from_millis(100));
    mock.set_price("EUR_USD", d("1.08123"));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("omni.db");
    let mut b = start(&mock, &db);
    reports_until(&mut b, Duration::from_secs(5), |r| r.iter().any(flat)).await;

    // Orders: market fills, a resting limit, a limit that fills later.
    for id in 1..=4u64 {
        let o = support::order(
            id,
            0,
            Side::Buy,
            OrderType::Market,
            d("100"),
            None,
            d("1.08123"),
        );
        b.submit(&o, Timestamp(1)).unwrap();
    }
    let rest = support::order(
        5,
        0,
        Side::Buy,
        OrderType::Limit,
        d("10"),
        Some(d("1.05")),
        d("1.05"),
    );
    b.submit(&rest, Timestamp(1)).unwrap();
    let r = reports_until(&mut b, Duration::from_secs(5), |r| {
        (1..=5).all(|id| accepted(r, id))
    })
    .await;
    assert!((1..=5).all(|id| accepted(&r, id)), "{r:?}");

    // A reply lost after the order was placed: that connection is gone
    // and the next request needs a new one; the stream dropped too.
    mock.fault(Endpoint::PlaceOrder, Fault::DropReply);
    let o = support::order(
        6,
        0,
        Side::Buy,
        OrderType::Market,
        d("100"),
        None,
        d("1.08123"),
    );
    b.submit(&o, Timestamp(1)).unwrap();
    mock.drop_streams();
    reports_until(&mut b, Duration::from_secs(5), |r| accepted(r, 6)).await;
    reports_until(&mut b, Duration::from_millis(800), |_| false).await;

    // K: cancel the resting order, close the position, confirm flat.
    b.cancel_all(AccountId(0), Timestamp(1)).unwrap();
    let r = reports_until(&mut b, Duration::from_secs(10), |r| r.iter().any(flat)).await;
    assert!(r.iter().any(flat), "never flat: {r:?}");
    reports_until(&mut b, Duration::from_millis(500), |_| false).await;

    let times = mock.connections_accepted();
    assert!(
        times.len() >= 3,
        "REST, stream and the reconnects each opened one: {}",
        times.len()
    );
    let most = mock.max_connections_within(Duration::from_secs(1));
    let gaps: Vec<u128> = times
        .windows(2)
        .map(|w| w[1].duration_since(w[0]).as_millis())
        .collect();
    assert!(
        most <= 2,
        "{most} connections in one second; gaps between accepts (ms): {gaps:?}"
    );
    assert!(mock.requests(Endpoint::Any) > 30, "a busy run");
}
