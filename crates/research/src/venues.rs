//! What the context features know at each bar close of a series, from the
//! data: the same instrument's bars on other venues (joined by time) and
//! the taker-bought volume of the primary's own bars. The engine gets the
//! same from its quote book and trades (`omni_core::engine`); both feed
//! `omni_core::features::FeatureExtractor::update_with`.

use crate::history::{HistBar, Series, bars_at};
use omni_core::domain::{Timeframe, Timestamp};
use omni_core::features::context::STALE_BARS;
use omni_core::features::{BarContext, MAX_OTHER_VENUES};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use std::collections::HashMap;

/// The context of every bar of `bars_at(series, tf)`, in the same order.
///
/// * Another venue's price at a bar's close is the close of its latest bar
///   that closed no later (its bar of the same interval when it has one),
///   unless that is more than [`STALE_BARS`] bars old (a venue whose file
///   skips minutes without trades keeps its last close until then). A
///   venue whose bars are coarser than `tf` gives nothing.
/// * The taker share is the taker-bought volume over the volume of the
///   bar's source bars, when the series has it for each of them.
/// * No book: historical data has none.
pub fn contexts(series: &Series, tf: Timeframe) -> Result<Vec<BarContext>, String> {
    let bars = bars_at(series, tf)?;
    let mut out = vec![BarContext::default(); bars.len()];
    for (slot, other) in series
        .other_venues
        .iter()
        .take(MAX_OTHER_VENUES)
        .enumerate()
    {
        let Ok(theirs) = bars_at(other, tf) else {
            continue;
        };
        for (ctx, price) in out.iter_mut().zip(as_of(&bars, &theirs, tf)) {
            ctx.others[slot] = price;
        }
    }
    if let Some(shares) = taker_shares(series, tf) {
        for (ctx, b) in out.iter_mut().zip(&bars) {
            ctx.taker_buy_share = shares.get(&b.ts).copied().flatten();
        }
    }
    Ok(out)
}

/// For each of `ours`, the close of the latest of `theirs` with the same or
/// an earlier start, if at most [`STALE_BARS`] bars earlier. Both sorted.
fn as_of(ours: &[HistBar], theirs: &[HistBar], tf: Timeframe) -> Vec<Option<f64>> {
    let max_age = STALE_BARS * tf.nanos();
    let mut j = 0usize;
    let mut out = Vec::with_capacity(ours.len());
    for b in ours {
        while j < theirs.len() && theirs[j].ts <= b.ts {
            j += 1;
        }
        let price = j
            .checked_sub(1)
            .map(|k| theirs[k])
            .filter(|t| b.ts.since(t.ts) <= max_age)
            .and_then(|t| t.close.to_f64());
        out.push(price);
    }
    out
}

/// Taker-bought share of each `tf` bucket's volume (None for a bucket with
/// no volume), when the series carries taker volumes.
fn taker_shares(series: &Series, tf: Timeframe) -> Option<HashMap<Timestamp, Option<f64>>> {
    let taker = series.taker_buy.as_ref()?;
    let mut sums: HashMap<Timestamp, (Decimal, Decimal)> = HashMap::new();
    for (b, t) in series.bars.iter().zip(taker) {
        let e = sums
            .entry(b.ts.floor_to(tf.nanos()))
            .or_insert((Decimal::ZERO, Decimal::ZERO));
        e.0 += *t;
        e.1 += b.volume;
    }
    Some(
        sums.into_iter()
            .map(|(ts, (t, v))| {
                let share = (v > Decimal::ZERO).then(|| (t / v).to_f64()).flatten();
                (ts, share)
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(min: i64, close: i64) -> HistBar {
        let c = Decimal::from(close);
        HistBar {
            ts: Timestamp::from_secs(1_677_628_800 + 60 * min),
            open: c,
            high: c,
            low: c,
            close: c,
            volume: Decimal::ONE,
        }
    }

    #[test]
    fn another_venue_is_joined_as_of_each_close_and_goes_stale() {
        let ours: Vec<HistBar> = (0..15).map(|m| bar(m, 100)).collect();
        // Minutes 0, 1, then nothing until 14.
        let theirs = vec![bar(0, 101), bar(1, 102), bar(14, 103)];
        let got = as_of(&ours, &theirs, Timeframe::M1);
        assert_eq!(got[0], Some(101.0));
        assert_eq!(got[1], Some(102.0));
        assert_eq!(got[11], Some(102.0), "10 bars old: still its last close");
        assert_eq!(got[12], None, "11 bars old: stale");
        assert_eq!(got[14], Some(103.0));
    }
}
