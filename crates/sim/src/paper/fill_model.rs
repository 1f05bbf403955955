//! How a paper order fills against the top of book: price impact that grows
//! with size relative to the top quantity, and a depth beyond which the rest
//! of the order does not fill.

use omni_core::domain::Side;
use rust_decimal::Decimal;

/// The fill model's parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FillModel {
    /// Impact, as a fraction of price, for taking one full top-of-book size.
    pub impact_per_top: Decimal,
    /// The book holds this many top sizes; beyond it nothing fills.
    pub depth_multiple: Decimal,
}

/// The instrument's price and quantity steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Steps {
    pub tick: Decimal,
    pub lot: Decimal,
}

/// A fill's quantity and average price.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Take {
    /// Quantity filled (on the lot grid, possibly zero).
    pub qty: Decimal,
    /// Average price (on the tick grid, rounded against the trader).
    pub price: Decimal,
}

impl FillModel {
    /// Takes liquidity: buying at `top` (the ask) or selling at `top` (the
    /// bid) with `top_qty` shown. Average price moves linearly with size:
    /// `top × (1 ± impact × qty / top_qty)`; with a limit, the size is cut so
    /// the average stays within it.
    pub fn take(
        &self,
        side: Side,
        qty: Decimal,
        top: Decimal,
        top_qty: Decimal,
        limit: Option<Decimal>,
        steps: Steps,
    ) -> Take {
        let Steps { tick, lot } = steps;
        let none = Take {
            qty: Decimal::ZERO,
            price: top,
        };
        if qty <= Decimal::ZERO || top <= Decimal::ZERO || top_qty <= Decimal::ZERO {
            return none;
        }
        if let Some(l) = limit {
            let marketable = match side {
                Side::Buy => top <= l,
                Side::Sell => top >= l,
            };
            if !marketable {
                return none;
            }
        }
        let mut fill = qty.min(top_qty * self.depth_multiple);
        if let Some(l) = limit
            && self.impact_per_top > Decimal::ZERO
        {
            // Largest size whose average stays at or inside the limit.
            let room = match side {
                Side::Buy => (l / top - Decimal::ONE) / self.impact_per_top,
                Side::Sell => (Decimal::ONE - l / top) / self.impact_per_top,
            };
            fill = fill.min((room * top_qty).max(Decimal::ZERO));
        }
        fill = if lot > Decimal::ZERO {
            (fill / lot).floor() * lot
        } else {
            fill
        };
        if fill <= Decimal::ZERO {
            return none;
        }
        let impact = self.impact_per_top * fill / top_qty;
        let raw = match side {
            Side::Buy => top * (Decimal::ONE + impact),
            Side::Sell => top * (Decimal::ONE - impact),
        };
        let price = if tick > Decimal::ZERO {
            match side {
                Side::Buy => (raw / tick).ceil() * tick,
                Side::Sell => (raw / tick).floor() * tick,
            }
        } else {
            raw
        };
        let price = match (limit, side) {
            (Some(l), Side::Buy) => price.min(l),
            (Some(l), Side::Sell) => price.max(l),
            _ => price,
        };
        Take { qty: fill, price }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    const S: Steps = Steps {
        tick: dec!(0.01),
        lot: dec!(0.01),
    };

    fn model() -> FillModel {
        FillModel {
            impact_per_top: dec!(0.0002),
            depth_multiple: dec!(3),
        }
    }

    #[test]
    fn impact_grows_with_size_and_depth_caps_the_fill() {
        let m = model();
        let small = m.take(Side::Buy, dec!(0.1), dec!(100), dec!(1), None, S);
        let big = m.take(Side::Buy, dec!(2), dec!(100), dec!(1), None, S);
        assert_eq!(
            small,
            Take {
                qty: dec!(0.1),
                price: dec!(100.01)
            }
        );
        assert_eq!(
            big,
            Take {
                qty: dec!(2),
                price: dec!(100.04)
            }
        );
        let huge = m.take(Side::Sell, dec!(10), dec!(100), dec!(1), None, S);
        assert_eq!(
            huge,
            Take {
                qty: dec!(3),
                price: dec!(99.94)
            }
        );
    }

    #[test]
    fn limit_cuts_size_or_refuses() {
        let m = model();
        let t = m.take(
            Side::Buy,
            dec!(2),
            dec!(100),
            dec!(1),
            Some(dec!(100.01)),
            S,
        );
        assert_eq!(
            t,
            Take {
                qty: dec!(0.5),
                price: dec!(100.01)
            }
        );
        let t = m.take(
            Side::Buy,
            dec!(2),
            dec!(100.02),
            dec!(1),
            Some(dec!(100.01)),
            S,
        );
        assert_eq!(t.qty, dec!(0));
    }
}
