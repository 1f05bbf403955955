//! Why the gate refused an order intent.

use serde::{Deserialize, Serialize};

/// Every reason the pre-trade gate can refuse. Reasons are data: stored in
/// the audit, shown in the cockpit, counted in summaries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefusalReason {
    /// Trading state is HALTED.
    Halted,
    /// Trading state is REDUCING and the order would add exposure.
    Reducing,
    /// The signal has no direction.
    NeutralDirection,
    /// Confidence below the minimum for its kind.
    LowConfidence,
    /// Another entry on this instrument for this account came too recently.
    MinInterval,
    /// The instrument's asset class is outside its trading hours.
    OutsideTradingHours,
    /// The account used up its entries for the day.
    DailyTradeLimit,
    /// The account lost its daily limit.
    DailyLossLimit,
    /// A losing streak started a cooldown that is still running.
    LossStreakCooldown,
    /// The position would exceed its share of equity.
    MaxPosition,
    /// The order's notional exceeds the per-order maximum.
    MaxOrderNotional,
    /// The order's price is too far from the latest quote.
    PriceCollar,
    /// The venue has never quoted the instrument.
    NoQuote,
    /// The venue's latest quote is too old.
    StaleQuote,
    /// A prop-firm account lost its daily percentage.
    PropDailyLoss,
    /// A prop-firm account reached its maximum drawdown.
    PropMaxDrawdown,
    /// Sized to less than the instrument's minimum quantity.
    SizeTooSmall,
    /// Too many orders from this account in the last minute.
    OrderRateLimit,
}

impl RefusalReason {
    /// Every reason, for tables and tests.
    pub const ALL: [RefusalReason; 18] = [
        RefusalReason::Halted,
        RefusalReason::Reducing,
        RefusalReason::NeutralDirection,
        RefusalReason::LowConfidence,
        RefusalReason::MinInterval,
        RefusalReason::OutsideTradingHours,
        RefusalReason::DailyTradeLimit,
        RefusalReason::DailyLossLimit,
        RefusalReason::LossStreakCooldown,
        RefusalReason::MaxPosition,
        RefusalReason::MaxOrderNotional,
        RefusalReason::PriceCollar,
        RefusalReason::NoQuote,
        RefusalReason::StaleQuote,
        RefusalReason::PropDailyLoss,
        RefusalReason::PropMaxDrawdown,
        RefusalReason::SizeTooSmall,
        RefusalReason::OrderRateLimit,
    ];

    /// snake_case name, as stored and printed.
    pub fn as_str(self) -> &'static str {
        match self {
            RefusalReason::Halted => "halted",
            RefusalReason::Reducing => "reducing",
            RefusalReason::NeutralDirection => "neutral_direction",
            RefusalReason::LowConfidence => "low_confidence",
            RefusalReason::MinInterval => "min_interval",
            RefusalReason::OutsideTradingHours => "outside_trading_hours",
            RefusalReason::DailyTradeLimit => "daily_trade_limit",
            RefusalReason::DailyLossLimit => "daily_loss_limit",
            RefusalReason::LossStreakCooldown => "loss_streak_cooldown",
            RefusalReason::MaxPosition => "max_position",
            RefusalReason::MaxOrderNotional => "max_order_notional",
            RefusalReason::PriceCollar => "price_collar",
            RefusalReason::NoQuote => "no_quote",
            RefusalReason::StaleQuote => "stale_quote",
            RefusalReason::PropDailyLoss => "prop_daily_loss",
            RefusalReason::PropMaxDrawdown => "prop_max_drawdown",
            RefusalReason::SizeTooSmall => "size_too_small",
            RefusalReason::OrderRateLimit => "order_rate_limit",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// A refusal with the numbers that caused it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    pub reason: RefusalReason,
    /// A human sentence with the numbers, e.g. `position 31.2% > 25%`.
    pub detail: String,
}

/// The gate's answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verdict {
    /// The intent may become orders.
    Approved,
    /// The intent is refused.
    Refused(Refusal),
}

impl Verdict {
    pub fn is_approved(&self) -> bool {
        matches!(self, Verdict::Approved)
    }
    /// The reason, if refused.
    pub fn reason(&self) -> Option<RefusalReason> {
        match self {
            Verdict::Approved => None,
            Verdict::Refused(r) => Some(r.reason),
        }
    }
}
