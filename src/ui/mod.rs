//! Drawing the cockpit from [`AppState`]. Nothing here changes state.

pub mod ascii;
pub mod columns;
pub mod format;
pub mod panes;
pub mod theme;

use crate::app::layout::{self, Slot};
use crate::app::{AppState, Pane};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use theme::Theme;

pub use layout::{MIN_HEIGHT, MIN_WIDTH};

pub fn draw(f: &mut Frame, app: &AppState) {
    let theme = Theme::new(app.no_color);
    let area = f.area();
    let banner_h = u16::from(panes::banner::visible(app));
    let Some(screen) = layout::screen(area, app, banner_h) else {
        panes::overlay::too_small(f, MIN_WIDTH, MIN_HEIGHT);
        finish(f, app);
        return;
    };
    if banner_h > 0 {
        panes::banner::draw(f, screen.banner, app, &theme);
    }
    for slot in &screen.slots {
        draw_pane(f, slot.shown, slot.area, app, &theme);
        stack_hint(f, slot, &theme);
    }
    panes::status_bar::draw(f, screen.status, app, &theme);
    panes::overlay::draw(f, app, &theme);
    finish(f, app);
}

fn draw_pane(f: &mut Frame, pane: Pane, area: Rect, app: &AppState, theme: &Theme) {
    match pane {
        Pane::Market => panes::market::draw(f, area, app, theme),
        Pane::Chart => panes::chart::draw(f, area, app, theme),
        Pane::Opportunities => panes::opportunities::draw(f, area, app, theme),
        Pane::Ensemble => panes::ensemble::draw(f, area, app, theme),
        Pane::Risk => panes::risk::draw(f, area, app, theme),
        Pane::Positions => panes::positions::draw(f, area, app, theme),
        Pane::Accounts => panes::accounts::draw(f, area, app, theme),
        Pane::TradeLog => panes::trade_log::draw(f, area, app, theme),
    }
}

/// Names the other panes of a stack at the right of its top border.
fn stack_hint(f: &mut Frame, slot: &Slot, theme: &Theme) {
    let Some((text, spans)) = layout::stack_hint(slot) else {
        return;
    };
    let Some(&(_, x, _)) = spans.first() else {
        return;
    };
    let w = u16::try_from(text.chars().count()).unwrap_or(u16::MAX);
    // Only where it does not run over the pane's own title.
    if x < slot.area.x + 16 {
        return;
    }
    let r = Rect {
        x,
        y: slot.area.y,
        width: w.min(slot.area.width),
        height: 1,
    };
    f.render_widget(
        Paragraph::new(Line::from(Span::styled(text, theme.dim()))),
        r,
    );
}

/// The block every pane is drawn in: its title, bold when the pane has
/// focus.
pub fn pane_block<'a>(
    app: &AppState,
    pane: Pane,
    title: Line<'a>,
    theme: &Theme,
) -> ratatui::widgets::Block<'a> {
    ratatui::widgets::Block::bordered()
        .title(title)
        .border_style(theme.border(app.focus == pane))
}

/// On a pane's bottom border, right-aligned, which rows of a list are shown
/// when not all of them fit (`3–9 of 12`); nothing when all are shown.
pub fn rows_shown(
    f: &mut Frame,
    pane: Rect,
    first: usize,
    visible: usize,
    total: usize,
    theme: &Theme,
) {
    if total <= visible || pane.height < 2 {
        return;
    }
    let last = (first + visible).min(total);
    let text = format!("{}–{last} of {total}", first + 1);
    let w = u16::try_from(text.chars().count()).unwrap_or(u16::MAX);
    if w + 4 > pane.width {
        return;
    }
    let r = Rect {
        x: pane.x + pane.width - 1 - w,
        y: pane.y + pane.height - 1,
        width: w,
        height: 1,
    };
    f.render_widget(Paragraph::new(Span::styled(text, theme.dim())), r);
}

/// With `TERM=dumb`, every cell drawn is turned into plain ASCII.
fn finish(f: &mut Frame, app: &AppState) {
    if app.ascii {
        ascii::flatten(f.buffer_mut());
    }
}
