//! The API's bearer token: 32 random bytes as hex, kept in a file only its
//! owner may read. A run makes the file if it is missing; a file group or
//! others may read is refused, since anyone who reads it can halt or
//! trade. The token never prints: `{}` and `{:?}` say `<redacted>`.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The file's name in the state directory when `[control] token_file` is
/// empty.
pub const TOKEN_FILE: &str = "control.token";

/// Why the token could not be had.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error(
        "{path}: group or others may read it (mode {mode:03o}); anyone who can read the token can halt or trade: run `chmod 600 {path}`"
    )]
    TooOpen { path: String, mode: u32 },
    #[error("{path}: {why}")]
    Io { path: String, why: String },
    #[error(
        "{path}: holds {len} characters, fewer than {MIN_LEN}: too short to be a secret (delete it, and the next run makes a new token)"
    )]
    TooShort { path: String, len: usize },
    #[error("no state directory for the token file: set [control] token_file")]
    NoStateDir,
}

/// A bearer token. Compared in constant time; never displayed.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl Token {
    /// The token as sent in `Authorization: Bearer …` (clients only).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether `presented` is the token, in time that does not depend on
    /// where they differ (only on the presented length).
    pub fn matches(&self, presented: &str) -> bool {
        let (a, b) = (self.0.as_bytes(), presented.as_bytes());
        let mut diff = u8::from(a.len() != b.len());
        for (i, &y) in b.iter().enumerate() {
            let x = a.get(i).copied().unwrap_or(0);
            diff |= x ^ y;
        }
        diff == 0
    }

    /// A new random token.
    fn generate() -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)?;
        Ok(Self(bytes.iter().map(|b| format!("{b:02x}")).collect()))
    }
}

/// Shortest token a file may hold: anything shorter is too easy to guess.
pub const MIN_LEN: usize = 32;

/// Where a running instance writes the address it listens on (beside its
/// token), so `ctl` finds it when `[control] listen` asks for any port.
pub fn addr_path(token: &Path) -> PathBuf {
    token.with_file_name("control.addr")
}

/// Where the token lives: `token_file` if set, else
/// `$XDG_STATE_HOME/omni-tui/control.token` (the data directory where
/// there is no state directory).
pub fn token_path(token_file: &str) -> Result<PathBuf, TokenError> {
    if !token_file.is_empty() {
        return Ok(PathBuf::from(token_file));
    }
    dirs::state_dir()
        .or_else(dirs::data_dir)
        .map(|d| d.join("omni-tui").join(TOKEN_FILE))
        .ok_or(TokenError::NoStateDir)
}

fn io(path: &Path, e: impl fmt::Display) -> TokenError {
    TokenError::Io {
        path: path.display().to_string(),
        why: e.to_string(),
    }
}

/// Reads the token at `path`, refusing a file group or others may read.
pub fn load(path: &Path) -> Result<Token, TokenError> {
    check_private(path)?;
    let text = std::fs::read_to_string(path).map_err(|e| io(path, e))?;
    let token = text.trim();
    if token.len() < MIN_LEN {
        return Err(TokenError::TooShort {
            path: path.display().to_string(),
            len: token.len(),
        });
    }
    Ok(Token(token.to_string()))
}

/// Reads the token at `path`, or makes one there (mode 0600, its folder
/// made if missing) if there is no file.
pub fn load_or_create(path: &Path) -> Result<Token, TokenError> {
    match std::fs::symlink_metadata(path) {
        Ok(_) => load(path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
            }
            let token = Token::generate().map_err(|e| io(path, e))?;
            // Written whole to a private temporary file, then linked into
            // place: a reader never sees a half-written token, and of two
            // instances starting at once the second reads the first's.
            let dir = path
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let mut tmp = tempfile::Builder::new()
                .prefix(".control.token.")
                .tempfile_in(dir)
                .map_err(|e| io(path, e))?;
            writeln!(tmp, "{}", token.0).map_err(|e| io(path, e))?;
            tmp.as_file().sync_all().map_err(|e| io(path, e))?;
            match std::fs::hard_link(tmp.path(), path) {
                Ok(()) => Ok(token),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => load(path),
                Err(e) => Err(io(path, e)),
            }
        }
        Err(e) => Err(io(path, e)),
    }
}

#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), TokenError> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).map_err(|e| io(path, e))?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(TokenError::TooOpen {
            path: path.display().to_string(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path) -> Result<(), TokenError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_token_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t");
        std::fs::write(&path, "abc\n").expect("write");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        }
        let e = load(&path).expect_err("short").to_string();
        assert!(e.contains("3 characters, fewer than 32"), "{e}");
    }

    #[test]
    fn a_token_never_prints_and_compares_exactly() {
        let t = Token("abc123".into());
        assert_eq!(format!("{t} {t:?}"), "<redacted> <redacted>");
        assert!(t.matches("abc123"));
        for wrong in ["", "abc12", "abc1234", "abc124", "ABC123"] {
            assert!(!t.matches(wrong), "{wrong}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn made_private_read_back_and_refused_when_readable_by_others() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sub").join("control.token");
        let made = load_or_create(&path).expect("made");
        assert_eq!(made.expose().len(), 64);
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(load_or_create(&path).expect("read back"), made);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).expect("chmod");
        let err = load_or_create(&path).expect_err("too open").to_string();
        assert!(
            err.contains("mode 640") && err.contains("chmod 600"),
            "{err}"
        );
        assert!(
            !err.contains(made.expose()),
            "the error never carries the token"
        );
    }
}
