//! One writing process per database, headless on a database of its own
//! when `--db` is not given, and a clean stop on SIGTERM and SIGINT.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_omni-tui");

/// The binary in `dir`, with the XDG directories (and the temporary
/// directory) inside it so nothing touches the real home.
fn command(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.current_dir(dir)
        .env("XDG_CONFIG_HOME", dir.join("cfg"))
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("XDG_STATE_HOME", dir.join("state"))
        .env("TMPDIR", dir.join("tmp"))
        .args(args);
    c
}

fn omni(dir: &Path, args: &[&str]) -> Output {
    command(dir, args).output().expect("runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A child process killed (SIGKILL) when the test ends, passed or not.
struct Running(Option<Child>);

impl Running {
    fn id(&self) -> u32 {
        self.0.as_ref().map_or(0, Child::id)
    }

    /// The child, no longer killed at the end.
    fn take(mut self) -> Child {
        self.0.take().expect("taken once")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(c) = &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A headless run long enough to outlive the test, writing to `db`.
fn long_writer(dir: &Path, db: &Path, json: bool) -> Running {
    let db = db.to_str().expect("utf-8 path");
    let mut args = vec!["--db", db, "headless", "--events", "100000000"];
    if json {
        args.push("--json");
    }
    command(dir, &args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map(|c| Running(Some(c)))
        .expect("spawn")
}

/// Waits until `pid` has written itself into the database's lock file.
fn wait_for_lock(db: &Path, pid: u32) {
    let t0 = Instant::now();
    loop {
        let lock = omni_store::lock::lock_path(db);
        if std::fs::read_to_string(&lock).is_ok_and(|t| t.trim() == pid.to_string()) {
            return;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "pid {pid} never took the lock {}",
            lock.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Opportunities stored so far (0 before the database exists).
fn opportunities(db: &Path) -> i64 {
    rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .and_then(|c| c.query_row("SELECT COUNT(*) FROM opportunities", [], |r| r.get(0)))
        .unwrap_or(0)
}

fn signal(pid: u32, sig: &str) {
    let ok = Command::new("kill")
        .args([&format!("-{sig}"), &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(ok.success(), "kill -{sig} {pid}");
}

#[test]
fn a_second_writer_is_refused_naming_the_file_and_the_pid_until_the_first_dies() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db: PathBuf = dir.path().join("shared.db");
    let first = long_writer(dir.path(), &db, false);
    wait_for_lock(&db, first.id());
    // Its schema is in place and rows are being written.
    let t0 = Instant::now();
    while opportunities(&db) == 0 {
        assert!(t0.elapsed() < Duration::from_secs(60), "nothing written");
        std::thread::sleep(Duration::from_millis(50));
    }

    let second = omni(
        dir.path(),
        &["--db", "shared.db", "headless", "--events", "1000"],
    );
    let err = text(&second.stderr);
    assert!(!second.status.success(), "a second writer ran: {err}");
    assert_eq!(second.status.code(), Some(2), "{err}");
    assert!(err.contains("shared.db"), "names the file: {err}");
    assert!(
        err.contains(&format!("pid {}", first.id())),
        "names the holder's pid {}: {err}",
        first.id()
    );

    // Readers are not writers.
    let trades = omni(dir.path(), &["--db", "shared.db", "trades", "--json"]);
    assert!(trades.status.success(), "{}", text(&trades.stderr));
    let rows: serde_json::Value =
        serde_json::from_slice(&trades.stdout).expect("trades prints JSON");
    assert!(rows.is_array(), "{rows}");

    // SIGKILL: the operating system releases the lock; the file left
    // behind blocks nobody.
    let mut first = first.take();
    first.kill().expect("SIGKILL");
    first.wait().expect("reaped");
    assert!(omni_store::lock::lock_path(&db).exists());
    let third = omni(
        dir.path(),
        &["--db", "shared.db", "headless", "--events", "1000"],
    );
    assert!(third.status.success(), "{}", text(&third.stderr));
}

#[test]
fn headless_without_db_runs_on_a_fresh_temporary_database_each_time() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("tmp")).expect("tmp");
    let args = [
        "headless",
        "--approve",
        "all",
        "--events",
        "20000",
        "--seed",
        "5",
        "--json",
    ];
    let a = omni(dir.path(), &args);
    assert!(a.status.success(), "{}", text(&a.stderr));
    let b = omni(dir.path(), &args);
    assert!(b.status.success(), "{}", text(&b.stderr));
    let v: serde_json::Value = serde_json::from_slice(&a.stdout).expect("JSON");
    assert!(v["trades"].as_u64() > Some(0), "{v}");
    assert_eq!(
        text(&a.stdout),
        text(&b.stdout),
        "the second run resumed the first one's database"
    );
    let err = text(&a.stderr);
    assert!(err.contains("temporary database"), "{err}");
    // Neither the default database nor the temporary one is left behind.
    assert!(!dir.path().join("data/omni-tui/omni.db").exists());
    let left: Vec<_> = std::fs::read_dir(dir.path().join("tmp"))
        .expect("tmp")
        .collect();
    assert!(left.is_empty(), "left in TMPDIR: {left:?}");
}

#[test]
fn sigterm_and_sigint_stop_a_headless_run_cleanly_with_128_plus_the_signal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("stop.db");
    for (sig, code) in [("TERM", 143), ("INT", 130)] {
        let before = opportunities(&db);
        let child = long_writer(dir.path(), &db, true);
        wait_for_lock(&db, child.id());
        // Let it write something first.
        let t0 = Instant::now();
        while opportunities(&db) <= before {
            assert!(t0.elapsed() < Duration::from_secs(60), "nothing written");
            std::thread::sleep(Duration::from_millis(50));
        }
        signal(child.id(), sig);
        let out = child.take().wait_with_output().expect("waits");
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "SIG{sig}: {err}");
        assert!(err.contains(&format!("stopped by SIG{sig}")), "{err}");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", text(&out.stdout)));
        assert!(v["events"].as_u64() > Some(0), "{v}");
        assert!(v["events"].as_u64() < Some(100_000_000), "{v}");
    }
    let conn = rusqlite::Connection::open(&db).expect("db");
    let runs: i64 = conn
        .query_row("SELECT COUNT(*) FROM runs", [], |r| r.get(0))
        .expect("runs");
    assert_eq!(runs, 2);
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("check");
    assert_eq!(ok, "ok");
}
