//! MEXC spot: `wss://wbs-api.mexc.com/ws`, whose market-data pushes are
//! binary protobuf ([`proto`]) while subscription answers and pongs are
//! JSON text (`{"id":0,"code":0,"msg":"<channel>"}`, `…"msg":"PONG"}`).
//!
//! Per symbol we subscribe to the aggregated book ticker (quotes), the
//! aggregated deals (trades) and the one-minute kline (bars). MEXC's
//! keep-alive rules, and how this connector meets them:
//! - no subscription within 30 s: the subscription goes out on connect;
//! - no data for 60 s: we send `{"method":"PING"}` every 20 s, and treat
//!   60 s without a market-data push as a dead connection ([`DATA_SILENCE`],
//!   [`crate::ws::WsSpec::data_silence`]), reconnecting with the backoff;
//! - 24 h: the connection is rolled before `max_connection_hours`;
//! - at most 30 subscriptions per connection: 3 per symbol, so at most
//!   [`SYMBOLS_PER_CONNECTION`] symbols per connection, and more symbols
//!   open more connections ([`crate::VenueKind::connection_groups`]).

pub mod kline;
pub mod proto;

use super::parser::{FrameKind, FrameParser, SymbolMap, Text, dec};
use crate::venue::{Subscription, quoted};
use kline::Klines;
use omni_core::domain::{Aggressor, Timestamp, Trade};
use omni_core::market::MarketEvent;
use prost::Message as _;
use proto::{Body, PublicAggreBookTickerV3Api, PublicAggreDealsV3Api, PushDataV3ApiWrapper};
use serde::Deserialize;
use std::time::Duration;

/// MEXC serves at most this many subscriptions on one connection (it
/// acknowledges more but streams only these).
pub const MAX_SUBSCRIPTIONS: usize = 30;
/// Channels per symbol: book ticker, deals, kline.
pub const CHANNELS_PER_SYMBOL: usize = 3;
/// Symbols on one connection.
pub const SYMBOLS_PER_CONNECTION: usize = MAX_SUBSCRIPTIONS / CHANNELS_PER_SYMBOL;
/// How often we PING (MEXC drops a connection after 60 s without data).
pub const PING_EVERY: Duration = Duration::from_secs(20);
/// Market data absent this long: the connection is dead (MEXC's own limit).
pub const DATA_SILENCE: Duration = Duration::from_secs(60);
/// The application ping.
pub const PING: &str = r#"{"method":"PING"}"#;

/// The aggregated book-ticker channel of a symbol.
pub fn book_ticker_channel(symbol: &str) -> String {
    format!("spot@public.aggre.bookTicker.v3.api.pb@100ms@{symbol}")
}

/// The aggregated deals channel of a symbol.
pub fn deals_channel(symbol: &str) -> String {
    format!("spot@public.aggre.deals.v3.api.pb@100ms@{symbol}")
}

/// The one-minute kline channel of a symbol (MEXC's documented order:
/// symbol, then interval).
pub fn kline_channel(symbol: &str) -> String {
    format!("spot@public.kline.v3.api.pb@{symbol}@Min1")
}

/// Subscription: one `SUBSCRIPTION` request per symbol with its three
/// channels, and a PING every 20 s. `symbols` is one connection's group:
/// at most [`SYMBOLS_PER_CONNECTION`] (the feed splits larger lists).
pub fn subscription(symbols: &[String]) -> Subscription {
    Subscription {
        messages: symbols
            .iter()
            .map(|s| {
                let channels = [book_ticker_channel(s), deals_channel(s), kline_channel(s)];
                format!(
                    r#"{{"method":"SUBSCRIPTION","params":[{}]}}"#,
                    quoted(&channels)
                )
            })
            .collect(),
        app_ping: Some((PING_EVERY, PING.to_string())),
    }
}

/// A JSON text frame: an answer to a subscription or a PING.
#[derive(Deserialize)]
struct Reply<'a> {
    #[serde(default)]
    code: Option<i64>,
    #[serde(default, borrow)]
    msg: Option<Text<'a>>,
}

/// Parses MEXC frames: protobuf pushes into quotes, trades and one-minute
/// bars; JSON answers into heartbeats and control frames.
pub struct MexcParser {
    map: SymbolMap,
    klines: Klines,
}

impl MexcParser {
    /// A parser for these symbols.
    pub fn new(map: SymbolMap) -> Self {
        Self {
            map,
            klines: Klines::default(),
        }
    }

    fn book_ticker(
        &self,
        symbol: &str,
        t: &PublicAggreBookTickerV3Api,
        recv: Timestamp,
        out: &mut Vec<MarketEvent>,
    ) -> FrameKind {
        let Some(instrument) = self.map.get(symbol) else {
            return FrameKind::Ignored;
        };
        let numbers = [
            t.bid_price.as_str(),
            &t.bid_quantity,
            &t.ask_price,
            &t.ask_quantity,
        ];
        match self.map.quote(instrument, numbers, recv) {
            Some(q) => {
                out.push(q);
                FrameKind::Data
            }
            None => FrameKind::Malformed("bookTicker with a bad number".into()),
        }
    }

    fn deals(
        &self,
        symbol: &str,
        d: &PublicAggreDealsV3Api,
        recv: Timestamp,
        out: &mut Vec<MarketEvent>,
    ) -> FrameKind {
        let Some(instrument) = self.map.get(symbol) else {
            return FrameKind::Ignored;
        };
        if d.deals.is_empty() {
            return FrameKind::Ignored;
        }
        let start = out.len();
        for deal in &d.deals {
            let aggressor = match deal.trade_type {
                1 => Aggressor::Buy,
                2 => Aggressor::Sell,
                _ => {
                    out.truncate(start);
                    return FrameKind::Malformed(format!("deal of trade type {}", deal.trade_type));
                }
            };
            let (Some(price), Some(qty)) = (dec(&deal.price), dec(&deal.quantity)) else {
                // All of the frame or none of it.
                out.truncate(start);
                return FrameKind::Malformed("deal with a bad number".into());
            };
            out.push(MarketEvent::Trade(Trade {
                venue: self.map.venue(),
                instrument,
                price,
                qty,
                aggressor,
                ts: recv,
            }));
        }
        FrameKind::Data
    }

    /// Parses one binary push.
    fn push(&mut self, bytes: &[u8], recv: Timestamp, out: &mut Vec<MarketEvent>) -> FrameKind {
        let w = match PushDataV3ApiWrapper::decode(bytes) {
            Ok(w) => w,
            Err(e) => return FrameKind::Malformed(format!("protobuf: {e}")),
        };
        let Some(body) = &w.body else {
            // A push of a body we do not read (depth, say), or bytes that
            // happen to decode as an empty message.
            return if w.channel.starts_with("spot@") {
                FrameKind::Ignored
            } else {
                FrameKind::Unknown
            };
        };
        let symbol = match w.symbol.as_deref() {
            Some(s) if !s.is_empty() => s,
            _ => channel_symbol(&w.channel),
        };
        match body {
            Body::PublicAggreBookTicker(t) => self.book_ticker(symbol, t, recv, out),
            Body::PublicAggreDeals(d) => self.deals(symbol, d, recv, out),
            Body::PublicSpotKline(k) => match self.map.get(symbol) {
                Some(instrument) => self.klines.update(instrument, k, out),
                None => FrameKind::Ignored,
            },
        }
    }
}

/// The symbol a channel names when the push does not: the last part
/// (`…@100ms@BTCUSDT`), or the one before the interval for a kline
/// (`spot@public.kline.v3.api.pb@BTCUSDT@Min1`).
fn channel_symbol(channel: &str) -> &str {
    let mut parts = channel.rsplit('@');
    let last = parts.next().unwrap_or("");
    if channel.starts_with("spot@public.kline.") {
        parts.next().unwrap_or("")
    } else {
        last
    }
}

impl FrameParser for MexcParser {
    fn parse(&mut self, text: &str, _recv: Timestamp, _out: &mut Vec<MarketEvent>) -> FrameKind {
        let Ok(r) = serde_json::from_str::<Reply<'_>>(text) else {
            return FrameKind::Malformed("text that is not a JSON object".into());
        };
        let msg = r.msg.as_deref().unwrap_or("");
        match r.code {
            Some(0) if msg == "PONG" => FrameKind::Heartbeat,
            // A subscription acknowledged: the message is its channel(s).
            Some(0) if msg.starts_with("spot@") => FrameKind::Control,
            // A refusal: another code, or code 0 with a message saying so
            // ("Not Subscribed successfully! […] Reason: Blocked!"). Counted
            // as malformed so that its reason shows in the feed's health.
            Some(_) if !msg.is_empty() => {
                let msg: String = msg.chars().take(200).collect();
                FrameKind::Malformed(format!("MEXC refused: {msg}"))
            }
            _ => FrameKind::Unknown,
        }
    }

    fn parse_binary(
        &mut self,
        bytes: &[u8],
        recv: Timestamp,
        out: &mut Vec<MarketEvent>,
    ) -> FrameKind {
        self.push(bytes, recv, out)
    }
}

/// MEXC's answer to a PING (the text sample of the venue table).
pub const SAMPLE_PONG: &str = r#"{"id":0,"code":0,"msg":"PONG"}"#;

/// A typical book-ticker push (the decode benchmark's input): the
/// documented example (`93387.28` / `3.73485` × `93387.29` / `7.669875`,
/// BTCUSDT, sent at 1736412092433) encoded with [`proto`]; a test checks
/// these bytes against the encoder.
pub const SAMPLE_PUSH: &[u8] = b"\x0a4spot@public.aggre.bookTicker.v3.api.pb@100ms@BTCUSDT\x1a\x07BTCUSDT0\x91\xb0\xe7\xd1\xc42\xda\x13'\x0a\x0893387.28\x12\x073.73485\x1a\x0893387.29\"\x087.669875";

#[cfg(test)]
mod tests;
