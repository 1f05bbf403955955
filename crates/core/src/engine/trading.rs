//! From an approved opportunity to orders: route to accounts, size, ask the
//! gate, create orders.

use super::{ArbGroup, Audit, CycleGroup, Decision, Engine};
use crate::approval::config::ApprovalMode;
use crate::domain::{
    AccountId, BinaryContract, Direction, ExitReason, InstrumentId, Opportunity, OpportunityId,
    OpportunityKind, OpportunityStatus, Order, OrderId, OrderPurpose, OrderStatus, OrderType,
    ShapeKind, Side, TimeInForce, TradeShape, VenueId, time::MINUTE,
};
use crate::execution::ExecutionRequest;
use crate::portfolio::PositionKey;
use crate::risk::{GateContext, IntentLeg, OrderIntent, Verdict};
use crate::router::sizing::{SizingInput, cycle_limits, cycle_quantities, size};
use rust_decimal::Decimal;

/// Everything needed to create an order.
pub(super) struct NewOrder {
    pub account: AccountId,
    pub instrument: InstrumentId,
    pub venue: VenueId,
    pub side: Side,
    pub order_type: OrderType,
    pub tif: TimeInForce,
    pub qty: Decimal,
    pub limit_price: Option<Decimal>,
    pub reference_price: Decimal,
    pub purpose: OrderPurpose,
    pub exit_reason: Option<ExitReason>,
    pub opportunity: Option<OpportunityId>,
    pub binary: Option<BinaryContract>,
    pub position_contract: u64,
    pub stop_loss: Option<Decimal>,
    pub take_profit: Option<Decimal>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ApprovedBy {
    Operator,
    Policy,
}

impl Engine {
    /// Approves under the current mode if the policy says so.
    pub(super) fn maybe_auto_approve(&mut self, id: OpportunityId) {
        let approve = match self.approval_mode {
            ApprovalMode::Manual => false,
            ApprovalMode::All => true,
            ApprovalMode::Auto => self
                .opportunities
                .get(id)
                .is_some_and(|o| self.scanner(o.kind()).is_some_and(|s| s.auto_approves(o))),
        };
        if approve {
            self.approve(id, ApprovedBy::Policy);
        }
    }

    /// Takes the opportunity off the queue and routes it to its accounts.
    pub(super) fn approve(&mut self, id: OpportunityId, by: ApprovedBy) -> bool {
        let Some(opp) = self.close_opportunity(id, OpportunityStatus::Approved) else {
            return false;
        };
        match by {
            ApprovedBy::Operator => self.counters.operator_approvals += 1,
            ApprovedBy::Policy => self.counters.policy_approvals += 1,
        }
        let accounts = self
            .router
            .accounts_for(opp.kind(), opp.instrument)
            .to_vec();
        for account in accounts {
            self.decide(&opp, account);
        }
        true
    }

    /// Sizes the account's intent, builds it, and asks the gate.
    pub(crate) fn intent_for(
        &self,
        opp: &Opportunity,
        account: AccountId,
    ) -> (OrderIntent, Decimal, Decimal) {
        let inst = self.catalog.instrument(opp.instrument);
        let equity = self.equity(account);
        let plain_key = PositionKey {
            account,
            instrument: opp.instrument,
            contract: 0,
        };
        let mark = self.mark(opp.instrument).unwrap_or(Decimal::ZERO);
        let trade = opp.detail.terms().trade();
        let (position_qty, size_mark, lot) = match trade {
            TradeShape::Contract { .. } => {
                let stakes: Decimal = self
                    .portfolio
                    .of_account(account)
                    .filter(|p| p.key.instrument == opp.instrument && p.binary.is_some())
                    .map(|p| p.qty)
                    .sum();
                (stakes, Decimal::ONE, Decimal::new(1, 2))
            }
            // Sized in the start asset; a cycle leaves no position behind.
            TradeShape::Cycle { .. } => (Decimal::ZERO, Decimal::ONE, Decimal::new(1, 8)),
            _ => (
                self.portfolio
                    .positions
                    .get(&plain_key)
                    .map_or(Decimal::ZERO, |p| p.qty),
                mark,
                inst.lot_size,
            ),
        };
        let profile = self
            .gate
            .config()
            .profiles
            .of(self.catalog.account(account).profile);
        let sized = size(&SizingInput {
            opportunity: opp,
            equity,
            position_qty,
            mark: size_mark,
            lot_size: lot,
            profile,
            limits: self.gate.config(),
        });
        let primary = inst.primary_venue();
        let (legs, direction) = match trade {
            TradeShape::CrossVenuePair {
                buy_venue,
                sell_venue,
                buy_price,
                sell_price,
                ..
            } => (
                vec![
                    IntentLeg {
                        venue: buy_venue,
                        instrument: opp.instrument,
                        side: Side::Buy,
                        qty: sized.qty,
                        price: buy_price,
                    },
                    IntentLeg {
                        venue: sell_venue,
                        instrument: opp.instrument,
                        side: Side::Sell,
                        qty: sized.qty,
                        price: sell_price,
                    },
                ],
                Direction::Up,
            ),
            TradeShape::Cycle {
                venue,
                legs,
                net_return,
                ..
            } => {
                let lots = legs.map(|l| self.catalog.instrument(l.instrument).lot_size);
                let mut at_limits = legs;
                for (leg, limit) in at_limits
                    .iter_mut()
                    .zip(self.cycle_limits(opp, &legs, net_return))
                {
                    leg.price = limit;
                }
                // On overflow every leg is zero, which the gate refuses.
                let qty =
                    cycle_quantities(&at_limits, sized.qty, lots).unwrap_or([Decimal::ZERO; 3]);
                (
                    legs.iter()
                        .zip(qty)
                        .map(|(l, q)| IntentLeg {
                            venue,
                            instrument: l.instrument,
                            side: l.side,
                            qty: q,
                            price: l.price,
                        })
                        .collect(),
                    Direction::Up,
                )
            }
            TradeShape::Directional {
                direction, entry, ..
            } => (
                vec![IntentLeg {
                    venue: primary,
                    instrument: opp.instrument,
                    side: if direction == Direction::Down {
                        Side::Sell
                    } else {
                        Side::Buy
                    },
                    qty: sized.qty,
                    price: entry,
                }],
                direction,
            ),
            TradeShape::Contract {
                direction, strike, ..
            } => (
                vec![IntentLeg {
                    venue: primary,
                    instrument: opp.instrument,
                    side: Side::Buy,
                    qty: sized.qty,
                    price: strike,
                }],
                direction,
            ),
        };
        let notional = sized.qty * sized.price;
        let position_after = match trade {
            TradeShape::Directional { .. } => {
                let signed = if direction == Direction::Down {
                    -sized.qty
                } else {
                    sized.qty
                };
                ((position_qty + signed) * sized.price).abs()
            }
            TradeShape::Contract { .. } => position_qty + sized.qty,
            TradeShape::CrossVenuePair { .. } => (position_qty * mark).abs() + notional,
            TradeShape::Cycle { .. } => notional,
        };
        let intent = OrderIntent {
            opportunity: opp.id,
            kind: opp.kind(),
            instrument: opp.instrument,
            direction,
            confidence: opp.confidence(),
            legs,
            qty: sized.qty,
            notional,
            bound: sized.bound,
        };
        (intent, equity, position_after)
    }

    /// The gate's verdict for an account's intent, as if approved now.
    pub fn preview(&self, opp: &Opportunity, account: AccountId) -> Verdict {
        self.preview_sized(opp, account).0
    }

    /// [`Self::preview`] with the quantity the account would trade (per
    /// leg; the stake for a contract).
    pub fn preview_sized(&self, opp: &Opportunity, account: AccountId) -> (Verdict, Decimal) {
        let (intent, equity, position_after) = self.intent_for(opp, account);
        let verdict = self.gate.check(
            &intent,
            &self.gate_context(&intent, account, equity, position_after),
        );
        (verdict, intent.qty)
    }

    fn gate_context(
        &self,
        intent: &OrderIntent,
        account: AccountId,
        equity: Decimal,
        position_after: Decimal,
    ) -> GateContext<'_> {
        let inst = self.catalog.instrument(intent.instrument);
        let contract = intent.kind.shape() == ShapeKind::Contract;
        let position_qty = if contract {
            Decimal::ZERO
        } else {
            let key = PositionKey {
                account,
                instrument: intent.instrument,
                contract: 0,
            };
            self.portfolio
                .positions
                .get(&key)
                .map_or(Decimal::ZERO, |p| p.qty)
        };
        GateContext {
            now: self.clock,
            state: self.state,
            class: inst.class,
            min_qty: if contract { Decimal::ONE } else { inst.min_qty },
            account: self.catalog.account(account),
            risk: &self.account_risk[account.index()],
            equity,
            position_qty,
            position_after,
            book: &self.book,
            catalog: &self.catalog,
            guard: &self.guard,
            unreconciled: self.blocked.get(&account).map(String::as_str),
            funds: self.venue_funds.get(&account),
        }
    }

    fn decide(&mut self, opp: &Opportunity, account: AccountId) {
        let (intent, equity, position_after) = self.intent_for(opp, account);
        let verdict = self.gate.check(
            &intent,
            &self.gate_context(&intent, account, equity, position_after),
        );
        let decision = Decision {
            ts: self.clock,
            opportunity: opp.id,
            kind: opp.kind(),
            instrument: opp.instrument,
            account,
            verdict: verdict.clone(),
            qty: intent.qty,
            price: intent.legs.first().map_or(Decimal::ZERO, |l| l.price),
            notional: intent.notional,
            alpha: opp.belief.map(|b| b.alpha),
            beta: opp.belief.map(|b| b.beta),
        };
        self.outbox.audits.push(Audit::Decision(decision));
        match verdict {
            Verdict::Refused(r) => {
                self.counters.gate_refused += 1;
                *self.counters.refusals.entry(r.reason).or_insert(0) += 1;
            }
            Verdict::Approved => {
                self.counters.gate_approved += 1;
                self.account_risk[account.index()].record_entry(
                    opp.kind(),
                    opp.instrument,
                    self.clock,
                );
                self.place_entry(opp, account, &intent);
                self.audit_account(account);
            }
        }
    }

    fn place_entry(&mut self, opp: &Opportunity, account: AccountId, intent: &OrderIntent) {
        let base = |venue, side, order_type, tif, limit_price, price| NewOrder {
            account,
            instrument: opp.instrument,
            venue,
            side,
            order_type,
            tif,
            qty: intent.qty,
            limit_price,
            reference_price: price,
            purpose: OrderPurpose::Entry,
            exit_reason: None,
            opportunity: Some(opp.id),
            binary: None,
            position_contract: 0,
            stop_loss: None,
            take_profit: None,
        };
        match opp.detail.terms().trade() {
            TradeShape::CrossVenuePair {
                buy_venue,
                sell_venue,
                buy_price,
                sell_price,
                buy_limit: buy_worst,
                sell_limit: sell_worst,
                ..
            } => {
                // Both legs as immediate-or-cancel limits at the prices seen
                // (down to the worst level walked, where sized from depth):
                // a leg the market has moved away from does not fill, and the
                // group is unwound rather than chasing the price.
                let tick = self.catalog.instrument(opp.instrument).tick_size;
                // The slack is a share of what is left between the worst
                // levels to trade (the tops, without depth): with a share
                // under a half, the buy limit stays below the sell limit.
                let slack = (sell_worst - buy_worst) * self.limit_slack(opp.kind());
                // A tick far below the price could overflow the quotient:
                // then the price is used as it is (already on the venue's grid).
                let on_grid = |x: Decimal, up: bool| {
                    x.checked_div(tick)
                        .map_or(x, |n| if up { n.ceil() } else { n.floor() } * tick)
                };
                let buy_limit = on_grid(buy_worst + slack, false);
                let sell_limit = on_grid(sell_worst - slack, true);
                let mut buy = base(
                    buy_venue,
                    Side::Buy,
                    OrderType::Limit,
                    TimeInForce::Ioc,
                    Some(buy_limit),
                    buy_price,
                );
                buy.purpose = OrderPurpose::ArbitrageLeg;
                let mut sell = base(
                    sell_venue,
                    Side::Sell,
                    OrderType::Limit,
                    TimeInForce::Ioc,
                    Some(sell_limit),
                    sell_price,
                );
                sell.purpose = OrderPurpose::ArbitrageLeg;
                let buy_id = self.create_order(buy);
                let sell_id = self.create_order(sell);
                self.arb_groups.push(ArbGroup {
                    account,
                    instrument: opp.instrument,
                    buy: buy_id,
                    sell: sell_id,
                    buy_venue,
                    sell_venue,
                    buy_filled: None,
                    sell_filled: None,
                });
            }
            TradeShape::Cycle {
                venue,
                legs,
                net_return,
                ..
            } => {
                // All three legs at once, as immediate-or-cancel limits near
                // the prices seen (`cycle_limits`): a leg the market has
                // left does not fill, and what the others moved is unwound
                // when all have ended.
                let limits = self.cycle_limits(opp, &legs, net_return);
                let mut ids = [OrderId(0); 3];
                for (k, leg) in intent.legs.iter().enumerate() {
                    let mut o = base(
                        venue,
                        leg.side,
                        OrderType::Limit,
                        TimeInForce::Ioc,
                        Some(limits[k]),
                        leg.price,
                    );
                    o.instrument = leg.instrument;
                    o.qty = leg.qty;
                    o.purpose = OrderPurpose::CycleLeg;
                    ids[k] = self.create_order(o);
                }
                let opp_legs = legs;
                self.cycle_groups.push(CycleGroup {
                    account,
                    venue,
                    orders: ids,
                    legs: opp_legs,
                    planned: [intent.legs[0].qty, intent.legs[1].qty, intent.legs[2].qty],
                    done: [None; 3],
                    fees: Decimal::ZERO,
                });
            }
            TradeShape::Directional {
                entry,
                stop_loss,
                take_profit,
                ..
            } => {
                let leg = intent.legs[0];
                let mut o = base(
                    leg.venue,
                    leg.side,
                    OrderType::Market,
                    TimeInForce::Ioc,
                    None,
                    entry,
                );
                o.stop_loss = Some(stop_loss);
                o.take_profit = Some(take_profit);
                self.create_order(o);
            }
            TradeShape::Contract {
                direction,
                strike,
                expiry_secs,
                payout,
            } => {
                let leg = intent.legs[0];
                let mut o = base(
                    leg.venue,
                    Side::Buy,
                    OrderType::Market,
                    TimeInForce::Ioc,
                    None,
                    strike,
                );
                o.binary = Some(BinaryContract {
                    direction,
                    strike,
                    expiry: self.clock.plus_secs(expiry_secs),
                    payout,
                });
                let id = OrderId(self.next_order_id);
                o.position_contract = id.0;
                if let Some(p) = opp.claimed_win_probability() {
                    self.binary_record.claim(id, p);
                }
                self.create_order(o);
            }
        }
    }

    /// The limits of a cycle's legs, with its scanner's slack.
    fn cycle_limits(
        &self,
        opp: &Opportunity,
        legs: &[crate::domain::CycleLeg; 3],
        net_return: Decimal,
    ) -> [Decimal; 3] {
        let ticks = legs.map(|l| self.catalog.instrument(l.instrument).tick_size);
        cycle_limits(legs, net_return, self.limit_slack(opp.kind()), ticks)
    }

    /// How far past the seen prices a pair's limits may go, as a share of
    /// the spread between them (the kind's scanner decides).
    fn limit_slack(&self, kind: OpportunityKind) -> Decimal {
        self.scanner(kind)
            .map_or(Decimal::ZERO, |s| s.limit_slack())
    }

    /// Creates, records and sends an order.
    pub(super) fn create_order(&mut self, n: NewOrder) -> OrderId {
        let id = OrderId(self.next_order_id);
        self.next_order_id += 1;
        let order = Order {
            id,
            account: n.account,
            instrument: n.instrument,
            venue: n.venue,
            side: n.side,
            order_type: n.order_type,
            tif: n.tif,
            qty: n.qty,
            limit_price: n.limit_price,
            stop_price: None,
            reference_price: n.reference_price,
            status: OrderStatus::Pending,
            filled_qty: Decimal::ZERO,
            avg_fill_price: Decimal::ZERO,
            fees: Decimal::ZERO,
            purpose: n.purpose,
            exit_reason: n.exit_reason,
            opportunity: n.opportunity,
            binary: n.binary,
            position_contract: n.position_contract,
            stop_loss: n.stop_loss,
            take_profit: n.take_profit,
            created: self.clock,
            updated: self.clock,
        };
        self.counters.orders += 1;
        // Every order counts against the account's per-minute throttle when
        // it is sent, whatever its purpose; the window leaves it a minute on.
        self.account_risk[n.account.index()].record_order(self.clock);
        self.last_activity.insert(n.account, self.clock);
        self.next_deadline = self.next_deadline.min(self.clock.plus(MINUTE));
        // The audit (and so the store) sees the order before the broker does.
        self.outbox.audits.push(Audit::OrderCreated(order.clone()));
        self.outbox
            .requests
            .push(ExecutionRequest::Submit(Box::new(order.clone())));
        self.working.insert(id, order);
        id
    }

    /// Records an account's cash and risk counters.
    pub(super) fn audit_account(&mut self, account: AccountId) {
        self.outbox.audits.push(Audit::AccountChanged {
            account,
            cash: self.portfolio.balances[account.index()].cash,
            risk: self.account_risk[account.index()].clone(),
            ts: self.clock,
        });
    }
}
