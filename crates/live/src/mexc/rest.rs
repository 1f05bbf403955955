//! MEXC's signed REST client: `X-MEXC-APIKEY`, every parameter in the
//! query string (POST and DELETE included, with an empty body, as MEXC
//! allows and ccxt does), `recvWindow` and `timestamp` last but one and
//! `signature` last; the signature is the lowercase hex HMAC-SHA256 of
//! the query string exactly as sent (MEXC's `totalParams` with an empty
//! body). A clock offset measured with `GET /api/v3/time` corrects the
//! timestamp; MEXC's `700003` (outside the receive window) re-measures it
//! and sends once more.

use super::limiter::Limiter;
use super::wire::ErrorBody;
use crate::api::ApiError;
use crate::binance::sign as hmac;
use crate::secret::Credentials;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Without `Retry-After` on a 429, back off this long rather than hammer
/// a venue that is shedding us.
const DEFAULT_RETRY_AFTER_S: u64 = 60;
/// The longest a request waits for a slot of the limiter (an account
/// request waits up to a second for MEXC's 2 a second) before it is
/// refused as rate limited.
const LIMIT_WAIT: Duration = Duration::from_secs(2);

/// What a request came to, before classification by the caller (which
/// knows, e.g., that `-2011` on a cancel means "unknown order").
#[derive(Debug)]
pub enum Failure {
    /// MEXC answered with its error body.
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

    /// The venue's code, when it answered with one.
    pub fn code(&self) -> Option<i64> {
        match self {
            Failure::Venue { code, .. } => Some(*code),
            Failure::Api(_) => None,
        }
    }
}

/// Classifies a MEXC error body (see the adapter's module docs).
pub fn classify(status: u16, code: i64, msg: String) -> ApiError {
    match code {
        // Key format, signature, IP whitelist, permission; "api key
        // required", "No authority", "Access Denied", "Signature
        // verification failed", "invalid access key".
        700001 | 700002 | 700006 | 700007 | 400 | 401 | 403 | 602 | 10072 => {
            ApiError::Auth(format!("{code}: {msg}"))
        }
        // "Too Many Requests" in a body rather than an HTTP 429.
        429 => ApiError::RateLimited {
            retry_after_ms: DEFAULT_RETRY_AFTER_S * 1000,
        },
        // "Internal error", "service not available", "Gateway Time-out",
        // "Internal system error": the request may have been carried out.
        500 | 503 | 504 | 20002 => ApiError::OutcomeUnknown(format!("{code}: {msg}")),
        _ if status >= 500 => ApiError::OutcomeUnknown(format!("HTTP {status} {code}: {msg}")),
        _ => ApiError::Refused {
            code: code.to_string(),
            message: msg,
        },
    }
}

/// The signed REST client of one account.
pub struct Rest {
    http: reqwest::Client,
    base: String,
    creds: Credentials,
    recv_window_ms: u64,
    offset_ms: AtomicI64,
    /// The longest a request waits for a slot of the limiter.
    max_wait: Duration,
    limiter: Limiter,
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
            max_wait: LIMIT_WAIT,
            limiter: Limiter::default(),
        })
    }

    /// Our clock corrected to the venue's, in ms since the epoch.
    pub fn now_ms(&self) -> i64 {
        system_ms() + self.offset_ms.load(Ordering::Relaxed)
    }

    /// The measured offset (venue minus local), ms.
    pub fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::Relaxed)
    }

    /// Measures the offset to the venue's clock with `GET /api/v3/time`,
    /// taking the midpoint of the round trip as the moment it answered.
    pub async fn sync_time(&self) -> Result<(), ApiError> {
        let t0 = system_ms();
        let v = self
            .send(Method::GET, "/api/v3/time", String::new(), false)
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
        self.send(Method::GET, path, hmac::query(params), false)
            .await
    }

    /// A signed request. A `700003` (timestamp outside the receive window)
    /// means the venue did nothing, so the clock is re-measured and the
    /// request sent once more with the same parameters (for an order: the
    /// same client id).
    pub async fn signed(
        &self,
        method: Method,
        path: &str,
        params: &[(&str, String)],
    ) -> Result<Value, Failure> {
        match self.signed_once(method.clone(), path, params).await {
            Err(Failure::Venue { code: 700003, .. }) => {
                tracing::warn!(
                    path,
                    "mexc: timestamp refused (700003); re-syncing the clock"
                );
                self.sync_time().await.map_err(Failure::Api)?;
                self.signed_once(method, path, params).await
            }
            other => other,
        }
    }

    async fn signed_once(
        &self,
        method: Method,
        path: &str,
        params: &[(&str, String)],
    ) -> Result<Value, Failure> {
        let mut q = hmac::query(params);
        if !q.is_empty() {
            q.push('&');
        }
        q.push_str(&format!(
            "recvWindow={}&timestamp={}",
            self.recv_window_ms,
            self.now_ms()
        ));
        let sig = super::sign::sign(&self.creds.secret, &q);
        q.push_str("&signature=");
        q.push_str(&sig);
        self.send(method, path, q, true).await
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        query: String,
        signed: bool,
    ) -> Result<Value, Failure> {
        self.limiter
            .acquire(method.as_str(), path, self.max_wait)
            .await
            .map_err(Failure::Api)?;
        let url = if query.is_empty() {
            format!("{}{path}", self.base)
        } else {
            format!("{}{path}?{query}", self.base)
        };
        let mut rb = self.http.request(method, url);
        if signed {
            rb = rb
                .header("X-MEXC-APIKEY", self.creds.key.expose())
                .header("Content-Type", "application/json");
        }
        let resp = rb
            .send()
            .await
            .map_err(|e| Failure::Api(crate::binance::rest::transport(e)))?;
        let status = resp.status();
        if status == StatusCode::TOO_MANY_REQUESTS || status.as_u16() == 418 {
            let secs = resp
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .unwrap_or(DEFAULT_RETRY_AFTER_S);
            let ms = secs.saturating_mul(1000);
            self.limiter.ban(Duration::from_millis(ms));
            return Err(Failure::Api(ApiError::RateLimited { retry_after_ms: ms }));
        }
        let body = resp.bytes().await.map_err(|e| {
            Failure::Api(ApiError::OutcomeUnknown(format!(
                "reading the answer: {}",
                e.without_url()
            )))
        })?;
        if status.is_success() {
            let v = serde_json::from_slice::<Value>(&body).map_err(|e| {
                Failure::Api(ApiError::OutcomeUnknown(format!(
                    "HTTP {status} with an unreadable body: {e}"
                )))
            })?;
            // MEXC may answer an error with HTTP 200 and its error body.
            if let Some(obj) = v.as_object()
                && obj.len() <= 3
                && let (Some(code), Some(msg)) = (
                    obj.get("code").and_then(Value::as_i64),
                    obj.get("msg").and_then(Value::as_str),
                )
                && code != 0
                && code != 200
            {
                return Err(Failure::Venue {
                    status: status.as_u16(),
                    code,
                    msg: msg.to_string(),
                });
            }
            return Ok(v);
        }
        if status.is_server_error() {
            // Whatever the body says, the execution status is unknown.
            let detail = serde_json::from_slice::<ErrorBody>(&body)
                .map(|b| format!("{}: {}", b.code, b.msg))
                .unwrap_or_default();
            return Err(Failure::Api(ApiError::OutcomeUnknown(format!(
                "HTTP {status} {detail}"
            ))));
        }
        match serde_json::from_slice::<ErrorBody>(&body) {
            Ok(b) => Err(Failure::Venue {
                status: status.as_u16(),
                code: b.code,
                msg: b.msg,
            }),
            // Not MEXC's error body (a proxy, a WAF): nothing says the
            // request did nothing.
            Err(_) => Err(Failure::Api(ApiError::OutcomeUnknown(format!(
                "HTTP {status} without an error body"
            )))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_mexc_codes() {
        assert!(matches!(
            classify(
                400,
                700002,
                "Signature for this request is not valid.".into()
            ),
            ApiError::Auth(_)
        ));
        assert!(matches!(
            classify(400, 10072, "x".into()),
            ApiError::Auth(_)
        ));
        assert!(matches!(
            classify(400, 30004, "Insufficient position".into()),
            ApiError::Refused { code, .. } if code == "30004"
        ));
        assert!(matches!(
            classify(
                400,
                30002,
                "The minimum transaction volume cannot be less than:5USDT".into()
            ),
            ApiError::Refused { .. }
        ));
        assert!(matches!(
            classify(200, 503, "service not available, please try again".into()),
            ApiError::OutcomeUnknown(_)
        ));
        assert!(matches!(
            classify(502, 1, "x".into()),
            ApiError::OutcomeUnknown(_)
        ));
        assert!(matches!(
            classify(400, 429, "Too Many Requests".into()),
            ApiError::RateLimited { .. }
        ));
    }
}
