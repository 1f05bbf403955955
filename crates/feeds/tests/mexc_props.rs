//! Property tests of MEXC's protobuf decoding: any message our structs can
//! hold encodes and decodes to itself, numbers reach the events exactly,
//! and no input (random bytes, damaged pushes, random text) panics.

#[path = "common/mexc.rs"]
mod frames;

use frames::{symbol_map, ticker};
use omni_core::domain::Timestamp;
use omni_core::market::MarketEvent;
use omni_feeds::mexc::proto::*;
use omni_feeds::{FrameKind, FrameParser, VenueKind};
use proptest::prelude::*;
use prost::Message as _;
use rust_decimal::Decimal;
use std::str::FromStr;

fn parser() -> Box<dyn FrameParser> {
    VenueKind::Mexc.parser(symbol_map())
}

/// Any string, short: protobuf strings are UTF-8, as Rust's are.
fn text() -> impl Strategy<Value = String> {
    "\\PC{0,24}"
}

/// A positive decimal as MEXC spells one.
fn decimal() -> impl Strategy<Value = String> {
    (1i64..10_000_000_000_000, 0u32..12).prop_map(|(m, s)| Decimal::new(m, s).to_string())
}

/// A number field: usually a decimal, sometimes any text.
fn number() -> impl Strategy<Value = String> {
    prop_oneof![4 => decimal(), 1 => text()]
}

fn book_ticker() -> impl Strategy<Value = PublicAggreBookTickerV3Api> {
    (number(), number(), number(), number(), text(), any::<i64>()).prop_map(
        |(bid_price, bid_quantity, ask_price, ask_quantity, version, last_order_create_time)| {
            PublicAggreBookTickerV3Api {
                bid_price,
                bid_quantity,
                ask_price,
                ask_quantity,
                version,
                last_order_create_time,
            }
        },
    )
}

fn deals() -> impl Strategy<Value = PublicAggreDealsV3Api> {
    let item = (number(), number(), any::<i32>(), any::<i64>(), text()).prop_map(
        |(price, quantity, trade_type, time, trade_id)| PublicAggreDealsV3ApiItem {
            price,
            quantity,
            trade_type,
            time,
            trade_id,
        },
    );
    (prop::collection::vec(item, 0..6), text())
        .prop_map(|(deals, event_type)| PublicAggreDealsV3Api { deals, event_type })
}

fn kline() -> impl Strategy<Value = PublicSpotKlineV3Api> {
    (
        prop_oneof![Just("Min1".to_string()), text()],
        any::<i64>(),
        [number(), number(), number(), number(), number(), number()],
        any::<i64>(),
    )
        .prop_map(|(interval, window_start, [o, c, h, l, v, a], window_end)| {
            PublicSpotKlineV3Api {
                interval,
                window_start,
                opening_price: o,
                closing_price: c,
                highest_price: h,
                lowest_price: l,
                volume: v,
                amount: a,
                window_end,
            }
        })
}

fn body() -> impl Strategy<Value = Body> {
    prop_oneof![
        book_ticker().prop_map(Body::PublicAggreBookTicker),
        deals().prop_map(Body::PublicAggreDeals),
        kline().prop_map(Body::PublicSpotKline),
    ]
}

fn symbol() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(Some("BTCUSDT".to_string())),
        Just(Some("ETHUSDT".to_string())),
        Just(None),
        text().prop_map(Some),
    ]
}

fn wrapper() -> impl Strategy<Value = PushDataV3ApiWrapper> {
    (
        text(),
        prop::option::of(body()),
        symbol(),
        prop::option::of(text()),
        prop::option::of(any::<i64>()),
        prop::option::of(any::<i64>()),
    )
        .prop_map(
            |(channel, body, symbol, symbol_id, create_time, send_time)| PushDataV3ApiWrapper {
                channel,
                body,
                symbol,
                symbol_id,
                create_time,
                send_time,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn prop_encode_then_decode_is_identity(w in wrapper()) {
        let bytes = w.encode_to_vec();
        let back = PushDataV3ApiWrapper::decode(bytes.as_slice());
        prop_assert_eq!(back.as_ref().ok(), Some(&w), "{:?}", back);
        // And the parser takes it without panicking, whatever it holds.
        let mut out = Vec::new();
        parser().parse_binary(&bytes, Timestamp(1), &mut out);
    }

    #[test]
    fn prop_book_ticker_numbers_arrive_exactly(
        bid in decimal(), bq in decimal(), ask in decimal(), aq in decimal()
    ) {
        let f = ticker("BTCUSDT", &bid, &bq, &ask, &aq);
        let mut out = Vec::new();
        prop_assert_eq!(parser().parse_binary(&f, Timestamp(1), &mut out), FrameKind::Data);
        let Some(MarketEvent::Quote(q)) = out.first() else {
            return Err(TestCaseError::fail(format!("{out:?}")));
        };
        let exact = |s: &str| Decimal::from_str(s).ok();
        prop_assert_eq!(Some(q.bid), exact(&bid));
        prop_assert_eq!(Some(q.bid_qty), exact(&bq));
        prop_assert_eq!(Some(q.ask), exact(&ask));
        prop_assert_eq!(Some(q.ask_qty), exact(&aq));
        prop_assert_eq!(q.bid.to_string(), bid);
    }

    #[test]
    fn prop_random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let mut out = Vec::new();
        let kind = parser().parse_binary(&bytes, Timestamp(1), &mut out);
        // Whatever random bytes decode to, they make events only as data.
        prop_assert!(out.is_empty() || kind == FrameKind::Data);
    }

    #[test]
    fn prop_damaged_pushes_never_panic(
        w in wrapper(), cut in any::<prop::sample::Index>(),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4)
    ) {
        let mut bytes = w.encode_to_vec();
        for (at, b) in flips {
            if !bytes.is_empty() {
                let i = at.index(bytes.len());
                bytes[i] ^= b;
            }
        }
        let keep = cut.index(bytes.len() + 1);
        bytes.truncate(keep);
        let mut p = parser();
        let mut out = Vec::new();
        p.parse_binary(&bytes, Timestamp(1), &mut out);
    }

    #[test]
    fn prop_random_text_never_panics(s in "\\PC{0,64}") {
        let mut out = Vec::new();
        parser().parse(&s, Timestamp(1), &mut out);
        prop_assert!(out.is_empty(), "text frames carry no market data");
    }
}
