//! The figures of a backtest, from an equity curve sampled at a fixed step
//! and the list of closed trades. Every formula is written beside its
//! function and tested on a series small enough to compute by hand.
//!
//! Money (P&L, fees, equity) stays `Decimal`; ratios and statistics of
//! returns are `f64`, as they are estimates, not amounts.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;

/// Seconds in a year of 365 days: crypto trades every day, so returns are
/// annualised over calendar time.
pub const YEAR_SECS: f64 = 365.0 * 86_400.0;

/// Shortest span whose return is annualised: compounding a day's return
/// 365 times says nothing about a year.
pub const MIN_ANNUAL_SECS: f64 = 30.0 * 86_400.0;

/// One closed trade as the metrics read it.
#[derive(Clone, Debug, PartialEq)]
pub struct TradeOutcome {
    /// P&L after fees.
    pub pnl: Decimal,
    /// Fees paid on it.
    pub fees: Decimal,
    /// Notional traded on entry and exit together.
    pub turnover: Decimal,
}

/// Return figures of one equity curve.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ReturnFigures {
    pub start_equity: Decimal,
    pub end_equity: Decimal,
    /// end / start − 1.
    pub total_return: f64,
    /// (1 + total)^(year / span) − 1; `None` for a span under 30 days.
    pub annual_return: Option<f64>,
    /// Standard deviation of step returns × √(steps per year).
    pub volatility: f64,
    /// mean(step returns) / sd(step returns) × √(steps per year), risk-free 0.
    pub sharpe: f64,
    /// mean(step returns) / downside deviation × √(steps per year), where
    /// the downside deviation is √(mean(min(r, 0)²)) over every step;
    /// `None` when no step lost (unbounded for a rising curve, 0 / 0 for a
    /// flat one).
    pub sortino: Option<f64>,
    /// Largest fall from a running peak, as a share of the peak (0.1 = 10 %).
    pub max_drawdown: f64,
    /// Longest time below a running peak, seconds: from the peak to the
    /// first sample back at it (or to the end, if it never came back).
    pub max_drawdown_secs: i64,
    /// annual return / max drawdown (`None` without an annual return or
    /// without a drawdown).
    pub calmar: Option<f64>,
}

/// Trade figures of a list of closed trades.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TradeFigures {
    pub trades: usize,
    pub wins: usize,
    /// wins / trades.
    pub win_rate: f64,
    /// Σ winning P&L / |Σ losing P&L| (0 without a loss and without a win;
    /// `null` in JSON when there are wins and no loss: unbounded).
    pub profit_factor: Option<f64>,
    /// Σ P&L / trades.
    pub expectancy: Decimal,
    pub avg_win: Decimal,
    pub avg_loss: Decimal,
    pub net_pnl: Decimal,
    pub fees: Decimal,
    pub turnover: Decimal,
}

fn f(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

/// Figures of `equity`, sampled every `step_secs`.
pub fn returns(equity: &[Decimal], step_secs: i64) -> ReturnFigures {
    let (Some(&start), Some(&end)) = (equity.first(), equity.last()) else {
        return ReturnFigures::default();
    };
    let mut out = ReturnFigures {
        start_equity: start,
        end_equity: end,
        ..ReturnFigures::default()
    };
    if start <= Decimal::ZERO || equity.len() < 2 {
        return out;
    }
    out.total_return = f(end) / f(start) - 1.0;
    let span = (equity.len() - 1) as f64 * step_secs as f64;
    if span >= MIN_ANNUAL_SECS && out.total_return > -1.0 {
        out.annual_return = Some((1.0 + out.total_return).powf(YEAR_SECS / span) - 1.0);
    }
    let r: Vec<f64> = equity
        .windows(2)
        .map(|w| {
            let a = f(w[0]);
            if a > 0.0 { f(w[1]) / a - 1.0 } else { 0.0 }
        })
        .collect();
    let n = r.len() as f64;
    let mean = r.iter().sum::<f64>() / n;
    let var = if r.len() > 1 {
        r.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    let per_year = YEAR_SECS / step_secs as f64;
    let sd = var.sqrt();
    out.volatility = sd * per_year.sqrt();
    if sd > 0.0 {
        out.sharpe = mean / sd * per_year.sqrt();
    }
    let down = (r.iter().map(|x| x.min(0.0).powi(2)).sum::<f64>() / n).sqrt();
    if down > 0.0 {
        out.sortino = Some(mean / down * per_year.sqrt());
    }
    let (mut peak, mut peak_i) = (f(start), 0usize);
    let mut longest = 0usize;
    let mut under = false;
    for (i, e) in equity.iter().map(|e| f(*e)).enumerate() {
        if e >= peak {
            // Back at (or above) the peak: the time under water ends here.
            if under {
                longest = longest.max(i - peak_i);
                under = false;
            }
            peak = e;
            peak_i = i;
        } else {
            under = true;
            out.max_drawdown = out.max_drawdown.max(1.0 - e / peak);
        }
    }
    // Still under water at the end.
    if under {
        longest = longest.max(equity.len() - 1 - peak_i);
    }
    out.max_drawdown_secs = longest as i64 * step_secs;
    if out.max_drawdown > 0.0 {
        out.calmar = out.annual_return.map(|a| a / out.max_drawdown);
    }
    out
}

/// Figures of `trades`.
pub fn trades(trades: &[TradeOutcome]) -> TradeFigures {
    let mut out = TradeFigures {
        trades: trades.len(),
        ..TradeFigures::default()
    };
    if trades.is_empty() {
        return out;
    }
    let (mut won, mut lost, mut losses) = (Decimal::ZERO, Decimal::ZERO, 0usize);
    for t in trades {
        out.net_pnl += t.pnl;
        out.fees += t.fees;
        out.turnover += t.turnover;
        if t.pnl > Decimal::ZERO {
            out.wins += 1;
            won += t.pnl;
        } else if t.pnl < Decimal::ZERO {
            losses += 1;
            lost += t.pnl;
        }
    }
    out.win_rate = out.wins as f64 / trades.len() as f64;
    out.profit_factor = if lost < Decimal::ZERO {
        Some(f(won) / f(-lost))
    } else if won > Decimal::ZERO {
        None
    } else {
        Some(0.0)
    };
    out.expectancy = out.net_pnl / Decimal::from(trades.len());
    if out.wins > 0 {
        out.avg_win = won / Decimal::from(out.wins);
    }
    if losses > 0 {
        out.avg_loss = lost / Decimal::from(losses);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn return_figures_of_a_hand_computed_series() {
        // 100 → 110 → 99 → 121, one step every ten days.
        let eq = [dec!(100), dec!(110), dec!(99), dec!(121)];
        let r = returns(&eq, 10 * 86_400);
        assert!(close(r.total_return, 0.21));
        // Step returns: +0.1, −0.1, +(121/99 − 1) = 0.2222…
        let rs = [0.1, -0.1, 121.0 / 99.0 - 1.0];
        let mean = rs.iter().sum::<f64>() / 3.0;
        let sd = (rs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 2.0).sqrt();
        let per_year: f64 = 36.5;
        assert!(close(r.volatility, sd * per_year.sqrt()));
        assert!(close(r.sharpe, mean / sd * per_year.sqrt()));
        let down = (0.01f64 / 3.0).sqrt();
        assert!(close(
            r.sortino.expect("a losing step"),
            mean / down * per_year.sqrt()
        ));
        // Peak 110, trough 99: 10 %, from the peak (step 1) to the new
        // high (step 3).
        assert!(close(r.max_drawdown, 0.1));
        assert_eq!(r.max_drawdown_secs, 2 * 10 * 86_400);
        // Thirty days: (1.21)^(365/30) − 1.
        let annual = r.annual_return.expect("30 days are annualised");
        assert!(close(annual, 1.21f64.powf(365.0 / 30.0) - 1.0));
        assert!(close(r.calmar.expect("a drawdown") / (annual / 0.1), 1.0));
    }

    #[test]
    fn a_span_under_a_month_is_not_annualised_and_a_flat_curve_has_no_ratios() {
        let r = returns(&[dec!(100), dec!(101)], 29 * 86_400);
        assert!(close(r.total_return, 0.01));
        assert_eq!((r.annual_return, r.calmar), (None, None));
        let flat = returns(&[dec!(50); 5], 60);
        assert_eq!(
            (flat.total_return, flat.sharpe, flat.max_drawdown),
            (0.0, 0.0, 0.0)
        );
        assert_eq!(flat.sortino, None);
        assert_eq!(returns(&[], 60), ReturnFigures::default());
    }

    #[test]
    fn the_longest_drawdown_counts_until_a_new_peak() {
        let eq = [
            dec!(10),
            dec!(9),
            dec!(8),
            dec!(9.5),
            dec!(10),
            dec!(7),
            dec!(11),
        ];
        let r = returns(&eq, 60);
        // 10 → 8 is 20 %; 10 → 7 is 30 %. Under water from step 0 to its
        // recovery at step 4 (4 steps), then from step 4 to step 6 (2).
        assert!(close(r.max_drawdown, 0.3));
        assert_eq!(r.max_drawdown_secs, 4 * 60);
        // 10, 9, 10: one step down, back at the second step.
        assert_eq!(
            returns(&[dec!(10), dec!(9), dec!(10)], 60).max_drawdown_secs,
            120
        );
        // Never back: to the end.
        assert_eq!(
            returns(&[dec!(10), dec!(9), dec!(9.5)], 60).max_drawdown_secs,
            120
        );
        // A flat curve is never under water.
        assert_eq!(returns(&[dec!(5); 4], 60).max_drawdown_secs, 0);
        // A curve that never loses has no Sortino.
        assert_eq!(returns(&[dec!(1), dec!(2), dec!(3)], 60).sortino, None);
    }

    fn t(pnl: Decimal) -> TradeOutcome {
        TradeOutcome {
            pnl,
            fees: dec!(0.5),
            turnover: dec!(100),
        }
    }

    #[test]
    fn trade_figures_of_a_hand_computed_list() {
        let list = [
            t(dec!(10)),
            t(dec!(-4)),
            t(dec!(6)),
            t(dec!(-2)),
            t(dec!(0)),
        ];
        let f = trades(&list);
        assert_eq!((f.trades, f.wins), (5, 2));
        assert!(close(f.win_rate, 0.4));
        // 16 won, 6 lost.
        assert!(close(f.profit_factor.expect("finite"), 16.0 / 6.0));
        assert_eq!(f.expectancy, dec!(2));
        assert_eq!(f.avg_win, dec!(8));
        assert_eq!(f.avg_loss, dec!(-3));
        assert_eq!(f.net_pnl, dec!(10));
        assert_eq!(f.fees, dec!(2.5));
        assert_eq!(f.turnover, dec!(500));
        // Wins and no loss: unbounded.
        assert_eq!(trades(&[t(dec!(1))]).profit_factor, None);
        assert_eq!(trades(&[]), TradeFigures::default());
    }
}
