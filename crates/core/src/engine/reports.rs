//! Execution reports: order status, fills into positions and cash, closed
//! round trips, binary settlement, uneven arbitrage legs.

use super::{Audit, Engine};
use crate::domain::plausible;
use crate::domain::{
    AccountId, BinaryContract, ExitReason, Fill, InstrumentId, OrderId, OrderPurpose, OrderStatus,
    OrderType, Side, TimeInForce, Timestamp,
};
use crate::execution::{ExecutionReport, ExecutionRequest};
use crate::portfolio::{Position, PositionKey};
use rust_decimal::Decimal;

impl Engine {
    pub(super) fn on_report(&mut self, r: ExecutionReport) {
        match r {
            ExecutionReport::Accepted { order_id, ts } => {
                self.set_status(order_id, OrderStatus::Open, ts, None, true);
            }
            ExecutionReport::Filled {
                order_id,
                trade_id,
                qty,
                price,
                fee,
                ts,
                contract,
            } => self.on_fill(order_id, trade_id, qty, price, fee, ts, contract),
            ExecutionReport::Cancelled {
                order_id,
                ts,
                reason,
            } => self.set_status(order_id, OrderStatus::Cancelled, ts, Some(reason), false),
            ExecutionReport::Expired { order_id, ts } => {
                self.set_status(order_id, OrderStatus::Expired, ts, None, false);
            }
            ExecutionReport::Rejected {
                order_id,
                ts,
                reason,
            } => {
                if let Some(o) = self.working.get(&order_id)
                    && o.purpose == OrderPurpose::Flatten
                {
                    let key = PositionKey {
                        account: o.account,
                        instrument: o.instrument,
                        contract: o.position_contract,
                    };
                    // Try again later (backing off) rather than hammering a broker that just said no.
                    self.kill.refused(key, ts, &reason);
                }
                self.set_status(order_id, OrderStatus::Rejected, ts, Some(reason), false);
            }
            ExecutionReport::CancelRejected { order_id, .. } => {
                // The order already ended; its final report carries the outcome.
                if !self.working.contains_key(&order_id) {
                    self.counters.unknown_reports += 1;
                }
            }
            ExecutionReport::BinarySettled {
                order_id,
                price,
                settle_price,
                ts,
            } => self.on_binary_settled(order_id, price, settle_price, ts),
            ExecutionReport::FeeInKind {
                account,
                instrument,
                trade_id,
                qty,
                ts,
            } => self.on_fee_in_kind(account, instrument, trade_id, qty, ts),
            ExecutionReport::VenueExit {
                account,
                instrument,
                trade_id,
                side,
                qty,
                price,
                fee,
                ts,
            } => self.on_venue_exit(account, instrument, trade_id, side, qty, price, fee, ts),
            ExecutionReport::VenueState {
                account,
                open_orders,
                positions,
                unreachable,
                cash,
                cash_paid_for_positions,
                other_positions,
                funds,
                ts,
            } => {
                if unreachable.is_none() {
                    self.reconcile_account(account, &positions, ts);
                    // The broker's figures first: a first adoption measures
                    // the day's start on them; the prop-firm limits last.
                    self.record_venue_funds(account, funds);
                    if let Some(cash) = cash {
                        self.adopt_venue_cash(account, cash, cash_paid_for_positions, ts);
                    }
                    self.watch_prop(account, ts);
                }
                let report = super::VenueReport {
                    ts,
                    open_orders,
                    positions: positions.len() + other_positions as usize,
                    unreachable,
                };
                if self.venue_reports.get(&account) != Some(&report) {
                    self.state_version += 1;
                }
                self.venue_reports.insert(account, report);
            }
        }
    }

    /// Moves an order to a new status and records it; terminal orders leave
    /// the working set.
    fn set_status(
        &mut self,
        id: OrderId,
        status: OrderStatus,
        ts: Timestamp,
        note: Option<String>,
        only_if_pending: bool,
    ) {
        let Some(o) = self.working.get_mut(&id) else {
            self.counters.unknown_reports += 1;
            return;
        };
        if only_if_pending && o.status != OrderStatus::Pending {
            return;
        }
        // A cancel after partial fills keeps the fills; the status says the rest is gone.
        o.status = status;
        o.updated = ts;
        self.outbox.audits.push(Audit::OrderChanged {
            id,
            status,
            filled_qty: o.filled_qty,
            avg_fill_price: o.avg_fill_price,
            fees: o.fees,
            ts,
            note,
        });
        if status.is_terminal() {
            self.finish_order(id);
        }
    }

    /// A fee kept in the instrument: the position shrinks by it, once per
    /// execution; an implausible amount is counted and ignored.
    fn on_fee_in_kind(
        &mut self,
        account: crate::domain::AccountId,
        instrument: crate::domain::InstrumentId,
        trade_id: String,
        qty: Decimal,
        ts: Timestamp,
    ) {
        // Only for an execution this engine booked, once.
        if !self.fresh_fills.contains(&trade_id) || !self.fill_ids.insert(format!("{trade_id}#fee"))
        {
            self.counters.duplicate_fills += 1;
            return;
        }
        let key = PositionKey {
            account,
            instrument,
            contract: 0,
        };
        let Some(p) = self.portfolio.positions.get_mut(&key) else {
            self.counters.unknown_reports += 1;
            return;
        };
        if qty <= Decimal::ZERO || !plausible::qty(qty) {
            self.counters.unknown_reports += 1;
            return;
        }
        p.take_fee_in_kind(qty, ts);
        let p = p.clone();
        if p.is_flat() {
            self.portfolio.positions.remove(&key);
            self.outbox.audits.push(Audit::PositionRemoved(key));
        } else {
            self.outbox.audits.push(Audit::PositionChanged(p));
        }
        self.state_version += 1;
    }

    /// An exit the venue executed itself ([`ExecutionReport::VenueExit`]):
    /// booked as an exit order the venue filled, recorded (the store keeps
    /// its fill, so a restart knows the trade id) and never sent, so it
    /// takes the path every fill takes: the trade id once, the
    /// plausibility checks, the position's realised P&L and fee, the
    /// closed trade. Only what reduces the book's position is booked: the
    /// venue closing what the book does not hold is counted and left to
    /// reconciliation, never booked as a new position.
    #[allow(clippy::too_many_arguments)]
    fn on_venue_exit(
        &mut self,
        account: AccountId,
        instrument: InstrumentId,
        trade_id: String,
        side: Side,
        qty: Decimal,
        price: Decimal,
        fee: Decimal,
        ts: Timestamp,
    ) {
        if self.fill_ids.contains(&trade_id) {
            self.counters.duplicate_fills += 1;
            return;
        }
        let key = PositionKey {
            account,
            instrument,
            contract: 0,
        };
        let Some(p) = self
            .portfolio
            .positions
            .get(&key)
            .filter(|p| !p.is_flat() && p.side() != side)
        else {
            self.counters.unknown_reports += 1;
            return;
        };
        // Up to what the book holds, with that share of the fee: the rest
        // closed something the book never had.
        let held = p.qty.abs();
        let (qty, fee) = if qty > held {
            let share = fee
                .checked_mul(held)
                .and_then(|f| f.checked_div(qty))
                .unwrap_or(Decimal::ZERO);
            (held, share)
        } else {
            (qty, fee)
        };
        let reason = venue_exit_reason(p, price);
        // The venue's order as it held it: a stop at the stop loss, a
        // limit at the take profit, good until it fired.
        let (order_type, limit_price, stop_price) = match reason {
            ExitReason::TakeProfit => (OrderType::Limit, p.take_profit, None),
            _ => (OrderType::Stop, None, p.stop_loss),
        };
        let id = OrderId(self.next_order_id);
        self.next_order_id += 1;
        let order = crate::domain::Order {
            id,
            account,
            instrument,
            venue: p.venue,
            side,
            order_type,
            tif: TimeInForce::Gtc,
            qty,
            limit_price,
            stop_price,
            reference_price: price,
            status: OrderStatus::Open,
            filled_qty: Decimal::ZERO,
            avg_fill_price: Decimal::ZERO,
            fees: Decimal::ZERO,
            purpose: OrderPurpose::Exit,
            exit_reason: Some(reason),
            opportunity: None,
            binary: None,
            position_contract: 0,
            stop_loss: None,
            take_profit: None,
            created: ts,
            updated: ts,
        };
        // Recorded before its fill (the store's fill row names its order),
        // and not counted as sent: the engine sent nothing.
        self.outbox.audits.push(Audit::OrderCreated(order.clone()));
        self.working.insert(id, order);
        self.on_fill(id, trade_id, qty, price, fee, ts, None);
        if self.working.contains_key(&id) {
            // Not booked (implausible numbers halted trading): the order
            // must not stay working, as nothing will ever fill it.
            self.set_status(
                id,
                OrderStatus::Rejected,
                ts,
                Some("the venue's exit could not be booked".into()),
                false,
            );
        }
        // The position is flat: a close of the engine's own still in
        // flight for it (its stop seen on a quote before the venue's fill
        // arrived) could now only open the other way, so it is cancelled;
        // the position's own stop and target went with it. A kill
        // switch's flatten is left to the kill switch, whose venue close
        // finds nothing left and refuses it.
        if !self.portfolio.positions.contains_key(&key)
            && let Some(&close) = self.closing.get(&key)
            && let Some(o) = self.working.get(&close)
            && o.purpose != OrderPurpose::Flatten
        {
            self.outbox.requests.push(ExecutionRequest::Cancel {
                order_id: close,
                account,
                venue: o.venue,
            });
        }
    }

    fn finish_order(&mut self, id: OrderId) {
        let Some(o) = self.working.remove(&id) else {
            return;
        };
        self.closing.retain(|_, oid| *oid != id);
        if o.purpose.reduces_risk() && !self.pending_unwinds.is_empty() {
            self.retry_unwinds();
        }
        match o.purpose {
            OrderPurpose::ArbitrageLeg => self.on_arb_leg_done(&o.id, o.filled_qty),
            OrderPurpose::CycleLeg => self.on_cycle_leg_done(o.id, o.filled_qty, o.avg_fill_price),
            _ => {}
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn on_fill(
        &mut self,
        id: OrderId,
        trade_id: String,
        qty: Decimal,
        price: Decimal,
        fee: Decimal,
        ts: Timestamp,
        contract: Option<BinaryContract>,
    ) {
        if !self.fill_ids.insert(trade_id.clone()) {
            self.counters.duplicate_fills += 1;
            return;
        }
        let Some(o) = self.working.get_mut(&id) else {
            self.counters.unknown_reports += 1;
            return;
        };
        let overfill = o
            .filled_qty
            .checked_add(qty)
            .is_none_or(|total| total > o.qty);
        if qty <= Decimal::ZERO
            || !plausible::qty(qty)
            || price < Decimal::ZERO
            || price > plausible::MAX_PRICE
            // A contract may be bought or sold back at 0; anything else
            // trades at a price some market has.
            || (o.binary.is_none() && contract.is_none() && !plausible::price(price))
            || !plausible::fee(fee)
            || overfill
        {
            // The broker says something that cannot be booked: more than
            // was ordered, or numbers no market has. The position is now
            // unknown, so nothing new may trade until the operator has
            // looked (fail closed); the report is kept in the audit.
            let cause = format!(
                "broker reported an implausible fill on order #{}: qty {qty} (ordered {}, filled {}) at {price}, fee {fee}; not booked",
                id.0, o.qty, o.filled_qty
            );
            self.counters.bad_fills += 1;
            self.set_state(crate::risk::TradingState::Halted, &cause);
            return;
        }
        self.last_activity.insert(o.account, ts);
        self.fresh_fills.insert(trade_id.clone());
        let prev = o.filled_qty;
        o.filled_qty += qty;
        o.avg_fill_price = (o.avg_fill_price * prev + price * qty) / o.filled_qty;
        o.fees += fee;
        o.updated = ts;
        if let Some(c) = contract {
            o.binary = Some(c);
        }
        o.status = if o.filled_qty >= o.qty {
            OrderStatus::Filled
        } else {
            OrderStatus::Partial
        };
        let order = o.clone();
        self.counters.fills += 1;
        self.outbox.audits.push(Audit::Fill {
            fill: Fill {
                order_id: id,
                trade_id,
                qty,
                price,
                fee,
                ts,
            },
            account: order.account,
            instrument: order.instrument,
            venue: order.venue,
            side: order.side,
        });
        self.outbox.audits.push(Audit::OrderChanged {
            id,
            status: order.status,
            filled_qty: order.filled_qty,
            avg_fill_price: order.avg_fill_price,
            fees: order.fees,
            ts,
            note: None,
        });
        let key = PositionKey {
            account: order.account,
            instrument: order.instrument,
            contract: order.position_contract,
        };
        let reason = order.exit_reason.unwrap_or(match order.purpose {
            OrderPurpose::ArbitrageLeg | OrderPurpose::CycleLeg => ExitReason::Arbitrage,
            OrderPurpose::Unwind => ExitReason::Unwind,
            OrderPurpose::Flatten => ExitReason::Flatten,
            _ => ExitReason::Signal,
        });
        let cross = self.cross_booking(&order);
        match cross {
            Some(c) => self.apply_cross_fill(&order, c, qty, price, fee, ts, reason),
            None => self.apply_fill(key, &order, qty, price, fee, ts, reason, None),
        }
        if order.purpose == OrderPurpose::CycleLeg {
            self.add_cycle_fee(id, cross.map_or(fee, |c| c.fee_in_currency(fee)));
        }
        if order.status.is_terminal() {
            self.finish_order(id);
        }
        self.watch_prop(order.account, ts);
    }

    /// Applies a fill to its position and the account's cash; records a
    /// closed trade when the position goes flat or flips. `settle_price` is
    /// the underlying's price at expiry when the fill is a binary contract's
    /// settlement: the closed trade keeps it beside the contract's strike.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn apply_fill(
        &mut self,
        key: PositionKey,
        order: &crate::domain::Order,
        qty: Decimal,
        price: Decimal,
        fee: Decimal,
        ts: Timestamp,
        reason: ExitReason,
        settle_price: Option<Decimal>,
    ) {
        let mut p = self
            .portfolio
            .positions
            .get(&key)
            .cloned()
            .unwrap_or_else(|| Position::new(key, order.venue, ts));
        let opening = p.is_flat();
        let entry_side = p.side();
        let entry_price = p.avg_price;
        let effect = p.apply(order.side, qty, price, fee, ts);
        if opening || effect.flipped {
            p.venue = order.venue;
            p.opportunity = order.opportunity;
            p.kind = order.opportunity.and_then(|_| self.kind_of_order(order));
            p.binary = order.binary;
            if opening {
                p.opened = ts;
            }
        }
        if (opening || effect.flipped) && order.stop_loss.is_some() {
            p.stop_loss = order.stop_loss;
            p.take_profit = order.take_profit;
        }
        let bal = &mut self.portfolio.balances[key.account.index()];
        bal.cash += effect.realized - fee;
        bal.realized_session += effect.realized - fee;
        let closed = !effect.closed_qty.is_zero() && (p.is_flat() || effect.flipped);
        if closed {
            // Fees of the opening side of a flip belong to the new round trip,
            // but splitting one fee is arbitrary; the closing trade takes it.
            let mut trade = p.closed_trade(entry_side, entry_price, reason, ts);
            trade.settle_price = settle_price;
            self.counters.trades += 1;
            self.counters.realized_pnl += trade.pnl;
            // A cycle's legs close trades on two instruments, one of them
            // often at a loss while the cycle gains: the loss streak and
            // the learning see the cycle as one result, when it ends.
            // (an unwind of what a cycle left is part of that result).
            let of_cycle = order.purpose == OrderPurpose::CycleLeg
                || (order.purpose == OrderPurpose::Unwind
                    && trade.kind == Some(crate::domain::OpportunityKind::Triangular));
            if !of_cycle {
                self.record_result(key.account, key.instrument, trade.kind, trade.pnl, ts);
            }
            self.outbox.audits.push(Audit::TradeClosed(trade));
            p.reset_round_trip(ts);
            if effect.flipped {
                p.stop_loss = order.stop_loss;
                p.take_profit = order.take_profit;
            }
        }
        self.outbox.audits.push(Audit::PositionChanged(p.clone()));
        self.portfolio.put(p);
        self.audit_account(key.account);
    }

    /// One trading result for the loss streak and the learning feedback of
    /// (instrument, kind).
    pub(super) fn record_result(
        &mut self,
        account: crate::domain::AccountId,
        instrument: crate::domain::InstrumentId,
        kind: Option<crate::domain::OpportunityKind>,
        pnl: Decimal,
        ts: Timestamp,
    ) {
        let cfg = self.gate.config();
        let (limit, secs) = (cfg.loss_streak_limit, cfg.loss_streak_cooldown_secs);
        self.account_risk[account.index()].record_trade(pnl, ts, limit, secs);
        if let Some(kind) = kind
            && !pnl.is_zero()
        {
            let e = self.learning.entry((instrument, kind)).or_insert((0, 0));
            if pnl > Decimal::ZERO {
                e.0 += 1;
            } else {
                e.1 += 1;
            }
            let (wins, losses) = *e;
            self.outbox.audits.push(Audit::LearningChanged {
                instrument,
                kind,
                wins,
                losses,
            });
        }
    }

    fn kind_of_order(
        &self,
        order: &crate::domain::Order,
    ) -> Option<crate::domain::OpportunityKind> {
        use crate::domain::OpportunityKind as K;
        Some(match order.purpose {
            OrderPurpose::CycleLeg => K::Triangular,
            OrderPurpose::ArbitrageLeg | OrderPurpose::Unwind => K::Arbitrage,
            _ if order.binary.is_some() => K::Binary,
            _ => K::Forex,
        })
    }

    /// Books a contract's settlement: `price` is its value per unit staked
    /// (what the sale books), `settle_price` the underlying's price at
    /// expiry (what the closed trade shows beside the strike).
    fn on_binary_settled(
        &mut self,
        order_id: OrderId,
        price: Decimal,
        settle_price: Decimal,
        ts: Timestamp,
    ) {
        let key = self
            .portfolio
            .positions
            .keys()
            .find(|k| k.contract == order_id.0)
            .copied();
        let Some(key) = key else {
            // Already sold back (e.g. flattened by the kill switch).
            self.counters.unknown_reports += 1;
            return;
        };
        let Some(p) = self.portfolio.positions.get(&key).cloned() else {
            return;
        };
        if price < Decimal::ZERO || price > plausible::MAX_PRICE {
            let cause = format!(
                "broker settled contract #{} at an implausible value {price}; not booked",
                order_id.0
            );
            self.counters.bad_fills += 1;
            self.set_state(crate::risk::TradingState::Halted, &cause);
            return;
        }
        // Settlement is a sale of the whole stake at the settlement value.
        let settle = crate::domain::Order {
            id: order_id,
            account: key.account,
            instrument: key.instrument,
            venue: p.venue,
            side: Side::Sell,
            order_type: crate::domain::OrderType::Market,
            tif: crate::domain::TimeInForce::Ioc,
            qty: p.qty.abs(),
            limit_price: None,
            stop_price: None,
            reference_price: price,
            status: OrderStatus::Filled,
            filled_qty: p.qty.abs(),
            avg_fill_price: price,
            fees: Decimal::ZERO,
            purpose: OrderPurpose::Exit,
            exit_reason: Some(ExitReason::Expiry),
            opportunity: p.opportunity,
            binary: p.binary,
            position_contract: key.contract,
            stop_loss: None,
            take_profit: None,
            created: ts,
            updated: ts,
        };
        self.apply_fill(
            key,
            &settle,
            p.qty.abs(),
            price,
            Decimal::ZERO,
            ts,
            ExitReason::Expiry,
            Some(settle_price),
        );
        self.binary_record.settle(order_id, price);
        // A sell-back in flight for this contract has nothing left to sell.
        self.closing.remove(&key);
    }

    /// When both legs of an arbitrage have ended, unwinds any difference
    /// between what was bought and what was sold.
    fn on_arb_leg_done(&mut self, id: &OrderId, filled: Decimal) {
        let Some(gi) = self
            .arb_groups
            .iter()
            .position(|g| g.buy == *id || g.sell == *id)
        else {
            return;
        };
        let g = &mut self.arb_groups[gi];
        if g.buy == *id {
            g.buy_filled = Some(filled);
        } else {
            g.sell_filled = Some(filled);
        }
        let (Some(b), Some(s)) = (g.buy_filled, g.sell_filled) else {
            return;
        };
        let g = self.arb_groups.remove(gi);
        let residue = b - s;
        if residue.is_zero() || self.kill.latched {
            // The kill switch flattens everything itself.
            return;
        }
        let key = PositionKey {
            account: g.account,
            instrument: g.instrument,
            contract: 0,
        };
        // Long residue: sell where we meant to sell; short: buy where we
        // meant to buy; never more than the position holds that way.
        let venue = if residue > Decimal::ZERO {
            g.sell_venue
        } else {
            g.buy_venue
        };
        self.send_unwind(key, venue, residue);
    }
}

/// Which of a position's exits the venue's fill at `price` was: the one
/// whose level is nearer (a stop fills at or beyond its price, a take
/// profit at it or better); the stop loss when the book knows neither.
fn venue_exit_reason(p: &Position, price: Decimal) -> ExitReason {
    match (p.stop_loss, p.take_profit) {
        (Some(sl), Some(tp)) if (price - tp).abs() < (price - sl).abs() => ExitReason::TakeProfit,
        (None, Some(_)) => ExitReason::TakeProfit,
        _ => ExitReason::StopLoss,
    }
}
