//! The OANDA v20 adapter against the mock OANDA on 127.0.0.1: instrument
//! rules, order flow with broker-held exits, error classification, the
//! kill switch's cancel and close, and the chunked transaction stream.

use omni_core::domain::{OrderType, Side, TimeInForce};
use omni_live::api::{
    ApiError, PlaceRequest, StreamEvent, VenueApi, VenueHolding, VenueOrderState,
};
use omni_live::oanda::{Oanda, OandaConfig};
use omni_live::secret::Secret;
use omni_mockvenue::oanda::{Endpoint, Fault, MockOanda};
use rust_decimal::Decimal;
use rust_decimal::dec;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

const ACCOUNT: &str = "101-004-1435156-001";
const TOKEN: &str = "CANARY-TOKEN-4b7e";

fn client(mock: &MockOanda, token: &str, timeout: Duration) -> Oanda {
    Oanda::new(OandaConfig {
        rest_url: mock.rest_url(),
        stream_url: mock.stream_url(),
        account_id: ACCOUNT.into(),
        token: Secret::new(token),
        request_timeout: timeout,
    })
    .unwrap()
}

async fn setup() -> (MockOanda, Arc<Oanda>) {
    let mock = MockOanda::start(ACCOUNT, TOKEN).await;
    mock.set_heartbeat(Duration::from_millis(100));
    let a = client(&mock, TOKEN, Duration::from_secs(2));
    a.prepare(&["EUR_USD".into(), "USD_JPY".into()])
        .await
        .unwrap();
    (mock, Arc::new(a))
}

fn market(cid: &str, symbol: &str, side: Side, qty: Decimal) -> PlaceRequest {
    PlaceRequest {
        client_id: cid.into(),
        symbol: symbol.into(),
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
        ..market(cid, "EUR_USD", side, qty)
    }
}

/// Starts the stream and waits for `Connected`.
async fn stream(a: &Arc<Oanda>) -> (mpsc::Receiver<StreamEvent>, tokio::task::JoinHandle<()>) {
    let (tx, mut rx) = mpsc::channel(64);
    let a = a.clone();
    let task = tokio::spawn(async move { a.stream(tx).await });
    assert_eq!(next(&mut rx).await, StreamEvent::Connected);
    (rx, task)
}

async fn next(rx: &mut mpsc::Receiver<StreamEvent>) -> StreamEvent {
    tokio::time::timeout(Duration::from_secs(3), rx.recv())
        .await
        .expect("a stream event within 3 s")
        .expect("stream channel open")
}

/// The next fill on the stream, skipping order updates.
async fn next_fill(rx: &mut mpsc::Receiver<StreamEvent>) -> omni_live::api::VenueFill {
    loop {
        match next(rx).await {
            StreamEvent::Fill(f) => return f,
            StreamEvent::Order(_) => {}
            other => panic!("expected a fill, got {other:?}"),
        }
    }
}

fn pending_kinds(mock: &MockOanda) -> Vec<String> {
    mock.truth()
        .orders
        .into_iter()
        .filter(|o| o.state == "PENDING")
        .map(|o| o.kind)
        .collect()
}

#[tokio::test]
async fn a_wrong_token_is_auth_and_never_shows_the_token() {
    let mock = MockOanda::start(ACCOUNT, TOKEN).await;
    let bad = client(&mock, "CANARY-WRONG-77", Duration::from_secs(2));
    let e = bad.prepare(&["EUR_USD".into()]).await.unwrap_err();
    let ApiError::Auth(m) = &e else {
        panic!("expected Auth, got {e:?}")
    };
    assert!(
        m.contains("401") && m.contains("Insufficient authorization"),
        "{m}"
    );
    let shown = format!("{e} {e:?}");
    assert!(!shown.contains("CANARY"), "{shown}");
    assert!(matches!(bad.cash().await, Err(ApiError::Auth(_))));

    // The right token travels as a Bearer header.
    let good = client(&mock, TOKEN, Duration::from_secs(2));
    good.prepare(&["EUR_USD".into()]).await.unwrap();
    assert_eq!(mock.requests(Endpoint::Summary), 3);
    assert_eq!(mock.requests(Endpoint::Instruments), 1);

    // Another account's id is refused with OANDA's code, not "no order".
    let other = Oanda::new(OandaConfig {
        account_id: "101-004-9999999-001".into(),
        rest_url: mock.rest_url(),
        stream_url: mock.stream_url(),
        token: Secret::new(TOKEN),
        request_timeout: Duration::from_secs(2),
    })
    .unwrap();
    assert!(matches!(
        other.query("EUR_USD", "x").await,
        Err(ApiError::Refused { code, .. }) if code == "NO_SUCH_ACCOUNT"
    ));
}

#[tokio::test]
async fn instrument_rules_are_applied_before_sending() {
    let (mock, a) = setup().await;
    let mut r = market("omni-r1", "EUR_USD", Side::Buy, dec!(1500.7));
    r.take_profit = Some(dec!(1.0912345));
    r.stop_loss = Some(dec!(1.0700049));
    a.conform(&mut r, dec!(1.08)).unwrap();
    assert_eq!(r.qty, dec!(1500), "units floor to tradeUnitsPrecision 0");
    assert_eq!(r.take_profit, Some(dec!(1.09123)));
    assert_eq!(r.stop_loss, Some(dec!(1.07)));
    let mut small = market("omni-r2", "EUR_USD", Side::Buy, dec!(0.4));
    let e = a.conform(&mut small, dec!(1.08)).unwrap_err();
    assert!(e.contains("minimumTradeSize 1"), "{e}");
    let mut huge = market("omni-r3", "EUR_USD", Side::Buy, dec!(100000001));
    let e = a.conform(&mut huge, dec!(1.08)).unwrap_err();
    assert!(e.contains("maximumOrderUnits 100000000"), "{e}");
    let mut jpy = limit("omni-r4", Side::Sell, dec!(10), dec!(151.23456));
    jpy.symbol = "USD_JPY".into();
    a.conform(&mut jpy, dec!(150)).unwrap();
    assert_eq!(jpy.limit, Some(dec!(151.235)), "a sell limit rounds up");
    assert_eq!(mock.requests(Endpoint::PlaceOrder), 0, "nothing was sent");

    // Unconformed, the broker refuses the price's precision.
    let raw = limit("omni-r5", Side::Buy, dec!(10), dec!(1.0712345));
    let e = a.place(&raw).await.unwrap_err();
    assert!(
        matches!(&e, ApiError::Refused { code, .. } if code == "PRICE_PRECISION_EXCEEDED"),
        "{e:?}"
    );
}

#[tokio::test]
async fn a_market_fok_fills_with_its_exits_held_at_the_broker() {
    let (mock, a) = setup().await;
    mock.set_price("EUR_USD", dec!(1.08123));
    let mut req = market("omni-m1", "EUR_USD", Side::Buy, dec!(1000));
    req.take_profit = Some(dec!(1.095));
    req.stop_loss = Some(dec!(1.07));
    let placed = a.place(&req).await.unwrap();
    assert_eq!(
        (
            placed.state,
            placed.filled,
            placed.qty,
            placed.client_id.as_str()
        ),
        (VenueOrderState::Filled, dec!(1000), dec!(1000), "omni-m1")
    );
    let body = &mock.order_bodies()[0]["order"];
    assert_eq!(body["type"], "MARKET");
    assert_eq!(body["units"], "1000");
    assert_eq!(body["timeInForce"], "FOK");
    assert_eq!(body["positionFill"], "DEFAULT");
    assert_eq!(body["clientExtensions"]["id"], "omni-m1");
    assert_eq!(body["takeProfitOnFill"]["price"], "1.095");
    assert_eq!(body["stopLossOnFill"]["price"], "1.07");

    // The exits are orders at the broker, on the opened trade.
    let truth = mock.truth();
    let trade = &truth.trades[0];
    assert_eq!(
        (trade.current_units, trade.price),
        (dec!(1000), dec!(1.08123))
    );
    let exits: Vec<_> = truth
        .orders
        .iter()
        .filter(|o| o.trade_id.is_some())
        .collect();
    assert_eq!(exits.len(), 2);
    assert!(
        exits
            .iter()
            .all(|o| o.state == "PENDING" && o.trade_id.as_deref() == Some(trade.id.as_str()))
    );
    assert_eq!(pending_kinds(&mock), vec!["TAKE_PROFIT", "STOP_LOSS"]);
    let open = a.open_orders().await.unwrap();
    assert_eq!(open.len(), 2);
    for o in &open {
        assert_eq!(o.client_id, o.venue_id, "no client id of ours: OANDA's id");
        assert_eq!(
            (o.symbol.as_str(), o.side, o.qty),
            ("EUR_USD", Side::Sell, dec!(1000))
        );
        assert_eq!(o.state, VenueOrderState::New);
    }
    assert!(open.iter().any(|o| o.limit == Some(dec!(1.095))));

    // A filled FOK order is still found by its client id.
    let q = a.query("EUR_USD", "omni-m1").await.unwrap().unwrap();
    assert_eq!(
        (q.state, q.filled, q.venue_id.as_str()),
        (
            VenueOrderState::Filled,
            dec!(1000),
            placed.venue_id.as_str()
        )
    );
    let fills = a.fills("EUR_USD", &placed.venue_id).await.unwrap();
    assert_eq!(fills.len(), 1);
    let f = &fills[0];
    let fill_tx = truth
        .transactions
        .iter()
        .find(|t| t["type"] == "ORDER_FILL")
        .unwrap();
    assert_eq!(f.trade_id, fill_tx["id"].as_str().unwrap());
    assert_eq!(trade.id, f.trade_id, "the trade is named by its fill");
    assert_eq!(
        (f.qty, f.price, f.side, f.client_id.as_deref()),
        (dec!(1000), dec!(1.08123), Side::Buy, Some("omni-m1"))
    );
    assert_eq!((f.fee, f.fee_asset.as_str()), (Decimal::ZERO, "USD"));
    assert!(f.ts_ms > 1_700_000_000_000);
}

#[tokio::test]
async fn insufficient_margin_is_a_cancel_with_the_reason() {
    let (mock, a) = setup().await;
    let placed = a
        .place(&market("omni-big", "EUR_USD", Side::Buy, dec!(10000000)))
        .await
        .unwrap();
    assert_eq!(
        (placed.state, placed.reason.as_deref(), placed.filled),
        (
            VenueOrderState::Cancelled,
            Some("INSUFFICIENT_MARGIN"),
            Decimal::ZERO
        )
    );
    let q = a.query("EUR_USD", "omni-big").await.unwrap().unwrap();
    assert_eq!(
        (q.state, q.reason.as_deref()),
        (VenueOrderState::Cancelled, Some("INSUFFICIENT_MARGIN"))
    );
    assert!(mock.truth().positions.is_empty());
    assert!(
        a.fills("EUR_USD", &placed.venue_id)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn refusals_duplicates_and_lost_answers_are_classified() {
    let (mock, a) = setup().await;
    mock.fault(
        Endpoint::PlaceOrder,
        Fault::Reject("INSTRUMENT_NOT_TRADEABLE".into()),
    );
    let e = a
        .place(&market("omni-x1", "EUR_USD", Side::Buy, dec!(10)))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ApiError::Refused { code, .. } if code == "INSTRUMENT_NOT_TRADEABLE"),
        "{e:?}"
    );
    let reject = mock.truth().transactions.last().cloned().unwrap();
    assert_eq!(reject["type"], "MARKET_ORDER_REJECT");

    a.place(&market("omni-x2", "EUR_USD", Side::Buy, dec!(10)))
        .await
        .unwrap();
    let e = a
        .place(&market("omni-x2", "EUR_USD", Side::Buy, dec!(10)))
        .await
        .unwrap_err();
    assert_eq!(e, ApiError::DuplicateClientId);

    mock.fault(Endpoint::PlaceOrder, Fault::ServerError(503));
    let e = a
        .place(&market("omni-x3", "EUR_USD", Side::Buy, dec!(10)))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ApiError::OutcomeUnknown(m) if m.contains("503")),
        "{e:?}"
    );
    let q = a.query("EUR_USD", "omni-x3").await.unwrap().unwrap();
    assert_eq!(
        q.state,
        VenueOrderState::Filled,
        "a 5xx may still have placed it"
    );

    mock.fault(Endpoint::Summary, Fault::RateLimit { retry_after_s: 2 });
    let e = a.cash().await.unwrap_err();
    assert_eq!(
        e,
        ApiError::RateLimited {
            retry_after_ms: 2000
        }
    );
    let before = mock.requests(Endpoint::Any);
    assert!(matches!(
        a.holdings().await,
        Err(ApiError::RateLimited { .. })
    ));
    assert_eq!(
        mock.requests(Endpoint::Any),
        before,
        "refused locally, not sent"
    );
}

#[tokio::test]
async fn a_dropped_reply_is_outcome_unknown_and_the_query_finds_it_filled() {
    let (mock, a) = setup().await;
    mock.fault(Endpoint::PlaceOrder, Fault::DropReply);
    let e = a
        .place(&market("omni-d1", "EUR_USD", Side::Sell, dec!(2500)))
        .await
        .unwrap_err();
    assert!(matches!(e, ApiError::OutcomeUnknown(_)), "{e:?}");
    let q = a.query("EUR_USD", "omni-d1").await.unwrap().unwrap();
    assert_eq!(
        (q.state, q.filled, q.side),
        (VenueOrderState::Filled, dec!(2500), Side::Sell)
    );
    assert_eq!(a.query("EUR_USD", "omni-never").await.unwrap(), None);
    let h = a.holdings().await.unwrap();
    assert_eq!(h[0].qty, dec!(-2500));

    // A reply that never comes is a timeout: unknown as well.
    let slow = client(&mock, TOKEN, Duration::from_millis(300));
    mock.fault(Endpoint::PlaceOrder, Fault::Delay(1000));
    let e = slow
        .place(&market("omni-d2", "EUR_USD", Side::Buy, dec!(1)))
        .await
        .unwrap_err();
    assert!(matches!(e, ApiError::OutcomeUnknown(_)), "{e:?}");
}

#[tokio::test]
async fn a_limit_rests_cancels_by_client_id_and_fills_when_crossed() {
    let (mock, a) = setup().await;
    mock.set_price("EUR_USD", dec!(1.08));
    let placed = a
        .place(&limit("omni-l1", Side::Buy, dec!(100), dec!(1.07)))
        .await
        .unwrap();
    assert_eq!(
        (placed.state, placed.limit),
        (VenueOrderState::New, Some(dec!(1.07)))
    );
    assert_eq!(mock.order_bodies()[0]["order"]["timeInForce"], "GTC");
    assert_eq!(mock.order_bodies()[0]["order"]["price"], "1.07");
    let open = a.open_orders().await.unwrap();
    assert_eq!(
        open.iter()
            .map(|o| o.client_id.as_str())
            .collect::<Vec<_>>(),
        vec!["omni-l1"]
    );
    a.cancel("EUR_USD", "omni-l1").await.unwrap();
    let q = a.query("EUR_USD", "omni-l1").await.unwrap().unwrap();
    assert_eq!(
        (q.state, q.reason.as_deref()),
        (VenueOrderState::Cancelled, Some("CLIENT_REQUEST"))
    );
    assert_eq!(
        a.cancel("EUR_USD", "omni-l1").await,
        Err(ApiError::NotFound)
    );
    assert_eq!(
        a.cancel("EUR_USD", "omni-none").await,
        Err(ApiError::NotFound)
    );
    assert!(a.open_orders().await.unwrap().is_empty());

    let placed = a
        .place(&limit("omni-l2", Side::Sell, dec!(300), dec!(1.09)))
        .await
        .unwrap();
    mock.set_price("EUR_USD", dec!(1.0905));
    let q = a.query("EUR_USD", "omni-l2").await.unwrap().unwrap();
    assert_eq!((q.state, q.filled), (VenueOrderState::Filled, dec!(300)));
    let fills = a.fills("EUR_USD", &placed.venue_id).await.unwrap();
    assert_eq!(
        fills
            .iter()
            .map(|f| (f.qty, f.price, f.side))
            .collect::<Vec<_>>(),
        vec![(dec!(300), dec!(1.0905), Side::Sell)]
    );
}

#[tokio::test]
async fn holdings_are_signed_and_cash_carries_the_margin_figures() {
    let (mock, a) = setup().await;
    mock.set_price("EUR_USD", dec!(1.1));
    mock.set_price("USD_JPY", dec!(150));
    a.place(&market("omni-h1", "EUR_USD", Side::Buy, dec!(1000)))
        .await
        .unwrap();
    a.place(&market("omni-h2", "USD_JPY", Side::Sell, dec!(500)))
        .await
        .unwrap();
    let mut h = a.holdings().await.unwrap();
    h.sort_by(|x, y| x.symbol.cmp(&y.symbol));
    assert_eq!(
        h,
        vec![
            VenueHolding {
                symbol: "EUR_USD".into(),
                qty: dec!(1000),
                avg_price: Some(dec!(1.1))
            },
            VenueHolding {
                symbol: "USD_JPY".into(),
                qty: dec!(-500),
                avg_price: Some(dec!(150))
            },
        ]
    );
    // Margin: 1000 × 1.1 × 0.05 + 500 × 150 × 0.04 = 55 + 3000.
    let cash = a.cash().await.unwrap();
    assert_eq!(cash.len(), 1);
    let c = &cash[0];
    assert_eq!((c.currency.as_str(), c.amount), ("USD", dec!(100000)));
    assert_eq!(c.equity, Some(dec!(100000)));
    assert_eq!(c.margin_used, Some(dec!(3055)));
    assert_eq!(c.margin_available, Some(dec!(96945)));

    // The price moves NAV; a set equity replaces it (a prop-rule breach).
    mock.set_price("EUR_USD", dec!(1.2));
    let c = &a.cash().await.unwrap()[0];
    assert_eq!((c.amount, c.equity), (dec!(100000), Some(dec!(100100))));
    mock.set_equity(Some(dec!(91000)));
    let c = &a.cash().await.unwrap()[0];
    assert_eq!(c.equity, Some(dec!(91000)));
    assert_eq!(c.margin_available, Some(dec!(91000) - dec!(3060)));
}

#[tokio::test]
async fn the_kill_switch_cancels_entries_then_closes_both_sides() {
    let (mock, a) = setup().await;
    let mut long = market("omni-k1", "EUR_USD", Side::Buy, dec!(1000));
    long.stop_loss = Some(dec!(1.0));
    a.place(&long).await.unwrap();
    a.place(&market("omni-k2", "USD_JPY", Side::Sell, dec!(700)))
        .await
        .unwrap();
    a.place(&limit("omni-k3", Side::Buy, dec!(10), dec!(1.01)))
        .await
        .unwrap();
    // An order made by hand on OANDA's platform.
    let (status, _) = mock.place_direct(serde_json::json!({"order": {
        "type": "LIMIT", "instrument": "USD_JPY", "units": "5", "price": "140.000",
        "timeInForce": "GTC", "positionFill": "DEFAULT"
    }}));
    assert_eq!(status, 201);
    assert_eq!(a.open_orders().await.unwrap().len(), 3);

    assert_eq!(a.cancel_all().await.unwrap(), 2);
    assert_eq!(
        pending_kinds(&mock),
        vec!["STOP_LOSS"],
        "the broker-held stop stays until the position is closed"
    );
    assert!(a.closes_positions());
    let holdings = a.holdings().await.unwrap();
    let out = a.flatten(&holdings).await.unwrap();
    assert!(out.left.is_empty(), "{:?}", out.left);
    assert_eq!(out.orders.len(), 2);
    for o in &out.orders {
        assert_eq!(o.state, VenueOrderState::Filled);
        assert_eq!(o.client_id, o.venue_id, "OANDA names its closing orders");
    }
    let mut closed: Vec<_> = out
        .orders
        .iter()
        .map(|o| (o.symbol.as_str(), o.side, o.qty, o.filled))
        .collect();
    closed.sort_by(|x, y| x.0.cmp(y.0));
    assert_eq!(
        closed,
        vec![
            ("EUR_USD", Side::Sell, dec!(1000), dec!(1000)),
            ("USD_JPY", Side::Buy, dec!(700), dec!(700)),
        ]
    );
    assert!(a.holdings().await.unwrap().is_empty());
    assert!(
        a.open_orders().await.unwrap().is_empty(),
        "the stop went with its trade"
    );
    let truth = mock.truth();
    assert!(truth.positions.is_empty());
    assert!(
        truth
            .transactions
            .iter()
            .any(|t| t["reason"] == "LINKED_TRADE_CLOSED")
    );
    let bodies: Vec<_> = truth
        .transactions
        .iter()
        .filter(|t| t["reason"] == "POSITION_CLOSEOUT")
        .collect();
    assert_eq!(bodies.len(), 2);
    assert_eq!(mock.requests(Endpoint::ClosePosition), 2);

    // Already flat: nothing to do, nothing left.
    let out = a.flatten(&[]).await.unwrap();
    assert_eq!((out.orders.len(), out.left.len()), (0, 0));
    assert_eq!(a.cancel_all().await.unwrap(), 0);
}

#[tokio::test]
async fn a_close_the_broker_refuses_is_left_with_its_reason() {
    let (mock, a) = setup().await;
    a.place(&market("omni-f1", "EUR_USD", Side::Buy, dec!(50)))
        .await
        .unwrap();
    mock.fault(
        Endpoint::ClosePosition,
        Fault::Reject("MARKET_HALTED".into()),
    );
    let h = a.holdings().await.unwrap();
    let out = a.flatten(&h).await.unwrap();
    assert!(out.orders.is_empty());
    assert_eq!(out.left.len(), 1);
    assert_eq!(out.left[0].0, "EUR_USD");
    assert!(out.left[0].1.contains("MARKET_HALTED"), "{:?}", out.left);
    assert_eq!(mock.truth().positions.len(), 1);
    // The next round closes it.
    assert!(a.flatten(&h).await.unwrap().left.is_empty());
    assert!(mock.truth().positions.is_empty());
}

#[tokio::test]
async fn the_stream_maps_lines_counts_malformed_ones_and_ends_with_disconnected() {
    let (mock, a) = setup().await;
    mock.set_price("EUR_USD", dec!(1.08));
    let (mut rx, task) = stream(&a).await;
    assert_eq!(mock.stream_connections(), 1);

    a.place(&market("omni-s1", "EUR_USD", Side::Buy, dec!(100)))
        .await
        .unwrap();
    let StreamEvent::Order(created) = next(&mut rx).await else {
        panic!("the order's creation first")
    };
    assert_eq!(
        (created.client_id.as_str(), created.state, created.qty),
        ("omni-s1", VenueOrderState::New, dec!(100))
    );
    let StreamEvent::Fill(f) = next(&mut rx).await else {
        panic!("then its fill")
    };
    assert_eq!(
        (
            f.client_id.as_deref(),
            f.qty,
            f.price,
            f.side,
            f.symbol.as_str()
        ),
        (Some("omni-s1"), dec!(100), dec!(1.08), Side::Buy, "EUR_USD")
    );
    let StreamEvent::Order(filled) = next(&mut rx).await else {
        panic!("then the order as filled")
    };
    assert_eq!(
        (filled.state, filled.filled),
        (VenueOrderState::Filled, dec!(100))
    );

    // Heartbeats (every 100 ms here) keep a quiet stream alive.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(rx.try_recv().is_err(), "heartbeats are not events");
    assert!(!task.is_finished());

    mock.send_stream_line(b"{\"type\":\"ORDER_FILL\",");
    mock.send_stream_line(b"not json at all");
    mock.duplicate_next_fill();
    a.place(&market("omni-s2", "EUR_USD", Side::Sell, dec!(40)))
        .await
        .unwrap();
    let first = next_fill(&mut rx).await;
    let second = next_fill(&mut rx).await;
    assert_eq!(first, second, "a duplicated line is the same fill again");
    assert_eq!(a.malformed_lines(), 2);

    mock.drop_streams();
    loop {
        match next(&mut rx).await {
            StreamEvent::Disconnected(why) => {
                assert!(why.contains("read"), "{why}");
                break;
            }
            StreamEvent::Order(_) => {}
            other => panic!("{other:?}"),
        }
    }
    tokio::time::timeout(Duration::from_secs(2), task)
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn a_protective_stop_closes_the_trade_at_the_broker_and_the_stream_says_so() {
    let (mock, a) = setup().await;
    mock.set_price("EUR_USD", dec!(1.08));
    let mut req = market("omni-p1", "EUR_USD", Side::Buy, dec!(1000));
    req.stop_loss = Some(dec!(1.075));
    req.take_profit = Some(dec!(1.09));
    a.place(&req).await.unwrap();
    let (mut rx, _task) = stream(&a).await;

    // Our process does nothing: the broker's stop fires on the price. Its
    // fill carries no client id; it comes under the client id of the
    // order that opened the trade it closed, as another order's fill on
    // the other side (the order manager books it as the venue's exit).
    mock.set_price("EUR_USD", dec!(1.0745));
    let f = next_fill(&mut rx).await;
    assert_eq!(
        (f.client_id.as_deref(), f.side, f.qty, f.price),
        (Some("omni-p1"), Side::Sell, dec!(1000), dec!(1.0745))
    );
    let truth = mock.truth();
    assert!(truth.positions.is_empty());
    let sl = truth.orders.iter().find(|o| o.kind == "STOP_LOSS").unwrap();
    let tp = truth
        .orders
        .iter()
        .find(|o| o.kind == "TAKE_PROFIT")
        .unwrap();
    assert_eq!(
        (sl.state.as_str(), tp.state.as_str()),
        ("FILLED", "CANCELLED")
    );
    assert_eq!(f.venue_order_id, sl.id);
    assert_eq!(truth.balance, dec!(100000) + dec!(-5.5));
    assert!(a.holdings().await.unwrap().is_empty());
    assert!(a.open_orders().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_stream_with_a_wrong_token_ends_refused_without_the_token() {
    let (mock, _) = setup().await;
    let bad = Arc::new(client(&mock, "CANARY-WRONG-99", Duration::from_secs(2)));
    let (tx, mut rx) = mpsc::channel(8);
    let task = tokio::spawn({
        let bad = bad.clone();
        async move { bad.stream(tx).await }
    });
    let StreamEvent::Disconnected(why) = next(&mut rx).await else {
        panic!("no Connected without authorization")
    };
    assert!(why.contains("authentication refused"), "{why}");
    assert!(!why.contains("CANARY"), "{why}");
    task.await.unwrap();
    assert_eq!(mock.requests(Endpoint::Stream), 1);
}

#[tokio::test]
async fn heartbeats_keep_the_stream_alive_and_silence_ends_it() {
    let mock = MockOanda::start(ACCOUNT, TOKEN).await;
    mock.set_heartbeat(Duration::from_millis(100));
    let a = Arc::new(
        client(&mock, TOKEN, Duration::from_secs(2))
            .with_stream_silence_limit(Duration::from_millis(400)),
    );
    let (mut rx, task) = stream(&a).await;
    // Ten silence limits pass; heartbeats every 100 ms keep it open.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert!(rx.try_recv().is_err());
    assert!(!task.is_finished());
    mock.drop_streams();
    assert!(matches!(next(&mut rx).await, StreamEvent::Disconnected(_)));

    // A server that goes quiet (a heartbeat, then nothing) is dead.
    mock.set_heartbeat(Duration::from_secs(30));
    let (mut rx, task) = stream(&a).await;
    let StreamEvent::Disconnected(why) = next(&mut rx).await else {
        panic!("a silent stream ends")
    };
    assert_eq!(why, "silent for 400 ms");
    task.await.unwrap();
    assert_eq!(mock.stream_connections(), 2);
}
