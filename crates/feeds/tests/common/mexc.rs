//! What the MEXC tests share: a catalog with a `mexc` venue, and pushes
//! built with the connector's own protobuf structs (no MEXC capture exists
//! under ../shared/data, so the frames are encoded here, from the
//! documented examples).

// Each test file uses the parts it needs.
#![allow(dead_code)]

use omni_core::domain::{AssetClass, Catalog, Instrument, InstrumentId, Venue, VenueId};
use omni_feeds::config::{FeedConfig, FeedsConfig};
use omni_feeds::mexc::proto::*;
use omni_feeds::mexc::{book_ticker_channel, deals_channel, kline_channel};
use omni_feeds::{SymbolMap, VenueKind};
use prost::Message as _;
use rust_decimal::Decimal;

/// Our instrument names, in catalog order.
pub const INSTRUMENTS: [&str; 2] = ["BTC/USDT", "ETH/USDT"];

/// One venue, `mexc`, listing `names`.
pub fn catalog_of(names: &[String]) -> Catalog {
    Catalog {
        venues: vec![Venue {
            id: VenueId(0),
            name: "mexc".into(),
            taker_fee: Decimal::new(5, 4),
            maker_fee: Decimal::ZERO,
        }],
        instruments: names
            .iter()
            .enumerate()
            .map(|(i, name)| Instrument {
                id: InstrumentId(i as u16),
                name: name.clone(),
                class: AssetClass::Crypto,
                tick_size: Decimal::new(1, 2),
                lot_size: Decimal::new(1, 6),
                min_qty: Decimal::new(1, 6),
                venues: vec![VenueId(0)],
            })
            .collect(),
        accounts: Vec::new(),
    }
}

/// The catalog of [`INSTRUMENTS`].
pub fn catalog() -> Catalog {
    catalog_of(&INSTRUMENTS.map(String::from))
}

/// `[feeds.mexc]` for these instruments at `url`.
pub fn feeds(url: &str, symbols: &[String]) -> FeedsConfig {
    let mut f = FeedsConfig::new();
    f.insert(
        VenueKind::Mexc,
        FeedConfig {
            enabled: true,
            url: url.into(),
            symbols: symbols.to_vec(),
            heartbeat_secs: 20.0,
            max_frame_bytes: 4096,
            max_connection_hours: 23.5,
            account_id: String::new(),
            token_env: String::new(),
            depth: false,
            history_url: String::new(),
        },
    );
    f
}

/// MEXC symbol → instrument for [`INSTRUMENTS`].
pub fn symbol_map() -> SymbolMap {
    VenueKind::Mexc
        .symbol_map(&catalog(), &INSTRUMENTS.map(String::from))
        .expect("the catalog has mexc")
}

/// A push of `body` on `channel` for `symbol`, as MEXC frames it.
pub fn push(channel: String, symbol: &str, body: Body) -> Vec<u8> {
    PushDataV3ApiWrapper {
        channel,
        body: Some(body),
        symbol: Some(symbol.into()),
        symbol_id: Some("2fb942154ef44a4ab2ef98c8afb6a4a7".into()),
        create_time: Some(1_736_412_092_400),
        send_time: Some(1_736_412_092_433),
    }
    .encode_to_vec()
}

/// A book-ticker push.
pub fn ticker(symbol: &str, bid: &str, bid_qty: &str, ask: &str, ask_qty: &str) -> Vec<u8> {
    push(
        book_ticker_channel(symbol),
        symbol,
        Body::PublicAggreBookTicker(PublicAggreBookTickerV3Api {
            bid_price: bid.into(),
            bid_quantity: bid_qty.into(),
            ask_price: ask.into(),
            ask_quantity: ask_qty.into(),
            version: "103".into(),
            last_order_create_time: 1_736_412_092_000,
        }),
    )
}

/// A deals push of `(price, quantity, trade type)`.
pub fn deals(symbol: &str, items: &[(&str, &str, i32)]) -> Vec<u8> {
    push(
        deals_channel(symbol),
        symbol,
        Body::PublicAggreDeals(PublicAggreDealsV3Api {
            deals: items
                .iter()
                .map(|(p, q, t)| PublicAggreDealsV3ApiItem {
                    price: (*p).into(),
                    quantity: (*q).into(),
                    trade_type: *t,
                    time: 1_736_409_765_051,
                    trade_id: String::new(),
                })
                .collect(),
            event_type: "spot@public.aggre.deals.v3.api.pb@100ms".into(),
        }),
    )
}

/// A one-minute kline push of the window starting at `start` (seconds).
pub fn kline(symbol: &str, start: i64, close: &str) -> Vec<u8> {
    push(
        kline_channel(symbol),
        symbol,
        Body::PublicSpotKline(PublicSpotKlineV3Api {
            interval: "Min1".into(),
            window_start: start,
            opening_price: "92925".into(),
            closing_price: close.into(),
            highest_price: "93158.47".into(),
            lowest_price: "92800".into(),
            volume: "36.83803224".into(),
            amount: "3424811.05".into(),
            window_end: start + 60,
        }),
    )
}
