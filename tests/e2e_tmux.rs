//! The real binary in a real terminal: tmux at 200×50 on a temporary
//! database. Titles on screen, an approval becomes a position and a trade
//! log row, `K` halts and leaves nothing open in the database, and a
//! restart comes up HALTED.

#[path = "common/tmux.rs"]
mod tmux;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use tmux::Tmux;

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
    TITLES.iter().all(|t| s.contains(&format!("┌{t}")))
}

#[test]
fn cockpit_end_to_end() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("e2e.db");
    let tmux = Tmux::new("demo");
    tmux.start(dir.path());
    tmux.wait_for("the six panes", 30, titles_on);

    // The Binary tab; approve the top prediction once the gate would take it.
    // The selection stays on an opportunity, not a row: `k` moves it to the
    // top row (from wherever it is, or from a selection that vanished).
    tmux.keys("3");
    let top_ok = |s: &str| {
        let mut lines = s
            .lines()
            .skip_while(|l| !l.contains("Gate if approved now"));
        lines.next();
        lines.next().is_some_and(|l| l.contains("OK 1/1"))
    };
    // The list moves while keys travel; an approval the engine refuses
    // (changed since shown, or the gate) is tried again with the new top row.
    let filled = |s: &str| s.contains("FILL     binary ");
    for attempt in 0.. {
        tmux.wait_for("a binary prediction the gate approves", 60, top_ok);
        for _ in 0..5 {
            tmux.keys("k");
        }
        tmux.keys("a");
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(5) && !filled(&tmux.screen()) {
            std::thread::sleep(Duration::from_millis(200));
        }
        if filled(&tmux.screen()) {
            break;
        }
        assert!(attempt < 5, "no approval filled:\n{}", tmux.screen());
    }
    let s = tmux.wait_for("the position and the fill", 30, |s| {
        let positions = s.lines().any(|l| {
            l.contains("binary ")
                && (l.contains(" UP ") || l.contains(" DOWN "))
                && l.contains("strike")
        });
        positions && s.contains("FILL     binary ")
    });
    assert!(s.contains("OPERATOR approve"), "{s}");
    assert!(count(&db, "SELECT COUNT(*) FROM positions") >= 1);

    // With a position open, `q` asks first; K from that question halts at
    // once (the question goes, so the banner shows).
    tmux.keys("q");
    tmux.wait_for("the quit question", 10, |s| s.contains("Quit anyway?"));
    tmux.keys("K");
    let s = tmux.wait_for("the HALTED banner", 10, |s| {
        s.contains("HALTED · kill switch")
    });
    assert!(!s.contains("Quit anyway?"), "{s}");
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
    // The feed's line comes from its own counters, the quotes from the
    // engine: a snapshot may show the one before the other.
    let s = tmux.wait_for("quotes from the local venue", 30, |s| {
        titles_on(s)
            && feed_line(s, "connected")
            && s.contains("BTC/USDT")
            && s.contains(".10")
            && s.contains(".20")
    });
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
        s.lines()
            .any(|l| l.contains("binance ") && l.contains("reconn ") && !l.contains("reconn 0")),
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
        status.contains("REPLAY 2024-08-0") && status.contains("×20") && status.contains("PAPER"),
        "{s}"
    );
    tmux.keys("q");
}

/// The cockpit under a shell that reports, once it has gone, its exit code
/// and whether the terminal is back in cooked mode (canonical input, echo).
const SHELL_AROUND_THE_COCKPIT: &str = r#"cd "$1" || exit 1
export XDG_CONFIG_HOME="$1/cfg" XDG_DATA_HOME="$1/data" XDG_STATE_HOME="$1/state"
sh -c 'echo $$ > cockpit.pid; exec "$0" --db e2e.db' "$2"
echo "exit=$?"
echo "tty=$(stty -a | tr ' ;' '\n\n' | grep -xE -- '-?(icanon|echo)' | tr '\n' ,)"
sleep 600
"#;

#[test]
fn a_signal_restores_the_terminal_flushes_and_exits_with_128_plus_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("around.sh");
    std::fs::write(&script, SHELL_AROUND_THE_COCKPIT).expect("script");
    for (sig, code) in [("TERM", 143), ("HUP", 129)] {
        let pid_file = dir.path().join("cockpit.pid");
        let _ = std::fs::remove_file(&pid_file);
        let tmux = Tmux::new(&format!("signal-{sig}"));
        let cmd = format!(
            "sh {} {} {}",
            script.display(),
            dir.path().display(),
            env!("CARGO_BIN_EXE_omni-tui")
        );
        tmux.start_cmd(&cmd);
        tmux.wait_for("the six panes", 30, titles_on);
        let pane = |f: &str| {
            String::from_utf8_lossy(
                &tmux
                    .run(&["display-message", "-p", "-t", "cockpit", f])
                    .stdout,
            )
            .trim()
            .to_string()
        };
        assert_eq!(
            pane("#{alternate_on}"),
            "1",
            "the cockpit draws on the alternate screen"
        );
        let pid = std::fs::read_to_string(&pid_file).expect("pid file");
        let pid = pid.trim();

        // A second writer on the cockpit's database is refused, naming it and the pid.
        let second = Command::new(env!("CARGO_BIN_EXE_omni-tui"))
            .current_dir(dir.path())
            .env("XDG_DATA_HOME", dir.path().join("data"))
            .env("XDG_CONFIG_HOME", dir.path().join("cfg"))
            .args(["--db", "e2e.db", "headless", "--events", "1000"])
            .output()
            .expect("runs");
        let err = String::from_utf8_lossy(&second.stderr);
        assert!(!second.status.success(), "{err}");
        assert!(
            err.contains("e2e.db") && err.contains(&format!("pid {pid}")),
            "{err}"
        );

        let kill = Command::new("kill")
            .args([&format!("-{sig}"), pid])
            .status()
            .expect("kill");
        assert!(kill.success());
        let s = tmux.wait_for("the shell after the cockpit", 20, |s| s.contains("tty="));
        assert!(s.contains(&format!("exit={code}")), "SIG{sig}:\n{s}");
        assert!(
            s.contains("tty=icanon,echo,"),
            "raw mode left on after SIG{sig}:\n{s}"
        );
        assert!(!titles_on(&s), "the cockpit still on screen:\n{s}");
        assert_eq!(
            pane("#{alternate_on}"),
            "0",
            "still on the alternate screen"
        );
        assert_eq!(pane("#{cursor_flag}"), "1", "the cursor is hidden");

        // The engine thread stopped and the lock is free: a new writer runs.
        let next = Command::new(env!("CARGO_BIN_EXE_omni-tui"))
            .current_dir(dir.path())
            .env("XDG_DATA_HOME", dir.path().join("data"))
            .env("XDG_CONFIG_HOME", dir.path().join("cfg"))
            .args(["--db", "e2e.db", "headless", "--events", "1000"])
            .output()
            .expect("runs");
        assert!(
            next.status.success(),
            "{}",
            String::from_utf8_lossy(&next.stderr)
        );
    }
    let runs = count(&dir.path().join("e2e.db"), "SELECT COUNT(*) FROM runs");
    assert_eq!(runs, 4, "two cockpits and two headless runs");
}

#[test]
fn k_halts_from_the_help_popup_and_on_a_terminal_too_small_to_draw() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tmux = Tmux::new("kill-anywhere");
    tmux.start(dir.path());
    tmux.wait_for("the cockpit", 30, titles_on);
    // Help open: K still halts, and the popup goes so the banner shows.
    tmux.keys("?");
    tmux.wait_for("the help popup", 10, |s| {
        s.contains("re-arm after a kill switch")
    });
    tmux.keys("K");
    let s = tmux.wait_for("HALTED in the status bar", 10, |s| {
        s.lines().last().is_some_and(|l| l.contains("HALTED"))
    });
    assert!(
        !s.contains("re-arm after a kill switch"),
        "help closed:\n{s}"
    );
    // Re-arm, then shrink the terminal below the minimum: the screen says
    // so, `a` and `p` do nothing, K still halts.
    // In the re-arm prompt, K acts too (a second kill_switch command).
    tmux.keys("R");
    tmux.wait_for("the re-arm prompt", 10, |s| s.contains("REARM"));
    tmux.keys("K");
    let db = dir.path().join("e2e.db");
    let t0 = Instant::now();
    while count(
        &db,
        "SELECT COUNT(*) FROM commands WHERE command = 'kill_switch'",
    ) < 2
    {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "K in the re-arm prompt did nothing"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    tmux.keys("R");
    for c in ["R", "E", "A", "R", "M", "Enter"] {
        tmux.keys(c);
    }
    tmux.wait_for("ACTIVE again", 10, |s| {
        s.lines().last().is_some_and(|l| l.contains("ACTIVE"))
    });
    tmux.run(&["resize-window", "-t", "cockpit", "-x", "70", "-y", "20"]);
    tmux.wait_for("the too-small message", 10, |s| {
        s.contains("at least 80×24")
    });
    tmux.keys("p");
    tmux.keys("K");
    tmux.run(&["resize-window", "-t", "cockpit", "-x", "200", "-y", "50"]);
    let s = tmux.wait_for("HALTED after K on the small screen", 10, |s| {
        s.lines().last().is_some_and(|l| l.contains("HALTED"))
    });
    assert!(s.contains("HALTED · kill switch"), "{s}");
    let db = dir.path().join("e2e.db");
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM commands WHERE command = 'pause'"),
        0,
        "p did nothing while nothing was drawn"
    );
    tmux.keys("q");
}

#[test]
fn closing_the_terminal_stops_the_cockpit_and_frees_its_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tmux = Tmux::new("hangup");
    tmux.start(dir.path());
    tmux.wait_for("the six panes", 30, titles_on);
    let lock = dir.path().join("e2e.db.lock");
    let pid = std::fs::read_to_string(&lock).expect("lock file");
    let pid = pid.trim().to_string();
    assert!(!pid.is_empty());
    // The terminal goes away: SIGHUP, and input that ends.
    tmux.run(&["kill-server"]);
    let t0 = Instant::now();
    while Command::new("kill")
        .args(["-0", &pid])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
    {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "the cockpit (pid {pid}) still runs after its terminal closed"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let next = Command::new(env!("CARGO_BIN_EXE_omni-tui"))
        .current_dir(dir.path())
        .env("XDG_DATA_HOME", dir.path().join("data"))
        .env("XDG_CONFIG_HOME", dir.path().join("cfg"))
        .args(["--db", "e2e.db", "headless", "--events", "1000"])
        .output()
        .expect("runs");
    assert!(
        next.status.success(),
        "{}",
        String::from_utf8_lossy(&next.stderr)
    );
}

/// Where `text` starts on a captured screen: 1-based column and row, as
/// the terminal's mouse reports count them.
fn cell_of(screen: &str, text: &str) -> (usize, usize) {
    for (y, l) in screen.lines().enumerate() {
        if let Some(i) = l.find(text) {
            return (l[..i].chars().count() + 1, y + 1);
        }
    }
    panic!("`{text}` not on screen:\n{screen}");
}

/// A left click as an xterm terminal reports it (SGR mouse mode, which the
/// cockpit switches on): press, then release.
fn click(tmux: &Tmux, x: usize, y: usize) {
    for end in ['M', 'm'] {
        tmux.run(&[
            "send-keys",
            "-t",
            "cockpit",
            "-l",
            &format!("\x1b[<0;{x};{y}{end}"),
        ]);
    }
}

/// The mouse wheel, down (towards older rows) or up.
fn wheel(tmux: &Tmux, x: usize, y: usize, up: bool) {
    let b = if up { 64 } else { 65 };
    tmux.run(&[
        "send-keys",
        "-t",
        "cockpit",
        "-l",
        &format!("\x1b[<{b};{x};{y}M"),
    ]);
}

#[test]
fn mouse_zoom_and_log_search_in_a_real_terminal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tmux = Tmux::new("mouse");
    tmux.start(dir.path());
    let s = tmux.wait_for("the panes with quotes", 30, |s| {
        titles_on(s) && s.contains("oanda    XAU/USD")
    });

    // A click on a tab's title switches the opportunity tab.
    let (x, y) = cell_of(&s, "2 Forex");
    click(&tmux, x + 2, y);
    tmux.wait_for("the Forex columns", 10, |s| s.contains("Reward/risk"));
    // A click on a Market row charts that instrument.
    let (x, y) = cell_of(&s, "oanda    XAU/USD");
    click(&tmux, x, y);
    tmux.wait_for("the XAU/USD chart", 10, |s| s.contains("┌Chart XAU/USD 1m"));

    // A click on the Accounts pane focuses it; z zooms it to the screen.
    let (x, y) = cell_of(&s, "┌Accounts");
    click(&tmux, x + 3, y + 2);
    tmux.keys("z");
    let z = tmux.wait_for("the zoomed Accounts pane", 10, |s| {
        s.lines().next().is_some_and(|l| l.starts_with("┌Accounts"))
    });
    assert!(!z.contains("┌Market"), "{z}");
    tmux.keys("Escape");
    tmux.wait_for("every pane again", 10, titles_on);

    // Log rows to search: pause and resume trading, twice.
    for k in ["p", "p", "p", "p"] {
        tmux.keys(k);
        std::thread::sleep(Duration::from_millis(300));
    }
    tmux.wait_for("four operator rows", 10, |s| {
        s.matches("OPERATOR").count() >= 4
    });
    // Focus the log with a click, search it.
    let s = tmux.screen();
    let (x, y) = cell_of(&s, "┌Trade Log");
    click(&tmux, x + 3, y + 3);
    tmux.keys("/");
    for c in ["r", "e", "s", "u", "m", "e"] {
        tmux.keys(c);
    }
    tmux.keys("Enter");
    let s = tmux.wait_for("the search in the title", 10, |s| s.contains("/ resume"));
    let log_rows: Vec<&str> = s
        .lines()
        .filter(|l| l.contains("OPERATOR") || l.contains("STATE"))
        .collect();
    assert!(!log_rows.is_empty(), "{s}");
    assert!(
        log_rows.iter().all(|l| l.contains("resume")),
        "a row without `resume`:\n{s}"
    );
    // The wheel over the Market pane moves its row, and the chart follows:
    // one notch up from XAU/USD is EUR/USD.
    let (x, y) = cell_of(&s, "oanda    XAU/USD");
    wheel(&tmux, x, y, true);
    tmux.wait_for("the EUR/USD chart", 10, |s| s.contains("┌Chart EUR/USD 1m"));
    // Esc clears the search: every operator row again.
    tmux.keys("Escape");
    tmux.wait_for("the search cleared", 10, |s| {
        !s.contains("/ resume") && s.matches("OPERATOR").count() >= 4
    });
    tmux.keys("q");
}
