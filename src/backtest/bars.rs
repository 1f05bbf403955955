//! Bar files as a market source, by a model stated in a few lines. Each bar
//! is walked as four mids: its open at the bar's start, then the extreme
//! nearer the open (the high on a tie) a third of the way in, the other
//! extreme two thirds in, and
//! the close at its end, where the bar itself is delivered too, as a
//! venue's completed bar. At each of those instants every venue that lists
//! the instrument quotes the mid with the series' spread (`spread_bps` of
//! its `[[market.demo.series]]`, times the venue's `spread_mult`), rounded
//! out to the tick, and its top-of-book size (`top_qty` times
//! `size_mult`). The scanners, the gate and the paper fill model then run
//! unchanged. With one price for every venue the cross-venue arbitrage
//! scanner finds nothing on bars: that needs recorded feeds.

use omni_core::domain::{Bar, Catalog, InstrumentId, Quote, Timeframe, Timestamp, VenueId};
use omni_core::market::{MarketEvent, MarketSource};
use omni_research::history::HistBar;
use rust_decimal::Decimal;
use std::collections::VecDeque;

/// How one venue quotes one instrument.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QuoteModel {
    pub venue: VenueId,
    /// Half the spread, as a fraction of the price.
    pub half_spread: Decimal,
    pub top_qty: Decimal,
}

/// One instrument's bars and how its venues quote them.
#[derive(Clone, Debug)]
pub struct BarSeries {
    pub instrument: InstrumentId,
    pub timeframe: Timeframe,
    pub bars: Vec<HistBar>,
    pub quotes: Vec<QuoteModel>,
    /// The instrument's tick: quotes are rounded to it (bid down, ask up).
    pub tick: Decimal,
}

/// Every series' events, merged in time order. Bars that close before
/// `from` are delivered as history (`MarketEvent::History`): they warm the
/// indicators and models, and never open an opportunity.
pub struct BarSource {
    events: VecDeque<(Timestamp, MarketEvent)>,
}

impl BarSource {
    /// The events of `series` up to `to` (bar close times, inclusive;
    /// `None`: no bound); bars that open before `from` as history.
    pub fn new(series: &[BarSeries], from: Option<Timestamp>, to: Option<Timestamp>) -> Self {
        let mut events: Vec<(Timestamp, usize, MarketEvent)> = Vec::new();
        for (si, s) in series.iter().enumerate() {
            let width = s.timeframe.nanos();
            for b in &s.bars {
                let close_ts = b.ts.plus(width);
                if to.is_some_and(|t| close_ts > t) {
                    continue;
                }
                let bar = Bar {
                    instrument: s.instrument,
                    timeframe: s.timeframe,
                    open_ts: b.ts,
                    open: b.open,
                    high: b.high,
                    low: b.low,
                    close: b.close,
                    volume: b.volume,
                };
                // A bar that opened before `from` is history: no quote of
                // it is live, so nothing trades before `from`.
                if from.is_some_and(|f| b.ts < f) {
                    events.push((close_ts, si, MarketEvent::History(bar)));
                    continue;
                }
                // The extreme nearer the open first (the high on a tie): the
                // order never depends on where the bar closed, so the path
                // does not tell the engine the close before its time.
                let (first, second) = if b.high - b.open <= b.open - b.low {
                    (b.high, b.low)
                } else {
                    (b.low, b.high)
                };
                let third = width / 3;
                let path = [
                    (b.ts, b.open),
                    (b.ts.plus(third), first),
                    (b.ts.plus(2 * third), second),
                    (close_ts, b.close),
                ];
                for (k, (ts, mid)) in path.into_iter().enumerate() {
                    if k == 3 {
                        events.push((ts, si, MarketEvent::Bar(bar)));
                    }
                    for q in &s.quotes {
                        let half = mid * q.half_spread;
                        let bid = floor_to(mid - half, s.tick);
                        let ask = ceil_to(mid + half, s.tick).max(bid + s.tick);
                        events.push((
                            ts,
                            si,
                            MarketEvent::Quote(Quote {
                                venue: q.venue,
                                instrument: s.instrument,
                                bid,
                                ask,
                                bid_qty: q.top_qty,
                                ask_qty: q.top_qty,
                                ts,
                            }),
                        ));
                    }
                }
            }
        }
        // Stable: within one instant, series in order, each bar before its quotes.
        events.sort_by_key(|(ts, si, _)| (*ts, *si));
        Self {
            events: events.into_iter().map(|(t, _, e)| (t, e)).collect(),
        }
    }

    /// Events left.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Time of the first and the last event.
    pub fn span(&self) -> Option<(Timestamp, Timestamp)> {
        Some((self.events.front()?.0, self.events.back()?.0))
    }
}

fn floor_to(v: Decimal, tick: Decimal) -> Decimal {
    if tick <= Decimal::ZERO {
        return v;
    }
    (v / tick).floor() * tick
}

fn ceil_to(v: Decimal, tick: Decimal) -> Decimal {
    if tick <= Decimal::ZERO {
        return v;
    }
    (v / tick).ceil() * tick
}

impl Iterator for BarSource {
    type Item = MarketEvent;

    fn next(&mut self) -> Option<MarketEvent> {
        self.events.pop_front().map(|(_, e)| e)
    }
}

impl MarketSource for BarSource {
    fn peek_ts(&self) -> Option<Timestamp> {
        self.events.front().map(|(t, _)| *t)
    }
}

/// The quote models of `instrument` from the demo's series and venue
/// settings (`spread_bps`, `top_qty`, per-venue multipliers).
pub fn quote_models(
    catalog: &Catalog,
    demo: &omni_sim::demo::DemoConfig,
    instrument: InstrumentId,
) -> Vec<QuoteModel> {
    let inst = catalog.instrument(instrument);
    let series = demo.series.iter().find(|s| s.instrument == inst.name);
    let (spread_bps, top_qty) = series.map_or((Decimal::ONE, Decimal::ONE), |s| {
        (
            Decimal::try_from(s.spread_bps).unwrap_or(Decimal::ONE),
            Decimal::try_from(s.top_qty).unwrap_or(Decimal::ONE),
        )
    });
    inst.venues
        .iter()
        .map(|&v| {
            let name = &catalog.venue(v).name;
            let venue = demo.venues.iter().find(|d| &d.venue == name);
            let (sm, qm) = venue.map_or((Decimal::ONE, Decimal::ONE), |d| {
                (
                    Decimal::try_from(d.spread_mult).unwrap_or(Decimal::ONE),
                    Decimal::try_from(d.size_mult).unwrap_or(Decimal::ONE),
                )
            });
            QuoteModel {
                venue: v,
                half_spread: spread_bps * sm / Decimal::from(20_000),
                top_qty: top_qty * qm,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    fn bar(min: i64, close: Decimal) -> HistBar {
        HistBar {
            ts: Timestamp::from_secs(min * 60),
            open: close,
            high: close,
            low: close,
            close,
            volume: dec!(1),
        }
    }

    fn one_venue(bars: Vec<HistBar>) -> BarSeries {
        BarSeries {
            instrument: InstrumentId(0),
            timeframe: Timeframe::M1,
            bars,
            quotes: vec![QuoteModel {
                venue: VenueId(0),
                half_spread: Decimal::ZERO,
                top_qty: dec!(1),
            }],
            tick: dec!(0.01),
        }
    }

    fn mids(s: BarSeries) -> Vec<(i64, Decimal)> {
        BarSource::new(&[s], None, None)
            .filter_map(|e| match e {
                MarketEvent::Quote(q) => Some((q.ts.nanos() / 1_000_000_000, q.bid)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_bar_is_walked_open_near_extreme_far_extreme_close() {
        let up = HistBar {
            ts: Timestamp::from_secs(0),
            open: dec!(100),
            high: dec!(105),
            low: dec!(98),
            close: dec!(104),
            volume: dec!(1),
        };
        // The low (2 away) is nearer the open than the high (5 away).
        assert_eq!(
            mids(one_venue(vec![up])),
            vec![
                (0, dec!(100)),
                (20, dec!(98)),
                (40, dec!(105)),
                (60, dec!(104))
            ]
        );
        // Closing down instead changes nothing but the close: the path
        // never tells the close before its time.
        let down = HistBar {
            close: dec!(99),
            ..up
        };
        assert_eq!(
            mids(one_venue(vec![down])),
            vec![
                (0, dec!(100)),
                (20, dec!(98)),
                (40, dec!(105)),
                (60, dec!(99))
            ]
        );
    }

    #[test]
    fn each_instant_quotes_every_venue_and_the_bar_comes_at_its_close() {
        let s = BarSeries {
            quotes: vec![
                QuoteModel {
                    venue: VenueId(0),
                    half_spread: dec!(0.0001),
                    top_qty: dec!(2),
                },
                QuoteModel {
                    venue: VenueId(1),
                    half_spread: dec!(0.0005),
                    top_qty: dec!(1),
                },
            ],
            ..one_venue(vec![bar(0, dec!(100)), bar(1, dec!(101))])
        };
        let src = BarSource::new(std::slice::from_ref(&s), None, None);
        assert_eq!(src.peek_ts(), Some(Timestamp::from_secs(0)));
        let ev: Vec<MarketEvent> = src.collect();
        // Per bar: 4 instants × 2 venues, and the bar before its close.
        assert_eq!(ev.len(), 18);
        assert!(matches!(ev[6], MarketEvent::Bar(b) if b.close == dec!(100)));
        match (&ev[7], &ev[8]) {
            (MarketEvent::Quote(a), MarketEvent::Quote(b)) => {
                assert_eq!(
                    (a.bid, a.ask, a.bid_qty),
                    (dec!(99.99), dec!(100.01), dec!(2))
                );
                assert_eq!((b.bid, b.ask), (dec!(99.95), dec!(100.05)));
                assert_eq!(a.ts, Timestamp::from_secs(60));
            }
            other => panic!("{other:?}"),
        }
        // A bar that opened before `from` is history, with no quote.
        let cut: Vec<MarketEvent> =
            BarSource::new(&[s], Some(Timestamp::from_secs(60)), None).collect();
        assert_eq!(cut.len(), 10);
        assert!(matches!(cut[0], MarketEvent::History(b) if b.close == dec!(100)));
        assert!(
            cut[1..]
                .iter()
                .all(|e| !matches!(e, MarketEvent::History(_)))
        );
        assert!(matches!(cut[7], MarketEvent::Bar(b) if b.close == dec!(101)));
    }
}
