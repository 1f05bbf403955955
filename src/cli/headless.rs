//! `omni-tui headless`: the engine on the configured market, as fast as the
//! CPU allows, with a summary at the end.

use super::setup;
use crate::domain::time::SECOND;
use crate::driver::{AuditSink, Summary};
use crate::engine::Command;
use std::path::PathBuf;
use std::time::Instant;

/// Options of the headless run.
#[derive(Clone, Debug)]
pub struct HeadlessArgs {
    /// `--config`.
    pub config: Option<PathBuf>,
    /// `--db`.
    pub db: Option<PathBuf>,
    /// `--seed` (else the config's).
    pub seed: Option<u64>,
    /// `--events`.
    pub events: u64,
    /// `--approve`.
    pub approve: String,
    /// `--kill-after`.
    pub kill_after: Option<u64>,
    /// `--json`.
    pub json: bool,
}

/// Runs and prints the summary. Timing goes to stderr, never into the JSON.
pub fn run(args: &HeadlessArgs) -> anyhow::Result<Summary> {
    let loaded = setup::load_config(args.config.as_deref())?;
    let mode = setup::approval_mode(&args.approve)?;
    let seed = args.seed.unwrap_or(loaded.config.general.seed);
    let (db, restored, mut store) =
        setup::open_store(args.db.as_deref(), &loaded, "headless", seed)?;
    let mut driver = setup::demo_driver(&loaded, seed, restored)?;
    let sink: &mut dyn AuditSink = &mut store;
    driver.command(Command::SetApprovalMode(mode), sink)?;
    let started = Instant::now();
    while driver.market_events() < args.events {
        if !driver.step(sink)? {
            break;
        }
        if args.kill_after == Some(driver.market_events()) {
            driver.command(Command::KillSwitch, sink)?;
        }
    }
    // Let orders already sent reach the broker and report back.
    driver.finish(10 * SECOND, sink)?;
    let elapsed = started.elapsed();
    store.close()?;
    let summary = Summary::of(&driver.engine);
    if args.json {
        println!("{}", serde_json::to_string(&summary)?);
    } else {
        print!("{}", summary.to_text());
        println!("database          {}", db.display());
    }
    let secs = elapsed.as_secs_f64();
    eprintln!(
        "omni-tui headless: {} events in {:.3} s ({:.0} events/s)",
        summary.events,
        secs,
        summary.events as f64 / secs.max(1e-9)
    );
    Ok(summary)
}
