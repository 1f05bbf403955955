//! The built-in demo market.

pub mod assets;
pub mod generator;
pub mod series;

pub use generator::{DemoError, DemoMarket, HISTORY_MINUTES};
