//! Binance spot: the combined stream (`{"stream":…,"data":…}`) of
//! `bookTicker`, `kline_1m` and trades, or the same payloads unwrapped;
//! and the partial book streams (`<symbol>@depth10@100ms`: the best levels
//! as a snapshot), which size arbitrage where they are subscribed. The
//! diff-depth stream (`depthUpdate`) is not used.

use super::parser::{FrameKind, FrameParser, SymbolMap, Text, dec, ms};
use crate::venue::{Subscription, quoted};
use omni_core::domain::{Aggressor, Bar, Depth, Level, Timeframe, Timestamp, Trade};
use omni_core::market::MarketEvent;
use serde::Deserialize;
use serde_json::value::RawValue;

#[derive(Deserialize)]
struct Wrapped<'a> {
    #[serde(borrow)]
    stream: Text<'a>,
    #[serde(borrow)]
    data: &'a RawValue,
}

#[derive(Deserialize)]
struct BookTicker<'a> {
    #[serde(borrow)]
    s: Text<'a>,
    #[serde(borrow)]
    b: Text<'a>,
    #[serde(rename = "B", borrow)]
    bid_qty: Text<'a>,
    #[serde(borrow)]
    a: Text<'a>,
    #[serde(rename = "A", borrow)]
    ask_qty: Text<'a>,
}

#[derive(Deserialize)]
struct KlineMsg<'a> {
    #[serde(borrow)]
    s: Text<'a>,
    #[serde(borrow)]
    k: Kline<'a>,
}

#[derive(Deserialize)]
struct Kline<'a> {
    t: i64,
    #[serde(borrow)]
    i: Text<'a>,
    #[serde(borrow)]
    o: Text<'a>,
    #[serde(borrow)]
    h: Text<'a>,
    #[serde(borrow)]
    l: Text<'a>,
    #[serde(borrow)]
    c: Text<'a>,
    #[serde(borrow)]
    v: Text<'a>,
    x: bool,
}

#[derive(Deserialize)]
struct TradeMsg<'a> {
    #[serde(borrow)]
    s: Text<'a>,
    #[serde(borrow)]
    p: Text<'a>,
    #[serde(borrow)]
    q: Text<'a>,
    /// True when the buyer was the maker: a seller took liquidity.
    m: bool,
}

/// A partial book (`depth5|10|20`): the best levels, each `[price, qty]`.
#[derive(Deserialize)]
struct PartialBook<'a> {
    #[serde(borrow)]
    bids: Vec<[Text<'a>; 2]>,
    #[serde(borrow)]
    asks: Vec<[Text<'a>; 2]>,
}

/// Untagged payloads: a subscription answer, an error, or an event.
#[derive(Deserialize)]
struct Bare<'a> {
    #[serde(default, borrow)]
    e: Option<Text<'a>>,
    #[serde(default)]
    id: Option<serde_json::Value>,
    #[serde(default)]
    u: Option<u64>,
    #[serde(default)]
    code: Option<i64>,
    /// A REST depth snapshot, as some captures interleave.
    #[serde(default, rename = "lastUpdateId")]
    last_update_id: Option<u64>,
}

/// Parses Binance spot frames.
pub struct BinanceParser {
    map: SymbolMap,
}

impl BinanceParser {
    /// A parser for these symbols.
    pub fn new(map: SymbolMap) -> Self {
        Self { map }
    }

    fn book_ticker(&self, raw: &str, recv: Timestamp, out: &mut Vec<MarketEvent>) -> FrameKind {
        let Ok(t) = serde_json::from_str::<BookTicker<'_>>(raw) else {
            return FrameKind::Malformed("bookTicker without s/b/B/a/A".into());
        };
        let Some(instrument) = self.map.get(&t.s) else {
            return FrameKind::Ignored;
        };
        match self
            .map
            .quote(instrument, [&t.b, &t.bid_qty, &t.a, &t.ask_qty], recv)
        {
            Some(q) => {
                out.push(q);
                FrameKind::Data
            }
            None => FrameKind::Malformed("bookTicker with a bad number".into()),
        }
    }

    /// A partial book of `symbol` (named by the stream: the payload does
    /// not carry it). Its levels are checked by the engine.
    fn partial_book(
        &self,
        symbol: &str,
        raw: &str,
        recv: Timestamp,
        out: &mut Vec<MarketEvent>,
    ) -> FrameKind {
        let Ok(b) = serde_json::from_str::<PartialBook<'_>>(raw) else {
            return FrameKind::Malformed("depth without bids/asks".into());
        };
        let Some(instrument) = self.map.get(symbol) else {
            return FrameKind::Ignored;
        };
        let levels = |side: &[[Text<'_>; 2]]| -> Option<Vec<Level>> {
            side.iter()
                .map(|[p, q]| {
                    Some(Level {
                        price: dec(p)?,
                        qty: dec(q)?,
                    })
                })
                .collect()
        };
        match (levels(&b.bids), levels(&b.asks)) {
            (Some(bids), Some(asks)) => {
                out.push(MarketEvent::Depth(Box::new(Depth {
                    venue: self.map.venue(),
                    instrument,
                    bids,
                    asks,
                    ts: recv,
                })));
                FrameKind::Data
            }
            _ => FrameKind::Malformed("depth with a bad number".into()),
        }
    }

    fn kline(&self, raw: &str, out: &mut Vec<MarketEvent>) -> FrameKind {
        let Ok(m) = serde_json::from_str::<KlineMsg<'_>>(raw) else {
            return FrameKind::Malformed("kline without s/k".into());
        };
        let Some(instrument) = self.map.get(&m.s) else {
            return FrameKind::Ignored;
        };
        // Only closed one-minute candles are bars; the running one is not.
        if !m.k.x || &*m.k.i != "1m" {
            return FrameKind::Ignored;
        }
        match (
            dec(&m.k.o),
            dec(&m.k.h),
            dec(&m.k.l),
            dec(&m.k.c),
            dec(&m.k.v),
        ) {
            (Some(open), Some(high), Some(low), Some(close), Some(volume)) => {
                out.push(MarketEvent::Bar(Bar {
                    instrument,
                    timeframe: Timeframe::M1,
                    open_ts: ms(m.k.t),
                    open,
                    high,
                    low,
                    close,
                    volume,
                }));
                FrameKind::Data
            }
            _ => FrameKind::Malformed("kline with a bad number".into()),
        }
    }

    fn trade(&self, raw: &str, recv: Timestamp, out: &mut Vec<MarketEvent>) -> FrameKind {
        let Ok(t) = serde_json::from_str::<TradeMsg<'_>>(raw) else {
            return FrameKind::Malformed("trade without s/p/q/m".into());
        };
        let Some(instrument) = self.map.get(&t.s) else {
            return FrameKind::Ignored;
        };
        match (dec(&t.p), dec(&t.q)) {
            (Some(price), Some(qty)) => {
                out.push(MarketEvent::Trade(Trade {
                    venue: self.map.venue(),
                    instrument,
                    price,
                    qty,
                    aggressor: if t.m { Aggressor::Sell } else { Aggressor::Buy },
                    ts: recv,
                }));
                FrameKind::Data
            }
            _ => FrameKind::Malformed("trade with a bad number".into()),
        }
    }
}

/// Whether a stream kind (`depth10@100ms`) is a partial book, the only
/// depth stream used.
fn partial_book_kind(kind: &str) -> bool {
    ["depth5", "depth10", "depth20"].iter().any(|p| {
        kind.strip_prefix(p)
            .is_some_and(|r| r.is_empty() || r.starts_with('@'))
    })
}

/// The stream a combined-stream frame names at its head
/// (`{"stream":"btcusdt@depth@100ms","data":…}`), read without parsing the
/// rest: a frame of a stream that is not used is skipped before the work
/// of parsing it. Only a frame that also ends as a whole one does (`}}`),
/// so a cut-off frame still goes to the parser and is counted malformed.
fn unused_stream(text: &str) -> bool {
    let Some(rest) = text.strip_prefix(r#"{"stream":""#) else {
        return false;
    };
    let Some((stream, _)) = rest.split_once('"') else {
        return false;
    };
    let kind = stream.split_once('@').map_or("", |(_, k)| k);
    kind.starts_with("depth") && !partial_book_kind(kind) && text.trim_end().ends_with("}}")
}

impl FrameParser for BinanceParser {
    fn parse(&mut self, text: &str, recv: Timestamp, out: &mut Vec<MarketEvent>) -> FrameKind {
        // The diff-depth stream is a tenth of a capture's frames and the
        // largest of them; it is not used.
        if unused_stream(text) {
            return FrameKind::Ignored;
        }
        if let Ok(w) = serde_json::from_str::<Wrapped<'_>>(text) {
            let data = w.data.get();
            let (symbol, kind) = w.stream.split_once('@').unwrap_or(("", ""));
            return match kind {
                "bookTicker" => self.book_ticker(data, recv, out),
                k if k.starts_with("kline_") => self.kline(data, out),
                "trade" | "aggTrade" => self.trade(data, recv, out),
                k if partial_book_kind(k) => self.partial_book(symbol, data, recv, out),
                k if k.starts_with("depth") => FrameKind::Ignored,
                _ => FrameKind::Unknown,
            };
        }
        let Ok(bare) = serde_json::from_str::<Bare<'_>>(text) else {
            return FrameKind::Malformed("not a JSON object".into());
        };
        match bare.e.as_deref() {
            Some("kline") => self.kline(text, out),
            Some("trade" | "aggTrade") => self.trade(text, recv, out),
            Some("depthUpdate") => FrameKind::Ignored,
            Some(_) => FrameKind::Unknown,
            None if bare.last_update_id.is_some() => FrameKind::Ignored,
            None if bare.u.is_some() => self.book_ticker(text, recv, out),
            None if bare.id.is_some() || bare.code.is_some() => FrameKind::Control,
            None => FrameKind::Unknown,
        }
    }
}

/// Subscription: `bookTicker` and `kline_1m` per symbol, one request.
pub fn subscription(symbols: &[String]) -> Subscription {
    let streams: Vec<String> = symbols
        .iter()
        .flat_map(|s| {
            let l = s.to_ascii_lowercase();
            [format!("{l}@bookTicker"), format!("{l}@kline_1m")]
        })
        .collect();
    Subscription {
        messages: vec![format!(
            r#"{{"method":"SUBSCRIBE","params":[{}],"id":1}}"#,
            quoted(&streams)
        )],
        app_ping: None,
    }
}

/// Subscription to each symbol's best ten levels every 100 ms (the
/// partial book: a snapshot each time, no diffs to keep in order).
pub fn depth_subscription(symbols: &[String]) -> String {
    let streams: Vec<String> = symbols
        .iter()
        .map(|s| format!("{}@depth10@100ms", s.to_ascii_lowercase()))
        .collect();
    format!(
        r#"{{"method":"SUBSCRIBE","params":[{}],"id":2}}"#,
        quoted(&streams)
    )
}

/// A real captured `bookTicker` frame (the parse benchmark's input).
pub const SAMPLE_FRAME: &str = r#"{"stream":"btcusdt@bookTicker","data":{"u":50093239212,"s":"BTCUSDT","b":"61837.63000000","B":"3.78826000","a":"61837.64000000","A":"1.54698000"}}"#;

#[cfg(test)]
mod tests {
    use super::*;
    use omni_core::domain::{InstrumentId, VenueId};
    use rust_decimal::Decimal;
    use std::str::FromStr;

    fn parser() -> BinanceParser {
        let mut m = SymbolMap::new(VenueId(0));
        m.insert("BTCUSDT".into(), InstrumentId(0));
        BinanceParser::new(m)
    }

    #[test]
    fn real_frames() {
        let mut p = parser();
        let mut out = Vec::new();
        let t = Timestamp::from_nanos(1_723_161_254_087_891_268);
        // From ../shared/data/ws_captures/binance_spot/spot_btcusdt_20240808.gz.
        let q = r#"{"stream":"btcusdt@bookTicker","data":{"u":50093239212,"s":"BTCUSDT","b":"61837.63000000","B":"3.78826000","a":"61837.64000000","A":"1.54698000"}}"#;
        assert_eq!(p.parse(q, t, &mut out), FrameKind::Data);
        let MarketEvent::Quote(q) = out[0] else {
            panic!()
        };
        assert_eq!(
            (q.bid, q.ask_qty, q.ts),
            (
                Decimal::from_str("61837.63").unwrap(),
                Decimal::from_str("1.54698").unwrap(),
                t
            )
        );
        let tr = r#"{"stream":"btcusdt@trade","data":{"e":"trade","E":1723161255343,"s":"BTCUSDT","t":3735683259,"p":"61837.63000000","q":"0.02000000","T":1723161255342,"m":true,"M":true}}"#;
        assert_eq!(p.parse(tr, t, &mut out), FrameKind::Data);
        assert!(matches!(out[1], MarketEvent::Trade(x) if x.aggressor == Aggressor::Sell));
        let depth = r#"{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1723161255208,"s":"BTCUSDT","U":1,"u":2,"b":[],"a":[]}}"#;
        assert_eq!(p.parse(depth, t, &mut out), FrameKind::Ignored);
        let k = r#"{"stream":"btcusdt@kline_1m","data":{"e":"kline","E":1,"s":"BTCUSDT","k":{"t":1723161240000,"T":1723161299999,"s":"BTCUSDT","i":"1m","f":1,"L":2,"o":"1.0","c":"2.0","h":"3.0","l":"0.5","v":"10","n":3,"x":true,"q":"1","V":"1","Q":"1","B":"0"}}}"#;
        assert_eq!(p.parse(k, t, &mut out), FrameKind::Data);
        assert!(
            matches!(out[2], MarketEvent::Bar(b) if b.open_ts == Timestamp::from_millis(1_723_161_240_000))
        );
        assert_eq!(
            p.parse(r#"{"result":null,"id":1}"#, t, &mut out),
            FrameKind::Control
        );
        assert!(p.parse("{not json", t, &mut out).is_dropped());
        assert!(
            p.parse(
                r#"{"stream":"btcusdt@bookTicker","data":{"s":"BTCUSDT"}}"#,
                t,
                &mut out
            )
            .is_dropped()
        );
        assert!(
            p.parse(r#"{"stream":"btcusdt@weird","data":{}}"#, t, &mut out)
                .is_dropped()
        );
        assert_eq!(out.len(), 3);
    }

    #[test]
    fn depth_subscribes_to_the_partial_books() {
        assert_eq!(
            depth_subscription(&["BTCUSDT".into(), "ETHUSDT".into()]),
            r#"{"method":"SUBSCRIBE","params":["btcusdt@depth10@100ms","ethusdt@depth10@100ms"],"id":2}"#
        );
    }

    #[test]
    fn a_partial_book_is_a_depth_snapshot_and_the_diff_stream_is_ignored() {
        let mut p = parser();
        let t = Timestamp::from_millis(1_723_161_255_208);
        let mut out = Vec::new();
        let frame = r#"{"stream":"btcusdt@depth10@100ms","data":{"lastUpdateId":160,"bids":[["61837.63000000","3.78826000"],["61837.62","0.1"]],"asks":[["61837.64000000","1.54698000"]]}}"#;
        assert_eq!(p.parse(frame, t, &mut out), FrameKind::Data);
        let MarketEvent::Depth(d) = &out[0] else {
            panic!("{out:?}");
        };
        assert_eq!(d.bids.len(), 2);
        assert_eq!(d.bids[1].price, "61837.62".parse().unwrap());
        assert_eq!(d.asks[0].qty, "1.54698".parse().unwrap());
        assert_eq!(d.ts, t);
        let bad = r#"{"stream":"btcusdt@depth10@100ms","data":{"bids":[["x","1"]],"asks":[]}}"#;
        assert!(matches!(p.parse(bad, t, &mut out), FrameKind::Malformed(_)));
        let other = r#"{"stream":"ethusdt@depth5","data":{"bids":[],"asks":[]}}"#;
        assert_eq!(
            p.parse(other, t, &mut out),
            FrameKind::Ignored,
            "not subscribed"
        );
    }

    #[test]
    fn the_diff_depth_stream_is_skipped_unread_but_a_cut_frame_is_still_malformed() {
        let mut p = parser();
        let t = Timestamp::from_secs(1);
        let mut out = Vec::new();
        // Read from the head alone: a body no parser would accept is not
        // looked at.
        let diff =
            r#"{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","b":[["not a number"]]}}"#;
        assert!(unused_stream(diff));
        assert_eq!(p.parse(diff, t, &mut out), FrameKind::Ignored);
        let cut = &diff[..diff.len() - 10];
        assert!(!unused_stream(cut));
        assert!(matches!(p.parse(cut, t, &mut out), FrameKind::Malformed(_)));
        // The partial books and everything else go to the parser.
        for used in [
            r#"{"stream":"btcusdt@depth10@100ms","data":{"bids":[],"asks":[]}}"#,
            r#"{"stream":"btcusdt@depth5","data":{"bids":[],"asks":[]}}"#,
            r#"{"stream":"btcusdt@bookTicker","data":{}}"#,
        ] {
            assert!(!unused_stream(used), "{used}");
        }
        assert!(out.is_empty());
    }
}
