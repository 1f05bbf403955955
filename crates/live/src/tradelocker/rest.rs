//! One TradeLocker REST request: the session behind it (login, refresh,
//! account discovery), the `Authorization` and `accNum` headers, the
//! per-route budget, and the classification of every answer into
//! [`ApiError`].
//!
//! A 401 refreshes the tokens (or logs in again) and sends the request
//! once more: a 401 is an answer that the request was refused before
//! anything was done, so even an order may be sent again then. Nothing
//! else is ever retried here: a place whose answer was lost is resolved by
//! the order manager's query, never by a second send (a lost reply would
//! otherwise double the order, as the official client's blind retries
//! can).

use super::auth::{Tokens, now_ms};
use super::limiter::{Limiter, Route};
use super::wire::{Envelope, WireAccounts, WireTokens, field_text};
use super::{TradeLockerConfig, TradeLockerError};
use crate::api::ApiError;
use crate::secret::Secret;
use reqwest::{Method, StatusCode, Url};
use serde_json::value::RawValue;
use std::time::Duration;

/// Used when a 429 names no `Retry-After`.
const DEFAULT_BAN: Duration = Duration::from_secs(1);

/// The account every `/trade/*` call is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Account {
    pub id: String,
    pub acc_num: String,
    pub currency: String,
}

/// A request of `/trade/*`.
pub(crate) struct Call<'a> {
    pub method: Method,
    /// Path segments under the base (`["trade", "config"]`); `{account}`
    /// is replaced by the account id.
    pub path: &'a [&'a str],
    pub query: &'a [(&'a str, &'a str)],
    /// JSON body text.
    pub body: Option<String>,
    /// Its rate-limit route, when it has one.
    pub route: Option<Route>,
}

impl<'a> Call<'a> {
    pub(crate) fn get(path: &'a [&'a str], route: Option<Route>) -> Self {
        Self {
            method: Method::GET,
            path,
            query: &[],
            body: None,
            route,
        }
    }
}

/// The HTTP client and session of one account.
pub(crate) struct Rest {
    http: reqwest::Client,
    base: Url,
    email: String,
    password: Secret,
    server: String,
    want_account: Option<String>,
    tokens: tokio::sync::Mutex<Option<Tokens>>,
    account: std::sync::RwLock<Option<Account>>,
    pub(crate) limiter: Limiter,
}

impl Rest {
    pub(crate) fn new(base: Url, cfg: &TradeLockerConfig) -> Result<Self, TradeLockerError> {
        let http = reqwest::Client::builder()
            .timeout(cfg.request_timeout)
            .connect_timeout(cfg.request_timeout)
            .build()
            .map_err(|e| TradeLockerError::Client(e.to_string()))?;
        Ok(Self {
            http,
            base,
            email: cfg.email.clone(),
            password: cfg.password.clone(),
            server: cfg.server.clone(),
            want_account: cfg.account_id.clone(),
            tokens: tokio::sync::Mutex::new(None),
            account: std::sync::RwLock::new(None),
            limiter: Limiter::default(),
        })
    }

    fn url(&self, segments: &[&str], account: Option<&str>, query: &[(&str, &str)]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty();
            for s in segments {
                match (*s, account) {
                    ("{account}", Some(a)) => path.push(a),
                    _ => path.push(s),
                };
            }
        }
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }

    /// The account in use, discovered on first need.
    pub(crate) async fn account(&self) -> Result<Account, ApiError> {
        if let Some(a) = self.read_account() {
            return Ok(a);
        }
        let a = self.discover().await?;
        *self
            .account
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(a.clone());
        Ok(a)
    }

    fn read_account(&self) -> Option<Account> {
        // Replaced whole under the lock: a poisoned lock is still whole.
        self.account
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// `GET /auth/jwt/all-accounts`: the configured account by id, or the
    /// first ACTIVE one.
    async fn discover(&self) -> Result<Account, ApiError> {
        let url = self.url(&["auth", "jwt", "all-accounts"], None, &[]);
        let body = self.authorized(Method::GET, url, None, None, None).await?;
        let list: WireAccounts = serde_json::from_slice(&body).map_err(|e| {
            ApiError::OutcomeUnknown(format!("unreadable tradelocker accounts: {e}"))
        })?;
        let active = |a: &&super::wire::RawObject| {
            field_text(a, "status").is_none_or(|s| s.eq_ignore_ascii_case("ACTIVE"))
        };
        let chosen = match &self.want_account {
            Some(id) => list
                .accounts
                .iter()
                .find(|a| field_text(a, "id").as_deref() == Some(id.as_str())),
            None => list.accounts.iter().find(active),
        };
        let Some(a) = chosen else {
            return Err(ApiError::Refused {
                code: "account".into(),
                message: match &self.want_account {
                    Some(id) => format!("TradeLocker login has no account {id}"),
                    None => "TradeLocker login has no ACTIVE account".into(),
                },
            });
        };
        let (Some(id), Some(acc_num)) = (field_text(a, "id"), field_text(a, "accNum")) else {
            return Err(ApiError::OutcomeUnknown(
                "tradelocker account without id or accNum".into(),
            ));
        };
        Ok(Account {
            id,
            acc_num,
            currency: field_text(a, "currency").unwrap_or_else(|| "USD".into()),
        })
    }

    /// A `/trade/*` request for the account; returns the envelope's `d`.
    pub(crate) async fn trade(&self, call: Call<'_>) -> Result<Box<RawValue>, ApiError> {
        let account = self.account().await.map_err(not_sent)?;
        let url = self.url(call.path, Some(&account.id), call.query);
        let body = self
            .authorized(
                call.method,
                url,
                Some(&account.acc_num),
                call.body,
                call.route,
            )
            .await?;
        let env: Envelope = serde_json::from_slice(&body)
            .map_err(|e| ApiError::OutcomeUnknown(format!("unreadable tradelocker reply: {e}")))?;
        match env.s.as_str() {
            "ok" => match env.d {
                Some(d) => Ok(d),
                // `{"s":"ok"}` alone (a delete): an empty object.
                None => RawValue::from_string("{}".into())
                    .map_err(|e| ApiError::OutcomeUnknown(e.to_string())),
            },
            "error" => Err(ApiError::Refused {
                code: "error".into(),
                message: env.errmsg.unwrap_or_else(|| "no errmsg".into()),
            }),
            other => Err(ApiError::OutcomeUnknown(format!(
                "tradelocker answered s={other:?}"
            ))),
        }
    }

    /// Sends with a bearer token (and `accNum` when given) and returns a
    /// 2xx body; on a 401 refreshes and sends once more.
    async fn authorized(
        &self,
        method: Method,
        url: Url,
        acc_num: Option<&str>,
        body: Option<String>,
        route: Option<Route>,
    ) -> Result<Vec<u8>, ApiError> {
        let mut token = self.bearer().await.map_err(not_sent)?;
        for attempt in 0..2 {
            self.limiter.acquire(route).await?;
            let mut req = self
                .http
                .request(method.clone(), url.clone())
                .header("Authorization", format!("Bearer {}", token.expose()));
            if let Some(n) = acc_num {
                req = req.header("accNum", n);
            }
            if let Some(b) = &body {
                req = req
                    .header("Content-Type", "application/json")
                    .body(b.clone());
            }
            let resp = req.send().await.map_err(transport_error)?;
            let status = resp.status();
            if status == StatusCode::UNAUTHORIZED && attempt == 0 {
                token = self.bearer_after_401(&token).await.map_err(not_sent)?;
                continue;
            }
            if status == StatusCode::TOO_MANY_REQUESTS {
                let ban = resp
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map_or(DEFAULT_BAN, |s| Duration::from_secs(s.min(3600)));
                self.limiter.ban(route, ban);
                return Err(ApiError::RateLimited {
                    retry_after_ms: u64::try_from(ban.as_millis()).unwrap_or(u64::MAX),
                });
            }
            let bytes = match resp.bytes().await {
                Ok(b) => b.to_vec(),
                Err(e) if status.is_success() || status.is_server_error() => {
                    return Err(ApiError::OutcomeUnknown(format!(
                        "tradelocker reply {status} cut short: {}",
                        e.without_url()
                    )));
                }
                Err(_) => Vec::new(),
            };
            if status.is_success() {
                return Ok(bytes);
            }
            return Err(classify(status, &bytes));
        }
        Err(ApiError::Auth(
            "tradelocker refused a freshly refreshed token (401)".into(),
        ))
    }

    /// The access token, refreshed first when it is near expiry.
    async fn bearer(&self) -> Result<Secret, ApiError> {
        let mut slot = self.tokens.lock().await;
        let now = now_ms();
        let next = match slot.as_ref() {
            Some(t) if !t.due(now) => return Ok(t.access.clone()),
            Some(t) if !t.refresh_lapsed(now) => self.refresh_or_login(t).await?,
            _ => self.login().await?,
        };
        let access = next.access.clone();
        *slot = Some(next);
        Ok(access)
    }

    /// After a 401 with `failed`: a new token (unless another request
    /// already replaced that one).
    async fn bearer_after_401(&self, failed: &Secret) -> Result<Secret, ApiError> {
        let mut slot = self.tokens.lock().await;
        let next = match slot.as_ref() {
            Some(t) if t.access.expose() != failed.expose() => return Ok(t.access.clone()),
            Some(t) => self.refresh_or_login(t).await?,
            None => self.login().await?,
        };
        let access = next.access.clone();
        *slot = Some(next);
        Ok(access)
    }

    async fn refresh_or_login(&self, t: &Tokens) -> Result<Tokens, ApiError> {
        match self.refresh(&t.refresh).await {
            Ok(next) => Ok(next),
            // The refresh token was refused: the password still works.
            Err(ApiError::Auth(_) | ApiError::Refused { .. }) => self.login().await,
            Err(e) => Err(e),
        }
    }

    /// `POST /auth/jwt/token`.
    async fn login(&self) -> Result<Tokens, ApiError> {
        let body = serde_json::json!({
            "email": self.email,
            "password": self.password.expose(),
            "server": self.server,
        })
        .to_string();
        let body = Secret::new(body);
        self.token_call(&["auth", "jwt", "token"], body, "login")
            .await
    }

    /// `POST /auth/jwt/refresh`.
    async fn refresh(&self, refresh: &Secret) -> Result<Tokens, ApiError> {
        let body = Secret::new(serde_json::json!({ "refreshToken": refresh.expose() }).to_string());
        self.token_call(&["auth", "jwt", "refresh"], body, "refresh")
            .await
    }

    async fn token_call(
        &self,
        path: &[&str],
        body: Secret,
        what: &str,
    ) -> Result<Tokens, ApiError> {
        let url = self.url(path, None, &[]);
        let resp = self
            .http
            .post(url)
            .header("Content-Type", "application/json")
            .body(body.expose().to_string())
            .send()
            .await
            .map_err(transport_error)?;
        let status = resp.status();
        let bytes = resp.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
        if !status.is_success() {
            return Err(match classify(status, &bytes) {
                ApiError::Refused { message, .. } | ApiError::Auth(message) => {
                    ApiError::Auth(format!("tradelocker {what} refused ({status}): {message}"))
                }
                other => other,
            });
        }
        // A 2xx without tokens is a refusal in an envelope.
        match serde_json::from_slice::<WireTokens>(&bytes) {
            Ok(t) => Ok(Tokens::new(t.access_token, t.refresh_token, now_ms())),
            Err(_) => {
                let why = serde_json::from_slice::<Envelope>(&bytes)
                    .ok()
                    .and_then(|e| e.errmsg)
                    .unwrap_or_else(|| "no tokens in the answer".into());
                Err(ApiError::Auth(format!("tradelocker {what} refused: {why}")))
            }
        }
    }
}

/// A failure before the request itself left (logging in, discovering the
/// account, loading the config): whatever its own outcome, the request
/// was not sent, so an unknown outcome of that step is "unreachable" for
/// the request (an order is then known not to be placed).
pub(crate) fn not_sent(e: ApiError) -> ApiError {
    match e {
        ApiError::OutcomeUnknown(m) => ApiError::Unreachable(format!("not sent: {m}")),
        other => other,
    }
}

/// [`crate::api::transport_error`], named as TradeLocker's.
fn transport_error(e: reqwest::Error) -> ApiError {
    match crate::api::transport_error(e) {
        ApiError::Unreachable(t) => ApiError::Unreachable(format!("tradelocker: {t}")),
        ApiError::OutcomeUnknown(t) => ApiError::OutcomeUnknown(format!("tradelocker: {t}")),
        other => other,
    }
}

/// Maps a non-2xx, non-429 answer to what the order manager does next.
/// TradeLocker's HTTP codes for errors are unconfirmed; the body is the
/// error envelope where it can be read.
pub(crate) fn classify(status: StatusCode, body: &[u8]) -> ApiError {
    let message = serde_json::from_slice::<Envelope>(body)
        .ok()
        .and_then(|e| e.errmsg)
        .unwrap_or_else(|| String::from_utf8_lossy(body).chars().take(200).collect());
    match status.as_u16() {
        401 | 403 => ApiError::Auth(format!("tradelocker {status}: {message}")),
        404 => ApiError::NotFound,
        s if (500..600).contains(&s) => {
            ApiError::OutcomeUnknown(format!("tradelocker {status}: {message}"))
        }
        _ => ApiError::Refused {
            code: status.as_u16().to_string(),
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
    fn answers_are_classified() {
        assert!(
            matches!(c(401, r#"{"s":"error","errmsg":"expired"}"#), ApiError::Auth(m) if m.contains("expired"))
        );
        assert_eq!(c(404, ""), ApiError::NotFound);
        assert!(matches!(c(502, "<html>"), ApiError::OutcomeUnknown(_)));
        assert_eq!(
            c(400, r#"{"s":"error","errmsg":"Invalid accNum"}"#),
            ApiError::Refused {
                code: "400".into(),
                message: "Invalid accNum".into()
            }
        );
    }
}
