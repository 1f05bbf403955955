//! Building a run: configuration, store, engine, market and broker.

use crate::config::{ApprovalMode, LoadedConfig};
use crate::driver::MarketSource;
use crate::driver::SimDriver;
use crate::engine::{Engine, RestoredState};
use crate::ensemble::ModelSet;
use crate::execution::paper::PaperBroker;
use crate::feeds::VenueKind;
use crate::feeds::replay::ReplaySource;
use crate::market::demo::DemoMarket;
use crate::store::{self, StoreHandle, StoreWriter};
use anyhow::Context;
use std::path::{Path, PathBuf};

/// The simulated pipeline every non-live mode runs.
pub type DemoDriver = SimDriver<DemoMarket, PaperBroker>;

/// Loads the configuration or explains, with file, line and key, why not.
pub fn load_config(path: Option<&Path>) -> anyhow::Result<LoadedConfig> {
    Ok(crate::config::load(path)?)
}

/// Opens the store, reads what a restart resumes from, and starts a run.
pub fn open_store(
    db: Option<&Path>,
    loaded: &LoadedConfig,
    mode: &str,
    seed: u64,
) -> anyhow::Result<(PathBuf, RestoredState, StoreHandle)> {
    let path = db
        .map(Path::to_path_buf)
        .unwrap_or_else(store::default_path);
    let conn = store::open(&path)?;
    let restored = store::load_state(&conn, &loaded.catalog)?;
    let writer = StoreWriter::begin_run(
        conn,
        &loaded.catalog,
        mode,
        seed,
        &loaded.origin.to_string(),
    )
    .with_context(|| format!("starting a run in {}", path.display()))?;
    Ok((path, restored, StoreHandle::spawn(writer)))
}

/// The demo market, paper broker and engine for a configuration.
pub fn demo_driver(
    loaded: &LoadedConfig,
    seed: u64,
    restored: RestoredState,
) -> anyhow::Result<DemoDriver> {
    let market = DemoMarket::new(&loaded.config, &loaded.catalog, &loaded.base_dir, seed)?;
    driver(loaded, seed, restored, market)
}

/// The engine (restored, with its models) and the paper broker, driven by
/// any market source.
pub fn driver<M: MarketSource>(
    loaded: &LoadedConfig,
    seed: u64,
    restored: RestoredState,
    market: M,
) -> anyhow::Result<SimDriver<M, PaperBroker>> {
    let cfg = &loaded.config;
    let mut engine = Engine::new(cfg, &loaded.catalog);
    engine.set_models(std::sync::Arc::new(load_models(loaded)?));
    engine.restore(restored);
    let latencies = loaded
        .catalog
        .venues
        .iter()
        .map(|v| {
            cfg.venues
                .iter()
                .find(|c| c.name == v.name)
                .map_or(50, |c| c.order_latency_ms)
        })
        .collect();
    let broker = PaperBroker::new(&loaded.catalog, &cfg.paper, latencies, seed);
    Ok(SimDriver::new(engine, broker, market))
}

/// A replay of the configuration's `[market.replay]` files, or of `files`
/// when given.
pub fn replay_source(
    loaded: &LoadedConfig,
    files: &[PathBuf],
    venue: Option<&str>,
) -> anyhow::Result<ReplaySource> {
    let r = &loaded.config.market.replay;
    let files: Vec<PathBuf> = if files.is_empty() {
        r.files.iter().map(|f| loaded.base_dir.join(f)).collect()
    } else {
        files.to_vec()
    };
    anyhow::ensure!(
        !files.is_empty(),
        "nothing to replay: give FILE... or [market.replay] files"
    );
    let venue = venue.or((!r.venue.is_empty()).then_some(r.venue.as_str()));
    let venue = match venue {
        Some(v) => Some(VenueKind::parse(v).ok_or_else(|| {
            anyhow::anyhow!("--venue must be binance, kraken, coinbase, bybit or oanda (got `{v}`)")
        })?),
        None => None,
    };
    Ok(ReplaySource::open(
        &files,
        venue,
        &loaded.catalog,
        &loaded.config.feeds,
    )?)
}

/// The ensemble's models as configured: none when disabled, the bundled
/// ones when `models_dir` is empty, else that directory's.
pub fn load_models(loaded: &LoadedConfig) -> anyhow::Result<ModelSet> {
    let e = &loaded.config.ensemble;
    if !e.enabled {
        return Ok(ModelSet::default());
    }
    if e.models_dir.is_empty() {
        return Ok(ModelSet::bundled()?);
    }
    let dir = loaded.base_dir.join(&e.models_dir);
    let set = ModelSet::load_dir(&dir)?;
    anyhow::ensure!(
        !set.is_empty(),
        "{}: no short.json, medium.json or long.json",
        dir.display()
    );
    Ok(set)
}

/// Marks every paper account PAPER: the data is real, not the demo's
/// (used when a command replays or goes live regardless of the config).
pub fn on_real_data(loaded: &mut LoadedConfig) {
    for a in &mut loaded.catalog.accounts {
        if a.mode == crate::domain::AccountMode::Demo {
            a.mode = crate::domain::AccountMode::Paper;
        }
    }
}

/// Parses `--approve`.
pub fn approval_mode(s: &str) -> anyhow::Result<ApprovalMode> {
    match s {
        "manual" => Ok(ApprovalMode::Manual),
        "all" => Ok(ApprovalMode::All),
        "auto" => Ok(ApprovalMode::Auto),
        other => anyhow::bail!("--approve must be manual, all or auto (got `{other}`)"),
    }
}
