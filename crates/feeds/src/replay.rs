//! Replaying recorded frames through the same parsers as the live feeds.
//! Reads our recordings (`<ns> <venue> <frame>`, binary frames as
//! `<ns> <venue>:b64 <base64>`: see [`crate::frame`]) and venue captures in the
//! format of ../shared/data/ws_captures/binance_spot (`<ns> <frame>`, gzip),
//! several files merged by receive time. As live, an event's time is its
//! line's receive time, never a venue's timestamp inside the frame. How
//! far the reading has got is a [`ReplayProgress`], readable from any
//! thread.

use super::FrameParser;
use super::clock;
use super::frame::{self, OwnedFrame};
use super::ingest::Received;
use super::parser::FrameKind;
use super::stats::{FeedState, FeedStats};
use super::venue::VenueKind;
use crate::config::FeedsConfig;
use crate::readahead::ReadAhead;
use flate2::bufread::MultiGzDecoder;
use omni_core::domain::{Catalog, Timestamp};
use omni_core::market::MarketEvent;
use omni_core::market::MarketSource;
use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A replay that cannot start.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// A file could not be read.
    #[error("{0}: {1}")]
    Read(PathBuf, std::io::Error),
    /// Capture-format lines need a venue.
    #[error(
        "{0}:{1}: this line does not name its venue; pass --venue NAME (binance, kraken, coinbase, bybit, oanda, mexc)"
    )]
    NoVenue(PathBuf, usize),
    /// The venue is not in the configuration's catalog.
    #[error("venue `{0}` is not in [[venues]]: add it to replay its frames")]
    UnknownVenue(String),
}

struct FileReader {
    path: PathBuf,
    lines: Box<dyn BufRead + Send>,
    line_no: usize,
}

/// How much of a replay's input has been read: the bytes the line reader
/// has taken from the files (for a gzip file, its compressed bytes, as
/// the decoder takes them), over the files' sizes when they were opened.
/// Exact and cheap (one atomic add per buffer taken), it runs ahead of
/// the engine only by what the merge holds: one line per file, the events
/// of the frame being handed over, and a gzip decoder's 8 KiB of output.
/// It reaches 1 when every file has been read to its end. A clone reads
/// the same counter, so the cockpit's engine thread can show it while the
/// source itself has moved into the driver.
#[derive(Clone, Debug)]
pub struct ReplayProgress {
    read: Arc<AtomicU64>,
    total: u64,
}

impl ReplayProgress {
    /// Bytes read so far and the files' total size.
    pub fn bytes(&self) -> (u64, u64) {
        (self.read.load(Ordering::Relaxed), self.total)
    }

    /// The share of the input read, 0..=1 (1 for empty input).
    pub fn fraction(&self) -> f64 {
        let (read, total) = self.bytes();
        if total == 0 {
            1.0
        } else {
            (read as f64 / total as f64).min(1.0)
        }
    }
}

/// A buffered reader that adds every byte taken from it to a shared
/// counter, whether taken by `consume` (line reads, the gzip decoder) or
/// by `read`: each byte is taken once, by one or the other.
struct Counted<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: BufRead> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counted<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        self.inner.consume(amt);
        self.read.fetch_add(amt as u64, Ordering::Relaxed);
    }
}

/// Opens one file, plain or gzip (by its magic bytes), counting the bytes
/// read from it into `read`; returns the reader and the file's size.
fn open(path: &Path, read: &Arc<AtomicU64>) -> Result<(Box<dyn BufRead + Send>, u64), ReplayError> {
    let err = |e| ReplayError::Read(path.to_path_buf(), e);
    let mut f = std::fs::File::open(path).map_err(err)?;
    let mut magic = [0u8; 2];
    let n = f.read(&mut magic).map_err(err)?;
    let f = std::fs::File::open(path).map_err(err)?;
    let size = f.metadata().map_err(err)?.len();
    let counted = Counted {
        inner: BufReader::new(f),
        read: read.clone(),
    };
    let lines: Box<dyn BufRead + Send> = if n == 2 && magic == [0x1f, 0x8b] {
        // Inflated on a thread of its own, ahead of the engine.
        Box::new(ReadAhead::spawn(MultiGzDecoder::new(counted)).map_err(err)?)
    } else {
        Box::new(counted)
    };
    Ok((lines, size))
}

/// One raw line: when, which venue, the frame.
struct Line {
    ts: i64,
    venue: VenueKind,
    frame: OwnedFrame,
}

struct Inner {
    files: Vec<FileReader>,
    heads: Vec<Option<Line>>,
    heap: BinaryHeap<Reverse<(i64, usize)>>,
    parsers: Vec<Option<Box<dyn FrameParser>>>,
    stats: Vec<Option<Arc<FeedStats>>>,
    pending: VecDeque<Received>,
    default_venue: Option<VenueKind>,
    error: Option<ReplayError>,
    buf: Vec<MarketEvent>,
}

/// The merged, parsed frames of some files, as a market source.
pub struct ReplaySource {
    inner: RefCell<Inner>,
    progress: ReplayProgress,
}

fn venue_index(v: VenueKind) -> usize {
    VenueKind::ALL.iter().position(|x| *x == v).unwrap_or(0)
}

impl Inner {
    fn read_line(&mut self, f: usize) -> Option<Line> {
        loop {
            let fr = &mut self.files[f];
            let mut s = String::new();
            match fr.lines.read_line(&mut s) {
                Ok(0) | Err(_) => return None,
                Ok(_) => {}
            }
            fr.line_no += 1;
            let s = s.trim_end();
            if s.is_empty() {
                continue;
            }
            let (ts, rest) = s.split_once(' ').unwrap_or((s, ""));
            let ts: Option<i64> = ts.parse().ok();
            let (venue, text, binary) = match rest.split_once(' ') {
                Some((word, t)) => match frame::split_mark(word) {
                    (v, binary) if VenueKind::parse(v).is_some() => {
                        (VenueKind::parse(v), t, binary)
                    }
                    _ => (self.default_venue, rest, false),
                },
                None => (self.default_venue, rest, false),
            };
            let Some(venue) = venue else {
                self.error = Some(ReplayError::NoVenue(fr.path.clone(), fr.line_no));
                return None;
            };
            let frame = if binary {
                frame::decode_binary(text).map(OwnedFrame::Binary)
            } else {
                Some(OwnedFrame::Text(text.to_string()))
            };
            let (Some(ts), Some(frame)) = (ts, frame) else {
                // A line without a time cannot be placed, and a binary
                // line that is not base64 has no frame: counted, dropped.
                if let Some(st) = &self.stats[venue_index(venue)] {
                    st.message(Timestamp(0));
                    st.dropped();
                }
                continue;
            };
            return Some(Line { ts, venue, frame });
        }
    }

    fn fill(&mut self) {
        while self.pending.is_empty() {
            let Some(Reverse((_, f))) = self.heap.pop() else {
                return;
            };
            let Some(line) = self.heads[f].take() else {
                continue;
            };
            if let Some(next) = self.read_line(f) {
                self.heap.push(Reverse((next.ts, f)));
                self.heads[f] = Some(next);
            }
            let vi = venue_index(line.venue);
            let (Some(parser), Some(stats)) = (self.parsers[vi].as_mut(), self.stats[vi].as_ref())
            else {
                continue;
            };
            let recv = Timestamp(line.ts);
            stats.message(recv);
            self.buf.clear();
            let kind = match &line.frame {
                OwnedFrame::Text(text) => parser.parse(text, recv, &mut self.buf),
                OwnedFrame::Binary(bytes) => parser.parse_binary(bytes, recv, &mut self.buf),
            };
            match kind {
                FrameKind::Data => {
                    clock::admit(&mut self.buf, recv, stats);
                    stats.add_events(self.buf.len() as u64);
                    self.pending
                        .extend(self.buf.drain(..).map(|event| Received { at: recv, event }));
                }
                FrameKind::Ignored => stats.ignored(),
                FrameKind::Unknown | FrameKind::Malformed(_) => stats.dropped(),
                FrameKind::Heartbeat | FrameKind::Control => {}
            }
        }
    }
}

impl ReplaySource {
    /// Opens the files. `default_venue` names the venue of capture-format
    /// lines. Symbols are mapped with each venue's `[feeds.*] symbols`.
    pub fn open(
        files: &[PathBuf],
        default_venue: Option<VenueKind>,
        catalog: &Catalog,
        feeds: &FeedsConfig,
    ) -> Result<Self, ReplayError> {
        let mut parsers: Vec<Option<Box<dyn FrameParser>>> = Vec::new();
        let mut stats = Vec::new();
        for v in VenueKind::ALL {
            match feeds
                .get(&v)
                .and_then(|f| v.symbol_map(catalog, &f.symbols))
            {
                Some(map) => {
                    parsers.push(Some(v.parser(map)));
                    let s = Arc::new(FeedStats::new(v.name()));
                    s.set_state(FeedState::Replay);
                    stats.push(Some(s));
                }
                None => {
                    parsers.push(None);
                    stats.push(None);
                }
            }
        }
        if let Some(v) = default_venue
            && parsers[venue_index(v)].is_none()
        {
            return Err(ReplayError::UnknownVenue(v.name().into()));
        }
        let mut inner = Inner {
            files: Vec::new(),
            heads: Vec::new(),
            heap: BinaryHeap::new(),
            parsers,
            stats,
            pending: VecDeque::new(),
            default_venue,
            error: None,
            buf: Vec::new(),
        };
        let read = Arc::new(AtomicU64::new(0));
        let mut total = 0u64;
        for (i, p) in files.iter().enumerate() {
            let (lines, size) = open(p, &read)?;
            total = total.saturating_add(size);
            inner.files.push(FileReader {
                path: p.clone(),
                lines,
                line_no: 0,
            });
            let head = inner.read_line(i);
            if let Some(e) = inner.error.take() {
                return Err(e);
            }
            if let Some(h) = &head {
                inner.heap.push(Reverse((h.ts, i)));
            }
            inner.heads.push(head);
        }
        Ok(Self {
            inner: RefCell::new(inner),
            progress: ReplayProgress { read, total },
        })
    }

    /// A handle on how much of the input has been read (see
    /// [`ReplayProgress`]); it stays valid after the source has moved.
    pub fn progress(&self) -> ReplayProgress {
        self.progress.clone()
    }

    /// Counters per venue that appears in the configuration.
    pub fn stats(&self) -> Vec<Arc<FeedStats>> {
        self.inner
            .borrow()
            .stats
            .iter()
            .flatten()
            .cloned()
            .collect()
    }

    /// Counters of the venues that had frames.
    pub fn active_stats(&self) -> Vec<Arc<FeedStats>> {
        self.stats()
            .into_iter()
            .filter(|s| s.health().messages > 0)
            .collect()
    }
}

impl Iterator for ReplaySource {
    type Item = MarketEvent;

    fn next(&mut self) -> Option<MarketEvent> {
        let inner = self.inner.get_mut();
        inner.fill();
        inner.pending.pop_front().map(|r| r.event)
    }
}

impl MarketSource for ReplaySource {
    fn peek_ts(&self) -> Option<Timestamp> {
        let mut inner = self.inner.borrow_mut();
        inner.fill();
        inner.pending.front().map(|r| r.at)
    }
}
