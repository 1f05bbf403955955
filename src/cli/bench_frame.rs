//! `omni-tui bench --frames N`: the cost of drawing one full cockpit frame
//! at 200×50: layout, widgets, the buffer diff and the terminal escape codes
//! (written to a sink instead of a terminal).

use crate::app::snapshot::Snapshot;
use crate::app::{AppState, TradeLog, log::read_log};
use crate::engine_thread::snapshot::SnapshotBuilder;
use crate::setup;
use omni_core::approval::config::ApprovalMode;
use omni_core::domain::time::SECOND;
use omni_core::engine::Command;
use omni_core::engine::sink::AuditSink;
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};
use std::sync::Arc;
use std::time::Instant;

/// Builds snapshots from a demo session (some trading, some pending
/// opportunities, open positions), then draws `frames` frames cycling
/// through them so every frame has changes to diff and encode.
pub fn run(frames: usize, seed: u64, config: Option<&std::path::Path>) -> anyhow::Result<()> {
    let loaded = setup::load_config(config)?;
    let dir = std::env::temp_dir().join(format!("omni-tui-frame-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let db = dir.join("frame.db");
    let (_, restored, mut store) = setup::open_store(Some(&db), &loaded, "bench", seed)?;
    let mut driver = setup::demo_driver(&loaded, seed, restored)?;
    let start = driver.market().start();
    let sink: &mut dyn AuditSink = &mut store;
    driver.command(Command::SetApprovalMode(ApprovalMode::All), sink)?;
    // Approve everything for 100 s (binary contracts stay open for 60 s),
    // then leave new opportunities pending while snapshots are taken.
    driver.run_until(start.plus(100 * SECOND), usize::MAX, sink)?;
    driver.command(Command::SetApprovalMode(ApprovalMode::Manual), sink)?;
    let mut snapshots = Vec::new();
    let mut builder = SnapshotBuilder::new();
    for i in 0..64 {
        driver.run_until(start.plus((101 + i / 2) * SECOND), usize::MAX, sink)?;
        snapshots.push(Arc::new(builder.build(&driver.engine, i as u64, "DEMO")));
    }
    store.close()?;
    let reader = omni_store::open_read_only(&db)?;
    let mut app = AppState::new(false, db.display().to_string());
    app.log = TradeLog::from_rows(0, read_log(&reader, 300)?);
    let backend = CrosstermBackend::new(std::io::sink());
    let mut terminal = Terminal::with_options(
        backend,
        TerminalOptions {
            viewport: Viewport::Fixed(Rect::new(0, 0, 200, 50)),
        },
    )?;
    let mut times = Vec::with_capacity(frames);
    for i in 0..frames {
        app.set_snapshot(snapshots[i % snapshots.len()].clone());
        let t0 = Instant::now();
        terminal.draw(|f| crate::ui::draw(f, &app))?;
        times.push(t0.elapsed().as_nanos());
    }
    let _ = std::fs::remove_dir_all(&dir);
    times.sort_unstable();
    let most = |f: fn(&Snapshot) -> usize| snapshots.iter().map(|s| f(s)).max().unwrap_or(0);
    let (opps, positions) = (most(|s| s.opportunities.len()), most(|s| s.positions.len()));
    println!(
        "frame 200x50       {frames} frames: p50 {:.3} ms  p99 {:.3} ms  max {:.3} ms  (up to {} opportunities and {} positions on screen, {} log rows)",
        super::bench::percentile(&times, 0.5) as f64 / 1e6,
        super::bench::percentile(&times, 0.99) as f64 / 1e6,
        times.last().copied().unwrap_or(0) as f64 / 1e6,
        opps,
        positions,
        app.log.len()
    );
    Ok(())
}
