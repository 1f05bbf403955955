//! Rows from the stream: the row an audit record of this run makes, worded
//! as the store words the same record.

use super::wording::{
    ContractParts, FillContract, FillParts, TradeParts, approved_text, command_text, fill_text,
    refused_text, state_text, trade_text,
};
use super::{LogEvent, LogKind, LogRow};
use omni_core::domain::{AccountType, Catalog, OrderPurpose, ShapeKind};
use omni_core::engine::Audit;
use omni_core::risk::Verdict;

/// The row an audit record of run `run` makes, if the log shows it.
/// Numbers are written as the store writes them (`omni_store::writer`:
/// the same text, rounded where it rounds) before the log's own rounding,
/// so the text is the store's to the digit.
pub fn row_of(run: i64, catalog: &Catalog, e: &LogEvent) -> Option<LogRow> {
    let inst = |i: omni_core::domain::InstrumentId| catalog.instrument(i).name.clone();
    let acct = |a: omni_core::domain::AccountId| catalog.account(a).name.clone();
    let ccy = |a: omni_core::domain::AccountId| Some(catalog.account(a).currency.clone());
    let (ts, kind, text) = match &e.audit {
        Audit::Fill {
            fill,
            account,
            instrument,
            venue,
            side,
        } => {
            let parts = FillParts {
                account: acct(*account),
                side: side.as_str().to_string(),
                qty: fill.qty.to_string(),
                instrument: inst(*instrument),
                price: fill.price.to_string(),
                venue: catalog.venue(*venue).name.clone(),
                fee: fill.fee.to_string(),
                purpose: e.purpose.map_or("?", OrderPurpose::as_str).to_string(),
                currency: ccy(*account),
                ts: fill.ts,
            };
            // The sink gives a contract's fill its terms; contracts are
            // routed to binary accounts only, so a fill on any other
            // account without them is a position's.
            let contract = match &e.contract {
                Some(c) => FillContract::Contract(Some(c)),
                None if catalog.account(*account).kind == AccountType::Binary => {
                    FillContract::Contract(None)
                }
                None => FillContract::Position,
            };
            (fill.ts, LogKind::Fill, fill_text(&parts, contract))
        }
        Audit::TradeClosed(t) => {
            let parts = TradeParts {
                account: acct(t.account),
                instrument: inst(t.instrument),
                side: t.side.as_str().to_string(),
                qty: t.qty.to_string(),
                entry: t.entry_price.round_dp(12).to_string(),
                exit: t.exit_price.round_dp(12).to_string(),
                pnl: t.pnl.round_dp(8).to_string(),
                reason: t.reason.as_str().to_string(),
                currency: ccy(t.account),
            };
            // A closed contract carries its terms, and its settle price
            // when it settled at expiry.
            let contract = (t.contract.is_some()
                || t.kind.is_some_and(|k| k.shape() == ShapeKind::Contract))
            .then(|| ContractParts {
                direction: t.contract.map(|c| c.direction.as_str().to_string()),
                strike: t.contract.map(|c| c.strike.to_string()),
                settle: t.settle_price.map(|p| p.to_string()),
            });
            (
                t.closed,
                LogKind::Trade,
                trade_text(&parts, contract.as_ref()),
            )
        }
        Audit::Decision(d) => match &d.verdict {
            Verdict::Refused(r) => (
                d.ts,
                LogKind::Refused,
                refused_text(
                    d.kind.as_str(),
                    d.opportunity.0 as i64,
                    &inst(d.instrument),
                    &acct(d.account),
                    r.reason.as_str(),
                    &r.detail,
                ),
            ),
            Verdict::Approved => (
                d.ts,
                LogKind::Approved,
                approved_text(
                    d.kind.as_str(),
                    d.opportunity.0 as i64,
                    &inst(d.instrument),
                    &acct(d.account),
                    &d.qty.to_string(),
                    &d.notional.round_dp(8).to_string(),
                    Some(&catalog.account(d.account).currency),
                ),
            ),
        },
        Audit::Command {
            command,
            outcome,
            ts,
            origin,
        } => (
            *ts,
            LogKind::Command,
            command_text(
                command.name(),
                &command.argument(),
                outcome,
                origin.as_str(),
            ),
        ),
        Audit::TradingStateChanged {
            from,
            to,
            cause,
            ts,
            ..
        } => (
            *ts,
            LogKind::State,
            state_text(from.as_str(), to.as_str(), cause),
        ),
        Audit::Alert { text, ts, .. } => (*ts, LogKind::Alert, text.clone()),
        _ => return None,
    };
    Some(LogRow {
        run,
        seq: e.seq,
        ts,
        kind,
        text,
    })
}
