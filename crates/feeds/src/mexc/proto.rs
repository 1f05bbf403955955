//! MEXC's push messages, written by hand from the official `.proto` files
//! (github.com/mexcdevelop/websocket-proto, Apache-2.0:
//! `PushDataV3ApiWrapper.proto`, `PublicAggreBookTickerV3Api.proto`,
//! `PublicAggreDealsV3Api.proto`, `PublicSpotKlineV3Api.proto`), with the
//! same field numbers and types, so the build needs no `protoc`.
//!
//! Only the three bodies we subscribe to are declared; a push of any other
//! body (depth, private data) decodes with `body: None`, its fields skipped
//! as protobuf's unknown fields are. Prices and quantities are strings on
//! the wire and stay strings here: the parser reads them into exact
//! decimals.

/// The envelope of every push: the channel it belongs to, one body, and
/// the symbol and times.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PushDataV3ApiWrapper {
    /// The channel, e.g. `spot@public.aggre.bookTicker.v3.api.pb@100ms@BTCUSDT`.
    #[prost(string, tag = "1")]
    pub channel: String,
    /// The data (`oneof body` in the .proto).
    #[prost(oneof = "Body", tags = "308, 314, 315")]
    pub body: Option<Body>,
    /// The venue symbol, e.g. `BTCUSDT`.
    #[prost(string, optional, tag = "3")]
    pub symbol: Option<String>,
    /// MEXC's id of the symbol.
    #[prost(string, optional, tag = "4")]
    pub symbol_id: Option<String>,
    /// When the message was made, ms since the epoch.
    #[prost(int64, optional, tag = "5")]
    pub create_time: Option<i64>,
    /// When the message was sent, ms since the epoch.
    #[prost(int64, optional, tag = "6")]
    pub send_time: Option<i64>,
}

/// The bodies of [`PushDataV3ApiWrapper`] that we read.
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum Body {
    /// `publicSpotKline = 308`: the running candle of one interval.
    #[prost(message, tag = "308")]
    PublicSpotKline(PublicSpotKlineV3Api),
    /// `publicAggreDeals = 314`: the trades of one aggregation window.
    #[prost(message, tag = "314")]
    PublicAggreDeals(PublicAggreDealsV3Api),
    /// `publicAggreBookTicker = 315`: the best bid and ask.
    #[prost(message, tag = "315")]
    PublicAggreBookTicker(PublicAggreBookTickerV3Api),
}

/// `spot@public.aggre.bookTicker.v3.api.pb@(100ms|10ms)@<symbol>`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PublicAggreBookTickerV3Api {
    #[prost(string, tag = "1")]
    pub bid_price: String,
    #[prost(string, tag = "2")]
    pub bid_quantity: String,
    #[prost(string, tag = "3")]
    pub ask_price: String,
    #[prost(string, tag = "4")]
    pub ask_quantity: String,
    #[prost(string, tag = "5")]
    pub version: String,
    #[prost(int64, tag = "6")]
    pub last_order_create_time: i64,
}

/// `spot@public.aggre.deals.v3.api.pb@(100ms|10ms)@<symbol>`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PublicAggreDealsV3Api {
    #[prost(message, repeated, tag = "1")]
    pub deals: Vec<PublicAggreDealsV3ApiItem>,
    #[prost(string, tag = "2")]
    pub event_type: String,
}

/// One trade of [`PublicAggreDealsV3Api`].
#[derive(Clone, PartialEq, prost::Message)]
pub struct PublicAggreDealsV3ApiItem {
    #[prost(string, tag = "1")]
    pub price: String,
    #[prost(string, tag = "2")]
    pub quantity: String,
    /// 1: a buyer took liquidity; 2: a seller did.
    #[prost(int32, tag = "3")]
    pub trade_type: i32,
    /// Trade time, ms since the epoch.
    #[prost(int64, tag = "4")]
    pub time: i64,
    #[prost(string, tag = "5")]
    pub trade_id: String,
}

/// `spot@public.kline.v3.api.pb@<symbol>@<interval>`: the running candle,
/// pushed as it changes (there is no "closed" flag).
#[derive(Clone, PartialEq, prost::Message)]
pub struct PublicSpotKlineV3Api {
    /// `Min1`, `Min5`, `Min15`, `Min30`, `Min60`, `Hour4`, `Hour8`, `Day1`,
    /// `Week1`, `Month1`.
    #[prost(string, tag = "1")]
    pub interval: String,
    /// Window start, **seconds** since the epoch.
    #[prost(int64, tag = "2")]
    pub window_start: i64,
    #[prost(string, tag = "3")]
    pub opening_price: String,
    #[prost(string, tag = "4")]
    pub closing_price: String,
    #[prost(string, tag = "5")]
    pub highest_price: String,
    #[prost(string, tag = "6")]
    pub lowest_price: String,
    /// Traded quantity, base asset.
    #[prost(string, tag = "7")]
    pub volume: String,
    /// Traded value, quote asset.
    #[prost(string, tag = "8")]
    pub amount: String,
    /// Window end, seconds since the epoch.
    #[prost(int64, tag = "9")]
    pub window_end: i64,
}
