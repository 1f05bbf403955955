//! The account side: the summary (cash, NAV, margin), instrument rules,
//! positions and their closing, and an order's fill.

use super::orders::{lookup, transaction};
use super::rest::Rest;
use super::rules::InstrumentRules;
use super::time::parse_ms;
use super::wire::{
    CloseReply, InstrumentList, PositionList, SummaryEnvelope, WireSummary, WireTx, side_of,
};
use crate::api::{
    ApiError, FlattenOutcome, VenueCash, VenueFill, VenueHolding, VenueOrder, VenueOrderState,
};
use reqwest::Method;
use rust_decimal::Decimal;
use serde_json::json;
use std::sync::Mutex;

/// The reject reason of a close of a side that holds nothing.
const NOTHING_TO_CLOSE: &str = "CLOSEOUT_POSITION_DOESNT_EXIST";

/// What the adapter remembers of the account: its currency, in which
/// OANDA books fees (empty until the summary was first read).
#[derive(Default)]
pub(crate) struct AccountInfo {
    currency: Mutex<String>,
}

impl AccountInfo {
    pub(crate) fn set_currency(&self, c: &str) {
        *self.lock() = c.to_string();
    }

    pub(crate) fn currency(&self) -> String {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, String> {
        // Whole-value writes only: a poisoned lock still holds a value.
        self.currency
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl WireSummary {
    /// Cash is `balance`, equity `NAV`, with OANDA's margin figures.
    pub(crate) fn to_cash(&self) -> VenueCash {
        VenueCash {
            currency: self.currency.clone(),
            amount: self.balance,
            equity: Some(self.nav),
            margin_used: self.margin_used,
            margin_available: self.margin_available,
        }
    }
}

/// `GET …/summary`.
pub(crate) async fn summary(rest: &Rest) -> Result<WireSummary, ApiError> {
    let url = rest.url(&["summary"], &[]);
    Ok(rest
        .send(Method::GET, url, None)
        .await?
        .json::<SummaryEnvelope>()?
        .account)
}

/// `GET …/instruments?instruments=A,B`: the rules of each; an instrument
/// the account cannot trade is refused by name.
pub(crate) async fn instrument_rules(
    rest: &Rest,
    symbols: &[String],
) -> Result<Vec<(String, InstrumentRules)>, ApiError> {
    let joined = symbols.join(",");
    let url = rest.url(&["instruments"], &[("instruments", joined.as_str())]);
    let list: InstrumentList = rest.send(Method::GET, url, None).await?.json()?;
    let mut out = Vec::with_capacity(symbols.len());
    for s in symbols {
        let Some(i) = list.instruments.iter().find(|i| &i.name == s) else {
            return Err(ApiError::Refused {
                code: "instrument".into(),
                message: format!("the OANDA account cannot trade {s}"),
            });
        };
        out.push((s.clone(), InstrumentRules::from_wire(i)));
    }
    Ok(out)
}

/// One signed holding per open position: `long.units + short.units`
/// (short units are negative on the wire), priced at the open side's
/// `averagePrice`.
pub(crate) async fn holdings(rest: &Rest) -> Result<Vec<VenueHolding>, ApiError> {
    let url = rest.url(&["openPositions"], &[]);
    let list: PositionList = rest.send(Method::GET, url, None).await?.json()?;
    Ok(list
        .positions
        .into_iter()
        .map(|p| {
            let qty = p.long.units + p.short.units;
            let avg_price = if qty.is_sign_negative() {
                p.short.average_price
            } else {
                p.long.average_price
            };
            VenueHolding {
                symbol: p.instrument,
                qty,
                avg_price,
            }
        })
        .collect())
}

/// An `ORDER_FILL` transaction as an execution; `fee_asset` is the
/// account's currency.
pub(crate) fn to_fill(t: &WireTx, fee_asset: &str) -> Result<VenueFill, String> {
    let units = t
        .units
        .filter(|u| !u.is_zero())
        .ok_or("fill without units")?;
    Ok(VenueFill {
        trade_id: t.id.clone(),
        client_id: t.client_order_id.clone(),
        venue_order_id: t.order_id.clone().ok_or("fill without orderID")?,
        symbol: t.instrument.clone().ok_or("fill without instrument")?,
        side: side_of(units),
        qty: units.abs(),
        price: t.price.ok_or("fill without price")?,
        fee: t.commission.map_or(Decimal::ZERO, |c| c.abs()),
        fee_asset: fee_asset.to_string(),
        ts_ms: t.time.as_deref().and_then(parse_ms).unwrap_or(0),
    })
}

/// Our client id of the order that opened trade `trade_id`, `None` when
/// that order was not ours (made by hand) or the id names no opening
/// fill. OANDA numbers a trade by the transaction of the fill that opened
/// it, and that fill names the order's client id.
pub(crate) async fn opener(rest: &Rest, trade_id: &str) -> Result<Option<String>, ApiError> {
    let t = match transaction(rest, trade_id).await {
        Ok(t) => t,
        Err(ApiError::NotFound) => return Ok(None),
        Err(e) => return Err(e),
    };
    let opened = t
        .trade_opened
        .as_ref()
        .is_some_and(|o| o.trade_id == trade_id);
    Ok((t.kind == "ORDER_FILL" && opened)
        .then_some(t.client_order_id)
        .flatten())
}

/// A dependent exit's fill put under the client id of the order that
/// opened the trade it closed, when that order was ours: the order
/// manager then books it as the venue's exit of that order's position.
/// Asked a few times (the stream has no replay: a fill not attributed is
/// lost to the book); left without a client id when OANDA cannot say.
pub(crate) async fn attribute_exit(rest: &Rest, mut fill: VenueFill, trade_id: &str) -> VenueFill {
    let mut wait = std::time::Duration::from_millis(200);
    for attempt in 1..=3 {
        match opener(rest, trade_id).await {
            Ok(opener) => {
                fill.client_id = opener;
                return fill;
            }
            Err(e) if attempt < 3 => {
                tracing::warn!(
                    venue = "oanda",
                    trade_id,
                    "who opened the trade: {e}; again in {wait:?}"
                );
                tokio::time::sleep(wait).await;
                wait *= 2;
            }
            Err(e) => {
                tracing::error!(
                    venue = "oanda",
                    trade_id,
                    "exit fill {} not attributed (who opened the trade: {e})",
                    fill.trade_id
                );
            }
        }
    }
    fill
}

/// The fill of one order: OANDA fills an order once, in the transaction
/// its `fillingTransactionID` names (none yet: no fills).
pub(crate) async fn fills(
    rest: &Rest,
    fee_asset: &str,
    venue_order_id: &str,
) -> Result<Vec<VenueFill>, ApiError> {
    let order = match lookup(rest, venue_order_id).await {
        Ok(o) => o,
        Err(ApiError::NotFound) => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let Some(tid) = order.filling_transaction_id else {
        return Ok(Vec::new());
    };
    let t = transaction(rest, &tid).await?;
    if t.kind != "ORDER_FILL" {
        return Ok(Vec::new());
    }
    let fill = to_fill(&t, fee_asset)
        .map_err(|e| ApiError::OutcomeUnknown(format!("unreadable oanda fill {tid}: {e}")))?;
    Ok(vec![fill])
}

/// Closes every open side of every position (`PUT
/// …/positions/{instrument}/close` with `longUnits`/`shortUnits` `ALL`
/// for the open sides only). A side already flat counts as done; another
/// refusal, or a closing order OANDA cancelled, leaves the instrument in
/// `left` with the reason. A rate limit or a refused token stops at once.
pub(crate) async fn flatten(
    rest: &Rest,
    holdings: &[VenueHolding],
) -> Result<FlattenOutcome, ApiError> {
    let url = rest.url(&["openPositions"], &[]);
    let list: PositionList = rest.send(Method::GET, url, None).await?.json()?;
    let mut out = FlattenOutcome::default();
    for p in &list.positions {
        let mut body = serde_json::Map::new();
        if !p.long.units.is_zero() {
            body.insert("longUnits".into(), json!("ALL"));
        }
        if !p.short.units.is_zero() {
            body.insert("shortUnits".into(), json!("ALL"));
        }
        if body.is_empty() {
            continue;
        }
        let name = holdings
            .iter()
            .find(|h| h.symbol == p.instrument)
            .map_or_else(|| p.instrument.clone(), |h| h.symbol.clone());
        let url = rest.url(&["positions", &p.instrument, "close"], &[]);
        match rest.send(Method::PUT, url, Some(&body.into())).await {
            Ok(reply) => {
                let r: CloseReply = match reply.json() {
                    Ok(r) => r,
                    Err(e) => {
                        out.left.push((name, e.to_string()));
                        continue;
                    }
                };
                let sides = [
                    (
                        &r.long_order_create_transaction,
                        &r.long_order_fill_transaction,
                        &r.long_order_cancel_transaction,
                    ),
                    (
                        &r.short_order_create_transaction,
                        &r.short_order_fill_transaction,
                        &r.short_order_cancel_transaction,
                    ),
                ];
                for (create, fill, cancel) in sides {
                    let Some(create) = create else { continue };
                    let o = closing_order(&p.instrument, create, fill.as_ref(), cancel.as_ref());
                    if let Some(why) = &o.reason {
                        out.left
                            .push((name.clone(), format!("close cancelled: {why}")));
                    }
                    out.orders.push(o);
                }
            }
            Err(e @ (ApiError::RateLimited { .. } | ApiError::Auth(_))) => return Err(e),
            Err(ApiError::Refused { code, .. }) if code == NOTHING_TO_CLOSE => {}
            Err(e) => out.left.push((name, e.to_string())),
        }
    }
    Ok(out)
}

/// A closing order OANDA made: named by its own id (OANDA gives it no
/// client id), filled or cancelled with OANDA's reason.
fn closing_order(
    instrument: &str,
    create: &WireTx,
    fill: Option<&WireTx>,
    cancel: Option<&WireTx>,
) -> VenueOrder {
    let units = create.units.unwrap_or_default();
    let (state, reason) = match (fill, cancel) {
        (_, Some(c)) => (
            VenueOrderState::Cancelled,
            Some(c.reason.clone().unwrap_or_else(|| "cancelled".into())),
        ),
        (Some(_), None) => (VenueOrderState::Filled, None),
        (None, None) => (VenueOrderState::New, None),
    };
    VenueOrder {
        client_id: create.id.clone(),
        venue_id: create.id.clone(),
        symbol: instrument.to_string(),
        side: side_of(units),
        qty: units.abs(),
        filled: fill
            .and_then(|f| f.units)
            .map_or(Decimal::ZERO, |u| u.abs()),
        limit: None,
        state,
        reason,
    }
}
