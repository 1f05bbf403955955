//! Exponentially weighted drift and volatility of log returns.

/// EWMA estimates of the mean and variance of one-step log returns.
///
/// Used by the binary scanner (momentum and volatility) and by the paper
/// broker (fair value of a binary sold back early), so both read the market
/// the same way.
#[derive(Clone, Debug)]
pub struct EwmaDriftVol {
    lambda: f64,
    last: Option<f64>,
    mean: f64,
    var: f64,
    samples: u32,
}

impl EwmaDriftVol {
    /// Weights halve every `halflife` samples.
    pub fn new(halflife: f64) -> Self {
        let lambda = if halflife > 0.0 {
            0.5f64.powf(1.0 / halflife)
        } else {
            0.0
        };
        Self {
            lambda,
            last: None,
            mean: 0.0,
            var: 0.0,
            samples: 0,
        }
    }

    /// Adds a price sample (one per fixed interval).
    pub fn update(&mut self, price: f64) {
        if !(price > 0.0 && price.is_finite()) {
            return;
        }
        let lp = price.ln();
        if let Some(prev) = self.last.replace(lp) {
            let r = lp - prev;
            let a = 1.0 - self.lambda;
            if self.samples == 0 {
                self.mean = r;
                self.var = r * r;
            } else {
                let d = r - self.mean;
                self.mean += a * d;
                // West's incremental EW variance.
                self.var = self.lambda * (self.var + a * d * d);
            }
            self.samples = self.samples.saturating_add(1);
        }
    }

    /// Mean log return per sample.
    pub fn drift(&self) -> f64 {
        self.mean
    }

    /// Standard deviation of log return per sample.
    pub fn volatility(&self) -> f64 {
        self.var.max(0.0).sqrt()
    }

    /// Returns seen so far.
    pub fn samples(&self) -> u32 {
        self.samples
    }
}
