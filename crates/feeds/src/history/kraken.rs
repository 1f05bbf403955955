//! Kraken `GET /0/public/OHLC`: `{"error":[],"result":{"<PAIR>":[[time,
//! "open","high","low","close","vwap","volume",count],…],"last":…}}`,
//! time in seconds, prices as strings; the last row is the bar still
//! forming, and at most the 720 most recent bars are served. An error is a
//! non-empty `error` list (with HTTP 200).

use super::{HistoryError, Page, PageRequest, candle, dec, from_secs, int, secs};
use omni_core::domain::{Timeframe, Timestamp};
use serde_json::value::RawValue;
use std::collections::BTreeMap;

/// Most bars Kraken serves (older ones cannot be had at all).
pub(super) const PAGE: usize = 720;
const VENUE: &str = "kraken";

/// Kraken's REST pair name for our feed symbol: `BTC/USDT` → `XBTUSDT`
/// (Kraken calls bitcoin XBT), `ETH/USD` → `ETHUSD`.
pub(super) fn pair(symbol: &str) -> String {
    let (base, quote) = symbol.split_once('/').unwrap_or((symbol, ""));
    let kraken = |a: &str| match a {
        "BTC" => "XBT".to_string(),
        "DOGE" => "XDG".to_string(),
        other => other.to_string(),
    };
    format!("{}{}", kraken(base), kraken(quote))
}

/// The bars of `symbol` since `from` (Kraken takes no end: the caller
/// keeps those before `to`).
pub(super) fn request(base: &str, symbol: &str, tf: Timeframe, from: Timestamp) -> PageRequest {
    PageRequest {
        url: format!(
            "{}/0/public/OHLC?pair={}&interval={}&since={}",
            base.trim_end_matches('/'),
            pair(symbol),
            super::minutes(tf),
            secs(from) - 1
        ),
        headers: Vec::new(),
    }
}

#[derive(serde::Deserialize)]
struct Envelope<'a> {
    #[serde(default)]
    error: Vec<String>,
    #[serde(borrow, default)]
    result: BTreeMap<String, &'a RawValue>,
}

/// Reads one answer.
pub(super) fn parse(status: u16, body: &str) -> Result<Page, HistoryError> {
    let env = match serde_json::from_str::<Envelope<'_>>(body) {
        Ok(e) => e,
        Err(_) if !(200..300).contains(&status) => {
            return Err(HistoryError::Venue {
                venue: VENUE,
                status,
                message: super::excerpt(body),
            });
        }
        Err(e) => {
            return Err(HistoryError::Format {
                venue: VENUE,
                why: format!("expected {{error, result}}: {e}"),
            });
        }
    };
    if !env.error.is_empty() || !(200..300).contains(&status) {
        return Err(HistoryError::Venue {
            venue: VENUE,
            status,
            message: env.error.join("; "),
        });
    }
    // One pair per request: its rows are under the only key besides `last`.
    let Some(rows) = env
        .result
        .iter()
        .find(|(k, _)| *k != "last")
        .map(|(_, v)| v)
    else {
        return Err(HistoryError::Format {
            venue: VENUE,
            why: "no pair in the result".into(),
        });
    };
    let rows: Vec<&RawValue> =
        serde_json::from_str(rows.get()).map_err(|e| HistoryError::Format {
            venue: VENUE,
            why: format!("expected an array of bars: {e}"),
        })?;
    let mut page = Page::default();
    for row in rows {
        // [time, open, high, low, close, vwap, volume, count]
        let c = serde_json::from_str::<Vec<&RawValue>>(row.get())
            .ok()
            .filter(|r| r.len() >= 7)
            .and_then(|r| {
                let t = from_secs(int(r[0])?)?;
                candle(t, [dec(r[1]), dec(r[2]), dec(r[3]), dec(r[4]), dec(r[6])])
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

    const OHLC: &str = r#"{"error":[],"result":{"XXBTZUSD":[[1688671200,"30306.1","30306.2","30305.7","30305.7","30306.1","3.39243896",23],[1688671260,"30305.7","30305.7","30300.0","30300.1","30302.4","0.71720000",7],[1688671320,"30300.1",null,"30300.0","30300.1","30300.0","0.1",1]],"last":1688672160}}"#;

    #[test]
    fn ohlc_rows_are_read_exactly_and_volume_is_not_vwap() {
        let p = parse(200, OHLC).expect("page");
        assert_eq!((p.candles.len(), p.bad_rows), (2, 1));
        let c = p.candles[1];
        assert_eq!(c.open_ts, Timestamp(1_688_671_260 * 1_000_000_000));
        assert_eq!(c.low, dec!(30300.0));
        assert_eq!(c.volume, dec!(0.71720000));
    }

    #[test]
    fn errors_are_the_error_list() {
        let e = parse(200, r#"{"error":["EQuery:Unknown asset pair"]}"#).expect_err("error");
        assert_eq!(
            e.to_string(),
            "kraken answered 200: EQuery:Unknown asset pair"
        );
        assert!(matches!(
            parse(200, r#"{"error":[],"result":{"last":1}}"#),
            Err(HistoryError::Format { .. })
        ));
        assert!(matches!(
            parse(520, "<html/>"),
            Err(HistoryError::Venue { status: 520, .. })
        ));
    }

    #[test]
    fn pairs_use_kraken_asset_names() {
        assert_eq!(pair("BTC/USDT"), "XBTUSDT");
        assert_eq!(pair("ETH/USD"), "ETHUSD");
        let r = request(
            "https://api.kraken.com",
            "BTC/USD",
            Timeframe::H1,
            Timestamp(7_200_000_000_000),
        );
        assert_eq!(
            r.url,
            "https://api.kraken.com/0/public/OHLC?pair=XBTUSD&interval=60&since=7199"
        );
    }
}
