//! The SQLite store: what the engine audits is what a restart restores, and
//! a SIGKILL mid-run leaves a consistent database.

mod common;

use common::{Harness, T0, at, d};
use omni_core::domain::{BinaryContract, Direction, ExitReason, OpportunityKind, OrderId};
use omni_core::engine::{Audit, Command, Engine};
use omni_core::execution::ExecutionReport;
use omni_core::risk::TradingState;
use omni_store::schema::{SCHEMA_VERSION, migrate_to, version};
use omni_store::{StoreWriter, TradeQuery, read_trades};
use rust_decimal::Decimal;
use std::str::FromStr;

fn fill(id: u64, trade: &str, qty: &str, price: &str, ms: i64) -> ExecutionReport {
    ExecutionReport::Filled {
        order_id: OrderId(id),
        trade_id: trade.into(),
        qty: d(qty),
        price: d(price),
        fee: d("0.5"),
        ts: at(ms),
        contract: None,
    }
}

#[test]
fn a_restart_restores_cash_positions_state_and_ids() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("s.db");
    let mut h = Harness::new("");
    let mut audits: Vec<Audit> = Vec::new();
    let mut keep = |o: common::Out| audits.extend(o.audits);
    keep(h.quote("binance", "BTC/USDT", "100000.00", "100000.10", "1.0", 0));
    let o = h.quote("kraken", "BTC/USDT", "100800.00", "100800.50", "0.5", 0);
    let id = o.opened()[0];
    keep(o);
    keep(h.cmd(Command::Approve(id), 10));
    keep(h.report(fill(1, "X1", "0.01499", "100000.10", 50)));
    // The same venue trade id again is ignored.
    let dup = h.report(fill(1, "X1", "0.01499", "100000.10", 51));
    assert!(dup.audits.is_empty());
    assert_eq!(h.engine.counters().duplicate_fills, 1);
    keep(h.cmd(Command::Pause, 60));

    let conn = omni_store::open(&path).expect("open");
    let mut w = StoreWriter::begin_run(conn, &h.loaded.catalog, "test", 7, "test").expect("run");
    w.apply_batch([audits.as_slice()]).expect("write");
    drop(w);

    let conn = omni_store::open(&path).expect("reopen");
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .expect("pragma");
    assert_eq!(mode, "wal");
    let restored = omni_store::load_state(&conn, &h.loaded.catalog).expect("load");
    assert_eq!(restored.trading_state, Some(TradingState::Reducing));
    assert!(!restored.kill_latched);
    assert_eq!(restored.positions.len(), 1);
    assert_eq!(restored.positions[0].qty, d("0.01499"));
    assert_eq!(restored.next_order_id, 5);
    assert_eq!(restored.next_opportunity_id, 2);
    assert_eq!(restored.fill_ids, vec!["X1".to_string()]);
    // Orders still working when the process stopped cannot fill any more.
    let lost: i64 = conn
        .query_row("SELECT COUNT(*) FROM orders WHERE status = 'CANCELLED' AND note LIKE 'lost at restart%'", [], |r| r.get(0))
        .expect("count");
    assert_eq!(lost, 3);

    let mut fresh = Engine::new(&h.loaded.config.engine(), &h.loaded.catalog);
    fresh.restore(restored);
    assert_eq!(fresh.trading_state(), TradingState::Reducing);
    let spot_a = h.account("spot-a");
    assert_eq!(
        fresh.portfolio().balances[spot_a.index()].cash,
        d("19999.5")
    );
    assert_eq!(fresh.portfolio().open_count(), 1);
}

#[test]
fn sigkill_mid_run_leaves_every_fill_with_its_order_and_restarts_cleanly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("crash.db");
    let bin = env!("CARGO_BIN_EXE_omni-tui");
    let mut child = std::process::Command::new(bin)
        .args([
            "headless",
            "--approve",
            "all",
            "--events",
            "100000000",
            "--db",
        ])
        .arg(&db)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    // Wait until fills are being written, then kill -9.
    let t0 = std::time::Instant::now();
    loop {
        std::thread::sleep(std::time::Duration::from_millis(100));
        let fills = rusqlite::Connection::open(&db)
            .and_then(|c| c.query_row("SELECT COUNT(*) FROM fills", [], |r| r.get::<_, i64>(0)))
            .unwrap_or(0);
        if fills > 20 || t0.elapsed().as_secs() > 60 {
            break;
        }
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");

    let conn = rusqlite::Connection::open(&db).expect("open");
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("check");
    assert_eq!(ok, "ok");
    let fk: i64 = conn
        .query_row("SELECT COUNT(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .expect("fk");
    assert_eq!(fk, 0);
    // A fill and its order's new fill total are written in one transaction:
    // no order ever shows a total its fills do not add up to.
    let mut stmt = conn
        .prepare("SELECT o.id, o.filled_qty, (SELECT GROUP_CONCAT(qty, ' ') FROM fills f WHERE f.order_id = o.id) FROM orders o")
        .expect("prepare");
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
            ))
        })
        .expect("query");
    let mut with_fills = 0;
    for row in rows {
        let (id, total, parts) = row.expect("row");
        let sum: Decimal = parts
            .unwrap_or_default()
            .split_whitespace()
            .map(|q| Decimal::from_str(q).expect("qty"))
            .sum();
        assert_eq!(Decimal::from_str(&total).expect("total"), sum, "order {id}");
        with_fills += usize::from(!sum.is_zero());
    }
    assert!(with_fills > 0);
    drop(stmt);
    drop(conn);

    let out = std::process::Command::new(bin)
        .args(["headless", "--events", "2000", "--json", "--db"])
        .arg(&db)
        .output()
        .expect("restart");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The columns of `table`.
fn columns(conn: &rusqlite::Connection, table: &str) -> Vec<String> {
    conn.prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))
        .expect("table info")
        .query_map([], |r| r.get(0))
        .expect("columns")
        .collect::<Result<_, _>>()
        .expect("columns")
}

/// Trends EUR/USD until a binary prediction is pending, approves it, fills
/// it with the contract struck a little above the strike asked for, and
/// settles it as a win at `settle`. Returns every audit and the terms struck.
fn win_a_binary(h: &mut Harness, settle: &str) -> (Vec<Audit>, BinaryContract) {
    let mut audits = Vec::new();
    let mut id = None;
    for chunk in 0..20 {
        audits.extend(h.fx_trend(chunk * 10_000, 10, "0.00001").audits);
        id = h
            .engine
            .opportunities()
            .iter()
            .find(|o| o.kind() == OpportunityKind::Binary)
            .map(|o| o.id);
        if id.is_some() {
            break;
        }
    }
    let id = id.expect("a binary prediction");
    let t = h.engine.clock().millis() - T0;
    let out = h.cmd(Command::Approve(id), t);
    let order = (*out.submits().first().expect("a binary order")).clone();
    audits.extend(out.audits);
    let asked = order.binary.expect("contract");
    let struck = BinaryContract {
        strike: asked.strike + d("0.00002"),
        ..asked
    };
    let settle = d(settle);
    assert!(
        (struck.direction == Direction::Up) == (settle > struck.strike),
        "a win"
    );
    audits.extend(
        h.report(ExecutionReport::Filled {
            order_id: order.id,
            trade_id: format!("B{}", order.id.0),
            qty: order.qty,
            price: Decimal::ONE,
            fee: Decimal::ZERO,
            ts: at(t + 30),
            contract: Some(struck),
        })
        .audits,
    );
    audits.extend(
        h.report(ExecutionReport::BinarySettled {
            order_id: order.id,
            price: Decimal::ONE + struck.payout,
            settle_price: settle,
            ts: at(t + 60_030),
        })
        .audits,
    );
    (audits, struck)
}

#[test]
fn a_settled_contract_keeps_its_direction_strike_and_settle_price() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("terms.db");
    let mut h = Harness::new("");
    // EUR/USD trends up: the prediction is UP, and settles above its strike.
    let (audits, struck) = win_a_binary(&mut h, "1.2");
    let closed: Vec<_> = audits
        .iter()
        .filter_map(|a| match a {
            Audit::TradeClosed(t) => Some(t.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(closed.len(), 1, "{closed:?}");
    let trade = &closed[0];
    assert_eq!(trade.reason, ExitReason::Expiry);
    // The engine keeps the contract as struck and the price it settled at.
    assert_eq!(trade.contract, Some(struck));
    assert_eq!(trade.settle_price, Some(d("1.2")));
    assert!(trade.pnl > Decimal::ZERO);

    let conn = omni_store::open(&path).expect("open");
    let mut w = StoreWriter::begin_run(conn, &h.loaded.catalog, "test", 7, "test").expect("run");
    w.apply_batch([audits.as_slice()]).expect("write");
    drop(w);

    let conn = omni_store::open_read_only(&path).expect("reader");
    let row: (Option<String>, Option<String>, Option<String>) = conn
        .query_row(
            "SELECT direction, strike, settle_price FROM trades",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("the trade");
    assert_eq!(
        row,
        (
            Some(struck.direction.as_str().to_string()),
            Some(struck.strike.to_string()),
            Some("1.2".to_string())
        )
    );
    let page = read_trades(&conn, &TradeQuery::default()).expect("trades");
    let t = &page.rows[0];
    assert_eq!(
        (t.contract, t.strike, t.settle_price),
        (Some(struck.direction), Some(struck.strike), Some(d("1.2")))
    );
}

#[test]
fn a_database_of_the_previous_version_gains_the_contract_columns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("v3.db");
    // A database as the build before the contract columns left it, with a
    // closed contract and a closed position in it.
    {
        let mut conn = rusqlite::Connection::open(&path).expect("create");
        migrate_to(&mut conn, 3).expect("version 3");
        assert_eq!(version(&conn).expect("version"), 3);
        assert!(!columns(&conn, "trades").contains(&"settle_price".to_string()));
        conn.execute_batch(
            "INSERT INTO runs (id, mode, seed, config) VALUES (1, 'test', 7, 'test');
             INSERT INTO accounts VALUES ('binary', 'BINARY', 'p', 'USD', '1000', '{}', 0);
             INSERT INTO trades (run_id, account, instrument, kind, side, qty, entry_price,
                                 exit_price, pnl, fees, opened_ts, closed_ts, reason, seq)
             VALUES (1, 'binary', 'EUR/USD', 'binary', 'BUY', '10', '1', '1.85', '8.5', '0',
                     1, 2, 'expiry', 1),
                    (1, 'binary', 'EUR/USD', NULL, 'SELL', '2', '1.1', '1.09', '0.02', '0',
                     3, 4, 'take_profit', 2);",
        )
        .expect("old rows");
    }
    // `omni-tui trades` reads it as it is, without migrating it.
    let old = omni_store::open_read_only(&path).expect("reader");
    let page = read_trades(&old, &TradeQuery::default()).expect("old trades");
    assert_eq!(page.rows.len(), 2);
    assert!(
        page.rows
            .iter()
            .all(|t| t.strike.is_none() && t.settle_price.is_none())
    );
    drop(old);

    // Opened for writing, it is migrated: the new columns, NULL in old rows.
    let conn = omni_store::open(&path).expect("migrates");
    assert_eq!(version(&conn).expect("version"), SCHEMA_VERSION);
    let cols = columns(&conn, "trades");
    for c in ["direction", "strike", "settle_price"] {
        assert!(cols.contains(&c.to_string()), "{c}: {cols:?}");
    }
    let nulls: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM trades
             WHERE direction IS NULL AND strike IS NULL AND settle_price IS NULL",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(nulls, 2);
    let page = read_trades(&conn, &TradeQuery::default()).expect("trades");
    assert_eq!(
        page.rows
            .iter()
            .map(|t| (t.contract, t.strike, t.settle_price, t.pnl))
            .collect::<Vec<_>>(),
        vec![(None, None, None, d("8.5")), (None, None, None, d("0.02"))]
    );

    // The writer fills them for a contract closed from now on.
    let mut h = Harness::new("");
    let (audits, struck) = win_a_binary(&mut h, "1.2");
    let mut w = StoreWriter::begin_run(conn, &h.loaded.catalog, "test", 7, "test").expect("run");
    w.apply_batch([audits.as_slice()]).expect("write");
    drop(w);
    let conn = omni_store::open_read_only(&path).expect("reader");
    let page = read_trades(&conn, &TradeQuery::default()).expect("trades");
    assert_eq!(page.rows.len(), 3);
    let t = &page.rows[2];
    assert_eq!(
        (t.contract, t.strike, t.settle_price),
        (Some(struck.direction), Some(struck.strike), Some(d("1.2")))
    );
}

#[test]
fn a_live_accounts_working_orders_survive_a_restart_and_still_book_their_fills() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("s.db");
    let mut h = Harness::new("");
    let mut audits: Vec<Audit> = Vec::new();
    let mut keep = |o: common::Out| audits.extend(o.audits);
    keep(h.quote("binance", "BTC/USDT", "100000.00", "100000.10", "1.0", 0));
    let o = h.quote("kraken", "BTC/USDT", "100800.00", "100800.50", "0.5", 0);
    let id = o.opened()[0];
    keep(o);
    keep(h.cmd(Command::Approve(id), 10));
    let conn = omni_store::open(&path).expect("open");
    let mut w = StoreWriter::begin_run(conn, &h.loaded.catalog, "test", 7, "test").expect("run");
    w.apply_batch([audits.as_slice()]).expect("write");
    drop(w);

    // The restart finds spot-b on a live venue: its two legs may still
    // fill there; spot-a's lived in the paper broker's memory.
    let spot_b = h.account("spot-b");
    let mut catalog = h.loaded.catalog.clone();
    catalog.accounts[spot_b.index()].broker = omni_core::domain::BrokerKind::Binance;
    let conn = omni_store::open(&path).expect("reopen");
    let restored = omni_store::load_state(&conn, &catalog).expect("load");
    let ids: Vec<u64> = restored.working.iter().map(|o| o.id.0).collect();
    assert_eq!(ids, vec![3, 4]);
    assert!(restored.working.iter().all(|o| o.account == spot_b));
    let lost: Vec<i64> = conn
        .prepare("SELECT id FROM orders WHERE note LIKE 'lost at restart%' ORDER BY id")
        .expect("query")
        .query_map([], |r| r.get(0))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("ids");
    assert_eq!(lost, vec![1, 2]);

    let mut fresh = Engine::new(&h.loaded.config.engine(), &catalog);
    fresh.restore(restored);
    assert_eq!(fresh.working_orders().len(), 2);
    // The venue's fill of a restored order is booked.
    fresh.process(omni_core::engine::EngineEvent::Execution(fill(
        3,
        "B3",
        "0.01874",
        "100000.10",
        100,
    )));
    assert_eq!(fresh.portfolio().open_count(), 1);
}
