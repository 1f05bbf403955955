//! Where the run's log goes: a file for the cockpit (which owns the
//! terminal, so nothing may print there while it runs) and for headless
//! runs (whose stdout is the summary); stderr for `omni-tui serve`, as a
//! service manager or container runtime expects. `--log-format json`
//! writes one JSON object per line for machines. The level comes from
//! `RUST_LOG` (default info).

use tracing_appender::non_blocking::{NonBlocking, WorkerGuard};

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

fn init(writer: NonBlocking, format: LogFormat) -> bool {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false);
    match format {
        LogFormat::Text => builder.try_init().is_ok(),
        LogFormat::Json => builder.json().flatten_event(true).try_init().is_ok(),
    }
}
