//! The `trade_updates` stream: authenticate, listen, then map each order
//! event to [`StreamEvent`]s until the connection ends.
//!
//! Paper sends binary frames with JSON inside; text frames are read the
//! same way. A frame that cannot be understood is counted and dropped:
//! the order manager reconciles by query after each `Connected`, so a lost
//! update costs a query, never a wrong book.

use super::time::parse_rfc3339_ms;
use super::wire::{StreamMsg, TradeUpdate};
use crate::api::{StreamEvent, VenueFill, VenueOrderState};
use crate::secret::Credentials;
use futures_util::{SinkExt, StreamExt};
use rust_decimal::Decimal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::{Instant, timeout};
use tokio_tungstenite::tungstenite::Message;

/// Connecting, authenticating and subscribing must each finish within it.
const HANDSHAKE: Duration = Duration::from_secs(10);
/// Client pings, as alpaca-py sends them.
const PING_EVERY: Duration = Duration::from_secs(10);
/// A connection silent this long (not even a pong) is dead.
const SILENT_AFTER: Duration = Duration::from_secs(180);

type Read = futures_util::stream::SplitStream<
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
>;

/// Runs one connection and always ends with `Disconnected`.
pub(crate) async fn run(
    url: &str,
    credentials: &Credentials,
    malformed: &AtomicU64,
    tx: &mpsc::Sender<StreamEvent>,
) {
    let reason = session(url, credentials, malformed, tx).await;
    tracing::info!(venue = "alpaca", %reason, "trade stream ended");
    let _ = tx.send(StreamEvent::Disconnected(reason)).await;
}

async fn session(
    url: &str,
    credentials: &Credentials,
    malformed: &AtomicU64,
    tx: &mpsc::Sender<StreamEvent>,
) -> String {
    let ws = match timeout(HANDSHAKE, tokio_tungstenite::connect_async(url)).await {
        Ok(Ok((ws, _))) => ws,
        Ok(Err(e)) => return format!("connect: {e}"),
        Err(_) => return "connect: timed out".into(),
    };
    let (mut write, mut read) = ws.split();
    let auth = serde_json::json!({
        "action": "authenticate",
        "data": {
            "key_id": credentials.key.expose(),
            "secret_key": credentials.secret.expose(),
        },
    });
    if let Err(e) = write.send(Message::text(auth.to_string())).await {
        return format!("authenticate: {e}");
    }
    drop(auth);
    let data = match control(&mut read, "authorization", malformed).await {
        Ok(d) => d,
        Err(e) => return format!("authenticate: {e}"),
    };
    let status = data.get("status").and_then(|s| s.as_str()).unwrap_or("");
    if status != "authorized" {
        return format!("authentication refused by alpaca (status `{status}`)");
    }
    let listen = r#"{"action":"listen","data":{"streams":["trade_updates"]}}"#;
    if let Err(e) = write.send(Message::text(listen)).await {
        return format!("listen: {e}");
    }
    if let Err(e) = control(&mut read, "listening", malformed).await {
        return format!("listen: {e}");
    }
    if tx.send(StreamEvent::Connected).await.is_err() {
        return "receiver closed".into();
    }
    let mut ping = tokio::time::interval_at(Instant::now() + PING_EVERY, PING_EVERY);
    let mut last_heard = Instant::now();
    loop {
        tokio::select! {
            _ = ping.tick() => {
                if last_heard.elapsed() > SILENT_AFTER {
                    return format!("silent for {} s", SILENT_AFTER.as_secs());
                }
                if let Err(e) = write.send(Message::Ping(Vec::new().into())).await {
                    return format!("ping: {e}");
                }
            }
            frame = read.next() => {
                last_heard = Instant::now();
                let bytes = match frame {
                    None => return "connection closed".into(),
                    Some(Err(e)) => return format!("read: {e}"),
                    Some(Ok(Message::Close(f))) => {
                        return match f {
                            Some(f) => format!("closed by alpaca: {} {}", f.code, f.reason),
                            None => "closed by alpaca".into(),
                        };
                    }
                    Some(Ok(Message::Text(t))) => t.as_bytes().to_vec(),
                    Some(Ok(Message::Binary(b))) => b.to_vec(),
                    Some(Ok(_)) => continue,
                };
                match decode(&bytes) {
                    Ok(events) => {
                        for ev in events {
                            if tx.send(ev).await.is_err() {
                                return "receiver closed".into();
                            }
                        }
                    }
                    Err(e) => {
                        malformed.fetch_add(1, Ordering::Relaxed);
                        tracing::warn!(venue = "alpaca", len = bytes.len(), error = %e, "dropped a malformed stream frame");
                    }
                }
            }
        }
    }
}

/// Waits for the control message of `stream` (`authorization`,
/// `listening`) and returns its `data`.
async fn control(
    read: &mut Read,
    stream: &str,
    malformed: &AtomicU64,
) -> Result<serde_json::Value, String> {
    let deadline = Instant::now() + HANDSHAKE;
    loop {
        let frame = match tokio::time::timeout_at(deadline, read.next()).await {
            Err(_) => {
                return Err(format!(
                    "no `{stream}` reply within {} s",
                    HANDSHAKE.as_secs()
                ));
            }
            Ok(None) => return Err("connection closed".into()),
            Ok(Some(Err(e))) => return Err(e.to_string()),
            Ok(Some(Ok(m))) => m,
        };
        let bytes = match frame {
            Message::Text(t) => t.as_bytes().to_vec(),
            Message::Binary(b) => b.to_vec(),
            Message::Close(_) => return Err("closed by alpaca".into()),
            _ => continue,
        };
        match serde_json::from_slice::<StreamMsg>(&bytes) {
            Ok(m) if m.stream == stream => return Ok(m.data),
            // An unauthorized `listen` comes back as `authorization`.
            Ok(m) if m.stream == "authorization" => {
                let status = m.data.get("status").and_then(|s| s.as_str()).unwrap_or("");
                return Err(format!("alpaca answered authorization `{status}`"));
            }
            Ok(_) => {}
            Err(_) => {
                malformed.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// The events of one frame: none for control messages and order events
/// we do not track, an error for a frame we cannot read.
pub(crate) fn decode(bytes: &[u8]) -> Result<Vec<StreamEvent>, String> {
    let msg: StreamMsg = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    if msg.stream != "trade_updates" {
        return Ok(Vec::new());
    }
    let up: TradeUpdate = serde_json::from_value(msg.data).map_err(|e| e.to_string())?;
    let order_as = |state| up.order.to_venue_as(state).map(StreamEvent::Order);
    let ev = match up.event.as_str() {
        "new" | "accepted" | "pending_new" => vec![order_as(VenueOrderState::New)?],
        "partial_fill" | "fill" => {
            let state = if up.event == "fill" {
                VenueOrderState::Filled
            } else {
                VenueOrderState::PartiallyFilled
            };
            let order = up.order.to_venue_as(state)?;
            let fill = VenueFill {
                trade_id: up.execution_id.clone().ok_or("fill without execution_id")?,
                client_id: Some(order.client_id.clone()),
                venue_order_id: order.venue_id.clone(),
                symbol: order.symbol.clone(),
                side: order.side,
                qty: up
                    .qty
                    .filter(|q| *q > Decimal::ZERO)
                    .ok_or("fill without qty")?,
                price: up.price.ok_or("fill without price")?,
                fee: Decimal::ZERO,
                fee_asset: "USD".into(),
                ts_ms: up
                    .timestamp
                    .as_deref()
                    .and_then(parse_rfc3339_ms)
                    .unwrap_or(0),
            };
            vec![StreamEvent::Fill(fill), StreamEvent::Order(order)]
        }
        "canceled" => vec![order_as(VenueOrderState::Cancelled)?],
        "expired" => vec![order_as(VenueOrderState::Expired)?],
        "rejected" => vec![order_as(VenueOrderState::Rejected)?],
        _ => Vec::new(),
    };
    Ok(ev)
}
