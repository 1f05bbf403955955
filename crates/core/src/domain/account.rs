//! Account kinds, risk profiles, and the mode shown for each account.

use serde::{Deserialize, Serialize};

/// What an account trades and which rules apply to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountType {
    /// Cash account; arbitrage inventory is assumed pre-positioned on each venue.
    Spot,
    /// Margin account: may go short.
    Margin,
    /// Funded prop-firm account: adds daily-loss and drawdown rules.
    PropFirm,
    /// Binary-options account: stakes settle at expiry.
    Binary,
}

impl AccountType {
    /// Upper-case name, as shown and stored.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountType::Spot => "SPOT",
            AccountType::Margin => "MARGIN",
            AccountType::PropFirm => "PROP_FIRM",
            AccountType::Binary => "BINARY",
        }
    }
}

/// How boldly an account sizes its orders.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskProfile {
    /// Smallest sizes.
    Conservative,
    /// Middle sizes.
    Balanced,
    /// Largest sizes, still capped by every limit.
    Aggressive,
}

impl RiskProfile {
    /// Upper-case name: `CONSERVATIVE`, `BALANCED` or `AGGRESSIVE`.
    pub fn as_str(self) -> &'static str {
        match self {
            RiskProfile::Conservative => "CONSERVATIVE",
            RiskProfile::Balanced => "BALANCED",
            RiskProfile::Aggressive => "AGGRESSIVE",
        }
    }
}

/// Whether money is real: shown in colour per account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AccountMode {
    /// Paper broker on the built-in demo market.
    Demo,
    /// Paper broker on real market data.
    Paper,
    /// A live broker on its test or paper service: real orders at a
    /// venue, no real money.
    Test,
    /// A live broker on a real-money endpoint.
    Live,
}

impl AccountMode {
    /// Upper-case name: `DEMO`, `PAPER`, `TEST` or `LIVE`.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountMode::Demo => "DEMO",
            AccountMode::Paper => "PAPER",
            AccountMode::Test => "TEST",
            AccountMode::Live => "LIVE",
        }
    }
}
