//! Orders: place, cancel by client id (looked up first: Alpaca cancels
//! only by its own id), query, the open list and cancel-all.

use super::rest::{Purpose, Rest};
use super::rules::{RuleBook, guess_class};
use super::wire::{MultiItem, WireOrder};
use crate::api::{ApiError, PlaceRequest, VenueOrder};
use omni_core::domain::{OrderType, Side, TimeInForce};
use reqwest::Method;
use serde_json::{Value, json};

/// The JSON body of `POST /v2/orders` (see the module docs of
/// [`super`] for the time-in-force and bracket choices).
pub(crate) fn order_body(req: &PlaceRequest, equity: bool) -> Value {
    let kind = match req.kind {
        OrderType::Market => "market",
        OrderType::Limit => "limit",
        OrderType::Stop => "stop",
        OrderType::StopLimit => "stop_limit",
    };
    let tif = match (req.tif, req.kind) {
        (_, OrderType::Market) if equity => "day",
        (TimeInForce::Gtc, _) => "gtc",
        (TimeInForce::Ioc, _) => "ioc",
    };
    let mut body = json!({
        "symbol": req.symbol,
        "qty": req.qty.to_string(),
        "side": match req.side { Side::Buy => "buy", Side::Sell => "sell" },
        "type": kind,
        "time_in_force": tif,
        "client_order_id": req.client_id,
    });
    // `json!` built an object above, so `as_object_mut` cannot fail; the
    // `if let` only keeps that from being an unwrap.
    if let Some(obj) = body.as_object_mut() {
        if let Some(limit) = req.limit {
            obj.insert("limit_price".into(), Value::String(limit.to_string()));
        }
        if let Some(stop) = req.stop {
            obj.insert("stop_price".into(), Value::String(stop.to_string()));
        }
        if let (Some(tp), Some(sl)) = (req.take_profit, req.stop_loss) {
            obj.insert("order_class".into(), Value::String("bracket".into()));
            obj.insert(
                "take_profit".into(),
                json!({ "limit_price": tp.to_string() }),
            );
            obj.insert("stop_loss".into(), json!({ "stop_price": sl.to_string() }));
        }
    }
    body
}

pub(crate) async fn place(
    rest: &Rest,
    rules: &RuleBook,
    req: &PlaceRequest,
) -> Result<VenueOrder, ApiError> {
    let equity = rules
        .get(&req.symbol)
        .map_or(guess_class(&req.symbol) == "us_equity", |r| r.is_equity());
    let body = order_body(req, equity);
    let url = rest.url(&["v2", "orders"], &[]);
    let reply = rest
        .send(Method::POST, url, Some(&body), Purpose::Order)
        .await?;
    to_venue(&reply.json::<WireOrder>()?)
}

/// The order with this client id; `None` when Alpaca never had it.
pub(crate) async fn query(rest: &Rest, client_id: &str) -> Result<Option<VenueOrder>, ApiError> {
    match lookup(rest, client_id, Purpose::Read).await {
        Ok(o) => to_venue(&o).map(Some),
        Err(ApiError::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

async fn lookup(rest: &Rest, client_id: &str, purpose: Purpose) -> Result<WireOrder, ApiError> {
    let url = rest.url(
        &["v2", "orders:by_client_order_id"],
        &[("client_order_id", client_id)],
    );
    rest.send(Method::GET, url, None, purpose).await?.json()
}

/// Looks the order up by client id, then `DELETE /v2/orders/{id}`
/// (204 accepted; 404 → `NotFound`; 422 not cancelable → `Refused`).
pub(crate) async fn cancel(rest: &Rest, client_id: &str) -> Result<(), ApiError> {
    let order = lookup(rest, client_id, Purpose::Order).await?;
    let url = rest.url(&["v2", "orders", &order.id], &[]);
    rest.send(Method::DELETE, url, None, Purpose::Order).await?;
    Ok(())
}

/// Every open order, bracket legs included (they are orders the venue
/// holds and cancel-all cancels).
pub(crate) async fn open_orders(rest: &Rest) -> Result<Vec<VenueOrder>, ApiError> {
    let url = rest.url(
        &["v2", "orders"],
        &[("status", "open"), ("limit", "500"), ("nested", "true")],
    );
    let list: Vec<WireOrder> = rest
        .send(Method::GET, url, None, Purpose::Read)
        .await?
        .json()?;
    let mut out = Vec::with_capacity(list.len());
    for parent in &list {
        let p = to_venue(parent)?;
        if !p.state.is_terminal() {
            out.push(p);
        }
        for leg in parent.legs.iter().flatten() {
            let l = to_venue(leg)?;
            if !l.state.is_terminal() {
                out.push(l);
            }
        }
    }
    Ok(out)
}

/// `DELETE /v2/orders`: counts the items cancelled or already gone (404);
/// any other item fails the whole call with every failure named, since a
/// kill switch must not believe an order it could not cancel is gone.
pub(crate) async fn cancel_all(rest: &Rest) -> Result<usize, ApiError> {
    let url = rest.url(&["v2", "orders"], &[]);
    let reply = rest.send(Method::DELETE, url, None, Purpose::Order).await?;
    if reply.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(0);
    }
    let items: Vec<MultiItem> = reply.json()?;
    let mut done = 0;
    let mut failed = Vec::new();
    for item in &items {
        match item.status {
            200 | 204 | 404 => done += 1,
            _ => failed.push(format!(
                "{} ({}): {}",
                item.id.as_deref().unwrap_or("?"),
                item.status,
                item.message()
            )),
        }
    }
    if failed.is_empty() {
        Ok(done)
    } else {
        Err(ApiError::Refused {
            code: "cancel_all".into(),
            message: format!(
                "{} of {} orders not cancelled: {}",
                failed.len(),
                items.len(),
                failed.join("; ")
            ),
        })
    }
}

fn to_venue(o: &WireOrder) -> Result<VenueOrder, ApiError> {
    o.to_venue()
        .map_err(|e| ApiError::OutcomeUnknown(format!("unreadable alpaca order: {e}")))
}
