//! What a run opens that the configuration names and no component can
//! check itself: the core owns `[ensemble]` but touches no file, so its
//! `models_dir` is read here. Validation and the run both go through
//! [`models`], so `omni-tui config` cannot pass a directory the run then
//! refuses. (The demo series and replay files are read by their own
//! components' checks, `omni_sim::demo::config` and `omni_feeds::config`.)

use omni_core::ensemble::ModelSet;
use omni_core::ensemble::config::EnsembleConfig;
use omni_core::validation::{Invalid, bad};
use std::path::Path;

/// The ensemble's models as configured: none when it is disabled, the
/// bundled ones when `models_dir` is empty, else those in `models_dir`
/// (relative to `base_dir`), which must be a readable directory holding at
/// least one of short.json, medium.json and long.json, each of which
/// parses. Refusals are at `ensemble.models_dir`.
pub fn models(ensemble: &EnsembleConfig, base_dir: &Path) -> Result<ModelSet, Invalid> {
    const KEY: &str = "ensemble.models_dir";
    if !ensemble.enabled {
        return Ok(ModelSet::default());
    }
    if ensemble.models_dir.is_empty() {
        return ModelSet::bundled().map_err(|e| bad(KEY, format!("the bundled models: {e}")));
    }
    let dir = base_dir.join(&ensemble.models_dir);
    if let Err(e) = std::fs::read_dir(&dir) {
        return Err(bad(
            KEY,
            format!(
                "`{}` is not a readable directory ({}: {e})",
                ensemble.models_dir,
                dir.display()
            ),
        ));
    }
    let set = omni_research::models::load_dir(&dir).map_err(|e| bad(KEY, e.to_string()))?;
    if set.is_empty() {
        return Err(bad(
            KEY,
            format!(
                "`{}` holds no short.json, medium.json or long.json ({}); \
                 write them with `omni-tui train`, or leave models_dir empty \
                 for the bundled models",
                ensemble.models_dir,
                dir.display()
            ),
        ));
    }
    Ok(set)
}
