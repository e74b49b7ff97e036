//! Load progress, for a server that answers `INFO` while a file loads (Redis's
//! `loading_loaded_bytes` and `loading_rdb_used_mem`).
//!
//! [`Progress`] is shared between the loading thread and whoever reports it.
//! [`ProgressRead`] wraps the reader a file is loaded through and counts the
//! bytes the loader consumes; it publishes them to the shared counter only
//! every [`PUBLISH_EVERY`] bytes, so the per-read cost is one addition and one
//! comparison, never an atomic operation. The RDB reader records the
//! `used-mem` AUX field there when [`crate::LoadOptions::progress`] is set.

use std::io::{self, BufRead, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Bytes consumed between two updates of the shared counter.
pub const PUBLISH_EVERY: u64 = 16 * 1024;

/// How far a load has got: bytes consumed so far, and the `used-mem` the file
/// says its writer had (0 when unknown).
#[derive(Debug, Default)]
pub struct Progress {
    bytes: AtomicU64,
    used_mem: AtomicU64,
}

impl Progress {
    /// Starts over for a new load.
    pub fn reset(&self) {
        self.bytes.store(0, Ordering::Relaxed);
        self.used_mem.store(0, Ordering::Relaxed);
    }

    /// Bytes consumed so far (up to [`PUBLISH_EVERY`] behind the reader).
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    pub fn add_bytes(&self, n: u64) {
        self.bytes.fetch_add(n, Ordering::Relaxed);
    }

    /// The `used-mem` AUX field of the file being loaded (0 when unknown).
    pub fn used_mem(&self) -> u64 {
        self.used_mem.load(Ordering::Relaxed)
    }

    pub fn set_used_mem(&self, n: u64) {
        self.used_mem.store(n, Ordering::Relaxed);
    }
}

/// A reader that counts what is consumed through it into a [`Progress`]
/// (nothing when `None`). Put it over a buffered reader: it forwards
/// `read_exact` and the `BufRead` calls, so the buffer's fast paths stay.
pub struct ProgressRead<R> {
    inner: R,
    progress: Option<Arc<Progress>>,
    pending: u64,
}

impl<R> ProgressRead<R> {
    pub fn new(inner: R, progress: Option<Arc<Progress>>) -> Self {
        ProgressRead {
            inner,
            progress,
            pending: 0,
        }
    }

    #[inline]
    fn count(&mut self, n: usize) {
        self.pending += n as u64;
        if self.pending >= PUBLISH_EVERY {
            self.publish();
        }
    }

    fn publish(&mut self) {
        if let Some(p) = &self.progress {
            p.add_bytes(self.pending);
        }
        self.pending = 0;
    }
}

impl<R> Drop for ProgressRead<R> {
    fn drop(&mut self) {
        self.publish();
    }
}

impl<R: Read> Read for ProgressRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count(n);
        Ok(n)
    }

    fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<()> {
        self.inner.read_exact(buf)?;
        self.count(buf.len());
        Ok(())
    }
}

impl<R: BufRead> BufRead for ProgressRead<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        self.inner.consume(amt);
        self.count(amt);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_what_is_consumed() {
        let data = vec![7u8; 100_000];
        let p = Arc::new(Progress::default());
        {
            let mut r = ProgressRead::new(io::BufReader::new(&data[..]), Some(p.clone()));
            let mut b = [0u8; 1000];
            for _ in 0..20 {
                r.read_exact(&mut b).unwrap();
            }
            // Published in steps, never ahead of the reader.
            assert!(p.bytes() <= 20_000 && p.bytes() >= 20_000 - PUBLISH_EVERY);
            let buf = r.fill_buf().unwrap().len();
            r.consume(buf.min(500));
            let mut rest = vec![];
            r.read_to_end(&mut rest).unwrap();
        }
        assert_eq!(p.bytes(), 100_000);
    }
}
