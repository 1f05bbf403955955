//! TradeLocker's REST API has no documented push channel (its Socket.IO
//! Streams API needs a developer key and has no confirmed production
//! host), so [`run`] stands in for a private stream by polling.
//!
//! Every `poll` interval it reads the open orders; the order history and
//! the executions are read too when something changed there, when an
//! order was just placed, cancelled or closed through this adapter, and
//! every [`FULL_EVERY`] polls anyway (an order placed and ended between
//! two polls, a stop loss triggered at the broker, never shows in the
//! open list). Each request waits for its route's budget from
//! `/trade/config`, so the poll slows down rather than exceed it.
//!
//! The first successful poll records what is there and sends
//! [`StreamEvent::Connected`] (the order manager then reconciles by
//! query); later polls send an `Order` for every order whose state or
//! filled quantity changed and a `Fill` for every execution not seen
//! before (by its id). Polls failing for [`FAIL_INTERVALS`] intervals end
//! it with `Disconnected`.
//!
//! An execution of a position's stop loss or take profit (a `stop` or
//! `limit` order TradeLocker made for the position, without our
//! `strategyId`) is sent under the client id of our order that opened
//! that position (the order of ours on the same `positionId`, on the
//! other side), so the order manager books it as the venue's exit of that
//! position. The first poll sends those too: the order manager's queries
//! find only our own orders, and an exit that fired while nobody polled
//! (this process down, or the polls failing) is found nowhere else; the
//! order manager records each fill once, by its id.

use super::TradeLocker;
use super::account::{executions, to_fill};
use super::orders::{List, list, to_venue};
use super::rows::{ExecutionRow, OrderRow};
use crate::api::{ApiError, StreamEvent, VenueOrderState};
use omni_core::domain::Side;
use rust_decimal::Decimal;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// History and executions are read at least every this many polls.
pub(crate) const FULL_EVERY: u32 = 5;
/// Polls failing for this many intervals (and at least [`MIN_FAIL`]) end
/// the stream.
pub(crate) const FAIL_INTERVALS: u32 = 5;
const MIN_FAIL: Duration = Duration::from_millis(500);

/// What earlier polls saw.
#[derive(Default)]
struct Seen {
    orders: HashMap<String, (VenueOrderState, Decimal)>,
    fills: HashSet<String>,
    /// Order id → our client id, for the fills of our orders.
    tags: HashMap<String, String>,
    /// Position id → the side and client id of each order of ours on it,
    /// for the fills of the exits TradeLocker holds for it.
    ours_on: HashMap<String, Vec<(Side, String)>>,
    open: HashSet<String>,
}

impl Seen {
    /// Learns the orders of ours among `orders`.
    fn learn(&mut self, orders: &[OrderRow]) {
        for o in orders {
            let Some(tag) = &o.strategy_id else {
                continue;
            };
            self.tags.insert(o.id.clone(), tag.clone());
            if let Some(p) = &o.position_id {
                let on = self.ours_on.entry(p.clone()).or_default();
                if !on.iter().any(|(_, c)| c == tag) {
                    on.push((o.side, tag.clone()));
                }
            }
        }
    }

    /// The client id an execution is sent under: its order's when the
    /// order is ours; for an execution of a stop loss or take profit
    /// TradeLocker made for a position (a `stop` or `limit` order on it
    /// without a `strategyId`), that of our order that opened the position
    /// (on it, on the other side: an order of ours that reduced it is on
    /// the exit's side); else none.
    fn client_id_of(&self, e: &ExecutionRow, orders: &HashMap<&str, &OrderRow>) -> Option<String> {
        if let Some(tag) = self.tags.get(&e.order_id) {
            return Some(tag.clone());
        }
        let order = orders.get(e.order_id.as_str())?;
        let protective =
            order.strategy_id.is_none() && matches!(order.kind.as_str(), "stop" | "limit");
        if !protective {
            return None;
        }
        let position = e.position_id.as_ref().or(order.position_id.as_ref())?;
        self.ours_on
            .get(position)?
            .iter()
            .find(|(side, _)| *side != e.side)
            .map(|(_, client_id)| client_id.clone())
    }
}

/// Polls until the polls keep failing or the receiver is gone; always
/// ends with `Disconnected`.
pub(crate) async fn run(tl: &TradeLocker, tx: &mpsc::Sender<StreamEvent>) {
    let reason = watch(tl, tx).await;
    tracing::info!(venue = "tradelocker", %reason, "poll stream ended");
    let _ = tx.send(StreamEvent::Disconnected(reason)).await;
}

async fn watch(tl: &TradeLocker, tx: &mpsc::Sender<StreamEvent>) -> String {
    let every = tl.poll.max(Duration::from_millis(10));
    let fail_after = (every * FAIL_INTERVALS).max(MIN_FAIL);
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut seen = Seen::default();
    let mut connected = false;
    let mut failing_since: Option<Instant> = None;
    let mut n: u32 = 0;
    loop {
        tick.tick().await;
        if tx.is_closed() {
            return "nobody listens".into();
        }
        let asked = tl.dirty.swap(false, Ordering::SeqCst);
        let full = !connected || asked || n.is_multiple_of(FULL_EVERY);
        n = n.wrapping_add(1);
        match poll_once(tl, &mut seen, full, !connected).await {
            Ok(events) => {
                failing_since = None;
                if !connected {
                    connected = true;
                    if tx.send(StreamEvent::Connected).await.is_err() {
                        return "nobody listens".into();
                    }
                }
                for ev in events {
                    if tx.send(ev).await.is_err() {
                        return "nobody listens".into();
                    }
                }
            }
            Err(e) => {
                if asked {
                    tl.dirty.store(true, Ordering::SeqCst);
                }
                let since = *failing_since.get_or_insert_with(Instant::now);
                tracing::debug!(venue = "tradelocker", "poll failed: {e}");
                if since.elapsed() >= fail_after {
                    return format!("polls failing for {:?}: {e}", since.elapsed());
                }
            }
        }
    }
}

/// One poll; returns the events to send (none on the first).
async fn poll_once(
    tl: &TradeLocker,
    seen: &mut Seen,
    full: bool,
    first: bool,
) -> Result<Vec<StreamEvent>, ApiError> {
    let tables = tl.tables().await?;
    let open = list(&tl.rest, &tables, List::Open).await?;
    let open_ids: HashSet<String> = open.iter().map(|o| o.id.clone()).collect();
    let changed = open
        .iter()
        .any(|o| seen.orders.get(&o.id) != Some(&(o.state(), o.filled)))
        || seen.open.iter().any(|id| !open_ids.contains(id));
    let mut all = open;
    let mut execs = Vec::new();
    if full || changed {
        all.extend(list(&tl.rest, &tables, List::History).await?);
        execs = executions(&tl.rest, &tables).await?;
    }
    let ids = all
        .iter()
        .map(|o| o.instrument_id.as_str())
        .chain(execs.iter().map(|e| e.instrument_id.as_str()));
    super::specs::ensure(&tl.rest, &tl.catalog, ids).await?;
    seen.learn(&all);
    let by_id: HashMap<&str, &OrderRow> = all.iter().map(|o| (o.id.as_str(), o)).collect();
    let currency = tl.rest.account().await?.currency;
    let mut events = Vec::new();
    for e in &execs {
        if !seen.fills.insert(e.id.clone()) {
            continue;
        }
        let client_id = seen.client_id_of(e, &by_id);
        // On the first poll only the venue's exits of our positions (see
        // the module docs); our own orders' fills are found by query.
        let exit = client_id.is_some() && !seen.tags.contains_key(&e.order_id);
        if !first || exit {
            events.push(StreamEvent::Fill(to_fill(
                e,
                client_id,
                &tl.catalog,
                &currency,
            )));
        }
    }
    for o in &all {
        let now = (o.state(), o.filled);
        if seen.orders.insert(o.id.clone(), now) != Some(now) && !first {
            events.push(StreamEvent::Order(to_venue(o, &tl.catalog)));
        }
    }
    seen.open = open_ids;
    Ok(events)
}
