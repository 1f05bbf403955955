//! Combining the three models into one Beta.

use super::model::BetaOut;
use crate::domain::BetaBelief;
use serde::Serialize;

/// What the combiner looks at besides the models' outputs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Context {
    /// Each model's recent hit rate (0.5 when unknown).
    pub hit_rates: [f64; 3],
    /// Efficiency ratio of the medium timeframe: |net move| / path length
    /// over 24 bars; above [`TRENDING_ER`] the market is trending.
    pub efficiency: Option<f64>,
    /// Short-term over long-term volatility of the medium timeframe.
    pub vol_ratio: Option<f64>,
}

/// Efficiency ratio above which the market counts as trending.
pub const TRENDING_ER: f64 = 0.3;
/// Concentration at which a model's confidence weight reaches one half.
pub const HALF_WEIGHT_CONCENTRATION: f64 = 50.0;

/// The combined belief and the weight each model got.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Combined {
    /// The ensemble's Beta and agreement.
    pub belief: BetaBelief,
    /// Normalised weights (short, medium, long); 0 for a missing model.
    pub weights: [f64; 3],
    /// Whether the regime read as trending.
    pub trending: bool,
}

/// Weights each model by a base weight (1), its confidence
/// κ / (κ + 50), the regime (trending: short 0.8, medium 1, long 1.3;
/// ranging: 1.2, 1, 0.8), volatility (the short model is trusted less when
/// short-term volatility runs above long-term: × clamp(1 / ratio, 0.5, 1.2))
/// and its recent hit rate (× clamp(1 + 4 (h − 0.5), 0.5, 1.5)).
///
/// Disagreement is penalised: with agreement a = |Σ w (p − ½)| / Σ w |p − ½|
/// (1 when every model leans the same way), the mean is pulled toward ½ and
/// the concentration shrunk by the factor ½ + ½·a.
pub fn combine(readings: &[Option<BetaOut>; 3], ctx: &Context) -> Option<Combined> {
    let trending = ctx.efficiency.is_some_and(|e| e >= TRENDING_ER);
    let regime = if trending {
        [0.8, 1.0, 1.3]
    } else {
        [1.2, 1.0, 0.8]
    };
    let vol = ctx
        .vol_ratio
        .map_or(1.0, |r| (1.0 / r.max(1e-9)).clamp(0.5, 1.2));
    let mut weights = [0.0; 3];
    for (i, r) in readings.iter().enumerate() {
        let Some(b) = r else { continue };
        let k = b.concentration();
        let confidence = k / (k + HALF_WEIGHT_CONCENTRATION);
        let hit = (1.0 + 4.0 * (ctx.hit_rates[i] - 0.5)).clamp(0.5, 1.5);
        let vol_w = if i == 0 { vol } else { 1.0 };
        weights[i] = confidence * regime[i] * vol_w * hit;
    }
    let total: f64 = weights.iter().sum();
    if total <= 0.0 {
        return None;
    }
    let (mut p, mut kappa, mut lean, mut abs_lean) = (0.0, 0.0, 0.0, 0.0);
    for (i, r) in readings.iter().enumerate() {
        if let Some(b) = r {
            let w = weights[i] / total;
            let pi = b.probability();
            p += w * pi;
            kappa += w * b.concentration();
            lean += w * (pi - 0.5);
            abs_lean += w * (pi - 0.5).abs();
        }
    }
    let agreement = if abs_lean > 0.0 {
        lean.abs() / abs_lean
    } else {
        1.0
    };
    let shrink = 0.5 + 0.5 * agreement;
    let p = (0.5 + (p - 0.5) * shrink).clamp(1e-6, 1.0 - 1e-6);
    let kappa = (kappa * shrink).max(2.0);
    Some(Combined {
        belief: BetaBelief {
            alpha: p * kappa,
            beta: (1.0 - p) * kappa,
            agreement,
        },
        weights: weights.map(|w| w / total),
        trending,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(p: f64, k: f64) -> Option<BetaOut> {
        Some(BetaOut {
            alpha: p * k,
            beta: (1.0 - p) * k,
        })
    }

    const CALM: Context = Context {
        hit_rates: [0.5; 3],
        efficiency: Some(0.1),
        vol_ratio: Some(1.0),
    };

    #[test]
    fn unanimous_models_keep_their_mean_and_agree_fully() {
        let c = combine(&[b(0.6, 100.0), b(0.6, 100.0), b(0.6, 100.0)], &CALM).expect("combined");
        assert!((c.belief.probability() - 0.6).abs() < 1e-12);
        assert_eq!(c.belief.agreement, 1.0);
        assert!((c.belief.concentration() - 100.0).abs() < 1e-9);
    }

    #[test]
    fn disagreement_pulls_toward_even_and_lowers_concentration() {
        let c = combine(&[b(0.7, 100.0), b(0.3, 100.0), b(0.6, 100.0)], &CALM).expect("combined");
        assert!(c.belief.agreement < 0.5, "{}", c.belief.agreement);
        assert!(c.belief.concentration() < 100.0);
        let naive: f64 = (1.2 * 0.7 + 0.3 + 0.8 * 0.6) / 3.0;
        assert!((c.belief.probability() - 0.5).abs() < (naive - 0.5).abs());
    }

    #[test]
    fn regime_and_hit_rate_move_the_weights() {
        let trending = Context {
            efficiency: Some(0.6),
            ..CALM
        };
        let r = [b(0.6, 100.0), b(0.6, 100.0), b(0.6, 100.0)];
        let calm = combine(&r, &CALM).expect("c");
        let trend = combine(&r, &trending).expect("t");
        assert!(trend.weights[2] > calm.weights[2] && trend.weights[0] < calm.weights[0]);
        let good_short = Context {
            hit_rates: [0.6, 0.5, 0.5],
            ..CALM
        };
        assert!(combine(&r, &good_short).expect("h").weights[0] > calm.weights[0]);
        let turbulent = Context {
            vol_ratio: Some(2.0),
            ..CALM
        };
        assert!(combine(&r, &turbulent).expect("v").weights[0] < calm.weights[0]);
    }

    #[test]
    fn missing_models_are_left_out() {
        let c = combine(&[None, b(0.55, 40.0), None], &CALM).expect("one model");
        assert_eq!(c.weights, [0.0, 1.0, 0.0]);
        assert!(combine(&[None, None, None], &CALM).is_none());
    }
}
