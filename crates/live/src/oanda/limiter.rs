//! OANDA's request budget, kept locally: OANDA asks for at most 100
//! requests a second per connection and publishes no rate headers, so
//! requests are spaced 10 ms apart; after a 429 nothing is sent until its
//! `Retry-After` has passed, since more requests would only prolong it.

use crate::api::ApiError;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The spacing that keeps to 100 requests a second.
const SPACING: Duration = Duration::from_millis(10);
/// Used when a 429 names no `Retry-After`.
const DEFAULT_BAN: Duration = Duration::from_secs(1);
/// The longest ban a header may impose (a wrong header must not stop us
/// for days).
const MAX_BAN: Duration = Duration::from_secs(3600);

#[derive(Default)]
struct Budget {
    /// The earliest start of the next request.
    next_slot: Option<Instant>,
    /// Set by a 429: nothing goes out before it.
    banned_until: Option<Instant>,
}

/// The shared budget of one account.
#[derive(Default)]
pub(crate) struct Limiter {
    budget: Mutex<Budget>,
}

impl Limiter {
    /// Refuses while a 429 ban lasts; otherwise reserves the next slot and
    /// returns how long to wait for it.
    pub(crate) fn admit(&self) -> Result<Duration, ApiError> {
        let now = Instant::now();
        let mut b = self.lock();
        if let Some(until) = b.banned_until {
            if until > now {
                return Err(ApiError::RateLimited {
                    retry_after_ms: ms_ceil(until - now),
                });
            }
            b.banned_until = None;
        }
        let slot = b.next_slot.filter(|s| *s > now).unwrap_or(now);
        b.next_slot = Some(slot + SPACING);
        Ok(slot - now)
    }

    /// Records a 429 (with its `Retry-After` seconds, if any) and returns
    /// the error to report.
    pub(crate) fn banned(&self, retry_after_s: Option<u64>) -> ApiError {
        let ban = retry_after_s
            .map(Duration::from_secs)
            .filter(|d| !d.is_zero())
            .unwrap_or(DEFAULT_BAN)
            .min(MAX_BAN);
        self.lock().banned_until = Some(Instant::now() + ban);
        ApiError::RateLimited {
            retry_after_ms: ms_ceil(ban),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Budget> {
        // The budget holds two instants; a panic elsewhere cannot leave it
        // half-written, so a poisoned lock is still good.
        self.budget
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// OANDA's limit on new connections: at most this many ...
const CONNECTIONS_PER_WINDOW: usize = 2;
/// ... within any window this long; a little margin is added, so that
/// the broker, which sees a connection a moment after we start it, never
/// counts three in one second.
const CONNECTION_WINDOW: Duration = Duration::from_millis(1050);

/// The starts of this account's recent connections (REST and stream): a
/// new one waits until fewer than two started in the last second.
#[derive(Default)]
pub(crate) struct ConnectionGate {
    starts: Mutex<std::collections::VecDeque<Instant>>,
}

impl ConnectionGate {
    /// Reserves the start of one new connection and waits for it.
    pub(crate) async fn slot(&self) {
        let wait = self.reserve(Instant::now());
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }

    /// Books the earliest start at or after `now` that keeps to the
    /// limit; returns how long after `now` it is.
    fn reserve(&self, now: Instant) -> Duration {
        let mut starts = self
            .starts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Starts are booked in order, so the last two are all that count.
        let mut at = now;
        if starts.len() >= CONNECTIONS_PER_WINDOW {
            at = at.max(starts[starts.len() - CONNECTIONS_PER_WINDOW] + CONNECTION_WINDOW);
        }
        if let Some(last) = starts.back() {
            at = at.max(*last);
        }
        starts.push_back(at);
        while starts.len() > CONNECTIONS_PER_WINDOW {
            starts.pop_front();
        }
        at - now
    }
}

fn ms_ceil(d: Duration) -> u64 {
    u64::try_from(d.as_micros().div_ceil(1000)).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_spaced_to_a_hundred_a_second() {
        let l = Limiter::default();
        let waits: Vec<Duration> = (0..5).map(|_| l.admit().unwrap()).collect();
        assert_eq!(waits[0], Duration::ZERO);
        assert!(waits[4] > Duration::from_millis(35) && waits[4] <= Duration::from_millis(40));
    }

    #[test]
    fn no_more_than_two_connections_start_in_a_second() {
        let g = ConnectionGate::default();
        let t0 = Instant::now();
        let starts: Vec<Duration> = (0..5).map(|_| g.reserve(t0)).collect();
        assert_eq!(starts[0], Duration::ZERO);
        assert_eq!(starts[1], Duration::ZERO);
        assert_eq!(starts[2], CONNECTION_WINDOW);
        assert_eq!(starts[3], CONNECTION_WINDOW);
        assert_eq!(starts[4], CONNECTION_WINDOW * 2);
        // Long after, a connection starts at once.
        assert_eq!(g.reserve(t0 + Duration::from_secs(10)), Duration::ZERO);
    }

    #[test]
    fn a_429_stops_everything_until_retry_after() {
        let l = Limiter::default();
        assert_eq!(
            l.banned(Some(3)),
            ApiError::RateLimited {
                retry_after_ms: 3000
            }
        );
        assert!(
            matches!(l.admit(), Err(ApiError::RateLimited { retry_after_ms }) if retry_after_ms <= 3000)
        );
        let l = Limiter::default();
        assert_eq!(
            l.banned(None),
            ApiError::RateLimited {
                retry_after_ms: 1000
            }
        );
    }
}
