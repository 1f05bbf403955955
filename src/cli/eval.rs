//! `omni-tui eval`: scores the models on any data.

use super::args::SplitArg;
use super::data;
use anyhow::Context;
use omni_core::ensemble::{Horizon, ModelSet};
use omni_research::eval::{EvalOptions, Prediction, evaluate};
use std::io::Write;
use std::path::{Path, PathBuf};

/// `omni-tui eval`'s options.
#[derive(Clone, Debug, clap::Args)]
pub struct EvalArgs {
    /// A CSV file or a directory of them (one series); append @+HH:MM when its times are local,
    /// and ,OTHER files of the same instrument on other venues.
    #[arg(long, required = true, num_args = 1..)]
    pub data: Vec<String>,
    /// Directory with short.json, medium.json, long.json (default: the bundled models).
    #[arg(long)]
    pub models: Option<PathBuf>,
    /// Which part of each series: all, train, validation or test (default:
    /// test when the data includes a model's own training files, else all).
    #[arg(long, value_enum)]
    pub split: Option<SplitArg>,
    /// Write one CSV row per scored forecast to this file.
    #[arg(long)]
    pub dump: Option<PathBuf>,
    /// Write each model's skill, interval, ECE and trend to this file
    /// (measured.json: a models directory's copy is shown in the cockpit).
    #[arg(long)]
    pub measured: Option<PathBuf>,
    /// Day-block bootstrap draws for the 95 % intervals (0: none).
    #[arg(long, default_value_t = 1000)]
    pub resamples: usize,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Evaluates the models (given or bundled) on the series.
pub fn run(args: &EvalArgs) -> anyhow::Result<()> {
    anyhow::ensure!(!args.data.is_empty(), "give at least one --data PATH");
    let set = match &args.models {
        Some(dir) => omni_research::models::load_dir(dir)?,
        None => ModelSet::bundled()?,
    };
    anyhow::ensure!(!set.is_empty(), "no model files found");
    let loaded = data::load_all(&args.data)?;
    let seen = trained_on(&set, loaded.iter().map(|(_, a)| a));
    let (split, reason) = match args.split {
        Some(s) => {
            if s != SplitArg::Test
                && let Some((model, file)) = seen.first()
            {
                eprintln!(
                    "omni-tui eval: {file} is part of the {model} model's training data; \
                     figures outside --split test include what it was fitted or stopped on"
                );
            }
            (s, None)
        }
        None => match seen.first() {
            Some((model, file)) => (
                SplitArg::Test,
                Some(format!(
                    "default: {file} is part of the {model} model's training data"
                )),
            ),
            None => (
                SplitArg::All,
                Some("default: no model trained on this data".into()),
            ),
        },
    };
    let (split_kind, split_name) = split.split();
    let series: Vec<_> = loaded.into_iter().map(|(s, _)| s).collect();
    let opts = EvalOptions {
        split_reason: reason,
        resamples: args.resamples,
        keep_predictions: args.dump.is_some(),
        ..EvalOptions::new(split_kind, split_name)
    };
    let mut report = evaluate(&set, &series, &opts);
    // Binary contracts of the default expiry: the 5-minute ensemble mapped
    // through binary.json, scored on the same part of the same data.
    report.models.insert(
        omni_research::binary::report_key(1),
        omni_research::binary::evaluate_binary(&set, &series, split_kind, 1, args.resamples),
    );
    if let Some(path) = &args.dump {
        write_dump(path, &report.predictions)?;
    }
    if let Some(path) = &args.measured {
        let mut text = serde_json::to_string_pretty(&measured(&report))?;
        text.push('\n');
        std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print!("{}", report.to_text());
        if let Some(path) = &args.dump {
            println!(
                "\n{} predictions written to {}",
                report.predictions.len(),
                path.display()
            );
        }
    }
    Ok(())
}

/// The figures the cockpit shows beside each model, from a report: only
/// models scored with intervals.
fn measured(report: &omni_research::eval::EvalReport) -> omni_core::ensemble::Measured {
    let names: Vec<&str> = report.data.iter().map(|d| d.name.as_str()).collect();
    let models = report
        .models
        .iter()
        .filter_map(|(key, r)| {
            let m = r.scores.as_ref()?;
            let iv = m.intervals.as_ref()?;
            Some((
                key.clone(),
                omni_core::ensemble::Skill {
                    n: m.n,
                    brier_skill: m.brier_skill,
                    skill_low: iv.brier_skill.low,
                    skill_high: iv.brier_skill.high,
                    ece: m.ece,
                    trend: m.decisiveness_trend,
                },
            ))
        })
        .collect();
    omni_core::ensemble::Measured {
        format: omni_core::ensemble::MEASURED_FORMAT.into(),
        version: omni_core::ensemble::MEASURED_VERSION,
        data: format!("split {} of {}", report.split, names.join(", ")),
        models,
    }
}

fn write_dump(path: &Path, rows: &[Prediction]) -> anyhow::Result<()> {
    let file =
        std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?;
    let mut out = std::io::BufWriter::new(file);
    writeln!(out, "{}", Prediction::CSV_HEADER)?;
    for r in rows {
        writeln!(out, "{}", r.csv_row())?;
    }
    out.flush()
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// The trailing components that name a data file the same way wherever the
/// data folder sits: `binance_spot/2023-01/BTCUSDT_1m.csv`.
fn tail(path: &Path) -> Vec<String> {
    let parts: Vec<String> = path
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts[parts.len().saturating_sub(3)..].to_vec()
}

fn without_offset(arg: &str) -> &str {
    match arg.rsplit_once('@') {
        Some((p, o)) if o.starts_with('+') || o.starts_with('-') => p,
        _ => arg,
    }
}

/// Which given files (or files inside given directories) a loaded model was
/// trained on, as (model, file): the same file by its resolved path, or by
/// its last three path components when the model was trained from another
/// directory.
fn trained_on<'a>(
    set: &ModelSet,
    given: impl Iterator<Item = &'a data::DataArg>,
) -> Vec<(&'static str, String)> {
    let mut given_files: Vec<PathBuf> = Vec::new();
    for a in given {
        if a.path.is_dir() {
            if let Ok(entries) = std::fs::read_dir(&a.path) {
                given_files.extend(entries.flatten().map(|e| e.path()));
            }
        } else {
            given_files.push(a.path.clone());
        }
    }
    let mut found = Vec::new();
    for h in Horizon::ALL {
        let Some(m) = set.get(h) else { continue };
        for s in &m.training.series {
            // A series given with other venues (`A,B,C`) trained on each.
            for f in s.files.iter().flat_map(|f| f.split(',')) {
                let trained = Path::new(without_offset(f));
                let trained_canon = trained.canonicalize().ok();
                for g in &given_files {
                    let same = match (&trained_canon, g.canonicalize().ok()) {
                        (Some(a), Some(b)) => *a == b,
                        _ => false,
                    } || tail(trained) == tail(g);
                    if same {
                        found.push((h.as_str(), g.display().to_string()));
                    }
                }
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_matched_by_its_last_three_components() {
        assert_eq!(
            tail(Path::new(
                "../shared/data/binance_spot/2023-01/BTCUSDT_1m.csv"
            )),
            tail(Path::new("/srv/data/binance_spot/2023-01/BTCUSDT_1m.csv"))
        );
        assert_ne!(
            tail(Path::new("data/binance_spot/2024-10/BTCUSDT_1m.csv")),
            tail(Path::new("data/binance_spot/2023-01/BTCUSDT_1m.csv"))
        );
        assert_eq!(without_offset("a/b.csv@+03:00"), "a/b.csv");
        assert_eq!(without_offset("a@b/c.csv"), "a@b/c.csv");
    }
}
