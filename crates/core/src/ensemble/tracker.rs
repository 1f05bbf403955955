//! The ensemble of one instrument, fed bar by bar: the same code serves the
//! live engine and the evaluation.

use super::ModelSet;
use super::combiner::{Combined, Context, combine};
use super::model::{BetaOut, Horizon};
use crate::domain::{Timeframe, Timestamp};
use crate::features::{BarInput, FeatureExtractor};
use std::collections::VecDeque;

const REGIME_BARS: usize = 24;

#[derive(Clone, Copy, Debug)]
struct Pending {
    due: u64,
    close: f64,
    up: bool,
}

/// One model's latest output.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Reading {
    pub out: BetaOut,
    /// Close time of the bar it was made on.
    pub at: Timestamp,
}

/// The ensemble state of one instrument.
#[derive(Clone, Debug)]
pub struct EnsembleTracker {
    extractors: [FeatureExtractor; 3],
    readings: [Option<Reading>; 3],
    bars: [u64; 3],
    pending: [VecDeque<Pending>; 3],
    hit_rates: [f64; 3],
    closes: VecDeque<f64>,
    var_fast: f64,
    var_slow: f64,
    combined: Option<Combined>,
    newest: Timestamp,
}

impl Default for EnsembleTracker {
    fn default() -> Self {
        Self::new()
    }
}

/// Half-life, in resolved forecasts, of each model's hit rate.
const HIT_HALFLIFE: f64 = 50.0;

impl EnsembleTracker {
    /// A tracker with no history.
    pub fn new() -> Self {
        Self {
            extractors: Default::default(),
            readings: [None; 3],
            bars: [0; 3],
            pending: Default::default(),
            hit_rates: [0.5; 3],
            closes: VecDeque::with_capacity(REGIME_BARS + 1),
            var_fast: 0.0,
            var_slow: 0.0,
            combined: None,
            newest: Timestamp(i64::MIN),
        }
    }

    /// Feeds a completed bar of any timeframe. Returns the model that made a
    /// new forecast, if any. Bars must come in close-time order, finer
    /// timeframes first on ties.
    pub fn on_bar(&mut self, models: &ModelSet, tf: Timeframe, bar: &BarInput) -> Option<Horizon> {
        if bar.close_ts > self.newest {
            self.newest = bar.close_ts;
        }
        if tf == Horizon::Medium.timeframe() {
            self.update_regime(bar.close);
        }
        let h = Horizon::ALL.into_iter().find(|h| h.timeframe() == tf)?;
        let i = h.index();
        let features = self.extractors[i].update(bar);
        self.bars[i] += 1;
        let n = self.bars[i];
        let lambda = 0.5f64.powf(1.0 / HIT_HALFLIFE);
        while self.pending[i].front().is_some_and(|p| p.due <= n) {
            if let Some(p) = self.pending[i].pop_front() {
                let hit = (bar.close > p.close) == p.up;
                self.hit_rates[i] =
                    lambda * self.hit_rates[i] + (1.0 - lambda) * f64::from(u8::from(hit));
            }
        }
        let model = models.get(h)?;
        let out = model.predict(&features?);
        self.readings[i] = Some(Reading {
            out,
            at: bar.close_ts,
        });
        self.pending[i].push_back(Pending {
            due: n + h.horizon_bars() as u64,
            close: bar.close,
            up: out.probability() >= 0.5,
        });
        self.recombine();
        Some(h)
    }

    fn update_regime(&mut self, close: f64) {
        if let Some(&prev) = self.closes.back()
            && prev > 0.0
            && close > 0.0
        {
            let r = (close / prev).ln();
            // Half-lives of 6 and 48 medium bars (30 minutes, 4 hours).
            self.var_fast = 0.891 * self.var_fast + 0.109 * r * r;
            self.var_slow = 0.9857 * self.var_slow + 0.0143 * r * r;
        }
        self.closes.push_back(close);
        if self.closes.len() > REGIME_BARS + 1 {
            self.closes.pop_front();
        }
    }

    fn context(&self) -> Context {
        let efficiency = (self.closes.len() == REGIME_BARS + 1).then(|| {
            let first = self.closes.front().copied().unwrap_or(0.0);
            let last = self.closes.back().copied().unwrap_or(0.0);
            let path: f64 = self
                .closes
                .iter()
                .zip(self.closes.iter().skip(1))
                .map(|(a, b)| (b - a).abs())
                .sum();
            if path > 0.0 {
                (last - first).abs() / path
            } else {
                0.0
            }
        });
        let vol_ratio = (self.var_slow > 0.0).then(|| (self.var_fast / self.var_slow).sqrt());
        Context {
            hit_rates: self.hit_rates,
            efficiency,
            vol_ratio,
        }
    }

    fn recombine(&mut self) {
        // A forecast older than its own horizon no longer speaks for now.
        let fresh: [Option<BetaOut>; 3] = std::array::from_fn(|i| {
            let h = Horizon::ALL[i];
            let span = h.horizon_bars() as i64 * h.timeframe().nanos();
            self.readings[i]
                .filter(|r| self.newest.since(r.at) <= span)
                .map(|r| r.out)
        });
        self.combined = combine(&fresh, &self.context());
    }

    /// The ensemble's current belief.
    pub fn combined(&self) -> Option<&Combined> {
        self.combined.as_ref()
    }

    /// Each model's latest reading.
    pub fn readings(&self) -> &[Option<Reading>; 3] {
        &self.readings
    }

    /// Each model's recent hit rate.
    pub fn hit_rates(&self) -> [f64; 3] {
        self.hit_rates
    }
}
