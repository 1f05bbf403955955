//! MEXC's published request limits, kept on our side so a busy order
//! manager waits for a slot instead of drawing a 429.
//!
//! MEXC limits each endpoint on its own: "each endpoint with IP limits has
//! an independent 500 every 10 second limit", the same for UID limits,
//! counted in the endpoint's weight (an order 1, a query 2, open orders 3,
//! the account, trades and exchangeInfo 10). `GET /api/v3/account` is
//! also limited to 2 requests a second. We keep 10 % below each budget
//! (the venue counts arrivals, we count sends). A request that would wait
//! longer than the caller allows is refused as [`ApiError::RateLimited`];
//! a 429 or 418 bans every endpoint until its `Retry-After` has passed.

use crate::api::ApiError;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// MEXC's window and budget per endpoint.
const WINDOW: Duration = Duration::from_secs(10);
const BUDGET: u32 = 500;
/// Kept below the venue's budget.
const USABLE: u32 = BUDGET * 9 / 10;
/// `GET /api/v3/account`: 2 a second.
const ACCOUNT_PER_SECOND: usize = 2;

/// An endpoint's weight in MEXC's doc (`Weight(IP)`).
pub fn weight(method: &str, path: &str) -> u32 {
    match (method, path) {
        ("GET", "/api/v3/order") => 2,
        ("GET", "/api/v3/openOrders") => 3,
        ("GET", "/api/v3/account" | "/api/v3/myTrades" | "/api/v3/exchangeInfo") => 10,
        _ => 1,
    }
}

#[derive(Default)]
struct State {
    /// Per endpoint: when each request was sent and its weight.
    sent: HashMap<String, VecDeque<(Instant, u32)>>,
    /// Account requests in the last second.
    account: VecDeque<Instant>,
    banned_until: Option<Instant>,
}

/// The limiter of one account.
#[derive(Default)]
pub struct Limiter {
    state: Mutex<State>,
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

impl Limiter {
    /// Waits for a slot for `method path` (at most `max_wait`), or says
    /// why not.
    pub async fn acquire(
        &self,
        method: &str,
        path: &str,
        max_wait: Duration,
    ) -> Result<(), ApiError> {
        let deadline = Instant::now() + max_wait;
        loop {
            let wait = self.try_take(method, path)?;
            let Some(wait) = wait else {
                return Ok(());
            };
            let now = Instant::now();
            if now + wait > deadline {
                return Err(ApiError::RateLimited {
                    retry_after_ms: ms(wait),
                });
            }
            tokio::time::sleep(wait).await;
        }
    }

    /// Takes a slot now (`None`), or says how long until one frees.
    fn try_take(&self, method: &str, path: &str) -> Result<Option<Duration>, ApiError> {
        let Ok(mut s) = self.state.lock() else {
            // A panicked holder: limiting is a courtesy, sending goes on.
            return Ok(None);
        };
        let now = Instant::now();
        if let Some(until) = s.banned_until {
            if now < until {
                return Err(ApiError::RateLimited {
                    retry_after_ms: ms(until - now),
                });
            }
            s.banned_until = None;
        }
        let is_account = method == "GET" && path == "/api/v3/account";
        if is_account {
            while s
                .account
                .front()
                .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
            {
                s.account.pop_front();
            }
            if s.account.len() >= ACCOUNT_PER_SECOND
                && let Some(first) = s.account.front()
            {
                return Ok(Some(Duration::from_secs(1) - now.duration_since(*first)));
            }
        }
        let w = weight(method, path);
        let q = s.sent.entry(format!("{method} {path}")).or_default();
        while q
            .front()
            .is_some_and(|(t, _)| now.duration_since(*t) >= WINDOW)
        {
            q.pop_front();
        }
        let used: u32 = q.iter().map(|(_, w)| *w).sum();
        if used + w > USABLE
            && let Some((first, _)) = q.front()
        {
            return Ok(Some(WINDOW - now.duration_since(*first)));
        }
        q.push_back((now, w));
        if is_account {
            s.account.push_back(now);
        }
        Ok(None)
    }

    /// Stops every request until `retry_after` has passed (a 429 or 418).
    pub fn ban(&self, retry_after: Duration) {
        if let Ok(mut s) = self.state.lock() {
            s.banned_until = Some(Instant::now() + retry_after);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_account_waits_for_its_per_second_slot() {
        let l = Limiter::default();
        let t0 = Instant::now();
        for _ in 0..3 {
            l.acquire("GET", "/api/v3/account", Duration::from_secs(2))
                .await
                .unwrap();
        }
        assert!(t0.elapsed() >= Duration::from_millis(900));
        // Two more at once: the second of a second's pair is refused at
        // the latest.
        let a = l.acquire("GET", "/api/v3/account", Duration::ZERO).await;
        let b = l.acquire("GET", "/api/v3/account", Duration::ZERO).await;
        assert!(
            matches!(a, Err(ApiError::RateLimited { .. }))
                || matches!(b, Err(ApiError::RateLimited { .. })),
            "{a:?} {b:?}"
        );
    }

    #[tokio::test]
    async fn a_full_endpoint_refuses_beyond_the_wait() {
        let l = Limiter::default();
        for _ in 0..USABLE {
            l.acquire("POST", "/api/v3/order", Duration::ZERO)
                .await
                .unwrap();
        }
        assert!(matches!(
            l.acquire("POST", "/api/v3/order", Duration::from_millis(10))
                .await,
            Err(ApiError::RateLimited { .. })
        ));
        // Another endpoint has its own budget.
        l.acquire("DELETE", "/api/v3/order", Duration::ZERO)
            .await
            .unwrap();
        l.ban(Duration::from_secs(5));
        assert!(matches!(
            l.acquire("DELETE", "/api/v3/order", Duration::ZERO).await,
            Err(ApiError::RateLimited { retry_after_ms }) if retry_after_ms > 4000
        ));
    }
}
