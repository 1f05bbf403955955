//! Figures the engine thread measures for the metrics endpoint that the
//! snapshot does not carry: how long the engine takes per event (a
//! histogram filled by a [`ProcessProbe`]), the alerts raised and the
//! webhook's deliveries. Written by the engine thread, read by the API;
//! atomics, so neither waits on the other.

use omni_core::driver::ProcessProbe;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Upper bounds of the latency buckets, in nanoseconds (1 µs to 10 ms);
/// one more bucket counts everything slower.
pub const LATENCY_BOUNDS_NS: [u64; 12] = [
    1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000,
    10_000_000,
];

/// A latency histogram with fixed buckets, as Prometheus reads one.
#[derive(Debug, Default)]
pub struct LatencyHistogram {
    /// Per bucket (not cumulative); the last is above every bound.
    buckets: [AtomicU64; LATENCY_BOUNDS_NS.len() + 1],
    sum_ns: AtomicU64,
}

impl LatencyHistogram {
    /// Counts one observation.
    pub fn observe(&self, ns: u64) {
        let i = LATENCY_BOUNDS_NS
            .iter()
            .position(|&b| ns <= b)
            .unwrap_or(LATENCY_BOUNDS_NS.len());
        self.buckets[i].fetch_add(1, Ordering::Relaxed);
        self.sum_ns.fetch_add(ns, Ordering::Relaxed);
    }

    /// Cumulative counts per bound (`le`), then the total, the sum in
    /// nanoseconds and the count.
    pub fn read(&self) -> (Vec<(u64, u64)>, u64, u64) {
        let mut total = 0;
        let mut out = Vec::with_capacity(LATENCY_BOUNDS_NS.len());
        for (b, n) in LATENCY_BOUNDS_NS.iter().zip(&self.buckets) {
            total += n.load(Ordering::Relaxed);
            out.push((*b, total));
        }
        // The count is the buckets' own total, so `+Inf` is never below a
        // bound even when an observation lands between the reads.
        let count = total + self.buckets[LATENCY_BOUNDS_NS.len()].load(Ordering::Relaxed);
        (out, self.sum_ns.load(Ordering::Relaxed), count)
    }
}

/// What the engine thread shares with the control API.
#[derive(Debug, Default)]
pub struct EngineMetrics {
    /// Time the engine spends on each market event.
    pub latency: LatencyHistogram,
    /// Alerts raised, by rule.
    pub alerts: Mutex<BTreeMap<&'static str, u64>>,
    /// Alerts the webhook accepted (2xx).
    pub webhook_sent: AtomicU64,
    /// Alerts the webhook did not accept (error status, no answer).
    pub webhook_failed: AtomicU64,
}

impl EngineMetrics {
    /// Counts an alert of `rule`.
    pub fn alert(&self, rule: &'static str) {
        // A poisoned lock means a reader panicked mid-read; the counts
        // themselves are intact.
        let mut m = self.alerts.lock().unwrap_or_else(|p| p.into_inner());
        *m.entry(rule).or_insert(0) += 1;
    }

    /// Alerts raised so far, by rule.
    pub fn alerts(&self) -> BTreeMap<&'static str, u64> {
        self.alerts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// Times each market event the engine processes into the histogram.
pub struct LatencyProbe {
    metrics: Arc<EngineMetrics>,
    started: Option<Instant>,
}

impl LatencyProbe {
    pub fn new(metrics: Arc<EngineMetrics>) -> Self {
        Self {
            metrics,
            started: None,
        }
    }
}

impl ProcessProbe for LatencyProbe {
    fn before(&mut self) {
        self.started = Some(Instant::now());
    }

    fn after(&mut self, market: bool, _orders: bool) {
        if let Some(t) = self.started.take()
            && market
        {
            let ns = u64::try_from(t.elapsed().as_nanos()).unwrap_or(u64::MAX);
            self.metrics.latency.observe(ns);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_cumulative_with_everything_slower_in_the_count() {
        let h = LatencyHistogram::default();
        for ns in [500, 1_000, 1_001, 40_000, 20_000_000] {
            h.observe(ns);
        }
        let (buckets, sum, count) = h.read();
        assert_eq!(buckets[0], (1_000, 2));
        assert_eq!(buckets[1], (2_500, 3));
        assert_eq!(buckets[5], (50_000, 4));
        assert_eq!(buckets.last(), Some(&(10_000_000, 4)));
        assert_eq!(count, 5);
        assert_eq!(sum, 500 + 1_000 + 1_001 + 40_000 + 20_000_000);
    }
}
