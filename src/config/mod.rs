//! `omni.toml`: the whole file, assembled from the sections each component
//! owns (the engine's in omni-core, `[market.demo]` and `[paper]` in
//! omni-sim, `[feeds.*]` and `[market.replay]` in omni-feeds), its lookup,
//! parsing over the built-in defaults (`omni.toml.example`, compiled in),
//! and validation section by section.

pub mod error;
pub mod files;
pub mod load;

pub use error::ConfigError;
pub use load::{ConfigOrigin, LoadedConfig, load, locate, parse_str};

use crate::control::config::ControlConfig;
use crate::monitor::{AlertsConfig, KillTriggersConfig};
use omni_core::approval::config::ApprovalConfig;
use omni_core::domain::{AccountConfig, AccountMode, Catalog, InstrumentConfig, VenueConfig};
use omni_core::engine::config::EngineConfig;
use omni_core::ensemble::config::EnsembleConfig;
use omni_core::market::QuarantineConfig;
use omni_core::risk::config::RiskConfig;
use omni_core::router::config::RouteConfig;
use omni_core::scanners::config::ScannersConfig;
use omni_core::validation::Invalid;
use omni_feeds::config::{FeedUse, FeedsConfig, ReplayConfig};
use omni_sim::demo::DemoConfig;
use omni_sim::paper::PaperConfig;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The whole configuration file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Seed and other global settings.
    pub general: GeneralConfig,
    /// Where market data comes from.
    pub market: MarketConfig,
    /// Venues: fees and order latency.
    pub venues: Vec<VenueConfig>,
    /// Instruments and the venues that list them.
    pub instruments: Vec<InstrumentConfig>,
    pub accounts: Vec<AccountConfig>,
    /// Which accounts each kind of opportunity is routed to.
    pub routes: Vec<RouteConfig>,
    pub scanners: ScannersConfig,
    /// Manual or automatic approval.
    pub approval: ApprovalConfig,
    pub risk: RiskConfig,
    /// Paper broker fill model.
    pub paper: PaperConfig,
    /// The ensemble of horizon models.
    pub ensemble: EnsembleConfig,
    /// Implausible market data.
    pub quarantine: QuarantineConfig,
    /// Live market-data feeds, per venue.
    pub feeds: FeedsConfig,
    /// The local control API.
    pub control: ControlConfig,
    /// What raises an alert, and where alerts go.
    pub alerts: AlertsConfig,
    /// Conditions that engage the kill switch on their own.
    pub kill_triggers: KillTriggersConfig,
    /// Live accounts' endpoints and key sources, by account name.
    pub brokers: omni_live::config::BrokersConfig,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeneralConfig {
    /// Seed for the demo market and the paper broker; same seed, same run.
    pub seed: u64,
}

/// The market data source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MarketSource {
    /// The built-in demo market driven by real minute bars.
    Demo,
    /// The venues' own WebSocket and HTTP streams (`[feeds.*]`).
    Live,
    /// Recorded frames (`[market.replay]`).
    Replay,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketConfig {
    /// Which source feeds the engine.
    pub source: MarketSource,
    pub demo: DemoConfig,
    /// Replay of recorded frames.
    pub replay: ReplayConfig,
    /// Recent bars fetched before the live feeds connect.
    pub backfill: omni_feeds::history::BackfillConfig,
}

impl Default for Config {
    /// The built-in configuration (the demo), as `omni.toml.example` writes it.
    fn default() -> Self {
        // The file is compiled in and tests/config.rs parses it: a failure
        // here is a build that never passed its tests.
        toml::from_str(omni_core::defaults::TOML)
            .unwrap_or_else(|e| panic!("the built-in omni.toml.example does not parse: {e}"))
    }
}

impl Config {
    /// The engine's sections.
    pub fn engine(&self) -> EngineConfig {
        EngineConfig {
            routes: self.routes.clone(),
            scanners: self.scanners.clone(),
            approval: self.approval.clone(),
            risk: self.risk.clone(),
            ensemble: self.ensemble.clone(),
            quarantine: self.quarantine.clone(),
        }
    }

    /// The run's monitor, as `[alerts]` and `[kill_triggers]` ask.
    pub fn monitor(
        &self,
        metrics: std::sync::Arc<crate::metrics::EngineMetrics>,
        source: &str,
    ) -> anyhow::Result<crate::monitor::MonitorRun> {
        crate::monitor::MonitorRun::new(
            self.alerts.clone(),
            self.kill_triggers.clone(),
            metrics,
            source,
        )
    }

    /// Checks `[brokers]` and marks each live account TEST (the venue's
    /// test service) or LIVE (real money). Live accounts trade on real
    /// prices only: the demo market's and a replay's prices are not the
    /// venue's, so an order sized on them would be wrong.
    fn live_accounts(&self, catalog: &mut Catalog) -> Result<(), Invalid> {
        let accounts: Vec<(String, omni_core::domain::BrokerKind)> = self
            .accounts
            .iter()
            .map(|a| (a.name.clone(), a.broker))
            .collect();
        omni_live::config::validate(&self.brokers, &accounts)?;
        for (i, a) in self.accounts.iter().enumerate() {
            if !a.broker.is_live() {
                continue;
            }
            if self.market.source != MarketSource::Live {
                return Err(omni_core::validation::bad(
                    format!("accounts[{i}].broker"),
                    format!(
                        "account `{}` trades on {}, which needs the venues' own prices: set market.source = \"live\"",
                        a.name,
                        a.broker.as_str()
                    ),
                )
                .because("market.source"));
            }
            let test = self
                .brokers
                .get(&a.name)
                .is_some_and(|e| e.is_test(a.broker));
            if let Some(info) = catalog.accounts.get_mut(i) {
                info.mode = if test {
                    AccountMode::Test
                } else {
                    AccountMode::Live
                };
            }
        }
        Ok(())
    }

    /// Checks every section with its owner's rules (each number in its
    /// range) and builds the catalog. With `base_dir`, which resolves
    /// relative paths, every file and folder the run opens is read as the
    /// run reads it (`None`: check no file on disk);
    /// `bundled` says which demo series are compiled into the binary.
    pub fn validate(
        &self,
        base_dir: Option<&Path>,
        bundled: &dyn Fn(&str) -> bool,
    ) -> Result<Catalog, Invalid> {
        // Paper accounts on the demo market are DEMO; on real data PAPER.
        let (mode, feeds) = match self.market.source {
            MarketSource::Demo => (AccountMode::Demo, FeedUse::None),
            MarketSource::Live => (AccountMode::Paper, FeedUse::Live),
            MarketSource::Replay => (AccountMode::Paper, FeedUse::Replay),
        };
        let mut catalog = omni_core::domain::build_catalog(
            &self.venues,
            &self.instruments,
            &self.accounts,
            mode,
        )?;
        self.live_accounts(&mut catalog)?;
        omni_core::router::config::validate_routes(&self.routes, &catalog)?;
        omni_core::router::config::validate_triangular_routes(
            &self.routes,
            &catalog,
            &self.scanners.triangular.start_assets,
        )?;
        omni_core::scanners::config::validate(&self.scanners, &catalog)?;
        omni_core::risk::config::validate(&self.risk)?;
        omni_core::approval::config::validate(&self.approval)?;
        omni_core::market::guard::validate(&self.quarantine)?;
        omni_sim::demo::config::validate(&self.market.demo, &catalog, base_dir, bundled)?;
        omni_feeds::config::validate(&self.feeds, &self.market.replay, feeds, &catalog, base_dir)?;
        omni_feeds::history::config::validate(&self.market.backfill)?;
        omni_sim::paper::config::validate(&self.paper)?;
        crate::control::config::validate(&self.control)?;
        crate::monitor::config::validate(&self.alerts, &self.kill_triggers)?;
        // A models folder is read as the run will read it; the bundled
        // models are compiled in, and their own tests read them.
        if let Some(base) = base_dir
            && !self.ensemble.models_dir.is_empty()
        {
            files::models(&self.ensemble, base)?;
        }
        Ok(catalog)
    }
}
