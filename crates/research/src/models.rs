//! Model files on disk: what `omni-tui train` writes and a configured
//! `models_dir` holds. The core parses them; reading the files is here.

use omni_core::ensemble::{
    BinaryCalibration, Horizon, Measured, Model, ModelError, ModelSet, Stacking,
};
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
/// use its weights; without it each is its own horizon's model. With
/// `binary.json` (from `omni-tui train --model binary`) binary contracts
/// use its fitted slopes; without it the random walk's shape. With
/// `measured.json` the cockpit shows each model's measured skill.
pub fn load_dir(dir: &Path) -> Result<ModelSet, ModelError> {
    let mut models: [Option<Model>; 3] = Default::default();
    for h in Horizon::ALL {
        let p = dir.join(format!("{}.json", h.as_str()));
        if p.is_file() {
            models[h.index()] = Some(load_model(&p)?);
        }
    }
    let mut set = ModelSet::new(models);
    if let Some((name, text)) = read_if_present(&dir.join(STACKING_FILE))? {
        set = set.with_stacking(Stacking::from_json(&name, &text)?);
    }
    if let Some((name, text)) = read_if_present(&dir.join(BINARY_FILE))? {
        set = set.with_binary(BinaryCalibration::from_json(&name, &text)?);
    }
    if let Some((name, text)) = read_if_present(&dir.join(MEASURED_FILE))? {
        set = set.with_measured(Measured::from_json(&name, &text)?);
    }
    Ok(set)
}

/// A file's name and text, or None when there is no such file.
fn read_if_present(path: &Path) -> Result<Option<(String, String)>, ModelError> {
    if !path.is_file() {
        return Ok(None);
    }
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ModelError::Read(name.clone(), e))?;
    Ok(Some((name, text)))
}

/// What the models were measured to be worth (`omni-tui eval --measured`).
pub const MEASURED_FILE: &str = "measured.json";

/// The binary contracts' calibration in a models directory.
pub const BINARY_FILE: &str = "binary.json";

/// The ensembles' weights in a models directory.
pub const STACKING_FILE: &str = "ensemble.json";
