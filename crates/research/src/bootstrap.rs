//! Day-block bootstrap intervals for forecast figures.
//!
//! Forecasts are not independent: labels overlap (a 60-minute label made
//! every 5 minutes shares 55 minutes with the next) and one day's market
//! moves every forecast of that day together. Resampling single forecasts
//! would give intervals far too narrow; resampling whole UTC days keeps
//! that dependence inside each draw.

use crate::metrics::{Interval, Intervals, Metrics, Orders, Outcome, core};
use omni_core::random::SimRng;

/// Seed of the draws: fixed, so a report is reproducible.
const SEED: u64 = 0x0b00_7577;

fn percentile_interval(mut xs: Vec<f64>) -> Interval {
    xs.sort_by(f64::total_cmp);
    let at = |q: f64| {
        let i = ((xs.len() - 1) as f64 * q).round() as usize;
        xs[i.min(xs.len() - 1)]
    };
    Interval {
        low: at(0.025),
        high: at(0.975),
    }
}

/// The forecasts' figures with their intervals from `resamples` draws
/// (seeded: the same input gives the same intervals).
pub fn scored(o: &[Outcome], resamples: usize) -> Metrics {
    let mut m = Metrics::of(o);
    m.intervals = intervals(o, &Orders::of(o), resamples);
    m
}

/// Intervals from `resamples` draws of whole days with replacement; None
/// with fewer than 2 days or no draws.
pub fn intervals(o: &[Outcome], orders: &Orders, resamples: usize) -> Option<Intervals> {
    let mut days: Vec<i64> = o.iter().map(|x| x.day).collect();
    days.sort_unstable();
    days.dedup();
    if days.len() < 2 || resamples == 0 {
        return None;
    }
    // Which block each forecast belongs to, by position in `days`.
    let block: Vec<usize> = o
        .iter()
        .map(|x| days.binary_search(&x.day).unwrap_or(0))
        .collect();
    let mut rng = SimRng::new(SEED, days.len() as u64);
    let mut drawn = vec![0u32; days.len()];
    let mut w = vec![0u32; o.len()];
    let mut figures: [Vec<f64>; 4] = Default::default();
    for _ in 0..resamples {
        drawn.iter_mut().for_each(|c| *c = 0);
        for _ in 0..days.len() {
            drawn[rng.below(days.len() as u64) as usize] += 1;
        }
        for (wi, &b) in w.iter_mut().zip(&block) {
            *wi = drawn[b];
        }
        if let Some(c) = core(o, &w, orders) {
            figures[0].push(c.accuracy);
            figures[1].push(c.brier_skill);
            figures[2].push(c.ece);
            figures[3].push(c.top_decile_accuracy);
        }
    }
    if figures[0].is_empty() {
        return None;
    }
    let [acc, skill, ece, top] = figures;
    Some(Intervals {
        resamples,
        accuracy: percentile_interval(acc),
        brier_skill: percentile_interval(skill),
        ece: percentile_interval(ece),
        top_decile_accuracy: percentile_interval(top),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn coin(n: u32, per_day: u32, skew: impl Fn(u32) -> bool) -> Vec<Outcome> {
        (0..n)
            .map(|i| Outcome {
                p: 0.45 + f64::from(i % 11) / 100.0,
                concentration: 10.0,
                up: skew(i),
                day: i64::from(i / per_day),
            })
            .collect()
    }

    #[test]
    fn intervals_hold_the_point_estimate_and_are_reproducible() {
        let o = coin(5000, 100, |i| (i * 7919) % 13 < 6);
        let m = scored(&o, 400);
        let iv = m.intervals.clone().expect("50 days");
        assert!(iv.accuracy.low <= m.accuracy && m.accuracy <= iv.accuracy.high);
        assert!(iv.brier_skill.low <= m.brier_skill && m.brier_skill <= iv.brier_skill.high);
        assert!(iv.ece.low < iv.ece.high);
        assert_eq!(scored(&o, 400).intervals, Some(iv));
    }

    #[test]
    fn days_that_move_together_widen_the_interval() {
        // Same forecasts and the same share of ups; in one set the ups come
        // as whole days (all up or all down), in the other spread evenly.
        let spread = coin(6000, 100, |i| i % 2 == 0);
        let clustered = coin(6000, 100, |i| (i / 100) % 2 == 0);
        let width = |o: &[Outcome]| {
            let iv = scored(o, 400).intervals.expect("days");
            iv.accuracy.high - iv.accuracy.low
        };
        assert!(
            width(&clustered) > 3.0 * width(&spread),
            "{} vs {}",
            width(&clustered),
            width(&spread)
        );
    }

    #[test]
    fn one_day_gives_no_interval() {
        assert!(
            scored(&coin(100, 1000, |i| i % 2 == 0), 100)
                .intervals
                .is_none()
        );
    }
}
