//! A live account's book against its venue's word: while they disagree
//! (or before the venue has said anything), the account takes no new
//! exposure; orders that only reduce a position still go.

use super::{Audit, Engine};
use crate::domain::{AccountId, InstrumentId, Timestamp};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// Why a live account is blocked before its venue's first report.
pub const AWAITING_VENUE: &str = "waiting for the venue's first report";

impl Engine {
    /// Blocks every live account until its venue has reported: a missing
    /// report is not "flat".
    pub(super) fn block_live_accounts(&mut self) {
        for a in &self.catalog.accounts {
            if a.broker.is_live() {
                self.blocked.insert(a.id, AWAITING_VENUE.to_string());
            }
        }
    }

    /// Compares the venue's positions with the book's. Skipped while an
    /// order of the account is working: a fill may be in flight, so a
    /// difference would mean nothing yet.
    pub(super) fn reconcile_account(
        &mut self,
        account: AccountId,
        venue: &[(InstrumentId, Decimal)],
        ts: Timestamp,
    ) {
        if self.working.values().any(|o| o.account == account) {
            return;
        }
        let book: BTreeMap<InstrumentId, Decimal> = self
            .portfolio
            .of_account(account)
            .filter(|p| p.key.contract == 0 && !p.qty.is_zero() && !self.is_dust(p))
            .map(|p| (p.key.instrument, p.qty))
            .collect();
        let venue: BTreeMap<InstrumentId, Decimal> = venue
            .iter()
            .filter(|(_, q)| !q.is_zero())
            .copied()
            .collect();
        let mismatch = book
            .keys()
            .chain(venue.keys())
            .find(|i| book.get(i) != venue.get(i))
            .map(|i| {
                let name = &self.catalog.instrument(*i).name;
                let say = |q: Option<&Decimal>| q.map_or("none".to_string(), |q| q.to_string());
                format!(
                    "the venue holds {} {name}, the book {}",
                    say(venue.get(i)),
                    say(book.get(i))
                )
            });
        let name = self.catalog.account(account).name.clone();
        match mismatch {
            Some(why) => {
                if self.blocked.get(&account) != Some(&why) {
                    self.outbox.audits.push(Audit::Alert {
                        rule: "reconciliation".into(),
                        text: format!("{name}: new entries blocked: {why}"),
                        ts,
                    });
                    self.blocked.insert(account, why);
                    self.state_version += 1;
                }
            }
            None => {
                if let Some(was) = self.blocked.remove(&account) {
                    if was != AWAITING_VENUE {
                        self.outbox.audits.push(Audit::Alert {
                            rule: "reconciliation".into(),
                            text: format!(
                                "{name}: the venue agrees with the book again; unblocked"
                            ),
                            ts,
                        });
                    }
                    self.state_version += 1;
                }
            }
        }
    }

    /// Takes the venue's cash as the book's. The book keeps cash
    /// margin-style (an open position has not paid for itself); a spot
    /// venue's cash is what is left after paying (`paid_for_positions`), so
    /// the book's cash is then the venue's plus what the book's positions
    /// cost, while a margin venue's balance is taken as it is. Only while no order of
    /// the account works and its positions agree with the venue's: then a
    /// difference is money the book did not see (a fee in a third asset,
    /// a deposit, a configured balance that was never the account's), and
    /// it is adopted and said. The first time the venue's cash is seen
    /// (ever: the flag is stored) the day's starting and peak equity move
    /// with it, so a configured balance replaced by the real one is not
    /// taken as a day's loss or gain; after a restart they stay.
    pub(super) fn adopt_venue_cash(
        &mut self,
        account: AccountId,
        venue_cash: Decimal,
        paid_for_positions: bool,
        ts: Timestamp,
    ) {
        if self.blocked.contains_key(&account)
            || self.working.values().any(|o| o.account == account)
        {
            return;
        }
        let mut implied = Some(venue_cash);
        for p in self.portfolio.of_account(account) {
            if p.key.contract != 0 || !paid_for_positions {
                continue;
            }
            implied = implied.and_then(|c| {
                p.qty
                    .checked_mul(p.avg_price)
                    .and_then(|x| c.checked_add(x))
            });
        }
        let Some(implied) = implied.map(|c| c.normalize()) else {
            return;
        };
        let Some(balance) = self.portfolio.balances.get_mut(account.index()) else {
            return;
        };
        let first = self
            .account_risk
            .get(account.index())
            .is_some_and(|r| !r.venue_cash_seen);
        if balance.cash == implied && !first {
            return;
        }
        let was = std::mem::replace(&mut balance.cash, implied);
        let info = self.catalog.account(account);
        let (name, currency) = (info.name.clone(), info.currency.clone());
        if first {
            // The day began before omni-tui saw the account: its start is
            // taken as the higher of the book's equity now and the broker's
            // own figure, so a loss already taken today is counted rather
            // than forgotten (a prop firm measures from its day's start);
            // a high the broker's figures already showed is kept.
            let equity = self.equity(account).max(self.rule_equity(account));
            if let Some(risk) = self.account_risk.get_mut(account.index()) {
                risk.start_of_day_equity = equity;
                risk.peak_equity = if self
                    .venue_funds
                    .get(&account)
                    .is_some_and(|f| f.equity.is_some())
                {
                    risk.peak_equity.max(equity)
                } else {
                    equity
                };
                risk.venue_cash_seen = true;
            }
        }
        if was == implied {
            self.audit_account(account);
            return;
        }
        self.outbox.audits.push(Audit::Alert {
            rule: "reconciliation".into(),
            text: format!(
                "{name}: cash {was} -> {implied} {currency}, as the venue reports ({venue_cash} {currency} after paying for open positions)"
            ),
            ts,
        });
        self.audit_account(account);
        self.state_version += 1;
    }

    /// Why the account takes no new exposure, if it does not.
    pub fn account_blocked(&self, account: AccountId) -> Option<&str> {
        self.blocked.get(&account).map(String::as_str)
    }
}
