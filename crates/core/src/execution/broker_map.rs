//! Which broker serves which account.
//!
//! Every account has exactly one broker; several accounts may share one (the
//! paper venue serves every paper account, as one exchange serves many
//! accounts). A request for an account goes to its broker only, and a
//! broker's error is turned into a report for that order alone, so one
//! broker failing never touches another account.

use super::broker::{Balance, Broker, BrokerError, BrokerPosition, OpenOrder};
use super::{ExecutionReport, ExecutionRequest};
use crate::domain::{AccountId, Timestamp};
use crate::market::{MarketEvent, Ring};

/// The brokers of a run and the account → broker table.
#[derive(Default)]
pub struct BrokerMap {
    brokers: Vec<Box<dyn Broker>>,
    /// `route[account index]` is the index of its broker in `brokers`.
    route: Vec<Option<usize>>,
}

impl std::fmt::Debug for BrokerMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.brokers.iter().map(|b| b.name()).collect();
        f.debug_struct("BrokerMap")
            .field("brokers", &names)
            .field("route", &self.route)
            .finish()
    }
}

impl BrokerMap {
    /// An empty map: every request is refused until brokers are added.
    pub fn new() -> Self {
        Self::default()
    }

    /// A map where `broker` serves every one of `accounts` accounts.
    pub fn single(broker: Box<dyn Broker>, accounts: usize) -> Self {
        let mut m = Self::new();
        let all: Vec<AccountId> = (0..accounts)
            .map(|i| AccountId(u16::try_from(i).unwrap_or(u16::MAX)))
            .collect();
        m.add(broker, &all);
        m
    }

    /// Adds a broker serving `accounts` (an account already served moves to it).
    pub fn add(&mut self, broker: Box<dyn Broker>, accounts: &[AccountId]) {
        let b = self.brokers.len();
        self.brokers.push(broker);
        for a in accounts {
            if self.route.len() <= a.index() {
                self.route.resize(a.index() + 1, None);
            }
            self.route[a.index()] = Some(b);
        }
    }

    /// The broker serving `account`.
    pub fn broker(&self, account: AccountId) -> Result<&dyn Broker, BrokerError> {
        self.index(account).map(|i| self.brokers[i].as_ref())
    }

    /// The broker serving `account`, to act on.
    pub fn broker_mut(&mut self, account: AccountId) -> Result<&mut dyn Broker, BrokerError> {
        let i = self.index(account)?;
        Ok(self.brokers[i].as_mut())
    }

    fn index(&self, account: AccountId) -> Result<usize, BrokerError> {
        self.route
            .get(account.index())
            .copied()
            .flatten()
            .ok_or(BrokerError::NoBroker(account.0))
    }

    /// Hands a request to its account's broker. A request the broker cannot
    /// take becomes the report the engine needs (`Rejected` for an order,
    /// `CancelRejected` for a cancel), stamped `now`, so the engine never
    /// waits on an order no venue has.
    pub fn execute(
        &mut self,
        request: &ExecutionRequest,
        now: Timestamp,
        out: &mut Vec<ExecutionReport>,
    ) {
        match request {
            ExecutionRequest::Submit(order) => {
                let result = self
                    .broker_mut(order.account)
                    .and_then(|b| b.submit(order, now));
                if let Err(e) = result {
                    out.push(ExecutionReport::Rejected {
                        order_id: order.id,
                        ts: now,
                        reason: e.to_string(),
                    });
                }
            }
            ExecutionRequest::Cancel {
                order_id, account, ..
            } => {
                let result = self
                    .broker_mut(*account)
                    .and_then(|b| b.cancel(*account, *order_id, now));
                if let Err(e) = result {
                    out.push(ExecutionReport::CancelRejected {
                        order_id: *order_id,
                        ts: now,
                        reason: e.to_string(),
                    });
                }
            }
            ExecutionRequest::CancelAll { account } => {
                let result = self
                    .broker_mut(*account)
                    .and_then(|b| b.cancel_all(*account, now));
                // A venue that could not be asked is not flat.
                if let Err(e) = result {
                    out.push(ExecutionReport::VenueState {
                        account: *account,
                        open_orders: 0,
                        positions: Vec::new(),
                        unreachable: Some(e.to_string()),
                        cash: None,
                        cash_paid_for_positions: true,
                        other_positions: 0,
                        funds: super::VenueFunds::default(),
                        ts: now,
                    });
                }
            }
        }
    }

    /// Shows a market event to every broker.
    pub fn on_market(&mut self, event: &MarketEvent, out: &mut Vec<ExecutionReport>) {
        for b in &mut self.brokers {
            b.on_market(event, out);
        }
    }

    /// The earliest action due at any broker.
    pub fn next_due(&self) -> Option<Timestamp> {
        self.brokers.iter().filter_map(|b| b.next_due()).min()
    }

    /// Every broker rings `ring` when reports arrive on their own.
    pub fn set_ring(&mut self, ring: &std::sync::Arc<dyn Ring>) {
        for b in &mut self.brokers {
            b.set_ring(std::sync::Arc::clone(ring));
        }
    }

    /// Runs every broker up to `until`, in the order they were added.
    pub fn advance(&mut self, until: Timestamp, out: &mut Vec<ExecutionReport>) {
        for b in &mut self.brokers {
            b.advance(until, out);
        }
    }

    /// Open orders of `account`, from its broker.
    pub fn open_orders(&self, account: AccountId) -> Result<Vec<OpenOrder>, BrokerError> {
        self.broker(account)?.open_orders(account)
    }

    /// Holdings of `account`, from its broker.
    pub fn positions(&self, account: AccountId) -> Result<Vec<BrokerPosition>, BrokerError> {
        self.broker(account)?.positions(account)
    }

    /// Cash of `account`, from its broker.
    pub fn balances(&self, account: AccountId) -> Result<Vec<Balance>, BrokerError> {
        self.broker(account)?.balances(account)
    }
}
