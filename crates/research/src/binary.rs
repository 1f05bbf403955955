//! Binary contracts calibrated on history: the 5-minute ensemble's P(up),
//! taken from the same tracker code the engine runs, against whether the
//! price was higher 1 to 5 minutes later, on real minute bars.
//!
//! `fit_binary` fits each expiry's slope a(T) in p = σ(a · logit p₅) on the
//! validation part of each series (the part the models stopped on, never
//! their training or test part); `evaluate_binary` scores the calibrated
//! probability of one expiry on any part of any data, with the eval's
//! metrics and intervals.

use crate::dataset::{Split, bars_at, replay_tracker, split_ranges};
use crate::eval::ModelReport;
use crate::history::Series;
use crate::metrics::{Outcome, log_loss};
use omni_core::domain::{Timeframe, Timestamp};
use omni_core::ensemble::binary::ExpiryPoint;
use omni_core::ensemble::model::{logit, sigmoid};
use omni_core::ensemble::{BINARY_FORMAT, BINARY_VERSION, BinaryCalibration, Horizon, ModelSet};

/// The expiries fitted: whole minutes up to the 5-minute model's horizon.
pub const FITTED_MINUTES: [usize; 5] = [1, 2, 3, 4, 5];

/// One 5-minute forecast at a minute bar's close, and what the price did
/// after each of [`FITTED_MINUTES`] (None across a gap in the data).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ContractSample {
    /// Close time of the bar the forecast was made on.
    pub ts: Timestamp,
    /// The 5-minute ensemble's P(up).
    pub p_short: f64,
    /// Close k minutes later above the close now, k = 1..=5.
    pub up: [Option<bool>; 5],
}

/// Why the calibration could not be fitted.
#[derive(Debug, thiserror::Error)]
pub enum BinaryFitError {
    #[error("binary: no short model loaded")]
    NoShortModel,
    #[error("binary: no validation forecasts with a known outcome {0} min later in the data")]
    NoSamples(usize),
}

/// Every forecast of a series' 5-minute ensemble with its outcomes, in
/// time order (empty when the series has no minute bars).
pub fn contract_samples(models: &ModelSet, series: &Series) -> Vec<ContractSample> {
    let Ok(bars) = bars_at(series, Timeframe::M1) else {
        return Vec::new();
    };
    let width = Timeframe::M1.nanos();
    let mut out = Vec::new();
    replay_tracker(models, series, |h, ts, tracker| {
        if h != Horizon::Short {
            return;
        }
        let Some(c) = tracker.combined(Horizon::Short) else {
            return;
        };
        // The bar that closed at `ts`; M1 bars are sorted by start.
        let Ok(i) = bars.binary_search_by_key(&ts, |b| b.ts.plus(width)) else {
            return;
        };
        let now = bars[i].close;
        let mut up = [None; 5];
        for (slot, k) in up.iter_mut().zip(FITTED_MINUTES) {
            // A gap of more than twice the expiry is not stretched over.
            *slot = bars
                .get(i + k)
                .filter(|f| f.ts.since(bars[i].ts) <= 2 * k as i64 * width)
                .map(|f| f.close > now);
        }
        out.push(ContractSample {
            ts,
            p_short: c.belief.probability(),
            up,
        });
    });
    out
}

/// The part of one series' samples (the walk-forward split of the models,
/// with a 5-minute embargo).
pub fn select_part(all: &[ContractSample], split: Split) -> &[ContractSample] {
    let [train, val, test] = split_ranges(all.len(), Horizon::Short.horizon_bars());
    match split {
        Split::All => all,
        Split::Train => &all[train],
        Split::Validation => &all[val],
        Split::Test => &all[test],
    }
}

/// The slope a minimising the log loss of σ(a·x) (Newton's method on a
/// convex function of one variable).
pub fn fit_slope(xs: &[f64], ys: &[bool]) -> f64 {
    let mut a = 1.0;
    for _ in 0..100 {
        let (mut g, mut h) = (0.0, 0.0);
        for (&x, &y) in xs.iter().zip(ys) {
            let p = sigmoid(a * x);
            g += (p - f64::from(u8::from(y))) * x;
            h += p * (1.0 - p) * x * x;
        }
        if h <= 0.0 {
            break;
        }
        let step = g / h;
        a -= step;
        if step.abs() < 1e-12 {
            break;
        }
    }
    a
}

/// Fits a(T) for every minute in [`FITTED_MINUTES`] on the validation part
/// of each series. `files` is recorded in the result.
pub fn fit_binary(
    models: &ModelSet,
    series: &[Series],
    files: Vec<String>,
) -> Result<BinaryCalibration, BinaryFitError> {
    if models.get(Horizon::Short).is_none() {
        return Err(BinaryFitError::NoShortModel);
    }
    let per_series: Vec<Vec<ContractSample>> =
        series.iter().map(|s| contract_samples(models, s)).collect();
    let mut points = Vec::new();
    for (slot, k) in FITTED_MINUTES.iter().enumerate() {
        let (mut xs, mut ys) = (Vec::new(), Vec::new());
        for all in &per_series {
            for s in select_part(all, Split::Validation) {
                if let Some(up) = s.up[slot] {
                    xs.push(logit(s.p_short));
                    ys.push(up);
                }
            }
        }
        if xs.is_empty() {
            return Err(BinaryFitError::NoSamples(*k));
        }
        let slope = fit_slope(&xs, &ys);
        let loss = xs
            .iter()
            .zip(&ys)
            .map(|(&x, &y)| log_loss(sigmoid(slope * x), y))
            .sum::<f64>()
            / xs.len() as f64;
        points.push(ExpiryPoint {
            expiry_secs: *k as i64 * 60,
            slope,
            samples: xs.len(),
            log_loss: loss,
        });
    }
    Ok(BinaryCalibration {
        format: BINARY_FORMAT.into(),
        version: BINARY_VERSION,
        points,
        files,
    })
}

/// The report key of a binary expiry in `eval`'s output.
pub fn report_key(minutes: usize) -> String {
    format!("binary_{}s", minutes * 60)
}

/// Scores the calibrated win probability of `minutes`-minute contracts on
/// a part of each series, as `eval` scores the models.
pub fn evaluate_binary(
    models: &ModelSet,
    series: &[Series],
    split: Split,
    minutes: usize,
    resamples: usize,
) -> ModelReport {
    let target = format!("{} s contract", minutes * 60);
    let Some(slot) = FITTED_MINUTES.iter().position(|&m| m == minutes) else {
        return ModelReport::skipped(target, format!("no {minutes}-minute outcomes"));
    };
    if models.get(Horizon::Short).is_none() {
        return ModelReport::skipped(target, "no short model loaded".into());
    }
    let cal = models.binary();
    let mut outcomes = Vec::new();
    for s in series {
        for c in select_part(&contract_samples(models, s), split) {
            if let Some(up) = c.up[slot] {
                outcomes.push(Outcome {
                    p: cal.p_up(c.p_short, minutes as i64 * 60),
                    concentration: 0.0,
                    up,
                    day: c.ts.day_index(),
                });
            }
        }
    }
    if outcomes.is_empty() {
        return ModelReport::skipped(
            target,
            "no 5-minute forecasts on this data (needs minute bars)".into(),
        );
    }
    ModelReport::unbaselined(target, &outcomes, resamples)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_slope_recovers_the_one_that_made_the_outcomes() {
        // Outcomes drawn from σ(0.4·x) with a fixed LCG: the fit finds 0.4.
        let mut state = 12345u64;
        let mut uniform = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let (mut xs, mut ys) = (Vec::new(), Vec::new());
        for i in 0..40_000 {
            let x = ((i % 200) as f64 - 100.0) / 50.0;
            xs.push(x);
            ys.push(uniform() < sigmoid(0.4 * x));
        }
        let a = fit_slope(&xs, &ys);
        assert!((a - 0.4).abs() < 0.05, "{a}");
        // Outcomes unrelated to x: the slope goes to about 0.
        let coin: Vec<bool> = (0..40_000).map(|_| uniform() < 0.5).collect();
        assert!(fit_slope(&xs, &coin).abs() < 0.05);
    }
}
