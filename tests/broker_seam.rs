//! The broker seam: a broker per account, a failing broker refusing only
//! its own accounts' orders, and the paper venue's books agreeing with the
//! engine's portfolio after a whole pipeline run.

mod common;
#[path = "common/unreachable.rs"]
mod unreachable;

use omni_core::approval::config::ApprovalMode;
use omni_core::domain::{AccountId, OrderStatus};
use omni_core::engine::{Audit, Command, RestoredState};
use omni_tui::setup;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use unreachable::Unreachable;

#[test]
fn a_broker_that_is_down_refuses_only_its_own_accounts_orders() {
    let loaded = common::load("");
    let mut driver = setup::demo_driver(&loaded, 5, RestoredState::default()).expect("driver");
    // Every account's orders go somewhere: find one that trades, move it to
    // the unreachable broker, and keep the rest on the paper venue.
    let down = loaded
        .catalog
        .accounts
        .iter()
        .find(|a| a.name == "binary")
        .expect("the demo has a binary account")
        .id;
    driver.brokers.add(Box::new(Unreachable), &[down]);

    let mut audits: Vec<Audit> = Vec::new();
    driver
        .command(Command::SetApprovalMode(ApprovalMode::All), &mut audits)
        .expect("sink");
    while driver.market_events() < 30_000 && driver.step(&mut audits).expect("sink") {}

    let mut account_of = BTreeMap::new();
    let mut filled_by_account: BTreeMap<AccountId, usize> = BTreeMap::new();
    let mut rejected_down = 0;
    for a in &audits {
        match a {
            Audit::OrderCreated(o) => {
                account_of.insert(o.id, o.account);
            }
            Audit::Fill { account, .. } => *filled_by_account.entry(*account).or_default() += 1,
            Audit::OrderChanged {
                id, status, note, ..
            } if *status == OrderStatus::Rejected => {
                let account = account_of[id];
                assert_eq!(account, down, "only the unreachable broker's orders fail");
                let note = note.as_deref().unwrap_or_default();
                assert!(
                    note.contains("unreachable unavailable: connection refused"),
                    "{note}"
                );
                rejected_down += 1;
            }
            _ => {}
        }
    }
    assert!(rejected_down > 0, "the binary account tried to trade");
    assert_eq!(filled_by_account.get(&down), None, "nothing filled there");
    assert!(
        filled_by_account.keys().any(|a| *a != down),
        "the other accounts kept trading: {filled_by_account:?}"
    );
    assert_eq!(
        driver.engine.portfolio().of_account(down).count(),
        0,
        "no position without a fill"
    );
    assert!(driver.brokers.balances(down).is_err());
}

#[test]
fn the_paper_venues_books_agree_with_the_engines_portfolio() {
    let loaded = common::load("");
    for seed in [1, 2, 3] {
        let mut driver =
            setup::demo_driver(&loaded, seed, RestoredState::default()).expect("driver");
        let mut audits: Vec<Audit> = Vec::new();
        driver
            .command(Command::SetApprovalMode(ApprovalMode::All), &mut audits)
            .expect("sink");
        while driver.market_events() < 40_000 && driver.step(&mut audits).expect("sink") {}
        let fills = audits
            .iter()
            .filter(|a| matches!(a, Audit::Fill { .. }))
            .count();
        assert!(fills > 10, "seed {seed}: the run traded ({fills} fills)");

        for a in &loaded.catalog.accounts {
            let engine = driver.engine.portfolio();
            let venue_cash = driver.brokers.balances(a.id).expect("paper answers")[0].cash;
            let held = driver.brokers.positions(a.id).expect("paper answers");
            // The venue moves cash by every purchase and sale; the engine
            // books realised P&L and fees. So the venue's cash plus the cost
            // of what it holds is the engine's cash, and both hold the same
            // cost.
            let venue_cost: Decimal = held.iter().map(|p| p.qty * p.avg_price).sum();
            let engine_cost: Decimal = engine
                .of_account(a.id)
                .filter(|p| !p.qty.is_zero())
                .map(|p| p.qty * p.avg_price)
                .sum();
            let engine_cash = engine.balances[a.id.index()].cash;
            let tolerance = Decimal::new(1, 6);
            assert!(
                (venue_cash + venue_cost - engine_cash).abs() < tolerance,
                "seed {seed}, {}: venue {venue_cash} + {venue_cost}, engine {engine_cash}",
                a.name
            );
            assert!(
                (venue_cost - engine_cost).abs() < tolerance,
                "seed {seed}, {}: cost held, venue {venue_cost}, engine {engine_cost}",
                a.name
            );
            // Every open position is on the venue's books, same size.
            for p in engine.of_account(a.id).filter(|p| !p.qty.is_zero()) {
                let on_venue = held.iter().find(|h| {
                    h.instrument == p.key.instrument
                        && match h.contract {
                            Some(c) => c.0 == p.key.contract,
                            None => p.key.contract == 0,
                        }
                });
                assert_eq!(
                    on_venue.map(|h| h.qty),
                    Some(p.qty),
                    "seed {seed}, {}: {p:?} vs {held:?}",
                    a.name
                );
            }
            assert_eq!(
                held.len(),
                engine.of_account(a.id).filter(|p| !p.qty.is_zero()).count(),
                "seed {seed}, {}: nothing on the venue the engine does not hold",
                a.name
            );
        }
    }
}
