//! Configuration errors: each names the file, the line and the key.

use std::path::PathBuf;

/// A configuration problem the user must fix.
///
/// Like every error type of the project, its text is whole (it states its
/// cause) and it exposes no `source()`, so the `{:#}` chain `main` prints
/// says each cause once.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{path}: cannot read config: {cause}")]
    Read {
        path: PathBuf,
        cause: std::io::Error,
    },
    /// The file is not valid TOML.
    #[error(
        "{path}:{line}:{column}: {}not valid TOML: {message}",
        key.as_ref().map(|k| format!("key `{k}`: ")).unwrap_or_default()
    )]
    Syntax {
        path: String,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column (in characters) of the error.
        column: usize,
        /// The key written on that line, when it has one (`key = value`).
        key: Option<String>,
        /// What is wrong, in the TOML parser's words.
        message: String,
    },
    /// A value written in the file is not allowed.
    #[error("{path}:{line}: key `{key}`: {message}")]
    Invalid {
        path: String,
        /// 1-based line where the key is written.
        line: usize,
        /// Dotted key path, e.g. `accounts[1].balance`.
        key: String,
        message: String,
    },
    /// A value the file does not set (its built-in default is used) is
    /// not allowed: most often a cross-key check that a key of the file
    /// breaks, e.g. a `[[venues]]` list without a venue the built-in
    /// `[[instruments]]` list on.
    #[error("{}", default_text(path, key, message, because.as_ref()))]
    Default {
        path: String,
        /// Dotted key path of the refused default.
        key: String,
        message: String,
        /// The key of the file the default clashes with, and its line.
        because: Option<(String, usize)>,
    },
    /// The built-in configuration itself is refused (no file was found),
    /// e.g. when a file it names cannot be read.
    #[error(
        "<built-in defaults>: {}{message}",
        key.as_ref().map(|k| format!("key `{k}`: ")).unwrap_or_default()
    )]
    Builtin {
        key: Option<String>,
        message: String,
    },
}

/// The text of [`ConfigError::Default`]: placed at the file's key that
/// caused it when there is one, else at the file alone, never at a line
/// the key is not on.
fn default_text(path: &str, key: &str, message: &str, because: Option<&(String, usize)>) -> String {
    match because {
        Some((cause, line)) => format!(
            "{path}:{line}: key `{cause}` makes the built-in default of `{key}` \
             (not set in this file) invalid: {message}"
        ),
        None => format!("{path}: key `{key}` (built-in default; not set in this file): {message}"),
    }
}
