//! Streaming indicators, O(1) per update. They work in `f64` inside (the
//! architecture allows it for models); prices are converted at the boundary.

pub mod atr;
pub mod ema;
pub mod ewma;
pub mod rolling;
pub mod rsi;
pub mod sma;

pub use atr::Atr;
pub use ema::Ema;
pub use ewma::EwmaDriftVol;
pub use rolling::RollingStats;
pub use rsi::Rsi;
pub use sma::Sma;

/// Standard normal cumulative distribution Φ(x).
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * statrs::function::erf::erfc(-x / std::f64::consts::SQRT_2)
}

/// Its inverse Φ⁻¹(p), for p in (0, 1) (±∞ at the ends, NaN outside).
pub fn normal_quantile(p: f64) -> f64 {
    -std::f64::consts::SQRT_2 * statrs::function::erf::erfc_inv(2.0 * p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quantile_inverts_the_cdf() {
        for p in [1e-6, 0.01, 0.3, 0.5, 0.77, 0.999] {
            assert!((normal_cdf(normal_quantile(p)) - p).abs() < 1e-9, "{p}");
        }
        assert!((normal_quantile(0.975) - 1.959964).abs() < 1e-6);
    }

    /// Closes from the first 60 minutes of the bundled BTC/USDT demo series.
    fn closes() -> Vec<(f64, f64, f64)> {
        let text = include_str!("../../../../assets/demo/btcusdt_m1.csv");
        text.lines()
            .skip(1)
            .take(60)
            .map(|l| {
                let f: Vec<f64> = l.split(',').map(|x| x.parse().unwrap_or(0.0)).collect();
                (f[2], f[3], f[4])
            })
            .collect()
    }

    /// Batch reference implementations, written from the textbook definitions
    /// and recomputed from scratch at every point.
    fn batch_sma(xs: &[f64], n: usize) -> Option<f64> {
        (xs.len() >= n).then(|| xs[xs.len() - n..].iter().sum::<f64>() / n as f64)
    }

    fn batch_rsi(xs: &[f64], n: usize) -> Option<f64> {
        if xs.len() < n + 1 {
            return None;
        }
        let ch: Vec<f64> = xs.windows(2).map(|w| w[1] - w[0]).collect();
        let mut g = ch[..n].iter().map(|c| c.max(0.0)).sum::<f64>() / n as f64;
        let mut l = ch[..n].iter().map(|c| (-c).max(0.0)).sum::<f64>() / n as f64;
        for c in &ch[n..] {
            g = (g * (n as f64 - 1.0) + c.max(0.0)) / n as f64;
            l = (l * (n as f64 - 1.0) + (-c).max(0.0)) / n as f64;
        }
        Some(if l == 0.0 {
            100.0
        } else {
            100.0 - 100.0 / (1.0 + g / l)
        })
    }

    #[test]
    fn streaming_matches_batch_on_real_bars() {
        let bars = closes();
        let mut sma = Sma::new(20);
        let mut rsi = Rsi::new(14);
        let mut atr = Atr::new(14);
        let mut cs = Vec::new();
        let mut trs = Vec::new();
        for (i, &(h, l, c)) in bars.iter().enumerate() {
            let tr = if i == 0 {
                h - l
            } else {
                let pc = bars[i - 1].2;
                (h - l).max((h - pc).abs()).max((l - pc).abs())
            };
            trs.push(tr);
            cs.push(c);
            let s = sma.update(c);
            let r = rsi.update(c);
            let a = atr.update(h, l, c);
            match (s, batch_sma(&cs, 20)) {
                (Some(x), Some(y)) => assert!((x - y).abs() < 1e-6, "sma {x} vs {y} at {i}"),
                (None, None) => {}
                other => panic!("sma warm-up differs at {i}: {other:?}"),
            }
            match (r, batch_rsi(&cs, 14)) {
                (Some(x), Some(y)) => assert!((x - y).abs() < 1e-9, "rsi {x} vs {y} at {i}"),
                (None, None) => {}
                other => panic!("rsi warm-up differs at {i}: {other:?}"),
            }
            if i >= 13 {
                let mut batch = trs[..14].iter().sum::<f64>() / 14.0;
                for t in &trs[14..] {
                    batch = (batch * 13.0 + t) / 14.0;
                }
                let a = a.expect("warm");
                assert!((a - batch).abs() < 1e-9, "atr {a} vs {batch} at {i}");
            } else {
                assert!(a.is_none());
            }
        }
    }

    #[test]
    fn rsi_of_a_rising_series_is_100_and_flat_is_50() {
        let mut up = Rsi::new(3);
        let mut flat = Rsi::new(3);
        for i in 0..10 {
            up.update(i as f64);
            flat.update(1.0);
        }
        assert_eq!(up.value(), Some(100.0));
        assert_eq!(flat.value(), Some(50.0));
    }

    #[test]
    fn normal_cdf_known_points() {
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_cdf(1.96) - 0.975_002).abs() < 1e-5);
        assert!((normal_cdf(-1.0) - 0.158_655).abs() < 1e-5);
    }

    #[test]
    fn ewma_recovers_drift_and_vol_of_a_geometric_walk() {
        let mut e = EwmaDriftVol::new(200.0);
        let mut p = 100.0;
        // Alternating +2 %, 0 %: mean ln-return ≈ 0.0099, stdev ≈ 0.0099.
        for i in 0..2000 {
            p *= if i % 2 == 0 { 1.02 } else { 1.0 };
            e.update(p);
        }
        assert!((e.drift() - 0.0198 / 2.0).abs() < 1.5e-3, "{}", e.drift());
        assert!(
            (e.volatility() - 0.0099).abs() < 1.5e-3,
            "{}",
            e.volatility()
        );
    }
}
