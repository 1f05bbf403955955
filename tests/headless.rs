//! The binary, headless: the JSON contract, determinism, and a restart after
//! the kill switch.

use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn omni(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_omni-tui"))
        .current_dir(dir)
        .env("XDG_CONFIG_HOME", dir.join("cfg"))
        .env("XDG_DATA_HOME", dir.join("data"))
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn headless_json(dir: &Path, db: &str, extra: &[&str]) -> Value {
    let mut args = vec!["headless", "--db", db, "--json"];
    args.extend_from_slice(extra);
    let (ok, out, err) = omni(dir, &args);
    assert!(ok, "{err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

#[test]
fn json_has_every_key_of_the_contract_and_all_stages_ran() {
    let dir = tempfile::tempdir().expect("tempdir");
    let v = headless_json(
        dir.path(),
        "a.db",
        &["--approve", "all", "--events", "40000"],
    );
    for key in [
        "events",
        "opportunities",
        "approved",
        "refused",
        "refusals",
        "expired",
        "orders",
        "fills",
        "trades",
        "open_positions",
        "realized_pnl",
        "trading_state",
        "accounts",
    ] {
        assert!(v.get(key).is_some(), "missing {key}: {v}");
    }
    assert_eq!(v["events"], 40000);
    for kind in ["arbitrage", "binary"] {
        assert!(v["opportunities"][kind].as_u64() > Some(0), "{kind}: {v}");
    }
    for key in ["approved", "refused", "orders", "fills", "trades"] {
        assert!(v[key].as_u64() > Some(0), "{key}: {v}");
    }
    // Binary contracts settled in the run, claimed against realised.
    let record = &v["binary_record"];
    assert!(record["n"].as_u64() > Some(0), "{v}");
    for k in ["claimed", "realized", "brier"] {
        let x = record[k].as_f64().expect(k);
        assert!((0.0..=1.0).contains(&x), "{k} {x}");
    }
    for inst in ["BTC/USDT", "ETH/USDT", "EUR/USD", "XAU/USD"] {
        let b = &v["ensemble"][inst];
        for k in ["alpha", "beta", "probability", "agreement"] {
            assert!(b[k].as_f64().is_some(), "ensemble.{inst}.{k}: {v}");
        }
        let p = b["probability"].as_f64().expect("p");
        let (a, bb) = (
            b["alpha"].as_f64().expect("a"),
            b["beta"].as_f64().expect("b"),
        );
        assert!((a / (a + bb) - p).abs() < 1e-5);
    }
    let conn = rusqlite::Connection::open(dir.path().join("a.db")).expect("db");
    let (signals, with_beta): (i64, i64) = conn
        .query_row(
            "SELECT COUNT(*), COUNT(alpha) FROM risk_decisions WHERE kind IN ('forex', 'binary')",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("query");
    assert!(signals > 0);
    assert_eq!(
        signals, with_beta,
        "every forex and binary decision records its α and β"
    );
    let accounts = v["accounts"].as_array().expect("array");
    assert_eq!(accounts.len(), 5);
    for a in accounts {
        assert!(
            a["name"].is_string() && a["type"].is_string() && a["equity"].is_string(),
            "{a}"
        );
    }
}

#[test]
fn two_runs_with_the_same_seed_print_identical_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    let args = ["--approve", "all", "--events", "30000", "--seed", "99"];
    let a = headless_json(dir.path(), "one.db", &args);
    let b = headless_json(dir.path(), "two.db", &args);
    assert_eq!(a, b);
    let c = headless_json(
        dir.path(),
        "three.db",
        &["--approve", "all", "--events", "30000", "--seed", "100"],
    );
    assert_ne!(a, c, "a different seed is a different market");
}

#[test]
fn kill_then_restart_on_the_same_database_is_halted_and_flat() {
    let dir = tempfile::tempdir().expect("tempdir");
    // At event 3 000 of seed 7 binary contracts are open: the kill must flatten them.
    let v = headless_json(
        dir.path(),
        "k.db",
        &[
            "--approve",
            "all",
            "--events",
            "30000",
            "--kill-after",
            "3000",
        ],
    );
    assert_eq!(v["trading_state"], "HALTED");
    assert_eq!(v["kill_latched"], true);
    assert_eq!(v["open_positions"], 0);
    assert!(
        v["refusals"]["halted"].as_u64() > Some(0),
        "approvals after the kill are refused: {v}"
    );

    let again = headless_json(
        dir.path(),
        "k.db",
        &["--approve", "all", "--events", "5000"],
    );
    assert_eq!(again["trading_state"], "HALTED");
    assert_eq!(again["open_positions"], 0);
    assert_eq!(again["orders"], 0, "nothing trades until re-armed");
    assert_eq!(again["approved"], 0);

    let conn = rusqlite::Connection::open(dir.path().join("k.db")).expect("db");
    let open: i64 = conn
        .query_row("SELECT COUNT(*) FROM positions", [], |r| r.get(0))
        .expect("query");
    assert_eq!(open, 0);
    let state: String = conn
        .query_row(
            "SELECT value FROM meta WHERE key = 'trading_state'",
            [],
            |r| r.get(0),
        )
        .expect("query");
    assert_eq!(state, "HALTED");
    let (flattens, filled): (i64, i64) = conn
        .query_row(
            "SELECT COUNT(*), COALESCE(SUM(status = 'FILLED'), 0) FROM orders WHERE purpose = 'flatten'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("query");
    assert!(flattens > 0, "the kill switch had positions to flatten");
    assert_eq!(flattens, filled, "every flatten order filled");
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("query");
    assert_eq!(integrity, "ok");
}

#[test]
fn a_restart_restores_balances_and_the_trades_command_reads_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = headless_json(
        dir.path(),
        "r.db",
        &["--approve", "all", "--events", "30000"],
    );
    let second = headless_json(
        dir.path(),
        "r.db",
        &["--approve", "manual", "--events", "1000"],
    );
    // Nothing traded in the second run: equity carries over unchanged for
    // accounts that ended flat.
    for (a, b) in first["accounts"]
        .as_array()
        .expect("a")
        .iter()
        .zip(second["accounts"].as_array().expect("b"))
    {
        if a["open_positions"] == 0 {
            assert_eq!(a["equity"], b["equity"], "{a} vs {b}");
        }
    }
    let (ok, out, err) = omni(dir.path(), &["trades", "--db", "r.db", "--json"]);
    assert!(ok, "{err}");
    let rows: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(
        rows.as_array().map(Vec::len),
        first["trades"].as_u64().map(|n| n as usize)
    );
}

#[test]
fn an_unknown_approve_mode_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (ok, _, err) = omni(
        dir.path(),
        &["headless", "--db", "x.db", "--approve", "sometimes"],
    );
    assert!(!ok);
    assert!(err.contains("--approve"), "{err}");
}
