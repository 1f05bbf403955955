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
    fn new() -> Self {
        let v = Command::new("tmux").arg("-V").output();
        assert!(
            v.is_ok_and(|o| o.status.success()),
            "this test needs tmux (.ci/run installs it)"
        );
        Self {
            socket: format!("omni-e2e-{}", std::process::id()),
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
        let cmd = format!(
            "cd {} && XDG_CONFIG_HOME={0}/cfg XDG_DATA_HOME={0}/data XDG_STATE_HOME={0}/state exec {} --db e2e.db",
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
    let tmux = Tmux::new();
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
    let s = tmux.wait_for("the restarted cockpit", 30, titles_on);
    let s = if s.contains("HALTED") {
        s
    } else {
        tmux.wait_for("HALTED", 5, |s| s.contains("HALTED"))
    };
    assert!(s.contains("HALTED · kill switch"), "{s}");
    assert!(
        s.lines().last().is_some_and(|l| l.contains("HALTED")),
        "{s}"
    );
    tmux.keys("q");
}
