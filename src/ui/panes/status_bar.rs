//! The status bar: mode per account, trading state, approval mode, equity
//! and today's P&L per currency, the market clock (with the replay's pace),
//! and what just happened. On a narrow terminal the least needed parts go
//! first, whole, rather than being cut.

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

/// One part of the bar and how much it is needed (higher stays longer).
struct Part {
    keep: u8,
    spans: Vec<Span<'static>>,
}

impl Part {
    fn width(&self) -> usize {
        self.spans.iter().map(|s| s.content.chars().count()).sum()
    }
}

const SEP: &str = " │ ";

pub fn draw(f: &mut Frame, area: Rect, app: &AppState, theme: &Theme) {
    let parts = parts(app, theme, area.width);
    f.render_widget(Paragraph::new(Line::from(fit(parts, area.width))), area);
}

/// Drops the least needed parts until the rest fits `width`, keeping their order.
fn fit(mut parts: Vec<Part>, width: u16) -> Vec<Span<'static>> {
    let total = |p: &[Part]| {
        p.iter().map(Part::width).sum::<usize>() + SEP.len().saturating_sub(2) * p.len()
    };
    while total(&parts) > usize::from(width) && parts.len() > 1 {
        let Some(i) = parts
            .iter()
            .enumerate()
            .min_by_key(|(i, p)| (p.keep, usize::MAX - i))
            .map(|(i, _)| i)
        else {
            break;
        };
        parts.remove(i);
    }
    let mut out = Vec::new();
    for (i, p) in parts.into_iter().enumerate() {
        if i > 0 {
            out.push(Span::raw(SEP));
        }
        out.extend(p.spans);
    }
    out
}

fn parts(app: &AppState, theme: &Theme, width: u16) -> Vec<Part> {
    let snap = &app.snapshot;
    let mut parts = Vec::new();
    // Wide terminals name every account; narrow ones count them per mode.
    let mut modes = Vec::new();
    if width >= 160 {
        for a in &snap.accounts {
            if !modes.is_empty() {
                modes.push(Span::raw(" "));
            }
            modes.push(Span::raw(format!("{} ", a.name)));
            modes.push(Span::styled(a.mode.as_str(), theme.mode(a.mode)));
        }
    } else {
        for m in [
            AccountMode::Live,
            AccountMode::Test,
            AccountMode::Paper,
            AccountMode::Demo,
        ] {
            let n = snap.accounts.iter().filter(|a| a.mode == m).count();
            if n > 0 {
                if !modes.is_empty() {
                    modes.push(Span::raw(" "));
                }
                modes.push(Span::styled(format!("{n}×{}", m.as_str()), theme.mode(m)));
            }
        }
    }
    parts.push(Part {
        keep: 3,
        spans: modes,
    });
    if let Some(s) = snap.trading_state {
        parts.push(Part {
            keep: 9,
            spans: vec![Span::styled(s.as_str(), theme.state(s))],
        });
    }
    if let Some(m) = snap.approval_mode {
        parts.push(Part {
            keep: 8,
            spans: vec![Span::styled(m.as_str(), theme.bold())],
        });
    }
    // Equity and today's P&L per currency: labelled on a wide bar,
    // `USDT 70000.00 +12.50` on a narrow one.
    let totals = snap.totals_by_currency();
    if width >= 160 {
        let mut equity = vec![Span::raw("equity ")];
        let mut today = vec![Span::raw("today ")];
        for (i, (ccy, eq, day)) in totals.iter().enumerate() {
            if i > 0 {
                equity.push(Span::raw(" · "));
                today.push(Span::raw(" · "));
            }
            equity.push(Span::raw(format!("{:.2} {ccy}", eq.round_dp(2))));
            today.push(Span::styled(
                format!("{} {ccy}", format::money(*day)),
                theme.signed(*day > Decimal::ZERO, *day < Decimal::ZERO),
            ));
        }
        parts.push(Part {
            keep: 6,
            spans: equity,
        });
        parts.push(Part {
            keep: 5,
            spans: today,
        });
    } else {
        let mut spans = Vec::new();
        for (i, (ccy, eq, day)) in totals.iter().enumerate() {
            if i > 0 {
                spans.push(Span::raw(" · "));
            }
            spans.push(Span::raw(format!("{ccy} {:.2} ", eq.round_dp(2))));
            spans.push(Span::styled(
                format::money(*day),
                theme.signed(*day > Decimal::ZERO, *day < Decimal::ZERO),
            ));
        }
        parts.push(Part { keep: 6, spans });
    }
    // The market clock: where it is, and for a replay or the demo its pace.
    let source = snap.source.split(' ').next().unwrap_or("").to_string();
    let clock = if width >= 120 {
        snap.now.to_datetime().format("%Y-%m-%d %H:%M:%S UTC")
    } else {
        snap.now.to_datetime().format("%H:%M:%S")
    };
    let mut time = vec![Span::raw(format!("{source} {clock}"))];
    if let Some(r) = &snap.replay {
        if r.ended {
            time.push(Span::styled(
                " ENDED (the clock stops at the last event)",
                theme.fg(Color::Yellow).patch(theme.bold()),
            ));
        } else {
            let speed = if r.speed >= crate::app::snapshot::MAX_SPEED {
                "max".to_string()
            } else {
                format!("{}", r.speed)
            };
            time.push(Span::raw(format!(" ×{speed}")));
            if let Some(p) = r.progress {
                time.push(Span::raw(format!(" {:.0}%", p * 100.0)));
            }
            if r.paused {
                time.push(Span::styled(
                    " PAUSED (P)",
                    theme.fg(Color::Yellow).patch(theme.bold()),
                ));
            }
        }
    }
    parts.push(Part {
        keep: 7,
        spans: time,
    });
    let news = if let Some(n) = &app.notice {
        let style = match n.tone {
            Tone::Good => theme.fg(Color::Green),
            Tone::Bad => theme.fg(Color::Red).patch(theme.bold()),
            Tone::Info => theme.bold(),
        };
        Span::styled(n.text.clone(), style)
    } else if let Some(msg) = &app.message {
        Span::styled(msg.clone(), theme.dim())
    } else {
        Span::styled("? keys", theme.dim())
    };
    parts.push(Part {
        keep: if app.notice.is_some() || app.message.is_some() {
            8
        } else {
            1
        },
        spans: vec![news],
    });
    parts
}
