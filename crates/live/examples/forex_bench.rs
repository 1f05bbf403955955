//! Figures for the live order manager over the OANDA and TradeLocker
//! adapters against their local mocks on 127.0.0.1
//! (`bash bench/forex_brokers.sh`), one broker after the other, each
//! started as the app starts it (`LiveBroker::start(api, LiveSettings)`):
//!
//! - submit → fill: from `Broker::submit` of a small market order (journal
//!   commit, the request, the broker's fill and the manager's lookup of it)
//!   to its `Filled` report handed to the engine; p50, p99 and max over
//!   `--orders` (200), buys and sells alternating on EUR/USD so the
//!   position stays within one order.
//!   - OANDA: 1000 units, 20 ms apart. The fill is in the order's answer
//!     and on the transaction stream, and is then looked up (the stream's
//!     query of the order, the manager's of the order and of its fill
//!     transaction); the adapter spaces its requests 10 ms apart (OANDA's
//!     100 a second), so those four requests take 30 ms of spacing.
//!   - TradeLocker: 1000 units (0.01 lot). It has no stream: the adapter's poll, every
//!     `--poll-ms` (100 ms here; the app's default is 1 s), sees the fill,
//!     and the wait for the next poll dominates the figure. Each order
//!     goes out one poll plus a random part of one after the previous
//!     fill, so it lands at a random phase of the poll, and the places
//!     stay near 5 a second. The mock's own rate limits are kept
//!     (`PLACE_ORDER` 10 a second, the reads 20, as its `/trade/config`
//!     publishes them); the busiest 1.06 s of places (the adapter's
//!     window) and the 429s are printed, showing whether the limiter held
//!     an order back. The account is set netting: on the mock's default
//!     hedging account every order opens its own ticket, and alternating
//!     orders would pile up offsetting tickets.
//! - K → broker-confirmed flat, with 20 resting buy limits (half the price
//!   away) and a position in each of 5 instruments on OANDA (EUR_USD,
//!   USD_JPY and three added to the mock) and 3 on TradeLocker (EURUSD,
//!   GBPUSD, XAUUSD: all its mock knows): from the moment the engine's K
//!   requests are handed over, in the engine's order (a cancel per working
//!   order, cancel-all, one `Flatten` market order per position), to the
//!   first `VenueState` with no open order, no position, nothing
//!   unreachable and no other position; median and max over `--rounds`
//!   (5), each round building its state afresh (unclocked). The manager
//!   does not send the flatten orders: the broker closes the positions
//!   (OANDA's position close per instrument, TradeLocker's close-all) and
//!   the closing fills are booked against them; "closes booked" is when the
//!   last of those `Filled` reports was handed over (with the number of
//!   rounds where all came before flat). After the round that closes, the
//!   manager asks again one kill round later (1 s, `KILL_WAIT`), or at its
//!   next refresh if sooner: `--refresh-ms`, by default the app's 10 s, so
//!   that 1 s is in every K figure. The requests the mock received between
//!   K and flat are counted; after each round the mock's own book and the
//!   engine's book (from the fills) are checked flat. A second K line does
//!   the same with cancel-all and the flatten orders only (no per-order
//!   cancels).
//!
//! The mocks answer at once, so these are the order manager's and the
//! adapters' own costs (journal commits, request pacing: OANDA's 10 ms
//! spacing, TradeLocker's per-route windows; the poll; the kill rounds)
//! plus loopback HTTP, not a broker's latency. `BENCH_DEBUG=1` logs the
//! manager and prints every report of the K rounds to stderr.

#[path = "../tests/support/order.rs"]
mod support;

use omni_core::domain::{
    AccountId, InstrumentId, Order, OrderId, OrderPurpose, OrderType, Side, Timestamp, VenueId,
};
use omni_core::execution::{Broker, ExecutionReport};
use omni_live::oanda::{Oanda, OandaConfig};
use omni_live::tradelocker::{TradeLocker, TradeLockerConfig};
use omni_live::{LiveBroker, LiveInstrument, LiveSettings, Secret};
use omni_mockvenue::oanda::{Endpoint as OandaEndpoint, MockInstrument, MockOanda};
use omni_mockvenue::tradelocker::{Endpoint, MockTradeLocker};
use rust_decimal::Decimal;
use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

const OANDA_ACCOUNT: &str = "101-004-1234567-001";
const OANDA_TOKEN: &str = "bench-token";
const TL_EMAIL: &str = "bench@example.com";
const TL_PASSWORD: &str = "bench-password";
const TL_SERVER: &str = "OSP-DEMO";
/// Catalog name and price; the first is the one submit → fill trades.
const OANDA_MARKETS: [(&str, &str); 5] = [
    ("EUR/USD", "1.08"),
    ("USD/JPY", "150"),
    ("GBP/USD", "1.27"),
    ("AUD/USD", "0.66"),
    ("USD/CHF", "0.88"),
];
const TL_MARKETS: [(&str, &str); 3] =
    [("EUR/USD", "1.1"), ("GBP/USD", "1.25"), ("XAU/USD", "2300")];
/// Resting limit orders per K round.
const RESTING: usize = 20;

fn d(s: &str) -> Decimal {
    s.parse().unwrap_or_default()
}

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn fail(why: impl std::fmt::Display) -> ! {
    eprintln!("{why}");
    std::process::exit(1);
}

fn flat(r: &ExecutionReport) -> bool {
    matches!(r, ExecutionReport::VenueState { open_orders: 0, positions, unreachable: None, other_positions: 0, .. } if positions.is_empty())
}

/// What the bench asks a mock.
trait Mock {
    /// The broker's own count of open orders and positions.
    fn open_and_positions(&self) -> (usize, usize);
    /// Requests received so far.
    fn requests(&self) -> u64;
}

impl Mock for MockOanda {
    fn open_and_positions(&self) -> (usize, usize) {
        let t = self.truth();
        let pending = t.orders.iter().filter(|o| o.state == "PENDING").count();
        (pending, t.positions.len())
    }

    fn requests(&self) -> u64 {
        MockOanda::requests(self, OandaEndpoint::Any)
    }
}

impl Mock for MockTradeLocker {
    fn open_and_positions(&self) -> (usize, usize) {
        let t = self.truth();
        (
            t.orders.iter().filter(|o| o.is_open()).count(),
            t.positions.len(),
        )
    }

    fn requests(&self) -> u64 {
        MockTradeLocker::requests(self, Endpoint::Any)
    }
}

/// A small pseudo-random stream (xorshift), for the submit phases.
struct Jitter(u64);

impl Jitter {
    /// A duration in `[0, span)`.
    fn below(&mut self, span: Duration) -> Duration {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        let n = u64::try_from(span.as_micros()).unwrap_or(u64::MAX).max(1);
        Duration::from_micros(self.0 % n)
    }
}

/// One broker's order manager, with the book the engine would keep from
/// the fills handed over.
struct Bench {
    broker: &'static str,
    b: LiveBroker,
    /// Price per instrument (the instrument id is the index).
    prices: Vec<Decimal>,
    /// The size of every order.
    size: Decimal,
    next_id: u64,
    /// Instrument and side of every order sent.
    sent: HashMap<u64, (usize, Side)>,
    /// Signed position per instrument, from the `Filled` reports.
    book: Vec<Decimal>,
}

impl Bench {
    fn new(broker: &'static str, b: LiveBroker, markets: &[(&str, &str)], size: Decimal) -> Self {
        Self {
            broker,
            b,
            prices: markets.iter().map(|(_, p)| d(p)).collect(),
            size,
            next_id: 0,
            sent: HashMap::new(),
            book: vec![Decimal::ZERO; markets.len()],
        }
    }

    /// Hands reports over, booking fills, until `done` holds of one (or
    /// `within` passes).
    fn until(&mut self, within: Duration, mut done: impl FnMut(&ExecutionReport) -> bool) -> bool {
        let start = Instant::now();
        let mut out = Vec::new();
        while start.elapsed() < within {
            self.b.advance(Timestamp(1), &mut out);
            let mut hit = false;
            for r in out.drain(..) {
                if let ExecutionReport::Filled { order_id, qty, .. } = &r
                    && let Some((inst, side)) = self.sent.get(&order_id.0)
                {
                    self.book[*inst] += if *side == Side::Buy { *qty } else { -*qty };
                }
                if let ExecutionReport::Rejected {
                    order_id, reason, ..
                } = &r
                {
                    eprintln!("{}: order {} rejected: {reason}", self.broker, order_id.0);
                }
                hit = hit || done(&r);
            }
            if hit {
                return true;
            }
            std::thread::sleep(Duration::from_micros(50));
        }
        false
    }

    /// Hands the order over; its id, or `None` when refused.
    fn submit(
        &mut self,
        inst: usize,
        side: Side,
        kind: OrderType,
        qty: Decimal,
        limit: Option<Decimal>,
        purpose: OrderPurpose,
    ) -> Option<u64> {
        self.next_id += 1;
        let id = self.next_id;
        let reference = limit.unwrap_or(self.prices[inst]);
        let mut o: Order = support::order(
            id,
            u16::try_from(inst).unwrap_or(u16::MAX),
            side,
            kind,
            qty,
            limit,
            reference,
        );
        o.purpose = purpose;
        self.sent.insert(id, (inst, side));
        match self.b.submit(&o, Timestamp(1)) {
            Ok(()) => Some(id),
            Err(e) => {
                eprintln!("{}: not sent: {e}", self.broker);
                None
            }
        }
    }

    /// Waits for the start-up report and the private stream (OANDA's
    /// transaction stream, TradeLocker's poll) to be up.
    fn ready(&mut self) {
        if !self.until(Duration::from_secs(10), |r| {
            matches!(r, ExecutionReport::VenueState { .. })
        }) {
            fail(format!("{}: no start-up report", self.broker));
        }
        let start = Instant::now();
        while !self.b.view().stream_up {
            if start.elapsed() > Duration::from_secs(10) {
                fail(format!("{}: the stream never came up", self.broker));
            }
            self.until(Duration::from_millis(10), |_| false);
        }
    }

    /// Submit → fill of `orders` market orders on instrument 0, the pause
    /// before each given by `pause`.
    fn submit_to_fill(&mut self, orders: usize, mut pause: impl FnMut() -> Duration) {
        let mut fills = Vec::with_capacity(orders);
        for k in 0..orders {
            let wait = pause();
            self.until(wait, |_| false);
            let side = if k % 2 == 0 { Side::Buy } else { Side::Sell };
            let t0 = Instant::now();
            let Some(n) = self.submit(
                0,
                side,
                OrderType::Market,
                self.size,
                None,
                OrderPurpose::Entry,
            ) else {
                continue;
            };
            if self.until(
                Duration::from_secs(10),
                |r| matches!(r, ExecutionReport::Filled { order_id, .. } if order_id.0 == n),
            ) {
                fills.push(t0.elapsed());
            } else {
                eprintln!("{}: order {n} never filled", self.broker);
            }
        }
        fills.sort();
        println!(
            "{}: submit → fill: {} orders, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            self.broker,
            fills.len(),
            ms(percentile(&fills, 0.50)),
            ms(percentile(&fills, 0.99)),
            ms(fills.last().copied().unwrap_or_default()),
        );
    }

    /// Brings the account flat the way K does (unmeasured): after the
    /// submit phase, and after a round that did not end flat.
    fn flatten_quietly(&mut self) {
        let _ = self.b.cancel_all(AccountId(0), Timestamp(1));
        for inst in 0..self.book.len() {
            let held = self.book[inst];
            if held.is_zero() {
                continue;
            }
            let side = if held > Decimal::ZERO {
                Side::Sell
            } else {
                Side::Buy
            };
            self.submit(
                inst,
                side,
                OrderType::Market,
                held.abs(),
                None,
                OrderPurpose::Flatten,
            );
        }
        if !self.until(Duration::from_secs(30), flat) {
            fail(format!("{}: never flat after flattening", self.broker));
        }
    }

    /// K → broker-confirmed flat over `rounds` rounds: with the engine's
    /// per-order cancels when `cancels`; `mock` is checked flat after each
    /// round and counts the requests between K and flat.
    fn kill(&mut self, rounds: usize, cancels: bool, mock: &dyn Mock) {
        let n = self.prices.len();
        let mut flats = Vec::new();
        let mut booked = Vec::new();
        let mut requests = 0;
        for _ in 0..rounds {
            // A position in each instrument.
            let mut waiting: BTreeSet<u64> = (0..n)
                .filter_map(|inst| {
                    self.submit(
                        inst,
                        Side::Buy,
                        OrderType::Market,
                        self.size,
                        None,
                        OrderPurpose::Entry,
                    )
                })
                .collect();
            // And the resting orders, half the price away.
            let mut resting = Vec::with_capacity(RESTING);
            for k in 0..RESTING {
                let inst = k % n;
                let price = (self.prices[inst] / d("2")).round_dp(3);
                if let Some(id) = self.submit(
                    inst,
                    Side::Buy,
                    OrderType::Limit,
                    self.size,
                    Some(price),
                    OrderPurpose::Entry,
                ) {
                    resting.push(id);
                }
            }
            let mut unacked: BTreeSet<u64> = resting.iter().copied().collect();
            let set_up = self.until(Duration::from_secs(30), |r| {
                match r {
                    ExecutionReport::Filled { order_id, .. } => {
                        waiting.remove(&order_id.0);
                    }
                    ExecutionReport::Accepted { order_id, .. } => {
                        unacked.remove(&order_id.0);
                    }
                    _ => {}
                }
                waiting.is_empty() && unacked.is_empty()
            });
            if !set_up {
                fail(format!(
                    "{}: round not set up ({} fills, {} acks missing)",
                    self.broker,
                    waiting.len(),
                    unacked.len()
                ));
            }
            // K: what the engine sends, in its order.
            let asked = mock.requests();
            let t0 = Instant::now();
            if cancels {
                for id in &resting {
                    let _ = self.b.cancel(AccountId(0), OrderId(*id), Timestamp(1));
                }
            }
            let _ = self.b.cancel_all(AccountId(0), Timestamp(1));
            let mut closing = BTreeSet::new();
            for inst in 0..n {
                let held = self.book[inst];
                if held.is_zero() {
                    continue;
                }
                let side = if held > Decimal::ZERO {
                    Side::Sell
                } else {
                    Side::Buy
                };
                if let Some(id) = self.submit(
                    inst,
                    side,
                    OrderType::Market,
                    held.abs(),
                    None,
                    OrderPurpose::Flatten,
                ) {
                    closing.insert(id);
                }
            }
            let mut closes_at = None;
            let debug = std::env::var_os("BENCH_DEBUG").is_some();
            let ended = self.until(Duration::from_secs(60), |r| {
                if debug {
                    eprintln!("{:>8.1} ms {r:?}", ms(t0.elapsed()));
                }
                if let ExecutionReport::Filled { order_id, .. } = r
                    && closing.remove(&order_id.0)
                    && closing.is_empty()
                {
                    closes_at = Some(t0.elapsed());
                }
                flat(r)
            });
            if ended {
                flats.push(t0.elapsed());
                if let Some(t) = closes_at {
                    booked.push(t);
                }
                requests += mock.requests() - asked;
                if self.book.iter().any(|q| !q.is_zero()) {
                    eprintln!(
                        "{}: flat, but the closes were not all booked: the book holds {:?}",
                        self.broker, self.book
                    );
                    self.book.iter_mut().for_each(|q| *q = Decimal::ZERO);
                }
                let (orders, positions) = mock.open_and_positions();
                if orders + positions > 0 {
                    eprintln!(
                        "{}: reported flat, but the mock holds {orders} orders and {positions} positions",
                        self.broker
                    );
                }
            } else {
                eprintln!("{}: a K round never ended flat", self.broker);
                self.flatten_quietly();
            }
        }
        flats.sort();
        booked.sort();
        let what = if cancels {
            format!("{RESTING} orders, {n} positions")
        } else {
            format!("{RESTING} orders, {n} positions, cancel-all and flattens only")
        };
        println!(
            "{}: K → broker-confirmed flat ({what}): {} rounds, median {:.1} ms, max {:.1} ms; closes booked in {}: median {:.1} ms, max {:.1} ms; {} requests a round",
            self.broker,
            flats.len(),
            ms(percentile(&flats, 0.50)),
            ms(flats.last().copied().unwrap_or_default()),
            booked.len(),
            ms(percentile(&booked, 0.50)),
            ms(booked.last().copied().unwrap_or_default()),
            requests / u64::try_from(flats.len().max(1)).unwrap_or(1),
        );
    }
}

fn settings(
    dir: &std::path::Path,
    markets: &[(&str, &str)],
    min_qty: &str,
    refresh: Duration,
) -> LiveSettings {
    let instruments = markets
        .iter()
        .enumerate()
        .map(|(i, (name, _))| LiveInstrument {
            id: InstrumentId(u16::try_from(i).unwrap_or(u16::MAX)),
            name: (*name).to_string(),
            venue: VenueId(0),
            min_qty: d(min_qty),
        })
        .collect();
    let mut s = LiveSettings::new(AccountId(0), "USD", instruments, dir.join("bench.db"));
    s.refresh = refresh;
    s
}

fn oanda(rt: &tokio::runtime::Runtime, orders: usize, rounds: usize, refresh: Duration) {
    let mock = rt.block_on(MockOanda::start(OANDA_ACCOUNT, OANDA_TOKEN));
    mock.set_balance(d("1000000"));
    for (name, precision, pip) in [("GBP_USD", 5, -4), ("AUD_USD", 5, -4), ("USD_CHF", 5, -4)] {
        mock.add_instrument(
            MockInstrument {
                name: name.into(),
                display_precision: precision,
                trade_units_precision: 0,
                minimum_trade_size: Decimal::ONE,
                maximum_order_units: d("100000000"),
                margin_rate: d("0.05"),
                pip_location: pip,
            },
            Decimal::ONE,
        );
    }
    for (name, price) in OANDA_MARKETS {
        mock.set_price(&name.replace('/', "_"), d(price));
    }
    let dir = tempfile::tempdir().unwrap_or_else(|e| fail(format!("no temp dir: {e}")));
    let api = Oanda::new(OandaConfig {
        rest_url: mock.rest_url(),
        stream_url: mock.stream_url(),
        ..OandaConfig::practice(OANDA_ACCOUNT, Secret::new(OANDA_TOKEN))
    })
    .unwrap_or_else(|e| fail(e));
    let b = LiveBroker::start(api, settings(dir.path(), &OANDA_MARKETS, "1", refresh))
        .unwrap_or_else(|e| fail(e));
    let mut bench = Bench::new("oanda", b, &OANDA_MARKETS, d("1000"));
    bench.ready();
    bench.submit_to_fill(orders, || Duration::from_millis(20));
    bench.flatten_quietly();
    bench.kill(rounds, true, &mock);
    bench.kill(rounds, false, &mock);
    drop(bench);
}

fn tradelocker(
    rt: &tokio::runtime::Runtime,
    orders: usize,
    rounds: usize,
    refresh: Duration,
    poll: Duration,
) {
    let mock = rt.block_on(MockTradeLocker::start(TL_EMAIL, TL_PASSWORD, TL_SERVER));
    // A netting account: a sell closes the buy before it (on the default
    // hedging account every order opens its own ticket).
    mock.set_hedging(false);
    mock.set_balance(d("1000000"));
    for (name, price) in TL_MARKETS {
        mock.set_price(&name.replace('/', ""), d(price));
    }
    let dir = tempfile::tempdir().unwrap_or_else(|e| fail(format!("no temp dir: {e}")));
    let api = TradeLocker::new(TradeLockerConfig {
        rest_url: mock.rest_url(),
        poll,
        ..TradeLockerConfig::demo(TL_EMAIL, Secret::new(TL_PASSWORD), TL_SERVER)
    })
    .unwrap_or_else(|e| fail(e));
    let b = LiveBroker::start(api, settings(dir.path(), &TL_MARKETS, "1", refresh))
        .unwrap_or_else(|e| fail(e));
    let broker = "tradelocker";
    let mut bench = Bench::new(broker, b, &TL_MARKETS, d("1000"));
    bench.ready();
    let mut jitter = Jitter(0x9E37_79B9_7F4A_7C15);
    bench.submit_to_fill(orders, || poll + jitter.below(poll));
    let places = mock.max_in_window(Endpoint::PlaceOrder, Duration::from_millis(1060));
    let throttled = || -> u64 {
        [
            Endpoint::PlaceOrder,
            Endpoint::Orders,
            Endpoint::OrdersHistory,
            Endpoint::Executions,
            Endpoint::Positions,
            Endpoint::State,
        ]
        .into_iter()
        .map(|e| mock.throttled(e))
        .sum()
    };
    println!(
        "{broker}: poll {} ms; places at most {places} in any 1.06 s (PLACE_ORDER limit 10 a second), 429s {}",
        poll.as_millis(),
        throttled(),
    );
    bench.flatten_quietly();
    bench.kill(rounds, true, &mock);
    bench.kill(rounds, false, &mock);
    println!("{broker}: 429s over the whole run {}", throttled());
    drop(bench);
}

fn main() {
    if std::env::var_os("BENCH_DEBUG").is_some() {
        tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .init();
    }
    let orders = arg("--orders", 200);
    let rounds = arg("--rounds", 5);
    let refresh = Duration::from_millis(arg("--refresh-ms", 10_000) as u64);
    let poll = Duration::from_millis(arg("--poll-ms", 100) as u64);
    let rt = tokio::runtime::Runtime::new().unwrap_or_else(|e| fail(format!("no runtime: {e}")));
    oanda(&rt, orders, rounds, refresh);
    tradelocker(&rt, orders, rounds, refresh, poll);
    drop(rt);
}
