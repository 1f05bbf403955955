//! The ensemble of one instrument, fed bar by bar: the same code serves the
//! live engine and the evaluation.

use super::ModelSet;
use super::combiner::{Combined, combine};
use super::model::{BetaOut, Horizon};
use crate::domain::{Timeframe, Timestamp};
use crate::features::{BarContext, BarInput, FeatureExtractor};
use std::collections::VecDeque;

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
    /// How many of the model's features lacked their inputs at that bar
    /// (another venue not quoting, no taker flow, no book) and were read
    /// as their training means.
    pub missing: usize,
}

/// The ensemble state of one instrument.
#[derive(Clone, Debug)]
pub struct EnsembleTracker {
    extractors: [FeatureExtractor; 3],
    readings: [Option<Reading>; 3],
    bars: [u64; 3],
    pending: [VecDeque<Pending>; 3],
    hit_rates: [f64; 3],
    /// One ensemble per target horizon.
    combined: [Option<Combined>; 3],
    newest: Timestamp,
    flow: [super::flow::TradeFlow; 3],
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
            combined: [None; 3],
            newest: Timestamp(i64::MIN),
            flow: Horizon::ALL.map(|h| super::flow::TradeFlow::new(h.timeframe())),
        }
    }

    /// Feeds a completed bar of any timeframe. Returns the model that made a
    /// new forecast, if any. Bars must come in close-time order, finer
    /// timeframes first on ties.
    pub fn on_bar(&mut self, models: &ModelSet, tf: Timeframe, bar: &BarInput) -> Option<Horizon> {
        self.on_bar_with(models, tf, bar, &BarContext::default())
    }

    /// A trade on the instrument's primary venue: `buy` when the taker
    /// bought. Counted toward the taker share of the bar it falls in.
    pub fn on_trade(&mut self, ts: Timestamp, qty: f64, buy: bool) {
        for f in &mut self.flow {
            f.add(ts, qty, buy);
        }
    }

    /// Share of a bar's traded quantity that takers bought, from the
    /// trades seen by [`EnsembleTracker::on_trade`]; `None` when none were
    /// seen in that bar.
    pub fn taker_buy_share(&self, tf: Timeframe, open_ts: Timestamp) -> Option<f64> {
        let h = Horizon::ALL.into_iter().find(|h| h.timeframe() == tf)?;
        self.flow[h.index()].share(open_ts)
    }

    /// [`EnsembleTracker::on_bar`] with what was known at the bar's close
    /// besides the bar (other venues, the taker flow, the book).
    pub fn on_bar_with(
        &mut self,
        models: &ModelSet,
        tf: Timeframe,
        bar: &BarInput,
        ctx: &BarContext,
    ) -> Option<Horizon> {
        if bar.close_ts > self.newest {
            self.newest = bar.close_ts;
        }
        let h = Horizon::ALL.into_iter().find(|h| h.timeframe() == tf)?;
        let i = h.index();
        let features = self.extractors[i].update_with(bar, ctx);
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
        let (out, missing) = model.predict_counting(&features?);
        self.readings[i] = Some(Reading {
            out,
            at: bar.close_ts,
            missing,
        });
        self.pending[i].push_back(Pending {
            due: n + h.horizon_bars() as u64,
            close: bar.close,
            up: out.probability() >= 0.5,
        });
        self.recombine(models);
        Some(h)
    }

    fn recombine(&mut self, models: &ModelSet) {
        let fresh = self.fresh_readings();
        self.combined = Horizon::ALL.map(|t| combine(&fresh, models.stacking().stack(t)));
    }

    /// Each model's reading if it is fresh: a forecast older than its own
    /// horizon no longer speaks for now. The ensembles combine these (and
    /// the stacking is fitted on them).
    pub fn fresh_readings(&self) -> [Option<BetaOut>; 3] {
        std::array::from_fn(|i| {
            let h = Horizon::ALL[i];
            let span = h.horizon_bars() as i64 * h.timeframe().nanos();
            self.readings[i]
                .filter(|r| self.newest.since(r.at) <= span)
                .map(|r| r.out)
        })
    }

    /// The ensemble of one target horizon, when a model it weighs has a
    /// fresh reading.
    pub fn combined(&self, target: Horizon) -> Option<&Combined> {
        self.combined[target.index()].as_ref()
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
