//! `omni-tui` with no subcommand: the terminal owner's loop.

use crate::app::log::{LOG_ROWS, LogCursor, TradeLog, read_log_page};
use crate::app::{self, AppState, keymap};
use crate::engine_thread::EngineThread;
use crate::engine_thread::doorbell::Doorbell;
use crate::setup;
use crate::signals::{Interrupted, StopSignals};
use crate::ui;
use crossterm::event::{self, Event, KeyEventKind};
use omni_core::domain::Catalog;
use ratatui::DefaultTerminal;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{self, TryRecvError};
use std::time::{Duration, Instant};

/// At most this many frames a second.
const FRAME: Duration = Duration::from_millis(33);

/// The longest the loop sleeps with nothing to draw: the engine publishes
/// a snapshot at least once a second, and keys and snapshots ring the bell
/// it sleeps on, so this only bounds how late a stop signal is seen.
const IDLE_WAKE: Duration = Duration::from_secs(1);

/// Where the cockpit runs.
#[derive(Clone, Debug, Default)]
pub struct CockpitArgs {
    /// `--config`: the configuration file; `None` searches the default places.
    pub config: Option<PathBuf>,
    /// `--db`: the SQLite database; `None` uses the default path.
    pub db: Option<PathBuf>,
    /// Replay these files instead of the configured source.
    pub replay: Option<ReplayArgs>,
    /// `--live`: accounts on real-money endpoints may start (after a
    /// typed confirmation).
    pub live: bool,
}

pub use crate::app::snapshot::MAX_SPEED;

pub use crate::launch::{PREROLL_SECS, ReplayArgs};

/// Opens the cockpit and runs until the user quits, or until SIGINT,
/// SIGTERM or SIGHUP: then the terminal is restored, the engine thread
/// stopped (the store flushed) and the error is
/// [`Interrupted`](crate::signals::Interrupted), whose exit code is 128 +
/// the signal's number.
pub fn run(args: &CockpitArgs) -> anyhow::Result<()> {
    let signals = StopSignals::install()?;
    let mut loaded = setup::load_config(args.config.as_deref())?;
    crate::launch::confirm_live(
        &loaded,
        args.live,
        &mut std::io::stdin().lock(),
        &mut std::io::stderr(),
    )?;
    need_terminal(
        std::io::stdin().is_terminal(),
        std::io::stdout().is_terminal(),
        args.replay.is_some(),
    )?;
    let started = crate::launch::start(
        &mut loaded,
        args.replay.as_ref(),
        args.db.as_deref(),
        "cockpit",
    )?;
    // The control API, when configured; a failure to start it stops the
    // run before the terminal is taken, with the reason.
    let api = if loaded.config.control.enabled {
        match crate::launch::control_api(&loaded, &started.engine, None) {
            Ok((server, _)) => Some(server),
            Err(e) => {
                let _ = started.stop();
                return Err(e);
            }
        }
    } else {
        None
    };
    let db = started.db.clone();
    let engine = &started.engine;
    let reader = omni_store::open_read_only(&db)?;
    // `TERM=dumb` promises no colour and no more than ASCII.
    let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
    let no_color = dumb || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let mut app = AppState::new(no_color, db.display().to_string());
    app.ascii = dumb;
    // Earlier runs' rows, read once; this run's arrive from the engine.
    app.log = TradeLog::new(engine.run_id);
    let before = LogCursor {
        run: engine.run_id,
        seq: 0,
    };
    app.log
        .extend_older(read_log_page(&reader, Some(before), LOG_ROWS)?, LOG_ROWS);
    tracing::info!(db = %db.display(), "cockpit started");

    let mut terminal = ratatui::try_init()?;
    // Clicks and the wheel; without this the terminal scrolls its own
    // history instead.
    let mouse = crossterm::execute!(std::io::stdout(), crossterm::event::EnableMouseCapture);
    let result = ui_loop(
        &mut terminal,
        &mut app,
        engine,
        &reader,
        &loaded.catalog,
        &signals,
        loaded.config.alerts.bell,
    );
    if mouse.is_ok() {
        // Best effort: the terminal is being handed back either way.
        let _ = crossterm::execute!(std::io::stdout(), crossterm::event::DisableMouseCapture);
    }
    ratatui::restore();
    // The engine first (trading stops now), then the API (at most its
    // grace period for requests under way).
    let stopped = started.stop();
    if let Some(api) = api {
        api.stop();
    }
    tracing::info!("cockpit stopped");
    match result {
        Ok(Some(signal)) => {
            tracing::info!(%signal, "cockpit stopped by a signal");
            // The signal decides the exit code; a failure to flush is
            // still reported beside it.
            match stopped {
                Ok(()) => Err(signal.into()),
                Err(e) => Err(e.context(signal)),
            }
        }
        Ok(None) => stopped,
        Err(e) => Err(e),
    }
}

/// The cockpit reads keys from stdin and draws on stdout: without a
/// terminal on both it refuses in a sentence, before it opens the store
/// (the terminal library's own error would be `No such device or address
/// (os error 6)`), and points to the run that needs none.
pub fn need_terminal(stdin: bool, stdout: bool, replay: bool) -> anyhow::Result<()> {
    let which = match (stdin, stdout) {
        (true, true) => return Ok(()),
        (false, false) => "stdin and stdout are not terminals",
        (false, true) => "stdin is not a terminal",
        (true, false) => "stdout is not a terminal",
    };
    let instead = if replay {
        "`omni-tui replay --headless FILE...`"
    } else {
        "`omni-tui headless`"
    };
    anyhow::bail!("the cockpit needs a terminal ({which}); run {instead} for a run without one")
}

/// The terminal's input, read on a thread of its own. crossterm's reader
/// never returns once the terminal hangs up (it retries the read that sees
/// the end of input), so a loop reading it directly would never see the
/// SIGHUP that came with the hang-up; read here, it cannot stall the loop,
/// and the thread ends with the process. A read error is sent, then the
/// thread stops. Each event rings `bell`, which the loop sleeps on.
fn spawn_input(bell: Arc<Doorbell>) -> anyhow::Result<mpsc::Receiver<std::io::Result<Event>>> {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("input".into())
        .spawn(move || {
            loop {
                let ev = event::read();
                let failed = ev.is_err();
                let sent = tx.send(ev).is_ok();
                bell.ring();
                if !sent || failed {
                    break;
                }
            }
        })?;
    Ok(rx)
}

fn ui_loop(
    terminal: &mut DefaultTerminal,
    app: &mut AppState,
    engine: &EngineThread,
    reader: &rusqlite::Connection,
    catalog: &Catalog,
    signals: &StopSignals,
    bell: bool,
) -> anyhow::Result<Option<Interrupted>> {
    // Keys and the engine's snapshots ring one bell: the loop sleeps on it
    // and wakes only when there is something to show.
    let wake = Arc::clone(&engine.published);
    let input = spawn_input(Arc::clone(&wake))?;
    let mut snapshots = engine.snapshots.clone();
    let mut last_draw = Instant::now() - FRAME;
    let mut dirty = true;
    let mut last_touch: Option<Instant> = None;
    let size = terminal.size()?;
    app.area = ratatui::layout::Rect::new(0, 0, size.width, size.height);
    app.too_small = size.width < crate::ui::MIN_WIDTH || size.height < crate::ui::MIN_HEIGHT;
    loop {
        let timeout = if dirty {
            FRAME.saturating_sub(last_draw.elapsed())
        } else {
            IDLE_WAKE
        };
        if !timeout.is_zero() {
            wake.wait(timeout);
        }
        let first = match input.try_recv() {
            Ok(ev) => Some(ev),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => anyhow::bail!("the terminal's input stopped"),
        };
        if let Some(first) = first {
            // The operator is here: the engine refreshes at full rate.
            if last_touch.is_none_or(|t| t.elapsed() >= Duration::from_secs(1)) {
                engine.touch()?;
                last_touch = Some(Instant::now());
            }
            // Keys act only on what is drawn: below the minimum size nothing
            // is, and only K and q work.
            let size = terminal.size()?;
            app.area = ratatui::layout::Rect::new(0, 0, size.width, size.height);
            app.too_small =
                size.width < crate::ui::MIN_WIDTH || size.height < crate::ui::MIN_HEIGHT;
            let mut next = Some(first);
            while let Some(ev) = next {
                match ev? {
                    Event::Key(k) if k.kind == KeyEventKind::Press => {
                        if let Some(a) = keymap::action_for(app, k)
                            && let Some(cmd) = app::update(app, a)
                        {
                            engine.send(cmd)?;
                        }
                        dirty = true;
                    }
                    Event::Mouse(m) => {
                        if let Some(a) = keymap::mouse_action(app, m)
                            && let Some(cmd) = app::update(app, a)
                        {
                            engine.send(cmd)?;
                        }
                        dirty = true;
                    }
                    Event::Resize(w, h) => {
                        app.area = ratatui::layout::Rect::new(0, 0, w, h);
                        app.too_small = w < crate::ui::MIN_WIDTH || h < crate::ui::MIN_HEIGHT;
                        dirty = true;
                    }
                    _ => {}
                }
                next = input.try_recv().ok();
            }
        }
        if app.quit {
            return Ok(None);
        }
        for p in std::mem::take(&mut app.pace) {
            engine.pace(p)?;
        }
        if let Some(signal) = signals.received() {
            return Ok(Some(signal));
        }
        match snapshots.has_changed() {
            Ok(true) => {
                app.set_snapshot(snapshots.borrow_and_update().clone());
                dirty = true;
            }
            Ok(false) => {}
            Err(_) => anyhow::bail!("the engine stopped"),
        }
        while let Ok(events) = engine.log.try_recv() {
            app.log.apply(catalog, &events);
            if bell
                && events
                    .iter()
                    .any(|e| matches!(e.audit, omni_core::engine::Audit::Alert { .. }))
            {
                // BEL between frames: the terminal rings; nothing is drawn.
                use std::io::Write;
                let mut out = std::io::stdout();
                let _ = out.write_all(b"\x07").and_then(|()| out.flush());
            }
            if let Some(n) = crate::app::notice::from_events(catalog, &events) {
                app.notify(n, Instant::now());
            }
            dirty = true;
        }
        dirty |= app.expire(Instant::now());
        dirty |= crate::app::log_view::page_in(&mut app.log, &app.log_view, reader)?;
        if dirty && last_draw.elapsed() >= FRAME {
            terminal.draw(|f| ui::draw(f, app))?;
            last_draw = Instant::now();
            dirty = false;
        }
    }
}
