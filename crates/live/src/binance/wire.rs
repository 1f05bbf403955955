//! Binance's JSON shapes (orders, trades, account, execution reports) and
//! their translation into the venue seam's types. Decimals arrive as
//! strings and are parsed exactly; a missing or malformed field is an
//! error, never a panic.

use crate::api::{VenueFill, VenueOrder, VenueOrderState};
use omni_core::domain::Side;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;

/// Binance's error body: `{"code":-2010,"msg":"…"}`.
#[derive(Debug, Deserialize)]
pub struct ErrorBody {
    pub code: i64,
    pub msg: String,
}

/// An order as `POST/GET /api/v3/order` and `openOrders` return it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderJson {
    pub symbol: String,
    pub order_id: u64,
    pub client_order_id: String,
    #[serde(default)]
    pub price: Option<Decimal>,
    pub orig_qty: Decimal,
    pub executed_qty: Decimal,
    pub status: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub side: String,
    #[serde(default)]
    pub transact_time: Option<i64>,
    /// Executions in a `newOrderRespType=FULL` answer.
    #[serde(default)]
    pub fills: Vec<FullFill>,
}

/// One element of a FULL answer's `fills`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FullFill {
    pub price: Decimal,
    pub qty: Decimal,
    pub commission: Decimal,
    pub commission_asset: String,
    pub trade_id: i64,
}

/// One element of `GET /api/v3/myTrades`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TradeJson {
    pub symbol: String,
    pub id: i64,
    pub order_id: u64,
    pub price: Decimal,
    pub qty: Decimal,
    pub commission: Decimal,
    pub commission_asset: String,
    pub time: i64,
    pub is_buyer: bool,
}

/// `GET /api/v3/account`, the part we read.
#[derive(Debug, Deserialize)]
pub struct AccountJson {
    pub balances: Vec<BalanceJson>,
}

#[derive(Debug, Deserialize)]
pub struct BalanceJson {
    pub asset: String,
    pub free: Decimal,
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

/// Binance's order status to ours. `PENDING_NEW`/`PENDING_CANCEL` are
/// still working; `EXPIRED_IN_MATCH` is an expiry by self-trade prevention.
pub fn state(s: &str) -> Result<VenueOrderState, String> {
    Ok(match s {
        "NEW" | "PENDING_NEW" | "PENDING_CANCEL" => VenueOrderState::New,
        "PARTIALLY_FILLED" => VenueOrderState::PartiallyFilled,
        "FILLED" => VenueOrderState::Filled,
        "CANCELED" => VenueOrderState::Cancelled,
        "REJECTED" => VenueOrderState::Rejected,
        "EXPIRED" | "EXPIRED_IN_MATCH" => VenueOrderState::Expired,
        other => return Err(format!("unknown order status {other:?}")),
    })
}

/// Market-priced types carry `price` "0": no limit.
fn limit_of(kind: &str, price: Option<Decimal>) -> Option<Decimal> {
    match (kind, price) {
        ("MARKET" | "STOP_LOSS" | "TAKE_PROFIT", _) => None,
        (_, Some(p)) if p > Decimal::ZERO => Some(p.normalize()),
        _ => None,
    }
}

impl OrderJson {
    pub fn to_order(&self) -> Result<VenueOrder, String> {
        let state = state(&self.status)?;
        Ok(VenueOrder {
            client_id: self.client_order_id.clone(),
            venue_id: self.order_id.to_string(),
            symbol: self.symbol.clone(),
            side: side(&self.side)?,
            qty: self.orig_qty.normalize(),
            filled: self.executed_qty.normalize(),
            limit: limit_of(&self.kind, self.price),
            state,
            reason: (self.status == "EXPIRED_IN_MATCH")
                .then(|| "expired by self-trade prevention".to_string()),
        })
    }

    /// The executions of a FULL answer.
    pub fn to_fills(&self) -> Result<Vec<VenueFill>, String> {
        let side = side(&self.side)?;
        Ok(self
            .fills
            .iter()
            .map(|f| VenueFill {
                trade_id: f.trade_id.to_string(),
                client_id: Some(self.client_order_id.clone()),
                venue_order_id: self.order_id.to_string(),
                symbol: self.symbol.clone(),
                side,
                qty: f.qty.normalize(),
                price: f.price.normalize(),
                fee: f.commission.normalize(),
                fee_asset: f.commission_asset.clone(),
                ts_ms: self.transact_time.unwrap_or(0),
            })
            .collect())
    }
}

impl TradeJson {
    pub fn to_fill(&self) -> VenueFill {
        VenueFill {
            trade_id: self.id.to_string(),
            client_id: None,
            venue_order_id: self.order_id.to_string(),
            symbol: self.symbol.clone(),
            side: if self.is_buyer { Side::Buy } else { Side::Sell },
            qty: self.qty.normalize(),
            price: self.price.normalize(),
            fee: self.commission.normalize(),
            fee_asset: self.commission_asset.clone(),
            ts_ms: self.time,
        }
    }
}

fn s<'a>(v: &'a Value, k: &str) -> Result<&'a str, String> {
    v.get(k)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("executionReport: missing {k}"))
}

fn d(v: &Value, k: &str) -> Result<Decimal, String> {
    s(v, k)?
        .parse::<Decimal>()
        .map(|x| x.normalize())
        .map_err(|e| format!("executionReport: {k}: {e}"))
}

fn i(v: &Value, k: &str) -> Result<i64, String> {
    v.get(k)
        .and_then(Value::as_i64)
        .ok_or_else(|| format!("executionReport: missing {k}"))
}

/// An `executionReport` event: the order update, and the execution when
/// its execution type is `TRADE`. For a cancel, `c` is the cancel
/// request's id and `C` the order's own client id.
pub fn execution_report(e: &Value) -> Result<(VenueOrder, Option<VenueFill>), String> {
    let exec = s(e, "x")?;
    let status = s(e, "X")?;
    let orig = e.get("C").and_then(Value::as_str).unwrap_or("");
    let client = if (exec == "CANCELED" || status == "CANCELED") && !orig.is_empty() {
        orig.to_string()
    } else {
        s(e, "c")?.to_string()
    };
    let symbol = s(e, "s")?.to_string();
    let side = side(s(e, "S")?)?;
    let venue_id = i(e, "i")?.to_string();
    let reason = match e.get("r").and_then(Value::as_str) {
        Some("NONE") | None => None,
        Some(r) => Some(r.to_string()),
    };
    let order = VenueOrder {
        client_id: client.clone(),
        venue_id: venue_id.clone(),
        symbol: symbol.clone(),
        side,
        qty: d(e, "q")?,
        filled: d(e, "z")?,
        limit: limit_of(s(e, "o")?, Some(d(e, "p")?)),
        state: state(status)?,
        reason,
    };
    let fill = if exec == "TRADE" {
        Some(VenueFill {
            trade_id: i(e, "t")?.to_string(),
            client_id: Some(client),
            venue_order_id: venue_id,
            symbol,
            side,
            qty: d(e, "l")?,
            price: d(e, "L")?,
            fee: d(e, "n")?,
            // `N` is null when nothing was charged.
            fee_asset: e.get("N").and_then(Value::as_str).unwrap_or("").to_string(),
            ts_ms: i(e, "T")?,
        })
    } else {
        None
    };
    Ok((order, fill))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn parses_a_trade_report() {
        let e = serde_json::json!({"e":"executionReport","E":1,"s":"BTCUSDT","c":"abc","S":"BUY","o":"LIMIT","f":"GTC","q":"1.00000000","p":"0.10000000","C":"","x":"TRADE","X":"PARTIALLY_FILLED","r":"NONE","i":7,"l":"0.40000000","z":"0.40000000","L":"0.09000000","n":"0.00040000","N":"BTC","T":5,"t":99});
        let (o, f) = execution_report(&e).unwrap();
        assert_eq!(o.state, VenueOrderState::PartiallyFilled);
        assert_eq!(o.limit, Some(dec!(0.1)));
        let f = f.unwrap();
        assert_eq!(
            (f.trade_id.as_str(), f.qty, f.price, f.fee),
            ("99", dec!(0.4), dec!(0.09), dec!(0.0004))
        );
    }

    #[test]
    fn a_malformed_report_is_an_error() {
        assert!(execution_report(&serde_json::json!({"x": 3})).is_err());
        assert!(
            execution_report(
                &serde_json::json!({"x":"NEW","X":"NEW","c":"a","s":"B","S":"BUY","i":1,"q":"x"})
            )
            .is_err()
        );
    }
}
