//! The five venues: their names, symbols, and which parser reads them.

use super::parser::{FrameParser, SymbolMap};
use super::{binance, bybit, coinbase, kraken, oanda};
use omni_core::config::{FeedConfig, FeedsConfig};
use omni_core::domain::Catalog;

/// A venue we have a connector for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
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
}

impl VenueKind {
    pub const ALL: [VenueKind; 5] = [
        VenueKind::Binance,
        VenueKind::Kraken,
        VenueKind::Coinbase,
        VenueKind::Bybit,
        VenueKind::Oanda,
    ];

    /// Lower-case name (the `[[venues]]` and `[feeds.*]` name).
    pub fn name(self) -> &'static str {
        match self {
            VenueKind::Binance => "binance",
            VenueKind::Kraken => "kraken",
            VenueKind::Coinbase => "coinbase",
            VenueKind::Bybit => "bybit",
            VenueKind::Oanda => "oanda",
        }
    }

    /// The venue whose [`name`](Self::name) is `name`; `None` for any other string.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.name() == name)
    }

    /// The venue's own symbol for our instrument name (`BTC/USDT`): Binance
    /// and Bybit `BTCUSDT`, Kraken `BTC/USDT`, Coinbase `BTC-USDT`, OANDA
    /// `EUR_USD`.
    pub fn symbol(self, ours: &str) -> String {
        let (base, quote) = ours.split_once('/').unwrap_or((ours, ""));
        match self {
            VenueKind::Binance | VenueKind::Bybit => format!("{base}{quote}").to_ascii_uppercase(),
            VenueKind::Kraken => format!("{base}/{quote}"),
            VenueKind::Coinbase => format!("{base}-{quote}"),
            VenueKind::Oanda => format!("{base}_{quote}"),
        }
    }

    /// This venue's section of `[feeds]`.
    pub fn config(self, feeds: &FeedsConfig) -> &FeedConfig {
        match self {
            VenueKind::Binance => &feeds.binance,
            VenueKind::Kraken => &feeds.kraken,
            VenueKind::Coinbase => &feeds.coinbase,
            VenueKind::Bybit => &feeds.bybit,
            VenueKind::Oanda => &feeds.oanda,
        }
    }

    /// The venue-symbol → instrument map of a feed, or `None` if the
    /// catalog has no such venue.
    pub fn symbol_map(self, catalog: &Catalog, feed: &FeedConfig) -> Option<SymbolMap> {
        let venue = catalog.venue_by_name(self.name())?;
        let mut map = SymbolMap::new(venue);
        for s in &feed.symbols {
            if let Some(i) = catalog.instrument_by_name(s) {
                map.insert(self.symbol(s), i);
            }
        }
        Some(map)
    }

    /// A fresh parser (one per connection: some keep sequence or book state).
    pub fn parser(self, map: SymbolMap) -> Box<dyn FrameParser> {
        match self {
            VenueKind::Binance => Box::new(binance::BinanceParser::new(map)),
            VenueKind::Kraken => Box::new(kraken::KrakenParser::new(map)),
            VenueKind::Coinbase => Box::new(coinbase::CoinbaseParser::new(map)),
            VenueKind::Bybit => Box::new(bybit::BybitParser::new(map)),
            VenueKind::Oanda => Box::new(oanda::OandaParser::new(map)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols() {
        assert_eq!(VenueKind::Binance.symbol("BTC/USDT"), "BTCUSDT");
        assert_eq!(VenueKind::Kraken.symbol("BTC/USDT"), "BTC/USDT");
        assert_eq!(VenueKind::Coinbase.symbol("ETH/USDT"), "ETH-USDT");
        assert_eq!(VenueKind::Bybit.symbol("ETH/USDT"), "ETHUSDT");
        assert_eq!(VenueKind::Oanda.symbol("XAU/USD"), "XAU_USD");
    }
}
