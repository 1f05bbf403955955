//! `omni-tui bench`: parse cost per frame for each venue, on a typical
//! market-data frame of each (Binance's is a real captured bookTicker).

use omni_core::domain::{InstrumentId, Timestamp, VenueId};
use omni_feeds::{SymbolMap, VenueKind};
use std::time::Instant;

/// A typical data frame per venue.
pub fn sample(kind: VenueKind) -> &'static str {
    match kind {
        VenueKind::Binance => {
            r#"{"stream":"btcusdt@bookTicker","data":{"u":50093239212,"s":"BTCUSDT","b":"61837.63000000","B":"3.78826000","a":"61837.64000000","A":"1.54698000"}}"#
        }
        VenueKind::Kraken => {
            r#"{"channel":"ticker","type":"update","data":[{"symbol":"BTC/USDT","bid":61837.6,"bid_qty":0.51234,"ask":61837.7,"ask_qty":1.25,"last":61837.6,"volume":997.9,"vwap":61800.1,"low":61000.0,"high":62000.0,"change":10.5,"change_pct":0.02}]}"#
        }
        VenueKind::Coinbase => {
            r#"{"channel":"ticker","client_id":"","timestamp":"2024-08-08T23:54:14.123Z","sequence_num":12,"events":[{"type":"update","tickers":[{"type":"ticker","product_id":"BTC-USDT","price":"61837.6","volume_24_h":"1","low_24_h":"1","high_24_h":"2","low_52_w":"1","high_52_w":"2","price_percent_chg_24_h":"0.1","best_bid":"61837.6","best_bid_quantity":"0.5","best_ask":"61837.7","best_ask_quantity":"1.5"}]}]}"#
        }
        VenueKind::Bybit => {
            r#"{"topic":"orderbook.1.BTCUSDT","type":"snapshot","ts":1723161254087,"data":{"s":"BTCUSDT","b":[["61837.6","2.1"]],"a":[["61837.7","0.3"]],"u":10,"seq":100},"cts":1723161254086}"#
        }
        VenueKind::Oanda => {
            r#"{"type":"PRICE","time":"2024-08-08T23:54:14.123456789Z","bids":[{"price":"1.09001","liquidity":10000000}],"asks":[{"price":"1.09012","liquidity":10000000}],"closeoutBid":"1.08997","closeoutAsk":"1.09016","status":"tradeable","tradeable":true,"instrument":"EUR_USD"}"#
        }
    }
}

/// Parses each venue's sample `n` times and prints ns per frame.
pub fn run(n: usize) {
    for kind in VenueKind::ALL {
        let mut map = SymbolMap::new(VenueId(0));
        map.insert(kind.symbol("BTC/USDT"), InstrumentId(0));
        map.insert(kind.symbol("EUR/USD"), InstrumentId(1));
        let mut p = kind.parser(map);
        let frame = sample(kind);
        let mut out = Vec::with_capacity(4);
        let t0 = Instant::now();
        for i in 0..n {
            out.clear();
            std::hint::black_box(p.parse(
                std::hint::black_box(frame),
                Timestamp(i as i64),
                &mut out,
            ));
        }
        let ns = t0.elapsed().as_nanos() as f64 / n as f64;
        println!(
            "parse {:<9}  {:>6.0} ns/frame  ({} bytes, frame to Quote with exact decimals)",
            kind.name(),
            ns,
            frame.len()
        );
    }
}
