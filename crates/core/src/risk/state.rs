//! The trading state: what the gate lets through.

use serde::{Deserialize, Serialize};

/// ACTIVE trades normally; REDUCING lets only risk-reducing orders pass;
/// HALTED lets nothing new pass (cancels and flattening still go out).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TradingState {
    Active,
    /// Only orders that reduce exposure.
    Reducing,
    /// Nothing new.
    Halted,
}

impl TradingState {
    /// Upper-case name: `ACTIVE`, `REDUCING` or `HALTED`.
    pub fn as_str(self) -> &'static str {
        match self {
            TradingState::Active => "ACTIVE",
            TradingState::Reducing => "REDUCING",
            TradingState::Halted => "HALTED",
        }
    }
    /// Parses the upper-case name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ACTIVE" => Some(TradingState::Active),
            "REDUCING" => Some(TradingState::Reducing),
            "HALTED" => Some(TradingState::Halted),
            _ => None,
        }
    }
}

/// LOW, MEDIUM, HIGH or BLOCKED: how much of the limits is used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RiskLevel {
    /// Under the medium threshold.
    Low,
    /// Between medium and high.
    Medium,
    /// Above high, below the limit.
    High,
    /// A limit is reached, a cooldown runs, or trading is halted.
    Blocked,
}

impl RiskLevel {
    /// Upper-case name, e.g. `MEDIUM`.
    pub fn as_str(self) -> &'static str {
        match self {
            RiskLevel::Low => "LOW",
            RiskLevel::Medium => "MEDIUM",
            RiskLevel::High => "HIGH",
            RiskLevel::Blocked => "BLOCKED",
        }
    }
}
