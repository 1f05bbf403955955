//! The backtest's report: every figure as data (the JSON), the summary a
//! trader reads at a glance, and the equity and drawdown curves drawn in
//! the terminal. Built from an [`Outcome`] only, so the same run gives the
//! same bytes.

use super::metrics::{self, ReturnFigures, TradeFigures, TradeOutcome};
use super::run::{Outcome, STEP_SECS};
use omni_core::domain::{Catalog, OpportunityKind, Timestamp};
use omni_core::portfolio::ClosedTrade;
use rust_decimal::Decimal;
use serde::Serialize;
use std::fmt::Write;

/// What was run, as the report states it.
#[derive(Clone, Debug, Serialize)]
pub struct Setup {
    /// `bars` or `recorded`.
    pub input: String,
    /// The files read.
    pub files: Vec<String>,
    pub approve: String,
    pub seed: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Span {
    pub from: String,
    pub to: String,
    pub days: f64,
    pub samples: usize,
    pub step_secs: i64,
    pub market_events: u64,
}

/// What the scanners found and the gate decided.
#[derive(Clone, Debug, Serialize)]
pub struct Decisions {
    /// Opportunities found, per kind.
    pub opportunities: omni_core::engine::PerKind,
    /// Intents the gate approved and refused, refusals by reason.
    pub gate_approved: u64,
    pub gate_refused: u64,
    pub refusals: std::collections::BTreeMap<String, u64>,
    /// Market events held back as implausible (`[quarantine]`).
    pub quarantined: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Overall {
    /// Account equities added as numbers: USD and USDT at par.
    pub returns: ReturnFigures,
    pub trades: TradeFigures,
    /// Share of samples with a position open on any account.
    pub exposure: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct AccountReport {
    pub name: String,
    pub currency: String,
    pub returns: ReturnFigures,
    pub trades: TradeFigures,
    pub exposure: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct KindReport {
    pub kind: String,
    /// Return figures of the kind's own curve: the starting equity of the
    /// accounts that traded it, plus the P&L of its closed trades as they
    /// close (positions still open at a sample are not in it).
    pub returns: ReturnFigures,
    pub trades: TradeFigures,
}

#[derive(Clone, Debug, Serialize)]
pub struct HoldReport {
    pub instrument: String,
    /// Holding the instrument from the first to the last sample.
    pub returns: ReturnFigures,
}

#[derive(Clone, Debug, Serialize)]
pub struct TradeRow {
    pub account: String,
    pub instrument: String,
    pub kind: String,
    pub side: &'static str,
    pub qty: Decimal,
    pub entry: Decimal,
    pub exit: Decimal,
    pub pnl: Decimal,
    pub fees: Decimal,
    pub opened: String,
    pub closed: String,
    pub reason: &'static str,
}

/// The whole report.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub setup: Setup,
    pub span: Span,
    pub decisions: Decisions,
    pub overall: Overall,
    pub buy_and_hold: Vec<HoldReport>,
    pub by_kind: Vec<KindReport>,
    pub by_account: Vec<AccountReport>,
    /// (time, total equity) at each sample.
    pub equity_curve: Vec<(String, Decimal)>,
    pub trade_list: Vec<TradeRow>,
}

/// A time as the report writes it.
pub fn time(t: Timestamp) -> String {
    t.to_datetime()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A trade as the metrics read it. Turnover is the notional traded: entry
/// and exit of a position, the stake (once) of a binary contract, whose
/// "exit price" is its payout per unit, not a trade.
fn outcome_of(t: &ClosedTrade) -> TradeOutcome {
    let turnover = if t.contract.is_some() {
        t.qty.abs() * t.entry_price
    } else {
        t.qty.abs() * (t.entry_price + t.exit_price)
    };
    TradeOutcome {
        pnl: t.pnl,
        fees: t.fees,
        turnover,
    }
}

fn share(v: &[bool]) -> f64 {
    if v.is_empty() {
        0.0
    } else {
        v.iter().filter(|x| **x).count() as f64 / v.len() as f64
    }
}

/// A kind's curve: the starting equity of the accounts its trades were on,
/// plus its realised P&L at each sample.
fn kind_curve(o: &Outcome, trades: &[&ClosedTrade]) -> Vec<Decimal> {
    let mut accounts: Vec<usize> = trades.iter().map(|t| t.account.index()).collect();
    accounts.sort_unstable();
    accounts.dedup();
    let capital: Decimal = accounts
        .iter()
        .filter_map(|a| o.equity.get(*a).and_then(|e| e.first()))
        .sum();
    let mut closed: Vec<(Timestamp, Decimal)> = trades.iter().map(|t| (t.closed, t.pnl)).collect();
    closed.sort_by_key(|(t, _)| *t);
    let (mut i, mut pnl) = (0, Decimal::ZERO);
    o.times
        .iter()
        .map(|t| {
            while i < closed.len() && closed[i].0 <= *t {
                pnl += closed[i].1;
                i += 1;
            }
            capital + pnl
        })
        .collect()
}

/// Builds the report of `o`.
pub fn build(catalog: &Catalog, setup: Setup, o: &Outcome) -> Report {
    let samples = o.times.len();
    let total: Vec<Decimal> = (0..samples)
        .map(|i| o.equity.iter().map(|e| e[i]).sum())
        .collect();
    let any_exposed: Vec<bool> = (0..samples)
        .map(|i| o.exposed.iter().any(|e| e[i]))
        .collect();
    let all: Vec<TradeOutcome> = o.trades.iter().map(outcome_of).collect();
    let by_account = catalog
        .accounts
        .iter()
        .map(|a| {
            let own: Vec<TradeOutcome> = o
                .trades
                .iter()
                .filter(|t| t.account == a.id)
                .map(outcome_of)
                .collect();
            AccountReport {
                name: a.name.clone(),
                currency: a.currency.clone(),
                returns: metrics::returns(&o.equity[a.id.index()], STEP_SECS),
                trades: metrics::trades(&own),
                exposure: share(&o.exposed[a.id.index()]),
            }
        })
        .collect();
    let kind_report = |name: &str, of: &dyn Fn(&ClosedTrade) -> bool| {
        let mine: Vec<&ClosedTrade> = o.trades.iter().filter(|t| of(t)).collect();
        KindReport {
            kind: name.to_string(),
            returns: metrics::returns(&kind_curve(o, &mine), STEP_SECS),
            trades: metrics::trades(&mine.iter().map(|t| outcome_of(t)).collect::<Vec<_>>()),
        }
    };
    let mut by_kind: Vec<KindReport> = OpportunityKind::ALL
        .iter()
        .map(|&k| kind_report(k.as_str(), &|t: &ClosedTrade| t.kind == Some(k)))
        .collect();
    if o.trades.iter().any(|t| t.kind.is_none()) {
        by_kind.push(kind_report("other", &|t: &ClosedTrade| t.kind.is_none()));
    }
    // Buy and hold of each instrument that traded, from its first mark.
    let traded: Vec<_> = catalog
        .instruments
        .iter()
        .filter(|i| o.trades.iter().any(|t| t.instrument == i.id))
        .collect();
    let buy_and_hold = traded
        .iter()
        .filter_map(|inst| {
            let marks = o.marks.iter().find(|(i, _)| *i == inst.id)?;
            let curve: Vec<Decimal> = marks.1.iter().flatten().copied().collect();
            Some(HoldReport {
                instrument: inst.name.clone(),
                returns: metrics::returns(&curve, STEP_SECS),
            })
        })
        .collect();
    let (from, to) = (
        o.times.first().copied().unwrap_or_default(),
        o.times.last().copied().unwrap_or_default(),
    );
    let inst = |i: omni_core::domain::InstrumentId| catalog.instrument(i).name.clone();
    Report {
        setup,
        span: Span {
            from: time(from),
            to: time(to),
            days: (to.nanos() - from.nanos()) as f64 / 86_400e9,
            samples,
            step_secs: STEP_SECS,
            market_events: o.market_events,
        },
        decisions: Decisions {
            opportunities: o.counters.opportunities.clone(),
            gate_approved: o.counters.gate_approved,
            gate_refused: o.counters.gate_refused,
            refusals: o
                .counters
                .refusals
                .iter()
                .map(|(r, n)| (r.as_str().to_string(), *n))
                .collect(),
            quarantined: o.counters.quarantined,
        },
        overall: Overall {
            returns: metrics::returns(&total, STEP_SECS),
            trades: metrics::trades(&all),
            exposure: share(&any_exposed),
        },
        buy_and_hold,
        by_kind,
        by_account,
        equity_curve: o.times.iter().map(|t| time(*t)).zip(total).collect(),
        trade_list: o
            .trades
            .iter()
            .map(|t| TradeRow {
                account: catalog.account(t.account).name.clone(),
                instrument: inst(t.instrument),
                kind: t.kind.map_or("other", |k| k.as_str()).to_string(),
                side: t.side.as_str(),
                qty: t.qty,
                entry: t.entry_price,
                exit: t.exit_price,
                pnl: t.pnl,
                fees: t.fees,
                opened: time(t.opened),
                closed: time(t.closed),
                reason: t.reason.as_str(),
            })
            .collect(),
    }
}

fn pct(v: f64) -> String {
    format!("{:+.2}%", v * 100.0)
}

fn ratio(v: f64) -> String {
    format!("{v:.2}")
}

/// A figure that may not exist (`–`).
fn maybe(v: Option<f64>, f: fn(f64) -> String) -> String {
    v.map_or_else(|| "–".to_string(), f)
}

fn pf(t: &TradeFigures) -> String {
    match (t.trades, t.profit_factor) {
        (0, _) => "–".to_string(),
        (_, None) => "∞ (no loss)".to_string(),
        (_, Some(x)) => format!("{x:.2}"),
    }
}

fn duration(secs: i64) -> String {
    match secs {
        s if s >= 86_400 => format!("{:.1} d", s as f64 / 86_400.0),
        s if s >= 3_600 => format!("{:.1} h", s as f64 / 3_600.0),
        s => format!("{} min", s / 60),
    }
}

/// One row of return figures.
fn returns_row(label: &str, r: &ReturnFigures) -> String {
    format!(
        "{label:<22} {:>9} {:>10} {:>7} {:>7} {:>8} {:>9} {:>7}",
        pct(r.total_return),
        maybe(r.annual_return, pct),
        ratio(r.sharpe),
        maybe(r.sortino, ratio),
        // −0 would print as −0.00 %.
        pct(if r.max_drawdown > 0.0 {
            -r.max_drawdown
        } else {
            0.0
        }),
        duration(r.max_drawdown_secs),
        maybe(r.calmar, ratio)
    )
}

/// A curve as one line of block characters, `width` wide.
pub fn sparkline(values: &[f64], width: usize) -> String {
    const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    if values.is_empty() || width == 0 {
        return String::new();
    }
    let (lo, hi) = values
        .iter()
        .fold((f64::MAX, f64::MIN), |(l, h), v| (l.min(*v), h.max(*v)));
    (0..width.min(values.len()))
        .map(|c| {
            // Each column shows the last value of its slice of the curve.
            let n = width.min(values.len());
            let i = ((c + 1) * values.len()) / n - 1;
            let v = values[i];
            let k = if hi > lo {
                (((v - lo) / (hi - lo)) * 7.0).round() as usize
            } else {
                3
            };
            BLOCKS[k.min(7)]
        })
        .collect()
}

/// The equity and drawdown curves of the total, in the terminal.
fn curves(r: &Report) -> String {
    use rust_decimal::prelude::ToPrimitive;
    let eq: Vec<f64> = r
        .equity_curve
        .iter()
        .map(|(_, e)| e.to_f64().unwrap_or(0.0))
        .collect();
    let mut peak = f64::MIN;
    let dd: Vec<f64> = eq
        .iter()
        .map(|e| {
            peak = peak.max(*e);
            if peak > 0.0 { e / peak - 1.0 } else { 0.0 }
        })
        .collect();
    let lo = eq.iter().copied().fold(f64::MAX, f64::min);
    let hi = eq.iter().copied().fold(f64::MIN, f64::max);
    let worst = dd.iter().copied().fold(0.0, f64::min);
    format!(
        "equity    {}  {lo:.2} … {hi:.2}\ndrawdown  {}  {} … 0%\n",
        sparkline(&eq, 64),
        sparkline(&dd, 64),
        pct(worst)
    )
}

/// The summary a trader reads at a glance.
pub fn text(r: &Report) -> String {
    let mut s = String::new();
    let o = &r.overall;
    let _ = writeln!(
        s,
        "backtest  {} → {}  ({:.1} days, {} market events, {} input, approve {}, seed {})",
        r.span.from,
        r.span.to,
        r.span.days,
        r.span.market_events,
        r.setup.input,
        r.setup.approve,
        r.setup.seed
    );
    let d = &r.decisions;
    let found: Vec<String> = d
        .opportunities
        .iter()
        .map(|(k, n)| format!("{n} {}", k.as_str()))
        .collect();
    let _ = writeln!(
        s,
        "opportunities {}; gate approved {}, refused {}{}; {} events quarantined",
        found.join(", "),
        d.gate_approved,
        d.gate_refused,
        if d.refusals.is_empty() {
            String::new()
        } else {
            format!(
                " ({})",
                d.refusals
                    .iter()
                    .map(|(r, n)| format!("{r} {n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        },
        d.quarantined
    );
    let _ = writeln!(
        s,
        "\n{:<22} {:>9} {:>10} {:>7} {:>7} {:>8} {:>9} {:>7}",
        "", "return", "annual", "Sharpe", "Sortino", "max DD", "DD time", "Calmar"
    );
    let _ = writeln!(s, "{}", returns_row("all accounts", &o.returns));
    for a in &r.by_account {
        let _ = writeln!(
            s,
            "{}",
            returns_row(&format!("  {} ({})", a.name, a.currency), &a.returns)
        );
    }
    for k in r.by_kind.iter().filter(|k| k.trades.trades > 0) {
        let _ = writeln!(
            s,
            "{}",
            returns_row(&format!("  {} trades", k.kind), &k.returns)
        );
    }
    for h in &r.buy_and_hold {
        let _ = writeln!(
            s,
            "{}",
            returns_row(&format!("hold {}", h.instrument), &h.returns)
        );
    }
    let _ = writeln!(
        s,
        "\n{:<22} {:>7} {:>8} {:>10} {:>11} {:>10} {:>10} {:>10}",
        "", "trades", "win rate", "profit f.", "expectancy", "avg win", "avg loss", "fees"
    );
    let trow = |label: &str, t: &TradeFigures| {
        format!(
            "{label:<22} {:>7} {:>8} {:>10} {:>11} {:>10} {:>10} {:>10}",
            t.trades,
            format!("{:.1}%", t.win_rate * 100.0),
            pf(t),
            t.expectancy.round_dp(4),
            t.avg_win.round_dp(2),
            t.avg_loss.round_dp(2),
            t.fees.round_dp(2)
        )
    };
    let _ = writeln!(s, "{}", trow("all", &o.trades));
    for k in &r.by_kind {
        let _ = writeln!(s, "{}", trow(&format!("  {}", k.kind), &k.trades));
    }
    let _ = writeln!(
        s,
        "\nnet P&L {} after fees {}; turnover {}; in the market {:.1}% of the time",
        o.trades.net_pnl.round_dp(2),
        o.trades.fees.round_dp(2),
        o.trades.turnover.round_dp(2),
        o.exposure * 100.0
    );
    s.push('\n');
    s.push_str(&curves(r));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sparkline_spans_the_range_in_its_width() {
        let v: Vec<f64> = (0..16).map(f64::from).collect();
        let line = sparkline(&v, 8);
        assert_eq!(line.chars().count(), 8);
        assert!(line.starts_with('▁') || line.starts_with('▂'), "{line}");
        assert!(line.ends_with('█'), "{line}");
        assert_eq!(sparkline(&[5.0; 3], 10), "▄▄▄");
        assert_eq!(sparkline(&[], 10), "");
    }
}
