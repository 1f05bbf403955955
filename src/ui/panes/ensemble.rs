//! The Ensemble pane: each model's Beta for the selected opportunity's
//! instrument, the three ensembles (one per event: 5 minutes, 60 minutes,
//! 24 hours), and the Beta density of the one the selected opportunity
//! carries (binary: 5 minutes; otherwise 60). Beside each, when measured,
//! its Brier skill on data it never saw, marked ✓ when it meets the goal
//! (interval above zero, ECE ≤ 0.02, accuracy rising with decisiveness)
//! and ✗ when it does not.

use crate::app::AppState;
use crate::ui::theme::Theme;
use omni_core::ensemble::Horizon;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Color;
use ratatui::symbols;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Cell, Chart, Dataset, GraphType, Paragraph, Row, Table};
use statrs::distribution::{Beta, Continuous};

/// Points of the Beta(α, β) density around its mean (± 4 standard
/// deviations, inside [0, 1]), and the x range drawn.
pub fn density(alpha: f64, beta: f64, points: usize) -> (Vec<(f64, f64)>, [f64; 2]) {
    let Ok(dist) = Beta::new(alpha, beta) else {
        return (Vec::new(), [0.0, 1.0]);
    };
    let n = alpha + beta;
    let mean = alpha / n;
    let sd = (alpha * beta / (n * n * (n + 1.0))).sqrt();
    let lo = (mean - 4.0 * sd).max(0.0);
    let hi = (mean + 4.0 * sd).min(1.0);
    let pts = (0..=points)
        .map(|i| {
            let x = lo + (hi - lo) * i as f64 / points as f64;
            (x, dist.pdf(x.clamp(1e-9, 1.0 - 1e-9)))
        })
        .filter(|(_, y)| y.is_finite())
        .collect();
    (pts, [lo, hi])
}

pub fn draw(f: &mut Frame, area: Rect, app: &AppState, theme: &Theme) {
    let snap = &app.snapshot;
    let instrument = app.selected_row().map(|r| r.instrument).or_else(|| {
        snap.ensembles
            .iter()
            .find(|e| e.combined.iter().any(Option::is_some))
            .map(|e| e.instrument)
    });
    // The ensemble the selected opportunity carries, else the 60-minute one.
    let carried = app
        .selected_row()
        .and_then(|r| r.belief_horizon)
        .unwrap_or(Horizon::Medium);
    let row = instrument.and_then(|i| snap.ensembles.iter().find(|e| e.instrument == i));
    let block = crate::ui::pane_block(
        app,
        crate::app::Pane::Ensemble,
        Line::from(Span::styled("Ensemble", theme.bold())),
        theme,
    );
    let inner = block.inner(area);
    f.render_widget(block, area);
    let Some(row) = row else {
        f.render_widget(
            Paragraph::new(Span::styled("no model loaded or not warm yet", theme.dim())),
            inner,
        );
        return;
    };
    let name = snap
        .instruments
        .get(row.instrument.index())
        .cloned()
        .unwrap_or_default();
    let side_by_side = inner.width >= 70;
    // Every ensemble when there is room for them and a chart of 5 rows;
    // else only the one the selection carries, so the density stays.
    let ensembles = row.combined.iter().filter(|c| c.is_some()).count() as u16;
    let all_ensembles = side_by_side || inner.height >= 1 + 3 + ensembles + 5;
    let shown: Vec<Horizon> = Horizon::ALL
        .into_iter()
        .filter(|h| row.combined[h.index()].is_some() && (all_ensembles || *h == carried))
        .collect();
    let table_rows = 1 + 3 + shown.len() as u16;
    let (table_area, chart_area) = if side_by_side {
        let [a, b] = Layout::horizontal([Constraint::Length(60), Constraint::Min(10)]).areas(inner);
        (a, b)
    } else {
        let [a, b] =
            Layout::vertical([Constraint::Length(table_rows), Constraint::Min(0)]).areas(inner);
        (a, b)
    };

    // Narrow panes show α and β without decimals and leave the hit rate out.
    let narrow = table_area.width < 50;
    let num = |x: f64| {
        if narrow {
            format!("{x:.0}")
        } else {
            format!("{x:.1}")
        }
    };
    let label = |s: &'static str| match s {
        "medium" if narrow => "med",
        _ => s,
    };
    let ensemble_label = |h: Horizon| match (h, narrow) {
        (Horizon::Short, false) => "ens 5m",
        (Horizon::Medium, false) => "ens 60m",
        (Horizon::Long, false) => "ens 24h",
        (Horizon::Short, true) => "e5m",
        (Horizon::Medium, true) => "e60m",
        (Horizon::Long, true) => "e24h",
    };
    // The measured skill fits beside the numbers from 38 columns.
    let with_skill = !narrow || table_area.width >= 38;
    let skill = |s: Option<omni_core::ensemble::Skill>| match s {
        Some(s) if with_skill => Cell::from(skill_text(&s)).style(if s.meets_goal() {
            theme.fg(Color::Green)
        } else {
            theme.fg(Color::Yellow)
        }),
        _ => Cell::from(""),
    };
    let mut rows: Vec<Row> = Horizon::ALL
        .iter()
        .map(|h| match row.models[h.index()] {
            Some(m) => {
                let p = m.alpha / (m.alpha + m.beta);
                let mut cells = vec![
                    Cell::from(label(h.as_str())),
                    Cell::from(num(m.alpha)),
                    Cell::from(num(m.beta)),
                    Cell::from(format!("{p:.3}")),
                ];
                if !narrow {
                    cells.push(Cell::from(format!("{:.0}", m.alpha + m.beta)));
                    cells.push(Cell::from(format!("{:.0}%", m.hit_rate * 100.0)));
                }
                cells.push(skill(snap.model_skill[h.index()]));
                Row::new(cells)
            }
            // Across the α and β columns, which are at least 7 and 5 wide.
            None => Row::new(vec![
                Cell::from(label(h.as_str())),
                Cell::from("warming"),
                Cell::from("up"),
            ])
            .style(theme.dim()),
        })
        .collect();
    for h in shown {
        let Some(c) = row.combined[h.index()] else {
            continue;
        };
        let b = c.belief;
        let style = if h == carried {
            theme.bold()
        } else {
            theme.dim()
        };
        let mut cells = vec![
            Cell::from(ensemble_label(h)),
            Cell::from(num(b.alpha)),
            Cell::from(num(b.beta)),
            Cell::from(format!("{:.3}", b.probability())),
        ];
        if !narrow {
            cells.push(Cell::from(format!("{:.0}", b.concentration())));
            cells.push(Cell::from(format!("agr {:.2}", b.agreement)));
        }
        cells.push(skill(snap.ensemble_skill[h.index()]));
        rows.push(Row::new(cells).style(style));
    }
    let mut widths = if narrow {
        vec![
            Constraint::Length(8),
            Constraint::Length(7),
            Constraint::Length(6),
            Constraint::Length(5),
        ]
    } else {
        vec![
            Constraint::Length(9),
            Constraint::Length(7),
            Constraint::Length(7),
            Constraint::Length(6),
            Constraint::Length(6),
            Constraint::Length(9),
        ]
    };
    let mut header = if narrow {
        vec![name.as_str(), "α", "β", "P(up)"]
    } else {
        vec![name.as_str(), "α", "β", "P(up)", "α+β", "hit"]
    };
    if with_skill {
        widths.push(Constraint::Length(8));
        header.push("skill");
    }
    let table = Table::new(rows, widths).header(Row::new(header).style(theme.bold()));
    f.render_widget(table, table_area);

    if let Some(c) = row.combined[carried.index()]
        && chart_area.height >= 3
    {
        let (pts, [lo, hi]) = density(c.belief.alpha, c.belief.beta, 60);
        let ymax = pts.iter().map(|p| p.1).fold(0.0, f64::max).max(1e-9);
        let half = [(0.5, 0.0), (0.5, ymax)];
        let mut sets = vec![
            Dataset::default()
                .marker(symbols::Marker::Braille)
                .graph_type(GraphType::Line)
                .style(theme.fg(Color::Cyan))
                .data(&pts),
        ];
        if (lo..=hi).contains(&0.5) {
            sets.push(
                Dataset::default()
                    .marker(symbols::Marker::Braille)
                    .graph_type(GraphType::Line)
                    .style(theme.dim())
                    .data(&half),
            );
        }
        let chart = Chart::new(sets)
            .x_axis(Axis::default().bounds([lo, hi]).labels(vec![
                Line::from(format!("{lo:.3}")),
                Line::from(format!("{hi:.3}")),
            ]))
            .y_axis(Axis::default().bounds([0.0, ymax * 1.05]));
        f.render_widget(chart, chart_area);
    }
}

/// A measured skill in 8 columns: `+.0027✓`, `-.0136✗`.
pub fn skill_text(s: &omni_core::ensemble::Skill) -> String {
    let digits = format!("{:+.4}", s.brier_skill).replacen("0.", ".", 1);
    format!("{digits}{}", if s.meets_goal() { '✓' } else { '✗' })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_skill_says_its_sign_and_whether_it_meets_the_goal() {
        let s = |skill: f64, low: f64, ece: f64| omni_core::ensemble::Skill {
            n: 1,
            brier_skill: skill,
            skill_low: low,
            skill_high: skill + 0.001,
            ece,
            trend: 0.9,
        };
        assert_eq!(skill_text(&s(0.0027, 0.0015, 0.012)), "+.0027✓");
        assert_eq!(skill_text(&s(0.0052, 0.0022, 0.027)), "+.0052✗");
        assert_eq!(skill_text(&s(-0.0136, -0.02, 0.05)), "-.0136✗");
    }

    #[test]
    fn density_peaks_at_the_mode_and_integrates_to_one() {
        let (pts, [lo, hi]) = density(60.0, 40.0, 400);
        let peak = pts
            .iter()
            .cloned()
            .fold((0.0, 0.0), |a, b| if b.1 > a.1 { b } else { a });
        assert!((peak.0 - 59.0 / 98.0).abs() < 0.01, "{peak:?}");
        let dx = (hi - lo) / 400.0;
        let area: f64 = pts.iter().map(|p| p.1 * dx).sum();
        assert!((area - 1.0).abs() < 0.01, "{area}");
    }
}
