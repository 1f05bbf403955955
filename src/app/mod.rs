//! UI state, actions and key handling. Panes render from [`AppState`] and
//! never change it; keys become [`Action`]s; an action changes local UI
//! state or becomes an engine [`Command`](omni_core::engine::Command).

pub mod action;
pub mod book_view;
pub mod keymap;
pub mod layout;
pub mod log;
pub mod log_view;
pub mod notice;
pub mod snapshot;
pub mod update;
mod update_book;

pub use action::{Action, Pace};
pub use log::{LogRow, TradeLog};
pub use update::update;

use omni_core::domain::{OpportunityId, OpportunityKind};
use snapshot::{OppRow, Snapshot};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The panes of the cockpit; one has focus (its border is bold) and takes
/// the arrow keys, and `z` zooms it to the whole screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Pane {
    /// Top of book per venue; arrows pick the instrument the chart shows.
    Market,
    /// The chosen instrument's 1-minute candles.
    Chart,
    /// Arrows move the opportunity selection.
    Opportunities,
    Ensemble,
    Risk,
    Positions,
    Accounts,
    /// Arrows scroll the trade log.
    TradeLog,
}

impl Pane {
    /// In the order `f` visits them.
    pub const ALL: [Pane; 8] = [
        Pane::Market,
        Pane::Chart,
        Pane::Opportunities,
        Pane::Ensemble,
        Pane::Risk,
        Pane::Positions,
        Pane::Accounts,
        Pane::TradeLog,
    ];

    /// The pane's title, as drawn on its border.
    pub fn title(self) -> &'static str {
        match self {
            Pane::Market => "Market",
            Pane::Chart => "Chart",
            Pane::Opportunities => "Opportunities",
            Pane::Ensemble => "Ensemble",
            Pane::Risk => "Risk",
            Pane::Positions => "Positions",
            Pane::Accounts => "Accounts",
            Pane::TradeLog => "Trade Log",
        }
    }
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
    /// "Cancel this order?", with the order as it was shown when `c` was
    /// pressed: `y` cancels exactly that id.
    ConfirmCancel(snapshot::OrderRow),
    /// "Close this position at market?", with the position as it was shown
    /// when `x` was pressed: `y` sends its quantity as shown, and the
    /// engine refuses if it has changed since.
    ConfirmClose(snapshot::PositionRow),
}

impl Overlay {
    /// A yes/no question (`y`, `n` or Esc answer it).
    pub fn is_question(&self) -> bool {
        matches!(
            self,
            Overlay::ConfirmQuit
                | Overlay::ConfirmAuto
                | Overlay::ConfirmCancel(_)
                | Overlay::ConfirmClose(_)
        )
    }
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
    /// The terminal's area (the cockpit's loop keeps it current): the mouse
    /// is hit-tested against the layout drawn on it.
    pub area: ratatui::layout::Rect,
    /// Which pane has the arrows.
    pub focus: Pane,
    /// The focused pane fills the screen (`z`).
    pub zoomed: bool,
    /// Panes in the order they last had focus, latest first: a slot that
    /// holds several panes shows the latest of its own.
    pub recent: Vec<Pane>,
    /// The Market row the arrows picked while the Market pane had focus:
    /// its instrument is charted.
    pub market_row: usize,
    /// The Positions pane's tab (positions or working orders) and the row
    /// selected on each.
    pub book: book_view::BookView,
    pub overlay: Overlay,
    /// Trade log rows, newest first.
    pub log: TradeLog,
    /// Scroll, filter and search of the trade log.
    pub log_view: log_view::LogView,
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
    /// Replay or demo pacing requests for the engine thread, in the order
    /// pressed; the cockpit's loop takes them.
    pub pace: Vec<Pace>,
    /// Plain ASCII output (`TERM=dumb`).
    pub ascii: bool,
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
            area: ratatui::layout::Rect::new(0, 0, 200, 50),
            focus: Pane::Opportunities,
            zoomed: false,
            recent: vec![Pane::Opportunities],
            market_row: 0,
            book: book_view::BookView::default(),
            overlay: Overlay::None,
            log: TradeLog::default(),
            log_view: log_view::LogView::default(),
            message: None,
            message_since: None,
            notice: None,
            no_color,
            quit: false,
            pace: Vec::new(),
            ascii: false,
            db_label,
        }
    }

    /// Whether the banner row is shown: trading halted or paused, or the
    /// kill switch latched.
    pub fn banner_shown(&self) -> bool {
        self.snapshot.kill_latched
            || matches!(
                self.snapshot.trading_state,
                Some(
                    omni_core::risk::TradingState::Reducing | omni_core::risk::TradingState::Halted
                )
            )
    }

    /// The panes as laid out on the terminal now; `None` when it is too
    /// small.
    pub fn screen(&self) -> Option<layout::Screen> {
        layout::screen(self.area, self, u16::from(self.banner_shown()))
    }

    /// Gives a pane the focus (and so the front of its slot).
    pub fn focus_on(&mut self, pane: Pane) {
        self.focus = pane;
        self.recent.retain(|p| *p != pane);
        self.recent.insert(0, pane);
    }

    /// The instrument the chart shows: the Market row picked with the
    /// arrows while the Market pane had focus last, else the selected
    /// opportunity's, else the first quoted.
    pub fn chart_instrument(&self) -> Option<omni_core::domain::InstrumentId> {
        let snap = &self.snapshot;
        let by_market = || {
            let q = snap.quotes.get(self.market_row)?;
            snap.instruments
                .iter()
                .position(|n| *n == q.instrument)
                .and_then(|i| u16::try_from(i).ok())
                .map(omni_core::domain::InstrumentId)
        };
        let market_first = self
            .recent
            .iter()
            .find(|p| matches!(p, Pane::Market | Pane::Opportunities))
            == Some(&Pane::Market);
        if market_first && let Some(i) = by_market() {
            return Some(i);
        }
        self.selected_row()
            .map(|r| r.instrument)
            .or_else(by_market)
            .or_else(|| snap.charts.first().map(|c| c.instrument))
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
        self.book.settle(&self.snapshot);
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
