//! The six venues: their names, symbols, and which parser reads them.

use super::parser::{FrameParser, SymbolMap};
use super::{binance, bybit, coinbase, kraken, mexc, oanda};
use omni_core::domain::Catalog;

/// A venue we have a connector for; its lower-case name keys
/// `[feeds.<venue>]` and names it in `[[venues]]`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum VenueKind {
    /// Binance spot.
    Binance,
    /// Kraken v2.
    Kraken,
    /// Coinbase Advanced Trade.
    Coinbase,
    /// Bybit v5 spot.
    Bybit,
    /// OANDA v20.
    Oanda,
    /// MEXC spot (protobuf pushes).
    Mexc,
}

/// How a venue's market data arrives.
#[derive(Clone, Copy, Debug)]
pub enum Transport {
    /// A WebSocket whose subscription messages (and application ping, if
    /// the venue wants one) are built from the venue's symbols.
    WebSocket(fn(&[String]) -> Subscription),
    /// A chunked HTTP stream of JSON lines, authenticated with a token
    /// (OANDA's pricing stream); needs `account_id` and `token_env`.
    HttpStream,
}

/// What a WebSocket venue is sent after every (re)connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subscription {
    /// Subscribe requests, in order.
    pub messages: Vec<String>,
    /// An application-level ping and how often to send it.
    pub app_ping: Option<(std::time::Duration, String)>,
}

/// `"a","b"`: symbols as a JSON list body.
pub(crate) fn quoted(v: &[String]) -> String {
    v.iter()
        .map(|s| format!("\"{s}\""))
        .collect::<Vec<_>>()
        .join(",")
}

/// Everything the program knows of one venue. A new venue is a variant of
/// [`VenueKind`], its module (parser, subscription, sample frame) and one
/// row of [`VENUES`]; config, live connections, replay, health and the
/// parse benchmark read it from here.
pub struct VenueSpec {
    /// The venue.
    pub kind: VenueKind,
    /// Lower-case name: `[feeds.<name>]`, `[[venues]] name`, recordings.
    pub name: &'static str,
    /// The venue's symbol for our `base`/`quote` pair.
    pub symbol: fn(&str, &str) -> String,
    /// A fresh parser (one per connection: some keep sequence or book state).
    pub parser: fn(SymbolMap) -> Box<dyn FrameParser>,
    /// How its data arrives.
    pub transport: Transport,
    /// A typical text frame, for the parse benchmark (for a venue whose
    /// data is binary, its PONG: see `sample_binary`).
    pub sample_frame: &'static str,
    /// A typical binary data frame, for venues whose data is binary (MEXC).
    pub sample_binary: Option<&'static [u8]>,
    /// Market data absent this long means the connection is dead, even if
    /// pongs still arrive (MEXC drops such a connection after 60 s).
    pub data_silence: Option<std::time::Duration>,
    /// At most this many symbols on one connection; more open more
    /// connections (MEXC: 30 subscriptions, 3 per symbol). `None`: one
    /// connection carries them all.
    pub symbols_per_connection: Option<usize>,
    /// The subscription message for the venue's partial book, sent too
    /// when `[feeds.<venue>] depth = true`; `None`: no depth stream here.
    pub depth: Option<fn(&[String]) -> String>,
}

/// Every venue we have a connector for, in [`VenueKind`] order.
pub const VENUES: &[VenueSpec] = &[
    VenueSpec {
        kind: VenueKind::Binance,
        name: "binance",
        symbol: |base, quote| format!("{base}{quote}").to_ascii_uppercase(),
        parser: |map| Box::new(binance::BinanceParser::new(map)),
        transport: Transport::WebSocket(binance::subscription),
        sample_frame: binance::SAMPLE_FRAME,
        sample_binary: None,
        data_silence: None,
        symbols_per_connection: None,
        depth: Some(binance::depth_subscription),
    },
    VenueSpec {
        kind: VenueKind::Kraken,
        name: "kraken",
        symbol: |base, quote| format!("{base}/{quote}"),
        parser: |map| Box::new(kraken::KrakenParser::new(map)),
        transport: Transport::WebSocket(kraken::subscription),
        sample_frame: kraken::SAMPLE_FRAME,
        sample_binary: None,
        data_silence: None,
        symbols_per_connection: None,
        depth: None,
    },
    VenueSpec {
        kind: VenueKind::Coinbase,
        name: "coinbase",
        symbol: |base, quote| format!("{base}-{quote}"),
        parser: |map| Box::new(coinbase::CoinbaseParser::new(map)),
        transport: Transport::WebSocket(coinbase::subscription),
        sample_frame: coinbase::SAMPLE_FRAME,
        sample_binary: None,
        data_silence: None,
        symbols_per_connection: None,
        depth: None,
    },
    VenueSpec {
        kind: VenueKind::Bybit,
        name: "bybit",
        symbol: |base, quote| format!("{base}{quote}").to_ascii_uppercase(),
        parser: |map| Box::new(bybit::BybitParser::new(map)),
        transport: Transport::WebSocket(bybit::subscription),
        sample_frame: bybit::SAMPLE_FRAME,
        sample_binary: None,
        data_silence: None,
        symbols_per_connection: None,
        depth: None,
    },
    VenueSpec {
        kind: VenueKind::Oanda,
        name: "oanda",
        symbol: |base, quote| format!("{base}_{quote}"),
        parser: |map| Box::new(oanda::OandaParser::new(map)),
        transport: Transport::HttpStream,
        sample_frame: oanda::SAMPLE_FRAME,
        sample_binary: None,
        data_silence: None,
        symbols_per_connection: None,
        depth: None,
    },
    VenueSpec {
        kind: VenueKind::Mexc,
        name: "mexc",
        symbol: |base, quote| format!("{base}{quote}").to_ascii_uppercase(),
        parser: |map| Box::new(mexc::MexcParser::new(map)),
        transport: Transport::WebSocket(mexc::subscription),
        sample_frame: mexc::SAMPLE_PONG,
        sample_binary: Some(mexc::SAMPLE_PUSH),
        data_silence: Some(mexc::DATA_SILENCE),
        symbols_per_connection: Some(mexc::SYMBOLS_PER_CONNECTION),
        depth: None,
    },
];

impl VenueKind {
    /// Every venue, in table order.
    pub const ALL: [VenueKind; 6] = [
        VenueKind::Binance,
        VenueKind::Kraken,
        VenueKind::Coinbase,
        VenueKind::Bybit,
        VenueKind::Oanda,
        VenueKind::Mexc,
    ];

    /// Its row of [`VENUES`].
    pub fn spec(self) -> &'static VenueSpec {
        // VENUES lists every kind in declaration order (a test checks).
        &VENUES[self as usize]
    }

    /// Lower-case name (the `[[venues]]` and `[feeds.*]` name).
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// The venue whose [`name`](Self::name) is `name`; `None` for any other string.
    pub fn parse(name: &str) -> Option<Self> {
        VENUES.iter().find(|v| v.name == name).map(|v| v.kind)
    }

    /// The venue's own symbol for our instrument name (`BTC/USDT`): Binance,
    /// Bybit and MEXC `BTCUSDT`, Kraken `BTC/USDT`, Coinbase `BTC-USDT`,
    /// OANDA `EUR_USD`.
    pub fn symbol(self, ours: &str) -> String {
        let (base, quote) = ours.split_once('/').unwrap_or((ours, ""));
        (self.spec().symbol)(base, quote)
    }

    /// The venue-symbol → instrument map of a feed's `symbols` (our
    /// instrument names), or `None` if the catalog has no such venue.
    pub fn symbol_map(self, catalog: &Catalog, symbols: &[String]) -> Option<SymbolMap> {
        let venue = catalog.venue_by_name(self.name())?;
        let mut map = SymbolMap::new(venue);
        for s in symbols {
            if let Some(i) = catalog.instrument_by_name(s) {
                map.insert(self.symbol(s), i);
            }
        }
        Some(map)
    }

    /// A fresh parser (one per connection: some keep sequence or book state).
    pub fn parser(self, map: SymbolMap) -> Box<dyn FrameParser> {
        (self.spec().parser)(map)
    }

    /// The venue's symbols split into one group per connection, in order:
    /// one group for most venues, groups of at most
    /// [`VenueSpec::symbols_per_connection`] for a venue that caps its
    /// subscriptions per connection. No group is empty.
    pub fn connection_groups(self, symbols: &[String]) -> Vec<Vec<String>> {
        match self.spec().symbols_per_connection {
            Some(n) if n > 0 => symbols.chunks(n).map(<[String]>::to_vec).collect(),
            _ if symbols.is_empty() => Vec::new(),
            _ => vec![symbols.to_vec()],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_lists_every_venue_in_order() {
        assert_eq!(VENUES.len(), VenueKind::ALL.len());
        for (i, k) in VenueKind::ALL.into_iter().enumerate() {
            assert_eq!(VENUES[i].kind, k);
            assert_eq!(VenueKind::parse(k.name()), Some(k));
        }
    }

    #[test]
    fn symbols() {
        assert_eq!(VenueKind::Binance.symbol("BTC/USDT"), "BTCUSDT");
        assert_eq!(VenueKind::Kraken.symbol("BTC/USDT"), "BTC/USDT");
        assert_eq!(VenueKind::Coinbase.symbol("ETH/USDT"), "ETH-USDT");
        assert_eq!(VenueKind::Bybit.symbol("ETH/USDT"), "ETHUSDT");
        assert_eq!(VenueKind::Oanda.symbol("XAU/USD"), "XAU_USD");
        assert_eq!(VenueKind::Mexc.symbol("BTC/USDT"), "BTCUSDT");
        assert_eq!(VenueKind::parse("mexc"), Some(VenueKind::Mexc));
    }

    #[test]
    fn mexc_symbols_are_split_into_connections_of_ten() {
        let syms: Vec<String> = (0..23).map(|i| format!("S{i}USDT")).collect();
        let groups = VenueKind::Mexc.connection_groups(&syms);
        assert_eq!(groups.iter().map(Vec::len).collect::<Vec<_>>(), [10, 10, 3]);
        assert_eq!(groups.concat(), syms);
        assert_eq!(VenueKind::Binance.connection_groups(&syms), vec![syms]);
        assert!(VenueKind::Mexc.connection_groups(&[]).is_empty());
    }
}
