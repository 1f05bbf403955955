//! The JSON views of the mock's truth, in OANDA's shapes: orders (a
//! dependent exit names its trade, not an instrument), trades, positions
//! with both sides, the account summary and instruments.

use super::book::{Book, MockInstrument, MockOrder, MockPosition, MockTrade, money, units_text};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

impl Book {
    pub(crate) fn order_json(&self, o: &MockOrder) -> Value {
        let mut m = Map::new();
        m.insert("id".into(), json!(o.id));
        m.insert("createTime".into(), json!(o.create_time));
        m.insert("state".into(), json!(o.state));
        m.insert("type".into(), json!(o.kind));
        if let Some(t) = &o.trade_id {
            m.insert("tradeID".into(), json!(t));
        } else {
            m.insert("instrument".into(), json!(o.instrument));
            m.insert("units".into(), json!(units_text(o.units)));
            m.insert("positionFill".into(), json!(o.position_fill));
        }
        m.insert("timeInForce".into(), json!(o.time_in_force));
        if let Some(p) = o.price {
            m.insert("price".into(), json!(self.price_text(&o.instrument, p)));
            m.insert("triggerCondition".into(), json!("DEFAULT"));
        }
        if let Some(c) = &o.client_id {
            m.insert("clientExtensions".into(), json!({ "id": c, "tag": "omni" }));
        }
        if let Some(tp) = o.take_profit_on_fill {
            let p = self.price_text(&o.instrument, tp);
            m.insert(
                "takeProfitOnFill".into(),
                json!({ "price": p, "timeInForce": "GTC" }),
            );
        }
        if let Some(sl) = o.stop_loss_on_fill {
            let p = self.price_text(&o.instrument, sl);
            m.insert(
                "stopLossOnFill".into(),
                json!({ "price": p, "timeInForce": "GTC" }),
            );
        }
        if let Some(f) = &o.filling_transaction_id {
            m.insert("fillingTransactionID".into(), json!(f));
            m.insert("filledTime".into(), json!(o.create_time));
        }
        if let Some(t) = &o.trade_opened_id {
            m.insert("tradeOpenedID".into(), json!(t));
        }
        if let Some(c) = &o.cancelling_transaction_id {
            m.insert("cancellingTransactionID".into(), json!(c));
            m.insert("cancelledTime".into(), json!(o.create_time));
        }
        Value::Object(m)
    }

    pub(crate) fn trade_json(&self, t: &MockTrade) -> Value {
        let order = |id: &Option<String>| {
            id.as_ref()
                .and_then(|id| self.orders.iter().find(|o| &o.id == id))
                .map(|o| self.order_json(o))
        };
        let upl = (self.price(&t.instrument) - t.price) * t.current_units;
        let mut v = json!({
            "id": t.id,
            "instrument": t.instrument,
            "price": self.price_text(&t.instrument, t.price),
            "openTime": t.open_time,
            "state": t.state,
            "initialUnits": units_text(t.initial_units),
            "initialMarginRequired": money(self.trade_margin(t)),
            "currentUnits": units_text(t.current_units),
            "realizedPL": money(t.realized_pl),
            "unrealizedPL": money(upl),
            "marginUsed": money(self.trade_margin(t)),
            "financing": "0.0000",
        });
        if let Some(obj) = v.as_object_mut() {
            if let Some(o) = order(&t.take_profit_order_id) {
                obj.insert("takeProfitOrder".into(), o);
            }
            if let Some(o) = order(&t.stop_loss_order_id) {
                obj.insert("stopLossOrder".into(), o);
            }
        }
        v
    }

    pub(crate) fn position_json(&self, p: &MockPosition) -> Value {
        let side = |long: bool, units: Decimal, avg: Option<Decimal>| {
            let trades: Vec<&MockTrade> = self
                .open_trades()
                .filter(|t| t.instrument == p.instrument)
                .filter(|t| t.current_units.is_sign_positive() == long)
                .collect();
            let upl: Decimal = trades
                .iter()
                .map(|t| (self.price(&t.instrument) - t.price) * t.current_units)
                .sum();
            let mut s = json!({
                "units": units_text(units),
                "pl": "0.0000",
                "unrealizedPL": money(upl),
                "resettablePL": "0.0000",
                "financing": "0.0000",
            });
            if let (Some(obj), Some(avg), false) = (s.as_object_mut(), avg, units.is_zero()) {
                obj.insert(
                    "averagePrice".into(),
                    json!(self.price_text(&p.instrument, avg)),
                );
                let ids: Vec<&str> = trades.iter().map(|t| t.id.as_str()).collect();
                obj.insert("tradeIDs".into(), json!(ids));
            }
            (s, upl)
        };
        let (long, lu) = side(true, p.long_units, p.long_average_price);
        let (short, su) = side(false, p.short_units, p.short_average_price);
        json!({
            "instrument": p.instrument,
            "pl": "0.0000",
            "unrealizedPL": money(lu + su),
            "resettablePL": "0.0000",
            "commission": "0.0000",
            "long": long,
            "short": short,
        })
    }

    pub(crate) fn summary_json(&self) -> Value {
        let nav = self.nav();
        let used = self.margin_used();
        let value: Decimal = self
            .open_trades()
            .map(|t| t.current_units.abs() * self.price(&t.instrument))
            .sum();
        let closeout = if nav > Decimal::ZERO {
            (used / (nav * Decimal::TWO)).round_dp(5)
        } else {
            Decimal::ZERO
        };
        json!({
            "account": {
                "id": self.account_id,
                "alias": "Primary",
                "currency": self.currency,
                "balance": money(self.balance),
                "createdByUserID": 1_435_156,
                "createdTime": "2016-06-22T18:41:29.285982286Z",
                "pl": "0.0000",
                "resettablePL": "0.0000",
                "financing": "0.0000",
                "commission": "0.0000",
                "marginRate": "0.02",
                "openTradeCount": self.open_trades().count(),
                "openPositionCount": self.positions().len(),
                "pendingOrderCount": self.orders.iter().filter(|o| o.state == "PENDING").count(),
                "hedgingEnabled": false,
                "unrealizedPL": money(self.unrealized()),
                "NAV": money(nav),
                "marginUsed": money(used),
                "marginAvailable": money(self.margin_available()),
                "positionValue": money(value),
                "marginCloseoutUnrealizedPL": money(self.unrealized()),
                "marginCloseoutNAV": money(nav),
                "marginCloseoutMarginUsed": money(used),
                "marginCloseoutPercent": format!("{closeout:.5}"),
                "withdrawalLimit": money(self.margin_available()),
                "lastTransactionID": self.last_id(),
            },
            "lastTransactionID": self.last_id(),
        })
    }

    pub(crate) fn instrument_json(i: &MockInstrument) -> Value {
        json!({
            "name": i.name,
            "type": "CURRENCY",
            "displayName": i.name.replace('_', "/"),
            "pipLocation": i.pip_location,
            "displayPrecision": i.display_precision,
            "tradeUnitsPrecision": i.trade_units_precision,
            "minimumTradeSize": units_text(i.minimum_trade_size),
            "maximumTrailingStopDistance": "1.00000",
            "minimumTrailingStopDistance": "0.00050",
            "maximumPositionSize": "0",
            "maximumOrderUnits": units_text(i.maximum_order_units),
            "marginRate": i.margin_rate.to_string(),
        })
    }
}
