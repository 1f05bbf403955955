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

use super::TradeLocker;
use super::account::{executions, to_fill};
use super::orders::{List, list, to_venue};
use crate::api::{ApiError, StreamEvent, VenueOrderState};
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
    open: HashSet<String>,
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
    for o in &all {
        if let Some(tag) = &o.strategy_id {
            seen.tags.insert(o.id.clone(), tag.clone());
        }
    }
    let currency = tl.rest.account().await?.currency;
    let mut events = Vec::new();
    for e in &execs {
        if seen.fills.insert(e.id.clone()) && !first {
            let tag = seen.tags.get(&e.order_id).cloned();
            events.push(StreamEvent::Fill(to_fill(e, tag, &tl.catalog, &currency)));
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
