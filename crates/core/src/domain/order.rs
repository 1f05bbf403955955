//! Orders, their lifecycle, and fills.

use super::ids::{AccountId, InstrumentId, OpportunityId, OrderId, VenueId};
use super::opportunity::BinaryContract;
use super::time::Timestamp;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Side {
    Buy,
    Sell,
}

impl Side {
    pub fn opposite(self) -> Side {
        match self {
            Side::Buy => Side::Sell,
            Side::Sell => Side::Buy,
        }
    }
    /// +1 for buy, -1 for sell, as a Decimal multiplier.
    pub fn sign(self) -> Decimal {
        match self {
            Side::Buy => Decimal::ONE,
            Side::Sell => Decimal::NEGATIVE_ONE,
        }
    }
    /// `BUY` or `SELL`.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Buy => "BUY",
            Side::Sell => "SELL",
        }
    }
}

/// How the order is priced.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderType {
    /// At the best available price.
    Market,
    /// At the limit price or better.
    Limit,
    /// A market order once the stop price trades.
    Stop,
    /// A limit order once the stop price trades.
    StopLimit,
}

impl OrderType {
    /// Upper-case name, e.g. `STOP_LIMIT`.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderType::Market => "MARKET",
            OrderType::Limit => "LIMIT",
            OrderType::Stop => "STOP",
            OrderType::StopLimit => "STOP_LIMIT",
        }
    }
}

/// How long an order works.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TimeInForce {
    /// Good till cancelled: works until filled or cancelled.
    Gtc,
    /// Fill what can be filled on arrival, cancel the rest.
    Ioc,
}

/// Where an order is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    /// Created and sent; no answer from the venue yet.
    Pending,
    /// Accepted by the venue, nothing filled.
    Open,
    /// Partly filled and still working.
    Partial,
    Filled,
    /// Cancelled (possibly after partial fills).
    Cancelled,
    /// Refused by the venue.
    Rejected,
    /// Ended by its time in force without (complete) fill.
    Expired,
}

impl OrderStatus {
    /// True once the order can no longer change.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            OrderStatus::Filled
                | OrderStatus::Cancelled
                | OrderStatus::Rejected
                | OrderStatus::Expired
        )
    }
    /// Upper-case name, e.g. `PARTIAL`.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "PENDING",
            OrderStatus::Open => "OPEN",
            OrderStatus::Partial => "PARTIAL",
            OrderStatus::Filled => "FILLED",
            OrderStatus::Cancelled => "CANCELLED",
            OrderStatus::Rejected => "REJECTED",
            OrderStatus::Expired => "EXPIRED",
        }
    }
    /// Parses the upper-case name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "PENDING" => OrderStatus::Pending,
            "OPEN" => OrderStatus::Open,
            "PARTIAL" => OrderStatus::Partial,
            "FILLED" => OrderStatus::Filled,
            "CANCELLED" => OrderStatus::Cancelled,
            "REJECTED" => OrderStatus::Rejected,
            "EXPIRED" => OrderStatus::Expired,
            _ => return None,
        })
    }
}

/// Why an exit closed a position.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExitReason {
    /// Price reached the stop-loss.
    StopLoss,
    /// Price reached the take-profit.
    TakeProfit,
    /// A binary option reached its expiry.
    Expiry,
    /// The kill switch flattened it.
    Flatten,
    /// The second leg of an arbitrage closed the first.
    Arbitrage,
    /// An orphaned arbitrage leg was unwound.
    Unwind,
    /// An opposite signal's entry closed it.
    Signal,
    /// The operator closed it by hand (`Command::ClosePosition`).
    Operator,
}

impl ExitReason {
    /// Lower-case name, e.g. `stop_loss`.
    pub fn as_str(self) -> &'static str {
        match self {
            ExitReason::StopLoss => "stop_loss",
            ExitReason::TakeProfit => "take_profit",
            ExitReason::Expiry => "expiry",
            ExitReason::Flatten => "flatten",
            ExitReason::Arbitrage => "arbitrage",
            ExitReason::Unwind => "unwind",
            ExitReason::Signal => "signal",
            ExitReason::Operator => "operator",
        }
    }
}

/// Why the engine sent an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderPurpose {
    /// Opens exposure for an approved opportunity.
    Entry,
    /// One leg of an approved arbitrage.
    ArbitrageLeg,
    /// Closes a position at its stop-loss or take-profit.
    Exit,
    /// Closes a position because the kill switch fired (bypasses the gate).
    Flatten,
    /// Closes the residue of an arbitrage whose legs filled unevenly.
    Unwind,
    /// One leg of an approved triangular cycle.
    CycleLeg,
}

impl OrderPurpose {
    /// Lower-case name, e.g. `arbitrage_leg`.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderPurpose::Entry => "entry",
            OrderPurpose::ArbitrageLeg => "arbitrage_leg",
            OrderPurpose::Exit => "exit",
            OrderPurpose::Flatten => "flatten",
            OrderPurpose::Unwind => "unwind",
            OrderPurpose::CycleLeg => "cycle_leg",
        }
    }
    /// True for orders that can only reduce exposure.
    pub fn reduces_risk(self) -> bool {
        matches!(
            self,
            OrderPurpose::Exit | OrderPurpose::Flatten | OrderPurpose::Unwind
        )
    }
}

/// An order as the engine tracks it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Order {
    pub id: OrderId,
    /// Account it trades for.
    pub account: AccountId,
    /// Instrument (the underlying, for binary options).
    pub instrument: InstrumentId,
    /// Venue it goes to.
    pub venue: VenueId,
    pub side: Side,
    /// Market, limit, stop or stop-limit.
    pub order_type: OrderType,
    pub tif: TimeInForce,
    /// Quantity (the stake, for binary options).
    pub qty: Decimal,
    /// Limit price, for limit and stop-limit orders.
    pub limit_price: Option<Decimal>,
    /// Stop (trigger) price, for stop and stop-limit orders.
    pub stop_price: Option<Decimal>,
    /// The price the engine expected when it sent the order (collar reference).
    pub reference_price: Decimal,
    pub status: OrderStatus,
    /// Quantity filled so far.
    pub filled_qty: Decimal,
    /// Average fill price so far.
    pub avg_fill_price: Decimal,
    /// Fees paid so far, in the account currency.
    pub fees: Decimal,
    /// Why it was sent.
    pub purpose: OrderPurpose,
    /// Exit reason, for exit, flatten and unwind orders.
    pub exit_reason: Option<ExitReason>,
    /// The opportunity it came from.
    pub opportunity: Option<OpportunityId>,
    /// The contract terms, for binary options.
    pub binary: Option<BinaryContract>,
    /// The position this order trades: the buying order's id for a binary
    /// contract (see `PositionKey::contract`), 0 otherwise.
    pub position_contract: u64,
    /// Stop-loss to attach to the position it opens.
    pub stop_loss: Option<Decimal>,
    /// Take-profit to attach to the position it opens.
    pub take_profit: Option<Decimal>,
    /// When the engine created it.
    pub created: Timestamp,
    pub updated: Timestamp,
}

impl Order {
    /// Quantity not yet filled.
    pub fn remaining(&self) -> Decimal {
        self.qty - self.filled_qty
    }
}

/// One execution of (part of) an order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fill {
    pub order_id: OrderId,
    /// The venue's trade id; fills are deduplicated by it.
    pub trade_id: String,
    pub qty: Decimal,
    pub price: Decimal,
    /// Fee charged, in the account currency.
    pub fee: Decimal,
    /// When the venue filled it.
    pub ts: Timestamp,
}
