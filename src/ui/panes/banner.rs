//! The banner across the top when trading is halted or paused: the kill
//! switch's progress per account until the broker confirms each flat.

use crate::app::{AppState, REARM_WORD};
use crate::ui::theme::Theme;
use omni_core::risk::TradingState;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// True when the banner is shown.
pub fn visible(app: &AppState) -> bool {
    app.banner_shown()
}

pub fn draw(f: &mut Frame, area: Rect, app: &AppState, theme: &Theme) {
    let snap = &app.snapshot;
    let text = if snap.kill_latched {
        let mut parts = vec![" HALTED · kill switch".to_string()];
        if snap.all_flat() {
            parts.push("every account flat (broker confirmed)".into());
        } else {
            for a in &snap.accounts {
                if a.flat {
                    parts.push(format!("{} flat", a.name));
                } else {
                    let mut s = format!(
                        "{} flattening: {} orders, {} positions",
                        a.name, a.working_orders, a.open_positions
                    );
                    if let Some(why) = &a.flatten_refusal {
                        s.push_str(&format!(" ({why})"));
                    }
                    if let Some(venue) = &a.venue {
                        s.push_str(&format!(" ({venue})"));
                    }
                    parts.push(s);
                }
            }
        }
        parts.push(format!("re-arm: press R, type {REARM_WORD}, Enter "));
        parts.join(" · ")
    } else {
        match snap.trading_state {
            Some(TradingState::Halted) => " HALTED (paused) · p resumes ".to_string(),
            _ => " PAUSED · REDUCING: only risk-reducing orders · p resumes ".to_string(),
        }
    };
    f.render_widget(
        Paragraph::new(Line::from(Span::styled(text, theme.banner()))).style(theme.banner()),
        area,
    );
}
