//! `[scanners.*]`: the four scanners' settings and their checks.

use crate::domain::{Catalog, Timeframe};
use crate::validation::{DAY_SECS, Invalid, WEEK_SECS, above, bad, range};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScannersConfig {
    pub arbitrage: ArbitrageScannerConfig,
    pub forex: ForexScannerConfig,
    pub binary: BinaryScannerConfig,
    pub triangular: TriangularScannerConfig,
}

/// Triangular arbitrage on one venue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TriangularScannerConfig {
    pub enabled: bool,
    /// Assets a cycle starts and ends in (an account's currency).
    pub start_assets: Vec<String>,
    /// Smallest net return (percent, after three taker fees) worth listing.
    pub min_net_pct: Decimal,
    /// How many cycles are kept, best first.
    pub top_n: usize,
    /// Seconds an opportunity waits for a decision.
    pub ttl_secs: i64,
    /// Quotes older than this (ms) are not used.
    pub max_quote_age_ms: i64,
    /// Share of the net return the three legs' limits may give up together
    /// to be filled (0 = limits at the seen prices; 0.5 keeps half the net
    /// return if every leg fills at its limit).
    pub leg_slack: Decimal,
    /// Auto policy: smallest net return approved, percent.
    pub auto_min_net_pct: Decimal,
    /// Auto policy: the risk score must be below this.
    pub auto_max_risk_score: u8,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArbitrageScannerConfig {
    pub enabled: bool,
    /// Smallest net edge (percent, after both taker fees) worth listing.
    pub min_net_pct: Decimal,
    /// How many arbitrage opportunities are kept, best first.
    pub top_n: usize,
    /// Seconds an opportunity waits for a decision.
    pub ttl_secs: i64,
    /// Quotes older than this (ms) are not used for arbitrage.
    pub max_quote_age_ms: i64,
    /// Share of the gross spread each leg's limit may give up to get filled
    /// (0 = limits at the seen prices; 0.25 keeps half the spread if both
    /// legs fill at their limits).
    pub leg_slack: Decimal,
    /// Auto policy: smallest net edge approved, percent.
    pub auto_min_net_pct: Decimal,
    /// Auto policy: the risk score must be below this.
    pub auto_max_risk_score: u8,
}

/// Forex technical scanner (RSI, SMA, ATR).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForexScannerConfig {
    pub enabled: bool,
    /// Bar timeframe the indicators run on: `M1`, `M5`, `M15`, `H1`, `H4`
    /// or `D1`; anything else is refused when the file is read.
    pub timeframe: Timeframe,
    /// RSI lookback, in bars of `timeframe`.
    pub rsi_period: usize,
    /// RSI below this is oversold (BUY side).
    pub rsi_oversold: f64,
    /// RSI above this is overbought (SELL side).
    pub rsi_overbought: f64,
    /// Fast SMA lookback, in bars of `timeframe`.
    pub sma_fast: usize,
    /// Slow SMA period (trend filter).
    pub sma_slow: usize,
    /// ATR lookback, in bars of `timeframe`.
    pub atr_period: usize,
    /// Stop-loss distance in ATRs.
    pub stop_atr: Decimal,
    /// Take-profit distance in ATRs.
    pub take_atr: Decimal,
    /// Seconds a signal waits for a decision.
    pub ttl_secs: i64,
    /// Instruments scanned; empty means every forex and metal instrument.
    pub instruments: Vec<String>,
    /// Auto policy: smallest calibrated expected result approved, in R
    /// (units of the risk to the stop), after the spread.
    pub auto_min_expected_r: f64,
}

/// Binary prediction scanner (momentum and volatility).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BinaryScannerConfig {
    pub enabled: bool,
    /// Seconds from purchase to settlement.
    pub expiry_secs: i64,
    /// Profit per unit staked on a win (0.85 = 85 %).
    pub payout: Decimal,
    /// Half-life of the drift and volatility estimates, seconds.
    pub halflife_secs: f64,
    /// One-second samples needed before predicting.
    pub min_samples: u32,
    /// Prior standard deviation of the drift, as a fraction of the
    /// per-second volatility: small values shrink noisy momentum toward zero.
    pub drift_prior_ratio: f64,
    /// Smallest probability of the chosen side worth listing.
    pub min_probability: f64,
    /// Seconds a prediction waits for a decision.
    pub ttl_secs: i64,
    /// Instruments scanned; empty means every instrument routed to binary.
    pub instruments: Vec<String>,
    /// Auto policy: smallest calibrated EV per unit staked approved.
    pub auto_min_expected_value: f64,
    /// Auto policy: only contracts with this expiry, seconds.
    pub auto_expiry_secs: i64,
}

/// Known instruments, and every number in its range: periods of 1 to 1000
/// bars (the fast average shorter than the slow), RSI levels in [0, 100]
/// (oversold below overbought), a leg slack in [0, 0.5), times to decide of
/// 1 s to a day, a binary expiry of 1 s to a week (so the expiry cannot wrap
/// into the past), a positive payout and probabilities the chosen side can
/// reach (0.5 to 1).
pub fn validate(scanners: &ScannersConfig, catalog: &Catalog) -> Result<(), Invalid> {
    validate_auto(scanners)?;
    let f = &scanners.forex;
    for (field, v) in [
        ("rsi_period", f.rsi_period),
        ("sma_fast", f.sma_fast),
        ("sma_slow", f.sma_slow),
        ("atr_period", f.atr_period),
    ] {
        range(format!("scanners.forex.{field}"), v, 1, 1_000)?;
    }
    if f.sma_fast >= f.sma_slow {
        return Err(bad(
            "scanners.forex.sma_fast",
            format!(
                "must be below sma_slow ({}), got {}",
                f.sma_slow, f.sma_fast
            ),
        )
        .because("scanners.forex.sma_slow"));
    }
    range("scanners.forex.rsi_oversold", f.rsi_oversold, 0.0, 100.0)?;
    range(
        "scanners.forex.rsi_overbought",
        f.rsi_overbought,
        0.0,
        100.0,
    )?;
    if f.rsi_oversold >= f.rsi_overbought {
        return Err(bad(
            "scanners.forex.rsi_overbought",
            format!(
                "must be above rsi_oversold ({}), got {}",
                f.rsi_oversold, f.rsi_overbought
            ),
        )
        .because("scanners.forex.rsi_oversold"));
    }
    let atrs = Decimal::ONE_HUNDRED;
    above("scanners.forex.stop_atr", f.stop_atr, Decimal::ZERO, atrs)?;
    above("scanners.forex.take_atr", f.take_atr, Decimal::ZERO, atrs)?;
    range("scanners.forex.ttl_secs", f.ttl_secs, 1, DAY_SECS)?;
    let a = &scanners.arbitrage;
    range(
        "scanners.arbitrage.min_net_pct",
        a.min_net_pct,
        Decimal::ZERO,
        Decimal::ONE_HUNDRED,
    )?;
    range("scanners.arbitrage.top_n", a.top_n, 1, 1_000)?;
    range("scanners.arbitrage.ttl_secs", a.ttl_secs, 1, DAY_SECS)?;
    range(
        "scanners.arbitrage.max_quote_age_ms",
        a.max_quote_age_ms,
        1,
        600_000,
    )?;
    let t = &scanners.triangular;
    range(
        "scanners.triangular.min_net_pct",
        t.min_net_pct,
        Decimal::ZERO,
        Decimal::ONE_HUNDRED,
    )?;
    range("scanners.triangular.top_n", t.top_n, 1, 1_000)?;
    range("scanners.triangular.ttl_secs", t.ttl_secs, 1, DAY_SECS)?;
    range(
        "scanners.triangular.max_quote_age_ms",
        t.max_quote_age_ms,
        1,
        600_000,
    )?;
    if t.leg_slack < Decimal::ZERO || t.leg_slack >= Decimal::ONE {
        return Err(bad(
            "scanners.triangular.leg_slack",
            format!("must be at least 0 and below 1, got {}", t.leg_slack),
        ));
    }
    if t.enabled && t.start_assets.is_empty() {
        return Err(bad(
            "scanners.triangular.start_assets",
            "needs at least one asset (such as \"USDT\") when the scanner is on",
        ));
    }
    for (j, asset) in t.start_assets.iter().enumerate() {
        if asset.is_empty() || asset.contains('/') {
            return Err(bad(
                format!("scanners.triangular.start_assets[{j}]"),
                format!("`{asset}` is not an asset name (one side of a pair, such as USDT)"),
            ));
        }
    }
    let b = &scanners.binary;
    range("scanners.binary.expiry_secs", b.expiry_secs, 1, WEEK_SECS)?;
    above(
        "scanners.binary.payout",
        b.payout,
        Decimal::ZERO,
        Decimal::TEN,
    )?;
    above(
        "scanners.binary.halflife_secs",
        b.halflife_secs,
        0.0,
        86_400.0,
    )?;
    range("scanners.binary.min_samples", b.min_samples, 2, 86_400)?;
    above(
        "scanners.binary.drift_prior_ratio",
        b.drift_prior_ratio,
        0.0,
        10.0,
    )?;
    range(
        "scanners.binary.min_probability",
        b.min_probability,
        0.5,
        1.0,
    )?;
    range("scanners.binary.ttl_secs", b.ttl_secs, 1, DAY_SECS)?;
    for (k, list) in [
        ("scanners.forex.instruments", &scanners.forex.instruments),
        ("scanners.binary.instruments", &scanners.binary.instruments),
    ] {
        for (j, name) in list.iter().enumerate() {
            if catalog.instrument_by_name(name).is_none() {
                return Err(
                    bad(format!("{k}[{j}]"), format!("unknown instrument `{name}`"))
                        .because("instruments"),
                );
            }
        }
    }
    if a.leg_slack < Decimal::ZERO || a.leg_slack >= Decimal::new(5, 1) {
        return Err(bad(
            "scanners.arbitrage.leg_slack",
            format!("must be at least 0 and below 0.5, got {}", a.leg_slack),
        ));
    }

    Ok(())
}

/// The auto policy's thresholds: an edge in [0, 100] percent, a risk score
/// the scanner can give (1 to 100), a confidence in [0, 1], a reward/risk
/// of at most 100, a probability the chosen side can reach (0.5 to 1) and an
/// expiry of 1 s to a week.
fn validate_auto(s: &ScannersConfig) -> Result<(), Invalid> {
    let (zero, hundred) = (Decimal::ZERO, Decimal::ONE_HUNDRED);
    let a = &s.arbitrage;
    range(
        "scanners.arbitrage.auto_min_net_pct",
        a.auto_min_net_pct,
        zero,
        hundred,
    )?;
    range(
        "scanners.arbitrage.auto_max_risk_score",
        a.auto_max_risk_score,
        1,
        100,
    )?;
    let t = &s.triangular;
    range(
        "scanners.triangular.auto_min_net_pct",
        t.auto_min_net_pct,
        zero,
        hundred,
    )?;
    range(
        "scanners.triangular.auto_max_risk_score",
        t.auto_max_risk_score,
        1,
        100,
    )?;
    let f = &s.forex;
    // A bar below 0 would let the auto policy take trades it expects to lose.
    range(
        "scanners.forex.auto_min_expected_r",
        f.auto_min_expected_r,
        0.0,
        100.0,
    )?;
    let b = &s.binary;
    range(
        "scanners.binary.auto_min_expected_value",
        b.auto_min_expected_value,
        0.0,
        100.0,
    )?;
    range(
        "scanners.binary.auto_expiry_secs",
        b.auto_expiry_secs,
        1,
        WEEK_SECS,
    )?;
    Ok(())
}
