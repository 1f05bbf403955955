//! `omni-tui backtest` as a user runs it: on the bundled demo bars, on a
//! bar file in the repo, on a recorded venue capture; byte-identical JSON
//! for the same inputs and seed; walk-forward folds; a sweep whose rows
//! reproduce by their printed commands; wrong input said in a sentence.

use std::path::{Path, PathBuf};
use std::process::Command;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/data")
}

/// `omni-tui backtest ARGS` in an empty folder (no omni.toml found).
fn backtest(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_omni-tui"))
        .current_dir(dir)
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("XDG_STATE_HOME", dir.join("state"))
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("RUST_LOG", "off")
        .arg("backtest")
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).expect("json")
}

/// Six hours of the bundled demo bars.
const SHORT: [&str; 4] = [
    "--from",
    "2025-03-04T05:00:00Z",
    "--to",
    "2025-03-04T11:00:00Z",
];

#[test]
fn the_same_inputs_and_seed_give_a_byte_identical_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let args: Vec<&str> = SHORT
        .iter()
        .copied()
        .chain(["--approve", "all", "--json"])
        .collect();
    let (code, a, err) = backtest(dir.path(), &args);
    assert_eq!(code, 0, "{err}");
    let (_, b, _) = backtest(dir.path(), &args);
    assert_eq!(a, b, "two runs, one report");
    let v = json(&a);
    let r = &v["report"];
    assert_eq!(r["setup"]["input"], "bars");
    assert_eq!(r["span"]["step_secs"], 60);
    assert!(
        r["span"]["market_events"].as_u64().unwrap_or(0) > 1000,
        "{}",
        r["span"]
    );
    let trades = r["overall"]["trades"]["trades"].as_u64().expect("trades");
    assert!(trades > 0, "approve all trades on six hours of bars");
    assert_eq!(
        r["trade_list"].as_array().map(Vec::len),
        Some(trades as usize)
    );
    // Per account and per kind, and the same figures everywhere.
    let per_account: u64 = r["by_account"]
        .as_array()
        .expect("accounts")
        .iter()
        .map(|a| a["trades"]["trades"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(per_account, trades);
    let per_kind: u64 = r["by_kind"]
        .as_array()
        .expect("kinds")
        .iter()
        .map(|k| k["trades"]["trades"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(per_kind, trades);
    // Each kind's curve ends at its capital plus its realised P&L.
    let d = |v: &serde_json::Value| -> rust_decimal::Decimal {
        v.as_str()
            .and_then(|s| s.parse().ok())
            .expect("a decimal string")
    };
    for k in r["by_kind"].as_array().expect("kinds") {
        let ret = &k["returns"];
        if k["trades"]["trades"].as_u64() > Some(0) {
            assert_eq!(
                d(&ret["end_equity"]) - d(&ret["start_equity"]),
                d(&k["trades"]["net_pnl"]),
                "{}",
                k["kind"]
            );
        }
    }
    for key in [
        "total_return",
        "sharpe",
        "sortino",
        "max_drawdown",
        "volatility",
    ] {
        assert!(r["overall"]["returns"][key].is_number(), "{key}");
    }
    // Six hours are not annualised: no annual return, no Calmar.
    assert!(r["overall"]["returns"]["annual_return"].is_null());
    assert!(r["overall"]["returns"]["calmar"].is_null());
    assert!(!r["buy_and_hold"].as_array().expect("hold").is_empty());
    // Another seed is another run of the paper fill model.
    let mut other = args.clone();
    other.extend(["--seed", "99"]);
    let (_, c, _) = backtest(dir.path(), &other);
    assert_ne!(a, c);
}

#[test]
fn the_text_report_reads_at_a_glance_and_the_plot_is_an_svg() {
    let dir = tempfile::tempdir().expect("tempdir");
    let svg = dir.path().join("curves.svg");
    let mut args: Vec<&str> = SHORT.to_vec();
    let svg_arg = svg.display().to_string();
    args.extend(["--approve", "all", "--plot", &svg_arg]);
    let (code, out, err) = backtest(dir.path(), &args);
    assert_eq!(code, 0, "{err}");
    for want in [
        "backtest  2025-03-04T05:00:00Z → 2025-03-04T11:00:00Z",
        "all accounts",
        "hold ",
        "Sharpe",
        "win rate",
        "equity    ",
        "drawdown  ",
    ] {
        assert!(out.contains(want), "{want} in\n{out}");
    }
    assert!(err.contains("events/s"), "{err}");
    let image = std::fs::read_to_string(&svg).expect("svg written");
    assert!(
        image.starts_with("<svg") && image.contains("<polyline"),
        "{}",
        &image[..200.min(image.len())]
    );
}

#[test]
fn bar_files_and_recorded_captures_run_through_the_same_engine() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bars = fixtures().join("binance_vision_btcusdt_1m");
    let file = std::fs::read_dir(&bars)
        .expect("fixture dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "csv"))
        .expect("a csv");
    let spec = format!("BTC/USDT={}", file.display());
    let (code, out, err) = backtest(dir.path(), &["--bars", &spec, "--approve", "all", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v = json(&out);
    assert!(v["report"]["span"]["market_events"].as_u64().unwrap_or(0) > 100);

    let capture = fixtures().join("ws_captures/binance_spot/spot_btcusdt_20240808.gz");
    let (code, out, err) = backtest(
        dir.path(),
        &[
            capture.to_str().expect("utf8"),
            "--venue",
            "binance",
            "--approve",
            "all",
            "--json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let v = json(&out);
    assert_eq!(v["report"]["setup"]["input"], "recorded");
    assert!(v["report"]["span"]["market_events"].as_u64().unwrap_or(0) > 1000);
}

#[test]
fn walk_forward_folds_cover_the_span_and_report_their_spread() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut args: Vec<&str> = SHORT.to_vec();
    args.extend(["--approve", "all", "--folds", "3", "--json"]);
    let (code, out, err) = backtest(dir.path(), &args);
    assert_eq!(code, 0, "{err}");
    let v = json(&out);
    let f = &v["walk_forward"];
    let folds = f["folds"].as_array().expect("folds");
    assert_eq!(folds.len(), 3);
    assert_eq!(folds[0]["from"], "2025-03-04T05:00:00Z");
    assert_eq!(folds[2]["to"], "2025-03-04T11:00:00Z");
    let r = f["total_return"].as_array().expect("spread");
    assert!(r[0].as_f64() <= r[1].as_f64() && r[1].as_f64() <= r[2].as_f64());
}

#[test]
fn a_sweep_ranks_every_combination_and_each_row_reproduces_by_its_command() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut args: Vec<&str> = SHORT.to_vec();
    args.extend([
        "--approve",
        "all",
        "--sweep",
        "risk.max_position_pct=5,25",
        "--rank",
        "total_return",
    ]);
    let (code, out, err) = backtest(dir.path(), &args);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].contains("settings"), "{out}");
    // Two rows, each followed by its command.
    assert_eq!(lines.len(), 5, "{out}");
    let first = lines[1];
    let command = lines[2].trim();
    assert!(
        command.starts_with("omni-tui backtest")
            && command.contains("--set risk.max_position_pct="),
        "{command}"
    );
    assert!(!command.contains("--sweep"), "{command}");
    // The first row's command, run alone, gives its return.
    let words: Vec<&str> = command.split_whitespace().skip(2).collect();
    let mut again: Vec<&str> = words.clone();
    again.push("--json");
    let (code, alone, err) = backtest(dir.path(), &again);
    assert_eq!(code, 0, "{err}");
    let v = json(&alone);
    let ret = v["report"]["overall"]["returns"]["total_return"]
        .as_f64()
        .expect("return");
    let shown = format!("{:+.2}%", ret * 100.0);
    assert!(first.contains(&shown), "{first} vs {shown}");
}

#[test]
fn wrong_input_is_said_in_a_sentence() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases: [(&[&str], &str); 9] = [
        (&["--bars", "DOGE/USD=x.csv"], "no instrument `DOGE/USD`"),
        (&["--bars", "BTC/USDT"], "expected INSTRUMENT=FILE"),
        (
            &["--from", "yesterday"],
            "--from yesterday: expected 2025-03-04",
        ),
        (
            &["--from", "2025-03-05", "--to", "2025-03-04"],
            "--from must be before --to",
        ),
        (
            &["--sweep", "risk.max_position_pct=5", "--rank", "luck"],
            "--rank luck: one of",
        ),
        (&["--set", "risk.no_such=1"], "no_such"),
        (
            &["--sweep", "market.demo.basis_bps=1,2"],
            "the market section decides the input",
        ),
        (
            &["--sweep", "risk.max_position_pct=5,25", "--folds", "3"],
            "--folds and --plot are for one run",
        ),
        (&["--folds", "1"], "--folds 1: at least 2"),
    ];
    for (args, want) in cases {
        let (code, _, err) = backtest(dir.path(), args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn wider_bars_are_refused_and_empty_folds_are_reported_not_fatal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let five = fixtures().join("binance_spot");
    let file = std::fs::read_dir(&five)
        .expect("fixture dir")
        .filter_map(Result::ok)
        .flat_map(|d| {
            std::fs::read_dir(d.path())
                .into_iter()
                .flatten()
                .filter_map(Result::ok)
        })
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with("_5m.csv"));
    if let Some(file) = file {
        let spec = format!("BTC/USDT={}", file.display());
        let (code, _, err) = backtest(dir.path(), &["--bars", &spec]);
        assert_eq!(code, 2, "{err}");
        assert!(
            err.contains("M5 bars; a backtest takes minute bars"),
            "{err}"
        );
    }
    // 400 folds of six hours: most hold no bar; they are said, not fatal.
    let mut args: Vec<&str> = SHORT.to_vec();
    args.extend(["--approve", "all", "--folds", "400", "--json"]);
    let (code, out, err) = backtest(dir.path(), &args);
    assert_eq!(code, 0, "{err}");
    let v = json(&out);
    let folds = v["walk_forward"]["folds"].as_array().expect("folds");
    assert_eq!(folds.len(), 400);
    assert!(folds.iter().any(|f| f["empty"] == true));
    assert!(folds.iter().any(|f| f["empty"] == false));
}
