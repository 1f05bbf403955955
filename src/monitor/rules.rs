//! The monitor's rules: what it sees ([`Observation`]) in, the alerts and
//! the kill trigger it raises out. A pure state machine: the same
//! observations give the same alerts, so each rule is tested with
//! observations written by hand.
//!
//! An alert fires once when its condition starts and again only after the
//! condition has cleared, so a feed that stays down is one alert, not one
//! a second. A kill trigger is the same: it fires when its condition
//! starts (and the kill switch is not latched already), and after the
//! operator re-arms it does not fire again until its condition has
//! cleared: re-arming over a standing condition is the operator's call.

use super::config::{AlertsConfig, KillTriggersConfig};
use omni_core::domain::Timestamp;
use omni_core::domain::time::SECOND;
use omni_core::engine::KillTrigger;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};

/// What the monitor sees at one check.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Observation {
    /// The check's time; durations (down for how long) are measured on it.
    pub now: Timestamp,
    /// The kill switch is latched.
    pub kill_latched: bool,
    pub accounts: Vec<AccountObs>,
    pub feeds: Vec<FeedObs>,
}

impl Observation {
    /// Any account holds an open position.
    pub fn exposed(&self) -> bool {
        self.accounts.iter().any(|a| a.open_positions > 0)
    }

    /// Entries today over every account.
    pub fn trades_today(&self) -> u32 {
        self.accounts.iter().map(|a| a.trades_today).sum()
    }
}

/// One account at a check.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AccountObs {
    pub name: String,
    pub currency: String,
    pub open_positions: usize,
    /// Orders in flight: while any is, the broker's positions may
    /// legitimately differ from ours.
    pub working_orders: usize,
    pub equity: Decimal,
    pub start_of_day_equity: Decimal,
    /// Open positions marked: Σ |quantity| × mark (stakes, for contracts).
    pub position_value: Decimal,
    pub trades_today: u32,
    /// The daily loss limit's use: (used, limit), in the account's currency.
    pub daily_loss: Option<(f64, f64)>,
    /// Each prop-firm rule's use: (name, used, limit).
    pub prop: Vec<(String, f64, f64)>,
    pub broker: BrokerObs,
}

/// What the account's broker said when asked for its positions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum BrokerObs {
    /// It answered, and its positions agree with ours (or an order is in
    /// flight, so they need not).
    #[default]
    Agrees,
    /// It answered with positions that differ from ours: what differs.
    Differs(String),
    /// It could not be reached: its error.
    Down(String),
}

/// One market-data feed at a check.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FeedObs {
    pub venue: String,
    /// Connected and receiving.
    pub live: bool,
    /// When its last frame arrived, if it is connected but silent past
    /// [`SILENT_SECS`]: down since then.
    pub silent_since: Option<Timestamp>,
    /// Open positions on instruments this venue quotes: what its silence
    /// puts at risk.
    pub exposed: usize,
}

/// A connected feed with no frame for this long counts as down: a socket
/// that stays open while nothing arrives is not a live feed.
pub const SILENT_SECS: i64 = 30;

/// Open positions a down feed of `venue` puts at risk.
fn exposed_on(obs: &Observation, venue: &str) -> usize {
    obs.feeds
        .iter()
        .find(|f| f.venue == venue)
        .map_or(0, |f| f.exposed)
}

/// An alert: the rule that fired and what is wrong, with its numbers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alert {
    /// `feed_down`, `daily_loss`, `kill_switch`, `broker_down`,
    /// `reconciliation`, `prop_rule` or `kill_trigger`.
    pub rule: &'static str,
    pub text: String,
}

/// What one check raised.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Raised {
    /// Alerts that started firing at this check.
    pub alerts: Vec<Alert>,
    /// A kill trigger that fired: the trigger and why.
    pub kill: Option<(KillTrigger, String)>,
}

/// The monitor: rules and what it remembers between checks.
#[derive(Clone, Debug)]
pub struct Monitor {
    alerts: AlertsConfig,
    kill: KillTriggersConfig,
    /// Since when each feed (venue) has not been live.
    feed_down_since: BTreeMap<String, Timestamp>,
    /// Since when each account's broker has been unreachable.
    broker_down_since: BTreeMap<String, Timestamp>,
    /// Checks in a row at which each account's broker disagreed with us.
    mismatches: BTreeMap<String, u32>,
    /// Alerts firing now, by key (`rule:subject`): not raised again until
    /// their condition clears.
    firing: BTreeSet<String>,
    /// Kill triggers whose condition held at the last check: one fires
    /// again only after its condition has cleared.
    tripped: BTreeSet<KillTrigger>,
}

/// Whole seconds from `since` to `now`.
fn secs(since: Timestamp, now: Timestamp) -> i64 {
    (now.nanos() - since.nanos()).max(0) / SECOND
}

/// `v` rounded for a sentence.
fn pct(v: f64) -> String {
    format!("{:.0}%", v * 100.0)
}

impl Monitor {
    pub fn new(alerts: AlertsConfig, kill: KillTriggersConfig) -> Self {
        Self {
            alerts,
            kill,
            feed_down_since: BTreeMap::new(),
            broker_down_since: BTreeMap::new(),
            mismatches: BTreeMap::new(),
            firing: BTreeSet::new(),
            tripped: BTreeSet::new(),
        }
    }

    /// The alerts configuration (the cockpit reads `bell`, the service
    /// `webhook`).
    pub fn alerts_config(&self) -> &AlertsConfig {
        &self.alerts
    }

    /// Looks at one observation: what started firing, and a kill trigger.
    pub fn check(&mut self, obs: &Observation) -> Raised {
        self.track(obs);
        let mut now_firing: Vec<(String, Alert)> = Vec::new();
        self.alert_rules(obs, &mut now_firing);
        let mut raised = Raised::default();
        let keys: BTreeSet<String> = now_firing.iter().map(|(k, _)| k.clone()).collect();
        for (key, alert) in now_firing {
            if !self.firing.contains(&key) {
                raised.alerts.push(alert);
            }
        }
        self.firing = keys;
        let holding = self.kill_triggers(obs);
        let fresh = holding
            .iter()
            .find(|(t, _)| !self.tripped.contains(t))
            .cloned();
        self.tripped = holding.into_iter().map(|(t, _)| t).collect();
        if !obs.kill_latched
            && let Some((trigger, why)) = fresh
        {
            raised.alerts.push(Alert {
                rule: "kill_trigger",
                text: format!("kill trigger {}: {why}", trigger.as_str()),
            });
            raised.kill = Some((trigger, why));
        }
        raised
    }

    /// Updates how long each feed and broker has been down, and each
    /// account's run of disagreements.
    fn track(&mut self, obs: &Observation) {
        for f in &obs.feeds {
            if f.live {
                self.feed_down_since.remove(&f.venue);
            } else {
                let since = f.silent_since.unwrap_or(obs.now);
                let at = self.feed_down_since.entry(f.venue.clone()).or_insert(since);
                *at = (*at).min(since);
            }
        }
        for a in &obs.accounts {
            match &a.broker {
                BrokerObs::Down(_) => {
                    self.broker_down_since
                        .entry(a.name.clone())
                        .or_insert(obs.now);
                }
                _ => {
                    self.broker_down_since.remove(&a.name);
                }
            }
            match &a.broker {
                BrokerObs::Differs(_) => *self.mismatches.entry(a.name.clone()).or_insert(0) += 1,
                // Unreachable says nothing either way: the run is kept.
                BrokerObs::Down(_) => {}
                BrokerObs::Agrees => {
                    self.mismatches.remove(&a.name);
                }
            }
        }
    }

    /// Every alert whose condition holds now, keyed.
    fn alert_rules(&self, obs: &Observation, out: &mut Vec<(String, Alert)>) {
        let cfg = &self.alerts;
        if cfg.feed_down_secs > 0 {
            for (venue, since) in &self.feed_down_since {
                let open = exposed_on(obs, venue);
                let down = secs(*since, obs.now);
                if open > 0 && down >= i64::from(cfg.feed_down_secs) {
                    out.push((
                        format!("feed_down:{venue}"),
                        Alert {
                            rule: "feed_down",
                            text: format!(
                                "feed {venue} down for {down} s with {open} position{} open",
                                if open == 1 { "" } else { "s" }
                            ),
                        },
                    ));
                }
            }
        }
        if cfg.kill_switch && obs.kill_latched {
            out.push((
                "kill_switch".into(),
                Alert {
                    rule: "kill_switch",
                    text: "kill switch engaged: HALTED, cancelling and flattening every account"
                        .into(),
                },
            ));
        }
        for a in &obs.accounts {
            if cfg.daily_loss_share > 0.0
                && let Some((used, limit)) = a.daily_loss
                && limit > 0.0
                && used / limit >= cfg.daily_loss_share
            {
                out.push((
                    format!("daily_loss:{}", a.name),
                    Alert {
                        rule: "daily_loss",
                        text: format!(
                            "{}: daily loss {used:.2} {} is {} of its limit {limit}",
                            a.name,
                            a.currency,
                            pct(used / limit)
                        ),
                    },
                ));
            }
            if cfg.prop_share > 0.0 {
                for (rule, used, limit) in &a.prop {
                    if *limit > 0.0 && used / limit >= cfg.prop_share {
                        out.push((
                            format!("prop_rule:{}:{rule}", a.name),
                            Alert {
                                rule: "prop_rule",
                                text: format!(
                                    "{}: {rule} at {} of its limit ({used:.2} of {limit})",
                                    a.name,
                                    pct(used / limit)
                                ),
                            },
                        ));
                    }
                }
            }
            if cfg.broker_down_secs > 0
                && let BrokerObs::Down(why) = &a.broker
                && let Some(since) = self.broker_down_since.get(&a.name)
            {
                let down = secs(*since, obs.now);
                if down >= i64::from(cfg.broker_down_secs) {
                    out.push((
                        format!("broker_down:{}", a.name),
                        Alert {
                            rule: "broker_down",
                            text: format!("{}: broker unreachable for {down} s: {why}", a.name),
                        },
                    ));
                }
            }
            if cfg.reconciliation_checks > 0
                && let BrokerObs::Differs(what) = &a.broker
                && self.mismatches.get(&a.name).copied().unwrap_or(0) >= cfg.reconciliation_checks
            {
                out.push((
                    format!("reconciliation:{}", a.name),
                    Alert {
                        rule: "reconciliation",
                        text: format!("{}: broker and engine disagree: {what}", a.name),
                    },
                ));
            }
        }
    }

    /// Every kill trigger whose condition holds, each once, and why.
    fn kill_triggers(&self, obs: &Observation) -> Vec<(KillTrigger, String)> {
        let mut out: Vec<(KillTrigger, String)> = Vec::new();
        let mut hold = |t: KillTrigger, why: String| {
            if !out.iter().any(|(x, _)| *x == t) {
                out.push((t, why));
            }
        };
        let k = &self.kill;
        let hundred = Decimal::ONE_HUNDRED;
        if k.daily_loss_pct > Decimal::ZERO {
            for a in &obs.accounts {
                if a.start_of_day_equity <= Decimal::ZERO {
                    continue;
                }
                let lost = a.start_of_day_equity - a.equity;
                let lost_pct = lost * hundred / a.start_of_day_equity;
                if lost_pct >= k.daily_loss_pct {
                    hold(
                        KillTrigger::DailyLoss,
                        format!(
                            "{} lost {} {} today, {}% of its start-of-day equity (limit {}%)",
                            a.name,
                            lost.round_dp(2),
                            a.currency,
                            lost_pct.round_dp(2),
                            k.daily_loss_pct
                        ),
                    );
                }
            }
        }
        if k.max_trades > 0 && obs.trades_today() > k.max_trades {
            hold(
                KillTrigger::Trades,
                format!(
                    "{} entries today over every account (limit {})",
                    obs.trades_today(),
                    k.max_trades
                ),
            );
        }
        if k.max_position_value_pct > Decimal::ZERO {
            for a in &obs.accounts {
                if a.position_value.is_zero() {
                    continue;
                }
                // No equity left with positions open is past any limit.
                let over = a.equity <= Decimal::ZERO
                    || a.position_value * hundred >= k.max_position_value_pct * a.equity;
                if over {
                    let share = if a.equity > Decimal::ZERO {
                        format!("{}%", (a.position_value * hundred / a.equity).round_dp(1))
                    } else {
                        "all".to_string()
                    };
                    hold(
                        KillTrigger::PositionValue,
                        format!(
                            "{} holds {} {} in positions, {share} of its equity {} (limit {}%)",
                            a.name,
                            a.position_value.round_dp(2),
                            a.currency,
                            a.equity.round_dp(2),
                            k.max_position_value_pct
                        ),
                    );
                }
            }
        }
        if k.feed_down_secs > 0 {
            for (venue, since) in &self.feed_down_since {
                let down = secs(*since, obs.now);
                if exposed_on(obs, venue) > 0 && down >= i64::from(k.feed_down_secs) {
                    hold(
                        KillTrigger::FeedDown,
                        format!(
                            "feed {venue} down for {down} s with positions open (limit {} s)",
                            k.feed_down_secs
                        ),
                    );
                }
            }
        }
        if k.broker_down_secs > 0 {
            for a in &obs.accounts {
                if a.open_positions == 0 {
                    continue;
                }
                if let Some(since) = self.broker_down_since.get(&a.name) {
                    let down = secs(*since, obs.now);
                    if down >= i64::from(k.broker_down_secs) {
                        hold(
                            KillTrigger::BrokerDown,
                            format!(
                                "{}: broker unreachable for {down} s with {} position(s) open (limit {} s)",
                                a.name, a.open_positions, k.broker_down_secs
                            ),
                        );
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    fn alerts_on() -> AlertsConfig {
        AlertsConfig {
            feed_down_secs: 30,
            daily_loss_share: 0.8,
            kill_switch: true,
            broker_down_secs: 10,
            reconciliation_checks: 3,
            prop_share: 0.8,
            bell: false,
            webhook: String::new(),
        }
    }

    fn triggers_off() -> KillTriggersConfig {
        KillTriggersConfig {
            daily_loss_pct: Decimal::ZERO,
            max_trades: 0,
            max_position_value_pct: Decimal::ZERO,
            feed_down_secs: 0,
            broker_down_secs: 0,
        }
    }

    fn account(name: &str) -> AccountObs {
        AccountObs {
            name: name.into(),
            currency: "USD".into(),
            equity: dec!(10000),
            start_of_day_equity: dec!(10000),
            daily_loss: Some((0.0, 500.0)),
            ..AccountObs::default()
        }
    }

    fn at(secs: i64, accounts: Vec<AccountObs>, feeds: Vec<FeedObs>) -> Observation {
        Observation {
            now: Timestamp::from_secs(1_700_000_000 + secs),
            kill_latched: false,
            accounts,
            feeds,
        }
    }

    /// The binance feed, live or not, with `exposed` positions on what it quotes.
    fn feed(live: bool) -> Vec<FeedObs> {
        feed_with(live, 0)
    }

    fn feed_with(live: bool, exposed: usize) -> Vec<FeedObs> {
        vec![FeedObs {
            venue: "binance".into(),
            live,
            exposed,
            ..FeedObs::default()
        }]
    }

    fn rules(r: &Raised) -> Vec<&'static str> {
        r.alerts.iter().map(|a| a.rule).collect()
    }

    #[test]
    fn a_feed_down_alerts_after_its_time_only_while_exposed_and_once() {
        let mut m = Monitor::new(alerts_on(), triggers_off());
        let a = || vec![account("spot")];
        // Down but nothing open on what it quotes: no alert, however long.
        assert!(m.check(&at(0, a(), feed(false))).alerts.is_empty());
        assert!(m.check(&at(40, a(), feed(false))).alerts.is_empty());
        // Exposed: the down time counts from when it went down.
        let r = m.check(&at(41, a(), feed_with(false, 2)));
        assert_eq!(rules(&r), ["feed_down"]);
        assert_eq!(
            r.alerts[0].text,
            "feed binance down for 41 s with 2 positions open"
        );
        // Still down: not again.
        assert!(m.check(&at(42, a(), feed_with(false, 2))).alerts.is_empty());
        // Back, then down again: a new episode, a new alert after 30 s.
        assert!(m.check(&at(43, a(), feed_with(true, 2))).alerts.is_empty());
        assert!(m.check(&at(50, a(), feed_with(false, 2))).alerts.is_empty());
        assert!(m.check(&at(79, a(), feed_with(false, 2))).alerts.is_empty());
        assert_eq!(
            rules(&m.check(&at(80, a(), feed_with(false, 2)))),
            ["feed_down"]
        );
    }

    #[test]
    fn a_connected_feed_that_went_silent_is_down_since_its_last_frame() {
        let mut m = Monitor::new(alerts_on(), triggers_off());
        let silent = vec![FeedObs {
            venue: "kraken".into(),
            live: false,
            silent_since: Some(Timestamp::from_secs(1_700_000_000)),
            exposed: 1,
        }];
        let r = m.check(&at(35, vec![account("spot")], silent));
        assert_eq!(rules(&r), ["feed_down"]);
        assert_eq!(
            r.alerts[0].text,
            "feed kraken down for 35 s with 1 position open"
        );
    }

    #[test]
    fn daily_loss_and_prop_rules_alert_past_their_share() {
        let mut m = Monitor::new(alerts_on(), triggers_off());
        let mut a = account("prop");
        a.daily_loss = Some((399.0, 500.0));
        a.prop = vec![("prop drawdown".into(), 7.9, 10.0)];
        assert!(m.check(&at(0, vec![a.clone()], vec![])).alerts.is_empty());
        a.daily_loss = Some((400.0, 500.0));
        a.prop = vec![("prop drawdown".into(), 8.5, 10.0)];
        let r = m.check(&at(1, vec![a], vec![]));
        assert_eq!(rules(&r), ["daily_loss", "prop_rule"]);
        assert_eq!(
            r.alerts[0].text,
            "prop: daily loss 400.00 USD is 80% of its limit 500"
        );
        assert_eq!(
            r.alerts[1].text,
            "prop: prop drawdown at 85% of its limit (8.50 of 10)"
        );
    }

    #[test]
    fn the_kill_switch_alerts_once_per_engagement() {
        let mut m = Monitor::new(alerts_on(), triggers_off());
        let mut o = at(0, vec![account("spot")], vec![]);
        o.kill_latched = true;
        assert_eq!(rules(&m.check(&o)), ["kill_switch"]);
        assert!(m.check(&o).alerts.is_empty());
        o.kill_latched = false;
        assert!(m.check(&o).alerts.is_empty());
        o.kill_latched = true;
        assert_eq!(rules(&m.check(&o)), ["kill_switch"]);
    }

    #[test]
    fn a_broker_down_alerts_after_its_time() {
        let mut m = Monitor::new(alerts_on(), triggers_off());
        let mut a = account("spot");
        a.broker = BrokerObs::Down("paper unavailable: connection refused".into());
        assert!(m.check(&at(0, vec![a.clone()], vec![])).alerts.is_empty());
        assert!(m.check(&at(9, vec![a.clone()], vec![])).alerts.is_empty());
        let r = m.check(&at(10, vec![a], vec![]));
        assert_eq!(rules(&r), ["broker_down"]);
        assert_eq!(
            r.alerts[0].text,
            "spot: broker unreachable for 10 s: paper unavailable: connection refused"
        );
    }

    #[test]
    fn a_reconciliation_mismatch_alerts_when_it_persists() {
        let mut m = Monitor::new(alerts_on(), triggers_off());
        let mut a = account("spot");
        a.broker = BrokerObs::Differs("BTC/USDT broker 0.5, engine 0.4".into());
        assert!(m.check(&at(0, vec![a.clone()], vec![])).alerts.is_empty());
        assert!(m.check(&at(1, vec![a.clone()], vec![])).alerts.is_empty());
        // A check that agrees resets the run.
        let mut agrees = a.clone();
        agrees.broker = BrokerObs::Agrees;
        assert!(m.check(&at(2, vec![agrees], vec![])).alerts.is_empty());
        for s in 3..5 {
            assert!(m.check(&at(s, vec![a.clone()], vec![])).alerts.is_empty());
        }
        let r = m.check(&at(5, vec![a], vec![]));
        assert_eq!(rules(&r), ["reconciliation"]);
        assert_eq!(
            r.alerts[0].text,
            "spot: broker and engine disagree: BTC/USDT broker 0.5, engine 0.4"
        );
    }

    #[test]
    fn rules_at_zero_are_off() {
        let off = AlertsConfig {
            feed_down_secs: 0,
            daily_loss_share: 0.0,
            kill_switch: false,
            broker_down_secs: 0,
            reconciliation_checks: 0,
            prop_share: 0.0,
            ..alerts_on()
        };
        let mut m = Monitor::new(off, triggers_off());
        let mut a = account("spot");
        a.open_positions = 1;
        a.daily_loss = Some((500.0, 500.0));
        a.prop = vec![("prop daily loss".into(), 5.0, 5.0)];
        a.broker = BrokerObs::Down("x".into());
        let mut o = at(0, vec![a.clone()], feed(false));
        o.kill_latched = true;
        assert_eq!(m.check(&o), Raised::default());
        o.now = Timestamp::from_secs(1_800_000_000);
        assert_eq!(m.check(&o), Raised::default());
    }

    fn trigger(k: KillTriggersConfig, o: &Observation) -> Option<(KillTrigger, String)> {
        let quiet = AlertsConfig {
            kill_switch: false,
            ..alerts_on()
        };
        Monitor::new(quiet, k).check(o).kill
    }

    #[test]
    fn the_daily_loss_trigger_fires_at_its_percent() {
        let k = KillTriggersConfig {
            daily_loss_pct: dec!(5),
            ..triggers_off()
        };
        let mut a = account("spot");
        a.equity = dec!(9500.01);
        assert_eq!(trigger(k.clone(), &at(0, vec![a.clone()], vec![])), None);
        a.equity = dec!(9500);
        let (t, why) = trigger(k, &at(0, vec![a], vec![])).expect("fires");
        assert_eq!(t, KillTrigger::DailyLoss);
        assert_eq!(
            why,
            "spot lost 500 USD today, 5% of its start-of-day equity (limit 5%)"
        );
    }

    #[test]
    fn the_trades_trigger_counts_every_account() {
        let k = KillTriggersConfig {
            max_trades: 10,
            ..triggers_off()
        };
        let (mut a, mut b) = (account("a"), account("b"));
        a.trades_today = 6;
        b.trades_today = 4;
        // The limit itself is allowed; one more is not.
        assert_eq!(
            trigger(k.clone(), &at(0, vec![a.clone(), b.clone()], vec![])),
            None
        );
        b.trades_today = 5;
        let (t, why) = trigger(k, &at(0, vec![a, b], vec![])).expect("fires");
        assert_eq!(t, KillTrigger::Trades);
        assert_eq!(why, "11 entries today over every account (limit 10)");
    }

    #[test]
    fn after_a_re_arm_a_standing_trigger_waits_for_its_condition_to_clear() {
        let k = KillTriggersConfig {
            max_trades: 1,
            ..triggers_off()
        };
        let quiet = AlertsConfig {
            kill_switch: false,
            ..alerts_on()
        };
        let mut m = Monitor::new(quiet, k);
        let mut a = account("spot");
        a.trades_today = 2;
        let mut o = at(0, vec![a.clone()], vec![]);
        assert!(m.check(&o).kill.is_some());
        o.kill_latched = true;
        assert_eq!(m.check(&o).kill, None, "latched: nothing to do");
        // Re-armed, the condition still standing: no new kill.
        o.kill_latched = false;
        assert_eq!(m.check(&o).kill, None);
        // A new day clears it; the next breach fires again.
        a.trades_today = 0;
        assert_eq!(m.check(&at(1, vec![a.clone()], vec![])).kill, None);
        a.trades_today = 2;
        assert!(m.check(&at(2, vec![a], vec![])).kill.is_some());
    }

    #[test]
    fn the_position_value_trigger_compares_with_equity() {
        let k = KillTriggersConfig {
            max_position_value_pct: dec!(300),
            ..triggers_off()
        };
        let mut a = account("margin");
        a.open_positions = 1;
        a.position_value = dec!(29999);
        assert_eq!(trigger(k.clone(), &at(0, vec![a.clone()], vec![])), None);
        a.position_value = dec!(30000);
        let (t, why) = trigger(k.clone(), &at(0, vec![a.clone()], vec![])).expect("fires");
        assert_eq!(t, KillTrigger::PositionValue);
        assert_eq!(
            why,
            "margin holds 30000 USD in positions, 300% of its equity 10000 (limit 300%)"
        );
        // Positions with no equity left are past any limit.
        a.equity = dec!(-5);
        a.position_value = dec!(1);
        assert!(trigger(k, &at(0, vec![a], vec![])).is_some());
    }

    #[test]
    fn the_feed_down_trigger_needs_exposure_and_time() {
        let k = KillTriggersConfig {
            feed_down_secs: 60,
            ..triggers_off()
        };
        let quiet = AlertsConfig {
            kill_switch: false,
            ..alerts_on()
        };
        let mut m = Monitor::new(quiet, k);
        let a = || vec![account("spot")];
        assert_eq!(m.check(&at(0, a(), feed(false))).kill, None);
        assert_eq!(m.check(&at(100, a(), feed(false))).kill, None);
        let r = m.check(&at(100, a(), feed_with(false, 1)));
        let (t, why) = r.kill.expect("fires");
        assert_eq!(t, KillTrigger::FeedDown);
        assert_eq!(
            why,
            "feed binance down for 100 s with positions open (limit 60 s)"
        );
        assert!(r.alerts.iter().any(
            |a| a.rule == "kill_trigger" && a.text == format!("kill trigger feed_down: {why}")
        ));
        // Latched: the trigger does not fire again.
        let mut latched = at(101, a(), feed_with(false, 1));
        latched.kill_latched = true;
        assert_eq!(m.check(&latched).kill, None);
    }

    #[test]
    fn the_broker_down_trigger_needs_a_position_on_that_account() {
        let k = KillTriggersConfig {
            broker_down_secs: 20,
            ..triggers_off()
        };
        let quiet = AlertsConfig {
            kill_switch: false,
            ..alerts_on()
        };
        let mut m = Monitor::new(quiet, k);
        let mut down = account("spot");
        down.broker = BrokerObs::Down("paper unavailable: timeout".into());
        let mut other = account("fx");
        other.open_positions = 3;
        assert_eq!(
            m.check(&at(0, vec![down.clone(), other.clone()], vec![]))
                .kill,
            None
        );
        assert_eq!(
            m.check(&at(30, vec![down.clone(), other.clone()], vec![]))
                .kill,
            None
        );
        down.open_positions = 1;
        let (t, why) = m
            .check(&at(31, vec![down, other], vec![]))
            .kill
            .expect("fires");
        assert_eq!(t, KillTrigger::BrokerDown);
        assert_eq!(
            why,
            "spot: broker unreachable for 31 s with 1 position(s) open (limit 20 s)"
        );
    }
}
