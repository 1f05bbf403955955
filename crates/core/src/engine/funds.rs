//! A live account's money as its broker reports it (equity, margin used
//! and available), for the margin check and the Risk pane; and the
//! prop-firm limits measured on that equity, which move a prop-firm
//! account to REDUCING (only orders that reduce a position) before the
//! firm's own limit is reached.

use super::{Audit, Engine};
use crate::domain::{AccountId, AccountType, Timestamp};
use crate::execution::VenueFunds;
use crate::risk::config::DrawdownMode;
use rust_decimal::Decimal;

impl Engine {
    /// Records what the broker reports of the account's funds.
    pub(super) fn record_venue_funds(&mut self, account: AccountId, funds: VenueFunds) {
        if self.venue_funds.get(&account) != Some(&funds) {
            self.state_version += 1;
        }
        self.venue_funds.insert(account, funds);
    }

    /// What the account's broker last reported of its equity and margin
    /// (`None` for paper, and before the first report).
    pub fn venue_funds(&self, account: AccountId) -> Option<&VenueFunds> {
        self.venue_funds.get(&account)
    }

    /// The equity the prop-firm limits are measured on: the broker's when
    /// it reports one (the firm judges by its numbers), else the book's.
    pub fn rule_equity(&self, account: AccountId) -> Decimal {
        self.venue_funds
            .get(&account)
            .and_then(|f| f.equity)
            .unwrap_or_else(|| self.equity(account))
    }

    /// Why a prop-firm account takes only reducing orders, if it does.
    pub fn prop_breach(&self, account: AccountId) -> Option<&str> {
        self.prop_breach.get(&account).map(String::as_str)
    }

    /// Moves a prop-firm account to REDUCING when its equity reaches a
    /// limit less the buffer, and back once within both (a new day); said
    /// in an alert either way. The gate's prop-firm rule refuses its new
    /// entries on the same numbers; exits and flattens never pass the gate.
    pub(super) fn watch_prop(&mut self, account: AccountId, ts: Timestamp) {
        let info = self.catalog.account(account).clone();
        if info.kind != AccountType::PropFirm {
            return;
        }
        let equity = self.rule_equity(account);
        let cfg = self.gate.config().prop_firm.clone();
        let Some(risk) = self.account_risk.get_mut(account.index()) else {
            return;
        };
        // A trailing drawdown's floor rises with every new high.
        let new_high = cfg.drawdown == DrawdownMode::Trailing && equity > risk.peak_equity;
        if new_high {
            risk.peak_equity = equity;
        }
        let breach = crate::risk::prop::measure(&cfg, &info, risk, equity)
            .breach(&cfg)
            .map(|(_, why)| why);
        if new_high {
            self.audit_account(account);
        }
        match (breach, self.prop_breach.contains_key(&account)) {
            (Some(why), false) => {
                self.outbox.audits.push(Audit::Alert {
                    rule: "prop-firm".into(),
                    text: format!(
                        "{}: REDUCING, only orders that reduce a position: {why}",
                        info.name
                    ),
                    ts,
                });
                self.prop_breach.insert(account, why);
                self.state_version += 1;
            }
            (Some(why), true) => {
                self.prop_breach.insert(account, why);
            }
            (None, true) => {
                self.prop_breach.remove(&account);
                self.outbox.audits.push(Audit::Alert {
                    rule: "prop-firm".into(),
                    text: format!("{}: within the prop-firm limits again", info.name),
                    ts,
                });
                self.state_version += 1;
            }
            (None, false) => {}
        }
    }
}
