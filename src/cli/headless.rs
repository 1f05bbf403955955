//! `omni-tui headless`: the engine on the configured market without a
//! terminal, with a summary at the end. The demo and replays run as fast as
//! the CPU allows; live feeds run for `--duration` seconds.

use crate::config::LoadedConfig;
use crate::config::MarketSource as Source;
use crate::engine_thread::audit_log::Logged;
use crate::monitor::MonitorRun;
use crate::setup;
use crate::signals::StopSignals;
use crate::summary::Summary;
use anyhow::Context;
use omni_core::approval::ApprovalMode;
use omni_core::domain::Timestamp;
use omni_core::domain::time::SECOND;
use omni_core::driver::Driver;
use omni_core::engine::AuditSink;
use omni_core::engine::Command;
use omni_core::market::MarketSource;
use omni_feeds::FeedHealth;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Options of the headless run.
#[derive(Clone, Debug)]
pub struct HeadlessArgs {
    /// `--config`: the configuration file; `None` searches the default places.
    pub config: Option<PathBuf>,
    /// `--db`: the SQLite database (a restart on it resumes it); `None`
    /// uses a fresh temporary one, removed at exit, so a run depends on
    /// nothing but its seed, flags and configuration.
    pub db: Option<PathBuf>,
    /// `--seed` (else the config's).
    pub seed: Option<u64>,
    /// `--events`: market events to process.
    pub events: u64,
    /// `--approve`.
    pub approve: ApprovalMode,
    /// `--kill-after`: fire the kill switch after this many market events.
    pub kill_after: Option<u64>,
    /// `--json`: print one JSON object instead of the text summary.
    pub json: bool,
    /// `--duration`: seconds of a live feed, or of market time in a replay.
    pub duration: Option<f64>,
    /// Replay these files instead of the configured source.
    pub replay: Option<(Vec<PathBuf>, Option<String>)>,
    /// `--history`: bar files handed to the engine as history before the
    /// first replayed event (replays only).
    pub history: Vec<crate::warm::HistoryArg>,
    /// `--live`: accounts on real-money endpoints may start (after a
    /// typed confirmation read from stdin).
    pub live: bool,
}

/// Runs and prints the summary. Timing goes to stderr, never into the JSON.
/// SIGINT, SIGTERM or SIGHUP end the run early: the store is flushed, the
/// summary printed and the error is
/// [`Interrupted`](crate::signals::Interrupted).
pub fn run(args: &HeadlessArgs) -> anyhow::Result<Summary> {
    let signals = StopSignals::install()?;
    let mut loaded = setup::load_config(args.config.as_deref())?;
    crate::launch::confirm_live(
        &loaded,
        args.live,
        &mut std::io::stdin().lock(),
        &mut std::io::stderr(),
    )?;
    if args.replay.is_some() {
        setup::on_real_data(&mut loaded);
    }
    let mode = args.approve;
    let seed = args.seed.unwrap_or(loaded.config.general.seed);
    // Without --db: a database of this run only (removed when `temp` drops,
    // after the store is closed), never the cockpit's default one.
    let (temp, db_path) = match &args.db {
        Some(db) => (None, db.clone()),
        None => {
            let t = tempfile::Builder::new()
                .prefix("omni-tui-headless-")
                .tempdir()
                .context("creating a temporary directory for the database")?;
            let path = t.path().join("headless.db");
            (Some(t), path)
        }
    };
    let (db, restored, mut store) = setup::open_store(Some(&db_path), &loaded, "headless", seed)?;
    let started = Instant::now();
    // Every order, fill, command and state change to the log file too.
    let mut logged = Logged::new(&mut store, loaded.catalog.clone());
    // Alerts and kill triggers run here too.
    let mut monitor = loaded.config.monitor(
        Arc::new(crate::metrics::EngineMetrics::default()),
        "HEADLESS",
    )?;
    let sink = &mut logged;
    let source = if args.replay.is_some() {
        Source::Replay
    } else {
        loaded.config.market.source
    };
    let (summary, feeds): (Summary, Vec<FeedHealth>) = match source {
        Source::Demo => {
            let mut d = setup::demo_driver(&loaded, seed, restored)?;
            let s = run_to_end(&mut d, sink, mode, args, None, &signals, &mut monitor, &[])?;
            (s, Vec::new())
        }
        Source::Replay => {
            let (files, venue) = args.replay.clone().unwrap_or_default();
            let replay = setup::replay_source(&loaded, &files, venue.as_deref())?;
            let stats = replay.stats();
            let bars = crate::warm::load_history(&loaded, &args.history)?;
            let replay = crate::warm::with_history(replay, bars)?;
            let first = replay.peek_ts();
            let until = match (args.duration, first) {
                (Some(d), Some(t)) => Some(t.plus((d * SECOND as f64) as i64)),
                _ => None,
            };
            let mut d = setup::driver(&loaded, seed, restored, replay)?;
            let s = run_to_end(
                &mut d,
                sink,
                mode,
                args,
                until,
                &signals,
                &mut monitor,
                &stats,
            )?;
            let feeds = stats
                .iter()
                .map(|f| f.health())
                .filter(|h| h.messages > 0)
                .collect();
            (s, feeds)
        }
        Source::Live => {
            let secs = args
                .duration
                .ok_or_else(|| anyhow::anyhow!("a live source needs --duration SECS"))?;
            run_live(
                &loaded,
                seed,
                restored,
                sink,
                mode,
                args,
                secs,
                &signals,
                &mut monitor,
                &db,
            )?
        }
    };
    let elapsed = started.elapsed();
    drop(logged);
    store.close()?;
    let where_ = if temp.is_some() {
        "a temporary database, removed at exit (--db PATH keeps one)".to_string()
    } else {
        db.display().to_string()
    };
    drop(temp);
    let mut summary = summary;
    summary.set_feeds(feeds);
    if args.json {
        println!("{}", serde_json::to_string(&summary)?);
    } else {
        print!("{}", summary.to_text());
        println!("database          {where_}");
    }
    let secs = elapsed.as_secs_f64();
    eprintln!(
        "omni-tui headless: {} events in {:.3} s ({:.0} events/s); {where_}",
        summary.events,
        secs,
        summary.events as f64 / secs.max(1e-9)
    );
    match signals.received() {
        Some(signal) => Err(signal.into()),
        None => Ok(summary),
    }
}

/// A source replayed as fast as the CPU allows: to its end, to `--events`,
/// or to `until` in market time.
#[allow(clippy::too_many_arguments)]
fn run_to_end<M: MarketSource>(
    driver: &mut Driver<M>,
    store: &mut dyn AuditSink,
    mode: ApprovalMode,
    args: &HeadlessArgs,
    until: Option<Timestamp>,
    signals: &StopSignals,
    monitor: &mut MonitorRun,
    feeds: &[Arc<omni_feeds::FeedStats>],
) -> anyhow::Result<Summary> {
    driver.command(Command::SetApprovalMode(mode), store)?;
    // The monitor looks once a second of market time: the run stays a
    // function of its inputs.
    let mut next_check = driver.engine.clock().plus(SECOND);
    while driver.market_events() < args.events && signals.received().is_none() {
        if until.is_some_and(|u| driver.next_market_ts().is_none_or(|t| t > u)) {
            break;
        }
        if !driver.step(store)? {
            break;
        }
        let clock = driver.engine.clock();
        if clock >= next_check {
            let health: Vec<FeedHealth> = feeds.iter().map(|f| f.health()).collect();
            monitor.check(driver, &health, clock, store)?;
            next_check = clock.plus(SECOND);
        }
        if args.kill_after == Some(driver.market_events()) {
            driver.command(Command::KillSwitch, store)?;
        }
    }
    // Let orders already sent reach the broker and report back.
    driver.finish(10 * SECOND, store)?;
    Ok(Summary::of(&driver.engine))
}

#[allow(clippy::too_many_arguments)]
fn run_live(
    loaded: &LoadedConfig,
    seed: u64,
    restored: omni_core::engine::RestoredState,
    store: &mut dyn AuditSink,
    mode: ApprovalMode,
    args: &HeadlessArgs,
    secs: f64,
    signals: &StopSignals,
    monitor: &mut MonitorRun,
    db: &Path,
) -> anyhow::Result<(Summary, Vec<FeedHealth>)> {
    let (feeds, source) = crate::warm::start_live(loaded)?;
    let stats = feeds.stats.clone();
    // Market time is the clock that stamped the events: whatever arrived is due.
    let clock = source.clock();
    let mut driver = setup::live_driver(loaded, seed, restored, source, db)?;
    let now = || clock.now();
    driver.command_at(now(), Command::SetApprovalMode(mode), store)?;
    let t0 = Instant::now();
    let mut killed = false;
    let mut last_check = Instant::now();
    while t0.elapsed().as_secs_f64() < secs
        && driver.market_events() < args.events
        && signals.received().is_none()
    {
        driver.run_until(now(), 100_000, store)?;
        if last_check.elapsed() >= Duration::from_secs(1) {
            last_check = Instant::now();
            let health: Vec<FeedHealth> = stats.iter().map(|f| f.health()).collect();
            monitor.check(&mut driver, &health, now(), store)?;
        }
        if !killed && args.kill_after.is_some_and(|k| driver.market_events() >= k) {
            driver.command_at(now(), Command::KillSwitch, store)?;
            killed = true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    // The feeds' state at the end of the run, before they are closed.
    let health = stats.iter().map(|f| f.health()).collect();
    feeds.stop();
    driver.run_until(now(), usize::MAX, store)?;
    driver.finish(10 * SECOND, store)?;
    Ok((Summary::of(&driver.engine), health))
}
