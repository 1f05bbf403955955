//! Market data: the event type every source produces, the quote book, and
//! the built-in demo market.

pub mod book;
pub mod event;
pub mod guard;
pub mod source;

pub use book::{Generation, MarketSlot, QuoteBook};
pub use event::MarketEvent;
pub use guard::{MarketGuard, QuarantineConfig, QuarantineReason, Reference};
pub use source::{MarketSource, Ring};
