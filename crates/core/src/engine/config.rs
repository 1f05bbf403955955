//! The sections of `omni.toml` the engine decides with, each owned and
//! validated by its component; the binary assembles them from the file.

use crate::approval::config::ApprovalConfig;
use crate::ensemble::config::EnsembleConfig;
use crate::market::QuarantineConfig;
use crate::risk::config::RiskConfig;
use crate::router::config::RouteConfig;
use crate::scanners::config::ScannersConfig;

/// What the engine needs of the configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct EngineConfig {
    /// `[[routes]]`: which accounts each kind of opportunity goes to.
    pub routes: Vec<RouteConfig>,
    /// `[scanners.*]`.
    pub scanners: ScannersConfig,
    /// `[approval]`.
    pub approval: ApprovalConfig,
    /// `[risk]`.
    pub risk: RiskConfig,
    /// `[ensemble]`.
    pub ensemble: EnsembleConfig,
    /// `[quarantine]`: implausible market data.
    pub quarantine: QuarantineConfig,
}

impl EngineConfig {
    /// The engine's sections of the built-in configuration.
    pub fn builtin() -> Self {
        use crate::defaults::section;
        Self {
            routes: section("routes"),
            scanners: section("scanners"),
            approval: section("approval"),
            risk: section("risk"),
            ensemble: section("ensemble"),
            quarantine: section("quarantine"),
        }
    }
}
