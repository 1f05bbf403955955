//! Wilder's average true range.

/// Streaming ATR: true range = max(high − low, |high − prev close|,
/// |low − prev close|); Wilder's smoothing after a simple-mean seed.
#[derive(Clone, Debug)]
pub struct Atr {
    period: usize,
    prev_close: Option<f64>,
    seen: usize,
    atr: f64,
}

impl Atr {
    /// An ATR over `period` bars (at least 1).
    pub fn new(period: usize) -> Self {
        Self {
            period: period.max(1),
            prev_close: None,
            seen: 0,
            atr: 0.0,
        }
    }

    /// Adds a bar; returns the ATR once `period` bars are seen.
    pub fn update(&mut self, high: f64, low: f64, close: f64) -> Option<f64> {
        let tr = match self.prev_close {
            Some(pc) => (high - low).max((high - pc).abs()).max((low - pc).abs()),
            None => high - low,
        };
        self.prev_close = Some(close);
        let n = self.period as f64;
        if self.seen < self.period {
            self.atr += tr / n;
            self.seen += 1;
        } else {
            self.atr = (self.atr * (n - 1.0) + tr) / n;
        }
        self.value()
    }

    /// The current ATR, once warm.
    pub fn value(&self) -> Option<f64> {
        (self.seen >= self.period).then_some(self.atr)
    }
}
