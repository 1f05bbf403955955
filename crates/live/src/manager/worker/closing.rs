//! The kill switch on a venue that closes positions itself (Alpaca's
//! `DELETE /v2/positions`, OANDA's and TradeLocker's position close).
//!
//! The engine still sends its flatten orders, one per position of its
//! book; sending them as well as asking the venue to close would sell
//! twice. So they are not sent: each waits as a [`Cover`] until the
//! venue's closing order for its symbol exists, is then linked to it in
//! the journal (one transaction), and that order's fills are reported as
//! the engine order's, up to its quantity. What the venue closes beyond
//! it (a position held before omni-tui, or made by hand) is recorded in
//! the journal and not booked: the book never held it.

use super::{KILL_WAIT, Worker, now_ms};

/// After a round that closed or cancelled something, how soon the venue is
/// asked again.
const CLOSE_RECHECK: std::time::Duration = std::time::Duration::from_millis(200);
use crate::api::{PlaceRequest, VenueApi, VenueHolding, VenueOrder};
use crate::journal::{JournalOrder, JournalState};
use crate::manager::lock;
use omni_core::domain::OrderId;
use std::time::Instant;

/// An engine flatten order waiting for the venue's close of its position.
#[derive(Clone, Debug)]
pub(in crate::manager) struct Cover {
    pub order_id: OrderId,
    pub client_id: String,
    /// The venue symbol of the position.
    pub symbol: String,
    /// Its side: a close of the other side (a hedged account's) is not it.
    pub side: omni_core::domain::Side,
}

/// Flatten orders arriving together (one per position, in the engine's
/// step) are taken in before a round closes anything: the round waits
/// this long after the first.
const COVER_BATCH: std::time::Duration = std::time::Duration::from_millis(50);

impl<A: VenueApi> Worker<A> {
    /// Takes an engine flatten order as covered by the venue's close (it is
    /// journaled, and never sent). When the venue already made the close
    /// for its symbol (the kill round ran before this order arrived), the
    /// two are linked now; otherwise a kill round runs now.
    pub(super) async fn cover(&mut self, order_id: OrderId, req: PlaceRequest) {
        self.orders.insert(req.client_id.clone(), order_id);
        self.placed.insert(req.client_id.clone());
        self.covers.push(Cover {
            order_id,
            client_id: req.client_id,
            symbol: req.symbol.clone(),
            side: req.side,
        });
        if let Some(i) = self
            .unlinked
            .iter()
            .position(|o| o.symbol == req.symbol && o.side == req.side)
        {
            let close = self.unlinked.remove(i);
            if self.link(&close) {
                // The answer the close came with is old: its fills are
                // fetched, then the venue is asked how it stands now (the
                // stream's updates before the link were not ours yet).
                self.apply_order(&close).await;
                self.query_and_apply(&close.symbol, &close.client_id).await;
                return;
            }
        }
        match self.kill.as_mut() {
            Some((at, wait)) => {
                *at = (*at).min(Instant::now() + COVER_BATCH);
                *wait = KILL_WAIT;
            }
            // A flatten after the venue was flat (a late fill, or a restart
            // while the kill switch is latched): the rounds start again.
            None => self.start_kill(),
        }
    }

    /// True when this client id is an engine order waiting for a close.
    pub(super) fn is_cover(&self, client_id: &str) -> bool {
        self.covers.iter().any(|c| c.client_id == client_id)
    }

    /// A round on a venue that closes positions itself: ask; if it holds
    /// a position with no closing order working, cancel its open orders
    /// and have it close everything; if only orders are left, cancel
    /// them. True when the venue reports no open order and no position.
    pub(super) async fn close_round(&mut self) -> Result<bool, String> {
        let (open, _) = self.refresh().await?;
        let view = lock(&self.shared).view.clone();
        self.reconcile_with(Some(view.open_orders.clone())).await;
        // Every position the venue lists is open, one whose sides net to
        // zero included (a hedging account's long and short): K closes
        // them all.
        let holdings: Vec<VenueHolding> = view.holdings.clone();
        // Flat once the venue holds nothing and every closing order linked
        // to an engine order has its fills recorded (else the book would
        // hear "flat" before the fill that made it so).
        let closing_unfinished = self.venue_closes.iter().any(|c| {
            self.orders.contains_key(c)
                && self
                    .journal
                    .order(c)
                    .ok()
                    .flatten()
                    .is_some_and(|o| !o.state.is_terminal())
        });
        if open == 0 && holdings.is_empty() && !closing_unfinished {
            self.end_covers();
            return Ok(true);
        }
        let closing = view
            .open_orders
            .iter()
            .any(|o| self.venue_closes.contains(&o.client_id));
        let acted = (!holdings.is_empty() && !closing)
            || view
                .open_orders
                .iter()
                .any(|o| !self.venue_closes.contains(&o.client_id));
        if !holdings.is_empty() && !closing {
            if open > 0 {
                self.api.cancel_all().await.map_err(|e| e.to_string())?;
            }
            let out = self
                .api
                .flatten(&holdings)
                .await
                .map_err(|e| e.to_string())?;
            for o in out.orders {
                self.venue_closes.insert(o.client_id.clone());
                if self.link(&o) {
                    self.apply_order(&o).await;
                } else {
                    self.unlinked.push(o);
                }
            }
            if let Some((symbol, why)) = out.left.first() {
                tracing::warn!(
                    venue = self.api.name(),
                    "kill switch: {symbol} not closed: {why}"
                );
                lock(&self.shared).view.error =
                    Some(format!("kill switch: {symbol} not closed: {why}"));
            }
        } else {
            // Closing orders are working (a market that is shut queues
            // them): only the other orders are cancelled, one by one, so
            // the closes are not cancelled and made again every round.
            for o in view
                .open_orders
                .iter()
                .filter(|o| !self.venue_closes.contains(&o.client_id))
            {
                if let Err(e) = self.api.cancel(&o.symbol, &o.client_id).await {
                    tracing::warn!(
                        venue = self.api.name(),
                        "kill switch: cancel {}: {e}",
                        o.client_id
                    );
                }
            }
        }
        // After a close or a cancel the venue is asked again soon rather
        // than a whole round later (a close usually fills at once); with
        // nothing done (a close queued while its market is shut), a round
        // apart, so a wait does not become a stream of requests.
        if acted && let Some((at, _)) = self.kill.as_mut() {
            *at = Instant::now() + CLOSE_RECHECK;
        }
        Ok(false)
    }

    /// Links a closing order the venue made to the engine's flatten order
    /// waiting for its symbol, in the journal; false when none waits (the
    /// order arrives later, or the book never held the position) or the
    /// journal failed.
    fn link(&mut self, o: &VenueOrder) -> bool {
        let Some(i) = self
            .covers
            .iter()
            .position(|c| c.symbol == o.symbol && c.side == o.side)
        else {
            tracing::info!(
                venue = self.api.name(),
                "kill switch: the venue closes {} {} with no engine order for it (yet)",
                o.qty,
                o.symbol
            );
            return false;
        };
        let cover = self.covers.remove(i);
        let row = JournalOrder {
            client_id: o.client_id.clone(),
            order_id: cover.order_id.0,
            account: self.settings.account.0,
            broker: self.api.name().to_string(),
            symbol: o.symbol.clone(),
            side: o.side.as_str().to_string(),
            qty: o.qty,
            limit: o.limit,
            state: JournalState::InFlight,
            venue_id: Some(o.venue_id.clone()),
            filled: rust_decimal::Decimal::ZERO,
            reason: None,
            sends: 1,
            created_ms: 0,
        };
        if let Err(e) = self.journal.link_close(&row, &cover.client_id, now_ms()) {
            self.journal_error(&e);
            // Not linked: the engine order stays waiting and the close's
            // fills are not booked; the book then differs from the venue,
            // which blocks the account and says why.
            self.covers.push(cover);
            return false;
        }
        self.orders.insert(o.client_id.clone(), cover.order_id);
        // Handled in this run: reconciliation asks about it like any order
        // of ours (it skips only this run's orders not yet handled).
        self.placed.insert(o.client_id.clone());
        true
    }

    /// The venue is flat: an engine flatten order still waiting had nothing
    /// to close there. It is refused (the engine waits before trying again)
    /// and the book, which holds what the venue does not, stays blocked.
    fn end_covers(&mut self) {
        for c in std::mem::take(&mut self.covers) {
            self.finish_rejected(
                c.order_id,
                &c.client_id,
                &format!("the venue holds no {} to close", c.symbol),
            );
        }
    }
}
