//! A mock Alpaca (paper) on 127.0.0.1: the `/v2` REST paths the adapter
//! uses, with the two key headers checked on every call, Alpaca's JSON
//! shapes and error bodies, 207 multi-status lists, `X-Ratelimit-*`
//! headers, and the `trade_updates` stream at `/stream` (binary frames,
//! `authenticate` then `listen`).
//!
//! Its book ([`Truth`]) is what a test compares the order manager with;
//! faults ([`Fault`]) are queued per [`Endpoint`] and consumed by the next
//! matching request.

mod book;
mod clock;
mod http;
mod ws;

pub use book::{MockAsset, MockFill, MockOrder, MockPosition};

use book::{Book, Frame};
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use tokio::sync::broadcast;

/// A REST endpoint of the mock, for faults and request counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Endpoint {
    /// `GET /v2/account`
    Account,
    /// `GET /v2/clock`
    Clock,
    /// `GET /v2/assets/{symbol}`
    Asset,
    /// `POST /v2/orders`
    PlaceOrder,
    /// `GET /v2/orders`
    ListOrders,
    /// `GET /v2/orders:by_client_order_id`
    QueryOrder,
    /// `GET /v2/orders/{id}`
    GetOrder,
    /// `DELETE /v2/orders/{id}`
    CancelOrder,
    /// `DELETE /v2/orders`
    CancelAll,
    /// `GET /v2/positions`
    Positions,
    /// `DELETE /v2/positions`
    ClosePositions,
    /// `GET /v2/account/activities/FILL`
    Activities,
    /// A path the mock does not serve (404).
    Unknown,
    /// Matches every endpoint (for [`MockAlpaca::fault`] only).
    Any,
}

/// A scripted misbehaviour, consumed by the next request to its endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Executes the request, then never answers (sleeps an hour).
    DropReplyAfterExecute,
    /// Executes the request (the order is placed), then answers this 5xx.
    ServerError(u16),
    /// Answers 429 without executing; the reset is this many seconds away.
    RateLimit { reset_in_s: u64 },
    /// Answers `{"code":code,"message":message}` without executing.
    Reject {
        status: u16,
        code: u64,
        message: String,
    },
    /// Waits this many milliseconds, then handles the request normally.
    Delay(u64),
    /// Close-all: this position (by its symbol, `BTC/USD`) fails with
    /// 403 `held_for_orders` and stays open.
    HeldForOrders(String),
    /// Cancel-all: the 207 list carries an extra 404 item (an order gone
    /// meanwhile).
    GoneOrder,
}

/// A copy of the mock's book.
#[derive(Clone, Debug, PartialEq)]
pub struct Truth {
    pub orders: Vec<MockOrder>,
    pub positions: Vec<MockPosition>,
    pub fills: Vec<MockFill>,
    pub cash: Decimal,
}

pub(crate) struct State {
    book: Book,
    faults: VecDeque<(Endpoint, Fault)>,
    requests: BTreeMap<Endpoint, u64>,
    order_bodies: Vec<Value>,
    /// Start (epoch s) and count of the current one-minute rate window.
    window: (u64, u64),
}

pub(crate) struct Shared {
    key_id: String,
    secret: String,
    state: Mutex<State>,
    frames: broadcast::Sender<Frame>,
    stream_connections: AtomicU64,
}

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // A panicking test thread must not hide the truth from the others.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The running mock; stops serving when dropped.
pub struct MockAlpaca {
    shared: Arc<Shared>,
    addr: SocketAddr,
    server: tokio::task::JoinHandle<()>,
}

impl MockAlpaca {
    /// Binds 127.0.0.1 on a free port and serves until dropped.
    ///
    /// # Panics
    /// If no loopback port can be bound (a broken test machine).
    pub async fn start(key_id: &str, secret: &str) -> MockAlpaca {
        let (frames, _) = broadcast::channel(1024);
        let shared = Arc::new(Shared {
            key_id: key_id.to_string(),
            secret: secret.to_string(),
            state: Mutex::new(State {
                book: Book::new(frames.clone()),
                faults: VecDeque::new(),
                requests: BTreeMap::new(),
                order_bodies: Vec::new(),
                window: (0, 0),
            }),
            frames,
            stream_connections: AtomicU64::new(0),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0 for the mock Alpaca");
        let addr = listener
            .local_addr()
            .expect("a bound listener has an address");
        let app = axum::Router::new()
            .route("/stream", axum::routing::get(ws::upgrade))
            .fallback(http::handle)
            .with_state(shared.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        MockAlpaca {
            shared,
            addr,
            server,
        }
    }

    /// `http://127.0.0.1:<port>`
    pub fn rest_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `ws://127.0.0.1:<port>/stream`
    pub fn stream_url(&self) -> String {
        format!("ws://{}/stream", self.addr)
    }

    /// The price market orders of `symbol` fill at.
    pub fn set_price(&self, symbol: &str, price: Decimal) {
        self.shared.lock().book.prices.insert(symbol.into(), price);
    }

    /// Sets the account's cash.
    pub fn set_cash(&self, cash: Decimal) {
        self.shared.lock().book.cash = cash;
    }

    /// Makes an asset (un)tradable.
    pub fn set_tradable(&self, symbol: &str, tradable: bool) {
        if let Some(a) = self.shared.lock().book.assets.get_mut(symbol) {
            a.tradable = tradable;
        }
    }

    /// Blocks (or unblocks) trading on the account.
    pub fn set_trading_blocked(&self, blocked: bool) {
        self.shared.lock().book.trading_blocked = blocked;
    }

    /// Fills `qty` of the open order `client_id` at `price` (partly or
    /// fully), with its activity and stream events.
    pub fn fill(&self, client_id: &str, qty: Decimal, price: Decimal) -> Result<(), String> {
        let mut st = self.shared.lock();
        let idx = st
            .book
            .index_by_client_id(client_id)
            .ok_or_else(|| format!("no order {client_id}"))?;
        let o = &st.book.orders[idx];
        if !o.is_open() || qty <= Decimal::ZERO || o.filled_qty + qty > o.qty {
            return Err(format!("cannot fill {qty} of {client_id} ({})", o.status));
        }
        st.book.execute(idx, qty, price);
        Ok(())
    }

    /// Places an order as if made elsewhere (the Alpaca site, another
    /// program); returns the order's JSON or the refusal.
    pub fn place_direct(&self, body: Value) -> Result<Value, (u16, Value)> {
        self.shared.lock().book.place(&body)
    }

    /// Queues `fault` for the next request to `at`.
    pub fn fault(&self, at: Endpoint, fault: Fault) {
        self.shared.lock().faults.push_back((at, fault));
    }

    /// The next execution is sent twice on the stream.
    pub fn duplicate_next_fill(&self) {
        self.shared.lock().book.duplicate_next_fill = true;
    }

    /// Closes every stream connection now.
    pub fn drop_streams(&self) {
        let _ = self.shared.frames.send(Frame::Drop);
    }

    /// Sends these bytes as a binary frame to every listening connection.
    pub fn send_stream_frame(&self, bytes: Vec<u8>) {
        self.shared.lock().book.send_raw(Frame::Data(bytes));
    }

    /// Requests received at `at` (all of them, refused ones included).
    pub fn requests(&self, at: Endpoint) -> u64 {
        let st = self.shared.lock();
        if at == Endpoint::Any {
            return st.requests.values().sum();
        }
        st.requests.get(&at).copied().unwrap_or(0)
    }

    /// The JSON bodies of every `POST /v2/orders`, in order.
    pub fn order_bodies(&self) -> Vec<Value> {
        self.shared.lock().order_bodies.clone()
    }

    /// Stream connections accepted so far.
    pub fn stream_connections(&self) -> u64 {
        self.shared.stream_connections.load(Ordering::Relaxed)
    }

    /// A copy of the book.
    pub fn truth(&self) -> Truth {
        let st = self.shared.lock();
        Truth {
            orders: st.book.orders.clone(),
            positions: st.book.positions.values().cloned().collect(),
            fills: st.book.fills.clone(),
            cash: st.book.cash,
        }
    }
}

impl Drop for MockAlpaca {
    fn drop(&mut self) {
        self.server.abort();
        let _ = self.shared.frames.send(Frame::Drop);
    }
}
