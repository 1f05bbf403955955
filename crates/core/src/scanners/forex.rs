//! Forex technical signals from RSI, SMA and ATR on completed bars.

use crate::domain::{
    Bar, Direction, ForexDetail, InstrumentId, Opportunity, OpportunityDetail, OpportunityKind,
    OpportunityTerms, ShownTerms, TradeShape, VenueId,
};
use crate::indicators::{Atr, Rsi, Sma};
use crate::scanners::config::ForexScannerConfig;
use crate::scanners::{Findings, ScanContext, Scanner};
use rust_decimal::Decimal;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};

/// Indicator state of one instrument.
#[derive(Clone, Debug)]
struct ForexState {
    rsi: Rsi,
    fast: Sma,
    slow: Sma,
    atr: Atr,
    prev_rsi: Option<f64>,
    prev_fast_above: Option<bool>,
    /// Deepest RSI reading of the current oversold / overbought excursion.
    excursion_low: Option<f64>,
    excursion_high: Option<f64>,
}

/// Two setups, both on bar close:
/// * reversal: RSI leaves oversold (BUY) or overbought (SELL); confidence
///   grows with how deep the excursion went and whether the SMA trend agrees;
/// * trend: the fast SMA crosses the slow one; confidence grows when RSI
///   is on the same side of 50.
///
/// Stops and targets sit `stop_atr` and `take_atr` ATRs from the close.
/// Confidence here is a rule-based score, not a calibrated probability; the
/// 60-minute ensemble (when loaded) supplies the probability, from which
/// [`super::forex_edge`] computes the calibrated edge the auto policy
/// weighs.
#[derive(Clone, Debug)]
pub struct ForexScanner {
    cfg: ForexScannerConfig,
    states: Vec<Option<ForexState>>,
}

impl ForexScanner {
    /// A scanner for `n_instruments`, scanning those flagged in `enabled`.
    pub fn new(cfg: ForexScannerConfig, enabled: &[bool]) -> Self {
        let states = enabled
            .iter()
            .map(|&on| {
                on.then(|| ForexState {
                    rsi: Rsi::new(cfg.rsi_period),
                    fast: Sma::new(cfg.sma_fast),
                    slow: Sma::new(cfg.sma_slow),
                    atr: Atr::new(cfg.atr_period),
                    prev_rsi: None,
                    prev_fast_above: None,
                    excursion_low: None,
                    excursion_high: None,
                })
            })
            .collect();
        Self { cfg, states }
    }

    /// True if the instrument is scanned.
    pub fn scans(&self, instrument: InstrumentId) -> bool {
        self.states
            .get(instrument.index())
            .is_some_and(Option::is_some)
    }

    /// Feeds a completed bar of the configured timeframe; returns a signal
    /// if one fires on this bar.
    pub fn on_bar(&mut self, bar: &Bar, tick: Decimal) -> Option<ForexDetail> {
        let cfg = &self.cfg;
        let st = self.states.get_mut(bar.instrument.index())?.as_mut()?;
        let (h, l, c) = (bar.high.to_f64()?, bar.low.to_f64()?, bar.close.to_f64()?);
        let rsi = st.rsi.update(c);
        let fast = st.fast.update(c);
        let slow = st.slow.update(c);
        let atr = st.atr.update(h, l, c);
        let (Some(rsi), Some(fast), Some(slow), Some(atr)) = (rsi, fast, slow, atr) else {
            st.prev_rsi = rsi;
            return None;
        };
        let prev_rsi = st.prev_rsi.replace(rsi);
        let fast_above = fast > slow;
        let prev_above = st.prev_fast_above.replace(fast_above);

        if rsi < cfg.rsi_oversold {
            st.excursion_low = Some(st.excursion_low.map_or(rsi, |x| x.min(rsi)));
        }
        if rsi > cfg.rsi_overbought {
            st.excursion_high = Some(st.excursion_high.map_or(rsi, |x| x.max(rsi)));
        }

        let mut signal: Option<(Direction, f64)> = None;
        if let Some(p) = prev_rsi {
            if p < cfg.rsi_oversold && rsi >= cfg.rsi_oversold {
                let depth = cfg.rsi_oversold - st.excursion_low.take().unwrap_or(p);
                let aligned = if fast_above { 0.1 } else { 0.0 };
                signal = Some((Direction::Up, 0.55 + (depth / 50.0).min(0.2) + aligned));
            } else if p > cfg.rsi_overbought && rsi <= cfg.rsi_overbought {
                let depth = st.excursion_high.take().unwrap_or(p) - cfg.rsi_overbought;
                let aligned = if fast_above { 0.0 } else { 0.1 };
                signal = Some((Direction::Down, 0.55 + (depth / 50.0).min(0.2) + aligned));
            }
        }
        if signal.is_none()
            && let Some(prev) = prev_above
            && prev != fast_above
        {
            let dir = if fast_above {
                Direction::Up
            } else {
                Direction::Down
            };
            let rsi_agrees = (dir == Direction::Up) == (rsi > 50.0);
            let strength = ((fast - slow).abs() / atr.max(f64::MIN_POSITIVE)).min(1.0);
            signal = Some((
                dir,
                0.5 + if rsi_agrees { 0.1 } else { 0.0 } + 0.1 * strength,
            ));
        }
        let (direction, confidence) = signal?;
        if atr <= 0.0 {
            return None;
        }
        let atr_d = Decimal::from_f64(atr)?;
        // A tick far below the price could overflow the quotient: then the
        // level is kept as computed.
        let round = |x: Decimal| x.checked_div(tick).map_or(x, |n| n.round() * tick);
        let entry = bar.close;
        let (stop, take) = match direction {
            Direction::Up => (
                round(entry - cfg.stop_atr * atr_d),
                round(entry + cfg.take_atr * atr_d),
            ),
            _ => (
                round(entry + cfg.stop_atr * atr_d),
                round(entry - cfg.take_atr * atr_d),
            ),
        };
        let risk = (entry - stop).abs();
        if risk.is_zero() {
            return None;
        }
        let reward_risk = ((take - entry).abs() / risk).round_dp(2);
        Some(ForexDetail {
            direction,
            entry,
            stop_loss: stop,
            take_profit: take,
            reward_risk,
            confidence: confidence.clamp(0.0, 1.0),
            rsi,
            sma_fast: fast,
            sma_slow: slow,
            atr,
            spread: None,
            win_probability: None,
            expected_r: None,
        })
    }
}

impl Scanner for ForexScanner {
    fn kind(&self) -> OpportunityKind {
        OpportunityKind::Forex
    }
    fn ttl_secs(&self) -> i64 {
        self.cfg.ttl_secs
    }
    /// The chance of the take-profit before the stop and the expected R
    /// after the spread, from the 60-minute ensemble's probability of the
    /// signal's side (both None without a belief or a spread).
    fn calibrate(
        &self,
        detail: &mut OpportunityDetail,
        belief: Option<crate::domain::BetaBelief>,
        score: f64,
    ) -> f64 {
        let OpportunityDetail::Forex(f) = detail else {
            return score;
        };
        let edge = belief.zip(f.spread).and_then(|(b, spread)| {
            let p = b.probability();
            let p_side = if f.direction == Direction::Up {
                p
            } else {
                1.0 - p
            };
            let input = super::forex_edge::EdgeInput {
                risk: (f.entry - f.stop_loss).abs().to_f64()?,
                reward: (f.take_profit - f.entry).abs().to_f64()?,
                spread: spread.to_f64()?,
                atr: f.atr,
                horizon_bars: crate::ensemble::Horizon::Medium.timeframe().nanos() as f64
                    * crate::ensemble::Horizon::Medium.horizon_bars() as f64
                    / self.cfg.timeframe.nanos().max(1) as f64,
            };
            super::forex_edge::calibrated_edge(&input, p_side)
        });
        f.win_probability = edge.map(|e| e.0);
        f.expected_r = edge.map(|e| e.1);
        score
    }
    /// A calibrated expected result at or above the bar; never without an
    /// ensemble forecast and a quote to price the spread.
    fn auto_approves(&self, opp: &Opportunity) -> bool {
        let OpportunityDetail::Forex(f) = &opp.detail else {
            return false;
        };
        f.expected_r
            .is_some_and(|r| r >= self.cfg.auto_min_expected_r)
    }
    fn auto_policy(&self) -> String {
        format!(
            "calibrated edge ≥ {:+} R after the spread (the 60-minute ensemble's probability of the side, as the chance of the take-profit before the stop)",
            self.cfg.auto_min_expected_r
        )
    }
    /// Bars of the configured timeframe feed the indicators; a signal on a
    /// live bar is a new opportunity (signals never vanish, they expire).
    fn on_bar(&mut self, cx: &ScanContext<'_>, bar: &Bar, live: bool, out: &mut Findings) {
        if bar.timeframe != self.cfg.timeframe || !self.scans(bar.instrument) {
            return;
        }
        let spec = cx.catalog.instrument(bar.instrument);
        let signal = self.on_bar(bar, spec.tick_size);
        if let (true, Some(mut d)) = (live, signal) {
            // The cost the calibrated edge pays: the primary venue's spread now.
            d.spread = cx
                .book
                .quote(spec.primary_venue(), bar.instrument)
                .map(|q| q.ask - q.bid)
                .filter(|s| *s >= Decimal::ZERO);
            let score = d.confidence * d.reward_risk.to_f64().unwrap_or(0.0);
            out.found
                .push((bar.instrument, OpportunityDetail::Forex(d), score));
        }
    }
}

impl OpportunityTerms for ForexDetail {
    fn direction(&self) -> Direction {
        self.direction
    }
    fn confidence(&self) -> f64 {
        self.confidence
    }
    /// Every signal is its own opportunity.
    fn key(&self) -> u64 {
        0
    }
    fn trade(&self) -> TradeShape {
        TradeShape::Directional {
            direction: self.direction,
            entry: self.entry,
            stop_loss: self.stop_loss,
            take_profit: self.take_profit,
        }
    }
    fn shown(&self) -> ShownTerms {
        ShownTerms {
            price: self.entry,
            other_price: self.entry,
            edge: self.reward_risk,
            direction: self.direction,
            venues: (VenueId(0), VenueId(0)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signal(spread: Option<&str>) -> OpportunityDetail {
        OpportunityDetail::Forex(ForexDetail {
            direction: Direction::Up,
            entry: dec!(1.1000),
            stop_loss: dec!(1.0990),
            take_profit: dec!(1.1020),
            reward_risk: dec!(2),
            confidence: 0.9,
            rsi: 35.0,
            sma_fast: 1.1,
            sma_slow: 1.1,
            atr: 0.0005,
            spread: spread.map(|s| s.parse().expect("decimal")),
            win_probability: None,
            expected_r: None,
        })
    }

    fn opp(detail: OpportunityDetail) -> Opportunity {
        Opportunity {
            id: crate::domain::OpportunityId(1),
            instrument: InstrumentId(0),
            detail,
            score: 0.0,
            created: crate::domain::Timestamp(0),
            updated: crate::domain::Timestamp(0),
            expires: crate::domain::Timestamp(0),
            belief: None,
            feedback_scale: 1.0,
        }
    }

    fn belief(p: f64) -> crate::domain::BetaBelief {
        crate::domain::BetaBelief {
            alpha: 100.0 * p,
            beta: 100.0 * (1.0 - p),
            agreement: 1.0,
        }
    }

    #[test]
    fn auto_weighs_the_calibrated_edge_not_the_rule_confidence() {
        let cfg = crate::defaults::section::<ForexScannerConfig>("scanners.forex");
        let s = ForexScanner::new(cfg, &[true]);
        let priced = |spread: Option<&str>, p: Option<f64>| {
            let mut d = signal(spread);
            s.calibrate(&mut d, p.map(belief), 1.0);
            d
        };
        // Confidence 0.9 by the rules, but no forecast: nothing to weigh.
        let cold = priced(Some("0.00008"), None);
        assert!(!s.auto_approves(&opp(cold)));
        // A forecast with no quote: the cost is unknown.
        let OpportunityDetail::Forex(f) = priced(None, Some(0.7)) else {
            unreachable!()
        };
        assert_eq!(f.expected_r, None);
        // Even odds lose the spread; a strong lean clears the bar.
        let even = priced(Some("0.00008"), Some(0.5));
        let OpportunityDetail::Forex(f) = &even else {
            unreachable!()
        };
        let r = f.expected_r.expect("priced");
        assert!((r + 0.08).abs() < 1e-9, "one spread in R: {r}");
        assert!(!s.auto_approves(&opp(even)));
        let strong = priced(Some("0.00008"), Some(0.7));
        let OpportunityDetail::Forex(f) = &strong else {
            unreachable!()
        };
        assert!(f.win_probability.expect("priced") > 1.0 / 3.0);
        assert!(s.auto_approves(&opp(strong)));
    }
    use crate::domain::{Timeframe, Timestamp};
    use rust_decimal::dec;

    fn bar(i: i64, close: Decimal) -> Bar {
        Bar {
            instrument: InstrumentId(0),
            timeframe: Timeframe::M1,
            open_ts: Timestamp::from_secs(i * 60),
            open: close,
            high: close + dec!(0.0002),
            low: close - dec!(0.0002),
            close,
            volume: dec!(1),
        }
    }

    #[test]
    fn rsi_leaving_oversold_fires_a_buy_with_atr_exits() {
        let cfg = crate::defaults::section::<ForexScannerConfig>("scanners.forex");
        let mut s = ForexScanner::new(cfg.clone(), &[true]);
        let mut px = dec!(1.1000);
        let mut fired = None;
        // 60 bars of steady decline drive RSI deep into oversold, then a bounce.
        for i in 0..60 {
            px -= dec!(0.0003);
            assert!(s.on_bar(&bar(i, px), dec!(0.00001)).is_none() || i < 50);
        }
        for i in 60..66 {
            px += dec!(0.0010);
            if let Some(sig) = s.on_bar(&bar(i, px), dec!(0.00001)) {
                fired = Some(sig);
                break;
            }
        }
        let sig = fired.expect("a BUY fires when RSI leaves oversold");
        assert_eq!(sig.direction, Direction::Up);
        assert!(sig.stop_loss < sig.entry && sig.take_profit > sig.entry);
        assert!(
            (sig.reward_risk - dec!(2)).abs() <= dec!(0.05),
            "{}",
            sig.reward_risk
        );
        assert!(sig.confidence >= 0.55 && sig.confidence <= 1.0);
    }

    #[test]
    fn unscanned_instruments_are_ignored() {
        let mut s = ForexScanner::new(
            crate::defaults::section::<ForexScannerConfig>("scanners.forex"),
            &[false],
        );
        assert!(!s.scans(InstrumentId(0)));
        assert!(s.on_bar(&bar(0, dec!(1)), dec!(0.00001)).is_none());
    }
}
