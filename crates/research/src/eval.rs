//! Evaluation: each model at its own horizon, the ensemble at its target
//! horizon, and two baselines, on any data.

use crate::dataset::{Sample, Split, bar_input, bars_at, samples, select};
use crate::history::Series;
use crate::metrics::{Metrics, Outcome};
use omni_core::domain::Timestamp;
use omni_core::ensemble::ModelSet;
use omni_core::ensemble::model::{Horizon, Model};
use omni_core::ensemble::tracker::EnsembleTracker;
use omni_core::features::BarInput;
use serde::Serialize;
use std::collections::HashMap;

/// Accuracy and Brier score of a baseline.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BaselineScore {
    /// Share of correct directions.
    pub accuracy: f64,
    /// Brier score: mean squared error of P(up); lower is better.
    pub brier: f64,
    /// How many forecasts were scored.
    pub n: usize,
}

/// The two baselines at one horizon.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Baselines {
    /// Always the training period's majority direction, at its base rate.
    pub majority: BaselineScore,
    /// The sign of the last bar's return, at its training accuracy.
    pub last_return: BaselineScore,
}

/// One model's (or the ensemble's) evaluation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ModelReport {
    /// Forecasts scored (0 when the model could not run on this data).
    pub n: usize,
    /// Share of correct directions.
    pub accuracy: Option<f64>,
    /// Brier score: mean squared error of P(up); lower is better.
    pub brier: Option<f64>,
    /// Brier skill against the base rate.
    pub brier_skill: Option<f64>,
    /// Mean negative log likelihood of the outcomes; lower is better.
    pub log_loss: Option<f64>,
    /// Expected calibration error (10 bins).
    pub ece: Option<f64>,
    /// Maximum calibration error (10 bins).
    pub mce: Option<f64>,
    /// Spearman correlation of confidence decile and accuracy.
    pub confidence_trend: Option<f64>,
    /// Accuracy per confidence decile.
    pub by_confidence: Vec<crate::metrics::DecileStat>,
    /// The horizon the forecasts are scored at.
    pub target: String,
    /// Baselines on the same forecasts' outcomes.
    pub baselines: Option<Baselines>,
    /// Why the model did not run, if it did not.
    pub note: Option<String>,
}

impl ModelReport {
    fn skipped(target: String, note: String) -> Self {
        Self {
            n: 0,
            accuracy: None,
            brier: None,
            brier_skill: None,
            log_loss: None,
            ece: None,
            mce: None,
            confidence_trend: None,
            by_confidence: Vec::new(),
            target,
            baselines: None,
            note: Some(note),
        }
    }

    fn scored(target: String, outcomes: &[Outcome], baselines: Baselines) -> Self {
        let m = Metrics::of(outcomes);
        Self {
            n: m.n,
            accuracy: Some(m.accuracy),
            brier: Some(m.brier),
            brier_skill: Some(m.brier_skill),
            log_loss: Some(m.log_loss),
            ece: Some(m.ece),
            mce: Some(m.mce),
            confidence_trend: Some(m.confidence_trend),
            by_confidence: m.by_confidence,
            target,
            baselines: Some(baselines),
            note: None,
        }
    }
}

/// One input series, as read.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DataReport {
    pub name: String,
    pub files: Vec<String>,
    /// Detected timeframe.
    pub timeframe: String,
    pub bars: usize,
    /// Rows reported bad and left out.
    pub bad_rows: usize,
    /// Start of the first bar, `YYYY-MM-DD HH:MM:SS.mmm` UTC; empty if there are no bars.
    pub from: String,
    /// Start of the last bar, in the same format as `from`.
    pub to: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EvalReport {
    /// Which part of each series was scored.
    pub split: String,
    pub data: Vec<DataReport>,
    /// short, medium, long and ensemble.
    pub models: std::collections::BTreeMap<String, ModelReport>,
    /// Baselines at the ensemble's target horizon.
    pub baselines: Option<Baselines>,
}

fn target_name(h: Horizon) -> String {
    format!(
        "{} ({} × {})",
        h.as_str(),
        h.horizon_bars(),
        h.timeframe().as_str()
    )
}

/// Baseline forecasts for samples, from a model's training statistics.
fn baselines(model: &Model, picked: &[Sample]) -> Baselines {
    let base = model.training.train_base_rate;
    let acc = model.training.last_return_accuracy;
    let maj: Vec<Outcome> = picked
        .iter()
        .map(|s| Outcome {
            p: base,
            confidence: 0.0,
            up: s.up,
        })
        .collect();
    let last: Vec<Outcome> = picked
        .iter()
        .map(|s| Outcome {
            p: match s.last_up {
                Some(true) => acc,
                Some(false) => 1.0 - acc,
                None => base,
            },
            confidence: 0.0,
            up: s.up,
        })
        .collect();
    let score = |o: &[Outcome]| {
        let m = Metrics::of(o);
        BaselineScore {
            accuracy: m.accuracy,
            brier: m.brier,
            n: m.n,
        }
    };
    Baselines {
        majority: score(&maj),
        last_return: score(&last),
    }
}

/// Evaluates the models on several series (pooled) and a split of each.
pub fn evaluate(
    models: &ModelSet,
    series: &[Series],
    split: Split,
    split_name: &str,
) -> EvalReport {
    let mut reports = std::collections::BTreeMap::new();
    let mut per_model: [(Vec<Outcome>, Vec<Sample>, Vec<String>); 3] = Default::default();
    for h in Horizon::ALL {
        let Some(model) = models.get(h) else {
            per_model[h.index()].2.push("no model loaded".into());
            continue;
        };
        for s in series {
            match samples(s, h) {
                Ok(all) => {
                    for smp in select(&all, h, split) {
                        let b = model.predict(&smp.x);
                        per_model[h.index()].0.push(Outcome {
                            p: b.probability(),
                            confidence: b.concentration(),
                            up: smp.up,
                        });
                        per_model[h.index()].1.push(*smp);
                    }
                }
                Err(e) => per_model[h.index()].2.push(format!("{}: {e}", s.name)),
            }
        }
    }
    for h in Horizon::ALL {
        let (outcomes, picked, notes) = &per_model[h.index()];
        let report = match models.get(h) {
            Some(m) if !outcomes.is_empty() => {
                ModelReport::scored(target_name(h), outcomes, baselines(m, picked))
            }
            _ => ModelReport::skipped(target_name(h), notes.join("; ")),
        };
        reports.insert(h.as_str().to_string(), report);
    }

    // The ensemble is scored at the medium horizon when the data allows,
    // else the long one, else the short one.
    let target = [Horizon::Medium, Horizon::Long, Horizon::Short]
        .into_iter()
        .find(|h| models.get(*h).is_some() && !per_model[h.index()].0.is_empty());
    let mut top_baselines = None;
    let ensemble = match target {
        None => ModelReport::skipped("none".into(), "no model could run on this data".into()),
        Some(t) => {
            let mut outcomes = Vec::new();
            for s in series {
                outcomes.extend(ensemble_outcomes(models, s, t, split));
            }
            let picked = &per_model[t.index()].1;
            let base = models.get(t).map(|m| baselines(m, picked));
            top_baselines.clone_from(&base);
            match base {
                Some(b) if !outcomes.is_empty() => {
                    ModelReport::scored(target_name(t), &outcomes, b)
                }
                _ => ModelReport::skipped(target_name(t), "no ensemble forecasts".into()),
            }
        }
    };
    reports.insert("ensemble".into(), ensemble);
    EvalReport {
        split: split_name.into(),
        data: series
            .iter()
            .map(|s| DataReport {
                name: s.name.clone(),
                files: s.files.iter().map(|f| f.display().to_string()).collect(),
                timeframe: s.timeframe.as_str().into(),
                bars: s.bars.len(),
                bad_rows: s.bad_rows.len(),
                from: s.bars.first().map(|b| b.ts.to_string()).unwrap_or_default(),
                to: s.bars.last().map(|b| b.ts.to_string()).unwrap_or_default(),
            })
            .collect(),
        models: reports,
        baselines: top_baselines,
    }
}

/// Runs the tracker over every timeframe the series can feed, in close-time
/// order, and scores its belief after each bar of the target timeframe.
fn ensemble_outcomes(models: &ModelSet, s: &Series, target: Horizon, split: Split) -> Vec<Outcome> {
    let Ok(all) = samples(s, target) else {
        return Vec::new();
    };
    let labels: HashMap<Timestamp, bool> = select(&all, target, split)
        .iter()
        .map(|x| (x.ts, x.up))
        .collect();
    let mut stream: Vec<(Timestamp, usize, BarInput)> = Vec::new();
    for h in Horizon::ALL {
        let tf = h.timeframe();
        if let Ok(bars) = bars_at(s, tf) {
            stream.extend(bars.iter().map(|b| {
                let input = bar_input(b, tf);
                (input.close_ts, h.index(), input)
            }));
        }
    }
    stream.sort_by_key(|(ts, rank, _)| (*ts, *rank));
    let mut tracker = EnsembleTracker::new();
    let mut out = Vec::new();
    for (ts, rank, bar) in stream {
        let tf = Horizon::ALL[rank].timeframe();
        let updated = tracker.on_bar(models, tf, &bar);
        if updated == Some(target)
            && let (Some(c), Some(&up)) = (tracker.combined(), labels.get(&ts))
        {
            out.push(Outcome {
                p: c.belief.probability(),
                confidence: c.belief.concentration(),
                up,
            });
        }
    }
    out
}

impl EvalReport {
    /// A readable table.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        for d in &self.data {
            s.push_str(&format!(
                "data  {}  {}  {} bars  {} .. {}  ({} bad rows)\n",
                d.name, d.timeframe, d.bars, d.from, d.to, d.bad_rows
            ));
        }
        s.push_str(&format!("split {}\n\n", self.split));
        s.push_str(&format!(
            "{:<9} {:<18} {:>8} {:>8} {:>8} {:>9} {:>8} {:>7} {:>7} {:>7}   {:>8} {:>8}\n",
            "model",
            "target",
            "n",
            "acc",
            "brier",
            "skill",
            "logloss",
            "ece",
            "mce",
            "trend",
            "majority",
            "last_ret"
        ));
        let f = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.4}"));
        for name in ["short", "medium", "long", "ensemble"] {
            let Some(r) = self.models.get(name) else {
                continue;
            };
            let (maj, last) = r.baselines.as_ref().map_or(("-".into(), "-".into()), |b| {
                (
                    format!("{:.4}", b.majority.accuracy),
                    format!("{:.4}", b.last_return.accuracy),
                )
            });
            s.push_str(&format!(
                "{:<9} {:<18} {:>8} {:>8} {:>8} {:>9} {:>8} {:>7} {:>7} {:>7}   {:>8} {:>8}\n",
                name,
                r.target,
                r.n,
                f(r.accuracy),
                f(r.brier),
                f(r.brier_skill),
                f(r.log_loss),
                f(r.ece),
                f(r.mce),
                f(r.confidence_trend),
                maj,
                last
            ));
            if let Some(n) = &r.note {
                s.push_str(&format!("          note: {n}\n"));
            }
        }
        s.push_str("\naccuracy by confidence decile (least confident first):\n");
        for name in ["short", "medium", "long", "ensemble"] {
            if let Some(r) = self.models.get(name)
                && !r.by_confidence.is_empty()
            {
                let row: Vec<String> = r
                    .by_confidence
                    .iter()
                    .map(|d| format!("{:.3}", d.accuracy))
                    .collect();
                s.push_str(&format!("  {:<9} {}\n", name, row.join(" ")));
            }
        }
        s
    }
}
