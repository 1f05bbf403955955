//! Historical OHLCV bars from CSV files in the formats venues and
//! platforms export, and timeframe aggregation.

pub mod aggregate;
pub mod parse;

pub use aggregate::{aggregate, bars_at};
pub use parse::{BadRow, HistoryError, Series, load_series};

use omni_core::domain::Timestamp;
use rust_decimal::Decimal;

/// One historical bar. Prices stay exact as printed in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HistBar {
    /// Start of the bar's interval, UTC.
    pub ts: Timestamp,
    pub open: Decimal,
    pub high: Decimal,
    pub low: Decimal,
    pub close: Decimal,
    /// Volume (base asset, or tick volume for MetaTrader exports).
    pub volume: Decimal,
}
