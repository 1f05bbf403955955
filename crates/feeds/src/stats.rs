//! Feed health: what each connection is doing and what it has seen. The
//! connector tasks write it (atomics); the cockpit and the summary read it.

use omni_core::domain::Timestamp;
use serde::Serialize;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU8, AtomicU64, Ordering};

/// Connection state of a feed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedState {
    /// Not started.
    Idle,
    /// Connecting for the first time.
    Connecting,
    /// Subscribed and receiving.
    Connected,
    /// Lost; waiting out the backoff or reconnecting.
    Reconnecting,
    /// Cannot run (e.g. no token); see the last error.
    Down,
    /// Frames come from a recording.
    Replay,
}

impl FeedState {
    fn from_u8(v: u8) -> Self {
        match v {
            1 => FeedState::Connecting,
            2 => FeedState::Connected,
            3 => FeedState::Reconnecting,
            4 => FeedState::Down,
            5 => FeedState::Replay,
            _ => FeedState::Idle,
        }
    }
    /// Lower-case name, e.g. `reconnecting`.
    pub fn as_str(self) -> &'static str {
        match self {
            FeedState::Idle => "idle",
            FeedState::Connecting => "connecting",
            FeedState::Connected => "connected",
            FeedState::Reconnecting => "reconnecting",
            FeedState::Down => "down",
            FeedState::Replay => "replay",
        }
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Counters of one feed.
#[derive(Debug)]
pub struct FeedStats {
    pub venue: String,
    state: AtomicU8,
    messages: AtomicU64,
    events: AtomicU64,
    dropped: AtomicU64,
    ignored: AtomicU64,
    reconnects: AtomicU64,
    gaps: AtomicU64,
    history: AtomicU64,
    last_message: AtomicI64,
    last_error: Mutex<String>,
}

/// A point-in-time copy of a feed's counters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FeedHealth {
    pub venue: String,
    pub state: FeedState,
    /// Frames received (data, heartbeats, acknowledgements, bad ones).
    pub messages: u64,
    /// Market events produced.
    pub events: u64,
    /// Frames counted and dropped: malformed, unknown or oversized.
    pub dropped: u64,
    /// Valid frames of kinds we do not use (e.g. depth updates in a capture).
    pub ignored: u64,
    /// Reconnections begun (counted when an attempt starts, not when it succeeds).
    pub reconnects: u64,
    /// Sequence gaps seen (venues that number their messages).
    pub gaps: u64,
    /// Market events the engine held back as implausible (crossed or empty
    /// book, out-of-bounds numbers, inconsistent bars, jumps from the
    /// cross-venue reference). The feed does not judge prices: whoever owns
    /// the engine fills this in; a bare feed reports 0.
    pub quarantined: u64,
    /// Bars back-filled from the venue's history before the feed
    /// connected (`[market.backfill]`); 0 when none was asked or had.
    #[serde(skip_serializing_if = "is_zero")]
    pub history: u64,
    /// Receive time of the last frame, ns since the epoch (0: none yet).
    #[serde(skip)]
    pub last_message_ns: i64,
    /// The error that ended the last connection, if any (it stays after a
    /// reconnect, as the record of why the feed went down).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub last_error: String,
}

impl FeedStats {
    /// All counters zero, state [`FeedState::Idle`].
    pub fn new(venue: &str) -> Self {
        Self {
            venue: venue.to_string(),
            state: AtomicU8::new(0),
            messages: AtomicU64::new(0),
            events: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            ignored: AtomicU64::new(0),
            reconnects: AtomicU64::new(0),
            gaps: AtomicU64::new(0),
            history: AtomicU64::new(0),
            last_message: AtomicI64::new(0),
            last_error: Mutex::new(String::new()),
        }
    }

    pub fn set_state(&self, s: FeedState) {
        let v = match s {
            FeedState::Idle => 0,
            FeedState::Connecting => 1,
            FeedState::Connected => 2,
            FeedState::Reconnecting => 3,
            FeedState::Down => 4,
            FeedState::Replay => 5,
        };
        self.state.store(v, Ordering::Relaxed);
    }

    pub fn state(&self) -> FeedState {
        FeedState::from_u8(self.state.load(Ordering::Relaxed))
    }

    /// A frame arrived at `at`.
    pub fn message(&self, at: Timestamp) {
        self.messages.fetch_add(1, Ordering::Relaxed);
        self.last_message.store(at.nanos(), Ordering::Relaxed);
    }

    /// Adds `n` market events produced.
    pub fn add_events(&self, n: u64) {
        self.events.fetch_add(n, Ordering::Relaxed);
    }

    /// A frame was dropped.
    pub fn dropped(&self) {
        self.dropped.fetch_add(1, Ordering::Relaxed);
    }

    /// A valid frame was not used.
    pub fn ignored(&self) {
        self.ignored.fetch_add(1, Ordering::Relaxed);
    }

    /// A reconnection began.
    pub fn reconnected(&self) {
        self.reconnects.fetch_add(1, Ordering::Relaxed);
    }

    /// Adds `n` sequence gaps.
    pub fn add_gaps(&self, n: u64) {
        self.gaps.fetch_add(n, Ordering::Relaxed);
    }

    /// Adds `n` bars back-filled from the venue's history.
    pub fn add_history(&self, n: u64) {
        self.history.fetch_add(n, Ordering::Relaxed);
    }

    /// Replaces the last error shown in the feed's health.
    pub fn error(&self, e: impl Into<String>) {
        if let Ok(mut g) = self.last_error.lock() {
            *g = e.into();
        }
    }

    /// A copy of the counters.
    pub fn health(&self) -> FeedHealth {
        FeedHealth {
            venue: self.venue.clone(),
            state: self.state(),
            messages: self.messages.load(Ordering::Relaxed),
            events: self.events.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            ignored: self.ignored.load(Ordering::Relaxed),
            reconnects: self.reconnects.load(Ordering::Relaxed),
            gaps: self.gaps.load(Ordering::Relaxed),
            quarantined: 0,
            history: self.history.load(Ordering::Relaxed),
            last_message_ns: self.last_message.load(Ordering::Relaxed),
            last_error: self
                .last_error
                .lock()
                .map(|g| g.clone())
                .unwrap_or_default(),
        }
    }
}
