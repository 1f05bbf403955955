//! The Positions pane: every open position on every account, and on its
//! second tab every working order (`orders`). A binary contract is a bet
//! UP or DOWN on a strike: its size is the stake and its prices are per
//! unit staked.

use crate::app::book_view::BookTab;
use crate::app::snapshot::PositionRow;
use crate::app::{AppState, Pane, layout};
use crate::ui::format;
use crate::ui::theme::Theme;
use omni_core::domain::Side;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, TableState, Tabs};
use rust_decimal::Decimal;

type Column = crate::ui::columns::Column<PositionRow>;

/// Prices of a binary contract are per unit staked: four decimals.
fn dp(p: &PositionRow) -> u32 {
    if p.binary.is_some() { 4 } else { p.dp }
}

/// A live account's name stands out: its positions are real money.
const ACCOUNT: Column = Column {
    header: "Account",
    width: 9,
    cell: |p, theme| {
        if p.live {
            Cell::from(Span::styled(
                p.account.clone(),
                theme.fg(Color::Red).patch(theme.bold()),
            ))
        } else {
            Cell::from(p.account.clone())
        }
    },
};
const INSTRUMENT: Column = Column {
    header: "Instr.",
    width: 8,
    cell: |p, _| Cell::from(p.instrument.clone()),
};
const SIDE: Column = Column {
    header: "Side",
    width: 5,
    cell: |p, _| {
        Cell::from(match p.binary {
            Some((d, ..)) => d.as_str(),
            None if p.side == Side::Buy => "LONG",
            None => "SHORT",
        })
    },
};
const QTY: Column = Column {
    header: "Qty",
    width: 7,
    cell: |p, _| Cell::from(format::qty_in(p.qty, 7)),
};
const AVG: Column = Column {
    header: "Avg",
    width: 9,
    cell: |p, _| Cell::from(format::price(p.avg, dp(p))),
};
const MARK: Column = Column {
    header: "Mark",
    width: 9,
    cell: |p, _| Cell::from(format::price(p.mark, dp(p))),
};
const UPNL: Column = Column {
    header: "uP&L",
    width: 9,
    cell: |p, t| {
        Cell::from(Line::from(Span::styled(
            format::money(p.upnl),
            t.signed(p.upnl > Decimal::ZERO, p.upnl < Decimal::ZERO),
        )))
    },
};
const EXITS: Column = Column {
    header: "SL / TP · expiry",
    width: 16,
    cell: |p, _| {
        Cell::from(match p.binary {
            Some((_, strike, left)) => format!(
                "{} · strike {}",
                format::secs(left),
                format::price(strike, p.dp)
            ),
            None => match (p.stop, p.take) {
                (Some(s), Some(t)) => {
                    format!("{} / {}", format::price(s, p.dp), format::price(t, p.dp))
                }
                _ => "—".into(),
            },
        })
    },
};

/// The columns that fit `width`: all on a wide pane; narrower ones keep who,
/// what, which way and the P&L, then the size and exits (zoom shows all).
fn columns(width: u16) -> &'static [&'static Column] {
    crate::ui::columns::pick(
        &[
            &[
                &ACCOUNT,
                &INSTRUMENT,
                &SIDE,
                &QTY,
                &AVG,
                &MARK,
                &UPNL,
                &EXITS,
            ],
            &[&ACCOUNT, &INSTRUMENT, &SIDE, &QTY, &UPNL, &EXITS],
            &[&ACCOUNT, &INSTRUMENT, &SIDE, &QTY, &UPNL],
            &[&ACCOUNT, &INSTRUMENT, &SIDE, &UPNL],
        ],
        width,
    )
}

/// The pane: its tabs (open positions, working orders), the shown tab's
/// table with the selected row highlighted, and a line about that row.
pub fn draw(f: &mut Frame, area: Rect, app: &AppState, theme: &Theme) {
    let snap = &app.snapshot;
    let mut title = vec![Span::styled("Positions", theme.bold())];
    if snap.positions.iter().any(|p| p.live) {
        title.push(Span::styled(
            " LIVE",
            theme.fg(Color::Red).patch(theme.bold()),
        ));
    }
    let block = crate::ui::pane_block(app, Pane::Positions, Line::from(title), theme);
    f.render_widget(block, area);
    let [tabs_area, table_area, footer_area] = layout::book_parts(area);
    let titles: Vec<Line> = layout::book_titles(app)
        .into_iter()
        .map(Line::from)
        .collect();
    let selected_tab = BookTab::ALL
        .iter()
        .position(|t| *t == app.book.tab)
        .unwrap_or(0);
    f.render_widget(
        Tabs::new(titles)
            .select(selected_tab)
            .highlight_style(theme.selected().patch(theme.bold()))
            .divider("│"),
        tabs_area,
    );
    // The offset the mouse's hit-test assumes (`layout::table_offset`).
    let selected = app.book.selected_index(snap);
    let visible = usize::from(table_area.height.saturating_sub(1));
    let mut state = TableState::default().with_offset(layout::table_offset(selected, visible));
    state.select(selected);
    let block = Block::new();
    let width = usize::from(footer_area.width);
    let (table, empty, footer) = match app.book.tab {
        BookTab::Positions => {
            let cols = columns(table_area.width);
            let table = crate::ui::columns::table(&snap.positions, cols, Vec::new(), block, theme);
            let footer = app.book.selected_position(snap).map(|p| {
                let verb = if p.binary.is_some() {
                    "settles at expiry".to_string()
                } else {
                    format!("x closes: {}", super::confirm::close_words(p))
                };
                let who = format!("{} {} on {}", p.account, p.instrument, p.venue);
                format::fit_parts(&[who, verb], width)
            });
            (table, "no open positions · o: working orders", footer)
        }
        BookTab::Orders => {
            let rows = super::orders::shown(snap);
            let cols = super::orders::columns(table_area.width);
            let footer = selected
                .and_then(|i| rows.get(i))
                .map(|s| super::orders::detail(s, width));
            let table = crate::ui::columns::table(&rows, cols, Vec::new(), block, theme);
            (table, "no working orders · Tab: positions", footer)
        }
    };
    f.render_stateful_widget(
        table.row_highlight_style(theme.selected()),
        table_area,
        &mut state,
    );
    let total = app.book.len(snap);
    crate::ui::rows_shown(f, area, state.offset(), visible, total, theme);
    if total == 0 {
        let mut a = table_area;
        a.y += 1;
        a.height = a.height.saturating_sub(1);
        f.render_widget(Paragraph::new(Span::styled(empty, theme.dim())), a);
    }
    let footer = match footer {
        Some(text) => Span::raw(text),
        // The selection never jumps to another row: say it is gone.
        None if total > 0 => Span::styled(
            "the selected row is no longer listed · j/k to pick another",
            theme.fg(Color::Yellow),
        ),
        None => Span::styled("Tab: positions / orders · o: orders · ? help", theme.dim()),
    };
    f.render_widget(Paragraph::new(footer), footer_area);
}
