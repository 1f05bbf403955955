//! The mock's private WebSocket: `/ws?listenKey=…` (a key from
//! `POST /api/v3/userDataStream`), JSON `SUBSCRIPTION`/`PING` requests
//! answered with MEXC's acks, and protobuf pushes of orders and deals to
//! the connections subscribed to their channel.

use super::book::{MockOrder, MockTrade, Push, plain};
use super::proto::{Body, PrivateDealsV3Api, PrivateOrdersV3Api, PushDataV3ApiWrapper};
use super::{Conn, DEALS_CHANNEL, ORDERS_CHANNEL, Shared, WsOut, lock};
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use prost::Message as _;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use tokio::sync::mpsc;

pub async fn upgrade(
    State(sh): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
    ws: WebSocketUpgrade,
) -> Response {
    let valid = q
        .get("listenKey")
        .is_some_and(|k| lock(&sh.listen_keys).contains(k));
    if !valid {
        return (StatusCode::UNAUTHORIZED, "invalid listenKey").into_response();
    }
    ws.on_upgrade(move |socket| serve(sh, socket))
}

async fn serve(sh: Arc<Shared>, mut socket: WebSocket) {
    let (tx, mut rx) = mpsc::unbounded_channel::<WsOut>();
    lock(&sh.conns).push(Conn {
        tx: tx.clone(),
        channels: HashSet::new(),
    });
    loop {
        tokio::select! {
            out = rx.recv() => match out {
                Some(WsOut::Binary(b)) => {
                    if socket.send(Message::Binary(b.into())).await.is_err() {
                        break;
                    }
                }
                Some(WsOut::Text(t)) => {
                    if socket.send(Message::Text(t.into())).await.is_err() {
                        break;
                    }
                }
                Some(WsOut::Close) | None => {
                    let _ = socket.send(Message::Close(None)).await;
                    break;
                }
            },
            msg = socket.recv() => match msg {
                Some(Ok(Message::Text(t))) => {
                    for answer in handle(&sh, t.as_str(), &tx) {
                        if socket.send(Message::Text(answer.to_string().into())).await.is_err() {
                            break;
                        }
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
        }
    }
    lock(&sh.conns).retain(|c| !c.tx.same_channel(&tx));
}

fn ack(msg: &str) -> Value {
    json!({"id": 0, "code": 0, "msg": msg})
}

/// Answers one request.
fn handle(sh: &Shared, text: &str, tx: &mpsc::UnboundedSender<WsOut>) -> Vec<Value> {
    let Ok(req) = serde_json::from_str::<Value>(text) else {
        return vec![json!({"id": 0, "code": 1, "msg": "Wrong message format"})];
    };
    let params: Vec<String> = req
        .get("params")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    match req.get("method").and_then(Value::as_str) {
        Some("PING") => vec![ack("PONG")],
        Some("SUBSCRIPTION") => {
            let mut out = Vec::new();
            let mut conns = lock(&sh.conns);
            let Some(conn) = conns.iter_mut().find(|c| c.tx.same_channel(tx)) else {
                return out;
            };
            for p in params {
                if p == ORDERS_CHANNEL || p == DEALS_CHANNEL {
                    conn.channels.insert(p.clone());
                    out.push(ack(&p));
                } else {
                    out.push(ack(&format!(
                        "Not Subscribed successfully! [{p}].  Reason： Blocked! "
                    )));
                }
            }
            out
        }
        Some("UNSUBSCRIPTION") => {
            let mut conns = lock(&sh.conns);
            if let Some(conn) = conns.iter_mut().find(|c| c.tx.same_channel(tx)) {
                for p in &params {
                    conn.channels.remove(p);
                }
            }
            params.iter().map(|p| ack(p)).collect()
        }
        _ => vec![json!({"id": 0, "code": 1, "msg": "Wrong message format"})],
    }
}

fn trade_type(side: &str) -> i32 {
    if side == "BUY" { 1 } else { 2 }
}

fn order_body(o: &MockOrder) -> PrivateOrdersV3Api {
    let avg = if o.executed.is_zero() {
        Decimal::ZERO
    } else {
        o.cum_quote / o.executed
    };
    PrivateOrdersV3Api {
        id: o.order_id.clone(),
        client_id: o.client_id.clone(),
        price: plain(o.price),
        quantity: plain(o.qty),
        amount: plain(o.qty * o.price),
        avg_price: plain(avg),
        order_type: match o.kind.as_str() {
            "MARKET" => 5,
            "IMMEDIATE_OR_CANCEL" => 3,
            _ => 1,
        },
        trade_type: trade_type(&o.side),
        is_maker: false,
        remain_amount: plain((o.qty - o.executed) * o.price),
        remain_quantity: plain(o.qty - o.executed),
        last_deal_quantity: None,
        cumulative_quantity: plain(o.executed),
        cumulative_amount: plain(o.cum_quote),
        status: o.status_code(),
        create_time: o.time,
    }
}

fn deal_body(t: &MockTrade) -> PrivateDealsV3Api {
    PrivateDealsV3Api {
        price: plain(t.price),
        quantity: plain(t.qty),
        amount: plain(t.price * t.qty),
        trade_type: trade_type(&t.side),
        is_maker: t.is_maker,
        is_self_trade: false,
        trade_id: t.id.clone(),
        client_order_id: t.client_id.clone(),
        order_id: t.order_id.clone(),
        fee_amount: plain(t.commission),
        fee_currency: t.commission_asset.clone(),
        time: t.time,
    }
}

/// A push as its channel and binary frame.
pub(super) fn encode(p: &Push, now: i64) -> (&'static str, Vec<u8>) {
    let (channel, symbol, body) = match p {
        Push::Order(o) => (
            ORDERS_CHANNEL,
            o.symbol.clone(),
            Body::PrivateOrders(order_body(o)),
        ),
        Push::Deal(t) => (
            DEALS_CHANNEL,
            t.symbol.clone(),
            Body::PrivateDeals(deal_body(t)),
        ),
    };
    let w = PushDataV3ApiWrapper {
        channel: channel.into(),
        body: Some(body),
        symbol: Some(symbol),
        symbol_id: None,
        create_time: Some(now),
        send_time: Some(now),
    };
    (channel, w.encode_to_vec())
}
