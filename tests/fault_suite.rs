//! The fault suite of issue 10: every bad-market-data case that once
//! crashed, traded or stalled the old binary, replayed end to end through
//! the real binary twice: live (`headless --duration`) against venues on
//! 127.0.0.1 that speak Binance's combined stream and Kraken's v2 ticker
//! exactly, and from a replay file holding the same frames at the same
//! offsets. Both paths run with every opportunity approved (`--approve
//! all`), so anything that could trade would.
//!
//! Each case checks what the run accounted for, per feed: the bad frames
//! parsed (not `dropped`) and quarantined by the engine (cases 1-3), the
//! future kline dropped by the feed (case 4), the escaped frames accepted
//! and used (case 5); and that nothing opened, was approved, ordered or
//! filled on bad data, while a control run, where the same move is
//! confirmed by the other venue, does trade (so that assertion can fail).
//!
//! `cargo test --test fault_suite -- --nocapture` prints each case's runs
//! as a table of counts.

#[path = "common/ws_venue.rs"]
mod ws_venue;

use serde_json::Value;
use std::io::Read;
use std::ops::RangeInclusive;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::net::TcpListener;

/// Seconds a live run lasts. Every script is sent within 0.7 s of the
/// subscription; the rest is margin for a loaded machine.
const LIVE_SECS: &str = "2";
/// Longest a run may take before it is killed and the case fails: only a
/// hang gets near it.
const RUN_LIMIT: Duration = Duration::from_secs(60);
/// Receive time of a replay's first line: 2025-03-04 07:00:30 UTC, a
/// Tuesday, half a minute into a minute (so the minute just closed and the
/// one an hour ahead are distinct from the receive time).
const REPLAY_T0_MS: i64 = 1_741_071_630_000;

/// What a venue sends after the subscription: each frame with its offset in
/// milliseconds. Live, the offset is the delay after the subscription; in a
/// replay, it is added to [`REPLAY_T0_MS`] as the line's receive time.
type Script = Vec<(u64, String)>;
/// A venue's script, made from the venue's clock (ms since the epoch) when
/// the subscription arrives, so klines can be stamped relative to it.
type MakeScript = Arc<dyn Fn(i64) -> Script + Send + Sync>;

// ---------------------------------------------------------------- frames

/// A Binance combined-stream `bookTicker` for BTCUSDT.
fn book_ticker(u: u64, bid: &str, ask: &str) -> String {
    format!(
        r#"{{"stream":"btcusdt@bookTicker","data":{{"u":{u},"s":"BTCUSDT","b":"{bid}","B":"1.5","a":"{ask}","A":"1.5"}}}}"#
    )
}

/// A Kraken v2 `ticker` update for BTC/USDT; prices are JSON numbers, as
/// Kraken sends them, written here as their text.
fn kraken_ticker(bid: &str, ask: &str) -> String {
    format!(
        r#"{{"channel":"ticker","type":"update","data":[{{"symbol":"BTC/USDT","bid":{bid},"bid_qty":1.5,"ask":{ask},"ask_qty":1.5,"last":{bid},"volume":997.9}}]}}"#
    )
}

/// A closed Binance `kline_1m` opening at `open_ms` (venue time) with these
/// open, high, low and close.
fn kline(open_ms: i64, [o, h, l, c]: [&str; 4]) -> String {
    format!(
        r#"{{"stream":"btcusdt@kline_1m","data":{{"e":"kline","E":{e},"s":"BTCUSDT","k":{{"t":{open_ms},"T":{close},"s":"BTCUSDT","i":"1m","f":1,"L":2,"o":"{o}","c":"{c}","h":"{h}","l":"{l}","v":"3.5","n":3,"x":true,"q":"1","V":"1","Q":"1","B":"0"}}}}}}"#,
        e = open_ms + 60_000,
        close = open_ms + 59_999,
    )
}

/// The start of the minute holding `ms`.
fn minute_of(ms: i64) -> i64 {
    ms.div_euclid(60_000) * 60_000
}

/// `n` ordinary Binance quotes 10 ms apart from `from` ms: BTC around
/// 60 000 with a 0.50 spread. With [`calm_kraken`] there is never an edge
/// (each venue's bid is under the other's ask), so only a bad tick could
/// make one.
fn calm_binance(from: u64, n: u64) -> Script {
    (0..n)
        .map(|i| {
            let c = i % 40;
            let bid = format!("60000.{c:02}");
            let ask = format!("60000.{:02}", c + 50);
            (from + 10 * i, book_ticker(1000 + from + i, &bid, &ask))
        })
        .collect()
}

/// `n` ordinary Kraken quotes 10 ms apart from `from` ms, like Binance's.
fn calm_kraken(from: u64, n: u64) -> Script {
    (0..n)
        .map(|i| {
            let c = (i + 7) % 40;
            let bid = format!("60000.{c:02}");
            let ask = format!("60000.{:02}", c + 50);
            (from + 10 * i, kraken_ticker(&bid, &ask))
        })
        .collect()
}

/// Ordinary quotes on both venues for 200 ms, one `bad` frame on `venue`
/// at 400 ms (both books hold fresh ordinary quotes by then, the venue's
/// own included), then ordinary quotes again.
fn one_bad_frame(venue: Venue, bad: String) -> (MakeScript, MakeScript) {
    let b = bad.clone();
    let binance: MakeScript = Arc::new(move |_| {
        let mut s = calm_binance(0, 20);
        if venue == Venue::Binance {
            s.push((400, b.clone()));
        }
        s.extend(calm_binance(410, 20));
        s
    });
    let kraken: MakeScript = Arc::new(move |_| {
        let mut s = calm_kraken(5, 20);
        if venue == Venue::Kraken {
            s.push((400, bad.clone()));
        }
        s.extend(calm_kraken(415, 20));
        s
    });
    (binance, kraken)
}

// -------------------------------------------------------------- scenarios

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Venue {
    Binance,
    Kraken,
}

/// What one feed must report at the end of a run.
#[derive(Clone, Debug)]
struct FeedExpect {
    /// Frames counted as dropped by the feed (malformed, unknown, or a bar
    /// from the future); every other frame of the script is one event.
    dropped: u64,
    /// Events the engine quarantined from this venue.
    quarantined: RangeInclusive<u64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Trading {
    /// Nothing may open, be approved, ordered or filled.
    Never,
    /// An arbitrage opens, is approved, ordered and filled.
    Arbitrage,
}

struct Scenario {
    /// Short name for the table.
    name: &'static str,
    binance: MakeScript,
    /// `None`: a Binance-only case; its replay uses the capture format
    /// (`<ns> <frame>` with `--venue binance`) instead of our recordings.
    kraken: Option<MakeScript>,
    expect_binance: FeedExpect,
    expect_kraken: Option<FeedExpect>,
    /// Events the engine quarantined in all.
    quarantined: RangeInclusive<u64>,
    trading: Trading,
    /// Text the Binance feed's last error must contain.
    binance_error: Option<&'static str>,
}

fn exactly(n: u64) -> RangeInclusive<u64> {
    n..=n
}

/// A case where one frame on one venue is bad and must be quarantined,
/// and nothing may trade.
fn bad_frame(name: &'static str, venue: Venue, frame: String) -> Scenario {
    let (binance, kraken) = one_bad_frame(venue, frame);
    let q = |v| FeedExpect {
        dropped: 0,
        quarantined: exactly(u64::from(v == venue)),
    };
    Scenario {
        name,
        binance,
        kraken: Some(kraken),
        expect_binance: q(Venue::Binance),
        expect_kraken: Some(q(Venue::Kraken)),
        quarantined: exactly(1),
        trading: Trading::Never,
        binance_error: None,
    }
}

/// The control of case 2: Binance moves 51 % and Kraken 50 %, each quoting
/// the new level ten times, interleaved. Whichever venue moves first is
/// held back until the other confirms the level; then both books hold it
/// and the 0.66 % gap between them is an arbitrage worth trading. It shows
/// that a bad tick's edge would have traded in these runs.
fn confirmed_move() -> Scenario {
    let binance: MakeScript = Arc::new(|_| {
        let mut s = calm_binance(0, 20);
        s.extend((0..10).map(|i| (400 + 20 * i, book_ticker(5000 + i, "90600.00", "90600.50"))));
        s
    });
    let kraken: MakeScript = Arc::new(|_| {
        let mut s = calm_kraken(5, 20);
        s.extend((0..10).map(|i| (410 + 20 * i, kraken_ticker("90000.00", "90000.50"))));
        s
    });
    // The first quote at the new level is held back on whichever venue
    // sends it first (live, the network decides which), at most the ten of
    // one venue if the other fell that far behind.
    let q = || FeedExpect {
        dropped: 0,
        quarantined: 0..=10,
    };
    Scenario {
        name: "2 control: move confirmed",
        binance,
        kraken: Some(kraken),
        expect_binance: q(),
        expect_kraken: Some(q()),
        quarantined: 1..=10,
        trading: Trading::Arbitrage,
        binance_error: None,
    }
}

/// Case 3: Binance klines (the minutes just closed, so the feed admits
/// them) with a zero price, a negative low, and a high below the low, then
/// a good one; Binance alone.
fn bad_klines() -> Scenario {
    let binance: MakeScript = Arc::new(|now_ms| {
        let m = minute_of(now_ms);
        let mut s = calm_binance(0, 20);
        s.push((400, kline(m - 240_000, ["0", "0", "0", "0"])));
        s.push((
            410,
            kline(
                m - 180_000,
                ["60000.00", "60010.00", "-60000.00", "60000.00"],
            ),
        ));
        s.push((
            420,
            kline(
                m - 120_000,
                ["60000.00", "59990.00", "60010.00", "60000.00"],
            ),
        ));
        // The good one: not quarantined, so the count is exactly three.
        s.push((
            430,
            kline(m - 60_000, ["60000.00", "60010.00", "59990.00", "60000.50"]),
        ));
        s.extend(calm_binance(440, 10));
        s
    });
    Scenario {
        name: "3 klines 0 / <0 / high<low",
        binance,
        kraken: None,
        expect_binance: FeedExpect {
            dropped: 0,
            quarantined: exactly(3),
        },
        expect_kraken: None,
        quarantined: exactly(3),
        trading: Trading::Never,
        binance_error: None,
    }
}

/// Case 4: a Binance kline opening an hour after the venue's clock, then
/// the minute just closed, then quotes on both venues with a 0.5 % gap
/// between them. The old binary held every venue's events behind the
/// future bar; now it is dropped and counted, and every quote is processed
/// in time for the arbitrage to open and trade.
fn future_kline() -> Scenario {
    let binance: MakeScript = Arc::new(|now_ms| {
        let m = minute_of(now_ms);
        let mut s = vec![
            (
                0,
                kline(
                    m + 3_600_000,
                    ["60000.00", "60010.00", "59990.00", "60000.50"],
                ),
            ),
            (
                5,
                kline(m - 60_000, ["60000.00", "60010.00", "59990.00", "60000.50"]),
            ),
        ];
        s.extend((0..40).map(|i| {
            let c = i % 100;
            let (bid, ask) = (format!("60000.{c:02}"), format!("60001.{c:02}"));
            (10 + 10 * i, book_ticker(2000 + i, &bid, &ask))
        }));
        s
    });
    let kraken: MakeScript = Arc::new(|_| {
        (0..40)
            .map(|i| {
                let c = i % 100;
                let (bid, ask) = (format!("60300.{c:02}"), format!("60301.{c:02}"));
                (15 + 10 * i, kraken_ticker(&bid, &ask))
            })
            .collect()
    });
    Scenario {
        name: "4 kline 1 h in the future",
        binance,
        kraken: Some(kraken),
        expect_binance: FeedExpect {
            dropped: 1,
            quarantined: exactly(0),
        },
        expect_kraken: Some(FeedExpect {
            dropped: 0,
            quarantined: exactly(0),
        }),
        quarantined: exactly(0),
        trading: Trading::Arbitrage,
        binance_error: Some("clock"),
    }
}

/// Case 5: valid JSON with escaped strings, which the old parsers dropped as
/// malformed. Every frame is escaped somewhere (a symbol, a key, the stream
/// name, a price's digits, a slash), so the arbitrage between the venues'
/// prices (Kraken bids 0.5 % over Binance's ask) can only come from
/// escaped frames.
fn escaped_frames() -> Scenario {
    let binance: MakeScript = Arc::new(|now_ms| {
        let mut s: Script = (0..20u64)
            .map(|i| {
                let c = i % 100;
                let f = match i % 4 {
                    0 => format!(
                        r#"{{"stream":"btcusdt@bookTicker","data":{{"u":{i},"s":"\u0042TCUSDT","b":"60000.{c:02}","B":"1.5","a":"60001.{c:02}","A":"1.5"}}}}"#
                    ),
                    1 => format!(
                        r#"{{"stream":"btcusdt@bookTicker","data":{{"u":{i},"s":"BTCUSDT","\u0062":"60000.{c:02}","B":"1.5","\u0061":"60001.{c:02}","A":"1.5"}}}}"#
                    ),
                    2 => format!(
                        r#"{{"stream":"btcusdt\u0040bookTicker","data":{{"u":{i},"s":"BTCUSDT","b":"60000.{c:02}","B":"1.5","a":"60001.{c:02}","A":"1.5"}}}}"#
                    ),
                    _ => format!(
                        r#"{{"\u0073tream":"btcusdt@bookTicker","data":{{"u":{i},"s":"BTC\u0055SDT","b":"6000\u0030.{c:02}","B":"1.5","a":"6000\u0031.{c:02}","A":"1\u002e5"}}}}"#
                    ),
                };
                (10 * i, f)
            })
            .collect();
        // The minute just closed, with an escaped interval and symbol.
        let open = minute_of(now_ms) - 60_000;
        s.push((
            300,
            format!(
                r#"{{"stream":"btcusdt@kline_1m","data":{{"e":"kline","E":{e},"s":"BTC\u0055SDT","k":{{"t":{open},"T":{t},"s":"BTCUSDT","i":"1\u006d","f":1,"L":2,"o":"60000.00","c":"60000.50","h":"60010.00","l":"59990.00","v":"3.5","n":3,"x":true,"q":"1","V":"1","Q":"1","B":"0"}}}}}}"#,
                e = open + 60_000,
                t = open + 59_999,
            ),
        ));
        s
    });
    let kraken: MakeScript = Arc::new(|_| {
        (0..20u64)
            .map(|i| {
                let c = i % 100;
                let f = match i % 4 {
                    0 => format!(
                        r#"{{"channel":"tick\u0065r","type":"update","data":[{{"symbol":"BTC/USDT","bid":60300.{c:02},"bid_qty":1.5,"ask":60301.{c:02},"ask_qty":1.5}}]}}"#
                    ),
                    1 => format!(
                        r#"{{"channel":"ticker","type":"update","data":[{{"symbol":"BTC\/USDT","bid":60300.{c:02},"bid_qty":1.5,"ask":60301.{c:02},"ask_qty":1.5}}]}}"#
                    ),
                    2 => format!(
                        r#"{{"channel":"ticker","type":"update","data":[{{"symbol":"BTC/USDT","\u0062id":60300.{c:02},"bid_qty":1.5,"\u0061sk":60301.{c:02},"ask_qty":1.5}}]}}"#
                    ),
                    _ => format!(
                        r#"{{"\u0063hannel":"ticker","type":"upd\u0061te","data":[{{"symbol":"BTC\u002fUSDT","bid":60300.{c:02},"bid_qty":1.5,"ask":60301.{c:02},"ask_qty":1.5}}]}}"#
                    ),
                };
                (5 + 10 * i, f)
            })
            .collect()
    });
    let clean = || FeedExpect {
        dropped: 0,
        quarantined: exactly(0),
    };
    Scenario {
        name: "5 escaped JSON strings",
        binance,
        kraken: Some(kraken),
        expect_binance: clean(),
        expect_kraken: Some(clean()),
        quarantined: exactly(0),
        trading: Trading::Arbitrage,
        binance_error: None,
    }
}

// ----------------------------------------------------------------- venues

/// Milliseconds since the epoch on this machine's clock (the venues'
/// clock, for the live runs).
fn now_ms() -> i64 {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970");
    i64::try_from(d.as_millis()).expect("ms fit i64")
}

/// A venue on 127.0.0.1 (`ws_venue::serve`) acknowledging the subscription
/// as the venue does, its script made from this machine's clock.
async fn venue(listener: TcpListener, ack: &'static str, script: MakeScript) {
    ws_venue::serve(listener, Some(ack), Arc::new(move || script(now_ms()))).await;
}

const BINANCE_ACK: &str = r#"{"result":null,"id":1}"#;
const KRAKEN_ACK: &str = r#"{"method":"subscribe","result":{"channel":"ticker","symbol":"BTC/USDT","snapshot":true},"success":true,"time_in":"2025-03-04T07:00:00.000000Z","time_out":"2025-03-04T07:00:00.000100Z","req_id":1}"#;

/// The configuration of a run: Binance (and Kraken, when the case has it)
/// at these local ports, every other feed off, so nothing leaves
/// 127.0.0.1. A replay reads the same file (`replay` replays whatever
/// `[market] source` says).
fn config(binance_port: u16, kraken_port: Option<u16>) -> String {
    format!(
        r#"[market]
source = "live"

[feeds.binance]
enabled = true
url = "ws://127.0.0.1:{binance_port}"
symbols = ["BTC/USDT"]
[feeds.kraken]
enabled = {k_on}
url = "ws://127.0.0.1:{k_port}"
symbols = ["BTC/USDT"]
[feeds.bybit]
enabled = false
[feeds.coinbase]
enabled = false
[feeds.oanda]
enabled = false
"#,
        k_on = kraken_port.is_some(),
        // Port 9 (discard) is never dialled: the feed is off.
        k_port = kraken_port.unwrap_or(9),
    )
}

/// Writes a configuration readable by its owner only, as the binary asks
/// of a file that may say where secrets are kept (else every run warns).
fn write_config(path: &Path, text: &str) {
    std::fs::write(path, text).expect("config");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
}

// ------------------------------------------------------------------- runs

/// A child process killed (and reaped) however the test leaves it.
struct Reaped(std::process::Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        // After a normal exit the status is cached and kill does nothing.
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// How one run of the binary ended.
struct Run {
    case: &'static str,
    path: &'static str,
    code: Option<i32>,
    stderr: String,
    json: Option<Value>,
    elapsed: Duration,
}

/// Runs the binary in `dir` with `args`; kills it past [`RUN_LIMIT`].
fn omni(case: &'static str, path: &'static str, dir: &Path, args: &[&str]) -> Run {
    let t0 = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_omni-tui"))
        .current_dir(dir)
        .env("XDG_CONFIG_HOME", dir.join("cfg"))
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("XDG_STATE_HOME", dir.join("state"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("omni-tui starts");
    let mut child = Reaped(child);
    // Pipes are drained on their own threads so a chatty child never blocks
    // on a full pipe while we wait for it.
    let drain = |r: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut s = String::new();
            if let Some(mut r) = r {
                let _ = r.read_to_string(&mut s);
            }
            s
        })
    };
    let out = drain(child.0.stdout.take().map(|r| Box::new(r) as _));
    let err = drain(child.0.stderr.take().map(|r| Box::new(r) as _));
    let status = loop {
        if let Some(s) = child.0.try_wait().expect("wait") {
            break s;
        }
        assert!(
            t0.elapsed() < RUN_LIMIT,
            "{case} ({path}): omni-tui still running after {RUN_LIMIT:?}; killed"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = out.join().expect("stdout reader");
    let stderr = err.join().expect("stderr reader");
    Run {
        case,
        path,
        code: status.code(),
        json: serde_json::from_str(&stdout).ok(),
        stderr,
        elapsed: t0.elapsed(),
    }
}

/// The scenario live: its venues on 127.0.0.1, `headless` for
/// [`LIVE_SECS`], every opportunity approved.
fn live(s: &Scenario) -> Run {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let bind = || {
        rt.block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("bind 127.0.0.1")
    };
    let b = bind();
    let bp = b.local_addr().expect("addr").port();
    rt.spawn(venue(b, BINANCE_ACK, s.binance.clone()));
    let kp = s.kraken.as_ref().map(|k| {
        let l = bind();
        let port = l.local_addr().expect("addr").port();
        rt.spawn(venue(l, KRAKEN_ACK, k.clone()));
        port
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("live.toml");
    write_config(&cfg, &config(bp, kp));
    let run = omni(
        s.name,
        "live",
        dir.path(),
        &[
            "--config",
            cfg.to_str().expect("utf8"),
            "headless",
            "--duration",
            LIVE_SECS,
            "--approve",
            "all",
            "--json",
            "--db",
            "live.db",
        ],
    );
    // Stops the venues (also on a panic above, by unwinding).
    drop(rt);
    run
}

/// The scenario from a file: each venue's script at its offsets from
/// [`REPLAY_T0_MS`], in our recording format (`<ns> <venue> <frame>`), or
/// for a Binance-only case in Binance's capture format (`<ns> <frame>`,
/// `--venue binance`).
fn replay(s: &Scenario) -> Run {
    let ns = |at: u64| (REPLAY_T0_MS + i64::try_from(at).expect("offset")) * 1_000_000;
    let mut lines: Vec<(i64, String)> = Vec::new();
    let capture = s.kraken.is_none();
    for (at, f) in (s.binance)(REPLAY_T0_MS) {
        let line = if capture {
            format!("{} {f}", ns(at))
        } else {
            format!("{} binance {f}", ns(at))
        };
        lines.push((ns(at), line));
    }
    if let Some(k) = &s.kraken {
        for (at, f) in k(REPLAY_T0_MS) {
            lines.push((ns(at), format!("{} kraken {f}", ns(at))));
        }
    }
    // A recording is in receive order; stable, so each venue keeps its own.
    lines.sort_by_key(|l| l.0);
    let text: Vec<String> = lines.into_iter().map(|l| l.1).collect();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("frames.txt");
    std::fs::write(&file, text.join("\n") + "\n").expect("replay file");
    let cfg = dir.path().join("replay.toml");
    write_config(&cfg, &config(9, s.kraken.as_ref().map(|_| 9)));
    let mut args = vec![
        "--config",
        cfg.to_str().expect("utf8"),
        "replay",
        "--headless",
        "--json",
        "--approve",
        "all",
        "--db",
        "replay.db",
    ];
    if capture {
        args.extend(["--venue", "binance"]);
    }
    args.push(file.to_str().expect("utf8"));
    omni(s.name, "replay", dir.path(), &args)
}

/// Runs every scenario live and from a file, all at once (the live runs
/// mostly wait on their duration), prints their counts, then checks each;
/// the table is printed before any assertion so a failure still shows it.
fn suite(scenarios: &[Scenario]) {
    let runs: Vec<(&Scenario, Run)> = std::thread::scope(|sc| {
        let handles: Vec<_> = scenarios
            .iter()
            .flat_map(|s| {
                [
                    (s, sc.spawn(move || live(s))),
                    (s, sc.spawn(move || replay(s))),
                ]
            })
            .collect();
        handles
            .into_iter()
            .map(|(s, h)| (s, h.join().expect("run thread")))
            .collect()
    });
    let mut table = String::from(
        "case                        path     exit    ms events quar | binance ev/drop/quar | kraken ev/drop/quar | arb appr ord fill\n",
    );
    for (_, r) in &runs {
        table.push_str(&row(r));
        table.push('\n');
    }
    // One call, so parallel tests do not interleave their tables.
    eprintln!("{table}");
    for (s, r) in &runs {
        check(s, r);
    }
}

fn num(v: &Value, key: &str) -> u64 {
    v[key]
        .as_u64()
        .unwrap_or_else(|| panic!("no count `{key}` in {v}"))
}

fn feed<'a>(v: &'a Value, venue: &str) -> Option<&'a Value> {
    v["feeds"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["venue"] == venue))
}

fn row(r: &Run) -> String {
    let code = r.code.map_or("signal".into(), |c| c.to_string());
    let Some(v) = &r.json else {
        return format!(
            "{:<27} {:<6} {:>6} {:>5} (no JSON)",
            r.case,
            r.path,
            code,
            r.elapsed.as_millis()
        );
    };
    let n = |k: &str| v[k].as_u64().unwrap_or(u64::MAX);
    let f = |venue: &str| {
        feed(v, venue).map_or("-".to_string(), |f| {
            let c = |k: &str| f[k].as_u64().unwrap_or(u64::MAX);
            format!("{}/{}/{}", c("events"), c("dropped"), c("quarantined"))
        })
    };
    format!(
        "{:<27} {:<6} {:>6} {:>5} {:>6} {:>4} | {:>20} | {:>19} | {:>3} {:>4} {:>3} {:>4}",
        r.case,
        r.path,
        code,
        r.elapsed.as_millis(),
        n("events"),
        n("quarantined"),
        f("binance"),
        f("kraken"),
        v["opportunities"]["arbitrage"].as_u64().unwrap_or(u64::MAX),
        n("approved"),
        n("orders"),
        n("fills"),
    )
}

/// Everything one run must show.
fn check(s: &Scenario, r: &Run) {
    let who = format!("{} ({})", s.name, r.path);
    // Exit 101 is a panic: the failure this suite exists for.
    assert_eq!(r.code, Some(0), "{who}: exit {:?}\n{}", r.code, r.stderr);
    let v = r
        .json
        .as_ref()
        .unwrap_or_else(|| panic!("{who}: no JSON summary\n{}", r.stderr));

    // Exactly the case's venues, so nothing else was dialled or replayed.
    let venues: Vec<&str> = v["feeds"]
        .as_array()
        .map(|f| f.iter().filter_map(|f| f["venue"].as_str()).collect())
        .unwrap_or_default();
    let want: Vec<&str> = if s.kraken.is_some() {
        vec!["binance", "kraken"]
    } else {
        vec!["binance"]
    };
    assert_eq!(venues, want, "{who}: feeds {v}");

    let mut events = 0;
    let mut quarantined = 0;
    let per_feed = [
        ("binance", Some(&s.binance), Some(&s.expect_binance)),
        ("kraken", s.kraken.as_ref(), s.expect_kraken.as_ref()),
    ];
    for (name, script, expect) in per_feed {
        let (Some(script), Some(expect)) = (script, expect) else {
            continue;
        };
        let f = feed(v, name).unwrap_or_else(|| panic!("{who}: no {name} feed in {v}"));
        let frames = script(REPLAY_T0_MS).len() as u64;
        // Every frame reached the engine as one event, except those the
        // feed drops; the bad ones are parsed, not dropped as malformed.
        assert_eq!(
            num(f, "dropped"),
            expect.dropped,
            "{who}: {name} dropped: {f}"
        );
        assert_eq!(
            num(f, "events"),
            frames - expect.dropped,
            "{who}: {name} events: {f}"
        );
        assert!(
            expect.quarantined.contains(&num(f, "quarantined")),
            "{who}: {name} quarantined, want {:?}: {f}",
            expect.quarantined
        );
        if r.path == "live" {
            // A reconnect would have sent the script again.
            assert_eq!(num(f, "reconnects"), 0, "{who}: {name}: {f}");
            assert_eq!(f["state"], "connected", "{who}: {name}: {f}");
        } else {
            assert_eq!(f["state"], "replay", "{who}: {name}: {f}");
            assert_eq!(num(f, "messages"), frames, "{who}: {name}: {f}");
        }
        events += num(f, "events");
        quarantined += num(f, "quarantined");
    }
    // Every event the feeds produced was processed (nothing stalled behind
    // another), and the engine's count is the feeds' sum.
    assert_eq!(num(v, "events"), events, "{who}: {v}");
    assert_eq!(num(v, "quarantined"), quarantined, "{who}: {v}");
    assert!(
        s.quarantined.contains(&quarantined),
        "{who}: quarantined in all, want {:?}: {v}",
        s.quarantined
    );
    assert_eq!(num(v, "dropped_quotes"), 0, "{who}: {v}");
    if let Some(text) = s.binance_error {
        let e = feed(v, "binance").and_then(|f| f["last_error"].as_str());
        assert!(
            e.is_some_and(|e| e.contains(text)),
            "{who}: the binance feed says why ({text:?}): {v}"
        );
    }

    let arb = v["opportunities"]["arbitrage"].as_u64();
    match s.trading {
        Trading::Never => {
            assert_eq!(arb, Some(0), "{who}: an arbitrage on bad data: {v}");
            assert_eq!(num(&v["approvals"], "policy"), 0, "{who}: {v}");
            assert_eq!(num(v, "approved"), 0, "{who}: an approved order: {v}");
            assert_eq!(num(v, "orders"), 0, "{who}: an order on bad data: {v}");
            assert_eq!(num(v, "fills"), 0, "{who}: a fill on bad data: {v}");
            assert_eq!(num(v, "open_positions"), 0, "{who}: {v}");
        }
        Trading::Arbitrage => {
            assert!(arb >= Some(1), "{who}: the arbitrage opened: {v}");
            assert!(num(v, "approved") >= 1, "{who}: approved: {v}");
            assert!(num(v, "orders") >= 1, "{who}: ordered: {v}");
            assert!(num(v, "fills") >= 1, "{who}: filled: {v}");
            // Had a bar moved the engine's clock an hour on, the
            // opportunities would have expired at once.
            assert_eq!(num(v, "expired"), 0, "{who}: {v}");
        }
    }
}

// ------------------------------------------------------------------ cases

/// Case 1: single ticks that crashed the process (exit 101): the largest
/// Decimal as bid and ask, 4e28 (on Kraken, as a JSON number), and 1e-28
/// while Kraken quotes normally. Each is quarantined on its own venue.
#[test]
fn case_1_ticks_that_crashed_the_process_are_quarantined() {
    let max = "79228162514264337593543950335";
    let big = "40000000000000000000000000000";
    suite(&[
        bad_frame(
            "1 bid=ask=Decimal::MAX",
            Venue::Binance,
            book_ticker(1500, max, max),
        ),
        bad_frame(
            "1 price 4e28 (kraken)",
            Venue::Kraken,
            kraken_ticker(big, big),
        ),
        bad_frame(
            "1 price 1e-28",
            Venue::Binance,
            book_ticker(
                1500,
                "0.0000000000000000000000000001",
                "0.0000000000000000000000000002",
            ),
        ),
    ]);
}

/// Case 2: one bad tick that traded. A single bookTicker 50 % above
/// Kraken opened an arbitrage, 4 approved orders and 4 fills; a 1e20 quote
/// got an approved order at a limit of 2.5e19. Both are quarantined and
/// nothing trades, while the same move confirmed by Kraken trades.
#[test]
fn case_2_one_bad_tick_never_trades_but_a_confirmed_move_does() {
    suite(&[
        bad_frame(
            "2 +50% bookTicker",
            Venue::Binance,
            book_ticker(1500, "90000.00", "90000.50"),
        ),
        bad_frame(
            "2 1e20 quote",
            Venue::Binance,
            book_ticker(1500, "100000000000000000000", "100000000000000000001"),
        ),
        confirmed_move(),
    ]);
}

/// Case 3: klines with a zero price, a negative price, a high below the
/// low: each quarantined, none dropped as malformed.
#[test]
fn case_3_impossible_klines_are_quarantined() {
    suite(&[bad_klines()]);
}

/// Case 4: a kline an hour in the future is dropped and counted with its
/// reason, and every quote after it is processed.
#[test]
fn case_4_a_future_kline_is_dropped_and_stalls_nothing() {
    suite(&[future_kline()]);
}

/// Case 5: frames with escaped strings are parsed and their quotes used.
#[test]
fn case_5_escaped_json_strings_are_parsed_and_used() {
    suite(&[escaped_frames()]);
}
