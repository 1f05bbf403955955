//! Cross-venue arbitrage: buy at one venue's ask, sell at another's bid.

use crate::domain::{
    ArbitrageDetail, Catalog, Direction, InstrumentId, Opportunity, OpportunityDetail,
    OpportunityKind, OpportunityTerms, Quote, ShownTerms, Timestamp, TradeShape, time::MILLI,
};
use crate::market::QuoteBook;
use crate::scanners::config::ArbitrageScannerConfig;
use crate::scanners::{Findings, ScanContext, Scanner};
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
}

/// Notional (quote currency) at which a book is considered deep enough
/// that size adds no risk to the score.
const DEEP_NOTIONAL: Decimal = Decimal::from_parts(10_000, 0, 0, false, 0);

impl ArbitrageScanner {
    /// A scanner with these settings.
    pub fn new(cfg: ArbitrageScannerConfig) -> Self {
        Self {
            cfg,
            scope: None,
            scratch: Vec::new(),
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

    /// Every venue pair of `instrument` whose net edge clears the minimum,
    /// appended to `out`.
    pub fn scan(
        &self,
        catalog: &Catalog,
        book: &QuoteBook,
        instrument: InstrumentId,
        now: Timestamp,
        out: &mut Vec<ArbitrageDetail>,
    ) {
        let max_age = self.cfg.max_quote_age_ms * MILLI;
        let venues = &catalog.instrument(instrument).venues;
        for &buy in venues {
            let Some(bq) = book.fresh_quote(buy, instrument, now, max_age) else {
                continue;
            };
            for &sell in venues {
                if sell == buy {
                    continue;
                }
                let Some(sq) = book.fresh_quote(sell, instrument, now, max_age) else {
                    continue;
                };
                // Cheap test first: almost every tick has no crossing at all.
                if sq.bid <= bq.ask {
                    continue;
                }
                if let Some(d) = self.evaluate(catalog, bq, sq, now) {
                    out.push(d);
                }
            }
        }
    }

    /// The numbers of buying at `bq`'s ask and selling at `sq`'s bid, if
    /// they clear the minimum net edge.
    pub fn evaluate(
        &self,
        catalog: &Catalog,
        bq: &Quote,
        sq: &Quote,
        now: Timestamp,
    ) -> Option<ArbitrageDetail> {
        let qty = bq.ask_qty.min(sq.bid_qty);
        if qty <= Decimal::ZERO || bq.ask <= Decimal::ZERO {
            return None;
        }
        let buy_notional = bq.ask * qty;
        let sell_notional = sq.bid * qty;
        let fees = buy_notional * catalog.venue(bq.venue).taker_fee
            + sell_notional * catalog.venue(sq.venue).taker_fee;
        let net = sell_notional - buy_notional - fees;
        // Dust (a tiny price times a tiny size) rounds the notional to zero:
        // no edge to speak of, and no division by it.
        let net_pct = net.checked_div(buy_notional)? * Decimal::ONE_HUNDRED;
        if net_pct < self.cfg.min_net_pct {
            return None;
        }
        let spread_pct = (sq.bid - bq.ask).checked_div(bq.ask)? * Decimal::ONE_HUNDRED;
        Some(ArbitrageDetail {
            buy_venue: bq.venue,
            sell_venue: sq.venue,
            buy_price: bq.ask,
            sell_price: sq.bid,
            qty,
            spread_pct: spread_pct.round_dp(4),
            fees: fees.round_dp(8),
            net_profit: net.round_dp(8),
            net_pct: net_pct.round_dp(4),
            risk_score: self.risk_score(bq, sq, buy_notional, spread_pct, now),
        })
    }

    /// A 0–100 heuristic: 40 points for quote age, 20 for a thin book,
    /// 30 for a spread too wide to be plausible (likely a stale or broken
    /// quote), 10 for the two quotes being far apart in time.
    fn risk_score(
        &self,
        bq: &Quote,
        sq: &Quote,
        buy_notional: Decimal,
        spread_pct: Decimal,
        now: Timestamp,
    ) -> u8 {
        let max_age = (self.cfg.max_quote_age_ms.max(1) * MILLI) as f64;
        let oldest = now.since(bq.ts).max(now.since(sq.ts)).max(0) as f64;
        let age = 40.0 * (oldest / max_age).min(1.0);
        let depth = (buy_notional / DEEP_NOTIONAL)
            .to_f64()
            .unwrap_or(0.0)
            .min(1.0);
        let thin = 20.0 * (1.0 - depth);
        let spread = spread_pct.to_f64().unwrap_or(0.0);
        let implausible = (15.0 * (spread - 1.0)).clamp(0.0, 30.0);
        let skew = 10.0 * ((bq.ts.since(sq.ts).abs() as f64) / max_age).min(1.0);
        (age + thin + implausible + skew).round().clamp(0.0, 100.0) as u8
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
    fn attaches_belief(&self) -> bool {
        false
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
    /// Every quote re-scans its instrument's venue pairs: the pairs found
    /// are the complete list, so a pending pair not found again vanished.
    fn on_quote(&mut self, cx: &ScanContext<'_>, q: &Quote, _mid: Decimal, out: &mut Findings) {
        let inst = q.instrument;
        if !self.scans(inst) {
            return;
        }
        let mut found = std::mem::take(&mut self.scratch);
        found.clear();
        self.scan(cx.catalog, cx.book, inst, cx.now, &mut found);
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
        TradeShape::CrossVenuePair {
            buy_venue: self.buy_venue,
            sell_venue: self.sell_venue,
            buy_price: self.buy_price,
            sell_price: self.sell_price,
            book_qty: self.qty,
        }
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
}
