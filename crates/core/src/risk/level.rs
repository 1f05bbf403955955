//! How much of each limit an account uses, and the risk level from that.

use super::account::AccountRisk;
use super::state::{RiskLevel, TradingState};
use crate::domain::{AccountInfo, AccountType, Timestamp};
use crate::risk::config::RiskConfig;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

/// One limit and its use.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LimitUsage {
    /// Short name, e.g. `daily loss`.
    pub name: String,
    /// Amount used, in the same unit as `limit`.
    pub used: f64,
    pub limit: f64,
    /// Reaching this limit makes the account REDUCING (only orders that
    /// shrink a position) rather than blocking it: the prop-firm limits,
    /// which stop a buffer short of the firm's own so the account can still
    /// close what it holds. `false` when read from before it was kept.
    #[serde(default)]
    pub reducing: bool,
}

impl LimitUsage {
    /// used / limit (0 when the limit is zero or negative and nothing is used).
    pub fn fraction(&self) -> f64 {
        if self.limit > 0.0 {
            (self.used / self.limit).max(0.0)
        } else if self.used > 0.0 {
            1.0
        } else {
            0.0
        }
    }
}

/// The limits of one account with their current use.
pub fn usages(
    cfg: &RiskConfig,
    account: &AccountInfo,
    risk: &AccountRisk,
    equity: Decimal,
    largest_position: Decimal,
    funds: Option<&crate::execution::VenueFunds>,
    now: Timestamp,
) -> Vec<LimitUsage> {
    let f = |d: Decimal| d.to_f64().unwrap_or(0.0);
    let day_loss = (risk.start_of_day_equity - equity).max(Decimal::ZERO);
    let recent = risk.orders_last_minute(now);
    let mut v = vec![
        LimitUsage {
            name: "daily trades".into(),
            used: f64::from(risk.trades_today),
            limit: f64::from(cfg.daily_trade_limit),
            reducing: false,
        },
        LimitUsage {
            name: "daily loss".into(),
            used: f(day_loss),
            limit: f(cfg.daily_loss_limit),
            reducing: false,
        },
        LimitUsage {
            name: "loss streak".into(),
            used: f64::from(risk.loss_streak),
            limit: f64::from(cfg.loss_streak_limit),
            reducing: false,
        },
        LimitUsage {
            name: "largest position".into(),
            used: f(largest_position),
            limit: f(equity * cfg.max_position_pct / Decimal::ONE_HUNDRED),
            reducing: false,
        },
        LimitUsage {
            name: "orders / min".into(),
            used: f64::from(recent),
            limit: f64::from(cfg.max_orders_per_minute),
            reducing: false,
        },
    ];
    if account.kind == AccountType::PropFirm {
        // On the broker's equity where it reports one, as the gate does.
        let measured = funds.and_then(|f| f.equity).unwrap_or(equity);
        let m = super::prop::measure(&cfg.prop_firm, account, risk, measured);
        v.push(LimitUsage {
            name: "prop daily loss".into(),
            used: f(m.daily_loss),
            limit: f(m.daily_limit),
            reducing: true,
        });
        v.push(LimitUsage {
            name: "prop drawdown".into(),
            used: f(m.drawdown),
            limit: f(m.drawdown_limit),
            reducing: true,
        });
    }
    if let Some(f_) = funds
        && let (Some(used), Some(available)) = (f_.margin_used, f_.margin_available)
    {
        v.push(LimitUsage {
            name: "margin used".into(),
            used: f(used),
            limit: f(used + available),
            reducing: false,
        });
    }
    v
}

/// LOW below `level_medium_at` of every limit, MEDIUM below
/// `level_high_at`, HIGH below the limit, BLOCKED at a limit, in a cooldown,
/// or when trading is halted. A limit that makes the account REDUCING when
/// reached (a prop-firm limit, see [`LimitUsage::reducing`]) reads HIGH
/// there, not BLOCKED: the account still takes the orders that shrink its
/// positions, as under a pause, and the level must not say otherwise.
pub fn level(
    cfg: &RiskConfig,
    usages: &[LimitUsage],
    state: TradingState,
    in_cooldown: bool,
) -> RiskLevel {
    if state == TradingState::Halted || in_cooldown {
        return RiskLevel::Blocked;
    }
    let reducing = usages.iter().any(|u| u.reducing && u.fraction() >= 1.0);
    let worst = usages
        .iter()
        .filter(|u| !(u.reducing && u.fraction() >= 1.0))
        .map(LimitUsage::fraction)
        .fold(0.0, f64::max);
    if worst >= 1.0 {
        RiskLevel::Blocked
    } else if reducing || worst >= cfg.level_high_at {
        RiskLevel::High
    } else if worst >= cfg.level_medium_at {
        RiskLevel::Medium
    } else {
        RiskLevel::Low
    }
}
