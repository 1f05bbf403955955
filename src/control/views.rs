//! The API's JSON: what a snapshot says, as a client reads it. Money and
//! prices are decimal strings (exact); times are RFC 3339 UTC.

use crate::app::snapshot::Snapshot;
use omni_core::domain::{OpportunityDetail, Timestamp};
use rust_decimal::Decimal;
use serde::Serialize;

/// A time for a client.
pub fn time(t: Timestamp) -> String {
    t.to_datetime()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// `GET /v1/health`.
#[derive(Debug, Serialize)]
pub struct Health {
    /// `ok` while the engine thread runs and no feed is down; `degraded`
    /// with a feed down; `stopped` once the engine thread has stopped.
    pub status: &'static str,
    pub source: String,
    /// The engine's clock.
    pub now: String,
    pub trading_state: &'static str,
    pub kill_latched: bool,
    pub market_events: u64,
    pub events_per_sec: f64,
    /// Feeds not receiving (venue names).
    pub feeds_down: Vec<String>,
}

/// `GET /v1/state`.
#[derive(Debug, Serialize)]
pub struct State {
    pub source: String,
    pub now: String,
    pub trading_state: &'static str,
    pub kill_latched: bool,
    pub approval_mode: &'static str,
    pub accounts: usize,
    pub open_positions: usize,
    pub working_orders: usize,
    pub pending_opportunities: usize,
    pub market_events: u64,
    pub orders: u64,
    pub fills: u64,
    pub trades: u64,
}

#[derive(Debug, Serialize)]
pub struct Account {
    pub name: String,
    pub broker: &'static str,
    pub mode: &'static str,
    pub currency: String,
    pub equity: Decimal,
    pub cash: Decimal,
    pub realized_pnl: Decimal,
    pub unrealized_pnl: Decimal,
    pub day_pnl: Decimal,
    pub drawdown_pct: Decimal,
    pub risk_level: &'static str,
    pub working_orders: usize,
    pub open_positions: usize,
    /// After a kill switch: the broker's last refusal of a flatten order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flatten_refusal: Option<String>,
    /// After a kill switch, for a live account: what its venue last said.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub venue: Option<String>,
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
}

#[derive(Debug, Serialize)]
pub struct Position {
    pub account: String,
    pub instrument: String,
    pub side: &'static str,
    pub qty: Decimal,
    pub avg_price: Decimal,
    pub mark: Decimal,
    pub unrealized_pnl: Decimal,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_loss: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub take_profit: Option<Decimal>,
    /// A binary contract's direction, strike and seconds to expiry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contract: Option<Contract>,
}

#[derive(Debug, Serialize)]
pub struct Contract {
    pub direction: &'static str,
    pub strike: Decimal,
    pub expires_in_secs: i64,
}

#[derive(Debug, Serialize)]
pub struct Order {
    pub id: u64,
    pub account: String,
    pub instrument: String,
    pub venue: String,
    pub side: &'static str,
    pub order_type: &'static str,
    pub qty: Decimal,
    pub filled_qty: Decimal,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit_price: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_price: Option<Decimal>,
    pub status: &'static str,
    pub purpose: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opportunity: Option<u64>,
}

#[derive(Debug, Serialize)]
pub struct Opportunity<'a> {
    /// The id `POST /v1/approve/{id}` takes.
    pub id: u64,
    pub kind: &'static str,
    pub instrument: &'a str,
    pub expires_in_secs: i64,
    /// What the scanner found: venues and prices, the signal, the contract.
    pub detail: &'a OpportunityDetail,
    /// Accounts the gate would let trade it now, of those it routes to.
    pub gate_approves: usize,
    pub routed_accounts: usize,
    /// The first refusal if approved now: account, reason, numbers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gate_refusal: Option<String>,
    pub auto_would_approve: bool,
}

#[derive(Debug, Serialize)]
pub struct Feed {
    pub venue: String,
    pub state: &'static str,
    /// Seconds since the last frame.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub age_secs: Option<f64>,
    pub messages_per_sec: f64,
    pub messages: u64,
    pub events: u64,
    pub dropped: u64,
    pub reconnects: u64,
    pub gaps: u64,
    pub quarantined: u64,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub last_error: String,
}

fn state_name(s: &Snapshot) -> &'static str {
    s.trading_state.map_or("STARTING", |t| t.as_str())
}

/// Feeds not receiving.
pub fn feeds_down(s: &Snapshot) -> Vec<String> {
    use omni_feeds::FeedState;
    s.feeds
        .iter()
        .filter(|f| {
            matches!(
                f.health.state,
                FeedState::Down | FeedState::Reconnecting | FeedState::Connecting
            )
        })
        .map(|f| f.health.venue.clone())
        .collect()
}

pub fn health(s: &Snapshot, engine_running: bool) -> Health {
    let down = feeds_down(s);
    Health {
        status: if !engine_running {
            "stopped"
        } else if down.is_empty() {
            "ok"
        } else {
            "degraded"
        },
        source: s.source.clone(),
        now: time(s.now),
        trading_state: state_name(s),
        kill_latched: s.kill_latched,
        market_events: s.counters.market_events,
        events_per_sec: (s.events_per_sec * 10.0).round() / 10.0,
        feeds_down: down,
    }
}

pub fn state(s: &Snapshot) -> State {
    State {
        source: s.source.clone(),
        now: time(s.now),
        trading_state: state_name(s),
        kill_latched: s.kill_latched,
        approval_mode: s.approval_mode.map_or("?", |m| m.as_str()),
        accounts: s.accounts.len(),
        open_positions: s.positions.len(),
        working_orders: s.orders.len(),
        pending_opportunities: s.opportunities.len(),
        market_events: s.counters.market_events,
        orders: s.counters.orders,
        fills: s.counters.fills,
        trades: s.counters.trades,
    }
}

pub fn accounts(s: &Snapshot) -> Vec<Account> {
    s.accounts
        .iter()
        .map(|a| Account {
            name: a.name.clone(),
            broker: a.broker,
            mode: a.mode.as_str(),
            currency: a.currency.clone(),
            equity: a.equity,
            cash: a.cash,
            realized_pnl: a.realized,
            unrealized_pnl: a.unrealized,
            day_pnl: a.day_pnl,
            drawdown_pct: a.drawdown_pct,
            risk_level: a.level.as_str(),
            working_orders: a.working_orders,
            open_positions: a.open_positions,
            flatten_refusal: a.flatten_refusal.clone(),
            venue: a.venue.clone(),
            blocked: a.blocked.clone(),
            reducing: a.reducing.clone(),
            margin_used: a.margin_used,
            margin_available: a.margin_available,
        })
        .collect()
}

pub fn positions(s: &Snapshot) -> Vec<Position> {
    s.positions
        .iter()
        .map(|p| Position {
            account: p.account.clone(),
            instrument: p.instrument.clone(),
            side: p.side.as_str(),
            qty: p.qty,
            avg_price: p.avg,
            mark: p.mark,
            unrealized_pnl: p.upnl,
            stop_loss: p.stop,
            take_profit: p.take,
            contract: p.binary.map(|(d, strike, secs)| Contract {
                direction: d.as_str(),
                strike,
                expires_in_secs: secs,
            }),
        })
        .collect()
}

pub fn orders(s: &Snapshot) -> Vec<Order> {
    s.orders
        .iter()
        .map(|o| Order {
            id: o.id,
            account: o.account.clone(),
            instrument: o.instrument.clone(),
            venue: o.venue.clone(),
            side: o.side.as_str(),
            order_type: o.order_type,
            qty: o.qty,
            filled_qty: o.filled_qty,
            limit_price: o.limit_price,
            stop_price: o.stop_price,
            status: o.status,
            purpose: o.purpose,
            opportunity: o.opportunity,
        })
        .collect()
}

pub fn opportunities(s: &Snapshot) -> Vec<Opportunity<'_>> {
    s.opportunities
        .iter()
        .map(|o| Opportunity {
            id: o.id.0,
            kind: o.kind.as_str(),
            instrument: &o.instrument_name,
            expires_in_secs: o.ttl_secs,
            detail: &o.detail,
            gate_approves: o.gate.approved,
            routed_accounts: o.gate.total,
            gate_refusal: o
                .gate
                .refusal
                .as_ref()
                .map(|(acct, reason, nums)| format!("{acct}: {} {nums}", reason.as_str())),
            auto_would_approve: o.auto_ok,
        })
        .collect()
}

pub fn feeds(s: &Snapshot) -> Vec<Feed> {
    s.feeds
        .iter()
        .map(|f| Feed {
            venue: f.health.venue.clone(),
            state: f.health.state.as_str(),
            age_secs: f.age_ms.map(|ms| ms as f64 / 1000.0),
            messages_per_sec: (f.rate * 10.0).round() / 10.0,
            messages: f.health.messages,
            events: f.health.events,
            dropped: f.health.dropped,
            reconnects: f.health.reconnects,
            gaps: f.health.gaps,
            quarantined: f.health.quarantined,
            last_error: f.health.last_error.clone(),
        })
        .collect()
}
