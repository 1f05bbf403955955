//! What enters the engine: one ordered feed of market data, execution
//! reports, operator commands and timer ticks.

use crate::approval::ShownTerms;
use crate::approval::config::ApprovalMode;
use crate::domain::{AccountId, InstrumentId, OpportunityId, OrderId, Timestamp};
use crate::execution::ExecutionReport;
use crate::market::MarketEvent;
use rust_decimal::Decimal;
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
    /// The kill switch, engaged by an automatic trigger (`[kill_triggers]`)
    /// rather than a person: the same latched HALT, with the trigger named.
    TriggerKill(KillTrigger),
    /// Cancel one working order (the cockpit's `c`, `POST
    /// /v1/orders/{id}/cancel`): a cancel request to its account's broker.
    /// Refused for a kill-switch flatten, which must stay working; an id
    /// that is not working is answered with [`super::NOT_WORKING`]. Only
    /// reduces risk, so it is taken while paused or halted.
    CancelOrder(OrderId),
    /// Close one position at market (the cockpit's `x`), as it was shown:
    /// `qty` is the signed quantity on screen (positive long, negative
    /// short), and the engine refuses when the position is no longer that
    /// (the approval-acts-on-what-was-shown principle), when an exit for
    /// it is already in flight, while the kill switch is latched (it is
    /// already flattening everything), and for a binary contract (it
    /// settles at expiry; only the kill switch sells one back).
    ClosePosition {
        account: AccountId,
        instrument: InstrumentId,
        /// The signed quantity shown when the key was pressed.
        qty: Decimal,
    },
}

/// The condition that engaged the kill switch on its own
/// (`[kill_triggers]`, evaluated by the run's monitor).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KillTrigger {
    /// An account lost more than the configured share of its start-of-day equity.
    DailyLoss,
    /// More entries today, over every account, than configured.
    Trades,
    /// An account's open positions are worth more than the configured share of its equity.
    PositionValue,
    /// A market-data feed down too long while positions are open.
    FeedDown,
    /// A broker unreachable too long while its account holds positions.
    BrokerDown,
}

impl KillTrigger {
    /// Short name, as stored and as `[kill_triggers]` keys read.
    pub fn as_str(self) -> &'static str {
        match self {
            KillTrigger::DailyLoss => "daily_loss",
            KillTrigger::Trades => "trades",
            KillTrigger::PositionValue => "position_value",
            KillTrigger::FeedDown => "feed_down",
            KillTrigger::BrokerDown => "broker_down",
        }
    }
}

impl Command {
    /// Short name, as stored.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Approve(_) | Command::ApproveShown { .. } => "approve",
            Command::Reject(_) => "reject",
            Command::Pause => "pause",
            Command::Resume => "resume",
            Command::KillSwitch | Command::TriggerKill(_) => "kill_switch",
            Command::Rearm => "rearm",
            Command::SetApprovalMode(_) => "set_approval_mode",
            Command::CancelOrder(_) => "cancel_order",
            Command::ClosePosition { .. } => "close_position",
        }
    }
    /// The argument as text, as stored.
    pub fn argument(&self) -> String {
        match self {
            Command::Approve(id) | Command::Reject(id) | Command::ApproveShown { id, .. } => {
                id.0.to_string()
            }
            Command::SetApprovalMode(m) => m.as_str().to_string(),
            Command::TriggerKill(t) => t.as_str().to_string(),
            Command::CancelOrder(id) => id.0.to_string(),
            // The names are the catalog's (the outcome says them); what the
            // operator saw, and the engine compared, is the quantity.
            Command::ClosePosition { qty, .. } => qty.to_string(),
            _ => String::new(),
        }
    }
}

/// Where an operator command came from: recorded with the command in the
/// audit (and the store's `commands.origin`), so the log says who acted.
/// The engine treats every origin alike: a command from the control API is
/// the same command a key sends.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandOrigin {
    /// A key or click in the cockpit (and scripts, tests, headless flags).
    #[default]
    Key,
    /// The local control API (`omni-tui ctl`, HTTP clients).
    Api,
    /// The run's own monitor (an automatic kill trigger).
    Monitor,
}

impl CommandOrigin {
    /// Short name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            CommandOrigin::Key => "key",
            CommandOrigin::Api => "api",
            CommandOrigin::Monitor => "monitor",
        }
    }

    /// The origin a stored name stands for; an unknown name reads as a key
    /// (what every command was before origins were stored).
    pub fn parse(s: &str) -> Self {
        match s {
            "api" => CommandOrigin::Api,
            "monitor" => CommandOrigin::Monitor,
            _ => CommandOrigin::Key,
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
        /// Who sent it.
        #[serde(default)]
        origin: CommandOrigin,
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
