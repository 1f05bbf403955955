//! Starting a run's engine thread from the configuration: the demo, a
//! replay or the live feeds, with the monitor and, if asked, the control
//! API. The cockpit and `omni-tui serve` start the same way.

use crate::app::snapshot::MAX_SPEED;
use crate::config::{LoadedConfig, MarketSource as Source};
use crate::control::{ControlServer, token};
use crate::engine_thread::{EngineThread, Extras, Pacing};
use crate::metrics::EngineMetrics;
use crate::setup;
use omni_core::domain::time::SECOND;
use omni_core::market::MarketSource;
use omni_feeds::live::LiveFeeds;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Seconds of the demo run instantly at start-up, so the binary model is
/// warm and opportunities are on screen within a second.
pub const PREROLL_SECS: i64 = 90;

/// `omni-tui replay FILE...` without `--headless`, and `serve --replay`.
#[derive(Clone, Debug, Default)]
pub struct ReplayArgs {
    /// Recordings or captures.
    pub files: Vec<PathBuf>,
    /// Venue of capture-format files.
    pub venue: Option<String>,
    /// Market seconds per wall second (`None`: `[market.replay] speed`).
    pub speed: Option<f64>,
    /// `--history`: bar files handed to the engine as history before the
    /// first replayed event.
    pub history: Vec<crate::warm::HistoryArg>,
}

/// A started run.
pub struct Started {
    pub engine: EngineThread,
    /// The live feeds' tasks (stopped after the engine).
    pub live: Option<LiveFeeds>,
    /// The database the run writes.
    pub db: PathBuf,
    /// `DEMO`, `LIVE`, `REPLAY ×1`, …
    pub label: String,
}

impl Started {
    /// Stops the engine (flushing the store), then the feeds.
    pub fn stop(self) -> anyhow::Result<()> {
        let stopped = self.engine.stop();
        if let Some(f) = self.live {
            f.stop();
        }
        stopped
    }
}

/// Opens the store (`mode` names the run in it) and starts the engine
/// thread on the configured source, or on `replay` if given.
pub fn start(
    loaded: &mut LoadedConfig,
    replay: Option<&ReplayArgs>,
    db: Option<&Path>,
    mode: &str,
) -> anyhow::Result<Started> {
    if replay.is_some() {
        setup::on_real_data(loaded);
    }
    let seed = loaded.config.general.seed;
    let (db, restored, store) = setup::open_store(db, loaded, mode, seed)?;
    let metrics = Arc::new(EngineMetrics::default());
    let monitor = |label: &str| -> anyhow::Result<Extras> {
        Ok(Extras {
            monitor: Some(loaded.config.monitor(metrics.clone(), label)?),
            metrics: metrics.clone(),
        })
    };
    let source = if replay.is_some() {
        Source::Replay
    } else {
        loaded.config.market.source
    };
    let mut live = None;
    let (engine, label) = match source {
        Source::Demo => {
            let driver = setup::demo_driver(loaded, seed, restored)?;
            let from = driver.market().start().plus(PREROLL_SECS * SECOND);
            let pacing = Pacing::Scaled {
                from,
                speed: 1.0,
                progress: None,
            };
            let label = "DEMO".to_string();
            let extras = monitor(&label)?;
            let t =
                EngineThread::spawn_with(driver, store, pacing, label.clone(), Vec::new(), extras);
            (t, label)
        }
        Source::Replay => {
            let r = replay.cloned().unwrap_or_default();
            let speed = r.speed.unwrap_or(loaded.config.market.replay.speed);
            let label = if speed >= MAX_SPEED {
                "REPLAY max".to_string()
            } else {
                format!("REPLAY ×{speed}")
            };
            let source = setup::replay_source(loaded, &r.files, r.venue.as_deref())?;
            let feeds = source.stats();
            let progress = Some(source.progress());
            let bars = crate::warm::load_history(loaded, &r.history)?;
            let source = crate::warm::with_history(source, bars)?;
            let from = source.peek_ts().unwrap_or_default();
            let driver = setup::driver(loaded, seed, restored, source)?;
            let pacing = Pacing::Scaled {
                from,
                speed,
                progress,
            };
            let extras = monitor(&label)?;
            let t = EngineThread::spawn_with(driver, store, pacing, label.clone(), feeds, extras);
            (t, label)
        }
        Source::Live => {
            let (feeds, source) = crate::warm::start_live(loaded)?;
            let stats = feeds.stats.clone();
            live = Some(feeds);
            let pacing = Pacing::Live(source.clock());
            let driver = setup::live_driver(loaded, seed, restored, source, &db)?;
            let label = "LIVE".to_string();
            let extras = monitor(&label)?;
            let t = EngineThread::spawn_with(driver, store, pacing, label.clone(), stats, extras);
            (t, label)
        }
    };
    Ok(Started {
        engine,
        live,
        db,
        label,
    })
}

/// Starts the control API for `engine` as `[control]` says (its token
/// made if missing, refused if others may read it); `listen` overrides
/// the configured address.
pub fn control_api(
    loaded: &LoadedConfig,
    engine: &EngineThread,
    listen: Option<std::net::SocketAddr>,
) -> anyhow::Result<(ControlServer, PathBuf)> {
    let cfg = &loaded.config.control;
    let addr = match listen {
        Some(a) => {
            crate::control::config::loopback_only(a)
                .map_err(|why| anyhow::anyhow!("--listen: {why}"))?;
            a
        }
        None => cfg
            .listen_addr()
            .map_err(|e| anyhow::anyhow!("[control] listen: {}", e.message))?,
    };
    let path = token::token_path(&cfg.token_file)?;
    let token = token::load_or_create(&path)?;
    let server = ControlServer::start(addr, token, engine.handle())?;
    // Where `ctl` finds an instance that asked for any port.
    let at = token::addr_path(&path);
    if let Err(e) = std::fs::write(&at, format!("{}\n", server.addr())) {
        tracing::warn!(file = %at.display(), error = %e, "the API's address could not be written");
    }
    Ok((server, path))
}

/// Refuses to start accounts on real-money endpoints unless `--live` was
/// given and the operator types `LIVE` when asked (on `out`, read from
/// `input`). Accounts on a venue's test service, and paper accounts, need
/// neither.
pub fn confirm_live(
    loaded: &LoadedConfig,
    allowed: bool,
    input: &mut dyn std::io::BufRead,
    out: &mut dyn std::io::Write,
) -> anyhow::Result<()> {
    use omni_core::domain::AccountMode;
    let live: Vec<String> = loaded
        .catalog
        .accounts
        .iter()
        .filter(|a| a.mode == AccountMode::Live)
        .map(|a| format!("{} ({})", a.name, a.broker.as_str()))
        .collect();
    if live.is_empty() {
        return Ok(());
    }
    let names = live.join(", ");
    anyhow::ensure!(
        allowed,
        "{names} trade real money (a non-test endpoint in [brokers]); start with --live to allow it"
    );
    write!(
        out,
        "REAL MONEY: {names} will send orders to a live venue.\nType LIVE to go on: "
    )?;
    out.flush()?;
    let mut answer = String::new();
    input.read_line(&mut answer)?;
    anyhow::ensure!(
        answer.trim_end_matches(['\r', '\n']) == "LIVE",
        "not confirmed (typed something other than LIVE); nothing was started"
    );
    Ok(())
}
