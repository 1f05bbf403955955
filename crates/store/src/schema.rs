//! The database schema, versioned with `PRAGMA user_version`.

use rusqlite::Connection;

/// Migrations in order; index + 1 is the schema version after it runs.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE runs (
    id         INTEGER PRIMARY KEY,
    mode       TEXT NOT NULL,
    seed       INTEGER NOT NULL,
    config     TEXT NOT NULL,
    started_ts INTEGER
);
CREATE TABLE accounts (
    name       TEXT PRIMARY KEY,
    type       TEXT NOT NULL,
    profile    TEXT NOT NULL,
    currency   TEXT NOT NULL,
    cash       TEXT NOT NULL,
    risk_json  TEXT NOT NULL,
    updated_ts INTEGER NOT NULL
);
CREATE TABLE opportunities (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL REFERENCES runs(id),
    kind        TEXT NOT NULL,
    instrument  TEXT NOT NULL,
    created_ts  INTEGER NOT NULL,
    expires_ts  INTEGER NOT NULL,
    score       REAL NOT NULL,
    detail_json TEXT NOT NULL,
    alpha       REAL,
    beta        REAL,
    status      TEXT NOT NULL,
    closed_ts   INTEGER
);
CREATE TABLE risk_decisions (
    id             INTEGER PRIMARY KEY,
    run_id         INTEGER NOT NULL REFERENCES runs(id),
    ts             INTEGER NOT NULL,
    opportunity_id INTEGER NOT NULL REFERENCES opportunities(id),
    kind           TEXT NOT NULL,
    instrument     TEXT NOT NULL,
    account        TEXT NOT NULL,
    verdict        TEXT NOT NULL,
    reason         TEXT,
    detail         TEXT,
    qty            TEXT NOT NULL,
    price          TEXT NOT NULL,
    notional       TEXT NOT NULL,
    alpha          REAL,
    beta           REAL
);
CREATE INDEX risk_decisions_ts ON risk_decisions(ts);
CREATE TABLE orders (
    id                INTEGER PRIMARY KEY,
    run_id            INTEGER NOT NULL REFERENCES runs(id),
    account           TEXT NOT NULL,
    instrument        TEXT NOT NULL,
    venue             TEXT NOT NULL,
    side              TEXT NOT NULL,
    type              TEXT NOT NULL,
    tif               TEXT NOT NULL,
    qty               TEXT NOT NULL,
    limit_price       TEXT,
    reference_price   TEXT NOT NULL,
    status            TEXT NOT NULL,
    filled_qty        TEXT NOT NULL,
    avg_fill_price    TEXT NOT NULL,
    fees              TEXT NOT NULL,
    purpose           TEXT NOT NULL,
    exit_reason       TEXT,
    opportunity_id    INTEGER REFERENCES opportunities(id),
    position_contract INTEGER NOT NULL,
    binary_json       TEXT,
    created_ts        INTEGER NOT NULL,
    updated_ts        INTEGER NOT NULL,
    note              TEXT
);
CREATE INDEX orders_status ON orders(status);
CREATE TABLE fills (
    id         INTEGER PRIMARY KEY,
    order_id   INTEGER NOT NULL REFERENCES orders(id),
    trade_id   TEXT NOT NULL UNIQUE,
    account    TEXT NOT NULL,
    instrument TEXT NOT NULL,
    venue      TEXT NOT NULL,
    side       TEXT NOT NULL,
    qty        TEXT NOT NULL,
    price      TEXT NOT NULL,
    fee        TEXT NOT NULL,
    ts         INTEGER NOT NULL
);
CREATE TABLE trades (
    id             INTEGER PRIMARY KEY,
    run_id         INTEGER NOT NULL REFERENCES runs(id),
    account        TEXT NOT NULL,
    instrument     TEXT NOT NULL,
    kind           TEXT,
    side           TEXT NOT NULL,
    qty            TEXT NOT NULL,
    entry_price    TEXT NOT NULL,
    exit_price     TEXT NOT NULL,
    pnl            TEXT NOT NULL,
    fees           TEXT NOT NULL,
    opened_ts      INTEGER NOT NULL,
    closed_ts      INTEGER NOT NULL,
    reason         TEXT NOT NULL,
    opportunity_id INTEGER REFERENCES opportunities(id)
);
CREATE TABLE positions (
    account    TEXT NOT NULL,
    instrument TEXT NOT NULL,
    contract   INTEGER NOT NULL,
    json       TEXT NOT NULL,
    PRIMARY KEY (account, instrument, contract)
);
CREATE TABLE commands (
    id       INTEGER PRIMARY KEY,
    run_id   INTEGER NOT NULL REFERENCES runs(id),
    ts       INTEGER NOT NULL,
    command  TEXT NOT NULL,
    argument TEXT NOT NULL,
    outcome  TEXT NOT NULL
);
CREATE TABLE trading_state_changes (
    id           INTEGER PRIMARY KEY,
    run_id       INTEGER NOT NULL REFERENCES runs(id),
    ts           INTEGER NOT NULL,
    from_state   TEXT NOT NULL,
    to_state     TEXT NOT NULL,
    kill_latched INTEGER NOT NULL,
    cause        TEXT NOT NULL
);
"#,
    r#"
CREATE TABLE learning (
    instrument TEXT NOT NULL,
    kind       TEXT NOT NULL,
    wins       INTEGER NOT NULL,
    losses     INTEGER NOT NULL,
    PRIMARY KEY (instrument, kind)
);
"#,
    r#"
ALTER TABLE fills ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE trades ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE risk_decisions ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE commands ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE trading_state_changes ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
"#,
    // A closed binary contract: which way it bet, its strike and, when it
    // settled at expiry, the underlying's price then (NULL for positions,
    // and for trades written before this version).
    r#"
ALTER TABLE trades ADD COLUMN direction TEXT;
ALTER TABLE trades ADD COLUMN strike TEXT;
ALTER TABLE trades ADD COLUMN settle_price TEXT;
"#,
    // Where each operator command came from: `key` (the cockpit, and every
    // command stored before this version), `api` (the control API) or
    // `monitor` (an automatic kill trigger); and the alerts the run's
    // monitor raised.
    r#"
ALTER TABLE commands ADD COLUMN origin TEXT NOT NULL DEFAULT 'key';
CREATE TABLE alerts (
    id     INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    ts     INTEGER NOT NULL,
    rule   TEXT NOT NULL,
    text   TEXT NOT NULL,
    seq    INTEGER NOT NULL
);
"#,
];

/// The first version whose `trades` keep a contract's direction, strike and
/// settle price; a reader of an older database (read-only, so not migrated)
/// reads them as NULL.
pub const TRADE_TERMS_VERSION: i64 = 4;

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The database's schema version (`PRAGMA user_version`; 0 when new).
pub fn version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
}

/// Brings the database up to [`SCHEMA_VERSION`]. A newer database is left
/// as it is: [`crate::open`] refuses it before calling this.
pub fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    migrate_to(conn, SCHEMA_VERSION)
}

/// Brings the database up to `target` (at most [`SCHEMA_VERSION`]): a
/// database as an earlier build left it, for tests of the migrations.
pub fn migrate_to(conn: &mut Connection, target: i64) -> rusqlite::Result<()> {
    let current = version(conn)?;
    let upto = target.clamp(0, SCHEMA_VERSION) as usize;
    for (i, sql) in MIGRATIONS
        .iter()
        .enumerate()
        .take(upto)
        .skip(current.max(0) as usize)
    {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}
