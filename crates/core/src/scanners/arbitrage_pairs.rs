//! The incremental half of the cross-venue scan. Each venue pair's last
//! result is kept with the [`Generation`]s of the two markets it was
//! computed from; a quote re-evaluates only the pairs whose markets changed
//! (the pairs its venue is in) or whose inputs have since grown stale, and
//! re-scores the others for their age. Before the exact arithmetic, an f64
//! test on each venue's top skips the pairs that cannot clear the minimum.
//!
//! The result is the same list, in the same order, as evaluating every
//! pair afresh ([`ArbitrageScanner::scan`]); a property test holds it to
//! that.

use super::arbitrage::{ArbitrageScanner, Scored};
use crate::domain::approx::approx_f64;
use crate::domain::{ArbitrageDetail, Catalog, InstrumentId, Timestamp, VenueId, time::MILLI};
use crate::market::{Generation, QuoteBook};

/// Every instrument's pairs, by instrument index, built on first use.
#[derive(Clone, Debug, Default)]
pub(crate) struct PairMemo {
    instruments: Vec<Option<InstrumentPairs>>,
}

#[derive(Clone, Debug)]
struct InstrumentPairs {
    venues: Vec<VenueId>,
    /// Per venue (same order), its top in f64 for the quick test.
    tops: Vec<Top>,
    /// Per venue, its market's generation at this scan.
    generations: Vec<Generation>,
    /// Per ordered pair, `buy * venues + sell`.
    pairs: Vec<PairState>,
}

/// A venue's top of book in f64, from the quote of generation `quote_gen`
/// (0: never converted), and its taker fee.
#[derive(Clone, Copy, Debug, Default)]
struct Top {
    quote_gen: u64,
    bid: f64,
    ask: f64,
    fee: f64,
}

#[derive(Clone, Debug, Default)]
struct PairState {
    /// The two markets' generations the result was computed from (`None`:
    /// never computed).
    inputs: Option<(Generation, Generation)>,
    evaluated_at: Timestamp,
    /// The last instant the result holds: after it, a quote or depth
    /// snapshot it used is stale.
    valid_until: Timestamp,
    result: Option<Scored>,
}

/// Relative slack of the quick test: [`approx_f64`] and the arithmetic
/// after it err by about 1e-15 of the prices, so a pair the exact arithmetic would list is
/// never skipped.
const QUICK_SLACK: f64 = 1e-9;

impl PairMemo {
    /// The pairs of `instrument` that clear the minimum at `now`, appended
    /// to `out` in the order [`ArbitrageScanner::scan`] lists them.
    pub(crate) fn scan(
        &mut self,
        scanner: &ArbitrageScanner,
        catalog: &Catalog,
        book: &QuoteBook,
        instrument: InstrumentId,
        now: Timestamp,
        out: &mut Vec<ArbitrageDetail>,
    ) {
        let i = instrument.index();
        if self.instruments.len() <= i {
            self.instruments.resize(i + 1, None);
        }
        let Some(slot) = self.instruments.get_mut(i) else {
            return;
        };
        let pairs = slot.get_or_insert_with(|| InstrumentPairs::new(catalog, instrument));
        let n = pairs.venues.len();
        for (k, top) in pairs.tops.iter_mut().enumerate() {
            top.refresh(book, pairs.venues[k], instrument);
            pairs.generations[k] = book.generation(pairs.venues[k], instrument);
        }
        for b in 0..n {
            for s in 0..n {
                if b == s {
                    continue;
                }
                let (buy, sell) = (pairs.venues[b], pairs.venues[s]);
                let inputs = (pairs.generations[b], pairs.generations[s]);
                let state = &mut pairs.pairs[b * n + s];
                let current = state.inputs == Some(inputs)
                    && state.evaluated_at <= now
                    && now <= state.valid_until;
                if !current {
                    let (tb, ts) = (pairs.tops[b], pairs.tops[s]);
                    state.result = if scanner.may_clear(tb.ask, tb.fee, ts.bid, ts.fee) {
                        scanner.pair(catalog, book, instrument, buy, sell, now)
                    } else {
                        None
                    };
                    state.inputs = Some(inputs);
                    state.evaluated_at = now;
                    state.valid_until = valid_until(scanner, book, instrument, (buy, sell), now);
                }
                if let Some(found) = &state.result {
                    let mut d = found.detail.clone();
                    d.risk_score = scanner.risk_score(&found.risk, now);
                    out.push(d);
                }
            }
        }
    }
}

impl InstrumentPairs {
    fn new(catalog: &Catalog, instrument: InstrumentId) -> Self {
        let venues = catalog.instrument(instrument).venues.clone();
        let n = venues.len();
        Self {
            tops: venues
                .iter()
                .map(|&v| Top {
                    fee: approx_f64(catalog.venue(v).taker_fee),
                    ..Top::default()
                })
                .collect(),
            generations: vec![Generation::default(); n],
            pairs: vec![PairState::default(); n * n],
            venues,
        }
    }
}

impl Top {
    /// Converts the venue's quote if it changed since the last call.
    fn refresh(&mut self, book: &QuoteBook, v: VenueId, i: InstrumentId) {
        let Some(slot) = book.slot_of(v, i) else {
            return;
        };
        if slot.updates == self.quote_gen {
            return;
        }
        self.quote_gen = slot.updates;
        self.bid = approx_f64(slot.quote.bid);
        self.ask = approx_f64(slot.quote.ask);
    }
}

/// When the inputs of a pair evaluated at `now` stop holding: the first
/// of its quotes, and of the depth snapshots fresh at `now`, to grow
/// stale. A quote already stale or missing stays so until its market's
/// generation changes, so such a result holds for ever.
fn valid_until(
    scanner: &ArbitrageScanner,
    book: &QuoteBook,
    instrument: InstrumentId,
    (buy, sell): (VenueId, VenueId),
    now: Timestamp,
) -> Timestamp {
    let max_age = scanner.config().max_quote_age_ms * MILLI;
    let mut oldest: Option<Timestamp> = None;
    for v in [buy, sell] {
        let Some(q) = book.fresh_quote(v, instrument, now, max_age) else {
            return Timestamp(i64::MAX);
        };
        let mut earliest = q.ts;
        if let Some(d) = book.depth_ts(v, instrument)
            && now.since(d) <= max_age
        {
            earliest = earliest.min(d);
        }
        oldest = Some(oldest.map_or(earliest, |o| o.min(earliest)));
    }
    oldest.map_or(Timestamp(i64::MAX), |t| {
        t.plus_millis(scanner.config().max_quote_age_ms)
    })
}

impl ArbitrageScanner {
    /// The quick test: false only when buying at `ask` and selling at
    /// `bid`, after both taker fees, is certainly below the minimum net
    /// edge. Anything it cannot decide (a non-positive or unconverted
    /// price) goes on to the exact arithmetic.
    fn may_clear(&self, ask: f64, fee_buy: f64, bid: f64, fee_sell: f64) -> bool {
        if !(ask > 0.0 && bid.is_finite()) {
            return true;
        }
        let net_pct = (bid * (1.0 - fee_sell) - ask * (1.0 + fee_buy)) / ask * 100.0;
        let slack = QUICK_SLACK * 100.0 * (1.0 + (bid / ask).abs());
        net_pct >= self.min_net_pct_f64() - slack
    }
}
