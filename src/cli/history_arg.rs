//! `--history INSTRUMENT=FILE[@±HH:MM]` (replay and backtest): the form of
//! `backtest --bars`.

use crate::warm::HistoryArg;

/// Parses `INSTRUMENT=FILE` or `INSTRUMENT=FILE@+03:00` (the file's times
/// are local at that offset when it does not say).
pub fn parse(arg: &str) -> Result<HistoryArg, String> {
    let (inst, file) = arg
        .split_once('=')
        .filter(|(i, f)| !i.is_empty() && !f.is_empty())
        .ok_or_else(|| {
            format!("expected INSTRUMENT=FILE, e.g. BTC/USDT=btc_1m.csv (got `{arg}`)")
        })?;
    let d = super::data::parse(file).map_err(|e| e.to_string())?;
    Ok(HistoryArg {
        instrument: inst.to_string(),
        path: d.path,
        utc_offset_secs: d.utc_offset_secs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn history_arguments() {
        let a = parse("BTC/USDT=data/btc.csv@+02:00").expect("parses");
        assert_eq!(a.instrument, "BTC/USDT");
        assert_eq!(a.path, PathBuf::from("data/btc.csv"));
        assert_eq!(a.utc_offset_secs, 7200);
        for bad in ["btc.csv", "=btc.csv", "BTC/USDT="] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
