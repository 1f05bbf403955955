//! A thread asleep until there is work: whoever hands it work rings the
//! bell, so it waits on the bell instead of waking to look. The engine's
//! thread sleeps on one (rung by requests, live feeds and live brokers,
//! through omni-core's [`Ring`]); the cockpit's loop on another (rung by
//! keys and snapshots).

use omni_core::market::Ring;
use std::sync::{Condvar, Mutex};
use std::time::Duration;

/// Rung by producers (a feed that queued market events, a sender of
/// operator requests); waited on by the one thread that consumes them.
/// Rings between two waits merge into one.
#[derive(Debug, Default)]
pub struct Doorbell {
    rung: Mutex<bool>,
    cv: Condvar,
}

impl Doorbell {
    /// Wakes the waiting thread, or makes its next wait return at once.
    pub fn ring(&self) {
        // A poisoned lock still holds its flag.
        let mut rung = self.rung.lock().unwrap_or_else(|p| p.into_inner());
        if !*rung {
            *rung = true;
            self.cv.notify_one();
        }
    }

    /// Sleeps until the bell rings or `timeout` passes; true if it rang.
    /// Either way the bell is quiet again afterwards.
    pub fn wait(&self, timeout: Duration) -> bool {
        let rung = self.rung.lock().unwrap_or_else(|p| p.into_inner());
        let (mut rung, _) = self
            .cv
            .wait_timeout_while(rung, timeout, |r| !*r)
            .unwrap_or_else(|p| p.into_inner());
        std::mem::replace(&mut *rung, false)
    }
}

impl Ring for Doorbell {
    fn ring(&self) {
        Doorbell::ring(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn a_ring_before_the_wait_is_not_lost_and_rings_merge() {
        let bell = Doorbell::default();
        bell.ring();
        bell.ring();
        assert!(bell.wait(Duration::from_secs(5)));
        assert!(!bell.wait(Duration::from_millis(1)), "two rings, one wake");
    }

    #[test]
    fn a_ring_from_another_thread_wakes_the_sleeper() {
        let bell = Arc::new(Doorbell::default());
        let ringer = Arc::clone(&bell);
        let h = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            ringer.ring();
        });
        // A timeout would return false: the ring woke it.
        assert!(bell.wait(Duration::from_secs(30)));
        h.join().unwrap();
    }
}
