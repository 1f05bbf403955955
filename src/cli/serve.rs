//! `omni-tui serve`: the engine as a long-running service, with no
//! terminal: the configured source (demo, live; or a replay) until SIGTERM,
//! SIGINT or SIGHUP, the control API always on, the log on stderr.

use crate::launch;
use crate::launch::ReplayArgs;
use crate::setup;
use crate::signals::StopSignals;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// How often the service looks for a stop signal.
const POLL: Duration = Duration::from_millis(100);

/// `omni-tui serve`'s options.
#[derive(Clone, Debug, Default)]
pub struct ServeArgs {
    pub config: Option<PathBuf>,
    pub db: Option<PathBuf>,
    /// Listen here instead of `[control] listen`.
    pub listen: Option<SocketAddr>,
    /// Replay these files instead of the configured source.
    pub replay: Option<ReplayArgs>,
    /// `--live`: accounts on real-money endpoints may start (after a
    /// typed confirmation read from stdin).
    pub live: bool,
}

/// Runs until a stop signal; then stops the API, the engine (flushing the
/// store) and the feeds. A stop signal is how a service is meant to end,
/// so it exits 0; a failure to flush the store does not.
pub fn run(args: &ServeArgs) -> anyhow::Result<()> {
    let signals = StopSignals::install()?;
    // Refused before anything starts: no run is opened in the database.
    if let Some(a) = args.listen {
        crate::control::config::loopback_only(a)
            .map_err(|why| anyhow::anyhow!("--listen: {why}"))?;
    }
    let mut loaded = setup::load_config(args.config.as_deref())?;
    launch::confirm_live(
        &loaded,
        args.live,
        &mut std::io::stdin().lock(),
        &mut std::io::stderr(),
    )?;
    let started = launch::start(
        &mut loaded,
        args.replay.as_ref(),
        args.db.as_deref(),
        "serve",
    )?;
    let (api, token_path) = match launch::control_api(&loaded, &started.engine, args.listen) {
        Ok(a) => a,
        Err(e) => {
            let _ = started.stop();
            return Err(e);
        }
    };
    // Ready once the engine has published its first state (the demo's
    // run-up, a restored database), so the first read is a real one.
    let mut first = started.engine.snapshots.clone();
    while first.borrow_and_update().version == 0 {
        if signals.received().is_some() {
            break;
        }
        if first.has_changed().is_err() {
            api.stop();
            return started
                .stop()
                .and_then(|()| anyhow::bail!("the engine stopped before it published its state"));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    // One line a supervisor or a script can read: where to reach it.
    let ready = format!(
        "omni-tui serve: {} on http://{} (token in {}); database {}",
        started.label,
        api.addr(),
        token_path.display(),
        started.db.display()
    );
    let mut out = std::io::stdout();
    let _ = writeln!(out, "{ready}").and_then(|()| out.flush());
    tracing::info!(
        source = %started.label,
        api = %api.addr(),
        db = %started.db.display(),
        "service started"
    );
    // The audit records for the cockpit's log pane are not needed here
    // (the sink logs them); the channel is drained so it never grows.
    let result = loop {
        while started.engine.log.try_recv().is_ok() {}
        if let Some(signal) = signals.received() {
            tracing::info!(%signal, "service stopping");
            break Ok(());
        }
        if started.engine.snapshots.has_changed().is_err() {
            break Err(anyhow::anyhow!("the engine thread stopped"));
        }
        std::thread::sleep(POLL);
    };
    // The engine stops first: a stop signal means stop trading now; the
    // API then answers 503 to whatever is still asking.
    let stopped = started.stop();
    api.stop();
    tracing::info!("service stopped");
    match (result, stopped) {
        (Err(e), Ok(())) => Err(e),
        (Err(e), Err(flush)) => Err(flush.context(e.to_string())),
        (Ok(()), s) => s,
    }
}
