//! The store writes the same tables however the writer thread happens to
//! batch the engine's records: an opportunity opened and closed within one
//! batch is written once with its final status, and every table reads the
//! same as when each event's records are committed on their own.

mod common;

use omni_core::approval::config::ApprovalMode;
use omni_core::engine::{Audit, AuditSink, Command, RestoredState, SinkError};
use omni_store::StoreWriter;
use rusqlite::types::ValueRef;
use std::path::Path;

const SEED: u64 = 3;

/// Keeps each event's records, as the driver hands them over.
#[derive(Default)]
struct Collect(Vec<Vec<Audit>>);

impl AuditSink for Collect {
    fn record(&mut self, audits: &mut Vec<Audit>) -> Result<(), SinkError> {
        if !audits.is_empty() {
            self.0.push(std::mem::take(audits));
        }
        Ok(())
    }
}

/// Every row of the tables a reader uses, in a fixed order, as text.
fn tables(db: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(db).expect("open");
    let mut out = Vec::new();
    for (table, order) in [
        ("opportunities", "id"),
        ("risk_decisions", "seq"),
        ("orders", "id"),
        ("fills", "rowid"),
        ("trades", "rowid"),
    ] {
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM {table} ORDER BY {order}"))
            .expect("select");
        let n = stmt.column_count();
        let rows = stmt
            .query_map([], |r| {
                let cells: Vec<String> = (0..n)
                    .map(|i| match r.get_ref(i).expect("cell") {
                        ValueRef::Null => "NULL".to_string(),
                        ValueRef::Integer(v) => v.to_string(),
                        ValueRef::Real(v) => v.to_string(),
                        ValueRef::Text(t) | ValueRef::Blob(t) => {
                            String::from_utf8_lossy(t).into_owned()
                        }
                    })
                    .collect();
                Ok(format!("{table}: {}", cells.join(" | ")))
            })
            .expect("query");
        out.extend(rows.map(|r| r.expect("row")));
    }
    out
}

fn write(db: &Path, loaded: &omni_tui::config::LoadedConfig, batches: &[Vec<&[Audit]>]) -> u64 {
    let conn = omni_store::open(db).expect("open");
    let mut w = StoreWriter::begin_run(conn, &loaded.catalog, "test", SEED, "test").expect("run");
    for b in batches {
        w.apply_batch(b.iter().copied()).expect("write");
    }
    w.total_changes()
}

#[test]
fn an_opportunity_opened_and_closed_in_one_batch_is_one_row_and_the_tables_match() {
    let loaded = common::load("");
    let mut driver =
        omni_tui::setup::demo_driver(&loaded, SEED, RestoredState::default()).expect("demo");
    let mut sink = Collect::default();
    // Nobody approves at first (opportunities vanish and expire, events
    // after they opened), then everything is approved (orders and fills).
    while driver.market_events() < 40_000 && driver.step(&mut sink).expect("step") {}
    driver
        .command(Command::SetApprovalMode(ApprovalMode::All), &mut sink)
        .expect("approve all");
    while driver.market_events() < 80_000 && driver.step(&mut sink).expect("step") {}
    let lists: Vec<&[Audit]> = sink.0.iter().map(Vec::as_slice).collect();
    let opened = lists
        .iter()
        .flat_map(|l| l.iter())
        .filter(|a| matches!(a, Audit::OpportunityOpened(_)))
        .count();
    assert!(opened > 1_000, "the demo lists opportunities: {opened}");
    assert!(
        lists
            .iter()
            .flat_map(|l| l.iter())
            .any(|a| matches!(a, Audit::Fill { .. })),
        "and trades"
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let one_by_one: Vec<Vec<&[Audit]>> = lists.iter().map(|l| vec![*l]).collect();
    let (a, b, c) = (
        dir.path().join("each.db"),
        dir.path().join("hundreds.db"),
        dir.path().join("one.db"),
    );
    let rows_each = write(&a, &loaded, &one_by_one);
    let hundreds: Vec<Vec<&[Audit]>> = lists.chunks(300).map(<[_]>::to_vec).collect();
    let rows_hundreds = write(&b, &loaded, &hundreds);
    let rows_one = write(&c, &loaded, std::slice::from_ref(&lists));

    let each = tables(&a);
    // Opportunities closed every way, and orders and fills.
    for status in ["APPROVED", "VANISHED", "EXPIRED"] {
        let word = format!("| {status} |");
        assert!(
            each.iter()
                .any(|r| r.starts_with("opportunities") && r.contains(&word)),
            "{status}"
        );
    }
    assert!(each.iter().any(|r| r.starts_with("fills")));
    assert_eq!(tables(&b), each, "batches of 300 events");
    assert_eq!(tables(&c), each, "one batch");
    // Each opportunity opened and closed within a batch saved its update.
    assert!(
        rows_hundreds < rows_each && rows_one < rows_hundreds,
        "rows written: {rows_each} one by one, {rows_hundreds} by 300s, {rows_one} at once"
    );
}
