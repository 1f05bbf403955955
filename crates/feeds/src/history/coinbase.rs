//! Coinbase Advanced Trade `GET /api/v3/brokerage/market/products/{id}/
//! candles` (public, no key): `{"candles":[{"start":"1712192400","low":…,
//! "high":…,"open":…,"close":…,"volume":…}]}`, newest first, times in
//! seconds and prices as strings, at most 350 a request; an error is
//! `{"error":"NOT_FOUND","message":…}`.

use super::{HistoryError, Page, PageRequest, candle, dec, from_secs, int, secs};
use omni_core::domain::{Timeframe, Timestamp};
use serde_json::value::RawValue;

/// Most candles one request may span (Coinbase refuses more than 350).
pub(super) const PAGE: usize = 300;
const VENUE: &str = "coinbase";

fn granularity(tf: Timeframe) -> Option<&'static str> {
    match tf {
        Timeframe::M1 => Some("ONE_MINUTE"),
        Timeframe::M5 => Some("FIVE_MINUTE"),
        Timeframe::M15 => Some("FIFTEEN_MINUTE"),
        Timeframe::H1 => Some("ONE_HOUR"),
        Timeframe::H4 => None,
        Timeframe::D1 => Some("ONE_DAY"),
    }
}

/// The candles of `product` opening in `[from, to)`.
pub(super) fn request(
    base: &str,
    product: &str,
    tf: Timeframe,
    from: Timestamp,
    to: Timestamp,
    limit: usize,
) -> Result<PageRequest, HistoryError> {
    let g = granularity(tf).ok_or(HistoryError::Timeframe {
        venue: VENUE,
        timeframe: tf.as_str(),
    })?;
    Ok(PageRequest {
        url: format!(
            "{}/api/v3/brokerage/market/products/{product}/candles?start={}&end={}&granularity={g}&limit={}",
            base.trim_end_matches('/'),
            secs(from),
            secs(to) - 1,
            limit.min(PAGE)
        ),
        headers: Vec::new(),
    })
}

#[derive(serde::Deserialize)]
struct Candles<'a> {
    #[serde(borrow)]
    candles: Vec<&'a RawValue>,
}

#[derive(serde::Deserialize)]
struct Row<'a> {
    #[serde(borrow)]
    start: &'a RawValue,
    #[serde(borrow)]
    open: &'a RawValue,
    #[serde(borrow)]
    high: &'a RawValue,
    #[serde(borrow)]
    low: &'a RawValue,
    #[serde(borrow)]
    close: &'a RawValue,
    #[serde(borrow)]
    volume: &'a RawValue,
}

#[derive(serde::Deserialize)]
struct ErrorBody {
    #[serde(default)]
    error: String,
    #[serde(default)]
    message: String,
}

/// Reads one answer.
pub(super) fn parse(status: u16, body: &str) -> Result<Page, HistoryError> {
    if !(200..300).contains(&status) {
        let message = match serde_json::from_str::<ErrorBody>(body) {
            Ok(e) if !e.message.is_empty() || !e.error.is_empty() => {
                format!("{} {}", e.error, e.message).trim().to_string()
            }
            _ => super::excerpt(body),
        };
        return Err(HistoryError::Venue {
            venue: VENUE,
            status,
            message,
        });
    }
    let c: Candles<'_> = serde_json::from_str(body).map_err(|e| HistoryError::Format {
        venue: VENUE,
        why: format!("expected {{candles: [...]}}: {e}"),
    })?;
    let mut page = Page::default();
    for row in c.candles {
        let c = serde_json::from_str::<Row<'_>>(row.get())
            .ok()
            .and_then(|r| {
                let t = from_secs(int(r.start)?)?;
                candle(
                    t,
                    [
                        dec(r.open),
                        dec(r.high),
                        dec(r.low),
                        dec(r.close),
                        dec(r.volume),
                    ],
                )
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

    const CANDLES: &str = r#"{"candles":[{"start":"1712192400","low":"66055.14","high":"66331.99","open":"66312.4","close":"66181.6","volume":"355.82896243"},{"start":"1712188800","low":"65857.35","high":"66387.77","open":"65984.18","close":"66314.59","volume":"358.74851052"},{"start":"1712185200","low":"65857.35"}]}"#;

    #[test]
    fn candles_are_read_exactly() {
        let p = parse(200, CANDLES).expect("page");
        assert_eq!((p.candles.len(), p.bad_rows), (2, 1));
        assert_eq!(
            p.candles[0].open_ts,
            Timestamp(1_712_192_400 * 1_000_000_000)
        );
        assert_eq!(p.candles[0].open, dec!(66312.4));
        assert_eq!(p.candles[1].volume, dec!(358.74851052));
    }

    #[test]
    fn errors_carry_the_venue_message() {
        let e = parse(
            404,
            r#"{"error":"NOT_FOUND","error_details":"ProductID is invalid","message":"ProductID is invalid"}"#,
        )
        .expect_err("error");
        assert_eq!(
            e.to_string(),
            "coinbase answered 404: NOT_FOUND ProductID is invalid"
        );
        assert!(matches!(parse(200, "[]"), Err(HistoryError::Format { .. })));
    }

    #[test]
    fn no_four_hour_candles() {
        assert!(request("x", "BTC-USD", Timeframe::H4, Timestamp(0), Timestamp(1), 1).is_err());
        let r = request(
            "https://api.coinbase.com",
            "BTC-USD",
            Timeframe::M1,
            Timestamp(60_000_000_000),
            Timestamp(120_000_000_000),
            1000,
        )
        .expect("request");
        assert_eq!(
            r.url,
            "https://api.coinbase.com/api/v3/brokerage/market/products/BTC-USD/candles?start=60&end=119&granularity=ONE_MINUTE&limit=300"
        );
    }
}
