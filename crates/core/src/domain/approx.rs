//! Decimals as f64 quickly, for the quick tests in front of exact
//! arithmetic (a scanner skipping what certainly does not clear its
//! minimum). Never for money: every figure reported is computed in
//! `Decimal`.

use rust_decimal::Decimal;

/// Powers of ten as f64; exact up to 10^22, within half an ulp beyond.
const POW10: [f64; 29] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22, 1e23, 1e24, 1e25, 1e26, 1e27, 1e28,
];

/// `d` as f64 within a few ulps (about 1e-15 relative): the mantissa
/// converted once and divided by an exact power of ten. Several times
/// faster than `ToPrimitive::to_f64`, which builds the value digit by digit.
pub fn approx_f64(d: Decimal) -> f64 {
    let m = d.mantissa();
    // Prices and sizes fit 64 bits; the 128-bit conversion is the slow path.
    let mf = match i64::try_from(m) {
        Ok(small) => small as f64,
        Err(_) => m as f64,
    };
    // A Decimal's scale is at most 28, the table's last index.
    mf / POW10.get(d.scale() as usize).copied().unwrap_or(1e28)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal::prelude::ToPrimitive;

    proptest! {
        /// Within 4 ulps of the library's conversion, over the whole range
        /// of mantissas and scales.
        #[test]
        fn prop_close_to_the_exact_conversion(
            lo: u32, mid: u32, hi: u32, negative: bool, scale in 0u32..=28,
        ) {
            let d = Decimal::from_parts(lo, mid, hi, negative, scale);
            let exact = d.to_f64().unwrap();
            let fast = approx_f64(d);
            let tolerance = exact.abs() * 4.0 * f64::EPSILON;
            prop_assert!((fast - exact).abs() <= tolerance, "{d}: {fast} vs {exact}");
        }
    }

    #[test]
    fn prices_as_written() {
        assert_eq!(approx_f64(Decimal::new(5_000_012, 2)), 50_000.12);
        assert_eq!(approx_f64(Decimal::new(-15, 1)), -1.5);
        assert_eq!(approx_f64(Decimal::ZERO), 0.0);
    }
}
