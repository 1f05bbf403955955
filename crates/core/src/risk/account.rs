//! Per-account risk counters: daily trades, streaks, cooldowns, intervals.

use crate::domain::{InstrumentId, OpportunityKind, Timestamp, time::MINUTE};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// What the gate remembers about one account. Persisted, so a restart keeps
/// the day's counts and a running cooldown.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccountRisk {
    /// UTC day index the counters belong to.
    pub day: i64,
    /// Equity at the start of that day.
    pub start_of_day_equity: Decimal,
    /// Highest equity seen (for drawdown display).
    pub peak_equity: Decimal,
    /// Entries approved since the start of the current UTC day.
    pub trades_today: u32,
    /// Consecutive losing trades; a win resets it, a break-even trade does not, and reaching the limit starts a cooldown and resets it.
    pub loss_streak: u32,
    /// End of the running loss-streak cooldown.
    pub cooldown_until: Option<Timestamp>,
    /// Last approved entry per (kind, instrument), for the minimum interval.
    pub last_entry: Vec<(OpportunityKind, InstrumentId, Timestamp)>,
    /// When each order of the last minute was sent, oldest first: every
    /// order counts (each arbitrage leg, exits, unwinds and kill-switch
    /// flattens), for the per-minute throttle. Pruned as time passes and
    /// persisted with the other counters, so a restart keeps the window
    /// (`default` reads counters stored before it was kept).
    #[serde(default)]
    pub recent_orders: VecDeque<Timestamp>,
    /// A live account's venue has reported its cash at least once: the
    /// day's starting equity was moved to the venue's then, and is not
    /// moved again (a restart mid-day keeps the day's loss so far).
    #[serde(default)]
    pub venue_cash_seen: bool,
}

impl AccountRisk {
    /// Fresh counters for an account starting the day with `equity`.
    pub fn new(day: i64, equity: Decimal) -> Self {
        Self {
            day,
            start_of_day_equity: equity,
            peak_equity: equity,
            trades_today: 0,
            loss_streak: 0,
            cooldown_until: None,
            last_entry: Vec::new(),
            recent_orders: VecDeque::new(),
            venue_cash_seen: false,
        }
    }

    /// Starts a new UTC day.
    pub fn roll_day(&mut self, day: i64, equity: Decimal) {
        self.day = day;
        self.start_of_day_equity = equity;
        self.trades_today = 0;
    }

    /// Records an approved entry.
    pub fn record_entry(
        &mut self,
        kind: OpportunityKind,
        instrument: InstrumentId,
        now: Timestamp,
    ) {
        self.trades_today += 1;
        match self
            .last_entry
            .iter_mut()
            .find(|(k, i, _)| *k == kind && *i == instrument)
        {
            Some(e) => e.2 = now,
            None => self.last_entry.push((kind, instrument, now)),
        }
    }

    /// Records an order sent at `now` (any purpose), after pruning the window.
    pub fn record_order(&mut self, now: Timestamp) {
        self.prune_orders(now);
        self.recent_orders.push_back(now);
    }

    /// Drops the orders that left the rolling minute before `now`, and any
    /// time later than `now` (left by a later run of a restarted demo, whose
    /// clock starts earlier: it cannot belong to this one).
    pub fn prune_orders(&mut self, now: Timestamp) {
        self.recent_orders
            .retain(|t| *t <= now && now.since(*t) < MINUTE);
    }

    /// Orders sent in the rolling minute ending at `now`: in (now - 60 s, now].
    pub fn orders_last_minute(&self, now: Timestamp) -> u32 {
        self.recent_orders
            .iter()
            .filter(|t| **t <= now && now.since(**t) < MINUTE)
            .count() as u32
    }

    /// When the oldest order in the window leaves it.
    pub fn next_order_expiry(&self) -> Option<Timestamp> {
        self.recent_orders.iter().min().map(|t| t.plus(MINUTE))
    }

    /// Records a closed trade's result; returns true if it started a cooldown.
    pub fn record_trade(
        &mut self,
        pnl: Decimal,
        now: Timestamp,
        streak_limit: u32,
        cooldown_secs: i64,
    ) -> bool {
        if pnl < Decimal::ZERO {
            self.loss_streak += 1;
            if streak_limit > 0 && self.loss_streak >= streak_limit {
                self.cooldown_until = Some(now.plus_secs(cooldown_secs));
                self.loss_streak = 0;
                return true;
            }
        } else if pnl > Decimal::ZERO {
            self.loss_streak = 0;
        }
        false
    }

    /// The last approved entry of a kind on an instrument.
    pub fn last_entry_at(
        &self,
        kind: OpportunityKind,
        instrument: InstrumentId,
    ) -> Option<Timestamp> {
        self.last_entry
            .iter()
            .find(|(k, i, _)| *k == kind && *i == instrument)
            .map(|e| e.2)
    }

    /// True while a cooldown runs.
    pub fn in_cooldown(&self, now: Timestamp) -> bool {
        self.cooldown_until.is_some_and(|t| now < t)
    }
}
