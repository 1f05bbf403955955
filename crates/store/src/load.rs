//! Reading back: the state a restart resumes from, and the trade log.

use super::StoreError;
use omni_core::domain::{Catalog, Direction, OpportunityDetail, ShapeKind, Timestamp};
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

/// Loads what a restart needs. Paper accounts' orders still working when
/// the last run stopped are marked CANCELLED: the paper broker's book
/// lived in memory and is gone, so they can never fill. A live account's
/// are handed back as working: the venue may still fill or cancel them,
/// and its order manager asks it which.
pub fn load_state(conn: &Connection, catalog: &Catalog) -> Result<RestoredState, StoreError> {
    let e = sql(conn);
    let live: Vec<&str> = catalog
        .accounts
        .iter()
        .filter(|a| a.broker.is_live())
        .map(|a| a.name.as_str())
        .collect();
    let working = working_live_orders(conn, catalog, &live)?;
    let mut stmt = conn
        .prepare(
            "UPDATE orders SET status = 'CANCELLED', note = 'lost at restart: the paper broker keeps no state'
             WHERE status IN ('PENDING', 'OPEN', 'PARTIAL') AND id = ?1",
        )
        .map_err(&e)?;
    let open: Vec<(i64, String)> = {
        let mut q = conn
            .prepare(
                "SELECT id, account FROM orders WHERE status IN ('PENDING', 'OPEN', 'PARTIAL')",
            )
            .map_err(&e)?;
        q.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(&e)?
            .collect::<Result<_, _>>()
            .map_err(&e)?
    };
    for (id, account) in open {
        if !live.contains(&account.as_str()) {
            stmt.execute(params![id]).map_err(&e)?;
        }
    }
    drop(stmt);
    let meta = |key: &str| -> Result<Option<String>, StoreError> {
        conn.query_row("SELECT value FROM meta WHERE key = ?1", params![key], |r| {
            r.get(0)
        })
        .optional()
        .map_err(&e)
    };
    let mut s = RestoredState {
        working,
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

/// One closed round trip, as stored, with its account's currency and, for
/// a fixed-odds contract, the way the contract pointed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TradeRow {
    pub id: i64,
    pub account: String,
    /// The account's currency (`accounts.currency`), which `fees` and `pnl`
    /// are in; `None` if the account has no row there.
    pub currency: Option<String>,
    pub instrument: String,
    /// Kind of the opportunity that opened the trade; `None` if none did.
    pub kind: Option<String>,
    /// BUY (long) or SELL (short).
    pub side: String,
    /// UP or DOWN for a contract (a binary option: the round trip is
    /// always a BUY of the contract, so `side` alone does not say which
    /// way it bet); `None` for positions, whose `side` says it.
    pub contract: Option<Direction>,
    /// A contract's strike (`None` for positions, and for contracts
    /// stored before the store kept it).
    pub strike: Option<Decimal>,
    /// The underlying's price when a contract settled at expiry (`None`
    /// when it was sold back before, and for positions).
    pub settle_price: Option<Decimal>,
    /// Largest quantity held.
    pub qty: Decimal,
    /// Average entry.
    pub entry_price: Decimal,
    /// Average exit.
    pub exit_price: Decimal,
    /// P&L after fees.
    pub pnl: Decimal,
    /// Fees of the round trip, already taken out of `pnl`.
    pub fees: Decimal,
    /// Opened (UTC; `Timestamp`'s text in JSON, as before).
    #[serde(serialize_with = "display")]
    pub opened: Timestamp,
    /// Closed (UTC).
    #[serde(serialize_with = "display")]
    pub closed: Timestamp,
    pub reason: String,
}

/// Serializes a value as its `Display` text.
fn display<T: std::fmt::Display, S: serde::Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// Which closed trades to read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TradeQuery {
    /// Only these accounts (by name); empty for all.
    pub accounts: Vec<String>,
    /// Only trades closed at or after this time.
    pub since: Option<Timestamp>,
    /// At most this many, the newest; `None` for all.
    pub limit: Option<usize>,
}

/// The trades a [`TradeQuery`] read, and how many matched before its limit.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TradePage {
    /// Oldest first.
    pub rows: Vec<TradeRow>,
    /// Trades matching the accounts and time, however many `rows` holds.
    pub matching: usize,
}

/// Closed trades matching `q`, oldest first (the newest `q.limit` of them),
/// with the number that matched.
pub fn read_trades(conn: &Connection, q: &TradeQuery) -> Result<TradePage, StoreError> {
    use rusqlite::types::Value;
    let e = sql(conn);
    let mut filter = vec!["1".to_string()];
    let mut args: Vec<Value> = Vec::new();
    if !q.accounts.is_empty() {
        let marks: Vec<String> = (0..q.accounts.len())
            .map(|i| format!("?{}", args.len() + i + 1))
            .collect();
        filter.push(format!("t.account IN ({})", marks.join(", ")));
        args.extend(q.accounts.iter().cloned().map(Value::Text));
    }
    if let Some(since) = q.since {
        args.push(Value::Integer(since.nanos()));
        filter.push(format!("t.closed_ts >= ?{}", args.len()));
    }
    let filter = filter.join(" AND ");
    let matching: i64 = conn
        .query_row(
            &format!("SELECT COUNT(*) FROM trades t WHERE {filter}"),
            rusqlite::params_from_iter(args.iter()),
            |r| r.get(0),
        )
        .map_err(&e)?;
    // SQLite reads a negative LIMIT as none.
    let limit = q.limit.map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX));
    args.push(Value::Integer(limit));
    // `omni-tui trades` reads a database as it is, without migrating it.
    let terms = if crate::schema::version(conn).map_err(&e)? >= crate::schema::TRADE_TERMS_VERSION {
        "t.direction, t.strike, t.settle_price"
    } else {
        "NULL, NULL, NULL"
    };
    let mut stmt = conn
        .prepare(&format!(
            "SELECT * FROM (
                SELECT t.id, t.account, a.currency, t.instrument, t.kind, t.side, t.qty,
                       t.entry_price, t.exit_price, t.pnl, t.fees, t.opened_ts, t.closed_ts,
                       t.reason, o.detail_json, {terms}
                FROM trades t
                LEFT JOIN accounts a ON a.name = t.account
                LEFT JOIN opportunities o ON o.id = t.opportunity_id
                WHERE {filter} ORDER BY t.id DESC LIMIT ?{}
             ) ORDER BY id",
            args.len()
        ))
        .map_err(&e)?;
    type Raw = (
        i64,
        String,
        Option<String>,
        String,
        Option<String>,
        String,
        [String; 5],
        i64,
        i64,
        String,
        Option<String>,
        [Option<String>; 3],
    );
    let raw = stmt
        .query_map(
            rusqlite::params_from_iter(args.iter()),
            |r| -> rusqlite::Result<Raw> {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    [r.get(6)?, r.get(7)?, r.get(8)?, r.get(9)?, r.get(10)?],
                    r.get(11)?,
                    r.get(12)?,
                    r.get(13)?,
                    r.get(14)?,
                    [r.get(15)?, r.get(16)?, r.get(17)?],
                ))
            },
        )
        .map_err(&e)?
        .collect::<Result<Vec<Raw>, _>>()
        .map_err(&e)?;
    let mut rows = Vec::with_capacity(raw.len());
    for (
        id,
        account,
        currency,
        instrument,
        kind,
        side,
        nums,
        opened,
        closed,
        reason,
        detail,
        terms,
    ) in raw
    {
        let dec = |name: &str, text: &str| {
            Decimal::from_str(text).map_err(|x| StoreError::Corrupt {
                table: "trades",
                message: format!("trade {id}: {name} `{text}`: {x}"),
            })
        };
        let [qty, entry_price, exit_price, pnl, fees] = nums;
        let (qty, entry_price, exit_price, pnl, fees) = (
            dec("qty", &qty)?,
            dec("entry_price", &entry_price)?,
            dec("exit_price", &exit_price)?,
            dec("pnl", &pnl)?,
            dec("fees", &fees)?,
        );
        let [direction, strike, settle_price] = terms;
        let opt_dec = |name: &str, text: Option<String>| text.map(|t| dec(name, &t)).transpose();
        let (strike, settle_price) = (
            opt_dec("strike", strike)?,
            opt_dec("settle_price", settle_price)?,
        );
        // Written with the trade since schema version 4; before, the
        // opportunity that opened the contract says which way it bet.
        let contract = match direction.as_deref() {
            Some(text) => Some(parse_direction(text).ok_or_else(|| StoreError::Corrupt {
                table: "trades",
                message: format!("trade {id}: direction `{text}`"),
            })?),
            None => contract_direction(detail.as_deref()),
        };
        rows.push(TradeRow {
            id,
            account,
            currency,
            instrument,
            kind,
            side,
            contract,
            strike,
            settle_price,
            qty,
            entry_price,
            exit_price,
            pnl,
            fees,
            opened: Timestamp(opened),
            closed: Timestamp(closed),
            reason,
        });
    }
    Ok(TradePage {
        rows,
        matching: usize::try_from(matching).unwrap_or(0),
    })
}

/// The direction of a contract opportunity (a binary option) from its
/// stored detail; `None` for any other shape, or a detail this build
/// cannot read (a kind since removed): the trade's side still says
/// long or short.
fn contract_direction(detail: Option<&str>) -> Option<Direction> {
    let detail: OpportunityDetail = serde_json::from_str(detail?).ok()?;
    (detail.kind().shape() == ShapeKind::Contract).then(|| detail.terms().direction())
}

/// A stored direction (`Direction::as_str`).
fn parse_direction(text: &str) -> Option<Direction> {
    [Direction::Up, Direction::Down, Direction::Neutral]
        .into_iter()
        .find(|d| d.as_str() == text)
}

/// Every account name the database knows: those with a stored balance and
/// those with trades, sorted.
pub fn account_names(conn: &Connection) -> Result<Vec<String>, StoreError> {
    let e = sql(conn);
    let mut stmt = conn
        .prepare("SELECT name FROM accounts UNION SELECT account FROM trades ORDER BY 1")
        .map_err(&e)?;
    let names = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .map_err(&e)?
        .collect::<Result<_, _>>()
        .map_err(&e)?;
    Ok(names)
}

/// Working orders of the `live` accounts, as the engine tracks them.
fn working_live_orders(
    conn: &Connection,
    catalog: &Catalog,
    live: &[&str],
) -> Result<Vec<omni_core::domain::Order>, StoreError> {
    use omni_core::domain::{Order, OrderId, OrderStatus, Timestamp};
    let e = sql(conn);
    if live.is_empty() {
        return Ok(Vec::new());
    }
    let corrupt = |message: String| StoreError::Corrupt {
        table: "orders",
        message,
    };
    // Enums are stored under their serde names.
    fn parse<T: serde::de::DeserializeOwned>(s: &str) -> Option<T> {
        serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
    }
    let dec = |id: i64, what: &str, v: &str| {
        Decimal::from_str(v).map_err(|x| corrupt(format!("order {id}: {what} `{v}`: {x}")))
    };
    let mut q = conn
        .prepare(
            "SELECT id, account, instrument, venue, side, type, tif, qty, limit_price,
                    reference_price, status, filled_qty, avg_fill_price, fees, purpose,
                    exit_reason, opportunity_id, position_contract, created_ts, updated_ts
             FROM orders WHERE status IN ('PENDING', 'OPEN', 'PARTIAL') ORDER BY id",
        )
        .map_err(&e)?;
    type Row = (
        i64,
        [String; 7],
        Option<String>,
        [String; 6],
        (Option<String>, Option<i64>, i64, i64, i64),
    );
    let rows: Vec<Row> = q
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                [
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                ],
                r.get(8)?,
                [
                    r.get(9)?,
                    r.get(10)?,
                    r.get(11)?,
                    r.get(12)?,
                    r.get(13)?,
                    r.get(14)?,
                ],
                (r.get(15)?, r.get(16)?, r.get(17)?, r.get(18)?, r.get(19)?),
            ))
        })
        .map_err(&e)?
        .collect::<Result<_, _>>()
        .map_err(&e)?;
    let mut out = Vec::new();
    for (id, [account, instrument, venue, side, kind, tif, qty], limit, nums, rest) in rows {
        if !live.contains(&account.as_str()) {
            continue;
        }
        let [reference, status, filled, avg, fees, purpose] = nums;
        let (exit_reason, opportunity, contract, created, updated) = rest;
        let (Some(a), Some(i), Some(v)) = (
            catalog.account_by_name(&account),
            catalog.instrument_by_name(&instrument),
            catalog.venue_by_name(&venue),
        ) else {
            continue; // renamed or removed from the config
        };
        let bad = |what: &str, v: &str| corrupt(format!("order {id}: {what} `{v}`"));
        out.push(Order {
            id: OrderId(u64::try_from(id).map_err(|_| bad("id", &id.to_string()))?),
            account: a,
            instrument: i,
            venue: v,
            side: parse(&side).ok_or_else(|| bad("side", &side))?,
            order_type: parse(&kind).ok_or_else(|| bad("type", &kind))?,
            tif: parse(&tif).ok_or_else(|| bad("tif", &tif))?,
            qty: dec(id, "qty", &qty)?,
            limit_price: limit.as_deref().map(|l| dec(id, "limit", l)).transpose()?,
            stop_price: None,
            reference_price: dec(id, "reference", &reference)?,
            status: OrderStatus::parse(&status).ok_or_else(|| bad("status", &status))?,
            filled_qty: dec(id, "filled", &filled)?,
            avg_fill_price: dec(id, "average", &avg)?,
            fees: dec(id, "fees", &fees)?,
            purpose: parse(&purpose).ok_or_else(|| bad("purpose", &purpose))?,
            exit_reason: exit_reason.as_deref().and_then(parse),
            opportunity: opportunity
                .and_then(|o| u64::try_from(o).ok())
                .map(omni_core::domain::OpportunityId),
            binary: None,
            position_contract: u64::try_from(contract).unwrap_or(0),
            stop_loss: None,
            take_profit: None,
            created: Timestamp::from_nanos(created),
            updated: Timestamp::from_nanos(updated),
        });
    }
    Ok(out)
}
