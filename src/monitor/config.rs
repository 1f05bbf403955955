//! `[alerts]` and `[kill_triggers]`: what the run's monitor watches for.
//! Every threshold is off at 0 (and `false`), except the alerts a trader
//! wants from the start: a feed or a broker down while exposed, a kill
//! switch, a reconciliation mismatch, a daily loss or a prop rule near its
//! limit.

use omni_core::validation::{Invalid, bad, range};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// `[alerts]`: rules that raise an alert (a notification in the cockpit, a
/// line in the log, a JSON POST to `webhook`). Each fires once when its
/// condition starts and again only after it has cleared.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertsConfig {
    /// A market-data feed not live for this many seconds while any position
    /// is open (0: off).
    pub feed_down_secs: u32,
    /// An account's daily loss past this share of its limit, 0–1 (0: off).
    pub daily_loss_share: f64,
    /// The kill switch engaged, whoever engaged it.
    pub kill_switch: bool,
    /// An account's broker unreachable for this many seconds (0: off).
    pub broker_down_secs: u32,
    /// The broker's positions differ from ours (with no order in flight on
    /// the account) at this many checks in a row (0: off).
    pub reconciliation_checks: u32,
    /// A prop-firm rule (daily loss, drawdown) past this share of its
    /// limit, 0–1 (0: off).
    pub prop_share: f64,
    /// Ring the terminal bell with each alert in the cockpit.
    pub bell: bool,
    /// POST each alert as JSON to this http(s) URL ("": none).
    pub webhook: String,
}

/// `[kill_triggers]`: conditions that engage the same latched kill switch
/// as `K`, with the trigger named. All off by default.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KillTriggersConfig {
    /// An account's loss today, in percent of its start-of-day equity (0: off).
    pub daily_loss_pct: Decimal,
    /// Entries today over every account (0: off).
    pub max_trades: u32,
    /// An account's open positions, marked, in percent of its equity (0: off).
    pub max_position_value_pct: Decimal,
    /// A feed not live for this many seconds while any position is open (0: off).
    pub feed_down_secs: u32,
    /// A broker unreachable for this many seconds while its account holds
    /// a position (0: off).
    pub broker_down_secs: u32,
}

/// Checks both sections.
pub fn validate(alerts: &AlertsConfig, kill: &KillTriggersConfig) -> Result<(), Invalid> {
    range("alerts.daily_loss_share", alerts.daily_loss_share, 0.0, 1.0)?;
    range("alerts.prop_share", alerts.prop_share, 0.0, 1.0)?;
    range("alerts.feed_down_secs", alerts.feed_down_secs, 0, 86_400)?;
    range(
        "alerts.broker_down_secs",
        alerts.broker_down_secs,
        0,
        86_400,
    )?;
    range(
        "alerts.reconciliation_checks",
        alerts.reconciliation_checks,
        0,
        1000,
    )?;
    if !alerts.webhook.is_empty() {
        let ok = reqwest::Url::parse(&alerts.webhook)
            .ok()
            .is_some_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
        if !ok {
            return Err(bad(
                "alerts.webhook",
                format!("`{}` is not an http(s) URL", alerts.webhook),
            ));
        }
    }
    range(
        "kill_triggers.daily_loss_pct",
        kill.daily_loss_pct,
        Decimal::ZERO,
        Decimal::ONE_HUNDRED,
    )?;
    range(
        "kill_triggers.max_position_value_pct",
        kill.max_position_value_pct,
        Decimal::ZERO,
        Decimal::from(100_000),
    )?;
    range("kill_triggers.max_trades", kill.max_trades, 0, 1_000_000)?;
    range(
        "kill_triggers.feed_down_secs",
        kill.feed_down_secs,
        0,
        86_400,
    )?;
    range(
        "kill_triggers.broker_down_secs",
        kill.broker_down_secs,
        0,
        86_400,
    )
}
