//! Forecast quality: accuracy, Brier score and skill, log loss, calibration
//! (ECE, MCE) and accuracy by confidence decile.

use serde::Serialize;

/// One forecast and what happened.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Outcome {
    /// Forecast P(up).
    pub p: f64,
    /// The forecaster's confidence (for Beta models, α + β).
    pub confidence: f64,
    /// Whether the price went up: the outcome `p` forecast.
    pub up: bool,
}

/// Accuracy within one confidence decile.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DecileStat {
    /// 1 (least confident) to 10.
    pub decile: usize,
    /// Lowest confidence in it.
    pub min_confidence: f64,
    /// Highest confidence in it.
    pub max_confidence: f64,
    /// Share of correct directions.
    pub accuracy: f64,
    /// Forecasts in it.
    pub n: usize,
}

/// Quality of a set of forecasts.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Metrics {
    /// How many forecasts were scored.
    pub n: usize,
    /// Share of ups that happened.
    pub base_rate: f64,
    /// Share of correct directions (P ≥ 0.5 means up).
    pub accuracy: f64,
    /// Mean squared error of P.
    pub brier: f64,
    /// 1 − Brier / Brier of always forecasting the base rate.
    pub brier_skill: f64,
    /// Mean negative log likelihood.
    pub log_loss: f64,
    /// Expected calibration error over 10 equal-width bins of P.
    pub ece: f64,
    /// Largest calibration error of any non-empty bin.
    pub mce: f64,
    /// Accuracy by confidence decile, least confident first.
    pub by_confidence: Vec<DecileStat>,
    /// Spearman rank correlation of decile and accuracy: positive when
    /// confidence rises with accuracy.
    pub confidence_trend: f64,
}

fn spearman_with_rank(values: &[f64]) -> f64 {
    let n = values.len();
    if n < 2 {
        return 0.0;
    }
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
    let mean = (n - 1) as f64 / 2.0;
    let (mut num, mut da, mut db) = (0.0, 0.0, 0.0);
    for (k, r) in rank.iter().enumerate() {
        let (a, b) = (k as f64 - mean, r - mean);
        num += a * b;
        da += a * a;
        db += b * b;
    }
    if da == 0.0 || db == 0.0 {
        0.0
    } else {
        num / (da * db).sqrt()
    }
}

impl Metrics {
    /// Scores a set of forecasts.
    pub fn of(outcomes: &[Outcome]) -> Self {
        let n = outcomes.len();
        let nf = n.max(1) as f64;
        let y = |o: &Outcome| f64::from(u8::from(o.up));
        let base_rate = outcomes.iter().map(y).sum::<f64>() / nf;
        let accuracy = outcomes.iter().filter(|o| (o.p >= 0.5) == o.up).count() as f64 / nf;
        let brier = outcomes.iter().map(|o| (o.p - y(o)).powi(2)).sum::<f64>() / nf;
        let reference = base_rate * (1.0 - base_rate);
        let log_loss = outcomes
            .iter()
            .map(|o| {
                let p = o.p.clamp(1e-12, 1.0 - 1e-12);
                if o.up { -p.ln() } else { -(1.0 - p).ln() }
            })
            .sum::<f64>()
            / nf;
        let mut bins = [(0usize, 0.0f64, 0.0f64); 10];
        for o in outcomes {
            let b = ((o.p * 10.0) as usize).min(9);
            bins[b].0 += 1;
            bins[b].1 += o.p;
            bins[b].2 += y(o);
        }
        let (mut ece, mut mce) = (0.0f64, 0.0f64);
        for (count, sp, sy) in bins {
            if count > 0 {
                let gap = (sp / count as f64 - sy / count as f64).abs();
                ece += gap * count as f64 / nf;
                mce = mce.max(gap);
            }
        }
        let mut sorted: Vec<&Outcome> = outcomes.iter().collect();
        sorted.sort_by(|a, b| a.confidence.total_cmp(&b.confidence));
        let mut by_confidence = Vec::new();
        for d in 0..10 {
            let (lo, hi) = (d * n / 10, (d + 1) * n / 10);
            if hi <= lo {
                continue;
            }
            let part = &sorted[lo..hi];
            by_confidence.push(DecileStat {
                decile: d + 1,
                min_confidence: part[0].confidence,
                max_confidence: part[part.len() - 1].confidence,
                accuracy: part.iter().filter(|o| (o.p >= 0.5) == o.up).count() as f64
                    / part.len() as f64,
                n: part.len(),
            });
        }
        let accs: Vec<f64> = by_confidence.iter().map(|d| d.accuracy).collect();
        Self {
            n,
            base_rate,
            accuracy,
            brier,
            brier_skill: if reference > 0.0 {
                1.0 - brier / reference
            } else {
                0.0
            },
            log_loss,
            ece,
            mce,
            confidence_trend: spearman_with_rank(&accs),
            by_confidence,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        let o = |p: f64, up: bool, c: f64| Outcome {
            p,
            confidence: c,
            up,
        };
        let m = Metrics::of(&[
            o(0.8, true, 1.0),
            o(0.8, false, 2.0),
            o(0.3, false, 3.0),
            o(0.6, true, 4.0),
        ]);
        assert_eq!(m.n, 4);
        assert!((m.accuracy - 0.75).abs() < 1e-12);
        assert!((m.brier - (0.04 + 0.64 + 0.09 + 0.16) / 4.0).abs() < 1e-12);
        assert!((m.brier_skill - (1.0 - 0.2325 / 0.25)).abs() < 1e-12);
        // bins: 0.8 → two forecasts, one up: |0.8 − 0.5| = 0.3; 0.3 → |0.3 − 0| = 0.3; 0.6 → 0.4
        assert!((m.mce - 0.4).abs() < 1e-12);
        assert!((m.ece - (0.3 * 0.5 + 0.3 * 0.25 + 0.4 * 0.25)).abs() < 1e-12);
    }

    #[test]
    fn a_perfectly_calibrated_coin_has_no_skill() {
        let o: Vec<Outcome> = (0..1000)
            .map(|i| Outcome {
                p: 0.5,
                confidence: i as f64,
                up: i % 2 == 0,
            })
            .collect();
        let m = Metrics::of(&o);
        assert!(m.brier_skill.abs() < 1e-12);
        assert!(m.ece < 1e-12);
        assert_eq!(m.by_confidence.len(), 10);
    }

    #[test]
    fn rising_accuracy_with_confidence_has_a_positive_trend() {
        let o: Vec<Outcome> = (0..1000)
            .map(|i| Outcome {
                p: 0.6,
                confidence: i as f64,
                up: (i * 7919 % 1000) < i,
            })
            .collect();
        assert!(Metrics::of(&o).confidence_trend > 0.8);
    }
}
