//! The engine's own thread in the cockpit: it paces the demo market to the
//! wall clock, applies the operator's commands, and publishes snapshots.
//! The UI never waits on it and it never waits on the UI.

use super::snapshot::Snapshot;
use crate::cli::setup::DemoDriver;
use crate::domain::Timestamp;
use crate::driver::{AuditSink, CountingSink};
use crate::engine::Command;
use crate::store::StoreHandle;
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError, TryRecvError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Longest the thread sleeps, and the shortest gap between snapshots.
const TICK: Duration = Duration::from_millis(50);

enum Request {
    Command(Command),
    Stop,
}

/// The UI's handle on the engine thread.
pub struct EngineThread {
    tx: mpsc::Sender<Request>,
    /// Latest snapshot.
    pub snapshots: watch::Receiver<Arc<Snapshot>>,
    join: Option<JoinHandle<anyhow::Result<()>>>,
}

impl EngineThread {
    /// Starts the thread. The market is first run instantly up to
    /// `live_from` (history and a short pre-roll, so panes are live at once),
    /// then at wall-clock speed.
    pub fn spawn(
        mut driver: DemoDriver,
        mut store: StoreHandle,
        live_from: Timestamp,
        source: String,
    ) -> Self {
        let (tx, rx) = mpsc::channel();
        let (snap_tx, snap_rx) = watch::channel(Arc::new(Snapshot::default()));
        let join = std::thread::Builder::new()
            .name("engine".into())
            .spawn(move || -> anyhow::Result<()> {
                let mut sink = CountingSink {
                    inner: &mut store as &mut dyn AuditSink,
                    count: 0,
                };
                driver.run_until(live_from, usize::MAX, &mut sink)?;
                let wall0 = Instant::now();
                let mut version = 0u64;
                let mut last_publish = Instant::now() - TICK;
                let result = loop {
                    let now = live_from.plus(wall0.elapsed().as_nanos() as i64);
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
                        let snap = Snapshot::build(&driver.engine, version, sink.count, &source);
                        snap_tx.send_replace(Arc::new(snap));
                        last_publish = Instant::now();
                    }
                    let until_next = driver
                        .next_market_ts()
                        .map_or(TICK, |t| Duration::from_nanos(t.since(now).max(0) as u64));
                    match rx.recv_timeout(until_next.min(TICK)) {
                        Ok(Request::Command(c)) => {
                            let now = live_from.plus(wall0.elapsed().as_nanos() as i64);
                            driver.command_at(now, c, &mut sink)?;
                            // Show the command's effect at once.
                            last_publish = Instant::now() - TICK;
                        }
                        Ok(Request::Stop) | Err(RecvTimeoutError::Disconnected) => break Ok(()),
                        Err(RecvTimeoutError::Timeout) => {}
                    }
                };
                store.close()?;
                result
            })
            .ok();
        Self {
            tx,
            snapshots: snap_rx,
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
