//! Position sizing: from the account's equity, its risk profile and the
//! signal's confidence, capped by the account's limits.

use crate::domain::{Direction, Opportunity, ShapeKind, TradeShape};
pub use crate::risk::SizeBound;
use crate::risk::config::ProfileConfig;
use crate::risk::config::RiskConfig;
use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;

/// What sizing needs to know about the account and the market.
#[derive(Clone, Copy, Debug)]
pub struct SizingInput<'a> {
    pub opportunity: &'a Opportunity,
    pub equity: Decimal,
    /// Signed quantity already held on the instrument (binary: open stakes).
    pub position_qty: Decimal,
    /// Price used for notional of the existing position.
    pub mark: Decimal,
    /// The instrument's lot size.
    pub lot_size: Decimal,
    /// The account's profile fractions.
    pub profile: &'a ProfileConfig,
    pub limits: &'a RiskConfig,
}

/// A sized order: quantity per leg and the price it is valued at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sized {
    /// Quantity per leg (stake for binary), on the lot grid; may be zero.
    pub qty: Decimal,
    /// Price used for notional.
    pub price: Decimal,
    /// The limit that bound the size.
    pub bound: SizeBound,
}

fn floor_to(x: Decimal, step: Decimal) -> Decimal {
    if step <= Decimal::ZERO || x <= Decimal::ZERO {
        return Decimal::ZERO.max(x.min(Decimal::ZERO));
    }
    // A lot far below the size could overflow the quotient: no size then
    // (the gate refuses it as too small) rather than a panic.
    x.checked_div(step)
        .map_or(Decimal::ZERO, |n| n.floor() * step)
}

fn frac(pct: Decimal) -> Decimal {
    pct / Decimal::ONE_HUNDRED
}

fn dec(x: f64) -> Decimal {
    Decimal::from_f64(x).unwrap_or(Decimal::ZERO)
}

/// How much the ensemble backs the signal's side: its probability for that
/// side q gives clamp(q / 0.6, 0.5, 1): full size from 60 %, half size when
/// the ensemble leans against the signal at 30 % or less. Arbitrage and
/// signals without a belief are not scaled.
pub fn ensemble_factor(opp: &Opportunity) -> f64 {
    let Some(b) = opp.belief else {
        return 1.0;
    };
    let p = b.probability();
    let q = match opp.direction() {
        Direction::Up => p,
        Direction::Down => 1.0 - p,
        Direction::Neutral => 0.5,
    };
    match opp.kind().shape() {
        // A pair or a cycle bets on no direction; a contract's probability
        // already is the ensemble's, calibrated (counting it twice would
        // shrink every stake).
        ShapeKind::CrossVenuePair | ShapeKind::Cycle | ShapeKind::Contract => 1.0,
        _ => (q / 0.6).clamp(0.5, 1.0),
    }
}

/// Sizes one account's order for an opportunity.
///
/// * Arbitrage: `arbitrage_alloc_pct` of equity, scaled by 0.5 + 0.5 ×
///   confidence, never more than both tops of book hold.
/// * Triangular: the same share of equity as the start amount (its
///   quantity, at price 1), never more than the thinnest leg holds; the
///   legs' quantities follow from it ([`cycle_quantities`]).
/// * Forex: loses `risk_per_trade_pct` of equity at the stop-loss, scaled
///   by confidence between 0.25× (at 0.5) and 1× (at 0.8 and above).
/// * Binary: stakes `binary_stake_pct` of equity, scaled by probability
///   between 0.25× (at 0.5) and 1× (at 0.75 and above).
///
/// Every size is then multiplied by the learning feedback scale and the
/// ensemble factor ([`ensemble_factor`]), and capped
/// so that the order's notional stays within `max_order_notional` and the
/// resulting position within `max_position_pct` of equity.
pub fn size(input: &SizingInput<'_>) -> Sized {
    let SizingInput {
        opportunity: opp,
        equity,
        position_qty,
        mark,
        lot_size,
        profile,
        limits,
    } = *input;
    if equity <= Decimal::ZERO {
        return Sized {
            qty: Decimal::ZERO,
            price: mark,
            bound: SizeBound::Budget,
        };
    }
    let feedback = dec(opp.feedback_scale.clamp(0.5, 1.0));
    let conf = opp.confidence();
    let position_cap = equity * frac(limits.max_position_pct);
    let (raw, price, adds_to_position, book_cap) = match opp.detail.terms().trade() {
        // Priced at the worst ask it may buy at (the top, without depth),
        // so the budget and the notional caps hold wherever the leg fills.
        TradeShape::CrossVenuePair {
            buy_limit,
            book_qty,
            ..
        } => {
            let budget = equity * frac(profile.arbitrage_alloc_pct) * dec(0.5 + 0.5 * conf);
            (budget / buy_limit, buy_limit, true, Some(book_qty))
        }
        // The start asset is the account's currency: its amount is the
        // notional, and the legs hold no position once the cycle closes.
        TradeShape::Cycle { start_qty, .. } => {
            let budget = equity * frac(profile.arbitrage_alloc_pct) * dec(0.5 + 0.5 * conf);
            (budget, Decimal::ONE, true, Some(start_qty))
        }
        TradeShape::Directional {
            direction,
            entry,
            stop_loss,
            ..
        } => {
            let scale = ((conf - 0.5) / 0.3).clamp(0.25, 1.0);
            let risk_amount = equity * frac(profile.risk_per_trade_pct) * dec(scale);
            let distance = (entry - stop_loss).abs();
            let q = if distance.is_zero() {
                Decimal::ZERO
            } else {
                risk_amount / distance
            };
            let long = direction == Direction::Up;
            let adds = position_qty.is_zero() || (position_qty > Decimal::ZERO) == long;
            (q, entry, adds, None)
        }
        TradeShape::Contract { .. } => {
            // A contract's confidence is the probability of its side.
            let scale = ((conf - 0.5) / 0.25).clamp(0.25, 1.0);
            (
                equity * frac(profile.binary_stake_pct) * dec(scale),
                Decimal::ONE,
                true,
                None,
            )
        }
    };
    let mut qty = raw * feedback * dec(ensemble_factor(opp));
    let mut bound = SizeBound::Budget;
    let mut cap_at = |q: &mut Decimal, cap: Decimal, why: SizeBound| {
        if cap < *q {
            *q = cap;
            bound = why;
        }
    };
    if let Some(cap) = book_cap {
        cap_at(&mut qty, cap, SizeBound::Book);
    }
    if price > Decimal::ZERO {
        cap_at(
            &mut qty,
            limits.max_order_notional / price,
            SizeBound::OrderNotional,
        );
        let held = (position_qty * mark).abs();
        let room = if adds_to_position {
            position_cap - held
        } else {
            // Reversing: the new side may be as large as the cap plus what it closes.
            position_cap + held
        };
        cap_at(
            &mut qty,
            room.max(Decimal::ZERO) / price,
            SizeBound::Position,
        );
    }
    Sized {
        qty: floor_to(qty, lot_size),
        price,
        bound,
    }
}

/// The limits of a cycle's legs: each gives up a third of `slack`'s share
/// of the net return (`net_return`, a fraction), rounded onto its tick grid
/// toward the price seen (`ticks`), so never more: a buy's limit at or
/// above its ask, a sell's at or below its bid.
pub fn cycle_limits(
    legs: &[crate::domain::CycleLeg; 3],
    net_return: Decimal,
    slack: Decimal,
    ticks: [Decimal; 3],
) -> [Decimal; 3] {
    use crate::domain::Side;
    let give = net_return.max(Decimal::ZERO) * slack / Decimal::from(3);
    let mut out = [Decimal::ZERO; 3];
    for (k, leg) in legs.iter().enumerate() {
        out[k] = match leg.side {
            Side::Buy => on_tick(leg.price * (Decimal::ONE + give), ticks[k], false),
            Side::Sell => on_tick(leg.price * (Decimal::ONE - give), ticks[k], true),
        };
    }
    out
}

/// `x` on the `tick` grid, rounded up or down; as it is when the tick is
/// not positive or far below the price (the quotient would overflow).
fn on_tick(x: Decimal, tick: Decimal, up: bool) -> Decimal {
    if tick <= Decimal::ZERO {
        return x;
    }
    x.checked_div(tick)
        .map_or(x, |n| if up { n.ceil() } else { n.floor() } * tick)
}

/// The base quantity of each leg of a cycle started with `start` of its
/// start asset: each leg trades what the one before handed on, on its own
/// instrument's lot grid (`lots`), so rounding leaves dust behind, never a
/// leg short of what it spends. Priced at the legs' limits (the worst each
/// may fill at), so a leg that fills at its limit still hands on enough.
/// `None` on overflow or a zero price.
pub fn cycle_quantities(
    legs: &[crate::domain::CycleLeg; 3],
    start: Decimal,
    lots: [Decimal; 3],
) -> Option<[Decimal; 3]> {
    use crate::domain::Side;
    let mut amount = start;
    let mut out = [Decimal::ZERO; 3];
    for (k, leg) in legs.iter().enumerate() {
        let base = floor_to(leg.base_for(amount)?, lots[k]);
        out[k] = base;
        amount = match leg.side {
            Side::Buy => base,
            Side::Sell => base.checked_mul(leg.price)?,
        };
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{
        ArbitrageDetail, BinaryDetail, ForexDetail, InstrumentId, OpportunityDetail, OpportunityId,
        Timestamp, VenueId,
    };
    use proptest::prelude::*;
    use rust_decimal::dec;

    /// The built-in sections these tests use.
    struct Builtin {
        risk: crate::risk::config::RiskConfig,
    }

    fn builtin() -> Builtin {
        Builtin {
            risk: crate::defaults::section("risk"),
        }
    }

    fn opp(detail: OpportunityDetail) -> Opportunity {
        Opportunity {
            id: OpportunityId(1),
            instrument: InstrumentId(0),
            detail,
            score: 0.0,
            created: Timestamp(0),
            updated: Timestamp(0),
            expires: Timestamp(0),
            belief: None,
            feedback_scale: 1.0,
        }
    }

    fn forex(entry: Decimal, stop: Decimal, confidence: f64) -> Opportunity {
        opp(OpportunityDetail::Forex(ForexDetail {
            direction: if stop < entry {
                Direction::Up
            } else {
                Direction::Down
            },
            entry,
            stop_loss: stop,
            take_profit: entry + (entry - stop) * dec!(2),
            reward_risk: dec!(2),
            confidence,
            rsi: 30.0,
            sma_fast: 0.0,
            sma_slow: 0.0,
            atr: 0.0,
            spread: None,
            win_probability: None,
            expected_r: None,
        }))
    }

    #[test]
    fn forex_risks_the_profile_fraction_at_the_stop() {
        let cfg = builtin();
        let o = forex(dec!(1.1000), dec!(1.0990), 0.8);
        let s = size(&SizingInput {
            opportunity: &o,
            equity: dec!(10000),
            position_qty: Decimal::ZERO,
            mark: dec!(1.1),
            lot_size: dec!(1),
            profile: &cfg.risk.profiles.balanced,
            limits: &cfg.risk,
        });
        // 0.5 % of 10 000 = 50 at a 0.0010 stop = 50 000 units, but the 25 %
        // position cap (2 500 / 1.1 = 2 272 units) binds first.
        assert_eq!(s.qty, dec!(2272));
    }

    fn arb(qty: Decimal, risk: u8) -> Opportunity {
        opp(OpportunityDetail::Arbitrage(ArbitrageDetail {
            buy_venue: VenueId(0),
            sell_venue: VenueId(1),
            buy_price: dec!(50000),
            sell_price: dec!(50300),
            qty,
            spread_pct: dec!(0.6),
            fees: dec!(0),
            net_profit: dec!(0),
            net_pct: dec!(0.4),
            risk_score: risk,
            buy_levels: Vec::new(),
            sell_levels: Vec::new(),
        }))
    }

    #[test]
    fn a_depth_sized_arbitrage_is_priced_at_the_worst_ask_it_may_buy_at() {
        let cfg = builtin();
        let top = arb(dec!(10), 0);
        let mut deep = top.clone();
        if let OpportunityDetail::Arbitrage(a) = &mut deep.detail {
            a.buy_levels = vec![
                crate::domain::Level {
                    price: dec!(50000),
                    qty: dec!(1),
                },
                crate::domain::Level {
                    price: dec!(50200),
                    qty: dec!(9),
                },
            ];
            a.sell_levels = vec![crate::domain::Level {
                price: dec!(50300),
                qty: dec!(10),
            }];
        }
        let sized = |o: &Opportunity| {
            size(&SizingInput {
                opportunity: o,
                equity: dec!(1000000),
                position_qty: Decimal::ZERO,
                mark: dec!(50000),
                lot_size: dec!(0.00001),
                profile: &cfg.risk.profiles.balanced,
                limits: &cfg.risk,
            })
        };
        let (a, b) = (sized(&top), sized(&deep));
        assert_eq!((a.price, b.price), (dec!(50000), dec!(50200)));
        // The same budget buys less at the worse price, never more.
        assert!(b.qty < a.qty, "{a:?} {b:?}");
        assert!(
            b.qty * dec!(50200) <= a.qty * dec!(50000) + dec!(1),
            "{a:?} {b:?}"
        );
    }

    #[test]
    fn a_cycles_legs_trade_what_the_leg_before_handed_on_on_their_lot_grids() {
        use crate::domain::{CycleLeg, Side};
        let leg = |side, price| CycleLeg {
            instrument: InstrumentId(0),
            side,
            price,
            qty: Decimal::ZERO,
        };
        // USDT → BTC (ask 50 000) → ETH (ETH/BTC ask 0.05) → USDT (bid 2 520).
        let legs = [
            leg(Side::Buy, dec!(50000)),
            leg(Side::Buy, dec!(0.05)),
            leg(Side::Sell, dec!(2520)),
        ];
        let q = cycle_quantities(
            &legs,
            dec!(1000),
            [dec!(0.00001), dec!(0.0001), dec!(0.0001)],
        )
        .unwrap();
        // 1 000 / 50 000 = 0.02 BTC; 0.02 / 0.05 = 0.4 ETH; sell the 0.4.
        assert_eq!(q, [dec!(0.02), dec!(0.4), dec!(0.4)]);
        // 999 USDT: 0.01998 BTC buys 0.3996 ETH (0.0001 grid), all sold.
        let q = cycle_quantities(
            &legs,
            dec!(999),
            [dec!(0.00001), dec!(0.0001), dec!(0.0001)],
        )
        .unwrap();
        assert_eq!(q, [dec!(0.01998), dec!(0.3996), dec!(0.3996)]);
        // Never spends more BTC than the first leg bought.
        assert!(q[1] * dec!(0.05) <= q[0]);
    }

    fn binary(p: f64) -> Opportunity {
        opp(OpportunityDetail::Binary(BinaryDetail {
            direction: Direction::Up,
            strike: dec!(100),
            expiry_secs: 60,
            probability: p,
            p_up: p,
            momentum_p_up: p,
            calibrated: true,
            payout: dec!(0.85),
            expected_value: 0.0,
            drift: 0.0,
            volatility: 0.0,
        }))
    }

    proptest! {
        #[test]
        fn prop_sizing_never_exceeds_a_limit(
            equity in 100u64..1_000_000,
            held in -50_000i64..50_000,
            conf in 0.0f64..1.0,
            kind in 0u8..3,
            top in 1u32..1000,
            stop_pips in 1u32..500,
            max_notional in 100u64..100_000,
            max_pos_pct in 1u32..100,
        ) {
            let mut cfg = builtin();
            cfg.risk.max_order_notional = Decimal::from(max_notional);
            cfg.risk.max_position_pct = Decimal::from(max_pos_pct);
            let equity = Decimal::from(equity);
            let (o, mark, lot) = match kind {
                0 => (arb(Decimal::new(top as i64, 2), (conf * 100.0) as u8), dec!(50000), dec!(0.00001)),
                1 => (forex(dec!(1.1), dec!(1.1) - Decimal::new(stop_pips as i64, 5), conf), dec!(1.1), dec!(1)),
                _ => (binary(0.5 + conf / 2.0), dec!(1), dec!(0.01)),
            };
            let position_qty = Decimal::from(held) / mark;
            let s = size(&SizingInput {
                opportunity: &o,
                equity,
                position_qty,
                mark,
                lot_size: lot,
                profile: &cfg.risk.profiles.aggressive,
                limits: &cfg.risk,
            });
            prop_assert!(s.qty >= Decimal::ZERO);
            prop_assert!(s.qty * s.price <= cfg.risk.max_order_notional);
            let cap = equity * cfg.risk.max_position_pct / Decimal::ONE_HUNDRED;
            let adds = match &o.detail {
                OpportunityDetail::Forex(f) => position_qty.is_zero() || (position_qty > Decimal::ZERO) == (f.direction == Direction::Up),
                _ => true,
            };
            if adds {
                prop_assert!((position_qty * mark).abs() + s.qty * s.price <= cap.max((position_qty * mark).abs()));
            } else {
                let sign = if position_qty > Decimal::ZERO { Decimal::NEGATIVE_ONE } else { Decimal::ONE };
                let after = position_qty + sign * s.qty;
                prop_assert!(after.abs() * s.price <= cap || after.abs() <= position_qty.abs());
            }
            if let OpportunityDetail::Arbitrage(a) = &o.detail {
                prop_assert!(s.qty <= a.qty);
            }
        }
    }
}
