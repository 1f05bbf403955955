//! `[ensemble]`: whether the horizon models run, and where they are read from.

use serde::{Deserialize, Serialize};

/// The ensemble of horizon models.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnsembleConfig {
    /// Attach the ensemble's belief to forex and binary opportunities.
    pub enabled: bool,
    /// Directory with short.json, medium.json and long.json (from
    /// `omni-tui train`); empty for the models bundled with the binary.
    pub models_dir: String,
}
