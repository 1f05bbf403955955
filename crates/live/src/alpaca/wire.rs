//! Alpaca's JSON shapes, read leniently (unknown fields ignored, decimals
//! from strings), and their translation into the venue seam's types.

use super::time::parse_rfc3339_ms;
use crate::api::{VenueFill, VenueOrder, VenueOrderState};
use omni_core::domain::Side;
use rust_decimal::Decimal;
use serde::Deserialize;

/// An error body: `{"code":40310000,"message":"…"}`, either part missing.
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct WireError {
    #[serde(default)]
    pub code: Option<serde_json::Value>,
    #[serde(default)]
    pub message: Option<String>,
}

impl WireError {
    /// The code as text, whether it came as a number or a string.
    pub(crate) fn code_text(&self) -> Option<String> {
        match self.code.as_ref()? {
            serde_json::Value::Number(n) => Some(n.to_string()),
            serde_json::Value::String(s) => Some(s.clone()),
            _ => None,
        }
    }
}

/// An order (reply to a place, a query, an element of a list, a leg).
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct WireOrder {
    pub id: String,
    pub client_order_id: String,
    pub symbol: String,
    pub side: String,
    #[serde(default)]
    pub qty: Option<Decimal>,
    #[serde(default)]
    pub filled_qty: Option<Decimal>,
    #[serde(default)]
    pub limit_price: Option<Decimal>,
    pub status: String,
    #[serde(default)]
    pub legs: Option<Vec<WireOrder>>,
}

impl WireOrder {
    /// The order in the seam's terms, its state read from `status`.
    pub(crate) fn to_venue(&self) -> Result<VenueOrder, String> {
        let filled = self.filled_qty.unwrap_or(Decimal::ZERO);
        self.to_venue_as(order_state(&self.status, filled))
    }

    /// The order in the seam's terms with a state decided by the caller
    /// (a stream event names it more reliably than the embedded status).
    pub(crate) fn to_venue_as(&self, state: VenueOrderState) -> Result<VenueOrder, String> {
        let filled = self.filled_qty.unwrap_or(Decimal::ZERO);
        let reason = matches!(state, VenueOrderState::Rejected | VenueOrderState::Expired)
            .then(|| self.status.clone());
        Ok(VenueOrder {
            client_id: self.client_order_id.clone(),
            venue_id: self.id.clone(),
            symbol: self.symbol.clone(),
            side: parse_side(&self.side)?,
            // A notional order has no qty until it fills.
            qty: self.qty.unwrap_or(filled),
            filled,
            limit: self.limit_price,
            state,
            reason,
        })
    }
}

/// Alpaca's order status in the seam's states. Statuses that are neither
/// filled nor ended (`accepted`, `held`, `pending_cancel`, `done_for_day`,
/// statuses added later) are working orders: new or partly filled.
pub(crate) fn order_state(status: &str, filled: Decimal) -> VenueOrderState {
    match status {
        "filled" => VenueOrderState::Filled,
        "canceled" | "replaced" => VenueOrderState::Cancelled,
        "expired" => VenueOrderState::Expired,
        "rejected" => VenueOrderState::Rejected,
        "partially_filled" => VenueOrderState::PartiallyFilled,
        _ if filled > Decimal::ZERO => VenueOrderState::PartiallyFilled,
        _ => VenueOrderState::New,
    }
}

pub(crate) fn parse_side(side: &str) -> Result<Side, String> {
    match side {
        "buy" => Ok(Side::Buy),
        "sell" => Ok(Side::Sell),
        other => Err(format!("unknown order side `{other}`")),
    }
}

/// A `FILL` account activity.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct WireActivity {
    pub id: String,
    #[serde(default)]
    pub order_id: Option<String>,
    pub symbol: String,
    pub side: String,
    pub qty: Decimal,
    pub price: Decimal,
    #[serde(default)]
    pub transaction_time: Option<String>,
}

impl WireActivity {
    pub(crate) fn to_fill(&self) -> Result<VenueFill, String> {
        Ok(VenueFill {
            trade_id: self.id.clone(),
            client_id: None,
            venue_order_id: self.order_id.clone().unwrap_or_default(),
            symbol: self.symbol.clone(),
            side: parse_side(&self.side)?,
            qty: self.qty,
            price: self.price,
            fee: Decimal::ZERO,
            fee_asset: "USD".into(),
            ts_ms: self
                .transaction_time
                .as_deref()
                .and_then(parse_rfc3339_ms)
                .unwrap_or(0),
        })
    }
}

/// An element of `GET /v2/positions`.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct WirePosition {
    pub symbol: String,
    pub qty: Decimal,
    #[serde(default)]
    pub side: Option<String>,
    #[serde(default)]
    pub avg_entry_price: Option<Decimal>,
}

/// The parts of `GET /v2/account` we use.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct WireAccount {
    #[serde(default)]
    pub currency: Option<String>,
    pub cash: Decimal,
    #[serde(default)]
    pub equity: Option<Decimal>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub trading_blocked: bool,
    #[serde(default)]
    pub account_blocked: bool,
}

/// The trading rules of `GET /v2/assets/{symbol}`.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct WireAsset {
    #[serde(default)]
    pub class: Option<String>,
    #[serde(default)]
    pub tradable: bool,
    #[serde(default)]
    pub fractionable: bool,
    #[serde(default)]
    pub min_order_size: Option<Decimal>,
    #[serde(default)]
    pub min_trade_increment: Option<Decimal>,
    #[serde(default)]
    pub price_increment: Option<Decimal>,
}

/// One item of a 207 multi-status list (cancel-all by `id`, close-all by
/// `symbol`).
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct MultiItem {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub symbol: Option<String>,
    pub status: u16,
    #[serde(default)]
    pub body: Option<serde_json::Value>,
}

impl MultiItem {
    /// The item's error message, or its status when the body has none.
    pub(crate) fn message(&self) -> String {
        self.body
            .as_ref()
            .and_then(|b| b.get("message"))
            .and_then(|m| m.as_str())
            .map_or_else(|| format!("status {}", self.status), str::to_string)
    }
}

/// Any message of the trade stream.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct StreamMsg {
    pub stream: String,
    #[serde(default)]
    pub data: serde_json::Value,
}

/// The `data` of a `trade_updates` message.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct TradeUpdate {
    pub event: String,
    #[serde(default)]
    pub execution_id: Option<String>,
    pub order: WireOrder,
    #[serde(default)]
    pub price: Option<Decimal>,
    #[serde(default)]
    pub qty: Option<Decimal>,
    #[serde(default)]
    pub timestamp: Option<String>,
}
