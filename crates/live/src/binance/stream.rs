//! The private stream over Binance's WebSocket API (the listenKey streams
//! are retired): one connection, a signed `userDataStream.subscribe.signature`
//! request, then `executionReport` events wrapped as
//! `{"subscriptionId":N,"event":{…}}`.

use super::sign;
use super::wire;
use crate::api::StreamEvent;
use crate::secret::Credentials;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

/// The id of our subscribe request.
const SUBSCRIBE_ID: &str = "u1";

/// What one stream run needs.
pub struct StreamCtx<'a> {
    pub url: &'a str,
    pub creds: &'a Credentials,
    /// Venue-corrected time, ms.
    pub timestamp_ms: i64,
    pub timeout: Duration,
    /// Frames that could not be read, kept for the status line and tests.
    pub malformed: Arc<AtomicU64>,
}

/// Runs the stream until it ends; always sends `Disconnected` last.
pub async fn run(ctx: StreamCtx<'_>, tx: mpsc::Sender<StreamEvent>) {
    let reason = session(&ctx, &tx).await;
    let _ = tx.send(StreamEvent::Disconnected(reason)).await;
}

/// Connects, subscribes and forwards events; returns why it ended.
async fn session(ctx: &StreamCtx<'_>, tx: &mpsc::Sender<StreamEvent>) -> String {
    let connect = tokio_tungstenite::connect_async(ctx.url);
    let mut ws = match tokio::time::timeout(ctx.timeout, connect).await {
        Ok(Ok((ws, _))) => ws,
        Ok(Err(e)) => return format!("connect: {e}"),
        Err(_) => return "connect: timed out".into(),
    };
    let mut params = vec![
        ("apiKey", ctx.creds.key.expose().to_string()),
        ("timestamp", ctx.timestamp_ms.to_string()),
    ];
    let signature = sign::sign(&ctx.creds.secret, &sign::ws_payload(&params));
    params.push(("signature", signature));
    let mut p = serde_json::Map::new();
    for (k, v) in params {
        p.insert(k.to_string(), Value::String(v));
    }
    let req =
        json!({"id": SUBSCRIBE_ID, "method": "userDataStream.subscribe.signature", "params": p});
    if let Err(e) = ws.send(Message::text(req.to_string())).await {
        return format!("subscribe: {e}");
    }
    let mut subscription: Option<i64> = None;
    loop {
        // Before the subscription is confirmed, wait at most the request
        // timeout; afterwards the venue may be quiet for as long as it likes
        // (it pings, and tungstenite answers while we read).
        let next = if subscription.is_none() {
            match tokio::time::timeout(ctx.timeout, ws.next()).await {
                Ok(n) => n,
                Err(_) => return "subscribe: no answer".into(),
            }
        } else {
            ws.next().await
        };
        let text = match next {
            None => return "stream ended".into(),
            Some(Err(e)) => return format!("stream error: {e}"),
            Some(Ok(Message::Text(t))) => t.to_string(),
            Some(Ok(Message::Close(frame))) => {
                return match frame {
                    Some(f) => format!("closed by the venue: {} {}", f.code, f.reason),
                    None => "closed by the venue".into(),
                };
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(_)) => {
                ctx.malformed.fetch_add(1, Ordering::Relaxed);
                continue;
            }
        };
        let Ok(v) = serde_json::from_str::<Value>(&text) else {
            ctx.malformed.fetch_add(1, Ordering::Relaxed);
            tracing::warn!("binance stream: unreadable frame dropped");
            continue;
        };
        if v.get("id").and_then(Value::as_str) == Some(SUBSCRIBE_ID) {
            match subscribed(&v) {
                Ok(id) => {
                    subscription = Some(id);
                    if tx.send(StreamEvent::Connected).await.is_err() {
                        return "receiver gone".into();
                    }
                }
                Err(e) => return e,
            }
            continue;
        }
        let Some(event) = v.get("event") else {
            // Answers to requests we did not make, or venue notices.
            continue;
        };
        match event.get("e").and_then(Value::as_str) {
            Some("executionReport") => match wire::execution_report(event) {
                Ok((order, fill)) => {
                    if tx.send(StreamEvent::Order(order)).await.is_err() {
                        return "receiver gone".into();
                    }
                    if let Some(f) = fill
                        && tx.send(StreamEvent::Fill(f)).await.is_err()
                    {
                        return "receiver gone".into();
                    }
                }
                Err(e) => {
                    ctx.malformed.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(error = %e, "binance stream: malformed executionReport dropped");
                }
            },
            Some("serverShutdown") => return "server shutdown".into(),
            Some("eventStreamTerminated") => return "event stream terminated".into(),
            // Balance updates: holdings are read by query.
            Some(_) => {}
            None => {
                ctx.malformed.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// The subscription id of a successful subscribe answer, or why it failed.
fn subscribed(v: &Value) -> Result<i64, String> {
    if v.get("status").and_then(Value::as_i64) == Some(200) {
        return v
            .pointer("/result/subscriptionId")
            .and_then(Value::as_i64)
            .ok_or_else(|| "subscribe: answer without subscriptionId".to_string());
    }
    let code = v
        .pointer("/error/code")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let msg = v
        .pointer("/error/msg")
        .and_then(Value::as_str)
        .unwrap_or("no message");
    Err(format!("subscribe refused: {code} {msg}"))
}
