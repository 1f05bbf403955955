//! The cockpit's views on ratatui's TestBackend at each size it draws in
//! (200×50 wide, 100×30 medium, 80×24 compact): the Accounts pane, the
//! chart, zoom, focus, the mouse, whole labels, NO_COLOR and TERM=dumb.

mod common;
#[path = "common/screen.rs"]
mod screen;

use common::{Harness, at, d};
use crossterm::event::{KeyCode, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use omni_core::domain::{Bar, OpportunityKind, Timeframe};
use omni_core::engine::Command;
use omni_core::engine::EngineEvent;
use omni_core::market::MarketEvent;
use omni_tui::app::{self, AppState, Pane, keymap};
use ratatui::layout::Rect;
use ratatui::style::Color;
use screen::{press, render, screen};

/// The cell where `text` starts on screen: (column, row).
fn find(lines: &[String], text: &str) -> (u16, u16) {
    for (y, l) in lines.iter().enumerate() {
        if let Some(i) = l.find(text) {
            let x = l[..i].chars().count();
            return (x as u16, y as u16);
        }
    }
    panic!("`{text}` not on screen:\n{}", screen(lines));
}

/// Two arbitrage opportunities (BTC and ETH), a margin position on EUR/USD
/// with its exits, and half an hour of EUR/USD minute bars.
fn busy() -> Harness {
    busy_with("")
}

fn busy_with(overlay: &str) -> Harness {
    let mut h = Harness::new(overlay);
    h.quote("binance", "BTC/USDT", "100000.00", "100000.10", "1.0", 0);
    h.quote("kraken", "BTC/USDT", "100800.00", "100800.50", "0.5", 0);
    h.quote("binance", "ETH/USDT", "2000.00", "2000.10", "5", 0);
    h.quote("kraken", "ETH/USDT", "2010.00", "2010.20", "5", 0);
    // Half an hour of minute bars: rising for twenty minutes, then falling.
    let mut open = d("1.0990");
    for i in 0..30i64 {
        let close = if i < 20 {
            open + d("0.0001")
        } else {
            open - d("0.0002")
        };
        let bar = Bar {
            instrument: h.inst("EUR/USD"),
            timeframe: Timeframe::M1,
            open_ts: at((i - 30) * 60_000),
            open,
            high: open.max(close) + d("0.00005"),
            low: open.min(close) - d("0.00005"),
            close,
            volume: d("1"),
        };
        h.feed(EngineEvent::Market(MarketEvent::History(bar)));
        open = close;
    }
    h.fx_long(Some("1.09700"), Some("1.10300"));
    h.fx_quote(1000, d("1.10100"));
    h
}

fn app_of(h: &Harness, w: u16, ht: u16) -> AppState {
    screen::app_at(&h.engine, w, ht)
}

fn mouse(app: &mut AppState, kind: MouseEventKind, x: u16, y: u16) -> Option<Command> {
    let m = MouseEvent {
        kind,
        column: x,
        row: y,
        modifiers: KeyModifiers::NONE,
    };
    keymap::mouse_action(app, m).and_then(|a| app::update(app, a))
}

fn click(app: &mut AppState, x: u16, y: u16) -> Option<Command> {
    mouse(app, MouseEventKind::Down(MouseButton::Left), x, y)
}

#[test]
fn the_accounts_pane_shows_every_account_and_totals_per_currency() {
    let h = busy();
    let app = app_of(&h, 200, 50);
    let (lines, _) = render(&app, 200, 50);
    let s = screen(&lines);
    let header = lines
        .iter()
        .find(|l| l.contains("Broker") && l.contains("Realized"))
        .unwrap_or_else(|| panic!("accounts header:\n{s}"));
    for col in [
        "Account", "Broker", "Mode", "Ccy", "Equity", "Cash", "Realized", "Unreal.", "Today",
        "DD %", "Level",
    ] {
        assert!(header.contains(col), "{col} not in {header}");
    }
    let margin = lines
        .iter()
        .find(|l| l.contains("│margin-fx paper"))
        .unwrap_or_else(|| panic!("margin-fx row:\n{s}"));
    // Long 2000 EUR/USD from 1.10000, marked at 1.10100: +2.00 unrealised.
    // 2000 EUR/USD on 10 000: a margin account's HIGH risk level.
    for part in ["DEMO", "USD ", "10002.00", "10000.00", "+2.00", "HIGH"] {
        assert!(margin.contains(part), "{part} not in {margin}");
    }
    // Totals per currency, never one sum across USDT and USD.
    let usdt = lines
        .iter()
        .find(|l| l.contains("total") && l.contains("USDT"))
        .expect("USDT total");
    assert!(usdt.contains("70000.00"), "{usdt}");
    let usd = lines
        .iter()
        .find(|l| l.contains("total") && l.contains("USD ") && !l.contains("USDT"))
        .expect("USD total");
    assert!(usd.contains("112002.00") && usd.contains("+2.00"), "{usd}");
    assert!(
        !s.contains("182002.00"),
        "USDT and USD added together:\n{s}"
    );
    // The status bar says the same per currency.
    let status = lines.last().expect("status");
    assert!(
        status.contains("equity 70000.00 USDT · 112002.00 USD"),
        "{status}"
    );

    // Medium and compact: the pane shares a slot, named on its border, and
    // comes to the front with the focus.
    for (w, ht) in [(100, 30), (80, 24)] {
        let mut app = app_of(&h, w, ht);
        let s = screen(&render(&app, w, ht).0);
        assert!(!s.contains("┌Accounts"), "{w}x{ht}:\n{s}");
        assert!(
            s.contains("Accounts"),
            "no hint of the Accounts pane at {w}x{ht}:\n{s}"
        );
        app.focus_on(Pane::Accounts);
        let (lines, _) = render(&app, w, ht);
        let s = screen(&lines);
        assert!(s.contains("┌Accounts"), "{w}x{ht}:\n{s}");
        let row = lines
            .iter()
            .find(|l| l.contains("margin-fx"))
            .unwrap_or_else(|| panic!("{w}x{ht}:\n{s}"));
        for part in ["USD", "10002.00", "+2.00"] {
            assert!(row.contains(part), "{part} not in {row} at {w}x{ht}");
        }
        // The 38 columns beside the Risk pane at 100×30 leave the level to
        // the Risk pane; the compact layout's full width has it.
        if w == 80 {
            assert!(row.contains("HIGH"), "{row}");
        }
    }
}

#[test]
fn the_chart_draws_candles_bid_ask_and_the_positions_exits() {
    let h = busy();
    let mut app = app_of(&h, 200, 50);
    // Pick EUR/USD in the Market pane: the chart follows.
    app.focus_on(Pane::Market);
    app.market_row = app
        .snapshot
        .quotes
        .iter()
        .position(|q| q.instrument == "EUR/USD")
        .expect("EUR/USD quoted");
    let (lines, buf) = render(&app, 200, 50);
    let s = screen(&lines);
    assert!(s.contains("┌Chart EUR/USD 1m · oanda"), "{s}");
    for label in ["1.10000 entry", "1.09700 SL", "1.10300 TP", "bid", "ask"] {
        assert!(s.contains(label), "{label} missing:\n{s}");
    }
    // Both rising (green) and falling (red) candles are drawn.
    let (cx, cy) = find(&lines, "┌Chart");
    let chart_cells = (cy + 1..cy + 9).flat_map(|y| (cx + 1..cx + 60).map(move |x| (x, y)));
    let colours: Vec<Color> = chart_cells
        .filter(|&(x, y)| buf[(x, y)].symbol() == "█")
        .map(|(x, y)| buf[(x, y)].fg)
        .collect();
    assert!(colours.contains(&Color::Green), "no rising candle:\n{s}");
    assert!(colours.contains(&Color::Red), "no falling candle:\n{s}");
    // The time under the last candle.
    assert!(s.contains("07:00 (forming)"), "{s}");

    // At 100×30 the chart shares the Ensemble's slot and comes forward
    // with the focus.
    let mut app = app_of(&h, 100, 30);
    app.focus_on(Pane::Chart);
    let s = screen(&render(&app, 100, 30).0);
    assert!(s.contains("┌Chart"), "{s}");
}

#[test]
fn f_moves_the_focus_z_zooms_and_esc_returns() {
    let h = busy();
    let mut app = app_of(&h, 200, 50);
    assert_eq!(app.focus, Pane::Opportunities);
    press(&mut app, KeyCode::Char('f'));
    assert_eq!(app.focus, Pane::Ensemble);
    press(&mut app, KeyCode::Char('F'));
    press(&mut app, KeyCode::Char('F'));
    assert_eq!(app.focus, Pane::Chart);
    // Focus on the Accounts pane, then zoom it.
    while app.focus != Pane::Accounts {
        press(&mut app, KeyCode::Char('f'));
    }
    press(&mut app, KeyCode::Char('z'));
    let (lines, _) = render(&app, 200, 50);
    let s = screen(&lines);
    assert!(lines[0].starts_with("┌Accounts"), "{s}");
    assert!(
        !s.contains("┌Market") && !s.contains("┌Opportunities"),
        "{s}"
    );
    // The opportunities are hidden: approving does nothing and says why.
    assert_eq!(press(&mut app, KeyCode::Char('a')), None);
    assert!(
        app.message
            .as_deref()
            .is_some_and(|m| m.contains("hidden by the zoom")),
        "{:?}",
        app.message
    );
    // K still works from a zoom.
    assert_eq!(
        press(&mut app, KeyCode::Char('K')),
        Some(Command::KillSwitch)
    );
    // Esc leaves the zoom, with the focus where it was.
    press(&mut app, KeyCode::Esc);
    assert!(!app.zoomed);
    assert_eq!(app.focus, Pane::Accounts);
    let s = screen(&render(&app, 200, 50).0);
    assert!(s.contains("┌Market") && s.contains("┌Accounts"), "{s}");
    // The zoomed compact screen shows a whole pane too.
    let mut app = app_of(&h, 80, 24);
    app.focus_on(Pane::Risk);
    press(&mut app, KeyCode::Char('z'));
    let (lines, _) = render(&app, 80, 24);
    assert!(lines[0].starts_with("┌Risk"), "{}", screen(&lines));
    for name in ["daily trades", "prop daily loss", "prop drawdown"] {
        assert!(screen(&lines).contains(name), "{name}");
    }
}

#[test]
fn clicks_pick_tabs_rows_and_panes_and_the_wheel_scrolls() {
    let h = busy();
    let mut app = app_of(&h, 200, 50);
    let rows = app.rows().iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(rows.len(), 2, "two arbitrage rows");
    assert_eq!(app.selected_id(), Some(rows[0]));
    // A click on the second row selects it, and sends nothing.
    let (lines, _) = render(&app, 200, 50);
    let (x, y) = find(&lines, &format!("{} ", rows[1]));
    assert_eq!(click(&mut app, x + 1, y), None);
    assert_eq!(app.selected_id(), Some(rows[1]));
    // The wheel over the list moves the selection.
    assert_eq!(mouse(&mut app, MouseEventKind::ScrollUp, x, y), None);
    assert_eq!(app.selected_id(), Some(rows[0]));
    // A click on a tab's title switches to it.
    let (lines, _) = render(&app, 200, 50);
    let (x, y) = find(&lines, "2 Forex");
    click(&mut app, x + 3, y);
    assert_eq!(app.tab, OpportunityKind::Forex);
    let (x, y) = find(&lines, "1 Arbitrage");
    click(&mut app, x, y);
    assert_eq!(app.tab, OpportunityKind::Arbitrage);
    // A click on a Market row focuses the pane and charts that instrument.
    let (x, y) = find(&lines, "oanda    EUR/USD");
    click(&mut app, x, y);
    assert_eq!(app.focus, Pane::Market);
    let s = screen(&render(&app, 200, 50).0);
    assert!(s.contains("┌Chart EUR/USD"), "{s}");
    // A click anywhere in a pane focuses it.
    let (x, y) = find(&lines, "┌Trade Log");
    click(&mut app, x + 2, y + 2);
    assert_eq!(app.focus, Pane::TradeLog);
    // At 100×30 a click on a hidden pane's name brings it forward.
    let mut app = app_of(&h, 100, 30);
    let (lines, _) = render(&app, 100, 30);
    let (x, y) = find(&lines, "Accounts┐");
    click(&mut app, x + 1, y);
    assert_eq!(app.focus, Pane::Accounts);
    let s = screen(&render(&app, 100, 30).0);
    assert!(s.contains("┌Accounts") && s.contains("Positions┐"), "{s}");
    // No click acts through a popup.
    app.overlay = omni_tui::app::Overlay::Help;
    assert!(
        keymap::mouse_action(
            &app,
            MouseEvent {
                kind: MouseEventKind::Down(MouseButton::Left),
                column: 1,
                row: 1,
                modifiers: KeyModifiers::NONE
            }
        )
        .is_none()
    );
}

#[test]
fn labels_are_whole_at_100_by_30_and_80_by_24() {
    let h = busy();
    // 100×30: every limit by its name or its abbreviation, never cut.
    let app = app_of(&h, 100, 30);
    let (lines, _) = render(&app, 100, 30);
    let s = screen(&lines);
    for label in [
        "daily trades",
        "daily loss",
        "loss streak",
        "largest pos",
        "orders / min",
        "prop daily",
        "prop DD",
    ] {
        assert!(s.contains(label), "{label} missing at 100x30:\n{s}");
    }
    assert!(!s.contains("daily tra "), "{s}");
    // The Ensemble names its instrument and horizons in full or abbreviated.
    assert!(!s.contains("XAU/U ") && !s.contains("mediu"), "{s}");
    // The opportunity list keeps the column it is sorted by, with its unit.
    assert!(
        s.contains("Book profit") && s.contains("281.81 USDT"),
        "{s}"
    );
    // Positions keep their header.
    let header = lines
        .iter()
        .find(|l| l.contains("Account") && l.contains("Side"))
        .unwrap_or_else(|| panic!("positions header at 100x30:\n{s}"));
    assert!(header.contains("uP&L"), "{header}");
    // 80×24: the compact layout, every title whole, the status bar too.
    let (lines, _) = render(&app_of(&h, 80, 24), 80, 24);
    let s = screen(&lines);
    assert!(s.contains("┌Opportunities") && s.contains("┌Market"), "{s}");
    assert!(s.contains("1 Arbitrage (2)"), "{s}");
    let status = lines.last().expect("status");
    assert!(
        status.contains("ACTIVE") && status.contains("MANUAL"),
        "{status}"
    );
    assert!(status.contains("USD 112002.00"), "{status}");
}

#[test]
fn no_color_gauges_differ_and_term_dumb_draws_only_ascii() {
    // Use half a limit: one approved entry of a daily limit of two.
    let mut h = busy_with("[risk]\ndaily_trade_limit = 2\n");
    let id = h
        .engine
        .opportunities()
        .iter()
        .next()
        .map(|o| o.id)
        .expect("an opportunity");
    h.cmd(Command::Approve(id), 2000);
    let mut app = app_of(&h, 200, 50);
    app.no_color = true;
    let (lines, buf) = render(&app, 200, 50);
    let row = lines
        .iter()
        .find(|l| l.contains("daily trades"))
        .expect("daily trades gauge");
    assert!(row.contains('█') && row.contains('░'), "{row}");
    // Nothing is coloured.
    for y in 0..50 {
        for x in 0..200 {
            let c = &buf[(x, y)];
            assert!(
                matches!(c.fg, Color::Reset) && matches!(c.bg, Color::Reset),
                "colour at {x},{y}: {c:?}"
            );
        }
    }
    // TERM=dumb: every cell plain ASCII, at every size.
    app.ascii = true;
    for (w, ht) in [(200, 50), (100, 30), (80, 24)] {
        app.area = Rect::new(0, 0, w, ht);
        let (lines, _) = render(&app, w, ht);
        let s = screen(&lines);
        assert!(s.is_ascii(), "non-ASCII at {w}x{ht}:\n{s}");
        assert!(s.contains("+Opportunities"), "{s}");
    }
}

#[test]
fn a_live_accounts_money_reads_live_in_the_status_bar_accounts_and_positions() {
    let mut loaded = common::load("");
    let fx = loaded
        .catalog
        .account_by_name("margin-fx")
        .expect("margin-fx");
    let info = &mut loaded.catalog.accounts[fx.index()];
    info.broker = omni_core::domain::BrokerKind::Oanda;
    info.mode = omni_core::domain::AccountMode::Live;
    let engine = omni_core::engine::Engine::new(&loaded.config.engine(), &loaded.catalog);
    let mut h = Harness { engine, loaded };
    h.fx_long(Some("1.09700"), Some("1.10300"));
    h.fx_quote(1000, d("1.10100"));
    let app = app_of(&h, 200, 50);
    let (lines, buf) = render(&app, 200, 50);
    let s = screen(&lines);
    let status = lines.last().expect("status");
    assert!(status.contains("margin-fx LIVE"), "{status}");
    let account = lines
        .iter()
        .find(|l| l.contains("│margin-fx oanda"))
        .unwrap_or_else(|| panic!("accounts row:\n{s}"));
    assert!(account.contains("LIVE"), "{account}");
    // The Positions pane says LIVE in its title, and the live account's
    // name is red in its row.
    let (x, y) = find(&lines, "Positions LIVE");
    assert!(buf[(x + 10, y)].fg == Color::Red, "title:\n{s}");
    let row = lines
        .iter()
        .position(|l| l.contains("EUR/USD  LONG"))
        .unwrap_or_else(|| panic!("position row:\n{s}"));
    let col = lines[row].find("margin-fx").expect("account cell");
    let col = lines[row][..col].chars().count() as u16;
    assert_eq!(buf[(col, row as u16)].fg, Color::Red, "row:\n{s}");
    // Until its venue has reported, the live account is blocked, and the
    // Risk pane says why.
    assert!(
        s.contains("margin-fx blocked: waiting for the venue's first"),
        "{s}"
    );
    // A paper account's position is not marked.
    let paper = busy();
    let (lines, _) = render(&app_of(&paper, 200, 50), 200, 50);
    assert!(!screen(&lines).contains("Positions LIVE"));
}
