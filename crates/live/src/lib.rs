//! Live brokers: the order manager that gives every live venue the same
//! guarantees (persist before send, one client id per order, fills applied
//! once, reconciliation, a kill switch that says "flat" only when the
//! venue does), its SQLite journal, and the venue adapters.

pub mod alpaca;
pub mod api;
pub mod binance;
pub mod config;
pub mod journal;
pub mod manager;
pub mod mexc;
pub mod oanda;
pub mod secret;
pub mod tradelocker;

pub use api::{
    ApiError, FlattenOutcome, PlaceRequest, StreamEvent, VenueApi, VenueOrder, VenueOrderState,
};
pub use manager::{LiveBroker, LiveInstrument, LiveSettings};
pub use secret::{Credentials, KeySource, Secret};
