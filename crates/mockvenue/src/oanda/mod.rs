//! A mock OANDA v20 account on 127.0.0.1: the `/v3/accounts/{id}/…` REST
//! paths the adapter uses, with the Bearer token and the account id
//! checked on every call, OANDA's JSON shapes (decimals as strings,
//! transactions with ids, 201 create-then-cancel answers, reject
//! transactions with `errorCode`), and the chunked transaction stream at
//! `/v3/accounts/{id}/transactions/stream` with heartbeats.
//!
//! The account is a netting (non-hedging) v20 account in USD: market
//! orders fill at the instrument's set price or are cancelled for
//! `INSUFFICIENT_MARGIN` (margin = |units| × price × marginRate against
//! NAV = balance + unrealized P/L, or the NAV set by
//! [`MockOanda::set_equity`]); limit and stop orders rest until
//! [`MockOanda::set_price`] crosses them; `takeProfitOnFill` and
//! `stopLossOnFill` make dependent `TAKE_PROFIT`/`STOP_LOSS` orders on
//! the opened trade that close it when the price crosses them.
//!
//! Its truth ([`Truth`]) is what a test compares the adapter and the
//! order manager with; faults ([`Fault`]) are queued per [`Endpoint`] and
//! consumed by the next matching request. Unconfirmed details of the real
//! service are chosen here, and named where chosen: the 404 of an unknown
//! account (`NO_SUCH_ACCOUNT`), the 404 of an order lookup
//! (`NO_SUCH_ORDER`), the 429 body, and client ids being refused once
//! used by any order, ever.

mod book;
mod http;
mod stream;
mod trading;
mod views;

pub use book::{MockInstrument, MockOrder, MockPosition, MockTrade};

use book::{Book, Frame};
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio::sync::broadcast;

/// An endpoint of the mock, for faults and request counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Endpoint {
    /// `GET …/summary`
    Summary,
    /// `GET …/instruments`
    Instruments,
    /// `POST …/orders`
    PlaceOrder,
    /// `GET …/orders/{specifier}`
    GetOrder,
    /// `PUT …/orders/{specifier}/cancel`
    CancelOrder,
    /// `GET …/pendingOrders`
    PendingOrders,
    /// `GET …/openTrades`
    OpenTrades,
    /// `GET …/openPositions`
    OpenPositions,
    /// `PUT …/positions/{instrument}/close`
    ClosePosition,
    /// `GET …/transactions/sinceid`
    TransactionsSince,
    /// `GET …/transactions/{id}`
    Transaction,
    /// `GET …/transactions/stream`
    Stream,
    /// A path the mock does not serve (404).
    Unknown,
    /// Matches every endpoint (for [`MockOanda::fault`] only).
    Any,
}

/// A scripted misbehaviour, consumed by the next request to its endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Waits this many milliseconds, then handles the request normally.
    Delay(u64),
    /// Executes the request (the order is placed), then closes the
    /// connection without answering.
    DropReply,
    /// Answers 400 with a reject transaction carrying this `rejectReason`
    /// (and `errorCode`), without executing.
    Reject(String),
    /// Answers 429 with `Retry-After: retry_after_s`, without executing.
    RateLimit { retry_after_s: u64 },
    /// Executes the request, then answers this 5xx.
    ServerError(u16),
}

/// A copy of the mock's truth.
#[derive(Clone, Debug, PartialEq)]
pub struct Truth {
    pub orders: Vec<MockOrder>,
    pub trades: Vec<MockTrade>,
    /// Positions with open trades.
    pub positions: Vec<MockPosition>,
    /// Every transaction as sent, oldest first.
    pub transactions: Vec<Value>,
    pub balance: Decimal,
    pub nav: Decimal,
    pub margin_used: Decimal,
    pub margin_available: Decimal,
    pub last_transaction_id: String,
}

/// How many requests [`MockOanda::request_log`] keeps: plenty for a test,
/// and a bound for a mock left serving for hours (`examples/serve.rs`).
const REQUEST_LOG_MAX: usize = 100_000;

pub(crate) struct State {
    book: Book,
    faults: VecDeque<(Endpoint, Fault)>,
    requests: BTreeMap<Endpoint, u64>,
    /// The last [`REQUEST_LOG_MAX`] requests in arrival order, for
    /// [`MockOanda::request_log`].
    log: VecDeque<(Endpoint, String)>,
    order_bodies: Vec<Value>,
}

pub(crate) struct Shared {
    account_id: String,
    token: String,
    state: Mutex<State>,
    frames: broadcast::Sender<Frame>,
    stream_connections: AtomicU64,
    heartbeat_ms: AtomicU64,
    /// When each TCP connection was accepted, oldest first.
    accepted: Mutex<Vec<std::time::Instant>>,
}

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // A panicking test thread must not hide the truth from the others.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The running mock; stops serving when dropped.
pub struct MockOanda {
    shared: Arc<Shared>,
    addr: SocketAddr,
    server: tokio::task::JoinHandle<()>,
}

impl MockOanda {
    /// Binds 127.0.0.1 on a free port and serves account `account_id` to
    /// `token` until dropped. Heartbeats every 5 s, as OANDA sends them.
    ///
    /// # Panics
    /// If no loopback port can be bound (a broken test machine).
    pub async fn start(account_id: &str, token: &str) -> MockOanda {
        let (frames, _) = broadcast::channel(4096);
        let shared = Arc::new(Shared {
            account_id: account_id.to_string(),
            token: token.to_string(),
            state: Mutex::new(State {
                book: Book::new(account_id, frames.clone()),
                faults: VecDeque::new(),
                requests: BTreeMap::new(),
                log: VecDeque::new(),
                order_bodies: Vec::new(),
            }),
            frames,
            stream_connections: AtomicU64::new(0),
            heartbeat_ms: AtomicU64::new(5000),
            accepted: Mutex::new(Vec::new()),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0 for the mock OANDA");
        let addr = listener
            .local_addr()
            .expect("a bound listener has an address");
        let app = axum::Router::new()
            .fallback(http::handle)
            .with_state(shared.clone());
        let counter = shared.clone();
        let listener = axum::serve::ListenerExt::tap_io(listener, move |_tcp| {
            counter
                .accepted
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(std::time::Instant::now());
        });
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        MockOanda {
            shared,
            addr,
            server,
        }
    }

    /// `http://127.0.0.1:<port>` (REST; `/v3` is added by the client).
    pub fn rest_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The streaming base: the same server as REST.
    pub fn stream_url(&self) -> String {
        self.rest_url()
    }

    /// The heartbeat interval of stream connections opened from now on.
    pub fn set_heartbeat(&self, every: Duration) {
        let ms = u64::try_from(every.as_millis()).unwrap_or(u64::MAX).max(1);
        self.shared.heartbeat_ms.store(ms, Ordering::Relaxed);
    }

    /// Moves `instrument`'s price (market orders fill at it) and fills
    /// every pending order it crosses: resting limits and stops, and the
    /// trades' take-profit and stop-loss exits.
    pub fn set_price(&self, instrument: &str, price: Decimal) {
        self.shared.lock().book.set_price(instrument, price);
    }

    /// Sets the account balance.
    pub fn set_balance(&self, balance: Decimal) {
        self.shared.lock().book.balance = balance;
    }

    /// Makes the account report this NAV (and margin available from it)
    /// whatever its positions are worth; `None` goes back to balance plus
    /// unrealized P/L.
    pub fn set_equity(&self, nav: Option<Decimal>) {
        self.shared.lock().book.nav_override = nav;
    }

    /// Sets an instrument's margin rate.
    pub fn set_margin_rate(&self, instrument: &str, rate: Decimal) {
        if let Some(i) = self.shared.lock().book.instruments.get_mut(instrument) {
            i.margin_rate = rate;
        }
    }

    /// Adds (or replaces) an instrument, with its price.
    pub fn add_instrument(&self, instrument: MockInstrument, price: Decimal) {
        let mut st = self.shared.lock();
        st.book.prices.insert(instrument.name.clone(), price);
        st.book
            .instruments
            .insert(instrument.name.clone(), instrument);
    }

    /// Places an order as if made elsewhere (OANDA's web platform);
    /// returns the HTTP status and OANDA's answer.
    pub fn place_direct(&self, body: Value) -> (u16, Value) {
        let mut st = self.shared.lock();
        st.book.begin();
        st.book.place(&body)
    }

    /// Queues `fault` for the next request to `at`.
    pub fn fault(&self, at: Endpoint, fault: Fault) {
        self.shared.lock().faults.push_back((at, fault));
    }

    /// The next IOC order (market or limit) that fills takes only
    /// `units` (unsigned): one `ORDER_FILL` for them, then an
    /// `ORDER_CANCEL` (`INSUFFICIENT_LIQUIDITY`) for the rest, both in the
    /// 201 answer when it fills on arrival, as v20 does for an IOC
    /// remainder. A FOK order never fills in part.
    pub fn partial_fill_next(&self, units: Decimal) {
        self.shared.lock().book.partial_next = Some(units);
    }

    /// The next `ORDER_FILL` line is sent twice on the stream.
    pub fn duplicate_next_fill(&self) {
        self.shared.lock().book.duplicate_next_fill = true;
    }

    /// Cuts every stream connection now.
    pub fn drop_streams(&self) {
        let _ = self.shared.frames.send(Frame::Drop);
    }

    /// Sends these bytes, and a newline, to every stream connection.
    pub fn send_stream_line(&self, bytes: &[u8]) {
        let mut line = bytes.to_vec();
        line.push(b'\n');
        self.shared.lock().book.send_raw(Frame::Line(line));
    }

    /// Requests received at `at` (all of them, refused ones included).
    pub fn requests(&self, at: Endpoint) -> u64 {
        let st = self.shared.lock();
        if at == Endpoint::Any {
            return st.requests.values().sum();
        }
        st.requests.get(&at).copied().unwrap_or(0)
    }

    /// Every request received (refused ones included; the last 100 000),
    /// oldest first: its endpoint and the argument in its path (the order
    /// specifier as sent, `@omni-1` or `42`; the instrument of a position
    /// close; the transaction id), empty where the path has none. Tests
    /// read the order of a kill switch's requests from it, and which
    /// specifier a cancel used.
    pub fn request_log(&self) -> Vec<(Endpoint, String)> {
        self.shared.lock().log.iter().cloned().collect()
    }

    /// The JSON bodies of every `POST …/orders`, in order.
    pub fn order_bodies(&self) -> Vec<Value> {
        self.shared.lock().order_bodies.clone()
    }

    /// Stream connections accepted so far.
    pub fn stream_connections(&self) -> u64 {
        self.shared.stream_connections.load(Ordering::Relaxed)
    }

    /// When each TCP connection (REST or stream) was accepted, oldest
    /// first: OANDA allows at most 2 new connections a second.
    pub fn connections_accepted(&self) -> Vec<std::time::Instant> {
        self.shared
            .accepted
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The most connections accepted within any `window` (from the first
    /// of them to the last, less than `window` apart).
    pub fn max_connections_within(&self, window: Duration) -> usize {
        let times = self.connections_accepted();
        (0..times.len())
            .map(|i| {
                times[i..]
                    .iter()
                    .take_while(|t| t.duration_since(times[i]) < window)
                    .count()
            })
            .max()
            .unwrap_or(0)
    }

    /// A copy of the truth.
    pub fn truth(&self) -> Truth {
        let st = self.shared.lock();
        let b = &st.book;
        Truth {
            orders: b.orders.clone(),
            trades: b.trades.clone(),
            positions: b.positions(),
            transactions: b.transactions.clone(),
            balance: b.balance,
            nav: b.nav(),
            margin_used: b.margin_used(),
            margin_available: b.margin_available(),
            last_transaction_id: b.last_id(),
        }
    }
}

impl Drop for MockOanda {
    fn drop(&mut self) {
        self.server.abort();
        let _ = self.shared.frames.send(Frame::Drop);
    }
}
