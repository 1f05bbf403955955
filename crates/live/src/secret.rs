//! API keys: a type that never shows its value, and where keys come from.
//!
//! A [`Secret`] prints `<redacted>` through `Debug` and `Display`, is not
//! `Serialize`, and is wiped from memory when dropped; its value is read
//! only where a request is signed or a header is set ([`Secret::expose`]).
//! Keys come from environment variables or from a key file that only its
//! owner may read: a file group or others can read is refused, as a
//! leaked key is worse than a refused start.

use std::fmt;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// A secret value (API key, API secret, password).
#[derive(Clone)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(Zeroizing::new(value.into()))
    }

    /// The value, for signing a request or setting a header only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// An API key and its secret.
#[derive(Clone, Debug)]
pub struct Credentials {
    pub key: Secret,
    pub secret: Secret,
}

/// Why keys could not be had. The text names the variable or the file,
/// never a value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("environment variable {0} is not set (or is empty)")]
    MissingEnv(String),
    #[error("{path}: {message}")]
    File { path: String, message: String },
}

/// Reads the key and secret from the environment variables `key_env` and
/// `secret_env`.
pub fn from_env(key_env: &str, secret_env: &str) -> Result<Credentials, SecretError> {
    let read = |name: &str| match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => Ok(Secret::new(v.trim())),
        _ => Err(SecretError::MissingEnv(name.to_string())),
    };
    Ok(Credentials {
        key: read(key_env)?,
        secret: read(secret_env)?,
    })
}

/// Reads a key file of two lines, `key = …` and `secret = …` (blank lines
/// and `#` comments allowed), refusing a file that group or others may
/// read or write.
pub fn from_file(path: &Path) -> Result<Credentials, SecretError> {
    let err = |message: String| SecretError::File {
        path: path.display().to_string(),
        message,
    };
    check_private(path).map_err(err)?;
    let text = std::fs::read_to_string(path).map_err(|e| err(format!("cannot read: {e}")))?;
    let text = Zeroizing::new(text);
    let mut key = None;
    let mut secret = None;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((name, value)) = line.split_once('=') else {
            return Err(err(format!(
                "line {}: expected `key = …` or `secret = …`",
                n + 1
            )));
        };
        let value = value.trim().trim_matches('"');
        match name.trim() {
            "key" => key = Some(Secret::new(value)),
            "secret" => secret = Some(Secret::new(value)),
            other => {
                return Err(err(format!(
                    "line {}: unknown name `{other}` (expected key or secret)",
                    n + 1
                )));
            }
        }
    }
    match (key, secret) {
        (Some(key), Some(secret)) if !key.is_empty() && !secret.is_empty() => {
            Ok(Credentials { key, secret })
        }
        _ => Err(err("needs both `key = …` and `secret = …`".into())),
    }
}

/// Refuses a file whose mode lets group or others read or write it.
#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read: {e}"))?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(format!(
            "mode {mode:o} lets others read it; refused (run `chmod 600 {}`)",
            path.display()
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path) -> Result<(), String> {
    Ok(())
}

/// Where an account's keys come from, as configured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeySource {
    /// Environment variables holding the key and the secret.
    Env { key: String, secret: String },
    /// A private key file.
    File(PathBuf),
}

impl KeySource {
    /// Reads the keys.
    pub fn load(&self) -> Result<Credentials, SecretError> {
        match self {
            KeySource::Env { key, secret } => from_env(key, secret),
            KeySource::File(path) => from_file(path),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_secret_never_prints() {
        let s = Secret::new("CANARY-123");
        assert_eq!(format!("{s} {s:?}"), "<redacted> <redacted>");
        let c = Credentials {
            key: Secret::new("CANARY-K"),
            secret: s,
        };
        assert!(!format!("{c:?}").contains("CANARY"));
    }

    #[test]
    fn a_key_file_others_can_read_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("binance.keys");
        std::fs::write(&path, "key = CANARY-K\nsecret = CANARY-S\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = from_file(&path).unwrap_err().to_string();
        assert!(e.contains("mode 644") && e.contains("refused"), "{e}");
        assert!(!e.contains("CANARY"), "{e}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let c = from_file(&path).unwrap();
        assert_eq!(
            (c.key.expose(), c.secret.expose()),
            ("CANARY-K", "CANARY-S")
        );
    }

    #[test]
    fn a_malformed_key_file_names_its_line_not_its_values() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        std::fs::write(&path, "key = CANARY-K\npassword CANARY-S\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let e = from_file(&path).unwrap_err().to_string();
        assert!(e.contains("line 2"), "{e}");
        assert!(!e.contains("CANARY"), "{e}");
    }

    #[test]
    fn a_missing_variable_is_named() {
        let e = from_env("OMNI_TEST_NO_SUCH_KEY", "OMNI_TEST_NO_SUCH_SECRET").unwrap_err();
        assert_eq!(
            e.to_string(),
            "environment variable OMNI_TEST_NO_SUCH_KEY is not set (or is empty)"
        );
    }
}
