//! The paper broker: latency, fees, slippage, partial fills, resting orders,
//! stops, cancels, and binary settlement.

mod common;

use common::{at, d};
use omni_core::domain::{
    AccountId, BinaryContract, Direction, InstrumentId, Order, OrderId, OrderPurpose, OrderStatus,
    OrderType, Quote, Side, TimeInForce, Timestamp, VenueId,
};
use omni_core::execution::{Broker, ExecutionReport};
use omni_core::market::MarketEvent;
use omni_sim::paper::PaperBroker;
use omni_tui::config::Config;

fn broker(seed: u64) -> PaperBroker {
    let mut cfg = Config::default();
    cfg.paper.latency_jitter_ms = 0;
    let cat = cfg
        .validate(None, &omni_sim::demo::assets::is_bundled)
        .expect("valid");
    // binance 40 ms, kraken 90, bybit 60, oanda 30
    PaperBroker::new(
        &cat,
        &cfg.paper,
        &cfg.scanners.binary,
        vec![40, 90, 60, 30],
        seed,
    )
}

fn quote(b: &mut PaperBroker, bid: &str, ask: &str, qty: &str, ms: i64) -> Vec<ExecutionReport> {
    let mut out = Vec::new();
    b.on_market(
        &MarketEvent::Quote(Quote {
            venue: VenueId(0),
            instrument: InstrumentId(0),
            bid: d(bid),
            ask: d(ask),
            bid_qty: d(qty),
            ask_qty: d(qty),
            ts: at(ms),
        }),
        &mut out,
    );
    out
}

fn order(
    id: u64,
    side: Side,
    t: OrderType,
    tif: TimeInForce,
    qty: &str,
    limit: Option<&str>,
) -> Order {
    Order {
        id: OrderId(id),
        account: AccountId(0),
        instrument: InstrumentId(0),
        venue: VenueId(0),
        side,
        order_type: t,
        tif,
        qty: d(qty),
        limit_price: limit.map(d),
        stop_price: None,
        reference_price: d("100"),
        status: OrderStatus::Pending,
        filled_qty: d("0"),
        avg_fill_price: d("0"),
        fees: d("0"),
        purpose: OrderPurpose::Entry,
        exit_reason: None,
        opportunity: None,
        binary: None,
        position_contract: 0,
        stop_loss: None,
        take_profit: None,
        created: at(0),
        updated: at(0),
    }
}

fn run(b: &mut PaperBroker, until_ms: i64) -> Vec<ExecutionReport> {
    let mut out = Vec::new();
    b.advance(at(until_ms), &mut out);
    out
}

#[test]
fn a_market_order_arrives_after_the_venue_latency_and_pays_the_taker_fee() {
    let mut b = broker(1);
    quote(&mut b, "100000.00", "100000.10", "2", 0);
    b.submit(
        &order(
            1,
            Side::Buy,
            OrderType::Market,
            TimeInForce::Ioc,
            "0.5",
            None,
        ),
        at(0),
    )
    .expect("taken");
    assert_eq!(b.next_due(), Some(at(40)));
    assert!(run(&mut b, 39).is_empty());
    let r = run(&mut b, 40);
    assert_eq!(
        r[0],
        ExecutionReport::Accepted {
            order_id: OrderId(1),
            ts: at(40)
        }
    );
    match &r[1] {
        ExecutionReport::Filled {
            qty,
            price,
            fee,
            ts,
            ..
        } => {
            assert_eq!(*qty, d("0.5"));
            // impact 2 bps × 0.5 / 2 = 0.5 bp: 100000.10 × 1.00005 = 100005.105 → tick up
            assert_eq!(*price, d("100005.11"));
            assert_eq!(*fee, (d("0.5") * d("100005.11") * d("0.00075")).round_dp(8));
            assert_eq!(*ts, at(40));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(r.len(), 2);
}

#[test]
fn beyond_the_book_depth_the_rest_is_cancelled() {
    let mut b = broker(1);
    quote(&mut b, "99.99", "100.00", "1", 0);
    b.submit(
        &order(
            2,
            Side::Sell,
            OrderType::Market,
            TimeInForce::Ioc,
            "5",
            None,
        ),
        at(0),
    )
    .expect("taken");
    let r = run(&mut b, 100);
    assert!(matches!(&r[1], ExecutionReport::Filled { qty, .. } if *qty == d("3")));
    assert!(matches!(&r[2], ExecutionReport::Cancelled { .. }));
}

#[test]
fn an_ioc_limit_the_market_left_behind_expires() {
    let mut b = broker(1);
    quote(&mut b, "99.99", "100.00", "1", 0);
    b.submit(
        &order(
            3,
            Side::Buy,
            OrderType::Limit,
            TimeInForce::Ioc,
            "0.5",
            Some("100.00"),
        ),
        at(0),
    )
    .expect("taken");
    // The ask moves up before the order lands.
    quote(&mut b, "100.04", "100.05", "1", 20);
    let r = run(&mut b, 100);
    assert_eq!(
        r[1],
        ExecutionReport::Expired {
            order_id: OrderId(3),
            ts: at(40)
        }
    );
}

#[test]
fn a_resting_limit_fills_at_its_price_as_maker_and_cancels_work() {
    let mut b = broker(1);
    quote(&mut b, "99.99", "100.00", "1", 0);
    b.submit(
        &order(
            4,
            Side::Buy,
            OrderType::Limit,
            TimeInForce::Gtc,
            "0.5",
            Some("99.50"),
        ),
        at(0),
    )
    .expect("taken");
    b.submit(
        &order(
            5,
            Side::Buy,
            OrderType::Limit,
            TimeInForce::Gtc,
            "0.5",
            Some("98.00"),
        ),
        at(0),
    )
    .expect("taken");
    let r = run(&mut b, 100);
    assert_eq!(r.len(), 2, "both accepted, neither marketable: {r:?}");
    let r = quote(&mut b, "99.40", "99.45", "1", 200);
    match &r[..] {
        [
            ExecutionReport::Filled {
                order_id,
                price,
                fee,
                ts,
                ..
            },
        ] => {
            assert_eq!((*order_id, *price, *ts), (OrderId(4), d("99.50"), at(200)));
            assert_eq!(*fee, (d("0.5") * d("99.50") * d("0.00075")).round_dp(8));
        }
        other => panic!("{other:?}"),
    }
    b.cancel(AccountId(0), OrderId(5), at(300)).expect("taken");
    b.cancel(AccountId(0), OrderId(4), at(300)).expect("taken");
    let r = run(&mut b, 400);
    assert!(r.contains(&ExecutionReport::Cancelled {
        order_id: OrderId(5),
        ts: at(340),
        reason: "cancelled".into()
    }));
    assert!(r.iter().any(
        |x| matches!(x, ExecutionReport::CancelRejected { order_id, .. } if *order_id == OrderId(4))
    ));
}

#[test]
fn a_buy_stop_triggers_when_the_ask_reaches_it() {
    let mut b = broker(1);
    quote(&mut b, "99.99", "100.00", "1", 0);
    let mut o = order(6, Side::Buy, OrderType::Stop, TimeInForce::Gtc, "0.1", None);
    o.stop_price = Some(d("101"));
    b.submit(&o, at(0)).expect("taken");
    assert_eq!(run(&mut b, 100).len(), 1, "accepted and resting");
    assert!(quote(&mut b, "100.50", "100.60", "1", 150).is_empty());
    let r = quote(&mut b, "101.00", "101.10", "1", 200);
    assert!(
        matches!(&r[..], [ExecutionReport::Filled { order_id, .. }] if *order_id == OrderId(6)),
        "{r:?}"
    );
}

#[test]
fn no_quote_means_rejected() {
    let mut b = broker(1);
    b.submit(
        &order(7, Side::Buy, OrderType::Market, TimeInForce::Ioc, "1", None),
        at(0),
    )
    .expect("taken");
    assert!(matches!(
        &run(&mut b, 100)[..],
        [ExecutionReport::Rejected { .. }]
    ));
}

fn binary_order(id: u64, direction: Direction) -> Order {
    let mut o = order(
        id,
        Side::Buy,
        OrderType::Market,
        TimeInForce::Ioc,
        "10",
        None,
    );
    o.binary = Some(BinaryContract {
        direction,
        strike: d("100"),
        expiry: at(60_000),
        payout: d("0.85"),
    });
    o.position_contract = id;
    o
}

#[test]
fn binary_contracts_strike_on_arrival_and_settle_at_expiry() {
    let mut b = broker(1);
    quote(&mut b, "99.99", "100.01", "1", 0);
    b.submit(&binary_order(8, Direction::Up), at(0))
        .expect("taken");
    b.submit(&binary_order(9, Direction::Down), at(0))
        .expect("taken");
    let r = run(&mut b, 40);
    let struck: Vec<_> = r
        .iter()
        .filter_map(|x| match x {
            ExecutionReport::Filled {
                contract: Some(c),
                price,
                ..
            } => Some((*c, *price)),
            _ => None,
        })
        .collect();
    assert_eq!(struck.len(), 2);
    for (c, price) in &struck {
        assert_eq!(
            (c.strike, c.expiry, *price),
            (d("100.00"), at(60_040), d("1"))
        );
    }
    quote(&mut b, "100.49", "100.51", "1", 59_000);
    let r = run(&mut b, 61_000);
    assert!(r.contains(&ExecutionReport::BinarySettled {
        order_id: OrderId(8),
        price: d("1.85"),
        settle_price: d("100.50"),
        ts: at(60_040)
    }));
    assert!(r.contains(&ExecutionReport::BinarySettled {
        order_id: OrderId(9),
        price: d("0"),
        settle_price: d("100.50"),
        ts: at(60_040)
    }));
    assert_eq!(b.live_contracts(), 0);
}

#[test]
fn a_binary_sold_back_early_gets_fair_value_less_the_haircut_and_never_settles() {
    let mut b = broker(1);
    for s in 0..40 {
        // A wiggling market, so the broker has a volatility estimate.
        let mid = if s % 2 == 0 { d("100.00") } else { d("100.02") };
        quote(
            &mut b,
            &(mid - d("0.01")).to_string(),
            &(mid + d("0.01")).to_string(),
            "1",
            s * 1000,
        );
    }
    b.submit(&binary_order(10, Direction::Up), at(40_000))
        .expect("taken");
    run(&mut b, 40_040);
    // Far in the money, then sold back.
    quote(&mut b, "100.99", "101.01", "1", 41_000);
    let mut sell = binary_order(11, Direction::Up);
    sell.side = Side::Sell;
    sell.position_contract = 10;
    b.submit(&sell, at(41_000)).expect("taken");
    let r = run(&mut b, 41_040);
    let price = r
        .iter()
        .find_map(|x| match x {
            ExecutionReport::Filled {
                order_id, price, ..
            } if *order_id == OrderId(11) => Some(*price),
            _ => None,
        })
        .expect("sold back");
    // Deep in the money: fair ≈ 1.85, less 5 %.
    assert!(price > d("1.70") && price <= d("1.7575"), "{price}");
    let r = run(&mut b, 200_000);
    assert!(
        !r.iter()
            .any(|x| matches!(x, ExecutionReport::BinarySettled { .. }))
    );
}

#[test]
fn same_seed_same_reports_with_jitter() {
    let go = |seed| {
        let mut cfg = Config::default();
        cfg.paper.latency_jitter_ms = 25;
        let cat = cfg
            .validate(None, &omni_sim::demo::assets::is_bundled)
            .expect("valid");
        let mut b = PaperBroker::new(
            &cat,
            &cfg.paper,
            &cfg.scanners.binary,
            vec![40, 90, 60, 30],
            seed,
        );
        quote(&mut b, "99.99", "100.00", "1", 0);
        for i in 0..20 {
            b.submit(
                &order(
                    i,
                    Side::Buy,
                    OrderType::Market,
                    TimeInForce::Ioc,
                    "0.1",
                    None,
                ),
                Timestamp::from_millis(common::T0 + i as i64),
            )
            .expect("taken");
        }
        run(&mut b, 1000)
    };
    assert_eq!(go(3), go(3));
    assert_ne!(go(3), go(4));
}

/// A cross pair's fill (ETH/BTC in spot-a's USDT account) is held as the
/// two assets it moves, against USDT, as the engine books it: so the
/// venue's positions and the engine's book agree after a triangular cycle.
#[test]
fn a_cross_pairs_fill_is_held_as_its_two_assets_against_the_account_currency() {
    let mut b = broker(1);
    let (btc, eth, ethbtc) = (InstrumentId(0), InstrumentId(1), InstrumentId(2));
    let mut out = Vec::new();
    for (inst, bid, ask) in [
        (btc, "49999.90", "50000.10"),
        (ethbtc, "0.04999", "0.05000"),
    ] {
        b.on_market(
            &MarketEvent::Quote(Quote {
                venue: VenueId(0),
                instrument: inst,
                bid: d(bid),
                ask: d(ask),
                bid_qty: d("100"),
                ask_qty: d("100"),
                ts: at(0),
            }),
            &mut out,
        );
    }
    let mut o = order(
        1,
        Side::Buy,
        OrderType::Market,
        TimeInForce::Ioc,
        "0.6",
        None,
    );
    o.instrument = ethbtc;
    o.purpose = OrderPurpose::CycleLeg;
    b.submit(&o, at(0)).expect("taken");
    let r = run(&mut b, 40);
    let (price, fee) = r
        .iter()
        .find_map(|x| match x {
            ExecutionReport::Filled { price, fee, .. } => Some((*price, *fee)),
            _ => None,
        })
        .expect("filled");
    let mut held: Vec<(InstrumentId, rust_decimal::Decimal)> = b
        .positions(AccountId(0))
        .expect("answers")
        .iter()
        .map(|p| (p.instrument, p.qty))
        .collect();
    held.sort();
    // +0.6 ETH, −0.6 × price BTC; nothing on ETH/BTC itself.
    assert_eq!(held, [(btc, -(d("0.6") * price)), (eth, d("0.6"))]);
    // USDT moves only by the BTC fee, at BTC/USDT's mid (the books here
    // start from nothing: no opening balance was given).
    let cash = b.balances(AccountId(0)).expect("answers")[0].cash;
    assert_eq!(cash, -fee * d("50000.00"));
    assert!(fee > d("0"));
    // Any other order on the cross is held as the cross, as the engine
    // books it.
    let mut o = order(
        2,
        Side::Buy,
        OrderType::Market,
        TimeInForce::Ioc,
        "0.6",
        None,
    );
    o.instrument = ethbtc;
    b.submit(&o, at(40)).expect("taken");
    run(&mut b, 80);
    let on_cross = b
        .positions(AccountId(0))
        .expect("answers")
        .iter()
        .any(|p| p.instrument == ethbtc && p.qty == d("0.6"));
    assert!(on_cross);
}
