//! `omni-tui trades`: the closed trades in the database, as a table with
//! totals per account and per currency, as CSV, or as JSON.
//!
//! Output goes through one locked, buffered stdout, and a reader that goes
//! away (`omni-tui trades | head`) ends the command quietly with success:
//! there is nobody left to tell.

use crate::cli::args::parse_since;
use anyhow::Context;
use omni_core::domain::Timestamp;
use omni_store::{TradeQuery, TradeRow};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// Rows the table shows when `--limit` is not given.
pub const TABLE_LIMIT: usize = 200;

/// The flags of `omni-tui trades`.
#[derive(clap::Args, Debug, Clone, PartialEq, Eq)]
pub struct TradesArgs {
    /// Print JSON: an array of the trades, oldest first.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Print CSV (RFC 4180, CRLF): a header row, then one row per trade, oldest first; no totals.
    #[arg(long)]
    pub csv: bool,
    /// Only this account's trades; repeat for several.
    #[arg(long = "account", value_name = "NAME")]
    pub accounts: Vec<String>,
    /// Only trades closed at or after WHEN: a date (2025-03-04, from 00:00 UTC) or a date and time (2025-03-04T07:00:00Z; UTC without an offset).
    #[arg(long, value_name = "WHEN", value_parser = parse_since)]
    pub since: Option<Timestamp>,
    /// Show at most N, the newest (default: 200 in the table, all with --csv or --json).
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
}

/// Reads the trades `args` asks for from the database and prints them.
pub fn run(db: Option<&Path>, args: &TradesArgs) -> anyhow::Result<()> {
    let path = db
        .map(Path::to_path_buf)
        .unwrap_or_else(omni_store::default_path);
    anyhow::ensure!(path.is_file(), "no database at {}", path.display());
    let conn =
        omni_store::open_read_only(&path).with_context(|| format!("opening {}", path.display()))?;
    if !args.accounts.is_empty() {
        let known = omni_store::account_names(&conn)?;
        for a in &args.accounts {
            anyhow::ensure!(
                known.contains(a),
                "--account {a}: no such account in {}; it knows {}",
                path.display(),
                if known.is_empty() {
                    "none yet".to_string()
                } else {
                    known.join(", ")
                }
            );
        }
    }
    let machine = args.csv || args.json;
    let query = TradeQuery {
        accounts: args.accounts.clone(),
        since: args.since,
        limit: args.limit.or((!machine).then_some(TABLE_LIMIT)),
    };
    let page = omni_store::read_trades(&conn, &query)?;
    if machine && page.rows.len() < page.matching {
        // The rows themselves stay machine-readable; the cut is said aside.
        let _ = writeln!(
            io::stderr(),
            "omni-tui trades: {} (--limit)",
            count_line(page.rows.len(), page.matching)
        );
    }
    let mut out = BufWriter::new(io::stdout().lock());
    let written = if args.json {
        write_json(&mut out, &page.rows)
    } else if args.csv {
        write_csv(&mut out, &page.rows)
    } else {
        write_table(&mut out, &page.rows, page.matching)
    }
    .and_then(|()| out.flush());
    match written {
        // The reader closed the pipe (`| head`): what it wanted, it has.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        r => r.context("writing to stdout"),
    }
}

/// The trade's direction in the cockpit's words: `long` or `short` for a
/// position (as the trade log says), `UP` or `DOWN` for a binary contract.
pub fn direction(r: &TradeRow) -> &str {
    match (r.contract, r.side.as_str()) {
        (Some(d), _) => d.as_str(),
        (None, "BUY") => "long",
        (None, "SELL") => "short",
        (None, other) => other,
    }
}

/// `17 trades`, or `200 of 203 trades` when a limit cut the list.
fn count_line(shown: usize, matching: usize) -> String {
    let noun = if matching == 1 { "trade" } else { "trades" };
    if shown < matching {
        format!("{shown} of {matching} {noun}")
    } else {
        format!("{shown} {noun}")
    }
}

/// An exact decimal without trailing zeros.
fn exact(d: Decimal) -> String {
    d.normalize().to_string()
}

/// A price for reading: six decimals at most (CSV and JSON keep them exact).
fn price(d: Decimal) -> String {
    d.round_dp(6).normalize().to_string()
}

/// A time as ISO 8601 UTC with nanoseconds, e.g.
/// `2025-03-04T07:01:31.362037847Z`.
fn iso(t: Timestamp) -> String {
    t.to_datetime()
        .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
}

/// Writes cells as aligned columns: `right[i]` right-aligns column `i`;
/// the last column is never padded.
fn write_columns(out: &mut impl Write, rows: &[Vec<String>], right: &[bool]) -> io::Result<()> {
    let mut widths = vec![0; right.len()];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            let last = i + 1 == row.len();
            match (right.get(i), widths.get(i)) {
                (Some(true), Some(&w)) => line.push_str(&format!("{cell:>w$}")),
                (_, Some(&w)) if !last => line.push_str(&format!("{cell:<w$}")),
                _ => line.push_str(cell),
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

/// What the trades of one account, or of one currency, add up to.
#[derive(Default)]
struct Totals {
    /// Accounts counted (for a currency's line).
    accounts: usize,
    trades: usize,
    /// P&L after fees above zero.
    wins: usize,
    /// P&L after fees below zero (a trade at exactly zero is neither).
    losses: usize,
    fees: Decimal,
    pnl: Decimal,
}

impl Totals {
    fn add(&mut self, r: &TradeRow) {
        self.trades += 1;
        self.wins += usize::from(r.pnl > Decimal::ZERO);
        self.losses += usize::from(r.pnl < Decimal::ZERO);
        self.fees += r.fees;
        self.pnl += r.pnl;
    }

    fn cells(&self, label: String, currency: &str) -> Vec<String> {
        vec![
            label,
            currency.to_string(),
            self.trades.to_string(),
            self.wins.to_string(),
            self.losses.to_string(),
            exact(self.fees),
            exact(self.pnl),
        ]
    }
}

/// The table: one line per trade, then totals per account, and per
/// currency where several accounts share one (amounts in different
/// currencies are never added together), then the count.
fn write_table(out: &mut impl Write, rows: &[TradeRow], matching: usize) -> io::Result<()> {
    if !rows.is_empty() {
        let mut cells = vec![
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
                "opened (UTC)",
                "closed (UTC)",
                "reason",
            ]
            .map(String::from)
            .to_vec(),
        ];
        for r in rows {
            cells.push(vec![
                r.id.to_string(),
                r.account.clone(),
                r.instrument.clone(),
                r.kind.clone().unwrap_or_else(|| "-".into()),
                direction(r).to_string(),
                exact(r.qty),
                price(r.entry_price),
                price(r.exit_price),
                // A contract's exit is a value per unit staked; what it
                // settled on is the underlying's price at expiry.
                r.settle_price.map_or_else(|| "-".into(), price),
                exact(r.fees),
                exact(r.pnl),
                r.opened.to_string(),
                r.closed.to_string(),
                r.reason.clone(),
            ]);
        }
        let right = [
            true, false, false, false, false, true, true, true, true, true, true, false, false,
            false,
        ];
        write_columns(out, &cells, &right)?;
        writeln!(out)?;

        let mut accounts: BTreeMap<&str, (&str, Totals)> = BTreeMap::new();
        for r in rows {
            let currency = r.currency.as_deref().unwrap_or("?");
            accounts
                .entry(&r.account)
                .or_insert_with(|| (currency, Totals::default()))
                .1
                .add(r);
        }
        let mut currencies: BTreeMap<&str, Totals> = BTreeMap::new();
        for r in rows {
            currencies
                .entry(r.currency.as_deref().unwrap_or("?"))
                .or_default()
                .add(r);
        }
        for (currency, t) in &mut currencies {
            t.accounts = accounts.values().filter(|(c, _)| c == currency).count();
        }
        let label = if rows.len() < matching {
            format!("totals of these {}", rows.len())
        } else {
            "totals".to_string()
        };
        let mut cells = vec![
            [
                label.as_str(),
                "currency",
                "trades",
                "wins",
                "losses",
                "fees",
                "pnl",
            ]
            .map(String::from)
            .to_vec(),
        ];
        for (name, (currency, t)) in &accounts {
            cells.push(t.cells(name.to_string(), currency));
        }
        // A currency's line only adds what its own line per account does not say.
        for (currency, t) in currencies.iter().filter(|(_, t)| t.accounts > 1) {
            cells.push(t.cells(
                format!("all {currency} ({} accounts)", t.accounts),
                currency,
            ));
        }
        write_columns(out, &cells, &[false, false, true, true, true, true, true])?;
        writeln!(out)?;
    }
    let more = if rows.len() < matching {
        " (the newest; --limit N shows more)"
    } else {
        ""
    };
    writeln!(out, "{}{more}", count_line(rows.len(), matching))
}

/// The CSV header, in the order of [`csv_record`].
pub const CSV_HEADER: [&str; 17] = [
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

/// One trade's CSV fields: decimals exact as stored, times ISO 8601 UTC,
/// `side` as stored (BUY or SELL), `direction` as the table says it;
/// `strike` and `settle_price` empty but for a binary contract (the
/// settle price only when it settled at expiry).
fn csv_record(r: &TradeRow) -> [String; 17] {
    [
        r.id.to_string(),
        r.account.clone(),
        r.currency.clone().unwrap_or_default(),
        r.instrument.clone(),
        r.kind.clone().unwrap_or_default(),
        r.side.clone(),
        direction(r).to_string(),
        r.qty.to_string(),
        r.entry_price.to_string(),
        r.exit_price.to_string(),
        r.fees.to_string(),
        r.pnl.to_string(),
        iso(r.opened),
        iso(r.closed),
        r.reason.clone(),
        r.strike.map(|d| d.to_string()).unwrap_or_default(),
        r.settle_price.map(|d| d.to_string()).unwrap_or_default(),
    ]
}

/// A CSV field, quoted (quotes doubled) when it holds a comma, a quote or
/// a line break, as RFC 4180 asks.
fn csv_field(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\"")).into()
    } else {
        s.into()
    }
}

fn write_csv_line<S: AsRef<str>>(out: &mut impl Write, fields: &[S]) -> io::Result<()> {
    let line: Vec<_> = fields.iter().map(|f| csv_field(f.as_ref())).collect();
    write!(out, "{}\r\n", line.join(","))
}

fn write_csv(out: &mut impl Write, rows: &[TradeRow]) -> io::Result<()> {
    write_csv_line(out, &CSV_HEADER)?;
    for r in rows {
        write_csv_line(out, &csv_record(r))?;
    }
    Ok(())
}

fn write_json(out: &mut impl Write, rows: &[TradeRow]) -> io::Result<()> {
    serde_json::to_writer(&mut *out, rows)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_only_when_they_must_be() {
        assert_eq!(csv_field("spot-a"), "spot-a");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
    }

    #[test]
    fn the_count_says_when_a_limit_cut_the_list() {
        assert_eq!(count_line(200, 203), "200 of 203 trades");
        assert_eq!(count_line(17, 17), "17 trades");
        assert_eq!(count_line(1, 1), "1 trade");
    }

    #[test]
    fn times_are_iso_8601_utc() {
        assert_eq!(
            iso(Timestamp(1_741_071_631_362_037_847)),
            "2025-03-04T07:00:31.362037847Z"
        );
    }
}
