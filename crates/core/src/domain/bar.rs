//! OHLCV bars and the streaming aggregator that builds them from ticks.

use super::ids::InstrumentId;
use super::time::{MINUTE, Timestamp};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Timeframe {
    M1,
    M5,
    M15,
    H1,
    H4,
    D1,
}

impl Timeframe {
    /// Every timeframe, finest first.
    pub const ALL: [Timeframe; 6] = [
        Timeframe::M1,
        Timeframe::M5,
        Timeframe::M15,
        Timeframe::H1,
        Timeframe::H4,
        Timeframe::D1,
    ];

    /// The timeframe exactly `secs` wide, if any.
    pub fn from_secs(secs: i64) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.secs() == secs)
    }

    /// True if bars of `self` can be built from bars of `finer`.
    pub fn builds_from(self, finer: Timeframe) -> bool {
        self.secs() >= finer.secs() && self.secs() % finer.secs() == 0
    }

    /// Width in nanoseconds.
    pub const fn nanos(self) -> i64 {
        match self {
            Timeframe::M1 => MINUTE,
            Timeframe::M5 => 5 * MINUTE,
            Timeframe::M15 => 15 * MINUTE,
            Timeframe::H1 => 60 * MINUTE,
            Timeframe::H4 => 240 * MINUTE,
            Timeframe::D1 => 1440 * MINUTE,
        }
    }
    /// Width in seconds.
    pub const fn secs(self) -> i64 {
        self.nanos() / 1_000_000_000
    }
    /// Name as written in config and files (`M1`, `H1`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Timeframe::M1 => "M1",
            Timeframe::M5 => "M5",
            Timeframe::M15 => "M15",
            Timeframe::H1 => "H1",
            Timeframe::H4 => "H4",
            Timeframe::D1 => "D1",
        }
    }
    /// Parses `M1`, `M5`, `M15`, `H1` or `D1` (case-insensitive).
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_uppercase().as_str() {
            "M1" | "1M" => Some(Timeframe::M1),
            "M5" | "5M" => Some(Timeframe::M5),
            "M15" | "15M" => Some(Timeframe::M15),
            "H1" | "1H" => Some(Timeframe::H1),
            "H4" | "4H" => Some(Timeframe::H4),
            "D1" | "1D" => Some(Timeframe::D1),
            _ => None,
        }
    }
}

/// One OHLCV bar. `open_ts` is the start of the bar's interval.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bar {
    pub instrument: InstrumentId,
    pub timeframe: Timeframe,
    /// Start of the interval.
    pub open_ts: Timestamp,
    /// First price in the interval.
    pub open: Decimal,
    pub high: Decimal,
    pub low: Decimal,
    /// Last price in the interval.
    pub close: Decimal,
    /// Sum of traded quantity (or tick count for quote-only markets).
    pub volume: Decimal,
}

impl Bar {
    /// A bar opened by one tick.
    pub fn opened(
        instrument: InstrumentId,
        timeframe: Timeframe,
        open_ts: Timestamp,
        price: Decimal,
        volume: Decimal,
    ) -> Self {
        Self {
            instrument,
            timeframe,
            open_ts,
            open: price,
            high: price,
            low: price,
            close: price,
            volume,
        }
    }

    /// Folds one more tick into the bar: high max, low min, close last, volume sum.
    pub fn absorb(&mut self, price: Decimal, volume: Decimal) {
        if price > self.high {
            self.high = price;
        }
        if price < self.low {
            self.low = price;
        }
        self.close = price;
        self.volume += volume;
    }

    /// Folds a finer bar into this one (for M1 → M5 aggregation).
    pub fn absorb_bar(&mut self, finer: &Bar) {
        if finer.high > self.high {
            self.high = finer.high;
        }
        if finer.low < self.low {
            self.low = finer.low;
        }
        self.close = finer.close;
        self.volume += finer.volume;
    }
}

/// Builds bars of one timeframe from a stream of ticks in time order.
///
/// A bar is emitted when the first tick of a later interval arrives, so an
/// interval with no ticks produces no bar: a gap stays a gap.
#[derive(Clone, Debug)]
pub struct BarAggregator {
    instrument: InstrumentId,
    timeframe: Timeframe,
    current: Option<Bar>,
}

impl BarAggregator {
    /// An aggregator with no open bar.
    pub fn new(instrument: InstrumentId, timeframe: Timeframe) -> Self {
        Self {
            instrument,
            timeframe,
            current: None,
        }
    }

    /// Adds a tick; returns the bar it completed, if it opened a new interval.
    /// Ticks older than the open bar are ignored (they cannot be reordered in).
    pub fn update(&mut self, ts: Timestamp, price: Decimal, volume: Decimal) -> Option<Bar> {
        let bucket = ts.floor_to(self.timeframe.nanos());
        match &mut self.current {
            Some(bar) if bar.open_ts == bucket => {
                bar.absorb(price, volume);
                None
            }
            Some(bar) if bar.open_ts > bucket => None,
            slot => {
                let done = slot.take();
                *slot = Some(Bar::opened(
                    self.instrument,
                    self.timeframe,
                    bucket,
                    price,
                    volume,
                ));
                done
            }
        }
    }

    /// Adds a completed finer bar (e.g. an M1 into an M5 aggregator);
    /// returns the coarser bar it completed, if any.
    pub fn update_bar(&mut self, finer: &Bar) -> Option<Bar> {
        let bucket = finer.open_ts.floor_to(self.timeframe.nanos());
        match &mut self.current {
            Some(bar) if bar.open_ts == bucket => {
                bar.absorb_bar(finer);
                None
            }
            Some(bar) if bar.open_ts > bucket => None,
            slot => {
                let done = slot.take();
                let mut bar = *finer;
                bar.timeframe = self.timeframe;
                bar.open_ts = bucket;
                *slot = Some(bar);
                done
            }
        }
    }

    /// The bar still being built.
    pub fn current(&self) -> Option<&Bar> {
        self.current.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    fn t(sec: i64) -> Timestamp {
        Timestamp::from_secs(1_741_071_600 + sec)
    }

    #[test]
    fn ticks_make_ohlcv_and_gaps_stay_gaps() {
        let mut agg = BarAggregator::new(InstrumentId(0), Timeframe::M1);
        assert!(agg.update(t(0), dec!(10), dec!(1)).is_none());
        assert!(agg.update(t(10), dec!(12), dec!(2)).is_none());
        assert!(agg.update(t(20), dec!(9), dec!(3)).is_none());
        assert!(agg.update(t(59), dec!(11), dec!(4)).is_none());
        // The next tick is three minutes later: one bar comes out, no filler bars.
        let bar = agg.update(t(180), dec!(20), dec!(1)).expect("bar");
        assert_eq!(
            (bar.open, bar.high, bar.low, bar.close, bar.volume),
            (dec!(10), dec!(12), dec!(9), dec!(11), dec!(10))
        );
        assert_eq!(bar.open_ts, t(0));
        assert_eq!(agg.current().map(|b| b.open_ts), Some(t(180)));
    }

    #[test]
    fn m1_bars_roll_into_m5() {
        let mut m1 = BarAggregator::new(InstrumentId(0), Timeframe::M1);
        let mut m5 = BarAggregator::new(InstrumentId(0), Timeframe::M5);
        let mut out = Vec::new();
        for i in 0..11 {
            let px = Decimal::from(100 + i);
            if let Some(b) = m1.update(t(i * 60), px, dec!(1))
                && let Some(b5) = m5.update_bar(&b)
            {
                out.push(b5);
            }
        }
        assert_eq!(out.len(), 1);
        let b = out[0];
        assert_eq!(
            (b.open, b.high, b.low, b.close, b.volume),
            (dec!(100), dec!(104), dec!(100), dec!(104), dec!(5))
        );
        assert_eq!(b.timeframe, Timeframe::M5);
    }
}
