//! The transaction stream: a chunked HTTP answer that never ends on its
//! own, one JSON object per line: a `HEARTBEAT` at once and then every
//! interval, and every transaction as it is made (no replay of earlier
//! ones, as OANDA does not replay).

use super::Shared;
use super::book::{Frame, now_rfc3339};
use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::time::{Instant, Interval};

/// What one connection keeps between lines.
struct Conn {
    sh: Arc<Shared>,
    frames: broadcast::Receiver<Frame>,
    heartbeat: Interval,
    first: bool,
}

/// Opens one stream connection (the caller checked the token and the
/// account).
pub(crate) fn open(sh: Arc<Shared>) -> Response {
    sh.stream_connections.fetch_add(1, Ordering::Relaxed);
    // Subscribed before the first heartbeat, so nothing made after it is
    // missed.
    let frames = sh.frames.subscribe();
    let every = Duration::from_millis(sh.heartbeat_ms.load(Ordering::Relaxed).max(1));
    let conn = Conn {
        sh,
        frames,
        heartbeat: tokio::time::interval_at(Instant::now() + every, every),
        first: true,
    };
    let lines = futures_util::stream::unfold(conn, |mut c| async move {
        if std::mem::take(&mut c.first) {
            let line = heartbeat(&c.sh);
            return Some((Ok(line), c));
        }
        loop {
            tokio::select! {
                _ = c.heartbeat.tick() => {
                    let line = heartbeat(&c.sh);
                    return Some((Ok(line), c));
                }
                frame = c.frames.recv() => match frame {
                    Ok(Frame::Line(bytes)) => return Some((Ok(Bytes::from(bytes)), c)),
                    Err(RecvError::Lagged(_)) => {}
                    // An error item makes the server cut the connection
                    // without the closing chunk, as a network drop would.
                    Ok(Frame::Drop) => {
                        return Some((Err(std::io::Error::other("stream dropped")), c));
                    }
                    Err(RecvError::Closed) => return None,
                }
            }
        }
    });
    let mut r = (StatusCode::OK, Body::from_stream(lines)).into_response();
    r.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("application/octet-stream"),
    );
    r
}

fn heartbeat(sh: &Shared) -> Bytes {
    let last = sh.lock().book.last_id();
    let mut line = json!({
        "type": "HEARTBEAT",
        "lastTransactionID": last,
        "time": now_rfc3339(),
    })
    .to_string()
    .into_bytes();
    line.push(b'\n');
    Bytes::from(line)
}
