//! Receive time: the clock that stamps live frames, and the rule that keeps
//! a venue's own timestamps from steering the engine's clock.
//!
//! A live event's time, as the engine sees it (its place in the merge and
//! the engine's clock), is when this process received it, read from one
//! [`ReceiveClock`] shared by the connections and the thread that feeds the
//! engine. A venue's timestamps are content only: a bar keeps the venue's
//! `open_ts` (the bar builder needs it), but no event waits for a venue's
//! time to come, and a bar that claims to close well after it was received
//! is dropped and counted ([`admit`]).

use super::stats::FeedStats;
use omni_core::domain::Timestamp;
use omni_core::domain::time::SECOND;
use omni_core::market::MarketEvent;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

/// Where "now" comes from. Production reads the system clock
/// ([`SystemClock`]); tests inject one set an hour ahead or behind.
pub trait WallClock: Send + Sync {
    /// The current time.
    fn now(&self) -> Timestamp;
}

/// The system clock (`SystemTime`, through chrono).
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl WallClock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_datetime(chrono::Utc::now())
    }
}

/// The system clock set off by a fixed amount: a local clock that is wrong
/// by that much (tests).
#[derive(Clone, Copy, Debug)]
pub struct OffsetClock {
    /// Added to the system clock's reading, in nanoseconds.
    pub offset_nanos: i64,
}

impl WallClock for OffsetClock {
    fn now(&self) -> Timestamp {
        SystemClock.now().plus(self.offset_nanos)
    }
}

/// Any `Fn() -> Timestamp` is a wall clock (tests script one that steps).
impl<F: Fn() -> Timestamp + Send + Sync> WallClock for F {
    fn now(&self) -> Timestamp {
        self()
    }
}

/// The last stamp given and the monotonic instant it was given at.
#[derive(Debug)]
struct Last {
    stamp: Timestamp,
    at: Instant,
}

/// Receive stamps: the wall clock's time, never going backwards. Cheap to
/// clone; clones share their state, so the connections' stamps and the
/// engine thread's "now" come from one sequence.
///
/// While the wall clock reads at or after the last stamp, a stamp is its
/// reading (a forward step is followed at once). When it steps back, the
/// stamps go on from the last one at the pace of the monotonic clock until
/// the wall clock catches up: time neither repeats nor stands still.
#[derive(Clone)]
pub struct ReceiveClock {
    wall: Arc<dyn WallClock>,
    last: Arc<Mutex<Last>>,
}

impl std::fmt::Debug for ReceiveClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReceiveClock")
            .field("last", &self.last)
            .finish_non_exhaustive()
    }
}

impl Default for ReceiveClock {
    fn default() -> Self {
        Self::system()
    }
}

impl ReceiveClock {
    /// Stamps from the system clock (production).
    pub fn system() -> Self {
        Self::new(Arc::new(SystemClock))
    }

    /// Stamps from `wall` (an injected clock in tests).
    pub fn new(wall: Arc<dyn WallClock>) -> Self {
        let last = Last {
            stamp: Timestamp(i64::MIN),
            at: Instant::now(),
        };
        Self {
            wall,
            last: Arc::new(Mutex::new(last)),
        }
    }

    /// The time now, never before a stamp already given.
    pub fn now(&self) -> Timestamp {
        let wall = self.wall.now();
        // A panic while holding the lock cannot leave `Last` half-written
        // (two plain stores), so a poisoned lock is still a valid one.
        let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        let at = Instant::now();
        let stamp = if wall >= last.stamp {
            wall
        } else {
            let ran = i64::try_from(at.duration_since(last.at).as_nanos()).unwrap_or(i64::MAX);
            Timestamp(last.stamp.nanos().saturating_add(ran))
        };
        *last = Last { stamp, at };
        stamp
    }
}

/// How far after its receive time a venue bar may close and still be used:
/// more means the venue's clock or ours is off, and the bar would carry the
/// engine's clock ahead (expiring opportunities, ageing every quote) and
/// hold back the venue's next bars until that time came.
pub const MAX_BAR_LEAD_NANOS: i64 = 5 * SECOND;

/// Drops, counting each in `stats` (and saying why in its last error), the venue bars among `events` that close more than
/// [`MAX_BAR_LEAD_NANOS`] after `recv`. Quotes and trades carry `recv`
/// itself and always pass; bars closing before `recv` pass too, however
/// old (the bar builder ignores any not newer than the last). Live feeds
/// and replays both call this, so a replay drops what the live run did.
pub fn admit(events: &mut Vec<MarketEvent>, recv: Timestamp, stats: &FeedStats) {
    let before = events.len();
    let mut lead = 0;
    events.retain(|e| match e {
        MarketEvent::Bar(b) => {
            let ahead = e.ts().since(recv);
            let keep = ahead <= MAX_BAR_LEAD_NANOS;
            if !keep {
                lead = ahead;
                tracing::debug!(instrument = ?b.instrument, ahead_ns = ahead, "future bar dropped");
            }
            keep
        }
        _ => true,
    });
    let dropped = before - events.len();
    if dropped > 0 {
        for _ in 0..dropped {
            stats.dropped();
        }
        stats.error(format!(
            "dropped a bar closing {:.1} s after it was received: the venue's clock or this machine's is off",
            lead as f64 / SECOND as f64
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use omni_core::domain::time::MINUTE;
    use omni_core::domain::{Bar, InstrumentId, Quote, Timeframe, VenueId};
    use rust_decimal::Decimal;
    use std::sync::atomic::{AtomicI64, Ordering};

    #[test]
    fn stamps_follow_the_wall_clock_and_never_go_back() {
        let wall = Arc::new(AtomicI64::new(1_000 * SECOND));
        let w = wall.clone();
        let clock = ReceiveClock::new(Arc::new(move || Timestamp(w.load(Ordering::SeqCst))));
        assert_eq!(clock.now(), Timestamp(1_000 * SECOND));
        // Forward steps are followed at once.
        wall.store(2_000 * SECOND, Ordering::SeqCst);
        let a = clock.now();
        assert_eq!(a, Timestamp(2_000 * SECOND));
        // The wall clock steps back an hour: stamps keep going from `a`.
        wall.store(2_000 * SECOND - 3_600 * SECOND, Ordering::SeqCst);
        let mut prev = a;
        for _ in 0..1_000 {
            let t = clock.now();
            assert!(t >= prev, "{t:?} < {prev:?}");
            assert!(t.since(a) < SECOND, "runs at the monotonic pace");
            prev = t;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert!(clock.now() > a, "time does not stand still while behind");
        // Once the wall clock is past the last stamp again, it is followed.
        wall.store(3_000 * SECOND, Ordering::SeqCst);
        assert_eq!(clock.now(), Timestamp(3_000 * SECOND));
        // Clones share the sequence.
        wall.store(10 * SECOND, Ordering::SeqCst);
        assert!(clock.clone().now() >= Timestamp(3_000 * SECOND));
    }

    #[test]
    fn an_offset_clock_is_the_system_clock_moved() {
        let hour = 3_600 * SECOND;
        let ahead = OffsetClock { offset_nanos: hour }.now();
        let sys = SystemClock.now();
        assert!((ahead.since(sys) - hour).abs() < 10 * SECOND);
    }

    #[test]
    fn bars_far_ahead_of_their_receive_time_are_dropped_and_counted() {
        let recv = Timestamp(1_723_161_300 * SECOND);
        let bar = |close: Timestamp| {
            MarketEvent::Bar(Bar::opened(
                InstrumentId(0),
                Timeframe::M1,
                close.plus(-MINUTE),
                Decimal::ONE,
                Decimal::ONE,
            ))
        };
        let quote = MarketEvent::Quote(Quote {
            venue: VenueId(0),
            instrument: InstrumentId(0),
            bid: Decimal::ONE,
            ask: Decimal::TWO,
            bid_qty: Decimal::ONE,
            ask_qty: Decimal::ONE,
            ts: recv,
        });
        let stats = FeedStats::new("binance");
        let mut events = vec![
            bar(recv.plus(-3_600 * SECOND)),
            bar(recv),
            bar(recv.plus(MAX_BAR_LEAD_NANOS)),
            quote,
            bar(recv.plus(MAX_BAR_LEAD_NANOS + 1)),
            bar(recv.plus(3_600 * SECOND)),
        ];
        admit(&mut events, recv, &stats);
        assert_eq!(events.len(), 4);
        assert!(
            events
                .iter()
                .all(|e| e.ts() <= recv.plus(MAX_BAR_LEAD_NANOS))
        );
        let h = stats.health();
        assert_eq!(h.dropped, 2);
        assert!(h.last_error.contains("3600.0 s after"), "{}", h.last_error);
    }
}
