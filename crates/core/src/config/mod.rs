//! `omni.toml`: schema, lookup, parsing and validation.

pub mod error;
pub mod load;
pub mod schema;
pub mod validate;

pub use error::ConfigError;
pub use load::{ConfigOrigin, LoadedConfig, load, locate, parse_str};
pub use schema::*;
