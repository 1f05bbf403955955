//! A Binance Spot mock on 127.0.0.1: the REST endpoints the adapter uses
//! and the WebSocket API's user data stream, with Binance's authentication
//! checks and error bodies, a truth book, and scripted faults.

mod book;
mod http;
mod ws;

pub use book::{Balance, MockOrder, MockSymbol, MockTrade};

use axum::Router;
use axum::routing::get;
use book::Book;
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::sync::{mpsc, oneshot};

/// A scripted misbehaviour, consumed by the next request it applies to.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// Next order: executed, then no answer for longer than any client
    /// timeout (30 s).
    DropReplyAfterExecute,
    /// Next order: lost on the way in: never executed and never answered
    /// (the connection is held longer than any client timeout, 30 s).
    DropRequest,
    /// Next order query (`GET /api/v3/order`): `-2013` "Order does not
    /// exist." even for an order the mock has, as Binance may answer right
    /// after a submit (replication lag).
    QueryLag,
    /// Next order: placed, then answered 503 with `-1007`.
    ServerError1007,
    /// Next REST request: 429, `Retry-After`, `-1003`.
    RateLimit { retry_after_s: u64 },
    /// Next REST request: 418 (IP ban), `Retry-After`, `-1003`.
    Ban { retry_after_s: u64 },
    /// Next order: refused with this code and message (HTTP 400).
    Reject(i64, String),
    /// The next trade's event is sent twice on the stream.
    DuplicateNextFill,
    /// The next trade's event is held back and sent after the next event
    /// that is not a trade (a cancel, say): the stream delivers the
    /// order's end before its fill, as when a cancel races a fill.
    HoldNextFill,
    /// Next order query or open-orders list (whichever comes first) shows
    /// each order as it was when placed (`NEW`, nothing executed): a
    /// snapshot older than what the stream already reported. An order that
    /// has ended is shown as it is.
    StaleSnapshot,
    /// Closes every stream connection now (not queued).
    DropStream,
    /// Next REST request is answered this many ms late.
    Delay(u64),
}

/// What a WebSocket connection is sent.
#[derive(Clone, Debug)]
enum WsOut {
    Text(String),
    Close,
}

struct Subscriber {
    subscription_id: i64,
    tx: mpsc::UnboundedSender<WsOut>,
}

/// State shared by the handlers and the test's handle.
struct Shared {
    key: String,
    secret: String,
    book: Mutex<Book>,
    faults: Mutex<Vec<Fault>>,
    requests: Mutex<HashMap<String, u64>>,
    skew_ms: AtomicI64,
    weight: Mutex<(i64, u64)>,
    subscribers: Mutex<Vec<Subscriber>>,
    /// Connections (subscribed or not), to drop them all.
    connections: Mutex<Vec<mpsc::UnboundedSender<WsOut>>>,
    next_subscription: AtomicI64,
    duplicate_fills: AtomicU64,
    /// Trade events held back by `HoldNextFill`.
    held: Mutex<Vec<Value>>,
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

    /// Sends execution reports to every subscription, doubling a trade
    /// when `DuplicateNextFill` is queued and holding one back (until the
    /// next event that is not a trade) when `HoldNextFill` is.
    fn emit(&self, events: Vec<Value>) {
        let mut queue: Vec<Value> = Vec::new();
        for e in events {
            let trade = e.get("x").and_then(Value::as_str) == Some("TRADE");
            if trade && self.take_fault(|f| *f == Fault::HoldNextFill).is_some() {
                lock(&self.held).push(e);
                continue;
            }
            queue.push(e);
            if !trade {
                queue.append(&mut lock(&self.held));
            }
        }
        for e in queue {
            let mut times = 1;
            if e.get("x").and_then(Value::as_str) == Some("TRADE")
                && self
                    .take_fault(|f| *f == Fault::DuplicateNextFill)
                    .is_some()
            {
                times = 2;
                self.duplicate_fills.fetch_add(1, Ordering::Relaxed);
            }
            let subs = lock(&self.subscribers);
            for s in subs.iter() {
                let frame = serde_json::json!({"subscriptionId": s.subscription_id, "event": e});
                for _ in 0..times {
                    let _ = s.tx.send(WsOut::Text(frame.to_string()));
                }
            }
        }
    }

    fn drop_streams(&self) {
        for c in lock(&self.connections).drain(..) {
            let _ = c.send(WsOut::Close);
        }
        lock(&self.subscribers).clear();
    }
}

/// The running mock; stops when dropped.
pub struct MockBinance {
    shared: Arc<Shared>,
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl MockBinance {
    /// Starts the mock on 127.0.0.1 (a free port) for this key and
    /// secret, with 10000 USDT and BTCUSDT at 50000, ETHUSDT at 3000.
    ///
    /// # Panics
    /// When 127.0.0.1 cannot be bound: a test double has no way on.
    pub async fn start(key: &str, secret: &str) -> MockBinance {
        let shared = Arc::new(Shared {
            key: key.to_string(),
            secret: secret.to_string(),
            book: Mutex::new(Book::new()),
            faults: Mutex::new(Vec::new()),
            requests: Mutex::new(HashMap::new()),
            skew_ms: AtomicI64::new(0),
            weight: Mutex::new((0, 0)),
            subscribers: Mutex::new(Vec::new()),
            connections: Mutex::new(Vec::new()),
            next_subscription: AtomicI64::new(0),
            duplicate_fills: AtomicU64::new(0),
            held: Mutex::new(Vec::new()),
        });
        let app = Router::new()
            .route("/ws-api/v3", get(ws::upgrade))
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
        MockBinance {
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

    /// `ws://127.0.0.1:PORT/ws-api/v3`.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws-api/v3", self.addr)
    }

    /// Moves the mock's clock by `ms` against real time.
    pub fn set_clock_skew_ms(&self, ms: i64) {
        self.shared.skew_ms.store(ms, Ordering::Relaxed);
    }

    /// Lists another symbol (`base` + `quote`) at `price`, with the same
    /// filters as the others.
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

    /// Sets a symbol's status (`TRADING`, `BREAK`, …).
    pub fn set_symbol_status(&self, symbol: &str, status: &str) {
        if let Some(s) = lock(&self.shared.book).symbols.get_mut(symbol) {
            s.status = status.to_string();
        }
    }

    /// Queues a fault (or, for `DropStream`, acts now).
    pub fn fault(&self, f: Fault) {
        if f == Fault::DropStream {
            self.shared.drop_streams();
        } else {
            lock(&self.shared.faults).push(f);
        }
    }

    /// Queued faults not yet consumed.
    pub fn pending_faults(&self) -> Vec<Fault> {
        lock(&self.shared.faults).clone()
    }

    /// Fills `qty` of the open order with this client id at `price`, as a
    /// maker, and streams the execution.
    pub fn fill(&self, client_id: &str, qty: Decimal, price: Decimal) -> Result<(), String> {
        let now = self.shared.now_ms();
        let events = {
            let mut b = lock(&self.shared.book);
            let id = b
                .orders
                .iter()
                .rev()
                .find(|o| o.client_id == client_id && o.is_open())
                .map(|o| o.order_id)
                .ok_or_else(|| format!("no open order {client_id}"))?;
            b.execute(id, qty, price, true, now).map_err(|(_, m)| m)?
        };
        self.shared.emit(events);
        Ok(())
    }

    /// Places a LIMIT GTC order as if made on the venue's site (not by the
    /// adapter); returns its client id.
    pub fn place_direct(
        &self,
        symbol: &str,
        side: &str,
        qty: Decimal,
        price: Decimal,
    ) -> Result<String, String> {
        let now = self.shared.now_ms();
        let (id, events) = {
            let mut b = lock(&self.shared.book);
            let client_id = b.fresh_client_id();
            let n = book::NewOrder {
                symbol: symbol.into(),
                side: side.into(),
                kind: "LIMIT".into(),
                tif: "GTC".into(),
                qty,
                price,
                stop: Decimal::ZERO,
                client_id: client_id.clone(),
            };
            let (_, ev) = b.place(n, now).map_err(|(c, m)| format!("{c}: {m}"))?;
            (client_id, ev)
        };
        self.shared.emit(events);
        Ok(id)
    }

    /// Sends a raw text frame to every subscribed stream connection.
    pub fn send_raw_ws(&self, text: &str) {
        for s in lock(&self.shared.subscribers).iter() {
            let _ = s.tx.send(WsOut::Text(text.to_string()));
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

    /// Sets the request weight used in the current minute, as if other
    /// clients of the same IP had spent it.
    pub fn set_used_weight(&self, used: u64) {
        let minute = self.shared.now_ms().div_euclid(60_000);
        *lock(&self.shared.weight) = (minute, used);
    }

    /// Every REST request so far.
    pub fn total_requests(&self) -> u64 {
        lock(&self.shared.requests).values().sum()
    }

    /// Active stream subscriptions.
    pub fn subscribers(&self) -> usize {
        lock(&self.shared.subscribers).len()
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

impl Drop for MockBinance {
    fn drop(&mut self) {
        self.shared.drop_streams();
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        // Handlers still sleeping (a dropped reply) end with the task.
        self.task.abort();
    }
}
