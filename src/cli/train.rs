//! `omni-tui train`: fits the horizon models and writes their files.

use super::data;
use anyhow::Context;
use omni_core::ensemble::Horizon;
use omni_research::train::{TrainOptions, train};
use std::path::Path;

/// Trains `which` (short, medium, long or all) on the `--data` series and
/// writes `<horizon>.json` into `out`.
pub fn run(
    which: super::args::ModelArg,
    data_args: &[String],
    out: &Path,
    seed: u64,
    members: usize,
) -> anyhow::Result<()> {
    anyhow::ensure!(!data_args.is_empty(), "give at least one --data PATH");
    let horizons: Vec<Horizon> = which.horizons();
    let loaded = data::load_all(data_args)?;
    let series: Vec<_> = loaded.into_iter().map(|(s, d)| (s, vec![d.text])).collect();
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let opts = TrainOptions {
        seed,
        members,
        ..TrainOptions::default()
    };
    for h in horizons {
        let t0 = std::time::Instant::now();
        let model = train(h, &series, &opts)?;
        let path = out.join(format!("{}.json", h.as_str()));
        let mut text = serde_json::to_string_pretty(&model)?;
        text.push('\n');
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        let samples: usize = model.training.series.iter().map(|s| s.samples[0]).sum();
        eprintln!(
            "omni-tui train: {} ({} × {}): {} series, {} training samples, l2 {}, validation log loss {:.5}, {:.1} s -> {}",
            h.as_str(),
            h.horizon_bars(),
            h.timeframe().as_str(),
            model.training.series.len(),
            samples,
            model.training.l2,
            model.training.validation_log_loss,
            t0.elapsed().as_secs_f64(),
            path.display()
        );
    }
    Ok(())
}
