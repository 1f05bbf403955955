//! MEXC's private stream pushes, which are binary protobuf frames, as
//! prost structs written here from MEXC's published `.proto` files
//! (github.com/mexcdevelop/websocket-proto: `PushDataV3ApiWrapper`,
//! `PrivateOrdersV3Api`, `PrivateDealsV3Api`, `PrivateAccountV3Api`), so
//! no `protoc` runs at build time. Only the private bodies are declared;
//! a public body's tag is skipped as an unknown field.
//!
//! Field numbers and types are MEXC's; decimals are strings.

use crate::api::{VenueFill, VenueOrder, VenueOrderState};
use omni_core::domain::Side;
use prost::Message;
use rust_decimal::Decimal;

/// The envelope of every push.
#[derive(Clone, PartialEq, Message)]
pub struct PushDataV3ApiWrapper {
    #[prost(string, tag = "1")]
    pub channel: String,
    #[prost(oneof = "Body", tags = "304, 306, 307")]
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

/// The private bodies of the envelope's `oneof body`.
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum Body {
    #[prost(message, tag = "304")]
    PrivateOrders(PrivateOrdersV3Api),
    #[prost(message, tag = "306")]
    PrivateDeals(PrivateDealsV3Api),
    #[prost(message, tag = "307")]
    PrivateAccount(PrivateAccountV3Api),
}

/// `spot@private.orders.v3.api.pb`: an order changed.
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
    /// 1 LIMIT, 2 POST_ONLY, 3 IOC, 4 FOK, 5 MARKET, 100 stop.
    #[prost(int32, tag = "7")]
    pub order_type: i32,
    /// 1 buy, 2 sell.
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
    /// 1 new, 2 filled, 3 partially filled, 4 cancelled, 5 partially
    /// cancelled.
    #[prost(int32, tag = "15")]
    pub status: i32,
    #[prost(int64, tag = "16")]
    pub create_time: i64,
}

/// `spot@private.deals.v3.api.pb`: one execution of ours.
#[derive(Clone, PartialEq, Message)]
pub struct PrivateDealsV3Api {
    #[prost(string, tag = "1")]
    pub price: String,
    #[prost(string, tag = "2")]
    pub quantity: String,
    #[prost(string, tag = "3")]
    pub amount: String,
    /// 1 buy, 2 sell.
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

/// `spot@private.account.v3.api.pb`: a balance changed (holdings are read
/// by query; decoded only so the frame is recognised).
#[derive(Clone, PartialEq, Message)]
pub struct PrivateAccountV3Api {
    #[prost(string, tag = "1")]
    pub vcoin_name: String,
    #[prost(string, tag = "2")]
    pub coin_id: String,
    #[prost(string, tag = "3")]
    pub balance_amount: String,
    #[prost(string, tag = "4")]
    pub balance_amount_change: String,
    #[prost(string, tag = "5")]
    pub frozen_amount: String,
    #[prost(string, tag = "6")]
    pub frozen_amount_change: String,
    #[prost(string, tag = "7")]
    pub r#type: String,
    #[prost(int64, tag = "8")]
    pub time: i64,
}

/// What a push means for the order manager.
#[derive(Clone, Debug, PartialEq)]
pub enum Push {
    Order(VenueOrder),
    Fill(VenueFill),
    /// A balance change or a body we do not use.
    Other,
}

fn dec(what: &str, s: &str) -> Result<Decimal, String> {
    if s.is_empty() {
        return Ok(Decimal::ZERO);
    }
    s.parse::<Decimal>()
        .map(|d| d.normalize())
        .map_err(|e| format!("{what} {s:?}: {e}"))
}

fn side(trade_type: i32) -> Result<Side, String> {
    match trade_type {
        1 => Ok(Side::Buy),
        2 => Ok(Side::Sell),
        other => Err(format!("unknown tradeType {other}")),
    }
}

fn state(status: i32) -> Result<VenueOrderState, String> {
    Ok(match status {
        1 => VenueOrderState::New,
        2 => VenueOrderState::Filled,
        3 => VenueOrderState::PartiallyFilled,
        4 | 5 => VenueOrderState::Cancelled,
        other => return Err(format!("unknown order status {other}")),
    })
}

/// Decodes one binary frame.
pub fn decode(frame: &[u8]) -> Result<Push, String> {
    let w = PushDataV3ApiWrapper::decode(frame).map_err(|e| format!("protobuf: {e}"))?;
    let symbol = w.symbol.clone().unwrap_or_default();
    match w.body {
        Some(Body::PrivateOrders(o)) => {
            if symbol.is_empty() {
                return Err("order push without a symbol".into());
            }
            let limit = dec("price", &o.price)?;
            Ok(Push::Order(VenueOrder {
                client_id: if o.client_id.is_empty() {
                    o.id.clone()
                } else {
                    o.client_id.clone()
                },
                venue_id: o.id.clone(),
                symbol,
                side: side(o.trade_type)?,
                qty: dec("quantity", &o.quantity)?,
                filled: dec("cumulativeQuantity", &o.cumulative_quantity)?,
                limit: (o.order_type != 5 && limit > Decimal::ZERO).then_some(limit),
                state: state(o.status)?,
                reason: (o.status == 5).then(|| "cancelled after partial fills".to_string()),
            }))
        }
        Some(Body::PrivateDeals(d)) => {
            if symbol.is_empty() || d.trade_id.is_empty() {
                return Err("deal push without a symbol or trade id".into());
            }
            Ok(Push::Fill(VenueFill {
                trade_id: d.trade_id.clone(),
                client_id: (!d.client_order_id.is_empty()).then(|| d.client_order_id.clone()),
                venue_order_id: d.order_id.clone(),
                symbol,
                side: side(d.trade_type)?,
                qty: dec("quantity", &d.quantity)?,
                price: dec("price", &d.price)?,
                fee: dec("feeAmount", &d.fee_amount)?,
                fee_asset: d.fee_currency.clone(),
                ts_ms: d.time,
            }))
        }
        Some(Body::PrivateAccount(_)) | None => Ok(Push::Other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn decodes_the_docs_fill_and_order() {
        let deal = PushDataV3ApiWrapper {
            channel: "spot@private.deals.v3.api.pb".into(),
            symbol: Some("MXUSDT".into()),
            send_time: Some(1736417034332),
            body: Some(Body::PrivateDeals(PrivateDealsV3Api {
                price: "3.6962".into(),
                quantity: "1".into(),
                amount: "3.6962".into(),
                trade_type: 2,
                trade_id: "505979017439002624X1".into(),
                order_id: "C02__505979017439002624115".into(),
                fee_amount: "0.0003998377369698171".into(),
                fee_currency: "MX".into(),
                time: 1736417034280,
                ..Default::default()
            })),
            ..Default::default()
        };
        let Push::Fill(f) = decode(&deal.encode_to_vec()).unwrap() else {
            panic!("a fill")
        };
        assert_eq!(
            (f.trade_id.as_str(), f.side, f.qty, f.fee, f.client_id),
            (
                "505979017439002624X1",
                Side::Sell,
                dec!(1),
                dec!(0.0003998377369698171),
                None
            )
        );
        let order = PushDataV3ApiWrapper {
            channel: "spot@private.orders.v3.api.pb".into(),
            symbol: Some("MXUSDT".into()),
            body: Some(Body::PrivateOrders(PrivateOrdersV3Api {
                id: "C02__505979017439002624115".into(),
                price: "3.5121".into(),
                quantity: "1".into(),
                amount: "0".into(),
                avg_price: "3.6962".into(),
                order_type: 5,
                trade_type: 2,
                remain_amount: "0".into(),
                remain_quantity: "0".into(),
                last_deal_quantity: Some("1".into()),
                cumulative_quantity: "1".into(),
                cumulative_amount: "3.6962".into(),
                status: 2,
                create_time: 1736417034259,
                ..Default::default()
            })),
            ..Default::default()
        };
        let Push::Order(o) = decode(&order.encode_to_vec()).unwrap() else {
            panic!("an order")
        };
        assert_eq!(
            (o.state, o.filled, o.limit, o.client_id.as_str()),
            (
                VenueOrderState::Filled,
                dec!(1),
                None,
                "C02__505979017439002624115"
            )
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(decode(&[0xff, 0xff, 0xff]).is_err());
        let bad = PushDataV3ApiWrapper {
            channel: "x".into(),
            symbol: Some("BTCUSDT".into()),
            body: Some(Body::PrivateOrders(PrivateOrdersV3Api {
                quantity: "one".into(),
                trade_type: 1,
                status: 1,
                ..Default::default()
            })),
            ..Default::default()
        };
        assert!(decode(&bad.encode_to_vec()).is_err());
    }
}
