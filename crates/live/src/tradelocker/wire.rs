//! TradeLocker's JSON as it arrives: the `{"s":"ok","d":…}` envelope, the
//! objects of the auth and config answers, and lenient readers for values
//! that come as JSON numbers on one broker and as strings on another.
//!
//! Every value is kept as its raw JSON text ([`RawValue`]) until read, so
//! a price sent as the number `1.08512` is parsed from those very
//! characters into a [`Decimal`], never through an `f64` (the workspace's
//! `serde_json` has no `arbitrary_precision`, so a parsed
//! `serde_json::Number` would already have been rounded to binary).

use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::str::FromStr;

/// A JSON object whose values are kept raw.
pub(crate) type RawObject = HashMap<String, Box<RawValue>>;

/// The envelope of every `/trade/*` answer.
#[derive(Debug, Deserialize)]
pub(crate) struct Envelope {
    /// `ok`, `error`, or `no_data` (price history only).
    pub s: String,
    #[serde(default)]
    pub d: Option<Box<RawValue>>,
    #[serde(default)]
    pub errmsg: Option<String>,
}

/// A value's text: a string as it is, a number or a boolean as written,
/// `None` for `null` (and for an object or array, which no reader here
/// expects).
pub(crate) fn text(raw: &RawValue) -> Option<String> {
    let t = raw.get().trim();
    match t.as_bytes().first()? {
        b'"' => serde_json::from_str::<String>(t).ok(),
        b'n' | b'{' | b'[' => None,
        _ => Some(t.to_string()),
    }
}

/// A decimal from a number (its written digits) or a numeric string;
/// `None` for `null`, an empty string or anything else.
pub(crate) fn decimal(raw: &RawValue) -> Option<Decimal> {
    let t = text(raw)?;
    let t = t.trim();
    if t.is_empty() {
        return None;
    }
    Decimal::from_str(t)
        .ok()
        .or_else(|| Decimal::from_scientific(t).ok())
}

/// A field of a raw object as text.
pub(crate) fn field_text(obj: &RawObject, key: &str) -> Option<String> {
    obj.get(key).and_then(|v| text(v))
}

/// A field of a raw object as a decimal.
pub(crate) fn field_decimal(obj: &RawObject, key: &str) -> Option<Decimal> {
    obj.get(key).and_then(|v| decimal(v))
}

/// `POST /auth/jwt/token` and `/auth/jwt/refresh` answer (not wrapped in
/// the envelope).
#[derive(Deserialize)]
pub(crate) struct WireTokens {
    #[serde(rename = "accessToken")]
    pub access_token: String,
    #[serde(rename = "refreshToken")]
    pub refresh_token: String,
}

/// `GET /auth/jwt/all-accounts` (not wrapped): `{"accounts":[…]}`.
#[derive(Deserialize)]
pub(crate) struct WireAccounts {
    #[serde(default)]
    pub accounts: Vec<RawObject>,
}

/// One column of a `…Config` table: `{"id":"qty","description":"…"}`.
#[derive(Deserialize)]
pub(crate) struct WireColumn {
    pub id: String,
}

/// A `…Config` table of `/trade/config`.
#[derive(Deserialize)]
pub(crate) struct WireTable {
    #[serde(default)]
    pub columns: Vec<WireColumn>,
}

/// One element of `rateLimits`:
/// `{"rateLimitType":"GET_ORDERS","measure":"SECONDS","intervalNum":1,"limit":1}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RateLimit {
    pub route: String,
    pub limit: u32,
    pub per: std::time::Duration,
}

impl RateLimit {
    /// Reads one element; `None` when a part is missing or unusable.
    pub(crate) fn from_raw(obj: &RawObject) -> Option<Self> {
        let route = field_text(obj, "rateLimitType")?;
        let limit: u32 = field_text(obj, "limit")?.parse().ok()?;
        let n: u64 = field_text(obj, "intervalNum")?.parse().ok()?;
        let unit = match field_text(obj, "measure")?.to_ascii_uppercase().as_str() {
            "SECONDS" | "SECOND" => 1,
            "MINUTES" | "MINUTE" => 60,
            "HOURS" | "HOUR" => 3600,
            _ => return None,
        };
        (limit > 0 && n > 0).then(|| Self {
            route,
            limit,
            per: std::time::Duration::from_secs(n * unit),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(s: &str) -> Box<RawValue> {
        RawValue::from_string(s.to_string()).unwrap()
    }

    #[test]
    fn numbers_and_strings_read_to_the_same_exact_decimal() {
        let a = decimal(&raw("1.0851200000000000001")).unwrap();
        let b = decimal(&raw("\"1.0851200000000000001\"")).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.to_string(), "1.0851200000000000001");
        assert_eq!(decimal(&raw("392084.93")).unwrap().to_string(), "392084.93");
        assert_eq!(decimal(&raw("1e-2")).unwrap().to_string(), "0.01");
        assert_eq!(decimal(&raw("null")), None);
        assert_eq!(decimal(&raw("\"\"")), None);
        assert_eq!(text(&raw("7010")).as_deref(), Some("7010"));
        assert_eq!(text(&raw("true")).as_deref(), Some("true"));
    }

    #[test]
    fn rate_limits_read_leniently() {
        let obj: RawObject = serde_json::from_str(
            r#"{"rateLimitType":"GET_ORDERS","measure":"SECONDS","intervalNum":"1","limit":2}"#,
        )
        .unwrap();
        assert_eq!(
            RateLimit::from_raw(&obj),
            Some(RateLimit {
                route: "GET_ORDERS".into(),
                limit: 2,
                per: std::time::Duration::from_secs(1)
            })
        );
    }
}
