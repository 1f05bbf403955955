//! The Accounts pane: per account its broker, mode, currency, equity, cash,
//! realised and unrealised P&L, today's P&L, drawdown and risk level, and
//! totals per currency (never across currencies).

use crate::app::snapshot::AccountRow;
use crate::app::{AppState, Pane};
use crate::ui::format;
use crate::ui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row};
use rust_decimal::Decimal;

type Column = crate::ui::columns::Column<AccountRow>;

fn signed(d: Decimal, theme: &Theme) -> Cell<'static> {
    Cell::from(Line::from(Span::styled(
        format::money(d),
        theme.signed(d > Decimal::ZERO, d < Decimal::ZERO),
    )))
}

const ACCOUNT: Column = Column {
    header: "Account",
    width: 9,
    cell: |a, _| Cell::from(a.name.clone()),
};
const BROKER: Column = Column {
    header: "Broker",
    width: 7,
    // `tradelocker` does not fit; its short form still reads as the name.
    cell: |a, _| {
        Cell::from(if a.broker == "tradelocker" {
            "TLocker"
        } else {
            a.broker
        })
    },
};
const MODE: Column = Column {
    header: "Mode",
    width: 5,
    cell: |a, t| Cell::from(Span::styled(a.mode.as_str(), t.mode(a.mode))),
};
const CCY: Column = Column {
    header: "Ccy",
    width: 4,
    cell: |a, _| Cell::from(a.currency.clone()),
};
const EQUITY: Column = Column {
    header: "Equity",
    width: 10,
    cell: |a, _| Cell::from(format!("{:.2}", a.equity.round_dp(2))),
};
const CASH: Column = Column {
    header: "Cash",
    width: 10,
    cell: |a, _| Cell::from(format!("{:.2}", a.cash.round_dp(2))),
};
const REALIZED: Column = Column {
    header: "Realized",
    width: 9,
    cell: |a, t| signed(a.realized, t),
};
const UNREALIZED: Column = Column {
    header: "Unreal.",
    width: 9,
    cell: |a, t| signed(a.unrealized, t),
};
const TODAY: Column = Column {
    header: "Today",
    width: 8,
    cell: |a, t| signed(a.day_pnl, t),
};
const DRAWDOWN: Column = Column {
    header: "DD %",
    width: 6,
    cell: |a, _| Cell::from(format!("{:.2}", a.drawdown_pct.round_dp(2))),
};
const LEVEL: Column = Column {
    header: "Level",
    width: 7,
    cell: |a, t| Cell::from(Span::styled(a.level.as_str(), t.level(a.level))),
};

/// The columns that fit `width`: all of them on a wide pane; a narrow one
/// keeps the account, its currency, equity, today's P&L and level (the
/// zoomed pane shows the rest).
fn columns(width: u16) -> &'static [&'static Column] {
    const ALL: &[&Column] = &[
        &ACCOUNT,
        &BROKER,
        &MODE,
        &CCY,
        &EQUITY,
        &CASH,
        &REALIZED,
        &UNREALIZED,
        &TODAY,
        &DRAWDOWN,
        &LEVEL,
    ];
    crate::ui::columns::pick(
        &[
            ALL,
            &[&ACCOUNT, &MODE, &CCY, &EQUITY, &TODAY, &DRAWDOWN, &LEVEL],
            &[&ACCOUNT, &CCY, &EQUITY, &TODAY, &LEVEL],
            &[&ACCOUNT, &CCY, &EQUITY, &TODAY],
        ],
        width,
    )
}

pub fn draw(f: &mut Frame, area: Rect, app: &AppState, theme: &Theme) {
    let snap = &app.snapshot;
    let block = crate::ui::pane_block(
        app,
        Pane::Accounts,
        Line::from(Span::styled("Accounts", theme.bold())),
        theme,
    );
    let inner = block.inner(area);
    let cols = columns(inner.width);
    // One total per currency, in the equity and today columns.
    let totals = snap
        .totals_by_currency()
        .into_iter()
        .map(|(ccy, equity, today)| {
            Row::new(
                cols.iter()
                    .map(|c| match c.header {
                        "Account" => Cell::from(Span::styled("total", theme.bold())),
                        "Ccy" => Cell::from(Span::styled(ccy.clone(), theme.bold())),
                        "Equity" => Cell::from(Span::styled(
                            format!("{:.2}", equity.round_dp(2)),
                            theme.bold(),
                        )),
                        "Today" => signed(today, theme),
                        _ => Cell::from(""),
                    })
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    let table = crate::ui::columns::table(&snap.accounts, cols, totals, block, theme);
    f.render_widget(table, area);
}
