//! `[feeds.mexc]` reads and validates like the other venues' sections:
//! the venue table is all the feeds need to know of MEXC.

#[path = "common/mexc.rs"]
mod frames;

use frames::{INSTRUMENTS, catalog};
use omni_feeds::VenueKind;
use omni_feeds::config::{FeedUse, FeedsConfig, ReplayConfig, validate};

fn replay() -> ReplayConfig {
    ReplayConfig {
        files: Vec::new(),
        venue: None,
        speed: 1.0,
    }
}

/// The section as the configuration file spells it (JSON here: the same
/// serde names as TOML's).
fn section(url: &str, symbols: &str) -> FeedsConfig {
    let text = format!(
        r#"{{"mexc":{{"enabled":true,"url":"{url}","symbols":{symbols},
            "heartbeat_secs":20.0,"max_frame_bytes":1048576,"max_connection_hours":23.5,
            "account_id":"","token_env":""}}}}"#
    );
    serde_json::from_str(&text).expect("[feeds.mexc] parses")
}

#[test]
fn a_mexc_section_parses_and_validates() {
    let feeds = section("wss://wbs-api.mexc.com/ws", r#"["BTC/USDT","ETH/USDT"]"#);
    let feed = &feeds[&VenueKind::Mexc];
    assert_eq!(feed.symbols, INSTRUMENTS.map(String::from));
    let cat = catalog();
    let checked = validate(&feeds, &replay(), FeedUse::Live, &cat, None);
    assert!(checked.is_ok(), "{checked:?}");
    // The venue's symbols for those instruments, as binance.rs names them.
    let map = VenueKind::Mexc
        .symbol_map(&cat, &feed.symbols)
        .expect("mexc is in the catalog");
    assert_eq!(map.symbols(), ["BTCUSDT", "ETHUSDT"]);
}

#[test]
fn a_mexc_section_is_checked_like_the_others() {
    let cat = catalog();
    let http = section("https://wbs-api.mexc.com/ws", r#"["BTC/USDT"]"#);
    let e = validate(&http, &replay(), FeedUse::Live, &cat, None).expect_err("not ws");
    assert!(format!("{e:?}").contains("ws(s)"), "{e:?}");
    let unknown = section("wss://wbs-api.mexc.com/ws", r#"["DOGE/USDT"]"#);
    let e = validate(&unknown, &replay(), FeedUse::Live, &cat, None).expect_err("unknown");
    assert!(format!("{e:?}").contains("DOGE/USDT"), "{e:?}");
    let mut no_venue = cat.clone();
    no_venue.venues[0].name = "binance".into();
    let ok = section("wss://wbs-api.mexc.com/ws", r#"["BTC/USDT"]"#);
    let e = validate(&ok, &replay(), FeedUse::Live, &no_venue, None).expect_err("no venue");
    assert!(format!("{e:?}").contains("mexc"), "{e:?}");
}
