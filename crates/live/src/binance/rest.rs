//! Binance's REST transport: signing, the clock offset, the rate-limit
//! gates, and classifying every answer for the order manager.
//!
//! Two gates keep us inside Binance's limits, because a venue that is
//! pushed further answers 429 and then bans the IP (418):
//! - after a 429/418 nothing is sent until its `Retry-After` has passed;
//!   every call returns [`ApiError::RateLimited`] at once instead;
//! - the `X-MBX-USED-WEIGHT-1M` header of each answer is tracked, and while
//!   it is above 90% of the `REQUEST_WEIGHT` per-minute limit (from
//!   exchangeInfo's `rateLimits`) non-order requests (queries, account,
//!   open orders) are refused locally until the minute rolls over; order
//!   requests still go, so a cancel or a flatten is never held back by
//!   polling.

use super::sign;
use super::wire::ErrorBody;
use crate::api::ApiError;
use crate::secret::Credentials;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Binance's default `REQUEST_WEIGHT` per minute, used until exchangeInfo
/// tells the account's own.
const DEFAULT_WEIGHT_LIMIT: u64 = 6000;

/// What a request came to, before classification by the caller (which
/// knows, e.g., that `-2011` on a cancel means "unknown order").
#[derive(Debug)]
pub enum Failure {
    /// Binance answered with its error body.
    Venue { status: u16, code: i64, msg: String },
    /// Already classified (transport failure, rate limit, 5xx, …).
    Api(ApiError),
}

impl Failure {
    /// The general classification of a failure.
    pub fn into_api(self) -> ApiError {
        match self {
            Failure::Api(e) => e,
            Failure::Venue { status, code, msg } => classify(status, code, msg),
        }
    }
}

/// Classifies a Binance error body (see the adapter's module docs).
pub fn classify(status: u16, code: i64, msg: String) -> ApiError {
    match code {
        -2010 if msg == "Duplicate order sent." => ApiError::DuplicateClientId,
        // The API key, its IP whitelist or permissions, or the signature.
        -1022 | -2014 | -2015 => ApiError::Auth(format!("{code}: {msg}")),
        // "Unknown error" / "Timeout waiting for response from backend
        // server. Send status unknown; execution status unknown."
        -1006 | -1007 => ApiError::OutcomeUnknown(format!("{code}: {msg}")),
        _ if status >= 500 => ApiError::OutcomeUnknown(format!("HTTP {status} {code}: {msg}")),
        _ => ApiError::Refused {
            code: code.to_string(),
            message: msg,
        },
    }
}

/// Whether a request may be held back by the weight gate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Placing or cancelling: only the ban gate applies.
    Order,
    /// Everything else.
    Other,
}

#[derive(Debug, Default)]
struct Gate {
    banned_until: Option<Instant>,
    used_weight: u64,
    /// The venue minute (ms / 60000) `used_weight` was reported in.
    weight_minute: i64,
    weight_limit: u64,
}

/// The signed REST client of one account.
pub struct Rest {
    http: reqwest::Client,
    base: String,
    creds: Credentials,
    recv_window_ms: u64,
    offset_ms: AtomicI64,
    gate: Mutex<Gate>,
}

fn system_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

impl Rest {
    pub fn new(
        base: &str,
        creds: Credentials,
        recv_window_ms: u64,
        timeout: Duration,
    ) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()
            .map_err(|e| format!("http client: {e}"))?;
        Ok(Self {
            http,
            base: base.trim_end_matches('/').to_string(),
            creds,
            recv_window_ms,
            offset_ms: AtomicI64::new(0),
            gate: Mutex::new(Gate {
                weight_limit: DEFAULT_WEIGHT_LIMIT,
                ..Gate::default()
            }),
        })
    }

    pub fn credentials(&self) -> &Credentials {
        &self.creds
    }

    /// Our clock corrected to the venue's, in ms since the epoch.
    pub fn now_ms(&self) -> i64 {
        system_ms() + self.offset_ms.load(Ordering::Relaxed)
    }

    /// The measured offset (venue minus local), ms.
    pub fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::Relaxed)
    }

    /// Sets the per-minute `REQUEST_WEIGHT` limit (from exchangeInfo).
    pub fn set_weight_limit(&self, limit: u64) {
        if let Ok(mut g) = self.gate.lock() {
            g.weight_limit = limit;
        }
    }

    /// Measures the offset to the venue's clock with `GET /api/v3/time`,
    /// taking the midpoint of the round trip as the moment it answered.
    pub async fn sync_time(&self) -> Result<(), ApiError> {
        let t0 = system_ms();
        let v = self
            .send(
                Method::GET,
                "/api/v3/time",
                String::new(),
                false,
                Kind::Other,
            )
            .await
            .map_err(Failure::into_api)?;
        let t1 = system_ms();
        let server = v
            .get("serverTime")
            .and_then(Value::as_i64)
            .ok_or_else(|| ApiError::OutcomeUnknown("time: no serverTime".into()))?;
        self.offset_ms
            .store(server - (t0 + t1) / 2, Ordering::Relaxed);
        Ok(())
    }

    /// An unsigned GET.
    pub async fn public(&self, path: &str, params: &[(&str, String)]) -> Result<Value, Failure> {
        self.send(Method::GET, path, sign::query(params), false, Kind::Other)
            .await
    }

    /// A signed request. A `-1021` (timestamp outside the receive window)
    /// means the venue did nothing, so the clock is re-measured and the
    /// request sent once more, with the same parameters (for an order: the
    /// same client id).
    pub async fn signed(
        &self,
        method: Method,
        path: &str,
        params: &[(&str, String)],
        kind: Kind,
    ) -> Result<Value, Failure> {
        match self.signed_once(method.clone(), path, params, kind).await {
            Err(Failure::Venue { code: -1021, .. }) => {
                tracing::warn!(
                    path,
                    "binance: timestamp refused (-1021); re-syncing the clock"
                );
                self.sync_time().await.map_err(Failure::Api)?;
                self.signed_once(method, path, params, kind).await
            }
            other => other,
        }
    }

    async fn signed_once(
        &self,
        method: Method,
        path: &str,
        params: &[(&str, String)],
        kind: Kind,
    ) -> Result<Value, Failure> {
        let mut q = sign::query(params);
        if !q.is_empty() {
            q.push('&');
        }
        q.push_str(&format!(
            "recvWindow={}&timestamp={}",
            self.recv_window_ms,
            self.now_ms()
        ));
        let sig = sign::sign(&self.creds.secret, &q);
        q.push_str("&signature=");
        q.push_str(&sig);
        self.send(method, path, q, true, kind).await
    }

    /// Refuses locally while banned or over the weight threshold.
    fn check_gates(&self, kind: Kind) -> Result<(), ApiError> {
        let Ok(mut g) = self.gate.lock() else {
            return Ok(());
        };
        if let Some(until) = g.banned_until {
            let now = Instant::now();
            if now < until {
                let ms = u64::try_from((until - now).as_millis()).unwrap_or(u64::MAX);
                return Err(ApiError::RateLimited {
                    retry_after_ms: ms.max(1),
                });
            }
            g.banned_until = None;
        }
        if kind == Kind::Other && g.weight_limit > 0 {
            let now = self.now_ms();
            let minute = now.div_euclid(60_000);
            if minute == g.weight_minute && g.used_weight * 10 > g.weight_limit * 9 {
                let ms = u64::try_from(60_000 - now.rem_euclid(60_000)).unwrap_or(60_000);
                return Err(ApiError::RateLimited { retry_after_ms: ms });
            }
        }
        Ok(())
    }

    fn note_weight(&self, headers: &reqwest::header::HeaderMap) {
        let used = headers
            .get("x-mbx-used-weight-1m")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if let (Some(used), Ok(mut g)) = (used, self.gate.lock()) {
            g.used_weight = used;
            g.weight_minute = self.now_ms().div_euclid(60_000);
        }
    }

    fn ban(&self, retry_after_ms: u64) {
        if let Ok(mut g) = self.gate.lock() {
            g.banned_until = Some(Instant::now() + Duration::from_millis(retry_after_ms));
        }
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        query: String,
        signed: bool,
        kind: Kind,
    ) -> Result<Value, Failure> {
        self.check_gates(kind).map_err(Failure::Api)?;
        let url = if query.is_empty() {
            format!("{}{path}", self.base)
        } else {
            format!("{}{path}?{query}", self.base)
        };
        let mut rb = self.http.request(method, url);
        if signed {
            rb = rb.header("X-MBX-APIKEY", self.creds.key.expose());
        }
        let resp = rb.send().await.map_err(|e| Failure::Api(transport(e)))?;
        let status = resp.status();
        self.note_weight(resp.headers());
        if status == StatusCode::TOO_MANY_REQUESTS || status.as_u16() == 418 {
            let secs = resp
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                // Binance always sends Retry-After; without one, back off
                // a minute rather than hammer a venue that is shedding us.
                .unwrap_or(60);
            let ms = secs.saturating_mul(1000);
            self.ban(ms);
            return Err(Failure::Api(ApiError::RateLimited { retry_after_ms: ms }));
        }
        let body = resp.bytes().await.map_err(|e| {
            Failure::Api(ApiError::OutcomeUnknown(format!(
                "reading the answer: {}",
                e.without_url()
            )))
        })?;
        if status.is_success() {
            return serde_json::from_slice::<Value>(&body).map_err(|e| {
                Failure::Api(ApiError::OutcomeUnknown(format!(
                    "HTTP {status} with an unreadable body: {e}"
                )))
            });
        }
        match serde_json::from_slice::<ErrorBody>(&body) {
            Ok(b) => Err(Failure::Venue {
                status: status.as_u16(),
                code: b.code,
                msg: b.msg,
            }),
            // Not Binance's error body (a proxy, a gateway): nothing says
            // the request did nothing.
            Err(_) => Err(Failure::Api(ApiError::OutcomeUnknown(format!(
                "HTTP {status} without an error body"
            )))),
        }
    }
}

/// A transport failure: a connection that never opened means the request
/// never left; anything later (timeout, reset) may have reached the venue.
pub(crate) fn transport(e: reqwest::Error) -> ApiError {
    let e = e.without_url();
    if e.is_connect() {
        ApiError::Unreachable(e.to_string())
    } else if e.is_timeout() {
        ApiError::OutcomeUnknown(format!("timed out: {e}"))
    } else {
        ApiError::OutcomeUnknown(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_binance_codes() {
        assert_eq!(
            classify(400, -2010, "Duplicate order sent.".into()),
            ApiError::DuplicateClientId
        );
        assert!(matches!(
            classify(400, -2010, "Account has insufficient balance for requested action.".into()),
            ApiError::Refused { code, .. } if code == "-2010"
        ));
        assert!(matches!(
            classify(401, -2015, "x".into()),
            ApiError::Auth(_)
        ));
        assert!(matches!(
            classify(400, -1022, "x".into()),
            ApiError::Auth(_)
        ));
        assert!(matches!(
            classify(503, -1007, "x".into()),
            ApiError::OutcomeUnknown(_)
        ));
        assert!(matches!(
            classify(500, -1000, "x".into()),
            ApiError::OutcomeUnknown(_)
        ));
        assert!(matches!(
            classify(400, -1013, "Filter failure: LOT_SIZE".into()),
            ApiError::Refused { .. }
        ));
    }
}
