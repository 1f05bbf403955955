//! Fitting the ensembles' weights (stacking): for each horizon, a logistic
//! regression without intercept of that horizon's outcome on the three
//! models' logits, over the validation part of each series (the part the
//! models stopped on, never their training or test part). The readings are
//! the ones the engine's tracker combines (fresh ones only), taken from the
//! same tracker code.
//!
//! The weights are pulled toward the horizon's own model alone (weight 1
//! on it, 0 on the others) by a ridge penalty whose strength is chosen by
//! two-fold cross-validation over the earlier and the later half of the
//! days, with the one-standard-error rule: with models this close to a
//! coin, a departure from the own model has to predict another period
//! clearly before it is kept.

use crate::dataset::{Split, replay_tracker, samples, select};
use crate::history::Series;
use crate::metrics::log_loss;
use omni_core::ensemble::model::{logit, sigmoid};
use omni_core::ensemble::{Horizon, ModelSet, STACKING_FORMAT, STACKING_VERSION, Stack, Stacking};
use std::collections::HashMap;

/// Ridge strengths tried (in units of summed log loss); the smallest keeps
/// the system regular when a model is never fresh.
const RIDGES: [f64; 6] = [1.0, 10.0, 100.0, 1_000.0, 10_000.0, 100_000.0];

/// Why the weights could not be fitted.
#[derive(Debug, thiserror::Error)]
pub enum StackError {
    #[error("ensemble: no {0} model loaded")]
    MissingModel(&'static str),
}

/// Weights for p = σ(w · x) by Newton's method on the log loss plus
/// `ridge`/2 · |w − prior|² (convex: the fit is unique).
pub fn fit_logistic(xs: &[[f64; 3]], ys: &[bool], prior: [f64; 3], ridge: f64) -> [f64; 3] {
    let mut w = prior;
    for _ in 0..100 {
        let mut g = [0.0f64; 3];
        let mut h = [[0.0f64; 3]; 3];
        for (x, &y) in xs.iter().zip(ys) {
            let z: f64 = w.iter().zip(x).map(|(a, b)| a * b).sum();
            let p = sigmoid(z);
            let e = p - f64::from(u8::from(y));
            let s = p * (1.0 - p);
            for i in 0..3 {
                g[i] += e * x[i];
                for j in 0..3 {
                    h[i][j] += s * x[i] * x[j];
                }
            }
        }
        for i in 0..3 {
            g[i] += ridge * (w[i] - prior[i]);
            h[i][i] += ridge;
        }
        let Some(step) = solve3(h, g) else { break };
        for i in 0..3 {
            w[i] -= step[i];
        }
        if step.iter().all(|s| s.abs() < 1e-12) {
            break;
        }
    }
    w
}

/// Solves the 3×3 system a·x = b by Gaussian elimination with pivoting;
/// None when singular (the ridge keeps it from being so).
fn solve3(mut a: [[f64; 3]; 3], mut b: [f64; 3]) -> Option<[f64; 3]> {
    for col in 0..3 {
        let pivot = (col..3).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-300 {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        for row in col + 1..3 {
            let f = a[row][col] / a[col][col];
            let pivot_row = a[col];
            for (cell, p) in a[row].iter_mut().zip(pivot_row).skip(col) {
                *cell -= f * p;
            }
            b[row] -= f * b[col];
        }
    }
    let mut x = [0.0; 3];
    for row in (0..3).rev() {
        let rest: f64 = (row + 1..3).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - rest) / a[row][row];
    }
    Some(x)
}

fn log_losses(w: &[f64; 3], xs: &[[f64; 3]], ys: &[bool]) -> Vec<f64> {
    xs.iter()
        .zip(ys)
        .map(|(x, &y)| {
            let z: f64 = w.iter().zip(x).map(|(a, b)| a * b).sum();
            log_loss(sigmoid(z), y)
        })
        .collect()
}

fn mean_log_loss(w: &[f64; 3], xs: &[[f64; 3]], ys: &[bool]) -> f64 {
    let l = log_losses(w, xs, ys);
    l.iter().sum::<f64>() / l.len().max(1) as f64
}

/// The ridge strength to keep: each is fitted on the days before the
/// median day and scored on the days from it, and the reverse (series of
/// different months and markets land on different sides). The strongest
/// ridge whose held-out loss is within one standard error of the best
/// one's (paired over the same forecasts) is kept: a weaker pull has to
/// predict the other period clearly better, not by luck.
fn choose_ridge(xs: &[[f64; 3]], ys: &[bool], days: &[i64], prior: [f64; 3]) -> f64 {
    let strongest = RIDGES[RIDGES.len() - 1];
    let mut sorted = days.to_vec();
    sorted.sort_unstable();
    let median = sorted.get(sorted.len() / 2).copied().unwrap_or(0);
    let fold = |late: bool| -> (Vec<[f64; 3]>, Vec<bool>) {
        xs.iter()
            .zip(ys)
            .zip(days)
            .filter(|(_, d)| (**d >= median) == late)
            .map(|((x, y), _)| (*x, *y))
            .unzip()
    };
    let (early, late) = (fold(false), fold(true));
    if early.0.is_empty() || late.0.is_empty() {
        return strongest;
    }
    let held_out: Vec<Vec<f64>> = RIDGES
        .iter()
        .map(|&ridge| {
            let mut l = log_losses(
                &fit_logistic(&early.0, &early.1, prior, ridge),
                &late.0,
                &late.1,
            );
            l.extend(log_losses(
                &fit_logistic(&late.0, &late.1, prior, ridge),
                &early.0,
                &early.1,
            ));
            l
        })
        .collect();
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let best = (0..RIDGES.len())
        .min_by(|&a, &b| mean(&held_out[a]).total_cmp(&mean(&held_out[b])))
        .unwrap_or(RIDGES.len() - 1);
    for r in (0..RIDGES.len()).rev() {
        let diff: Vec<f64> = held_out[r]
            .iter()
            .zip(&held_out[best])
            .map(|(a, b)| a - b)
            .collect();
        let m = mean(&diff);
        let n = diff.len().max(2) as f64;
        let sd = (diff.iter().map(|d| (d - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        if m <= sd / n.sqrt() {
            return RIDGES[r];
        }
    }
    RIDGES[best]
}

/// Fits the three ensembles on the validation part of each series. A
/// horizon without validation forecasts on this data (too short a series
/// for its timeframe) keeps its own model alone, with 0 samples.
pub fn fit_stacking(
    models: &ModelSet,
    series: &[(Series, Vec<String>)],
) -> Result<Stacking, StackError> {
    for h in Horizon::ALL {
        if models.get(h).is_none() {
            return Err(StackError::MissingModel(h.as_str()));
        }
    }
    let mut xs: [Vec<[f64; 3]>; 3] = Default::default();
    let mut ys: [Vec<bool>; 3] = Default::default();
    let mut days: [Vec<i64>; 3] = Default::default();
    let mut files = Vec::new();
    for (s, given) in series {
        files.extend(given.iter().cloned());
        let labels: [HashMap<_, bool>; 3] = Horizon::ALL.map(|t| {
            samples(s, t)
                .map(|all| {
                    select(&all, t, Split::Validation)
                        .iter()
                        .map(|x| (x.ts, x.up))
                        .collect()
                })
                .unwrap_or_default()
        });
        replay_tracker(models, s, |t, ts, tracker| {
            let Some(&up) = labels[t.index()].get(&ts) else {
                return;
            };
            let fresh = tracker.fresh_readings();
            let x =
                fresh.map(|r| r.map_or(0.0, |b| logit(b.probability().clamp(1e-6, 1.0 - 1e-6))));
            xs[t.index()].push(x);
            ys[t.index()].push(up);
            days[t.index()].push(ts.day_index());
        });
    }
    let mut stacks = Horizon::ALL.map(Stack::own_model);
    for t in Horizon::ALL {
        let (x, y) = (&xs[t.index()], &ys[t.index()]);
        if x.is_empty() {
            continue;
        }
        let round = |v: f64| (v * 1e12).round() / 1e12;
        let prior = Stack::own_model(t).weights;
        let ridge = choose_ridge(x, y, &days[t.index()], prior);
        let weights = fit_logistic(x, y, prior, ridge).map(round);
        stacks[t.index()] = Stack {
            target: t,
            weights,
            samples: x.len(),
            log_loss: round(mean_log_loss(&weights, x, y)),
            ridge,
        };
    }
    Ok(Stacking {
        format: STACKING_FORMAT.into(),
        version: STACKING_VERSION,
        stacks,
        files,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use omni_core::random::SimRng;

    #[test]
    fn the_informative_model_gets_the_weight() {
        // Outcomes follow the second column's logit (twice it); the first
        // is noise, the third is never there (0).
        let mut rng = SimRng::new(3, 3);
        let (mut xs, mut ys) = (Vec::new(), Vec::new());
        for i in 0..30_000 {
            let informative = (f64::from(i % 21) - 10.0) / 40.0;
            let noise = (rng.below(1000) as f64 - 500.0) / 2000.0;
            xs.push([noise, informative, 0.0]);
            ys.push((rng.below(1_000_000) as f64) < sigmoid(2.0 * informative) * 1e6);
        }
        let w = fit_logistic(&xs, &ys, [0.0; 3], 1.0);
        assert!((w[1] - 2.0).abs() < 0.3, "{w:?}");
        assert!(w[0].abs() < 0.3, "{w:?}");
        assert_eq!(
            w[2], 0.0,
            "a column of zeros gets no weight under the ridge"
        );
        // A strong ridge holds the weights at the prior.
        let held = fit_logistic(&xs, &ys, [0.0, 0.0, 1.0], 1e9);
        assert!(
            held.iter()
                .zip([0.0, 0.0, 1.0])
                .all(|(a, b)| (a - b).abs() < 1e-3),
            "{held:?}"
        );
    }

    #[test]
    fn cross_validation_keeps_the_prior_when_the_data_says_nothing() {
        // Coin-toss outcomes and a prior that says ½ (its column is 0): a
        // departure from it predicts the other half only by luck, which the
        // one-standard-error rule does not take. Outcomes that
        // follow the first column: a weak ridge wins every time.
        let (mut strong, draws) = (0, 20);
        for seed in 0..draws {
            let (mut rx, mut ry) = (SimRng::new(seed, 5), SimRng::new(seed, 6));
            let (mut xs, mut ys, mut days) = (Vec::new(), Vec::new(), Vec::new());
            for i in 0..4000i64 {
                xs.push([(rx.below(1000) as f64 - 500.0) / 1000.0, 0.0, 0.0]);
                ys.push(ry.below(2) == 0);
                days.push(i / 100);
            }
            if choose_ridge(&xs, &ys, &days, [0.0, 1.0, 0.0]) >= 10_000.0 {
                strong += 1;
            }
            let follow: Vec<bool> = xs.iter().map(|x| x[0] > 0.0).collect();
            assert!(choose_ridge(&xs, &follow, &days, [0.0, 1.0, 0.0]) <= 10.0);
        }
        // All 20 with these seeds; the rule allows about one in six.
        assert!(strong >= 15, "{strong} of {draws}");
    }

    #[test]
    fn solves_a_small_system() {
        let x = solve3(
            [[2.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 4.0]],
            [3.0, 5.0, 5.0],
        )
        .expect("regular");
        for (got, want) in x.iter().zip([1.0, 1.0, 1.0]) {
            assert!((got - want).abs() < 1e-12, "{x:?}");
        }
    }
}
