//! Binary contracts scored against what was claimed when they were bought:
//! the scanner's probability for the side, and whether the side won at
//! settlement. The last [`WINDOW`] settled contracts give the claimed and
//! realised win rates and the Brier score the cockpit shows, so a model
//! that says 0.6 and wins 40 % of the time is seen saying so.

use crate::domain::OrderId;
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};

/// Settled contracts the record keeps.
pub const WINDOW: usize = 200;
/// Claims kept for contracts not settled yet (sold back before expiry,
/// say): the oldest go first beyond this.
const MAX_OPEN_CLAIMS: usize = 10_000;

/// Claimed against realised, over the last settled contracts.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct BinaryScore {
    /// Settled contracts scored (ties, which refund the stake, are not).
    pub n: usize,
    /// Mean probability claimed for the side bought.
    pub claimed: f64,
    /// Share that won.
    pub realized: f64,
    /// Mean of (claimed − won)²: 0.25 for a coin called at ½.
    pub brier: f64,
}

/// The claims of open contracts and the last settled ones.
#[derive(Clone, Debug, Default)]
pub struct BinaryRecord {
    claims: BTreeMap<OrderId, f64>,
    settled: VecDeque<(f64, bool)>,
}

impl BinaryRecord {
    /// A contract bought with `probability` claimed for its side.
    pub fn claim(&mut self, contract: OrderId, probability: f64) {
        self.claims.insert(contract, probability);
        while self.claims.len() > MAX_OPEN_CLAIMS {
            self.claims.pop_first();
        }
    }

    /// A contract settled: `value` per unit staked, above 1 a win, below a
    /// loss, 1 a tie (not scored). A contract with no claim (bought before
    /// a restart) is not scored.
    pub fn settle(&mut self, contract: OrderId, value: rust_decimal::Decimal) {
        let Some(p) = self.claims.remove(&contract) else {
            return;
        };
        let won = match value.cmp(&rust_decimal::Decimal::ONE) {
            std::cmp::Ordering::Greater => true,
            std::cmp::Ordering::Less => false,
            std::cmp::Ordering::Equal => return,
        };
        self.settled.push_back((p, won));
        if self.settled.len() > WINDOW {
            self.settled.pop_front();
        }
    }

    /// The score of the last settled contracts; None before the first.
    pub fn score(&self) -> Option<BinaryScore> {
        let n = self.settled.len();
        if n == 0 {
            return None;
        }
        let nf = n as f64;
        let y = |won: bool| f64::from(u8::from(won));
        Some(BinaryScore {
            n,
            claimed: self.settled.iter().map(|(p, _)| p).sum::<f64>() / nf,
            realized: self.settled.iter().map(|(_, w)| y(*w)).sum::<f64>() / nf,
            brier: self
                .settled
                .iter()
                .map(|(p, w)| (p - y(*w)).powi(2))
                .sum::<f64>()
                / nf,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    #[test]
    fn wins_losses_and_ties_are_scored_against_the_claim() {
        let mut r = BinaryRecord::default();
        assert!(r.score().is_none());
        r.claim(OrderId(1), 0.6);
        r.claim(OrderId(2), 0.7);
        r.claim(OrderId(3), 0.65);
        r.settle(OrderId(1), Decimal::new(185, 2)); // won: 1 + payout
        r.settle(OrderId(2), Decimal::ZERO); // lost
        r.settle(OrderId(3), Decimal::ONE); // tie: refunded, not scored
        r.settle(OrderId(9), Decimal::ZERO); // never claimed
        let s = r.score().expect("two settled");
        assert_eq!(s.n, 2);
        assert!((s.claimed - 0.65).abs() < 1e-12);
        assert!((s.realized - 0.5).abs() < 1e-12);
        assert!((s.brier - (0.16 + 0.49) / 2.0).abs() < 1e-12);
    }

    #[test]
    fn only_the_last_window_counts() {
        let mut r = BinaryRecord::default();
        for i in 0..(WINDOW as u64 + 50) {
            r.claim(OrderId(i), 0.6);
            // The first 50 win, the rest lose.
            r.settle(
                OrderId(i),
                if i < 50 { Decimal::TWO } else { Decimal::ZERO },
            );
        }
        let s = r.score().expect("settled");
        assert_eq!(s.n, WINDOW);
        assert_eq!(s.realized, 0.0);
    }
}
