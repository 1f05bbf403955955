//! Accounts on live brokers, through the binary: a Binance account on a
//! local Binance mock (with market data from a local Binance feed), the
//! kill switch cancelling an order the database never knew, keys that
//! never reach the database, the log or the output, paper accounts that
//! never call a broker, and the configuration's refusals.

#[path = "common/ws_venue.rs"]
mod ws_venue;

use omni_mockvenue::binance::MockBinance;
use omni_mockvenue::mexc::MockMexc;
use omni_mockvenue::oanda::MockOanda;
use omni_mockvenue::tradelocker::MockTradeLocker;
use serde_json::Value;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::Command;
use tokio::net::TcpListener;

const KEY: &str = "CANARYKEY7f3a9c";
const SECRET: &str = "CANARYSECRET0b1d2e";

fn capture_frames(n: usize) -> Vec<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/data/ws_captures/binance_spot/spot_btcusdt_20240808.gz");
    let f = std::fs::File::open(path).expect("capture");
    std::io::BufReader::new(flate2::read::GzDecoder::new(f))
        .lines()
        .map(|l| l.expect("line"))
        .filter_map(|l| l.split_once(' ').map(|(_, j)| j.to_string()))
        .filter(|j| j.contains("@bookTicker"))
        .take(n)
        .collect()
}

/// A local Binance market feed sending `n` captured bookTicker frames 5 ms
/// apart after the subscription; returns its port.
fn binance_feed(rt: &tokio::runtime::Runtime, n: usize) -> u16 {
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let frames = capture_frames(n);
    let script: ws_venue::MakeScript =
        std::sync::Arc::new(move || ws_venue::every_5ms(frames.clone()));
    rt.spawn(ws_venue::serve(
        listener,
        Some(r#"{"result":null,"id":1}"#),
        script,
    ));
    port
}

fn omni(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_omni-tui"))
        .current_dir(dir)
        .env("XDG_CONFIG_HOME", dir.join("cfg"))
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("XDG_STATE_HOME", dir.join("state"))
        // The most verbose logging: a crate that logs what it sends (the
        // WebSocket login frame holds the key) must still not leak it.
        .env("RUST_LOG", "trace")
        .env("OMNI_TEST_BN_KEY", KEY)
        .env("OMNI_TEST_BN_SECRET", SECRET)
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A live run on the local feed with `accounts` (TOML) and `extra`.
fn config(dir: &Path, feed_port: u16, accounts: &str, extra: &str) -> PathBuf {
    let cfg = format!(
        r#"[market]
source = "live"

[feeds.binance]
url = "ws://127.0.0.1:{feed_port}"
symbols = ["BTC/USDT"]
[feeds.kraken]
enabled = false
[feeds.bybit]
enabled = false

{accounts}

[[routes]]
kind = "arbitrage"
instruments = ["BTC/USDT"]
accounts = ["bn-test"]

{extra}
"#
    );
    let p = dir.join("live.toml");
    std::fs::write(&p, cfg).expect("config");
    p
}

const BINANCE_ACCOUNT: &str = r#"[[accounts]]
name = "bn-test"
type = "spot"
profile = "balanced"
currency = "USDT"
balance = 10000
broker = "binance"
"#;

const PAPER_ACCOUNT: &str = r#"[[accounts]]
name = "bn-test"
type = "spot"
profile = "balanced"
currency = "USDT"
balance = 10000
broker = "paper"
"#;

fn brokers(mock: &MockBinance) -> String {
    format!(
        r#"[brokers.bn-test]
rest_url = "{}"
stream_url = "{}"
key_env = "OMNI_TEST_BN_KEY"
secret_env = "OMNI_TEST_BN_SECRET"
"#,
        mock.rest_url(),
        mock.ws_url()
    )
}

/// Every file under `dir`, read as bytes.
fn files(dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
    for e in std::fs::read_dir(dir).expect("dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else if let Ok(bytes) = std::fs::read(&p) {
            out.push((p, bytes));
        }
    }
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn the_kill_switch_cancels_at_the_venue_what_the_database_never_knew_and_keys_stay_secret() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let feed_port = binance_feed(&rt, 400);
    let mock = rt.block_on(MockBinance::start(KEY, SECRET));
    // Coins the account had before omni-tui: not a position to flatten.
    mock.set_balance("BTC", "0.5".parse().unwrap());
    // Orders made by hand on the venue's site: omni-tui never placed them.
    let hand = [
        mock.place_direct(
            "BTCUSDT",
            "BUY",
            "0.01".parse().unwrap(),
            "40000".parse().unwrap(),
        )
        .expect("placed"),
        mock.place_direct(
            "BTCUSDT",
            "SELL",
            "0.001".parse().unwrap(),
            "90000".parse().unwrap(),
        )
        .expect("placed"),
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = config(dir.path(), feed_port, BINANCE_ACCOUNT, &brokers(&mock));
    let (ok, out, err) = omni(
        dir.path(),
        &[
            "--config",
            cfg.to_str().expect("utf8"),
            "headless",
            "--duration",
            "4",
            "--kill-after",
            "50",
            "--json",
            "--db",
            "live.db",
        ],
    );
    assert!(ok, "{err}");
    let v: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["accounts"][0]["mode"], "TEST", "{v}");
    assert_eq!(v["trading_state"], "HALTED", "{v}");
    for id in &hand {
        let o = mock
            .orders()
            .into_iter()
            .find(|o| &o.client_id == id)
            .expect("order");
        assert_eq!(o.status, "CANCELED", "{id} left working at the venue");
    }
    assert!(mock.requests("DELETE /api/v3/openOrders") >= 1);
    // The account's holdings before the first trade are recorded, so a
    // coin it already had is never "a position to flatten".
    let conn = rusqlite::Connection::open(dir.path().join("live.db")).expect("db");
    let baseline: i64 = conn
        .query_row("SELECT COUNT(*) FROM live_baseline", [], |r| r.get(0))
        .expect("baseline table");
    assert!(baseline >= 1);
    drop(conn);

    // Neither key appears in any file the run wrote (database, WAL, log),
    // nor in its output.
    let mut written = Vec::new();
    files(dir.path(), &mut written);
    assert!(written.iter().any(|(p, _)| p.ends_with("live.db")));
    // The log was written (with RUST_LOG=trace) and is among the files scanned.
    assert!(
        written
            .iter()
            .any(|(p, b)| p.ends_with("omni-tui.log") && !b.is_empty()),
        "no trace log among {:?}",
        written.iter().map(|(p, _)| p).collect::<Vec<_>>()
    );
    for (path, bytes) in &written {
        for canary in [KEY, SECRET] {
            assert!(!contains(bytes, canary), "{} holds a key", path.display());
        }
    }
    for canary in [KEY, SECRET] {
        assert!(!out.contains(canary) && !err.contains(canary));
    }
    drop(rt);
}

/// A proxy on 127.0.0.1 that writes down the first line of every request it
/// gets and refuses it. With `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY` pointing
/// at it, a call the process makes to any venue's REST endpoint (its
/// default test endpoint included) shows up here instead of leaving the
/// machine.
fn refusing_proxy() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("proxy");
    let addr = format!("http://{}", listener.local_addr().expect("addr"));
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let mut line = String::new();
            let _ = BufReader::new(&conn).read_line(&mut line);
            log.lock().expect("log").push(line.trim_end().to_string());
            let _ = (&conn).write_all(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n");
        }
    });
    (addr, seen)
}

/// A headless run of `cfg` for 2 s with every HTTP request sent to `proxy`.
fn run_through_proxy(dir: &Path, cfg: &Path, proxy: &str) {
    let out = Command::new(env!("CARGO_BIN_EXE_omni-tui"))
        .current_dir(dir)
        .env("XDG_CONFIG_HOME", dir.join("cfg"))
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("XDG_STATE_HOME", dir.join("state"))
        .env("OMNI_TEST_BN_KEY", KEY)
        .env("OMNI_TEST_BN_SECRET", SECRET)
        .env("HTTPS_PROXY", proxy)
        .env("HTTP_PROXY", proxy)
        .env("ALL_PROXY", proxy)
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .args([
            "--config",
            cfg.to_str().expect("utf8"),
            "headless",
            "--duration",
            "2",
            "--kill-after",
            "20",
            "--approve",
            "all",
            "--json",
        ])
        .output()
        .expect("runs");
    // The control run's broker is refused by the proxy; only what the
    // proxy saw matters here.
    let _ = out;
}

#[test]
fn paper_accounts_never_call_a_broker_even_with_keys_present() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let feed_port = binance_feed(&rt, 200);
    let mock = rt.block_on(MockBinance::start(KEY, SECRET));
    let dir = tempfile::tempdir().expect("tempdir");
    // The keys are in the environment (omni() sets them); the account is paper.
    let cfg = config(dir.path(), feed_port, PAPER_ACCOUNT, "");
    let (ok, out, err) = omni(
        dir.path(),
        &[
            "--config",
            cfg.to_str().expect("utf8"),
            "headless",
            "--duration",
            "2",
            "--kill-after",
            "20",
            "--approve",
            "all",
            "--json",
        ],
    );
    assert!(ok, "{err}");
    let v: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["accounts"][0]["mode"], "PAPER");
    assert_eq!(mock.total_requests(), 0);
    assert_eq!(mock.subscribers(), 0);

    // No request to any endpoint either, the venue's default test endpoint
    // included: everything the process would send goes through a proxy
    // that writes it down.
    let (proxy, seen) = refusing_proxy();
    run_through_proxy(dir.path(), &cfg, &proxy);
    assert!(seen.lock().expect("seen").is_empty(), "{:?}", seen.lock());
    // The same account made live, on its default REST test endpoint, does
    // call it: the proxy would have seen a paper account's call. (Its
    // stream, which no proxy carries, goes to a closed local port, so
    // nothing leaves the machine.)
    let live = config(
        dir.path(),
        feed_port,
        BINANCE_ACCOUNT,
        "[brokers.bn-test]\nkey_env = \"OMNI_TEST_BN_KEY\"\nsecret_env = \"OMNI_TEST_BN_SECRET\"\nstream_url = \"ws://127.0.0.1:1\"\n",
    );
    run_through_proxy(dir.path(), &live, &proxy);
    let calls = seen.lock().expect("seen").clone();
    assert!(
        calls.iter().any(|l| l.contains("testnet.binance.vision")),
        "{calls:?}"
    );
    drop(rt);
}

#[test]
fn live_accounts_are_refused_off_live_prices_without_keys_or_on_real_money_without_live() {
    let dir = tempfile::tempdir().expect("tempdir");
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).expect("write");
        p.to_str().expect("utf8").to_string()
    };
    let entry = r#"
[brokers.bn-test]
key_env = "OMNI_TEST_BN_KEY"
secret_env = "OMNI_TEST_BN_SECRET"
"#;
    let routes = r#"
[[routes]]
kind = "arbitrage"
instruments = ["BTC/USDT"]
accounts = ["bn-test"]
"#;
    // On the demo market: its prices are not the venue's.
    let demo = write("demo.toml", &format!("{BINANCE_ACCOUNT}{routes}{entry}"));
    let (ok, _, err) = omni(dir.path(), &["--config", &demo, "config"]);
    assert!(!ok);
    assert!(
        err.contains("demo.toml")
            && err.contains("accounts[0].broker")
            && err.contains("market.source"),
        "{err}"
    );
    // No [brokers] entry.
    let bare = write(
        "bare.toml",
        &format!("[market]\nsource = \"live\"\n{BINANCE_ACCOUNT}{routes}"),
    );
    let (ok, _, err) = omni(dir.path(), &["--config", &bare, "config"]);
    assert!(!ok);
    assert!(err.contains("[brokers.bn-test]"), "{err}");
    // A real-money endpoint: refused without --live, and without typing LIVE.
    let real = write(
        "real.toml",
        &format!(
            "[market]\nsource = \"live\"\n{BINANCE_ACCOUNT}{routes}{entry}rest_url = \"https://api.binance.com\"\nstream_url = \"wss://ws-api.binance.com/ws-api/v3\"\n"
        ),
    );
    let (ok, _, err) = omni(
        dir.path(),
        &["--config", &real, "headless", "--duration", "1"],
    );
    assert!(!ok);
    assert!(err.contains("--live") && err.contains("bn-test"), "{err}");
    let run = Command::new(env!("CARGO_BIN_EXE_omni-tui"))
        .current_dir(dir.path())
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .args(["--config", &real, "--live", "headless", "--duration", "1"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    use std::io::Write;
    let mut run = run;
    run.stdin
        .take()
        .expect("stdin")
        .write_all(b"yes\n")
        .expect("answer");
    let out = run.wait_with_output().expect("waits");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("REAL MONEY") && err.contains("not confirmed"),
        "{err}"
    );
    // A key file others may read is refused at start, naming the file.
    let keys = dir.path().join("bn.keys");
    std::fs::write(&keys, format!("key = {KEY}\nsecret = {SECRET}\n")).expect("keys");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&keys, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let loose = write(
        "loose.toml",
        &format!(
            "[market]\nsource = \"live\"\n{BINANCE_ACCOUNT}{routes}[brokers.bn-test]\nkeys_file = \"bn.keys\"\nrest_url = \"http://127.0.0.1:9\"\nstream_url = \"ws://127.0.0.1:9\"\n"
        ),
    );
    let (ok, out, err) = omni(
        dir.path(),
        &["--config", &loose, "headless", "--duration", "1"],
    );
    assert!(!ok);
    assert!(
        err.contains("bn.keys") && err.contains("chmod 600"),
        "{err}"
    );
    assert!(!err.contains(KEY) && !err.contains(SECRET) && !out.contains(SECRET));
}

const OANDA_ACCOUNT_ID: &str = "101-004-1435156-001";
const OANDA_TOKEN: &str = "CANARYOANDATOKENa4c19e";
const TL_EMAIL: &str = "trader@example.com";
const TL_PASSWORD: &str = "CANARYTLPASSWORD5e7d21";

/// A run with a prop-firm account on OANDA and one on TradeLocker (both
/// on local mocks), market data from the local Binance feed.
fn forex_config(dir: &Path, feed_port: u16, oanda: &MockOanda, tl: &MockTradeLocker) -> PathBuf {
    let cfg = format!(
        r#"[market]
source = "live"

[feeds.binance]
url = "ws://127.0.0.1:{feed_port}"
symbols = ["BTC/USDT"]
[feeds.kraken]
enabled = false
[feeds.bybit]
enabled = false

[[accounts]]
name = "prop-oanda"
type = "prop_firm"
profile = "conservative"
currency = "USD"
balance = 100000
broker = "oanda"

[[accounts]]
name = "prop-tl"
type = "prop_firm"
profile = "conservative"
currency = "USD"
balance = 100000
broker = "tradelocker"

[[routes]]
kind = "forex"
instruments = ["EUR/USD"]
accounts = ["prop-oanda", "prop-tl"]

[brokers.prop-oanda]
rest_url = "{oanda_rest}"
stream_url = "{oanda_stream}"
key_env = "OMNI_TEST_OANDA_ACCOUNT"
secret_env = "OMNI_TEST_OANDA_TOKEN"

[brokers.prop-tl]
rest_url = "{tl_rest}"
server = "OMNI-DEMO"
key_env = "OMNI_TEST_TL_EMAIL"
secret_env = "OMNI_TEST_TL_PASSWORD"
"#,
        oanda_rest = oanda.rest_url(),
        oanda_stream = oanda.stream_url(),
        tl_rest = tl.rest_url(),
    );
    let p = dir.join("forex.toml");
    std::fs::write(&p, cfg).expect("config");
    p
}

#[test]
fn prop_accounts_on_oanda_and_tradelocker_follow_the_brokers_equity_and_k_ends_flat_at_both() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let feed_port = binance_feed(&rt, 400);
    let oanda = rt.block_on(MockOanda::start(OANDA_ACCOUNT_ID, OANDA_TOKEN));
    oanda.set_balance("100000".parse().unwrap());
    // The firm's figure: 4.6 % down on the day (its limit 5 %, less the
    // 0.5 % buffer), though the book has lost nothing.
    oanda.set_equity(Some("95400".parse().unwrap()));
    let tl = rt.block_on(MockTradeLocker::start(TL_EMAIL, TL_PASSWORD, "OMNI-DEMO"));
    tl.set_balance("100000".parse().unwrap());
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = forex_config(dir.path(), feed_port, &oanda, &tl);
    let out = Command::new(env!("CARGO_BIN_EXE_omni-tui"))
        .current_dir(dir.path())
        .env("XDG_CONFIG_HOME", dir.path().join("cfg"))
        .env("XDG_DATA_HOME", dir.path().join("data"))
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .env("RUST_LOG", "trace")
        .env("OMNI_TEST_OANDA_ACCOUNT", OANDA_ACCOUNT_ID)
        .env("OMNI_TEST_OANDA_TOKEN", OANDA_TOKEN)
        .env("OMNI_TEST_TL_EMAIL", TL_EMAIL)
        .env("OMNI_TEST_TL_PASSWORD", TL_PASSWORD)
        .args([
            "--config",
            cfg.to_str().expect("utf8"),
            "headless",
            "--duration",
            "4",
            "--kill-after",
            "100",
            "--json",
            "--db",
            "forex.db",
        ])
        .output()
        .expect("runs");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(out.status.success(), "{stderr}");
    let v: Value = serde_json::from_str(&stdout).expect("json");
    let account = |name: &str| {
        v["accounts"]
            .as_array()
            .expect("accounts")
            .iter()
            .find(|a| a["name"] == name)
            .cloned()
            .expect(name)
    };
    let (o, t) = (account("prop-oanda"), account("prop-tl"));
    assert_eq!(
        (o["mode"].as_str(), t["mode"].as_str()),
        (Some("TEST"), Some("TEST"))
    );
    assert!(
        o["reducing"]
            .as_str()
            .is_some_and(|r| r.contains("down 4600 today") && r.contains("on equity 95400")),
        "{o}"
    );
    assert!(t["reducing"].is_null(), "{t}");
    assert_eq!(o["margin_available"], "95400.0000", "{o}");
    // K: each venue confirms no order and no position.
    assert_eq!(v["trading_state"], "HALTED", "{v}");
    assert_eq!(
        (&o["flat"], &t["flat"]),
        (&Value::Bool(true), &Value::Bool(true))
    );

    let mut written = Vec::new();
    files(dir.path(), &mut written);
    for (path, bytes) in &written {
        for canary in [OANDA_TOKEN, TL_PASSWORD] {
            assert!(
                !contains(bytes, canary),
                "{} holds a secret",
                path.display()
            );
        }
    }
    for canary in [OANDA_TOKEN, TL_PASSWORD] {
        assert!(!stdout.contains(canary) && !stderr.contains(canary));
    }
    drop(rt);
}

#[test]
fn a_mexc_account_on_a_local_mock_is_test_and_k_cancels_what_the_database_never_knew() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let feed_port = binance_feed(&rt, 400);
    let mock = rt.block_on(MockMexc::start(KEY, SECRET));
    let hand = mock
        .place_direct(
            "BTCUSDT",
            "BUY",
            "0.01".parse().unwrap(),
            "40000".parse().unwrap(),
        )
        .expect("placed by hand");
    let dir = tempfile::tempdir().expect("tempdir");
    let accounts = r#"[[accounts]]
name = "bn-test"
type = "spot"
profile = "balanced"
currency = "USDT"
balance = 10000
broker = "mexc"
"#;
    let brokers = format!(
        "[brokers.bn-test]\nrest_url = \"{}\"\nstream_url = \"{}\"\nkey_env = \"OMNI_TEST_BN_KEY\"\nsecret_env = \"OMNI_TEST_BN_SECRET\"\n",
        mock.rest_url(),
        mock.ws_url()
    );
    let cfg = config(dir.path(), feed_port, accounts, &brokers);
    let (ok, out, err) = omni(
        dir.path(),
        &[
            "--config",
            cfg.to_str().expect("utf8"),
            "headless",
            "--duration",
            "4",
            "--kill-after",
            "50",
            "--json",
            "--db",
            "mexc.db",
        ],
    );
    assert!(ok, "{err}");
    let v: Value = serde_json::from_str(&out).expect("json");
    // A local mock is a test endpoint; MEXC itself would be LIVE.
    assert_eq!(v["accounts"][0]["mode"], "TEST", "{v}");
    assert_eq!(v["accounts"][0]["flat"], true, "{v}");
    let o = mock
        .orders()
        .into_iter()
        .find(|o| o.order_id == hand)
        .expect("the hand-made order");
    assert_eq!(o.status, "CANCELED");
    let mut written = Vec::new();
    files(dir.path(), &mut written);
    for (path, bytes) in &written {
        for canary in [KEY, SECRET] {
            assert!(!contains(bytes, canary), "{} holds a key", path.display());
        }
    }
    for canary in [KEY, SECRET] {
        assert!(!out.contains(canary) && !err.contains(canary));
    }
    drop(rt);
}

#[test]
fn real_money_starts_only_when_live_is_typed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("real.toml");
    std::fs::write(
        &cfg,
        format!(
            "[market]\nsource = \"live\"\n{BINANCE_ACCOUNT}\n[[routes]]\nkind = \"arbitrage\"\ninstruments = [\"BTC/USDT\"]\naccounts = [\"bn-test\"]\n\n[brokers.bn-test]\nkey_env = \"OMNI_TEST_BN_KEY\"\nsecret_env = \"OMNI_TEST_BN_SECRET\"\nrest_url = \"https://api.binance.com\"\nstream_url = \"wss://ws-api.binance.com/ws-api/v3\"\n"
        ),
    )
    .expect("config");
    let loaded = omni_tui::setup::load_config(Some(&cfg)).expect("loads");
    let confirm = |allowed: bool, typed: &str| {
        let mut out = Vec::new();
        let r = omni_tui::launch::confirm_live(&loaded, allowed, &mut typed.as_bytes(), &mut out);
        (r, String::from_utf8(out).expect("utf8"))
    };
    let (ok, prompt) = confirm(true, "LIVE\n");
    assert!(ok.is_ok(), "{ok:?}");
    assert!(prompt.contains("REAL MONEY: bn-test (binance)") && prompt.contains("Type LIVE"));
    for typed in ["yes\n", "live\n", "\n", ""] {
        let (r, _) = confirm(true, typed);
        assert!(r.is_err(), "{typed:?} started it");
    }
    let (r, prompt) = confirm(false, "LIVE\n");
    let err = r.expect_err("refused without --live").to_string();
    assert!(err.contains("--live") && prompt.is_empty(), "{err}");
}
