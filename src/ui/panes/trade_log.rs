//! The Trade Log pane: newest first, this run's rows from the engine's
//! audit stream, older runs' from the store, with a date line where the
//! UTC day changes.
//!
//! The title names the filter and the search (`Trade Log · Refusals · /
//! min_interval`), the bottom border where the view is (`12–24 of 1 532`,
//! `37+ matches`); both shorten rather than be cut on a narrow pane.

use crate::app::log::LogKind;
use crate::app::log_view::{LogFilter, WindowLine};
use crate::app::{AppState, Pane};
use crate::ui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

/// The colour of a kind's label.
fn color(kind: LogKind) -> Color {
    match kind {
        LogKind::Fill => Color::Cyan,
        LogKind::Trade => Color::Green,
        LogKind::Approved => Color::Blue,
        LogKind::Refused => Color::Red,
        LogKind::Command => Color::Magenta,
        LogKind::State => Color::Yellow,
        LogKind::Alert => Color::LightRed,
    }
}

/// Display width of a text.
fn width(s: &str) -> usize {
    Span::raw(s).width()
}

/// The last characters of `s` that fit in `w` columns, after `…`.
fn tail(s: &str, w: usize) -> String {
    if width(s) <= w {
        return s.to_string();
    }
    let mut out: Vec<char> = Vec::new();
    let mut used = 1;
    for c in s.chars().rev() {
        let cw = width(c.encode_utf8(&mut [0; 4]));
        if used + cw > w {
            break;
        }
        used += cw;
        out.push(c);
    }
    std::iter::once('…').chain(out.into_iter().rev()).collect()
}

/// The title in `w` columns: the pane's name, the filter unless it is All,
/// and the search (with a cursor while it is typed), shortened in that
/// order of sacrifice: the filter's short name, `Log`, the search's start.
pub fn title(filter: LogFilter, search: &str, typing: bool, w: usize) -> String {
    let (prefix, text) = match (typing, search.is_empty()) {
        (true, _) => ("/", format!("{search}█")),
        (false, false) => ("/ ", search.to_string()),
        (false, true) => ("", String::new()),
    };
    let join = |name: &str, f: &str, s: &str| {
        let mut t = name.to_string();
        for part in [f, s] {
            if !part.is_empty() {
                t.push_str(" · ");
                t.push_str(part);
            }
        }
        t
    };
    let all = filter == LogFilter::All;
    let forms = [
        ("Trade Log", if all { "" } else { filter.title() }),
        ("Trade Log", if all { "" } else { filter.short() }),
        ("Log", if all { "" } else { filter.short() }),
    ];
    let search = format!("{prefix}{text}");
    for (name, f) in forms {
        let t = join(name, f, &search);
        if width(&t) <= w {
            return t;
        }
    }
    let (name, f) = forms[2];
    let head = join(name, f, "");
    // What is left for the search's end, after ` · ` and its prefix.
    let room = w.saturating_sub(width(&head) + 3 + width(prefix));
    if search.is_empty() || room < 4 {
        return tail(&head, w);
    }
    join(name, f, &format!("{prefix}{}", tail(&text, room)))
}

pub fn draw(f: &mut Frame, area: Rect, app: &AppState, theme: &Theme) {
    let focused = app.focus == Pane::TradeLog;
    let view = &app.log_view;
    // Inside the corners.
    let room = usize::from(area.width.saturating_sub(2));
    view.set_height(usize::from(area.height.saturating_sub(2)));
    let w = view.window(&app.log);
    let searching = !view.search.is_empty() || view.typing;
    let head = title(view.filter, &view.search, view.typing, room);
    let indicator = w
        .indicators(searching)
        .into_iter()
        .find(|s| width(s) <= room)
        .unwrap_or_default();
    let mut block = Block::bordered()
        .title(Span::styled(head, theme.bold()))
        .border_style(theme.border(focused))
        .title_bottom(Line::from(Span::styled(indicator.clone(), theme.dim())).right_aligned());
    // The keys of the log, where the bottom border has room for them.
    let hint = "Tab filter · / search · g/G ends";
    if focused && !view.typing && width(hint) + width(&indicator) + 2 <= room {
        block = block.title_bottom(Line::from(Span::styled(hint, theme.dim())).left_aligned());
    }
    let inner = block.inner(area);
    f.render_widget(block, area);

    if w.lines.is_empty() {
        let text = if app.log.is_empty() && view.filter == LogFilter::All && !searching {
            format!("nothing yet in {}", app.db_label)
        } else if w.searching {
            "searching…".to_string()
        } else if w.loading || (w.more && w.count == 0) {
            "loading…".to_string()
        } else if searching {
            "no matches".to_string()
        } else {
            format!("nothing under {} yet", view.filter.title())
        };
        f.render_widget(Paragraph::new(Span::styled(text, theme.dim())), inner);
        return;
    }
    let lines: Vec<Line> = w
        .lines
        .iter()
        .map(|l| match l {
            WindowLine::Day(ts) => Line::from(Span::styled(
                format!("── {} ──", ts.to_datetime().format("%Y-%m-%d")),
                theme.dim(),
            )),
            WindowLine::Row(r) => {
                let time = r.ts.to_datetime().format("%H:%M:%S").to_string();
                Line::from(vec![
                    Span::styled(format!("{time} "), theme.dim()),
                    Span::styled(
                        format!("{:<9}", r.kind.as_str()),
                        theme.fg(color(r.kind)).patch(theme.bold()),
                    ),
                    Span::raw(r.text.clone()),
                ])
            }
        })
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
}
