//! What the engine records: every decision, order, fill, trade, command and
//! state change. The store persists these; the cockpit shows them.

use super::event::Command;
use crate::domain::{
    AccountId, Fill, InstrumentId, Opportunity, OpportunityId, OpportunityKind, OpportunityStatus,
    Order, OrderId, OrderStatus, Side, Timestamp, VenueId,
};
use crate::portfolio::{ClosedTrade, Position, PositionKey};
use crate::risk::{AccountRisk, TradingState, Verdict};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The gate's answer for one account's intent, with what it was based on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// When.
    pub ts: Timestamp,
    /// The opportunity.
    pub opportunity: OpportunityId,
    /// Its kind.
    pub kind: OpportunityKind,
    /// Instrument.
    pub instrument: InstrumentId,
    /// Account.
    pub account: AccountId,
    /// Approved or Refused{reason}.
    pub verdict: Verdict,
    /// Sized quantity.
    pub qty: Decimal,
    /// Price the size was valued at.
    pub price: Decimal,
    /// Notional.
    pub notional: Decimal,
    /// Ensemble α used, if any.
    pub alpha: Option<f64>,
    /// Ensemble β used, if any.
    pub beta: Option<f64>,
}

/// One audit record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Audit {
    /// A scanner found an opportunity.
    OpportunityOpened(Opportunity),
    /// An opportunity left the queue.
    OpportunityClosed {
        /// Which.
        id: OpportunityId,
        /// Kind.
        kind: OpportunityKind,
        /// Instrument.
        instrument: InstrumentId,
        /// Approved, rejected, expired or vanished.
        status: OpportunityStatus,
        /// When.
        ts: Timestamp,
    },
    /// The gate decided an intent.
    Decision(Decision),
    /// An order was created (written before it is sent).
    OrderCreated(Order),
    /// An order changed status or fill.
    OrderChanged {
        /// Order.
        id: OrderId,
        /// New status.
        status: OrderStatus,
        /// Filled so far.
        filled_qty: Decimal,
        /// Average fill price.
        avg_fill_price: Decimal,
        /// Fees so far.
        fees: Decimal,
        /// When.
        ts: Timestamp,
        /// Broker's reason, if any.
        note: Option<String>,
    },
    /// A fill was applied.
    Fill {
        /// The fill.
        fill: Fill,
        /// Account.
        account: AccountId,
        /// Instrument.
        instrument: InstrumentId,
        /// Venue.
        venue: VenueId,
        /// Side.
        side: Side,
    },
    /// A round trip closed.
    TradeClosed(ClosedTrade),
    /// A position changed (quantity zero: closed).
    PositionChanged(Position),
    /// A position was removed without a trade (restore reconciliation).
    PositionRemoved(PositionKey),
    /// An account's cash or risk counters changed.
    AccountChanged {
        /// Account.
        account: AccountId,
        /// Cash.
        cash: Decimal,
        /// Risk counters.
        risk: AccountRisk,
        /// When.
        ts: Timestamp,
    },
    /// The trading state changed.
    TradingStateChanged {
        /// Before.
        from: TradingState,
        /// After.
        to: TradingState,
        /// Whether the kill switch is latched after the change.
        kill_latched: bool,
        /// Why.
        cause: String,
        /// When.
        ts: Timestamp,
    },
    /// The win/loss record of an instrument and kind changed.
    LearningChanged {
        /// Instrument.
        instrument: InstrumentId,
        /// Kind.
        kind: OpportunityKind,
        /// Winning trades.
        wins: u32,
        /// Losing trades.
        losses: u32,
    },
    /// An operator command arrived.
    Command {
        /// The command.
        command: Command,
        /// What came of it.
        outcome: String,
        /// When.
        ts: Timestamp,
    },
}
