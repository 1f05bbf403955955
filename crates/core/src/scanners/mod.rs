//! The scanners: cross-venue and triangular arbitrage, forex technical
//! signals and 60-second binary predictions, each behind the [`Scanner`]
//! trait.
//!
//! A new scanner is its own module here (the scanner, its `[scanners.*]`
//! section, and the [`OpportunityTerms`](crate::domain::OpportunityTerms)
//! of its detail type), a line in [`registry`], a line in the kinds table
//! of `domain::opportunity`, and its cockpit columns in `ui/format.rs`. The
//! engine, the router, sizing, the gate, the counters, the JSON and the
//! cockpit's tabs pick it up from there.

pub mod arbitrage;
mod arbitrage_pairs;
pub mod binary;
pub mod config;
pub mod forex;
pub mod forex_edge;
pub mod triangular;

pub use arbitrage::ArbitrageScanner;
pub use binary::{BinaryEstimate, BinaryScanner};
pub use forex::ForexScanner;
pub use triangular::TriangularScanner;

use crate::domain::{
    Bar, Catalog, Direction, InstrumentId, Opportunity, OpportunityDetail, OpportunityKind, Quote,
    Timestamp,
};
use crate::market::QuoteBook;
use config::ScannersConfig;
use rust_decimal::Decimal;

/// Notional (quote currency) at which a book is considered deep enough
/// that size adds no risk to an arbitrage's score.
const DEEP_NOTIONAL: Decimal = Decimal::from_parts(10_000, 0, 0, false, 0);

/// `notional` as a share of a deep book's, at most 1 (for [`arbitrage_risk`]).
pub(crate) fn depth_share(notional: Decimal) -> f64 {
    use rust_decimal::prelude::ToPrimitive;
    (notional / DEEP_NOTIONAL).to_f64().unwrap_or(0.0).min(1.0)
}

/// The arbitrage scanners' 0–100 risk heuristic (cross-venue pairs and
/// triangles alike): 40 points for the age of the oldest quote used, 20 for
/// a thin book (`depth`, from [`depth_share`]), 30 for a gross spread too
/// wide to be plausible (likely a stale or broken quote), 10 for the quotes
/// being far apart in time; ages against `max_quote_age_ms`.
pub(crate) fn arbitrage_risk(
    oldest: Timestamp,
    newest: Timestamp,
    depth: f64,
    spread_pct: f64,
    max_quote_age_ms: i64,
    now: Timestamp,
) -> u8 {
    let max_age = (max_quote_age_ms.max(1) * crate::domain::time::MILLI) as f64;
    let age = 40.0 * (now.since(oldest).max(0) as f64 / max_age).min(1.0);
    let thin = 20.0 * (1.0 - depth);
    let implausible = (15.0 * (spread_pct - 1.0)).clamp(0.0, 30.0);
    let skew = 10.0 * (newest.since(oldest).max(0) as f64 / max_age).min(1.0);
    (age + thin + implausible + skew).round().clamp(0.0, 100.0) as u8
}

/// What a scanner may read when the market moves.
#[derive(Clone, Copy)]
pub struct ScanContext<'a> {
    pub catalog: &'a Catalog,
    /// Latest accepted quotes (quarantined data never reaches it).
    pub book: &'a QuoteBook,
    /// Event time.
    pub now: Timestamp,
}

/// What a scanner found on one event.
#[derive(Clone, Debug, Default)]
pub struct Findings {
    /// The instrument whose findings are complete: a pending opportunity of
    /// this scanner on it whose key is not found again has vanished.
    /// `None`: each finding is a new event (a forex signal) and nothing
    /// vanishes; such opportunities only expire.
    pub complete_for: Option<InstrumentId>,
    /// New or refreshed opportunities and their ranking scores.
    pub found: Vec<(InstrumentId, OpportunityDetail, f64)>,
    /// A finding whose key matches a pending opportunity refreshes it
    /// instead of listing another (implied by `complete_for`).
    pub keyed: bool,
    /// Pending opportunities, by instrument and key, that the scanner says
    /// have vanished (a scanner that re-evaluates only part of what it
    /// lists, so no list is complete).
    pub gone: Vec<(InstrumentId, u64)>,
}

impl Findings {
    /// Forgets the last event's findings (keeping the allocation).
    pub fn clear(&mut self) {
        self.complete_for = None;
        self.found.clear();
        self.keyed = false;
        self.gone.clear();
    }
}

/// One scanner: finds opportunities of its kind in market events, and says
/// how long they wait, how many may wait, and which the auto policy takes.
pub trait Scanner: std::fmt::Debug + Send {
    /// The kind of opportunity it finds.
    fn kind(&self) -> OpportunityKind;
    /// Seconds a new opportunity waits for a decision.
    fn ttl_secs(&self) -> i64;
    /// At most this many pending at once: a better finding replaces the
    /// worst, a worse one is dropped. `None`: no limit.
    fn max_pending(&self) -> Option<usize> {
        None
    }
    /// Which horizon's ensemble its opportunities carry, if any (a
    /// direction-free arbitrage carries none). Directional signals held
    /// for minutes to hours carry the 60-minute ensemble by default.
    fn belief_horizon(&self) -> Option<crate::ensemble::Horizon> {
        Some(crate::ensemble::Horizon::Medium)
    }
    /// How far past the seen prices a cross-venue pair's limits may go, as a
    /// share of the spread between them.
    fn limit_slack(&self) -> Decimal {
        Decimal::ZERO
    }
    /// Takes what it needs from the engine's models (binary contracts:
    /// their calibration). Called when the engine is given its models.
    fn set_models(&mut self, _models: &crate::ensemble::ModelSet) {}
    /// Puts the ensemble's belief (of [`Scanner::belief_horizon`], None when
    /// there is none) into a finding's own calibrated numbers (a contract's
    /// win probability and EV, a signal's expected R after costs) and
    /// returns its ranking score. The engine calls it on every finding
    /// before listing or refreshing it, so what is shown, approved and
    /// sized is the calibrated number.
    fn calibrate(
        &self,
        _detail: &mut OpportunityDetail,
        _belief: Option<crate::domain::BetaBelief>,
        score: f64,
    ) -> f64 {
        score
    }
    /// True if the auto policy approves the opportunity as it stands.
    fn auto_approves(&self, opp: &Opportunity) -> bool;
    /// The auto policy's thresholds in a sentence, for the operator who is
    /// about to switch it on (`net edge ≥ 0.5 % and risk score < 30`).
    fn auto_policy(&self) -> String;
    /// A quote was accepted into the book; `mid` is its mid.
    fn on_quote(&mut self, _cx: &ScanContext<'_>, _q: &Quote, _mid: Decimal, _out: &mut Findings) {}
    /// A bar completed; only `live` bars may open opportunities (history
    /// bars warm the scanner up).
    fn on_bar(&mut self, _cx: &ScanContext<'_>, _bar: &Bar, _live: bool, _out: &mut Findings) {}
    /// What a contract it listed is worth now per unit staked, if it prices
    /// contracts (marks open contract positions).
    fn contract_value(
        &self,
        _instrument: InstrumentId,
        _contract: &crate::domain::BinaryContract,
        _now: Timestamp,
    ) -> Option<Decimal> {
        None
    }
}

/// The probability the ensemble gives the side of `direction`, if a belief
/// is attached (for the auto policies of directional kinds).
pub fn ensemble_side(opp: &Opportunity, direction: Direction) -> Option<f64> {
    opp.belief.map(|b| {
        let p = b.probability();
        if direction == Direction::Up {
            p
        } else {
            1.0 - p
        }
    })
}

/// Which instruments a scanner scans: from its kind, whether it is enabled
/// and its `instruments` list (empty: every instrument routed to the kind).
pub type Scope<'a> = &'a dyn Fn(OpportunityKind, bool, &[String]) -> Vec<bool>;

/// Every scanner, in the order each market event reaches them: forex (bars
/// only), then the binary predictor (which samples the primary venue's mid)
/// before the arbitrage scanner, the order the engine has always run them
/// in; the triangular scanner last. A new scanner adds its line here.
pub fn registry(cfg: &ScannersConfig, scope: Scope<'_>) -> Vec<Box<dyn Scanner>> {
    use OpportunityKind as K;
    let (f, b, a, t) = (&cfg.forex, &cfg.binary, &cfg.arbitrage, &cfg.triangular);
    vec![
        Box::new(ForexScanner::new(
            f.clone(),
            &scope(K::Forex, f.enabled, &f.instruments),
        )),
        Box::new(BinaryScanner::new(
            b.clone(),
            &scope(K::Binary, b.enabled, &b.instruments),
        )),
        Box::new(ArbitrageScanner::with_scope(
            a.clone(),
            &scope(K::Arbitrage, a.enabled, &[]),
        )),
        Box::new(TriangularScanner::with_scope(
            t.clone(),
            &scope(K::Triangular, t.enabled, &[]),
        )),
    ]
}
