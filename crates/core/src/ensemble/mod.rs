//! The ensemble: three horizon models giving Beta distributions over
//! "price higher at my horizon", trained and evaluated on real bars, and a
//! combiner whose belief travels with forex and binary opportunities.

pub mod combiner;
pub mod config;
pub mod model;
pub mod tracker;

pub use combiner::{Combined, combine};
pub use model::{BetaOut, Horizon, Model, ModelError};
pub use tracker::EnsembleTracker;

/// The three models (any may be missing).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ModelSet {
    models: [Option<Model>; 3],
}

impl ModelSet {
    /// A set from loaded models.
    pub fn new(models: [Option<Model>; 3]) -> Self {
        Self { models }
    }

    /// The model of a horizon.
    pub fn get(&self, h: Horizon) -> Option<&Model> {
        self.models[h.index()].as_ref()
    }

    /// True if no model is loaded.
    pub fn is_empty(&self) -> bool {
        self.models.iter().all(Option::is_none)
    }

    /// The models shipped in assets/models (trained on ../shared/data; the
    /// README gives the command that rebuilds them).
    pub fn bundled() -> Result<Self, ModelError> {
        let files = [
            (
                "assets/models/short.json",
                include_str!("../../../../assets/models/short.json"),
            ),
            (
                "assets/models/medium.json",
                include_str!("../../../../assets/models/medium.json"),
            ),
            (
                "assets/models/long.json",
                include_str!("../../../../assets/models/long.json"),
            ),
        ];
        let mut models: [Option<Model>; 3] = Default::default();
        for (i, (name, text)) in files.into_iter().enumerate() {
            models[i] = Some(Model::from_json(name, text)?);
        }
        Ok(Self { models })
    }
}
