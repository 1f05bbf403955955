//! Coinbase Advanced Trade: `ticker` and `heartbeats`, with sequence gaps
//! detected from `sequence_num`.

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
    #[serde(default, rename = "type", borrow)]
    kind: Option<Text<'a>>,
    #[serde(default)]
    sequence_num: Option<u64>,
    #[serde(default, borrow)]
    events: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct TickerEvent<'a> {
    #[serde(borrow)]
    tickers: Vec<Ticker<'a>>,
}

#[derive(Deserialize)]
struct Ticker<'a> {
    #[serde(borrow)]
    product_id: Text<'a>,
    #[serde(borrow)]
    best_bid: Text<'a>,
    #[serde(borrow)]
    best_bid_quantity: Text<'a>,
    #[serde(borrow)]
    best_ask: Text<'a>,
    #[serde(borrow)]
    best_ask_quantity: Text<'a>,
}

/// Parses Coinbase Advanced Trade frames.
pub struct CoinbaseParser {
    map: SymbolMap,
    last_seq: Option<u64>,
    gaps: u64,
}

impl CoinbaseParser {
    /// A parser for these symbols.
    pub fn new(map: SymbolMap) -> Self {
        Self {
            map,
            last_seq: None,
            gaps: 0,
        }
    }
}

impl FrameParser for CoinbaseParser {
    fn parse(&mut self, text: &str, recv: Timestamp, out: &mut Vec<MarketEvent>) -> FrameKind {
        let Ok(m) = serde_json::from_str::<Msg<'_>>(text) else {
            return FrameKind::Malformed("not a JSON object".into());
        };
        if let Some(n) = m.sequence_num {
            // Numbers run one by one on a connection, across channels.
            if let Some(last) = self.last_seq
                && n > last + 1
            {
                self.gaps += n - last - 1;
            }
            self.last_seq = Some(n);
        }
        match (m.channel.as_deref(), m.kind.as_deref()) {
            (_, Some("error")) => FrameKind::Control,
            (Some("heartbeats"), _) => FrameKind::Heartbeat,
            (Some("subscriptions"), _) => FrameKind::Control,
            (Some("ticker" | "ticker_batch"), _) => {
                let Some(events) = m.events else {
                    return FrameKind::Malformed("ticker without events".into());
                };
                let Ok(events) = serde_json::from_str::<Vec<TickerEvent<'_>>>(events.get()) else {
                    return FrameKind::Malformed("ticker events without tickers".into());
                };
                let before = out.len();
                for t in events.iter().flat_map(|e| &e.tickers) {
                    let Some(instrument) = self.map.get(&t.product_id) else {
                        continue;
                    };
                    let numbers = [
                        &*t.best_bid,
                        &t.best_bid_quantity,
                        &t.best_ask,
                        &t.best_ask_quantity,
                    ];
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
            (Some("market_trades" | "level2" | "l2_data" | "candles" | "status"), _) => {
                FrameKind::Ignored
            }
            _ => FrameKind::Unknown,
        }
    }

    fn gaps(&self) -> u64 {
        self.gaps
    }
}

/// Subscription: `ticker` and `heartbeats` (which keep a quiet product's
/// connection alive and carry the sequence numbers gaps are counted from).
pub fn subscription(symbols: &[String]) -> Subscription {
    Subscription {
        messages: vec![
            format!(
                r#"{{"type":"subscribe","product_ids":[{}],"channel":"ticker"}}"#,
                quoted(symbols)
            ),
            format!(
                r#"{{"type":"subscribe","product_ids":[{}],"channel":"heartbeats"}}"#,
                quoted(symbols)
            ),
        ],
        app_ping: None,
    }
}

/// A typical `ticker` frame (the parse benchmark's input).
pub const SAMPLE_FRAME: &str = r#"{"channel":"ticker","client_id":"","timestamp":"2024-08-08T23:54:14.123Z","sequence_num":12,"events":[{"type":"update","tickers":[{"type":"ticker","product_id":"BTC-USDT","price":"61837.6","volume_24_h":"1","low_24_h":"1","high_24_h":"2","low_52_w":"1","high_52_w":"2","price_percent_chg_24_h":"0.1","best_bid":"61837.6","best_bid_quantity":"0.5","best_ask":"61837.7","best_ask_quantity":"1.5"}]}]}"#;

#[cfg(test)]
mod tests {
    use super::*;
    use omni_core::domain::{InstrumentId, VenueId};

    #[test]
    fn tickers_heartbeats_and_gaps() {
        let mut m = SymbolMap::new(VenueId(2));
        m.insert("BTC-USD".into(), InstrumentId(0));
        let mut p = CoinbaseParser::new(m);
        let mut out = Vec::new();
        let t = Timestamp::from_secs(1);
        let f = r#"{"channel":"ticker","client_id":"","timestamp":"2024-01-01T00:00:00Z","sequence_num":12,"events":[{"type":"snapshot","tickers":[{"type":"ticker","product_id":"BTC-USD","price":"68900.5","best_bid":"68900","best_bid_quantity":"1.5","best_ask":"68901","best_ask_quantity":"0.5"}]}]}"#;
        assert_eq!(p.parse(f, t, &mut out), FrameKind::Data);
        let hb = r#"{"channel":"heartbeats","client_id":"","timestamp":"2024-01-01T00:00:01Z","sequence_num":13,"events":[{"current_time":"x","heartbeat_counter":"3"}]}"#;
        assert_eq!(p.parse(hb, t, &mut out), FrameKind::Heartbeat);
        assert_eq!(p.gaps(), 0);
        let skip = hb.replace("\"sequence_num\":13", "\"sequence_num\":17");
        p.parse(&skip, t, &mut out);
        assert_eq!(p.gaps(), 3);
        assert!(p.parse(r#"{"channel":"ticker","sequence_num":18,"events":[{"tickers":[{"product_id":"BTC-USD"}]}]}"#, t, &mut out).is_dropped());
        assert_eq!(out.len(), 1);
    }
}
