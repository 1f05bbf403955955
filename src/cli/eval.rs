//! `omni-tui eval`: scores the models on any data.

use super::data;
use omni_core::ensemble::ModelSet;
use omni_research::eval::evaluate;
use std::path::Path;

/// Evaluates the models in `models` (or the bundled ones) on the series.
pub fn run(
    data_args: &[String],
    models: Option<&Path>,
    split: super::args::SplitArg,
    json: bool,
) -> anyhow::Result<()> {
    anyhow::ensure!(!data_args.is_empty(), "give at least one --data PATH");
    let (split_kind, split) = split.split();
    let set = match models {
        Some(dir) => omni_research::models::load_dir(dir)?,
        None => ModelSet::bundled()?,
    };
    anyhow::ensure!(!set.is_empty(), "no model files found");
    let series: Vec<_> = data::load_all(data_args)?
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    let report = evaluate(&set, &series, split_kind, split);
    if json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print!("{}", report.to_text());
    }
    Ok(())
}
