//! Opportunities: what the scanners find and the operator approves or rejects.

use super::ids::{InstrumentId, OpportunityId, VenueId};
use super::time::Timestamp;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The three kinds of opportunity the cockpit ranks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpportunityKind {
    /// Cross-venue arbitrage.
    Arbitrage,
    /// Forex technical signal.
    Forex,
    /// Up/down binary-option prediction (60-second expiry by default).
    Binary,
}

impl OpportunityKind {
    /// All kinds, in tab order.
    pub const ALL: [OpportunityKind; 3] = [
        OpportunityKind::Arbitrage,
        OpportunityKind::Forex,
        OpportunityKind::Binary,
    ];
    /// Lower-case name: `arbitrage`, `forex` or `binary`.
    pub fn as_str(self) -> &'static str {
        match self {
            OpportunityKind::Arbitrage => "arbitrage",
            OpportunityKind::Forex => "forex",
            OpportunityKind::Binary => "binary",
        }
    }
}

/// Which way a signal points.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Direction {
    /// Expect the price to rise (BUY, or a binary UP).
    Up,
    /// Expect the price to fall (SELL, or a binary DOWN).
    Down,
    /// No view; the gate refuses these.
    Neutral,
}

impl Direction {
    /// `UP`, `DOWN` or `NEUTRAL`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Up => "UP",
            Direction::Down => "DOWN",
            Direction::Neutral => "NEUTRAL",
        }
    }
}

/// A Beta(α, β) belief about P(price up), with how much the models agreed.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BetaBelief {
    /// α: pseudo-count of up outcomes.
    pub alpha: f64,
    /// β: pseudo-count of down outcomes.
    pub beta: f64,
    /// Agreement of the ensemble's models, 0 (split) to 1 (unanimous).
    pub agreement: f64,
}

impl BetaBelief {
    /// Mean probability α / (α + β).
    pub fn probability(&self) -> f64 {
        self.alpha / (self.alpha + self.beta)
    }
    /// Concentration α + β: larger means more certain.
    pub fn concentration(&self) -> f64 {
        self.alpha + self.beta
    }
}

/// A cross-venue arbitrage: buy at one venue's ask, sell at another's bid.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ArbitrageDetail {
    /// Venue to buy at.
    pub buy_venue: VenueId,
    /// Venue to sell at.
    pub sell_venue: VenueId,
    /// Ask at the buy venue.
    pub buy_price: Decimal,
    /// Bid at the sell venue.
    pub sell_price: Decimal,
    /// Size available at both tops of book.
    pub qty: Decimal,
    /// (sell - buy) / buy, in percent, before fees.
    pub spread_pct: Decimal,
    /// Both venues' taker fees on `qty`, in quote currency.
    pub fees: Decimal,
    /// Profit after fees on `qty`, in quote currency.
    pub net_profit: Decimal,
    /// Net profit as a percent of the buy notional.
    pub net_pct: Decimal,
    /// 0 (safe) to 100: quote age, thin size and implausible spreads raise it.
    pub risk_score: u8,
}

/// A forex technical signal with ATR-based exits.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ForexDetail {
    /// UP = BUY, DOWN = SELL.
    pub direction: Direction,
    /// Reference entry price (the close that fired it).
    pub entry: Decimal,
    pub stop_loss: Decimal,
    pub take_profit: Decimal,
    /// |take - entry| / |entry - stop|.
    pub reward_risk: Decimal,
    /// Signal confidence in [0, 1].
    pub confidence: f64,
    /// RSI at the signal.
    pub rsi: f64,
    /// Fast SMA at the signal.
    pub sma_fast: f64,
    /// Slow SMA at the signal.
    pub sma_slow: f64,
    /// ATR at the signal, in price units.
    pub atr: f64,
}

/// Terms of a binary option contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BinaryContract {
    /// UP pays if the price at expiry is above the strike; DOWN if below.
    pub direction: Direction,
    /// Price level the contract is struck at.
    pub strike: Decimal,
    pub expiry: Timestamp,
    /// Profit per unit staked on a win (0.85 = 85 %).
    pub payout: Decimal,
}

/// A 60-second binary prediction.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BinaryDetail {
    pub direction: Direction,
    /// Current level (the strike if taken now).
    pub strike: Decimal,
    /// Seconds from purchase to settlement.
    pub expiry_secs: i64,
    /// Probability that the chosen direction wins, in [0, 1].
    pub probability: f64,
    /// P(price above strike at expiry) from the momentum/volatility model.
    pub p_up: f64,
    /// Payout per unit staked on a win.
    pub payout: Decimal,
    /// Expected value per unit staked: p × payout − (1 − p).
    pub expected_value: f64,
    /// Drift per second of log price (EWMA).
    pub drift: f64,
    /// Volatility per √second of log price (EWMA).
    pub volatility: f64,
}

/// The numbers behind an opportunity, by kind.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum OpportunityDetail {
    Arbitrage(ArbitrageDetail),
    Forex(ForexDetail),
    Binary(BinaryDetail),
}

/// What became of an opportunity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OpportunityStatus {
    /// Waiting for a decision.
    Pending,
    /// Approved (by the operator or the auto policy) and routed.
    Approved,
    /// Rejected by the operator.
    Rejected,
    /// Its time-to-live ran out without a decision.
    Expired,
    /// The market moved and the edge disappeared before a decision.
    Vanished,
}

impl OpportunityStatus {
    /// Upper-case name, e.g. `PENDING`.
    pub fn as_str(self) -> &'static str {
        match self {
            OpportunityStatus::Pending => "PENDING",
            OpportunityStatus::Approved => "APPROVED",
            OpportunityStatus::Rejected => "REJECTED",
            OpportunityStatus::Expired => "EXPIRED",
            OpportunityStatus::Vanished => "VANISHED",
        }
    }
}

/// One ranked opportunity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Opportunity {
    pub id: OpportunityId,
    /// Instrument (the underlying, for binary).
    pub instrument: InstrumentId,
    /// The numbers behind it.
    pub detail: OpportunityDetail,
    /// Ranking score (higher first), comparable within one kind.
    pub score: f64,
    /// When it was found.
    pub created: Timestamp,
    /// When it was last refreshed by the market.
    pub updated: Timestamp,
    /// When it expires if nobody decides.
    pub expires: Timestamp,
    /// The ensemble's belief for the instrument, if a model is loaded.
    pub belief: Option<BetaBelief>,
    /// Size multiplier from realised win/loss feedback, in [0.5, 1].
    pub feedback_scale: f64,
}

impl Opportunity {
    /// Which kind it is.
    pub fn kind(&self) -> OpportunityKind {
        match self.detail {
            OpportunityDetail::Arbitrage(_) => OpportunityKind::Arbitrage,
            OpportunityDetail::Forex(_) => OpportunityKind::Forex,
            OpportunityDetail::Binary(_) => OpportunityKind::Binary,
        }
    }
    /// The signal's direction (arbitrage is direction-free and reports UP).
    pub fn direction(&self) -> Direction {
        match &self.detail {
            OpportunityDetail::Arbitrage(_) => Direction::Up,
            OpportunityDetail::Forex(f) => f.direction,
            OpportunityDetail::Binary(b) => b.direction,
        }
    }
    /// Confidence in [0, 1] used by the gate's minimum-confidence check.
    pub fn confidence(&self) -> f64 {
        match &self.detail {
            OpportunityDetail::Arbitrage(a) => 1.0 - f64::from(a.risk_score) / 100.0,
            OpportunityDetail::Forex(f) => f.confidence,
            OpportunityDetail::Binary(b) => b.probability,
        }
    }
}
