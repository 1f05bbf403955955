//! The Positions pane's Orders tab and the cancel / close popups on
//! ratatui's TestBackend: what a person reads at 200×50, 100×30 and 80×24,
//! and the command each key sends.

mod common;
#[path = "common/screen.rs"]
mod screen;

use common::{Harness, d};
use crossterm::event::KeyCode;
use omni_core::domain::{OrderId, OrderPurpose, Side};
use omni_core::engine::Command;
use omni_tui::app::book_view::BookTab;
use omni_tui::app::{self, AppState, Overlay, Pane};
use screen::{press, render, screen};

/// An approved BTC arbitrage: orders 1–4 working (PENDING IOC limits),
/// built at 0 ms and shown 3 s later.
fn working_orders() -> Harness {
    let mut h = Harness::new("");
    h.quote("binance", "BTC/USDT", "100000.00", "100000.10", "1.0", 0);
    let out = h.quote("kraken", "BTC/USDT", "100800.00", "100800.50", "0.5", 0);
    h.cmd(Command::Approve(out.opened()[0]), 0);
    h.quote("binance", "BTC/USDT", "100000.00", "100000.10", "1.0", 3000);
    h
}

/// margin-fx long 2000 EUR/USD from 1.10000, marked at 1.10100.
fn with_position() -> Harness {
    let mut h = Harness::new("");
    h.fx_long(None, None);
    h.fx_quote(1000, d("1.10100"));
    h
}

fn app_of(h: &Harness, w: u16, ht: u16) -> AppState {
    screen::app_at(&h.engine, w, ht)
}

/// The screen row holding every one of `parts`.
fn row_with<'a>(lines: &'a [String], parts: &[&str]) -> &'a String {
    lines
        .iter()
        .find(|l| parts.iter().all(|p| l.contains(p)))
        .unwrap_or_else(|| panic!("no row with {parts:?}:\n{}", screen(lines)))
}

#[test]
fn o_shows_every_working_order_with_its_columns_at_200_by_50() {
    let h = working_orders();
    let mut app = app_of(&h, 200, 50);
    assert_eq!(press(&mut app, KeyCode::Char('o')), None);
    assert_eq!(
        (app.focus, app.book.tab),
        (Pane::Positions, BookTab::Orders)
    );
    let (lines, _) = render(&app, 200, 50);
    let s = screen(&lines);
    assert!(s.contains("Positions (0) │ Orders (4)"), "{s}");
    let header = row_with(&lines, &["Filled", "Purpose"]);
    for col in [
        "#", "Account", "Instr.", "Venue", "Side", "Type", "Qty", "Filled", "Limit", "Status",
        "Purpose", "Age",
    ] {
        assert!(header.contains(col), "{col} not in {header}");
    }
    // spot-a's sell leg on kraken: every column, whole.
    let row = row_with(&lines, &["spot-a", "kraken"]);
    for part in [
        "2 ",
        "BTC/USDT",
        "SELL",
        "LMT",
        "0.01499",
        "0 ",
        "100600.03",
        "PENDING",
        "arb leg",
        "3s",
    ] {
        assert!(row.contains(part), "{part} not in {row}");
    }
    // The selected order under the table, state first, in whole parts
    // as far as the pane's 88 columns go.
    let footer = row_with(&lines, &["#1 PENDING"]);
    assert!(
        footer.contains(
            "│#1 PENDING filled 0/0.01499 · LIMIT 100200.07 · spot-a BUY BTC/USDT on binance · arb leg│"
        ),
        "{footer}"
    );
}

#[test]
fn narrower_panes_drop_whole_columns_and_keep_the_order_readable() {
    let h = working_orders();
    for (w, ht, kept, dropped) in [
        (
            80,
            24,
            &[
                "Account", "Instr.", "Venue", "Side", "Qty", "Limit", "Status", "Purpose", "Age",
            ][..],
            &["Type", "Filled"][..],
        ),
        (
            100,
            30,
            &["#", "Account", "Instr.", "Side", "Qty"][..],
            &["Venue", "Limit", "Purpose"][..],
        ),
    ] {
        let mut app = app_of(&h, w, ht);
        press(&mut app, KeyCode::Char('o'));
        let (lines, _) = render(&app, w, ht);
        let s = screen(&lines);
        assert!(s.contains("Orders (4)"), "{w}x{ht}:\n{s}");
        let header = row_with(&lines, &["Account", "Instr.", "Qty"]);
        for col in kept {
            assert!(header.contains(col), "{col} not in {header} at {w}x{ht}");
        }
        for col in dropped {
            assert!(!header.contains(col), "{col} in {header} at {w}x{ht}");
        }
        // spot-b's buy leg: its values whole, not cut.
        let row = row_with(&lines, &["spot-b", "BUY", "0.01874"]);
        assert!(row.contains("BTC/USDT"), "{row}");
        if w == 80 {
            for part in ["binance", "100200.07", "PENDING", "arb leg", "3s"] {
                assert!(row.contains(part), "{part} not in {row} at {w}x{ht}");
            }
        }
    }
}

#[test]
fn no_working_orders_says_so() {
    let h = with_position();
    let mut app = app_of(&h, 200, 50);
    press(&mut app, KeyCode::Char('o'));
    let s = screen(&render(&app, 200, 50).0);
    assert!(s.contains("Positions (1) │ Orders (0)"), "{s}");
    assert!(s.contains("no working orders"), "{s}");
}

#[test]
fn tab_switches_the_positions_pane_only_while_it_has_focus() {
    let h = working_orders();
    let mut app = app_of(&h, 200, 50);
    let tab = app.tab;
    press(&mut app, KeyCode::Tab);
    assert_ne!(app.tab, tab, "unfocused: Tab is the opportunities'");
    assert_eq!(app.book.tab, BookTab::Positions);
    app.focus_on(Pane::Positions);
    let tab = app.tab;
    press(&mut app, KeyCode::Tab);
    assert_eq!((app.tab, app.book.tab), (tab, BookTab::Orders));
    press(&mut app, KeyCode::BackTab);
    assert_eq!(app.book.tab, BookTab::Positions);
}

#[test]
fn c_asks_with_the_exact_order_and_y_cancels_that_id() {
    let h = working_orders();
    let mut app = app_of(&h, 80, 24);
    press(&mut app, KeyCode::Char('o'));
    press(&mut app, KeyCode::Char('j'));
    assert_eq!(press(&mut app, KeyCode::Char('c')), None, "asks first");
    assert!(matches!(&app.overlay, Overlay::ConfirmCancel(o) if o.id == 2));
    let s = screen(&render(&app, 80, 24).0);
    for text in [
        "Cancel order #2 spot-a SELL 0.01499 BTC/USDT on kraken",
        "LIMIT 100600.03 · filled 0 · PENDING · arbitrage_leg",
        "Send the cancel? (y/n)",
    ] {
        assert!(s.contains(text), "`{text}` not in:\n{s}");
    }
    assert_eq!(
        press(&mut app, KeyCode::Char('y')),
        Some(Command::CancelOrder(OrderId(2)))
    );
    assert_eq!(app.overlay, Overlay::None);

    // n sends nothing.
    press(&mut app, KeyCode::Char('c'));
    assert_eq!(press(&mut app, KeyCode::Char('n')), None);
    assert_eq!(app.overlay, Overlay::None);
}

#[test]
fn c_and_x_act_only_on_a_row_on_screen() {
    let h = working_orders();
    // Compact: the slot under the opportunities shows the Market pane.
    let mut app = app_of(&h, 80, 24);
    app.focus_on(Pane::Market);
    assert_eq!(press(&mut app, KeyCode::Char('c')), None);
    assert_eq!(app.overlay, Overlay::None);
    assert!(
        app.message
            .as_deref()
            .is_some_and(|m| m.contains("not on screen")),
        "{:?}",
        app.message
    );
    // On the Positions tab, c does not cancel an order shown elsewhere.
    let mut app = app_of(&h, 200, 50);
    assert_eq!(press(&mut app, KeyCode::Char('c')), None);
    assert_eq!(app.overlay, Overlay::None);
    // x with no position says so.
    assert_eq!(press(&mut app, KeyCode::Char('x')), None);
    assert_eq!(app.overlay, Overlay::None);
}

#[test]
fn a_flatten_order_is_not_offered_for_cancelling() {
    let mut h = with_position();
    h.cmd(Command::KillSwitch, 2000);
    let mut app = app_of(&h, 200, 50);
    assert_eq!(
        app.snapshot.orders[0].purpose,
        OrderPurpose::Flatten.as_str()
    );
    press(&mut app, KeyCode::Char('o'));
    assert_eq!(press(&mut app, KeyCode::Char('c')), None);
    assert_eq!(app.overlay, Overlay::None);
    assert!(
        app.message
            .as_deref()
            .is_some_and(|m| m.contains("kill-switch flatten")),
        "{:?}",
        app.message
    );
}

#[test]
fn x_asks_with_the_exact_position_and_y_closes_what_was_shown() {
    let mut h = with_position();
    let mut app = app_of(&h, 200, 50);
    assert_eq!(press(&mut app, KeyCode::Char('x')), None, "asks first");
    let s = screen(&render(&app, 200, 50).0);
    for text in [
        "Close margin-fx LONG 2000 EUR/USD",
        "sends: SELL 2000 EUR/USD at market on oanda for margin-fx",
        "Refused if the position is no longer LONG 2000 when it arrives.",
        "Close it at market? (y/n)",
    ] {
        assert!(s.contains(text), "`{text}` not in:\n{s}");
    }
    // The popup fits the smallest terminal too.
    let small = screen(&render(&app, 80, 24).0);
    assert!(
        small.contains("sends: SELL 2000 EUR/USD at market on oanda for margin-fx"),
        "{small}"
    );
    let sent = press(&mut app, KeyCode::Char('y'));
    let expected = Command::ClosePosition {
        account: h.account("margin-fx"),
        instrument: h.inst("EUR/USD"),
        qty: d("2000"),
    };
    assert_eq!(sent, Some(expected));
    // What the key sent is what the engine sells.
    let out = h.cmd(expected, 2000);
    let submits = out.submits();
    assert_eq!(submits.len(), 1);
    assert_eq!((submits[0].side, submits[0].qty), (Side::Sell, d("2000")));
}

#[test]
fn x_refuses_locally_while_the_kill_switch_flattens() {
    let mut h = with_position();
    h.cmd(Command::KillSwitch, 2000);
    let mut app = app_of(&h, 200, 50);
    assert_eq!(press(&mut app, KeyCode::Char('x')), None);
    assert_eq!(app.overlay, Overlay::None);
    assert!(
        app.message
            .as_deref()
            .is_some_and(|m| m.contains("kill switch is already flattening")),
        "{:?}",
        app.message
    );
}

#[test]
fn the_outcome_of_a_cancel_reads_in_the_trade_log() {
    let mut h = working_orders();
    let audits = h.cmd(Command::CancelOrder(OrderId(2)), 4000).audits;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("log.db");
    let conn = omni_store::open(&path).expect("db");
    let mut w =
        omni_store::StoreWriter::begin_run(conn, &h.loaded.catalog, "t", 1, "t").expect("run");
    w.apply_batch([audits.as_slice()]).expect("write");
    let reader = omni_store::open_read_only(&path).expect("reader");
    let mut app = app_of(&h, 200, 50);
    app.log = app::TradeLog::from_rows(1, app::log::read_log(&reader, 100).expect("log"));
    let s = screen(&render(&app, 200, 50).0);
    assert!(s.contains("OPERATOR cancel order #2 → cancel sent"), "{s}");
}
