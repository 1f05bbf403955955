//! The venue seam below the order manager: what a live adapter (Binance
//! Spot, Alpaca, …) offers, in the venue's own terms (its symbols, its
//! client order ids, its trade ids), and the errors that decide what the
//! order manager does next.
//!
//! The order manager ([`crate::manager`]) owns the guarantees (persist
//! before send, one client id per order, fills once by trade id,
//! reconciliation, the kill switch's "flat only when the venue says so");
//! an adapter only speaks its protocol and classifies each answer, most
//! importantly telling "the venue refused" from "the outcome is unknown".

use omni_core::domain::{OrderType, Side, TimeInForce};
use rust_decimal::Decimal;
use std::future::Future;
use tokio::sync::mpsc;

/// An order in the venue's terms, ready to send.
#[derive(Clone, Debug, PartialEq)]
pub struct PlaceRequest {
    /// Our client order id (the venue's `newClientOrderId`,
    /// `client_order_id`); the same for every try of this order.
    pub client_id: String,
    /// The venue's symbol (`BTCUSDT`, `BTC/USD`, `AAPL`).
    pub symbol: String,
    pub side: Side,
    pub kind: OrderType,
    pub tif: TimeInForce,
    pub qty: Decimal,
    pub limit: Option<Decimal>,
    pub stop: Option<Decimal>,
    /// Protective exits held at the venue (Alpaca bracket), where supported.
    pub take_profit: Option<Decimal>,
    pub stop_loss: Option<Decimal>,
}

/// Where an order stands at the venue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VenueOrderState {
    /// Accepted and working (nothing filled yet).
    New,
    PartiallyFilled,
    Filled,
    Cancelled,
    Rejected,
    /// Ended by its time in force (IOC remainder, market leftovers).
    Expired,
}

impl VenueOrderState {
    /// True when the venue will never fill more of it.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::Filled | Self::Cancelled | Self::Rejected | Self::Expired
        )
    }

    /// Stored and shown name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "NEW",
            Self::PartiallyFilled => "PARTIALLY_FILLED",
            Self::Filled => "FILLED",
            Self::Cancelled => "CANCELLED",
            Self::Rejected => "REJECTED",
            Self::Expired => "EXPIRED",
        }
    }
}

/// An order as the venue reports it (an answer to a place or a query, an
/// element of the open orders, a stream update).
#[derive(Clone, Debug, PartialEq)]
pub struct VenueOrder {
    /// Our client order id, or the venue's for an order we did not place
    /// (an order made by hand on the venue's site).
    pub client_id: String,
    /// The venue's own order id.
    pub venue_id: String,
    pub symbol: String,
    pub side: Side,
    /// Ordered quantity.
    pub qty: Decimal,
    /// Cumulative filled quantity.
    pub filled: Decimal,
    pub limit: Option<Decimal>,
    pub state: VenueOrderState,
    /// The venue's reason for a rejection or expiry, if it gave one.
    pub reason: Option<String>,
}

/// One execution as the venue reports it.
#[derive(Clone, Debug, PartialEq)]
pub struct VenueFill {
    /// The venue's trade (execution) id: fills are applied once by it.
    pub trade_id: String,
    /// Our client order id when the venue echoes it.
    pub client_id: Option<String>,
    pub venue_order_id: String,
    pub symbol: String,
    pub side: Side,
    /// This execution's quantity alone.
    pub qty: Decimal,
    pub price: Decimal,
    /// Fee charged, in `fee_asset`.
    pub fee: Decimal,
    pub fee_asset: String,
    /// Venue time, ms since the epoch.
    pub ts_ms: i64,
}

/// A holding as the venue reports it: a position (Alpaca) or a balance
/// of one asset (Binance spot, where a position is a balance).
#[derive(Clone, Debug, PartialEq)]
pub struct VenueHolding {
    /// Position symbol (`AAPL`, `BTC/USD`) or asset (`BTC`).
    pub symbol: String,
    /// Signed quantity (negative short); free plus locked for a balance.
    pub qty: Decimal,
    /// Average entry price where the venue keeps one.
    pub avg_price: Option<Decimal>,
}

/// Cash as the venue reports it.
#[derive(Clone, Debug, PartialEq)]
pub struct VenueCash {
    /// Currency or asset (`USD`, `USDT`).
    pub currency: String,
    /// Cash (Alpaca `cash`; Binance free plus locked of the quote asset).
    pub amount: Decimal,
    /// What the venue reports as equity, where it reports one.
    pub equity: Option<Decimal>,
    /// Margin in use and still available, where the venue reports them
    /// (a margin or forex account).
    pub margin_used: Option<Decimal>,
    pub margin_available: Option<Decimal>,
}

/// What a close of holdings by the venue's own means started: the closing
/// orders (named by the venue's client ids when the venue makes them) and
/// each holding left open, with why.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FlattenOutcome {
    pub orders: Vec<VenueOrder>,
    pub left: Vec<(String, String)>,
}

/// What a venue's private stream delivers.
#[derive(Clone, Debug, PartialEq)]
pub enum StreamEvent {
    /// The stream is authorized and listening (again): whatever happened
    /// while it was down must be fetched by query.
    Connected,
    /// An order changed state.
    Order(VenueOrder),
    /// An execution; it may arrive together with an `Order` update.
    Fill(VenueFill),
    /// The stream ended; the adapter's `stream` returns after this.
    Disconnected(String),
}

/// What an adapter could not do, classified for the order manager.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// The venue refused the request for good (insufficient balance, a
    /// filter, unknown symbol): nothing was placed; never retried.
    #[error("refused ({code}): {message}")]
    Refused { code: String, message: String },
    /// The client order id is already in use at the venue: for a place,
    /// "already placed", to be resolved by query, never by a new id.
    #[error("duplicate client order id")]
    DuplicateClientId,
    /// The venue does not know this order (query or cancel).
    #[error("unknown order")]
    NotFound,
    /// Too many requests: nothing more until `retry_after_ms` has passed
    /// (HTTP 429/418 with `Retry-After`).
    #[error("rate limited for {retry_after_ms} ms")]
    RateLimited { retry_after_ms: u64 },
    /// The request may have reached the venue but no answer came back (a
    /// timeout, a dropped connection after sending, a 5xx, Binance
    /// `-1007`, a reply that cannot be parsed): the order stays IN_FLIGHT
    /// until a query or the stream resolves it.
    #[error("outcome unknown: {0}")]
    OutcomeUnknown(String),
    /// The venue could not be reached; the request never left (connection
    /// refused, DNS). Safe to retry.
    #[error("unreachable: {0}")]
    Unreachable(String),
    /// The keys were refused (bad key, signature, permission).
    #[error("authentication refused: {0}")]
    Auth(String),
}

/// A venue's trading API. Each method is one or a few requests; the
/// order manager decides when to call which, and never calls `place` twice
/// with one client id unless `query` said the venue has no such order.
pub trait VenueApi: Send + Sync + 'static {
    /// Name in the log and on screen (`binance`, `alpaca`).
    fn name(&self) -> &'static str;

    /// True when the endpoint is the venue's test or paper service.
    fn is_test_endpoint(&self) -> bool;

    /// The venue's symbol for an instrument of the catalog (`BTC/USDT` →
    /// `BTCUSDT` on Binance).
    fn symbol(&self, instrument: &str) -> String;

    /// Loads what sending needs: the clock offset to the venue, symbol
    /// filters, account capabilities. Called before the first order and
    /// after a reconnect.
    fn prepare(&self, symbols: &[String]) -> impl Future<Output = Result<(), ApiError>> + Send;

    /// Applies the venue's filters to an order before it is sent: rounds
    /// quantity down to the lot step and the price to the tick, refuses
    /// below the minimum quantity or notional (with the filter's name).
    /// `reference` prices a market order's notional.
    fn conform(&self, req: &mut PlaceRequest, reference: Decimal) -> Result<(), String>;

    /// Places an order under `req.client_id`.
    fn place(
        &self,
        req: &PlaceRequest,
    ) -> impl Future<Output = Result<VenueOrder, ApiError>> + Send;

    /// Cancels an order by our client id.
    fn cancel(
        &self,
        symbol: &str,
        client_id: &str,
    ) -> impl Future<Output = Result<(), ApiError>> + Send;

    /// The order with this client id, or `None` if the venue never had it.
    fn query(
        &self,
        symbol: &str,
        client_id: &str,
    ) -> impl Future<Output = Result<Option<VenueOrder>, ApiError>> + Send;

    /// Every order the account has open at the venue, ours or not.
    fn open_orders(&self) -> impl Future<Output = Result<Vec<VenueOrder>, ApiError>> + Send;

    /// Executions of one order (by the venue's order id).
    fn fills(
        &self,
        symbol: &str,
        venue_order_id: &str,
    ) -> impl Future<Output = Result<Vec<VenueFill>, ApiError>> + Send;

    /// Positions, or non-zero balances for a spot venue.
    fn holdings(&self) -> impl Future<Output = Result<Vec<VenueHolding>, ApiError>> + Send;

    /// Cash (and equity, where reported) of the account.
    fn cash(&self) -> impl Future<Output = Result<Vec<VenueCash>, ApiError>> + Send;

    /// Cancels every open order of the account, including ones we did not
    /// place; returns how many the venue confirmed cancelled. Items the
    /// venue reports as already gone count as done.
    fn cancel_all(&self) -> impl Future<Output = Result<usize, ApiError>> + Send;

    /// True when the venue closes positions itself (Alpaca
    /// `DELETE /v2/positions`, OANDA's position close): the kill switch
    /// then closes every position of the account with [`Self::flatten`]
    /// instead of sending the engine's own flatten orders, and the account
    /// is flat only when the venue holds no position at all. False on a
    /// spot venue, where a "position" is a balance and the engine's market
    /// sells are the venue's own means.
    fn closes_positions(&self) -> bool {
        false
    }

    /// True when the cash [`Self::cash`] reports is what is left after
    /// paying for the open positions (a spot venue; Alpaca); false when
    /// positions are on margin and the balance leaves them out (OANDA,
    /// TradeLocker). The book adopts the venue's cash accordingly.
    fn cash_paid_for_positions(&self) -> bool {
        true
    }

    /// Closes these holdings by the venue's own means (Alpaca
    /// `DELETE /v2/positions?cancel_orders=true`; on a spot venue, market
    /// orders selling the given quantities, which the caller has already
    /// measured against the account's baseline). Returns the closing
    /// orders it started and what could not be closed, with why.
    fn flatten(
        &self,
        holdings: &[VenueHolding],
    ) -> impl Future<Output = Result<FlattenOutcome, ApiError>> + Send;

    /// Runs the private stream until it ends: connects, authenticates,
    /// subscribes, sends [`StreamEvent::Connected`], then every update,
    /// and [`StreamEvent::Disconnected`] last. The order manager restarts
    /// it with a capped backoff and reconciles by query after each
    /// `Connected`.
    fn stream(&self, tx: mpsc::Sender<StreamEvent>) -> impl Future<Output = ()> + Send;
}

/// A transport failure (no answer was read) of a request that may have
/// left: only a connection that never opened, and did not time out
/// opening, is known not to have reached the venue; anything else may
/// have, so its outcome is unknown. The text carries the cause, never the
/// URL (which may carry a query).
pub(crate) fn transport_error(e: reqwest::Error) -> ApiError {
    let e = e.without_url();
    let text = e.to_string();
    let detail = std::error::Error::source(&e).map_or(String::new(), |s| format!(" ({s})"));
    if e.is_connect() && !e.is_timeout() {
        ApiError::Unreachable(format!("{text}{detail}"))
    } else {
        ApiError::OutcomeUnknown(format!("{text}{detail}"))
    }
}
