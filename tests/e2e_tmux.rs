//! The real binary in a real terminal: tmux at 200×50 on a temporary
//! database. Titles on screen, an approval becomes a position and a trade
//! log row, `K` halts and leaves nothing open in the database, and a
//! restart comes up HALTED.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

struct Tmux {
    socket: String,
}

impl Tmux {
    /// `test` keeps each test's tmux server apart: the tests of this file
    /// run in parallel and a shared socket would collide on the session name
    /// and be killed by whichever test finishes first.
    fn new(test: &str) -> Self {
        let v = Command::new("tmux").arg("-V").output();
        assert!(
            v.is_ok_and(|o| o.status.success()),
            "this test needs tmux (.ci/run installs it)"
        );
        Self {
            socket: format!("omni-e2e-{}-{test}", std::process::id()),
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .output()
            .expect("tmux runs")
    }

    fn start(&self, dir: &Path) {
        self.start_with(dir, "");
    }

    fn start_with(&self, dir: &Path, extra: &str) {
        let cmd = format!(
            "cd {} && XDG_CONFIG_HOME={0}/cfg XDG_DATA_HOME={0}/data XDG_STATE_HOME={0}/state exec {} --db e2e.db {extra}",
            dir.display(),
            env!("CARGO_BIN_EXE_omni-tui")
        );
        let out = self.run(&[
            "new-session",
            "-d",
            "-s",
            "cockpit",
            "-x",
            "200",
            "-y",
            "50",
            &cmd,
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "cockpit"]).stdout)
            .into_owned()
    }

    fn keys(&self, keys: &str) {
        self.run(&["send-keys", "-t", "cockpit", keys]);
    }

    fn alive(&self) -> bool {
        self.run(&["has-session", "-t", "cockpit"]).status.success()
    }

    fn wait_for(&self, what: &str, secs: u64, ok: impl Fn(&str) -> bool) -> String {
        let t0 = Instant::now();
        loop {
            let s = self.screen();
            if ok(&s) {
                return s;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(secs),
                "waited {secs}s for {what}; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

fn count(db: &Path, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(db).expect("db");
    conn.query_row(sql, [], |r| r.get(0)).expect("query")
}

const TITLES: [&str; 6] = [
    "Market",
    "Opportunities",
    "Ensemble",
    "Risk",
    "Positions",
    "Trade Log",
];

fn titles_on(s: &str) -> bool {
    TITLES.iter().all(|t| s.contains(&format!("┌{t}─")))
}

#[test]
fn cockpit_end_to_end() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("e2e.db");
    let tmux = Tmux::new("demo");
    tmux.start(dir.path());
    tmux.wait_for("the six panes", 30, titles_on);

    // The Binary tab; approve the top prediction once the gate would take it.
    tmux.keys("3");
    tmux.wait_for("a binary prediction the gate approves", 60, |s| {
        s.lines().any(|l| l.contains("│1 ") && l.contains("OK 1/1"))
    });
    tmux.keys("a");
    let s = tmux.wait_for("the position and the fill", 30, |s| {
        let positions = s.lines().any(|l| {
            l.contains("binary ")
                && (l.contains(" UP ") || l.contains(" DOWN "))
                && l.contains(" K ")
        });
        positions && s.contains("FILL     binary BUY")
    });
    assert!(s.contains("OPERATOR approve"), "{s}");
    assert!(count(&db, "SELECT COUNT(*) FROM positions") >= 1);

    // Kill switch: HALTED at once, flat once the broker confirms.
    tmux.keys("K");
    tmux.wait_for("the HALTED banner", 10, |s| {
        s.contains("HALTED · kill switch")
    });
    tmux.wait_for("flat", 20, |s| {
        s.contains("every account flat (broker confirmed)")
    });
    let t0 = Instant::now();
    while count(&db, "SELECT COUNT(*) FROM positions") > 0 {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "positions left in the database"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM orders WHERE status IN ('PENDING', 'OPEN', 'PARTIAL')"
        ),
        0
    );

    // Nothing open: q quits at once, restoring the terminal.
    tmux.keys("q");
    let t0 = Instant::now();
    while tmux.alive() {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "did not quit:\n{}",
            tmux.screen()
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // Same database: comes up HALTED, latched.
    tmux.start(dir.path());
    // The trade log shows the earlier run's rows (with their HALTED state
    // change) before the engine's first snapshot: wait for the status bar.
    tmux.wait_for("the restarted cockpit", 30, titles_on);
    let s = tmux.wait_for("HALTED in the status bar", 10, |s| {
        s.lines().last().is_some_and(|l| l.contains("HALTED"))
    });
    assert!(s.contains("HALTED · kill switch"), "{s}");
    assert!(
        s.lines().last().is_some_and(|l| l.contains("HALTED")),
        "{s}"
    );
    tmux.keys("q");
}

/// A Binance-speaking server that streams bookTicker frames every 20 ms.
async fn binance_server(listener: tokio::net::TcpListener) {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            return;
        };
        tokio::spawn(async move {
            let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await else {
                return;
            };
            loop {
                match ws.next().await {
                    Some(Ok(Message::Text(t))) if t.contains("SUBSCRIBE") => break,
                    Some(Ok(_)) => {}
                    _ => return,
                }
            }
            let mut i = 0u64;
            loop {
                i += 1;
                let bid = 61_800 + i % 50;
                let f = format!(
                    r#"{{"stream":"btcusdt@bookTicker","data":{{"u":{i},"s":"BTCUSDT","b":"{bid}.10","B":"1.5","a":"{bid}.20","A":"2.5"}}}}"#
                );
                if ws.send(Message::Text(f.into())).await.is_err() {
                    return;
                }
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        });
    }
}

#[test]
fn cockpit_on_live_feeds_shows_reconnecting_and_resumes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    rt.spawn(binance_server(listener));
    let cfg = dir.path().join("live.toml");
    std::fs::write(
        &cfg,
        format!(
            "[market]\nsource = \"live\"\n\n[feeds.binance]\nurl = \"ws://{addr}\"\nsymbols = [\"BTC/USDT\"]\nheartbeat_secs = 1.0\n[feeds.kraken]\nenabled = false\n[feeds.bybit]\nenabled = false\n"
        ),
    )
    .expect("config");
    let tmux = Tmux::new("live");
    tmux.start_with(dir.path(), &format!("--config {}", cfg.display()));
    let feed_line = |s: &str, state: &str| {
        s.lines()
            .any(|l| l.contains("binance ") && l.contains(state) && l.contains("/s"))
    };
    let s = tmux.wait_for("the live feed connected", 30, |s| {
        titles_on(s) && feed_line(s, "connected") && s.contains("BTC/USDT")
    });
    assert!(
        s.contains(".10") && s.contains(".20"),
        "quotes from the local venue:\n{s}"
    );
    assert!(
        s.lines()
            .last()
            .is_some_and(|l| l.contains("PAPER") && l.contains("LIVE")),
        "{s}"
    );

    // Unplug: the server and its connections go away.
    drop(rt);
    tmux.wait_for("reconnecting", 20, |s| feed_line(s, "reconnecting"));
    // Plug back in on the same port: data resumes.
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let listener = rt
        .block_on(tokio::net::TcpListener::bind(addr))
        .expect("rebind");
    rt.spawn(binance_server(listener));
    let s = tmux.wait_for("connected again", 30, |s| feed_line(s, "connected"));
    assert!(
        s.lines().any(|l| l.contains("binance ")
            && l.contains("reconnects ")
            && !l.contains("reconnects 0")),
        "{s}"
    );
    tmux.keys("q");
    drop(rt);
}

#[test]
fn cockpit_replays_a_real_binance_capture() {
    let dir = tempfile::tempdir().expect("tempdir");
    let capture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/data/ws_captures/binance_spot/spot_btcusdt_20240808.gz");
    let tmux = Tmux::new("replay");
    tmux.start_with(
        dir.path(),
        &format!("replay --venue binance --speed 20 {}", capture.display()),
    );
    let s = tmux.wait_for("the replayed quotes", 30, |s| {
        titles_on(s)
            && s.lines()
                .any(|l| l.contains("binance  BTC/USDT") && l.contains("61"))
            && s.lines()
                .any(|l| l.contains("binance replay") && l.contains("/s"))
    });
    let status = s.lines().last().unwrap_or_default();
    assert!(
        status.contains("REPLAY ×20") && status.contains("2024-08-0") && status.contains("PAPER"),
        "{s}"
    );
    tmux.keys("q");
}
