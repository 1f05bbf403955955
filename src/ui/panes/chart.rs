//! The Chart pane: the chosen instrument's 1-minute candles (the last one
//! still forming), its reference venue's bid and ask, and the entry, stop
//! and target of an open position on it, with a price axis on the right
//! and the times of the first and last candle below.

use crate::app::snapshot::{Candle, ChartRow};
use crate::app::{AppState, Pane};
use crate::ui::format;
use crate::ui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// A horizontal level drawn across the chart and named on the axis.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Level {
    pub price: Decimal,
    /// `bid`, `ask`, `entry`, `SL`, `TP`.
    pub tag: &'static str,
    pub color: Color,
}

/// The row (0 = top) a price falls on, for a plot of `height` rows from
/// `hi` (top) to `lo` (bottom).
pub fn row_of(price: Decimal, lo: Decimal, hi: Decimal, height: u16) -> u16 {
    if height <= 1 || hi <= lo {
        return 0;
    }
    let span = hi - lo;
    let from_top = (hi - price.clamp(lo, hi)) * Decimal::from(height - 1) / span;
    from_top.round().to_u16().unwrap_or(0).min(height - 1)
}

/// The levels on the charted instrument: the reference venue's bid and ask,
/// and each open position's entry, stop and target.
fn levels(app: &AppState, chart: &ChartRow, name: &str) -> Vec<Level> {
    let mut out = Vec::new();
    if let Some(b) = chart.bid {
        out.push(Level {
            price: b,
            tag: "bid",
            color: Color::DarkGray,
        });
    }
    if let Some(a) = chart.ask {
        out.push(Level {
            price: a,
            tag: "ask",
            color: Color::DarkGray,
        });
    }
    for p in app
        .snapshot
        .positions
        .iter()
        .filter(|p| p.instrument == name && p.binary.is_none())
    {
        out.push(Level {
            price: p.avg,
            tag: "entry",
            color: Color::Blue,
        });
        if let Some(s) = p.stop {
            out.push(Level {
                price: s,
                tag: "SL",
                color: Color::Red,
            });
        }
        if let Some(t) = p.take {
            out.push(Level {
                price: t,
                tag: "TP",
                color: Color::Green,
            });
        }
    }
    // A binary contract's strike is its level.
    for p in app
        .snapshot
        .positions
        .iter()
        .filter(|p| p.instrument == name)
    {
        if let Some((_, strike, _)) = p.binary {
            out.push(Level {
                price: strike,
                tag: "strike",
                color: Color::Magenta,
            });
        }
    }
    out
}

pub fn draw(f: &mut Frame, area: Rect, app: &AppState, theme: &Theme) {
    let snap = &app.snapshot;
    let chart = app
        .chart_instrument()
        .and_then(|i| snap.charts.iter().find(|c| c.instrument == i));
    let name = chart
        .and_then(|c| snap.instruments.get(c.instrument.index()))
        .cloned()
        .unwrap_or_default();
    let mut title = vec![Span::styled("Chart", theme.bold())];
    if let Some(c) = chart {
        title.push(Span::raw(format!(" {name} 1m · {}", c.venue)));
    }
    let block = crate::ui::pane_block(app, Pane::Chart, Line::from(title), theme);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let Some(chart) = chart.filter(|c| !c.candles.is_empty()) else {
        f.render_widget(
            Paragraph::new(Span::styled(
                "no bars yet: the first 1-minute bar forms with the first quote",
                theme.dim(),
            ))
            .wrap(ratatui::widgets::Wrap { trim: true }),
            inner,
        );
        return;
    };
    let levels = levels(app, chart, &name);
    let price_w = chart
        .candles
        .iter()
        .map(|c| format::price(c.high, chart.dp).len())
        .max()
        .unwrap_or(8);
    // Axis: a space, the price, a space, the longest tag.
    let axis_w = u16::try_from(price_w + 8).unwrap_or(u16::MAX);
    if inner.width <= axis_w + 4 || inner.height < 3 {
        return;
    }
    let plot = Rect {
        width: inner.width - axis_w,
        height: inner.height - 1,
        ..inner
    };
    let shown: &[Candle] = {
        let n = chart.candles.len().min(usize::from(plot.width));
        &chart.candles[chart.candles.len() - n..]
    };
    let lo = shown
        .iter()
        .map(|c| c.low)
        .chain(levels.iter().map(|l| l.price))
        .min()
        .unwrap_or_default();
    let hi = shown
        .iter()
        .map(|c| c.high)
        .chain(levels.iter().map(|l| l.price))
        .max()
        .unwrap_or_default();
    let buf = f.buffer_mut();
    // Levels first, candles over them. A level whose axis row is taken
    // (the bid and ask are often one row apart or less) is named on the row
    // next to it, or not at all.
    let mut named: Vec<u16> = Vec::new();
    for l in &levels {
        let y = plot.y + row_of(l.price, lo, hi, plot.height);
        let style = theme.fg(l.color);
        for x in plot.x..plot.x + plot.width {
            buf[(x, y)].set_symbol("┄").set_style(style);
        }
        let candidates = [Some(y), y.checked_sub(1), Some(y + 1)];
        let free = candidates
            .into_iter()
            .flatten()
            .find(|r| (plot.y..plot.y + plot.height).contains(r) && !named.contains(r));
        if let Some(row) = free {
            named.push(row);
            let label = format!(" {} {}", format::price(l.price, chart.dp), l.tag);
            buf.set_stringn(plot.x + plot.width, row, &label, usize::from(axis_w), style);
        }
    }
    let x0 = plot.x + plot.width - u16::try_from(shown.len()).unwrap_or(0);
    for (i, c) in shown.iter().enumerate() {
        let x = x0 + u16::try_from(i).unwrap_or(0);
        let up = c.close >= c.open;
        let style: Style = if up {
            theme.fg(Color::Green)
        } else {
            theme.fg(Color::Red)
        };
        // Without colour, rising bodies are hollow and falling ones solid.
        let body = if theme.no_color && up { "░" } else { "█" };
        let top = plot.y + row_of(c.high, lo, hi, plot.height);
        let bottom = plot.y + row_of(c.low, lo, hi, plot.height);
        let body_top = plot.y + row_of(c.open.max(c.close), lo, hi, plot.height);
        let body_bottom = plot.y + row_of(c.open.min(c.close), lo, hi, plot.height);
        for y in top..=bottom {
            let sym = if (body_top..=body_bottom).contains(&y) {
                body
            } else {
                "│"
            };
            buf[(x, y)].set_symbol(sym).set_style(style);
        }
    }
    // The axis's top and bottom prices, unless a level is written there.
    for (price, y) in [(hi, plot.y), (lo, plot.y + plot.height - 1)] {
        let free =
            (plot.x + plot.width..inner.x + inner.width).all(|x| buf[(x, y)].symbol() == " ");
        if free {
            buf.set_stringn(
                plot.x + plot.width,
                y,
                format!(" {}", format::price(price, chart.dp)),
                usize::from(axis_w),
                theme.dim(),
            );
        }
    }
    // Times of the first and last candle shown, under the plot.
    let y = plot.y + plot.height;
    if let (Some(first), Some(last)) = (shown.first(), shown.last()) {
        let t = |c: &Candle| c.open_ts.to_datetime().format("%H:%M").to_string();
        let right = if chart.forming {
            format!("{} (forming)", t(last))
        } else {
            t(last)
        };
        let rw = u16::try_from(right.chars().count()).unwrap_or(u16::MAX);
        let right_x = (plot.x + plot.width).saturating_sub(rw).max(plot.x);
        buf.set_stringn(right_x, y, &right, usize::from(plot.width), theme.dim());
        // The first candle's time, where it does not run into the last's.
        if x0 + 6 < right_x {
            buf.set_string(x0, y, t(first), theme.dim());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn prices_map_to_rows_from_the_top() {
        assert_eq!(row_of(dec!(110), dec!(100), dec!(110), 11), 0);
        assert_eq!(row_of(dec!(100), dec!(100), dec!(110), 11), 10);
        assert_eq!(row_of(dec!(105), dec!(100), dec!(110), 11), 5);
        // Outside the range: clamped to the edges.
        assert_eq!(row_of(dec!(120), dec!(100), dec!(110), 11), 0);
        assert_eq!(row_of(dec!(90), dec!(100), dec!(110), 11), 10);
        // A flat range draws on the top row.
        assert_eq!(row_of(dec!(100), dec!(100), dec!(100), 11), 0);
    }
}
