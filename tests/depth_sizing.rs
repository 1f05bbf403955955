//! Arbitrage sized from the venues' depth: with a depth snapshot on both
//! venues the opportunity's size and profit come from walking the books,
//! the legs' limits reach the worst level walked, each routed account's
//! size and profit at that size are shown, and a malformed snapshot is
//! dropped and counted.

mod common;
#[path = "common/screen.rs"]
mod screen;

use common::{Harness, at, d};
use omni_core::domain::{Depth, Level, OpportunityDetail, Side};
use omni_core::engine::{Command, EngineEvent};
use omni_core::market::MarketEvent;
use screen::{render, screen};

fn depth(
    h: &Harness,
    venue: &str,
    bids: &[(&str, &str)],
    asks: &[(&str, &str)],
    ms: i64,
) -> EngineEvent {
    let levels = |l: &[(&str, &str)]| {
        l.iter()
            .map(|(p, q)| Level {
                price: d(p),
                qty: d(q),
            })
            .collect()
    };
    EngineEvent::Market(MarketEvent::Depth(Box::new(Depth {
        venue: h.venue(venue),
        instrument: h.inst("BTC/USDT"),
        bids: levels(bids),
        asks: levels(asks),
        ts: at(ms),
    })))
}

/// binance asks 100000.10 × 0.01, 100010 × 0.05, 100900 × 1; kraken bids
/// 100800 × 0.02, 100700 × 0.1, 99000 × 1.
fn books(h: &mut Harness) {
    let e = depth(
        h,
        "binance",
        &[("100000.00", "0.01")],
        &[("100000.10", "0.01"), ("100010", "0.05"), ("100900", "1")],
        0,
    );
    h.feed(e);
    let e = depth(
        h,
        "kraken",
        &[("100800.00", "0.02"), ("100700", "0.1"), ("99000", "1")],
        &[("100800.50", "0.02")],
        0,
    );
    h.feed(e);
    h.quote("binance", "BTC/USDT", "100000.00", "100000.10", "0.01", 1);
}

#[test]
fn depth_sizes_the_arbitrage_and_the_legs_reach_the_worst_level_walked() {
    let mut h = Harness::new("");
    // Tops first (kraken's bid 100800 × 0.02): then the depth arrives.
    let q = h.quote("kraken", "BTC/USDT", "100800.00", "100800.50", "0.02", 0);
    assert!(q.opened().is_empty(), "binance has not quoted yet");
    books(&mut h);
    let opp = h
        .engine
        .opportunities()
        .iter()
        .find(|o| matches!(o.detail, OpportunityDetail::Arbitrage(_)))
        .cloned()
        .expect("an arbitrage");
    let OpportunityDetail::Arbitrage(a) = &opp.detail else {
        unreachable!()
    };
    // 0.01 at 100000.10 and 0.05 at 100010 against 0.02 at 100800 and
    // 0.04 at 100700; 100900 against anything loses after fees.
    assert_eq!(a.qty, d("0.06"));
    assert_eq!(
        a.buy_levels,
        vec![
            Level {
                price: d("100000.10"),
                qty: d("0.01")
            },
            Level {
                price: d("100010"),
                qty: d("0.05")
            }
        ]
    );
    assert_eq!(
        a.sell_levels,
        vec![
            Level {
                price: d("100800.00"),
                qty: d("0.02")
            },
            Level {
                price: d("100700"),
                qty: d("0.04")
            }
        ]
    );
    assert_eq!(h.engine.counters().depth, 2);

    // Approved: each account's legs are IOC limits reaching the worst
    // level walked, sized by the account within the book's 0.06.
    let out = h.cmd(Command::Approve(opp.id), 10);
    let legs = out.submits();
    assert!(!legs.is_empty(), "{:?}", out.refusals());
    for o in &legs {
        assert!(o.qty <= d("0.06"), "{o:?}");
        match o.side {
            Side::Buy => assert!(o.limit_price >= Some(d("100010")), "{o:?}"),
            Side::Sell => assert!(o.limit_price <= Some(d("100700")), "{o:?}"),
        }
    }
}

#[test]
fn the_opportunity_shows_each_accounts_size_and_profit_at_that_size() {
    let mut h = Harness::new("");
    h.quote("kraken", "BTC/USDT", "100800.00", "100800.50", "0.02", 0);
    books(&mut h);
    let app = screen::app_at(&h.engine, 200, 50);
    let (lines, _) = render(&app, 200, 50);
    let s = screen(&lines);
    assert!(s.contains("Book profit"), "{s}");
    let detail = lines
        .iter()
        .find(|l| l.contains("over 2+2 levels"))
        .unwrap_or_else(|| panic!("the detail line:\n{s}"));
    assert!(
        detail.contains("0.06 over 2+2 levels: buy 100000.10–100010.00 / sell 100800.00–100700.00"),
        "{detail}"
    );
    // Each routed account that would trade: its size and its profit.
    let snap = omni_tui::engine_thread::snapshot::build(&h.engine, 1, "DEMO");
    let row = snap
        .opportunities
        .iter()
        .find(|r| matches!(r.detail, OpportunityDetail::Arbitrage(_)))
        .expect("row");
    assert!(!row.gate.sizes.is_empty(), "{:?}", row.gate);
    for z in &row.gate.sizes {
        let OpportunityDetail::Arbitrage(a) = &row.detail else {
            unreachable!()
        };
        assert!(z.qty > d("0") && z.qty <= a.qty, "{z:?}");
        let profit = z.profit.expect("an arbitrage's profit");
        assert!(profit > d("0") && profit <= a.net_profit, "{z:?}");
        assert!(
            detail.contains(&z.account) || s.contains(&z.account),
            "{z:?}"
        );
    }
}

#[test]
fn a_malformed_or_out_of_order_snapshot_is_dropped_and_counted() {
    let mut h = Harness::new("");
    // Crossed (best bid above best ask), unsorted, then a good one and an
    // older one.
    let e = depth(&h, "binance", &[("100", "1")], &[("99", "1")], 0);
    h.feed(e);
    let e = depth(
        &h,
        "binance",
        &[("99", "1"), ("100", "1")],
        &[("101", "1")],
        0,
    );
    h.feed(e);
    let e = depth(&h, "binance", &[("99", "1")], &[("101", "1")], 10);
    h.feed(e);
    let e = depth(&h, "binance", &[("99", "1")], &[("101", "1")], 5);
    h.feed(e);
    let c = h.engine.counters();
    assert_eq!((c.depth, c.dropped_depth), (1, 3));
}
