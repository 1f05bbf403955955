//! Binance Spot (and its testnet): the signed REST API for orders and the
//! account, the WebSocket API for the private stream.
//!
//! Errors are classified for the order manager ([`ApiError`]):
//! `-2010 "Duplicate order sent."` is [`ApiError::DuplicateClientId`];
//! other `-2010`, `-1013` (filters), `-1100`, `-1121`, `-2011` on a place
//! are [`ApiError::Refused`]; `-1022`/`-2014`/`-2015` are
//! [`ApiError::Auth`]; 429/418 are [`ApiError::RateLimited`] (and nothing
//! is sent until `Retry-After` has passed); 5xx, `-1006`, `-1007`,
//! timeouts, a connection lost after sending and an unreadable 200 are
//! [`ApiError::OutcomeUnknown`]; a connection that never opened is
//! [`ApiError::Unreachable`]. A `-1021` (timestamp) is never returned
//! as such: the clock is re-measured and the request sent once more,
//! which is safe even for an order, as the venue did not place it.

pub mod filters;
pub mod rest;
pub mod sign;
pub mod stream;
pub mod wire;

use crate::api::{
    ApiError, FlattenOutcome, PlaceRequest, StreamEvent, VenueApi, VenueCash, VenueFill,
    VenueHolding, VenueOrder,
};
use crate::secret::Credentials;
use filters::SymbolFilters;
use omni_core::domain::{BrokerKind, OrderType, Side, TimeInForce};
use reqwest::Method;
use rest::{Failure, Kind, Rest};
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

/// Where and how to reach Binance Spot.
#[derive(Clone, Debug)]
pub struct BinanceConfig {
    /// REST base, e.g. `https://testnet.binance.vision` or
    /// `https://api.binance.com`.
    pub rest_url: String,
    /// WebSocket API endpoint for the private stream.
    pub ws_api_url: String,
    pub credentials: Credentials,
    /// How long after its timestamp a signed request stays valid, ms.
    pub recv_window_ms: u64,
    /// Timeout of one REST request (and of the stream's connect and
    /// subscribe); past it the outcome of an order is unknown.
    pub request_timeout: Duration,
    /// Assets held as cash (`USDT`, `USDC`, …); every other balance is a
    /// holding, and `flatten` sells it against the first of these that
    /// has a market.
    pub quote_assets: Vec<String>,
    /// How long a query keeps asking before "no such order" is believed:
    /// an order just placed may not be readable yet (replication lag).
    pub not_found_grace: Duration,
}

impl BinanceConfig {
    /// The Spot testnet with the default settings.
    pub fn testnet(credentials: Credentials) -> Self {
        Self {
            rest_url: "https://testnet.binance.vision".into(),
            ws_api_url: "wss://ws-api.testnet.binance.vision/ws-api/v3".into(),
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
    #[error("binance: {0}")]
    Invalid(String),
}

/// The Binance Spot adapter.
pub struct BinanceSpot {
    cfg: BinanceConfig,
    rest: Rest,
    filters: Mutex<HashMap<String, SymbolFilters>>,
    malformed: Arc<AtomicU64>,
}

/// A decimal as Binance wants it: plain, without trailing zeros.
fn plain(d: Decimal) -> String {
    d.normalize().to_string()
}

fn unreadable(what: &str, e: impl std::fmt::Display) -> ApiError {
    ApiError::OutcomeUnknown(format!("{what}: unreadable answer: {e}"))
}

impl BinanceSpot {
    pub fn new(cfg: BinanceConfig) -> Result<Self, SetupError> {
        for url in [&cfg.rest_url, &cfg.ws_api_url] {
            if !url.contains("://") {
                return Err(SetupError::Invalid(format!("not a URL: {url}")));
            }
        }
        if cfg.credentials.key.is_empty() || cfg.credentials.secret.is_empty() {
            return Err(SetupError::Invalid("empty API key or secret".into()));
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
            filters: Mutex::new(HashMap::new()),
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

    /// The loaded filters of a symbol.
    pub fn filters(&self, symbol: &str) -> Option<SymbolFilters> {
        self.filters.lock().ok()?.get(symbol).cloned()
    }

    /// Loads exchangeInfo for the symbols whose filters we lack.
    async fn load_filters(&self, symbols: &[String]) -> Result<(), ApiError> {
        let missing: Vec<String> = {
            let known = self
                .filters
                .lock()
                .map_err(|_| ApiError::OutcomeUnknown("filters lock poisoned".into()))?;
            symbols
                .iter()
                .filter(|s| !known.contains_key(*s))
                .cloned()
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect()
        };
        if missing.is_empty() {
            return Ok(());
        }
        let list = serde_json::to_string(&missing).map_err(|e| unreadable("symbols", e))?;
        let v = self
            .rest
            .public("/api/v3/exchangeInfo", &[("symbols", list)])
            .await
            .map_err(Failure::into_api)?;
        if let Some(limits) = v.get("rateLimits").and_then(Value::as_array) {
            for l in limits {
                let is_weight = l.get("rateLimitType").and_then(Value::as_str)
                    == Some("REQUEST_WEIGHT")
                    && l.get("interval").and_then(Value::as_str) == Some("MINUTE")
                    && l.get("intervalNum").and_then(Value::as_u64) == Some(1);
                if let (true, Some(limit)) = (is_weight, l.get("limit").and_then(Value::as_u64)) {
                    self.rest.set_weight_limit(limit);
                }
            }
        }
        let list = v
            .get("symbols")
            .and_then(Value::as_array)
            .ok_or_else(|| unreadable("exchangeInfo", "no symbols"))?;
        let mut parsed = Vec::new();
        for s in list {
            parsed.push(SymbolFilters::from_json(s).map_err(|e| unreadable("exchangeInfo", e))?);
        }
        if let Ok(mut known) = self.filters.lock() {
            for f in parsed {
                known.insert(f.symbol.clone(), f);
            }
        }
        Ok(())
    }

    /// Places an order and returns the venue's answer with the executions
    /// of a FULL response (a market order's fills arrive here at once).
    pub async fn place_full(
        &self,
        req: &PlaceRequest,
    ) -> Result<(VenueOrder, Vec<VenueFill>), ApiError> {
        if req.take_profit.is_some() || req.stop_loss.is_some() {
            return Err(ApiError::Refused {
                code: "local".into(),
                message: "Binance Spot holds no bracket exits".into(),
            });
        }
        let mut p: Vec<(&str, String)> = vec![
            ("symbol", req.symbol.clone()),
            ("side", req.side.as_str().into()),
        ];
        let tif = match req.tif {
            TimeInForce::Gtc => "GTC",
            TimeInForce::Ioc => "IOC",
        };
        let need = |v: Option<Decimal>, what: &str| {
            v.ok_or_else(|| ApiError::Refused {
                code: "local".into(),
                message: format!("{} order without {what}", req.kind.as_str()),
            })
        };
        match req.kind {
            OrderType::Market => p.push(("type", "MARKET".into())),
            OrderType::Limit => {
                p.push(("type", "LIMIT".into()));
                p.push(("timeInForce", tif.into()));
                p.push(("price", plain(need(req.limit, "a limit price")?)));
            }
            OrderType::Stop => {
                p.push(("type", "STOP_LOSS".into()));
                p.push(("stopPrice", plain(need(req.stop, "a stop price")?)));
            }
            OrderType::StopLimit => {
                p.push(("type", "STOP_LOSS_LIMIT".into()));
                p.push(("timeInForce", tif.into()));
                p.push(("price", plain(need(req.limit, "a limit price")?)));
                p.push(("stopPrice", plain(need(req.stop, "a stop price")?)));
            }
        }
        p.push(("quantity", plain(req.qty)));
        p.push(("newClientOrderId", req.client_id.clone()));
        p.push(("newOrderRespType", "FULL".into()));
        let v = self
            .rest
            .signed(Method::POST, "/api/v3/order", &p, Kind::Order)
            .await
            .map_err(Failure::into_api)?;
        let o: wire::OrderJson = serde_json::from_value(v).map_err(|e| unreadable("place", e))?;
        let order = o.to_order().map_err(|e| unreadable("place", e))?;
        let fills = o.to_fills().map_err(|e| unreadable("place", e))?;
        Ok((order, fills))
    }

    async fn query_once(
        &self,
        symbol: &str,
        client_id: &str,
    ) -> Result<Option<VenueOrder>, ApiError> {
        let p = [
            ("symbol", symbol.to_string()),
            ("origClientOrderId", client_id.to_string()),
        ];
        match self
            .rest
            .signed(Method::GET, "/api/v3/order", &p, Kind::Other)
            .await
        {
            Ok(v) => {
                let o: wire::OrderJson =
                    serde_json::from_value(v).map_err(|e| unreadable("query", e))?;
                o.to_order().map(Some).map_err(|e| unreadable("query", e))
            }
            Err(Failure::Venue { code: -2013, .. }) => Ok(None),
            Err(f) => Err(f.into_api()),
        }
    }

    async fn account(&self) -> Result<wire::AccountJson, ApiError> {
        let v = self
            .rest
            .signed(
                Method::GET,
                "/api/v3/account",
                &[("omitZeroBalances", "true".into())],
                Kind::Other,
            )
            .await
            .map_err(Failure::into_api)?;
        serde_json::from_value(v).map_err(|e| unreadable("account", e))
    }

    fn is_quote(&self, asset: &str) -> bool {
        self.cfg.quote_assets.iter().any(|q| q == asset)
    }

    /// The last price of a symbol (prices a market order's notional).
    async fn last_price(&self, symbol: &str) -> Option<Decimal> {
        let v = self
            .rest
            .public("/api/v3/ticker/price", &[("symbol", symbol.to_string())])
            .await
            .ok()?;
        v.get("price")?.as_str()?.parse().ok()
    }

    /// Sells one holding at market: the sell order, nothing for a holding
    /// that is not long, or why it was left.
    async fn flatten_one(
        &self,
        h: &VenueHolding,
    ) -> Result<Result<Option<VenueOrder>, String>, ApiError> {
        if h.qty <= Decimal::ZERO {
            return Ok(Ok(None));
        }
        let mut market = None;
        for q in &self.cfg.quote_assets {
            let symbol = format!("{}{q}", h.symbol);
            match self.load_filters(std::slice::from_ref(&symbol)).await {
                Ok(()) => {
                    market = Some(symbol);
                    break;
                }
                // -1121 "Invalid symbol.": no such market, try the next quote.
                Err(ApiError::Refused { .. }) => continue,
                Err(e) => return Err(e),
            }
        }
        let Some(symbol) = market else {
            return Ok(Err(format!(
                "no market for {} against {}",
                h.symbol,
                self.cfg.quote_assets.join("/")
            )));
        };
        let reference = self.last_price(&symbol).await.unwrap_or(Decimal::ZERO);
        let mut req = PlaceRequest {
            client_id: format!("flat-{}-{}", h.symbol, self.rest.now_ms())
                .chars()
                .take(36)
                .collect(),
            symbol,
            side: Side::Sell,
            kind: OrderType::Market,
            tif: TimeInForce::Gtc,
            qty: h.qty,
            limit: None,
            stop: None,
            take_profit: None,
            stop_loss: None,
        };
        if let Err(why) = self.conform(&mut req, reference) {
            return Ok(Err(format!("dust: {why}")));
        }
        match self.place_full(&req).await {
            Ok((o, _)) => Ok(Ok(Some(o))),
            Err(ApiError::Refused { code, message }) => {
                Ok(Err(format!("refused ({code}): {message}")))
            }
            Err(e @ ApiError::OutcomeUnknown(_)) => Ok(Err(e.to_string())),
            Err(e) => Err(e),
        }
    }
}

impl VenueApi for BinanceSpot {
    fn name(&self) -> &'static str {
        "binance"
    }

    fn is_test_endpoint(&self) -> bool {
        crate::config::is_test_url(BrokerKind::Binance, &self.cfg.rest_url)
            && crate::config::is_test_url(BrokerKind::Binance, &self.cfg.ws_api_url)
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
        self.load_filters(symbols).await
    }

    fn conform(&self, req: &mut PlaceRequest, reference: Decimal) -> Result<(), String> {
        let f = self
            .filters(&req.symbol)
            .ok_or_else(|| format!("no filters for {}: not prepared", req.symbol))?;
        f.conform(req, reference)
    }

    async fn place(&self, req: &PlaceRequest) -> Result<VenueOrder, ApiError> {
        self.place_full(req).await.map(|(o, _)| o)
    }

    async fn cancel(&self, symbol: &str, client_id: &str) -> Result<(), ApiError> {
        let p = [
            ("symbol", symbol.to_string()),
            ("origClientOrderId", client_id.to_string()),
        ];
        match self
            .rest
            .signed(Method::DELETE, "/api/v3/order", &p, Kind::Order)
            .await
        {
            Ok(_) => Ok(()),
            Err(Failure::Venue { code: -2011, .. }) => Err(ApiError::NotFound),
            Err(f) => Err(f.into_api()),
        }
    }

    async fn query(&self, symbol: &str, client_id: &str) -> Result<Option<VenueOrder>, ApiError> {
        // "Order does not exist" right after a place may be replication
        // lag: ask again a couple of times within the grace before
        // believing it.
        let pause = self.cfg.not_found_grace / 3;
        for attempt in 0..3 {
            if let Some(o) = self.query_once(symbol, client_id).await? {
                return Ok(Some(o));
            }
            if attempt < 2 && !pause.is_zero() {
                tokio::time::sleep(pause).await;
            }
        }
        Ok(None)
    }

    async fn open_orders(&self) -> Result<Vec<VenueOrder>, ApiError> {
        let v = self
            .rest
            .signed(Method::GET, "/api/v3/openOrders", &[], Kind::Other)
            .await
            .map_err(Failure::into_api)?;
        let list: Vec<wire::OrderJson> =
            serde_json::from_value(v).map_err(|e| unreadable("openOrders", e))?;
        list.iter()
            .map(|o| o.to_order().map_err(|e| unreadable("openOrders", e)))
            .collect()
    }

    async fn fills(&self, symbol: &str, venue_order_id: &str) -> Result<Vec<VenueFill>, ApiError> {
        let p = [
            ("symbol", symbol.to_string()),
            ("orderId", venue_order_id.to_string()),
        ];
        let v = self
            .rest
            .signed(Method::GET, "/api/v3/myTrades", &p, Kind::Other)
            .await
            .map_err(Failure::into_api)?;
        let list: Vec<wire::TradeJson> =
            serde_json::from_value(v).map_err(|e| unreadable("myTrades", e))?;
        Ok(list.iter().map(wire::TradeJson::to_fill).collect())
    }

    async fn holdings(&self) -> Result<Vec<VenueHolding>, ApiError> {
        let acct = self.account().await?;
        Ok(acct
            .balances
            .iter()
            .filter(|b| !self.is_quote(&b.asset))
            .map(|b| VenueHolding {
                symbol: b.asset.clone(),
                qty: (b.free + b.locked).normalize(),
                avg_price: None,
            })
            .filter(|h| !h.qty.is_zero())
            .collect())
    }

    async fn cash(&self) -> Result<Vec<VenueCash>, ApiError> {
        let acct = self.account().await?;
        Ok(self
            .cfg
            .quote_assets
            .iter()
            .map(|q| VenueCash {
                currency: q.clone(),
                amount: acct
                    .balances
                    .iter()
                    .filter(|b| &b.asset == q)
                    .map(|b| b.free + b.locked)
                    .sum::<Decimal>()
                    .normalize(),
                equity: None,
                margin_used: None,
                margin_available: None,
            })
            .collect())
    }

    async fn cancel_all(&self) -> Result<usize, ApiError> {
        let open = self.open_orders().await?;
        let symbols: BTreeSet<String> = open.into_iter().map(|o| o.symbol).collect();
        let mut cancelled = 0;
        for symbol in symbols {
            match self
                .rest
                .signed(
                    Method::DELETE,
                    "/api/v3/openOrders",
                    &[("symbol", symbol)],
                    Kind::Order,
                )
                .await
            {
                Ok(v) => cancelled += v.as_array().map_or(0, Vec::len),
                // Already gone between the listing and the cancel.
                Err(Failure::Venue { code: -2011, .. }) => {}
                Err(f) => return Err(f.into_api()),
            }
        }
        Ok(cancelled)
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
            url: &self.cfg.ws_api_url,
            creds: self.rest.credentials(),
            timestamp_ms: self.rest.now_ms(),
            timeout: self.cfg.request_timeout,
            malformed: Arc::clone(&self.malformed),
        };
        stream::run(ctx, tx).await;
    }
}
