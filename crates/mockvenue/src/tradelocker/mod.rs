//! A mock TradeLocker (demo) on 127.0.0.1 under `/backend-api`: JWT
//! login and refresh with real three-part tokens of a settable lifetime
//! (401 once one lapses), `all-accounts`, the `accNum` header required on
//! every `/trade/*` call, `/trade/config` with column lists and
//! `rateLimits` (enforced per route with 429s), positional rows in the
//! config's order with numbers sometimes as strings, the
//! `{"s":"ok","d":…}` / `{"s":"error","errmsg":…}` envelope, the
//! instruments and each one's details (contract size `lotSize`, lot rules
//! and `tickSize`, asked on its INFO route; orders are counted in lots of
//! that size and refused off the lot rules), orders with
//! stop loss and take profit, positions, executions, cancel, cancel-all,
//! close-all and the account state valued at the set prices.
//!
//! Its book ([`Truth`]) is what a test compares the adapter with; faults
//! ([`Fault`]) are queued per [`Endpoint`] and consumed by the next
//! matching request.

mod book;
mod details;
mod http;
mod jwt;
mod rows;

pub use book::{AccountFigures, MockExecution, MockInstrument, MockOrder, MockPosition};

use book::{Book, NewOrder};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// The account the mock's login opens (listed second in `all-accounts`,
/// after an inactive one).
pub const ACCOUNT_ID: &str = "2200766";
/// Its `accNum`.
pub const ACC_NUM: &str = "1";

/// An endpoint of the mock, for faults and request counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Endpoint {
    /// `POST /auth/jwt/token`
    Login,
    /// `POST /auth/jwt/refresh`
    Refresh,
    /// `GET /auth/jwt/all-accounts`
    AllAccounts,
    /// `GET /trade/config`
    Config,
    /// `GET /trade/accounts/{id}/instruments`
    Instruments,
    /// `GET /trade/instruments/{tradableInstrumentId}?routeId=<INFO>`
    InstrumentDetails,
    /// `POST /trade/accounts/{id}/orders`
    PlaceOrder,
    /// `GET /trade/accounts/{id}/orders`
    Orders,
    /// `GET /trade/accounts/{id}/ordersHistory`
    OrdersHistory,
    /// `GET /trade/accounts/{id}/executions`
    Executions,
    /// `GET /trade/accounts/{id}/positions`
    Positions,
    /// `GET /trade/accounts/{id}/state`
    State,
    /// `DELETE /trade/orders/{orderId}`
    CancelOrder,
    /// `DELETE /trade/accounts/{id}/orders`
    CancelAll,
    /// `DELETE /trade/accounts/{id}/positions`
    CloseAll,
    /// `DELETE /trade/positions/{positionId}`
    ClosePosition,
    /// A path the mock does not serve (404).
    Unknown,
    /// Matches every endpoint (for [`MockTradeLocker::fault`] only).
    Any,
}

impl Endpoint {
    /// The `rateLimits` route of this endpoint, if it has one.
    pub fn route(self) -> Option<&'static str> {
        Some(match self {
            Endpoint::Instruments => "GET_INSTRUMENTS",
            Endpoint::InstrumentDetails => "GET_INSTRUMENT_DETAILS",
            Endpoint::PlaceOrder => "PLACE_ORDER",
            Endpoint::Orders => "GET_ORDERS",
            Endpoint::OrdersHistory => "GET_ORDERS_HISTORY",
            Endpoint::Executions => "GET_EXECUTIONS",
            Endpoint::Positions => "GET_POSITIONS",
            Endpoint::State => "GET_ACCOUNTS_STATE",
            _ => return None,
        })
    }
}

/// A scripted misbehaviour, consumed by the next request to its endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Waits this many milliseconds, then handles the request normally.
    Delay(u64),
    /// Executes the request, then never answers (sleeps an hour).
    DropReplyAfterExecute,
    /// Answers 200 `{"s":"error","errmsg":…}` without executing.
    ErrorEnvelope(String),
    /// Executes the request, then answers this 5xx with an HTML body.
    ServerError(u16),
    /// Answers 401 as for a lapsed token, without executing.
    ExpiredToken,
    /// Answers 429 (`Retry-After: 1`) without executing.
    RateLimit,
}

/// A copy of the mock's book.
#[derive(Clone, Debug, PartialEq)]
pub struct Truth {
    pub orders: Vec<MockOrder>,
    pub positions: Vec<MockPosition>,
    pub executions: Vec<MockExecution>,
    pub figures: AccountFigures,
}

/// One rate limit as `/trade/config` publishes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Limit {
    pub limit: u32,
    pub per: Duration,
}

pub(crate) struct State {
    book: Book,
    faults: VecDeque<(Endpoint, Fault)>,
    /// Arrival times of every request, by endpoint.
    requests: BTreeMap<Endpoint, Vec<Instant>>,
    /// 429s answered for exceeding a limit (not scripted ones).
    throttled: BTreeMap<Endpoint, u64>,
    /// `/trade/*` requests refused for a missing or wrong `accNum`.
    bad_acc_num: u64,
    /// Requests refused for a missing, unknown or lapsed token.
    unauthorized: u64,
    limits: BTreeMap<String, Limit>,
    /// Accepted requests per route, for the limits.
    windows: HashMap<String, VecDeque<Instant>>,
    /// Every token issued, with its kind and expiry.
    tokens: HashMap<String, jwt::Issued>,
    token_lifetime: Duration,
    refresh_lifetime: Duration,
    minted: u64,
    order_bodies: Vec<String>,
    unresponsive: bool,
    /// Detail fields left out of an instrument's details, by instrument
    /// name.
    hidden: BTreeMap<String, BTreeSet<String>>,
}

pub(crate) struct Shared {
    email: String,
    password: String,
    server: String,
    state: Mutex<State>,
}

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // A panicking test thread must not hide the truth from the others.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The running mock; stops serving when dropped.
pub struct MockTradeLocker {
    shared: Arc<Shared>,
    addr: SocketAddr,
    server: tokio::task::JoinHandle<()>,
}

fn default_limits() -> BTreeMap<String, Limit> {
    let per_s = |limit| Limit {
        limit,
        per: Duration::from_secs(1),
    };
    [
        ("GET_ACCOUNTS", per_s(5)),
        ("GET_INSTRUMENTS", per_s(5)),
        ("GET_INSTRUMENT_DETAILS", per_s(10)),
        ("GET_ORDERS", per_s(20)),
        ("GET_ORDERS_HISTORY", per_s(20)),
        ("GET_EXECUTIONS", per_s(20)),
        ("GET_POSITIONS", per_s(20)),
        ("GET_ACCOUNTS_STATE", per_s(20)),
        ("PLACE_ORDER", per_s(10)),
        ("QUOTES", per_s(10)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

impl MockTradeLocker {
    /// Binds 127.0.0.1 on a free port and serves until dropped; logins
    /// with exactly this email, password and server succeed.
    ///
    /// # Panics
    /// If no loopback port can be bound (a broken test machine).
    pub async fn start(email: &str, password: &str, server: &str) -> MockTradeLocker {
        let shared = Arc::new(Shared {
            email: email.into(),
            password: password.into(),
            server: server.into(),
            state: Mutex::new(State {
                book: Book::new(),
                faults: VecDeque::new(),
                requests: BTreeMap::new(),
                throttled: BTreeMap::new(),
                bad_acc_num: 0,
                unauthorized: 0,
                limits: default_limits(),
                windows: HashMap::new(),
                tokens: HashMap::new(),
                token_lifetime: Duration::from_secs(3600),
                refresh_lifetime: Duration::from_secs(7 * 24 * 3600),
                minted: 0,
                order_bodies: Vec::new(),
                unresponsive: false,
                hidden: BTreeMap::new(),
            }),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0 for the mock TradeLocker");
        let addr = listener
            .local_addr()
            .expect("a bound listener has an address");
        let app = axum::Router::new()
            .fallback(http::handle)
            .with_state(shared.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        MockTradeLocker {
            shared,
            addr,
            server,
        }
    }

    /// `http://127.0.0.1:<port>/backend-api`
    pub fn rest_url(&self) -> String {
        format!("http://{}/backend-api", self.addr)
    }

    /// Sets an instrument's price (market orders fill at it) and fills
    /// the resting orders it crosses (limits, stops, stop losses, take
    /// profits, closes waiting for a quote).
    pub fn set_price(&self, name: &str, price: Decimal) {
        self.shared.lock().book.set_price(name, price);
    }

    /// Removes an instrument's quote (its market is shut): market orders
    /// are refused and closes rest as GTC orders until a price is set.
    pub fn clear_price(&self, name: &str) {
        self.shared.lock().book.prices.remove(name);
    }

    /// Sets the balance (equity follows with the open positions).
    pub fn set_balance(&self, balance: Decimal) {
        self.shared.lock().book.balance = balance;
    }

    /// The next fill (a market order placed, or a resting order a price
    /// crosses) takes only `lots`: a market (IOC) order's remainder is
    /// then cancelled (`Cancelled` with `filledQty` > 0), a limit or stop
    /// (GTC) order's rests (`New` with `filledQty` > 0) until a later
    /// price fills it.
    pub fn partial_fill_next(&self, lots: Decimal) {
        self.shared.lock().book.partial_next = Some(lots);
    }

    /// A hedging account (the default) or a netting one.
    pub fn set_hedging(&self, hedging: bool) {
        self.shared.lock().book.hedging = hedging;
    }

    /// Lifetime of access tokens issued from now on.
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        self.shared.lock().token_lifetime = lifetime;
    }

    /// Sets (or adds) a route's limit in `/trade/config` and enforces it.
    pub fn set_rate_limit(&self, route: &str, limit: u32, per: Duration) {
        self.shared
            .lock()
            .limits
            .insert(route.to_string(), Limit { limit, per });
    }

    /// Leaves `field` (`lotSize`, `tickSize`, …) out of instrument
    /// `name`'s details from now on, as a broker that does not send it.
    pub fn hide_detail(&self, name: &str, field: &str) {
        self.shared
            .lock()
            .hidden
            .entry(name.to_string())
            .or_default()
            .insert(field.to_string());
    }

    /// While true, no request is answered (each waits an hour).
    pub fn set_unresponsive(&self, unresponsive: bool) {
        self.shared.lock().unresponsive = unresponsive;
    }

    /// Queues `fault` for the next request to `at`.
    pub fn fault(&self, at: Endpoint, fault: Fault) {
        self.shared.lock().faults.push_back((at, fault));
    }

    /// Places an order as if made by hand in TradeLocker's terminal (no
    /// `strategyId`): `side` `buy`/`sell`, `kind` `market`/`limit`/`stop`,
    /// `price` the limit or stop price. The order id, or the refusal.
    pub fn place_by_hand(
        &self,
        name: &str,
        side: &str,
        kind: &str,
        qty: Decimal,
        price: Option<Decimal>,
    ) -> Result<String, String> {
        let mut st = self.shared.lock();
        let ins = st
            .book
            .instruments
            .iter()
            .find(|i| i.name == name)
            .cloned()
            .ok_or_else(|| format!("no instrument {name}"))?;
        st.book.place(&NewOrder {
            tradable_id: Some(ins.tradable_id),
            route_id: Some(ins.trade_route),
            qty: Some(qty),
            side: side.into(),
            kind: kind.into(),
            validity: if kind == "market" { "IOC" } else { "GTC" }.into(),
            price: (kind == "limit").then_some(price).flatten(),
            stop_price: (kind == "stop").then_some(price).flatten(),
            ..NewOrder::default()
        })
    }

    /// Requests received at `at` (refused ones included).
    pub fn requests(&self, at: Endpoint) -> u64 {
        let st = self.shared.lock();
        let n = |v: &Vec<Instant>| v.len() as u64;
        if at == Endpoint::Any {
            return st.requests.values().map(n).sum();
        }
        st.requests.get(&at).map_or(0, n)
    }

    /// The most requests `at` received within any span of `window`.
    pub fn max_in_window(&self, at: Endpoint, window: Duration) -> usize {
        let st = self.shared.lock();
        let Some(times) = st.requests.get(&at) else {
            return 0;
        };
        let mut best = 0;
        for (i, t) in times.iter().enumerate() {
            let n = times[i..]
                .iter()
                .take_while(|u| u.duration_since(*t) < window)
                .count();
            best = best.max(n);
        }
        best
    }

    /// 429s answered at `at` for exceeding its limit.
    pub fn throttled(&self, at: Endpoint) -> u64 {
        self.shared.lock().throttled.get(&at).copied().unwrap_or(0)
    }

    /// `/trade/*` requests refused for a missing or wrong `accNum`.
    pub fn bad_acc_num(&self) -> u64 {
        self.shared.lock().bad_acc_num
    }

    /// Requests refused with 401 (no, unknown or lapsed token).
    pub fn unauthorized(&self) -> u64 {
        self.shared.lock().unauthorized
    }

    /// Every token issued so far (to check none leaks into an error).
    pub fn issued_tokens(&self) -> Vec<String> {
        self.shared.lock().tokens.keys().cloned().collect()
    }

    /// The raw JSON bodies of every `POST …/orders`, in order.
    pub fn order_bodies(&self) -> Vec<String> {
        self.shared.lock().order_bodies.clone()
    }

    /// A copy of the book.
    pub fn truth(&self) -> Truth {
        let st = self.shared.lock();
        Truth {
            orders: st.book.orders.clone(),
            positions: st.book.positions.clone(),
            executions: st.book.executions.clone(),
            figures: st.book.figures(),
        }
    }
}

impl Drop for MockTradeLocker {
    fn drop(&mut self) {
        self.server.abort();
    }
}
