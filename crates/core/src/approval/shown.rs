//! Approve what you saw: the terms of an opportunity as the cockpit showed
//! them, carried with the operator's approval, and the check that the
//! opportunity has not moved against the trade since.

use super::config::ApprovalConfig;
use crate::domain::{Direction, OpportunityDetail};
use rust_decimal::Decimal;

pub use crate::domain::ShownTerms;

impl ShownTerms {
    /// The terms of an opportunity's numbers.
    pub fn of(detail: &OpportunityDetail) -> Self {
        detail.terms().shown()
    }

    /// Why the opportunity as it is `now` is not what was shown, if it moved
    /// against the trade past the configured tolerances: a different venue
    /// pair or direction, a price worse by more than
    /// `shown_price_tolerance_pct`, or an edge smaller by more than
    /// `shown_edge_tolerance_pct` of the shown one. Moves in the trader's
    /// favour are accepted.
    pub fn changed(&self, now: &ShownTerms, cfg: &ApprovalConfig) -> Option<String> {
        if now.venues != self.venues || now.direction != self.direction {
            return Some("the venues or the direction changed".into());
        }
        let hundred = Decimal::ONE_HUNDRED;
        // Worse means higher for what we buy and lower for what we sell.
        let worse = |shown: Decimal, now: Decimal, buy: bool| -> Decimal {
            if shown.is_zero() {
                return Decimal::ZERO;
            }
            let d = if buy { now - shown } else { shown - now };
            (d / shown.abs() * hundred).max(Decimal::ZERO)
        };
        let buying = self.direction != Direction::Down;
        let price_move = worse(self.price, now.price, buying);
        // The sell leg of an arbitrage; elsewhere other_price equals price.
        let other_move = if self.other_price == self.price {
            Decimal::ZERO
        } else {
            worse(self.other_price, now.other_price, false)
        };
        let tol = cfg.shown_price_tolerance_pct;
        if price_move > tol || other_move > tol {
            return Some(format!(
                "price moved {}% against the trade (shown {} / {}, now {} / {}; tolerance {}%)",
                price_move.max(other_move).round_dp(3),
                self.price,
                self.other_price,
                now.price,
                now.other_price,
                tol
            ));
        }
        let edge_loss = worse(self.edge, now.edge, false);
        if edge_loss > cfg.shown_edge_tolerance_pct {
            return Some(format!(
                "edge {} shown, {} now ({}% less; tolerance {}%)",
                self.edge,
                now.edge,
                edge_loss.round_dp(1),
                cfg.shown_edge_tolerance_pct
            ));
        }
        None
    }
}
