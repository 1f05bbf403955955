//! Minute bars that drive a demo instrument.

/// One minute bar in data time, as floats (the demo's price path is a model;
/// prices become exact Decimals on the tick grid when quoted).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SeriesBar {
    /// Bar open time, Unix seconds, UTC.
    pub time: i64,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub volume: f64,
}

/// A problem in a series file.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct SeriesError {
    pub file: String,
    /// 1-based line.
    pub line: usize,
    pub message: String,
}

/// Parses `time,open,high,low,close,volume` (time in Unix seconds) with a
/// header line. Rows must be in time order with sane OHLC.
pub fn parse_series(file: &str, text: &str) -> Result<Vec<SeriesBar>, SeriesError> {
    let err = |line: usize, message: String| SeriesError {
        file: file.to_string(),
        line,
        message,
    };
    let mut bars: Vec<SeriesBar> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        if i == 0 || raw.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = raw.trim().split(',').collect();
        if fields.len() < 6 {
            return Err(err(
                line,
                format!("expected 6 columns, found {}", fields.len()),
            ));
        }
        let time: i64 = fields[0]
            .parse()
            .map_err(|_| err(line, format!("bad time `{}`", fields[0])))?;
        let mut v = [0f64; 5];
        for (k, slot) in v.iter_mut().enumerate() {
            *slot = fields[k + 1]
                .parse()
                .map_err(|_| err(line, format!("bad number `{}`", fields[k + 1])))?;
        }
        let [open, high, low, close, volume] = v;
        let ok = low > 0.0 && low <= open && low <= close && high >= open && high >= close;
        if !ok || volume < 0.0 {
            return Err(err(line, "inconsistent OHLCV".into()));
        }
        if bars.last().is_some_and(|b| b.time >= time) {
            return Err(err(line, "rows are not in time order".into()));
        }
        bars.push(SeriesBar {
            time,
            open,
            high,
            low,
            close,
            volume,
        });
    }
    if bars.is_empty() {
        return Err(err(1, "no rows".into()));
    }
    Ok(bars)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_series_parse() {
        for (name, text) in super::super::assets::EMBEDDED {
            let bars = parse_series(name, text).expect("parses");
            let least = if name.ends_with("_h1.csv") { 71 } else { 1500 };
            assert!(bars.len() >= least, "{name}: {}", bars.len());
        }
    }

    #[test]
    fn bad_row_names_file_and_line() {
        let e = parse_series(
            "x.csv",
            "time,open,high,low,close,volume\n60,1,2,0.5,1,1\n120,1,0.5,2,1,1\n",
        )
        .expect_err("rejects");
        assert_eq!((e.file.as_str(), e.line), ("x.csv", 3));
    }
}
