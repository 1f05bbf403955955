//! `[paper]`: the paper venue's fill model.

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
