//! Backtests on the very engine, gate, router and paper fill model that
//! trade in the cockpit: past data in (recorded feeds, or bar files by the
//! model in [`bars`]), the report a trader reads out ([`report`]), split by
//! time into folds (walk-forward) or run over a grid of configuration
//! values (sweeps).

pub mod bars;
pub mod metrics;
pub mod plot;
pub mod report;
pub mod run;

use crate::config::{ConfigOrigin, LoadedConfig, parse_str};
use omni_core::approval::config::ApprovalMode;
use omni_core::domain::Timestamp;
use report::Report;
use run::Input;
use serde::Serialize;

/// One fold of a walk-forward: its span and its figures.
#[derive(Clone, Debug, Serialize)]
pub struct Fold {
    pub from: String,
    pub to: String,
    pub total_return: f64,
    pub sharpe: f64,
    pub max_drawdown: f64,
    pub trades: usize,
    pub win_rate: f64,
    pub net_pnl: rust_decimal::Decimal,
    /// No market data fell in this fold: its figures are zeros.
    pub empty: bool,
}

/// The spread of the folds' figures.
#[derive(Clone, Debug, Serialize)]
pub struct FoldSpread {
    pub folds: Vec<Fold>,
    /// Min, median and max of each fold's total return.
    pub total_return: [f64; 3],
    pub sharpe: [f64; 3],
    /// Folds that made money.
    pub positive: usize,
}

/// Min, median (the mean of the middle two for an even count), max.
fn spread(mut v: Vec<f64>) -> [f64; 3] {
    if v.is_empty() {
        return [0.0; 3];
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let median = if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    };
    [v[0], median, v[n - 1]]
}

/// Splits `[from, to]` into `n` equal spans of time and runs each afresh
/// (a fresh engine, fresh accounts): each fold stands on its own.
pub fn walk_forward(
    loaded: &LoadedConfig,
    input: &Input,
    (from, to): (Timestamp, Timestamp),
    n: usize,
    mode: ApprovalMode,
    seed: u64,
) -> anyhow::Result<FoldSpread> {
    anyhow::ensure!(n >= 2, "--folds needs at least 2");
    let width = (to.nanos() - from.nanos()) / n as i64;
    anyhow::ensure!(width > 0, "the span is too short for {n} folds");
    let mut folds = Vec::with_capacity(n);
    for k in 0..n {
        let a = from.plus(width * k as i64);
        // Folds share no event: each ends a nanosecond before the next.
        let b = if k + 1 == n { to } else { a.plus(width - 1) };
        let o = match run::run(loaded, input, Some(a), Some(b), mode, seed) {
            Ok(o) => o,
            Err(e) if e.is::<run::NoData>() => {
                folds.push(Fold {
                    from: report::time(a),
                    to: report::time(b),
                    total_return: 0.0,
                    sharpe: 0.0,
                    max_drawdown: 0.0,
                    trades: 0,
                    win_rate: 0.0,
                    net_pnl: rust_decimal::Decimal::ZERO,
                    empty: true,
                });
                continue;
            }
            Err(e) => return Err(e),
        };
        let r = report::build(
            &loaded.catalog,
            report::Setup {
                input: String::new(),
                files: Vec::new(),
                approve: String::new(),
                seed,
            },
            &o,
        );
        folds.push(Fold {
            from: r.span.from,
            to: r.span.to,
            total_return: r.overall.returns.total_return,
            sharpe: r.overall.returns.sharpe,
            max_drawdown: r.overall.returns.max_drawdown,
            trades: r.overall.trades.trades,
            win_rate: r.overall.trades.win_rate,
            net_pnl: r.overall.trades.net_pnl,
            empty: false,
        });
    }
    let full = || folds.iter().filter(|f| !f.empty);
    Ok(FoldSpread {
        total_return: spread(full().map(|f| f.total_return).collect()),
        sharpe: spread(full().map(|f| f.sharpe).collect()),
        positive: folds.iter().filter(|f| f.total_return > 0.0).count(),
        folds,
    })
}

/// A `KEY=V1,V2,…` of `--sweep`.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepAxis {
    /// A dotted key into the configuration's tables (`risk.daily_loss_limit`).
    pub key: String,
    /// Each value as written (a TOML number).
    pub values: Vec<String>,
}

/// Parses `KEY=V1,V2,…`: each value must be a number.
pub fn parse_axis(arg: &str) -> anyhow::Result<SweepAxis> {
    let (key, values) = arg
        .split_once('=')
        .ok_or_else(|| anyhow::anyhow!("--sweep {arg}: expected KEY=V1,V2,… (for example scanners.forex.min_confidence=0.55,0.6)"))?;
    let values: Vec<String> = values.split(',').map(|v| v.trim().to_string()).collect();
    anyhow::ensure!(
        !key.trim().starts_with("market."),
        "{key}: the market section decides the input, which a sweep builds once; sweep settings of the engine, risk, scanners, paper broker or approval"
    );
    anyhow::ensure!(
        !key.trim().is_empty() && !values.is_empty(),
        "--sweep {arg}: expected KEY=V1,V2,…"
    );
    for v in &values {
        anyhow::ensure!(
            v.parse::<f64>().is_ok_and(f64::is_finite),
            "--sweep {arg}: `{v}` is not a number"
        );
    }
    Ok(SweepAxis {
        key: key.trim().to_string(),
        values,
    })
}

/// Every combination of the axes' values, first axis slowest.
pub fn grid(axes: &[SweepAxis]) -> Vec<Vec<(String, String)>> {
    let mut out: Vec<Vec<(String, String)>> = vec![Vec::new()];
    for a in axes {
        out = out
            .into_iter()
            .flat_map(|combo| {
                a.values.iter().map(move |v| {
                    let mut c = combo.clone();
                    c.push((a.key.clone(), v.clone()));
                    c
                })
            })
            .collect();
    }
    out
}

/// The configuration `base` (its file's text, "" for the built-in one)
/// with `sets` applied, validated as a file is: an unknown key or a value
/// out of range is refused with the key.
pub fn configure(
    base_text: &str,
    origin: &ConfigOrigin,
    base_dir: &std::path::Path,
    sets: &[(String, String)],
) -> anyhow::Result<LoadedConfig> {
    let mut table: toml::Table = toml::from_str(base_text)?;
    for (key, value) in sets {
        let parsed: toml::Table = toml::from_str(&format!("v = {value}"))
            .map_err(|e| anyhow::anyhow!("{key}={value}: {e}"))?;
        let v = parsed
            .get("v")
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("{key}={value}: no value"))?;
        let mut t = &mut table;
        let parts: Vec<&str> = key.split('.').collect();
        for p in &parts[..parts.len() - 1] {
            let entry = t
                .entry(p.to_string())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            t = entry.as_table_mut().ok_or_else(|| {
                anyhow::anyhow!(
                    "{key}: `{p}` is not a table of the configuration (a list such as `venues` cannot be set by key)"
                )
            })?;
        }
        t.insert(parts[parts.len() - 1].to_string(), v);
    }
    let text = toml::to_string(&table)?;
    parse_str(&text, origin.clone(), base_dir.to_path_buf()).map_err(|e| anyhow::anyhow!("{e}"))
}

/// One row of a sweep: its settings and its report's headline figures.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SweepRow {
    pub settings: Vec<(String, String)>,
    pub total_return: f64,
    pub sharpe: f64,
    pub sortino: Option<f64>,
    pub max_drawdown: f64,
    pub calmar: Option<f64>,
    pub trades: usize,
    pub win_rate: f64,
    pub profit_factor: Option<f64>,
    pub net_pnl: rust_decimal::Decimal,
}

impl SweepRow {
    pub fn of(settings: Vec<(String, String)>, r: &Report) -> Self {
        let (ret, tr) = (&r.overall.returns, &r.overall.trades);
        Self {
            settings,
            total_return: ret.total_return,
            sharpe: ret.sharpe,
            sortino: ret.sortino,
            max_drawdown: ret.max_drawdown,
            calmar: ret.calmar,
            trades: tr.trades,
            win_rate: tr.win_rate,
            profit_factor: tr.profit_factor,
            net_pnl: tr.net_pnl,
        }
    }

    /// The figure `--rank` names; higher is better (drawdown is negated).
    /// `Some(None)`: the figure is undefined for this row (no losing step
    /// for Sortino, no loss for profit factor, no annual return for
    /// Calmar), which ranks last; `None`: no such metric.
    pub fn metric(&self, name: &str) -> Option<Option<f64>> {
        Some(match name {
            "total_return" | "return" => Some(self.total_return),
            "sharpe" => Some(self.sharpe),
            "sortino" => self.sortino,
            "calmar" => self.calmar,
            "max_drawdown" | "drawdown" => Some(-self.max_drawdown),
            "win_rate" => Some(self.win_rate),
            "profit_factor" => self.profit_factor,
            "trades" => Some(self.trades as f64),
            _ => return None,
        })
    }
}

/// The metrics `--rank` accepts.
pub const RANK_METRICS: &str =
    "sharpe, sortino, calmar, total_return, max_drawdown, win_rate, profit_factor, trades";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sweep_axes_parse_and_make_a_grid() {
        let a = parse_axis("risk.daily_loss_limit=50,100").expect("axis");
        let b = parse_axis("scanners.forex.min_confidence=0.55, 0.6,0.65").expect("axis");
        let g = grid(&[a, b]);
        assert_eq!(g.len(), 6);
        assert_eq!(
            g[1],
            vec![
                ("risk.daily_loss_limit".to_string(), "50".to_string()),
                (
                    "scanners.forex.min_confidence".to_string(),
                    "0.6".to_string()
                )
            ]
        );
        assert!(parse_axis("risk.daily_loss_limit").is_err());
        let e = parse_axis("risk.x=1,abc")
            .expect_err("not a number")
            .to_string();
        assert!(e.contains("`abc` is not a number"), "{e}");
    }

    #[test]
    fn a_sweep_value_is_set_and_validated_as_a_file_is() {
        let here = std::path::Path::new(".");
        let c = configure(
            "",
            &ConfigOrigin::Defaults,
            here,
            &[("risk.daily_loss_limit".into(), "123".into())],
        )
        .expect("valid");
        assert_eq!(
            c.config.risk.daily_loss_limit,
            rust_decimal::Decimal::from(123)
        );
        let e = configure(
            "",
            &ConfigOrigin::Defaults,
            here,
            &[("risk.no_such_key".into(), "1".into())],
        )
        .map(|_| ())
        .expect_err("unknown")
        .to_string();
        assert!(e.contains("no_such_key"), "{e}");
    }

    #[test]
    fn spreads_are_min_median_max() {
        assert_eq!(spread(vec![3.0, 1.0, 2.0]), [1.0, 2.0, 3.0]);
        assert_eq!(spread(vec![4.0, 1.0]), [1.0, 2.5, 4.0]);
        assert_eq!(spread(vec![]), [0.0; 3]);
    }
}
