//! Execution: what the engine asks of brokers and what brokers report back.

pub mod paper;

use crate::domain::{AccountId, BinaryContract, Order, OrderId, Timestamp, VenueId};
use crate::market::MarketEvent;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A request leaving the engine for a broker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ExecutionRequest {
    /// Place this order (boxed: orders are large and cancels are common).
    Submit(Box<Order>),
    /// Cancel a working order.
    Cancel {
        /// The order.
        order_id: OrderId,
        /// Its account.
        account: AccountId,
        /// Its venue.
        venue: VenueId,
    },
}

/// What a broker reports about an order. Reports enter the engine on the
/// same feed as market data, so their order relative to quotes is fixed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ExecutionReport {
    /// The venue accepted the order.
    Accepted {
        /// Order.
        order_id: OrderId,
        /// When.
        ts: Timestamp,
    },
    /// (Part of) the order filled.
    Filled {
        /// Order.
        order_id: OrderId,
        /// The venue's trade id (fills are deduplicated by it).
        trade_id: String,
        /// Quantity.
        qty: Decimal,
        /// Price (value per unit staked, for binary options).
        price: Decimal,
        /// Fee in the account currency.
        fee: Decimal,
        /// When.
        ts: Timestamp,
        /// The contract as struck by the venue, for binary purchases.
        contract: Option<BinaryContract>,
    },
    /// The rest of the order was cancelled.
    Cancelled {
        /// Order.
        order_id: OrderId,
        /// When.
        ts: Timestamp,
        /// Why (e.g. `user`, `ioc remainder`).
        reason: String,
    },
    /// The order ended by its time in force with nothing (more) filled.
    Expired {
        /// Order.
        order_id: OrderId,
        /// When.
        ts: Timestamp,
    },
    /// The venue refused the order.
    Rejected {
        /// Order.
        order_id: OrderId,
        /// When.
        ts: Timestamp,
        /// Why.
        reason: String,
    },
    /// A cancel came too late (the order had already ended).
    CancelRejected {
        /// Order.
        order_id: OrderId,
        /// When.
        ts: Timestamp,
        /// Why.
        reason: String,
    },
    /// A binary contract settled at expiry.
    BinarySettled {
        /// The order that bought it.
        order_id: OrderId,
        /// Value per unit staked: 1 + payout on a win, 0 on a loss, 1 on a tie.
        price: Decimal,
        /// The underlying's price at expiry.
        settle_price: Decimal,
        /// When.
        ts: Timestamp,
    },
}

impl ExecutionReport {
    /// When it happened.
    pub fn ts(&self) -> Timestamp {
        match self {
            ExecutionReport::Accepted { ts, .. }
            | ExecutionReport::Filled { ts, .. }
            | ExecutionReport::Cancelled { ts, .. }
            | ExecutionReport::Expired { ts, .. }
            | ExecutionReport::Rejected { ts, .. }
            | ExecutionReport::CancelRejected { ts, .. }
            | ExecutionReport::BinarySettled { ts, .. } => *ts,
        }
    }
    /// The order it is about.
    pub fn order_id(&self) -> OrderId {
        match self {
            ExecutionReport::Accepted { order_id, .. }
            | ExecutionReport::Filled { order_id, .. }
            | ExecutionReport::Cancelled { order_id, .. }
            | ExecutionReport::Expired { order_id, .. }
            | ExecutionReport::Rejected { order_id, .. }
            | ExecutionReport::CancelRejected { order_id, .. }
            | ExecutionReport::BinarySettled { order_id, .. } => *order_id,
        }
    }
}

/// A broker the drivers hand requests to. Simulated brokers are driven by
/// time (`advance`) and by the market (`on_market`); both produce reports
/// with their own timestamps, which the driver feeds back to the engine.
pub trait ExecutionClient {
    /// Places an order sent at `now`.
    fn submit(&mut self, order: &Order, now: Timestamp);
    /// Cancels an order, requested at `now`.
    fn cancel(&mut self, order_id: OrderId, now: Timestamp);
    /// Sees a market event (the simulated venue's book moves).
    fn on_market(&mut self, event: &MarketEvent, out: &mut Vec<ExecutionReport>);
    /// Time of the next scheduled action (an order arriving, a settlement).
    fn next_due(&self) -> Option<Timestamp>;
    /// Runs every action due at or before `until`, in time order.
    fn advance(&mut self, until: Timestamp, out: &mut Vec<ExecutionReport>);
}
