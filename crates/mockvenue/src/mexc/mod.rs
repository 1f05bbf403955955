//! A MEXC spot mock on 127.0.0.1: the REST endpoints of the spot v3 API
//! the adapter uses, the `listenKey` endpoints and the private WebSocket
//! with protobuf pushes, with MEXC's authentication checks
//! (`X-MEXC-APIKEY`, HMAC-SHA256 over `totalParams`, `recvWindow`) and
//! error bodies `{"code":…,"msg":…}`, a truth book, and scripted faults.

mod book;
mod http;
mod proto;
mod ws;

pub use book::{Balance, MockOrder, MockSymbol, MockTrade};

use axum::Router;
use axum::routing::get;
use book::{Book, Push};
use rust_decimal::Decimal;
use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::sync::{mpsc, oneshot};

/// The private channels the mock serves.
pub const ORDERS_CHANNEL: &str = "spot@private.orders.v3.api.pb";
pub const DEALS_CHANNEL: &str = "spot@private.deals.v3.api.pb";

/// A scripted misbehaviour, consumed by the next request it applies to.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// Next order: executed, then no answer for longer than any client
    /// timeout (30 s).
    DropReplyAfterExecute,
    /// Next order: placed, then answered HTTP 503 with MEXC's `503`
    /// "service not available" body.
    ServerErrorAfterExecute,
    /// Next REST request: HTTP 429 with `Retry-After`.
    RateLimit { retry_after_s: u64 },
    /// Next order: refused with this code and message (HTTP 400).
    Reject(i64, String),
    /// The next deal is pushed twice on the stream.
    DuplicateNextFill,
    /// Closes every stream connection now (not queued).
    DropStream,
    /// Next REST request is answered this many ms late.
    Delay(u64),
}

/// What a WebSocket connection is sent.
#[derive(Clone, Debug)]
enum WsOut {
    Binary(Vec<u8>),
    Text(String),
    Close,
}

/// One stream connection and the channels it subscribed.
struct Conn {
    tx: mpsc::UnboundedSender<WsOut>,
    channels: HashSet<String>,
}

/// State shared by the handlers and the test's handle.
struct Shared {
    key: String,
    secret: String,
    book: Mutex<Book>,
    faults: Mutex<Vec<Fault>>,
    requests: Mutex<HashMap<String, u64>>,
    skew_ms: AtomicI64,
    /// Valid listen keys.
    listen_keys: Mutex<HashSet<String>>,
    next_key: AtomicU64,
    conns: Mutex<Vec<Conn>>,
    duplicate_fills: AtomicU64,
}

/// Locks a mutex; a poisoned one (a handler panicked) still holds
/// consistent data for a test double, so it is used as is.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Shared {
    /// The mock's clock: real time plus the injected skew, ms.
    fn now_ms(&self) -> i64 {
        let real = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        real + self.skew_ms.load(Ordering::Relaxed)
    }

    /// Removes and returns the first queued fault `pick` accepts.
    fn take_fault(&self, pick: impl Fn(&Fault) -> bool) -> Option<Fault> {
        let mut q = lock(&self.faults);
        let i = q.iter().position(pick)?;
        Some(q.remove(i))
    }

    /// Pushes changes to every connection subscribed to their channel,
    /// doubling a deal when `DuplicateNextFill` is queued.
    fn emit(&self, pushes: Vec<Push>) {
        let now = self.now_ms();
        for p in pushes {
            let mut times = 1;
            if matches!(p, Push::Deal(_))
                && self
                    .take_fault(|f| *f == Fault::DuplicateNextFill)
                    .is_some()
            {
                times = 2;
                self.duplicate_fills.fetch_add(1, Ordering::Relaxed);
            }
            let (channel, frame) = ws::encode(&p, now);
            for c in lock(&self.conns).iter() {
                if c.channels.contains(channel) {
                    for _ in 0..times {
                        let _ = c.tx.send(WsOut::Binary(frame.clone()));
                    }
                }
            }
        }
    }

    fn drop_streams(&self) {
        for c in lock(&self.conns).drain(..) {
            let _ = c.tx.send(WsOut::Close);
        }
    }
}

/// The running mock; stops when dropped.
pub struct MockMexc {
    shared: Arc<Shared>,
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl MockMexc {
    /// Starts the mock on 127.0.0.1 (a free port) for this key and
    /// secret, with 10000 USDT and BTCUSDT at 50000, ETHUSDT at 3000.
    ///
    /// # Panics
    /// When 127.0.0.1 cannot be bound: a test double has no way on.
    pub async fn start(key: &str, secret: &str) -> MockMexc {
        let shared = Arc::new(Shared {
            key: key.to_string(),
            secret: secret.to_string(),
            book: Mutex::new(Book::new()),
            faults: Mutex::new(Vec::new()),
            requests: Mutex::new(HashMap::new()),
            skew_ms: AtomicI64::new(0),
            listen_keys: Mutex::new(HashSet::new()),
            next_key: AtomicU64::new(1),
            conns: Mutex::new(Vec::new()),
            duplicate_fills: AtomicU64::new(0),
        });
        let app = Router::new()
            .route("/ws", get(ws::upgrade))
            .fallback(http::rest)
            .with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("the mock binds 127.0.0.1");
        let addr = listener
            .local_addr()
            .expect("a bound socket has an address");
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        MockMexc {
            shared,
            addr,
            shutdown: Some(tx),
            task,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn rest_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `ws://127.0.0.1:PORT/ws` (the adapter adds `?listenKey=`).
    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// Moves the mock's clock by `ms` against real time.
    pub fn set_clock_skew_ms(&self, ms: i64) {
        self.shared.skew_ms.store(ms, Ordering::Relaxed);
    }

    /// Lists another symbol (`base` + `quote`) at `price`, with the same
    /// rules as the others.
    pub fn add_symbol(&self, base: &str, quote: &str, price: Decimal) {
        let s = book::sym(base, quote, price);
        lock(&self.shared.book).symbols.insert(s.symbol.clone(), s);
    }

    /// Where market orders of `symbol` fill.
    pub fn set_price(&self, symbol: &str, price: Decimal) {
        if let Some(s) = lock(&self.shared.book).symbols.get_mut(symbol) {
            s.price = price;
        }
    }

    /// Sets a symbol's status (`"1"` online, `"2"` paused, `"3"` offline).
    pub fn set_symbol_status(&self, symbol: &str, status: &str) {
        if let Some(s) = lock(&self.shared.book).symbols.get_mut(symbol) {
            s.status = status.to_string();
        }
    }

    /// Sets an asset's free balance.
    pub fn set_balance(&self, asset: &str, free: Decimal) {
        lock(&self.shared.book)
            .balances
            .entry(asset.to_string())
            .or_default()
            .free = free;
    }

    /// Commission rate (default 0.001), charged in the asset received.
    pub fn set_fee_rate(&self, rate: Decimal) {
        lock(&self.shared.book).fee_rate = rate;
    }

    /// Queues a fault (or, for `DropStream`, acts now).
    pub fn fault(&self, f: Fault) {
        if f == Fault::DropStream {
            self.shared.drop_streams();
        } else {
            lock(&self.shared.faults).push(f);
        }
    }

    /// Fills `qty` of the open order with this client id at `price`, as a
    /// maker (a partial fill when less than what is left), and pushes it.
    pub fn fill(&self, client_id: &str, qty: Decimal, price: Decimal) -> Result<(), String> {
        let now = self.shared.now_ms();
        let pushes = {
            let mut b = lock(&self.shared.book);
            let id = b
                .orders
                .iter()
                .rev()
                .find(|o| o.client_id == client_id && o.is_open())
                .map(|o| o.order_id.clone())
                .ok_or_else(|| format!("no open order {client_id}"))?;
            b.execute(&id, qty, price, true, now).map_err(|(_, m)| m)?
        };
        self.shared.emit(pushes);
        Ok(())
    }

    /// Places a LIMIT order as if made on MEXC's site (no client id of
    /// ours; MEXC names it by its order id); returns the order id.
    pub fn place_direct(
        &self,
        symbol: &str,
        side: &str,
        qty: Decimal,
        price: Decimal,
    ) -> Result<String, String> {
        let now = self.shared.now_ms();
        let (id, pushes) = {
            let mut b = lock(&self.shared.book);
            let n = book::NewOrder {
                symbol: symbol.into(),
                side: side.into(),
                kind: "LIMIT".into(),
                qty,
                price,
                client_id: String::new(),
            };
            let (o, p) = b.place(n, now).map_err(|(c, m)| format!("{c}: {m}"))?;
            (o.order_id, p)
        };
        self.shared.emit(pushes);
        Ok(id)
    }

    /// Sends a raw binary frame to every stream connection.
    pub fn send_raw_ws(&self, frame: &[u8]) {
        for c in lock(&self.shared.conns).iter() {
            let _ = c.tx.send(WsOut::Binary(frame.to_vec()));
        }
    }

    /// Sends a raw text frame to every stream connection.
    pub fn send_raw_text_ws(&self, text: &str) {
        for c in lock(&self.shared.conns).iter() {
            let _ = c.tx.send(WsOut::Text(text.to_string()));
        }
    }

    /// How many requests arrived for `"METHOD /path"`, e.g.
    /// `"POST /api/v3/order"` (counted on arrival, refused or not).
    pub fn requests(&self, endpoint: &str) -> u64 {
        lock(&self.shared.requests)
            .get(endpoint)
            .copied()
            .unwrap_or(0)
    }

    /// Every REST request so far.
    pub fn total_requests(&self) -> u64 {
        lock(&self.shared.requests).values().sum()
    }

    /// Stream connections subscribed to both private channels.
    pub fn subscribers(&self) -> usize {
        lock(&self.shared.conns)
            .iter()
            .filter(|c| c.channels.contains(ORDERS_CHANNEL) && c.channels.contains(DEALS_CHANNEL))
            .count()
    }

    /// Listen keys currently valid.
    pub fn listen_keys(&self) -> usize {
        lock(&self.shared.listen_keys).len()
    }

    /// Deals pushed twice so far.
    pub fn duplicate_fills(&self) -> u64 {
        self.shared.duplicate_fills.load(Ordering::Relaxed)
    }

    /// Every order the mock has, in arrival order.
    pub fn orders(&self) -> Vec<MockOrder> {
        lock(&self.shared.book).orders.clone()
    }

    /// Every trade, in order.
    pub fn trades(&self) -> Vec<MockTrade> {
        lock(&self.shared.book).trades.clone()
    }

    /// An asset's balance (zero when never held).
    pub fn balance(&self, asset: &str) -> Balance {
        lock(&self.shared.book)
            .balances
            .get(asset)
            .copied()
            .unwrap_or_default()
    }

    /// All balances.
    pub fn balances(&self) -> HashMap<String, Balance> {
        lock(&self.shared.book).balances.clone()
    }
}

impl Drop for MockMexc {
    fn drop(&mut self) {
        self.shared.drop_streams();
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        // Handlers still sleeping (a dropped reply) end with the task.
        self.task.abort();
    }
}
