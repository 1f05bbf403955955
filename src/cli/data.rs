//! `--data PATH[@±HH:MM][,OTHER[@±HH:MM]]...` arguments: a file or
//! directory, one series each, with the UTC offset of its local times when
//! the file does not say; after commas, the same instrument's bars on other
//! venues, joined to it by time (the context features' other venues).

use anyhow::Context;
use omni_research::history::{Series, load_series};
use std::path::PathBuf;

/// One `--data` argument.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataArg {
    /// The file or directory.
    pub path: PathBuf,
    /// Seconds east of UTC of the file's local time.
    pub utc_offset_secs: i64,
    /// The argument as written (recorded in model files).
    pub text: String,
    /// Other venues' files of the same instrument (after commas).
    pub others: Vec<DataArg>,
}

/// Parses `PATH`, `PATH@+03:00` or `PATH@-03:30`, each optionally followed
/// by `,OTHER` files of other venues in the same form.
pub fn parse(arg: &str) -> anyhow::Result<DataArg> {
    let mut parts = arg.split(',');
    let mut primary = parse_one(parts.next().unwrap_or_default())?;
    for p in parts {
        anyhow::ensure!(!p.is_empty(), "empty venue file in `{arg}`");
        primary.others.push(parse_one(p)?);
    }
    primary.text = arg.to_string();
    Ok(primary)
}

/// One file or directory with its optional offset.
fn parse_one(arg: &str) -> anyhow::Result<DataArg> {
    let (path, offset) = match arg.rsplit_once('@') {
        Some((p, o)) if o.starts_with('+') || o.starts_with('-') => {
            let sign = if o.starts_with('-') { -1 } else { 1 };
            let (h, m) = o[1..].split_once(':').unwrap_or((&o[1..], "0"));
            let h: i64 = h
                .parse()
                .with_context(|| format!("bad UTC offset in `{arg}`"))?;
            let m: i64 = m
                .parse()
                .with_context(|| format!("bad UTC offset in `{arg}`"))?;
            anyhow::ensure!(h <= 14 && m < 60, "bad UTC offset in `{arg}`");
            (p, sign * (h * 3600 + m * 60))
        }
        _ => (arg, 0),
    };
    Ok(DataArg {
        path: PathBuf::from(path),
        utc_offset_secs: offset,
        text: arg.to_string(),
        others: Vec::new(),
    })
}

/// Longest break between two files that still continue one series (a
/// forex weekend fits; a different month does not).
const CONTINUATION_GAP_SECS: i64 = 3 * 86_400;

/// True if `next` picks up where `prev` ends: same timeframe, starting after
/// its last bar and within [`CONTINUATION_GAP_SECS`].
fn continues(prev: &Series, next: &Series) -> bool {
    let (Some(last), Some(first)) = (prev.bars.last(), next.bars.first()) else {
        return false;
    };
    let gap = first.ts.since(last.ts);
    prev.timeframe == next.timeframe && gap > 0 && gap <= CONTINUATION_GAP_SECS * 1_000_000_000
}

/// Loads one file or directory, printing its bad rows to stderr.
fn load_reporting(d: &DataArg) -> anyhow::Result<Series> {
    let s = load_series(&d.path, d.utc_offset_secs)?;
    for b in s.bad_rows.iter().take(20) {
        eprintln!("omni-tui: skipped {b}");
    }
    if s.bad_rows.len() > 20 {
        eprintln!(
            "omni-tui: … and {} more bad rows in {}",
            s.bad_rows.len() - 20,
            d.path.display()
        );
    }
    Ok(s)
}

/// Loads every `--data` argument, printing bad rows to stderr (file and
/// line; never silently). Consecutive arguments whose bars continue each
/// other in time (daily files, say) are joined into one series; one with
/// other venues stands alone.
pub fn load_all(args: &[String]) -> anyhow::Result<Vec<(Series, DataArg)>> {
    let mut out: Vec<(Series, DataArg)> = Vec::new();
    for a in args {
        let d = parse(a)?;
        let mut s = load_reporting(&d)?;
        for o in &d.others {
            s.other_venues.push(load_reporting(o)?);
        }
        match out.last_mut() {
            Some((prev, prev_arg))
                if continues(prev, &s) && d.others.is_empty() && prev_arg.others.is_empty() =>
            {
                prev.taker_buy = match (prev.taker_buy.take(), s.taker_buy) {
                    (Some(mut a), Some(b)) => {
                        a.extend(b);
                        Some(a)
                    }
                    _ => None,
                };
                prev.bars.extend(s.bars);
                prev.files.extend(s.files);
                prev.bad_rows.extend(s.bad_rows);
                prev.name = format!("{} + {}", prev.name, s.name);
                prev_arg.text = format!("{} {}", prev_arg.text, d.text);
            }
            _ => out.push((s, d)),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets() {
        assert_eq!(parse("a.csv").expect("ok").utc_offset_secs, 0);
        assert_eq!(parse("a.csv@+03:00").expect("ok").utc_offset_secs, 10_800);
        assert_eq!(
            parse("dir/a.csv@-03:30").expect("ok").utc_offset_secs,
            -12_600
        );
        assert_eq!(parse("x@y.csv").expect("ok").path, PathBuf::from("x@y.csv"));
        assert!(parse("a.csv@+3x").is_err());
        let v = parse("a.csv,b.csv@+02:00,c").expect("ok");
        assert_eq!(v.path, PathBuf::from("a.csv"));
        assert_eq!(v.text, "a.csv,b.csv@+02:00,c");
        let others: Vec<_> = v
            .others
            .iter()
            .map(|o| (o.path.clone(), o.utc_offset_secs))
            .collect();
        assert_eq!(
            others,
            vec![(PathBuf::from("b.csv"), 7200), (PathBuf::from("c"), 0)]
        );
        assert!(parse("a.csv,").is_err());
    }
}
