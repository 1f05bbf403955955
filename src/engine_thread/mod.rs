//! The engine's own thread in the cockpit: it feeds the engine from the
//! market source at the pace the source needs, applies the operator's
//! commands, publishes snapshots, and sends the audit records once: to the
//! store, then the trade log's to the UI. The UI never waits on it and it
//! never waits on the UI.

pub mod audit_log;
pub mod doorbell;
pub mod fanout;
pub mod snapshot;

use crate::app::Pace;
use crate::app::log::LogEvent;
use crate::app::snapshot::{FeedRow, MAX_SPEED, ReplayStatus, Snapshot};
use crate::metrics::{EngineMetrics, LatencyProbe};
use crate::monitor::MonitorRun;
use doorbell::Doorbell;
use fanout::FanOutSink;
use omni_core::domain::Timestamp;
use omni_core::domain::time::SECOND;
use omni_core::driver::Driver;
use omni_core::engine::sink::SinkError;
use omni_core::engine::{Command, CommandOrigin};
use omni_core::market::MarketSource;
use omni_feeds::replay::ReplayProgress;
use omni_feeds::{FeedStats, ReceiveClock, WallClock};
use omni_store::StoreHandle;
use snapshot::SnapshotBuilder;
use std::sync::Arc;
use std::sync::mpsc::{self, TryRecvError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// The shortest gap between snapshots while the engine is busy, and the
/// longest sleep of a running replay or demo (whose pace a test may move by
/// hand).
const TICK: Duration = Duration::from_millis(50);

/// The gap between snapshots of a moving market while nobody is at the
/// keyboard: the screen refreshes a few times a second instead of twenty,
/// which is most of an open cockpit's cost. A key press brings back
/// [`TICK`] for [`TYPING`].
const WATCHING: Duration = Duration::from_millis(500);

/// How long after the operator's last key the screen stays at [`TICK`].
const TYPING: Duration = Duration::from_secs(5);

/// The gap between snapshots when nothing happens: the clocks and feed
/// ages on screen move once a second, and the thread sleeps in between.
const IDLE_PUBLISH: Duration = Duration::from_secs(1);

/// Most market events processed between two looks at the operator's
/// requests: a command never waits behind a whole replay.
const EVENTS_PER_TURN: usize = 100_000;

/// The slowest speed `<` reaches, in market seconds per wall second.
pub const MIN_SPEED: f64 = 0.25;

/// The fastest speed `>` reaches before `max` ([`MAX_SPEED`]).
pub const TOP_SPEED: f64 = 1024.0;

/// After a replay's last event, broker work due within this much market
/// time of it still runs (orders in flight, and what a command sent after
/// the end causes: a kill switch's cancels and flattening, an approval's
/// order), as a headless replay's `finish` does; a binary contract
/// settling later stays open.
pub const AFTER_END_NANOS: i64 = 10 * SECOND;

/// How market time relates to the wall clock.
#[derive(Clone, Debug)]
pub enum Pacing {
    /// Run instantly up to `from`, then `speed` × real time (demo, replay);
    /// `P`, `>` and `<` pause it and change its speed.
    Scaled {
        /// Market time reached at once.
        from: Timestamp,
        /// Market seconds per wall second ([`MAX_SPEED`] or more: as fast
        /// as the engine goes).
        speed: f64,
        /// A replay's input read so far; `None` for the demo, whose
        /// market has no end.
        progress: Option<ReplayProgress>,
    },
    /// Market time is the live feeds' receive clock, the one that stamped
    /// their events: everything received so far is due, whatever time the
    /// venues wrote inside it.
    Live(ReceiveClock),
}

/// How often the monitor looks, in wall time.
const MONITOR_EVERY: Duration = Duration::from_secs(1);

enum Request {
    /// A command, where it came from, and who waits for its outcome.
    Command(
        Command,
        CommandOrigin,
        Option<tokio::sync::oneshot::Sender<fanout::CommandReply>>,
    ),
    Pace(Pace),
    /// The operator pressed a key: snapshots at full rate for a while.
    Touch,
    Stop,
}

/// The way requests reach the engine's thread: queued, then the bell it
/// sleeps on is rung.
#[derive(Clone)]
struct Requests {
    tx: mpsc::Sender<Request>,
    bell: Arc<Doorbell>,
}

impl Requests {
    /// Queues a request and wakes the thread; `Err` once it has stopped.
    fn send(&self, r: Request) -> Result<(), mpsc::SendError<Request>> {
        self.tx.send(r)?;
        self.bell.ring();
        Ok(())
    }
}

/// A handle on the engine thread for others than the UI (the control
/// API): it sends commands and reads snapshots, and may be cloned.
#[derive(Clone)]
pub struct EngineHandle {
    tx: Requests,
    /// The engine's newest snapshot.
    pub snapshots: watch::Receiver<Arc<Snapshot>>,
    /// Latency, alerts, webhook deliveries.
    pub metrics: Arc<EngineMetrics>,
}

impl EngineHandle {
    /// Sends a command from `origin` and waits for the engine's outcome
    /// (the text the log shows after the command). `None` if the engine
    /// thread has stopped.
    pub async fn command(&self, c: Command, origin: CommandOrigin) -> Option<fanout::CommandReply> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.tx.send(Request::Command(c, origin, Some(tx))).ok()?;
        rx.await.ok()
    }

    /// The newest snapshot.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshots.borrow().clone()
    }

    /// The newest snapshot once the engine has published one, waiting up
    /// to `wait` for the first; `None` if none came (the engine is still
    /// running up, or has stopped).
    pub async fn published(&self, wait: Duration) -> Option<Arc<Snapshot>> {
        let mut rx = self.snapshots.clone();
        let first = tokio::time::timeout(wait, rx.wait_for(|s| s.version > 0)).await;
        match first {
            Ok(Ok(s)) => Some(s.clone()),
            _ => None,
        }
    }
}

/// What a run adds to the bare engine thread: the monitor, and where the
/// thread's own figures go.
pub struct Extras {
    /// Alerts and kill triggers; `None`: none (tests of pacing).
    pub monitor: Option<MonitorRun>,
    pub metrics: Arc<EngineMetrics>,
}

impl Default for Extras {
    fn default() -> Self {
        Self {
            monitor: None,
            metrics: Arc::new(EngineMetrics::default()),
        }
    }
}

/// The UI's handle on the engine thread.
pub struct EngineThread {
    tx: Requests,
    /// Rung after each snapshot is published: the cockpit sleeps on it.
    pub published: Arc<Doorbell>,
    /// The engine's newest snapshot (a watch channel keeps only the latest).
    pub snapshots: watch::Receiver<Arc<Snapshot>>,
    /// Latency, alerts, webhook deliveries.
    pub metrics: Arc<EngineMetrics>,
    /// The trade log's audit records, in the order the engine made them.
    pub log: mpsc::Receiver<Vec<LogEvent>>,
    /// This run's id in the store.
    pub run_id: i64,
    join: Option<JoinHandle<anyhow::Result<()>>>,
}

/// The process's monotonic clock as a [`WallClock`]: scaled pacing
/// measures elapsed wall time with it, so a step of the system clock never
/// makes a replay jump.
struct Monotonic(Instant);

impl WallClock for Monotonic {
    fn now(&self) -> Timestamp {
        Timestamp(i64::try_from(self.0.elapsed().as_nanos()).unwrap_or(i64::MAX))
    }
}

impl EngineThread {
    /// Starts the engine thread; scaled pacing reads the monotonic clock.
    pub fn spawn<M: MarketSource + Send + 'static>(
        driver: Driver<M>,
        store: StoreHandle,
        pacing: Pacing,
        source: String,
        feeds: Vec<Arc<FeedStats>>,
    ) -> Self {
        let wall = Arc::new(Monotonic(Instant::now()));
        Self::spawn_with_wall(driver, store, pacing, source, feeds, wall)
    }

    /// [`spawn`](Self::spawn) with a monitor and shared figures.
    pub fn spawn_with<M: MarketSource + Send + 'static>(
        driver: Driver<M>,
        store: StoreHandle,
        pacing: Pacing,
        source: String,
        feeds: Vec<Arc<FeedStats>>,
        extras: Extras,
    ) -> Self {
        let wall = Arc::new(Monotonic(Instant::now()));
        Self::spawn_full(driver, store, pacing, source, feeds, wall, extras)
    }

    /// [`spawn`](Self::spawn), with scaled pacing measuring elapsed wall
    /// time on `wall` (only differences of its readings count): a test
    /// moves it by hand to check the pace exactly. The thread still sleeps
    /// on the real clock, at most [`WATCHING`] at a time while running (a
    /// second paused), so it sees a moved clock within that.
    pub fn spawn_with_wall<M: MarketSource + Send + 'static>(
        driver: Driver<M>,
        store: StoreHandle,
        pacing: Pacing,
        source: String,
        feeds: Vec<Arc<FeedStats>>,
        wall: Arc<dyn WallClock>,
    ) -> Self {
        Self::spawn_full(
            driver,
            store,
            pacing,
            source,
            feeds,
            wall,
            Extras::default(),
        )
    }

    /// Every option: the wall clock and the extras.
    pub fn spawn_full<M: MarketSource + Send + 'static>(
        mut driver: Driver<M>,
        store: StoreHandle,
        pacing: Pacing,
        source: String,
        feeds: Vec<Arc<FeedStats>>,
        wall: Arc<dyn WallClock>,
        extras: Extras,
    ) -> Self {
        let Extras {
            mut monitor,
            metrics,
        } = extras;
        driver.set_probe(Some(Box::new(LatencyProbe::new(metrics.clone()))));
        let (tx, rx) = mpsc::channel();
        // Requests, live feeds and live brokers ring the bell it sleeps on.
        let bell = Arc::new(Doorbell::default());
        driver.set_ring(bell.clone());
        let tx = Requests {
            tx,
            bell: Arc::clone(&bell),
        };
        let published = Arc::new(Doorbell::default());
        let on_publish = Arc::clone(&published);
        let (snap_tx, snap_rx) = watch::channel(Arc::new(Snapshot::default()));
        let (log_tx, log_rx) = mpsc::channel();
        let run_id = store.run_id();
        let join = std::thread::Builder::new()
            .name("engine".into())
            .spawn(move || -> anyhow::Result<()> {
                let mut sink =
                    FanOutSink::new(store, log_tx).with_audit_log(driver.engine.catalog().clone());
                let mut builder = SnapshotBuilder::new();
                let mut clock = match pacing {
                    Pacing::Scaled {
                        from,
                        speed,
                        progress,
                    } => {
                        driver.run_until(from, usize::MAX, &mut sink)?;
                        // The clock starts once the run-up is done, so the
                        // run-up's own duration is not added to it.
                        MarketClock::Scaled(Scaled {
                            clock: ScaledClock::new(from, speed, wall.now()),
                            progress,
                            ended_at: None,
                        })
                    }
                    Pacing::Live(c) => MarketClock::Live(c),
                };
                let mut version = 0u64;
                let mut last_publish = Instant::now();
                // Publish at once: the first snapshot, a request's effect.
                let mut publish_now = true;
                let mut published_at_event = driver.events_fed();
                let mut typing_until = Instant::now();
                let mut rates = FeedRates::new(&feeds);
                let mut last_check = Instant::now();
                // (when, market events then) for the events-per-second figure.
                let mut rate_mark = (Instant::now(), driver.market_events());
                let mut events_per_sec = 0.0;
                let result = loop {
                    // The operator's requests, in the order given. They
                    // apply at once, before market time moves on: a command
                    // at the engine's clock, the time of the snapshot the
                    // operator acted on (so never past an event still due:
                    // the scaled clock runs ahead of the engine at `max`),
                    // a change of pace from that time.
                    let mut stop = false;
                    loop {
                        match rx.try_recv() {
                            Ok(Request::Command(c, origin, reply)) => {
                                driver.command_from(driver.engine.clock(), c, origin, &mut sink)?;
                                let outcome = sink.take_outcome();
                                if let Some(reply) = reply {
                                    // The asker may have given up: nothing to tell.
                                    let _ = reply.send(outcome.unwrap_or_default());
                                }
                            }
                            Ok(Request::Pace(p)) => {
                                clock.pace(p, wall.now(), driver.engine.clock());
                            }
                            Ok(Request::Touch) => {
                                typing_until = Instant::now() + TYPING;
                                continue;
                            }
                            Ok(Request::Stop) | Err(TryRecvError::Disconnected) => {
                                stop = true;
                                break;
                            }
                            Err(TryRecvError::Empty) => break,
                        }
                        // Show the effect at once.
                        publish_now = true;
                    }
                    if stop {
                        break Ok(());
                    }
                    let now = clock.now(wall.now());
                    // The end: show it at once.
                    publish_now |= clock.advance(&mut driver, now, wall.now(), &mut sink)?;
                    if let Some(m) = monitor.as_mut()
                        && last_check.elapsed() >= MONITOR_EVERY
                    {
                        last_check = Instant::now();
                        let health: Vec<_> = feeds.iter().map(|f| f.health()).collect();
                        publish_now |= !m.check(&mut driver, &health, now, &mut sink)?.is_empty();
                    }
                    let dt = rate_mark.0.elapsed();
                    if dt >= Duration::from_secs(1) {
                        let n = driver.market_events();
                        events_per_sec = n.saturating_sub(rate_mark.1) as f64 / dt.as_secs_f64();
                        rate_mark = (Instant::now(), n);
                    }
                    // A new snapshot when the engine moved (at most one per
                    // tick), once a second for the clocks and feed ages,
                    // and at once after a request or the end.
                    let gap = if Instant::now() < typing_until {
                        TICK
                    } else {
                        WATCHING
                    };
                    let moved = driver.events_fed() != published_at_event;
                    let since = last_publish.elapsed();
                    if publish_now || (moved && since >= gap) || since >= IDLE_PUBLISH {
                        version += 1;
                        let mut snap = builder.build(&driver.engine, version, &source);
                        snap.feeds = rates.rows(&feeds, snap.now);
                        for r in &mut snap.feeds {
                            r.health.quarantined =
                                crate::summary::quarantined_of(&driver.engine, &r.health.venue);
                        }
                        snap.replay = clock.status();
                        snap.events_per_sec = events_per_sec;
                        snap_tx.send_replace(Arc::new(snap));
                        on_publish.ring();
                        last_publish = Instant::now();
                        published_at_event = driver.events_fed();
                        publish_now = false;
                    }
                    // Asleep until the next event is due, a request or a
                    // live feed rings, or the next snapshot or monitor look
                    // is due.
                    let moved = driver.events_fed() != published_at_event;
                    let next_publish = if moved { gap } else { IDLE_PUBLISH }
                        .saturating_sub(last_publish.elapsed());
                    let next_due = [
                        driver.next_market_ts(),
                        driver.brokers.next_due(),
                        Some(driver.engine.next_deadline()),
                    ]
                    .into_iter()
                    .flatten()
                    .min();
                    let mut sleep = clock.wait(next_due, now, gap).min(next_publish);
                    if monitor.is_some() {
                        sleep = sleep.min(MONITOR_EVERY.saturating_sub(last_check.elapsed()));
                    }
                    bell.wait(sleep);
                };
                sink.close()?;
                result
            })
            .ok();
        Self {
            tx,
            published,
            snapshots: snap_rx,
            metrics,
            log: log_rx,
            run_id,
            join,
        }
    }

    /// A handle for the control API.
    pub fn handle(&self) -> EngineHandle {
        EngineHandle {
            tx: self.tx.clone(),
            snapshots: self.snapshots.clone(),
            metrics: self.metrics.clone(),
        }
    }

    /// Sends an operator command, as a key sends it.
    pub fn send(&self, c: Command) -> anyhow::Result<()> {
        self.tx
            .send(Request::Command(c, CommandOrigin::Key, None))
            .map_err(|_| anyhow::anyhow!("the engine thread has stopped"))
    }

    /// Says the operator is at the keyboard: the engine publishes at full
    /// rate for the next few seconds.
    pub fn touch(&self) -> anyhow::Result<()> {
        self.tx
            .send(Request::Touch)
            .map_err(|_| anyhow::anyhow!("the engine thread has stopped"))
    }

    /// Pauses, resumes, speeds up or slows down a scaled market clock
    /// (replay, demo); ignored live, and after a replay's end.
    pub fn pace(&self, p: Pace) -> anyhow::Result<()> {
        self.tx
            .send(Request::Pace(p))
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

/// The next speed up from `speed`: twice it, up to [`TOP_SPEED`], then
/// [`MAX_SPEED`], which stays.
pub fn faster(speed: f64) -> f64 {
    if speed >= TOP_SPEED {
        MAX_SPEED
    } else {
        (speed * 2.0).min(TOP_SPEED)
    }
}

/// The next speed down from `speed`: half of it, down to [`MIN_SPEED`]
/// (a slower configured speed stays); from [`MAX_SPEED`], [`TOP_SPEED`].
pub fn slower(speed: f64) -> f64 {
    if speed >= MAX_SPEED {
        TOP_SPEED
    } else {
        (speed / 2.0).max(MIN_SPEED.min(speed))
    }
}

/// A scaled market clock: from `origin` (the market time when the wall
/// clock read `wall0`), market time runs at `speed` × wall time, or stands
/// still while paused. Every change (pause, resume, a new speed, the
/// engine falling behind) re-bases it at the engine's time at the change,
/// so market time never jumps or runs backwards.
#[derive(Clone, Debug)]
struct ScaledClock {
    origin: Timestamp,
    wall0: Timestamp,
    speed: f64,
    paused: bool,
}

impl ScaledClock {
    fn new(origin: Timestamp, speed: f64, wall: Timestamp) -> Self {
        Self {
            origin,
            wall0: wall,
            speed,
            paused: false,
        }
    }

    fn now(&self, wall: Timestamp) -> Timestamp {
        if self.paused {
            return self.origin;
        }
        // A float-to-int `as` saturates: at MAX_SPEED a long run lands at
        // the end of time rather than wrapping.
        let ahead = (wall.since(self.wall0).max(0) as f64 * self.speed) as i64;
        Timestamp(self.origin.0.saturating_add(ahead))
    }

    /// Market time goes on from `at`, counted from this wall reading.
    fn rebase(&mut self, at: Timestamp, wall: Timestamp) {
        self.origin = at;
        self.wall0 = wall;
    }

    /// Applies `P`, `>` or `<` at this wall reading. The clock goes on from
    /// where the engine stands (`engine`, its clock: the time on screen,
    /// at most a turn behind this clock; more at `max`, where this clock
    /// runs far ahead of what the engine can process), so a pause stops
    /// at the time shown and a slower speed never starts with a leap.
    fn pace(&mut self, p: Pace, wall: Timestamp, engine: Timestamp) {
        self.rebase(engine.min(self.now(wall)), wall);
        match p {
            Pace::TogglePause => self.paused = !self.paused,
            Pace::Faster => self.speed = faster(self.speed),
            Pace::Slower => self.speed = slower(self.speed),
        }
    }
}

/// A demo's or replay's clock, and where its source stands.
struct Scaled {
    clock: ScaledClock,
    progress: Option<ReplayProgress>,
    /// Set once the source has run out: the market time the clock stopped
    /// at (the engine's clock after the last event).
    ended_at: Option<Timestamp>,
}

impl Scaled {
    /// Processes what is due by `now`; returns true when this call found
    /// the end. While paused `now` stands still: the first turn after the
    /// pause catches up to it, and later turns find nothing due (no event,
    /// no broker action, no timer), so quotes do not age and TTLs do not
    /// run down; a command is applied at that time, and the venue's answer
    /// (a fill) comes once the clock runs again.
    fn advance<M: MarketSource>(
        &mut self,
        driver: &mut Driver<M>,
        now: Timestamp,
        wall: Timestamp,
        sink: &mut FanOutSink,
    ) -> Result<bool, SinkError> {
        if let Some(end) = self.ended_at {
            // Broker work after the end, at the frozen time or just after:
            // never a timer, so quotes do not age and nothing expires.
            let until = end.plus(AFTER_END_NANOS);
            if driver.brokers.next_due().is_some_and(|t| t <= until) {
                let horizon = until.since(driver.engine.clock()).max(0);
                driver.finish(horizon, sink)?;
            }
            return Ok(false);
        }
        let mut n = 0;
        while n < EVENTS_PER_TURN && driver.next_market_ts().is_some_and(|t| t <= now) {
            if !driver.step(sink)? {
                break;
            }
            n += 1;
        }
        match driver.next_market_ts() {
            None => {
                // The source has run out: the clock stops at the last
                // event, and orders in flight complete just after it.
                let end = driver.engine.clock();
                driver.finish(AFTER_END_NANOS, sink)?;
                self.ended_at = Some(end);
                Ok(true)
            }
            Some(t) if t <= now => {
                // Behind (more events were due than one turn takes):
                // market time slips back to what the engine has processed,
                // so it never runs ahead of the events and a slower speed
                // later starts from there.
                let at = driver.engine.clock();
                driver.run_until(at, 0, sink)?;
                self.clock.rebase(at, wall);
                Ok(false)
            }
            Some(_) => {
                driver.run_until(now, 0, sink)?;
                Ok(false)
            }
        }
    }
}

/// Where the engine thread's market time comes from.
enum MarketClock {
    Scaled(Scaled),
    Live(ReceiveClock),
}

impl MarketClock {
    /// Market time now: events and broker actions up to it are due (the
    /// engine's clock is brought to it, unless the engine is behind).
    fn now(&self, wall: Timestamp) -> Timestamp {
        match self {
            MarketClock::Scaled(s) => s.ended_at.unwrap_or_else(|| s.clock.now(wall)),
            MarketClock::Live(c) => c.now(),
        }
    }

    /// Applies `P`, `>` or `<`: only to a scaled clock that has not ended.
    fn pace(&mut self, p: Pace, wall: Timestamp, engine: Timestamp) {
        if let MarketClock::Scaled(s) = self
            && s.ended_at.is_none()
        {
            s.clock.pace(p, wall, engine);
        }
    }

    /// Processes what is due by `now`; true when the replay just ended.
    fn advance<M: MarketSource>(
        &mut self,
        driver: &mut Driver<M>,
        now: Timestamp,
        wall: Timestamp,
        sink: &mut FanOutSink,
    ) -> Result<bool, SinkError> {
        match self {
            MarketClock::Scaled(s) => s.advance(driver, now, wall, sink),
            MarketClock::Live(_) => {
                driver.run_until(now, EVENTS_PER_TURN, sink)?;
                Ok(false)
            }
        }
    }

    /// How long to sleep before the next thing is due at market time
    /// `now`: `next` is the earliest of the next market event, broker
    /// action and engine deadline. A request, a live feed or a live
    /// broker's report rings the thread awake sooner.
    ///
    /// A running demo or replay is on market time, so what it does is the
    /// same whenever its events are processed: it sleeps until the next
    /// snapshot is due (`batch`) and then takes every event due together,
    /// instead of waking for each.
    fn wait(&self, next: Option<Timestamp>, now: Timestamp, batch: Duration) -> Duration {
        let until = |speed: f64| {
            next.map_or(IDLE_PUBLISH, |t| {
                Duration::from_nanos((t.since(now).max(0) as f64 / speed) as u64)
            })
        };
        match self {
            MarketClock::Scaled(s) if s.ended_at.is_some() || s.clock.paused => IDLE_PUBLISH,
            // Events due now (a replay at full speed): no sleep.
            MarketClock::Scaled(s) if until(s.clock.speed).is_zero() => Duration::ZERO,
            MarketClock::Scaled(_) => batch,
            MarketClock::Live(_) => until(1.0).min(IDLE_PUBLISH),
        }
    }

    /// The status bar's view of a scaled clock; `None` live.
    fn status(&self) -> Option<ReplayStatus> {
        match self {
            MarketClock::Scaled(s) => {
                let ended = s.ended_at.is_some();
                Some(ReplayStatus {
                    paused: s.clock.paused && !ended,
                    speed: s.clock.speed,
                    progress: s
                        .progress
                        .as_ref()
                        .map(|p| if ended { 1.0 } else { p.fraction() }),
                    ended,
                })
            }
            MarketClock::Live(_) => None,
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
