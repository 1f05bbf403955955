//! `omni-tui bench`: parse cost per frame for each venue, on a typical
//! market-data frame of each (Binance's is a real captured bookTicker).

use omni_core::domain::{InstrumentId, Timestamp, VenueId};
use omni_feeds::{SymbolMap, VenueKind};
use std::time::Instant;

/// Parses each venue's sample `n` times and prints ns per frame.
pub fn run(n: usize) {
    for kind in VenueKind::ALL {
        let mut map = SymbolMap::new(VenueId(0));
        map.insert(kind.symbol("BTC/USDT"), InstrumentId(0));
        map.insert(kind.symbol("EUR/USD"), InstrumentId(1));
        let mut p = kind.parser(map);
        let spec = kind.spec();
        let mut out = Vec::with_capacity(4);
        let t0 = Instant::now();
        for i in 0..n {
            out.clear();
            // MEXC's data is a protobuf push; the others' a JSON text frame.
            let parsed = match spec.sample_binary {
                Some(bytes) => {
                    p.parse_binary(std::hint::black_box(bytes), Timestamp(i as i64), &mut out)
                }
                None => p.parse(
                    std::hint::black_box(spec.sample_frame),
                    Timestamp(i as i64),
                    &mut out,
                ),
            };
            std::hint::black_box(parsed);
        }
        let ns = t0.elapsed().as_nanos() as f64 / n as f64;
        let len = spec
            .sample_binary
            .map_or(spec.sample_frame.len(), <[u8]>::len);
        println!(
            "parse {:<9}  {:>6.0} ns/frame  ({} bytes, frame to Quote with exact decimals)",
            kind.name(),
            ns,
            len
        );
    }
}
