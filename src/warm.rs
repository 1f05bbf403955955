//! Warm from the first minute: a live run's feeds start after a back-fill
//! of recent bars from the venues' REST history (`[market.backfill]`), and
//! a replay or backtest can be given bar files (`--history
//! INSTRUMENT=FILE`) whose bars reach the engine as history before the
//! first replayed event. Either way the ensemble's forecasts and the forex
//! scanner's indicators are warm when trading starts, and history never
//! opens an opportunity.

use crate::config::LoadedConfig;
use anyhow::Context;
use omni_core::domain::{Bar, Timestamp};
use omni_core::market::MarketSource;
use omni_feeds::history::WithHistory;
use omni_feeds::live::{LiveError, LiveFeeds, LiveSource};
use omni_feeds::{ReceiveClock, history};
use std::path::PathBuf;

/// Starts the enabled feeds after the configured back-fill (none when
/// `[market.backfill] enabled = false`). Returns at once: the back-fill
/// runs on the feeds' thread and its bars are queued before the first
/// live event.
pub fn start_live(loaded: &LoadedConfig) -> Result<(LiveFeeds, LiveSource), LiveError> {
    let cfg = &loaded.config;
    let plan = history::plan(&cfg.feeds, &loaded.catalog, &cfg.market.backfill);
    if cfg.market.backfill.enabled && plan.is_empty() {
        tracing::info!(
            "back-fill: no enabled feed has a history endpoint (see [feeds.*] history_url); starting cold"
        );
    }
    omni_feeds::live::start_warm(
        &cfg.feeds,
        &plan,
        cfg.general.seed,
        &loaded.catalog,
        None,
        ReceiveClock::system(),
    )
}

/// One `--history INSTRUMENT=FILE[@±HH:MM]` argument (parsed by
/// [`crate::cli::history_arg::parse`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryArg {
    /// Our instrument name, as the configuration spells it.
    pub instrument: String,
    /// A CSV file (any layout the history loader reads) or a folder of them.
    pub path: PathBuf,
    /// Seconds east of UTC of the file's times, when the file does not say.
    pub utc_offset_secs: i64,
}

/// The bars of every `--history` file, tied to their instruments. Rows
/// the loader cannot read are reported on stderr, never used.
pub fn load_history(loaded: &LoadedConfig, args: &[HistoryArg]) -> anyhow::Result<Vec<Bar>> {
    let mut bars = Vec::new();
    for a in args {
        let file = a.path.display();
        let names = || {
            loaded
                .catalog
                .instruments
                .iter()
                .map(|i| i.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let inst = loaded
            .catalog
            .instruments
            .iter()
            .find(|i| i.name.eq_ignore_ascii_case(&a.instrument))
            .with_context(|| {
                format!(
                    "--history {}=…: no instrument `{}` in the configuration (it has {})",
                    a.instrument,
                    a.instrument,
                    names()
                )
            })?;
        let series = omni_research::history::load_series(&a.path, a.utc_offset_secs)
            .with_context(|| format!("--history {}={file}", a.instrument))?;
        if let Some(b) = series.bad_rows.first() {
            eprintln!(
                "omni-tui: --history {file}: {} rows left out (first: {}:{}: {})",
                series.bad_rows.len(),
                b.file.display(),
                b.line,
                b.reason
            );
        }
        bars.extend(series.bars.iter().map(|h| Bar {
            instrument: inst.id,
            timeframe: series.timeframe,
            open_ts: h.ts,
            open: h.open,
            high: h.high,
            low: h.low,
            close: h.close,
            volume: h.volume,
        }));
    }
    Ok(bars)
}

/// `source` after the `--history` bars. Bars that have not closed by the
/// source's first event are left out (they would tell the engine the
/// future) and counted on stderr; a file none of whose bars comes before
/// that event is refused, since it cannot warm anything.
pub fn with_history<M: MarketSource>(source: M, bars: Vec<Bar>) -> anyhow::Result<WithHistory<M>> {
    let given = bars.len();
    let first: Option<Timestamp> = source.peek_ts();
    let (s, dropped) = WithHistory::new(source, bars);
    if given > 0 {
        anyhow::ensure!(
            dropped < given,
            "--history: all {given} bars close after the first replayed event ({}); history must come before it",
            first.map(|t| t.to_string()).unwrap_or_default()
        );
        if dropped > 0 {
            eprintln!(
                "omni-tui: --history: {dropped} of {given} bars close after the first replayed event ({}) and were left out",
                first.map(|t| t.to_string()).unwrap_or_default()
            );
        }
    }
    Ok(s)
}
