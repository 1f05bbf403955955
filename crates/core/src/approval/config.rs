//! `[approval]`: manual or automatic approval, and the auto policy's thresholds.

use crate::validation::{Invalid, range};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalMode {
    /// The operator decides every opportunity.
    Manual,
    /// The auto policy approves those above its thresholds.
    Auto,
    /// Everything is approved as it appears (the gate still decides).
    All,
}

impl ApprovalMode {
    /// Upper-case name: `MANUAL`, `AUTO` or `ALL`.
    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalMode::Manual => "MANUAL",
            ApprovalMode::Auto => "AUTO",
            ApprovalMode::All => "ALL",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalConfig {
    /// manual (default) or auto.
    pub mode: ApprovalMode,
    /// How far a price may move against the trade between the screen and
    /// the approval, percent of the shown price.
    pub shown_price_tolerance_pct: Decimal,
    /// How much of the shown edge may be lost before the approval is
    /// refused, percent of the shown edge.
    pub shown_edge_tolerance_pct: Decimal,
}

/// Tolerances are percentages in [0, 100]. (The auto policy's thresholds
/// belong to each scanner's section and are checked there.)
pub fn validate(approval: &ApprovalConfig) -> Result<(), Invalid> {
    let (zero, hundred) = (Decimal::ZERO, Decimal::ONE_HUNDRED);
    for (key, v) in [
        (
            "shown_price_tolerance_pct",
            approval.shown_price_tolerance_pct,
        ),
        (
            "shown_edge_tolerance_pct",
            approval.shown_edge_tolerance_pct,
        ),
    ] {
        range(format!("approval.{key}"), v, zero, hundred)?;
    }
    Ok(())
}
