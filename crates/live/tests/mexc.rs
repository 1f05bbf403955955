//! The MEXC spot adapter against the MEXC mock on 127.0.0.1: the doc's
//! signature vectors, authentication, symbol rules applied before
//! sending, orders, error classification, rate limits, faults, the
//! protobuf private stream; and the order manager over it, through a kill
//! switch that ends with the venue flat.

#[path = "support/reports.rs"]
mod reports;
#[path = "support/order.rs"]
mod support;

use omni_core::domain::{
    AccountId, InstrumentId, OrderId, OrderPurpose, OrderType, Side, TimeInForce, Timestamp,
    VenueId,
};
use omni_core::execution::{Broker, ExecutionReport};
use omni_live::api::{
    ApiError, PlaceRequest, StreamEvent, VenueApi, VenueHolding, VenueOrderState,
};
use omni_live::journal::{Journal, JournalState};
use omni_live::mexc::{MexcConfig, MexcSpot, sign};
use omni_live::secret::{Credentials, Secret};
use omni_live::{LiveBroker, LiveInstrument, LiveSettings};
use omni_mockvenue::mexc::{Fault, MockMexc};
use reports::{fills, flat, reports_until};
use rust_decimal::{Decimal, dec};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// The key and secret of MEXC's worked signature examples.
const KEY: &str = "mx0aBYs33eIilxBWC5";
const SECRET: &str = "45d0b3c26f2644f19bfb98b07741b2f5";

fn config(mock: &MockMexc, key: &str, secret: &str) -> MexcConfig {
    MexcConfig {
        rest_url: mock.rest_url(),
        ws_url: mock.ws_url(),
        request_timeout: Duration::from_millis(500),
        not_found_grace: Duration::from_millis(30),
        ..MexcConfig::new(Credentials {
            key: Secret::new(key),
            secret: Secret::new(secret),
        })
    }
}

async fn setup() -> (MockMexc, Arc<MexcSpot>) {
    let mock = MockMexc::start(KEY, SECRET).await;
    let api = MexcSpot::new(config(&mock, KEY, SECRET)).unwrap();
    api.prepare(&["BTCUSDT".into(), "ETHUSDT".into()])
        .await
        .unwrap();
    (mock, Arc::new(api))
}

fn order(
    id: &str,
    symbol: &str,
    side: Side,
    kind: OrderType,
    qty: Decimal,
    limit: Option<Decimal>,
) -> PlaceRequest {
    PlaceRequest {
        client_id: id.into(),
        symbol: symbol.into(),
        side,
        kind,
        tif: TimeInForce::Gtc,
        qty,
        limit,
        stop: None,
        take_profit: None,
        stop_loss: None,
    }
}

/// Starts the stream and waits for `Connected`.
async fn stream(api: &Arc<MexcSpot>) -> (mpsc::Receiver<StreamEvent>, tokio::task::JoinHandle<()>) {
    let (tx, mut rx) = mpsc::channel(64);
    let a = Arc::clone(api);
    let task = tokio::spawn(async move { a.stream(tx).await });
    assert_eq!(next(&mut rx).await, StreamEvent::Connected);
    (rx, task)
}

async fn next(rx: &mut mpsc::Receiver<StreamEvent>) -> StreamEvent {
    tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("a stream event in time")
        .expect("the stream is open")
}

#[test]
fn signature_vectors_from_the_doc() {
    // Example 2 (query string); the doc's Example 1 prints a signature
    // that does not reproduce for the same payload.
    let query = "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=11&recvWindow=5000&timestamp=1644489390087";
    assert_eq!(
        sign::sign(&Secret::new(SECRET), query),
        "fd3e4e8543c5188531eb7279d68ae7d26a573d0fc5ab0d18eb692451654d837a"
    );
    // Example 3: query then body, no `&` between them.
    let mixed = sign::total_params(
        "symbol=BTCUSDT&side=BUY&type=LIMIT",
        "quantity=1&price=11&recvWindow=5000&timestamp=1644489390087",
    );
    assert_eq!(
        sign::hmac_hex(SECRET, &mixed),
        "d1a676610ceb39174c8039b3f548357994b2a34139a8addd33baadba65684592"
    );
}

#[tokio::test]
async fn names_symbols_and_only_a_local_endpoint_is_a_test() {
    let (mock, api) = setup().await;
    assert_eq!(api.name(), "mexc");
    assert_eq!(api.symbol("BTC/USDT"), "BTCUSDT");
    assert!(!api.closes_positions());
    assert!(api.is_test_endpoint());
    // MEXC has no testnet: its real endpoints are always live.
    let real = MexcSpot::new(MexcConfig::new(Credentials {
        key: Secret::new("k"),
        secret: Secret::new("s"),
    }))
    .unwrap();
    assert!(!real.is_test_endpoint());
    let mut half = config(&mock, KEY, SECRET);
    half.ws_url = "wss://wbs-api.mexc.com/ws".into();
    assert!(!MexcSpot::new(half).unwrap().is_test_endpoint());
}

#[tokio::test]
async fn a_market_order_fills_with_exact_decimals() {
    let (mock, api) = setup().await;
    mock.set_price("BTCUSDT", dec!(50000.5));
    let req = order(
        "m1",
        "BTCUSDT",
        Side::Buy,
        OrderType::Market,
        dec!(0.01),
        None,
    );
    let o = api.place(&req).await.unwrap();
    assert_eq!(o.state, VenueOrderState::Filled);
    assert_eq!(
        (o.client_id.as_str(), o.qty, o.filled, o.limit),
        ("m1", dec!(0.01), dec!(0.01), None)
    );
    assert!(o.venue_id.starts_with("C02__"), "{}", o.venue_id);
    let trades = api.fills("BTCUSDT", &o.venue_id).await.unwrap();
    assert_eq!(trades.len(), 1);
    let t = &trades[0];
    assert_eq!(
        (t.qty, t.price, t.fee, t.fee_asset.as_str(), t.side),
        (dec!(0.01), dec!(50000.5), dec!(0.00001), "BTC", Side::Buy)
    );
    assert_eq!(t.trade_id, mock.trades()[0].id);
    assert_eq!(t.client_id.as_deref(), Some("m1"));
    let cash = api.cash().await.unwrap();
    assert_eq!(
        (cash[0].currency.as_str(), cash[0].amount),
        ("USDT", dec!(9499.995))
    );
    let h = api.holdings().await.unwrap();
    assert_eq!(
        h,
        vec![VenueHolding {
            symbol: "BTC".into(),
            qty: dec!(0.00999),
            avg_price: None
        }]
    );
    assert_eq!(mock.requests("POST /api/v3/order"), 1);
}

#[tokio::test]
async fn a_limit_rests_fills_partially_and_is_cancelled() {
    let (mock, api) = setup().await;
    let req = order(
        "l1",
        "BTCUSDT",
        Side::Buy,
        OrderType::Limit,
        dec!(0.1),
        Some(dec!(40000)),
    );
    let o = api.place(&req).await.unwrap();
    assert_eq!(
        (o.state, o.filled, o.limit),
        (VenueOrderState::New, dec!(0), Some(dec!(40000)))
    );
    assert_eq!(mock.balance("USDT").locked, dec!(4000));
    mock.fill("l1", dec!(0.04), dec!(39999.99)).unwrap();
    let q = api.query("BTCUSDT", "l1").await.unwrap().unwrap();
    assert_eq!(
        (q.state, q.filled),
        (VenueOrderState::PartiallyFilled, dec!(0.04))
    );
    let open = api.open_orders().await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].client_id, "l1");
    api.cancel("BTCUSDT", "l1").await.unwrap();
    // Cancelled after a fill: MEXC's PARTIALLY_CANCELED.
    let q = api.query("BTCUSDT", "l1").await.unwrap().unwrap();
    assert_eq!(
        (q.state, q.filled),
        (VenueOrderState::Cancelled, dec!(0.04))
    );
    assert_eq!(mock.orders()[0].status, "PARTIALLY_CANCELED");
    assert_eq!(api.cancel("BTCUSDT", "l1").await, Err(ApiError::NotFound));
    assert_eq!(api.query("BTCUSDT", "nope").await, Ok(None));
    assert_eq!(
        mock.balance("USDT").free,
        dec!(10000) - dec!(0.04) * dec!(39999.99)
    );
    assert_eq!(mock.balance("USDT").locked, dec!(0));
}

#[tokio::test]
async fn bad_keys_are_auth_errors_without_the_secret() {
    let mock = MockMexc::start(KEY, SECRET).await;
    let wrong_secret = MexcSpot::new(config(&mock, KEY, "not-the-secret")).unwrap();
    let e = wrong_secret.holdings().await.unwrap_err();
    assert_eq!(
        e,
        ApiError::Auth("700002: Signature for this request is not valid.".into())
    );
    let wrong_key = MexcSpot::new(config(&mock, "other-key", SECRET)).unwrap();
    let e = wrong_key.cash().await.unwrap_err();
    assert_eq!(e, ApiError::Auth("10072: Api key info invalid".into()));
    let text = format!("{e} {e:?}");
    assert!(
        !text.contains(SECRET) && !text.contains("other-key"),
        "{text}"
    );
}

#[tokio::test]
async fn the_rules_refuse_before_sending_and_round_to_mexc_precision() {
    let (mock, api) = setup().await;
    let r = api.rules("BTCUSDT").unwrap();
    assert_eq!(
        (r.step, r.tick, r.min_qty, r.min_value),
        (dec!(0.000001), dec!(0.01), dec!(0.000001), dec!(5))
    );
    let mut buy = order(
        "c1",
        "BTCUSDT",
        Side::Buy,
        OrderType::Limit,
        dec!(0.01234567),
        Some(dec!(50000.129)),
    );
    api.conform(&mut buy, dec!(0)).unwrap();
    assert_eq!((buy.qty, buy.limit), (dec!(0.012345), Some(dec!(50000.12))));
    let mut sell = order(
        "c2",
        "BTCUSDT",
        Side::Sell,
        OrderType::Limit,
        dec!(0.01),
        Some(dec!(50000.121)),
    );
    api.conform(&mut sell, dec!(0)).unwrap();
    assert_eq!(sell.limit, Some(dec!(50000.13)));
    let mut small = order(
        "c3",
        "BTCUSDT",
        Side::Buy,
        OrderType::Market,
        dec!(0.00008),
        None,
    );
    assert_eq!(
        api.conform(&mut small, dec!(40000)),
        Err("quoteAmountPrecisionMarket: value 3.2 below 5 USDT".into())
    );
    let mut tiny = order(
        "c4",
        "BTCUSDT",
        Side::Buy,
        OrderType::Market,
        dec!(0.0000001),
        None,
    );
    assert_eq!(
        api.conform(&mut tiny, dec!(50000)),
        Err("baseSizePrecision: quantity 0.0000001 below 0.000001".into())
    );
    let mut stop = order(
        "c5",
        "BTCUSDT",
        Side::Sell,
        OrderType::Stop,
        dec!(0.1),
        None,
    );
    assert!(api.conform(&mut stop, dec!(50000)).is_err());
    let mut unknown = order("c6", "XRPUSDT", Side::Buy, OrderType::Market, dec!(1), None);
    assert!(api.conform(&mut unknown, dec!(1)).is_err());
    // A paused symbol is refused.
    mock.set_symbol_status("ETHUSDT", "2");
    let fresh = MexcSpot::new(config(&mock, KEY, SECRET)).unwrap();
    fresh.prepare(&["ETHUSDT".into()]).await.unwrap();
    let mut eth = order(
        "c7",
        "ETHUSDT",
        Side::Buy,
        OrderType::Market,
        dec!(0.01),
        None,
    );
    assert_eq!(
        fresh.conform(&mut eth, dec!(3000)),
        Err("ETHUSDT is not trading (status 2)".into())
    );
    assert_eq!(mock.requests("POST /api/v3/order"), 0);
    // A conformed order is accepted by the venue's own checks.
    let o = api.place(&buy).await.unwrap();
    assert_eq!(o.qty, dec!(0.012345));
}

#[tokio::test]
async fn refusals_carry_mexc_codes() {
    let (mock, api) = setup().await;
    let big = order("r1", "BTCUSDT", Side::Buy, OrderType::Market, dec!(1), None);
    assert_eq!(
        api.place(&big).await,
        Err(ApiError::Refused {
            code: "30004".into(),
            message: "Insufficient position".into()
        })
    );
    // Sent without conform: the venue's own minimum.
    let small = order(
        "r2",
        "BTCUSDT",
        Side::Buy,
        OrderType::Limit,
        dec!(0.0001),
        Some(dec!(40000)),
    );
    assert_eq!(
        api.place(&small).await,
        Err(ApiError::Refused {
            code: "30002".into(),
            message: "The minimum transaction volume cannot be less than:5USDT".into()
        })
    );
    mock.fault(Fault::Reject(
        30029,
        "Cannot exceed the maximum order limit".into(),
    ));
    let r3 = order(
        "r3",
        "BTCUSDT",
        Side::Buy,
        OrderType::Limit,
        dec!(0.001),
        Some(dec!(40000)),
    );
    assert_eq!(
        api.place(&r3).await,
        Err(ApiError::Refused {
            code: "30029".into(),
            message: "Cannot exceed the maximum order limit".into()
        })
    );
    let bad = order(
        "r4",
        "NOPEUSDT",
        Side::Buy,
        OrderType::Market,
        dec!(1),
        None,
    );
    assert!(matches!(
        api.place(&bad).await,
        Err(ApiError::Refused { code, .. }) if code == "10007"
    ));
    assert!(mock.orders().is_empty());
    assert_eq!(mock.requests("POST /api/v3/order"), 4);
}

#[tokio::test]
async fn a_symbol_mexc_does_not_list_blocks_nothing_else() {
    let mock = MockMexc::start(KEY, SECRET).await;
    let api = MexcSpot::new(config(&mock, KEY, SECRET)).unwrap();
    api.prepare(&["BTCUSDT".into(), "NOPEUSDT".into()])
        .await
        .unwrap();
    assert!(api.rules("BTCUSDT").is_some() && api.rules("NOPEUSDT").is_none());
    let mut nope = order(
        "u1",
        "NOPEUSDT",
        Side::Buy,
        OrderType::Market,
        dec!(1),
        None,
    );
    assert_eq!(
        api.conform(&mut nope, dec!(1)),
        Err("no rules for NOPEUSDT: not prepared".into())
    );
    mock.place_direct("BTCUSDT", "BUY", dec!(0.001), dec!(30000))
        .unwrap();
    assert_eq!(api.open_orders().await.unwrap().len(), 1);
    assert_eq!(api.cancel_all().await, Ok(1));
}

#[tokio::test]
async fn a_429_stops_all_sending_until_retry_after() {
    let (mock, api) = setup().await;
    mock.fault(Fault::RateLimit { retry_after_s: 3 });
    assert_eq!(
        api.holdings().await,
        Err(ApiError::RateLimited {
            retry_after_ms: 3000
        })
    );
    let before = mock.total_requests();
    match api.query("BTCUSDT", "x").await {
        Err(ApiError::RateLimited { retry_after_ms }) => {
            assert!(retry_after_ms > 2000 && retry_after_ms <= 3000)
        }
        other => panic!("expected a local refusal, got {other:?}"),
    }
    let req = order(
        "x1",
        "BTCUSDT",
        Side::Buy,
        OrderType::Market,
        dec!(0.001),
        None,
    );
    assert!(matches!(
        api.place(&req).await,
        Err(ApiError::RateLimited { .. })
    ));
    assert_eq!(mock.total_requests(), before);
    assert_eq!(mock.requests("POST /api/v3/order"), 0);
}

#[tokio::test]
async fn a_reply_dropped_after_execution_is_outcome_unknown_then_found_by_query() {
    let (mock, api) = setup().await;
    mock.fault(Fault::DropReplyAfterExecute);
    let req = order(
        "d1",
        "BTCUSDT",
        Side::Buy,
        OrderType::Market,
        dec!(0.002),
        None,
    );
    match api.place(&req).await {
        Err(ApiError::OutcomeUnknown(m)) => assert!(m.contains("timed out"), "{m}"),
        other => panic!("expected OutcomeUnknown, got {other:?}"),
    }
    let q = api.query("BTCUSDT", "d1").await.unwrap().unwrap();
    assert_eq!((q.state, q.filled), (VenueOrderState::Filled, dec!(0.002)));
    assert_eq!(mock.requests("POST /api/v3/order"), 1);
    assert_eq!(mock.orders().len(), 1);
}

#[tokio::test]
async fn a_503_is_outcome_unknown_and_the_order_is_there() {
    let (mock, api) = setup().await;
    mock.fault(Fault::ServerErrorAfterExecute);
    let req = order(
        "e1",
        "BTCUSDT",
        Side::Buy,
        OrderType::Limit,
        dec!(0.001),
        Some(dec!(45000)),
    );
    match api.place(&req).await {
        Err(ApiError::OutcomeUnknown(m)) => assert!(m.contains("503"), "{m}"),
        other => panic!("expected OutcomeUnknown, got {other:?}"),
    }
    let q = api.query("BTCUSDT", "e1").await.unwrap().unwrap();
    assert_eq!(q.state, VenueOrderState::New);
}

#[tokio::test]
async fn an_unreachable_venue_is_unreachable() {
    let mock = MockMexc::start(KEY, SECRET).await;
    let mut cfg = config(&mock, KEY, SECRET);
    cfg.rest_url = format!("http://127.0.0.1:{}", omni_mockvenue::closed_port());
    let api = MexcSpot::new(cfg).unwrap();
    assert!(matches!(
        api.holdings().await,
        Err(ApiError::Unreachable(_))
    ));
}

#[tokio::test]
async fn a_skewed_venue_clock_is_corrected_by_the_offset() {
    let mock = MockMexc::start(KEY, SECRET).await;
    mock.set_clock_skew_ms(20_000);
    let api = MexcSpot::new(config(&mock, KEY, SECRET)).unwrap();
    api.prepare(&["BTCUSDT".into()]).await.unwrap();
    assert!(
        (api.clock_offset_ms() - 20_000).abs() < 500,
        "{}",
        api.clock_offset_ms()
    );
    // The venue's clock jumps back 30 s: 700003, re-sync, one retry.
    mock.set_clock_skew_ms(-10_000);
    let req = order(
        "k1",
        "BTCUSDT",
        Side::Buy,
        OrderType::Market,
        dec!(0.001),
        None,
    );
    let o = api.place(&req).await.unwrap();
    assert_eq!(o.state, VenueOrderState::Filled);
    assert_eq!(mock.requests("POST /api/v3/order"), 2);
    assert_eq!(mock.orders().len(), 1);
}

#[tokio::test]
async fn open_orders_include_ones_made_by_hand() {
    let (mock, api) = setup().await;
    mock.place_direct("BTCUSDT", "BUY", dec!(0.001), dec!(30000))
        .unwrap();
    // A sell resting on a symbol omni-tui never traded: found through the
    // base asset's locked balance.
    mock.add_symbol("SOL", "USDT", dec!(150));
    mock.set_balance("SOL", dec!(2));
    let sol = mock
        .place_direct("SOLUSDT", "SELL", dec!(1), dec!(200))
        .unwrap();
    let ours = order(
        "o1",
        "BTCUSDT",
        Side::Buy,
        OrderType::Limit,
        dec!(0.001),
        Some(dec!(31000)),
    );
    api.place(&ours).await.unwrap();
    let open = api.open_orders().await.unwrap();
    assert_eq!(open.len(), 3, "{open:?}");
    let by_hand = open.iter().find(|o| o.symbol == "SOLUSDT").unwrap();
    // No client id of ours: named by MEXC's order id.
    assert_eq!(
        (by_hand.client_id.as_str(), by_hand.side, by_hand.qty),
        (sol.as_str(), Side::Sell, dec!(1))
    );
    assert!(open.iter().any(|o| o.client_id == "o1"));
}

#[tokio::test]
async fn cancel_all_covers_several_symbols_five_a_request() {
    let (mock, api) = setup().await;
    let mut symbols = vec!["BTCUSDT".to_string(), "ETHUSDT".to_string()];
    for base in ["SOL", "XRP", "ADA", "DOGE"] {
        mock.add_symbol(base, "USDT", dec!(10));
        symbols.push(format!("{base}USDT"));
    }
    mock.set_balance("USDT", dec!(1000000));
    api.prepare(&symbols).await.unwrap();
    for (i, s) in symbols.iter().enumerate() {
        let price = if s == "BTCUSDT" || s == "ETHUSDT" {
            dec!(100)
        } else {
            dec!(5)
        };
        api.place(&order(
            &format!("ca{i}"),
            s,
            Side::Buy,
            OrderType::Limit,
            dec!(2),
            Some(price),
        ))
        .await
        .unwrap();
    }
    mock.place_direct("ETHUSDT", "BUY", dec!(1), dec!(100))
        .unwrap();
    assert_eq!(api.open_orders().await.unwrap().len(), 7);
    assert_eq!(api.cancel_all().await, Ok(7));
    assert!(api.open_orders().await.unwrap().is_empty());
    assert!(mock.orders().iter().all(|o| o.status == "CANCELED"));
    // Six symbols: one request of five, one of one.
    assert_eq!(mock.requests("DELETE /api/v3/openOrders"), 2);
    assert_eq!(api.cancel_all().await, Ok(0));
    assert_eq!(mock.requests("DELETE /api/v3/openOrders"), 2);
}

#[tokio::test]
async fn flatten_sells_a_holding_and_reports_dust() {
    let (mock, api) = setup().await;
    mock.set_balance("BTC", dec!(0.01234567));
    mock.set_balance("ETH", dec!(0.001));
    let holdings = api.holdings().await.unwrap();
    assert_eq!(holdings.len(), 2);
    let out = api.flatten(&holdings).await.unwrap();
    assert_eq!(out.orders.len(), 1, "the BTC sell: {out:?}");
    assert_eq!(
        (out.orders[0].symbol.as_str(), out.orders[0].state),
        ("BTCUSDT", VenueOrderState::Filled)
    );
    assert_eq!(
        out.left,
        vec![(
            "ETH".to_string(),
            "dust: quoteAmountPrecisionMarket: value 3 below 5 USDT".to_string()
        )]
    );
    let sells: Vec<_> = mock
        .orders()
        .into_iter()
        .filter(|o| o.side == "SELL")
        .collect();
    assert_eq!(sells.len(), 1);
    assert_eq!(
        (
            sells[0].symbol.as_str(),
            sells[0].kind.as_str(),
            sells[0].qty,
            sells[0].status.as_str()
        ),
        ("BTCUSDT", "MARKET", dec!(0.012345), "FILLED")
    );
    assert_eq!(mock.balance("BTC").free, dec!(0.00000067));
    assert_eq!(mock.balance("ETH").free, dec!(0.001));
}

#[tokio::test]
async fn the_stream_pushes_orders_and_fills_in_protobuf() {
    let (mock, api) = setup().await;
    let (mut rx, _task) = stream(&api).await;
    assert_eq!((mock.subscribers(), mock.listen_keys()), (1, 1));
    mock.set_balance("BTC", dec!(1));
    let req = order(
        "s1",
        "BTCUSDT",
        Side::Sell,
        OrderType::Limit,
        dec!(0.02),
        Some(dec!(60000)),
    );
    api.place(&req).await.unwrap();
    let StreamEvent::Order(o) = next(&mut rx).await else {
        panic!("expected an order update")
    };
    assert_eq!(
        (o.client_id.as_str(), o.state, o.side, o.limit),
        ("s1", VenueOrderState::New, Side::Sell, Some(dec!(60000)))
    );
    mock.fault(Fault::DuplicateNextFill);
    mock.fill("s1", dec!(0.005), dec!(60000)).unwrap();
    let mut fills = Vec::new();
    for _ in 0..3 {
        match next(&mut rx).await {
            StreamEvent::Order(o) => assert_eq!(
                (o.state, o.filled),
                (VenueOrderState::PartiallyFilled, dec!(0.005))
            ),
            StreamEvent::Fill(f) => fills.push(f),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(fills.len(), 2, "the deal pushed twice");
    assert_eq!(fills[0], fills[1]);
    let trade = mock.trades().pop().unwrap();
    assert_eq!(fills[0].trade_id, trade.id);
    assert_eq!(
        (
            fills[0].qty,
            fills[0].price,
            fills[0].fee,
            fills[0].fee_asset.as_str(),
            fills[0].client_id.as_deref()
        ),
        (dec!(0.005), dec!(60000), dec!(0.3), "USDT", Some("s1"))
    );
    api.cancel("BTCUSDT", "s1").await.unwrap();
    let StreamEvent::Order(o) = next(&mut rx).await else {
        panic!("expected the cancel")
    };
    assert_eq!(
        (o.client_id.as_str(), o.state, o.filled),
        ("s1", VenueOrderState::Cancelled, dec!(0.005))
    );
}

#[tokio::test]
async fn a_dropped_stream_ends_with_disconnected_and_closes_its_key() {
    let (mock, api) = setup().await;
    let (mut rx, task) = stream(&api).await;
    mock.fault(Fault::DropStream);
    match next(&mut rx).await {
        StreamEvent::Disconnected(reason) => assert!(reason.contains("closed"), "{reason}"),
        other => panic!("expected Disconnected, got {other:?}"),
    }
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(mock.listen_keys(), 0);
    assert_eq!(mock.requests("DELETE /api/v3/userDataStream"), 1);
}

#[tokio::test]
async fn a_stream_with_a_bad_secret_never_connects() {
    let mock = MockMexc::start(KEY, SECRET).await;
    let api = Arc::new(MexcSpot::new(config(&mock, KEY, "wrong")).unwrap());
    let (tx, mut rx) = mpsc::channel(8);
    api.stream(tx).await;
    assert_eq!(
        next(&mut rx).await,
        StreamEvent::Disconnected(
            "listenKey: authentication refused: 700002: Signature for this request is not valid."
                .into()
        )
    );
}

#[tokio::test]
async fn malformed_frames_are_counted_and_dropped() {
    let (mock, api) = setup().await;
    let (mut rx, _task) = stream(&api).await;
    mock.send_raw_ws(&[0xff, 0x01, 0x02]);
    mock.send_raw_text_ws("{not json");
    let req = order(
        "f1",
        "BTCUSDT",
        Side::Buy,
        OrderType::Limit,
        dec!(0.001),
        Some(dec!(40000)),
    );
    api.place(&req).await.unwrap();
    let StreamEvent::Order(o) = next(&mut rx).await else {
        panic!("expected the order")
    };
    assert_eq!(o.client_id, "f1");
    assert_eq!(api.malformed_frames(), 2);
}

/// An order manager over the MEXC adapter on this mock, trading BTC/USDT.
fn broker(mock: &MockMexc, db: &std::path::Path, timeout: Duration) -> LiveBroker {
    let api = MexcSpot::new(MexcConfig {
        request_timeout: timeout,
        ..config(mock, KEY, SECRET)
    })
    .unwrap();
    let mut s = LiveSettings::new(
        AccountId(0),
        "USDT",
        vec![LiveInstrument {
            id: InstrumentId(0),
            name: "BTC/USDT".into(),
            venue: VenueId(0),
            min_qty: dec!(0.000001),
        }],
        db.to_path_buf(),
    );
    s.refresh = Duration::from_millis(300);
    s.resolve_first = Duration::from_millis(100);
    LiveBroker::start(api, s).unwrap()
}

/// The order manager over the MEXC adapter: an order journaled, accepted
/// and filled once (the deal pushed twice on the stream), then K as the
/// engine sends it (cancel-all, which also cancels an order made by hand,
/// and the engine's own flatten sell) ends with the venue flat.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_order_manager_fills_once_and_the_kill_switch_ends_venue_flat() {
    let mock = MockMexc::start(KEY, SECRET).await;
    mock.set_price("BTCUSDT", dec!(60000));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("omni.db");
    let mut b = broker(&mock, &db, Duration::from_secs(5));
    reports_until(&mut b, Duration::from_secs(5), |r| r.iter().any(flat)).await;
    // Stream up before the order, so the duplicate deal reaches it.
    tokio::time::timeout(Duration::from_secs(5), async {
        while mock.subscribers() == 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the stream subscribed");

    mock.fault(Fault::DuplicateNextFill);
    let buy = support::order(
        1,
        0,
        Side::Buy,
        OrderType::Market,
        dec!(0.01),
        None,
        dec!(60000),
    );
    b.submit(&buy, Timestamp(1)).unwrap();
    let reports = reports_until(&mut b, Duration::from_secs(10), |r| !fills(r).is_empty()).await;
    let later = reports_until(&mut b, Duration::from_millis(800), |_| false).await;
    let accepted = reports
        .iter()
        .chain(later.iter())
        .filter(|r| {
            matches!(
                r,
                ExecutionReport::Accepted {
                    order_id: OrderId(1),
                    ..
                }
            )
        })
        .count();
    assert_eq!(accepted, 1, "{reports:?}");
    let mut booked = fills(&reports);
    booked.extend(fills(&later));
    assert_eq!(
        booked,
        vec![(OrderId(1), dec!(0.01), dec!(60000))],
        "{reports:?} {later:?}"
    );
    assert_eq!(mock.duplicate_fills(), 1);
    assert_eq!(mock.requests("POST /api/v3/order"), 1);
    let j = Journal::open(&db).unwrap();
    let row = &j.orders("mexc").unwrap()[0];
    assert_eq!(
        (row.state, row.filled, row.sends),
        (JournalState::Filled, dec!(0.01), 1)
    );

    // A resting order of ours and one made by hand on MEXC's site.
    let rest = support::order(
        2,
        0,
        Side::Buy,
        OrderType::Limit,
        dec!(0.01),
        Some(dec!(50000)),
        dec!(50000),
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
    mock.place_direct("BTCUSDT", "BUY", dec!(0.001), dec!(40000))
        .unwrap();

    // K: cancel everything at the venue, then the engine's flatten sell of
    // what the book holds (0.01 less the 0.1 % fee MEXC kept in BTC).
    b.cancel_all(AccountId(0), Timestamp(2)).unwrap();
    let mut sell = support::order(
        3,
        0,
        Side::Sell,
        OrderType::Market,
        dec!(0.00999),
        None,
        dec!(60000),
    );
    sell.purpose = OrderPurpose::Flatten;
    b.submit(&sell, Timestamp(2)).unwrap();
    let reports = reports_until(&mut b, Duration::from_secs(15), |r| r.iter().any(flat)).await;
    let first_flat = reports.iter().position(flat).expect("never flat");
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
    assert_eq!(
        fills(&reports[..first_flat]),
        vec![(OrderId(3), dec!(0.00999), dec!(60000))],
        "{reports:?}"
    );
    assert!(mock.orders().iter().all(|o| !o.is_open()));
    let btc = mock.balance("BTC");
    assert!((btc.free + btc.locked).is_zero(), "{btc:?}");
}

/// A reply lost after MEXC placed the order (MEXC is not known to refuse a
/// repeated client id): the order stays in flight until a query by its
/// client id finds it, and is never sent twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_reply_is_resolved_by_query_and_never_sent_twice() {
    let mock = MockMexc::start(KEY, SECRET).await;
    mock.set_price("BTCUSDT", dec!(60000));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("omni.db");
    let mut b = broker(&mock, &db, Duration::from_millis(400));
    reports_until(&mut b, Duration::from_secs(5), |r| r.iter().any(flat)).await;
    mock.fault(Fault::DropReplyAfterExecute);
    let buy = support::order(
        7,
        0,
        Side::Buy,
        OrderType::Market,
        dec!(0.01),
        None,
        dec!(60000),
    );
    b.submit(&buy, Timestamp(1)).unwrap();
    let reports = reports_until(&mut b, Duration::from_secs(10), |r| !fills(r).is_empty()).await;
    assert_eq!(
        fills(&reports),
        vec![(OrderId(7), dec!(0.01), dec!(60000))],
        "{reports:?}"
    );
    reports_until(&mut b, Duration::from_secs(5), |_| {
        Journal::open(&db).unwrap().orders("mexc").unwrap()[0].state == JournalState::Filled
    })
    .await;
    let o = &Journal::open(&db).unwrap().orders("mexc").unwrap()[0];
    assert_eq!((o.state, o.sends), (JournalState::Filled, 1));
    assert_eq!(mock.requests("POST /api/v3/order"), 1, "never sent again");
    assert_eq!(mock.orders().len(), 1);
}

/// MEXC's refusal (insufficient balance) is reported with its reason and
/// never sent again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_is_rejected_with_mexcs_reason_and_never_resent() {
    let mock = MockMexc::start(KEY, SECRET).await;
    mock.set_price("BTCUSDT", dec!(60000));
    mock.set_balance("USDT", dec!(10));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("omni.db");
    let mut b = broker(&mock, &db, Duration::from_secs(5));
    let buy = support::order(
        4,
        0,
        Side::Buy,
        OrderType::Market,
        dec!(0.01),
        None,
        dec!(60000),
    );
    b.submit(&buy, Timestamp(1)).unwrap();
    let reports = reports_until(&mut b, Duration::from_secs(10), |r| {
        r.iter()
            .any(|r| matches!(r, ExecutionReport::Rejected { .. }))
    })
    .await;
    let reason = reports
        .iter()
        .find_map(|r| match r {
            ExecutionReport::Rejected { reason, .. } => Some(reason.clone()),
            _ => None,
        })
        .expect("rejected");
    assert!(
        reason.contains("30004") && reason.contains("Insufficient position"),
        "{reason}"
    );
    reports_until(&mut b, Duration::from_millis(500), |_| false).await;
    assert_eq!(mock.requests("POST /api/v3/order"), 1);
    assert_eq!(
        Journal::open(&db).unwrap().orders("mexc").unwrap()[0].state,
        JournalState::Rejected
    );
}

/// After a crash the journal's in-flight orders are resolved by query:
/// one MEXC placed is booked, one that never reached MEXC is rejected, and
/// neither is sent (again).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_crash_in_flight_orders_are_resolved_by_query_and_never_resent() {
    use omni_live::journal::JournalOrder;
    let mock = MockMexc::start(KEY, SECRET).await;
    mock.set_price("BTCUSDT", dec!(60000));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("omni.db");
    // The previous run committed two orders and died: one reached MEXC
    // (and filled), the other never left.
    let api = MexcSpot::new(config(&mock, KEY, SECRET)).unwrap();
    api.prepare(&["BTCUSDT".into()]).await.unwrap();
    let sent = order(
        "om0-21-1",
        "BTCUSDT",
        Side::Buy,
        OrderType::Market,
        dec!(0.01),
        None,
    );
    api.place(&sent).await.unwrap();
    let j = Journal::open(&db).unwrap();
    for (id, client_id) in [(21, "om0-21-1"), (22, "om0-22-1")] {
        j.insert(
            &JournalOrder {
                client_id: client_id.into(),
                order_id: id,
                account: 0,
                broker: "mexc".into(),
                symbol: "BTCUSDT".into(),
                side: "BUY".into(),
                qty: dec!(0.01),
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
    let posts = mock.requests("POST /api/v3/order");
    let mut b = broker(&mock, &db, Duration::from_secs(5));
    let reports = reports_until(&mut b, Duration::from_secs(10), |r| {
        !fills(r).is_empty()
            && r.iter()
                .any(|r| matches!(r, ExecutionReport::Rejected { .. }))
    })
    .await;
    assert_eq!(
        fills(&reports),
        vec![(OrderId(21), dec!(0.01), dec!(60000))],
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
    assert_eq!(mock.requests("POST /api/v3/order"), posts, "nothing resent");
    assert_eq!(
        j.order("om0-21-1").unwrap().unwrap().state,
        JournalState::Filled
    );
    assert_eq!(
        j.order("om0-22-1").unwrap().unwrap().state,
        JournalState::Rejected
    );
}
