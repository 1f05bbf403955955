//! Depth-sized arbitrage legs: the slack is taken from what is left
//! between the worst levels walked, so the buy limit stays below the sell
//! limit (`leg_slack < 0.5`) even when only one side was walked deep, and
//! both legs filling at their limits never lock in a loss.

mod common;

use common::{Harness, at, d};
use omni_core::domain::{Depth, Level, OpportunityDetail, Side};
use omni_core::engine::{Command, EngineEvent};
use omni_core::market::MarketEvent;

#[test]
fn depth_sized_legs_never_buy_above_what_they_sell() {
    let mut h = Harness::new("");
    // binance asks 99000 x 0.01, then 100400 x 0.05; kraken bids 100800 x 1.
    h.feed(EngineEvent::Market(MarketEvent::Depth(Box::new(Depth {
        venue: h.venue("binance"),
        instrument: h.inst("BTC/USDT"),
        bids: vec![Level {
            price: d("98999.90"),
            qty: d("0.01"),
        }],
        asks: vec![
            Level {
                price: d("99000.00"),
                qty: d("0.01"),
            },
            Level {
                price: d("100400"),
                qty: d("0.05"),
            },
        ],
        ts: at(0),
    }))));
    h.quote("kraken", "BTC/USDT", "100800.00", "100800.50", "1", 0);
    h.quote("binance", "BTC/USDT", "98999.90", "99000.00", "0.01", 1);
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
    assert_eq!(a.qty, d("0.06"), "{a:?}");
    let out = h.cmd(Command::Approve(opp.id), 10);
    let legs = out.submits();
    assert!(!legs.is_empty(), "{:?}", out.refusals());
    let buy = legs.iter().find(|o| o.side == Side::Buy).unwrap();
    let sell = legs.iter().find(|o| o.side == Side::Sell).unwrap();
    assert!(
        buy.limit_price <= sell.limit_price,
        "buy limit {:?} above sell limit {:?}: both legs filling at their limits lose",
        buy.limit_price,
        sell.limit_price
    );
}
