//! Simple moving average over the last `n` values.

/// Streaming SMA: O(1) per update with a ring buffer and a running sum.
#[derive(Clone, Debug)]
pub struct Sma {
    window: Vec<f64>,
    next: usize,
    filled: usize,
    sum: f64,
}

impl Sma {
    /// An SMA of `period` values (at least 1).
    pub fn new(period: usize) -> Self {
        Self {
            window: vec![0.0; period.max(1)],
            next: 0,
            filled: 0,
            sum: 0.0,
        }
    }

    /// Adds a value; returns the average once `period` values have been seen.
    pub fn update(&mut self, x: f64) -> Option<f64> {
        let n = self.window.len();
        self.sum += x - self.window[self.next];
        self.window[self.next] = x;
        self.next += 1;
        if self.next == n {
            self.next = 0;
            // Re-sum once per lap so rounding error cannot accumulate; O(1) amortised.
            self.sum = self.window.iter().sum();
        }
        self.filled = (self.filled + 1).min(n);
        self.value()
    }

    /// The current average, once warm.
    pub fn value(&self) -> Option<f64> {
        (self.filled == self.window.len()).then(|| self.sum / self.window.len() as f64)
    }

    pub fn period(&self) -> usize {
        self.window.len()
    }
}
