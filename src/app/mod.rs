//! UI state, actions and key handling. Panes render from [`AppState`] and
//! never change it; keys become [`Action`]s; an action changes local UI
//! state or becomes an engine [`Command`](omni_core::engine::Command).

pub mod action;
pub mod keymap;
pub mod log;
pub mod notice;
pub mod snapshot;
pub mod update;

pub use action::Action;
pub use log::{LogRow, TradeLog};
pub use update::update;

use omni_core::domain::{OpportunityId, OpportunityKind};
use snapshot::{OppRow, Snapshot};
use std::collections::BTreeMap;
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
    /// "Switch on auto approval with these thresholds?"
    ConfirmAuto,
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
    /// The opportunity selected on each tab, by id: re-sorting, new rows
    /// and vanished rows never move it to another opportunity. A tab gets
    /// its first row selected only when it had no selection yet.
    pub selected: BTreeMap<OpportunityKind, OpportunityId>,
    /// The opportunity lists as they were when Space froze them; `None`
    /// while they follow the engine.
    pub frozen: Option<Arc<Snapshot>>,
    /// The terminal is below the minimum size: nothing is drawn but a
    /// message, so every key that acts on what is shown is inert (`K` and
    /// `q` still work).
    pub too_small: bool,
    /// Which pane has the arrows.
    pub focus: Focus,
    pub overlay: Overlay,
    /// Trade log rows, newest first.
    pub log: TradeLog,
    /// Rows scrolled past in the trade log.
    pub log_scroll: usize,
    /// A short status message (what the last key did); it expires.
    pub message: Option<String>,
    /// When the current message was first drawn (see [`AppState::expire`]).
    message_since: Option<std::time::Instant>,
    /// What just happened (an outcome, a fill, a halt); it expires.
    pub notice: Option<notice::Notice>,
    /// Monochrome output (NO_COLOR).
    pub no_color: bool,
    /// Set when the user has quit.
    pub quit: bool,
    /// The database, for the title of the trade log.
    pub db_label: String,
}

impl AppState {
    pub fn new(no_color: bool, db_label: String) -> Self {
        Self {
            snapshot: Arc::new(Snapshot::default()),
            tab: OpportunityKind::ALL[0],
            selected: BTreeMap::new(),
            frozen: None,
            too_small: false,
            focus: Focus::Opportunities,
            overlay: Overlay::None,
            log: TradeLog::default(),
            log_scroll: 0,
            message: None,
            message_since: None,
            notice: None,
            no_color,
            quit: false,
            db_label,
        }
    }

    /// Shows what a key did, in place of any notice.
    pub fn say(&mut self, text: impl Into<String>) {
        self.message = Some(text.into());
        self.message_since = None;
        self.notice = None;
    }

    /// Shows what just happened, in place of the last key's message; a
    /// more important notice shown less than [`notice::NOTICE_HOLD`] ago
    /// stays.
    pub fn notify(&mut self, n: notice::Notice, now: std::time::Instant) {
        if let Some(cur) = &self.notice
            && cur.rank > n.rank
            && cur
                .since
                .is_none_or(|t| now.duration_since(t) < notice::NOTICE_HOLD)
        {
            return;
        }
        self.notice = Some(n);
        self.message = None;
    }

    /// Lets messages and notices go once they have been up for
    /// [`notice::MESSAGE_TTL`] and [`notice::NOTICE_TTL`] (their clocks start
    /// when this first sees them). Returns whether anything went.
    pub fn expire(&mut self, now: std::time::Instant) -> bool {
        let mut gone = false;
        if self.message.is_some() {
            let since = *self.message_since.get_or_insert(now);
            if now.duration_since(since) >= notice::MESSAGE_TTL {
                self.message = None;
                self.message_since = None;
                gone = true;
            }
        }
        if let Some(n) = &mut self.notice {
            let since = *n.since.get_or_insert(now);
            if now.duration_since(since) >= notice::NOTICE_TTL {
                self.notice = None;
                gone = true;
            }
        }
        gone
    }

    /// Takes a new snapshot from the engine, and gives a tab that never had
    /// a selection its first row.
    pub fn set_snapshot(&mut self, snapshot: Arc<Snapshot>) {
        self.snapshot = snapshot;
        for &kind in OpportunityKind::ALL {
            if self.selected.contains_key(&kind) {
                continue;
            }
            let first = self.opportunities().of_kind(kind).next().map(|r| r.id);
            if let Some(id) = first {
                self.selected.insert(kind, id);
            }
        }
    }

    /// Switching to a tab is a deliberate look at it: a selection made
    /// there earlier that is no longer listed gives way to the first row
    /// (what the operator now sees highlighted), or to none on an empty tab.
    pub(crate) fn arrive_on_tab(&mut self) {
        if self.selected_row().is_some() {
            return;
        }
        let first = self.opportunities().of_kind(self.tab).next().map(|r| r.id);
        match first {
            Some(id) => {
                self.selected.insert(self.tab, id);
            }
            None => {
                self.selected.remove(&self.tab);
            }
        }
    }

    /// The snapshot the opportunity lists are drawn from: the frozen one
    /// while frozen, else the latest.
    pub fn opportunities(&self) -> &Snapshot {
        self.frozen.as_deref().unwrap_or(&self.snapshot)
    }

    /// Rows of the current tab, best first.
    pub fn rows(&self) -> Vec<&OppRow> {
        self.opportunities().of_kind(self.tab).collect()
    }

    /// The id selected on the current tab, whether or not it is still listed.
    pub fn selected_id(&self) -> Option<OpportunityId> {
        self.selected.get(&self.tab).copied()
    }

    /// Where the selected opportunity is in the current tab's list; `None`
    /// when nothing is selected or it is no longer listed.
    pub fn selected_index(&self) -> Option<usize> {
        let id = self.selected_id()?;
        self.opportunities()
            .of_kind(self.tab)
            .position(|r| r.id == id)
    }

    /// The selected opportunity, if it is still listed.
    pub fn selected_row(&self) -> Option<&OppRow> {
        let id = self.selected_id()?;
        self.opportunities().of_kind(self.tab).find(|r| r.id == id)
    }

    /// Moves the selection `delta` rows from the selected one (from the top
    /// when the selected one is gone), never past either end.
    pub(crate) fn select(&mut self, delta: isize) {
        let ids: Vec<OpportunityId> = self
            .opportunities()
            .of_kind(self.tab)
            .map(|r| r.id)
            .collect();
        if ids.is_empty() {
            return;
        }
        let target = match self.selected_index() {
            Some(i) => (i as isize + delta).clamp(0, ids.len() as isize - 1) as usize,
            None => 0,
        };
        self.selected.insert(self.tab, ids[target]);
    }
}
