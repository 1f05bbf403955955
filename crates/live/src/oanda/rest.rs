//! One OANDA REST request: the Bearer token, a JSON body, the rate
//! budget, and the classification of every answer into [`ApiError`].

use super::OandaError;
use super::limiter::{ConnectionGate, Limiter};
use super::wire::WireError;
use crate::api::ApiError;
use crate::secret::Secret;
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use std::time::Duration;

/// The reject reason of a reused client id.
pub(crate) const DUPLICATE_ID: &str = "CLIENT_ORDER_ID_ALREADY_EXISTS";
/// Codes of a 404 that means "no such order". `ORDER_DOESNT_EXIST` is the
/// spec's reject reason (cancel); `NO_SUCH_ORDER` is what a plain order
/// lookup is reported to answer (unconfirmed), so both are read.
const NO_SUCH_ORDER: [&str; 3] = ["ORDER_DOESNT_EXIST", "NO_SUCH_ORDER", "NO_SUCH_TRANSACTION"];

/// The raw body of a 2xx answer.
pub(crate) struct Reply {
    pub body: Vec<u8>,
}

impl Reply {
    /// The body as `T`; a 2xx we cannot read leaves the outcome unknown.
    pub(crate) fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| ApiError::OutcomeUnknown(format!("unreadable oanda reply: {e}")))
    }
}

/// The HTTP client of one account.
pub(crate) struct Rest {
    http: reqwest::Client,
    base: Url,
    account_id: String,
    token: Secret,
    timeout: Duration,
    limiter: Limiter,
    /// One request at a time, on one keep-alive connection: `true` once
    /// an answer was read in full (the connection is back in the pool),
    /// `false` before the first and after a transport failure (the next
    /// request opens a new connection, through [`Rest::connection_slot`]).
    lane: tokio::sync::Mutex<bool>,
    connections: ConnectionGate,
}

impl Rest {
    pub(crate) fn new(
        base: Url,
        account_id: String,
        token: Secret,
        timeout: Duration,
    ) -> Result<Self, OandaError> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .pool_max_idle_per_host(1)
            .build()
            .map_err(|e| OandaError::Client(e.to_string()))?;
        Ok(Self {
            http,
            base,
            account_id,
            token,
            timeout,
            limiter: Limiter::default(),
            lane: tokio::sync::Mutex::new(false),
            connections: ConnectionGate::default(),
        })
    }

    /// `{base}/v3/accounts/{id}/{segments…}?{query}`, each segment
    /// percent-encoded on its own.
    pub(crate) fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> Url {
        account_url(&self.base, &self.account_id, segments, query)
    }

    /// `{base}/v3/accounts/{id}/{segments…}` on another base (the
    /// streaming host).
    pub(crate) fn url_on(&self, base: &Url, segments: &[&str]) -> Url {
        account_url(base, &self.account_id, segments, &[])
    }

    /// The request timeout (the stream uses it for connecting).
    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Waits until a new connection to OANDA may be opened (at most 2 a
    /// second, REST and stream together) and counts it.
    pub(crate) async fn connection_slot(&self) {
        self.connections.slot().await;
    }

    /// A request with the token and datetime format set; the stream sends
    /// it with its own client.
    pub(crate) fn authorized(
        &self,
        client: &reqwest::Client,
        method: Method,
        url: Url,
    ) -> reqwest::RequestBuilder {
        client
            .request(method, url)
            .bearer_auth(self.token.expose())
            .header("Accept-Datetime-Format", "RFC3339")
    }

    /// Sends one request and returns a 2xx answer, or the classified
    /// failure. Nothing is retried here: the order manager decides.
    pub(crate) async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<&serde_json::Value>,
    ) -> Result<Reply, ApiError> {
        // OANDA asks for at most 2 new connections a second: requests go
        // one after another on one keep-alive connection (the order
        // manager's refresh asks for three things at once), and a new
        // connection, when the last one broke, waits for its slot.
        let mut warm = self.lane.lock().await;
        let wait = self.limiter.admit()?;
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        if !*warm {
            self.connections.slot().await;
        }
        *warm = false;
        let mut req = self.authorized(&self.http, method, url);
        if let Some(body) = body {
            req = req
                .header("Content-Type", "application/json")
                .body(body.to_string());
        }
        let resp = req.send().await.map_err(crate::api::transport_error)?;
        let status = resp.status();
        let retry = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        // The body is read in full whatever the status, so the connection
        // goes back to the pool for the next request.
        let body = match resp.bytes().await {
            Ok(b) => {
                *warm = true;
                b.to_vec()
            }
            // Answered, but the answer was lost: for a 2xx or 5xx we
            // cannot tell what happened.
            Err(e) if status.is_success() || status.is_server_error() => {
                return Err(ApiError::OutcomeUnknown(format!(
                    "oanda reply {status} cut short: {}",
                    e.without_url()
                )));
            }
            Err(_) => Vec::new(),
        };
        drop(warm);
        if status == StatusCode::TOO_MANY_REQUESTS {
            return Err(self.limiter.banned(retry));
        }
        if status.is_success() {
            return Ok(Reply { body });
        }
        Err(classify(status, &body))
    }
}

/// `{base}/v3/accounts/{id}/{segments…}?{query}`.
pub(crate) fn account_url(
    base: &Url,
    account_id: &str,
    segments: &[&str],
    query: &[(&str, &str)],
) -> Url {
    let mut url = base.clone();
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty()
            .extend(["v3", "accounts", account_id])
            .extend(segments);
    }
    if !query.is_empty() {
        url.query_pairs_mut().extend_pairs(query);
    }
    url
}

/// Maps a non-2xx, non-429 answer to what the order manager does next.
pub(crate) fn classify(status: StatusCode, body: &[u8]) -> ApiError {
    let err: WireError = serde_json::from_slice(body).unwrap_or_default();
    let code = err.code();
    let message = err
        .error_message
        .clone()
        .or_else(|| code.clone())
        .unwrap_or_else(|| String::from_utf8_lossy(body).chars().take(200).collect());
    if code.as_deref() == Some(DUPLICATE_ID) {
        return ApiError::DuplicateClientId;
    }
    match status.as_u16() {
        401 | 403 => ApiError::Auth(format!("{status}: {message}")),
        404 if code.as_deref().is_some_and(|c| NO_SUCH_ORDER.contains(&c)) => ApiError::NotFound,
        s if (500..600).contains(&s) => ApiError::OutcomeUnknown(format!("{status}: {message}")),
        _ => ApiError::Refused {
            code: code.unwrap_or_else(|| status.as_u16().to_string()),
            message,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(status: u16, body: &str) -> ApiError {
        classify(StatusCode::from_u16(status).unwrap(), body.as_bytes())
    }

    #[test]
    fn oanda_answers_are_classified() {
        let reject = r#"{"orderRejectTransaction":{"type":"MARKET_ORDER_REJECT","id":"8","rejectReason":"UNITS_INVALID"},"relatedTransactionIDs":["8"],"lastTransactionID":"8","errorCode":"UNITS_INVALID","errorMessage":"The units specified is invalid"}"#;
        assert_eq!(
            c(400, reject),
            ApiError::Refused {
                code: "UNITS_INVALID".into(),
                message: "The units specified is invalid".into()
            }
        );
        let only_tx = r#"{"orderRejectTransaction":{"type":"LIMIT_ORDER_REJECT","rejectReason":"PRICE_PRECISION_EXCEEDED"}}"#;
        assert!(
            matches!(c(400, only_tx), ApiError::Refused { code, .. } if code == "PRICE_PRECISION_EXCEEDED")
        );
        let dup = r#"{"orderRejectTransaction":{"rejectReason":"CLIENT_ORDER_ID_ALREADY_EXISTS"},"errorCode":"CLIENT_ORDER_ID_ALREADY_EXISTS"}"#;
        assert_eq!(c(400, dup), ApiError::DuplicateClientId);
        assert!(matches!(
            c(401, r#"{"errorMessage":"Insufficient authorization to perform request."}"#),
            ApiError::Auth(m) if m.contains("Insufficient authorization")
        ));
        let gone = r#"{"orderCancelRejectTransaction":{"type":"ORDER_CANCEL_REJECT","rejectReason":"ORDER_DOESNT_EXIST"},"errorCode":"ORDER_DOESNT_EXIST","errorMessage":"The Order specified does not exist"}"#;
        assert_eq!(c(404, gone), ApiError::NotFound);
        assert!(matches!(
            c(404, r#"{"errorCode":"NO_SUCH_ACCOUNT","errorMessage":"no account"}"#),
            ApiError::Refused { code, .. } if code == "NO_SUCH_ACCOUNT"
        ));
        assert!(
            matches!(c(502, "<html>bad gateway</html>"), ApiError::OutcomeUnknown(m) if m.contains("502"))
        );
        assert!(
            matches!(c(400, "not json"), ApiError::Refused { code, message } if code == "400" && message == "not json")
        );
    }

    #[test]
    fn urls_name_the_account() {
        let u = account_url(
            &Url::parse("http://127.0.0.1:1/").unwrap(),
            "101-004-1-001",
            &["orders", "@omni-1", "cancel"],
            &[],
        );
        assert_eq!(
            u.as_str(),
            "http://127.0.0.1:1/v3/accounts/101-004-1-001/orders/@omni-1/cancel"
        );
    }
}
