//! Recent bars from the venues' REST history endpoints (Binance and MEXC
//! klines, OANDA candles, Bybit klines, Kraken OHLC, Coinbase candles),
//! fetched once before the live feeds connect so the ensemble and the
//! forex scanner are warm from the first minute ([`backfill`]); and a
//! source adapter that puts such bars, or a history file's, in front of any
//! market source ([`prepend`]).
//!
//! Every venue module knows two things: the URL of one page of bars
//! between two times, and how to read the venue's answer (its bars and its
//! error bodies). Prices are read from the JSON text itself, never through
//! a float. A row that cannot be read is counted and left out; an answer
//! that cannot be read at all is an error, and the back-fill goes on cold.

pub mod backfill;
mod binance;
mod bybit;
mod coinbase;
pub mod config;
mod fetch;
mod kraken;
mod oanda;
pub mod prepend;

pub use backfill::{Backfill, BackfillReport, VenuePlan, plan, run};
pub use config::BackfillConfig;
pub use fetch::Endpoint;
pub use prepend::WithHistory;

use omni_core::domain::{Timeframe, Timestamp};
use rust_decimal::Decimal;
use serde_json::value::RawValue;
use std::str::FromStr;

/// One bar as a venue gave it, before it is tied to an instrument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candle {
    /// Start of the bar's interval.
    pub open_ts: Timestamp,
    pub open: Decimal,
    pub high: Decimal,
    pub low: Decimal,
    pub close: Decimal,
    pub volume: Decimal,
}

/// One page of a venue's answer: the bars read, and how many rows could
/// not be read (left out, never guessed).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Page {
    pub candles: Vec<Candle>,
    /// Rows left out: missing fields, numbers that are not numbers, a
    /// candle the venue marks incomplete is not counted here.
    pub bad_rows: usize,
}

/// Why a page of history could not be had.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum HistoryError {
    /// The venue answered with an error (its status and its own message).
    #[error("{venue} answered {status}: {message}")]
    Venue {
        venue: &'static str,
        status: u16,
        message: String,
    },
    /// The answer is not the venue's format.
    #[error("{venue}: unreadable answer: {why}")]
    Format { venue: &'static str, why: String },
    /// The request failed or took too long.
    #[error("{venue}: {why}")]
    Transport { venue: &'static str, why: String },
    /// The venue has no bars of this timeframe.
    #[error("{venue} has no {timeframe} bars")]
    Timeframe {
        venue: &'static str,
        timeframe: &'static str,
    },
}

/// One page's request: where, and the headers it needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageRequest {
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
}

/// The start of a body, on one line, for an error message.
pub(crate) fn excerpt(body: &str) -> String {
    let one: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    match one.char_indices().nth(160) {
        Some((i, _)) => format!("{}…", &one[..i]),
        None if one.is_empty() => "(empty body)".to_string(),
        None => one,
    }
}

/// A JSON value's text as a decimal: a string (`"68900.5"`) or a number
/// (`68900.5`, `6.89e4`), exactly as written.
pub(crate) fn dec(raw: &RawValue) -> Option<Decimal> {
    let text = raw.get();
    let text = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text);
    if text.contains(['e', 'E']) {
        Decimal::from_scientific(text).ok()
    } else {
        Decimal::from_str(text).ok()
    }
}

/// A JSON value as an integer, whether a number (`1499040000000`) or a
/// string of one (`"1670608800000"`).
pub(crate) fn int(raw: &RawValue) -> Option<i64> {
    let text = raw.get();
    let text = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text);
    text.parse().ok()
}

/// A candle from its parts, if they make one: prices positive, the high
/// and low around the open and close, volume not negative.
pub(crate) fn candle(open_ts: Timestamp, [o, h, l, c, v]: [Option<Decimal>; 5]) -> Option<Candle> {
    let (open, high, low, close, volume) = (o?, h?, l?, c?, v?);
    let sane = low > Decimal::ZERO
        && low <= high
        && (low..=high).contains(&open)
        && (low..=high).contains(&close)
        && volume >= Decimal::ZERO;
    sane.then_some(Candle {
        open_ts,
        open,
        high,
        low,
        close,
        volume,
    })
}

/// Milliseconds since the epoch.
pub(crate) fn millis(t: Timestamp) -> i64 {
    t.nanos().div_euclid(1_000_000)
}

/// Seconds since the epoch.
pub(crate) fn secs(t: Timestamp) -> i64 {
    t.nanos().div_euclid(1_000_000_000)
}

/// A timestamp from milliseconds since the epoch, if it fits.
pub(crate) fn from_millis(ms: i64) -> Option<Timestamp> {
    ms.checked_mul(1_000_000).map(Timestamp)
}

/// A timestamp from seconds since the epoch, if it fits.
pub(crate) fn from_secs(s: i64) -> Option<Timestamp> {
    s.checked_mul(1_000_000_000).map(Timestamp)
}

/// The timeframes a back-fill asks for.
pub(crate) fn minutes(tf: Timeframe) -> i64 {
    tf.nanos() / omni_core::domain::time::MINUTE
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    fn raw(s: &str) -> Box<RawValue> {
        RawValue::from_string(s.to_string()).expect("json")
    }

    #[test]
    fn decimals_are_read_exactly_from_strings_and_numbers() {
        assert_eq!(dec(&raw("\"68900.12345678\"")), Some(dec!(68900.12345678)));
        assert_eq!(dec(&raw("0.10025")), Some(dec!(0.10025)));
        assert_eq!(dec(&raw("6.89e4")), Some(dec!(68900)));
        assert_eq!(dec(&raw("\"x\"")), None);
        assert_eq!(dec(&raw("null")), None);
        assert_eq!(int(&raw("\"1670608800000\"")), Some(1_670_608_800_000));
        assert_eq!(int(&raw("1688671200")), Some(1_688_671_200));
        assert_eq!(int(&raw("\"1.5\"")), None);
    }

    #[test]
    fn excerpts_are_one_short_line() {
        assert_eq!(excerpt(""), "(empty body)");
        assert_eq!(excerpt("<h1>Bad\n Gateway</h1>"), "<h1>Bad Gateway</h1>");
        let long = "x".repeat(500);
        assert_eq!(excerpt(&long).chars().count(), 161);
    }

    #[test]
    fn a_candle_must_be_consistent() {
        let t = Timestamp(0);
        let p = |v: Decimal| Some(v);
        let ok = candle(
            t,
            [p(dec!(2)), p(dec!(3)), p(dec!(1)), p(dec!(2)), p(dec!(0))],
        );
        assert!(ok.is_some());
        for bad in [
            [p(dec!(4)), p(dec!(3)), p(dec!(1)), p(dec!(2)), p(dec!(0))],
            [p(dec!(2)), p(dec!(3)), p(dec!(0)), p(dec!(2)), p(dec!(0))],
            [p(dec!(2)), p(dec!(3)), p(dec!(1)), p(dec!(2)), p(dec!(-1))],
            [p(dec!(2)), None, p(dec!(1)), p(dec!(2)), p(dec!(0))],
        ] {
            assert_eq!(candle(t, bad), None);
        }
    }
}
