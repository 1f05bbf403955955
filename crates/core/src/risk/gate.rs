//! The pre-trade gate: every order intent gets Approved or Refused{reason}.

use super::account::AccountRisk;
use super::hours::Session;
use super::reason::Verdict;
use super::state::TradingState;
use crate::domain::{
    AccountInfo, AssetClass, Direction, InstrumentId, OpportunityId, OpportunityKind, Side,
    Timestamp, VenueId,
};
use crate::market::QuoteBook;
use crate::risk::config::RiskConfig;
use crate::risk::config::SignalRule;
use rust_decimal::Decimal;

/// One leg of an intent: where, on what, which side, how much, at what
/// expected price.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IntentLeg {
    pub venue: VenueId,
    /// The intent's instrument, but for a triangular cycle's other legs.
    pub instrument: InstrumentId,
    pub side: Side,
    /// The leg's quantity (the intent's, but for a cycle's legs; the stake
    /// for binary).
    pub qty: Decimal,
    /// The price the intent expects (checked against the latest quote).
    pub price: Decimal,
}

/// What an account wants to do for an approved opportunity, after sizing.
#[derive(Clone, Debug, PartialEq)]
pub struct OrderIntent {
    pub opportunity: OpportunityId,
    pub kind: OpportunityKind,
    pub instrument: InstrumentId,
    pub direction: Direction,
    /// The signal's confidence in [0, 1].
    pub confidence: f64,
    /// One leg, two for arbitrage, three for a triangular cycle.
    pub legs: Vec<IntentLeg>,
    /// Quantity per leg (the stake, for binary; the start amount spent,
    /// for a cycle).
    pub qty: Decimal,
    /// Notional of the largest leg, in the account currency.
    pub notional: Decimal,
    /// The limit that bound the size (names the refusal when it is too small).
    pub bound: super::reason::SizeBound,
}

/// The account and market facts the gate reads.
#[derive(Clone, Copy, Debug)]
pub struct GateContext<'a> {
    /// Event time.
    pub now: Timestamp,
    pub state: TradingState,
    /// The instrument's asset class.
    pub class: AssetClass,
    /// The instrument's minimum quantity.
    pub min_qty: Decimal,
    pub account: &'a AccountInfo,
    pub risk: &'a AccountRisk,
    pub equity: Decimal,
    /// Signed quantity of the account's open position on the instrument
    /// (positive long, negative short, zero when flat; the net across venues
    /// for spot arbitrage). Binary stakes are not in it. REDUCING lets an
    /// intent through only if it shrinks this.
    pub position_qty: Decimal,
    /// Notional of the instrument position if the intent fills.
    pub position_after: Decimal,
    pub book: &'a QuoteBook,
    /// The catalog, for the instrument's venues.
    pub catalog: &'a crate::domain::Catalog,
    /// The cross-venue reference prices the collar checks against.
    pub guard: &'a crate::market::MarketGuard,
    /// Why a live account's book and venue disagree (or the venue has not
    /// reported yet); `None` for an account in agreement, and for paper.
    pub unreconciled: Option<&'a str>,
    /// What a live account's broker last reported of its equity and
    /// margin; `None` for paper and before the first report.
    pub funds: Option<&'a crate::execution::VenueFunds>,
}

/// The gate: limits from config, sessions per asset class.
#[derive(Clone, Debug)]
pub struct RiskGate {
    cfg: RiskConfig,
    sessions: [Session; 3],
}

impl RiskGate {
    /// A gate with these limits (their trading hours were parsed when the
    /// configuration was read).
    pub fn new(cfg: RiskConfig) -> Self {
        let sessions = [
            Session::of(&cfg.hours.crypto),
            Session::of(&cfg.hours.forex),
            Session::of(&cfg.hours.metal),
        ];
        Self { cfg, sessions }
    }

    pub fn config(&self) -> &RiskConfig {
        &self.cfg
    }

    /// The session of an asset class.
    pub fn session(&self, class: AssetClass) -> &Session {
        match class {
            AssetClass::Crypto => &self.sessions[0],
            AssetClass::Forex => &self.sessions[1],
            AssetClass::Metal => &self.sessions[2],
        }
    }

    /// Signal rule of a kind. The configuration is refused if a kind has
    /// none; a gate built without one anyway refuses that kind (no
    /// confidence reaches infinity): it fails closed.
    pub fn signal_rule(&self, kind: OpportunityKind) -> &SignalRule {
        const NONE: SignalRule = SignalRule {
            min_confidence: f64::INFINITY,
            min_interval_secs: 0,
        };
        self.cfg.signal.get(&kind).unwrap_or(&NONE)
    }

    /// Checks one intent against every rule of [`RULES`](super::rules::RULES),
    /// in order. Pure: nothing is recorded here. The first failing rule
    /// wins; its reason and numbers are returned.
    pub fn check(&self, i: &OrderIntent, c: &GateContext<'_>) -> Verdict {
        super::rules::RULES
            .iter()
            .find_map(|rule| (rule.check)(self, i, c))
            .map_or(Verdict::Approved, Verdict::Refused)
    }
}
