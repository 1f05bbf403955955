//! A horizon model: a bag of logistic regressions (one per block-bootstrap
//! resample of the training days), without an intercept, whose mean is
//! calibrated on the validation period and whose Beta concentration says
//! how much evidence stands behind that probability.
//!
//! No intercept: a learned bias would carry the training period's drift
//! (52 % ups in a rising market) into every later forecast as a standing
//! "up" call. Without one, the model says ½ unless its features lean.

use crate::domain::Timeframe;
use crate::features::{ALL_FEATURE_NAMES, FeatureInput, feature_index};
use serde::{Deserialize, Serialize};

/// The file format name written into every model.
pub const MODEL_FORMAT: &str = "omni-tui-beta-model";
/// The model file version this build reads and writes.
pub const MODEL_VERSION: u32 = 2;

/// Which of the three models.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Horizon {
    /// Minutes ahead.
    Short,
    /// About an hour ahead.
    Medium,
    /// A day ahead.
    Long,
}

impl Horizon {
    /// All three, shortest first.
    pub const ALL: [Horizon; 3] = [Horizon::Short, Horizon::Medium, Horizon::Long];

    /// Lower-case name, also the model's file stem.
    pub fn as_str(self) -> &'static str {
        match self {
            Horizon::Short => "short",
            Horizon::Medium => "medium",
            Horizon::Long => "long",
        }
    }

    /// The bars the model reads.
    pub fn timeframe(self) -> Timeframe {
        match self {
            Horizon::Short => Timeframe::M1,
            Horizon::Medium => Timeframe::M5,
            Horizon::Long => Timeframe::H1,
        }
    }

    /// How many of its bars ahead it predicts: 5 minutes, 60 minutes, 24 hours.
    pub fn horizon_bars(self) -> usize {
        match self {
            Horizon::Short => 5,
            Horizon::Medium => 12,
            Horizon::Long => 24,
        }
    }

    /// Index 0, 1, 2.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Beta(α, β) over P(price higher at the horizon).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BetaOut {
    pub alpha: f64,
    pub beta: f64,
}

impl BetaOut {
    /// Mean α / (α + β).
    pub fn probability(&self) -> f64 {
        self.alpha / (self.alpha + self.beta)
    }
    /// Concentration α + β: the model's confidence.
    pub fn concentration(&self) -> f64 {
        self.alpha + self.beta
    }
}

/// One series' part in training: which rows went where.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeriesSplit {
    pub name: String,
    /// Files, as given on the command line.
    pub files: Vec<String>,
    /// First training sample (UTC).
    pub train_from: String,
    /// First validation sample.
    pub validation_from: String,
    /// First test sample (held back: never used to train or choose).
    pub test_from: String,
    /// Last sample.
    pub test_to: String,
    /// Samples in train, validation and test.
    pub samples: [usize; 3],
}

/// How the model was made.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainingInfo {
    /// Seed of the resampling and the minibatch order.
    pub seed: u64,
    /// L2 penalty chosen on the validation period.
    pub l2: f64,
    /// Epochs each member trained before early stopping picked it.
    pub epochs: Vec<usize>,
    /// Validation log loss of the bag.
    pub validation_log_loss: f64,
    /// Share of ups in the training samples (the majority baseline).
    pub train_base_rate: f64,
    /// Accuracy of "same sign as the last bar's return" in training (the
    /// last-return baseline's probability).
    pub last_return_accuracy: f64,
    /// Members that never beat "½ always" on validation even after refits,
    /// left out of the bag.
    pub dropped_members: usize,
    pub series: Vec<SeriesSplit>,
    /// Share of the training samples in which each feature had its inputs
    /// (in `features` order); written only for models that read a context
    /// feature (the bar features always have theirs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub feature_coverage: Vec<f64>,
}

/// How the bag's mean becomes a probability, and how sure of it to be:
/// both fitted on the validation period (never on training or test data).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// p = σ(slope · logit(bag mean)): above 1 the bag was too timid,
    /// below 1 too bold. No offset, for the reason the members have none.
    pub slope: f64,
    /// How far the true chance of "up" wanders from the calibrated
    /// forecast from one day to the next (a variance, estimated from each
    /// validation day's surplus of ups over what was forecast). Added to
    /// the members' disagreement, it sets the Beta's concentration.
    pub day_variance: f64,
}

/// One horizon's model, as stored in its JSON file (`short.json` and so on).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// Always [`MODEL_FORMAT`].
    pub format: String,
    /// Must equal [`MODEL_VERSION`]; files of other versions are refused.
    pub version: u32,
    /// short, medium or long.
    pub horizon: Horizon,
    /// Bars read (M1, M5, H1).
    pub timeframe: String,
    /// How many bars of `timeframe` ahead the model predicts.
    pub horizon_bars: usize,
    /// Names of the features it reads, in weight order: any of
    /// [`ALL_FEATURE_NAMES`] (files before the context features name the
    /// 15 bar features). A name this build does not compute is refused.
    pub features: Vec<String>,
    /// Training means of the features.
    pub feature_mean: Vec<f64>,
    /// Training standard deviations of the features.
    pub feature_std: Vec<f64>,
    /// Weights per member: one per feature, then the bias (0: see the
    /// module docs).
    pub members: Vec<Vec<f64>>,
    /// The calibration of the bag's mean, and the spread of the truth
    /// around it.
    pub calibration: Calibration,
    /// How and on which data the model was trained.
    pub training: TrainingInfo,
    /// Where each of `features` sits in [`ALL_FEATURE_NAMES`]; resolved by
    /// [`Model::checked`], not stored.
    #[serde(skip)]
    pub columns: Vec<usize>,
}

/// Why a model file was refused.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// Not JSON of the right shape.
    #[error("{0}: {1}")]
    Parse(String, String),
    /// A different format or version, or features this build does not compute.
    #[error("{0}: {1}")]
    Incompatible(String, String),
    #[error("{0}: {1}")]
    Read(String, std::io::Error),
}

/// Logistic function 1 / (1 + e^−z), computed so that the exponential never overflows.
pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// Concentration bounds: even a unanimous bag is not certainty, and a split
/// one still says something.
const MIN_CONCENTRATION: f64 = 2.0;
const MAX_CONCENTRATION: f64 = 10_000.0;

impl Model {
    /// Parses and checks a model file.
    pub fn from_json(name: &str, text: &str) -> Result<Self, ModelError> {
        let m: Model = serde_json::from_str(text)
            .map_err(|e| ModelError::Parse(name.into(), e.to_string()))?;
        m.checked(name)
    }

    /// Checks a model (format, version, features, shapes) and resolves its
    /// features' places in the vectors this build computes.
    pub fn checked(mut self, name: &str) -> Result<Self, ModelError> {
        let m = &self;
        if m.format != MODEL_FORMAT || m.version != MODEL_VERSION {
            return Err(ModelError::Incompatible(
                name.into(),
                format!(
                    "format {} v{}; this build reads {MODEL_FORMAT} v{MODEL_VERSION}",
                    m.format, m.version
                ),
            ));
        }
        let mut columns = Vec::with_capacity(m.features.len());
        for f in &m.features {
            let Some(i) = feature_index(f) else {
                return Err(ModelError::Incompatible(
                    name.into(),
                    format!(
                        "its features include `{f}`, which this build does not compute (it computes: {})",
                        ALL_FEATURE_NAMES.join(", ")
                    ),
                ));
            };
            if columns.contains(&i) {
                return Err(ModelError::Incompatible(
                    name.into(),
                    format!("feature `{f}` is named twice in its features"),
                ));
            }
            columns.push(i);
        }
        let d = columns.len();
        let shapes_ok = d > 0
            && m.feature_mean.len() == d
            && m.feature_std.len() == d
            && m.feature_std.iter().all(|s| s.is_finite() && *s > 0.0)
            && !m.members.is_empty()
            && m.members.iter().all(|w| w.len() == d + 1)
            && m.calibration.slope.is_finite()
            && m.calibration.slope >= 0.0
            && m.calibration.day_variance.is_finite()
            && m.calibration.day_variance >= 0.0;
        if !shapes_ok || m.timeframe != m.horizon.timeframe().as_str() {
            return Err(ModelError::Incompatible(
                name.into(),
                "inconsistent shapes or timeframe".into(),
            ));
        }
        self.columns = columns;
        Ok(self)
    }

    /// The model's standardised inputs: an unavailable feature is 0 (its
    /// training mean: no information either way). Returns them and how
    /// many of the model's features were unavailable.
    pub fn standardise(&self, x: &(impl FeatureInput + ?Sized)) -> (Vec<f64>, usize) {
        let mut missing = 0;
        let z = self
            .columns
            .iter()
            .zip(&self.feature_mean)
            .zip(&self.feature_std)
            .map(|((&c, m), s)| match x.feature(c) {
                Some(v) => (v - m) / s,
                None => {
                    missing += 1;
                    0.0
                }
            })
            .collect();
        (z, missing)
    }

    /// Each member's P(up) for a feature vector.
    pub fn member_probabilities(
        &self,
        x: &(impl FeatureInput + ?Sized),
    ) -> impl Iterator<Item = f64> + '_ {
        let (z, _) = self.standardise(x);
        self.member_probabilities_z(z)
    }

    fn member_probabilities_z(&self, z: Vec<f64>) -> impl Iterator<Item = f64> + '_ {
        let d = self.columns.len();
        self.members.iter().map(move |w| {
            let logit = w[d] + z.iter().zip(w).map(|(a, b)| a * b).sum::<f64>();
            sigmoid(logit)
        })
    }

    /// The calibrated Beta: its mean is σ(slope · logit(m)) for the
    /// members' mean m, and its variance the members' variance carried
    /// through the calibration plus the day-to-day variance, so
    /// α + β = p(1 − p)/variance − 1.
    pub fn predict(&self, x: &(impl FeatureInput + ?Sized)) -> BetaOut {
        self.predict_counting(x).0
    }

    /// [`Model::predict`], and how many of the model's features were
    /// unavailable for it (read as their training means).
    pub fn predict_counting(&self, x: &(impl FeatureInput + ?Sized)) -> (BetaOut, usize) {
        let (z, missing) = self.standardise(x);
        let ps: Vec<f64> = self.member_probabilities_z(z).collect();
        let (m, v) = bag_moments(&ps);
        (calibrated_beta(m, v, &self.calibration), missing)
    }
}

/// Mean and sample variance of the members' probabilities (variance 0 for
/// one member).
pub fn bag_moments(ps: &[f64]) -> (f64, f64) {
    let n = ps.len().max(1) as f64;
    let m = (ps.iter().sum::<f64>() / n).clamp(1e-6, 1.0 - 1e-6);
    let v = if ps.len() > 1 {
        ps.iter().map(|p| (p - m).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    (m, v)
}

/// log(p / (1 − p)).
pub fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

/// The Beta of a bag with mean `m` and variance `v` under `cal`.
pub fn calibrated_beta(m: f64, v: f64, cal: &Calibration) -> BetaOut {
    let p = sigmoid(cal.slope * logit(m)).clamp(1e-6, 1.0 - 1e-6);
    // dp/dm of the calibration, to carry the members' spread through it.
    let gain = cal.slope * p * (1.0 - p) / (m * (1.0 - m));
    let variance = v * gain * gain + cal.day_variance;
    let k = if variance > 0.0 {
        (p * (1.0 - p) / variance - 1.0).clamp(MIN_CONCENTRATION, MAX_CONCENTRATION)
    } else {
        MAX_CONCENTRATION
    };
    BetaOut {
        alpha: p * k,
        beta: (1.0 - p) * k,
    }
}

/// Moment-matched Beta of a set of probabilities (no calibration).
pub fn beta_from_samples(ps: &[f64]) -> BetaOut {
    let (m, v) = bag_moments(ps);
    calibrated_beta(
        m,
        v,
        &Calibration {
            slope: 1.0,
            day_variance: 0.0,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moment_matching_recovers_mean_and_spread() {
        let b = beta_from_samples(&[0.55, 0.57, 0.53, 0.55]);
        assert!((b.probability() - 0.55).abs() < 1e-12);
        // variance 0.000266…: κ = 0.2475 / 0.000266 − 1 ≈ 927
        assert!(
            (b.concentration() - 927.125).abs() < 0.01,
            "{}",
            b.concentration()
        );
        let tight = beta_from_samples(&[0.55, 0.55]);
        assert_eq!(tight.concentration(), MAX_CONCENTRATION);
        let split = beta_from_samples(&[0.1, 0.9]);
        assert_eq!(split.concentration(), MIN_CONCENTRATION);
    }

    #[test]
    fn calibration_stretches_a_timid_bag_and_day_variance_caps_the_concentration() {
        let cal = Calibration {
            slope: 3.0,
            day_variance: 0.001,
        };
        let b = calibrated_beta(0.52, 0.0, &cal);
        // σ(3 · logit(0.52)) = 0.52³ / (0.52³ + 0.48³) ≈ 0.559745
        assert!(
            (b.probability() - 0.559_745).abs() < 1e-5,
            "{}",
            b.probability()
        );
        // No disagreement: only the day variance, p(1 − p) / 0.001 − 1.
        let k = b.probability() * (1.0 - b.probability()) / 0.001 - 1.0;
        assert!(
            (b.concentration() - k).abs() < 1e-6,
            "{}",
            b.concentration()
        );
        // The members' spread adds to it, so the Beta is wider.
        assert!(calibrated_beta(0.52, 1e-4, &cal).concentration() < b.concentration());
        // Slope 0: every forecast is ½.
        let flat = Calibration {
            slope: 0.0,
            day_variance: 0.0,
        };
        assert_eq!(calibrated_beta(0.7, 0.01, &flat).probability(), 0.5);
    }

    #[test]
    fn sigmoid_is_stable_at_the_extremes() {
        assert_eq!(sigmoid(0.0), 0.5);
        assert!(sigmoid(800.0) <= 1.0 && sigmoid(-800.0) >= 0.0);
        assert!((sigmoid(2.0) + sigmoid(-2.0) - 1.0).abs() < 1e-15);
    }
}
