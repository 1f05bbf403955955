//! Each instrument's trading specification, from TradeLocker's instrument
//! details: `GET /trade/instruments/{tradableInstrumentId}?routeId=<INFO
//! route>&locale=en` (rate-limit route `GET_INSTRUMENT_DETAILS`, as the
//! official client asks it). Its `d` carries the contract size
//! (`lotSize`: units per lot, 100 000 for a currency pair, 100 for gold),
//! the lot rules (`minLot`, `lotStep`, `maxLot`) and the tick ladder
//! (`tickSize`: `[{"leftRangeLimit":…,"rightRangeLimit":…,"tickSize":…}]`).
//! The instrument list carries none of these: the details are the only
//! source of the contract size, and without it nothing is sent.
//!
//! Numbers are read from their written digits (a JSON number or a
//! string), never through an `f64`.

use super::catalog::{Catalog, Instrument};
use super::limiter::Route;
use super::rest::{Call, Rest};
use super::sizing::{LotRules, TickBand, Ticks};
use super::wire::{RawObject, decimal, field_decimal};
use crate::api::ApiError;
use reqwest::Method;
use rust_decimal::Decimal;
use serde_json::value::RawValue;

/// What sending and reading need of one instrument.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Spec {
    /// Units per lot (`lotSize`); `None` when the broker names none (or
    /// the instrument has no INFO route to ask): then no order for it is
    /// sent and its quantities are never reported as units.
    pub contract: Option<Decimal>,
    /// `minLot`, else the instrument list's, else 0.01.
    pub min_lot: Decimal,
    /// `lotStep`, else the instrument list's, else 0.01.
    pub lot_step: Decimal,
    pub max_lot: Option<Decimal>,
    /// `tickSize`; empty when the broker gives none.
    pub ticks: Ticks,
}

impl Spec {
    /// A spec with nothing from the details: no contract size.
    pub(crate) fn unknown(ins: &Instrument) -> Self {
        Self {
            contract: None,
            min_lot: ins.min_lot,
            lot_step: ins.lot_step,
            max_lot: None,
            ticks: Ticks::default(),
        }
    }

    /// The lot rules, when the contract size is known.
    pub(crate) fn lot_rules(&self) -> Option<LotRules> {
        Some(LotRules {
            contract: self.contract?,
            min_lot: self.min_lot,
            lot_step: self.lot_step,
            max_lot: self.max_lot,
        })
    }
}

/// Reads the details' `d` for `ins`. A missing or non-positive value is
/// absent (the lot rules then fall back to the instrument list's).
pub(crate) fn parse_details(d: &RawValue, ins: &Instrument) -> Result<Spec, String> {
    let obj: RawObject = serde_json::from_str(d.get())
        .map_err(|e| format!("instrument details of {} are not an object: {e}", ins.name))?;
    let positive = |key: &str| field_decimal(&obj, key).filter(|v| *v > Decimal::ZERO);
    Ok(Spec {
        contract: positive("lotSize"),
        min_lot: positive("minLot").unwrap_or(ins.min_lot),
        lot_step: positive("lotStep").unwrap_or(ins.lot_step),
        max_lot: positive("maxLot"),
        ticks: obj.get("tickSize").map(|t| ticks(t)).unwrap_or_default(),
    })
}

/// `tickSize` as a ladder of bands; a plain number (or string) is one
/// band for every price. Bands without a positive tick are left out.
fn ticks(raw: &RawValue) -> Ticks {
    if let Some(tick) = decimal(raw).filter(|t| *t > Decimal::ZERO) {
        return Ticks(vec![TickBand {
            from: None,
            to: None,
            tick,
        }]);
    }
    let bands: Vec<RawObject> = serde_json::from_str(raw.get()).unwrap_or_default();
    Ticks(
        bands
            .iter()
            .filter_map(|b| {
                Some(TickBand {
                    from: field_decimal(b, "leftRangeLimit"),
                    to: field_decimal(b, "rightRangeLimit"),
                    tick: field_decimal(b, "tickSize").filter(|t| *t > Decimal::ZERO)?,
                })
            })
            .collect(),
    )
}

/// Asks TradeLocker for `ins`'s details. An instrument without an INFO
/// route cannot be asked: its spec is [`Spec::unknown`].
pub(crate) async fn fetch(rest: &Rest, ins: &Instrument) -> Result<Spec, ApiError> {
    let Some(info) = ins.info_route.as_deref() else {
        tracing::warn!(
            venue = "tradelocker",
            instrument = %ins.name,
            "no INFO route to read the instrument's details: its contract size is unknown"
        );
        return Ok(Spec::unknown(ins));
    };
    let d = rest
        .trade(Call {
            method: Method::GET,
            path: &["trade", "instruments", &ins.tradable_id],
            query: &[("routeId", info), ("locale", "en")],
            body: None,
            route: Some(Route::GetInstrumentDetails),
        })
        .await?;
    let spec = parse_details(&d, ins).map_err(|e| {
        ApiError::OutcomeUnknown(format!("unreadable tradelocker instrument details: {e}"))
    })?;
    if spec.contract.is_none() {
        tracing::warn!(
            venue = "tradelocker",
            instrument = %ins.name,
            "the instrument details name no contract size (`lotSize`): nothing is sent for it"
        );
    }
    Ok(spec)
}

/// Reads the details of the instruments among `ids` (`tradableInstrumentId`s
/// of rows about to be reported) whose spec is not known yet; each is
/// asked once, a spec without a contract size being kept as well. A
/// failed request fails the read it serves: lots are never reported as
/// units for want of an answer.
pub(crate) async fn ensure<'a>(
    rest: &Rest,
    catalog: &Catalog,
    ids: impl IntoIterator<Item = &'a str>,
) -> Result<(), ApiError> {
    for ins in catalog.without_spec(ids) {
        let spec = fetch(rest, &ins).await?;
        catalog.set_spec(&ins.tradable_id, spec);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    fn eurusd() -> Instrument {
        Instrument {
            tradable_id: "206".into(),
            name: "EURUSD".into(),
            trade_route: "7010".into(),
            info_route: Some("7011".into()),
            min_lot: dec!(0.01),
            lot_step: dec!(0.01),
        }
    }

    fn raw(s: &str) -> Box<RawValue> {
        RawValue::from_string(s.to_string()).unwrap()
    }

    #[test]
    fn the_details_give_contract_size_lot_rules_and_the_tick_ladder() {
        let d = raw(
            r#"{"name":"EURUSD","lotSize":100000,"lotStep":"0.01","minLot":0.01,"maxLot":100,
                "tickSize":[{"leftRangeLimit":null,"rightRangeLimit":null,"tickSize":0.00001}],
                "tickCost":[{"leftRangeLimit":null,"rightRangeLimit":null,"tickCost":1}],
                "tradeSessionId":1,"tradeSessionStatusId":2}"#,
        );
        let s = parse_details(&d, &eurusd()).unwrap();
        assert_eq!(s.contract, Some(dec!(100000)));
        assert_eq!(
            (s.min_lot, s.lot_step, s.max_lot),
            (dec!(0.01), dec!(0.01), Some(dec!(100)))
        );
        assert_eq!(s.ticks.at(dec!(1.1)), Some(dec!(0.00001)));
        assert_eq!(s.lot_rules().map(|r| r.contract), Some(dec!(100000)));
    }

    #[test]
    fn a_missing_lot_size_leaves_the_contract_unknown() {
        for d in [
            r#"{"minLot":0.01,"lotStep":0.01}"#,
            r#"{"lotSize":0}"#,
            r#"{"lotSize":null}"#,
        ] {
            let s = parse_details(&raw(d), &eurusd()).unwrap();
            assert_eq!(s.contract, None, "{d}");
            assert_eq!(s.lot_rules(), None, "{d}");
        }
        let s = parse_details(&raw(r#"{"lotSize":"100","tickSize":"0.01"}"#), &eurusd()).unwrap();
        assert_eq!(s.contract, Some(dec!(100)));
        assert_eq!(s.ticks.at(dec!(2000)), Some(dec!(0.01)));
        assert_eq!((s.min_lot, s.lot_step), (dec!(0.01), dec!(0.01)));
    }
}
