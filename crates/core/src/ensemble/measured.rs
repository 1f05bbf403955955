//! What each model was measured to be worth on data it never saw
//! (`assets/models/measured.json`, written by `omni-tui eval --measured`),
//! so the cockpit can say it beside the model's numbers: a forecast from a
//! model that misses the goal is shown as such.

use super::ModelError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The file format name of `measured.json`.
pub const MEASURED_FORMAT: &str = "omni-tui-measured";
/// The `measured.json` version this build reads and writes.
pub const MEASURED_VERSION: u32 = 1;
/// The goal's calibration bound: ECE on equal-mass bins.
pub const GOAL_MAX_ECE: f64 = 0.02;

/// One model's figures from `omni-tui eval`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Skill {
    /// Forecasts scored.
    pub n: usize,
    /// Brier skill against always forecasting the base rate.
    pub brier_skill: f64,
    /// Its 95 % day-block bootstrap interval.
    pub skill_low: f64,
    pub skill_high: f64,
    /// Expected calibration error on equal-mass bins.
    pub ece: f64,
    /// Rank correlation of accuracy with decisiveness.
    pub trend: f64,
}

impl Skill {
    /// The goal on unseen data: skill above zero with its interval above
    /// zero, ECE at most [`GOAL_MAX_ECE`], accuracy rising with
    /// decisiveness.
    pub fn meets_goal(&self) -> bool {
        self.skill_low > 0.0 && self.ece <= GOAL_MAX_ECE && self.trend > 0.0
    }

    /// What keeps it from the goal, in a few words (empty when it meets it).
    pub fn shortfall(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.skill_low <= 0.0 {
            out.push("skill");
        }
        if self.ece > GOAL_MAX_ECE {
            out.push("ece");
        }
        if self.trend <= 0.0 {
            out.push("trend");
        }
        out
    }
}

/// The figures of `measured.json`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Measured {
    /// Always [`MEASURED_FORMAT`] (empty for "nothing measured").
    pub format: String,
    /// Must equal [`MEASURED_VERSION`].
    pub version: u32,
    /// The data and split measured on, in words.
    pub data: String,
    /// By `eval`'s report key: short, medium, long, ensemble_*, binary_60s.
    pub models: BTreeMap<String, Skill>,
}

impl Measured {
    /// Parses and checks `measured.json`.
    pub fn from_json(name: &str, text: &str) -> Result<Self, ModelError> {
        let m: Measured = serde_json::from_str(text)
            .map_err(|e| ModelError::Parse(name.into(), e.to_string()))?;
        if m.format != MEASURED_FORMAT || m.version != MEASURED_VERSION {
            return Err(ModelError::Incompatible(
                name.into(),
                format!(
                    "format {} v{}; this build reads {MEASURED_FORMAT} v{MEASURED_VERSION}",
                    m.format, m.version
                ),
            ));
        }
        Ok(m)
    }

    /// The figures of one report key.
    pub fn of(&self, key: &str) -> Option<&Skill> {
        self.models.get(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skill(low: f64, ece: f64, trend: f64) -> Skill {
        Skill {
            n: 100,
            brier_skill: low + 0.001,
            skill_low: low,
            skill_high: low + 0.002,
            ece,
            trend,
        }
    }

    #[test]
    fn the_goal_needs_all_three() {
        assert!(skill(0.001, 0.012, 0.88).meets_goal());
        assert_eq!(skill(0.001, 0.012, 0.88).shortfall(), Vec::<&str>::new());
        assert_eq!(skill(0.0, 0.012, 0.88).shortfall(), ["skill"]);
        assert_eq!(skill(0.002, 0.027, 0.96).shortfall(), ["ece"]);
        assert_eq!(
            skill(-0.02, 0.05, -0.1).shortfall(),
            ["skill", "ece", "trend"]
        );
    }

    #[test]
    fn a_file_is_checked() {
        let mut m = Measured {
            format: MEASURED_FORMAT.into(),
            version: MEASURED_VERSION,
            data: "unseen".into(),
            models: BTreeMap::new(),
        };
        m.models.insert("short".into(), skill(0.001, 0.01, 0.5));
        let text = serde_json::to_string(&m).expect("serializes");
        assert_eq!(Measured::from_json("m", &text).expect("valid"), m);
        let other = text.replace("omni-tui-measured", "something-else");
        assert!(Measured::from_json("m", &other).is_err());
    }
}
