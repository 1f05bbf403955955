//! The mock's truth: assets, prices, account cash, orders, positions and
//! fill activities, and every change it makes, published as
//! `trade_updates` frames.

use super::clock::{activity_stamp, now_rfc3339, uuid_like};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use tokio::sync::broadcast;

/// What the stream connections receive.
#[derive(Clone, Debug)]
pub(crate) enum Frame {
    /// A frame to send (binary) to every listening connection.
    Data(Vec<u8>),
    /// Close every connection.
    Drop,
}

/// An asset and its trading rules.
#[derive(Clone, Debug, PartialEq)]
pub struct MockAsset {
    pub symbol: String,
    /// `us_equity` or `crypto`.
    pub class: String,
    pub tradable: bool,
    pub fractionable: bool,
    pub min_order_size: Option<Decimal>,
    pub min_trade_increment: Option<Decimal>,
    pub price_increment: Option<Decimal>,
}

/// An order as the mock keeps it.
#[derive(Clone, Debug, PartialEq)]
pub struct MockOrder {
    pub id: String,
    pub client_order_id: String,
    pub symbol: String,
    pub asset_class: String,
    /// `buy` or `sell`.
    pub side: String,
    /// `market`, `limit`, `stop`, `stop_limit`.
    pub order_type: String,
    pub time_in_force: String,
    pub qty: Decimal,
    pub filled_qty: Decimal,
    pub filled_avg_price: Option<Decimal>,
    pub limit_price: Option<Decimal>,
    pub stop_price: Option<Decimal>,
    /// Alpaca's status (`new`, `held`, `partially_filled`, `filled`, …).
    pub status: String,
    /// `""` (simple) or `bracket`.
    pub order_class: String,
    /// Ids of the bracket legs (parent only).
    pub legs: Vec<String>,
    /// Id of the parent (legs only).
    pub parent: Option<String>,
    pub created_at: String,
}

impl MockOrder {
    /// True while the order may still fill.
    pub fn is_open(&self) -> bool {
        !matches!(
            self.status.as_str(),
            "filled" | "canceled" | "expired" | "rejected" | "replaced"
        )
    }
}

/// A position (signed quantity: negative is short).
#[derive(Clone, Debug, PartialEq)]
pub struct MockPosition {
    pub symbol: String,
    pub asset_class: String,
    pub qty: Decimal,
    pub avg_entry_price: Decimal,
}

/// A `FILL` account activity.
#[derive(Clone, Debug, PartialEq)]
pub struct MockFill {
    /// `20190524113406977::<uuid>`, also the stream's `execution_id`.
    pub id: String,
    pub order_id: String,
    pub client_order_id: String,
    pub symbol: String,
    pub side: String,
    pub qty: Decimal,
    pub price: Decimal,
    pub cum_qty: Decimal,
    pub leaves_qty: Decimal,
    pub transaction_time: String,
}

/// A refusal: HTTP status and Alpaca's body.
pub(crate) type Refusal = (u16, Value);

fn refusal(status: u16, code: u64, message: impl Into<String>) -> Refusal {
    (status, json!({ "code": code, "message": message.into() }))
}

/// The whole state of the mock venue.
pub(crate) struct Book {
    pub assets: BTreeMap<String, MockAsset>,
    pub prices: BTreeMap<String, Decimal>,
    pub cash: Decimal,
    pub trading_blocked: bool,
    pub orders: Vec<MockOrder>,
    /// Every client order id ever accepted: reuse is refused forever.
    pub used_ids: HashSet<String>,
    pub positions: BTreeMap<String, MockPosition>,
    pub fills: Vec<MockFill>,
    pub duplicate_next_fill: bool,
    seq: u64,
    frames: broadcast::Sender<Frame>,
}

impl Book {
    pub(crate) fn new(frames: broadcast::Sender<Frame>) -> Self {
        let mut assets = BTreeMap::new();
        assets.insert(
            "AAPL".to_string(),
            MockAsset {
                symbol: "AAPL".into(),
                class: "us_equity".into(),
                tradable: true,
                fractionable: false,
                min_order_size: None,
                min_trade_increment: None,
                price_increment: Some(Decimal::new(1, 2)),
            },
        );
        assets.insert(
            "BTC/USD".to_string(),
            MockAsset {
                symbol: "BTC/USD".into(),
                class: "crypto".into(),
                tradable: true,
                fractionable: true,
                min_order_size: Some(Decimal::new(1, 4)),
                min_trade_increment: Some(Decimal::new(1, 9)),
                price_increment: Some(Decimal::ONE),
            },
        );
        let mut prices = BTreeMap::new();
        prices.insert("AAPL".to_string(), Decimal::new(15000, 2));
        prices.insert("BTC/USD".to_string(), Decimal::new(60000, 0));
        Self {
            assets,
            prices,
            cash: Decimal::new(100_000, 0),
            trading_blocked: false,
            orders: Vec::new(),
            used_ids: HashSet::new(),
            positions: BTreeMap::new(),
            fills: Vec::new(),
            duplicate_next_fill: false,
            seq: 0,
            frames,
        }
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    fn price(&self, symbol: &str) -> Decimal {
        self.prices.get(symbol).copied().unwrap_or(Decimal::ONE)
    }

    /// Cash less what open buy orders hold.
    pub(crate) fn buying_power(&self) -> Decimal {
        let held: Decimal = self
            .orders
            .iter()
            .filter(|o| o.is_open() && o.side == "buy" && o.parent.is_none())
            .map(|o| {
                let px = o
                    .limit_price
                    .or(o.stop_price)
                    .unwrap_or_else(|| self.price(&o.symbol));
                (o.qty - o.filled_qty) * px
            })
            .sum();
        self.cash - held
    }

    pub(crate) fn equity(&self) -> Decimal {
        self.cash
            + self
                .positions
                .values()
                .map(|p| p.qty * self.price(&p.symbol))
                .sum::<Decimal>()
    }

    pub(crate) fn account_json(&self) -> Value {
        json!({
            "id": "e6fe16f3-64a4-4921-8928-cadf02f92f98",
            "account_number": "PA3MOCK0001",
            "status": "ACTIVE",
            "currency": "USD",
            "cash": self.cash.to_string(),
            "buying_power": self.buying_power().to_string(),
            "equity": self.equity().to_string(),
            "multiplier": "1",
            "pattern_day_trader": false,
            "trading_blocked": self.trading_blocked,
            "account_blocked": false,
            "shorting_enabled": false,
        })
    }

    pub(crate) fn asset_json(&self, symbol: &str) -> Option<Value> {
        let a = self.assets.get(symbol)?;
        let dec = |d: Option<Decimal>| d.map(|d| d.to_string());
        Some(json!({
            "id": uuid_like(0x6173_7374, a.symbol.len() as u64),
            "class": a.class,
            "exchange": if a.class == "crypto" { "CRYPTO" } else { "NASDAQ" },
            "symbol": a.symbol,
            "status": "active",
            "tradable": a.tradable,
            "marginable": a.class != "crypto",
            "shortable": false,
            "fractionable": a.fractionable,
            "min_order_size": dec(a.min_order_size),
            "min_trade_increment": dec(a.min_trade_increment),
            "price_increment": dec(a.price_increment),
        }))
    }

    pub(crate) fn order_json(&self, o: &MockOrder, nested: bool) -> Value {
        let legs: Option<Vec<Value>> = (nested && !o.legs.is_empty()).then(|| {
            o.legs
                .iter()
                .filter_map(|id| self.orders.iter().find(|l| &l.id == id))
                .map(|l| self.order_json(l, false))
                .collect()
        });
        let dec = |d: Option<Decimal>| d.map(|d| d.to_string());
        json!({
            "id": o.id,
            "client_order_id": o.client_order_id,
            "created_at": o.created_at,
            "updated_at": o.created_at,
            "submitted_at": o.created_at,
            "asset_id": uuid_like(0x6173_7374, o.symbol.len() as u64),
            "symbol": o.symbol,
            "asset_class": o.asset_class,
            "notional": null,
            "qty": o.qty.to_string(),
            "filled_qty": o.filled_qty.to_string(),
            "filled_avg_price": dec(o.filled_avg_price),
            "order_class": o.order_class,
            "order_type": o.order_type,
            "type": o.order_type,
            "side": o.side,
            "time_in_force": o.time_in_force,
            "limit_price": dec(o.limit_price),
            "stop_price": dec(o.stop_price),
            "status": o.status,
            "extended_hours": false,
            "legs": legs,
        })
    }

    /// Publishes a `trade_updates` event about order `idx`.
    fn emit(&self, idx: usize, event: &str, extra: Option<(&MockFill, Decimal)>) {
        self.emit_times(idx, event, extra, 1);
    }

    /// Sends one event `times` times, byte for byte (a venue's duplicate
    /// is the same message again, not a new one).
    fn emit_times(
        &self,
        idx: usize,
        event: &str,
        extra: Option<(&MockFill, Decimal)>,
        times: usize,
    ) {
        let mut data = json!({
            "event": event,
            "timestamp": now_rfc3339(),
            "order": self.order_json(&self.orders[idx], true),
        });
        if let (Some((f, position_qty)), Some(obj)) = (extra, data.as_object_mut()) {
            obj.insert("execution_id".into(), json!(f.id));
            obj.insert("price".into(), json!(f.price.to_string()));
            obj.insert("qty".into(), json!(f.qty.to_string()));
            obj.insert("position_qty".into(), json!(position_qty.to_string()));
        }
        let msg = json!({ "stream": "trade_updates", "data": data });
        let bytes = msg.to_string().into_bytes();
        for _ in 0..times {
            // No listener is not an error: events are not replayed.
            let _ = self.frames.send(Frame::Data(bytes.clone()));
        }
    }

    /// Validates and books a new order (`POST /v2/orders`); a market order
    /// fills at once at the set price. Returns the order as it was
    /// accepted (before any fill), as Alpaca answers.
    pub(crate) fn place(&mut self, body: &Value) -> Result<Value, Refusal> {
        let invalid = || refusal(422, 40010000, "request body format is invalid");
        let text = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_string);
        let symbol = text("symbol").ok_or_else(invalid)?;
        let side = text("side")
            .filter(|s| s == "buy" || s == "sell")
            .ok_or_else(invalid)?;
        let order_type = text("type").unwrap_or_else(|| "market".into());
        let tif = text("time_in_force").ok_or_else(invalid)?;
        let qty = body
            .get("qty")
            .and_then(dec)
            .ok_or_else(|| refusal(422, 40010001, "qty or notional is required"))?;
        let limit = body.get("limit_price").and_then(dec);
        let stop = body.get("stop_price").and_then(dec);
        let client_id = text("client_order_id").unwrap_or_else(|| {
            let n = self.seq + 1;
            uuid_like(0x636c_6964, n)
        });
        if client_id.len() > 48 {
            return Err(refusal(
                422,
                40010001,
                "client_order_id must be no more than 48 characters",
            ));
        }
        if self.used_ids.contains(&client_id) {
            return Err(refusal(422, 40010001, "client_order_id must be unique"));
        }
        if self.trading_blocked {
            return Err(refusal(
                403,
                40310000,
                "trading is blocked for this account",
            ));
        }
        let asset = self
            .assets
            .get(&symbol)
            .cloned()
            .ok_or_else(|| refusal(422, 40010001, format!("asset \"{symbol}\" not found")))?;
        if !asset.tradable {
            return Err(refusal(
                422,
                40010001,
                format!("asset {symbol} is not tradable"),
            ));
        }
        if qty <= Decimal::ZERO {
            return Err(refusal(422, 40010001, "qty must be > 0"));
        }
        if !asset.fractionable && qty.fract() != Decimal::ZERO {
            return Err(refusal(
                422,
                40010001,
                "fractional orders are not supported for this asset",
            ));
        }
        if let Some(min) = asset.min_order_size
            && qty < min
        {
            return Err(refusal(422, 40010001, format!("qty must be >= {min}")));
        }
        let needs_limit = matches!(order_type.as_str(), "limit" | "stop_limit");
        let needs_stop = matches!(order_type.as_str(), "stop" | "stop_limit");
        if !matches!(
            order_type.as_str(),
            "market" | "limit" | "stop" | "stop_limit"
        ) {
            return Err(refusal(
                422,
                40010001,
                format!("invalid order type {order_type}"),
            ));
        }
        if needs_limit != limit.is_some() || needs_stop != stop.is_some() {
            return Err(refusal(
                422,
                40010001,
                "limit_price/stop_price do not match the order type",
            ));
        }
        for p in [limit, stop].into_iter().flatten() {
            if let Some(tick) = asset.price_increment
                && (p % tick) != Decimal::ZERO
            {
                return Err(refusal(
                    422,
                    42210000,
                    format!("invalid price {p}: increment is {tick}"),
                ));
            }
        }
        let bracket = text("order_class").as_deref() == Some("bracket");
        let tp = body.pointer("/take_profit/limit_price").and_then(dec);
        let sl = body.pointer("/stop_loss/stop_price").and_then(dec);
        if bracket && (tp.is_none() || sl.is_none()) {
            return Err(refusal(
                422,
                40010001,
                "bracket orders require take_profit and stop_loss",
            ));
        }
        let px = limit.or(stop).unwrap_or_else(|| self.price(&symbol));
        let cost = qty
            .checked_mul(px)
            .filter(|c| c.checked_add(self.cash).is_some())
            .ok_or_else(|| refusal(422, 40010001, "qty is out of range"))?;
        if side == "buy" {
            let bp = self.buying_power();
            if cost > bp {
                return Err((
                    403,
                    json!({
                        "buying_power": bp.to_string(),
                        "code": 40310000,
                        "cost_basis": cost.to_string(),
                        "message": "insufficient buying power",
                    }),
                ));
            }
        }
        let order_class = if bracket { "bracket" } else { "" };
        let parent = self.new_order(&NewOrder {
            client_id,
            symbol: symbol.clone(),
            class: asset.class.clone(),
            side: side.clone(),
            order_type: order_type.clone(),
            tif: tif.clone(),
            qty,
            limit,
            stop,
            order_class,
            status: "new",
            parent: None,
        });
        if let (true, Some(tp), Some(sl)) = (bracket, tp, sl) {
            let exit = if side == "buy" { "sell" } else { "buy" };
            let parent_id = self.orders[parent].id.clone();
            let mut legs = Vec::new();
            for (kind, lim, stp) in [("limit", Some(tp), None), ("stop", None, Some(sl))] {
                let cid = uuid_like(0x6c65_6773, self.seq + 1);
                let leg = self.new_order(&NewOrder {
                    client_id: cid,
                    symbol: symbol.clone(),
                    class: asset.class.clone(),
                    side: exit.into(),
                    order_type: kind.into(),
                    tif: tif.clone(),
                    qty,
                    limit: lim,
                    stop: stp,
                    order_class,
                    status: "held",
                    parent: Some(parent_id.clone()),
                });
                legs.push(self.orders[leg].id.clone());
            }
            self.orders[parent].legs = legs;
        }
        self.emit(parent, "new", None);
        let accepted = self.order_json(&self.orders[parent], true);
        if order_type == "market" {
            let px = self.price(&symbol);
            self.execute(parent, qty, px);
        }
        Ok(accepted)
    }

    fn new_order(&mut self, n: &NewOrder<'_>) -> usize {
        let seq = self.next_seq();
        self.used_ids.insert(n.client_id.clone());
        self.orders.push(MockOrder {
            id: uuid_like(0x6f72_6465, seq),
            client_order_id: n.client_id.clone(),
            symbol: n.symbol.clone(),
            asset_class: n.class.clone(),
            side: n.side.clone(),
            order_type: n.order_type.clone(),
            time_in_force: n.tif.clone(),
            qty: n.qty,
            filled_qty: Decimal::ZERO,
            filled_avg_price: None,
            limit_price: n.limit,
            stop_price: n.stop,
            status: n.status.into(),
            order_class: n.order_class.into(),
            legs: Vec::new(),
            parent: n.parent.clone(),
            created_at: now_rfc3339(),
        });
        self.orders.len() - 1
    }

    pub(crate) fn index_by_client_id(&self, client_id: &str) -> Option<usize> {
        self.orders
            .iter()
            .position(|o| o.client_order_id == client_id)
    }

    pub(crate) fn index_by_id(&self, id: &str) -> Option<usize> {
        self.orders.iter().position(|o| o.id == id)
    }

    /// Fills `qty` of order `idx` at `price`: the order, the position, the
    /// cash, a FILL activity and the stream all change together.
    pub(crate) fn execute(&mut self, idx: usize, qty: Decimal, price: Decimal) {
        let seq = self.next_seq();
        let (side, symbol, class, order_id, cid) = {
            let o = &mut self.orders[idx];
            let before = o.filled_qty;
            o.filled_qty += qty;
            let avg = o.filled_avg_price.unwrap_or(Decimal::ZERO);
            o.filled_avg_price = Some(((avg * before + price * qty) / o.filled_qty).normalize());
            o.status = if o.filled_qty >= o.qty {
                "filled".into()
            } else {
                "partially_filled".into()
            };
            (
                o.side.clone(),
                o.symbol.clone(),
                o.asset_class.clone(),
                o.id.clone(),
                o.client_order_id.clone(),
            )
        };
        let signed = if side == "buy" { qty } else { -qty };
        self.cash -= signed * price;
        let pos = self
            .positions
            .entry(symbol.clone())
            .or_insert(MockPosition {
                symbol: symbol.clone(),
                asset_class: class,
                qty: Decimal::ZERO,
                avg_entry_price: Decimal::ZERO,
            });
        let old = pos.qty;
        let new = old + signed;
        if old.is_zero() || old.is_sign_negative() == signed.is_sign_negative() {
            pos.avg_entry_price =
                ((old.abs() * pos.avg_entry_price + qty * price) / new.abs()).normalize();
        } else if !new.is_zero() && new.is_sign_negative() != old.is_sign_negative() {
            pos.avg_entry_price = price;
        }
        pos.qty = new;
        if new.is_zero() {
            self.positions.remove(&symbol);
        }
        let o = &self.orders[idx];
        let fill = MockFill {
            id: format!("{}::{}", activity_stamp(), uuid_like(0x6578_6563, seq)),
            order_id,
            client_order_id: cid,
            symbol,
            side,
            qty,
            price,
            cum_qty: o.filled_qty,
            leaves_qty: o.qty - o.filled_qty,
            transaction_time: now_rfc3339(),
        };
        let event = if o.status == "filled" {
            "fill"
        } else {
            "partial_fill"
        };
        self.fills.push(fill.clone());
        let times = if std::mem::take(&mut self.duplicate_next_fill) {
            2
        } else {
            1
        };
        self.emit_times(idx, event, Some((&fill, new)), times);
        self.after_fill(idx);
    }

    /// A filled bracket parent releases its legs; a filled leg cancels
    /// its sibling (one-cancels-other).
    fn after_fill(&mut self, idx: usize) {
        if self.orders[idx].status != "filled" {
            return;
        }
        let legs = self.orders[idx].legs.clone();
        for id in legs {
            if let Some(l) = self.index_by_id(&id)
                && self.orders[l].status == "held"
            {
                self.orders[l].status = "new".into();
                self.emit(l, "new", None);
            }
        }
        if let Some(parent) = self.orders[idx].parent.clone()
            && let Some(p) = self.index_by_id(&parent)
        {
            for id in self.orders[p].legs.clone() {
                if let Some(l) = self.index_by_id(&id)
                    && self.orders[l].is_open()
                {
                    self.set_canceled(l);
                }
            }
        }
    }

    fn set_canceled(&mut self, idx: usize) {
        self.orders[idx].status = "canceled".into();
        self.emit(idx, "canceled", None);
    }

    /// `DELETE /v2/orders/{id}`; a bracket parent takes its legs along.
    pub(crate) fn cancel(&mut self, id: &str) -> Result<(), Refusal> {
        let idx = self
            .index_by_id(id)
            .ok_or_else(|| refusal(404, 40410000, "order not found"))?;
        if !self.orders[idx].is_open() {
            return Err(refusal(
                422,
                42210000,
                format!(
                    "order is not cancelable (status {})",
                    self.orders[idx].status
                ),
            ));
        }
        self.set_canceled(idx);
        for leg in self.orders[idx].legs.clone() {
            if let Some(l) = self.index_by_id(&leg)
                && self.orders[l].is_open()
            {
                self.set_canceled(l);
            }
        }
        Ok(())
    }

    /// `DELETE /v2/orders`: one 207 item per open top-level order.
    pub(crate) fn cancel_all(&mut self) -> Vec<Value> {
        let ids: Vec<String> = self
            .orders
            .iter()
            .filter(|o| o.is_open() && o.parent.is_none())
            .map(|o| o.id.clone())
            .collect();
        ids.into_iter()
            .map(|id| match self.cancel(&id) {
                Ok(()) => json!({ "id": id, "status": 200 }),
                Err((status, body)) => json!({ "id": id, "status": status, "body": body }),
            })
            .collect()
    }

    /// `DELETE /v2/positions`: a market order against each position, filled
    /// at the set price; `held` positions fail with Alpaca's 403 body.
    pub(crate) fn close_all(&mut self, cancel_orders: bool, held: &[String]) -> Vec<Value> {
        if cancel_orders {
            self.cancel_all();
        }
        let positions: Vec<MockPosition> = self.positions.values().cloned().collect();
        let mut items = Vec::new();
        for p in positions {
            // Alpaca drops the slash of a crypto pair in these items.
            let item_symbol = p.symbol.replace('/', "");
            let q = p.qty.abs();
            if held.contains(&p.symbol) {
                items.push(json!({
                    "symbol": item_symbol,
                    "status": 403,
                    "body": {
                        "available": "0",
                        "code": 40310000,
                        "existing_qty": q.to_string(),
                        "held_for_orders": q.to_string(),
                        "message": format!("insufficient qty available for order (requested: {q}, available: 0)"),
                        "symbol": p.symbol,
                    },
                }));
                continue;
            }
            let cid = uuid_like(0x636c_6f73, self.seq + 1);
            let idx = self.new_order(&NewOrder {
                client_id: cid,
                symbol: p.symbol.clone(),
                class: p.asset_class.clone(),
                side: if p.qty.is_sign_negative() {
                    "buy"
                } else {
                    "sell"
                }
                .into(),
                order_type: "market".into(),
                tif: if p.asset_class == "crypto" {
                    "gtc"
                } else {
                    "day"
                }
                .into(),
                qty: q,
                limit: None,
                stop: None,
                order_class: "",
                status: "pending_new",
                parent: None,
            });
            let body = self.order_json(&self.orders[idx], true);
            self.emit(idx, "pending_new", None);
            let px = self.price(&p.symbol);
            self.execute(idx, q, px);
            items.push(json!({ "symbol": item_symbol, "status": 200, "body": body }));
        }
        items
    }

    pub(crate) fn position_json(&self, p: &MockPosition) -> Value {
        let px = self.price(&p.symbol);
        json!({
            "asset_id": uuid_like(0x6173_7374, p.symbol.len() as u64),
            "symbol": p.symbol,
            "exchange": if p.asset_class == "crypto" { "CRYPTO" } else { "NASDAQ" },
            "asset_class": p.asset_class,
            "avg_entry_price": p.avg_entry_price.to_string(),
            "qty": p.qty.to_string(),
            "qty_available": p.qty.to_string(),
            "side": if p.qty.is_sign_negative() { "short" } else { "long" },
            "market_value": (p.qty * px).to_string(),
            "cost_basis": (p.qty * p.avg_entry_price).to_string(),
            "current_price": px.to_string(),
        })
    }

    pub(crate) fn fill_json(f: &MockFill) -> Value {
        json!({
            "activity_type": "FILL",
            "id": f.id,
            "cum_qty": f.cum_qty.to_string(),
            "leaves_qty": f.leaves_qty.to_string(),
            "price": f.price.to_string(),
            "qty": f.qty.to_string(),
            "side": f.side,
            "symbol": f.symbol,
            "transaction_time": f.transaction_time,
            "order_id": f.order_id,
            "type": if f.leaves_qty.is_zero() { "fill" } else { "partial_fill" },
        })
    }

    /// Sends a raw frame to every listening stream connection.
    pub(crate) fn send_raw(&self, frame: Frame) {
        let _ = self.frames.send(frame);
    }
}

/// The fields of an order to book.
struct NewOrder<'a> {
    client_id: String,
    symbol: String,
    class: String,
    side: String,
    order_type: String,
    tif: String,
    qty: Decimal,
    limit: Option<Decimal>,
    stop: Option<Decimal>,
    order_class: &'a str,
    status: &'a str,
    parent: Option<String>,
}

/// A decimal sent as a string (Alpaca's way) or as a JSON number.
pub(crate) fn dec(v: &Value) -> Option<Decimal> {
    match v {
        Value::String(s) => s.trim().parse().ok(),
        Value::Number(n) => n.to_string().parse().ok(),
        _ => None,
    }
}
