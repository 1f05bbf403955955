//! `[risk]`: the gate's limits, signal rules, trading hours, prop-firm
//! rules and sizing profiles, and their checks.

use super::hours::{DailyBreak, WeekTime};
use crate::domain::RiskProfile;
use crate::validation::{Invalid, MAX_MONEY, WEEK_SECS, above, bad, range};
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
    /// Largest distance of an order's price from the instrument's
    /// cross-venue reference (see `market::guard`), percent.
    pub reference_collar_pct: Decimal,
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

/// Signal validation per kind: `[risk.signal.<kind>]`, one table for every
/// kind of opportunity (a kind without one is refused when the file is
/// read). Confidence is the kind's own: arbitrage 1 − risk score / 100,
/// forex the scanner's confidence, binary the probability of the side.
pub type SignalRulesConfig = std::collections::BTreeMap<crate::domain::OpportunityKind, SignalRule>;

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
    /// Where the drawdown is measured from.
    #[serde(default)]
    pub drawdown: DrawdownMode,
    /// Percentage points before each of the firm's limits at which the
    /// account goes REDUCING, so the firm's own limit is never touched.
    #[serde(default)]
    pub buffer_pct: Decimal,
}

/// How a prop firm measures the maximum drawdown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DrawdownMode {
    /// From the starting balance: equity may not fall below the balance
    /// less `max_drawdown_pct` of it.
    #[default]
    Static,
    /// From the highest equity seen, by the same amount (`max_drawdown_pct`
    /// of the starting balance): the floor rises with new highs.
    Trailing,
}

impl DrawdownMode {
    pub fn as_str(self) -> &'static str {
        match self {
            DrawdownMode::Static => "static",
            DrawdownMode::Trailing => "trailing",
        }
    }
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

/// Trading hours that parse, and every number in its range
/// ([`validate_numbers`]).
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
                )
                .because(format!("risk.hours.{class}.open")));
            }
            (None, Some(_)) => {
                return Err(bad(
                    format!("risk.hours.{class}.open"),
                    "a weekly close needs a weekly open",
                )
                .because(format!("risk.hours.{class}.close")));
            }
            _ => {}
        }
    }
    validate_numbers(risk)
}

/// Every number of `[risk]` in its range. Limits are positive (a zero or
/// negative limit refuses every trade while the Risk pane reads LOW), money
/// is at most [`MAX_MONEY`], durations at most a week (so no conversion to
/// nanoseconds can wrap), fractions and confidences in [0, 1] and percents
/// of equity at most 100 (1000 for a position, which leverage can take
/// past the equity).
fn validate_numbers(r: &RiskConfig) -> Result<(), Invalid> {
    let hundred = Decimal::ONE_HUNDRED;
    range("risk.daily_trade_limit", r.daily_trade_limit, 1, 100_000)?;
    above(
        "risk.daily_loss_limit",
        r.daily_loss_limit,
        Decimal::ZERO,
        MAX_MONEY,
    )?;
    // 0 turns the loss-streak cooldown off.
    range("risk.loss_streak_limit", r.loss_streak_limit, 0, 1_000)?;
    range(
        "risk.loss_streak_cooldown_secs",
        r.loss_streak_cooldown_secs,
        1,
        WEEK_SECS,
    )?;
    let position_max = Decimal::from(1_000);
    above(
        "risk.max_position_pct",
        r.max_position_pct,
        Decimal::ZERO,
        position_max,
    )?;
    above(
        "risk.max_order_notional",
        r.max_order_notional,
        Decimal::ZERO,
        MAX_MONEY,
    )?;
    above(
        "risk.price_collar_pct",
        r.price_collar_pct,
        Decimal::ZERO,
        hundred,
    )?;
    above(
        "risk.reference_collar_pct",
        r.reference_collar_pct,
        Decimal::ZERO,
        hundred,
    )?;
    range("risk.max_quote_age_ms", r.max_quote_age_ms, 1, 600_000)?;
    range(
        "risk.max_orders_per_minute",
        r.max_orders_per_minute,
        1,
        10_000,
    )?;
    above("risk.level_medium_at", r.level_medium_at, 0.0, 1.0)?;
    above("risk.level_high_at", r.level_high_at, 0.0, 1.0)?;
    if r.level_medium_at >= r.level_high_at {
        return Err(bad(
            "risk.level_medium_at",
            format!(
                "must be below level_high_at ({}), got {}",
                r.level_high_at, r.level_medium_at
            ),
        )
        .because("risk.level_high_at"));
    }
    for &kind in crate::domain::OpportunityKind::ALL {
        let key = format!("risk.signal.{}", kind.as_str());
        let Some(rule) = r.signal.get(&kind) else {
            return Err(bad(key, "every kind of opportunity needs its signal rule"));
        };
        range(
            format!("{key}.min_confidence"),
            rule.min_confidence,
            0.0,
            1.0,
        )?;
        range(
            format!("{key}.min_interval_secs"),
            rule.min_interval_secs,
            0,
            WEEK_SECS,
        )?;
    }
    let p = &r.prop_firm;
    above(
        "risk.prop_firm.daily_loss_pct",
        p.daily_loss_pct,
        Decimal::ZERO,
        hundred,
    )?;
    above(
        "risk.prop_firm.max_drawdown_pct",
        p.max_drawdown_pct,
        Decimal::ZERO,
        hundred,
    )?;
    // The buffer leaves something of each limit to trade in.
    let tightest = p.daily_loss_pct.min(p.max_drawdown_pct);
    if p.buffer_pct < Decimal::ZERO || p.buffer_pct >= tightest {
        return Err(bad(
            "risk.prop_firm.buffer_pct",
            format!(
                "must be at least 0 and below the tighter prop limit ({tightest}), got {}",
                p.buffer_pct
            ),
        ));
    }
    for (name, profile) in [
        ("conservative", &r.profiles.conservative),
        ("balanced", &r.profiles.balanced),
        ("aggressive", &r.profiles.aggressive),
    ] {
        for (field, v) in [
            ("arbitrage_alloc_pct", profile.arbitrage_alloc_pct),
            ("risk_per_trade_pct", profile.risk_per_trade_pct),
            ("binary_stake_pct", profile.binary_stake_pct),
        ] {
            above(
                format!("risk.profiles.{name}.{field}"),
                v,
                Decimal::ZERO,
                hundred,
            )?;
        }
    }
    Ok(())
}
