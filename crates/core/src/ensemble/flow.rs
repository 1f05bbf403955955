//! Taker flow per bar: how much of a bar's traded quantity takers bought,
//! from the primary venue's trades and their aggressor side (the live
//! counterpart of the taker-buy volume in Binance kline files).

use crate::domain::{Timeframe, Timestamp};

/// Bought and total quantity of one bar.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Bucket {
    open: Timestamp,
    bought: f64,
    total: f64,
}

/// The taker flow of the current bar and the one before (a bar completes
/// when the next one's first tick arrives, so the one asked about may
/// already be the previous bucket).
#[derive(Clone, Debug, PartialEq)]
pub struct TradeFlow {
    width: i64,
    current: Option<Bucket>,
    previous: Option<Bucket>,
}

impl TradeFlow {
    /// Empty, for bars of `tf`.
    pub fn new(tf: Timeframe) -> Self {
        Self {
            width: tf.nanos(),
            current: None,
            previous: None,
        }
    }

    /// Adds a trade; trades older than the current bar are ignored.
    pub fn add(&mut self, ts: Timestamp, qty: f64, buy: bool) {
        if !(qty.is_finite() && qty > 0.0) {
            return;
        }
        let open = ts.floor_to(self.width);
        match self.current {
            Some(c) if c.open == open => {}
            Some(c) if c.open > open => return,
            c => {
                self.previous = c;
                self.current = Some(Bucket {
                    open,
                    bought: 0.0,
                    total: 0.0,
                });
            }
        }
        if let Some(c) = self.current.as_mut() {
            c.total += qty;
            if buy {
                c.bought += qty;
            }
        }
    }

    /// Bought share of the bar opening at `open`, if trades were seen in it.
    pub fn share(&self, open: Timestamp) -> Option<f64> {
        [self.current, self.previous]
            .into_iter()
            .flatten()
            .find(|b| b.open == open && b.total > 0.0)
            .map(|b| b.bought / b.total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_per_bar_and_the_bar_before() {
        let mut f = TradeFlow::new(Timeframe::M1);
        let t0 = Timestamp::from_secs(1_677_628_800);
        f.add(t0.plus_secs(5), 3.0, true);
        f.add(t0.plus_secs(30), 1.0, false);
        assert_eq!(f.share(t0), Some(0.75));
        // The next minute's first trade: the finished bar is still known.
        f.add(t0.plus_secs(61), 2.0, false);
        assert_eq!(f.share(t0), Some(0.75));
        assert_eq!(f.share(t0.plus_secs(60)), Some(0.0));
        // A late trade of an older bar changes nothing.
        f.add(t0.plus_secs(10), 5.0, true);
        assert_eq!(f.share(t0), Some(0.75));
        assert_eq!(f.share(t0.plus_secs(120)), None);
    }
}
