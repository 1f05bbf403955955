//! Positions per account, cash balances, and P&L.

pub mod position;

pub use position::{ClosedTrade, FillEffect, Position, PositionKey};

use crate::domain::{AccountId, Catalog, InstrumentId};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Cash of one account. Every account is accounted margin-style: cash moves
/// by realised P&L and fees; open positions add their unrealised P&L to
/// equity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccountBalance {
    /// Cash including realised P&L and fees.
    pub cash: Decimal,
    /// Realised P&L after fees since this process started.
    pub realized_session: Decimal,
}

/// Every account's cash and every open position.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Portfolio {
    /// Cash per account, by [`AccountId`].
    pub balances: Vec<AccountBalance>,
    /// Open positions; ordered so iteration (and so the audit) is deterministic.
    pub positions: BTreeMap<PositionKey, Position>,
    open_per_instrument: Vec<u32>,
}

impl Portfolio {
    /// A portfolio with each account's starting balance and no positions.
    pub fn new(catalog: &Catalog) -> Self {
        Self {
            balances: catalog
                .accounts
                .iter()
                .map(|a| AccountBalance {
                    cash: a.initial_balance,
                    realized_session: Decimal::ZERO,
                })
                .collect(),
            positions: BTreeMap::new(),
            open_per_instrument: vec![0; catalog.instruments.len()],
        }
    }

    /// Number of open positions on an instrument (for fast exit checks).
    pub fn open_on(&self, instrument: InstrumentId) -> u32 {
        self.open_per_instrument
            .get(instrument.index())
            .copied()
            .unwrap_or(0)
    }

    /// Inserts or replaces a position (restore, or after a fill).
    pub fn put(&mut self, p: Position) {
        let idx = p.key.instrument.index();
        let was_open = self.positions.get(&p.key).is_some_and(|x| !x.is_flat());
        let is_open = !p.is_flat();
        if is_open {
            self.positions.insert(p.key, p);
        } else {
            self.positions.remove(&p.key);
        }
        if let Some(n) = self.open_per_instrument.get_mut(idx) {
            match (was_open, is_open) {
                (false, true) => *n += 1,
                (true, false) => *n = n.saturating_sub(1),
                _ => {}
            }
        }
    }

    /// Open positions of one account.
    pub fn of_account(&self, account: AccountId) -> impl Iterator<Item = &Position> {
        self.positions
            .values()
            .filter(move |p| p.key.account == account)
    }

    /// Count of open positions.
    pub fn open_count(&self) -> usize {
        self.positions.len()
    }
}
