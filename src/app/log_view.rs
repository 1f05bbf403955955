//! How the Trade Log pane is looked at: scroll position, the kind filter,
//! the `/` search, and paging older rows in from the store. The rows
//! themselves are [`TradeLog`](super::log::TradeLog)'s.
//!
//! The view is the rows of the filter's kinds that match the search,
//! newest first, down to the oldest row that can be shown without a gap
//! ([`TradeLog::view`]). Its position is anchored to a row, not a number:
//! rows streaming in above do not move what is on screen, and at the
//! newest row the view follows new rows. [`page_in`] reads older rows from
//! the store while the view is near its oldest row, while a search has
//! found too few matches, and until the oldest row is in after End; a few
//! pages per call, so the cockpit's loop stays responsive.

use super::log::{LogCursor, LogKind, LogRow, TradeLog};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use omni_core::domain::Timestamp;
use std::cell::{Cell, Ref, RefCell};

/// What a key or the mouse asks of the trade log while it has focus.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogAction {
    /// Scroll towards newer rows by this many.
    Newer(usize),
    /// Scroll towards older rows by this many.
    Older(usize),
    /// A page towards newer rows.
    PageNewer,
    /// A page towards older rows.
    PageOlder,
    /// The newest row.
    Newest,
    /// The oldest row in the store.
    Oldest,
    /// The next kind filter (Tab).
    NextFilter,
    /// The previous kind filter (Shift-Tab).
    PrevFilter,
    /// Start typing a search (`/`).
    SearchStart,
    /// A character of the search.
    SearchChar(char),
    /// Delete the last search character.
    SearchBackspace,
    /// Keep the search and stop typing (Enter).
    SearchDone,
    /// Clear the search (Esc while typing or while a search is kept).
    SearchClear,
}

/// Which kinds of row the log shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum LogFilter {
    #[default]
    All,
    /// Fills and closed trades.
    Fills,
    /// The gate's verdicts: approved and refused.
    Decisions,
    /// The gate's refusals only.
    Refusals,
    /// Operator commands.
    Operator,
    /// Alerts the monitor raised, and the trading-state changes: halts,
    /// pauses, the kill switch, re-arming.
    Alerts,
}

impl LogFilter {
    /// In the order Tab goes through them.
    pub const ALL: [LogFilter; 6] = [
        LogFilter::All,
        LogFilter::Fills,
        LogFilter::Decisions,
        LogFilter::Refusals,
        LogFilter::Operator,
        LogFilter::Alerts,
    ];

    /// The kinds of row it keeps.
    pub fn kinds(self) -> &'static [LogKind] {
        match self {
            LogFilter::All => &LogKind::ALL,
            LogFilter::Fills => &[LogKind::Fill, LogKind::Trade],
            LogFilter::Decisions => &[LogKind::Approved, LogKind::Refused],
            LogFilter::Refusals => &[LogKind::Refused],
            LogFilter::Operator => &[LogKind::Command],
            LogFilter::Alerts => &[LogKind::State, LogKind::Alert],
        }
    }

    /// Its name in the pane's title.
    pub fn title(self) -> &'static str {
        match self {
            LogFilter::All => "All",
            LogFilter::Fills => "Fills & trades",
            LogFilter::Decisions => "Decisions",
            LogFilter::Refusals => "Refusals",
            LogFilter::Operator => "Operator",
            LogFilter::Alerts => "Alerts",
        }
    }

    /// Its name where the title is short of room.
    pub fn short(self) -> &'static str {
        match self {
            LogFilter::Fills => "Fills",
            LogFilter::Decisions => "Decis.",
            LogFilter::Refusals => "Refus.",
            LogFilter::Operator => "Oper.",
            other => other.title(),
        }
    }

    fn step(self, by: isize) -> Self {
        let n = Self::ALL.len() as isize;
        let i = Self::ALL.iter().position(|f| *f == self).unwrap_or(0) as isize;
        Self::ALL[(i + by).rem_euclid(n) as usize]
    }
}

/// Where the view is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Anchor {
    /// At the newest row, following new ones.
    #[default]
    Newest,
    /// This row (or the first older one shown) at the top.
    Row(LogCursor),
    /// At the oldest row in the store: older rows are paged in until there
    /// are none, and the last page stays in view.
    Oldest,
}

/// One row of the view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    kind: LogKind,
    /// Its index among its kind's rows.
    index: usize,
    cursor: LogCursor,
    /// UTC day index, for the date lines.
    day: i64,
}

/// The view as last worked out, valid while the log, the filter and the
/// search are the same.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Cached {
    version: u64,
    filter: LogFilter,
    search: String,
    entries: Vec<Entry>,
}

/// Rows to hold below what the pane shows, so scrolling seldom waits.
const LOG_AHEAD: usize = 100;
/// Rows read per page when paging in.
const PAGE_ROWS: usize = 500;
/// Most pages read per [`page_in`] call.
const PAGES_PER_CALL: usize = 4;
/// Rows of one kind held in normal use ...
const KEEP: usize = 1000;
/// ... let go down to [`KEEP`] once there are this many (the store has
/// them; paging reads them back).
const TRIM_AT: usize = 3000;
/// The page height until the pane has been drawn.
const DEFAULT_HEIGHT: usize = 10;

/// Scroll, filter and search of the Trade Log pane.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogView {
    /// True while the `/` prompt takes the keys.
    pub typing: bool,
    /// The search text (kept after Enter, cleared by Esc).
    pub search: String,
    /// The kinds of row shown.
    pub filter: LogFilter,
    anchor: Anchor,
    /// Lines the pane had for rows when last drawn (0: not drawn yet).
    height: Cell<usize>,
    cache: RefCell<Option<Cached>>,
}

/// A line the pane draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowLine<'a> {
    /// A date line above the first row of a UTC day (and at the top).
    Day(Timestamp),
    Row(&'a LogRow),
}

/// What the pane shows now, and where that is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Window<'a> {
    pub lines: Vec<WindowLine<'a>>,
    /// Index of the first row shown in the view (0: the newest).
    pub first: usize,
    /// Rows shown.
    pub shown: usize,
    /// Rows in the view so far (matches, with a search).
    pub count: usize,
    /// Rows of the filter's kinds in all, and whether that is exact.
    pub total: (usize, bool),
    /// The store may hold more rows of the filter's kinds.
    pub more: bool,
    /// A search is reading older rows for more matches.
    pub searching: bool,
    /// End is reading older rows until the oldest.
    pub loading: bool,
}

/// `1 532`: thousands apart.
pub fn grouped(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

impl Window<'_> {
    /// The position indicator, longest first: the pane shows the first
    /// that fits its border.
    pub fn indicators(&self, search: bool) -> Vec<String> {
        let range = format!(
            "{}–{}",
            grouped(self.first + 1),
            grouped(self.first + self.shown)
        );
        let last = grouped(self.first + self.shown);
        let base: Vec<String> = if self.shown == 0 {
            // Nothing on screen: no range to give.
            let n = if search {
                let n = format!(
                    "{}{}",
                    grouped(self.count),
                    if self.more { "+" } else { "" }
                );
                format!("{n} matches")
            } else {
                let (t, exact) = self.total;
                format!("{}{} rows", grouped(t), if exact { "" } else { "+" })
            };
            let short = n.split(' ').next().unwrap_or_default().to_string();
            vec![n, short]
        } else if search {
            let n = format!(
                "{}{}",
                grouped(self.count),
                if self.more { "+" } else { "" }
            );
            let noun = if self.count == 1 && !self.more {
                "match"
            } else {
                "matches"
            };
            vec![
                format!("{range} of {n} {noun}"),
                format!("{range}/{n} {noun}"),
                format!("{n} {noun}"),
                format!("{last}/{n}"),
                n,
            ]
        } else {
            let (t, exact) = self.total;
            let t = format!("{}{}", grouped(t), if exact { "" } else { "+" });
            vec![
                format!("{range} of {t}"),
                format!("{range}/{t}"),
                format!("{last}/{t}"),
                t,
            ]
        };
        let busy = if self.searching {
            Some("searching…")
        } else if self.loading {
            Some("loading…")
        } else {
            None
        };
        match busy {
            Some(b) => base
                .iter()
                .map(|v| format!("{b} {v}"))
                .chain(base.iter().map(|v| format!("… {v}")))
                .collect(),
            None => base,
        }
    }
}

/// Case-insensitive substring; `needle` is lower-case already.
fn contains_ci(hay: &str, needle: &str) -> bool {
    if needle.is_ascii() {
        let (h, n) = (hay.as_bytes(), needle.as_bytes());
        n.is_empty() || h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
    } else {
        hay.to_lowercase().contains(needle)
    }
}

/// Whether a row matches a search: its kind's label, its text, and (when
/// the search has a digit) its date and time.
fn matches(row: &LogRow, needle: &str, dated: bool) -> bool {
    contains_ci(row.kind.as_str(), needle)
        || contains_ci(&row.text, needle)
        || (dated
            && row
                .ts
                .to_datetime()
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
                .contains(needle))
}

/// Lines a page needs above its first row for the date.
fn top_line(height: usize) -> usize {
    usize::from(height >= 2)
}

/// The first row of the page that ends just above row `end`: as many rows
/// as fit in `height` lines with their date lines.
fn page_ending_at(entries: &[Entry], end: usize, height: usize) -> usize {
    let mut lines = top_line(height);
    let mut t = end;
    while t > 0 {
        let i = t - 1;
        let change = usize::from(i + 1 < end && entries[i].day != entries[i + 1].day);
        if lines + 1 + change > height {
            break;
        }
        lines += 1 + change;
        t = i;
    }
    if t == end { end.saturating_sub(1) } else { t }
}

/// How many rows fit on a page from row `top`.
fn rows_from(entries: &[Entry], top: usize, height: usize) -> usize {
    let mut lines = top_line(height);
    let mut n = 0;
    for i in top..entries.len() {
        let change = usize::from(i > top && entries[i].day != entries[i - 1].day);
        if lines + 1 + change > height {
            break;
        }
        lines += 1 + change;
        n += 1;
    }
    n
}

impl LogView {
    /// The action of a key while the log has focus (or its search prompt
    /// is open); `None` leaves the key to the cockpit's own table.
    pub fn key_action(&self, key: &KeyEvent) -> Option<LogAction> {
        use LogAction as A;
        let plain = !key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        let scroll = match key.code {
            KeyCode::Up => Some(A::Newer(1)),
            KeyCode::Down => Some(A::Older(1)),
            KeyCode::PageUp => Some(A::PageNewer),
            KeyCode::PageDown => Some(A::PageOlder),
            KeyCode::Home => Some(A::Newest),
            KeyCode::End => Some(A::Oldest),
            _ => None,
        };
        if self.typing {
            return match key.code {
                KeyCode::Enter => Some(A::SearchDone),
                KeyCode::Esc => Some(A::SearchClear),
                KeyCode::Backspace => Some(A::SearchBackspace),
                KeyCode::Char(c) if plain => Some(A::SearchChar(c)),
                _ => scroll,
            };
        }
        if scroll.is_some() {
            return scroll;
        }
        match key.code {
            KeyCode::Char(_) if !plain => None,
            KeyCode::Char('k') => Some(A::Newer(1)),
            KeyCode::Char('j') => Some(A::Older(1)),
            KeyCode::Char('g') => Some(A::Newest),
            KeyCode::Char('G') => Some(A::Oldest),
            KeyCode::Tab => Some(A::NextFilter),
            KeyCode::BackTab => Some(A::PrevFilter),
            KeyCode::Char('/') => Some(A::SearchStart),
            // The next and the previous match of a kept search.
            KeyCode::Char('n') if !self.search.is_empty() => Some(A::Older(1)),
            KeyCode::Char('N') if !self.search.is_empty() => Some(A::Newer(1)),
            KeyCode::Esc if !self.search.is_empty() => Some(A::SearchClear),
            _ => None,
        }
    }

    /// Applies an action to the view of `log`.
    pub fn apply(&mut self, action: LogAction, log: &TradeLog) {
        use LogAction as A;
        let h = self.height();
        match action {
            A::Newer(n) => self.move_to(log, |top, _, _| top.saturating_sub(n)),
            A::Older(n) => self.move_to(log, |top, max, _| (top + n).min(max)),
            A::PageNewer => self.move_to(log, |top, _, e| {
                let t = page_ending_at(e, top, h);
                if t == top { top.saturating_sub(1) } else { t }
            }),
            A::PageOlder => self.move_to(log, |top, max, e| {
                (top + rows_from(e, top, h).max(1)).min(max)
            }),
            A::Newest => self.anchor = Anchor::Newest,
            A::Oldest => self.anchor = Anchor::Oldest,
            A::NextFilter | A::PrevFilter => {
                self.filter = self
                    .filter
                    .step(if action == A::NextFilter { 1 } else { -1 });
                self.anchor = Anchor::Newest;
            }
            A::SearchStart => {
                self.typing = true;
                self.search.clear();
                self.anchor = Anchor::Newest;
            }
            A::SearchChar(c) => {
                self.search.push(c);
                self.anchor = Anchor::Newest;
            }
            A::SearchBackspace => {
                self.search.pop();
                self.anchor = Anchor::Newest;
            }
            A::SearchDone => self.typing = false,
            A::SearchClear => {
                // Stay on the row the search had at the top: its context.
                let top = if self.search.is_empty() {
                    None
                } else {
                    self.top_cursor(log)
                };
                self.typing = false;
                self.search.clear();
                self.anchor = top.map_or(Anchor::Newest, Anchor::Row);
            }
        }
    }

    /// Moves the top row to `to(top, last possible top, entries)`.
    fn move_to(&mut self, log: &TradeLog, to: impl Fn(usize, usize, &[Entry]) -> usize) {
        let h = self.height();
        let anchor = {
            let e = self.entries(log);
            let max = page_ending_at(&e, e.len(), h);
            let top = self.resolve_top(&e, h);
            let t = to(top, max, &e);
            match e.get(t) {
                Some(entry) if t > 0 => Anchor::Row(entry.cursor),
                _ => Anchor::Newest,
            }
        };
        self.anchor = anchor;
    }

    /// The row at the top of the view.
    fn top_cursor(&self, log: &TradeLog) -> Option<LogCursor> {
        let e = self.entries(log);
        let top = self.resolve_top(&e, self.height());
        e.get(top).map(|x| x.cursor)
    }

    /// Records the lines the pane has for rows (the pane calls it when it
    /// draws; pages are that high).
    pub fn set_height(&self, lines: usize) {
        self.height.set(lines);
    }

    /// Lines of a page.
    pub fn height(&self) -> usize {
        match self.height.get() {
            0 => DEFAULT_HEIGHT,
            h => h,
        }
    }

    /// Whether End is still reading older rows.
    pub fn at_oldest(&self) -> bool {
        self.anchor == Anchor::Oldest
    }

    /// The view's rows, worked out again only when the log, the filter or
    /// the search changed.
    fn entries(&self, log: &TradeLog) -> Ref<'_, [Entry]> {
        let fresh = self.cache.borrow().as_ref().is_some_and(|c| {
            c.version == log.version() && c.filter == self.filter && c.search == self.search
        });
        if !fresh {
            let needle = self.search.to_lowercase();
            let dated = needle.chars().any(|c| c.is_ascii_digit());
            let entries = log
                .view(self.filter.kinds())
                .filter(|(_, _, r)| needle.is_empty() || matches(r, &needle, dated))
                .map(|(kind, index, r)| Entry {
                    kind,
                    index,
                    cursor: r.cursor(),
                    day: r.ts.day_index(),
                })
                .collect();
            *self.cache.borrow_mut() = Some(Cached {
                version: log.version(),
                filter: self.filter,
                search: self.search.clone(),
                entries,
            });
        }
        Ref::map(self.cache.borrow(), |c| match c {
            Some(c) => c.entries.as_slice(),
            None => &[],
        })
    }

    fn resolve_top(&self, entries: &[Entry], height: usize) -> usize {
        let max = page_ending_at(entries, entries.len(), height);
        match self.anchor {
            Anchor::Newest => 0,
            Anchor::Oldest => max,
            Anchor::Row(c) => entries.partition_point(|e| e.cursor > c).min(max),
        }
    }

    /// Index of the top row in the view (0: the newest).
    pub fn top(&self, log: &TradeLog) -> usize {
        let e = self.entries(log);
        self.resolve_top(&e, self.height())
    }

    /// Rows (or matches) in the view so far.
    pub fn count(&self, log: &TradeLog) -> usize {
        self.entries(log).len()
    }

    /// The view's rows, newest first (with no gap; matches only, with a search).
    pub fn rows<'a>(&self, log: &'a TradeLog) -> Vec<&'a LogRow> {
        self.entries(log)
            .iter()
            .filter_map(|e| log.row(e.kind, e.index))
            .collect()
    }

    /// Rows the view wants held from its top row down.
    fn wanted(&self, top: usize) -> usize {
        top + 2 * self.height() + LOG_AHEAD
    }

    /// Whether the view wants older rows than those held.
    fn wants_older(&self, log: &TradeLog) -> bool {
        if !log.has_older(self.filter.kinds()) {
            return false;
        }
        if self.anchor == Anchor::Oldest {
            return true;
        }
        let e = self.entries(log);
        e.len() < self.wanted(self.resolve_top(&e, self.height()))
    }

    /// What the pane shows now: `height()` lines of rows and date lines.
    pub fn window<'a>(&self, log: &'a TradeLog) -> Window<'a> {
        let h = self.height();
        let e = self.entries(log);
        let top = self.resolve_top(&e, h);
        let mut lines = Vec::with_capacity(h);
        let mut shown = 0;
        for i in top..e.len() {
            let Some(row) = log.row(e[i].kind, e[i].index) else {
                break;
            };
            let date = if i == top {
                top_line(h) == 1
            } else {
                e[i].day != e[i - 1].day
            };
            if lines.len() + 1 + usize::from(date) > h {
                break;
            }
            if date {
                lines.push(WindowLine::Day(row.ts));
            }
            lines.push(WindowLine::Row(row));
            shown += 1;
        }
        let kinds = self.filter.kinds();
        let more = log.has_older(kinds);
        Window {
            lines,
            first: top,
            shown,
            count: e.len(),
            total: log.total(kinds),
            more,
            searching: !self.search.is_empty() && more && e.len() < self.wanted(top),
            loading: self.anchor == Anchor::Oldest && more,
        }
    }
}

/// Reads what the view needs from the store into `log`: once, the counts of
/// earlier runs' rows (the totals); older rows while the view is near the oldest row
/// held, a search has too few matches, or End has not reached the oldest
/// row (at most [`PAGES_PER_CALL`] pages of the filter's kinds, only their
/// tables read); and lets go of rows far below the view (only rows the
/// store has committed). Returns whether anything changed.
pub fn page_in(
    log: &mut TradeLog,
    view: &LogView,
    reader: &rusqlite::Connection,
) -> rusqlite::Result<bool> {
    let mut changed = false;
    if !log.counted() {
        log.count_history(reader)?;
        changed = true;
    }
    let kinds = view.filter.kinds();
    for _ in 0..PAGES_PER_CALL {
        let Some(kind) = log.binding_kind(kinds) else {
            break;
        };
        if !view.wants_older(log) {
            break;
        }
        log.page_older(reader, kind, PAGE_ROWS)?;
        changed = true;
    }
    changed |= trim(log, view, reader)?;
    Ok(changed)
}

/// Lets go of rows far below what the view shows, keeping [`KEEP`] of each
/// kind (and, of the kinds shown, every row down to what the view wants
/// held). While a search or End is reading older rows, the kinds shown
/// keep everything.
fn trim(
    log: &mut TradeLog,
    view: &LogView,
    reader: &rusqlite::Connection,
) -> rusqlite::Result<bool> {
    if LogKind::ALL.iter().all(|&k| log.held(k) <= TRIM_AT) {
        return Ok(false);
    }
    let kinds = view.filter.kinds();
    let frozen = !view.search.is_empty() || view.anchor == Anchor::Oldest;
    // The oldest row the view wants held.
    let protect = {
        let e = view.entries(log);
        let want = view.wanted(view.resolve_top(&e, view.height()));
        e.get(want.min(e.len().saturating_sub(1))).map(|x| x.cursor)
    };
    let committed = super::log::committed(reader)?;
    let mut changed = false;
    for k in LogKind::ALL {
        if log.held(k) <= TRIM_AT {
            continue;
        }
        let shown = kinds.contains(&k);
        if shown && frozen {
            continue;
        }
        let keep = match (shown, protect) {
            (false, _) => KEEP,
            (true, Some(c)) => log.held_above(k, c).max(KEEP),
            (true, None) => continue,
        };
        changed |= log.let_go(k, keep, committed);
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_set_apart() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_532), "1 532");
        assert_eq!(grouped(1_000_000), "1 000 000");
    }

    #[test]
    fn tab_goes_round_the_filters() {
        let mut f = LogFilter::All;
        for _ in 0..LogFilter::ALL.len() {
            f = f.step(1);
        }
        assert_eq!(f, LogFilter::All);
        assert_eq!(LogFilter::All.step(-1), LogFilter::Alerts);
    }
}
