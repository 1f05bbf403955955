//! The store fails loudly and closed: a damaged file or a newer schema is
//! refused at open, a write error reaches the caller with the database's
//! name and SQLite's words, and a kill-latch flag that is not a clear "off"
//! restores latched.

use omni_core::domain::{Catalog, Timestamp};
use omni_core::engine::{Audit, Command};
use omni_store::schema::SCHEMA_VERSION;
use omni_store::{StoreError, StoreHandle, StoreWriter};
use std::path::Path;
use std::time::{Duration, Instant};

fn command(outcome: String) -> Audit {
    Audit::Command {
        command: Command::Pause,
        outcome,
        ts: Timestamp::from_secs(1),
        origin: omni_core::engine::CommandOrigin::Key,
    }
}

/// A database made by the store, with a run and some rows written.
fn made_by_the_store(path: &Path, rows: usize) {
    let conn = omni_store::open(path).expect("open");
    let mut w = StoreWriter::begin_run(conn, &Catalog::default(), "test", 1, "test").expect("run");
    let audits: Vec<Audit> = (0..rows)
        .map(|i| command(format!("row {i} {}", "x".repeat(200))))
        .collect();
    w.apply_batch([audits.as_slice()]).expect("write");
    // Dropping the last connection checkpoints the WAL into the file.
}

#[test]
fn a_newer_schema_is_refused_naming_both_versions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("newer.db");
    made_by_the_store(&path, 1);
    let newer = SCHEMA_VERSION + 4;
    rusqlite::Connection::open(&path)
        .and_then(|c| c.pragma_update(None, "user_version", newer))
        .expect("set user_version");
    let e = omni_store::open(&path).expect_err("a newer schema must be refused");
    assert!(
        matches!(e, StoreError::TooNew { found, supported, .. } if found == newer && supported == SCHEMA_VERSION),
        "{e:?}"
    );
    let msg = e.to_string();
    assert!(msg.contains("newer.db"), "{msg}");
    assert!(msg.contains(&format!("schema version {newer}")), "{msg}");
    assert!(
        msg.contains(&format!("this build's {SCHEMA_VERSION}")),
        "{msg}"
    );
    // Nothing was migrated or written.
    let v: i64 = rusqlite::Connection::open(&path)
        .and_then(|c| c.query_row("PRAGMA user_version", [], |r| r.get(0)))
        .expect("read user_version");
    assert_eq!(v, newer);
    // The current version still opens.
    rusqlite::Connection::open(&path)
        .and_then(|c| c.pragma_update(None, "user_version", SCHEMA_VERSION))
        .expect("reset user_version");
    omni_store::open(&path).expect("the current schema opens");
}

#[test]
fn a_damaged_file_is_refused_at_open_with_a_recovery_hint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("damaged.db");
    made_by_the_store(&path, 200);
    omni_store::open(&path).expect("the healthy file opens");
    assert!(
        !path.with_extension("db-wal").exists()
            || std::fs::metadata(path.with_extension("db-wal")).map_or(0, |m| m.len()) == 0,
        "the WAL was checkpointed into the file"
    );
    let mut bytes = std::fs::read(&path).expect("read");
    let page = 4096;
    assert!(bytes.len() >= 8 * page, "{} bytes", bytes.len());
    // Garbage over the third page (a b-tree page of one of the tables).
    for (i, b) in bytes[2 * page..3 * page].iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(37) ^ 0xA5;
    }
    std::fs::write(&path, &bytes).expect("write garbage");

    let e = omni_store::open(&path).expect_err("a damaged file must be refused");
    assert!(matches!(e, StoreError::Damaged { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(msg.contains("damaged.db"), "{msg}");
    assert!(msg.contains(".recover"), "{msg}");
    assert!(msg.contains("Move it aside"), "{msg}");
    // Refused before anything was written to it.
    assert_eq!(std::fs::read(&path).expect("read again"), bytes);
}

#[test]
fn a_file_that_is_not_a_database_is_refused_with_the_hint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("notes.db");
    std::fs::write(
        &path,
        "this is not a database, it only has the name of one\n".repeat(200),
    )
    .expect("write");
    let e = omni_store::open(&path).expect_err("refused");
    assert!(matches!(e, StoreError::Damaged { .. }), "{e:?}");
    assert!(e.to_string().contains("notes.db"), "{e}");
}

#[test]
fn a_kill_latch_flag_that_is_not_a_clear_off_restores_latched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("latch.db");
    made_by_the_store(&path, 1);
    let conn = omni_store::open(&path).expect("open");
    let catalog = Catalog::default();
    let restored = omni_store::load_state(&conn, &catalog).expect("load");
    assert!(!restored.kill_latched, "no flag stored: a new database");
    let set = |v: &str| {
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('kill_latched', ?1)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [v],
        )
        .expect("set flag");
    };
    for value in ["yes", "", "garbage", "1", "true", " 0", "00", "off"] {
        set(value);
        let restored = omni_store::load_state(&conn, &catalog).expect("load");
        assert!(restored.kill_latched, "`{value}` must restore latched");
    }
    set(omni_store::load::KILL_OFF);
    assert_eq!(omni_store::load::KILL_OFF, "0");
    let restored = omni_store::load_state(&conn, &catalog).expect("load");
    assert!(!restored.kill_latched, "the store's own off value");
}

/// Sends until the writer's failure shows, and returns that error.
fn first_failure(h: &StoreHandle) -> StoreError {
    let t0 = Instant::now();
    loop {
        if let Err(e) = h
            .send(vec![command("after".into())])
            .and_then(|()| h.flush())
        {
            return e;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "the writer never failed"
        );
    }
}

#[test]
fn a_full_disk_reaches_the_caller_with_the_file_name_and_sqlites_words() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("full.db");
    let conn = omni_store::open(&path).expect("open");
    // The database may not grow: as good as a full disk, even for root.
    let pages: i64 = conn
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .expect("page_count");
    conn.pragma_update(None, "max_page_count", pages)
        .expect("max_page_count");
    let w = StoreWriter::begin_run(conn, &Catalog::default(), "test", 1, "test").expect("run");
    let h = StoreHandle::spawn(w);
    h.send(vec![command("y".repeat(256 * 1024))])
        .expect("queued before the writer fails");
    let e = first_failure(&h);
    let msg = e.to_string();
    assert!(msg.contains("full.db"), "{msg}");
    assert!(msg.contains("database or disk is full"), "{msg}");
    assert!(!msg.contains("thread exited"), "{msg}");
    // Every later send says the same, and close returns SQLite's error.
    let again = h
        .send(vec![command("z".into())])
        .expect_err("still stopped");
    assert_eq!(again.to_string(), msg);
    let closed = h.close().expect_err("close reports the failure");
    assert!(
        matches!(&closed, StoreError::Sqlite { path, .. } if path.ends_with("full.db")),
        "{closed:?}"
    );
    assert!(
        closed.to_string().contains("database or disk is full"),
        "{closed}"
    );
}

#[test]
fn a_lock_held_past_the_busy_timeout_reaches_the_caller() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("locked.db");
    let conn = omni_store::open(&path).expect("open");
    let w = StoreWriter::begin_run(conn, &Catalog::default(), "test", 1, "test").expect("run");
    let h = StoreHandle::spawn(w);
    h.send(vec![command("before".into())]).expect("send");
    h.flush().expect("written");
    let other = rusqlite::Connection::open(&path).expect("second connection");
    other.execute_batch("BEGIN EXCLUSIVE").expect("exclusive");
    let t0 = Instant::now();
    let e = first_failure(&h);
    assert!(t0.elapsed() >= Duration::from_secs(4), "{:?}", t0.elapsed());
    let msg = e.to_string();
    assert!(msg.contains("locked.db"), "{msg}");
    assert!(msg.contains("database is locked"), "{msg}");
    other.execute_batch("ROLLBACK").expect("rollback");
    assert!(h.close().is_err());
}
