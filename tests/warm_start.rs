//! Warm from the first minute, through the binary: a live run back-fills
//! recent bars from the venues' REST history (servers on 127.0.0.1 that
//! speak Binance's klines and OANDA's candles) before its feeds connect, so
//! the ensemble has a reading right after start, where a cold start has
//! none; a history endpoint that never answers times out and the run goes
//! on cold; a replay given `--history` has a reading at its first event.

#[path = "../crates/feeds/tests/common/rest_venue.rs"]
mod rest;
#[path = "common/ws_venue.rs"]
mod ws_venue;

use rest::{Answer, Request};
use serde_json::Value;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

fn omni(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_omni-tui"));
    c.current_dir(dir)
        .env("XDG_CONFIG_HOME", dir.join("cfg"))
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("XDG_STATE_HOME", dir.join("state"))
        .args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().expect("runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The instruments the summary has an ensemble reading for.
fn readings(summary: &Value) -> Vec<String> {
    summary["ensemble"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

/// A Binance-speaking WebSocket on `listener`: acknowledges the
/// subscription, then a BTCUSDT book ticker every 50 ms.
fn binance_ws(rt: &tokio::runtime::Runtime) -> u16 {
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let frames: Vec<(u64, String)> = (0..100)
        .map(|i| {
            (
                50 * i,
                format!(
                    r#"{{"stream":"btcusdt@bookTicker","data":{{"u":{},"s":"BTCUSDT","b":"30000.{:02}","B":"1.5","a":"30001.{:02}","A":"2.0"}}}}"#,
                    100 + i,
                    i % 100,
                    i % 100
                ),
            )
        })
        .collect();
    let script: ws_venue::MakeScript = Arc::new(move || frames.clone());
    rt.spawn(ws_venue::serve(
        listener,
        Some(r#"{"result":null,"id":1}"#),
        script,
    ));
    port
}

fn binance_config(dir: &Path, ws: u16, history: Option<&str>, timeout: f64) -> PathBuf {
    let history_url = history
        .map(|h| format!("history_url = \"{h}\"\n"))
        .unwrap_or_default();
    let cfg = format!(
        r#"[market]
source = "live"

[market.backfill]
timeout_secs = {timeout}

[feeds.binance]
url = "ws://127.0.0.1:{ws}"
symbols = ["BTC/USDT"]
depth = false
{history_url}
[feeds.kraken]
enabled = false
[feeds.bybit]
enabled = false
"#
    );
    let p = dir.join("live.toml");
    std::fs::write(&p, cfg).expect("config");
    p
}

fn headless_live(dir: &Path, cfg: &Path, env: &[(&str, &str)]) -> Value {
    let (ok, out, err) = omni(
        dir,
        &[
            "--config",
            cfg.to_str().expect("utf8"),
            "headless",
            "--duration",
            "2",
            "--json",
            "--db",
            "live.db",
        ],
        env,
    );
    assert!(ok, "{err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

#[test]
fn a_live_run_back_filled_from_binance_klines_has_a_forecast_at_once() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let ws = binance_ws(&rt);
    let (rest_addr, seen) = rest::spawn(Arc::new(|r: &Request| {
        Answer::Json(200, rest::binance_klines(r, now_ms()))
    }));
    let dir = tempfile::tempdir().expect("tempdir");

    let cfg = binance_config(dir.path(), ws, Some(&format!("http://{rest_addr}")), 15.0);
    let warm = headless_live(dir.path(), &cfg, &[]);
    assert_eq!(readings(&warm), ["BTC/USDT"], "{warm}");
    let feed = &warm["feeds"][0];
    assert!(feed["history"].as_u64() >= Some(300), "{feed}");
    assert!(
        feed["events"].as_u64() > Some(0),
        "the live feed ran too: {feed}"
    );
    assert!(
        seen.requests
            .lock()
            .expect("lock")
            .iter()
            .all(|r| r.q("symbol") == "BTCUSDT")
    );

    // The same run without a history endpoint: no reading.
    let cfg = binance_config(dir.path(), ws, None, 15.0);
    let cold = headless_live(dir.path(), &cfg, &[]);
    assert!(readings(&cold).is_empty(), "{cold}");
    assert!(cold["feeds"][0]["events"].as_u64() > Some(0));
}

#[test]
fn a_history_endpoint_that_never_answers_times_out_and_the_run_goes_on_cold() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let ws = binance_ws(&rt);
    let (rest_addr, _) = rest::spawn(Arc::new(|_: &Request| Answer::Hang));
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = binance_config(dir.path(), ws, Some(&format!("http://{rest_addr}")), 0.5);
    let s = headless_live(dir.path(), &cfg, &[]);
    assert!(readings(&s).is_empty(), "{s}");
    let feed = &s["feeds"][0];
    assert!(
        feed["events"].as_u64() > Some(0),
        "live data still flows: {feed}"
    );
    let e = feed["last_error"].as_str().unwrap_or_default();
    assert!(
        e.contains("timeout") && e.contains("started cold"),
        "{feed}"
    );
}

/// An OANDA pricing stream: chunked JSON lines, a heartbeat and a EUR_USD
/// price every 100 ms, to every connection.
fn oanda_stream(rt: &tokio::runtime::Runtime) -> u16 {
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).expect("bind");
    let port = listener.local_addr().expect("addr").port();
    rt.spawn(async move {
        loop {
            let Ok((mut tcp, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut req = vec![0u8; 4096];
                let _ = tcp.read(&mut req).await;
                let head = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
                if tcp.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                for i in 0..200u32 {
                    let line = if i % 10 == 0 {
                        r#"{"type":"HEARTBEAT","time":"2026-01-01T00:00:00.000000000Z"}"#.to_string()
                    } else {
                        format!(
                            r#"{{"type":"PRICE","time":"2026-01-01T00:00:00.000000000Z","bids":[{{"price":"30000.{i:03}","liquidity":1000000}}],"asks":[{{"price":"30000.{:03}","liquidity":1000000}}],"instrument":"EUR_USD"}}"#,
                            i + 100
                        )
                    };
                    let body = format!("{line}\n");
                    let chunk = format!("{:x}\r\n{body}\r\n", body.len());
                    if tcp.write_all(chunk.as_bytes()).await.is_err() {
                        return;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            });
        }
    });
    port
}

#[test]
fn a_live_run_back_filled_from_oanda_candles_has_a_forecast_at_once() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let stream = oanda_stream(&rt);
    let (rest_addr, seen) = rest::spawn(Arc::new(|r: &Request| {
        if r.headers.get("authorization").map(String::as_str) != Some("Bearer practice-token") {
            return Answer::Json(
                401,
                r#"{"errorMessage":"Insufficient authorization to perform request."}"#.into(),
            );
        }
        let t = |k: &str| {
            chrono::DateTime::parse_from_rfc3339(r.q(k))
                .expect("rfc3339")
                .timestamp_millis()
        };
        let w = rest::interval_ms(r.q("granularity"));
        let rows: Vec<String> = rest::opens(t("from"), t("to"), w, 5000, now_ms())
            .into_iter()
            .map(|ms| {
                let [o, h, l, c, _] = rest::ohlcv(ms);
                let time = chrono::DateTime::from_timestamp_millis(ms)
                    .expect("time")
                    .format("%Y-%m-%dT%H:%M:%S.000000000Z");
                let complete = ms + w <= now_ms();
                format!(r#"{{"complete":{complete},"volume":7,"time":"{time}","mid":{{"o":"{o}","h":"{h}","l":"{l}","c":"{c}"}}}}"#)
            })
            .collect();
        Answer::Json(
            200,
            format!(
                r#"{{"instrument":"EUR_USD","granularity":"{}","candles":[{}]}}"#,
                r.q("granularity"),
                rows.join(",")
            ),
        )
    }));
    let dir = tempfile::tempdir().expect("tempdir");
    let config = |history: &str| {
        let cfg = format!(
            r#"[market]
source = "live"

[feeds.binance]
enabled = false
[feeds.kraken]
enabled = false
[feeds.bybit]
enabled = false
[feeds.oanda]
enabled = true
url = "http://127.0.0.1:{stream}/v3"
account_id = "101-001-1"
token_env = "WARM_TEST_OANDA_TOKEN"
symbols = ["EUR/USD"]
{history}
"#
        );
        let p = dir.path().join("oanda.toml");
        std::fs::write(&p, cfg).expect("config");
        p
    };
    let env = [("WARM_TEST_OANDA_TOKEN", "practice-token")];
    let warm = headless_live(
        dir.path(),
        &config(&format!("history_url = \"http://{rest_addr}\"")),
        &env,
    );
    assert_eq!(readings(&warm), ["EUR/USD"], "{warm}");
    assert!(warm["feeds"][0]["history"].as_u64() >= Some(300), "{warm}");
    assert!(warm["feeds"][0]["events"].as_u64() > Some(0), "{warm}");
    assert!(
        seen.requests
            .lock()
            .expect("lock")
            .iter()
            .all(|r| r.path == "/v3/instruments/EUR_USD/candles")
    );

    let cold = headless_live(dir.path(), &config(""), &env);
    assert!(readings(&cold).is_empty(), "{cold}");
}

fn capture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/data/ws_captures/binance_spot/spot_btcusdt_20240808.gz")
}

/// The first `n` book tickers of the real capture, and the first one's
/// receive time (ns).
fn short_capture(dir: &Path, n: usize) -> (PathBuf, i64) {
    let f = std::fs::File::open(capture()).expect("capture");
    let lines: Vec<String> = std::io::BufReader::new(flate2::read::GzDecoder::new(f))
        .lines()
        .map(|l| l.expect("line"))
        .filter(|l| l.contains("@bookTicker"))
        .take(n)
        .collect();
    let first: i64 = lines[0]
        .split_once(' ')
        .and_then(|(t, _)| t.parse().ok())
        .expect("stamp");
    let p = dir.join("short.capture");
    std::fs::write(&p, lines.join("\n") + "\n").expect("write");
    (p, first)
}

/// Minute bars of BTC/USDT near the capture's prices, `before` of them
/// closing by `first_ns` and `after` more after it.
fn history_csv(dir: &Path, first_ns: i64, before: i64, after: i64) -> PathBuf {
    let first_min = first_ns / 60_000_000_000 * 60;
    let mut f = std::fs::File::create(dir.join("btc_1m.csv")).expect("csv");
    writeln!(f, "timestamp,open,high,low,close,volume").expect("header");
    for k in -before..after {
        let t = first_min + 60 * k;
        let [o, h, l, c, v] = rest::ohlcv(t * 1000);
        // Shift the made-up prices to the capture's level (about 61 800).
        let up = |s: &str| format!("{:.2}", s.parse::<f64>().expect("num") + 31_800.0);
        writeln!(f, "{t},{},{},{},{},{v}", up(&o), up(&h), up(&l), up(&c)).expect("row");
    }
    dir.join("btc_1m.csv")
}

fn replay(dir: &Path, capture: &Path, history: Option<&Path>) -> (bool, String, String) {
    let mut args = vec![
        "replay".to_string(),
        "--headless".into(),
        "--json".into(),
        "--venue".into(),
        "binance".into(),
        "--db".into(),
        "r.db".into(),
        capture.display().to_string(),
    ];
    if let Some(h) = history {
        args.push("--history".into());
        args.push(format!("BTC/USDT={}", h.display()));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    omni(dir, &args, &[])
}

#[test]
fn a_replay_given_history_has_a_forecast_at_its_first_event() {
    let dir = tempfile::tempdir().expect("tempdir");
    // One replayed event: whatever the summary shows, it had at the first.
    let (cap, first) = short_capture(dir.path(), 1);
    let csv = history_csv(dir.path(), first, 400, 0);

    let (ok, out, err) = replay(dir.path(), &cap, Some(&csv));
    assert!(ok, "{err}");
    let warm: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(readings(&warm), ["BTC/USDT"], "{warm}");

    let (ok, out, err) = replay(dir.path(), &cap, None);
    assert!(ok, "{err}");
    let cold: Value = serde_json::from_str(&out).expect("json");
    assert!(readings(&cold).is_empty(), "{cold}");
}

#[test]
fn history_after_the_first_replayed_event_is_left_out_or_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (cap, first) = short_capture(dir.path(), 1);
    // 400 bars before, 30 after: the 30 are left out and counted.
    let csv = history_csv(dir.path(), first, 400, 30);
    let (ok, out, err) = replay(dir.path(), &cap, Some(&csv));
    assert!(ok, "{err}");
    assert!(
        err.contains("30 of 430 bars close after the first replayed event"),
        "{err}"
    );
    let s: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(readings(&s), ["BTC/USDT"]);

    // Only bars from after it: nothing to warm with, refused.
    let csv = history_csv(dir.path(), first + 3_600_000_000_000, 0, 30);
    let (ok, _, err) = replay(dir.path(), &cap, Some(&csv));
    assert!(!ok);
    assert!(
        err.contains("all 30 bars close after the first replayed event"),
        "{err}"
    );
}

/// The feeds' own source, read directly: every back-filled bar comes
/// before the first live event, closes before it, and none comes twice,
/// even when the history server is slow and the venue's stream fast.
#[test]
fn back_filled_bars_come_before_the_first_live_event() {
    use omni_core::market::{MarketEvent, MarketSource};
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let ws = binance_ws(&rt);
    let (rest_addr, _) = rest::spawn(Arc::new(|r: &Request| {
        Answer::Late(
            300,
            Box::new(Answer::Json(200, rest::binance_klines(r, now_ms()))),
        )
    }));
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = binance_config(dir.path(), ws, Some(&format!("http://{rest_addr}")), 15.0);
    let text = std::fs::read_to_string(&cfg).expect("config");
    let loaded = omni_tui::config::parse_str(
        &text,
        omni_tui::config::ConfigOrigin::File(cfg.clone()),
        dir.path().to_path_buf(),
    )
    .expect("valid");
    let (feeds, mut source) = omni_tui::warm::start_live(&loaded).expect("starts");
    let mut events = Vec::new();
    let t0 = std::time::Instant::now();
    while t0.elapsed() < std::time::Duration::from_secs(3) {
        while source.peek_ts().is_some() {
            events.push(source.next().expect("event"));
        }
        if events.iter().any(|e| matches!(e, MarketEvent::Quote(_))) && events.len() > 400 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    feeds.stop();
    let first_live = events
        .iter()
        .position(|e| !matches!(e, MarketEvent::History(_)))
        .expect("a live event");
    let history = &events[..first_live];
    // 300 minutes back to the hour (300 to 359 of them) and 60 hours.
    assert!(history.len() >= 360, "{} history bars", history.len());
    assert!(
        events[first_live..]
            .iter()
            .all(|e| !matches!(e, MarketEvent::History(_))),
        "no history after the first live event"
    );
    let live_ts = events[first_live].ts();
    assert!(history.iter().all(|e| e.ts() <= live_ts), "no look-ahead");
    let mut keys: Vec<_> = history
        .iter()
        .map(|e| match e {
            MarketEvent::History(b) => (b.timeframe.nanos(), b.open_ts),
            _ => unreachable!(),
        })
        .collect();
    let n = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), n, "no bar twice");
}

#[test]
fn a_backtest_of_recordings_takes_history_too() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (cap, first) = short_capture(dir.path(), 50);
    let csv = history_csv(dir.path(), first, 400, 30);
    let hist = format!("BTC/USDT={}", csv.display());
    let (ok, out, err) = omni(
        dir.path(),
        &[
            "backtest",
            cap.to_str().expect("utf8"),
            "--venue",
            "binance",
            "--history",
            &hist,
            "--approve",
            "none",
            "--json",
        ],
        &[],
    );
    assert!(ok, "{err}");
    assert!(
        err.contains("30 of 430 bars close after the first replayed event"),
        "{err}"
    );
    let v: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["report"]["setup"]["input"], "recorded", "{v}");

    // Bar input is warmed by the bars before --from instead.
    let (ok, _, err) = omni(
        dir.path(),
        &["backtest", "--bars", &hist, "--history", &hist],
        &[],
    );
    assert!(!ok);
    assert!(
        err.contains("--history warms a replay of recordings"),
        "{err}"
    );
}

#[test]
fn a_history_url_must_be_http() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = "[feeds.binance]\nhistory_url = \"wss://stream.binance.com\"\n";
    let e = omni_tui::config::parse_str(
        text,
        omni_tui::config::ConfigOrigin::File(dir.path().join("x.toml")),
        dir.path().to_path_buf(),
    )
    .expect_err("refused")
    .to_string();
    assert!(
        e.contains("feeds.binance.history_url") && e.contains("not an http(s) URL"),
        "{e}"
    );
    for ok in ["", "http://127.0.0.1:1", "https://api.binance.com"] {
        let text = format!("[feeds.binance]\nhistory_url = \"{ok}\"\n");
        let r = omni_tui::config::parse_str(
            &text,
            omni_tui::config::ConfigOrigin::File(dir.path().join("x.toml")),
            dir.path().to_path_buf(),
        );
        assert!(r.is_ok(), "{ok}: {:?}", r.err());
    }
}
