//! What enters the engine: one ordered feed of market data, execution
//! reports, operator commands and timer ticks.

use crate::approval::ShownTerms;
use crate::approval::config::ApprovalMode;
use crate::domain::{OpportunityId, Timestamp};
use crate::execution::ExecutionReport;
use crate::market::MarketEvent;
use serde::{Deserialize, Serialize};

/// A request from the operator (or a script) to the engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Command {
    /// Approve a pending opportunity (scripts, tests, the control API):
    /// whatever its terms are now.
    Approve(OpportunityId),
    /// Approve a pending opportunity as it was shown (the cockpit): refused
    /// as `changed_since_shown` if it is gone or moved against the trade
    /// past the `[approval]` tolerances.
    ApproveShown {
        /// The opportunity.
        id: OpportunityId,
        /// Its terms on screen when the key was pressed.
        shown: ShownTerms,
    },
    /// Reject a pending opportunity.
    Reject(OpportunityId),
    /// Enter the configured pause state (REDUCING by default).
    Pause,
    /// Back to ACTIVE from a pause (not from a kill).
    Resume,
    /// HALTED, cancel every working order, flatten every position; latched.
    KillSwitch,
    /// Clear a latched kill switch: back to ACTIVE.
    Rearm,
    /// Change how opportunities are approved.
    SetApprovalMode(ApprovalMode),
}

impl Command {
    /// Short name, as stored.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Approve(_) | Command::ApproveShown { .. } => "approve",
            Command::Reject(_) => "reject",
            Command::Pause => "pause",
            Command::Resume => "resume",
            Command::KillSwitch => "kill_switch",
            Command::Rearm => "rearm",
            Command::SetApprovalMode(_) => "set_approval_mode",
        }
    }
    /// The argument as text, as stored.
    pub fn argument(&self) -> String {
        match self {
            Command::Approve(id) | Command::Reject(id) | Command::ApproveShown { id, .. } => {
                id.0.to_string()
            }
            Command::SetApprovalMode(m) => m.as_str().to_string(),
            _ => String::new(),
        }
    }
}

/// One input to the engine. Each carries its own time; the engine never
/// reads a clock.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum EngineEvent {
    Market(MarketEvent),
    Execution(ExecutionReport),
    /// An operator command, stamped by the driver.
    Command {
        /// When it was issued.
        ts: Timestamp,
        command: Command,
    },
    /// Time passes with no other input (TTL expiry, day rollover).
    Timer(Timestamp),
}

impl EngineEvent {
    pub fn ts(&self) -> Timestamp {
        match self {
            EngineEvent::Market(m) => m.ts(),
            EngineEvent::Execution(r) => r.ts(),
            EngineEvent::Command { ts, .. } | EngineEvent::Timer(ts) => *ts,
        }
    }
}
