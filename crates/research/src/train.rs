//! Training a horizon model: walk-forward split per series, standardised
//! features, L2 chosen on validation, then a bag of members each fitted on
//! a block-bootstrap resample of training days with early stopping on the
//! validation period (a member that never beats "½ always" there is
//! refitted on another resample, then dropped). The members have no
//! intercept (see `omni_core::ensemble::model`). Last, the bag's mean is
//! calibrated on the validation period and the day-to-day wander of the
//! truth around it measured there. The test period is never touched here.

use crate::dataset::{Sample, samples, split_ranges};
use crate::history::Series;
use crate::metrics::log_loss;
use omni_core::ensemble::model::{
    Calibration, Horizon, MODEL_FORMAT, MODEL_VERSION, Model, SeriesSplit, TrainingInfo,
    bag_moments, logit, sigmoid,
};
use omni_core::features::{ALL_FEATURES, FEATURE_NAMES, FEATURES, feature_index};
use omni_core::random::SimRng;

/// Training settings; the defaults built the shipped models.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainOptions {
    /// Seed of resampling and minibatch order.
    pub seed: u64,
    /// Members in the bag.
    pub members: usize,
    /// L2 penalties tried; the best on validation is kept.
    pub l2_grid: Vec<f64>,
    /// Upper bound on epochs; training may stop earlier (see `patience`).
    pub max_epochs: usize,
    /// Epochs without a better validation loss before stopping.
    pub patience: usize,
    pub batch: usize,
    /// Adam step size.
    pub learning_rate: f64,
    /// Fresh resamples tried for a member that learned nothing before it
    /// is dropped.
    pub refits: usize,
    /// Features the model reads, by name (`ALL_FEATURE_NAMES`); the 15 bar
    /// features by default.
    pub features: Vec<String>,
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self {
            seed: 7,
            members: 16,
            l2_grid: vec![1e-4, 1e-3, 1e-2, 1e-1, 1.0],
            max_epochs: 30,
            patience: 3,
            batch: 256,
            learning_rate: 0.005,
            refits: 3,
            features: FEATURE_NAMES.iter().map(|s| s.to_string()).collect(),
        }
    }
}

/// Why training could not run.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// No series could feed this model.
    #[error("{horizon} model: no usable data ({reasons})")]
    NoData {
        horizon: &'static str,
        /// Why each series was unusable.
        reasons: String,
    },
    /// Every member, refits included, did worse on validation than "½
    /// always": the features say nothing about this horizon on this data.
    #[error(
        "{horizon} model: no member beat a constant ½ on the validation period ({tries} fits); nothing to ship"
    )]
    NothingLearned { horizon: &'static str, tries: usize },
    /// A feature name this build does not compute, or named twice.
    #[error("unknown or repeated feature `{0}` (known: {known})", known = omni_core::features::ALL_FEATURE_NAMES.join(", "))]
    UnknownFeature(String),
    /// A feature whose inputs no training sample has.
    #[error(
        "{horizon} model: feature `{feature}` has no inputs in any training sample (other venues are given as --data PRIMARY,OTHER...; taker volume comes with Binance kline files)"
    )]
    FeatureUnavailable {
        horizon: &'static str,
        feature: String,
    },
}

/// Standardised inputs of one sample: the model's `d` features first.
type Z = [f64; ALL_FEATURES];

struct Fit {
    weights: Vec<f64>,
    epochs: usize,
    val_loss: f64,
}

/// The member's P(up); `w` holds the `d` weights then the bias.
fn predict(w: &[f64], z: &Z) -> f64 {
    let d = w.len() - 1;
    sigmoid(w[d] + z[..d].iter().zip(w).map(|(a, b)| a * b).sum::<f64>())
}

fn mean_loss(w: &[f64], zs: &[Z], ys: &[bool]) -> f64 {
    zs.iter()
        .zip(ys)
        .map(|(z, &y)| log_loss(predict(w, z), y))
        .sum::<f64>()
        / zs.len().max(1) as f64
}

/// Minibatch Adam on the penalised log loss, keeping the weights of the
/// epoch with the best validation loss.
#[allow(clippy::too_many_arguments)]
fn fit(
    idx: &[usize],
    zs: &[Z],
    ys: &[bool],
    val_z: &[Z],
    val_y: &[bool],
    l2: f64,
    opts: &TrainOptions,
    rng: &mut SimRng,
) -> Fit {
    let features = opts.features.len();
    let d = features + 1;
    let mut w = vec![0.0; d];
    let (mut m, mut v) = (vec![0.0; d], vec![0.0; d]);
    let (b1, b2, eps) = (0.9f64, 0.999f64, 1e-8);
    let mut t = 0i32;
    let mut best = Fit {
        weights: w.clone(),
        epochs: 0,
        val_loss: mean_loss(&w, val_z, val_y),
    };
    let mut order = idx.to_vec();
    let mut grad = vec![0.0; d];
    for epoch in 1..=opts.max_epochs {
        for i in (1..order.len()).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            order.swap(i, j);
        }
        for batch in order.chunks(opts.batch.max(1)) {
            grad.iter_mut().for_each(|g| *g = 0.0);
            for &i in batch {
                let err = predict(&w, &zs[i]) - f64::from(u8::from(ys[i]));
                for (g, x) in grad.iter_mut().zip(zs[i].iter()) {
                    *g += err * x;
                }
            }
            let n = batch.len() as f64;
            t += 1;
            // The bias (index `features`) stays 0: no intercept.
            for k in 0..features {
                let g = grad[k] / n + l2 * w[k];
                m[k] = b1 * m[k] + (1.0 - b1) * g;
                v[k] = b2 * v[k] + (1.0 - b2) * g * g;
                let mh = m[k] / (1.0 - b1.powi(t));
                let vh = v[k] / (1.0 - b2.powi(t));
                w[k] -= opts.learning_rate * mh / (vh.sqrt() + eps);
            }
        }
        let loss = mean_loss(&w, val_z, val_y);
        if loss < best.val_loss {
            best = Fit {
                weights: w.clone(),
                epochs: epoch,
                val_loss: loss,
            };
        } else if epoch - best.epochs >= opts.patience {
            break;
        }
    }
    best
}

/// Training means and standard deviations of the chosen features, over
/// the samples in which each had its inputs, and that share of samples.
fn standardise(xs: &[Sample], columns: &[usize]) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let d = columns.len();
    let counts: Vec<usize> = columns
        .iter()
        .map(|&c| xs.iter().filter(|s| s.x.available[c]).count())
        .collect();
    let mut mean = vec![0.0; d];
    for s in xs {
        for (k, &c) in columns.iter().enumerate() {
            if s.x.available[c] {
                mean[k] += s.x.values[c] / counts[k].max(1) as f64;
            }
        }
    }
    let mut std = vec![0.0; d];
    for s in xs {
        for (k, &c) in columns.iter().enumerate() {
            if s.x.available[c] {
                std[k] += (s.x.values[c] - mean[k]).powi(2) / counts[k].max(1) as f64;
            }
        }
    }
    for s in std.iter_mut() {
        *s = s.sqrt().max(1e-6);
    }
    let coverage = counts
        .iter()
        .map(|&n| n as f64 / xs.len().max(1) as f64)
        .collect();
    (mean, std, coverage)
}

/// A sample's standardised inputs; a feature without inputs is 0 (its
/// training mean), as the model reads it at run time.
fn z_of(s: &Sample, columns: &[usize], mean: &[f64], std: &[f64]) -> Z {
    let mut z = [0.0; ALL_FEATURES];
    for (k, &c) in columns.iter().enumerate() {
        if s.x.available[c] {
            z[k] = (s.x.values[c] - mean[k]) / std[k];
        }
    }
    z
}

/// Feature names from names and groups: `bar` (the 15 bar features),
/// `cross_venue` (`xv_premium`, `xv_ret_1`), `order_flow` (`taker_buy`),
/// `book` (`book_imbalance`, `microprice`), in the order given.
pub fn expand_features(items: &[String]) -> Result<Vec<String>, TrainError> {
    let mut out: Vec<String> = Vec::new();
    for item in items {
        let group: Vec<&str> = match item.as_str() {
            "bar" => FEATURE_NAMES.to_vec(),
            "cross_venue" => vec!["xv_premium", "xv_ret_1"],
            "order_flow" => vec!["taker_buy"],
            "book" => vec!["book_imbalance", "microprice"],
            name if feature_index(name).is_some() => vec![name],
            _ => return Err(TrainError::UnknownFeature(item.clone())),
        };
        for g in group {
            if out.iter().any(|o| o == g) {
                return Err(TrainError::UnknownFeature(g.to_string()));
            }
            out.push(g.to_string());
        }
    }
    Ok(out)
}

/// Positions of the named features in `ALL_FEATURE_NAMES`.
fn resolve(names: &[String]) -> Result<Vec<usize>, TrainError> {
    let mut columns = Vec::new();
    for n in names {
        match feature_index(n) {
            Some(i) if !columns.contains(&i) => columns.push(i),
            _ => return Err(TrainError::UnknownFeature(n.clone())),
        }
    }
    if columns.is_empty() {
        return Err(TrainError::UnknownFeature(String::new()));
    }
    Ok(columns)
}

/// Trains one horizon model on several series (each a file or a directory
/// given on the command line, named by `labels`).
pub fn train(
    horizon: Horizon,
    series: &[(Series, Vec<String>)],
    opts: &TrainOptions,
) -> Result<Model, TrainError> {
    let columns = resolve(&opts.features)?;
    let h = horizon.horizon_bars();
    let mut train = Vec::new();
    let mut val = Vec::new();
    // (series, UTC day, position in the series' validation part) of each
    // validation sample.
    let mut val_meta: Vec<(usize, i64, usize)> = Vec::new();
    let mut blocks: Vec<(usize, i64)> = Vec::new();
    let mut splits = Vec::new();
    let mut reasons = Vec::new();
    for (si, (s, files)) in series.iter().enumerate() {
        let all = match samples(s, horizon) {
            Ok(v) if v.len() > 10 * h => v,
            Ok(v) => {
                reasons.push(format!("{}: only {} samples", s.name, v.len()));
                continue;
            }
            Err(e) => {
                reasons.push(format!("{}: {e}", s.name));
                continue;
            }
        };
        let [tr, va, te] = split_ranges(all.len(), h);
        let at = |i: usize| all[i.min(all.len() - 1)].ts.to_string();
        splits.push(SeriesSplit {
            name: s.name.clone(),
            files: files.clone(),
            train_from: at(tr.start),
            validation_from: at(va.start),
            test_from: at(te.start),
            test_to: at(all.len() - 1),
            samples: [tr.len(), va.len(), te.len()],
        });
        for sample in &all[tr] {
            blocks.push((si, sample.ts.day_index()));
            train.push(*sample);
        }
        for (pos, sample) in all[va.clone()].iter().enumerate() {
            val_meta.push((si, sample.ts.day_index(), pos));
        }
        val.extend_from_slice(&all[va]);
    }
    if train.is_empty() || val.is_empty() {
        return Err(TrainError::NoData {
            horizon: horizon.as_str(),
            reasons: reasons.join("; "),
        });
    }
    let (mean, std, coverage) = standardise(&train, &columns);
    if let Some(k) = coverage.iter().position(|&c| c == 0.0) {
        return Err(TrainError::FeatureUnavailable {
            horizon: horizon.as_str(),
            feature: opts.features[k].clone(),
        });
    }
    let zs: Vec<Z> = train
        .iter()
        .map(|s| z_of(s, &columns, &mean, &std))
        .collect();
    let ys: Vec<bool> = train.iter().map(|s| s.up).collect();
    let val_z: Vec<Z> = val.iter().map(|s| z_of(s, &columns, &mean, &std)).collect();
    let val_y: Vec<bool> = val.iter().map(|s| s.up).collect();
    let everything: Vec<usize> = (0..zs.len()).collect();

    let mut best_l2 = opts.l2_grid.first().copied().unwrap_or(1e-3);
    let mut best_loss = f64::INFINITY;
    for (k, &l2) in opts.l2_grid.iter().enumerate() {
        let mut rng = SimRng::new(opts.seed, 1000 + k as u64);
        let f = fit(&everything, &zs, &ys, &val_z, &val_y, l2, opts, &mut rng);
        // Prefer the stronger penalty on a tie: simpler, and as good.
        if f.val_loss <= best_loss + 1e-9 {
            best_loss = f.val_loss;
            best_l2 = l2;
        }
    }

    // Block bootstrap over (series, day): days move together, so the spread
    // of the bag reflects how much the fitted relation changes across days.
    let mut day_rows: Vec<Vec<usize>> = Vec::new();
    for (i, b) in blocks.iter().enumerate() {
        if i == 0 || blocks[i - 1] != *b {
            day_rows.push(Vec::new());
        }
        if let Some(last) = day_rows.last_mut() {
            last.push(i);
        }
    }
    let round = |x: f64| (x * 1e12).round() / 1e12;
    let mut members: Vec<Vec<f64>> = Vec::new();
    let mut epochs = Vec::new();
    let mut dropped_members = 0;
    let tries = opts.refits + 1;
    for m in 0..opts.members.max(1) {
        let mut learned = None;
        for attempt in 0..tries {
            let mut rng = SimRng::new(opts.seed, 2000 + (m * tries + attempt) as u64);
            let mut idx = Vec::with_capacity(zs.len());
            while idx.len() < zs.len() {
                let d = rng.below(day_rows.len() as u64) as usize;
                idx.extend_from_slice(&day_rows[d]);
            }
            let f = fit(&idx, &zs, &ys, &val_z, &val_y, best_l2, opts, &mut rng);
            // Epoch 0 is the start (all zeros: ½ always); a member that
            // never got past it learned nothing it could show on validation.
            if f.epochs > 0 {
                learned = Some(f);
                break;
            }
        }
        match learned {
            Some(f) => {
                members.push(f.weights.into_iter().map(round).collect());
                epochs.push(f.epochs);
            }
            None => dropped_members += 1,
        }
    }
    if members.is_empty() {
        return Err(TrainError::NothingLearned {
            horizon: horizon.as_str(),
            tries: opts.members.max(1) * tries,
        });
    }
    let bag: Vec<(f64, f64)> = val_z
        .iter()
        .map(|z| {
            let ps: Vec<f64> = members.iter().map(|w| predict(w, z)).collect();
            bag_moments(&ps)
        })
        .collect();
    let logits: Vec<f64> = bag.iter().map(|(m, _)| logit(*m)).collect();
    let slope = round(fit_slope(&logits, &val_y));
    let calibrated: Vec<f64> = logits.iter().map(|l| sigmoid(slope * l)).collect();
    let day_variance = round(day_variance(&calibrated, &val_y, &val_meta, h));
    let bag_loss = calibrated
        .iter()
        .zip(&val_y)
        .map(|(&p, &y)| log_loss(p, y))
        .sum::<f64>()
        / val_z.len() as f64;
    let base_rate = ys.iter().filter(|&&y| y).count() as f64 / ys.len() as f64;
    let (hits, tries) = train
        .iter()
        .filter_map(|s| s.last_up.map(|l| l == s.up))
        .fold((0usize, 0usize), |(h, n), ok| (h + usize::from(ok), n + 1));
    let reads_context = columns.iter().any(|&c| c >= FEATURES);
    let model = Model {
        format: MODEL_FORMAT.into(),
        version: MODEL_VERSION,
        horizon,
        timeframe: horizon.timeframe().as_str().into(),
        horizon_bars: h,
        features: opts.features.clone(),
        feature_mean: mean.into_iter().map(round).collect(),
        feature_std: std.into_iter().map(round).collect(),
        members,
        calibration: Calibration {
            slope,
            day_variance,
        },
        training: TrainingInfo {
            seed: opts.seed,
            l2: best_l2,
            epochs,
            validation_log_loss: round(bag_loss),
            train_base_rate: round(base_rate),
            last_return_accuracy: round(if tries > 0 {
                hits as f64 / tries as f64
            } else {
                0.5
            }),
            dropped_members,
            series: splits,
            feature_coverage: if reads_context {
                coverage.into_iter().map(round).collect()
            } else {
                Vec::new()
            },
        },
        columns: Vec::new(),
    };
    // Resolves the columns; the names were checked above.
    model
        .checked("trained model")
        .map_err(|e| TrainError::UnknownFeature(e.to_string()))
}

/// The slope a of p = σ(a · ℓ) with the least log loss over the logits ℓ
/// and outcomes (Newton's method; the loss is convex in a). 1 when the
/// logits carry no information (all 0).
fn fit_slope(logits: &[f64], ys: &[bool]) -> f64 {
    let mut a = 1.0f64;
    for _ in 0..100 {
        let (mut grad, mut hess) = (0.0, 0.0);
        for (&l, &y) in logits.iter().zip(ys) {
            let p = sigmoid(a * l);
            grad += (p - f64::from(u8::from(y))) * l;
            hess += p * (1.0 - p) * l * l;
        }
        if hess <= 0.0 {
            break;
        }
        let step = grad / hess;
        a = (a - step).clamp(0.0, 100.0);
        if step.abs() < 1e-12 {
            break;
        }
    }
    a
}

/// How much the true chance of "up" moves around the calibrated forecast
/// from day to day: with R the day's surplus of ups over the forecasts and
/// V their binomial variance, E[R²] = V + m² s² for a day of m forecasts
/// whose truth is shifted by a common amount of variance s²; so s² = Σ (R²
/// − V) / Σ m² (0 if negative). Only every `stride`-th forecast counts, so
/// no two labels overlap and V holds.
fn day_variance(ps: &[f64], ys: &[bool], meta: &[(usize, i64, usize)], stride: usize) -> f64 {
    let mut days: std::collections::BTreeMap<(usize, i64), (f64, f64, f64)> =
        std::collections::BTreeMap::new();
    for ((&p, &y), &(series, day, pos)) in ps.iter().zip(ys).zip(meta) {
        if pos % stride.max(1) != 0 {
            continue;
        }
        let e = days.entry((series, day)).or_insert((0.0, 0.0, 0.0));
        e.0 += f64::from(u8::from(y)) - p;
        e.1 += p * (1.0 - p);
        e.2 += 1.0;
    }
    let (num, den) = days
        .values()
        .fold((0.0, 0.0), |(n, d), (r, v, m)| (n + r * r - v, d + m * m));
    if den > 0.0 { (num / den).max(0.0) } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_slope_stretches_forecasts_that_were_too_timid() {
        // Outcomes drawn at σ(3ℓ) for logits ℓ: the fitted slope is near 3.
        let mut rng = SimRng::new(1, 1);
        let (mut ls, mut ys) = (Vec::new(), Vec::new());
        for i in 0..20_000 {
            let l = (f64::from(i % 41) - 20.0) / 100.0;
            ls.push(l);
            ys.push((rng.below(1_000_000) as f64) < sigmoid(3.0 * l) * 1e6);
        }
        let a = fit_slope(&ls, &ys);
        assert!((a - 3.0).abs() < 0.3, "{a}");
        assert_eq!(fit_slope(&[0.0; 10], &[true; 10]), 1.0);
    }

    #[test]
    fn the_day_variance_sees_days_whose_truth_moves_together() {
        // Forecasts of ½ every time; in one set each day's ups are 50 %, in
        // the other whole days go 80 % or 20 % (a shift of ±0.3: s² = 0.09).
        let n_days = 40;
        let per_day = 100;
        let meta: Vec<(usize, i64, usize)> = (0..n_days * per_day)
            .map(|i| (0, (i / per_day) as i64, i))
            .collect();
        let ps = vec![0.5; meta.len()];
        let even: Vec<bool> = (0..meta.len()).map(|i| i % 2 == 0).collect();
        let shifted: Vec<bool> = (0..meta.len())
            .map(|i| {
                let day = i / per_day;
                let k = i % per_day;
                if day % 2 == 0 { k < 80 } else { k < 20 }
            })
            .collect();
        assert_eq!(day_variance(&ps, &even, &meta, 1), 0.0);
        let s2 = day_variance(&ps, &shifted, &meta, 1);
        assert!((s2 - 0.09).abs() < 0.01, "{s2}");
    }
}
