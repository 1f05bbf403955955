//! A forex signal's calibrated edge: the ensemble's probability of the
//! signal's side over its horizon, turned into the chance of reaching the
//! take-profit before the stop, and the expected result in R after the
//! spread.
//!
//! The price is taken as a Brownian motion whose drift makes the side's
//! probability over the horizon equal the ensemble's p: with σ the
//! volatility per bar (from the ATR: a bar's expected range is σ√(8/π)),
//! μ/σ = Φ⁻¹(p)/√n per bar over the horizon's n bars. For such a motion,
//! the chance of gaining b before losing a is
//! (1 − e^(−θa)) / (1 − e^(−θ(a+b))), θ = 2μ/σ² (a/(a+b) without drift).
//! The trade buys at the ask and sells at the bid: measured on the mid,
//! the stop is half a spread nearer and the target half a spread farther,
//! and a win keeps b − s/2, a loss costs a + s/2. With no drift that is a
//! loss of exactly one spread, as it should be.

use crate::indicators::normal_quantile;

/// A signal's levels as distances, in price units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EdgeInput {
    /// Entry to stop.
    pub risk: f64,
    /// Entry to take-profit.
    pub reward: f64,
    /// Ask − bid.
    pub spread: f64,
    /// Average true range per bar.
    pub atr: f64,
    /// Bars of the signal's timeframe in the ensemble's horizon.
    pub horizon_bars: f64,
}

/// (chance of reaching the take-profit first, expected result in R) for a
/// side the ensemble gives probability `p_side`; None when the inputs do
/// not describe a trade (a zero distance, no volatility, p outside (0, 1)).
pub fn calibrated_edge(input: &EdgeInput, p_side: f64) -> Option<(f64, f64)> {
    let EdgeInput {
        risk: a,
        reward: b,
        spread: s,
        atr,
        horizon_bars: n,
    } = *input;
    let finite = [a, b, s, atr, n, p_side].iter().all(|x| x.is_finite());
    if !(finite && a > 0.0 && b > 0.0 && s >= 0.0 && atr > 0.0 && n > 0.0) {
        return None;
    }
    if !(p_side > 0.0 && p_side < 1.0) {
        return None;
    }
    let (to_stop, to_take) = (a - s / 2.0, b + s / 2.0);
    if to_stop <= 0.0 {
        // The stop sits inside the spread: it is hit on entry.
        return Some((0.0, -(a + s / 2.0) / a));
    }
    let sigma = atr * (std::f64::consts::PI / 8.0).sqrt();
    let theta = 2.0 * normal_quantile(p_side) / (n.sqrt() * sigma);
    let (x, y) = (-theta * to_stop, -theta * (to_stop + to_take));
    let win = if y.abs() < 1e-12 {
        to_stop / (to_stop + to_take)
    } else if y > 700.0 {
        // e^y overflows: the ratio of the two is e^(x − y).
        (x - y).exp()
    } else {
        x.exp_m1() / y.exp_m1()
    }
    .clamp(0.0, 1.0);
    let r = (win * (b - s / 2.0) - (1.0 - win) * (a + s / 2.0)) / a;
    Some((win, r))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(spread: f64) -> EdgeInput {
        EdgeInput {
            risk: 1.0,
            reward: 2.0,
            spread,
            atr: 1.0,
            horizon_bars: 4.0,
        }
    }

    #[test]
    fn no_drift_costs_exactly_one_spread() {
        let (win, r) = calibrated_edge(&input(0.0), 0.5).expect("a trade");
        assert!((win - 1.0 / 3.0).abs() < 1e-12, "{win}");
        assert!(r.abs() < 1e-12, "{r}");
        let (_, r) = calibrated_edge(&input(0.1), 0.5).expect("a trade");
        assert!((r + 0.1).abs() < 1e-12, "{r}");
    }

    #[test]
    fn the_edge_rises_with_the_probability_of_the_side() {
        let edges: Vec<f64> = [0.3, 0.45, 0.5, 0.55, 0.7, 0.9]
            .iter()
            .map(|&p| calibrated_edge(&input(0.02), p).expect("a trade").1)
            .collect();
        assert!(edges.windows(2).all(|w| w[0] < w[1]), "{edges:?}");
        assert!(edges[0] < 0.0 && edges[5] > 0.5, "{edges:?}");
    }

    #[test]
    fn the_closed_form_matches_the_discrete_walk() {
        // A ±1 random walk with P(up step) = q reaches +b before −a with
        // probability (1 − r^a)/(1 − r^(a+b)), r = (1−q)/q: the discrete
        // twin of the formula. A fine walk approaches the Brownian one.
        let (a, b) = (10.0, 20.0);
        let q: f64 = 0.51;
        let r = (1.0 - q) / q;
        let discrete = (1.0 - r.powf(a)) / (1.0 - r.powf(a + b));
        // Per step μ = 2q − 1, σ² ≈ 1: θ = 2μ/σ² (the walk's ln(1/r) ≈ θ).
        let theta = 2.0 * (2.0 * q - 1.0) / (1.0 - (2.0 * q - 1.0f64).powi(2));
        let brownian = (-theta * a).exp_m1() / (-theta * (a + b)).exp_m1();
        assert!((discrete - brownian).abs() < 0.01, "{discrete} {brownian}");
    }

    #[test]
    fn impossible_inputs_give_nothing() {
        assert_eq!(calibrated_edge(&input(0.0), 1.0), None);
        assert_eq!(calibrated_edge(&input(f64::NAN), 0.6), None);
        let flat = EdgeInput {
            atr: 0.0,
            ..input(0.0)
        };
        assert_eq!(calibrated_edge(&flat, 0.6), None);
        // A stop inside the spread loses on entry.
        let (win, r) = calibrated_edge(&input(3.0), 0.9).expect("a trade");
        assert_eq!(win, 0.0);
        assert!(r < -1.0);
    }
}
