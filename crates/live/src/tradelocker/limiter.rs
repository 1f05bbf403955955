//! Per-route request budgets, as `/trade/config` publishes them in
//! `rateLimits` (`GET_ORDERS` 1 per second, `PLACE_ORDER` 2 per second,
//! …): a sliding window per route, so a request waits for its slot instead
//! of drawing a 429. A 429 that still comes bans its route until
//! `Retry-After` has passed.
//!
//! Routes the config does not name (cancels, closes, config, auth) are not
//! limited here.

use super::wire::RateLimit;
use crate::api::ApiError;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Added to every window: the broker counts arrivals, we count sends, and
/// the two clocks see a request a few ms apart.
const MARGIN: Duration = Duration::from_millis(60);
/// A request that would wait longer than this for its slot is refused as
/// rate limited instead (a minute-long window must not freeze the order
/// manager's worker).
const MAX_WAIT: Duration = Duration::from_secs(10);

/// The routes of TradeLocker's rate limits that this adapter calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Route {
    GetInstruments,
    GetInstrumentDetails,
    GetOrders,
    GetOrdersHistory,
    GetExecutions,
    GetPositions,
    GetAccountsState,
    PlaceOrder,
}

impl Route {
    /// The name `rateLimits` uses.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Route::GetInstruments => "GET_INSTRUMENTS",
            Route::GetInstrumentDetails => "GET_INSTRUMENT_DETAILS",
            Route::GetOrders => "GET_ORDERS",
            Route::GetOrdersHistory => "GET_ORDERS_HISTORY",
            Route::GetExecutions => "GET_EXECUTIONS",
            Route::GetPositions => "GET_POSITIONS",
            Route::GetAccountsState => "GET_ACCOUNTS_STATE",
            Route::PlaceOrder => "PLACE_ORDER",
        }
    }
}

struct Window {
    limit: usize,
    per: Duration,
    sent: VecDeque<Instant>,
    banned_until: Option<Instant>,
}

impl Window {
    /// Takes a slot now, or says how long until one frees.
    fn take(&mut self, now: Instant) -> Option<Duration> {
        if let Some(until) = self.banned_until {
            if until > now {
                return Some(until - now);
            }
            self.banned_until = None;
        }
        let span = self.per + MARGIN;
        while self
            .sent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= span)
        {
            self.sent.pop_front();
        }
        if self.sent.len() < self.limit {
            self.sent.push_back(now);
            return None;
        }
        self.sent.front().map(|first| (*first + span) - now)
    }
}

/// The budgets of one account.
#[derive(Default)]
pub(crate) struct Limiter {
    windows: Mutex<HashMap<String, Window>>,
}

impl Limiter {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Window>> {
        // Windows hold instants only; a panic elsewhere cannot leave one
        // half-written, so a poisoned lock is still good.
        self.windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Sets the budgets from `rateLimits` (keeping what was already spent
    /// on a route whose budget is unchanged).
    pub(crate) fn configure(&self, limits: &[RateLimit]) {
        let mut w = self.lock();
        for l in limits {
            let limit = usize::try_from(l.limit).unwrap_or(usize::MAX);
            match w.get_mut(&l.route) {
                Some(old) if old.limit == limit && old.per == l.per => {}
                _ => {
                    w.insert(
                        l.route.clone(),
                        Window {
                            limit,
                            per: l.per,
                            sent: VecDeque::new(),
                            banned_until: None,
                        },
                    );
                }
            }
        }
    }

    /// Waits for a slot of `route` (none needed for an unlimited route);
    /// refuses when the wait would exceed [`MAX_WAIT`].
    pub(crate) async fn acquire(&self, route: Option<Route>) -> Result<(), ApiError> {
        let Some(route) = route else {
            return Ok(());
        };
        loop {
            let wait = match self.lock().get_mut(route.as_str()) {
                None => return Ok(()),
                Some(w) => w.take(Instant::now()),
            };
            match wait {
                None => return Ok(()),
                Some(d) if d > MAX_WAIT => {
                    return Err(ApiError::RateLimited {
                        retry_after_ms: u64::try_from(d.as_millis()).unwrap_or(u64::MAX),
                    });
                }
                Some(d) => tokio::time::sleep(d).await,
            }
        }
    }

    /// Records a 429 on `route`: nothing more goes there for `ban`.
    pub(crate) fn ban(&self, route: Option<Route>, ban: Duration) {
        let Some(route) = route else {
            return;
        };
        let mut w = self.lock();
        let entry = w.entry(route.as_str().to_string()).or_insert(Window {
            limit: usize::MAX,
            per: Duration::from_secs(1),
            sent: VecDeque::new(),
            banned_until: None,
        });
        entry.banned_until = Some(Instant::now() + ban);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_route_gets_its_limit_per_window_and_then_waits() {
        let l = Limiter::default();
        l.configure(&[RateLimit {
            route: "GET_ORDERS".into(),
            limit: 2,
            per: Duration::from_millis(200),
        }]);
        let start = Instant::now();
        for _ in 0..5 {
            l.acquire(Some(Route::GetOrders)).await.unwrap();
        }
        // 2 at once, 2 after one window, 1 after two.
        assert!(start.elapsed() >= Duration::from_millis(2 * 260 - 20));
        // Another route is not limited.
        let t = Instant::now();
        l.acquire(Some(Route::PlaceOrder)).await.unwrap();
        assert!(t.elapsed() < Duration::from_millis(50));
    }

    #[tokio::test]
    async fn a_ban_longer_than_the_cap_is_refused_at_once() {
        let l = Limiter::default();
        l.ban(Some(Route::GetPositions), Duration::from_secs(60));
        assert!(matches!(
            l.acquire(Some(Route::GetPositions)).await,
            Err(ApiError::RateLimited { .. })
        ));
    }
}
