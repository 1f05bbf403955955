//! The three scanners: cross-venue arbitrage, forex technical signals and
//! 60-second binary predictions.

pub mod arbitrage;
pub mod binary;
pub mod config;
pub mod forex;

pub use arbitrage::ArbitrageScanner;
pub use binary::{BinaryEstimate, BinaryScanner};
pub use forex::ForexScanner;
