//! `[scanners.*]`: the three scanners' settings and their checks.

use crate::domain::{Catalog, Timeframe};
use crate::validation::{Invalid, bad};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScannersConfig {
    pub arbitrage: ArbitrageScannerConfig,
    pub forex: ForexScannerConfig,
    pub binary: BinaryScannerConfig,
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
}

/// Periods of at least one bar, known instruments, a leg slack in [0, 0.5),
/// a positive binary expiry and payout.
pub fn validate(scanners: &ScannersConfig, catalog: &Catalog) -> Result<(), Invalid> {
    let f = &scanners.forex;
    for (field, v) in [
        ("rsi_period", f.rsi_period),
        ("sma_fast", f.sma_fast),
        ("sma_slow", f.sma_slow),
        ("atr_period", f.atr_period),
    ] {
        if v == 0 {
            return Err(bad(format!("scanners.forex.{field}"), "must be at least 1"));
        }
    }
    for (k, list) in [
        ("scanners.forex.instruments", &scanners.forex.instruments),
        ("scanners.binary.instruments", &scanners.binary.instruments),
    ] {
        for (j, name) in list.iter().enumerate() {
            if catalog.instrument_by_name(name).is_none() {
                return Err(bad(
                    format!("{k}[{j}]"),
                    format!("unknown instrument `{name}`"),
                ));
            }
        }
    }
    let a = &scanners.arbitrage;
    if a.leg_slack < Decimal::ZERO || a.leg_slack >= Decimal::new(5, 1) {
        return Err(bad("scanners.arbitrage.leg_slack", "must be in [0, 0.5)"));
    }
    let b = &scanners.binary;
    if b.expiry_secs <= 0 {
        return Err(bad("scanners.binary.expiry_secs", "must be positive"));
    }
    if b.payout <= Decimal::ZERO {
        return Err(bad("scanners.binary.payout", "must be positive"));
    }

    Ok(())
}
