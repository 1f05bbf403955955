//! What every connector does with a received frame: stamp its receive
//! time, count it, cap its size, record it, parse it, and pass its events
//! on, each with its receive time.

use super::clock::{self, ReceiveClock};
use super::frame::Frame;
use super::parser::{FrameKind, FrameParser};
use super::record::Recorder;
use super::stats::FeedStats;
use omni_core::domain::Timestamp;
use omni_core::market::{MarketEvent, Ring};
use std::sync::{Arc, OnceLock};
use tokio::sync::mpsc;

/// A market event as a live feed delivers it: with the time this process
/// received its frame. `at` orders the feeds' events and is the event's
/// time for the engine; the event's own timestamps are content (a venue
/// bar's `open_ts` is the venue's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    /// Receive time, from the feeds' [`ReceiveClock`].
    pub at: Timestamp,
    pub event: MarketEvent,
}

/// Where a connection's events go: the channel to the engine's side, and
/// the clock that stamps each frame on arrival (shared with that side, so
/// its "now" is never before a stamp already sent).
#[derive(Clone, Debug)]
pub struct Outlet {
    pub tx: mpsc::Sender<Received>,
    pub clock: ReceiveClock,
    /// Rung after each frame's events are queued, once the reader has
    /// given something to ring: the engine's thread sleeps on it instead
    /// of looking for events.
    pub ring: RingSlot,
}

/// Where the reader of a feed's channel puts what to ring: set once,
/// after the feeds have started, and read on every frame without a lock.
pub type RingSlot = Arc<OnceLock<Arc<dyn Ring>>>;

impl Outlet {
    /// An outlet sending on `tx`, stamping with `clock`, with nothing to
    /// ring yet.
    pub fn new(tx: mpsc::Sender<Received>, clock: ReceiveClock) -> Self {
        Self::with_ring(tx, clock, RingSlot::default())
    }

    /// An outlet ringing what is put in `ring`.
    pub fn with_ring(tx: mpsc::Sender<Received>, clock: ReceiveClock, ring: RingSlot) -> Self {
        Self { tx, clock, ring }
    }
}

/// The per-connection side of a feed.
pub struct Ingest<'a> {
    /// Venue name (for the recording).
    pub venue: &'static str,
    pub stats: &'a FeedStats,
    /// Parser of this connection.
    pub parser: Box<dyn FrameParser>,
    /// Frames larger than this are dropped.
    pub max_frame: usize,
    /// Where raw frames are written, if recording.
    pub recorder: Option<&'a Recorder>,
    pub out: &'a Outlet,
    /// Scratch buffer for one frame's events, reused to avoid allocating per frame.
    pub buf: Vec<MarketEvent>,
    /// The parser's gap count already passed on to `stats`.
    pub gaps_seen: u64,
    /// Market-data frames parsed so far (data, or valid market data of a
    /// kind not used), as opposed to acknowledgements and pongs: a
    /// connection that only gets pongs is silent for MEXC's "no data" rule.
    pub pushes: u64,
}

impl Ingest<'_> {
    /// Handles one text frame. Returns false when the engine side is gone.
    pub async fn frame(&mut self, text: &str) -> bool {
        self.received(Frame::Text(text)).await
    }

    /// Handles one binary frame. Returns false when the engine side is gone.
    pub async fn binary(&mut self, bytes: &[u8]) -> bool {
        self.received(Frame::Binary(bytes)).await
    }

    /// Handles one frame of either kind. Returns false when the engine side is gone.
    pub async fn received(&mut self, frame: Frame<'_>) -> bool {
        let recv = self.out.clock.now();
        self.stats.message(recv);
        if frame.len() > self.max_frame {
            self.stats.dropped();
            self.stats.error(format!(
                "dropped a {} byte frame (cap {})",
                frame.len(),
                self.max_frame
            ));
            return true;
        }
        if let Some(r) = self.recorder {
            r.write_frame(recv, self.venue, frame);
        }
        let kind = match frame {
            Frame::Text(text) => self.parser.parse(text, recv, &mut self.buf),
            Frame::Binary(bytes) => self.parser.parse_binary(bytes, recv, &mut self.buf),
        };
        if matches!(kind, FrameKind::Data | FrameKind::Ignored) {
            self.pushes += 1;
        }
        let gaps = self.parser.gaps();
        if gaps > self.gaps_seen {
            self.stats.add_gaps(gaps - self.gaps_seen);
            self.gaps_seen = gaps;
        }
        match kind {
            FrameKind::Data => {
                clock::admit(&mut self.buf, recv, self.stats);
                self.stats.add_events(self.buf.len() as u64);
                let any = !self.buf.is_empty();
                for event in self.buf.drain(..) {
                    let r = Received { at: recv, event };
                    if self.out.tx.send(r).await.is_err() {
                        return false;
                    }
                }
                if any && let Some(r) = self.out.ring.get() {
                    r.ring();
                }
            }
            FrameKind::Ignored => self.stats.ignored(),
            FrameKind::Unknown => {
                self.stats.dropped();
                tracing::debug!(venue = self.venue, "unknown frame dropped");
            }
            FrameKind::Malformed(why) => {
                self.stats.dropped();
                self.stats.error(format!("malformed frame: {why}"));
                tracing::debug!(venue = self.venue, why, "malformed frame dropped");
            }
            FrameKind::Heartbeat | FrameKind::Control => {}
        }
        true
    }
}
