//! Triangular arbitrage: on one venue, trade a start asset for a second,
//! the second for a third and the third back to the start, where the three
//! rates after three taker fees return more than they cost.
//!
//! The cycles are found once, from the instruments each venue lists (their
//! names give the assets: `ETH/BTC` trades ETH against BTC). A quote then
//! re-evaluates only the cycles that use its market, so the cost of a
//! quote grows with the cycles through one pair, not with the venue's size.

use crate::domain::approx::approx_f64;
use crate::domain::{
    Catalog, CycleLeg, Direction, InstrumentId, Opportunity, OpportunityDetail, OpportunityKind,
    OpportunityTerms, Quote, ShownTerms, Side, Timestamp, TradeShape, TriangularDetail, VenueId,
    time::MILLI,
};
use crate::market::QuoteBook;
use crate::scanners::config::TriangularScannerConfig;
use crate::scanners::{Findings, ScanContext, Scanner, arbitrage_risk, depth_share};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// A cycle of three instruments on one venue, with the side of each leg.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cycle {
    pub venue: VenueId,
    /// Instrument and side of each leg, in trading order.
    pub legs: [(InstrumentId, Side); 3],
    /// The start asset, then the two it passes through.
    pub assets: [String; 3],
}

impl Cycle {
    /// One pending opportunity per cycle: venue and the three instruments
    /// in order (the reverse direction of a triangle is another cycle).
    pub fn key(&self) -> u64 {
        cycle_key(self.venue, [self.legs[0].0, self.legs[1].0, self.legs[2].0])
    }
}

fn cycle_key(venue: VenueId, instruments: [InstrumentId; 3]) -> u64 {
    (u64::from(venue.0) << 48)
        | (u64::from(instruments[0].0) << 32)
        | (u64::from(instruments[1].0) << 16)
        | u64::from(instruments[2].0)
}

/// Every cycle on every venue that starts and ends in one of `starts`: for
/// each start S, asset A reached from S and asset B reached from A, with
/// an instrument that takes B back to S. Both directions of a triangle are
/// found, as two cycles. Deterministic: catalog order.
pub fn find_cycles(catalog: &Catalog, starts: &[String]) -> Vec<Cycle> {
    let mut out = Vec::new();
    for venue in &catalog.venues {
        let listed: Vec<(InstrumentId, &str, &str)> = catalog
            .instruments
            .iter()
            .filter(|i| i.venues.contains(&venue.id))
            .filter_map(|i| i.assets().map(|(b, q)| (i.id, b, q)))
            .collect();
        // From asset `from`, the instruments that trade it and what each
        // hands on: a buy where `from` is the quote, a sell where the base.
        let steps = |from: &str| -> Vec<(InstrumentId, Side, String)> {
            listed
                .iter()
                .filter_map(|&(id, base, quote)| {
                    if quote == from {
                        Some((id, Side::Buy, base.to_string()))
                    } else if base == from {
                        Some((id, Side::Sell, quote.to_string()))
                    } else {
                        None
                    }
                })
                .collect()
        };
        for s in starts {
            for (i1, side1, a) in steps(s) {
                for (i2, side2, b) in steps(&a) {
                    if b == *s || b == a {
                        continue;
                    }
                    for (i3, side3, back) in steps(&b) {
                        if back != *s {
                            continue;
                        }
                        out.push(Cycle {
                            venue: venue.id,
                            legs: [(i1, side1), (i2, side2), (i3, side3)],
                            assets: [s.clone(), a.clone(), b.clone()],
                        });
                    }
                }
            }
        }
    }
    out
}

/// Finds triangular cycles whose net return clears the minimum.
#[derive(Clone, Debug)]
pub struct TriangularScanner {
    cfg: TriangularScannerConfig,
    /// Per instrument, whether a cycle may start on it (`None`: any).
    scope: Option<Vec<bool>>,
    /// The cycles, found on the first quote (the catalog comes with it).
    cycles: Vec<Cycle>,
    /// Per market slot (venue, instrument), the cycles that use it.
    by_market: Vec<Vec<u32>>,
    /// Per cycle, whether its last evaluation was listed.
    listed: Vec<bool>,
    /// Per market slot a cycle uses, its last bid and ask in f64 and when:
    /// the cheap test that spares most cycles the exact arithmetic.
    approx: Vec<Option<(f64, f64, Timestamp)>>,
    /// Per venue, what three taker fees keep of a unit, in f64.
    keep3: Vec<f64>,
    /// 1 + the minimum net return, in f64.
    min_rate: f64,
    built: bool,
}

impl TriangularScanner {
    /// A scanner with these settings, over every instrument.
    pub fn new(cfg: TriangularScannerConfig) -> Self {
        Self {
            cfg,
            scope: None,
            cycles: Vec::new(),
            by_market: Vec::new(),
            listed: Vec::new(),
            approx: Vec::new(),
            keep3: Vec::new(),
            min_rate: 1.0,
            built: false,
        }
    }

    /// A scanner whose cycles start only on the instruments flagged in
    /// `scope` (those routed to the kind).
    pub fn with_scope(cfg: TriangularScannerConfig, scope: &[bool]) -> Self {
        Self {
            scope: Some(scope.to_vec()),
            ..Self::new(cfg)
        }
    }

    pub fn config(&self) -> &TriangularScannerConfig {
        &self.cfg
    }

    /// The cycles it watches (empty until the first quote, or when off).
    pub fn cycles(&self) -> &[Cycle] {
        &self.cycles
    }

    /// Finds the cycles and indexes them by market.
    pub fn build(&mut self, catalog: &Catalog) {
        self.built = true;
        if !self.cfg.enabled {
            return;
        }
        let in_scope = |i: InstrumentId| {
            self.scope
                .as_ref()
                .is_none_or(|s| s.get(i.index()).copied().unwrap_or(false))
        };
        self.cycles = find_cycles(catalog, &self.cfg.start_assets)
            .into_iter()
            .filter(|c| in_scope(c.legs[0].0))
            .collect();
        self.by_market = vec![Vec::new(); catalog.market_slots()];
        for (ci, c) in self.cycles.iter().enumerate() {
            for (inst, _) in c.legs {
                let slot = &mut self.by_market[catalog.market_slot(c.venue, inst)];
                // A cycle uses three distinct instruments: no duplicates.
                slot.push(ci as u32);
            }
        }
        self.listed = vec![false; self.cycles.len()];
        self.approx = vec![None; catalog.market_slots()];
        self.keep3 = catalog
            .venues
            .iter()
            .map(|v| (1.0 - v.taker_fee.to_f64().unwrap_or(0.0)).powi(3))
            .collect();
        self.min_rate = 1.0 + self.cfg.min_net_pct.to_f64().unwrap_or(0.0) / 100.0;
    }

    /// True unless the f64 copies of the cycle's prices show it short of
    /// the minimum: with a margin (1e-9) far above f64's rounding error
    /// (1e-15), so no cycle that clears the minimum is ever spared the
    /// exact test. A leg never seen here goes to the exact test too.
    fn may_clear(&self, catalog: &Catalog, c: &Cycle, now: Timestamp) -> bool {
        let max_age = self.cfg.max_quote_age_ms * MILLI;
        let mut rate = 1.0f64;
        for &(inst, side) in &c.legs {
            let Some(Some((bid, ask, ts))) = self.approx.get(catalog.market_slot(c.venue, inst))
            else {
                return true;
            };
            if now.since(*ts) > max_age {
                return false;
            }
            rate = match side {
                Side::Buy => rate / ask,
                Side::Sell => rate * bid,
            };
        }
        let keep3 = self.keep3.get(c.venue.index()).copied().unwrap_or(1.0);
        rate * keep3 >= self.min_rate * (1.0 - 1e-9)
    }

    /// The numbers of cycle `c` on the fresh quotes of `book`, if its net
    /// return clears the minimum; sized by the thinnest leg.
    pub fn evaluate(
        &self,
        catalog: &Catalog,
        book: &QuoteBook,
        c: &Cycle,
        now: Timestamp,
    ) -> Option<TriangularDetail> {
        let max_age = self.cfg.max_quote_age_ms * MILLI;
        let fee = catalog.venue(c.venue).taker_fee;
        let mut legs = [CycleLeg {
            instrument: c.legs[0].0,
            side: Side::Buy,
            price: Decimal::ZERO,
            qty: Decimal::ZERO,
        }; 3];
        let mut avail = [Decimal::ZERO; 3];
        let (mut oldest, mut newest) = (now, Timestamp(i64::MIN));
        for (k, &(inst, side)) in c.legs.iter().enumerate() {
            let q = book.fresh_quote(c.venue, inst, now, max_age)?;
            let (price, qty) = match side {
                Side::Buy => (q.ask, q.ask_qty),
                Side::Sell => (q.bid, q.bid_qty),
            };
            if price <= Decimal::ZERO || qty <= Decimal::ZERO {
                return None;
            }
            legs[k] = CycleLeg {
                instrument: inst,
                side,
                price,
                qty: Decimal::ZERO,
            };
            avail[k] = qty;
            oldest = oldest.min(q.ts);
            newest = newest.max(q.ts);
        }
        // One unit of the start asset round the cycle: what comes back, and
        // the base quantity each leg trades per unit started.
        let mut amount = Decimal::ONE;
        let mut per_unit = [Decimal::ZERO; 3];
        for (k, leg) in legs.iter().enumerate() {
            per_unit[k] = leg.base_for(amount)?;
            amount = leg.output(amount)?;
        }
        let gross = amount;
        let keep = Decimal::ONE - fee;
        let net = gross
            .checked_mul(keep)?
            .checked_mul(keep)?
            .checked_mul(keep)?;
        let net_pct = (net - Decimal::ONE).checked_mul(Decimal::ONE_HUNDRED)?;
        if net_pct < self.cfg.min_net_pct {
            return None;
        }
        // The thinnest leg bounds the start amount.
        let mut start = None::<Decimal>;
        for k in 0..3 {
            let cap = avail[k].checked_div(per_unit[k])?;
            start = Some(start.map_or(cap, |s: Decimal| s.min(cap)));
        }
        let start = start?;
        for k in 0..3 {
            legs[k].qty = per_unit[k].checked_mul(start)?;
        }
        let gross_pct = (gross - Decimal::ONE).checked_mul(Decimal::ONE_HUNDRED)?;
        let fees = start.checked_mul(gross - net)?;
        let net_profit = start.checked_mul(net - Decimal::ONE)?;
        let risk_score = arbitrage_risk(
            oldest,
            newest,
            depth_share(start),
            gross_pct.to_f64().unwrap_or(0.0),
            self.cfg.max_quote_age_ms,
            now,
        );
        Some(TriangularDetail {
            venue: c.venue,
            legs,
            assets: c.assets.clone(),
            start_qty: start,
            gross_pct: gross_pct.round_dp(4),
            net_pct: net_pct.round_dp(4),
            fees: fees.round_dp(8),
            net_profit: net_profit.round_dp(8),
            risk_score,
        })
    }
}

impl Scanner for TriangularScanner {
    fn kind(&self) -> OpportunityKind {
        OpportunityKind::Triangular
    }
    fn ttl_secs(&self) -> i64 {
        self.cfg.ttl_secs
    }
    /// The best `top_n`.
    fn max_pending(&self) -> Option<usize> {
        Some(self.cfg.top_n)
    }
    fn belief_horizon(&self) -> Option<crate::ensemble::Horizon> {
        None
    }
    /// A share of the net return, split over the three legs.
    fn limit_slack(&self) -> Decimal {
        self.cfg.leg_slack
    }
    fn auto_approves(&self, opp: &Opportunity) -> bool {
        let OpportunityDetail::Triangular(t) = &opp.detail else {
            return false;
        };
        t.net_pct >= self.cfg.auto_min_net_pct && t.risk_score < self.cfg.auto_max_risk_score
    }
    fn auto_policy(&self) -> String {
        format!(
            "net edge ≥ {} % and risk score < {}",
            self.cfg.auto_min_net_pct.normalize(),
            self.cfg.auto_max_risk_score
        )
    }
    /// Re-evaluates the cycles through the quote's market: each that clears
    /// the minimum is listed (or refreshed), each listed one that no longer
    /// does has vanished.
    fn on_quote(&mut self, cx: &ScanContext<'_>, q: &Quote, _mid: Decimal, out: &mut Findings) {
        if !self.built {
            self.build(cx.catalog);
        }
        let Some(ids) = self
            .by_market
            .get(cx.catalog.market_slot(q.venue, q.instrument))
        else {
            return;
        };
        if ids.is_empty() {
            return;
        }
        let slot = cx.catalog.market_slot(q.venue, q.instrument);
        self.approx[slot] = Some((approx_f64(q.bid), approx_f64(q.ask), q.ts));
        out.keyed = true;
        for &ci in &self.by_market[slot] {
            let c = &self.cycles[ci as usize];
            let found = if self.may_clear(cx.catalog, c, cx.now) {
                self.evaluate(cx.catalog, cx.book, c, cx.now)
            } else {
                None
            };
            match found {
                Some(d) => {
                    let score = d.net_profit.to_f64().unwrap_or(0.0);
                    out.found
                        .push((c.legs[0].0, OpportunityDetail::Triangular(d), score));
                    self.listed[ci as usize] = true;
                }
                None if self.listed[ci as usize] => {
                    out.gone.push((c.legs[0].0, c.key()));
                    self.listed[ci as usize] = false;
                }
                None => {}
            }
        }
    }
}

impl OpportunityTerms for TriangularDetail {
    /// A cycle bets on no direction.
    fn direction(&self) -> Direction {
        Direction::Up
    }
    fn confidence(&self) -> f64 {
        1.0 - f64::from(self.risk_score) / 100.0
    }
    fn key(&self) -> u64 {
        cycle_key(
            self.venue,
            [
                self.legs[0].instrument,
                self.legs[1].instrument,
                self.legs[2].instrument,
            ],
        )
    }
    fn trade(&self) -> TradeShape {
        TradeShape::Cycle {
            venue: self.venue,
            legs: self.legs,
            start_qty: self.start_qty,
            net_return: self.net_pct / Decimal::ONE_HUNDRED,
        }
    }
    /// Linear in the start amount at the top of the books.
    fn profit_at(&self, _catalog: &Catalog, qty: Decimal) -> Option<Decimal> {
        if qty < Decimal::ZERO || qty > self.start_qty || self.start_qty.is_zero() {
            return None;
        }
        self.net_profit
            .checked_mul(qty)?
            .checked_div(self.start_qty)
    }
    /// The first leg's price (a buy's worse when higher: UP; a sell's when
    /// lower: DOWN), the last leg's when it sells (the check reads it as a
    /// sell), and the net edge, which any leg's move changes.
    fn shown(&self) -> ShownTerms {
        let [first, _, last] = self.legs;
        ShownTerms {
            price: first.price,
            other_price: if last.side == Side::Sell {
                last.price
            } else {
                first.price
            },
            edge: self.net_pct,
            direction: if first.side == Side::Buy {
                Direction::Up
            } else {
                Direction::Down
            },
            venues: (self.venue, self.venue),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AccountMode, Catalog};
    use rust_decimal::dec;

    fn cfg() -> TriangularScannerConfig {
        crate::defaults::section("scanners.triangular")
    }

    struct Setup {
        catalog: Catalog,
        book: QuoteBook,
        scanner: TriangularScanner,
        t: Timestamp,
    }

    fn setup() -> Setup {
        let catalog = Catalog::builtin(AccountMode::Demo);
        let book = QuoteBook::new(&catalog);
        let mut scanner = TriangularScanner::new(cfg());
        scanner.build(&catalog);
        Setup {
            catalog,
            book,
            scanner,
            t: Timestamp::from_secs(1_000),
        }
    }

    impl Setup {
        fn quote(&mut self, inst: &str, bid: Decimal, ask: Decimal, qty: Decimal) -> Findings {
            let q = Quote {
                venue: self.catalog.venue_by_name("binance").unwrap(),
                instrument: self.catalog.instrument_by_name(inst).unwrap(),
                bid,
                ask,
                bid_qty: qty,
                ask_qty: qty,
                ts: self.t,
            };
            self.book.update(&q);
            let mut out = Findings::default();
            let cx = ScanContext {
                catalog: &self.catalog,
                book: &self.book,
                now: self.t,
            };
            self.scanner.on_quote(&cx, &q, q.mid(), &mut out);
            out
        }
    }

    #[test]
    fn the_builtin_catalog_has_one_triangle_on_binance_both_ways() {
        let s = setup();
        let names: Vec<String> = s
            .scanner
            .cycles()
            .iter()
            .map(|c| {
                let legs: Vec<String> = c
                    .legs
                    .iter()
                    .map(|(i, side)| format!("{} {}", side.as_str(), s.catalog.instrument(*i).name))
                    .collect();
                format!("{}: {}", s.catalog.venue(c.venue).name, legs.join(", "))
            })
            .collect();
        assert_eq!(
            names,
            [
                "binance: BUY BTC/USDT, BUY ETH/BTC, SELL ETH/USDT",
                "binance: BUY ETH/USDT, SELL ETH/BTC, SELL BTC/USDT",
            ]
        );
    }

    /// USDT → BTC at 50 000, BTC → ETH at 0.05, ETH → USDT at 2 520: 1.008
    /// before fees, 1.008 × 0.99925³ after binance's three taker fees; the
    /// ETH/USDT bid (5 ETH = 12 500 USDT started) is the thinnest leg.
    #[test]
    fn a_cycle_with_a_known_answer_is_found_and_sized_by_its_thinnest_leg() {
        let mut s = setup();
        assert!(
            s.quote("BTC/USDT", dec!(49999.9), dec!(50000), dec!(1))
                .found
                .is_empty()
        );
        assert!(
            s.quote("ETH/BTC", dec!(0.04999), dec!(0.05), dec!(10))
                .found
                .is_empty()
        );
        let out = s.quote("ETH/USDT", dec!(2520), dec!(2520.5), dec!(5));
        assert_eq!(out.found.len(), 1, "{out:?}");
        let (inst, detail, _) = &out.found[0];
        assert_eq!(*inst, s.catalog.instrument_by_name("BTC/USDT").unwrap());
        let OpportunityDetail::Triangular(t) = detail else {
            panic!("not triangular: {detail:?}");
        };
        assert_eq!(t.cycle_name(), "USDT→BTC→ETH→USDT");
        assert_eq!(t.gross_pct, dec!(0.8));
        let net = dec!(1.008) * dec!(0.99925) * dec!(0.99925) * dec!(0.99925);
        assert_eq!(t.net_pct, ((net - Decimal::ONE) * dec!(100)).round_dp(4));
        assert_eq!(t.net_pct, dec!(0.5734));
        assert_eq!(t.start_qty, dec!(12500));
        let qty: Vec<Decimal> = t.legs.iter().map(|l| l.qty).collect();
        assert_eq!(qty, [dec!(0.25), dec!(5), dec!(5)]);
        assert_eq!(
            t.net_profit,
            (dec!(12500) * (net - Decimal::ONE)).round_dp(8)
        );
        assert_eq!(t.risk_score, 0);
        // Half the size, half the profit.
        let half = t.profit_at(&s.catalog, dec!(6250)).unwrap();
        assert_eq!(half * dec!(2), t.net_profit);
        assert!(t.profit_at(&s.catalog, dec!(12501)).is_none());
    }

    #[test]
    fn fees_that_eat_the_edge_list_nothing_and_a_vanished_edge_is_reported_gone() {
        let mut s = setup();
        s.quote("BTC/USDT", dec!(49999.9), dec!(50000), dec!(1));
        s.quote("ETH/BTC", dec!(0.04999), dec!(0.05), dec!(10));
        // 2 505 / 2 500 = 1.002: under the 0.225 % of three fees.
        let out = s.quote("ETH/USDT", dec!(2505), dec!(2505.5), dec!(5));
        assert!(out.found.is_empty() && out.gone.is_empty(), "{out:?}");
        let out = s.quote("ETH/USDT", dec!(2520), dec!(2520.5), dec!(5));
        assert_eq!(out.found.len(), 1);
        let key = out.found[0].1.terms().key();
        // The middle leg moves against it: the cycle is gone.
        let out = s.quote("ETH/BTC", dec!(0.05039), dec!(0.0504), dec!(10));
        assert!(out.found.is_empty(), "{out:?}");
        assert_eq!(out.gone.len(), 1);
        assert_eq!(out.gone[0].1, key);
        // Said once.
        let out = s.quote("ETH/BTC", dec!(0.05039), dec!(0.0504), dec!(10));
        assert!(out.gone.is_empty());
    }

    #[test]
    fn a_quote_on_a_market_no_cycle_uses_costs_nothing() {
        let mut s = setup();
        let q = Quote {
            venue: s.catalog.venue_by_name("kraken").unwrap(),
            instrument: s.catalog.instrument_by_name("BTC/USDT").unwrap(),
            bid: dec!(1),
            ask: dec!(2),
            bid_qty: dec!(1),
            ask_qty: dec!(1),
            ts: s.t,
        };
        s.book.update(&q);
        let mut out = Findings::default();
        let cx = ScanContext {
            catalog: &s.catalog,
            book: &s.book,
            now: s.t,
        };
        s.scanner.on_quote(&cx, &q, q.mid(), &mut out);
        assert!(!out.keyed && out.found.is_empty() && out.gone.is_empty());
    }

    #[test]
    fn stale_legs_are_not_used() {
        let mut s = setup();
        s.quote("BTC/USDT", dec!(49999.9), dec!(50000), dec!(1));
        s.quote("ETH/BTC", dec!(0.04999), dec!(0.05), dec!(10));
        s.t = s.t.plus(3 * crate::domain::time::SECOND);
        let out = s.quote("ETH/USDT", dec!(2520), dec!(2520.5), dec!(5));
        assert!(out.found.is_empty(), "{out:?}");
    }
}

#[cfg(test)]
mod cheap_test {
    use super::*;
    use crate::domain::{AccountMode, Catalog};
    use proptest::prelude::*;

    proptest! {
        /// The f64 test never hides a cycle the exact arithmetic lists:
        /// after any sequence of quotes, what `on_quote` lists through a
        /// market is what evaluating every cycle through it exactly lists.
        #[test]
        fn prop_the_cheap_test_never_hides_a_cycle(
            moves in proptest::collection::vec((0usize..3, 9_900u32..10_100, 1u32..50), 1..60),
        ) {
            let catalog = Catalog::builtin(AccountMode::Demo);
            let mut book = QuoteBook::new(&catalog);
            let mut cfg: TriangularScannerConfig = crate::defaults::section("scanners.triangular");
            cfg.min_net_pct = Decimal::new(1, 2);
            let mut scanner = TriangularScanner::new(cfg);
            scanner.build(&catalog);
            let venue = catalog.venue_by_name("binance").unwrap();
            let names = ["BTC/USDT", "ETH/BTC", "ETH/USDT"];
            // Fair prices 50 000, 0.05 and 2 500, each quote moved up to ±1 %.
            let fair = [Decimal::new(50_000, 0), Decimal::new(5, 2), Decimal::new(2_500, 0)];
            let mut t = Timestamp::from_secs(1_000);
            for (k, bp, qty) in moves {
                t = t.plus(crate::domain::time::MILLI);
                let inst = catalog.instrument_by_name(names[k]).unwrap();
                let tick = catalog.instrument(inst).tick_size;
                let mid = (fair[k] * Decimal::new(i64::from(bp), 4)).round_dp(tick.scale());
                let q = Quote {
                    venue,
                    instrument: inst,
                    bid: mid - tick,
                    ask: mid + tick,
                    bid_qty: Decimal::from(qty),
                    ask_qty: Decimal::from(qty),
                    ts: t,
                };
                book.update(&q);
                let mut out = Findings::default();
                let cx = ScanContext { catalog: &catalog, book: &book, now: t };
                scanner.on_quote(&cx, &q, q.mid(), &mut out);
                let exact: Vec<u64> = scanner
                    .cycles()
                    .iter()
                    .filter(|c| c.legs.iter().any(|(i, _)| *i == inst))
                    .filter_map(|c| scanner.evaluate(&catalog, &book, c, t))
                    .map(|d| d.key())
                    .collect();
                let listed: Vec<u64> = out.found.iter().map(|(_, d, _)| d.terms().key()).collect();
                prop_assert_eq!(listed, exact);
            }
        }
    }
}
