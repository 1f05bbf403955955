//! Starting the live feeds: one task per enabled venue on a tokio runtime
//! of its own thread, all sending market events into one bounded channel
//! that the engine's thread reads as a market source.
//!
//! Every event is stamped with its receive time from one [`ReceiveClock`]
//! (see [`crate::clock`]); the source hands events over in arrival order and
//! reports that stamp as their time, so nothing waits for a venue's clock.

use super::clock::ReceiveClock;
use super::history::{self, Backfill};
use super::http_stream::{self, HttpSpec};
use super::ingest::RingSlot;
use super::ingest::{Outlet, Received};
use super::record::Recorder;
use super::stats::{FeedState, FeedStats};
use super::venue::{Transport, VenueKind};
use super::ws;
use crate::config::FeedsConfig;
use omni_core::domain::{Catalog, Timestamp};
use omni_core::market::MarketEvent;
use omni_core::market::{MarketSource, Ring};
use std::cell::RefCell;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// Events buffered between the feeds and the engine.
const CHANNEL: usize = 65_536;

pub struct LiveFeeds {
    /// Counters per enabled feed.
    pub stats: Vec<Arc<FeedStats>>,
    stop: watch::Sender<bool>,
    join: Option<JoinHandle<()>>,
}

impl LiveFeeds {
    /// Stops every connection (closing sockets politely) and waits.
    pub fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(j) = self.join.take() {
            let _ = j.join();
        }
    }
}

impl Drop for LiveFeeds {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// The feeds' events as a market source: whatever has arrived so far, in
/// arrival order. An event's time ([`MarketSource::peek_ts`]) is its
/// receive stamp, never a venue's timestamp, so one event dated in the
/// future (or a local clock behind the venues) holds nothing back.
pub struct LiveSource {
    rx: RefCell<mpsc::Receiver<Received>>,
    head: RefCell<Option<Received>>,
    clock: ReceiveClock,
    /// What the feeds ring after queueing events, once set.
    ring: RingSlot,
}

impl LiveSource {
    /// A source reading a channel whose events `clock` stamped, the feeds
    /// ringing what is put in `ring` when they queue some.
    pub fn new(rx: mpsc::Receiver<Received>, clock: ReceiveClock, ring: RingSlot) -> Self {
        Self {
            rx: RefCell::new(rx),
            head: RefCell::new(None),
            clock,
            ring,
        }
    }

    /// The clock that stamps this source's events: the engine's side asks
    /// it how far market time may run, so an event already received is
    /// never later than its "now".
    pub fn clock(&self) -> ReceiveClock {
        self.clock.clone()
    }
}

impl Iterator for LiveSource {
    type Item = MarketEvent;
    fn next(&mut self) -> Option<MarketEvent> {
        self.head
            .get_mut()
            .take()
            .or_else(|| self.rx.get_mut().try_recv().ok())
            .map(|r| r.event)
    }
}

impl MarketSource for LiveSource {
    fn peek_ts(&self) -> Option<Timestamp> {
        let mut head = self.head.borrow_mut();
        if head.is_none() {
            *head = self.rx.borrow_mut().try_recv().ok();
        }
        head.as_ref().map(|r| r.at)
    }

    /// Set once: a second reader of the same feeds is not a thing.
    fn set_ring(&mut self, ring: Arc<dyn Ring>) {
        let _ = self.ring.set(ring);
    }
}

/// Why the feeds could not start.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// No feed is enabled.
    #[error("no feed is enabled: set enabled = true in a [feeds.*] section")]
    NothingEnabled,
    /// The runtime could not start.
    #[error("feed runtime: {0}")]
    Runtime(std::io::Error),
}

/// Starts every enabled feed of `[feeds]`; `seed` jitters their reconnect
/// backoff. Frames are stamped from the system clock.
pub fn start(
    feeds: &FeedsConfig,
    seed: u64,
    catalog: &Catalog,
    recorder: Option<Recorder>,
) -> Result<(LiveFeeds, LiveSource), LiveError> {
    start_with_clock(feeds, seed, catalog, recorder, ReceiveClock::system())
}

/// [`start`], stamping frames with `clock` (tests inject one that is off
/// by an hour).
pub fn start_with_clock(
    feeds: &FeedsConfig,
    seed: u64,
    catalog: &Catalog,
    recorder: Option<Recorder>,
    clock: ReceiveClock,
) -> Result<(LiveFeeds, LiveSource), LiveError> {
    start_warm(feeds, &Backfill::default(), seed, catalog, recorder, clock)
}

/// [`start_with_clock`] after a back-fill: `backfill`'s bars (see
/// [`crate::history::backfill`]) are queued as history before any
/// connection opens, so the engine reads them before the first live event.
/// The back-fill runs on the feeds' thread, so this returns at once; the
/// connections open when it is done or its timeout has passed (or at a
/// stop).
pub fn start_warm(
    feeds: &FeedsConfig,
    backfill: &Backfill,
    seed: u64,
    catalog: &Catalog,
    recorder: Option<Recorder>,
    clock: ReceiveClock,
) -> Result<(LiveFeeds, LiveSource), LiveError> {
    // rustls needs a process-wide crypto provider before the first wss:// connect.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let (tx, rx) = mpsc::channel(CHANNEL);
    let ring = RingSlot::default();
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut stats = Vec::new();
    let mut tasks: Vec<std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>> =
        Vec::new();
    for (i, kind) in VenueKind::ALL.into_iter().enumerate() {
        let Some(feed) = feeds.get(&kind).filter(|f| f.enabled) else {
            continue;
        };
        let Some(map) = kind.symbol_map(catalog, &feed.symbols) else {
            continue;
        };
        let st = Arc::new(FeedStats::new(kind.name()));
        stats.push(st.clone());
        let symbols: Vec<String> = feed.symbols.iter().map(|s| kind.symbol(s)).collect();
        let heartbeat = Duration::from_secs_f64(feed.heartbeat_secs);
        let max_age = Duration::from_secs_f64(feed.max_connection_hours * 3600.0);
        let out = Outlet::with_ring(tx.clone(), clock.clone(), Arc::clone(&ring));
        let (rec, stop) = (recorder.clone(), stop_rx.clone());
        let task_seed = seed ^ (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        if matches!(kind.spec().transport, Transport::HttpStream) {
            let token = std::env::var(&feed.token_env).unwrap_or_default();
            if token.is_empty() {
                st.set_state(FeedState::Down);
                st.error(format!(
                    "environment variable {} is not set",
                    feed.token_env
                ));
                continue;
            }
            let spec = HttpSpec {
                url: http_stream::pricing_url(&feed.url, &feed.account_id, &symbols),
                token,
                dead_after: heartbeat * 2,
                max_frame: feed.max_frame_bytes,
                backoff: (Duration::from_secs(1), Duration::from_secs(60)),
            };
            tasks.push(Box::pin(http_stream::run(
                spec, map, st, out, rec, stop, task_seed,
            )));
        } else {
            // One connection per group of symbols (several only for a venue
            // that caps subscriptions per connection, as MEXC does at 30);
            // they share the feed's counters, and its state is that of
            // the connection that changed last.
            for (g, group) in kind.connection_groups(&symbols).into_iter().enumerate() {
                let mut spec = ws::venue_spec(
                    kind,
                    &feed.url,
                    &group,
                    heartbeat,
                    feed.max_frame_bytes,
                    max_age,
                );
                if let Some(depth) = kind.spec().depth.filter(|_| feed.depth) {
                    spec.subscribe.push(depth(&group));
                }
                let seed = task_seed ^ (g as u64).wrapping_mul(0xD1B5_4A32_D192_ED03);
                tasks.push(Box::pin(ws::run(
                    spec,
                    map.clone(),
                    st.clone(),
                    out.clone(),
                    rec.clone(),
                    stop.clone(),
                    seed,
                )));
            }
        }
    }
    if stats.is_empty() {
        return Err(LiveError::NothingEnabled);
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(LiveError::Runtime)?;
    let warm = Outlet::with_ring(tx.clone(), clock.clone(), Arc::clone(&ring));
    let (plan, warm_stats, warm_clock) = (backfill.clone(), stats.clone(), clock.clone());
    let mut warm_stop = stop_tx.subscribe();
    let join = std::thread::Builder::new()
        .name("feeds".into())
        .spawn(move || {
            rt.block_on(async move {
                tokio::select! {
                    _ = history::run(&plan, &warm_clock, &warm, &warm_stats) => {}
                    _ = warm_stop.wait_for(|stop| *stop) => return,
                }
                drop(warm);
                let handles: Vec<_> = tasks.into_iter().map(tokio::spawn).collect();
                for h in handles {
                    let _ = h.await;
                }
            });
        })
        .map_err(LiveError::Runtime)?;
    Ok((
        LiveFeeds {
            stats,
            stop: stop_tx,
            join: Some(join),
        },
        LiveSource::new(rx, clock, ring),
    ))
}
