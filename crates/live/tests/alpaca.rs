//! The Alpaca adapter against the mock Alpaca on 127.0.0.1: order flow,
//! error classification, the 207 kill-switch lists and the trade stream.

use omni_core::domain::{OrderType, Side, TimeInForce};
use omni_live::alpaca::{Alpaca, AlpacaConfig};
use omni_live::api::{
    ApiError, PlaceRequest, StreamEvent, VenueApi, VenueHolding, VenueOrderState,
};
use omni_live::secret::{Credentials, Secret};
use omni_mockvenue::alpaca::{Endpoint, Fault, MockAlpaca};
use rust_decimal::Decimal;
use rust_decimal::dec;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

const KEY: &str = "PKMOCKKEY";
const SECRET: &str = "CANARY-SECRET-9f2";

fn client(mock: &MockAlpaca, secret: &str, timeout: Duration) -> Alpaca {
    Alpaca::new(AlpacaConfig {
        rest_url: mock.rest_url(),
        stream_url: mock.stream_url(),
        credentials: Credentials {
            key: Secret::new(KEY),
            secret: Secret::new(secret),
        },
        request_timeout: timeout,
    })
    .unwrap()
}

async fn setup() -> (MockAlpaca, Arc<Alpaca>) {
    let mock = MockAlpaca::start(KEY, SECRET).await;
    let a = client(&mock, SECRET, Duration::from_secs(3));
    a.prepare(&["AAPL".into(), "BTC/USD".into()]).await.unwrap();
    (mock, Arc::new(a))
}

fn order(cid: &str, symbol: &str, side: Side, kind: OrderType, qty: Decimal) -> PlaceRequest {
    PlaceRequest {
        client_id: cid.into(),
        symbol: symbol.into(),
        side,
        kind,
        tif: TimeInForce::Gtc,
        qty,
        limit: None,
        stop: None,
        take_profit: None,
        stop_loss: None,
    }
}

fn limit(cid: &str, symbol: &str, side: Side, qty: Decimal, px: Decimal) -> PlaceRequest {
    PlaceRequest {
        limit: Some(px),
        ..order(cid, symbol, side, OrderType::Limit, qty)
    }
}

/// Starts the stream and waits for `Connected`.
async fn stream(a: &Arc<Alpaca>) -> (mpsc::Receiver<StreamEvent>, tokio::task::JoinHandle<()>) {
    let (tx, mut rx) = mpsc::channel(64);
    let a = a.clone();
    let task = tokio::spawn(async move { a.stream(tx).await });
    assert_eq!(next(&mut rx).await, StreamEvent::Connected);
    (rx, task)
}

async fn next(rx: &mut mpsc::Receiver<StreamEvent>) -> StreamEvent {
    tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("a stream event within 5 s")
        .expect("stream channel open")
}

#[tokio::test]
async fn a_market_order_fills_with_exact_decimals() {
    let (mock, a) = setup().await;
    mock.set_price("AAPL", dec!(187.23));
    let placed = a
        .place(&order(
            "omni-m1",
            "AAPL",
            Side::Buy,
            OrderType::Market,
            dec!(3),
        ))
        .await
        .unwrap();
    assert_eq!(placed.client_id, "omni-m1");
    assert_eq!(placed.state, VenueOrderState::New);
    assert_eq!(placed.qty, dec!(3));
    let body = &mock.order_bodies()[0];
    assert_eq!(body["qty"], "3");
    assert_eq!(body["type"], "market");
    assert_eq!(
        body["time_in_force"], "day",
        "equity market orders go as day"
    );
    assert_eq!(body["client_order_id"], "omni-m1");

    let q = a.query("AAPL", "omni-m1").await.unwrap().unwrap();
    assert_eq!(
        (q.state, q.filled, q.venue_id.clone()),
        (VenueOrderState::Filled, dec!(3), placed.venue_id.clone())
    );
    let fills = a.fills("AAPL", &placed.venue_id).await.unwrap();
    assert_eq!(fills.len(), 1);
    let truth = mock.truth();
    assert_eq!(fills[0].trade_id, truth.fills[0].id);
    assert!(fills[0].trade_id.contains("::"), "{}", fills[0].trade_id);
    assert_eq!(
        (fills[0].qty, fills[0].price, fills[0].side),
        (dec!(3), dec!(187.23), Side::Buy)
    );
    assert_eq!(
        (fills[0].fee, fills[0].fee_asset.as_str()),
        (Decimal::ZERO, "USD")
    );
    assert!(fills[0].ts_ms > 1_700_000_000_000);
    let h = a.holdings().await.unwrap();
    assert_eq!(
        h,
        vec![VenueHolding {
            symbol: "AAPL".into(),
            qty: dec!(3),
            avg_price: Some(dec!(187.23))
        }]
    );
    let cash = a.cash().await.unwrap();
    assert_eq!(cash.len(), 1);
    assert_eq!(
        (cash[0].currency.as_str(), cash[0].amount),
        ("USD", dec!(99438.31))
    );
    assert_eq!(cash[0].equity, Some(dec!(100000.00)));
}

#[tokio::test]
async fn a_crypto_market_order_is_gtc_and_fills_fractionally() {
    let (mock, a) = setup().await;
    mock.set_price("BTC/USD", dec!(61234));
    let mut req = order(
        "omni-c1",
        "BTC/USD",
        Side::Buy,
        OrderType::Market,
        dec!(0.0123456789),
    );
    a.conform(&mut req, dec!(61234)).unwrap();
    assert_eq!(req.qty, dec!(0.012345678));
    a.place(&req).await.unwrap();
    assert_eq!(mock.order_bodies()[0]["time_in_force"], "gtc");
    assert_eq!(mock.order_bodies()[0]["symbol"], "BTC/USD");
    let h = a.holdings().await.unwrap();
    assert_eq!(
        (h[0].symbol.as_str(), h[0].qty),
        ("BTC/USD", dec!(0.012345678))
    );
}

#[tokio::test]
async fn a_limit_rests_fills_partly_and_cancels_by_client_id() {
    let (mock, a) = setup().await;
    let placed = a
        .place(&limit(
            "omni-l1",
            "BTC/USD",
            Side::Buy,
            dec!(0.5),
            dec!(59000),
        ))
        .await
        .unwrap();
    assert_eq!(
        (placed.state, placed.limit),
        (VenueOrderState::New, Some(dec!(59000)))
    );
    mock.fill("omni-l1", dec!(0.2), dec!(58999)).unwrap();
    let q = a.query("BTC/USD", "omni-l1").await.unwrap().unwrap();
    assert_eq!(
        (q.state, q.filled),
        (VenueOrderState::PartiallyFilled, dec!(0.2))
    );
    let open = a.open_orders().await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].client_id, "omni-l1");

    a.cancel("BTC/USD", "omni-l1").await.unwrap();
    let q = a.query("BTC/USD", "omni-l1").await.unwrap().unwrap();
    assert_eq!((q.state, q.filled), (VenueOrderState::Cancelled, dec!(0.2)));
    assert_eq!(mock.requests(Endpoint::CancelOrder), 1);
    assert!(a.open_orders().await.unwrap().is_empty());
    let fills = a.fills("BTC/USD", &placed.venue_id).await.unwrap();
    assert_eq!(
        fills.iter().map(|f| (f.qty, f.price)).collect::<Vec<_>>(),
        vec![(dec!(0.2), dec!(58999))]
    );

    match a.cancel("BTC/USD", "omni-l1").await {
        Err(ApiError::Refused { code, message }) => {
            assert_eq!(code, "42210000");
            assert!(message.contains("not cancelable"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        a.cancel("BTC/USD", "never-sent").await,
        Err(ApiError::NotFound)
    );
    assert_eq!(a.query("BTC/USD", "never-sent").await, Ok(None));
}

#[tokio::test]
async fn the_stream_authenticates_listens_and_maps_binary_frames() {
    let (mock, a) = setup().await;
    let (mut rx, _task) = stream(&a).await;
    assert_eq!(mock.stream_connections(), 1);
    mock.set_price("AAPL", dec!(150.5));
    a.place(&order(
        "omni-s1",
        "AAPL",
        Side::Buy,
        OrderType::Market,
        dec!(2),
    ))
    .await
    .unwrap();
    let StreamEvent::Order(new) = next(&mut rx).await else {
        panic!("order event first")
    };
    assert_eq!(
        (new.client_id.as_str(), new.state),
        ("omni-s1", VenueOrderState::New)
    );
    let StreamEvent::Fill(fill) = next(&mut rx).await else {
        panic!("then the fill")
    };
    let truth = mock.truth();
    assert_eq!(fill.trade_id, truth.fills[0].id);
    assert_eq!(fill.client_id.as_deref(), Some("omni-s1"));
    assert_eq!(fill.venue_order_id, new.venue_id);
    assert_eq!(
        (fill.qty, fill.price, fill.fee),
        (dec!(2), dec!(150.5), Decimal::ZERO)
    );
    let StreamEvent::Order(done) = next(&mut rx).await else {
        panic!("then the order")
    };
    assert_eq!(
        (done.state, done.filled),
        (VenueOrderState::Filled, dec!(2))
    );

    // A resting order, a partial fill, then a cancel.
    a.place(&limit("omni-s2", "AAPL", Side::Buy, dec!(4), dec!(149)))
        .await
        .unwrap();
    assert!(
        matches!(next(&mut rx).await, StreamEvent::Order(o) if o.state == VenueOrderState::New)
    );
    mock.fill("omni-s2", dec!(1), dec!(149)).unwrap();
    assert!(matches!(next(&mut rx).await, StreamEvent::Fill(f) if f.qty == dec!(1)));
    assert!(
        matches!(next(&mut rx).await, StreamEvent::Order(o) if o.state == VenueOrderState::PartiallyFilled && o.filled == dec!(1))
    );
    a.cancel("AAPL", "omni-s2").await.unwrap();
    assert!(
        matches!(next(&mut rx).await, StreamEvent::Order(o) if o.state == VenueOrderState::Cancelled)
    );
    assert_eq!(a.malformed_frames(), 0);
}

#[tokio::test]
async fn the_mock_sends_binary_frames_and_refuses_listen_before_auth() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let mock = MockAlpaca::start(KEY, SECRET).await;
    let (mut ws, _) = tokio_tungstenite::connect_async(mock.stream_url())
        .await
        .unwrap();
    ws.send(Message::text(
        r#"{"action":"listen","data":{"streams":["trade_updates"]}}"#,
    ))
    .await
    .unwrap();
    let Some(Ok(Message::Binary(b))) = ws.next().await else {
        panic!("binary reply")
    };
    let v: serde_json::Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(v["stream"], "authorization");
    assert_eq!(v["data"]["status"], "unauthorized");
    assert_eq!(v["data"]["action"], "listen");
}

#[tokio::test]
async fn a_wrong_secret_is_auth_on_rest_and_unauthorized_on_the_stream() {
    let mock = MockAlpaca::start(KEY, SECRET).await;
    let a = Arc::new(client(&mock, "CANARY-WRONG", Duration::from_secs(3)));
    let e = a.prepare(&["AAPL".into()]).await.unwrap_err();
    assert!(
        matches!(&e, ApiError::Auth(m) if m.contains("forbidden")),
        "{e:?}"
    );
    assert!(!format!("{e} {e:?}").contains("CANARY"));
    let e = a
        .place(&order(
            "omni-x",
            "AAPL",
            Side::Buy,
            OrderType::Market,
            dec!(1),
        ))
        .await
        .unwrap_err();
    assert!(matches!(e, ApiError::Auth(_)), "{e:?}");
    assert!(mock.truth().orders.is_empty());

    let (tx, mut rx) = mpsc::channel(8);
    let task = tokio::spawn({
        let a = a.clone();
        async move { a.stream(tx).await }
    });
    let StreamEvent::Disconnected(reason) = next(&mut rx).await else {
        panic!("no Connected")
    };
    assert!(reason.contains("unauthorized"), "{reason}");
    assert!(!reason.contains("CANARY"), "{reason}");
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn a_reused_client_id_is_a_duplicate_even_after_cancel() {
    let (mock, a) = setup().await;
    let req = limit("omni-d1", "AAPL", Side::Buy, dec!(1), dec!(100));
    a.place(&req).await.unwrap();
    assert_eq!(a.place(&req).await, Err(ApiError::DuplicateClientId));
    a.cancel("AAPL", "omni-d1").await.unwrap();
    assert_eq!(a.place(&req).await, Err(ApiError::DuplicateClientId));
    assert_eq!(mock.truth().orders.len(), 1);
    assert_eq!(mock.requests(Endpoint::PlaceOrder), 3);
}

#[tokio::test]
async fn insufficient_buying_power_is_refused_with_its_code() {
    let (mock, a) = setup().await;
    mock.set_cash(dec!(1000));
    let e = a
        .place(&order(
            "omni-b1",
            "AAPL",
            Side::Buy,
            OrderType::Market,
            dec!(100),
        ))
        .await
        .unwrap_err();
    assert_eq!(
        e,
        ApiError::Refused {
            code: "40310000".into(),
            message: "insufficient buying power".into()
        }
    );
    assert!(mock.truth().orders.is_empty());
}

#[tokio::test]
async fn a_429_is_rate_limited_and_later_calls_are_refused_locally() {
    let (mock, a) = setup().await;
    mock.fault(Endpoint::Any, Fault::RateLimit { reset_in_s: 30 });
    let e = a.cash().await.unwrap_err();
    let ApiError::RateLimited { retry_after_ms } = e else {
        panic!("{e:?}")
    };
    assert!(
        (28_000..=31_000).contains(&retry_after_ms),
        "{retry_after_ms}"
    );
    let sent = mock.requests(Endpoint::Any);
    let e = a
        .place(&order(
            "omni-r1",
            "AAPL",
            Side::Buy,
            OrderType::Market,
            dec!(1),
        ))
        .await
        .unwrap_err();
    assert!(
        matches!(e, ApiError::RateLimited { retry_after_ms } if retry_after_ms > 25_000),
        "{e:?}"
    );
    assert!(matches!(
        a.holdings().await,
        Err(ApiError::RateLimited { .. })
    ));
    assert_eq!(
        mock.requests(Endpoint::Any),
        sent,
        "nothing reached the venue"
    );
    assert!(mock.truth().orders.is_empty());
}

#[tokio::test]
async fn a_dropped_reply_is_outcome_unknown_and_query_finds_the_order() {
    let mock = MockAlpaca::start(KEY, SECRET).await;
    let a = client(&mock, SECRET, Duration::from_millis(400));
    a.prepare(&["AAPL".into()]).await.unwrap();
    mock.fault(Endpoint::PlaceOrder, Fault::DropReplyAfterExecute);
    let e = a
        .place(&limit("omni-u1", "AAPL", Side::Buy, dec!(2), dec!(140)))
        .await
        .unwrap_err();
    assert!(matches!(e, ApiError::OutcomeUnknown(_)), "{e:?}");
    let q = a.query("AAPL", "omni-u1").await.unwrap().unwrap();
    assert_eq!(
        (q.state, q.qty, q.limit),
        (VenueOrderState::New, dec!(2), Some(dec!(140)))
    );
}

#[tokio::test]
async fn a_5xx_is_outcome_unknown_with_the_order_placed() {
    let (mock, a) = setup().await;
    for (status, cid) in [(503, "omni-5a"), (504, "omni-5b")] {
        mock.fault(Endpoint::PlaceOrder, Fault::ServerError(status));
        let e = a
            .place(&order(cid, "AAPL", Side::Buy, OrderType::Market, dec!(1)))
            .await
            .unwrap_err();
        assert!(
            matches!(&e, ApiError::OutcomeUnknown(m) if m.contains(&status.to_string())),
            "{e:?}"
        );
        let q = a.query("AAPL", cid).await.unwrap().unwrap();
        assert_eq!(q.state, VenueOrderState::Filled);
    }
}

#[tokio::test]
async fn a_closed_port_is_unreachable() {
    let port = omni_mockvenue::closed_port();
    let a = Alpaca::new(AlpacaConfig {
        rest_url: format!("http://127.0.0.1:{port}"),
        stream_url: format!("ws://127.0.0.1:{port}/stream"),
        credentials: Credentials {
            key: Secret::new(KEY),
            secret: Secret::new(SECRET),
        },
        request_timeout: Duration::from_secs(2),
    })
    .unwrap();
    assert!(matches!(a.cash().await, Err(ApiError::Unreachable(_))));
    let (tx, mut rx) = mpsc::channel(4);
    a.stream(tx).await;
    assert!(
        matches!(rx.recv().await, Some(StreamEvent::Disconnected(r)) if r.starts_with("connect"))
    );
}

#[tokio::test]
async fn conform_rounds_to_the_asset_rules_and_refuses_with_the_rule() {
    let (mock, a) = setup().await;
    let mut r = limit("c", "AAPL", Side::Buy, dec!(2.7), dec!(150.127));
    a.conform(&mut r, dec!(150)).unwrap();
    assert_eq!((r.qty, r.limit), (dec!(2), Some(dec!(150.12))));
    let mut r = limit("c", "AAPL", Side::Sell, dec!(3), dec!(150.121));
    a.conform(&mut r, dec!(150)).unwrap();
    assert_eq!(r.limit, Some(dec!(150.13)));
    let mut r = order("c", "AAPL", Side::Buy, OrderType::Market, dec!(0.5));
    let e = a.conform(&mut r, dec!(150)).unwrap_err();
    assert!(e.contains("whole shares"), "{e}");

    let mut r = limit(
        "c",
        "BTC/USD",
        Side::Buy,
        dec!(0.1234567891234),
        dec!(60000.7),
    );
    a.conform(&mut r, dec!(60000)).unwrap();
    assert_eq!((r.qty, r.limit), (dec!(0.123456789), Some(dec!(60000))));
    let mut r = order("c", "BTC/USD", Side::Buy, OrderType::Market, dec!(0.00005));
    let e = a.conform(&mut r, dec!(60000)).unwrap_err();
    assert!(e.contains("min_order_size 0.0001"), "{e}");
    let mut r = PlaceRequest {
        take_profit: Some(dec!(70000)),
        stop_loss: Some(dec!(50000)),
        ..order("c", "BTC/USD", Side::Buy, OrderType::Market, dec!(0.01))
    };
    let e = a.conform(&mut r, dec!(60000)).unwrap_err();
    assert!(e.contains("bracket"), "{e}");
    let mut r = order("c", "HUGE", Side::Buy, OrderType::Market, Decimal::MAX);
    assert!(a.conform(&mut r, dec!(1)).unwrap_err().contains("prepare"));
    let mut r = order("c", "BTC/USD", Side::Buy, OrderType::Market, Decimal::MAX);
    assert!(
        a.conform(&mut r, dec!(1)).is_err(),
        "an absurd quantity is refused, not a panic"
    );

    mock.set_tradable("AAPL", false);
    a.prepare(&["AAPL".into()]).await.unwrap();
    let mut r = order("c", "AAPL", Side::Buy, OrderType::Market, dec!(1));
    let e = a.conform(&mut r, dec!(150)).unwrap_err();
    assert!(e.contains("not tradable"), "{e}");
}

#[tokio::test]
async fn a_symbol_with_a_slash_is_encoded_on_assets() {
    let mock = MockAlpaca::start(KEY, SECRET).await;
    let a = client(&mock, SECRET, Duration::from_secs(3));
    a.prepare(&["BTC/USD".into()]).await.unwrap();
    assert_eq!(mock.requests(Endpoint::Asset), 1);
    assert_eq!(mock.requests(Endpoint::Unknown), 0);
    // The mock tells an encoded slash from a bare one.
    let bare = reqwest::Client::new()
        .get(format!("{}/v2/assets/BTC/USD", mock.rest_url()))
        .header("APCA-API-KEY-ID", KEY)
        .header("APCA-API-SECRET-KEY", SECRET)
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), 404);
    assert_eq!(mock.requests(Endpoint::Unknown), 1);
    let mut r = order("c", "BTC/USD", Side::Buy, OrderType::Market, dec!(0.5));
    a.conform(&mut r, dec!(60000)).unwrap();
    assert_eq!(r.qty, dec!(0.5), "fractionable rules were loaded");
    let e = a.prepare(&["ETH/USD".into()]).await.unwrap_err();
    assert!(
        matches!(&e, ApiError::Refused { message, .. } if message.contains("ETH/USD")),
        "{e:?}"
    );
}

#[tokio::test]
async fn a_blocked_account_is_refused_by_prepare() {
    let mock = MockAlpaca::start(KEY, SECRET).await;
    mock.set_trading_blocked(true);
    let a = client(&mock, SECRET, Duration::from_secs(3));
    let e = a.prepare(&[]).await.unwrap_err();
    assert!(
        matches!(&e, ApiError::Refused { code, .. } if code == "trading_blocked"),
        "{e:?}"
    );
}

#[tokio::test]
async fn a_bracket_is_sent_with_both_legs() {
    let (mock, a) = setup().await;
    let mut r = PlaceRequest {
        take_profit: Some(dec!(160.004)),
        stop_loss: Some(dec!(140)),
        ..limit("omni-br", "AAPL", Side::Buy, dec!(10), dec!(150))
    };
    a.conform(&mut r, dec!(150)).unwrap();
    a.place(&r).await.unwrap();
    let body = &mock.order_bodies()[0];
    assert_eq!(body["order_class"], "bracket");
    assert_eq!(
        body["take_profit"],
        serde_json::json!({ "limit_price": "160" })
    );
    assert_eq!(
        body["stop_loss"],
        serde_json::json!({ "stop_price": "140" })
    );
    assert_eq!(body["limit_price"], "150");
    let open = a.open_orders().await.unwrap();
    assert_eq!(open.len(), 3, "{open:?}");
    assert_eq!(open[0].client_id, "omni-br");
    assert!(
        open[1..]
            .iter()
            .all(|l| l.side == Side::Sell && l.qty == dec!(10))
    );
    let truth = mock.truth();
    assert_eq!(truth.orders[0].order_class, "bracket");
    assert_eq!(truth.orders[0].legs.len(), 2);
    assert!(truth.orders[1..].iter().all(|l| l.status == "held"));
}

#[tokio::test]
async fn cancel_all_counts_foreign_orders_and_gone_items() {
    let (mock, a) = setup().await;
    a.place(&limit("omni-ca", "AAPL", Side::Buy, dec!(1), dec!(100)))
        .await
        .unwrap();
    mock.place_direct(serde_json::json!({
        "symbol": "BTC/USD", "qty": "0.01", "side": "buy", "type": "limit",
        "time_in_force": "gtc", "limit_price": "50000", "client_order_id": "by-hand"
    }))
    .unwrap();
    mock.fault(Endpoint::CancelAll, Fault::GoneOrder);
    assert_eq!(a.cancel_all().await, Ok(3));
    assert!(mock.truth().orders.iter().all(|o| o.status == "canceled"));
    assert!(a.open_orders().await.unwrap().is_empty());
}

#[tokio::test]
async fn flatten_reports_the_position_alpaca_did_not_close() {
    let (mock, a) = setup().await;
    a.place(&order(
        "omni-f1",
        "AAPL",
        Side::Buy,
        OrderType::Market,
        dec!(5),
    ))
    .await
    .unwrap();
    a.place(&order(
        "omni-f2",
        "BTC/USD",
        Side::Buy,
        OrderType::Market,
        dec!(0.01),
    ))
    .await
    .unwrap();
    a.place(&limit("omni-f3", "AAPL", Side::Buy, dec!(1), dec!(100)))
        .await
        .unwrap();
    let holdings = a.holdings().await.unwrap();
    assert_eq!(holdings.len(), 2);
    let (mut rx, _task) = stream(&a).await;
    mock.set_price("AAPL", dec!(151));
    mock.fault(
        Endpoint::ClosePositions,
        Fault::HeldForOrders("BTC/USD".into()),
    );
    let out = a.flatten(&holdings).await.unwrap();
    assert_eq!(
        out.orders.len(),
        1,
        "AAPL's closing order: {:?}",
        out.orders
    );
    assert_eq!(
        (
            out.orders[0].symbol.as_str(),
            out.orders[0].side,
            out.orders[0].qty
        ),
        ("AAPL", Side::Sell, dec!(5))
    );
    let failed = out.left;
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].0, "BTC/USD");
    assert!(
        failed[0].1.contains("insufficient qty available") && failed[0].1.contains("403"),
        "{}",
        failed[0].1
    );
    let left = a.holdings().await.unwrap();
    assert_eq!(
        left.iter()
            .map(|h| (h.symbol.as_str(), h.qty))
            .collect::<Vec<_>>(),
        vec![("BTC/USD", dec!(0.01))]
    );
    let q = a.query("AAPL", "omni-f3").await.unwrap().unwrap();
    assert_eq!(q.state, VenueOrderState::Cancelled, "cancel_orders=true");
    // The stream sees the cancel, then the closing sell fill at the set price.
    let mut sell_fill = None;
    while sell_fill.is_none() {
        if let StreamEvent::Fill(f) = next(&mut rx).await {
            sell_fill = Some(f);
        }
    }
    let f = sell_fill.unwrap();
    assert_eq!(
        (f.symbol.as_str(), f.side, f.qty, f.price),
        ("AAPL", Side::Sell, dec!(5), dec!(151))
    );
}

#[tokio::test]
async fn a_dropped_stream_ends_with_disconnected() {
    let (mock, a) = setup().await;
    let (mut rx, task) = stream(&a).await;
    mock.drop_streams();
    assert!(matches!(next(&mut rx).await, StreamEvent::Disconnected(_)));
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn malformed_frames_are_counted_and_dropped_and_duplicates_pass_through() {
    let (mock, a) = setup().await;
    let (mut rx, _task) = stream(&a).await;
    mock.send_stream_frame(b"not json {".to_vec());
    mock.send_stream_frame(br#"{"stream":"trade_updates","data":{"event":"fill"}}"#.to_vec());
    mock.send_stream_frame(vec![0xff, 0xfe, 0x00]);
    mock.duplicate_next_fill();
    a.place(&order(
        "omni-mf",
        "AAPL",
        Side::Buy,
        OrderType::Market,
        dec!(1),
    ))
    .await
    .unwrap();
    assert!(
        matches!(next(&mut rx).await, StreamEvent::Order(o) if o.state == VenueOrderState::New)
    );
    let StreamEvent::Fill(f1) = next(&mut rx).await else {
        panic!("fill")
    };
    assert!(
        matches!(next(&mut rx).await, StreamEvent::Order(o) if o.state == VenueOrderState::Filled)
    );
    let StreamEvent::Fill(f2) = next(&mut rx).await else {
        panic!("the same fill again")
    };
    assert_eq!(
        f1, f2,
        "the venue's duplicate is passed on; the manager dedups by trade id"
    );
    assert_eq!(a.malformed_frames(), 3);
}

#[tokio::test]
async fn endpoints_and_symbols() {
    let creds = || Credentials {
        key: Secret::new(KEY),
        secret: Secret::new(SECRET),
    };
    let paper = Alpaca::new(AlpacaConfig::paper(creds())).unwrap();
    assert!(paper.is_test_endpoint());
    assert_eq!(paper.name(), "alpaca");
    assert_eq!(paper.symbol("BTC/USD"), "BTC/USD");
    assert_eq!(paper.symbol("AAPL"), "AAPL");
    let live = Alpaca::new(AlpacaConfig {
        rest_url: "https://api.alpaca.markets".into(),
        stream_url: "wss://api.alpaca.markets/stream".into(),
        ..AlpacaConfig::paper(creds())
    })
    .unwrap();
    assert!(!live.is_test_endpoint());
    let bad = Alpaca::new(AlpacaConfig {
        rest_url: "ftp://x".into(),
        ..AlpacaConfig::paper(creds())
    });
    assert!(bad.is_err());
}
