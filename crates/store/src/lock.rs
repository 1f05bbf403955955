//! One writer process per database: an exclusive advisory lock on a
//! sidecar file, `<db>.lock`, which holds the pid of the process that has
//! it. The lock is taken before the database is opened for writing and
//! kept by the store writer until its connection is closed; the operating
//! system releases it when the process dies, even by SIGKILL, so a lock
//! file left behind never blocks anyone. Read-only connections take no
//! lock.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds it.
    #[error(
        "database {db} is in use by another omni-tui process ({holder}; lock file {lock}): \
         only one process may write to a database; read-only commands such as \
         `omni-tui trades` still work, or pick another --db"
    )]
    Busy {
        db: String,
        lock: String,
        /// `pid N`, or `pid unknown` when the file did not say.
        holder: String,
        /// The holder's pid, when the lock file names one.
        pid: Option<u32>,
    },
    /// The lock file could not be created, read or written.
    #[error("lock file {path}: {cause}")]
    Io {
        path: String,
        /// Not named `source`: the text states it (see `ConfigError`).
        cause: std::io::Error,
    },
}

/// The lock file of a database: `<db>.lock` beside it.
pub fn lock_path(db: &Path) -> PathBuf {
    // The same file however the path is spelled (a symlink, `./x.db`).
    let db = std::fs::canonicalize(db).unwrap_or_else(|_| db.to_path_buf());
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    db.with_file_name(name)
}

/// Held while this process may write to the database; dropping it (or the
/// process ending) releases the lock.
#[derive(Debug)]
pub struct DbLock {
    file: File,
    path: PathBuf,
}

impl DbLock {
    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for DbLock {
    fn drop(&mut self) {
        // Still locked here: nobody else can be writing their pid. The
        // lock itself goes with the file descriptor.
        let _ = self.file.set_len(0);
    }
}

/// Takes the database's write lock without waiting: fails with
/// [`LockError::Busy`], naming the holder's pid, when another process (or
/// another handle in this one) has it. Creates the directory when needed.
pub fn lock(db: &Path) -> Result<DbLock, LockError> {
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|cause| LockError::Io {
            path: dir.display().to_string(),
            cause,
        })?;
    }
    let path = lock_path(db);
    let io = |cause| LockError::Io {
        path: path.display().to_string(),
        cause,
    };
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let pid = holder_pid(&mut file);
            return Err(LockError::Busy {
                db: db.display().to_string(),
                lock: path.display().to_string(),
                holder: pid.map_or_else(|| "pid unknown".to_string(), |p| format!("pid {p}")),
                pid,
            });
        }
        Err(TryLockError::Error(e)) => return Err(io(e)),
    }
    file.set_len(0).map_err(io)?;
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    writeln!(file, "{}", std::process::id()).map_err(io)?;
    file.flush().map_err(io)?;
    Ok(DbLock { file, path })
}

/// The pid written in a lock file. The holder writes it just after taking
/// the lock, so an empty file is read again for a moment.
fn holder_pid(file: &mut File) -> Option<u32> {
    for _ in 0..20 {
        let mut text = String::new();
        if file.seek(SeekFrom::Start(0)).is_ok()
            && file.read_to_string(&mut text).is_ok()
            && let Ok(pid) = text.trim().parse()
        {
            return Some(pid);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_with_the_pid_and_a_released_one_is_free() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("sub").join("a.db");
        let held = lock(&db).expect("first");
        assert_eq!(held.path(), lock_path(&db));
        let text = std::fs::read_to_string(held.path()).expect("read");
        assert_eq!(text.trim(), std::process::id().to_string());
        match lock(&db) {
            Err(LockError::Busy { pid, db: name, .. }) => {
                assert_eq!(pid, Some(std::process::id()));
                assert!(name.ends_with("a.db"), "{name}");
            }
            other => panic!("expected Busy, got {other:?}"),
        }
        drop(held);
        let again = lock(&db).expect("free after release");
        drop(again);
    }
}
