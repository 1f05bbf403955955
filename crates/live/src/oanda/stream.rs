//! The transaction stream (`GET {stream}/v3/accounts/{id}/transactions/stream`):
//! chunked HTTP, one JSON object per line, a `HEARTBEAT` line every 5 s,
//! no subscription and no replay.
//!
//! What OANDA sends and what becomes of it:
//! - `ORDER_FILL` → a [`StreamEvent::Fill`] (its id is the trade id; its
//!   `clientOrderID` is our client id, present only when the order has
//!   one), then, for an order with a client id, the order as a query by
//!   its id reports it (an IOC's remainder, a fill of a resting limit).
//!   The fill of a trade's dependent exit (a stop loss or take profit
//!   OANDA held for it, reason `STOP_LOSS_ORDER`, `TAKE_PROFIT_ORDER`, …)
//!   has no client id: it is sent under the client id of the order that
//!   opened the trade it closed (`tradesClosed`/`tradeReduced`; the
//!   trade's id is its opening fill's transaction, which names that
//!   order), so the order manager books it as the venue's exit of that
//!   position.
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
//! reconciles by query after each `Connected`, so a lost line of one of
//! our orders costs a query, never a wrong book.
//!
//! A dependent exit's fill is no order of ours, and no query finds it;
//! OANDA does not replay, so after `Connected` the connection first
//! catches up on the exit fills it missed (`GET …/transactions/sinceid`):
//! since the last transaction an earlier connection of this process saw,
//! or, on the first one, over the last [`CATCH_UP`] transactions before
//! the first line (a stop that fired while our process was down). Only
//! those fills are sent from it (the order manager records each once, by
//! its id); a catch-up that fails ends the connection, to be tried again
//! from the same place by the next one, unless OANDA refused it (a range
//! it will not serve): that is logged, and the stream goes on without it
//! (the book then differs from the venue, which blocks the account and
//! says why).

use super::account::{attribute_exit, to_fill};
use super::orders::{lookup, to_venue};
use super::rest::{Rest, classify};
use super::wire::{TxList, WireTx, is_exit_fill, side_of};
use crate::api::{StreamEvent, VenueFill, VenueOrder, VenueOrderState};
use reqwest::{Method, Url};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::timeout;

/// A connection silent this long is dead (OANDA heartbeats every 5 s).
pub(crate) const SILENT_AFTER: Duration = Duration::from_secs(10);
/// A "line" longer than this without a newline is garbage.
const MAX_LINE: usize = 1 << 20;
/// How many transactions back the first connection of a process looks
/// for exit fills it missed (a market order and its two exits make four
/// or five: some hundred trades).
pub(crate) const CATCH_UP: u64 = 500;

/// What the stream needs from the adapter.
pub(crate) struct Context<'a> {
    pub rest: &'a Rest,
    pub base: &'a Url,
    /// The account's currency (the fee asset of fills).
    pub currency: String,
    pub malformed: &'a AtomicU64,
    /// The last transaction id seen by this process's connections (0:
    /// none yet).
    pub last_seen: &'a AtomicU64,
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
    /// Send this fill of a dependent exit under the client id of the
    /// order that opened `trade_id`, the trade it closed.
    Exit {
        fill: VenueFill,
        trade_id: String,
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
    // A new connection each time: it counts against OANDA's 2 a second.
    ctx.rest.connection_slot().await;
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
    // Where an earlier connection left off; 0 on this process's first.
    let before = ctx.last_seen.load(Ordering::SeqCst);
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
            let mark = transaction_mark(line);
            if !connected {
                connected = true;
                if tx.send(StreamEvent::Connected).await.is_err() {
                    return "receiver closed".into();
                }
                let from = if before > 0 {
                    Some(before)
                } else {
                    mark.map(|m| m.saturating_sub(CATCH_UP))
                };
                if let Some(from) = from {
                    match catch_up(ctx, tx, from, mark.unwrap_or(from)).await {
                        Ok(()) => {}
                        Err((why, true)) => return why,
                        Err((why, false)) => {
                            tracing::error!(venue = "oanda", "exit fills not caught up: {why}");
                        }
                    }
                }
            }
            if let Some(m) = mark {
                ctx.last_seen.fetch_max(m, Ordering::SeqCst);
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
                    Action::Exit { fill, trade_id } => Some(StreamEvent::Fill(
                        attribute_exit(ctx.rest, fill, &trade_id).await,
                    )),
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

/// The transaction a line says the account has reached: a heartbeat's
/// `lastTransactionID`, a transaction's own `id`.
fn transaction_mark(line: &[u8]) -> Option<u64> {
    let v: serde_json::Value = serde_json::from_slice(line).ok()?;
    let id = if v.get("type").and_then(serde_json::Value::as_str) == Some("HEARTBEAT") {
        v.get("lastTransactionID")
    } else {
        v.get("id")
    };
    id?.as_str()?.parse().ok()
}

/// Sends the exit fills among the transactions after `from` up to
/// `upto` at least (see the module docs), each under the client id of
/// the order that opened its trade; the other transactions are left to
/// the order manager's queries. Asked again from the last one received
/// while OANDA's answer stops short of `upto` (it may cap a page). Why
/// not, when OANDA cannot be asked, and whether asking again may help
/// (not when OANDA refused the request).
async fn catch_up(
    ctx: &Context<'_>,
    tx: &mpsc::Sender<StreamEvent>,
    from: u64,
    upto: u64,
) -> Result<(), (String, bool)> {
    let mut last = from;
    loop {
        let since = last.to_string();
        let url = ctx
            .rest
            .url(&["transactions", "sinceid"], &[("id", since.as_str())]);
        let list: TxList = ctx
            .rest
            .send(Method::GET, url, None)
            .await
            .and_then(|r| r.json())
            .map_err(|e| {
                let again = !matches!(e, crate::api::ApiError::Refused { .. });
                (format!("catching up since transaction {last}: {e}"), again)
            })?;
        let before = last;
        for t in &list.transactions {
            let Ok(line) = serde_json::to_vec(t) else {
                continue;
            };
            if let Some(m) = transaction_mark(&line) {
                last = last.max(m);
            }
            let Ok(actions) = decode(&line, &ctx.currency) else {
                continue;
            };
            for a in actions {
                if let Action::Exit { fill, trade_id } = a {
                    let fill = attribute_exit(ctx.rest, fill, &trade_id).await;
                    if tx.send(StreamEvent::Fill(fill)).await.is_err() {
                        return Err(("receiver closed".into(), true));
                    }
                }
            }
        }
        ctx.last_seen.fetch_max(last, Ordering::SeqCst);
        if last >= upto || last == before {
            return Ok(());
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
            if t.client_order_id.is_none()
                && is_exit_fill(t.reason.as_deref())
                && let Some(trade) = t.trade_exited()
            {
                return Ok(vec![Action::Exit {
                    fill,
                    trade_id: trade.to_string(),
                }]);
            }
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
        // A protective stop's fill: no client id, no query; sent under the
        // client id of the order that opened the trade it closed.
        let sl = br#"{"type":"ORDER_FILL","id":"9","orderID":"8","instrument":"EUR_USD","units":"100","price":"1.1","reason":"STOP_LOSS_ORDER","tradesClosed":[{"tradeID":"7","units":"100"}]}"#;
        let a = decode(sl, "USD").unwrap();
        let [Action::Exit { fill, trade_id }] = a.as_slice() else {
            panic!("{a:?}")
        };
        assert_eq!(
            (trade_id.as_str(), fill.venue_order_id.as_str(), fill.side),
            ("7", "8", Side::Buy)
        );
        let tp = br#"{"type":"ORDER_FILL","id":"9","orderID":"8","instrument":"EUR_USD","units":"40","price":"1.1","reason":"TAKE_PROFIT_ORDER","tradeReduced":{"tradeID":"5","units":"40"}}"#;
        assert!(matches!(
            decode(tp, "USD").unwrap().as_slice(),
            [Action::Exit { trade_id, .. }] if trade_id == "5"
        ));
        // A position close OANDA made for the kill switch is no exit: it
        // is found by its own id.
        let close = br#"{"type":"ORDER_FILL","id":"9","orderID":"8","instrument":"EUR_USD","units":"100","price":"1.1","reason":"MARKET_ORDER_POSITION_CLOSEOUT","tradesClosed":[{"tradeID":"7","units":"100"}]}"#;
        assert!(matches!(
            decode(close, "USD").unwrap().as_slice(),
            [Action::Send(StreamEvent::Fill(_))]
        ));
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

    #[test]
    fn a_line_marks_the_transaction_the_account_has_reached() {
        assert_eq!(
            transaction_mark(br#"{"type":"HEARTBEAT","lastTransactionID":"2311"}"#),
            Some(2311)
        );
        assert_eq!(
            transaction_mark(br#"{"type":"ORDER_FILL","id":"7","orderID":"6"}"#),
            Some(7)
        );
        assert_eq!(transaction_mark(br#"{"type":"HEARTBEAT"}"#), None);
        assert_eq!(transaction_mark(b"[1"), None);
    }
}
