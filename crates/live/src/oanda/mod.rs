//! OANDA v20 (practice or live) adapter for forex accounts: REST v3 for
//! orders, positions, the account summary and transactions, and the
//! chunked-HTTP transaction stream.
//!
//! OANDA has no request signing: a personal access token travels as
//! `Authorization: Bearer …` on every request and nowhere else (never into
//! an error, never into the log).
//!
//! Choices worth knowing:
//! - Units are signed on the wire (negative sells) and sent as strings;
//!   a catalog instrument `EUR/USD` is OANDA's `EUR_USD`.
//! - A market order goes as `FOK` (`IOC` when the request says `Ioc`);
//!   a limit or stop order as `GTC` (`IOC` when the request says `Ioc`).
//!   Every order carries our client id in `clientExtensions.id` (tag
//!   `omni`) and `positionFill: DEFAULT`, except one that may only reduce
//!   a position (the engine's exit, unwind or flatten, as its client id
//!   says): `REDUCE_ONLY`, so an exit that arrives after OANDA's own stop
//!   has closed the trade is cancelled instead of opening the reverse
//!   position. `take_profit`/`stop_loss` become
//!   `takeProfitOnFill`/`stopLossOnFill`: OANDA then holds the exits as
//!   dependent `TAKE_PROFIT`/`STOP_LOSS` orders on the opened trade, which
//!   survive our process. When one fires, its fill (no client id) is
//!   reported under the client id of the order that opened the trade, so
//!   the order manager books it as the venue's exit of that position (see
//!   the `stream` module).
//! - An order OANDA accepts but cannot fill (`INSUFFICIENT_MARGIN`,
//!   `INSUFFICIENT_LIQUIDITY`, `MARKET_HALTED`) is answered 201 with an
//!   `orderCancelTransaction`: it is reported `Cancelled` with that reason,
//!   not as an error. A request OANDA refuses is a 400 with a reject
//!   transaction: [`ApiError::Refused`] with its `rejectReason`.
//! - The open orders include the dependent exits (they are orders OANDA
//!   holds; without a client id of ours they carry OANDA's order id as
//!   client id), but [`VenueApi::cancel_all`] leaves them alone: the kill
//!   switch closes every position ([`VenueApi::flatten`]), which makes
//!   OANDA cancel a closed trade's exits itself, and a close that fails
//!   (a halted market) then still leaves the broker-held stop in place.
//!   Until the positions are closed the account does not count as flat.
//! - An order without a client id of ours (a dependent exit, one made by
//!   hand on OANDA's platform, a position close) is named by its OANDA
//!   id, digits only; `cancel` and `query` send such an id bare and any
//!   other as `@{client id}`, so the kill switch can cancel an order made
//!   by hand one by one (OANDA answers `@{its id}` with 404
//!   `ORDER_DOESNT_EXIST`).
//! - An OANDA order fills at most once (one `ORDER_FILL`, named by the
//!   order's `fillingTransactionID`), so an order's fills are read from
//!   that one transaction (`GET …/transactions/{id}`) rather than by
//!   scanning the transaction history.
//! - Most accounts pay no commission: a fill's fee is its `commission`
//!   when present, else 0, in the account's currency.
//! - OANDA publishes no rate headers; requests are spaced to at most 100
//!   a second (its best-practice limit per connection), and a 429 stops
//!   every request for its `Retry-After` (1 s when absent).
//! - Where OANDA's documents leave things open: a reused client id
//!   (`CLIENT_ORDER_ID_ALREADY_EXISTS`, whatever the first order's state)
//!   is [`ApiError::DuplicateClientId`], resolved by query, never by a new
//!   id; a 404 on an order is "no such order" only when its code says so
//!   (`ORDER_DOESNT_EXIST`, or `NO_SUCH_ORDER` from a lookup), any other
//!   404 (an unknown account) is a refusal, so a wrong account id never
//!   makes the order manager send an order again; `clientExtensions.id`
//!   limits are not checked here (the broker's reject says so). Holdings
//!   are net per instrument, as on a non-hedging account; the close sends
//!   both sides whenever both hold units, so a hedged account is closed
//!   in full all the same.

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
use crate::secret::Secret;
use rest::Rest;
use rules::RuleBook;
use rust_decimal::Decimal;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;

/// Practice (fxTrade Practice) REST base.
pub const PRACTICE_REST_URL: &str = "https://api-fxpractice.oanda.com";
/// Practice streaming base (the transaction stream lives here).
pub const PRACTICE_STREAM_URL: &str = "https://stream-fxpractice.oanda.com";

/// Where and how to reach one OANDA account.
#[derive(Clone, Debug)]
pub struct OandaConfig {
    /// REST base, without `/v3` (default [`PRACTICE_REST_URL`]).
    pub rest_url: String,
    /// Streaming base, without `/v3` (default [`PRACTICE_STREAM_URL`]).
    pub stream_url: String,
    /// The v20 account id (`101-004-1435156-001`).
    pub account_id: String,
    /// The personal access token, sent as a Bearer token.
    pub token: Secret,
    /// Whole-request timeout; past it a request's outcome is unknown.
    pub request_timeout: Duration,
}

impl OandaConfig {
    /// The practice endpoints with a 10 s request timeout.
    pub fn practice(account_id: impl Into<String>, token: Secret) -> Self {
        Self {
            rest_url: PRACTICE_REST_URL.into(),
            stream_url: PRACTICE_STREAM_URL.into(),
            account_id: account_id.into(),
            token,
            request_timeout: Duration::from_secs(10),
        }
    }
}

/// Why an [`Oanda`] could not be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OandaError {
    #[error("oanda {which} url `{url}` is not usable: {reason}")]
    BadUrl {
        which: &'static str,
        url: String,
        reason: String,
    },
    #[error("oanda account id `{0}` is not usable (expected something like 101-004-1435156-001)")]
    BadAccount(String),
    #[error("oanda http client: {0}")]
    Client(String),
}

/// The OANDA adapter of one account; cheap to share behind an `Arc`.
pub struct Oanda {
    rest: Rest,
    stream_url: reqwest::Url,
    test_endpoint: bool,
    rules: RuleBook,
    account: account::AccountInfo,
    malformed: Arc<AtomicU64>,
    /// The last transaction id the stream has seen (0: none yet in this
    /// process), where the next connection catches up from.
    last_seen: Arc<AtomicU64>,
    silent_after: Duration,
}

fn parse_base(which: &'static str, url: &str) -> Result<reqwest::Url, OandaError> {
    let bad = |reason: String| OandaError::BadUrl {
        which,
        url: url.to_string(),
        reason,
    };
    let parsed = reqwest::Url::parse(url).map_err(|e| bad(e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.cannot_be_a_base() {
        return Err(bad("expected http(s)://host[/path]".into()));
    }
    Ok(parsed)
}

/// OANDA's practice service or this machine (one list for the whole
/// crate: [`crate::config::is_test_url`]).
fn is_test_host(url: &reqwest::Url) -> bool {
    crate::config::is_test_url(omni_core::domain::BrokerKind::Oanda, url.as_str())
}

impl Oanda {
    /// Checks the URLs and the account id and builds the HTTP clients;
    /// sends nothing.
    pub fn new(cfg: OandaConfig) -> Result<Self, OandaError> {
        let rest_url = parse_base("rest", &cfg.rest_url)?;
        let stream_url = parse_base("stream", &cfg.stream_url)?;
        let id_ok = !cfg.account_id.is_empty()
            && cfg
                .account_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !id_ok {
            return Err(OandaError::BadAccount(cfg.account_id));
        }
        let test_endpoint = is_test_host(&rest_url) && is_test_host(&stream_url);
        let rest = Rest::new(rest_url, cfg.account_id, cfg.token, cfg.request_timeout)?;
        Ok(Self {
            rest,
            stream_url,
            test_endpoint,
            rules: RuleBook::default(),
            account: account::AccountInfo::default(),
            malformed: Arc::new(AtomicU64::new(0)),
            last_seen: Arc::new(AtomicU64::new(0)),
            silent_after: stream::SILENT_AFTER,
        })
    }

    /// How long the transaction stream may go without a line (OANDA
    /// heartbeats every 5 s) before it is taken for dead; 10 s unless
    /// changed here (tests shorten it).
    pub fn with_stream_silence_limit(mut self, limit: Duration) -> Self {
        self.silent_after = limit;
        self
    }

    /// Stream lines that could not be understood and were dropped, since
    /// this adapter was built.
    pub fn malformed_lines(&self) -> u64 {
        self.malformed.load(Ordering::Relaxed)
    }
}

/// OANDA's order specifier for an id the seam names an order by: an id of
/// digits only is OANDA's own order id, sent bare (an order without a
/// client id of ours is listed under it, see [`wire::WireOrder::client_id`],
/// and `@{OANDA id}` would name a client id OANDA does not have: 404
/// `ORDER_DOESNT_EXIST`); any other id is a client id, sent as `@{id}`.
/// Ours never are digits only (they start `om`).
fn specifier(client_id: &str) -> String {
    if !client_id.is_empty() && client_id.bytes().all(|b| b.is_ascii_digit()) {
        client_id.to_string()
    } else {
        format!("@{client_id}")
    }
}

impl VenueApi for Oanda {
    fn name(&self) -> &'static str {
        "oanda"
    }

    fn is_test_endpoint(&self) -> bool {
        self.test_endpoint
    }

    /// `EUR/USD` → `EUR_USD`; a name without a slash is taken as OANDA's.
    fn symbol(&self, instrument: &str) -> String {
        instrument.replace('/', "_")
    }

    /// Reads the account's currency (for fees) and the instruments'
    /// trading rules (`GET …/instruments?instruments=`).
    async fn prepare(&self, symbols: &[String]) -> Result<(), ApiError> {
        let summary = account::summary(&self.rest).await?;
        self.account.set_currency(&summary.currency);
        if symbols.is_empty() {
            return Ok(());
        }
        for (name, rules) in account::instrument_rules(&self.rest, symbols).await? {
            self.rules.insert(&name, rules);
        }
        Ok(())
    }

    fn conform(&self, req: &mut PlaceRequest, reference: Decimal) -> Result<(), String> {
        self.rules.conform(req, reference)
    }

    async fn place(&self, req: &PlaceRequest) -> Result<VenueOrder, ApiError> {
        orders::place(&self.rest, req).await
    }

    /// `PUT …/orders/{specifier}/cancel`, the order named as [`specifier`]
    /// says: an order with no client id of ours (made by hand on OANDA's
    /// platform) is cancelled by its OANDA id, which the kill switch's
    /// order-by-order cancels depend on.
    async fn cancel(&self, _symbol: &str, client_id: &str) -> Result<(), ApiError> {
        orders::cancel(&self.rest, &specifier(client_id)).await
    }

    /// `GET …/orders/{specifier}`, the order named as [`specifier`] says
    /// (the position closes OANDA makes carry no client id).
    async fn query(&self, _symbol: &str, client_id: &str) -> Result<Option<VenueOrder>, ApiError> {
        orders::query(&self.rest, &specifier(client_id)).await
    }

    async fn open_orders(&self) -> Result<Vec<VenueOrder>, ApiError> {
        orders::open_orders(&self.rest).await
    }

    async fn fills(&self, _symbol: &str, venue_order_id: &str) -> Result<Vec<VenueFill>, ApiError> {
        account::fills(&self.rest, &self.account.currency(), venue_order_id).await
    }

    async fn holdings(&self) -> Result<Vec<VenueHolding>, ApiError> {
        account::holdings(&self.rest).await
    }

    async fn cash(&self) -> Result<Vec<VenueCash>, ApiError> {
        let s = account::summary(&self.rest).await?;
        self.account.set_currency(&s.currency);
        Ok(vec![s.to_cash()])
    }

    /// Cancels every pending order that is not a trade's dependent exit
    /// (see the module docs); an order already gone counts as done.
    async fn cancel_all(&self) -> Result<usize, ApiError> {
        orders::cancel_all(&self.rest).await
    }

    fn closes_positions(&self) -> bool {
        true
    }

    /// The balance leaves open positions out: they are on margin.
    fn cash_paid_for_positions(&self) -> bool {
        false
    }

    /// Closes every open side of every position of the account, read
    /// afresh from `openPositions` (`holdings` is not trusted; it only
    /// names what could not be closed). OANDA gives a closing order no
    /// client id: each is reported under its OANDA order id as client id.
    async fn flatten(&self, holdings: &[VenueHolding]) -> Result<FlattenOutcome, ApiError> {
        account::flatten(&self.rest, holdings).await
    }

    /// Runs the transaction stream (the `stream` module says what each
    /// line becomes). The account's currency, the fee asset of fills, is read
    /// first if no summary was read yet.
    async fn stream(&self, tx: mpsc::Sender<StreamEvent>) {
        if self.account.currency().is_empty()
            && let Ok(s) = account::summary(&self.rest).await
        {
            self.account.set_currency(&s.currency);
        }
        let ctx = stream::Context {
            rest: &self.rest,
            base: &self.stream_url,
            currency: self.account.currency(),
            malformed: &self.malformed,
            last_seen: &self.last_seen,
            silent_after: self.silent_after,
        };
        stream::run(&ctx, &tx).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(rest: &str, stream: &str) -> OandaConfig {
        OandaConfig {
            rest_url: rest.into(),
            stream_url: stream.into(),
            ..OandaConfig::practice("101-004-1-001", Secret::new("t"))
        }
    }

    #[test]
    fn practice_and_loopback_are_test_endpoints() {
        let o = Oanda::new(cfg(PRACTICE_REST_URL, PRACTICE_STREAM_URL)).unwrap();
        assert!(o.is_test_endpoint());
        let o = Oanda::new(cfg("http://127.0.0.1:9", "http://localhost:9")).unwrap();
        assert!(o.is_test_endpoint());
        let o = Oanda::new(cfg(
            "https://api-fxtrade.oanda.com",
            "https://stream-fxtrade.oanda.com",
        ))
        .unwrap();
        assert!(!o.is_test_endpoint());
        assert_eq!(o.symbol("EUR/USD"), "EUR_USD");
    }

    #[test]
    fn oandas_own_ids_go_bare_and_client_ids_with_an_at() {
        assert_eq!(specifier("2304"), "2304");
        assert_eq!(specifier("om0-7-123456"), "@om0-7-123456");
        assert_eq!(specifier("by-hand-1"), "@by-hand-1");
        assert_eq!(specifier(""), "@");
    }

    #[test]
    fn bad_urls_and_accounts_are_refused() {
        assert!(matches!(
            Oanda::new(cfg("wss://x", PRACTICE_STREAM_URL)),
            Err(OandaError::BadUrl { which: "rest", .. })
        ));
        let mut c = cfg(PRACTICE_REST_URL, PRACTICE_STREAM_URL);
        c.account_id = "101/../x".into();
        assert!(matches!(Oanda::new(c), Err(OandaError::BadAccount(_))));
    }
}
