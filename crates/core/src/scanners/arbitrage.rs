//! Cross-venue arbitrage: buy at one venue's ask, sell at another's bid.

use crate::domain::{
    ArbitrageDetail, Catalog, Direction, InstrumentId, Level, Opportunity, OpportunityDetail,
    OpportunityKind, OpportunityTerms, Quote, ShownTerms, Side, Timestamp, TradeShape, VenueId,
    time::MILLI,
};
use crate::market::QuoteBook;
use crate::scanners::arbitrage_pairs::PairMemo;
use crate::scanners::config::ArbitrageScannerConfig;
use crate::scanners::{Findings, ScanContext, Scanner, arbitrage_risk, depth_share};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// Finds cross-venue edges net of both venues' taker fees.
#[derive(Clone, Debug)]
pub struct ArbitrageScanner {
    cfg: ArbitrageScannerConfig,
    /// Per instrument, whether it is scanned (`None`: every instrument).
    scope: Option<Vec<bool>>,
    /// Scratch for one scan's findings.
    scratch: Vec<ArbitrageDetail>,
    /// Each venue pair's last result, for the incremental scan.
    memo: PairMemo,
    /// `min_net_pct` in f64, for the quick test.
    min_net_pct_f64: f64,
}

/// What a pair's risk score is computed from besides the time: the score
/// ages with its quotes, so a result kept between quotes is re-scored.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct RiskInputs {
    buy_ts: Timestamp,
    sell_ts: Timestamp,
    /// The buy notional as a share of a deep book's, at most 1.
    depth: f64,
    /// The gross spread in percent.
    spread: f64,
}

/// A pair that clears the minimum, with what re-scores it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Scored {
    pub detail: ArbitrageDetail,
    pub risk: RiskInputs,
}

/// A quote's top on the side a taker trades against.
fn top(q: &Quote, side: Side) -> [Level; 1] {
    match side {
        Side::Buy => [Level {
            price: q.ask,
            qty: q.ask_qty,
        }],
        Side::Sell => [Level {
            price: q.bid,
            qty: q.bid_qty,
        }],
    }
}

impl ArbitrageScanner {
    /// A scanner with these settings.
    pub fn new(cfg: ArbitrageScannerConfig) -> Self {
        Self {
            min_net_pct_f64: cfg.min_net_pct.to_f64().unwrap_or(f64::NEG_INFINITY),
            cfg,
            scope: None,
            scratch: Vec::new(),
            memo: PairMemo::default(),
        }
    }

    /// A scanner for the instruments flagged in `scope`.
    pub fn with_scope(cfg: ArbitrageScannerConfig, scope: &[bool]) -> Self {
        Self {
            scope: Some(scope.to_vec()),
            ..Self::new(cfg)
        }
    }

    /// True if the instrument is scanned.
    pub fn scans(&self, instrument: InstrumentId) -> bool {
        self.scope
            .as_ref()
            .is_none_or(|s| s.get(instrument.index()).copied().unwrap_or(false))
    }

    pub fn config(&self) -> &ArbitrageScannerConfig {
        &self.cfg
    }

    /// `min_net_pct` in f64 (minus infinity if it has none, so the quick
    /// test never skips on it).
    pub(crate) fn min_net_pct_f64(&self) -> f64 {
        self.min_net_pct_f64
    }

    /// Every venue pair of `instrument` whose net edge clears the minimum,
    /// appended to `out`, each pair evaluated afresh. The reference the
    /// incremental scan of [`Scanner::on_quote`] is tested against.
    pub fn scan(
        &self,
        catalog: &Catalog,
        book: &QuoteBook,
        instrument: InstrumentId,
        now: Timestamp,
        out: &mut Vec<ArbitrageDetail>,
    ) {
        let venues = &catalog.instrument(instrument).venues;
        for &buy in venues {
            for &sell in venues {
                if sell == buy {
                    continue;
                }
                if let Some(found) = self.pair(catalog, book, instrument, buy, sell, now) {
                    out.push(found.detail);
                }
            }
        }
    }

    /// Buying `instrument` on `buy` and selling it on `sell`, if both
    /// quotes are fresh and the net edge clears the minimum; with the
    /// inputs of its risk score, so a cached result can be re-scored later.
    pub(crate) fn pair(
        &self,
        catalog: &Catalog,
        book: &QuoteBook,
        instrument: InstrumentId,
        buy: VenueId,
        sell: VenueId,
        now: Timestamp,
    ) -> Option<Scored> {
        let max_age = self.cfg.max_quote_age_ms * MILLI;
        let bq = book.fresh_quote(buy, instrument, now, max_age)?;
        let sq = book.fresh_quote(sell, instrument, now, max_age)?;
        // Cheap test first: almost every tick has no crossing at all.
        if sq.bid <= bq.ask {
            return None;
        }
        // Where the venues send depth, the levels behind the tops.
        let asks = book.ladder(buy, instrument, Side::Buy, now, max_age);
        let bids = book.ladder(sell, instrument, Side::Sell, now, max_age);
        match (asks, bids) {
            (Some(asks), Some(bids)) => self.walk(catalog, bq, sq, &asks, &bids, now),
            _ => self.walk(
                catalog,
                bq,
                sq,
                &top(bq, Side::Buy),
                &top(sq, Side::Sell),
                now,
            ),
        }
    }

    /// The numbers of buying at `bq`'s ask and selling at `sq`'s bid, at
    /// the smaller top, if they clear the minimum net edge.
    pub fn evaluate(
        &self,
        catalog: &Catalog,
        bq: &Quote,
        sq: &Quote,
        now: Timestamp,
    ) -> Option<ArbitrageDetail> {
        let (asks, bids) = (top(bq, Side::Buy), top(sq, Side::Sell));
        self.walk(catalog, bq, sq, &asks, &bids, now)
            .map(|s| s.detail)
    }

    /// Walks the buy venue's asks and the sell venue's bids (best first,
    /// the tops from `bq` and `sq`) as long as the next unit still clears
    /// the minimum net edge after both taker fees: the size is what both
    /// books hold at a profitable price, the profit what that size makes.
    /// With one level a side this is the top of the books. `None` when not
    /// even the tops clear the minimum, or on dust and overflow.
    fn walk(
        &self,
        catalog: &Catalog,
        bq: &Quote,
        sq: &Quote,
        asks: &[Level],
        bids: &[Level],
        now: Timestamp,
    ) -> Option<Scored> {
        let fee_buy = catalog.venue(bq.venue).taker_fee;
        let fee_sell = catalog.venue(sq.venue).taker_fee;
        let (mut i, mut j) = (0, 0);
        let mut left_a = asks.first()?.qty;
        let mut left_b = bids.first()?.qty;
        let (mut qty, mut cost, mut proceeds) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
        let mut bought: Vec<Level> = Vec::new();
        let mut sold: Vec<Level> = Vec::new();
        while let (Some(a), Some(b)) = (asks.get(i), bids.get(j)) {
            if a.price <= Decimal::ZERO {
                return None;
            }
            // What one more unit at these two levels makes, net of fees,
            // per unit bought.
            let unit_net = b.price * (Decimal::ONE - fee_sell) - a.price * (Decimal::ONE + fee_buy);
            if unit_net.checked_div(a.price)? * Decimal::ONE_HUNDRED < self.cfg.min_net_pct {
                break;
            }
            let take = left_a.min(left_b);
            if take > Decimal::ZERO {
                qty = qty.checked_add(take)?;
                cost = cost.checked_add(a.price.checked_mul(take)?)?;
                proceeds = proceeds.checked_add(b.price.checked_mul(take)?)?;
                for (levels, price) in [(&mut bought, a.price), (&mut sold, b.price)] {
                    match levels.last_mut() {
                        Some(l) if l.price == price => l.qty += take,
                        _ => levels.push(Level { price, qty: take }),
                    }
                }
                left_a -= take;
                left_b -= take;
            }
            if left_a <= Decimal::ZERO {
                i += 1;
                left_a = asks.get(i).map_or(Decimal::ZERO, |l| l.qty);
            }
            if left_b <= Decimal::ZERO {
                j += 1;
                left_b = bids.get(j).map_or(Decimal::ZERO, |l| l.qty);
            }
        }
        if qty <= Decimal::ZERO {
            return None;
        }
        let fees = cost * fee_buy + proceeds * fee_sell;
        let net = proceeds - cost - fees;
        // Dust (a tiny price times a tiny size) rounds the notional to zero:
        // no edge to speak of, and no division by it.
        let net_pct = net.checked_div(cost)? * Decimal::ONE_HUNDRED;
        if net_pct < self.cfg.min_net_pct {
            return None;
        }
        let spread_pct = (sq.bid - bq.ask).checked_div(bq.ask)? * Decimal::ONE_HUNDRED;
        // Sized from the tops alone: no levels to carry.
        if bought.len() == 1 && sold.len() == 1 {
            bought.clear();
            sold.clear();
        }
        let risk = RiskInputs {
            buy_ts: bq.ts,
            sell_ts: sq.ts,
            depth: depth_share(cost),
            spread: spread_pct.to_f64().unwrap_or(0.0),
        };
        let detail = ArbitrageDetail {
            buy_venue: bq.venue,
            sell_venue: sq.venue,
            buy_price: bq.ask,
            sell_price: sq.bid,
            qty,
            spread_pct: spread_pct.round_dp(4),
            fees: fees.round_dp(8),
            net_profit: net.round_dp(8),
            net_pct: net_pct.round_dp(4),
            risk_score: self.risk_score(&risk, now),
            buy_levels: bought,
            sell_levels: sold,
        };
        Some(Scored { detail, risk })
    }

    /// The pair's [`arbitrage_risk`] at `now`.
    pub(crate) fn risk_score(&self, r: &RiskInputs, now: Timestamp) -> u8 {
        arbitrage_risk(
            r.buy_ts.min(r.sell_ts),
            r.buy_ts.max(r.sell_ts),
            r.depth,
            r.spread,
            self.cfg.max_quote_age_ms,
            now,
        )
    }
}

impl Scanner for ArbitrageScanner {
    fn kind(&self) -> OpportunityKind {
        OpportunityKind::Arbitrage
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
    fn limit_slack(&self) -> Decimal {
        self.cfg.leg_slack
    }
    fn auto_approves(&self, opp: &Opportunity) -> bool {
        let OpportunityDetail::Arbitrage(a) = &opp.detail else {
            return false;
        };
        a.net_pct >= self.cfg.auto_min_net_pct && a.risk_score < self.cfg.auto_max_risk_score
    }
    fn auto_policy(&self) -> String {
        format!(
            "net edge ≥ {} % and risk score < {}",
            self.cfg.auto_min_net_pct.normalize(),
            self.cfg.auto_max_risk_score
        )
    }
    /// Every quote lists its instrument's venue pairs that clear the
    /// minimum, re-evaluating only those whose markets changed (see
    /// `arbitrage_pairs`): the pairs found are the complete list, so a
    /// pending pair not found again vanished.
    fn on_quote(&mut self, cx: &ScanContext<'_>, q: &Quote, _mid: Decimal, out: &mut Findings) {
        let inst = q.instrument;
        if !self.scans(inst) {
            return;
        }
        let mut found = std::mem::take(&mut self.scratch);
        found.clear();
        let mut memo = std::mem::take(&mut self.memo);
        memo.scan(self, cx.catalog, cx.book, inst, cx.now, &mut found);
        self.memo = memo;
        out.complete_for = Some(inst);
        for d in found.drain(..) {
            let score = d.net_profit.to_f64().unwrap_or(0.0);
            out.found
                .push((inst, OpportunityDetail::Arbitrage(d), score));
        }
        self.scratch = found;
    }
}

impl OpportunityTerms for ArbitrageDetail {
    fn direction(&self) -> Direction {
        Direction::Up
    }
    fn confidence(&self) -> f64 {
        1.0 - f64::from(self.risk_score) / 100.0
    }
    /// One pending arbitrage per venue pair.
    fn key(&self) -> u64 {
        (u64::from(self.buy_venue.0) << 16) | u64::from(self.sell_venue.0)
    }
    fn trade(&self) -> TradeShape {
        let (buy_limit, sell_limit) = self.worst_prices();
        TradeShape::CrossVenuePair {
            buy_venue: self.buy_venue,
            sell_venue: self.sell_venue,
            buy_price: self.buy_price,
            sell_price: self.sell_price,
            book_qty: self.qty,
            buy_limit,
            sell_limit,
        }
    }
    fn profit_at(&self, catalog: &Catalog, qty: Decimal) -> Option<Decimal> {
        ArbitrageDetail::profit_at(
            self,
            qty,
            catalog.venue(self.buy_venue).taker_fee,
            catalog.venue(self.sell_venue).taker_fee,
        )
    }
    fn shown(&self) -> ShownTerms {
        ShownTerms {
            price: self.buy_price,
            other_price: self.sell_price,
            edge: self.net_pct,
            direction: Direction::Up,
            venues: (self.buy_venue, self.sell_venue),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::VenueId;
    use rust_decimal::dec;

    /// The built-in sections these tests use.
    struct Builtin {
        scanners: crate::scanners::config::ScannersConfig,
    }

    fn builtin() -> Builtin {
        Builtin {
            scanners: crate::defaults::section("scanners"),
        }
    }

    fn quote(v: u16, bid: Decimal, ask: Decimal, qty: Decimal, ts: Timestamp) -> Quote {
        Quote {
            venue: VenueId(v),
            instrument: InstrumentId(0),
            bid,
            ask,
            bid_qty: qty,
            ask_qty: qty,
            ts,
        }
    }

    #[test]
    fn net_of_both_taker_fees_and_sized_by_the_smaller_top() {
        let cfg = builtin();
        let catalog = crate::domain::Catalog::builtin(crate::domain::AccountMode::Demo);
        let mut book = QuoteBook::new(&catalog);
        let t = Timestamp::from_secs(1_000);
        // binance (0.075 %) ask 100 for 2; kraken (0.16 %) bid 101 for 1.
        book.update(&quote(0, dec!(99.9), dec!(100), dec!(2), t));
        let mut k = quote(1, dec!(101), dec!(101.2), dec!(1), t);
        k.ask_qty = dec!(5);
        book.update(&k);
        let scanner = ArbitrageScanner::new(cfg.scanners.arbitrage.clone());
        let mut out = Vec::new();
        scanner.scan(&catalog, &book, InstrumentId(0), t, &mut out);
        assert_eq!(out.len(), 1);
        let d = &out[0];
        assert_eq!((d.buy_venue, d.sell_venue), (VenueId(0), VenueId(1)));
        assert_eq!(d.qty, dec!(1));
        // fees = 100 × 0.00075 + 101 × 0.0016 = 0.075 + 0.1616
        assert_eq!(d.fees, dec!(0.2366));
        assert_eq!(d.net_profit, dec!(0.7634));
        assert_eq!(d.net_pct, dec!(0.7634));
        assert_eq!(d.spread_pct, dec!(1.0000));
    }

    #[test]
    fn no_edge_when_fees_eat_the_spread_or_quotes_are_stale() {
        let cfg = builtin();
        let catalog = crate::domain::Catalog::builtin(crate::domain::AccountMode::Demo);
        let scanner = ArbitrageScanner::new(cfg.scanners.arbitrage.clone());
        let t = Timestamp::from_secs(1_000);
        let mut book = QuoteBook::new(&catalog);
        book.update(&quote(0, dec!(99.9), dec!(100), dec!(1), t));
        book.update(&quote(1, dec!(100.1), dec!(100.2), dec!(1), t));
        let mut out = Vec::new();
        scanner.scan(&catalog, &book, InstrumentId(0), t, &mut out);
        assert!(out.is_empty(), "0.1 % gross < 0.235 % fees");
        book.update(&quote(1, dec!(105), dec!(105.2), dec!(1), t));
        scanner.scan(&catalog, &book, InstrumentId(0), t.plus_secs(10), &mut out);
        assert!(out.is_empty(), "quotes 10 s old are not used");
    }

    #[test]
    fn dust_whose_notional_rounds_to_zero_is_no_edge_and_no_panic() {
        let cfg = builtin();
        let catalog = crate::domain::Catalog::builtin(crate::domain::AccountMode::Demo);
        let scanner = ArbitrageScanner::new(cfg.scanners.arbitrage.clone());
        let t = Timestamp::from_secs(1_000);
        let tiny = dec!(0.000000000000000000001);
        let bq = quote(0, dec!(0.000000000001), dec!(0.000000000001), tiny, t);
        let sq = quote(1, dec!(0.000000000002), dec!(0.000000000003), tiny, t);
        assert_eq!(scanner.evaluate(&catalog, &bq, &sq, t), None);
    }

    fn depth(
        v: u16,
        bids: &[(Decimal, Decimal)],
        asks: &[(Decimal, Decimal)],
        ts: Timestamp,
    ) -> crate::domain::Depth {
        let levels =
            |l: &[(Decimal, Decimal)]| l.iter().map(|&(price, qty)| Level { price, qty }).collect();
        crate::domain::Depth {
            venue: VenueId(v),
            instrument: InstrumentId(0),
            bids: levels(bids),
            asks: levels(asks),
            ts,
        }
    }

    #[test]
    fn with_depth_the_size_is_what_both_books_hold_at_a_profitable_price() {
        let cfg = builtin();
        let catalog = crate::domain::Catalog::builtin(crate::domain::AccountMode::Demo);
        let scanner = ArbitrageScanner::new(cfg.scanners.arbitrage.clone());
        let t = Timestamp::from_secs(1_000);
        let mut book = QuoteBook::new(&catalog);
        // binance (0.075 %) asks 100 × 1, 100.2 × 2, 100.6 × 5;
        // kraken (0.16 %) bids 101 × 1.5, 100.9 × 1, 100.3 × 10.
        let mut b = quote(0, dec!(99.9), dec!(100), dec!(1), t);
        b.bid_qty = dec!(3);
        book.update(&b);
        let mut k = quote(1, dec!(101), dec!(101.2), dec!(1.5), t);
        k.ask_qty = dec!(4);
        book.update(&k);
        let mut out = Vec::new();
        scanner.scan(&catalog, &book, InstrumentId(0), t, &mut out);
        assert_eq!(out[0].qty, dec!(1), "the tops alone without depth");
        assert_eq!(out[0].net_profit, dec!(0.7634));

        assert!(book.update_depth(&depth(
            0,
            &[(dec!(99.9), dec!(3))],
            &[
                (dec!(100), dec!(1)),
                (dec!(100.2), dec!(2)),
                (dec!(100.6), dec!(5))
            ],
            t
        )));
        assert!(book.update_depth(&depth(
            1,
            &[
                (dec!(101), dec!(1.5)),
                (dec!(100.9), dec!(1)),
                (dec!(100.3), dec!(10))
            ],
            &[(dec!(101.2), dec!(4))],
            t
        )));
        out.clear();
        scanner.scan(&catalog, &book, InstrumentId(0), t, &mut out);
        let d = &out[0];
        // 100 × 1 against 101, 100.2 × 0.5 against 101, 100.2 × 1 against
        // 100.9; then 100.2 against 100.3 loses after fees: stop at 2.5.
        assert_eq!(d.qty, dec!(2.5));
        assert_eq!(
            d.buy_levels,
            vec![
                Level {
                    price: dec!(100),
                    qty: dec!(1)
                },
                Level {
                    price: dec!(100.2),
                    qty: dec!(1.5)
                }
            ]
        );
        assert_eq!(
            d.sell_levels,
            vec![
                Level {
                    price: dec!(101),
                    qty: dec!(1.5)
                },
                Level {
                    price: dec!(100.9),
                    qty: dec!(1)
                }
            ]
        );
        // cost 250.3, proceeds 252.4, fees 0.187725 + 0.40384.
        assert_eq!(d.fees, dec!(0.591565));
        assert_eq!(d.net_profit, dec!(1.508435));
        assert_eq!(d.net_pct, dec!(0.6027));
        assert_eq!(d.worst_prices(), (dec!(100.2), dec!(100.9)));
        // The profit at a smaller size keeps the better prices.
        let (fb, fs) = (dec!(0.00075), dec!(0.0016));
        assert_eq!(d.profit_at(dec!(1), fb, fs), Some(dec!(0.7634)));
        assert_eq!(d.profit_at(dec!(2.5), fb, fs), Some(dec!(1.508435)));
        assert_eq!(d.profit_at(dec!(3), fb, fs), None, "more than found");
        match d.trade() {
            TradeShape::CrossVenuePair {
                book_qty,
                buy_limit,
                sell_limit,
                ..
            } => assert_eq!(
                (book_qty, buy_limit, sell_limit),
                (dec!(2.5), dec!(100.2), dec!(100.9))
            ),
            t => panic!("{t:?}"),
        }

        // The quotes move on; the snapshot is used while it is fresh
        // (2 s here), then the tops alone again.
        let later = t.plus_secs(1);
        book.update(&Quote { ts: later, ..b });
        book.update(&Quote { ts: later, ..k });
        out.clear();
        scanner.scan(
            &catalog,
            &book,
            InstrumentId(0),
            t.plus(1_800 * MILLI),
            &mut out,
        );
        assert_eq!(out[0].qty, dec!(2.5), "depth 1.8 s old");
        out.clear();
        scanner.scan(
            &catalog,
            &book,
            InstrumentId(0),
            t.plus(2_500 * MILLI),
            &mut out,
        );
        assert_eq!(out[0].qty, dec!(1), "depth 2.5 s old is stale");
    }

    #[test]
    fn a_depth_level_in_front_of_the_quote_is_never_used() {
        // A snapshot older than the quote may show a better price than the
        // book has now: only the levels behind the quoted top count.
        let cfg = builtin();
        let catalog = crate::domain::Catalog::builtin(crate::domain::AccountMode::Demo);
        let scanner = ArbitrageScanner::new(cfg.scanners.arbitrage.clone());
        let t = Timestamp::from_secs(1_000);
        let mut book = QuoteBook::new(&catalog);
        book.update(&quote(0, dec!(99.9), dec!(100), dec!(1), t));
        book.update(&quote(1, dec!(101), dec!(101.2), dec!(1), t));
        book.update_depth(&depth(
            0,
            &[(dec!(95), dec!(1))],
            &[(dec!(96), dec!(50))],
            t,
        ));
        book.update_depth(&depth(
            1,
            &[(dec!(105), dec!(50))],
            &[(dec!(106), dec!(1))],
            t,
        ));
        let mut out = Vec::new();
        scanner.scan(&catalog, &book, InstrumentId(0), t, &mut out);
        assert_eq!((out[0].qty, out[0].net_profit), (dec!(1), dec!(0.7634)));
        assert!(out[0].buy_levels.is_empty());
    }

    use proptest::prelude::*;

    /// One step of a scripted market: a quote or a depth snapshot on one
    /// of the instrument's venues, some milliseconds after the last step.
    #[derive(Clone, Debug)]
    enum Step {
        Quote {
            venue: usize,
            bid_bp: i64,
            spread_bp: i64,
            qty: u32,
        },
        Depth {
            venue: usize,
            bid_bp: i64,
            spread_bp: i64,
            levels: u32,
        },
    }

    fn step() -> impl Strategy<Value = (Step, i64)> {
        let quote = (0usize..4, -60i64..60, 0i64..20, 1u32..40).prop_map(
            |(venue, bid_bp, spread_bp, qty)| Step::Quote {
                venue,
                bid_bp,
                spread_bp,
                qty,
            },
        );
        let depth = (0usize..4, -60i64..60, 0i64..20, 1u32..4).prop_map(
            |(venue, bid_bp, spread_bp, levels)| Step::Depth {
                venue,
                bid_bp,
                spread_bp,
                levels,
            },
        );
        // Mostly small steps, some past the 2 s quote age.
        (
            prop_oneof![4 => quote, 1 => depth],
            prop_oneof![9 => 0i64..400, 1 => 0i64..5_000],
        )
    }

    proptest! {
        /// The incremental scan lists exactly what evaluating every pair
        /// afresh lists (same pairs, same order, same numbers and risk
        /// scores) after any sequence of quotes, depth snapshots and
        /// pauses long enough for quotes and snapshots to grow stale.
        #[test]
        fn prop_the_incremental_scan_lists_what_a_full_scan_lists(
            steps in proptest::collection::vec(step(), 1..80),
        ) {
            let catalog = crate::domain::Catalog::builtin(crate::domain::AccountMode::Demo);
            let inst = catalog.instrument_by_name("BTC/USDT").unwrap();
            let venues = catalog.instrument(inst).venues.clone();
            let cfg = builtin().scanners.arbitrage;
            let mut scanner = ArbitrageScanner::new(cfg.clone());
            let reference = ArbitrageScanner::new(cfg);
            let mut book = QuoteBook::new(&catalog);
            let mut t = Timestamp::from_secs(1_000);
            let fair = dec!(50000);
            let price = |bp: i64| (fair * (Decimal::ONE + Decimal::new(bp, 4))).round_dp(2);
            for (s, pause_ms) in steps {
                t = t.plus(pause_ms * MILLI);
                match s {
                    Step::Depth { venue, bid_bp, spread_bp, levels } => {
                        let v = venues[venue % venues.len()];
                        let ladder = |from: i64, dir: i64| {
                            (0..i64::from(levels))
                                .map(|k| Level {
                                    price: price(from + dir * k * 3),
                                    qty: Decimal::from(k + 1),
                                })
                                .collect()
                        };
                        book.update_depth(&crate::domain::Depth {
                            venue: v,
                            instrument: inst,
                            bids: ladder(bid_bp, -1),
                            asks: ladder(bid_bp + spread_bp, 1),
                            ts: t,
                        });
                    }
                    Step::Quote { venue, bid_bp, spread_bp, qty } => {
                        let q = Quote {
                            venue: venues[venue % venues.len()],
                            instrument: inst,
                            bid: price(bid_bp),
                            ask: price(bid_bp + spread_bp),
                            bid_qty: Decimal::from(qty),
                            ask_qty: Decimal::from(qty + 1),
                            ts: t,
                        };
                        book.update(&q);
                        let mut out = Findings::default();
                        let cx = ScanContext { catalog: &catalog, book: &book, now: t };
                        scanner.on_quote(&cx, &q, q.mid(), &mut out);
                        let got: Vec<ArbitrageDetail> = out
                            .found
                            .into_iter()
                            .map(|(_, d, _)| match d {
                                OpportunityDetail::Arbitrage(a) => a,
                                other => panic!("{other:?}"),
                            })
                            .collect();
                        let mut want = Vec::new();
                        reference.scan(&catalog, &book, inst, t, &mut want);
                        prop_assert_eq!(got, want);
                    }
                }
            }
        }
    }
}
