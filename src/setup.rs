//! Building a run: configuration, store, engine, market and broker.

use crate::config::LoadedConfig;
use anyhow::Context;
use omni_core::domain::{BrokerKind, OrderId};
use omni_core::driver::Driver;
use omni_core::engine::{Engine, RestoredState};
use omni_core::ensemble::ModelSet;
use omni_core::execution::BrokerMap;
use omni_core::market::MarketSource;
use omni_feeds::VenueKind;
use omni_feeds::replay::ReplaySource;
use omni_sim::demo::DemoMarket;
use omni_sim::paper::PaperBroker;
use omni_store::{self, StoreHandle, StoreWriter};
use std::path::{Path, PathBuf};

/// The demo market driving the engine and the accounts' brokers.
pub type DemoDriver = Driver<DemoMarket>;

/// Loads the configuration or explains, with file, line and key, why not.
pub fn load_config(path: Option<&Path>) -> anyhow::Result<LoadedConfig> {
    Ok(crate::config::load(path)?)
}

/// Takes the database's write lock (one writing process per database: a
/// second is refused, naming the holder's pid), opens the store, reads
/// what a restart resumes from, and starts a run. The lock is held until
/// the returned handle's writer has closed the database.
pub fn open_store(
    db: Option<&Path>,
    loaded: &LoadedConfig,
    mode: &str,
    seed: u64,
) -> anyhow::Result<(PathBuf, RestoredState, StoreHandle)> {
    let path = database_path(db)?;
    let lock = omni_store::lock::lock(&path)?;
    let conn = omni_store::open(&path)?;
    let restored = omni_store::load_state(&conn, &loaded.catalog)?;
    let writer = StoreWriter::begin_run(
        conn,
        &loaded.catalog,
        mode,
        seed,
        &loaded.origin.to_string(),
    )
    .with_context(|| format!("starting a run in {}", path.display()))?
    .holding(lock);
    Ok((path, restored, StoreHandle::spawn(writer)))
}

/// The demo market, paper broker and engine for a configuration. On a
/// stored database the demo resumes after the stored time (its market and
/// the engine's clock both continue from there), so a restart keeps the
/// day's loss, trade count, loss streak, cooldown and minimum intervals, as
/// a live run does; a fresh database starts the demo where it always does.
pub fn demo_driver(
    loaded: &LoadedConfig,
    seed: u64,
    restored: RestoredState,
) -> anyhow::Result<DemoDriver> {
    let (demo, hours) = (&loaded.config.market.demo, &loaded.config.risk.hours);
    let (catalog, base) = (&loaded.catalog, &loaded.base_dir);
    let resume = restored.clock;
    let market = match resume {
        Some(after) => DemoMarket::resuming(demo, hours, catalog, base, seed, after)?,
        None => DemoMarket::new(demo, hours, catalog, base, seed)?,
    };
    let mut d = driver(loaded, seed, restored, market)?;
    if let Some(after) = resume {
        d.engine.resume_clock(after);
    }
    Ok(d)
}

/// The engine (restored, with its models) and each account's broker,
/// driven by any market source. Accounts on live brokers are refused: they
/// run only on the venues' own prices ([`live_driver`]).
pub fn driver<M: MarketSource>(
    loaded: &LoadedConfig,
    seed: u64,
    restored: RestoredState,
    market: M,
) -> anyhow::Result<Driver<M>> {
    driver_with(loaded, seed, restored, market, None)
}

/// [`driver`] for a live market source: accounts on live brokers connect
/// to their venues, journaling their orders in the run's database `db`.
pub fn live_driver<M: MarketSource>(
    loaded: &LoadedConfig,
    seed: u64,
    restored: RestoredState,
    market: M,
    db: &Path,
) -> anyhow::Result<Driver<M>> {
    driver_with(loaded, seed, restored, market, Some(db))
}

fn driver_with<M: MarketSource>(
    loaded: &LoadedConfig,
    seed: u64,
    restored: RestoredState,
    market: M,
    live_db: Option<&Path>,
) -> anyhow::Result<Driver<M>> {
    let cfg = &loaded.config;
    let mut engine = Engine::new(&cfg.engine(), &loaded.catalog);
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
    let brokers = brokers(loaded, &engine, latencies, seed, live_db)?;
    Ok(Driver::new(engine, brokers, market))
}

/// One broker per configured kind, each serving the accounts that name it.
/// Paper accounts share one paper venue, whose books open with the engine's
/// (restored) cash and positions so the two agree from the first event;
/// open binary contracts are handed back too (keyed by their buying
/// order's id, with their struck terms), so they settle at expiry and can
/// be sold back. Each live account gets its own order manager
/// ([`crate::live::start`]); keys are read here, and a paper account never
/// reads any.
fn brokers(
    loaded: &LoadedConfig,
    engine: &Engine,
    latencies: Vec<u64>,
    seed: u64,
    live_db: Option<&Path>,
) -> anyhow::Result<BrokerMap> {
    let catalog = &loaded.catalog;
    let cfg = &loaded.config;
    let mut paper = PaperBroker::new(catalog, &cfg.paper, &cfg.scanners.binary, latencies, seed);
    let portfolio = engine.portfolio();
    let mut paper_accounts = Vec::new();
    let mut map = BrokerMap::new();
    for (account, info) in catalog.accounts.iter().enumerate() {
        match info.broker {
            BrokerKind::Paper => {
                let cash = portfolio
                    .balances
                    .get(account)
                    .map_or(info.initial_balance, |b| b.cash);
                paper.open_account(info.id, &info.currency, cash);
                paper_accounts.push(info.id);
            }
            BrokerKind::Binance
            | BrokerKind::Alpaca
            | BrokerKind::Oanda
            | BrokerKind::TradeLocker
            | BrokerKind::Mexc => {
                let Some(db) = live_db else {
                    anyhow::bail!(
                        "account `{}` trades on {}: it runs only on the venues' own prices (market.source = \"live\"), not in a replay, backtest or benchmark",
                        info.name,
                        info.broker.as_str()
                    );
                };
                let broker = crate::live::start(loaded, info, db)?;
                map.add(broker, &[info.id]);
            }
        }
    }
    for p in portfolio.positions.values() {
        if p.qty.is_zero() || !paper_accounts.contains(&p.key.account) {
            continue;
        }
        match (p.key.contract, p.binary) {
            (0, _) => paper.hold(p.key.account, p.key.instrument, p.venue, p.qty, p.avg_price),
            (id, Some(terms)) => paper.hold_contract(
                p.key.account,
                p.key.instrument,
                p.venue,
                OrderId(id),
                p.qty.abs(),
                terms,
            ),
            // A contract stored without its terms cannot settle; the kill
            // switch's sell-back is refused and retried with a backoff.
            (_, None) => {}
        }
    }
    map.add(Box::new(paper), &paper_accounts);
    Ok(map)
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
    let venue = match venue {
        Some(v) => Some(VenueKind::parse(v).ok_or_else(|| {
            let names: Vec<&str> = VenueKind::ALL.iter().map(|k| k.name()).collect();
            anyhow::anyhow!("--venue must be one of {} (got `{v}`)", names.join(", "))
        })?),
        None => r.venue,
    };
    Ok(ReplaySource::open(
        &files,
        venue,
        &loaded.catalog,
        &loaded.config.feeds,
    )?)
}

/// The ensemble's models as configured: none when disabled, the bundled
/// ones when `models_dir` is empty, else that directory's. The same reader
/// the configuration check uses ([`crate::config::files::models`]).
pub fn load_models(loaded: &LoadedConfig) -> anyhow::Result<ModelSet> {
    crate::config::files::models(&loaded.config.ensemble, &loaded.base_dir)
        .map_err(|e| anyhow::anyhow!("{}: key `{}`: {}", loaded.origin, e.key, e.message))
}

/// The database a run writes: `db`, else the default one; refused when it
/// cannot be: a folder where the file should be, or a file where one of
/// its folders should be. `omni-tui config` checks it too, and opening the
/// store starts with it, so the two agree.
pub fn database_path(db: Option<&Path>) -> anyhow::Result<PathBuf> {
    let path = db
        .map(Path::to_path_buf)
        .unwrap_or_else(omni_store::default_path);
    anyhow::ensure!(
        !path.is_dir(),
        "--db {}: is a folder, not a database file",
        path.display()
    );
    // The store creates missing folders; the nearest one that exists must
    // be a folder it can create them in.
    let mut folder = path.parent();
    while let Some(f) = folder.filter(|f| !f.as_os_str().is_empty()) {
        if f.exists() {
            anyhow::ensure!(
                f.is_dir(),
                "--db {}: {} is not a folder",
                path.display(),
                f.display()
            );
            break;
        }
        folder = f.parent();
    }
    Ok(path)
}

/// Marks every paper account PAPER: the data is real, not the demo's
/// (used when a command replays or goes live regardless of the config).
pub fn on_real_data(loaded: &mut LoadedConfig) {
    for a in &mut loaded.catalog.accounts {
        if a.mode == omni_core::domain::AccountMode::Demo {
            a.mode = omni_core::domain::AccountMode::Paper;
        }
    }
}
