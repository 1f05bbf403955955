//! Replay controls, on the engine thread the cockpit runs: `P` stops the
//! market clock while commands still apply, `>` and `<` change its pace
//! without a jump, a replay says how much of its input it has read, and at
//! its end the clock stops at the last event (no quote goes stale, nothing
//! expires) while approvals and the kill switch still reach the paper
//! broker. Last, the real binary in tmux: pause, speed up, the end.

mod common;
#[path = "common/tmux.rs"]
mod tmux;

use omni_core::approval::config::ApprovalMode;
use omni_core::domain::Timestamp;
use omni_core::domain::time::SECOND;
use omni_core::engine::Command;
use omni_core::market::MarketSource;
use omni_core::risk::TradingState;
use omni_feeds::WallClock;
use omni_feeds::replay::ReplaySource;
use omni_tui::app::Pace;
use omni_tui::app::snapshot::{MAX_SPEED, Snapshot};
use omni_tui::cockpit::run::PREROLL_SECS;
use omni_tui::config::LoadedConfig;
use omni_tui::engine_thread::{EngineThread, MIN_SPEED, Pacing, TOP_SPEED, faster, slower};
use omni_tui::setup;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

const SEED: u64 = 5;

fn capture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/data/ws_captures/binance_spot/spot_btcusdt_20240808.gz")
}

/// The first `n` lines of the real BTC capture, as a plain file; returns
/// its path and the receive time of its last line that becomes an event
/// (a bookTicker or trade frame; depth updates are ignored).
fn slice_of_capture(dir: &Path, n: usize) -> (PathBuf, Timestamp) {
    let f = std::fs::File::open(capture()).expect("capture");
    let lines: Vec<String> = std::io::BufReader::new(flate2::read::GzDecoder::new(f))
        .lines()
        .take(n)
        .map(|l| l.expect("line"))
        .collect();
    let last = lines
        .iter()
        .rev()
        .find(|l| l.contains("@bookTicker") || l.contains("@trade"))
        .and_then(|l| l.split(' ').next())
        .and_then(|ts| ts.parse().ok())
        .map(Timestamp)
        .expect("a data line");
    let path = dir.join("slice.txt");
    let mut out = std::fs::File::create(&path).expect("slice");
    for l in &lines {
        writeln!(out, "{l}").expect("write");
    }
    (path, last)
}

/// A wall clock the test moves by hand.
#[derive(Clone)]
struct HandClock(Arc<AtomicI64>);

impl HandClock {
    fn new() -> Self {
        Self(Arc::new(AtomicI64::new(0)))
    }
    fn advance(&self, nanos: i64) {
        self.0.fetch_add(nanos, Ordering::SeqCst);
    }
    fn wall(&self) -> Arc<dyn WallClock> {
        let c = self.0.clone();
        Arc::new(move || Timestamp(c.load(Ordering::SeqCst)))
    }
}

/// The demo on its own thread, as the cockpit starts it (after the same
/// run-up), at speed 1.
fn demo(
    dir: &Path,
    loaded: &LoadedConfig,
    wall: Option<Arc<dyn WallClock>>,
) -> (EngineThread, Timestamp) {
    let (_, restored, store) =
        setup::open_store(Some(&dir.join("demo.db")), loaded, "test", SEED).expect("store");
    let driver = setup::demo_driver(loaded, SEED, restored).expect("demo");
    let from = driver.market().start().plus(PREROLL_SECS * SECOND);
    let pacing = Pacing::Scaled {
        from,
        speed: 1.0,
        progress: None,
    };
    let engine = match wall {
        Some(w) => {
            EngineThread::spawn_with_wall(driver, store, pacing, "DEMO".into(), Vec::new(), w)
        }
        None => EngineThread::spawn(driver, store, pacing, "DEMO".into(), Vec::new()),
    };
    (engine, from)
}

/// A replay of `files` (binance frames) on its own thread, as the cockpit
/// starts it; on `wall` when given, else on the real clock.
fn replay(
    dir: &Path,
    loaded: &LoadedConfig,
    files: &[PathBuf],
    speed: f64,
    wall: Option<Arc<dyn WallClock>>,
) -> EngineThread {
    let (_, restored, store) =
        setup::open_store(Some(&dir.join("replay.db")), loaded, "test", SEED).expect("store");
    let source = setup::replay_source(loaded, files, Some("binance")).expect("replay");
    let feeds = source.stats();
    let from = source.peek_ts().expect("an event");
    let progress = Some(source.progress());
    let driver = setup::driver(loaded, SEED, restored, source).expect("driver");
    let pacing = Pacing::Scaled {
        from,
        speed,
        progress,
    };
    let label = "REPLAY".to_string();
    match wall {
        Some(w) => EngineThread::spawn_with_wall(driver, store, pacing, label, feeds, w),
        None => EngineThread::spawn(driver, store, pacing, label, feeds),
    }
}

/// A replay's configuration (PAPER accounts) with long-lived binary
/// contracts and a short minimum interval between them: with every
/// opportunity approved, positions are open before the slice ends.
fn replay_config() -> LoadedConfig {
    let mut l = common::load(
        "[scanners.binary]\nexpiry_secs = 3600\n[risk.signal.binary]\nmin_interval_secs = 5\n",
    );
    setup::on_real_data(&mut l);
    l
}

/// Waits (at most `secs`) for a published snapshot that satisfies `ok`.
fn wait(
    engine: &EngineThread,
    what: &str,
    secs: u64,
    ok: impl Fn(&Snapshot) -> bool,
) -> Arc<Snapshot> {
    let t0 = Instant::now();
    loop {
        let s = engine.snapshots.borrow().clone();
        if s.version > 0 && ok(&s) {
            return s;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(secs),
            "waited {secs}s for {what}; last snapshot at {} ({:?}), {:?}",
            s.now,
            s.now.to_datetime(),
            s.replay
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn newest(engine: &EngineThread) -> Arc<Snapshot> {
    engine.snapshots.borrow().clone()
}

fn paused(s: &Snapshot) -> bool {
    s.replay.as_ref().is_some_and(|r| r.paused)
}

fn speed(s: &Snapshot) -> f64 {
    s.replay.as_ref().map_or(f64::NAN, |r| r.speed)
}

#[test]
fn speed_steps_double_and_halve_within_their_bounds() {
    let mut s = 1.0;
    let mut up = vec![s];
    for _ in 0..14 {
        s = faster(s);
        up.push(s);
    }
    let expected: Vec<f64> = (0..=10)
        .map(|i| f64::from(1u32 << i))
        .chain([MAX_SPEED; 4])
        .collect();
    assert_eq!(up, expected, "×2 up to {TOP_SPEED}, then max, which stays");
    assert_eq!(slower(MAX_SPEED), TOP_SPEED);
    let mut down = vec![];
    let mut s = TOP_SPEED;
    for _ in 0..14 {
        s = slower(s);
        down.push(s);
    }
    assert_eq!(down[9], 1.0);
    assert_eq!(
        &down[11..],
        &[MIN_SPEED; 3],
        "÷2 down to {MIN_SPEED}, which stays"
    );
    // A configured speed off the steps keeps its own steps, within the bounds.
    assert_eq!(faster(20.0), 40.0);
    assert_eq!(faster(640.0), TOP_SPEED);
    assert_eq!(slower(0.3), MIN_SPEED);
    assert_eq!(slower(0.1), 0.1, "slower than the slowest step: stays");
    assert_eq!(faster(5_000.0), MAX_SPEED);
}

/// Market time on a hand-moved wall clock: exactly `speed` × the wall time
/// moved, none while paused, and every change of pace starts from where
/// the clock stands.
#[test]
fn market_time_follows_the_pace_exactly_on_a_hand_moved_clock() {
    let dir = tempfile::tempdir().expect("tempdir");
    let loaded = common::load("");
    let hand = HandClock::new();
    let (engine, from) = demo(dir.path(), &loaded, Some(hand.wall()));
    let s = wait(&engine, "the run-up", 60, |s| s.replay.is_some());
    assert_eq!(s.now, from, "the clock starts where the run-up ends");
    let r = s.replay.clone().expect("a scaled clock");
    assert!(
        !r.paused && !r.ended && r.speed == 1.0 && r.progress.is_none(),
        "{r:?}"
    );

    let at = |secs: f64| from.plus((secs * SECOND as f64) as i64);
    hand.advance(SECOND);
    wait(&engine, "1 s at ×1", 10, |s| s.now == at(1.0));

    engine.pace(Pace::Faster).expect("pace");
    wait(&engine, "×2", 10, |s| speed(s) == 2.0);
    hand.advance(SECOND);
    wait(&engine, "1 s at ×2", 10, |s| s.now == at(3.0));

    engine.pace(Pace::TogglePause).expect("pace");
    wait(&engine, "paused", 10, paused);
    hand.advance(10 * SECOND);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        newest(&engine).now,
        at(3.0),
        "paused: 10 wall seconds moved nothing"
    );
    // A change of speed while paused applies when the clock runs again.
    engine.pace(Pace::Slower).expect("pace");
    engine.pace(Pace::Slower).expect("pace");
    wait(&engine, "×0.5", 10, |s| speed(s) == 0.5 && paused(s));
    engine.pace(Pace::TogglePause).expect("pace");
    wait(&engine, "running", 10, |s| !paused(s));
    assert_eq!(newest(&engine).now, at(3.0), "resumed where it stopped");
    hand.advance(SECOND);
    wait(&engine, "1 s at ×0.5", 10, |s| s.now == at(3.5));
    engine.stop().expect("stop");
}

/// On the real clock: paused, the market clock and the quotes' ages stand
/// still over 1.3 s of wall time (snapshots still come, once a second);
/// resumed, it goes on from where it stopped.
#[test]
fn pause_stops_the_market_clock_on_the_wall_clock() {
    let dir = tempfile::tempdir().expect("tempdir");
    let loaded = common::load("");
    let (engine, _) = demo(dir.path(), &loaded, None);
    let first = wait(&engine, "the demo", 60, |s| s.replay.is_some());
    wait(&engine, "the clock running", 10, |s| s.now > first.now);

    engine.pace(Pace::TogglePause).expect("pace");
    let p = wait(&engine, "paused", 10, paused);
    std::thread::sleep(Duration::from_millis(1_300));
    let later = newest(&engine);
    assert!(later.version > p.version, "snapshots are still published");
    assert_eq!(later.now, p.now, "paused: the market clock stands still");
    assert_eq!(later.quotes, p.quotes, "paused: quotes do not age");

    engine.pace(Pace::TogglePause).expect("pace");
    let r = wait(&engine, "running again", 10, |s| {
        !paused(s) && s.now > p.now
    });
    assert!(
        r.now.since(p.now) < 5 * SECOND,
        "resumed from where it stopped, no jump: {} s",
        r.now.since(p.now) as f64 / SECOND as f64
    );
    engine.stop().expect("stop");
}

/// The kill switch while paused: HALTED at once, at the paused time; the
/// paper venue's answers (the flattening fills) come when the clock runs
/// again, since the venue is part of the paused market.
#[test]
fn a_kill_switch_while_paused_halts_at_once_and_flattens_on_resume() {
    let dir = tempfile::tempdir().expect("tempdir");
    let loaded = replay_config();
    let (slice, _) = slice_of_capture(dir.path(), 8_000);
    let hand = HandClock::new();
    let engine = replay(dir.path(), &loaded, &[slice], 1.0, Some(hand.wall()));
    engine
        .send(Command::SetApprovalMode(ApprovalMode::All))
        .expect("approve all");
    let s = wait(&engine, "the replay", 60, |s| s.replay.is_some());
    let from = s.now;
    // 60 of the slice's 66 market seconds.
    hand.advance(60 * SECOND);
    let s = wait(&engine, "60 s of the replay", 30, |s| {
        s.now == from.plus(60 * SECOND)
    });
    assert!(
        !s.positions.is_empty(),
        "contracts bought during the replay"
    );
    let r = s.replay.clone().expect("replay status");
    let p = r.progress.expect("a replay's progress");
    assert!(p > 0.5 && p < 1.0 && !r.ended, "{r:?}");

    engine.pace(Pace::TogglePause).expect("pace");
    let paused_at = wait(&engine, "paused", 10, paused).now;
    engine.send(Command::KillSwitch).expect("kill");
    let k = wait(&engine, "HALTED while paused", 10, |s| {
        s.trading_state == Some(TradingState::Halted)
    });
    assert_eq!(k.now, paused_at, "applied at the paused time");
    hand.advance(10 * SECOND);
    std::thread::sleep(Duration::from_millis(300));
    let still = newest(&engine);
    assert_eq!(still.now, paused_at, "paused");
    assert!(!still.all_flat(), "the venue waits for the clock");

    engine.pace(Pace::TogglePause).expect("pace");
    wait(&engine, "running", 10, |s| !paused(s));
    hand.advance(SECOND);
    let flat = wait(&engine, "flat once the clock runs", 10, |s| {
        s.all_flat() && s.now == paused_at.plus(SECOND)
    });
    assert!(flat.positions.is_empty());
    engine.stop().expect("stop");
}

/// The progress of a replay is the share of its input read: plain and
/// gzip files, every byte by the end, and on the way strictly between.
#[test]
fn progress_counts_the_input_read_to_exactly_its_size() {
    let dir = tempfile::tempdir().expect("tempdir");
    let loaded = common::load("");
    let (slice, _) = slice_of_capture(dir.path(), 5_000);
    let files = [capture(), slice.clone()];
    let size: u64 = files
        .iter()
        .map(|f| std::fs::metadata(f).expect("size").len())
        .sum();
    let mut source = ReplaySource::open(
        &files,
        Some(omni_feeds::VenueKind::Binance),
        &loaded.catalog,
        &loaded.config.feeds,
    )
    .expect("open");
    let progress = source.progress();
    assert_eq!(progress.bytes().1, size);
    let start = progress.fraction();
    assert!(start > 0.0 && start < 0.05, "the first lines only: {start}");
    let mut last = start;
    let mut n = 0u64;
    let mut halfway = None;
    while source.next().is_some() {
        n += 1;
        let f = progress.fraction();
        assert!(f >= last, "never backwards");
        last = f;
        if n == 20_000 {
            halfway = Some(f);
        }
    }
    let halfway = halfway.expect("more than 20 000 events");
    assert!(halfway > 0.2 && halfway < 0.8, "{halfway}");
    assert_eq!(progress.bytes(), (size, size), "every byte read at the end");
    assert_eq!(progress.fraction(), 1.0);
}

/// At the end of a replay the clock stops at the last event: `ended`,
/// progress 1, nothing goes stale or expires however long the cockpit
/// stays open; an approval after the end still fills (at the last
/// prices) and the kill switch still flattens on the paper broker.
#[test]
fn a_replay_ends_at_its_last_event_and_commands_still_complete() {
    let dir = tempfile::tempdir().expect("tempdir");
    let loaded = replay_config();
    let (slice, last) = slice_of_capture(dir.path(), 8_000);
    let engine = replay(dir.path(), &loaded, &[slice], MAX_SPEED, None);
    engine
        .send(Command::SetApprovalMode(ApprovalMode::All))
        .expect("approve all");
    let end = wait(&engine, "the end", 120, |s| {
        s.replay.as_ref().is_some_and(|r| r.ended)
    });
    let r = end.replay.clone().expect("replay status");
    assert_eq!(r.progress, Some(1.0));
    assert!(!r.paused);
    assert_eq!(end.now, last, "the clock stops at the last event");
    assert!(!end.quotes.is_empty());
    assert!(end.quotes.iter().all(|q| !q.stale), "{:?}", end.quotes);
    assert!(
        !end.positions.is_empty(),
        "contracts bought during the replay are open at its end"
    );

    // Time passes on the wall: nothing moves (a snapshot a second still
    // comes).
    std::thread::sleep(Duration::from_millis(1_300));
    let later = newest(&engine);
    assert!(later.version > end.version);
    assert_eq!(later.now, last);
    assert_eq!(later.quotes, end.quotes, "quotes do not age");
    assert_eq!(
        later.opportunities.len(),
        end.opportunities.len(),
        "nothing expires"
    );
    // Pace keys do nothing after the end.
    engine.pace(Pace::TogglePause).expect("pace");
    engine.pace(Pace::Slower).expect("pace");
    std::thread::sleep(Duration::from_millis(200));
    let r = newest(&engine).replay.clone().expect("replay status");
    assert!(r.ended && !r.paused && r.speed == MAX_SPEED, "{r:?}");

    // The kill switch after the end: HALTED, and every position flattened
    // at the paper broker just after the last event.
    engine.send(Command::KillSwitch).expect("kill");
    let flat = wait(&engine, "flat after the kill switch", 20, |s| {
        s.trading_state == Some(TradingState::Halted) && s.all_flat()
    });
    assert!(flat.positions.is_empty());
    assert!(
        flat.now >= last && flat.now.since(last) < SECOND,
        "the broker's work ran just after the end: {} ns",
        flat.now.since(last)
    );
    assert!(flat.quotes.iter().all(|q| !q.stale));
    engine.stop().expect("stop");
}

/// The status bar's market clock (`YYYY-MM-DD HH:MM:SS`), or "".
fn status_clock(screen: &str) -> String {
    let status = screen.lines().last().unwrap_or_default();
    let Some(i) = status.find(" UTC") else {
        return String::new();
    };
    let words: Vec<&str> = status[..i].split_whitespace().collect();
    words[words.len().saturating_sub(2)..].join(" ")
}

/// The real binary in tmux replaying the real capture (6 minutes of
/// market) at ×20: `P` stops the status bar's clock, `>` (three times)
/// shows ×160, `P` starts the clock again, and at the end it stops at the
/// last event (23:59:59) with no quote STALE.
#[test]
fn the_cockpit_pauses_speeds_up_and_ends_a_replay() {
    let dir = tempfile::tempdir().expect("tempdir");
    let t = tmux::Tmux::new("replay-controls");
    t.start_with(
        dir.path(),
        &format!("replay --venue binance --speed 20 {}", capture().display()),
    );
    let s = t.wait_for("the replay running", 30, |s| {
        s.lines().any(|l| l.contains("binance  BTC/USDT")) && !status_clock(s).is_empty()
    });
    assert!(
        s.lines().last().is_some_and(|l| l.contains("REPLAY")),
        "{s}"
    );

    t.keys("P");
    // The clock stands still once the key has been read.
    let mut still = None;
    for _ in 0..20 {
        let a = status_clock(&t.screen());
        std::thread::sleep(Duration::from_millis(1_200));
        let b = status_clock(&t.screen());
        if a == b {
            still = Some(a);
            break;
        }
    }
    let still = still.unwrap_or_else(|| panic!("the clock never stopped:\n{}", t.screen()));
    let s = t.screen();
    assert!(
        s.lines().last().is_some_and(|l| l.contains("PAUSED (P)")),
        "{s}"
    );
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(status_clock(&t.screen()), still, "paused");

    // Faster while paused: the status bar shows the new speed at once, the
    // clock still stands, and it runs at that speed from where it stopped.
    for _ in 0..3 {
        t.keys(">");
    }
    let s = t.wait_for("×160 in the status bar", 10, |s| {
        s.lines().last().is_some_and(|l| l.contains("×160"))
    });
    assert_eq!(status_clock(&s), still, "still paused:\n{s}");
    t.keys("P");
    t.wait_for("the clock running again", 10, |s| status_clock(s) != still);

    // The last event is at 23:59:59.999: the clock stops there and stays.
    let end = "2024-08-08 23:59:59";
    t.wait_for("the end of the replay", 60, |s| {
        status_clock(s).contains(end)
    });
    std::thread::sleep(Duration::from_secs(3));
    let s = t.screen();
    assert!(
        status_clock(&s).contains(end),
        "the clock ran on after the end:\n{s}"
    );
    assert!(
        !s.contains("STALE"),
        "a quote went stale after the end:\n{s}"
    );
    assert!(
        s.lines().last().is_some_and(|l| l.contains("ENDED")),
        "the end is not said:\n{s}"
    );
    t.keys("q");
}
