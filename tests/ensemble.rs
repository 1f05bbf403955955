//! The ensemble: no train/serve skew, reproducible training, the eval
//! contract, the belief travelling with opportunities, learning feedback.

mod common;

use omni_core::domain::{Bar, InstrumentId, Timeframe};
use omni_core::engine::{Engine, EngineEvent};
use omni_core::ensemble::{Horizon, ModelSet};
use omni_core::market::MarketEvent;
use omni_research::dataset::{Split, samples};
use omni_research::history::load_series;
use omni_research::train::{TrainOptions, train};
use std::path::PathBuf;
use std::sync::Arc;

fn data(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/data")
        .join(rel)
}

#[test]
fn the_engine_computes_exactly_the_forecasts_training_and_eval_compute() {
    // Real BTC minutes fed to the engine as history bars: its trackers build
    // M5 and H1 bars and features on their own. Every medium-model reading
    // must equal what the dataset code predicts for the same bar.
    let series = load_series(
        &data("binance_vision_btcusdt_1m/BTCUSDT-1m-2023-03-01.csv"),
        0,
    )
    .expect("data");
    let models = ModelSet::bundled().expect("bundled models");
    let loaded = common::load("");
    let mut engine = Engine::new(&loaded.config.engine(), &loaded.catalog);
    engine.set_models(Arc::new(models.clone()));
    let btc = InstrumentId(0);
    let mut readings = Vec::new();
    for b in &series.bars {
        let bar = Bar {
            instrument: btc,
            timeframe: Timeframe::M1,
            open_ts: b.ts,
            open: b.open,
            high: b.high,
            low: b.low,
            close: b.close,
            volume: b.volume,
        };
        engine.process(EngineEvent::Market(MarketEvent::History(bar)));
        if let Some(r) = engine
            .tracker(btc)
            .and_then(|t| t.readings()[Horizon::Medium.index()])
            && readings.last() != Some(&r)
        {
            readings.push(r);
        }
    }
    let model = models.get(Horizon::Medium).expect("medium");
    let expected: Vec<_> = samples(&series, Horizon::Medium)
        .expect("samples")
        .iter()
        .map(|s| (s.ts, model.predict(&s.x)))
        .collect();
    assert!(expected.len() > 200, "{}", expected.len());
    let mut matched = 0;
    for (ts, out) in &expected {
        let r = readings
            .iter()
            .find(|r| r.at == *ts)
            .expect("the engine forecast at the same bar");
        assert_eq!(r.out, *out, "at {ts}");
        matched += 1;
    }
    assert_eq!(matched, expected.len());
    let belief = engine.belief(btc, Horizon::Medium).expect("a belief");
    assert!(belief.alpha > 0.0 && belief.beta > 0.0 && (0.0..=1.0).contains(&belief.agreement));
}

fn small_training_set() -> Vec<(omni_research::history::Series, Vec<String>)> {
    [
        "binance_vision_btcusdt_1m/BTCUSDT-1m-2023-03-01.csv",
        "binance_vision_btcusdt_1m/BTCUSDT-1m-2023-03-02.csv",
    ]
    .iter()
    .map(|f| (load_series(&data(f), 0).expect("data"), vec![f.to_string()]))
    .collect()
}

#[test]
fn training_is_seeded_reproducible_and_records_its_provenance() {
    let set = small_training_set();
    let opts = TrainOptions {
        members: 4,
        max_epochs: 8,
        ..TrainOptions::default()
    };
    let a = train(Horizon::Short, &set, &opts).expect("trains");
    let b = train(Horizon::Short, &set, &opts).expect("trains");
    assert_eq!(
        serde_json::to_string(&a).expect("json"),
        serde_json::to_string(&b).expect("json")
    );
    let c = train(
        Horizon::Short,
        &set,
        &TrainOptions {
            seed: 8,
            ..opts.clone()
        },
    )
    .expect("trains");
    assert_ne!(
        a.members, c.members,
        "the seed drives resampling and minibatch order"
    );
    // Members that learned nothing are refitted, then dropped.
    assert_eq!(a.members.len() + a.training.dropped_members, 4);
    assert!(a.training.epochs.iter().all(|&e| (1..=8).contains(&e)));
    // No intercept: at the training means of every feature the model says
    // exactly ½, whatever share of ups the training period had.
    assert!(
        a.members
            .iter()
            .all(|w| w[omni_core::features::FEATURES] == 0.0)
    );
    let at_mean: [f64; omni_core::features::FEATURES] = std::array::from_fn(|k| a.feature_mean[k]);
    assert_eq!(a.predict(&at_mean).probability(), 0.5);
    assert!(a.calibration.slope > 0.0 && a.calibration.day_variance >= 0.0);
    assert_eq!(a.training.series.len(), 2);
    let s = &a.training.series[0];
    assert!(
        s.train_from < s.validation_from && s.validation_from < s.test_from,
        "{s:?}"
    );
    assert_eq!(a.features.len(), omni_core::features::FEATURES);
    // A model file reads back to the same model.
    let text = serde_json::to_string_pretty(&a).expect("json");
    assert_eq!(
        omni_core::ensemble::Model::from_json("m", &text).expect("parses"),
        a
    );
}

#[test]
fn the_test_split_is_never_seen_by_training() {
    let set = small_training_set();
    let model = train(
        Horizon::Short,
        &set,
        &TrainOptions {
            members: 2,
            max_epochs: 3,
            ..TrainOptions::default()
        },
    )
    .expect("trains");
    for (s, _) in &set {
        let all = samples(s, Horizon::Short).expect("samples");
        let test = omni_research::dataset::select(&all, Horizon::Short, Split::Test);
        let recorded = model
            .training
            .series
            .iter()
            .find(|x| x.name == s.name)
            .expect("recorded");
        assert_eq!(
            test.first().map(|x| x.ts.to_string()),
            Some(recorded.test_from.clone())
        );
        let train_part = omni_research::dataset::select(&all, Horizon::Short, Split::Train);
        assert!(train_part.last().expect("train").ts < test[0].ts);
    }
}

#[test]
fn a_model_file_with_other_features_is_refused() {
    let text = include_str!("../assets/models/short.json").replace("\"ret_48\"", "\"ret_96\"");
    let err = omni_core::ensemble::Model::from_json("short.json", &text).expect_err("refused");
    assert!(err.to_string().contains("features"), "{err}");
}

fn omni(args: &[&str]) -> (bool, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_omni-tui"))
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn eval_json_has_every_figure_for_every_model_that_ran_and_the_baselines() {
    // Three days of real minutes (one series: the files continue each other).
    let files: Vec<String> = ["01", "02", "03"]
        .iter()
        .map(|d| {
            data(&format!(
                "binance_vision_btcusdt_1m/BTCUSDT-1m-2023-03-{d}.csv"
            ))
            .display()
            .to_string()
        })
        .collect();
    let mut args = vec!["eval", "--json", "--resamples", "200", "--data"];
    args.extend(files.iter().map(String::as_str));
    let (ok, out, err) = omni(&args);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["split"], "all", "no model trained on these days");
    for m in [
        "short",
        "medium",
        "long",
        "ensemble_short",
        "ensemble_medium",
        "ensemble_long",
    ] {
        let r = &v["models"][m];
        if r["n"] == 0 {
            assert!(
                r["note"].is_string(),
                "a model that did not run says why: {r}"
            );
            assert!(r.get("accuracy").is_none());
            continue;
        }
        for k in [
            "accuracy",
            "brier",
            "brier_skill",
            "log_loss",
            "ece",
            "mce",
            "up_share",
            "top_decile_accuracy",
            "decisiveness_trend",
            "concentration_vs_decisiveness",
        ] {
            assert!(r[k].is_number(), "models.{m}.{k}: {r}");
        }
        // Equal-mass bins: at most 10, holding every forecast.
        let bins = r["reliability"].as_array().expect("bins");
        assert!(!bins.is_empty() && bins.len() <= 10, "{m}");
        let held: u64 = bins.iter().map(|b| b["n"].as_u64().expect("n")).sum();
        assert_eq!(Some(held), r["n"].as_u64(), "{m}");
        assert_eq!(
            r["by_decisiveness"].as_array().map(Vec::len),
            Some(10),
            "{m}"
        );
        assert_eq!(r["days"], 3, "{m}");
        // The interval holds the point estimate.
        let skill = r["brier_skill"].as_f64().expect("skill");
        let iv = &r["intervals"]["brier_skill"];
        assert!(
            iv["low"].as_f64() <= Some(skill) && Some(skill) <= iv["high"].as_f64(),
            "{m}: {iv}"
        );
        assert_eq!(r["intervals"]["resamples"], 200);
    }
    for m in ["short", "medium", "ensemble_short", "ensemble_medium"] {
        assert!(v["models"][m]["n"].as_u64() > Some(100), "{m}");
        let acc = v["models"][m]["accuracy"].as_f64().expect("accuracy");
        assert!((0.0..=1.0).contains(&acc));
    }
    for b in ["majority", "last_return"] {
        for k in ["accuracy", "brier"] {
            assert!(v["baselines"][b][k].is_number(), "baselines.{b}.{k}: {v}");
        }
    }
}

#[test]
fn eval_scores_only_the_test_split_of_a_models_own_training_file_unless_told() {
    // The fixture is the head of a file the bundled short model trained on
    // (same name under binance_spot/2023-01/).
    let file = data("binance_spot/2023-01/BTCUSDT_1m.csv");
    let file = file.to_str().expect("utf8");
    let (ok, out, err) = omni(&["eval", "--json", "--resamples", "0", "--data", file]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["split"], "test");
    assert!(
        v["split_reason"]
            .as_str()
            .expect("reason")
            .contains("training data"),
        "{v}"
    );
    let test_n = v["models"]["short"]["n"].as_u64().expect("n");
    // Asked for everything: it does so, and warns.
    let (ok, out, err) = omni(&[
        "eval",
        "--json",
        "--resamples",
        "0",
        "--split",
        "all",
        "--data",
        file,
    ]);
    assert!(ok, "{err}");
    assert!(err.contains("training data"), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["split"], "all");
    assert!(v["models"]["short"]["n"].as_u64().expect("n") > 3 * test_n);
}

#[test]
fn eval_dump_writes_one_row_per_scored_forecast() {
    let dir = tempfile::tempdir().expect("tmp");
    let dump = dir.path().join("predictions.csv");
    let file = data("binance_vision_btcusdt_1m/BTCUSDT-1m-2023-03-02.csv");
    let (ok, out, err) = omni(&[
        "eval",
        "--json",
        "--resamples",
        "0",
        "--dump",
        dump.to_str().expect("utf8"),
        "--data",
        file.to_str().expect("utf8"),
    ]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let text = std::fs::read_to_string(&dump).expect("dump");
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("model,series,time,p,alpha,beta,decisiveness,up")
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    for m in [
        "short",
        "medium",
        "long",
        "ensemble_short",
        "ensemble_medium",
        "ensemble_long",
    ] {
        let n = rows.iter().filter(|r| r[0] == m).count() as u64;
        assert_eq!(Some(n), v["models"][m]["n"].as_u64(), "{m}");
    }
    let mut hits = 0usize;
    for r in rows.iter().filter(|r| r[0] == "short") {
        assert_eq!(r.len(), 8, "{r:?}");
        let p: f64 = r[3].parse().expect("p");
        let (a, b): (f64, f64) = (r[4].parse().expect("a"), r[5].parse().expect("b"));
        assert!((p - a / (a + b)).abs() < 1e-3, "{r:?}");
        assert!(r[2].starts_with("2023-03-02"), "{r:?}");
        let up = match r[7] {
            "1" => true,
            "0" => false,
            other => panic!("up is {other}"),
        };
        hits += usize::from((p >= 0.5) == up);
    }
    // The rows are the forecasts scored: their accuracy is the report's.
    let n = v["models"]["short"]["n"].as_f64().expect("n");
    let acc = v["models"]["short"]["accuracy"].as_f64().expect("acc");
    assert!((hits as f64 / n - acc).abs() < 1e-9);
}

#[test]
fn eval_says_which_model_cannot_use_the_data_and_still_scores_the_rest() {
    let file = data("fx/xauusd_2025/XAUUSD_H1.csv");
    let arg = format!("{}@+03:00", file.display());
    let (ok, out, err) = omni(&["eval", "--data", &arg, "--json", "--split", "test"]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["models"]["short"]["n"], 0);
    assert!(
        v["models"]["short"]["note"]
            .as_str()
            .expect("note")
            .contains("needs M1 bars; the data is H1")
    );
    assert!(
        v["models"]["medium"]["note"]
            .as_str()
            .expect("note")
            .contains("needs M5")
    );
    assert!(v["models"]["long"]["n"].as_u64() > Some(1000));
}

#[test]
fn the_ensembles_are_fitted_on_validation_data_and_eval_scores_each_on_its_own_event() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().to_str().expect("utf8");
    // The bundled medium and long models (three days of minutes are too
    // few to train them), the short one trained here.
    for (name, text) in [
        ("medium.json", include_str!("../assets/models/medium.json")),
        ("long.json", include_str!("../assets/models/long.json")),
    ] {
        std::fs::write(dir.path().join(name), text).expect("model");
    }
    let days: Vec<String> = ["01", "02", "03"]
        .iter()
        .map(|d| {
            data(&format!(
                "binance_vision_btcusdt_1m/BTCUSDT-1m-2023-03-{d}.csv"
            ))
            .display()
            .to_string()
        })
        .collect();
    for model in ["short", "ensemble"] {
        let mut args = vec![
            "train",
            "--model",
            model,
            "--members",
            "3",
            "--out",
            out,
            "--data",
        ];
        args.extend(days.iter().map(String::as_str));
        let (ok, _, err) = omni(&args);
        assert!(ok, "{model}: {err}");
        if model == "ensemble" {
            assert!(
                err.contains("ensemble long: no validation forecasts"),
                "{err}"
            );
        }
    }
    let set = omni_research::models::load_dir(dir.path()).expect("loads");
    for t in [Horizon::Short, Horizon::Medium] {
        let st = set.stacking().stack(t);
        assert!(st.samples > 100, "{t:?}: {st:?}");
        assert!(st.weights.iter().all(|w| w.is_finite()) && st.log_loss > 0.0 && st.ridge > 0.0);
    }
    // Too little data for the long horizon: its ensemble is its model.
    assert_eq!(set.stacking().stack(Horizon::Long).weights, [0.0, 0.0, 1.0]);

    let mut args = vec![
        "eval",
        "--json",
        "--resamples",
        "0",
        "--models",
        out,
        "--data",
    ];
    args.extend(days.iter().map(String::as_str));
    let (ok, stdout, err) = omni(&args);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    for (m, target) in [
        ("ensemble_short", "short (5 × M1)"),
        ("ensemble_medium", "medium (12 × M5)"),
    ] {
        assert_eq!(v["models"][m]["target"], target);
        assert!(v["models"][m]["n"].as_u64() > Some(100), "{m}: {v}");
    }
    // The same forecasts as the model it stacks on are scored on the same
    // events: the short ensemble's n equals the short model's.
    assert_eq!(
        v["models"]["ensemble_short"]["n"],
        v["models"]["short"]["n"]
    );
}

#[test]
fn the_train_command_rebuilds_identical_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = data("binance_vision_btcusdt_1m/BTCUSDT-1m-2023-03-03.csv");
    let f = file.to_str().expect("utf8");
    for out in ["a", "b"] {
        let p = dir.path().join(out);
        let (ok, _, err) = omni(&[
            "train",
            "--model",
            "short",
            "--members",
            "3",
            "--data",
            f,
            "--out",
            p.to_str().expect("utf8"),
        ]);
        assert!(ok, "{err}");
    }
    let a = std::fs::read(dir.path().join("a/short.json")).expect("a");
    let b = std::fs::read(dir.path().join("b/short.json")).expect("b");
    assert_eq!(a, b);
}

#[test]
fn learning_feedback_scales_later_opportunities_and_survives_a_restart() {
    use omni_core::domain::{OpportunityKind, OrderId};
    use omni_core::engine::{Audit, Command};
    use omni_core::execution::ExecutionReport;
    use rust_decimal::Decimal;

    let mut h = common::Harness::new("[risk.signal.binary]\nmin_interval_secs = 0\n");
    let eur = h.inst("EUR/USD");
    assert_eq!(h.engine.feedback_scale(eur, OpportunityKind::Binary), 0.75);
    let mut audits: Vec<Audit> = Vec::new();
    let mut id = None;
    for chunk in 0..20 {
        audits.extend(h.fx_trend(chunk * 10_000, 10, "0.00001").audits);
        if let Some(o) = h
            .engine
            .opportunities()
            .iter()
            .find(|o| o.kind() == OpportunityKind::Binary)
        {
            id = Some(o.id);
            break;
        }
    }
    let t = h.engine.clock().millis() - common::T0;
    let out = h.cmd(Command::Approve(id.expect("a prediction")), t);
    audits.extend(out.audits.clone());
    let order = out.submits()[0].clone();
    audits.extend(
        h.report(ExecutionReport::Filled {
            order_id: order.id,
            trade_id: "L1".into(),
            qty: order.qty,
            price: Decimal::ONE,
            fee: Decimal::ZERO,
            ts: common::at(t + 10),
            contract: order.binary,
        })
        .audits,
    );
    let out = h.report(ExecutionReport::BinarySettled {
        order_id: OrderId(order.id.0),
        price: Decimal::ZERO,
        settle_price: Decimal::ONE,
        ts: common::at(t + 60_010),
    });
    assert!(out.audits.iter().any(|a| matches!(
        a,
        Audit::LearningChanged {
            wins: 0,
            losses: 1,
            ..
        }
    )));
    audits.extend(out.audits);
    let after = 0.5 + 0.5 / 3.0;
    assert!((h.engine.feedback_scale(eur, OpportunityKind::Binary) - after).abs() < 1e-12);
    // Quiet for a minute, the binary model restarts: it needs 30 s of samples.
    audits.extend(h.fx_trend(t + 61_000, 45, "0.00001").audits);
    let next = h
        .engine
        .opportunities()
        .iter()
        .find(|o| o.kind() == OpportunityKind::Binary)
        .expect("another prediction");
    assert!(
        (next.feedback_scale - after).abs() < 1e-12,
        "travels with the opportunity"
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let conn = omni_store::open(&dir.path().join("l.db")).expect("db");
    let mut w =
        omni_store::StoreWriter::begin_run(conn, &h.loaded.catalog, "t", 1, "t").expect("run");
    w.apply_batch([audits.as_slice()]).expect("write");
    drop(w);
    let conn = omni_store::open(&dir.path().join("l.db")).expect("db");
    let restored = omni_store::load_state(&conn, &h.loaded.catalog).expect("load");
    let mut fresh = Engine::new(&h.loaded.config.engine(), &h.loaded.catalog);
    fresh.restore(restored);
    assert!((fresh.feedback_scale(eur, OpportunityKind::Binary) - after).abs() < 1e-12);
}

#[test]
fn daily_files_given_one_by_one_make_one_series() {
    let days: Vec<String> = (1..=3)
        .map(|d| {
            data(&format!(
                "binance_vision_btcusdt_1m/BTCUSDT-1m-2023-03-0{d}.csv"
            ))
            .display()
            .to_string()
        })
        .collect();
    let one = omni_tui::cli::data::load_all(&days).expect("loads");
    assert_eq!(one.len(), 1, "three consecutive days are one series");
    assert_eq!(one[0].0.bars.len(), 3 * 1440);
    let mixed = omni_tui::cli::data::load_all(&[
        days[0].clone(),
        data("binance_spot/2023-01/ETHUSDT_1m.csv")
            .display()
            .to_string(),
    ])
    .expect("loads");
    assert_eq!(mixed.len(), 2, "a file from another time is its own series");
}

#[test]
fn settled_contracts_are_scored_against_the_probability_claimed_for_them() {
    use omni_core::domain::{OpportunityDetail, OpportunityKind};
    use omni_core::engine::Command;
    use omni_core::execution::ExecutionReport;
    use rust_decimal::Decimal;

    let mut h = common::Harness::new("[risk.signal.binary]\nmin_interval_secs = 0\n");
    assert!(h.engine.binary_score().is_none());
    let mut claimed = Vec::new();
    let mut start = 0;
    // Two predictions bought and settled: the first loses, the second wins.
    for (n, value) in [(0, Decimal::ZERO), (1, Decimal::new(185, 2))] {
        let mut found = None;
        for chunk in 0..40 {
            h.fx_trend(start + chunk * 10_000, 10, "0.00001");
            found = h
                .engine
                .opportunities()
                .iter()
                .find(|o| o.kind() == OpportunityKind::Binary)
                .cloned();
            if found.is_some() {
                break;
            }
        }
        let opp = found.expect("a prediction");
        let OpportunityDetail::Binary(b) = &opp.detail else {
            panic!("binary");
        };
        claimed.push(b.probability);
        let t = h.engine.clock().millis() - common::T0;
        let out = h.cmd(Command::Approve(opp.id), t);
        let order = out.submits()[0].clone();
        h.report(ExecutionReport::Filled {
            order_id: order.id,
            trade_id: format!("B{n}"),
            qty: order.qty,
            price: Decimal::ONE,
            fee: Decimal::ZERO,
            ts: common::at(t + 10),
            contract: order.binary,
        });
        h.report(ExecutionReport::BinarySettled {
            order_id: order.id,
            price: value,
            settle_price: Decimal::ONE,
            ts: common::at(t + 60_010),
        });
        start = t + 61_000;
    }
    let s = h.engine.binary_score().expect("two settled");
    assert_eq!(s.n, 2);
    assert!((s.claimed - (claimed[0] + claimed[1]) / 2.0).abs() < 1e-12);
    assert!((s.realized - 0.5).abs() < 1e-12);
    let brier = (claimed[0].powi(2) + (1.0 - claimed[1]).powi(2)) / 2.0;
    assert!((s.brier - brier).abs() < 1e-12, "{s:?}");
}
