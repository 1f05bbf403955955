//! Quarantine of implausible market data, and the cross-venue reference
//! price the risk gate's collar checks orders against.
//!
//! A quote is held back (quarantined: counted per venue, never put in the
//! book, so never seen by a scanner or priced into an order) when its book
//! is crossed or not positive, when a number is outside what the engine can
//! compute with ([`plausible`](crate::domain::plausible)), or when its mid
//! jumps further than `band_pct` from the instrument's reference: the median
//! of the other venues' latest accepted mids, or, when no other venue quotes,
//! the venue's own last accepted mid. A real move is let through when
//! another venue quotes near the new level (confirmation), or when the venue
//! has held the new level for `confirm_secs` (an instrument quoted by one
//! venue only moves this way).
//!
//! Bars are checked for consistent OHLC, and live bars and trades against
//! the reference; they have no confirmation of their own, since the quotes
//! of the same market carry it.

use crate::domain::{Bar, Catalog, InstrumentId, Quote, Timestamp, Trade, VenueId, plausible};
use crate::market::QuoteBook;
use crate::validation::{Invalid, bad};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// `[quarantine]`: when market data is too far from the rest to be used.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuarantineConfig {
    /// Largest distance of a mid from the reference, percent.
    pub band_pct: Decimal,
    /// Seconds a venue must hold a level past the band before it is
    /// accepted without another venue confirming it.
    pub confirm_secs: u32,
    /// Mids older than this many seconds are not part of the reference.
    pub reference_max_age_secs: u32,
}

/// Checks `[quarantine]`: a band in (0, 100] percent, durations of at most a day.
pub fn validate(cfg: &QuarantineConfig) -> Result<(), Invalid> {
    if cfg.band_pct <= Decimal::ZERO || cfg.band_pct > Decimal::ONE_HUNDRED {
        return Err(bad(
            "quarantine.band_pct",
            format!("must be above 0 and at most 100, got {}", cfg.band_pct),
        ));
    }
    for (key, v) in [
        ("confirm_secs", cfg.confirm_secs),
        ("reference_max_age_secs", cfg.reference_max_age_secs),
    ] {
        if v == 0 || v > 86_400 {
            return Err(bad(
                format!("quarantine.{key}"),
                format!("must be between 1 and 86400 seconds, got {v}"),
            ));
        }
    }
    Ok(())
}

/// Why a piece of market data was held back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuarantineReason {
    /// Bid above ask.
    Crossed,
    /// A price that is zero or negative, or a negative size.
    NotPositive,
    /// A number outside what the engine computes with.
    OutOfBounds,
    /// Open, high, low and close that contradict each other.
    InconsistentBar,
    /// Too far from the reference and not (yet) confirmed.
    Jump,
}

impl QuarantineReason {
    /// Snake-case name, for logs and tests.
    pub fn as_str(self) -> &'static str {
        match self {
            QuarantineReason::Crossed => "crossed",
            QuarantineReason::NotPositive => "not_positive",
            QuarantineReason::OutOfBounds => "out_of_bounds",
            QuarantineReason::InconsistentBar => "inconsistent_bar",
            QuarantineReason::Jump => "jump",
        }
    }
}

/// A level a venue is quoting past the band, not yet accepted.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Pending {
    /// When the venue first quoted this level.
    since: Timestamp,
    /// The level's first mid: later mids must stay within the band of it.
    anchor: Decimal,
    /// The latest mid and its time, for confirming other venues.
    mid: Decimal,
    ts: Timestamp,
}

/// The reference price of an instrument, as seen from one venue.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Reference {
    pub price: Decimal,
    /// How many venues' mids it is the median of (1 with no other venue:
    /// the venue's own last accepted mid).
    pub venues: usize,
    /// Whether it is built from other venues than the one asking.
    pub independent: bool,
}

/// Fresh mids of an instrument seen from one venue.
struct Mids {
    /// The median of the other venues' fresh mids.
    others: Option<Reference>,
    /// The venue's own fresh mid.
    own: Option<Reference>,
    /// Whether any other venue has quoted the instrument at all.
    others_quoted: bool,
}

/// The quarantine's state: its settings and the pending levels per market.
#[derive(Clone, Debug)]
pub struct MarketGuard {
    cfg: QuarantineConfig,
    venues: usize,
    pending: Vec<Option<Pending>>,
    /// Scratch for the median, kept to avoid an allocation per quote.
    mids: Vec<Decimal>,
}

const HUNDRED: Decimal = Decimal::ONE_HUNDRED;

impl MarketGuard {
    /// A guard sized for the catalog.
    pub fn new(cfg: QuarantineConfig, catalog: &Catalog) -> Self {
        Self {
            cfg,
            venues: catalog.venues.len(),
            pending: vec![None; catalog.market_slots()],
            mids: Vec::new(),
        }
    }

    pub fn config(&self) -> &QuarantineConfig {
        &self.cfg
    }

    fn max_age(&self) -> i64 {
        i64::from(self.cfg.reference_max_age_secs) * crate::domain::time::SECOND
    }

    /// Whether `x` is within the band of `reference`.
    fn within(&self, x: Decimal, reference: Decimal) -> bool {
        // Both are plausible prices, so the product stays far from overflow.
        (x - reference).abs() * HUNDRED <= reference * self.cfg.band_pct
    }

    /// The reference an order on `venue` is collared against at `now`: the
    /// median of the other venues' fresh accepted mids. An instrument no
    /// other venue has quoted in this run (one venue lists it, or only one
    /// feed is on) falls back to the venue's own fresh mid, which passed the
    /// jump check. `None`, so no order, when no venue has a fresh mid, or
    /// when the other venues did quote but have gone silent: the venue's own
    /// quote is then no independent check.
    pub fn reference(
        &self,
        catalog: &Catalog,
        book: &QuoteBook,
        instrument: InstrumentId,
        venue: VenueId,
        now: Timestamp,
    ) -> Option<Reference> {
        let mids = self.collect_mids(catalog, book, instrument, venue, now, &mut Vec::new());
        match (mids.others, mids.own) {
            (Some(r), _) => Some(r),
            (None, Some(own)) if !mids.others_quoted => Some(own),
            _ => None,
        }
    }

    /// The fresh mids of an instrument around `venue`, with the median of
    /// the others; `scratch` holds them for the median.
    fn collect_mids(
        &self,
        catalog: &Catalog,
        book: &QuoteBook,
        instrument: InstrumentId,
        venue: VenueId,
        now: Timestamp,
        scratch: &mut Vec<Decimal>,
    ) -> Mids {
        let max_age = self.max_age();
        scratch.clear();
        let mut own = None;
        let mut others_quoted = false;
        for &v in &catalog.instrument(instrument).venues {
            let Some(slot) = book.slot_of(v, instrument) else {
                continue;
            };
            others_quoted |= v != venue;
            if now.since(slot.quote.ts) > max_age {
                continue;
            }
            if v == venue {
                own = Some(slot.mid);
            } else {
                scratch.push(slot.mid);
            }
        }
        Mids {
            others: (!scratch.is_empty()).then(|| Reference {
                price: median(scratch),
                venues: scratch.len(),
                independent: true,
            }),
            own: own.map(|price| Reference {
                price,
                venues: 1,
                independent: false,
            }),
            others_quoted,
        }
    }

    /// `Ok` with the quote's mid when the quote may enter the book; the
    /// reason it is held back otherwise. Call it for every quote, in event order: it remembers
    /// pending levels.
    pub fn check_quote(
        &mut self,
        catalog: &Catalog,
        book: &QuoteBook,
        q: &Quote,
    ) -> Result<Decimal, QuarantineReason> {
        // Sign and zero are bit tests; a comparison with ZERO would rescale.
        let not_positive = |d: Decimal| d.is_sign_negative() || d.is_zero();
        if not_positive(q.bid)
            || not_positive(q.ask)
            || (q.bid_qty.is_sign_negative() && !q.bid_qty.is_zero())
            || (q.ask_qty.is_sign_negative() && !q.ask_qty.is_zero())
        {
            return Err(QuarantineReason::NotPositive);
        }
        if !plausible::price(q.bid)
            || !plausible::price(q.ask)
            || !plausible::qty(q.bid_qty)
            || !plausible::qty(q.ask_qty)
        {
            return Err(QuarantineReason::OutOfBounds);
        }
        if q.bid > q.ask {
            return Err(QuarantineReason::Crossed);
        }
        let mid = q.mid();
        let slot = self.slot(q.instrument, q.venue);
        let mut scratch = std::mem::take(&mut self.mids);
        let mids = self.collect_mids(catalog, book, q.instrument, q.venue, q.ts, &mut scratch);
        self.mids = scratch;
        // The other venues when they quote, else the venue's own last mid
        // (a jump check).
        let Some(reference) = mids.others.or(mids.own) else {
            // Nothing recent to compare with (start, or a venue back from a
            // long silence): the quote becomes the reference.
            self.clear(slot);
            return Ok(mid);
        };
        if self.within(mid, reference.price) || self.confirmed(catalog, book, q, mid) {
            self.clear(slot);
            return Ok(mid);
        }
        let band_pct = self.cfg.band_pct;
        let confirm = i64::from(self.cfg.confirm_secs) * crate::domain::time::SECOND;
        let Some(entry) = self.pending.get_mut(slot) else {
            return Err(QuarantineReason::Jump);
        };
        match entry {
            Some(p) if (mid - p.anchor).abs() * HUNDRED <= p.anchor * band_pct => {
                p.mid = mid;
                p.ts = q.ts;
                if q.ts.since(p.since) >= confirm {
                    *entry = None;
                    return Ok(mid);
                }
            }
            _ => {
                *entry = Some(Pending {
                    since: q.ts,
                    anchor: mid,
                    mid,
                    ts: q.ts,
                });
            }
        }
        Err(QuarantineReason::Jump)
    }

    fn clear(&mut self, slot: usize) {
        if let Some(p) = self.pending.get_mut(slot) {
            *p = None;
        }
    }

    /// Another venue quotes (accepted or pending) within the band of `mid`.
    fn confirmed(&self, catalog: &Catalog, book: &QuoteBook, q: &Quote, mid: Decimal) -> bool {
        let max_age = self.max_age();
        let accepted = self
            .fresh_mids(catalog, book, q.instrument, q.ts)
            .any(|(v, m)| v != q.venue && self.within(mid, m));
        let pending = catalog.instrument(q.instrument).venues.iter().any(|&v| {
            v != q.venue
                && self
                    .pending
                    .get(self.slot(q.instrument, v))
                    .copied()
                    .flatten()
                    .filter(|p| q.ts.since(p.ts) <= max_age)
                    .is_some_and(|p| self.within(mid, p.mid))
        });
        accepted || pending
    }

    /// `Ok` when a bar may be used. Every bar must have consistent, plausible
    /// OHLC; a live bar's close must also be within the band of the
    /// instrument's fresh reference (`now` is the event time).
    pub fn check_bar(
        &mut self,
        catalog: &Catalog,
        book: &QuoteBook,
        bar: &Bar,
        live: bool,
        now: Timestamp,
    ) -> Result<(), QuarantineReason> {
        let prices = [bar.open, bar.high, bar.low, bar.close];
        if prices.iter().any(|p| *p <= Decimal::ZERO) || bar.volume < Decimal::ZERO {
            return Err(QuarantineReason::NotPositive);
        }
        if !prices.iter().all(|p| plausible::price(*p)) || !plausible::qty(bar.volume) {
            return Err(QuarantineReason::OutOfBounds);
        }
        if bar.low > bar.high
            || bar.open > bar.high
            || bar.close > bar.high
            || bar.open < bar.low
            || bar.close < bar.low
        {
            return Err(QuarantineReason::InconsistentBar);
        }
        if live {
            self.against_reference(catalog, book, bar.instrument, bar.close, now)?;
        }
        Ok(())
    }

    /// `Ok` when a trade print may be used: a plausible price and size
    /// within the band of the reference.
    pub fn check_trade(
        &mut self,
        catalog: &Catalog,
        book: &QuoteBook,
        t: &Trade,
    ) -> Result<(), QuarantineReason> {
        if t.price <= Decimal::ZERO || t.qty <= Decimal::ZERO {
            return Err(QuarantineReason::NotPositive);
        }
        if !plausible::price(t.price) || !plausible::qty(t.qty) {
            return Err(QuarantineReason::OutOfBounds);
        }
        self.against_reference(catalog, book, t.instrument, t.price, t.ts)
    }

    /// A price against every fresh mid of the instrument, the venue's own included.
    fn against_reference(
        &mut self,
        catalog: &Catalog,
        book: &QuoteBook,
        instrument: InstrumentId,
        price: Decimal,
        now: Timestamp,
    ) -> Result<(), QuarantineReason> {
        let mut mids = std::mem::take(&mut self.mids);
        mids.clear();
        mids.extend(
            self.fresh_mids(catalog, book, instrument, now)
                .map(|(_, m)| m),
        );
        let verdict = if mids.is_empty() || self.within(price, median(&mut mids)) {
            Ok(())
        } else {
            Err(QuarantineReason::Jump)
        };
        self.mids = mids;
        verdict
    }

    /// Every venue's accepted mid of an instrument no older than
    /// `reference_max_age_secs` at `now`.
    fn fresh_mids<'a>(
        &self,
        catalog: &'a Catalog,
        book: &'a QuoteBook,
        instrument: InstrumentId,
        now: Timestamp,
    ) -> impl Iterator<Item = (VenueId, Decimal)> + 'a {
        let max_age = self.max_age();
        catalog
            .instrument(instrument)
            .venues
            .iter()
            .filter_map(move |&v| {
                let s = book.slot_of(v, instrument)?;
                (now.since(s.quote.ts) <= max_age).then_some((v, s.mid))
            })
    }

    /// Index of a market in `pending`.
    fn slot(&self, instrument: InstrumentId, venue: VenueId) -> usize {
        instrument.index() * self.venues + venue.index()
    }
}

/// The median of a non-empty list (the mean of the middle two for an even count).
fn median(xs: &mut [Decimal]) -> Decimal {
    // Halving by an exact 0.5 costs a fraction of a division; this runs on
    // every quote of an instrument with three venues.
    let half = Decimal::from_parts(5, 0, 0, false, 1);
    match xs.len() {
        1 => xs[0],
        2 => (xs[0] + xs[1]) * half,
        n => {
            xs.sort_unstable();
            if n % 2 == 1 {
                xs[n / 2]
            } else {
                (xs[n / 2 - 1] + xs[n / 2]) * half
            }
        }
    }
}
