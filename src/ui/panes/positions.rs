//! The Positions pane: every open position on every account.

use crate::app::AppState;
use crate::ui::format;
use crate::ui::theme::Theme;
use omni_core::domain::{Direction, Side};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table};
use rust_decimal::Decimal;

pub fn draw(f: &mut Frame, area: Rect, app: &AppState, theme: &Theme) {
    let snap = &app.snapshot;
    let block = Block::bordered().title(Span::styled("Positions", theme.bold()));
    if snap.positions.is_empty() {
        let inner = block.inner(area);
        f.render_widget(block, area);
        f.render_widget(
            Paragraph::new(Span::styled("no open positions", theme.dim())),
            inner,
        );
        return;
    }
    if area.width < 70 {
        // Narrow: one line per position, so only the end of a line is lost.
        let inner = block.inner(area);
        f.render_widget(block, area);
        let lines: Vec<Line> = snap
            .positions
            .iter()
            .map(|p| {
                let (side, exits) = match p.binary {
                    Some((dir, strike, left)) => (
                        dir.as_str().to_string(),
                        format!("{} K {}", format::secs(left), format::price(strike, p.dp)),
                    ),
                    None => (
                        if p.side == Side::Buy {
                            "LONG".into()
                        } else {
                            "SHORT".into()
                        },
                        match (p.stop, p.take) {
                            (Some(s), Some(t)) => format!(
                                "SL {} TP {}",
                                format::price(s, p.dp),
                                format::price(t, p.dp)
                            ),
                            _ => String::new(),
                        },
                    ),
                };
                Line::from(vec![
                    Span::raw(format!(
                        "{} {} {side} {} ",
                        p.account,
                        p.instrument,
                        format::qty(p.qty)
                    )),
                    Span::styled(
                        format::money(p.upnl),
                        theme.signed(p.upnl > Decimal::ZERO, p.upnl < Decimal::ZERO),
                    ),
                    Span::raw(format!(" {exits}")),
                ])
            })
            .collect();
        f.render_widget(Paragraph::new(lines), inner);
        return;
    }
    let rows = snap.positions.iter().map(|p| {
        let (side, exits) = match p.binary {
            Some((dir, strike, left)) => (
                if dir == Direction::Up {
                    "UP".to_string()
                } else {
                    "DOWN".to_string()
                },
                format!("{} · K {}", format::secs(left), format::price(strike, p.dp)),
            ),
            None => (
                if p.side == Side::Buy {
                    "LONG".to_string()
                } else {
                    "SHORT".to_string()
                },
                match (p.stop, p.take) {
                    (Some(s), Some(t)) => {
                        format!("{} / {}", format::price(s, p.dp), format::price(t, p.dp))
                    }
                    _ => "—".into(),
                },
            ),
        };
        let dp = if p.binary.is_some() { 4 } else { p.dp };
        Row::new(vec![
            Cell::from(p.account.clone()),
            Cell::from(p.instrument.clone()),
            Cell::from(side),
            Cell::from(format::qty(p.qty)),
            Cell::from(format::price(p.avg, dp)),
            Cell::from(format::price(p.mark, dp)),
            Cell::from(Line::from(Span::styled(
                format::money(p.upnl),
                theme.signed(p.upnl > Decimal::ZERO, p.upnl < Decimal::ZERO),
            ))),
            Cell::from(exits),
        ])
    });
    let table = Table::new(
        rows,
        [
            Constraint::Length(9),
            Constraint::Length(8),
            Constraint::Length(5),
            Constraint::Length(7),
            Constraint::Length(9),
            Constraint::Length(9),
            Constraint::Length(8),
            Constraint::Min(8),
        ],
    )
    .header(
        Row::new(vec![
            "Account",
            "Instr.",
            "Side",
            "Qty",
            "Avg",
            "Mark",
            "uP&L",
            "SL/TP · expiry",
        ])
        .style(theme.bold()),
    )
    .block(block);
    f.render_widget(table, area);
}
