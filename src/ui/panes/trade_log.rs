//! The Trade Log pane: newest first, this run's rows from the engine's
//! audit stream, older runs' from the store.

use crate::app::log::LogKind;
use crate::app::{AppState, Focus};
use crate::ui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

pub fn draw(f: &mut Frame, area: Rect, app: &AppState, theme: &Theme) {
    let focused = app.focus == Focus::TradeLog;
    let block = Block::bordered()
        .title(Span::styled("Trade Log", theme.bold()))
        .border_style(theme.border(focused));
    let inner = block.inner(area);
    f.render_widget(block, area);
    if app.log.is_empty() {
        f.render_widget(
            Paragraph::new(Span::styled(
                format!("nothing yet in {}", app.db_label),
                theme.dim(),
            )),
            inner,
        );
        return;
    }
    let lines: Vec<Line> = app
        .log
        .iter()
        .skip(app.log_scroll)
        .take(inner.height as usize)
        .map(|r| {
            let color = match r.kind {
                LogKind::Fill => Color::Cyan,
                LogKind::Trade => Color::Green,
                LogKind::Approved => Color::Blue,
                LogKind::Refused => Color::Red,
                LogKind::Command => Color::Magenta,
                LogKind::State => Color::Yellow,
            };
            let time = r.ts.to_datetime().format("%H:%M:%S").to_string();
            Line::from(vec![
                Span::styled(format!("{time} "), theme.dim()),
                Span::styled(
                    format!("{:<9}", r.kind.as_str()),
                    theme.fg(color).patch(theme.bold()),
                ),
                Span::raw(r.text.clone()),
            ])
        })
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
}
