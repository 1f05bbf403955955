//! TradeLocker (demo or live) trading adapter: JWT login and refresh,
//! account discovery with `accNum` on every trade call, the positional
//! rows of `/trade/*` read by the column ids of `/trade/config`, orders
//! with stop loss and take profit, positions closed by TradeLocker itself,
//! and a polling stand-in for a private stream within the per-route rate
//! limits of `/trade/config`.
//!
//! Choices worth knowing:
//! - **Symbols.** The catalog's `EUR/USD` is TradeLocker's instrument
//!   `EURUSD` (the slash dropped; instrument names are per broker, and a
//!   name the account does not list is refused by `conform`). Orders carry
//!   the instrument's `tradableInstrumentId` and its TRADE route id.
//! - **Client ids.** TradeLocker has no client order id: our client id
//!   travels as the order's `strategyId` (≤ 32 characters, checked in
//!   `conform`), and an order is found by scanning `orders`, then
//!   `ordersHistory`, for it. A place is **never** retried (no known
//!   dedupe: a second send would be a second order); a lost answer is
//!   `OutcomeUnknown`, resolved by that scan.
//! - **Lots.** The order manager and the engine count units (EUR of
//!   EUR/USD); TradeLocker's `qty` counts lots of the instrument's
//!   contract size, `lotSize` of its details
//!   (`GET /trade/instruments/{id}`, read in `prepare`, or on first sight
//!   of an instrument in a row). `conform` rounds the units down to whole
//!   lot steps (`lotStep`) and refuses below `minLot` or above `maxLot`
//!   (0.01 lot minimum and step, as the official client hard-codes, when
//!   neither the details nor the list name them); `place` sends lots;
//!   every order, fill and position read back is reported in units. No
//!   contract size from the broker, no order: it is refused, never
//!   guessed, and that instrument's lots are reported under a name no
//!   catalog instrument has (see [`catalog::IN_LOTS`]).
//! - **Ticks.** Limit, stop, stop loss and take profit prices go to the
//!   tick of the details' `tickSize` ladder (else the catalog's
//!   [`TradeLockerConfig::tick_sizes`]) on the side that never costs the
//!   engine more; see [`catalog::Catalog::conform`].
//! - **Tokens.** Refreshed 30 min before expiry (half the lifetime for a
//!   shorter-lived token), or after a 401, and the request sent again
//!   once; the refresh token lapsing means a new login. The password and
//!   both tokens are [`Secret`]s and reach no log and no error.
//! - **Equity** is `projectedBalance` (balance plus open P&L), margin
//!   used `initialMarginReq`, margin available `availableFunds`.
//! - **Flatten** is `DELETE /trade/accounts/{id}/positions`; the closing
//!   orders TradeLocker makes carry no `strategyId` and are reported by
//!   TradeLocker's order id as their client id.

mod account;
mod auth;
mod catalog;
mod limiter;
mod orders;
mod poll;
mod rest;
mod rows;
mod sizing;
mod specs;
mod wire;

use crate::api::{
    ApiError, FlattenOutcome, PlaceRequest, StreamEvent, VenueApi, VenueCash, VenueFill,
    VenueHolding, VenueOrder,
};
use crate::secret::Secret;
use catalog::{Catalog, Tables};
use rest::Rest;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;

/// Demo REST base.
pub const DEMO_REST_URL: &str = "https://demo.tradelocker.com/backend-api";
/// Live REST base.
pub const LIVE_REST_URL: &str = "https://live.tradelocker.com/backend-api";

/// Where and how to reach TradeLocker.
#[derive(Clone, Debug)]
pub struct TradeLockerConfig {
    /// REST base including `/backend-api` (default [`DEMO_REST_URL`]).
    pub rest_url: String,
    /// The login's email.
    pub email: String,
    pub password: Secret,
    /// The broker's server name (`OSP-DEMO`, …), part of the login.
    pub server: String,
    /// The account to trade (`id` of `all-accounts`); the first ACTIVE
    /// account when `None`.
    pub account_id: Option<String>,
    /// Whole-request timeout; past it a request's outcome is unknown.
    pub request_timeout: Duration,
    /// How often [`VenueApi::stream`] polls.
    pub poll: Duration,
    /// The catalog's tick size by instrument (catalog name, `EUR/USD`),
    /// used to round prices of an instrument whose TradeLocker details
    /// give no `tickSize`; empty by default.
    pub tick_sizes: BTreeMap<String, Decimal>,
}

impl TradeLockerConfig {
    /// The demo endpoint, a 10 s request timeout and a 1 s poll.
    pub fn demo(email: &str, password: Secret, server: &str) -> Self {
        Self {
            rest_url: DEMO_REST_URL.into(),
            email: email.into(),
            password,
            server: server.into(),
            account_id: None,
            request_timeout: Duration::from_secs(10),
            poll: Duration::from_secs(1),
            tick_sizes: BTreeMap::new(),
        }
    }
}

/// Why a [`TradeLocker`] could not be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TradeLockerError {
    #[error("tradelocker url `{url}` is not usable: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("tradelocker http client: {0}")]
    Client(String),
}

/// The TradeLocker adapter; cheap to share behind an `Arc`.
pub struct TradeLocker {
    rest: Rest,
    catalog: Catalog,
    test_endpoint: bool,
    poll: Duration,
    /// Set when this adapter changed something the poll should look at
    /// in full (a place, a cancel, a close).
    dirty: AtomicBool,
    /// Client ids whose place request left this adapter.
    sent: Mutex<HashSet<String>>,
}

/// `EUR/USD` → `EURUSD`: TradeLocker's instrument names have no
/// separator.
fn venue_symbol(instrument: &str) -> String {
    instrument.replace('/', "")
}

/// TradeLocker's demo service or this machine (one list for the whole
/// crate: [`crate::config::is_test_url`]).
fn is_demo(url: &reqwest::Url) -> bool {
    crate::config::is_test_url(omni_core::domain::BrokerKind::TradeLocker, url.as_str())
}

impl TradeLocker {
    /// Checks the URL and builds the HTTP client; sends nothing.
    pub fn new(cfg: TradeLockerConfig) -> Result<Self, TradeLockerError> {
        let url = reqwest::Url::parse(&cfg.rest_url).map_err(|e| TradeLockerError::BadUrl {
            url: cfg.rest_url.clone(),
            reason: e.to_string(),
        })?;
        if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
            return Err(TradeLockerError::BadUrl {
                url: cfg.rest_url.clone(),
                reason: "expected http(s)://host/backend-api".into(),
            });
        }
        let ticks = cfg
            .tick_sizes
            .iter()
            .map(|(name, tick)| (venue_symbol(name), *tick))
            .collect();
        Ok(Self {
            test_endpoint: is_demo(&url),
            rest: Rest::new(url, &cfg)?,
            catalog: Catalog::with_fallback_ticks(ticks),
            poll: cfg.poll,
            dirty: AtomicBool::new(false),
            sent: Mutex::new(HashSet::new()),
        })
    }

    /// The column lists, loaded (with the instruments) on first need.
    async fn tables(&self) -> Result<Tables, ApiError> {
        match self.catalog.tables() {
            Some(t) if self.catalog.has_instruments() => Ok(t),
            _ => account::load(&self.rest, &self.catalog).await,
        }
    }

    async fn currency(&self) -> Result<String, ApiError> {
        Ok(self.rest.account().await?.currency)
    }

    fn touched(&self) {
        self.dirty.store(true, Ordering::SeqCst);
    }

    fn sent(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        // A set of ids; a panic elsewhere cannot leave it half-written.
        self.sent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn was_sent(&self, client_id: &str) -> bool {
        self.sent().contains(client_id)
    }

    fn mark_sent(&self, client_id: &str) {
        self.sent().insert(client_id.to_string());
    }
}

impl VenueApi for TradeLocker {
    fn name(&self) -> &'static str {
        "tradelocker"
    }

    fn is_test_endpoint(&self) -> bool {
        self.test_endpoint
    }

    /// `EUR/USD` → `EURUSD`: TradeLocker's instrument names have no
    /// separator.
    fn symbol(&self, instrument: &str) -> String {
        venue_symbol(instrument)
    }

    /// Logs in (when needed), picks the account, reads `/trade/config`
    /// (columns and rate limits), the instruments and the details of each
    /// one traded (its contract size, lot rules and ticks), and refuses a
    /// symbol the account cannot trade or whose contract size TradeLocker
    /// does not give (its orders could not be sized in lots). Details
    /// without a contract size are asked again on the next `prepare`.
    async fn prepare(&self, symbols: &[String]) -> Result<(), ApiError> {
        account::load(&self.rest, &self.catalog).await?;
        for s in symbols {
            let Some(ins) = self.catalog.instrument(s) else {
                return Err(ApiError::Refused {
                    code: "instrument".into(),
                    message: format!("TradeLocker lists no instrument `{s}` on this account"),
                });
            };
            let known = self
                .catalog
                .spec(&ins.tradable_id)
                .is_some_and(|spec| spec.contract.is_some());
            if !known {
                let spec = specs::fetch(&self.rest, &ins).await?;
                self.catalog.set_spec(&ins.tradable_id, spec);
            }
        }
        for s in symbols {
            let contract = self
                .catalog
                .instrument(s)
                .and_then(|ins| self.catalog.spec(&ins.tradable_id))
                .and_then(|spec| spec.contract);
            if contract.is_none() {
                return Err(ApiError::Refused {
                    code: "lot_size".into(),
                    message: format!(
                        "TradeLocker gives no contract size (`lotSize` of its instrument details) for {s}: \
                         its orders cannot be sized in lots, and none is sent"
                    ),
                });
            }
        }
        Ok(())
    }

    fn conform(&self, req: &mut PlaceRequest, _reference: Decimal) -> Result<(), String> {
        self.catalog.conform(req)
    }

    /// Places once. A client id this adapter already sent (the order
    /// manager resends one the venue seemed not to have) is looked for
    /// first: TradeLocker has no dedupe, so a late first send would
    /// otherwise be doubled; found, it is reported a duplicate, to be
    /// resolved by query.
    async fn place(&self, req: &PlaceRequest) -> Result<VenueOrder, ApiError> {
        let tables = self.tables().await.map_err(rest::not_sent)?;
        if self.was_sent(&req.client_id)
            && orders::find(&self.rest, &tables, &req.client_id)
                .await
                .map_err(rest::not_sent)?
                .is_some()
        {
            return Err(ApiError::DuplicateClientId);
        }
        self.touched();
        self.mark_sent(&req.client_id);
        orders::place(&self.rest, &self.catalog, req).await
    }

    async fn cancel(&self, _symbol: &str, client_id: &str) -> Result<(), ApiError> {
        let tables = self.tables().await?;
        self.touched();
        orders::cancel(&self.rest, &tables, client_id).await
    }

    async fn query(&self, _symbol: &str, client_id: &str) -> Result<Option<VenueOrder>, ApiError> {
        let tables = self.tables().await?;
        let Some(o) = orders::find(&self.rest, &tables, client_id).await? else {
            return Ok(None);
        };
        specs::ensure(&self.rest, &self.catalog, [o.instrument_id.as_str()]).await?;
        Ok(Some(orders::to_venue(&o, &self.catalog)))
    }

    async fn open_orders(&self) -> Result<Vec<VenueOrder>, ApiError> {
        let tables = self.tables().await?;
        orders::open_orders(&self.rest, &tables, &self.catalog).await
    }

    async fn fills(&self, _symbol: &str, venue_order_id: &str) -> Result<Vec<VenueFill>, ApiError> {
        let tables = self.tables().await?;
        let currency = self.currency().await?;
        account::fills(
            &self.rest,
            &tables,
            &self.catalog,
            &currency,
            venue_order_id,
        )
        .await
    }

    async fn holdings(&self) -> Result<Vec<VenueHolding>, ApiError> {
        let tables = self.tables().await?;
        let list = account::positions(&self.rest, &tables).await?;
        specs::ensure(
            &self.rest,
            &self.catalog,
            list.iter().map(|p| p.instrument_id.as_str()),
        )
        .await?;
        Ok(account::net(&list, &self.catalog))
    }

    async fn cash(&self) -> Result<Vec<VenueCash>, ApiError> {
        let tables = self.tables().await?;
        let currency = self.currency().await?;
        account::cash(&self.rest, &tables, &currency).await
    }

    async fn cancel_all(&self) -> Result<usize, ApiError> {
        let tables = self.tables().await?;
        self.touched();
        orders::cancel_all(&self.rest, &tables).await
    }

    fn closes_positions(&self) -> bool {
        true
    }

    /// The balance leaves open positions out: they are on margin.
    fn cash_paid_for_positions(&self) -> bool {
        false
    }

    /// Closes every position of the account (TradeLocker's close-all),
    /// not only `holdings`, then looks again; see [`account::flatten`].
    async fn flatten(&self, _holdings: &[VenueHolding]) -> Result<FlattenOutcome, ApiError> {
        let tables = self.tables().await?;
        self.touched();
        account::flatten(&self.rest, &tables, &self.catalog).await
    }

    async fn stream(&self, tx: mpsc::Sender<StreamEvent>) {
        poll::run(self, &tx).await;
    }
}
