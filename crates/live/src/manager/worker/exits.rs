//! Exits the venue holds for our positions and executes itself: the stop
//! loss and take profit an order of ours carried (OANDA's
//! `stopLossOnFill`/`takeProfitOnFill`, TradeLocker's stop loss and take
//! profit), which live at the broker so they survive our process. When
//! one fires, the venue's own order fills, not one of ours, and the
//! position our order opened is closed.
//!
//! An adapter names such a fill by the client id of the order that opened
//! the position (on OANDA the trade it closes was opened by that order's
//! fill; on TradeLocker the position it closes was opened by that order),
//! while its venue order id is the exit's own and its side is the other
//! one: a fill under our client id on the other side of another venue
//! order can only be the venue's exit of what that order opened.
//!
//! The exit is journaled as an order the venue made for the account, under
//! its venue order id (as the venue's closing orders are) and with engine
//! order 0 (an order we did not place, as the open orders name one); the
//! row is written unfinished before its fill is recorded (by trade id,
//! once) and finished after, and the engine hears of it only once the
//! fill is on disk, as [`ExecutionReport::VenueExit`], which books it as
//! a fill reducing that position. A restart hands it over again as the
//! same report (the engine knows its trade id); a crash between the row
//! and its fill leaves the row unfinished, asked about by query like an
//! order of ours.

use super::{Worker, now_ms};
use crate::api::{VenueApi, VenueFill, VenueOrder};
use crate::journal::{JournalFill, JournalOrder, JournalState};
use omni_core::domain::{Side, Timestamp};
use omni_core::execution::ExecutionReport;
use rust_decimal::Decimal;

/// The engine order id of an order the venue made (none of the engine's).
pub(super) const NO_ENGINE_ORDER: u64 = 0;

/// True for the journal row of an exit the venue made and filled itself.
pub(super) fn is_venue_exit(o: &JournalOrder) -> bool {
    o.order_id == NO_ENGINE_ORDER
}

/// The side a journal row was written with (`BUY` or `SELL`).
pub(super) fn side_of(o: &JournalOrder) -> Side {
    if o.side == Side::Sell.as_str() {
        Side::Sell
    } else {
        Side::Buy
    }
}

impl<A: VenueApi> Worker<A> {
    /// The client id of the exit row `f` belongs to, when it is a venue's
    /// exit: `client_id` names that row itself, or names the order of
    /// ours that opened the position while `f` is another venue order's
    /// execution on the other side (see the module docs). `None` for an
    /// execution of one of our orders, or of an order the journal does
    /// not know.
    pub(super) fn venue_exit(&self, f: &VenueFill, client_id: &str) -> Option<String> {
        let row = self.journal.order(client_id).ok().flatten()?;
        if is_venue_exit(&row) {
            return Some(client_id.to_string());
        }
        let other_order = !f.venue_order_id.is_empty()
            && row.venue_id.as_deref() != Some(f.venue_order_id.as_str());
        (other_order && side_of(&row) != f.side).then(|| f.venue_order_id.clone())
    }

    /// Journals and reports one execution of the venue's exit `exit_id`
    /// of the position order `opened_by` opened (its row first,
    /// unfinished; the fill by trade id, once; the report only for a fill
    /// not recorded before; the row finished last). Its engine order is
    /// none: the engine books it against the position.
    pub(super) fn apply_venue_exit(&mut self, f: &VenueFill, exit_id: &str, opened_by: &str) {
        let name = self.api.name();
        let Some((instrument, _)) = self.map.instrument(&f.symbol) else {
            tracing::warn!(
                venue = name,
                "the venue's exit {exit_id} filled {} {} of an instrument this account does not trade; not booked",
                f.qty,
                f.symbol
            );
            return;
        };
        match self.journal.order(exit_id) {
            Ok(Some(row)) if is_venue_exit(&row) => {}
            Ok(Some(_)) => {
                // One of our client ids: never a venue's order id (ours
                // start `om`), so the journal is not what this run wrote.
                tracing::error!(
                    venue = name,
                    "the venue's exit {exit_id} has the id of an order of ours; not booked"
                );
                return;
            }
            Ok(None) => {
                let row = JournalOrder {
                    client_id: exit_id.to_string(),
                    order_id: NO_ENGINE_ORDER,
                    account: self.settings.account.0,
                    broker: name.to_string(),
                    symbol: f.symbol.clone(),
                    side: f.side.as_str().to_string(),
                    qty: f.qty,
                    limit: None,
                    // Unfinished until its fill is recorded: a crash in
                    // between leaves it to be asked about.
                    state: JournalState::PartiallyFilled,
                    venue_id: Some(f.venue_order_id.clone()),
                    filled: Decimal::ZERO,
                    reason: Some(format!("the venue's exit of {opened_by}")),
                    sends: 0,
                    created_ms: 0,
                };
                if let Err(e) = self.journal.insert(&row, now_ms()) {
                    self.journal_error(&e);
                    return;
                }
                // Handled in this run: reconciliation may ask about it.
                self.placed.insert(exit_id.to_string());
            }
            Err(e) => {
                self.journal_error(&e);
                return;
            }
        }
        let fee = self.fee_in_currency(f);
        let fill = JournalFill {
            broker: name.to_string(),
            trade_id: f.trade_id.clone(),
            client_id: exit_id.to_string(),
            qty: f.qty,
            price: f.price,
            fee,
            fee_in_kind: Decimal::ZERO,
            ts_ms: f.ts_ms,
        };
        match self.journal.record_fill(&fill) {
            Ok(true) => {
                tracing::info!(
                    venue = name,
                    "the venue's exit {exit_id} filled {} {} at {}",
                    f.qty,
                    f.symbol,
                    f.price
                );
                self.report(ExecutionReport::VenueExit {
                    account: self.settings.account,
                    instrument,
                    trade_id: format!("{name}:{}", f.trade_id),
                    side: f.side,
                    qty: f.qty,
                    price: f.price,
                    fee,
                    ts: Timestamp(0),
                });
            }
            // Recorded before: a duplicate line, or the same fill fetched
            // again.
            Ok(false) => {}
            Err(e) => {
                self.journal_error(&e);
                return;
            }
        }
        // The venue fills such an exit at once for the whole trade or
        // position it closes: with its fill recorded it is done.
        let filled = self.journal.recorded_qty(exit_id);
        if let Err(e) = self.journal.update(
            exit_id,
            JournalState::Filled,
            None,
            Some(filled),
            None,
            now_ms(),
        ) {
            self.journal_error(&e);
        }
    }

    /// The venue's word on an exit row left unfinished (a crash between
    /// its row and its fill): its executions fetched and applied, the row
    /// finished once the venue has ended it with all of them recorded. The
    /// engine has no order for it and hears only of its fills.
    pub(super) async fn apply_exit_order(&mut self, o: &VenueOrder) {
        if o.filled > self.journal.recorded_qty(&o.client_id) {
            match self.api.fills(&o.symbol, &o.venue_id).await {
                Ok(fills) => {
                    for f in fills {
                        self.apply_fill(&f, Some(&o.client_id));
                    }
                }
                Err(e) => tracing::warn!(
                    venue = self.api.name(),
                    "fills of the venue's exit {}: {e}",
                    o.client_id
                ),
            }
        }
        if o.state.is_terminal() && self.journal.recorded_qty(&o.client_id) >= o.filled {
            self.end_exit(&o.client_id, o.state.into(), o.reason.as_deref());
        }
    }

    /// Finishes an exit row in the journal (no report: the engine has no
    /// order for it).
    pub(super) fn end_exit(&mut self, exit_id: &str, state: JournalState, reason: Option<&str>) {
        if let Err(e) = self
            .journal
            .update(exit_id, state, None, None, reason, now_ms())
        {
            self.journal_error(&e);
        }
    }

    /// The replay of an exit's recorded execution after a restart: the
    /// same report as when it was first recorded (the engine ignores it
    /// by trade id if it booked it).
    pub(super) fn replay_venue_exit(&mut self, f: &JournalFill) {
        let name = self.api.name();
        let row = match self.journal.order(&f.client_id) {
            Ok(Some(row)) => row,
            Ok(None) => return,
            Err(e) => {
                self.journal_error(&e);
                return;
            }
        };
        let Some((instrument, _)) = self.map.instrument(&row.symbol) else {
            return;
        };
        self.report(ExecutionReport::VenueExit {
            account: self.settings.account,
            instrument,
            trade_id: format!("{name}:{}", f.trade_id),
            side: side_of(&row),
            qty: f.qty,
            price: f.price,
            fee: f.fee,
            ts: Timestamp(0),
        });
    }
}
