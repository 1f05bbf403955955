//! The seam between a market-data source and the drivers.

use super::MarketEvent;
use crate::domain::Timestamp;

/// An ordered source of market events that can say when the next one is:
/// the demo generator, a replay, a live feed's channel, a backtest's bars.
pub trait MarketSource: Iterator<Item = MarketEvent> {
    /// Time of the next event, if any: when the source delivers it, which
    /// orders the drivers' merge and paces them. For a live feed (or its
    /// replay) that is the receive time, not a venue's timestamp inside the
    /// event, so a venue's clock never holds an event back.
    fn peek_ts(&self) -> Option<Timestamp>;
}
