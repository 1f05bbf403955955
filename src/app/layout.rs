//! Where each pane goes on a terminal of a given size, computed once and
//! used twice: to draw (`ui::draw`) and to hit-test the mouse (`update`),
//! so a click always lands on what is drawn there.
//!
//! Three arrangements by size:
//! * **wide** (≥ 140×40): every pane on screen;
//! * **medium** (≥ 100×30): the chart shares a slot with the Ensemble pane
//!   and the Accounts pane with Positions;
//! * **compact** (≥ 80×24): Opportunities on top, and one slot below shows
//!   one of the other panes.
//!
//! A slot holding several panes (a *stack*) shows the one that had focus
//! last (or its first); `f`/`F` or a click on its title brings another to
//! the front. `z` gives the focused pane the whole screen.

use super::{AppState, Pane};
use omni_core::domain::OpportunityKind;
use ratatui::layout::{Constraint, Layout, Rect};

/// Smallest terminal the cockpit draws in (the compact layout).
pub const MIN_WIDTH: u16 = 80;
/// See [`MIN_WIDTH`].
pub const MIN_HEIGHT: u16 = 24;

/// Which arrangement the terminal's size gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arrangement {
    Wide,
    Medium,
    Compact,
}

impl Arrangement {
    /// The arrangement for a terminal of `w`×`h`; `None` below the minimum.
    pub fn of(w: u16, h: u16) -> Option<Self> {
        if w >= 140 && h >= 40 {
            Some(Arrangement::Wide)
        } else if w >= 100 && h >= 30 {
            Some(Arrangement::Medium)
        } else if w >= MIN_WIDTH && h >= MIN_HEIGHT {
            Some(Arrangement::Compact)
        } else {
            None
        }
    }
}

/// One place on screen and the panes that can be shown there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slot {
    pub area: Rect,
    /// Its panes; one unless it is a stack.
    pub panes: Vec<Pane>,
    /// The pane drawn there now.
    pub shown: Pane,
}

/// The whole screen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Screen {
    pub arrangement: Arrangement,
    /// The kill/pause banner's row (zero height when not shown).
    pub banner: Rect,
    pub slots: Vec<Slot>,
    pub status: Rect,
}

impl Screen {
    /// The area a pane is drawn in, if it is on screen.
    pub fn area_of(&self, pane: Pane) -> Option<Rect> {
        self.slots.iter().find(|s| s.shown == pane).map(|s| s.area)
    }

    /// The slot under a terminal cell.
    pub fn slot_at(&self, x: u16, y: u16) -> Option<&Slot> {
        self.slots.iter().find(|s| contains(s.area, x, y))
    }
}

/// Whether a cell lies inside a rectangle.
pub fn contains(r: Rect, x: u16, y: u16) -> bool {
    x >= r.x && x < r.x + r.width && y >= r.y && y < r.y + r.height
}

/// Lays the panes out on `area` for `app` (its size decides the
/// arrangement, its focus and zoom which pane a stack shows); `None` when
/// the area is below [`MIN_WIDTH`]×[`MIN_HEIGHT`].
pub fn screen(area: Rect, app: &AppState, banner_rows: u16) -> Option<Screen> {
    let arrangement = Arrangement::of(area.width, area.height)?;
    let [banner, body, status] = Layout::vertical([
        Constraint::Length(banner_rows),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    let slot = |area: Rect, panes: &[Pane]| Slot {
        area,
        panes: panes.to_vec(),
        shown: front(app, panes),
    };
    let slots = if app.zoomed {
        vec![slot(body, &[app.focus])]
    } else {
        match arrangement {
            Arrangement::Wide => {
                let [top, mid, bottom] = Layout::vertical([
                    Constraint::Percentage(44),
                    Constraint::Percentage(26),
                    Constraint::Min(6),
                ])
                .areas(body);
                let [left, opps] =
                    Layout::horizontal([Constraint::Percentage(40), Constraint::Percentage(60)])
                        .areas(top);
                // The quotes take what they need (rows, header, borders,
                // feed lines); the chart takes the rest, if it is worth it.
                let market_h = market_rows(app).min(left.height);
                let [market, chart] =
                    Layout::vertical([Constraint::Length(market_h), Constraint::Min(0)])
                        .areas(left);
                let [ens, risk, pos] = Layout::horizontal([
                    Constraint::Percentage(30),
                    Constraint::Percentage(25),
                    Constraint::Percentage(45),
                ])
                .areas(mid);
                // The Accounts table needs 96 columns for all its columns;
                // the trade log's rows are long, so it gets the rest.
                let [accounts, log] = Layout::horizontal([
                    Constraint::Length((bottom.width / 2).min(96)),
                    Constraint::Min(0),
                ])
                .areas(bottom);
                let mut v = vec![slot(market, &[Pane::Market])];
                if chart.height >= 6 {
                    v.push(slot(chart, &[Pane::Chart]));
                    v.push(slot(ens, &[Pane::Ensemble]));
                } else {
                    // Too little room beside the quotes: the chart shares
                    // the Ensemble's place.
                    v.push(slot(ens, &[Pane::Ensemble, Pane::Chart]));
                }
                v.extend([
                    slot(opps, &[Pane::Opportunities]),
                    slot(risk, &[Pane::Risk]),
                    slot(pos, &[Pane::Positions]),
                    slot(accounts, &[Pane::Accounts]),
                    slot(log, &[Pane::TradeLog]),
                ]);
                v
            }
            Arrangement::Medium => {
                let [top, mid, log] = Layout::vertical([
                    Constraint::Percentage(36),
                    Constraint::Percentage(32),
                    Constraint::Min(4),
                ])
                .areas(body);
                let [market, opps] =
                    Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)])
                        .areas(top);
                let [ens, risk, pos] = Layout::horizontal([
                    Constraint::Percentage(33),
                    Constraint::Percentage(27),
                    Constraint::Percentage(40),
                ])
                .areas(mid);
                vec![
                    slot(market, &[Pane::Market]),
                    slot(opps, &[Pane::Opportunities]),
                    slot(ens, &[Pane::Ensemble, Pane::Chart]),
                    slot(risk, &[Pane::Risk]),
                    slot(pos, &[Pane::Positions, Pane::Accounts]),
                    slot(log, &[Pane::TradeLog]),
                ]
            }
            Arrangement::Compact => {
                let [opps, rest] =
                    Layout::vertical([Constraint::Percentage(45), Constraint::Min(0)]).areas(body);
                vec![
                    slot(opps, &[Pane::Opportunities]),
                    slot(
                        rest,
                        &[
                            Pane::Market,
                            Pane::Positions,
                            Pane::Accounts,
                            Pane::Chart,
                            Pane::Risk,
                            Pane::Ensemble,
                            Pane::TradeLog,
                        ],
                    ),
                ]
            }
        }
    };
    Some(Screen {
        arrangement,
        banner,
        slots,
        status,
    })
}

/// The pane a stack shows: the one of its panes focused most recently,
/// else its first.
fn front(app: &AppState, panes: &[Pane]) -> Pane {
    app.recent
        .iter()
        .find(|p| panes.contains(p))
        .or(panes.first())
        .copied()
        .unwrap_or(Pane::Opportunities)
}

/// Rows the Market pane needs in the wide arrangement: its quotes, the
/// table header, the borders and the feed lines.
fn market_rows(app: &AppState) -> u16 {
    let s = &app.snapshot;
    use omni_feeds::FeedState;
    // A feed takes a line, and one more for its error while it is down.
    let feeds: usize = s
        .feeds
        .iter()
        .filter(|r| r.health.messages > 0 || r.health.state != FeedState::Replay)
        .map(|r| {
            let troubled = matches!(
                r.health.state,
                FeedState::Down | FeedState::Reconnecting | FeedState::Connecting
            );
            1 + usize::from(troubled && !r.health.last_error.is_empty())
        })
        .sum();
    u16::try_from(s.quotes.len().max(1) + feeds + 3).unwrap_or(u16::MAX)
}

/// The parts of the Opportunities pane: tab titles, the table, the detail
/// lines.
pub fn opportunities_parts(area: Rect) -> [Rect; 3] {
    let inner = inner(area);
    Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(2),
        Constraint::Length(2),
    ])
    .areas(inner)
}

/// The parts of the Positions pane: its tab row (positions, working
/// orders), the table, and a line about the selected row when there is
/// room for it (none on a pane of fewer than six inner rows).
pub fn book_parts(area: Rect) -> [Rect; 3] {
    let inner = inner(area);
    let footer = u16::from(inner.height >= 6);
    Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(footer),
    ])
    .areas(inner)
}

/// The Positions pane's tab titles, in tab order: each with its count.
pub fn book_titles(app: &AppState) -> Vec<String> {
    let snap = &app.snapshot;
    super::book_view::BookTab::ALL
        .iter()
        .map(|t| {
            let n = match t {
                super::book_view::BookTab::Positions => snap.positions.len(),
                super::book_view::BookTab::Orders => snap.orders.len(),
            };
            format!("{} ({n})", t.title())
        })
        .collect()
}

/// A bordered pane's inside.
pub fn inner(area: Rect) -> Rect {
    Rect {
        x: area.x.saturating_add(1),
        y: area.y.saturating_add(1),
        width: area.width.saturating_sub(2),
        height: area.height.saturating_sub(2),
    }
}

/// The title of each opportunity tab, in tab order: its digit, name and
/// count (its first three letters when the full titles do not fit).
pub fn tab_titles(app: &AppState, width: u16) -> Vec<String> {
    let snap = app.opportunities();
    let full: Vec<String> = OpportunityKind::ALL
        .iter()
        .enumerate()
        .map(|(i, k)| format!("{} {} ({})", i + 1, k.title(), snap.of_kind(*k).count()))
        .collect();
    // Each title takes its width, a space either side and a divider.
    let needed: usize = full.iter().map(|t| t.chars().count() + 3).sum();
    if needed <= usize::from(width) + 1 {
        return full;
    }
    OpportunityKind::ALL
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let t = k.title();
            format!(
                "{} {} {}",
                i + 1,
                &t[..t.len().min(3)],
                snap.of_kind(*k).count()
            )
        })
        .collect()
}

/// Which tab title a column of the tab row falls on, laid out as ratatui's
/// `Tabs` lays them out: one space either side of each title and a
/// one-cell divider between them.
pub fn tab_at(titles: &[String], row: Rect, x: u16) -> Option<usize> {
    let mut left = row.x;
    for (i, t) in titles.iter().enumerate() {
        let w = u16::try_from(t.chars().count()).unwrap_or(u16::MAX) + 2;
        if x >= left && x < left.saturating_add(w) {
            return Some(i);
        }
        left = left.saturating_add(w + 1);
    }
    None
}

/// The first row drawn of a table of `len` rows showing `visible` at a time
/// with row `selected` in view: the selection stays on the last visible row
/// as it moves down, as ratatui's own table does from the top.
pub fn table_offset(selected: Option<usize>, visible: usize) -> usize {
    match selected {
        Some(i) if visible > 0 && i >= visible => i + 1 - visible,
        _ => 0,
    }
}

/// A pane's name on a border: the pane and its first and past-the-last column.
pub type NameSpan = (Pane, u16, u16);

/// The other panes of a stack, named at the right of its top border so the
/// operator knows they are there: the text and, per name, its column span
/// (a click on a name brings that pane to the front).
pub fn stack_hint(slot: &Slot) -> Option<(String, Vec<NameSpan>)> {
    let others: Vec<Pane> = slot
        .panes
        .iter()
        .copied()
        .filter(|p| *p != slot.shown)
        .collect();
    if others.is_empty() {
        return None;
    }
    let text = others
        .iter()
        .map(|p| p.title())
        .collect::<Vec<_>>()
        .join(" · ");
    let w = u16::try_from(text.chars().count()).unwrap_or(u16::MAX);
    // Right-aligned inside the corners.
    let mut x = (slot.area.x + slot.area.width).saturating_sub(1 + w);
    let mut spans = Vec::new();
    for p in others {
        let pw = u16::try_from(p.title().chars().count()).unwrap_or(u16::MAX);
        spans.push((p, x, x.saturating_add(pw)));
        x = x.saturating_add(pw + 3);
    }
    Some((text, spans))
}
