//! The triangular scanner's cost per quote update (`bash bench/triangular.sh`).
//!
//! One venue lists 50 pairs: 10 coins against USDT and 40 of the 45 pairs
//! between the coins, priced consistently (a cross is the ratio of its two
//! USDT prices, within its spread) so almost no cycle clears the minimum,
//! as in a real market; one quote in 200 is dislocated by 1 % so some do.
//! Each update moves one pair's quote (a random walk) and hands it to the
//! scanner as the engine does (book update, then `on_quote`). Timed: the
//! scanner's `on_quote` alone, per update, over `--updates` (200 000) after
//! a warm-up; and, for scale, a full rescan of every cycle per update.
//!   cargo run --release -p omni-core --example triangular_bench [-- --updates N]

use omni_core::domain::{
    AccountMode, AssetClass, Catalog, Instrument, InstrumentId, Quote, Timestamp, Venue, VenueId,
    time::MILLI,
};
use omni_core::market::QuoteBook;
use omni_core::random::SimRng;
use omni_core::scanners::triangular::TriangularScanner;
use omni_core::scanners::{Findings, ScanContext, Scanner};
use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;
use std::time::Instant;

const COINS: usize = 10;

fn catalog() -> Catalog {
    let mut c = Catalog::builtin(AccountMode::Demo);
    c.venues = vec![Venue {
        id: VenueId(0),
        name: "bench".into(),
        taker_fee: Decimal::new(75, 5),
        maker_fee: Decimal::new(75, 5),
    }];
    c.instruments.clear();
    let mut add = |name: String| {
        let id = InstrumentId(c.instruments.len() as u16);
        c.instruments.push(Instrument {
            id,
            name,
            class: AssetClass::Crypto,
            tick_size: Decimal::new(1, 8),
            lot_size: Decimal::new(1, 6),
            min_qty: Decimal::new(1, 6),
            venues: vec![VenueId(0)],
        });
    };
    for i in 0..COINS {
        add(format!("C{i}/USDT"));
    }
    let mut crosses = 0;
    'outer: for i in 0..COINS {
        for j in (i + 1)..COINS {
            if crosses == 40 {
                break 'outer;
            }
            add(format!("C{j}/C{i}"));
            crosses += 1;
        }
    }
    c
}

fn dec(x: f64) -> Decimal {
    Decimal::from_f64(x).unwrap_or(Decimal::ONE).round_dp(8)
}

fn main() {
    let updates: usize = std::env::args()
        .skip_while(|a| a != "--updates")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(200_000);
    let catalog = catalog();
    let mut book = QuoteBook::new(&catalog);
    let mut cfg: omni_core::scanners::config::TriangularScannerConfig =
        omni_core::defaults::section("scanners.triangular");
    cfg.max_quote_age_ms = i64::MAX / MILLI / 2;
    let mut scanner = TriangularScanner::new(cfg);
    scanner.build(&catalog);
    let mut rng = SimRng::new(7, 1);
    // USDT prices of the coins, walking.
    let mut usd: Vec<f64> = (0..COINS).map(|i| 10.0 * (i + 1) as f64).collect();
    let assets: Vec<(usize, Option<usize>)> = catalog
        .instruments
        .iter()
        .map(|i| {
            let (b, q) = i.assets().unwrap_or(("C0", "USDT"));
            let n = |s: &str| s[1..].parse::<usize>().unwrap_or(0);
            (n(b), (q != "USDT").then(|| n(q)))
        })
        .collect();
    let quote_of = |k: usize, usd: &[f64], rng: &mut SimRng, ts: Timestamp| {
        let (b, q) = assets[k];
        let mut mid = usd[b] / q.map_or(1.0, |q| usd[q]);
        if rng.chance(0.005) {
            mid *= 1.01;
        }
        let half = mid * 0.0001;
        Quote {
            venue: VenueId(0),
            instrument: InstrumentId(k as u16),
            bid: dec(mid - half),
            ask: dec(mid + half),
            bid_qty: dec(rng.range(1.0, 50.0)),
            ask_qty: dec(rng.range(1.0, 50.0)),
            ts,
        }
    };
    let mut ts = Timestamp::from_secs(1_000);
    for k in 0..catalog.instruments.len() {
        let q = quote_of(k, &usd, &mut rng, ts);
        book.update(&q);
    }
    let n = catalog.instruments.len();
    let mut out = Findings::default();
    let (mut scan_ns, mut full_ns, mut found, mut touched) = (0u128, 0u128, 0usize, 0usize);
    let warmup = updates / 10;
    for u in 0..(warmup + updates) {
        ts = ts.plus(MILLI);
        let k = rng.below(n as u64) as usize;
        let (b, _) = assets[k];
        usd[b] *= 1.0 + 0.0001 * rng.normal();
        let q = quote_of(k, &usd, &mut rng, ts);
        book.update(&q);
        out.clear();
        let cx = ScanContext {
            catalog: &catalog,
            book: &book,
            now: ts,
        };
        let t0 = Instant::now();
        scanner.on_quote(&cx, &q, q.mid(), &mut out);
        let t1 = Instant::now();
        // For scale: every cycle, as a scanner without the index would.
        let mut all = 0usize;
        for c in scanner.cycles() {
            all += usize::from(scanner.evaluate(&catalog, &book, c, ts).is_some());
        }
        let t2 = Instant::now();
        std::hint::black_box(all);
        if u >= warmup {
            scan_ns += (t1 - t0).as_nanos();
            full_ns += (t2 - t1).as_nanos();
            found += out.found.len();
            touched += usize::from(out.keyed);
        }
    }
    let per = |ns: u128| ns as f64 / updates as f64;
    println!(
        "{} pairs, {} cycles on one venue; {updates} quote updates",
        n,
        scanner.cycles().len()
    );
    println!(
        "incremental (on_quote): {:.0} ns per update; {:.4} found per update",
        per(scan_ns),
        found as f64 / updates as f64
    );
    println!(
        "every cycle evaluated exactly (no index, no cheap test): {:.0} ns per update ({:.1}x)",
        per(full_ns),
        per(full_ns) / per(scan_ns).max(1.0)
    );
    println!(
        "updates that touched a cycle: {:.1} %",
        100.0 * touched as f64 / updates as f64
    );
}
