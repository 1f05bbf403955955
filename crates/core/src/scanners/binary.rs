//! 60-second binary predictions from momentum and volatility.

use crate::domain::{
    BinaryContract, BinaryDetail, Direction, InstrumentId, Opportunity, OpportunityDetail,
    OpportunityKind, OpportunityTerms, Quote, ShownTerms, Timestamp, TradeShape, VenueId,
    time::SECOND,
};
use crate::indicators::{EwmaDriftVol, normal_cdf};
use crate::scanners::config::BinaryScannerConfig;
use crate::scanners::{Findings, ScanContext, Scanner};
use rust_decimal::Decimal;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};

/// Gaps longer than this (seconds) restart the estimate: the market was
/// closed and old momentum says nothing about the reopening.
const MAX_CARRY_SECS: i64 = 30;

#[derive(Clone, Debug)]
struct BinaryState {
    model: EwmaDriftVol,
    last_second: Option<i64>,
    last_mid: f64,
    last_mid_dec: Decimal,
}

/// Models the log price as a random walk with drift μ and volatility σ per
/// second, both EWMA estimates from one-second samples of the mid. The
/// drift is shrunk toward zero by a Gaussian prior (std `drift_prior_ratio`·σ)
/// and its estimation error widens the forecast, so a few lucky ticks do not
/// read as certainty:
///
/// P(up at T) = Φ(μ̃·T / √(σ²·T + v·T²)), with μ̃ the posterior drift and v its
/// posterior variance.
#[derive(Clone, Debug)]
pub struct BinaryScanner {
    cfg: BinaryScannerConfig,
    states: Vec<Option<BinaryState>>,
    n_eff: f64,
}

/// One evaluation: the prediction if the instrument has enough history.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BinaryEstimate {
    /// P(price above the current mid at expiry).
    pub p_up: f64,
    /// Posterior drift per second.
    pub drift: f64,
    /// Volatility per √second.
    pub volatility: f64,
}

impl BinaryScanner {
    /// A scanner for the instruments flagged in `enabled`.
    pub fn new(cfg: BinaryScannerConfig, enabled: &[bool]) -> Self {
        let lambda = 0.5f64.powf(1.0 / cfg.halflife_secs.max(0.001));
        let states = enabled
            .iter()
            .map(|&on| {
                on.then(|| BinaryState {
                    model: EwmaDriftVol::new(cfg.halflife_secs),
                    last_second: None,
                    last_mid: 0.0,
                    last_mid_dec: Decimal::ZERO,
                })
            })
            .collect();
        Self {
            n_eff: (1.0 + lambda) / (1.0 - lambda).max(1e-9),
            cfg,
            states,
        }
    }

    pub fn config(&self) -> &BinaryScannerConfig {
        &self.cfg
    }

    /// True if the instrument is scanned.
    pub fn scans(&self, instrument: InstrumentId) -> bool {
        self.states
            .get(instrument.index())
            .is_some_and(Option::is_some)
    }

    /// Feeds the reference mid; returns true when a new one-second sample
    /// was taken (the moment to re-evaluate the prediction).
    pub fn on_mid(&mut self, instrument: InstrumentId, mid: Decimal, ts: Timestamp) -> bool {
        let Some(Some(st)) = self.states.get_mut(instrument.index()) else {
            return false;
        };
        let Some(m) = mid.to_f64() else {
            return false;
        };
        let second = ts.nanos().div_euclid(SECOND);
        let sampled = match st.last_second {
            None => false,
            Some(prev) if second <= prev => false,
            Some(prev) if second - prev > MAX_CARRY_SECS => {
                st.model = EwmaDriftVol::new(self.cfg.halflife_secs);
                st.model.update(st.last_mid);
                false
            }
            Some(prev) => {
                // The price at each elapsed second boundary is the last mid before it.
                for _ in prev..second {
                    st.model.update(st.last_mid);
                }
                true
            }
        };
        if st.last_second.is_none_or(|p| second > p) {
            st.last_second = Some(second);
        }
        st.last_mid = m;
        st.last_mid_dec = mid;
        sampled
    }

    /// The current forecast of an instrument, if warm.
    pub fn estimate(&self, instrument: InstrumentId) -> Option<BinaryEstimate> {
        let st = self.states.get(instrument.index())?.as_ref()?;
        if st.model.samples() < self.cfg.min_samples {
            return None;
        }
        let sigma = st.model.volatility();
        let t = self.cfg.expiry_secs as f64;
        if sigma <= 0.0 || !sigma.is_finite() {
            return Some(BinaryEstimate {
                p_up: 0.5,
                drift: 0.0,
                volatility: 0.0,
            });
        }
        let var = sigma * sigma;
        let prior_var = (self.cfg.drift_prior_ratio * sigma)
            .powi(2)
            .max(f64::MIN_POSITIVE);
        let data_var = var / self.n_eff;
        let post_var = 1.0 / (1.0 / prior_var + 1.0 / data_var);
        let drift = st.model.drift() * post_var / data_var;
        let z = drift * t / (var * t + post_var * t * t).sqrt();
        Some(BinaryEstimate {
            p_up: normal_cdf(z),
            drift,
            volatility: sigma,
        })
    }

    /// A prediction worth listing: the side with the higher probability, if
    /// that probability clears the minimum.
    pub fn opportunity(&self, instrument: InstrumentId) -> Option<BinaryDetail> {
        let est = self.estimate(instrument)?;
        let st = self.states.get(instrument.index())?.as_ref()?;
        // Exactly even (a flat market) is no view at all: NEUTRAL, which the
        // gate refuses if such a prediction is ever listed.
        let (direction, p) = if est.p_up > 0.5 {
            (Direction::Up, est.p_up)
        } else if est.p_up < 0.5 {
            (Direction::Down, 1.0 - est.p_up)
        } else {
            (Direction::Neutral, 0.5)
        };
        if p < self.cfg.min_probability {
            return None;
        }
        let payout = self.cfg.payout.to_f64()?;
        Some(BinaryDetail {
            direction,
            strike: st.last_mid_dec,
            expiry_secs: self.cfg.expiry_secs,
            probability: p,
            p_up: est.p_up,
            payout: self.cfg.payout,
            expected_value: p * payout - (1.0 - p),
            drift: est.drift,
            volatility: est.volatility,
        })
    }

    /// Fair value per unit staked of a binary contract now: P(win) × (1 +
    /// payout), using this instrument's volatility. Used to mark open binary
    /// positions.
    pub fn fair_value(
        &self,
        instrument: InstrumentId,
        direction: Direction,
        strike: Decimal,
        payout: Decimal,
        now: Timestamp,
        expiry: Timestamp,
    ) -> Option<Decimal> {
        let st = self.states.get(instrument.index())?.as_ref()?;
        let sigma = st.model.volatility();
        let p_up = p_above(st.last_mid, strike.to_f64()?, sigma, expiry.since(now));
        let p = if direction == Direction::Down {
            1.0 - p_up
        } else {
            p_up
        };
        Decimal::from_f64(p * (1.0 + payout.to_f64()?)).map(|d| d.round_dp(6))
    }
}

/// P(price above `strike` after `nanos`) for a driftless walk with
/// volatility `sigma` per √second, starting at `spot`.
pub fn p_above(spot: f64, strike: f64, sigma: f64, nanos: i64) -> f64 {
    if spot <= 0.0 || strike <= 0.0 {
        return 0.5;
    }
    let tau = nanos.max(0) as f64 / SECOND as f64;
    let d = (spot / strike).ln();
    if tau <= 0.0 || sigma <= 0.0 {
        return if d > 0.0 {
            1.0
        } else if d < 0.0 {
            0.0
        } else {
            0.5
        };
    }
    normal_cdf(d / (sigma * tau.sqrt()))
}

impl Scanner for BinaryScanner {
    fn kind(&self) -> OpportunityKind {
        OpportunityKind::Binary
    }
    fn ttl_secs(&self) -> i64 {
        self.cfg.ttl_secs
    }
    /// Contracts settle within minutes: the shortest ensemble (5 minutes)
    /// is the nearest event to theirs.
    fn belief_horizon(&self) -> Option<crate::ensemble::Horizon> {
        Some(crate::ensemble::Horizon::Short)
    }
    /// The probability of the side (the lower of the scanner's and the
    /// ensemble's) above the threshold, for contracts of the policy's expiry.
    fn auto_approves(&self, opp: &Opportunity) -> bool {
        let OpportunityDetail::Binary(b) = &opp.detail else {
            return false;
        };
        let p =
            super::ensemble_side(opp, b.direction).map_or(b.probability, |p| p.min(b.probability));
        p >= self.cfg.auto_min_probability && b.expiry_secs == self.cfg.auto_expiry_secs
    }
    fn auto_policy(&self) -> String {
        format!(
            "probability of the side ≥ {} (the lower of the scanner's and the ensemble's), {} s contracts only",
            self.cfg.auto_min_probability, self.cfg.auto_expiry_secs
        )
    }
    /// The primary venue's mid is sampled each second; on a new sample the
    /// prediction is re-evaluated: at most one per instrument, replaced when
    /// its direction flips, vanished when it no longer clears the minimum.
    fn on_quote(&mut self, cx: &ScanContext<'_>, q: &Quote, mid: Decimal, out: &mut Findings) {
        let inst = q.instrument;
        if q.venue != cx.catalog.instrument(inst).primary_venue() || !self.on_mid(inst, mid, q.ts) {
            return;
        }
        out.complete_for = Some(inst);
        if let Some(d) = self.opportunity(inst) {
            let score = d.expected_value;
            out.found.push((inst, OpportunityDetail::Binary(d), score));
        }
    }
    fn contract_value(
        &self,
        instrument: InstrumentId,
        c: &BinaryContract,
        now: Timestamp,
    ) -> Option<Decimal> {
        self.fair_value(instrument, c.direction, c.strike, c.payout, now, c.expiry)
    }
}

impl OpportunityTerms for BinaryDetail {
    fn direction(&self) -> Direction {
        self.direction
    }
    fn confidence(&self) -> f64 {
        self.probability
    }
    /// One pending prediction per instrument and direction: a flip replaces it.
    fn key(&self) -> u64 {
        self.direction as u64
    }
    fn trade(&self) -> TradeShape {
        TradeShape::Contract {
            direction: self.direction,
            strike: self.strike,
            expiry_secs: self.expiry_secs,
            payout: self.payout,
        }
    }
    fn shown(&self) -> ShownTerms {
        ShownTerms {
            price: self.strike,
            other_price: self.strike,
            edge: Decimal::from_f64_retain(self.probability)
                .unwrap_or_default()
                .round_dp(4),
            direction: self.direction,
            venues: (VenueId(0), VenueId(0)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(s: &mut BinaryScanner, prices: impl Iterator<Item = f64>) {
        for (i, p) in prices.enumerate() {
            let mid = Decimal::from_f64(p).expect("finite");
            s.on_mid(InstrumentId(0), mid, Timestamp::from_secs(i as i64));
        }
    }

    #[test]
    fn steady_uptrend_predicts_up_and_noise_stays_near_even() {
        let cfg = crate::defaults::section::<BinaryScannerConfig>("scanners.binary");
        let mut up = BinaryScanner::new(cfg.clone(), &[true]);
        // +1 bp a second with ±0.5 bp noise: a strong, clean trend.
        feed(
            &mut up,
            (0..200)
                .map(|i| 100.0 * (1.0 + 0.0001 * i as f64 + if i % 2 == 0 { 5e-5 } else { 0.0 })),
        );
        let e = up.estimate(InstrumentId(0)).expect("warm");
        assert!(e.p_up > 0.6, "{e:?}");
        let o = up.opportunity(InstrumentId(0)).expect("listed");
        assert_eq!(o.direction, Direction::Up);
        assert!((o.expected_value - (o.probability * 0.85 - (1.0 - o.probability))).abs() < 1e-12);

        let mut flat = BinaryScanner::new(cfg, &[true]);
        feed(
            &mut flat,
            (0..200).map(|i| 100.0 + if i % 2 == 0 { 0.01 } else { -0.01 }),
        );
        let e = flat.estimate(InstrumentId(0)).expect("warm");
        assert!((e.p_up - 0.5).abs() < 0.05, "{e:?}");
    }

    #[test]
    fn needs_min_samples() {
        let mut s = BinaryScanner::new(
            crate::defaults::section::<BinaryScannerConfig>("scanners.binary"),
            &[true],
        );
        feed(&mut s, (0..10).map(|i| 100.0 + i as f64));
        assert!(s.estimate(InstrumentId(0)).is_none());
    }

    #[test]
    fn p_above_limits() {
        assert_eq!(p_above(101.0, 100.0, 0.001, 0), 1.0);
        assert!((p_above(100.0, 100.0, 0.001, 60 * SECOND) - 0.5).abs() < 1e-9);
        assert!(p_above(100.1, 100.0, 0.0001, 60 * SECOND) > 0.8);
    }
}
