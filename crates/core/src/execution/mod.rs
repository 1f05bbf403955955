//! Execution: what the engine asks of brokers, what brokers report back,
//! and the broker seam every venue (simulated or live) sits behind.

pub mod broker;
pub mod broker_map;

pub use broker::{Balance, Broker, BrokerError, BrokerPosition, OpenOrder};
pub use broker_map::BrokerMap;

use crate::domain::{AccountId, BinaryContract, Order, OrderId, Side, Timestamp, VenueId};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A request leaving the engine for a broker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ExecutionRequest {
    /// Place this order (boxed: orders are large and cancels are common).
    Submit(Box<Order>),
    /// Cancel a working order.
    Cancel {
        order_id: OrderId,
        account: AccountId,
        venue: VenueId,
    },
    /// Cancel every open order of a live account at its venue, including
    /// orders this engine does not know (placed by hand, or before a
    /// crash), and keep reporting the venue's state
    /// ([`ExecutionReport::VenueState`]) until it is flat: the kill switch.
    CancelAll { account: AccountId },
}

/// Serde's default for a flag that is true unless said otherwise.
pub(crate) fn yes() -> bool {
    true
}

/// What a live venue reports of an account's money beyond its cash: the
/// prop-firm rules read its equity, the margin check its margin available.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VenueFunds {
    /// Equity (NAV: cash plus open positions at the venue's marks).
    pub equity: Option<Decimal>,
    pub margin_used: Option<Decimal>,
    pub margin_available: Option<Decimal>,
}

/// What a broker reports about an order. Reports enter the engine on the
/// same feed as market data, so their order relative to quotes is fixed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ExecutionReport {
    /// The venue accepted the order.
    Accepted { order_id: OrderId, ts: Timestamp },
    /// (Part of) the order filled.
    Filled {
        order_id: OrderId,
        /// The venue's trade id (fills are deduplicated by it).
        trade_id: String,
        /// Quantity of this fill alone, not the order's cumulative fill.
        qty: Decimal,
        /// Price (value per unit staked, for binary options).
        price: Decimal,
        /// Fee in the account currency.
        fee: Decimal,
        ts: Timestamp,
        /// The contract as struck by the venue, for binary purchases.
        contract: Option<BinaryContract>,
    },
    /// The rest of the order was cancelled.
    Cancelled {
        order_id: OrderId,
        ts: Timestamp,
        /// Why (e.g. `user`, `ioc remainder`).
        reason: String,
    },
    /// The order ended by its time in force with nothing (more) filled.
    Expired { order_id: OrderId, ts: Timestamp },
    /// The venue refused the order.
    Rejected {
        order_id: OrderId,
        ts: Timestamp,
        reason: String,
    },
    /// A cancel came too late (the order had already ended).
    CancelRejected {
        order_id: OrderId,
        ts: Timestamp,
        reason: String,
    },
    /// What a live venue reports of an account: how many orders it holds
    /// open (ours or not) and its positions above the account's baseline;
    /// or that it could not be asked. The kill switch says a live account
    /// is flat only on such a report, and a book that disagrees with it
    /// blocks the account's new entries.
    VenueState {
        account: AccountId,
        open_orders: u32,
        /// Signed quantity per instrument, non-zero only.
        positions: Vec<(crate::domain::InstrumentId, Decimal)>,
        /// Why the venue could not be asked (the counts are then unknown).
        unreachable: Option<String>,
        /// The account's cash in its currency as the venue reports it
        /// (what is left after paying for what it holds), when it does:
        /// adopted as the book's cash once book and venue agree.
        #[serde(default)]
        cash: Option<Decimal>,
        /// True when that cash is what is left after paying for the open
        /// positions (a spot venue, Alpaca); false when positions are on
        /// margin and the cash leaves them out, as the book's does (OANDA,
        /// TradeLocker).
        #[serde(default = "crate::execution::yes")]
        cash_paid_for_positions: bool,
        /// Positions the venue holds in symbols this account does not
        /// trade, counted where every position of the account is to be
        /// closed (a venue that closes positions itself, after K): the
        /// account is not flat while any is left.
        #[serde(default)]
        other_positions: u32,
        /// Equity and margin as the venue reports them, where it does.
        #[serde(default)]
        funds: VenueFunds,
        ts: Timestamp,
    },
    /// A venue kept part of what a buy delivered as its fee (Binance's
    /// default: the fee in the asset received). The fill's fee was already
    /// charged in money; this is the same fee in the instrument's units,
    /// so the position holds what the venue holds. Applied once per
    /// execution (`trade_id`).
    FeeInKind {
        account: AccountId,
        instrument: crate::domain::InstrumentId,
        /// The execution it belongs to.
        trade_id: String,
        /// Units of the instrument the venue kept.
        qty: Decimal,
        ts: Timestamp,
    },
    /// An exit the venue holds for a position and executed itself (a stop
    /// loss or take profit sent with the order that opened it, such as
    /// OANDA's `stopLossOnFill`): no order of the engine's filled. The
    /// engine books it as a fill reducing the account's position in the
    /// instrument (realised P&L, fee), once per `trade_id`, never beyond
    /// what the book holds, and its own stop for that position lapses with
    /// it; an in-flight close of its own for a position now flat is
    /// cancelled.
    VenueExit {
        account: AccountId,
        instrument: crate::domain::InstrumentId,
        /// The venue's execution id (fills are deduplicated by it).
        trade_id: String,
        /// The exit's side: the opposite of the position's.
        side: Side,
        /// Quantity of this execution alone.
        qty: Decimal,
        price: Decimal,
        /// Fee in the account currency.
        fee: Decimal,
        ts: Timestamp,
    },
    /// A binary contract settled at expiry.
    BinarySettled {
        /// The order that bought it.
        order_id: OrderId,
        /// Value per unit staked: 1 + payout on a win, 0 on a loss, 1 on a tie.
        price: Decimal,
        /// The underlying's price at expiry.
        settle_price: Decimal,
        ts: Timestamp,
    },
}

impl ExecutionReport {
    pub fn ts(&self) -> Timestamp {
        match self {
            ExecutionReport::Accepted { ts, .. }
            | ExecutionReport::Filled { ts, .. }
            | ExecutionReport::Cancelled { ts, .. }
            | ExecutionReport::Expired { ts, .. }
            | ExecutionReport::Rejected { ts, .. }
            | ExecutionReport::CancelRejected { ts, .. }
            | ExecutionReport::VenueState { ts, .. }
            | ExecutionReport::FeeInKind { ts, .. }
            | ExecutionReport::VenueExit { ts, .. }
            | ExecutionReport::BinarySettled { ts, .. } => *ts,
        }
    }

    /// Its time, to set (a live broker stamps what it hands over with the
    /// engine's time).
    pub fn ts_mut(&mut self) -> &mut Timestamp {
        match self {
            ExecutionReport::Accepted { ts, .. }
            | ExecutionReport::Filled { ts, .. }
            | ExecutionReport::Cancelled { ts, .. }
            | ExecutionReport::Expired { ts, .. }
            | ExecutionReport::Rejected { ts, .. }
            | ExecutionReport::CancelRejected { ts, .. }
            | ExecutionReport::VenueState { ts, .. }
            | ExecutionReport::FeeInKind { ts, .. }
            | ExecutionReport::VenueExit { ts, .. }
            | ExecutionReport::BinarySettled { ts, .. } => ts,
        }
    }
}
