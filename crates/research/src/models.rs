//! Model files on disk: what `omni-tui train` writes and a configured
//! `models_dir` holds. The core parses them; reading the files is here.

use omni_core::ensemble::{Horizon, Model, ModelError, ModelSet, Stacking};
use std::path::Path;

/// Reads one model file.
pub fn load_model(path: &Path) -> Result<Model, ModelError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ModelError::Read(path.display().to_string(), e))?;
    Model::from_json(&path.display().to_string(), &text)
}

/// Loads `short.json`, `medium.json` and `long.json` from a directory; a
/// missing file leaves that model out, a broken one is an error. With
/// `ensemble.json` (from `omni-tui train --model ensemble`) the ensembles
/// use its weights; without it each is its own horizon's model.
pub fn load_dir(dir: &Path) -> Result<ModelSet, ModelError> {
    let mut models: [Option<Model>; 3] = Default::default();
    for h in Horizon::ALL {
        let p = dir.join(format!("{}.json", h.as_str()));
        if p.is_file() {
            models[h.index()] = Some(load_model(&p)?);
        }
    }
    let set = ModelSet::new(models);
    let stacking = dir.join(STACKING_FILE);
    if !stacking.is_file() {
        return Ok(set);
    }
    let text = std::fs::read_to_string(&stacking)
        .map_err(|e| ModelError::Read(stacking.display().to_string(), e))?;
    Ok(set.with_stacking(Stacking::from_json(&stacking.display().to_string(), &text)?))
}

/// The ensembles' weights in a models directory.
pub const STACKING_FILE: &str = "ensemble.json";
