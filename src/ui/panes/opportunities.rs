//! The Opportunities pane: a ranked table per kind of opportunity, the gate's
//! verdict if approved now, and the numbers behind the selected row.

use crate::app::{AppState, Pane, layout};
use crate::ui::format;
use crate::ui::theme::Theme;
use omni_core::domain::OpportunityKind;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Color;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState, Tabs, Wrap};

pub fn draw(f: &mut Frame, area: Rect, app: &AppState, theme: &Theme) {
    let snap = app.opportunities();
    let title = if app.frozen.is_some() {
        Line::from(vec![
            Span::styled("Opportunities", theme.bold()),
            Span::styled(
                " FROZEN (Space)",
                theme.fg(Color::Yellow).patch(theme.bold()),
            ),
        ])
    } else {
        Line::from(Span::styled("Opportunities", theme.bold()))
    };
    let block = crate::ui::pane_block(app, Pane::Opportunities, title, theme);
    f.render_widget(block, area);
    let [tabs_area, table_area, detail_area] = layout::opportunities_parts(area);

    let titles: Vec<Line> = layout::tab_titles(app, tabs_area.width)
        .into_iter()
        .map(Line::from)
        .collect();
    let selected_tab = OpportunityKind::ALL
        .iter()
        .position(|k| *k == app.tab)
        .unwrap_or(0);
    f.render_widget(
        Tabs::new(titles)
            .select(selected_tab)
            .highlight_style(theme.selected().patch(theme.bold()))
            .divider("│"),
        tabs_area,
    );

    let rows = app.rows();
    let [first_col, edge_col, exp_col] = app.tab.columns();
    let narrow = table_area.width < 100;
    // Narrow panes keep the column the list is sorted by (the third: the
    // profit, the expected value) and leave out the second; the detail
    // line under the table has every number.
    let fixed: u16 = if narrow {
        6 + 8 + 10 + 12 + 4 + 5
    } else {
        7 + 10 + 18 + 11 + 13 + 5 + 6
    };
    let gate_w = usize::from(table_area.width.saturating_sub(fixed)).max(6);
    let table_rows = rows.iter().map(|r| {
        let gate = match &r.gate.refusal {
            None => Span::styled(
                format!("OK {}/{}", r.gate.approved, r.gate.total),
                theme.fg(Color::Green),
            ),
            Some((acct, reason, _)) => Span::styled(
                format::fit(
                    &format!(
                        "{}/{} ✗ {} ({acct})",
                        r.gate.approved,
                        r.gate.total,
                        reason.as_str()
                    ),
                    gate_w,
                ),
                theme.fg(Color::Red),
            ),
        };
        let [headline, edge, expected] = format::opportunity_columns(r, snap);
        let id = if r.auto_ok {
            // `A`: the auto policy would approve it as it stands.
            format!("{} A", r.id)
        } else {
            r.id.to_string()
        };
        let mut cells = vec![Cell::from(id), Cell::from(r.instrument_name.clone())];
        if narrow {
            cells.push(Cell::from(format::short_route(&headline)));
        } else {
            cells.push(Cell::from(headline));
            cells.push(Cell::from(edge));
        }
        cells.push(Cell::from(expected));
        cells.push(Cell::from(format!("{}s", r.ttl_secs)));
        cells.push(Cell::from(Line::from(gate)));
        Row::new(cells)
    });
    let (widths, header) = if narrow {
        (
            vec![
                Constraint::Length(6),
                Constraint::Length(8),
                Constraint::Length(10),
                Constraint::Length(12),
                Constraint::Length(4),
                Constraint::Min(6),
            ],
            vec!["#", "Instr.", first_col, exp_col, "TTL", "Gate"],
        )
    } else {
        (
            vec![
                Constraint::Length(7),
                Constraint::Length(10),
                Constraint::Length(18),
                Constraint::Length(11),
                Constraint::Length(13),
                Constraint::Length(5),
                Constraint::Min(10),
            ],
            vec![
                "#",
                "Instrument",
                first_col,
                edge_col,
                exp_col,
                "TTL",
                if gate_w >= 20 {
                    "Gate if approved now"
                } else {
                    "Gate"
                },
            ],
        )
    };
    let table = Table::new(table_rows, widths)
        .header(Row::new(header).style(theme.bold()))
        .row_highlight_style(theme.selected());
    // The offset the mouse's hit-test assumes (`layout::table_offset`).
    let visible = usize::from(table_area.height.saturating_sub(1));
    let mut state =
        TableState::default().with_offset(layout::table_offset(app.selected_index(), visible));
    state.select(app.selected_index());
    f.render_stateful_widget(table, table_area, &mut state);
    crate::ui::rows_shown(f, area, state.offset(), visible, rows.len(), theme);
    if rows.is_empty() {
        let empty = Paragraph::new(Span::styled(
            format!(
                "  no {} opportunity right now",
                app.tab.title().to_lowercase()
            ),
            theme.dim(),
        ));
        let mut a = table_area;
        a.y += 1;
        a.height = a.height.saturating_sub(1);
        f.render_widget(empty, a);
    }

    let detail = match app.selected_row() {
        Some(r) => {
            let mut spans = vec![Span::styled(format!("{} ", r.id), theme.bold())];
            // Why the gate would refuse matters more than the numbers: first.
            if let Some((acct, _, why)) = &r.gate.refusal {
                spans.push(Span::styled(
                    format!("✗ {acct}: {why} · "),
                    theme.fg(Color::Red),
                ));
            }
            if r.auto_ok {
                // Marked A in the list: the auto policy would approve it.
                spans.push(Span::raw("auto ✓ · "));
            }
            spans.push(Span::raw(format::opportunity_detail(r)));
            if let Some(b) = r.belief {
                spans.push(Span::raw(format!(
                    " · ensemble P(up) {:.3} α {:.0} β {:.0}",
                    b.probability(),
                    b.alpha,
                    b.beta
                )));
            }
            if let Some(record) = format::kind_record(r.kind, &app.snapshot) {
                spans.push(Span::styled(format!(" · {record}"), theme.dim()));
            }
            Line::from(spans)
        }
        None => match app.selected_id() {
            // The selection never jumps to another row: say it is gone.
            Some(id) => Line::from(Span::styled(
                format!(
                    "{id} is no longer listed (vanished, expired or decided) · j/k to pick another"
                ),
                theme.fg(Color::Yellow),
            )),
            None => {
                let hint = "a/Enter approve · r reject · Space freeze · Tab switch · ? help";
                Line::from(Span::styled(
                    match format::kind_record(app.tab, &app.snapshot) {
                        Some(record) => format!("{record} · {hint}"),
                        None => hint.to_string(),
                    },
                    theme.dim(),
                ))
            }
        },
    };
    f.render_widget(
        Paragraph::new(detail).wrap(Wrap { trim: true }),
        detail_area,
    );
}
