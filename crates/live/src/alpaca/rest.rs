//! One Alpaca REST request: the two key headers, a JSON body, the rate
//! budget, and the classification of every answer into [`ApiError`].

use super::AlpacaError;
use super::limiter::{Gate, Limiter};
use super::wire::WireError;
use crate::api::ApiError;
use crate::secret::Credentials;
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use std::time::Duration;

/// The body Alpaca sends when a client order id is reused.
const DUPLICATE_MESSAGE: &str = "client_order_id must be unique";

/// Whether a request places or cancels (and so may spend the last of the
/// rate budget) or only reads.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    Order,
    Read,
}

/// The raw body of a 2xx answer (207 included).
pub(crate) struct Reply {
    pub body: Vec<u8>,
}

impl Reply {
    /// The body as `T`; a 2xx we cannot read leaves the outcome unknown.
    pub(crate) fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| ApiError::OutcomeUnknown(format!("unreadable alpaca reply: {e}")))
    }
}

/// The HTTP client of one account.
pub(crate) struct Rest {
    http: reqwest::Client,
    base: Url,
    credentials: Credentials,
    limiter: Limiter,
}

impl Rest {
    pub(crate) fn new(
        base: Url,
        credentials: Credentials,
        timeout: Duration,
    ) -> Result<Self, AlpacaError> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()
            .map_err(|e| AlpacaError::Client(e.to_string()))?;
        Ok(Self {
            http,
            base,
            credentials,
            limiter: Limiter::default(),
        })
    }

    /// The URL of `segments` under the base, each segment percent-encoded
    /// on its own (so `BTC/USD` becomes `BTC%2FUSD`), with `query`.
    pub(crate) fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }

    /// Sends one request and returns a 2xx answer, or the classified
    /// failure. Nothing is retried here: the order manager decides.
    pub(crate) async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<&serde_json::Value>,
        purpose: Purpose,
    ) -> Result<Reply, ApiError> {
        if let Gate::Wait(d) = self.limiter.admit(purpose == Purpose::Order)? {
            tokio::time::sleep(d).await;
        }
        let mut req = self
            .http
            .request(method, url)
            .header("APCA-API-KEY-ID", self.credentials.key.expose())
            .header("APCA-API-SECRET-KEY", self.credentials.secret.expose());
        if let Some(body) = body {
            req = req
                .header("Content-Type", "application/json")
                .body(body.to_string());
        }
        let resp = req.send().await.map_err(crate::api::transport_error)?;
        let status = resp.status();
        let headers = resp.headers().clone();
        self.limiter.observe(&headers);
        if status == StatusCode::TOO_MANY_REQUESTS {
            return Err(self.limiter.banned(&headers));
        }
        let body = match resp.bytes().await {
            Ok(b) => b.to_vec(),
            // The request was answered but the answer was lost: for a
            // 2xx or 5xx we cannot tell what happened.
            Err(e) if status.is_success() || status.is_server_error() => {
                return Err(ApiError::OutcomeUnknown(format!(
                    "alpaca reply {status} cut short: {}",
                    e.without_url()
                )));
            }
            Err(_) => Vec::new(),
        };
        if status.is_success() {
            return Ok(Reply { body });
        }
        Err(classify(status, &body))
    }
}

/// Maps a non-2xx, non-429 answer to what the order manager does next.
pub(crate) fn classify(status: StatusCode, body: &[u8]) -> ApiError {
    let err: WireError = serde_json::from_slice(body).unwrap_or_default();
    let message = err
        .message
        .clone()
        .unwrap_or_else(|| String::from_utf8_lossy(body).chars().take(200).collect());
    let code = err.code_text();
    match status.as_u16() {
        422 if message.contains(DUPLICATE_MESSAGE) => ApiError::DuplicateClientId,
        401 => ApiError::Auth(format!("{status}: {message}")),
        // A key problem is a bare `{"message":"forbidden."}`; a refused
        // order (buying power, shares held) carries an 8-digit code.
        403 if code.is_none() => ApiError::Auth(format!("{status}: {message}")),
        404 => ApiError::NotFound,
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
    fn alpaca_answers_are_classified() {
        let dup = r#"{"code":40010001,"message":"client_order_id must be unique"}"#;
        assert_eq!(c(422, dup), ApiError::DuplicateClientId);
        assert!(
            matches!(c(403, r#"{"message": "forbidden."}"#), ApiError::Auth(m) if m.contains("forbidden."))
        );
        assert!(matches!(
            c(
                401,
                r#"{"code":40110000,"message":"request is not authorized"}"#
            ),
            ApiError::Auth(_)
        ));
        let held = r#"{"code":40310000,"message":"insufficient qty available for order (requested: 1000, available: 0)","held_for_orders":"1000"}"#;
        assert!(matches!(c(403, held), ApiError::Refused { code, .. } if code == "40310000"));
        assert_eq!(
            c(404, r#"{"code":40410000,"message":"order not found"}"#),
            ApiError::NotFound
        );
        assert_eq!(
            c(422, r#"{"code":40010001,"message":"qty must be integer"}"#),
            ApiError::Refused {
                code: "40010001".into(),
                message: "qty must be integer".into()
            }
        );
        assert!(
            matches!(c(400, "not json"), ApiError::Refused { code, message } if code == "400" && message == "not json")
        );
        assert!(
            matches!(c(504, "<html>504 Gateway Time-out</html>"), ApiError::OutcomeUnknown(m) if m.contains("504"))
        );
        assert!(matches!(
            c(503, r#"{"code":50010000,"message":"x"}"#),
            ApiError::OutcomeUnknown(_)
        ));
    }

    #[test]
    fn an_unreadable_2xx_is_outcome_unknown() {
        let r = Reply {
            body: b"{\"id\":".to_vec(),
        };
        assert!(matches!(
            r.json::<super::super::wire::WireOrder>(),
            Err(ApiError::OutcomeUnknown(_))
        ));
    }
}
