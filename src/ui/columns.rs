//! Tables whose columns come in tiers: a pane draws the first tier that
//! fits its width, so a narrow pane leaves out whole columns instead of
//! cutting them (the zoomed pane shows them all).

use super::theme::Theme;
use ratatui::layout::Constraint;
use ratatui::widgets::{Block, Cell, Row, Table};

/// One column: its header, its width, and the cell of one row.
pub struct Column<T> {
    pub header: &'static str,
    pub width: u16,
    pub cell: fn(&T, &Theme) -> Cell<'static>,
}

/// The first tier whose columns (with a space between each) fit `width`;
/// the last tier when none does.
pub fn pick<'a, T>(tiers: &[&'a [&'a Column<T>]], width: u16) -> &'a [&'a Column<T>] {
    let fits = |cols: &[&Column<T>]| {
        cols.iter().map(|c| c.width + 1).sum::<u16>() <= width.saturating_add(1)
    };
    tiers
        .iter()
        .copied()
        .find(|t| fits(t))
        .or(tiers.last().copied())
        .unwrap_or(&[])
}

/// A table of `rows` in `cols`, with `extra` rows after them (totals), the
/// last column taking what is left of the width.
pub fn table<'a, T>(
    rows: &[T],
    cols: &[&Column<T>],
    extra: Vec<Row<'a>>,
    block: Block<'a>,
    theme: &Theme,
) -> Table<'a> {
    let mut body: Vec<Row> = rows
        .iter()
        .map(|r| Row::new(cols.iter().map(|c| (c.cell)(r, theme)).collect::<Vec<_>>()))
        .collect();
    body.extend(extra);
    let mut widths: Vec<Constraint> = cols.iter().map(|c| Constraint::Length(c.width)).collect();
    if let (Some(last), Some(c)) = (widths.last_mut(), cols.last()) {
        *last = Constraint::Min(c.width);
    }
    Table::new(body, widths)
        .header(Row::new(cols.iter().map(|c| c.header).collect::<Vec<_>>()).style(theme.bold()))
        .block(block)
}
