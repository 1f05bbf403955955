//! MEXC's private stream: a `listenKey` from `POST /api/v3/userDataStream`
//! (signed), a WebSocket to `<ws_url>?listenKey=…`, a `SUBSCRIPTION` to
//! the order and deal channels, each confirmed by a JSON text ack
//! `{"id":0,"code":0,"msg":"<channel>"}`; then binary protobuf pushes
//! ([`super::proto`]). `{"method":"PING"}` goes out every
//! [`PING_EVERY`] (MEXC drops a connection quiet for 60 s), the key is
//! extended with `PUT /api/v3/userDataStream` every [`KEEPALIVE_EVERY`]
//! (it lapses 60 min after the last extension), and closed with `DELETE`
//! when the stream ends.

use super::proto::{self, Push};
use super::rest::Rest;
use crate::api::StreamEvent;
use futures_util::{SinkExt, StreamExt};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

/// The channels subscribed: order updates and our executions.
pub const CHANNELS: [&str; 2] = [
    "spot@private.orders.v3.api.pb",
    "spot@private.deals.v3.api.pb",
];
/// How often a PING is sent.
pub const PING_EVERY: Duration = Duration::from_secs(20);
/// How often the listen key is extended (MEXC: "every 30 minutes").
pub const KEEPALIVE_EVERY: Duration = Duration::from_secs(30 * 60);

/// What one stream run needs.
pub struct StreamCtx<'a> {
    pub rest: &'a Rest,
    pub ws_url: &'a str,
    pub timeout: Duration,
    /// Frames that could not be read, kept for the status line and tests.
    pub malformed: Arc<AtomicU64>,
}

/// Runs the stream until it ends; always sends `Disconnected` last.
pub async fn run(ctx: StreamCtx<'_>, tx: mpsc::Sender<StreamEvent>) {
    let reason = session(&ctx, &tx).await;
    let _ = tx.send(StreamEvent::Disconnected(reason)).await;
}

/// Gets a listen key, listens, closes the key; returns why it ended.
async fn session(ctx: &StreamCtx<'_>, tx: &mpsc::Sender<StreamEvent>) -> String {
    let key = match ctx
        .rest
        .signed(Method::POST, "/api/v3/userDataStream", &[])
        .await
    {
        Ok(v) => match v.get("listenKey").and_then(Value::as_str) {
            Some(k) if !k.is_empty() => k.to_string(),
            _ => return "listenKey: answer without a key".into(),
        },
        Err(f) => return format!("listenKey: {}", f.into_api()),
    };
    let reason = listen(ctx, tx, &key).await;
    // Best effort: a key left open lapses by itself after 60 minutes.
    let _ = ctx
        .rest
        .signed(
            Method::DELETE,
            "/api/v3/userDataStream",
            &[("listenKey", key)],
        )
        .await;
    reason
}

async fn listen(ctx: &StreamCtx<'_>, tx: &mpsc::Sender<StreamEvent>, key: &str) -> String {
    let url = format!(
        "{}?listenKey={}",
        ctx.ws_url,
        crate::binance::sign::encode(key)
    );
    let mut ws =
        match tokio::time::timeout(ctx.timeout, tokio_tungstenite::connect_async(url)).await {
            Ok(Ok((ws, _))) => ws,
            Ok(Err(e)) => return format!("connect: {e}"),
            Err(_) => return "connect: timed out".into(),
        };
    let sub = json!({"method": "SUBSCRIPTION", "params": CHANNELS});
    if let Err(e) = ws.send(Message::text(sub.to_string())).await {
        return format!("subscribe: {e}");
    }
    let mut pending: BTreeSet<&str> = CHANNELS.into_iter().collect();
    let subscribe_by = tokio::time::Instant::now() + ctx.timeout;
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + PING_EVERY, PING_EVERY);
    let mut keepalive = tokio::time::interval_at(
        tokio::time::Instant::now() + KEEPALIVE_EVERY,
        KEEPALIVE_EVERY,
    );
    loop {
        let next = tokio::select! {
            n = ws.next() => n,
            _ = tokio::time::sleep_until(subscribe_by), if !pending.is_empty() => {
                return "subscribe: no answer".into();
            }
            _ = ping.tick() => {
                if let Err(e) = ws.send(Message::text(json!({"method": "PING"}).to_string())).await {
                    return format!("ping: {e}");
                }
                continue;
            }
            _ = keepalive.tick() => {
                if let Err(f) = ctx.rest.signed(Method::PUT, "/api/v3/userDataStream", &[("listenKey", key.to_string())]).await {
                    let e = f.into_api();
                    match e {
                        crate::api::ApiError::Refused { .. } | crate::api::ApiError::Auth(_) => {
                            return format!("listenKey keep-alive refused: {e}");
                        }
                        // Tried again in 30 minutes, well before it lapses.
                        _ => tracing::warn!("mexc stream: listenKey keep-alive: {e}"),
                    }
                }
                continue;
            }
        };
        let frame = match next {
            None => return "stream ended".into(),
            Some(Err(e)) => return format!("stream error: {e}"),
            Some(Ok(f)) => f,
        };
        match frame {
            Message::Text(t) => {
                let Ok(v) = serde_json::from_str::<Value>(t.as_str()) else {
                    ctx.malformed.fetch_add(1, Ordering::Relaxed);
                    continue;
                };
                let code = v.get("code").and_then(Value::as_i64);
                let msg = v.get("msg").and_then(Value::as_str).unwrap_or("");
                if msg == "PONG" {
                    continue;
                }
                if pending.is_empty() {
                    continue;
                }
                match (code, pending.take(msg)) {
                    (Some(0), Some(_)) => {
                        if pending.is_empty() && tx.send(StreamEvent::Connected).await.is_err() {
                            return "receiver gone".into();
                        }
                    }
                    // MEXC answers a refused channel with a message that
                    // is not the channel's name.
                    _ => return format!("subscribe refused: {code:?} {msg}"),
                }
            }
            Message::Binary(b) => match proto::decode(&b) {
                Ok(Push::Order(o)) => {
                    if tx.send(StreamEvent::Order(o)).await.is_err() {
                        return "receiver gone".into();
                    }
                }
                Ok(Push::Fill(f)) => {
                    if tx.send(StreamEvent::Fill(f)).await.is_err() {
                        return "receiver gone".into();
                    }
                }
                Ok(Push::Other) => {}
                Err(e) => {
                    ctx.malformed.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(error = %e, "mexc stream: unreadable push dropped");
                }
            },
            Message::Close(frame) => {
                return match frame {
                    Some(f) => format!("closed by the venue: {} {}", f.code, f.reason),
                    None => "closed by the venue".into(),
                };
            }
            _ => {}
        }
    }
}
