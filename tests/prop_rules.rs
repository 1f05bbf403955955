//! A prop-firm account on a live broker: its daily loss and drawdown are
//! measured on the equity the broker reports, it goes REDUCING (only
//! orders that reduce a position) a buffer before the firm's own limit,
//! with the reason in an alert and on the account, and comes back when
//! within both; while REDUCING an order that shrinks its position still
//! goes; a static drawdown is measured from the starting balance, a
//! trailing one follows the highest equity.

mod common;
#[path = "common/screen.rs"]
mod screen;

use common::{Harness, at, d};
use omni_core::domain::{AccountId, BrokerKind, InstrumentId, Side};
use omni_core::engine::{Audit, Command, EngineEvent, RestoredState};
use omni_core::execution::{ExecutionReport, VenueFunds};
use omni_core::portfolio::{Position, PositionKey};
use omni_core::risk::{RefusalReason as R, RiskLevel, TradingState, Verdict};

fn live_prop(overlay: &str) -> (Harness, AccountId) {
    let mut loaded = common::load(overlay);
    let prop = loaded.catalog.account_by_name("prop-fx").expect("prop-fx");
    loaded.catalog.accounts[prop.index()].broker = BrokerKind::Alpaca;
    let engine = omni_core::engine::Engine::new(&loaded.config.engine(), &loaded.catalog);
    (Harness { engine, loaded }, prop)
}

fn equity(account: AccountId, equity: &str, ms: i64) -> ExecutionReport {
    holding(account, equity, Vec::new(), ms)
}

/// The broker's report of `positions` held and this equity.
fn holding(
    account: AccountId,
    equity: &str,
    positions: Vec<(InstrumentId, rust_decimal::Decimal)>,
    ms: i64,
) -> ExecutionReport {
    ExecutionReport::VenueState {
        account,
        open_orders: 0,
        positions,
        unreachable: None,
        cash: None,
        cash_paid_for_positions: true,
        other_positions: 0,
        funds: VenueFunds {
            equity: Some(d(equity)),
            margin_used: Some(d("0")),
            margin_available: Some(d(equity)),
        },
        ts: at(ms),
    }
}

fn alerts(out: &common::Out) -> Vec<String> {
    out.audits
        .iter()
        .filter_map(|a| match a {
            Audit::Alert { rule, text, .. } if rule == "prop-firm" => Some(text.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn the_brokers_equity_moves_a_prop_account_to_reducing_before_the_firms_limit() {
    let (mut h, prop) = live_prop("");
    // 4.4 % down: within 5 % less the 0.5 % buffer.
    let out = h.report(equity(prop, "95600", 10));
    assert!(alerts(&out).is_empty(), "{:?}", alerts(&out));
    assert_eq!(h.engine.prop_breach(prop), None);

    // 4.6 % down on the broker's figure (the book's own equity has not
    // moved): REDUCING, said once, with the numbers.
    let out = h.report(equity(prop, "95400", 20));
    assert_eq!(
        alerts(&out),
        vec!["prop-fx: REDUCING, only orders that reduce a position: down 4600 today >= 4500 (5% of start-of-day equity, 0.5% before the firm's) on equity 95400".to_string()]
    );
    assert_eq!(h.engine.equity(prop), d("100000"));
    assert!(h.engine.prop_breach(prop).is_some());
    // REDUCING, in the words a pause uses, for this account alone; its
    // level is HIGH, not BLOCKED: it still takes orders that reduce.
    assert_eq!(h.engine.account_state(prop), TradingState::Reducing);
    assert_eq!(h.engine.trading_state(), TradingState::Active);
    assert_eq!(
        h.engine.account_state(h.account("margin-fx")),
        TradingState::Active
    );
    assert_eq!(h.engine.risk_level(prop), RiskLevel::High);
    let out = h.report(equity(prop, "95300", 30));
    assert!(alerts(&out).is_empty(), "said once: {:?}", alerts(&out));

    // A new entry is refused for prop-fx on the same numbers; margin-fx,
    // on paper, is not touched.
    let (id, _) = h.forex_buy(4_000_000, |h, ms, px| h.fx_quote(ms, px));
    let t = h.engine.clock().millis() - common::T0;
    let out = h.cmd(Command::Approve(id), t);
    let prop_verdicts: Vec<_> = out
        .decisions()
        .into_iter()
        .filter(|d| d.account == prop)
        .map(|d| d.verdict.reason())
        .collect();
    assert_eq!(prop_verdicts, vec![Some(R::PropDailyLoss)]);

    // The next day starts from the broker's equity: within the limits again.
    let out = h.feed(EngineEvent::Timer(at(86_400_000)));
    assert_eq!(
        alerts(&out),
        vec!["prop-fx: within the prop-firm limits again".to_string()]
    );
    assert_eq!(h.engine.account_risk(prop).start_of_day_equity, d("95300"));
    assert_eq!(h.engine.prop_breach(prop), None);
    assert_eq!(h.engine.account_state(prop), TradingState::Active);
}

/// prop-fx on a live broker, holding `qty` EUR/USD (negative short) as
/// the book and the broker agree, 4.6 % down today on the broker's
/// equity: past the daily limit less the buffer. Then a forex BUY signal,
/// approved by the operator; returns prop-fx's verdict and the quantity
/// of the order it sent, if any.
fn breached_holding(qty: &str) -> (Harness, AccountId, Verdict, Option<rust_decimal::Decimal>) {
    let (mut h, prop) = live_prop("");
    let eur_usd = h.inst("EUR/USD");
    let side = if d(qty).is_sign_negative() {
        Side::Sell
    } else {
        Side::Buy
    };
    let key = PositionKey {
        account: prop,
        instrument: eur_usd,
        contract: 0,
    };
    let mut p = Position::new(key, h.venue("oanda"), at(-1000));
    p.apply(side, d(qty).abs(), d("1.0950"), d("0"), at(-1000));
    h.engine.restore(RestoredState {
        positions: vec![p],
        ..RestoredState::default()
    });
    let out = h.report(holding(prop, "95400", vec![(eur_usd, d(qty))], 10));
    assert_eq!(alerts(&out).len(), 1, "{:?}", alerts(&out));
    assert_eq!(
        h.engine.account_blocked(prop),
        None,
        "book and broker agree"
    );
    assert_eq!(h.engine.account_state(prop), TradingState::Reducing);
    assert_eq!(h.engine.risk_level(prop), RiskLevel::High);

    let (id, _) = h.forex_buy(4_000_000, |h, ms, px| h.fx_quote(ms, px));
    let t = h.engine.clock().millis() - common::T0;
    let out = h.cmd(Command::Approve(id), t);
    let verdict = out
        .decisions()
        .into_iter()
        .find(|d| d.account == prop)
        .map(|d| d.verdict.clone())
        .expect("a decision for prop-fx");
    let sent = out
        .submits()
        .into_iter()
        .find(|o| o.account == prop)
        .map(|o| {
            assert_eq!(o.side, Side::Buy);
            o.qty
        });
    (h, prop, verdict, sent)
}

#[test]
fn a_breached_prop_account_still_takes_the_order_that_shrinks_its_position() {
    // Short 20 000 EUR: a BUY of the size the signal gets (18 450) only
    // reduces it.
    let (h, prop, verdict, sent) = breached_holding("-20000");
    assert_eq!(verdict, Verdict::Approved);
    let qty = sent.expect("the reducing buy is sent");
    assert!(qty > d("0") && qty <= d("20000"), "{qty} shrinks the short");
    // Still REDUCING after it: the limit is not lifted by one order.
    assert_eq!(h.engine.account_state(prop), TradingState::Reducing);
    assert!(h.engine.prop_breach(prop).is_some());
}

#[test]
fn a_breached_prop_account_refuses_an_order_that_adds_to_its_position() {
    // Long 1 000 EUR: the same BUY adds to it, refused with the prop reason,
    // its numbers and why it is not reducing.
    let (_h, _prop, verdict, sent) = breached_holding("1000");
    match verdict {
        Verdict::Refused(r) => {
            assert_eq!(r.reason, R::PropDailyLoss);
            assert!(
                r.detail.starts_with("down 4600 today >= 4500"),
                "{}",
                r.detail
            );
            assert!(
                r.detail.contains("; the account is REDUCING: BUY "),
                "{}",
                r.detail
            );
            assert!(
                r.detail.ends_with("adds to the position of 1000"),
                "{}",
                r.detail
            );
        }
        v => panic!("prop-fx: {v:?}"),
    }
    assert_eq!(sent, None);
}

#[test]
fn a_trailing_drawdown_follows_the_highest_equity_the_broker_reported() {
    let (mut h, prop) = live_prop(
        "[risk.prop_firm]\ndaily_loss_pct = 50\nmax_drawdown_pct = 10\ndrawdown = \"trailing\"\nbuffer_pct = 0.5\n",
    );
    h.report(equity(prop, "104000", 10));
    assert_eq!(h.engine.account_risk(prop).peak_equity, d("104000"));
    // 9400 below the high: a static drawdown would be 5600 from the
    // starting balance; trailing, 9500 (9.5 % of 100000) is the line.
    let out = h.report(equity(prop, "94600", 20));
    assert!(alerts(&out).is_empty(), "{:?}", alerts(&out));
    let out = h.report(equity(prop, "94500", 30));
    let said = alerts(&out);
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(
        said[0].contains("drawdown 9500 from the highest equity >= 9500 (10% of the starting balance, 0.5% before the firm's)"),
        "{}",
        said[0]
    );
}

/// Static (the default): the drawdown is measured from the starting
/// balance, on the broker's equity, whatever highs came before, and a new
/// day does not lift it.
#[test]
fn a_static_drawdown_is_measured_from_the_starting_balance_on_the_brokers_equity() {
    const DAY_MS: i64 = 86_400_000;
    // The book's own equity stays 100000 here while the new day starts
    // from the broker's 106000: the account-wide daily loss limit is
    // lifted so that it does not answer first.
    let (mut h, prop) = live_prop(
        "[risk]\ndaily_loss_limit = 1000000\n[risk.prop_firm]\ndaily_loss_pct = 50\nmax_drawdown_pct = 10\ndrawdown = \"static\"\nbuffer_pct = 0.5\n",
    );
    // A high of 106000, carried into a new day: the engine knows it.
    let out = h.report(equity(prop, "106000", 10));
    assert!(alerts(&out).is_empty(), "{:?}", alerts(&out));
    h.feed(EngineEvent::Timer(at(DAY_MS)));
    assert_eq!(h.engine.account_risk(prop).peak_equity, d("106000"));
    // 96000: 10000 below the high (a trailing drawdown would be past its
    // 9500 line), 4000 below the starting balance: within.
    let out = h.report(equity(prop, "96000", DAY_MS + 10));
    assert!(alerts(&out).is_empty(), "{:?}", alerts(&out));
    assert_eq!(h.engine.account_state(prop), TradingState::Active);
    // 9400 below the starting balance: still within 10 % less 0.5 %.
    let out = h.report(equity(prop, "90600", DAY_MS + 20));
    assert!(alerts(&out).is_empty(), "{:?}", alerts(&out));
    // 9500 below it on the broker's figure: REDUCING; the book's own
    // equity has not moved.
    let out = h.report(equity(prop, "90500", DAY_MS + 30));
    assert_eq!(
        alerts(&out),
        vec!["prop-fx: REDUCING, only orders that reduce a position: drawdown 9500 from the starting balance >= 9500 (10% of the starting balance, 0.5% before the firm's) on equity 90500".to_string()]
    );
    assert_eq!(h.engine.equity(prop), d("100000"));
    assert_eq!(h.engine.account_state(prop), TradingState::Reducing);
    assert_eq!(h.engine.risk_level(prop), RiskLevel::High);

    // The gate reads the same figure: a new entry is refused.
    let (id, _) = h.forex_buy(DAY_MS + 4_000_000, |h, ms, px| h.fx_quote(ms, px));
    let t = h.engine.clock().millis() - common::T0;
    let out = h.cmd(Command::Approve(id), t);
    let prop_verdicts: Vec<_> = out
        .decisions()
        .into_iter()
        .filter(|d| d.account == prop)
        .map(|d| d.verdict.reason())
        .collect();
    assert_eq!(prop_verdicts, vec![Some(R::PropMaxDrawdown)]);

    // A new day starts the daily loss afresh, not the drawdown.
    let out = h.feed(EngineEvent::Timer(at(2 * DAY_MS)));
    assert!(alerts(&out).is_empty(), "{:?}", alerts(&out));
    assert_eq!(h.engine.account_risk(prop).start_of_day_equity, d("90500"));
    assert!(
        h.engine
            .prop_breach(prop)
            .is_some_and(|why| why.starts_with("drawdown 9500 from the starting balance")),
        "{:?}",
        h.engine.prop_breach(prop)
    );
    assert_eq!(h.engine.account_state(prop), TradingState::Reducing);
}

#[test]
fn the_risk_pane_shows_the_brokers_margin_and_why_the_account_is_reducing() {
    let (mut h, prop) = live_prop("");
    h.report(ExecutionReport::VenueState {
        account: prop,
        open_orders: 0,
        positions: Vec::new(),
        unreachable: None,
        cash: None,
        cash_paid_for_positions: true,
        other_positions: 0,
        funds: VenueFunds {
            equity: Some(d("95400")),
            margin_used: Some(d("1250.5")),
            margin_available: Some(d("94149.5")),
        },
        ts: at(10),
    });
    let mut app = screen::app_at(&h.engine, 200, 50);
    // At 200×50 the pane shows the margin gauge and the reason's start.
    let (lines, _) = screen::render(&app, 200, 50);
    let s = screen::screen(&lines);
    for text in [
        "margin used          1%",
        "prop-fx REDUCING: down 4600 today",
    ] {
        assert!(s.contains(text), "{text} not on screen:\n{s}");
    }
    // Zoomed (z), the whole reason and the broker's margin figures.
    while app.focus != omni_tui::app::Pane::Risk {
        screen::press(&mut app, crossterm::event::KeyCode::Char('f'));
    }
    screen::press(&mut app, crossterm::event::KeyCode::Char('z'));
    let (lines, _) = screen::render(&app, 200, 50);
    let s = screen::screen(&lines);
    for text in [
        "prop-fx margin 1250.50 used, 94149.50 available USD",
        "prop-fx REDUCING: down 4600 today >= 4500 (5% of start-of-day equity, 0.5% before the firm's) on equity 95400",
    ] {
        assert!(s.contains(text), "{text} not on screen:\n{s}");
    }
}
