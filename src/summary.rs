//! The headless summary: counts for this run, state at the end.

use omni_core::engine::{Engine, PerKind};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;

/// One account at the end of the run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AccountSummary {
    pub name: String,
    /// SPOT, MARGIN, PROP_FIRM or BINARY.
    #[serde(rename = "type")]
    pub kind: String,
    /// DEMO, PAPER or LIVE.
    pub mode: String,
    /// Cash plus unrealised P&L.
    pub equity: Decimal,
    pub cash: Decimal,
    pub open_positions: usize,
    /// LOW, MEDIUM, HIGH or BLOCKED.
    pub risk_level: String,
    /// A live account taking no new exposure, and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocked: Option<String>,
    /// A prop-firm account past a limit (less the buffer): REDUCING, why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reducing: Option<String>,
    /// Margin used and available as the broker reports them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub margin_used: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub margin_available: Option<Decimal>,
    /// After a kill switch: no order and no position, and for a live
    /// account its venue says so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flat: Option<bool>,
}

/// The 60-minute ensemble's belief about one instrument (the one forex
/// signals carry).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BeliefSummary {
    pub alpha: f64,
    pub beta: f64,
    /// α / (α + β).
    pub probability: f64,
    /// How much the models agreed, 0 to 1.
    pub agreement: f64,
}

/// Operator and policy decisions on opportunities.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ApprovalSummary {
    /// Approved by the operator.
    pub operator: u64,
    /// Approved by the auto / approve-all policy.
    pub policy: u64,
    /// Rejected by the operator.
    pub rejected: u64,
}

/// The headless JSON. Everything is a count for this run or the state at
/// the end; no wall-clock figure, so the same seed and flags print the same.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    /// Market events processed.
    pub events: u64,
    /// Opportunities found, per kind.
    pub opportunities: PerKind,
    /// Opportunity approvals by who approved.
    pub approvals: ApprovalSummary,
    /// Order intents the gate approved.
    pub approved: u64,
    /// Order intents the gate refused.
    pub refused: u64,
    pub refusals: BTreeMap<String, u64>,
    /// Opportunities whose time-to-live ran out.
    pub expired: u64,
    /// Opportunities whose edge vanished before a decision.
    pub vanished: u64,
    pub orders: u64,
    /// Fills applied.
    pub fills: u64,
    /// Round trips closed.
    pub trades: u64,
    /// Positions open at the end.
    pub open_positions: usize,
    /// Realised P&L after fees of this run's round trips.
    pub realized_pnl: Decimal,
    /// ACTIVE, REDUCING or HALTED at the end.
    pub trading_state: String,
    /// Whether the kill switch is latched at the end.
    pub kill_latched: bool,
    /// Market events dropped as out of order or naming an unknown market.
    pub dropped_quotes: u64,
    /// Market events quarantined as implausible (per feed in `feeds`).
    pub quarantined: u64,
    /// Every account at the end.
    pub accounts: Vec<AccountSummary>,
    /// The ensemble's belief per instrument at the end.
    pub ensemble: BTreeMap<String, BeliefSummary>,
    /// Binary contracts settled in this run (the last 200): the win rate
    /// claimed when they were bought against the one realised, and their
    /// Brier score; null before the first settlement.
    pub binary_record: Option<omni_core::engine::binary_record::BinaryScore>,
    /// Feed health at the end (live and replay sources; empty for the demo).
    pub feeds: Vec<omni_feeds::FeedHealth>,
    /// Quarantined events per venue name, for [`Summary::set_feeds`].
    #[serde(skip)]
    quarantined_by_venue: BTreeMap<String, u64>,
}

/// Market events the engine quarantined from the venue named `venue`.
pub fn quarantined_of(engine: &Engine, venue: &str) -> u64 {
    let c = engine.counters();
    engine
        .catalog()
        .venues
        .iter()
        .find(|v| v.name == venue)
        .and_then(|v| c.quarantined_by_venue.get(v.id.index()).copied())
        .unwrap_or(0)
}

impl Summary {
    /// Reads the summary off an engine at the end of a run.
    pub fn of(engine: &Engine) -> Self {
        let c = engine.counters();
        let cat = engine.catalog();
        let kill = engine.kill_progress();
        Self {
            events: c.market_events,
            opportunities: c.opportunities.clone(),
            approvals: ApprovalSummary {
                operator: c.operator_approvals,
                policy: c.policy_approvals,
                rejected: c.rejections,
            },
            approved: c.gate_approved,
            refused: c.gate_refused,
            refusals: c
                .refusals
                .iter()
                .map(|(r, n)| (r.as_str().to_string(), *n))
                .collect(),
            expired: c.expired,
            vanished: c.vanished,
            orders: c.orders,
            fills: c.fills,
            trades: c.trades,
            open_positions: engine.portfolio().open_count(),
            realized_pnl: c.realized_pnl.round_dp(8),
            trading_state: engine.trading_state().as_str().to_string(),
            kill_latched: engine.kill_latched(),
            dropped_quotes: c.dropped_quotes,
            quarantined: c.quarantined,
            quarantined_by_venue: cat
                .venues
                .iter()
                .map(|v| {
                    let n = c.quarantined_by_venue.get(v.id.index()).copied();
                    (v.name.clone(), n.unwrap_or(0))
                })
                .collect(),
            accounts: cat
                .accounts
                .iter()
                .map(|a| AccountSummary {
                    name: a.name.clone(),
                    kind: a.kind.as_str().to_string(),
                    mode: a.mode.as_str().to_string(),
                    equity: engine.equity(a.id).round_dp(2),
                    cash: engine.portfolio().balances[a.id.index()].cash.round_dp(2),
                    open_positions: engine.portfolio().of_account(a.id).count(),
                    risk_level: engine.risk_level(a.id).as_str().to_string(),
                    blocked: engine.account_blocked(a.id).map(str::to_string),
                    reducing: engine.prop_breach(a.id).map(str::to_string),
                    margin_used: engine.venue_funds(a.id).and_then(|f| f.margin_used),
                    margin_available: engine.venue_funds(a.id).and_then(|f| f.margin_available),
                    flat: engine.kill_latched().then(|| {
                        kill.iter()
                            .find(|k| k.account == a.id)
                            .is_some_and(|k| k.is_flat())
                    }),
                })
                .collect(),
            binary_record: engine.binary_score(),
            ensemble: cat
                .instruments
                .iter()
                .filter_map(|i| {
                    let b = engine.belief(i.id, omni_core::ensemble::Horizon::Medium)?;
                    let r = |x: f64| (x * 1e6).round() / 1e6;
                    Some((
                        i.name.clone(),
                        BeliefSummary {
                            alpha: r(b.alpha),
                            beta: r(b.beta),
                            probability: r(b.probability()),
                            agreement: r(b.agreement),
                        },
                    ))
                })
                .collect(),
            feeds: Vec::new(),
        }
    }

    /// Attaches the feeds' health, with what the engine quarantined from each.
    pub fn set_feeds(&mut self, mut feeds: Vec<omni_feeds::FeedHealth>) {
        for f in &mut feeds {
            f.quarantined = self
                .quarantined_by_venue
                .get(&f.venue)
                .copied()
                .unwrap_or(0);
        }
        self.feeds = feeds;
    }

    /// A readable multi-line report.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let o = &self.opportunities;
        s.push_str(&format!("events            {}\n", self.events));
        let per_kind: Vec<String> = o
            .iter()
            .map(|(k, n)| format!("{} {n}", k.as_str()))
            .collect();
        s.push_str(&format!("opportunities     {}\n", per_kind.join("  ")));
        s.push_str(&format!(
            "approvals         operator {}  policy {}  rejected {}  expired {}  vanished {}\n",
            self.approvals.operator,
            self.approvals.policy,
            self.approvals.rejected,
            self.expired,
            self.vanished
        ));
        s.push_str(&format!(
            "risk gate         approved {}  refused {}\n",
            self.approved, self.refused
        ));
        for (r, n) in &self.refusals {
            s.push_str(&format!("  refused {r:<24} {n}\n"));
        }
        s.push_str(&format!(
            "execution         orders {}  fills {}  closed trades {}  open positions {}\n",
            self.orders, self.fills, self.trades, self.open_positions
        ));
        s.push_str(&format!(
            "realized P&L      {}\n",
            self.realized_pnl.round_dp(2)
        ));
        s.push_str(&format!(
            "market data       dropped {}  quarantined {}\n",
            self.dropped_quotes, self.quarantined
        ));
        s.push_str(&format!(
            "trading state     {}{}\n",
            self.trading_state,
            if self.kill_latched {
                " (kill switch latched)"
            } else {
                ""
            }
        ));
        if !self.ensemble.is_empty() {
            s.push_str("ensemble\n");
            for (name, b) in &self.ensemble {
                s.push_str(&format!(
                    "  {:<12} P(up) {:.3}  alpha {:.1}  beta {:.1}  agreement {:.2}\n",
                    name, b.probability, b.alpha, b.beta, b.agreement
                ));
            }
        }
        if !self.feeds.is_empty() {
            s.push_str("feeds\n");
            for f in &self.feeds {
                s.push_str(&format!(
                    "  {:<9} {:<12} messages {:>9}  events {:>9}  dropped {:>6}  ignored {:>7}  quarantined {:>5}  reconnects {}  gaps {}\n",
                    f.venue, f.state.as_str(), f.messages, f.events, f.dropped, f.ignored, f.quarantined, f.reconnects, f.gaps
                ));
            }
        }
        s.push_str("accounts\n");
        for a in &self.accounts {
            s.push_str(&format!(
                "  {:<12} {:<10} {:<6} equity {:>14}  open {}  risk {}\n",
                a.name, a.kind, a.mode, a.equity, a.open_positions, a.risk_level
            ));
        }
        s
    }
}
