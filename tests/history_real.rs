//! Data tests: the loader on every whole data set in ../shared/data, with
//! the row counts and timeframes INDEX.md gives, and no row lost without a
//! report. `tests/history_fixtures.rs` runs the same checks on the slices
//! kept in tests/fixtures.

use omni_core::domain::Timeframe;
use omni_research::history::{aggregate, load_series};
use std::path::PathBuf;

fn data(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(rel)
}

fn lines(rel: &str) -> usize {
    let p = data(rel);
    if p.is_dir() {
        std::fs::read_dir(&p)
            .expect("dir")
            .filter_map(|e| e.ok())
            .map(|e| {
                std::fs::read_to_string(e.path())
                    .expect("read")
                    .lines()
                    .filter(|l| !l.trim().is_empty())
                    .count()
            })
            .sum()
    } else {
        std::fs::read_to_string(&p)
            .expect("read")
            .lines()
            .filter(|l| !l.trim().is_empty())
            .count()
    }
}

#[test]
#[ignore = "data test: reads ../shared/data (cargo test -- --ignored)"]
fn every_dataset_loads_with_its_documented_shape() {
    // (path, UTC offset of the file's local time, timeframe, rows, header lines per file)
    let cases: [(&str, i64, Timeframe, usize, usize); 13] = [
        (
            "binance_spot/2023-01/BTCUSDT_1m.csv",
            0,
            Timeframe::M1,
            40_000,
            1,
        ),
        (
            "binance_spot/2024-10/ETHUSDT_5m.csv",
            0,
            Timeframe::M5,
            10_000,
            1,
        ),
        (
            "binance_spot/2025-03/BTCUSDT_1m.csv",
            0,
            Timeframe::M1,
            44_640,
            1,
        ),
        ("binance_vision_btcusdt_1m", 0, Timeframe::M1, 21 * 1440, 0),
        (
            "cross_venue/binanceus_2023-03/BTCUSDC_1m_20230301_20230321.csv",
            0,
            Timeframe::M1,
            30_240,
            1,
        ),
        (
            "cross_venue/kraken_2023Q1/BTCUSDC_1m_2023Q1.csv",
            0,
            Timeframe::M1,
            56_717,
            0,
        ),
        (
            "fx/eurusd_2022/EURUSD_M1.csv",
            -12_600,
            Timeframe::M1,
            49_993,
            1,
        ),
        (
            "fx/eurusd_2022/EURUSD_M5.csv",
            -12_600,
            Timeframe::M5,
            50_000,
            1,
        ),
        (
            "fx/xauusd_2025/XAUUSD_M1.csv",
            10_800,
            Timeframe::M1,
            20_000,
            1,
        ),
        (
            "fx/xauusd_2025/XAUUSD_H1.csv",
            10_800,
            Timeframe::H1,
            20_000,
            1,
        ),
        (
            "fx/xauusd_2026_m1/XAUUSD_M1.csv",
            10_800,
            Timeframe::M1,
            0,
            1,
        ),
        ("fx/long_history/XAUUSD_H1.csv", 10_800, Timeframe::H1, 0, 1),
        ("fx/long_history/EURUSD_H4.csv", 10_800, Timeframe::H4, 0, 1),
    ];
    for (rel, offset, tf, rows, header) in cases {
        let s = load_series(&data(rel), offset).unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert_eq!(s.timeframe, tf, "{rel}");
        let total = lines(rel) - header * s.files.len();
        if rows > 0 {
            assert_eq!(total, rows, "{rel}: INDEX.md row count");
        }
        // Every data row is either a bar or a reported bad row.
        assert_eq!(
            s.bars.len() + s.bad_rows.len(),
            total,
            "{rel}: {:?}",
            &s.bad_rows[..s.bad_rows.len().min(3)]
        );
        assert!(s.bars.windows(2).all(|w| w[0].ts < w[1].ts), "{rel}");
    }
}

#[test]
#[ignore = "data test: reads ../shared/data (cargo test -- --ignored)"]
fn m1_aggregates_to_the_venues_own_m5_bars() {
    // binance_spot ships both: our M5 from its M1 must equal its M5.
    let m1 = load_series(&data("binance_spot/2024-10/BTCUSDT_1m.csv"), 0).expect("m1");
    let m5 = load_series(&data("binance_spot/2024-10/BTCUSDT_5m.csv"), 0).expect("m5");
    let ours = aggregate(&m1.bars, Timeframe::M5);
    let theirs: std::collections::HashMap<_, _> = m5.bars.iter().map(|b| (b.ts, b)).collect();
    let mut compared = 0;
    for b in &ours[..ours.len() - 1] {
        if let Some(t) = theirs.get(&b.ts) {
            assert_eq!(
                (b.open, b.high, b.low, b.close),
                (t.open, t.high, t.low, t.close),
                "{}",
                b.ts
            );
            assert_eq!(b.volume.round_dp(5), t.volume.round_dp(5), "{}", b.ts);
            compared += 1;
        }
    }
    assert!(compared > 9_000, "{compared}");
}
