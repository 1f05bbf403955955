//! OANDA's per-instrument trading rules (`GET …/instruments`) and the
//! conforming of an order to them before it is sent.

use super::wire::WireInstrument;
use crate::api::PlaceRequest;
use omni_core::domain::{OrderType, Side};
use rust_decimal::{Decimal, RoundingStrategy};
use std::collections::HashMap;
use std::sync::Mutex;

/// What an instrument allows.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct InstrumentRules {
    /// Decimal places of a price (`displayPrecision`).
    pub price_dp: u32,
    /// Decimal places of units (`tradeUnitsPrecision`, 0 for forex).
    pub units_dp: u32,
    /// `minimumTradeSize`.
    pub min_units: Decimal,
    /// `maximumOrderUnits`, when OANDA sets one (0 means none).
    pub max_units: Option<Decimal>,
}

impl InstrumentRules {
    pub(crate) fn from_wire(i: &WireInstrument) -> Self {
        Self {
            price_dp: i.display_precision,
            units_dp: i.trade_units_precision,
            min_units: i.minimum_trade_size,
            max_units: i.maximum_order_units.filter(|m| *m > Decimal::ZERO),
        }
    }
}

/// The rules of every prepared instrument.
#[derive(Default)]
pub(crate) struct RuleBook {
    by_symbol: Mutex<HashMap<String, InstrumentRules>>,
}

impl RuleBook {
    pub(crate) fn insert(&self, symbol: &str, rules: InstrumentRules) {
        self.lock().insert(symbol.to_string(), rules);
    }

    /// Floors the units to `tradeUnitsPrecision`, refuses below
    /// `minimumTradeSize` or above `maximumOrderUnits`, rounds prices to
    /// `displayPrecision` (a buy limit down, a sell limit up, so
    /// conforming never makes a price worse; triggers and exits to the
    /// nearest), and refuses what OANDA cannot express here.
    pub(crate) fn conform(
        &self,
        req: &mut PlaceRequest,
        _reference: Decimal,
    ) -> Result<(), String> {
        let sym = req.symbol.clone();
        let rules =
            self.lock().get(&sym).cloned().ok_or_else(|| {
                format!("{sym}: no OANDA instrument rules loaded (prepare it first)")
            })?;
        if req.qty <= Decimal::ZERO {
            return Err(format!("{sym}: units {} are not positive", req.qty));
        }
        let units = req
            .qty
            .round_dp_with_strategy(rules.units_dp, RoundingStrategy::ToZero);
        if units < rules.min_units || units.is_zero() {
            return Err(format!(
                "{sym}: units {} (floored to {} under tradeUnitsPrecision {}) are below minimumTradeSize {}",
                req.qty, units, rules.units_dp, rules.min_units
            ));
        }
        if let Some(max) = rules.max_units
            && units > max
        {
            return Err(format!(
                "{sym}: units {units} are above maximumOrderUnits {max}"
            ));
        }
        req.qty = units.normalize();
        match req.kind {
            OrderType::StopLimit => {
                return Err(format!(
                    "{sym}: stop-limit orders are not sent to OANDA (use a stop or a limit)"
                ));
            }
            OrderType::Limit if req.limit.is_none() => {
                return Err(format!("{sym}: a limit order needs a limit price"));
            }
            OrderType::Stop if req.stop.is_none() => {
                return Err(format!("{sym}: a stop order needs a stop price"));
            }
            _ => {}
        }
        if let Some(limit) = req.limit {
            let strategy = if req.side == Side::Sell {
                RoundingStrategy::AwayFromZero
            } else {
                RoundingStrategy::ToZero
            };
            req.limit = Some(round(limit, rules.price_dp, strategy, &sym, "limit")?);
        }
        for (name, price) in [
            ("stop", &mut req.stop),
            ("take_profit", &mut req.take_profit),
            ("stop_loss", &mut req.stop_loss),
        ] {
            if let Some(p) = *price {
                let near = RoundingStrategy::MidpointAwayFromZero;
                *price = Some(round(p, rules.price_dp, near, &sym, name)?);
            }
        }
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, InstrumentRules>> {
        // Whole-value inserts only: a poisoned map is still consistent.
        self.by_symbol
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn round(
    price: Decimal,
    dp: u32,
    strategy: RoundingStrategy,
    sym: &str,
    name: &str,
) -> Result<Decimal, String> {
    let p = price.round_dp_with_strategy(dp, strategy);
    if p <= Decimal::ZERO {
        return Err(format!(
            "{sym}: {name} price {price} rounds to {p} under displayPrecision {dp}"
        ));
    }
    Ok(p.normalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use omni_core::domain::TimeInForce;
    use rust_decimal::dec;

    fn book() -> RuleBook {
        let b = RuleBook::default();
        b.insert(
            "EUR_USD",
            InstrumentRules {
                price_dp: 5,
                units_dp: 0,
                min_units: dec!(1),
                max_units: Some(dec!(100000000)),
            },
        );
        b
    }

    fn req(side: Side, kind: OrderType, qty: Decimal) -> PlaceRequest {
        PlaceRequest {
            client_id: "c".into(),
            symbol: "EUR_USD".into(),
            side,
            kind,
            tif: TimeInForce::Gtc,
            qty,
            limit: None,
            stop: None,
            take_profit: None,
            stop_loss: None,
        }
    }

    #[test]
    fn units_floor_and_prices_round_to_the_instrument() {
        let b = book();
        let mut r = req(Side::Sell, OrderType::Limit, dec!(1500.9));
        r.limit = Some(dec!(1.123451));
        r.stop_loss = Some(dec!(1.128885));
        b.conform(&mut r, dec!(1.1)).unwrap();
        assert_eq!(r.qty, dec!(1500));
        assert_eq!(r.limit, Some(dec!(1.12346)), "a sell limit rounds up");
        assert_eq!(r.stop_loss, Some(dec!(1.12889)));
        let mut r = req(Side::Buy, OrderType::Limit, dec!(10));
        r.limit = Some(dec!(1.123459));
        b.conform(&mut r, dec!(1.1)).unwrap();
        assert_eq!(r.limit, Some(dec!(1.12345)), "a buy limit rounds down");
    }

    #[test]
    fn sizes_outside_the_rules_are_refused_with_the_rule() {
        let b = book();
        let e = b
            .conform(&mut req(Side::Buy, OrderType::Market, dec!(0.7)), dec!(1))
            .unwrap_err();
        assert!(e.contains("minimumTradeSize 1"), "{e}");
        let e = b
            .conform(
                &mut req(Side::Buy, OrderType::Market, dec!(200000000)),
                dec!(1),
            )
            .unwrap_err();
        assert!(e.contains("maximumOrderUnits 100000000"), "{e}");
        let e = b
            .conform(&mut req(Side::Buy, OrderType::Market, dec!(1)), dec!(1))
            .map(|()| "ok".to_string());
        assert_eq!(e, Ok("ok".into()));
        let mut other = req(Side::Buy, OrderType::Market, dec!(1));
        other.symbol = "USD_JPY".into();
        assert!(
            b.conform(&mut other, dec!(1))
                .unwrap_err()
                .contains("prepare")
        );
    }
}
