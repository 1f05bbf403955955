//! The driver: the one loop that feeds the engine in every mode (demo,
//! replay, live, backtest, benchmarks and tests).
//!
//! It merges a market source with the brokers' reports in time order, hands
//! each batch of audits to the sink before the orders they describe reach a
//! broker, and routes each request to its account's broker. It never sleeps
//! and never reads a clock: the cockpit decides how far market time may run
//! (`run_until`), headless runs go as fast as the source allows.

use crate::domain::Timestamp;
use crate::engine::sink::{AuditSink, SinkError};
use crate::engine::{Audit, Command, CommandOrigin, Engine, EngineEvent};
use crate::execution::{BrokerMap, ExecutionReport};
use crate::market::MarketSource;

/// Watches each `Engine::process` call: the benchmark times them, so the
/// driver itself needs no clock.
pub trait ProcessProbe {
    /// Called just before the engine processes an event.
    fn before(&mut self);
    /// Called just after; `market` says whether the event was market data,
    /// `orders` whether it produced at least one order request.
    fn after(&mut self, market: bool, orders: bool);
}

/// Runs an engine against a market source and the brokers of its accounts.
pub struct Driver<M> {
    pub engine: Engine,
    /// The brokers, by account.
    pub brokers: BrokerMap,
    market: M,
    reports: Vec<ExecutionReport>,
    audits: Vec<Audit>,
    market_events: u64,
    /// Events of every kind fed to the engine so far.
    events_fed: u64,
    probe: Option<Box<dyn ProcessProbe + Send>>,
}

impl<M: MarketSource> Driver<M> {
    /// A driver over these parts.
    pub fn new(engine: Engine, brokers: BrokerMap, market: M) -> Self {
        Self {
            engine,
            brokers,
            market,
            reports: Vec::new(),
            audits: Vec::new(),
            market_events: 0,
            events_fed: 0,
            probe: None,
        }
    }

    /// Watches every `Engine::process` call (the benchmark's timer).
    pub fn set_probe(&mut self, probe: Option<Box<dyn ProcessProbe + Send>>) {
        self.probe = probe;
    }

    /// Takes the probe back.
    pub fn take_probe(&mut self) -> Option<Box<dyn ProcessProbe + Send>> {
        self.probe.take()
    }

    /// Market events fed so far.
    pub fn market_events(&self) -> u64 {
        self.market_events
    }

    /// Events of every kind (market data, executions, timers, commands)
    /// fed so far: unchanged means the engine's state is unchanged, so a
    /// view of it need not be rebuilt.
    pub fn events_fed(&self) -> u64 {
        self.events_fed
    }

    /// Feeds one event and routes what comes out.
    fn feed(&mut self, event: EngineEvent, sink: &mut dyn AuditSink) -> Result<(), SinkError> {
        let now = event.ts();
        let is_market = matches!(event, EngineEvent::Market(_));
        self.events_fed += 1;
        if let Some(p) = self.probe.as_mut() {
            p.before();
        }
        let out = self.engine.process(event);
        if let Some(p) = self.probe.as_mut() {
            p.after(is_market, !out.requests.is_empty());
        }
        self.audits.append(&mut out.audits);
        let requests = std::mem::take(&mut out.requests);
        // Audits first: an order is handed to the store before the broker.
        sink.record(&mut self.audits)?;
        let mut refused = Vec::new();
        for r in &requests {
            self.brokers.execute(r, now, &mut refused);
        }
        // A request no broker took comes back to the engine as its report.
        for r in refused {
            self.feed(EngineEvent::Execution(r), sink)?;
        }
        Ok(())
    }

    /// Runs every broker action due at or before `until`, one instant at a
    /// time, since the engine's answers may schedule more.
    fn drain_broker(
        &mut self,
        until: Timestamp,
        sink: &mut dyn AuditSink,
    ) -> Result<(), SinkError> {
        while let Some(t) = self.brokers.next_due().filter(|t| *t <= until) {
            let mut reports = std::mem::take(&mut self.reports);
            self.brokers.advance(t, &mut reports);
            for r in reports.drain(..) {
                self.feed(EngineEvent::Execution(r), sink)?;
            }
            self.reports = reports;
        }
        Ok(())
    }

    /// Hands over what the brokers' streams delivered by `until` (live
    /// adapters schedule nothing, so `drain_broker` never reaches them;
    /// simulated venues have nothing left by then). Called where wall time
    /// moves: `run_until` and `finish`, not per market event.
    fn collect_reports(
        &mut self,
        until: Timestamp,
        sink: &mut dyn AuditSink,
    ) -> Result<(), SinkError> {
        let mut reports = std::mem::take(&mut self.reports);
        self.brokers.advance(until, &mut reports);
        for r in reports.drain(..) {
            self.feed(EngineEvent::Execution(r), sink)?;
        }
        self.reports = reports;
        Ok(())
    }

    /// Processes the next market event (and every broker action before it).
    /// Returns false when the source is exhausted.
    ///
    /// The source's time for the event (`peek_ts`: a live feed's receive
    /// time) is when it happens. An event whose own time is earlier (a
    /// venue bar stamped with the venue's close) is preceded by a timer at
    /// the source's time, so the engine's clock reaches it either way.
    pub fn step(&mut self, sink: &mut dyn AuditSink) -> Result<bool, SinkError> {
        let Some(next) = self.market.peek_ts() else {
            return Ok(false);
        };
        self.drain_broker(next, sink)?;
        let Some(event) = self.market.next() else {
            return Ok(false);
        };
        if next > event.ts() && next > self.engine.clock() {
            self.feed(EngineEvent::Timer(next), sink)?;
        }
        let mut reports = std::mem::take(&mut self.reports);
        self.brokers.on_market(&event, &mut reports);
        self.feed(EngineEvent::Market(event), sink)?;
        for r in reports.drain(..) {
            self.feed(EngineEvent::Execution(r), sink)?;
        }
        self.reports = reports;
        self.market_events += 1;
        Ok(true)
    }

    pub fn market(&self) -> &M {
        &self.market
    }

    /// Sends an operator command stamped `ts` (never before the engine's
    /// clock), as a key sends it.
    pub fn command_at(
        &mut self,
        ts: Timestamp,
        command: Command,
        sink: &mut dyn AuditSink,
    ) -> Result<(), SinkError> {
        self.command_from(ts, command, CommandOrigin::Key, sink)
    }

    /// [`command_at`](Self::command_at), recording where the command came
    /// from (a key, the control API).
    pub fn command_from(
        &mut self,
        ts: Timestamp,
        command: Command,
        origin: CommandOrigin,
        sink: &mut dyn AuditSink,
    ) -> Result<(), SinkError> {
        let ts = ts.max(self.engine.clock());
        self.feed(
            EngineEvent::Command {
                ts,
                command,
                origin,
            },
            sink,
        )
    }

    /// Sends an operator command at the engine's current time.
    pub fn command(&mut self, command: Command, sink: &mut dyn AuditSink) -> Result<(), SinkError> {
        let ts = self
            .engine
            .clock()
            .max(self.market.peek_ts().unwrap_or_default());
        self.command_from(ts, command, CommandOrigin::Key, sink)
    }

    /// Processes everything due up to `until` (at most `max_events` market
    /// events), then tells the engine the time. The cockpit calls this as
    /// the wall clock moves.
    pub fn run_until(
        &mut self,
        until: Timestamp,
        max_events: usize,
        sink: &mut dyn AuditSink,
    ) -> Result<usize, SinkError> {
        let mut n = 0;
        while n < max_events && self.market.peek_ts().is_some_and(|t| t <= until) {
            if !self.step(sink)? {
                break;
            }
            n += 1;
        }
        self.drain_broker(until, sink)?;
        self.collect_reports(until, sink)?;
        if until > self.engine.clock() {
            self.feed(EngineEvent::Timer(until), sink)?;
        }
        Ok(n)
    }

    /// Time of the next market event.
    pub fn next_market_ts(&self) -> Option<Timestamp> {
        self.market.peek_ts()
    }

    /// The market source and every broker ring `ring` when events or
    /// reports arrive on their own (live feeds and brokers).
    pub fn set_ring(&mut self, ring: std::sync::Arc<dyn crate::market::Ring>) {
        self.brokers.set_ring(&ring);
        self.market.set_ring(ring);
    }

    /// After the last market event: lets orders in flight reach the broker
    /// and their reports reach the engine, up to `horizon_nanos` past the
    /// engine's clock (binary settlements further out stay open).
    pub fn finish(
        &mut self,
        horizon_nanos: i64,
        sink: &mut dyn AuditSink,
    ) -> Result<(), SinkError> {
        let until = self.engine.clock().plus(horizon_nanos);
        self.drain_broker(until, sink)?;
        self.collect_reports(until, sink)
    }
}
