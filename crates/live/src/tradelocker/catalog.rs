//! What sending needs from `/trade/config` and the account's instruments:
//! the column lists of each table, and each instrument's
//! `tradableInstrumentId`, TRADE and INFO route ids and lot rules; plus
//! [`Catalog::conform`], the order checks made before anything is sent.

use super::rows::Columns;
use super::wire::{RateLimit, RawObject, WireTable, field_decimal, field_text, text};
use crate::api::PlaceRequest;
use omni_core::domain::{OrderType, TimeInForce};
use rust_decimal::Decimal;
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::sync::RwLock;

/// The longest `strategyId` (our client id) the official client allows.
pub(crate) const MAX_STRATEGY_ID: usize = 32;
/// The lot rule the official client hard-codes, used when the instrument
/// names none.
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

/// One instrument of the account.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Instrument {
    pub tradable_id: String,
    pub name: String,
    pub trade_route: String,
    pub info_route: Option<String>,
    pub min_lot: Decimal,
    pub lot_step: Decimal,
}

#[derive(Default)]
struct Inner {
    tables: Option<Tables>,
    by_name: HashMap<String, Instrument>,
    name_by_id: HashMap<String, String>,
}

/// Config and instruments, filled by `prepare` (or on first need).
#[derive(Default)]
pub(crate) struct Catalog {
    inner: RwLock<Inner>,
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
/// Lot rules: TradeLocker's documented instrument fields name none (the
/// official client hard-codes 0.01 lots); a `minLot`/`lotStep` (or
/// `minOrderSize`/`qtyStep`) field, where a broker sends one, is used.
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

    /// Checks and rounds an order before sending: the client id must fit
    /// `strategyId`, the order kind and time in force must be ones
    /// TradeLocker takes, and the quantity is rounded down to the lot step
    /// and refused below the minimum lot.
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
        let step = ins.lot_step;
        let qty = (req.qty / step).floor() * step;
        if qty < ins.min_lot {
            return Err(format!(
                "quantity {} is below TradeLocker's minimum lot {} (lot step {}) for {}",
                req.qty, ins.min_lot, step, req.symbol
            ));
        }
        req.qty = qty.normalize();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use omni_core::domain::Side;
    use rust_decimal::dec;

    fn catalog() -> Catalog {
        let c = Catalog::default();
        let d = RawValue::from_string(
            r#"{"instruments":[
                {"tradableInstrumentId":206,"id":"1","name":"EURUSD","routes":[{"id":"7010","type":"TRADE"},{"id":7011,"type":"INFO"}]},
                {"tradableInstrumentId":"300","id":"2","name":"XAUUSD","minLot":"0.1","lotStep":0.1,"routes":[{"id":"8","type":"TRADE"}]},
                {"tradableInstrumentId":"301","name":"NOROUTE","routes":[{"id":"9","type":"INFO"}]}
            ]}"#
            .to_string(),
        )
        .unwrap();
        let list = parse_instruments(&d).unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].tradable_id, "206");
        assert_eq!(list[0].info_route.as_deref(), Some("7011"));
        c.set_instruments(list);
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
    fn lots_round_down_and_the_minimum_is_named() {
        let c = catalog();
        let mut r = req(dec!(0.257), "EURUSD");
        c.conform(&mut r).unwrap();
        assert_eq!(r.qty, dec!(0.25));
        let e = c.conform(&mut req(dec!(0.009), "EURUSD")).unwrap_err();
        assert!(e.contains("minimum lot 0.01"), "{e}");
        let mut r = req(dec!(0.35), "XAUUSD");
        c.conform(&mut r).unwrap();
        assert_eq!(r.qty, dec!(0.3));
        assert!(c.conform(&mut req(dec!(1), "GBPJPY")).is_err());
    }

    #[test]
    fn a_client_id_longer_than_strategy_id_is_refused() {
        let c = catalog();
        let mut r = req(dec!(1), "EURUSD");
        r.client_id = "x".repeat(33);
        let e = c.conform(&mut r).unwrap_err();
        assert!(e.contains("strategyId"), "{e}");
    }
}
