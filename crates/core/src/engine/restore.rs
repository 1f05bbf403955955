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
    /// Orders of live accounts still working when the last run stopped:
    /// the venue may fill or cancel them yet.
    pub working: Vec<crate::domain::Order>,
    /// The latest time the store recorded (the engine's clock when the
    /// last run wrote its last record); `None` for a fresh database. A
    /// demo resumes from it ([`Engine::resume_clock`]).
    pub clock: Option<crate::domain::Timestamp>,
    /// Wins and losses per (instrument, kind).
    pub learning: Vec<(
        crate::domain::InstrumentId,
        crate::domain::OpportunityKind,
        u32,
        u32,
    )>,
}

impl Engine {
    /// Continues from a stored run's time: the clock starts at `at` (never
    /// earlier than it is), so events stamped before it (a demo's history
    /// bars) do not take the engine back into an earlier day, and the
    /// stored day's counters, streak, cooldown and minimum intervals go on
    /// as they would live. Only for sources whose market time is at or
    /// after `at` (the resumed demo); a replay of older data is not.
    pub fn resume_clock(&mut self, at: crate::domain::Timestamp) {
        self.clock = self.clock.max(at);
    }

    /// Loads stored state into a fresh engine (before the first event).
    pub fn restore(&mut self, s: RestoredState) {
        self.state_version += 1;
        if let Some(state) = s.trading_state {
            self.state = state;
        }
        self.kill.latched = s.kill_latched;
        if s.kill_latched {
            self.state = TradingState::Halted;
            self.kill.resume_pending = true;
        }
        let mut latest_day = None;
        let money = crate::domain::plausible::money;
        for (account, cash, risk) in s.accounts {
            if !money(cash) || !money(risk.start_of_day_equity) || !money(risk.peak_equity) {
                // A stored balance no account has: the database is damaged
                // or was edited. Keep the configured balance, and let
                // nothing trade until the operator has looked.
                let cause = format!(
                    "stored balance of account #{} is implausible (cash {cash}); not restored",
                    account.0
                );
                self.set_state(TradingState::Halted, &cause);
                continue;
            }
            if let Some(b) = self.portfolio.balances.get_mut(account.index()) {
                b.cash = cash;
                latest_day = latest_day.max(Some(risk.day));
                self.account_risk[account.index()] = risk;
            }
        }
        self.restored_day = latest_day;
        for p in s.positions {
            use crate::domain::plausible;
            let sane = plausible::qty(p.qty.abs())
                && plausible::qty(p.peak_qty.abs())
                && (p.avg_price.is_zero() || plausible::price(p.avg_price))
                && plausible::money(p.realized)
                && plausible::money(p.fees);
            if !sane {
                let cause = format!(
                    "stored position of account #{} is implausible (qty {} at {}); not restored",
                    p.key.account.0, p.qty, p.avg_price
                );
                self.set_state(TradingState::Halted, &cause);
                continue;
            }
            if p.key.account.index() < self.catalog.accounts.len()
                && p.key.instrument.index() < self.catalog.instruments.len()
            {
                self.portfolio.put(p);
            }
        }
        self.next_order_id = self.next_order_id.max(s.next_order_id);
        self.next_opportunity_id = self.next_opportunity_id.max(s.next_opportunity_id);
        self.fill_ids.extend(s.fill_ids);
        for o in s.working {
            if o.account.index() < self.catalog.accounts.len()
                && o.instrument.index() < self.catalog.instruments.len()
                && o.venue.index() < self.catalog.venues.len()
            {
                self.working.insert(o.id, o);
            }
        }
        for (i, k, w, l) in s.learning {
            if i.index() < self.catalog.instruments.len() {
                self.learning.insert((i, k), (w, l));
            }
        }
    }
}
