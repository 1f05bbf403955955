//! MEXC spot (`broker = "mexc"`): the signed REST API v3 for orders and
//! the account, the `listenKey` WebSocket with protobuf pushes for the
//! private stream.
//!
//! **MEXC has no testnet.** Every real MEXC endpoint trades real money:
//! [`MexcSpot::is_test_endpoint`] is true only for this machine
//! (`127.0.0.1`, `localhost`, `::1`), i.e. a local mock.
//!
//! Errors are classified for the order manager ([`ApiError`]):
//! `700001`/`700002`/`700006`/`700007`/`10072`/`602` are
//! [`ApiError::Auth`]; `-2011`/`-2013` on a cancel or query are "no such
//! order"; `30002`/`30003` (order value), `30004`/`10101` (balance),
//! `30000`/`10007`/`30014` (symbol), `30029` (open-order limit) and every
//! other code are [`ApiError::Refused`]; HTTP 429/418 are
//! [`ApiError::RateLimited`] (nothing is sent until `Retry-After` has
//! passed); 5xx, codes `500`/`503`/`504`/`20002`, timeouts, a connection
//! lost after sending and an unreadable 200 are
//! [`ApiError::OutcomeUnknown`]; a connection that never opened is
//! [`ApiError::Unreachable`]. A `700003` (timestamp) re-measures the clock
//! and sends once more.
//!
//! Decisions where MEXC's documentation is silent or unclear:
//! - Whether MEXC refuses a repeated `newClientOrderId` is not documented,
//!   so no answer is read as [`ApiError::DuplicateClientId`]: after a lost
//!   reply the order manager resolves the order by query (by
//!   `origClientOrderId`), and resends only after the venue kept saying
//!   "no such order".
//! - `POST /api/v3/order` answers with an acknowledgement only (no status,
//!   no executed quantity), so a place is followed by one query of the
//!   order; if that query fails the order is reported working and the
//!   stream or the next reconciliation tells the rest.
//! - Market orders are sent with `quantity` on both sides (the doc allows
//!   it; `quoteOrderQty` would make the bought quantity the venue's
//!   choice).
//! - `GET /api/v3/openOrders` needs a symbol: the open orders are those of
//!   every symbol this adapter prepared or traded, plus each `<asset><quote>`
//!   of an asset with a locked balance (a sell resting on a symbol we never
//!   traded). A buy made by hand on a symbol we never traded and whose
//!   base we do not hold locks only the quote asset and cannot be found.

pub mod filters;
pub mod limiter;
pub mod proto;
pub mod rest;
pub mod sign;
pub mod stream;
pub mod wire;

mod account;
mod orders;

use crate::api::{
    ApiError, FlattenOutcome, PlaceRequest, StreamEvent, VenueApi, VenueCash, VenueFill,
    VenueHolding, VenueOrder,
};
use crate::secret::Credentials;
use filters::SymbolRules;
use rest::Rest;
use rust_decimal::Decimal;
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// MEXC's REST host (production: there is no other).
pub const DEFAULT_REST_URL: &str = crate::config::MEXC_REST_URL;
/// MEXC's WebSocket host for the private stream (the listen key is added
/// as `?listenKey=`).
pub const DEFAULT_WS_URL: &str = crate::config::MEXC_WS_URL;

/// Where and how to reach MEXC spot.
#[derive(Clone, Debug)]
pub struct MexcConfig {
    /// REST base, by default [`DEFAULT_REST_URL`].
    pub rest_url: String,
    /// Private stream WebSocket, by default [`DEFAULT_WS_URL`].
    pub ws_url: String,
    pub credentials: Credentials,
    /// How long after its timestamp a signed request stays valid, ms
    /// (MEXC: default 5000, at most 60000).
    pub recv_window_ms: u64,
    /// Timeout of one REST request (and of the stream's connect and
    /// subscribe); past it the outcome of an order is unknown.
    pub request_timeout: Duration,
    /// Assets held as cash (`USDT`, `USDC`, …); every other balance is a
    /// holding, and `flatten` sells it against the first of these that
    /// has a market.
    pub quote_assets: Vec<String>,
    /// How long a query keeps asking before "no such order" is believed:
    /// an order just placed may not be readable yet.
    pub not_found_grace: Duration,
}

impl MexcConfig {
    /// MEXC's production endpoints with the default settings.
    pub fn new(credentials: Credentials) -> Self {
        Self {
            rest_url: DEFAULT_REST_URL.into(),
            ws_url: DEFAULT_WS_URL.into(),
            credentials,
            recv_window_ms: 5000,
            request_timeout: Duration::from_secs(10),
            quote_assets: vec!["USDT".into()],
            not_found_grace: Duration::from_secs(1),
        }
    }
}

/// Why the adapter could not be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SetupError {
    #[error("mexc: {0}")]
    Invalid(String),
}

/// The MEXC spot adapter.
pub struct MexcSpot {
    cfg: MexcConfig,
    rest: Rest,
    rules: Mutex<HashMap<String, SymbolRules>>,
    /// Symbols prepared or traded: where open orders are looked for.
    known: Mutex<BTreeSet<String>>,
    /// The last account answer, shared by calls made together (MEXC
    /// allows 2 account requests a second).
    account: tokio::sync::Mutex<Option<(Instant, wire::AccountJson)>>,
    malformed: Arc<AtomicU64>,
}

/// The host of a URL (`scheme://host[:port]/…`), lower case, without the
/// brackets of an IPv6 address.
fn host(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit('@').next()?;
    let h = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next()?
    } else {
        authority.split(':').next()?
    };
    (!h.is_empty()).then(|| h.to_ascii_lowercase())
}

/// True for this machine only: MEXC has no test service.
pub fn is_local_url(url: &str) -> bool {
    host(url).is_some_and(|h| matches!(h.as_str(), "127.0.0.1" | "localhost" | "::1"))
}

/// A decimal as MEXC wants it: plain, without trailing zeros.
fn plain(d: Decimal) -> String {
    d.normalize().to_string()
}

fn unreadable(what: &str, e: impl std::fmt::Display) -> ApiError {
    ApiError::OutcomeUnknown(format!("{what}: unreadable answer: {e}"))
}

fn lock<T>(m: &Mutex<T>) -> Result<std::sync::MutexGuard<'_, T>, ApiError> {
    m.lock()
        .map_err(|_| ApiError::OutcomeUnknown("mexc: a lock was poisoned".into()))
}

impl MexcSpot {
    pub fn new(cfg: MexcConfig) -> Result<Self, SetupError> {
        for url in [&cfg.rest_url, &cfg.ws_url] {
            if host(url).is_none() {
                return Err(SetupError::Invalid(format!("not a URL: {url}")));
            }
        }
        if cfg.credentials.key.is_empty() || cfg.credentials.secret.is_empty() {
            return Err(SetupError::Invalid("empty API key or secret".into()));
        }
        if cfg.recv_window_ms == 0 || cfg.recv_window_ms > 60_000 {
            return Err(SetupError::Invalid(
                "recv_window_ms must be 1..=60000 (MEXC refuses more)".into(),
            ));
        }
        let rest = Rest::new(
            &cfg.rest_url,
            cfg.credentials.clone(),
            cfg.recv_window_ms,
            cfg.request_timeout,
        )
        .map_err(SetupError::Invalid)?;
        Ok(Self {
            cfg,
            rest,
            rules: Mutex::new(HashMap::new()),
            known: Mutex::new(BTreeSet::new()),
            account: tokio::sync::Mutex::new(None),
            malformed: Arc::new(AtomicU64::new(0)),
        })
    }

    /// Stream frames dropped as unreadable since the adapter was made.
    pub fn malformed_frames(&self) -> u64 {
        self.malformed.load(Ordering::Relaxed)
    }

    /// The measured clock offset to the venue (venue minus local), ms.
    pub fn clock_offset_ms(&self) -> i64 {
        self.rest.offset_ms()
    }

    /// The loaded rules of a symbol.
    pub fn rules(&self, symbol: &str) -> Option<SymbolRules> {
        self.rules.lock().ok()?.get(symbol).cloned()
    }

    fn remember(&self, symbol: &str) {
        if let Ok(mut k) = self.known.lock() {
            k.insert(symbol.to_string());
        }
    }

    fn is_quote(&self, asset: &str) -> bool {
        self.cfg.quote_assets.iter().any(|q| q == asset)
    }
}

impl VenueApi for MexcSpot {
    fn name(&self) -> &'static str {
        "mexc"
    }

    /// MEXC has no testnet: only a local endpoint (a mock) is a test.
    fn is_test_endpoint(&self) -> bool {
        is_local_url(&self.cfg.rest_url) && is_local_url(&self.cfg.ws_url)
    }

    fn symbol(&self, instrument: &str) -> String {
        instrument
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_uppercase()
    }

    async fn prepare(&self, symbols: &[String]) -> Result<(), ApiError> {
        self.rest.sync_time().await?;
        for s in symbols {
            self.remember(s);
        }
        self.load_rules(symbols).await
    }

    fn conform(&self, req: &mut PlaceRequest, reference: Decimal) -> Result<(), String> {
        let r = self
            .rules(&req.symbol)
            .ok_or_else(|| format!("no rules for {}: not prepared", req.symbol))?;
        r.conform(req, reference)
    }

    async fn place(&self, req: &PlaceRequest) -> Result<VenueOrder, ApiError> {
        self.place_order(req).await
    }

    async fn cancel(&self, symbol: &str, client_id: &str) -> Result<(), ApiError> {
        self.cancel_order(symbol, client_id).await
    }

    async fn query(&self, symbol: &str, client_id: &str) -> Result<Option<VenueOrder>, ApiError> {
        self.query_order(symbol, client_id).await
    }

    async fn open_orders(&self) -> Result<Vec<VenueOrder>, ApiError> {
        self.all_open_orders().await
    }

    async fn fills(&self, symbol: &str, venue_order_id: &str) -> Result<Vec<VenueFill>, ApiError> {
        self.trades(symbol, venue_order_id).await
    }

    async fn holdings(&self) -> Result<Vec<VenueHolding>, ApiError> {
        self.balances_held().await
    }

    async fn cash(&self) -> Result<Vec<VenueCash>, ApiError> {
        self.cash_held().await
    }

    async fn cancel_all(&self) -> Result<usize, ApiError> {
        self.cancel_everything().await
    }

    async fn flatten(&self, holdings: &[VenueHolding]) -> Result<FlattenOutcome, ApiError> {
        let mut out = FlattenOutcome::default();
        for h in holdings {
            match self.flatten_one(h).await? {
                Ok(Some(o)) => out.orders.push(o),
                Ok(None) => {}
                Err(why) => out.left.push((h.symbol.clone(), why)),
            }
        }
        Ok(out)
    }

    async fn stream(&self, tx: mpsc::Sender<StreamEvent>) {
        let ctx = stream::StreamCtx {
            rest: &self.rest,
            ws_url: &self.cfg.ws_url,
            timeout: self.cfg.request_timeout,
            malformed: Arc::clone(&self.malformed),
        };
        stream::run(ctx, tx).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_machine_is_a_test_endpoint() {
        assert!(is_local_url("http://127.0.0.1:4000"));
        assert!(is_local_url("ws://localhost:9/ws"));
        assert!(is_local_url("http://[::1]:80/"));
        assert!(!is_local_url(DEFAULT_REST_URL));
        assert!(!is_local_url(DEFAULT_WS_URL));
        assert!(!is_local_url("https://127.0.0.1.example.com"));
        assert!(!is_local_url("not a url"));
    }
}
