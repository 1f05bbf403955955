//! Triangular arbitrage through the engine: a scripted cycle on binance
//! (USDT → BTC → ETH → USDT) approved, sent as three legs, booked to the
//! exact profit, and unwound when a leg does not fill.

mod common;

use common::{Harness, Out, at, d};
use omni_core::domain::{
    OpportunityDetail, OpportunityId, OrderId, OrderPurpose, OrderType, Side, TimeInForce,
};
use omni_core::engine::{Audit, Command};
use omni_core::execution::ExecutionReport;
use omni_core::risk::Verdict;
use rust_decimal::Decimal;

/// The three books: buying BTC at 50 000 and ETH at 0.05 BTC costs 2 500
/// USDT an ETH, which sells at 2 520 (0.8 % before fees).
fn cycle(h: &mut Harness, ms: i64) -> (Out, OpportunityId) {
    let mut out = h.quote("binance", "BTC/USDT", "49999.90", "50000.00", "1", ms);
    out.extend(h.quote("binance", "ETH/BTC", "0.04999", "0.05000", "10", ms));
    out.extend(h.quote("binance", "ETH/USDT", "2520.00", "2520.50", "5", ms));
    let opened: Vec<_> = out
        .audits
        .iter()
        .filter_map(|a| match a {
            Audit::OpportunityOpened(o) if matches!(o.detail, OpportunityDetail::Triangular(_)) => {
                Some(o.id)
            }
            _ => None,
        })
        .collect();
    assert_eq!(opened.len(), 1, "{out:?}");
    (out, opened[0])
}

fn fill(id: u64, qty: &str, price: &str, fee: &str, ms: i64) -> ExecutionReport {
    ExecutionReport::Filled {
        order_id: OrderId(id),
        trade_id: format!("T{id}"),
        qty: d(qty),
        price: d(price),
        fee: d(fee),
        ts: at(ms),
        contract: None,
    }
}

/// The orders `out` sent, as (instrument, side, quantity), sorted.
fn sent_sorted(h: &Harness, out: &Out) -> Vec<(String, &'static str, Decimal)> {
    let mut sent: Vec<_> = out
        .submits()
        .iter()
        .map(|o| {
            (
                h.loaded.catalog.instrument(o.instrument).name.clone(),
                o.side.as_str(),
                o.qty,
            )
        })
        .collect();
    sent.sort();
    sent
}

fn alerts(out: &Out) -> Vec<String> {
    out.audits
        .iter()
        .filter_map(|a| match a {
            Audit::Alert { rule, text, .. } if rule == "triangular" => Some(text.clone()),
            _ => None,
        })
        .collect()
}

/// The legs' limits at the prices seen, so the quantities are round.
const NO_SLACK: &str = "[scanners.triangular]\nleg_slack = 0\n";

/// Approves the cycle (with `NO_SLACK`): spot-a (balanced: 10 % of 20 000, × 0.75 before
/// any win/loss history) starts 1 500 USDT: 0.03 BTC, 0.6 ETH, 0.6 ETH.
fn approve(h: &mut Harness) -> Out {
    let (_, id) = cycle(h, 0);
    let out = h.cmd(Command::Approve(id), 100);
    let decisions = out.decisions();
    assert_eq!(decisions.len(), 1, "{out:?}");
    assert_eq!(decisions[0].account, h.account("spot-a"));
    assert_eq!(decisions[0].verdict, Verdict::Approved, "{decisions:?}");
    assert_eq!(decisions[0].qty, d("1500"));
    let sent: Vec<_> = out
        .submits()
        .iter()
        .map(|o| {
            assert_eq!(o.purpose, OrderPurpose::CycleLeg);
            assert_eq!((o.order_type, o.tif), (OrderType::Limit, TimeInForce::Ioc));
            assert_eq!(o.venue, h.venue("binance"));
            (
                o.id.0,
                h.loaded.catalog.instrument(o.instrument).name.clone(),
                o.side,
                o.qty,
                o.limit_price,
            )
        })
        .collect();
    // Without slack (`NO_SLACK`), the limits are the prices seen.
    assert_eq!(
        sent,
        [
            (
                1,
                "BTC/USDT".into(),
                Side::Buy,
                d("0.03"),
                Some(d("50000.00"))
            ),
            (2, "ETH/BTC".into(), Side::Buy, d("0.6"), Some(d("0.05000"))),
            (
                3,
                "ETH/USDT".into(),
                Side::Sell,
                d("0.6"),
                Some(d("2520.00"))
            ),
        ]
    );
    out
}

#[test]
fn a_filled_cycle_books_what_came_back_less_what_went_out_less_three_fees() {
    let mut h = Harness::new(NO_SLACK);
    approve(&mut h);
    let spot_a = h.account("spot-a");
    let cash0 = h.engine.portfolio().balances[spot_a.index()].cash;
    // binance's 0.075 % on each leg's notional: 1.125 USDT, 0.0000225 BTC,
    // 1.134 USDT.
    let mut out = h.report(fill(1, "0.03", "50000.00", "1.125", 200));
    out.extend(h.report(fill(2, "0.6", "0.05000", "0.0000225", 200)));
    // The cross pair's fill holds ETH and owes BTC, against USDT.
    let held: Vec<(String, Decimal)> = h
        .engine
        .portfolio()
        .of_account(spot_a)
        .map(|p| {
            (
                h.loaded.catalog.instrument(p.key.instrument).name.clone(),
                p.qty,
            )
        })
        .collect();
    assert_eq!(held, [("ETH/USDT".to_string(), d("0.6"))]);
    out.extend(h.report(fill(3, "0.6", "2520.00", "1.134", 200)));
    assert!(alerts(&out).is_empty(), "{:?}", alerts(&out));
    assert_eq!(h.engine.portfolio().of_account(spot_a).count(), 0);
    // 1 512 − 1 500 = 12 USDT, less 1.125 + 0.0000225 × 49 999.95 (the BTC
    // fee at BTC/USDT's mid) + 1.134.
    let cash = h.engine.portfolio().balances[spot_a.index()].cash;
    assert_eq!(
        cash - cash0,
        d("12") - d("1.125") - d("1.124998875") - d("1.134")
    );
    assert!(out.submits().is_empty(), "nothing to unwind: {out:?}");
}

#[test]
fn a_last_leg_that_does_not_fill_is_unwound_and_said() {
    let mut h = Harness::new(NO_SLACK);
    approve(&mut h);
    let mut out = h.report(fill(1, "0.03", "50000.00", "1.125", 200));
    out.extend(h.report(fill(2, "0.6", "0.05000", "0.0000225", 200)));
    out.extend(h.report(ExecutionReport::Expired {
        order_id: OrderId(3),
        ts: at(200),
    }));
    let unwinds: Vec<_> = out
        .submits()
        .iter()
        .map(|o| {
            (
                h.loaded.catalog.instrument(o.instrument).name.clone(),
                o.side,
                o.qty,
                o.purpose,
            )
        })
        .collect();
    assert_eq!(
        unwinds,
        [(
            "ETH/USDT".to_string(),
            Side::Sell,
            d("0.6"),
            OrderPurpose::Unwind
        )]
    );
    assert_eq!(
        alerts(&out),
        [
            "spot-a: triangular cycle on binance: SELL ETH/USDT filled 0 of 0.6; unwinding SELL 0.6 ETH/USDT"
        ]
    );
}

#[test]
fn a_middle_leg_that_does_not_fill_unwinds_the_first() {
    let mut h = Harness::new(NO_SLACK);
    approve(&mut h);
    let mut out = h.report(fill(1, "0.03", "50000.00", "1.125", 200));
    out.extend(h.report(ExecutionReport::Expired {
        order_id: OrderId(2),
        ts: at(200),
    }));
    // The last leg sold ETH the account did not get: short 0.6 ETH.
    out.extend(h.report(fill(3, "0.6", "2520.00", "1.134", 200)));
    let unwinds = sent_sorted(&h, &out);
    assert_eq!(
        unwinds,
        [
            ("BTC/USDT".to_string(), "SELL", d("0.03")),
            ("ETH/USDT".to_string(), "BUY", d("0.6")),
        ]
    );
    let said = alerts(&out);
    assert_eq!(said.len(), 1);
    assert!(said[0].contains("BUY ETH/BTC filled 0 of 0.6"), "{said:?}");
}

#[test]
fn a_cycle_whose_edge_goes_is_withdrawn() {
    let mut h = Harness::new("");
    let (_, id) = cycle(&mut h, 0);
    let out = h.quote("binance", "ETH/USDT", "2500.00", "2500.50", "5", 50);
    let closed = out.audits.iter().any(|a| {
        matches!(a, Audit::OpportunityClosed { id: x, status, .. }
            if *x == id && *status == omni_core::domain::OpportunityStatus::Vanished)
    });
    assert!(closed, "{out:?}");
    // Approving what is gone sends nothing.
    let out = h.cmd(Command::Approve(id), 100);
    assert!(out.submits().is_empty());
}

#[test]
fn a_reducing_account_refuses_a_cycle() {
    let mut h = Harness::new("");
    let (_, id) = cycle(&mut h, 0);
    h.cmd(Command::Pause, 50);
    let out = h.cmd(Command::Approve(id), 100);
    assert!(out.submits().is_empty());
    match &out.decisions()[0].verdict {
        Verdict::Refused(r) => {
            assert_eq!(r.reason, omni_core::risk::RefusalReason::Reducing);
            assert_eq!(
                r.detail,
                "trading is REDUCING: a triangular cycle is new exposure"
            );
        }
        v => panic!("{v:?}"),
    }
}

/// With the default slack (half the net return, 0.5734 %), each limit
/// gives up a sixth of it, 0.0956 %, inside its tick grid; the quantities
/// are priced at the limits, so each leg hands on at least what the next
/// spends even when every leg fills at its limit: long dust, never short.
#[test]
fn with_slack_the_limits_give_up_part_of_the_edge_and_no_leg_spends_more_than_it_got() {
    let mut h = Harness::new("");
    let (_, id) = cycle(&mut h, 0);
    let out = h.cmd(Command::Approve(id), 100);
    let sent: Vec<_> = out
        .submits()
        .iter()
        .map(|o| (o.qty, o.limit_price))
        .collect();
    // 1 500 / 50 047.78 = 0.02997 BTC; / 0.05004 = 0.5989 ETH.
    assert_eq!(
        sent,
        [
            (d("0.02997"), Some(d("50047.78"))),
            (d("0.5989"), Some(d("0.05004"))),
            (d("0.5989"), Some(d("2517.60"))),
        ]
    );
    // Every leg at its limit: BTC bought ≥ BTC spent; ETH bought = sold.
    for (k, price) in [(1, "50047.78"), (2, "0.05004"), (3, "2517.60")] {
        let qty = sent[k - 1].0.to_string();
        h.report(fill(k as u64, &qty, price, "0", 200));
    }
    let spot_a = h.account("spot-a");
    let held: Vec<(String, Decimal)> = h
        .engine
        .portfolio()
        .of_account(spot_a)
        .map(|p| {
            (
                h.loaded.catalog.instrument(p.key.instrument).name.clone(),
                p.qty,
            )
        })
        .collect();
    // 0.02997 − 0.5989 × 0.05004 = 0.000001044 BTC of dust.
    assert_eq!(held, [("BTC/USDT".to_string(), d("0.000001044"))]);
}

/// The learning's verdicts in `out`: (instrument, kind, wins, losses).
fn learned(h: &Harness, out: &Out) -> Vec<(String, String, u32, u32)> {
    out.audits
        .iter()
        .filter_map(|a| match a {
            Audit::LearningChanged {
                instrument,
                kind,
                wins,
                losses,
            } => Some((
                h.loaded.catalog.instrument(*instrument).name.clone(),
                kind.as_str().to_string(),
                *wins,
                *losses,
            )),
            _ => None,
        })
        .collect()
}

#[test]
fn a_cycle_counts_as_one_result_not_one_per_instrument_it_closed() {
    // The cycle gains 12 USDT less 3.38 of fees; the BTC/USDT trade it
    // closes alone loses (bought at the ask, sold at the mid, with fees).
    let mut h = Harness::new(NO_SLACK);
    approve(&mut h);
    let spot_a = h.account("spot-a");
    let mut out = h.report(fill(1, "0.03", "50000.00", "1.125", 200));
    out.extend(h.report(fill(2, "0.6", "0.05000", "0.0000225", 200)));
    out.extend(h.report(fill(3, "0.6", "2520.00", "1.134", 200)));
    assert_eq!(
        learned(&h, &out),
        [("BTC/USDT".to_string(), "triangular".to_string(), 1, 0)]
    );
    assert_eq!(h.engine.account_risk(spot_a).loss_streak, 0);
    // A losing cycle is one loss, not two.
    let mut h = Harness::new(NO_SLACK);
    approve(&mut h);
    let mut out = h.report(fill(1, "0.03", "50000.00", "1.125", 200));
    out.extend(h.report(fill(2, "0.6", "0.05000", "0.0000225", 200)));
    out.extend(h.report(fill(3, "0.6", "2490.00", "1.134", 200)));
    assert_eq!(
        learned(&h, &out),
        [("BTC/USDT".to_string(), "triangular".to_string(), 0, 1)]
    );
    assert_eq!(h.engine.account_risk(spot_a).loss_streak, 1);
}

#[test]
fn a_cross_pair_traded_outside_a_cycle_is_a_position_on_that_pair() {
    // An order on ETH/BTC that is not a cycle leg (the operator's, a
    // signal's): held as ETH/BTC, as the venue holds it.
    let mut h = Harness::new("");
    let spot_a = h.account("spot-a");
    let order = omni_core::domain::Order {
        id: OrderId(99),
        account: spot_a,
        instrument: h.inst("ETH/BTC"),
        venue: h.venue("binance"),
        side: Side::Buy,
        order_type: OrderType::Market,
        tif: TimeInForce::Ioc,
        qty: d("0.6"),
        limit_price: None,
        stop_price: None,
        reference_price: d("0.05"),
        status: omni_core::domain::OrderStatus::Pending,
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
    };
    h.quote("binance", "BTC/USDT", "49999.90", "50000.00", "1", 0);
    h.engine.restore(omni_core::engine::restore::RestoredState {
        working: vec![order],
        ..Default::default()
    });
    h.report(fill(99, "0.6", "0.05", "0", 10));
    let held: Vec<String> = h
        .engine
        .portfolio()
        .of_account(spot_a)
        .map(|p| h.loaded.catalog.instrument(p.key.instrument).name.clone())
        .collect();
    assert_eq!(held, ["ETH/BTC"]);
}

#[test]
fn k_with_a_cycle_half_filled_cancels_its_legs_and_flattens_without_an_unwind() {
    let mut h = Harness::new(NO_SLACK);
    approve(&mut h);
    let spot_a = h.account("spot-a");
    h.report(fill(1, "0.03", "50000.00", "1.125", 200));
    let out = h.cmd(Command::KillSwitch, 210);
    // The two legs still working are cancelled; the BTC bought is sold.
    let cancelled: Vec<u64> = out
        .requests
        .iter()
        .filter_map(|r| match r {
            omni_core::execution::ExecutionRequest::Cancel { order_id, .. } => Some(order_id.0),
            _ => None,
        })
        .collect();
    assert_eq!(cancelled, [2, 3], "{out:?}");
    let flattens: Vec<_> = out
        .submits()
        .iter()
        .map(|o| {
            (
                h.loaded.catalog.instrument(o.instrument).name.clone(),
                o.side.as_str(),
                o.qty,
                o.purpose,
            )
        })
        .collect();
    assert_eq!(
        flattens,
        [(
            "BTC/USDT".to_string(),
            "SELL",
            d("0.03"),
            OrderPurpose::Flatten
        )]
    );
    // The legs end cancelled: the kill switch flattens, nothing is unwound.
    let mut out = Out::default();
    for id in [2, 3] {
        out.extend(h.report(ExecutionReport::Cancelled {
            order_id: OrderId(id),
            ts: at(220),
            reason: "kill switch".into(),
        }));
    }
    assert!(out.submits().is_empty(), "{out:?}");
    assert!(alerts(&out).is_empty());
    out.extend(h.report(fill(4, "0.03", "49990.00", "1.12", 230)));
    assert_eq!(h.engine.portfolio().of_account(spot_a).count(), 0);
}

#[test]
fn a_leg_the_broker_rejects_is_a_leg_that_did_not_fill() {
    let mut h = Harness::new(NO_SLACK);
    approve(&mut h);
    let mut out = h.report(ExecutionReport::Rejected {
        order_id: OrderId(2),
        ts: at(150),
        reason: "insufficient balance".into(),
    });
    out.extend(h.report(fill(1, "0.03", "50000.00", "1.125", 200)));
    out.extend(h.report(fill(3, "0.6", "2520.00", "1.134", 200)));
    let unwinds = sent_sorted(&h, &out);
    assert_eq!(
        unwinds,
        [
            ("BTC/USDT".to_string(), "SELL", d("0.03")),
            ("ETH/USDT".to_string(), "BUY", d("0.6")),
        ]
    );
    assert_eq!(alerts(&out).len(), 1);
}

#[test]
fn an_unwind_waits_for_a_close_in_flight_and_goes_out_when_it_ends() {
    let mut h = Harness::new(NO_SLACK);
    approve(&mut h);
    let spot_a = h.account("spot-a");
    h.report(fill(1, "0.03", "50000.00", "1.125", 200));
    h.report(fill(2, "0.6", "0.05000", "0.0000225", 200));
    // The operator closes the ETH the cycle holds: order 4 in flight.
    let out = h.cmd(
        Command::ClosePosition {
            account: spot_a,
            instrument: h.inst("ETH/USDT"),
            qty: d("0.6"),
        },
        205,
    );
    assert_eq!(out.submits().len(), 1, "{out:?}");
    let out = h.report(ExecutionReport::Expired {
        order_id: OrderId(3),
        ts: at(210),
    });
    assert!(out.submits().is_empty(), "{out:?}");
    assert_eq!(
        alerts(&out),
        [
            "spot-a: triangular cycle on binance: SELL ETH/USDT filled 0 of 0.6; unwinding 0.6 ETH once the close in flight on ETH/USDT ends"
        ]
    );
    // The operator's close does not fill: the unwind goes out.
    let out = h.report(ExecutionReport::Expired {
        order_id: OrderId(4),
        ts: at(220),
    });
    let sent: Vec<_> = out
        .submits()
        .iter()
        .map(|o| (o.side.as_str(), o.qty, o.purpose))
        .collect();
    assert_eq!(sent, [("SELL", d("0.6"), OrderPurpose::Unwind)]);
}
