//! The magnitudes a price, a quantity or a fee may have before the engine
//! does arithmetic with them.
//!
//! `Decimal` holds about ±7.9e28; a sum of two prices near that overflows
//! and a quotient by 1e-28 overflows too. Every market event and every fill
//! is checked against these bounds at the engine's door, so the products the
//! engine forms afterwards (price × quantity ≤ 1e12 × 1e15 = 1e27, times a
//! fee rate, plus a balance ≤ 1e15) stay far inside the type's range. No
//! traded instrument is priced outside 1e-12 ..= 1e12 in any quote currency.

use rust_decimal::Decimal;

/// The largest price the engine accepts.
pub const MAX_PRICE: Decimal = Decimal::from_parts(0xD4A5_1000, 0xE8, 0, false, 0); // 1e12
/// The smallest positive price the engine accepts.
pub const MIN_PRICE: Decimal = Decimal::from_parts(1, 0, 0, false, 12); // 1e-12
/// The largest quantity (book size, order or fill) the engine accepts.
pub const MAX_QTY: Decimal = Decimal::from_parts(0xA4C6_8000, 0x38D7E, 0, false, 0); // 1e15

/// The largest amount of money an account holds or a limit names (as
/// `validation::MAX_MONEY`, which config keys are checked against).
pub const MAX_MONEY: Decimal = crate::validation::MAX_MONEY;

/// An amount of money (a balance, an equity) the engine can compute with.
pub fn money(m: Decimal) -> bool {
    m.abs() <= MAX_MONEY
}

/// 10^k for k in 0..=28, the powers a `Decimal`'s mantissa is compared with.
const POW10: [u128; 29] = {
    let mut t = [1u128; 29];
    let mut k = 1;
    while k < 29 {
        t[k] = t[k - 1] * 10;
        k += 1;
    }
    t
};

/// Whether the magnitude of `d` (= mantissa / 10^scale) is at most 10^`exp`,
/// in integer arithmetic: this runs several times on every quote, and a
/// `Decimal` comparison across scales rescales.
fn at_most_pow10(d: Decimal, exp: u32) -> bool {
    let (m, s) = (d.mantissa().unsigned_abs(), d.scale());
    // m < 2^96 < 10^29: any bound of 10^29 or more holds.
    match POW10.get((exp + s) as usize) {
        Some(bound) => m <= *bound,
        None => true,
    }
}

/// Whether the magnitude of a non-zero `d` is at least 10^-`exp`.
fn at_least_pow10_neg(d: Decimal, exp: u32) -> bool {
    let (m, s) = (d.mantissa().unsigned_abs(), d.scale());
    // m / 10^s >= 10^-exp  ⟺  m >= 10^(s - exp); m >= 1 covers s <= exp.
    s <= exp || POW10.get((s - exp) as usize).is_some_and(|p| m >= *p)
}

/// A price the engine can compute with: positive and within the bounds.
pub fn price(p: Decimal) -> bool {
    !p.is_sign_negative() && !p.is_zero() && at_most_pow10(p, 12) && at_least_pow10_neg(p, 12)
}

/// A quantity the engine can compute with: not negative, not above the bound.
pub fn qty(q: Decimal) -> bool {
    q.is_zero() || (!q.is_sign_negative() && at_most_pow10(q, 15))
}

/// A fee the engine can compute with: its magnitude no larger than a
/// plausible notional (a rebate is negative).
pub fn fee(f: Decimal) -> bool {
    f.abs() <= MAX_PRICE * Decimal::from(1000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn the_bounds_are_the_numbers_their_comments_say() {
        assert_eq!(MAX_PRICE, dec!(1_000_000_000_000));
        assert_eq!(MIN_PRICE, dec!(0.000000000001));
        assert_eq!(MAX_QTY, dec!(1_000_000_000_000_000));
        // The largest notional and a balance still add and multiply by a fee.
        let notional = MAX_PRICE * MAX_QTY;
        assert!(notional.checked_mul(dec!(1.5)).is_some());
        assert!(notional.checked_add(MAX_QTY).is_some());
    }

    #[test]
    fn extremes_are_refused() {
        assert!(!price(Decimal::MAX));
        assert!(!price(dec!(1e-28)));
        assert!(!price(Decimal::ZERO));
        assert!(!price(dec!(-1)));
        assert!(price(dec!(67000.5)));
        assert!(!qty(dec!(-0.1)));
        assert!(!qty(Decimal::MAX));
        assert!(qty(Decimal::ZERO));
    }

    #[test]
    fn the_integer_checks_agree_with_decimal_comparisons_at_every_scale() {
        let cases = [
            dec!(1_000_000_000_000),
            dec!(1_000_000_000_000.000000000001),
            dec!(999_999_999_999.99),
            dec!(0.000000000001),
            dec!(0.00000000000099),
            dec!(0.0000000000010),
            dec!(1_000_000_000_000_000),
            dec!(1_000_000_000_000_000.1),
            dec!(-0.000000000001),
            dec!(-0),
            dec!(0.0000000000000000000000000001),
            Decimal::MAX,
            Decimal::MIN,
            dec!(67000.5),
            dec!(1.0000000000000000000000000000),
        ];
        for x in cases {
            assert_eq!(price(x), x >= MIN_PRICE && x <= MAX_PRICE, "price {x}");
            assert_eq!(qty(x), x >= Decimal::ZERO && x <= MAX_QTY, "qty {x}");
        }
    }
}
