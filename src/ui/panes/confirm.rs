//! The popups that ask before an order is cancelled or a position closed:
//! each names exactly what `y` will send, from the row as it was shown
//! when the key was pressed.

use crate::app::snapshot::{OrderRow, PositionRow};
use crate::ui::format;
use crate::ui::theme::Theme;
use omni_core::domain::Side;
use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

/// The order in words: `#12 spot-a BUY 0.01499 BTC/USDT on binance`.
pub fn order_words(o: &OrderRow) -> String {
    format!(
        "#{} {} {} {} {} on {}",
        o.id,
        o.account,
        o.side.as_str(),
        format::qty(o.qty),
        o.instrument,
        o.venue
    )
}

/// What closing a position sends: `SELL 0.5 BTC/USDT at market on binance
/// for spot-a`.
pub fn close_words(p: &PositionRow) -> String {
    format!(
        "{} {} {} at market on {} for {}",
        p.side.opposite().as_str(),
        format::qty(p.qty),
        p.instrument,
        p.venue,
        p.account
    )
}

fn cancel_lines<'a>(o: &OrderRow, theme: &Theme) -> Vec<Line<'a>> {
    let price = match o.limit_price {
        Some(l) => format!("{} {}", o.order_type, l.normalize()),
        None => o.order_type.to_string(),
    };
    vec![
        Line::from(Span::styled(
            format!("Cancel order {}", order_words(o)),
            theme.bold(),
        )),
        Line::from(format!(
            "{price} · filled {} · {} · {}",
            format::qty(o.filled_qty),
            o.status,
            o.purpose
        )),
        Line::from("A fill that reaches the venue first still counts."),
        Line::from(""),
        Line::from(Span::styled("Send the cancel? (y/n)", theme.bold())),
    ]
}

fn close_lines<'a>(p: &PositionRow, theme: &Theme) -> Vec<Line<'a>> {
    let held = if p.side == Side::Buy { "LONG" } else { "SHORT" };
    vec![
        Line::from(Span::styled(
            format!(
                "Close {} {held} {} {}",
                p.account,
                format::qty(p.qty),
                p.instrument
            ),
            theme.bold(),
        )),
        Line::from(format!("sends: {}", close_words(p))),
        Line::from(format!(
            "avg {} · mark {} · uP&L {}",
            format::price(p.avg, p.dp),
            format::price(p.mark, p.dp),
            format::money(p.upnl)
        )),
        Line::from(format!(
            "Refused if the position is no longer {} {} when it arrives.",
            held,
            format::qty(p.qty)
        )),
        Line::from(""),
        Line::from(Span::styled("Close it at market? (y/n)", theme.bold())),
    ]
}

/// A bordered popup in the middle of `area`, as wide as its longest line
/// (wrapping on a narrow terminal, and growing to fit).
fn popup(f: &mut Frame, area: Rect, title: &str, lines: Vec<Line>, theme: &Theme) {
    let width = lines.iter().map(Line::width).max().unwrap_or(0) + 2;
    let inner = width.min(usize::from(area.width)).saturating_sub(2).max(1);
    let rows: usize = lines.iter().map(|l| l.width().max(1).div_ceil(inner)).sum();
    let w = u16::try_from(width).unwrap_or(u16::MAX).min(area.width);
    let h = u16::try_from(rows + 2).unwrap_or(u16::MAX).min(area.height);
    let [v] = Layout::vertical([Constraint::Length(h)])
        .flex(Flex::Center)
        .areas(area);
    let [r] = Layout::horizontal([Constraint::Length(w)])
        .flex(Flex::Center)
        .areas(v);
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title(Span::styled(title.to_string(), theme.bold()))),
        r,
    );
}

/// "Cancel order #12 …? (y/n)"
pub fn draw_cancel(f: &mut Frame, o: &OrderRow, theme: &Theme) {
    let area = f.area();
    popup(f, area, "Cancel order", cancel_lines(o, theme), theme);
}

/// "Close spot-a LONG 0.5 BTC/USDT …? (y/n)"
pub fn draw_close(f: &mut Frame, p: &PositionRow, theme: &Theme) {
    let area = f.area();
    popup(f, area, "Close position", close_lines(p, theme), theme);
}
