//! One position: signed quantity, average price, realised P&L.

use crate::domain::{
    AccountId, BinaryContract, ExitReason, InstrumentId, OpportunityId, OpportunityKind, Side,
    Timestamp, VenueId,
};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Identifies a position. Binary contracts are each their own position
/// (keyed by the order that bought them); everything else nets per
/// account and instrument.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PositionKey {
    pub account: AccountId,
    pub instrument: InstrumentId,
    /// The buying order's id for a binary contract; 0 otherwise.
    pub contract: u64,
}

/// An open (or just closed) position, with the running numbers of the
/// round trip it belongs to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Position {
    pub key: PositionKey,
    /// Venue of the last opening fill: where exits are sent.
    pub venue: VenueId,
    /// Signed quantity: positive long, negative short.
    pub qty: Decimal,
    /// Average entry price of the open quantity.
    pub avg_price: Decimal,
    /// Realised P&L of this round trip so far, before fees.
    pub realized: Decimal,
    /// Fees paid in this round trip.
    pub fees: Decimal,
    /// Largest absolute quantity held in this round trip.
    pub peak_qty: Decimal,
    /// Sum of exit price × quantity, for the average exit price.
    pub exit_value: Decimal,
    /// Quantity exited so far in this round trip.
    pub exit_qty: Decimal,
    /// When the round trip opened.
    pub opened: Timestamp,
    pub updated: Timestamp,
    /// Stop-loss price, if any.
    pub stop_loss: Option<Decimal>,
    /// Take-profit price, if any.
    pub take_profit: Option<Decimal>,
    /// Contract terms, for a binary option.
    pub binary: Option<BinaryContract>,
    /// The opportunity that opened it.
    pub opportunity: Option<OpportunityId>,
    /// The kind of that opportunity.
    pub kind: Option<OpportunityKind>,
}

/// What one fill did to a position.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FillEffect {
    /// Realised P&L of the closed part, before fees.
    pub realized: Decimal,
    pub closed_qty: Decimal,
    /// True if the position went through zero to the other side.
    pub flipped: bool,
}

/// A finished round trip.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClosedTrade {
    pub account: AccountId,
    pub instrument: InstrumentId,
    /// BUY for a long round trip, SELL for a short one.
    pub side: Side,
    /// Largest quantity held.
    pub qty: Decimal,
    /// Average entry price.
    pub entry_price: Decimal,
    /// Average exit price.
    pub exit_price: Decimal,
    /// Realised P&L after fees.
    pub pnl: Decimal,
    /// Fees over the round trip, in the account currency (already taken out of `pnl`).
    pub fees: Decimal,
    pub opened: Timestamp,
    pub closed: Timestamp,
    pub reason: ExitReason,
    /// The opportunity that opened it.
    pub opportunity: Option<OpportunityId>,
    /// The kind of that opportunity.
    pub kind: Option<OpportunityKind>,
    /// The binary contract it closed, as struck (`None` for a position).
    #[serde(default)]
    pub contract: Option<BinaryContract>,
    /// The underlying's price at expiry, when the contract settled there
    /// (`None` when it was sold back before, and for a position).
    #[serde(default)]
    pub settle_price: Option<Decimal>,
}

impl Position {
    /// A flat position ready for its first fill.
    pub fn new(key: PositionKey, venue: VenueId, now: Timestamp) -> Self {
        Self {
            key,
            venue,
            qty: Decimal::ZERO,
            avg_price: Decimal::ZERO,
            realized: Decimal::ZERO,
            fees: Decimal::ZERO,
            peak_qty: Decimal::ZERO,
            exit_value: Decimal::ZERO,
            exit_qty: Decimal::ZERO,
            opened: now,
            updated: now,
            stop_loss: None,
            take_profit: None,
            binary: None,
            opportunity: None,
            kind: None,
        }
    }

    /// True with no open quantity.
    pub fn is_flat(&self) -> bool {
        self.qty.is_zero()
    }

    /// BUY if long, SELL if short.
    pub fn side(&self) -> Side {
        if self.qty < Decimal::ZERO {
            Side::Sell
        } else {
            Side::Buy
        }
    }

    /// Applies a fill with average-cost accounting: adding to a position
    /// moves the average; reducing realises (price − average) × quantity in
    /// the position's direction; crossing zero opens the remainder at the
    /// fill price.
    pub fn apply(
        &mut self,
        side: Side,
        qty: Decimal,
        price: Decimal,
        fee: Decimal,
        ts: Timestamp,
    ) -> FillEffect {
        let signed = side.sign() * qty;
        let mut effect = FillEffect::default();
        self.fees += fee;
        self.updated = ts;
        if self.qty.is_zero() || (self.qty > Decimal::ZERO) == (signed > Decimal::ZERO) {
            let held = self.qty.abs();
            self.avg_price = (self.avg_price * held + price * qty) / (held + qty);
            self.qty += signed;
        } else {
            let closed = qty.min(self.qty.abs());
            let direction = if self.qty > Decimal::ZERO {
                Decimal::ONE
            } else {
                Decimal::NEGATIVE_ONE
            };
            effect.realized = (price - self.avg_price) * closed * direction;
            effect.closed_qty = closed;
            self.realized += effect.realized;
            self.exit_value += price * closed;
            self.exit_qty += closed;
            self.qty += signed;
            if qty > closed {
                effect.flipped = true;
                self.avg_price = price;
            } else if self.qty.is_zero() {
                // Keep the entry average for the closed-trade record.
            }
        }
        if self.qty.abs() > self.peak_qty {
            self.peak_qty = self.qty.abs();
        }
        effect
    }

    /// Takes `qty` units out of the position without a trade: a fee the
    /// venue kept in the instrument itself. The average price stays (the
    /// fee was charged in money when the fill was booked, so no P&L moves);
    /// never past flat.
    pub fn take_fee_in_kind(&mut self, qty: Decimal, ts: Timestamp) {
        let taken = qty.abs().min(self.qty.abs());
        if self.qty > Decimal::ZERO {
            self.qty -= taken;
        } else {
            self.qty += taken;
        }
        self.updated = ts;
    }

    /// Unrealised P&L at `mark`.
    pub fn unrealized(&self, mark: Decimal) -> Decimal {
        (mark - self.avg_price) * self.qty
    }

    /// Absolute notional at `mark`.
    pub fn notional(&self, mark: Decimal) -> Decimal {
        (self.qty * mark).abs()
    }

    /// The closed-trade record of the round trip that just ended (with no
    /// settle price: a settlement sets it, see `Engine::on_binary_settled`).
    pub fn closed_trade(
        &self,
        side: Side,
        entry: Decimal,
        reason: ExitReason,
        ts: Timestamp,
    ) -> ClosedTrade {
        let exit_price = if self.exit_qty.is_zero() {
            Decimal::ZERO
        } else {
            self.exit_value / self.exit_qty
        };
        ClosedTrade {
            account: self.key.account,
            instrument: self.key.instrument,
            side,
            qty: self.peak_qty,
            entry_price: entry,
            exit_price,
            pnl: self.realized - self.fees,
            fees: self.fees,
            opened: self.opened,
            closed: ts,
            reason,
            opportunity: self.opportunity,
            kind: self.kind,
            contract: self.binary,
            settle_price: None,
        }
    }

    /// Starts a new round trip (after a close or a flip) at `ts`.
    pub fn reset_round_trip(&mut self, ts: Timestamp) {
        self.realized = Decimal::ZERO;
        self.fees = Decimal::ZERO;
        self.exit_value = Decimal::ZERO;
        self.exit_qty = Decimal::ZERO;
        self.peak_qty = self.qty.abs();
        self.opened = ts;
        self.stop_loss = None;
        self.take_profit = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    fn pos() -> Position {
        Position::new(
            PositionKey {
                account: AccountId(0),
                instrument: InstrumentId(0),
                contract: 0,
            },
            VenueId(0),
            Timestamp(0),
        )
    }

    #[test]
    fn average_cost_and_realised_pnl() {
        let mut p = pos();
        p.apply(Side::Buy, dec!(1), dec!(100), dec!(0.1), Timestamp(1));
        p.apply(Side::Buy, dec!(1), dec!(110), dec!(0.1), Timestamp(2));
        assert_eq!(p.avg_price, dec!(105));
        let e = p.apply(Side::Sell, dec!(1.5), dec!(120), dec!(0.1), Timestamp(3));
        assert_eq!(e.realized, dec!(22.5));
        assert_eq!(p.qty, dec!(0.5));
        assert_eq!(p.unrealized(dec!(100)), dec!(-2.5));
        let e = p.apply(Side::Sell, dec!(1.5), dec!(90), dec!(0), Timestamp(4));
        assert_eq!(e.realized, dec!(-7.5));
        assert!(e.flipped);
        assert_eq!(p.qty, dec!(-1));
        assert_eq!(p.avg_price, dec!(90));
        assert_eq!(p.fees, dec!(0.3));
    }

    #[test]
    fn short_round_trip() {
        let mut p = pos();
        p.apply(Side::Sell, dec!(2), dec!(50), dec!(0), Timestamp(1));
        let e = p.apply(Side::Buy, dec!(2), dec!(45), dec!(0), Timestamp(2));
        assert_eq!(e.realized, dec!(10));
        assert!(p.is_flat());
        let t = p.closed_trade(Side::Sell, dec!(50), ExitReason::TakeProfit, Timestamp(2));
        assert_eq!((t.qty, t.exit_price, t.pnl), (dec!(2), dec!(45), dec!(10)));
        assert_eq!((t.contract, t.settle_price), (None, None));
    }

    #[test]
    fn a_closed_contract_carries_its_terms() {
        use crate::domain::Direction;
        let terms = BinaryContract {
            direction: Direction::Up,
            strike: dec!(2010.2),
            expiry: Timestamp(60),
            payout: dec!(0.85),
        };
        let mut p = pos();
        p.binary = Some(terms);
        p.apply(Side::Buy, dec!(10), dec!(1), dec!(0), Timestamp(1));
        p.apply(Side::Sell, dec!(10), dec!(1.85), dec!(0), Timestamp(60));
        let t = p.closed_trade(Side::Buy, dec!(1), ExitReason::Expiry, Timestamp(60));
        assert_eq!(t.contract, Some(terms));
        assert_eq!(t.settle_price, None);
        assert_eq!(t.pnl, dec!(8.5));
    }
}
