//! What market data sources produce.

use crate::domain::{Bar, Quote, Timestamp, Trade};
use serde::{Deserialize, Serialize};

/// One market data event. Every source (demo, live venues, replay) produces
/// these, so nothing downstream knows where a quote came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MarketEvent {
    /// Top of book changed.
    Quote(Quote),
    /// A trade printed.
    Trade(Trade),
    /// A completed bar (history back-fill, or a venue's own kline).
    Bar(Bar),
}

impl MarketEvent {
    /// When it happened.
    pub fn ts(&self) -> Timestamp {
        match self {
            MarketEvent::Quote(q) => q.ts,
            MarketEvent::Trade(t) => t.ts,
            MarketEvent::Bar(b) => b.open_ts.plus(b.timeframe.nanos()),
        }
    }
}
