//! Where the run's log goes: a file for the cockpit (which owns the
//! terminal, so nothing may print there while it runs) and for headless
//! runs (whose stdout is the summary); stderr for `omni-tui serve`, as a
//! service manager or container runtime expects. `--log-format json`
//! writes one JSON object per line for machines. The level comes from
//! `RUST_LOG` (default info), except for the transport crates that could
//! log a secret ([`TRANSPORT_CRATES`]).

use tracing_appender::non_blocking::{NonBlocking, WorkerGuard};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// How each line is written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// `2026-12-01T10:00:00Z  INFO omni::audit: fill order=12 …`
    #[default]
    Text,
    /// One JSON object per line, fields as keys.
    Json,
}

/// The log file: `$XDG_STATE_HOME/omni-tui/omni-tui.log`.
pub fn file_path() -> Option<std::path::PathBuf> {
    Some(
        dirs::state_dir()
            .or_else(dirs::data_dir)?
            .join("omni-tui")
            .join("omni-tui.log"),
    )
}

/// Logs to [`file_path`]. Keep the guard alive: dropping it flushes the
/// file. `None` if there is no state directory or a logger is already set.
pub fn to_file(format: LogFormat) -> Option<WorkerGuard> {
    let path = file_path()?;
    let dir = path.parent()?;
    std::fs::create_dir_all(dir).ok()?;
    let appender = tracing_appender::rolling::never(dir, "omni-tui.log");
    // Not lossy: under a burst the writer waits rather than drop an audit line.
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .finish(appender);
    init(writer, format).then_some(guard)
}

/// Logs to stderr (the service).
pub fn to_stderr(format: LogFormat) -> Option<WorkerGuard> {
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .finish(std::io::stderr());
    init(writer, format).then_some(guard)
}

/// Crates that speak to venues log what they send at debug and trace:
/// WebSocket frames that carry API keys (Binance's stream login, Alpaca's
/// auth), headers with tokens. They are held at info whatever `RUST_LOG`
/// asks, so no level setting can put a secret in the log.
pub const TRANSPORT_CRATES: [&str; 7] = [
    "tungstenite",
    "tokio_tungstenite",
    "hyper",
    "hyper_util",
    "reqwest",
    "h2",
    "rustls",
];

fn transport_cap() -> Targets {
    TRANSPORT_CRATES.iter().fold(
        Targets::new().with_default(LevelFilter::TRACE),
        |t, krate| t.with_target(*krate, LevelFilter::INFO),
    )
}

fn init(writer: NonBlocking, format: LogFormat) -> bool {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(writer)
        .with_ansi(false);
    let registry = tracing_subscriber::registry();
    match format {
        LogFormat::Text => registry
            .with(layer.with_filter(filter).with_filter(transport_cap()))
            .try_init()
            .is_ok(),
        LogFormat::Json => registry
            .with(
                layer
                    .json()
                    .flatten_event(true)
                    .with_filter(filter)
                    .with_filter(transport_cap()),
            )
            .try_init()
            .is_ok(),
    }
}
