//! Labelled samples from historical bars, and the walk-forward split.

use crate::history::{HistBar, Series};
use omni_core::domain::{Timeframe, Timestamp};
use omni_core::ensemble::model::Horizon;
use omni_core::features::{BarContext, BarInput, FeatureExtractor, FeatureVector};
use rust_decimal::prelude::ToPrimitive;
use std::ops::Range;

/// Share of each series' samples used to train, then to validate; the rest
/// is the held-back test period.
pub const TRAIN_SHARE: f64 = 0.6;
/// See [`TRAIN_SHARE`].
pub const VALIDATION_SHARE: f64 = 0.2;

/// One labelled sample: features at a bar's close, and whether the price
/// was higher `horizon_bars` later.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    /// Every feature (`omni_core::features::ALL_FEATURE_NAMES`), with which
    /// had their inputs.
    pub x: FeatureVector,
    /// Close later > close now.
    pub up: bool,
    /// Close time of the bar.
    pub ts: Timestamp,
    /// Sign of the bar's own return (None if unchanged).
    pub last_up: Option<bool>,
}

/// Which part of each series.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Split {
    All,
    /// The first 60 %.
    Train,
    /// The next 20 %.
    Validation,
    /// The last 20 %: never used to train or to choose anything.
    Test,
}

pub use crate::history::bars_at;

/// Converts a historical bar for the feature code.
pub fn bar_input(b: &HistBar, tf: Timeframe) -> BarInput {
    let f = |d: rust_decimal::Decimal| d.to_f64().unwrap_or(0.0);
    BarInput {
        close_ts: b.ts.plus(tf.nanos()),
        open: f(b.open),
        high: f(b.high),
        low: f(b.low),
        close: f(b.close),
        volume: f(b.volume),
    }
}

/// Every labelled sample of a series for one horizon, in time order. A
/// label whose future bar lies more than twice the horizon away (a gap in
/// the data) is dropped rather than stretched over the gap.
pub fn samples(series: &Series, horizon: Horizon) -> Result<Vec<Sample>, String> {
    let tf = horizon.timeframe();
    let bars = bars_at(series, tf)?;
    let ctx = crate::venues::contexts(series, tf)?;
    let h = horizon.horizon_bars();
    let max_span = 2 * h as i64 * tf.nanos();
    let mut fx = FeatureExtractor::new();
    let mut out = Vec::new();
    for (i, (b, c)) in bars.iter().zip(&ctx).enumerate() {
        let input = bar_input(b, tf);
        let prev = fx.last_close();
        let Some(x) = fx.update_with(&input, c) else {
            continue;
        };
        let Some(future) = bars.get(i + h) else {
            continue;
        };
        if future.ts.since(b.ts) > max_span {
            continue;
        }
        let last_up = prev.and_then(|p| {
            if input.close > p {
                Some(true)
            } else if input.close < p {
                Some(false)
            } else {
                None
            }
        });
        out.push(Sample {
            x,
            up: future.close > b.close,
            ts: input.close_ts,
            last_up,
        });
    }
    Ok(out)
}

/// Index ranges of train, validation and test for `n` samples. The last
/// `horizon_bars` samples of train and of validation are dropped (an
/// embargo): their labels look into the next part.
pub fn split_ranges(n: usize, horizon_bars: usize) -> [Range<usize>; 3] {
    let a = (n as f64 * TRAIN_SHARE) as usize;
    let b = (n as f64 * (TRAIN_SHARE + VALIDATION_SHARE)) as usize;
    [
        0..a.saturating_sub(horizon_bars),
        a..b.saturating_sub(horizon_bars).max(a),
        b..n,
    ]
}

/// The samples of one part of a series.
pub fn select(all: &[Sample], horizon: Horizon, split: Split) -> &[Sample] {
    let [train, val, test] = split_ranges(all.len(), horizon.horizon_bars());
    match split {
        Split::All => all,
        Split::Train => &all[train],
        Split::Validation => &all[val],
        Split::Test => &all[test],
    }
}

/// Runs an ensemble tracker over every timeframe the series can feed, in
/// close-time order (finer timeframes first on ties, as the engine sees
/// them), and calls `each` after every bar that gave a model a new reading,
/// with that model's horizon and the bar's close time.
pub fn replay_tracker(
    models: &omni_core::ensemble::ModelSet,
    series: &Series,
    mut each: impl FnMut(Horizon, Timestamp, &omni_core::ensemble::EnsembleTracker),
) {
    let mut stream: Vec<(Timestamp, usize, BarInput, BarContext)> = Vec::new();
    for h in Horizon::ALL {
        let tf = h.timeframe();
        if let (Ok(bars), Ok(ctx)) = (bars_at(series, tf), crate::venues::contexts(series, tf)) {
            stream.extend(bars.iter().zip(ctx).map(|(b, c)| {
                let input = bar_input(b, tf);
                (input.close_ts, h.index(), input, c)
            }));
        }
    }
    stream.sort_by_key(|(ts, rank, _, _)| (*ts, *rank));
    let mut tracker = omni_core::ensemble::EnsembleTracker::new();
    for (ts, rank, bar, ctx) in stream {
        let tf = Horizon::ALL[rank].timeframe();
        if let Some(h) = tracker.on_bar_with(models, tf, &bar, &ctx) {
            each(h, ts, &tracker);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_are_ordered_and_embargoed() {
        let [a, b, c] = split_ranges(1000, 12);
        assert_eq!((a, b, c), (0..588, 600..788, 800..1000));
    }
}
