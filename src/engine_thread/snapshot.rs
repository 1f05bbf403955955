//! Building a [`Snapshot`] on the engine thread: copying what the cockpit
//! shows out of the engine, with the gate's preview of each pending
//! opportunity recomputed only when what it depends on has changed.

use crate::app::snapshot::{
    AccountRow, AccountSize, Candle, ChartRow, EnsembleRow, GatePreview, LimitRow, ModelRow,
    OppRow, OrderRow, PositionRow, QuoteRow, Snapshot,
};
use omni_core::domain::{
    Opportunity, OpportunityDetail, OpportunityId, Quote, time::MILLI, time::SECOND,
};
use omni_core::engine::Engine;
use omni_core::ensemble::Horizon;
use omni_core::risk::Verdict;
use rust_decimal::Decimal;
use std::collections::HashMap;

fn dp_of(tick: Decimal) -> u32 {
    tick.normalize().scale()
}

/// What one gate preview was computed from. The preview is `Engine::preview`
/// for each routed account, which reads: the opportunity (scanners refresh
/// pending ones in place), the instrument's quotes (mark, staleness, price
/// collar), each account's equity (cash plus positions at their marks), the
/// accounts' risk counters, positions and the trading state (all behind
/// `Engine::state_version`), and the clock.
///
/// The clock is taken to the whole second: a preview that changes with
/// time alone (a cooldown running down, a quote going stale, a session
/// closing) shows the change within a second of market time rather than at
/// once. Approving always asks the gate afresh.
struct PreviewInputs {
    opportunity: Opportunity,
    state_version: u64,
    quotes: Vec<Option<Quote>>,
    equities: Vec<Decimal>,
    second: i64,
}

struct Cached {
    inputs: PreviewInputs,
    gate: GatePreview,
}

/// Builds snapshots, keeping each pending opportunity's gate preview until
/// one of its inputs changes.
#[derive(Default)]
pub struct SnapshotBuilder {
    previews: HashMap<OpportunityId, Cached>,
    computed: u64,
}

impl SnapshotBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Gate previews computed so far (one per opportunity whose inputs
    /// changed, each asking the gate once per routed account).
    pub fn previews_computed(&self) -> u64 {
        self.computed
    }

    /// Copies what the cockpit shows out of the engine.
    pub fn build(&mut self, engine: &Engine, version: u64, source: &str) -> Snapshot {
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

        let equities: Vec<Decimal> = cat.accounts.iter().map(|a| engine.equity(a.id)).collect();
        let state_version = engine.state_version();
        let second = now.nanos().div_euclid(SECOND);
        let mut opportunities: Vec<OppRow> = engine
            .opportunities()
            .iter()
            .map(|o| {
                let inst = cat.instrument(o.instrument);
                let accounts = engine.routed_accounts(o.kind(), o.instrument);
                let fresh = self.previews.get(&o.id).is_some_and(|c| {
                    let i = &c.inputs;
                    i.second == second
                        && i.state_version == state_version
                        && i.opportunity == *o
                        && i.quotes.len() == inst.venues.len()
                        && inst
                            .venues
                            .iter()
                            .zip(&i.quotes)
                            .all(|(&v, q)| engine.quotes().quote(v, o.instrument) == q.as_ref())
                        && i.equities.len() == accounts.len()
                        && accounts
                            .iter()
                            .zip(&i.equities)
                            .all(|(a, e)| equities.get(a.index()) == Some(e))
                });
                if !fresh {
                    self.computed += 1;
                    let mut gate = GatePreview {
                        approved: 0,
                        total: accounts.len(),
                        refusal: None,
                        sizes: Vec::new(),
                    };
                    for &a in accounts {
                        let (verdict, qty) = engine.preview_sized(o, a);
                        match verdict {
                            Verdict::Approved => {
                                gate.approved += 1;
                                let profit = o.detail.terms().profit_at(cat, qty);
                                gate.sizes.push(AccountSize {
                                    account: cat.account(a).name.clone(),
                                    qty,
                                    profit,
                                });
                            }
                            Verdict::Refused(r) => {
                                if gate.refusal.is_none() {
                                    gate.refusal =
                                        Some((cat.account(a).name.clone(), r.reason, r.detail));
                                }
                            }
                        }
                    }
                    let inputs = PreviewInputs {
                        opportunity: o.clone(),
                        state_version,
                        quotes: inst
                            .venues
                            .iter()
                            .map(|&v| engine.quotes().quote(v, o.instrument).copied())
                            .collect(),
                        equities: accounts
                            .iter()
                            .map(|a| equities.get(a.index()).copied().unwrap_or_default())
                            .collect(),
                        second,
                    };
                    self.previews.insert(o.id, Cached { inputs, gate });
                }
                let gate = self
                    .previews
                    .get(&o.id)
                    .map(|c| c.gate.clone())
                    .unwrap_or_default();
                OppRow {
                    id: o.id,
                    kind: o.kind(),
                    instrument: o.instrument,
                    instrument_name: inst.name.clone(),
                    detail: o.detail.clone(),
                    dp: dp_of(inst.tick_size),
                    ttl_secs: (o.expires.since(now) + SECOND - 1)
                        .div_euclid(SECOND)
                        .max(0),
                    gate,
                    belief: o.belief,
                    belief_horizon: engine.scanner(o.kind()).and_then(|s| s.belief_horizon()),
                    auto_ok: engine.scanner(o.kind()).is_some_and(|s| s.auto_approves(o)),
                    leg_names: match &o.detail {
                        OpportunityDetail::Triangular(t) => t
                            .legs
                            .iter()
                            .map(|l| engine.catalog().instrument(l.instrument).name.clone())
                            .collect(),
                        _ => Vec::new(),
                    },
                }
            })
            .collect();
        // Opportunities that left the queue take their previews with them.
        self.previews
            .retain(|id, _| engine.opportunities().get(*id).is_some());
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
                Some(EnsembleRow {
                    instrument: i.id,
                    models,
                    combined: Horizon::ALL.map(|h| t.combined(h).copied()),
                })
            })
            .collect();

        let charts = cat
            .instruments
            .iter()
            .map(|i| {
                let (done, forming) = engine.chart_bars(i.id);
                let candle = |b: &omni_core::domain::Bar| Candle {
                    open_ts: b.open_ts,
                    open: b.open,
                    high: b.high,
                    low: b.low,
                    close: b.close,
                };
                let mut candles: Vec<Candle> = done.map(candle).collect();
                candles.extend(forming.map(candle));
                let venue = i.primary_venue();
                let q = engine.quotes().quote(venue, i.id);
                ChartRow {
                    instrument: i.id,
                    candles,
                    forming: forming.is_some(),
                    venue: cat.venue(venue).name.clone(),
                    bid: q.map(|q| q.bid),
                    ask: q.map(|q| q.ask),
                    dp: dp_of(i.tick_size),
                }
            })
            .collect();

        let mut limits: Vec<LimitRow> = Vec::new();
        let mut accounts = Vec::new();
        let kill = if engine.kill_latched() {
            engine.kill_progress()
        } else {
            Vec::new()
        };
        for (a, &equity) in cat.accounts.iter().zip(&equities) {
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
            let cash = engine.portfolio().balances[a.id.index()].cash;
            accounts.push(AccountRow {
                name: a.name.clone(),
                broker: a.broker.as_str(),
                mode: a.mode,
                currency: a.currency.clone(),
                equity,
                cash,
                realized: cash - a.initial_balance,
                unrealized: equity - cash,
                drawdown_pct: if risk.peak_equity > Decimal::ZERO && equity < risk.peak_equity {
                    (risk.peak_equity - equity) / risk.peak_equity * Decimal::ONE_HUNDRED
                } else {
                    Decimal::ZERO
                },
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
                open_positions: engine
                    .portfolio()
                    .of_account(a.id)
                    .filter(|p| !engine.is_dust(p))
                    .count(),
                flatten_refusal: kill
                    .iter()
                    .find(|k| k.account == a.id)
                    .and_then(|k| k.last_refusal.clone()),
                flat: kill
                    .iter()
                    .find(|k| k.account == a.id)
                    .is_some_and(|k| k.is_flat()),
                venue: kill
                    .iter()
                    .find(|k| k.account == a.id && k.live)
                    .map(|k| venue_note(k.venue.as_ref())),
                blocked: engine.account_blocked(a.id).map(str::to_string),
                reducing: engine.prop_breach(a.id).map(str::to_string),
                margin_used: engine.venue_funds(a.id).and_then(|f| f.margin_used),
                margin_available: engine.venue_funds(a.id).and_then(|f| f.margin_available),
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
                    account_id: p.key.account,
                    instrument_id: p.key.instrument,
                    contract: p.key.contract,
                    account: cat.account(p.key.account).name.clone(),
                    live: cat.account(p.key.account).mode == omni_core::domain::AccountMode::Live,
                    instrument: inst.name.clone(),
                    venue: cat.venue(p.venue).name.clone(),
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

        let orders = engine
            .working_orders()
            .values()
            .map(|o| OrderRow {
                id: o.id.0,
                account: cat.account(o.account).name.clone(),
                instrument: cat.instrument(o.instrument).name.clone(),
                venue: cat.venue(o.venue).name.clone(),
                side: o.side,
                order_type: o.order_type.as_str(),
                qty: o.qty,
                filled_qty: o.filled_qty,
                limit_price: o.limit_price,
                stop_price: o.stop_price,
                status: o.status.as_str(),
                purpose: o.purpose.as_str(),
                opportunity: o.opportunity.map(|i| i.0),
                created: o.created,
            })
            .collect();

        Snapshot {
            version,
            now,
            source: source.to_string(),
            quotes,
            opportunities,
            ensembles,
            binary_score: engine.binary_score(),
            model_skill: omni_core::ensemble::Horizon::ALL
                .map(|h| engine.models().measured().of(h.as_str()).copied()),
            ensemble_skill: omni_core::ensemble::Horizon::ALL.map(|h| {
                engine
                    .models()
                    .measured()
                    .of(&format!("ensemble_{}", h.as_str()))
                    .copied()
            }),
            binary_skill: engine.models().measured().of("binary_60s").copied(),
            charts,
            limits,
            accounts,
            positions,
            orders,
            counters: engine.counters().clone(),
            events_per_sec: 0.0,
            trading_state: Some(engine.trading_state()),
            kill_latched: engine.kill_latched(),
            approval_mode: Some(engine.approval_mode()),
            auto_policy: omni_core::domain::OpportunityKind::ALL
                .iter()
                .filter_map(|&k| Some((k, engine.scanner(k)?.auto_policy())))
                .collect(),
            instruments: cat.instruments.iter().map(|i| i.name.clone()).collect(),
            venues: cat.venues.iter().map(|v| v.name.clone()).collect(),
            feeds: Vec::new(),
            replay: None,
        }
    }
}

/// One snapshot without a preview cache (tests, the frame benchmark).
pub fn build(engine: &Engine, version: u64, source: &str) -> Snapshot {
    SnapshotBuilder::new().build(engine, version, source)
}

/// What a live venue last said of an account after a kill switch, in a
/// few words for the banner.
fn venue_note(report: Option<&omni_core::engine::VenueReport>) -> String {
    match report {
        None => "waiting for the venue to confirm".to_string(),
        Some(r) => match &r.unreachable {
            Some(why) => format!("venue unreachable ({why}); retrying"),
            None if r.open_orders == 0 && r.positions == 0 => "venue confirms flat".to_string(),
            None => format!(
                "venue: {} open orders, {} positions",
                r.open_orders, r.positions
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::venue_note;
    use omni_core::domain::Timestamp;
    use omni_core::engine::VenueReport;

    fn report(open_orders: u32, positions: usize, unreachable: Option<&str>) -> VenueReport {
        VenueReport {
            ts: Timestamp(0),
            open_orders,
            positions,
            unreachable: unreachable.map(str::to_string),
        }
    }

    #[test]
    fn the_banner_says_an_unreachable_venue_is_retried_never_flat() {
        // What the venue held before it went away is no answer now.
        for (orders, positions) in [(0, 0), (3, 1)] {
            let note = venue_note(Some(&report(orders, positions, Some("connection refused"))));
            assert_eq!(note, "venue unreachable (connection refused); retrying");
        }
        assert_eq!(venue_note(None), "waiting for the venue to confirm");
        assert_eq!(venue_note(Some(&report(0, 0, None))), "venue confirms flat");
        assert_eq!(
            venue_note(Some(&report(2, 1, None))),
            "venue: 2 open orders, 1 positions"
        );
    }
}
