//! Market events: quotes, trades and bars move the book, build bars, feed
//! the scanners, and trigger exits.

use super::Engine;
use crate::domain::{
    Bar, BetaBelief, Direction, ExitReason, InstrumentId, Opportunity, OpportunityDetail,
    OpportunityId, OpportunityStatus, OrderPurpose, OrderType, Quote, Side, TimeInForce, Trade,
};
use crate::market::MarketEvent;
use crate::portfolio::PositionKey;
use crate::scanners::{Findings, ScanContext, Scanner};
use rust_decimal::prelude::ToPrimitive;

impl Engine {
    pub(super) fn on_market(&mut self, event: &MarketEvent) {
        self.counters.market_events += 1;
        match event {
            MarketEvent::Quote(q) => self.on_quote(q),
            MarketEvent::Trade(t) => self.on_trade(t),
            MarketEvent::Bar(b) => self.on_venue_bar(b, true),
            MarketEvent::History(b) => self.on_venue_bar(b, false),
            MarketEvent::Depth(d) => self.on_depth(d),
        }
    }

    /// Keeps a venue's depth snapshot for sizing. One that names no market
    /// of the catalog, is not ordered, positive and plausible, or is out of
    /// order, is dropped and counted. A snapshot cannot invent an edge:
    /// sizing takes the top from the guarded quotes and only the levels
    /// behind it from here, so a broken level can only end a walk early.
    fn on_depth(&mut self, d: &crate::domain::Depth) {
        use crate::domain::plausible;
        let valid = d.venue.index() < self.catalog.venues.len()
            && d.instrument.index() < self.catalog.instruments.len()
            && d.is_sane()
            && d.bids
                .iter()
                .chain(&d.asks)
                .all(|l| plausible::price(l.price) && plausible::qty(l.qty));
        if !valid || !self.book.update_depth(d) {
            self.counters.dropped_depth += 1;
            return;
        }
        self.counters.depth += 1;
    }

    fn on_quote(&mut self, q: &Quote) {
        let valid_ids = q.venue.index() < self.catalog.venues.len()
            && q.instrument.index() < self.catalog.instruments.len();
        if !valid_ids {
            self.counters.dropped_quotes += 1;
            return;
        }
        if self
            .book
            .quote(q.venue, q.instrument)
            .is_some_and(|held| q.ts < held.ts)
        {
            // Out of order: older than what the book holds.
            self.counters.dropped_quotes += 1;
            return;
        }
        let mid = match self.guard.check_quote(&self.catalog, &self.book, q) {
            Ok(mid) => mid,
            Err(_) => {
                self.counters.quarantine(q.venue);
                return;
            }
        };
        if !self.book.update_with_mid(q, mid) {
            self.counters.dropped_quotes += 1;
            return;
        }
        self.counters.quotes += 1;
        let inst = q.instrument;
        if q.venue == self.catalog.instrument(inst).primary_venue() {
            let mut bars = std::mem::take(&mut self.scratch_bars);
            self.bars[inst.index()].on_quote(q.ts, mid, &mut bars);
            for b in bars.drain(..) {
                self.on_completed_bar(&b);
            }
            self.scratch_bars = bars;
        }
        self.run_scanners(|s, cx, out| s.on_quote(cx, q, mid, out));
        if self.portfolio.open_on(inst) > 0 {
            self.check_exits(q);
        }
    }

    fn on_trade(&mut self, t: &Trade) {
        if t.instrument.index() >= self.catalog.instruments.len()
            || t.venue.index() >= self.catalog.venues.len()
        {
            self.counters.dropped_quotes += 1;
            return;
        }
        if t.venue != self.catalog.instrument(t.instrument).primary_venue() {
            return;
        }
        if self
            .guard
            .check_trade(&self.catalog, &self.book, t)
            .is_err()
        {
            self.counters.quarantine(t.venue);
            return;
        }
        if let Some(tracker) = self.trackers.get_mut(t.instrument.index()) {
            let buy = t.aggressor == crate::domain::Aggressor::Buy;
            tracker.on_trade(t.ts, t.qty.to_f64().unwrap_or(0.0), buy);
        }
        let mut bars = std::mem::take(&mut self.scratch_bars);
        self.bars[t.instrument.index()].on_trade(t.ts, t.price, t.qty, &mut bars);
        for b in bars.drain(..) {
            self.on_completed_bar(&b);
        }
        self.scratch_bars = bars;
    }

    /// A closed bar from a venue (`live`) or a history back-fill.
    pub(super) fn on_venue_bar(&mut self, bar: &Bar, live: bool) {
        if bar.instrument.index() >= self.catalog.instruments.len() {
            self.counters.dropped_quotes += 1;
            return;
        }
        if self
            .guard
            .check_bar(&self.catalog, &self.book, bar, live, self.clock)
            .is_err()
        {
            // Bars name no venue: they come from the instrument's primary one.
            let venue = self.catalog.instrument(bar.instrument).primary_venue();
            self.counters.quarantine(venue);
            return;
        }
        let mut bars = std::mem::take(&mut self.scratch_bars);
        self.bars[bar.instrument.index()].on_bar(bar, live, &mut bars);
        for b in bars.drain(..) {
            self.on_completed_bar_with(&b, live);
        }
        self.scratch_bars = bars;
    }

    fn on_completed_bar(&mut self, bar: &Bar) {
        self.on_completed_bar_with(bar, true);
    }

    /// Feeds the ensemble and the scanners; only live bars may open an
    /// opportunity.
    fn on_completed_bar_with(&mut self, bar: &Bar, live: bool) {
        if self.config.ensemble.enabled && !self.models.is_empty() {
            let f = |d: rust_decimal::Decimal| d.to_f64().unwrap_or(0.0);
            let input = crate::features::BarInput {
                close_ts: bar.open_ts.plus(bar.timeframe.nanos()),
                open: f(bar.open),
                high: f(bar.high),
                low: f(bar.low),
                close: f(bar.close),
                volume: f(bar.volume),
            };
            let ctx = self.bar_context(bar, input.close_ts);
            if let Some(t) = self.trackers.get_mut(bar.instrument.index()) {
                t.on_bar_with(&self.models, bar.timeframe, &input, &ctx);
            }
        }
        self.run_scanners(|s, cx, out| s.on_bar(cx, bar, live, out));
    }

    /// What the ensemble knows at a bar's close besides the bar: the other
    /// venues' latest mids of the instrument, the primary venue's top of
    /// book (a quote more than [`crate::features::context::STALE_BARS`]
    /// bars from the close counts as none; a bar completes when the next
    /// one's first tick arrives, so the latest quote may be a little after
    /// it), and the taker share of the bar's trades.
    fn bar_context(
        &self,
        bar: &Bar,
        close_ts: crate::domain::Timestamp,
    ) -> crate::features::BarContext {
        let f = |d: rust_decimal::Decimal| d.to_f64().unwrap_or(0.0);
        let inst = self.catalog.instrument(bar.instrument);
        let max_age = crate::features::context::STALE_BARS * bar.timeframe.nanos();
        let fresh = |v: crate::domain::VenueId| {
            self.book
                .quote(v, bar.instrument)
                .filter(|q| close_ts.since(q.ts).abs() <= max_age)
        };
        let mut ctx = crate::features::BarContext::default();
        for (slot, v) in ctx.others.iter_mut().zip(inst.venues.iter().skip(1)) {
            *slot = fresh(*v).map(|q| f(q.mid()));
        }
        ctx.book = fresh(inst.primary_venue()).map(|q| crate::features::TopOfBook {
            bid: f(q.bid),
            ask: f(q.ask),
            bid_qty: f(q.bid_qty),
            ask_qty: f(q.ask_qty),
        });
        ctx.taker_buy_share = self
            .trackers
            .get(bar.instrument.index())
            .and_then(|t| t.taker_buy_share(bar.timeframe, bar.open_ts));
        ctx
    }

    /// Shows one market event to every scanner in turn (`see` calls the
    /// scanner's hook), applying each one's findings before the next looks.
    fn run_scanners(
        &mut self,
        mut see: impl FnMut(&mut dyn Scanner, &ScanContext<'_>, &mut Findings),
    ) {
        for i in 0..self.scanners.len() {
            let mut out = std::mem::take(&mut self.findings);
            out.clear();
            let cx = ScanContext {
                catalog: &self.catalog,
                book: &self.book,
                now: self.clock,
            };
            see(self.scanners[i].as_mut(), &cx, &mut out);
            self.apply_findings(i, &mut out);
            self.findings = out;
        }
    }

    /// Lists, refreshes and retires opportunities from what scanner `i`
    /// found: with a complete list for an instrument, a pending opportunity
    /// whose key is not found again vanishes, and one that is found again
    /// is refreshed in place; a new finding is listed (replacing the worst
    /// when the scanner's limit is reached, or dropped if it is no better).
    fn apply_findings(&mut self, i: usize, out: &mut Findings) {
        if out.complete_for.is_none() && out.found.is_empty() && out.gone.is_empty() {
            return;
        }
        let scanner = &self.scanners[i];
        let (kind, ttl, max_pending, belief_horizon) = (
            scanner.kind(),
            scanner.ttl_secs(),
            scanner.max_pending(),
            scanner.belief_horizon(),
        );
        if let Some(inst) = out.complete_for {
            for id in self.opportunities.ids_of(kind, inst) {
                let still = self.opportunities.get(id).is_some_and(|o| {
                    let key = o.detail.terms().key();
                    out.found
                        .iter()
                        .any(|(i, d, _)| *i == inst && d.terms().key() == key)
                });
                if !still {
                    self.close_opportunity(id, OpportunityStatus::Vanished);
                }
            }
        }
        for (inst, key) in out.gone.drain(..) {
            if let Some(id) = self.opportunities.find_mut(kind, inst, key).map(|o| o.id) {
                self.close_opportunity(id, OpportunityStatus::Vanished);
            }
        }
        let now = self.clock;
        let keyed = out.keyed || out.complete_for.is_some();
        for (inst, mut detail, score) in out.found.drain(..) {
            let belief = belief_horizon.and_then(|h| self.belief(inst, h));
            let score = self.scanners[i].calibrate(&mut detail, belief, score);
            if keyed {
                let key = detail.terms().key();
                if let Some(o) = self.opportunities.find_mut(kind, inst, key) {
                    o.detail = detail;
                    o.score = score;
                    o.updated = now;
                    if belief_horizon.is_some() {
                        o.belief = belief;
                    }
                    let id = o.id;
                    self.maybe_auto_approve(id);
                    continue;
                }
            }
            if let Some(max) = max_pending
                && self.opportunities.count(kind) >= max
            {
                match self.opportunities.worst(kind) {
                    Some(w) if w.score < score => {
                        let id = w.id;
                        self.close_opportunity(id, OpportunityStatus::Vanished);
                    }
                    _ => continue,
                }
            }
            self.open_opportunity(inst, detail, score, ttl, belief_horizon);
        }
    }

    /// Lists a new opportunity, then lets the approval policy look at it.
    pub(super) fn open_opportunity(
        &mut self,
        instrument: InstrumentId,
        detail: OpportunityDetail,
        score: f64,
        ttl_secs: i64,
        belief_horizon: Option<crate::ensemble::Horizon>,
    ) -> OpportunityId {
        let id = OpportunityId(self.next_opportunity_id);
        self.next_opportunity_id += 1;
        let now = self.clock;
        let detail_kind = detail.kind();
        let o = Opportunity {
            id,
            instrument,
            detail,
            score,
            created: now,
            updated: now,
            expires: now.plus_secs(ttl_secs),
            belief: belief_horizon.and_then(|h| self.belief(instrument, h)),
            feedback_scale: self.feedback_scale(instrument, detail_kind),
        };
        self.counters.opportunities.bump(o.kind());
        if o.expires < self.next_deadline {
            self.next_deadline = o.expires;
        }
        self.outbox
            .audits
            .push(super::Audit::OpportunityOpened(o.clone()));
        self.opportunities.insert(o);
        self.maybe_auto_approve(id);
        id
    }

    /// The belief of the ensemble for `horizon` about an instrument, when
    /// models are loaded and warm.
    pub fn belief(
        &self,
        instrument: InstrumentId,
        horizon: crate::ensemble::Horizon,
    ) -> Option<BetaBelief> {
        if !self.config.ensemble.enabled {
            return None;
        }
        self.trackers
            .get(instrument.index())?
            .combined(horizon)
            .map(|c| c.belief)
    }

    /// Removes a pending opportunity with a final status.
    pub(super) fn close_opportunity(
        &mut self,
        id: OpportunityId,
        status: OpportunityStatus,
    ) -> Option<Opportunity> {
        let o = self.opportunities.remove(id)?;
        match status {
            OpportunityStatus::Expired => self.counters.expired += 1,
            OpportunityStatus::Vanished => self.counters.vanished += 1,
            OpportunityStatus::Rejected => self.counters.rejections += 1,
            _ => {}
        }
        self.outbox.audits.push(super::Audit::OpportunityClosed {
            id,
            kind: o.kind(),
            instrument: o.instrument,
            status,
            ts: self.clock,
        });
        Some(o)
    }

    /// Sends an exit for every position on this quote's instrument whose
    /// stop-loss or take-profit the quote reached.
    fn check_exits(&mut self, q: &Quote) {
        let mut exits = Vec::new();
        for p in self.portfolio.positions.values() {
            if p.key.instrument != q.instrument
                || p.venue != q.venue
                || p.binary.is_some()
                || self.closing.contains_key(&p.key)
            {
                continue;
            }
            let long = Engine::position_direction(p) == Direction::Up;
            // A long exits by selling at the bid, a short by buying at the ask.
            let px = if long { q.bid } else { q.ask };
            let stop_hit = p
                .stop_loss
                .is_some_and(|s| if long { px <= s } else { px >= s });
            let take_hit = p
                .take_profit
                .is_some_and(|t| if long { px >= t } else { px <= t });
            if stop_hit || take_hit {
                let reason = if stop_hit {
                    ExitReason::StopLoss
                } else {
                    ExitReason::TakeProfit
                };
                exits.push((p.key, p.venue, p.side().opposite(), p.qty.abs(), px, reason));
            }
        }
        for (key, venue, side, qty, px, reason) in exits {
            self.send_close(key, venue, side, qty, px, OrderPurpose::Exit, reason);
        }
    }

    /// Sends a market order closing (part of) a position; remembers it so
    /// only one close per position is in flight.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn send_close(
        &mut self,
        key: PositionKey,
        venue: crate::domain::VenueId,
        side: Side,
        qty: rust_decimal::Decimal,
        reference: rust_decimal::Decimal,
        purpose: OrderPurpose,
        reason: ExitReason,
    ) {
        let binary = self.portfolio.positions.get(&key).and_then(|p| p.binary);
        let id = self.create_order(super::trading::NewOrder {
            account: key.account,
            instrument: key.instrument,
            venue,
            side,
            order_type: OrderType::Market,
            tif: TimeInForce::Ioc,
            qty,
            limit_price: None,
            reference_price: reference,
            purpose,
            exit_reason: Some(reason),
            opportunity: None,
            binary,
            position_contract: key.contract,
            stop_loss: None,
            take_profit: None,
        });
        self.closing.insert(key, id);
        // The order joined the account's throttle window: store it with the order.
        self.audit_account(key.account);
    }
}
