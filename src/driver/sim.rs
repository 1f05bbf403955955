//! The in-process simulation loop.

use crate::domain::Timestamp;
use crate::engine::{Audit, Command, Engine, EngineEvent};
use crate::execution::{ExecutionClient, ExecutionReport, ExecutionRequest};
use crate::market::MarketEvent;
use crate::market::demo::DemoMarket;
use crate::store::{StoreError, StoreHandle};
use std::time::Instant;

/// An ordered source of market events that can say when the next one is.
pub trait MarketSource: Iterator<Item = MarketEvent> {
    /// Time of the next event, if any.
    fn peek_ts(&self) -> Option<Timestamp>;
}

impl MarketSource for DemoMarket {
    fn peek_ts(&self) -> Option<Timestamp> {
        DemoMarket::peek_ts(self)
    }
}

/// Where audit records go.
pub trait AuditSink {
    /// Takes the records (the vector is left empty).
    fn record(&mut self, audits: &mut Vec<Audit>) -> Result<(), StoreError>;
}

/// Discards audit records.
#[derive(Debug, Default)]
pub struct NullSink;

impl AuditSink for NullSink {
    fn record(&mut self, audits: &mut Vec<Audit>) -> Result<(), StoreError> {
        audits.clear();
        Ok(())
    }
}

impl AuditSink for Vec<Audit> {
    fn record(&mut self, audits: &mut Vec<Audit>) -> Result<(), StoreError> {
        self.append(audits);
        Ok(())
    }
}

impl AuditSink for StoreHandle {
    fn record(&mut self, audits: &mut Vec<Audit>) -> Result<(), StoreError> {
        if audits.is_empty() {
            return Ok(());
        }
        self.send(std::mem::take(audits))
    }
}

/// Counts the audit records passing to another sink.
pub struct CountingSink<'a> {
    /// Where records go.
    pub inner: &'a mut dyn AuditSink,
    /// Records passed so far.
    pub count: u64,
}

impl AuditSink for CountingSink<'_> {
    fn record(&mut self, audits: &mut Vec<Audit>) -> Result<(), StoreError> {
        self.count += audits.len() as u64;
        self.inner.record(audits)
    }
}

/// Engine timings collected by the benchmark.
#[derive(Debug, Default)]
pub struct Timings {
    /// Nanoseconds in `Engine::process` for each market event.
    pub per_event: Vec<u32>,
    /// Nanoseconds for market events that produced at least one order request.
    pub to_order: Vec<u32>,
}

/// Runs an engine against a market source and a simulated broker.
pub struct SimDriver<M, B> {
    /// The engine.
    pub engine: Engine,
    /// The broker.
    pub broker: B,
    market: M,
    reports: Vec<ExecutionReport>,
    audits: Vec<Audit>,
    market_events: u64,
    timings: Option<Timings>,
}

impl<M: MarketSource, B: ExecutionClient> SimDriver<M, B> {
    /// A driver over these parts.
    pub fn new(engine: Engine, broker: B, market: M) -> Self {
        Self {
            engine,
            broker,
            market,
            reports: Vec::new(),
            audits: Vec::new(),
            market_events: 0,
            timings: None,
        }
    }

    /// Starts collecting engine timings (benchmark only: two clock reads per event).
    pub fn measure(&mut self) {
        self.timings = Some(Timings::default());
    }

    /// The collected timings.
    pub fn take_timings(&mut self) -> Option<Timings> {
        self.timings.take()
    }

    /// Market events fed so far.
    pub fn market_events(&self) -> u64 {
        self.market_events
    }

    /// Feeds one event and routes what comes out.
    fn feed(&mut self, event: EngineEvent, sink: &mut dyn AuditSink) -> Result<(), StoreError> {
        let now = event.ts();
        let is_market = matches!(event, EngineEvent::Market(_));
        let start = self.timings.as_ref().map(|_| Instant::now());
        let out = self.engine.process(event);
        if let (Some(t0), Some(t)) = (start, self.timings.as_mut()) {
            let ns = t0.elapsed().as_nanos().min(u32::MAX as u128) as u32;
            if is_market {
                t.per_event.push(ns);
                if !out.requests.is_empty() {
                    t.to_order.push(ns);
                }
            }
        }
        self.audits.append(&mut out.audits);
        let requests = std::mem::take(&mut out.requests);
        // Audits first: an order is handed to the store before the broker.
        sink.record(&mut self.audits)?;
        for r in &requests {
            match r {
                ExecutionRequest::Submit(o) => self.broker.submit(o, now),
                ExecutionRequest::Cancel { order_id, .. } => self.broker.cancel(*order_id, now),
            }
        }
        Ok(())
    }

    /// Runs every broker action due at or before `until`, one instant at a
    /// time, since the engine's answers may schedule more.
    fn drain_broker(
        &mut self,
        until: Timestamp,
        sink: &mut dyn AuditSink,
    ) -> Result<(), StoreError> {
        while let Some(t) = self.broker.next_due().filter(|t| *t <= until) {
            let mut reports = std::mem::take(&mut self.reports);
            self.broker.advance(t, &mut reports);
            for r in reports.drain(..) {
                self.feed(EngineEvent::Execution(r), sink)?;
            }
            self.reports = reports;
        }
        Ok(())
    }

    /// Processes the next market event (and every broker action before it).
    /// Returns false when the source is exhausted.
    pub fn step(&mut self, sink: &mut dyn AuditSink) -> Result<bool, StoreError> {
        let Some(next) = self.market.peek_ts() else {
            return Ok(false);
        };
        self.drain_broker(next, sink)?;
        let Some(event) = self.market.next() else {
            return Ok(false);
        };
        let mut reports = std::mem::take(&mut self.reports);
        self.broker.on_market(&event, &mut reports);
        self.feed(EngineEvent::Market(event), sink)?;
        for r in reports.drain(..) {
            self.feed(EngineEvent::Execution(r), sink)?;
        }
        self.reports = reports;
        self.market_events += 1;
        Ok(true)
    }

    /// The market source.
    pub fn market(&self) -> &M {
        &self.market
    }

    /// Sends an operator command stamped `ts` (never before the engine's clock).
    pub fn command_at(
        &mut self,
        ts: Timestamp,
        command: Command,
        sink: &mut dyn AuditSink,
    ) -> Result<(), StoreError> {
        let ts = ts.max(self.engine.clock());
        self.feed(EngineEvent::Command { ts, command }, sink)
    }

    /// Sends an operator command at the engine's current time.
    pub fn command(
        &mut self,
        command: Command,
        sink: &mut dyn AuditSink,
    ) -> Result<(), StoreError> {
        let ts = self
            .engine
            .clock()
            .max(self.market.peek_ts().unwrap_or_default());
        self.feed(EngineEvent::Command { ts, command }, sink)
    }

    /// Processes everything due up to `until` (at most `max_events` market
    /// events), then tells the engine the time. The cockpit calls this as
    /// the wall clock moves.
    pub fn run_until(
        &mut self,
        until: Timestamp,
        max_events: usize,
        sink: &mut dyn AuditSink,
    ) -> Result<usize, StoreError> {
        let mut n = 0;
        while n < max_events && self.market.peek_ts().is_some_and(|t| t <= until) {
            if !self.step(sink)? {
                break;
            }
            n += 1;
        }
        self.drain_broker(until, sink)?;
        if until > self.engine.clock() {
            self.feed(EngineEvent::Timer(until), sink)?;
        }
        Ok(n)
    }

    /// Time of the next market event.
    pub fn next_market_ts(&self) -> Option<Timestamp> {
        self.market.peek_ts()
    }

    /// After the last market event: lets orders in flight reach the broker
    /// and their reports reach the engine, up to `horizon_nanos` past the
    /// engine's clock (binary settlements further out stay open).
    pub fn finish(
        &mut self,
        horizon_nanos: i64,
        sink: &mut dyn AuditSink,
    ) -> Result<(), StoreError> {
        let until = self.engine.clock().plus(horizon_nanos);
        self.drain_broker(until, sink)
    }
}
