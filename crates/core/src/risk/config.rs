//! `[risk]`: the gate's limits, signal rules, trading hours, prop-firm
//! rules and sizing profiles, and their checks.

use super::hours::{DailyBreak, WeekTime};
use crate::domain::RiskProfile;
use crate::validation::{Invalid, bad};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// What pause means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PauseState {
    /// Only orders that shrink an open position pass.
    Reducing,
    /// Nothing new passes.
    Halted,
}

/// Risk limits. Money limits are in each account's currency.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskConfig {
    /// State entered by pause: reducing or halted.
    pub pause_state: PauseState,
    /// Entry orders per account per UTC day.
    pub daily_trade_limit: u32,
    /// Loss (realised plus unrealised, since the day's start) that stops new entries.
    pub daily_loss_limit: Decimal,
    /// Consecutive losing trades that start a cooldown.
    pub loss_streak_limit: u32,
    /// Cooldown length, seconds.
    pub loss_streak_cooldown_secs: i64,
    /// Largest position, percent of account equity (notional).
    pub max_position_pct: Decimal,
    /// Largest single order, in account currency.
    pub max_order_notional: Decimal,
    /// Largest distance of an order's price from the latest quote, percent.
    pub price_collar_pct: Decimal,
    /// A quote older than this (ms) is not fresh: no orders on it.
    pub max_quote_age_ms: i64,
    /// Orders per account in any rolling 60 s (message throttle): every
    /// order sent counts (each arbitrage leg, exits, unwinds, flattens); the
    /// gate refuses an intent whose legs would go over it.
    pub max_orders_per_minute: u32,
    /// Usage fraction at which the risk level becomes MEDIUM.
    pub level_medium_at: f64,
    /// Usage fraction at which the risk level becomes HIGH.
    pub level_high_at: f64,
    /// Signal checks per kind of opportunity.
    pub signal: SignalRulesConfig,
    /// Trading hours per asset class.
    pub hours: HoursConfig,
    /// Rules for prop-firm accounts.
    pub prop_firm: PropFirmConfig,
    /// Sizing fractions per risk profile.
    pub profiles: ProfilesConfig,
}

/// Signal validation for one kind of opportunity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignalRule {
    /// Smallest confidence accepted, 0..1.
    pub min_confidence: f64,
    /// Seconds between entries on one instrument for one account.
    pub min_interval_secs: i64,
}

/// Signal validation per kind.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignalRulesConfig {
    /// Arbitrage (confidence = 1 − risk score / 100).
    pub arbitrage: SignalRule,
    pub forex: SignalRule,
    /// Binary (confidence = probability of the chosen side).
    pub binary: SignalRule,
}

/// Trading hours of one asset class, UTC. Empty `open`/`close` means always open.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionConfig {
    /// Weekly open, e.g. `sun 22:00`; empty (with `close`) for around the clock.
    pub open: WeekTime,
    /// Weekly close, e.g. `fri 22:00`.
    pub close: WeekTime,
    /// Daily break, e.g. `21:00-22:00`; empty for none.
    pub daily_break: DailyBreak,
}

/// Trading hours per asset class.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HoursConfig {
    pub crypto: SessionConfig,
    pub forex: SessionConfig,
    pub metal: SessionConfig,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PropFirmConfig {
    /// Largest loss in a day, percent of the day's starting equity.
    pub daily_loss_pct: Decimal,
    /// Largest drawdown, percent of the starting balance.
    pub max_drawdown_pct: Decimal,
}

/// Sizing fractions of one risk profile, in percent of equity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileConfig {
    /// Arbitrage: notional per opportunity.
    pub arbitrage_alloc_pct: Decimal,
    /// Forex: loss at the stop-loss per trade.
    pub risk_per_trade_pct: Decimal,
    /// Binary: stake per contract.
    pub binary_stake_pct: Decimal,
}

/// Sizing fractions per risk profile.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfilesConfig {
    pub conservative: ProfileConfig,
    pub balanced: ProfileConfig,
    pub aggressive: ProfileConfig,
}

impl ProfilesConfig {
    /// The fractions of one profile.
    pub fn of(&self, profile: RiskProfile) -> &ProfileConfig {
        match profile {
            RiskProfile::Conservative => &self.conservative,
            RiskProfile::Balanced => &self.balanced,
            RiskProfile::Aggressive => &self.aggressive,
        }
    }
}

/// Trading hours that parse, positive size and price limits, and risk-level
/// thresholds in order.
pub fn validate(risk: &RiskConfig) -> Result<(), Invalid> {
    for (class, s) in [
        ("crypto", &risk.hours.crypto),
        ("forex", &risk.hours.forex),
        ("metal", &risk.hours.metal),
    ] {
        match (s.open.minute(), s.close.minute()) {
            (Some(_), None) => {
                return Err(bad(
                    format!("risk.hours.{class}.close"),
                    "a weekly open needs a weekly close",
                ));
            }
            (None, Some(_)) => {
                return Err(bad(
                    format!("risk.hours.{class}.open"),
                    "a weekly close needs a weekly open",
                ));
            }
            _ => {}
        }
    }
    let r = risk;
    for (field, v) in [
        ("max_position_pct", r.max_position_pct),
        ("price_collar_pct", r.price_collar_pct),
        ("max_order_notional", r.max_order_notional),
    ] {
        if v <= Decimal::ZERO {
            return Err(bad(format!("risk.{field}"), "must be greater than zero"));
        }
    }
    if !(0.0 < r.level_medium_at && r.level_medium_at < r.level_high_at && r.level_high_at <= 1.0) {
        return Err(bad(
            "risk.level_high_at",
            "need 0 < level_medium_at < level_high_at <= 1",
        ));
    }

    Ok(())
}
