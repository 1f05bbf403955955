//! The engine: one synchronous, deterministic state machine over one ordered
//! feed of [`EngineEvent`]s. It never reads a clock, sleeps, does I/O or draws
//! random numbers; what leaves it is order requests and audit records in its
//! [`Outbox`]. Same events in, same outbox out, byte for byte.

pub mod audit;
pub mod bars;
pub mod binary_record;
pub mod book;
pub mod config;
mod control;
pub mod counters;
mod cycles;
pub mod event;
mod funds;
mod market;
mod operator;
mod reconcile;
mod reports;
pub mod restore;
pub mod sink;
mod trading;

pub use audit::{Audit, Decision};
pub use control::NOT_PENDING;
pub use counters::{PerKind, RunCounters};
pub use event::{Command, CommandOrigin, EngineEvent, KillTrigger};
pub use operator::NOT_WORKING;
pub use restore::RestoredState;
pub use sink::{AuditSink, CountingSink, NullSink, SinkError};

use crate::approval::config::ApprovalMode;
use crate::domain::{
    AccountId, Catalog, Direction, InstrumentId, OpportunityKind, Order, OrderId, Timestamp,
};
use crate::ensemble::{EnsembleTracker, ModelSet};
use crate::execution::ExecutionRequest;
use crate::market::{MarketGuard, QuoteBook};
use crate::portfolio::{Portfolio, Position, PositionKey};
use crate::risk::{AccountRisk, RiskGate, TradingState};
use crate::router::Router;
use crate::scanners::{Findings, Scanner};
use bars::InstrumentBars;
use book::OpportunityBook;
use config::EngineConfig;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

/// What one call to [`Engine::process`] produced.
#[derive(Clone, Debug, Default)]
pub struct Outbox {
    /// Requests for brokers, in the order they must be sent.
    pub requests: Vec<ExecutionRequest>,
    /// Audit records, in the order they happened.
    pub audits: Vec<Audit>,
}

impl Outbox {
    fn clear(&mut self) {
        self.requests.clear();
        self.audits.clear();
    }
}

/// The two legs of an approved arbitrage on one account, watched so that an
/// uneven fill is unwound.
#[derive(Clone, Debug)]
struct ArbGroup {
    account: AccountId,
    instrument: InstrumentId,
    buy: OrderId,
    sell: OrderId,
    buy_venue: crate::domain::VenueId,
    sell_venue: crate::domain::VenueId,
    buy_filled: Option<Decimal>,
    sell_filled: Option<Decimal>,
}

/// The three orders of an approved triangular cycle, until all have ended.
#[derive(Clone, Debug)]
struct CycleGroup {
    account: AccountId,
    venue: crate::domain::VenueId,
    /// The legs' orders, in trading order.
    orders: [OrderId; 3],
    /// The legs as approved (instrument, side, price).
    legs: [crate::domain::CycleLeg; 3],
    /// The quantity each leg was sent for.
    planned: [Decimal; 3],
    /// Each leg's filled quantity and average price, once it has ended.
    done: [Option<(Decimal, Decimal)>; 3],
    /// The legs' fees so far, in the account's currency.
    fees: Decimal,
}

#[derive(Clone, Debug, Default)]
struct KillSwitch {
    /// Latched until an explicit re-arm; survives restarts.
    latched: bool,
    /// When it last fired.
    engaged_at: Option<Timestamp>,
    /// Positions whose flatten order was refused by the broker, and when to
    /// try again.
    retry_at: BTreeMap<PositionKey, Timestamp>,
    /// Consecutive refused flattens per position: each doubles the wait
    /// before the next try, up to [`FLATTEN_RETRY_MAX_SECS`].
    refusals: BTreeMap<PositionKey, u32>,
    /// The broker's last refusal of a flatten, per account, until the next
    /// kill switch or re-arm (shown with the kill progress).
    last_refusal: BTreeMap<AccountId, String>,
    /// Restored latched: the next event sends the kill switch's cancels
    /// again (the last run may have died before they reached the venues).
    resume_pending: bool,
}

/// Longest wait between two tries of a flatten the broker refused.
pub const FLATTEN_RETRY_MAX_SECS: i64 = 60;

impl KillSwitch {
    /// Records a refused flatten of `key` at `ts` and says when to try
    /// again: 1 s, 2 s, 4 s, … after each consecutive refusal, at most
    /// [`FLATTEN_RETRY_MAX_SECS`], so a broker that keeps saying no gets a
    /// bounded number of orders.
    fn refused(&mut self, key: PositionKey, ts: Timestamp, reason: &str) {
        let n = self.refusals.entry(key).or_insert(0);
        *n = n.saturating_add(1);
        let wait = 1i64
            .checked_shl(*n - 1)
            .unwrap_or(i64::MAX)
            .clamp(1, FLATTEN_RETRY_MAX_SECS);
        self.retry_at.insert(key, ts.plus_secs(wait));
        self.last_refusal.insert(
            key.account,
            format!("flatten refused {n}× ({reason}); next try in {wait}s"),
        );
    }

    /// Forgets refusals, retries and a pending resume (a new kill switch,
    /// or a re-arm).
    fn clear_retries(&mut self) {
        self.resume_pending = false;
        self.retry_at.clear();
        self.refusals.clear();
        self.last_refusal.clear();
    }
}

/// Per-account flatten progress after a kill switch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KillProgress {
    pub account: AccountId,
    /// Orders still working (cancels not yet confirmed).
    pub working_orders: usize,
    pub open_positions: usize,
    /// The broker's last refusal of a flatten order on this account since
    /// the kill switch fired, with the count and the wait before the next
    /// try; `None` if none was refused.
    pub last_refusal: Option<String>,
    /// For an account on a live venue: what the venue last said since the
    /// kill switch fired and since this account last traded (`None`: it
    /// has not answered yet). Paper accounts: `None`, and not needed.
    pub venue: Option<VenueReport>,
    /// True for an account on a live venue, whose "flat" needs the venue's
    /// word.
    pub live: bool,
}

/// A live venue's last report of an account ([`ExecutionReport::VenueState`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VenueReport {
    pub ts: Timestamp,
    pub open_orders: u32,
    /// Positions the venue reports (above the account's baseline).
    pub positions: usize,
    /// Why the venue could not be asked.
    pub unreachable: Option<String>,
}

impl KillProgress {
    /// True once the broker has confirmed no orders and no positions (for
    /// a live account: the venue itself, asked after the last trade).
    pub fn is_flat(&self) -> bool {
        let book_flat = self.working_orders == 0 && self.open_positions == 0;
        let venue_flat = !self.live
            || self
                .venue
                .as_ref()
                .is_some_and(|v| v.unreachable.is_none() && v.open_orders == 0 && v.positions == 0);
        book_flat && venue_flat
    }
}

/// The engine. See the module docs.
pub struct Engine {
    catalog: Catalog,
    config: EngineConfig,
    clock: Timestamp,
    book: QuoteBook,
    /// Holds back implausible market data before it reaches the book.
    guard: MarketGuard,
    bars: Vec<InstrumentBars>,
    /// Every scanner, in the order market events reach them
    /// ([`crate::scanners::registry`]).
    scanners: Vec<Box<dyn Scanner>>,
    /// Scratch for one scanner's findings on one event.
    findings: Findings,
    opportunities: OpportunityBook,
    approval_mode: ApprovalMode,
    gate: RiskGate,
    account_risk: Vec<AccountRisk>,
    router: Router,
    portfolio: Portfolio,
    working: BTreeMap<OrderId, Order>,
    /// Exit or flatten order in flight per position.
    closing: BTreeMap<PositionKey, OrderId>,
    arb_groups: Vec<ArbGroup>,
    /// Triangular cycles whose legs have not all ended.
    cycle_groups: Vec<CycleGroup>,
    /// Unwinds of what a cycle left that wait for another close of the
    /// same position to end: (position, venue, what is left to take back).
    pending_unwinds: Vec<(PositionKey, crate::domain::VenueId, Decimal)>,
    fill_ids: HashSet<String>,
    /// Trade ids booked by this engine (not restored from a store): a fee
    /// in kind applies only to one of these, so a restart that hands an
    /// execution over again never takes its fee twice.
    fresh_fills: HashSet<String>,
    /// Live venues' last reports, per account.
    venue_reports: BTreeMap<AccountId, VenueReport>,
    /// Live accounts whose book disagrees with their venue (or whose venue
    /// has not reported yet), with why: they take no new exposure.
    blocked: BTreeMap<AccountId, String>,
    /// Live accounts' equity and margin as their brokers last reported.
    venue_funds: BTreeMap<AccountId, crate::execution::VenueFunds>,
    /// Prop-firm accounts past a limit (less the buffer), with why: only
    /// orders that reduce a position.
    prop_breach: BTreeMap<AccountId, String>,
    /// When each account last sent an order or booked a fill: a venue
    /// report older than that says nothing about the account now.
    last_activity: BTreeMap<AccountId, Timestamp>,
    state: TradingState,
    kill: KillSwitch,
    next_order_id: u64,
    next_opportunity_id: u64,
    next_deadline: Timestamp,
    restored_day: Option<i64>,
    models: Arc<ModelSet>,
    trackers: Vec<EnsembleTracker>,
    learning: BTreeMap<(InstrumentId, OpportunityKind), (u32, u32)>,
    counters: RunCounters,
    /// Settled binary contracts against what was claimed for them.
    binary_record: binary_record::BinaryRecord,
    outbox: Outbox,
    /// See [`Engine::state_version`].
    state_version: u64,
    scratch_bars: Vec<crate::domain::Bar>,
}

impl Engine {
    /// An engine for a validated configuration, with every account at its
    /// starting balance, no positions and trading ACTIVE.
    pub fn new(config: &EngineConfig, catalog: &Catalog) -> Self {
        let n = catalog.instruments.len();
        let router = Router::new(&config.routes, catalog);
        // A scanner scans the instruments its kind is routed for, narrowed
        // to its `instruments` list when it has one.
        let scope = |kind: OpportunityKind, enabled: bool, list: &[String]| -> Vec<bool> {
            (0..n)
                .map(|i| {
                    let id = InstrumentId(i as u16);
                    let listed = list.is_empty()
                        || list.iter().any(|name| name == &catalog.instrument(id).name);
                    enabled && listed && router.routed(kind, id)
                })
                .collect()
        };
        let scanners = crate::scanners::registry(&config.scanners, &scope);
        let portfolio = Portfolio::new(catalog);
        let account_risk = catalog
            .accounts
            .iter()
            .map(|a| AccountRisk::new(0, a.initial_balance))
            .collect();
        let mut engine = Self {
            book: QuoteBook::new(catalog),
            guard: MarketGuard::new(config.quarantine.clone(), catalog),
            bars: (0..n)
                .map(|i| InstrumentBars::new(InstrumentId(i as u16)))
                .collect(),
            scanners,
            findings: Findings::default(),
            opportunities: OpportunityBook::default(),
            approval_mode: config.approval.mode,
            gate: RiskGate::new(config.risk.clone()),
            account_risk,
            router,
            portfolio,
            working: BTreeMap::new(),
            closing: BTreeMap::new(),
            arb_groups: Vec::new(),
            cycle_groups: Vec::new(),
            pending_unwinds: Vec::new(),
            fill_ids: HashSet::new(),
            fresh_fills: HashSet::new(),
            venue_reports: BTreeMap::new(),
            blocked: BTreeMap::new(),
            venue_funds: BTreeMap::new(),
            prop_breach: BTreeMap::new(),
            last_activity: BTreeMap::new(),
            state: TradingState::Active,
            kill: KillSwitch::default(),
            next_order_id: 1,
            next_opportunity_id: 1,
            next_deadline: Timestamp(i64::MIN),
            restored_day: None,
            models: Arc::new(ModelSet::default()),
            trackers: vec![EnsembleTracker::new(); n],
            learning: BTreeMap::new(),
            counters: RunCounters::new(catalog),
            binary_record: binary_record::BinaryRecord::default(),
            outbox: Outbox::default(),
            state_version: 0,
            scratch_bars: Vec::new(),
            clock: Timestamp(i64::MIN),
            catalog: catalog.clone(),
            config: config.clone(),
        };
        engine.block_live_accounts();
        engine
    }

    /// Gives the engine its horizon models (loaded by the caller: the engine
    /// does no I/O). Without them opportunities carry no belief.
    pub fn set_models(&mut self, models: Arc<ModelSet>) {
        for s in &mut self.scanners {
            s.set_models(&models);
        }
        self.models = models;
    }

    /// The last settled binary contracts, claimed against realised.
    pub fn binary_score(&self) -> Option<binary_record::BinaryScore> {
        self.binary_record.score()
    }

    /// The ensemble state of an instrument.
    pub fn tracker(&self, instrument: InstrumentId) -> Option<&EnsembleTracker> {
        self.trackers.get(instrument.index())
    }

    /// The accounts an opportunity of this kind on this instrument goes to.
    pub fn routed_accounts(&self, kind: OpportunityKind, instrument: InstrumentId) -> &[AccountId] {
        self.router.accounts_for(kind, instrument)
    }

    pub fn models(&self) -> &ModelSet {
        &self.models
    }

    /// Wins and losses of closed trades per (instrument, kind).
    pub fn learning(&self) -> &BTreeMap<(InstrumentId, OpportunityKind), (u32, u32)> {
        &self.learning
    }

    /// The size multiplier learned for an instrument and kind: 0.5 plus half
    /// the posterior mean win rate under a Beta(1, 1) prior, so between
    /// 0.5× (always losing) and 1× (always winning), 0.75× with no history.
    pub fn feedback_scale(&self, instrument: InstrumentId, kind: OpportunityKind) -> f64 {
        let (w, l) = self
            .learning
            .get(&(instrument, kind))
            .copied()
            .unwrap_or((0, 0));
        0.5 + 0.5 * (1.0 + f64::from(w)) / (2.0 + f64::from(w) + f64::from(l))
    }

    /// Processes one event and returns what it produced. The outbox is
    /// cleared at the start of each call.
    pub fn process(&mut self, event: EngineEvent) -> &mut Outbox {
        self.outbox.clear();
        let ts = event.ts();
        if ts > self.clock {
            self.clock = ts;
        }
        if self.clock >= self.next_deadline {
            self.on_time();
        }
        match event {
            EngineEvent::Market(m) => self.on_market(&m),
            EngineEvent::Execution(r) => self.on_report(r),
            EngineEvent::Command {
                command, origin, ..
            } => self.on_command(command, origin),
            EngineEvent::Timer(_) => {}
        }
        // Restored latched: the last run may have died before its cancels
        // reached the venues, or a venue may have taken orders since. They
        // go out again, and "flat" again needs the venues' word from now.
        if self.kill.latched && std::mem::take(&mut self.kill.resume_pending) {
            self.send_kill_cancels();
        }
        if self.kill.latched {
            self.kill_maintain();
        }
        // Every change to cash, positions, risk counters, orders or the
        // trading state is audited, so an audit other than an opportunity
        // opening or closing is what says the accounts' side has moved.
        if self.outbox.audits.iter().any(|a| {
            !matches!(
                a,
                Audit::OpportunityOpened(_) | Audit::OpportunityClosed { .. }
            )
        }) {
            self.state_version += 1;
        }
        &mut self.outbox
    }

    /// A counter that moves whenever an event changes the accounts' cash,
    /// positions, risk counters or working orders, or the trading state
    /// (and on `restore`). It does not move for quotes or opportunities:
    /// a reader caching something computed from account state (the
    /// cockpit's gate previews) compares it to know when to recompute.
    pub fn state_version(&self) -> u64 {
        self.state_version
    }

    /// The engine's time: the latest event time seen.
    pub fn clock(&self) -> Timestamp {
        self.clock
    }

    /// When the engine next has timed work (an opportunity expiring, the
    /// order throttle's window moving, a new day): a paced loop with no
    /// market event due sleeps until then at most.
    pub fn next_deadline(&self) -> Timestamp {
        self.next_deadline
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// Counts for this run.
    pub fn counters(&self) -> &RunCounters {
        &self.counters
    }

    pub fn trading_state(&self) -> TradingState {
        self.state
    }

    /// True while the kill switch is latched.
    pub fn kill_latched(&self) -> bool {
        self.kill.latched
    }

    /// When the kill switch last fired.
    pub fn kill_engaged_at(&self) -> Option<Timestamp> {
        self.kill.engaged_at
    }

    /// How opportunities are approved now.
    pub fn approval_mode(&self) -> ApprovalMode {
        self.approval_mode
    }

    /// Latest quotes.
    pub fn quotes(&self) -> &QuoteBook {
        &self.book
    }

    /// Pending opportunities.
    pub fn opportunities(&self) -> &OpportunityBook {
        &self.opportunities
    }

    /// Positions and balances.
    pub fn portfolio(&self) -> &Portfolio {
        &self.portfolio
    }

    pub fn working_orders(&self) -> &BTreeMap<OrderId, Order> {
        &self.working
    }

    /// Risk counters of an account.
    pub fn account_risk(&self, account: AccountId) -> &AccountRisk {
        &self.account_risk[account.index()]
    }

    /// The gate (for previews and limits).
    pub fn gate(&self) -> &RiskGate {
        &self.gate
    }

    /// The scanner of a kind.
    pub fn scanner(&self, kind: OpportunityKind) -> Option<&dyn Scanner> {
        self.scanners
            .iter()
            .find(|s| s.kind() == kind)
            .map(|s| s.as_ref())
    }

    /// Last completed bars of an instrument: (M1, M5, H1).
    pub fn last_bars(&self, instrument: InstrumentId) -> [Option<crate::domain::Bar>; 3] {
        self.bars
            .get(instrument.index())
            .map_or([None, None, None], |b| b.last)
    }

    /// An instrument's recent completed 1-minute bars, oldest first, and the
    /// one being built (for display).
    pub fn chart_bars(
        &self,
        instrument: InstrumentId,
    ) -> (
        impl Iterator<Item = &crate::domain::Bar>,
        Option<&crate::domain::Bar>,
    ) {
        let b = self.bars.get(instrument.index());
        (
            b.into_iter().flat_map(|b| b.recent()),
            b.and_then(|b| b.forming()),
        )
    }

    /// The price positions on an instrument are marked at: the reference
    /// venue's mid, or `None` before its first quote.
    pub fn mark(&self, instrument: InstrumentId) -> Option<Decimal> {
        let inst = self.catalog.instrument(instrument);
        self.book
            .quote(inst.primary_venue(), instrument)
            .map(|q| q.mid())
    }

    /// The value of a position's open quantity at current marks (binary
    /// contracts at their fair value per unit staked).
    pub fn position_mark(&self, p: &Position) -> Decimal {
        if let Some(c) = p.binary {
            return self
                .scanners
                .iter()
                .find_map(|s| s.contract_value(p.key.instrument, &c, self.clock))
                .unwrap_or(p.avg_price);
        }
        self.mark(p.key.instrument).unwrap_or(p.avg_price)
    }

    /// Unrealised P&L of a position at current marks.
    pub fn unrealized(&self, p: &Position) -> Decimal {
        p.unrealized(self.position_mark(p))
    }

    /// Cash plus unrealised P&L of every open position.
    pub fn equity(&self, account: AccountId) -> Decimal {
        let cash = self.portfolio.balances[account.index()].cash;
        cash + self
            .portfolio
            .of_account(account)
            .map(|p| self.unrealized(p))
            .sum::<Decimal>()
    }

    /// Each limit of an account with its current use.
    pub fn risk_usages(&self, account: AccountId) -> Vec<crate::risk::LimitUsage> {
        let largest = self
            .portfolio
            .of_account(account)
            .map(|p| p.notional(self.position_mark(p)))
            .max()
            .unwrap_or(Decimal::ZERO);
        crate::risk::usages(
            self.gate.config(),
            self.catalog.account(account),
            &self.account_risk[account.index()],
            self.equity(account),
            largest,
            self.venue_funds.get(&account),
            self.clock,
        )
    }

    /// True for a position smaller than its instrument's minimum quantity:
    /// no order can trade it (a venue's rounding or a fee taken in the
    /// coin leaves such crumbs), so the kill switch neither flattens nor
    /// waits for it.
    pub fn is_dust(&self, p: &Position) -> bool {
        p.key.contract == 0
            && !p.qty.is_zero()
            && p.qty.abs() < self.catalog.instrument(p.key.instrument).min_qty
    }

    /// LOW, MEDIUM, HIGH or BLOCKED for an account.
    pub fn risk_level(&self, account: AccountId) -> crate::risk::RiskLevel {
        if self.blocked.contains_key(&account) {
            return crate::risk::RiskLevel::Blocked;
        }
        let risk = &self.account_risk[account.index()];
        crate::risk::level(
            self.gate.config(),
            &self.risk_usages(account),
            self.state,
            risk.in_cooldown(self.clock),
        )
    }

    /// Flatten progress of every account (meaningful after a kill switch).
    pub fn kill_progress(&self) -> Vec<KillProgress> {
        self.catalog
            .accounts
            .iter()
            .map(|a| {
                let since = self
                    .kill
                    .engaged_at
                    .max(self.last_activity.get(&a.id).copied());
                KillProgress {
                    account: a.id,
                    working_orders: self.working.values().filter(|o| o.account == a.id).count(),
                    open_positions: self
                        .portfolio
                        .of_account(a.id)
                        .filter(|p| !self.is_dust(p))
                        .count(),
                    last_refusal: self.kill.last_refusal.get(&a.id).cloned(),
                    venue: self
                        .venue_reports
                        .get(&a.id)
                        .filter(|r| since.is_none_or(|t| r.ts >= t))
                        .cloned(),
                    live: a.broker.is_live(),
                }
            })
            .collect()
    }

    fn position_direction(p: &Position) -> Direction {
        if p.qty > Decimal::ZERO {
            Direction::Up
        } else {
            Direction::Down
        }
    }
}
