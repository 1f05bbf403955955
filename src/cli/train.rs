//! `omni-tui train`: fits the horizon models and the ensembles' weights,
//! and writes their files.

use super::data;
use anyhow::Context;
use omni_core::ensemble::Horizon;
use omni_research::models::{STACKING_FILE, load_dir};
use omni_research::stack::fit_stacking;
use omni_research::train::{TrainOptions, train};
use std::path::Path;

/// Trains `which` (short, medium, long, ensemble, binary or all) on the `--data`
/// series and writes `<horizon>.json` (and `ensemble.json`) into `out`.
pub fn run(
    which: super::args::ModelArg,
    data_args: &[String],
    out: &Path,
    seed: u64,
    members: usize,
    features: &[String],
) -> anyhow::Result<()> {
    anyhow::ensure!(!data_args.is_empty(), "give at least one --data PATH");
    let horizons: Vec<Horizon> = which.horizons();
    let loaded = data::load_all(data_args)?;
    let series: Vec<_> = loaded.into_iter().map(|(s, d)| (s, vec![d.text])).collect();
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let opts = TrainOptions {
        seed,
        members,
        features: omni_research::train::expand_features(features)?,
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
    let stacking_path = out.join(STACKING_FILE);
    match which {
        super::args::ModelArg::Ensemble | super::args::ModelArg::All => {
            let t0 = std::time::Instant::now();
            let set = load_dir(out)?;
            let stacking = fit_stacking(&set, &series)?;
            let mut text = serde_json::to_string_pretty(&stacking)?;
            text.push('\n');
            std::fs::write(&stacking_path, text)
                .with_context(|| format!("writing {}", stacking_path.display()))?;
            for st in &stacking.stacks {
                if st.samples == 0 {
                    eprintln!(
                        "omni-tui train: ensemble {}: no validation forecasts on this data; it stays the {} model alone",
                        st.target.as_str(),
                        st.target.as_str()
                    );
                    continue;
                }
                eprintln!(
                    "omni-tui train: ensemble {}: weights short {:.3}, medium {:.3}, long {:.3} on {} validation forecasts, log loss {:.5}",
                    st.target.as_str(),
                    st.weights[0],
                    st.weights[1],
                    st.weights[2],
                    st.samples,
                    st.log_loss
                );
            }
            eprintln!(
                "omni-tui train: {:.1} s -> {}",
                t0.elapsed().as_secs_f64(),
                stacking_path.display()
            );
        }
        super::args::ModelArg::Binary => {}
        _ if stacking_path.is_file() => eprintln!(
            "omni-tui train: {} was fitted on the earlier models; run `omni-tui train --model ensemble --out {} --data ...` again",
            stacking_path.display(),
            out.display()
        ),
        _ => {}
    }
    let binary_path = out.join(omni_research::models::BINARY_FILE);
    if matches!(
        which,
        super::args::ModelArg::Short | super::args::ModelArg::Ensemble
    ) && binary_path.is_file()
    {
        eprintln!(
            "omni-tui train: {} was fitted on the earlier 5-minute ensemble; run `omni-tui train --model binary --out {} --data ...` again",
            binary_path.display(),
            out.display()
        );
    }
    if matches!(
        which,
        super::args::ModelArg::Binary | super::args::ModelArg::All
    ) {
        fit_binary_file(out, &series)?;
    }
    Ok(())
}

/// Fits `binary.json` on the models already in `out`.
fn fit_binary_file(
    out: &Path,
    series: &[(omni_research::history::Series, Vec<String>)],
) -> anyhow::Result<()> {
    let t0 = std::time::Instant::now();
    let set = load_dir(out)?;
    let only: Vec<_> = series.iter().map(|(s, _)| s.clone()).collect();
    let files = series.iter().flat_map(|(_, f)| f.iter().cloned()).collect();
    let cal = omni_research::binary::fit_binary(&set, &only, files)?;
    let path = out.join(omni_research::models::BINARY_FILE);
    let mut text = serde_json::to_string_pretty(&cal)?;
    text.push('\n');
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    for p in &cal.points {
        eprintln!(
            "omni-tui train: binary {} s: slope {:.3} on {} validation forecasts, log loss {:.5}",
            p.expiry_secs, p.slope, p.samples, p.log_loss
        );
    }
    eprintln!(
        "omni-tui train: {:.1} s -> {}",
        t0.elapsed().as_secs_f64(),
        path.display()
    );
    Ok(())
}
