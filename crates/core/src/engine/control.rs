//! Operator commands, the kill switch, the trading state, and time.

use super::trading::ApprovedBy;
use super::{Audit, Command, CommandOrigin, Engine};
use crate::approval::ApprovalMode;
use crate::domain::{ExitReason, OpportunityStatus, OrderPurpose, time::DAY};
use crate::execution::ExecutionRequest;
use crate::risk::TradingState;
use crate::risk::config::PauseState;

/// The outcome of approving or rejecting an id that is not pending (never
/// was, or already decided, expired or vanished): the control API answers
/// 404 for it.
pub const NOT_PENDING: &str = "not pending (already decided or expired)";

impl Engine {
    pub(super) fn on_command(&mut self, command: Command, origin: CommandOrigin) {
        // The command is recorded before what it causes, whatever it causes.
        let first = self.outbox.audits.len();
        let outcome = match command {
            Command::Approve(id) => {
                if self.approve(id, ApprovedBy::Operator) {
                    "approved".to_string()
                } else {
                    NOT_PENDING.to_string()
                }
            }
            Command::ApproveShown { id, shown } => {
                let now = self
                    .opportunities
                    .get(id)
                    .map(|o| crate::approval::ShownTerms::of(&o.detail));
                let moved = match now {
                    None => Some("it is no longer pending (vanished, expired or decided)".into()),
                    Some(now) => shown.changed(&now, &self.config.approval),
                };
                match moved {
                    Some(why) => format!("refused (changed_since_shown): {why}"),
                    None if self.approve(id, ApprovedBy::Operator) => "approved".to_string(),
                    None => NOT_PENDING.to_string(),
                }
            }
            Command::Reject(id) => {
                if self
                    .close_opportunity(id, OpportunityStatus::Rejected)
                    .is_some()
                {
                    "rejected".to_string()
                } else {
                    NOT_PENDING.to_string()
                }
            }
            Command::Pause => {
                if self.state == TradingState::Active {
                    let to = match self.gate.config().pause_state {
                        PauseState::Reducing => TradingState::Reducing,
                        PauseState::Halted => TradingState::Halted,
                    };
                    self.set_state(to, "paused by operator");
                    format!("paused: {}", to.as_str())
                } else {
                    format!("ignored: already {}", self.state.as_str())
                }
            }
            Command::Resume => {
                if self.kill.latched {
                    "refused: the kill switch is latched; re-arm first".to_string()
                } else if self.state != TradingState::Active {
                    self.set_state(TradingState::Active, "resumed by operator");
                    "resumed".to_string()
                } else {
                    "ignored: already ACTIVE".to_string()
                }
            }
            Command::KillSwitch => {
                self.engage_kill_switch("kill switch");
                "HALTED; cancelling every order and flattening every position".to_string()
            }
            Command::TriggerKill(trigger) => {
                let cause = format!("kill switch (trigger: {})", trigger.as_str());
                self.engage_kill_switch(&cause);
                format!(
                    "HALTED by trigger {}; cancelling every order and flattening every position",
                    trigger.as_str()
                )
            }
            Command::Rearm => {
                if self.kill.latched {
                    self.kill.latched = false;
                    self.kill.clear_retries();
                    self.set_state(TradingState::Active, "re-armed by operator");
                    // After a kill switch nothing trades until the operator
                    // says so again: an auto policy is not switched back on.
                    if self.approval_mode != ApprovalMode::Manual {
                        self.approval_mode = ApprovalMode::Manual;
                        "re-armed: ACTIVE, approval MANUAL (press A for auto)".to_string()
                    } else {
                        "re-armed: ACTIVE".to_string()
                    }
                } else {
                    "ignored: the kill switch is not latched".to_string()
                }
            }
            Command::SetApprovalMode(mode) => {
                self.approval_mode = mode;
                format!("approval mode {}", mode.as_str())
            }
            Command::CancelOrder(id) => self.operator_cancel(id),
            Command::ClosePosition {
                account,
                instrument,
                qty,
            } => self.operator_close(account, instrument, qty),
        };
        self.outbox.audits.insert(
            first,
            Audit::Command {
                command,
                outcome,
                ts: self.clock,
                origin,
            },
        );
    }

    /// Changes the trading state and records why.
    pub(super) fn set_state(&mut self, to: TradingState, cause: &str) {
        let from = self.state;
        if from == to && !cause.contains("kill") {
            return;
        }
        self.state = to;
        self.outbox.audits.push(Audit::TradingStateChanged {
            from,
            to,
            kill_latched: self.kill.latched,
            cause: cause.to_string(),
            ts: self.clock,
        });
    }

    /// HALTED at once, latched; every working order cancelled; every
    /// position flattened (flattening bypasses the gate: it only reduces risk).
    /// `cause` names who engaged it (`kill switch`, or a trigger).
    fn engage_kill_switch(&mut self, cause: &str) {
        if !self.kill.latched {
            self.kill.clear_retries();
        }
        self.kill.latched = true;
        self.set_state(TradingState::Halted, cause);
        self.send_kill_cancels();
        self.kill_maintain();
    }

    /// Cancels every working order but the flattens, and asks each live
    /// venue to cancel everything it holds for the account; "flat" from
    /// here on needs a venue report from now.
    pub(super) fn send_kill_cancels(&mut self) {
        self.kill.engaged_at = Some(self.clock);
        let cancels: Vec<_> = self
            .working
            .values()
            .filter(|o| o.purpose != OrderPurpose::Flatten)
            .map(|o| ExecutionRequest::Cancel {
                order_id: o.id,
                account: o.account,
                venue: o.venue,
            })
            .collect();
        self.outbox.requests.extend(cancels);
        // A live venue may hold orders this engine never knew (placed by
        // hand, or lost in a crash): its broker cancels every one and
        // reports the venue's state until it is flat.
        let live: Vec<_> = self
            .catalog
            .accounts
            .iter()
            .filter(|a| a.broker.is_live())
            .map(|a| ExecutionRequest::CancelAll { account: a.id })
            .collect();
        self.outbox.requests.extend(live);
    }

    /// While the kill switch is latched: every open position without a
    /// close in flight gets a flatten order. Runs after every event, so a
    /// late fill of an order the cancel did not catch is flattened too.
    pub(super) fn kill_maintain(&mut self) {
        let now = self.clock;
        if !self.kill.refusals.is_empty() {
            // A position that is gone (flattened or settled) starts afresh.
            let positions = &self.portfolio.positions;
            self.kill
                .refusals
                .retain(|k, _| positions.get(k).is_some_and(|p| !p.is_flat()));
        }
        let todo: Vec<_> = self
            .portfolio
            .positions
            .values()
            .filter(|p| {
                let in_flight = self
                    .closing
                    .get(&p.key)
                    .and_then(|id| self.working.get(id))
                    .is_some_and(|o| o.purpose == OrderPurpose::Flatten);
                let waiting = self.kill.retry_at.get(&p.key).is_some_and(|t| now < *t);
                !p.is_flat() && !self.is_dust(p) && !in_flight && !waiting
            })
            .map(|p| {
                let reference = self.position_mark(p);
                (p.key, p.venue, p.side().opposite(), p.qty.abs(), reference)
            })
            .collect();
        for (key, venue, side, qty, reference) in todo {
            // An exit already in flight for this position is superseded.
            if let Some(old) = self.closing.remove(&key)
                && let Some(o) = self.working.get(&old)
            {
                self.outbox.requests.push(ExecutionRequest::Cancel {
                    order_id: old,
                    account: o.account,
                    venue: o.venue,
                });
            }
            // Kept in `retry_at` only while waiting: the refusal count stays
            // until the position is gone, so the next refusal waits longer.
            self.kill.retry_at.remove(&key);
            self.send_close(
                key,
                venue,
                side,
                qty,
                reference,
                OrderPurpose::Flatten,
                ExitReason::Flatten,
            );
        }
    }

    /// Runs what is due at the current time: TTL expiry and day rollover.
    pub(super) fn on_time(&mut self) {
        let now = self.clock;
        for o in self.opportunities.take_expired(now) {
            self.counters.expired += 1;
            self.outbox.audits.push(Audit::OpportunityClosed {
                id: o.id,
                kind: o.kind(),
                instrument: o.instrument,
                status: OpportunityStatus::Expired,
                ts: now,
            });
        }
        let day = now.day_index();
        for i in 0..self.account_risk.len() {
            let stored = self.account_risk[i].day;
            if stored != day {
                let account = self.catalog.accounts[i].id;
                // A prop firm's day starts from its own equity figure.
                let equity = self.rule_equity(account);
                let risk = &mut self.account_risk[i];
                if day < stored || self.restored_day.is_some_and(|d| day < d) {
                    // Time went backwards (a demo restarted on a stored
                    // database): timers from the later run cannot apply.
                    risk.cooldown_until = None;
                    risk.last_entry.clear();
                    risk.recent_orders.clear();
                }
                risk.roll_day(day, equity);
                risk.peak_equity = risk.peak_equity.max(equity);
                self.audit_account(account);
                // A new day may end a daily-loss REDUCING.
                self.watch_prop(account, now);
            }
        }
        self.restored_day = None;
        // The throttle's rolling minute moves with the clock.
        for risk in &mut self.account_risk {
            risk.prune_orders(now);
        }
        let next_day = crate::domain::Timestamp((day + 1) * DAY);
        let window = self
            .account_risk
            .iter()
            .filter_map(|r| r.next_order_expiry())
            .min();
        self.next_deadline = [self.opportunities.next_expiry(), window]
            .into_iter()
            .flatten()
            .fold(next_day, std::cmp::min);
    }
}
