//! `omni-tui bench`: throughput and latency of the whole headless pipeline.

use crate::setup;
use crate::summary::Summary;
use omni_core::approval::config::ApprovalMode;
use omni_core::domain::time::SECOND;
use omni_core::driver::ProcessProbe;
use omni_core::engine::AuditSink;
use omni_core::engine::Command;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Engine timings, in nanoseconds per `Engine::process` call.
#[derive(Debug, Default)]
struct Timings {
    /// Every market event.
    per_event: Vec<u32>,
    /// Market events that produced at least one order request.
    to_order: Vec<u32>,
}

/// Two clock reads around every engine call; results go to the shared
/// `Timings` after the second read, so the lock is outside the timed span.
struct Timer {
    started: Option<Instant>,
    out: Arc<Mutex<Timings>>,
}

impl ProcessProbe for Timer {
    fn before(&mut self) {
        self.started = Some(Instant::now());
    }

    fn after(&mut self, market: bool, orders: bool) {
        let Some(t0) = self.started.take() else {
            return;
        };
        let ns = t0.elapsed().as_nanos().min(u32::MAX as u128) as u32;
        if market && let Ok(mut t) = self.out.lock() {
            t.per_event.push(ns);
            if orders {
                t.to_order.push(ns);
            }
        }
    }
}

/// What the store's writer thread did in one pass.
struct WriterFigures {
    rows: u64,
    commits: u64,
    cpu_secs: f64,
}

/// The `p` quantile (0–1) of sorted values, nearest rank; the default
/// (zero) of an empty list. Every bench reports with it.
pub fn percentile<T: Copy + Default>(sorted: &[T], p: f64) -> T {
    let i = (sorted.len().saturating_sub(1) as f64 * p).round() as usize;
    sorted.get(i).copied().unwrap_or_default()
}

/// Runs the demo pipeline (approve-all, paper broker, SQLite writer on a
/// temporary database) twice: once for throughput with no timers, once with
/// a clock read around every engine call for the latency distribution.
pub fn run(events: u64, seed: Option<u64>, config: Option<PathBuf>) -> anyhow::Result<()> {
    let loaded = setup::load_config(config.as_deref())?;
    let seed = seed.unwrap_or(loaded.config.general.seed);
    let dir = std::env::temp_dir().join(format!("omni-tui-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;

    let mut results = Vec::new();
    for measure in [false, true] {
        let db = dir.join(format!("bench-{measure}.db"));
        let (_, restored, mut store) = setup::open_store(Some(&db), &loaded, "bench", seed)?;
        let mut driver = setup::demo_driver(&loaded, seed, restored)?;
        let timings = Arc::new(Mutex::new(Timings::default()));
        if measure {
            driver.set_probe(Some(Box::new(Timer {
                started: None,
                out: timings.clone(),
            })));
        }
        let sink: &mut dyn AuditSink = &mut store;
        driver.command(Command::SetApprovalMode(ApprovalMode::All), sink)?;
        let t0 = Instant::now();
        while driver.market_events() < events && driver.step(sink)? {}
        driver.finish(10 * SECOND, sink)?;
        let loop_secs = t0.elapsed().as_secs_f64();
        let writer = store.stats();
        store.close()?;
        let total_secs = t0.elapsed().as_secs_f64();
        let writer = WriterFigures {
            rows: writer.rows.load(Ordering::Relaxed),
            commits: writer.commits.load(Ordering::Relaxed),
            cpu_secs: writer.cpu_ns.load(Ordering::Relaxed) as f64 / 1e9,
        };
        let summary = Summary::of(&driver.engine);
        results.push((
            measure,
            loop_secs,
            total_secs,
            writer,
            summary,
            measure
                .then(|| std::mem::take(&mut *timings.lock().unwrap_or_else(|e| e.into_inner()))),
        ));
    }
    let _ = std::fs::remove_dir_all(&dir);

    println!(
        "omni-tui bench: demo market, approve all, paper broker, SQLite (WAL, synchronous=FULL)"
    );
    for (measure, loop_secs, total_secs, writer, s, timings) in &results {
        if !measure {
            println!(
                "throughput        {} market events in {:.3} s = {:.0} events/s (store drained: {:.3} s)",
                s.events,
                loop_secs,
                s.events as f64 / loop_secs.max(1e-9),
                total_secs
            );
            println!(
                "pipeline          {} opportunities, {} orders, {} fills, {} closed trades",
                s.opportunities.total(),
                s.orders,
                s.fills,
                s.trades
            );
            println!(
                "store writer      {} rows in {} transactions, {:.3} s of writer CPU = {:.0} rows/s of writer CPU",
                writer.rows,
                writer.commits,
                writer.cpu_secs,
                writer.rows as f64 / writer.cpu_secs.max(1e-9)
            );
        } else if let Some(t) = timings {
            let mut all = t.per_event.clone();
            all.sort_unstable();
            let mut ord = t.to_order.clone();
            ord.sort_unstable();
            let engine_ns: u64 = all.iter().map(|&x| x as u64).sum();
            println!(
                "engine only       {:.0} events/s (sum of Engine::process time, {} events)",
                all.len() as f64 / (engine_ns as f64 / 1e9).max(1e-9),
                all.len()
            );
            println!(
                "latency, every market event     p50 {} ns  p99 {} ns  p99.9 {} ns",
                percentile(&all, 0.5),
                percentile(&all, 0.99),
                percentile(&all, 0.999)
            );
            println!(
                "latency, event -> order request p50 {} ns  p99 {} ns  ({} events produced orders)",
                percentile(&ord, 0.5),
                percentile(&ord, 0.99),
                ord.len()
            );
        }
    }
    Ok(())
}
