//! The trade log: fills, closed trades, the gate's decisions, operator
//! commands and trading-state changes, newest first.
//!
//! This run's rows come from the engine's audit stream ([`TradeLog::apply`]
//! with the [`LogEvent`]s the engine thread forwards); rows of earlier runs
//! are read from the store once at start, and further pages when the user
//! scrolls past the oldest row held ([`read_log_page`]). Both sources share
//! the wording below, and a row from the stream equals the row the store
//! gives for the same record (`tests/trade_log_stream.rs`).

use omni_core::domain::{Catalog, OrderPurpose, Timestamp};
use omni_core::engine::Audit;
use omni_core::risk::Verdict;
use rusqlite::Connection;
use rust_decimal::Decimal;
use std::collections::VecDeque;
use std::str::FromStr;

/// What a log row is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogKind {
    Fill,
    /// A closed round trip.
    Trade,
    /// The gate approved an intent.
    Approved,
    /// The gate refused an intent.
    Refused,
    Command,
    State,
}

impl LogKind {
    /// Upper-case label, e.g. `OPERATOR` for a command.
    pub fn as_str(self) -> &'static str {
        match self {
            LogKind::Fill => "FILL",
            LogKind::Trade => "TRADE",
            LogKind::Approved => "APPROVED",
            LogKind::Refused => "REFUSED",
            LogKind::Command => "OPERATOR",
            LogKind::State => "STATE",
        }
    }
}

/// One line of the trade log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogRow {
    /// The run it belongs to.
    pub run: i64,
    /// Order within the run (ties in time keep the order things happened).
    pub seq: i64,
    pub ts: Timestamp,
    pub kind: LogKind,
    pub text: String,
}

impl LogRow {
    /// Where this row sits in the store's order.
    pub fn cursor(&self) -> LogCursor {
        LogCursor {
            run: self.run,
            seq: self.seq,
        }
    }
}

/// A position in the log's order: runs, then the store's sequence within
/// a run. A page read with `before` holds rows strictly older than it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LogCursor {
    pub run: i64,
    pub seq: i64,
}

/// One audit record the trade log shows, numbered as the store numbers it
/// (the record's position among every audit of the run, from 1).
#[derive(Clone, Debug, PartialEq)]
pub struct LogEvent {
    pub seq: i64,
    pub audit: Audit,
    /// For a fill: its order's purpose (the store joins it from `orders`).
    pub purpose: Option<OrderPurpose>,
}

impl LogEvent {
    /// Whether the trade log shows a record of this kind.
    pub fn is_logged(a: &Audit) -> bool {
        matches!(
            a,
            Audit::Fill { .. }
                | Audit::TradeClosed(_)
                | Audit::Decision(_)
                | Audit::Command { .. }
                | Audit::TradingStateChanged { .. }
        )
    }
}

/// A stored decimal, rounded for reading; what is not a number is shown as is.
fn short(s: &str, dp: u32) -> String {
    Decimal::from_str(s)
        .map(|d| d.round_dp(dp).normalize().to_string())
        .unwrap_or_else(|_| s.to_string())
}

// The wording of each kind of row. Numbers arrive as the store keeps them
// (decimal text), so both sources go through the same rounding.

#[allow(clippy::too_many_arguments)]
fn fill_text(
    account: &str,
    side: &str,
    qty: &str,
    instrument: &str,
    price: &str,
    venue: &str,
    fee: &str,
    purpose: &str,
) -> String {
    format!(
        "{account} {side} {} {instrument} @ {} on {venue} (fee {}, {purpose})",
        short(qty, 8),
        short(price, 6),
        short(fee, 4),
    )
}

#[allow(clippy::too_many_arguments)]
fn trade_text(
    account: &str,
    instrument: &str,
    side: &str,
    qty: &str,
    entry: &str,
    exit: &str,
    pnl: &str,
    reason: &str,
) -> String {
    format!(
        "{account} {instrument} {} {} {} → {} P&L {} ({reason})",
        if side == "BUY" { "long" } else { "short" },
        short(qty, 8),
        short(entry, 6),
        short(exit, 6),
        short(pnl, 2),
    )
}

fn refused_text(
    kind: &str,
    opportunity: i64,
    instrument: &str,
    account: &str,
    reason: &str,
    detail: &str,
) -> String {
    format!("{kind} #{opportunity} {instrument} → {account}: {reason} ({detail})")
}

fn approved_text(
    kind: &str,
    opportunity: i64,
    instrument: &str,
    account: &str,
    qty: &str,
    notional: &str,
) -> String {
    format!(
        "{kind} #{opportunity} {instrument} → {account}: size {} (notional {})",
        short(qty, 8),
        short(notional, 2),
    )
}

fn command_text(command: &str, argument: &str, outcome: &str) -> String {
    let arg = match command {
        _ if argument.is_empty() => String::new(),
        // An opportunity id reads as the # column and the detail line do.
        "approve" | "reject" => format!(" #{argument}"),
        _ => format!(" {argument}"),
    };
    format!("{command}{arg}: {outcome}")
}

fn state_text(from: &str, to: &str, cause: &str) -> String {
    format!("{from} → {to}: {cause}")
}

/// The row an audit record of run `run` makes, if the log shows it. Numbers
/// are rounded as the store writes them (`omni_store::writer`) before the
/// log's own rounding, so the text is the store's to the digit.
pub fn row_of(run: i64, catalog: &Catalog, e: &LogEvent) -> Option<LogRow> {
    let inst = |i: omni_core::domain::InstrumentId| catalog.instrument(i).name.as_str();
    let acct = |a: omni_core::domain::AccountId| catalog.account(a).name.as_str();
    let (ts, kind, text) = match &e.audit {
        Audit::Fill {
            fill,
            account,
            instrument,
            venue,
            side,
        } => (
            fill.ts,
            LogKind::Fill,
            fill_text(
                acct(*account),
                side.as_str(),
                &fill.qty.to_string(),
                inst(*instrument),
                &fill.price.to_string(),
                &catalog.venue(*venue).name,
                &fill.fee.to_string(),
                e.purpose.map_or("?", OrderPurpose::as_str),
            ),
        ),
        Audit::TradeClosed(t) => (
            t.closed,
            LogKind::Trade,
            trade_text(
                acct(t.account),
                inst(t.instrument),
                t.side.as_str(),
                &t.qty.to_string(),
                &t.entry_price.round_dp(12).to_string(),
                &t.exit_price.round_dp(12).to_string(),
                &t.pnl.round_dp(8).to_string(),
                t.reason.as_str(),
            ),
        ),
        Audit::Decision(d) => match &d.verdict {
            Verdict::Refused(r) => (
                d.ts,
                LogKind::Refused,
                refused_text(
                    d.kind.as_str(),
                    d.opportunity.0 as i64,
                    inst(d.instrument),
                    acct(d.account),
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
                    inst(d.instrument),
                    acct(d.account),
                    &d.qty.to_string(),
                    &d.notional.round_dp(8).to_string(),
                ),
            ),
        },
        Audit::Command {
            command,
            outcome,
            ts,
        } => (
            *ts,
            LogKind::Command,
            command_text(command.name(), &command.argument(), outcome),
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

/// The newest `limit` rows in the store, newest first.
pub fn read_log(conn: &Connection, limit: usize) -> rusqlite::Result<Vec<LogRow>> {
    read_log_page(conn, None, limit)
}

/// The newest `limit` rows older than `before` (all rows if `None`),
/// newest first.
pub fn read_log_page(
    conn: &Connection,
    before: Option<LogCursor>,
    limit: usize,
) -> rusqlite::Result<Vec<LogRow>> {
    let lim = limit as i64;
    let before = before.unwrap_or(LogCursor {
        run: i64::MAX,
        seq: i64::MAX,
    });
    let mut rows = Vec::new();
    let mut q = |sql: &str,
                 kind: LogKind,
                 fmt: &dyn Fn(&rusqlite::Row<'_>) -> rusqlite::Result<String>|
     -> rusqlite::Result<()> {
        let mut stmt = conn.prepare_cached(sql)?;
        let mapped = stmt.query_map([lim, before.run, before.seq], |r| {
            Ok(LogRow {
                run: r.get(0)?,
                seq: r.get("seq")?,
                ts: Timestamp(r.get(1)?),
                kind,
                text: fmt(r)?,
            })
        })?;
        for row in mapped {
            rows.push(row?);
        }
        Ok(())
    };
    q(
        "SELECT o.run_id, f.ts, f.account, f.side, f.qty, f.instrument, f.price, f.venue, f.fee, o.purpose, f.seq AS seq
         FROM fills f JOIN orders o ON o.id = f.order_id
         WHERE (o.run_id, f.seq) < (?2, ?3) ORDER BY f.id DESC LIMIT ?1",
        LogKind::Fill,
        &|r| {
            Ok(fill_text(
                &r.get::<_, String>(2)?,
                &r.get::<_, String>(3)?,
                &r.get::<_, String>(4)?,
                &r.get::<_, String>(5)?,
                &r.get::<_, String>(6)?,
                &r.get::<_, String>(7)?,
                &r.get::<_, String>(8)?,
                &r.get::<_, String>(9)?,
            ))
        },
    )?;
    q(
        "SELECT run_id, closed_ts, account, instrument, side, qty, entry_price, exit_price, pnl, reason, seq
         FROM trades WHERE (run_id, seq) < (?2, ?3) ORDER BY id DESC LIMIT ?1",
        LogKind::Trade,
        &|r| {
            Ok(trade_text(
                &r.get::<_, String>(2)?,
                &r.get::<_, String>(3)?,
                &r.get::<_, String>(4)?,
                &r.get::<_, String>(5)?,
                &r.get::<_, String>(6)?,
                &r.get::<_, String>(7)?,
                &r.get::<_, String>(8)?,
                &r.get::<_, String>(9)?,
            ))
        },
    )?;
    q(
        "SELECT run_id, ts, account, instrument, kind, reason, detail, opportunity_id, seq
         FROM risk_decisions WHERE verdict = 'REFUSED' AND (run_id, seq) < (?2, ?3)
         ORDER BY id DESC LIMIT ?1",
        LogKind::Refused,
        &|r| {
            Ok(refused_text(
                &r.get::<_, String>(4)?,
                r.get::<_, i64>(7)?,
                &r.get::<_, String>(3)?,
                &r.get::<_, String>(2)?,
                &r.get::<_, Option<String>>(5)?.unwrap_or_default(),
                &r.get::<_, Option<String>>(6)?.unwrap_or_default(),
            ))
        },
    )?;
    q(
        "SELECT run_id, ts, account, instrument, kind, qty, notional, opportunity_id, seq
         FROM risk_decisions WHERE verdict = 'APPROVED' AND (run_id, seq) < (?2, ?3)
         ORDER BY id DESC LIMIT ?1",
        LogKind::Approved,
        &|r| {
            Ok(approved_text(
                &r.get::<_, String>(4)?,
                r.get::<_, i64>(7)?,
                &r.get::<_, String>(3)?,
                &r.get::<_, String>(2)?,
                &r.get::<_, String>(5)?,
                &r.get::<_, String>(6)?,
            ))
        },
    )?;
    q(
        "SELECT run_id, ts, command, argument, outcome, seq FROM commands
         WHERE (run_id, seq) < (?2, ?3) ORDER BY id DESC LIMIT ?1",
        LogKind::Command,
        &|r| {
            Ok(command_text(
                &r.get::<_, String>(2)?,
                &r.get::<_, String>(3)?,
                &r.get::<_, String>(4)?,
            ))
        },
    )?;
    q(
        "SELECT run_id, ts, from_state, to_state, cause, seq FROM trading_state_changes
         WHERE (run_id, seq) < (?2, ?3) ORDER BY id DESC LIMIT ?1",
        LogKind::State,
        &|r| {
            Ok(state_text(
                &r.get::<_, String>(2)?,
                &r.get::<_, String>(3)?,
                &r.get::<_, String>(4)?,
            ))
        },
    )?;
    // Runs of the demo restart its clock, so newest means latest run first,
    // then the order the store wrote them.
    rows.sort_by(|a, b| b.run.cmp(&a.run).then(b.seq.cmp(&a.seq)));
    rows.truncate(limit);
    Ok(rows)
}

/// Rows held when nothing has been paged in: what the pane can scroll
/// through without asking the store.
pub const LOG_ROWS: usize = 300;

/// The rows the Trade Log pane shows, newest first: this run's from the
/// audit stream, older ones from the store.
#[derive(Clone, Debug)]
pub struct TradeLog {
    rows: VecDeque<LogRow>,
    /// This run's id in the store (rows from the stream carry it).
    run: i64,
    /// Most rows kept; paging older rows in raises it.
    cap: usize,
    /// The store may hold rows older than the oldest held.
    older: bool,
}

impl Default for TradeLog {
    fn default() -> Self {
        Self::new(0)
    }
}

impl TradeLog {
    /// An empty log for run `run`.
    pub fn new(run: i64) -> Self {
        Self {
            rows: VecDeque::new(),
            run,
            cap: LOG_ROWS,
            older: false,
        }
    }

    /// A log of rows read from the store (newest first), for run `run`.
    pub fn from_rows(run: i64, rows: Vec<LogRow>) -> Self {
        let mut log = Self::new(run);
        log.rows = rows.into();
        log.cap = log.cap.max(log.rows.len());
        log
    }

    pub fn run(&self) -> i64 {
        self.run
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Newest first.
    pub fn iter(&self) -> impl Iterator<Item = &LogRow> {
        self.rows.iter()
    }

    /// Adds this run's rows from the audit stream (oldest first, as the
    /// engine produced them). Beyond the cap the oldest rows are let go:
    /// the store has them, and paging reads them back.
    pub fn apply(&mut self, catalog: &Catalog, events: &[LogEvent]) {
        for e in events {
            if let Some(row) = row_of(self.run, catalog, e) {
                self.rows.push_front(row);
            }
        }
        if self.rows.len() > self.cap {
            self.rows.truncate(self.cap);
            self.older = true;
        }
    }

    /// Appends a page of older rows (newest first) read with
    /// `before = self.oldest()`; `asked` is the page size requested, so a
    /// short page means the store has nothing older.
    pub fn extend_older(&mut self, rows: Vec<LogRow>, asked: usize) {
        self.older = rows.len() >= asked;
        self.rows.extend(rows);
        self.cap = self.cap.max(self.rows.len());
    }

    /// Where the next older page starts, if the store may have one and the
    /// user has scrolled to within `ahead` rows of the oldest held.
    pub fn wants_older(&self, scroll: usize, ahead: usize) -> Option<LogCursor> {
        if !self.older || scroll + ahead < self.rows.len() {
            return None;
        }
        self.rows.back().map(LogRow::cursor)
    }
}
