//! The JWT pair TradeLocker issues for an email, password and broker
//! server, and when to refresh it.
//!
//! The access token's payload is read without verifying its signature
//! (as the official client does): only its `exp` (and `iat`) matter here,
//! to refresh before it lapses. Both tokens are [`Secret`]s: they go into
//! the `Authorization` header and the refresh body, never into a log or
//! an error.

use crate::secret::Secret;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::time::Duration;

/// Refresh when less than this is left (the official client's rule).
pub(crate) const REFRESH_BEFORE: Duration = Duration::from_secs(30 * 60);

/// The pair in use.
#[derive(Clone)]
pub(crate) struct Tokens {
    pub access: Secret,
    pub refresh: Secret,
    /// The access token's `exp`, ms since the epoch, when readable.
    pub expires_ms: Option<i64>,
    /// The refresh token's `exp`, ms since the epoch, when readable.
    pub refresh_expires_ms: Option<i64>,
    /// Refresh when less than this is left: 30 min, or half the token's
    /// lifetime for a token that lives less than an hour (else a short
    /// token would be refreshed before every request).
    pub margin_ms: i64,
}

impl Tokens {
    /// Reads both tokens' expiry; `now_ms` is when they were received.
    pub(crate) fn new(access: String, refresh: String, now_ms: i64) -> Self {
        let claims = claims(&access);
        let expires_ms = claims.exp_ms;
        let lifetime_ms = expires_ms.map(|exp| exp - claims.iat_ms.unwrap_or(now_ms));
        let full = i64::try_from(REFRESH_BEFORE.as_millis()).unwrap_or(i64::MAX);
        let margin_ms = lifetime_ms.map_or(full, |l| full.min(l.max(0) / 2));
        let refresh_expires_ms = claims_of_refresh(&refresh);
        Self {
            access: Secret::new(access),
            refresh: Secret::new(refresh),
            expires_ms,
            refresh_expires_ms,
            margin_ms,
        }
    }

    /// True when the access token should be refreshed before use.
    pub(crate) fn due(&self, now_ms: i64) -> bool {
        self.expires_ms
            .is_some_and(|exp| now_ms.saturating_add(self.margin_ms) >= exp)
    }

    /// True when the refresh token has lapsed (log in again instead).
    pub(crate) fn refresh_lapsed(&self, now_ms: i64) -> bool {
        self.refresh_expires_ms.is_some_and(|exp| now_ms >= exp)
    }
}

/// The claims read from a JWT's payload.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Claims {
    pub exp_ms: Option<i64>,
    pub iat_ms: Option<i64>,
}

/// `exp` and `iat` (seconds) of a JWT, as ms; nothing when the token is
/// not a readable three-part JWT.
pub(crate) fn claims(token: &str) -> Claims {
    let mut parts = token.split('.');
    let (Some(_), Some(payload), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Claims::default();
    };
    let Ok(bytes) = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')) else {
        return Claims::default();
    };
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return Claims::default();
    };
    // Seconds since the epoch, a time, not money: an f64 reading is exact
    // for any second count a JWT carries.
    let secs = |k: &str| {
        let n = v.get(k)?;
        n.as_i64()
            .or_else(|| n.as_f64().map(|f| f as i64))
            .or_else(|| n.as_str()?.parse().ok())
    };
    Claims {
        exp_ms: secs("exp").map(|s| s.saturating_mul(1000)),
        iat_ms: secs("iat").map(|s| s.saturating_mul(1000)),
    }
}

fn claims_of_refresh(token: &str) -> Option<i64> {
    claims(token).exp_ms
}

/// Wall time, ms since the epoch.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(payload: &str) -> String {
        format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(payload),
            URL_SAFE_NO_PAD.encode("sig")
        )
    }

    #[test]
    fn exp_and_iat_are_read_without_verification() {
        let t = jwt(r#"{"sub":"u#srv","exp":1700003600,"iat":1700000000}"#);
        assert_eq!(
            claims(&t),
            Claims {
                exp_ms: Some(1_700_003_600_000),
                iat_ms: Some(1_700_000_000_000)
            }
        );
        assert_eq!(claims("not-a-jwt"), Claims::default());
        assert_eq!(claims("a.%%%.c"), Claims::default());
    }

    #[test]
    fn refresh_is_due_30_min_before_expiry_or_at_half_a_short_life() {
        let now = 1_700_000_000_000;
        let long = Tokens::new(
            jwt(r#"{"exp":1700007200,"iat":1700000000}"#),
            jwt(r#"{"exp":1800000000}"#),
            now,
        );
        assert!(!long.due(now));
        assert!(!long.due(now + 5_399_000));
        assert!(long.due(now + 5_400_000));
        let short = Tokens::new(
            jwt(r#"{"exp":1700000010,"iat":1700000000}"#),
            jwt("{}"),
            now,
        );
        assert!(!short.due(now + 4_000));
        assert!(short.due(now + 5_000));
        assert!(!short.refresh_lapsed(now + 999_999));
    }
}
