//! Shared helpers for engine-level tests: a harness that feeds scripted
//! events and collects exactly what comes out.
#![allow(dead_code)]

use omni_core::domain::{
    Bar, InstrumentId, OpportunityId, Quote, Timeframe, Timestamp, VenueId, time::MINUTE,
};
use omni_core::engine::{Audit, Command, Engine, EngineEvent};
use omni_core::execution::{ExecutionReport, ExecutionRequest};
use omni_core::market::MarketEvent;
use omni_core::risk::{RefusalReason, Verdict};
use omni_tui::config::ConfigOrigin;
use omni_tui::config::LoadedConfig;
use omni_tui::config::parse_str;
use rust_decimal::Decimal;
use std::path::PathBuf;

/// 2025-03-04 07:00:00 UTC, a Tuesday: every market is open.
pub const T0: i64 = 1_741_071_600_000;

pub fn at(ms: i64) -> Timestamp {
    Timestamp::from_millis(T0 + ms)
}

pub fn d(s: &str) -> Decimal {
    s.parse().expect("decimal literal")
}

pub fn load(overlay: &str) -> LoadedConfig {
    parse_str(
        overlay,
        ConfigOrigin::File("test.toml".into()),
        PathBuf::from("."),
    )
    .expect("test config parses")
}

/// Everything one event produced.
#[derive(Debug, Default, Clone)]
pub struct Out {
    pub requests: Vec<ExecutionRequest>,
    pub audits: Vec<Audit>,
}

impl Out {
    pub fn decisions(&self) -> Vec<&omni_core::engine::Decision> {
        self.audits
            .iter()
            .filter_map(|a| match a {
                Audit::Decision(d) => Some(d),
                _ => None,
            })
            .collect()
    }
    pub fn refusals(&self) -> Vec<RefusalReason> {
        self.decisions()
            .iter()
            .filter_map(|d| d.verdict.reason())
            .collect()
    }
    pub fn approvals(&self) -> usize {
        self.decisions()
            .iter()
            .filter(|d| d.verdict == Verdict::Approved)
            .count()
    }
    pub fn opened(&self) -> Vec<OpportunityId> {
        self.audits
            .iter()
            .filter_map(|a| match a {
                Audit::OpportunityOpened(o) => Some(o.id),
                _ => None,
            })
            .collect()
    }
    pub fn submits(&self) -> Vec<&omni_core::domain::Order> {
        self.requests
            .iter()
            .filter_map(|r| match r {
                ExecutionRequest::Submit(o) => Some(o.as_ref()),
                _ => None,
            })
            .collect()
    }
    pub fn extend(&mut self, other: Out) {
        self.requests.extend(other.requests);
        self.audits.extend(other.audits);
    }
}

pub struct Harness {
    pub engine: Engine,
    pub loaded: LoadedConfig,
}

impl Harness {
    pub fn new(overlay: &str) -> Self {
        let loaded = load(overlay);
        let engine = Engine::new(&loaded.config.engine(), &loaded.catalog);
        Self { engine, loaded }
    }

    pub fn venue(&self, name: &str) -> VenueId {
        self.loaded.catalog.venue_by_name(name).expect("venue")
    }
    pub fn inst(&self, name: &str) -> InstrumentId {
        self.loaded
            .catalog
            .instrument_by_name(name)
            .expect("instrument")
    }
    pub fn account(&self, name: &str) -> omni_core::domain::AccountId {
        self.loaded.catalog.account_by_name(name).expect("account")
    }

    pub fn feed(&mut self, event: EngineEvent) -> Out {
        let out = self.engine.process(event);
        Out {
            requests: std::mem::take(&mut out.requests),
            audits: std::mem::take(&mut out.audits),
        }
    }

    pub fn quote(
        &mut self,
        venue: &str,
        inst: &str,
        bid: &str,
        ask: &str,
        qty: &str,
        ms: i64,
    ) -> Out {
        let q = Quote {
            venue: self.venue(venue),
            instrument: self.inst(inst),
            bid: d(bid),
            ask: d(ask),
            bid_qty: d(qty),
            ask_qty: d(qty),
            ts: at(ms),
        };
        self.feed(EngineEvent::Market(MarketEvent::Quote(q)))
    }

    pub fn cmd(&mut self, command: Command, ms: i64) -> Out {
        self.feed(EngineEvent::Command {
            ts: at(ms),
            command,
            origin: omni_core::engine::CommandOrigin::Key,
        })
    }

    pub fn report(&mut self, r: ExecutionReport) -> Out {
        self.feed(EngineEvent::Execution(r))
    }

    pub fn bar(&mut self, inst: &str, open_ms: i64, close: &str, live: bool) -> Out {
        let c = d(close);
        let b = Bar {
            instrument: self.inst(inst),
            timeframe: Timeframe::M1,
            open_ts: at(open_ms),
            open: c,
            high: c + d("0.0002"),
            low: c - d("0.0002"),
            close: c,
            volume: d("1"),
        };
        self.feed(EngineEvent::Market(if live {
            MarketEvent::Bar(b)
        } else {
            MarketEvent::History(b)
        }))
    }

    /// Warms EUR/USD with 60 falling history minutes ending at `end_ms`,
    /// then rising live minutes until a forex BUY opens. Quotes come from
    /// `quote` (called with each live bar's close time) so tests control
    /// freshness. Returns the opportunity and everything produced.
    pub fn forex_buy(
        &mut self,
        end_ms: i64,
        mut quote: impl FnMut(&mut Harness, i64, Decimal) -> Out,
    ) -> (OpportunityId, Out) {
        let mut out = Out::default();
        let mut px = d("1.1000");
        let start = end_ms - 60 * MINUTE / 1_000_000;
        for i in 0..60 {
            px -= d("0.0003");
            out.extend(self.bar("EUR/USD", start + i * 60_000, &px.to_string(), false));
        }
        for i in 0..10 {
            px += d("0.0010");
            let open = end_ms + i * 60_000;
            out.extend(quote(self, open + 60_000, px));
            let o = self.bar("EUR/USD", open, &px.to_string(), true);
            let ids = o.opened();
            out.extend(o);
            if let Some(id) = ids.first() {
                return (*id, out);
            }
        }
        panic!("no forex signal: {out:?}");
    }

    /// One EUR/USD quote around `mid` at `ms`.
    /// margin-fx long 2000 EUR/USD from 1.10000 on oanda, with these
    /// exits, restored as if from a store (no quote yet).
    pub fn fx_long(&mut self, stop_loss: Option<&str>, take_profit: Option<&str>) {
        let key = omni_core::portfolio::PositionKey {
            account: self.account("margin-fx"),
            instrument: self.inst("EUR/USD"),
            contract: 0,
        };
        let mut p = omni_core::portfolio::Position::new(key, self.venue("oanda"), at(0));
        p.apply(
            omni_core::domain::Side::Buy,
            d("2000"),
            d("1.10000"),
            d("0"),
            at(0),
        );
        p.stop_loss = stop_loss.map(d);
        p.take_profit = take_profit.map(d);
        self.engine.restore(omni_core::engine::RestoredState {
            positions: vec![p],
            ..Default::default()
        });
    }

    pub fn fx_quote(&mut self, ms: i64, mid: Decimal) -> Out {
        let bid = (mid - d("0.00004")).to_string();
        let ask = (mid + d("0.00004")).to_string();
        self.quote("oanda", "EUR/USD", &bid, &ask, "1000000", ms)
    }

    /// A steady EUR/USD uptrend, one quote a second for `secs` seconds from
    /// `start_ms`; returns what it produced.
    pub fn fx_trend(&mut self, start_ms: i64, secs: i64, step: &str) -> Out {
        let mut out = Out::default();
        let mut mid = d("1.10000");
        for s in 0..secs {
            mid += d(step);
            let wiggle = if s % 2 == 0 { d("0.000005") } else { d("0") };
            out.extend(self.fx_quote(start_ms + s * 1000, mid + wiggle));
        }
        out
    }
}
