//! Every refusal reason of the risk gate, each produced through the engine
//! by a scripted sequence, with the decision recorded.

mod common;

use common::{Harness, Out, T0, at, d};
use omni_core::domain::{
    AccountId, BinaryContract, Direction, OpportunityId, OpportunityKind, OrderId, Side, Timestamp,
    time::DAY,
};
use omni_core::engine::{Audit, Command, RestoredState};
use omni_core::execution::ExecutionReport;
use omni_core::portfolio::{Position, PositionKey};
use omni_core::risk::{AccountRisk, RefusalReason as R};
use rust_decimal::Decimal;
use std::collections::BTreeSet;

fn now_ms(h: &Harness) -> i64 {
    h.engine.clock().millis() - T0
}

/// A forex BUY on EUR/USD, approved at once; the refusals of margin-fx and
/// prop-fx (in that order).
fn forex_refusals(
    h: &mut Harness,
    end_ms: i64,
    quote: impl FnMut(&mut Harness, i64, Decimal) -> Out,
) -> Vec<R> {
    let (id, _) = h.forex_buy(end_ms, quote);
    let t = now_ms(h);
    h.cmd(Command::Approve(id), t).refusals()
}

fn fresh(h: &mut Harness, ms: i64, px: Decimal) -> Out {
    h.fx_quote(ms, px)
}

/// Trends EUR/USD until a binary prediction is pending; returns its id.
fn binary_opp(h: &mut Harness, from_ms: i64) -> OpportunityId {
    for chunk in 0..20 {
        h.fx_trend(from_ms + chunk * 10_000, 10, "0.00001");
        if let Some(o) = h
            .engine
            .opportunities()
            .iter()
            .find(|o| o.kind() == OpportunityKind::Binary)
        {
            return o.id;
        }
    }
    panic!("no binary prediction");
}

/// Approves a binary prediction; settles the stake as a loss. Returns the
/// approval's output.
fn lose_a_binary(h: &mut Harness, id: OpportunityId) -> Out {
    let t = now_ms(h);
    let out = h.cmd(Command::Approve(id), t);
    let order = out
        .submits()
        .first()
        .map(|o| (*o).clone())
        .expect("a binary order");
    let terms = order.binary.expect("contract");
    h.report(ExecutionReport::Filled {
        order_id: order.id,
        trade_id: format!("B{}", order.id.0),
        qty: order.qty,
        price: Decimal::ONE,
        fee: Decimal::ZERO,
        ts: at(t + 30),
        contract: Some(BinaryContract { ..terms }),
    });
    let settled = h.report(ExecutionReport::BinarySettled {
        order_id: order.id,
        price: Decimal::ZERO,
        settle_price: terms.strike,
        ts: at(t + 60_030),
    });
    assert!(
        settled
            .audits
            .iter()
            .any(|a| matches!(a, Audit::TradeClosed(t) if t.pnl < Decimal::ZERO))
    );
    out
}

fn restore_account(h: &mut Harness, name: &str, cash: &str, sod: &str) {
    let id = h.account(name);
    let day = Timestamp::from_millis(T0).day_index();
    let mut risk = AccountRisk::new(day, d(sod));
    risk.peak_equity = d(sod);
    h.engine.restore(RestoredState {
        accounts: vec![(id, d(cash), risk)],
        ..RestoredState::default()
    });
}

#[test]
fn halted() {
    let mut h = Harness::new("");
    let (id, _) = h.forex_buy(0, fresh);
    let t = now_ms(&h);
    h.cmd(Command::KillSwitch, t);
    assert_eq!(
        h.cmd(Command::Approve(id), t + 1).refusals(),
        vec![R::Halted, R::Halted]
    );
}

#[test]
fn reducing() {
    let mut h = Harness::new("");
    let (id, _) = h.forex_buy(0, fresh);
    let t = now_ms(&h);
    h.cmd(Command::Pause, t);
    assert_eq!(
        h.cmd(Command::Approve(id), t + 1).refusals(),
        vec![R::Reducing, R::Reducing]
    );
}

#[test]
fn neutral_direction() {
    // A flat market gives an even forecast: no view. Listed only because this
    // config allows probabilities of 0.5; the gate still refuses it.
    let mut h = Harness::new("[scanners.binary]\nmin_probability = 0.5\n");
    for s in 0..45 {
        h.fx_quote(s * 1000, d("1.10000"));
    }
    let o = h
        .engine
        .opportunities()
        .iter()
        .find(|o| o.kind() == OpportunityKind::Binary)
        .expect("a neutral prediction")
        .clone();
    assert_eq!(o.direction(), Direction::Neutral);
    assert_eq!(
        h.cmd(Command::Approve(o.id), 45_000).refusals(),
        vec![R::NeutralDirection]
    );
}

#[test]
fn low_confidence() {
    let mut h = Harness::new("[risk.signal.forex]\nmin_confidence = 0.99\n");
    assert_eq!(
        forex_refusals(&mut h, 0, fresh),
        vec![R::LowConfidence, R::LowConfidence]
    );
}

#[test]
fn min_interval() {
    let mut h = Harness::new("");
    let first = binary_opp(&mut h, 0);
    let t = now_ms(&h);
    assert_eq!(h.cmd(Command::Approve(first), t).approvals(), 1);
    let second = binary_opp(&mut h, t + 1000);
    let t = now_ms(&h);
    assert_eq!(
        h.cmd(Command::Approve(second), t).refusals(),
        vec![R::MinInterval]
    );
}

#[test]
fn outside_trading_hours() {
    let mut h = Harness::new("");
    // Saturday 2025-03-08 07:00 UTC: the forex week is closed.
    let saturday = 4 * DAY / 1_000_000;
    assert_eq!(
        forex_refusals(&mut h, saturday, fresh),
        vec![R::OutsideTradingHours, R::OutsideTradingHours]
    );
}

#[test]
fn daily_trade_limit() {
    let mut h = Harness::new(
        "[risk]\ndaily_trade_limit = 1\n[risk.signal.binary]\nmin_interval_secs = 0\n",
    );
    let first = binary_opp(&mut h, 0);
    let t = now_ms(&h);
    assert_eq!(h.cmd(Command::Approve(first), t).approvals(), 1);
    let second = binary_opp(&mut h, t + 1000);
    let t = now_ms(&h);
    assert_eq!(
        h.cmd(Command::Approve(second), t).refusals(),
        vec![R::DailyTradeLimit]
    );
}

#[test]
fn daily_loss_limit() {
    let mut h = Harness::new(
        "[risk]\ndaily_loss_limit = 1\nloss_streak_limit = 0\n[risk.signal.binary]\nmin_interval_secs = 0\n",
    );
    let first = binary_opp(&mut h, 0);
    lose_a_binary(&mut h, first);
    let t = now_ms(&h);
    let second = binary_opp(&mut h, t + 1000);
    let t = now_ms(&h);
    assert_eq!(
        h.cmd(Command::Approve(second), t).refusals(),
        vec![R::DailyLossLimit]
    );
}

#[test]
fn loss_streak_cooldown() {
    let mut h = Harness::new(
        "[risk]\nloss_streak_limit = 1\n[risk.signal.binary]\nmin_interval_secs = 0\n",
    );
    let first = binary_opp(&mut h, 0);
    lose_a_binary(&mut h, first);
    let binary = h.account("binary");
    assert!(h.engine.account_risk(binary).in_cooldown(h.engine.clock()));
    let t = now_ms(&h);
    let second = binary_opp(&mut h, t + 1000);
    let t = now_ms(&h);
    assert_eq!(
        h.cmd(Command::Approve(second), t).refusals(),
        vec![R::LossStreakCooldown]
    );
}

#[test]
fn max_position() {
    let mut h = Harness::new("");
    let margin = h.account("margin-fx");
    let eur = h.inst("EUR/USD");
    // margin-fx already holds 2 300 EUR (≈ 2 520 USD, over 25 % of 10 000).
    let key = PositionKey {
        account: margin,
        instrument: eur,
        contract: 0,
    };
    let mut p = Position::new(key, h.venue("oanda"), at(-1000));
    p.apply(Side::Buy, d("2300"), d("1.0950"), Decimal::ZERO, at(-1000));
    h.engine.restore(RestoredState {
        positions: vec![p],
        ..RestoredState::default()
    });
    assert_eq!(forex_refusals(&mut h, 0, fresh), vec![R::MaxPosition]);
}

#[test]
fn max_order_notional() {
    let mut h = Harness::new("[risk]\nmax_order_notional = 0.5\n");
    assert_eq!(
        forex_refusals(&mut h, 0, fresh),
        vec![R::MaxOrderNotional, R::MaxOrderNotional]
    );
}

#[test]
fn price_collar() {
    let mut h = Harness::new("");
    let away = |h: &mut Harness, ms: i64, px: Decimal| h.fx_quote(ms, px * d("1.01"));
    assert_eq!(
        forex_refusals(&mut h, 0, away),
        vec![R::PriceCollar, R::PriceCollar]
    );
}

#[test]
fn reference_collar() {
    let mut h = Harness::new("");
    // The ask is where the quote says, but 4 % above the mid the market
    // trades around: the order is within the quote's collar, not the
    // reference's (3 %).
    let wide = |h: &mut Harness, ms: i64, px: Decimal| {
        let bid = (px * d("0.92")).to_string();
        h.quote("oanda", "EUR/USD", &bid, &px.to_string(), "1000000", ms)
    };
    let (id, _) = h.forex_buy(0, wide);
    let t = now_ms(&h);
    let out = h.cmd(Command::Approve(id), t);
    assert_eq!(out.refusals(), vec![R::ReferenceCollar, R::ReferenceCollar]);
    let detail = match &out.decisions()[0].verdict {
        omni_core::risk::Verdict::Refused(r) => r.detail.clone(),
        v => panic!("{v:?}"),
    };
    assert!(detail.contains("from the reference"), "{detail}");
}

#[test]
fn no_reference() {
    // The quote is fresh enough to trade on (2 s < 3 s), but older than
    // any mid the reference may use (1 s): nothing independent to check it.
    let mut h = Harness::new("[quarantine]\nreference_max_age_secs = 1\n");
    let aged = |h: &mut Harness, ms: i64, px: Decimal| h.fx_quote(ms - 2_000, px);
    assert_eq!(
        forex_refusals(&mut h, 0, aged),
        vec![R::NoReference, R::NoReference]
    );
}

#[test]
fn no_quote() {
    let mut h = Harness::new("");
    let none = |_: &mut Harness, _: i64, _: Decimal| Out::default();
    assert_eq!(
        forex_refusals(&mut h, 0, none),
        vec![R::NoQuote, R::NoQuote]
    );
}

#[test]
fn stale_quote() {
    let mut h = Harness::new("");
    let old = |h: &mut Harness, ms: i64, px: Decimal| h.fx_quote(ms - 10_000, px);
    assert_eq!(
        forex_refusals(&mut h, 0, old),
        vec![R::StaleQuote, R::StaleQuote]
    );
}

#[test]
fn prop_daily_loss() {
    let mut h = Harness::new("[risk]\ndaily_loss_limit = 1000000\n");
    restore_account(&mut h, "prop-fx", "94000", "100000");
    assert_eq!(forex_refusals(&mut h, 0, fresh), vec![R::PropDailyLoss]);
}

#[test]
fn prop_max_drawdown() {
    let mut h = Harness::new("");
    restore_account(&mut h, "prop-fx", "89000", "89000");
    assert_eq!(forex_refusals(&mut h, 0, fresh), vec![R::PropMaxDrawdown]);
}

/// A prop-firm limit reached makes the account REDUCING, not closed: with
/// either limit past its line, prop-fx short 20 000 EUR takes the BUY
/// that shrinks the short (the same BUY is refused above, where it opens
/// a position), and the account reads REDUCING while the engine is ACTIVE.
#[test]
fn prop_limits_let_through_the_order_that_shrinks_the_position() {
    for (limit, cash, sod) in [
        (R::PropDailyLoss, "94000", "100000"),
        (R::PropMaxDrawdown, "89000", "89000"),
    ] {
        let mut h = Harness::new("[risk]\ndaily_loss_limit = 1000000\n");
        let prop = h.account("prop-fx");
        let key = PositionKey {
            account: prop,
            instrument: h.inst("EUR/USD"),
            contract: 0,
        };
        let mut short = Position::new(key, h.venue("oanda"), at(-1000));
        short.apply(Side::Sell, d("20000"), d("1.0950"), d("0"), at(-1000));
        let day = Timestamp::from_millis(T0).day_index();
        let mut risk = AccountRisk::new(day, d(sod));
        risk.peak_equity = d(sod);
        h.engine.restore(RestoredState {
            accounts: vec![(prop, d(cash), risk)],
            positions: vec![short],
            ..RestoredState::default()
        });
        let (id, _) = h.forex_buy(0, fresh);
        assert_eq!(
            h.engine.account_state(prop),
            omni_core::risk::TradingState::Reducing,
            "{limit:?}"
        );
        let t = now_ms(&h);
        let out = h.cmd(Command::Approve(id), t);
        assert_eq!(out.refusals(), Vec::<R>::new(), "{limit:?}");
        let buy = out
            .submits()
            .into_iter()
            .find(|o| o.account == prop)
            .map(|o| (o.side, o.qty <= d("20000")));
        assert_eq!(buy, Some((Side::Buy, true)), "{limit:?}");
        assert_eq!(
            h.engine.trading_state(),
            omni_core::risk::TradingState::Active
        );
    }
}

#[test]
fn size_too_small() {
    let mut h = Harness::new("");
    // 2 % of 20 is a 0.40 stake, under the 1.00 minimum.
    restore_account(&mut h, "binary", "20", "20");
    let id = binary_opp(&mut h, 0);
    let t = now_ms(&h);
    assert_eq!(
        h.cmd(Command::Approve(id), t).refusals(),
        vec![R::SizeTooSmall]
    );
}

#[test]
fn order_rate_limit() {
    let mut h = Harness::new(
        "[risk]\nmax_orders_per_minute = 1\n[risk.signal.binary]\nmin_interval_secs = 0\n",
    );
    let first = binary_opp(&mut h, 0);
    let t = now_ms(&h);
    assert_eq!(h.cmd(Command::Approve(first), t).approvals(), 1);
    let second = binary_opp(&mut h, t + 1000);
    let t = now_ms(&h);
    assert_eq!(
        h.cmd(Command::Approve(second), t).refusals(),
        vec![R::OrderRateLimit]
    );
}

#[test]
fn unreconciled() {
    // spot-a on a live venue that has not reported yet: a missing report
    // is not flat, so nothing new goes.
    let mut loaded = common::load("");
    let spot_a = loaded.catalog.account_by_name("spot-a").expect("spot-a");
    loaded.catalog.accounts[spot_a.index()].broker = omni_core::domain::BrokerKind::Binance;
    let engine = omni_core::engine::Engine::new(&loaded.config.engine(), &loaded.catalog);
    let mut h = Harness { engine, loaded };
    h.quote("binance", "BTC/USDT", "100000.00", "100000.10", "1.0", 0);
    let id = h
        .quote("kraken", "BTC/USDT", "100800.00", "100800.50", "0.5", 0)
        .opened()[0];
    let out = h.cmd(Command::Approve(id), 10);
    let d = out
        .decisions()
        .into_iter()
        .find(|d| d.account == spot_a)
        .expect("spot-a decided")
        .clone();
    match d.verdict {
        omni_core::risk::Verdict::Refused(r) => {
            assert_eq!(r.reason, R::Unreconciled);
            assert!(r.detail.contains("waiting for the venue"), "{}", r.detail);
        }
        v => panic!("{v:?}"),
    }
}

#[test]
fn insufficient_margin() {
    // margin-fx on a live broker that reports 10 USD of margin available:
    // at 30:1 the forex order needs more.
    let mut loaded = common::load("");
    let fx = loaded
        .catalog
        .account_by_name("margin-fx")
        .expect("margin-fx");
    loaded.catalog.accounts[fx.index()].broker = omni_core::domain::BrokerKind::Alpaca;
    let engine = omni_core::engine::Engine::new(&loaded.config.engine(), &loaded.catalog);
    let mut h = Harness { engine, loaded };
    h.report(ExecutionReport::VenueState {
        account: fx,
        open_orders: 0,
        positions: Vec::new(),
        unreachable: None,
        cash: None,
        cash_paid_for_positions: true,
        other_positions: 0,
        funds: omni_core::execution::VenueFunds {
            equity: Some(d("10000")),
            margin_used: Some(d("9990")),
            margin_available: Some(d("10")),
        },
        ts: at(0),
    });
    let (id, _) = h.forex_buy(4_000_000, fresh);
    let t = now_ms(&h);
    let out = h.cmd(Command::Approve(id), t);
    let refused: Vec<_> = out
        .decisions()
        .into_iter()
        .filter(|d| d.account == fx)
        .map(|d| d.verdict.clone())
        .collect();
    match &refused[..] {
        [omni_core::risk::Verdict::Refused(r)] => {
            assert_eq!(r.reason, R::InsufficientMargin);
            assert!(
                r.detail.contains("at 30:1") && r.detail.contains("broker reports 10 available"),
                "{}",
                r.detail
            );
        }
        v => panic!("{v:?}"),
    }
}

#[test]
fn the_cases_above_cover_every_reason() {
    // Keep this list in step with the tests above: a new reason needs a test.
    let covered: BTreeSet<R> = [
        R::Halted,
        R::Reducing,
        R::NeutralDirection,
        R::LowConfidence,
        R::MinInterval,
        R::OutsideTradingHours,
        R::DailyTradeLimit,
        R::DailyLossLimit,
        R::LossStreakCooldown,
        R::MaxPosition,
        R::MaxOrderNotional,
        R::PriceCollar,
        R::ReferenceCollar,
        R::NoReference,
        R::NoQuote,
        R::StaleQuote,
        R::PropDailyLoss,
        R::PropMaxDrawdown,
        R::SizeTooSmall,
        R::OrderRateLimit,
        R::Unreconciled,
        R::InsufficientMargin,
    ]
    .into();
    let all: BTreeSet<R> = R::ALL.iter().copied().collect();
    assert_eq!(covered, all);
}

#[test]
fn a_refusal_is_recorded_with_its_reason_and_numbers() {
    let mut h = Harness::new("[risk]\nmax_order_notional = 0.5\n");
    let (id, _) = h.forex_buy(0, fresh);
    let t = now_ms(&h);
    let out = h.cmd(Command::Approve(id), t);
    let d0 = out.decisions()[0].clone();
    match &d0.verdict {
        omni_core::risk::Verdict::Refused(r) => {
            assert_eq!(r.reason, R::MaxOrderNotional);
            assert!(r.detail.contains("0.5"), "{}", r.detail);
        }
        v => panic!("{v:?}"),
    }
    assert_eq!(d0.account, AccountId(2));
    let _ = OrderId(0);
}

#[test]
fn every_rule_of_the_table_can_refuse_and_every_reason_has_a_rule() {
    // The gate is its rule table: each rule is named, and the reasons the
    // rules above produced are exactly the enum's, with names that parse back.
    use omni_core::risk::rules::RULES;
    assert_eq!(
        RULES.len(),
        16,
        "{:?}",
        RULES.iter().map(|r| r.name).collect::<Vec<_>>()
    );
    for r in R::ALL {
        assert_eq!(R::parse(r.as_str()), Some(*r));
    }
}
