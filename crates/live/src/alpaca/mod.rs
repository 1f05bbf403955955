//! Alpaca (paper or live) trading adapter: REST v2 for orders, positions,
//! account and activities, and the `trade_updates` WebSocket stream.
//!
//! Alpaca has no request signing: the key id and secret travel as two
//! headers on every request and in the stream's `authenticate` message,
//! and nowhere else (never into an error, never into the log).
//!
//! Choices worth knowing:
//! - A US-equity market order is sent with `time_in_force: "day"` whatever
//!   the request says: a market order is meant to fill in the session it
//!   was sent for, `day` is what fractional equity orders require, and it
//!   keeps an order queued outside market hours from surviving into later
//!   sessions. Everything else maps `Gtc` → `gtc` and `Ioc` → `ioc`.
//! - A request with both `take_profit` and `stop_loss` is sent as a
//!   `bracket` order; Alpaca supports brackets for US equities only, so
//!   [`VenueApi::conform`] refuses one on a crypto pair rather than
//!   silently dropping the protective exits.
//! - Crypto fills carry no fee on the activity or the stream (Alpaca books
//!   crypto fees as separate activities): fills report a zero fee in USD.

mod account;
mod limiter;
mod orders;
mod rest;
mod rules;
mod stream;
mod time;
mod wire;

use crate::api::{
    ApiError, FlattenOutcome, PlaceRequest, StreamEvent, VenueApi, VenueCash, VenueFill,
    VenueHolding, VenueOrder,
};
use crate::secret::Credentials;
use omni_core::domain::BrokerKind;
use rest::Rest;
use rules::RuleBook;
use rust_decimal::Decimal;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;

/// Paper trading REST base.
pub const PAPER_REST_URL: &str = "https://paper-api.alpaca.markets";
/// Paper trading `trade_updates` stream.
pub const PAPER_STREAM_URL: &str = "wss://paper-api.alpaca.markets/stream";

/// Where and how to reach Alpaca.
#[derive(Clone, Debug)]
pub struct AlpacaConfig {
    /// REST base, without `/v2` (default [`PAPER_REST_URL`]).
    pub rest_url: String,
    /// The trade stream's URL (default [`PAPER_STREAM_URL`]).
    pub stream_url: String,
    /// `key` is the key id (`APCA-API-KEY-ID`), `secret` the secret key.
    pub credentials: Credentials,
    /// Whole-request timeout; past it a request's outcome is unknown.
    pub request_timeout: Duration,
}

impl AlpacaConfig {
    /// The paper endpoints with a 10 s request timeout.
    pub fn paper(credentials: Credentials) -> Self {
        Self {
            rest_url: PAPER_REST_URL.into(),
            stream_url: PAPER_STREAM_URL.into(),
            credentials,
            request_timeout: Duration::from_secs(10),
        }
    }
}

/// Why an [`Alpaca`] could not be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AlpacaError {
    #[error("alpaca {which} url `{url}` is not usable: {reason}")]
    BadUrl {
        which: &'static str,
        url: String,
        reason: String,
    },
    #[error("alpaca http client: {0}")]
    Client(String),
}

/// The Alpaca adapter; cheap to share behind an `Arc`.
pub struct Alpaca {
    rest: Rest,
    stream_url: String,
    credentials: Credentials,
    test_endpoint: bool,
    rules: RuleBook,
    malformed: Arc<AtomicU64>,
}

impl Alpaca {
    /// Checks the URLs and builds the HTTP client; sends nothing.
    pub fn new(cfg: AlpacaConfig) -> Result<Self, AlpacaError> {
        let rest_url = reqwest::Url::parse(&cfg.rest_url).map_err(|e| AlpacaError::BadUrl {
            which: "rest",
            url: cfg.rest_url.clone(),
            reason: e.to_string(),
        })?;
        if !matches!(rest_url.scheme(), "http" | "https") || rest_url.cannot_be_a_base() {
            return Err(AlpacaError::BadUrl {
                which: "rest",
                url: cfg.rest_url.clone(),
                reason: "expected http(s)://host[/path]".into(),
            });
        }
        let stream_url = reqwest::Url::parse(&cfg.stream_url).map_err(|e| AlpacaError::BadUrl {
            which: "stream",
            url: cfg.stream_url.clone(),
            reason: e.to_string(),
        })?;
        if !matches!(stream_url.scheme(), "ws" | "wss") {
            return Err(AlpacaError::BadUrl {
                which: "stream",
                url: cfg.stream_url.clone(),
                reason: "expected ws(s)://".into(),
            });
        }
        let test_endpoint = crate::config::is_test_url(BrokerKind::Alpaca, rest_url.as_str())
            && crate::config::is_test_url(BrokerKind::Alpaca, stream_url.as_str());
        let rest = Rest::new(rest_url, cfg.credentials.clone(), cfg.request_timeout)?;
        Ok(Self {
            rest,
            stream_url: cfg.stream_url,
            credentials: cfg.credentials,
            test_endpoint,
            rules: RuleBook::default(),
            malformed: Arc::new(AtomicU64::new(0)),
        })
    }

    /// Stream frames that could not be understood and were dropped, since
    /// this adapter was built.
    pub fn malformed_frames(&self) -> u64 {
        self.malformed.load(Ordering::Relaxed)
    }
}

impl VenueApi for Alpaca {
    fn name(&self) -> &'static str {
        "alpaca"
    }

    fn is_test_endpoint(&self) -> bool {
        self.test_endpoint
    }

    /// Alpaca's symbols are the catalog's: `AAPL`, and crypto pairs with
    /// their slash (`BTC/USD`).
    fn symbol(&self, instrument: &str) -> String {
        instrument.to_string()
    }

    async fn prepare(&self, symbols: &[String]) -> Result<(), ApiError> {
        account::check_account(&self.rest).await?;
        for symbol in symbols {
            let rules = account::asset_rules(&self.rest, symbol).await?;
            self.rules.insert(symbol, rules);
        }
        Ok(())
    }

    fn conform(&self, req: &mut PlaceRequest, reference: Decimal) -> Result<(), String> {
        self.rules.conform(req, reference)
    }

    async fn place(&self, req: &PlaceRequest) -> Result<VenueOrder, ApiError> {
        orders::place(&self.rest, &self.rules, req).await
    }

    async fn cancel(&self, _symbol: &str, client_id: &str) -> Result<(), ApiError> {
        orders::cancel(&self.rest, client_id).await
    }

    async fn query(&self, _symbol: &str, client_id: &str) -> Result<Option<VenueOrder>, ApiError> {
        orders::query(&self.rest, client_id).await
    }

    async fn open_orders(&self) -> Result<Vec<VenueOrder>, ApiError> {
        orders::open_orders(&self.rest).await
    }

    async fn fills(&self, _symbol: &str, venue_order_id: &str) -> Result<Vec<VenueFill>, ApiError> {
        account::fills(&self.rest, venue_order_id).await
    }

    async fn holdings(&self) -> Result<Vec<VenueHolding>, ApiError> {
        account::holdings(&self.rest).await
    }

    async fn cash(&self) -> Result<Vec<VenueCash>, ApiError> {
        account::cash(&self.rest).await
    }

    async fn cancel_all(&self) -> Result<usize, ApiError> {
        orders::cancel_all(&self.rest).await
    }

    fn closes_positions(&self) -> bool {
        true
    }

    /// Closes every position of the account (`DELETE
    /// /v2/positions?cancel_orders=true`, the venue's own kill switch),
    /// not only `holdings`: Alpaca closes account-wide in one call;
    /// `holdings` only names the failures in the caller's symbols.
    async fn flatten(&self, holdings: &[VenueHolding]) -> Result<FlattenOutcome, ApiError> {
        account::flatten(&self.rest, holdings).await
    }

    async fn stream(&self, tx: mpsc::Sender<StreamEvent>) {
        stream::run(&self.stream_url, &self.credentials, &self.malformed, &tx).await;
    }
}
