//! What the engine records: every decision, order, fill, trade, command and
//! state change. The store persists these; the cockpit shows them.

use super::event::{Command, CommandOrigin};
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
    pub ts: Timestamp,
    pub opportunity: OpportunityId,
    pub kind: OpportunityKind,
    pub instrument: InstrumentId,
    pub account: AccountId,
    /// Approved or Refused{reason}.
    pub verdict: Verdict,
    pub qty: Decimal,
    /// Price the size was valued at.
    pub price: Decimal,
    /// The sized value, `qty` × `price`.
    pub notional: Decimal,
    /// Ensemble α used, if any.
    pub alpha: Option<f64>,
    /// Ensemble β used, if any.
    pub beta: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Audit {
    /// A scanner found an opportunity.
    OpportunityOpened(Opportunity),
    /// An opportunity left the queue.
    OpportunityClosed {
        id: OpportunityId,
        kind: OpportunityKind,
        instrument: InstrumentId,
        /// Approved, rejected, expired or vanished.
        status: OpportunityStatus,
        ts: Timestamp,
    },
    /// The gate decided an intent.
    Decision(Decision),
    /// An order was created (written before it is sent).
    OrderCreated(Order),
    /// An order changed status or fill.
    OrderChanged {
        id: OrderId,
        status: OrderStatus,
        /// Cumulative filled quantity, not this change's.
        filled_qty: Decimal,
        avg_fill_price: Decimal,
        /// Fees paid so far, in the account currency.
        fees: Decimal,
        ts: Timestamp,
        /// Broker's reason, if any.
        note: Option<String>,
    },
    /// A fill was applied.
    Fill {
        fill: Fill,
        account: AccountId,
        instrument: InstrumentId,
        venue: VenueId,
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
        account: AccountId,
        cash: Decimal,
        risk: AccountRisk,
        ts: Timestamp,
    },
    /// The trading state changed.
    TradingStateChanged {
        from: TradingState,
        to: TradingState,
        /// Whether the kill switch is latched after the change.
        kill_latched: bool,
        cause: String,
        ts: Timestamp,
    },
    /// The win/loss record of an instrument and kind changed.
    LearningChanged {
        instrument: InstrumentId,
        kind: OpportunityKind,
        wins: u32,
        losses: u32,
    },
    /// An operator command arrived.
    Command {
        command: Command,
        /// What came of it.
        outcome: String,
        ts: Timestamp,
        /// Who sent it.
        origin: CommandOrigin,
    },
    /// An alert rule fired (`[alerts]`, the run's monitor): recorded in the
    /// same stream as what the engine does, so the log and the database
    /// keep it in order. The engine itself never raises one.
    Alert {
        /// The rule's name (`feed_down`, `daily_loss`, `kill_switch`, …).
        rule: String,
        /// What is wrong, with its numbers.
        text: String,
        ts: Timestamp,
    },
}
