//! Notifications: what just happened that the operator should see without
//! reading the log (the outcome of their last action, a fill, a closed
//! trade, a halt), shown in the status bar until it expires.

use super::log::LogEvent;
use omni_core::domain::{AccountType, Catalog, OpportunityId, ShapeKind, Side};
use omni_core::engine::{Audit, Command};
use omni_core::risk::{TradingState, Verdict};
use rust_decimal::Decimal;
use std::time::{Duration, Instant};

/// How long a notice stays.
pub const NOTICE_TTL: Duration = Duration::from_secs(10);
/// How long what a key did stays (its outcome usually replaces it sooner).
pub const MESSAGE_TTL: Duration = Duration::from_secs(5);

/// Whether a notice is good news, bad news or neither.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    Info,
    Good,
    Bad,
}

/// One notice. Its clock starts when the app first sees it (the app's state
/// stays free of wall-clock reads; the run loop calls `AppState::expire`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub text: String,
    pub tone: Tone,
    /// How much it matters: a halt 4, an operator command's outcome 3, a
    /// closed trade 2, a fill 1.
    pub rank: u8,
    pub(super) since: Option<Instant>,
}

/// A notice is not replaced by a less important one for this long (the
/// fills of an approval must not hide at once whether it was approved).
pub const NOTICE_HOLD: Duration = Duration::from_secs(3);

impl Notice {
    pub fn new(text: impl Into<String>, tone: Tone) -> Self {
        Self {
            text: text.into(),
            tone,
            rank: 0,
            since: None,
        }
    }
}

/// The notice a batch of audits deserves, if any, most important first: a
/// halt or a kill, then an alert, then the outcome of an operator command (for an approval:
/// on which accounts it was approved, or why each refused), then a closed
/// trade, then a fill. Routine policy decisions are left to the log: in auto
/// mode they would bury everything else.
pub fn from_events(catalog: &Catalog, events: &[LogEvent]) -> Option<Notice> {
    let acct = |a: omni_core::domain::AccountId| catalog.account(a).name.as_str();
    let inst = |i: omni_core::domain::InstrumentId| catalog.instrument(i).name.as_str();
    let mut best: Option<(u8, Notice)> = None;
    let mut offer = |rank: u8, n: Notice| {
        if best.as_ref().is_none_or(|(r, _)| rank >= *r) {
            best = Some((rank, Notice { rank, ..n }));
        }
    };
    for (i, e) in events.iter().enumerate() {
        match &e.audit {
            Audit::TradingStateChanged {
                to: TradingState::Halted,
                cause,
                ..
            } => offer(4, Notice::new(format!("HALTED: {cause}"), Tone::Bad)),
            // An alert outranks everything but a halt: it is why the
            // operator should look now.
            Audit::Alert { text, .. } => offer(3, Notice::new(format!("ALERT {text}"), Tone::Bad)),
            Audit::Command {
                command,
                outcome,
                origin,
                ..
            } => {
                let approved = match command {
                    Command::Approve(id) | Command::ApproveShown { id, .. } => Some(*id),
                    _ => None,
                };
                let n = match approved {
                    Some(id) => approval_outcome(catalog, id, outcome, &events[i + 1..]),
                    None => Notice::new(
                        super::log::command_text(
                            command.name(),
                            &command.argument(),
                            outcome,
                            origin.as_str(),
                        ),
                        Tone::Info,
                    ),
                };
                offer(3, n);
            }
            Audit::TradeClosed(t) => {
                let tone = if t.pnl < Decimal::ZERO {
                    Tone::Bad
                } else {
                    Tone::Good
                };
                offer(
                    2,
                    Notice::new(
                        format!(
                            "closed {} {} {}: P&L {}{} {} ({})",
                            acct(t.account),
                            inst(t.instrument),
                            // As the log says it: a contract is a bet UP or
                            // DOWN, not a side.
                            match (t.contract, t.kind.map(|k| k.shape())) {
                                (Some(c), _) => c.direction.as_str(),
                                (None, Some(ShapeKind::Contract)) => "contract",
                                _ if t.side == Side::Buy => "long",
                                _ => "short",
                            },
                            if t.pnl > Decimal::ZERO { "+" } else { "" },
                            t.pnl.round_dp(2).normalize(),
                            catalog.account(t.account).currency,
                            t.reason.as_str()
                        ),
                        tone,
                    ),
                );
            }
            Audit::Fill {
                fill,
                account,
                instrument,
                side,
                ..
            } => offer(
                1,
                Notice::new(
                    if catalog.account(*account).kind == AccountType::Binary {
                        // A contract: its stake, not a side (as the log says it).
                        let bought = if *side == Side::Buy { "" } else { " sold back" };
                        format!(
                            "fill {} {}{bought} stake {} {}",
                            acct(*account),
                            inst(*instrument),
                            fill.qty.normalize(),
                            catalog.account(*account).currency,
                        )
                    } else {
                        format!(
                            "fill {} {} {} {} @ {}",
                            acct(*account),
                            side.as_str(),
                            fill.qty.normalize(),
                            inst(*instrument),
                            fill.price.normalize()
                        )
                    },
                    Tone::Good,
                ),
            ),
            _ => {}
        }
    }
    best.map(|(_, n)| n)
}

/// "#19 approved on spot-a, spot-b; refused on prop-fx (daily_loss_limit)",
/// or the engine's own refusal of the approval.
fn approval_outcome(
    catalog: &Catalog,
    id: OpportunityId,
    outcome: &str,
    after: &[LogEvent],
) -> Notice {
    let mut ok = Vec::new();
    let mut refused = Vec::new();
    for e in after {
        if let Audit::Decision(d) = &e.audit
            && d.opportunity == id
        {
            let name = catalog.account(d.account).name.clone();
            match &d.verdict {
                Verdict::Approved => ok.push(name),
                Verdict::Refused(r) => refused.push(format!("{name} ({})", r.reason.as_str())),
            }
        }
    }
    if ok.is_empty() && refused.is_empty() {
        // Refused before any account was asked (gone, changed since shown).
        let tone = if outcome.starts_with("refused") {
            Tone::Bad
        } else {
            Tone::Info
        };
        return Notice::new(format!("approve {id}: {outcome}"), tone);
    }
    let mut text = format!("{id}");
    if !ok.is_empty() {
        text.push_str(&format!(" approved on {}", ok.join(", ")));
    }
    if !refused.is_empty() {
        text.push_str(if ok.is_empty() {
            " refused on "
        } else {
            "; refused on "
        });
        text.push_str(&refused.join(", "));
    }
    let tone = if ok.is_empty() { Tone::Bad } else { Tone::Good };
    Notice::new(text, tone)
}
