//! OANDA v20 pricing stream: one JSON object per line, PRICE or HEARTBEAT.

use super::parser::{FrameKind, FrameParser, SymbolMap, Text};
use omni_core::domain::Timestamp;
use omni_core::market::MarketEvent;
use serde::Deserialize;
use serde_json::value::RawValue;

#[derive(Deserialize)]
struct Msg<'a> {
    #[serde(rename = "type", borrow)]
    kind: Text<'a>,
    #[serde(default, borrow)]
    instrument: Option<Text<'a>>,
    #[serde(default, borrow)]
    bids: Vec<Level<'a>>,
    #[serde(default, borrow)]
    asks: Vec<Level<'a>>,
}

#[derive(Deserialize)]
struct Level<'a> {
    #[serde(borrow)]
    price: Text<'a>,
    #[serde(borrow)]
    liquidity: &'a RawValue,
}

/// Parses OANDA pricing lines.
pub struct OandaParser {
    map: SymbolMap,
}

impl OandaParser {
    /// A parser for these instruments.
    pub fn new(map: SymbolMap) -> Self {
        Self { map }
    }
}

impl FrameParser for OandaParser {
    fn parse(&mut self, text: &str, recv: Timestamp, out: &mut Vec<MarketEvent>) -> FrameKind {
        let Ok(m) = serde_json::from_str::<Msg<'_>>(text) else {
            return FrameKind::Malformed("not a PRICE or HEARTBEAT object".into());
        };
        match &*m.kind {
            "HEARTBEAT" => FrameKind::Heartbeat,
            "PRICE" => {
                let Some(instrument) = m.instrument.and_then(|i| self.map.get(&i)) else {
                    return FrameKind::Ignored;
                };
                let (Some(b), Some(a)) = (m.bids.first(), m.asks.first()) else {
                    // A price without both sides: the market is not tradeable now.
                    return FrameKind::Ignored;
                };
                let numbers = [&*b.price, b.liquidity.get(), &a.price, a.liquidity.get()];
                match self.map.quote(instrument, numbers, recv) {
                    Some(q) => {
                        out.push(q);
                        FrameKind::Data
                    }
                    None => FrameKind::Malformed("price with a bad number".into()),
                }
            }
            _ => FrameKind::Unknown,
        }
    }
}

/// A typical `PRICE` line of the pricing stream (the parse benchmark's input).
pub const SAMPLE_FRAME: &str = r#"{"type":"PRICE","time":"2024-08-08T23:54:14.123456789Z","bids":[{"price":"1.09001","liquidity":10000000}],"asks":[{"price":"1.09012","liquidity":10000000}],"closeoutBid":"1.08997","closeoutAsk":"1.09016","status":"tradeable","tradeable":true,"instrument":"EUR_USD"}"#;

#[cfg(test)]
mod tests {
    use super::*;
    use omni_core::domain::{InstrumentId, VenueId};

    #[test]
    fn price_and_heartbeat_lines() {
        let mut m = SymbolMap::new(VenueId(4));
        m.insert("USD_JPY".into(), InstrumentId(2));
        let mut p = OandaParser::new(m);
        let mut out = Vec::new();
        let t = Timestamp::from_secs(1);
        let line = r#"{"type":"PRICE","instrument":"USD_JPY","bids":[{"price":"117.665","liquidity":10000000}],"asks":[{"price":"117.680","liquidity":10000000}],"closeoutBid":"117.661","time":"2024-01-01T00:00:00.000000000Z"}"#;
        assert_eq!(p.parse(line, t, &mut out), FrameKind::Data);
        assert_eq!(
            p.parse(
                r#"{"type":"HEARTBEAT","time":"2024-01-01T00:00:05.000000000Z"}"#,
                t,
                &mut out
            ),
            FrameKind::Heartbeat
        );
        assert!(p.parse(r#"{"type":"PRICE","instrument":"USD_JPY","bids":[{"price":"x","liquidity":1}],"asks":[{"price":"1","liquidity":1}]}"#, t, &mut out).is_dropped());
        assert!(p.parse("garbage", t, &mut out).is_dropped());
        assert_eq!(out.len(), 1);
    }
}
