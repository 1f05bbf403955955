//! The latest quote of every (venue, instrument) market.

use crate::domain::{Catalog, InstrumentId, Quote, Timestamp, VenueId};
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
}

impl QuoteBook {
    /// An empty book sized for the catalog.
    pub fn new(catalog: &Catalog) -> Self {
        Self {
            venues: catalog.venues.len(),
            slots: vec![None; catalog.market_slots()],
        }
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
