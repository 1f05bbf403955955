//! A live account's money as its broker reports it (equity, margin used
//! and available), for the margin check and the Risk pane; and the
//! prop-firm limits measured on that equity, which move a prop-firm
//! account to REDUCING (only orders that reduce a position) before the
//! firm's own limit is reached.

use super::{Audit, Engine};
use crate::domain::{AccountId, AccountType, Timestamp};
use crate::execution::VenueFunds;
use crate::risk::TradingState;
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

    /// The trading state one account's intents meet, in the words of the
    /// engine's own ([`Engine::trading_state`], which a pause sets):
    /// HALTED or REDUCING when the engine is; REDUCING for a prop-firm
    /// account past one of its limits (less the buffer), whose gate then
    /// lets through only what shrinks a position; else ACTIVE. The risk
    /// level says how much of the limits is used; this says what may go.
    ///
    /// The limits are measured now, on the numbers the gate's prop-firm
    /// rule reads, rather than taken from [`Engine::prop_breach`]: a paper
    /// account's equity moves with every quote, and its breach is only
    /// recorded at a fill or a new day.
    pub fn account_state(&self, account: AccountId) -> TradingState {
        match self.state {
            TradingState::Active if self.prop_breached_now(account) => TradingState::Reducing,
            state => state,
        }
    }

    /// True when a prop-firm account is past one of its limits (less the
    /// buffer) on its equity now: the broker's when it reports one.
    fn prop_breached_now(&self, account: AccountId) -> bool {
        let info = self.catalog.account(account);
        if info.kind != AccountType::PropFirm {
            return false;
        }
        let Some(risk) = self.account_risk.get(account.index()) else {
            return false;
        };
        let cfg = &self.gate.config().prop_firm;
        crate::risk::prop::measure(cfg, info, risk, self.rule_equity(account))
            .breach(cfg)
            .is_some()
    }

    /// Moves a prop-firm account to REDUCING when its equity reaches a
    /// limit less the buffer, and back once within both (a new day); said
    /// in an alert either way. The gate's prop-firm rule decides on the
    /// same numbers: an intent that shrinks a position passes, any other
    /// is refused with the limit's reason; exits and flattens never pass
    /// the gate.
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
