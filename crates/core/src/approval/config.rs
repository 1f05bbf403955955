//! `[approval]`: manual or automatic approval, and the auto policy's thresholds.

use crate::validation::{Invalid, WEEK_SECS, range};
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
    /// Thresholds of the auto policy.
    pub auto: AutoPolicyConfig,
}

/// The auto policy: approve above every threshold of the opportunity's kind.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutoPolicyConfig {
    /// Arbitrage: minimum net edge, percent.
    pub arbitrage_min_net_pct: Decimal,
    /// Arbitrage: risk score must be below this.
    pub arbitrage_max_risk_score: u8,
    /// Forex: minimum confidence, 0..1.
    pub forex_min_confidence: f64,
    /// Forex: minimum reward/risk.
    pub forex_min_reward_risk: Decimal,
    /// Binary: minimum probability of the chosen side, 0..1.
    pub binary_min_probability: f64,
    /// Binary: only contracts with this expiry, seconds.
    pub binary_expiry_secs: i64,
}

/// Tolerances and edges are percentages in [0, 100], the risk score a
/// score the scanner can give (1 to 100), confidences in [0, 1],
/// probabilities the chosen side can reach (0.5 to 1) and the expiry one of
/// 1 s to a week, as `[scanners.binary]` allows.
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
    let a = &approval.auto;
    range(
        "approval.auto.arbitrage_min_net_pct",
        a.arbitrage_min_net_pct,
        zero,
        hundred,
    )?;
    range(
        "approval.auto.arbitrage_max_risk_score",
        a.arbitrage_max_risk_score,
        1,
        100,
    )?;
    range(
        "approval.auto.forex_min_confidence",
        a.forex_min_confidence,
        0.0,
        1.0,
    )?;
    range(
        "approval.auto.forex_min_reward_risk",
        a.forex_min_reward_risk,
        zero,
        hundred,
    )?;
    range(
        "approval.auto.binary_min_probability",
        a.binary_min_probability,
        0.5,
        1.0,
    )?;
    range(
        "approval.auto.binary_expiry_secs",
        a.binary_expiry_secs,
        1,
        WEEK_SECS,
    )?;
    Ok(())
}
