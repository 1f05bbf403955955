//! Property tests: accounting adds up, and nothing is approved while HALTED.

mod common;

use common::{Harness, d};
use omni_core::approval::config::ApprovalMode;
use omni_core::domain::{AccountId, InstrumentId, OrderPurpose, Side, Timestamp, VenueId};
use omni_core::engine::sink::NullSink;
use omni_core::engine::{Audit, Command, RestoredState};
use omni_core::portfolio::{Position, PositionKey};
use omni_core::risk::{TradingState, Verdict};
use omni_tui::setup;
use proptest::prelude::*;
use rust_decimal::Decimal;

fn fills() -> impl Strategy<Value = Vec<(bool, u32, u32)>> {
    prop::collection::vec((any::<bool>(), 1u32..500, 9_000u32..11_000), 1..40)
}

proptest! {
    /// For any sequence of fills, realised plus unrealised P&L equals the
    /// cash the fills moved plus the open quantity valued at the mark.
    #[test]
    fn prop_position_pnl_adds_up(seq in fills(), mark in 9_000u32..11_000) {
        let key = PositionKey { account: AccountId(0), instrument: InstrumentId(0), contract: 0 };
        let mut p = Position::new(key, VenueId(0), Timestamp(0));
        let mut realized = Decimal::ZERO;
        let mut cash_flow = Decimal::ZERO;
        let mut qty = Decimal::ZERO;
        for (i, (buy, q, px)) in seq.iter().enumerate() {
            let side = if *buy { Side::Buy } else { Side::Sell };
            let (q, px) = (Decimal::new(*q as i64, 2), Decimal::new(*px as i64, 1));
            realized += p.apply(side, q, px, Decimal::ZERO, Timestamp(i as i64)).realized;
            cash_flow -= side.sign() * q * px;
            qty += side.sign() * q;
        }
        let mark = Decimal::new(mark as i64, 1);
        prop_assert_eq!(p.qty, qty);
        let lhs = realized + p.unrealized(mark);
        let rhs = cash_flow + qty * mark;
        // Average-price division rounds at the 28th significant digit.
        prop_assert!((lhs - rhs).abs() < Decimal::new(1, 12), "{} vs {}", lhs, rhs);
    }

}

proptest! {
    // Each case runs thousands of events through the whole pipeline.
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Through the whole pipeline (demo market, paper broker, approve-all):
    /// each account's cash is its start plus every closed trade's P&L plus
    /// what open positions realised so far, minus their fees. Cash is
    /// exact; P&L against an average price is not once a position was
    /// added to at two prices (a triangle's dust left on BTC: the average
    /// is a division rounded at the 28th significant digit), so the two
    /// agree to 1e-18 of the account's currency.
    #[test]
    fn prop_pipeline_cash_reconciles(seed in 0u64..1_000, events in 2_000u64..12_000) {
        let loaded = common::load("");
        let mut driver = setup::demo_driver(&loaded, seed, RestoredState::default()).expect("driver");
        let mut audits: Vec<Audit> = Vec::new();
        driver.command(Command::SetApprovalMode(ApprovalMode::All), &mut audits).expect("sink");
        while driver.market_events() < events && driver.step(&mut audits).expect("sink") {}
        for a in &loaded.catalog.accounts {
            let closed: Decimal = audits.iter().filter_map(|x| match x {
                Audit::TradeClosed(t) if t.account == a.id => Some(t.pnl),
                _ => None,
            }).sum();
            let open: Decimal = driver.engine.portfolio().of_account(a.id).map(|p| p.realized - p.fees).sum();
            let cash = driver.engine.portfolio().balances[a.id.index()].cash;
            let books = a.initial_balance + closed + open;
            prop_assert!(
                (cash - books).abs() <= Decimal::new(1, 18),
                "account {}: cash {} against {}", a.name, cash, books
            );
        }
    }

}

proptest! {
    /// Whatever the operator does and whatever the market does, no intent
    /// is approved and no entry order leaves while the state is HALTED.
    #[test]
    fn prop_nothing_is_approved_while_halted(
        steps in prop::collection::vec((0u8..8, 0u32..40, any::<bool>()), 20..120)
    ) {
        let mut h = Harness::new("[approval]\nmode = \"manual\"\n[risk.signal.arbitrage]\nmin_interval_secs = 0\n");
        let mut ms = 0i64;
        for (action, spread_bps, all) in steps {
            ms += 250;
            let before = h.engine.trading_state();
            let out = match action {
                0..=3 => {
                    // BTC quotes; kraken sometimes dislocated upward.
                    let bump = Decimal::from(spread_bps) * d("10");
                    let mut o = h.quote("binance", "BTC/USDT", "100000.00", "100000.10", "1", ms);
                    let bid = (d("100000") + bump).to_string();
                    let ask = (d("100000.5") + bump).to_string();
                    o.extend(h.quote("kraken", "BTC/USDT", &bid, &ask, "1", ms));
                    o
                }
                4 => {
                    let pending: Vec<_> = h.engine.opportunities().iter().map(|o| o.id).collect();
                    match pending.first() {
                        Some(id) => h.cmd(Command::Approve(*id), ms),
                        None => common::Out::default(),
                    }
                }
                5 => h.cmd(Command::KillSwitch, ms),
                6 => h.cmd(if all { Command::Rearm } else { Command::Resume }, ms),
                _ => h.cmd(
                    if all { Command::SetApprovalMode(ApprovalMode::All) } else { Command::Pause },
                    ms,
                ),
            };
            let after = h.engine.trading_state();
            if before == TradingState::Halted && after == TradingState::Halted {
                for dcs in out.decisions() {
                    prop_assert!(dcs.verdict != Verdict::Approved, "approved while halted");
                }
                for o in out.submits() {
                    prop_assert!(
                        matches!(o.purpose, OrderPurpose::Flatten),
                        "{:?} order sent while halted", o.purpose
                    );
                }
            }
        }
    }
}

#[test]
fn the_pipeline_is_deterministic() {
    let run = || {
        let loaded = common::load("");
        let mut driver = setup::demo_driver(&loaded, 11, RestoredState::default()).expect("driver");
        let mut sink = NullSink;
        driver
            .command(Command::SetApprovalMode(ApprovalMode::All), &mut sink)
            .expect("sink");
        while driver.market_events() < 20_000 && driver.step(&mut sink).expect("sink") {}
        serde_json::to_string(&omni_tui::summary::Summary::of(&driver.engine)).expect("json")
    };
    assert_eq!(run(), run());
}
