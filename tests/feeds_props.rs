//! Property tests of every venue parser: nothing panics on any input,
//! numbers in well-formed frames reach the events exactly, and escaped
//! strings (valid JSON in another spelling) read as their plain twins.

use omni_core::domain::{InstrumentId, Timestamp, VenueId};
use omni_core::market::MarketEvent;
use omni_feeds::{FrameKind, SymbolMap, VenueKind};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn parser(kind: VenueKind) -> Box<dyn omni_feeds::FrameParser> {
    let mut m = SymbolMap::new(VenueId(0));
    m.insert(kind.symbol("BTC/USDT"), InstrumentId(0));
    m.insert(kind.symbol("EUR/USD"), InstrumentId(1));
    kind.parser(m)
}

/// A well-formed data frame of each venue with these numbers.
fn frame(kind: VenueKind, bid: &str, bq: &str, ask: &str, aq: &str) -> String {
    match kind {
        VenueKind::Binance => format!(
            r#"{{"stream":"btcusdt@bookTicker","data":{{"u":1,"s":"BTCUSDT","b":"{bid}","B":"{bq}","a":"{ask}","A":"{aq}"}}}}"#
        ),
        VenueKind::Kraken => format!(
            r#"{{"channel":"ticker","type":"update","data":[{{"symbol":"BTC/USDT","bid":{bid},"bid_qty":{bq},"ask":{ask},"ask_qty":{aq},"last":{bid}}}]}}"#
        ),
        VenueKind::Coinbase => format!(
            r#"{{"channel":"ticker","sequence_num":1,"events":[{{"type":"update","tickers":[{{"product_id":"BTC-USDT","best_bid":"{bid}","best_bid_quantity":"{bq}","best_ask":"{ask}","best_ask_quantity":"{aq}"}}]}}]}}"#
        ),
        VenueKind::Bybit => format!(
            r#"{{"topic":"orderbook.1.BTCUSDT","type":"snapshot","ts":1,"data":{{"s":"BTCUSDT","b":[["{bid}","{bq}"]],"a":[["{ask}","{aq}"]],"u":2,"seq":3}}}}"#
        ),
        VenueKind::Oanda => format!(
            r#"{{"type":"PRICE","instrument":"EUR_USD","bids":[{{"price":"{bid}","liquidity":{bq}}}],"asks":[{{"price":"{ask}","liquidity":{aq}}}]}}"#
        ),
        // Binary protobuf pushes: crates/feeds/tests/mexc_props.rs.
        VenueKind::Mexc => unreachable!("MEXC's market data is not JSON text"),
    }
}

fn decimal() -> impl Strategy<Value = String> {
    (1u64..10_000_000_000, 0u32..9).prop_map(|(m, s)| Decimal::new(m as i64, s).to_string())
}

/// The venues whose market data is JSON text (MEXC's is protobuf).
fn text_venues() -> Vec<VenueKind> {
    VenueKind::ALL
        .into_iter()
        .filter(|k| k.spec().sample_binary.is_none())
        .collect()
}

fn kind() -> impl Strategy<Value = VenueKind> {
    prop::sample::select(text_venues())
}

/// The same JSON with the characters inside strings (keys and values)
/// that `pick` chooses, counted from 0, spelled as `\uXXXX` escapes.
fn escape_in_strings(json: &str, pick: impl Fn(usize) -> bool) -> String {
    let (mut out, mut in_str, mut esc, mut n) = (String::new(), false, false, 0);
    for c in json.chars() {
        if !in_str {
            in_str = c == '"';
            out.push(c);
        } else if esc {
            esc = false;
            out.push(c);
        } else if c == '\\' {
            esc = true;
            out.push(c);
        } else if c == '"' {
            in_str = false;
            out.push(c);
        } else {
            if pick(n) {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{u:04X}"));
                }
            } else {
                out.push(c);
            }
            n += 1;
        }
    }
    out
}

/// What a fresh parser makes of a frame.
fn parsed(k: VenueKind, frame: &str) -> (FrameKind, Vec<MarketEvent>) {
    let mut p = parser(k);
    let mut out = Vec::new();
    let kind = p.parse(frame, Timestamp(1), &mut out);
    (kind, out)
}

#[test]
fn every_venue_reads_an_escaped_symbol_as_the_plain_one() {
    for k in text_venues() {
        let plain = frame(k, "100.5", "2", "100.6", "3");
        let (kind, events) = parsed(k, &plain);
        assert_eq!(kind, FrameKind::Data, "{plain}");
        // `"s":"BTC\u0055SDT"`: the U of each symbol escaped.
        let sym = k.symbol("BTC/USDT");
        let sym = if plain.contains(&format!("\"{sym}\"")) {
            sym
        } else {
            k.symbol("EUR/USD")
        };
        let u = sym.find('U').expect("a U in the symbol");
        let escaped_sym = format!("{}\\u0055{}", &sym[..u], &sym[u + 1..]);
        let one = plain.replace(&format!("\"{sym}\""), &format!("\"{escaped_sym}\""));
        assert_ne!(one, plain);
        assert_eq!(parsed(k, &one), (kind.clone(), events.clone()), "{one}");
        // Every character of every string escaped, keys included.
        let all = escape_in_strings(&plain, |_| true);
        assert_eq!(parsed(k, &all), (kind, events), "{all}");
    }
}

#[test]
fn an_escaped_quote_in_a_read_field_is_not_malformed() {
    // Coinbase reads `type` (errors) and Bybit reads `type` (snapshot or
    // delta); an escaped quote in either is valid JSON.
    let f = frame(VenueKind::Coinbase, "1", "2", "3", "4").replacen(
        r#"{"channel""#,
        r#"{"type":"say \"hi\"","channel""#,
        1,
    );
    assert_eq!(parsed(VenueKind::Coinbase, &f).0, FrameKind::Data, "{f}");
    let f = r#"{"stream":"btcusdt@bookTicker","data":{"u":1,"s":"BTCUSDT","b":"1","B":"2","a":"3","A":"4","note":"\"x\""},"tag":"\"y\""}"#;
    assert_eq!(parsed(VenueKind::Binance, f).0, FrameKind::Data, "{f}");
    let f = r#"{"type":"HEARTBEAT","time":"\"now\""}"#;
    assert_eq!(parsed(VenueKind::Oanda, f).0, FrameKind::Heartbeat);
    let f = r#"{"channel":"heart\u0062eat"}"#;
    assert_eq!(parsed(VenueKind::Kraken, f).0, FrameKind::Heartbeat);
    let f = r#"{"op":"p\u0069ng","ret_msg":"\"pong\""}"#;
    assert_eq!(parsed(VenueKind::Bybit, f).0, FrameKind::Heartbeat);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn prop_numbers_arrive_exactly(k in kind(), bid in decimal(), bq in decimal(), ask in decimal(), aq in decimal()) {
        let mut p = parser(k);
        let mut out = Vec::new();
        let f = frame(k, &bid, &bq, &ask, &aq);
        prop_assert_eq!(p.parse(&f, Timestamp(1), &mut out), FrameKind::Data, "{}", f);
        let MarketEvent::Quote(q) = out[0] else { panic!("not a quote") };
        let d = |s: &str| s.parse::<Decimal>().expect("decimal");
        prop_assert_eq!((q.bid, q.bid_qty, q.ask, q.ask_qty), (d(&bid), d(&bq), d(&ask), d(&aq)));
    }

    #[test]
    fn prop_escaped_strings_read_as_their_plain_twins(k in kind(), bid in decimal(), bq in decimal(), ask in decimal(), aq in decimal(), at in 0usize..400, every in 1usize..5) {
        let plain = frame(k, &bid, &bq, &ask, &aq);
        let want = parsed(k, &plain);
        prop_assert_eq!(&want.0, &FrameKind::Data);
        // One character escaped anywhere inside a string, then every n-th.
        let one = escape_in_strings(&plain, |i| i == at);
        prop_assert_eq!(&parsed(k, &one), &want, "{}", one);
        let many = escape_in_strings(&plain, |i| i % every == at % every);
        prop_assert_eq!(&parsed(k, &many), &want, "{}", many);
    }

    #[test]
    fn prop_any_text_is_survived(k in kind(), s in ".{0,400}") {
        let mut p = parser(k);
        let mut out = Vec::new();
        let _ = p.parse(&s, Timestamp(1), &mut out);
    }

    #[test]
    fn prop_damaged_frames_are_survived(k in kind(), bid in decimal(), cut in 0usize..300, at in 0usize..300, c in any::<char>()) {
        let f = frame(k, &bid, "1", "2", "3");
        let mut p = parser(k);
        let mut out = Vec::new();
        // Truncated anywhere: a strict prefix of a JSON object is never
        // valid JSON, so it can never be read as data.
        let end = f.char_indices().nth(cut).map_or(f.len(), |(i, _)| i);
        let kind_cut = p.parse(&f[..end], Timestamp(1), &mut out);
        if end < f.len() {
            prop_assert_ne!(kind_cut, FrameKind::Data);
            prop_assert!(out.is_empty());
        }
        // One character replaced anywhere: whatever it reads as, data comes
        // with events and anything else with none.
        let mut chars: Vec<char> = f.chars().collect();
        let i = at % chars.len();
        chars[i] = c;
        let damaged: String = chars.into_iter().collect();
        out.clear();
        let kind = p.parse(&damaged, Timestamp(1), &mut out);
        prop_assert_eq!(kind == FrameKind::Data, !out.is_empty(), "{:?} for {}", kind, damaged);
    }

    #[test]
    fn prop_deep_nesting_and_huge_numbers_are_survived(k in kind(), depth in 1usize..5000, digits in 1usize..200) {
        let mut p = parser(k);
        let mut out = Vec::new();
        let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let _ = p.parse(&nested, Timestamp(1), &mut out);
        let huge = "9".repeat(digits);
        let _ = p.parse(&frame(k, &huge, &huge, &huge, &huge), Timestamp(1), &mut out);
    }
}
