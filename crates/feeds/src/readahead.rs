//! Reading ahead on a thread of its own: a gzip capture is inflated there
//! while the engine works through the lines before, instead of in turn with
//! them on the engine's thread.

use std::io::{self, BufRead, Read};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

/// Bytes per chunk handed over.
const CHUNK: usize = 64 * 1024;

/// Chunks read ahead at most: enough to keep both threads busy, little
/// enough that a replay's progress (bytes the reader has taken from the
/// file) stays within a few percent of what the engine has seen.
const AHEAD: usize = 4;

/// A reader whose bytes come from `inner`, read on a thread of its own. A
/// read error reaches the reader where it happened in the stream; the
/// thread ends at the end of `inner`, on an error, or when this is dropped.
pub struct ReadAhead {
    rx: Receiver<io::Result<Vec<u8>>>,
    /// Emptied chunks go back for reuse.
    recycle: SyncSender<Vec<u8>>,
    buf: Vec<u8>,
    pos: usize,
    ended: bool,
}

impl ReadAhead {
    /// Starts the thread reading `inner`.
    pub fn spawn(mut inner: impl Read + Send + 'static) -> io::Result<Self> {
        let (tx, rx) = sync_channel(AHEAD);
        let (recycle, reuse) = sync_channel::<Vec<u8>>(AHEAD);
        std::thread::Builder::new()
            .name("replay-read".into())
            .spawn(move || {
                loop {
                    let mut chunk = reuse.try_recv().unwrap_or_default();
                    chunk.resize(CHUNK, 0);
                    let (n, failed) = fill(&mut inner, &mut chunk);
                    chunk.truncate(n);
                    // The bytes before an error, then the error.
                    if n > 0 && tx.send(Ok(chunk)).is_err() {
                        break;
                    }
                    if let Some(e) = failed {
                        let _ = tx.send(Err(e));
                        break;
                    }
                    if n == 0 {
                        break;
                    }
                }
            })?;
        Ok(Self {
            rx,
            recycle,
            buf: Vec::new(),
            pos: 0,
            ended: false,
        })
    }
}

/// Reads until `chunk` is full, the input ends or fails: the bytes read,
/// and the error it failed with.
fn fill(inner: &mut impl Read, chunk: &mut [u8]) -> (usize, Option<io::Error>) {
    let mut n = 0;
    while n < chunk.len() {
        match inner.read(&mut chunk[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return (n, Some(e)),
        }
    }
    (n, None)
}

impl BufRead for ReadAhead {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos >= self.buf.len() && !self.ended {
            match self.rx.recv() {
                Ok(Ok(chunk)) => {
                    let used = std::mem::replace(&mut self.buf, chunk);
                    // The thread may have gone: a chunk not reused is freed.
                    let _ = self.recycle.try_send(used);
                    self.pos = 0;
                }
                Ok(Err(e)) => {
                    self.ended = true;
                    return Err(e);
                }
                // The thread ended: the input did.
                Err(_) => self.ended = true,
            }
        }
        Ok(self.buf.get(self.pos..).unwrap_or_default())
    }

    fn consume(&mut self, amt: usize) {
        self.pos = (self.pos + amt).min(self.buf.len());
    }
}

impl Read for ReadAhead {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bytes_come_through_in_order_across_chunks() {
        let data: Vec<u8> = (0..(3 * CHUNK + 17)).map(|i| (i % 251) as u8).collect();
        let mut r = ReadAhead::spawn(io::Cursor::new(data.clone())).unwrap();
        let mut got = Vec::new();
        r.read_to_end(&mut got).unwrap();
        assert_eq!(got, data);
        let lines = ReadAhead::spawn(io::Cursor::new(b"a\nbb\n\nccc".to_vec())).unwrap();
        let got: Vec<String> = lines.lines().map(Result::unwrap).collect();
        assert_eq!(got, ["a", "bb", "", "ccc"]);
    }

    /// Fails after `ok` bytes.
    struct Broken {
        ok: usize,
    }

    impl Read for Broken {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            if self.ok == 0 {
                return Err(io::Error::other("disk on fire"));
            }
            let n = self.ok.min(out.len());
            out[..n].fill(b'x');
            self.ok -= n;
            Ok(n)
        }
    }

    #[test]
    fn a_read_error_reaches_the_reader_after_the_bytes_before_it() {
        let mut r = ReadAhead::spawn(Broken { ok: 10 }).unwrap();
        let mut got = Vec::new();
        let e = r.read_to_end(&mut got).unwrap_err();
        assert_eq!(e.to_string(), "disk on fire");
        assert_eq!(got, vec![b'x'; 10]);
    }
}
