//! History bars in front of a market source: a replay or a backtest given
//! a history file warms the engine as a live run's back-fill does.

use omni_core::domain::{Bar, Timestamp};
use omni_core::market::{MarketEvent, MarketSource, Ring};
use std::collections::VecDeque;
use std::sync::Arc;

/// `inner`'s events, after history bars handed over at the instant of
/// `inner`'s first event (as a live run's back-fill is handed over when it
/// arrives), oldest first. A paced replay therefore starts where it did
/// without history, and the bars cost no wall time.
pub struct WithHistory<M> {
    history: VecDeque<Bar>,
    at: Option<Timestamp>,
    inner: M,
}

impl<M: MarketSource> WithHistory<M> {
    /// `bars` (any order) before `inner`. A bar that has not closed by
    /// `inner`'s first event would tell the engine the future: it is left
    /// out, and the count of those left out is returned with the source.
    pub fn new(inner: M, mut bars: Vec<Bar>) -> (Self, usize) {
        let first = inner.peek_ts();
        let close = |b: &Bar| b.open_ts.plus(b.timeframe.nanos());
        let before = bars.len();
        if let Some(f) = first {
            bars.retain(|b| close(b) <= f);
        }
        let dropped = before - bars.len();
        // Oldest first; at one instant the wider bar first; then by instrument.
        bars.sort_by_key(|b| {
            (
                close(b),
                std::cmp::Reverse(b.timeframe.nanos()),
                b.instrument,
            )
        });
        bars.dedup_by_key(|b| (b.instrument, b.timeframe, b.open_ts));
        let at = first.or_else(|| bars.last().map(close));
        (
            Self {
                history: bars.into(),
                at,
                inner,
            },
            dropped,
        )
    }

    /// History bars not yet handed over.
    pub fn pending(&self) -> usize {
        self.history.len()
    }

    /// The wrapped source.
    pub fn inner(&self) -> &M {
        &self.inner
    }
}

impl<M: MarketSource> Iterator for WithHistory<M> {
    type Item = MarketEvent;
    fn next(&mut self) -> Option<MarketEvent> {
        match self.history.pop_front() {
            Some(b) => Some(MarketEvent::History(b)),
            None => self.inner.next(),
        }
    }
}

impl<M: MarketSource> MarketSource for WithHistory<M> {
    fn peek_ts(&self) -> Option<Timestamp> {
        if self.history.is_empty() {
            self.inner.peek_ts()
        } else {
            self.at
        }
    }

    fn set_ring(&mut self, ring: Arc<dyn Ring>) {
        self.inner.set_ring(ring);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use omni_core::domain::time::MINUTE;
    use omni_core::domain::{InstrumentId, Quote, Timeframe, VenueId};
    use rust_decimal::Decimal;

    struct Events(VecDeque<MarketEvent>);
    impl Iterator for Events {
        type Item = MarketEvent;
        fn next(&mut self) -> Option<MarketEvent> {
            self.0.pop_front()
        }
    }
    impl MarketSource for Events {
        fn peek_ts(&self) -> Option<Timestamp> {
            self.0.front().map(MarketEvent::ts)
        }
    }

    fn bar(open_min: i64, tf: Timeframe) -> Bar {
        Bar::opened(
            InstrumentId(0),
            tf,
            Timestamp(open_min * MINUTE),
            Decimal::ONE,
            Decimal::ONE,
        )
    }

    #[test]
    fn history_comes_first_at_the_first_event_and_never_from_the_future() {
        let q = MarketEvent::Quote(Quote {
            venue: VenueId(0),
            instrument: InstrumentId(0),
            bid: Decimal::ONE,
            ask: Decimal::TWO,
            bid_qty: Decimal::ONE,
            ask_qty: Decimal::ONE,
            ts: Timestamp(100 * MINUTE),
        });
        let inner = Events(VecDeque::from([q.clone()]));
        let bars = vec![
            bar(98, Timeframe::M1),
            bar(99, Timeframe::M1), // closes at 100: complete by the first event
            bar(100, Timeframe::M1), // closes at 101: the future
            bar(0, Timeframe::H1),
            bar(98, Timeframe::M1), // a duplicate
        ];
        let (mut s, dropped) = WithHistory::new(inner, bars);
        assert_eq!(dropped, 1);
        assert_eq!(s.pending(), 3);
        let mut seen = Vec::new();
        while let Some(t) = s.peek_ts() {
            assert_eq!(
                t,
                Timestamp(100 * MINUTE),
                "everything is handed over at the start"
            );
            seen.push(s.next().expect("event"));
        }
        let opens: Vec<i64> = seen[..3]
            .iter()
            .map(|e| match e {
                MarketEvent::History(b) => b.open_ts.nanos() / MINUTE,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(opens, [0, 98, 99]);
        assert_eq!(seen[3], q);
    }
}
