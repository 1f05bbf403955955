//! The pre-trade risk gate, its limits, and the trading state.

pub mod account;
pub mod config;
pub mod gate;
pub mod hours;
pub mod level;
pub mod prop;
pub mod reason;
pub mod rules;
pub mod state;

pub use account::AccountRisk;
pub use gate::{GateContext, IntentLeg, OrderIntent, RiskGate};
pub use level::{LimitUsage, level, usages};
pub use reason::{Refusal, RefusalReason, SizeBound, Verdict};
pub use state::{RiskLevel, TradingState};
