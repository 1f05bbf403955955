//! Forecast quality: accuracy, Brier score and skill, log loss, calibration
//! on equal-mass bins (ECE, MCE) and accuracy by decisiveness decile; the
//! bootstrap module adds their day-block intervals.
//!
//! Decisiveness is |p − ½|: how far the forecast leans. A forecaster whose
//! numbers mean something is right more often when it leans further, so
//! the deciles are ranked by it (not by the Beta's concentration, which
//! measures something else and is reported beside it).

use serde::Serialize;

/// One forecast and what happened.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Outcome {
    /// Forecast P(up).
    pub p: f64,
    /// The forecaster's concentration (for Beta models, α + β).
    pub concentration: f64,
    /// Whether the price went up: the outcome `p` forecast.
    pub up: bool,
    /// UTC day of the forecast: the bootstrap resamples whole days, since
    /// forecasts of one day share their market and their overlapping labels.
    pub day: i64,
}

impl Outcome {
    /// |p − ½|.
    pub fn decisiveness(&self) -> f64 {
        (self.p - 0.5).abs()
    }
    /// Whether the side it leaned to happened (p = ½ counts as "up").
    pub fn hit(&self) -> bool {
        (self.p >= 0.5) == self.up
    }
    fn y(&self) -> f64 {
        f64::from(u8::from(self.up))
    }
}

/// A 95 % percentile interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
}

/// 95 % intervals of the figures that decide whether a model is worth
/// anything.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Intervals {
    /// Bootstrap draws they come from.
    pub resamples: usize,
    pub accuracy: Interval,
    pub brier_skill: Interval,
    pub ece: Interval,
    pub top_decile_accuracy: Interval,
}

/// The negative log likelihood of an outcome under P(up) = `p`, with `p`
/// kept 1e-12 from 0 and 1 so a sure miss costs a finite amount.
pub fn log_loss(p: f64, up: bool) -> f64 {
    let p = p.clamp(1e-12, 1.0 - 1e-12);
    if up { -p.ln() } else { -(1.0 - p).ln() }
}

/// Number of reliability bins and of decisiveness groups.
pub const BINS: usize = 10;

/// One reliability bin: forecasts of about equal count, neighbours in p.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Bin {
    pub n: usize,
    /// Mean forecast in the bin.
    pub mean_p: f64,
    /// Share of ups that happened in it.
    pub observed: f64,
}

/// Accuracy within one decisiveness decile.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DecileStat {
    /// 1 (least decisive) to 10.
    pub decile: usize,
    /// Smallest |p − ½| in it.
    pub min_decisiveness: f64,
    /// Largest |p − ½| in it.
    pub max_decisiveness: f64,
    /// Share of correct directions.
    pub accuracy: f64,
    pub n: usize,
}

/// Quality of a set of forecasts.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Metrics {
    /// How many forecasts were scored.
    pub n: usize,
    /// Distinct UTC days they fall on (the bootstrap's blocks).
    pub days: usize,
    /// Share of ups that happened.
    pub base_rate: f64,
    /// Share of forecasts that called "up" (p ≥ ½): far from the base rate,
    /// it shows a drift the forecaster carries.
    pub up_share: f64,
    /// Share of correct directions.
    pub accuracy: f64,
    /// Mean squared error of P.
    pub brier: f64,
    /// 1 − Brier / Brier of always forecasting the base rate.
    pub brier_skill: f64,
    /// Mean negative log likelihood.
    pub log_loss: f64,
    /// Expected calibration error over equal-mass bins of p.
    pub ece: f64,
    /// Largest calibration error of any bin.
    pub mce: f64,
    /// The reliability bins, lowest p first.
    pub reliability: Vec<Bin>,
    /// Accuracy by decisiveness decile, least decisive first.
    pub by_decisiveness: Vec<DecileStat>,
    /// Spearman correlation of decile and accuracy: positive when accuracy
    /// rises with decisiveness.
    pub decisiveness_trend: f64,
    /// Accuracy of the most decisive tenth.
    pub top_decile_accuracy: f64,
    /// Spearman correlation of each forecast's concentration with its
    /// decisiveness (negative: the concentration shrinks as forecasts lean).
    pub concentration_vs_decisiveness: f64,
    /// 95 % day-block bootstrap intervals (filled by the bootstrap module);
    /// None until computed, and with fewer than 2 days.
    pub intervals: Option<Intervals>,
}

/// The figures the bootstrap recomputes, for forecasts weighted by how
/// often their day was drawn (1 each for the point estimate).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Core {
    pub accuracy: f64,
    pub brier_skill: f64,
    pub ece: f64,
    pub top_decile_accuracy: f64,
}

/// Orders by p and by decisiveness (most decisive first), computed once and
/// shared by every resample.
pub struct Orders {
    by_p: Vec<usize>,
    by_decisiveness: Vec<usize>,
}

impl Orders {
    pub fn of(o: &[Outcome]) -> Self {
        let mut by_p: Vec<usize> = (0..o.len()).collect();
        by_p.sort_by(|&a, &b| o[a].p.total_cmp(&o[b].p));
        let mut by_decisiveness: Vec<usize> = (0..o.len()).collect();
        by_decisiveness.sort_by(|&a, &b| o[b].decisiveness().total_cmp(&o[a].decisiveness()));
        Self {
            by_p,
            by_decisiveness,
        }
    }
}

/// Equal-mass reliability bins over weighted forecasts: each holds about a
/// tenth of the weight, and equal forecasts stay in one bin (a constant
/// forecast is one bin, judged on its one mean).
fn reliability(o: &[Outcome], w: &[u32], orders: &Orders) -> Vec<Bin> {
    let total: f64 = w.iter().map(|&x| f64::from(x)).sum();
    let mut bins = Vec::with_capacity(BINS);
    let (mut n, mut sw, mut sp, mut sy) = (0usize, 0.0f64, 0.0f64, 0.0f64);
    let mut cum = 0.0;
    let mut last_p = f64::NAN;
    for &i in &orders.by_p {
        let wi = f64::from(w[i]);
        if wi == 0.0 {
            continue;
        }
        let target = total * (bins.len() + 1) as f64 / BINS as f64;
        if n > 0 && cum >= target && o[i].p != last_p {
            bins.push(Bin {
                n,
                mean_p: sp / sw,
                observed: sy / sw,
            });
            (n, sw, sp, sy) = (0, 0.0, 0.0, 0.0);
        }
        n += w[i] as usize;
        sw += wi;
        sp += wi * o[i].p;
        sy += wi * o[i].y();
        cum += wi;
        last_p = o[i].p;
    }
    if n > 0 {
        bins.push(Bin {
            n,
            mean_p: sp / sw,
            observed: sy / sw,
        });
    }
    bins
}

fn ece_mce(bins: &[Bin]) -> (f64, f64) {
    let total: usize = bins.iter().map(|b| b.n).sum();
    let (mut ece, mut mce) = (0.0f64, 0.0f64);
    for b in bins {
        let gap = (b.mean_p - b.observed).abs();
        ece += gap * b.n as f64 / total.max(1) as f64;
        mce = mce.max(gap);
    }
    (ece, mce)
}

/// Accuracy, Brier skill, ECE and top-decile accuracy of weighted
/// forecasts; None when every weight is 0.
pub fn core(o: &[Outcome], w: &[u32], orders: &Orders) -> Option<Core> {
    let total: f64 = w.iter().map(|&x| f64::from(x)).sum();
    if total == 0.0 {
        return None;
    }
    let (mut hits, mut ups, mut sq) = (0.0, 0.0, 0.0);
    for (x, &wi) in o.iter().zip(w) {
        let wi = f64::from(wi);
        hits += wi * f64::from(u8::from(x.hit()));
        ups += wi * x.y();
        sq += wi * (x.p - x.y()).powi(2);
    }
    let base = ups / total;
    let reference = base * (1.0 - base);
    let brier = sq / total;
    let (ece, _) = ece_mce(&reliability(o, w, orders));
    let tenth = total / BINS as f64;
    let (mut tw, mut th) = (0.0, 0.0);
    for &i in &orders.by_decisiveness {
        if tw >= tenth {
            break;
        }
        let wi = f64::from(w[i]);
        tw += wi;
        th += wi * f64::from(u8::from(o[i].hit()));
    }
    Some(Core {
        accuracy: hits / total,
        brier_skill: if reference > 0.0 {
            1.0 - brier / reference
        } else {
            0.0
        },
        ece,
        top_decile_accuracy: if tw > 0.0 { th / tw } else { 0.0 },
    })
}

/// Average ranks (ties share the mean of their ranks).
fn ranks(values: &[f64]) -> Vec<f64> {
    let n = values.len();
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut rank = vec![0.0; n];
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && values[idx[j + 1]] == values[idx[i]] {
            j += 1;
        }
        let r = (i + j) as f64 / 2.0;
        for k in i..=j {
            rank[idx[k]] = r;
        }
        i = j + 1;
    }
    rank
}

/// Spearman rank correlation; 0 when either side is constant.
pub fn spearman(a: &[f64], b: &[f64]) -> f64 {
    if a.len() < 2 || a.len() != b.len() {
        return 0.0;
    }
    let (ra, rb) = (ranks(a), ranks(b));
    let mean = (a.len() - 1) as f64 / 2.0;
    let (mut num, mut da, mut db) = (0.0, 0.0, 0.0);
    for (x, y) in ra.iter().zip(&rb) {
        let (x, y) = (x - mean, y - mean);
        num += x * y;
        da += x * x;
        db += y * y;
    }
    if da == 0.0 || db == 0.0 {
        0.0
    } else {
        num / (da * db).sqrt()
    }
}

impl Metrics {
    /// Scores a set of forecasts (without intervals).
    pub fn of(outcomes: &[Outcome]) -> Self {
        let n = outcomes.len();
        let nf = n.max(1) as f64;
        let orders = Orders::of(outcomes);
        let ones = vec![1u32; n];
        let point = core(outcomes, &ones, &orders).unwrap_or(Core {
            accuracy: 0.0,
            brier_skill: 0.0,
            ece: 0.0,
            top_decile_accuracy: 0.0,
        });
        let reliability = reliability(outcomes, &ones, &orders);
        let (ece, mce) = ece_mce(&reliability);
        let base_rate = outcomes.iter().map(Outcome::y).sum::<f64>() / nf;
        let mean_log_loss = outcomes.iter().map(|o| log_loss(o.p, o.up)).sum::<f64>() / nf;
        let mut ascending = orders.by_decisiveness.clone();
        ascending.reverse();
        let mut by_decisiveness = Vec::new();
        for d in 0..BINS {
            let (lo, hi) = (d * n / BINS, (d + 1) * n / BINS);
            if hi <= lo {
                continue;
            }
            let part = &ascending[lo..hi];
            by_decisiveness.push(DecileStat {
                decile: d + 1,
                min_decisiveness: outcomes[part[0]].decisiveness(),
                max_decisiveness: outcomes[part[part.len() - 1]].decisiveness(),
                accuracy: part.iter().filter(|&&i| outcomes[i].hit()).count() as f64
                    / part.len() as f64,
                n: part.len(),
            });
        }
        let decile_no: Vec<f64> = by_decisiveness.iter().map(|d| d.decile as f64).collect();
        let decile_acc: Vec<f64> = by_decisiveness.iter().map(|d| d.accuracy).collect();
        let conc: Vec<f64> = outcomes.iter().map(|o| o.concentration).collect();
        let dec: Vec<f64> = outcomes.iter().map(Outcome::decisiveness).collect();
        let mut days: Vec<i64> = outcomes.iter().map(|o| o.day).collect();
        days.sort_unstable();
        days.dedup();
        Self {
            n,
            days: days.len(),
            base_rate,
            up_share: outcomes.iter().filter(|o| o.p >= 0.5).count() as f64 / nf,
            accuracy: point.accuracy,
            brier: outcomes.iter().map(|o| (o.p - o.y()).powi(2)).sum::<f64>() / nf,
            brier_skill: point.brier_skill,
            log_loss: mean_log_loss,
            ece,
            mce,
            reliability,
            decisiveness_trend: spearman(&decile_no, &decile_acc),
            by_decisiveness,
            top_decile_accuracy: point.top_decile_accuracy,
            concentration_vs_decisiveness: spearman(&conc, &dec),
            intervals: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(p: f64, up: bool, day: i64) -> Outcome {
        Outcome {
            p,
            concentration: 10.0,
            up,
            day,
        }
    }

    #[test]
    fn known_values() {
        let m = Metrics::of(&[
            o(0.8, true, 0),
            o(0.8, false, 0),
            o(0.3, false, 1),
            o(0.6, true, 1),
        ]);
        assert_eq!(m.n, 4);
        assert_eq!(m.days, 2);
        assert!((m.accuracy - 0.75).abs() < 1e-12);
        assert!((m.brier - (0.04 + 0.64 + 0.09 + 0.16) / 4.0).abs() < 1e-12);
        assert!((m.brier_skill - (1.0 - 0.2325 / 0.25)).abs() < 1e-12);
        assert!((m.up_share - 0.75).abs() < 1e-12);
        // Equal-mass bins of 4 forecasts: 0.3 | 0.6 | 0.8, 0.8 (ties stay
        // together): gaps 0.3, 0.4 and |0.8 − 0.5| = 0.3.
        let shape: Vec<(usize, f64)> = m.reliability.iter().map(|b| (b.n, b.observed)).collect();
        assert_eq!(shape, vec![(1, 0.0), (1, 1.0), (2, 0.5)]);
        assert!((m.mce - 0.4).abs() < 1e-12);
        assert!((m.ece - (0.3 * 0.25 + 0.4 * 0.25 + 0.3 * 0.5)).abs() < 1e-12);
        // Most decisive tenth of 4 forecasts: one of the 0.8s (the first
        // in time, which was right).
        assert!((m.top_decile_accuracy - 1.0).abs() < 1e-12);
        assert!(m.intervals.is_none());
    }

    #[test]
    fn a_constant_forecast_at_the_base_rate_is_calibrated_and_has_no_skill() {
        let o: Vec<Outcome> = (0..1000).map(|i| o(0.5, i % 2 == 0, i / 100)).collect();
        let m = Metrics::of(&o);
        assert!(m.brier_skill.abs() < 1e-12);
        assert!(m.ece < 1e-12);
        assert_eq!(m.reliability.len(), 1, "ties share one bin");
        assert_eq!(m.by_decisiveness.len(), 10);
    }

    #[test]
    fn equal_mass_bins_see_what_equal_width_bins_miss() {
        // Every forecast in [0.50, 0.55): one equal-width bin with mean
        // 0.525 against 50 % ups, a gap of 0.025. But the low half never
        // goes up and the high half always does.
        let o: Vec<Outcome> = (0..1000)
            .map(|i| {
                let p = 0.5 + 0.05 * f64::from(i) / 1000.0;
                o(p, i >= 500, i64::from(i / 100))
            })
            .collect();
        let m = Metrics::of(&o);
        assert_eq!(m.reliability.len(), 10);
        assert!(m.ece > 0.4, "{}", m.ece);
    }

    #[test]
    fn accuracy_rising_with_decisiveness_has_a_positive_trend() {
        // Forecast i leans by i/2000; it is right with chance 0.5 + i/2000.
        let o: Vec<Outcome> = (0..1000)
            .map(|i| {
                let lean = f64::from(i) / 2000.0;
                let right = (i * 7919 % 1000) < 500 + i / 2;
                o(0.5 + lean, right, i64::from(i / 50))
            })
            .collect();
        let m = Metrics::of(&o);
        assert!(m.decisiveness_trend > 0.8, "{}", m.decisiveness_trend);
        assert!(m.top_decile_accuracy > m.accuracy);
    }

    #[test]
    fn concentration_that_shrinks_as_forecasts_lean_is_reported_negative() {
        let o: Vec<Outcome> = (0..100)
            .map(|i| Outcome {
                p: 0.5 + f64::from(i) / 400.0,
                concentration: 1000.0 - f64::from(i),
                up: i % 2 == 0,
                day: 0,
            })
            .collect();
        assert!((Metrics::of(&o).concentration_vs_decisiveness + 1.0).abs() < 1e-12);
    }

    #[test]
    fn unit_weights_give_the_point_estimates() {
        let o: Vec<Outcome> = (0..500)
            .map(|i| {
                o(
                    0.3 + f64::from(i % 40) / 100.0,
                    i % 3 == 0,
                    i64::from(i / 60),
                )
            })
            .collect();
        let m = Metrics::of(&o);
        let c = core(&o, &vec![1; o.len()], &Orders::of(&o)).expect("weights");
        assert_eq!(
            (c.accuracy, c.brier_skill, c.ece, c.top_decile_accuracy),
            (m.accuracy, m.brier_skill, m.ece, m.top_decile_accuracy)
        );
        assert!(core(&o, &vec![0; o.len()], &Orders::of(&o)).is_none());
    }
}
