//! The paper venue's own books: cash and holdings per account, moved by the
//! fills and settlements the venue itself reports. This is what the broker
//! seam's `balances` and `positions` answer from, so the engine's portfolio
//! can be checked against the venue as it would be against a real one.

use omni_core::domain::{AccountId, InstrumentId, Side, VenueId};
use omni_core::execution::ExecutionReport;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// What the venue remembers of an order it was sent, to book its fills.
#[derive(Clone, Copy, Debug)]
pub(super) struct Booking {
    pub account: AccountId,
    pub instrument: InstrumentId,
    pub venue: VenueId,
    pub side: Side,
    /// A binary purchase or sale: its stake moves cash, not holdings.
    pub binary: bool,
    /// The stake, for a binary purchase (what a settlement pays back on).
    pub stake: Decimal,
    /// A cross pair of the account (ETH/BTC in a USDT account): its fills
    /// move the account's holdings of its base and quote assets, held
    /// against the account's currency as the engine books them; with the
    /// quote asset's price in that currency when the order was sent.
    pub cross: Option<Cross>,
}

/// Where a cross pair's fills are held: the instruments of its two assets
/// against the account's currency, and the quote asset's price in it.
#[derive(Clone, Copy, Debug)]
pub(super) struct Cross {
    pub base: InstrumentId,
    pub quote: InstrumentId,
    pub quote_price: Decimal,
}

#[derive(Clone, Debug, Default)]
pub(super) struct AccountBook {
    pub currency: String,
    pub cash: Decimal,
    /// Signed quantity, average entry price and the venue of the last fill,
    /// per instrument. The paper venue nets an instrument across the
    /// exchanges it simulates, as the engine's portfolio does: an arbitrage
    /// bought on one and sold on another is flat.
    pub holdings: BTreeMap<InstrumentId, (Decimal, Decimal, VenueId)>,
}

/// Every account's books, and the orders whose fills they wait for.
#[derive(Clone, Debug, Default)]
pub(super) struct Ledger {
    pub accounts: BTreeMap<AccountId, AccountBook>,
    pub bookings: BTreeMap<omni_core::domain::OrderId, Booking>,
}

impl Ledger {
    /// Books the reports in `reports` (fills and settlements; the rest do
    /// not move money).
    pub fn apply(&mut self, reports: &[ExecutionReport]) {
        for r in reports {
            match r {
                ExecutionReport::Filled {
                    order_id,
                    qty,
                    price,
                    fee,
                    ..
                } => {
                    let Some(b) = self.bookings.get(order_id).copied() else {
                        continue;
                    };
                    let book = self.accounts.entry(b.account).or_default();
                    if let Some(c) = b.cross {
                        // The two assets move against each other; the
                        // account's currency only by the fee, converted.
                        let signed = match b.side {
                            Side::Buy => *qty,
                            Side::Sell => -*qty,
                        };
                        let m = c.quote_price;
                        hold(book, c.base, b.venue, signed, *price * m);
                        hold(book, c.quote, b.venue, -signed * *price, m);
                        book.cash -= *fee * m;
                        continue;
                    }
                    let notional = *qty * *price;
                    match b.side {
                        Side::Buy => book.cash -= notional + *fee,
                        Side::Sell => book.cash += notional - *fee,
                    }
                    if !b.binary {
                        let signed = match b.side {
                            Side::Buy => *qty,
                            Side::Sell => -*qty,
                        };
                        hold(book, b.instrument, b.venue, signed, *price);
                    }
                }
                ExecutionReport::BinarySettled {
                    order_id, price, ..
                } => {
                    if let Some(b) = self.bookings.get(order_id).copied() {
                        self.accounts.entry(b.account).or_default().cash += b.stake * *price;
                    }
                }
                _ => {}
            }
        }
    }
}

/// Adds `signed` units at `price` to a holding: the average price moves
/// only when the holding grows; a holding that crosses zero starts afresh at
/// `price`; a flat holding is removed.
pub(super) fn hold(
    book: &mut AccountBook,
    instrument: InstrumentId,
    venue: VenueId,
    signed: Decimal,
    price: Decimal,
) {
    let (qty, avg) = book
        .holdings
        .get(&instrument)
        .map_or((Decimal::ZERO, Decimal::ZERO), |&(q, a, _)| (q, a));
    let new_qty = qty + signed;
    let new_avg = if new_qty.is_zero() {
        Decimal::ZERO
    } else if qty.is_zero() || qty.is_sign_negative() != new_qty.is_sign_negative() {
        price
    } else if qty.is_sign_negative() == signed.is_sign_negative() {
        ((qty * avg + signed * price) / new_qty).round_dp(12)
    } else {
        avg
    };
    if new_qty.is_zero() {
        book.holdings.remove(&instrument);
    } else {
        book.holdings.insert(instrument, (new_qty, new_avg, venue));
    }
}
