//! Trading on the mock account: placing (with OANDA's request checks and
//! reject transactions), filling with netting and dependent exits, the
//! margin check, cancelling, price moves that trigger resting orders and
//! exits, and position closes per side.

use super::book::{
    Answer, Book, MockOrder, MockTrade, dec, money, now_rfc3339, places, units_text,
};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

impl Book {
    /// The index of an order by `specifier`: its id or `@` and its client id.
    pub(crate) fn find(&self, specifier: &str) -> Option<usize> {
        match specifier.strip_prefix('@') {
            Some(cid) => self
                .orders
                .iter()
                .position(|o| o.client_id.as_deref() == Some(cid)),
            None => self.orders.iter().position(|o| o.id == specifier),
        }
    }

    /// A 400 with the reject transaction of an order request.
    pub(crate) fn reject_order(&mut self, order: &Value, reason: &str) -> Answer {
        let kind = order
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("MARKET");
        let t = self.add(
            &format!("{kind}_ORDER_REJECT"),
            json!({
                "instrument": order.get("instrument"),
                "units": order.get("units"),
                "price": order.get("price"),
                "timeInForce": order.get("timeInForce"),
                "positionFill": order.get("positionFill"),
                "clientExtensions": order.get("clientExtensions"),
                "reason": "CLIENT_ORDER",
                "rejectReason": reason,
            }),
        );
        let mut body = Map::new();
        body.insert("orderRejectTransaction".into(), t);
        body.insert("errorCode".into(), json!(reason));
        body.insert("errorMessage".into(), json!(reject_message(reason)));
        (400, self.envelope(body))
    }

    /// `POST …/orders`.
    pub(crate) fn place(&mut self, body: &Value) -> Answer {
        let Some(order) = body.get("order").filter(|o| o.is_object()) else {
            return (
                400,
                json!({ "errorMessage": "Invalid value specified for 'order'" }),
            );
        };
        match self.validate(order) {
            Ok(v) => self.accept(order, v),
            Err(reason) => self.reject_order(order, reason),
        }
    }

    fn validate(&self, o: &Value) -> Result<Valid, &'static str> {
        let text = |k: &str| o.get(k).and_then(Value::as_str).map(str::to_string);
        let kind = text("type").unwrap_or_default();
        if !matches!(kind.as_str(), "MARKET" | "LIMIT" | "STOP") {
            return Err("ORDER_TYPE_INVALID");
        }
        let instrument = text("instrument").ok_or("INSTRUMENT_MISSING")?;
        let inst = self
            .instruments
            .get(&instrument)
            .ok_or("INSTRUMENT_UNKNOWN")?;
        let units = o.get("units").ok_or("UNITS_MISSING")?;
        let units = dec(units).filter(|u| !u.is_zero()).ok_or("UNITS_INVALID")?;
        if places(units) > inst.trade_units_precision {
            return Err("UNITS_PRECISION_EXCEEDED");
        }
        if units.abs() < inst.minimum_trade_size {
            return Err("UNITS_MIMIMUM_NOT_MET");
        }
        if units.abs() > inst.maximum_order_units {
            return Err("UNITS_LIMIT_EXCEEDED");
        }
        let default_tif = if kind == "MARKET" { "FOK" } else { "GTC" };
        let tif = text("timeInForce").unwrap_or_else(|| default_tif.into());
        let tif_ok = match kind.as_str() {
            "MARKET" => matches!(tif.as_str(), "FOK" | "IOC"),
            _ => matches!(tif.as_str(), "GTC" | "GFD" | "GTD" | "FOK" | "IOC"),
        };
        if !tif_ok {
            return Err("TIME_IN_FORCE_INVALID");
        }
        let dp = inst.display_precision;
        let price = match kind.as_str() {
            "MARKET" => None,
            _ => {
                let p = o.get("price").ok_or("PRICE_MISSING")?;
                let p = dec(p)
                    .filter(|p| *p > Decimal::ZERO)
                    .ok_or("PRICE_INVALID")?;
                if places(p) > dp {
                    return Err("PRICE_PRECISION_EXCEEDED");
                }
                Some(p)
            }
        };
        let exit =
            |key: &str, missing, invalid, precision| -> Result<Option<Decimal>, &'static str> {
                let Some(details) = o.get(key) else {
                    return Ok(None);
                };
                let p = details.get("price").ok_or(missing)?;
                let p = dec(p).filter(|p| *p > Decimal::ZERO).ok_or(invalid)?;
                if places(p) > dp {
                    return Err(precision);
                }
                Ok(Some(p))
            };
        let take_profit = exit(
            "takeProfitOnFill",
            "TAKE_PROFIT_ON_FILL_PRICE_MISSING",
            "TAKE_PROFIT_ON_FILL_PRICE_INVALID",
            "TAKE_PROFIT_ON_FILL_PRICE_PRECISION_EXCEEDED",
        )?;
        let stop_loss = exit(
            "stopLossOnFill",
            "STOP_LOSS_ON_FILL_PRICE_MISSING",
            "STOP_LOSS_ON_FILL_PRICE_INVALID",
            "STOP_LOSS_ON_FILL_PRICE_PRECISION_EXCEEDED",
        )?;
        let client_id = o
            .pointer("/clientExtensions/id")
            .and_then(Value::as_str)
            .map(str::to_string);
        if let Some(c) = &client_id {
            if c.is_empty() || c.len() > 128 {
                return Err("CLIENT_ORDER_ID_INVALID");
            }
            if self.used_ids.contains(c) {
                return Err("CLIENT_ORDER_ID_ALREADY_EXISTS");
            }
        }
        Ok(Valid {
            kind,
            instrument,
            units,
            tif,
            price,
            take_profit,
            stop_loss,
            client_id,
            position_fill: text("positionFill").unwrap_or_else(|| "DEFAULT".into()),
        })
    }

    fn accept(&mut self, o: &Value, v: Valid) -> Answer {
        let create = self.add(
            &format!("{}_ORDER", v.kind),
            json!({
                "instrument": v.instrument,
                "units": units_text(v.units),
                "price": v.price.map(|p| self.price_text(&v.instrument, p)),
                "timeInForce": v.tif,
                "positionFill": v.position_fill,
                "triggerCondition": v.price.map(|_| "DEFAULT"),
                "reason": "CLIENT_ORDER",
                "clientExtensions": o.get("clientExtensions"),
                "takeProfitOnFill": o.get("takeProfitOnFill"),
                "stopLossOnFill": o.get("stopLossOnFill"),
            }),
        );
        let id = create
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if let Some(c) = &v.client_id {
            self.used_ids.insert(c.clone());
        }
        self.orders.push(MockOrder {
            id,
            client_id: v.client_id,
            kind: v.kind.clone(),
            instrument: v.instrument.clone(),
            units: v.units,
            price: v.price,
            time_in_force: v.tif,
            state: "PENDING".into(),
            trade_id: None,
            take_profit_on_fill: v.take_profit,
            stop_loss_on_fill: v.stop_loss,
            filling_transaction_id: None,
            cancelling_transaction_id: None,
            trade_opened_id: None,
            create_time: now_rfc3339(),
            position_fill: v.position_fill,
        });
        let idx = self.orders.len() - 1;
        let mut body = Map::new();
        body.insert("orderCreateTransaction".into(), create);
        let px = self.price(&v.instrument);
        if v.kind == "MARKET" || self.crosses(idx, px) {
            match self.fill(idx, px, true) {
                Ok(fill) => {
                    body.insert("orderFillTransaction".into(), fill);
                    if let Some(cancel) = self.remainder_cancel.take() {
                        body.insert("orderCancelTransaction".into(), cancel);
                    }
                }
                Err(cancel) => {
                    body.insert("orderCancelTransaction".into(), cancel);
                }
            }
        }
        (201, self.envelope(body))
    }

    /// True when `price` triggers pending order `idx`.
    fn crosses(&self, idx: usize, price: Decimal) -> bool {
        let o = &self.orders[idx];
        let Some(p) = o.price else {
            return false;
        };
        let buy = o.units.is_sign_positive();
        match (o.kind.as_str(), buy) {
            ("LIMIT" | "TAKE_PROFIT", true) => price <= p,
            ("LIMIT" | "TAKE_PROFIT", false) => price >= p,
            ("STOP" | "STOP_LOSS", true) => price >= p,
            ("STOP" | "STOP_LOSS", false) => price <= p,
            _ => false,
        }
    }

    /// Fills pending order `idx` at `price`: reduces opposite trades
    /// (oldest first), opens a trade with the rest, makes the order's
    /// dependent exits and cancels the exits of closed trades. With
    /// `check_margin`, an order whose opening part needs more margin than
    /// is available is cancelled (`INSUFFICIENT_MARGIN`) instead. Returns
    /// the fill, or the cancel.
    fn fill(&mut self, idx: usize, price: Decimal, check_margin: bool) -> Result<Value, Value> {
        let (instrument, mut units) = {
            let o = &self.orders[idx];
            let units = match &o.trade_id {
                // An exit closes what is left of its trade.
                Some(t) => self
                    .trades
                    .iter()
                    .find(|tr| &tr.id == t)
                    .map_or(Decimal::ZERO, |tr| -tr.current_units),
                None => o.units,
            };
            (o.instrument.clone(), units)
        };
        let opposite: Decimal = self
            .open_trades()
            .filter(|t| t.instrument == instrument)
            .filter(|t| t.current_units.is_sign_positive() != units.is_sign_positive())
            .map(|t| t.current_units.abs())
            .sum();
        // A scripted partial fill of an IOC order (a FOK order fills in
        // full or not at all): only part fills, the rest is cancelled.
        let mut partial = false;
        if self.orders[idx].time_in_force == "IOC"
            && self.orders[idx].trade_id.is_none()
            && let Some(part) = self
                .partial_next
                .filter(|p| *p > Decimal::ZERO && *p < units.abs())
        {
            self.partial_next = None;
            partial = true;
            units = if units.is_sign_negative() {
                -part
            } else {
                part
            };
        }
        if self.orders[idx].position_fill == "REDUCE_ONLY" && units.abs() > opposite {
            units = if units.is_sign_negative() {
                -opposite
            } else {
                opposite
            };
        }
        let opening = (units.abs() - opposite).max(Decimal::ZERO);
        let rate = self
            .instruments
            .get(&instrument)
            .map_or(Decimal::ONE, |i| i.margin_rate);
        if units.is_zero() || (check_margin && opening * price * rate > self.margin_available()) {
            let reason = if units.is_zero() {
                "POSITION_CLOSEOUT_FAILED"
            } else {
                "INSUFFICIENT_MARGIN"
            };
            return Err(self.cancel_idx(idx, reason));
        }
        let fill_id = self.next_id();
        let mut left = units;
        let mut pl = Decimal::ZERO;
        let mut closed = Vec::new();
        let mut reduced = None;
        let mut closed_trade_ids = Vec::new();
        for t in self
            .trades
            .iter_mut()
            .filter(|t| t.state == "OPEN" && t.instrument == instrument)
        {
            if left.is_zero() || t.current_units.is_sign_positive() == left.is_sign_positive() {
                continue;
            }
            // `k` is the trade's own units that close (same sign as it).
            let k = if left.abs() >= t.current_units.abs() {
                t.current_units
            } else {
                -left
            };
            let realized = (price - t.price) * k;
            pl += realized;
            t.realized_pl += realized;
            t.current_units -= k;
            left += k;
            let entry = json!({
                "tradeID": t.id,
                "units": units_text(-k),
                "price": price.to_string(),
                "realizedPL": money(realized),
                "financing": "0.0000",
            });
            if t.current_units.is_zero() {
                t.state = "CLOSED".into();
                closed.push(entry);
                closed_trade_ids.push(t.id.clone());
            } else {
                reduced = Some(entry);
            }
        }
        self.balance += pl;
        let o = self.orders[idx].clone();
        let reason = match (o.kind.as_str(), o.position_fill.as_str()) {
            ("MARKET", "REDUCE_ONLY") => "MARKET_ORDER_POSITION_CLOSEOUT".to_string(),
            (k, _) => format!("{k}_ORDER"),
        };
        let mut fields = json!({
            "orderID": o.id,
            "clientOrderID": o.client_id,
            "instrument": instrument,
            "units": units_text(units),
            "price": self.price_text(&instrument, price),
            "fullVWAP": self.price_text(&instrument, price),
            "reason": reason,
            "pl": money(pl),
            "financing": "0.0000",
            "commission": "0.0000",
            "accountBalance": money(self.balance),
            "halfSpreadCost": "0.0000",
        });
        let opened_id = (!left.is_zero()).then(|| fill_id.to_string());
        if let Some(obj) = fields.as_object_mut() {
            if let Some(tid) = &opened_id {
                obj.insert(
                    "tradeOpened".into(),
                    json!({ "tradeID": tid, "units": units_text(left), "price": price.to_string() }),
                );
            }
            if !closed.is_empty() {
                obj.insert("tradesClosed".into(), Value::Array(closed));
            }
            if let Some(r) = reduced {
                obj.insert("tradeReduced".into(), r);
            }
        }
        let fill = self.record(fill_id, "ORDER_FILL", fields);
        {
            let o = &mut self.orders[idx];
            o.state = "FILLED".into();
            o.filling_transaction_id = Some(fill_id.to_string());
            o.trade_opened_id = opened_id.clone();
        }
        if let Some(tid) = opened_id {
            self.trades.push(MockTrade {
                id: tid.clone(),
                instrument: instrument.clone(),
                price,
                initial_units: left,
                current_units: left,
                state: "OPEN".into(),
                realized_pl: Decimal::ZERO,
                open_time: now_rfc3339(),
                take_profit_order_id: None,
                stop_loss_order_id: None,
            });
            for (kind, p) in [
                ("TAKE_PROFIT", o.take_profit_on_fill),
                ("STOP_LOSS", o.stop_loss_on_fill),
            ] {
                if let Some(p) = p {
                    self.dependent(kind, &tid, &instrument, -left, p, fill_id);
                }
            }
        }
        if partial {
            let cancel = self.cancel_idx(idx, "INSUFFICIENT_LIQUIDITY");
            self.remainder_cancel = Some(cancel);
        }
        for tid in closed_trade_ids {
            let exits: Vec<usize> = (0..self.orders.len())
                .filter(|i| {
                    self.orders[*i].trade_id.as_deref() == Some(tid.as_str())
                        && self.orders[*i].state == "PENDING"
                        && *i != idx
                })
                .collect();
            for i in exits {
                self.cancel_idx(i, "LINKED_TRADE_CLOSED");
            }
        }
        Ok(fill)
    }

    /// Makes a trade's `TAKE_PROFIT` or `STOP_LOSS` order.
    fn dependent(
        &mut self,
        kind: &str,
        trade_id: &str,
        instrument: &str,
        units: Decimal,
        price: Decimal,
        fill_id: u64,
    ) {
        let t = self.add(
            &format!("{kind}_ORDER"),
            json!({
                "tradeID": trade_id,
                "price": self.price_text(instrument, price),
                "timeInForce": "GTC",
                "triggerCondition": "DEFAULT",
                "reason": "ON_FILL",
                "orderFillTransactionID": fill_id.to_string(),
            }),
        );
        let id = t
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        self.orders.push(MockOrder {
            id: id.clone(),
            client_id: None,
            kind: kind.into(),
            instrument: instrument.into(),
            units,
            price: Some(price),
            time_in_force: "GTC".into(),
            state: "PENDING".into(),
            trade_id: Some(trade_id.into()),
            take_profit_on_fill: None,
            stop_loss_on_fill: None,
            filling_transaction_id: None,
            cancelling_transaction_id: None,
            trade_opened_id: None,
            create_time: now_rfc3339(),
            position_fill: "REDUCE_ONLY".into(),
        });
        if let Some(tr) = self.trades.iter_mut().find(|tr| tr.id == trade_id) {
            if kind == "TAKE_PROFIT" {
                tr.take_profit_order_id = Some(id);
            } else {
                tr.stop_loss_order_id = Some(id);
            }
        }
    }

    /// Cancels order `idx` with `reason`; returns the cancel transaction.
    fn cancel_idx(&mut self, idx: usize, reason: &str) -> Value {
        let o = self.orders[idx].clone();
        let t = self.add(
            "ORDER_CANCEL",
            json!({ "orderID": o.id, "clientOrderID": o.client_id, "reason": reason }),
        );
        let o = &mut self.orders[idx];
        o.state = "CANCELLED".into();
        o.cancelling_transaction_id = t.get("id").and_then(Value::as_str).map(str::to_string);
        if let Some(tid) = o.trade_id.clone()
            && let Some(tr) = self.trades.iter_mut().find(|tr| tr.id == tid)
        {
            let id = Some(self.orders[idx].id.clone());
            if tr.take_profit_order_id == id {
                tr.take_profit_order_id = None;
            }
            if tr.stop_loss_order_id == id {
                tr.stop_loss_order_id = None;
            }
        }
        t
    }

    /// `PUT …/orders/{specifier}/cancel`: only a pending order can be
    /// cancelled; any other answer is `ORDER_DOESNT_EXIST`.
    pub(crate) fn cancel(&mut self, specifier: &str) -> Answer {
        match self
            .find(specifier)
            .filter(|i| self.orders[*i].state == "PENDING")
        {
            Some(i) => {
                let t = self.cancel_idx(i, "CLIENT_REQUEST");
                let mut body = Map::new();
                body.insert("orderCancelTransaction".into(), t);
                (200, self.envelope(body))
            }
            None => {
                let (id, cid) = match specifier.strip_prefix('@') {
                    Some(c) => (None, Some(c)),
                    None => (Some(specifier), None),
                };
                let t = self.add(
                    "ORDER_CANCEL_REJECT",
                    json!({ "orderID": id, "clientOrderID": cid, "rejectReason": "ORDER_DOESNT_EXIST" }),
                );
                let mut body = Map::new();
                body.insert("orderCancelRejectTransaction".into(), t);
                body.insert("errorCode".into(), json!("ORDER_DOESNT_EXIST"));
                body.insert(
                    "errorMessage".into(),
                    json!(reject_message("ORDER_DOESNT_EXIST")),
                );
                (404, self.envelope(body))
            }
        }
    }

    /// Moves `instrument`'s price and fills every pending order it
    /// crosses (resting limits and stops, trades' exits), oldest first.
    pub(crate) fn set_price(&mut self, instrument: &str, price: Decimal) {
        self.prices.insert(instrument.to_string(), price);
        self.begin();
        while let Some(i) = (0..self.orders.len()).find(|i| {
            let o = &self.orders[*i];
            o.state == "PENDING" && o.instrument == instrument && self.crosses(*i, price)
        }) {
            let check = self.orders[i].trade_id.is_none();
            // A cancel (margin) is the answer too; both end the order.
            let _ = self.fill(i, price, check);
            self.remainder_cancel = None;
        }
    }

    /// `PUT …/positions/{instrument}/close` with `longUnits`/`shortUnits`
    /// (`ALL`, `NONE`, or a number of units).
    pub(crate) fn close_position(&mut self, instrument: &str, body: &Value) -> Answer {
        let pos = self
            .positions()
            .into_iter()
            .find(|p| p.instrument == instrument);
        let want = |key: &str| match body.get(key) {
            None => Ok(None),
            Some(Value::String(s)) if s == "NONE" => Ok(None),
            Some(Value::String(s)) if s == "ALL" => Ok(Some(None)),
            Some(v) => dec(v)
                .filter(|d| *d > Decimal::ZERO)
                .map(|d| Some(Some(d)))
                .ok_or("CLOSEOUT_POSITION_INCOMPLETE_SPECIFICATION"),
        };
        let (long, short) = match (want("longUnits"), want("shortUnits")) {
            (Ok(l), Ok(s)) => (l, s),
            _ => {
                return self.close_reject(
                    &[("long", "CLOSEOUT_POSITION_INCOMPLETE_SPECIFICATION")],
                    400,
                );
            }
        };
        if long.is_none() && short.is_none() {
            return self.close_reject(
                &[("long", "CLOSEOUT_POSITION_INCOMPLETE_SPECIFICATION")],
                400,
            );
        }
        let held = |long_side: bool| {
            pos.as_ref().map_or(Decimal::ZERO, |p| {
                if long_side {
                    p.long_units
                } else {
                    p.short_units
                }
            })
        };
        let mut rejects = Vec::new();
        if long.is_some() && held(true).is_zero() {
            rejects.push(("long", "CLOSEOUT_POSITION_DOESNT_EXIST"));
        }
        if short.is_some() && held(false).is_zero() {
            rejects.push(("short", "CLOSEOUT_POSITION_DOESNT_EXIST"));
        }
        if !rejects.is_empty() {
            let status = if pos.is_none() { 404 } else { 400 };
            return self.close_reject(&rejects, status);
        }
        let mut out = Map::new();
        for (side, want, units) in [("long", long, held(true)), ("short", short, held(false))] {
            let Some(amount) = want else { continue };
            let close = amount.map_or(-units, |a| {
                if units.is_sign_negative() {
                    a.min(units.abs())
                } else {
                    -a.min(units)
                }
            });
            let closeout_key = format!("{side}PositionCloseout");
            let all = amount.map_or("ALL".to_string(), units_text);
            let mut fields = json!({
                "instrument": instrument,
                "units": units_text(close),
                "timeInForce": "FOK",
                "positionFill": "REDUCE_ONLY",
                "reason": "POSITION_CLOSEOUT",
            });
            if let Some(obj) = fields.as_object_mut() {
                obj.insert(
                    closeout_key,
                    json!({ "instrument": instrument, "units": all }),
                );
            }
            let create = self.add("MARKET_ORDER", fields);
            let id = create
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            self.orders.push(MockOrder {
                id,
                client_id: None,
                kind: "MARKET".into(),
                instrument: instrument.into(),
                units: close,
                price: None,
                time_in_force: "FOK".into(),
                state: "PENDING".into(),
                trade_id: None,
                take_profit_on_fill: None,
                stop_loss_on_fill: None,
                filling_transaction_id: None,
                cancelling_transaction_id: None,
                trade_opened_id: None,
                create_time: now_rfc3339(),
                position_fill: "REDUCE_ONLY".into(),
            });
            let idx = self.orders.len() - 1;
            out.insert(format!("{side}OrderCreateTransaction"), create);
            let px = self.price(instrument);
            match self.fill(idx, px, false) {
                Ok(f) => out.insert(format!("{side}OrderFillTransaction"), f),
                Err(c) => out.insert(format!("{side}OrderCancelTransaction"), c),
            };
        }
        (200, self.envelope(out))
    }

    /// A refused close: one reject transaction per refused side.
    pub(crate) fn close_reject(&mut self, sides: &[(&str, &str)], status: u16) -> Answer {
        let mut body = Map::new();
        for (side, reason) in sides {
            let t = self.add(
                "MARKET_ORDER_REJECT",
                json!({ "reason": "POSITION_CLOSEOUT", "rejectReason": reason }),
            );
            body.insert(format!("{side}OrderRejectTransaction"), t);
        }
        let reason = sides.first().map_or("CLOSEOUT_POSITION_REJECT", |s| s.1);
        body.insert("errorCode".into(), json!(reason));
        body.insert("errorMessage".into(), json!(reject_message(reason)));
        (status, self.envelope(body))
    }

    /// A 400 for a cancel refused by a scripted fault.
    pub(crate) fn cancel_reject(&mut self, specifier: &str, reason: &str) -> Answer {
        let t = self.add(
            "ORDER_CANCEL_REJECT",
            json!({ "orderID": specifier, "rejectReason": reason }),
        );
        let mut body = Map::new();
        body.insert("orderCancelRejectTransaction".into(), t);
        body.insert("errorCode".into(), json!(reason));
        body.insert("errorMessage".into(), json!(reject_message(reason)));
        (400, self.envelope(body))
    }
}

/// What request validation found.
struct Valid {
    kind: String,
    instrument: String,
    units: Decimal,
    tif: String,
    price: Option<Decimal>,
    take_profit: Option<Decimal>,
    stop_loss: Option<Decimal>,
    client_id: Option<String>,
    position_fill: String,
}

/// A human sentence for a reject reason (OANDA's exact texts are not
/// published; these only have to be readable).
pub(crate) fn reject_message(reason: &str) -> String {
    match reason {
        "ORDER_DOESNT_EXIST" => "The Order specified does not exist".into(),
        "CLIENT_ORDER_ID_ALREADY_EXISTS" => {
            "The client Order ID specified is already in use".into()
        }
        "INSUFFICIENT_MARGIN" => "Insufficient margin to perform request".into(),
        "CLOSEOUT_POSITION_DOESNT_EXIST" => {
            "The Position requested to be closed out does not exist".into()
        }
        "UNITS_MIMIMUM_NOT_MET" => {
            "The Order units specified do not meet the minimum trade size".into()
        }
        "UNITS_PRECISION_EXCEEDED" => "The units specified exceeds the allowed precision".into(),
        "PRICE_PRECISION_EXCEEDED" => "The price specified exceeds the allowed precision".into(),
        other => format!("The request was rejected: {other}"),
    }
}
