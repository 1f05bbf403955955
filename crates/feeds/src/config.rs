//! `[feeds.<venue>]` and `[market.replay]`: the live connectors and replays,
//! and their validation against the catalog.

use crate::VenueKind;
use crate::venue::Transport;
use omni_core::domain::Catalog;
use omni_core::validation::{Invalid, above, bad, range};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// Replaying recordings (`omni-tui record`) or venue captures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplayConfig {
    /// Files to replay, merged by receive time (`.gz` is read compressed).
    pub files: Vec<String>,
    /// Venue of files in the capture format (`<ns> <raw JSON>` per line),
    /// which do not name it; leave it out for our own recordings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub venue: Option<VenueKind>,
    /// Market time per wall-clock time in the cockpit (1 = real time).
    pub speed: f64,
}

/// One venue's market-data feed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedConfig {
    /// Connect to it when the source is live.
    pub enabled: bool,
    /// Endpoint (the venue's real one by default; tests point it at 127.0.0.1).
    pub url: String,
    /// Our instrument names; each must list this venue.
    pub symbols: Vec<String>,
    /// The venue's heartbeat interval, seconds: silence for twice this long
    /// means the connection is dead.
    pub heartbeat_secs: f64,
    /// Frames larger than this are counted and dropped.
    pub max_frame_bytes: usize,
    /// Reconnect before the venue's connection age limit, hours.
    pub max_connection_hours: f64,
    /// Account id (OANDA only).
    pub account_id: String,
    /// Name of the environment variable holding the API token (OANDA
    /// only); the token itself never goes in the config file.
    pub token_env: String,
    /// Also subscribe to the venue's partial book (Binance `depth10`), so
    /// arbitrage sizes from the levels behind the top. Only for a venue
    /// with a depth stream here.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub depth: bool,
    /// REST base of the venue's bar history, for the start-up back-fill
    /// (`[market.backfill]`). Empty: the venue's public REST endpoint while
    /// `url` is its public stream, else none (see
    /// [`crate::history::config::history_base`]).
    #[serde(default)]
    pub history_url: String,
}

/// `[feeds.<venue>]`: one section per venue we have a connector for
/// (`VenueKind::ALL`); a section for any other name is refused.
pub type FeedsConfig = BTreeMap<VenueKind, FeedConfig>;

/// True for what can be an environment variable's name:
/// `^[A-Za-z_][A-Za-z0-9_]*$`.
pub fn is_env_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// How the feeds are used in this run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeedUse {
    /// Not at all (the demo market).
    None,
    /// The enabled feeds are connected (live source).
    Live,
    /// Recorded files are replayed (replay source).
    Replay,
}

/// Checks `[feeds.*]` and `[market.replay]`: durations, sizes and the replay
/// speed in their ranges always (a heartbeat of at most an hour, frames of
/// 1 KiB to 64 MiB, connections of at most 30 days); for a live run, each
/// enabled feed names a configured venue, a URL of the right scheme and
/// instruments that venue lists (OANDA also its account and token
/// variable); for a replay, files that exist and open.
pub fn validate(
    feeds: &FeedsConfig,
    replay: &ReplayConfig,
    usage: FeedUse,
    catalog: &Catalog,
    base_dir: Option<&Path>,
) -> Result<(), Invalid> {
    for (kind, feed) in feeds {
        let name = kind.name();
        let key = format!("feeds.{name}");
        if feed.depth && kind.spec().depth.is_none() {
            return Err(bad(
                format!("{key}.depth"),
                format!("{name} has no depth stream here (binance has)"),
            ));
        }
        // TOML admits `nan` and `inf`: neither is in a range.
        above(
            format!("{key}.heartbeat_secs"),
            feed.heartbeat_secs,
            0.0,
            3_600.0,
        )?;
        // Checked whether or not the feed is used: a token pasted here is a
        // secret in a file, and it would be echoed wherever the variable is
        // named ("environment variable … is not set"). The value itself is
        // never repeated in the error.
        if !feed.token_env.is_empty() && !is_env_name(&feed.token_env) {
            return Err(bad(
                format!("{key}.token_env"),
                "must be the name of an environment variable (letters, digits and `_`, \
                 not starting with a digit), not the token itself (the value is not shown). \
                 Put the token in the environment, e.g. `export OANDA_TOKEN=…`, and write \
                 token_env = \"OANDA_TOKEN\"",
            ));
        }
        range(
            format!("{key}.max_frame_bytes"),
            feed.max_frame_bytes,
            1_024,
            64 << 20,
        )?;
        // At most 30 days, as a `Duration` of seconds.
        above(
            format!("{key}.max_connection_hours"),
            feed.max_connection_hours,
            0.0,
            720.0,
        )?;
        let h = &feed.history_url;
        if !(h.is_empty() || h.starts_with("http://") || h.starts_with("https://")) {
            return Err(bad(
                format!("{key}.history_url"),
                format!("`{h}` is not an http(s) URL"),
            ));
        }
        let live = usage == FeedUse::Live && feed.enabled;
        if !live {
            continue;
        }
        let Some(venue) = catalog.venue_by_name(name) else {
            return Err(bad(
                format!("{key}.enabled"),
                format!("no [[venues]] entry named `{name}`: add one to trade its quotes"),
            )
            .because("venues"));
        };
        let http = matches!(kind.spec().transport, Transport::HttpStream);
        let scheme_ok = if http {
            feed.url.starts_with("http://") || feed.url.starts_with("https://")
        } else {
            feed.url.starts_with("ws://") || feed.url.starts_with("wss://")
        };
        if !scheme_ok {
            return Err(bad(
                format!("{key}.url"),
                format!(
                    "`{}` is not a {} URL",
                    feed.url,
                    if http { "http(s)" } else { "ws(s)" }
                ),
            ));
        }
        if feed.symbols.is_empty() {
            return Err(bad(
                format!("{key}.symbols"),
                "an enabled feed needs at least one symbol",
            ));
        }
        for (j, sym) in feed.symbols.iter().enumerate() {
            let Some(inst) = catalog.instrument_by_name(sym) else {
                return Err(bad(
                    format!("{key}.symbols[{j}]"),
                    format!("unknown instrument `{sym}`"),
                )
                .because("instruments"));
            };
            if !catalog.instrument(inst).venues.contains(&venue) {
                return Err(bad(
                    format!("{key}.symbols[{j}]"),
                    format!("instrument `{sym}` does not list venue `{name}`"),
                )
                .because("instruments"));
            }
        }
        if http && (feed.account_id.is_empty() || feed.token_env.is_empty()) {
            return Err(bad(
                format!("{key}.account_id"),
                format!("{name} needs account_id and token_env"),
            )
            .because(format!("{key}.enabled")));
        }
    }
    if usage == FeedUse::Replay {
        let r = replay;
        if r.files.is_empty() {
            return Err(
                bad("market.replay.files", "source = \"replay\" needs files")
                    .because("market.source"),
            );
        }
        for (i, file) in r.files.iter().enumerate() {
            let Some(dir) = base_dir else { continue };
            // Opened as the replay will open it: a file that exists but
            // cannot be read is refused here, not when the run starts.
            let path = dir.join(file);
            let readable = path.is_file() && std::fs::File::open(&path).is_ok();
            if !readable {
                return Err(bad(
                    format!("market.replay.files[{i}]"),
                    format!("`{file}` is not a readable file ({})", path.display()),
                ));
            }
        }
    }
    // TOML admits `nan` and `inf`; neither is a pace. The fastest is the
    // cockpit's own maximum (a million times real time).
    above("market.replay.speed", replay.speed, 0.0, 1e6)
}

#[cfg(test)]
mod tests {
    use super::is_env_name;

    #[test]
    fn environment_variable_names() {
        for ok in ["OANDA_TOKEN", "_X", "a1", "Token_2"] {
            assert!(is_env_name(ok), "{ok}");
        }
        for not in [
            "",
            "1X",
            "sk-live-abc123!",
            "A B",
            "TOKEN=",
            "$TOKEN",
            "ÄPI",
            "a.b",
        ] {
            assert!(!is_env_name(not), "{not}");
        }
    }
}
