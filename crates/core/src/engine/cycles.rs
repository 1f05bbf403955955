//! Triangular cycles after approval: fills on a cross pair booked as the
//! two assets they move, and the unwind of a cycle whose legs filled
//! unevenly.
//!
//! The book holds positions against the account's currency. A fill on a
//! cross pair (ETH/BTC in a USDT account) is booked as what it does to
//! those: buying 0.4 ETH/BTC at 0.05 is buying 0.4 ETH/USDT at 0.05 × m
//! and selling 0.02 BTC/USDT at m, where m is BTC/USDT's mid on the venue.
//! The two amounts of USDT cancel, so m moves nothing but where the P&L is
//! booked: a cycle's realised P&L is exactly what came back less what went
//! out, less the fees (the cross pair's fee converted at m).

use super::{Audit, Engine};
use crate::domain::{CycleLeg, ExitReason, InstrumentId, Order, OrderId, OrderPurpose, Side};
use crate::domain::{Timestamp, plausible};
use crate::portfolio::PositionKey;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// Where a cross pair's fill is booked: the instruments of its base and
/// quote assets against the account's currency, and the quote asset's
/// price in that currency.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct CrossBooking {
    base: InstrumentId,
    quote: InstrumentId,
    quote_price: Decimal,
}

impl CrossBooking {
    /// A fee charged in the pair's quote asset, in the account's currency.
    pub(super) fn fee_in_currency(&self, fee: Decimal) -> Decimal {
        fee * self.quote_price
    }
}

impl Engine {
    /// How a fill of `order` is booked, when its instrument is a cross pair
    /// of the account: its quote asset is not the account's currency, and
    /// the catalog lists both its assets against that currency. `None`
    /// books it on its own instrument, as every other fill.
    pub(super) fn cross_booking(&self, order: &Order) -> Option<CrossBooking> {
        // Only a cycle's legs: any other order on a cross pair (a forex
        // signal on EUR/GBP) is a position on that pair, as the venue holds it.
        if order.purpose != OrderPurpose::CycleLeg {
            return None;
        }
        let (base, quote) = self.catalog.cross_pairs(order.account, order.instrument)?;
        // The venue's own mid (the cycle traded that pair there), as the
        // paper venue converts; a plausible price or no conversion at all.
        let quote_price = self
            .book
            .quote(order.venue, quote)
            .map(|q| q.mid())
            .filter(|p| plausible::price(*p))?;
        Some(CrossBooking {
            base,
            quote,
            quote_price,
        })
    }

    /// Books a cross pair's fill as a fill of its base asset and the
    /// opposite fill of its quote asset, both against the account's
    /// currency; the fee, charged in the quote asset, is converted.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn apply_cross_fill(
        &mut self,
        order: &Order,
        cross: CrossBooking,
        qty: Decimal,
        price: Decimal,
        fee: Decimal,
        ts: Timestamp,
        reason: ExitReason,
    ) {
        let m = cross.quote_price;
        // Plausible prices, quantities and fees: far from overflow.
        let base_price = price * m;
        let quote_qty = qty * price;
        let mut base_leg = order.clone();
        base_leg.instrument = cross.base;
        base_leg.stop_loss = None;
        base_leg.take_profit = None;
        let key = |instrument| PositionKey {
            account: order.account,
            instrument,
            contract: 0,
        };
        self.apply_fill(
            key(cross.base),
            &base_leg,
            qty,
            base_price,
            fee * m,
            ts,
            reason,
            None,
        );
        let mut quote_leg = base_leg.clone();
        quote_leg.instrument = cross.quote;
        quote_leg.side = order.side.opposite();
        self.apply_fill(
            key(cross.quote),
            &quote_leg,
            quote_qty,
            m,
            Decimal::ZERO,
            ts,
            reason,
            None,
        );
    }

    /// Adds a cycle leg's fee, in the account's currency, to its cycle.
    pub(super) fn add_cycle_fee(&mut self, id: OrderId, fee: Decimal) {
        if let Some(g) = self
            .cycle_groups
            .iter_mut()
            .find(|g| g.orders.contains(&id))
        {
            g.fees += fee;
        }
    }

    /// Records that a cycle leg ended with `filled` at `avg`; once all three
    /// have, unwinds what the cycle left of its two middle assets and says
    /// so when a leg fell short.
    pub(super) fn on_cycle_leg_done(&mut self, id: OrderId, filled: Decimal, avg: Decimal) {
        let Some(gi) = self
            .cycle_groups
            .iter()
            .position(|g| g.orders.contains(&id))
        else {
            return;
        };
        let g = &mut self.cycle_groups[gi];
        let Some(k) = g.orders.iter().position(|o| *o == id) else {
            return;
        };
        g.done[k] = Some((filled, avg));
        if g.done.iter().any(Option::is_none) {
            return;
        }
        let g = self.cycle_groups.remove(gi);
        let fills: Vec<(CycleLeg, Decimal, Decimal)> = g
            .legs
            .iter()
            .zip(g.done)
            .map(|(l, d)| {
                let (f, p) = d.unwrap_or_default();
                (*l, f, p)
            })
            .collect();
        // What the three legs did to each asset.
        let mut moved: BTreeMap<String, Decimal> = BTreeMap::new();
        for (leg, filled, avg) in &fills {
            let Some((base, quote)) = self.catalog.instrument(leg.instrument).assets() else {
                continue;
            };
            let paid = *filled * *avg;
            let (b, q) = match leg.side {
                Side::Buy => (*filled, -paid),
                Side::Sell => (-*filled, paid),
            };
            *moved.entry(base.to_string()).or_default() += b;
            *moved.entry(quote.to_string()).or_default() += q;
        }
        // The cycle's one result for the loss streak and the learning: what
        // came back of the account's currency less what went out, what is
        // left of the middle assets at the venue's mids, less the fees. Not
        // the positions' realised P&L, which is measured against whatever
        // they held before; and the unwinds that follow are part of it.
        let currency = self.catalog.account(g.account).currency.clone();
        let mut result = -g.fees;
        for (asset, amount) in &moved {
            if *asset == currency {
                result += *amount;
            } else if let Some(mid) = self
                .catalog
                .pair(asset, &currency)
                .and_then(|i| self.book.quote(g.venue, i))
                .map(|q| q.mid())
            {
                result += *amount * mid;
            }
        }
        if !result.is_zero() {
            self.record_result(
                g.account,
                g.legs[0].instrument,
                Some(crate::domain::OpportunityKind::Triangular),
                result,
                self.clock,
            );
        }
        let short: Vec<String> = fills
            .iter()
            .zip(g.planned)
            .filter(|((_, filled, _), planned)| filled < planned)
            .map(|((leg, filled, _), planned)| {
                format!(
                    "{} {} filled {} of {}",
                    leg.side.as_str(),
                    self.catalog.instrument(leg.instrument).name,
                    filled.normalize(),
                    planned.normalize()
                )
            })
            .collect();
        if short.is_empty() || self.kill.latched {
            // Filled as sent (what rounding left is dust, shown in the
            // positions), or the kill switch flattens everything itself.
            return;
        }
        let mut actions = Vec::new();
        let middle: Vec<(String, Decimal)> = moved
            .iter()
            .filter(|(asset, _)| **asset != currency)
            .map(|(a, d)| (a.clone(), *d))
            .collect();
        for (asset, left) in middle {
            if left.is_zero() {
                continue;
            }
            actions.push(self.unwind_asset(g.account, g.venue, &asset, &currency, left));
        }
        let account = self.catalog.account(g.account).name.clone();
        let venue = self.catalog.venue(g.venue).name.clone();
        let text = format!(
            "{account}: triangular cycle on {venue}: {}; {}",
            short.join(", "),
            if actions.is_empty() {
                "nothing left to unwind".to_string()
            } else {
                actions.join(", ")
            }
        );
        self.outbox.audits.push(Audit::Alert {
            rule: "triangular".into(),
            text,
            ts: self.clock,
        });
        self.state_version += 1;
    }

    /// Sends the order that takes `left` of `asset` (positive: held, so
    /// sold) back to the account's currency on `venue`; says what it did.
    fn unwind_asset(
        &mut self,
        account: crate::domain::AccountId,
        venue: crate::domain::VenueId,
        asset: &str,
        currency: &str,
        left: Decimal,
    ) -> String {
        let left = left.normalize();
        let Some(instrument) = self.catalog.pair(asset, currency) else {
            return format!("{left} {asset} left: no {asset}/{currency} to unwind on");
        };
        let key = PositionKey {
            account,
            instrument,
            contract: 0,
        };
        let name = self.catalog.instrument(instrument).name.clone();
        if self.closing.contains_key(&key) {
            // One close per position: this one waits for the other to end.
            self.pending_unwinds.push((key, venue, left));
            return format!("unwinding {left} {asset} once the close in flight on {name} ends");
        }
        match self.send_unwind(key, venue, left) {
            Some((side, qty)) => format!("unwinding {} {} {name}", side.as_str(), qty.normalize()),
            None => format!("{left} {asset} left (below {name}'s minimum, kept)"),
        }
    }

    /// Sends the unwinds that waited for a close of their position, now
    /// that one has ended (unless the kill switch flattens everything).
    pub(super) fn retry_unwinds(&mut self) {
        let pending = std::mem::take(&mut self.pending_unwinds);
        for (key, venue, left) in pending {
            if self.kill.latched {
                continue;
            }
            if self.closing.contains_key(&key) {
                self.pending_unwinds.push((key, venue, left));
                continue;
            }
            self.send_unwind(key, venue, left);
        }
    }

    /// The unwind order for `left` of a position (positive: held, so sold;
    /// a cycle's middle asset or a cross-venue pair's uneven legs): no more
    /// than the book holds that way, on the lot grid; `None` when that is
    /// below the instrument's minimum (dust, kept).
    pub(super) fn send_unwind(
        &mut self,
        key: PositionKey,
        venue: crate::domain::VenueId,
        left: Decimal,
    ) -> Option<(Side, Decimal)> {
        let inst = self.catalog.instrument(key.instrument);
        let (lot, min_qty) = (inst.lot_size, inst.min_qty);
        let side = if left > Decimal::ZERO {
            Side::Sell
        } else {
            Side::Buy
        };
        let held = self
            .portfolio
            .positions
            .get(&key)
            .map_or(Decimal::ZERO, |p| p.qty);
        // Never more than the position holds in that direction.
        let same_way = (held > Decimal::ZERO) == (left > Decimal::ZERO);
        let qty = if same_way && !held.is_zero() {
            floor_to(left.abs().min(held.abs()), lot)
        } else {
            Decimal::ZERO
        };
        if qty.is_zero() || qty < min_qty {
            return None;
        }
        let reference = self
            .book
            .quote(venue, key.instrument)
            .map_or(Decimal::ZERO, |q| {
                if side == Side::Sell { q.bid } else { q.ask }
            });
        self.send_close(
            key,
            venue,
            side,
            qty,
            reference,
            OrderPurpose::Unwind,
            ExitReason::Unwind,
        );
        Some((side, qty))
    }
}

/// `x` down to a multiple of `step` (zero on overflow or a bad step).
fn floor_to(x: Decimal, step: Decimal) -> Decimal {
    if step <= Decimal::ZERO {
        return x;
    }
    x.checked_div(step)
        .map_or(Decimal::ZERO, |n| n.floor() * step)
}
