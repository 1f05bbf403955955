//! The Risk pane: each limit's use as a gauge, the risk levels, the
//! trading state, cooldowns.

use crate::app::AppState;
use crate::app::snapshot::LimitRow;
use crate::ui::format;
use crate::ui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Color;
use ratatui::text::{Line, Span};
use ratatui::widgets::{LineGauge, Paragraph};

/// Shorter names for the limits, used when the full one does not fit.
fn abbreviation(name: &str) -> Option<&'static str> {
    Some(match name {
        "daily trades" => "trades/day",
        "daily loss" => "day loss",
        "loss streak" => "streak",
        "largest position" => "largest pos",
        "orders / min" => "orders/min",
        "prop daily loss" => "prop daily",
        "prop drawdown" => "prop DD",
        _ => return None,
    })
}

/// A limit's label in `width` characters: its name, else its abbreviation,
/// else the abbreviation cut with `…`.
fn label(name: &str, width: usize) -> String {
    if name.chars().count() <= width {
        return name.to_string();
    }
    format::fit(abbreviation(name).unwrap_or(name), width)
}

pub fn draw(f: &mut Frame, area: Rect, app: &AppState, theme: &Theme) {
    let snap = &app.snapshot;
    // The trading state and the worst account's level ride in the title, so
    // every row inside is a limit.
    let mut title = vec![Span::styled("Risk", theme.bold())];
    if let Some(s) = snap.trading_state {
        title.push(Span::raw(" "));
        title.push(Span::styled(s.as_str(), theme.state(s)));
    }
    if let Some(l) = snap.accounts.iter().map(|a| a.level).max() {
        title.push(Span::raw(" level "));
        title.push(Span::styled(l.as_str(), theme.level(l)));
    }
    let block = crate::ui::pane_block(app, crate::app::Pane::Risk, Line::from(title), theme);
    let inner = block.inner(area);
    f.render_widget(block, area);
    if inner.height == 0 {
        return;
    }
    // When not every limit fits, the most used ones are shown.
    let mut limits: Vec<&LimitRow> = snap.limits.iter().collect();
    let room = usize::from(inner.height);
    let hidden = limits.len().saturating_sub(room);
    if hidden > 0 {
        let mut by_use = limits.clone();
        by_use.sort_by(|a, b| b.fraction().total_cmp(&a.fraction()));
        let keep = &by_use[..room.saturating_sub(1)];
        limits.retain(|l| keep.iter().any(|k| std::ptr::eq(*k, *l)));
    }
    let shown = u16::try_from(limits.len()).unwrap_or(0);
    let [gauges_area, rest] =
        Layout::vertical([Constraint::Length(shown), Constraint::Min(0)]).areas(inner);
    let rows = Layout::vertical(vec![Constraint::Length(1); limits.len()]).split(gauges_area);
    for (l, r) in limits.iter().zip(rows.iter()) {
        let frac = l.fraction();
        let color = if frac >= 1.0 {
            Color::Red
        } else if frac >= 0.8 {
            Color::LightRed
        } else if frac >= 0.5 {
            Color::Yellow
        } else {
            Color::Green
        };
        // The label leaves at least a quarter of the row to the gauge line.
        let name_w = (usize::from(r.width) * 3 / 4)
            .saturating_sub(6)
            .clamp(4, 17);
        let label = format!("{:<name_w$}{:>5.0}%", label(&l.name, name_w), frac * 100.0);
        let mut gauge = LineGauge::default()
            .ratio(frac)
            .label(label)
            .filled_style(theme.fg(color))
            .unfilled_style(theme.dim());
        if theme.no_color {
            // Without colour the used part must still differ from the rest.
            gauge = gauge.filled_symbol("█").unfilled_symbol("░");
        }
        f.render_widget(gauge, *r);
    }
    let mut lines = Vec::new();
    if hidden > 0 {
        lines.push(Line::from(Span::styled(
            format!("+{} more limits (z zooms)", hidden + 1),
            theme.dim(),
        )));
    }
    // Why an account takes only reducing orders: its venue disagrees with
    // the book, or a prop-firm limit (less the buffer) is reached.
    for a in &snap.accounts {
        for (what, why) in [("blocked", &a.blocked), ("REDUCING", &a.reducing)] {
            if let Some(why) = why {
                lines.push(Line::from(Span::styled(
                    format!("{} {what}: {why}", a.name),
                    theme.fg(Color::LightRed),
                )));
            }
        }
    }
    for a in &snap.accounts {
        if let (Some(used), Some(available)) = (a.margin_used, a.margin_available) {
            lines.push(Line::from(format!(
                "{} margin {:.2} used, {:.2} available {}",
                a.name,
                used.round_dp(2),
                available.round_dp(2),
                a.currency
            )));
        }
    }
    for a in &snap.accounts {
        if let Some(s) = a.cooldown_secs {
            lines.push(Line::from(Span::styled(
                format!("{} loss-streak cooldown {} left", a.name, format::secs(s)),
                theme.fg(Color::Yellow),
            )));
        }
    }
    // Each account's level, when there is room (the Accounts pane has them too).
    let mut spans = Vec::new();
    for a in &snap.accounts {
        spans.push(Span::raw(format!("{} ", a.name)));
        spans.push(Span::styled(a.level.as_str(), theme.level(a.level)));
        spans.push(Span::raw("  "));
    }
    lines.push(Line::from(spans));
    f.render_widget(
        Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: true }),
        rest,
    );
}
