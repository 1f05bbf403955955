//! `omni-tui trades` on a real database written by a headless run: the
//! table and its totals, the "N of M" count, `--csv`, `--account`,
//! `--since`, their errors, and a reader that closes the pipe early.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

/// Market events of the headless run: about fifty trades on all five demo
/// accounts, in both currencies (USD and USDT), in about a second of a
/// debug build.
const EVENTS: &str = "100000";

/// The directory holding `trades.db`, written once for every test here.
fn fixture() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("trades_cmd");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("fixture dir");
        let out = omni(
            &dir,
            &[
                "headless",
                "--approve",
                "all",
                "--events",
                EVENTS,
                "--db",
                "trades.db",
            ],
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
        dir
    })
}

fn omni(dir: &Path, args: &[&str]) -> Output {
    command(dir, args).output().expect("runs")
}

fn command(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_omni-tui"));
    c.current_dir(dir)
        .env("XDG_CONFIG_HOME", dir.join("cfg"))
        .env("XDG_DATA_HOME", dir.join("data"))
        .args(args);
    c
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `omni-tui trades --db trades.db <args>`: its stdout, after checking it
/// succeeded.
fn trades(args: &[&str]) -> String {
    let mut all = vec!["trades", "--db", "trades.db"];
    all.extend_from_slice(args);
    let out = omni(fixture(), &all);
    assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
    text(&out.stdout)
}

/// A trade as the database holds it.
#[derive(Debug)]
struct Stored {
    id: i64,
    account: String,
    currency: String,
    pnl: String,
    fees: String,
    closed_ts: i64,
    /// UP or DOWN, the strike and the settle price of a contract, as text.
    direction: Option<String>,
    strike: Option<String>,
    settle_price: Option<String>,
}

fn stored() -> Vec<Stored> {
    let conn = rusqlite::Connection::open_with_flags(
        fixture().join("trades.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("db");
    let mut stmt = conn
        .prepare(
            "SELECT t.id, t.account, a.currency, t.pnl, t.fees, t.closed_ts,
                    t.direction, t.strike, t.settle_price
             FROM trades t JOIN accounts a ON a.name = t.account ORDER BY t.id",
        )
        .expect("query");
    stmt.query_map([], |r| {
        Ok(Stored {
            id: r.get(0)?,
            account: r.get(1)?,
            currency: r.get(2)?,
            pnl: r.get(3)?,
            fees: r.get(4)?,
            closed_ts: r.get(5)?,
            direction: r.get(6)?,
            strike: r.get(7)?,
            settle_price: r.get(8)?,
        })
    })
    .expect("rows")
    .collect::<Result<_, _>>()
    .expect("rows")
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap_or_else(|e| panic!("`{s}`: {e}"))
}

/// One trade line of the table, by its columns.
#[derive(Debug)]
struct Line {
    id: i64,
    account: String,
    kind: String,
    side: String,
    exit: Decimal,
    /// The underlying's price a contract settled at; `None` shown as `-`.
    settle: Option<Decimal>,
    reason: String,
    fees: Decimal,
    pnl: Decimal,
}

/// One line of the totals: what it is about, and its numbers.
#[derive(Debug, PartialEq)]
struct Total {
    label: String,
    currency: String,
    trades: usize,
    wins: usize,
    losses: usize,
    fees: Decimal,
    pnl: Decimal,
}

/// The table, read back: its trade lines, its totals' heading and lines,
/// and the count at the end.
struct Table {
    lines: Vec<Line>,
    totals_heading: String,
    totals: Vec<Total>,
    count: String,
}

fn read_table(out: &str) -> Table {
    let blocks: Vec<&str> = out.trim_end().split("\n\n").collect();
    assert_eq!(blocks.len(), 3, "trades, totals, count:\n{out}");
    let mut trades = blocks[0].lines();
    let header: Vec<&str> = trades.next().expect("header").split_whitespace().collect();
    assert_eq!(
        header,
        [
            "id",
            "account",
            "instrument",
            "kind",
            "side",
            "qty",
            "entry",
            "exit",
            "settle",
            "fees",
            "pnl",
            "opened",
            "(UTC)",
            "closed",
            "(UTC)",
            "reason"
        ],
        "{out}"
    );
    let lines = trades
        .map(|l| {
            // The two times are a date and a time each.
            let c: Vec<&str> = l.split_whitespace().collect();
            assert_eq!(c.len(), 16, "{l}");
            Line {
                id: c[0].parse().expect("id"),
                account: c[1].to_string(),
                kind: c[3].to_string(),
                side: c[4].to_string(),
                exit: dec(c[7]),
                settle: (c[8] != "-").then(|| dec(c[8])),
                reason: c[15].to_string(),
                fees: dec(c[9]),
                pnl: dec(c[10]),
            }
        })
        .collect();
    let mut totals = blocks[1].lines();
    let totals_heading = totals.next().expect("totals heading").to_string();
    let totals = totals
        .map(|l| {
            let c: Vec<&str> = l.split_whitespace().collect();
            let n = c.len();
            assert!(n >= 7, "{l}");
            Total {
                label: c[..n - 6].join(" "),
                currency: c[n - 6].to_string(),
                trades: c[n - 5].parse().expect("trades"),
                wins: c[n - 4].parse().expect("wins"),
                losses: c[n - 3].parse().expect("losses"),
                fees: dec(c[n - 2]),
                pnl: dec(c[n - 1]),
            }
        })
        .collect();
    Table {
        lines,
        totals_heading,
        totals,
        count: blocks[2].to_string(),
    }
}

/// The totals a list of trade lines should show, per account.
fn expected_totals(lines: &[Line], currency: &BTreeMap<String, String>) -> Vec<Total> {
    let mut by: BTreeMap<&str, Total> = BTreeMap::new();
    for l in lines {
        let t = by.entry(&l.account).or_insert_with(|| Total {
            label: l.account.clone(),
            currency: currency[&l.account].clone(),
            trades: 0,
            wins: 0,
            losses: 0,
            fees: Decimal::ZERO,
            pnl: Decimal::ZERO,
        });
        t.trades += 1;
        t.wins += usize::from(l.pnl > Decimal::ZERO);
        t.losses += usize::from(l.pnl < Decimal::ZERO);
        t.fees += l.fees;
        t.pnl += l.pnl;
    }
    by.into_values().collect()
}

fn currencies() -> BTreeMap<String, String> {
    stored()
        .into_iter()
        .map(|s| (s.account, s.currency))
        .collect()
}

#[test]
fn the_table_lists_every_trade_and_totals_per_account_and_currency_add_up() {
    let db = stored();
    let currency = currencies();
    assert!(db.len() >= 20, "the fixture closes a few dozen trades");
    assert!(
        currency.values().collect::<BTreeSet<_>>().len() >= 2,
        "accounts in more than one currency: {currency:?}"
    );
    let out = trades(&[]);
    let t = read_table(&out);
    assert_eq!(t.count, format!("{} trades", db.len()), "{out}");
    assert_eq!(t.lines.len(), db.len());
    for (l, s) in t.lines.iter().zip(&db) {
        assert_eq!((l.id, &l.account), (s.id, &s.account));
        // Exact: the table's fees and P&L are the stored decimals.
        assert_eq!((l.fees, l.pnl), (dec(&s.fees), dec(&s.pnl)), "{l:?}");
        // A binary contract is a bet UP or DOWN, as the Positions pane and
        // the trade log say it; a position is long or short.
        let sides: &[&str] = if l.kind == "binary" {
            &["UP", "DOWN"]
        } else {
            &["long", "short"]
        };
        assert!(sides.contains(&l.side.as_str()), "{l:?}");
        // A contract that settled at expiry shows the price it settled on
        // (rounded as prices are); anything else shows none.
        assert_eq!(
            l.settle,
            s.settle_price.as_deref().map(|p| dec(p).round_dp(6)),
            "{l:?}"
        );
        assert_eq!(
            l.settle.is_some(),
            l.kind == "binary" && l.reason == "expiry",
            "{l:?}"
        );
        if let (Some(settle), Some(strike)) = (&s.settle_price, &s.strike) {
            // The settle price against the strike is what won or lost.
            let (settle, strike) = (dec(settle), dec(strike));
            let won = if l.side == "UP" {
                settle > strike
            } else {
                settle < strike
            };
            if settle != strike {
                assert_eq!(won, l.exit > Decimal::ONE, "{l:?} {s:?}");
            }
        }
    }
    assert!(
        t.lines.iter().any(|l| l.settle.is_some()),
        "the fixture settles binary contracts: {out}"
    );
    assert!(t.totals_heading.starts_with("totals "), "{out}");

    let per_account = expected_totals(&t.lines, &currency);
    assert_eq!(t.totals[..per_account.len()], per_account[..], "{out}");
    // Then one line per currency that several accounts share, adding only
    // that currency's accounts.
    let rest = &t.totals[per_account.len()..];
    let mut shared = 0;
    for cur in currency.values().collect::<BTreeSet<_>>() {
        let of: Vec<&Total> = per_account.iter().filter(|a| &a.currency == cur).collect();
        if of.len() < 2 {
            continue;
        }
        shared += 1;
        let line = rest
            .iter()
            .find(|r| r.label == format!("all {cur} ({} accounts)", of.len()))
            .unwrap_or_else(|| panic!("no {cur} line:\n{out}"));
        assert_eq!(&line.currency, cur);
        assert_eq!(line.trades, of.iter().map(|a| a.trades).sum::<usize>());
        assert_eq!(line.wins, of.iter().map(|a| a.wins).sum::<usize>());
        assert_eq!(line.losses, of.iter().map(|a| a.losses).sum::<usize>());
        assert_eq!(line.fees, of.iter().map(|a| a.fees).sum::<Decimal>());
        assert_eq!(line.pnl, of.iter().map(|a| a.pnl).sum::<Decimal>());
    }
    assert!(shared > 0, "the demo has two USDT and three USD accounts");
    assert_eq!(rest.len(), shared, "no other totals: {out}");
}

#[test]
fn a_limit_shows_the_newest_and_says_how_many_of_how_many() {
    let db = stored();
    let out = trades(&["--limit", "10"]);
    let t = read_table(&out);
    assert_eq!(
        t.count,
        format!(
            "10 of {} trades (the newest; --limit N shows more)",
            db.len()
        ),
        "{out}"
    );
    let newest: Vec<i64> = db[db.len() - 10..].iter().map(|s| s.id).collect();
    assert_eq!(t.lines.iter().map(|l| l.id).collect::<Vec<_>>(), newest);
    assert_eq!(
        t.totals_heading.split("  ").next(),
        Some("totals of these 10")
    );
    let listed: usize = t
        .totals
        .iter()
        .filter(|r| !r.label.starts_with("all "))
        .map(|r| r.trades)
        .sum();
    assert_eq!(listed, 10, "the totals are of the lines shown: {out}");
}

/// RFC 4180 records: CRLF line ends, fields quoted when they hold a comma,
/// a quote or a line break.
fn parse_csv(s: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') => {
                assert_eq!(chars.next(), Some('\n'), "a bare CR");
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, '\n') => panic!("a line that does not end in CRLF"),
            (false, c) => field.push(c),
        }
    }
    assert!(
        field.is_empty() && record.is_empty(),
        "the last record ends in CRLF"
    );
    records
}

const HEADER: [&str; 17] = [
    "id",
    "account",
    "currency",
    "instrument",
    "kind",
    "side",
    "direction",
    "qty",
    "entry_price",
    "exit_price",
    "fees",
    "pnl",
    "opened",
    "closed",
    "reason",
    "strike",
    "settle_price",
];

#[test]
fn csv_is_a_header_and_one_exact_row_per_trade() {
    let db = stored();
    let out = trades(&["--csv"]);
    let records = parse_csv(&out);
    assert_eq!(records[0], HEADER);
    let rows = &records[1..];
    // No limit unless asked for, and no totals.
    assert_eq!(rows.len(), db.len());
    for (r, s) in rows.iter().zip(&db) {
        assert_eq!(r.len(), HEADER.len(), "{r:?}");
        assert_eq!(r[0], s.id.to_string());
        assert_eq!(r[1], s.account);
        assert_eq!(r[2], s.currency);
        assert!(["BUY", "SELL"].contains(&r[5].as_str()), "{r:?}");
        // The stored text, digit for digit.
        assert_eq!(
            (r[10].as_str(), r[11].as_str()),
            (s.fees.as_str(), s.pnl.as_str())
        );
        for n in &r[7..12] {
            dec(n);
            assert!(!n.contains(','), "{n}");
        }
        for t in &r[12..14] {
            assert!(t.ends_with('Z'), "UTC: {t}");
            DateTime::parse_from_rfc3339(t).unwrap_or_else(|e| panic!("{t}: {e}"));
        }
        let closed = DateTime::parse_from_rfc3339(&r[13]).expect("closed");
        assert_eq!(closed.timestamp_nanos_opt(), Some(s.closed_ts));
        // A contract's strike and settle price, exact; empty for a position.
        assert_eq!(
            (r[15].as_str(), r[16].as_str()),
            (
                s.strike.as_deref().unwrap_or(""),
                s.settle_price.as_deref().unwrap_or("")
            ),
            "{r:?}"
        );
        if let Some(d) = &s.direction {
            assert_eq!(&r[6], d, "{r:?}");
        }
    }
    assert!(
        rows.iter().any(|r| !r[16].is_empty()),
        "the fixture settles binary contracts"
    );
    let cut = omni(
        fixture(),
        &["trades", "--db", "trades.db", "--csv", "--limit", "3"],
    );
    assert!(cut.status.success());
    assert_eq!(parse_csv(&text(&cut.stdout)).len(), 1 + 3);
    assert!(
        text(&cut.stderr).contains(&format!("3 of {} trades", db.len())),
        "the cut is said on stderr: {}",
        text(&cut.stderr)
    );
}

#[test]
fn account_keeps_only_that_account_and_repeats() {
    let db = stored();
    let n = |a: &str| db.iter().filter(|s| s.account == a).count();
    let t = read_table(&trades(&["--account", "spot-a"]));
    assert!(n("spot-a") > 0);
    assert_eq!(t.lines.len(), n("spot-a"));
    assert!(t.lines.iter().all(|l| l.account == "spot-a"));
    assert_eq!(t.count, format!("{} trades", n("spot-a")));
    assert_eq!(t.totals.len(), 1);
    assert_eq!(t.totals[0].label, "spot-a");

    let csv = parse_csv(&trades(&[
        "--csv",
        "--account",
        "spot-a",
        "--account",
        "binary",
    ]));
    let accounts: BTreeSet<&str> = csv[1..].iter().map(|r| r[1].as_str()).collect();
    assert_eq!(accounts, BTreeSet::from(["binary", "spot-a"]));
    assert_eq!(csv.len() - 1, n("spot-a") + n("binary"));
}

#[test]
fn since_keeps_trades_closed_at_or_after_a_date_or_a_time() {
    let db = stored();
    // A whole second in the middle of the data.
    let mid = DateTime::<Utc>::from_timestamp_nanos(db[db.len() / 2].closed_ts);
    let since = mid.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let floor = DateTime::parse_from_rfc3339(&since)
        .expect("since")
        .timestamp_nanos_opt()
        .expect("in range");
    let expected: Vec<i64> = db
        .iter()
        .filter(|s| s.closed_ts >= floor)
        .map(|s| s.id)
        .collect();
    assert!(!expected.is_empty() && expected.len() < db.len());
    let csv = parse_csv(&trades(&["--csv", "--since", &since]));
    let ids: Vec<i64> = csv[1..].iter().map(|r| r[0].parse().expect("id")).collect();
    assert_eq!(ids, expected, "--since {since}");
    let t = read_table(&trades(&["--since", &since]));
    assert_eq!(t.count, format!("{} trades", expected.len()));

    // A date is its midnight UTC: the day of the first close keeps all,
    // the day after the last keeps none.
    let day = |ns: i64| DateTime::<Utc>::from_timestamp_nanos(ns).date_naive();
    let first = day(db[0].closed_ts).to_string();
    let after = day(db[db.len() - 1].closed_ts)
        .succ_opt()
        .expect("a next day")
        .to_string();
    assert_eq!(
        parse_csv(&trades(&["--csv", "--since", &first])).len(),
        1 + db.len()
    );
    assert_eq!(trades(&["--since", &after]).trim(), "0 trades");
}

#[test]
fn a_bad_since_or_an_unknown_account_is_a_clear_error() {
    let dir = fixture();
    for bad in ["04/03/2025", "yesterday", "2025-03-04 7am", "2025-13-01"] {
        let out = omni(dir, &["trades", "--db", "trades.db", "--since", bad]);
        let err = text(&out.stderr);
        assert!(!out.status.success(), "--since {bad} accepted");
        assert!(err.contains("--since") && err.contains(bad), "{err}");
        assert!(
            err.contains("2025-03-04") && err.contains("2025-03-04T07:00:00Z"),
            "names the accepted forms: {err}"
        );
        assert!(out.stdout.is_empty());
    }
    let out = omni(dir, &["trades", "--db", "trades.db", "--account", "nobody"]);
    let err = text(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("--account nobody"), "{err}");
    for known in ["binary", "margin-fx", "prop-fx", "spot-a", "spot-b"] {
        assert!(err.contains(known), "lists {known}: {err}");
    }
    assert!(out.stdout.is_empty());
}

/// `omni-tui trades … | head -1`: the reader takes what it wants and goes.
#[test]
fn a_reader_that_closes_the_pipe_ends_the_command_quietly() {
    for format in [&[][..], &["--csv"], &["--json"]] {
        for read_first_line in [true, false] {
            let mut args = vec!["trades", "--db", "trades.db"];
            args.extend_from_slice(format);
            let mut child = command(fixture(), &args)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawns");
            let stdout = child.stdout.take().expect("stdout");
            if read_first_line {
                let mut line = String::new();
                BufReader::new(stdout).read_line(&mut line).expect("a line");
                assert!(!line.is_empty(), "{format:?}");
            } else {
                // Closed before the command writes anything.
                drop(stdout);
            }
            let mut err = String::new();
            child
                .stderr
                .take()
                .expect("stderr")
                .read_to_string(&mut err)
                .expect("stderr");
            let status = child.wait().expect("exits");
            assert!(!err.contains("panicked"), "{format:?}: {err}");
            assert_eq!(status.code(), Some(0), "{format:?}: {err}");
            assert!(err.is_empty(), "{format:?}: {err}");
        }
    }
}

#[test]
fn json_carries_a_contracts_strike_and_settle_price() {
    let db = stored();
    let out = trades(&["--json"]);
    let rows: Vec<serde_json::Value> = serde_json::from_str(&out).expect("JSON");
    assert_eq!(rows.len(), db.len());
    let text = |v: &serde_json::Value| v.as_str().map(str::to_string);
    for (r, s) in rows.iter().zip(&db) {
        assert_eq!(r["id"], s.id, "{r}");
        assert_eq!(text(&r["strike"]), s.strike, "{r}");
        assert_eq!(text(&r["settle_price"]), s.settle_price, "{r}");
        assert_eq!(text(&r["contract"]), s.direction, "{r}");
    }
    assert!(rows.iter().any(|r| !r["settle_price"].is_null()), "{out}");
}
