//! The win probability of a binary contract, calibrated on history: the
//! 5-minute ensemble's P(up) mapped to the contract's expiry.
//!
//! p(up after T) = σ(a(T) · logit p₅), with the slope a(T) fitted on real
//! minute bars (`omni-tui train --model binary`, `assets/models/binary.json`)
//! at whole minutes up to the 5-minute model's horizon. Between fitted
//! expiries a(T) is interpolated linearly; below the shortest it shrinks as
//! √T (a drift seen over less time stands out less from the noise); past
//! the longest as 1/√T (the 5-minute forecast says nothing about what
//! comes after its horizon, while the noise keeps growing). Without a file
//! the same shape is taken from the random walk alone: a(300 s) = 1.
//!
//! No intercept, for the reason the models have none: a trending training
//! period must not become a permanent "up".

use super::ModelError;
use super::model::{logit, sigmoid};
use serde::{Deserialize, Serialize};

/// The file format name of `binary.json`.
pub const BINARY_FORMAT: &str = "omni-tui-binary";
/// The `binary.json` version this build reads and writes.
pub const BINARY_VERSION: u32 = 1;
/// The horizon of the forecast being mapped (the short model's), seconds.
pub const SOURCE_HORIZON_SECS: i64 = 300;

/// One fitted expiry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExpiryPoint {
    /// Seconds from purchase to settlement.
    pub expiry_secs: i64,
    /// a(T): the logit of the 5-minute forecast is multiplied by it.
    pub slope: f64,
    /// Forecasts it was fitted on.
    pub samples: usize,
    /// Log loss on those forecasts at the fitted slope.
    pub log_loss: f64,
}

/// The slopes of `binary.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BinaryCalibration {
    /// Always [`BINARY_FORMAT`].
    pub format: String,
    /// Must equal [`BINARY_VERSION`].
    pub version: u32,
    /// Fitted expiries, shortest first (empty: the random walk's shape).
    pub points: Vec<ExpiryPoint>,
    /// The data the slopes were fitted on (files as given).
    pub files: Vec<String>,
}

impl Default for BinaryCalibration {
    /// The random walk's shape, nothing fitted.
    fn default() -> Self {
        Self {
            format: BINARY_FORMAT.into(),
            version: BINARY_VERSION,
            points: Vec::new(),
            files: Vec::new(),
        }
    }
}

impl BinaryCalibration {
    /// Parses and checks `binary.json`: expiries positive and increasing,
    /// slopes finite.
    pub fn from_json(name: &str, text: &str) -> Result<Self, ModelError> {
        let c: BinaryCalibration = serde_json::from_str(text)
            .map_err(|e| ModelError::Parse(name.into(), e.to_string()))?;
        if c.format != BINARY_FORMAT || c.version != BINARY_VERSION {
            return Err(ModelError::Incompatible(
                name.into(),
                format!(
                    "format {} v{}; this build reads {BINARY_FORMAT} v{BINARY_VERSION}",
                    c.format, c.version
                ),
            ));
        }
        let ordered = c
            .points
            .windows(2)
            .all(|w| w[0].expiry_secs < w[1].expiry_secs)
            && c.points
                .iter()
                .all(|p| p.expiry_secs > 0 && p.slope.is_finite());
        if !ordered {
            return Err(ModelError::Incompatible(
                name.into(),
                "points must have increasing positive expiries and finite slopes".into(),
            ));
        }
        Ok(c)
    }

    /// a(T) for a contract of `expiry_secs` (see the module's docs).
    pub fn slope(&self, expiry_secs: i64) -> f64 {
        let t = expiry_secs.max(1) as f64;
        let (first, last) = match (self.points.first(), self.points.last()) {
            (Some(f), Some(l)) => (f, l),
            _ => {
                let h = SOURCE_HORIZON_SECS as f64;
                return if t <= h {
                    (t / h).sqrt()
                } else {
                    (h / t).sqrt()
                };
            }
        };
        if t <= first.expiry_secs as f64 {
            return first.slope * (t / first.expiry_secs as f64).sqrt();
        }
        if t >= last.expiry_secs as f64 {
            return last.slope * (last.expiry_secs as f64 / t).sqrt();
        }
        for w in self.points.windows(2) {
            let (a, b) = (w[0].expiry_secs as f64, w[1].expiry_secs as f64);
            if t <= b {
                let s = (t - a) / (b - a);
                return w[0].slope + s * (w[1].slope - w[0].slope);
            }
        }
        last.slope
    }

    /// P(up after `expiry_secs`) from the 5-minute forecast `p_short_up`.
    pub fn p_up(&self, p_short_up: f64, expiry_secs: i64) -> f64 {
        sigmoid(self.slope(expiry_secs) * logit(p_short_up))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fitted() -> BinaryCalibration {
        BinaryCalibration {
            points: [(60, 0.4), (120, 0.6), (300, 0.9)]
                .into_iter()
                .map(|(expiry_secs, slope)| ExpiryPoint {
                    expiry_secs,
                    slope,
                    samples: 10,
                    log_loss: 0.69,
                })
                .collect(),
            ..BinaryCalibration::default()
        }
    }

    #[test]
    fn the_random_walk_shape_without_a_file() {
        let c = BinaryCalibration::default();
        assert!((c.slope(300) - 1.0).abs() < 1e-12);
        assert!((c.slope(75) - 0.5).abs() < 1e-12);
        assert!((c.slope(1200) - 0.5).abs() < 1e-12);
        // Even stays even; a lean is kept in its direction and shrunk.
        assert!((c.p_up(0.5, 60) - 0.5).abs() < 1e-12);
        let p = c.p_up(0.6, 60);
        assert!(p > 0.5 && p < 0.6, "{p}");
    }

    #[test]
    fn fitted_slopes_interpolate_and_decay_outside() {
        let c = fitted();
        assert!((c.slope(60) - 0.4).abs() < 1e-12);
        assert!((c.slope(90) - 0.5).abs() < 1e-12);
        assert!((c.slope(210) - 0.75).abs() < 1e-12);
        assert!((c.slope(15) - 0.2).abs() < 1e-12);
        assert!((c.slope(1200) - 0.45).abs() < 1e-12);
        assert!((c.p_up(0.7, 300) - sigmoid(0.9 * logit(0.7))).abs() < 1e-12);
    }

    #[test]
    fn a_file_is_checked() {
        let good = serde_json::to_string(&fitted()).expect("serializes");
        assert_eq!(
            BinaryCalibration::from_json("b", &good).expect("valid"),
            fitted()
        );
        let mut unordered = fitted();
        unordered.points.swap(0, 1);
        let text = serde_json::to_string(&unordered).expect("serializes");
        assert!(BinaryCalibration::from_json("b", &text).is_err());
        let old = good.replace("\"version\":1", "\"version\":9");
        let err = BinaryCalibration::from_json("b.json", &old).expect_err("version");
        assert!(err.to_string().contains("b.json"), "{err}");
    }
}
