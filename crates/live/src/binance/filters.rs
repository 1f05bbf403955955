//! A symbol's trading rules from `GET /api/v3/exchangeInfo`, and applying
//! them to an order before it is sent, so the venue's `-1013` filter
//! failures are caught (and explained by name) on our side.

use crate::api::PlaceRequest;
use omni_core::domain::{OrderType, Side};
use rust_decimal::Decimal;
use serde_json::Value;

/// The filters of one symbol that decide whether an order is valid.
/// A zero bound means "none" (Binance disables a bound with 0).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct SymbolFilters {
    pub symbol: String,
    pub base: String,
    pub quote: String,
    /// `TRADING`, `BREAK`, `HALT`, …: only `TRADING` accepts orders.
    pub status: String,
    pub tick_size: Decimal,
    pub min_price: Decimal,
    pub max_price: Decimal,
    pub step_size: Decimal,
    pub min_qty: Decimal,
    pub max_qty: Decimal,
    /// `MARKET_LOT_SIZE`, used for market orders where present.
    pub market_step_size: Decimal,
    pub market_min_qty: Decimal,
    pub market_max_qty: Decimal,
    pub min_notional: Decimal,
    pub max_notional: Decimal,
    /// Whether the minimum notional also binds market orders.
    pub apply_min_to_market: bool,
    pub apply_max_to_market: bool,
    /// Which filter the notional bounds came from (`NOTIONAL` or the
    /// legacy `MIN_NOTIONAL`), for messages.
    pub notional_filter: &'static str,
}

fn dec(v: &Value, key: &str) -> Result<Decimal, String> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(Decimal::ZERO),
        Some(Value::String(s)) => s
            .parse::<Decimal>()
            .map_err(|e| format!("{key} {s:?}: {e}")),
        Some(other) => Err(format!("{key}: expected a decimal string, got {other}")),
    }
}

fn text(v: &Value, key: &str) -> Result<String, String> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| format!("missing {key}"))
}

impl SymbolFilters {
    /// Reads one element of exchangeInfo's `symbols`.
    pub fn from_json(v: &Value) -> Result<Self, String> {
        let mut f = SymbolFilters {
            symbol: text(v, "symbol")?,
            base: text(v, "baseAsset")?,
            quote: text(v, "quoteAsset")?,
            status: text(v, "status")?,
            notional_filter: "NOTIONAL",
            ..Default::default()
        };
        let filters = v
            .get("filters")
            .and_then(Value::as_array)
            .ok_or("missing filters")?;
        for fl in filters {
            match fl.get("filterType").and_then(Value::as_str) {
                Some("PRICE_FILTER") => {
                    f.tick_size = dec(fl, "tickSize")?;
                    f.min_price = dec(fl, "minPrice")?;
                    f.max_price = dec(fl, "maxPrice")?;
                }
                Some("LOT_SIZE") => {
                    f.step_size = dec(fl, "stepSize")?;
                    f.min_qty = dec(fl, "minQty")?;
                    f.max_qty = dec(fl, "maxQty")?;
                }
                Some("MARKET_LOT_SIZE") => {
                    f.market_step_size = dec(fl, "stepSize")?;
                    f.market_min_qty = dec(fl, "minQty")?;
                    f.market_max_qty = dec(fl, "maxQty")?;
                }
                Some("NOTIONAL") => {
                    f.min_notional = dec(fl, "minNotional")?;
                    f.max_notional = dec(fl, "maxNotional")?;
                    f.apply_min_to_market = fl
                        .get("applyMinToMarket")
                        .and_then(Value::as_bool)
                        .unwrap_or(true);
                    f.apply_max_to_market = fl
                        .get("applyMaxToMarket")
                        .and_then(Value::as_bool)
                        .unwrap_or(false);
                    f.notional_filter = "NOTIONAL";
                }
                // The legacy filter, still served for some symbols.
                Some("MIN_NOTIONAL") => {
                    f.min_notional = dec(fl, "minNotional")?;
                    f.apply_min_to_market = fl
                        .get("applyToMarket")
                        .and_then(Value::as_bool)
                        .unwrap_or(true);
                    f.notional_filter = "MIN_NOTIONAL";
                }
                _ => {}
            }
        }
        Ok(f)
    }

    /// The lot step, minimum and maximum quantity for this kind of order
    /// (`MARKET_LOT_SIZE` for market orders where it sets them).
    pub fn lot(&self, market: bool) -> (Decimal, Decimal, Decimal, &'static str) {
        if market && !self.market_step_size.is_zero() {
            (
                self.market_step_size,
                self.market_min_qty,
                self.market_max_qty,
                "MARKET_LOT_SIZE",
            )
        } else {
            (self.step_size, self.min_qty, self.max_qty, "LOT_SIZE")
        }
    }

    /// Rounds and checks an order in place; on refusal the message names
    /// the filter (`LOT_SIZE: quantity 0.000001 below minQty 0.00001`).
    /// `reference` prices a market order's notional (0: not checked).
    pub fn conform(&self, req: &mut PlaceRequest, reference: Decimal) -> Result<(), String> {
        if self.status != "TRADING" {
            return Err(format!(
                "{} is not trading (status {})",
                self.symbol, self.status
            ));
        }
        if req.take_profit.is_some() || req.stop_loss.is_some() {
            return Err("Binance Spot holds no bracket exits (take_profit/stop_loss)".into());
        }
        let market = matches!(req.kind, OrderType::Market | OrderType::Stop);
        let (step, min_qty, max_qty, lot_name) = self.lot(market);
        let asked = req.qty;
        let qty = floor_to(asked, step);
        if qty <= Decimal::ZERO || qty < min_qty {
            return Err(format!(
                "{lot_name}: quantity {} below minQty {}",
                asked.normalize(),
                min_qty.normalize()
            ));
        }
        if !max_qty.is_zero() && qty > max_qty {
            return Err(format!(
                "{lot_name}: quantity {} above maxQty {}",
                qty.normalize(),
                max_qty.normalize()
            ));
        }
        req.qty = qty.normalize();
        let passive_up = req.side == Side::Sell;
        if let Some(limit) = req.limit {
            req.limit = Some(self.price_ok("price", round_to(limit, self.tick_size, passive_up))?);
        }
        if let Some(stop) = req.stop {
            req.stop =
                Some(self.price_ok("stopPrice", round_to(stop, self.tick_size, passive_up))?);
        }
        let price = match (req.kind, req.limit) {
            (OrderType::Limit | OrderType::StopLimit, Some(p)) => p,
            (OrderType::Limit | OrderType::StopLimit, None) => {
                return Err(format!("{} order without a limit price", req.kind.as_str()));
            }
            _ => reference,
        };
        if price > Decimal::ZERO {
            let notional = (qty * price).normalize();
            let min_applies = !market || self.apply_min_to_market;
            if min_applies && !self.min_notional.is_zero() && notional < self.min_notional {
                return Err(format!(
                    "{}: {notional} below minNotional {}",
                    self.notional_filter,
                    self.min_notional.normalize()
                ));
            }
            let max_applies = !market || self.apply_max_to_market;
            if max_applies && !self.max_notional.is_zero() && notional > self.max_notional {
                return Err(format!(
                    "{}: {notional} above maxNotional {}",
                    self.notional_filter,
                    self.max_notional.normalize()
                ));
            }
        }
        Ok(())
    }

    fn price_ok(&self, name: &str, p: Decimal) -> Result<Decimal, String> {
        if p <= Decimal::ZERO {
            return Err(format!(
                "PRICE_FILTER: {name} {} not positive",
                p.normalize()
            ));
        }
        if !self.min_price.is_zero() && p < self.min_price {
            return Err(format!(
                "PRICE_FILTER: {name} {} below minPrice {}",
                p.normalize(),
                self.min_price.normalize()
            ));
        }
        if !self.max_price.is_zero() && p > self.max_price {
            return Err(format!(
                "PRICE_FILTER: {name} {} above maxPrice {}",
                p.normalize(),
                self.max_price.normalize()
            ));
        }
        Ok(p.normalize())
    }
}

/// `value` rounded down to a multiple of `step` (unchanged when the step
/// is 0, i.e. no step).
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
    use omni_core::domain::TimeInForce;
    use rust_decimal::dec;

    fn btc() -> SymbolFilters {
        let v = serde_json::json!({
            "symbol": "BTCUSDT", "status": "TRADING", "baseAsset": "BTC", "quoteAsset": "USDT",
            "filters": [
                {"filterType": "PRICE_FILTER", "minPrice": "0.01000000", "maxPrice": "1000000.00000000", "tickSize": "0.01000000"},
                {"filterType": "LOT_SIZE", "minQty": "0.00001000", "maxQty": "9000.00000000", "stepSize": "0.00001000"},
                {"filterType": "NOTIONAL", "minNotional": "5.00000000", "applyMinToMarket": true, "maxNotional": "9000000.00000000", "applyMaxToMarket": false, "avgPriceMins": 5}
            ]
        });
        SymbolFilters::from_json(&v).unwrap()
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
    fn rounds_toward_the_passive_side() {
        let f = btc();
        let mut b = req(
            Side::Buy,
            OrderType::Limit,
            dec!(0.123456789),
            Some(dec!(50000.019)),
        );
        f.conform(&mut b, dec!(0)).unwrap();
        assert_eq!((b.qty, b.limit), (dec!(0.12345), Some(dec!(50000.01))));
        let mut s = req(
            Side::Sell,
            OrderType::Limit,
            dec!(0.1),
            Some(dec!(50000.011)),
        );
        f.conform(&mut s, dec!(0)).unwrap();
        assert_eq!(s.limit, Some(dec!(50000.02)));
    }

    #[test]
    fn refuses_by_filter_name() {
        let f = btc();
        let mut r = req(Side::Buy, OrderType::Market, dec!(0.000001), None);
        assert_eq!(
            f.conform(&mut r, dec!(50000)).unwrap_err(),
            "LOT_SIZE: quantity 0.000001 below minQty 0.00001"
        );
        let mut r = req(
            Side::Buy,
            OrderType::Limit,
            dec!(0.00032),
            Some(dec!(10000)),
        );
        assert_eq!(
            f.conform(&mut r, dec!(0)).unwrap_err(),
            "NOTIONAL: 3.2 below minNotional 5"
        );
    }
}
