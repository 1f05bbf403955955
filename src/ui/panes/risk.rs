//! The Risk pane: each limit's use as a gauge, the risk levels, the
//! trading state, cooldowns.

use crate::app::AppState;
use crate::ui::format;
use crate::ui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Color;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, LineGauge, Paragraph};

pub fn draw(f: &mut Frame, area: Rect, app: &AppState, theme: &Theme) {
    let snap = &app.snapshot;
    let block = Block::bordered().title(Span::styled("Risk", theme.bold()));
    let inner = block.inner(area);
    f.render_widget(block, area);
    if inner.height == 0 {
        return;
    }
    let worst = snap.accounts.iter().map(|a| a.level).max();
    let mut head = vec![Span::raw("state ")];
    if let Some(s) = snap.trading_state {
        head.push(Span::styled(s.as_str(), theme.state(s)));
    }
    if let Some(l) = worst {
        head.push(Span::raw("  level "));
        head.push(Span::styled(l.as_str(), theme.level(l)));
    }
    let n_limits = snap.limits.len() as u16;
    let room = inner.height.saturating_sub(2);
    let shown = n_limits.min(room);
    let [head_area, gauges_area, accounts_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(shown),
        Constraint::Min(0),
    ])
    .areas(inner);
    f.render_widget(Paragraph::new(Line::from(head)), head_area);
    let rows = Layout::vertical(vec![Constraint::Length(1); shown as usize]).split(gauges_area);
    for (l, r) in snap.limits.iter().zip(rows.iter()) {
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
        // The label leaves at least a third of the row to the gauge line.
        let name_w = ((r.width as usize * 2 / 3).saturating_sub(6)).clamp(6, 16);
        let name: String = l.name.chars().take(name_w).collect();
        let label = format!("{name:<name_w$}{:>5.0}%", frac * 100.0);
        let gauge = LineGauge::default()
            .ratio(frac)
            .label(label)
            .filled_style(theme.fg(color))
            .unfilled_style(theme.dim());
        f.render_widget(gauge, *r);
    }
    let mut lines = Vec::new();
    let mut spans = Vec::new();
    for a in &snap.accounts {
        spans.push(Span::raw(format!("{} ", a.name)));
        spans.push(Span::styled(a.level.as_str(), theme.level(a.level)));
        spans.push(Span::raw("  "));
    }
    lines.push(Line::from(spans));
    for a in &snap.accounts {
        if let Some(s) = a.cooldown_secs {
            lines.push(Line::from(Span::styled(
                format!("{} loss-streak cooldown {} left", a.name, format::secs(s)),
                theme.fg(Color::Yellow),
            )));
        }
    }
    f.render_widget(
        Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: true }),
        accounts_area,
    );
}
