//! `[market.demo]`: the built-in demo market, and its validation.

use omni_core::domain::Catalog;
use omni_core::validation::{Invalid, bad};
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
    /// `time,open,high,low,close,volume` (time in Unix seconds, UTC).
    pub file: String,
    /// Hourly bars before the minute history, replayed at start-up so the
    /// hourly model starts warm: a bundled file or a path; empty for none.
    pub history_h1: String,
    /// Typical spread on the reference venue, basis points.
    pub spread_bps: f64,
    /// Typical quantity at the top of book on the reference venue.
    pub top_qty: f64,
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

/// Checks `[market.demo]`: series of known instruments with a sane spread
/// and size, whose files are bundled (`bundled` says which) or exist next
/// to the configuration (`base_dir`; `None` checks bundled names only), and
/// venue settings for known venues.
pub fn validate(
    demo: &DemoConfig,
    catalog: &Catalog,
    base_dir: Option<&Path>,
    bundled: &dyn Fn(&str) -> bool,
) -> Result<(), Invalid> {
    for (i, s) in demo.series.iter().enumerate() {
        let key = format!("market.demo.series[{i}]");
        if catalog.instrument_by_name(&s.instrument).is_none() {
            return Err(bad(
                format!("{key}.instrument"),
                format!("unknown instrument `{}`", s.instrument),
            ));
        }
        if s.spread_bps < 0.0 || s.top_qty <= 0.0 {
            return Err(bad(key, "spread_bps must be >= 0 and top_qty > 0"));
        }
        let exists = |f: &str| bundled(f) || base_dir.is_some_and(|d| d.join(f).is_file());
        if !exists(&s.file) {
            return Err(bad(
                format!("{key}.file"),
                format!(
                    "`{}` is neither a bundled series nor a readable file",
                    s.file
                ),
            ));
        }
        if !s.history_h1.is_empty() && !exists(&s.history_h1) {
            return Err(bad(
                format!("{key}.history_h1"),
                format!(
                    "`{}` is neither a bundled series nor a readable file",
                    s.history_h1
                ),
            ));
        }
    }
    for (i, v) in demo.venues.iter().enumerate() {
        if catalog.venue_by_name(&v.venue).is_none() {
            return Err(bad(
                format!("market.demo.venues[{i}].venue"),
                format!("unknown venue `{}`", v.venue),
            ));
        }
    }
    Ok(())
}
