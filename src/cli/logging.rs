//! Logging to a file: the cockpit owns the terminal, so nothing may print
//! there while it runs.

use tracing_appender::non_blocking::WorkerGuard;

/// Logs to `$XDG_STATE_HOME/omni-tui/omni-tui.log` (level from `RUST_LOG`,
/// default info). Keep the guard alive: dropping it flushes the file.
pub fn to_file() -> Option<WorkerGuard> {
    let dir = dirs::state_dir().or_else(dirs::data_dir)?.join("omni-tui");
    std::fs::create_dir_all(&dir).ok()?;
    let appender = tracing_appender::rolling::never(&dir, "omni-tui.log");
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .ok()?;
    Some(guard)
}
