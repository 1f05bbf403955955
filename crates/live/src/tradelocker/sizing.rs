//! Sizes and prices in TradeLocker's terms, with exact decimals only.
//!
//! The engine counts an instrument in units (EUR for EUR/USD, ounces for
//! XAU/USD); TradeLocker's `qty` counts lots, each of the instrument's
//! contract size (`lotSize` of its instrument details: 100 000 for a
//! currency pair, 100 for gold). [`LotRules`] turns the one into the
//! other: units to lots before sending (down to the lot step, refused
//! below the minimum lot or above the maximum), lots to units for all the
//! broker reports.
//!
//! Prices go to the instrument's tick ([`Ticks`], a ladder by price range
//! as TradeLocker gives it) on the side that never costs more than the
//! engine asked for; see [`round_price`].

use rust_decimal::Decimal;

/// The lot rules of one instrument.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct LotRules {
    /// Units per lot (TradeLocker's `lotSize`).
    pub contract: Decimal,
    pub min_lot: Decimal,
    pub lot_step: Decimal,
    /// `maxLot`, where the broker names one.
    pub max_lot: Option<Decimal>,
}

/// Why a quantity in units cannot go to TradeLocker.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SizeError {
    #[error(
        "{units} units of {symbol} round down to {lots} lots, below TradeLocker's minimum lot {min_lot} \
         ({min_units} units: {contract} units a lot, lot step {step})"
    )]
    BelowMinimum {
        symbol: String,
        units: Decimal,
        lots: Decimal,
        min_lot: Decimal,
        min_units: Decimal,
        contract: Decimal,
        step: Decimal,
    },
    #[error(
        "{units} units of {symbol} are {lots} lots, above TradeLocker's maximum lot {max_lot} \
         ({contract} units a lot)"
    )]
    AboveMaximum {
        symbol: String,
        units: Decimal,
        lots: Decimal,
        max_lot: Decimal,
        contract: Decimal,
    },
    #[error(
        "{units} units of {symbol} are not a whole number of lot steps ({step} lots of {contract} units): \
         not conformed, not sent"
    )]
    NotWholeSteps {
        symbol: String,
        units: Decimal,
        step: Decimal,
        contract: Decimal,
    },
    #[error(
        "{units} units of {symbol} cannot be counted in lots of {contract} units (out of range)"
    )]
    OutOfRange {
        symbol: String,
        units: Decimal,
        contract: Decimal,
    },
}

impl LotRules {
    /// `units` in lots, rounded down to the lot step (exact: whole steps
    /// are counted, then multiplied back).
    fn lots_down(&self, symbol: &str, units: Decimal) -> Result<Decimal, SizeError> {
        let range = || SizeError::OutOfRange {
            symbol: symbol.to_string(),
            units,
            contract: self.contract,
        };
        let units_per_step = self.contract.checked_mul(self.lot_step).ok_or_else(range)?;
        if units_per_step <= Decimal::ZERO {
            return Err(range());
        }
        let steps = units.checked_div(units_per_step).ok_or_else(range)?.floor();
        steps.checked_mul(self.lot_step).ok_or_else(range)
    }

    /// Checks `lots` (of `units`) against the minimum and maximum lot.
    fn within(&self, symbol: &str, units: Decimal, lots: Decimal) -> Result<(), SizeError> {
        if lots < self.min_lot {
            return Err(SizeError::BelowMinimum {
                symbol: symbol.to_string(),
                units,
                lots: lots.normalize(),
                min_lot: self.min_lot.normalize(),
                min_units: self
                    .min_lot
                    .checked_mul(self.contract)
                    .unwrap_or(Decimal::MAX)
                    .normalize(),
                contract: self.contract.normalize(),
                step: self.lot_step.normalize(),
            });
        }
        if let Some(max_lot) = self.max_lot
            && lots > max_lot
        {
            return Err(SizeError::AboveMaximum {
                symbol: symbol.to_string(),
                units,
                lots: lots.normalize(),
                max_lot: max_lot.normalize(),
                contract: self.contract.normalize(),
            });
        }
        Ok(())
    }

    /// The units TradeLocker can take of an order for `units`: rounded
    /// down to whole lot steps, refused below the minimum lot or above the
    /// maximum (with the figures named).
    pub(crate) fn conform_units(&self, symbol: &str, units: Decimal) -> Result<Decimal, SizeError> {
        let lots = self.lots_down(symbol, units)?;
        self.within(symbol, units, lots)?;
        lots.checked_mul(self.contract)
            .map(|d| d.normalize())
            .ok_or(SizeError::OutOfRange {
                symbol: symbol.to_string(),
                units,
                contract: self.contract,
            })
    }

    /// TradeLocker's `qty` for an order of `units` already conformed: a
    /// quantity that is not whole lot steps is refused, never rounded here
    /// (what is sent must be what the order manager journaled).
    pub(crate) fn to_lots(&self, symbol: &str, units: Decimal) -> Result<Decimal, SizeError> {
        let lots = self.lots_down(symbol, units)?;
        if lots.checked_mul(self.contract) != Some(units) {
            return Err(SizeError::NotWholeSteps {
                symbol: symbol.to_string(),
                units,
                step: self.lot_step.normalize(),
                contract: self.contract.normalize(),
            });
        }
        self.within(symbol, units, lots)?;
        Ok(lots.normalize())
    }
}

/// A quantity TradeLocker reports in lots, in units; `None` when it does
/// not fit a decimal.
pub(crate) fn lots_to_units(contract: Decimal, lots: Decimal) -> Option<Decimal> {
    lots.checked_mul(contract).map(|d| d.normalize())
}

/// One band of a tick ladder: from `from` (inclusive; `None` for no lower
/// bound) to `to` (exclusive; `None` for no upper bound).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct TickBand {
    pub from: Option<Decimal>,
    pub to: Option<Decimal>,
    pub tick: Decimal,
}

/// An instrument's tick sizes by price (TradeLocker's `tickSize` list of
/// `{leftRangeLimit, rightRangeLimit, tickSize}`).
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Ticks(pub Vec<TickBand>);

impl Ticks {
    /// The tick at `price`: of the band holding it with the highest lower
    /// bound. `None` when no band holds it.
    pub(crate) fn at(&self, price: Decimal) -> Option<Decimal> {
        self.0
            .iter()
            .filter(|b| b.tick > Decimal::ZERO)
            .filter(|b| b.from.is_none_or(|f| f <= price) && b.to.is_none_or(|t| price < t))
            .max_by_key(|b| b.from)
            .map(|b| b.tick)
    }
}

/// Which way a price goes to its tick.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Toward {
    Down,
    Up,
}

/// `price` on a multiple of `tick`, rounded `toward`; `None` when the
/// result does not fit a decimal. A price already on the tick is kept.
pub(crate) fn round_price(price: Decimal, tick: Decimal, toward: Toward) -> Option<Decimal> {
    if tick <= Decimal::ZERO {
        return Some(price);
    }
    let n = price.checked_div(tick)?;
    let n = match toward {
        Toward::Down => n.floor(),
        Toward::Up => n.ceil(),
    };
    n.checked_mul(tick).map(|d| d.normalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    fn fx() -> LotRules {
        LotRules {
            contract: dec!(100000),
            min_lot: dec!(0.01),
            lot_step: dec!(0.01),
            max_lot: Some(dec!(100)),
        }
    }

    #[test]
    fn units_round_down_to_whole_lot_steps() {
        let r = fx();
        assert_eq!(r.conform_units("EURUSD", dec!(1000)), Ok(dec!(1000)));
        assert_eq!(r.conform_units("EURUSD", dec!(1999)), Ok(dec!(1000)));
        assert_eq!(r.conform_units("EURUSD", dec!(123456)), Ok(dec!(123000)));
        assert_eq!(r.to_lots("EURUSD", dec!(1000)), Ok(dec!(0.01)));
        assert_eq!(r.to_lots("EURUSD", dec!(123000)), Ok(dec!(1.23)));
        let gold = LotRules {
            contract: dec!(100),
            ..fx()
        };
        assert_eq!(gold.conform_units("XAUUSD", dec!(2.5)), Ok(dec!(2)));
        assert_eq!(gold.to_lots("XAUUSD", dec!(2)), Ok(dec!(0.02)));
    }

    #[test]
    fn below_the_minimum_or_above_the_maximum_is_refused_with_the_figures() {
        let r = fx();
        let e = r.conform_units("EURUSD", dec!(999)).unwrap_err();
        let text = e.to_string();
        assert!(matches!(e, SizeError::BelowMinimum { .. }), "{text}");
        assert!(text.contains("minimum lot 0.01"), "{text}");
        assert!(text.contains("1000 units: 100000 units a lot"), "{text}");
        let e = r.conform_units("EURUSD", dec!(10001000)).unwrap_err();
        assert!(matches!(e, SizeError::AboveMaximum { .. }), "{e}");
        assert!(e.to_string().contains("maximum lot 100"), "{e}");
    }

    #[test]
    fn an_unconformed_quantity_is_never_sent_rounded() {
        let e = fx().to_lots("EURUSD", dec!(1500)).unwrap_err();
        assert!(matches!(e, SizeError::NotWholeSteps { .. }), "{e}");
        let zero = LotRules {
            contract: Decimal::ZERO,
            ..fx()
        };
        assert!(matches!(
            zero.conform_units("EURUSD", dec!(1000)),
            Err(SizeError::OutOfRange { .. })
        ));
    }

    #[test]
    fn lots_read_back_as_units_exactly() {
        assert_eq!(lots_to_units(dec!(100000), dec!(0.01)), Some(dec!(1000)));
        assert_eq!(lots_to_units(dec!(100), dec!(0.37)), Some(dec!(37)));
        assert_eq!(lots_to_units(Decimal::MAX, dec!(2)), None);
    }

    #[test]
    fn prices_go_to_the_tick_on_the_asked_side() {
        let t = dec!(0.00001);
        assert_eq!(
            round_price(dec!(1.085127), t, Toward::Down),
            Some(dec!(1.08512))
        );
        assert_eq!(
            round_price(dec!(1.085121), t, Toward::Up),
            Some(dec!(1.08513))
        );
        assert_eq!(
            round_price(dec!(1.08512), t, Toward::Up),
            Some(dec!(1.08512))
        );
        assert_eq!(
            round_price(dec!(2031.237), dec!(0.05), Toward::Up),
            Some(dec!(2031.25))
        );
        assert_eq!(
            round_price(dec!(2031.237), dec!(0.05), Toward::Down),
            Some(dec!(2031.2))
        );
    }

    #[test]
    fn the_tick_comes_from_the_band_holding_the_price() {
        let ladder = Ticks(vec![
            TickBand {
                from: None,
                to: Some(dec!(10)),
                tick: dec!(0.001),
            },
            TickBand {
                from: Some(dec!(10)),
                to: None,
                tick: dec!(0.01),
            },
        ]);
        assert_eq!(ladder.at(dec!(9.9999)), Some(dec!(0.001)));
        assert_eq!(ladder.at(dec!(10)), Some(dec!(0.01)));
        assert_eq!(ladder.at(dec!(250)), Some(dec!(0.01)));
        let open_ended = Ticks(vec![TickBand {
            from: Some(dec!(0)),
            to: None,
            tick: dec!(0.5),
        }]);
        assert_eq!(open_ended.at(dec!(-1)), None);
        assert_eq!(Ticks::default().at(dec!(1)), None);
    }
}
