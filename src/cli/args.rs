//! Typed command-line values: clap refuses anything else with the list of
//! what it accepts, so no command parses a string by hand.

use clap::ValueEnum;
use omni_core::approval::ApprovalMode;
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
    /// All three.
    All,
}

impl ModelArg {
    /// The horizons to train.
    pub fn horizons(self) -> Vec<Horizon> {
        match self {
            ModelArg::Short => vec![Horizon::Short],
            ModelArg::Medium => vec![Horizon::Medium],
            ModelArg::Long => vec![Horizon::Long],
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
