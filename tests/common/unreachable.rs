//! A broker whose connection is down, for tests of what the rest does
//! when one broker cannot be reached.

#![allow(dead_code)]

use omni_core::domain::{AccountId, Order, OrderId, Timestamp};
use omni_core::execution::{
    Balance, Broker, BrokerError, BrokerPosition, ExecutionReport, OpenOrder,
};

/// A broker whose connection is down: it takes nothing and answers nothing.
pub struct Unreachable;

impl Unreachable {
    fn down() -> BrokerError {
        BrokerError::Unavailable {
            broker: "unreachable".into(),
            reason: "connection refused".into(),
        }
    }
}

impl Broker for Unreachable {
    fn name(&self) -> &str {
        "unreachable"
    }
    fn submit(&mut self, _: &Order, _: Timestamp) -> Result<(), BrokerError> {
        Err(Self::down())
    }
    fn cancel(&mut self, _: AccountId, _: OrderId, _: Timestamp) -> Result<(), BrokerError> {
        Err(Self::down())
    }
    fn cancel_all(&mut self, _: AccountId, _: Timestamp) -> Result<usize, BrokerError> {
        Err(Self::down())
    }
    fn open_orders(&self, _: AccountId) -> Result<Vec<OpenOrder>, BrokerError> {
        Err(Self::down())
    }
    fn positions(&self, _: AccountId) -> Result<Vec<BrokerPosition>, BrokerError> {
        Err(Self::down())
    }
    fn balances(&self, _: AccountId) -> Result<Vec<Balance>, BrokerError> {
        Err(Self::down())
    }
    fn advance(&mut self, _: Timestamp, _: &mut Vec<ExecutionReport>) {}
}
