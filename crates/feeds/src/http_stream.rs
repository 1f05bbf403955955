//! OANDA's pricing stream: chunked HTTP, one JSON object per line, a
//! HEARTBEAT line every 5 seconds. Same keep-alive rules as the sockets.

use super::SymbolMap;
use super::backoff::Backoff;
use super::ingest::{Ingest, Outlet};
use super::record::Recorder;
use super::stats::{FeedState, FeedStats};
use super::venue::VenueKind;
use futures_util::StreamExt;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::{sleep, timeout};

/// How to reach the stream.
#[derive(Clone, Debug)]
pub struct HttpSpec {
    /// `{base}/accounts/{id}/pricing/stream?instruments=…`.
    pub url: String,
    /// Bearer token (from the environment, never the config file).
    pub token: String,
    /// Silence longer than this means the connection is dead.
    pub dead_after: Duration,
    /// Lines longer than this are dropped.
    pub max_frame: usize,
    /// `(min, max)` step of the reconnection [`Backoff`](crate::backoff::Backoff).
    pub backoff: (Duration, Duration),
}

/// The pricing-stream URL for these OANDA instruments.
pub fn pricing_url(base: &str, account: &str, symbols: &[String]) -> String {
    format!(
        "{}/accounts/{account}/pricing/stream?instruments={}",
        base.trim_end_matches('/'),
        symbols.join(",")
    )
}

enum End {
    Stop,
    EngineGone,
    Reconnect(String),
}

/// Runs until `stop` turns true.
pub async fn run(
    spec: HttpSpec,
    map: SymbolMap,
    stats: Arc<FeedStats>,
    out: Outlet,
    recorder: Option<Recorder>,
    mut stop: watch::Receiver<bool>,
    seed: u64,
) {
    let client = match reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            stats.error(format!("http client: {e}"));
            stats.set_state(FeedState::Down);
            return;
        }
    };
    let mut backoff = Backoff::new(spec.backoff.0, spec.backoff.1, seed);
    stats.set_state(FeedState::Connecting);
    loop {
        match once(
            &client,
            &spec,
            &map,
            &stats,
            &out,
            recorder.as_ref(),
            &mut stop,
            &mut backoff,
        )
        .await
        {
            End::Stop | End::EngineGone => {
                stats.set_state(FeedState::Idle);
                return;
            }
            End::Reconnect(why) => {
                stats.error(why.clone());
                stats.set_state(FeedState::Reconnecting);
                stats.reconnected();
                tracing::info!(venue = "oanda", why, "reconnecting");
                tokio::select! {
                    _ = sleep(backoff.next_delay()) => {}
                    _ = stop.changed() => { stats.set_state(FeedState::Idle); return; }
                }
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn once(
    client: &reqwest::Client,
    spec: &HttpSpec,
    map: &SymbolMap,
    stats: &FeedStats,
    out: &Outlet,
    recorder: Option<&Recorder>,
    stop: &mut watch::Receiver<bool>,
    backoff: &mut Backoff,
) -> End {
    let req = client.get(&spec.url).bearer_auth(&spec.token).send();
    let resp = match timeout(Duration::from_secs(10), req).await {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => return End::Reconnect(format!("connect: {e}")),
        Err(_) => return End::Reconnect("connect: timed out".into()),
    };
    if !resp.status().is_success() {
        return End::Reconnect(format!("HTTP {}", resp.status()));
    }
    stats.set_state(FeedState::Connected);
    let mut ingest = Ingest {
        venue: VenueKind::Oanda.name(),
        stats,
        parser: VenueKind::Oanda.parser(map.clone()),
        max_frame: spec.max_frame,
        recorder,
        out,
        buf: Vec::new(),
        gaps_seen: 0,
        pushes: 0,
    };
    let mut body = resp.bytes_stream();
    let mut pending: Vec<u8> = Vec::new();
    let mut skipping = false;
    let mut healthy = false;
    loop {
        tokio::select! {
            biased;
            _ = stop.changed() => return End::Stop,
            chunk = timeout(spec.dead_after, body.next()) => {
                let chunk = match chunk {
                    Err(_) => return End::Reconnect(format!("silent for {:?}", spec.dead_after)),
                    Ok(None) => return End::Reconnect("stream ended".into()),
                    Ok(Some(Err(e))) => return End::Reconnect(format!("read: {e}")),
                    Ok(Some(Ok(c))) => c,
                };
                for &byte in chunk.iter() {
                    if byte == b'\n' {
                        if skipping {
                            // The tail of an oversized line: already counted.
                            skipping = false;
                        } else if !pending.is_empty() {
                            let line = String::from_utf8_lossy(&pending).into_owned();
                            pending.clear();
                            let line = line.trim();
                            if !line.is_empty() {
                                if !ingest.frame(line).await {
                                    return End::EngineGone;
                                }
                                if !healthy {
                                    healthy = true;
                                    backoff.reset();
                                }
                            }
                        }
                    } else if !skipping {
                        pending.push(byte);
                        if pending.len() > spec.max_frame {
                            // Count it once and skip to the next newline.
                            stats.message(out.clock.now());
                            stats.dropped();
                            pending.clear();
                            skipping = true;
                        }
                    }
                }
            }
        }
    }
}
