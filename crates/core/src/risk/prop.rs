//! A prop-firm account's two limits, a day's loss and the maximum
//! drawdown, measured on the equity the broker reports (the engine's own
//! for a paper account) and stopped short of the firm's own limit by the
//! configured buffer: the account goes REDUCING before the firm acts.

use super::account::AccountRisk;
use super::config::{DrawdownMode, PropFirmConfig};
use super::reason::RefusalReason;
use crate::domain::AccountInfo;
use rust_decimal::Decimal;

/// Where a prop-firm account stands against its limits, in its currency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PropMeasure {
    /// The equity measured (the broker's when it reports one).
    pub equity: Decimal,
    /// Lost since the day's start (0 when up).
    pub daily_loss: Decimal,
    /// Where the account stops: the firm's daily percentage less the buffer.
    pub daily_limit: Decimal,
    /// Fallen from the starting balance (static) or the highest equity
    /// (trailing); 0 when above it.
    pub drawdown: Decimal,
    /// The firm's drawdown amount less the buffer.
    pub drawdown_limit: Decimal,
}

/// Measures `equity` against the account's limits.
pub fn measure(
    cfg: &PropFirmConfig,
    account: &AccountInfo,
    risk: &AccountRisk,
    equity: Decimal,
) -> PropMeasure {
    let share = |base: Decimal, pct: Decimal| {
        base * (pct - cfg.buffer_pct).max(Decimal::ZERO) / Decimal::ONE_HUNDRED
    };
    let from = match cfg.drawdown {
        DrawdownMode::Static => account.initial_balance,
        DrawdownMode::Trailing => risk.peak_equity.max(account.initial_balance),
    };
    PropMeasure {
        equity,
        daily_loss: (risk.start_of_day_equity - equity).max(Decimal::ZERO),
        daily_limit: share(risk.start_of_day_equity, cfg.daily_loss_pct),
        drawdown: (from - equity).max(Decimal::ZERO),
        drawdown_limit: share(account.initial_balance, cfg.max_drawdown_pct),
    }
}

impl PropMeasure {
    /// The first limit reached, with the numbers: `None` while within both.
    pub fn breach(&self, cfg: &PropFirmConfig) -> Option<(RefusalReason, String)> {
        let buffer = if cfg.buffer_pct.is_zero() {
            String::new()
        } else {
            format!(", {}% before the firm's", cfg.buffer_pct.normalize())
        };
        if self.daily_loss >= self.daily_limit {
            return Some((
                RefusalReason::PropDailyLoss,
                format!(
                    "down {} today >= {} ({}% of start-of-day equity{buffer}) on equity {}",
                    self.daily_loss.round_dp(2).normalize(),
                    self.daily_limit.round_dp(2).normalize(),
                    cfg.daily_loss_pct.normalize(),
                    self.equity.round_dp(2).normalize()
                ),
            ));
        }
        if self.drawdown >= self.drawdown_limit {
            let from = match cfg.drawdown {
                DrawdownMode::Static => "the starting balance",
                DrawdownMode::Trailing => "the highest equity",
            };
            return Some((
                RefusalReason::PropMaxDrawdown,
                format!(
                    "drawdown {} from {from} >= {} ({}% of the starting balance{buffer}) on equity {}",
                    self.drawdown.round_dp(2).normalize(),
                    self.drawdown_limit.round_dp(2).normalize(),
                    cfg.max_drawdown_pct.normalize(),
                    self.equity.round_dp(2).normalize()
                ),
            ));
        }
        None
    }
}
