//! Why the gate refused an order intent.

use serde::{Deserialize, Serialize};

/// Declares [`RefusalReason`] from one table: each line is a variant, its
/// stored snake_case name and its meaning, so the enum, [`RefusalReason::ALL`]
/// and the names cannot drift apart.
macro_rules! refusal_reasons {
    ($($(#[doc = $doc:literal])* $variant:ident => $name:literal,)*) => {
        /// Every reason the pre-trade gate can refuse. Reasons are data:
        /// stored in the audit, shown in the cockpit, counted in summaries.
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
        )]
        #[serde(rename_all = "snake_case")]
        pub enum RefusalReason {
            $($(#[doc = $doc])* $variant,)*
        }

        impl RefusalReason {
            /// Every reason, in declaration order.
            pub const ALL: &'static [RefusalReason] = &[$(RefusalReason::$variant,)*];

            /// snake_case name, as stored and printed.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(RefusalReason::$variant => $name,)*
                }
            }
        }
    };
}

refusal_reasons! {
    /// Trading state is HALTED.
    Halted => "halted",
    /// Trading state is REDUCING and the intent does not only shrink an open
    /// position (arbitrage and binary purchases never do).
    Reducing => "reducing",
    /// The signal has no direction.
    NeutralDirection => "neutral_direction",
    /// Confidence below the minimum for its kind.
    LowConfidence => "low_confidence",
    /// Another entry on this instrument for this account came too recently.
    MinInterval => "min_interval",
    /// The instrument's asset class is outside its trading hours.
    OutsideTradingHours => "outside_trading_hours",
    /// The account used up its entries for the day.
    DailyTradeLimit => "daily_trade_limit",
    /// The account lost its daily limit.
    DailyLossLimit => "daily_loss_limit",
    /// A losing streak started a cooldown that is still running.
    LossStreakCooldown => "loss_streak_cooldown",
    /// The position would exceed its share of equity.
    MaxPosition => "max_position",
    /// The order's notional exceeds the per-order maximum.
    MaxOrderNotional => "max_order_notional",
    /// The order's price is too far from the latest quote.
    PriceCollar => "price_collar",
    /// The order's price is too far from the instrument's cross-venue
    /// reference price.
    ReferenceCollar => "reference_collar",
    /// No reference price to check the order against: no venue quoted
    /// recently, or the other venues that quote the instrument went silent.
    NoReference => "no_reference",
    /// The venue has never quoted the instrument.
    NoQuote => "no_quote",
    /// The venue's latest quote is too old.
    StaleQuote => "stale_quote",
    /// A prop-firm account lost its daily percentage.
    PropDailyLoss => "prop_daily_loss",
    /// A prop-firm account reached its maximum drawdown.
    PropMaxDrawdown => "prop_max_drawdown",
    /// The broker reports less margin available than the order needs.
    InsufficientMargin => "insufficient_margin",
    /// Sized to less than the instrument's minimum quantity.
    SizeTooSmall => "size_too_small",
    /// The intent's orders (one per leg) would take the account over its
    /// orders in the rolling minute.
    OrderRateLimit => "order_rate_limit",
    /// A live account whose venue has not reported yet, or reports
    /// positions the book does not hold: no new exposure until they agree.
    Unreconciled => "unreconciled",
}

impl RefusalReason {
    /// Parses the snake_case name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|r| r.as_str() == s)
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

/// Which limit set the size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SizeBound {
    /// The profile's budget (nothing capped it).
    Budget,
    /// The quantity shown at the top of both books (arbitrage).
    Book,
    /// The per-order notional maximum.
    OrderNotional,
    /// The room left under the position maximum.
    Position,
}
