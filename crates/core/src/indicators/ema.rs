//! Exponential moving average.

/// Streaming EMA with the usual `k = 2 / (n + 1)`, seeded by the first value.
#[derive(Clone, Debug)]
pub struct Ema {
    k: f64,
    value: Option<f64>,
}

impl Ema {
    /// An EMA over `period` values.
    pub fn new(period: usize) -> Self {
        Self {
            k: 2.0 / (period.max(1) as f64 + 1.0),
            value: None,
        }
    }

    /// Adds a value; returns the average.
    pub fn update(&mut self, x: f64) -> f64 {
        let v = match self.value {
            Some(v) => v + self.k * (x - v),
            None => x,
        };
        self.value = Some(v);
        v
    }

    /// The current average; `None` before the first value.
    pub fn value(&self) -> Option<f64> {
        self.value
    }
}
