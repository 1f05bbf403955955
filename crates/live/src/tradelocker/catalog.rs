//! What sending needs from `/trade/config` and the account's instruments:
//! the column lists of each table, each instrument's
//! `tradableInstrumentId`, TRADE and INFO route ids, and its [`Spec`]
//! (contract size, lot rules, ticks) from its details; plus
//! [`Catalog::conform`], the order checks made before anything is sent,
//! and [`Catalog::report`], which turns the lots TradeLocker reports into
//! the units the order manager and the engine count in.

use super::rows::Columns;
use super::sizing::{Toward, lots_to_units, round_price};
use super::specs::Spec;
use super::wire::{RateLimit, RawObject, WireTable, field_decimal, field_text, text};
use crate::api::PlaceRequest;
use omni_core::domain::{OrderType, Side, TimeInForce};
use rust_decimal::Decimal;
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::sync::RwLock;

/// The longest `strategyId` (our client id) the official client allows.
pub(crate) const MAX_STRATEGY_ID: usize = 32;
/// The lot rule the official client hard-codes, used when neither the
/// instrument's details nor the instrument list name one.
pub(crate) const DEFAULT_LOT: Decimal = Decimal::from_parts(1, 0, 0, false, 2);

/// The column lists of the tables this adapter reads.
#[derive(Clone, Debug, Default)]
pub(crate) struct Tables {
    pub orders: Columns,
    pub history: Columns,
    pub positions: Columns,
    pub executions: Columns,
    pub account: Columns,
}

/// One instrument of the account, as the instrument list gives it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Instrument {
    pub tradable_id: String,
    pub name: String,
    pub trade_route: String,
    /// The route its details (and quotes) are asked on.
    pub info_route: Option<String>,
    /// Lot rules from the list, or 0.01: the fallback of its details'.
    pub min_lot: Decimal,
    pub lot_step: Decimal,
}

/// Appended to an instrument's name where its quantities stay in lots (its
/// contract size is unknown), so no instrument of the catalog is ever
/// credited with lots as if they were units.
pub(crate) const IN_LOTS: &str = " (lots: no contract size)";

#[derive(Default)]
struct Inner {
    tables: Option<Tables>,
    by_name: HashMap<String, Instrument>,
    name_by_id: HashMap<String, String>,
    /// Specs by `tradableInstrumentId`, kept across reloads of the list.
    specs: HashMap<String, Spec>,
}

/// Config, instruments and their specs, filled by `prepare` (or on first
/// need).
#[derive(Default)]
pub(crate) struct Catalog {
    inner: RwLock<Inner>,
    /// The catalog's tick size by TradeLocker instrument name (`EURUSD`),
    /// for an instrument whose details give no tick.
    fallback_ticks: HashMap<String, Decimal>,
}

/// Reads `/trade/config`'s `d`: the tables and the rate limits.
pub(crate) fn parse_config(d: &RawValue) -> Result<(Tables, Vec<RateLimit>), String> {
    let obj: RawObject =
        serde_json::from_str(d.get()).map_err(|e| format!("config is not an object: {e}"))?;
    let table = |key: &str| -> Result<Option<Columns>, String> {
        let Some(raw) = obj.get(key) else {
            return Ok(None);
        };
        let t: WireTable =
            serde_json::from_str(raw.get()).map_err(|e| format!("config `{key}`: {e}"))?;
        let ids: Vec<String> = t.columns.into_iter().map(|c| c.id).collect();
        Ok(Some(Columns::new(&ids)))
    };
    let need = |key: &str| -> Result<Columns, String> {
        table(key)?
            .filter(|c| !c.is_empty())
            .ok_or_else(|| format!("config has no `{key}` columns"))
    };
    let orders = need("ordersConfig")?;
    let tables = Tables {
        history: table("ordersHistoryConfig")?.unwrap_or_else(|| orders.clone()),
        orders,
        positions: need("positionsConfig")?,
        executions: need("filledOrdersConfig")?,
        account: need("accountDetailsConfig")?,
    };
    let limits = match obj.get("rateLimits") {
        None => Vec::new(),
        Some(raw) => serde_json::from_str::<Vec<RawObject>>(raw.get())
            .map_err(|e| format!("config `rateLimits`: {e}"))?
            .iter()
            .filter_map(RateLimit::from_raw)
            .collect(),
    };
    Ok((tables, limits))
}

/// Reads `GET /trade/accounts/{id}/instruments`'s `d.instruments`.
///
/// Lot rules: the list carries none (they, and the contract size, are in
/// each instrument's details, see [`super::specs`]); a `minLot`/`lotStep`
/// (or `minOrderSize`/`qtyStep`) field, where a broker's list sends one,
/// stands in for details that lack it, else the official client's 0.01.
pub(crate) fn parse_instruments(d: &RawValue) -> Result<Vec<Instrument>, String> {
    #[derive(serde::Deserialize)]
    struct D {
        #[serde(default)]
        instruments: Vec<RawObject>,
    }
    let d: D = serde_json::from_str(d.get()).map_err(|e| format!("instruments: {e}"))?;
    let mut out = Vec::with_capacity(d.instruments.len());
    for i in &d.instruments {
        let (Some(tradable_id), Some(name)) =
            (field_text(i, "tradableInstrumentId"), field_text(i, "name"))
        else {
            continue;
        };
        let routes: Vec<RawObject> = i
            .get("routes")
            .and_then(|r| serde_json::from_str(r.get()).ok())
            .unwrap_or_default();
        let route = |kind: &str| {
            routes
                .iter()
                .find(|r| field_text(r, "type").is_some_and(|t| t.eq_ignore_ascii_case(kind)))
                .and_then(|r| r.get("id").and_then(|v| text(v)))
        };
        let Some(trade_route) = route("TRADE") else {
            continue;
        };
        let positive = |keys: &[&str]| {
            keys.iter()
                .find_map(|k| field_decimal(i, k))
                .filter(|v| *v > Decimal::ZERO)
        };
        out.push(Instrument {
            tradable_id,
            name,
            trade_route,
            info_route: route("INFO"),
            min_lot: positive(&["minLot", "minOrderSize"]).unwrap_or(DEFAULT_LOT),
            lot_step: positive(&["lotStep", "qtyStep"]).unwrap_or(DEFAULT_LOT),
        });
    }
    Ok(out)
}

impl Catalog {
    /// An empty catalog that rounds prices to `fallback_ticks` (by
    /// TradeLocker name) where the broker gives no tick.
    pub(crate) fn with_fallback_ticks(fallback_ticks: HashMap<String, Decimal>) -> Self {
        Self {
            inner: RwLock::default(),
            fallback_ticks,
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        // Replaced whole under the lock; a poisoned lock still holds a
        // complete catalog.
        self.inner
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn set_tables(&self, tables: Tables) {
        self.write().tables = Some(tables);
    }

    pub(crate) fn tables(&self) -> Option<Tables> {
        self.read().tables.clone()
    }

    pub(crate) fn set_instruments(&self, list: Vec<Instrument>) {
        let mut w = self.write();
        w.name_by_id = list
            .iter()
            .map(|i| (i.tradable_id.clone(), i.name.clone()))
            .collect();
        w.by_name = list.into_iter().map(|i| (i.name.clone(), i)).collect();
    }

    pub(crate) fn has_instruments(&self) -> bool {
        !self.read().by_name.is_empty()
    }

    pub(crate) fn instrument(&self, name: &str) -> Option<Instrument> {
        self.read().by_name.get(name).cloned()
    }

    /// The instrument name of a `tradableInstrumentId` (the id itself
    /// when unknown, so nothing is silently dropped).
    pub(crate) fn name_of(&self, tradable_id: &str) -> String {
        self.read()
            .name_by_id
            .get(tradable_id)
            .cloned()
            .unwrap_or_else(|| tradable_id.to_string())
    }

    /// The instruments of these `tradableInstrumentId`s whose spec has not
    /// been read yet (ids the list does not name are left out: there is no
    /// route to ask their details with).
    pub(crate) fn without_spec<'a>(
        &self,
        ids: impl IntoIterator<Item = &'a str>,
    ) -> Vec<Instrument> {
        let r = self.read();
        let mut out: Vec<Instrument> = Vec::new();
        for id in ids {
            if r.specs.contains_key(id) || out.iter().any(|i| i.tradable_id == id) {
                continue;
            }
            if let Some(ins) = r.name_by_id.get(id).and_then(|n| r.by_name.get(n)) {
                out.push(ins.clone());
            }
        }
        out
    }

    pub(crate) fn set_spec(&self, tradable_id: &str, spec: Spec) {
        self.write().specs.insert(tradable_id.to_string(), spec);
    }

    pub(crate) fn spec(&self, tradable_id: &str) -> Option<Spec> {
        self.read().specs.get(tradable_id).cloned()
    }

    /// Quantities TradeLocker gives in lots of instrument `tradable_id`, as
    /// the order manager and the engine count them: under the instrument's
    /// name, in units (lots × contract size, exact). Where the contract
    /// size is unknown (or a product does not fit a decimal) the lots are
    /// kept, under the name with [`IN_LOTS`] appended: such a quantity is
    /// still seen (a position keeps the account from flat, and the kill
    /// switch's close-all closes it) but is never taken for units.
    pub(crate) fn report<const N: usize>(
        &self,
        tradable_id: &str,
        lots: [Decimal; N],
    ) -> (String, [Decimal; N]) {
        let name = self.name_of(tradable_id);
        let contract = self.spec(tradable_id).and_then(|s| s.contract);
        if let Some(c) = contract {
            let mut units = [Decimal::ZERO; N];
            let mut all = true;
            for (u, l) in units.iter_mut().zip(lots) {
                match lots_to_units(c, l) {
                    Some(v) => *u = v,
                    None => all = false,
                }
            }
            if all {
                return (name, units);
            }
        }
        (format!("{name}{IN_LOTS}"), lots)
    }

    /// `price` on the instrument's tick (`toward` the side that costs the
    /// engine nothing): the tick of the broker's ladder at that price,
    /// else the catalog's tick; unchanged when neither names one.
    fn on_tick(
        &self,
        spec: &Spec,
        symbol: &str,
        price: Option<Decimal>,
        toward: Toward,
        what: &str,
    ) -> Result<Option<Decimal>, String> {
        let Some(p) = price else {
            return Ok(None);
        };
        let Some(tick) = spec
            .ticks
            .at(p)
            .or_else(|| self.fallback_ticks.get(symbol).copied())
        else {
            return Ok(Some(p));
        };
        round_price(p, tick, toward)
            .map(Some)
            .ok_or_else(|| format!("{what} {p} of {symbol} cannot be rounded to its tick {tick}"))
    }

    /// Checks and rounds an order before sending: the client id must fit
    /// `strategyId`, the order kind and time in force must be ones
    /// TradeLocker takes, the quantity (engine units) must convert to
    /// lots of the instrument's contract size (refused, never guessed,
    /// when TradeLocker has given none) and is rounded down to whole lot
    /// steps, refused below the minimum lot or above the maximum; it stays
    /// in units, the conversion to lots is `place`'s.
    ///
    /// Prices go to the instrument's tick, on the side that never costs
    /// the engine more than it asked:
    /// - a limit: a buy down, a sell up (never pays more, never sells for
    ///   less);
    /// - an entry stop: a buy up, a sell down (never triggers before the
    ///   engine's level);
    /// - a stop loss: toward the entry (a long's up, a short's down), so
    ///   the loss it allows is never more than the engine sized the order
    ///   for;
    /// - a take profit: a long's (a sell limit) up, a short's (a buy
    ///   limit) down, as a limit (never closes for less than the target).
    pub(crate) fn conform(&self, req: &mut PlaceRequest) -> Result<(), String> {
        let cid = &req.client_id;
        if cid.is_empty() || cid.chars().count() > MAX_STRATEGY_ID {
            return Err(format!(
                "client id `{cid}` does not fit TradeLocker's strategyId (1 to {MAX_STRATEGY_ID} characters)"
            ));
        }
        match req.kind {
            OrderType::Market => {}
            OrderType::Limit | OrderType::Stop if req.tif == TimeInForce::Gtc => {}
            OrderType::Limit | OrderType::Stop => {
                return Err(
                    "TradeLocker takes limit and stop orders as GTC only (validity rule)".into(),
                );
            }
            OrderType::StopLimit => {
                return Err("TradeLocker takes market, limit and stop orders only".into());
            }
        }
        if req.kind == OrderType::Limit && req.limit.is_none() {
            return Err("a limit order needs a limit price".into());
        }
        if req.kind == OrderType::Stop && req.stop.is_none() {
            return Err("a stop order needs a stop price".into());
        }
        let Some(ins) = self.instrument(&req.symbol) else {
            return Err(format!(
                "TradeLocker has no instrument `{}` on this account",
                req.symbol
            ));
        };
        let spec = self.spec(&ins.tradable_id).ok_or_else(|| {
            format!(
                "the contract size of {} is not known (TradeLocker's instrument details were not read): \
                 {} units cannot be converted to lots",
                req.symbol, req.qty
            )
        })?;
        let rules = spec.lot_rules().ok_or_else(|| {
            format!(
                "TradeLocker's instrument details of {} name no contract size (`lotSize`): \
                 {} units cannot be converted to lots",
                req.symbol, req.qty
            )
        })?;
        let qty = rules
            .conform_units(&req.symbol, req.qty)
            .map_err(|e| e.to_string())?;
        let (up, down) = match req.side {
            Side::Buy => (Toward::Up, Toward::Down),
            Side::Sell => (Toward::Down, Toward::Up),
        };
        let symbol = req.symbol.clone();
        req.limit = self.on_tick(&spec, &symbol, req.limit, down, "limit price")?;
        req.stop = self.on_tick(&spec, &symbol, req.stop, up, "stop price")?;
        req.stop_loss = self.on_tick(&spec, &symbol, req.stop_loss, up, "stop loss")?;
        req.take_profit = self.on_tick(&spec, &symbol, req.take_profit, up, "take profit")?;
        req.qty = qty;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tradelocker::sizing::{TickBand, Ticks};
    use rust_decimal::dec;

    fn spec(contract: Option<Decimal>, lot: Decimal, tick: Option<Decimal>) -> Spec {
        Spec {
            contract,
            min_lot: lot,
            lot_step: lot,
            max_lot: Some(dec!(100)),
            ticks: Ticks(
                tick.map(|tick| TickBand {
                    from: None,
                    to: None,
                    tick,
                })
                .into_iter()
                .collect(),
            ),
        }
    }

    fn catalog() -> Catalog {
        let c = Catalog::with_fallback_ticks(HashMap::from([("GBPUSD".into(), dec!(0.0001))]));
        let d = RawValue::from_string(
            r#"{"instruments":[
                {"tradableInstrumentId":206,"id":"1","name":"EURUSD","routes":[{"id":"7010","type":"TRADE"},{"id":7011,"type":"INFO"}]},
                {"tradableInstrumentId":"300","id":"2","name":"XAUUSD","minLot":"0.1","lotStep":0.1,"routes":[{"id":"8","type":"TRADE"}]},
                {"tradableInstrumentId":"207","id":"3","name":"GBPUSD","routes":[{"id":"9","type":"TRADE"}]},
                {"tradableInstrumentId":"208","id":"4","name":"USDJPY","routes":[{"id":"10","type":"TRADE"}]},
                {"tradableInstrumentId":"301","name":"NOROUTE","routes":[{"id":"9","type":"INFO"}]}
            ]}"#
            .to_string(),
        )
        .unwrap();
        let list = parse_instruments(&d).unwrap();
        assert_eq!(list.len(), 4);
        assert_eq!(list[0].tradable_id, "206");
        assert_eq!(list[0].info_route.as_deref(), Some("7011"));
        assert_eq!((list[1].min_lot, list[1].lot_step), (dec!(0.1), dec!(0.1)));
        c.set_instruments(list);
        c.set_spec(
            "206",
            spec(Some(dec!(100000)), dec!(0.01), Some(dec!(0.00001))),
        );
        c.set_spec("300", spec(Some(dec!(100)), dec!(0.1), Some(dec!(0.05))));
        c.set_spec("207", spec(Some(dec!(100000)), dec!(0.01), None));
        c.set_spec("208", spec(None, dec!(0.01), None));
        c
    }

    fn req(qty: Decimal, symbol: &str) -> PlaceRequest {
        PlaceRequest {
            client_id: "om0-1-1700000000".into(),
            symbol: symbol.into(),
            side: Side::Buy,
            kind: OrderType::Market,
            tif: TimeInForce::Gtc,
            qty,
            limit: None,
            stop: None,
            take_profit: None,
            stop_loss: None,
        }
    }

    #[test]
    fn units_round_down_to_lot_steps_and_the_minimum_is_named() {
        let c = catalog();
        let mut r = req(dec!(25700), "EURUSD");
        c.conform(&mut r).unwrap();
        assert_eq!(r.qty, dec!(25000));
        let e = c.conform(&mut req(dec!(999), "EURUSD")).unwrap_err();
        assert!(
            e.contains("minimum lot 0.01") && e.contains("1000 units"),
            "{e}"
        );
        // Gold: 100 oz a lot, 0.1 lot minimum and step.
        let mut r = req(dec!(35), "XAUUSD");
        c.conform(&mut r).unwrap();
        assert_eq!(r.qty, dec!(30));
        assert!(c.conform(&mut req(dec!(1), "AUDUSD")).is_err());
    }

    #[test]
    fn without_a_contract_size_nothing_is_conformed() {
        let c = catalog();
        let e = c.conform(&mut req(dec!(1000), "USDJPY")).unwrap_err();
        assert!(e.contains("no contract size (`lotSize`)"), "{e}");
        c.write().specs.remove("206");
        let e = c.conform(&mut req(dec!(1000), "EURUSD")).unwrap_err();
        assert!(e.contains("contract size of EURUSD is not known"), "{e}");
    }

    #[test]
    fn prices_go_to_the_tick_on_the_safe_side() {
        let c = catalog();
        let priced = |side, kind, px: Decimal| PlaceRequest {
            side,
            kind,
            limit: (kind == OrderType::Limit).then_some(px),
            stop: (kind == OrderType::Stop).then_some(px),
            stop_loss: Some(dec!(1.0900049)),
            take_profit: Some(dec!(1.1100051)),
            ..req(dec!(1000), "EURUSD")
        };
        let mut r = priced(Side::Buy, OrderType::Limit, dec!(1.0951239));
        c.conform(&mut r).unwrap();
        assert_eq!(r.limit, Some(dec!(1.09512)));
        assert_eq!(r.stop_loss, Some(dec!(1.09001)));
        assert_eq!(r.take_profit, Some(dec!(1.11001)));
        let mut r = priced(Side::Sell, OrderType::Limit, dec!(1.0951231));
        c.conform(&mut r).unwrap();
        assert_eq!(r.limit, Some(dec!(1.09513)));
        assert_eq!(r.stop_loss, Some(dec!(1.09)));
        assert_eq!(r.take_profit, Some(dec!(1.11)));
        let mut r = priced(Side::Buy, OrderType::Stop, dec!(1.0951231));
        c.conform(&mut r).unwrap();
        assert_eq!(r.stop, Some(dec!(1.09513)));
        let mut r = priced(Side::Sell, OrderType::Stop, dec!(1.0951239));
        c.conform(&mut r).unwrap();
        assert_eq!(r.stop, Some(dec!(1.09512)));
        // No tick from the broker: the catalog's.
        let mut r = PlaceRequest {
            symbol: "GBPUSD".into(),
            ..priced(Side::Buy, OrderType::Limit, dec!(1.25009))
        };
        c.conform(&mut r).unwrap();
        assert_eq!(r.limit, Some(dec!(1.25)));
        assert_eq!(r.stop_loss, Some(dec!(1.0901)));
    }

    #[test]
    fn lots_are_reported_in_units_or_kept_apart() {
        let c = catalog();
        assert_eq!(
            c.report("206", [dec!(0.01), dec!(0.35)]),
            ("EURUSD".to_string(), [dec!(1000), dec!(35000)])
        );
        assert_eq!(
            c.report("300", [dec!(0.37)]),
            ("XAUUSD".to_string(), [dec!(37)])
        );
        assert_eq!(
            c.report("208", [dec!(0.5)]),
            (format!("USDJPY{IN_LOTS}"), [dec!(0.5)])
        );
        assert_eq!(
            c.report("999", [dec!(1)]),
            (format!("999{IN_LOTS}"), [dec!(1)])
        );
        let ids = ["206", "208", "300", "999"];
        assert!(c.without_spec(ids).is_empty());
        c.write().specs.remove("300");
        let missing: Vec<String> = c.without_spec(ids).into_iter().map(|i| i.name).collect();
        assert_eq!(missing, vec!["XAUUSD".to_string()]);
    }

    #[test]
    fn a_client_id_longer_than_strategy_id_is_refused() {
        let c = catalog();
        let mut r = req(dec!(1000), "EURUSD");
        r.client_id = "x".repeat(33);
        let e = c.conform(&mut r).unwrap_err();
        assert!(e.contains("strategyId"), "{e}");
    }
}
