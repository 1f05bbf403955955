//! MEXC's REST JSON shapes (orders, trades, account) and their
//! translation into the venue seam's types. Decimals arrive as strings
//! and are parsed exactly; order and trade ids may be strings or numbers
//! (the doc shows both), so they are read as either. A missing or
//! malformed field is an error, never a panic.

use crate::api::{VenueFill, VenueOrder, VenueOrderState};
use omni_core::domain::Side;
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// MEXC's error body: `{"code":30004,"msg":"…"}` (sometimes with
/// `"_extend":null`, ignored).
#[derive(Debug, Deserialize)]
pub struct ErrorBody {
    pub code: i64,
    pub msg: String,
}

/// An id MEXC sends as a string (`"C02__5059…"`, hex) or a number.
fn id_text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(serde::de::Error::custom(format!(
            "expected an id, got {other}"
        ))),
    }
}

/// A client id that may be `null` (orders made on MEXC's site).
fn opt_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) if !s.is_empty() => Some(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// A decimal string that may be `""` or `null` (read as 0).
fn loose_dec<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(Decimal::ZERO),
        Value::String(s) if s.is_empty() => Ok(Decimal::ZERO),
        Value::String(s) => s.parse().map_err(serde::de::Error::custom),
        Value::Number(n) => n.to_string().parse().map_err(serde::de::Error::custom),
        other => Err(serde::de::Error::custom(format!(
            "expected a decimal, got {other}"
        ))),
    }
}

/// The answer to `POST /api/v3/order`: no status, no executed quantity,
/// no client id (MEXC's answer is an acknowledgement only).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlacedJson {
    pub symbol: String,
    #[serde(deserialize_with = "id_text")]
    pub order_id: String,
    #[serde(default, deserialize_with = "loose_dec")]
    pub orig_qty: Decimal,
    #[serde(default, deserialize_with = "loose_dec")]
    pub price: Decimal,
    #[serde(rename = "type")]
    pub kind: String,
    pub side: String,
}

/// An order as `GET /api/v3/order`, `openOrders` and the cancels return
/// it. The single-order query's doc example spells the ordered quantity
/// `Qty`; the others `origQty`: both are read.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderJson {
    pub symbol: String,
    #[serde(deserialize_with = "id_text")]
    pub order_id: String,
    #[serde(default, deserialize_with = "opt_text")]
    pub client_order_id: Option<String>,
    /// On a cancel answer: the cancelled order's own client id.
    #[serde(default, deserialize_with = "opt_text")]
    pub orig_client_order_id: Option<String>,
    #[serde(default, deserialize_with = "loose_dec")]
    pub price: Decimal,
    #[serde(alias = "Qty", default, deserialize_with = "loose_dec")]
    pub orig_qty: Decimal,
    #[serde(default, deserialize_with = "loose_dec")]
    pub executed_qty: Decimal,
    pub status: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub side: String,
}

/// One element of `GET /api/v3/myTrades`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TradeJson {
    pub symbol: String,
    #[serde(deserialize_with = "id_text")]
    pub id: String,
    #[serde(deserialize_with = "id_text")]
    pub order_id: String,
    #[serde(deserialize_with = "loose_dec")]
    pub price: Decimal,
    #[serde(deserialize_with = "loose_dec")]
    pub qty: Decimal,
    #[serde(deserialize_with = "loose_dec")]
    pub commission: Decimal,
    #[serde(default)]
    pub commission_asset: Option<String>,
    pub time: i64,
    pub is_buyer: bool,
    #[serde(default, deserialize_with = "opt_text")]
    pub client_order_id: Option<String>,
}

/// `GET /api/v3/account`, the part we read.
#[derive(Clone, Debug, Deserialize)]
pub struct AccountJson {
    pub balances: Vec<BalanceJson>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct BalanceJson {
    pub asset: String,
    #[serde(deserialize_with = "loose_dec")]
    pub free: Decimal,
    #[serde(deserialize_with = "loose_dec")]
    pub locked: Decimal,
}

/// `BUY`/`SELL` to a side.
pub fn side(s: &str) -> Result<Side, String> {
    match s {
        "BUY" => Ok(Side::Buy),
        "SELL" => Ok(Side::Sell),
        other => Err(format!("unknown side {other:?}")),
    }
}

/// MEXC's order status to ours. `PARTIALLY_CANCELED` is an order
/// cancelled after some fills: ended, its fills stand.
pub fn state(s: &str) -> Result<VenueOrderState, String> {
    Ok(match s {
        "NEW" => VenueOrderState::New,
        "PARTIALLY_FILLED" => VenueOrderState::PartiallyFilled,
        "FILLED" => VenueOrderState::Filled,
        "CANCELED" | "PARTIALLY_CANCELED" => VenueOrderState::Cancelled,
        // Not in MEXC's published enum, but Binance-shaped answers may
        // carry them; read them rather than fail.
        "REJECTED" => VenueOrderState::Rejected,
        "EXPIRED" => VenueOrderState::Expired,
        other => return Err(format!("unknown order status {other:?}")),
    })
}

/// A market order carries a price of 0 (or none): no limit.
fn limit_of(kind: &str, price: Decimal) -> Option<Decimal> {
    (kind != "MARKET" && price > Decimal::ZERO).then(|| price.normalize())
}

impl PlacedJson {
    /// The order just placed, as far as the acknowledgement tells:
    /// working, nothing filled yet (a query or the stream says more).
    pub fn to_order(&self, client_id: &str) -> Result<VenueOrder, String> {
        Ok(VenueOrder {
            client_id: client_id.to_string(),
            venue_id: self.order_id.clone(),
            symbol: self.symbol.clone(),
            side: side(&self.side)?,
            qty: self.orig_qty.normalize(),
            filled: Decimal::ZERO,
            limit: limit_of(&self.kind, self.price),
            state: VenueOrderState::New,
            reason: None,
        })
    }
}

impl OrderJson {
    /// The order; an order made on MEXC's site without a client id is
    /// named by its venue id.
    pub fn to_order(&self) -> Result<VenueOrder, String> {
        let client_id = self
            .orig_client_order_id
            .clone()
            .or_else(|| self.client_order_id.clone())
            .unwrap_or_else(|| self.order_id.clone());
        Ok(VenueOrder {
            client_id,
            venue_id: self.order_id.clone(),
            symbol: self.symbol.clone(),
            side: side(&self.side)?,
            qty: self.orig_qty.normalize(),
            filled: self.executed_qty.normalize(),
            limit: limit_of(&self.kind, self.price),
            state: state(&self.status)?,
            reason: None,
        })
    }
}

impl TradeJson {
    pub fn to_fill(&self) -> VenueFill {
        VenueFill {
            trade_id: self.id.clone(),
            client_id: self.client_order_id.clone(),
            venue_order_id: self.order_id.clone(),
            symbol: self.symbol.clone(),
            side: if self.is_buyer { Side::Buy } else { Side::Sell },
            qty: self.qty.normalize(),
            price: self.price.normalize(),
            fee: self.commission.normalize(),
            fee_asset: self.commission_asset.clone().unwrap_or_default(),
            ts_ms: self.time,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn reads_the_docs_order_shapes() {
        let q: OrderJson = serde_json::from_str(
            r#"{"symbol":"LTCBTC","orderId":1,"orderListId":-1,"clientOrderId":"myOrder1","price":"0.1","Qty":"1.0","executedQty":"0.0","cummulativeQuoteQty":"0.0","status":"NEW","timeInForce":"GTC","type":"LIMIT","side":"BUY","stopPrice":"0.0","time":1499827319559,"updateTime":1499827319559,"isWorking":true,"origQuoteOrderQty":"0.000000"}"#,
        )
        .unwrap();
        let o = q.to_order().unwrap();
        assert_eq!(
            (o.client_id.as_str(), o.venue_id.as_str(), o.qty, o.limit),
            ("myOrder1", "1", dec!(1), Some(dec!(0.1)))
        );
        let c: OrderJson = serde_json::from_str(
            r#"{"symbol":"LTCBTC","origClientOrderId":"myOrder1","orderId":4,"clientOrderId":"cancelMyOrder1","price":"2.00000000","origQty":"1.00000000","executedQty":"0.00000000","cummulativeQuoteQty":"0.00000000","status":"CANCELED","timeInForce":"GTC","type":"LIMIT","side":"BUY"}"#,
        )
        .unwrap();
        let o = c.to_order().unwrap();
        assert_eq!(
            (o.client_id.as_str(), o.state),
            ("myOrder1", VenueOrderState::Cancelled)
        );
        let p: PlacedJson = serde_json::from_str(
            r#"{"symbol":"MXUSDT","orderId":"06a480e69e604477bfb48dddd5f0b750","orderListId":-1,"price":"0.1","origQty":"50","type":"LIMIT","side":"BUY","transactTime":1666676533741}"#,
        )
        .unwrap();
        assert_eq!(
            p.to_order("c1").unwrap().venue_id,
            "06a480e69e604477bfb48dddd5f0b750"
        );
    }

    #[test]
    fn reads_the_docs_trade_shape() {
        let t: TradeJson = serde_json::from_str(
            r#"{"symbol":"BNBBTC","id":"fad2af9e942049b6adbda1a271f990c6","orderId":"bb41e5663e124046bd9497a3f5692f39","orderListId":-1,"price":"4.00000100","qty":"12.00000000","quoteQty":"48.000012","commission":"10.10000000","commissionAsset":"BNB","time":1499865549590,"isBuyer":true,"isMaker":false,"isBestMatch":true,"isSelfTrade":true,"clientOrderId":null}"#,
        )
        .unwrap();
        let f = t.to_fill();
        assert_eq!(
            (f.trade_id.as_str(), f.qty, f.price, f.client_id, f.side),
            (
                "fad2af9e942049b6adbda1a271f990c6",
                dec!(12),
                dec!(4.000001),
                None,
                Side::Buy
            )
        );
    }

    #[test]
    fn unknown_status_is_an_error() {
        assert!(state("WHATEVER").is_err());
        assert_eq!(
            state("PARTIALLY_CANCELED").unwrap(),
            VenueOrderState::Cancelled
        );
    }
}
