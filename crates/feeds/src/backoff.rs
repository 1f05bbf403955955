//! Jittered exponential backoff between reconnection attempts.

use omni_core::random::SimRng;
use std::time::Duration;

/// Delays that double from `min` to `max`, each drawn uniformly from the
/// upper half of the current step ("equal jitter"): never zero, never in
/// lockstep with other clients.
#[derive(Debug)]
pub struct Backoff {
    min: Duration,
    max: Duration,
    step: Duration,
    rng: SimRng,
}

impl Backoff {
    /// 1 s to 60 s for the venues; tests use shorter.
    pub fn new(min: Duration, max: Duration, seed: u64) -> Self {
        Self {
            min,
            max,
            step: min,
            rng: SimRng::new(seed, 0xBAC0),
        }
    }

    /// The next delay; each call doubles the step, up to `max`.
    pub fn next_delay(&mut self) -> Duration {
        let half = self.step.as_secs_f64() / 2.0;
        let d = Duration::from_secs_f64(half + self.rng.range(0.0, half));
        self.step = (self.step * 2).min(self.max);
        d
    }

    /// Back to the shortest delay (after a healthy connection).
    pub fn reset(&mut self) {
        self.step = self.min;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_to_the_cap_with_jitter() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(60), 1);
        let d: Vec<f64> = (0..10).map(|_| b.next_delay().as_secs_f64()).collect();
        let steps = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0, 60.0, 60.0];
        for (x, s) in d.iter().zip(steps) {
            assert!(*x >= s / 2.0 && *x <= s, "{x} not in [{}, {s}]", s / 2.0);
        }
        b.reset();
        assert!(b.next_delay() <= Duration::from_secs(1));
    }
}
