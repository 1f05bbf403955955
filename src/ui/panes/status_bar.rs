//! The status bar: mode per account, trading state, approval mode, total
//! equity, today's P&L, the clock.

use crate::app::AppState;
use crate::app::notice::Tone;
use crate::ui::format;
use crate::ui::theme::Theme;
use omni_core::domain::AccountMode;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use rust_decimal::Decimal;

pub fn draw(f: &mut Frame, area: Rect, app: &AppState, theme: &Theme) {
    let snap = &app.snapshot;
    let mut spans = Vec::new();
    // Wide terminals name every account; narrow ones count them per mode.
    if area.width >= 160 {
        for a in &snap.accounts {
            spans.push(Span::raw(format!("{} ", a.name)));
            spans.push(Span::styled(a.mode.as_str(), theme.mode(a.mode)));
            spans.push(Span::raw(" "));
        }
    } else {
        for m in [AccountMode::Live, AccountMode::Paper, AccountMode::Demo] {
            let n = snap.accounts.iter().filter(|a| a.mode == m).count();
            if n > 0 {
                spans.push(Span::styled(format!("{n}×{}", m.as_str()), theme.mode(m)));
                spans.push(Span::raw(" "));
            }
        }
    }
    spans.push(Span::raw("│ "));
    if let Some(s) = snap.trading_state {
        spans.push(Span::styled(s.as_str(), theme.state(s)));
        spans.push(Span::raw(" │ "));
    }
    if let Some(m) = snap.approval_mode {
        spans.push(Span::styled(m.as_str(), theme.bold()));
        spans.push(Span::raw(" │ equity "));
    }
    spans.push(Span::raw(format!("{:.2}", snap.total_equity().round_dp(2))));
    let day = snap.day_pnl();
    spans.push(Span::raw(" │ today "));
    spans.push(Span::styled(
        format::money(day),
        theme.signed(day > Decimal::ZERO, day < Decimal::ZERO),
    ));
    spans.push(Span::raw(format!(
        " │ {} {} UTC",
        snap.source,
        snap.now.to_datetime().format("%Y-%m-%d %H:%M:%S")
    )));
    if let Some(n) = &app.notice {
        spans.push(Span::raw(" │ "));
        let style = match n.tone {
            Tone::Good => theme.fg(Color::Green),
            Tone::Bad => theme.fg(Color::Red).patch(theme.bold()),
            Tone::Info => theme.bold(),
        };
        spans.push(Span::styled(n.text.clone(), style));
    } else if let Some(msg) = &app.message {
        spans.push(Span::raw(" │ "));
        spans.push(Span::styled(msg.clone(), theme.dim()));
    } else {
        spans.push(Span::styled(" │ ? keys", theme.dim()));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}
