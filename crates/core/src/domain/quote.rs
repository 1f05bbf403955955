//! Top-of-book quotes and trades: the market events every source produces.

use super::ids::{InstrumentId, VenueId};
use super::time::Timestamp;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Best bid and ask on one venue for one instrument.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    /// Where it was quoted.
    pub venue: VenueId,
    pub instrument: InstrumentId,
    pub bid: Decimal,
    pub ask: Decimal,
    /// Quantity at the best bid.
    pub bid_qty: Decimal,
    /// Quantity at the best ask.
    pub ask_qty: Decimal,
    /// When it was quoted (or received, for venues without a timestamp).
    pub ts: Timestamp,
}

impl Quote {
    /// Midpoint of bid and ask.
    pub fn mid(&self) -> Decimal {
        // Multiplying by an exact 0.5 gives the same value as dividing by 2
        // at a fraction of the cost; this runs on every quote.
        let half = Decimal::from_parts(5, 0, 0, false, 1);
        match self.bid.checked_add(self.ask) {
            Some(sum) => sum * half,
            // Prices near Decimal::MAX: halve first so nothing overflows
            // (the engine quarantines such a quote, but must not panic
            // while finding out).
            None => (self.bid * half).saturating_add(self.ask * half),
        }
    }
    /// Ask minus bid.
    pub fn spread(&self) -> Decimal {
        self.ask.saturating_sub(self.bid)
    }
    /// Positive prices and quantities, and a bid not above the ask.
    /// A quote failing this is dropped by the engine and counted.
    pub fn is_sane(&self) -> bool {
        self.bid > Decimal::ZERO
            && self.ask > Decimal::ZERO
            && self.bid <= self.ask
            && self.bid_qty >= Decimal::ZERO
            && self.ask_qty >= Decimal::ZERO
    }
}

/// Which side started a trade.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Aggressor {
    /// A buyer lifted the ask.
    Buy,
    /// A seller hit the bid.
    Sell,
}

/// One trade printed on a venue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trade {
    pub venue: VenueId,
    pub instrument: InstrumentId,
    pub price: Decimal,
    pub qty: Decimal,
    /// Which side took liquidity.
    pub aggressor: Aggressor,
    pub ts: Timestamp,
}

/// One price level of a book: a price and the quantity resting at it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Level {
    pub price: Decimal,
    pub qty: Decimal,
}

/// The best levels of one venue's book for one instrument, as a snapshot
/// (Binance `depth10`): bids best (highest) first, asks best (lowest)
/// first. Arbitrage sizes from it when it is fresh.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Depth {
    pub venue: VenueId,
    pub instrument: InstrumentId,
    pub bids: Vec<Level>,
    pub asks: Vec<Level>,
    pub ts: Timestamp,
}

/// Levels a depth snapshot may carry at most (Binance's partial books go
/// to 20).
pub const MAX_DEPTH_LEVELS: usize = 50;

impl Depth {
    /// Both sides non-empty and at most [`MAX_DEPTH_LEVELS`] deep, positive
    /// prices and quantities, each side strictly ordered best first, and the
    /// best bid below the best ask. A snapshot failing this is dropped by
    /// the engine and counted.
    pub fn is_sane(&self) -> bool {
        let positive = |l: &Level| l.price > Decimal::ZERO && l.qty > Decimal::ZERO;
        let sides_ok = !self.bids.is_empty()
            && !self.asks.is_empty()
            && self.bids.len() <= MAX_DEPTH_LEVELS
            && self.asks.len() <= MAX_DEPTH_LEVELS
            && self.bids.iter().all(positive)
            && self.asks.iter().all(positive)
            && self.bids.windows(2).all(|w| w[0].price > w[1].price)
            && self.asks.windows(2).all(|w| w[0].price < w[1].price);
        sides_ok && self.bids[0].price < self.asks[0].price
    }
}
