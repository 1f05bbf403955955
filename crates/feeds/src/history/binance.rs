//! Binance `GET /api/v3/klines` and MEXC's copy of it: an array of rows
//! `[openTime, "open", "high", "low", "close", "volume", closeTime, …]`;
//! errors are `{"code":-1121,"msg":"Invalid symbol."}`.

use super::{HistoryError, Page, PageRequest, candle, dec, from_millis, int, millis};
use omni_core::domain::{Timeframe, Timestamp};
use serde_json::value::RawValue;

/// Most klines one request returns (both venues).
pub(super) const PAGE: usize = 1000;

/// Which of the two venues speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Dialect {
    Binance,
    Mexc,
}

impl Dialect {
    fn name(self) -> &'static str {
        match self {
            Dialect::Binance => "binance",
            Dialect::Mexc => "mexc",
        }
    }

    /// The venue's interval name (MEXC writes an hour as `60m`).
    fn interval(self, tf: Timeframe) -> &'static str {
        match (self, tf) {
            (_, Timeframe::M1) => "1m",
            (_, Timeframe::M5) => "5m",
            (_, Timeframe::M15) => "15m",
            (Dialect::Binance, Timeframe::H1) => "1h",
            (Dialect::Mexc, Timeframe::H1) => "60m",
            (_, Timeframe::H4) => "4h",
            (_, Timeframe::D1) => "1d",
        }
    }
}

/// The klines of `symbol` opening in `[from, to)`, at most `limit`.
pub(super) fn request(
    d: Dialect,
    base: &str,
    symbol: &str,
    tf: Timeframe,
    from: Timestamp,
    to: Timestamp,
    limit: usize,
) -> PageRequest {
    PageRequest {
        url: format!(
            "{}/api/v3/klines?symbol={symbol}&interval={}&startTime={}&endTime={}&limit={}",
            base.trim_end_matches('/'),
            d.interval(tf),
            millis(from),
            millis(to) - 1,
            limit.min(PAGE)
        ),
        headers: Vec::new(),
    }
}

#[derive(serde::Deserialize)]
struct ErrorBody {
    #[serde(default)]
    code: Option<i64>,
    msg: String,
}

/// Reads one answer.
pub(super) fn parse(d: Dialect, status: u16, body: &str) -> Result<Page, HistoryError> {
    let venue = d.name();
    if let Ok(e) = serde_json::from_str::<ErrorBody>(body) {
        let code = e.code.map(|c| format!(" (code {c})")).unwrap_or_default();
        return Err(HistoryError::Venue {
            venue,
            status,
            message: format!("{}{code}", e.msg),
        });
    }
    if !(200..300).contains(&status) {
        return Err(HistoryError::Venue {
            venue,
            status,
            message: super::excerpt(body),
        });
    }
    let rows: Vec<&RawValue> = serde_json::from_str(body).map_err(|e| HistoryError::Format {
        venue,
        why: format!("expected an array of klines: {e}"),
    })?;
    let mut page = Page::default();
    for row in rows {
        match serde_json::from_str::<Vec<&RawValue>>(row.get())
            .ok()
            .and_then(|r| kline(&r))
        {
            Some(c) => page.candles.push(c),
            None => page.bad_rows += 1,
        }
    }
    Ok(page)
}

fn kline(r: &[&RawValue]) -> Option<super::Candle> {
    if r.len() < 6 {
        return None;
    }
    let open_ts = from_millis(int(r[0])?)?;
    candle(
        open_ts,
        [dec(r[1]), dec(r[2]), dec(r[3]), dec(r[4]), dec(r[5])],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    /// Binance's documented example row, and one more.
    const KLINES: &str = r#"[[1499040000000,"0.01634790","0.80000000","0.01575800","0.01577100","148976.11427815",1499644799999,"2434.19055334",308,"1756.87402397","28.46694368","0"],[1499040060000,"0.01577100","0.01600000","0.01570000","0.01590000","10.5",1499040119999,"0.2",3,"1","0.01","0"]]"#;

    #[test]
    fn binance_klines_are_read_exactly() {
        let p = parse(Dialect::Binance, 200, KLINES).expect("page");
        assert_eq!(p.bad_rows, 0);
        assert_eq!(p.candles.len(), 2);
        let c = p.candles[0];
        assert_eq!(c.open_ts, Timestamp(1_499_040_000_000 * 1_000_000));
        assert_eq!(c.open, dec!(0.01634790));
        assert_eq!(c.high, dec!(0.80000000));
        assert_eq!(c.low, dec!(0.01575800));
        assert_eq!(c.close, dec!(0.01577100));
        assert_eq!(c.volume, dec!(148976.11427815));
    }

    #[test]
    fn mexc_rows_are_the_same_shape_with_fewer_fields() {
        let body = r#"[[1640804880000,"47482.36","47482.36","47416.57","47436.1","3.550717",1640804940000,"168387.3"],[1640804940000,"x","1","1","1","1",1,"1"]]"#;
        let p = parse(Dialect::Mexc, 200, body).expect("page");
        assert_eq!(p.candles.len(), 1);
        assert_eq!(p.bad_rows, 1);
        assert_eq!(p.candles[0].close, dec!(47436.1));
    }

    #[test]
    fn errors_and_other_bodies() {
        let e = parse(
            Dialect::Binance,
            400,
            r#"{"code":-1121,"msg":"Invalid symbol."}"#,
        )
        .expect_err("error body");
        assert_eq!(
            e.to_string(),
            "binance answered 400: Invalid symbol. (code -1121)"
        );
        let e = parse(Dialect::Binance, 502, "<html>bad gateway</html>").expect_err("5xx");
        assert!(e.to_string().contains("502"), "{e}");
        let e = parse(Dialect::Binance, 200, r#"{"a":1}"#).expect_err("not an array");
        assert!(matches!(e, HistoryError::Format { .. }), "{e}");
        // Short rows, a row that is not an array, an inconsistent bar.
        let p = parse(
            Dialect::Binance,
            200,
            r#"[[1,"1"],7,[1499040000000,"1","0.5","0.4","1","1",0]]"#,
        )
        .expect("page");
        assert_eq!((p.candles.len(), p.bad_rows), (0, 3));
    }

    #[test]
    fn the_request_names_the_window_and_the_interval() {
        let r = request(
            Dialect::Mexc,
            "http://127.0.0.1:9/",
            "BTCUSDT",
            Timeframe::H1,
            Timestamp(3_600_000_000_000),
            Timestamp(7_200_000_000_000),
            5000,
        );
        assert_eq!(
            r.url,
            "http://127.0.0.1:9/api/v3/klines?symbol=BTCUSDT&interval=60m&startTime=3600000&endTime=7199999&limit=1000"
        );
    }
}
