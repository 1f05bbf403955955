//! Reading CSV bars. Recognised layouts:
//!
//! * data.binance.vision klines: 12 columns, no header, open time in ms
//!   (µs from 2025; the unit is told by magnitude);
//! * a header naming the columns: `timestamp|time|open_time|date[,time],
//!   open, high, low, close, volume|tick_volume|…` in any case, with or
//!   without MetaTrader's `<…>` brackets, comma-, tab- or semicolon-separated,
//!   each line optionally wrapped in double quotes (some MetaTrader exports);
//! * Kraken OHLCVT: 7 columns, no header, Unix seconds;
//! * any other header-less `time,open,high,low,close,volume`.
//!
//! Times are numbers (epoch s/ms/µs/ns by magnitude) or dates like
//! `2024-10-01 03:00:00`, `2023-03-01 00:00:00+00:00`, `2024.01.02 13:45`.
//! A time with an offset uses it; one without is UTC shifted by the
//! caller's `utc_offset_secs` (MetaTrader files are in the broker's time).
//! Rows that cannot be read, break OHLC rules or go back in time are
//! reported with file and line and left out; they are never silently lost.

use super::HistBar;
use chrono::{DateTime, NaiveDate, NaiveDateTime};
use omni_core::domain::{Timeframe, Timestamp};
use rust_decimal::Decimal;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// A row left out, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadRow {
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    pub reason: String,
}

impl std::fmt::Display for BadRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.reason)
    }
}

/// Why a series could not be loaded at all.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// The path could not be read.
    #[error("{path}: {cause}")]
    Read {
        path: PathBuf,
        /// Not named `source`: the text states it (see `ConfigError`).
        cause: std::io::Error,
    },
    /// The layout is not one we read.
    #[error("{path}:{line}: {message}")]
    Format {
        path: PathBuf,
        /// 1-based line.
        line: usize,
        message: String,
    },
    /// No usable bar at all.
    #[error("{0}: no bars")]
    Empty(PathBuf),
}

/// One time-ordered series built from one or more files.
#[derive(Clone, Debug)]
pub struct Series {
    /// A name for reports (the file or directory name).
    pub name: String,
    /// Files read, in order.
    pub files: Vec<PathBuf>,
    /// Bars, strictly increasing in time.
    pub bars: Vec<HistBar>,
    /// Bar width, from the most common step between bars.
    pub timeframe: Timeframe,
    /// Rows left out.
    pub bad_rows: Vec<BadRow>,
    /// Taker-bought volume of each bar (parallel to `bars`), when every
    /// file gives it (data.binance.vision klines, a `taker_buy_base`
    /// column); `None` otherwise.
    pub taker_buy: Option<Vec<Decimal>>,
    /// The same instrument on other venues, same timeframe or finer (see
    /// `crate::venues`); empty for one venue.
    pub other_venues: Vec<Series>,
}

#[derive(Clone, Copy, Debug)]
struct Layout {
    sep: char,
    time: usize,
    /// A separate time-of-day column (MetaTrader's `<DATE>`, `<TIME>`).
    clock: Option<usize>,
    ohlc: [usize; 4],
    volume: Option<usize>,
    /// Taker-bought base volume.
    taker: Option<usize>,
    header: bool,
}

fn clean(line: &str) -> &str {
    line.trim_start_matches('\u{feff}')
        .trim()
        .trim_matches('"')
        .trim()
}

fn split(line: &str, sep: char) -> Vec<&str> {
    line.split(sep)
        .map(|f| f.trim().trim_matches('"'))
        .collect()
}

fn sniff(first: &str, path: &Path) -> Result<Layout, HistoryError> {
    let sep = if first.contains('\t') {
        '\t'
    } else if first.contains(',') {
        ','
    } else if first.contains(';') {
        ';'
    } else {
        ' '
    };
    let fields = split(first, sep);
    let looks_like_header = fields
        .iter()
        .any(|f| f.chars().any(|c| c.is_ascii_alphabetic()) && parse_time(f, 0).is_none());
    if looks_like_header {
        let names: Vec<String> = fields
            .iter()
            .map(|f| {
                f.trim_matches(|c| c == '<' || c == '>')
                    .to_ascii_lowercase()
            })
            .collect();
        let find = |cands: &[&str]| names.iter().position(|n| cands.contains(&n.as_str()));
        let time = find(&[
            "timestamp",
            "time",
            "open_time",
            "date",
            "datetime",
            "opentime",
        ]);
        let clock = match (find(&["date"]), find(&["time"])) {
            (Some(d), Some(t)) if d != t => Some((d, t)),
            _ => None,
        };
        let o = find(&["open", "o"]);
        let h = find(&["high", "h"]);
        let l = find(&["low", "l"]);
        let c = find(&["close", "c"]);
        let v = find(&[
            "volume",
            "vol",
            "tick_volume",
            "tickvol",
            "real_volume",
            "v",
        ]);
        let taker = find(&[
            "taker_buy_base",
            "taker_buy_base_volume",
            "taker_buy_base_asset_volume",
            "taker_buy_volume",
        ]);
        let (Some(time), Some(o), Some(h), Some(l), Some(c)) = (time, o, h, l, c) else {
            return Err(HistoryError::Format {
                path: path.to_path_buf(),
                line: 1,
                message: format!("header `{first}` lacks a time or an OHLC column"),
            });
        };
        let (time, clock) = match clock {
            Some((d, t)) => (d, Some(t)),
            None => (time, None),
        };
        return Ok(Layout {
            sep,
            time,
            clock,
            ohlc: [o, h, l, c],
            volume: v,
            taker,
            header: true,
        });
    }
    let n = fields.len();
    if n < 5 {
        return Err(HistoryError::Format {
            path: path.to_path_buf(),
            line: 1,
            message: format!("{n} columns: not an OHLC layout"),
        });
    }
    // Binance klines (12), Kraken OHLCVT (7) and plain time,o,h,l,c[,v] all
    // start with time, open, high, low, close, volume; Binance's tenth
    // column is the taker-bought base volume.
    Ok(Layout {
        sep,
        time: 0,
        clock: None,
        ohlc: [1, 2, 3, 4],
        volume: (n > 5).then_some(5),
        taker: (n == 12).then_some(9),
        header: false,
    })
}

/// Parses a time; `offset_secs` applies when the text carries no offset.
fn parse_time(s: &str, offset_secs: i64) -> Option<Timestamp> {
    let s = s.trim();
    if let Ok(n) = s.parse::<i64>() {
        let a = n.unsigned_abs();
        let nanos = if a < 100_000_000_000 {
            n.checked_mul(1_000_000_000)?
        } else if a < 100_000_000_000_000 {
            n.checked_mul(1_000_000)?
        } else if a < 100_000_000_000_000_000 {
            n.checked_mul(1_000)?
        } else {
            n
        };
        return Some(Timestamp(nanos));
    }
    if let Ok(f) = s.parse::<f64>()
        && f.is_finite()
        && f > 0.0
    {
        return Some(Timestamp((f * 1e9) as i64));
    }
    for fmt in [
        "%Y-%m-%d %H:%M:%S%:z",
        "%Y-%m-%dT%H:%M:%S%:z",
        "%Y-%m-%d %H:%M:%S%.f%:z",
    ] {
        if let Ok(dt) = DateTime::parse_from_str(s, fmt) {
            return Some(Timestamp::from_datetime(dt.to_utc()));
        }
    }
    let s = s.trim_end_matches('Z');
    for fmt in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y.%m.%d %H:%M:%S",
        "%Y.%m.%d %H:%M",
        "%Y/%m/%d %H:%M:%S",
        "%Y/%m/%d %H:%M",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(Timestamp::from_datetime(dt.and_utc()).plus(-offset_secs * 1_000_000_000));
        }
    }
    for fmt in ["%Y-%m-%d", "%Y.%m.%d", "%Y/%m/%d"] {
        if let Ok(d) = NaiveDate::parse_from_str(s, fmt) {
            let dt = d.and_hms_opt(0, 0, 0)?.and_utc();
            return Some(Timestamp::from_datetime(dt).plus(-offset_secs * 1_000_000_000));
        }
    }
    None
}

/// One row: the bar, and its taker-bought volume when the layout has it.
type Row = (HistBar, Option<Decimal>);

fn parse_row(fields: &[&str], l: &Layout, offset: i64) -> Result<Row, String> {
    let get = |i: usize| {
        fields
            .get(i)
            .copied()
            .ok_or_else(|| format!("missing column {}", i + 1))
    };
    let time_text = match l.clock {
        Some(c) => format!("{} {}", get(l.time)?, get(c)?),
        None => get(l.time)?.to_string(),
    };
    let ts = parse_time(&time_text, offset).ok_or_else(|| format!("bad time `{time_text}`"))?;
    let num = |i: usize| -> Result<Decimal, String> {
        let t = get(i)?;
        Decimal::from_str(t)
            .or_else(|_| Decimal::from_scientific(t))
            .map_err(|_| format!("bad number `{t}` in column {}", i + 1))
    };
    let [o, h, lo, c] = l.ohlc;
    let (open, high, low, close) = (num(o)?, num(h)?, num(lo)?, num(c)?);
    let volume = match l.volume {
        Some(v) => num(v)?,
        None => Decimal::ZERO,
    };
    if low <= Decimal::ZERO {
        return Err(format!("non-positive low {low}"));
    }
    if low > open.min(close) || high < open.max(close) || high < low {
        return Err(format!("inconsistent OHLC {open} {high} {low} {close}"));
    }
    if volume < Decimal::ZERO {
        return Err(format!("negative volume {volume}"));
    }
    let taker = match l.taker {
        Some(t) => {
            let x = num(t)?;
            if x < Decimal::ZERO || x > volume {
                return Err(format!("taker volume {x} outside 0..={volume}"));
            }
            Some(x)
        }
        None => None,
    };
    Ok((
        HistBar {
            ts,
            open,
            high,
            low,
            close,
            volume,
        },
        taker,
    ))
}

fn read_file(
    path: &Path,
    offset: i64,
    bars: &mut Vec<(Row, usize)>,
    bad: &mut Vec<BadRow>,
) -> Result<(), HistoryError> {
    let text = std::fs::read_to_string(path).map_err(|cause| HistoryError::Read {
        path: path.to_path_buf(),
        cause,
    })?;
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !clean(l).is_empty());
    let Some((first_no, first)) = lines.next() else {
        return Ok(());
    };
    let layout = sniff(clean(first), path)?;
    let rows = std::iter::once((first_no, first))
        .filter(|_| !layout.header)
        .chain(lines);
    for (i, raw) in rows {
        let fields = split(clean(raw), layout.sep);
        match parse_row(&fields, &layout, offset) {
            Ok(b) => bars.push((b, i + 1)),
            Err(reason) => bad.push(BadRow {
                file: path.to_path_buf(),
                line: i + 1,
                reason,
            }),
        }
    }
    Ok(())
}

/// Files making up one series: the file itself, or every `.csv` in a
/// directory, sorted by name.
fn files_of(path: &Path) -> Result<Vec<PathBuf>, HistoryError> {
    let read_err = |cause| HistoryError::Read {
        path: path.to_path_buf(),
        cause,
    };
    if path.is_dir() {
        let mut v: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(read_err)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("csv")))
            .collect();
        v.sort();
        Ok(v)
    } else {
        std::fs::metadata(path).map_err(read_err)?;
        Ok(vec![path.to_path_buf()])
    }
}

/// Loads one series from a file or a directory of files, in time order.
/// `utc_offset_secs` is added to UTC to get the files' local time (3600 for
/// UTC+1) and only applies to times written without an offset.
pub fn load_series(path: &Path, utc_offset_secs: i64) -> Result<Series, HistoryError> {
    let files = files_of(path)?;
    let mut rows = Vec::new();
    let mut bad = Vec::new();
    let mut origin: Vec<usize> = Vec::new();
    for (fi, f) in files.iter().enumerate() {
        let before = rows.len();
        read_file(f, utc_offset_secs, &mut rows, &mut bad)?;
        origin.extend((before..rows.len()).map(|_| fi));
    }
    // Files may come in any order; rows within a file must not go back.
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by_key(|&i| (rows[i].0.0.ts, i));
    let mut bars: Vec<HistBar> = Vec::with_capacity(rows.len());
    let mut taker: Vec<Option<Decimal>> = Vec::with_capacity(rows.len());
    for i in order {
        let ((b, t), line) = rows[i];
        if let Some(prev) = bars.last()
            && b.ts <= prev.ts
        {
            bad.push(BadRow {
                file: files[origin[i]].clone(),
                line,
                reason: format!("duplicate time {} (the earlier row is kept)", b.ts),
            });
            continue;
        }
        bars.push(b);
        taker.push(t);
    }
    bad.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    if bars.is_empty() {
        return Err(HistoryError::Empty(path.to_path_buf()));
    }
    let timeframe = detect_timeframe(&bars).ok_or_else(|| HistoryError::Format {
        path: path.to_path_buf(),
        line: 0,
        message: "bar spacing matches no timeframe (M1, M5, M15, H1, H4, D1)".into(),
    })?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    Ok(Series {
        name,
        files,
        bars,
        timeframe,
        bad_rows: bad,
        taker_buy: taker.into_iter().collect(),
        other_venues: Vec::new(),
    })
}

/// The widest timeframe that divides every step between consecutive bars
/// (so gaps, weekends and missing minutes do not confuse it).
fn detect_timeframe(bars: &[HistBar]) -> Option<Timeframe> {
    if bars.len() < 2 {
        return Some(Timeframe::M1);
    }
    fn gcd(a: i64, b: i64) -> i64 {
        if b == 0 { a } else { gcd(b, a % b) }
    }
    let g = bars
        .windows(2)
        .map(|w| w[1].ts.since(w[0].ts) / 1_000_000_000)
        .fold(0, gcd);
    Timeframe::ALL
        .into_iter()
        .rev()
        .find(|t| g > 0 && g % t.secs() == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).expect("write");
        p
    }

    #[test]
    fn every_layout_reads_to_the_same_bars() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        let files = [
            write(
                d,
                "vision.csv",
                "1677628800000,23141.57,23154.70,23130.25,23143.73,326.95,1677628859999,7566444.1,10994,185.2,4287862.1,0\n1677628860000,23144.05,23153.45,23139.15,23139.15,148.65,1677628919999,3440682.3,6333,77.7,1799953.2,0\n",
            ),
            write(
                d,
                "vision_us.csv",
                "1677628800000000,23141.57,23154.70,23130.25,23143.73,326.95,1677628859999999,1,1,1,1,0\n1677628860000000,23144.05,23153.45,23139.15,23139.15,148.65,1677628919999999,1,1,1,1,0\n",
            ),
            write(
                d,
                "header.csv",
                "timestamp,open,high,low,close,volume\n2023-03-01 00:00:00,23141.57,23154.70,23130.25,23143.73,326.95\n2023-03-01 00:01:00,23144.05,23153.45,23139.15,23139.15,148.65\n",
            ),
            write(
                d,
                "offset.csv",
                "open_time,open,high,low,close,volume\n2023-03-01 00:00:00+00:00,23141.57,23154.70,23130.25,23143.73,326.95\n2023-03-01 00:01:00+00:00,23144.05,23153.45,23139.15,23139.15,148.65\n",
            ),
            write(
                d,
                "kraken.csv",
                "1677628800,23141.57,23154.70,23130.25,23143.73,326.95,12\n1677628860,23144.05,23153.45,23139.15,23139.15,148.65,7\n",
            ),
            write(
                d,
                "mt_quoted.csv",
                "\"Time\tOpen\tHigh\tLow\tClose\tVolume\"\r\n\"2023-03-01 00:00:00\t23141.57\t23154.70\t23130.25\t23143.73\t326.95\"\r\n\"2023-03-01 00:01:00\t23144.05\t23153.45\t23139.15\t23139.15\t148.65\"\r\n",
            ),
            write(
                d,
                "mt5.csv",
                "<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>\n2023.03.01\t00:00:00\t23141.57\t23154.70\t23130.25\t23143.73\t326.95\t0\t12\n2023.03.01\t00:01:00\t23144.05\t23153.45\t23139.15\t23139.15\t148.65\t0\t12\n",
            ),
        ];
        let expected = load_series(&files[0], 0).expect("vision");
        assert_eq!(expected.bars.len(), 2);
        assert_eq!(
            expected.taker_buy,
            Some(vec![Decimal::new(1852, 1), Decimal::new(777, 1)])
        );
        assert_eq!(expected.bars[0].ts, Timestamp::from_secs(1_677_628_800));
        assert_eq!(expected.timeframe, Timeframe::M1);
        for f in &files[1..] {
            let s = load_series(f, 0).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            assert_eq!(s.bars, expected.bars, "{}", f.display());
            assert!(s.bad_rows.is_empty(), "{:?}", s.bad_rows);
        }
    }

    #[test]
    fn local_times_shift_by_the_offset_and_explicit_offsets_win() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = write(
            dir.path(),
            "a.csv",
            "time,open,high,low,close\n2025-05-20 10:00:00,1,1,1,1\n2025-05-20 10:01:00,1,1,1,1\n",
        );
        let s = load_series(&a, 3 * 3600).expect("loads");
        assert_eq!(s.bars[0].ts.to_string(), "2025-05-20 07:00:00.000");
        let b = write(
            dir.path(),
            "b.csv",
            "time,open,high,low,close\n2025-05-20 10:00:00+02:00,1,1,1,1\n2025-05-20 10:01:00+02:00,1,1,1,1\n",
        );
        assert_eq!(
            load_series(&b, 3 * 3600).expect("loads").bars[0]
                .ts
                .to_string(),
            "2025-05-20 08:00:00.000"
        );
    }

    #[test]
    fn bad_rows_are_reported_with_file_and_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = write(
            dir.path(),
            "bad.csv",
            "timestamp,open,high,low,close,volume\n2023-03-01 00:00:00,10,12,9,11,1\n2023-03-01 00:01:00,10,9,12,11,1\n2023-03-01 00:02:00,ten,12,9,11,1\n2023-03-01 00:03:00,10,12,9,11,1\n",
        );
        let s = load_series(&p, 0).expect("loads the good rows");
        assert_eq!(s.bars.len(), 2);
        let lines: Vec<usize> = s.bad_rows.iter().map(|b| b.line).collect();
        assert_eq!(lines, vec![3, 4]);
        assert!(
            s.bad_rows[1]
                .to_string()
                .ends_with("bad.csv:4: bad number `ten` in column 2"),
            "{}",
            s.bad_rows[1]
        );
    }

    #[test]
    fn a_directory_of_daily_files_is_one_series() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(
            dir.path(),
            "day2.csv",
            "1677715200000,2,2,2,2,1,0,0,0,0,0,0\n",
        );
        write(
            dir.path(),
            "day1.csv",
            "1677628800000,1,1,1,1,1,0,0,0,0,0,0\n1677628860000,1,1,1,1,1,0,0,0,0,0,0\n",
        );
        let s = load_series(dir.path(), 0).expect("loads");
        assert_eq!(s.files.len(), 2);
        assert_eq!(s.bars.len(), 3);
        assert!(s.bars.windows(2).all(|w| w[0].ts < w[1].ts));
    }
}
