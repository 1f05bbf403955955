//! What the cockpit shows, read off the engine in one go: data (ids,
//! decimals, enums, times), no text laid out for a pane. The engine thread
//! builds it (`engine_thread::snapshot`); the panes format it (`ui`).

use omni_core::approval::config::ApprovalMode;
use omni_core::domain::{
    AccountId, AccountMode, BetaBelief, Direction, InstrumentId, OpportunityDetail, OpportunityId,
    OpportunityKind, OrderId, Side, Timestamp,
};
use omni_core::ensemble::Combined;
use omni_core::risk::{RefusalReason, RiskLevel, TradingState};
use rust_decimal::Decimal;

/// One market's top of book.
#[derive(Clone, Debug, PartialEq)]
pub struct QuoteRow {
    pub venue: String,
    pub instrument: String,
    pub bid: Decimal,
    pub ask: Decimal,
    /// Ask − bid.
    pub spread: Decimal,
    /// Last change of the mid.
    pub change: Decimal,
    /// Age of the last update, ms.
    pub age_ms: i64,
    /// Older than the gate accepts.
    pub stale: bool,
    /// Decimal places of the instrument's tick.
    pub dp: u32,
}

/// What the gate would say if the opportunity were approved now.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GatePreview {
    /// Accounts that would trade.
    pub approved: usize,
    /// Accounts routed.
    pub total: usize,
    /// The first refusal: account, reason, numbers.
    pub refusal: Option<(String, RefusalReason, String)>,
    /// Each approving account's size, and for an arbitrage the profit at
    /// that size after both taker fees (walked through the same levels).
    pub sizes: Vec<AccountSize>,
}

/// What one account would trade of an opportunity.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountSize {
    pub account: String,
    pub qty: Decimal,
    pub profit: Option<Decimal>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct OppRow {
    pub id: OpportunityId,
    pub kind: OpportunityKind,
    pub instrument: InstrumentId,
    pub instrument_name: String,
    /// What the scanner found: venues and prices (arbitrage), the signal
    /// and its exits (forex), the contract (binary).
    pub detail: OpportunityDetail,
    /// Decimal places of the instrument's tick.
    pub dp: u32,
    /// Whole seconds until it expires undecided, rounded up.
    pub ttl_secs: i64,
    /// The gate's answer now.
    pub gate: GatePreview,
    /// The ensemble's belief attached to it.
    pub belief: Option<BetaBelief>,
    /// Which horizon's ensemble the belief is (its scanner's choice).
    pub belief_horizon: Option<omni_core::ensemble::Horizon>,
    /// Whether the auto policy would approve it as it stands.
    pub auto_ok: bool,
    /// A triangular cycle's instruments, leg by leg (empty otherwise).
    pub leg_names: Vec<String>,
}

/// One model's reading for the Ensemble pane.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ModelRow {
    pub alpha: f64,
    pub beta: f64,
    /// Recent hit rate.
    pub hit_rate: f64,
}

/// The ensemble of one instrument.
#[derive(Clone, Debug, PartialEq)]
pub struct EnsembleRow {
    pub instrument: InstrumentId,
    /// Short, medium, long.
    pub models: [Option<ModelRow>; 3],
    /// The ensembles of the 5-minute, 60-minute and 24-hour events.
    pub combined: [Option<Combined>; 3],
}

/// One limit, at the account that uses most of it.
#[derive(Clone, Debug, PartialEq)]
pub struct LimitRow {
    pub name: String,
    /// Account using most of it.
    pub account: String,
    /// Amount used, in the same unit as `limit`.
    pub used: f64,
    pub limit: f64,
}

impl LimitRow {
    /// Share used, 0..1 (capped).
    pub fn fraction(&self) -> f64 {
        if self.limit > 0.0 {
            (self.used / self.limit).clamp(0.0, 1.0)
        } else {
            0.0
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PositionRow {
    /// The position's key (account, instrument, contract): what the
    /// cockpit's selection holds and a close names.
    pub account_id: AccountId,
    pub instrument_id: InstrumentId,
    /// The buying order's id for a binary contract, 0 otherwise.
    pub contract: u64,
    pub account: String,
    /// The account trades real money (LIVE): marked in the Positions pane.
    pub live: bool,
    pub instrument: String,
    /// The venue it was opened on, where a close is sent.
    pub venue: String,
    /// BUY (long) or SELL (short).
    pub side: Side,
    /// Absolute quantity (stake for binary).
    pub qty: Decimal,
    /// Average price (per unit staked for binary).
    pub avg: Decimal,
    pub mark: Decimal,
    pub upnl: Decimal,
    pub stop: Option<Decimal>,
    pub take: Option<Decimal>,
    /// Binary: direction, strike and seconds to expiry.
    pub binary: Option<(Direction, Decimal, i64)>,
    /// Decimal places for prices.
    pub dp: u32,
}

impl PositionRow {
    /// The quantity with its sign (negative short), as
    /// `Command::ClosePosition` carries what was shown.
    pub fn signed_qty(&self) -> Decimal {
        self.qty * self.side.sign()
    }
}

/// One account for the Accounts pane, the status bar and the kill banner.
#[derive(Clone, Debug, PartialEq)]
pub struct AccountRow {
    pub name: String,
    /// Who executes its orders (`paper`, …).
    pub broker: &'static str,
    /// DEMO, PAPER, LIVE.
    pub mode: AccountMode,
    /// The account's currency; money columns are in it.
    pub currency: String,
    /// Cash plus unrealised P&L.
    pub equity: Decimal,
    /// Cash, after realised P&L and fees.
    pub cash: Decimal,
    /// Realised P&L after fees since the account started (cash minus the
    /// starting balance).
    pub realized: Decimal,
    /// Unrealised P&L of its open positions at current marks.
    pub unrealized: Decimal,
    /// Fall from the highest equity seen, in percent of it (0 at a peak).
    pub drawdown_pct: Decimal,
    /// Equity minus the day's starting equity.
    pub day_pnl: Decimal,
    pub level: RiskLevel,
    /// Seconds of loss-streak cooldown left.
    pub cooldown_secs: Option<i64>,
    pub working_orders: usize,
    pub open_positions: usize,
    /// After a kill switch: the broker's last refusal of this account's
    /// flatten, with how often and when it is tried again.
    pub flatten_refusal: Option<String>,
    /// After a kill switch: no working order and no position, and for a
    /// live account the venue itself says so.
    pub flat: bool,
    /// After a kill switch, for a live account: what its venue last said
    /// (`flat`, its open orders and positions, or why it cannot be asked).
    pub venue: Option<String>,
    /// A live account that takes no new exposure, and why (its venue has
    /// not reported yet, or disagrees with the book).
    pub blocked: Option<String>,
    /// A prop-firm account past one of its limits (less the buffer): only
    /// orders that reduce a position, and why.
    pub reducing: Option<String>,
    /// Margin used and available, as the broker reports them.
    pub margin_used: Option<Decimal>,
    pub margin_available: Option<Decimal>,
}

/// One 1-minute candle for the chart.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Candle {
    pub open_ts: Timestamp,
    pub open: Decimal,
    pub high: Decimal,
    pub low: Decimal,
    pub close: Decimal,
}

/// What the Chart pane draws for one instrument: its recent 1-minute bars
/// (the last one still forming) and its reference venue's top of book.
#[derive(Clone, Debug, PartialEq)]
pub struct ChartRow {
    pub instrument: InstrumentId,
    /// Oldest first; the last is the bar being built when `forming`.
    pub candles: Vec<Candle>,
    /// The last candle is still being built.
    pub forming: bool,
    /// The reference venue, whose prices build the bars.
    pub venue: String,
    pub bid: Option<Decimal>,
    pub ask: Option<Decimal>,
    /// Decimal places of the instrument's tick.
    pub dp: u32,
}

/// One feed's health for the Market pane.
#[derive(Clone, Debug, PartialEq)]
pub struct FeedRow {
    pub health: omni_feeds::FeedHealth,
    /// Messages per second since the last snapshot.
    pub rate: f64,
    /// Milliseconds since the last message (market time), if any.
    pub age_ms: Option<i64>,
}

/// The speed `--max` stands for in the cockpit: far beyond what the engine
/// can process, so the replay runs as fast as it can while drawing.
pub const MAX_SPEED: f64 = 1e6;

/// Where a replay (or the demo's simulated clock) stands, for the status
/// bar.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReplayStatus {
    /// The market clock is stopped (`P`).
    pub paused: bool,
    /// Market seconds per wall second.
    pub speed: f64,
    /// Share of the replay's input read, 0..1 (`None` for the demo, which has no end).
    pub progress: Option<f64>,
    /// Every event of the replay has been processed: the clock stops at
    /// the last one.
    pub ended: bool,
}

/// A working order, for the Orders view of the Positions pane and the
/// control API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderRow {
    pub id: u64,
    pub account: String,
    pub instrument: String,
    pub venue: String,
    pub side: Side,
    /// `MARKET`, `LIMIT`, …
    pub order_type: &'static str,
    pub qty: Decimal,
    pub filled_qty: Decimal,
    pub limit_price: Option<Decimal>,
    pub stop_price: Option<Decimal>,
    /// `NEW`, `PARTIALLY_FILLED`, …
    pub status: &'static str,
    /// `entry`, `exit`, `flatten`, …
    pub purpose: &'static str,
    /// The opportunity it trades, if any.
    pub opportunity: Option<u64>,
    /// When the engine created it (market time): its age is `now` minus this.
    pub created: Timestamp,
}

impl OrderRow {
    /// The order's id, as a command names it.
    pub fn order_id(&self) -> OrderId {
        OrderId(self.id)
    }
}

/// Everything the cockpit draws from the engine.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    /// Increases with every build.
    pub version: u64,
    /// Engine time.
    pub now: Timestamp,
    /// Market source label (DEMO or LIVE).
    pub source: String,
    /// Top of book per market.
    pub quotes: Vec<QuoteRow>,
    /// Pending opportunities, best first within each kind.
    pub opportunities: Vec<OppRow>,
    pub ensembles: Vec<EnsembleRow>,
    /// The last settled binary contracts: claimed against realised.
    pub binary_score: Option<omni_core::engine::binary_record::BinaryScore>,
    /// What the short, medium and long models, and 60 s contracts, were
    /// measured to be worth on unseen data (measured.json), if measured.
    pub model_skill: [Option<omni_core::ensemble::Skill>; 3],
    /// The same for the ensemble of each horizon.
    pub ensemble_skill: [Option<omni_core::ensemble::Skill>; 3],
    pub binary_skill: Option<omni_core::ensemble::Skill>,
    /// Recent candles per instrument, by instrument id.
    pub charts: Vec<ChartRow>,
    pub limits: Vec<LimitRow>,
    pub accounts: Vec<AccountRow>,
    pub positions: Vec<PositionRow>,
    /// Working orders, oldest first.
    pub orders: Vec<OrderRow>,
    /// The run's counts (orders, fills, refusals by reason, …).
    pub counters: omni_core::engine::RunCounters,
    /// Market events per second through the engine, over the last second.
    pub events_per_sec: f64,
    /// `None` until the engine's first snapshot arrives.
    pub trading_state: Option<TradingState>,
    pub kill_latched: bool,
    /// `None` until the engine's first snapshot arrives.
    pub approval_mode: Option<ApprovalMode>,
    /// Each kind's auto-policy thresholds, in a sentence, in tab order.
    pub auto_policy: Vec<(OpportunityKind, String)>,
    /// Instrument names by id.
    pub instruments: Vec<String>,
    /// Venue names by id.
    pub venues: Vec<String>,
    /// Feed health (live and replay sources).
    pub feeds: Vec<FeedRow>,
    /// The replay's or demo's clock; `None` live.
    pub replay: Option<ReplayStatus>,
}

impl Snapshot {
    /// Name of a venue by id.
    pub fn venue_name(&self, v: omni_core::domain::VenueId) -> &str {
        self.venues.get(v.index()).map_or("?", String::as_str)
    }

    /// Pending opportunities of one kind, best first.
    pub fn of_kind(&self, kind: OpportunityKind) -> impl Iterator<Item = &OppRow> {
        self.opportunities.iter().filter(move |o| o.kind == kind)
    }

    /// Equity and today's P&L summed per account currency, in the order
    /// the currencies first appear: amounts in different currencies are
    /// never added together.
    pub fn totals_by_currency(&self) -> Vec<(String, Decimal, Decimal)> {
        let mut out: Vec<(String, Decimal, Decimal)> = Vec::new();
        for a in &self.accounts {
            match out.iter_mut().find(|t| t.0 == a.currency) {
                Some(t) => {
                    t.1 += a.equity;
                    t.2 += a.day_pnl;
                }
                None => out.push((a.currency.clone(), a.equity, a.day_pnl)),
            }
        }
        out
    }

    /// True once every account has no working order and no position (a
    /// live account: confirmed by its venue).
    pub fn all_flat(&self) -> bool {
        self.accounts.iter().all(|a| a.flat)
    }
}
