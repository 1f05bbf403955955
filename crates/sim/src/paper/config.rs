//! `[paper]`: the paper venue's fill model.

use omni_core::validation::{Invalid, above, range};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The paper broker's fill model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaperConfig {
    /// Random extra latency per order, uniform 0..this, ms.
    pub latency_jitter_ms: u64,
    /// Price impact in basis points for taking one full top-of-book size.
    pub slippage_bps: Decimal,
    /// The book is assumed this many top-of-book sizes deep; beyond it an
    /// order fills partially and the rest is cancelled.
    pub depth_multiple: Decimal,
    /// Haircut (percent of fair value) when a binary option is sold back early.
    pub binary_sellback_haircut_pct: Decimal,
}

/// Checks `[paper]`: a jitter of at most a minute, a slippage of 0 to
/// 1000 bps (a negative one would turn every fill into a gain), a book
/// depth above 0 and at most 1000 top-of-book sizes, a haircut of 0 to 100 %.
pub fn validate(paper: &PaperConfig) -> Result<(), Invalid> {
    range(
        "paper.latency_jitter_ms",
        paper.latency_jitter_ms,
        0,
        60_000,
    )?;
    range(
        "paper.slippage_bps",
        paper.slippage_bps,
        Decimal::ZERO,
        Decimal::ONE_THOUSAND,
    )?;
    above(
        "paper.depth_multiple",
        paper.depth_multiple,
        Decimal::ZERO,
        Decimal::ONE_THOUSAND,
    )?;
    range(
        "paper.binary_sellback_haircut_pct",
        paper.binary_sellback_haircut_pct,
        Decimal::ZERO,
        Decimal::ONE_HUNDRED,
    )
}
