//! Orders: place (never retried), find by `strategyId` (TradeLocker has
//! no client order id), cancel, the open list and cancel-all. Quantities
//! cross here between the order manager's units and TradeLocker's lots:
//! [`place`] sends lots, [`to_venue`] reports units.

use super::catalog::{Catalog, Tables};
use super::limiter::Route;
use super::rest::{Call, Rest};
use super::rows::{OrderRow, rows_of};
use super::specs::ensure;
use super::wire::{RawObject, field_text};
use crate::api::{ApiError, PlaceRequest, VenueOrder, VenueOrderState};
use omni_core::domain::{OrderType, Side};
use reqwest::Method;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::value::RawValue;

/// The body of `POST /trade/accounts/{id}/orders`. Prices go as JSON
/// numbers written from the decimal's own digits (as the official client
/// sends them, without its float rounding); `qty`, in lots, as a string,
/// as the client sends it.
#[derive(Serialize)]
struct PlaceBody<'a> {
    price: Option<Box<RawValue>>,
    qty: String,
    #[serde(rename = "routeId")]
    route_id: &'a str,
    side: &'static str,
    validity: &'static str,
    #[serde(rename = "tradableInstrumentId")]
    tradable_instrument_id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "takeProfit")]
    take_profit: Option<Box<RawValue>>,
    #[serde(rename = "takeProfitType")]
    take_profit_type: Option<&'static str>,
    #[serde(rename = "stopLoss")]
    stop_loss: Option<Box<RawValue>>,
    #[serde(rename = "stopLossType")]
    stop_loss_type: Option<&'static str>,
    #[serde(rename = "stopPrice")]
    stop_price: Option<Box<RawValue>>,
    #[serde(rename = "strategyId")]
    strategy_id: &'a str,
}

/// A decimal as a JSON number literal.
fn number(d: Option<Decimal>) -> Result<Option<Box<RawValue>>, ApiError> {
    d.map(|d| {
        RawValue::from_string(d.normalize().to_string()).map_err(|e| ApiError::Refused {
            code: "price".into(),
            message: format!("price {d} cannot be written: {e}"),
        })
    })
    .transpose()
}

pub(crate) fn side_str(side: Side) -> &'static str {
    match side {
        Side::Buy => "buy",
        Side::Sell => "sell",
    }
}

/// The order body for `req` (already conformed), for `lots` (its
/// quantity in TradeLocker's lots).
pub(crate) fn place_body(
    req: &PlaceRequest,
    lots: Decimal,
    route_id: &str,
    tradable_id: &str,
) -> Result<String, ApiError> {
    let (kind, validity) = match req.kind {
        OrderType::Market => ("market", "IOC"),
        OrderType::Limit => ("limit", "GTC"),
        OrderType::Stop => ("stop", "GTC"),
        OrderType::StopLimit => {
            return Err(ApiError::Refused {
                code: "type".into(),
                message: "TradeLocker takes market, limit and stop orders only".into(),
            });
        }
    };
    let body = PlaceBody {
        price: number(if req.kind == OrderType::Limit {
            req.limit
        } else {
            None
        })?,
        qty: lots.normalize().to_string(),
        route_id,
        side: side_str(req.side),
        validity,
        tradable_instrument_id: tradable_id,
        kind,
        take_profit: number(req.take_profit)?,
        take_profit_type: req.take_profit.map(|_| "absolute"),
        stop_loss: number(req.stop_loss)?,
        stop_loss_type: req.stop_loss.map(|_| "absolute"),
        stop_price: number(if req.kind == OrderType::Stop {
            req.stop
        } else {
            None
        })?,
        strategy_id: &req.client_id,
    };
    serde_json::to_string(&body).map_err(|e| ApiError::Refused {
        code: "body".into(),
        message: e.to_string(),
    })
}

/// TradeLocker's `qty` for `req` (its quantity in units, conformed): in
/// lots of the instrument's contract size. Refused, never sent, when the
/// contract size is unknown or the quantity is not whole lot steps.
fn lots_of(catalog: &Catalog, tradable_id: &str, req: &PlaceRequest) -> Result<Decimal, ApiError> {
    let refused = |message: String| ApiError::Refused {
        code: "lot_size".into(),
        message,
    };
    let rules = catalog
        .spec(tradable_id)
        .and_then(|s| s.lot_rules())
        .ok_or_else(|| {
            refused(format!(
                "TradeLocker has given no contract size (`lotSize`) for {}: {} units cannot be converted to lots; not sent",
                req.symbol, req.qty
            ))
        })?;
    rules
        .to_lots(&req.symbol, req.qty)
        .map_err(|e| refused(e.to_string()))
}

/// Places `req` once, its quantity converted from units to lots. The
/// answer names only TradeLocker's order id; the order is reported New
/// (in units, as asked), and its fills come from the poll or a query.
pub(crate) async fn place(
    rest: &Rest,
    catalog: &Catalog,
    req: &PlaceRequest,
) -> Result<VenueOrder, ApiError> {
    let Some(ins) = catalog.instrument(&req.symbol) else {
        return Err(ApiError::Refused {
            code: "instrument".into(),
            message: format!("TradeLocker has no instrument `{}`", req.symbol),
        });
    };
    let lots = lots_of(catalog, &ins.tradable_id, req)?;
    let body = place_body(req, lots, &ins.trade_route, &ins.tradable_id)?;
    let d = rest
        .trade(Call {
            method: Method::POST,
            path: &["trade", "accounts", "{account}", "orders"],
            query: &[],
            body: Some(body),
            route: Some(Route::PlaceOrder),
        })
        .await?;
    let obj: Option<RawObject> = serde_json::from_str(d.get()).ok();
    let Some(order_id) = obj.as_ref().and_then(|o| field_text(o, "orderId")) else {
        // "ok" without an order id: whether it was placed is unknown.
        return Err(ApiError::OutcomeUnknown(
            "tradelocker accepted the order without naming its orderId".into(),
        ));
    };
    Ok(VenueOrder {
        client_id: req.client_id.clone(),
        venue_id: order_id,
        symbol: req.symbol.clone(),
        side: req.side,
        qty: req.qty,
        filled: Decimal::ZERO,
        limit: req.limit,
        state: VenueOrderState::New,
        reason: None,
    })
}

/// Which list of orders.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum List {
    Open,
    History,
}

/// The rows of `orders` or `ordersHistory`.
pub(crate) async fn list(
    rest: &Rest,
    tables: &Tables,
    which: List,
) -> Result<Vec<OrderRow>, ApiError> {
    let (path, route, key, cols) = match which {
        List::Open => ("orders", Route::GetOrders, "orders", &tables.orders),
        List::History => (
            "ordersHistory",
            Route::GetOrdersHistory,
            "ordersHistory",
            &tables.history,
        ),
    };
    let d = rest
        .trade(Call::get(
            &["trade", "accounts", "{account}", path],
            Some(route),
        ))
        .await?;
    let rows = rows_of(&d, key).map_err(unreadable)?;
    rows.iter()
        .map(|r| OrderRow::read(&cols.row(r)).map_err(unreadable))
        .collect()
}

fn unreadable(e: String) -> ApiError {
    ApiError::OutcomeUnknown(format!("unreadable tradelocker rows: {e}"))
}

/// An order row in the seam's terms: its lots in units (see
/// [`Catalog::report`]).
pub(crate) fn to_venue(o: &OrderRow, catalog: &Catalog) -> VenueOrder {
    let state = o.state();
    let (symbol, [qty, filled]) = catalog.report(&o.instrument_id, [o.qty, o.filled]);
    VenueOrder {
        client_id: o.client_id(),
        venue_id: o.id.clone(),
        symbol,
        side: o.side,
        qty,
        filled,
        limit: if o.kind == "limit" { o.price } else { None },
        state,
        reason: matches!(state, VenueOrderState::Rejected | VenueOrderState::Expired)
            .then(|| o.status.clone()),
    }
}

/// The order tagged `client_id`: in `orders` first, then in
/// `ordersHistory` (in that order, so one that ends between the two
/// reads is still found). Should several carry the tag, the first placed
/// is ours. An order without a tag (made by hand, or by TradeLocker for a
/// close) is known by its own id, as [`OrderRow::client_id`] names it.
pub(crate) async fn find(
    rest: &Rest,
    tables: &Tables,
    client_id: &str,
) -> Result<Option<OrderRow>, ApiError> {
    for which in [List::Open, List::History] {
        let rows = list(rest, tables, which).await?;
        let found = rows
            .into_iter()
            .filter(|o| o.client_id() == client_id)
            .min_by(|a, b| {
                (a.created_ms, a.id.len(), &a.id).cmp(&(b.created_ms, b.id.len(), &b.id))
            });
        if found.is_some() {
            return Ok(found);
        }
    }
    Ok(None)
}

/// `DELETE /trade/orders/{orderId}` for the order tagged `client_id`.
pub(crate) async fn cancel(rest: &Rest, tables: &Tables, client_id: &str) -> Result<(), ApiError> {
    let Some(o) = find(rest, tables, client_id).await? else {
        return Err(ApiError::NotFound);
    };
    if o.state().is_terminal() {
        return Err(ApiError::Refused {
            code: "not_open".into(),
            message: format!("order {} is {} already", o.id, o.status),
        });
    }
    rest.trade(Call {
        method: Method::DELETE,
        path: &["trade", "orders", &o.id],
        query: &[],
        body: None,
        route: None,
    })
    .await?;
    Ok(())
}

/// Every working order of the account, ours or not.
pub(crate) async fn open_orders(
    rest: &Rest,
    tables: &Tables,
    catalog: &Catalog,
) -> Result<Vec<VenueOrder>, ApiError> {
    let rows = list(rest, tables, List::Open).await?;
    ensure(rest, catalog, rows.iter().map(|o| o.instrument_id.as_str())).await?;
    Ok(rows
        .iter()
        .map(|o| to_venue(o, catalog))
        .filter(|o| !o.state.is_terminal())
        .collect())
}

/// `DELETE /trade/accounts/{id}/orders`: counts the orders open just
/// before (the answer names none); the caller asks again to see them gone.
pub(crate) async fn cancel_all(rest: &Rest, tables: &Tables) -> Result<usize, ApiError> {
    let open = list(rest, tables, List::Open)
        .await?
        .iter()
        .filter(|o| !o.state().is_terminal())
        .count();
    rest.trade(Call {
        method: Method::DELETE,
        path: &["trade", "accounts", "{account}", "orders"],
        query: &[],
        body: None,
        route: None,
    })
    .await?;
    Ok(open)
}

#[cfg(test)]
mod tests {
    use super::*;
    use omni_core::domain::TimeInForce;
    use rust_decimal::dec;

    #[test]
    fn the_body_carries_exact_numbers_and_our_tag() {
        let req = PlaceRequest {
            client_id: "om0-7-1700000000".into(),
            symbol: "EURUSD".into(),
            side: Side::Buy,
            kind: OrderType::Market,
            tif: TimeInForce::Gtc,
            qty: dec!(10000),
            limit: None,
            stop: None,
            take_profit: Some(dec!(1.09000000000000000001)),
            stop_loss: Some(dec!(1.0750)),
        };
        let b = place_body(&req, dec!(0.10), "7010", "206").unwrap();
        assert!(b.contains(r#""takeProfit":1.09000000000000000001"#), "{b}");
        assert!(b.contains(r#""stopLoss":1.075,"#), "{b}");
        assert!(b.contains(r#""qty":"0.1""#), "{b}");
        assert!(b.contains(r#""validity":"IOC""#), "{b}");
        assert!(b.contains(r#""price":null"#), "{b}");
        assert!(b.contains(r#""strategyId":"om0-7-1700000000""#), "{b}");
        assert!(b.contains(r#""takeProfitType":"absolute""#), "{b}");
    }
}
