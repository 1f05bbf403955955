//! `omni-tui backtest`: past data through the live engine, and the report.

use crate::backtest::run::{self, Input};
use crate::backtest::{self, SweepRow, report};
use crate::config::{ConfigOrigin, LoadedConfig};
use crate::setup;
use anyhow::Context;
use omni_core::approval::config::ApprovalMode;
use omni_core::domain::Timestamp;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Which opportunities are approved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BacktestApprove {
    /// The auto policy's thresholds, as the cockpit's `A`.
    Auto,
    /// Every opportunity (the gate still decides each order).
    All,
    /// None: the run only measures what the market did.
    None,
}

impl From<BacktestApprove> for ApprovalMode {
    fn from(a: BacktestApprove) -> Self {
        match a {
            BacktestApprove::Auto => ApprovalMode::Auto,
            BacktestApprove::All => ApprovalMode::All,
            BacktestApprove::None => ApprovalMode::Manual,
        }
    }
}

/// `omni-tui backtest`'s options.
#[derive(Clone, Debug, clap::Args)]
pub struct BacktestArgs {
    /// Recordings or venue captures, as `replay` reads them (none: bar files).
    pub files: Vec<PathBuf>,
    /// Venue of capture-format files, e.g. binance.
    #[arg(long)]
    pub venue: Option<String>,
    /// INSTRUMENT=FILE[@+HH:MM]: minute (or other) bars of an instrument, any CSV layout the history loader reads (a folder is one series); repeatable. Default: the demo's series.
    #[arg(long = "bars", value_name = "INSTRUMENT=FILE")]
    pub bars: Vec<String>,
    /// INSTRUMENT=FILE[@+HH:MM]: with recordings, bars handed to the engine as history before the first replayed event (the ensemble and the forex scanner start warm); bars not closed by then are left out and counted. Repeatable. Bar input (--bars) is warmed by the bars before --from instead.
    #[arg(long = "history", value_name = "INSTRUMENT=FILE", value_parser = super::history_arg::parse)]
    pub history: Vec<crate::warm::HistoryArg>,
    /// Start: 2025-03-04 or 2025-03-04T07:00:00Z (default: the data's start).
    #[arg(long)]
    pub from: Option<String>,
    /// End, inclusive, as --from (default: the data's end).
    #[arg(long)]
    pub to: Option<String>,
    /// auto (the auto policy), all (every opportunity) or none.
    #[arg(long, value_enum, default_value_t = BacktestApprove::Auto)]
    pub approve: BacktestApprove,
    /// Seed of the paper broker (default: the config's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Print the report as JSON: every figure and the trade list.
    #[arg(long)]
    pub json: bool,
    /// Also write the equity and drawdown curves to this SVG file.
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
    /// Walk-forward: split the span into N folds by time and report each.
    #[arg(long, value_name = "N")]
    pub folds: Option<usize>,
    /// KEY=VALUE: set a numeric configuration key for this run; repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// KEY=V1,V2,…: run every combination of these values; repeatable.
    #[arg(long = "sweep", value_name = "KEY=V1,V2,…")]
    pub sweep: Vec<String>,
    /// The sweep table's ranking metric (sharpe, sortino, calmar, total_return, max_drawdown, win_rate, profit_factor, trades).
    #[arg(long, default_value = "sharpe")]
    pub rank: String,
}

/// `2025-03-04` (midnight UTC) or RFC 3339.
fn parse_time(flag: &str, s: &str) -> anyhow::Result<Timestamp> {
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        let dt = d.and_hms_opt(0, 0, 0).context("midnight")?.and_utc();
        return Ok(Timestamp::from_datetime(dt));
    }
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|dt| Timestamp::from_datetime(dt.to_utc()))
        .map_err(|_| anyhow::anyhow!("{flag} {s}: expected 2025-03-04 or 2025-03-04T07:00:00Z"))
}

/// `KEY=VALUE` of `--set`.
fn parse_set(arg: &str) -> anyhow::Result<(String, String)> {
    let axis = backtest::parse_axis(arg)
        .map_err(|e| anyhow::anyhow!("{}", e.to_string().replace("--sweep", "--set")))?;
    anyhow::ensure!(
        axis.values.len() == 1,
        "--set {arg}: one value (use --sweep for several)"
    );
    Ok((axis.key, axis.values[0].clone()))
}

/// The configuration file's text and where it came from.
fn base(config: Option<&Path>) -> anyhow::Result<(String, ConfigOrigin, PathBuf)> {
    match crate::config::locate(config) {
        Some(p) => {
            let text =
                std::fs::read_to_string(&p).with_context(|| format!("reading {}", p.display()))?;
            let dir = p
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
            Ok((text, ConfigOrigin::File(p), dir))
        }
        None => Ok((String::new(), ConfigOrigin::Defaults, PathBuf::from("."))),
    }
}

/// Runs the backtest and prints its report.
pub fn run(config: Option<&Path>, args: &BacktestArgs) -> anyhow::Result<()> {
    let (text, origin, dir) = base(config)?;
    let sets = args
        .set
        .iter()
        .map(|s| parse_set(s))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut loaded = if sets.is_empty() {
        setup::load_config(config)?
    } else {
        backtest::configure(&text, &origin, &dir, &sets)?
    };
    setup::on_real_data(&mut loaded);
    let seed = args.seed.unwrap_or(loaded.config.general.seed);
    let mode: ApprovalMode = args.approve.into();
    let scratch = tempfile::Builder::new()
        .prefix("omni-tui-backtest-")
        .tempdir()?;
    let input = if !args.files.is_empty() {
        anyhow::ensure!(args.bars.is_empty(), "give recordings or --bars, not both");
        Input::Recorded {
            files: args.files.clone(),
            venue: args.venue.clone(),
            history: crate::warm::load_history(&loaded, &args.history)?,
        }
    } else if !args.history.is_empty() {
        anyhow::bail!(
            "--history warms a replay of recordings; with bar input, the bars before --from warm the engine"
        );
    } else if args.bars.is_empty() {
        Input::Bars(run::demo_bars(&loaded, scratch.path())?)
    } else {
        let specs = args
            .bars
            .iter()
            .map(|b| {
                let (i, f) = b.split_once('=').ok_or_else(|| {
                    anyhow::anyhow!(
                        "--bars {b}: expected INSTRUMENT=FILE, e.g. BTC/USDT=btc_1m.csv"
                    )
                })?;
                // FILE@+HH:MM: its times are local at that offset.
                let arg = super::data::parse(f)?;
                Ok((i.to_string(), arg.path, arg.utc_offset_secs))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Input::Bars(run::load_bars(&loaded, &specs)?)
    };
    let from = args
        .from
        .as_deref()
        .map(|s| parse_time("--from", s))
        .transpose()?;
    let to = args
        .to
        .as_deref()
        .map(|s| parse_time("--to", s))
        .transpose()?;
    if let (Some(f), Some(t)) = (from, to) {
        anyhow::ensure!(f < t, "--from must be before --to");
    }
    if let Some(n) = args.folds {
        anyhow::ensure!(
            n >= 2,
            "--folds {n}: at least 2 (one fold is the whole run)"
        );
    }
    let files: Vec<String> = match &input {
        Input::Recorded { files, .. } => files.iter().map(|f| f.display().to_string()).collect(),
        Input::Bars(_) if args.bars.is_empty() => loaded
            .config
            .market
            .demo
            .series
            .iter()
            .filter(|s| !s.is_ratio())
            .map(|s| s.file.clone())
            .collect(),
        Input::Bars(_) => args.bars.clone(),
    };
    let setup = report::Setup {
        input: match input {
            Input::Bars(_) => "bars".into(),
            Input::Recorded { .. } => "recorded".into(),
        },
        files,
        approve: format!("{:?}", args.approve).to_lowercase(),
        seed,
    };

    if !args.sweep.is_empty() {
        anyhow::ensure!(
            args.folds.is_none() && args.plot.is_none(),
            "--sweep runs a table of results: --folds and --plot are for one run (run a row's command with them)"
        );
        return sweep(&text, &origin, &dir, &sets, &input, (from, to), mode, args);
    }

    let started = Instant::now();
    let outcome = run::run(&loaded, &input, from, to, mode, seed)?;
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "omni-tui backtest: {} market events in {:.3} s ({:.0} events/s)",
        outcome.market_events,
        secs,
        outcome.market_events as f64 / secs.max(1e-9)
    );
    let report = report::build(&loaded.catalog, setup, &outcome);
    let folds = match args.folds {
        Some(n) => {
            // The folds split the data's span, within --from and --to.
            let (a, b) = run::span(&loaded, &input)?;
            let span = (from.unwrap_or(a).max(a), to.unwrap_or(b).min(b));
            Some(backtest::walk_forward(
                &loaded, &input, span, n, mode, seed,
            )?)
        }
        None => None,
    };
    if let Some(p) = &args.plot {
        backtest::plot::svg(&report, p)?;
        eprintln!("omni-tui backtest: curves written to {}", p.display());
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        let v = serde_json::json!({ "report": report, "walk_forward": folds });
        let _ = writeln!(out, "{}", serde_json::to_string(&v)?);
    } else {
        let _ = write!(out, "{}", report::text(&report));
        if let Some(f) = &folds {
            let _ = write!(out, "{}", folds_text(f));
        }
    }
    Ok(())
}

fn folds_text(f: &backtest::FoldSpread) -> String {
    let mut s = format!(
        "\nwalk-forward, {} folds ({} made money)\n{:<22} {:<22} {:>9} {:>7} {:>8} {:>7} {:>9}\n",
        f.folds.len(),
        f.positive,
        "from",
        "to",
        "return",
        "Sharpe",
        "max DD",
        "trades",
        "win rate"
    );
    for x in &f.folds {
        if x.empty {
            s.push_str(&format!("{:<22} {:<22} no market data\n", x.from, x.to));
            continue;
        }
        s.push_str(&format!(
            "{:<22} {:<22} {:>+8.2}% {:>7.2} {:>+7.2}% {:>7} {:>8.1}%\n",
            x.from,
            x.to,
            x.total_return * 100.0,
            x.sharpe,
            -x.max_drawdown * 100.0,
            x.trades,
            x.win_rate * 100.0
        ));
    }
    s.push_str(&format!(
        "spread: return {:+.2}% / {:+.2}% / {:+.2}%, Sharpe {:.2} / {:.2} / {:.2} (min / median / max)\n",
        f.total_return[0] * 100.0,
        f.total_return[1] * 100.0,
        f.total_return[2] * 100.0,
        f.sharpe[0],
        f.sharpe[1],
        f.sharpe[2]
    ));
    s
}

/// The command line without `--sweep`, `--rank` and `--json`, to which a
/// row's `--set`s are added.
fn base_command() -> Vec<String> {
    let mut out = vec!["omni-tui".to_string()];
    let mut skip = false;
    for a in std::env::args().skip(1) {
        if skip {
            skip = false;
            continue;
        }
        if a == "--sweep" || a == "--rank" {
            skip = true;
            continue;
        }
        if a.starts_with("--sweep=") || a.starts_with("--rank=") || a == "--json" {
            continue;
        }
        out.push(shell_quoted(&a));
    }
    out
}

/// `s` as a shell reads it back: bare when it is plain, else in single
/// quotes.
fn shell_quoted(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@+%".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

#[allow(clippy::too_many_arguments)]
fn sweep(
    text: &str,
    origin: &ConfigOrigin,
    dir: &Path,
    sets: &[(String, String)],
    input: &Input,
    (from, to): (Option<Timestamp>, Option<Timestamp>),
    mode: ApprovalMode,
    args: &BacktestArgs,
) -> anyhow::Result<()> {
    let axes = args
        .sweep
        .iter()
        .map(|s| backtest::parse_axis(s))
        .collect::<anyhow::Result<Vec<_>>>()?;
    anyhow::ensure!(
        SweepRow::default().metric(&args.rank).is_some(),
        "--rank {}: one of {}",
        args.rank,
        backtest::RANK_METRICS
    );
    let combos = backtest::grid(&axes);
    // Each combination's configuration is checked before any run starts.
    let configs: Vec<(Vec<(String, String)>, LoadedConfig)> = combos
        .into_iter()
        .map(|c| {
            let mut all = sets.to_vec();
            all.extend(c.iter().cloned());
            let mut l = backtest::configure(text, origin, dir, &all)?;
            setup::on_real_data(&mut l);
            Ok((c, l))
        })
        .collect::<anyhow::Result<_>>()?;
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(configs.len());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let started = Instant::now();
    let mut rows: Vec<Option<anyhow::Result<SweepRow>>> =
        (0..configs.len()).map(|_| None).collect();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some((combo, loaded)) = configs.get(i) else {
                            break;
                        };
                        // A row's seed is its configuration's unless --seed
                        // says, as its printed command would run it.
                        let seed = args.seed.unwrap_or(loaded.config.general.seed);
                        let r = run::run(loaded, input, from, to, mode, seed).map(|o| {
                            let setup = report::Setup {
                                input: String::new(),
                                files: Vec::new(),
                                approve: String::new(),
                                seed,
                            };
                            SweepRow::of(combo.clone(), &report::build(&loaded.catalog, setup, &o))
                        });
                        done.push((i, r));
                    }
                    done
                })
            })
            .collect();
        for h in handles {
            if let Ok(done) = h.join() {
                for (i, r) in done {
                    rows[i] = Some(r);
                }
            }
        }
    });
    let mut table = Vec::with_capacity(rows.len());
    for r in rows {
        table.push(r.context("a sweep run did not finish")??);
    }
    eprintln!(
        "omni-tui backtest: {} runs on {threads} threads in {:.1} s",
        table.len(),
        started.elapsed().as_secs_f64()
    );
    // Best first; ties keep the grid's order.
    table.sort_by(|a, b| {
        // Undefined figures rank last.
        let key = |r: &SweepRow| r.metric(&args.rank).flatten().unwrap_or(f64::NEG_INFINITY);
        key(b).total_cmp(&key(a))
    });
    let command = base_command();
    let mut out = std::io::stdout().lock();
    if args.json {
        let _ = writeln!(out, "{}", serde_json::to_string(&table)?);
        return Ok(());
    }
    let _ = writeln!(
        out,
        "{:>3}  {:>9} {:>7} {:>7} {:>8} {:>7} {:>8}  settings",
        "#", "return", "Sharpe", "Sortino", "max DD", "trades", "win rate"
    );
    for (i, r) in table.iter().enumerate() {
        let settings = r
            .settings
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ");
        let _ = writeln!(
            out,
            "{:>3}  {:>+8.2}% {:>7.2} {:>7} {:>+7.2}% {:>7} {:>7.1}%  {settings}",
            i + 1,
            r.total_return * 100.0,
            r.sharpe,
            r.sortino.map_or("–".to_string(), |v| format!("{v:.2}")),
            -r.max_drawdown * 100.0,
            r.trades,
            r.win_rate * 100.0
        );
        let sets: Vec<String> = r
            .settings
            .iter()
            .flat_map(|(k, v)| ["--set".to_string(), format!("{k}={v}")])
            .collect();
        let _ = writeln!(out, "     {} {}", command.join(" "), sets.join(" "));
    }
    Ok(())
}
