//! Drawing the cockpit from [`AppState`]. Nothing here changes state.

pub mod format;
pub mod panes;
pub mod theme;

use crate::app::AppState;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use theme::Theme;

/// Smallest terminal the layout is drawn in.
pub const MIN_WIDTH: u16 = 100;
/// See [`MIN_WIDTH`].
pub const MIN_HEIGHT: u16 = 30;

pub fn draw(f: &mut Frame, app: &AppState) {
    let theme = Theme::new(app.no_color);
    let area = f.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        panes::overlay::too_small(f, MIN_WIDTH, MIN_HEIGHT);
        return;
    }
    let banner_h = u16::from(panes::banner::visible(app));
    let [banner, top, mid, log, status] = Layout::vertical([
        Constraint::Length(banner_h),
        Constraint::Percentage(36),
        Constraint::Percentage(31),
        Constraint::Min(5),
        Constraint::Length(1),
    ])
    .areas(area);
    let narrow = area.width < 140;
    let market_share = if narrow { 45 } else { 40 };
    let [market, opps] = Layout::horizontal([
        Constraint::Percentage(market_share),
        Constraint::Percentage(100 - market_share),
    ])
    .areas(top);
    let [ens, risk, pos] = Layout::horizontal([
        Constraint::Percentage(33),
        Constraint::Percentage(25),
        Constraint::Percentage(42),
    ])
    .areas(mid);
    if banner_h > 0 {
        panes::banner::draw(f, banner, app, &theme);
    }
    panes::market::draw(f, market, app, &theme);
    panes::opportunities::draw(f, opps, app, &theme);
    panes::ensemble::draw(f, ens, app, &theme);
    panes::risk::draw(f, risk, app, &theme);
    panes::positions::draw(f, pos, app, &theme);
    panes::trade_log::draw(f, log, app, &theme);
    panes::status_bar::draw(f, status, app, &theme);
    panes::overlay::draw(f, app, &theme);
}
