//! Implausible market data is quarantined: counted per venue, never put in
//! the book, never the basis of an opportunity or an order; a real move is
//! accepted once another venue confirms it or it has held for
//! `confirm_secs`. Driven through the engine with scripted events.

mod common;

use common::{Harness, Out, at, d};
use omni_core::domain::{Bar, OpportunityKind, Timeframe};
use omni_core::engine::{Audit, EngineEvent};
use omni_core::execution::ExecutionReport;
use omni_core::market::MarketEvent;
use omni_core::risk::TradingState;

const ALL: &str = "[approval]\nmode = \"all\"\n";

/// BTC/USDT on the three crypto venues around `mid`, 10 units a side.
fn btc_all(h: &mut Harness, ms: i64, mid: &str) -> Out {
    let mut out = Out::default();
    for v in ["binance", "kraken", "bybit"] {
        out.extend(btc(h, v, ms, mid));
    }
    out
}

fn btc(h: &mut Harness, venue: &str, ms: i64, mid: &str) -> Out {
    let m = d(mid);
    let bid = (m - d("1")).to_string();
    let ask = (m + d("1")).to_string();
    h.quote(venue, "BTC/USDT", &bid, &ask, "10", ms)
}

fn quarantined(h: &Harness, venue: &str) -> u64 {
    let v = h.venue(venue);
    h.engine.counters().quarantined_by_venue[v.index()]
}

fn held(h: &Harness, venue: &str) -> rust_decimal::Decimal {
    let (v, i) = (h.venue(venue), h.inst("BTC/USDT"));
    h.engine.quotes().quote(v, i).expect("a quote").bid
}

#[test]
fn a_single_wild_tick_is_quarantined_and_never_trades() {
    let mut h = Harness::new(ALL);
    for s in 0..5 {
        btc_all(&mut h, s * 1000, "100000");
    }
    // One venue 50 % above the others: before the quarantine this opened an
    // arbitrage and four orders filled on it.
    let out = btc(&mut h, "kraken", 5_000, "150000");
    assert!(out.opened().is_empty(), "{out:?}");
    assert!(out.submits().is_empty());
    assert_eq!(quarantined(&h, "kraken"), 1);
    assert_eq!(
        held(&h, "kraken"),
        d("99999"),
        "the book keeps the good quote"
    );
    // A price of 1e20, the largest Decimal and a dust price: each counted,
    // none trades, none panics.
    for (bid, ask) in [
        ("100000000000000000000", "100000000000000000001"),
        (
            "79228162514264337593543950335",
            "79228162514264337593543950335",
        ),
        (
            "0.0000000000000000000000000001",
            "0.0000000000000000000000000002",
        ),
    ] {
        let out = h.quote("bybit", "BTC/USDT", bid, ask, "10", 5_100);
        assert!(out.opened().is_empty() && out.submits().is_empty());
    }
    assert_eq!(quarantined(&h, "bybit"), 3);
    assert_eq!(h.engine.counters().quarantined, 4);
    assert!(
        h.engine
            .opportunities()
            .iter()
            .all(|o| o.kind() != OpportunityKind::Arbitrage)
    );
}

#[test]
fn crossed_empty_and_negative_books_are_quarantined() {
    let mut h = Harness::new("");
    btc_all(&mut h, 0, "100000");
    for (bid, ask, qty) in [
        ("100010", "100000", "1"), // crossed
        ("0", "100000", "1"),      // zero bid
        ("-5", "100000", "1"),     // negative
        ("99999", "100001", "-1"), // negative size
    ] {
        h.quote("binance", "BTC/USDT", bid, ask, qty, 1_000);
    }
    assert_eq!(quarantined(&h, "binance"), 4);
    assert_eq!(held(&h, "binance"), d("99999"));
}

#[test]
fn a_move_confirmed_by_another_venue_is_accepted() {
    let mut h = Harness::new("");
    for s in 0..3 {
        btc_all(&mut h, s * 1000, "100000");
    }
    // Binance moves 8 % first: alone, it is held back ...
    btc(&mut h, "binance", 3_000, "108000");
    assert_eq!(quarantined(&h, "binance"), 1);
    // ... Kraken quotes the same level: it confirms Binance's, so it is
    // accepted, and so is Binance's next quote.
    btc(&mut h, "kraken", 3_200, "108010");
    assert_eq!(quarantined(&h, "kraken"), 0);
    assert_eq!(held(&h, "kraken"), d("108009"));
    btc(&mut h, "binance", 3_400, "108005");
    assert_eq!(held(&h, "binance"), d("108004"));
    assert_eq!(quarantined(&h, "binance"), 1);
}

#[test]
fn a_level_held_for_confirm_secs_is_accepted_on_a_single_venue_market() {
    // EUR/USD is quoted by OANDA alone: its own last mid is the reference.
    let mut h = Harness::new("[quarantine]\nconfirm_secs = 10\n");
    h.fx_quote(0, d("1.1000"));
    // A 10 % gap from 1 s: held back while it has lasted less than 10 s ...
    for s in 1..=11 {
        h.fx_quote(s * 1000, d("1.2100"));
    }
    let counted = h.engine.counters().quarantined;
    assert_eq!(counted, 10, "the quotes of 1 s .. 10 s");
    // ... accepted once it has held 10 s (the quote at 11 s).
    let (v, i) = (h.venue("oanda"), h.inst("EUR/USD"));
    assert_eq!(h.engine.quotes().quote(v, i).expect("quote").ts, at(11_000));
    // A level that keeps jumping around never gets accepted by time.
    let mut h = Harness::new("[quarantine]\nconfirm_secs = 10\n");
    h.fx_quote(0, d("1.1000"));
    for s in 1..=20 {
        let wild = if s % 2 == 0 { "1.3000" } else { "0.9000" };
        h.fx_quote(s * 1000, d(wild));
    }
    assert_eq!(h.engine.counters().quarantined, 20);
}

fn bar(h: &Harness, open_ms: i64, ohlc: [&str; 4]) -> Bar {
    Bar {
        instrument: h.inst("BTC/USDT"),
        timeframe: Timeframe::M1,
        open_ts: at(open_ms),
        open: d(ohlc[0]),
        high: d(ohlc[1]),
        low: d(ohlc[2]),
        close: d(ohlc[3]),
        volume: d("5"),
    }
}

#[test]
fn bars_with_inconsistent_or_implausible_prices_are_quarantined() {
    let mut h = Harness::new("");
    btc_all(&mut h, 0, "100000");
    let bad = [
        ["100000", "99000", "101000", "100000"], // high below low
        ["100000", "100500", "99500", "101000"], // close above high
        ["0", "100500", "99500", "100000"],      // zero open
        ["-1", "100500", "99500", "100000"],     // negative
        ["100000", "1e20", "99500", "100000"],   // out of bounds
    ];
    for (n, ohlc) in bad.iter().enumerate() {
        let ohlc = ohlc.map(|x| {
            if x == "1e20" {
                "100000000000000000000"
            } else {
                x
            }
        });
        for live in [true, false] {
            let b = bar(&h, -60_000 * (n as i64 + 1), ohlc);
            let event = if live {
                MarketEvent::Bar(b)
            } else {
                MarketEvent::History(b)
            };
            h.feed(EngineEvent::Market(event));
        }
    }
    assert_eq!(
        quarantined(&h, "binance"),
        10,
        "bars count for the primary venue"
    );
    // A consistent live bar far from every venue's mid is held back too; a
    // consistent one near them is used.
    let far = bar(&h, 0, ["150000", "150100", "149900", "150000"]);
    h.feed(EngineEvent::Market(MarketEvent::Bar(far)));
    assert_eq!(quarantined(&h, "binance"), 11);
    let near = bar(&h, 60_000, ["100000", "100100", "99900", "100050"]);
    h.feed(EngineEvent::Market(MarketEvent::Bar(near)));
    assert_eq!(quarantined(&h, "binance"), 11);
}

#[test]
fn trades_far_from_the_reference_are_quarantined() {
    let mut h = Harness::new("");
    btc_all(&mut h, 0, "100000");
    let trade = |h: &Harness, price: &str, qty: &str| {
        EngineEvent::Market(MarketEvent::Trade(omni_core::domain::Trade {
            venue: h.venue("binance"),
            instrument: h.inst("BTC/USDT"),
            price: d(price),
            qty: d(qty),
            aggressor: omni_core::domain::Aggressor::Buy,
            ts: at(500),
        }))
    };
    for (p, q) in [
        ("130000", "1"),
        ("0", "1"),
        ("100000", "0"),
        ("100000", "-2"),
    ] {
        let e = trade(&h, p, q);
        h.feed(e);
    }
    assert_eq!(quarantined(&h, "binance"), 4);
    let e = trade(&h, "100002", "0.5");
    h.feed(e);
    assert_eq!(quarantined(&h, "binance"), 4);
}

#[test]
fn a_fill_that_cannot_be_booked_halts_trading_and_is_recorded() {
    let mut h = Harness::new(ALL);
    for s in 0..3 {
        btc_all(&mut h, s * 1000, "100000");
    }
    // A dislocation inside the band opens an arbitrage that is approved.
    let out = btc(&mut h, "kraken", 3_000, "101500");
    let orders = out.submits();
    assert!(!orders.is_empty(), "{out:?}");
    let o = orders[0].clone();
    let fill = |qty: &str, price: &str, trade: &str| ExecutionReport::Filled {
        order_id: o.id,
        trade_id: trade.into(),
        qty: d(qty),
        price: d(price),
        fee: d("0"),
        ts: at(3_100),
        contract: None,
    };
    // More than was ordered.
    let over = (o.qty * d("2")).to_string();
    let out = h.report(fill(&over, "100000", "T1"));
    assert_eq!(h.engine.trading_state(), TradingState::Halted);
    let cause = out
        .audits
        .iter()
        .find_map(|a| match a {
            Audit::TradingStateChanged { cause, .. } => Some(cause.clone()),
            _ => None,
        })
        .expect("the halt is recorded");
    assert!(cause.contains("implausible fill"), "{cause}");
    assert!(!out.audits.iter().any(|a| matches!(a, Audit::Fill { .. })));
    // Numbers out of bounds: not booked either.
    h.report(fill("1", "79228162514264337593543950335", "T2"));
    h.report(fill("79228162514264337593543950335", "1", "T3"));
    assert_eq!(h.engine.counters().bad_fills, 3);
    assert_eq!(h.engine.counters().fills, 0);
}
