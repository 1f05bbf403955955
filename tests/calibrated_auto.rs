//! Binary contracts and forex signals are priced, shown and auto-approved
//! on calibrated numbers: a contract's probability is the 5-minute
//! ensemble's at its expiry (through assets/models/binary.json), a signal's
//! edge the 60-minute ensemble's probability turned into R after the
//! spread. AUTO fires when those numbers clear the bar and never on the
//! momentum or rule readings alone.

mod common;

use common::{Harness, Out};
use omni_core::approval::config::ApprovalMode;
use omni_core::domain::{Opportunity, OpportunityDetail, OpportunityKind};
use omni_core::engine::{Audit, Command};
use omni_core::ensemble::{Model, ModelSet};
use std::sync::Arc;

/// The bundled short model with every member leaning on the last
/// return alone, `weight` per standard deviation: on a steady rise it says
/// "up" (weight > 0) or "down" (weight < 0) with conviction.
fn leaning_short_model(weight: f64) -> Model {
    let text = include_str!("../assets/models/short.json");
    let mut v: serde_json::Value = serde_json::from_str(text).expect("short.json");
    let k = v["features"]
        .as_array()
        .expect("features")
        .iter()
        .position(|f| f == "ret_1")
        .expect("ret_1 is a feature");
    let width = v["members"][0].as_array().expect("member").len();
    let mut member = vec![0.0; width];
    member[k] = weight;
    for m in v["members"].as_array_mut().expect("members") {
        *m = serde_json::json!(member);
    }
    // Standardise ret_1 as itself, so the lean is exactly `weight` per unit.
    v["feature_mean"][k] = serde_json::json!(0.0);
    v["feature_std"][k] = serde_json::json!(1.0);
    v["calibration"]["slope"] = serde_json::json!(1.0);
    Model::from_json("leaning short", &v.to_string()).expect("a valid model")
}

/// Opened binary predictions and whether each was submitted.
fn binary_opened(out: &Out) -> Vec<Opportunity> {
    out.audits
        .iter()
        .filter_map(|a| match a {
            Audit::OpportunityOpened(o) if o.kind() == OpportunityKind::Binary => Some(o.clone()),
            _ => None,
        })
        .collect()
}

/// EUR/USD warmed with 60 history minutes rising into 1.1000, auto
/// approval on, then a rising second-by-second market that makes the
/// momentum model list UP contracts.
fn run(models: Option<ModelSet>) -> (Harness, Out) {
    let mut h = Harness::new("[risk.signal.binary]\nmin_interval_secs = 0\n");
    if let Some(m) = models {
        h.engine.set_models(Arc::new(m));
    }
    let mut out = h.cmd(Command::SetApprovalMode(ApprovalMode::Auto), -3_700_000);
    for i in 0..60i64 {
        let close = format!("{:.4}", 1.0941 + 0.0001 * i as f64);
        out.extend(h.bar("EUR/USD", -3_600_000 + i * 60_000, &close, false));
    }
    for chunk in 0..6 {
        out.extend(h.fx_trend(chunk * 10_000, 10, "0.00001"));
    }
    (h, out)
}

#[test]
fn auto_buys_a_contract_when_the_calibrated_ev_clears_the_bar() {
    let models = ModelSet::new([Some(leaning_short_model(2.0)), None, None]);
    let cal = models.binary().clone();
    let (h, out) = run(Some(models));
    let opened = binary_opened(&out);
    assert!(!opened.is_empty(), "the momentum model lists contracts");
    let bar = h.loaded.config.scanners.binary.auto_min_expected_value;
    for o in &opened {
        let OpportunityDetail::Binary(b) = &o.detail else {
            unreachable!()
        };
        let belief = o.belief.expect("a 5-minute forecast");
        assert!(b.calibrated);
        // The shown probability is the ensemble's through the calibration,
        // not the momentum reading.
        let p = cal.p_up(belief.probability(), b.expiry_secs);
        assert!((b.p_up - p).abs() < 1e-12, "{b:?}");
        assert_ne!(b.p_up, b.momentum_p_up);
        assert!((b.expected_value - (b.probability * 0.85 - (1.0 - b.probability))).abs() < 1e-12);
        assert!(b.expected_value >= bar, "{b:?}");
    }
    let bought: Vec<_> = out
        .submits()
        .into_iter()
        .filter(|o| o.binary.is_some())
        .collect();
    assert!(
        !bought.is_empty(),
        "AUTO bought none of {} contracts",
        opened.len()
    );
}

#[test]
fn auto_never_buys_a_contract_the_ensemble_says_loses() {
    // The ensemble leans down while momentum lists UP: the contract's
    // calibrated probability is below ½ and its EV negative.
    let (_, out) = run(Some(ModelSet::new([
        Some(leaning_short_model(-2.0)),
        None,
        None,
    ])));
    let opened = binary_opened(&out);
    assert!(!opened.is_empty());
    for o in &opened {
        let OpportunityDetail::Binary(b) = &o.detail else {
            unreachable!()
        };
        assert!(
            b.momentum_p_up > 0.5 && b.p_up < 0.5 && b.expected_value < 0.0,
            "{b:?}"
        );
    }
    assert!(out.submits().iter().all(|o| o.binary.is_none()));
}

#[test]
fn without_a_forecast_a_contract_is_even_and_never_auto_approved() {
    let (_, out) = run(None);
    let opened = binary_opened(&out);
    assert!(!opened.is_empty());
    for o in &opened {
        let OpportunityDetail::Binary(b) = &o.detail else {
            unreachable!()
        };
        assert!(
            !b.calibrated && b.p_up == 0.5 && b.probability == 0.5,
            "{b:?}"
        );
        assert!(b.momentum_p_up >= 0.56, "listed by momentum: {b:?}");
    }
    assert!(out.submits().iter().all(|o| o.binary.is_none()));
}

#[test]
fn a_forex_signal_records_its_spread_and_auto_waits_for_a_calibrated_edge() {
    let mut h = Harness::new("");
    h.cmd(Command::SetApprovalMode(ApprovalMode::Auto), -7_300_000);
    let (id, out) = h.forex_buy(0, |h, ms, px| h.fx_quote(ms, px));
    let opened = out
        .audits
        .iter()
        .find_map(|a| match a {
            Audit::OpportunityOpened(o) if o.id == id => Some(o.clone()),
            _ => None,
        })
        .expect("the signal");
    let OpportunityDetail::Forex(f) = &opened.detail else {
        panic!("forex")
    };
    assert_eq!(f.spread, Some(common::d("0.00008")));
    // No models: no belief, so no calibrated edge, and AUTO does not act
    // on the rule-based confidence.
    assert_eq!((f.win_probability, f.expected_r), (None, None));
    assert!(out.submits().is_empty());
}
