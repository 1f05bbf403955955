//! Bybit v5 spot: `orderbook.1` (a snapshot, then deltas where quantity 0
//! deletes a level), kept as a top of book per symbol. Spot `tickers` carry
//! no bid or ask, so the quotes come from the book.

use super::parser::{FrameKind, FrameParser, SymbolMap, Text, dec};
use crate::venue::{Subscription, quoted};
use omni_core::domain::{InstrumentId, Quote, Timestamp};
use omni_core::market::MarketEvent;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::HashMap;

#[derive(Deserialize)]
struct Msg<'a> {
    #[serde(default, borrow)]
    topic: Option<Text<'a>>,
    #[serde(default, rename = "type", borrow)]
    kind: Option<Text<'a>>,
    #[serde(default, borrow)]
    op: Option<Text<'a>>,
    #[serde(default, borrow)]
    data: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Book<'a> {
    #[serde(borrow)]
    s: Text<'a>,
    #[serde(borrow, default)]
    b: Vec<[Text<'a>; 2]>,
    #[serde(borrow, default)]
    a: Vec<[Text<'a>; 2]>,
    #[serde(default)]
    u: u64,
}

#[derive(Clone, Copy, Debug, Default)]
struct Top {
    bid: Option<(Decimal, Decimal)>,
    ask: Option<(Decimal, Decimal)>,
}

/// Parses Bybit v5 spot frames.
pub struct BybitParser {
    map: SymbolMap,
    books: HashMap<InstrumentId, Top>,
}

impl BybitParser {
    /// A parser for these symbols.
    pub fn new(map: SymbolMap) -> Self {
        Self {
            map,
            books: HashMap::new(),
        }
    }
}

fn apply(
    side: &mut Option<(Decimal, Decimal)>,
    levels: &[[Text<'_>; 2]],
    snapshot: bool,
) -> Result<(), ()> {
    if snapshot {
        *side = None;
    }
    for [px, qty] in levels {
        let (px, qty) = (dec(px).ok_or(())?, dec(qty).ok_or(())?);
        if qty.is_zero() {
            if side.is_some_and(|(p, _)| p == px) || snapshot {
                *side = None;
            }
        } else {
            *side = Some((px, qty));
        }
    }
    Ok(())
}

impl FrameParser for BybitParser {
    fn parse(&mut self, text: &str, recv: Timestamp, out: &mut Vec<MarketEvent>) -> FrameKind {
        let Ok(m) = serde_json::from_str::<Msg<'_>>(text) else {
            return FrameKind::Malformed("not a JSON object".into());
        };
        match (m.op.as_deref(), m.topic.as_deref()) {
            (Some("ping" | "pong"), _) => FrameKind::Heartbeat,
            (Some(_), _) => FrameKind::Control,
            (None, Some(topic)) if topic.starts_with("orderbook.") => {
                let Some(data) = m.data else {
                    return FrameKind::Malformed("orderbook without data".into());
                };
                let Ok(book) = serde_json::from_str::<Book<'_>>(data.get()) else {
                    return FrameKind::Malformed("orderbook data without s/b/a".into());
                };
                let Some(instrument) = self.map.get(&book.s) else {
                    return FrameKind::Ignored;
                };
                // A snapshot, or update id 1 (a service restart), resets the book.
                let snapshot = m.kind.as_deref() == Some("snapshot") || book.u == 1;
                let top = self.books.entry(instrument).or_default();
                let mut next = *top;
                if apply(&mut next.bid, &book.b, snapshot).is_err()
                    || apply(&mut next.ask, &book.a, snapshot).is_err()
                {
                    return FrameKind::Malformed("orderbook with a bad number".into());
                }
                *top = next;
                match (next.bid, next.ask) {
                    (Some((bid, bid_qty)), Some((ask, ask_qty))) => {
                        out.push(MarketEvent::Quote(Quote {
                            venue: self.map.venue(),
                            instrument,
                            bid,
                            ask,
                            bid_qty,
                            ask_qty,
                            ts: recv,
                        }));
                        FrameKind::Data
                    }
                    _ => FrameKind::Ignored,
                }
            }
            (None, Some(topic))
                if topic.starts_with("tickers.") || topic.starts_with("publicTrade.") =>
            {
                FrameKind::Ignored
            }
            _ => FrameKind::Unknown,
        }
    }
}

/// Subscription: `orderbook.1` per symbol, at most 10 topics per request,
/// and the application ping Bybit asks for every 20 s.
pub fn subscription(symbols: &[String]) -> Subscription {
    let args: Vec<String> = symbols.iter().map(|s| format!("orderbook.1.{s}")).collect();
    Subscription {
        messages: args
            .chunks(10)
            .map(|c| format!(r#"{{"op":"subscribe","args":[{}]}}"#, quoted(c)))
            .collect(),
        app_ping: Some((
            std::time::Duration::from_secs(20),
            r#"{"op":"ping"}"#.to_string(),
        )),
    }
}

/// A typical `orderbook.1` snapshot (the parse benchmark's input).
pub const SAMPLE_FRAME: &str = r#"{"topic":"orderbook.1.BTCUSDT","type":"snapshot","ts":1723161254087,"data":{"s":"BTCUSDT","b":[["61837.6","2.1"]],"a":[["61837.7","0.3"]],"u":10,"seq":100},"cts":1723161254086}"#;

#[cfg(test)]
mod tests {
    use super::*;
    use omni_core::domain::VenueId;
    use std::str::FromStr;

    #[test]
    fn snapshot_then_deltas() {
        let mut m = SymbolMap::new(VenueId(3));
        m.insert("BTCUSDT".into(), InstrumentId(0));
        let mut p = BybitParser::new(m);
        let mut out = Vec::new();
        let t = Timestamp::from_secs(1);
        let snap = r#"{"topic":"orderbook.1.BTCUSDT","type":"snapshot","ts":1,"data":{"s":"BTCUSDT","b":[["100.5","2"]],"a":[["100.6","3"]],"u":5,"seq":9},"cts":1}"#;
        assert_eq!(p.parse(snap, t, &mut out), FrameKind::Data);
        let delta = r#"{"topic":"orderbook.1.BTCUSDT","type":"delta","ts":2,"data":{"s":"BTCUSDT","b":[["100.5","0"],["100.4","1"]],"a":[],"u":6,"seq":10},"cts":2}"#;
        assert_eq!(p.parse(delta, t, &mut out), FrameKind::Data);
        let MarketEvent::Quote(q) = out[1] else {
            panic!()
        };
        assert_eq!(
            (q.bid, q.bid_qty, q.ask),
            (
                Decimal::from_str("100.4").unwrap(),
                Decimal::ONE,
                Decimal::from_str("100.6").unwrap()
            )
        );
        let gone = r#"{"topic":"orderbook.1.BTCUSDT","type":"delta","ts":3,"data":{"s":"BTCUSDT","b":[],"a":[["100.6","0"]],"u":7,"seq":11},"cts":3}"#;
        assert_eq!(
            p.parse(gone, t, &mut out),
            FrameKind::Ignored,
            "no ask: no quote"
        );
        assert_eq!(
            p.parse(
                r#"{"success":true,"ret_msg":"pong","conn_id":"x","op":"ping"}"#,
                t,
                &mut out
            ),
            FrameKind::Heartbeat
        );
        assert_eq!(
            p.parse(
                r#"{"success":true,"ret_msg":"","conn_id":"x","op":"subscribe"}"#,
                t,
                &mut out
            ),
            FrameKind::Control
        );
        assert!(
            p.parse(
                r#"{"topic":"orderbook.1.BTCUSDT","data":{"s":"BTCUSDT","b":[["x","1"]]}}"#,
                t,
                &mut out
            )
            .is_dropped()
        );
        assert_eq!(out.len(), 2);
    }
}
