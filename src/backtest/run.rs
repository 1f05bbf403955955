//! One backtest run: the engine, gate, router and paper fill model the
//! cockpit trades with, driven by past data, sampled every minute of market
//! time. Nothing here reads a clock: the same inputs and seed give the same
//! curves and trades.

use super::bars::{BarSeries, BarSource, quote_models};
use crate::config::LoadedConfig;
use crate::setup;
use anyhow::Context;
use omni_core::approval::config::ApprovalMode;
use omni_core::domain::time::SECOND;
use omni_core::domain::{InstrumentId, Timestamp};
use omni_core::engine::{Audit, AuditSink, Command, RestoredState, SinkError};
use omni_core::market::{MarketEvent, MarketSource};
use omni_core::portfolio::ClosedTrade;
use rust_decimal::Decimal;
use std::path::{Path, PathBuf};

/// Market time between two samples of the equity curves.
pub const STEP_SECS: i64 = 60;

/// What the backtest replays.
#[derive(Clone, Debug)]
pub enum Input {
    /// Bar series, one per instrument, quoted by the bar model.
    Bars(Vec<BarSeries>),
    /// Recordings or venue captures, as `replay` reads them.
    Recorded {
        files: Vec<PathBuf>,
        venue: Option<String>,
        /// `--history` bars, handed over before the first replayed event.
        history: Vec<omni_core::domain::Bar>,
    },
}

/// A market source cut to `[from, to]`.
pub struct Bounded<M> {
    inner: M,
    to: Option<Timestamp>,
}

impl<M: MarketSource> Bounded<M> {
    pub fn new(mut inner: M, from: Option<Timestamp>, to: Option<Timestamp>) -> Self {
        if let Some(f) = from {
            while inner.peek_ts().is_some_and(|t| t < f) {
                inner.next();
            }
        }
        Self { inner, to }
    }
}

impl<M: MarketSource> Iterator for Bounded<M> {
    type Item = MarketEvent;
    fn next(&mut self) -> Option<MarketEvent> {
        self.peek_ts()?;
        self.inner.next()
    }
}

impl<M: MarketSource> MarketSource for Bounded<M> {
    fn peek_ts(&self) -> Option<Timestamp> {
        self.inner
            .peek_ts()
            .filter(|t| self.to.is_none_or(|to| *t <= to))
    }

    fn set_ring(&mut self, ring: std::sync::Arc<dyn omni_core::market::Ring>) {
        self.inner.set_ring(ring);
    }
}

/// There is no market data to trade between the bounds.
#[derive(Debug, thiserror::Error)]
#[error("no market data between --from and --to")]
pub struct NoData;

/// What one run produced.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// Sample times.
    pub times: Vec<Timestamp>,
    /// Each account's equity at each sample (by account id).
    pub equity: Vec<Vec<Decimal>>,
    /// Whether each account held a position at each sample.
    pub exposed: Vec<Vec<bool>>,
    /// Each traded instrument's mark at each sample, for buy-and-hold.
    pub marks: Vec<(InstrumentId, Vec<Option<Decimal>>)>,
    pub trades: Vec<ClosedTrade>,
    pub market_events: u64,
    /// The engine's counts: opportunities found, approvals, refusals.
    pub counters: omni_core::engine::RunCounters,
}

/// Keeps the closed trades; drops the rest.
#[derive(Default)]
struct Trades(Vec<ClosedTrade>);

impl AuditSink for Trades {
    fn record(&mut self, audits: &mut Vec<Audit>) -> Result<(), SinkError> {
        for a in audits.drain(..) {
            if let Audit::TradeClosed(t) = a {
                self.0.push(t);
            }
        }
        Ok(())
    }
}

/// The span of `input` (first and last event time).
pub fn span(loaded: &LoadedConfig, input: &Input) -> anyhow::Result<(Timestamp, Timestamp)> {
    match input {
        Input::Bars(series) => BarSource::new(series, None, None)
            .span()
            .context("the bar files hold no bars"),
        Input::Recorded { files, venue, .. } => {
            let mut src = setup::replay_source(loaded, files, venue.as_deref())?;
            let first = src
                .peek_ts()
                .context("the recordings hold no market event")?;
            let mut last = first;
            while let Some(t) = src.peek_ts() {
                last = t;
                src.next();
            }
            Ok((first, last))
        }
    }
}

/// Runs `input` between `from` and `to` with approval `mode`.
pub fn run(
    loaded: &LoadedConfig,
    input: &Input,
    from: Option<Timestamp>,
    to: Option<Timestamp>,
    mode: ApprovalMode,
    seed: u64,
) -> anyhow::Result<Outcome> {
    match input {
        Input::Bars(series) => drive(loaded, BarSource::new(series, from, to), from, mode, seed),
        Input::Recorded {
            files,
            venue,
            history,
        } => {
            let src = setup::replay_source(loaded, files, venue.as_deref())?;
            let src = Bounded::new(src, from, to);
            if history.is_empty() {
                drive(loaded, src, from, mode, seed)
            } else {
                let src = crate::warm::with_history(src, history.clone())?;
                drive(loaded, src, from, mode, seed)
            }
        }
    }
}

/// Runs `source`; what comes before `from` (history bars) only warms the
/// engine, and the curves start at `from`.
fn drive<M: MarketSource>(
    loaded: &LoadedConfig,
    source: M,
    from: Option<Timestamp>,
    mode: ApprovalMode,
    seed: u64,
) -> anyhow::Result<Outcome> {
    let Some(first) = source.peek_ts() else {
        return Err(NoData.into());
    };
    let mut driver = setup::driver(loaded, seed, RestoredState::default(), source)?;
    let mut sink = Trades::default();
    driver.command_at(first, Command::SetApprovalMode(mode), &mut sink)?;
    let start = match from {
        Some(f) if f > first => {
            driver.run_until(Timestamp(f.nanos() - 1), usize::MAX, &mut sink)?;
            f
        }
        _ => first,
    };
    if driver.next_market_ts().is_none() {
        return Err(NoData.into());
    }
    let accounts = loaded.catalog.accounts.len();
    let instruments: Vec<InstrumentId> = loaded.catalog.instruments.iter().map(|i| i.id).collect();
    let mut out = Outcome {
        equity: vec![Vec::new(); accounts],
        exposed: vec![Vec::new(); accounts],
        marks: instruments.iter().map(|&i| (i, Vec::new())).collect(),
        ..Outcome::default()
    };
    let step = STEP_SECS * SECOND;
    // Samples on the minute grid, from the first whole minute at or after
    // the start.
    let mut t = Timestamp(start.nanos().div_euclid(step) * step);
    if t < start {
        t = t.plus(step);
    }
    loop {
        driver.run_until(t, usize::MAX, &mut sink)?;
        let engine = &driver.engine;
        out.times.push(t);
        for a in &loaded.catalog.accounts {
            out.equity[a.id.index()].push(engine.equity(a.id));
            let held = engine.portfolio().of_account(a.id).any(|p| !p.is_flat());
            out.exposed[a.id.index()].push(held);
        }
        for (i, marks) in &mut out.marks {
            marks.push(engine.mark(*i));
        }
        if driver.next_market_ts().is_none() {
            break;
        }
        t = t.plus(step);
    }
    // Orders in flight at the end reach the broker; positions still open
    // stay marked in the last sample.
    driver.finish(10 * SECOND, &mut sink)?;
    out.market_events = driver.market_events();
    out.counters = driver.engine.counters().clone();
    out.trades = sink.0;
    Ok(out)
}

/// One bar series per `(instrument, path, UTC offset of its local times)`,
/// each read by the history loader (every CSV layout it knows; a directory
/// is one series).
pub fn load_bars(
    loaded: &LoadedConfig,
    specs: &[(String, PathBuf, i64)],
) -> anyhow::Result<Vec<BarSeries>> {
    let mut out = Vec::new();
    for (instrument, path, offset) in specs {
        let file = path.display();
        let inst = loaded
            .catalog
            .instruments
            .iter()
            .find(|i| i.name.eq_ignore_ascii_case(instrument))
            .with_context(|| {
                format!(
                    "--bars {instrument}=…: no instrument `{instrument}` in the configuration (it has {})",
                    loaded
                        .catalog
                        .instruments
                        .iter()
                        .map(|i| i.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?;
        let series = omni_research::history::load_series(path, *offset)
            .with_context(|| format!("--bars {instrument}={file}"))?;
        // The engine builds its minute bars from the quotes; it takes a
        // venue's own bars only at its scanners' timeframe (M1), and one
        // wider bar would silence the minute scanners for the whole run.
        anyhow::ensure!(
            series.timeframe == omni_core::domain::Timeframe::M1,
            "--bars {instrument}={file}: {} bars; a backtest takes minute bars (the scanners run on M1)",
            series.timeframe.as_str()
        );
        if !series.bad_rows.is_empty() {
            // Said, never silently dropped.
            eprintln!(
                "omni-tui backtest: {file}: {} rows left out (first: {}:{}: {})",
                series.bad_rows.len(),
                series.bad_rows[0].file.display(),
                series.bad_rows[0].line,
                series.bad_rows[0].reason
            );
        }
        out.push(BarSeries {
            instrument: inst.id,
            timeframe: series.timeframe,
            bars: series.bars,
            quotes: quote_models(&loaded.catalog, &loaded.config.market.demo, inst.id),
            tick: inst.tick_size,
        });
    }
    Ok(out)
}

/// The demo's own minute series (`[[market.demo.series]]`: the bundled
/// files, or the configured paths), as bar inputs: the default when no
/// `--bars` and no recordings are given.
pub fn demo_bars(loaded: &LoadedConfig, scratch: &Path) -> anyhow::Result<Vec<BarSeries>> {
    let mut specs = Vec::new();
    // A cross (`ratio_of`) has no bars of its own: it is quoted, never barred.
    for s in loaded
        .config
        .market
        .demo
        .series
        .iter()
        .filter(|s| !s.is_ratio())
    {
        let path = match omni_sim::demo::assets::embedded(&s.file) {
            // The history loader reads files: a bundled series is written
            // out once, as it is compiled in.
            Some(text) => {
                let p = scratch.join(&s.file);
                std::fs::write(&p, text)?;
                p
            }
            None => loaded.base_dir.join(&s.file),
        };
        specs.push((s.instrument.clone(), path, 0));
    }
    // The demo loops series recorded on different days side by side; a
    // backtest keeps real time, so only the series that cover the first
    // one's period run together, and the rest is said.
    let all = load_bars(loaded, &specs)?;
    let span = |s: &BarSeries| Some((s.bars.first()?.ts, s.bars.last()?.ts));
    let Some((from, to)) = all.first().and_then(span) else {
        return Ok(all);
    };
    let (kept, left): (Vec<BarSeries>, Vec<BarSeries>) = all
        .into_iter()
        .partition(|s| span(s).is_some_and(|(a, b)| a <= to && b >= from));
    for s in &left {
        if let Some((a, b)) = span(s) {
            eprintln!(
                "omni-tui backtest: {} left out: its bundled bars ({} … {}) are from another period",
                loaded.catalog.instrument(s.instrument).name,
                a.to_datetime().format("%Y-%m-%d"),
                b.to_datetime().format("%Y-%m-%d")
            );
        }
    }
    Ok(kept)
}
