//! The interface every venue parser implements, and helpers they share.

use omni_core::domain::{InstrumentId, Timestamp, VenueId};
use omni_core::market::MarketEvent;
use rust_decimal::Decimal;
use std::borrow::Cow;
use std::collections::HashMap;
use std::str::FromStr;

/// A JSON string field of a frame: borrowed from the frame's text when the
/// string has no escapes (no allocation on the hot path), owned when it
/// has (`"BTC\u0055SDT"`, `"a\"b"`), which a `&str` field cannot hold:
/// serde_json refuses to borrow an escaped string and the whole frame
/// would be dropped as malformed. Unlike a bare `Cow<str>` field, it
/// borrows inside `Option`, `Vec` and arrays too (the field still needs
/// `#[serde(borrow)]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Text<'a>(pub Cow<'a, str>);

impl std::ops::Deref for Text<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> serde::Deserialize<'de> for Text<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: serde::de::Error>(
                self,
                v: &'de str,
            ) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// What a frame turned out to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FrameKind {
    /// Market data: events were appended.
    Data,
    /// A heartbeat or pong: proof of life, nothing else.
    Heartbeat,
    /// A subscription acknowledgement, status or other control message.
    Control,
    /// A valid message of a kind we do not use.
    Ignored,
    /// Valid JSON of a shape we do not know: counted and dropped.
    Unknown,
    /// Not what the venue sends: counted and dropped, with the reason.
    Malformed(String),
}

impl FrameKind {
    /// True for frames that are counted as dropped.
    pub fn is_dropped(&self) -> bool {
        matches!(self, FrameKind::Unknown | FrameKind::Malformed(_))
    }
}

/// Reads one venue's frames into market events. One per connection: some
/// venues' frames only make sense in order (sequence numbers, book deltas).
pub trait FrameParser: Send {
    /// Parses a text frame received at `recv`, appending events to `out`.
    fn parse(&mut self, text: &str, recv: Timestamp, out: &mut Vec<MarketEvent>) -> FrameKind;
    /// Parses a binary frame received at `recv`. Venues whose pushes are
    /// binary (MEXC's protobuf) override it; for the others a binary frame
    /// is JSON sent as bytes (read as text) or garbage (malformed).
    fn parse_binary(
        &mut self,
        bytes: &[u8],
        recv: Timestamp,
        out: &mut Vec<MarketEvent>,
    ) -> FrameKind {
        match std::str::from_utf8(bytes) {
            Ok(text) => self.parse(text, recv, out),
            Err(_) => FrameKind::Malformed("a binary frame that is not UTF-8 text".into()),
        }
    }
    /// Sequence gaps seen so far (0 for venues without sequence numbers).
    fn gaps(&self) -> u64 {
        0
    }
}

/// Venue symbol → instrument, for one venue.
#[derive(Clone, Debug)]
pub struct SymbolMap {
    venue: VenueId,
    by_symbol: HashMap<String, InstrumentId>,
}

impl SymbolMap {
    /// An empty map for a venue.
    pub fn new(venue: VenueId) -> Self {
        Self {
            venue,
            by_symbol: HashMap::new(),
        }
    }
    pub fn insert(&mut self, symbol: String, instrument: InstrumentId) {
        self.by_symbol.insert(symbol, instrument);
    }
    /// The instrument of a venue symbol (case-insensitive for Binance's
    /// lower-case stream names).
    pub fn get(&self, symbol: &str) -> Option<InstrumentId> {
        self.by_symbol.get(symbol).copied().or_else(|| {
            self.by_symbol
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(symbol))
                .map(|(_, v)| *v)
        })
    }
    pub fn venue(&self) -> VenueId {
        self.venue
    }
    /// A quote on this venue from the four numbers as the frame spells
    /// them; `None` when any of them is not a number.
    pub fn quote(
        &self,
        instrument: InstrumentId,
        [bid, bid_qty, ask, ask_qty]: [&str; 4],
        ts: Timestamp,
    ) -> Option<MarketEvent> {
        Some(MarketEvent::Quote(omni_core::domain::Quote {
            venue: self.venue,
            instrument,
            bid: dec(bid)?,
            ask: dec(ask)?,
            bid_qty: dec(bid_qty)?,
            ask_qty: dec(ask_qty)?,
            ts,
        }))
    }
    /// The venue symbols, sorted.
    pub fn symbols(&self) -> Vec<String> {
        let mut v: Vec<String> = self.by_symbol.keys().cloned().collect();
        v.sort();
        v
    }
}

/// A decimal from a string or the text of a JSON number, exactly (no f64).
pub fn dec(s: &str) -> Option<Decimal> {
    let s = s.trim().trim_matches('"');
    Decimal::from_str(s)
        .ok()
        .or_else(|| Decimal::from_scientific(s).ok())
}

/// Milliseconds since the epoch as a timestamp.
pub fn ms(t: i64) -> Timestamp {
    Timestamp::from_millis(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_reach_decimal_exactly() {
        assert_eq!(dec("0.10025"), Some(Decimal::new(10025, 5)));
        assert_eq!(dec("\"68900.5\""), Some(Decimal::new(689005, 1)));
        assert_eq!(dec("1e-5"), Some(Decimal::new(1, 5)));
        assert_eq!(dec("0.1").map(|d| d.to_string()), Some("0.1".into()));
        assert_eq!(dec("abc"), None);
    }

    #[test]
    fn text_borrows_plain_strings_and_owns_escaped_ones() {
        let plain: Vec<Text<'_>> = serde_json::from_str(r#"["BTCUSDT"]"#).unwrap();
        assert!(matches!(plain[0].0, Cow::Borrowed("BTCUSDT")));
        let escaped: Vec<Text<'_>> =
            serde_json::from_str(r#"["BTC\u0055SDT", "a\"b", "x\/y"]"#).unwrap();
        assert_eq!(&*escaped[0], "BTCUSDT");
        assert!(matches!(escaped[0].0, Cow::Owned(_)));
        assert_eq!(&*escaped[1], "a\"b");
        assert_eq!(&*escaped[2], "x/y");
        assert!(serde_json::from_str::<Text<'_>>("1").is_err());
    }
}
