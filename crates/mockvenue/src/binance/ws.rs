//! The mock's WebSocket API: `userDataStream.subscribe.signature` with
//! Binance's checks, then execution reports pushed to the subscription.

use super::http::check_timestamp;
use super::{Shared, Subscriber, WsOut, lock};
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tokio::sync::mpsc;

pub async fn upgrade(State(sh): State<Arc<Shared>>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| serve(sh, socket))
}

async fn serve(sh: Arc<Shared>, mut socket: WebSocket) {
    let (tx, mut rx) = mpsc::unbounded_channel::<WsOut>();
    lock(&sh.connections).push(tx.clone());
    loop {
        tokio::select! {
            out = rx.recv() => match out {
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
                    let answer = handle(&sh, t.as_str(), &tx);
                    if socket.send(Message::Text(answer.to_string().into())).await.is_err() {
                        break;
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
        }
    }
    lock(&sh.subscribers).retain(|s| !s.tx.same_channel(&tx));
    lock(&sh.connections).retain(|c| !c.same_channel(&tx));
}

fn error(id: &Value, status: u16, code: i64, msg: &str) -> Value {
    json!({"id": id, "status": status, "error": {"code": code, "msg": msg}})
}

/// Answers one request.
fn handle(sh: &Shared, text: &str, tx: &mpsc::UnboundedSender<WsOut>) -> Value {
    let Ok(req) = serde_json::from_str::<Value>(text) else {
        return error(&Value::Null, 400, -1000, "Malformed request.");
    };
    let id = req.get("id").cloned().unwrap_or(Value::Null);
    if req.get("method").and_then(Value::as_str) != Some("userDataStream.subscribe.signature") {
        return error(&id, 400, -1000, "Unknown method.");
    }
    let Some(params) = req.get("params").and_then(Value::as_object) else {
        return error(
            &id,
            400,
            -1102,
            "Mandatory parameter 'params' was not sent.",
        );
    };
    if params.get("apiKey").and_then(Value::as_str) != Some(sh.key.as_str()) {
        return error(
            &id,
            401,
            -2015,
            "Invalid API-key, IP, or permissions for action.",
        );
    }
    let mut pairs: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| k.as_str() != "signature")
        .map(|(k, v)| {
            let v = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.clone(), v)
        })
        .collect();
    pairs.sort();
    let payload = pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(sh.secret.as_bytes()) else {
        return error(&id, 400, -1022, "Signature for this request is not valid.");
    };
    mac.update(payload.as_bytes());
    let want = hex::encode(mac.finalize().into_bytes());
    if params.get("signature").and_then(Value::as_str) != Some(want.as_str()) {
        return error(&id, 400, -1022, "Signature for this request is not valid.");
    }
    let ts = params.get("timestamp").and_then(|v| {
        v.as_i64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
    });
    let Some(ts) = ts else {
        return error(
            &id,
            400,
            -1102,
            "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.",
        );
    };
    let window = params
        .get("recvWindow")
        .and_then(|v| {
            v.as_i64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        })
        .unwrap_or(5000);
    if let Err((_, body)) = check_timestamp(sh.now_ms(), ts, window) {
        let code = body.get("code").and_then(Value::as_i64).unwrap_or(-1021);
        let msg = body.get("msg").and_then(Value::as_str).unwrap_or("");
        return error(&id, 400, code, msg);
    }
    let sub = sh.next_subscription.fetch_add(1, Ordering::Relaxed);
    lock(&sh.subscribers).push(Subscriber {
        subscription_id: sub,
        tx: tx.clone(),
    });
    json!({"id": id, "status": 200, "result": {"subscriptionId": sub},
           "rateLimits": [{"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000, "count": 2}]})
}
