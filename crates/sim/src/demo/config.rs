//! `[market.demo]`: the built-in demo market, and its validation.

use super::generator::{live_start, read_series};
use omni_core::domain::Catalog;
use omni_core::validation::{Invalid, above, bad, range};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The demo market: real minute bars replayed as ticks on several venues.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoConfig {
    /// Mean milliseconds between quote updates, per venue and instrument.
    pub quote_interval_ms: u64,
    /// Mean milliseconds between trades on the reference venue.
    pub trade_interval_ms: u64,
    /// Standard deviation of each venue's price basis, in basis points.
    pub basis_bps: f64,
    /// Half-life of the basis (seconds): how fast venues re-converge.
    pub basis_halflife_secs: f64,
    /// Average number of venue dislocations per hour.
    pub dislocations_per_hour: f64,
    /// Mean size of a dislocation, in percent of price.
    pub dislocation_mean_pct: f64,
    /// Largest dislocation, in percent of price.
    pub dislocation_max_pct: f64,
    /// Mean duration of a dislocation, seconds.
    pub dislocation_secs: f64,
    /// Minute-bar series that drive each instrument.
    pub series: Vec<DemoSeriesConfig>,
    pub venues: Vec<DemoVenueConfig>,
}

/// One instrument's driving series in the demo.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoSeriesConfig {
    /// The instrument this series drives, by its `[[instruments]]` name.
    pub instrument: String,
    /// A bundled file in assets/demo, or a path to a CSV with
    /// `time,open,high,low,close,volume` (time in Unix seconds, UTC); empty
    /// for a ratio series (`ratio_of`).
    pub file: String,
    /// Hourly bars before the minute history, replayed at start-up so the
    /// hourly model starts warm: a bundled file or a path; empty for none
    /// (and for a ratio series).
    pub history_h1: String,
    /// Typical spread on the reference venue, basis points.
    pub spread_bps: f64,
    /// Typical quantity at the top of book on the reference venue.
    pub top_qty: f64,
    /// A cross priced from two other series instead of bars of its own:
    /// numerator then denominator (`["ETH/USDT", "BTC/USDT"]` prices
    /// ETH/BTC), each a series with its own `file`, so a triangle of
    /// markets on one venue stays consistent. Empty (the default) for a
    /// series driven by its `file`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ratio_of: Vec<String>,
}

impl DemoSeriesConfig {
    /// True for a cross priced from two other series (`ratio_of`).
    pub fn is_ratio(&self) -> bool {
        !self.ratio_of.is_empty()
    }
}

/// How one venue quotes in the demo.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoVenueConfig {
    /// A venue named in `[[venues]]`.
    pub venue: String,
    /// How far behind the reference price this venue's quotes run, ms.
    pub lag_ms: u64,
    /// Spread relative to the series' spread.
    pub spread_mult: f64,
    /// Top-of-book size relative to the series' size.
    pub size_mult: f64,
}

/// Checks `[market.demo]`: every number in its range (intervals and lags
/// of at most a minute, a trade interval of at most an hour, at most one
/// dislocation a second on average and none longer than ten minutes, so the
/// dislocations alive at once stay few), series of known instruments whose
/// files are bundled (`bundled` says which) or read and parse next to the
/// configuration (`base_dir`, through [`read_series`], the reader the demo
/// market uses; `None` checks bundled names only), ratio series
/// ([`check_ratio`]), and venue settings for known venues.
pub fn validate(
    demo: &DemoConfig,
    catalog: &Catalog,
    base_dir: Option<&Path>,
    bundled: &dyn Fn(&str) -> bool,
) -> Result<(), Invalid> {
    let key = |k: &str| format!("market.demo.{k}");
    range(key("quote_interval_ms"), demo.quote_interval_ms, 1, 60_000)?;
    range(
        key("trade_interval_ms"),
        demo.trade_interval_ms,
        1,
        3_600_000,
    )?;
    range(key("basis_bps"), demo.basis_bps, 0.0, 1_000.0)?;
    above(
        key("basis_halflife_secs"),
        demo.basis_halflife_secs,
        0.0,
        86_400.0,
    )?;
    range(
        key("dislocations_per_hour"),
        demo.dislocations_per_hour,
        0.0,
        3_600.0,
    )?;
    range(
        key("dislocation_mean_pct"),
        demo.dislocation_mean_pct,
        0.0,
        20.0,
    )?;
    range(
        key("dislocation_max_pct"),
        demo.dislocation_max_pct,
        0.0,
        50.0,
    )?;
    above(key("dislocation_secs"), demo.dislocation_secs, 0.0, 600.0)?;
    for (i, s) in demo.series.iter().enumerate() {
        let key = format!("market.demo.series[{i}]");
        if catalog.instrument_by_name(&s.instrument).is_none() {
            return Err(bad(
                format!("{key}.instrument"),
                format!("unknown instrument `{}`", s.instrument),
            )
            .because("instruments"));
        }
        range(format!("{key}.spread_bps"), s.spread_bps, 0.0, 1_000.0)?;
        above(format!("{key}.top_qty"), s.top_qty, 0.0, 1e12)?;
        if s.is_ratio() {
            check_ratio(&key, s, &demo.series)?;
            continue;
        }
        for (field, file, minutes) in [
            ("file", &s.file, true),
            ("history_h1", &s.history_h1, false),
        ] {
            if file.is_empty() && !minutes {
                continue;
            }
            check_series_file(&format!("{key}.{field}"), file, minutes, base_dir, bundled)?;
        }
    }
    for (i, v) in demo.venues.iter().enumerate() {
        let key = format!("market.demo.venues[{i}]");
        if catalog.venue_by_name(&v.venue).is_none() {
            return Err(bad(
                format!("{key}.venue"),
                format!("unknown venue `{}`", v.venue),
            )
            .because("venues"));
        }
        range(format!("{key}.lag_ms"), v.lag_ms, 0, 60_000)?;
        range(format!("{key}.spread_mult"), v.spread_mult, 0.0, 100.0)?;
        above(format!("{key}.size_mult"), v.size_mult, 0.0, 1_000.0)?;
    }
    Ok(())
}

/// A ratio series (`ratio_of`, at `key`): no files of its own, and two
/// different names of other series that have their own `file` (a cross of
/// crosses, or of itself, has no bars to start from).
fn check_ratio(key: &str, s: &DemoSeriesConfig, all: &[DemoSeriesConfig]) -> Result<(), Invalid> {
    for (field, file) in [("file", &s.file), ("history_h1", &s.history_h1)] {
        if !file.is_empty() {
            return Err(bad(
                format!("{key}.{field}"),
                format!(
                    "a ratio series (`ratio_of`) is priced from two other series \
                     and has no bars of its own: write {field} = \"\", not `{file}`"
                ),
            ));
        }
    }
    let key = format!("{key}.ratio_of");
    let [num, den] = s.ratio_of.as_slice() else {
        return Err(bad(
            key,
            format!(
                "names two series, numerator then denominator, not {}",
                s.ratio_of.len()
            ),
        ));
    };
    if num == den {
        return Err(bad(
            key,
            format!("numerator and denominator are both `{num}`"),
        ));
    }
    for name in [num, den] {
        let driven = all
            .iter()
            .any(|o| &o.instrument == name && !o.is_ratio() && o.instrument != s.instrument);
        if !driven {
            return Err(bad(
                &key,
                format!("`{name}` is not another series of market.demo.series with its own `file`"),
            )
            .because("market.demo.series"));
        }
    }
    Ok(())
}

/// A series file the run can use: bundled, or (with `base_dir`) read and
/// parsed as the demo market will, a minute series also long enough to
/// have a live part after its history.
fn check_series_file(
    key: &str,
    file: &str,
    minutes: bool,
    base_dir: Option<&Path>,
    bundled: &dyn Fn(&str) -> bool,
) -> Result<(), Invalid> {
    if bundled(file) {
        return Ok(());
    }
    let Some(dir) = base_dir else {
        return Err(bad(key, format!("`{file}` is not a bundled series")));
    };
    if !dir.join(file).is_file() {
        return Err(bad(
            key,
            format!("`{file}` is neither a bundled series nor a readable file"),
        ));
    }
    let bars = read_series(file, dir).map_err(|e| bad(key, e.to_string()))?;
    if minutes {
        live_start(file, &bars).map_err(|e| bad(key, e.to_string()))?;
    }
    Ok(())
}
