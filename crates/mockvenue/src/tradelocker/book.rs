//! The mock's truth: instruments, prices, the balance, orders, positions
//! and executions, and the matching that moves them.
//!
//! A hedging account by default (as TradeLocker's prop-firm brokers run
//! it): every filled order that closes nothing opens its own position, so
//! an instrument may hold several; a netting account (`set_hedging(false)`)
//! nets an opposite order against the open positions first. Market orders
//! fill at once at the set price (IOC); limit and stop orders rest (GTC)
//! until a price crosses them. A stop loss or take profit sent with an
//! order becomes a stop (or limit) order on the position it opened, with
//! no `strategyId`, that closes the position when triggered and cancels
//! its sibling.

use rust_decimal::Decimal;
use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

/// An instrument of the account.
#[derive(Clone, Debug, PartialEq)]
pub struct MockInstrument {
    pub tradable_id: u64,
    pub id: u64,
    /// `EURUSD`, as TradeLocker names it.
    pub name: String,
    pub trade_route: u64,
    pub info_route: u64,
    /// Units per lot (100 000 for a currency pair): the details' `lotSize`.
    pub contract_size: Decimal,
    /// The smallest order, in lots (`minLot`).
    pub min_lot: Decimal,
    /// Orders are whole multiples of this many lots (`lotStep`).
    pub lot_step: Decimal,
    /// The largest order, in lots (`maxLot`).
    pub max_lot: Decimal,
    /// The price increment (`tickSize`).
    pub tick_size: Decimal,
    /// Margin is notional divided by this.
    pub leverage: Decimal,
}

/// An order as the mock keeps it.
#[derive(Clone, Debug, PartialEq)]
pub struct MockOrder {
    pub id: String,
    pub tradable_id: u64,
    pub instrument: String,
    pub route_id: u64,
    /// `buy` or `sell`.
    pub side: String,
    /// `market`, `limit` or `stop`.
    pub kind: String,
    /// `New`, `Filled`, `Cancelled`, `Refused`.
    pub status: String,
    pub qty: Decimal,
    pub filled: Decimal,
    pub avg_price: Decimal,
    pub price: Option<Decimal>,
    pub stop_price: Option<Decimal>,
    /// `IOC` or `GTC`.
    pub validity: String,
    pub created_ms: i64,
    pub modified_ms: i64,
    pub position_id: Option<String>,
    pub stop_loss: Option<Decimal>,
    pub take_profit: Option<Decimal>,
    pub strategy_id: Option<String>,
    /// The position this order closes (a protective or close order).
    pub closes: Option<String>,
}

impl MockOrder {
    pub fn is_open(&self) -> bool {
        self.status == "New"
    }
}

/// An open position.
#[derive(Clone, Debug, PartialEq)]
pub struct MockPosition {
    pub id: String,
    pub tradable_id: u64,
    pub instrument: String,
    pub route_id: u64,
    pub side: String,
    pub qty: Decimal,
    pub avg_price: Decimal,
    pub open_ms: i64,
    pub strategy_id: Option<String>,
    pub stop_loss_id: Option<String>,
    pub take_profit_id: Option<String>,
}

/// One execution.
#[derive(Clone, Debug, PartialEq)]
pub struct MockExecution {
    pub id: String,
    pub order_id: String,
    pub position_id: String,
    pub tradable_id: u64,
    pub instrument: String,
    pub side: String,
    pub qty: Decimal,
    pub price: Decimal,
    pub created_ms: i64,
}

/// An order request, read from the JSON body.
#[derive(Clone, Debug, Default)]
pub(crate) struct NewOrder {
    pub tradable_id: Option<u64>,
    pub route_id: Option<u64>,
    pub qty: Option<Decimal>,
    pub side: String,
    pub kind: String,
    pub validity: String,
    pub price: Option<Decimal>,
    pub stop_price: Option<Decimal>,
    pub stop_loss: Option<Decimal>,
    pub stop_loss_type: Option<String>,
    pub take_profit: Option<Decimal>,
    pub take_profit_type: Option<String>,
    pub strategy_id: Option<String>,
}

/// The account state's figures.
#[derive(Clone, Debug, PartialEq)]
pub struct AccountFigures {
    pub balance: Decimal,
    pub equity: Decimal,
    pub margin: Decimal,
    pub available: Decimal,
    pub open_pnl: Decimal,
    pub positions: usize,
    pub orders: usize,
    pub trades_today: usize,
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn opposite(side: &str) -> &'static str {
    if side == "buy" { "sell" } else { "buy" }
}

fn dir(side: &str) -> Decimal {
    if side == "buy" {
        Decimal::ONE
    } else {
        Decimal::NEGATIVE_ONE
    }
}

pub(crate) struct Book {
    pub instruments: Vec<MockInstrument>,
    pub prices: HashMap<String, Decimal>,
    pub balance: Decimal,
    pub orders: Vec<MockOrder>,
    pub positions: Vec<MockPosition>,
    pub executions: Vec<MockExecution>,
    pub hedging: bool,
    /// The next fill takes only this many lots (see
    /// `MockTradeLocker::partial_fill_next`).
    pub partial_next: Option<Decimal>,
    next_id: u64,
}

impl Book {
    pub(crate) fn new() -> Self {
        let fx = |tradable_id: u64, name: &str, route: u64| MockInstrument {
            tradable_id,
            id: tradable_id + 1000,
            name: name.into(),
            trade_route: route,
            info_route: route + 1,
            contract_size: Decimal::from(100_000),
            min_lot: Decimal::new(1, 2),
            lot_step: Decimal::new(1, 2),
            max_lot: Decimal::from(100),
            tick_size: Decimal::new(1, 5),
            leverage: Decimal::from(30),
        };
        Self {
            instruments: vec![
                fx(206, "EURUSD", 7010),
                fx(207, "GBPUSD", 7020),
                MockInstrument {
                    tradable_id: 310,
                    id: 1310,
                    name: "XAUUSD".into(),
                    trade_route: 7030,
                    info_route: 7031,
                    contract_size: Decimal::from(100),
                    min_lot: Decimal::new(1, 2),
                    lot_step: Decimal::new(1, 2),
                    max_lot: Decimal::from(50),
                    tick_size: Decimal::new(1, 2),
                    leverage: Decimal::from(20),
                },
            ],
            prices: HashMap::new(),
            balance: Decimal::from(100_000),
            orders: Vec::new(),
            positions: Vec::new(),
            executions: Vec::new(),
            hedging: true,
            partial_next: None,
            next_id: 7_277_816_000,
        }
    }

    fn id(&mut self) -> String {
        self.next_id += 1;
        self.next_id.to_string()
    }

    pub(crate) fn instrument_by_id(&self, tradable_id: u64) -> Option<&MockInstrument> {
        self.instruments
            .iter()
            .find(|i| i.tradable_id == tradable_id)
    }

    fn instrument_by_name(&self, name: &str) -> Option<&MockInstrument> {
        self.instruments.iter().find(|i| i.name == name)
    }

    /// The account's figures at the set prices (a position without a
    /// price is valued at its entry).
    pub(crate) fn figures(&self) -> AccountFigures {
        let mut open_pnl = Decimal::ZERO;
        let mut margin = Decimal::ZERO;
        for p in &self.positions {
            let Some(ins) = self.instrument_by_name(&p.instrument) else {
                continue;
            };
            let px = self
                .prices
                .get(&p.instrument)
                .copied()
                .unwrap_or(p.avg_price);
            open_pnl += (px - p.avg_price) * p.qty * ins.contract_size * dir(&p.side);
            margin += p.qty * ins.contract_size * px / ins.leverage;
        }
        let open_pnl = open_pnl.round_dp(2);
        let margin = margin.round_dp(2);
        let equity = self.balance + open_pnl;
        AccountFigures {
            balance: self.balance,
            equity,
            margin,
            available: equity - margin,
            open_pnl,
            positions: self.positions.len(),
            orders: self.orders.iter().filter(|o| o.is_open()).count(),
            trades_today: self.executions.len(),
        }
    }

    /// Places an order; the order id, or the refusal's `errmsg`.
    pub(crate) fn place(&mut self, n: &NewOrder) -> Result<String, String> {
        let ins = n
            .tradable_id
            .and_then(|t| self.instrument_by_id(t))
            .cloned()
            .ok_or("Instrument not found")?;
        if n.route_id != Some(ins.trade_route) {
            return Err("Invalid routeId for trading".into());
        }
        let qty = n.qty.ok_or("Invalid quantity")?;
        if qty < ins.min_lot
            || qty > ins.max_lot
            || ins.lot_step.is_zero()
            || !(qty % ins.lot_step).is_zero()
        {
            return Err(format!(
                "Invalid quantity {qty}: lots from {} to {} in steps of {}",
                ins.min_lot, ins.max_lot, ins.lot_step
            ));
        }
        if n.side != "buy" && n.side != "sell" {
            return Err("Invalid side".into());
        }
        let validity_ok = match n.kind.as_str() {
            "market" => n.validity == "IOC",
            "limit" | "stop" => n.validity == "GTC",
            _ => return Err(format!("Invalid order type {}", n.kind)),
        };
        if !validity_ok {
            return Err(format!(
                "Invalid validity {} for a {} order",
                n.validity, n.kind
            ));
        }
        if n.kind == "limit" && n.price.is_none() {
            return Err("Limit order without price".into());
        }
        if n.kind == "stop" && n.stop_price.is_none() {
            return Err("Stop order without stopPrice".into());
        }
        for (v, t, what) in [
            (n.stop_loss, &n.stop_loss_type, "stopLossType"),
            (n.take_profit, &n.take_profit_type, "takeProfitType"),
        ] {
            if v.is_some() && t.as_deref() != Some("absolute") {
                return Err(format!("Unsupported {what} {t:?}"));
            }
        }
        let px = self.prices.get(&ins.name).copied();
        if n.kind == "market" {
            let Some(px) = px else {
                return Err("Market is closed (no quote)".into());
            };
            let need = qty * ins.contract_size * px / ins.leverage;
            if need > self.figures().available && !self.reduces(&ins.name, &n.side) {
                return Err("Insufficient margin".into());
            }
        }
        let now = now_ms();
        let id = self.id();
        self.orders.push(MockOrder {
            id: id.clone(),
            tradable_id: ins.tradable_id,
            instrument: ins.name.clone(),
            route_id: ins.trade_route,
            side: n.side.clone(),
            kind: n.kind.clone(),
            status: "New".into(),
            qty,
            filled: Decimal::ZERO,
            avg_price: Decimal::ZERO,
            price: if n.kind == "limit" { n.price } else { None },
            stop_price: if n.kind == "stop" { n.stop_price } else { None },
            validity: n.validity.clone(),
            created_ms: now,
            modified_ms: now,
            position_id: None,
            stop_loss: n.stop_loss,
            take_profit: n.take_profit,
            strategy_id: n.strategy_id.clone().filter(|s| !s.is_empty()),
            closes: None,
        });
        if n.kind == "market" {
            let idx = self.orders.len() - 1;
            if let Some(px) = px {
                self.fill(idx, px);
            }
        } else {
            self.match_resting(&ins.name);
        }
        Ok(id)
    }

    /// True when a netting account holds an opposite position to reduce.
    fn reduces(&self, instrument: &str, side: &str) -> bool {
        !self.hedging
            && self
                .positions
                .iter()
                .any(|p| p.instrument == instrument && p.side != side)
    }

    /// Fills order `idx` in full at `px`: closes what it closes, else
    /// opens (or, netting, first reduces) positions; attaches its stop
    /// loss and take profit to the position it opened.
    pub(crate) fn fill(&mut self, idx: usize, px: Decimal) {
        let now = now_ms();
        let o = self.orders[idx].clone();
        let mut left = o.qty - o.filled;
        if left <= Decimal::ZERO {
            return;
        }
        // A scripted partial fill: only part of what is left fills; an
        // IOC order's remainder is cancelled, a GTC order's rests.
        if let Some(part) = self.partial_next.take().filter(|p| *p > Decimal::ZERO) {
            left = left.min(part);
        }
        {
            let ord = &mut self.orders[idx];
            let before = ord.filled;
            ord.filled += left;
            ord.avg_price = ((ord.avg_price * before + px * left) / ord.filled).normalize();
            ord.status = if ord.filled >= ord.qty {
                "Filled".into()
            } else if ord.validity == "IOC" {
                "Cancelled".into()
            } else {
                "New".into()
            };
            ord.modified_ms = now;
        }
        let targets: Vec<String> = match &o.closes {
            Some(p) => vec![p.clone()],
            None if !self.hedging => self
                .positions
                .iter()
                .filter(|p| p.instrument == o.instrument && p.side != o.side)
                .map(|p| p.id.clone())
                .collect(),
            None => Vec::new(),
        };
        for pid in targets {
            if left.is_zero() {
                break;
            }
            let Some(pi) = self.positions.iter().position(|p| p.id == pid) else {
                continue;
            };
            let take = left.min(self.positions[pi].qty);
            self.close_part(pi, take, px, &o.id);
            left -= take;
            self.orders[idx].position_id = Some(pid);
        }
        if o.closes.is_some() || left.is_zero() {
            return;
        }
        let pid = self.id();
        self.positions.push(MockPosition {
            id: pid.clone(),
            tradable_id: o.tradable_id,
            instrument: o.instrument.clone(),
            route_id: o.route_id,
            side: o.side.clone(),
            qty: left,
            avg_price: px,
            open_ms: now,
            strategy_id: o.strategy_id.clone(),
            stop_loss_id: None,
            take_profit_id: None,
        });
        self.orders[idx].position_id = Some(pid.clone());
        self.execution(&o, &pid, left, px);
        let protect = |kind: &str, at: Decimal| MockOrder {
            id: String::new(),
            kind: kind.into(),
            side: opposite(&o.side).into(),
            status: "New".into(),
            qty: left,
            filled: Decimal::ZERO,
            avg_price: Decimal::ZERO,
            price: (kind == "limit").then_some(at),
            stop_price: (kind == "stop").then_some(at),
            validity: "GTC".into(),
            created_ms: now,
            modified_ms: now,
            position_id: Some(pid.clone()),
            stop_loss: None,
            take_profit: None,
            strategy_id: None,
            closes: Some(pid.clone()),
            ..o.clone()
        };
        if let Some(sl) = o.stop_loss {
            let mut p = protect("stop", sl);
            p.id = self.id();
            if let Some(pos) = self.positions.iter_mut().find(|x| x.id == pid) {
                pos.stop_loss_id = Some(p.id.clone());
            }
            self.orders.push(p);
        }
        if let Some(tp) = o.take_profit {
            let mut p = protect("limit", tp);
            p.id = self.id();
            if let Some(pos) = self.positions.iter_mut().find(|x| x.id == pid) {
                pos.take_profit_id = Some(p.id.clone());
            }
            self.orders.push(p);
        }
    }

    fn execution(&mut self, o: &MockOrder, position_id: &str, qty: Decimal, px: Decimal) {
        let id = self.id();
        self.executions.push(MockExecution {
            id,
            order_id: o.id.clone(),
            position_id: position_id.into(),
            tradable_id: o.tradable_id,
            instrument: o.instrument.clone(),
            side: o.side.clone(),
            qty,
            price: px,
            created_ms: now_ms(),
        });
    }

    /// Closes `qty` of position `pi` at `px` for order `order_id`: the
    /// execution, the realized P&L into the balance, and, when nothing is
    /// left, the position's protective orders cancelled.
    fn close_part(&mut self, pi: usize, qty: Decimal, px: Decimal, order_id: &str) {
        let p = self.positions[pi].clone();
        let size = self
            .instrument_by_name(&p.instrument)
            .map_or(Decimal::ONE, |i| i.contract_size);
        self.balance += ((px - p.avg_price) * qty * size * dir(&p.side)).round_dp(2);
        let closer = self
            .orders
            .iter()
            .find(|o| o.id == order_id)
            .cloned()
            .unwrap_or_else(|| MockOrder {
                id: order_id.into(),
                tradable_id: p.tradable_id,
                instrument: p.instrument.clone(),
                route_id: p.route_id,
                side: opposite(&p.side).into(),
                kind: "market".into(),
                status: "Filled".into(),
                qty,
                filled: qty,
                avg_price: px,
                price: None,
                stop_price: None,
                validity: "IOC".into(),
                created_ms: now_ms(),
                modified_ms: now_ms(),
                position_id: Some(p.id.clone()),
                stop_loss: None,
                take_profit: None,
                strategy_id: None,
                closes: Some(p.id.clone()),
            });
        self.execution(&closer, &p.id, qty, px);
        self.positions[pi].qty -= qty;
        if self.positions[pi].qty.is_zero() {
            self.positions.remove(pi);
            let now = now_ms();
            for o in self.orders.iter_mut().filter(|o| {
                o.is_open() && o.closes.as_deref() == Some(p.id.as_str()) && o.id != order_id
            }) {
                o.status = "Cancelled".into();
                o.modified_ms = now;
            }
        }
    }

    /// Sets a price and fills every resting order it crosses.
    pub(crate) fn set_price(&mut self, name: &str, px: Decimal) {
        self.prices.insert(name.to_string(), px);
        self.match_resting(name);
    }

    fn match_resting(&mut self, name: &str) {
        let Some(px) = self.prices.get(name).copied() else {
            return;
        };
        let mut i = 0;
        while i < self.orders.len() {
            let o = &self.orders[i];
            if o.instrument == name && o.is_open() {
                let at = match (o.kind.as_str(), o.side.as_str()) {
                    ("market", _) => Some(px),
                    ("limit", "buy") => o.price.filter(|l| px <= *l),
                    ("limit", _) => o.price.filter(|l| px >= *l),
                    ("stop", "buy") => o.stop_price.filter(|s| px >= *s).map(|_| px),
                    ("stop", _) => o.stop_price.filter(|s| px <= *s).map(|_| px),
                    _ => None,
                };
                if let Some(at) = at {
                    self.fill(i, at);
                }
            }
            i += 1;
        }
    }

    /// Cancels an open order: `Err((status, errmsg))` otherwise.
    pub(crate) fn cancel(&mut self, id: &str) -> Result<(), (u16, String)> {
        let Some(o) = self.orders.iter_mut().find(|o| o.id == id) else {
            return Err((404, "Order not found".into()));
        };
        if !o.is_open() {
            return Err((200, format!("Order {id} is not active ({})", o.status)));
        }
        o.status = "Cancelled".into();
        o.modified_ms = now_ms();
        let id = o.id.clone();
        for p in &mut self.positions {
            if p.stop_loss_id.as_deref() == Some(id.as_str()) {
                p.stop_loss_id = None;
            }
            if p.take_profit_id.as_deref() == Some(id.as_str()) {
                p.take_profit_id = None;
            }
        }
        Ok(())
    }

    /// Cancels every open order; how many.
    pub(crate) fn cancel_all(&mut self) -> usize {
        let ids: Vec<String> = self
            .orders
            .iter()
            .filter(|o| o.is_open())
            .map(|o| o.id.clone())
            .collect();
        for id in &ids {
            let _ = self.cancel(id);
        }
        ids.len()
    }

    /// Closes a position with a market order TradeLocker makes (no
    /// `strategyId`); without a price it rests as a GTC order until one is
    /// set. `qty` zero closes all of it.
    pub(crate) fn close_position(&mut self, pid: &str, qty: Decimal) -> Result<(), (u16, String)> {
        let Some(p) = self.positions.iter().find(|p| p.id == pid).cloned() else {
            return Err((404, "Position not found".into()));
        };
        let qty = if qty.is_zero() { p.qty } else { qty.min(p.qty) };
        let now = now_ms();
        let id = self.id();
        let px = self.prices.get(&p.instrument).copied();
        self.orders.push(MockOrder {
            id,
            tradable_id: p.tradable_id,
            instrument: p.instrument.clone(),
            route_id: p.route_id,
            side: opposite(&p.side).into(),
            kind: "market".into(),
            status: "New".into(),
            qty,
            filled: Decimal::ZERO,
            avg_price: Decimal::ZERO,
            price: None,
            stop_price: None,
            validity: if px.is_some() { "IOC" } else { "GTC" }.into(),
            created_ms: now,
            modified_ms: now,
            position_id: Some(p.id.clone()),
            stop_loss: None,
            take_profit: None,
            strategy_id: None,
            closes: Some(p.id.clone()),
        });
        if let Some(px) = px {
            let idx = self.orders.len() - 1;
            self.fill(idx, px);
        }
        Ok(())
    }

    /// Closes every position.
    pub(crate) fn close_all(&mut self) {
        let ids: Vec<String> = self.positions.iter().map(|p| p.id.clone()).collect();
        for id in ids {
            let _ = self.close_position(&id, Decimal::ZERO);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(kind: &str, side: &str, qty: &str) -> NewOrder {
        NewOrder {
            tradable_id: Some(206),
            route_id: Some(7010),
            qty: Some(qty.parse().unwrap()),
            side: side.into(),
            kind: kind.into(),
            validity: if kind == "market" { "IOC" } else { "GTC" }.into(),
            ..NewOrder::default()
        }
    }

    #[test]
    fn a_take_profit_closes_the_position_and_cancels_the_stop() {
        let mut b = Book::new();
        b.set_price("EURUSD", "1.1000".parse().unwrap());
        let mut n = order("market", "buy", "0.10");
        n.stop_loss = Some("1.0900".parse().unwrap());
        n.stop_loss_type = Some("absolute".into());
        n.take_profit = Some("1.1100".parse().unwrap());
        n.take_profit_type = Some("absolute".into());
        b.place(&n).unwrap();
        assert_eq!(b.positions.len(), 1);
        assert_eq!(b.orders.iter().filter(|o| o.is_open()).count(), 2);
        b.set_price("EURUSD", "1.1150".parse().unwrap());
        assert!(b.positions.is_empty());
        assert_eq!(b.balance, "100100".parse::<Decimal>().unwrap());
        assert_eq!(b.orders.iter().filter(|o| o.is_open()).count(), 0);
        assert_eq!(b.executions.len(), 2);
    }

    #[test]
    fn netting_reduces_hedging_adds() {
        let mut b = Book::new();
        b.set_price("EURUSD", "1.1".parse().unwrap());
        b.place(&order("market", "buy", "0.2")).unwrap();
        b.place(&order("market", "sell", "0.1")).unwrap();
        assert_eq!(b.positions.len(), 2);
        b.hedging = false;
        b.place(&order("market", "sell", "0.1")).unwrap();
        assert_eq!(b.positions.len(), 2);
        let buy = b.positions.iter().find(|p| p.side == "buy").unwrap();
        assert_eq!(buy.qty, "0.1".parse::<Decimal>().unwrap());
    }
}
