//! Event time never waits on a venue's clock. Two venues on 127.0.0.1
//! (Binance's and Kraken's formats) send a kline stamped an hour in the
//! future, one for the minute just closed, then crossed quotes. Every quote
//! is processed at once, the arbitrage between them opens, and the
//! engine's clock stays at the receive time: with the system clock (the
//! binary, headless) and with an injected local clock an hour ahead of the
//! venues or an hour behind them. A replay orders by receive time too.

mod common;
#[path = "common/ws_venue.rs"]
mod ws_venue;

use omni_core::domain::Timestamp;
use omni_core::domain::time::{MINUTE, SECOND};
use omni_core::engine::{Audit, RestoredState};
use omni_core::market::MarketSource;
use omni_feeds::clock::{MAX_BAR_LEAD_NANOS, OffsetClock};
use omni_feeds::replay::ReplaySource;
use omni_feeds::{ReceiveClock, VenueKind};
use serde_json::Value;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

const HOUR: i64 = 60 * MINUTE;
/// Quotes each venue sends.
const QUOTES: usize = 40;
/// Longest a test waits for every event (the feeds deliver them in well
/// under a second; this only bounds a stall).
const PATIENCE: Duration = Duration::from_secs(20);

/// The venues' clock: the real one.
fn venue_now_ms() -> i64 {
    Timestamp::from_datetime(chrono::Utc::now()).millis()
}

/// A closed Binance `kline_1m` opening at `open_ms` (venue time).
fn kline(open_ms: i64) -> String {
    format!(
        r#"{{"stream":"btcusdt@kline_1m","data":{{"e":"kline","E":{e},"s":"BTCUSDT","k":{{"t":{open_ms},"T":{close},"s":"BTCUSDT","i":"1m","f":1,"L":2,"o":"60000.00","c":"60000.50","h":"60010.00","l":"59990.00","v":"3.5","n":3,"x":true,"q":"1","V":"1","Q":"1","B":"0"}}}}}}"#,
        e = open_ms + 60_000,
        close = open_ms + 59_999,
    )
}

/// Binance's frames: a kline an hour ahead of the venue's clock, the one
/// that just closed, then `QUOTES` bookTickers (ask 60 001).
fn binance_frames() -> Vec<String> {
    let minute = venue_now_ms().div_euclid(60_000) * 60_000;
    let mut f = vec![kline(minute + 3_600_000 - 60_000), kline(minute - 60_000)];
    for i in 0..QUOTES {
        f.push(format!(
            r#"{{"stream":"btcusdt@bookTicker","data":{{"u":{u},"s":"BTCUSDT","b":"60000.{c:02}","B":"1.5","a":"60001.{c:02}","A":"1.5"}}}}"#,
            u = 1000 + i,
            c = i % 100,
        ));
    }
    f
}

/// Kraken's frames: `QUOTES` tickers bidding 60 300, well over Binance's
/// ask after both venues' fees.
fn kraken_frames() -> Vec<String> {
    (0..QUOTES)
        .map(|i| {
            format!(
                r#"{{"channel":"ticker","type":"update","data":[{{"symbol":"BTC/USDT","bid":60300.{c:02},"bid_qty":1.5,"ask":60301.{c:02},"ask_qty":1.5}}]}}"#,
                c = i % 100
            )
        })
        .collect()
}

/// A venue on 127.0.0.1 (`ws_venue::serve`) sending `frames()`, made when
/// a client subscribes (from the venue's clock), 5 ms apart.
async fn venue(listener: TcpListener, frames: fn() -> Vec<String>) {
    ws_venue::serve(
        listener,
        None,
        Arc::new(move || ws_venue::every_5ms(frames())),
    )
    .await;
}

/// Starts both venues; returns the runtime serving them and the config
/// overlay pointing the feeds at them.
fn venues() -> (tokio::runtime::Runtime, String) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let bind = || {
        rt.block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("bind 127.0.0.1")
    };
    let (b, k) = (bind(), bind());
    let (bp, kp) = (
        b.local_addr().expect("addr").port(),
        k.local_addr().expect("addr").port(),
    );
    rt.spawn(venue(b, binance_frames));
    rt.spawn(venue(k, kraken_frames));
    let overlay = format!(
        r#"[market]
source = "live"

[feeds.binance]
url = "ws://127.0.0.1:{bp}"
symbols = ["BTC/USDT"]
[feeds.kraken]
url = "ws://127.0.0.1:{kp}"
symbols = ["BTC/USDT"]
[feeds.bybit]
enabled = false
"#
    );
    (rt, overlay)
}

/// What a live run came to.
struct Outcome {
    events: u64,
    quotes: u64,
    arbitrage: u64,
    expired: u64,
    opened: usize,
    engine_clock: Timestamp,
    now: Timestamp,
    binance: omni_feeds::FeedHealth,
}

/// Runs the engine on live feeds stamped by a local clock `offset_nanos`
/// off the venues', as `headless` does, until `want` market events are
/// processed; panics if they are not within [`PATIENCE`].
fn run_live(offset_nanos: i64, want: u64) -> Outcome {
    let (rt, overlay) = venues();
    let loaded = common::load(&overlay);
    let clock = ReceiveClock::new(Arc::new(OffsetClock { offset_nanos }));
    let (feeds, source) = omni_feeds::live::start_with_clock(
        &loaded.config.feeds,
        1,
        &loaded.catalog,
        None,
        clock.clone(),
    )
    .expect("feeds start");
    let stats = feeds.stats.clone();
    let mut driver =
        omni_tui::setup::driver(&loaded, 1, RestoredState::default(), source).expect("driver");
    let mut sink: Vec<Audit> = Vec::new();
    let t0 = Instant::now();
    while driver.market_events() < want {
        assert!(
            t0.elapsed() < PATIENCE,
            "stalled: {} of {want} events processed in {:?}; feeds {:?}",
            driver.market_events(),
            t0.elapsed(),
            stats.iter().map(|s| s.health()).collect::<Vec<_>>()
        );
        driver
            .run_until(clock.now(), 100_000, &mut sink)
            .expect("sink");
        std::thread::sleep(Duration::from_millis(10));
    }
    // Nothing more than expected arrives.
    std::thread::sleep(Duration::from_millis(300));
    driver
        .run_until(clock.now(), 100_000, &mut sink)
        .expect("sink");
    let now = clock.now();
    let binance = stats
        .iter()
        .map(|s| s.health())
        .find(|h| h.venue == "binance")
        .expect("binance feed");
    feeds.stop();
    drop(rt);
    let c = driver.engine.counters();
    Outcome {
        events: driver.market_events(),
        quotes: c.quotes,
        arbitrage: c
            .opportunities
            .get(omni_core::domain::OpportunityKind::Arbitrage),
        expired: c.expired,
        opened: sink
            .iter()
            .filter(|a| matches!(a, Audit::OpportunityOpened(_)))
            .count(),
        engine_clock: driver.engine.clock(),
        now,
        binance,
    }
}

/// What every run must show, whatever the clocks: every quote processed,
/// the arbitrage found, and the engine's clock at the receive clock's time
/// (not an hour off, nothing expired by a jump).
fn check(o: &Outcome, bars: u64) {
    let quotes = 2 * QUOTES as u64;
    assert_eq!(o.events, quotes + bars, "every event once");
    assert_eq!(o.quotes, quotes, "every quote of both venues was used");
    assert!(o.arbitrage >= 1 && o.opened >= 1, "the arbitrage opened");
    assert_eq!(o.expired, 0, "no opportunity expired by a clock jump");
    assert!(
        o.engine_clock <= o.now.plus(MAX_BAR_LEAD_NANOS)
            && o.engine_clock >= o.now.plus(-10 * SECOND),
        "the engine's clock {} is the receive clock's {}",
        o.engine_clock,
        o.now
    );
    assert_eq!(
        o.binance.events,
        QUOTES as u64 + bars,
        "binance: {:?}",
        o.binance
    );
    assert_eq!(o.binance.dropped, 2 - bars, "binance: {:?}", o.binance);
}

/// The local clock an hour ahead of the venues: both klines are in its
/// past, so both are used as content (their own `open_ts`), and neither
/// moves the engine's clock.
#[test]
fn a_local_clock_an_hour_ahead_delays_nothing() {
    let o = run_live(HOUR, 2 * QUOTES as u64 + 2);
    check(&o, 2);
}

/// The local clock an hour behind the venues: both klines close an hour or
/// more after they were received; they are dropped and counted, and the
/// quotes behind them flow.
#[test]
fn a_local_clock_an_hour_behind_delays_nothing() {
    let o = run_live(-HOUR, 2 * QUOTES as u64);
    check(&o, 0);
    assert!(
        o.binance.last_error.contains("clock"),
        "the dropped bars say why: {:?}",
        o.binance
    );
}

/// The same through the binary: `headless` on the system clock. The kline
/// an hour ahead is dropped and counted; the one just closed is used; every
/// quote of both venues is processed within the run.
#[test]
fn headless_live_on_a_future_kline_processes_every_quote() {
    let (rt, overlay) = venues();
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("live.toml");
    std::fs::write(&cfg, overlay).expect("config");
    let v = omni(
        dir.path(),
        &[
            "--config",
            cfg.to_str().expect("utf8"),
            "headless",
            "--duration",
            "3",
            "--json",
            "--db",
            "live.db",
        ],
    );
    drop(rt);
    let quotes = 2 * QUOTES as u64;
    assert_eq!(v["events"].as_u64(), Some(quotes + 1), "{v}");
    assert_eq!(v["expired"].as_u64(), Some(0), "{v}");
    assert!(v["opportunities"]["arbitrage"].as_u64() >= Some(1), "{v}");
    let feed = |name: &str| {
        v["feeds"]
            .as_array()
            .and_then(|f| f.iter().find(|f| f["venue"] == name))
            .cloned()
            .unwrap_or_else(|| panic!("no {name} feed in {v}"))
    };
    let (b, k) = (feed("binance"), feed("kraken"));
    assert_eq!(b["events"].as_u64(), Some(QUOTES as u64 + 1), "{b}");
    assert_eq!(b["dropped"].as_u64(), Some(1), "the future kline: {b}");
    assert_eq!(k["events"].as_u64(), Some(QUOTES as u64), "{k}");
}

fn omni(dir: &Path, args: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_omni-tui"))
        .current_dir(dir)
        .env("XDG_CONFIG_HOME", dir.join("cfg"))
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("XDG_STATE_HOME", dir.join("state"))
        .args(args)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&String::from_utf8_lossy(&out.stdout)).expect("json")
}

/// A recording holds each frame's receive time; a replay orders by it and
/// reports it as the events' time, drops the kline closing an hour after it
/// was received (as the live run did), and keeps the one already closed.
#[test]
fn a_replay_orders_by_receive_time_and_drops_the_future_kline() {
    let dir = tempfile::tempdir().expect("tempdir");
    let recv0 = Timestamp::from_secs(1_741_071_600);
    let open_ms = recv0.millis() - 60_000;
    let mut lines = vec![
        format!("{} binance {}", recv0.nanos(), kline(open_ms + 3_600_000)),
        format!("{} binance {}", recv0.plus(1).nanos(), kline(open_ms)),
    ];
    for (i, f) in binance_frames().iter().skip(2).take(3).enumerate() {
        let at = recv0.plus((i as i64 + 1) * SECOND);
        lines.push(format!("{} binance {f}", at.nanos()));
    }
    let path = dir.path().join("rec.txt");
    std::fs::write(&path, lines.join("\n")).expect("write");
    let loaded = common::load("");
    let mut replay =
        ReplaySource::open(&[path], None, &loaded.catalog, &loaded.config.feeds).expect("opens");
    let mut times = Vec::new();
    while let Some(t) = replay.peek_ts() {
        let e = replay.next().expect("an event after peek");
        times.push((t, e.ts()));
    }
    let want: Vec<Timestamp> = [recv0.plus(1)]
        .into_iter()
        .chain((1..=3).map(|i| recv0.plus(i * SECOND)))
        .collect();
    assert_eq!(times.iter().map(|t| t.0).collect::<Vec<_>>(), want);
    // The kept bar's own time is the venue's close, content only.
    assert_eq!(times[0].1, recv0);
    let h = replay
        .stats()
        .into_iter()
        .map(|s| s.health())
        .find(|h| h.venue == VenueKind::Binance.name())
        .expect("binance stats");
    assert_eq!((h.events, h.dropped), (4, 1), "{h:?}");
}
