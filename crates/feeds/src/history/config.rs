//! `[market.backfill]`: how many recent bars the live feeds fetch before
//! they connect, and how long they may take; and where each venue's history
//! is asked for (`[feeds.<venue>] history_url`).

use crate::{FeedConfig, VenueKind};
use omni_core::validation::{Invalid, above, range};
use serde::{Deserialize, Serialize};

/// The start-up back-fill of a live run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackfillConfig {
    /// Fetch recent bars before the live feeds connect.
    pub enabled: bool,
    /// One-minute bars per instrument, counted back from now and then back
    /// to the start of that hour (so the hourly bars built from them are
    /// whole): at least 50 warm the 5-minute model, 250 the 60-minute one.
    pub m1_bars: usize,
    /// Hourly bars per instrument before the minute bars: 50 warm the
    /// 24-hour model.
    pub h1_bars: usize,
    /// Seconds the whole back-fill may take; a venue not done by then
    /// starts cold, and the live feeds connect.
    pub timeout_secs: f64,
}

impl Default for BackfillConfig {
    /// Off: what a caller that does not ask for a back-fill gets.
    fn default() -> Self {
        Self {
            enabled: false,
            m1_bars: 0,
            h1_bars: 0,
            timeout_secs: 15.0,
        }
    }
}

/// Checks `[market.backfill]`: at most 10 000 minute bars and 2 000 hourly
/// bars (a bounded start-up), a timeout of more than 0 and at most 300 s.
pub fn validate(c: &BackfillConfig) -> Result<(), Invalid> {
    range("market.backfill.m1_bars", c.m1_bars, 0, 10_000)?;
    range("market.backfill.h1_bars", c.h1_bars, 0, 2_000)?;
    above("market.backfill.timeout_secs", c.timeout_secs, 0.0, 300.0)
}

/// Each venue's public market-data stream and the REST base its history
/// comes from.
const PUBLIC: &[(VenueKind, &str, &str)] = &[
    (
        VenueKind::Binance,
        "wss://stream.binance.com",
        "https://api.binance.com",
    ),
    (
        VenueKind::Binance,
        "wss://data-stream.binance.vision",
        "https://data-api.binance.vision",
    ),
    (
        VenueKind::Kraken,
        "wss://ws.kraken.com",
        "https://api.kraken.com",
    ),
    (
        VenueKind::Coinbase,
        "wss://advanced-trade-ws.coinbase.com",
        "https://api.coinbase.com",
    ),
    (
        VenueKind::Bybit,
        "wss://stream.bybit.com",
        "https://api.bybit.com",
    ),
    (
        VenueKind::Bybit,
        "wss://stream-testnet.bybit.com",
        "https://api-testnet.bybit.com",
    ),
    (
        VenueKind::Oanda,
        "https://stream-fxpractice.oanda.com",
        "https://api-fxpractice.oanda.com",
    ),
    (
        VenueKind::Oanda,
        "https://stream-fxtrade.oanda.com",
        "https://api-fxtrade.oanda.com",
    ),
    (
        VenueKind::Mexc,
        "wss://wbs-api.mexc.com",
        "https://api.mexc.com",
    ),
];

/// Where `feed`'s history is asked for: its `history_url` when set; else
/// the venue's public REST endpoint while `url` is the venue's public
/// stream; else nowhere (a feed pointed at a mirror or a local server is
/// not back-filled from the real venue behind its back).
pub fn history_base(kind: VenueKind, feed: &FeedConfig) -> Option<String> {
    if !feed.history_url.is_empty() {
        return Some(feed.history_url.clone());
    }
    PUBLIC
        .iter()
        .find(|(k, ws, _)| *k == kind && feed.url.starts_with(ws))
        .map(|(_, _, rest)| (*rest).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(url: &str, history_url: &str) -> FeedConfig {
        FeedConfig {
            enabled: true,
            url: url.into(),
            symbols: Vec::new(),
            heartbeat_secs: 20.0,
            max_frame_bytes: 1 << 20,
            max_connection_hours: 23.5,
            account_id: String::new(),
            token_env: String::new(),
            depth: false,
            history_url: history_url.into(),
        }
    }

    #[test]
    fn the_public_stream_gets_the_public_history_and_a_local_one_none() {
        let b = VenueKind::Binance;
        assert_eq!(
            history_base(b, &feed("wss://stream.binance.com:9443/stream", "")).as_deref(),
            Some("https://api.binance.com")
        );
        assert_eq!(history_base(b, &feed("ws://127.0.0.1:9000", "")), None);
        assert_eq!(
            history_base(b, &feed("ws://127.0.0.1:9000", "http://127.0.0.1:9001")).as_deref(),
            Some("http://127.0.0.1:9001")
        );
        assert_eq!(
            history_base(
                VenueKind::Oanda,
                &feed("https://stream-fxpractice.oanda.com/v3", "")
            )
            .as_deref(),
            Some("https://api-fxpractice.oanda.com")
        );
        // Another venue's stream is not this venue's.
        assert_eq!(
            history_base(VenueKind::Kraken, &feed("wss://stream.binance.com", "")),
            None
        );
    }

    #[test]
    fn ranges() {
        let ok = BackfillConfig {
            enabled: true,
            m1_bars: 300,
            h1_bars: 60,
            timeout_secs: 15.0,
        };
        assert!(validate(&ok).is_ok());
        for bad in [
            BackfillConfig {
                m1_bars: 10_001,
                ..ok.clone()
            },
            BackfillConfig {
                h1_bars: 2_001,
                ..ok.clone()
            },
            BackfillConfig {
                timeout_secs: 0.0,
                ..ok.clone()
            },
            BackfillConfig {
                timeout_secs: f64::NAN,
                ..ok.clone()
            },
        ] {
            assert!(validate(&bad).is_err(), "{bad:?}");
        }
    }
}
