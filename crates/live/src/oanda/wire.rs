//! OANDA v20's JSON shapes, read leniently (unknown fields ignored,
//! decimals from strings, most fields optional), and the pieces of their
//! translation into the venue seam's types.

use crate::api::VenueOrderState;
use omni_core::domain::Side;
use rust_decimal::Decimal;
use serde::Deserialize;

/// An error body: `{"errorCode":…,"errorMessage":…}`, either part missing,
/// with the reject transaction an order or position endpoint adds.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireError {
    #[serde(default)]
    pub error_code: Option<String>,
    #[serde(default)]
    pub error_message: Option<String>,
    #[serde(default)]
    pub order_reject_transaction: Option<WireTx>,
    #[serde(default)]
    pub order_cancel_reject_transaction: Option<WireTx>,
    #[serde(default)]
    pub long_order_reject_transaction: Option<WireTx>,
    #[serde(default)]
    pub short_order_reject_transaction: Option<WireTx>,
}

impl WireError {
    /// `errorCode`, else the `rejectReason` of the reject transaction.
    pub(crate) fn code(&self) -> Option<String> {
        self.error_code.clone().or_else(|| {
            [
                &self.order_reject_transaction,
                &self.order_cancel_reject_transaction,
                &self.long_order_reject_transaction,
                &self.short_order_reject_transaction,
            ]
            .into_iter()
            .flatten()
            .find_map(|t| t.reject_reason.clone())
        })
    }
}

/// `clientExtensions`.
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct WireExtensions {
    #[serde(default)]
    pub id: Option<String>,
}

/// Any transaction (or a stream heartbeat), with the fields we read.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireTx {
    #[serde(default)]
    pub id: String,
    #[serde(default, rename = "type")]
    pub kind: String,
    #[serde(default, rename = "orderID")]
    pub order_id: Option<String>,
    #[serde(default, rename = "clientOrderID")]
    pub client_order_id: Option<String>,
    #[serde(default)]
    pub instrument: Option<String>,
    #[serde(default)]
    pub units: Option<Decimal>,
    #[serde(default)]
    pub price: Option<Decimal>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub reject_reason: Option<String>,
    #[serde(default)]
    pub commission: Option<Decimal>,
    #[serde(default)]
    pub time: Option<String>,
    #[serde(default)]
    pub client_extensions: Option<WireExtensions>,
    /// A fill's trade opened (its id is the fill's own transaction id).
    #[serde(default)]
    pub trade_opened: Option<WireTradeRef>,
    /// The trades a fill closed in full.
    #[serde(default)]
    pub trades_closed: Vec<WireTradeRef>,
    /// The trade a fill closed in part.
    #[serde(default)]
    pub trade_reduced: Option<WireTradeRef>,
}

/// A trade a fill opened, closed or reduced (`tradeOpened`,
/// `tradesClosed[]`, `tradeReduced`).
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct WireTradeRef {
    #[serde(default, rename = "tradeID")]
    pub trade_id: String,
}

/// The `reason` of an `ORDER_FILL` made by one of a trade's dependent
/// exits: OANDA's stop loss, take profit, trailing or guaranteed stop.
pub(crate) fn is_exit_fill(reason: Option<&str>) -> bool {
    matches!(
        reason,
        Some(
            "STOP_LOSS_ORDER"
                | "TAKE_PROFIT_ORDER"
                | "TRAILING_STOP_LOSS_ORDER"
                | "GUARANTEED_STOP_LOSS_ORDER"
        )
    )
}

impl WireTx {
    /// The trade a dependent exit's fill closed (in full or in part).
    pub(crate) fn trade_exited(&self) -> Option<&str> {
        self.trades_closed
            .first()
            .or(self.trade_reduced.as_ref())
            .map(|t| t.trade_id.as_str())
            .filter(|t| !t.is_empty())
    }

    /// Our client id, from `clientExtensions.id` or `clientOrderID`.
    pub(crate) fn client_id(&self) -> Option<String> {
        self.client_extensions
            .as_ref()
            .and_then(|e| e.id.clone())
            .or_else(|| self.client_order_id.clone())
    }
}

/// An order (`GET …/orders/{specifier}`, an element of `pendingOrders`).
/// A trade's dependent exits (`TAKE_PROFIT`, `STOP_LOSS`, …) name their
/// trade instead of an instrument and units.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireOrder {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub state: String,
    #[serde(default)]
    pub instrument: Option<String>,
    #[serde(default)]
    pub units: Option<Decimal>,
    #[serde(default)]
    pub price: Option<Decimal>,
    #[serde(default)]
    pub client_extensions: Option<WireExtensions>,
    #[serde(default, rename = "tradeID")]
    pub trade_id: Option<String>,
    #[serde(default, rename = "fillingTransactionID")]
    pub filling_transaction_id: Option<String>,
    #[serde(default, rename = "cancellingTransactionID")]
    pub cancelling_transaction_id: Option<String>,
}

impl WireOrder {
    /// Our client id if the order has one, else OANDA's order id.
    pub(crate) fn client_id(&self) -> String {
        self.client_extensions
            .as_ref()
            .and_then(|e| e.id.clone())
            .unwrap_or_else(|| self.id.clone())
    }

    /// True for an exit that belongs to a trade (made by
    /// `takeProfitOnFill`/`stopLossOnFill` or on the trade later).
    pub(crate) fn is_dependent(&self) -> bool {
        self.trade_id.is_some()
    }
}

#[derive(Clone, Debug, Deserialize)]
pub(crate) struct OrderEnvelope {
    pub order: WireOrder,
}

#[derive(Clone, Debug, Deserialize)]
pub(crate) struct OrderList {
    #[serde(default)]
    pub orders: Vec<WireOrder>,
}

/// An open trade: what a dependent exit closes.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireTrade {
    pub id: String,
    pub instrument: String,
    pub current_units: Decimal,
}

#[derive(Clone, Debug, Deserialize)]
pub(crate) struct TradeList {
    #[serde(default)]
    pub trades: Vec<WireTrade>,
}

/// An element of `GET …/instruments`.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireInstrument {
    pub name: String,
    pub display_precision: u32,
    pub trade_units_precision: u32,
    pub minimum_trade_size: Decimal,
    #[serde(default)]
    pub maximum_order_units: Option<Decimal>,
}

#[derive(Clone, Debug, Deserialize)]
pub(crate) struct InstrumentList {
    #[serde(default)]
    pub instruments: Vec<WireInstrument>,
}

/// The parts of `GET …/summary` we use.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireSummary {
    pub currency: String,
    pub balance: Decimal,
    #[serde(rename = "NAV")]
    pub nav: Decimal,
    #[serde(default)]
    pub margin_used: Option<Decimal>,
    #[serde(default)]
    pub margin_available: Option<Decimal>,
}

#[derive(Clone, Debug, Deserialize)]
pub(crate) struct SummaryEnvelope {
    pub account: WireSummary,
}

/// One side of a position (`units` negative on the short side).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireSide {
    #[serde(default)]
    pub units: Decimal,
    #[serde(default)]
    pub average_price: Option<Decimal>,
}

/// An element of `GET …/openPositions`.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct WirePosition {
    pub instrument: String,
    #[serde(default)]
    pub long: WireSide,
    #[serde(default)]
    pub short: WireSide,
}

#[derive(Clone, Debug, Deserialize)]
pub(crate) struct PositionList {
    #[serde(default)]
    pub positions: Vec<WirePosition>,
}

/// The 201 answer to `POST …/orders`.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PlaceReply {
    #[serde(default)]
    pub order_create_transaction: Option<WireTx>,
    #[serde(default)]
    pub order_fill_transaction: Option<WireTx>,
    #[serde(default)]
    pub order_cancel_transaction: Option<WireTx>,
}

/// The 200 answer to `PUT …/positions/{instrument}/close`.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CloseReply {
    #[serde(default)]
    pub long_order_create_transaction: Option<WireTx>,
    #[serde(default)]
    pub long_order_fill_transaction: Option<WireTx>,
    #[serde(default)]
    pub long_order_cancel_transaction: Option<WireTx>,
    #[serde(default)]
    pub short_order_create_transaction: Option<WireTx>,
    #[serde(default)]
    pub short_order_fill_transaction: Option<WireTx>,
    #[serde(default)]
    pub short_order_cancel_transaction: Option<WireTx>,
}

#[derive(Clone, Debug, Deserialize)]
pub(crate) struct TxEnvelope {
    pub transaction: WireTx,
}

/// The answer to `GET …/transactions/sinceid`: the transactions as
/// OANDA sent them (each read as a stream line is).
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct TxList {
    #[serde(default)]
    pub transactions: Vec<serde_json::Value>,
}

/// The side of signed units (negative sells).
pub(crate) fn side_of(units: Decimal) -> Side {
    if units.is_sign_negative() {
        Side::Sell
    } else {
        Side::Buy
    }
}

/// OANDA's order state in the seam's states. `TRIGGERED` (an order that
/// fired, such as a market-if-touched) counts as filled.
pub(crate) fn order_state(state: &str) -> VenueOrderState {
    match state {
        "FILLED" | "TRIGGERED" => VenueOrderState::Filled,
        "CANCELLED" => VenueOrderState::Cancelled,
        _ => VenueOrderState::New,
    }
}
