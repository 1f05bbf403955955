//! The control API over real HTTP on 127.0.0.1: its authentication, its
//! commands entering the engine in order with the keys' and recorded as
//! coming from the API, `omni-tui ctl` against a running `omni-tui serve`,
//! and the service's clean stop on SIGTERM.

mod common;
#[path = "common/http.rs"]
mod http;

use omni_core::domain::time::SECOND;
use omni_core::engine::Command;
use omni_tui::cockpit::run::PREROLL_SECS;
use omni_tui::control::{ControlServer, token};
use omni_tui::engine_thread::{EngineThread, Extras, Pacing};
use omni_tui::launch;
use omni_tui::setup;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

fn demo(dir: &Path, overlay: &str) -> (EngineThread, omni_tui::config::LoadedConfig) {
    let loaded = common::load(overlay);
    let (_, restored, store) =
        setup::open_store(Some(&dir.join("api.db")), &loaded, "test", 5).expect("store");
    let driver = setup::demo_driver(&loaded, 5, restored).expect("demo");
    let from = driver.market().start().plus(PREROLL_SECS * SECOND);
    let pacing = Pacing::Scaled {
        from,
        speed: 1.0,
        progress: None,
    };
    let engine = EngineThread::spawn_with(
        driver,
        store,
        pacing,
        "DEMO".into(),
        Vec::new(),
        Extras::default(),
    );
    (engine, loaded)
}

fn any_port() -> SocketAddr {
    "127.0.0.1:0".parse().expect("addr")
}

#[test]
fn requests_without_the_token_or_with_a_wrong_one_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("control.token");
    let (engine, _) = demo(dir.path(), "");
    let token = token::load_or_create(&path).expect("token");
    let secret = token.expose().to_string();
    let server = ControlServer::start(any_port(), token, engine.handle()).expect("server");
    let addr = server.addr();
    for p in ["/v1/health", "/v1/state", "/metrics", "/v1/positions"] {
        let (status, body) = http::request("GET", addr, p, None);
        assert_eq!(status, 401, "{p}: {body}");
        assert!(body.contains("missing bearer token"), "{body}");
        let (status, body) = http::request("GET", addr, p, Some("0123abcd"));
        assert_eq!((status, body.as_str()), (401, r#"{"error":"wrong token"}"#));
    }
    // A refused action does nothing.
    let (status, _) = http::request("POST", addr, "/v1/kill", Some(&secret[1..]));
    assert_eq!(status, 401);
    let (status, body) = http::request("GET", addr, "/v1/state", Some(&secret));
    assert_eq!(status, 200, "{body}");
    let state: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(state["trading_state"], "ACTIVE");
    assert_eq!(state["kill_latched"], false);
    let (status, body) = http::request("GET", addr, "/v1/health", Some(&secret));
    assert_eq!(status, 200);
    assert!(body.contains(r#""status":"ok""#), "{body}");
    let (status, _) = http::request("GET", addr, "/v1/nothing", Some(&secret));
    assert_eq!(status, 404);
    server.stop();
    engine.stop().expect("engine");
}

#[cfg(unix)]
#[test]
fn a_token_file_others_may_read_stops_the_api_from_starting() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("open.token");
    std::fs::write(&path, "f00d\n").expect("write");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let overlay = format!("[control]\ntoken_file = {:?}\n", path.display().to_string());
    let (engine, loaded) = demo(dir.path(), &overlay);
    let err = launch::control_api(&loaded, &engine, Some(any_port()))
        .map(|_| ())
        .expect_err("refused")
        .to_string();
    assert!(
        err.contains("mode 644") && err.contains("chmod 600") && !err.contains("f00d"),
        "{err}"
    );
    engine.stop().expect("engine");
}

#[test]
fn commands_from_the_api_enter_the_engine_in_order_with_the_keys() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (engine, _) = demo(dir.path(), "");
    let token = token::load_or_create(&dir.path().join("t")).expect("token");
    let secret = token.expose().to_string();
    let server = ControlServer::start(any_port(), token, engine.handle()).expect("server");
    let addr = server.addr();
    let post = |p: &str| http::request("POST", addr, p, Some(&secret));

    engine.send(Command::Pause).expect("key");
    let (status, body) = post("/v1/resume");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(r#""outcome":"resumed""#), "{body}");
    engine.send(Command::Pause).expect("key");
    let (status, body) = post("/v1/kill");
    assert_eq!(status, 200);
    assert!(body.contains("HALTED"), "{body}");
    // Resuming over a latched kill switch: the engine refuses, 409.
    let (status, body) = post("/v1/resume");
    assert_eq!(status, 409, "{body}");
    assert!(
        body.contains("refused: the kill switch is latched"),
        "{body}"
    );
    // Re-arming is the cockpit's, typed.
    let (status, body) = post("/v1/rearm");
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("omni-tui --db"), "{body}");
    // An id that is not pending: 404 with the engine's outcome.
    let (status, body) = post("/v1/approve/987654");
    assert_eq!(status, 404);
    assert!(body.contains("not pending"), "{body}");
    let (status, body) = post("/v1/reject/x");
    assert_eq!(status, 400, "{body}");
    // Cancelling an order that is not working: 404, the engine's words.
    let (status, body) = post("/v1/orders/987654/cancel");
    assert_eq!(status, 404, "{body}");
    assert!(
        body.contains("not working (already filled, cancelled or unknown)"),
        "{body}"
    );
    let (status, body) = post("/v1/orders/x/cancel");
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("not an order id"), "{body}");
    let (_, body) = http::request("GET", addr, "/v1/state", Some(&secret));
    assert!(body.contains(r#""trading_state":"HALTED""#), "{body}");
    assert!(body.contains(r#""kill_latched":true"#), "{body}");

    server.stop();
    engine.stop().expect("engine");
    let db = rusqlite::Connection::open(dir.path().join("api.db")).expect("db");
    let rows: Vec<(String, String, String)> = db
        .prepare("SELECT command, argument, origin FROM commands ORDER BY seq")
        .expect("query")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("rows")
        .map(|r| r.expect("row"))
        .collect();
    let want = [
        ("pause", "", "key"),
        ("resume", "", "api"),
        ("pause", "", "key"),
        ("kill_switch", "", "api"),
        ("resume", "", "api"),
        ("approve", "987654", "api"),
        ("cancel_order", "987654", "api"),
    ];
    let got: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
        .collect();
    assert_eq!(got, want);
    // The log says where each came from.
    let log = omni_tui::app::log::read_log(&db, 50).expect("log");
    let texts: Vec<&str> = log.iter().map(|r| r.text.as_str()).collect();
    assert!(texts.contains(&"resume → ACTIVE (via API)"), "{texts:?}");
    assert!(texts.contains(&"pause → REDUCING"), "{texts:?}");
}

/// A child process killed when the test ends, however it ends.
struct KillOnDrop(Option<std::process::Child>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(c) = self.0.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// `omni-tui` in `dir`, with its state and data there and nothing of the
/// machine's configuration.
fn omni(dir: &Path) -> Process {
    let mut c = Process::new(env!("CARGO_BIN_EXE_omni-tui"));
    c.current_dir(dir)
        .env("XDG_STATE_HOME", dir.join("state"))
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("HOME", dir)
        .env_remove("RUST_LOG");
    c
}

fn ctl(dir: &Path, url: &str, args: &[&str]) -> (i32, String, String) {
    let out = omni(dir)
        .arg("ctl")
        .args(args)
        .args(["--url", url])
        .output()
        .expect("ctl runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[cfg(unix)]
#[test]
fn ctl_speaks_to_a_running_service_which_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    // Nothing runs yet: ctl says so, in a sentence.
    let (code, _, err) = ctl(d, "http://127.0.0.1:9", &["status"]);
    assert_eq!(code, 2);
    assert!(err.contains("no token file at"), "{err}");

    let serve = omni(d)
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(d.join("serve.db"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve starts");
    // Killed if the test fails before it stops the service itself.
    let mut serve = KillOnDrop(Some(serve));
    let serve = serve.0.as_mut().expect("child");
    let mut line = String::new();
    BufReader::new(serve.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("ready line");
    assert!(
        line.starts_with("omni-tui serve: DEMO on http://127.0.0.1:"),
        "{line}"
    );
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("url")
        .to_string();
    let token_file = d.join("state/omni-tui/control.token");
    assert!(
        token_file.exists(),
        "the token is made in the state directory"
    );

    let (code, out, err) = ctl(d, &url, &["status"]);
    assert_eq!(code, 0, "{err}");
    // Without a scheme, http:// is meant; never another machine.
    let bare = url.trim_start_matches("http://");
    let (code, _, err) = ctl(d, bare, &["status"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = ctl(d, "http://192.0.2.1:8787", &["status"]);
    assert_eq!(code, 2);
    assert!(err.contains("not this machine"), "{err}");
    assert!(
        out.starts_with("DEMO  ACTIVE  approval MANUAL  kill switch off"),
        "{out}"
    );
    assert!(out.contains("spot-a") && out.contains("EQUITY"), "{out}");
    let (_, out, _) = ctl(d, &url, &["pause"]);
    assert_eq!(out.trim(), "pause → REDUCING");
    let (_, out, _) = ctl(d, &url, &["status", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["state"]["trading_state"], "REDUCING");
    assert_eq!(v["accounts"].as_array().map(Vec::len), Some(5));
    let (_, out, _) = ctl(d, &url, &["positions"]);
    assert_eq!(out.trim(), "no open positions");
    let (code, out, _) = ctl(d, &url, &["positions", "--json"]);
    assert_eq!((code, out.trim()), (0, "[]"));
    let (code, _, err) = ctl(d, &url, &["approve", "424242"]);
    assert_eq!(code, 2);
    assert!(err.contains("not pending") && err.contains("404"), "{err}");
    let (_, out, _) = ctl(d, &url, &["kill"]);
    assert!(out.starts_with("kill switch → HALTED"), "{out}");
    // Wrong token: refused.
    let bad = d.join("bad.token");
    std::fs::write(&bad, format!("{}\n", "0".repeat(64))).expect("write");
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&bad, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    let (code, _, err) = ctl(
        d,
        &url,
        &["status", "--token-file", bad.to_str().expect("utf8")],
    );
    assert_eq!(code, 2);
    assert!(err.contains("wrong token") && err.contains("401"), "{err}");

    // The monitor raises the kill switch alert within a second or two.
    let secret = std::fs::read_to_string(&token_file).expect("token");
    let addr: SocketAddr = url.trim_start_matches("http://").parse().expect("addr");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, metrics) = http::request("GET", addr, "/metrics", Some(secret.trim()));
        if metrics.contains("omni_alerts_total{rule=\"kill_switch\"} 1") {
            assert!(metrics.contains("omni_kill_switch_latched 1"));
            assert!(metrics.contains("omni_engine_event_seconds_count "));
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no kill switch alert:\n{metrics}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    let pid = serve.id().to_string();
    let killed = Process::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    let status = serve.wait().expect("exits");
    let mut err = String::new();
    std::io::Read::read_to_string(&mut serve.stderr.take().expect("stderr"), &mut err)
        .expect("stderr");
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(err.contains("service stopped"), "{err}");
    assert!(
        !err.contains(secret.trim()),
        "the token never reaches the log"
    );
    // Everything the API did is in the database, marked as the API's.
    let db = rusqlite::Connection::open(d.join("serve.db")).expect("db");
    let api: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM commands WHERE origin = 'api'",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(api, 3, "pause, approve, kill");
    let alerts: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM alerts WHERE rule = 'kill_switch'",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(alerts, 1);
}

#[test]
fn serve_refuses_to_listen_beyond_loopback() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = omni(dir.path())
        .args(["serve", "--listen", "10.1.2.3:8787", "--db"])
        .arg(dir.path().join("x.db"))
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--listen: `10.1.2.3:8787` is not a loopback address"),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "no ready line");
}

#[test]
fn a_client_that_never_finishes_its_request_cannot_hold_a_stop() {
    use std::io::Write;
    let dir = tempfile::tempdir().expect("tempdir");
    let (engine, _) = demo(dir.path(), "");
    let token = token::load_or_create(&dir.path().join("t")).expect("token");
    let server = ControlServer::start(any_port(), token, engine.handle()).expect("server");
    let mut slow = std::net::TcpStream::connect(server.addr()).expect("connect");
    write!(slow, "GET /v1/health HTTP/1.1\r\nHost: x\r\n").expect("half a request");
    std::thread::sleep(Duration::from_millis(100));
    let t = Instant::now();
    server.stop();
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "stop took {:?}",
        t.elapsed()
    );
    engine.stop().expect("engine");
}
