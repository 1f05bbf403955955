//! Finding and parsing `omni.toml`.

use super::Config;
use super::error::ConfigError;
use omni_core::domain::Catalog;
use omni_core::validation::{Invalid, KeyPath, line_of};
use omni_sim::demo::assets::is_bundled;
use std::path::{Path, PathBuf};

/// Where the configuration came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigOrigin {
    /// A file on disk.
    File(PathBuf),
    /// No file was found: the embedded defaults (the demo).
    Defaults,
}

impl std::fmt::Display for ConfigOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigOrigin::File(p) => write!(f, "{}", p.display()),
            ConfigOrigin::Defaults => write!(f, "<built-in defaults>"),
        }
    }
}

/// A parsed, validated configuration and its catalog.
#[derive(Clone, Debug)]
pub struct LoadedConfig {
    pub config: Config,
    /// Venues, instruments and accounts by index.
    pub catalog: Catalog,
    /// Where it came from.
    pub origin: ConfigOrigin,
    /// Directory relative paths in the file are resolved against.
    pub base_dir: PathBuf,
}

/// The file to use: `explicit` if given, else `./omni.toml`, else
/// `$XDG_CONFIG_HOME/omni-tui/omni.toml`; `None` means the defaults.
pub fn locate(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(p.to_path_buf());
    }
    let local = PathBuf::from("omni.toml");
    if local.is_file() {
        return Some(local);
    }
    let xdg = dirs::config_dir()?.join("omni-tui").join("omni.toml");
    xdg.is_file().then_some(xdg)
}

/// A warning when a file that may hold secrets (the configuration, a key
/// file) can be read by its group or by others: `None` when only its owner
/// can, when its mode cannot be read, or off Unix.
pub fn readable_by_others(path: &Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
        (mode & 0o044 != 0).then(|| {
            format!(
                "{} is readable by {} (mode {mode:03o}); it says where secrets are kept: \
                 `chmod 600 {}`",
                path.display(),
                match (mode & 0o040 != 0, mode & 0o004 != 0) {
                    (true, true) => "its group and by others",
                    (true, false) => "its group",
                    _ => "others",
                },
                path.display()
            )
        })
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// Places a refused value in its file: at the key's line when the file
/// writes the key; else (the key's value is a built-in default) at the
/// file's key the check names as its cause, when the file writes that.
/// `text` is `None` for the built-in defaults alone (no file).
fn place(e: Invalid, path: &str, text: Option<&str>) -> ConfigError {
    let Some(text) = text else {
        return ConfigError::Builtin {
            key: Some(e.key.to_string()),
            message: e.message,
        };
    };
    place_key(
        e.key.to_string(),
        &e.key,
        e.because.as_ref(),
        e.message,
        path,
        text,
    )
}

/// [`place`] for a key shown as `shown` (the deserializer's own spelling).
fn place_key(
    shown: String,
    key: &KeyPath,
    because: Option<&KeyPath>,
    message: String,
    path: &str,
    text: &str,
) -> ConfigError {
    match key.line_in(text) {
        Some(line) => ConfigError::Invalid {
            path: path.to_string(),
            line,
            key: shown,
            message,
        },
        None => ConfigError::Default {
            path: path.to_string(),
            key: shown,
            message,
            because: because.and_then(|b| b.line_in(text).map(|line| (b.to_string(), line))),
        },
    }
}

/// A warning for the user: to the log file when the cockpit has set one
/// up (it owns the terminal), else to stderr (headless and the other
/// commands).
pub fn warn(message: &str) {
    if tracing::dispatcher::has_been_set() {
        tracing::warn!("{message}");
    } else {
        eprintln!("omni-tui: warning: {message}");
    }
}

/// Locates, reads, parses and validates the configuration. A file its
/// group or others can read gets a warning ([`readable_by_others`]).
pub fn load(explicit: Option<&Path>) -> Result<LoadedConfig, ConfigError> {
    match locate(explicit) {
        Some(path) => {
            if let Some(w) = readable_by_others(&path) {
                warn(&w);
            }
            let text = std::fs::read_to_string(&path).map_err(|cause| ConfigError::Read {
                path: path.clone(),
                cause,
            })?;
            let base_dir = path
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| PathBuf::from("."));
            parse_str(&text, ConfigOrigin::File(path), base_dir)
        }
        None => {
            let config = Config::default();
            let catalog = config
                .validate(None, &is_bundled)
                .map_err(|e| place(e, "<built-in defaults>", None))?;
            Ok(LoadedConfig {
                config,
                catalog,
                origin: ConfigOrigin::Defaults,
                base_dir: PathBuf::from("."),
            })
        }
    }
}

/// Parses and validates configuration text; relative paths resolve
/// against `base_dir`.
pub fn parse_str(
    text: &str,
    origin: ConfigOrigin,
    base_dir: PathBuf,
) -> Result<LoadedConfig, ConfigError> {
    let name = origin.to_string();
    let config = parse_config(text, &name)?;
    let catalog = config
        .validate(Some(&base_dir), &is_bundled)
        .map_err(|e| place(e, &name, Some(text)))?;
    Ok(LoadedConfig {
        config,
        catalog,
        origin,
        base_dir,
    })
}

/// Deserializes the text over the defaults, turning errors into
/// file:line:key errors.
///
/// The file is merged into the serialized defaults table by table, so a
/// section that sets one key keeps the defaults of its other keys (a
/// `[feeds.kraken]` with only a `url` keeps Kraken's heartbeat; a
/// `[risk.hours.forex]` with only a `daily_break` keeps the weekly session).
/// Arrays of tables (`[[accounts]]`, …) replace the default list whole.
fn parse_config(text: &str, name: &str) -> Result<Config, ConfigError> {
    let user: toml::Table = toml::from_str(text).map_err(|e| {
        let (line, column) = e.span().map_or((1, 1), |s| {
            (line_of(text, s.start), column_of(text, s.start))
        });
        let mut message = e.message().trim().to_string();
        // toml's words for an integer past 64 bits ("… as i128, expected
        // any valid TOML value") do not say what is wrong.
        if message.contains("as i128") {
            message.push_str("; a TOML integer is at most 9_223_372_036_854_775_807");
        }
        ConfigError::Syntax {
            path: name.to_string(),
            line,
            column,
            key: key_on_line(text, line),
            message,
        }
    })?;
    // The built-in file is parsed once per process: every load starts from it.
    static DEFAULTS: std::sync::OnceLock<Result<toml::Table, String>> = std::sync::OnceLock::new();
    let defaults = DEFAULTS
        .get_or_init(|| toml::from_str(omni_core::defaults::TOML).map_err(|e| e.to_string()));
    let mut merged = defaults.clone().map_err(|e| ConfigError::Builtin {
        key: None,
        message: format!("the built-in omni.toml.example does not parse: {e}"),
    })?;
    merge(&mut merged, user);
    let value = toml::Value::Table(merged.clone());
    serde_path_to_error::deserialize::<_, Config>(value).map_err(|e| {
        let key = name_unknown_key(&merged, e.path()).unwrap_or_else(|| e.path().to_string());
        let message = e.into_inner().message().trim().to_string();
        place_key(
            key.clone(),
            &KeyPath::parse(&key),
            None,
            message,
            name,
            text,
        )
    })
}

/// 1-based column, in characters, of a byte offset.
fn column_of(text: &str, offset: usize) -> usize {
    let before = &text.as_bytes()[..offset.min(text.len())];
    let start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    // Characters, not bytes: UTF-8 continuation bytes are not counted.
    before[start..]
        .iter()
        .filter(|&&b| b & 0xC0 != 0x80)
        .count()
        + 1
}

/// The failing path with its unknown map key named. The path tracker
/// cannot spell a key that is not a string in Rust (`[feeds.kraken]` is a
/// map keyed by `VenueKind`) and writes `feeds.?.max_frame_bytes`; trying
/// the entries of that table one at a time finds the one that fails the
/// same way. `None` when the path has no unknown key or none is found.
fn name_unknown_key(merged: &toml::Table, path: &serde_path_to_error::Path) -> Option<String> {
    use serde_path_to_error::Segment;
    let wanted = path.to_string();
    // The tables down to the unknown key (only tables hold one in this file).
    let mut prefix = Vec::new();
    for s in path.iter() {
        match s {
            Segment::Map { key } => prefix.push(key.as_str()),
            Segment::Unknown => break,
            _ => return None,
        }
    }
    let written = format!("{}.?", prefix.join("."));
    let rest = wanted.strip_prefix(&written)?;
    let mut entries = merged;
    for k in &prefix {
        entries = entries.get(*k)?.as_table()?;
    }
    for (k, v) in entries {
        let mut only = merged.clone();
        let mut t = &mut only;
        for p in &prefix {
            t = t.get_mut(*p)?.as_table_mut()?;
        }
        *t = toml::Table::from_iter([(k.clone(), v.clone())]);
        if let Err(e) = serde_path_to_error::deserialize::<_, Config>(toml::Value::Table(only))
            && e.path().to_string() == wanted
        {
            return Some(format!("{}.{k}{rest}", prefix.join(".")));
        }
    }
    None
}

/// The key path written on `line` (1-based) of text that does not parse,
/// e.g. `accounts[1].balance` for a balance too large for TOML: the
/// `[table]` or `[[array]]` header above it (arrays counted by their
/// headers) and the key before the line's `=`. `None` for a line with no
/// `key = value` (a header, a comment, the inside of a multi-line value).
fn key_on_line(text: &str, line: usize) -> Option<String> {
    let mut table = String::new();
    let mut counts: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (i, raw) in text.lines().enumerate() {
        let l = raw.trim();
        if i + 1 == line {
            let (key, _) = l.split_once('=')?;
            let parts: Vec<&str> = key.trim().split('.').map(str::trim).collect();
            // Only a key as TOML writes one: bare (letters, digits, `_`,
            // `-`) or quoted, so a line that is not `key = value` (a
            // header, a comment, a broken key) names no key at all.
            let written = |k: &str| {
                let bare = !k.is_empty()
                    && k.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                let quoted = k.len() >= 2
                    && ((k.starts_with('"') && k.ends_with('"'))
                        || (k.starts_with('\'') && k.ends_with('\'')));
                bare || quoted
            };
            if !parts.iter().all(|k| written(k)) {
                return None;
            }
            let key = parts
                .iter()
                .map(|k| k.trim_matches('"').trim_matches('\''))
                .collect::<Vec<_>>()
                .join(".");
            return Some(if table.is_empty() {
                key
            } else {
                format!("{table}.{key}")
            });
        }
        if let Some(name) = l.strip_prefix("[[").and_then(|r| r.split_once("]]")) {
            let name = name.0.trim().to_string();
            let n = counts.entry(name.clone()).or_insert(0);
            table = format!("{name}[{n}]");
            *n += 1;
        } else if let Some(name) = l.strip_prefix('[').and_then(|r| r.split_once(']')) {
            table = name.0.trim().to_string();
        }
    }
    None
}

/// Merges `user` into `base`: tables recursively, everything else replaced.
fn merge(base: &mut toml::Table, user: toml::Table) {
    for (k, v) in user {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(u)) => merge(b, u),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}
