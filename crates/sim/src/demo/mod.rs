//! The built-in demo market.

pub mod assets;
pub mod config;
pub mod generator;
pub mod series;

pub use config::{DemoConfig, DemoSeriesConfig, DemoVenueConfig};
pub use generator::{DemoError, DemoMarket, HISTORY_MINUTES};

impl omni_core::market::MarketSource for DemoMarket {
    fn peek_ts(&self) -> Option<omni_core::domain::Timestamp> {
        DemoMarket::peek_ts(self)
    }
}
