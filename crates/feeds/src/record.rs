//! Recording raw frames: one line per frame, `<receive ns> <venue> <frame>`,
//! gzip-compressed when the file name ends in `.gz`.

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
    tx: mpsc::Sender<(i64, &'static str, String)>,
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
        let (tx, rx) = mpsc::channel::<(i64, &'static str, String)>();
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
                for (ns, venue, text) in rx {
                    // JSON does not need its line breaks; one frame, one line.
                    let flat = text.replace(['\n', '\r'], " ");
                    writeln!(out, "{ns} {venue} {flat}")?;
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
        let _ = self.tx.send((at.nanos(), venue, text.to_string()));
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
