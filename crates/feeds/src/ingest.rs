//! What every connector does with a received frame: count it, cap its
//! size, record it, parse it, and pass its events on.

use super::parser::{FrameKind, FrameParser};
use super::record::Recorder;
use super::stats::FeedStats;
use omni_core::domain::Timestamp;
use omni_core::market::MarketEvent;
use tokio::sync::mpsc;

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
    pub tx: &'a mpsc::Sender<MarketEvent>,
    /// Scratch buffer for one frame's events, reused to avoid allocating per frame.
    pub buf: Vec<MarketEvent>,
    /// The parser's gap count already passed on to `stats`.
    pub gaps_seen: u64,
}

/// The wall clock as event time: live frames are stamped when received.
pub fn now() -> Timestamp {
    Timestamp::from_datetime(chrono::Utc::now())
}

impl Ingest<'_> {
    /// Handles one text frame. Returns false when the engine side is gone.
    pub async fn frame(&mut self, text: &str) -> bool {
        let recv = now();
        self.stats.message(recv);
        if text.len() > self.max_frame {
            self.stats.dropped();
            self.stats.error(format!(
                "dropped a {} byte frame (cap {})",
                text.len(),
                self.max_frame
            ));
            return true;
        }
        if let Some(r) = self.recorder {
            r.write(recv, self.venue, text);
        }
        let kind = self.parser.parse(text, recv, &mut self.buf);
        let gaps = self.parser.gaps();
        if gaps > self.gaps_seen {
            self.stats.add_gaps(gaps - self.gaps_seen);
            self.gaps_seen = gaps;
        }
        match kind {
            FrameKind::Data => {
                self.stats.add_events(self.buf.len() as u64);
                for ev in self.buf.drain(..) {
                    if self.tx.send(ev).await.is_err() {
                        return false;
                    }
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
