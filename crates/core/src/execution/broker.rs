//! The broker seam: what every broker, simulated or live, offers the
//! drivers.
//!
//! Requests (`submit`, `cancel`, `cancel_all`) return at once with a
//! `Result` saying whether the request was handed over; what then happens to
//! the order arrives later as [`ExecutionReport`]s, which the driver feeds to
//! the engine on its one ordered event feed. A request that fails becomes a
//! report too (`Rejected`, `CancelRejected`), so the engine never waits on an
//! order nobody has.
//!
//! Queries (`open_orders`, `positions`, `balances`) return what the venue
//! says, for reconciliation and for "flat" to mean "the venue says flat".
//!
//! Simulated venues run on market time: they see each market event
//! (`on_market`), say when their next action is due (`next_due`) and run
//! what is due (`advance`). A live adapter leaves `on_market` and
//! `next_due` alone and hands over, in `advance`, the reports its private
//! stream has delivered, so the same driver runs both.

use super::ExecutionReport;
use crate::domain::{AccountId, InstrumentId, Order, OrderId, Side, Timestamp, VenueId};
use crate::market::{MarketEvent, Ring};
use rust_decimal::Decimal;
use serde::Serialize;

/// Why a broker could not take a request or answer a query.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BrokerError {
    /// The broker cannot be reached (disconnected, timed out, halted):
    /// nothing was placed, and the request may be retried later.
    #[error("{broker} unavailable: {reason}")]
    Unavailable {
        broker: String,
        /// What the connection said.
        reason: String,
    },
    /// The broker refused the request (bad parameters, insufficient funds,
    /// unknown order).
    #[error("{broker} refused: {reason}")]
    Refused {
        broker: String,
        /// The broker's own reason.
        reason: String,
    },
    /// No broker serves this account.
    #[error("no broker serves account {0}")]
    NoBroker(u16),
}

/// An order the venue holds open.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OpenOrder {
    /// Our client order id.
    pub order_id: OrderId,
    /// Account it belongs to.
    pub account: AccountId,
    pub instrument: InstrumentId,
    /// Venue it rests on.
    pub venue: VenueId,
    pub side: Side,
    /// Quantity still open (not filled).
    pub open_qty: Decimal,
    /// Limit price, if it has one.
    pub limit_price: Option<Decimal>,
    /// Stop price, if it has one.
    pub stop_price: Option<Decimal>,
}

/// A holding as the venue reports it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BrokerPosition {
    pub account: AccountId,
    /// Instrument (the underlying, for a binary contract).
    pub instrument: InstrumentId,
    pub venue: VenueId,
    /// Signed quantity: positive long, negative short; the stake, for a
    /// binary contract.
    pub qty: Decimal,
    /// Volume-weighted entry price (1 per unit staked, for a binary contract).
    pub avg_price: Decimal,
    /// The buying order's id for an open binary contract, `None` otherwise.
    pub contract: Option<OrderId>,
}

/// Cash in an account as the venue reports it, in the account's currency.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Balance {
    pub account: AccountId,
    /// Currency (for example `USDT`, `USD`).
    pub currency: String,
    /// Cash after every fill, fee and settlement the venue has applied.
    pub cash: Decimal,
}

/// A broker: a simulated venue or a live adapter. One instance may serve
/// several accounts; [`super::BrokerMap`] says which.
pub trait Broker: Send {
    /// Name shown in errors and the log (for example `paper`, `binance`).
    fn name(&self) -> &str;

    /// Hands an order, sent at `now`, to the venue.
    fn submit(&mut self, order: &Order, now: Timestamp) -> Result<(), BrokerError>;

    /// Asks the venue to cancel a working order of `account`.
    fn cancel(
        &mut self,
        account: AccountId,
        order_id: OrderId,
        now: Timestamp,
    ) -> Result<(), BrokerError>;

    /// Asks the venue to cancel every working order of `account`; returns
    /// how many cancels were sent.
    fn cancel_all(&mut self, account: AccountId, now: Timestamp) -> Result<usize, BrokerError>;

    /// Orders of `account` the venue holds open.
    fn open_orders(&self, account: AccountId) -> Result<Vec<OpenOrder>, BrokerError>;

    /// Holdings of `account` the venue reports.
    fn positions(&self, account: AccountId) -> Result<Vec<BrokerPosition>, BrokerError>;

    /// Cash of `account` the venue reports.
    fn balances(&self, account: AccountId) -> Result<Vec<Balance>, BrokerError>;

    /// Sees a market event (a simulated venue's book moves; a resting
    /// order may fill). Live adapters ignore it.
    fn on_market(&mut self, _event: &MarketEvent, _out: &mut Vec<ExecutionReport>) {}

    /// When the next scheduled action is due (simulated venues: an order
    /// arriving, a settlement). Live adapters have none.
    fn next_due(&self) -> Option<Timestamp> {
        None
    }

    /// Runs what is due at or before `until`, in time order, and hands over
    /// the reports (a live adapter: those its stream has delivered).
    fn advance(&mut self, until: Timestamp, out: &mut Vec<ExecutionReport>);

    /// What to ring when reports arrive on their own (a live adapter's
    /// stream), so the engine's thread sleeps until then instead of
    /// looking. Simulated venues have nothing to ring.
    fn set_ring(&mut self, _ring: std::sync::Arc<dyn Ring>) {}
}
