//! Starting from stored state: accounts, positions and the trading state
//! survive a restart.

use super::Engine;
use crate::domain::AccountId;
use crate::portfolio::Position;
use crate::risk::{AccountRisk, TradingState};
use rust_decimal::Decimal;

/// What the store hands the engine at start-up.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RestoredState {
    /// Trading state when the last run ended.
    pub trading_state: Option<TradingState>,
    /// True if the kill switch was latched.
    pub kill_latched: bool,
    /// Cash and risk counters per account.
    pub accounts: Vec<(AccountId, Decimal, AccountRisk)>,
    pub positions: Vec<Position>,
    /// First free order id.
    pub next_order_id: u64,
    /// First free opportunity id.
    pub next_opportunity_id: u64,
    /// Fill trade ids already applied (so a replayed fill is not applied twice).
    pub fill_ids: Vec<String>,
    /// Wins and losses per (instrument, kind).
    pub learning: Vec<(
        crate::domain::InstrumentId,
        crate::domain::OpportunityKind,
        u32,
        u32,
    )>,
}

impl Engine {
    /// Loads stored state into a fresh engine (before the first event).
    pub fn restore(&mut self, s: RestoredState) {
        self.state_version += 1;
        if let Some(state) = s.trading_state {
            self.state = state;
        }
        self.kill.latched = s.kill_latched;
        if s.kill_latched {
            self.state = TradingState::Halted;
        }
        let mut latest_day = None;
        for (account, cash, risk) in s.accounts {
            if let Some(b) = self.portfolio.balances.get_mut(account.index()) {
                b.cash = cash;
                latest_day = latest_day.max(Some(risk.day));
                self.account_risk[account.index()] = risk;
            }
        }
        self.restored_day = latest_day;
        for p in s.positions {
            if p.key.account.index() < self.catalog.accounts.len()
                && p.key.instrument.index() < self.catalog.instruments.len()
            {
                self.portfolio.put(p);
            }
        }
        self.next_order_id = self.next_order_id.max(s.next_order_id);
        self.next_opportunity_id = self.next_opportunity_id.max(s.next_opportunity_id);
        self.fill_ids.extend(s.fill_ids);
        for (i, k, w, l) in s.learning {
            if i.index() < self.catalog.instruments.len() {
                self.learning.insert((i, k), (w, l));
            }
        }
    }
}
