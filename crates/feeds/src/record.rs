//! Recording raw frames: one line per frame, `<receive ns> <venue> <frame>`
//! (binary frames as `<receive ns> <venue>:b64 <base64>`, see
//! [`crate::frame`]), gzip-compressed when the file name ends in `.gz`.

use super::frame::{Frame, OwnedFrame, record_line};
use flate2::Compression;
use flate2::write::GzEncoder;
use omni_core::domain::Timestamp;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::mpsc;
use std::thread::JoinHandle;

/// A handle connectors write frames to; a thread writes the file.
#[derive(Clone, Debug)]
pub struct Recorder {
    tx: mpsc::Sender<(i64, &'static str, OwnedFrame)>,
}

/// The writer thread; `finish` flushes and closes the file.
pub struct RecorderThread {
    join: JoinHandle<std::io::Result<u64>>,
}

impl Recorder {
    /// Opens `path` for writing and starts the writer thread.
    pub fn create(path: &Path) -> std::io::Result<(Recorder, RecorderThread)> {
        let file = std::fs::File::create(path)?;
        let gz = path.extension().is_some_and(|e| e == "gz");
        let (tx, rx) = mpsc::channel::<(i64, &'static str, OwnedFrame)>();
        let join = std::thread::Builder::new().name("recorder".into()).spawn(
            move || -> std::io::Result<u64> {
                let mut plain = None;
                let mut zipped = None;
                let out: &mut dyn Write = if gz {
                    zipped.insert(GzEncoder::new(BufWriter::new(file), Compression::default()))
                } else {
                    plain.insert(BufWriter::new(file))
                };
                let mut n = 0;
                for (ns, venue, frame) in rx {
                    // One frame, one line.
                    writeln!(out, "{}", record_line(ns, venue, frame.as_frame()))?;
                    n += 1;
                }
                out.flush()?;
                if let Some(z) = zipped {
                    // Writes the gzip trailer; without it the file is truncated.
                    z.finish()?.flush()?;
                }
                Ok(n)
            },
        )?;
        Ok((Recorder { tx }, RecorderThread { join }))
    }

    /// Queues one frame for the writer thread without blocking; once that thread has stopped, frames are dropped.
    pub fn write(&self, at: Timestamp, venue: &'static str, text: &str) {
        self.write_frame(at, venue, Frame::Text(text));
    }

    /// [`write`](Self::write) for a text or binary frame.
    pub fn write_frame(&self, at: Timestamp, venue: &'static str, frame: Frame<'_>) {
        let _ = self.tx.send((at.nanos(), venue, frame.to_owned_frame()));
    }
}

impl RecorderThread {
    /// Waits for every frame to be written (drop all `Recorder`s first);
    /// returns how many.
    pub fn finish(self) -> std::io::Result<u64> {
        self.join
            .join()
            .map_err(|_| std::io::Error::other("the recorder thread panicked"))?
    }
}
