//! Sources: where the bytes of a scan come from. Each source turns its input
//! into a stream of [`Event`]s — items to scan and paths left out — that the
//! one scan driver (`crate::scan::Scanner::run`) consumes:
//!
//! - [`tree`]: files and directories on disk (a walk honouring ignore files);
//! - [`MemorySource`]: content already in memory — standard input and the
//!   blobs staged in the git index ([`staged`]);
//! - [`history`]: every blob reachable in a git repository's history, read
//!   through a per-worker object reader, with a post-pass that folds one
//!   secret committed many times into one finding.
//!
//! A source knows nothing about rules beyond which ones apply to a path, and
//! nothing about reports; it also says which directory its relative paths
//! start from ([`Source::origin`]).

pub mod history;
pub mod staged;
pub mod tree;

use crate::finding::{Finding, SkipReason, Skipped};
use crate::kind::FileKind;
use std::path::PathBuf;
use std::sync::Mutex;

/// Where the content of an [`Item`] is.
#[derive(Debug)]
pub enum Content {
    /// A file on disk, read by the scanner (size cap, special files refused).
    File(PathBuf),
    /// A file a directory walk listed as a regular file, with its inode
    /// number from the directory entry where the platform has one: read
    /// without a `stat` ([`crate::scan::read::read_listed`]).
    Listed(PathBuf, Option<u64>),
    /// Bytes already in memory (standard input, a staged blob).
    Bytes(Vec<u8>),
    /// An object only the source can read ([`Source::read_object`]).
    Object,
}

/// One thing to scan.
#[derive(Debug)]
pub struct Item {
    /// Path as reported (`/`-separated, relative to [`Source::origin`] where
    /// possible); also decides the file kind and which rules apply.
    pub display: String,
    /// Kind from the path.
    pub kind: FileKind,
    /// Where the bytes are.
    pub content: Content,
    /// A source-defined number for this item (history: the scan unit),
    /// handed back with the item's findings in [`Source::finish`].
    pub tag: u32,
}

/// What a source produces.
#[derive(Debug)]
pub enum Event {
    /// Something to scan.
    Item(Item),
    /// A path left out, with the reason (ignored paths included).
    Skip(Skipped),
}

/// Findings of one item, with the item's tag.
pub type Tagged = Vec<(u32, Finding)>;

/// A producer of scan items. See the module docs.
pub trait Source: Sync {
    /// Per-worker state for [`Source::read_object`] (a git object reader).
    type Local;

    /// Sends every event to `sink`. Called once; for a large or unknown
    /// number of events on one of the scanning threads, while the others
    /// scan what was already sent (`sink` itself may scan a batch when
    /// they are behind, so it must not be called with a lock held that
    /// [`Source::read_object`] takes).
    fn feed(&self, sink: &mut dyn FnMut(Event));

    /// How many events [`Source::feed`] sends, when known up front: a few
    /// items are scanned without a pool or a feeding thread (a single one
    /// on the calling thread alone).
    fn len_hint(&self) -> Option<usize> {
        None
    }

    /// Creates one worker's reader state.
    fn local(&self) -> Self::Local;

    /// Reads the bytes of an [`Content::Object`] item into `buf`. Objects
    /// larger than `max_size` must be refused without being read.
    fn read_object(
        &self,
        _local: &mut Self::Local,
        _item: &Item,
        _max_size: u64,
        _buf: &mut Vec<u8>,
    ) -> Result<(), (SkipReason, String)> {
        Err((
            SkipReason::Unreadable,
            "this input has no objects to read".into(),
        ))
    }

    /// The path a skipped item is listed under (history: `path@commit`).
    fn skip_path(&self, item: &Item) -> String {
        item.display.clone()
    }

    /// Whether skips of this reason are listed (they are always counted).
    fn lists_skip(&self, reason: SkipReason) -> bool {
        reason != SkipReason::Ignored
    }

    /// Turns the tagged findings of every scanned item into the run's
    /// findings (history folds duplicates and records provenance), and may
    /// add source statistics to `out`.
    fn finish(&self, found: Tagged, out: &mut crate::finding::ScanStats) -> Vec<Finding> {
        let _ = out;
        found.into_iter().map(|(_, f)| f).collect()
    }

    /// The directory relative reported paths start from (baselines and
    /// SARIF resolve paths against it).
    fn origin(&self) -> PathBuf;
}

/// Content already in memory: standard input, or the blobs staged in the git
/// index. Items are scanned with the same size cap, binary and encoding
/// handling as files on disk.
#[derive(Debug, Default)]
pub struct MemorySource {
    /// (reported path, bytes), in order; handed out (not copied) by `feed`.
    files: Mutex<Vec<(String, Vec<u8>)>>,
    /// Paths the producer already left out (symlinks, excluded paths).
    skipped: Vec<Skipped>,
    /// Number of files, for [`Source::len_hint`].
    len: usize,
    /// What relative paths are relative to.
    origin: PathBuf,
}

impl MemorySource {
    /// In-memory files reported as given, relative to `origin`.
    pub fn new(files: Vec<(String, Vec<u8>)>, skipped: Vec<Skipped>, origin: PathBuf) -> Self {
        MemorySource {
            len: files.len() + skipped.len(),
            files: Mutex::new(files),
            skipped,
            origin,
        }
    }
}

impl Source for MemorySource {
    type Local = ();

    fn feed(&self, sink: &mut dyn FnMut(Event)) {
        for s in &self.skipped {
            sink(Event::Skip(s.clone()));
        }
        // A poisoned lock only means a panic elsewhere; the data is intact.
        let files = std::mem::take(&mut *self.files.lock().unwrap_or_else(|p| p.into_inner()));
        for (display, bytes) in files {
            sink(Event::Item(Item {
                kind: crate::kind::classify(&display),
                display,
                content: Content::Bytes(bytes),
                tag: 0,
            }));
        }
    }

    fn len_hint(&self) -> Option<usize> {
        Some(self.len)
    }

    fn local(&self) {}

    fn origin(&self) -> PathBuf {
        self.origin.clone()
    }
}
