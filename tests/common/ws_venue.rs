//! A scripted venue on 127.0.0.1 speaking WebSocket, for the feed tests
//! (each includes it with `#[path]`): it waits for the client's
//! subscription, optionally acknowledges it as the venue does, sends a
//! script of frames at their offsets, then keeps the connection alive.

// Each test uses the parts it needs.
#![allow(dead_code)]

use futures_util::{SinkExt, StreamExt};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

/// What a venue sends on one connection: (milliseconds after the
/// subscription, frame), in order.
pub type Script = Vec<(u64, String)>;

/// Makes a connection's script when it subscribes (so a script may read
/// the clock, as a venue stamps its frames).
pub type MakeScript = Arc<dyn Fn() -> Script + Send + Sync>;

/// `frames` 5 ms apart, from the subscription on.
pub fn every_5ms(frames: Vec<String>) -> Script {
    frames
        .into_iter()
        .enumerate()
        .map(|(i, f)| (5 * i as u64, f))
        .collect()
}

/// Serves every connection on `listener`: waits for the client's first text
/// frame (its subscription), sends `ack` if there is one, the script's
/// frames at their offsets, then a ping every 200 ms (so a feed that
/// reconnects after a silence, as Kraken's does after 2 s, does not get
/// the script twice) until the client goes.
pub async fn serve(listener: TcpListener, ack: Option<&'static str>, script: MakeScript) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            return;
        };
        let script = script.clone();
        tokio::spawn(async move {
            let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await else {
                return;
            };
            loop {
                match ws.next().await {
                    Some(Ok(Message::Text(_))) => break,
                    Some(Ok(_)) => {}
                    _ => return,
                }
            }
            let start = tokio::time::Instant::now();
            if let Some(ack) = ack
                && ws.send(Message::Text(ack.into())).await.is_err()
            {
                return;
            }
            for (at, f) in script() {
                tokio::time::sleep_until(start + Duration::from_millis(at)).await;
                if ws.send(Message::Text(f.into())).await.is_err() {
                    return;
                }
            }
            loop {
                tokio::time::sleep(Duration::from_millis(200)).await;
                if ws.send(Message::Ping(Vec::new().into())).await.is_err() {
                    return;
                }
            }
        });
    }
}
