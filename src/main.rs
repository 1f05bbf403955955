//! The `omni-tui` binary: argument parsing and dispatch. Everything else
//! lives in the library.

use clap::{Parser, Subcommand};
use omni_tui::cli;
use omni_tui::cli::args::{ApproveArg, ModelArg};
use omni_tui::cli::logging::LogFormat;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(name = "omni-tui", version, about = "A terminal trading cockpit")]
struct Cli {
    /// Configuration file (default: ./omni.toml, then $XDG_CONFIG_HOME/omni-tui/omni.toml, then the built-in demo).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// SQLite database (default: $XDG_DATA_HOME/omni-tui/omni.db; headless: a temporary one).
    #[arg(long, global = true)]
    db: Option<PathBuf>,
    /// Allow accounts on real-money endpoints (you are asked to type LIVE).
    #[arg(long, global = true)]
    live: bool,
    /// Log lines as text or as JSON objects (the log file; serve: stderr).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Run the engine without a terminal UI and print a summary.
    Headless {
        /// Seed for the demo market and paper broker (default: the config's).
        #[arg(long)]
        seed: Option<u64>,
        /// Market events to process.
        #[arg(long, default_value_t = 100_000)]
        events: u64,
        /// manual approves nothing, all approves everything (the gate still decides), auto applies the auto policy.
        #[arg(long, value_enum, default_value_t = ApproveArg::Manual)]
        approve: ApproveArg,
        /// Fire the kill switch after this many market events, then keep running.
        #[arg(long)]
        kill_after: Option<u64>,
        /// Print one JSON object instead of the text summary.
        #[arg(long)]
        json: bool,
        /// Seconds to run a live source (required for live), or of market time to replay.
        #[arg(long)]
        duration: Option<f64>,
    },
    /// Record every raw frame of the enabled feeds, with its receive time.
    Record {
        /// The file (gzip-compressed if it ends in .gz).
        #[arg(long)]
        out: PathBuf,
        /// Seconds to record.
        #[arg(long, default_value_t = 60.0)]
        duration: f64,
    },
    /// Replay recordings (or venue captures) through the engine: the cockpit, or --headless to the end.
    Replay {
        /// Recordings or captures; several are merged by receive time.
        #[arg(required = true, num_args = 1..)]
        files: Vec<PathBuf>,
        /// Venue of capture-format files (`<ns> <frame>` lines), e.g. binance.
        #[arg(long)]
        venue: Option<String>,
        /// Market seconds per wall second in the cockpit (default: [market.replay] speed, 1).
        #[arg(long, value_parser = positive_speed)]
        speed: Option<f64>,
        /// As fast as the CPU allows.
        #[arg(long)]
        max: bool,
        /// No cockpit: run to the end and print the summary.
        #[arg(long)]
        headless: bool,
        /// Print the summary as JSON (with --headless).
        #[arg(long)]
        json: bool,
        /// Approval: manual, all or auto (with --headless).
        #[arg(long, value_enum, default_value_t = ApproveArg::Manual)]
        approve: ApproveArg,
        /// Seed of the paper broker.
        #[arg(long)]
        seed: Option<u64>,
        /// INSTRUMENT=FILE[@+HH:MM]: bars (any CSV layout the history loader reads; a folder is
        /// one series) handed to the engine as history before the first replayed event, so the
        /// ensemble and the forex scanner start warm; bars not closed by then are left out and
        /// counted. Repeatable (one per instrument and timeframe).
        #[arg(long = "history", value_name = "INSTRUMENT=FILE", value_parser = omni_tui::cli::history_arg::parse)]
        history: Vec<omni_tui::warm::HistoryArg>,
    },
    /// Run as a service: no terminal, the control API on, until SIGTERM.
    Serve {
        /// Listen here instead of [control] listen (a loopback address; port 0: any free one).
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
        /// Replay these files instead of the configured source.
        #[arg(long, num_args = 1..)]
        replay: Vec<PathBuf>,
        /// Venue of capture-format replay files.
        #[arg(long)]
        venue: Option<String>,
    },
    /// Speak to a running instance (serve, or the cockpit with [control] enabled).
    Ctl(cli::ctl::CtlArgs),
    /// Past data through the live engine: metrics, curves, walk-forward folds, sweeps.
    Backtest(cli::backtest::BacktestArgs),
    /// Print the closed trades from the database, with totals per account.
    Trades(cli::trades::TradesArgs),
    /// Train the horizon models on historical bars and write their files.
    Train {
        /// Which model: short, medium, long or all.
        #[arg(long, value_enum, default_value_t = ModelArg::All)]
        model: ModelArg,
        /// A CSV file or a directory of them (one series); append @+HH:MM when its times are local,
        /// and ,OTHER files of the same instrument on other venues.
        #[arg(long, required = true, num_args = 1..)]
        data: Vec<String>,
        /// Features the trained models read, comma-separated: names, or `bar` (the 15 bar
        /// features), `cross_venue` (xv_premium, xv_ret_1), `order_flow` (taker_buy), `book`.
        #[arg(long, value_delimiter = ',', default_value = "bar")]
        features: Vec<String>,
        /// Directory for the model files.
        #[arg(long)]
        out: PathBuf,
        /// Seed of resampling and minibatch order.
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Members per bag.
        #[arg(long, default_value_t = 16)]
        members: usize,
    },
    /// Score the models on historical bars: accuracy, Brier skill, calibration, decisiveness, intervals, baselines.
    Eval(cli::eval::EvalArgs),
    /// Check the configuration and say which file it came from.
    Config,
    /// Measure the whole headless pipeline: events/s and per-event latency.
    Bench {
        /// Market events per pass.
        #[arg(long, default_value_t = 1_000_000)]
        events: u64,
        /// Seed.
        #[arg(long)]
        seed: Option<u64>,
        /// Cockpit frames to draw at 200x50 after the pipeline passes (0 skips).
        #[arg(long, default_value_t = 2000)]
        frames: usize,
        /// Control API round trips of each kind (0 skips).
        #[arg(long, default_value_t = 0)]
        api: usize,
    },
}

/// `--speed`: a positive, finite number.
fn positive_speed(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!("`{s}` is not a positive number")),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Cmd::Headless {
            seed,
            events,
            approve,
            kill_after,
            json,
            duration,
        }) => {
            let _guard = omni_tui::cli::logging::to_file(cli.log_format);
            cli::headless::run(&cli::headless::HeadlessArgs {
                config: cli.config,
                db: cli.db,
                seed,
                events,
                approve: approve.into(),
                kill_after,
                json,
                duration,
                replay: None,
                history: Vec::new(),
                live: cli.live,
            })
            .map(|_| ())
        }
        Some(Cmd::Record { out, duration }) => {
            let _guard = omni_tui::cli::logging::to_file(cli.log_format);
            cli::record::run(cli.config.as_deref(), &out, duration)
        }
        Some(Cmd::Replay {
            files,
            venue,
            speed,
            max,
            headless,
            json,
            approve,
            seed,
            history,
        }) => {
            if headless {
                cli::headless::run(&cli::headless::HeadlessArgs {
                    config: cli.config,
                    db: cli.db,
                    seed,
                    events: u64::MAX,
                    approve: approve.into(),
                    kill_after: None,
                    json,
                    duration: None,
                    replay: Some((files, venue)),
                    history,
                    live: cli.live,
                })
                .map(|_| ())
            } else {
                let _guard = omni_tui::cli::logging::to_file(cli.log_format);
                omni_tui::cockpit::run(&omni_tui::cockpit::CockpitArgs {
                    config: cli.config,
                    db: cli.db,
                    live: cli.live,
                    replay: Some(omni_tui::cockpit::run::ReplayArgs {
                        files,
                        venue,
                        speed: if max {
                            Some(omni_tui::cockpit::run::MAX_SPEED)
                        } else {
                            speed
                        },
                        history,
                    }),
                })
            }
        }
        Some(Cmd::Serve {
            listen,
            replay,
            venue,
        }) => {
            let _guard = omni_tui::cli::logging::to_stderr(cli.log_format);
            cli::serve::run(&cli::serve::ServeArgs {
                config: cli.config,
                db: cli.db,
                live: cli.live,
                listen,
                replay: (!replay.is_empty()).then_some(omni_tui::cockpit::run::ReplayArgs {
                    files: replay,
                    venue,
                    speed: None,
                    history: Vec::new(),
                }),
            })
        }
        Some(Cmd::Backtest(args)) => cli::backtest::run(cli.config.as_deref(), &args),
        Some(Cmd::Ctl(args)) => cli::ctl::run(cli.config.as_deref(), &args),
        Some(Cmd::Trades(args)) => cli::trades::run(cli.db.as_deref(), &args),
        Some(Cmd::Bench {
            events,
            seed,
            frames,
            api,
        }) => cli::bench::run(events, seed, cli.config.clone()).and_then(|()| {
            if api > 0 {
                cli::bench_api::run(api, cli.config.as_deref())?;
            }
            if frames == 0 {
                return Ok(());
            }
            let seed = seed.unwrap_or(7);
            cli::bench_frame::run(frames, seed, cli.config.as_deref())?;
            cli::bench_parse::run(200_000);
            Ok(())
        }),
        Some(Cmd::Train {
            model,
            data,
            out,
            seed,
            members,
            features,
        }) => cli::train::run(model, &data, &out, seed, members, &features),
        Some(Cmd::Eval(args)) => cli::eval::run(&args),
        Some(Cmd::Config) => omni_tui::setup::load_config(cli.config.as_deref()).and_then(|l| {
            // What the run opens besides the files the configuration names.
            let db = omni_tui::setup::database_path(cli.db.as_deref())?;
            println!("configuration: {}", l.origin);
            println!(
                "{} venues, {} instruments, {} accounts, {} routes; market source {:?}",
                l.catalog.venues.len(),
                l.catalog.instruments.len(),
                l.catalog.accounts.len(),
                l.config.routes.len(),
                l.config.market.source
            );
            println!("database: {}", db.display());
            Ok(())
        }),
        None => {
            let _guard = omni_tui::cli::logging::to_file(cli.log_format);
            omni_tui::cockpit::run(&omni_tui::cockpit::CockpitArgs {
                config: cli.config,
                db: cli.db,
                replay: None,
                live: cli.live,
            })
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Not eprintln!: after SIGHUP the terminal may be gone, and a
            // failed write must not turn the exit code into a panic's.
            // `{:#}` prints each context, then the error. The project's
            // convention keeps a cause from being said twice: an error
            // type's text states its cause, and the type exposes no
            // `source()` (no field named `source`, no `#[source]`/`#[from]`
            // beside a `{0}`), so the chain has nothing to repeat.
            let _ = writeln!(std::io::stderr(), "omni-tui: {e:#}");
            // Stopped cleanly by a signal: 128 + its number, as a shell
            // reports a process that signal killed; any other error: 2.
            match e.downcast_ref::<omni_tui::signals::Interrupted>() {
                Some(i) => ExitCode::from(i.exit_code()),
                None => ExitCode::from(2),
            }
        }
    }
}
