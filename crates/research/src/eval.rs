//! Evaluation: each model at its own horizon, the ensemble of each horizon
//! on that horizon's event, and two baselines, on any data.

use crate::dataset::{Sample, Split, replay_tracker, samples, select};
use crate::history::Series;
use crate::metrics::{Metrics, Outcome};
use omni_core::domain::Timestamp;
use omni_core::ensemble::ModelSet;
use omni_core::ensemble::model::{Horizon, Model};
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
    /// The horizon the forecasts are scored at.
    pub target: String,
    /// Baselines on the same forecasts' outcomes.
    pub baselines: Option<Baselines>,
    /// Why the model did not run, if it did not.
    pub note: Option<String>,
    /// Accuracy, Brier, calibration, decisiveness and their intervals; absent
    /// when nothing was scored.
    #[serde(flatten)]
    pub scores: Option<Metrics>,
}

impl ModelReport {
    pub(crate) fn skipped(target: String, note: String) -> Self {
        Self {
            n: 0,
            target,
            baselines: None,
            note: Some(note),
            scores: None,
        }
    }

    /// Scored forecasts with no baselines to set beside them (binary
    /// contracts: their baseline is "½ always", which the Brier skill
    /// already measures against).
    pub(crate) fn unbaselined(target: String, outcomes: &[Outcome], resamples: usize) -> Self {
        let m = crate::bootstrap::scored(outcomes, resamples);
        Self {
            n: m.n,
            target,
            baselines: None,
            note: None,
            scores: Some(m),
        }
    }

    fn scored(
        target: String,
        outcomes: &[Outcome],
        baselines: Baselines,
        resamples: usize,
    ) -> Self {
        let m = crate::bootstrap::scored(outcomes, resamples);
        Self {
            n: m.n,
            target,
            baselines: Some(baselines),
            note: None,
            scores: Some(m),
        }
    }
}

/// One scored forecast, for `eval --dump`.
#[derive(Clone, Debug, PartialEq)]
pub struct Prediction {
    /// short, medium, long, ensemble_short, ensemble_medium or ensemble_long.
    pub model: &'static str,
    /// The series' name.
    pub series: String,
    /// Close time of the bar the forecast was made on.
    pub ts: Timestamp,
    pub alpha: f64,
    pub beta: f64,
    /// Whether the price was higher at the horizon.
    pub up: bool,
}

impl Prediction {
    /// The CSV header of [`Prediction::csv_row`].
    pub const CSV_HEADER: &'static str = "model,series,time,p,alpha,beta,decisiveness,up";

    /// One CSV line (no newline).
    pub fn csv_row(&self) -> String {
        let p = self.alpha / (self.alpha + self.beta);
        format!(
            "{},{},{},{p:.6},{:.4},{:.4},{:.6},{}",
            self.model,
            self.series.replace(',', " "),
            self.ts,
            self.alpha,
            self.beta,
            (p - 0.5).abs(),
            u8::from(self.up)
        )
    }
}

/// What to score and how.
#[derive(Clone, Debug, PartialEq)]
pub struct EvalOptions {
    pub split: Split,
    /// The split's name for the report.
    pub split_name: String,
    /// Why this split (when it was chosen for the user).
    pub split_reason: Option<String>,
    /// Day-block bootstrap draws for the intervals (0: none).
    pub resamples: usize,
    /// Keep every prediction in [`EvalReport::predictions`].
    pub keep_predictions: bool,
}

impl EvalOptions {
    /// A split with 1000 bootstrap draws and no predictions kept.
    pub fn new(split: Split, split_name: &str) -> Self {
        Self {
            split,
            split_name: split_name.into(),
            split_reason: None,
            resamples: 1000,
            keep_predictions: false,
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
    /// Why that split, when the user did not choose it.
    pub split_reason: Option<String>,
    pub data: Vec<DataReport>,
    /// short, medium, long, and the ensemble of each horizon
    /// (ensemble_short, ensemble_medium, ensemble_long).
    pub models: std::collections::BTreeMap<String, ModelReport>,
    /// Baselines at the ensemble's target horizon.
    pub baselines: Option<Baselines>,
    /// Every scored forecast, when asked for (`eval --dump`).
    #[serde(skip)]
    pub predictions: Vec<Prediction>,
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
    let outcome = |p: f64, s: &Sample| Outcome {
        p,
        concentration: 0.0,
        up: s.up,
        day: s.ts.day_index(),
    };
    let maj: Vec<Outcome> = picked.iter().map(|s| outcome(base, s)).collect();
    let last: Vec<Outcome> = picked
        .iter()
        .map(|s| {
            let p = match s.last_up {
                Some(true) => acc,
                Some(false) => 1.0 - acc,
                None => base,
            };
            outcome(p, s)
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

/// What one horizon's model produced on the data.
#[derive(Default)]
struct Scored {
    outcomes: Vec<Outcome>,
    samples: Vec<Sample>,
    predictions: Vec<Prediction>,
    notes: Vec<String>,
}

/// Evaluates the models on several series (pooled) and a split of each.
pub fn evaluate(models: &ModelSet, series: &[Series], opts: &EvalOptions) -> EvalReport {
    let mut reports = std::collections::BTreeMap::new();
    let mut per_model: [Scored; 3] = Default::default();
    let mut predictions = Vec::new();
    for h in Horizon::ALL {
        let got = &mut per_model[h.index()];
        let Some(model) = models.get(h) else {
            got.notes.push("no model loaded".into());
            continue;
        };
        for s in series {
            match samples(s, h) {
                Ok(all) => {
                    for smp in select(&all, h, opts.split) {
                        let b = model.predict(&smp.x);
                        got.outcomes.push(Outcome {
                            p: b.probability(),
                            concentration: b.concentration(),
                            up: smp.up,
                            day: smp.ts.day_index(),
                        });
                        got.samples.push(*smp);
                        if opts.keep_predictions {
                            got.predictions.push(Prediction {
                                model: h.as_str(),
                                series: s.name.clone(),
                                ts: smp.ts,
                                alpha: b.alpha,
                                beta: b.beta,
                                up: smp.up,
                            });
                        }
                    }
                }
                Err(e) => got.notes.push(format!("{}: {e}", s.name)),
            }
        }
    }
    for h in Horizon::ALL {
        let got = &mut per_model[h.index()];
        let report = match models.get(h) {
            Some(m) if !got.outcomes.is_empty() => ModelReport::scored(
                target_name(h),
                &got.outcomes,
                baselines(m, &got.samples),
                opts.resamples,
            ),
            _ => ModelReport::skipped(target_name(h), got.notes.join("; ")),
        };
        predictions.append(&mut got.predictions);
        reports.insert(h.as_str().to_string(), report);
    }

    // One ensemble per horizon, each scored on its own event.
    let mut ensembles: [Vec<Outcome>; 3] = Default::default();
    for s in series {
        let got = ensemble_outcomes(models, s, opts, &mut predictions);
        for (all, new) in ensembles.iter_mut().zip(got) {
            all.extend(new);
        }
    }
    for t in Horizon::ALL {
        let outcomes = &ensembles[t.index()];
        let report = match models.get(t) {
            Some(m) if !outcomes.is_empty() => ModelReport::scored(
                target_name(t),
                outcomes,
                baselines(m, &per_model[t.index()].samples),
                opts.resamples,
            ),
            _ => ModelReport::skipped(
                target_name(t),
                "no ensemble forecasts (its horizon's model did not run on this data)".into(),
            ),
        };
        reports.insert(ensemble_name(t).to_string(), report);
    }
    let top_baselines = models
        .get(Horizon::Medium)
        .filter(|_| !per_model[Horizon::Medium.index()].samples.is_empty())
        .map(|m| baselines(m, &per_model[Horizon::Medium.index()].samples));
    EvalReport {
        split: opts.split_name.clone(),
        split_reason: opts.split_reason.clone(),
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
        predictions,
    }
}

/// The report key of the ensemble of a horizon.
pub fn ensemble_name(t: Horizon) -> &'static str {
    match t {
        Horizon::Short => "ensemble_short",
        Horizon::Medium => "ensemble_medium",
        Horizon::Long => "ensemble_long",
    }
}

/// Every ensemble's forecast after each bar of its horizon's timeframe
/// whose sample is in the split, with the outcome.
fn ensemble_outcomes(
    models: &ModelSet,
    s: &Series,
    opts: &EvalOptions,
    predictions: &mut Vec<Prediction>,
) -> [Vec<Outcome>; 3] {
    let labels: [HashMap<Timestamp, bool>; 3] = Horizon::ALL.map(|t| {
        samples(s, t)
            .map(|all| {
                select(&all, t, opts.split)
                    .iter()
                    .map(|x| (x.ts, x.up))
                    .collect()
            })
            .unwrap_or_default()
    });
    let mut out: [Vec<Outcome>; 3] = Default::default();
    replay_tracker(models, s, |t, ts, tracker| {
        let (Some(c), Some(&up)) = (tracker.combined(t), labels[t.index()].get(&ts)) else {
            return;
        };
        out[t.index()].push(Outcome {
            p: c.belief.probability(),
            concentration: c.belief.concentration(),
            up,
            day: ts.day_index(),
        });
        if opts.keep_predictions {
            predictions.push(Prediction {
                model: ensemble_name(t),
                series: s.name.clone(),
                ts,
                alpha: c.belief.alpha,
                beta: c.belief.beta,
                up,
            });
        }
    });
    out
}

/// The report's rows, in order.
const NAMES: [&str; 7] = [
    "short",
    "medium",
    "long",
    "ensemble_short",
    "ensemble_medium",
    "ensemble_long",
    // Added by `omni-tui eval` (crate::binary): 60 s contracts' calibrated
    // win probability.
    "binary_60s",
];

fn signed(x: f64) -> String {
    format!("{x:+.4}")
}

impl EvalReport {
    /// A readable report: one table, then each model's intervals,
    /// reliability bins and decisiveness deciles.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        for d in &self.data {
            s.push_str(&format!(
                "data  {}  {}  {} bars  {} .. {}  ({} bad rows)\n",
                d.name, d.timeframe, d.bars, d.from, d.to, d.bad_rows
            ));
        }
        s.push_str(&format!("split {}", self.split));
        if let Some(why) = &self.split_reason {
            s.push_str(&format!(" ({why})"));
        }
        s.push_str("\n\n");
        s.push_str(&format!(
            "{:<15} {:<18} {:>7} {:>7} {:>7} {:>8} {:>8} {:>7} {:>7} {:>6} {:>7} {:>7}   {:>8} {:>8}\n",
            "model",
            "target",
            "n",
            "acc",
            "brier",
            "skill",
            "logloss",
            "ece",
            "mce",
            "up",
            "top10",
            "trend",
            "majority",
            "last_ret"
        ));
        let f = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.4}"));
        for name in NAMES {
            let Some(r) = self.models.get(name) else {
                continue;
            };
            let m = r.scores.as_ref();
            let (maj, last) = r.baselines.as_ref().map_or(("-".into(), "-".into()), |b| {
                (
                    format!("{:.4}", b.majority.accuracy),
                    format!("{:.4}", b.last_return.accuracy),
                )
            });
            s.push_str(&format!(
                "{:<15} {:<18} {:>7} {:>7} {:>7} {:>8} {:>8} {:>7} {:>7} {:>6} {:>7} {:>7}   {:>8} {:>8}\n",
                name,
                r.target,
                r.n,
                f(m.map(|m| m.accuracy)),
                f(m.map(|m| m.brier)),
                m.map_or("-".into(), |m| signed(m.brier_skill)),
                f(m.map(|m| m.log_loss)),
                f(m.map(|m| m.ece)),
                f(m.map(|m| m.mce)),
                m.map_or("-".into(), |m| format!("{:.2}", m.up_share)),
                f(m.map(|m| m.top_decile_accuracy)),
                m.map_or("-".into(), |m| format!("{:+.2}", m.decisiveness_trend)),
                maj,
                last
            ));
            if let Some(n) = &r.note {
                s.push_str(&format!("          note: {n}\n"));
            }
        }
        s.push_str(
            "\nup: share of forecasts calling up; top10: accuracy of the most decisive tenth;\n\
             trend: rank correlation of accuracy with decisiveness |p - 0.5| (+1: rises with it)\n",
        );
        for name in NAMES {
            let Some(m) = self.models.get(name).and_then(|r| r.scores.as_ref()) else {
                continue;
            };
            s.push_str(&format!("\n{name}: {} forecasts on {} days\n", m.n, m.days));
            if let Some(iv) = &m.intervals {
                let show = |i: &crate::metrics::Interval, sign: bool| {
                    if sign {
                        format!("[{}, {}]", signed(i.low), signed(i.high))
                    } else {
                        format!("[{:.4}, {:.4}]", i.low, i.high)
                    }
                };
                s.push_str(&format!(
                    "  95 % day-block bootstrap ({} draws): accuracy {}  skill {}  ece {}  top10 {}\n",
                    iv.resamples,
                    show(&iv.accuracy, false),
                    show(&iv.brier_skill, true),
                    show(&iv.ece, false),
                    show(&iv.top_decile_accuracy, false),
                ));
            }
            let bins: Vec<String> = m
                .reliability
                .iter()
                .map(|b| format!("{:.3}>{:.3}", b.mean_p, b.observed))
                .collect();
            s.push_str(&format!(
                "  reliability (mean p>observed, equal-mass bins): {}\n",
                bins.join(" ")
            ));
            let deciles: Vec<String> = m
                .by_decisiveness
                .iter()
                .map(|d| format!("{:.3}", d.accuracy))
                .collect();
            s.push_str(&format!(
                "  accuracy by decisiveness decile (least first): {}\n",
                deciles.join(" ")
            ));
            s.push_str(&format!(
                "  concentration vs decisiveness (rank correlation): {:+.2}\n",
                m.concentration_vs_decisiveness
            ));
        }
        s
    }
}
