//! The start-up back-fill of a live run: which venue each instrument's
//! history comes from, what span to ask for, and handing the bars to the
//! engine as [`MarketEvent::History`], oldest first, before any live event.
//!
//! Each instrument's bars come from the first venue in its `venues` list
//! (the reference first, whose bars the engine builds) that has an enabled
//! feed listing it and a history endpoint. The span is `h1_bars` hourly
//! bars, then minute bars from the start of the hour `m1_bars` minutes ago
//! up to the last minute closed: the engine builds its 5-minute and hourly
//! bars from those minutes, so the hourly bars fetched end where the
//! minutes begin and no hour is counted twice. Venues are asked at the same
//! time, each one request at a time; the whole back-fill has one deadline.
//! A venue that fails or runs out of time is logged, its feed's health
//! says why, and the run starts with whatever the others gave (cold for
//! its instruments). Only complete bars are kept, so none is newer than the
//! first live event, and the engine ignores a live minute bar it already
//! has.

use super::config::{BackfillConfig, history_base};
use super::fetch::{self, Endpoint};
use super::{HistoryError, minutes};
use crate::clock::ReceiveClock;
use crate::ingest::{Outlet, Received};
use crate::stats::FeedStats;
use crate::{FeedsConfig, VenueKind};
use omni_core::domain::time::MINUTE;
use omni_core::domain::{Bar, Catalog, InstrumentId, Timeframe, Timestamp};
use omni_core::market::MarketEvent;
use std::sync::Arc;
use std::time::Duration;

const HOUR: i64 = 60 * MINUTE;

/// One venue's part of the back-fill.
#[derive(Clone, Debug)]
pub struct VenuePlan {
    pub endpoint: Endpoint,
    /// Instruments whose history comes from here, with the venue's symbol.
    pub instruments: Vec<(InstrumentId, String)>,
}

/// What the back-fill will ask for, venue by venue.
#[derive(Clone, Debug, Default)]
pub struct Backfill {
    pub config: BackfillConfig,
    pub venues: Vec<VenuePlan>,
}

impl Backfill {
    /// Nothing to fetch.
    pub fn is_empty(&self) -> bool {
        self.venues.is_empty()
    }
}

/// The back-fill of the enabled feeds of `feeds` (none when `config` is
/// off). OANDA's token is read from the feed's `token_env`; without one,
/// OANDA is not asked (its stream will say why).
pub fn plan(feeds: &FeedsConfig, catalog: &Catalog, config: &BackfillConfig) -> Backfill {
    let mut out = Backfill {
        config: config.clone(),
        venues: Vec::new(),
    };
    if !config.enabled || (config.m1_bars == 0 && config.h1_bars == 0) {
        return out;
    }
    for inst in &catalog.instruments {
        for v in &inst.venues {
            let Some(kind) = VenueKind::parse(&catalog.venue(*v).name) else {
                continue;
            };
            let Some(feed) = feeds
                .get(&kind)
                .filter(|f| f.enabled && f.symbols.contains(&inst.name))
            else {
                continue;
            };
            let Some(base) = history_base(kind, feed) else {
                continue;
            };
            let token = if kind == VenueKind::Oanda {
                match std::env::var(&feed.token_env) {
                    Ok(t) if !t.is_empty() => t,
                    _ => continue,
                }
            } else {
                String::new()
            };
            let symbol = kind.symbol(&inst.name);
            match out.venues.iter_mut().find(|p| p.endpoint.kind == kind) {
                Some(p) => p.instruments.push((inst.id, symbol)),
                None => out.venues.push(VenuePlan {
                    endpoint: Endpoint { kind, base, token },
                    instruments: vec![(inst.id, symbol)],
                }),
            }
            break;
        }
    }
    out
}

/// The spans asked for at `now`: hourly bars, then minute bars, each
/// `[from, to)` of open times; `None` when none is wanted.
pub fn spans(
    c: &BackfillConfig,
    now: Timestamp,
) -> [(Timeframe, Option<(Timestamp, Timestamp)>); 2] {
    let last_minute = now.floor_to(MINUTE);
    let m1_from = last_minute
        .plus(-(c.m1_bars as i64) * MINUTE)
        .floor_to(HOUR);
    let m1 = (c.m1_bars > 0).then_some((m1_from, last_minute));
    // Hours end where the minutes begin (or at the last whole hour).
    let h1_to = if c.m1_bars > 0 {
        m1_from
    } else {
        now.floor_to(HOUR)
    };
    let h1 = (c.h1_bars > 0).then_some((h1_to.plus(-(c.h1_bars as i64) * HOUR), h1_to));
    [(Timeframe::H1, h1), (Timeframe::M1, m1)]
}

/// How one venue's back-fill went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackfillReport {
    pub venue: &'static str,
    /// Bars handed to the engine.
    pub bars: usize,
    /// Rows the venue sent that could not be read (left out).
    pub bad_rows: usize,
    /// Why some or all of it is missing.
    pub errors: Vec<String>,
}

/// One venue's bars, instrument after instrument, one request at a time.
/// A venue's error for one instrument (an unknown symbol) moves on to the
/// next; a connection failure or the deadline ends the venue.
async fn venue_bars(
    client: &reqwest::Client,
    p: &VenuePlan,
    c: &BackfillConfig,
    now: Timestamp,
    deadline: tokio::time::Instant,
) -> (Vec<Bar>, BackfillReport) {
    let mut report = BackfillReport {
        venue: p.endpoint.kind.name(),
        bars: 0,
        bad_rows: 0,
        errors: Vec::new(),
    };
    let mut bars = Vec::new();
    'instruments: for (inst, symbol) in &p.instruments {
        for (tf, span) in spans(c, now) {
            let Some(span) = span else { continue };
            match fetch::range(client, &p.endpoint, symbol, tf, span, deadline).await {
                Ok(page) => {
                    report.bad_rows += page.bad_rows;
                    bars.extend(page.candles.into_iter().map(|k| Bar {
                        instrument: *inst,
                        timeframe: tf,
                        open_ts: k.open_ts,
                        open: k.open,
                        high: k.high,
                        low: k.low,
                        close: k.close,
                        volume: k.volume,
                    }));
                }
                Err(e) => {
                    let fatal = matches!(e, HistoryError::Transport { .. });
                    report.errors.push(format!("{symbol} {}: {e}", tf.as_str()));
                    if fatal {
                        break 'instruments;
                    }
                }
            }
        }
    }
    report.bars = bars.len();
    (bars, report)
}

/// Runs the back-fill and queues its bars on `out` as history, oldest
/// first (hourly before minute bars at one instant), each stamped with the
/// time it is handed over. `stats` are the feeds' counters, by venue name:
/// each venue's gets the bars it gave, its unreadable rows as dropped, and
/// any error as its last error. Returns how each venue went; never waits
/// past the configured timeout for the venues (handing the bars over waits
/// only for room in the channel).
pub async fn run(
    plan: &Backfill,
    clock: &ReceiveClock,
    out: &Outlet,
    stats: &[Arc<FeedStats>],
) -> Vec<BackfillReport> {
    if plan.is_empty() {
        return Vec::new();
    }
    let c = &plan.config;
    let timeout = Duration::from_secs_f64(c.timeout_secs);
    let deadline = tokio::time::Instant::now() + timeout;
    let client = match reqwest::Client::builder()
        .connect_timeout(timeout)
        .timeout(timeout)
        .build()
    {
        Ok(cl) => cl,
        Err(e) => {
            tracing::warn!(error = %e, "back-fill: no HTTP client; starting cold");
            return Vec::new();
        }
    };
    let now = clock.now();
    let jobs = plan
        .venues
        .iter()
        .map(|p| venue_bars(&client, p, c, now, deadline));
    let results = futures_util::future::join_all(jobs).await;
    let mut all = Vec::new();
    let mut reports = Vec::new();
    for (bars, report) in results {
        let st = stats.iter().find(|s| s.venue == report.venue);
        if let Some(st) = st {
            st.add_history(report.bars as u64);
            for _ in 0..report.bad_rows {
                st.dropped();
            }
        }
        if report.errors.is_empty() {
            tracing::info!(
                venue = report.venue,
                bars = report.bars,
                unreadable_rows = report.bad_rows,
                "back-filled recent bars"
            );
            if report.bad_rows > 0
                && let Some(st) = st
            {
                st.error(format!(
                    "back-fill: {} unreadable rows left out",
                    report.bad_rows
                ));
            }
        } else {
            let cold = if report.bars == 0 {
                "; started cold"
            } else {
                ""
            };
            let why = format!("back-fill: {}{cold}", report.errors.join("; "));
            tracing::warn!(venue = report.venue, bars = report.bars, "{why}");
            if let Some(st) = st {
                st.error(why);
            }
        }
        all.extend(bars);
        reports.push(report);
    }
    all.sort_by_key(|b| {
        (
            b.open_ts.plus(b.timeframe.nanos()),
            std::cmp::Reverse(minutes(b.timeframe)),
            b.instrument,
        )
    });
    let any = !all.is_empty();
    for bar in all {
        let r = Received {
            at: clock.now(),
            event: MarketEvent::History(bar),
        };
        if out.tx.send(r).await.is_err() {
            break; // the engine's side is gone
        }
    }
    if any && let Some(r) = out.ring.get() {
        r.ring();
    }
    reports
}

#[cfg(test)]
mod tests {
    use super::*;
    use omni_core::domain::time::SECOND;

    #[test]
    fn minutes_start_on_the_hour_and_hours_end_where_they_start() {
        // 10:37:20
        let now =
            Timestamp((10 * 3600 + 37 * 60 + 20) * SECOND + 1_700_000_000 / 3600 * 3600 * SECOND);
        let c = BackfillConfig {
            enabled: true,
            m1_bars: 120,
            h1_bars: 5,
            timeout_secs: 1.0,
        };
        let [(h, hs), (m, ms)] = spans(&c, now);
        assert_eq!((h, m), (Timeframe::H1, Timeframe::M1));
        let (m_from, m_to) = ms.expect("minutes");
        assert_eq!(m_to, now.floor_to(MINUTE));
        // 120 minutes before 10:37 is 08:37: from 08:00.
        assert_eq!(m_to.since(m_from), (2 * 60 + 37) * MINUTE);
        assert_eq!(m_from.floor_to(HOUR), m_from);
        let (h_from, h_to) = hs.expect("hours");
        assert_eq!(h_to, m_from);
        assert_eq!(h_to.since(h_from), 5 * HOUR);
        let none = BackfillConfig {
            m1_bars: 0,
            h1_bars: 0,
            ..c.clone()
        };
        assert!(spans(&none, now).iter().all(|(_, s)| s.is_none()));
        let hours_only = BackfillConfig { m1_bars: 0, ..c };
        assert_eq!(
            spans(&hours_only, now)[0].1.map(|s| s.1),
            Some(now.floor_to(HOUR))
        );
    }
}
