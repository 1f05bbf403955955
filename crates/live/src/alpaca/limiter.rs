//! Alpaca's request budget as its headers report it, kept locally so a
//! 429 is not followed by more requests that would only prolong the ban.
//!
//! After a 429 nothing is sent until the reset time. When
//! `X-Ratelimit-Remaining` reaches 0, requests that are not orders (queries,
//! positions, account) wait for the reset, so the last of the budget is
//! left to placing and cancelling.

use crate::api::ApiError;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The longest a non-order request waits for the budget to come back;
/// Alpaca's window is one minute, so a longer wait means a wrong header.
const MAX_PAUSE: Duration = Duration::from_secs(61);
/// Used when a 429 names no reset time.
const DEFAULT_BAN: Duration = Duration::from_secs(1);

#[derive(Default)]
struct Budget {
    /// Set by a 429: nothing goes out before it.
    banned_until: Option<Instant>,
    /// Set when the remaining budget reached 0: non-order requests wait.
    exhausted_until: Option<Instant>,
}

/// The shared budget of one account.
#[derive(Default)]
pub(crate) struct Limiter {
    budget: Mutex<Budget>,
}

/// What a request must do before it is sent.
pub(crate) enum Gate {
    Go,
    Wait(Duration),
}

impl Limiter {
    /// Refuses while a 429 ban lasts; tells a non-order request how long
    /// to wait when the budget is spent.
    pub(crate) fn admit(&self, is_order: bool) -> Result<Gate, ApiError> {
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
        match b.exhausted_until {
            Some(until) if until > now => {
                if is_order {
                    Ok(Gate::Go)
                } else if until - now > MAX_PAUSE {
                    Err(ApiError::RateLimited {
                        retry_after_ms: ms_ceil(until - now),
                    })
                } else {
                    Ok(Gate::Wait(until - now))
                }
            }
            Some(_) => {
                b.exhausted_until = None;
                Ok(Gate::Go)
            }
            None => Ok(Gate::Go),
        }
    }

    /// Reads `X-Ratelimit-Remaining`/`-Reset` of any answer.
    pub(crate) fn observe(&self, headers: &reqwest::header::HeaderMap) {
        let remaining = header_u64(headers, "x-ratelimit-remaining");
        if remaining == Some(0) {
            let until = header_u64(headers, "x-ratelimit-reset")
                .map(until_epoch)
                .unwrap_or_else(|| Instant::now() + DEFAULT_BAN);
            self.lock().exhausted_until = Some(until);
        }
    }

    /// Records a 429 and returns the error to report.
    pub(crate) fn banned(&self, headers: &reqwest::header::HeaderMap) -> ApiError {
        let now = Instant::now();
        let from_reset = header_u64(headers, "x-ratelimit-reset").map(until_epoch);
        let from_retry =
            header_u64(headers, "retry-after").map(|s| now + Duration::from_secs(s.min(3600)));
        let until = from_reset
            .or(from_retry)
            .filter(|u| *u > now)
            .unwrap_or(now + DEFAULT_BAN);
        self.lock().banned_until = Some(until);
        ApiError::RateLimited {
            retry_after_ms: ms_ceil(until - now),
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

fn header_u64(headers: &reqwest::header::HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// The instant of an epoch-seconds time (capped at an hour ahead, so a
/// wrong clock cannot ban us for days).
fn until_epoch(epoch_s: u64) -> Instant {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let at_ms = u128::from(epoch_s) * 1000;
    let ahead = u64::try_from(at_ms.saturating_sub(now_ms)).unwrap_or(u64::MAX);
    Instant::now() + Duration::from_millis(ahead.min(3_600_000))
}

fn ms_ceil(d: Duration) -> u64 {
    u64::try_from(d.as_micros().div_ceil(1000)).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};

    fn headers(pairs: &[(&'static str, String)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn epoch_s() -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
    }

    #[test]
    fn a_spent_budget_pauses_reads_but_not_orders() {
        let l = Limiter::default();
        l.observe(&headers(&[("x-ratelimit-remaining", "5".into())]));
        assert!(matches!(l.admit(false), Ok(Gate::Go)));
        l.observe(&headers(&[
            ("x-ratelimit-remaining", "0".into()),
            ("x-ratelimit-reset", (epoch_s() + 20).to_string()),
        ]));
        assert!(matches!(l.admit(true), Ok(Gate::Go)));
        match l.admit(false) {
            Ok(Gate::Wait(d)) => {
                assert!(d > Duration::from_secs(18) && d <= Duration::from_secs(21))
            }
            _ => panic!("a read waits for the reset"),
        }
    }

    #[test]
    fn a_429_bans_everything_until_reset_or_retry_after() {
        let l = Limiter::default();
        let e = l.banned(&headers(&[("retry-after", "7".into())]));
        assert!(
            matches!(e, ApiError::RateLimited { retry_after_ms } if (6_900..=7_000).contains(&retry_after_ms))
        );
        assert!(matches!(l.admit(true), Err(ApiError::RateLimited { .. })));
        assert!(matches!(l.admit(false), Err(ApiError::RateLimited { .. })));
        // No usable header: a short default ban, not none.
        let l = Limiter::default();
        let e = l.banned(&headers(&[("x-ratelimit-reset", "garbage".into())]));
        assert_eq!(
            e,
            ApiError::RateLimited {
                retry_after_ms: 1000
            }
        );
    }
}
