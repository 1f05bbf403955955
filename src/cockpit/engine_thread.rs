//! The engine's own thread in the cockpit: it feeds the engine from the
//! market source at the pace the source needs, applies the operator's
//! commands, publishes snapshots, and sends the audit records once: to the
//! store, then the trade log's to the UI. The UI never waits on it and it
//! never waits on the UI.

use super::fanout::FanOutSink;
use super::snapshot::SnapshotBuilder;
use crate::app::log::LogEvent;
use crate::app::snapshot::{FeedRow, Snapshot};
use omni_core::domain::Timestamp;
use omni_core::driver::Driver;
use omni_core::engine::Command;
use omni_core::market::MarketSource;
use omni_feeds::{FeedStats, ReceiveClock};
use omni_store::StoreHandle;
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError, TryRecvError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Longest the thread sleeps, and the shortest gap between snapshots.
const TICK: Duration = Duration::from_millis(50);

/// How market time relates to the wall clock.
#[derive(Clone, Debug)]
pub enum Pacing {
    /// Run instantly up to `from`, then `speed` × real time (demo, replay).
    Scaled {
        /// Market time reached at once.
        from: Timestamp,
        /// Market seconds per wall second.
        speed: f64,
    },
    /// Market time is the live feeds' receive clock, the one that stamped
    /// their events: everything received so far is due, whatever time the
    /// venues wrote inside it.
    Live(ReceiveClock),
}

enum Request {
    Command(Command),
    Stop,
}

/// The UI's handle on the engine thread.
pub struct EngineThread {
    tx: mpsc::Sender<Request>,
    /// The engine's newest snapshot (a watch channel keeps only the latest).
    pub snapshots: watch::Receiver<Arc<Snapshot>>,
    /// The trade log's audit records, in the order the engine made them.
    pub log: mpsc::Receiver<Vec<LogEvent>>,
    /// This run's id in the store.
    pub run_id: i64,
    join: Option<JoinHandle<anyhow::Result<()>>>,
}

impl EngineThread {
    pub fn spawn<M: MarketSource + Send + 'static>(
        mut driver: Driver<M>,
        store: StoreHandle,
        pacing: Pacing,
        source: String,
        feeds: Vec<Arc<FeedStats>>,
    ) -> Self {
        let (tx, rx) = mpsc::channel();
        let (snap_tx, snap_rx) = watch::channel(Arc::new(Snapshot::default()));
        let (log_tx, log_rx) = mpsc::channel();
        let run_id = store.run_id();
        let join = std::thread::Builder::new()
            .name("engine".into())
            .spawn(move || -> anyhow::Result<()> {
                let mut sink = FanOutSink::new(store, log_tx);
                let mut builder = SnapshotBuilder::new();
                let wall0 = Instant::now();
                let market_now = || match &pacing {
                    Pacing::Scaled { from, speed } => {
                        from.plus((wall0.elapsed().as_nanos() as f64 * speed) as i64)
                    }
                    Pacing::Live(clock) => clock.now(),
                };
                if let Pacing::Scaled { from, .. } = pacing {
                    driver.run_until(from, usize::MAX, &mut sink)?;
                }
                let mut version = 0u64;
                let mut last_publish = Instant::now() - TICK;
                let mut rates = FeedRates::new(&feeds);
                let result = loop {
                    let now = market_now();
                    let mut stop = false;
                    loop {
                        match rx.try_recv() {
                            Ok(Request::Command(c)) => driver.command_at(now, c, &mut sink)?,
                            Ok(Request::Stop) | Err(TryRecvError::Disconnected) => {
                                stop = true;
                                break;
                            }
                            Err(TryRecvError::Empty) => break,
                        }
                    }
                    if stop {
                        break Ok(());
                    }
                    driver.run_until(now, 100_000, &mut sink)?;
                    if last_publish.elapsed() >= TICK {
                        version += 1;
                        let mut snap = builder.build(&driver.engine, version, &source);
                        snap.feeds = rates.rows(&feeds, snap.now);
                        for r in &mut snap.feeds {
                            r.health.quarantined =
                                crate::summary::quarantined_of(&driver.engine, &r.health.venue);
                        }
                        snap_tx.send_replace(Arc::new(snap));
                        last_publish = Instant::now();
                    }
                    let wait = match pacing {
                        Pacing::Scaled { speed, .. } => driver.next_market_ts().map_or(TICK, |t| {
                            Duration::from_nanos((t.since(now).max(0) as f64 / speed) as u64)
                        }),
                        Pacing::Live(_) => TICK / 5,
                    };
                    match rx.recv_timeout(wait.min(TICK)) {
                        Ok(Request::Command(c)) => {
                            driver.command_at(market_now(), c, &mut sink)?;
                            // Show the command's effect at once.
                            last_publish = Instant::now() - TICK;
                        }
                        Ok(Request::Stop) | Err(RecvTimeoutError::Disconnected) => break Ok(()),
                        Err(RecvTimeoutError::Timeout) => {}
                    }
                };
                sink.close()?;
                result
            })
            .ok();
        Self {
            tx,
            snapshots: snap_rx,
            log: log_rx,
            run_id,
            join,
        }
    }

    /// Sends an operator command.
    pub fn send(&self, c: Command) -> anyhow::Result<()> {
        self.tx
            .send(Request::Command(c))
            .map_err(|_| anyhow::anyhow!("the engine thread has stopped"))
    }

    /// Stops the thread, flushing the store; returns its error, if any.
    pub fn stop(mut self) -> anyhow::Result<()> {
        let _ = self.tx.send(Request::Stop);
        match self.join.take() {
            Some(j) => j
                .join()
                .map_err(|_| anyhow::anyhow!("the engine thread panicked"))?,
            None => anyhow::bail!("the engine thread did not start"),
        }
    }
}

/// Messages per second per feed, from the change since the last snapshot.
struct FeedRates {
    last: Vec<(Instant, u64)>,
}

impl FeedRates {
    fn new(feeds: &[Arc<FeedStats>]) -> Self {
        Self {
            last: feeds.iter().map(|_| (Instant::now(), 0)).collect(),
        }
    }

    fn rows(&mut self, feeds: &[Arc<FeedStats>], now: Timestamp) -> Vec<FeedRow> {
        feeds
            .iter()
            .zip(self.last.iter_mut())
            .map(|(f, last)| {
                let h = f.health();
                let dt = last.0.elapsed().as_secs_f64();
                let rate = if dt > 0.0 {
                    (h.messages.saturating_sub(last.1)) as f64 / dt
                } else {
                    0.0
                };
                *last = (Instant::now(), h.messages);
                FeedRow {
                    // A replay reads a little ahead of the engine: never negative.
                    age_ms: (h.last_message_ns > 0)
                        .then(|| ((now.nanos() - h.last_message_ns) / 1_000_000).max(0)),
                    rate,
                    health: h,
                }
            })
            .collect()
    }
}
