//! The Trade Log pane's view over a real store: kind filters that page
//! only their own tables, no gap when switching back to All, a search deep
//! into history, Home and End, exact totals, date lines where the UTC day
//! changes, pages that never run past the end, and a title and indicator
//! that shorten rather than be cut.

mod common;

use common::{at, d};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use omni_core::domain::time::{MINUTE, SECOND};
use omni_core::domain::{
    Catalog, Fill, OpportunityId, OpportunityKind, Order, OrderId, OrderPurpose, OrderStatus,
    OrderType, Side, TimeInForce, Timestamp,
};
use omni_core::engine::{Audit, Command, Decision};
use omni_core::risk::{Refusal, RefusalReason, TradingState, Verdict};
use omni_tui::app::log::{
    LOG_ROWS, LogCursor, LogEvent, LogKind, TradeLog, read_log, read_log_page,
};
use omni_tui::app::log_view::{LogAction, LogFilter, LogView, WindowLine, page_in};
use omni_tui::app::{AppState, Pane};
use omni_tui::ui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::path::{Path, PathBuf};

fn catalog() -> Catalog {
    common::load("").catalog
}

/// Writes one run of `audits` (numbered from 1, as the store numbers a
/// run's records) into the database at `path`; returns its run id.
fn write_run(path: &Path, audits: &[Audit]) -> i64 {
    let conn = omni_store::open(path).expect("db");
    // The synthetic decisions name opportunities the test does not write.
    conn.pragma_update(None, "foreign_keys", "OFF")
        .expect("pragma");
    let mut w =
        omni_store::StoreWriter::begin_run(conn, &catalog(), "test", 1, "test").expect("run");
    w.apply_batch([audits]).expect("write");
    w.run_id()
}

fn refusal(c: &Catalog, opp: u64, ts: Timestamp) -> Audit {
    Audit::Decision(Decision {
        ts,
        opportunity: OpportunityId(opp),
        kind: OpportunityKind::Arbitrage,
        instrument: c.instruments[0].id,
        account: c.accounts[0].id,
        verdict: Verdict::Refused(Refusal {
            reason: RefusalReason::MinInterval,
            detail: "last entry 0s ago < 5s".into(),
        }),
        qty: d("0.01"),
        price: d("100000"),
        notional: d("1000"),
        alpha: None,
        beta: None,
    })
}

/// An order and its fill.
fn filled(c: &Catalog, id: u64, ts: Timestamp) -> [Audit; 2] {
    let order = Order {
        id: OrderId(id),
        account: c.accounts[0].id,
        instrument: c.instruments[0].id,
        venue: c.venues[0].id,
        side: Side::Buy,
        order_type: OrderType::Market,
        tif: TimeInForce::Ioc,
        qty: d("0.01"),
        limit_price: None,
        stop_price: None,
        reference_price: d("100000"),
        status: OrderStatus::Pending,
        filled_qty: d("0"),
        avg_fill_price: d("0"),
        fees: d("0"),
        purpose: OrderPurpose::Entry,
        exit_reason: None,
        opportunity: None,
        binary: None,
        position_contract: 0,
        stop_loss: None,
        take_profit: None,
        created: ts,
        updated: ts,
    };
    let fill = Audit::Fill {
        fill: Fill {
            order_id: OrderId(id),
            trade_id: format!("T{id}"),
            qty: d("0.01"),
            price: d("100000"),
            fee: d("0.1"),
            ts,
        },
        account: order.account,
        instrument: order.instrument,
        venue: order.venue,
        side: Side::Buy,
    };
    [Audit::OrderCreated(order), fill]
}

fn pause(ts: Timestamp) -> Audit {
    Audit::Command {
        command: Command::Pause,
        outcome: "paused: REDUCING".into(),
        ts,
        origin: omni_core::engine::CommandOrigin::Key,
    }
}

fn halt(ts: Timestamp) -> Audit {
    Audit::TradingStateChanged {
        from: TradingState::Active,
        to: TradingState::Halted,
        kill_latched: true,
        cause: "kill switch".into(),
        ts,
    }
}

/// A database of one earlier run: `refusals` refusals a second apart, a
/// fill after every `every`-th, and a log for the next run opened on it as
/// the cockpit opens it (the first page of history read at start).
struct Fixture {
    _dir: tempfile::TempDir,
    path: PathBuf,
    run: i64,
}

impl Fixture {
    fn new(audits: &[Audit]) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("log.db");
        let run = write_run(&path, audits) + 1;
        Self {
            _dir: dir,
            path,
            run,
        }
    }

    fn reader(&self) -> rusqlite::Connection {
        omni_store::open_read_only(&self.path).expect("reader")
    }

    /// The log as the cockpit starts it: this run's id, the first page of
    /// earlier runs.
    fn log(&self, reader: &rusqlite::Connection) -> TradeLog {
        let mut log = TradeLog::new(self.run);
        let before = LogCursor {
            run: self.run,
            seq: 0,
        };
        log.extend_older(
            read_log_page(reader, Some(before), LOG_ROWS).expect("page"),
            LOG_ROWS,
        );
        log
    }
}

fn many_refusals(refusals: usize, every: usize) -> (Vec<Audit>, usize) {
    let c = catalog();
    let mut audits = Vec::new();
    let mut fills = 0;
    for i in 0..refusals {
        let ts = at(i as i64 * 1000);
        audits.push(refusal(&c, i as u64 + 1, ts));
        if i % every == every - 1 {
            fills += 1;
            audits.extend(filled(&c, fills as u64, ts));
        }
    }
    (audits, fills)
}

/// Calls `page_in` as the cockpit's loop does until it has nothing to do.
fn settle(log: &mut TradeLog, view: &LogView, reader: &rusqlite::Connection) -> usize {
    let mut calls = 0;
    while page_in(log, view, reader).expect("page in") {
        calls += 1;
        assert!(calls < 10_000, "page_in never settles");
    }
    calls
}

fn press(view: &mut LogView, log: &TradeLog, code: KeyCode) {
    let key = KeyEvent::new(code, KeyModifiers::NONE);
    if let Some(a) = view.key_action(&key) {
        view.apply(a, log);
    }
}

#[test]
fn a_filter_pages_its_own_kinds_past_many_others_and_all_has_no_gap() {
    let (audits, fills) = many_refusals(20_000, 700);
    let fx = Fixture::new(&audits);
    let reader = fx.reader();
    let mut log = fx.log(&reader);
    let mut view = LogView::default();
    view.set_height(10);
    settle(&mut log, &view, &reader);

    // Fills & trades: every fill of the store, found without reading the
    // refusals between them.
    view.apply(LogAction::NextFilter, &log);
    assert_eq!(view.filter, LogFilter::Fills);
    let refused_held = log.held(LogKind::Refused);
    settle(&mut log, &view, &reader);
    press(&mut view, &log, KeyCode::End);
    settle(&mut log, &view, &reader);
    assert_eq!(view.count(&log), fills, "every fill in the store");
    assert!(view.rows(&log).iter().all(|r| r.kind == LogKind::Fill));
    assert_eq!(log.held(LogKind::Refused), refused_held, "no refusal read");
    assert_eq!(log.total(LogFilter::Fills.kinds()), (fills, true));
    let w = view.window(&log);
    assert_eq!(w.first + w.shown, fills, "End shows the oldest fill");
    assert_eq!(
        w.indicators(false)[0],
        format!("{}–{fills} of {fills}", fills - w.shown + 1)
    );

    // Back to All: the rows shown are the store's newest, with no gap,
    // even though fills are held far deeper than refusals.
    for _ in 0..5 {
        view.apply(LogAction::NextFilter, &log);
    }
    assert_eq!(view.filter, LogFilter::All);
    let shown: Vec<_> = view.rows(&log).into_iter().cloned().collect();
    assert_eq!(shown, read_log(&reader, shown.len()).expect("read"));
    // Paging deeper under All stays gap-free.
    for _ in 0..60 {
        view.apply(LogAction::PageOlder, &log);
        settle(&mut log, &view, &reader);
    }
    assert!(view.top(&log) >= 500, "{}", view.top(&log));
    let shown: Vec<_> = view.rows(&log).into_iter().cloned().collect();
    assert_eq!(shown, read_log(&reader, shown.len()).expect("read"));
    assert_eq!(
        log.total(LogFilter::All.kinds()),
        (20_000 + fills, true),
        "exact total of every kind"
    );
}

#[test]
fn a_search_finds_a_row_two_thousand_rows_deep() {
    let c = catalog();
    let mut audits = vec![pause(at(0))];
    audits.extend((0..2_500).map(|i| refusal(&c, i + 1, at(1000 + i as i64 * 1000))));
    let fx = Fixture::new(&audits);
    let reader = fx.reader();
    let mut log = fx.log(&reader);
    let mut view = LogView::default();
    view.set_height(10);
    settle(&mut log, &view, &reader);

    press(&mut view, &log, KeyCode::Char('/'));
    assert!(view.typing);
    for ch in "Pause →".chars() {
        press(&mut view, &log, KeyCode::Char(ch));
        // Typing updates the view live; the search reads history meanwhile.
        page_in(&mut log, &view, &reader).expect("page in");
    }
    assert!(view.window(&log).searching || view.count(&log) == 1);
    settle(&mut log, &view, &reader);
    press(&mut view, &log, KeyCode::Enter);
    assert!(!view.typing);
    assert_eq!(view.search, "Pause →");
    let rows = view.rows(&log);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].kind, LogKind::Command);
    assert_eq!(rows[0].text, "pause → REDUCING");
    let w = view.window(&log);
    assert!(!w.more && !w.searching);
    assert_eq!(w.indicators(true)[0], "1–1 of 1 match");

    // The search also matches labels and times.
    view.apply(LogAction::SearchStart, &log);
    for ch in "07:40:".chars() {
        view.apply(LogAction::SearchChar(ch), &log);
    }
    settle(&mut log, &view, &reader);
    assert_eq!(view.count(&log), 60, "a minute of refusals");
    // Esc clears it and stays on the row it had at the top, the first
    // match or any other.
    press(&mut view, &log, KeyCode::Enter);
    for down in [0, 1] {
        view.apply(LogAction::SearchStart, &log);
        for ch in "07:40:".chars() {
            view.apply(LogAction::SearchChar(ch), &log);
        }
        press(&mut view, &log, KeyCode::Enter);
        view.apply(LogAction::Older(down), &log);
        let at_top = view.rows(&log)[view.top(&log)].cursor();
        press(&mut view, &log, KeyCode::Esc);
        assert!(view.search.is_empty());
        assert_eq!(view.rows(&log)[view.top(&log)].cursor(), at_top);
        // Below the 41 rows of 07:41.
        assert_eq!(view.top(&log), 41 + down);
    }
    // With no search, Esc is the cockpit's (focus back).
    let esc = KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE);
    assert_eq!(view.key_action(&esc), None);
}

#[test]
fn home_and_end_and_pages_that_never_run_past_the_end() {
    let c = catalog();
    let audits: Vec<Audit> = (0..25)
        .map(|i| refusal(&c, i + 1, at(i as i64 * 1000)))
        .collect();
    let fx = Fixture::new(&audits);
    let reader = fx.reader();
    let mut log = fx.log(&reader);
    let mut view = LogView::default();
    // Eight lines: the date line and seven rows.
    view.set_height(8);
    settle(&mut log, &view, &reader);
    assert_eq!(view.count(&log), 25);

    let mut tops = Vec::new();
    for _ in 0..6 {
        press(&mut view, &log, KeyCode::PageDown);
        tops.push(view.top(&log));
    }
    assert_eq!(tops, [7, 14, 18, 18, 18, 18], "the last page is full");
    let w = view.window(&log);
    assert_eq!(w.lines.len(), 8);
    assert_eq!(w.shown, 7);
    assert_eq!(w.indicators(false)[0], "19–25 of 25");
    let Some(WindowLine::Row(last)) = w.lines.last() else {
        panic!("a row at the bottom");
    };
    assert_eq!(last.ts, at(0), "the oldest row");
    // Older rows by the wheel or the arrows stop there too.
    view.apply(LogAction::Older(3), &log);
    press(&mut view, &log, KeyCode::Down);
    assert_eq!(view.top(&log), 18);

    press(&mut view, &log, KeyCode::Home);
    assert_eq!(view.top(&log), 0);
    press(&mut view, &log, KeyCode::Char('G'));
    assert_eq!(view.top(&log), 18);
    press(&mut view, &log, KeyCode::PageUp);
    assert_eq!(view.top(&log), 11);
    press(&mut view, &log, KeyCode::Char('g'));
    assert_eq!(view.top(&log), 0);
    press(&mut view, &log, KeyCode::PageUp);
    assert_eq!(view.top(&log), 0);
}

#[test]
fn totals_count_the_store_once_and_this_runs_rows_as_they_stream() {
    let (audits, fills) = many_refusals(1_000, 100);
    let fx = Fixture::new(&audits);
    let reader = fx.reader();
    let mut log = fx.log(&reader);
    let view = LogView::default();
    assert_eq!(
        log.total(&LogKind::ALL),
        (LOG_ROWS, false),
        "not counted yet"
    );
    settle(&mut log, &view, &reader);
    assert_eq!(log.total(&[LogKind::Refused]), (1_000, true));
    assert_eq!(log.total(&[LogKind::Fill]), (fills, true));

    // This run's rows, from the stream.
    let c = catalog();
    let events: Vec<LogEvent> = [
        pause(at(2_000_000)),
        halt(at(2_000_001)),
        refusal(&c, 5000, at(2_000_002)),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, audit)| LogEvent {
        seq: i as i64 + 1,
        audit,
        purpose: None,
        contract: None,
    })
    .collect();
    log.apply(&c, &events);
    assert_eq!(log.total(&[LogKind::Refused]), (1_001, true));
    assert_eq!(log.total(&LogKind::ALL), (1_000 + fills + 3, true));
    let mut view = LogView::default();
    view.set_height(10);
    view.filter = LogFilter::Alerts;
    let w = view.window(&log);
    assert_eq!(w.indicators(false)[0], "1–1 of 1");
    view.filter = LogFilter::Operator;
    assert_eq!(view.rows(&log)[0].text, "pause → REDUCING");
}

#[test]
fn a_date_line_tops_the_view_and_marks_each_new_utc_day() {
    let c = catalog();
    // 2025-03-04 07:00 + 17 h = midnight: rows on both sides of it.
    let midnight = at(0).plus(17 * 60 * MINUTE);
    let audits: Vec<Audit> = (0..6)
        .map(|i| refusal(&c, i + 1, midnight.plus((i as i64 - 3) * 10 * SECOND)))
        .collect();
    let fx = Fixture::new(&audits);
    let reader = fx.reader();
    let mut log = fx.log(&reader);
    let view = LogView::default();
    view.set_height(20);
    settle(&mut log, &view, &reader);
    let w = view.window(&log);
    let lines: Vec<String> = w
        .lines
        .iter()
        .map(|l| match l {
            WindowLine::Day(ts) => format!("day {}", ts.to_datetime().format("%Y-%m-%d")),
            WindowLine::Row(r) => r.ts.to_datetime().format("%H:%M:%S").to_string(),
        })
        .collect();
    assert_eq!(
        lines,
        [
            "day 2025-03-05",
            "00:00:20",
            "00:00:10",
            "00:00:00",
            "day 2025-03-04",
            "23:59:50",
            "23:59:40",
            "23:59:30",
        ]
    );
    // Date lines are not rows.
    assert_eq!((w.shown, w.count), (6, 6));
    assert_eq!(w.indicators(false)[0], "1–6 of 6");
}

/// The pane alone, drawn on `w`×`h`.
fn pane(app: &AppState, w: u16, h: u16) -> Vec<String> {
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    t.draw(|f| omni_tui::ui::panes::trade_log::draw(f, f.area(), app, &Theme::new(false)))
        .expect("draw");
    let buf = t.backend().buffer().clone();
    (0..h)
        .map(|y| (0..w).map(|x| buf[(x, y)].symbol().to_string()).collect())
        .collect()
}

#[test]
fn the_title_and_indicator_fit_small_and_large_panes() {
    let (audits, fills) = many_refusals(3_000, 100);
    let fx = Fixture::new(&audits);
    let reader = fx.reader();
    let mut app = AppState::new(false, "log.db".into());
    app.log = fx.log(&reader);
    app.focus = Pane::TradeLog;
    settle(&mut app.log, &app.log_view, &reader);
    app.log_view.apply(LogAction::NextFilter, &app.log);
    settle(&mut app.log, &app.log_view, &reader);

    let small = pane(&app, 60, 8);
    assert!(
        small[0].starts_with("┌Trade Log · Fills & trades─"),
        "{small:#?}"
    );
    assert!(
        small[7].ends_with(&format!("─1–5 of {fills}┘")),
        "{small:#?}"
    );
    assert!(small[1].contains("── 2025-03-04 ──"), "{small:#?}");
    assert!(small[2].contains("FILL"), "{small:#?}");

    let large = pane(&app, 200, 20);
    assert!(
        large[0].starts_with("┌Trade Log · Fills & trades─"),
        "{large:#?}"
    );
    assert!(
        large[19].ends_with(&format!("1–17 of {fills}┘")),
        "{large:#?}"
    );
    assert!(large[19].contains("Tab filter · / search"), "{large:#?}");

    // A search, typed and kept: in the title, its count at the bottom.
    for a in [LogAction::PrevFilter, LogAction::SearchStart]
        .into_iter()
        .chain("min_interval".chars().map(LogAction::SearchChar))
    {
        app.log_view.apply(a, &app.log);
    }
    let typing = pane(&app, 60, 8);
    assert!(
        typing[0].starts_with("┌Trade Log · /min_interval█─"),
        "{typing:#?}"
    );
    app.log_view.apply(LogAction::SearchDone, &app.log);
    settle(&mut app.log, &app.log_view, &reader);
    let kept = pane(&app, 60, 8);
    assert!(
        kept[0].starts_with("┌Trade Log · / min_interval─"),
        "{kept:#?}"
    );
    assert!(kept[7].contains("─1–5 of "), "{kept:#?}");
    assert!(kept[7].ends_with("+ matches┘"), "{kept:#?}");

    // Narrow: the filter's short name and the search's end, never cut.
    app.log_view.filter = LogFilter::Refusals;
    app.log_view.search = "min_interval (last entry".into();
    settle(&mut app.log, &app.log_view, &reader);
    let narrow = pane(&app, 40, 5);
    assert!(narrow[0].starts_with("┌Log · Refus. · / …"), "{narrow:#?}");
    assert!(
        narrow[0].ends_with("entry─┐") || narrow[0].ends_with("entry┐"),
        "{narrow:#?}"
    );
    assert!(
        narrow[4].ends_with("+ matches┘") || narrow[4].ends_with("+┘"),
        "{narrow:#?}"
    );
}
