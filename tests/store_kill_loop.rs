//! A kill -9 loop over one database (issue 10 item 9): the binary is
//! started on the same file again and again, SIGKILLed after a short,
//! varying time, and after every kill the database must pass SQLite's own
//! checks, hold no duplicate fill, have lost no fill an earlier check saw
//! committed, never reuse an id, and keep every order's filled quantity
//! equal to the sum of its fills. At the end a run to completion resumes
//! from what the kills left.
//!
//! Run with `--nocapture` to see the counts.
// SIGKILL and its exit status are Unix's.
#![cfg(unix)]

use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::str::FromStr;
use std::time::{Duration, Instant};

/// Kills; each one is a restart on the same database.
const ITERATIONS: usize = 200;
/// Seed of the kill delays: a failure names it with the iteration, and the
/// same seed gives the same delays (the timing of the child does vary).
const SEED: u64 = 0x5EED_0010_0009_0001;
/// The loop must be over by then; the test fails rather than hangs.
const LOOP_DEADLINE: Duration = Duration::from_secs(120);
/// The final run to completion gets this on top.
const RESUME_DEADLINE: Duration = Duration::from_secs(60);
/// Delays are spread evenly over 0..=this: from "killed while the process
/// loads its configuration, opens, migrates or restores the database" to
/// "killed after some thousand events and a few dozen fills written".
const MAX_DELAY: Duration = Duration::from_millis(300);
/// A full `PRAGMA integrity_check` every this many kills (and at the end);
/// `quick_check` in between, which skips only checking that each index
/// matches its table.
const FULL_CHECK_EVERY: usize = 10;

/// xorshift64: deterministic delays without a dependency.
struct Xorshift(u64);

impl Xorshift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

/// A child that is SIGKILLed and reaped however the test ends (a failed
/// assertion unwinds through here), so no process outlives it or keeps
/// the database's lock.
struct KillOnDrop(Option<Child>);

impl KillOnDrop {
    fn child(&mut self) -> &mut Child {
        self.0.as_mut().expect("child still owned")
    }

    /// `Child::kill` is SIGKILL on Unix: nothing in the process runs after
    /// it, no destructor, no flush, no WAL checkpoint.
    fn kill_and_reap(mut self) -> ExitStatus {
        let mut c = self.0.take().expect("child still owned");
        let _ = c.kill();
        c.wait().expect("reaping the killed child")
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The binary in `dir`, with its own XDG directories, so no configuration
/// or database of the machine it runs on is read.
fn omni(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_omni-tui"));
    c.current_dir(dir)
        .env("XDG_CONFIG_HOME", dir.join("cfg"))
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("XDG_STATE_HOME", dir.join("state"));
    c
}

/// The defaults with what would stop trading part-way through the loop
/// lifted, so the later kills land on runs that still write fills:
///
/// * The loop runs a few hours of market time in one UTC day, and a
///   restart keeps the day's loss, trade count and loss streak (as it
///   must), so the daily loss or trade limit would stop every entry a third
///   of the way in.
/// * With every opportunity approved, the demo's binary bets lose on
///   average at the default 85 % payout; the binary account (which makes
///   nearly all the fills) drains in about 1,600 bets and every later stake
///   is refused as too small. A payout of 2 makes it grow instead.
/// * A shorter binary warm-up after each restart, and entries every 10 s
///   rather than every 5 minutes, on one instrument: most runs get past
///   the warm-up and commit fills (so kills land between one fill's batch
///   and the next), while the database stays small enough (a few MB) for
///   the checks after each kill to stay cheap in a debug build.
///
/// The cooldowns and limits themselves are the engine's business, tested
/// elsewhere; here they would only hide the store behind a quiet market.
///
/// Written as `./omni.toml` in the child's directory (the first place it
/// looks), owner-only so the binary does not warn about it.
fn write_config(dir: &Path) {
    let path = dir.join("omni.toml");
    std::fs::write(
        &path,
        "[risk]\n\
         daily_trade_limit = 100000\n\
         daily_loss_limit = 1000000\n\
         loss_streak_limit = 0\n\
         \n\
         [risk.prop_firm]\n\
         daily_loss_pct = 100\n\
         max_drawdown_pct = 100\n\
         \n\
         [risk.signal.binary]\n\
         min_confidence = 0.55\n\
         min_interval_secs = 10\n\
         \n\
         [scanners.binary]\n\
         min_samples = 5\n\
         payout = 2\n\
         instruments = [\"BTC/USDT\"]\n",
    )
    .expect("config");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
}

/// What identifies a fill: none of it may change once committed.
#[derive(Clone, Debug, PartialEq, Eq)]
struct FillRow {
    order_id: i64,
    trade_id: String,
    qty: String,
    price: String,
    ts: i64,
}

/// What identifies an order: its id is never given to another one.
#[derive(Clone, Debug, PartialEq, Eq)]
struct OrderKey {
    run_id: i64,
    account: String,
    instrument: String,
    side: String,
    qty: String,
    created_ts: i64,
}

/// What one check saw committed.
#[derive(Default)]
struct Seen {
    fills: BTreeMap<i64, FillRow>,
    orders: BTreeMap<i64, OrderKey>,
    /// The highest opportunity id, and (count, checksum) of the rows up to it.
    opportunities: (i64, (i64, i64)),
    runs: i64,
    max_run_id: i64,
    /// `PRAGMA user_version`: 0 until the first migration committed.
    version: i64,
}

fn one_column(conn: &rusqlite::Connection, sql: &str) -> Vec<String> {
    let mut stmt = conn.prepare(sql).expect(sql);
    stmt.query_map([], |r| r.get::<_, String>(0))
        .expect(sql)
        .collect::<Result<_, _>>()
        .expect(sql)
}

/// Every check on the database as the last kill left it, against what the
/// previous check saw. `ctx` names the seed and iteration for a failure.
fn check(db: &Path, full: bool, prev: &Seen, ctx: &str) -> Seen {
    if !db.exists() {
        // Killed before it created the file: nothing can have been lost.
        assert!(prev.version == 0, "{ctx}: the database file is gone");
        return Seen::default();
    }
    // Without CREATE: the test must not make a file the child did not.
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE)
            .unwrap_or_else(|e| panic!("{ctx}: open: {e}"));
    // Closing the last connection would otherwise checkpoint the WAL and
    // delete it: the next child must find the WAL its killed predecessor
    // left and recover from it itself, as after a real crash.
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
        true,
    )
    .unwrap_or_else(|e| panic!("{ctx}: db config: {e}"));

    let pragma = if full {
        "PRAGMA integrity_check"
    } else {
        "PRAGMA quick_check"
    };
    let verdict = one_column(&conn, pragma);
    assert_eq!(verdict, ["ok"], "{ctx}: {pragma}");
    // Each migration moves its tables and the version in one transaction:
    // a kill during the first leaves no table at all, never some of them.
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("user_version");
    assert!(
        version >= prev.version,
        "{ctx}: schema version went back to {version}"
    );
    if version == 0 {
        let tables = one_column(&conn, "SELECT name FROM sqlite_master");
        assert!(tables.is_empty(), "{ctx}: version 0 with tables {tables:?}");
        assert!(prev.fills.is_empty(), "{ctx}: the schema is gone");
        return Seen::default();
    }
    let fk: i64 = conn
        .query_row("SELECT COUNT(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .expect("foreign_key_check");
    assert_eq!(fk, 0, "{ctx}: foreign key violations");

    // Duplicates by the key the store deduplicates on (`trade_id` is
    // UNIQUE and fills are `INSERT OR IGNORE`d on it), and by (order,
    // trade id) in case that constraint is ever relaxed.
    let dup = one_column(
        &conn,
        "SELECT trade_id FROM fills GROUP BY trade_id HAVING COUNT(*) > 1",
    );
    assert!(dup.is_empty(), "{ctx}: duplicate trade ids {dup:?}");
    let dup = one_column(
        &conn,
        "SELECT order_id || ' ' || trade_id FROM fills GROUP BY order_id, trade_id HAVING COUNT(*) > 1",
    );
    assert!(dup.is_empty(), "{ctx}: duplicate (order, trade id) {dup:?}");

    let mut now = Seen::default();
    let mut stmt = conn
        .prepare("SELECT id, order_id, trade_id, qty, price, ts FROM fills ORDER BY id")
        .expect("fills");
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                FillRow {
                    order_id: r.get(1)?,
                    trade_id: r.get(2)?,
                    qty: r.get(3)?,
                    price: r.get(4)?,
                    ts: r.get(5)?,
                },
            ))
        })
        .expect("fills");
    for row in rows {
        let (id, f) = row.expect("fill row");
        now.fills.insert(id, f);
    }
    drop(stmt);

    // A committed fill never disappears or changes, and a new one never
    // takes an id an earlier one had (fills are never deleted, so a new id
    // is above every id seen before).
    for (id, f) in &prev.fills {
        assert_eq!(
            now.fills.get(id),
            Some(f),
            "{ctx}: fill {id} was committed before this kill and is now different or gone"
        );
    }
    let prev_max = prev.fills.keys().next_back().copied().unwrap_or(0);
    for id in now.fills.keys().filter(|id| !prev.fills.contains_key(id)) {
        assert!(
            *id > prev_max,
            "{ctx}: new fill {id} not above the previous max {prev_max}"
        );
    }

    // The paper broker numbers each order's fills `P<order>-1`, `-2`, …
    // and a fill is committed with its order's new total, so an order's
    // stored fills are exactly 1..=k: a gap is a fill lost from the middle.
    let mut numbers: BTreeMap<i64, Vec<u32>> = BTreeMap::new();
    for f in now.fills.values() {
        let n = f
            .trade_id
            .strip_prefix(&format!("P{}-", f.order_id))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{ctx}: trade id {} of order {}", f.trade_id, f.order_id));
        numbers.entry(f.order_id).or_default().push(n);
    }
    for (order, mut ns) in numbers {
        ns.sort_unstable();
        let expected: Vec<u32> = (1..=ns.len() as u32).collect();
        assert_eq!(ns, expected, "{ctx}: order {order}'s fills have a gap");
    }

    // Each order's total is the sum of its fills (Decimal from the stored
    // strings: exact), and every fill has its order.
    let mut stmt = conn
        .prepare(
            "SELECT id, run_id, account, instrument, side, qty, created_ts, filled_qty FROM orders",
        )
        .expect("orders");
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                OrderKey {
                    run_id: r.get(1)?,
                    account: r.get(2)?,
                    instrument: r.get(3)?,
                    side: r.get(4)?,
                    qty: r.get(5)?,
                    created_ts: r.get(6)?,
                },
                r.get::<_, String>(7)?,
            ))
        })
        .expect("orders");
    let mut totals: HashMap<i64, Decimal> = HashMap::new();
    for row in rows {
        let (id, key, filled) = row.expect("order row");
        totals.insert(id, Decimal::from_str(&filled).expect("filled_qty"));
        now.orders.insert(id, key);
    }
    drop(stmt);
    let mut sums: HashMap<i64, Decimal> = HashMap::new();
    for (id, f) in &now.fills {
        assert!(
            totals.contains_key(&f.order_id),
            "{ctx}: fill {id} of missing order {}",
            f.order_id
        );
        *sums.entry(f.order_id).or_default() += Decimal::from_str(&f.qty).expect("fill qty");
    }
    for (id, total) in &totals {
        let sum = sums.get(id).copied().unwrap_or_default();
        assert_eq!(*total, sum, "{ctx}: order {id}'s filled_qty vs its fills");
    }
    for (id, key) in &prev.orders {
        assert_eq!(
            now.orders.get(id),
            Some(key),
            "{ctx}: committed order {id} changed identity or vanished"
        );
    }

    // Opportunities are written with `INSERT OR REPLACE`, so a reused id
    // would overwrite one silently. There are thousands of them: rather
    // than read them all, one scan compares a checksum of the rows the last
    // check saw (ids up to its max), which a replaced row (another
    // created_ts, kind or instrument) changes, and takes the new one.
    let (old, max_opportunity, all): ((i64, i64), i64, (i64, i64)) = conn
        .query_row(
            "SELECT COUNT(*) FILTER (WHERE id <= ?1), COALESCE(SUM(h) FILTER (WHERE id <= ?1), 0),
                    COALESCE(MAX(id), 0), COUNT(*), COALESCE(SUM(h), 0)
             FROM (SELECT id, (id * 1000003 + created_ts % 1000000007
                               + length(kind) * 7919 + length(instrument)) % 1000000007 AS h
                   FROM opportunities)",
            [prev.opportunities.0],
            |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?, (r.get(3)?, r.get(4)?))),
        )
        .expect("opportunities");
    assert_eq!(
        old, prev.opportunities.1,
        "{ctx}: a committed opportunity was overwritten or vanished"
    );
    now.opportunities = (max_opportunity, all);

    let (runs, max_run): (i64, i64) = conn
        .query_row("SELECT COUNT(*), COALESCE(MAX(id), 0) FROM runs", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("runs");
    assert!(
        runs >= prev.runs && max_run >= prev.max_run_id,
        "{ctx}: runs went back: {runs} (max id {max_run}) after {} (max id {})",
        prev.runs,
        prev.max_run_id
    );
    now.runs = runs;
    now.max_run_id = max_run;
    now.version = version;
    now
}

#[test]
fn two_hundred_sigkills_lose_no_fill_and_a_clean_run_resumes() {
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("loop.db");
    let stderr_path = dir.path().join("child.stderr");
    write_config(dir.path());
    let mut rng = Xorshift(SEED);
    let mut seen = Seen::default();

    // How each kill landed, judged from what it left behind.
    let mut before_run = 0usize; // no new `runs` row: load, lock, open, migrate, restore
    let mut running_no_fill = 0usize; // a run started, no new fill committed
    let mut with_fills = 0usize; // new fills committed before the kill
    let mut late_with_fills = 0usize; // the same over the last half
    let mut max_fills_one_run = 0usize;
    let mut check_time = Duration::ZERO;

    for i in 0..ITERATIONS {
        assert!(
            started.elapsed() < LOOP_DEADLINE,
            "the kill loop ran out of time after {i} of {ITERATIONS} kills ({:?}): \
             the machine is too slow or a child hangs",
            started.elapsed()
        );
        // Uniform over 0..=MAX_DELAY in whole milliseconds.
        let delay = Duration::from_millis(rng.next() % (MAX_DELAY.as_millis() as u64 + 1));
        let ctx = format!("seed {SEED:#x}, iteration {i}, delay {delay:?}");

        let mut child = KillOnDrop(Some(
            omni(dir.path())
                .args([
                    "headless",
                    "--approve",
                    "all",
                    "--events",
                    "1000000000",
                    "--db",
                ])
                .arg(&db)
                .stdout(Stdio::null())
                .stderr(File::create(&stderr_path).expect("stderr file"))
                .spawn()
                .expect("spawn"),
        ));
        std::thread::sleep(delay);
        // With a billion events to go it never ends by itself: if it has,
        // it failed (a refused database, a restore error, a dead writer).
        if let Some(status) = child.child().try_wait().expect("try_wait") {
            panic!(
                "{ctx}: the run exited by itself ({status}) before the kill:\n{}",
                std::fs::read_to_string(&stderr_path).unwrap_or_default()
            );
        }
        // Killed by our SIGKILL, not exited on its own just before it.
        let status = child.kill_and_reap();
        assert_eq!(
            status.signal(),
            Some(9),
            "{ctx}: the run ended by itself ({status}):\n{}",
            std::fs::read_to_string(&stderr_path).unwrap_or_default()
        );

        let full = (i + 1) % FULL_CHECK_EVERY == 0;
        let t = Instant::now();
        let now = check(&db, full, &seen, &ctx);
        check_time += t.elapsed();
        let new_fills = now.fills.len() - seen.fills.len();
        if now.max_run_id == seen.max_run_id {
            before_run += 1;
        } else if new_fills == 0 {
            running_no_fill += 1;
        } else {
            with_fills += 1;
            late_with_fills += usize::from(i >= ITERATIONS / 2);
        }
        max_fills_one_run = max_fills_one_run.max(new_fills);
        seen = now;
    }
    let loop_time = started.elapsed();

    // Start-up must not dominate, and fills must keep coming to the end
    // (a kill switch or halt that latched across restarts would stop them):
    // otherwise the checks above would pass on a database nothing writes.
    eprintln!(
        "kill loop: {ITERATIONS} kills in {loop_time:.1?} (seed {SEED:#x}): \
         {before_run} before the run row was committed (start-up), \
         {running_no_fill} after it without a new fill, \
         {with_fills} mid-run with new fills ({late_with_fills} of them in the second half; \
         at most {max_fills_one_run} in one run); \
         {} runs, {} orders, {} fills, {} opportunities committed; \
         {check_time:.1?} of the time in the checks, database {} KiB",
        seen.runs,
        seen.orders.len(),
        seen.fills.len(),
        seen.opportunities.1.0,
        std::fs::metadata(&db).map_or(0, |m| m.len() / 1024),
    );
    // Measured: about 120 of 200 runs commit fills, 55 of them in the
    // second half, 1,500 fills in all; the bounds leave room for a slower
    // machine, whose longer start-up leaves less of each run for trading.
    assert!(
        with_fills >= ITERATIONS / 5,
        "only {with_fills} of {ITERATIONS} runs committed a fill before their kill"
    );
    assert!(
        late_with_fills >= ITERATIONS / 10,
        "only {late_with_fills} runs in the second half committed a fill: trading stopped"
    );
    assert!(
        seen.fills.len() >= 300,
        "only {} fills accumulated over {ITERATIONS} kills",
        seen.fills.len()
    );
    assert!(
        before_run > 0,
        "no kill landed in start-up: the delays no longer cover it"
    );

    // A clean resume: a run to completion on what the kills left.
    let out_path = dir.path().join("resume.json");
    let resume_started = Instant::now();
    let mut child = KillOnDrop(Some(
        omni(dir.path())
            .args(["headless", "--events", "2000", "--json", "--db"])
            .arg(&db)
            .stdout(File::create(&out_path).expect("stdout file"))
            .stderr(File::create(&stderr_path).expect("stderr file"))
            .spawn()
            .expect("spawn resume"),
    ));
    let status = loop {
        if let Some(s) = child.child().try_wait().expect("try_wait") {
            break s;
        }
        assert!(
            resume_started.elapsed() < RESUME_DEADLINE,
            "the resumed run did not finish within {RESUME_DEADLINE:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    drop(child);
    assert!(
        status.success(),
        "the resumed run failed ({status}):\n{}",
        std::fs::read_to_string(&stderr_path).unwrap_or_default()
    );
    let text = std::fs::read_to_string(&out_path).expect("resume output");
    let summary: serde_json::Value = serde_json::from_str(text.trim())
        .unwrap_or_else(|e| panic!("the resumed run's JSON: {e}: {text}"));
    assert_eq!(summary["events"], 2000, "{summary}");
    assert_eq!(summary["kill_latched"], false, "{summary}");

    let after = check(&db, true, &seen, "after the resumed run");
    // What the resumed engine ended with is what the store holds: cash
    // (the summary rounds it to cents) and open positions.
    let conn = rusqlite::Connection::open(&db).expect("open");
    let mut compared = 0;
    for a in summary["accounts"].as_array().expect("accounts") {
        let name = a["name"].as_str().expect("name");
        let stored: Option<String> = conn
            .query_row("SELECT cash FROM accounts WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .ok();
        // An account that never traded has no row: it kept its balance.
        if let Some(stored) = stored {
            let shown = Decimal::from_str(a["cash"].as_str().expect("cash")).expect("cash");
            let stored = Decimal::from_str(&stored).expect("stored cash");
            assert_eq!(stored.round_dp(2), shown, "{name}'s cash after the resume");
            compared += 1;
        }
    }
    assert!(compared > 0, "no account was stored: {summary}");
    let positions: i64 = conn
        .query_row("SELECT COUNT(*) FROM positions", [], |r| r.get(0))
        .expect("positions");
    assert_eq!(
        summary["open_positions"], positions,
        "open positions after the resume"
    );
    drop(conn);
    assert_eq!(
        after.max_run_id,
        seen.max_run_id + 1,
        "the resumed run was recorded"
    );
    eprintln!(
        "kill loop: resumed run ok in {:.1?} ({} state, {} fills now); total {:.1?}",
        resume_started.elapsed(),
        summary["trading_state"],
        after.fills.len(),
        started.elapsed()
    );
}
