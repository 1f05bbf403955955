//! The built-in configuration: `omni.toml.example`, compiled in. It is the
//! one place defaults are written; a user's file is merged over it, and any
//! component can read its own section from it (tests, and the demo run
//! with no file at all).

use serde::de::DeserializeOwned;

/// The text of `omni.toml.example`.
pub const TOML: &str = include_str!("../../../omni.toml.example");

/// The built-in value of the section at a dotted path such as
/// `scanners.binary` or `market.demo`.
///
/// # Panics
/// If the path is not in the file or does not deserialize as `T`: the file
/// is compiled in, and the binary's configuration tests parse every section
/// of it, so this is a programming error, caught by those tests.
pub fn section<T: DeserializeOwned>(path: &str) -> T {
    try_section(path).unwrap_or_else(|e| panic!("built-in [{path}]: {e}"))
}

/// Like [`section`], with the error returned.
pub fn try_section<T: DeserializeOwned>(path: &str) -> Result<T, String> {
    let mut value: toml::Value = toml::from_str(TOML).map_err(|e| e.to_string())?;
    for key in path.split('.') {
        value = match value {
            toml::Value::Table(mut t) => t.remove(key).ok_or(format!("no key `{key}`"))?,
            _ => return Err(format!("`{key}` is not in a table")),
        };
    }
    value.try_into().map_err(|e: toml::de::Error| e.to_string())
}
