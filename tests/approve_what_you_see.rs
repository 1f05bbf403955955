//! Approve what you see, and K from anywhere: the cockpit's selection
//! follows the opportunity (never the row), an approval carries the terms
//! that were on screen and the engine refuses it if they moved, and the
//! kill switch works from every popup and on a terminal too small to draw.

mod common;

use common::Harness;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use omni_core::approval::ShownTerms;
use omni_core::engine::{Audit, Command};
use omni_tui::app::{self, AppState, Overlay, keymap};
use omni_tui::engine_thread::snapshot;
use std::sync::Arc;

fn press(app: &mut AppState, c: KeyCode) -> Option<Command> {
    keymap::action_for(app, KeyEvent::new(c, KeyModifiers::NONE)).and_then(|a| app::update(app, a))
}

/// Two arbitrage opportunities: BTC/USDT (binance → kraken) and ETH/USDT.
fn two_arbitrages() -> Harness {
    let mut h = Harness::new("");
    h.quote("binance", "BTC/USDT", "100000.00", "100000.10", "1.0", 0);
    h.quote("kraken", "BTC/USDT", "100800.00", "100800.50", "0.5", 0);
    h.quote("binance", "ETH/USDT", "3000.00", "3000.01", "10", 0);
    h.quote("kraken", "ETH/USDT", "3030.00", "3030.05", "10", 0);
    h
}

fn refresh(app: &mut AppState, h: &Harness, v: u64) {
    app.set_snapshot(Arc::new(snapshot::build(&h.engine, v, "DEMO")));
}

fn command_outcome(out: &common::Out) -> String {
    out.audits
        .iter()
        .find_map(|a| match a {
            Audit::Command { outcome, .. } => Some(outcome.clone()),
            _ => None,
        })
        .expect("the command is audited")
}

#[test]
fn a_resort_between_draw_and_keypress_never_approves_another_opportunity() {
    let mut h = two_arbitrages();
    let mut app = AppState::new(true, "t.db".into());
    refresh(&mut app, &h, 1);
    let rows: Vec<_> = app.rows().iter().map(|r| r.id).collect();
    assert_eq!(rows.len(), 2, "two opportunities listed");
    // The operator reads the second row and moves to it.
    press(&mut app, KeyCode::Char('j'));
    let chosen = app.selected_row().expect("selected").id;
    assert_eq!(chosen, rows[1]);
    // The market re-sorts the list before the key is pressed: the chosen
    // one's edge grows so it moves to the top.
    let inst = if app.selected_row().expect("row").instrument_name == "BTC/USDT" {
        "BTC/USDT"
    } else {
        "ETH/USDT"
    };
    let (bid, ask, qty) = if inst == "BTC/USDT" {
        ("101500.00", "101500.50", "0.5")
    } else {
        ("3100.00", "3100.05", "10")
    };
    h.quote("kraken", inst, bid, ask, qty, 100);
    refresh(&mut app, &h, 2);
    let resorted: Vec<_> = app.rows().iter().map(|r| r.id).collect();
    assert_eq!(resorted[0], chosen, "the list re-sorted under the cursor");
    // The highlight followed the opportunity, and `a` approves exactly it.
    assert_eq!(app.selected_index(), Some(0));
    match press(&mut app, KeyCode::Char('a')) {
        Some(Command::ApproveShown { id, .. }) => assert_eq!(id, chosen),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_vanished_selection_says_so_and_no_key_acts_on_another_row() {
    let mut h = two_arbitrages();
    let mut app = AppState::new(true, "t.db".into());
    refresh(&mut app, &h, 1);
    let chosen = app.selected_row().expect("first row selected").id;
    let inst = app.selected_row().expect("row").instrument_name.clone();
    // Its edge disappears: kraken comes back to the binance price.
    let (bid, ask) = if inst == "BTC/USDT" {
        ("100000.00", "100000.10")
    } else {
        ("3000.00", "3000.01")
    };
    h.quote("kraken", &inst, bid, ask, "0.5", 100);
    refresh(&mut app, &h, 2);
    assert_eq!(app.rows().len(), 1, "one opportunity left");
    assert_eq!(
        app.selected_id(),
        Some(chosen),
        "the selection did not jump"
    );
    assert!(app.selected_row().is_none());
    assert_eq!(press(&mut app, KeyCode::Char('a')), None);
    assert!(
        app.message
            .as_deref()
            .is_some_and(|m| m.contains("no longer listed")),
        "{:?}",
        app.message
    );
    assert_eq!(press(&mut app, KeyCode::Char('r')), None);
    // Only a deliberate j/k picks another one.
    press(&mut app, KeyCode::Char('j'));
    assert!(app.selected_row().is_some_and(|r| r.id != chosen));
}

#[test]
fn space_freezes_the_list_and_the_engine_still_checks_the_terms() {
    let mut h = two_arbitrages();
    let mut app = AppState::new(true, "t.db".into());
    refresh(&mut app, &h, 1);
    press(&mut app, KeyCode::Char(' '));
    assert!(app.frozen.is_some());
    let shown: Vec<_> = app.rows().iter().map(|r| r.id).collect();
    h.quote("kraken", "BTC/USDT", "100000.00", "100000.10", "0.5", 100);
    refresh(&mut app, &h, 2);
    let still: Vec<_> = app.rows().iter().map(|r| r.id).collect();
    assert_eq!(shown, still, "frozen: the list does not move");
    press(&mut app, KeyCode::Char(' '));
    assert!(app.frozen.is_none());
    assert_eq!(app.rows().len(), 1, "live again");
}

#[test]
fn the_engine_refuses_an_approval_whose_terms_moved_and_takes_one_that_did_not() {
    // Moved against the trade: refused as changed_since_shown, nothing sent.
    let mut h = two_arbitrages();
    let opp = h
        .engine
        .opportunities()
        .iter()
        .find(|o| o.instrument == h.inst("BTC/USDT"))
        .expect("btc")
        .clone();
    let shown = ShownTerms::of(&opp.detail);
    h.quote("binance", "BTC/USDT", "100199.90", "100200.00", "1.0", 100);
    let out = h.cmd(Command::ApproveShown { id: opp.id, shown }, 200);
    let outcome = command_outcome(&out);
    assert!(
        outcome.starts_with("refused (changed_since_shown)"),
        "{outcome}"
    );
    assert!(out.submits().is_empty(), "no order on moved terms");
    // Unchanged: approved and routed.
    let mut h = two_arbitrages();
    let opp = h
        .engine
        .opportunities()
        .iter()
        .find(|o| o.instrument == h.inst("BTC/USDT"))
        .expect("btc")
        .clone();
    let shown = ShownTerms::of(&opp.detail);
    let out = h.cmd(Command::ApproveShown { id: opp.id, shown }, 200);
    assert_eq!(command_outcome(&out), "approved");
    assert!(!out.submits().is_empty());
    // Gone: refused, saying why.
    let out = h.cmd(Command::ApproveShown { id: opp.id, shown }, 300);
    assert!(command_outcome(&out).contains("no longer pending"));
}

#[test]
fn k_works_from_every_popup_prompt_and_focus_and_on_a_tiny_terminal() {
    let h = two_arbitrages();
    for setup in [
        |a: &mut AppState| a.overlay = Overlay::Help,
        |a: &mut AppState| a.overlay = Overlay::ConfirmQuit,
        |a: &mut AppState| a.overlay = Overlay::Rearm("REA".into()),
        |a: &mut AppState| a.focus = app::Pane::TradeLog,
        |a: &mut AppState| a.too_small = true,
    ] {
        let mut app = AppState::new(true, "t.db".into());
        refresh(&mut app, &h, 1);
        setup(&mut app);
        assert_eq!(
            press(&mut app, KeyCode::Char('K')),
            Some(Command::KillSwitch)
        );
        assert_eq!(app.overlay, Overlay::None, "the banner is not hidden");
    }
}

#[test]
fn trading_keys_are_inert_when_nothing_is_drawn() {
    let h = two_arbitrages();
    let mut app = AppState::new(true, "t.db".into());
    refresh(&mut app, &h, 1);
    app.too_small = true;
    for k in ['a', 'r', 'p', 'A', 'R', 'j', ' '] {
        assert_eq!(press(&mut app, KeyCode::Char(k)), None, "{k}");
    }
    assert_eq!(press(&mut app, KeyCode::Enter), None);
    assert!(app.frozen.is_none());
}

#[test]
fn switching_to_a_tab_whose_old_selection_is_gone_highlights_its_first_row() {
    let mut h = two_arbitrages();
    let mut app = AppState::new(true, "t.db".into());
    refresh(&mut app, &h, 1);
    let gone = app.selected_id().expect("pinned");
    let inst = app.selected_row().expect("row").instrument_name.clone();
    let (bid, ask) = if inst == "BTC/USDT" {
        ("100000.00", "100000.10")
    } else {
        ("3000.00", "3000.01")
    };
    h.quote("kraken", &inst, bid, ask, "0.5", 100);
    press(&mut app, KeyCode::Char('2'));
    refresh(&mut app, &h, 2);
    // Back on the tab: the operator sees the first row highlighted, and
    // that is what `a` approves.
    press(&mut app, KeyCode::Char('1'));
    let row = app.selected_row().expect("the first row is selected");
    assert_ne!(row.id, gone);
    assert_eq!(app.selected_index(), Some(0));
}
