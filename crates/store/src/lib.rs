//! SQLite persistence: one writer thread owns the write connection (WAL,
//! foreign keys on, `synchronous=FULL`), applies the engine's audit records
//! in batches, and is the source the cockpit's trade log reads.

#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod load;
pub mod lock;
pub mod schema;
pub mod writer;

pub use load::{TradePage, TradeQuery, TradeRow, account_names, load_state, read_trades};
pub use lock::{DbLock, LockError};
pub use writer::{StoreHandle, StoreWriter, WriterStats};

use rusqlite::Connection;
use std::path::{Path, PathBuf};

/// A store failure. Its text states its cause and it exposes no
/// `source()` (the project's convention, see `ConfigError` in the binary),
/// so the `{:#}` chain the binary prints says each cause once. Written out
/// rather than derived: thiserror would expose a field named `source`.
#[derive(Debug)]
pub enum StoreError {
    /// SQLite failed on the database.
    Sqlite {
        path: String,
        source: rusqlite::Error,
    },
    /// The directory could not be created.
    Dir {
        path: String,
        source: std::io::Error,
    },
    /// The writer thread is gone; the message is its own error (the
    /// database's name and SQLite's words) when it stopped on one.
    WriterGone(String),
    /// `PRAGMA quick_check` (or SQLite itself) found the file damaged; it
    /// is not written to.
    Damaged { path: String, detail: String },
    /// The database was written by a newer build.
    TooNew {
        path: String,
        found: i64,
        supported: i64,
    },
    /// A stored value could not be read back.
    Corrupt {
        table: &'static str,
        message: String,
    },
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Sqlite { path, source } => write!(f, "database {path}: {source}"),
            StoreError::Dir { path, source } => write!(f, "cannot create {path}: {source}"),
            StoreError::WriterGone(why) => write!(f, "the store writer stopped: {why}"),
            StoreError::Damaged { path, detail } => write!(
                f,
                "database {path} is damaged and was not opened ({detail}). Move it aside \
                 (with its -wal and -shm files) to start afresh, or save what it holds with \
                 `sqlite3 {path} .recover | sqlite3 recovered.db` and run with --db recovered.db"
            ),
            StoreError::TooNew {
                path,
                found,
                supported,
            } => write!(
                f,
                "database {path} has schema version {found}, newer than this build's \
                 {supported}: it was written by a newer omni-tui; run that version or pick \
                 another --db"
            ),
            StoreError::Corrupt { table, message } => {
                write!(f, "corrupt row in {table}: {message}")
            }
        }
    }
}

impl std::error::Error for StoreError {}

/// The database path when `--db` is not given: the XDG data directory.
pub fn default_path() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("omni-tui")
        .join("omni.db")
}

/// True for SQLite's words for a damaged file.
fn is_damage(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
    )
}

/// `PRAGMA quick_check`: `ok`, or the file is refused as damaged.
fn quick_check(conn: &Connection, path: &str) -> Result<(), StoreError> {
    let rows = conn.prepare("PRAGMA quick_check").and_then(|mut stmt| {
        stmt.query_map([], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()
    });
    let detail = match rows {
        Ok(rows) if rows.iter().all(|r| r == "ok") => return Ok(()),
        Ok(rows) => {
            // One line per problem, without SQLite's "*** in database main ***".
            let lines: Vec<&str> = rows
                .iter()
                .flat_map(|r| r.lines())
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with("***"))
                .collect();
            let mut d = lines.iter().take(3).copied().collect::<Vec<_>>().join("; ");
            if lines.len() > 3 {
                d.push_str(&format!("; {} more", lines.len() - 3));
            }
            d
        }
        Err(e) if is_damage(&e) => e.to_string(),
        Err(source) => {
            return Err(StoreError::Sqlite {
                path: path.to_string(),
                source,
            });
        }
    };
    Err(StoreError::Damaged {
        path: path.to_string(),
        detail,
    })
}

/// Opens (creating if needed) and migrates a database. Refuses, before
/// writing anything, a file that fails `PRAGMA quick_check` and one whose
/// schema is newer than this build's.
pub fn open(path: &Path) -> Result<Connection, StoreError> {
    let name = path.display().to_string();
    let err = |source: rusqlite::Error| {
        if is_damage(&source) {
            StoreError::Damaged {
                path: name.clone(),
                detail: source.to_string(),
            }
        } else {
            StoreError::Sqlite {
                path: name.clone(),
                source,
            }
        }
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Dir {
            path: dir.display().to_string(),
            source,
        })?;
    }
    let mut conn = Connection::open(path).map_err(err)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(err)?;
    quick_check(&conn, &name)?;
    let found = schema::version(&conn).map_err(err)?;
    if found > schema::SCHEMA_VERSION {
        return Err(StoreError::TooNew {
            path: name,
            found,
            supported: schema::SCHEMA_VERSION,
        });
    }
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(err)?;
    // FULL: a committed batch survives power loss, not only a process crash.
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(err)?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(err)?;
    schema::migrate(&mut conn).map_err(err)?;
    Ok(conn)
}

/// Opens a database read-only (the cockpit's trade log, `omni-tui trades`).
pub fn open_read_only(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|source| StoreError::Sqlite {
        path: path.display().to_string(),
        source,
    })?;
    let _ = conn.busy_timeout(std::time::Duration::from_secs(5));
    Ok(conn)
}
