//! `omni-tui record`: every raw frame of the enabled feeds, with its
//! receive time, into a file that `omni-tui replay` reads.

use crate::setup;
use omni_feeds::record::Recorder;
use std::path::Path;
use std::time::{Duration, Instant};

/// Records for `secs` seconds into `out`.
pub fn run(config: Option<&Path>, out: &Path, secs: f64) -> anyhow::Result<()> {
    let loaded = setup::load_config(config)?;
    let (recorder, writer) = Recorder::create(out)?;
    let (feeds, mut source) = omni_feeds::live::start(
        &loaded.config.feeds,
        loaded.config.general.seed,
        &loaded.catalog,
        Some(recorder),
    )?;
    let t0 = Instant::now();
    let mut last_report = Instant::now();
    while t0.elapsed().as_secs_f64() < secs {
        // The frames are recorded by the connectors; the events are not needed.
        while source.next().is_some() {}
        std::thread::sleep(Duration::from_millis(50));
        if last_report.elapsed() >= Duration::from_secs(5) {
            last_report = Instant::now();
            for f in &feeds.stats {
                let h = f.health();
                eprintln!(
                    "{:<9} {:<12} {} frames",
                    h.venue,
                    h.state.as_str(),
                    h.messages
                );
            }
        }
    }
    let stats = feeds.stats.clone();
    feeds.stop();
    drop(source);
    let frames = writer.finish()?;
    for f in &stats {
        let h = f.health();
        println!(
            "{:<9} {:<12} messages {} dropped {} reconnects {}{}",
            h.venue,
            h.state.as_str(),
            h.messages,
            h.dropped,
            h.reconnects,
            if h.last_error.is_empty() {
                String::new()
            } else {
                format!(" (last error: {})", h.last_error)
            }
        );
    }
    println!("{frames} frames written to {}", out.display());
    Ok(())
}
