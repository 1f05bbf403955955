//! The log file's (or the service's stderr's) account of the run, from the
//! audit stream: every order, order change, fill, closed trade, command,
//! trading-state change and alert as one line with structured fields
//! (`--log-format json` makes each a JSON object). Refusals are many in
//! auto mode: each is logged at debug, and a summary by reason at info
//! once a minute of market time.

use omni_core::domain::{Catalog, Timestamp, time::SECOND};
use omni_core::engine::{Audit, AuditSink, SinkError};
use omni_core::risk::{RefusalReason, Verdict};
use std::collections::BTreeMap;

/// Market time between two refusal summaries.
const SUMMARY_EVERY: i64 = 60 * SECOND;

/// Writes audits to `tracing`, under the target `omni::audit`.
pub struct AuditLog {
    catalog: Catalog,
    /// Refusals since the last summary, by reason.
    refusals: BTreeMap<RefusalReason, u64>,
    /// When the current summary period began (the first refusal in it).
    since: Option<Timestamp>,
}

impl AuditLog {
    pub fn new(catalog: Catalog) -> Self {
        Self {
            catalog,
            refusals: BTreeMap::new(),
            since: None,
        }
    }

    /// Logs a batch. Cheap when nothing listens: `tracing` checks the
    /// level before it formats.
    pub fn log(&mut self, audits: &[Audit]) {
        let Self {
            catalog: cat,
            refusals,
            since,
        } = self;
        let acct = |a: omni_core::domain::AccountId| cat.account(a).name.as_str();
        let inst = |i: omni_core::domain::InstrumentId| cat.instrument(i).name.as_str();
        for a in audits {
            match a {
                Audit::OrderCreated(o) => tracing::info!(
                    target: "omni::audit",
                    order = o.id.0,
                    account = acct(o.account),
                    instrument = inst(o.instrument),
                    venue = cat.venue(o.venue).name.as_str(),
                    side = o.side.as_str(),
                    qty = %o.qty,
                    order_type = o.order_type.as_str(),
                    purpose = o.purpose.as_str(),
                    "order"
                ),
                Audit::OrderChanged {
                    id,
                    status,
                    filled_qty,
                    note,
                    ..
                } => tracing::info!(
                    target: "omni::audit",
                    order = id.0,
                    status = status.as_str(),
                    filled_qty = %filled_qty,
                    note = note.as_deref().unwrap_or(""),
                    "order status"
                ),
                Audit::Fill {
                    fill,
                    account,
                    instrument,
                    side,
                    ..
                } => tracing::info!(
                    target: "omni::audit",
                    order = fill.order_id.0,
                    trade_id = %fill.trade_id,
                    account = acct(*account),
                    instrument = inst(*instrument),
                    side = side.as_str(),
                    qty = %fill.qty,
                    price = %fill.price,
                    fee = %fill.fee,
                    "fill"
                ),
                Audit::TradeClosed(t) => tracing::info!(
                    target: "omni::audit",
                    account = acct(t.account),
                    instrument = inst(t.instrument),
                    side = t.side.as_str(),
                    qty = %t.qty,
                    entry = %t.entry_price,
                    exit = %t.exit_price,
                    pnl = %t.pnl,
                    reason = t.reason.as_str(),
                    "trade closed"
                ),
                Audit::Decision(d) => match &d.verdict {
                    Verdict::Approved => tracing::info!(
                        target: "omni::audit",
                        opportunity = d.opportunity.0,
                        account = acct(d.account),
                        instrument = inst(d.instrument),
                        qty = %d.qty,
                        "approved by the gate"
                    ),
                    Verdict::Refused(r) => {
                        tracing::debug!(
                            target: "omni::audit",
                            opportunity = d.opportunity.0,
                            account = acct(d.account),
                            reason = r.reason.as_str(),
                            detail = %r.detail,
                            "refused by the gate"
                        );
                        *refusals.entry(r.reason).or_insert(0) += 1;
                        let began = *since.get_or_insert(d.ts);
                        if d.ts.since(began) >= SUMMARY_EVERY {
                            summarize(refusals, since);
                        }
                    }
                },
                Audit::Command {
                    command,
                    outcome,
                    origin,
                    ..
                } => tracing::info!(
                    target: "omni::audit",
                    command = command.name(),
                    argument = %command.argument(),
                    origin = origin.as_str(),
                    outcome = %outcome,
                    "command"
                ),
                Audit::TradingStateChanged {
                    from,
                    to,
                    kill_latched,
                    cause,
                    ..
                } => tracing::warn!(
                    target: "omni::audit",
                    from = from.as_str(),
                    to = to.as_str(),
                    kill_latched,
                    cause = %cause,
                    "trading state"
                ),
                Audit::Alert { rule, text, .. } => tracing::warn!(
                    target: "omni::audit",
                    rule = %rule,
                    text = %text,
                    "alert"
                ),
                _ => {}
            }
        }
    }

    /// Logs the refusals counted since the last summary, by reason.
    pub fn summarize(&mut self) {
        summarize(&mut self.refusals, &mut self.since);
    }
}

/// Logs `refusals` as one line, then starts a new period.
fn summarize(refusals: &mut BTreeMap<RefusalReason, u64>, since: &mut Option<Timestamp>) {
    if refusals.is_empty() {
        return;
    }
    let total: u64 = refusals.values().sum();
    let by_reason = refusals
        .iter()
        .map(|(r, n)| format!("{}={n}", r.as_str()))
        .collect::<Vec<_>>()
        .join(" ");
    tracing::info!(target: "omni::audit", total, by_reason = %by_reason, "refusals");
    refusals.clear();
    *since = None;
}

/// A sink that logs each batch, then hands it on (headless runs).
pub struct Logged<'a> {
    inner: &'a mut dyn AuditSink,
    log: AuditLog,
}

impl<'a> Logged<'a> {
    pub fn new(inner: &'a mut dyn AuditSink, catalog: Catalog) -> Self {
        Self {
            inner,
            log: AuditLog::new(catalog),
        }
    }
}

impl AuditSink for Logged<'_> {
    fn record(&mut self, audits: &mut Vec<Audit>) -> Result<(), SinkError> {
        self.log.log(audits);
        self.inner.record(audits)
    }
}

impl Drop for Logged<'_> {
    fn drop(&mut self) {
        self.log.summarize();
    }
}
