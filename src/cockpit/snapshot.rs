//! What the cockpit shows, read off the engine in one go. The engine thread
//! builds it; the UI only reads it.

use omni_core::config::ApprovalMode;
use omni_core::domain::{
    AccountMode, BetaBelief, Direction, InstrumentId, OpportunityDetail, OpportunityId,
    OpportunityKind, Side, Timestamp, time::MILLI, time::SECOND,
};
use omni_core::engine::Engine;
use omni_core::ensemble::{Combined, Horizon};
use omni_core::risk::{RefusalReason, RiskLevel, TradingState, Verdict};
use rust_decimal::Decimal;

/// One market's top of book.
#[derive(Clone, Debug, PartialEq)]
pub struct QuoteRow {
    pub venue: String,
    pub instrument: String,
    pub bid: Decimal,
    pub ask: Decimal,
    /// Ask − bid.
    pub spread: Decimal,
    /// Last change of the mid.
    pub change: Decimal,
    /// Age of the last update, ms.
    pub age_ms: i64,
    /// Older than the gate accepts.
    pub stale: bool,
    /// Decimal places of the instrument's tick.
    pub dp: u32,
}

/// What the gate would say if the opportunity were approved now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GatePreview {
    /// Accounts that would trade.
    pub approved: usize,
    /// Accounts routed.
    pub total: usize,
    /// The first refusal: account, reason, numbers.
    pub refusal: Option<(String, RefusalReason, String)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct OppRow {
    pub id: OpportunityId,
    pub kind: OpportunityKind,
    pub instrument: InstrumentId,
    pub instrument_name: String,
    /// `binance → kraken`, `BUY` or `UP`.
    pub headline: String,
    /// Edge (arbitrage), confidence (forex) or probability (binary).
    pub edge: String,
    /// Expected profit: quote currency (arbitrage), reward/risk (forex),
    /// EV per unit staked (binary).
    pub expected: String,
    /// Whole seconds until it expires undecided, rounded up.
    pub ttl_secs: i64,
    /// The gate's answer now.
    pub gate: GatePreview,
    /// The numbers behind it.
    pub detail: String,
    /// The ensemble's belief attached to it.
    pub belief: Option<BetaBelief>,
}

/// One model's reading for the Ensemble pane.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ModelRow {
    pub alpha: f64,
    pub beta: f64,
    /// Recent hit rate.
    pub hit_rate: f64,
}

/// The ensemble of one instrument.
#[derive(Clone, Debug, PartialEq)]
pub struct EnsembleRow {
    pub instrument: InstrumentId,
    /// Short, medium, long.
    pub models: [Option<ModelRow>; 3],
    pub combined: Option<Combined>,
}

/// One limit, at the account that uses most of it.
#[derive(Clone, Debug, PartialEq)]
pub struct LimitRow {
    pub name: String,
    /// Account using most of it.
    pub account: String,
    /// Amount used, in the same unit as `limit`.
    pub used: f64,
    pub limit: f64,
}

impl LimitRow {
    /// Share used, 0..1 (capped).
    pub fn fraction(&self) -> f64 {
        if self.limit > 0.0 {
            (self.used / self.limit).clamp(0.0, 1.0)
        } else {
            0.0
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct PositionRow {
    pub account: String,
    pub instrument: String,
    /// BUY (long) or SELL (short).
    pub side: Side,
    /// Absolute quantity (stake for binary).
    pub qty: Decimal,
    /// Average price (per unit staked for binary).
    pub avg: Decimal,
    pub mark: Decimal,
    pub upnl: Decimal,
    pub stop: Option<Decimal>,
    pub take: Option<Decimal>,
    /// Binary: direction, strike and seconds to expiry.
    pub binary: Option<(Direction, Decimal, i64)>,
    /// Decimal places for prices.
    pub dp: u32,
}

/// One account for the status bar and the kill banner.
#[derive(Clone, Debug, PartialEq)]
pub struct AccountRow {
    pub name: String,
    /// DEMO, PAPER, LIVE.
    pub mode: AccountMode,
    pub equity: Decimal,
    /// Equity minus the day's starting equity.
    pub day_pnl: Decimal,
    pub level: RiskLevel,
    /// Seconds of loss-streak cooldown left.
    pub cooldown_secs: Option<i64>,
    pub working_orders: usize,
    pub open_positions: usize,
}

/// One feed's health for the Market pane.
#[derive(Clone, Debug, PartialEq)]
pub struct FeedRow {
    pub health: omni_feeds::FeedHealth,
    /// Messages per second since the last snapshot.
    pub rate: f64,
    /// Milliseconds since the last message (market time), if any.
    pub age_ms: Option<i64>,
}

/// Everything the cockpit draws from the engine.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    /// Increases with every build.
    pub version: u64,
    /// Engine time.
    pub now: Timestamp,
    /// Market source label (DEMO or LIVE).
    pub source: String,
    /// Top of book per market.
    pub quotes: Vec<QuoteRow>,
    /// Pending opportunities, best first within each kind.
    pub opportunities: Vec<OppRow>,
    pub ensembles: Vec<EnsembleRow>,
    pub limits: Vec<LimitRow>,
    pub accounts: Vec<AccountRow>,
    pub positions: Vec<PositionRow>,
    /// `None` until the engine's first snapshot arrives.
    pub trading_state: Option<TradingState>,
    pub kill_latched: bool,
    /// `None` until the engine's first snapshot arrives.
    pub approval_mode: Option<ApprovalMode>,
    /// Audit records written so far (the trade log re-reads when it moves).
    pub audit_count: u64,
    /// Instrument names by id.
    pub instruments: Vec<String>,
    /// Feed health (live and replay sources).
    pub feeds: Vec<FeedRow>,
}

fn dp_of(tick: Decimal) -> u32 {
    tick.normalize().scale()
}

impl Snapshot {
    /// Copies what the cockpit shows out of the engine.
    pub fn build(engine: &Engine, version: u64, audit_count: u64, source: &str) -> Self {
        let cat = engine.catalog();
        let now = engine.clock();
        let max_age = engine.gate().config().max_quote_age_ms;
        let mut quotes = Vec::new();
        for inst in &cat.instruments {
            for &v in &inst.venues {
                if let Some(slot) = engine.quotes().slot_of(v, inst.id) {
                    let q = slot.quote;
                    let age_ms = now.since(q.ts) / MILLI;
                    quotes.push(QuoteRow {
                        venue: cat.venue(v).name.clone(),
                        instrument: inst.name.clone(),
                        bid: q.bid,
                        ask: q.ask,
                        spread: q.spread(),
                        change: slot.last_change,
                        age_ms,
                        stale: age_ms > max_age,
                        dp: dp_of(inst.tick_size),
                    });
                }
            }
        }

        let mut opportunities: Vec<OppRow> = engine
            .opportunities()
            .iter()
            .map(|o| {
                let inst = cat.instrument(o.instrument);
                let dp = dp_of(inst.tick_size);
                let accounts = engine.routed_accounts(o.kind(), o.instrument);
                let mut gate = GatePreview {
                    approved: 0,
                    total: accounts.len(),
                    refusal: None,
                };
                for &a in accounts {
                    match engine.preview(o, a) {
                        Verdict::Approved => gate.approved += 1,
                        Verdict::Refused(r) => {
                            if gate.refusal.is_none() {
                                gate.refusal = Some((cat.account(a).name.clone(), r.reason, r.detail));
                            }
                        }
                    }
                }
                let (headline, edge, expected, detail) = match &o.detail {
                    OpportunityDetail::Arbitrage(a) => (
                        format!("{} → {}", cat.venue(a.buy_venue).name, cat.venue(a.sell_venue).name),
                        format!("{}%", a.net_pct.round_dp(3)),
                        format!("{}", a.net_profit.round_dp(2)),
                        format!(
                            "buy {} @ {} / sell @ {} · spread {}% · fees {} · net {} ({}%) · risk {}",
                            a.qty.normalize(),
                            a.buy_price.round_dp(dp),
                            a.sell_price.round_dp(dp),
                            a.spread_pct.round_dp(3),
                            a.fees.round_dp(2),
                            a.net_profit.round_dp(2),
                            a.net_pct.round_dp(3),
                            a.risk_score
                        ),
                    ),
                    OpportunityDetail::Forex(f) => (
                        if f.direction == Direction::Up { "BUY".into() } else { "SELL".into() },
                        format!("conf {:.2}", f.confidence),
                        format!("R/R {}", f.reward_risk),
                        format!(
                            "entry {} · SL {} · TP {} · RSI {:.1} · SMA {:.*}/{:.*} · ATR {:.*}",
                            f.entry.round_dp(dp),
                            f.stop_loss.round_dp(dp),
                            f.take_profit.round_dp(dp),
                            f.rsi,
                            dp as usize,
                            f.sma_fast,
                            dp as usize,
                            f.sma_slow,
                            dp as usize + 1,
                            f.atr
                        ),
                    ),
                    OpportunityDetail::Binary(b) => (
                        b.direction.as_str().to_string(),
                        format!("p {:.3}", b.probability),
                        format!("EV {:+.3}", b.expected_value),
                        format!(
                            "strike {} · {}s expiry · payout {}% · drift {:+.2e}/s · vol {:.2e}/√s",
                            b.strike.round_dp(dp + 1),
                            b.expiry_secs,
                            (b.payout * Decimal::ONE_HUNDRED).normalize(),
                            b.drift,
                            b.volatility
                        ),
                    ),
                };
                OppRow {
                    id: o.id,
                    kind: o.kind(),
                    instrument: o.instrument,
                    instrument_name: inst.name.clone(),
                    headline,
                    edge,
                    expected,
                    ttl_secs: (o.expires.since(now) + SECOND - 1).div_euclid(SECOND).max(0),
                    gate,
                    detail,
                    belief: o.belief,
                }
            })
            .collect();
        let score = |id: OpportunityId| {
            engine
                .opportunities()
                .get(id)
                .map_or(f64::NEG_INFINITY, |o| o.score)
        };
        opportunities.sort_by(|a, b| {
            a.kind
                .cmp(&b.kind)
                .then(score(b.id).total_cmp(&score(a.id)))
                .then(a.id.cmp(&b.id))
        });

        let ensembles = cat
            .instruments
            .iter()
            .filter_map(|i| {
                let t = engine.tracker(i.id)?;
                let hits = t.hit_rates();
                let models = std::array::from_fn(|k| {
                    t.readings()[k].map(|r| ModelRow {
                        alpha: r.out.alpha,
                        beta: r.out.beta,
                        hit_rate: hits[k],
                    })
                });
                let _ = Horizon::ALL;
                Some(EnsembleRow {
                    instrument: i.id,
                    models,
                    combined: t.combined().copied(),
                })
            })
            .collect();

        let mut limits: Vec<LimitRow> = Vec::new();
        let mut accounts = Vec::new();
        for a in &cat.accounts {
            let usages = engine.risk_usages(a.id);
            for u in &usages {
                match limits.iter_mut().find(|l| l.name == u.name) {
                    Some(l) if u.fraction() > l.fraction() => {
                        *l = LimitRow {
                            name: u.name.clone(),
                            account: a.name.clone(),
                            used: u.used,
                            limit: u.limit,
                        }
                    }
                    Some(_) => {}
                    None => limits.push(LimitRow {
                        name: u.name.clone(),
                        account: a.name.clone(),
                        used: u.used,
                        limit: u.limit,
                    }),
                }
            }
            let risk = engine.account_risk(a.id);
            let equity = engine.equity(a.id);
            accounts.push(AccountRow {
                name: a.name.clone(),
                mode: a.mode,
                equity,
                day_pnl: equity - risk.start_of_day_equity,
                level: engine.risk_level(a.id),
                cooldown_secs: risk
                    .cooldown_until
                    .filter(|t| *t > now)
                    .map(|t| t.since(now) / SECOND),
                working_orders: engine
                    .working_orders()
                    .values()
                    .filter(|o| o.account == a.id)
                    .count(),
                open_positions: engine.portfolio().of_account(a.id).count(),
            });
        }

        let positions = engine
            .portfolio()
            .positions
            .values()
            .map(|p| {
                let inst = cat.instrument(p.key.instrument);
                let mark = engine.position_mark(p);
                PositionRow {
                    account: cat.account(p.key.account).name.clone(),
                    instrument: inst.name.clone(),
                    side: p.side(),
                    qty: p.qty.abs(),
                    avg: p.avg_price,
                    mark,
                    upnl: p.unrealized(mark),
                    stop: p.stop_loss,
                    take: p.take_profit,
                    binary: p
                        .binary
                        .map(|c| (c.direction, c.strike, (c.expiry.since(now) / SECOND).max(0))),
                    dp: dp_of(inst.tick_size),
                }
            })
            .collect();

        Self {
            version,
            now,
            source: source.to_string(),
            quotes,
            opportunities,
            ensembles,
            limits,
            accounts,
            positions,
            trading_state: Some(engine.trading_state()),
            kill_latched: engine.kill_latched(),
            approval_mode: Some(engine.approval_mode()),
            audit_count,
            instruments: cat.instruments.iter().map(|i| i.name.clone()).collect(),
            feeds: Vec::new(),
        }
    }

    /// Pending opportunities of one kind, best first.
    pub fn of_kind(&self, kind: OpportunityKind) -> impl Iterator<Item = &OppRow> {
        self.opportunities.iter().filter(move |o| o.kind == kind)
    }

    /// Total equity over accounts.
    pub fn total_equity(&self) -> Decimal {
        self.accounts.iter().map(|a| a.equity).sum()
    }

    /// Today's P&L over accounts.
    pub fn day_pnl(&self) -> Decimal {
        self.accounts.iter().map(|a| a.day_pnl).sum()
    }

    /// True once every account has no working order and no position.
    pub fn all_flat(&self) -> bool {
        self.accounts
            .iter()
            .all(|a| a.working_orders == 0 && a.open_positions == 0)
    }
}
