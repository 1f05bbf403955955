//! The cockpit's panes on ratatui's TestBackend: what a person would read.

mod common;
#[path = "common/screen.rs"]
mod screen;

use common::{Harness, at, d};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use omni_core::domain::{OrderId, Side};
use omni_core::engine::{Audit, Command};
use omni_core::execution::ExecutionReport;
use omni_core::portfolio::{Position, PositionKey};
use omni_tui::app::snapshot::Snapshot;
use omni_tui::app::{self, AppState, Overlay, keymap};
use omni_tui::engine_thread::snapshot;
use ratatui::style::Color;
use screen::{render, screen};
use std::sync::Arc;

/// An engine with a pending BTC arbitrage (kraken bid 0.8 % over binance).
fn with_arbitrage(overlay: &str) -> Harness {
    let mut h = Harness::new(overlay);
    h.quote("binance", "BTC/USDT", "100000.00", "100000.10", "1.0", 0);
    h.quote("kraken", "BTC/USDT", "100800.00", "100800.50", "0.5", 0);
    h
}

fn app_of(h: &Harness) -> AppState {
    let mut app = AppState::new(false, "test.db".into());
    app.set_snapshot(Arc::new(snapshot::build(&h.engine, 1, "DEMO")));
    app
}

#[test]
fn all_six_panes_and_the_status_bar_at_200_by_50() {
    let h = with_arbitrage("");
    let (lines, _) = render(&app_of(&h), 200, 50);
    let s = screen(&lines);
    for title in [
        "┌Market",
        "┌Opportunities",
        "┌Ensemble",
        "┌Risk",
        "┌Positions",
        "┌Accounts",
        "┌Chart BTC/USDT 1m · binance",
        "┌Trade Log",
    ] {
        assert!(s.contains(title), "{title} missing:\n{s}");
    }
    assert!(
        s.contains("binance  BTC/USDT   100000.00   100000.10"),
        "{s}"
    );
    assert!(s.contains("1 Arbitrage (1)"));
    let status = lines.last().expect("status bar");
    for word in [
        "spot-a DEMO",
        "binary DEMO",
        "ACTIVE",
        "MANUAL",
        "equity 70000.00 USDT · 112000.00 USD",
        "today 0.00 USDT · 0.00 USD",
        "2025-03-04 07:00:00 UTC",
    ] {
        assert!(status.contains(word), "{word} not in {status}");
    }
}

#[test]
fn the_selected_arbitrage_shows_its_numbers_and_the_gate_verdict() {
    let h = with_arbitrage("");
    let (lines, buf) = render(&app_of(&h), 200, 50);
    let s = screen(&lines);
    let row = lines
        .iter()
        .find(|l| l.contains("binance → kraken"))
        .expect("row");
    assert!(
        row.contains("0.564%")
            && row.contains("281.81")
            && row.contains("15s")
            && row.contains("OK 2/2"),
        "{row}"
    );
    assert!(
        s.contains("spread 0.800% · fees 118.14 USDT · net 281.81 USDT (0.564%)"),
        "{s}"
    );
    // The selected row is drawn reversed.
    let y = lines
        .iter()
        .position(|l| l.contains("binance → kraken"))
        .expect("row") as u16;
    let line = &lines[y as usize];
    let x = line[..line.rfind("BTC/USDT").expect("cell")]
        .chars()
        .count() as u16;
    assert!(
        buf[(x, y)]
            .modifier
            .contains(ratatui::style::Modifier::REVERSED)
    );
}

#[test]
fn a_refusal_the_gate_would_give_is_shown_with_its_reason() {
    let h = with_arbitrage("[risk]\nmax_order_notional = 1\n");
    let (lines, _) = render(&app_of(&h), 200, 50);
    let row = lines
        .iter()
        .find(|l| l.contains("binance → kraken"))
        .expect("row");
    assert!(row.contains("0/2 ✗ max_order_notional (spot-a)"), "{row}");
    let s = screen(&lines);
    assert!(
        s.contains("✗ spot-a: the 1 order cap leaves size 0 < minimum 0.00001"),
        "{s}"
    );
}

#[test]
fn positions_show_side_size_pnl_and_exits() {
    let mut h = Harness::new("");
    let key = PositionKey {
        account: h.account("margin-fx"),
        instrument: h.inst("EUR/USD"),
        contract: 0,
    };
    let mut p = Position::new(key, h.venue("oanda"), at(0));
    p.apply(Side::Buy, d("2000"), d("1.10000"), d("0"), at(0));
    p.stop_loss = Some(d("1.09850"));
    p.take_profit = Some(d("1.10300"));
    h.engine.restore(omni_core::engine::RestoredState {
        positions: vec![p],
        ..Default::default()
    });
    h.fx_quote(1000, d("1.10100"));
    let (lines, _) = render(&app_of(&h), 200, 50);
    let row = lines
        .iter()
        .find(|l| l.contains("margin-fx") && l.contains("EUR/USD"))
        .expect("position row");
    for part in [
        "LONG",
        "2000",
        "1.10000",
        "1.10100",
        "+2.00",
        "1.09850 / 1.10300",
    ] {
        assert!(row.contains(part), "{part} not in {row}");
    }
}

#[test]
fn the_trade_log_lists_fills_trades_refusals_and_commands_newest_first() {
    let mut h = Harness::new("");
    let mut audits: Vec<Audit> = Vec::new();
    audits.extend(
        h.quote("binance", "BTC/USDT", "100000.00", "100000.10", "1.0", 0)
            .audits,
    );
    audits.extend(
        h.quote("kraken", "BTC/USDT", "100800.00", "100800.50", "0.5", 0)
            .audits,
    );
    let id = h.engine.opportunities().iter().next().expect("pending").id;
    audits.extend(h.cmd(Command::Approve(id), 10).audits);
    for (oid, px) in [(1u64, "100000.10"), (2, "100800")] {
        audits.extend(
            h.report(ExecutionReport::Filled {
                order_id: OrderId(oid),
                trade_id: format!("T{oid}"),
                qty: d("0.01499"),
                price: d(px),
                fee: d("0"),
                ts: at(50 + oid as i64),
                contract: None,
            })
            .audits,
        );
    }
    audits.extend(h.cmd(Command::Pause, 100).audits);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("log.db");
    let conn = omni_store::open(&path).expect("db");
    let mut w =
        omni_store::StoreWriter::begin_run(conn, &h.loaded.catalog, "t", 1, "t").expect("run");
    w.apply_batch([audits.as_slice()]).expect("write");
    let reader = omni_store::open_read_only(&path).expect("reader");
    let mut app = app_of(&h);
    app.log = app::TradeLog::from_rows(1, app::log::read_log(&reader, 100).expect("log"));
    let (lines, _) = render(&app, 200, 50);
    let start = lines
        .iter()
        .position(|l| l.contains("┌Trade Log"))
        .expect("pane");
    let log: Vec<&String> = lines[start + 1..].iter().take(8).collect();
    // Newest first: the state change above the command that caused it.
    assert!(
        log[1].contains("STATE") && log[1].contains("ACTIVE → REDUCING: paused by operator"),
        "{log:?}"
    );
    assert!(
        log[2].contains("OPERATOR") && log[2].contains("pause → REDUCING"),
        "{log:?}"
    );
    let all = log
        .iter()
        .map(|l| l.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        all.contains(
            "TRADE    spot-a BTC/USDT long 0.01499 100000.1 → 100800 P&L +11.99 USDT (arbitrage)"
        ),
        "{all}"
    );
    assert!(
        all.contains("FILL     spot-a SELL 0.01499 BTC/USDT @ 100800 on kraken"),
        "{all}"
    );
    assert!(
        all.contains("APPROVED arbitrage #1 BTC/USDT → spot-a: size 0.01499"),
        "{all}"
    );
}

#[test]
fn the_kill_banner_shows_progress_and_names_the_rearm_sequence() {
    let mut h = with_arbitrage("");
    let id = h.engine.opportunities().iter().next().expect("pending").id;
    h.cmd(Command::Approve(id), 10);
    h.report(ExecutionReport::Filled {
        order_id: OrderId(1),
        trade_id: "T1".into(),
        qty: d("0.01499"),
        price: d("100000.10"),
        fee: d("0"),
        ts: at(50),
        contract: None,
    });
    h.cmd(Command::KillSwitch, 60);
    let (lines, _) = render(&app_of(&h), 200, 50);
    let banner = &lines[0];
    assert!(banner.contains("HALTED · kill switch"), "{banner}");
    assert!(
        banner.contains("spot-a flattening: 2 orders, 1 positions"),
        "{banner}"
    );
    assert!(
        banner.contains("re-arm: press R, type REARM, Enter"),
        "{banner}"
    );
    assert!(lines.last().expect("status").contains("HALTED"));

    // The broker refuses the flatten: the banner says why, and when it tries again.
    let flatten = h
        .engine
        .working_orders()
        .values()
        .find(|o| o.purpose == omni_core::domain::OrderPurpose::Flatten)
        .expect("a flatten order is working")
        .id;
    h.report(ExecutionReport::Rejected {
        order_id: flatten,
        ts: at(70),
        reason: "market closed or not quoted".into(),
    });
    let (lines, _) = render(&app_of(&h), 200, 50);
    assert!(
        lines[0].contains("market closed or not quoted"),
        "{}",
        lines[0]
    );
}

#[test]
fn the_help_overlay_lists_every_key() {
    let h = with_arbitrage("");
    let mut app = app_of(&h);
    app.overlay = Overlay::Help;
    // Every key and every description whole, on the largest and the
    // smallest terminal the cockpit draws on (a cut line was a bug).
    for (w, h) in [(200, 50), (100, 30), (80, 24)] {
        let s = screen(&render(&app, w, h).0);
        for (k, what) in keymap::KEYS {
            assert!(s.contains(k), "{k} missing from help at {w}x{h}:\n{s}");
            assert!(s.contains(what), "`{what}` cut at {w}x{h}:\n{s}");
        }
    }
}

#[test]
fn a_small_terminal_gets_a_message_not_a_broken_layout() {
    let h = with_arbitrage("");
    let s = screen(&render(&app_of(&h), 79, 23).0);
    assert!(
        s.contains("omni-tui needs a terminal of at least 80×24; this one is 79×23"),
        "{s}"
    );
    assert!(!s.contains("┌Market"));
}

#[test]
fn at_100_by_30_every_pane_is_there_and_prices_keep_their_digits() {
    let h = with_arbitrage("");
    let s = screen(&render(&app_of(&h), 100, 30).0);
    for title in [
        "┌Market",
        "┌Opportunities",
        "┌Ensemble",
        "┌Risk",
        "┌Positions",
        "┌Trade Log",
    ] {
        assert!(s.contains(title), "{title} missing:\n{s}");
    }
    assert!(s.contains("100000.00") && s.contains("100000.10"), "{s}");
}

#[test]
fn no_color_draws_without_colour() {
    let h = with_arbitrage("");
    let mut app = app_of(&h);
    app.no_color = true;
    let (_, buf) = render(&app, 200, 50);
    for cell in buf.content() {
        assert!(
            cell.fg == Color::Reset && cell.bg == Color::Reset,
            "{cell:?}"
        );
    }
    app.no_color = false;
    let (_, buf) = render(&app, 200, 50);
    assert!(
        buf.content().iter().any(|c| c.fg != Color::Reset),
        "colour when allowed"
    );
}

fn key(c: KeyCode) -> KeyEvent {
    KeyEvent::new(c, KeyModifiers::NONE)
}

fn press(app: &mut AppState, c: KeyCode) -> Option<Command> {
    keymap::action_for(app, key(c)).and_then(|a| app::update(app, a))
}

#[test]
fn keys_become_the_right_commands() {
    let h = with_arbitrage("");
    let mut app = app_of(&h);
    let row = app.selected_row().expect("selected");
    let (id, shown) = (row.id, omni_core::approval::ShownTerms::of(&row.detail));
    let approve = Some(Command::ApproveShown { id, shown });
    assert_eq!(press(&mut app, KeyCode::Char('a')), approve);
    assert_eq!(press(&mut app, KeyCode::Enter), approve);
    assert_eq!(
        press(&mut app, KeyCode::Char('r')),
        Some(Command::Reject(id))
    );
    assert_eq!(press(&mut app, KeyCode::Char('p')), Some(Command::Pause));
    assert_eq!(
        press(&mut app, KeyCode::Char('K')),
        Some(Command::KillSwitch)
    );
    // `A` asks first (see auto_approval_asks_first_and_shows_its_thresholds).
    assert_eq!(press(&mut app, KeyCode::Char('A')), None);
    assert_eq!(
        press(&mut app, KeyCode::Char('y')),
        Some(Command::SetApprovalMode(
            omni_core::approval::config::ApprovalMode::Auto
        ))
    );
    assert_eq!(press(&mut app, KeyCode::Tab), None);
    assert_eq!(app.tab, omni_core::domain::OpportunityKind::Forex);
    assert_eq!(
        press(&mut app, KeyCode::Char('a')),
        None,
        "nothing to approve on an empty tab"
    );
    press(&mut app, KeyCode::Char('1'));
    press(&mut app, KeyCode::Char('l'));
    assert_eq!(app.focus, app::Pane::TradeLog);
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.focus, app::Pane::Opportunities);
    press(&mut app, KeyCode::Char('?'));
    assert_eq!(app.overlay, Overlay::Help);
    press(&mut app, KeyCode::Char('x'));
    assert_eq!(app.overlay, Overlay::None);
    press(&mut app, KeyCode::Char('q'));
    assert!(app.quit, "no positions: quit at once");
}

#[test]
fn rearm_takes_the_typed_word_and_quit_asks_when_positions_are_open() {
    let mut h = with_arbitrage("");
    let id = h.engine.opportunities().iter().next().expect("pending").id;
    h.cmd(Command::Approve(id), 10);
    h.report(ExecutionReport::Filled {
        order_id: OrderId(1),
        trade_id: "T1".into(),
        qty: d("0.01499"),
        price: d("100000.10"),
        fee: d("0"),
        ts: at(50),
        contract: None,
    });
    h.cmd(Command::KillSwitch, 60);
    let mut app = app_of(&h);
    assert_eq!(
        press(&mut app, KeyCode::Char('p')),
        None,
        "resume cannot undo a kill"
    );
    press(&mut app, KeyCode::Char('R'));
    for c in "REARX".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    assert_eq!(
        press(&mut app, KeyCode::Enter),
        None,
        "a wrong word does nothing"
    );
    press(&mut app, KeyCode::Char('R'));
    for c in "REARM".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    assert!(
        screen(&render(&app, 200, 50).0)
            .contains("Type REARM and press Enter (Esc cancels): REARM_")
    );
    assert_eq!(press(&mut app, KeyCode::Enter), Some(Command::Rearm));
    press(&mut app, KeyCode::Char('q'));
    assert!(!app.quit);
    assert_eq!(app.overlay, Overlay::ConfirmQuit);
    assert!(screen(&render(&app, 200, 50).0).contains("1 positions are open. Quit anyway? (y/n)"));
    press(&mut app, KeyCode::Char('n'));
    assert!(!app.quit);
    press(&mut app, KeyCode::Char('q'));
    press(&mut app, KeyCode::Char('y'));
    assert!(app.quit);
}

#[test]
fn the_market_pane_shows_feed_health_and_why_a_feed_is_down() {
    use omni_feeds::{FeedHealth, FeedState};
    use omni_tui::app::snapshot::FeedRow;
    let h = Harness::new("");
    let mut snap: Snapshot = snapshot::build(&h.engine, 1, "LIVE");
    let feed = |venue: &str, state, reconnects, last_error: &str| FeedRow {
        health: FeedHealth {
            venue: venue.into(),
            state,
            messages: 120,
            events: 100,
            dropped: 3,
            ignored: 0,
            reconnects,
            gaps: 0,
            quarantined: 2,
            history: 0,
            last_message_ns: 0,
            last_error: last_error.into(),
        },
        rate: 12.5,
        age_ms: Some(40),
    };
    snap.feeds = vec![
        feed(
            "binance",
            FeedState::Connected,
            0,
            "malformed frame: old news",
        ),
        feed(
            "kraken",
            FeedState::Reconnecting,
            4,
            "connect: connection refused",
        ),
    ];
    let mut app = AppState::new(false, "test.db".into());
    app.set_snapshot(Arc::new(snap));
    let (lines, _) = render(&app, 200, 50);
    let s = screen(&lines);
    assert!(
        s.contains("no quotes yet: waiting for the feeds below"),
        "{s}"
    );
    let row = |venue: &str| {
        lines
            .iter()
            .position(|l| l.contains(&format!("│{venue:<8}")))
            .unwrap_or_else(|| panic!("{venue} row:\n{s}"))
    };
    let b = row("binance");
    assert!(
        lines[b].contains("connected") && lines[b].contains("12.5/s"),
        "{s}"
    );
    assert!(lines[b].contains("dropped 3"), "{s}");
    assert!(lines[b].contains("quarantined 2"), "{s}");
    // A connected feed's old error is history, not news.
    assert!(!lines[b + 1].contains("old news"), "{s}");
    let k = row("kraken");
    assert!(
        lines[k].contains("reconnecting") && lines[k].contains("reconn 4"),
        "{s}"
    );
    assert!(
        lines[k + 1].contains("↳ connect: connection refused"),
        "{s}"
    );
}

#[test]
fn auto_approval_asks_first_and_shows_its_thresholds() {
    use omni_core::approval::config::ApprovalMode;
    let h = with_arbitrage(
        "[scanners.arbitrage]\nauto_min_net_pct = 0.01\nauto_max_risk_score = 100\n",
    );
    let mut app = app_of(&h);
    // Manual now: `A` asks, with every kind's thresholds on screen.
    assert_eq!(press(&mut app, KeyCode::Char('A')), None);
    assert_eq!(app.overlay, Overlay::ConfirmAuto);
    let s = screen(&render(&app, 200, 50).0);
    assert!(s.contains("Switch auto approval on? (y/n)"), "{s}");
    assert!(s.contains("net edge ≥ 0.01 % and risk score < 100"), "{s}");
    assert!(s.contains("calibrated edge ≥ +0.1 R"), "{s}");
    assert!(s.contains("calibrated EV ≥ +0.05"), "{s}");
    assert!(s.contains("60 s contracts only"), "{s}");
    // No: nothing is sent.
    assert_eq!(press(&mut app, KeyCode::Char('n')), None);
    assert_eq!(app.overlay, Overlay::None);
    // Yes: AUTO.
    press(&mut app, KeyCode::Char('A'));
    assert_eq!(
        press(&mut app, KeyCode::Char('y')),
        Some(Command::SetApprovalMode(ApprovalMode::Auto))
    );
    // The pending arbitrage clears these (low) thresholds: marked A, and
    // the detail line says so.
    let row = app.selected_row().expect("selected").clone();
    assert!(row.auto_ok);
    let s = screen(&render(&app, 200, 50).0);
    assert!(s.contains(&format!("{} A", row.id)), "{s}");
    assert!(
        s.contains(&format!("{} auto ✓ · 0.5 @top: buy", row.id)),
        "{s}"
    );
    // Above its net edge it does not qualify: no mark.
    let h = with_arbitrage("[scanners.arbitrage]\nauto_min_net_pct = 1.0\n");
    let app = app_of(&h);
    let row = app.selected_row().expect("selected").clone();
    assert!(!row.auto_ok);
    assert!(!screen(&render(&app, 200, 50).0).contains(&format!("{} A", row.id)));
}

/// The audits of one engine step as the cockpit receives them.
fn log_events(audits: &[Audit]) -> Vec<omni_tui::app::log::LogEvent> {
    audits
        .iter()
        .enumerate()
        .map(|(i, a)| omni_tui::app::log::LogEvent {
            seq: i as i64 + 1,
            audit: a.clone(),
            purpose: None,
            contract: None,
        })
        .collect()
}

#[test]
fn notices_tell_the_outcome_of_an_action_and_expire() {
    use omni_tui::app::notice::{self, NOTICE_TTL, Tone};
    let mut h = with_arbitrage("");
    let id = h.engine.opportunities().iter().next().expect("pending").id;
    let mut app = app_of(&h);
    press(&mut app, KeyCode::Char('a'));
    assert_eq!(app.message, Some(format!("approve {id} BTC/USDT sent")));

    // The engine's answer: approved on both spot accounts.
    let out = h.cmd(Command::Approve(id), 10);
    let n = notice::from_events(&h.loaded.catalog, &log_events(&out.audits)).expect("notice");
    assert_eq!(n.text, format!("{id} approved on spot-a, spot-b"));
    assert_eq!(n.tone, Tone::Good);
    let t0 = std::time::Instant::now();
    app.notify(n, t0);
    assert_eq!(app.message, None, "the outcome replaces what the key said");
    let s = screen(&render(&app, 200, 50).0);
    assert!(
        s.lines()
            .last()
            .is_some_and(|l| l.contains(&format!("{id} approved on spot-a, spot-b"))),
        "{s}"
    );
    // A fill says what filled.
    let fill = h.report(ExecutionReport::Filled {
        order_id: OrderId(1),
        trade_id: "T1".into(),
        qty: d("0.01499"),
        price: d("100000.10"),
        fee: d("0"),
        ts: at(50),
        contract: None,
    });
    let n = notice::from_events(&h.loaded.catalog, &log_events(&fill.audits)).expect("notice");
    assert_eq!(n.text, "fill spot-a BUY 0.01499 BTC/USDT @ 100000.1");
    // ... but not at once in place of whether the approval went through.
    app.expire(t0);
    app.notify(n.clone(), t0 + std::time::Duration::from_secs(1));
    assert!(
        app.notice
            .as_ref()
            .is_some_and(|c| c.text.contains("approved on"))
    );
    app.notify(n, t0 + notice::NOTICE_HOLD);
    assert!(
        app.notice
            .as_ref()
            .is_some_and(|c| c.text.starts_with("fill"))
    );
    // A halt outranks everything in the same batch.
    let kill = h.cmd(Command::KillSwitch, 60);
    let n = notice::from_events(&h.loaded.catalog, &log_events(&kill.audits)).expect("notice");
    assert_eq!(
        (n.text.as_str(), n.tone),
        ("HALTED: kill switch", Tone::Bad)
    );
    // An approval the engine refuses says why.
    let refused = h.cmd(Command::Approve(omni_core::domain::OpportunityId(999)), 70);
    let n = notice::from_events(&h.loaded.catalog, &log_events(&refused.audits)).expect("notice");
    assert!(n.text.starts_with("approve #999: "), "{}", n.text);

    // Notices and messages go once they have been up long enough.
    app.notice = None;
    app.notify(n, t0);
    assert!(!app.expire(t0), "its clock starts when first seen");
    assert!(!app.expire(t0 + NOTICE_TTL / 2));
    assert!(app.expire(t0 + NOTICE_TTL));
    assert_eq!(app.notice, None);
    app.say("pause sent");
    assert!(!app.expire(t0));
    assert!(app.expire(t0 + notice::MESSAGE_TTL));
    assert_eq!(app.message, None);
    assert!(
        screen(&render(&app, 200, 50).0)
            .lines()
            .last()
            .is_some_and(|l| l.trim_end().ends_with("│ ? keys")),
        "nothing left to say: the key hint is back"
    );
}
