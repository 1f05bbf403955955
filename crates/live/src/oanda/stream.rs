//! The transaction stream (`GET {stream}/v3/accounts/{id}/transactions/stream`):
//! chunked HTTP, one JSON object per line, a `HEARTBEAT` line every 5 s,
//! no subscription and no replay.
//!
//! What OANDA sends and what becomes of it:
//! - `ORDER_FILL` → a [`StreamEvent::Fill`] (its id is the trade id; its
//!   `clientOrderID` is our client id, present only when the order has
//!   one), then, for an order with a client id, the order as a query by
//!   its id reports it (an IOC's remainder, a fill of a resting limit).
//! - `ORDER_CANCEL` of an order with a client id → the order, queried by
//!   id, as `Cancelled` with the transaction's `reason`.
//! - `MARKET_ORDER`, `LIMIT_ORDER`, `STOP_ORDER`, … (an order created) →
//!   the order as `New`.
//! - Reject transactions are not mapped: the place or cancel that caused
//!   one is answered with the same refusal, and a reject of a reused
//!   client id must not touch the order that holds it.
//!
//! `Connected` is sent on the first line (OANDA's first heartbeat comes
//! within 5 s): it proves the token was accepted and lines flow. A line
//! that cannot be read is counted and dropped; a connection with no line
//! (not even a heartbeat) for 10 s is dead. The order manager
//! reconciles by query after each `Connected`, so a lost line costs a
//! query, never a wrong book.

use super::account::to_fill;
use super::orders::{lookup, to_venue};
use super::rest::{Rest, classify};
use super::wire::{WireTx, side_of};
use crate::api::{StreamEvent, VenueOrder, VenueOrderState};
use reqwest::{Method, Url};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::timeout;

/// A connection silent this long is dead (OANDA heartbeats every 5 s).
pub(crate) const SILENT_AFTER: Duration = Duration::from_secs(10);
/// A "line" longer than this without a newline is garbage.
const MAX_LINE: usize = 1 << 20;

/// What the stream needs from the adapter.
pub(crate) struct Context<'a> {
    pub rest: &'a Rest,
    pub base: &'a Url,
    /// The account's currency (the fee asset of fills).
    pub currency: String,
    pub malformed: &'a AtomicU64,
    /// A connection without a line for this long is dead.
    pub silent_after: Duration,
}

/// What one line asks for.
#[derive(Debug, PartialEq)]
pub(crate) enum Action {
    Send(StreamEvent),
    /// Query this order (OANDA's id) and send it; with a cancel reason,
    /// as cancelled for that reason.
    Query {
        order_id: String,
        cancel_reason: Option<String>,
    },
}

/// Runs one connection and always ends with `Disconnected`.
pub(crate) async fn run(ctx: &Context<'_>, tx: &mpsc::Sender<StreamEvent>) {
    let reason = session(ctx, tx).await;
    tracing::info!(venue = "oanda", %reason, "transaction stream ended");
    let _ = tx.send(StreamEvent::Disconnected(reason)).await;
}

async fn session(ctx: &Context<'_>, tx: &mpsc::Sender<StreamEvent>) -> String {
    let client = match reqwest::Client::builder()
        .connect_timeout(ctx.rest.timeout())
        .build()
    {
        Ok(c) => c,
        Err(e) => return format!("http client: {e}"),
    };
    let url = ctx.rest.url_on(ctx.base, &["transactions", "stream"]);
    let request = ctx.rest.authorized(&client, Method::GET, url).send();
    let mut resp = match timeout(ctx.rest.timeout(), request).await {
        Err(_) => return "connect: timed out".into(),
        Ok(Err(e)) => return format!("connect: {}", e.without_url()),
        Ok(Ok(r)) => r,
    };
    let status = resp.status();
    if !status.is_success() {
        let body = match timeout(ctx.rest.timeout(), resp.bytes()).await {
            Ok(Ok(b)) => b.to_vec(),
            _ => Vec::new(),
        };
        return format!("refused: {}", classify(status, &body));
    }
    let mut buf: Vec<u8> = Vec::new();
    let mut connected = false;
    loop {
        let chunk = match timeout(ctx.silent_after, resp.chunk()).await {
            Err(_) => return format!("silent for {} ms", ctx.silent_after.as_millis()),
            Ok(Err(e)) => return format!("read: {}", e.without_url()),
            Ok(Ok(None)) => return "stream closed by oanda".into(),
            Ok(Ok(Some(c))) => c,
        };
        buf.extend_from_slice(&chunk);
        while let Some(end) = buf.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = buf.drain(..=end).collect();
            let line = line.trim_ascii();
            if line.is_empty() {
                continue;
            }
            if !connected {
                connected = true;
                if tx.send(StreamEvent::Connected).await.is_err() {
                    return "receiver closed".into();
                }
            }
            let actions = match decode(line, &ctx.currency) {
                Ok(a) => a,
                Err(e) => {
                    ctx.malformed.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(venue = "oanda", len = line.len(), error = %e, "dropped a malformed stream line");
                    continue;
                }
            };
            for a in actions {
                let ev = match a {
                    Action::Send(ev) => Some(ev),
                    Action::Query {
                        order_id,
                        cancel_reason,
                    } => order_event(ctx.rest, &order_id, cancel_reason).await,
                };
                if let Some(ev) = ev
                    && tx.send(ev).await.is_err()
                {
                    return "receiver closed".into();
                }
            }
        }
        if buf.len() > MAX_LINE {
            ctx.malformed.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(
                venue = "oanda",
                "dropped {} bytes without a newline",
                buf.len()
            );
            buf.clear();
        }
    }
}

/// The order OANDA reports under `order_id`, as a stream event; nothing
/// when the query fails (the next reconciliation asks again).
async fn order_event(
    rest: &Rest,
    order_id: &str,
    cancel_reason: Option<String>,
) -> Option<StreamEvent> {
    match lookup(rest, order_id).await {
        Ok(o) => {
            let mut v = to_venue(&o, &[]);
            if let Some(reason) = cancel_reason {
                v.state = VenueOrderState::Cancelled;
                v.reason = Some(reason);
            }
            Some(StreamEvent::Order(v))
        }
        Err(e) => {
            tracing::warn!(venue = "oanda", order_id, "query after a stream line: {e}");
            None
        }
    }
}

/// What one line asks for: nothing for heartbeats and transactions we do
/// not track, an error for a line we cannot read.
pub(crate) fn decode(line: &[u8], currency: &str) -> Result<Vec<Action>, String> {
    let value: serde_json::Value = serde_json::from_slice(line).map_err(|e| e.to_string())?;
    if !value.get("type").is_some_and(serde_json::Value::is_string) {
        return Err("a line without a type".into());
    }
    let t: WireTx = serde_json::from_value(value).map_err(|e| e.to_string())?;
    let actions = match t.kind.as_str() {
        "ORDER_FILL" => {
            let fill = to_fill(&t, currency)?;
            let order_id = fill.venue_order_id.clone();
            let mut a = vec![Action::Send(StreamEvent::Fill(fill))];
            if t.client_order_id.is_some() {
                a.push(Action::Query {
                    order_id,
                    cancel_reason: None,
                });
            }
            a
        }
        "ORDER_CANCEL" if t.client_order_id.is_some() => vec![Action::Query {
            order_id: t.order_id.clone().ok_or("cancel without orderID")?,
            cancel_reason: Some(t.reason.clone().unwrap_or_else(|| "cancelled".into())),
        }],
        "MARKET_ORDER" | "LIMIT_ORDER" | "STOP_ORDER" | "MARKET_IF_TOUCHED_ORDER" => {
            let units = t.units.ok_or("order without units")?;
            let order = VenueOrder {
                client_id: t.client_id().unwrap_or_else(|| t.id.clone()),
                venue_id: t.id.clone(),
                symbol: t.instrument.clone().ok_or("order without instrument")?,
                side: side_of(units),
                qty: units.abs(),
                filled: rust_decimal::Decimal::ZERO,
                limit: (t.kind == "LIMIT_ORDER").then_some(t.price).flatten(),
                state: VenueOrderState::New,
                reason: None,
            };
            vec![Action::Send(StreamEvent::Order(order))]
        }
        _ => Vec::new(),
    };
    Ok(actions)
}

#[cfg(test)]
mod tests {
    use super::*;
    use omni_core::domain::Side;
    use rust_decimal::dec;

    #[test]
    fn lines_map_to_events() {
        assert_eq!(
            decode(br#"{"type":"HEARTBEAT","lastTransactionID":"2311","time":"2016-10-28T11:56:12.002855862Z"}"#, "USD"),
            Ok(vec![])
        );
        let fill = br#"{"type":"ORDER_FILL","id":"7","orderID":"6","clientOrderID":"omni-1","instrument":"EUR_USD","units":"-100","price":"1.09289","commission":"0.0000","reason":"MARKET_ORDER","time":"2016-10-28T15:11:58.023004583Z"}"#;
        let a = decode(fill, "USD").unwrap();
        let Action::Send(StreamEvent::Fill(f)) = &a[0] else {
            panic!("{a:?}")
        };
        assert_eq!(
            (
                f.trade_id.as_str(),
                f.client_id.as_deref(),
                f.side,
                f.qty,
                f.price
            ),
            ("7", Some("omni-1"), Side::Sell, dec!(100), dec!(1.09289))
        );
        assert_eq!(f.ts_ms, 1_477_667_518_023);
        assert_eq!(
            a[1],
            Action::Query {
                order_id: "6".into(),
                cancel_reason: None
            }
        );
        // A protective stop's fill: no client id, no query.
        let sl = br#"{"type":"ORDER_FILL","id":"9","orderID":"8","instrument":"EUR_USD","units":"100","price":"1.1","reason":"STOP_LOSS_ORDER"}"#;
        assert_eq!(decode(sl, "USD").unwrap().len(), 1);
        let cancel = br#"{"type":"ORDER_CANCEL","id":"7","orderID":"6","clientOrderID":"omni-1","reason":"INSUFFICIENT_MARGIN"}"#;
        assert_eq!(
            decode(cancel, "USD").unwrap(),
            vec![Action::Query {
                order_id: "6".into(),
                cancel_reason: Some("INSUFFICIENT_MARGIN".into())
            }]
        );
        assert!(decode(b"{\"type\":", "USD").is_err());
        assert!(decode(b"[1,2]", "USD").is_err());
        assert!(decode(br#"{"type":"ORDER_FILL","id":"7"}"#, "USD").is_err());
        assert_eq!(
            decode(br#"{"type":"DAILY_FINANCING","id":"3"}"#, "USD"),
            Ok(vec![])
        );
    }
}
