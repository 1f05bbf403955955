//! UI state, actions and key handling. Panes render from [`AppState`] and
//! never change it; keys become [`Action`]s; an action changes local UI
//! state or becomes an engine [`Command`](omni_core::engine::Command).

pub mod action;
pub mod keymap;
pub mod log;
pub mod snapshot;
pub mod update;

pub use action::Action;
pub use log::{LogRow, TradeLog};
pub use update::update;

use omni_core::domain::OpportunityKind;
use snapshot::{OppRow, Snapshot};
use std::sync::Arc;

/// Which pane takes the arrow keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    /// Arrows move the opportunity selection.
    Opportunities,
    /// Arrows scroll the trade log.
    TradeLog,
}

/// A popup over the panes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Overlay {
    None,
    /// The key list.
    Help,
    /// "Positions are open. Quit anyway?"
    ConfirmQuit,
    /// Typing the re-arm word.
    Rearm(String),
}

/// The word the operator types to re-arm after a kill switch.
pub const REARM_WORD: &str = "REARM";

/// Everything the UI draws.
#[derive(Clone, Debug)]
pub struct AppState {
    pub snapshot: Arc<Snapshot>,
    pub tab: OpportunityKind,
    /// Selected row per tab.
    pub selected: [usize; 3],
    /// Which pane has the arrows.
    pub focus: Focus,
    pub overlay: Overlay,
    /// Trade log rows, newest first.
    pub log: TradeLog,
    /// Rows scrolled past in the trade log.
    pub log_scroll: usize,
    /// A short status message (what the last key did).
    pub message: Option<String>,
    /// Monochrome output (NO_COLOR).
    pub no_color: bool,
    /// Set when the user has quit.
    pub quit: bool,
    /// The database, for the title of the trade log.
    pub db_label: String,
}

fn tab_index(kind: OpportunityKind) -> usize {
    match kind {
        OpportunityKind::Arbitrage => 0,
        OpportunityKind::Forex => 1,
        OpportunityKind::Binary => 2,
    }
}

impl AppState {
    pub fn new(no_color: bool, db_label: String) -> Self {
        Self {
            snapshot: Arc::new(Snapshot::default()),
            tab: OpportunityKind::Arbitrage,
            selected: [0; 3],
            focus: Focus::Opportunities,
            overlay: Overlay::None,
            log: TradeLog::default(),
            log_scroll: 0,
            message: None,
            no_color,
            quit: false,
            db_label,
        }
    }

    /// Rows of the current tab, best first.
    pub fn rows(&self) -> Vec<&OppRow> {
        self.snapshot.of_kind(self.tab).collect()
    }

    /// The selected row index of the current tab, kept inside the table.
    pub fn selected_index(&self) -> usize {
        let n = self.snapshot.of_kind(self.tab).count();
        self.selected[tab_index(self.tab)].min(n.saturating_sub(1))
    }

    /// The selected opportunity, if the tab has any.
    pub fn selected_row(&self) -> Option<&OppRow> {
        self.snapshot.of_kind(self.tab).nth(self.selected_index())
    }

    pub(crate) fn select(&mut self, delta: isize) {
        let n = self.snapshot.of_kind(self.tab).count();
        let i = &mut self.selected[tab_index(self.tab)];
        let cur = (*i).min(n.saturating_sub(1)) as isize;
        *i = (cur + delta).clamp(0, n.saturating_sub(1) as isize) as usize;
    }
}
