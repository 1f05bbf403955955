//! 60-second binary predictions: momentum and volatility list them, the
//! 5-minute ensemble calibrated on history prices them.

use crate::domain::{
    BinaryContract, BinaryDetail, Direction, InstrumentId, Opportunity, OpportunityDetail,
    OpportunityKind, OpportunityTerms, Quote, ShownTerms, Timestamp, TradeShape, VenueId,
    time::SECOND,
};
use crate::ensemble::BinaryCalibration;
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
///
/// That momentum reading only decides what is listed: on real captures
/// its claims did not match outcomes. The probability a listed contract
/// shows, is sized and approved on, and its EV, come from the 5-minute
/// ensemble mapped to the expiry by a calibration fitted on real minute
/// bars ([`BinaryCalibration`]); with no ensemble forecast they are ½ (no
/// evidence), which no auto policy approves.
#[derive(Clone, Debug)]
pub struct BinaryScanner {
    cfg: BinaryScannerConfig,
    states: Vec<Option<BinaryState>>,
    n_eff: f64,
    calibration: BinaryCalibration,
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
            calibration: BinaryCalibration::default(),
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

    /// A prediction worth listing: the side the momentum model favours, if
    /// its momentum probability clears the minimum. Its own probability and
    /// EV are ½ and the EV of ½ until [`BinaryScanner::price`] calibrates
    /// them.
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
        let mut d = BinaryDetail {
            direction,
            strike: st.last_mid_dec,
            expiry_secs: self.cfg.expiry_secs,
            probability: 0.5,
            p_up: 0.5,
            momentum_p_up: est.p_up,
            calibrated: false,
            payout: self.cfg.payout,
            expected_value: 0.0,
            drift: est.drift,
            volatility: est.volatility,
        };
        self.price(&mut d, None)?;
        Some(d)
    }

    /// Prices a contract from the 5-minute ensemble's belief: P(up at
    /// expiry) through the calibration, the side's probability, and the EV
    /// per unit staked. Without a belief P(up) is ½. None if the payout is
    /// not a float.
    pub fn price(
        &self,
        d: &mut BinaryDetail,
        belief: Option<crate::domain::BetaBelief>,
    ) -> Option<()> {
        let payout = d.payout.to_f64()?;
        let p_short = belief.map(|b| b.probability()).filter(|p| p.is_finite());
        d.calibrated = p_short.is_some();
        d.p_up = p_short.map_or(0.5, |p| self.calibration.p_up(p, d.expiry_secs));
        d.probability = match d.direction {
            Direction::Up => d.p_up,
            Direction::Down => 1.0 - d.p_up,
            Direction::Neutral => 0.5,
        };
        d.expected_value = d.probability * payout - (1.0 - d.probability);
        Some(())
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
    fn set_models(&mut self, models: &crate::ensemble::ModelSet) {
        self.calibration = models.binary().clone();
    }
    /// The contract's probability and EV from the 5-minute ensemble, its
    /// EV the ranking score.
    fn calibrate(
        &self,
        detail: &mut OpportunityDetail,
        belief: Option<crate::domain::BetaBelief>,
        score: f64,
    ) -> f64 {
        let OpportunityDetail::Binary(b) = detail else {
            return score;
        };
        match self.price(b, belief) {
            Some(()) => b.expected_value,
            None => score,
        }
    }
    /// A calibrated EV per unit staked at or above the bar, for contracts
    /// of the policy's expiry; never on the momentum reading alone.
    fn auto_approves(&self, opp: &Opportunity) -> bool {
        let OpportunityDetail::Binary(b) = &opp.detail else {
            return false;
        };
        b.calibrated
            && b.expected_value >= self.cfg.auto_min_expected_value
            && b.expiry_secs == self.cfg.auto_expiry_secs
    }
    fn auto_policy(&self) -> String {
        format!(
            "calibrated EV ≥ {:+} per unit staked (the 5-minute ensemble's probability at the contract's expiry, payout {}), {} s contracts only",
            self.cfg.auto_min_expected_value,
            self.cfg.payout.normalize(),
            self.cfg.auto_expiry_secs
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

    fn listed_up(calibration: BinaryCalibration) -> (BinaryScanner, BinaryDetail) {
        let cfg = crate::defaults::section::<BinaryScannerConfig>("scanners.binary");
        let mut s = BinaryScanner::new(cfg, &[true]);
        s.calibration = calibration;
        feed(&mut s, (0..200).map(|i| 100.0 * (1.0 + 0.0001 * i as f64)));
        let d = s.opportunity(InstrumentId(0)).expect("listed by momentum");
        (s, d)
    }

    fn belief(p: f64) -> crate::domain::BetaBelief {
        crate::domain::BetaBelief {
            alpha: 100.0 * p,
            beta: 100.0 * (1.0 - p),
            agreement: 1.0,
        }
    }

    #[test]
    fn a_listed_contract_is_priced_by_the_calibrated_ensemble_not_momentum() {
        let (s, mut d) = listed_up(BinaryCalibration::default());
        assert_eq!(d.direction, Direction::Up);
        assert!(d.momentum_p_up > 0.6);
        // Listed, but no evidence yet: even odds, a losing EV.
        assert!(!d.calibrated && d.probability == 0.5 && d.expected_value < 0.0);
        let mut detail = OpportunityDetail::Binary(d.clone());
        let score = s.calibrate(&mut detail, Some(belief(0.7)), 0.0);
        let OpportunityDetail::Binary(b) = &detail else {
            unreachable!()
        };
        // 60 s of a 5-minute lean: shrunk toward ½ as √(60/300) in logit.
        let p = crate::ensemble::model::sigmoid(
            (60.0f64 / 300.0).sqrt() * crate::ensemble::model::logit(0.7),
        );
        assert!((b.p_up - p).abs() < 1e-12 && b.calibrated, "{b:?}");
        assert_eq!(score, b.expected_value);
        // A DOWN contract's probability is the other side's.
        d.direction = Direction::Down;
        s.price(&mut d, Some(belief(0.7)));
        assert!((d.probability - (1.0 - p)).abs() < 1e-12);
    }

    #[test]
    fn auto_approves_on_the_calibrated_ev_alone() {
        let (s, d) = listed_up(BinaryCalibration::default());
        let opp = |b: BinaryDetail| Opportunity {
            id: crate::domain::OpportunityId(1),
            instrument: InstrumentId(0),
            detail: OpportunityDetail::Binary(b),
            score: 0.0,
            created: Timestamp(0),
            updated: Timestamp(0),
            expires: Timestamp(0),
            belief: None,
            feedback_scale: 1.0,
        };
        let priced = |p: f64| {
            let mut b = d.clone();
            s.price(&mut b, Some(belief(p)));
            b
        };
        // Break-even at payout 0.85 is p = 1/1.85 ≈ 0.541; the bar (0.05)
        // needs p ≥ 1.05/1.85 ≈ 0.568 at the contract's expiry.
        assert!(!s.auto_approves(&opp(priced(0.55))));
        assert!(s.auto_approves(&opp(priced(0.75))));
        // Momentum alone, however strong, is not enough.
        let mut strong = d.clone();
        strong.momentum_p_up = 0.99;
        assert!(!s.auto_approves(&opp(strong)));
        // Another expiry than the policy's.
        let mut other = priced(0.9);
        other.expiry_secs = 120;
        assert!(!s.auto_approves(&opp(other)));
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
