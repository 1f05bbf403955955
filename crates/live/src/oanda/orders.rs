//! Orders: place, cancel and query by specifier (OANDA's id, or `@` and
//! a client id), the pending list and cancel-all (OANDA has no bulk
//! cancel: one request each).

use super::rest::Rest;
use super::wire::{
    OrderEnvelope, OrderList, PlaceReply, TradeList, TxEnvelope, WireOrder, WireTrade, WireTx,
    order_state, side_of,
};
use crate::api::{ApiError, PlaceRequest, VenueOrder, VenueOrderState};
use omni_core::domain::{OrderType, Side, TimeInForce};
use reqwest::Method;
use rust_decimal::Decimal;
use serde_json::{Value, json};

/// The tag every order of ours carries in `clientExtensions`.
const TAG: &str = "omni";

/// The JSON body of `POST …/orders` (see the module docs of [`super`]
/// for the type, time-in-force and exit choices). `conform` has refused
/// a stop-limit already; one that gets here is sent as a stop.
pub(crate) fn order_body(req: &PlaceRequest) -> Value {
    let kind = match req.kind {
        OrderType::Market => "MARKET",
        OrderType::Limit => "LIMIT",
        OrderType::Stop | OrderType::StopLimit => "STOP",
    };
    let tif = match (req.tif, req.kind) {
        (TimeInForce::Ioc, _) => "IOC",
        (TimeInForce::Gtc, OrderType::Market) => "FOK",
        (TimeInForce::Gtc, _) => "GTC",
    };
    let units = match req.side {
        Side::Buy => req.qty.normalize(),
        Side::Sell => -req.qty.normalize(),
    };
    let mut order = json!({
        "type": kind,
        "instrument": req.symbol,
        "units": units.to_string(),
        "timeInForce": tif,
        "positionFill": position_fill(req),
        "clientExtensions": { "id": req.client_id, "tag": TAG },
    });
    // `json!` built an object above, so `as_object_mut` cannot fail; the
    // `if let` only keeps that from being an unwrap.
    if let Some(obj) = order.as_object_mut() {
        let price = match req.kind {
            OrderType::Market => None,
            OrderType::Limit => req.limit,
            OrderType::Stop | OrderType::StopLimit => req.stop,
        };
        if let Some(p) = price {
            obj.insert("price".into(), Value::String(p.to_string()));
        }
        if let Some(tp) = req.take_profit {
            obj.insert(
                "takeProfitOnFill".into(),
                json!({ "price": tp.to_string() }),
            );
        }
        if let Some(sl) = req.stop_loss {
            obj.insert("stopLossOnFill".into(), json!({ "price": sl.to_string() }));
        }
    }
    json!({ "order": order })
}

/// How the order may change the position: `REDUCE_ONLY` for an order of
/// ours that may only reduce one (the engine's exit at its stop or
/// target, an unwind, a flatten: the order manager marks its client id,
/// see [`crate::manager::reduces_only`]), `DEFAULT` for the rest. Sent
/// with `DEFAULT`, an exit arriving after OANDA's own stop loss has
/// already closed the trade would open the reverse position;
/// `REDUCE_ONLY` makes OANDA fill only what reduces the position and
/// cancel the rest.
pub(crate) fn position_fill(req: &PlaceRequest) -> &'static str {
    if crate::manager::reduces_only(&req.client_id) {
        "REDUCE_ONLY"
    } else {
        "DEFAULT"
    }
}

/// `POST …/orders`: the order as OANDA's 201 answer describes it (filled,
/// cancelled with OANDA's reason, or pending).
pub(crate) async fn place(rest: &Rest, req: &PlaceRequest) -> Result<VenueOrder, ApiError> {
    let url = rest.url(&["orders"], &[]);
    let reply: PlaceReply = rest
        .send(Method::POST, url, Some(&order_body(req)))
        .await?
        .json()?;
    placed(req, &reply)
}

/// Reads a 201 answer to a place.
pub(crate) fn placed(req: &PlaceRequest, reply: &PlaceReply) -> Result<VenueOrder, ApiError> {
    let create = reply.order_create_transaction.as_ref().ok_or_else(|| {
        ApiError::OutcomeUnknown("oanda answered 201 without orderCreateTransaction".into())
    })?;
    let units = create.units.unwrap_or(req.qty);
    let filled = reply
        .order_fill_transaction
        .as_ref()
        .and_then(|f| f.units)
        .map_or(Decimal::ZERO, |u| u.abs());
    let (state, reason) = match (
        &reply.order_fill_transaction,
        &reply.order_cancel_transaction,
    ) {
        (_, Some(c)) => (VenueOrderState::Cancelled, c.reason.clone()),
        (Some(_), None) => (VenueOrderState::Filled, None),
        (None, None) => (VenueOrderState::New, None),
    };
    Ok(VenueOrder {
        client_id: req.client_id.clone(),
        venue_id: create.id.clone(),
        symbol: create
            .instrument
            .clone()
            .unwrap_or_else(|| req.symbol.clone()),
        side: req.side,
        qty: units.abs(),
        filled,
        limit: (req.kind == OrderType::Limit)
            .then_some(req.limit)
            .flatten(),
        state,
        reason,
    })
}

/// `PUT …/orders/{specifier}/cancel` (`specifier` is OANDA's id or
/// `@` and our client id); an order OANDA does not have is `NotFound`.
pub(crate) async fn cancel(rest: &Rest, specifier: &str) -> Result<(), ApiError> {
    let url = rest.url(&["orders", specifier, "cancel"], &[]);
    rest.send(Method::PUT, url, None).await?;
    Ok(())
}

/// `GET …/orders/{specifier}` without interpretation.
pub(crate) async fn lookup(rest: &Rest, specifier: &str) -> Result<WireOrder, ApiError> {
    let url = rest.url(&["orders", specifier], &[]);
    Ok(rest
        .send(Method::GET, url, None)
        .await?
        .json::<OrderEnvelope>()?
        .order)
}

/// One transaction by id.
pub(crate) async fn transaction(rest: &Rest, id: &str) -> Result<WireTx, ApiError> {
    let url = rest.url(&["transactions", id], &[]);
    Ok(rest
        .send(Method::GET, url, None)
        .await?
        .json::<TxEnvelope>()?
        .transaction)
}

/// The order, `None` when OANDA never had it. A cancelled order's reason
/// (and, after an IOC's partial fill, its filled units) are read from its
/// cancelling and filling transactions, one request each; so are a filled
/// dependent exit's instrument and units (the order names only its trade,
/// which is closed).
pub(crate) async fn query(rest: &Rest, specifier: &str) -> Result<Option<VenueOrder>, ApiError> {
    let order = match lookup(rest, specifier).await {
        Ok(o) => o,
        Err(ApiError::NotFound) => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut v = to_venue(&order, &[]);
    if v.state == VenueOrderState::Filled
        && order.is_dependent()
        && let Some(tid) = &order.filling_transaction_id
    {
        let fill = transaction(rest, tid).await?;
        let units = fill.units.unwrap_or_default();
        v.qty = units.abs();
        v.filled = units.abs();
        v.side = side_of(units);
        if let Some(i) = fill.instrument {
            v.symbol = i;
        }
    }
    if v.state == VenueOrderState::Cancelled {
        if let Some(tid) = &order.cancelling_transaction_id {
            v.reason = transaction(rest, tid).await?.reason;
        }
        if let Some(tid) = &order.filling_transaction_id {
            v.filled = transaction(rest, tid)
                .await?
                .units
                .unwrap_or_default()
                .abs();
        }
    }
    Ok(Some(v))
}

/// An order in the seam's terms. A dependent exit takes its instrument
/// and size from its trade in `trades` (closing the trade: the opposite
/// side); one whose trade is not there has an empty symbol and size 0. A
/// filled order is taken as filled in full (OANDA fills an order once).
pub(crate) fn to_venue(o: &WireOrder, trades: &[WireTrade]) -> VenueOrder {
    let trade = o
        .trade_id
        .as_ref()
        .and_then(|t| trades.iter().find(|tr| &tr.id == t));
    let (symbol, units) = match (trade, &o.instrument) {
        (Some(t), _) => (t.instrument.clone(), -t.current_units),
        (None, Some(i)) => (i.clone(), o.units.unwrap_or_default()),
        (None, None) => (String::new(), o.units.unwrap_or_default()),
    };
    let state = order_state(&o.state);
    let qty = units.abs();
    VenueOrder {
        client_id: o.client_id(),
        venue_id: o.id.clone(),
        symbol,
        side: side_of(units),
        qty,
        filled: if state == VenueOrderState::Filled {
            qty
        } else {
            Decimal::ZERO
        },
        limit: matches!(o.kind.as_str(), "LIMIT" | "TAKE_PROFIT")
            .then_some(o.price)
            .flatten(),
        state,
        reason: None,
    }
}

async fn pending(rest: &Rest) -> Result<Vec<WireOrder>, ApiError> {
    let url = rest.url(&["pendingOrders"], &[]);
    Ok(rest
        .send(Method::GET, url, None)
        .await?
        .json::<OrderList>()?
        .orders)
}

/// Every pending order, the trades' dependent exits included (their
/// instrument and size read from `openTrades`, one more request when
/// there are any).
pub(crate) async fn open_orders(rest: &Rest) -> Result<Vec<VenueOrder>, ApiError> {
    let orders = pending(rest).await?;
    let trades = if orders.iter().any(WireOrder::is_dependent) {
        let url = rest.url(&["openTrades"], &[]);
        rest.send(Method::GET, url, None)
            .await?
            .json::<TradeList>()?
            .trades
    } else {
        Vec::new()
    };
    Ok(orders.iter().map(|o| to_venue(o, &trades)).collect())
}

/// Cancels each pending order that is not a trade's dependent exit (see
/// the module docs of [`super`]); one already gone counts as done. Any
/// other failure fails the whole call with every failure named, since a
/// kill switch must not believe an order it could not cancel is gone; a
/// rate limit or a refused token stops at once.
pub(crate) async fn cancel_all(rest: &Rest) -> Result<usize, ApiError> {
    let orders = pending(rest).await?;
    let mut done = 0;
    let mut failed = Vec::new();
    for o in orders.iter().filter(|o| !o.is_dependent()) {
        match cancel(rest, &o.id).await {
            Ok(()) | Err(ApiError::NotFound) => done += 1,
            Err(e @ (ApiError::RateLimited { .. } | ApiError::Auth(_))) => return Err(e),
            Err(e) => failed.push(format!("{} ({}): {e}", o.id, o.client_id())),
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
                done + failed.len(),
                failed.join("; ")
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    fn req() -> PlaceRequest {
        PlaceRequest {
            client_id: "omni-1".into(),
            symbol: "EUR_USD".into(),
            side: Side::Sell,
            kind: OrderType::Market,
            tif: TimeInForce::Gtc,
            qty: dec!(1500),
            limit: None,
            stop: None,
            take_profit: Some(dec!(1.05)),
            stop_loss: Some(dec!(1.12)),
        }
    }

    #[test]
    fn a_sell_market_order_has_negative_units_and_its_exits() {
        let b = order_body(&req());
        assert_eq!(
            b,
            json!({"order": {
                "type": "MARKET", "instrument": "EUR_USD", "units": "-1500",
                "timeInForce": "FOK", "positionFill": "DEFAULT",
                "clientExtensions": {"id": "omni-1", "tag": "omni"},
                "takeProfitOnFill": {"price": "1.05"},
                "stopLossOnFill": {"price": "1.12"},
            }})
        );
        let mut l = req();
        l.kind = OrderType::Limit;
        l.limit = Some(dec!(1.1));
        l.take_profit = None;
        l.stop_loss = None;
        let b = order_body(&l);
        assert_eq!(
            (
                &b["order"]["type"],
                &b["order"]["timeInForce"],
                &b["order"]["price"]
            ),
            (&json!("LIMIT"), &json!("GTC"), &json!("1.1"))
        );
        l.tif = TimeInForce::Ioc;
        assert_eq!(order_body(&l)["order"]["timeInForce"], "IOC");
    }

    #[test]
    fn only_an_order_marked_reducing_is_sent_reduce_only() {
        // An entry (exits or not) may open or reverse a position.
        assert_eq!(order_body(&req())["order"]["positionFill"], "DEFAULT");
        let mut entry = req();
        entry.client_id = "om0-7-1700000000000".into();
        entry.take_profit = None;
        entry.stop_loss = None;
        assert_eq!(order_body(&entry)["order"]["positionFill"], "DEFAULT");
        // The engine's exit, unwind or flatten: reduce only.
        let mut exit = entry.clone();
        exit.client_id = "om0-8-1700000000000-r".into();
        assert_eq!(order_body(&exit)["order"]["positionFill"], "REDUCE_ONLY");
    }

    #[test]
    fn a_201_reads_as_filled_cancelled_or_pending() {
        let read = |body: &str| placed(&req(), &serde_json::from_str(body).unwrap());
        let filled = read(
            r#"{"orderCreateTransaction":{"type":"MARKET_ORDER","id":"6","instrument":"EUR_USD","units":"-1500"},
                "orderFillTransaction":{"type":"ORDER_FILL","id":"7","orderID":"6","units":"-1500","price":"1.08"},"lastTransactionID":"7"}"#,
        )
        .unwrap();
        assert_eq!(
            (filled.state, filled.filled, filled.venue_id.as_str()),
            (VenueOrderState::Filled, dec!(1500), "6")
        );
        let cancelled = read(
            r#"{"orderCreateTransaction":{"type":"MARKET_ORDER","id":"6","units":"-1500"},
                "orderCancelTransaction":{"type":"ORDER_CANCEL","id":"7","orderID":"6","reason":"INSUFFICIENT_MARGIN"}}"#,
        )
        .unwrap();
        assert_eq!(
            (cancelled.state, cancelled.reason.as_deref()),
            (VenueOrderState::Cancelled, Some("INSUFFICIENT_MARGIN"))
        );
        assert!(matches!(read("{}"), Err(ApiError::OutcomeUnknown(_))));
    }
}
