//! Context features (other venues' lead, taker flow, the book): the same
//! numbers in the research path and the engine, a hand-computed lead, and
//! model files that name features this build does not compute.

mod common;

use omni_core::domain::{Bar, InstrumentId, Quote, Timeframe};
use omni_core::engine::{Engine, EngineEvent};
use omni_core::ensemble::{Horizon, Model, ModelSet};
use omni_core::features::{FEATURES, feature_index};
use omni_core::market::MarketEvent;
use omni_research::dataset::samples;
use omni_research::history::{Series, load_series};
use rust_decimal::Decimal;
use std::path::PathBuf;
use std::sync::Arc;

fn data(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/data")
        .join(rel)
}

/// The bundled short model with the two cross-venue features added
/// (standardised as is, weight `w` in every member).
fn short_with_lead(w: f64) -> Model {
    let mut v: serde_json::Value =
        serde_json::from_str(include_str!("../assets/models/short.json")).expect("json");
    for f in ["xv_premium", "xv_ret_1"] {
        v["features"]
            .as_array_mut()
            .expect("features")
            .push(f.into());
        v["feature_mean"]
            .as_array_mut()
            .expect("mean")
            .push(0.0.into());
        v["feature_std"]
            .as_array_mut()
            .expect("std")
            .push(1.0.into());
    }
    for m in v["members"].as_array_mut().expect("members") {
        let m = m.as_array_mut().expect("member");
        // Weights, then the bias last.
        let bias = m.pop().expect("bias");
        m.push(w.into());
        m.push(w.into());
        m.push(bias);
    }
    Model::from_json("short+lead", &v.to_string()).expect("a model reading the lead loads")
}

/// Binance minutes of 2023-03-01 with Binance.US BTC/USDC of the same
/// morning as the other venue.
fn two_venues() -> Series {
    let mut s = load_series(
        &data("binance_vision_btcusdt_1m/BTCUSDT-1m-2023-03-01.csv"),
        0,
    )
    .expect("primary");
    s.other_venues.push(
        load_series(
            &data("cross_venue/binanceus_2023-03/BTCUSDC_1m_20230301_20230321.csv"),
            0,
        )
        .expect("other venue"),
    );
    s
}

/// Feeds the primary's minutes to an engine as history bars, each after
/// the other venue's quote (mid = its close) when `with_other`; returns
/// every short reading (time, Beta, features missing).
fn engine_readings(
    models: &ModelSet,
    s: &Series,
    with_other: bool,
) -> Vec<omni_core::ensemble::tracker::Reading> {
    let loaded = common::load("");
    let mut engine = Engine::new(&loaded.config.engine(), &loaded.catalog);
    engine.set_models(Arc::new(models.clone()));
    let btc = InstrumentId(0);
    let kraken = loaded.catalog.venue_by_name("kraken").expect("kraken");
    assert_eq!(loaded.catalog.instrument(btc).venues[1], kraken);
    let other = &s.other_venues[0].bars;
    let mut readings = Vec::new();
    for b in &s.bars {
        if with_other && let Some(o) = other.iter().find(|o| o.ts == b.ts) {
            let tick = Decimal::new(1, 2);
            let q = Quote {
                venue: kraken,
                instrument: btc,
                bid: o.close - tick,
                ask: o.close + tick,
                bid_qty: Decimal::ONE,
                ask_qty: Decimal::ONE,
                // Stamped at the minute's close, as the research path
                // dates another venue's bar.
                ts: b.ts.plus(Timeframe::M1.nanos()),
            };
            engine.process(EngineEvent::Market(MarketEvent::Quote(q)));
        }
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
            .and_then(|t| t.readings()[Horizon::Short.index()])
            && readings.last() != Some(&r)
        {
            readings.push(r);
        }
    }
    readings
}

#[test]
fn the_engine_computes_the_lead_features_exactly_as_the_research_path() {
    let s = two_venues();
    let model = short_with_lead(0.5);
    let models = ModelSet::new([Some(model.clone()), None, None]);
    let readings = engine_readings(&models, &s, true);
    let expected = samples(&s, Horizon::Short).expect("samples");
    let with_lead = expected
        .iter()
        .filter(|x| x.x.available[FEATURES] && x.x.available[FEATURES + 1])
        .count();
    assert!(with_lead > 100, "{with_lead} samples with the lead");
    assert!(expected.len() > 1000);
    for x in &expected {
        let r = readings
            .iter()
            .find(|r| r.at == x.ts)
            .expect("the engine forecast at the same bar");
        let (out, missing) = model.predict_counting(&x.x);
        assert_eq!((r.out, r.missing), (out, missing), "at {}", x.ts);
    }
}

#[test]
fn with_a_second_venue_quoting_the_short_reading_uses_the_lead() {
    let s = two_venues();
    let models = ModelSet::new([Some(short_with_lead(0.5)), None, None]);
    let two = engine_readings(&models, &s, true);
    let one = engine_readings(&models, &s, false);
    assert_eq!(two.len(), one.len());
    // While the other venue quotes (its first 200 minutes, after warm-up),
    // the lead moves the forecast; a lone venue misses both lead features.
    let differing = two.iter().zip(&one).filter(|(a, b)| a.out != b.out).count();
    assert!(differing > 100, "{differing} readings differ");
    assert!(two.iter().any(|r| r.missing == 0));
    assert!(one.iter().all(|r| r.missing == 2), "{:?}", one.first());
    // Once the other venue has gone quiet for more than ten bars its last
    // quote is stale: the same reading as with one venue.
    assert_eq!(two.last().map(|r| r.out), one.last().map(|r| r.out));
}

#[test]
fn the_lead_of_one_venue_matches_a_hand_computation() {
    // The primary alternates 100, 101 (every return is ln 1.01, so σ is
    // exactly ln 1.01); the other venue stands 0.2 % above it, except at
    // minute 60 when it stands 0.5 % above.
    let dir = tempfile::tempdir().expect("tmp");
    let t0 = 1_677_628_800i64;
    let (mut a, mut b) = (String::new(), String::new());
    let primary = |i: i64| -> f64 { if i % 2 == 0 { 100.0 } else { 101.0 } };
    let other = |i: i64| primary(i) * if i == 60 { 1.005 } else { 1.002 };
    for i in 0..70 {
        let (p, o) = (primary(i), other(i));
        a.push_str(&format!("{},{p},{p},{p},{p},1\n", t0 + 60 * i));
        b.push_str(&format!("{},{o:.4},{o:.4},{o:.4},{o:.4},1\n", t0 + 60 * i));
    }
    let (pa, pb) = (dir.path().join("a.csv"), dir.path().join("b.csv"));
    std::fs::write(&pa, a).expect("a");
    std::fs::write(&pb, b).expect("b");
    // Joined as the command line joins them: PRIMARY,OTHER.
    let arg = format!("{},{}", pa.display(), pb.display());
    let loaded = omni_tui::cli::data::load_all(&[arg]).expect("loads");
    assert_eq!(loaded.len(), 1);
    let s = &loaded[0].0;
    assert_eq!(s.other_venues.len(), 1);
    let all = samples(s, Horizon::Short).expect("samples");
    let at = |i: i64| {
        all.iter()
            .find(|x| x.ts.0 == (t0 + 60 * (i + 1)) * 1_000_000_000)
            .expect("a sample at that bar")
    };
    let sigma = 1.01f64.ln();
    let (p, r) = (
        feature_index("xv_premium").expect("p"),
        feature_index("xv_ret_1").expect("r"),
    );
    let x = at(60);
    assert!(x.x.available[p] && x.x.available[r]);
    let premium = (1.005f64.ln() - 1.002f64.ln()) / sigma;
    assert!(
        (x.x.values[p] - premium).abs() < 1e-6,
        "{} vs {premium}",
        x.x.values[p]
    );
    let lead = (other(60) / other(59)).ln() / sigma;
    assert!(
        (x.x.values[r] - lead).abs() < 1e-6,
        "{} vs {lead}",
        x.x.values[r]
    );
    // A steady premium is no lead: 0 deviation, and the other venue's
    // return equals the primary's own.
    let y = at(58);
    assert!(
        x.x.values[p] > 0.25 && y.x.values[p].abs() < 1e-6,
        "{}",
        y.x.values[p]
    );
    assert!((y.x.values[r] - y.x.values[0]).abs() < 1e-6);
    // No taker split in these files, no book in history: not available.
    assert!(!x.x.available[feature_index("taker_buy").expect("t")]);
    assert!(!x.x.available[feature_index("book_imbalance").expect("b")]);
}

#[test]
fn a_model_file_naming_a_feature_this_build_does_not_compute_is_refused() {
    let text =
        include_str!("../assets/models/short.json").replace("\"weekday_cos\"", "\"book_depth_5\"");
    let err = Model::from_json("short.json", &text).expect_err("refused");
    let msg = err.to_string();
    assert!(
        msg.contains("`book_depth_5`") && msg.contains("does not compute"),
        "{msg}"
    );
    // A feature named twice is refused too.
    let twice = include_str!("../assets/models/short.json").replace("\"weekday_cos\"", "\"ret_1\"");
    assert!(Model::from_json("short.json", &twice).is_err());
    // The shipped files, written before the context features, load as they are.
    let set = ModelSet::bundled().expect("bundled models load");
    for h in Horizon::ALL {
        assert_eq!(set.get(h).expect("model").features.len(), FEATURES);
    }
}

#[test]
fn taker_volume_of_binance_klines_becomes_the_order_flow_feature() {
    let s = load_series(
        &data("binance_vision_btcusdt_1m/BTCUSDT-1m-2023-03-01.csv"),
        0,
    )
    .expect("data");
    let taker = s
        .taker_buy
        .as_ref()
        .expect("kline files carry taker volume");
    let all = samples(&s, Horizon::Short).expect("samples");
    let k = feature_index("taker_buy").expect("taker");
    let x = &all[0];
    let i = s
        .bars
        .iter()
        .position(|b| b.ts.plus(Timeframe::M1.nanos()) == x.ts)
        .expect("its bar");
    let share = (taker[i] / s.bars[i].volume)
        .to_string()
        .parse::<f64>()
        .expect("f64");
    assert!(x.x.available[k]);
    assert!((x.x.values[k] - (2.0 * share - 1.0)).abs() < 1e-12);
}

#[test]
fn the_engine_counts_the_taker_side_of_the_primary_venues_trades_per_bar() {
    use omni_core::domain::{Aggressor, Trade};
    let loaded = common::load("");
    let mut engine = Engine::new(&loaded.config.engine(), &loaded.catalog);
    let btc = InstrumentId(0);
    let binance = loaded.catalog.instrument(btc).primary_venue();
    let kraken = loaded.catalog.venue_by_name("kraken").expect("kraken");
    let minute = omni_core::domain::Timestamp::from_secs(1_741_071_600);
    let trade = |venue, secs: i64, qty: i64, aggressor| Trade {
        venue,
        instrument: btc,
        price: Decimal::from(90_000),
        qty: Decimal::from(qty),
        aggressor,
        ts: minute.plus_secs(secs),
    };
    for t in [
        trade(binance, 1, 3, Aggressor::Buy),
        trade(binance, 20, 1, Aggressor::Sell),
        // Another venue's trades are not the primary's flow.
        trade(kraken, 30, 50, Aggressor::Sell),
        trade(binance, 61, 2, Aggressor::Sell),
    ] {
        engine.process(EngineEvent::Market(MarketEvent::Trade(t)));
    }
    let tracker = engine.tracker(btc).expect("tracker");
    assert_eq!(tracker.taker_buy_share(Timeframe::M1, minute), Some(0.75));
    assert_eq!(
        tracker.taker_buy_share(Timeframe::M1, minute.plus_secs(60)),
        Some(0.0)
    );
}
