//! The Binance Spot adapter against the Binance mock on 127.0.0.1: wire
//! formats, error classification, the clock offset, rate limits, faults
//! and the private stream.

use omni_core::domain::{OrderType, Side, TimeInForce};
use omni_live::api::{
    ApiError, PlaceRequest, StreamEvent, VenueApi, VenueHolding, VenueOrderState,
};
use omni_live::binance::{BinanceConfig, BinanceSpot, sign};
use omni_live::secret::{Credentials, Secret};
use omni_mockvenue::binance::{Fault, MockBinance};
use rust_decimal::{Decimal, dec};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

const KEY: &str = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";
const SECRET: &str = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
const INSUFFICIENT: &str = "Account has insufficient balance for requested action.";

fn config(mock: &MockBinance, key: &str, secret: &str) -> BinanceConfig {
    BinanceConfig {
        rest_url: mock.rest_url(),
        ws_api_url: mock.ws_url(),
        credentials: Credentials {
            key: Secret::new(key),
            secret: Secret::new(secret),
        },
        recv_window_ms: 5000,
        request_timeout: Duration::from_millis(500),
        quote_assets: vec!["USDT".into()],
        not_found_grace: Duration::from_millis(30),
    }
}

async fn setup() -> (MockBinance, Arc<BinanceSpot>) {
    let mock = MockBinance::start(KEY, SECRET).await;
    let api = BinanceSpot::new(config(&mock, KEY, SECRET)).unwrap();
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
async fn stream(
    api: &Arc<BinanceSpot>,
) -> (mpsc::Receiver<StreamEvent>, tokio::task::JoinHandle<()>) {
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
fn signature_vectors() {
    let rest = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
    assert_eq!(
        sign::hmac_hex(SECRET, rest),
        "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
    );
    let payload = sign::ws_payload(&[
        ("symbol", "BTCUSDT".into()),
        ("side", "SELL".into()),
        ("type", "LIMIT".into()),
        ("timeInForce", "GTC".into()),
        ("quantity", "0.01000000".into()),
        ("price", "52000.00".into()),
        ("recvWindow", "100".into()),
        ("timestamp", "1645423376532".into()),
        ("apiKey", KEY.into()),
        ("signature", "ignored".into()),
    ]);
    assert_eq!(
        payload,
        format!(
            "apiKey={KEY}&price=52000.00&quantity=0.01000000&recvWindow=100&side=SELL&symbol=BTCUSDT&timeInForce=GTC&timestamp=1645423376532&type=LIMIT"
        )
    );
    assert_eq!(
        sign::sign(&Secret::new(SECRET), &payload),
        "aa1b5712c094bc4e57c05a1a5c1fd8d88dcd628338ea863fec7b88e59fe2db24"
    );
}

#[tokio::test]
async fn names_symbols_and_test_endpoints() {
    let (mock, api) = setup().await;
    assert_eq!(api.name(), "binance");
    assert_eq!(api.symbol("BTC/USDT"), "BTCUSDT");
    assert!(api.is_test_endpoint());
    let mut live = config(&mock, KEY, SECRET);
    live.rest_url = "https://api.binance.com".into();
    assert!(!BinanceSpot::new(live).unwrap().is_test_endpoint());
    assert!(
        BinanceSpot::new(BinanceConfig::testnet(Credentials {
            key: Secret::new("k"),
            secret: Secret::new("s"),
        }))
        .unwrap()
        .is_test_endpoint()
    );
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
    let (o, fills) = api.place_full(&req).await.unwrap();
    assert_eq!(o.state, VenueOrderState::Filled);
    assert_eq!(
        (o.client_id.as_str(), o.qty, o.filled, o.limit),
        ("m1", dec!(0.01), dec!(0.01), None)
    );
    assert_eq!(fills.len(), 1);
    let f = &fills[0];
    assert_eq!(
        (f.qty, f.price, f.fee, f.fee_asset.as_str()),
        (dec!(0.01), dec!(50000.5), dec!(0.00001), "BTC")
    );
    assert_eq!(f.client_id.as_deref(), Some("m1"));
    let trades = api.fills("BTCUSDT", &o.venue_id).await.unwrap();
    assert_eq!(trades.len(), 1);
    assert_eq!(
        (
            trades[0].trade_id.as_str(),
            trades[0].qty,
            trades[0].price,
            trades[0].fee,
            trades[0].side
        ),
        (
            f.trade_id.as_str(),
            dec!(0.01),
            dec!(50000.5),
            dec!(0.00001),
            Side::Buy
        )
    );
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
    let q = api.query("BTCUSDT", "l1").await.unwrap().unwrap();
    assert_eq!(
        (q.state, q.filled),
        (VenueOrderState::Cancelled, dec!(0.04))
    );
    assert_eq!(api.cancel("BTCUSDT", "l1").await, Err(ApiError::NotFound));
    assert_eq!(api.query("BTCUSDT", "nope").await, Ok(None));
    // 0.04 bought at 39999.99, the rest of the reserve released.
    assert_eq!(
        mock.balance("USDT").free,
        dec!(10000) - dec!(0.04) * dec!(39999.99)
    );
    assert_eq!(mock.balance("USDT").locked, dec!(0));
}

#[tokio::test]
async fn the_stream_delivers_orders_and_fills_twice_when_sent_twice() {
    let (mock, api) = setup().await;
    let (mut rx, _task) = stream(&api).await;
    let req = order(
        "s1",
        "BTCUSDT",
        Side::Sell,
        OrderType::Limit,
        dec!(0.02),
        Some(dec!(60000)),
    );
    mock.set_balance("BTC", dec!(1));
    api.place(&req).await.unwrap();
    let StreamEvent::Order(o) = next(&mut rx).await else {
        panic!("expected an order update")
    };
    assert_eq!(
        (o.client_id.as_str(), o.state, o.side),
        ("s1", VenueOrderState::New, Side::Sell)
    );
    mock.fault(Fault::DuplicateNextFill);
    mock.fill("s1", dec!(0.005), dec!(60000)).unwrap();
    let mut fills = Vec::new();
    for _ in 0..4 {
        match next(&mut rx).await {
            StreamEvent::Order(o) => assert_eq!(
                (o.state, o.filled),
                (VenueOrderState::PartiallyFilled, dec!(0.005))
            ),
            StreamEvent::Fill(f) => fills.push(f),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(fills.len(), 2);
    assert_eq!(fills[0], fills[1]);
    let trade = mock.trades().pop().unwrap();
    assert_eq!(fills[0].trade_id, trade.id.to_string());
    assert_eq!(
        (
            fills[0].qty,
            fills[0].price,
            fills[0].fee,
            fills[0].fee_asset.as_str()
        ),
        (dec!(0.005), dec!(60000), dec!(0.3), "USDT")
    );
    assert_eq!(fills[0].client_id.as_deref(), Some("s1"));
    api.cancel("BTCUSDT", "s1").await.unwrap();
    let StreamEvent::Order(o) = next(&mut rx).await else {
        panic!("expected the cancel")
    };
    assert_eq!(
        (o.client_id.as_str(), o.state),
        ("s1", VenueOrderState::Cancelled)
    );
}

#[tokio::test]
async fn a_skewed_venue_clock_is_corrected_by_the_offset() {
    let mock = MockBinance::start(KEY, SECRET).await;
    // Venue 20 s ahead before prepare: the first measurement fixes it.
    mock.set_clock_skew_ms(20_000);
    let api = BinanceSpot::new(config(&mock, KEY, SECRET)).unwrap();
    api.prepare(&["BTCUSDT".into()]).await.unwrap();
    assert!(
        (api.clock_offset_ms() - 20_000).abs() < 500,
        "{}",
        api.clock_offset_ms()
    );
    let req = order(
        "k1",
        "BTCUSDT",
        Side::Buy,
        OrderType::Market,
        dec!(0.001),
        None,
    );
    api.place(&req).await.unwrap();
    assert_eq!(mock.requests("POST /api/v3/order"), 1);
    // The venue's clock jumps back 30 s: -1021, re-sync, one retry.
    mock.set_clock_skew_ms(-10_000);
    let req = order(
        "k2",
        "BTCUSDT",
        Side::Buy,
        OrderType::Market,
        dec!(0.001),
        None,
    );
    let o = api.place(&req).await.unwrap();
    assert_eq!(o.state, VenueOrderState::Filled);
    assert_eq!(mock.requests("POST /api/v3/order"), 3);
    let orders = mock.orders();
    assert_eq!(orders.iter().filter(|o| o.client_id == "k2").count(), 1);
    assert_eq!(orders.len(), 2);
    assert!(
        (api.clock_offset_ms() + 10_000).abs() < 500,
        "{}",
        api.clock_offset_ms()
    );
}

#[tokio::test]
async fn bad_keys_are_auth_errors() {
    let mock = MockBinance::start(KEY, SECRET).await;
    let wrong_secret = BinanceSpot::new(config(&mock, KEY, "not-the-secret")).unwrap();
    let e = wrong_secret.holdings().await.unwrap_err();
    assert_eq!(
        e,
        ApiError::Auth("-1022: Signature for this request is not valid.".into())
    );
    let wrong_key = BinanceSpot::new(config(&mock, "other-key", SECRET)).unwrap();
    let e = wrong_key.open_orders().await.unwrap_err();
    assert_eq!(
        e,
        ApiError::Auth("-2015: Invalid API-key, IP, or permissions for action.".into())
    );
    assert!(!e.to_string().contains(SECRET) && !e.to_string().contains("other-key"));
}

#[tokio::test]
async fn refusals_carry_binance_codes() {
    let (mock, api) = setup().await;
    let big = order("r1", "BTCUSDT", Side::Buy, OrderType::Market, dec!(1), None);
    assert_eq!(
        api.place(&big).await,
        Err(ApiError::Refused {
            code: "-2010".into(),
            message: INSUFFICIENT.into()
        })
    );
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
            code: "-1013".into(),
            message: "Filter failure: NOTIONAL".into()
        })
    );
    let rest = order(
        "r3",
        "BTCUSDT",
        Side::Buy,
        OrderType::Limit,
        dec!(0.001),
        Some(dec!(40000)),
    );
    api.place(&rest).await.unwrap();
    assert_eq!(api.place(&rest).await, Err(ApiError::DuplicateClientId));
    mock.fault(Fault::Reject(-1013, "Filter failure: PRICE_FILTER".into()));
    let r4 = order(
        "r4",
        "BTCUSDT",
        Side::Buy,
        OrderType::Limit,
        dec!(0.001),
        Some(dec!(40000)),
    );
    assert_eq!(
        api.place(&r4).await,
        Err(ApiError::Refused {
            code: "-1013".into(),
            message: "Filter failure: PRICE_FILTER".into()
        })
    );
    assert_eq!(mock.orders().len(), 1);
    assert_eq!(mock.requests("POST /api/v3/order"), 5);
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
    match api.open_orders().await {
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
async fn a_ban_is_rate_limited_too() {
    let (mock, api) = setup().await;
    mock.fault(Fault::Ban { retry_after_s: 120 });
    assert_eq!(
        api.cash().await,
        Err(ApiError::RateLimited {
            retry_after_ms: 120_000
        })
    );
    let before = mock.total_requests();
    assert!(matches!(
        api.cash().await,
        Err(ApiError::RateLimited { .. })
    ));
    assert_eq!(mock.total_requests(), before);
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
}

#[tokio::test]
async fn a_1007_is_outcome_unknown() {
    let (mock, api) = setup().await;
    mock.fault(Fault::ServerError1007);
    let req = order(
        "e1",
        "BTCUSDT",
        Side::Buy,
        OrderType::Limit,
        dec!(0.001),
        Some(dec!(45000)),
    );
    match api.place(&req).await {
        Err(ApiError::OutcomeUnknown(m)) => assert!(m.starts_with("-1007"), "{m}"),
        other => panic!("expected OutcomeUnknown, got {other:?}"),
    }
    let q = api.query("BTCUSDT", "e1").await.unwrap().unwrap();
    assert_eq!(q.state, VenueOrderState::New);
}

#[tokio::test]
async fn an_unreachable_venue_is_unreachable() {
    let mock = MockBinance::start(KEY, SECRET).await;
    let mut cfg = config(&mock, KEY, SECRET);
    cfg.rest_url = format!("http://127.0.0.1:{}", omni_mockvenue::closed_port());
    let api = BinanceSpot::new(cfg).unwrap();
    assert!(matches!(
        api.holdings().await,
        Err(ApiError::Unreachable(_))
    ));
}

#[tokio::test]
async fn conform_rounds_and_refuses_by_filter_name() {
    let (mock, api) = setup().await;
    let mut buy = order(
        "c1",
        "BTCUSDT",
        Side::Buy,
        OrderType::Limit,
        dec!(0.0123456),
        Some(dec!(50000.129)),
    );
    api.conform(&mut buy, dec!(0)).unwrap();
    assert_eq!((buy.qty, buy.limit), (dec!(0.01234), Some(dec!(50000.12))));
    assert_eq!(buy.qty.to_string(), "0.01234");
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
    let mut tiny = order(
        "c3",
        "BTCUSDT",
        Side::Buy,
        OrderType::Market,
        dec!(0.000001),
        None,
    );
    assert_eq!(
        api.conform(&mut tiny, dec!(50000)),
        Err("LOT_SIZE: quantity 0.000001 below minQty 0.00001".into())
    );
    let mut small = order(
        "c4",
        "BTCUSDT",
        Side::Buy,
        OrderType::Market,
        dec!(0.00008),
        None,
    );
    assert_eq!(
        api.conform(&mut small, dec!(40000)),
        Err("NOTIONAL: 3.2 below minNotional 5".into())
    );
    let mut unknown = order("c5", "XRPUSDT", Side::Buy, OrderType::Market, dec!(1), None);
    assert!(api.conform(&mut unknown, dec!(1)).is_err());
    // A symbol that is not trading is refused.
    mock.set_symbol_status("ETHUSDT", "BREAK");
    let fresh = BinanceSpot::new(config(&mock, KEY, SECRET)).unwrap();
    fresh.prepare(&["ETHUSDT".into()]).await.unwrap();
    let mut eth = order(
        "c6",
        "ETHUSDT",
        Side::Buy,
        OrderType::Market,
        dec!(0.01),
        None,
    );
    assert_eq!(
        fresh.conform(&mut eth, dec!(3000)),
        Err("ETHUSDT is not trading (status BREAK)".into())
    );
    // A conformed order is accepted by the venue's own filters.
    let o = api.place(&buy).await.unwrap();
    assert_eq!(o.qty, dec!(0.01234));
}

#[tokio::test]
async fn cancel_all_cancels_orders_we_did_not_place() {
    let (mock, api) = setup().await;
    mock.set_balance("ETH", dec!(1));
    mock.place_direct("BTCUSDT", "BUY", dec!(0.001), dec!(30000))
        .unwrap();
    mock.place_direct("ETHUSDT", "SELL", dec!(0.5), dec!(4000))
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
    assert_eq!(api.open_orders().await.unwrap().len(), 3);
    assert_eq!(api.cancel_all().await, Ok(3));
    assert!(api.open_orders().await.unwrap().is_empty());
    assert!(mock.orders().iter().all(|o| o.status == "CANCELED"));
    assert_eq!(mock.requests("DELETE /api/v3/openOrders"), 2);
    assert_eq!(api.cancel_all().await, Ok(0));
}

#[tokio::test]
async fn flatten_sells_holdings_and_reports_dust() {
    let (mock, api) = setup().await;
    mock.set_balance("BTC", dec!(0.0123456));
    mock.set_balance("ETH", dec!(0.001));
    let holdings = api.holdings().await.unwrap();
    assert_eq!(holdings.len(), 2);
    let out = api.flatten(&holdings).await.unwrap();
    assert_eq!(out.orders.len(), 1, "the BTC sell");
    assert_eq!(out.orders[0].symbol, "BTCUSDT");
    assert_eq!(
        out.left,
        vec![(
            "ETH".to_string(),
            "dust: NOTIONAL: 3 below minNotional 5".to_string()
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
        ("BTCUSDT", "MARKET", dec!(0.01234), "FILLED")
    );
    assert_eq!(mock.balance("BTC").free, dec!(0.0000056));
    assert_eq!(mock.balance("ETH").free, dec!(0.001));
}

#[tokio::test]
async fn a_dropped_stream_ends_with_disconnected() {
    let (mock, api) = setup().await;
    let (mut rx, task) = stream(&api).await;
    assert_eq!(mock.subscribers(), 1);
    mock.fault(Fault::DropStream);
    match next(&mut rx).await {
        StreamEvent::Disconnected(reason) => assert!(reason.contains("closed"), "{reason}"),
        other => panic!("expected Disconnected, got {other:?}"),
    }
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn a_stream_with_a_bad_secret_is_disconnected_without_connecting() {
    let mock = MockBinance::start(KEY, SECRET).await;
    let api = Arc::new(BinanceSpot::new(config(&mock, KEY, "wrong")).unwrap());
    let (tx, mut rx) = mpsc::channel(8);
    api.stream(tx).await;
    assert_eq!(
        next(&mut rx).await,
        StreamEvent::Disconnected(
            "subscribe refused: -1022 Signature for this request is not valid.".into()
        )
    );
}

#[tokio::test]
async fn malformed_frames_are_counted_and_dropped() {
    let (mock, api) = setup().await;
    let (mut rx, _task) = stream(&api).await;
    mock.send_raw_ws("{not json");
    mock.send_raw_ws(r#"{"subscriptionId":0,"event":{"e":"executionReport","x":"TRADE"}}"#);
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

#[tokio::test]
async fn heavy_weight_holds_back_queries_but_not_orders() {
    let (mock, api) = setup().await;
    // The gate holds for the rest of the venue's minute: start well inside
    // one, so the minute cannot roll between the two requests.
    loop {
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis()
            % 60_000;
        if (1_000..55_000).contains(&ms) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // 5400 of 6000 is 90%: one more weighted answer puts us above it.
    mock.set_used_weight(5400);
    api.holdings().await.unwrap();
    let before = mock.total_requests();
    assert!(matches!(
        api.open_orders().await,
        Err(ApiError::RateLimited { .. })
    ));
    assert_eq!(mock.total_requests(), before);
    let req = order(
        "w1",
        "BTCUSDT",
        Side::Buy,
        OrderType::Market,
        dec!(0.001),
        None,
    );
    assert_eq!(
        api.place(&req).await.unwrap().state,
        VenueOrderState::Filled
    );
    assert_eq!(mock.requests("POST /api/v3/order"), 1);
}
