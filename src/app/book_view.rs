//! The Positions pane's two views, open positions and working orders, and
//! the row selected in each. As with the opportunities, the selection is
//! the row's identity (a position's key, an order's id), never a row
//! number: re-sorting or a new row never moves it to another position or
//! order, and a selected row that is gone says so rather than letting a
//! key act on its neighbour.

use super::snapshot::{OrderRow, PositionRow, Snapshot};
use omni_core::domain::{AccountId, InstrumentId, OrderId};

/// Which list the Positions pane shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BookTab {
    /// Open positions (`x` closes the selected one).
    #[default]
    Positions,
    /// Working orders (`c` cancels the selected one).
    Orders,
}

impl BookTab {
    /// In tab order.
    pub const ALL: [BookTab; 2] = [BookTab::Positions, BookTab::Orders];

    /// The tab's name, as its title says it.
    pub fn title(self) -> &'static str {
        match self {
            BookTab::Positions => "Positions",
            BookTab::Orders => "Orders",
        }
    }

    /// The other tab (there are two, so next and previous are the same).
    pub fn other(self) -> BookTab {
        match self {
            BookTab::Positions => BookTab::Orders,
            BookTab::Orders => BookTab::Positions,
        }
    }
}

/// A position's identity: its account, instrument and contract (0 unless
/// it is a binary contract).
pub type PositionKey = (AccountId, InstrumentId, u64);

fn key_of(p: &PositionRow) -> PositionKey {
    (p.account_id, p.instrument_id, p.contract)
}

/// The tab shown and the row selected on each.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BookView {
    pub tab: BookTab,
    /// The selected position, whether or not it is still open.
    pub position: Option<PositionKey>,
    /// The selected order, whether or not it is still working.
    pub order: Option<OrderId>,
}

impl BookView {
    /// The selected position, if it is still open.
    pub fn selected_position<'a>(&self, snap: &'a Snapshot) -> Option<&'a PositionRow> {
        let key = self.position?;
        snap.positions.iter().find(|p| key_of(p) == key)
    }

    /// The selected order, if it is still working.
    pub fn selected_order<'a>(&self, snap: &'a Snapshot) -> Option<&'a OrderRow> {
        let id = self.order?;
        snap.orders.iter().find(|o| o.order_id() == id)
    }

    /// Where the selected row is in the shown tab's list.
    pub fn selected_index(&self, snap: &Snapshot) -> Option<usize> {
        match self.tab {
            BookTab::Positions => {
                let key = self.position?;
                snap.positions.iter().position(|p| key_of(p) == key)
            }
            BookTab::Orders => {
                let id = self.order?;
                snap.orders.iter().position(|o| o.order_id() == id)
            }
        }
    }

    /// Rows in the shown tab's list.
    pub fn len(&self, snap: &Snapshot) -> usize {
        match self.tab {
            BookTab::Positions => snap.positions.len(),
            BookTab::Orders => snap.orders.len(),
        }
    }

    /// Whether the shown tab's list is empty.
    pub fn is_empty(&self, snap: &Snapshot) -> bool {
        self.len(snap) == 0
    }

    /// Selects row `i` of the shown tab's list, if there is one.
    pub fn select_at(&mut self, snap: &Snapshot, i: usize) {
        match self.tab {
            BookTab::Positions => {
                if let Some(p) = snap.positions.get(i) {
                    self.position = Some(key_of(p));
                }
            }
            BookTab::Orders => {
                if let Some(o) = snap.orders.get(i) {
                    self.order = Some(o.order_id());
                }
            }
        }
    }

    /// Moves the selection `delta` rows (from the top when the selected row
    /// is gone), never past either end.
    pub fn select(&mut self, snap: &Snapshot, delta: isize) {
        let n = self.len(snap);
        if n == 0 {
            return;
        }
        let i = match self.selected_index(snap) {
            Some(i) => (i as isize + delta).clamp(0, n as isize - 1) as usize,
            None => 0,
        };
        self.select_at(snap, i);
    }

    /// Gives a list that never had a selection its first row (a new
    /// snapshot arrived).
    pub fn settle(&mut self, snap: &Snapshot) {
        if self.position.is_none() {
            self.position = snap.positions.first().map(key_of);
        }
        if self.order.is_none() {
            self.order = snap.orders.first().map(OrderRow::order_id);
        }
    }

    /// Switching to a tab is a deliberate look at it: a selection there
    /// that is gone gives way to the first row (or none).
    pub fn show(&mut self, snap: &Snapshot, tab: BookTab) {
        self.tab = tab;
        if self.selected_index(snap).is_none() {
            match tab {
                BookTab::Positions => self.position = snap.positions.first().map(key_of),
                BookTab::Orders => self.order = snap.orders.first().map(OrderRow::order_id),
            }
        }
    }
}
