//! The cockpit's trade log comes from the engine's audit stream: the
//! fan-out sink hands each batch to the store and the trade log's records
//! to the UI, and the rows built from them are the rows the store gives
//! for the same run, to the character and in the same order.

mod common;

use omni_core::domain::time::SECOND;
use omni_core::domain::{Direction, ExitReason};
use omni_core::engine::{Audit, Command};
use omni_core::portfolio::ClosedTrade;
use omni_tui::app::log::{
    LOG_ROWS, LogCursor, LogEvent, LogKind, LogRow, TradeLog, committed, read_log, read_log_page,
};
use omni_tui::engine_thread::fanout::FanOutSink;
use omni_tui::metrics::EngineMetrics;
use omni_tui::setup;
use rust_decimal::Decimal;
use std::path::Path;
use std::sync::{Arc, mpsc};

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
    // The monitor's alert about it goes down the same stream.
    let mut monitor = loaded
        .config
        .monitor(Arc::new(EngineMetrics::default()), "DEMO")
        .expect("monitor");
    let now = driver.engine.clock();
    let raised = monitor
        .check(&mut driver, &[], now, &mut sink)
        .expect("check");
    assert_eq!(raised.len(), 1, "{raised:?}");
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
    for k in LogKind::ALL {
        assert!(kinds.contains(&k), "no {k:?} row from the stream");
    }
    assert!(log.len() > LOG_ROWS, "the run makes more rows than a page");

    // Every row, binary contracts included, is worded from the stream
    // alone, as the store words it.
    let reader = omni_store::open_read_only(&db).expect("reader");
    let stored = read_log(&reader, log.len()).expect("read");
    assert_eq!(rows(&log), stored);

    // One vocabulary: operator words, contracts as bets with a stake.
    let texts: Vec<String> = log
        .iter()
        .map(|r| format!("{} {}", r.kind.as_str(), r.text))
        .collect();
    let has = |s: &str| texts.iter().any(|t| t.contains(s));
    assert!(has("OPERATOR approval mode ALL"), "{texts:#?}");
    assert!(has("OPERATOR pause → REDUCING"), "{texts:#?}");
    assert!(has("OPERATOR kill switch → HALTED"), "{texts:#?}");
    for t in &texts {
        assert!(
            !t.contains("set_approval_mode") && !t.contains("kill_switch"),
            "{t}"
        );
    }
    let binary: Vec<&String> = texts
        .iter()
        .filter(|t| (t.starts_with("FILL") || t.starts_with("TRADE")) && t.contains(" binary "))
        .collect();
    assert!(!binary.is_empty(), "{texts:#?}");
    for t in &binary {
        assert!(
            (t.contains(" UP ") || t.contains(" DOWN ")) && t.contains(" stake "),
            "{t}"
        );
        assert!(!t.contains(" BUY ") && !t.contains(" long "), "{t}");
    }
    assert!(
        binary
            .iter()
            .any(|t| t.contains(" @ strike ") && t.contains(" for 60s on ")),
        "{binary:#?}"
    );
    // A closed contract names its strike: against the settle price, or
    // with the stake when it was sold back before expiry.
    for t in binary.iter().filter(|t| t.starts_with("TRADE")) {
        assert!(
            t.contains(": settled ") && t.contains(" vs strike ")
                || t.contains(" @ strike ") && t.contains(": sold back @ "),
            "{t}"
        );
    }
    // Money names the account's currency.
    assert!(has(" USDT (") || has(" USD ("), "{texts:#?}");

    // Rows let go come back from the store, page by page, exactly.
    let committed = committed(&reader).expect("committed");
    let mut trimmed = log.clone();
    for k in LogKind::ALL {
        trimmed.let_go(k, 20, committed);
    }
    assert!(trimmed.len() < log.len());
    for k in LogKind::ALL {
        while trimmed.held(k) < log.held(k) {
            let n = trimmed.page_older(&reader, k, 50).expect("page");
            assert!(n > 0, "{k:?}: the store ran out before the stream's rows");
        }
    }
    assert_eq!(rows(&trimmed), rows(&log));
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
    assert!(fill.text.contains(" on "), "{}", fill.text);
    sink.close().expect("store closes");

    // The store agrees, row for row, history included.
    let stored = read_log(&reader, log.len()).expect("read");
    assert_eq!(rows(&log), stored);
    let first_old = log.iter().position(|r| r.run == first).expect("history");
    assert!(log.iter().take(first_old).all(|r| r.run == run));
    assert!(log.iter().skip(first_old).all(|r| r.run == first));
}

/// `12.5` for `12.50`: a decimal as the log rounds it (six places).
fn short(d: Decimal) -> String {
    d.round_dp(6).normalize().to_string()
}

#[test]
fn a_binary_round_trip_reads_the_same_streamed_and_stored() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("log.db");
    let (run, events) = demo_run(&db, 240);
    let log = stream_log(run, &events);
    let reader = omni_store::open_read_only(&db).expect("reader");

    // Contracts that settled at expiry, as the engine closed them.
    let settled: Vec<(i64, ClosedTrade)> = events
        .iter()
        .flatten()
        .filter_map(|e| match &e.audit {
            Audit::TradeClosed(t) if t.reason == ExitReason::Expiry => Some((e.seq, t.clone())),
            _ => None,
        })
        .collect();
    assert!(
        !settled.is_empty(),
        "the demo's binary account settled a contract"
    );
    for (seq, t) in &settled {
        let terms = t.contract.expect("a settled contract carries its terms");
        let settle = t.settle_price.expect("and the price it settled at");
        let stake = t.qty.normalize();
        let row = log
            .iter()
            .find(|r| r.kind == LogKind::Trade && r.seq == *seq)
            .expect("the settlement's row");
        // Direction, stake, the settle price against the strike.
        let head = format!("binary {} ", terms.direction.as_str(),);
        let says = format!(
            " stake {stake} USD: settled {} vs strike {}, ",
            short(settle),
            short(terms.strike)
        );
        assert!(
            row.text.starts_with(&head)
                && row.text.contains(&says)
                && row.text.ends_with("(expiry)"),
            "{} lacks {head}…{says}",
            row.text
        );
        let won = match terms.direction {
            Direction::Up => settle > terms.strike,
            Direction::Down => settle < terms.strike,
            Direction::Neutral => false,
        };
        let outcome = if settle == terms.strike {
            "tie, stake back"
        } else if won {
            "won"
        } else {
            "lost"
        };
        assert!(
            row.text.contains(&format!(", {outcome}, P&L ")),
            "{}",
            row.text
        );

        // The fill that bought it: the same bet, struck at the same strike.
        let fill = log
            .iter()
            .filter(|r| r.kind == LogKind::Fill && r.seq < *seq)
            .find(|r| {
                r.text.starts_with(&head)
                    && r.text.contains(&format!(
                        " stake {stake} USD @ strike {} for ",
                        short(terms.strike)
                    ))
            })
            .unwrap_or_else(|| panic!("no fill bought {}", row.text));
        assert!(fill.text.ends_with("entry)"), "{}", fill.text);

        // The store words both exactly as the stream did.
        for r in [row, fill] {
            let stored = read_log_page(
                &reader,
                Some(LogCursor {
                    run,
                    seq: r.seq + 1,
                }),
                1,
            )
            .expect("read");
            assert_eq!(stored, vec![r.clone()]);
        }
    }
    // And the stream's rows are the store's, every one.
    assert_eq!(rows(&log), read_log(&reader, log.len()).expect("read"));
}

#[test]
fn a_commands_verdicts_are_the_decisions_of_its_own_batch() {
    let dir = tempfile::tempdir().expect("tempdir");
    let loaded = common::load("");
    let (_, restored, store) =
        setup::open_store(Some(&dir.path().join("v.db")), &loaded, "test", SEED).expect("store");
    let (tx, _rx) = mpsc::channel();
    let mut sink = FanOutSink::new(store, tx).with_audit_log(loaded.catalog.clone());
    let mut driver = setup::demo_driver(&loaded, SEED, restored).expect("demo");
    let start = driver.market().start();
    // A command nobody takes the outcome of, then the auto-free flow of
    // approve-all decisions: none of them is the command's.
    driver
        .command(
            Command::SetApprovalMode(omni_core::approval::config::ApprovalMode::All),
            &mut sink,
        )
        .expect("approve all");
    driver
        .run_until(start.plus(120 * SECOND), usize::MAX, &mut sink)
        .expect("run");
    let reply = sink.take_outcome().expect("the command's outcome");
    assert_eq!(reply.outcome, "approval mode ALL");
    assert!(reply.verdicts.is_empty(), "{:?}", reply.verdicts.len());
    sink.close().expect("close");
}
