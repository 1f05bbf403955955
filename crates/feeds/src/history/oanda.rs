//! OANDA v20 `GET /v3/instruments/{instrument}/candles?price=M`: `{"candles":
//! [{"complete":true,"volume":132,"time":"2016-10-17T15:16:00.000000000Z",
//! "mid":{"o":"1.09","h":…,"l":…,"c":…}}]}`, oldest first, prices as
//! strings; the candle still forming says `"complete":false` and is left
//! out. Needs the account's bearer token; an error is `{"errorMessage":…}`.

use super::{HistoryError, Page, PageRequest, candle, dec};
use omni_core::domain::{Timeframe, Timestamp};
use serde_json::value::RawValue;

/// Most candles one request returns.
pub(super) const PAGE: usize = 5000;
const VENUE: &str = "oanda";

fn granularity(tf: Timeframe) -> &'static str {
    match tf {
        Timeframe::M1 => "M1",
        Timeframe::M5 => "M5",
        Timeframe::M15 => "M15",
        Timeframe::H1 => "H1",
        Timeframe::H4 => "H4",
        Timeframe::D1 => "D",
    }
}

fn rfc3339(t: Timestamp) -> String {
    t.to_datetime().format("%Y-%m-%dT%H:%M:%S%.9fZ").to_string()
}

/// The mid candles of `instrument` opening in `[from, to)`.
pub(super) fn request(
    base: &str,
    token: &str,
    instrument: &str,
    tf: Timeframe,
    from: Timestamp,
    to: Timestamp,
) -> PageRequest {
    PageRequest {
        url: format!(
            "{}/v3/instruments/{instrument}/candles?price=M&granularity={}&from={}&to={}",
            base.trim_end_matches('/'),
            granularity(tf),
            rfc3339(from),
            rfc3339(to.plus(-1_000_000_000))
        ),
        headers: vec![
            ("Authorization", format!("Bearer {token}")),
            ("Accept-Datetime-Format", "RFC3339".to_string()),
        ],
    }
}

#[derive(serde::Deserialize)]
struct Candles<'a> {
    #[serde(borrow)]
    candles: Vec<&'a RawValue>,
}

#[derive(serde::Deserialize)]
struct Row<'a> {
    complete: bool,
    #[serde(borrow)]
    volume: &'a RawValue,
    time: String,
    #[serde(borrow)]
    mid: Mid<'a>,
}

#[derive(serde::Deserialize)]
struct Mid<'a> {
    #[serde(borrow)]
    o: &'a RawValue,
    #[serde(borrow)]
    h: &'a RawValue,
    #[serde(borrow)]
    l: &'a RawValue,
    #[serde(borrow)]
    c: &'a RawValue,
}

#[derive(serde::Deserialize)]
struct ErrorBody {
    #[serde(rename = "errorMessage")]
    error_message: String,
}

/// Reads one answer.
pub(super) fn parse(status: u16, body: &str) -> Result<Page, HistoryError> {
    if !(200..300).contains(&status) {
        let message = serde_json::from_str::<ErrorBody>(body)
            .map(|e| e.error_message)
            .unwrap_or_else(|_| super::excerpt(body));
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
        let Ok(r) = serde_json::from_str::<Row<'_>>(row.get()) else {
            page.bad_rows += 1;
            continue;
        };
        if !r.complete {
            continue; // still forming: not a bar yet
        }
        let c = chrono::DateTime::parse_from_rfc3339(&r.time)
            .ok()
            .map(|t| Timestamp::from_datetime(t.to_utc()))
            .and_then(|t| {
                candle(
                    t,
                    [
                        dec(r.mid.o),
                        dec(r.mid.h),
                        dec(r.mid.l),
                        dec(r.mid.c),
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

    const CANDLES: &str = r#"{"instrument":"EUR_USD","granularity":"M1","candles":[{"complete":true,"volume":132,"time":"2016-10-17T15:16:00.000000000Z","mid":{"o":"1.09932","h":"1.09940","l":"1.09925","c":"1.09938"}},{"complete":true,"volume":5,"time":"2016-10-17T15:17:00.000000000Z","mid":{"o":"1.09938","h":"1.09930","l":"1.09925","c":"1.09938"}},{"complete":false,"volume":3,"time":"2016-10-17T15:18:00.000000000Z","mid":{"o":"1.09938","h":"1.09940","l":"1.09930","c":"1.09931"}}]}"#;

    #[test]
    fn complete_mid_candles_are_read_exactly_and_the_forming_one_left_out() {
        let p = parse(200, CANDLES).expect("page");
        // The second is inconsistent (open above the high): a bad row.
        assert_eq!((p.candles.len(), p.bad_rows), (1, 1));
        let c = p.candles[0];
        assert_eq!(c.open_ts.to_string(), "2016-10-17 15:16:00.000");
        assert_eq!(c.close, dec!(1.09938));
        assert_eq!(c.volume, dec!(132));
    }

    #[test]
    fn error_bodies() {
        let e = parse(
            400,
            r#"{"errorMessage":"Invalid value specified for 'instrument'"}"#,
        )
        .expect_err("error");
        assert_eq!(
            e.to_string(),
            "oanda answered 400: Invalid value specified for 'instrument'"
        );
        assert!(matches!(
            parse(200, r#"{"candles":3}"#),
            Err(HistoryError::Format { .. })
        ));
    }

    #[test]
    fn the_request_carries_the_token_and_the_window() {
        let r = request(
            "http://h/",
            "tok",
            "EUR_USD",
            Timeframe::M1,
            Timestamp(0),
            Timestamp(120_000_000_000),
        );
        assert_eq!(
            r.url,
            "http://h/v3/instruments/EUR_USD/candles?price=M&granularity=M1&from=1970-01-01T00:00:00.000000000Z&to=1970-01-01T00:01:59.000000000Z"
        );
        assert_eq!(r.headers[0], ("Authorization", "Bearer tok".to_string()));
    }
}
