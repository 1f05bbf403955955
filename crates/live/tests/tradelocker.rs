//! The TradeLocker adapter against the mock TradeLocker on 127.0.0.1:
//! login, refresh and `accNum`, rows read by the config's columns,
//! orders with stop loss and take profit, outcome-unknown placement,
//! positions and account state, rate limits, the kill-switch calls, the
//! polling stream, and one order through the order manager.
//!
//! The adapter's seam counts units (EUR of EURUSD, as the engine does);
//! the mock counts lots of 100 000 (EURUSD, GBPUSD) or 100 (XAUUSD), as
//! TradeLocker does: 0.1 lot is 10 000 units here.

#[path = "support/reports.rs"]
mod reports;
#[path = "support/order.rs"]
mod support;

use reports::{flat, reports_until};

use omni_core::domain::{
    AccountId, InstrumentId, OrderId, OrderType, Side, TimeInForce, Timestamp, VenueId,
};
use omni_core::execution::{Broker, ExecutionReport};
use omni_live::api::{
    ApiError, PlaceRequest, StreamEvent, VenueApi, VenueHolding, VenueOrderState,
};
use omni_live::secret::Secret;
use omni_live::tradelocker::{TradeLocker, TradeLockerConfig};
use omni_live::{LiveBroker, LiveInstrument, LiveSettings};
use omni_mockvenue::tradelocker::{Endpoint, Fault, MockTradeLocker};
use rust_decimal::Decimal;
use rust_decimal::dec;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

const EMAIL: &str = "trader@example.com";
const PASSWORD: &str = "CANARY-PASSWORD-77";
const SERVER: &str = "OSP-DEMO";

fn config(mock: &MockTradeLocker, password: &str, timeout: Duration) -> TradeLockerConfig {
    TradeLockerConfig {
        rest_url: mock.rest_url(),
        request_timeout: timeout,
        poll: Duration::from_millis(50),
        ..TradeLockerConfig::demo(EMAIL, Secret::new(password), SERVER)
    }
}

async fn setup_with(timeout: Duration) -> (MockTradeLocker, Arc<TradeLocker>) {
    let mock = MockTradeLocker::start(EMAIL, PASSWORD, SERVER).await;
    mock.set_price("EURUSD", dec!(1.1000));
    mock.set_price("GBPUSD", dec!(1.2500));
    let a = TradeLocker::new(config(&mock, PASSWORD, timeout)).unwrap();
    a.prepare(&["EURUSD".into(), "GBPUSD".into()])
        .await
        .unwrap();
    (mock, Arc::new(a))
}

async fn setup() -> (MockTradeLocker, Arc<TradeLocker>) {
    setup_with(Duration::from_secs(3)).await
}

fn market(cid: &str, side: Side, qty: Decimal) -> PlaceRequest {
    PlaceRequest {
        client_id: cid.into(),
        symbol: "EURUSD".into(),
        side,
        kind: OrderType::Market,
        tif: TimeInForce::Gtc,
        qty,
        limit: None,
        stop: None,
        take_profit: None,
        stop_loss: None,
    }
}

fn limit(cid: &str, side: Side, qty: Decimal, px: Decimal) -> PlaceRequest {
    PlaceRequest {
        kind: OrderType::Limit,
        limit: Some(px),
        ..market(cid, side, qty)
    }
}

async fn next(rx: &mut mpsc::Receiver<StreamEvent>) -> StreamEvent {
    tokio::time::timeout(Duration::from_secs(3), rx.recv())
        .await
        .expect("a stream event within 3 s")
        .expect("stream channel open")
}

/// Logs in by hand and returns the access token.
async fn raw_login(mock: &MockTradeLocker) -> String {
    let r = reqwest::Client::new()
        .post(format!("{}/auth/jwt/token", mock.rest_url()))
        .header("Content-Type", "application/json")
        .body(
            serde_json::json!({"email": EMAIL, "password": PASSWORD, "server": SERVER}).to_string(),
        )
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let r: serde_json::Value = serde_json::from_slice(&r).unwrap();
    r["accessToken"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn login_picks_the_active_account_and_every_trade_call_carries_acc_num() {
    let (mock, a) = setup().await;
    assert!(a.is_test_endpoint());
    assert_eq!(a.name(), "tradelocker");
    assert_eq!(a.symbol("EUR/USD"), "EURUSD");
    a.holdings().await.unwrap();
    a.cash().await.unwrap();
    a.open_orders().await.unwrap();
    assert_eq!(mock.requests(Endpoint::Login), 1);
    assert_eq!(mock.requests(Endpoint::AllAccounts), 1);
    assert_eq!(mock.requests(Endpoint::Config), 1);
    assert_eq!(mock.requests(Endpoint::Instruments), 1);
    // Each traded instrument's details once (its contract size).
    assert_eq!(mock.requests(Endpoint::InstrumentDetails), 2);
    assert_eq!((mock.bad_acc_num(), mock.unauthorized()), (0, 0));

    // The mock refuses a trade call without accNum, and its columns are
    // not in the notes' order (`id` first there).
    let token = raw_login(&mock).await;
    let http = reqwest::Client::new();
    let url = format!("{}/trade/accounts/2200766/positions", mock.rest_url());
    let r = http
        .get(&url)
        .header("Authorization", format!("Bearer {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(mock.bad_acc_num(), 1);
    let cfg = http
        .get(format!("{}/trade/config", mock.rest_url()))
        .header("Authorization", format!("Bearer {token}"))
        .header("accNum", "1")
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let cfg: serde_json::Value = serde_json::from_slice(&cfg).unwrap();
    assert_eq!(cfg["s"], "ok");
    assert_ne!(cfg["d"]["ordersConfig"]["columns"][0]["id"], "id");
    assert_ne!(cfg["d"]["positionsConfig"]["columns"][0]["id"], "id");
    assert_ne!(
        cfg["d"]["accountDetailsConfig"]["columns"][0]["id"],
        "balance"
    );
}

#[tokio::test]
async fn an_expired_token_is_refreshed_and_secrets_never_reach_an_error() {
    let mock = MockTradeLocker::start(EMAIL, PASSWORD, SERVER).await;
    mock.set_token_lifetime(Duration::from_millis(1500));
    let a = TradeLocker::new(config(&mock, PASSWORD, Duration::from_secs(2))).unwrap();
    a.prepare(&["EURUSD".into()]).await.unwrap();
    assert_eq!(mock.requests(Endpoint::Refresh), 0);
    // Past the token's life: refreshed before the request.
    tokio::time::sleep(Duration::from_millis(1600)).await;
    a.holdings().await.unwrap();
    assert_eq!(mock.requests(Endpoint::Refresh), 1);
    // A 401 on a token the adapter believes good: refresh, send again.
    mock.set_token_lifetime(Duration::from_secs(3600));
    mock.fault(Endpoint::Positions, Fault::ExpiredToken);
    let before = mock.requests(Endpoint::Positions);
    a.holdings().await.unwrap();
    assert_eq!(mock.requests(Endpoint::Positions), before + 2);
    assert_eq!(mock.requests(Endpoint::Refresh), 2);

    // Errors name neither the password nor a token.
    let mut errors = Vec::new();
    let wrong =
        TradeLocker::new(config(&mock, "CANARY-WRONG-PASS", Duration::from_secs(2))).unwrap();
    let e = wrong.prepare(&["EURUSD".into()]).await.unwrap_err();
    assert!(matches!(e, ApiError::Auth(_)), "{e:?}");
    errors.push(format!("{e} {e:?}"));
    mock.fault(Endpoint::Positions, Fault::ExpiredToken);
    mock.fault(Endpoint::Refresh, Fault::ServerError(502));
    errors.push(format!("{:?}", a.holdings().await.unwrap_err()));
    mock.fault(Endpoint::State, Fault::ServerError(503));
    errors.push(format!("{:?}", a.cash().await.unwrap_err()));
    let cfg = config(&mock, PASSWORD, Duration::from_secs(1));
    errors.push(format!("{cfg:?}"));
    let tokens = mock.issued_tokens();
    assert!(tokens.len() >= 6);
    for text in &errors {
        assert!(!text.contains("CANARY"), "{text}");
        for t in &tokens {
            assert!(!text.contains(t.as_str()), "a token in {text}");
        }
    }
}

#[tokio::test]
async fn rows_follow_the_config_columns_and_numbers_read_either_way() {
    let (mock, a) = setup().await;
    // Several rows, so each number goes out as a string in one row and a
    // JSON number in the next.
    for (i, px) in [dec!(1.0501), dec!(1.04125), dec!(1.0333)]
        .iter()
        .enumerate()
    {
        a.place(&limit(&format!("omni-r{i}"), Side::Buy, dec!(37000), *px))
            .await
            .unwrap();
    }
    let open = a.open_orders().await.unwrap();
    let got: Vec<(String, Decimal, Option<Decimal>, VenueOrderState)> = open
        .iter()
        .map(|o| (o.client_id.clone(), o.qty, o.limit, o.state))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "omni-r0".into(),
                dec!(37000),
                Some(dec!(1.0501)),
                VenueOrderState::New
            ),
            (
                "omni-r1".into(),
                dec!(37000),
                Some(dec!(1.04125)),
                VenueOrderState::New
            ),
            (
                "omni-r2".into(),
                dec!(37000),
                Some(dec!(1.0333)),
                VenueOrderState::New
            ),
        ]
    );
    assert!(
        open.iter()
            .all(|o| o.symbol == "EURUSD" && o.side == Side::Buy)
    );
    let truth = mock.truth();
    assert_eq!(open[1].venue_id, truth.orders[1].id);
}

#[tokio::test]
async fn a_market_order_with_stop_loss_and_take_profit_fills_and_is_found_by_strategy_id() {
    let (mock, a) = setup().await;
    let mut req = PlaceRequest {
        stop_loss: Some(dec!(1.0900)),
        take_profit: Some(dec!(1.1100)),
        ..market("om0-1-1764660000", Side::Buy, dec!(10400))
    };
    a.conform(&mut req, dec!(1.1)).unwrap();
    assert_eq!(req.qty, dec!(10000));
    let placed = a.place(&req).await.unwrap();
    assert_eq!(placed.state, VenueOrderState::New);
    let body: serde_json::Value = serde_json::from_str(&mock.order_bodies()[0]).unwrap();
    assert_eq!(body["strategyId"], "om0-1-1764660000");
    assert_eq!(body["validity"], "IOC");
    assert_eq!(body["type"], "market");
    assert_eq!(body["qty"], "0.1");
    assert_eq!(body["routeId"], "7010");
    assert_eq!(body["tradableInstrumentId"], "206");
    assert_eq!(body["stopLossType"], "absolute");
    assert_eq!(body["takeProfitType"], "absolute");
    assert!(mock.order_bodies()[0].contains(r#""stopLoss":1.09,"#));

    let q = a
        .query("EURUSD", "om0-1-1764660000")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (q.state, q.filled, q.venue_id.as_str()),
        (
            VenueOrderState::Filled,
            dec!(10000),
            placed.venue_id.as_str()
        )
    );
    let fills = a.fills("EURUSD", &placed.venue_id).await.unwrap();
    let truth = mock.truth();
    assert_eq!(fills.len(), 1);
    assert_eq!(fills[0].trade_id, truth.executions[0].id);
    assert_eq!(
        (fills[0].qty, fills[0].price, fills[0].side, fills[0].fee),
        (dec!(10000), dec!(1.1), Side::Buy, Decimal::ZERO)
    );
    assert_eq!(fills[0].fee_asset, "USD");
    // The protective orders rest at the broker, made by TradeLocker.
    let open = a.open_orders().await.unwrap();
    assert_eq!(open.len(), 2);
    assert!(
        open.iter()
            .all(|o| o.client_id == o.venue_id && o.side == Side::Sell)
    );
    let h = a.holdings().await.unwrap();
    assert_eq!(
        h,
        vec![VenueHolding {
            symbol: "EURUSD".into(),
            qty: dec!(10000),
            avg_price: Some(dec!(1.1))
        }]
    );
    // The take profit closes the position at the broker.
    mock.set_price("EURUSD", dec!(1.1120));
    assert!(a.holdings().await.unwrap().is_empty());
    assert!(a.open_orders().await.unwrap().is_empty());
    assert_eq!(mock.truth().figures.balance, dec!(100100));
}

#[tokio::test]
async fn prices_reach_the_broker_on_the_tick_of_its_details_on_the_safe_side() {
    let (mock, a) = setup().await;
    // A buy: the limit down, the stop loss up (toward the entry), the
    // take profit up; EURUSD's tick is 0.00001 in its details.
    let mut buy = PlaceRequest {
        stop_loss: Some(dec!(1.0900049)),
        take_profit: Some(dec!(1.1200051)),
        ..limit("omni-t1", Side::Buy, dec!(1000), dec!(1.0951239))
    };
    a.conform(&mut buy, dec!(1.1)).unwrap();
    a.place(&buy).await.unwrap();
    let sent = &mock.order_bodies()[0];
    for part in [
        r#""price":1.09512,"#,
        r#""stopLoss":1.09001,"#,
        r#""takeProfit":1.12001,"#,
        r#""qty":"0.01""#,
    ] {
        assert!(sent.contains(part), "{part} not in {sent}");
    }
    // A sell: the limit up, the stop loss and take profit down.
    let mut sell = PlaceRequest {
        stop_loss: Some(dec!(1.1200051)),
        take_profit: Some(dec!(1.0900049)),
        ..limit("omni-t2", Side::Sell, dec!(2000), dec!(1.1051231))
    };
    a.conform(&mut sell, dec!(1.1)).unwrap();
    a.place(&sell).await.unwrap();
    let sent = &mock.order_bodies()[1];
    for part in [
        r#""price":1.10513,"#,
        r#""stopLoss":1.12,"#,
        r#""takeProfit":1.09,"#,
        r#""qty":"0.02""#,
    ] {
        assert!(sent.contains(part), "{part} not in {sent}");
    }
    let truth = mock.truth();
    assert_eq!(truth.orders[1].price, Some(dec!(1.10513)));
    // A quantity that is not whole lot steps never leaves unconformed.
    let e = a
        .place(&market("omni-t3", Side::Buy, dec!(1500)))
        .await
        .unwrap_err();
    assert!(
        matches!(e, ApiError::Refused { ref code, ref message } if code == "lot_size" && message.contains("not a whole number of lot steps")),
        "{e:?}"
    );
    assert_eq!(mock.requests(Endpoint::PlaceOrder), 2);
}

#[tokio::test]
async fn without_a_tick_from_the_broker_the_catalogs_tick_rounds() {
    let mock = MockTradeLocker::start(EMAIL, PASSWORD, SERVER).await;
    mock.hide_detail("EURUSD", "tickSize");
    let a = TradeLocker::new(TradeLockerConfig {
        tick_sizes: [("EUR/USD".to_string(), dec!(0.0001))]
            .into_iter()
            .collect(),
        ..config(&mock, PASSWORD, Duration::from_secs(3))
    })
    .unwrap();
    a.prepare(&["EURUSD".into()]).await.unwrap();
    let mut buy = limit("omni-c1", Side::Buy, dec!(1000), dec!(1.09519));
    a.conform(&mut buy, dec!(1.1)).unwrap();
    assert_eq!(buy.limit, Some(dec!(1.0951)));
    let mut sell = limit("omni-c2", Side::Sell, dec!(1000), dec!(1.09511));
    a.conform(&mut sell, dec!(1.1)).unwrap();
    assert_eq!(sell.limit, Some(dec!(1.0952)));
}

#[tokio::test]
async fn an_error_envelope_is_refused_and_nothing_is_placed() {
    let (mock, a) = setup().await;
    mock.fault(
        Endpoint::PlaceOrder,
        Fault::ErrorEnvelope("Insufficient margin".into()),
    );
    let e = a
        .place(&market("omni-e1", Side::Buy, dec!(10000)))
        .await
        .unwrap_err();
    assert_eq!(
        e,
        ApiError::Refused {
            code: "error".into(),
            message: "Insufficient margin".into()
        }
    );
    assert!(mock.truth().orders.is_empty());
    // The mock's own refusal, for a size beyond the margin (30 lots at
    // 1:30 need 110 000 of the 100 000).
    let e = a
        .place(&market("omni-e2", Side::Buy, dec!(3000000)))
        .await
        .unwrap_err();
    assert!(
        matches!(e, ApiError::Refused { ref message, .. } if message == "Insufficient margin"),
        "{e:?}"
    );
    assert_eq!(a.query("EURUSD", "omni-e2").await, Ok(None));

    // A login that fails before the order leaves: known not placed.
    let fresh = TradeLocker::new(config(&mock, PASSWORD, Duration::from_secs(2))).unwrap();
    mock.fault(Endpoint::Login, Fault::ServerError(502));
    let e = fresh
        .place(&market("omni-e3", Side::Buy, dec!(10000)))
        .await
        .unwrap_err();
    assert!(matches!(e, ApiError::Unreachable(_)), "{e:?}");
    assert_eq!(mock.requests(Endpoint::PlaceOrder), 2);
}

#[tokio::test]
async fn a_dropped_reply_is_outcome_unknown_and_the_query_finds_the_one_order() {
    let (mock, a) = setup_with(Duration::from_millis(400)).await;
    mock.fault(Endpoint::PlaceOrder, Fault::DropReplyAfterExecute);
    let e = a
        .place(&market("omni-d1", Side::Buy, dec!(20000)))
        .await
        .unwrap_err();
    assert!(matches!(e, ApiError::OutcomeUnknown(_)), "{e:?}");
    let q = a.query("EURUSD", "omni-d1").await.unwrap().unwrap();
    assert_eq!((q.state, q.filled), (VenueOrderState::Filled, dec!(20000)));
    assert_eq!(mock.requests(Endpoint::PlaceOrder), 1);
    let tagged = mock
        .truth()
        .orders
        .iter()
        .filter(|o| o.strategy_id.as_deref() == Some("omni-d1"))
        .count();
    assert_eq!(tagged, 1);
    // The order manager resends an id only when the venue seemed not to
    // have it; the adapter looks first and, finding it, sends nothing.
    assert_eq!(
        a.place(&market("omni-d1", Side::Buy, dec!(20000))).await,
        Err(ApiError::DuplicateClientId)
    );
    assert_eq!(mock.requests(Endpoint::PlaceOrder), 1);

    // A 5xx after acting is unknown too, and also never re-posted.
    mock.fault(Endpoint::PlaceOrder, Fault::ServerError(502));
    let e = a
        .place(&limit("omni-d2", Side::Buy, dec!(10000), dec!(1.05)))
        .await
        .unwrap_err();
    assert!(
        matches!(e, ApiError::OutcomeUnknown(ref m) if m.contains("502")),
        "{e:?}"
    );
    assert_eq!(mock.requests(Endpoint::PlaceOrder), 2);
    let q = a.query("EURUSD", "omni-d2").await.unwrap().unwrap();
    assert_eq!(q.state, VenueOrderState::New);
}

#[tokio::test]
async fn a_resting_order_is_cancelled_by_its_client_id() {
    let (mock, a) = setup().await;
    a.place(&limit("omni-c1", Side::Buy, dec!(50000), dec!(1.0800)))
        .await
        .unwrap();
    a.cancel("EURUSD", "omni-c1").await.unwrap();
    assert_eq!(mock.requests(Endpoint::CancelOrder), 1);
    assert_eq!(mock.truth().orders[0].status, "Cancelled");
    let q = a.query("EURUSD", "omni-c1").await.unwrap().unwrap();
    assert_eq!(q.state, VenueOrderState::Cancelled);
    assert!(matches!(
        a.cancel("EURUSD", "omni-c1").await,
        Err(ApiError::Refused { .. })
    ));
    assert_eq!(
        a.cancel("EURUSD", "never-sent").await,
        Err(ApiError::NotFound)
    );
}

#[tokio::test]
async fn open_orders_include_one_made_by_hand() {
    let (mock, a) = setup().await;
    a.place(&limit("omni-o1", Side::Sell, dec!(30000), dec!(1.2000)))
        .await
        .unwrap();
    let by_hand = mock
        .place_by_hand("GBPUSD", "buy", "stop", dec!(1), Some(dec!(1.3)))
        .unwrap();
    let open = a.open_orders().await.unwrap();
    assert_eq!(open.len(), 2);
    assert_eq!(open[0].client_id, "omni-o1");
    assert_eq!(
        (
            open[1].client_id.as_str(),
            open[1].venue_id.as_str(),
            open[1].symbol.as_str()
        ),
        (by_hand.as_str(), by_hand.as_str(), "GBPUSD")
    );
    assert_eq!(open[1].limit, None);
}

#[tokio::test]
async fn holdings_net_several_positions_per_instrument() {
    let (mock, a) = setup().await;
    a.place(&market("omni-h1", Side::Buy, dec!(30000)))
        .await
        .unwrap();
    mock.set_price("EURUSD", dec!(1.1040));
    a.place(&market("omni-h2", Side::Buy, dec!(10000)))
        .await
        .unwrap();
    a.place(&market("omni-h3", Side::Sell, dec!(5000)))
        .await
        .unwrap();
    a.place(&PlaceRequest {
        symbol: "GBPUSD".into(),
        ..market("omni-h4", Side::Sell, dec!(20000))
    })
    .await
    .unwrap();
    assert_eq!(mock.truth().positions.len(), 4);
    let h = a.holdings().await.unwrap();
    assert_eq!(
        h,
        vec![
            VenueHolding {
                symbol: "EURUSD".into(),
                qty: dec!(35000),
                avg_price: Some(dec!(1.101))
            },
            VenueHolding {
                symbol: "GBPUSD".into(),
                qty: dec!(-20000),
                avg_price: Some(dec!(1.25))
            },
        ]
    );
}

#[tokio::test]
async fn the_account_state_gives_cash_equity_and_margin() {
    let (mock, a) = setup().await;
    mock.set_balance(dec!(50000));
    a.place(&market("omni-s1", Side::Buy, dec!(100000)))
        .await
        .unwrap();
    mock.set_price("EURUSD", dec!(1.1050));
    let cash = a.cash().await.unwrap();
    assert_eq!(cash.len(), 1);
    let c = &cash[0];
    assert_eq!((c.currency.as_str(), c.amount), ("USD", dec!(50000)));
    // 1 lot of 100 000 EUR up 50 pips; margin at 1:30.
    assert_eq!(c.equity, Some(dec!(50500)));
    assert_eq!(c.margin_used, Some(dec!(3683.33)));
    assert_eq!(c.margin_available, Some(dec!(46816.67)));
    // A loss on the broker's side shows at once in its equity.
    mock.set_price("EURUSD", dec!(1.0800));
    let c = &a.cash().await.unwrap()[0];
    assert_eq!(c.equity, Some(dec!(48000)));
}

#[tokio::test]
async fn polling_stays_within_the_routes_rate_limits() {
    let mock = MockTradeLocker::start(EMAIL, PASSWORD, SERVER).await;
    mock.set_price("EURUSD", dec!(1.1));
    mock.set_rate_limit("GET_ORDERS", 3, Duration::from_secs(1));
    mock.set_rate_limit("GET_ORDERS_HISTORY", 2, Duration::from_secs(1));
    mock.set_rate_limit("GET_EXECUTIONS", 2, Duration::from_secs(1));
    let a = Arc::new(TradeLocker::new(config(&mock, PASSWORD, Duration::from_secs(3))).unwrap());
    a.prepare(&["EURUSD".into()]).await.unwrap();
    let (tx, mut rx) = mpsc::channel(256);
    let s = a.clone();
    let task = tokio::spawn(async move { s.stream(tx).await });
    assert_eq!(next(&mut rx).await, StreamEvent::Connected);
    // The poll asks every 50 ms; the order manager's own reads compete.
    let until = Instant::now() + Duration::from_millis(1600);
    let mut n = 0;
    while Instant::now() < until {
        a.place(&market(&format!("omni-rl{n}"), Side::Buy, dec!(1000)))
            .await
            .unwrap();
        a.open_orders().await.unwrap();
        n += 1;
    }
    task.abort();
    for e in [
        Endpoint::Orders,
        Endpoint::OrdersHistory,
        Endpoint::Executions,
    ] {
        assert_eq!(mock.throttled(e), 0, "{e:?}");
    }
    assert!(mock.max_in_window(Endpoint::Orders, Duration::from_secs(1)) <= 3);
    assert!(mock.max_in_window(Endpoint::OrdersHistory, Duration::from_secs(1)) <= 2);
    assert!(
        mock.requests(Endpoint::Orders) >= 4,
        "{}",
        mock.requests(Endpoint::Orders)
    );
}

#[tokio::test]
async fn cancel_all_cancels_ours_and_hand_made_orders() {
    let (mock, a) = setup().await;
    a.place(&limit("omni-k1", Side::Buy, dec!(10000), dec!(1.05)))
        .await
        .unwrap();
    mock.place_by_hand("EURUSD", "sell", "limit", dec!(0.2), Some(dec!(1.2)))
        .unwrap();
    assert_eq!(a.cancel_all().await.unwrap(), 2);
    assert_eq!(mock.requests(Endpoint::CancelAll), 1);
    assert!(a.open_orders().await.unwrap().is_empty());
    assert!(mock.truth().orders.iter().all(|o| o.status == "Cancelled"));
}

#[tokio::test]
async fn flatten_closes_every_position_and_a_recheck_shows_none() {
    let (mock, a) = setup().await;
    assert!(a.closes_positions());
    for (cid, side, qty) in [
        ("omni-f1", Side::Buy, dec!(30000)),
        ("omni-f2", Side::Buy, dec!(10000)),
        ("omni-f3", Side::Sell, dec!(20000)),
    ] {
        a.place(&market(cid, side, qty)).await.unwrap();
    }
    a.place(&PlaceRequest {
        symbol: "GBPUSD".into(),
        stop_loss: Some(dec!(1.2)),
        ..market("omni-f4", Side::Buy, dec!(50000))
    })
    .await
    .unwrap();
    let held = a.holdings().await.unwrap();
    assert_eq!(held.len(), 2);
    let out = a.flatten(&held).await.unwrap();
    assert!(out.left.is_empty(), "{:?}", out.left);
    assert_eq!(out.orders.len(), 4);
    assert!(
        out.orders
            .iter()
            .all(|o| o.client_id == o.venue_id && o.state == VenueOrderState::Filled)
    );
    assert_eq!(mock.requests(Endpoint::CloseAll), 1);
    // A close TradeLocker made is found by its own id.
    let close = &out.orders[0];
    let q = a.query("EURUSD", &close.client_id).await.unwrap().unwrap();
    assert_eq!((q.state, q.filled), (VenueOrderState::Filled, close.qty));
    let f = a.fills(&close.symbol, &close.venue_id).await.unwrap();
    assert_eq!(f.len(), 1);
    assert!(a.holdings().await.unwrap().is_empty());
    assert!(mock.truth().positions.is_empty());
    // The stop loss of the GBPUSD position went with it.
    assert!(a.open_orders().await.unwrap().is_empty());
    // Nothing held: nothing sent.
    let out = a.flatten(&[]).await.unwrap();
    assert_eq!((out.orders.len(), out.left.len()), (0, 0));
    assert_eq!(mock.requests(Endpoint::CloseAll), 1);
}

#[tokio::test]
async fn the_poll_stream_sends_connected_orders_fills_and_disconnected() {
    let (mock, a) = setup_with(Duration::from_millis(300)).await;
    let (tx, mut rx) = mpsc::channel(64);
    let s = a.clone();
    let task = tokio::spawn(async move { s.stream(tx).await });
    assert_eq!(next(&mut rx).await, StreamEvent::Connected);

    let placed = a
        .place(&limit("omni-p1", Side::Buy, dec!(40000), dec!(1.0950)))
        .await
        .unwrap();
    let StreamEvent::Order(o) = next(&mut rx).await else {
        panic!("an order event")
    };
    assert_eq!(
        (o.client_id.as_str(), o.state, o.venue_id.as_str()),
        ("omni-p1", VenueOrderState::New, placed.venue_id.as_str())
    );
    mock.set_price("EURUSD", dec!(1.0940));
    let StreamEvent::Fill(f) = next(&mut rx).await else {
        panic!("the fill")
    };
    assert_eq!(f.client_id.as_deref(), Some("omni-p1"));
    assert_eq!(f.trade_id, mock.truth().executions[0].id);
    assert_eq!((f.qty, f.price), (dec!(40000), dec!(1.095)));
    let StreamEvent::Order(o) = next(&mut rx).await else {
        panic!("then the order")
    };
    assert_eq!((o.state, o.filled), (VenueOrderState::Filled, dec!(40000)));

    // A market order placed and filled between two polls is seen too.
    a.place(&market("omni-p2", Side::Sell, dec!(10000)))
        .await
        .unwrap();
    let mut saw = (false, false);
    while saw != (true, true) {
        match next(&mut rx).await {
            StreamEvent::Fill(f) if f.client_id.as_deref() == Some("omni-p2") => saw.0 = true,
            StreamEvent::Order(o) if o.client_id == "omni-p2" => {
                assert_eq!(o.state, VenueOrderState::Filled);
                saw.1 = true;
            }
            other => panic!("{other:?}"),
        }
    }

    mock.set_unresponsive(true);
    let started = Instant::now();
    let ev = next(&mut rx).await;
    assert!(
        matches!(ev, StreamEvent::Disconnected(ref why) if why.contains("polls failing")),
        "{ev:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    tokio::time::timeout(Duration::from_secs(1), task)
        .await
        .expect("the stream returns after Disconnected")
        .unwrap();
}

#[tokio::test]
async fn a_close_without_a_quote_rests_and_flatten_names_the_position_left() {
    let (mock, a) = setup().await;
    a.place(&PlaceRequest {
        symbol: "GBPUSD".into(),
        ..market("omni-g1", Side::Buy, dec!(20000))
    })
    .await
    .unwrap();
    a.place(&market("omni-g2", Side::Sell, dec!(10000)))
        .await
        .unwrap();
    mock.clear_price("GBPUSD");
    let out = a.flatten(&a.holdings().await.unwrap()).await.unwrap();
    assert_eq!(out.left.len(), 1, "{:?}", out.left);
    assert_eq!(out.left[0].0, "GBPUSD");
    assert!(out.left[0].1.contains("still open"), "{}", out.left[0].1);
    // Both closes are reported: one done, one resting at the broker.
    let mut states: Vec<(String, VenueOrderState)> = out
        .orders
        .iter()
        .map(|o| (o.symbol.clone(), o.state))
        .collect();
    states.sort_by(|x, y| x.0.cmp(&y.0));
    assert_eq!(
        states,
        vec![
            ("EURUSD".into(), VenueOrderState::Filled),
            ("GBPUSD".into(), VenueOrderState::New)
        ]
    );
    let open = a.open_orders().await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].client_id, open[0].venue_id);
    // The market opens again: the resting close fills.
    mock.set_price("GBPUSD", dec!(1.2400));
    assert!(a.holdings().await.unwrap().is_empty());
    assert!(a.open_orders().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_429_is_rate_limited_and_the_route_waits_out_its_ban() {
    let (mock, a) = setup().await;
    mock.fault(Endpoint::Positions, Fault::RateLimit);
    assert_eq!(
        a.holdings().await,
        Err(ApiError::RateLimited {
            retry_after_ms: 1000
        })
    );
    // Another route is not held up; this one waits for the ban to end.
    a.cash().await.unwrap();
    let t = Instant::now();
    a.holdings().await.unwrap();
    assert!(
        t.elapsed() >= Duration::from_millis(800),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(mock.requests(Endpoint::Positions), 2);
}

#[tokio::test]
async fn a_configured_account_is_used_and_an_unknown_one_refused() {
    let mock = MockTradeLocker::start(EMAIL, PASSWORD, SERVER).await;
    let mut cfg = config(&mock, PASSWORD, Duration::from_secs(2));
    cfg.account_id = Some("2200766".into());
    let a = TradeLocker::new(cfg.clone()).unwrap();
    a.prepare(&["EURUSD".into()]).await.unwrap();
    cfg.account_id = Some("999".into());
    let e = TradeLocker::new(cfg.clone())
        .unwrap()
        .prepare(&[])
        .await
        .unwrap_err();
    assert!(
        matches!(e, ApiError::Refused { ref message, .. } if message.contains("no account 999")),
        "{e:?}"
    );
    // An instrument the account does not list is refused by prepare.
    let e = a.prepare(&["USDJPY".into()]).await.unwrap_err();
    assert!(matches!(e, ApiError::Refused { ref message, .. } if message.contains("USDJPY")));
    // Only the demo service (or this machine) is a test endpoint.
    cfg.rest_url = omni_live::tradelocker::LIVE_REST_URL.into();
    assert!(!TradeLocker::new(cfg.clone()).unwrap().is_test_endpoint());
    cfg.rest_url = omni_live::tradelocker::DEMO_REST_URL.into();
    assert!(TradeLocker::new(cfg.clone()).unwrap().is_test_endpoint());
    cfg.rest_url = "ftp://x".into();
    assert!(TradeLocker::new(cfg).is_err());
}

// ---- through the order manager ----

fn d(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_through_the_manager_fills_once_and_k_ends_venue_flat() {
    let mock = MockTradeLocker::start(EMAIL, PASSWORD, SERVER).await;
    mock.set_price("EURUSD", d("1.1000"));
    let dir = tempfile::tempdir().unwrap();
    let api = TradeLocker::new(TradeLockerConfig {
        poll: Duration::from_millis(100),
        ..config(&mock, PASSWORD, Duration::from_secs(3))
    })
    .unwrap();
    let mut s = LiveSettings::new(
        AccountId(0),
        "USD",
        vec![LiveInstrument {
            id: InstrumentId(0),
            name: "EUR/USD".into(),
            venue: VenueId(0),
            min_qty: d("1"),
        }],
        dir.path().join("omni.db"),
    );
    s.refresh = Duration::from_millis(200);
    let mut b = LiveBroker::start(api, s).expect("broker");
    reports_until(&mut b, Duration::from_secs(5), |r| r.iter().any(flat)).await;

    let buy = support::order(
        1,
        0,
        Side::Buy,
        OrderType::Market,
        d("10000"),
        None,
        d("1.1"),
    );
    b.submit(&buy, Timestamp(1)).unwrap();
    let reports = reports_until(&mut b, Duration::from_secs(5), |r| {
        r.iter().any(|r| {
            matches!(r, ExecutionReport::VenueState { positions, .. } if positions == &vec![(InstrumentId(0), d("10000"))])
        }) && r.iter().any(|r| matches!(r, ExecutionReport::Filled { .. }))
    })
    .await;
    let later = reports_until(&mut b, Duration::from_millis(400), |_| false).await;
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
    let fills: Vec<(OrderId, Decimal, Decimal)> = reports
        .iter()
        .chain(later.iter())
        .filter_map(|r| match r {
            ExecutionReport::Filled {
                order_id,
                qty,
                price,
                ..
            } => Some((*order_id, *qty, *price)),
            _ => None,
        })
        .collect();
    assert_eq!(
        fills,
        vec![(OrderId(1), d("10000"), d("1.1"))],
        "{reports:?}"
    );

    // A resting order of ours, then K as the engine sends it: cancel
    // everything, then its flatten order, which TradeLocker's own
    // close-all covers (the engine's sell is never sent).
    let rest = support::order(
        2,
        0,
        Side::Buy,
        OrderType::Limit,
        d("20000"),
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
    mock.set_price("EURUSD", d("1.1020"));
    b.cancel_all(AccountId(0), Timestamp(1)).unwrap();
    let mut sell = support::order(
        3,
        0,
        Side::Sell,
        OrderType::Market,
        d("10000"),
        None,
        d("1.102"),
    );
    sell.purpose = omni_core::domain::OrderPurpose::Flatten;
    b.submit(&sell, Timestamp(1)).unwrap();
    let reports = reports_until(&mut b, Duration::from_secs(8), |r| r.iter().any(flat)).await;
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
    // The close TradeLocker made is booked as the engine's flatten order.
    let closed: Vec<(OrderId, Decimal, Decimal)> = reports[..first_flat]
        .iter()
        .filter_map(|r| match r {
            ExecutionReport::Filled {
                order_id,
                qty,
                price,
                ..
            } => Some((*order_id, *qty, *price)),
            _ => None,
        })
        .collect();
    assert_eq!(
        closed,
        vec![(OrderId(3), d("10000"), d("1.102"))],
        "{reports:?}"
    );
    assert!(mock.requests(Endpoint::CloseAll) >= 1);
    let sells = mock
        .order_bodies()
        .iter()
        .filter(|b| b.contains(r#""side":"sell""#))
        .count();
    assert_eq!(sells, 0, "{:?}", mock.order_bodies());
    let truth = mock.truth();
    assert!(truth.positions.is_empty());
    assert!(truth.orders.iter().all(|o| o.status != "New"));
    assert_eq!(mock.bad_acc_num(), 0);
    assert_eq!(mock.throttled(Endpoint::Orders), 0);
}

/// On a hedging account a long and a short of one instrument net to zero
/// but are two open positions: K closes both, and the venue is not flat
/// (nor reported so) until neither is left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn k_on_a_hedging_account_closes_a_long_and_a_short_that_net_to_zero() {
    let mock = MockTradeLocker::start(EMAIL, PASSWORD, SERVER).await;
    mock.set_price("EURUSD", d("1.1000"));
    let dir = tempfile::tempdir().unwrap();
    let api = TradeLocker::new(TradeLockerConfig {
        poll: Duration::from_millis(100),
        ..config(&mock, PASSWORD, Duration::from_secs(3))
    })
    .unwrap();
    let mut s = LiveSettings::new(
        AccountId(0),
        "USD",
        vec![LiveInstrument {
            id: InstrumentId(0),
            name: "EUR/USD".into(),
            venue: VenueId(0),
            min_qty: d("1"),
        }],
        dir.path().join("omni.db"),
    );
    s.refresh = Duration::from_millis(200);
    let mut b = LiveBroker::start(api, s).expect("broker");
    reports_until(&mut b, Duration::from_secs(5), |r| r.iter().any(flat)).await;
    // Made by hand on the hedging account: a long and a short, net zero.
    mock.place_by_hand("EURUSD", "buy", "market", d("0.1"), None)
        .unwrap();
    mock.place_by_hand("EURUSD", "sell", "market", d("0.1"), None)
        .unwrap();
    assert_eq!(mock.truth().positions.len(), 2);
    b.cancel_all(AccountId(0), Timestamp(1)).unwrap();
    let reports = reports_until(&mut b, Duration::from_secs(8), |r| r.iter().any(flat)).await;
    let first_flat = reports.iter().position(flat).expect("never flat");
    assert!(
        mock.truth().positions.is_empty(),
        "flat said with positions open: {:?}",
        mock.truth().positions
    );
    // Before the closes, the venue's word counted the two as open.
    assert!(
        reports[..first_flat].iter().any(|r| matches!(
            r,
            ExecutionReport::VenueState {
                other_positions: 1..,
                ..
            }
        )),
        "{reports:?}"
    );
}
