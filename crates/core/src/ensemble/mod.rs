//! The ensemble: three horizon models giving Beta distributions over
//! "price higher at my horizon", trained and evaluated on real bars, and
//! one stacked ensemble per horizon whose belief travels with forex
//! (60 minutes) and binary (5 minutes) opportunities.

pub mod binary;
pub mod combiner;
pub mod config;
pub mod flow;
pub mod measured;
pub mod model;
pub mod tracker;

pub use binary::{BINARY_FORMAT, BINARY_VERSION, BinaryCalibration};
pub use combiner::{Combined, STACKING_FORMAT, STACKING_VERSION, Stack, Stacking, combine};
pub use measured::{MEASURED_FORMAT, MEASURED_VERSION, Measured, Skill};
pub use model::{BetaOut, Horizon, Model, ModelError};
pub use tracker::EnsembleTracker;

/// The three models (any may be missing), the weights of the three
/// ensembles built on them, and the map from the 5-minute ensemble to a
/// binary contract's expiry.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ModelSet {
    models: [Option<Model>; 3],
    stacking: Stacking,
    binary: BinaryCalibration,
    measured: Measured,
}

impl ModelSet {
    /// A set from loaded models; each ensemble is its own horizon's model
    /// until [`ModelSet::with_stacking`] gives fitted weights.
    pub fn new(models: [Option<Model>; 3]) -> Self {
        Self {
            models,
            stacking: Stacking::default(),
            binary: BinaryCalibration::default(),
            measured: Measured::default(),
        }
    }

    /// The same models with what they were measured to be worth.
    pub fn with_measured(mut self, measured: Measured) -> Self {
        self.measured = measured;
        self
    }

    /// What each model was measured to be worth on unseen data (empty when
    /// not measured).
    pub fn measured(&self) -> &Measured {
        &self.measured
    }

    /// The same models with the binary contracts' fitted calibration.
    pub fn with_binary(mut self, binary: BinaryCalibration) -> Self {
        self.binary = binary;
        self
    }

    /// How a binary contract's win probability follows from the 5-minute
    /// ensemble (the random walk's shape until fitted).
    pub fn binary(&self) -> &BinaryCalibration {
        &self.binary
    }

    /// The same models with fitted ensemble weights.
    pub fn with_stacking(mut self, stacking: Stacking) -> Self {
        self.stacking = stacking;
        self
    }

    /// The ensembles' weights.
    pub fn stacking(&self) -> &Stacking {
        &self.stacking
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
        let stacking = Stacking::from_json(
            "assets/models/ensemble.json",
            include_str!("../../../../assets/models/ensemble.json"),
        )?;
        let binary = BinaryCalibration::from_json(
            "assets/models/binary.json",
            include_str!("../../../../assets/models/binary.json"),
        )?;
        let measured = Measured::from_json(
            "assets/models/measured.json",
            include_str!("../../../../assets/models/measured.json"),
        )?;
        Ok(Self {
            models,
            stacking,
            binary,
            measured,
        })
    }
}
