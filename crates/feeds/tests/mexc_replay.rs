//! A recorded MEXC session (`tests/fixtures/mexc_session.rec`: JSON acks
//! and pongs as text lines, protobuf pushes as `mexc:b64` lines) replays
//! into exact events, from the plain file and from the recorder's gzip.

#[path = "common/mexc_fixture.rs"]
mod fixture;
#[path = "common/mexc.rs"]
mod frames;

use frames::{INSTRUMENTS, catalog, feeds};
use omni_core::domain::{
    Aggressor, Bar, InstrumentId, Quote, Timeframe, Timestamp, Trade, VenueId,
};
use omni_core::market::MarketEvent;
use omni_feeds::frame::Frame;
use omni_feeds::record::Recorder;
use omni_feeds::replay::ReplaySource;
use omni_feeds::stats::FeedHealth;
use rust_decimal::Decimal;
use std::path::{Path, PathBuf};
use std::str::FromStr;

fn fixture_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mexc_session.rec")
}

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).expect("a decimal")
}

/// Every event of a replay of `path`, and the venue's health after it.
fn replay(path: PathBuf) -> (Vec<MarketEvent>, FeedHealth) {
    let instruments = INSTRUMENTS.map(String::from);
    let source = ReplaySource::open(
        &[path],
        None,
        &catalog(),
        &feeds("wss://wbs-api.mexc.com/ws", &instruments),
    )
    .expect("replay opens");
    let stats = source.stats();
    let events = source.collect();
    (events, stats[0].health())
}

#[test]
fn the_fixture_is_what_the_recorder_writes_today() {
    let file = std::fs::read_to_string(fixture_path()).expect("the fixture");
    assert_eq!(file, fixture::lines());
}

#[test]
fn a_recorded_session_replays_into_exact_events() {
    let (events, health) = replay(fixture_path());
    let at = |i: i64| Timestamp(fixture::T0 + i * 100_000_000);
    let (v, btc, eth) = (VenueId(0), InstrumentId(0), InstrumentId(1));
    let trade = |price, qty, aggressor| {
        MarketEvent::Trade(Trade {
            venue: v,
            instrument: btc,
            price: d(price),
            qty: d(qty),
            aggressor,
            ts: at(2),
        })
    };
    let expected = vec![
        MarketEvent::Quote(Quote {
            venue: v,
            instrument: btc,
            bid: d("93387.28"),
            ask: d("93387.29"),
            bid_qty: d("3.73485"),
            ask_qty: d("7.669875"),
            ts: at(1),
        }),
        trade("93220.00", "0.04438243", Aggressor::Sell),
        trade("93220.01", "0.5", Aggressor::Buy),
        MarketEvent::Bar(Bar {
            instrument: btc,
            timeframe: Timeframe::M1,
            open_ts: Timestamp::from_secs(1_736_410_500),
            open: d("92925"),
            high: d("93158.47"),
            low: d("92800"),
            close: d("93158.47"),
            volume: d("36.83803224"),
        }),
        MarketEvent::Quote(Quote {
            venue: v,
            instrument: eth,
            bid: d("3301.5"),
            ask: d("3301.51"),
            bid_qty: d("12.25"),
            ask_qty: d("0.1"),
            ts: at(7),
        }),
    ];
    assert_eq!(events, expected);
    assert_eq!(
        (health.messages, health.events, health.dropped),
        (8, 5, 1),
        "{health:?}"
    );
}

#[test]
fn the_recorders_gzip_replays_the_same() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("mexc.rec.gz");
    let (recorder, writer) = Recorder::create(&path).expect("recorder");
    for (ns, bytes, binary) in fixture::session() {
        let frame = if binary {
            Frame::Binary(&bytes)
        } else {
            Frame::Text(std::str::from_utf8(&bytes).expect("text"))
        };
        recorder.write_frame(Timestamp(ns), "mexc", frame);
    }
    drop(recorder);
    assert_eq!(writer.finish().expect("written"), 8);
    assert_eq!(replay(path), replay(fixture_path()));
}
