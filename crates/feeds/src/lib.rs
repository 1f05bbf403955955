//! Live market data: venue connectors (WebSocket and chunked HTTP), their
//! parsers into the same market events the demo produces, feed health,
//! recording and replay.

#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod backoff;
pub mod binance;
pub mod bybit;
pub mod clock;
pub mod coinbase;
pub mod config;
pub mod frame;
pub mod history;
pub mod http_stream;
pub mod ingest;
pub mod kraken;
pub mod live;
pub mod mexc;
pub mod oanda;
pub mod parser;
pub mod readahead;
pub mod record;
pub mod replay;
pub mod stats;
pub mod venue;
pub mod ws;

pub use clock::{ReceiveClock, WallClock};
pub use config::{FeedConfig, FeedUse, FeedsConfig, ReplayConfig};
pub use parser::{FrameKind, FrameParser, SymbolMap};
pub use stats::{FeedHealth, FeedState, FeedStats};
pub use venue::VenueKind;
