//! The latest quote of every (venue, instrument) market, and its latest
//! depth snapshot where the venue sends one.

use crate::domain::{Catalog, Depth, InstrumentId, Level, Quote, Side, Timestamp, VenueId};
use rust_decimal::Decimal;

/// The latest quote on one market and how it last moved.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MarketSlot {
    pub quote: Quote,
    /// The quote's mid, computed once when it arrived.
    pub mid: Decimal,
    /// Change of the mid on the last update that moved it.
    pub last_change: Decimal,
    /// Quote updates received for this venue and instrument.
    pub updates: u64,
}

/// Latest quotes in a flat table indexed by [`Catalog::market_slot`].
#[derive(Clone, Debug)]
pub struct QuoteBook {
    venues: usize,
    slots: Vec<Option<MarketSlot>>,
    /// The latest depth snapshot per market, same index.
    depth: Vec<Option<Depth>>,
    /// Depth snapshots accepted per market, same index.
    depth_updates: Vec<u64>,
}

/// How many times a market's quote and depth have changed: a reader that
/// remembers it can tell whether anything it computed from the market is
/// out of date without comparing prices.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Generation {
    pub quote: u64,
    pub depth: u64,
}

impl QuoteBook {
    /// An empty book sized for the catalog.
    pub fn new(catalog: &Catalog) -> Self {
        Self {
            venues: catalog.venues.len(),
            slots: vec![None; catalog.market_slots()],
            depth: vec![None; catalog.market_slots()],
            depth_updates: vec![0; catalog.market_slots()],
        }
    }

    /// Stores a depth snapshot; returns false if it is older than the one
    /// held or names no market of the catalog.
    pub fn update_depth(&mut self, d: &Depth) -> bool {
        let i = self.slot(d.venue, d.instrument);
        let Some(entry) = self.depth.get_mut(i) else {
            return false;
        };
        if entry.as_ref().is_some_and(|held| d.ts < held.ts) {
            return false;
        }
        *entry = Some(d.clone());
        if let Some(n) = self.depth_updates.get_mut(i) {
            *n += 1;
        }
        true
    }

    /// The market's [`Generation`]: zeros for a market never quoted.
    pub fn generation(&self, venue: VenueId, instrument: InstrumentId) -> Generation {
        let i = self.slot(venue, instrument);
        Generation {
            quote: self
                .slots
                .get(i)
                .and_then(Option::as_ref)
                .map_or(0, |s| s.updates),
            depth: self.depth_updates.get(i).copied().unwrap_or(0),
        }
    }

    /// When the market's depth snapshot was taken, if it has one.
    pub fn depth_ts(&self, venue: VenueId, instrument: InstrumentId) -> Option<Timestamp> {
        self.depth
            .get(self.slot(venue, instrument))
            .and_then(Option::as_ref)
            .map(|d| d.ts)
    }

    /// The levels a taker on `side` would trade against (asks for a buy,
    /// bids for a sell), best first: the latest quote's top, then the
    /// depth snapshot's levels strictly behind it. `None` without a fresh
    /// quote; only the top without a fresh depth snapshot. The top always
    /// comes from the quote, which moves more often than the snapshot, so
    /// a snapshot older than the quote never puts a stale price in front.
    pub fn ladder(
        &self,
        venue: VenueId,
        instrument: InstrumentId,
        side: Side,
        now: Timestamp,
        max_age_nanos: i64,
    ) -> Option<Vec<Level>> {
        let q = self.fresh_quote(venue, instrument, now, max_age_nanos)?;
        let (top, behind): (Level, fn(Decimal, Decimal) -> bool) = match side {
            Side::Buy => (
                Level {
                    price: q.ask,
                    qty: q.ask_qty,
                },
                |level, top| level > top,
            ),
            Side::Sell => (
                Level {
                    price: q.bid,
                    qty: q.bid_qty,
                },
                |level, top| level < top,
            ),
        };
        let mut out = vec![top];
        let depth = self
            .depth
            .get(self.slot(venue, instrument))
            .and_then(Option::as_ref)
            .filter(|d| now.since(d.ts) <= max_age_nanos);
        if let Some(d) = depth {
            let levels = match side {
                Side::Buy => &d.asks,
                Side::Sell => &d.bids,
            };
            out.extend(levels.iter().filter(|l| behind(l.price, top.price)));
        }
        Some(out)
    }

    fn slot(&self, venue: VenueId, instrument: InstrumentId) -> usize {
        instrument.index() * self.venues + venue.index()
    }

    /// Stores a quote; returns false if it is older than the one held.
    pub fn update(&mut self, q: &Quote) -> bool {
        self.update_with_mid(q, q.mid())
    }

    /// [`Self::update`] with the quote's mid already computed (the engine
    /// computes it once per quote).
    pub fn update_with_mid(&mut self, q: &Quote, mid: Decimal) -> bool {
        let i = self.slot(q.venue, q.instrument);
        let Some(entry) = self.slots.get_mut(i) else {
            return false;
        };
        match entry {
            Some(s) => {
                if q.ts < s.quote.ts {
                    return false;
                }
                let change = mid - s.mid;
                if !change.is_zero() {
                    s.last_change = change;
                }
                s.quote = *q;
                s.mid = mid;
                s.updates += 1;
            }
            None => {
                *entry = Some(MarketSlot {
                    quote: *q,
                    mid,
                    last_change: Decimal::ZERO,
                    updates: 1,
                });
            }
        }
        true
    }

    /// The latest quote on a market.
    pub fn quote(&self, venue: VenueId, instrument: InstrumentId) -> Option<&Quote> {
        self.slots
            .get(self.slot(venue, instrument))
            .and_then(|s| s.as_ref())
            .map(|s| &s.quote)
    }

    /// The latest quote if it is no older than `max_age_nanos` at `now`.
    pub fn fresh_quote(
        &self,
        venue: VenueId,
        instrument: InstrumentId,
        now: Timestamp,
        max_age_nanos: i64,
    ) -> Option<&Quote> {
        self.quote(venue, instrument)
            .filter(|q| now.since(q.ts) <= max_age_nanos)
    }

    /// The slot with its history.
    pub fn slot_of(&self, venue: VenueId, instrument: InstrumentId) -> Option<&MarketSlot> {
        self.slots
            .get(self.slot(venue, instrument))
            .and_then(|s| s.as_ref())
    }
}
