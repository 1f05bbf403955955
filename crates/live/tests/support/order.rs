//! An engine order as the engine would hand it to a live broker, for the
//! live tests and the bench (account 0, venue 0).
#![allow(dead_code)]

use omni_core::domain::{
    AccountId, InstrumentId, Order, OrderId, OrderPurpose, OrderStatus, OrderType, Side,
    TimeInForce, Timestamp, VenueId,
};
use rust_decimal::Decimal;

/// Order `id` on instrument `instrument`; `reference` is the price the
/// engine valued it at (a market order's notional is checked at it).
pub fn order(
    id: u64,
    instrument: u16,
    side: Side,
    kind: OrderType,
    qty: Decimal,
    limit: Option<Decimal>,
    reference: Decimal,
) -> Order {
    Order {
        id: OrderId(id),
        account: AccountId(0),
        instrument: InstrumentId(instrument),
        venue: VenueId(0),
        side,
        order_type: kind,
        tif: TimeInForce::Gtc,
        qty,
        limit_price: limit,
        stop_price: None,
        reference_price: reference,
        status: OrderStatus::Pending,
        filled_qty: Decimal::ZERO,
        avg_fill_price: Decimal::ZERO,
        fees: Decimal::ZERO,
        purpose: OrderPurpose::Entry,
        exit_reason: None,
        opportunity: None,
        binary: None,
        position_contract: 0,
        stop_loss: None,
        take_profit: None,
        created: Timestamp(0),
        updated: Timestamp(0),
    }
}
