//! Finding and parsing `omni.toml`.

use super::error::ConfigError;
use super::schema::Config;
use super::validate::{KeyPath, validate, validate_series_files};
use crate::domain::Catalog;
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

/// Locates, reads, parses and validates the configuration. `bundled` says
/// which demo series names are built into the binary.
pub fn load(
    explicit: Option<&Path>,
    bundled: &dyn Fn(&str) -> bool,
) -> Result<LoadedConfig, ConfigError> {
    match locate(explicit) {
        Some(path) => {
            let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
                path: path.clone(),
                source,
            })?;
            let base_dir = path
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| PathBuf::from("."));
            parse_str(&text, ConfigOrigin::File(path), base_dir, bundled)
        }
        None => {
            let config = Config::default();
            let to_error = |e: super::validate::Invalid| e.into_error("<built-in defaults>", None);
            let catalog = validate(&config, None).map_err(to_error)?;
            validate_series_files(&config, Path::new("."), bundled).map_err(to_error)?;
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
/// against `base_dir`, and `bundled` says which demo series are built in.
pub fn parse_str(
    text: &str,
    origin: ConfigOrigin,
    base_dir: PathBuf,
    bundled: &dyn Fn(&str) -> bool,
) -> Result<LoadedConfig, ConfigError> {
    let name = origin.to_string();
    let config = parse_config(text, &name)?;
    let to_error = |e: super::validate::Invalid| e.into_error(&name, Some(text));
    let catalog = validate(&config, Some(&base_dir)).map_err(to_error)?;
    validate_series_files(&config, &base_dir, bundled).map_err(to_error)?;
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
    let invalid = |line: usize, key: String, message: String| ConfigError::Invalid {
        path: name.to_string(),
        line,
        key,
        message,
    };
    let user: toml::Table = toml::from_str(text).map_err(|e| {
        invalid(
            e.span().map(|s| line_of(text, s.start)).unwrap_or(0),
            "-".into(),
            e.message().trim().to_string(),
        )
    })?;
    let mut merged = toml::Table::try_from(Config::default()).map_err(|e| {
        invalid(
            0,
            "-".into(),
            format!("the built-in defaults do not serialize: {e}"),
        )
    })?;
    merge(&mut merged, user);
    serde_path_to_error::deserialize(toml::Value::Table(merged)).map_err(|e| {
        let key = e.path().to_string();
        let inner = e.into_inner();
        let line = KeyPath::parse(&key).line_in(text).unwrap_or(0);
        invalid(line, key, inner.message().trim().to_string())
    })
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

/// 1-based line number of a byte offset.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}
