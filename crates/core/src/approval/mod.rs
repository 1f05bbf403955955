//! Approval: the operator decides, or the auto policy approves above
//! thresholds. The gate still decides every resulting order.

pub mod config;
pub mod shown;

pub use config::{ApprovalConfig, ApprovalMode, AutoPolicyConfig};
pub use shown::ShownTerms;

use crate::domain::{Opportunity, OpportunityDetail};

/// The auto policy's thresholds.
#[derive(Clone, Debug, PartialEq)]
pub struct AutoPolicy {
    cfg: AutoPolicyConfig,
}

impl AutoPolicy {
    /// A policy with these thresholds.
    pub fn new(cfg: AutoPolicyConfig) -> Self {
        Self { cfg }
    }

    pub fn config(&self) -> &AutoPolicyConfig {
        &self.cfg
    }

    /// True if the policy approves this opportunity as it stands now.
    ///
    /// When the ensemble's belief is attached, forex and binary use the
    /// more cautious of the scanner's number and the ensemble's probability
    /// for the signal's side.
    pub fn approves(&self, opp: &Opportunity) -> bool {
        let c = &self.cfg;
        let ensemble_side = |up: bool| {
            opp.belief.map(|b| {
                let p = b.probability();
                if up { p } else { 1.0 - p }
            })
        };
        match &opp.detail {
            OpportunityDetail::Arbitrage(a) => {
                a.net_pct >= c.arbitrage_min_net_pct && a.risk_score < c.arbitrage_max_risk_score
            }
            OpportunityDetail::Forex(f) => {
                let up = f.direction == crate::domain::Direction::Up;
                let conf = ensemble_side(up).map_or(f.confidence, |p| p.min(f.confidence));
                conf >= c.forex_min_confidence && f.reward_risk >= c.forex_min_reward_risk
            }
            OpportunityDetail::Binary(b) => {
                let up = b.direction == crate::domain::Direction::Up;
                let p = ensemble_side(up).map_or(b.probability, |p| p.min(b.probability));
                p >= c.binary_min_probability && b.expiry_secs == c.binary_expiry_secs
            }
        }
    }
}
