//! The Market pane: every instrument on every venue.

use crate::app::AppState;
use crate::app::snapshot::FeedRow;
use crate::ui::format;
use crate::ui::theme::Theme;
use omni_feeds::FeedState;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Color;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use rust_decimal::Decimal;

pub fn draw(f: &mut Frame, area: Rect, app: &AppState, theme: &Theme) {
    let snap = &app.snapshot;
    let wide = area.width >= 72;
    let mut header = vec![
        "Venue",
        if wide { "Instrument" } else { "Instr." },
        "Bid",
        "Ask",
    ];
    if wide {
        // The mid's change at its last update, in the quote currency.
        header.extend(["Spread", "Tick Δ"]);
    }
    header.push("Age");
    let rows = snap.quotes.iter().map(|q| {
        let style = if q.stale {
            theme.dim()
        } else {
            Default::default()
        };
        let up = q.change > Decimal::ZERO;
        let down = q.change < Decimal::ZERO;
        let arrow = if up {
            "▲"
        } else if down {
            "▼"
        } else {
            " "
        };
        let mut cells = vec![
            Cell::from(q.venue.clone()),
            Cell::from(q.instrument.clone()),
            Cell::from(format::price(q.bid, q.dp)),
            Cell::from(format::price(q.ask, q.dp)),
        ];
        if wide {
            cells.push(Cell::from(format::price(q.spread, q.dp)));
            cells.push(Cell::from(Line::from(Span::styled(
                format!("{arrow}{}", format::price(q.change.abs(), q.dp)),
                theme.signed(up, down),
            ))));
        }
        let age = if q.stale {
            format!("{} STALE", format::age(q.age_ms))
        } else {
            format::age(q.age_ms)
        };
        cells.push(Cell::from(age));
        Row::new(cells).style(style)
    });
    // Narrow panes keep every digit and drop columns instead.
    let mut widths = if wide {
        vec![
            Constraint::Length(8),
            Constraint::Length(10),
            Constraint::Length(11),
            Constraint::Length(11),
        ]
    } else {
        vec![
            Constraint::Length(7),
            Constraint::Length(8),
            Constraint::Length(9),
            Constraint::Length(9),
        ]
    };
    if wide {
        widths.extend([Constraint::Length(7), Constraint::Length(9)]);
    }
    widths.push(Constraint::Min(6));
    let block = crate::ui::pane_block(
        app,
        crate::app::Pane::Market,
        Line::from(Span::styled("Market", theme.bold())),
        theme,
    );
    let inner = block.inner(area);
    f.render_widget(block, area);
    // Feed health under the quotes (live and replay sources).
    let feeds: Vec<&FeedRow> = snap
        .feeds
        .iter()
        .filter(|r| r.health.messages > 0 || r.health.state != FeedState::Replay)
        .collect();
    let mut lines: Vec<Line> = Vec::new();
    for r in &feeds {
        lines.extend(feed_lines(r, theme, inner.width));
    }
    let feed_h = (lines.len() as u16).min(inner.height.saturating_sub(2));
    let [quotes_area, feeds_area] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(feed_h)]).areas(inner);
    if snap.quotes.is_empty() {
        let why = if feeds.is_empty() {
            "no quotes yet"
        } else {
            "no quotes yet: waiting for the feeds below"
        };
        let [head, rest] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(quotes_area);
        let table = Table::new(Vec::<Row>::new(), widths.clone())
            .header(Row::new(header).style(theme.bold()));
        f.render_widget(table, head);
        f.render_widget(Paragraph::new(Span::styled(why, theme.dim())), rest);
    } else {
        // The row the arrows move while the pane has focus: its instrument
        // is charted. The offset is the one the mouse's hit-test assumes.
        let table = Table::new(rows, widths)
            .header(Row::new(header).style(theme.bold()))
            .row_highlight_style(theme.selected());
        let focused = app.focus == crate::app::Pane::Market;
        let visible = usize::from(quotes_area.height.saturating_sub(1));
        let mut state = ratatui::widgets::TableState::default().with_offset(
            crate::app::layout::table_offset(Some(app.market_row), visible),
        );
        if focused {
            state.select(Some(app.market_row));
        }
        f.render_stateful_widget(table, quotes_area, &mut state);
        crate::ui::rows_shown(f, area, state.offset(), visible, snap.quotes.len(), theme);
    }
    f.render_widget(Paragraph::new(lines), feeds_area);
}

/// One feed's health line and, while it is not connected, the error that
/// disconnected it: the first thing a trader asks of a feed that is down.
fn feed_lines(r: &FeedRow, theme: &Theme, width: u16) -> Vec<Line<'static>> {
    let h = &r.health;
    let color = match h.state {
        FeedState::Connected => Color::Green,
        FeedState::Replay => Color::Blue,
        FeedState::Connecting | FeedState::Reconnecting => Color::Yellow,
        FeedState::Down | FeedState::Idle => Color::Red,
    };
    let age = r.age_ms.map_or("—".to_string(), format::age);
    let spans = vec![
        Span::raw(format!("{:<8}", h.venue)),
        Span::styled(
            format!("{:<13}", h.state.as_str()),
            theme.fg(color).patch(theme.bold()),
        ),
        Span::raw(format!(
            "{:>6.1}/s  {age:>5} ago  reconn {}  dropped {}  quarantined {}",
            r.rate, h.reconnects, h.dropped, h.quarantined
        )),
    ];
    let mut out = vec![Line::from(spans)];
    let troubled = matches!(
        h.state,
        FeedState::Down | FeedState::Reconnecting | FeedState::Connecting
    );
    if troubled && !h.last_error.is_empty() {
        let room = usize::from(width).saturating_sub(10).max(10);
        let mut e: String = h.last_error.chars().take(room).collect();
        if h.last_error.chars().count() > room {
            e.pop();
            e.push('…');
        }
        out.push(Line::from(Span::styled(
            format!("  ↳ {e}"),
            theme.fg(color),
        )));
    }
    out
}
