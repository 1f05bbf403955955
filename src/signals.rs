//! SIGINT, SIGTERM and SIGHUP as a request to stop cleanly. The handlers
//! only set a flag; the cockpit's event loop and headless runs poll it,
//! then restore the terminal, stop the engine thread (which flushes the
//! store) and exit with 128 + the signal's number. A second signal while
//! that is under way ends the process at once, with the same code.

use signal_hook::consts::{SIGINT, SIGTERM};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// The signals that ask for a clean stop.
#[cfg(unix)]
const STOP_SIGNALS: [i32; 3] = [signal_hook::consts::SIGHUP, SIGINT, SIGTERM];
#[cfg(not(unix))]
const STOP_SIGNALS: [i32; 2] = [SIGINT, SIGTERM];

/// The stop signals' flag, polled by a loop.
#[derive(Clone, Debug)]
pub struct StopSignals {
    /// The number of the last stop signal received; 0 before any.
    which: Arc<AtomicUsize>,
}

impl StopSignals {
    /// Installs the handlers: from now on SIGINT, SIGTERM and SIGHUP no
    /// longer kill the process, they set the flag [`Self::received`] reads.
    pub fn install() -> anyhow::Result<Self> {
        let which = Arc::new(AtomicUsize::new(0));
        let seen = Arc::new(AtomicBool::new(false));
        for sig in STOP_SIGNALS {
            // Registered first, so it sees the flag the first signal sets
            // only from the second signal on.
            let code = 128 + sig;
            signal_hook::flag::register_conditional_shutdown(sig, code, seen.clone())?;
            signal_hook::flag::register(sig, seen.clone())?;
            signal_hook::flag::register_usize(sig, which.clone(), sig as usize)?;
        }
        Ok(Self { which })
    }

    /// The stop signal received, if any.
    pub fn received(&self) -> Option<Interrupted> {
        match self.which.load(Ordering::SeqCst) {
            0 => None,
            n => Some(Interrupted {
                signal: i32::try_from(n).unwrap_or(SIGTERM),
            }),
        }
    }
}

/// The run stopped because of a signal: the error a command returns so the
/// process exits with [`Interrupted::exit_code`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("stopped by {}", signal_name(*signal))]
pub struct Interrupted {
    /// The signal's number.
    pub signal: i32,
}

impl Interrupted {
    /// 128 + the signal's number, as a shell reports a process the signal
    /// killed (130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP).
    pub fn exit_code(&self) -> u8 {
        u8::try_from(128 + self.signal).unwrap_or(u8::MAX)
    }
}

/// `SIGTERM`, `SIGINT`, `SIGHUP`, or `signal N`.
pub fn signal_name(signal: i32) -> String {
    match signal {
        SIGINT => "SIGINT".into(),
        SIGTERM => "SIGTERM".into(),
        #[cfg(unix)]
        signal_hook::consts::SIGHUP => "SIGHUP".into(),
        n => format!("signal {n}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_and_names() {
        let i = Interrupted { signal: SIGTERM };
        assert_eq!(i.exit_code(), 143);
        assert_eq!(i.to_string(), "stopped by SIGTERM");
        assert_eq!(Interrupted { signal: SIGINT }.exit_code(), 130);
    }
}
