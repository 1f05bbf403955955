//! The binary on real frames: replaying a real Binance capture (twice, the
//! same summary), live headless runs against a local server speaking
//! Binance's protocol, and a recording that replays to the same events.

#[path = "common/ws_venue.rs"]
mod ws_venue;

use serde_json::Value;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::Command;
use tokio::net::TcpListener;

fn capture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/data/ws_captures/binance_spot")
        .join(name)
}

fn omni(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_omni-tui"))
        .current_dir(dir)
        .env("XDG_CONFIG_HOME", dir.join("cfg"))
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("XDG_STATE_HOME", dir.join("state"))
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_real_capture_replays_to_the_same_summary_twice() {
    let dir = tempfile::tempdir().expect("tempdir");
    let btc = capture("spot_btcusdt_20240808.gz");
    let eth = capture("spot_ethusdt_20240808.gz");
    let run = |db: &str| {
        let (ok, out, err) = omni(
            dir.path(),
            &[
                "replay",
                "--headless",
                "--json",
                "--approve",
                "all",
                "--venue",
                "binance",
                "--db",
                db,
                btc.to_str().expect("utf8"),
                eth.to_str().expect("utf8"),
            ],
        );
        assert!(ok, "{err}");
        serde_json::from_str::<Value>(&out).expect("json")
    };
    let a = run("a.db");
    let b = run("b.db");
    assert_eq!(a, b);
    // 28 040 + bookTicker and trade frames of both captures become events.
    assert!(a["events"].as_u64() > Some(60_000), "{a}");
    let f = &a["feeds"][0];
    assert_eq!(f["venue"], "binance");
    assert_eq!(f["state"], "replay");
    assert_eq!(
        f["dropped"], 0,
        "every frame of a real capture is understood"
    );
    assert_eq!(f["messages"].as_u64(), Some(41_249 + 33_618));
    assert!(a["opportunities"]["binary"].as_u64() > Some(0));
    assert_eq!(a["accounts"][0]["mode"], "PAPER");
}

fn capture_frames(n: usize) -> Vec<String> {
    let f = std::fs::File::open(capture("spot_btcusdt_20240808.gz")).expect("capture");
    std::io::BufReader::new(flate2::read::GzDecoder::new(f))
        .lines()
        .map(|l| l.expect("line"))
        .filter_map(|l| l.split_once(' ').map(|(_, j)| j.to_string()))
        .filter(|j| j.contains("@bookTicker") || j.contains("@trade"))
        .take(n)
        .collect()
}

/// A Binance-speaking server (`ws_venue::serve`): answers the
/// subscription as Binance does, then sends `frames` 5 ms apart.
async fn binance_server(listener: TcpListener, frames: Vec<String>) {
    let script: ws_venue::MakeScript =
        std::sync::Arc::new(move || ws_venue::every_5ms(frames.clone()));
    ws_venue::serve(listener, Some(r#"{"result":null,"id":1}"#), script).await;
}

fn live_config(dir: &Path, port: u16) -> PathBuf {
    let cfg = format!(
        r#"[market]
source = "live"

[feeds.binance]
url = "ws://127.0.0.1:{port}"
symbols = ["BTC/USDT"]
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

#[test]
fn live_headless_runs_on_a_local_venue_and_a_recording_replays_the_same_events() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let frames = capture_frames(200);
    rt.spawn(binance_server(listener, frames.clone()));
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = live_config(dir.path(), port);
    let cfg = cfg.to_str().expect("utf8");

    let (ok, out, err) = omni(
        dir.path(),
        &[
            "--config",
            cfg,
            "headless",
            "--duration",
            "3",
            "--json",
            "--db",
            "live.db",
        ],
    );
    assert!(ok, "{err}");
    let v: Value = serde_json::from_str(&out).expect("json");
    let f = &v["feeds"][0];
    assert_eq!(f["venue"], "binance");
    assert_eq!(f["state"], "connected", "{v}");
    assert_eq!(
        f["events"].as_u64(),
        Some(200),
        "every frame became an event: {v}"
    );
    assert_eq!(v["events"].as_u64(), Some(200));
    assert_eq!(f["dropped"], 0);
    assert_eq!(v["accounts"][0]["mode"], "PAPER");

    let rec = dir.path().join("rec.gz");
    let (ok, out, err) = omni(
        dir.path(),
        &[
            "--config",
            cfg,
            "record",
            "--out",
            rec.to_str().expect("utf8"),
            "--duration",
            "3",
        ],
    );
    assert!(ok, "{err}");
    assert!(out.contains("frames written"), "{out}");
    let (ok, out, err) = omni(
        dir.path(),
        &[
            "--config",
            cfg,
            "replay",
            "--headless",
            "--json",
            "--db",
            "replay.db",
            rec.to_str().expect("utf8"),
        ],
    );
    assert!(ok, "{err}");
    let r: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(
        r["events"].as_u64(),
        Some(200),
        "the recording holds every frame: {r}"
    );
    assert_eq!(r["feeds"][0]["venue"], "binance");
    drop(rt);
}

#[test]
fn live_headless_needs_a_duration_and_a_missing_venue_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = live_config(dir.path(), 9);
    let (ok, _, err) = omni(
        dir.path(),
        &[
            "--config",
            cfg.to_str().expect("utf8"),
            "headless",
            "--db",
            "x.db",
        ],
    );
    assert!(!ok);
    assert!(err.contains("--duration"), "{err}");
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[market]\nsource = \"live\"\n[feeds.coinbase]\nenabled = true\n",
    )
    .expect("write");
    let (ok, _, err) = omni(
        dir.path(),
        &["--config", bad.to_str().expect("utf8"), "config"],
    );
    assert!(!ok);
    assert!(
        err.contains("bad.toml:4: key `feeds.coinbase.enabled`") && err.contains("[[venues]]"),
        "{err}"
    );
}
