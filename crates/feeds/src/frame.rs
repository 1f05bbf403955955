//! A received frame, text or binary, and how a recording spells it on one
//! line: `<receive ns> <venue> <text>` for text (line breaks flattened to
//! spaces, as JSON does not need them), `<receive ns> <venue>:b64 <base64>`
//! for binary (MEXC's protobuf pushes), so a replay hands the parser the
//! very bytes the connection received.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// The suffix of the venue word that marks a binary frame's line. A venue
/// name never contains `:`, so no text line can be read as binary.
pub const BINARY_MARK: &str = ":b64";

/// One frame as the connection received it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    /// A text frame (JSON for every venue).
    Text(&'a str),
    /// A binary frame (protobuf for MEXC; JSON bytes or garbage elsewhere).
    Binary(&'a [u8]),
}

impl Frame<'_> {
    /// Its size in bytes (the frame cap applies to it).
    pub fn len(&self) -> usize {
        match self {
            Frame::Text(t) => t.len(),
            Frame::Binary(b) => b.len(),
        }
    }

    /// True for an empty frame.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The frame as an owned value (for the recorder's thread).
    pub fn to_owned_frame(&self) -> OwnedFrame {
        match self {
            Frame::Text(t) => OwnedFrame::Text((*t).to_string()),
            Frame::Binary(b) => OwnedFrame::Binary(b.to_vec()),
        }
    }
}

/// A frame that owns its text or bytes (read back from a recording, or
/// queued for the recorder's thread).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OwnedFrame {
    Text(String),
    Binary(Vec<u8>),
}

impl OwnedFrame {
    /// A borrowed view of it.
    pub fn as_frame(&self) -> Frame<'_> {
        match self {
            OwnedFrame::Text(t) => Frame::Text(t),
            OwnedFrame::Binary(b) => Frame::Binary(b),
        }
    }
}

/// The recording line of a frame received at `ns` (no trailing newline).
pub fn record_line(ns: i64, venue: &str, frame: Frame<'_>) -> String {
    match frame {
        Frame::Text(t) => format!("{ns} {venue} {}", t.replace(['\n', '\r'], " ")),
        Frame::Binary(b) => format!("{ns} {venue}{BINARY_MARK} {}", STANDARD.encode(b)),
    }
}

/// The venue word of a recording line without its binary mark, and
/// whether it had one: `mexc:b64` is `("mexc", true)`.
pub fn split_mark(word: &str) -> (&str, bool) {
    match word.strip_suffix(BINARY_MARK) {
        Some(venue) => (venue, true),
        None => (word, false),
    }
}

/// The bytes of a binary line's payload; `None` when it is not base64.
pub fn decode_binary(payload: &str) -> Option<Vec<u8>> {
    STANDARD.decode(payload.trim()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_lines_round_trip_every_byte() {
        let bytes: Vec<u8> = (0..=255u8).chain([0, 10, 13, 32]).collect();
        let line = record_line(17, "mexc", Frame::Binary(&bytes));
        let (ns, rest) = line.split_once(' ').unwrap();
        let (word, payload) = rest.split_once(' ').unwrap();
        assert_eq!(ns, "17");
        assert_eq!(split_mark(word), ("mexc", true));
        assert_eq!(decode_binary(payload), Some(bytes));
        assert!(!line.contains('\n'));
    }

    #[test]
    fn text_lines_keep_their_venue_word_plain() {
        let line = record_line(5, "binance", Frame::Text("{\"a\":\n1}"));
        assert_eq!(line, "5 binance {\"a\": 1}");
        assert_eq!(split_mark("binance"), ("binance", false));
        assert_eq!(decode_binary("not base64!"), None);
    }
}
