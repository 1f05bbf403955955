//! Configuration errors: each names the file, the line and the key.

use std::path::PathBuf;

/// A configuration problem the user must fix.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{path}: cannot read config: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file parsed badly or a value is not allowed.
    #[error("{path}:{line}: key `{key}`: {message}")]
    Invalid {
        /// The file (or `<built-in defaults>`).
        path: String,
        /// 1-based line of the offending key (0 when it has no place in the file,
        /// e.g. a default that a changed key now contradicts).
        line: usize,
        /// Dotted key path, e.g. `accounts[1].balance`.
        key: String,
        message: String,
    },
}
