//! The Positions pane: every open position on every account. A binary
//! contract is a bet UP or DOWN on a strike: its size is the stake and its
//! prices are per unit staked.

use crate::app::snapshot::PositionRow;
use crate::app::{AppState, Pane};
use crate::ui::format;
use crate::ui::theme::Theme;
use omni_core::domain::Side;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph};
use rust_decimal::Decimal;

type Column = crate::ui::columns::Column<PositionRow>;

/// Prices of a binary contract are per unit staked: four decimals.
fn dp(p: &PositionRow) -> u32 {
    if p.binary.is_some() { 4 } else { p.dp }
}

const ACCOUNT: Column = Column {
    header: "Account",
    width: 9,
    cell: |p, _| Cell::from(p.account.clone()),
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
    cell: |p, _| Cell::from(format::qty(p.qty)),
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

pub fn draw(f: &mut Frame, area: Rect, app: &AppState, theme: &Theme) {
    let snap = &app.snapshot;
    let block = crate::ui::pane_block(
        app,
        Pane::Positions,
        Line::from(Span::styled("Positions", theme.bold())),
        theme,
    );
    let inner = block.inner(area);
    if snap.positions.is_empty() {
        f.render_widget(block, area);
        f.render_widget(
            Paragraph::new(Span::styled("no open positions", theme.dim())),
            inner,
        );
        return;
    }
    let cols = columns(inner.width);
    let table = crate::ui::columns::table(&snap.positions, cols, Vec::new(), block, theme);
    f.render_widget(table, area);
}
