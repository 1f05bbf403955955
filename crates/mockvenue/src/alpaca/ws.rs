//! The `trade_updates` stream at `/stream`: `authenticate`, then `listen`,
//! then every book event as a binary frame (as paper sends them).

use super::Shared;
use super::book::Frame;
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tokio::sync::broadcast::error::RecvError;

pub(crate) async fn upgrade(State(sh): State<Arc<Shared>>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| session(socket, sh))
}

/// What the client's control message asks for.
enum Control {
    Reply(Value),
    ReplyAndClose(Value),
    Ignore,
}

async fn session(mut socket: WebSocket, sh: Arc<Shared>) {
    sh.stream_connections.fetch_add(1, Ordering::Relaxed);
    // Subscribed before anything else, so nothing published after the
    // `listening` reply can be missed; earlier events are skipped, as
    // Alpaca does not replay.
    let mut frames = sh.frames.subscribe();
    let mut authorized = false;
    let mut listening = false;
    loop {
        tokio::select! {
            msg = socket.recv() => {
                let bytes = match msg {
                    None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                    Some(Ok(Message::Text(t))) => t.as_bytes().to_vec(),
                    Some(Ok(Message::Binary(b))) => b.to_vec(),
                    Some(Ok(_)) => continue,
                };
                match control(&sh, &bytes, &mut authorized, &mut listening) {
                    Control::Reply(v) => {
                        if send(&mut socket, &v).await.is_err() {
                            return;
                        }
                    }
                    Control::ReplyAndClose(v) => {
                        let _ = send(&mut socket, &v).await;
                        let _ = socket.send(Message::Close(None)).await;
                        return;
                    }
                    Control::Ignore => {}
                }
            }
            frame = frames.recv() => match frame {
                Ok(Frame::Data(bytes)) if listening => {
                    if socket.send(Message::Binary(bytes.into())).await.is_err() {
                        return;
                    }
                }
                Ok(Frame::Data(_)) | Err(RecvError::Lagged(_)) => {}
                Ok(Frame::Drop) | Err(RecvError::Closed) => return,
            }
        }
    }
}

fn control(sh: &Shared, bytes: &[u8], authorized: &mut bool, listening: &mut bool) -> Control {
    let Ok(msg) = serde_json::from_slice::<Value>(bytes) else {
        return Control::Reply(json!({
            "stream": "error",
            "data": { "message": "invalid message" },
        }));
    };
    let data = msg.get("data").cloned().unwrap_or(Value::Null);
    match msg.get("action").and_then(Value::as_str) {
        Some("authenticate") => {
            let key = data.get("key_id").and_then(Value::as_str);
            let secret = data.get("secret_key").and_then(Value::as_str);
            if key == Some(sh.key_id.as_str()) && secret == Some(sh.secret.as_str()) {
                *authorized = true;
                Control::Reply(authorization("authorized", "authenticate"))
            } else {
                Control::ReplyAndClose(authorization("unauthorized", "authenticate"))
            }
        }
        Some("listen") if !*authorized => Control::Reply(authorization("unauthorized", "listen")),
        Some("listen") => {
            let streams: Vec<Value> = data
                .get("streams")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            *listening = streams.iter().any(|s| s == "trade_updates");
            Control::Reply(json!({ "stream": "listening", "data": { "streams": streams } }))
        }
        _ => Control::Ignore,
    }
}

fn authorization(status: &str, action: &str) -> Value {
    json!({ "stream": "authorization", "data": { "status": status, "action": action } })
}

async fn send(socket: &mut WebSocket, v: &Value) -> Result<(), axum::Error> {
    socket
        .send(Message::Binary(v.to_string().into_bytes().into()))
        .await
}
