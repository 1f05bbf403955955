//! Reading an order manager's reports in the live tests: wait for a
//! condition, pick out fills, recognise the venue's word "flat".
#![allow(dead_code)]

use omni_core::domain::{OrderId, Timestamp};
use omni_core::execution::{Broker, ExecutionReport};
use omni_live::LiveBroker;
use rust_decimal::Decimal;
use std::time::{Duration, Instant};

/// Every report handed over until `done` holds of them all, or `within`
/// passes.
pub async fn reports_until(
    b: &mut LiveBroker,
    within: Duration,
    done: impl Fn(&[ExecutionReport]) -> bool,
) -> Vec<ExecutionReport> {
    let start = Instant::now();
    let mut all = Vec::new();
    while start.elapsed() < within {
        b.advance(Timestamp(1), &mut all);
        if done(&all) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    all
}

/// (order, quantity, price) of each fill, in order.
pub fn fills(r: &[ExecutionReport]) -> Vec<(OrderId, Decimal, Decimal)> {
    r.iter()
        .filter_map(|r| match r {
            ExecutionReport::Filled {
                order_id,
                qty,
                price,
                ..
            } => Some((*order_id, *qty, *price)),
            _ => None,
        })
        .collect()
}

/// The venue reports no open order and no position, in any symbol.
pub fn flat(r: &ExecutionReport) -> bool {
    matches!(
        r,
        ExecutionReport::VenueState {
            open_orders: 0,
            positions,
            unreachable: None,
            other_positions: 0,
            ..
        } if positions.is_empty()
    )
}
