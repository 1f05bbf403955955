//! Rows from the store: a page of one kind at a time (only its table is
//! read), the counts of earlier runs, and how far the writer has committed.

use super::wording::{
    ContractParts, FillContract, FillParts, TradeParts, approved_text, command_text,
    contract_direction, fill_text, is_contract_kind, refused_text, state_text, trade_text,
};
use super::{LogCursor, LogKind, LogRow};
use omni_core::domain::{BinaryContract, Direction, Timestamp};
use rusqlite::{Connection, OptionalExtension};

/// Where a page of one kind starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageFrom {
    /// The newest rows.
    Newest,
    /// Rows strictly older than this position.
    Cursor(LogCursor),
    /// Rows strictly older than this id in the kind's table (fast: the
    /// table's primary key).
    Id(i64),
}

/// The kind's query: `run, ts, seq, id` then the kind's own columns,
/// newest first, with `{cond}` for where the page starts.
fn kind_select(kind: LogKind) -> (&'static str, &'static str) {
    // (SELECT … WHERE, the table's alias)
    match kind {
        LogKind::Fill => (
            "SELECT o.run_id, f.ts, f.seq, f.id, f.account, f.side, f.qty, f.instrument, f.price,
                    f.venue, f.fee, o.purpose, o.position_contract, c.binary_json, a.currency
             FROM fills f JOIN orders o ON o.id = f.order_id
             LEFT JOIN orders c ON c.id = o.position_contract AND o.position_contract != 0
             LEFT JOIN accounts a ON a.name = f.account
             WHERE",
            "f",
        ),
        LogKind::Trade => (
            "SELECT x.run_id, x.closed_ts, x.seq, x.id, x.account, x.instrument, x.side, x.qty,
                    x.entry_price, x.exit_price, x.pnl, x.reason, x.kind, op.detail_json, a.currency,
                    x.direction, x.strike, x.settle_price
             FROM trades x LEFT JOIN opportunities op ON op.id = x.opportunity_id
             LEFT JOIN accounts a ON a.name = x.account
             WHERE",
            "x",
        ),
        LogKind::Approved => (
            "SELECT x.run_id, x.ts, x.seq, x.id, x.account, x.instrument, x.kind, x.opportunity_id,
                    x.qty, x.notional, a.currency
             FROM risk_decisions x LEFT JOIN accounts a ON a.name = x.account
             WHERE x.verdict = 'APPROVED' AND",
            "x",
        ),
        LogKind::Refused => (
            "SELECT x.run_id, x.ts, x.seq, x.id, x.account, x.instrument, x.kind, x.opportunity_id,
                    x.reason, x.detail
             FROM risk_decisions x WHERE x.verdict = 'REFUSED' AND",
            "x",
        ),
        LogKind::Command => (
            "SELECT x.run_id, x.ts, x.seq, x.id, x.command, x.argument, x.outcome, x.origin
             FROM commands x WHERE",
            "x",
        ),
        LogKind::State => (
            "SELECT x.run_id, x.ts, x.seq, x.id, x.from_state, x.to_state, x.cause
             FROM trading_state_changes x WHERE",
            "x",
        ),
        LogKind::Alert => (
            "SELECT x.run_id, x.ts, x.seq, x.id, x.text FROM alerts x WHERE",
            "x",
        ),
    }
}

/// The run column of a kind's query (a fill's run is its order's).
fn run_column(kind: LogKind) -> &'static str {
    match kind {
        LogKind::Fill => "o.run_id",
        _ => "x.run_id",
    }
}

/// A stored row's text.
fn text_of(kind: LogKind, r: &rusqlite::Row<'_>) -> rusqlite::Result<String> {
    let s = |i: usize| r.get::<_, String>(i);
    let opt = |i: usize| r.get::<_, Option<String>>(i);
    Ok(match kind {
        LogKind::Fill => {
            let parts = FillParts {
                account: s(4)?,
                side: s(5)?,
                qty: s(6)?,
                instrument: s(7)?,
                price: s(8)?,
                venue: s(9)?,
                fee: s(10)?,
                purpose: s(11)?,
                currency: opt(14)?,
                ts: Timestamp(r.get(1)?),
            };
            let contract: i64 = r.get(12)?;
            let terms: Option<BinaryContract> =
                opt(13)?.and_then(|j| serde_json::from_str(&j).ok());
            fill_text(
                &parts,
                if contract != 0 {
                    FillContract::Contract(terms.as_ref())
                } else {
                    FillContract::Position
                },
            )
        }
        LogKind::Trade => {
            let parts = TradeParts {
                account: s(4)?,
                instrument: s(5)?,
                side: s(6)?,
                qty: s(7)?,
                entry: s(8)?,
                exit: s(9)?,
                pnl: s(10)?,
                reason: s(11)?,
                currency: opt(14)?,
            };
            let direction = opt(15)?;
            let contract = if direction.is_some() || is_contract_kind(opt(12)?.as_deref()) {
                // Trades stored before the store kept the terms: the
                // opportunity that opened the contract says which way.
                let direction = match direction {
                    Some(d) => Some(d),
                    None => contract_direction(opt(13)?.as_deref())
                        .map(|d| Direction::as_str(d).to_string()),
                };
                Some(ContractParts {
                    direction,
                    strike: opt(16)?,
                    settle: opt(17)?,
                })
            } else {
                None
            };
            trade_text(&parts, contract.as_ref())
        }
        LogKind::Approved => approved_text(
            &s(6)?,
            r.get(7)?,
            &s(5)?,
            &s(4)?,
            &s(8)?,
            &s(9)?,
            opt(10)?.as_deref(),
        ),
        LogKind::Refused => refused_text(
            &s(6)?,
            r.get(7)?,
            &s(5)?,
            &s(4)?,
            &opt(8)?.unwrap_or_default(),
            &opt(9)?.unwrap_or_default(),
        ),
        LogKind::Command => command_text(&s(4)?, &s(5)?, &s(6)?, &s(7)?),
        LogKind::State => state_text(&s(4)?, &s(5)?, &s(6)?),
        LogKind::Alert => s(4)?,
    })
}

/// Up to `limit` rows of one kind from `from` on, newest first, each with
/// its id in its table. Only that kind's table is read, so a filter that
/// keeps few kinds pages past any number of rows of the others for free.
pub fn read_kind_page(
    conn: &Connection,
    kind: LogKind,
    from: PageFrom,
    limit: usize,
) -> rusqlite::Result<Vec<(LogRow, i64)>> {
    let (select, t) = kind_select(kind);
    let run = run_column(kind);
    let (cond, args): (String, Vec<i64>) = match from {
        PageFrom::Newest => ("1".into(), vec![]),
        PageFrom::Cursor(c) => (format!("({run}, {t}.seq) < (?2, ?3)"), vec![c.run, c.seq]),
        PageFrom::Id(id) => (format!("{t}.id < ?2"), vec![id]),
    };
    let sql = format!("{select} {cond} ORDER BY {t}.id DESC LIMIT ?1");
    let mut stmt = conn.prepare_cached(&sql)?;
    let lim = i64::try_from(limit).unwrap_or(i64::MAX);
    let params: Vec<i64> = std::iter::once(lim).chain(args).collect();
    let rows = stmt.query_map(rusqlite::params_from_iter(params), |r| {
        Ok((
            LogRow {
                run: r.get(0)?,
                ts: Timestamp(r.get(1)?),
                seq: r.get(2)?,
                kind,
                text: text_of(kind, r)?,
            },
            r.get::<_, i64>(3)?,
        ))
    })?;
    rows.collect()
}

/// How many rows of `kind` the store holds for runs before `run`.
pub fn count_before_run(conn: &Connection, kind: LogKind, run: i64) -> rusqlite::Result<usize> {
    let sql = match kind {
        LogKind::Fill => {
            "SELECT COUNT(*) FROM fills f JOIN orders o ON o.id = f.order_id WHERE o.run_id < ?1"
        }
        LogKind::Trade => "SELECT COUNT(*) FROM trades WHERE run_id < ?1",
        LogKind::Approved => {
            "SELECT COUNT(*) FROM risk_decisions WHERE verdict = 'APPROVED' AND run_id < ?1"
        }
        LogKind::Refused => {
            "SELECT COUNT(*) FROM risk_decisions WHERE verdict = 'REFUSED' AND run_id < ?1"
        }
        LogKind::Command => "SELECT COUNT(*) FROM commands WHERE run_id < ?1",
        LogKind::State => "SELECT COUNT(*) FROM trading_state_changes WHERE run_id < ?1",
        LogKind::Alert => "SELECT COUNT(*) FROM alerts WHERE run_id < ?1",
    };
    let n: i64 = conn.query_row(sql, [run], |r| r.get(0))?;
    Ok(usize::try_from(n).unwrap_or(0))
}

/// The newest position the store has committed among the log's tables.
/// The writer commits whole batches in order, so every record at or before
/// it is in the store.
pub fn committed(conn: &Connection) -> rusqlite::Result<Option<LogCursor>> {
    let mut best = None;
    for sql in [
        "SELECT o.run_id, f.seq FROM fills f JOIN orders o ON o.id = f.order_id ORDER BY f.id DESC LIMIT 1",
        "SELECT run_id, seq FROM trades ORDER BY id DESC LIMIT 1",
        "SELECT run_id, seq FROM risk_decisions ORDER BY id DESC LIMIT 1",
        "SELECT run_id, seq FROM commands ORDER BY id DESC LIMIT 1",
        "SELECT run_id, seq FROM trading_state_changes ORDER BY id DESC LIMIT 1",
    ] {
        let c = conn
            .prepare_cached(sql)?
            .query_row([], |r| {
                Ok(LogCursor {
                    run: r.get(0)?,
                    seq: r.get(1)?,
                })
            })
            .optional()?;
        best = best.max(c);
    }
    Ok(best)
}

/// The newest `limit` rows in the store, newest first.
pub fn read_log(conn: &Connection, limit: usize) -> rusqlite::Result<Vec<LogRow>> {
    read_log_page(conn, None, limit)
}

/// The newest `limit` rows of every kind older than `before` (all rows if
/// `None`), newest first.
pub fn read_log_page(
    conn: &Connection,
    before: Option<LogCursor>,
    limit: usize,
) -> rusqlite::Result<Vec<LogRow>> {
    let from = before.map_or(PageFrom::Newest, PageFrom::Cursor);
    let mut rows = Vec::new();
    for kind in LogKind::ALL {
        rows.extend(
            read_kind_page(conn, kind, from, limit)?
                .into_iter()
                .map(|(r, _)| r),
        );
    }
    // Runs of the demo restart its clock, so newest means latest run first,
    // then the order the store wrote them.
    rows.sort_by_key(|r| std::cmp::Reverse(r.cursor()));
    rows.truncate(limit);
    Ok(rows)
}
