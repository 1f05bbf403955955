//! Bybit v5 `GET /v5/market/kline?category=spot`: `{"retCode":0,
//! "result":{"list":[["startTime","open","high","low","close","volume",
//! "turnover"],…]}}`, newest first, every field a string; an error is a
//! non-zero `retCode` with its `retMsg` (often with HTTP 200).

use super::{HistoryError, Page, PageRequest, candle, dec, from_millis, int, millis};
use omni_core::domain::{Timeframe, Timestamp};
use serde_json::value::RawValue;

/// Most klines one request returns.
pub(super) const PAGE: usize = 1000;
const VENUE: &str = "bybit";

fn interval(tf: Timeframe) -> &'static str {
    match tf {
        Timeframe::M1 => "1",
        Timeframe::M5 => "5",
        Timeframe::M15 => "15",
        Timeframe::H1 => "60",
        Timeframe::H4 => "240",
        Timeframe::D1 => "D",
    }
}

/// The klines of `symbol` opening in `[from, to)`, at most `limit`.
pub(super) fn request(
    base: &str,
    symbol: &str,
    tf: Timeframe,
    from: Timestamp,
    to: Timestamp,
    limit: usize,
) -> PageRequest {
    PageRequest {
        url: format!(
            "{}/v5/market/kline?category=spot&symbol={symbol}&interval={}&start={}&end={}&limit={}",
            base.trim_end_matches('/'),
            interval(tf),
            millis(from),
            millis(to) - 1,
            limit.min(PAGE)
        ),
        headers: Vec::new(),
    }
}

#[derive(serde::Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "retCode")]
    ret_code: i64,
    #[serde(rename = "retMsg", default)]
    ret_msg: String,
    #[serde(borrow, default)]
    result: Option<Result_<'a>>,
}

#[derive(serde::Deserialize)]
struct Result_<'a> {
    #[serde(borrow, default)]
    list: Vec<&'a RawValue>,
}

/// Reads one answer.
pub(super) fn parse(status: u16, body: &str) -> Result<Page, HistoryError> {
    let env = match serde_json::from_str::<Envelope<'_>>(body) {
        Ok(e) => e,
        Err(e) if (200..300).contains(&status) => {
            return Err(HistoryError::Format {
                venue: VENUE,
                why: format!("expected {{retCode, result.list}}: {e}"),
            });
        }
        Err(_) => {
            return Err(HistoryError::Venue {
                venue: VENUE,
                status,
                message: super::excerpt(body),
            });
        }
    };
    if env.ret_code != 0 || !(200..300).contains(&status) {
        return Err(HistoryError::Venue {
            venue: VENUE,
            status,
            message: format!("{} (retCode {})", env.ret_msg, env.ret_code),
        });
    }
    let mut page = Page::default();
    for row in env.result.map(|r| r.list).unwrap_or_default() {
        let c = serde_json::from_str::<Vec<&RawValue>>(row.get())
            .ok()
            .filter(|r| r.len() >= 6)
            .and_then(|r| {
                let t = from_millis(int(r[0])?)?;
                candle(t, [dec(r[1]), dec(r[2]), dec(r[3]), dec(r[4]), dec(r[5])])
            });
        match c {
            Some(c) => page.candles.push(c),
            None => page.bad_rows += 1,
        }
    }
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    /// Bybit's documented example (newest first), plus a malformed row.
    const KLINES: &str = r#"{"retCode":0,"retMsg":"OK","result":{"category":"spot","symbol":"BTCUSDT","list":[["1670608800000","17071","17073","17027","17055.5","268611","15.74462667"],["1670605200000","17071.5","17071.5","17061","17071","4177","0.24469757"],["1670601600000","17086.5","oops","17069.5","17071.5","9015","0.52792965"]]},"retExtInfo":{},"time":1672025956592}"#;

    #[test]
    fn klines_newest_first_are_read_exactly() {
        let p = parse(200, KLINES).expect("page");
        assert_eq!(p.bad_rows, 1);
        assert_eq!(p.candles.len(), 2);
        assert_eq!(
            p.candles[0].open_ts,
            Timestamp(1_670_608_800_000 * 1_000_000)
        );
        assert_eq!(p.candles[0].close, dec!(17055.5));
        assert_eq!(p.candles[1].volume, dec!(4177));
    }

    #[test]
    fn a_non_zero_ret_code_is_an_error_even_with_200() {
        let e = parse(
            200,
            r#"{"retCode":10001,"retMsg":"Not supported symbols","result":{},"retExtInfo":{},"time":1}"#,
        )
        .expect_err("error");
        assert_eq!(
            e.to_string(),
            "bybit answered 200: Not supported symbols (retCode 10001)"
        );
        assert!(matches!(parse(200, "[]"), Err(HistoryError::Format { .. })));
        assert!(matches!(
            parse(403, "forbidden"),
            Err(HistoryError::Venue { status: 403, .. })
        ));
    }

    #[test]
    fn the_request_is_spot_with_bybit_interval_names() {
        let r = request(
            "https://api.bybit.com",
            "ETHUSDT",
            Timeframe::D1,
            Timestamp(0),
            Timestamp(86_400_000_000_000),
            10,
        );
        assert_eq!(
            r.url,
            "https://api.bybit.com/v5/market/kline?category=spot&symbol=ETHUSDT&interval=D&start=0&end=86399999&limit=10"
        );
    }
}
