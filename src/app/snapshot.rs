//! What the cockpit shows, read off the engine in one go: data (ids,
//! decimals, enums, times), no text laid out for a pane. The engine thread
//! builds it (`cockpit::snapshot`); the panes format it (`ui`).

use omni_core::approval::config::ApprovalMode;
use omni_core::domain::{
    AccountMode, BetaBelief, Direction, InstrumentId, OpportunityDetail, OpportunityId,
    OpportunityKind, Side, Timestamp,
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
    /// Whether the auto policy would approve it as it stands.
    pub auto_ok: bool,
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
    pub combined: Option<Combined>,
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

#[derive(Clone, Debug, PartialEq)]
pub struct PositionRow {
    pub account: String,
    pub instrument: String,
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

/// One account for the status bar and the kill banner.
#[derive(Clone, Debug, PartialEq)]
pub struct AccountRow {
    pub name: String,
    /// DEMO, PAPER, LIVE.
    pub mode: AccountMode,
    pub equity: Decimal,
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
    pub limits: Vec<LimitRow>,
    pub accounts: Vec<AccountRow>,
    pub positions: Vec<PositionRow>,
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

    /// Total equity over accounts.
    pub fn total_equity(&self) -> Decimal {
        self.accounts.iter().map(|a| a.equity).sum()
    }

    /// Today's P&L over accounts.
    pub fn day_pnl(&self) -> Decimal {
        self.accounts.iter().map(|a| a.day_pnl).sum()
    }

    /// True once every account has no working order and no position.
    pub fn all_flat(&self) -> bool {
        self.accounts
            .iter()
            .all(|a| a.working_orders == 0 && a.open_positions == 0)
    }
}
