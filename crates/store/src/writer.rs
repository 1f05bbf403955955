//! The single writer: audit records in, rows out, one transaction per batch.

use super::StoreError;
use crate::lock::DbLock;
use omni_core::domain::{
    Catalog, Opportunity, OpportunityId, OpportunityKind, OpportunityStatus, Timestamp,
};
use omni_core::engine::Audit;
use omni_core::risk::Verdict;
use rusqlite::{Connection, OptionalExtension, params};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// What the writer thread has done, for `omni-tui bench`: rows written per
/// second of the thread's own CPU time is the store's cost figure.
#[derive(Debug, Default)]
pub struct WriterStats {
    /// Rows inserted, updated or deleted (SQLite's total changes).
    pub rows: AtomicU64,
    /// Transactions committed.
    pub commits: AtomicU64,
    /// CPU time the writer thread used, in nanoseconds, read when it ends
    /// (0 where the system does not say: Linux's schedstat is read).
    pub cpu_ns: AtomicU64,
}

/// This thread's CPU time so far, from `/proc/thread-self/schedstat`.
fn thread_cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

/// Applies audit records to the database.
pub struct StoreWriter {
    conn: Connection,
    catalog: Catalog,
    run_id: i64,
    /// Order of records within the run: rows of different tables with
    /// the same time are listed in the order they happened.
    seq: i64,
    /// Scratch for one batch: the opportunities it closes, and those it
    /// opened already closed.
    closes: HashMap<OpportunityId, (OpportunityStatus, Timestamp)>,
    opened: HashSet<OpportunityId>,
    /// The database's write lock, released after `conn` is closed (fields
    /// drop in order).
    lock: Option<DbLock>,
}

fn kind_str(k: OpportunityKind) -> &'static str {
    k.as_str()
}

impl StoreWriter {
    /// A writer for a new run (recorded in `runs`).
    pub fn begin_run(
        conn: Connection,
        catalog: &Catalog,
        mode: &str,
        seed: u64,
        config_origin: &str,
    ) -> Result<Self, rusqlite::Error> {
        conn.execute(
            "INSERT INTO runs (mode, seed, config) VALUES (?1, ?2, ?3)",
            params![mode, seed as i64, config_origin],
        )?;
        let run_id = conn.last_insert_rowid();
        Ok(Self {
            conn,
            catalog: catalog.clone(),
            run_id,
            seq: 0,
            closes: HashMap::new(),
            opened: HashSet::new(),
            lock: None,
        })
    }

    /// Keeps the database's write lock ([`crate::lock::lock`]) until this
    /// writer, and with it the connection, is dropped.
    pub fn holding(mut self, lock: DbLock) -> Self {
        self.lock = Some(lock);
        self
    }

    /// Row id of this run in the `runs` table.
    pub fn run_id(&self) -> i64 {
        self.run_id
    }

    /// Rows inserted, updated or deleted through this writer's connection.
    pub fn total_changes(&self) -> u64 {
        self.conn.total_changes()
    }

    /// Applies a batch of audit lists in one transaction. An opportunity
    /// opened and closed within the batch is written once, with its final
    /// status: no reader can see the state in between, and most of the
    /// demo's opportunities live less than one batch.
    pub fn apply_batch<'a>(
        &mut self,
        batch: impl IntoIterator<Item = &'a [Audit]>,
    ) -> rusqlite::Result<()> {
        let lists: Vec<&[Audit]> = batch.into_iter().collect();
        let mut closes = std::mem::take(&mut self.closes);
        closes.clear();
        for a in lists.iter().flat_map(|l| l.iter()) {
            if let Audit::OpportunityClosed { id, status, ts, .. } = a {
                closes.insert(*id, (*status, *ts));
            }
        }
        let tx = self.conn.transaction()?;
        for a in lists.iter().flat_map(|l| l.iter()) {
            self.seq += 1;
            let closed_here = |id: &OpportunityId| closes.get(id).copied();
            match a {
                // Written with its final status when it was opened.
                Audit::OpportunityClosed { id, .. } if self.opened.remove(id) => {}
                Audit::OpportunityOpened(o) => {
                    let close = closed_here(&o.id);
                    if close.is_some() {
                        self.opened.insert(o.id);
                    }
                    insert_opportunity(&tx, &self.catalog, self.run_id, o, close)?;
                }
                _ => apply(&tx, &self.catalog, self.run_id, self.seq, a)?,
            }
        }
        self.opened.clear();
        self.closes = closes;
        tx.commit()
    }
}

fn json<T: serde::Serialize>(v: &T) -> String {
    // Serialising our own plain data types cannot fail.
    serde_json::to_string(v).unwrap_or_default()
}

/// An opportunity's row: PENDING, or already with the status and time it
/// closed at (`close`) when that is known.
fn insert_opportunity(
    tx: &rusqlite::Transaction<'_>,
    cat: &Catalog,
    run: i64,
    o: &Opportunity,
    close: Option<(OpportunityStatus, Timestamp)>,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT OR REPLACE INTO opportunities
         (id, run_id, kind, instrument, created_ts, expires_ts, score, detail_json, alpha, beta, status, closed_ts)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
        o.id.0 as i64,
        run,
        kind_str(o.kind()),
        cat.instrument(o.instrument).name.as_str(),
        o.created.nanos(),
        o.expires.nanos(),
        if o.score.is_finite() { o.score } else { 0.0 },
        json(&o.detail),
        o.belief.map(|b| b.alpha),
        o.belief.map(|b| b.beta),
        close.map_or("PENDING", |(s, _)| s.as_str()),
        close.map(|(_, ts)| ts.nanos()),
    ])?;
    Ok(())
}

fn apply(
    tx: &rusqlite::Transaction<'_>,
    cat: &Catalog,
    run: i64,
    seq: i64,
    a: &Audit,
) -> rusqlite::Result<()> {
    let inst = |i: omni_core::domain::InstrumentId| cat.instrument(i).name.as_str();
    let acct = |i: omni_core::domain::AccountId| cat.account(i).name.as_str();
    let venue = |v: omni_core::domain::VenueId| cat.venue(v).name.as_str();
    match a {
        Audit::OpportunityOpened(o) => insert_opportunity(tx, cat, run, o, None)?,
        Audit::OpportunityClosed { id, status, ts, .. } => {
            tx.prepare_cached(
                "UPDATE opportunities SET status = ?2, closed_ts = ?3 WHERE id = ?1",
            )?
            .execute(params![id.0 as i64, status.as_str(), ts.nanos()])?;
        }
        Audit::Decision(d) => {
            let (verdict, reason, detail) = match &d.verdict {
                Verdict::Approved => ("APPROVED", None, None),
                Verdict::Refused(r) => {
                    ("REFUSED", Some(r.reason.as_str()), Some(r.detail.as_str()))
                }
            };
            tx.prepare_cached(
                "INSERT INTO risk_decisions
                 (run_id, ts, opportunity_id, kind, instrument, account, verdict, reason, detail, qty, price, notional, alpha, beta, seq)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            )?
            .execute(params![
                run,
                d.ts.nanos(),
                d.opportunity.0 as i64,
                kind_str(d.kind),
                inst(d.instrument),
                acct(d.account),
                verdict,
                reason,
                detail,
                d.qty.to_string(),
                d.price.to_string(),
                d.notional.round_dp(8).to_string(),
                d.alpha,
                d.beta,
                seq,
            ])?;
        }
        Audit::OrderCreated(o) => {
            tx.prepare_cached(
                "INSERT INTO orders
                 (id, run_id, account, instrument, venue, side, type, tif, qty, limit_price, reference_price,
                  status, filled_qty, avg_fill_price, fees, purpose, exit_reason, opportunity_id,
                  position_contract, binary_json, created_ts, updated_ts)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)",
            )?
            .execute(params![
                o.id.0 as i64,
                run,
                acct(o.account),
                inst(o.instrument),
                venue(o.venue),
                o.side.as_str(),
                o.order_type.as_str(),
                if o.tif == omni_core::domain::TimeInForce::Ioc { "IOC" } else { "GTC" },
                o.qty.to_string(),
                o.limit_price.map(|p| p.to_string()),
                o.reference_price.to_string(),
                o.status.as_str(),
                o.filled_qty.to_string(),
                o.avg_fill_price.to_string(),
                o.fees.to_string(),
                o.purpose.as_str(),
                o.exit_reason.map(|r| r.as_str()),
                o.opportunity.map(|i| i.0 as i64),
                o.position_contract as i64,
                o.binary.as_ref().map(json),
                o.created.nanos(),
                o.updated.nanos(),
            ])?;
        }
        Audit::OrderChanged {
            id,
            status,
            filled_qty,
            avg_fill_price,
            fees,
            ts,
            note,
        } => {
            tx.prepare_cached(
                "UPDATE orders SET status = ?2, filled_qty = ?3, avg_fill_price = ?4, fees = ?5,
                 updated_ts = ?6, note = COALESCE(?7, note) WHERE id = ?1",
            )?
            .execute(params![
                id.0 as i64,
                status.as_str(),
                filled_qty.to_string(),
                avg_fill_price.round_dp(12).to_string(),
                fees.to_string(),
                ts.nanos(),
                note,
            ])?;
        }
        Audit::Fill {
            fill,
            account,
            instrument,
            venue: v,
            side,
        } => {
            tx.prepare_cached(
                "INSERT OR IGNORE INTO fills
                 (order_id, trade_id, account, instrument, venue, side, qty, price, fee, ts, seq)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?
            .execute(params![
                fill.order_id.0 as i64,
                fill.trade_id,
                acct(*account),
                inst(*instrument),
                venue(*v),
                side.as_str(),
                fill.qty.to_string(),
                fill.price.to_string(),
                fill.fee.to_string(),
                fill.ts.nanos(),
                seq,
            ])?;
        }
        Audit::TradeClosed(t) => {
            tx.prepare_cached(
                "INSERT INTO trades
                 (run_id, account, instrument, kind, side, qty, entry_price, exit_price, pnl, fees,
                  opened_ts, closed_ts, reason, opportunity_id, seq, direction, strike, settle_price)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                         ?18)",
            )?
            .execute(params![
                run,
                acct(t.account),
                inst(t.instrument),
                t.kind.map(kind_str),
                t.side.as_str(),
                t.qty.to_string(),
                t.entry_price.round_dp(12).to_string(),
                t.exit_price.round_dp(12).to_string(),
                t.pnl.round_dp(8).to_string(),
                t.fees.to_string(),
                t.opened.nanos(),
                t.closed.nanos(),
                t.reason.as_str(),
                t.opportunity.map(|i| i.0 as i64),
                seq,
                t.contract.map(|c| c.direction.as_str()),
                t.contract.map(|c| c.strike.to_string()),
                t.settle_price.map(|p| p.to_string()),
            ])?;
        }
        Audit::PositionChanged(p) => {
            if p.is_flat() {
                tx.prepare_cached(
                    "DELETE FROM positions WHERE account = ?1 AND instrument = ?2 AND contract = ?3",
                )?
                .execute(params![acct(p.key.account), inst(p.key.instrument), p.key.contract as i64])?;
            } else {
                tx.prepare_cached(
                    "INSERT INTO positions (account, instrument, contract, json) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT(account, instrument, contract) DO UPDATE SET json = excluded.json",
                )?
                .execute(params![
                    acct(p.key.account),
                    inst(p.key.instrument),
                    p.key.contract as i64,
                    json(p)
                ])?;
                // A binary contract is struck by the venue when it fills:
                // the order that bought it (the position's contract) keeps
                // the terms as struck, as the engine's order does.
                if let Some(c) = &p.binary
                    && p.key.contract != 0
                {
                    tx.prepare_cached("UPDATE orders SET binary_json = ?2 WHERE id = ?1")?
                        .execute(params![p.key.contract as i64, json(c)])?;
                }
            }
        }
        Audit::PositionRemoved(k) => {
            tx.prepare_cached(
                "DELETE FROM positions WHERE account = ?1 AND instrument = ?2 AND contract = ?3",
            )?
            .execute(params![
                acct(k.account),
                inst(k.instrument),
                k.contract as i64
            ])?;
        }
        Audit::AccountChanged {
            account,
            cash,
            risk,
            ts,
        } => {
            let info = cat.account(*account);
            tx.prepare_cached(
                "INSERT INTO accounts (name, type, profile, currency, cash, risk_json, updated_ts)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT(name) DO UPDATE SET type = excluded.type, profile = excluded.profile,
                   currency = excluded.currency, cash = excluded.cash, risk_json = excluded.risk_json,
                   updated_ts = excluded.updated_ts",
            )?
            .execute(params![
                info.name,
                info.kind.as_str(),
                info.profile.as_str(),
                info.currency,
                cash.to_string(),
                json(risk),
                ts.nanos(),
            ])?;
        }
        Audit::TradingStateChanged {
            from,
            to,
            kill_latched,
            cause,
            ts,
        } => {
            tx.prepare_cached(
                "INSERT INTO trading_state_changes (run_id, ts, from_state, to_state, kill_latched, cause, seq)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![run, ts.nanos(), from.as_str(), to.as_str(), *kill_latched as i64, cause, seq])?;
            let mut meta = tx.prepare_cached(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            )?;
            meta.execute(params!["trading_state", to.as_str()])?;
            meta.execute(params![
                "kill_latched",
                if *kill_latched {
                    "1"
                } else {
                    crate::load::KILL_OFF
                }
            ])?;
        }
        Audit::LearningChanged {
            instrument,
            kind,
            wins,
            losses,
        } => {
            tx.prepare_cached(
                "INSERT INTO learning (instrument, kind, wins, losses) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(instrument, kind) DO UPDATE SET wins = excluded.wins, losses = excluded.losses",
            )?
            .execute(params![inst(*instrument), kind_str(*kind), wins, losses])?;
        }
        Audit::Command {
            command,
            outcome,
            ts,
            origin,
        } => {
            tx.prepare_cached(
                "INSERT INTO commands (run_id, ts, command, argument, outcome, seq, origin) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                run,
                ts.nanos(),
                command.name(),
                command.argument(),
                outcome,
                seq,
                origin.as_str()
            ])?;
        }
        Audit::Alert { rule, text, ts } => {
            tx.prepare_cached(
                "INSERT INTO alerts (run_id, ts, rule, text, seq) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![run, ts.nanos(), rule, text, seq])?;
        }
    }
    Ok(())
}

enum Msg {
    Audits(Vec<Audit>),
    Flush(mpsc::Sender<()>),
}

/// The writer thread's handle. Audits are queued (bounded: a stalled disk
/// slows the engine instead of eating memory) and written in batches.
pub struct StoreHandle {
    tx: Option<SyncSender<Msg>>,
    stats: Arc<WriterStats>,
    join: Option<JoinHandle<Result<(), StoreError>>>,
    run_id: i64,
    /// Why the writer thread stopped, set before it drops its receiver:
    /// whoever then finds the channel closed reports this, not a bare
    /// "the writer thread exited".
    failure: Arc<Mutex<Option<String>>>,
}

impl StoreHandle {
    /// Starts the writer thread.
    pub fn spawn(writer: StoreWriter) -> Self {
        let (tx, rx) = mpsc::sync_channel(4096);
        let run_id = writer.run_id();
        let failure = Arc::new(Mutex::new(None));
        let failed = Arc::clone(&failure);
        let stats = Arc::new(WriterStats::default());
        let counted = Arc::clone(&stats);
        let join = std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || {
                let result = run_writer(writer, rx, &failed, &counted);
                let cpu = thread_cpu_ns().unwrap_or(0);
                counted.cpu_ns.store(cpu, Ordering::Relaxed);
                result
            })
            .ok();
        Self {
            tx: Some(tx),
            stats,
            join,
            run_id,
            failure,
        }
    }

    /// Why the writer stopped, once it has stopped on an error.
    fn failure(&self) -> Option<String> {
        // A poisoned lock still holds its data.
        self.failure
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The error of a writer that has stopped: its own when it had one.
    fn gone(&self, otherwise: &str) -> StoreError {
        StoreError::WriterGone(self.failure().unwrap_or_else(|| otherwise.to_string()))
    }

    /// The sender, while the writer has neither been closed nor failed
    /// (records queued behind a failed batch would never be written).
    fn sender(&self) -> Result<&SyncSender<Msg>, StoreError> {
        let tx = self
            .tx
            .as_ref()
            .ok_or_else(|| StoreError::WriterGone("closed".into()))?;
        match self.failure() {
            Some(reason) => Err(StoreError::WriterGone(reason)),
            None => Ok(tx),
        }
    }

    /// Row id of this run in the `runs` table.
    pub fn run_id(&self) -> i64 {
        self.run_id
    }

    /// The writer thread's counters (its CPU time is there once it has
    /// been closed).
    pub fn stats(&self) -> Arc<WriterStats> {
        Arc::clone(&self.stats)
    }

    /// Queues audit records for the writer thread; fails with `WriterGone`
    /// once it has stopped, carrying the error it stopped on (the
    /// database's name and SQLite's message).
    pub fn send(&self, audits: Vec<Audit>) -> Result<(), StoreError> {
        self.sender()?
            .send(Msg::Audits(audits))
            .map_err(|_| self.gone("the writer thread exited"))
    }

    /// Waits until everything queued so far is committed.
    pub fn flush(&self) -> Result<(), StoreError> {
        let (ack_tx, ack_rx) = mpsc::channel();
        self.sender()?
            .send(Msg::Flush(ack_tx))
            .map_err(|_| self.gone("the writer thread exited"))?;
        ack_rx
            .recv()
            .map_err(|_| self.gone("the writer failed before the flush"))
    }

    /// Flushes, stops the thread, and returns its first error if any.
    pub fn close(mut self) -> Result<(), StoreError> {
        let flushed = self.flush();
        self.tx = None;
        let joined = match self.join.take() {
            Some(j) => j
                .join()
                .map_err(|_| StoreError::WriterGone("the writer thread panicked".into()))?,
            None => Ok(()),
        };
        joined.and(flushed)
    }
}

impl Drop for StoreHandle {
    fn drop(&mut self) {
        self.tx = None;
        if let Some(j) = self.join.take() {
            let _ = j.join();
        }
    }
}

/// Applies batches until every sender is gone. On an error it records the
/// reason in `failed` before dropping anything a caller may be waiting on
/// (the receiver, a flush's acknowledgement), then returns it.
fn run_writer(
    mut w: StoreWriter,
    rx: Receiver<Msg>,
    failed: &Mutex<Option<String>>,
    stats: &WriterStats,
) -> Result<(), StoreError> {
    let path = w
        .conn
        .path()
        .map(str::to_string)
        .unwrap_or_else(|| ":memory:".into());
    let err = |source| StoreError::Sqlite {
        path: path.clone(),
        source,
    };
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < 1024 {
            match rx.try_recv() {
                Ok(m) => batch.push(m),
                Err(_) => break,
            }
        }
        let lists: Vec<&[Audit]> = batch
            .iter()
            .filter_map(|m| match m {
                Msg::Audits(a) => Some(a.as_slice()),
                Msg::Flush(_) => None,
            })
            .collect();
        let wrote = !lists.is_empty();
        if wrote && let Err(e) = w.apply_batch(lists) {
            let e = err(e);
            // A poisoned lock still holds its data: the reason is recorded.
            *failed.lock().unwrap_or_else(|p| p.into_inner()) = Some(e.to_string());
            return Err(e);
        }
        if wrote {
            stats.commits.fetch_add(1, Ordering::Relaxed);
            stats.rows.store(w.conn.total_changes(), Ordering::Relaxed);
        }
        for m in batch {
            if let Msg::Flush(ack) = m {
                let _ = ack.send(());
            }
        }
    }
    let _ = w
        .conn
        .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
        .optional();
    Ok(())
}

impl omni_core::engine::AuditSink for StoreHandle {
    fn record(
        &mut self,
        audits: &mut Vec<omni_core::engine::Audit>,
    ) -> Result<(), omni_core::engine::SinkError> {
        if audits.is_empty() {
            return Ok(());
        }
        self.send(std::mem::take(audits))
            .map_err(omni_core::engine::SinkError::new)
    }
}
