//! The SQLite store: what the engine audits is what a restart restores, and
//! a SIGKILL mid-run leaves a consistent database.

mod common;

use common::{Harness, at, d};
use omni_core::domain::OrderId;
use omni_core::engine::{Audit, Command, Engine};
use omni_core::execution::ExecutionReport;
use omni_core::risk::TradingState;
use omni_store::StoreWriter;
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
