//! The operator's hand on one order or one position: cancel a working
//! order, close a position at market. Both only reduce risk, so they are
//! taken in every trading state; each answers with the outcome text the
//! command is audited with.

use super::Engine;
use crate::domain::{AccountId, ExitReason, InstrumentId, OrderId, OrderPurpose, Side};
use crate::execution::ExecutionRequest;
use crate::portfolio::PositionKey;
use rust_decimal::Decimal;

/// The outcome of cancelling an id that is not a working order (it
/// filled, was cancelled or rejected, or never existed): the control API
/// answers 404 for it.
pub const NOT_WORKING: &str = "not working (already filled, cancelled or unknown)";

impl Engine {
    /// Sends a cancel for a working order to its account's broker; the
    /// broker's `Cancelled` (or its fill, if it won the race) ends it.
    pub(super) fn operator_cancel(&mut self, id: OrderId) -> String {
        let Some(o) = self.working.get(&id) else {
            return NOT_WORKING.to_string();
        };
        if o.purpose == OrderPurpose::Flatten {
            // The kill switch's own order: cancelling it would leave the
            // position open while the switch believes it is being closed.
            return format!(
                "refused: #{} is a kill-switch flatten; it stays working until the position is flat",
                id.0
            );
        }
        self.outbox.requests.push(ExecutionRequest::Cancel {
            order_id: id,
            account: o.account,
            venue: o.venue,
        });
        format!("cancel sent for #{}", id.0)
    }

    /// Closes the account's position on the instrument with a market order
    /// on its venue, as exits are sent (`send_close`), if it is still
    /// exactly `shown` (signed) and nothing else is closing it.
    pub(super) fn operator_close(
        &mut self,
        account: AccountId,
        instrument: InstrumentId,
        shown: Decimal,
    ) -> String {
        // Ids come from a snapshot of this catalog; anything else is
        // answered, never indexed.
        let (Some(a), Some(i)) = (
            self.catalog.accounts.get(account.index()),
            self.catalog.instruments.get(instrument.index()),
        ) else {
            return "refused: no such account or instrument".to_string();
        };
        let what = format!("{} {}", a.name, i.name);
        if self.kill.latched {
            return format!(
                "refused: the kill switch is latched and already flattening every position ({what})"
            );
        }
        let key = PositionKey {
            account,
            instrument,
            contract: 0,
        };
        let Some(p) = self.portfolio.positions.get(&key).filter(|p| !p.is_flat()) else {
            let contract = self
                .portfolio
                .of_account(account)
                .any(|p| p.key.instrument == instrument && p.binary.is_some());
            return if contract {
                format!(
                    "refused: {what} is a binary contract; it settles at expiry (only the kill switch sells one back)"
                )
            } else {
                format!("refused: no open position on {what} (already closed)")
            };
        };
        if p.qty != shown {
            return format!(
                "refused (changed_since_shown): {what} is now {}, not {shown} as shown",
                p.qty.normalize()
            );
        }
        if let Some(id) = self.closing.get(&key)
            && self.working.contains_key(id)
        {
            return format!(
                "refused: an exit for {what} is already in flight (#{})",
                id.0
            );
        }
        let (venue, side, qty) = (p.venue, p.side().opposite(), p.qty.abs());
        // The touch the market order meets on the position's own venue, or
        // the position's mark before that venue's first quote.
        let reference = self
            .book
            .quote(venue, instrument)
            .map(|q| if side == Side::Sell { q.bid } else { q.ask })
            .unwrap_or_else(|| self.position_mark(p));
        self.send_close(
            key,
            venue,
            side,
            qty,
            reference,
            OrderPurpose::Exit,
            ExitReason::Operator,
        );
        let id = self.closing.get(&key).map_or(0, |id| id.0);
        format!(
            "sent #{id}: {} {} {} at market on {} for {}",
            side.as_str(),
            qty.normalize(),
            self.catalog.instrument(instrument).name,
            self.catalog.venue(venue).name,
            self.catalog.account(account).name,
        )
    }
}
