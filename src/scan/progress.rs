//! Live counters of a running scan. Workers bump them once per path; the
//! application layer reads snapshots to draw a progress line. Relaxed atomics:
//! the numbers are only displayed, never used to synchronise anything.

use std::sync::atomic::{AtomicU64, Ordering};

/// Running totals of a scan, updated by the scanning threads.
#[derive(Debug, Default)]
pub struct Counters {
    files: AtomicU64,
    bytes: AtomicU64,
    findings: AtomicU64,
    skipped: AtomicU64,
}

/// A point-in-time copy of [`Counters`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Snapshot {
    /// Files whose content was scanned.
    pub files: u64,
    /// Bytes of scanned content.
    pub bytes: u64,
    /// Findings so far.
    pub findings: u64,
    /// Paths skipped so far (ignored ones included).
    pub skipped: u64,
}

impl Counters {
    /// Records one scanned file.
    pub fn file_scanned(&self, bytes: u64, findings: usize) {
        self.files.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
        if findings > 0 {
            self.findings.fetch_add(findings as u64, Ordering::Relaxed);
        }
    }

    /// Records one skipped path.
    pub fn path_skipped(&self) {
        self.skipped.fetch_add(1, Ordering::Relaxed);
    }

    /// The current totals.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            files: self.files.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
            findings: self.findings.load(Ordering::Relaxed),
            skipped: self.skipped.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn counters_add_up_across_threads() {
        let c = Arc::new(Counters::default());
        std::thread::scope(|s| {
            for _ in 0..4 {
                let c = &c;
                s.spawn(move || {
                    for _ in 0..1000 {
                        c.file_scanned(10, 1);
                        c.path_skipped();
                    }
                });
            }
        });
        assert_eq!(
            c.snapshot(),
            Snapshot {
                files: 4000,
                bytes: 40_000,
                findings: 4000,
                skipped: 4000
            }
        );
    }
}
