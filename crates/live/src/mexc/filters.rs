//! A symbol's trading rules from MEXC's `GET /api/v3/exchangeInfo`, and
//! applying them to an order before it is sent.
//!
//! MEXC publishes no Binance-style `filters` (the array is empty); the
//! rules are fields of the symbol itself:
//! - `baseAssetPrecision`: decimals of a quantity (the lot step is
//!   `10^-baseAssetPrecision`);
//! - `quoteAssetPrecision` (else `quotePrecision`): decimals of a price
//!   (the tick);
//! - `baseSizePrecision`: the minimum quantity (a decimal string; `"0"`
//!   means none);
//! - `quoteAmountPrecision` / `quoteAmountPrecisionMarket`: the minimum
//!   order value in the quote asset (MEXC's `30002` "minimum transaction
//!   volume"), for limit and market orders;
//! - `maxQuoteAmount` / `maxQuoteAmountMarket`: the maximum value (`30003`);
//! - `status` (`"ENABLED"` in the examples, `"1"` online in the table),
//!   `isSpotTradingAllowed`, `orderTypes`, `tradeSideType` (1 both sides,
//!   2 buy only, 3 sell only).

use crate::api::PlaceRequest;
use omni_core::domain::{OrderType, Side, TimeInForce};
use rust_decimal::Decimal;
use serde_json::Value;

/// The rules of one symbol that decide whether an order is valid. A zero
/// bound means "none".
#[derive(Clone, Debug, PartialEq, Default)]
pub struct SymbolRules {
    pub symbol: String,
    pub base: String,
    pub quote: String,
    pub status: String,
    pub spot_allowed: bool,
    pub order_types: Vec<String>,
    /// `tradeSideType`: "1" all, "2" buy only, "3" sell only, "4" close.
    pub side_type: String,
    /// Quantity step (from `baseAssetPrecision`).
    pub step: Decimal,
    /// Price tick (from `quoteAssetPrecision`).
    pub tick: Decimal,
    pub min_qty: Decimal,
    pub min_value: Decimal,
    pub min_value_market: Decimal,
    pub max_value: Decimal,
    pub max_value_market: Decimal,
}

/// A decimal given as a string or a number; absent, null or `""` is 0.
fn dec(v: &Value, key: &str) -> Result<Decimal, String> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(Decimal::ZERO),
        Some(Value::String(s)) if s.is_empty() => Ok(Decimal::ZERO),
        Some(Value::String(s)) => s
            .parse::<Decimal>()
            .map_err(|e| format!("{key} {s:?}: {e}")),
        Some(Value::Number(n)) => n
            .to_string()
            .parse::<Decimal>()
            .map_err(|e| format!("{key} {n}: {e}")),
        Some(other) => Err(format!("{key}: expected a decimal, got {other}")),
    }
}

/// A count of decimals as `10^-n` (n given as a number or a string).
fn step_of(v: &Value, key: &str) -> Result<Option<Decimal>, String> {
    let n = match v.get(key) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.parse::<u64>().ok(),
        Some(_) => None,
    };
    let n = n.ok_or_else(|| format!("{key}: expected a count of decimals"))?;
    let scale = u32::try_from(n)
        .ok()
        .filter(|n| *n <= 28)
        .ok_or_else(|| format!("{key}: {n} decimals is out of range"))?;
    Ok(Some(Decimal::new(1, scale)))
}

fn text(v: &Value, key: &str) -> Result<String, String> {
    match v.get(key) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        _ => Err(format!("missing {key}")),
    }
}

impl SymbolRules {
    /// Reads one element of exchangeInfo's `symbols`.
    pub fn from_json(v: &Value) -> Result<Self, String> {
        let step = step_of(v, "baseAssetPrecision")?.unwrap_or(Decimal::ZERO);
        let tick = match step_of(v, "quoteAssetPrecision")? {
            Some(t) => t,
            None => step_of(v, "quotePrecision")?.unwrap_or(Decimal::ZERO),
        };
        Ok(SymbolRules {
            symbol: text(v, "symbol")?,
            base: text(v, "baseAsset")?,
            quote: text(v, "quoteAsset")?,
            status: text(v, "status")?,
            spot_allowed: v
                .get("isSpotTradingAllowed")
                .and_then(Value::as_bool)
                .unwrap_or(true),
            order_types: v
                .get("orderTypes")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
            side_type: text(v, "tradeSideType").unwrap_or_else(|_| "1".into()),
            step,
            tick,
            min_qty: dec(v, "baseSizePrecision")?,
            min_value: dec(v, "quoteAmountPrecision")?,
            min_value_market: dec(v, "quoteAmountPrecisionMarket")?,
            max_value: dec(v, "maxQuoteAmount")?,
            max_value_market: dec(v, "maxQuoteAmountMarket")?,
        })
    }

    /// True when the symbol takes orders now.
    pub fn is_trading(&self) -> bool {
        matches!(self.status.as_str(), "ENABLED" | "1")
    }

    /// MEXC's order type for an order (`IMMEDIATE_OR_CANCEL` is a type,
    /// not a time in force, on MEXC).
    pub fn venue_type(req: &PlaceRequest) -> Result<&'static str, String> {
        match (req.kind, req.tif) {
            (OrderType::Market, _) => Ok("MARKET"),
            (OrderType::Limit, TimeInForce::Gtc) => Ok("LIMIT"),
            (OrderType::Limit, TimeInForce::Ioc) => Ok("IMMEDIATE_OR_CANCEL"),
            (OrderType::Stop | OrderType::StopLimit, _) => Err(format!(
                "MEXC spot takes no {} orders through the API",
                req.kind.as_str()
            )),
        }
    }

    /// Rounds and checks an order in place; on refusal the message names
    /// the rule (`baseSizePrecision: quantity 0.00001 below 0.0001`).
    /// `reference` prices a market order's value (0: not checked).
    pub fn conform(&self, req: &mut PlaceRequest, reference: Decimal) -> Result<(), String> {
        if !self.is_trading() {
            return Err(format!(
                "{} is not trading (status {})",
                self.symbol, self.status
            ));
        }
        if !self.spot_allowed {
            return Err(format!("{} takes no API spot orders", self.symbol));
        }
        if req.take_profit.is_some() || req.stop_loss.is_some() {
            return Err("MEXC spot holds no bracket exits (take_profit/stop_loss)".into());
        }
        let kind = Self::venue_type(req)?;
        if !self.order_types.is_empty() && !self.order_types.iter().any(|t| t == kind) {
            return Err(format!("{} takes no {kind} orders", self.symbol));
        }
        match (self.side_type.as_str(), req.side) {
            ("2", Side::Sell) => return Err(format!("{} takes buy orders only", self.symbol)),
            ("3", Side::Buy) => return Err(format!("{} takes sell orders only", self.symbol)),
            _ => {}
        }
        let asked = req.qty;
        let qty = floor_to(asked, self.step);
        if qty <= Decimal::ZERO || qty < self.min_qty {
            return Err(format!(
                "baseSizePrecision: quantity {} below {}",
                asked.normalize(),
                self.min_qty.normalize()
            ));
        }
        req.qty = qty.normalize();
        let market = req.kind == OrderType::Market;
        if let Some(limit) = req.limit {
            // Toward the passive side: a buy rounds down, a sell up.
            let p = round_to(limit, self.tick, req.side == Side::Sell).normalize();
            if p <= Decimal::ZERO {
                return Err(format!(
                    "quoteAssetPrecision: price {} rounds to 0",
                    limit.normalize()
                ));
            }
            req.limit = Some(p);
        }
        let price = match (req.kind, req.limit) {
            (OrderType::Limit, Some(p)) => p,
            (OrderType::Limit, None) => return Err("LIMIT order without a limit price".into()),
            _ => reference,
        };
        if price > Decimal::ZERO {
            let value = (qty * price).normalize();
            let (min, max, min_name, max_name) = if market {
                (
                    if self.min_value_market.is_zero() {
                        self.min_value
                    } else {
                        self.min_value_market
                    },
                    if self.max_value_market.is_zero() {
                        self.max_value
                    } else {
                        self.max_value_market
                    },
                    "quoteAmountPrecisionMarket",
                    "maxQuoteAmountMarket",
                )
            } else {
                (
                    self.min_value,
                    self.max_value,
                    "quoteAmountPrecision",
                    "maxQuoteAmount",
                )
            };
            if !min.is_zero() && value < min {
                return Err(format!(
                    "{min_name}: value {value} below {} {}",
                    min.normalize(),
                    self.quote
                ));
            }
            if !max.is_zero() && value > max {
                return Err(format!(
                    "{max_name}: value {value} above {} {}",
                    max.normalize(),
                    self.quote
                ));
            }
        }
        Ok(())
    }
}

/// `value` rounded down to a multiple of `step` (unchanged when 0).
pub fn floor_to(value: Decimal, step: Decimal) -> Decimal {
    if step <= Decimal::ZERO {
        return value;
    }
    (value / step).floor() * step
}

/// `value` rounded to a multiple of `tick`: up when `up`, else down.
pub fn round_to(value: Decimal, tick: Decimal, up: bool) -> Decimal {
    if tick <= Decimal::ZERO {
        return value;
    }
    let n = value / tick;
    (if up { n.ceil() } else { n.floor() }) * tick
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    fn btc() -> SymbolRules {
        SymbolRules::from_json(&serde_json::json!({
            "symbol": "BTCUSDT", "status": "1", "baseAsset": "BTC", "baseAssetPrecision": 6,
            "quoteAsset": "USDT", "quotePrecision": 2, "quoteAssetPrecision": 2,
            "orderTypes": ["LIMIT", "MARKET", "LIMIT_MAKER"], "isSpotTradingAllowed": true,
            "quoteAmountPrecision": "1", "baseSizePrecision": "0.000001",
            "maxQuoteAmount": "2000000", "quoteAmountPrecisionMarket": "1",
            "maxQuoteAmountMarket": "100000", "filters": [], "tradeSideType": "1"
        }))
        .unwrap()
    }

    fn req(side: Side, kind: OrderType, qty: Decimal, limit: Option<Decimal>) -> PlaceRequest {
        PlaceRequest {
            client_id: "c1".into(),
            symbol: "BTCUSDT".into(),
            side,
            kind,
            tif: TimeInForce::Gtc,
            qty,
            limit,
            stop: None,
            take_profit: None,
            stop_loss: None,
        }
    }

    #[test]
    fn reads_the_docs_example() {
        let r = SymbolRules::from_json(&serde_json::json!({
            "symbol": "TOMO3LUSDT", "status": "ENABLED", "baseAsset": "TOMO3L", "baseAssetPrecision": 2,
            "quoteAsset": "USDT", "quotePrecision": 3, "quoteAssetPrecision": 3,
            "orderTypes": ["LIMIT", "LIMIT_MAKER"], "quoteOrderQtyMarketAllowed": false,
            "isSpotTradingAllowed": false, "permissions": ["SPOT", "LIMIT"], "filters": [],
            "quoteAmountPrecision": "5", "baseSizePrecision": "0.0001", "maxQuoteAmount": "5000000",
            "makerCommission": "0.002", "takerCommission": "0.002", "tradeSideType": "1"
        }))
        .unwrap();
        assert_eq!(
            (r.step, r.tick, r.min_qty, r.min_value, r.max_value),
            (
                dec!(0.01),
                dec!(0.001),
                dec!(0.0001),
                dec!(5),
                dec!(5000000)
            )
        );
        assert!(r.is_trading() && !r.spot_allowed);
    }

    #[test]
    fn rounds_toward_the_passive_side_and_refuses_by_rule() {
        let f = btc();
        let mut b = req(
            Side::Buy,
            OrderType::Limit,
            dec!(0.0123456789),
            Some(dec!(50000.019)),
        );
        f.conform(&mut b, dec!(0)).unwrap();
        assert_eq!((b.qty, b.limit), (dec!(0.012345), Some(dec!(50000.01))));
        let mut s = req(
            Side::Sell,
            OrderType::Limit,
            dec!(0.1),
            Some(dec!(50000.011)),
        );
        f.conform(&mut s, dec!(0)).unwrap();
        assert_eq!(s.limit, Some(dec!(50000.02)));
        let mut tiny = req(Side::Buy, OrderType::Market, dec!(0.0000001), None);
        assert_eq!(
            f.conform(&mut tiny, dec!(50000)).unwrap_err(),
            "baseSizePrecision: quantity 0.0000001 below 0.000001"
        );
        let mut small = req(
            Side::Buy,
            OrderType::Limit,
            dec!(0.00001),
            Some(dec!(40000)),
        );
        assert_eq!(
            f.conform(&mut small, dec!(0)).unwrap_err(),
            "quoteAmountPrecision: value 0.4 below 1 USDT"
        );
        let mut stop = req(Side::Sell, OrderType::Stop, dec!(0.1), None);
        assert!(f.conform(&mut stop, dec!(50000)).is_err());
    }
}
