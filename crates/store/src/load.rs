//! Reading back: the state a restart resumes from, and the trade log.

use super::StoreError;
use omni_core::domain::{Catalog, Timestamp};
use omni_core::engine::RestoredState;
use omni_core::portfolio::Position;
use omni_core::risk::{AccountRisk, TradingState};
use rusqlite::{Connection, OptionalExtension, params};
use rust_decimal::Decimal;
use serde::Serialize;
use std::str::FromStr;

fn sql(path: &Connection) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
    move |source| StoreError::Sqlite {
        path: path.path().unwrap_or(":memory:").to_string(),
        source,
    }
}

/// Every row of a query whose three columns are text.
fn text_rows(
    conn: &Connection,
    query: &str,
) -> Result<Vec<(String, String, String)>, rusqlite::Error> {
    let mut stmt = conn.prepare(query)?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    rows.collect()
}

/// How the store writes an unlatched kill switch in `meta.kill_latched`
/// (a latched one is `"1"`).
pub const KILL_OFF: &str = "0";

/// Loads what a restart needs. Orders still working when the last run
/// stopped are marked CANCELLED: the paper broker's book lived in memory
/// and is gone, so they can never fill.
pub fn load_state(conn: &Connection, catalog: &Catalog) -> Result<RestoredState, StoreError> {
    let e = sql(conn);
    conn.execute(
        "UPDATE orders SET status = 'CANCELLED', note = 'lost at restart: the paper broker keeps no state'
         WHERE status IN ('PENDING', 'OPEN', 'PARTIAL')",
        [],
    )
    .map_err(&e)?;
    let meta = |key: &str| -> Result<Option<String>, StoreError> {
        conn.query_row("SELECT value FROM meta WHERE key = ?1", params![key], |r| {
            r.get(0)
        })
        .optional()
        .map_err(&e)
    };
    let mut s = RestoredState {
        trading_state: meta("trading_state")?.and_then(|v| TradingState::parse(&v)),
        // Fail closed: only the store's own "off" (or no flag at all, a
        // new database) restores unlatched; anything else is a latch.
        kill_latched: !matches!(meta("kill_latched")?.as_deref(), None | Some(KILL_OFF)),
        ..RestoredState::default()
    };
    for (name, cash, risk) in
        text_rows(conn, "SELECT name, cash, risk_json FROM accounts").map_err(&e)?
    {
        let Some(id) = catalog.account_by_name(&name) else {
            continue; // an account removed from the config
        };
        let cash = Decimal::from_str(&cash).map_err(|x| StoreError::Corrupt {
            table: "accounts",
            message: format!("{name}: cash `{cash}`: {x}"),
        })?;
        let risk: AccountRisk = serde_json::from_str(&risk).map_err(|x| StoreError::Corrupt {
            table: "accounts",
            message: format!("{name}: risk: {x}"),
        })?;
        s.accounts.push((id, cash, risk));
    }
    let positions = text_rows(
        conn,
        "SELECT account, instrument, json FROM positions ORDER BY account, instrument, contract",
    )
    .map_err(&e)?;
    for (account, instrument, text) in positions {
        let (Some(a), Some(i)) = (
            catalog.account_by_name(&account),
            catalog.instrument_by_name(&instrument),
        ) else {
            continue;
        };
        let mut p: Position = serde_json::from_str(&text).map_err(|x| StoreError::Corrupt {
            table: "positions",
            message: format!("{account} {instrument}: {x}"),
        })?;
        // Ids are indices into the current config; names are what was stored.
        p.key.account = a;
        p.key.instrument = i;
        if let Some(v) = catalog.instrument(i).venues.first()
            && p.venue.index() >= catalog.venues.len()
        {
            p.venue = *v;
        }
        s.positions.push(p);
    }
    let max = |table: &str| -> Result<u64, StoreError> {
        conn.query_row(
            &format!("SELECT COALESCE(MAX(id), 0) FROM {table}"),
            [],
            |r| r.get::<_, i64>(0),
        )
        .map(|v| v as u64 + 1)
        .map_err(&e)
    };
    s.clock = stored_clock(conn).map_err(&e)?;
    s.next_order_id = max("orders")?;
    s.next_opportunity_id = max("opportunities")?;
    let mut stmt = conn
        .prepare("SELECT instrument, kind, wins, losses FROM learning ORDER BY instrument, kind")
        .map_err(&e)?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, u32>(2)?,
                r.get::<_, u32>(3)?,
            ))
        })
        .map_err(&e)?;
    for row in rows {
        let (instrument, kind, wins, losses) = row.map_err(&e)?;
        let kind = omni_core::domain::OpportunityKind::parse(&kind);
        if let (Some(i), Some(k)) = (catalog.instrument_by_name(&instrument), kind) {
            s.learning.push((i, k, wins, losses));
        }
    }
    let mut stmt = conn.prepare("SELECT trade_id FROM fills").map_err(&e)?;
    s.fill_ids = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .map_err(&e)?
        .collect::<Result<_, _>>()
        .map_err(&e)?;
    Ok(s)
}

/// The latest time any record was written at: every audit carries the
/// engine's clock, and a run audits something at least every time an
/// opportunity opens, so this is (close to) where the last run stopped.
fn stored_clock(conn: &Connection) -> rusqlite::Result<Option<Timestamp>> {
    conn.query_row(
        "SELECT MAX(t) FROM (
            SELECT MAX(updated_ts) AS t FROM accounts
            UNION ALL SELECT MAX(created_ts) FROM opportunities
            UNION ALL SELECT MAX(closed_ts) FROM opportunities
            UNION ALL SELECT MAX(ts) FROM risk_decisions
            UNION ALL SELECT MAX(updated_ts) FROM orders
            UNION ALL SELECT MAX(ts) FROM fills
            UNION ALL SELECT MAX(closed_ts) FROM trades
            UNION ALL SELECT MAX(ts) FROM commands
            UNION ALL SELECT MAX(ts) FROM trading_state_changes
        )",
        [],
        |r| r.get::<_, Option<i64>>(0),
    )
    .map(|t| t.map(Timestamp))
}

/// One closed round trip, as stored.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TradeRow {
    pub id: i64,
    pub account: String,
    pub instrument: String,
    /// Kind of the opportunity that opened the trade; `None` if none did.
    pub kind: Option<String>,
    /// BUY (long) or SELL (short).
    pub side: String,
    /// Largest quantity held, as a decimal string.
    pub qty: String,
    /// Average entry.
    pub entry_price: String,
    /// Average exit.
    pub exit_price: String,
    /// P&L after fees.
    pub pnl: String,
    /// Fees of the round trip, already taken out of `pnl`.
    pub fees: String,
    /// Opened (UTC).
    pub opened: String,
    /// Closed (UTC).
    pub closed: String,
    pub reason: String,
}

/// Closed trades, oldest first (at most `limit`, the newest ones).
pub fn read_trades(conn: &Connection, limit: usize) -> Result<Vec<TradeRow>, StoreError> {
    let e = sql(conn);
    let mut stmt = conn
        .prepare(
            "SELECT id, account, instrument, kind, side, qty, entry_price, exit_price, pnl, fees,
                    opened_ts, closed_ts, reason
             FROM (SELECT * FROM trades ORDER BY id DESC LIMIT ?1) ORDER BY id",
        )
        .map_err(&e)?;
    let rows = stmt
        .query_map(params![limit as i64], |r| {
            Ok(TradeRow {
                id: r.get(0)?,
                account: r.get(1)?,
                instrument: r.get(2)?,
                kind: r.get(3)?,
                side: r.get(4)?,
                qty: r.get(5)?,
                entry_price: r.get(6)?,
                exit_price: r.get(7)?,
                pnl: r.get(8)?,
                fees: r.get(9)?,
                opened: Timestamp(r.get(10)?).to_string(),
                closed: Timestamp(r.get(11)?).to_string(),
                reason: r.get(12)?,
            })
        })
        .map_err(&e)?;
    rows.collect::<Result<_, _>>().map_err(&e)
}
