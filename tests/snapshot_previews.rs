//! The snapshot builder asks the gate for an opportunity's preview only when
//! something the preview reads has changed, and a kept preview is the one
//! the gate would give.

mod common;

use common::{Harness, at};
use omni_core::engine::{Command, EngineEvent};
use omni_core::risk::RefusalReason;
use omni_tui::app::snapshot::Snapshot;
use omni_tui::engine_thread::snapshot::{self, SnapshotBuilder};

/// An engine with a pending BTC arbitrage (kraken bid 0.8 % over binance).
fn with_arbitrage() -> Harness {
    let mut h = Harness::new("");
    h.quote("binance", "BTC/USDT", "100000.00", "100000.10", "1.0", 0);
    h.quote("kraken", "BTC/USDT", "100800.00", "100800.50", "0.5", 0);
    h
}

/// Builds with the cache and checks the result against a build without it.
fn build(b: &mut SnapshotBuilder, h: &Harness) -> Snapshot {
    let cached = b.build(&h.engine, 1, "DEMO");
    let fresh = snapshot::build(&h.engine, 1, "DEMO");
    assert_eq!(cached.opportunities, fresh.opportunities);
    cached
}

#[test]
fn previews_are_kept_while_nothing_they_read_changes() {
    let mut h = with_arbitrage();
    let mut b = SnapshotBuilder::new();
    let first = build(&mut b, &h);
    assert_eq!(first.opportunities.len(), 1);
    assert_eq!(b.previews_computed(), 1);

    build(&mut b, &h);
    assert_eq!(b.previews_computed(), 1, "nothing changed");

    // Time within the same second, and a quote of an instrument nobody
    // holds: neither is read by the BTC preview.
    h.feed(EngineEvent::Timer(at(400)));
    h.quote("binance", "ETH/USDT", "2000.00", "2000.10", "5.0", 450);
    build(&mut b, &h);
    assert_eq!(b.previews_computed(), 1, "no input of the preview moved");
}

#[test]
fn previews_are_recomputed_when_an_input_changes() {
    let mut h = with_arbitrage();
    let mut b = SnapshotBuilder::new();
    build(&mut b, &h);
    assert_eq!(b.previews_computed(), 1);

    // A quote of the instrument.
    h.quote("binance", "BTC/USDT", "100000.05", "100000.15", "1.0", 100);
    build(&mut b, &h);
    assert_eq!(b.previews_computed(), 2, "a BTC quote");

    // The trading state (behind the engine's state version).
    let version = h.engine.state_version();
    h.cmd(Command::Pause, 200);
    assert!(h.engine.state_version() > version);
    let paused = build(&mut b, &h);
    assert_eq!(b.previews_computed(), 3, "paused");
    let gate = &paused.opportunities[0].gate;
    assert_eq!(gate.approved, 0);
    assert_eq!(
        gate.refusal.as_ref().map(|r| r.1),
        Some(RefusalReason::Reducing)
    );

    h.cmd(Command::Resume, 300);
    let resumed = build(&mut b, &h);
    assert_eq!(b.previews_computed(), 4, "resumed");
    assert_eq!(resumed.opportunities[0].gate.approved, 2);

    // The clock passing a whole second.
    h.feed(EngineEvent::Timer(at(1_000)));
    build(&mut b, &h);
    assert_eq!(b.previews_computed(), 5, "a new second");
}
