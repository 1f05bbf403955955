//! The engine thread's audit sink: each batch goes to the store, then the
//! records the trade log shows go to the UI. The store gets the batch first,
//! and the driver calls the sink before any order in the batch reaches a
//! broker, so an order is recorded before it is sent.

use super::audit_log::AuditLog;
use crate::app::log::LogEvent;
use omni_core::domain::{BinaryContract, Catalog, OrderId, OrderPurpose};
use omni_core::engine::{Audit, AuditSink, SinkError};
use omni_core::risk::Verdict;
use omni_store::{StoreError, StoreHandle};
use std::collections::HashMap;
use std::sync::mpsc;

/// What a fill's row needs of its order, which the fill does not carry.
#[derive(Clone, Copy, Debug)]
struct Working {
    purpose: OrderPurpose,
    /// The buying order's id for a binary contract (the position's key); 0
    /// otherwise.
    position_contract: u64,
    /// The contract's terms as ordered.
    binary: Option<BinaryContract>,
}

/// What a command came to: the engine's outcome and, for an approval, the
/// gate's verdict on each routed account.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CommandReply {
    pub outcome: String,
    /// `spot-a: APPROVED, size 0.01`, `spot-b: REFUSED halted: …`.
    pub verdicts: Vec<String>,
    /// How many of the verdicts approved.
    pub approved: usize,
}

/// Hands every batch to the store and the trade log's records to the UI.
pub struct FanOutSink {
    store: StoreHandle,
    log: mpsc::Sender<Vec<LogEvent>>,
    /// Records passed so far; the store numbers a run's records the same way.
    count: i64,
    /// Each order still working: a fill's row names its purpose and, for a
    /// binary contract, the contract.
    working: HashMap<OrderId, Working>,
    /// The outcome of the last command recorded, with the gate's verdicts
    /// that followed it in the same batch, until taken: the control API
    /// answers a command with it.
    outcome: Option<CommandReply>,
    /// Account names by id, for the verdicts' words.
    accounts: Vec<String>,
    /// The log file's account of the run, if asked for.
    audit_log: Option<AuditLog>,
}

impl FanOutSink {
    /// The UI reads the trade log's records from `log`; if it has gone,
    /// the store still gets everything.
    pub fn new(store: StoreHandle, log: mpsc::Sender<Vec<LogEvent>>) -> Self {
        Self {
            store,
            log,
            count: 0,
            working: HashMap::new(),
            outcome: None,
            accounts: Vec::new(),
            audit_log: None,
        }
    }

    /// Also writes each batch to the log (`tracing`).
    #[must_use]
    pub fn with_audit_log(mut self, catalog: Catalog) -> Self {
        self.accounts = catalog.accounts.iter().map(|a| a.name.clone()).collect();
        self.audit_log = Some(AuditLog::new(catalog));
        self
    }

    /// The outcome of the last command recorded since the last call.
    pub fn take_outcome(&mut self) -> Option<CommandReply> {
        self.outcome.take()
    }

    /// Flushes the store and stops its writer.
    pub fn close(mut self) -> Result<(), StoreError> {
        if let Some(l) = self.audit_log.as_mut() {
            l.summarize();
        }
        self.store.close()
    }
}

/// The terms of the contract an order of `w` trades, as the store words its
/// fill: the venue strikes a contract when it fills, and the engine books
/// the struck terms into the position, whose change follows the fill in the
/// same batch (`later`); the store keeps the position's terms on the buying
/// order. Without that change, the terms as ordered.
fn contract_of(w: &Working, later: &[Audit]) -> Option<BinaryContract> {
    if w.position_contract == 0 {
        return w.binary;
    }
    later
        .iter()
        .find_map(|a| match a {
            Audit::PositionChanged(p) if p.key.contract == w.position_contract => Some(p.binary),
            _ => None,
        })
        .flatten()
        .or(w.binary)
}

impl AuditSink for FanOutSink {
    fn record(&mut self, audits: &mut Vec<Audit>) -> Result<(), SinkError> {
        if audits.is_empty() {
            return Ok(());
        }
        let mut events = Vec::new();
        // A command's verdicts are the decisions of its own batch: later
        // decisions (the auto policy's, a trigger's command nobody waits
        // on) are not its.
        let mut after_command = false;
        for (i, a) in audits.iter().enumerate() {
            let seq = self.count + 1 + i as i64;
            match a {
                Audit::OrderCreated(o) => {
                    self.working.insert(
                        o.id,
                        Working {
                            purpose: o.purpose,
                            position_contract: o.position_contract,
                            binary: o.binary,
                        },
                    );
                }
                Audit::Fill { fill, .. } => {
                    let w = self.working.get(&fill.order_id);
                    events.push(LogEvent {
                        seq,
                        audit: a.clone(),
                        purpose: w.map(|w| w.purpose),
                        contract: w.and_then(|w| contract_of(w, &audits[i + 1..])),
                    });
                }
                Audit::Decision(d) if after_command => {
                    let name = self
                        .accounts
                        .get(d.account.index())
                        .map_or("?", String::as_str);
                    if let Some(r) = self.outcome.as_mut() {
                        r.verdicts.push(match &d.verdict {
                            Verdict::Approved => {
                                r.approved += 1;
                                format!("{name}: APPROVED, size {}", d.qty)
                            }
                            Verdict::Refused(why) => {
                                format!("{name}: REFUSED {}: {}", why.reason.as_str(), why.detail)
                            }
                        });
                    }
                    events.push(LogEvent {
                        seq,
                        audit: a.clone(),
                        purpose: None,
                        contract: None,
                    });
                }
                Audit::Command { outcome, .. } => {
                    after_command = true;
                    self.outcome = Some(CommandReply {
                        outcome: outcome.clone(),
                        verdicts: Vec::new(),
                        approved: 0,
                    });
                    events.push(LogEvent {
                        seq,
                        audit: a.clone(),
                        purpose: None,
                        contract: None,
                    });
                }
                // A terminal order takes no more fills.
                Audit::OrderChanged { id, status, .. } if status.is_terminal() => {
                    self.working.remove(id);
                }
                _ if LogEvent::is_logged(a) => events.push(LogEvent {
                    seq,
                    audit: a.clone(),
                    purpose: None,
                    contract: None,
                }),
                _ => {}
            }
        }
        self.count += audits.len() as i64;
        if let Some(l) = self.audit_log.as_mut() {
            l.log(audits);
        }
        self.store.record(audits)?;
        if !events.is_empty() {
            // A closed receiver means the UI has stopped: nothing to tell.
            let _ = self.log.send(events);
        }
        Ok(())
    }
}
