//! Every number in the configuration has a range: a table walks every
//! numeric key of `omni.toml.example` (each element of each `[[array]]`
//! too) with NaN, infinities, negatives, zero, huge values and wrong types,
//! and each value outside the key's range is refused with the file, the
//! line and the key. The reproduced faults of issue 10 have a test each,
//! and so do the files a run opens, which `omni-tui config` checks as the
//! run reads them.

use omni_core::validation::KeyPath;
use omni_tui::config::{ConfigError, ConfigOrigin, LoadedConfig, parse_str};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

const FILE: &str = "ranges.toml";

/// One kind of value tried on every key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Case {
    Nan,
    Negative,
    Zero,
    Huge,
    WrongType,
}

use Case::*;

/// The TOML literals of each case. Integers and floats both, so an integer
/// key sees a float (a wrong type) and a float key an integer (which it
/// accepts as a number); money keys also see the largest `Decimal`, bare
/// (past TOML's 64-bit integers) and as a string (which a Decimal accepts).
const LITERALS: &[(Case, &[&str])] = &[
    (Nan, &["nan"]),
    (Negative, &["-1", "-1.5", "-100", "-inf"]),
    (Zero, &["0", "0.0"]),
    (
        Huge,
        &[
            "9223372036854775807",
            "1e30",
            "inf",
            "79228162514264337593543950335",
            "\"79228162514264337593543950335\"",
        ],
    ),
    (WrongType, &["\"x\"", "true"]),
];

/// The cases a key accepts (at least one literal of each passes); every
/// other case must be refused with file, line and key. A key is written
/// with `[]` for any array index and `*` for any feed venue.
const ALLOWED: &[(&str, &[Case])] = &[
    // Any seed is a seed.
    ("general.seed", &[Zero, Huge]),
    ("market.demo.quote_interval_ms", &[]),
    ("market.demo.trade_interval_ms", &[]),
    // No basis, no dislocations: venues quote the reference as it was.
    ("market.demo.basis_bps", &[Zero]),
    ("market.demo.basis_halflife_secs", &[]),
    ("market.demo.dislocations_per_hour", &[Zero]),
    ("market.demo.dislocation_mean_pct", &[Zero]),
    ("market.demo.dislocation_max_pct", &[Zero]),
    ("market.demo.dislocation_secs", &[]),
    ("market.demo.series[].spread_bps", &[Zero]),
    ("market.demo.series[].top_qty", &[]),
    // The reference venue runs no lag.
    ("market.demo.venues[].lag_ms", &[Zero]),
    ("market.demo.venues[].spread_mult", &[Zero]),
    ("market.demo.venues[].size_mult", &[]),
    ("market.replay.speed", &[]),
    // No minute or no hourly bars: that part of the back-fill is skipped.
    ("market.backfill.m1_bars", &[Zero]),
    ("market.backfill.h1_bars", &[Zero]),
    ("market.backfill.timeout_secs", &[]),
    ("feeds.*.heartbeat_secs", &[]),
    ("feeds.*.max_frame_bytes", &[]),
    ("feeds.*.max_connection_hours", &[]),
    // OANDA charges no fee; the paper venue may answer at once.
    ("venues[].taker_fee_pct", &[Zero]),
    ("venues[].maker_fee_pct", &[Zero]),
    ("venues[].order_latency_ms", &[Zero]),
    ("instruments[].tick_size", &[]),
    ("instruments[].lot_size", &[]),
    ("instruments[].min_qty", &[]),
    ("accounts[].balance", &[]),
    ("accounts[].leverage", &[]),
    ("scanners.arbitrage.min_net_pct", &[Zero]),
    ("scanners.arbitrage.top_n", &[]),
    ("scanners.arbitrage.ttl_secs", &[]),
    ("scanners.arbitrage.max_quote_age_ms", &[]),
    ("scanners.triangular.min_net_pct", &[Zero]),
    ("scanners.triangular.top_n", &[]),
    ("scanners.triangular.ttl_secs", &[]),
    ("scanners.triangular.max_quote_age_ms", &[]),
    ("scanners.triangular.leg_slack", &[Zero]),
    // Limits at the seen prices.
    ("scanners.arbitrage.leg_slack", &[Zero]),
    ("scanners.forex.rsi_period", &[]),
    // Never oversold: no buys from RSI.
    ("scanners.forex.rsi_oversold", &[Zero]),
    ("scanners.forex.rsi_overbought", &[]),
    ("scanners.forex.sma_fast", &[]),
    ("scanners.forex.sma_slow", &[]),
    ("scanners.forex.atr_period", &[]),
    ("scanners.forex.stop_atr", &[]),
    ("scanners.forex.take_atr", &[]),
    ("scanners.forex.ttl_secs", &[]),
    ("scanners.binary.expiry_secs", &[]),
    ("scanners.binary.payout", &[]),
    ("scanners.binary.halflife_secs", &[]),
    ("scanners.binary.min_samples", &[]),
    ("scanners.binary.drift_prior_ratio", &[]),
    ("scanners.binary.min_probability", &[]),
    ("scanners.binary.ttl_secs", &[]),
    // Zero tolerance: the terms must be exactly as shown.
    ("approval.shown_price_tolerance_pct", &[Zero]),
    ("approval.shown_edge_tolerance_pct", &[Zero]),
    ("scanners.arbitrage.auto_min_net_pct", &[Zero]),
    ("scanners.arbitrage.auto_max_risk_score", &[]),
    ("scanners.triangular.auto_min_net_pct", &[Zero]),
    ("scanners.triangular.auto_max_risk_score", &[]),
    // 0: every trade the calibrated numbers expect to win.
    ("scanners.forex.auto_min_expected_r", &[Zero]),
    ("scanners.binary.auto_min_expected_value", &[Zero]),
    ("scanners.binary.auto_expiry_secs", &[]),
    ("risk.daily_trade_limit", &[]),
    ("risk.daily_loss_limit", &[]),
    // 0 turns the loss-streak cooldown off.
    ("risk.loss_streak_limit", &[Zero]),
    ("risk.loss_streak_cooldown_secs", &[]),
    ("risk.max_position_pct", &[]),
    ("risk.max_order_notional", &[]),
    ("risk.price_collar_pct", &[]),
    ("risk.reference_collar_pct", &[]),
    ("risk.max_quote_age_ms", &[]),
    ("risk.max_orders_per_minute", &[]),
    ("risk.level_medium_at", &[]),
    ("risk.level_high_at", &[]),
    // Any confidence, and no minimum time between entries.
    ("risk.signal.arbitrage.min_confidence", &[Zero]),
    ("risk.signal.arbitrage.min_interval_secs", &[Zero]),
    ("risk.signal.triangular.min_confidence", &[Zero]),
    ("risk.signal.triangular.min_interval_secs", &[Zero]),
    ("risk.signal.forex.min_confidence", &[Zero]),
    ("risk.signal.forex.min_interval_secs", &[Zero]),
    ("risk.signal.binary.min_confidence", &[Zero]),
    ("risk.signal.binary.min_interval_secs", &[Zero]),
    ("risk.prop_firm.daily_loss_pct", &[]),
    ("risk.prop_firm.max_drawdown_pct", &[]),
    // No buffer: REDUCING at the firm's own limit.
    ("risk.prop_firm.buffer_pct", &[Zero]),
    ("risk.profiles.conservative.arbitrage_alloc_pct", &[]),
    ("risk.profiles.conservative.risk_per_trade_pct", &[]),
    ("risk.profiles.conservative.binary_stake_pct", &[]),
    ("risk.profiles.balanced.arbitrage_alloc_pct", &[]),
    ("risk.profiles.balanced.risk_per_trade_pct", &[]),
    ("risk.profiles.balanced.binary_stake_pct", &[]),
    ("risk.profiles.aggressive.arbitrage_alloc_pct", &[]),
    ("risk.profiles.aggressive.risk_per_trade_pct", &[]),
    ("risk.profiles.aggressive.binary_stake_pct", &[]),
    ("quarantine.band_pct", &[]),
    ("quarantine.confirm_secs", &[]),
    ("quarantine.reference_max_age_secs", &[]),
    // Orders fill at the seen price; a sell-back at fair value.
    ("paper.latency_jitter_ms", &[Zero]),
    ("paper.slippage_bps", &[Zero]),
    ("paper.depth_multiple", &[]),
    ("paper.binary_sellback_haircut_pct", &[Zero]),
    // 0 switches each alert rule and kill trigger off.
    ("alerts.feed_down_secs", &[Zero]),
    ("alerts.daily_loss_share", &[Zero]),
    ("alerts.broker_down_secs", &[Zero]),
    ("alerts.reconciliation_checks", &[Zero]),
    ("alerts.prop_share", &[Zero]),
    ("kill_triggers.daily_loss_pct", &[Zero]),
    ("kill_triggers.max_trades", &[Zero]),
    ("kill_triggers.max_position_value_pct", &[Zero]),
    ("kill_triggers.feed_down_secs", &[Zero]),
    ("kill_triggers.broker_down_secs", &[Zero]),
];

fn parse_in(text: &str, dir: &Path) -> Result<LoadedConfig, ConfigError> {
    parse_str(text, ConfigOrigin::File(FILE.into()), dir.to_path_buf())
}

fn parse(text: &str) -> Result<LoadedConfig, ConfigError> {
    parse_in(text, Path::new(env!("CARGO_MANIFEST_DIR")))
}

/// Every numeric leaf of a TOML value, with its key path.
fn numeric_keys(prefix: &str, v: &toml::Value, out: &mut Vec<String>) {
    let join = |k: &str| {
        if prefix.is_empty() {
            k.to_string()
        } else {
            format!("{prefix}.{k}")
        }
    };
    match v {
        toml::Value::Table(t) => t.iter().for_each(|(k, v)| numeric_keys(&join(k), v, out)),
        toml::Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, v)| numeric_keys(&format!("{prefix}[{i}]"), v, out)),
        toml::Value::Integer(_) | toml::Value::Float(_) => out.push(prefix.to_string()),
        _ => {}
    }
}

/// `accounts[3].balance` → `accounts[].balance`; `feeds.kraken.url` →
/// `feeds.*.url`.
fn pattern(key: &str) -> String {
    let mut out = String::new();
    let mut in_index = false;
    for c in key.chars() {
        match c {
            '[' => {
                in_index = true;
                out.push('[');
            }
            ']' => {
                in_index = false;
                out.push(']');
            }
            _ if in_index => {}
            _ => out.push(c),
        }
    }
    match out.strip_prefix("feeds.").and_then(|r| r.split_once('.')) {
        Some((_, rest)) => format!("feeds.*.{rest}"),
        None => out,
    }
}

/// The example with the value of the key on `line` replaced by `literal`.
fn with_value(example: &str, line: usize, leaf: &str, literal: &str) -> String {
    let mut out = String::new();
    for (i, l) in example.lines().enumerate() {
        if i + 1 == line {
            let (key, _) = l.split_once('=').expect("a key = value line");
            assert_eq!(key.trim(), leaf, "line {line} holds the key");
            out.push_str(&format!("{} = {literal}", key.trim_end()));
        } else {
            out.push_str(l);
        }
        out.push('\n');
    }
    out
}

fn leaf_of(key: &str) -> &str {
    key.rsplit('.').next().expect("a key")
}

/// What trying every literal on one key found: the failures, and how many
/// values were tried and refused.
fn walk_key(example: &str, key: &str, ok_cases: &[Case]) -> (Vec<String>, usize, usize) {
    let (mut failures, mut tried, mut refused) = (Vec::new(), 0, 0);
    let line = KeyPath::parse(key)
        .line_in(example)
        .expect("the key's line");
    for &(case, literals) in LITERALS {
        let mut accepted = Vec::new();
        for literal in literals.iter() {
            tried += 1;
            let text = with_value(example, line, leaf_of(key), literal);
            match parse(&text) {
                Ok(_) => accepted.push(*literal),
                Err(e) => {
                    refused += 1;
                    let shown = e.to_string();
                    if !placed(&shown, line, key) {
                        failures.push(format!(
                            "{key} = {literal}: refused without `{FILE}:{line}: key `{key}``: \
                             {shown}"
                        ));
                    }
                }
            }
        }
        let expect_ok = ok_cases.contains(&case);
        if !expect_ok && !accepted.is_empty() {
            failures.push(format!("{key}: {case:?} accepted: {accepted:?}"));
        }
        if expect_ok && accepted.is_empty() {
            failures.push(format!(
                "{key}: {case:?} is listed as allowed but every literal was refused"
            ));
        }
    }
    (failures, tried, refused)
}

#[test]
fn every_numeric_key_refuses_what_is_out_of_its_range_with_file_line_and_key() {
    let example = omni_core::defaults::TOML;
    parse(example).expect("the example itself is in range");
    let value: toml::Value = toml::from_str(example).expect("toml");
    let mut keys = Vec::new();
    numeric_keys("", &value, &mut keys);
    let allowed: BTreeMap<&str, &[Case]> = ALLOWED.iter().copied().collect();
    assert_eq!(allowed.len(), ALLOWED.len(), "a key listed twice");

    let mut unlisted = BTreeSet::new();
    let mut seen = BTreeSet::new();
    let mut work = Vec::new();
    for key in &keys {
        let pat = pattern(key);
        match allowed.get(pat.as_str()) {
            Some(ok_cases) => work.push((key.as_str(), *ok_cases)),
            None => {
                unlisted.insert(pat.clone());
            }
        }
        seen.insert(pat);
    }
    let stale: Vec<_> = allowed.keys().filter(|k| !seen.contains(**k)).collect();
    assert!(
        unlisted.is_empty(),
        "numeric keys with no expectations (give each a range and a row in ALLOWED): {unlisted:?}"
    );
    assert!(
        stale.is_empty(),
        "rows for keys the example does not have: {stale:?}"
    );

    // About 2000 loads: spread over the cores.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = work.len().div_ceil(threads);
    let results: Vec<(Vec<String>, usize, usize)> = std::thread::scope(|scope| {
        let handles: Vec<_> = work
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|(key, ok)| walk_key(example, key, ok))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a worker"))
            .collect()
    });
    let failures: Vec<String> = results.iter().flat_map(|r| r.0.clone()).collect();
    let tried: usize = results.iter().map(|r| r.1).sum();
    let refused: usize = results.iter().map(|r| r.2).sum();
    assert!(
        failures.is_empty(),
        "{} of {tried} values:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // Every key of the example (each array element and feed), every literal.
    let per_key: usize = LITERALS.iter().map(|(_, l)| l.len()).sum();
    assert_eq!(tried, keys.len() * per_key);
    assert!(keys.len() >= 100, "{} numeric keys", keys.len());
    eprintln!(
        "{} numeric keys ({} patterns) × {per_key} values = {tried} tried, {refused} refused",
        keys.len(),
        allowed.len()
    );
}

/// The error of a file that must be refused, and that it names the line
/// and the key.
fn refused(text: &str, line: usize, key: &str) -> String {
    refused_in(text, Path::new(env!("CARGO_MANIFEST_DIR")), line, key)
}

fn refused_in(text: &str, dir: &Path, line: usize, key: &str) -> String {
    let e = parse_in(text, dir).expect_err("refused");
    let shown = e.to_string();
    assert!(placed(&shown, line, key), "{shown}");
    shown
}

/// Whether a refusal starts at `FILE:line` (with a column, for a value
/// that is not valid TOML) and names `key`.
fn placed(shown: &str, line: usize, key: &str) -> bool {
    let Some(rest) = shown.strip_prefix(&format!("{FILE}:{line}:")) else {
        return false;
    };
    let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit());
    let rest = rest.strip_prefix(':').unwrap_or(rest);
    rest.starts_with(&format!(" key `{key}`: "))
}

#[test]
fn a_balance_past_any_account_is_refused_not_a_panic_in_the_gate() {
    let account = |balance: &str| {
        format!(
            "[[accounts]]\nname = \"a\"\ntype = \"spot\"\nprofile = \"balanced\"\n\
             currency = \"USDT\"\nbalance = {balance}\nbroker = \"paper\"\n\n\
             [[accounts]]\nname = \"b\"\ntype = \"binary\"\nprofile = \"balanced\"\n\
             currency = \"USD\"\nbalance = {balance}\nbroker = \"paper\"\n"
        )
    };
    let e = refused(
        &account("79228162514264337593543950335"),
        6,
        "accounts[0].balance",
    );
    assert!(e.contains("at most 9_223_372_036_854_775_807"), "{e}");
    let e = refused(
        &account("\"79228162514264337593543950335\""),
        6,
        "accounts[0].balance",
    );
    assert!(
        e.contains("at most 1_000_000_000_000_000, got 79228162514264337593543950335"),
        "{e}"
    );
    parse(&format!("routes = []\n{}", account("1000000000000000")))
        .expect("10^15 is the most an account may hold");
}

#[test]
fn huge_durations_are_refused_and_cannot_wrap_into_the_past() {
    let e = refused(
        "[risk]\nloss_streak_cooldown_secs = 9223372036854775807\n",
        2,
        "risk.loss_streak_cooldown_secs",
    );
    assert!(e.contains("between 1 and 604_800"), "{e}");
    refused(
        "[risk.signal.forex]\nmin_interval_secs = 9223372036854775807\n",
        2,
        "risk.signal.forex.min_interval_secs",
    );
    refused(
        "[risk.signal.arbitrage]\nmin_interval_secs = 9300000000000\n",
        2,
        "risk.signal.arbitrage.min_interval_secs",
    );
    refused(
        "[scanners.binary]\nexpiry_secs = 9223372036854775807\n",
        2,
        "scanners.binary.expiry_secs",
    );
    refused(
        "[scanners.binary]\nexpiry_secs = 10000000000\n",
        2,
        "scanners.binary.expiry_secs",
    );
    // And were one to get past: the conversions saturate.
    let now = omni_core::domain::Timestamp::from_secs(1_741_071_600);
    assert!(now.plus_secs(i64::MAX) > now);
    assert!(now.plus_millis(i64::MAX) > now);
}

#[test]
fn nan_confidence_is_refused() {
    for kind in ["arbitrage", "forex", "binary"] {
        let e = refused(
            &format!("[risk.signal.{kind}]\nmin_confidence = nan\n"),
            2,
            &format!("risk.signal.{kind}.min_confidence"),
        );
        assert!(e.contains("between 0 and 1, got NaN"), "{e}");
    }
    refused(
        "[scanners.forex]\nauto_min_expected_r = nan\n",
        2,
        "scanners.forex.auto_min_expected_r",
    );
}

#[test]
fn limits_that_would_refuse_every_trade_are_refused() {
    let e = refused(
        "[risk]\ndaily_loss_limit = -100\n",
        2,
        "risk.daily_loss_limit",
    );
    assert!(e.contains("got -100"), "{e}");
    refused(
        "[risk]\nmax_orders_per_minute = 0\n",
        2,
        "risk.max_orders_per_minute",
    );
    refused(
        "[risk]\ndaily_trade_limit = 0\n",
        2,
        "risk.daily_trade_limit",
    );
    refused(
        "[risk]\nmax_order_notional = 0\n",
        2,
        "risk.max_order_notional",
    );
}

#[test]
fn a_demo_that_would_fill_memory_is_refused() {
    let e = refused(
        "[market.demo]\ndislocations_per_hour = 1e12\n",
        2,
        "market.demo.dislocations_per_hour",
    );
    assert!(e.contains("between 0 and 3600"), "{e}");
    refused(
        "[market.demo]\nquote_interval_ms = 0\n",
        2,
        "market.demo.quote_interval_ms",
    );
}

#[test]
fn negative_slippage_is_refused() {
    let e = refused("[paper]\nslippage_bps = -1000\n", 2, "paper.slippage_bps");
    assert!(e.contains("between 0 and 1000, got -1000"), "{e}");
}

#[test]
fn range_errors_name_the_element_of_an_array() {
    let text = omni_core::defaults::TOML.replacen("top_qty = 25.0", "top_qty = -25.0", 1);
    let line = 1 + text[..text.find("top_qty = -25.0").expect("edited")]
        .matches('\n')
        .count();
    refused(&text, line, "market.demo.series[1].top_qty");
}

/// A series file with `rows` minutes, the first at `start` (Unix seconds).
fn series(rows: usize) -> String {
    let mut s = String::from("time,open,high,low,close,volume\n");
    for i in 0..rows {
        let t = 1_700_000_040 + 60 * i as i64;
        s.push_str(&format!("{t},100,101,99,100.5,10\n"));
    }
    s
}

fn series_config(file: &str, history: &str) -> String {
    format!(
        "[[market.demo.series]]\ninstrument = \"BTC/USDT\"\nfile = \"{file}\"\n\
         history_h1 = \"{history}\"\nspread_bps = 0.4\ntop_qty = 2.0\n"
    )
}

#[test]
fn series_files_are_read_as_the_demo_reads_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::write(d.join("mine.csv"), series(400)).expect("write");
    std::fs::write(d.join("short.csv"), series(10)).expect("write");
    std::fs::write(d.join("broken.csv"), "time,open\nyesterday,1\n").expect("write");
    std::fs::create_dir(d.join("folder.csv")).expect("mkdir");
    parse_in(&series_config("mine.csv", ""), d).expect("a readable series of 400 minutes");
    parse_in(&series_config("mine.csv", "mine.csv"), d).expect("and as its hourly history");
    let e = refused_in(
        &series_config("gone.csv", ""),
        d,
        3,
        "market.demo.series[0].file",
    );
    assert!(e.contains("gone.csv"), "{e}");
    refused_in(
        &series_config("folder.csv", ""),
        d,
        3,
        "market.demo.series[0].file",
    );
    let e = refused_in(
        &series_config("short.csv", ""),
        d,
        3,
        "market.demo.series[0].file",
    );
    assert!(e.contains("shorter than"), "{e}");
    let e = refused_in(
        &series_config("broken.csv", ""),
        d,
        3,
        "market.demo.series[0].file",
    );
    assert!(e.contains("broken.csv"), "{e}");
    let e = refused_in(
        &series_config("mine.csv", "gone_h1.csv"),
        d,
        4,
        "market.demo.series[0].history_h1",
    );
    assert!(e.contains("gone_h1.csv"), "{e}");
    // The run reads them through the same reader.
    let loaded = parse_in(&series_config("mine.csv", "mine.csv"), d).expect("valid");
    omni_tui::setup::demo_driver(&loaded, 7, Default::default()).expect("the demo runs on it");
}

#[test]
fn replay_files_must_open() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::create_dir(d.join("captures")).expect("mkdir");
    let text = |file: &str| {
        format!("[market]\nsource = \"replay\"\n\n[market.replay]\nfiles = [\"{file}\"]\n")
    };
    let e = refused_in(&text("gone.jsonl"), d, 5, "market.replay.files[0]");
    assert!(e.contains("gone.jsonl"), "{e}");
    refused_in(&text("captures"), d, 5, "market.replay.files[0]");
}

fn copy_bundled_models(to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for h in ["short", "medium", "long"] {
        let from = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("assets/models")
            .join(format!("{h}.json"));
        std::fs::copy(from, to.join(format!("{h}.json"))).expect("copy");
    }
}

#[test]
fn models_dir_is_read_as_the_run_reads_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let text = |models: &str| format!("[ensemble]\nenabled = true\nmodels_dir = \"{models}\"\n");
    let e = refused_in(&text("gone"), d, 3, "ensemble.models_dir");
    assert!(e.contains("not a readable directory"), "{e}");
    std::fs::create_dir(d.join("empty")).expect("mkdir");
    let e = refused_in(&text("empty"), d, 3, "ensemble.models_dir");
    assert!(e.contains("no short.json"), "{e}");
    std::fs::create_dir(d.join("broken")).expect("mkdir");
    std::fs::write(d.join("broken/short.json"), "{ not json").expect("write");
    let e = refused_in(&text("broken"), d, 3, "ensemble.models_dir");
    assert!(e.contains("short.json"), "{e}");
    copy_bundled_models(&d.join("trained"));
    let loaded = parse_in(&text("trained"), d).expect("trained models");
    let set = omni_tui::setup::load_models(&loaded).expect("the run reads them too");
    assert!(!set.is_empty());
    // Disabled, the directory is not opened.
    parse_in("[ensemble]\nenabled = false\nmodels_dir = \"gone\"\n", d)
        .expect("a disabled ensemble reads no models");
}

fn omni(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_omni-tui"));
    c.current_dir(dir)
        .env("XDG_CONFIG_HOME", dir.join("xdg-config"))
        .env("XDG_DATA_HOME", dir.join("xdg-data"));
    c
}

/// `omni-tui [args] config` with the file `text`: exit status and stderr.
fn config_command(dir: &Path, text: &str, args: &[&str]) -> (bool, String) {
    let path = dir.join("omni.toml");
    std::fs::write(&path, text).expect("write");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    let out = omni(dir)
        .args(["--config", path.to_str().expect("utf8")])
        .args(args)
        .arg("config")
        .output()
        .expect("runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn the_config_command_checks_what_the_run_opens() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let (ok, err) = config_command(d, "[ensemble]\nmodels_dir = \"models\"\n", &[]);
    assert!(!ok);
    assert!(
        err.contains("omni.toml:2: key `ensemble.models_dir`"),
        "{err}"
    );
    copy_bundled_models(&d.join("models"));
    let (ok, err) = config_command(d, "[ensemble]\nmodels_dir = \"models\"\n", &[]);
    assert!(ok, "{err}");
    let (ok, err) = config_command(d, &series_config("mine.csv", ""), &[]);
    assert!(!ok);
    assert!(
        err.contains("omni.toml:3: key `market.demo.series[0].file`"),
        "{err}"
    );
    let (ok, err) = config_command(d, "[risk]\nmax_orders_per_minute = 0\n", &[]);
    assert!(!ok);
    assert!(
        err.contains(
            "omni.toml:2: key `risk.max_orders_per_minute`: must be between 1 and 10_000, got 0"
        ),
        "{err}"
    );
    // The database: a file where its folder should be.
    std::fs::write(d.join("plain"), "").expect("write");
    let db = d.join("plain/omni.db");
    let (ok, err) = config_command(d, "", &["--db", db.to_str().expect("utf8")]);
    assert!(!ok);
    assert!(err.contains("is not a folder"), "{err}");
    let (ok, err) = config_command(d, "", &["--db", d.to_str().expect("utf8")]);
    assert!(!ok);
    assert!(err.contains("is a folder"), "{err}");
    let db = d.join("new/omni.db");
    let (ok, err) = config_command(d, "", &["--db", db.to_str().expect("utf8")]);
    assert!(ok, "a folder the store will create: {err}");
}
