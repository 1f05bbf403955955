//! The pre-trade rules, one function each, checked in the order of
//! [`RULES`]. A new rule is a function here, a line in the table, and its
//! reason in [`RefusalReason`](super::RefusalReason): the gate, the audit,
//! the summaries and the cockpit pick it up from there.

use super::gate::{GateContext, OrderIntent, RiskGate};
use super::reason::{Refusal, RefusalReason as R, SizeBound};
use super::state::TradingState;
use crate::domain::{AccountType, Direction, ShapeKind, Side, time::MILLI, time::SECOND};
use rust_decimal::Decimal;

/// One rule: a name for documentation and tests, and the check, which
/// returns the refusal when the intent breaks the rule.
pub struct Rule {
    /// What the rule checks, in a few words.
    pub name: &'static str,
    /// `None` when the intent passes.
    pub check: fn(&RiskGate, &OrderIntent, &GateContext<'_>) -> Option<Refusal>,
}

/// Every rule, in the order they are checked; the first refusal wins.
pub const RULES: &[Rule] = &[
    Rule {
        name: "trading state",
        check: trading_state,
    },
    Rule {
        name: "venue reconciliation",
        check: reconciled,
    },
    Rule {
        name: "signal direction",
        check: direction,
    },
    Rule {
        name: "signal confidence",
        check: confidence,
    },
    Rule {
        name: "trading hours",
        check: trading_hours,
    },
    Rule {
        name: "minimum interval between entries",
        check: min_interval,
    },
    Rule {
        name: "loss-streak cooldown",
        check: loss_streak_cooldown,
    },
    Rule {
        name: "daily trade limit",
        check: daily_trade_limit,
    },
    Rule {
        name: "order rate",
        check: order_rate,
    },
    Rule {
        name: "daily loss",
        check: daily_loss,
    },
    Rule {
        name: "prop-firm limits",
        check: prop_firm,
    },
    Rule {
        name: "quotes and price collar",
        check: quotes_and_collar,
    },
    Rule {
        name: "minimum size",
        check: minimum_size,
    },
    Rule {
        name: "order notional",
        check: order_notional,
    },
    Rule {
        name: "position share of equity",
        check: position_share,
    },
    Rule {
        name: "broker margin",
        check: broker_margin,
    },
];

fn refuse(reason: R, detail: String) -> Option<Refusal> {
    Some(Refusal { reason, detail })
}

fn pct(x: Decimal) -> String {
    format!("{}%", x.round_dp(2))
}

fn trading_state(_: &RiskGate, i: &OrderIntent, c: &GateContext<'_>) -> Option<Refusal> {
    match c.state {
        TradingState::Halted => refuse(R::Halted, "trading is HALTED".into()),
        TradingState::Reducing => adds_exposure(i, c).map(|why| Refusal {
            reason: R::Reducing,
            detail: format!("trading is REDUCING: {why}"),
        }),
        TradingState::Active => None,
    }
}

fn reconciled(_: &RiskGate, i: &OrderIntent, c: &GateContext<'_>) -> Option<Refusal> {
    let why = c.unreconciled?;
    adds_exposure(i, c).map(|adds| Refusal {
        reason: R::Unreconciled,
        detail: format!("account blocked ({why}): {adds}"),
    })
}

/// Why an intent is not purely risk-reducing, or `None` when it only shrinks
/// the account's open position: every leg is on the opposite side of that
/// position and no larger than it. So an arbitrage (a buy and a sell) never
/// passes, and a binary purchase is always new exposure (a contract is only
/// ever sold back by the kill switch's flatten, which does not pass the gate).
fn adds_exposure(i: &OrderIntent, c: &GateContext<'_>) -> Option<String> {
    match i.kind.shape() {
        ShapeKind::Contract => {
            return Some(format!("a {} purchase is new exposure", i.kind.as_str()));
        }
        // Its legs open positions on three instruments until it closes.
        ShapeKind::Cycle => return Some("a triangular cycle is new exposure".into()),
        _ => {}
    }
    let held = c.position_qty;
    for leg in &i.legs {
        let shrinks = match leg.side {
            Side::Buy => held < Decimal::ZERO,
            Side::Sell => held > Decimal::ZERO,
        };
        if !shrinks {
            return Some(if held.is_zero() {
                format!("{} {} opens a position", leg.side.as_str(), i.qty)
            } else {
                format!(
                    "{} {} adds to the position of {held}",
                    leg.side.as_str(),
                    i.qty
                )
            });
        }
        if i.qty > held.abs() {
            return Some(format!(
                "{} {} is more than the position of {held}",
                leg.side.as_str(),
                i.qty
            ));
        }
    }
    None
}

fn direction(_: &RiskGate, i: &OrderIntent, _: &GateContext<'_>) -> Option<Refusal> {
    (i.direction == Direction::Neutral).then(|| Refusal {
        reason: R::NeutralDirection,
        detail: "signal has no direction".into(),
    })
}

fn confidence(g: &RiskGate, i: &OrderIntent, _: &GateContext<'_>) -> Option<Refusal> {
    let min = g.signal_rule(i.kind).min_confidence;
    if i.confidence < min {
        return refuse(
            R::LowConfidence,
            format!("confidence {:.2} < {:.2}", i.confidence, min),
        );
    }
    None
}

fn trading_hours(g: &RiskGate, _: &OrderIntent, c: &GateContext<'_>) -> Option<Refusal> {
    if !g.session(c.class).is_open(c.now) {
        return refuse(
            R::OutsideTradingHours,
            format!("{} market closed", c.class.as_str()),
        );
    }
    None
}

fn min_interval(g: &RiskGate, i: &OrderIntent, c: &GateContext<'_>) -> Option<Refusal> {
    let rule = g.signal_rule(i.kind);
    let last = c.risk.last_entry_at(i.kind, i.instrument)?;
    let since = c.now.since(last);
    // Saturating: a configured interval never wraps into a negative one.
    if since < rule.min_interval_secs.saturating_mul(SECOND) {
        return refuse(
            R::MinInterval,
            format!(
                "last entry {}s ago < {}s",
                since / SECOND,
                rule.min_interval_secs
            ),
        );
    }
    None
}

fn loss_streak_cooldown(_: &RiskGate, _: &OrderIntent, c: &GateContext<'_>) -> Option<Refusal> {
    let until = c.risk.cooldown_until.filter(|&t| c.now < t)?;
    refuse(
        R::LossStreakCooldown,
        format!("cooldown for {}s more", until.since(c.now) / SECOND),
    )
}

fn daily_trade_limit(g: &RiskGate, _: &OrderIntent, c: &GateContext<'_>) -> Option<Refusal> {
    let limit = g.config().daily_trade_limit;
    if c.risk.trades_today >= limit {
        return refuse(
            R::DailyTradeLimit,
            format!("{} trades today >= {limit}", c.risk.trades_today),
        );
    }
    None
}

/// Every leg is an order: the intent passes only if all of them fit in the
/// account's rolling minute.
fn order_rate(g: &RiskGate, i: &OrderIntent, c: &GateContext<'_>) -> Option<Refusal> {
    let limit = g.config().max_orders_per_minute;
    let recent = c.risk.orders_last_minute(c.now);
    let legs = u32::try_from(i.legs.len()).unwrap_or(u32::MAX);
    if recent.saturating_add(legs) > limit {
        return refuse(
            R::OrderRateLimit,
            format!("{recent} orders in the last minute + {legs} > {limit}"),
        );
    }
    None
}

fn daily_loss(g: &RiskGate, _: &OrderIntent, c: &GateContext<'_>) -> Option<Refusal> {
    let limit = g.config().daily_loss_limit;
    let day_loss = c.risk.start_of_day_equity - c.equity;
    if day_loss >= limit {
        return refuse(
            R::DailyLossLimit,
            format!("down {} today >= {limit}", day_loss.round_dp(2)),
        );
    }
    None
}

/// Measured on the broker's equity when it reports one: the firm judges
/// by its numbers, not ours. A limit reached (less the buffer) makes the
/// account REDUCING, as a pause does, but for this account only: an
/// intent that only shrinks its open position passes (it takes the
/// account away from the firm's limit, and refusing it could leave a
/// losing position to run into that limit); any other is refused with the
/// limit's reason and numbers and why it is not reducing.
fn prop_firm(g: &RiskGate, i: &OrderIntent, c: &GateContext<'_>) -> Option<Refusal> {
    if c.account.kind != AccountType::PropFirm {
        return None;
    }
    let cfg = &g.config().prop_firm;
    let equity = c.funds.and_then(|f| f.equity).unwrap_or(c.equity);
    let (reason, detail) = super::prop::measure(cfg, c.account, c.risk, equity).breach(cfg)?;
    let adds = adds_exposure(i, c)?;
    refuse(reason, format!("{detail}; the account is REDUCING: {adds}"))
}

/// The broker's margin available must cover the order's notional at the
/// account's leverage; checked only where the broker reports it.
fn broker_margin(_: &RiskGate, i: &OrderIntent, c: &GateContext<'_>) -> Option<Refusal> {
    let available = c.funds.and_then(|f| f.margin_available)?;
    let needed = i.notional.checked_div(c.account.leverage)?;
    if needed > available {
        return refuse(
            R::InsufficientMargin,
            format!(
                "needs {} of margin ({} at {}:1), the broker reports {} available",
                needed.round_dp(2),
                i.notional.round_dp(2),
                c.account.leverage.normalize(),
                available.round_dp(2)
            ),
        );
    }
    None
}

/// Every leg needs a fresh quote, its price within the collar of that
/// quote, and within the collar of the instrument's independent reference
/// (the other venues' mids), so a bad quote cannot vouch for itself.
fn quotes_and_collar(g: &RiskGate, i: &OrderIntent, c: &GateContext<'_>) -> Option<Refusal> {
    let cfg = g.config();
    for leg in &i.legs {
        let Some(q) = c.book.quote(leg.venue, leg.instrument) else {
            return refuse(R::NoQuote, "no quote from the venue".into());
        };
        let age = c.now.since(q.ts);
        if age > cfg.max_quote_age_ms.saturating_mul(MILLI) {
            return refuse(
                R::StaleQuote,
                format!("quote {}ms old > {}ms", age / MILLI, cfg.max_quote_age_ms),
            );
        }
        let reference = match (i.kind.shape(), leg.side) {
            // A contract is struck at the mid.
            (ShapeKind::Contract, _) => q.mid(),
            (_, Side::Buy) => q.ask,
            (_, Side::Sell) => q.bid,
        };
        if reference > Decimal::ZERO {
            let off = ((leg.price - reference) / reference).abs() * Decimal::ONE_HUNDRED;
            if off > cfg.price_collar_pct {
                return refuse(
                    R::PriceCollar,
                    format!(
                        "price {} is {} from the quote {} (> {})",
                        leg.price,
                        pct(off),
                        reference,
                        pct(cfg.price_collar_pct)
                    ),
                );
            }
        }
        let reference = c
            .guard
            .reference(c.catalog, c.book, leg.instrument, leg.venue, c.now);
        // A reference is a plausible (positive) mid; checked all the same.
        let off = reference.and_then(|r| {
            (leg.price - r.price)
                .checked_div(r.price)
                .and_then(|x| x.abs().checked_mul(Decimal::ONE_HUNDRED))
                .map(|off| (r, off))
        });
        let Some((r, off)) = off else {
            return refuse(
                R::NoReference,
                format!(
                    "no reference price: no other venue quoted {} in the last {}s",
                    c.catalog.instrument(leg.instrument).name,
                    c.guard.config().reference_max_age_secs
                ),
            );
        };
        if off > cfg.reference_collar_pct {
            return refuse(
                R::ReferenceCollar,
                format!(
                    "price {} is {} from the reference {} (median of {} venue{}; > {})",
                    leg.price,
                    pct(off),
                    r.price.round_dp(8),
                    r.venues,
                    if r.venues == 1 { "" } else { "s" },
                    pct(cfg.reference_collar_pct)
                ),
            );
        }
    }
    None
}

/// Sized below the minimum (any leg, on its own instrument's minimum):
/// named after the limit that shrank it.
fn minimum_size(g: &RiskGate, i: &OrderIntent, c: &GateContext<'_>) -> Option<Refusal> {
    // The first leg under its instrument's minimum (every leg trades the
    // intent's instrument and quantity, but a cycle's).
    let short = i.legs.iter().find_map(|leg| {
        let min = if leg.instrument == i.instrument {
            c.min_qty
        } else {
            c.catalog.instrument(leg.instrument).min_qty
        };
        (leg.qty <= Decimal::ZERO || leg.qty < min).then_some((leg.qty, min))
    });
    let (qty, min) = match short {
        Some(s) => s,
        None if i.qty <= Decimal::ZERO => (i.qty, c.min_qty),
        None => return None,
    };
    let cfg = g.config();
    match i.bound {
        SizeBound::Position => refuse(
            R::MaxPosition,
            format!(
                "no room under the {} position cap (size {qty} < minimum {min})",
                pct(cfg.max_position_pct),
            ),
        ),
        SizeBound::OrderNotional => refuse(
            R::MaxOrderNotional,
            format!(
                "the {} order cap leaves size {qty} < minimum {min}",
                cfg.max_order_notional
            ),
        ),
        _ => refuse(R::SizeTooSmall, format!("size {qty} < minimum {min}")),
    }
}

fn order_notional(g: &RiskGate, i: &OrderIntent, _: &GateContext<'_>) -> Option<Refusal> {
    let max = g.config().max_order_notional;
    if i.notional > max {
        return refuse(
            R::MaxOrderNotional,
            format!("notional {} > {max}", i.notional.round_dp(2)),
        );
    }
    None
}

/// The position after the fill within its share of equity; an intent that
/// only shrinks the position passes (it cannot make the share worse).
fn position_share(g: &RiskGate, i: &OrderIntent, c: &GateContext<'_>) -> Option<Refusal> {
    let max_pct = g.config().max_position_pct;
    let cap = c.equity * max_pct / Decimal::ONE_HUNDRED;
    if c.position_after <= cap || adds_exposure(i, c).is_none() {
        return None;
    }
    let share = if c.equity > Decimal::ZERO {
        c.position_after / c.equity * Decimal::ONE_HUNDRED
    } else {
        Decimal::ONE_HUNDRED
    };
    refuse(
        R::MaxPosition,
        format!("position {} of equity > {}", pct(share), pct(max_pct)),
    )
}
