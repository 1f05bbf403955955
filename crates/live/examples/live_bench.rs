//! Figures for the live order manager against the local Binance mock on
//! 127.0.0.1 (`bash bench/live_broker.sh`):
//!
//! - submit → acknowledgement: from `Broker::submit` of a resting limit
//!   order (journal commit, signed REST request, the venue's answer) to the
//!   `Accepted` report handed to the engine; p50 and p99 over `--orders`.
//! - kill switch → venue-confirmed flat, with 20 resting orders and 5
//!   positions: the requests the engine sends on `K` (a cancel per working
//!   order, cancel-all, a market order closing each position), until the
//!   venue reports no open order and no position; median of `--rounds`.
//!
//! The mock answers at once, so these are the order manager's own costs
//! plus loopback HTTP, not a venue's latency.

#[path = "../tests/support/order.rs"]
mod support;

use omni_core::domain::{
    AccountId, InstrumentId, Order, OrderId, OrderType, Side, Timestamp, VenueId,
};
use omni_core::execution::{Broker, ExecutionReport};
use omni_live::binance::{BinanceConfig, BinanceSpot};
use omni_live::{Credentials, LiveBroker, LiveInstrument, LiveSettings, Secret};
use omni_mockvenue::binance::MockBinance;
use rust_decimal::Decimal;
use std::time::{Duration, Instant};

const KEY: &str = "bench-key";
const SECRET: &str = "bench-secret";
const SYMBOLS: [(&str, &str); 5] = [
    ("BTC", "60000"),
    ("ETH", "3000"),
    ("SOL", "150"),
    ("XRP", "0.6"),
    ("BNB", "600"),
];

fn d(s: &str) -> Decimal {
    s.parse().unwrap_or_default()
}

fn order(
    id: u64,
    inst: u16,
    side: Side,
    kind: OrderType,
    qty: Decimal,
    limit: Option<Decimal>,
) -> Order {
    // A market order's notional is checked at the instrument's price.
    let reference = limit.unwrap_or_else(|| d(SYMBOLS[inst as usize].1));
    support::order(id, inst, side, kind, qty, limit, reference)
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

/// Hands reports over until `done` holds of one (or 10 s pass).
fn until(b: &mut LiveBroker, mut done: impl FnMut(&ExecutionReport) -> bool) -> bool {
    let start = Instant::now();
    let mut out = Vec::new();
    while start.elapsed() < Duration::from_secs(10) {
        b.advance(Timestamp(1), &mut out);
        if out.drain(..).any(|r| done(&r)) {
            return true;
        }
        std::thread::sleep(Duration::from_micros(50));
    }
    false
}

fn main() {
    if std::env::var_os("BENCH_DEBUG").is_some() {
        tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .init();
    }
    let orders = arg("--orders", 1000);
    let rounds = arg("--rounds", 5);
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("no runtime: {e}");
            std::process::exit(1);
        }
    };
    let mock = rt.block_on(MockBinance::start(KEY, SECRET));
    mock.set_balance("USDT", d("100000000"));
    for (base, price) in SYMBOLS {
        mock.add_symbol(base, "USDT", d(price));
        mock.set_price(&format!("{base}USDT"), d(price));
    }
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("no temp dir: {e}");
            std::process::exit(1);
        }
    };
    let instruments = SYMBOLS
        .iter()
        .enumerate()
        .map(|(i, (base, _))| LiveInstrument {
            id: InstrumentId(i as u16),
            name: format!("{base}/USDT"),
            venue: VenueId(0),
            min_qty: d("0.00001"),
        })
        .collect();
    let mut settings = LiveSettings::new(
        AccountId(0),
        "USDT",
        instruments,
        dir.path().join("bench.db"),
    );
    settings.refresh = Duration::from_millis(300);
    let api = BinanceSpot::new(BinanceConfig {
        rest_url: mock.rest_url(),
        ws_api_url: mock.ws_url(),
        ..BinanceConfig::testnet(Credentials {
            key: Secret::new(KEY),
            secret: Secret::new(SECRET),
        })
    });
    let mut b = match api
        .map_err(|e| e.to_string())
        .and_then(|api| LiveBroker::start(api, settings).map_err(|e| e.to_string()))
    {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    // The start-up report (baseline recorded: no coins).
    until(&mut b, |r| matches!(r, ExecutionReport::VenueState { .. }));
    let mut id = 0u64;
    let mut next = || {
        id += 1;
        id
    };

    // Submit → acknowledgement.
    let mut acks = Vec::with_capacity(orders);
    for _ in 0..orders {
        mock.set_used_weight(0);
        let n = next();
        let o = order(
            n,
            0,
            Side::Buy,
            OrderType::Limit,
            d("0.001"),
            Some(d("10000")),
        );
        let t0 = Instant::now();
        if b.submit(&o, Timestamp(1)).is_err() {
            continue;
        }
        if until(
            &mut b,
            |r| matches!(r, ExecutionReport::Accepted { order_id, .. } if order_id.0 == n),
        ) {
            acks.push(t0.elapsed());
        }
    }
    let _ = b.cancel_all(AccountId(0), Timestamp(1));
    until(
        &mut b,
        |r| matches!(r, ExecutionReport::VenueState { open_orders: 0, positions, unreachable: None, .. } if positions.is_empty()),
    );
    acks.sort();
    println!(
        "submit → ack: {} orders, p50 {:.0} µs, p99 {:.0} µs, max {:.0} µs",
        acks.len(),
        percentile(&acks, 0.50).as_secs_f64() * 1e6,
        percentile(&acks, 0.99).as_secs_f64() * 1e6,
        acks.last().copied().unwrap_or_default().as_secs_f64() * 1e6,
    );

    // Kill switch → venue-confirmed flat.
    let mut flats = Vec::new();
    // The book per instrument, as the engine keeps it: what was bought
    // less the fee the venue kept in the coin, less what was sold.
    let mut book = [Decimal::ZERO; 5];
    for _ in 0..rounds {
        mock.set_used_weight(0);
        for inst in 0..5u16 {
            let n = next();
            let qty = (d("50") / d(SYMBOLS[inst as usize].1)).round_dp(5);
            if let Err(e) = b.submit(
                &order(n, inst, Side::Buy, OrderType::Market, qty, None),
                Timestamp(1),
            ) {
                eprintln!("not sent: {e}");
                std::process::exit(1);
            }
            // The mock keeps 0.1 % of the coin bought as its fee.
            book[inst as usize] += qty - qty * d("0.001");
        }
        if !until(
            &mut b,
            |r| matches!(r, ExecutionReport::VenueState { positions, .. } if positions.len() == 5),
        ) {
            eprintln!("the positions never showed at the venue");
            std::process::exit(1);
        }
        let mut resting = Vec::new();
        for k in 0..20u16 {
            let n = next();
            let inst = k % 5;
            let price = (d(SYMBOLS[inst as usize].1) / d("2")).round_dp(2);
            let qty = (d("20") / price).round_dp(5).max(d("0.00001"));
            let _ = b.submit(
                &order(n, inst, Side::Buy, OrderType::Limit, qty, Some(price)),
                Timestamp(1),
            );
            resting.push(OrderId(n));
        }
        let last = resting[19];
        until(
            &mut b,
            |r| matches!(r, ExecutionReport::Accepted { order_id, .. } if *order_id == last),
        );
        // K: what the engine sends, in its order.
        let t0 = Instant::now();
        for o in &resting {
            let _ = b.cancel(AccountId(0), *o, Timestamp(1));
        }
        let _ = b.cancel_all(AccountId(0), Timestamp(1));
        for (inst, held) in book.iter_mut().enumerate() {
            let n = next();
            let _ = b.submit(
                &order(n, inst as u16, Side::Sell, OrderType::Market, *held, None),
                Timestamp(1),
            );
            // The venue sells whole lots; the crumb below one stays.
            let step = d("0.00001");
            *held -= (*held / step).floor() * step;
        }
        if until(
            &mut b,
            |r| matches!(r, ExecutionReport::VenueState { open_orders: 0, positions, unreachable: None, .. } if positions.is_empty()),
        ) {
            flats.push(t0.elapsed());
        }
    }
    flats.sort();
    println!(
        "K → venue-confirmed flat (20 orders, 5 positions): {} rounds, median {:.1} ms, max {:.1} ms",
        flats.len(),
        percentile(&flats, 0.50).as_secs_f64() * 1e3,
        flats.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
    drop(b);
    drop(rt);
}
