//! MEXC decode cost per frame: `cargo run --release -p omni-feeds --example
//! mexc_decode [frames per run]`. For each push kind (book ticker, deals of
//! three trades, a running one-minute kline) it times the protobuf decode
//! alone and the whole parse (decode, exact decimals, market events), over
//! several runs, and prints the median ns per frame.

use omni_core::domain::{InstrumentId, Timestamp, VenueId};
use omni_core::market::MarketEvent;
use omni_feeds::mexc::proto::*;
use omni_feeds::mexc::{self, deals_channel, kline_channel};
use omni_feeds::{SymbolMap, VenueKind};
use prost::Message as _;
use std::hint::black_box;
use std::time::Instant;

/// Runs per measurement; the median is printed.
const RUNS: usize = 7;

fn wrap(channel: String, body: Body) -> Vec<u8> {
    PushDataV3ApiWrapper {
        channel,
        body: Some(body),
        symbol: Some("BTCUSDT".into()),
        symbol_id: Some("2fb942154ef44a4ab2ef98c8afb6a4a7".into()),
        create_time: None,
        send_time: Some(1_736_409_765_052),
    }
    .encode_to_vec()
}

/// The documented deals example, three trades in one push.
fn deals_push() -> Vec<u8> {
    let item = |price: &str, qty: &str, side| PublicAggreDealsV3ApiItem {
        price: price.into(),
        quantity: qty.into(),
        trade_type: side,
        time: 1_736_409_765_051,
        trade_id: String::new(),
    };
    wrap(
        deals_channel("BTCUSDT"),
        Body::PublicAggreDeals(PublicAggreDealsV3Api {
            deals: vec![
                item("93220.00", "0.04438243", 2),
                item("93220.01", "0.00120000", 1),
                item("93219.99", "0.25000000", 2),
            ],
            event_type: "spot@public.aggre.deals.v3.api.pb@100ms".into(),
        }),
    )
}

/// The documented kline example, as a running one-minute candle.
fn kline_push() -> Vec<u8> {
    wrap(
        kline_channel("BTCUSDT"),
        Body::PublicSpotKline(PublicSpotKlineV3Api {
            interval: "Min1".into(),
            window_start: 1_736_410_500,
            opening_price: "92925".into(),
            closing_price: "93158.47".into(),
            highest_price: "93158.47".into(),
            lowest_price: "92800".into(),
            volume: "36.83803224".into(),
            amount: "3424811.05".into(),
            window_end: 1_736_410_560,
        }),
    )
}

/// Median of `RUNS` timings of `n` calls of `f`, in ns per call.
fn median_ns(n: usize, mut f: impl FnMut(usize)) -> f64 {
    let mut runs: Vec<f64> = (0..RUNS)
        .map(|_| {
            let t0 = Instant::now();
            for i in 0..n {
                f(i);
            }
            t0.elapsed().as_nanos() as f64 / n as f64
        })
        .collect();
    runs.sort_by(f64::total_cmp);
    runs[RUNS / 2]
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200_000);
    let mut map = SymbolMap::new(VenueId(0));
    map.insert("BTCUSDT".into(), InstrumentId(0));
    let frames = [
        ("bookTicker", mexc::SAMPLE_PUSH.to_vec()),
        ("deals x3", deals_push()),
        ("kline Min1", kline_push()),
    ];
    println!("MEXC decode cost, median of {RUNS} runs of {n} frames each");
    for (name, bytes) in &frames {
        let decode = median_ns(n, |_| {
            let w = PushDataV3ApiWrapper::decode(black_box(bytes.as_slice()));
            black_box(w.is_ok());
        });
        let mut parser = VenueKind::Mexc.parser(map.clone());
        let mut out: Vec<MarketEvent> = Vec::with_capacity(8);
        let parse = median_ns(n, |i| {
            out.clear();
            let kind = parser.parse_binary(black_box(bytes), Timestamp(i as i64), &mut out);
            black_box(kind);
        });
        println!(
            "{name:<11} {:>4} bytes  protobuf decode {decode:>6.0} ns/frame  \
             full parse (decode + exact decimals + events) {parse:>6.0} ns/frame",
            bytes.len()
        );
    }
}
