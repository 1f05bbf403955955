//! What market data sources produce.

use crate::domain::{Bar, Depth, Quote, Timestamp, Trade};
use serde::{Deserialize, Serialize};

/// One market data event. Every source (demo, live venues, replay) produces
/// these, so nothing downstream knows where a quote came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MarketEvent {
    /// Top of book changed.
    Quote(Quote),
    Trade(Trade),
    /// A venue's own completed bar (e.g. Binance `kline_1m`).
    Bar(Bar),
    /// A completed bar from before the session, replayed at start-up to
    /// warm indicators; it never produces an opportunity.
    History(Bar),
    /// A venue's best levels (boxed: a book is much larger than the other
    /// events, which travel by value).
    Depth(Box<Depth>),
}

impl MarketEvent {
    pub fn ts(&self) -> Timestamp {
        match self {
            MarketEvent::Quote(q) => q.ts,
            MarketEvent::Trade(t) => t.ts,
            MarketEvent::Bar(b) | MarketEvent::History(b) => b.open_ts.plus(b.timeframe.nanos()),
            MarketEvent::Depth(d) => d.ts,
        }
    }
}
