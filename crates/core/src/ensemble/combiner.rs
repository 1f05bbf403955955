//! One ensemble per horizon: the three models' current forecasts combined
//! into a forecast of one event (price higher at that horizon), with
//! weights learned on validation data (stacking, `omni-tui train --model
//! ensemble`), not set by hand.
//!
//! p = σ(Σ wⱼ · logit(pⱼ)) over the models with a fresh reading; no
//! intercept, for the reason the models have none. A model without a
//! reading adds nothing (its logit counts as 0, "½").

use super::model::{BetaOut, Horizon, logit, sigmoid};
use crate::domain::BetaBelief;
use serde::{Deserialize, Serialize};

/// The file format name of `ensemble.json`.
pub const STACKING_FORMAT: &str = "omni-tui-stacking";
/// The `ensemble.json` version this build reads and writes.
pub const STACKING_VERSION: u32 = 1;

/// How one horizon's ensemble weighs the three models.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stack {
    /// The event it forecasts.
    pub target: Horizon,
    /// Weight of each model's logit: short, medium, long.
    pub weights: [f64; 3],
    /// Forecasts it was fitted on (0 for the default: the target's own
    /// model alone).
    pub samples: usize,
    /// Log loss on those forecasts (0 for the default).
    pub log_loss: f64,
    /// Strength of the pull toward the own model alone, chosen by
    /// cross-validation over days (0 for the default).
    pub ridge: f64,
}

impl Stack {
    /// The target's own model alone: what an ensemble is before it is
    /// fitted.
    pub fn own_model(target: Horizon) -> Self {
        let mut weights = [0.0; 3];
        weights[target.index()] = 1.0;
        Self {
            target,
            weights,
            samples: 0,
            log_loss: 0.0,
            ridge: 0.0,
        }
    }
}

/// The three ensembles, as stored in `ensemble.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stacking {
    /// Always [`STACKING_FORMAT`].
    pub format: String,
    /// Must equal [`STACKING_VERSION`].
    pub version: u32,
    /// Short, medium, long targets, in that order.
    pub stacks: [Stack; 3],
    /// The data the weights were fitted on (files as given), empty for the
    /// default.
    pub files: Vec<String>,
}

impl Default for Stacking {
    /// Each ensemble is its own horizon's model.
    fn default() -> Self {
        Self {
            format: STACKING_FORMAT.into(),
            version: STACKING_VERSION,
            stacks: Horizon::ALL.map(Stack::own_model),
            files: Vec::new(),
        }
    }
}

impl Stacking {
    /// Parses and checks `ensemble.json`.
    pub fn from_json(name: &str, text: &str) -> Result<Self, super::ModelError> {
        use super::ModelError;
        let s: Stacking = serde_json::from_str(text)
            .map_err(|e| ModelError::Parse(name.into(), e.to_string()))?;
        if s.format != STACKING_FORMAT || s.version != STACKING_VERSION {
            return Err(ModelError::Incompatible(
                name.into(),
                format!(
                    "format {} v{}; this build reads {STACKING_FORMAT} v{STACKING_VERSION}",
                    s.format, s.version
                ),
            ));
        }
        let ordered = s
            .stacks
            .iter()
            .zip(Horizon::ALL)
            .all(|(st, h)| st.target == h && st.weights.iter().all(|w| w.is_finite()));
        if !ordered {
            return Err(ModelError::Incompatible(
                name.into(),
                "stacks must be short, medium, long with finite weights".into(),
            ));
        }
        Ok(s)
    }

    /// The ensemble of one target.
    pub fn stack(&self, target: Horizon) -> &Stack {
        &self.stacks[target.index()]
    }
}

/// One ensemble's belief and each model's share of it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Combined {
    /// The event it forecasts.
    pub target: Horizon,
    /// The Beta and how far the models agree.
    pub belief: BetaBelief,
    /// |wⱼ| of the models that had a reading, normalised; 0 for the others.
    pub weights: [f64; 3],
}

/// Concentration bounds, as for a single model.
const MIN_CONCENTRATION: f64 = 2.0;
const MAX_CONCENTRATION: f64 = 10_000.0;

/// The stacked forecast of `stack.target` from the readings; None when no
/// model with a non-zero weight has one.
///
/// Its concentration carries the models' own uncertainty through the
/// weights: each Beta's variance of p, in logit units, is weighted by w²
/// and summed, and mapped back to p. Agreement is |Σ |wⱼ| leanⱼ| / Σ |wⱼ
/// leanⱼ| over the signed leans wⱼ(logit pⱼ): 1 when every weighted model
/// pushes the same way.
pub fn combine(readings: &[Option<BetaOut>; 3], stack: &Stack) -> Option<Combined> {
    let (mut z, mut var_z, mut push, mut abs_push) = (0.0, 0.0, 0.0, 0.0);
    let mut weights = [0.0; 3];
    let mut any = false;
    for (i, r) in readings.iter().enumerate() {
        let w = stack.weights[i];
        let Some(b) = r else { continue };
        if w == 0.0 {
            continue;
        }
        any = true;
        let p = b.probability().clamp(1e-6, 1.0 - 1e-6);
        let l = logit(p);
        z += w * l;
        // Var(p) of a Beta is p(1 − p)/(κ + 1); in logit units divide by
        // (p(1 − p))².
        let var_p = p * (1.0 - p) / (b.concentration() + 1.0);
        var_z += w * w * var_p / (p * (1.0 - p)).powi(2);
        push += w * l;
        abs_push += (w * l).abs();
        weights[i] = w.abs();
    }
    if !any {
        return None;
    }
    let total: f64 = weights.iter().sum();
    let p = sigmoid(z).clamp(1e-6, 1.0 - 1e-6);
    let var_p = (p * (1.0 - p)).powi(2) * var_z;
    let k = if var_p > 0.0 {
        (p * (1.0 - p) / var_p - 1.0).clamp(MIN_CONCENTRATION, MAX_CONCENTRATION)
    } else {
        MAX_CONCENTRATION
    };
    let agreement = if abs_push > 0.0 {
        push.abs() / abs_push
    } else {
        1.0
    };
    Some(Combined {
        target: stack.target,
        belief: BetaBelief {
            alpha: p * k,
            beta: (1.0 - p) * k,
            agreement,
        },
        weights: weights.map(|w| if total > 0.0 { w / total } else { 0.0 }),
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

    fn stack(weights: [f64; 3]) -> Stack {
        Stack {
            target: Horizon::Medium,
            weights,
            samples: 1,
            log_loss: 0.69,
            ridge: 1.0,
        }
    }

    #[test]
    fn the_default_ensemble_is_its_own_model() {
        let c = combine(
            &[b(0.7, 50.0), b(0.55, 200.0), b(0.4, 80.0)],
            &Stack::own_model(Horizon::Medium),
        )
        .expect("medium read");
        assert!((c.belief.probability() - 0.55).abs() < 1e-12);
        assert!((c.belief.concentration() - 200.0).abs() < 1e-6);
        assert_eq!(c.weights, [0.0, 1.0, 0.0]);
        assert!(
            combine(
                &[b(0.7, 50.0), None, None],
                &Stack::own_model(Horizon::Medium)
            )
            .is_none()
        );
    }

    #[test]
    fn logits_add_with_their_weights() {
        // logit 0.6 = 0.405…; 2 × it + 0.5 × logit 0.45.
        let c = combine(
            &[b(0.6, 100.0), b(0.45, 100.0), None],
            &stack([2.0, 0.5, 1.0]),
        )
        .expect("combined");
        let z = 2.0 * logit(0.6) + 0.5 * logit(0.45);
        assert!((c.belief.probability() - sigmoid(z)).abs() < 1e-12);
        assert_eq!(c.weights, [0.8, 0.2, 0.0]);
        assert!(c.belief.agreement < 1.0);
        let same_way = combine(
            &[b(0.6, 100.0), b(0.55, 100.0), None],
            &stack([1.0, 1.0, 0.0]),
        )
        .expect("combined");
        assert_eq!(same_way.belief.agreement, 1.0);
    }

    #[test]
    fn uncertain_models_make_an_uncertain_ensemble() {
        let sure = combine(
            &[b(0.6, 5000.0), b(0.6, 5000.0), None],
            &stack([0.5, 0.5, 0.0]),
        )
        .expect("sure");
        let unsure =
            combine(&[b(0.6, 20.0), b(0.6, 20.0), None], &stack([0.5, 0.5, 0.0])).expect("unsure");
        assert!(sure.belief.concentration() > 10.0 * unsure.belief.concentration());
    }

    #[test]
    fn a_stacking_file_reads_back_and_a_wrong_order_is_refused() {
        let s = Stacking::default();
        let text = serde_json::to_string(&s).expect("json");
        assert_eq!(Stacking::from_json("e.json", &text).expect("reads"), s);
        let swapped = text.replacen("\"short\"", "\"long\"", 1);
        assert!(Stacking::from_json("e.json", &swapped).is_err());
    }
}
