//! Real three-part JWTs (`header.payload.signature`, base64url without
//! padding, HMAC-SHA256 over the first two parts) with `sub`, `iat` and
//! `exp`, as TradeLocker issues them; and the mock's own record of each
//! token's expiry, at millisecond precision, which decides a 401.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The mock's signing key (nobody verifies it but the mock).
const KEY: &[u8] = b"omni-mock-tradelocker";

/// Which token of the pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Access,
    Refresh,
}

/// A token the mock issued.
#[derive(Clone, Debug)]
pub(crate) struct Issued {
    pub kind: Kind,
    /// ms since the epoch.
    pub expires_ms: u128,
}

pub(crate) fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}

/// Mints a token for `sub` living `lifetime` from now; `n` makes each
/// token unique.
pub(crate) fn mint(sub: &str, kind: Kind, lifetime: Duration, n: u64) -> (String, Issued) {
    let now = now_ms();
    let expires_ms = now + lifetime.as_millis();
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = serde_json::json!({
        "sub": sub,
        "iat": now / 1000,
        // Rounded up: the token is good at least until `exp`.
        "exp": expires_ms.div_ceil(1000),
        "jti": n,
        "typ": match kind { Kind::Access => "access", Kind::Refresh => "refresh" },
    });
    let payload = URL_SAFE_NO_PAD.encode(payload.to_string());
    let signing = format!("{header}.{payload}");
    let sig = match Hmac::<Sha256>::new_from_slice(KEY) {
        Ok(mut mac) => {
            mac.update(signing.as_bytes());
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        }
        // HMAC takes a key of any length; this arm cannot be reached.
        Err(_) => String::new(),
    };
    (format!("{signing}.{sig}"), Issued { kind, expires_ms })
}

/// True when `token` carries the mock's own signature.
pub(crate) fn signed_here(token: &str) -> bool {
    let Some((signing, sig)) = token.rsplit_once('.') else {
        return false;
    };
    let Ok(sig) = URL_SAFE_NO_PAD.decode(sig) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(KEY) else {
        return false;
    };
    mac.update(signing.as_bytes());
    mac.verify_slice(&sig).is_ok()
}

/// `2023-05-26T16:59:53.000Z` for ms since the epoch (the form of the
/// login answer's `expireDate`).
pub(crate) fn iso_ms(ms: u128) -> String {
    let secs = ms / 1000;
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_three_part_and_signed_here() {
        let (t, i) = mint("u#srv", Kind::Access, Duration::from_secs(60), 1);
        assert_eq!(t.split('.').count(), 3);
        assert!(signed_here(&t));
        assert!(!signed_here(&format!("{t}x")));
        assert!(i.expires_ms > now_ms());
    }

    #[test]
    fn iso_dates() {
        assert_eq!(iso_ms(1_685_120_393_000), "2023-05-26T16:59:53.000Z");
        assert_eq!(iso_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_ms(951_782_400_123), "2000-02-29T00:00:00.123Z");
    }
}
