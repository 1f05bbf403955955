//! The history loader on one slice of every CSV layout it reads (kept in
//! tests/fixtures/data, cut from the files in ../shared/data): each loads
//! with its timeframe, every data row is a bar or a reported bad row, bars
//! are in time order, and our M5 from Binance's M1 equals Binance's own M5.

use omni_core::domain::Timeframe;
use omni_research::history::{aggregate, load_series};
use std::path::PathBuf;

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/data")
        .join(rel)
}

/// Non-empty lines of a file, or of every file in a folder.
fn lines(p: &PathBuf) -> usize {
    let count = |p: &std::path::Path| {
        std::fs::read_to_string(p)
            .expect("read")
            .lines()
            .filter(|l| !l.trim().is_empty())
            .count()
    };
    if p.is_dir() {
        std::fs::read_dir(p)
            .expect("dir")
            .map(|e| count(&e.expect("entry").path()))
            .sum()
    } else {
        count(p)
    }
}

#[test]
fn every_layout_loads_with_its_timeframe_and_loses_no_row() {
    // (path, UTC offset of the file's local time, timeframe, header lines per file)
    let cases: [(&str, i64, Timeframe, usize); 13] = [
        ("binance_spot/2023-01/BTCUSDT_1m.csv", 0, Timeframe::M1, 1),
        ("binance_spot/2024-10/ETHUSDT_5m.csv", 0, Timeframe::M5, 1),
        ("binance_spot/2025-03/BTCUSDT_1m.csv", 0, Timeframe::M1, 1),
        ("binance_vision_btcusdt_1m", 0, Timeframe::M1, 0),
        (
            "cross_venue/binanceus_2023-03/BTCUSDC_1m_20230301_20230321.csv",
            0,
            Timeframe::M1,
            1,
        ),
        (
            "cross_venue/kraken_2023Q1/BTCUSDC_1m_2023Q1.csv",
            0,
            Timeframe::M1,
            0,
        ),
        ("fx/eurusd_2022/EURUSD_M1.csv", -12_600, Timeframe::M1, 1),
        ("fx/eurusd_2022/EURUSD_M5.csv", -12_600, Timeframe::M5, 1),
        ("fx/xauusd_2025/XAUUSD_M1.csv", 10_800, Timeframe::M1, 1),
        ("fx/xauusd_2025/XAUUSD_H1.csv", 10_800, Timeframe::H1, 1),
        ("fx/xauusd_2026_m1/XAUUSD_M1.csv", 10_800, Timeframe::M1, 1),
        ("fx/long_history/XAUUSD_H1.csv", 10_800, Timeframe::H1, 1),
        ("fx/long_history/EURUSD_H4.csv", 10_800, Timeframe::H4, 1),
    ];
    for (rel, offset, tf, header) in cases {
        let path = fixture(rel);
        let s = load_series(&path, offset).unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert_eq!(s.timeframe, tf, "{rel}");
        let total = lines(&path) - header * s.files.len();
        assert!(total >= 200, "{rel}: the slice has {total} rows");
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
fn m1_aggregates_to_the_venues_own_m5_bars() {
    let m1 = load_series(&fixture("binance_spot/2024-10/BTCUSDT_1m.csv"), 0).expect("m1");
    let m5 = load_series(&fixture("binance_spot/2024-10/BTCUSDT_5m.csv"), 0).expect("m5");
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
    assert_eq!(compared, 599, "every complete five minutes of the slice");
}
