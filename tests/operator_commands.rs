//! The operator's hand on one order or one position, as engine sequences:
//! `Command::CancelOrder` and `Command::ClosePosition` in, the exact
//! requests and the audited outcome out.

mod common;

use common::{Harness, at, d};
use omni_core::domain::{
    BinaryContract, Direction, ExitReason, OrderId, OrderPurpose, OrderType, Side, TimeInForce,
};
use omni_core::engine::{Audit, Command, NOT_WORKING};
use omni_core::execution::{ExecutionReport, ExecutionRequest};
use omni_core::portfolio::{Position, PositionKey};
use omni_core::risk::TradingState;
use rust_decimal::Decimal;

/// The outcome the command was audited with: its batch has exactly one
/// command, audited before the orders it caused.
fn outcome(out: &common::Out) -> String {
    let commands: Vec<(usize, &String)> = out
        .audits
        .iter()
        .enumerate()
        .filter_map(|(i, a)| match a {
            Audit::Command { outcome, .. } => Some((i, outcome)),
            _ => None,
        })
        .collect();
    assert_eq!(commands.len(), 1, "{:?}", out.audits);
    let (at, text) = commands[0];
    let first_order = out
        .audits
        .iter()
        .position(|a| matches!(a, Audit::OrderCreated(_)));
    assert!(first_order.is_none_or(|o| o > at), "{:?}", out.audits);
    text.clone()
}

fn cancels(out: &common::Out) -> Vec<&ExecutionRequest> {
    out.requests
        .iter()
        .filter(|r| matches!(r, ExecutionRequest::Cancel { .. }))
        .collect()
}

/// An approved BTC arbitrage: orders 1–4 working (spot-a buys on binance
/// and sells on kraken, spot-b the same).
fn four_working_orders() -> Harness {
    let mut h = Harness::new("");
    h.quote("binance", "BTC/USDT", "100000.00", "100000.10", "1.0", 0);
    let out = h.quote("kraken", "BTC/USDT", "100800.00", "100800.50", "0.5", 0);
    let id = out.opened()[0];
    assert_eq!(h.cmd(Command::Approve(id), 10).submits().len(), 4);
    h
}

/// margin-fx holds `qty` EUR/USD (negative: short) bought at 1.10000, with
/// a quote at 1.10100.
fn with_fx_position(qty: &str) -> Harness {
    let mut h = Harness::new("");
    let key = PositionKey {
        account: h.account("margin-fx"),
        instrument: h.inst("EUR/USD"),
        contract: 0,
    };
    let q = d(qty);
    let side = if q > Decimal::ZERO {
        Side::Buy
    } else {
        Side::Sell
    };
    let mut p = Position::new(key, h.venue("oanda"), at(0));
    p.apply(side, q.abs(), d("1.10000"), d("0"), at(0));
    h.engine.restore(omni_core::engine::RestoredState {
        positions: vec![p],
        ..Default::default()
    });
    h.fx_quote(1000, d("1.10100"));
    h
}

fn close(h: &Harness, qty: &str) -> Command {
    Command::ClosePosition {
        account: h.account("margin-fx"),
        instrument: h.inst("EUR/USD"),
        qty: d(qty),
    }
}

#[test]
fn cancelling_a_working_order_sends_one_cancel_to_its_account_and_venue() {
    let mut h = four_working_orders();
    let out = h.cmd(Command::CancelOrder(OrderId(2)), 20);
    assert_eq!(outcome(&out), "cancel sent for #2");
    assert_eq!(
        out.requests,
        vec![ExecutionRequest::Cancel {
            order_id: OrderId(2),
            account: h.account("spot-a"),
            venue: h.venue("kraken"),
        }]
    );
    // The broker's answer ends it; the other three still work.
    h.report(ExecutionReport::Cancelled {
        order_id: OrderId(2),
        ts: at(30),
        reason: "cancelled by operator".into(),
    });
    let working: Vec<u64> = h.engine.working_orders().keys().map(|k| k.0).collect();
    assert_eq!(working, vec![1, 3, 4]);
    // Once ended, it is no longer working: nothing is sent.
    let out = h.cmd(Command::CancelOrder(OrderId(2)), 40);
    assert_eq!(outcome(&out), NOT_WORKING);
    assert!(out.requests.is_empty(), "{:?}", out.requests);
}

#[test]
fn cancelling_an_unknown_id_sends_nothing_and_says_so() {
    let mut h = four_working_orders();
    let out = h.cmd(Command::CancelOrder(OrderId(99)), 20);
    assert_eq!(
        outcome(&out),
        "not working (already filled, cancelled or unknown)"
    );
    assert!(out.requests.is_empty(), "{:?}", out.requests);
}

#[test]
fn a_kill_switch_flatten_is_not_cancelled_by_hand() {
    let mut h = with_fx_position("2000");
    let out = h.cmd(Command::KillSwitch, 2000);
    let flatten = out.submits()[0].id;
    let out = h.cmd(Command::CancelOrder(flatten), 2010);
    assert_eq!(
        outcome(&out),
        format!(
            "refused: #{} is a kill-switch flatten; it stays working until the position is flat",
            flatten.0
        )
    );
    assert!(cancels(&out).is_empty(), "{:?}", out.requests);
}

#[test]
fn cancelling_works_while_paused() {
    let mut h = four_working_orders();
    h.cmd(Command::Pause, 15);
    assert_eq!(h.engine.trading_state(), TradingState::Reducing);
    let out = h.cmd(Command::CancelOrder(OrderId(3)), 20);
    assert_eq!(outcome(&out), "cancel sent for #3");
    assert_eq!(cancels(&out).len(), 1);
}

#[test]
fn closing_a_long_sends_one_market_sell_of_exactly_its_quantity() {
    let mut h = with_fx_position("2000");
    let out = h.cmd(close(&h, "2000"), 2000);
    assert_eq!(
        outcome(&out),
        "sent #1: SELL 2000 EUR/USD at market on oanda for margin-fx"
    );
    let submits = out.submits();
    assert_eq!(submits.len(), 1, "{:?}", out.requests);
    let o = submits[0];
    assert_eq!(
        (o.account, o.instrument, o.venue),
        (h.account("margin-fx"), h.inst("EUR/USD"), h.venue("oanda"))
    );
    assert_eq!((o.side, o.qty), (Side::Sell, d("2000")));
    assert_eq!((o.order_type, o.tif), (OrderType::Market, TimeInForce::Ioc));
    assert_eq!(o.purpose, OrderPurpose::Exit);
    assert_eq!(o.exit_reason, Some(ExitReason::Operator));
    // The sell meets the bid (1.10100 − 0.00004).
    assert_eq!(o.reference_price, d("1.10096"));

    // A second close while the first is in flight is refused.
    let again = h.cmd(close(&h, "2000"), 2010);
    assert_eq!(
        outcome(&again),
        "refused: an exit for margin-fx EUR/USD is already in flight (#1)"
    );
    assert!(again.submits().is_empty());

    // Its fill closes the round trip with the operator's reason.
    let out = h.report(ExecutionReport::Filled {
        order_id: o.id,
        trade_id: "T1".into(),
        qty: d("2000"),
        price: d("1.10096"),
        fee: d("0"),
        ts: at(2100),
        contract: None,
    });
    let trade = out
        .audits
        .iter()
        .find_map(|a| match a {
            Audit::TradeClosed(t) => Some(t.clone()),
            _ => None,
        })
        .expect("the close ends the round trip");
    assert_eq!(trade.reason, ExitReason::Operator);
    assert_eq!(trade.reason.as_str(), "operator");
    assert_eq!(trade.pnl, d("1.92"));
    assert_eq!(h.engine.portfolio().open_count(), 0);
    // Nothing left: a close now says so.
    let out = h.cmd(close(&h, "2000"), 2200);
    assert_eq!(
        outcome(&out),
        "refused: no open position on margin-fx EUR/USD (already closed)"
    );
    assert!(out.submits().is_empty());
}

#[test]
fn closing_a_short_buys_it_back_even_while_paused() {
    let mut h = with_fx_position("-1500");
    h.cmd(Command::Pause, 1500);
    let out = h.cmd(close(&h, "-1500"), 2000);
    let submits = out.submits();
    assert_eq!(submits.len(), 1, "{:?}", out.requests);
    assert_eq!((submits[0].side, submits[0].qty), (Side::Buy, d("1500")));
    assert_eq!(submits[0].exit_reason, Some(ExitReason::Operator));
    // The buy meets the ask.
    assert_eq!(submits[0].reference_price, d("1.10104"));
}

#[test]
fn a_close_of_a_quantity_no_longer_held_is_refused_and_sends_nothing() {
    let mut h = with_fx_position("2000");
    let out = h.cmd(close(&h, "1500"), 2000);
    assert_eq!(
        outcome(&out),
        "refused (changed_since_shown): margin-fx EUR/USD is now 2000, not 1500 as shown"
    );
    assert!(out.requests.is_empty(), "{:?}", out.requests);
    // The sign is part of what was shown: a short of the same size is not it.
    let out = h.cmd(close(&h, "-2000"), 2010);
    assert!(outcome(&out).starts_with("refused (changed_since_shown)"));
    assert!(out.requests.is_empty());
}

#[test]
fn no_close_by_hand_while_the_kill_switch_is_latched() {
    let mut h = with_fx_position("2000");
    let kill = h.cmd(Command::KillSwitch, 1500);
    assert_eq!(kill.submits().len(), 1, "the kill switch flattens it");
    let out = h.cmd(close(&h, "2000"), 2000);
    assert_eq!(
        outcome(&out),
        "refused: the kill switch is latched and already flattening every position (margin-fx EUR/USD)"
    );
    assert!(out.requests.is_empty(), "{:?}", out.requests);
}

#[test]
fn a_binary_contract_is_not_closed_by_hand() {
    let mut h = Harness::new("");
    let key = PositionKey {
        account: h.account("binary"),
        instrument: h.inst("XAU/USD"),
        contract: 7,
    };
    let mut p = Position::new(key, h.venue("oanda"), at(0));
    p.apply(Side::Buy, d("13.8"), d("1"), d("0"), at(0));
    p.binary = Some(BinaryContract {
        direction: Direction::Down,
        strike: d("3208.30"),
        expiry: at(60_000),
        payout: d("0.85"),
    });
    h.engine.restore(omni_core::engine::RestoredState {
        positions: vec![p],
        ..Default::default()
    });
    let out = h.cmd(
        Command::ClosePosition {
            account: h.account("binary"),
            instrument: h.inst("XAU/USD"),
            qty: d("13.8"),
        },
        1000,
    );
    assert_eq!(
        outcome(&out),
        "refused: binary XAU/USD is a binary contract; it settles at expiry (only the kill switch sells one back)"
    );
    assert!(out.requests.is_empty());
}

#[test]
fn the_new_commands_are_stored_with_their_outcomes_and_read_back() {
    let mut h = four_working_orders();
    let mut audits = h.cmd(Command::CancelOrder(OrderId(2)), 20).audits;
    audits.extend(h.cmd(Command::CancelOrder(OrderId(99)), 21).audits);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("cmd.db");
    let conn = omni_store::open(&path).expect("db");
    let mut w =
        omni_store::StoreWriter::begin_run(conn, &h.loaded.catalog, "t", 1, "t").expect("run");
    w.apply_batch([audits.as_slice()]).expect("write");
    drop(w);
    let reader = omni_store::open_read_only(&path).expect("reader");
    let rows: Vec<(String, String, String, String)> = reader
        .prepare("SELECT command, argument, outcome, origin FROM commands ORDER BY seq")
        .expect("query")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("read");
    assert_eq!(
        rows,
        vec![
            (
                "cancel_order".into(),
                "2".into(),
                "cancel sent for #2".into(),
                "key".into()
            ),
            (
                "cancel_order".into(),
                "99".into(),
                NOT_WORKING.into(),
                "key".into()
            ),
        ]
    );
}

#[test]
fn a_command_recorded_before_these_variants_still_reads() {
    // An event as an older build serialised it.
    let old = r#"{"Command":{"ts":1741071600000000000,"command":"Pause","origin":"key"}}"#;
    let e: omni_core::engine::EngineEvent = serde_json::from_str(old).expect("old event reads");
    assert!(matches!(
        e,
        omni_core::engine::EngineEvent::Command {
            command: Command::Pause,
            ..
        }
    ));
    // The new ones round-trip, the quantity exact.
    for c in [
        Command::CancelOrder(OrderId(12)),
        Command::ClosePosition {
            account: omni_core::domain::AccountId(2),
            instrument: omni_core::domain::InstrumentId(3),
            qty: d("-0.01499"),
        },
    ] {
        let text = serde_json::to_string(&c).expect("serialise");
        let back: Command = serde_json::from_str(&text).expect("read back");
        assert_eq!(back, c, "{text}");
    }
}
