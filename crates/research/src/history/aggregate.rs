//! Timeframe aggregation: open first, high max, low min, close last,
//! volume sum; buckets in UTC; a gap stays a gap.

use super::{HistBar, Series};
use omni_core::domain::Timeframe;

/// The series' bars at a timeframe, aggregating if the data is finer, or why
/// that cannot be done.
pub fn bars_at(series: &Series, tf: Timeframe) -> Result<Vec<HistBar>, String> {
    if series.timeframe == tf {
        Ok(series.bars.clone())
    } else if tf.builds_from(series.timeframe) {
        Ok(aggregate(&series.bars, tf))
    } else {
        Err(format!(
            "needs {} bars; the data is {}",
            tf.as_str(),
            series.timeframe.as_str()
        ))
    }
}

/// Aggregates time-ordered bars into `to` buckets. A bucket with no source
/// bar produces no bar; a bucket only partly covered (at the ends of the
/// data, or around a gap) is aggregated from what it has.
pub fn aggregate(bars: &[HistBar], to: Timeframe) -> Vec<HistBar> {
    let mut out: Vec<HistBar> = Vec::new();
    for b in bars {
        let bucket = b.ts.floor_to(to.nanos());
        match out.last_mut() {
            Some(cur) if cur.ts == bucket => {
                cur.high = cur.high.max(b.high);
                cur.low = cur.low.min(b.low);
                cur.close = b.close;
                cur.volume += b.volume;
            }
            _ => out.push(HistBar { ts: bucket, ..*b }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use omni_core::domain::Timestamp;
    use rust_decimal::Decimal;

    fn bar(min: i64, o: i64, h: i64, l: i64, c: i64) -> HistBar {
        HistBar {
            ts: Timestamp::from_secs(1_741_046_400 + min * 60),
            open: Decimal::from(o),
            high: Decimal::from(h),
            low: Decimal::from(l),
            close: Decimal::from(c),
            volume: Decimal::ONE,
        }
    }

    #[test]
    fn ohlcv_rules_and_gaps() {
        let m1 = [
            bar(0, 10, 12, 9, 11),
            bar(1, 11, 15, 11, 14),
            bar(4, 14, 14, 8, 9),
            // minutes 5..=14 missing: the M5 buckets at 5 and 10 do not exist
            bar(15, 20, 21, 19, 20),
        ];
        let m5 = aggregate(&m1, Timeframe::M5);
        assert_eq!(m5.len(), 2);
        let b = m5[0];
        assert_eq!(
            (b.open, b.high, b.low, b.close, b.volume),
            (
                Decimal::from(10),
                Decimal::from(15),
                Decimal::from(8),
                Decimal::from(9),
                Decimal::from(3)
            )
        );
        assert_eq!(m5[1].ts, Timestamp::from_secs(1_741_046_400 + 15 * 60));
        let d1 = aggregate(&m1, Timeframe::D1);
        assert_eq!(d1.len(), 1);
        assert_eq!(d1[0].ts, Timestamp::from_secs(1_741_046_400));
    }
}
