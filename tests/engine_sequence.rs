//! Engine sequence tests: scripted events in, the exact decisions and order
//! requests out. No sockets, no sleeps, no randomness.

mod common;

use common::{Harness, at, d};
use omni_core::domain::{
    ExitReason, OpportunityDetail, OrderId, OrderPurpose, OrderStatus, OrderType, Side, TimeInForce,
};
use omni_core::engine::{Audit, Command};
use omni_core::execution::{ExecutionReport, ExecutionRequest};
use omni_core::risk::{RefusalReason, TradingState, Verdict};

fn fill(id: u64, qty: &str, price: &str, fee: &str, ms: i64) -> ExecutionReport {
    ExecutionReport::Filled {
        order_id: OrderId(id),
        trade_id: format!("T{id}-{ms}"),
        qty: d(qty),
        price: d(price),
        fee: d(fee),
        ts: at(ms),
        contract: None,
    }
}

/// A BTC dislocation: kraken's bid 0.8 % over binance's ask.
fn dislocation(h: &mut Harness, ms: i64) -> common::Out {
    let mut out = h.quote("binance", "BTC/USDT", "100000.00", "100000.10", "1.0", ms);
    out.extend(h.quote("kraken", "BTC/USDT", "100800.00", "100800.50", "0.5", ms));
    out
}

#[test]
fn arbitrage_from_quotes_to_orders_to_a_closed_trade() {
    let mut h = Harness::new("");
    let out = dislocation(&mut h, 0);
    let opened: Vec<_> = out
        .audits
        .iter()
        .filter_map(|a| match a {
            Audit::OpportunityOpened(o) => Some(o.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(opened.len(), 1, "{out:?}");
    let opp = &opened[0];
    let OpportunityDetail::Arbitrage(a) = &opp.detail else {
        panic!("not arbitrage");
    };
    assert_eq!(
        (a.buy_venue, a.sell_venue),
        (h.venue("binance"), h.venue("kraken"))
    );
    assert_eq!(a.qty, d("0.5"));
    // fees: 50000.05 × 0.075 % + 50400 × 0.16 % = 37.5000375 + 80.64
    assert_eq!(a.fees, d("118.1400375"));
    assert_eq!(a.net_profit, d("281.8099625"));
    assert_eq!(a.net_pct, d("0.5636"));
    assert_eq!(a.risk_score, 0);
    assert!(out.requests.is_empty(), "manual mode sends nothing");

    let out = h.cmd(Command::Approve(opp.id), 100);
    let decisions = out.decisions();
    assert_eq!(decisions.len(), 2);
    assert_eq!(decisions[0].account, h.account("spot-a"));
    assert_eq!(decisions[1].account, h.account("spot-b"));
    assert!(decisions.iter().all(|x| x.verdict == Verdict::Approved));
    // spot-a: 10 % of 20 000 (balanced, full confidence) = 2 000, spot-b:
    // 5 % of 50 000 (conservative) = 2 500, each × 0.75 (no win/loss history
    // yet), / 100 000.10, on the 0.00001 lot.
    assert_eq!(decisions[0].qty, d("0.01499"));
    assert_eq!(decisions[1].qty, d("0.01874"));
    let submits = out.submits();
    assert_eq!(submits.len(), 4);
    let expect = [
        (1, "spot-a", "binance", Side::Buy, "0.01499", "100200.07"),
        (2, "spot-a", "kraken", Side::Sell, "0.01499", "100600.03"),
        (3, "spot-b", "binance", Side::Buy, "0.01874", "100200.07"),
        (4, "spot-b", "kraken", Side::Sell, "0.01874", "100600.03"),
    ];
    for (o, (id, acct, venue, side, qty, limit)) in submits.iter().zip(expect) {
        assert_eq!(o.id, OrderId(id));
        assert_eq!(o.account, h.account(acct));
        assert_eq!(o.venue, h.venue(venue));
        assert_eq!(o.side, side);
        assert_eq!(o.order_type, OrderType::Limit);
        assert_eq!(o.tif, TimeInForce::Ioc);
        assert_eq!(o.qty, d(qty));
        // Limits give up a quarter of the 799.90 spread each: 199.975.
        assert_eq!(o.limit_price, Some(d(limit)));
        assert_eq!(o.purpose, OrderPurpose::ArbitrageLeg);
        assert_eq!(o.status, OrderStatus::Pending);
    }

    h.report(ExecutionReport::Accepted {
        order_id: OrderId(1),
        ts: at(150),
    });
    let out = h.report(fill(1, "0.01499", "100000.10", "1.12425075", 150));
    assert!(
        out.audits
            .iter()
            .any(|a| matches!(a, Audit::PositionChanged(p) if p.qty == d("0.01499")))
    );
    h.report(ExecutionReport::Accepted {
        order_id: OrderId(2),
        ts: at(190),
    });
    let out = h.report(fill(2, "0.01499", "100800", "2.4175872", 190));
    let trade = out
        .audits
        .iter()
        .find_map(|a| match a {
            Audit::TradeClosed(t) => Some(t.clone()),
            _ => None,
        })
        .expect("the sell leg closes the round trip");
    // (100 800 − 100 000.10) × 0.01499 − both fees
    assert_eq!(trade.pnl, d("11.990501") - d("1.12425075") - d("2.4175872"));
    assert_eq!(trade.reason, ExitReason::Arbitrage);
    let spot_a = h.account("spot-a");
    assert_eq!(h.engine.equity(spot_a), d("20000") + trade.pnl);
    assert_eq!(h.engine.portfolio().of_account(spot_a).count(), 0);
}

#[test]
fn kill_switch_cancels_flattens_latches_and_rearms() {
    let mut h = Harness::new("");
    let out = dislocation(&mut h, 0);
    let id = out.opened()[0];
    h.cmd(Command::Approve(id), 100);
    // spot-a's buy leg fills; its sell leg and both spot-b legs are still working.
    h.report(ExecutionReport::Accepted {
        order_id: OrderId(1),
        ts: at(150),
    });
    h.report(fill(1, "0.01499", "100000.10", "0", 150));
    assert_eq!(h.engine.working_orders().len(), 3);

    let out = h.cmd(Command::KillSwitch, 160);
    assert_eq!(h.engine.trading_state(), TradingState::Halted);
    assert!(h.engine.kill_latched());
    assert!(out.audits.iter().any(|a| matches!(
        a,
        Audit::TradingStateChanged {
            from: TradingState::Active,
            to: TradingState::Halted,
            kill_latched: true,
            ..
        }
    )));
    let cancels: Vec<u64> = out
        .requests
        .iter()
        .filter_map(|r| match r {
            ExecutionRequest::Cancel { order_id, .. } => Some(order_id.0),
            _ => None,
        })
        .collect();
    assert_eq!(cancels, vec![2, 3, 4]);
    let flatten = out.submits();
    assert_eq!(flatten.len(), 1);
    let f = flatten[0];
    assert_eq!(
        (f.id, f.account, f.side, f.qty),
        (OrderId(5), h.account("spot-a"), Side::Sell, d("0.01499"))
    );
    assert_eq!(
        (f.order_type, f.purpose),
        (OrderType::Market, OrderPurpose::Flatten)
    );
    assert_eq!(f.venue, h.venue("binance"));

    // Nothing new is approved while halted.
    let out = dislocation(&mut h, 200);
    if let Some(id) = out.opened().first() {
        let out = h.cmd(Command::Approve(*id), 210);
        assert_eq!(
            out.refusals(),
            vec![RefusalReason::Halted, RefusalReason::Halted]
        );
        assert!(out.submits().is_empty());
    }
    // Resume cannot undo a kill.
    h.cmd(Command::Resume, 220);
    assert_eq!(h.engine.trading_state(), TradingState::Halted);

    // Orders 2 and 4 are cancelled; order 3 (spot-b's buy) filled before the cancel landed.
    for id in [2, 4] {
        h.report(ExecutionReport::Cancelled {
            order_id: OrderId(id),
            ts: at(250),
            reason: "cancelled".into(),
        });
    }
    let out = h.report(fill(3, "0.01874", "100000.10", "0", 250));
    let late = out.submits();
    assert_eq!(late.len(), 1, "a late fill is flattened at once");
    assert_eq!(
        (late[0].account, late[0].side, late[0].qty),
        (h.account("spot-b"), Side::Sell, d("0.01874"))
    );
    assert!(h.engine.kill_progress().iter().any(|p| !p.is_flat()));

    h.report(fill(5, "0.01499", "99990", "0", 300));
    h.report(fill(late[0].id.0, "0.01874", "99990", "0", 300));
    assert!(
        h.engine.kill_progress().iter().all(|p| p.is_flat()),
        "{:?}",
        h.engine.kill_progress()
    );
    assert_eq!(h.engine.portfolio().open_count(), 0);

    // The operator had the auto policy on when the kill switch fired.
    h.cmd(
        Command::SetApprovalMode(omni_core::approval::config::ApprovalMode::Auto),
        399,
    );
    let out = h.cmd(Command::Rearm, 400);
    assert_eq!(h.engine.trading_state(), TradingState::Active);
    assert!(!h.engine.kill_latched());
    // A re-arm starts in MANUAL whatever the mode before the kill.
    assert_eq!(
        h.engine.approval_mode(),
        omni_core::approval::config::ApprovalMode::Manual
    );
    assert!(out.audits.iter().any(|a| matches!(
        a,
        Audit::Command {
            command: Command::Rearm,
            ..
        }
    )));
}

#[test]
fn pause_is_reducing_and_resume_reactivates() {
    let mut h = Harness::new("");
    let (id, _) = h.forex_buy(0, |h, ms, px| h.fx_quote(ms, px));
    let now = h.engine.clock().millis() - common::T0;
    h.cmd(Command::Pause, now);
    assert_eq!(h.engine.trading_state(), TradingState::Reducing);
    let out = h.cmd(Command::Approve(id), now + 1);
    assert_eq!(
        out.refusals(),
        vec![RefusalReason::Reducing, RefusalReason::Reducing]
    );
    h.cmd(Command::Resume, now + 2);
    assert_eq!(h.engine.trading_state(), TradingState::Active);
}

#[test]
fn forex_entry_carries_stops_and_the_stop_loss_exits() {
    let mut h = Harness::new("");
    let (id, out) = h.forex_buy(0, |h, ms, px| h.fx_quote(ms, px));
    let OpportunityDetail::Forex(f) = out
        .audits
        .iter()
        .find_map(|a| match a {
            Audit::OpportunityOpened(o) if o.id == id => Some(o.detail.clone()),
            _ => None,
        })
        .expect("opened")
    else {
        panic!("not forex");
    };
    let now = h.engine.clock().millis() - common::T0;
    let out = h.cmd(Command::Approve(id), now);
    assert_eq!(out.approvals(), 2);
    let entries = out.submits();
    assert_eq!(entries.len(), 2);
    let e = entries[0].clone();
    assert_eq!((e.side, e.order_type), (Side::Buy, OrderType::Market));
    assert_eq!(
        (e.stop_loss, e.take_profit),
        (Some(f.stop_loss), Some(f.take_profit))
    );
    h.report(fill(
        e.id.0,
        &e.qty.to_string(),
        &f.entry.to_string(),
        "0",
        now + 30,
    ));
    // The bid falls through the stop: one market sell of the whole position.
    let below = f.stop_loss - d("0.0001");
    let out = h.fx_quote(now + 1000, below);
    let exits = out.submits();
    assert_eq!(exits.len(), 1);
    assert_eq!(
        (exits[0].side, exits[0].qty, exits[0].purpose),
        (Side::Sell, e.qty, OrderPurpose::Exit)
    );
    assert_eq!(exits[0].exit_reason, Some(ExitReason::StopLoss));
    // No second exit while the first is in flight.
    assert!(h.fx_quote(now + 1100, below).submits().is_empty());
    let out = h.report(fill(
        exits[0].id.0,
        &e.qty.to_string(),
        &(below - d("0.00004")).to_string(),
        "0",
        now + 1130,
    ));
    let t = out
        .audits
        .iter()
        .find_map(|a| match a {
            Audit::TradeClosed(t) => Some(t.clone()),
            _ => None,
        })
        .expect("closed");
    assert_eq!(t.reason, ExitReason::StopLoss);
    assert!(t.pnl < d("0"));
}

#[test]
fn a_live_account_is_flat_only_when_its_venue_says_so_after_the_last_trade() {
    let mut loaded = common::load("");
    let spot_a = loaded.catalog.account_by_name("spot-a").expect("spot-a");
    loaded.catalog.accounts[spot_a.index()].broker = omni_core::domain::BrokerKind::Binance;
    let engine = omni_core::engine::Engine::new(&loaded.config.engine(), &loaded.catalog);
    let mut h = Harness { engine, loaded };
    let h_btc = h.inst("BTC/USDT");
    let venue_state = |open_orders, positions: usize, unreachable: Option<&str>, ms| {
        ExecutionReport::VenueState {
            account: spot_a,
            open_orders,
            positions: vec![(h_btc, d("0.1")); positions],
            unreachable: unreachable.map(str::to_string),
            cash: None,
            cash_paid_for_positions: true,
            other_positions: 0,
            funds: Default::default(),
            ts: at(ms),
        }
    };
    let progress = |h: &Harness| {
        h.engine
            .kill_progress()
            .into_iter()
            .find(|p| p.account == spot_a)
            .expect("spot-a")
    };

    // A venue report from before the kill switch says nothing about after.
    h.report(venue_state(0, 0, None, 50));
    let out = h.cmd(Command::KillSwitch, 100);
    // Only the live account's venue is asked to cancel everything,
    // including orders this engine never knew.
    let all: Vec<_> = out
        .requests
        .iter()
        .filter_map(|r| match r {
            ExecutionRequest::CancelAll { account } => Some(*account),
            _ => None,
        })
        .collect();
    assert_eq!(all, vec![spot_a]);
    let p = progress(&h);
    assert!(p.live && p.venue.is_none() && !p.is_flat(), "{p:?}");
    // Paper accounts with an empty book are flat on the engine's word.
    let paper = h.account("spot-b");
    assert!(
        h.engine
            .kill_progress()
            .iter()
            .any(|p| p.account == paper && !p.live && p.is_flat())
    );

    // The venue cannot be asked: never flat.
    h.report(venue_state(
        0,
        0,
        Some("binance unreachable: connection refused"),
        200,
    ));
    assert!(!progress(&h).is_flat());
    // The venue still holds an order we never placed: not flat.
    h.report(venue_state(1, 0, None, 300));
    assert!(!progress(&h).is_flat());
    // The venue says flat: flat.
    h.report(venue_state(0, 0, None, 400));
    assert!(progress(&h).is_flat(), "{:?}", progress(&h));
}

#[test]
fn a_run_restored_with_the_kill_switch_latched_sends_its_cancels_again() {
    // The last run latched K, then died before its cancels reached the
    // venue: the store holds the latch and a live order still working.
    let live_harness = || {
        let mut loaded = common::load("");
        let spot_a = loaded.catalog.account_by_name("spot-a").expect("spot-a");
        loaded.catalog.accounts[spot_a.index()].broker = omni_core::domain::BrokerKind::Binance;
        let engine = omni_core::engine::Engine::new(&loaded.config.engine(), &loaded.catalog);
        (Harness { engine, loaded }, spot_a)
    };
    let flat_venue = |spot_a, ms| ExecutionReport::VenueState {
        account: spot_a,
        open_orders: 0,
        positions: Vec::new(),
        unreachable: None,
        cash: None,
        cash_paid_for_positions: true,
        other_positions: 0,
        funds: Default::default(),
        ts: at(ms),
    };
    let (mut first, spot_a) = live_harness();
    // The venue agrees with the empty book, so the account may trade.
    first.report(flat_venue(spot_a, 0));
    let out = dislocation(&mut first, 0);
    first.cmd(Command::Approve(out.opened()[0]), 100);
    let working: Vec<_> = first.engine.working_orders().values().cloned().collect();
    let live_orders: Vec<OrderId> = working
        .iter()
        .filter(|o| o.account == spot_a)
        .map(|o| o.id)
        .collect();
    assert!(!live_orders.is_empty());

    let (mut h, _) = live_harness();
    h.engine.restore(omni_core::engine::RestoredState {
        trading_state: Some(TradingState::Halted),
        kill_latched: true,
        working,
        next_order_id: 100,
        ..Default::default()
    });
    let out = h.quote(
        "binance",
        "BTC/USDT",
        "100000.00",
        "100000.10",
        "1.0",
        1_000,
    );
    for id in &live_orders {
        assert!(
            out.requests.iter().any(|r| matches!(
                r,
                ExecutionRequest::Cancel { order_id, .. } if order_id == id
            )),
            "restored order {id:?} is cancelled: {:?}",
            out.requests
        );
    }
    let all: Vec<_> = out
        .requests
        .iter()
        .filter_map(|r| match r {
            ExecutionRequest::CancelAll { account } => Some(*account),
            _ => None,
        })
        .collect();
    assert_eq!(
        all,
        vec![spot_a],
        "the live venue is asked to cancel everything"
    );
    let progress = |h: &Harness| {
        h.engine
            .kill_progress()
            .into_iter()
            .find(|p| p.account == spot_a)
            .expect("spot-a")
    };
    // Flat only on the venue's word from after the restart.
    assert!(progress(&h).venue.is_none() && !progress(&h).is_flat());
    h.report(flat_venue(spot_a, 500));
    assert!(!progress(&h).is_flat(), "a report older than the restart");
    // Once, not on every event.
    let again = h.quote(
        "binance",
        "BTC/USDT",
        "100000.00",
        "100000.10",
        "1.0",
        2_000,
    );
    assert!(
        !again
            .requests
            .iter()
            .any(|r| matches!(r, ExecutionRequest::CancelAll { .. })),
        "{:?}",
        again.requests
    );
    for id in live_orders {
        h.report(ExecutionReport::Cancelled {
            order_id: id,
            ts: at(2_100),
            reason: "user".into(),
        });
    }
    h.report(flat_venue(spot_a, 2_200));
    assert!(progress(&h).is_flat(), "{:?}", progress(&h));
}

#[test]
fn a_live_account_takes_no_new_exposure_until_its_venue_agrees_with_the_book() {
    let mut loaded = common::load("");
    let spot_a = loaded.catalog.account_by_name("spot-a").expect("spot-a");
    loaded.catalog.accounts[spot_a.index()].broker = omni_core::domain::BrokerKind::Binance;
    let engine = omni_core::engine::Engine::new(&loaded.config.engine(), &loaded.catalog);
    let mut h = Harness { engine, loaded };
    let btc = h.inst("BTC/USDT");
    let spot_b = h.account("spot-b");
    let state = |positions: Vec<(omni_core::domain::InstrumentId, rust_decimal::Decimal)>, ms| {
        ExecutionReport::VenueState {
            account: spot_a,
            open_orders: 0,
            positions,
            unreachable: None,
            cash: None,
            cash_paid_for_positions: true,
            other_positions: 0,
            funds: Default::default(),
            ts: at(ms),
        }
    };
    let verdicts =
        |out: &common::Out| -> Vec<(omni_core::domain::AccountId, Option<RefusalReason>)> {
            out.decisions()
                .iter()
                .map(|d| (d.account, d.verdict.reason()))
                .collect()
        };

    // Before the venue has said anything: a missing report is not flat.
    assert_eq!(
        h.engine.account_blocked(spot_a),
        Some("waiting for the venue's first report")
    );
    let id = dislocation(&mut h, 0).opened()[0];
    let out = h.cmd(Command::Approve(id), 10);
    assert_eq!(
        verdicts(&out),
        vec![(spot_a, Some(RefusalReason::Unreconciled)), (spot_b, None)]
    );

    // The venue holds coins the book never bought: blocked, and said so.
    let out = h.report(state(vec![(btc, d("0.5"))], 20));
    let text = format!("{:?}", out.audits);
    assert!(
        text.contains("spot-a: new entries blocked: the venue holds 0.5 BTC/USDT, the book none"),
        "{text}"
    );
    assert_eq!(
        h.engine.account_blocked(spot_a),
        Some("the venue holds 0.5 BTC/USDT, the book none")
    );

    // The venue agrees (flat, like the book): new entries may go again.
    let out = h.report(state(Vec::new(), 30));
    assert!(format!("{:?}", out.audits).contains("unblocked"));
    assert_eq!(h.engine.account_blocked(spot_a), None);
    let id = dislocation(&mut h, 40_000).opened()[0];
    let out = h.cmd(Command::Approve(id), 40_010);
    assert!(
        verdicts(&out).contains(&(spot_a, None)),
        "{:?}",
        verdicts(&out)
    );
}

#[test]
fn a_live_accounts_cash_is_the_venues_once_book_and_venue_agree() {
    let mut loaded = common::load("");
    let spot_a = loaded.catalog.account_by_name("spot-a").expect("spot-a");
    loaded.catalog.accounts[spot_a.index()].broker = omni_core::domain::BrokerKind::Binance;
    let engine = omni_core::engine::Engine::new(&loaded.config.engine(), &loaded.catalog);
    let mut h = Harness { engine, loaded };
    let btc = h.inst("BTC/USDT");
    let state = |positions: Vec<(omni_core::domain::InstrumentId, rust_decimal::Decimal)>,
                 cash: &str,
                 ms| ExecutionReport::VenueState {
        account: spot_a,
        open_orders: 0,
        positions,
        unreachable: None,
        cash: Some(d(cash)),
        cash_paid_for_positions: true,
        other_positions: 0,
        funds: Default::default(),
        ts: at(ms),
    };
    let cash = |h: &Harness| h.engine.portfolio().balances[spot_a.index()].cash;
    let configured = cash(&h);
    assert_ne!(configured, d("2500"));

    // The first report: the venue's cash replaces the configured balance,
    // said in the log, and the day starts from it (no phantom loss).
    let out = h.report(state(Vec::new(), "2500", 10));
    assert_eq!(cash(&h), d("2500"));
    let text = format!("{:?}", out.audits);
    assert!(
        text.contains(&format!(
            "spot-a: cash {configured} -> 2500 USDT, as the venue reports"
        )),
        "{text}"
    );
    assert!(
        text.contains("AccountChanged"),
        "the store keeps it: {text}"
    );
    let risk = h.engine.account_risk(spot_a);
    assert_eq!(
        (risk.start_of_day_equity, risk.peak_equity),
        (d("2500"), d("2500"))
    );
    // Stored with the account, so a restart does not move the day's start
    // again (the day's loss so far stays counted).
    assert!(risk.venue_cash_seen);

    // A buy: while it works the venue's cash is not read; filled, the
    // venue's cash is what is left after paying, and agrees with the book.
    let id = dislocation(&mut h, 20).opened()[0];
    let out = h.cmd(Command::Approve(id), 100);
    // Sized from the venue's cash, not the configured balance.
    assert_eq!(out.submits()[0].qty, d("0.00187"));
    let paid = state(Vec::new(), "1000", 120);
    h.report(paid);
    assert_eq!(cash(&h), d("2500"), "not while an order works");
    h.report(fill(1, "0.00187", "100000.10", "1.5", 150));
    while let Some(id) = h.engine.working_orders().keys().next().copied() {
        h.report(ExecutionReport::Cancelled {
            order_id: id,
            ts: at(160),
            reason: "cancelled".into(),
        });
    }
    assert_eq!(cash(&h), d("2498.5"));
    // 2500 - 0.00187 x 100000.10 - 1.5
    let out = h.report(state(vec![(btc, d("0.00187"))], "2311.499813", 200));
    assert_eq!(cash(&h), d("2498.5"));
    assert!(
        !format!("{:?}", out.audits).contains("cash"),
        "nothing to adopt"
    );

    // A fee the book did not see (paid in a third asset, 0.25 of USDT
    // value taken from the quote balance here): adopted and said.
    let out = h.report(state(vec![(btc, d("0.00187"))], "2311.249813", 300));
    assert_eq!(cash(&h), d("2498.25"));
    assert!(
        format!("{:?}", out.audits).contains("spot-a: cash 2498.5 -> 2498.25 USDT"),
        "{:?}",
        out.audits
    );

    // Positions that disagree: the cash cannot be explained, and stays.
    h.report(state(vec![(btc, d("0.02"))], "0", 400));
    assert_eq!(cash(&h), d("2498.25"));
}

#[test]
fn a_fee_kept_in_the_coin_shrinks_the_position_once_and_crumbs_below_the_minimum_are_dust() {
    let mut h = Harness::new("");
    let out = dislocation(&mut h, 0);
    let id = out.opened()[0];
    h.cmd(Command::Approve(id), 100);
    h.report(fill(1, "0.01499", "100000.10", "1.5", 150));
    let spot_a = h.account("spot-a");
    let btc = h.inst("BTC/USDT");
    let key = omni_core::portfolio::PositionKey {
        account: spot_a,
        instrument: btc,
        contract: 0,
    };
    let fee = |ms| ExecutionReport::FeeInKind {
        account: spot_a,
        instrument: btc,
        trade_id: "T1-150".into(),
        qty: d("0.00001499"),
        ts: at(ms),
    };
    let out = h.report(fee(151));
    assert!(
        out.audits
            .iter()
            .any(|a| matches!(a, Audit::PositionChanged(p) if p.qty == d("0.01497501")))
    );
    // The same execution's fee again changes nothing.
    h.report(fee(152));
    let p = h
        .engine
        .portfolio()
        .positions
        .get(&key)
        .expect("position")
        .clone();
    assert_eq!(p.qty, d("0.01497501"));
    assert_eq!(p.avg_price, d("100000.10"), "no P&L moves with the fee");

    // The kill switch sells whole lots; the crumb left is dust: not
    // flattened again, not counted as open.
    // The other legs (and the unwind the uneven legs start) end first.
    while let Some(id) = h.engine.working_orders().keys().next().copied() {
        h.report(ExecutionReport::Cancelled {
            order_id: id,
            ts: at(160),
            reason: "cancelled".into(),
        });
    }
    let out = h.cmd(Command::KillSwitch, 200);
    let flatten = out.submits()[0].clone();
    assert_eq!(flatten.qty, d("0.01497501"));
    h.report(fill(flatten.id.0, "0.01497", "99990", "0", 250));
    h.report(ExecutionReport::Cancelled {
        order_id: flatten.id,
        ts: at(250),
        reason: "the venue took 0.01497 of 0.01497501".into(),
    });
    let p = h
        .engine
        .portfolio()
        .positions
        .get(&key)
        .expect("crumb")
        .clone();
    assert_eq!(p.qty, d("0.00000501"));
    assert!(h.engine.is_dust(&p));
    let out = h.feed(omni_core::engine::EngineEvent::Timer(at(5_000)));
    assert!(out.submits().is_empty(), "dust is not flattened");
    let a = h
        .engine
        .kill_progress()
        .into_iter()
        .find(|k| k.account == spot_a)
        .expect("spot-a");
    assert_eq!(a.open_positions, 0);
    assert!(a.is_flat(), "{a:?}");
}

#[test]
fn an_execution_handed_over_again_after_a_restart_takes_neither_its_fill_nor_its_fee_twice() {
    let mut h = Harness::new("");
    let out = dislocation(&mut h, 0);
    let id = out.opened()[0];
    h.cmd(Command::Approve(id), 100);
    // The store had already booked T1-150 before the restart.
    h.engine.restore(omni_core::engine::RestoredState {
        fill_ids: vec!["T1-150".into()],
        ..Default::default()
    });
    let out = h.report(fill(1, "0.01499", "100000.10", "1.5", 150));
    assert!(out.audits.is_empty());
    let spot_a = h.account("spot-a");
    let out = h.report(ExecutionReport::FeeInKind {
        account: spot_a,
        instrument: h.inst("BTC/USDT"),
        trade_id: "T1-150".into(),
        qty: d("0.00001499"),
        ts: at(151),
    });
    assert!(out.audits.is_empty(), "{:?}", out.audits);
    assert_eq!(h.engine.counters().duplicate_fills, 2);
}

/// margin-fx's EUR/USD position (every contract 0 position key of it).
fn fx_position(h: &Harness) -> Option<omni_core::portfolio::Position> {
    let key = omni_core::portfolio::PositionKey {
        account: h.account("margin-fx"),
        instrument: h.inst("EUR/USD"),
        contract: 0,
    };
    h.engine.portfolio().positions.get(&key).cloned()
}

/// The venue's exit of margin-fx's EUR/USD long, as a live order manager
/// hands it over.
fn venue_exit(
    h: &Harness,
    trade: &str,
    qty: &str,
    price: &str,
    fee: &str,
    ms: i64,
) -> ExecutionReport {
    ExecutionReport::VenueExit {
        account: h.account("margin-fx"),
        instrument: h.inst("EUR/USD"),
        trade_id: trade.into(),
        side: Side::Sell,
        qty: d(qty),
        price: d(price),
        fee: d(fee),
        ts: at(ms),
    }
}

/// The broker's own stop loss closes a long the engine opened with it (no
/// order of the engine's filled) while the engine's copy of that stop has
/// just sent its own exit. The venue's fill is booked once, as an exit at
/// the stop: the realised loss and the fee into cash, a closed trade for
/// the stop loss, the order recorded as the venue's and never sent. The
/// engine's own exit, now pointless, is cancelled; the same fill handed
/// over again books nothing; the flat book sends no further exit.
#[test]
fn a_stop_the_venue_fired_closes_the_position_once_and_cancels_the_engines_own_exit() {
    let mut h = Harness::new("");
    h.fx_long(Some("1.09000"), Some("1.12000"));
    let fx = h.account("margin-fx");
    let out = h.fx_quote(1000, d("1.08990"));
    let own = out.submits();
    assert_eq!(own.len(), 1, "the engine's copy of the stop: {out:?}");
    let own = own[0].id;
    let cash = h.engine.portfolio().balances[fx.index()].cash;

    let out = h.report(venue_exit(&h, "oanda:77", "2000", "1.08950", "0.10", 1010));
    assert!(fx_position(&h).is_none(), "flat: {:?}", fx_position(&h));
    // (1.08950 − 1.10000) × 2000 = −21, less the fee.
    assert_eq!(
        h.engine.portfolio().balances[fx.index()].cash,
        cash - d("21.10")
    );
    let created: Vec<_> = out
        .audits
        .iter()
        .filter_map(|a| match a {
            Audit::OrderCreated(o) => Some(o.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(created.len(), 1, "{:?}", out.audits);
    let o = &created[0];
    assert_eq!(
        (
            o.side,
            o.qty,
            o.purpose,
            o.exit_reason,
            o.order_type,
            o.stop_price
        ),
        (
            Side::Sell,
            d("2000"),
            OrderPurpose::Exit,
            Some(ExitReason::StopLoss),
            OrderType::Stop,
            Some(d("1.09000"))
        )
    );
    let fills: Vec<_> = out
        .audits
        .iter()
        .filter_map(|a| match a {
            Audit::Fill { fill, side, .. } => Some((
                fill.order_id,
                fill.trade_id.clone(),
                fill.qty,
                fill.price,
                *side,
            )),
            _ => None,
        })
        .collect();
    assert_eq!(
        fills,
        vec![(
            o.id,
            "oanda:77".to_string(),
            d("2000"),
            d("1.08950"),
            Side::Sell
        )]
    );
    let trades: Vec<_> = out
        .audits
        .iter()
        .filter_map(|a| match a {
            Audit::TradeClosed(t) => Some((t.reason, t.pnl)),
            _ => None,
        })
        .collect();
    assert_eq!(trades, vec![(ExitReason::StopLoss, d("-21.10"))]);
    assert!(
        out.submits().is_empty(),
        "the engine sends nothing: {out:?}"
    );
    assert_eq!(
        out.requests,
        vec![ExecutionRequest::Cancel {
            order_id: own,
            account: fx,
            venue: h.venue("oanda"),
        }],
        "its own exit is cancelled"
    );
    assert!(!h.engine.working_orders().contains_key(&o.id));

    // Handed over again (a duplicate line, a restart's replay): nothing.
    let out = h.report(venue_exit(&h, "oanda:77", "2000", "1.08950", "0.10", 1020));
    assert!(out.audits.is_empty() && out.requests.is_empty(), "{out:?}");
    assert_eq!(h.engine.counters().duplicate_fills, 1);
    assert!(fx_position(&h).is_none());
    // The venue cancels the engine's own exit (it only reduces): no other
    // exit follows, the price beyond the stop or not.
    h.report(ExecutionReport::Cancelled {
        order_id: own,
        ts: at(1030),
        reason: "POSITION_CLOSEOUT_FAILED".into(),
    });
    assert!(h.fx_quote(1100, d("1.08900")).submits().is_empty());
    assert_eq!(
        h.engine.portfolio().balances[fx.index()].cash,
        cash - d("21.10")
    );
}

/// The venue's take profit closing more than the book holds is booked up
/// to the book's quantity, with that share of the fee, as a take profit;
/// an exit the book has nothing to reduce with (no position, or the same
/// side as the position) is never booked as a new position.
#[test]
fn a_venue_exit_is_booked_only_as_far_as_it_reduces_the_books_position() {
    let mut h = Harness::new("");
    let fx = h.account("margin-fx");
    let cash = h.engine.portfolio().balances[fx.index()].cash;
    let booked_any = |out: &common::Out| {
        out.audits.iter().any(|a| {
            matches!(
                a,
                Audit::OrderCreated(_) | Audit::Fill { .. } | Audit::TradeClosed(_)
            )
        })
    };
    // Nothing held: not booked, counted.
    let out = h.report(venue_exit(&h, "oanda:5", "2000", "1.12010", "0.30", 10));
    assert!(!booked_any(&out), "{out:?}");
    assert_eq!(h.engine.counters().unknown_reports, 1);
    assert!(fx_position(&h).is_none());

    h.fx_long(Some("1.09000"), Some("1.12000"));
    // A buy does not reduce a long.
    let mut same_side = venue_exit(&h, "oanda:6", "500", "1.12010", "0", 20);
    if let ExecutionReport::VenueExit { side, .. } = &mut same_side {
        *side = Side::Buy;
    }
    let out = h.report(same_side);
    assert!(!booked_any(&out), "{out:?}");
    assert_eq!(h.engine.counters().unknown_reports, 2);
    assert_eq!(fx_position(&h).map(|p| p.qty), Some(d("2000")));

    let out = h.report(venue_exit(&h, "oanda:7", "3000", "1.12010", "0.30", 30));
    assert!(fx_position(&h).is_none(), "{:?}", fx_position(&h));
    let booked: Vec<_> = out
        .audits
        .iter()
        .filter_map(|a| match a {
            Audit::Fill { fill, .. } => Some((fill.qty, fill.fee)),
            _ => None,
        })
        .collect();
    assert_eq!(booked, vec![(d("2000"), d("0.20"))]);
    let reasons: Vec<_> = out
        .audits
        .iter()
        .filter_map(|a| match a {
            Audit::TradeClosed(t) => Some(t.reason),
            _ => None,
        })
        .collect();
    assert_eq!(reasons, vec![ExitReason::TakeProfit]);
    // (1.12010 − 1.10000) × 2000 = 40.20, less the fee's share.
    assert_eq!(
        h.engine.portfolio().balances[fx.index()].cash,
        cash + d("40.00")
    );
    assert!(
        out.requests.is_empty(),
        "nothing in flight to cancel: {out:?}"
    );
}
