//! The Market pane: every instrument on every venue.

use crate::app::AppState;
use crate::ui::format;
use crate::ui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Row, Table};
use rust_decimal::Decimal;

/// Draws the pane.
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
        header.extend(["Spread", "Change"]);
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
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(theme.bold()))
        .block(Block::bordered().title(Span::styled("Market", theme.bold())));
    f.render_widget(table, area);
}
