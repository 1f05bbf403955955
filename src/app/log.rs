//! The trade log, read from the SQLite store: fills, closed trades, the
//! gate's decisions, operator commands and trading-state changes.

use omni_core::domain::Timestamp;
use rusqlite::Connection;
use rust_decimal::Decimal;
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

fn short(s: &str, dp: u32) -> String {
    Decimal::from_str(s)
        .map(|d| d.round_dp(dp).normalize().to_string())
        .unwrap_or_else(|_| s.to_string())
}

/// The newest `limit` rows, newest first.
pub fn read_log(conn: &Connection, limit: usize) -> rusqlite::Result<Vec<LogRow>> {
    let lim = limit as i64;
    let mut rows = Vec::new();
    let mut q = |sql: &str,
                 kind: LogKind,
                 fmt: &dyn Fn(&rusqlite::Row<'_>) -> rusqlite::Result<String>|
     -> rusqlite::Result<()> {
        let mut stmt = conn.prepare_cached(sql)?;
        let mapped = stmt.query_map([lim], |r| {
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
         FROM fills f JOIN orders o ON o.id = f.order_id ORDER BY f.id DESC LIMIT ?1",
        LogKind::Fill,
        &|r| {
            Ok(format!(
                "{} {} {} {} @ {} on {} (fee {}, {})",
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                short(&r.get::<_, String>(4)?, 8),
                r.get::<_, String>(5)?,
                short(&r.get::<_, String>(6)?, 6),
                r.get::<_, String>(7)?,
                short(&r.get::<_, String>(8)?, 4),
                r.get::<_, String>(9)?,
            ))
        },
    )?;
    q(
        "SELECT run_id, closed_ts, account, instrument, side, qty, entry_price, exit_price, pnl, reason, seq
         FROM trades ORDER BY id DESC LIMIT ?1",
        LogKind::Trade,
        &|r| {
            Ok(format!(
                "{} {} {} {} {} → {} P&L {} ({})",
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                if r.get::<_, String>(4)? == "BUY" { "long" } else { "short" },
                short(&r.get::<_, String>(5)?, 8),
                short(&r.get::<_, String>(6)?, 6),
                short(&r.get::<_, String>(7)?, 6),
                short(&r.get::<_, String>(8)?, 2),
                r.get::<_, String>(9)?,
            ))
        },
    )?;
    q(
        "SELECT run_id, ts, account, instrument, kind, reason, detail, opportunity_id, seq
         FROM risk_decisions WHERE verdict = 'REFUSED' ORDER BY id DESC LIMIT ?1",
        LogKind::Refused,
        &|r| {
            Ok(format!(
                "{} #{} {} → {}: {} ({})",
                r.get::<_, String>(4)?,
                r.get::<_, i64>(7)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(5)?.unwrap_or_default(),
                r.get::<_, Option<String>>(6)?.unwrap_or_default(),
            ))
        },
    )?;
    q(
        "SELECT run_id, ts, account, instrument, kind, qty, notional, opportunity_id, seq
         FROM risk_decisions WHERE verdict = 'APPROVED' ORDER BY id DESC LIMIT ?1",
        LogKind::Approved,
        &|r| {
            Ok(format!(
                "{} #{} {} → {}: size {} (notional {})",
                r.get::<_, String>(4)?,
                r.get::<_, i64>(7)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(2)?,
                short(&r.get::<_, String>(5)?, 8),
                short(&r.get::<_, String>(6)?, 2),
            ))
        },
    )?;
    q(
        "SELECT run_id, ts, command, argument, outcome, seq FROM commands ORDER BY id DESC LIMIT ?1",
        LogKind::Command,
        &|r| {
            let arg: String = r.get(3)?;
            Ok(format!(
                "{}{}: {}",
                r.get::<_, String>(2)?,
                if arg.is_empty() {
                    String::new()
                } else {
                    format!(" {arg}")
                },
                r.get::<_, String>(4)?,
            ))
        },
    )?;
    q(
        "SELECT run_id, ts, from_state, to_state, cause, seq FROM trading_state_changes ORDER BY id DESC LIMIT ?1",
        LogKind::State,
        &|r| {
            Ok(format!(
                "{} → {}: {}",
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
            ))
        },
    )?;
    // Runs of the demo restart its clock, so newest means latest run first,
    // then the order the store wrote them.
    rows.sort_by(|a, b| b.run.cmp(&a.run).then(b.seq.cmp(&a.seq)));
    rows.truncate(limit);
    Ok(rows)
}
