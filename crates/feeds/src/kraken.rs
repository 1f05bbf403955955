//! Kraken WebSocket v2: the `ticker` channel. Prices arrive as JSON numbers
//! and are read from their text, never through f64.

use super::parser::{FrameKind, FrameParser, SymbolMap, Text};
use crate::venue::{Subscription, quoted};
use omni_core::domain::Timestamp;
use omni_core::market::MarketEvent;
use serde::Deserialize;
use serde_json::value::RawValue;

#[derive(Deserialize)]
struct Msg<'a> {
    #[serde(default, borrow)]
    channel: Option<Text<'a>>,
    #[serde(default, borrow)]
    method: Option<Text<'a>>,
    #[serde(default, borrow)]
    data: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Ticker<'a> {
    #[serde(borrow)]
    symbol: Text<'a>,
    #[serde(borrow)]
    bid: &'a RawValue,
    #[serde(borrow)]
    bid_qty: &'a RawValue,
    #[serde(borrow)]
    ask: &'a RawValue,
    #[serde(borrow)]
    ask_qty: &'a RawValue,
}

/// Parses Kraken v2 frames.
pub struct KrakenParser {
    map: SymbolMap,
}

impl KrakenParser {
    /// A parser for these symbols.
    pub fn new(map: SymbolMap) -> Self {
        Self { map }
    }
}

impl FrameParser for KrakenParser {
    fn parse(&mut self, text: &str, recv: Timestamp, out: &mut Vec<MarketEvent>) -> FrameKind {
        let Ok(m) = serde_json::from_str::<Msg<'_>>(text) else {
            return FrameKind::Malformed("not a JSON object".into());
        };
        match (m.channel.as_deref(), m.method.as_deref()) {
            (Some("heartbeat"), _) => FrameKind::Heartbeat,
            (Some("status"), _) => FrameKind::Control,
            (_, Some("pong")) => FrameKind::Heartbeat,
            (_, Some("subscribe" | "unsubscribe")) => FrameKind::Control,
            (Some("ticker"), _) => {
                let Some(data) = m.data else {
                    return FrameKind::Malformed("ticker without data".into());
                };
                let Ok(items) = serde_json::from_str::<Vec<Ticker<'_>>>(data.get()) else {
                    return FrameKind::Malformed("ticker data without symbol/bid/ask".into());
                };
                let before = out.len();
                for t in items {
                    let Some(instrument) = self.map.get(&t.symbol) else {
                        continue;
                    };
                    let numbers = [t.bid.get(), t.bid_qty.get(), t.ask.get(), t.ask_qty.get()];
                    let Some(q) = self.map.quote(instrument, numbers, recv) else {
                        out.truncate(before);
                        return FrameKind::Malformed("ticker with a bad number".into());
                    };
                    out.push(q);
                }
                if out.len() > before {
                    FrameKind::Data
                } else {
                    FrameKind::Ignored
                }
            }
            (Some("book" | "trade" | "ohlc" | "instrument"), _) => FrameKind::Ignored,
            _ => FrameKind::Unknown,
        }
    }
}

/// Subscription: the v2 `ticker` channel for every symbol.
pub fn subscription(symbols: &[String]) -> Subscription {
    Subscription {
        messages: vec![format!(
            r#"{{"method":"subscribe","params":{{"channel":"ticker","symbol":[{}]}},"req_id":1}}"#,
            quoted(symbols)
        )],
        app_ping: None,
    }
}

/// A typical `ticker` update (the parse benchmark's input).
pub const SAMPLE_FRAME: &str = r#"{"channel":"ticker","type":"update","data":[{"symbol":"BTC/USDT","bid":61837.6,"bid_qty":0.51234,"ask":61837.7,"ask_qty":1.25,"last":61837.6,"volume":997.9,"vwap":61800.1,"low":61000.0,"high":62000.0,"change":10.5,"change_pct":0.02}]}"#;

#[cfg(test)]
mod tests {
    use super::*;
    use omni_core::domain::{InstrumentId, VenueId};
    use rust_decimal::Decimal;
    use std::str::FromStr;

    #[test]
    fn ticker_numbers_stay_exact() {
        let mut m = SymbolMap::new(VenueId(1));
        m.insert("ALGO/USD".into(), InstrumentId(3));
        let mut p = KrakenParser::new(m);
        let mut out = Vec::new();
        let t = Timestamp::from_secs(1);
        // The documented example (venues-and-crates.md).
        let f = r#"{"channel":"ticker","type":"snapshot","data":[{"symbol":"ALGO/USD","bid":0.10025,"bid_qty":740.0,"ask":0.10036,"ask_qty":1361.4,"last":0.10035,"volume":997038.9,"vwap":0.10148,"timestamp":"2023-09-25T09:04:31Z"}]}"#;
        assert_eq!(p.parse(f, t, &mut out), FrameKind::Data);
        let MarketEvent::Quote(q) = out[0] else {
            panic!()
        };
        assert_eq!(q.bid, Decimal::from_str("0.10025").unwrap());
        assert_eq!(q.ask_qty.to_string(), "1361.4");
        assert_eq!(q.instrument, InstrumentId(3));
        assert_eq!(
            p.parse(r#"{"channel":"heartbeat"}"#, t, &mut out),
            FrameKind::Heartbeat
        );
        assert_eq!(p.parse(r#"{"method":"subscribe","result":{"channel":"ticker","symbol":"ALGO/USD"},"success":true,"time_in":"x","time_out":"y","req_id":1}"#, t, &mut out), FrameKind::Control);
        assert!(
            p.parse(
                r#"{"channel":"ticker","data":[{"symbol":"ALGO/USD","bid":"x"}]}"#,
                t,
                &mut out
            )
            .is_dropped()
        );
        assert!(p.parse(r#"[1,2]"#, t, &mut out).is_dropped());
        assert_eq!(out.len(), 1);
    }
}
