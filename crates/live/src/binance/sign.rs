//! Binance request signatures: `hex(HMAC-SHA256(secret, payload))`, where
//! the payload is the query string exactly as sent (REST) or the request's
//! parameters sorted by name and joined as `k=v&…` (WebSocket API).

use crate::secret::Secret;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The hex HMAC-SHA256 of `payload` under `secret`; the secret is read
/// here only.
pub fn sign(secret: &Secret, payload: &str) -> String {
    hmac_hex(secret.expose(), payload)
}

/// The hex HMAC-SHA256 of `payload` under the key `key`.
pub fn hmac_hex(key: &str, payload: &str) -> String {
    // HMAC accepts keys of any length (longer ones are hashed), so
    // `new_from_slice` cannot fail here.
    let mut mac =
        Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC accepts keys of any length");
    mac.update(payload.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The WebSocket API's signature payload: every parameter but `signature`,
/// sorted by name, as `name=value` joined by `&` (values are not
/// percent-encoded there).
pub fn ws_payload(params: &[(&str, String)]) -> String {
    let mut sorted: Vec<&(&str, String)> =
        params.iter().filter(|(k, _)| *k != "signature").collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    sorted
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// Percent-encodes a query value: everything but the unreserved
/// characters, so the string we sign is the string the server reads.
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `k=v&k=v` with values percent-encoded, in the given order.
pub fn query(params: &[(&str, String)]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";

    #[test]
    fn rest_vector() {
        let payload = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
        assert_eq!(
            sign(&Secret::new(SECRET), payload),
            "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
        );
    }

    #[test]
    fn ws_payload_sorts_and_drops_signature() {
        let p = ws_payload(&[
            ("timestamp", "2".into()),
            ("signature", "x".into()),
            ("apiKey", "k".into()),
        ]);
        assert_eq!(p, "apiKey=k&timestamp=2");
    }

    #[test]
    fn encode_keeps_unreserved() {
        assert_eq!(encode("a-b_c.d~e"), "a-b_c.d~e");
        assert_eq!(encode("[\"BTCUSDT\"]"), "%5B%22BTCUSDT%22%5D");
    }
}
