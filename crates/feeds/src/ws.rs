//! One venue's WebSocket connection, kept alive: subscribe, read, answer
//! pings, send application pings, treat silence as death, reconnect with
//! jittered backoff, roll before the venue's age limit.

use super::SymbolMap;
use super::backoff::Backoff;
use super::ingest::{Ingest, Outlet};
use super::record::Recorder;
use super::stats::{FeedState, FeedStats};
use super::venue::{Subscription, Transport, VenueKind};
use futures_util::{SinkExt, StreamExt};
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::{Instant, sleep, timeout};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// Beyond this size tungstenite itself refuses a message and the connection
/// is recycled; below it, our own cap drops the frame and keeps the
/// connection.
const HARD_CAP: usize = 64 << 20;

/// How to talk to one venue over WebSocket.
#[derive(Clone, Debug)]
pub struct WsSpec {
    pub kind: VenueKind,
    pub url: String,
    /// Messages sent after every (re)connection.
    pub subscribe: Vec<String>,
    /// An application-level ping and how often to send it.
    pub app_ping: Option<(Duration, String)>,
    /// Silence longer than this means the connection is dead.
    pub dead_after: Duration,
    /// Market data absent this long means the connection is dead, even if
    /// acknowledgements and pongs still arrive (MEXC drops a connection
    /// after 60 s without data; `None` for venues without such a rule).
    pub data_silence: Option<Duration>,
    /// Frames larger than this are dropped.
    pub max_frame: usize,
    /// Connections older than this are rolled.
    pub max_age: Duration,
    /// `(min, max)` step of the reconnection [`Backoff`](crate::backoff::Backoff).
    pub backoff: (Duration, Duration),
}

/// How to connect to a WebSocket venue: its subscription (from the venue
/// table) and the connection's limits.
pub fn venue_spec(
    kind: VenueKind,
    url: &str,
    symbols: &[String],
    heartbeat: Duration,
    max_frame: usize,
    max_age: Duration,
) -> WsSpec {
    let sub = match kind.spec().transport {
        Transport::WebSocket(subscription) => subscription(symbols),
        Transport::HttpStream => Subscription {
            messages: Vec::new(),
            app_ping: None,
        },
    };
    let (subscribe, app_ping) = (sub.messages, sub.app_ping);
    WsSpec {
        kind,
        url: url.to_string(),
        subscribe,
        app_ping,
        dead_after: heartbeat * 2,
        data_silence: kind.spec().data_silence,
        max_frame,
        max_age,
        backoff: (Duration::from_secs(1), Duration::from_secs(60)),
    }
}

/// Why a connection ended.
enum End {
    Stop,
    EngineGone,
    Reconnect(String),
}

/// Runs until `stop` turns true: connect, subscribe, read; on any failure
/// wait out the backoff and start again.
pub async fn run(
    spec: WsSpec,
    map: SymbolMap,
    stats: std::sync::Arc<FeedStats>,
    out: Outlet,
    recorder: Option<Recorder>,
    mut stop: watch::Receiver<bool>,
    seed: u64,
) {
    let mut backoff = Backoff::new(spec.backoff.0, spec.backoff.1, seed);
    stats.set_state(FeedState::Connecting);
    loop {
        let end = connect_once(
            &spec,
            &map,
            &stats,
            &out,
            recorder.as_ref(),
            &mut stop,
            &mut backoff,
        )
        .await;
        match end {
            End::Stop | End::EngineGone => {
                stats.set_state(FeedState::Idle);
                return;
            }
            End::Reconnect(why) => {
                stats.error(why.clone());
                stats.set_state(FeedState::Reconnecting);
                stats.reconnected();
                tracing::info!(venue = spec.kind.name(), why, "reconnecting");
                let wait = backoff.next_delay();
                tokio::select! {
                    _ = sleep(wait) => {}
                    _ = stop.changed() => { stats.set_state(FeedState::Idle); return; }
                }
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn connect_once(
    spec: &WsSpec,
    map: &SymbolMap,
    stats: &FeedStats,
    out: &Outlet,
    recorder: Option<&Recorder>,
    stop: &mut watch::Receiver<bool>,
    backoff: &mut Backoff,
) -> End {
    let config = WebSocketConfig::default()
        .max_message_size(Some(HARD_CAP))
        .max_frame_size(Some(HARD_CAP));
    let connect =
        tokio_tungstenite::connect_async_with_config(spec.url.as_str(), Some(config), false);
    let ws = match timeout(Duration::from_secs(10), connect).await {
        Ok(Ok((ws, _))) => ws,
        Ok(Err(e)) => return End::Reconnect(format!("connect: {e}")),
        Err(_) => return End::Reconnect("connect: timed out".into()),
    };
    let (mut write, mut read) = ws.split();
    for s in &spec.subscribe {
        if let Err(e) = write.send(Message::Text(s.clone().into())).await {
            return End::Reconnect(format!("subscribe: {e}"));
        }
    }
    stats.set_state(FeedState::Connected);
    let mut ingest = Ingest {
        venue: spec.kind.name(),
        stats,
        parser: spec.kind.parser(map.clone()),
        max_frame: spec.max_frame,
        recorder,
        out,
        buf: Vec::new(),
        gaps_seen: 0,
        pushes: 0,
    };
    let roll_at = Instant::now() + spec.max_age;
    let ping_every = spec
        .app_ping
        .as_ref()
        .map_or(Duration::from_secs(3600), |p| p.0);
    let mut next_ping = Instant::now() + ping_every;
    let mut healthy = false;
    // Silence is measured from the last frame received, whatever we send.
    let mut silent_after = Instant::now() + spec.dead_after;
    // Far enough away never to fire for venues without a data rule.
    let data_window = spec
        .data_silence
        .unwrap_or(Duration::from_secs(86_400 * 365));
    let mut no_data_after = Instant::now() + data_window;
    loop {
        tokio::select! {
            biased;
            _ = stop.changed() => {
                let _ = write.send(Message::Close(None)).await;
                return End::Stop;
            }
            _ = tokio::time::sleep_until(roll_at) => {
                let _ = write.send(Message::Close(None)).await;
                return End::Reconnect("rolled before the venue's connection age limit".into());
            }
            _ = tokio::time::sleep_until(next_ping), if spec.app_ping.is_some() => {
                if let Some((_, ping)) = &spec.app_ping
                    && let Err(e) = write.send(Message::Text(ping.clone().into())).await
                {
                    return End::Reconnect(format!("ping: {e}"));
                }
                next_ping = Instant::now() + ping_every;
            }
            _ = tokio::time::sleep_until(silent_after) => {
                return End::Reconnect(format!("silent for {:?}", spec.dead_after));
            }
            _ = tokio::time::sleep_until(no_data_after), if spec.data_silence.is_some() => {
                return End::Reconnect(format!("no market data for {data_window:?}"));
            }
            msg = read.next() => {
                let msg = match msg {
                    None => return End::Reconnect("closed by the venue".into()),
                    Some(Err(e)) => {
                        stats.dropped();
                        return End::Reconnect(format!("read: {e}"));
                    }
                    Some(Ok(m)) => m,
                };
                silent_after = Instant::now() + spec.dead_after;
                let pushes = ingest.pushes;
                match msg {
                    Message::Text(t) => {
                        if !ingest.frame(t.as_str()).await {
                            return End::EngineGone;
                        }
                        if !healthy {
                            healthy = true;
                            backoff.reset();
                        }
                    }
                    // MEXC's protobuf pushes; other venues' JSON sent as bytes.
                    Message::Binary(b) => {
                        if !ingest.binary(&b).await {
                            return End::EngineGone;
                        }
                        if !healthy && ingest.pushes > pushes {
                            healthy = true;
                            backoff.reset();
                        }
                    }
                    // tungstenite answers pings itself on the next read.
                    Message::Ping(_) | Message::Pong(_) => stats.message(out.clock.now()),
                    Message::Close(_) => return End::Reconnect("close frame from the venue".into()),
                    Message::Frame(_) => {}
                }
                if ingest.pushes > pushes {
                    no_data_after = Instant::now() + data_window;
                }
            }
        }
    }
}
