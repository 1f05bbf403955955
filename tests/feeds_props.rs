//! Property tests of every venue parser: nothing panics on any input, and
//! numbers in well-formed frames reach the events exactly.

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
    }
}

fn decimal() -> impl Strategy<Value = String> {
    (1u64..10_000_000_000, 0u32..9).prop_map(|(m, s)| Decimal::new(m as i64, s).to_string())
}

fn kind() -> impl Strategy<Value = VenueKind> {
    prop::sample::select(VenueKind::ALL.to_vec())
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
