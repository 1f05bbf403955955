//! The run's monitor: once a second the engine thread shows it what the
//! engine, the brokers and the feeds say ([`observe`]); its rules
//! ([`rules`]) raise alerts and automatic kill triggers. An alert is
//! recorded in the audit stream (the store's `alerts`, the trade log, a
//! notification), logged, and POSTed to the webhook; a kill trigger enters
//! the engine as `Command::TriggerKill`, the same latched kill switch as
//! `K`, with the trigger named.

pub mod config;
pub mod observe;
pub mod rules;
pub mod webhook;

pub use config::{AlertsConfig, KillTriggersConfig};
pub use rules::{Alert, Monitor, Observation, Raised};

use crate::metrics::EngineMetrics;
use omni_core::domain::Timestamp;
use omni_core::driver::Driver;
use omni_core::engine::{Audit, AuditSink, Command, CommandOrigin, SinkError};
use omni_core::market::MarketSource;
use omni_feeds::FeedHealth;
use std::sync::Arc;
use webhook::{AlertBody, Webhook};

/// The monitor as the engine thread runs it: the rules, where alerts go.
pub struct MonitorRun {
    monitor: Monitor,
    webhook: Option<Webhook>,
    metrics: Arc<EngineMetrics>,
    source: String,
}

impl MonitorRun {
    /// The monitor for a run with this configuration; starts the webhook
    /// sender if one is configured.
    pub fn new(
        alerts: AlertsConfig,
        kill: KillTriggersConfig,
        metrics: Arc<EngineMetrics>,
        source: &str,
    ) -> anyhow::Result<Self> {
        let webhook = if alerts.webhook.is_empty() {
            None
        } else {
            Some(Webhook::start(&alerts.webhook, metrics.clone())?)
        };
        Ok(Self {
            monitor: Monitor::new(alerts, kill),
            webhook,
            metrics,
            source: source.to_string(),
        })
    }

    /// One check at `now`: alerts recorded (at the engine's clock, in
    /// order with what the engine records), logged and posted; a kill
    /// trigger sent to the engine. Returns the alerts raised.
    pub fn check<M: MarketSource>(
        &mut self,
        driver: &mut Driver<M>,
        feeds: &[FeedHealth],
        now: Timestamp,
        sink: &mut dyn AuditSink,
    ) -> Result<Vec<Alert>, SinkError> {
        let obs = observe::observe(driver, feeds, now);
        let Raised { alerts, kill } = self.monitor.check(&obs);
        let ts = driver.engine.clock();
        if !alerts.is_empty() {
            let mut audits: Vec<Audit> = alerts
                .iter()
                .map(|a| Audit::Alert {
                    rule: a.rule.to_string(),
                    text: a.text.clone(),
                    ts,
                })
                .collect();
            sink.record(&mut audits)?;
        }
        for a in &alerts {
            // Logged with the other audits, by the sink.
            self.metrics.alert(a.rule);
            if let Some(w) = &self.webhook {
                w.send(AlertBody {
                    rule: a.rule.to_string(),
                    text: a.text.clone(),
                    time: ts
                        .to_datetime()
                        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                    source: self.source.clone(),
                });
            }
        }
        if let Some((trigger, why)) = kill {
            tracing::error!(trigger = trigger.as_str(), why = %why, "kill trigger: engaging the kill switch");
            driver.command_from(
                ts,
                Command::TriggerKill(trigger),
                CommandOrigin::Monitor,
                sink,
            )?;
        }
        Ok(alerts)
    }

    /// Whether alerts ring the terminal bell.
    pub fn bell(&self) -> bool {
        self.monitor.alerts_config().bell
    }
}
