//! Popups: the key list, the quit question, the re-arm prompt, and the
//! message for a terminal that is too small (the cancel and close
//! questions are drawn by `confirm`).

use crate::app::keymap::KEYS;
use crate::app::{AppState, Overlay, REARM_WORD};
use crate::ui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let [v] = Layout::vertical([Constraint::Length(h.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [c] = Layout::horizontal([Constraint::Length(w.min(area.width))])
        .flex(Flex::Center)
        .areas(v);
    c
}

/// Draws the current popup, if any.
pub fn draw(f: &mut Frame, app: &AppState, theme: &Theme) {
    let area = f.area();
    match &app.overlay {
        Overlay::None => {}
        Overlay::Help => {
            // Sized to the longest key and description, so no line is cut.
            let key_w = KEYS
                .iter()
                .map(|(k, _)| k.chars().count())
                .max()
                .unwrap_or(0)
                + 2;
            let what_w = KEYS
                .iter()
                .map(|(_, w)| w.chars().count())
                .max()
                .unwrap_or(0);
            let lines: Vec<Line> = KEYS
                .iter()
                .map(|(k, what)| {
                    Line::from(vec![
                        Span::styled(format!("{k:<key_w$}"), theme.bold()),
                        Span::raw(*what),
                    ])
                })
                .collect();
            let width = u16::try_from(key_w + what_w + 2).unwrap_or(u16::MAX);
            // On a narrow terminal the descriptions wrap; the popup grows to fit.
            let inner = usize::from(width.min(area.width).saturating_sub(2)).max(1);
            let rows: usize = KEYS
                .iter()
                .map(|(_, w)| (key_w + w.chars().count()).div_ceil(inner))
                .sum();
            let height = u16::try_from(rows + 2).unwrap_or(u16::MAX);
            let r = centered(area, width, height);
            f.render_widget(Clear, r);
            f.render_widget(
                Paragraph::new(lines)
                    .wrap(Wrap { trim: false })
                    .block(Block::bordered().title(Span::styled("Keys", theme.bold()))),
                r,
            );
        }
        Overlay::ConfirmAuto => {
            let snap = &app.snapshot;
            let mut lines = vec![
                Line::from("The auto policy approves every opportunity above its kind's"),
                Line::from("thresholds (marked A in the lists); the gate still decides"),
                Line::from("each order."),
                Line::from(""),
            ];
            for (kind, policy) in &snap.auto_policy {
                lines.push(Line::from(vec![
                    Span::styled(format!("{:<10}", kind.title()), theme.bold()),
                    Span::raw(policy.clone()),
                ]));
            }
            lines.push(Line::from(""));
            lines.push(Line::from(Span::styled(
                "Switch auto approval on? (y/n)",
                theme.bold(),
            )));
            let width = lines.iter().map(Line::width).max().unwrap_or(0) + 2;
            let inner = width.min(usize::from(area.width)).saturating_sub(2).max(1);
            let rows: usize = lines.iter().map(|l| l.width().max(1).div_ceil(inner)).sum();
            let r = centered(
                area,
                u16::try_from(width).unwrap_or(u16::MAX),
                u16::try_from(rows + 2).unwrap_or(u16::MAX),
            );
            f.render_widget(Clear, r);
            f.render_widget(
                Paragraph::new(lines)
                    .wrap(Wrap { trim: false })
                    .block(Block::bordered().title(Span::styled("Auto approval", theme.bold()))),
                r,
            );
        }
        Overlay::ConfirmQuit => {
            let n = app.snapshot.positions.len();
            let r = centered(area, 56, 4);
            f.render_widget(Clear, r);
            f.render_widget(
                Paragraph::new(format!("{n} positions are open. Quit anyway? (y/n)"))
                    .wrap(Wrap { trim: true })
                    .block(Block::bordered().title(Span::styled("Quit", theme.bold()))),
                r,
            );
        }
        Overlay::ConfirmCancel(o) => super::confirm::draw_cancel(f, o, theme),
        Overlay::ConfirmClose(p) => super::confirm::draw_close(f, p, theme),
        Overlay::Rearm(typed) => {
            let r = centered(area, 60, 4);
            f.render_widget(Clear, r);
            f.render_widget(
                Paragraph::new(format!(
                    "Type {REARM_WORD} and press Enter (Esc cancels): {typed}_"
                ))
                .wrap(Wrap { trim: true })
                .block(Block::bordered().title(Span::styled("Re-arm", theme.bold()))),
                r,
            );
        }
    }
}

/// The whole screen when the terminal is smaller than the layout needs.
pub fn too_small(f: &mut Frame, min_w: u16, min_h: u16) {
    let area = f.area();
    let text = format!(
        "omni-tui needs a terminal of at least {min_w}×{min_h}; this one is {}×{}. Enlarge it (q quits).",
        area.width, area.height
    );
    f.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
}
