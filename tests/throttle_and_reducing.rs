//! REDUCING lets through only what shrinks an open position, and the
//! per-minute throttle counts every order (each arbitrage leg), per account,
//! over a rolling minute that survives a restart through the SQLite store.

mod common;

use common::{Harness, Out, T0, at, d};
use omni_core::domain::{OpportunityId, Side, time::MINUTE};
use omni_core::engine::{Audit, Command, Engine, RestoredState};
use omni_core::portfolio::{Position, PositionKey};
use omni_core::risk::{RefusalReason as R, TradingState, Verdict};
use omni_store::StoreWriter;
use rust_decimal::Decimal;

const MINUTE_MS: i64 = MINUTE / 1_000_000;

fn now_ms(h: &Harness) -> i64 {
    h.engine.clock().millis() - T0
}

/// Quotes BTC/USDT on binance and kraken at `ms` with kraken 0.8 % higher,
/// and returns the arbitrage that opens.
fn arbitrage(h: &mut Harness, ms: i64, out: &mut Out) -> OpportunityId {
    let mut o = h.quote("binance", "BTC/USDT", "100000.00", "100000.10", "1.0", ms);
    o.extend(h.quote("kraken", "BTC/USDT", "100800.00", "100800.50", "0.5", ms));
    let id = *o.opened().last().expect("an arbitrage opens");
    out.extend(o);
    id
}

fn position(
    h: &Harness,
    account: &str,
    inst: &str,
    venue: &str,
    side: Side,
    qty: &str,
) -> Position {
    let key = PositionKey {
        account: h.account(account),
        instrument: h.inst(inst),
        contract: 0,
    };
    let mut p = Position::new(key, h.venue(venue), at(-1000));
    let px = if inst == "EUR/USD" {
        d("1.0950")
    } else {
        d("100000")
    };
    p.apply(side, d(qty), px, Decimal::ZERO, at(-1000));
    p
}

/// The decision of one account in an output.
fn verdict_of(out: &Out, h: &Harness, account: &str) -> Verdict {
    let id = h.account(account);
    out.decisions()
        .iter()
        .find(|d| d.account == id)
        .map(|d| d.verdict.clone())
        .unwrap_or_else(|| panic!("no decision for {account}: {:?}", out.decisions()))
}

#[test]
fn reducing_lets_through_only_orders_that_shrink_an_open_position() {
    let mut h = Harness::new("");
    // margin-fx is short 30 000 EUR (a BUY shrinks it), prop-fx long 1 000 EUR
    // (a BUY adds to it), spot-a long 0.02 BTC.
    let positions = vec![
        position(&h, "margin-fx", "EUR/USD", "oanda", Side::Sell, "30000"),
        position(&h, "prop-fx", "EUR/USD", "oanda", Side::Buy, "1000"),
        position(&h, "spot-a", "BTC/USDT", "binance", Side::Buy, "0.02"),
    ];
    h.engine.restore(RestoredState {
        positions,
        ..RestoredState::default()
    });
    let (id, _) = h.forex_buy(0, |h, ms, px| h.fx_quote(ms, px));
    let t = now_ms(&h);
    assert_eq!(h.cmd(Command::Pause, t).audits.len(), 2);
    assert_eq!(h.engine.trading_state(), TradingState::Reducing);

    let out = h.cmd(Command::Approve(id), t + 1);
    assert_eq!(
        verdict_of(&out, &h, "margin-fx"),
        Verdict::Approved,
        "{:?}",
        out.decisions()
    );
    match verdict_of(&out, &h, "prop-fx") {
        Verdict::Refused(r) => {
            assert_eq!(r.reason, R::Reducing);
            assert!(r.detail.contains("adds to the position"), "{}", r.detail);
        }
        v => panic!("prop-fx: {v:?}"),
    }
    let buy = out.submits();
    assert_eq!(buy.len(), 1);
    assert_eq!(buy[0].account, h.account("margin-fx"));
    assert_eq!(buy[0].side, Side::Buy);
    assert!(buy[0].qty <= d("30000"), "{}", buy[0].qty);

    // An arbitrage is a buy and a sell: one leg always adds, even for the
    // account that holds BTC.
    let mut out = Out::default();
    let arb = arbitrage(&mut h, t + 2, &mut out);
    let out2 = h.cmd(Command::Approve(arb), t + 3);
    out.extend(out2);
    assert_eq!(out.refusals(), vec![R::Reducing, R::Reducing]);
    assert!(out.submits().is_empty());
}

#[test]
fn reducing_refuses_a_reducing_order_larger_than_the_position() {
    let mut h = Harness::new("");
    let positions = vec![
        position(&h, "margin-fx", "EUR/USD", "oanda", Side::Sell, "1"),
        position(&h, "prop-fx", "EUR/USD", "oanda", Side::Sell, "2"),
    ];
    h.engine.restore(RestoredState {
        positions,
        ..RestoredState::default()
    });
    let (id, _) = h.forex_buy(0, |h, ms, px| h.fx_quote(ms, px));
    let t = now_ms(&h);
    h.cmd(Command::Pause, t);
    let out = h.cmd(Command::Approve(id), t + 1);
    assert_eq!(out.refusals(), vec![R::Reducing, R::Reducing]);
    match verdict_of(&out, &h, "margin-fx") {
        Verdict::Refused(r) => assert!(r.detail.contains("more than the position"), "{}", r.detail),
        v => panic!("{v:?}"),
    }
}

#[test]
fn a_two_leg_arbitrage_counts_two_orders_in_the_rolling_minute() {
    let mut h = Harness::new(
        "[risk]\nmax_orders_per_minute = 3\n[risk.signal.arbitrage]\nmin_interval_secs = 0\n",
    );
    let spot_a = h.account("spot-a");
    let mut out = Out::default();
    let first = arbitrage(&mut h, 0, &mut out);
    let o = h.cmd(Command::Approve(first), 10);
    assert_eq!(o.approvals(), 2, "{:?}", o.decisions());
    assert_eq!(o.submits().len(), 4);
    assert_eq!(h.engine.account_risk(spot_a).orders_last_minute(at(10)), 2);

    // 2 orders in the window + 2 legs > 3: refused for both accounts.
    let second = arbitrage(&mut h, 30_000, &mut out);
    let o = h.cmd(Command::Approve(second), 30_010);
    assert_eq!(o.refusals(), vec![R::OrderRateLimit, R::OrderRateLimit]);
    assert!(o.submits().is_empty());

    // A minute after the first legs they have left the window.
    let third = arbitrage(&mut h, MINUTE_MS + 10, &mut out);
    assert_eq!(
        h.engine.account_risk(spot_a).recent_orders.len(),
        0,
        "pruned"
    );
    let o = h.cmd(Command::Approve(third), MINUTE_MS + 10);
    assert_eq!(o.approvals(), 2, "{:?}", o.decisions());
    assert_eq!(o.submits().len(), 4);
}

/// Runs two arbitrages at `ms` and `ms + 1000` under a limit of 4, so each
/// spot account has 4 orders in its window; returns every audit.
fn fill_the_window(h: &mut Harness) -> Vec<Audit> {
    let mut out = Out::default();
    for ms in [0, 1000] {
        let id = arbitrage(h, ms, &mut out);
        let o = h.cmd(Command::Approve(id), ms + 10);
        assert_eq!(o.approvals(), 2, "{:?}", o.decisions());
        out.extend(o);
    }
    out.audits
}

#[test]
fn the_throttle_window_survives_a_restart_through_the_store() {
    let overlay =
        "[risk]\nmax_orders_per_minute = 4\n[risk.signal.arbitrage]\nmin_interval_secs = 0\n";
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("t.db");
    let mut h = Harness::new(overlay);
    let audits = fill_the_window(&mut h);
    let conn = omni_store::open(&path).expect("open");
    let mut w = StoreWriter::begin_run(conn, &h.loaded.catalog, "test", 7, "test").expect("run");
    w.apply_batch([audits.as_slice()]).expect("write");
    drop(w);

    let conn = omni_store::open(&path).expect("reopen");
    let restored = omni_store::load_state(&conn, &h.loaded.catalog).expect("load");
    let spot_a = h.account("spot-a");
    let stored = restored
        .accounts
        .iter()
        .find(|(a, _, _)| *a == spot_a)
        .map(|(_, _, r)| r.recent_orders.len());
    assert_eq!(stored, Some(4));

    // A new process: a fresh engine on the restored state, 20 s later.
    let mut after = Harness::new(overlay);
    after.engine.restore(restored);
    let mut out = Out::default();
    let id = arbitrage(&mut after, 20_000, &mut out);
    let o = after.cmd(Command::Approve(id), 20_010);
    assert_eq!(o.refusals(), vec![R::OrderRateLimit, R::OrderRateLimit]);

    // And a minute after the stored orders, it lets them through again.
    let id = arbitrage(&mut after, MINUTE_MS + 1010, &mut out);
    let o = after.cmd(Command::Approve(id), MINUTE_MS + 1020);
    assert_eq!(o.approvals(), 2, "{:?}", o.decisions());

    // Without the stored window the same sequence would have passed.
    let mut cold = Harness::new(overlay);
    let id = arbitrage(&mut cold, 20_000, &mut out);
    assert_eq!(cold.cmd(Command::Approve(id), 20_010).approvals(), 2);
}

#[test]
fn sigkill_leaves_each_account_window_equal_to_the_orders_it_sent() {
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
    // Wait until orders are being written, then kill -9.
    let t0 = std::time::Instant::now();
    loop {
        std::thread::sleep(std::time::Duration::from_millis(100));
        let orders = rusqlite::Connection::open(&db)
            .and_then(|c| c.query_row("SELECT COUNT(*) FROM orders", [], |r| r.get::<_, i64>(0)))
            .unwrap_or(0);
        if orders > 20 || t0.elapsed().as_secs() > 60 {
            break;
        }
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");

    let h = Harness::new("");
    let conn = omni_store::open(&db).expect("open");
    let mut order_times = conn
        .prepare("SELECT created_ts FROM orders WHERE account = ?1 ORDER BY created_ts")
        .expect("prepare");
    let mut updated = conn
        .prepare("SELECT updated_ts FROM accounts WHERE name = ?1")
        .expect("prepare");
    let mut checked = 0;
    let mut windows = Vec::new();
    for a in &h.loaded.catalog.accounts {
        let sent: Vec<i64> = order_times
            .query_map([&a.name], |r| r.get(0))
            .expect("orders")
            .map(|r| r.expect("row"))
            .collect();
        let Ok(upto) = updated.query_row([&a.name], |r| r.get::<_, i64>(0)) else {
            assert!(sent.is_empty(), "{}: orders but no account row", a.name);
            continue;
        };
        // Every order of an account is stored with the account's counters in
        // one transaction, so at the account's last update the stored window
        // holds exactly the orders of the minute before it.
        let in_window = |t: i64| t <= upto && upto - t < MINUTE;
        let expected: Vec<i64> = sent.into_iter().filter(|t| in_window(*t)).collect();
        windows.push((a.id, upto, expected));
    }
    drop(order_times);
    drop(updated);
    let restored = omni_store::load_state(&conn, &h.loaded.catalog).expect("load");
    let mut engine = Engine::new(&h.loaded.config.engine(), &h.loaded.catalog);
    engine.restore(restored);
    for (account, upto, expected) in windows {
        let risk = engine.account_risk(account);
        let stored: Vec<i64> = risk
            .recent_orders
            .iter()
            .map(|t| t.nanos())
            .filter(|t| *t <= upto && upto - t < MINUTE)
            .collect();
        assert_eq!(stored, expected, "account {account:?}");
        let at_upto = omni_core::domain::Timestamp::from_nanos(upto);
        assert_eq!(risk.orders_last_minute(at_upto) as usize, expected.len());
        checked += usize::from(!expected.is_empty());
    }
    assert!(checked > 0, "no account had orders in its last minute");
}
