//! TradeLocker's positional rows: `orders`, `positions`, `executions` and
//! `accountDetailsData` arrive as arrays whose meaning comes from the
//! column lists of `/trade/config`. Rows are read by column id, never by a
//! fixed position, so a broker that orders (or extends) its columns
//! differently is read the same.

use super::wire::{RawObject, decimal, text};
use crate::api::VenueOrderState;
use omni_core::domain::Side;
use rust_decimal::Decimal;
use serde_json::value::RawValue;
use std::collections::HashMap;

/// The column ids of one table, by position.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Columns {
    index: HashMap<String, usize>,
}

impl Columns {
    pub(crate) fn new<S: AsRef<str>>(ids: &[S]) -> Self {
        Self {
            index: ids
                .iter()
                .enumerate()
                .map(|(i, id)| (id.as_ref().to_string(), i))
                .collect(),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// A row of this table.
    pub(crate) fn row<'a>(&'a self, cells: &'a [Box<RawValue>]) -> Row<'a> {
        Row { cols: self, cells }
    }
}

/// One positional row read through its table's columns.
pub(crate) struct Row<'a> {
    cols: &'a Columns,
    cells: &'a [Box<RawValue>],
}

impl Row<'_> {
    fn raw(&self, id: &str) -> Option<&RawValue> {
        self.cells.get(*self.cols.index.get(id)?).map(|b| &**b)
    }

    /// The cell as text (`None` when absent, `null` or empty).
    pub(crate) fn text(&self, id: &str) -> Option<String> {
        text(self.raw(id)?).filter(|t| !t.is_empty())
    }

    /// The cell as an exact decimal.
    pub(crate) fn dec(&self, id: &str) -> Option<Decimal> {
        decimal(self.raw(id)?)
    }

    /// The cell as a side (`buy`/`sell`).
    pub(crate) fn side(&self, id: &str) -> Result<Side, String> {
        match self.text(id).map(|s| s.to_ascii_lowercase()).as_deref() {
            Some("buy") => Ok(Side::Buy),
            Some("sell") => Ok(Side::Sell),
            other => Err(format!("unknown side {other:?} in column `{id}`")),
        }
    }

    /// An id column; a number `0` or an empty value means "none".
    pub(crate) fn id(&self, id: &str) -> Option<String> {
        self.text(id).filter(|t| t != "0")
    }
}

/// The rows of a list answer: `d.<key>` as arrays of raw cells.
pub(crate) fn rows_of(d: &RawValue, key: &str) -> Result<Vec<Vec<Box<RawValue>>>, String> {
    let obj: RawObject =
        serde_json::from_str(d.get()).map_err(|e| format!("`d` is not an object: {e}"))?;
    match obj.get(key) {
        None => Ok(Vec::new()),
        Some(list) if list.get().trim() == "null" => Ok(Vec::new()),
        Some(list) => {
            serde_json::from_str(list.get()).map_err(|e| format!("`d.{key}` is not rows: {e}"))
        }
    }
}

/// An order row (from `orders` or `ordersHistory`).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct OrderRow {
    pub id: String,
    pub instrument_id: String,
    pub side: Side,
    pub kind: String,
    pub status: String,
    pub qty: Decimal,
    pub filled: Decimal,
    pub price: Option<Decimal>,
    pub stop_price: Option<Decimal>,
    pub position_id: Option<String>,
    /// Our client id, when the order is ours.
    pub strategy_id: Option<String>,
    pub created_ms: i64,
}

impl OrderRow {
    pub(crate) fn read(row: &Row<'_>) -> Result<Self, String> {
        Ok(Self {
            id: row.text("id").ok_or("order row without `id`")?,
            instrument_id: row.text("tradableInstrumentId").unwrap_or_default(),
            side: row.side("side")?,
            kind: row.text("type").unwrap_or_default().to_ascii_lowercase(),
            status: row.text("status").unwrap_or_default(),
            qty: row.dec("qty").ok_or("order row without `qty`")?,
            filled: row.dec("filledQty").unwrap_or(Decimal::ZERO),
            price: row.dec("price").filter(|p| !p.is_zero()),
            stop_price: row.dec("stopPrice").filter(|p| !p.is_zero()),
            position_id: row.id("positionId"),
            strategy_id: row.text("strategyId"),
            created_ms: row
                .text("createdDate")
                .and_then(|t| t.parse().ok())
                .unwrap_or(0),
        })
    }

    /// The client id the order manager knows it by: ours, or the venue's
    /// id for an order we did not place (by hand, or made by TradeLocker
    /// for a stop loss, a take profit or a close).
    pub(crate) fn client_id(&self) -> String {
        self.strategy_id.clone().unwrap_or_else(|| self.id.clone())
    }

    pub(crate) fn state(&self) -> VenueOrderState {
        order_state(&self.status, self.filled)
    }
}

/// TradeLocker's order status in the seam's states. Seen: `New` (open),
/// `Filled`, `Cancelled`, `Refused`, `Unplaced`, `Removed`. A status not
/// in that list (partial fills and acceptance states are unconfirmed) is
/// a working order: partly filled when `filledQty > 0`.
pub(crate) fn order_state(status: &str, filled: Decimal) -> VenueOrderState {
    match status.to_ascii_lowercase().as_str() {
        "filled" => VenueOrderState::Filled,
        "cancelled" | "canceled" | "removed" => VenueOrderState::Cancelled,
        "refused" | "unplaced" | "rejected" => VenueOrderState::Rejected,
        "expired" => VenueOrderState::Expired,
        _ if filled > Decimal::ZERO => VenueOrderState::PartiallyFilled,
        _ => VenueOrderState::New,
    }
}

/// A position row.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct PositionRow {
    pub id: String,
    pub instrument_id: String,
    pub side: Side,
    pub qty: Decimal,
    pub avg_price: Option<Decimal>,
}

impl PositionRow {
    pub(crate) fn read(row: &Row<'_>) -> Result<Self, String> {
        Ok(Self {
            id: row.text("id").ok_or("position row without `id`")?,
            instrument_id: row.text("tradableInstrumentId").unwrap_or_default(),
            side: row.side("side")?,
            qty: row.dec("qty").ok_or("position row without `qty`")?,
            avg_price: row.dec("avgPrice"),
        })
    }

    /// Quantity signed by side (a sell position is negative).
    pub(crate) fn signed_qty(&self) -> Decimal {
        match self.side {
            Side::Buy => self.qty.abs(),
            Side::Sell => -self.qty.abs(),
        }
    }
}

/// An execution row (`filledOrdersConfig`).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ExecutionRow {
    pub id: String,
    pub order_id: String,
    /// The position it opened, added to or closed (`positionId`).
    pub position_id: Option<String>,
    pub instrument_id: String,
    pub side: Side,
    pub qty: Decimal,
    pub price: Decimal,
    /// A commission column, where the broker has one (none in the
    /// official client's list).
    pub fee: Decimal,
    pub ts_ms: i64,
}

impl ExecutionRow {
    pub(crate) fn read(row: &Row<'_>) -> Result<Self, String> {
        Ok(Self {
            id: row.text("id").ok_or("execution row without `id`")?,
            order_id: row.text("orderId").unwrap_or_default(),
            position_id: row.id("positionId"),
            instrument_id: row.text("tradableInstrumentId").unwrap_or_default(),
            side: row.side("side")?,
            qty: row.dec("qty").ok_or("execution row without `qty`")?,
            price: row.dec("price").ok_or("execution row without `price`")?,
            fee: row
                .dec("commission")
                .or_else(|| row.dec("fee"))
                .map_or(Decimal::ZERO, |f| f.abs()),
            ts_ms: row
                .text("createdDate")
                .and_then(|t| t.parse().ok())
                .unwrap_or(0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn a_row_is_read_by_its_columns_not_its_positions() {
        let notes = Columns::new(&[
            "id",
            "tradableInstrumentId",
            "qty",
            "side",
            "type",
            "status",
            "filledQty",
            "strategyId",
        ]);
        let shuffled = Columns::new(&[
            "strategyId",
            "status",
            "filledQty",
            "id",
            "side",
            "qty",
            "type",
            "tradableInstrumentId",
        ]);
        let a: Vec<Box<RawValue>> =
            serde_json::from_str(r#"["7277816997",206,"0.01","buy","limit","New",0,"omni-0001"]"#)
                .unwrap();
        let b: Vec<Box<RawValue>> = serde_json::from_str(
            r#"["omni-0001","New","0","7277816997","buy",0.01,"limit","206"]"#,
        )
        .unwrap();
        let ra = OrderRow::read(&notes.row(&a)).unwrap();
        let rb = OrderRow::read(&shuffled.row(&b)).unwrap();
        assert_eq!(ra, rb);
        assert_eq!(ra.qty, dec!(0.01));
        assert_eq!(ra.client_id(), "omni-0001");
        assert_eq!(ra.state(), VenueOrderState::New);
    }

    #[test]
    fn statuses_map_to_states() {
        let z = Decimal::ZERO;
        assert_eq!(order_state("New", z), VenueOrderState::New);
        assert_eq!(
            order_state("New", dec!(0.01)),
            VenueOrderState::PartiallyFilled
        );
        assert_eq!(order_state("Filled", z), VenueOrderState::Filled);
        assert_eq!(order_state("Removed", z), VenueOrderState::Cancelled);
        assert_eq!(order_state("Cancelled", z), VenueOrderState::Cancelled);
        assert_eq!(order_state("Refused", z), VenueOrderState::Rejected);
        assert_eq!(order_state("Unplaced", z), VenueOrderState::Rejected);
    }
}
