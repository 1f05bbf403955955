//! `[brokers.<account>]`: where a live account's venue is and where its
//! keys come from. An account with `broker = "binance"`, `"alpaca"`,
//! `"oanda"`, `"tradelocker"` or `"mexc"` needs its entry; the endpoint
//! defaults to the venue's test service (Binance Spot testnet, Alpaca
//! paper, OANDA practice, TradeLocker demo; MEXC has none, so a MEXC
//! account is LIVE unless pointed at a local mock), and a real-money
//! endpoint makes the account LIVE, which a run starts only with `--live`
//! and a typed confirmation.
//!
//! Keys never appear here: the entry names the environment variables
//! holding them, or a private key file (refused when group or others may
//! read it). The pair is the venue's own: an API key and secret (Binance,
//! Alpaca); the v20 account id and the personal access token (OANDA); the
//! login email and password (TradeLocker, with `server`, and `account_id`
//! to pick one of the login's accounts).

use crate::secret::KeySource;
use omni_core::domain::BrokerKind;
use omni_core::validation::{Invalid, bad};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// One live account's connection.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrokerEndpoint {
    /// REST base URL; the venue's test service when absent.
    #[serde(default)]
    pub rest_url: Option<String>,
    /// Private stream URL (Binance WebSocket API, Alpaca trade stream);
    /// the venue's test service when absent.
    #[serde(default)]
    pub stream_url: Option<String>,
    /// Environment variable holding the API key.
    #[serde(default)]
    pub key_env: Option<String>,
    /// Environment variable holding the API secret.
    #[serde(default)]
    pub secret_env: Option<String>,
    /// A key file (`key = …`, `secret = …`, mode 0600) instead of
    /// environment variables; relative to the configuration file.
    #[serde(default)]
    pub keys_file: Option<String>,
    /// TradeLocker: the broker's server name, part of the login.
    #[serde(default)]
    pub server: Option<String>,
    /// TradeLocker: which of the login's accounts to trade (its `id`); the
    /// first active one when absent.
    #[serde(default)]
    pub account_id: Option<String>,
}

/// `[brokers]`: one entry per live account, by account name.
pub type BrokersConfig = BTreeMap<String, BrokerEndpoint>;

/// MEXC's REST base and private stream (it has no test service).
pub const MEXC_REST_URL: &str = "https://api.mexc.com";
pub const MEXC_WS_URL: &str = "wss://wbs-api.mexc.com/ws";

/// The venue's test service, per broker: (REST, stream).
pub fn default_urls(kind: BrokerKind) -> (&'static str, &'static str) {
    match kind {
        BrokerKind::Binance => (
            "https://testnet.binance.vision",
            "wss://ws-api.testnet.binance.vision/ws-api/v3",
        ),
        BrokerKind::Alpaca => (
            "https://paper-api.alpaca.markets",
            "wss://paper-api.alpaca.markets/stream",
        ),
        // The transaction stream is chunked HTTP on its own host.
        BrokerKind::Oanda => (
            "https://api-fxpractice.oanda.com",
            "https://stream-fxpractice.oanda.com",
        ),
        // No stream: the order manager's stream polls the REST API.
        BrokerKind::TradeLocker => (
            "https://demo.tradelocker.com/backend-api",
            "https://demo.tradelocker.com/backend-api",
        ),
        // No test service: the defaults are MEXC itself (LIVE).
        BrokerKind::Mexc => (MEXC_REST_URL, MEXC_WS_URL),
        BrokerKind::Paper => ("", ""),
    }
}

/// The host of a URL (`scheme://host[:port]/…`), lower-cased.
fn host(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit('@').next()?;
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next()?
    } else {
        authority.split(':').next()?
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// True when `url` is the venue's test or paper service, or this machine
/// (a local mock): orders there move no real money.
pub fn is_test_url(kind: BrokerKind, url: &str) -> bool {
    let Some(h) = host(url) else {
        return false;
    };
    if matches!(h.as_str(), "127.0.0.1" | "localhost" | "::1") {
        return true;
    }
    match kind {
        BrokerKind::Binance => {
            h == "testnet.binance.vision" || h.ends_with(".testnet.binance.vision")
        }
        BrokerKind::Alpaca => h == "paper-api.alpaca.markets",
        BrokerKind::Oanda => h == "api-fxpractice.oanda.com" || h == "stream-fxpractice.oanda.com",
        BrokerKind::TradeLocker => h == "demo.tradelocker.com",
        // MEXC has no test service: only a local mock is one.
        BrokerKind::Mexc => false,
        BrokerKind::Paper => true,
    }
}

impl BrokerEndpoint {
    /// REST and stream URLs, defaults filled in.
    pub fn urls(&self, kind: BrokerKind) -> (String, String) {
        let (rest, stream) = default_urls(kind);
        (
            self.rest_url.clone().unwrap_or_else(|| rest.to_string()),
            self.stream_url
                .clone()
                .unwrap_or_else(|| stream.to_string()),
        )
    }

    /// True when both URLs are the venue's test service or this machine.
    pub fn is_test(&self, kind: BrokerKind) -> bool {
        let (rest, stream) = self.urls(kind);
        is_test_url(kind, &rest) && is_test_url(kind, &stream)
    }

    /// Where the keys come from; a relative key file is under `base_dir`.
    pub fn key_source(&self, base_dir: &Path) -> Option<KeySource> {
        match (&self.key_env, &self.secret_env, &self.keys_file) {
            (Some(key), Some(secret), None) => Some(KeySource::Env {
                key: key.clone(),
                secret: secret.clone(),
            }),
            (None, None, Some(file)) => Some(KeySource::File(base_dir.join(file))),
            _ => None,
        }
    }
}

/// Checks `[brokers]` against the accounts (`(name, broker)` in file
/// order): every live account has its entry with one source of keys and
/// well-formed URLs; no entry names a paper or unknown account.
pub fn validate(brokers: &BrokersConfig, accounts: &[(String, BrokerKind)]) -> Result<(), Invalid> {
    for (i, (name, kind)) in accounts.iter().enumerate() {
        if !kind.is_live() {
            continue;
        }
        let Some(e) = brokers.get(name) else {
            return Err(bad(
                format!("accounts[{i}].broker"),
                format!(
                    "account `{name}` trades on {}: add [brokers.{name}] with key_env and secret_env (or keys_file)",
                    kind.as_str()
                ),
            ));
        };
        let at = |field: &str| format!("brokers.{name}.{field}");
        if e.key_source(Path::new(".")).is_none() {
            return Err(bad(
                at("key_env"),
                "give key_env and secret_env (environment variables), or keys_file, not both",
            ));
        }
        match kind {
            BrokerKind::TradeLocker => {
                if e.server.as_deref().is_none_or(str::is_empty) {
                    return Err(bad(
                        at("server"),
                        "a TradeLocker login needs its broker's server name (server = \"…\")",
                    ));
                }
                if e.stream_url.is_some() {
                    return Err(bad(
                        at("stream_url"),
                        "TradeLocker has no stream: its orders are polled over rest_url",
                    ));
                }
            }
            _ => {
                for field in [("server", &e.server), ("account_id", &e.account_id)] {
                    if field.1.is_some() {
                        return Err(bad(
                            at(field.0),
                            format!("{} is for TradeLocker accounts only", field.0),
                        ));
                    }
                }
            }
        }
        // OANDA's transaction stream is chunked HTTP, the others' WebSocket.
        let stream_schemes: &[&str] = if *kind == BrokerKind::Oanda {
            &["https://", "http://"]
        } else {
            &["wss://", "ws://"]
        };
        for (field, url, schemes) in [
            ("rest_url", &e.rest_url, &["https://", "http://"][..]),
            ("stream_url", &e.stream_url, stream_schemes),
        ] {
            if let Some(u) = url {
                if !schemes.iter().any(|s| u.starts_with(s)) || host(u).is_none() {
                    return Err(bad(
                        at(field),
                        format!("`{u}` is not a {} URL", schemes.join(" or ")),
                    ));
                }
                // Keys travel in headers: only a local mock may be plain.
                let plain = u.starts_with("http://") || u.starts_with("ws://");
                if plain && !is_loopback(u) {
                    return Err(bad(
                        at(field),
                        format!("`{u}` is unencrypted; only 127.0.0.1 may be (a local mock)"),
                    ));
                }
            }
        }
    }
    for name in brokers.keys() {
        match accounts.iter().find(|(n, _)| n == name) {
            None => {
                return Err(bad(
                    format!("brokers.{name}"),
                    format!("no account is named `{name}`"),
                ));
            }
            Some((_, kind)) if !kind.is_live() => {
                return Err(bad(
                    format!("brokers.{name}"),
                    format!(
                        "account `{name}` is a {} account and never calls a broker",
                        kind.as_str()
                    ),
                ));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

fn is_loopback(url: &str) -> bool {
    host(url).is_some_and(|h| matches!(h.as_str(), "127.0.0.1" | "localhost" | "::1"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accounts() -> Vec<(String, BrokerKind)> {
        vec![
            ("paper-main".into(), BrokerKind::Paper),
            ("bn".into(), BrokerKind::Binance),
        ]
    }

    fn env_entry() -> BrokerEndpoint {
        BrokerEndpoint {
            key_env: Some("BN_KEY".into()),
            secret_env: Some("BN_SECRET".into()),
            ..Default::default()
        }
    }

    #[test]
    fn test_services_and_this_machine_are_test_endpoints_and_nothing_else_is() {
        use BrokerKind::*;
        assert!(is_test_url(Binance, "https://testnet.binance.vision"));
        assert!(is_test_url(
            Binance,
            "wss://ws-api.testnet.binance.vision/ws-api/v3"
        ));
        assert!(is_test_url(Binance, "http://127.0.0.1:4100"));
        assert!(is_test_url(Alpaca, "https://paper-api.alpaca.markets"));
        assert!(is_test_url(Alpaca, "ws://[::1]:9/stream"));
        assert!(!is_test_url(Binance, "https://api.binance.com"));
        assert!(!is_test_url(
            Binance,
            "https://testnet.binance.vision.evil.com"
        ));
        assert!(!is_test_url(Alpaca, "https://api.alpaca.markets"));
        assert!(!is_test_url(
            Alpaca,
            "https://paper-api.alpaca.markets@api.alpaca.markets"
        ));
        assert!(env_entry().is_test(Binance));
        let live = BrokerEndpoint {
            rest_url: Some("https://api.binance.com".into()),
            ..env_entry()
        };
        assert!(!live.is_test(Binance));
    }

    #[test]
    fn a_live_account_needs_its_entry_with_one_key_source() {
        let mut b = BrokersConfig::new();
        let e = validate(&b, &accounts()).unwrap_err();
        assert_eq!(e.key.to_string(), "accounts[1].broker");
        assert!(e.message.contains("[brokers.bn]"), "{}", e.message);
        b.insert("bn".into(), BrokerEndpoint::default());
        let e = validate(&b, &accounts()).unwrap_err();
        assert_eq!(e.key.to_string(), "brokers.bn.key_env");
        b.insert(
            "bn".into(),
            BrokerEndpoint {
                keys_file: Some("bn.keys".into()),
                ..env_entry()
            },
        );
        assert!(validate(&b, &accounts()).is_err(), "both sources at once");
        b.insert("bn".into(), env_entry());
        assert!(validate(&b, &accounts()).is_ok());
    }

    #[test]
    fn entries_for_paper_or_unknown_accounts_and_plain_remote_urls_are_refused() {
        let mut b = BrokersConfig::new();
        b.insert("bn".into(), env_entry());
        b.insert("paper-main".into(), env_entry());
        let e = validate(&b, &accounts()).unwrap_err();
        assert!(e.message.contains("never calls a broker"), "{}", e.message);
        b.remove("paper-main");
        b.insert("nobody".into(), env_entry());
        assert!(
            validate(&b, &accounts())
                .unwrap_err()
                .message
                .contains("no account")
        );
        b.remove("nobody");
        b.insert(
            "bn".into(),
            BrokerEndpoint {
                rest_url: Some("http://api.binance.com".into()),
                ..env_entry()
            },
        );
        let e = validate(&b, &accounts()).unwrap_err();
        assert_eq!(e.key.to_string(), "brokers.bn.rest_url");
        assert!(e.message.contains("unencrypted"), "{}", e.message);
    }

    #[test]
    fn forex_brokers_have_their_own_test_services_and_entries() {
        use BrokerKind::*;
        assert!(is_test_url(Oanda, "https://api-fxpractice.oanda.com"));
        assert!(is_test_url(Oanda, "https://stream-fxpractice.oanda.com"));
        assert!(!is_test_url(Oanda, "https://api-fxtrade.oanda.com"));
        assert!(is_test_url(
            TradeLocker,
            "https://demo.tradelocker.com/backend-api"
        ));
        assert!(!is_test_url(
            TradeLocker,
            "https://live.tradelocker.com/backend-api"
        ));
        // The defaults are the test services, stream included.
        assert!(env_entry().is_test(Oanda));
        assert!(env_entry().is_test(TradeLocker));

        let accounts = vec![("fx".to_string(), Oanda), ("tl".to_string(), TradeLocker)];
        let tl = BrokerEndpoint {
            server: Some("OSP-DEMO".into()),
            ..env_entry()
        };
        let oanda = BrokerEndpoint {
            // OANDA's transaction stream is chunked HTTPS, not WebSocket.
            stream_url: Some("https://stream-fxpractice.oanda.com".into()),
            ..env_entry()
        };
        let mut b = BrokersConfig::new();
        b.insert("fx".into(), oanda.clone());
        b.insert("tl".into(), tl.clone());
        assert!(validate(&b, &accounts).is_ok());

        b.insert("tl".into(), env_entry());
        let e = validate(&b, &accounts).unwrap_err();
        assert_eq!(e.key.to_string(), "brokers.tl.server");
        b.insert(
            "tl".into(),
            BrokerEndpoint {
                stream_url: Some("wss://demo.tradelocker.com".into()),
                ..tl
            },
        );
        let e = validate(&b, &accounts).unwrap_err();
        assert_eq!(e.key.to_string(), "brokers.tl.stream_url");
        assert!(e.message.contains("polled"), "{}", e.message);
        b.remove("tl");
        b.insert(
            "fx".into(),
            BrokerEndpoint {
                server: Some("x".into()),
                ..oanda
            },
        );
        let accounts = vec![("fx".to_string(), Oanda)];
        let e = validate(&b, &accounts).unwrap_err();
        assert_eq!(e.key.to_string(), "brokers.fx.server");
    }

    #[test]
    fn mexc_has_no_test_service_so_only_a_local_mock_is_test() {
        use BrokerKind::Mexc;
        assert!(!env_entry().is_test(Mexc), "the defaults are MEXC itself");
        assert!(!is_test_url(Mexc, "https://api.mexc.com"));
        let local = BrokerEndpoint {
            rest_url: Some("http://127.0.0.1:4100".into()),
            stream_url: Some("ws://127.0.0.1:4101/ws".into()),
            ..env_entry()
        };
        assert!(local.is_test(Mexc));
    }
}
