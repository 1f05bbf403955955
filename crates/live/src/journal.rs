//! The order journal: what every live order is, under which client id,
//! and which venue executions have been applied, in SQLite, committed
//! before anything leaves for the venue.
//!
//! It lives in the run's database file beside the store's tables, on its
//! own connection (WAL, `synchronous=FULL`, so a commit survives `kill -9`
//! and power loss). The journal is the manager's memory of the venue:
//! after a crash it says which orders may be live (IN_FLIGHT or working)
//! and must be asked about, and which executions were already applied, so
//! none is applied twice.

use rusqlite::{Connection, OptionalExtension, params};
use rust_decimal::Decimal;
use std::path::Path;
use std::str::FromStr;

/// An order's state in the journal: the venue's states plus `IN_FLIGHT`
/// (committed here, sent or about to be, outcome not yet known).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JournalState {
    InFlight,
    New,
    PartiallyFilled,
    Filled,
    Cancelled,
    Rejected,
    Expired,
}

impl JournalState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InFlight => "IN_FLIGHT",
            Self::New => "NEW",
            Self::PartiallyFilled => "PARTIALLY_FILLED",
            Self::Filled => "FILLED",
            Self::Cancelled => "CANCELLED",
            Self::Rejected => "REJECTED",
            Self::Expired => "EXPIRED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "IN_FLIGHT" => Self::InFlight,
            "NEW" => Self::New,
            "PARTIALLY_FILLED" => Self::PartiallyFilled,
            "FILLED" => Self::Filled,
            "CANCELLED" => Self::Cancelled,
            "REJECTED" => Self::Rejected,
            "EXPIRED" => Self::Expired,
            _ => return None,
        })
    }

    /// True when the venue will never fill more of it.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::Filled | Self::Cancelled | Self::Rejected | Self::Expired
        )
    }
}

impl From<crate::api::VenueOrderState> for JournalState {
    fn from(s: crate::api::VenueOrderState) -> Self {
        use crate::api::VenueOrderState as V;
        match s {
            V::New => Self::New,
            V::PartiallyFilled => Self::PartiallyFilled,
            V::Filled => Self::Filled,
            V::Cancelled => Self::Cancelled,
            V::Rejected => Self::Rejected,
            V::Expired => Self::Expired,
        }
    }
}

/// One journaled order.
#[derive(Clone, Debug, PartialEq)]
pub struct JournalOrder {
    pub client_id: String,
    /// The engine's order id.
    pub order_id: u64,
    pub account: u16,
    pub broker: String,
    pub symbol: String,
    /// `BUY` or `SELL`.
    pub side: String,
    pub qty: Decimal,
    pub limit: Option<Decimal>,
    pub state: JournalState,
    pub venue_id: Option<String>,
    pub filled: Decimal,
    pub reason: Option<String>,
    /// How many times a place request was sent for it (the same client id
    /// each time).
    pub sends: u32,
    /// When it was journaled, ms since the epoch (set by [`Journal::insert`]
    /// from its `now_ms`; ignored when inserting).
    pub created_ms: i64,
}

/// One applied execution.
#[derive(Clone, Debug, PartialEq)]
pub struct JournalFill {
    pub broker: String,
    pub trade_id: String,
    pub client_id: String,
    pub qty: Decimal,
    pub price: Decimal,
    /// Fee in the account's currency.
    pub fee: Decimal,
    /// The same fee in the instrument's units when the venue kept it in
    /// the coin bought (0 otherwise).
    pub fee_in_kind: Decimal,
    pub ts_ms: i64,
}

/// Why the journal could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// SQLite's message (its text only: the error says its cause once).
    #[error("order journal: {0}")]
    Sql(String),
    #[error("order journal: bad stored value `{0}`")]
    Corrupt(String),
}

impl From<rusqlite::Error> for JournalError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Sql(e.to_string())
    }
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS live_orders (
    client_id   TEXT PRIMARY KEY,
    order_id    INTEGER NOT NULL,
    account     INTEGER NOT NULL,
    broker      TEXT NOT NULL,
    symbol      TEXT NOT NULL,
    side        TEXT NOT NULL,
    qty         TEXT NOT NULL,
    limit_price TEXT,
    state       TEXT NOT NULL,
    venue_id    TEXT,
    filled      TEXT NOT NULL DEFAULT '0',
    reason      TEXT,
    sends       INTEGER NOT NULL DEFAULT 0,
    created_ms  INTEGER NOT NULL,
    updated_ms  INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS live_orders_open ON live_orders(broker, state);
CREATE TABLE IF NOT EXISTS live_fills (
    broker    TEXT NOT NULL,
    trade_id  TEXT NOT NULL,
    client_id TEXT NOT NULL,
    qty       TEXT NOT NULL,
    price     TEXT NOT NULL,
    fee       TEXT NOT NULL,
    fee_in_kind TEXT NOT NULL DEFAULT '0',
    ts_ms     INTEGER NOT NULL,
    PRIMARY KEY (broker, trade_id)
);
CREATE TABLE IF NOT EXISTS live_closes (
    client_id TEXT PRIMARY KEY,
    covers    TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS live_baseline (
    broker  TEXT NOT NULL,
    account INTEGER NOT NULL,
    asset   TEXT NOT NULL,
    qty     TEXT NOT NULL,
    PRIMARY KEY (broker, account, asset)
);
";

/// The journal on one SQLite connection.
pub struct Journal {
    conn: Connection,
}

fn dec(s: String) -> Result<Decimal, JournalError> {
    Decimal::from_str(&s).map_err(|_| JournalError::Corrupt(s))
}

impl Journal {
    /// Opens (and creates) the journal's tables in the database at `path`.
    pub fn open(path: &Path) -> Result<Self, JournalError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // FULL: a commit that returned is on disk even after a power loss,
        // which is what "persist before send" promises.
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.execute_batch(SCHEMA)?;
        Ok(Self { conn })
    }

    /// Records a new order as IN_FLIGHT; committed when this returns.
    /// Refuses a client id already used (one id is one order, forever).
    pub fn insert(&self, o: &JournalOrder, now_ms: i64) -> Result<(), JournalError> {
        self.conn.execute(
            "INSERT INTO live_orders (client_id, order_id, account, broker, symbol, side, qty,
                 limit_price, state, venue_id, filled, reason, sends, created_ms, updated_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14)",
            params![
                o.client_id,
                o.order_id as i64,
                o.account,
                o.broker,
                o.symbol,
                o.side,
                o.qty.to_string(),
                o.limit.map(|p| p.to_string()),
                o.state.as_str(),
                o.venue_id,
                o.filled.to_string(),
                o.reason,
                o.sends,
                now_ms,
            ],
        )?;
        Ok(())
    }

    /// Counts one more send of the order (before it leaves).
    pub fn sent(&self, client_id: &str, now_ms: i64) -> Result<(), JournalError> {
        self.conn.execute(
            "UPDATE live_orders SET sends = sends + 1, updated_ms = ?2 WHERE client_id = ?1",
            params![client_id, now_ms],
        )?;
        Ok(())
    }

    /// Records what the venue says of the order. A terminal state is never
    /// left (a stale answer arriving late cannot reopen a finished order),
    /// and the filled quantity never goes down.
    pub fn update(
        &self,
        client_id: &str,
        state: JournalState,
        venue_id: Option<&str>,
        filled: Option<Decimal>,
        reason: Option<&str>,
        now_ms: i64,
    ) -> Result<(), JournalError> {
        let Some(current) = self.order(client_id)? else {
            return Ok(());
        };
        let state = if current.state.is_terminal() {
            current.state
        } else {
            state
        };
        let filled = filled.map_or(current.filled, |f| f.max(current.filled));
        self.conn.execute(
            "UPDATE live_orders SET state = ?2, venue_id = COALESCE(?3, venue_id), filled = ?4,
                 reason = COALESCE(?5, reason), updated_ms = ?6
             WHERE client_id = ?1",
            params![
                client_id,
                state.as_str(),
                venue_id,
                filled.to_string(),
                reason,
                now_ms
            ],
        )?;
        Ok(())
    }

    /// Records an execution once: true if it is new (to be applied), false
    /// if this trade id was already recorded (a duplicate from the stream,
    /// or the same fill seen again by a query).
    pub fn record_fill(&self, f: &JournalFill) -> Result<bool, JournalError> {
        let n = self.conn.execute(
            "INSERT OR IGNORE INTO live_fills
                 (broker, trade_id, client_id, qty, price, fee, fee_in_kind, ts_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                f.broker,
                f.trade_id,
                f.client_id,
                f.qty.to_string(),
                f.price.to_string(),
                f.fee.to_string(),
                f.fee_in_kind.to_string(),
                f.ts_ms
            ],
        )?;
        Ok(n == 1)
    }

    /// The order with this client id.
    pub fn order(&self, client_id: &str) -> Result<Option<JournalOrder>, JournalError> {
        let row = self
            .conn
            .query_row(
                &format!("{SELECT_ORDER} WHERE client_id = ?1"),
                params![client_id],
                raw_order,
            )
            .optional()?;
        row.map(RawOrder::parse).transpose()
    }

    /// The order the engine knows as `order_id` on this account (the
    /// latest, should an id have been reused by a database started anew).
    pub fn by_order_id(
        &self,
        broker: &str,
        account: u16,
        order_id: u64,
    ) -> Result<Option<JournalOrder>, JournalError> {
        let row = self
            .conn
            .query_row(
                &format!(
                    "{SELECT_ORDER} WHERE broker = ?1 AND account = ?2 AND order_id = ?3
                     ORDER BY created_ms DESC LIMIT 1"
                ),
                params![broker, account, order_id as i64],
                raw_order,
            )
            .optional()?;
        row.map(RawOrder::parse).transpose()
    }

    /// Orders of `broker` the venue may still hold: IN_FLIGHT or working.
    pub fn unfinished(&self, broker: &str) -> Result<Vec<JournalOrder>, JournalError> {
        let mut stmt = self.conn.prepare(&format!(
            "{SELECT_ORDER} WHERE broker = ?1
                 AND state IN ('IN_FLIGHT', 'NEW', 'PARTIALLY_FILLED') ORDER BY created_ms"
        ))?;
        let rows = stmt.query_map(params![broker], raw_order)?;
        rows.map(|r| r.map_err(JournalError::from).and_then(RawOrder::parse))
            .collect()
    }

    /// Every order of `broker` (newest last), for the cockpit and tests.
    pub fn orders(&self, broker: &str) -> Result<Vec<JournalOrder>, JournalError> {
        let mut stmt = self.conn.prepare(&format!(
            "{SELECT_ORDER} WHERE broker = ?1 ORDER BY created_ms, client_id"
        ))?;
        let rows = stmt.query_map(params![broker], raw_order)?;
        rows.map(|r| r.map_err(JournalError::from).and_then(RawOrder::parse))
            .collect()
    }

    /// Executions applied for one order.
    pub fn fills_of(&self, client_id: &str) -> Result<Vec<JournalFill>, JournalError> {
        self.fills_where("client_id = ?1", params![client_id])
    }

    /// Quantity of the order's executions recorded so far (0 when the
    /// journal cannot be read: the order then looks incomplete and is
    /// asked about again, which is the safe side).
    pub fn recorded_qty(&self, client_id: &str) -> Decimal {
        self.fills_of(client_id)
            .map(|f| f.iter().map(|f| f.qty).sum())
            .unwrap_or(Decimal::ZERO)
    }

    /// Executions of `broker`'s orders on `account` recorded at or after
    /// `since_ms` (venue time), with the engine order each belongs to.
    pub fn fills_since(
        &self,
        broker: &str,
        account: u16,
        since_ms: i64,
    ) -> Result<Vec<(u64, JournalFill)>, JournalError> {
        let fills = self.fills_where(
            "broker = ?1 AND ts_ms >= ?2 AND client_id IN
                 (SELECT client_id FROM live_orders WHERE broker = ?1 AND account = ?3)",
            params![broker, since_ms, account],
        )?;
        let mut out = Vec::with_capacity(fills.len());
        for f in fills {
            if let Some(o) = self.order(&f.client_id)? {
                out.push((o.order_id, f));
            }
        }
        Ok(out)
    }

    fn fills_where(
        &self,
        condition: &str,
        args: impl rusqlite::Params,
    ) -> Result<Vec<JournalFill>, JournalError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT broker, trade_id, client_id, qty, price, fee, fee_in_kind, ts_ms
             FROM live_fills WHERE {condition} ORDER BY ts_ms, trade_id"
        ))?;
        let rows = stmt.query_map(args, |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, i64>(7)?,
            ))
        })?;
        rows.map(|r| {
            let (broker, trade_id, client_id, qty, price, fee, fee_in_kind, ts_ms) = r?;
            Ok(JournalFill {
                broker,
                trade_id,
                client_id,
                qty: dec(qty)?,
                price: dec(price)?,
                fee: dec(fee)?,
                fee_in_kind: dec(fee_in_kind)?,
                ts_ms,
            })
        })
        .collect()
    }

    /// The holdings an account had at the venue before omni-tui first
    /// traded it (a spot account's coins are not positions we opened);
    /// `None` until recorded.
    pub fn baseline(
        &self,
        broker: &str,
        account: u16,
    ) -> Result<Option<Vec<(String, Decimal)>>, JournalError> {
        let mut stmt = self.conn.prepare(
            "SELECT asset, qty FROM live_baseline WHERE broker = ?1 AND account = ?2 ORDER BY asset",
        )?;
        let rows: Vec<(String, String)> = stmt
            .query_map(params![broker, account], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        if rows.is_empty() {
            return Ok(None);
        }
        rows.into_iter()
            .map(|(a, q)| Ok((a, dec(q)?)))
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// Forgets the account's baseline: from now on every holding at the
    /// venue is a position (the kill switch on a venue that closes every
    /// position of the account). The empty baseline stays recorded.
    pub fn clear_baseline(&self, broker: &str, account: u16) -> Result<(), JournalError> {
        let tx = self.conn.unchecked_transaction()?;
        tx.execute(
            "DELETE FROM live_baseline WHERE broker = ?1 AND account = ?2",
            params![broker, account],
        )?;
        tx.execute(
            "INSERT INTO live_baseline (broker, account, asset, qty) VALUES (?1, ?2, '', '0')",
            params![broker, account],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Records a closing order the venue made (`close`, under the venue's
    /// client id, for the engine order of `covers`) and ends the engine's
    /// own order `covers`, which was never sent: its fills come through
    /// `close`. One transaction, so a restart sees both or neither.
    pub fn link_close(
        &self,
        close: &JournalOrder,
        covers: &str,
        now_ms: i64,
    ) -> Result<(), JournalError> {
        let tx = self.conn.unchecked_transaction()?;
        self.insert(close, now_ms)?;
        tx.execute(
            "INSERT INTO live_closes (client_id, covers) VALUES (?1, ?2)",
            params![close.client_id, covers],
        )?;
        tx.execute(
            "UPDATE live_orders SET state = 'CANCELLED', reason = ?2, updated_ms = ?3
             WHERE client_id = ?1",
            params![
                covers,
                format!("closed by the venue's own order {}", close.client_id),
                now_ms
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The engine's order a venue closing order stands for, when it is one.
    pub fn covered_by(&self, client_id: &str) -> Result<Option<JournalOrder>, JournalError> {
        let covers: Option<String> = self
            .conn
            .query_row(
                "SELECT covers FROM live_closes WHERE client_id = ?1",
                params![client_id],
                |r| r.get(0),
            )
            .optional()?;
        match covers {
            Some(c) => self.order(&c),
            None => Ok(None),
        }
    }

    /// Records the baseline once (a row per asset; an empty account gets a
    /// marker row so "recorded" and "empty" are told apart).
    pub fn set_baseline(
        &self,
        broker: &str,
        account: u16,
        holdings: &[(String, Decimal)],
    ) -> Result<(), JournalError> {
        let tx = self.conn.unchecked_transaction()?;
        tx.execute(
            "INSERT OR IGNORE INTO live_baseline (broker, account, asset, qty) VALUES (?1, ?2, '', '0')",
            params![broker, account],
        )?;
        for (asset, qty) in holdings {
            tx.execute(
                "INSERT OR IGNORE INTO live_baseline (broker, account, asset, qty) VALUES (?1, ?2, ?3, ?4)",
                params![broker, account, asset, qty.to_string()],
            )?;
        }
        tx.commit()?;
        Ok(())
    }
}

const SELECT_ORDER: &str = "SELECT client_id, order_id, account, broker, symbol, side, qty,
    limit_price, state, venue_id, filled, reason, sends, created_ms FROM live_orders";

struct RawOrder {
    client_id: String,
    order_id: i64,
    account: u16,
    broker: String,
    symbol: String,
    side: String,
    qty: String,
    limit: Option<String>,
    state: String,
    venue_id: Option<String>,
    filled: String,
    reason: Option<String>,
    sends: u32,
    created_ms: i64,
}

fn raw_order(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawOrder> {
    Ok(RawOrder {
        client_id: r.get(0)?,
        order_id: r.get(1)?,
        account: r.get(2)?,
        broker: r.get(3)?,
        symbol: r.get(4)?,
        side: r.get(5)?,
        qty: r.get(6)?,
        limit: r.get(7)?,
        state: r.get(8)?,
        venue_id: r.get(9)?,
        filled: r.get(10)?,
        reason: r.get(11)?,
        sends: r.get(12)?,
        created_ms: r.get(13)?,
    })
}

impl RawOrder {
    fn parse(self) -> Result<JournalOrder, JournalError> {
        let state = JournalState::parse(&self.state).ok_or(JournalError::Corrupt(self.state))?;
        Ok(JournalOrder {
            client_id: self.client_id,
            order_id: u64::try_from(self.order_id)
                .map_err(|_| JournalError::Corrupt(self.order_id.to_string()))?,
            account: self.account,
            broker: self.broker,
            symbol: self.symbol,
            side: self.side,
            qty: dec(self.qty)?,
            limit: self.limit.map(dec).transpose()?,
            state,
            venue_id: self.venue_id,
            filled: dec(self.filled)?,
            reason: self.reason,
            sends: self.sends,
            created_ms: self.created_ms,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    fn order(client_id: &str) -> JournalOrder {
        JournalOrder {
            client_id: client_id.into(),
            order_id: 7,
            account: 1,
            broker: "binance".into(),
            symbol: "BTCUSDT".into(),
            side: "BUY".into(),
            qty: dec!(0.01),
            limit: Some(dec!(60000.5)),
            state: JournalState::InFlight,
            venue_id: None,
            filled: Decimal::ZERO,
            reason: None,
            sends: 0,
            created_ms: 0,
        }
    }

    #[test]
    fn an_order_is_on_disk_before_it_is_sent_and_its_id_is_never_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("omni.sqlite");
        let j = Journal::open(&path).unwrap();
        j.insert(&order("om7-1"), 1).unwrap();
        assert!(
            j.insert(&order("om7-1"), 2).is_err(),
            "a client id is one order"
        );
        // Another connection (a restarted process) sees it at once.
        let again = Journal::open(&path).unwrap();
        let o = again.order("om7-1").unwrap().unwrap();
        assert_eq!(o.state, JournalState::InFlight);
        assert_eq!(o.limit, Some(dec!(60000.5)));
        assert_eq!(again.unfinished("binance").unwrap().len(), 1);
    }

    #[test]
    fn a_finished_order_is_never_reopened_and_filled_never_shrinks() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::open(&dir.path().join("db")).unwrap();
        j.insert(&order("a"), 1).unwrap();
        j.update(
            "a",
            JournalState::PartiallyFilled,
            Some("9"),
            Some(dec!(0.004)),
            None,
            2,
        )
        .unwrap();
        j.update("a", JournalState::New, None, Some(dec!(0)), None, 3)
            .unwrap();
        let o = j.order("a").unwrap().unwrap();
        assert_eq!((o.state, o.filled), (JournalState::New, dec!(0.004)));
        j.update("a", JournalState::Cancelled, None, None, Some("user"), 4)
            .unwrap();
        j.update("a", JournalState::New, None, None, None, 5)
            .unwrap();
        let o = j.order("a").unwrap().unwrap();
        assert_eq!(o.state, JournalState::Cancelled);
        assert_eq!(o.venue_id.as_deref(), Some("9"));
        assert!(j.unfinished("binance").unwrap().is_empty());
    }

    #[test]
    fn a_fill_is_recorded_once_by_its_trade_id() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::open(&dir.path().join("db")).unwrap();
        let f = JournalFill {
            broker: "binance".into(),
            trade_id: "56".into(),
            client_id: "a".into(),
            qty: dec!(0.01),
            price: dec!(4000.00000001),
            fee: dec!(0.04),
            fee_in_kind: Decimal::ZERO,
            ts_ms: 10,
        };
        assert!(j.record_fill(&f).unwrap());
        assert!(!j.record_fill(&f).unwrap());
        let other_venue = JournalFill {
            broker: "alpaca".into(),
            ..f.clone()
        };
        assert!(j.record_fill(&other_venue).unwrap());
        assert_eq!(j.fills_of("a").unwrap().len(), 2);
        assert_eq!(j.fills_of("a").unwrap()[0].price, dec!(4000.00000001));
    }

    #[test]
    fn a_baseline_is_recorded_once_and_an_empty_one_is_told_from_none() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::open(&dir.path().join("db")).unwrap();
        assert_eq!(j.baseline("binance", 0).unwrap(), None);
        j.set_baseline("binance", 0, &[]).unwrap();
        assert_eq!(
            j.baseline("binance", 0).unwrap(),
            Some(vec![("".into(), Decimal::ZERO)])
        );
        j.set_baseline("binance", 1, &[("BTC".into(), dec!(1.5))])
            .unwrap();
        j.set_baseline("binance", 1, &[("BTC".into(), dec!(9))])
            .unwrap();
        let b = j.baseline("binance", 1).unwrap().unwrap();
        assert!(b.contains(&("BTC".into(), dec!(1.5))));
    }
}
