//! The protobuf pushes of MEXC's private stream, as prost structs written
//! from MEXC's published `.proto` files (`PushDataV3ApiWrapper`,
//! `PrivateOrdersV3Api`, `PrivateDealsV3Api`), for the mock to encode.
//! Field numbers and types are MEXC's; decimals are strings.

use prost::Message;

/// The envelope of every push.
#[derive(Clone, PartialEq, Message)]
pub struct PushDataV3ApiWrapper {
    #[prost(string, tag = "1")]
    pub channel: String,
    #[prost(oneof = "Body", tags = "304, 306")]
    pub body: Option<Body>,
    #[prost(string, optional, tag = "3")]
    pub symbol: Option<String>,
    #[prost(string, optional, tag = "4")]
    pub symbol_id: Option<String>,
    #[prost(int64, optional, tag = "5")]
    pub create_time: Option<i64>,
    #[prost(int64, optional, tag = "6")]
    pub send_time: Option<i64>,
}

/// The private bodies the mock sends.
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum Body {
    #[prost(message, tag = "304")]
    PrivateOrders(PrivateOrdersV3Api),
    #[prost(message, tag = "306")]
    PrivateDeals(PrivateDealsV3Api),
}

/// `spot@private.orders.v3.api.pb`.
#[derive(Clone, PartialEq, Message)]
pub struct PrivateOrdersV3Api {
    #[prost(string, tag = "1")]
    pub id: String,
    #[prost(string, tag = "2")]
    pub client_id: String,
    #[prost(string, tag = "3")]
    pub price: String,
    #[prost(string, tag = "4")]
    pub quantity: String,
    #[prost(string, tag = "5")]
    pub amount: String,
    #[prost(string, tag = "6")]
    pub avg_price: String,
    #[prost(int32, tag = "7")]
    pub order_type: i32,
    #[prost(int32, tag = "8")]
    pub trade_type: i32,
    #[prost(bool, tag = "9")]
    pub is_maker: bool,
    #[prost(string, tag = "10")]
    pub remain_amount: String,
    #[prost(string, tag = "11")]
    pub remain_quantity: String,
    #[prost(string, optional, tag = "12")]
    pub last_deal_quantity: Option<String>,
    #[prost(string, tag = "13")]
    pub cumulative_quantity: String,
    #[prost(string, tag = "14")]
    pub cumulative_amount: String,
    #[prost(int32, tag = "15")]
    pub status: i32,
    #[prost(int64, tag = "16")]
    pub create_time: i64,
}

/// `spot@private.deals.v3.api.pb`.
#[derive(Clone, PartialEq, Message)]
pub struct PrivateDealsV3Api {
    #[prost(string, tag = "1")]
    pub price: String,
    #[prost(string, tag = "2")]
    pub quantity: String,
    #[prost(string, tag = "3")]
    pub amount: String,
    #[prost(int32, tag = "4")]
    pub trade_type: i32,
    #[prost(bool, tag = "5")]
    pub is_maker: bool,
    #[prost(bool, tag = "6")]
    pub is_self_trade: bool,
    #[prost(string, tag = "7")]
    pub trade_id: String,
    #[prost(string, tag = "8")]
    pub client_order_id: String,
    #[prost(string, tag = "9")]
    pub order_id: String,
    #[prost(string, tag = "10")]
    pub fee_amount: String,
    #[prost(string, tag = "11")]
    pub fee_currency: String,
    #[prost(int64, tag = "12")]
    pub time: i64,
}
