//! The cockpit's trade log comes from the engine's audit stream: the
//! fan-out sink hands each batch to the store and the trade log's records
//! to the UI, and the rows built from them are the rows the store gives
//! for the same run, to the character and in the same order.

mod common;

use omni_core::domain::time::SECOND;
use omni_core::engine::Command;
use omni_tui::app::log::{
    LOG_ROWS, LogCursor, LogEvent, LogKind, LogRow, TradeLog, read_log, read_log_page,
};
use omni_tui::cockpit::fanout::FanOutSink;
use omni_tui::setup;
use std::path::Path;
use std::sync::mpsc;

const SEED: u64 = 11;

/// One demo run on `db` through the fan-out sink: every opportunity
/// approved for `secs` market seconds, then a pause and the kill switch.
/// Returns the run id and everything the sink sent to the UI.
fn demo_run(db: &Path, secs: i64) -> (i64, Vec<Vec<LogEvent>>) {
    let loaded = common::load("");
    let (_, restored, store) = setup::open_store(Some(db), &loaded, "test", SEED).expect("store");
    let run = store.run_id();
    let (tx, rx) = mpsc::channel();
    let mut sink = FanOutSink::new(store, tx);
    let mut driver = setup::demo_driver(&loaded, SEED, restored).expect("demo");
    let start = driver.market().start();
    driver
        .command(
            Command::SetApprovalMode(omni_core::approval::config::ApprovalMode::All),
            &mut sink,
        )
        .expect("approve all");
    driver
        .run_until(start.plus(secs * SECOND), usize::MAX, &mut sink)
        .expect("run");
    driver.command(Command::Pause, &mut sink).expect("pause");
    driver
        .command(Command::KillSwitch, &mut sink)
        .expect("kill");
    driver
        .run_until(start.plus((secs + 5) * SECOND), usize::MAX, &mut sink)
        .expect("flatten");
    // Everything the UI would have received, read before the store is
    // even flushed: the log needs no database for this run's rows.
    let events: Vec<Vec<LogEvent>> = rx.try_iter().collect();
    sink.close().expect("store closes");
    (run, events)
}

fn stream_log(run: i64, events: &[Vec<LogEvent>]) -> TradeLog {
    let loaded = common::load("");
    let mut log = TradeLog::new(run);
    for batch in events {
        log.apply(&loaded.catalog, batch);
    }
    log
}

fn rows(log: &TradeLog) -> Vec<LogRow> {
    log.iter().cloned().collect()
}

#[test]
fn this_runs_rows_come_from_the_stream_and_equal_the_stores() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("log.db");
    let (run, events) = demo_run(&db, 400);
    let log = stream_log(run, &events);

    let kinds: Vec<LogKind> = log.iter().map(|r| r.kind).collect();
    for k in [
        LogKind::Fill,
        LogKind::Trade,
        LogKind::Approved,
        LogKind::Refused,
        LogKind::Command,
        LogKind::State,
    ] {
        assert!(kinds.contains(&k), "no {k:?} row from the stream");
    }
    assert_eq!(log.len(), LOG_ROWS, "the run made more rows than are kept");

    let reader = omni_store::open_read_only(&db).expect("reader");
    let stored = read_log(&reader, LOG_ROWS).expect("read");
    assert_eq!(rows(&log), stored);

    // Beyond the rows kept, the next page comes from the store and carries
    // on exactly where the stream's rows end.
    let before = log.wants_older(log.len(), 1).expect("older rows exist");
    let page = read_log_page(&reader, Some(before), LOG_ROWS).expect("page");
    let mut paged = log.clone();
    paged.extend_older(page, LOG_ROWS);
    assert_eq!(
        rows(&paged),
        read_log(&reader, paged.len()).expect("read"),
        "stream rows followed by the older page"
    );
    assert!(paged.len() > LOG_ROWS);
}

#[test]
fn a_fill_of_this_run_is_shown_above_the_history_read_at_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("log.db");
    // An earlier run, then a short one: its rows must come before the
    // earlier run's, which are read once with the cursor at this run.
    let (first, _) = demo_run(&db, 70);
    // The restart continues the first run's day: without a shorter binary
    // interval, the first run's entries would hold this one's back for
    // minutes.
    let loaded = common::load("[risk.signal.binary]\nmin_interval_secs = 5\n");
    let (_, restored, store) = setup::open_store(Some(&db), &loaded, "test", SEED).expect("store");
    let run = store.run_id();
    assert!(run > first);

    let reader = omni_store::open_read_only(&db).expect("reader");
    let mut log = TradeLog::new(run);
    let history = read_log_page(&reader, Some(LogCursor { run, seq: 0 }), LOG_ROWS).expect("read");
    assert!(history.iter().all(|r| r.run == first));
    log.extend_older(history, LOG_ROWS);

    let (tx, rx) = mpsc::channel();
    let mut sink = FanOutSink::new(store, tx);
    let mut driver = setup::demo_driver(&loaded, SEED, restored).expect("demo");
    let start = driver.market().start();
    driver
        .command(Command::Rearm, &mut sink)
        .expect("re-arm after the kill of the first run");
    driver
        .command(
            Command::SetApprovalMode(omni_core::approval::config::ApprovalMode::All),
            &mut sink,
        )
        .expect("approve all");
    let mut shown = None;
    for s in 1..=60 {
        driver
            .run_until(start.plus(s * SECOND), usize::MAX, &mut sink)
            .expect("run");
        for batch in rx.try_iter() {
            log.apply(&loaded.catalog, &batch);
        }
        if let Some(fill) = log.iter().find(|r| r.kind == LogKind::Fill && r.run == run) {
            shown = Some(fill.clone());
            break;
        }
    }
    let fill = shown.expect("a fill of this run reached the log");
    assert!(
        fill.text.contains(" @ ") && fill.text.contains(" on "),
        "{}",
        fill.text
    );
    sink.close().expect("store closes");

    // The store agrees, row for row, history included.
    let stored = read_log(&reader, log.len()).expect("read");
    assert_eq!(rows(&log), stored);
    let first_old = log.iter().position(|r| r.run == first).expect("history");
    assert!(log.iter().take(first_old).all(|r| r.run == run));
    assert!(log.iter().skip(first_old).all(|r| r.run == first));
}
