//! MEXC request signatures: `signature = lowercase hex
//! HMAC-SHA256(secretKey, totalParams)`, where `totalParams` is the query
//! string concatenated with the request body, no separator. The HMAC is
//! the same as Binance's REST signature, so it is shared with that
//! adapter; this module pins MEXC's own worked examples.

use crate::secret::Secret;

/// The lowercase hex HMAC-SHA256 of `payload` under `secret`; the secret
/// is read here only.
pub fn sign(secret: &Secret, payload: &str) -> String {
    hmac_hex(secret.expose(), payload)
}

/// The lowercase hex HMAC-SHA256 of `payload` under the key `key`.
pub fn hmac_hex(key: &str, payload: &str) -> String {
    crate::binance::sign::hmac_hex(key, payload)
}

/// MEXC's `totalParams`: the query string then the body, no separator.
pub fn total_params(query: &str, body: &str) -> String {
    format!("{query}{body}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The secret of the doc's worked examples.
    const SECRET: &str = "45d0b3c26f2644f19bfb98b07741b2f5";

    #[test]
    fn the_docs_query_string_example() {
        let payload = "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=11&recvWindow=5000&timestamp=1644489390087";
        assert_eq!(
            sign(&Secret::new(SECRET), payload),
            "fd3e4e8543c5188531eb7279d68ae7d26a573d0fc5ab0d18eb692451654d837a"
        );
    }

    #[test]
    fn the_docs_mixed_query_and_body_example() {
        let payload = total_params(
            "symbol=BTCUSDT&side=BUY&type=LIMIT",
            "quantity=1&price=11&recvWindow=5000&timestamp=1644489390087",
        );
        assert_eq!(
            hmac_hex(SECRET, &payload),
            "d1a676610ceb39174c8039b3f548357994b2a34139a8addd33baadba65684592"
        );
    }
}
