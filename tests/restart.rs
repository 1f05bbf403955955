//! A restart on the same database continues the run: open binary contracts
//! settle (or are flattened by `K`) after it, and the demo's clock, and
//! with it the day's loss, streak and intervals, carries on from the
//! stored time. A refused flatten is retried with a capped backoff.

mod common;

use common::{Harness, at, d};
use omni_core::approval::config::ApprovalMode;
use omni_core::domain::{AccountId, Side, Timestamp, time::SECOND};
use omni_core::engine::{Command, EngineEvent, FLATTEN_RETRY_MAX_SECS, RestoredState};
use omni_core::execution::ExecutionReport;
use omni_core::portfolio::{Position, PositionKey};
use omni_core::risk::RiskLevel;
use omni_store::StoreHandle;
use omni_tui::config::LoadedConfig;
use omni_tui::setup::{self, DemoDriver};
use std::path::Path;

const SEED: u64 = 11;

/// Opens `db` as the binary does and builds the demo on it.
fn start(db: &Path, loaded: &LoadedConfig) -> (RestoredState, DemoDriver, StoreHandle) {
    let (_, restored, store) = setup::open_store(Some(db), loaded, "test", SEED).expect("store");
    let driver = setup::demo_driver(loaded, SEED, restored.clone()).expect("demo");
    (restored, driver, store)
}

/// Steps the demo until `done` holds (at most `max` market events).
fn step_until(
    driver: &mut DemoDriver,
    store: &mut StoreHandle,
    max: u64,
    mut done: impl FnMut(&DemoDriver) -> bool,
) -> bool {
    for _ in 0..max {
        if done(driver) {
            return true;
        }
        assert!(driver.step(store).expect("step"), "the demo ran out");
    }
    done(driver)
}

/// The first open binary contract of the engine.
fn open_contract(driver: &DemoDriver) -> Option<Position> {
    driver
        .engine
        .portfolio()
        .positions
        .values()
        .find(|p| p.key.contract != 0 && p.binary.is_some() && !p.is_flat())
        .cloned()
}

/// Run 1: approve everything until a binary contract is open, then stop
/// there (as a quit or a crash would). Returns the contract.
fn run_until_a_contract_is_open(db: &Path) -> Position {
    let loaded = common::load("");
    let (_, mut driver, mut store) = start(db, &loaded);
    driver
        .command(Command::SetApprovalMode(ApprovalMode::All), &mut store)
        .expect("approve all");
    assert!(
        step_until(&mut driver, &mut store, 400_000, |d| open_contract(d)
            .is_some()),
        "no binary contract opened"
    );
    let p = open_contract(&driver).expect("contract");
    store.close().expect("store closes");
    p
}

fn count(db: &Path, sql: &str) -> i64 {
    rusqlite::Connection::open(db)
        .expect("open")
        .query_row(sql, [], |r| r.get(0))
        .expect("count")
}

#[test]
fn a_binary_contract_open_at_a_restart_settles_at_its_expiry() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("binary.db");
    let contract = run_until_a_contract_is_open(&db);
    let terms = contract.binary.expect("terms");

    let loaded = common::load("");
    let (restored, mut driver, mut store) = start(&db, &loaded);
    assert!(restored.positions.iter().any(|p| p.key == contract.key));
    driver
        .command(Command::SetApprovalMode(ApprovalMode::Manual), &mut store)
        .expect("manual");
    let key = contract.key;
    let settled = step_until(&mut driver, &mut store, 400_000, |d| {
        !d.engine.portfolio().positions.contains_key(&key)
    });
    let when = driver.engine.clock();
    store.close().expect("store closes");
    assert!(settled, "the restored contract never closed");
    assert!(
        when >= terms.expiry,
        "closed at {when}, before its expiry {}",
        terms.expiry
    );
    assert!(
        when < terms.expiry.plus(120 * SECOND),
        "closed at {when}, long after its expiry {}",
        terms.expiry
    );
    // It closed by settling (a trade closed at expiry), not by a sale.
    let expiry_trades = count(
        &db,
        &format!(
            "SELECT COUNT(*) FROM trades WHERE account = 'binary' AND reason = 'expiry' AND opened_ts = {}",
            contract.opened.nanos()
        ),
    );
    assert_eq!(expiry_trades, 1);
}

#[test]
fn the_kill_switch_after_a_restart_flattens_a_restored_contract() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("kill.db");
    let contract = run_until_a_contract_is_open(&db);
    let terms = contract.binary.expect("terms");

    let loaded = common::load("");
    let (_, mut driver, mut store) = start(&db, &loaded);
    let run = store.run_id();
    let account = contract.key.account;
    driver
        .command(Command::KillSwitch, &mut store)
        .expect("kill");
    let flat = |d: &DemoDriver| {
        d.engine
            .kill_progress()
            .iter()
            .find(|p| p.account == account)
            .is_some_and(|p| p.is_flat())
    };
    let reached = step_until(&mut driver, &mut store, 400_000, flat);
    let when = driver.engine.clock();
    // Well past where it ended up: nothing more is sent for it.
    let later = when.plus(600 * SECOND);
    step_until(&mut driver, &mut store, 400_000, |d| {
        d.engine.clock() >= later
    });
    let progress = driver.engine.kill_progress();
    store.close().expect("store closes");
    assert!(reached, "never flat: {progress:?}");
    assert!(
        when < terms.expiry.plus(120 * SECOND),
        "flat only at {when} (expiry {})",
        terms.expiry
    );
    let flattens = count(
        &db,
        &format!(
            "SELECT COUNT(*) FROM orders WHERE run_id = {run} AND account = 'binary' AND purpose = 'flatten'"
        ),
    );
    let refused = count(
        &db,
        &format!(
            "SELECT COUNT(*) FROM orders WHERE run_id = {run} AND account = 'binary' AND purpose = 'flatten' AND status = 'REJECTED'"
        ),
    );
    assert!(
        flattens <= 8,
        "{flattens} flatten orders ({refused} refused)"
    );
    assert!(
        !progress
            .iter()
            .find(|p| p.account == account)
            .and_then(|p| p.last_refusal.as_deref())
            .is_some_and(|r| r.contains("already settled")),
        "{progress:?}"
    );
}

/// The first account BLOCKED by its daily loss (the limit is tiny) with
/// nothing open, so its loss is realised and does not move with prices.
/// (Not by its order rate, say, which the minute passing lifts.)
fn blocked_flat_account(driver: &DemoDriver) -> Option<AccountId> {
    let e = &driver.engine;
    e.catalog().accounts.iter().map(|a| a.id).find(|&a| {
        e.risk_level(a) == RiskLevel::Blocked
            && e.portfolio().of_account(a).count() == 0
            && e.risk_usages(a)
                .iter()
                .any(|u| u.name == "daily loss" && u.fraction() >= 1.0)
    })
}

#[test]
fn a_demo_restart_continues_the_day() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("day.db");
    let overlay = "[risk]\ndaily_loss_limit = 0.5\n";

    let loaded = common::load(overlay);
    let (_, mut driver, mut store) = start(&db, &loaded);
    driver
        .command(Command::SetApprovalMode(ApprovalMode::All), &mut store)
        .expect("approve all");
    assert!(
        step_until(&mut driver, &mut store, 400_000, |d| blocked_flat_account(
            d
        )
        .is_some()),
        "no account blocked by its daily loss"
    );
    let account = blocked_flat_account(&driver).expect("blocked");
    let name = loaded.catalog.account(account).name.clone();
    let stopped = driver.engine.clock();
    store.close().expect("store closes");

    let (restored, mut driver, mut store) = start(&db, &loaded);
    let run = store.run_id();
    let stored = restored.clock.expect("a stored clock");
    assert!(stored <= stopped);
    assert!(driver.engine.clock() >= stored);
    assert!(driver.market().start() >= stored);
    driver
        .command(Command::SetApprovalMode(ApprovalMode::All), &mut store)
        .expect("approve all");
    // Through the history replay and ten live minutes: the clock never goes
    // back and the account stays blocked.
    let until = driver.market().start().plus(600 * SECOND);
    let mut earliest = Timestamp(i64::MAX);
    let mut unblocked = None;
    step_until(&mut driver, &mut store, 2_000_000, |d| {
        earliest = earliest.min(d.engine.clock());
        if unblocked.is_none() && d.engine.risk_level(account) != RiskLevel::Blocked {
            unblocked = Some((d.engine.clock(), d.engine.account_risk(account).clone()));
        }
        d.engine.clock() >= until
    });
    let day = driver.engine.account_risk(account).day;
    store.close().expect("store closes");
    assert!(earliest >= stored, "the clock went back to {earliest}");
    assert_eq!(unblocked, None, "{name} came back");
    assert_eq!(day, stored.day_index());
    let approved = count(
        &db,
        &format!(
            "SELECT COUNT(*) FROM risk_decisions WHERE run_id = {run} AND account = '{name}' AND verdict = 'APPROVED'"
        ),
    );
    assert_eq!(approved, 0, "{name} traded after the restart");
}

#[test]
fn a_refused_flatten_backs_off_and_says_why() {
    let mut h = Harness::new("");
    let spot_a = h.account("spot-a");
    let key = PositionKey {
        account: spot_a,
        instrument: h.inst("BTC/USDT"),
        contract: 0,
    };
    let mut p = Position::new(key, h.venue("binance"), at(0));
    p.apply(Side::Buy, d("0.01"), d("100000"), d("0"), at(0));
    h.engine.restore(RestoredState {
        positions: vec![p],
        ..RestoredState::default()
    });
    h.quote("binance", "BTC/USDT", "100000.00", "100000.10", "1.0", 0);
    let mut out = h.cmd(Command::KillSwitch, 0);
    let mut sent = Vec::new();
    // Ten minutes in which the venue refuses every flatten 10 ms after it.
    for ms in (0..600_000).step_by(10) {
        for o in out.submits() {
            sent.push(ms);
            assert_eq!(o.account, spot_a);
            h.report(ExecutionReport::Rejected {
                order_id: o.id,
                ts: at(ms + 10),
                reason: "venue says no".into(),
            });
        }
        out = h.feed(EngineEvent::Timer(at(ms + 10)));
    }
    let gaps: Vec<i64> = sent.windows(2).map(|w| (w[1] - w[0]) / 1000).collect();
    // 1 s, 2 s, 4 s, … then every 60 s: not 600 orders.
    assert!(sent.len() <= 20, "{} flattens: {gaps:?}", sent.len());
    assert!(gaps.windows(2).all(|w| w[0] <= w[1]), "{gaps:?}");
    assert!(
        gaps.iter().all(|g| *g <= FLATTEN_RETRY_MAX_SECS + 1),
        "{gaps:?}"
    );
    let progress = h.engine.kill_progress();
    let mine = progress
        .iter()
        .find(|p| p.account == spot_a)
        .expect("spot-a");
    let why = mine.last_refusal.as_deref().expect("a refusal shown");
    assert!(why.contains("venue says no"), "{why}");
    assert!(!mine.is_flat());
    // A re-arm clears it.
    h.cmd(Command::Rearm, 600_100);
    assert!(
        h.engine
            .kill_progress()
            .iter()
            .all(|p| p.last_refusal.is_none())
    );
}
