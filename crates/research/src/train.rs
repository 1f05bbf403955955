//! Training a horizon model: walk-forward split per series, standardised
//! features, L2 chosen on validation, then a bag of members each fitted on
//! a block-bootstrap resample of training days with early stopping on the
//! validation period. The test period is never touched here.

use crate::dataset::{Sample, samples, split_ranges};
use crate::history::Series;
use omni_core::ensemble::model::{
    Horizon, MODEL_FORMAT, MODEL_VERSION, Model, SeriesSplit, TrainingInfo, sigmoid,
};
use omni_core::features::{FEATURE_NAMES, FEATURES};
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
}

type Z = [f64; FEATURES];

struct Fit {
    weights: Vec<f64>,
    epochs: usize,
    val_loss: f64,
}

fn log_loss(p: f64, y: bool) -> f64 {
    let p = p.clamp(1e-12, 1.0 - 1e-12);
    if y { -p.ln() } else { -(1.0 - p).ln() }
}

fn predict(w: &[f64], z: &Z) -> f64 {
    sigmoid(w[FEATURES] + z.iter().zip(w).map(|(a, b)| a * b).sum::<f64>())
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
    let d = FEATURES + 1;
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
                grad[FEATURES] += err;
            }
            let n = batch.len() as f64;
            t += 1;
            for k in 0..d {
                let penalty = if k < FEATURES { l2 * w[k] } else { 0.0 };
                let g = grad[k] / n + penalty;
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

fn standardise(xs: &[Sample]) -> (Vec<f64>, Vec<f64>) {
    let n = xs.len().max(1) as f64;
    let mut mean = vec![0.0; FEATURES];
    for s in xs {
        for (m, x) in mean.iter_mut().zip(s.x) {
            *m += x / n;
        }
    }
    let mut std = vec![0.0; FEATURES];
    for s in xs {
        for k in 0..FEATURES {
            std[k] += (s.x[k] - mean[k]).powi(2) / n;
        }
    }
    for s in std.iter_mut() {
        *s = s.sqrt().max(1e-6);
    }
    (mean, std)
}

fn z_of(s: &Sample, mean: &[f64], std: &[f64]) -> Z {
    let mut z = [0.0; FEATURES];
    for k in 0..FEATURES {
        z[k] = (s.x[k] - mean[k]) / std[k];
    }
    z
}

/// Trains one horizon model on several series (each a file or a directory
/// given on the command line, named by `labels`).
pub fn train(
    horizon: Horizon,
    series: &[(Series, Vec<String>)],
    opts: &TrainOptions,
) -> Result<Model, TrainError> {
    let h = horizon.horizon_bars();
    let mut train = Vec::new();
    let mut val = Vec::new();
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
        val.extend_from_slice(&all[va]);
    }
    if train.is_empty() || val.is_empty() {
        return Err(TrainError::NoData {
            horizon: horizon.as_str(),
            reasons: reasons.join("; "),
        });
    }
    let (mean, std) = standardise(&train);
    let zs: Vec<Z> = train.iter().map(|s| z_of(s, &mean, &std)).collect();
    let ys: Vec<bool> = train.iter().map(|s| s.up).collect();
    let val_z: Vec<Z> = val.iter().map(|s| z_of(s, &mean, &std)).collect();
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
    let mut members = Vec::new();
    let mut epochs = Vec::new();
    for m in 0..opts.members.max(1) {
        let mut rng = SimRng::new(opts.seed, 2000 + m as u64);
        let mut idx = Vec::with_capacity(zs.len());
        while idx.len() < zs.len() {
            let d = rng.below(day_rows.len() as u64) as usize;
            idx.extend_from_slice(&day_rows[d]);
        }
        let f = fit(&idx, &zs, &ys, &val_z, &val_y, best_l2, opts, &mut rng);
        members.push(f.weights);
        epochs.push(f.epochs);
    }
    let bag_loss = val_z
        .iter()
        .zip(&val_y)
        .map(|(z, &y)| {
            let p = members.iter().map(|w| predict(w, z)).sum::<f64>() / members.len() as f64;
            log_loss(p, y)
        })
        .sum::<f64>()
        / val_z.len() as f64;
    let base_rate = ys.iter().filter(|&&y| y).count() as f64 / ys.len() as f64;
    let (hits, tries) = train
        .iter()
        .filter_map(|s| s.last_up.map(|l| l == s.up))
        .fold((0usize, 0usize), |(h, n), ok| (h + usize::from(ok), n + 1));
    let round = |x: f64| (x * 1e12).round() / 1e12;
    Ok(Model {
        format: MODEL_FORMAT.into(),
        version: MODEL_VERSION,
        horizon,
        timeframe: horizon.timeframe().as_str().into(),
        horizon_bars: h,
        features: FEATURE_NAMES.iter().map(|s| s.to_string()).collect(),
        feature_mean: mean.into_iter().map(round).collect(),
        feature_std: std.into_iter().map(round).collect(),
        members: members
            .into_iter()
            .map(|w| w.into_iter().map(round).collect())
            .collect(),
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
            series: splits,
        },
    })
}
