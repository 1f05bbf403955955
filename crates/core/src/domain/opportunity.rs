//! Opportunities: what the scanners find and the operator approves or rejects.

use super::ids::{InstrumentId, OpportunityId, VenueId};
use super::order::Side;
use super::quote::Level;
use super::time::Timestamp;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Declares the kinds of opportunity from one table: each line names the
/// kind's variant, its detail type, its name (config, files, JSON), its tab
/// title, the headers of its three columns in the cockpit and how it trades.
/// [`OpportunityKind`], [`OpportunityDetail`] and their lookups are generated
/// from it, so they cannot drift apart; a new scanner adds its line here,
/// its detail type below, and its scanner to `scanners::registry`.
macro_rules! opportunity_kinds {
    ($($(#[doc = $doc:literal])* $variant:ident($detail:ty) = $name:literal, $title:literal,
        [$c1:literal, $c2:literal, $c3:literal], $shape:ident;)*) => {
        /// The kinds of opportunity the cockpit ranks, in tab order.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum OpportunityKind {
            $($(#[doc = $doc])* #[serde(rename = $name)] $variant,)*
        }

        impl OpportunityKind {
            /// All kinds, in tab order.
            pub const ALL: &'static [OpportunityKind] = &[$(OpportunityKind::$variant,)*];

            /// Lower-case name, as in config, files and JSON (`arbitrage`).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(OpportunityKind::$variant => $name,)*
                }
            }

            /// The cockpit's tab title (`Arbitrage`).
            pub fn title(self) -> &'static str {
                match self {
                    $(OpportunityKind::$variant => $title,)*
                }
            }

            /// The headers of the kind's three columns in the cockpit.
            pub fn columns(self) -> [&'static str; 3] {
                match self {
                    $(OpportunityKind::$variant => [$c1, $c2, $c3],)*
                }
            }

            /// How opportunities of this kind trade.
            pub fn shape(self) -> ShapeKind {
                match self {
                    $(OpportunityKind::$variant => ShapeKind::$shape,)*
                }
            }

            /// Position in [`Self::ALL`].
            pub fn index(self) -> usize {
                self as usize
            }

            /// The kind named `name`.
            pub fn parse(name: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|k| k.as_str() == name)
            }
        }

        /// The numbers behind an opportunity, one variant per kind.
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        pub enum OpportunityDetail {
            $($variant($detail),)*
        }

        impl OpportunityDetail {
            /// Which kind it is.
            pub fn kind(&self) -> OpportunityKind {
                match self {
                    $(OpportunityDetail::$variant(_) => OpportunityKind::$variant,)*
                }
            }

            /// Its terms, whatever the kind.
            pub fn terms(&self) -> &dyn OpportunityTerms {
                match self {
                    $(OpportunityDetail::$variant(d) => d,)*
                }
            }
        }
    };
}

opportunity_kinds! {
    /// Cross-venue arbitrage.
    Arbitrage(ArbitrageDetail) = "arbitrage", "Arbitrage",
        ["Buy → Sell", "Net edge", "Book profit"], CrossVenuePair;
    /// Forex technical signal.
    Forex(ForexDetail) = "forex", "Forex", ["Side", "Confidence", "Reward/risk"], Directional;
    /// Up/down binary-option prediction (60-second expiry by default).
    Binary(BinaryDetail) = "binary", "Binary", ["Side", "Probability", "EV / unit"], Contract;
    /// Triangular arbitrage: three legs round a cycle of assets on one venue.
    Triangular(TriangularDetail) = "triangular", "Triangle",
        ["Cycle", "Net edge", "Profit"], Cycle;
}

/// How an opportunity trades. Sizing, the order legs, the routes and the
/// risk gate work from the shape, never from the kind: a new scanner whose
/// opportunities trade in an existing shape needs nothing there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ShapeKind {
    /// Buy on one venue and sell as much on another at once (needs an
    /// instrument on two venues; spot, margin or prop accounts).
    CrossVenuePair,
    /// One position in a direction on the instrument's primary venue, with
    /// a stop-loss and a take-profit.
    Directional,
    /// A fixed-odds contract bought on the primary venue with a stake
    /// (binary accounts only; always new exposure).
    Contract,
    /// Three legs on one venue that trade an asset round a cycle back to
    /// itself (start → first → second → start), each on its own instrument.
    Cycle,
}

/// The numbers of a shape that sizing and the order legs need.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TradeShape {
    /// See [`ShapeKind::CrossVenuePair`].
    CrossVenuePair {
        buy_venue: VenueId,
        sell_venue: VenueId,
        /// The buy venue's ask.
        buy_price: Decimal,
        /// The sell venue's bid.
        sell_price: Decimal,
        /// The quantity both books hold at a profitable price (the tops,
        /// or the levels walked where depth is known).
        book_qty: Decimal,
        /// The worst ask bought and bid sold at `book_qty` (the tops when
        /// sized from them): the legs' limits reach at least these.
        buy_limit: Decimal,
        sell_limit: Decimal,
    },
    /// See [`ShapeKind::Directional`].
    Directional {
        direction: Direction,
        entry: Decimal,
        stop_loss: Decimal,
        take_profit: Decimal,
    },
    /// See [`ShapeKind::Contract`].
    Contract {
        direction: Direction,
        /// The underlying's price the contract is struck at.
        strike: Decimal,
        expiry_secs: i64,
        /// Profit per unit staked on a win.
        payout: Decimal,
    },
    /// See [`ShapeKind::Cycle`].
    Cycle {
        venue: VenueId,
        /// The legs in order, each at the quantity the books hold for the
        /// whole cycle (the thinnest leg's).
        legs: [CycleLeg; 3],
        /// What the cycle spends of its start asset at those quantities.
        start_qty: Decimal,
        /// Its net return after fees, as a fraction (0.0014 = 0.14 %): the
        /// room the legs' limits may give up.
        net_return: Decimal,
    },
}

/// One leg of a triangular cycle, on the cycle's venue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CycleLeg {
    pub instrument: InstrumentId,
    /// BUY spends the instrument's quote asset for its base; SELL the reverse.
    pub side: Side,
    /// The ask bought at, or the bid sold at.
    pub price: Decimal,
    /// Base quantity the leg trades at the cycle's size.
    pub qty: Decimal,
}

impl CycleLeg {
    /// What the leg hands on to the next, for `input` of the asset it
    /// spends: a buy turns quote into base (÷ price), a sell base into
    /// quote (× price). Before fees, which the book charges in cash.
    pub fn output(&self, input: Decimal) -> Option<Decimal> {
        match self.side {
            Side::Buy => input.checked_div(self.price),
            Side::Sell => input.checked_mul(self.price),
        }
    }

    /// The base quantity traded for `input` of the asset the leg spends.
    pub fn base_for(&self, input: Decimal) -> Option<Decimal> {
        match self.side {
            Side::Buy => input.checked_div(self.price),
            Side::Sell => Some(input),
        }
    }
}

/// What every kind's detail tells the rest of the program.
pub trait OpportunityTerms {
    /// Which way it trades (a cross-venue pair reports UP).
    fn direction(&self) -> Direction;
    /// Confidence in [0, 1], for the gate's minimum-confidence check and sizing.
    fn confidence(&self) -> f64;
    /// Identity within its kind and instrument: a scanner's new finding with
    /// the key of a pending opportunity updates it instead of adding one.
    fn key(&self) -> u64;
    /// How it trades.
    fn trade(&self) -> TradeShape;
    /// The numbers the operator approves (carried with the approval and
    /// compared when it arrives).
    fn shown(&self) -> ShownTerms;
    /// What trading `qty` of it makes after fees, where the kind can say
    /// before it trades (an arbitrage, from the books it walked).
    fn profit_at(&self, _catalog: &super::Catalog, _qty: Decimal) -> Option<Decimal> {
        None
    }
}

/// What the operator saw when pressing approve: the prices and the edge of
/// the row on screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShownTerms {
    /// The price traded (a pair: the buy venue's ask).
    pub price: Decimal,
    /// A pair: the sell venue's bid; otherwise equal to `price`.
    pub other_price: Decimal,
    /// The kind's edge figure (arbitrage: net edge in percent; forex:
    /// reward/risk; binary: the probability of the chosen side, 4 decimals).
    pub edge: Decimal,
    /// Which way it trades.
    pub direction: Direction,
    /// A pair: the buy and sell venues; otherwise both the same.
    pub venues: (VenueId, VenueId),
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
    /// When the size came from the venues' depth: the ask levels bought
    /// and the bid levels sold, best first, each with the quantity taken
    /// there. Empty when sized from the top of the books alone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buy_levels: Vec<Level>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sell_levels: Vec<Level>,
}

impl ArbitrageDetail {
    /// The worst ask bought and bid sold: the legs' limits.
    pub fn worst_prices(&self) -> (Decimal, Decimal) {
        (
            self.buy_levels.last().map_or(self.buy_price, |l| l.price),
            self.sell_levels.last().map_or(self.sell_price, |l| l.price),
        )
    }

    /// Profit after both taker fees (`fee_buy`, `fee_sell` as fractions)
    /// of trading `qty` of it: walked through the same levels, best first,
    /// so a smaller size keeps the better prices. `None` above the size
    /// found or on overflow.
    pub fn profit_at(&self, qty: Decimal, fee_buy: Decimal, fee_sell: Decimal) -> Option<Decimal> {
        if qty > self.qty || qty < Decimal::ZERO {
            return None;
        }
        let top = |price: Decimal| {
            vec![Level {
                price,
                qty: self.qty,
            }]
        };
        let cost_of = |levels: &[Level]| -> Option<Decimal> {
            let mut left = qty;
            let mut total = Decimal::ZERO;
            for l in levels {
                let take = left.min(l.qty);
                total = total.checked_add(l.price.checked_mul(take)?)?;
                left -= take;
                if left.is_zero() {
                    break;
                }
            }
            left.is_zero().then_some(total)
        };
        let buys = if self.buy_levels.is_empty() {
            top(self.buy_price)
        } else {
            self.buy_levels.clone()
        };
        let sells = if self.sell_levels.is_empty() {
            top(self.sell_price)
        } else {
            self.sell_levels.clone()
        };
        let cost = cost_of(&buys)?;
        let proceeds = cost_of(&sells)?;
        let fees = cost
            .checked_mul(fee_buy)?
            .checked_add(proceeds.checked_mul(fee_sell)?)?;
        proceeds.checked_sub(cost)?.checked_sub(fees)
    }
}

/// A triangular arbitrage on one venue: spend the start asset for the
/// first, the first for the second, and the second for the start again,
/// where the three rates after three taker fees return more than they cost.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TriangularDetail {
    pub venue: VenueId,
    /// The three legs, in the order they trade.
    pub legs: [CycleLeg; 3],
    /// The assets visited, the start first (`USDT`, `BTC`, `ETH`).
    pub assets: [String; 3],
    /// The start asset spent at the legs' quantities (the thinnest leg's).
    pub start_qty: Decimal,
    /// Product of the three rates minus one, percent, before fees.
    pub gross_pct: Decimal,
    /// The same after three taker fees, percent.
    pub net_pct: Decimal,
    /// The three taker fees at `start_qty`, in the start asset.
    pub fees: Decimal,
    /// Profit at `start_qty` after fees, in the start asset.
    pub net_profit: Decimal,
    /// 0 (safe) to 100: quote age, thin legs and implausible edges raise it.
    pub risk_score: u8,
}

impl TriangularDetail {
    /// `USDT→BTC→ETH→USDT`.
    pub fn cycle_name(&self) -> String {
        format!(
            "{}→{}→{}→{}",
            self.assets[0], self.assets[1], self.assets[2], self.assets[0]
        )
    }
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
    /// The primary venue's spread when the signal fired (None without a
    /// quote): the cost the calibrated edge pays.
    #[serde(default)]
    pub spread: Option<Decimal>,
    /// The 60-minute ensemble's probability of the signal's side, turned
    /// into the chance of reaching the take-profit before the stop (None
    /// without a belief).
    #[serde(default)]
    pub win_probability: Option<f64>,
    /// Expected result in units of the risk (R), after the spread, from
    /// `win_probability` (None without a belief or a spread): what the auto
    /// policy weighs.
    #[serde(default)]
    pub expected_r: Option<f64>,
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
    /// Probability that the chosen direction wins, in [0, 1], calibrated
    /// on history (see `p_up`).
    pub probability: f64,
    /// P(price above strike at expiry): the 5-minute ensemble mapped to the
    /// expiry by the history-fitted calibration; ½ (no evidence) while the
    /// ensemble has no forecast.
    pub p_up: f64,
    /// P(up) from the momentum model alone: what lists the contract. Not
    /// calibrated; never used for the EV, sizing or the auto policy.
    #[serde(default)]
    pub momentum_p_up: f64,
    /// True when `p_up` comes from the 5-minute ensemble.
    #[serde(default)]
    pub calibrated: bool,
    /// Payout per unit staked on a win.
    pub payout: Decimal,
    /// Expected value per unit staked, from the calibrated probability:
    /// p × payout − (1 − p).
    pub expected_value: f64,
    /// Drift per second of log price (EWMA).
    pub drift: f64,
    /// Volatility per √second of log price (EWMA).
    pub volatility: f64,
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
        self.detail.kind()
    }
    /// The signal's direction (arbitrage is direction-free and reports UP).
    pub fn direction(&self) -> Direction {
        self.detail.terms().direction()
    }
    /// Confidence in [0, 1] used by the gate's minimum-confidence check.
    pub fn confidence(&self) -> f64 {
        self.detail.terms().confidence()
    }
    /// The probability claimed that a contract's side wins (binary
    /// predictions only): what its settlement is scored against.
    pub fn claimed_win_probability(&self) -> Option<f64> {
        match &self.detail {
            OpportunityDetail::Binary(b) => Some(b.probability),
            _ => None,
        }
    }
}
