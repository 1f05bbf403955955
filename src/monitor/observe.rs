//! What the monitor sees, read off the driver: each account's numbers from
//! the engine, each broker's own positions (asked, not assumed), and the
//! feeds' states.

use super::rules::{AccountObs, BrokerObs, FeedObs, Observation, SILENT_SECS};
use omni_core::domain::time::SECOND;
use omni_core::domain::{AccountId, Catalog, Timestamp};
use omni_core::driver::Driver;
use omni_core::execution::{BrokerError, BrokerPosition};
use omni_core::market::MarketSource;
use omni_core::portfolio::Position;
use omni_feeds::{FeedHealth, FeedState};
use rust_decimal::Decimal;

/// One observation at `now` (the monitor's clock, which moves on even when
/// the market is silent).
pub fn observe<M: MarketSource>(
    driver: &Driver<M>,
    feeds: &[FeedHealth],
    now: Timestamp,
) -> Observation {
    let engine = &driver.engine;
    let catalog = engine.catalog();
    let accounts = catalog
        .accounts
        .iter()
        .map(|a| {
            let held: Vec<&Position> = engine
                .portfolio()
                .of_account(a.id)
                .filter(|p| !p.is_flat())
                .collect();
            let working = engine
                .working_orders()
                .values()
                .filter(|o| o.account == a.id)
                .count();
            let usages = engine.risk_usages(a.id);
            let usage = |name: &str| {
                usages
                    .iter()
                    .find(|u| u.name == name)
                    .map(|u| (u.used, u.limit))
            };
            let prop = usages
                .iter()
                .filter(|u| u.name.starts_with("prop "))
                .map(|u| (u.name.clone(), u.used, u.limit))
                .collect();
            let risk = engine.account_risk(a.id);
            AccountObs {
                name: a.name.clone(),
                currency: a.currency.clone(),
                open_positions: held.len(),
                working_orders: working,
                equity: engine.equity(a.id),
                start_of_day_equity: risk.start_of_day_equity,
                position_value: held
                    .iter()
                    .map(|p| p.notional(engine.position_mark(p)))
                    .sum(),
                trades_today: risk.trades_today,
                daily_loss: usage("daily loss"),
                prop,
                broker: broker_obs(
                    catalog,
                    a.id,
                    &held,
                    working,
                    driver.brokers.positions(a.id),
                ),
            }
        })
        .collect();
    // Open positions per venue that quotes their instrument.
    let exposed_on = |venue: &str| -> usize {
        let Some(v) = catalog.venues.iter().find(|v| v.name == venue) else {
            return 0;
        };
        engine
            .portfolio()
            .positions
            .values()
            .filter(|p| !p.is_flat() && catalog.instrument(p.key.instrument).venues.contains(&v.id))
            .count()
    };
    let silent_after = SILENT_SECS * SECOND;
    Observation {
        now,
        kill_latched: engine.kill_latched(),
        accounts,
        feeds: feeds
            .iter()
            .filter(|f| f.state != FeedState::Replay && f.state != FeedState::Idle)
            .map(|f| {
                let last = Timestamp(f.last_message_ns);
                // Connected, but nothing for a while: down since its last
                // frame (or since it connected, if none came).
                let silent = f.state == FeedState::Connected
                    && (f.last_message_ns == 0 || now.since(last) > silent_after);
                FeedObs {
                    venue: f.venue.clone(),
                    live: f.state == FeedState::Connected && !silent,
                    silent_since: (silent && f.last_message_ns > 0).then_some(last),
                    exposed: exposed_on(&f.venue),
                }
            })
            .collect(),
    }
}

/// The broker's answer compared with the engine's book: every open
/// position the same size on both sides, nothing more on either. While an
/// order is in flight the two may differ for a moment, so only an
/// unreachable broker counts then.
fn broker_obs(
    catalog: &Catalog,
    account: AccountId,
    held: &[&Position],
    working: usize,
    answer: Result<Vec<BrokerPosition>, BrokerError>,
) -> BrokerObs {
    let theirs = match answer {
        Err(e @ BrokerError::Unavailable { .. }) => return BrokerObs::Down(e.to_string()),
        // Refused or no broker: it answered, with nothing to compare.
        Err(_) => return BrokerObs::Agrees,
        Ok(p) => p,
    };
    if working > 0 {
        return BrokerObs::Agrees;
    }
    let name = |i| catalog.instrument(i).name.clone();
    let mut diffs = Vec::new();
    for p in held {
        let on_venue: Decimal = theirs
            .iter()
            .filter(|h| h.account == account && same_holding(h, p))
            .map(|h| h.qty)
            .sum();
        if on_venue != p.qty {
            diffs.push(format!(
                "{} broker {on_venue}, engine {}",
                name(p.key.instrument),
                p.qty
            ));
        }
    }
    for h in theirs.iter().filter(|h| !h.qty.is_zero()) {
        if !held.iter().any(|p| same_holding(h, p)) {
            diffs.push(format!("{} broker {}, engine 0", name(h.instrument), h.qty));
        }
    }
    if diffs.is_empty() {
        BrokerObs::Agrees
    } else {
        BrokerObs::Differs(diffs.join("; "))
    }
}

/// The broker's holding `h` is the engine's position `p`: same instrument,
/// and the same contract for a binary one.
fn same_holding(h: &BrokerPosition, p: &Position) -> bool {
    h.instrument == p.key.instrument
        && match h.contract {
            Some(c) => c.0 == p.key.contract,
            None => p.key.contract == 0,
        }
}
