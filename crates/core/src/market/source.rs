//! The seam between a market-data source and the drivers.

use super::MarketEvent;
use crate::domain::Timestamp;
use std::sync::Arc;

/// What a thread asleep until there is work gives those who bring it: they
/// ring it. The engine's thread sleeps on one (its `Doorbell`); a live
/// feed rings it after queueing events, a live broker after queueing a
/// report, so nothing has to wake up to look.
pub trait Ring: Send + Sync + std::fmt::Debug {
    fn ring(&self);
}

/// An ordered source of market events that can say when the next one is:
/// the demo generator, a replay, a live feed's channel, a backtest's bars.
pub trait MarketSource: Iterator<Item = MarketEvent> {
    /// Time of the next event, if any: when the source delivers it, which
    /// orders the drivers' merge and paces them. For a live feed (or its
    /// replay) that is the receive time, not a venue's timestamp inside the
    /// event, so a venue's clock never holds an event back.
    fn peek_ts(&self) -> Option<Timestamp>;

    /// Gives the source something to ring when events arrive on their own
    /// (a live feed), so a paced loop can sleep until then. A source whose
    /// events are all there to read (demo, replay, bars) has nothing to
    /// ring.
    fn set_ring(&mut self, _ring: Arc<dyn Ring>) {}
}
