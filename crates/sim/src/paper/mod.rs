//! The paper broker: fills at the simulated bid/ask with fees, slippage,
//! partial fills and latency; settles binary options at expiry. Seeded, so
//! a run is reproducible.

pub mod config;
pub mod fill_model;
mod ledger;

pub use config::PaperConfig;
use fill_model::FillModel;
use ledger::{AccountBook, Booking, Ledger};
use omni_core::domain::AccountId;
use omni_core::domain::{
    BinaryContract, Catalog, Direction, InstrumentId, Order, OrderId, OrderPurpose, OrderType,
    Quote, Side, TimeInForce, Timestamp, time::MILLI, time::SECOND,
};
use omni_core::execution::{
    Balance, Broker, BrokerError, BrokerPosition, ExecutionReport, OpenOrder,
};
use omni_core::market::MarketEvent;
use omni_core::random::SimRng;
use omni_core::scanners::BinaryScanner;
use omni_core::scanners::config::BinaryScannerConfig;
use rust_decimal::Decimal;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

/// A quote older than this when an order arrives means the market is shut.
const CLOSED_AFTER: i64 = 30 * SECOND;

#[derive(Clone, Debug)]
enum Action {
    Arrive(Box<Order>),
    Cancel(OrderId),
    Settle(OrderId),
}

#[derive(Clone, Debug)]
struct LiveContract {
    account: AccountId,
    instrument: InstrumentId,
    venue: omni_core::domain::VenueId,
    stake: Decimal,
    terms: BinaryContract,
}

/// The paper broker. One instance serves every paper account.
pub struct PaperBroker {
    catalog: Catalog,
    cfg: PaperConfig,
    latency_ms: Vec<u64>,
    model: FillModel,
    rng: SimRng,
    quotes: Vec<Option<Quote>>,
    /// The same momentum/volatility estimator the scanner uses, here for the
    /// fair value of a binary sold back before expiry.
    vol: BinaryScanner,
    queue: BinaryHeap<Reverse<(Timestamp, u64, u64)>>,
    actions: BTreeMap<u64, Action>,
    seq: u64,
    resting: BTreeMap<OrderId, Order>,
    contracts: BTreeMap<OrderId, LiveContract>,
    fills_per_order: BTreeMap<OrderId, u32>,
    ledger: Ledger,
}

impl PaperBroker {
    /// A broker for the catalog's venues; `order_latency_ms` per venue.
    /// Binary contracts sold back early are valued with the binary
    /// scanner's own estimator settings (`binary`).
    pub fn new(
        catalog: &Catalog,
        cfg: &PaperConfig,
        binary: &BinaryScannerConfig,
        order_latency_ms: Vec<u64>,
        seed: u64,
    ) -> Self {
        let all = vec![true; catalog.instruments.len()];
        let vol_cfg = BinaryScannerConfig {
            min_samples: 1,
            ..binary.clone()
        };
        Self {
            catalog: catalog.clone(),
            cfg: cfg.clone(),
            latency_ms: order_latency_ms,
            model: FillModel {
                impact_per_top: cfg.slippage_bps / Decimal::from(10_000),
                depth_multiple: cfg.depth_multiple,
            },
            rng: SimRng::new(seed, 0xB0_0C),
            quotes: vec![None; catalog.market_slots()],
            vol: BinaryScanner::new(vol_cfg, &all),
            queue: BinaryHeap::new(),
            actions: BTreeMap::new(),
            seq: 0,
            resting: BTreeMap::new(),
            contracts: BTreeMap::new(),
            fills_per_order: BTreeMap::new(),
            ledger: Ledger::default(),
        }
    }

    fn schedule(&mut self, at: Timestamp, action: Action) {
        self.seq += 1;
        self.actions.insert(self.seq, action);
        self.queue.push(Reverse((at, self.seq, self.seq)));
    }

    fn latency(&mut self, venue: omni_core::domain::VenueId) -> i64 {
        let base = self.latency_ms.get(venue.index()).copied().unwrap_or(50) as f64;
        let jitter = self.rng.range(0.0, self.cfg.latency_jitter_ms as f64);
        ((base + jitter) * MILLI as f64) as i64
    }

    fn quote(&self, order: &Order) -> Option<Quote> {
        self.quotes[self.catalog.market_slot(order.venue, order.instrument)]
    }

    fn trade_id(&mut self, id: OrderId) -> String {
        let n = self.fills_per_order.entry(id).or_insert(0);
        *n += 1;
        format!("P{}-{}", id.0, n)
    }

    fn fee(&self, order: &Order, notional: Decimal, maker: bool) -> Decimal {
        let v = self.catalog.venue(order.venue);
        let rate = if maker { v.maker_fee } else { v.taker_fee };
        (notional * rate).round_dp(8)
    }

    /// Fills what it can now against `q`; reports fill, then the fate of the rest.
    fn execute(
        &mut self,
        order: &Order,
        q: &Quote,
        ts: Timestamp,
        limit: Option<Decimal>,
        out: &mut Vec<ExecutionReport>,
    ) {
        let inst = self.catalog.instrument(order.instrument);
        let (top, top_qty) = match order.side {
            Side::Buy => (q.ask, q.ask_qty),
            Side::Sell => (q.bid, q.bid_qty),
        };
        let take = self.model.take(
            order.side,
            order.qty,
            top,
            top_qty,
            limit,
            fill_model::Steps {
                tick: inst.tick_size,
                lot: inst.lot_size,
            },
        );
        if take.qty > Decimal::ZERO {
            let fee = self.fee(order, take.qty * take.price, false);
            out.push(ExecutionReport::Filled {
                order_id: order.id,
                trade_id: self.trade_id(order.id),
                qty: take.qty,
                price: take.price,
                fee,
                ts,
                contract: None,
            });
        }
        if take.qty < order.qty {
            out.push(if take.qty.is_zero() {
                ExecutionReport::Expired {
                    order_id: order.id,
                    ts,
                }
            } else {
                ExecutionReport::Cancelled {
                    order_id: order.id,
                    ts,
                    reason: "remainder beyond book depth".into(),
                }
            });
        }
    }

    fn arrive(&mut self, order: Order, ts: Timestamp, out: &mut Vec<ExecutionReport>) {
        let Some(q) = self
            .quote(&order)
            .filter(|q| ts.since(q.ts) <= CLOSED_AFTER)
        else {
            out.push(ExecutionReport::Rejected {
                order_id: order.id,
                ts,
                reason: "market closed or not quoted".into(),
            });
            return;
        };
        out.push(ExecutionReport::Accepted {
            order_id: order.id,
            ts,
        });
        if let Some(terms) = order.binary {
            self.binary(order, terms, &q, ts, out);
            return;
        }
        match (order.order_type, order.tif) {
            (OrderType::Market, _) => self.execute(&order, &q, ts, None, out),
            (OrderType::Limit, TimeInForce::Ioc) => {
                self.execute(&order, &q, ts, order.limit_price, out);
            }
            (OrderType::Limit, TimeInForce::Gtc) => {
                let marketable = order.limit_price.is_some_and(|l| match order.side {
                    Side::Buy => q.ask <= l,
                    Side::Sell => q.bid >= l,
                });
                if marketable {
                    self.execute(&order, &q, ts, order.limit_price, out);
                } else {
                    self.resting.insert(order.id, order);
                }
            }
            (OrderType::Stop | OrderType::StopLimit, _) => {
                if !self.try_trigger(&order, &q, ts, out) {
                    self.resting.insert(order.id, order);
                }
            }
        }
    }

    /// A stop triggers when the market trades through it: a buy stop when the
    /// ask reaches it, a sell stop when the bid does.
    fn try_trigger(
        &mut self,
        order: &Order,
        q: &Quote,
        ts: Timestamp,
        out: &mut Vec<ExecutionReport>,
    ) -> bool {
        let Some(stop) = order.stop_price else {
            return false;
        };
        let hit = match order.side {
            Side::Buy => q.ask >= stop,
            Side::Sell => q.bid <= stop,
        };
        if hit {
            let limit = if order.order_type == OrderType::StopLimit {
                order.limit_price
            } else {
                None
            };
            self.execute(order, q, ts, limit, out);
        }
        hit
    }

    fn binary(
        &mut self,
        order: Order,
        terms: BinaryContract,
        q: &Quote,
        ts: Timestamp,
        out: &mut Vec<ExecutionReport>,
    ) {
        match order.side {
            Side::Buy => {
                // Struck at the mid when the order arrives, for the duration asked.
                let duration = terms.expiry.since(order.created).max(SECOND);
                let struck = BinaryContract {
                    strike: q.mid(),
                    expiry: ts.plus(duration),
                    ..terms
                };
                out.push(ExecutionReport::Filled {
                    order_id: order.id,
                    trade_id: self.trade_id(order.id),
                    qty: order.qty,
                    price: Decimal::ONE,
                    fee: Decimal::ZERO,
                    ts,
                    contract: Some(struck),
                });
                self.contracts.insert(
                    order.id,
                    LiveContract {
                        account: order.account,
                        instrument: order.instrument,
                        venue: order.venue,
                        stake: order.qty,
                        terms: struck,
                    },
                );
                self.schedule(struck.expiry, Action::Settle(order.id));
            }
            Side::Sell => {
                let key = OrderId(order.position_contract);
                let Some(c) = self.contracts.remove(&key) else {
                    out.push(ExecutionReport::Rejected {
                        order_id: order.id,
                        ts,
                        reason: "contract already settled".into(),
                    });
                    return;
                };
                let fair = self
                    .vol
                    .fair_value(
                        c.instrument,
                        c.terms.direction,
                        c.terms.strike,
                        c.terms.payout,
                        ts,
                        c.terms.expiry,
                    )
                    .unwrap_or(Decimal::ONE);
                let haircut =
                    Decimal::ONE - self.cfg.binary_sellback_haircut_pct / Decimal::ONE_HUNDRED;
                out.push(ExecutionReport::Filled {
                    order_id: order.id,
                    trade_id: self.trade_id(order.id),
                    qty: c.stake.min(order.qty),
                    price: (fair * haircut).round_dp(6),
                    fee: Decimal::ZERO,
                    ts,
                    contract: None,
                });
            }
        }
    }

    fn settle(&mut self, id: OrderId, ts: Timestamp, out: &mut Vec<ExecutionReport>) {
        let Some(c) = self.contracts.remove(&id) else {
            return; // sold back before expiry
        };
        let slot = self.catalog.market_slot(c.venue, c.instrument);
        let Some(q) = self.quotes[slot] else {
            // No price yet (a contract restored before the market's first
            // quote): settle at the first one, checking every second.
            self.contracts.insert(id, c);
            self.schedule(ts.plus(SECOND), Action::Settle(id));
            return;
        };
        let px = q.mid();
        let won = match c.terms.direction {
            Direction::Up => px > c.terms.strike,
            Direction::Down => px < c.terms.strike,
            Direction::Neutral => false,
        };
        let price = if px == c.terms.strike {
            Decimal::ONE // a tie refunds the stake
        } else if won {
            Decimal::ONE + c.terms.payout
        } else {
            Decimal::ZERO
        };
        out.push(ExecutionReport::BinarySettled {
            order_id: id,
            price,
            settle_price: px,
            ts,
        });
    }

    /// Binary contracts not yet settled.
    pub fn live_contracts(&self) -> usize {
        self.contracts.len()
    }

    /// Opens an account's books at the venue with this cash (the engine's
    /// restored balance, so both start from the same numbers).
    pub fn open_account(&mut self, account: AccountId, currency: &str, cash: Decimal) {
        let book = self.ledger.accounts.entry(account).or_default();
        book.currency = currency.to_string();
        book.cash = cash;
    }

    /// Books a holding the account already has (restored after a restart).
    pub fn hold(
        &mut self,
        account: AccountId,
        instrument: InstrumentId,
        venue: omni_core::domain::VenueId,
        qty: Decimal,
        avg_price: Decimal,
    ) {
        let book = self.ledger.accounts.entry(account).or_default();
        ledger::hold(book, instrument, venue, qty, avg_price);
    }

    /// Books a binary contract the account already holds (restored after
    /// a restart): `contract` is its buying order's id, `stake` what was
    /// staked, `terms` the struck terms. It settles at its expiry (at the
    /// first quote after it, if the market has none yet) and can be sold
    /// back before, as if it had been bought in this run.
    pub fn hold_contract(
        &mut self,
        account: AccountId,
        instrument: InstrumentId,
        venue: omni_core::domain::VenueId,
        contract: OrderId,
        stake: Decimal,
        terms: BinaryContract,
    ) {
        self.ledger.bookings.insert(
            contract,
            Booking {
                account,
                instrument,
                venue,
                side: Side::Buy,
                binary: true,
                stake,
                cross: None,
            },
        );
        self.contracts.insert(
            contract,
            LiveContract {
                account,
                instrument,
                venue,
                stake,
                terms,
            },
        );
        self.schedule(terms.expiry, Action::Settle(contract));
    }

    fn schedule_cancel(&mut self, order_id: OrderId, now: Timestamp) {
        let venue = self.resting.get(&order_id).map(|o| o.venue).or_else(|| {
            self.actions.values().find_map(|a| match a {
                Action::Arrive(o) if o.id == order_id => Some(o.venue),
                _ => None,
            })
        });
        let latency = venue.map_or(50 * MILLI, |v| self.latency(v));
        self.schedule(now.plus(latency), Action::Cancel(order_id));
    }
}

impl PaperBroker {
    /// The cross booking of a cycle leg on a pair whose quote asset is not
    /// the account's currency, where the catalog lists both its assets
    /// against that currency and this venue quotes the quote asset's pair:
    /// the engine's rule (`engine/cycles.rs`), so both hold the same.
    fn cross_of(&self, order: &Order) -> Option<ledger::Cross> {
        if order.purpose != OrderPurpose::CycleLeg {
            return None;
        }
        let (base, quote) = self.catalog.cross_pairs(order.account, order.instrument)?;
        let q = self.quotes[self.catalog.market_slot(order.venue, quote)]?;
        Some(ledger::Cross {
            base,
            quote,
            quote_price: q.mid(),
        })
    }
}

impl Broker for PaperBroker {
    fn name(&self) -> &str {
        "paper"
    }

    fn submit(&mut self, order: &Order, now: Timestamp) -> Result<(), BrokerError> {
        self.ledger.bookings.insert(
            order.id,
            Booking {
                account: order.account,
                instrument: order.instrument,
                venue: order.venue,
                side: order.side,
                binary: order.binary.is_some() || order.position_contract != 0,
                stake: order.qty,
                cross: self.cross_of(order),
            },
        );
        let at = now.plus(self.latency(order.venue));
        self.schedule(at, Action::Arrive(Box::new(order.clone())));
        Ok(())
    }

    fn cancel(
        &mut self,
        _account: AccountId,
        order_id: OrderId,
        now: Timestamp,
    ) -> Result<(), BrokerError> {
        self.schedule_cancel(order_id, now);
        Ok(())
    }

    fn cancel_all(&mut self, account: AccountId, now: Timestamp) -> Result<usize, BrokerError> {
        let mut ids: Vec<OrderId> = self
            .resting
            .values()
            .filter(|o| o.account == account)
            .map(|o| o.id)
            .collect();
        ids.extend(self.actions.values().filter_map(|a| match a {
            Action::Arrive(o) if o.account == account => Some(o.id),
            _ => None,
        }));
        ids.sort();
        ids.dedup();
        for &id in &ids {
            self.schedule_cancel(id, now);
        }
        Ok(ids.len())
    }

    fn open_orders(&self, account: AccountId) -> Result<Vec<OpenOrder>, BrokerError> {
        Ok(self
            .resting
            .values()
            .filter(|o| o.account == account)
            .map(|o| OpenOrder {
                order_id: o.id,
                account: o.account,
                instrument: o.instrument,
                venue: o.venue,
                side: o.side,
                open_qty: o.remaining(),
                limit_price: o.limit_price,
                stop_price: o.stop_price,
            })
            .collect())
    }

    fn positions(&self, account: AccountId) -> Result<Vec<BrokerPosition>, BrokerError> {
        let book = self.ledger.accounts.get(&account);
        let held = book.into_iter().flat_map(|b: &AccountBook| {
            b.holdings.iter().map(
                move |(&instrument, &(qty, avg_price, venue))| BrokerPosition {
                    account,
                    instrument,
                    venue,
                    qty,
                    avg_price,
                    contract: None,
                },
            )
        });
        let contracts = self
            .contracts
            .iter()
            .filter(|(_, c)| c.account == account)
            .map(|(&id, c)| BrokerPosition {
                account,
                instrument: c.instrument,
                venue: c.venue,
                qty: c.stake,
                avg_price: Decimal::ONE,
                contract: Some(id),
            });
        Ok(held.chain(contracts).collect())
    }

    fn balances(&self, account: AccountId) -> Result<Vec<Balance>, BrokerError> {
        let book = self
            .ledger
            .accounts
            .get(&account)
            .ok_or_else(|| BrokerError::Refused {
                broker: "paper".into(),
                reason: format!("account {} has no books at the paper venue", account.0),
            })?;
        Ok(vec![Balance {
            account,
            currency: book.currency.clone(),
            cash: book.cash,
        }])
    }

    fn on_market(&mut self, event: &MarketEvent, out: &mut Vec<ExecutionReport>) {
        let start = out.len();
        self.see_market(event, out);
        self.ledger.apply(&out[start..]);
    }

    fn next_due(&self) -> Option<Timestamp> {
        self.queue.peek().map(|Reverse((t, _, _))| *t)
    }

    fn advance(&mut self, until: Timestamp, out: &mut Vec<ExecutionReport>) {
        let start = out.len();
        self.run_due(until, out);
        self.ledger.apply(&out[start..]);
    }
}

impl PaperBroker {
    /// Moves the simulated book; resting limit and stop orders that the new
    /// quote reaches fill.
    fn see_market(&mut self, event: &MarketEvent, out: &mut Vec<ExecutionReport>) {
        let MarketEvent::Quote(q) = event else {
            return;
        };
        if !q.is_sane() || q.instrument.index() >= self.catalog.instruments.len() {
            return;
        }
        let slot = self.catalog.market_slot(q.venue, q.instrument);
        let Some(s) = self.quotes.get_mut(slot) else {
            return;
        };
        *s = Some(*q);
        if q.venue == self.catalog.instrument(q.instrument).primary_venue() {
            self.vol.on_mid(q.instrument, q.mid(), q.ts);
        }
        if self.resting.is_empty() {
            return;
        }
        let due: Vec<OrderId> = self
            .resting
            .values()
            .filter(|o| o.venue == q.venue && o.instrument == q.instrument)
            .map(|o| o.id)
            .collect();
        for id in due {
            let Some(o) = self.resting.get(&id).cloned() else {
                continue;
            };
            let filled = match o.order_type {
                OrderType::Limit => {
                    let hit = o.limit_price.is_some_and(|l| match o.side {
                        Side::Buy => q.ask <= l,
                        Side::Sell => q.bid >= l,
                    });
                    if hit {
                        // A resting limit fills at its price as maker.
                        let price = o.limit_price.unwrap_or(q.mid());
                        let fee = self.fee(&o, o.qty * price, true);
                        out.push(ExecutionReport::Filled {
                            order_id: o.id,
                            trade_id: self.trade_id(o.id),
                            qty: o.qty,
                            price,
                            fee,
                            ts: q.ts,
                            contract: None,
                        });
                    }
                    hit
                }
                OrderType::Stop | OrderType::StopLimit => self.try_trigger(&o, q, q.ts, out),
                OrderType::Market => true,
            };
            if filled {
                self.resting.remove(&id);
            }
        }
    }

    /// Runs every scheduled action (arrivals, cancels, settlements) due at
    /// or before `until`, in time order.
    fn run_due(&mut self, until: Timestamp, out: &mut Vec<ExecutionReport>) {
        while let Some(Reverse((t, _, key))) = self.queue.peek().copied() {
            if t > until {
                break;
            }
            self.queue.pop();
            let Some(action) = self.actions.remove(&key) else {
                continue;
            };
            match action {
                Action::Arrive(o) => self.arrive(*o, t, out),
                Action::Cancel(id) => {
                    if self.resting.remove(&id).is_some() {
                        out.push(ExecutionReport::Cancelled {
                            order_id: id,
                            ts: t,
                            reason: "cancelled".into(),
                        });
                    } else if let Some(k) = self.actions.iter().find_map(|(k, a)| {
                        matches!(a, Action::Arrive(o) if o.id == id).then_some(*k)
                    }) {
                        // The cancel overtook the order: the venue drops the order on arrival.
                        self.actions.remove(&k);
                        out.push(ExecutionReport::Cancelled {
                            order_id: id,
                            ts: t,
                            reason: "cancelled before it reached the book".into(),
                        });
                    } else {
                        out.push(ExecutionReport::CancelRejected {
                            order_id: id,
                            ts: t,
                            reason: "order already done".into(),
                        });
                    }
                }
                Action::Settle(id) => self.settle(id, t, out),
            }
        }
    }
}
