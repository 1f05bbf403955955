//! Bars per instrument, from the best source the market offers.

use crate::domain::{Bar, BarAggregator, InstrumentId, Timeframe, Timestamp};
use rust_decimal::Decimal;
use std::collections::VecDeque;

/// Completed 1-minute bars kept per instrument for display (the cockpit's
/// chart): four hours.
pub const RECENT_M1: usize = 240;

/// Where an instrument's bars come from. An instrument moves up this list
/// as soon as a better source shows up, never down: a venue's own closed
/// bars beat bars built from trades, which beat bars built from quote mids.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum BarSource {
    /// Mids of the reference venue's quotes; volume counts ticks (as
    /// MetaTrader's tick volume does).
    Quotes,
    /// The reference venue's trades; volume is traded quantity.
    Trades,
    /// The venue's own closed bars (e.g. Binance `kline_1m`).
    Venue,
}

/// M1 and M5 bars of one instrument.
#[derive(Clone, Debug)]
pub struct InstrumentBars {
    source: BarSource,
    m1: BarAggregator,
    m5: BarAggregator,
    h1: BarAggregator,
    /// Last completed bar per timeframe (M1, M5, H1).
    pub last: [Option<Bar>; 3],
    /// The last [`RECENT_M1`] completed 1-minute bars, oldest first.
    recent: VecDeque<Bar>,
}

impl InstrumentBars {
    /// Starts with no bars, building them from quote mids until a better source shows up.
    pub fn new(instrument: InstrumentId) -> Self {
        Self {
            source: BarSource::Quotes,
            m1: BarAggregator::new(instrument, Timeframe::M1),
            m5: BarAggregator::new(instrument, Timeframe::M5),
            h1: BarAggregator::new(instrument, Timeframe::H1),
            last: [None, None, None],
            recent: VecDeque::new(),
        }
    }

    /// The last completed 1-minute bars, oldest first (at most [`RECENT_M1`]).
    pub fn recent(&self) -> impl Iterator<Item = &Bar> {
        self.recent.iter()
    }

    /// The 1-minute bar being built from ticks; `None` before the first
    /// tick and while the venue's own bars are the source.
    pub fn forming(&self) -> Option<&Bar> {
        match self.source {
            BarSource::Venue => None,
            _ => self.m1.current(),
        }
    }

    pub fn source(&self) -> BarSource {
        self.source
    }

    fn tick(&mut self, ts: Timestamp, price: Decimal, volume: Decimal, out: &mut Vec<Bar>) {
        if let Some(b) = self.m1.update(ts, price, volume) {
            self.completed_m1(b, out);
        }
    }

    fn completed_m1(&mut self, b: Bar, out: &mut Vec<Bar>) {
        self.last[0] = Some(b);
        if self.recent.len() == RECENT_M1 {
            self.recent.pop_front();
        }
        self.recent.push_back(b);
        out.push(b);
        if let Some(b5) = self.m5.update_bar(&b) {
            self.last[1] = Some(b5);
            out.push(b5);
            if let Some(h) = self.h1.update_bar(&b5) {
                self.last[2] = Some(h);
                out.push(h);
            }
        }
    }

    /// A reference-venue quote mid; completed bars are appended to `out`.
    pub fn on_quote(&mut self, ts: Timestamp, mid: Decimal, out: &mut Vec<Bar>) {
        if self.source == BarSource::Quotes {
            self.tick(ts, mid, Decimal::ONE, out);
        }
    }

    /// A reference-venue trade; ignored once the venue's own bars are the source.
    pub fn on_trade(&mut self, ts: Timestamp, price: Decimal, qty: Decimal, out: &mut Vec<Bar>) {
        if self.source < BarSource::Trades {
            // The partial bar built from quotes is dropped: mixing sources
            // within one bar would make its volume meaningless.
            self.source = BarSource::Trades;
            self.m1 = BarAggregator::new(self.m1_instrument(), Timeframe::M1);
        }
        if self.source == BarSource::Trades {
            self.tick(ts, price, qty, out);
        }
    }

    /// A venue's own closed bar (live) or a back-filled history bar.
    pub fn on_bar(&mut self, bar: &Bar, live: bool, out: &mut Vec<Bar>) {
        if live && self.source < BarSource::Venue {
            self.source = BarSource::Venue;
        }
        match bar.timeframe {
            Timeframe::M1 => {
                if self.last[0].is_some_and(|l| l.open_ts >= bar.open_ts) {
                    return;
                }
                self.completed_m1(*bar, out);
            }
            Timeframe::M5 => {
                self.last[1] = Some(*bar);
                out.push(*bar);
            }
            Timeframe::H1 => {
                self.last[2] = Some(*bar);
                out.push(*bar);
            }
            _ => out.push(*bar),
        }
    }

    fn m1_instrument(&self) -> InstrumentId {
        self.last[0]
            .map(|b| b.instrument)
            .or_else(|| self.m1.current().map(|b| b.instrument))
            .unwrap_or(InstrumentId(0))
    }
}
