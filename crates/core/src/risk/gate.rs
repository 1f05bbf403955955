//! The pre-trade gate: every order intent gets Approved or Refused{reason}.

use super::account::AccountRisk;
use super::hours::Session;
use super::reason::{Refusal, RefusalReason, Verdict};
use super::state::TradingState;
use crate::config::{RiskConfig, SignalRule};
use crate::domain::{
    AccountInfo, AccountType, AssetClass, Direction, InstrumentId, OpportunityId, OpportunityKind,
    Side, Timestamp, VenueId, time::MILLI, time::SECOND,
};
use crate::market::QuoteBook;
use rust_decimal::Decimal;

/// One leg of an intent: where, which side, at what expected price.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IntentLeg {
    pub venue: VenueId,
    pub side: Side,
    /// The price the intent expects (checked against the latest quote).
    pub price: Decimal,
}

/// What an account wants to do for an approved opportunity, after sizing.
#[derive(Clone, Debug, PartialEq)]
pub struct OrderIntent {
    pub opportunity: OpportunityId,
    pub kind: OpportunityKind,
    pub instrument: InstrumentId,
    pub direction: Direction,
    /// The signal's confidence in [0, 1].
    pub confidence: f64,
    /// One leg, or two for arbitrage.
    pub legs: Vec<IntentLeg>,
    /// Quantity per leg (the stake, for binary).
    pub qty: Decimal,
    /// Notional of the largest leg, in the account currency.
    pub notional: Decimal,
    /// The limit that bound the size (names the refusal when it is too small).
    pub bound: crate::router::sizing::SizeBound,
}

/// The account and market facts the gate reads.
#[derive(Clone, Copy, Debug)]
pub struct GateContext<'a> {
    /// Event time.
    pub now: Timestamp,
    pub state: TradingState,
    /// The instrument's asset class.
    pub class: AssetClass,
    /// The instrument's minimum quantity.
    pub min_qty: Decimal,
    pub account: &'a AccountInfo,
    pub risk: &'a AccountRisk,
    pub equity: Decimal,
    /// Notional of the instrument position if the intent fills.
    pub position_after: Decimal,
    pub book: &'a QuoteBook,
}

/// The gate: limits from config, sessions per asset class.
#[derive(Clone, Debug)]
pub struct RiskGate {
    cfg: RiskConfig,
    sessions: [Session; 3],
}

fn refuse(reason: RefusalReason, detail: String) -> Verdict {
    Verdict::Refused(Refusal { reason, detail })
}

fn pct(x: Decimal) -> String {
    format!("{}%", x.round_dp(2))
}

impl RiskGate {
    /// A gate with these limits. Sessions were validated with the config;
    /// an unparsable one falls back to always-open.
    pub fn new(cfg: RiskConfig) -> Self {
        let parse = |s| Session::parse(s).unwrap_or(Session::ALWAYS);
        let sessions = [
            parse(&cfg.hours.crypto),
            parse(&cfg.hours.forex),
            parse(&cfg.hours.metal),
        ];
        Self { cfg, sessions }
    }

    pub fn config(&self) -> &RiskConfig {
        &self.cfg
    }

    /// The session of an asset class.
    pub fn session(&self, class: AssetClass) -> &Session {
        match class {
            AssetClass::Crypto => &self.sessions[0],
            AssetClass::Forex => &self.sessions[1],
            AssetClass::Metal => &self.sessions[2],
        }
    }

    /// Signal rule of a kind.
    pub fn signal_rule(&self, kind: OpportunityKind) -> &SignalRule {
        match kind {
            OpportunityKind::Arbitrage => &self.cfg.signal.arbitrage,
            OpportunityKind::Forex => &self.cfg.signal.forex,
            OpportunityKind::Binary => &self.cfg.signal.binary,
        }
    }

    /// Checks one intent. Pure: nothing is recorded here. The first failing
    /// check wins; its reason and numbers are returned.
    pub fn check(&self, i: &OrderIntent, c: &GateContext<'_>) -> Verdict {
        use RefusalReason as R;
        let cfg = &self.cfg;
        match c.state {
            TradingState::Halted => return refuse(R::Halted, "trading is HALTED".into()),
            TradingState::Reducing => {
                return refuse(R::Reducing, "trading is REDUCING: no new exposure".into());
            }
            TradingState::Active => {}
        }

        let rule = self.signal_rule(i.kind);
        if i.direction == Direction::Neutral {
            return refuse(R::NeutralDirection, "signal has no direction".into());
        }
        if i.confidence < rule.min_confidence {
            return refuse(
                R::LowConfidence,
                format!(
                    "confidence {:.2} < {:.2}",
                    i.confidence, rule.min_confidence
                ),
            );
        }
        if !self.session(c.class).is_open(c.now) {
            return refuse(
                R::OutsideTradingHours,
                format!("{} market closed", c.class.as_str()),
            );
        }
        if let Some(last) = c.risk.last_entry_at(i.kind, i.instrument) {
            let since = c.now.since(last);
            if since < rule.min_interval_secs * SECOND {
                return refuse(
                    R::MinInterval,
                    format!(
                        "last entry {}s ago < {}s",
                        since / SECOND,
                        rule.min_interval_secs
                    ),
                );
            }
        }

        if let Some(until) = c.risk.cooldown_until.filter(|&t| c.now < t) {
            return refuse(
                R::LossStreakCooldown,
                format!("cooldown for {}s more", until.since(c.now) / SECOND),
            );
        }
        if c.risk.trades_today >= cfg.daily_trade_limit {
            return refuse(
                R::DailyTradeLimit,
                format!(
                    "{} trades today >= {}",
                    c.risk.trades_today, cfg.daily_trade_limit
                ),
            );
        }
        let recent = c
            .risk
            .recent_orders
            .iter()
            .filter(|t| c.now.since(**t) < 60 * SECOND)
            .count() as u32;
        if recent >= cfg.max_orders_per_minute {
            return refuse(
                R::OrderRateLimit,
                format!(
                    "{recent} orders in the last minute >= {}",
                    cfg.max_orders_per_minute
                ),
            );
        }
        let day_loss = c.risk.start_of_day_equity - c.equity;
        if day_loss >= cfg.daily_loss_limit {
            return refuse(
                R::DailyLossLimit,
                format!(
                    "down {} today >= {}",
                    day_loss.round_dp(2),
                    cfg.daily_loss_limit
                ),
            );
        }
        if c.account.kind == AccountType::PropFirm {
            let limit =
                c.risk.start_of_day_equity * cfg.prop_firm.daily_loss_pct / Decimal::ONE_HUNDRED;
            if day_loss >= limit {
                return refuse(
                    R::PropDailyLoss,
                    format!(
                        "down {} today >= {} of start-of-day equity",
                        day_loss.round_dp(2),
                        pct(cfg.prop_firm.daily_loss_pct)
                    ),
                );
            }
            let drawdown = c.account.initial_balance - c.equity;
            let max_dd =
                c.account.initial_balance * cfg.prop_firm.max_drawdown_pct / Decimal::ONE_HUNDRED;
            if drawdown >= max_dd {
                return refuse(
                    R::PropMaxDrawdown,
                    format!(
                        "drawdown {} >= {} of the starting balance",
                        drawdown.round_dp(2),
                        pct(cfg.prop_firm.max_drawdown_pct)
                    ),
                );
            }
        }

        for leg in &i.legs {
            let Some(q) = c.book.quote(leg.venue, i.instrument) else {
                return refuse(R::NoQuote, "no quote from the venue".into());
            };
            let age = c.now.since(q.ts);
            if age > cfg.max_quote_age_ms * MILLI {
                return refuse(
                    R::StaleQuote,
                    format!("quote {}ms old > {}ms", age / MILLI, cfg.max_quote_age_ms),
                );
            }
            let reference = match (i.kind, leg.side) {
                (OpportunityKind::Binary, _) => q.mid(),
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
        }

        if i.qty <= Decimal::ZERO || i.qty < c.min_qty {
            use crate::router::sizing::SizeBound;
            return match i.bound {
                SizeBound::Position => refuse(
                    R::MaxPosition,
                    format!(
                        "no room under the {} position cap (size {} < minimum {})",
                        pct(cfg.max_position_pct),
                        i.qty,
                        c.min_qty
                    ),
                ),
                SizeBound::OrderNotional => refuse(
                    R::MaxOrderNotional,
                    format!(
                        "the {} order cap leaves size {} < minimum {}",
                        cfg.max_order_notional, i.qty, c.min_qty
                    ),
                ),
                _ => refuse(
                    R::SizeTooSmall,
                    format!("size {} < minimum {}", i.qty, c.min_qty),
                ),
            };
        }
        if i.notional > cfg.max_order_notional {
            return refuse(
                R::MaxOrderNotional,
                format!(
                    "notional {} > {}",
                    i.notional.round_dp(2),
                    cfg.max_order_notional
                ),
            );
        }
        let cap = c.equity * cfg.max_position_pct / Decimal::ONE_HUNDRED;
        if c.position_after > cap {
            let share = if c.equity > Decimal::ZERO {
                c.position_after / c.equity * Decimal::ONE_HUNDRED
            } else {
                Decimal::ONE_HUNDRED
            };
            return refuse(
                R::MaxPosition,
                format!(
                    "position {} of equity > {}",
                    pct(share),
                    pct(cfg.max_position_pct)
                ),
            );
        }
        Verdict::Approved
    }
}
