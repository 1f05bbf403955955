//! A margin venue's cash (OANDA's and TradeLocker's balance: realised P&L
//! only, an open position pays nothing) is adopted as it is, not as a spot
//! venue's cash (what is left after paying, to which the book adds its
//! positions' cost): with a position open the book's cash is not inflated
//! by its notional, and a prop-firm account is not REDUCING for it.

mod common;

use common::{Harness, at, d};
use omni_core::domain::BrokerKind;
use omni_core::execution::{ExecutionReport, VenueFunds};

#[test]
fn oanda_balance_with_an_open_position_is_not_inflated_by_its_notional() {
    let mut loaded = common::load("");
    let fx = loaded
        .catalog
        .account_by_name("margin-fx")
        .expect("margin-fx");
    loaded.catalog.accounts[fx.index()].broker = BrokerKind::Oanda;
    let engine = omni_core::engine::Engine::new(&loaded.config.engine(), &loaded.catalog);
    let mut h = Harness { engine, loaded };
    // The book holds long 2000 EUR/USD from 1.10000; OANDA holds the same.
    h.fx_long(None, None);
    let eur = h.inst("EUR/USD");
    // OANDA's balance: 10000 USD (an open position does not move it).
    h.report(ExecutionReport::VenueState {
        account: fx,
        open_orders: 0,
        positions: vec![(eur, d("2000"))],
        unreachable: None,
        cash: Some(d("10000")),
        cash_paid_for_positions: false,
        other_positions: 0,
        funds: VenueFunds {
            equity: Some(d("10000")),
            margin_used: Some(d("73.33")),
            margin_available: Some(d("9926.67")),
        },
        ts: at(10),
    });
    let cash = h.engine.portfolio().balances[fx.index()].cash;
    assert_eq!(
        cash,
        d("10000"),
        "the book's cash became OANDA's balance plus the position's notional (2000 x 1.1)"
    );
}

/// The same on a prop-firm account: the first adoption moves the day's
/// start to the book's inflated equity, and the daily loss, measured on
/// the broker's equity, is the position's notional: REDUCING at once,
/// with nothing lost.
#[test]
fn a_prop_account_on_oanda_with_a_position_is_not_reducing_on_its_first_report() {
    let mut loaded = common::load("");
    let prop = loaded.catalog.account_by_name("prop-fx").expect("prop-fx");
    loaded.catalog.accounts[prop.index()].broker = BrokerKind::Oanda;
    let engine = omni_core::engine::Engine::new(&loaded.config.engine(), &loaded.catalog);
    let mut h = Harness { engine, loaded };
    let eur = h.inst("EUR/USD");
    let key = omni_core::portfolio::PositionKey {
        account: prop,
        instrument: eur,
        contract: 0,
    };
    let mut p = omni_core::portfolio::Position::new(key, h.venue("oanda"), at(0));
    p.apply(
        omni_core::domain::Side::Buy,
        d("10000"),
        d("1.10000"),
        d("0"),
        at(0),
    );
    h.engine.restore(omni_core::engine::RestoredState {
        positions: vec![p],
        ..Default::default()
    });
    h.report(ExecutionReport::VenueState {
        account: prop,
        open_orders: 0,
        positions: vec![(eur, d("10000"))],
        unreachable: None,
        cash: Some(d("100000")),
        cash_paid_for_positions: false,
        other_positions: 0,
        funds: VenueFunds {
            equity: Some(d("100000")),
            margin_used: Some(d("366.67")),
            margin_available: Some(d("99633.33")),
        },
        ts: at(10),
    });
    assert_eq!(
        h.engine.prop_breach(prop),
        None,
        "start of day {}",
        h.engine.account_risk(prop).start_of_day_equity
    );
}
