//! Typed command-line values: clap refuses anything else with the list of
//! what it accepts, so no command parses a string by hand.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use clap::ValueEnum;
use omni_core::approval::ApprovalMode;
use omni_core::domain::Timestamp;
use omni_core::ensemble::Horizon;
use omni_research::dataset::Split;

/// `--approve`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ApproveArg {
    /// Approve nothing: opportunities expire unless the operator acts.
    Manual,
    /// Approve every opportunity (the gate still decides).
    All,
    /// Apply the auto policy's thresholds.
    Auto,
}

impl From<ApproveArg> for ApprovalMode {
    fn from(a: ApproveArg) -> Self {
        match a {
            ApproveArg::Manual => ApprovalMode::Manual,
            ApproveArg::All => ApprovalMode::All,
            ApproveArg::Auto => ApprovalMode::Auto,
        }
    }
}

/// `train --model`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ModelArg {
    /// 5 minutes ahead on M1 bars.
    Short,
    /// 60 minutes ahead on M5 bars.
    Medium,
    /// 24 hours ahead on H1 bars.
    Long,
    /// The three ensembles' weights (stacking) over the models already in
    /// --out, fitted on the validation part of the --data series (M1 data
    /// feeds all three timeframes).
    Ensemble,
    /// Binary contracts' calibration (binary.json): the short ensemble in
    /// --out mapped to 1- to 5-minute expiries, fitted on the validation
    /// part of the --data series (M1 bars).
    Binary,
    /// The three models, then the ensembles and the binary calibration on
    /// the same data.
    All,
}

impl ModelArg {
    /// The models to train (none for the ensembles alone).
    pub fn horizons(self) -> Vec<Horizon> {
        match self {
            ModelArg::Short => vec![Horizon::Short],
            ModelArg::Medium => vec![Horizon::Medium],
            ModelArg::Long => vec![Horizon::Long],
            ModelArg::Ensemble | ModelArg::Binary => Vec::new(),
            ModelArg::All => Horizon::ALL.to_vec(),
        }
    }
}

/// `eval --split`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SplitArg {
    /// Every bar of each series.
    All,
    /// The first 60 % (what training fits on).
    Train,
    /// The next 20 % (what training stops on).
    Validation,
    /// The last 20 %, never seen by training.
    Test,
}

impl SplitArg {
    /// The split, and its name for the report.
    pub fn split(self) -> (Split, &'static str) {
        match self {
            SplitArg::All => (Split::All, "all"),
            SplitArg::Train => (Split::Train, "train"),
            SplitArg::Validation => (Split::Validation, "validation"),
            SplitArg::Test => (Split::Test, "test"),
        }
    }
}

/// `trades --since`: a date, from its midnight UTC (`2025-03-04`), or a
/// date and time, RFC 3339 with its offset (`2025-03-04T07:00:00Z`,
/// `2025-03-04T09:00:00+02:00`) or UTC without one (`2025-03-04T07:00:00`).
pub fn parse_since(s: &str) -> Result<Timestamp, String> {
    let utc = if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        Some(d.and_time(NaiveTime::MIN).and_utc())
    } else if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        Some(t.with_timezone(&Utc))
    } else {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
            .ok()
            .map(|t| t.and_utc())
    };
    let Some(utc) = utc else {
        return Err(
            "expected a date (2025-03-04) or a date and time (2025-03-04T07:00:00Z)".to_string(),
        );
    };
    // Timestamps are i64 nanoseconds: 1677 to 2262.
    utc.timestamp_nanos_opt()
        .map(Timestamp)
        .ok_or_else(|| format!("{utc} is outside the years 1678 to 2261 this program can store"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_a_date_or_a_date_and_time_in_utc() {
        let t = |s: &str| parse_since(s).map(|t| t.to_string());
        assert_eq!(t("2025-03-04").as_deref(), Ok("2025-03-04 00:00:00.000"));
        assert_eq!(
            t("2025-03-04T07:00:00Z").as_deref(),
            Ok("2025-03-04 07:00:00.000")
        );
        assert_eq!(
            t("2025-03-04T09:00:00.5+02:00").as_deref(),
            Ok("2025-03-04 07:00:00.500")
        );
        assert_eq!(
            t("2025-03-04T07:00:00").as_deref(),
            Ok("2025-03-04 07:00:00.000")
        );
        for bad in ["", "yesterday", "04/03/2025", "2025-02-30", "1500-01-01"] {
            assert!(parse_since(bad).is_err(), "{bad}");
        }
    }
}
