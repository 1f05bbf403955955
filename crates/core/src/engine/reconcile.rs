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

    /// Why the account takes no new exposure, if it does not.
    pub fn account_blocked(&self, account: AccountId) -> Option<&str> {
        self.blocked.get(&account).map(String::as_str)
    }
}
