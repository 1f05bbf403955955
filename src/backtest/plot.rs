//! `--plot FILE`: the equity and drawdown curves as an SVG image, drawn
//! with plotters, for sharing.

use super::report::Report;
use plotters::prelude::*;
use rust_decimal::prelude::ToPrimitive;
use std::path::Path;

/// Writes `r`'s total equity (top) and drawdown (bottom) against days
/// since the start.
pub fn svg(r: &Report, path: &Path) -> anyhow::Result<()> {
    let eq: Vec<f64> = r
        .equity_curve
        .iter()
        .map(|(_, e)| e.to_f64().unwrap_or(0.0))
        .collect();
    anyhow::ensure!(!eq.is_empty(), "nothing to plot: the run has no sample");
    let step_days = r.span.step_secs as f64 / 86_400.0;
    let days = (eq.len().saturating_sub(1)) as f64 * step_days;
    let mut peak = f64::MIN;
    let dd: Vec<f64> = eq
        .iter()
        .map(|e| {
            peak = peak.max(*e);
            if peak > 0.0 {
                (e / peak - 1.0) * 100.0
            } else {
                0.0
            }
        })
        .collect();
    let (lo, hi) = eq
        .iter()
        .fold((f64::MAX, f64::MIN), |(l, h), v| (l.min(*v), h.max(*v)));
    let pad = ((hi - lo) * 0.05).max(hi.abs() * 1e-6).max(1e-9);
    let worst = dd.iter().copied().fold(0.0, f64::min).min(-1e-6);
    let x_max = days.max(step_days);

    let root = SVGBackend::new(path, (1000, 640)).into_drawing_area();
    let err = |e: DrawingAreaErrorKind<std::io::Error>| anyhow::anyhow!("{}: {e}", path.display());
    root.fill(&WHITE).map_err(err)?;
    let (top, bottom) = root.split_vertically(420);
    let mut c = ChartBuilder::on(&top)
        .caption(
            format!("Equity, all accounts ({} → {})", r.span.from, r.span.to),
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(28)
        .y_label_area_size(80)
        .build_cartesian_2d(0f64..x_max, (lo - pad)..(hi + pad))
        .map_err(err)?;
    c.configure_mesh().x_desc("days").draw().map_err(err)?;
    c.draw_series(LineSeries::new(
        eq.iter()
            .enumerate()
            .map(|(i, v)| (i as f64 * step_days, *v)),
        &BLUE,
    ))
    .map_err(err)?;
    let mut d = ChartBuilder::on(&bottom)
        .caption("Drawdown, %", ("sans-serif", 16))
        .margin(12)
        .x_label_area_size(28)
        .y_label_area_size(80)
        .build_cartesian_2d(0f64..x_max, (worst * 1.05)..0f64)
        .map_err(err)?;
    d.configure_mesh().x_desc("days").draw().map_err(err)?;
    d.draw_series(AreaSeries::new(
        dd.iter()
            .enumerate()
            .map(|(i, v)| (i as f64 * step_days, *v)),
        0.0,
        RED.mix(0.3),
    ))
    .map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}
