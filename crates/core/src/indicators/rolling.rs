//! Rolling mean and standard deviation over the last `n` values.

/// O(1) rolling mean and population standard deviation (running sums,
/// re-summed once per lap so rounding cannot drift).
#[derive(Clone, Debug)]
pub struct RollingStats {
    window: Vec<f64>,
    next: usize,
    filled: usize,
    sum: f64,
    sum_sq: f64,
}

impl RollingStats {
    /// Stats over `period` values.
    pub fn new(period: usize) -> Self {
        Self {
            window: vec![0.0; period.max(1)],
            next: 0,
            filled: 0,
            sum: 0.0,
            sum_sq: 0.0,
        }
    }

    /// Adds a value, replacing the oldest once the window is full.
    pub fn update(&mut self, x: f64) {
        let old = self.window[self.next];
        self.sum += x - old;
        self.sum_sq += x * x - old * old;
        self.window[self.next] = x;
        self.next += 1;
        if self.next == self.window.len() {
            self.next = 0;
            self.sum = self.window.iter().sum();
            self.sum_sq = self.window.iter().map(|v| v * v).sum();
        }
        self.filled = (self.filled + 1).min(self.window.len());
    }

    /// True once `period` values are in.
    pub fn is_full(&self) -> bool {
        self.filled == self.window.len()
    }

    /// Mean of the values in the window.
    pub fn mean(&self) -> f64 {
        if self.filled == 0 {
            0.0
        } else {
            self.sum / self.filled as f64
        }
    }

    /// Population standard deviation of the values in the window.
    pub fn std(&self) -> f64 {
        if self.filled == 0 {
            return 0.0;
        }
        let n = self.filled as f64;
        let m = self.sum / n;
        (self.sum_sq / n - m * m).max(0.0).sqrt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_a_direct_computation() {
        let xs: Vec<f64> = (0..100)
            .map(|i| ((i * 37) % 11) as f64 * 0.5 + 100.0)
            .collect();
        let mut r = RollingStats::new(20);
        for (i, &x) in xs.iter().enumerate() {
            r.update(x);
            if i >= 19 {
                let w = &xs[i - 19..=i];
                let m = w.iter().sum::<f64>() / 20.0;
                let s = (w.iter().map(|v| (v - m).powi(2)).sum::<f64>() / 20.0).sqrt();
                assert!((r.mean() - m).abs() < 1e-9 && (r.std() - s).abs() < 1e-9);
            }
        }
    }
}
