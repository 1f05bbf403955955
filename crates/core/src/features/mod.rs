//! Model features, computed by one streaming code path that training, the
//! evaluation and the live engine all run bar by bar: nothing can differ
//! between training and serving, and no feature looks past its bar.

pub mod context;

pub use context::{
    BarContext, CONTEXT_FEATURE_NAMES, CONTEXT_FEATURES, ContextState, MAX_OTHER_VENUES, TopOfBook,
};

use crate::domain::Timestamp;
use crate::indicators::{Atr, Ema, RollingStats, Rsi};

/// Names of the bar features, in vector order: every bar has them.
pub const FEATURE_NAMES: [&str; FEATURES] = [
    "ret_1",
    "ret_3",
    "ret_12",
    "ret_48",
    "vol_ratio",
    "rsi_14",
    "atr_ratio",
    "macd",
    "macd_hist",
    "bollinger",
    "volume_z",
    "hour_sin",
    "hour_cos",
    "weekday_sin",
    "weekday_cos",
];

/// Length of [`FEATURE_NAMES`].
pub const FEATURES: usize = 15;

/// Every feature this build computes: the bar features, then the context
/// features ([`context`]), which need inputs a bar alone does not carry.
pub const ALL_FEATURES: usize = FEATURES + CONTEXT_FEATURES;

/// Names of [`ALL_FEATURES`], in [`FeatureVector`] order. A model file
/// names the ones it reads; a name not in this list is refused.
pub const ALL_FEATURE_NAMES: [&str; ALL_FEATURES] = [
    "ret_1",
    "ret_3",
    "ret_12",
    "ret_48",
    "vol_ratio",
    "rsi_14",
    "atr_ratio",
    "macd",
    "macd_hist",
    "bollinger",
    "volume_z",
    "hour_sin",
    "hour_cos",
    "weekday_sin",
    "weekday_cos",
    "xv_premium",
    "xv_ret_1",
    "taker_buy",
    "book_imbalance",
    "microprice",
];

/// Position of a feature in [`ALL_FEATURE_NAMES`].
pub fn feature_index(name: &str) -> Option<usize> {
    ALL_FEATURE_NAMES.iter().position(|n| *n == name)
}

/// Every feature at one bar close, and which had their inputs (the bar
/// features always do; a context feature only when its inputs were there).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FeatureVector {
    /// Values in [`ALL_FEATURE_NAMES`] order; 0 where not available.
    pub values: [f64; ALL_FEATURES],
    /// Whether each value was computed from real inputs.
    pub available: [bool; ALL_FEATURES],
}

impl FeatureVector {
    /// The bar features alone.
    pub fn bar_features(&self) -> [f64; FEATURES] {
        std::array::from_fn(|k| self.values[k])
    }
}

/// Something a model can read features from: `Some(value)` for an
/// available feature (by [`ALL_FEATURE_NAMES`] index), `None` otherwise.
pub trait FeatureInput {
    fn feature(&self, index: usize) -> Option<f64>;
}

impl FeatureInput for FeatureVector {
    fn feature(&self, index: usize) -> Option<f64> {
        (*self.available.get(index)?).then(|| self.values[index])
    }
}

/// A bare vector of the bar features: no context feature is available.
impl FeatureInput for [f64; FEATURES] {
    fn feature(&self, index: usize) -> Option<f64> {
        self.get(index).copied()
    }
}

/// Bars needed before the first feature vector.
pub const WARMUP_BARS: u32 = 50;

const LOOKBACK: usize = 49;
const CLIP: f64 = 5.0;

/// One bar as the feature code sees it (floats; the model's inside).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BarInput {
    /// Close time of the bar (open + width), UTC.
    pub close_ts: Timestamp,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub volume: f64,
}

/// EW mean of squared log returns with a half-life in bars.
#[derive(Clone, Debug)]
struct EwVar {
    lambda: f64,
    value: Option<f64>,
}

impl EwVar {
    fn new(halflife: f64) -> Self {
        Self {
            lambda: 0.5f64.powf(1.0 / halflife),
            value: None,
        }
    }
    fn update(&mut self, r: f64) -> f64 {
        let v = match self.value {
            Some(v) => self.lambda * v + (1.0 - self.lambda) * r * r,
            None => r * r,
        };
        self.value = Some(v);
        v
    }
}

/// Streaming features of one instrument at one timeframe.
///
/// Returns over 1, 3, 12 and 48 bars in units of the expected move
/// (σ√k, σ an EWMA of one-bar log returns), the short/long volatility ratio,
/// RSI(14), ATR(14) against σ, MACD(12, 26, 9) and its histogram in units
/// of σ, the Bollinger(20, 2) position, the volume z-score over 20 bars, and
/// the time of day and day of week as circles. Each is clipped to ±5.
#[derive(Clone, Debug)]
pub struct FeatureExtractor {
    closes: [f64; LOOKBACK],
    head: usize,
    seen: u32,
    var_fast: EwVar,
    var_slow: EwVar,
    rsi: Rsi,
    atr: Atr,
    ema12: Ema,
    ema26: Ema,
    signal9: Ema,
    boll: RollingStats,
    vol: RollingStats,
    context: ContextState,
}

impl Default for FeatureExtractor {
    fn default() -> Self {
        Self::new()
    }
}

impl FeatureExtractor {
    /// An extractor with no history.
    pub fn new() -> Self {
        Self {
            closes: [0.0; LOOKBACK],
            head: 0,
            seen: 0,
            var_fast: EwVar::new(10.0),
            var_slow: EwVar::new(50.0),
            rsi: Rsi::new(14),
            atr: Atr::new(14),
            ema12: Ema::new(12),
            ema26: Ema::new(26),
            signal9: Ema::new(9),
            boll: RollingStats::new(20),
            vol: RollingStats::new(20),
            context: ContextState::default(),
        }
    }

    fn close_back(&self, k: usize) -> f64 {
        // head points at the slot the next close goes to.
        self.closes[(self.head + LOOKBACK - 1 - k) % LOOKBACK]
    }

    /// Bars fed so far; features start at [`WARMUP_BARS`].
    pub fn seen(&self) -> u32 {
        self.seen
    }

    /// The last close seen.
    pub fn last_close(&self) -> Option<f64> {
        (self.seen > 0).then(|| self.close_back(0))
    }

    /// Adds a bar with nothing known beyond it; returns the bar features
    /// once warm.
    pub fn update(&mut self, b: &BarInput) -> Option<[f64; FEATURES]> {
        self.update_with(b, &BarContext::default())
            .map(|v| v.bar_features())
    }

    /// Adds a bar and what was known at its close (other venues, taker
    /// flow, the book); returns every feature once warm. The context
    /// state advances on every valid bar, warm or not.
    pub fn update_with(&mut self, b: &BarInput, ctx: &BarContext) -> Option<FeatureVector> {
        if !(b.close > 0.0 && b.close.is_finite() && b.high >= b.low) {
            return None;
        }
        // The first bar has no return; variances start from the second.
        let (var_f, var_s) = match self.last_close() {
            Some(p) => {
                let lr = (b.close / p).ln();
                (self.var_fast.update(lr), self.var_slow.update(lr))
            }
            None => (0.0, 0.0),
        };
        let rsi = self.rsi.update(b.close);
        let atr = self.atr.update(b.high, b.low, b.close);
        let e12 = self.ema12.update(b.close);
        let e26 = self.ema26.update(b.close);
        let macd_line = e12 - e26;
        let signal = self.signal9.update(macd_line);
        self.boll.update(b.close);
        self.vol.update((1.0 + b.volume.max(0.0)).ln());
        self.closes[self.head] = b.close;
        self.head = (self.head + 1) % LOOKBACK;
        self.seen = self.seen.saturating_add(1);
        let sigma = var_s.sqrt().max(1e-12);
        let (ctx_values, ctx_available) = self.context.update(b.close, sigma, ctx);
        if self.seen < WARMUP_BARS {
            return None;
        }
        let ret = |k: usize| (b.close / self.close_back(k)).ln() / (sigma * (k as f64).sqrt());
        let scale = b.close * sigma;
        let boll_sd = self.boll.std();
        let vol_sd = self.vol.std();
        let (weekday, minute) = b.close_ts.weekday_minute();
        let hour = f64::from(minute) / 60.0;
        let tau = std::f64::consts::TAU;
        let f = [
            ret(1),
            ret(3),
            ret(12),
            ret(48),
            (var_f.sqrt().max(1e-12) / sigma).ln(),
            rsi.map_or(0.0, |r| (r - 50.0) / 50.0),
            atr.map_or(0.0, |a| (a.max(1e-12) / scale).ln()),
            macd_line / scale,
            (macd_line - signal) / scale,
            if boll_sd > 0.0 {
                (b.close - self.boll.mean()) / (2.0 * boll_sd)
            } else {
                0.0
            },
            if vol_sd > 0.0 {
                ((1.0 + b.volume.max(0.0)).ln() - self.vol.mean()) / vol_sd
            } else {
                0.0
            },
            (tau * hour / 24.0).sin(),
            (tau * hour / 24.0).cos(),
            (tau * f64::from(weekday) / 7.0).sin(),
            (tau * f64::from(weekday) / 7.0).cos(),
        ];
        let f = f.map(|x| {
            if x.is_finite() {
                x.clamp(-CLIP, CLIP)
            } else {
                0.0
            }
        });
        let mut values = [0.0; ALL_FEATURES];
        let mut available = [true; ALL_FEATURES];
        values[..FEATURES].copy_from_slice(&f);
        values[FEATURES..].copy_from_slice(&ctx_values);
        available[FEATURES..].copy_from_slice(&ctx_available);
        Some(FeatureVector { values, available })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(i: i64, c: f64) -> BarInput {
        BarInput {
            close_ts: Timestamp::from_secs(1_741_071_600 + 60 * i),
            open: c,
            high: c * 1.001,
            low: c * 0.999,
            close: c,
            volume: 10.0 + (i % 7) as f64,
        }
    }

    #[test]
    fn warms_up_then_emits_bounded_features_without_lookahead() {
        let mut fx = FeatureExtractor::new();
        let closes: Vec<f64> = (0..120)
            .map(|i| 100.0 * (1.0 + 0.001 * ((i * 13 % 17) as f64 - 8.0)))
            .collect();
        let mut out = Vec::new();
        for (i, c) in closes.iter().enumerate() {
            let f = fx.update(&bar(i as i64, *c));
            assert_eq!(f.is_some(), i + 1 >= WARMUP_BARS as usize, "bar {i}");
            if let Some(f) = f {
                assert!(f.iter().all(|x| x.abs() <= CLIP));
                out.push(f);
            }
        }
        // Replaying a prefix gives the same vectors: nothing depends on later bars.
        let mut again = FeatureExtractor::new();
        let mut prefix = Vec::new();
        for (i, c) in closes[..90].iter().enumerate() {
            if let Some(f) = again.update(&bar(i as i64, *c)) {
                prefix.push(f);
            }
        }
        assert_eq!(&out[..prefix.len()], &prefix[..]);
    }

    #[test]
    fn the_catalogue_is_the_bar_features_then_the_context_ones() {
        assert_eq!(&ALL_FEATURE_NAMES[..FEATURES], &FEATURE_NAMES[..]);
        assert_eq!(&ALL_FEATURE_NAMES[FEATURES..], &CONTEXT_FEATURE_NAMES[..]);
        assert_eq!(feature_index("xv_ret_1"), Some(FEATURES + 1));
        assert_eq!(feature_index("ret_96"), None);
    }

    #[test]
    fn one_bar_return_is_in_units_of_sigma() {
        let mut fx = FeatureExtractor::new();
        let mut last = None;
        for i in 0..60 {
            let c = if i % 2 == 0 { 100.0 } else { 100.1 };
            last = fx.update(&bar(i, c));
        }
        let f = last.expect("warm");
        // Alternating ±0.1 %: each return is about one σ.
        assert!((f[0].abs() - 1.0).abs() < 0.1, "{}", f[0]);
    }
}
