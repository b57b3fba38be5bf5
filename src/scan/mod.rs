//! Scanning: the one driver that applies a [`RuleSet`] to every item a
//! [`Source`] produces, and the [`Scanner`] every command uses.
//!
//! [`Scanner::run`] is the only parallel loop: the source feeds events on one
//! thread of a rayon pool, through a bounded queue to the others, and scans
//! a batch itself whenever the queue is full; each worker reads an item
//! (file, bytes or object) into a reused buffer, classifies it ([`read`])
//! and hands the content to the [`engine`]. One outcome type, one tally
//! (folded per worker, merged at the end), one progress hook, whatever the
//! input. [`Scanner::scan_bytes`]
//! scans one buffer for callers that already hold it (`fix`, rule examples).

pub mod contexts;
mod drop;
pub mod engine;
pub mod env;
pub mod location;
mod mentions;
mod options;
pub mod own;
pub mod progress;
pub mod read;
pub mod redact;
pub mod view;

pub use engine::{fingerprint, FileScan};
pub use options::{
    ScanOptions, DEFAULT_MAX_FILE_SIZE, DEFAULT_MAX_FINDINGS, DEFAULT_MAX_MATCHES_PER_RULE,
};

use crate::finding::{
    Finding, Judge, MentionStats, NoJudge, ScanStats, SilentMention, SkipReason, Skipped,
};
use crate::kind::FileKind;
use crate::rules::RuleSet;
use crate::source::{Content, Event, Item, Source};
use progress::Counters;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The run's cap on findings kept, shared by the workers: findings beyond it
/// are dropped as they are produced (memory stays bounded) and counted.
struct Budget {
    max: usize,
    kept: AtomicUsize,
    dropped: AtomicU64,
}

impl Budget {
    fn trim(&self, findings: &mut Vec<Finding>) {
        if findings.is_empty() {
            return;
        }
        let n = findings.len();
        let before = self.kept.fetch_add(n, Ordering::Relaxed);
        let room = self.max.saturating_sub(before);
        if room < n {
            findings.truncate(room);
            self.dropped.fetch_add((n - room) as u64, Ordering::Relaxed);
        }
    }
}

/// Up to this many items (when the source knows its size) are scanned
/// without a pool; see [`Scanner::run_small`].
const SMALL_ITEMS: usize = 256;

/// Events per batch handed from the source's thread to the workers.
const BATCH: usize = 32;

/// Events handed over one at a time before batching starts, per worker.
const SINGLE_EVENTS_PER_THREAD: usize = 4;

/// Everything a scan produced.
#[derive(Debug, Default)]
pub struct ScanOutput {
    /// All findings (suppressed ones included, with their reason), sorted by
    /// path, line, column, rule id.
    pub findings: Vec<Finding>,
    /// Skipped paths (ignored ones only counted in `stats`), sorted.
    pub skipped: Vec<Skipped>,
    /// Counters.
    pub stats: ScanStats,
    /// Silent mentions with their reasons (at most [`MAX_SILENT_LISTED`];
    /// every one is counted in `stats.mentions`).
    pub silent: Vec<SilentMention>,
    /// The files holding names `fix` may rename, with what each occurrence
    /// does there, sorted by path (for `fix::rename`).
    pub refs: Vec<ScannedRefs>,
}

/// The refs of one scanned file.
#[derive(Debug, Clone)]
pub struct ScannedRefs {
    /// Path as reported.
    pub path: String,
    /// The file on disk, for tree scans.
    pub file: Option<std::path::PathBuf>,
    /// Its kind.
    pub kind: FileKind,
    /// `content_digest` of the scanned content the ranges refer to.
    pub digest: String,
    /// The refs.
    pub refs: env::FileRefs,
}

/// Most silent mentions a run keeps for `--verbose`.
pub const MAX_SILENT_LISTED: usize = 10_000;

/// The rules, the options and the suppression judge of a run: the only way
/// anything in keysweep scans content.
pub struct Scanner {
    rules: RuleSet,
    options: ScanOptions,
    judge: Box<dyn Judge + Send>,
    progress: Option<Arc<Counters>>,
}

impl std::fmt::Debug for Scanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scanner")
            .field("rules", &self.rules.rules().len())
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// What one item came to.
enum Outcome {
    Scanned {
        tag: u32,
        findings: Vec<Finding>,
        bytes: u64,
        truncated: Vec<String>,
        mentions: BTreeMap<String, MentionStats>,
        silent: Vec<SilentMention>,
        refs: Option<ScannedRefs>,
    },
    Skipped(Skipped),
}

/// What some of a run's items came to: each worker keeps one and adds its
/// outcomes as they come, and the workers' partials are merged at the end.
#[derive(Default)]
struct Partial {
    /// Everything but the findings, which wait in `found` for the source's
    /// `finish`.
    out: ScanOutput,
    found: Vec<(u32, Finding)>,
}

impl Partial {
    fn add<S: Source>(&mut self, source: &S, outcome: Outcome) {
        let out = &mut self.out;
        match outcome {
            Outcome::Scanned {
                tag,
                findings,
                bytes,
                truncated,
                mentions,
                silent,
                refs,
            } => {
                out.refs.extend(refs);
                out.stats.files_scanned += 1;
                out.stats.bytes_scanned += bytes;
                self.found.extend(findings.into_iter().map(|f| (tag, f)));
                for t in truncated {
                    *out.stats.truncated.entry(t).or_insert(0) += 1;
                }
                for (entity, m) in &mentions {
                    out.stats.mentions.entry(entity.clone()).or_default().add(m);
                }
                out.silent.extend(silent);
                // The run lists the first MAX_SILENT_LISTED in sorted order,
                // whichever worker saw them: keep those, bounded.
                if out.silent.len() > 2 * MAX_SILENT_LISTED {
                    out.silent.sort();
                    out.silent.truncate(MAX_SILENT_LISTED);
                }
            }
            Outcome::Skipped(s) => {
                *out.stats.skipped.entry(s.reason).or_insert(0) += 1;
                if source.lists_skip(s.reason) {
                    out.skipped.push(s);
                }
            }
        }
    }

    fn merge(mut self, other: Partial) -> Partial {
        let (a, b) = (&mut self.out, other.out);
        a.stats.files_scanned += b.stats.files_scanned;
        a.stats.bytes_scanned += b.stats.bytes_scanned;
        for (reason, n) in b.stats.skipped {
            *a.stats.skipped.entry(reason).or_insert(0) += n;
        }
        for (rule, n) in b.stats.truncated {
            *a.stats.truncated.entry(rule).or_insert(0) += n;
        }
        for (entity, m) in &b.stats.mentions {
            a.stats.mentions.entry(entity.clone()).or_default().add(m);
        }
        a.skipped.extend(b.skipped);
        a.silent.extend(b.silent);
        a.refs.extend(b.refs);
        self.found.extend(other.found);
        self
    }
}

/// Per-worker state: the read buffer, the engine's scratch space and the
/// source's object reader.
struct Worker<L> {
    buf: Vec<u8>,
    scratch: engine::Scratch,
    local: L,
}

impl Scanner {
    /// A scanner applying `rules` with `options`; `judge` decides inline and
    /// allowlist suppressions.
    pub fn new(rules: RuleSet, options: ScanOptions, judge: Box<dyn Judge + Send>) -> Scanner {
        Scanner {
            rules,
            options,
            judge,
            progress: None,
        }
    }

    /// A scanner that suppresses nothing (rule examples, tests).
    pub fn unjudged(rules: RuleSet, options: ScanOptions) -> Scanner {
        Scanner::new(rules, options, Box::new(NoJudge))
    }

    /// Feeds live counters (for a progress display), bumped once per item.
    pub fn set_progress(&mut self, counters: Arc<Counters>) {
        self.progress = Some(counters);
    }

    /// The rules.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// The options.
    pub fn options(&self) -> &ScanOptions {
        &self.options
    }

    /// Scans one buffer as a file of `kind` reported at `path`.
    pub fn scan_bytes(&self, path: &str, kind: FileKind, content: &[u8]) -> FileScan {
        let mut scratch = engine::Scratch::default();
        engine::scan_content(
            &self.rules,
            path,
            kind,
            content,
            &self.options,
            &*self.judge,
            &mut scratch,
        )
    }

    /// Scans everything `source` produces, in parallel. Findings come back
    /// sorted, with the judge's suppressions marked (baselines are applied by
    /// the caller, which knows the run's baseline file).
    pub fn run<S: Source>(&self, source: &S) -> ScanOutput {
        let started = Instant::now();
        let budget = Budget {
            max: self.options.max_findings,
            kept: AtomicUsize::new(0),
            dropped: AtomicU64::new(0),
        };
        let partial = match source.len_hint() {
            Some(n) if n <= SMALL_ITEMS => self.run_small(source, &budget),
            _ => self.run_parallel(source, &budget),
        };
        let Partial { mut out, found } = partial;
        out.stats.dropped_findings = budget.dropped.load(Ordering::Relaxed);
        out.findings = source.finish(found, &mut out.stats);
        sort_findings(&mut out.findings);
        out.skipped.sort();
        out.silent.sort();
        out.silent.truncate(MAX_SILENT_LISTED);
        out.refs
            .sort_by(|a, b| (&a.path, &a.file).cmp(&(&b.path, &b.file)));
        // Sources that worked before the scan (a history walk) have already
        // added their time.
        out.stats.elapsed_ms += started.elapsed().as_millis() as u64;
        out
    }

    /// Scans a few items on scoped threads, the calling one included (one
    /// item: on the calling thread alone): for the handful of files of a
    /// pre-commit run, a pool and a feeding thread cost more than they bring
    /// (each new thread also touches fresh memory).
    fn run_small<S: Source>(&self, source: &S, budget: &Budget) -> Partial {
        let mut events = Vec::new();
        source.feed(&mut |ev| events.push(ev));
        let n = events.len();
        let threads = match self.options.threads {
            0 => std::thread::available_parallelism().map_or(1, |t| t.get()),
            t => t,
        }
        .min(n)
        .max(1);
        let queue = std::sync::Mutex::new(events.into_iter());
        let compiles = Arc::new(engine::Compiles::default());
        let work = || {
            let mut worker = self.worker(source);
            if threads > 1 {
                worker.scratch = engine::Scratch::sharing(compiles.clone());
            }
            let mut done = Partial::default();
            loop {
                // A poisoned lock means another worker panicked; the panic
                // reaches the caller when the scope joins it.
                let next = match queue.lock() {
                    Ok(mut q) => q.next(),
                    Err(_) => None,
                };
                let Some(ev) = next else { break };
                done.add(source, self.handle(source, &mut worker, ev, budget));
            }
            // Nothing left to scan: compile what the others are about to need.
            compiles.help();
            done
        };
        std::thread::scope(|s| {
            let helpers: Vec<_> = (1..threads).map(|_| s.spawn(work)).collect();
            let mut all = work();
            for h in helpers {
                match h.join() {
                    Ok(done) => all = all.merge(done),
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
            all
        })
    }

    /// One thread per core, the feeding one included: the source's thread
    /// hands batches to the others through a bounded queue and, when the
    /// queue is full, scans the batch itself instead of waiting; once the
    /// source is done it drains the queue with the rest. A feeding thread
    /// of its own, next to a worker per core, kept the cores oversubscribed
    /// and woke the feeder once per batch.
    fn run_parallel<S: Source>(&self, source: &S, budget: &Budget) -> Partial {
        let work = || {
            let threads = rayon::current_num_threads();
            // Events travel in batches: one queue operation per batch
            // instead of per file.
            let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Event>>(64);
            let rx = Mutex::new(rx);
            let done = Mutex::new(Vec::with_capacity(threads));
            let scan_batch = |w: &mut Worker<S::Local>, part: &mut Partial, batch: Vec<Event>| {
                for ev in batch {
                    part.add(source, self.handle(source, w, ev, budget));
                }
            };
            // Takes batches until the queue is closed and empty. A poisoned
            // lock means another worker panicked: stop, the scope re-raises it.
            let drain = |w: &mut Worker<S::Local>, part: &mut Partial| loop {
                let next = match rx.lock() {
                    Ok(rx) => rx.recv(),
                    Err(_) => break,
                };
                match next {
                    Ok(batch) => scan_batch(w, part, batch),
                    Err(_) => break,
                }
            };
            let keep = |part: Partial| match done.lock() {
                Ok(mut d) => d.push(part),
                Err(p) => p.into_inner().push(part),
            };
            rayon::scope(|s| {
                for _ in 1..threads {
                    s.spawn(|_| {
                        let mut w = self.worker(source);
                        let mut part = Partial::default();
                        drain(&mut w, &mut part);
                        keep(part);
                    });
                }
                let mut w = self.worker(source);
                let mut part = Partial::default();
                // The first events go one at a time, so that a run of a few
                // files (a pre-commit hook) keeps every worker busy instead
                // of handing all of them to one.
                let mut single = SINGLE_EVENTS_PER_THREAD * threads;
                let mut batch = Vec::with_capacity(BATCH);
                let hand_over =
                    |w: &mut Worker<S::Local>, part: &mut Partial, b: Vec<Event>| match tx
                        .try_send(b)
                    {
                        Ok(()) => {}
                        Err(
                            std::sync::mpsc::TrySendError::Full(b)
                            | std::sync::mpsc::TrySendError::Disconnected(b),
                        ) => scan_batch(w, part, b),
                    };
                source.feed(&mut |ev| {
                    batch.push(ev);
                    if single > 0 || batch.len() == BATCH {
                        single = single.saturating_sub(1);
                        let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                        hand_over(&mut w, &mut part, full);
                    }
                });
                if !batch.is_empty() {
                    hand_over(&mut w, &mut part, batch);
                }
                // Closing the queue ends every drain once it is empty. The
                // sender is moved into this closure, so a panic while
                // feeding drops it too and the drains still end.
                drop(tx);
                drain(&mut w, &mut part);
                keep(part);
            });
            done.into_inner()
                .unwrap_or_else(|p| p.into_inner())
                .into_iter()
                .reduce(Partial::merge)
                .unwrap_or_default()
        };
        match rayon::ThreadPoolBuilder::new()
            .num_threads(self.options.threads)
            .build()
        {
            Ok(pool) => pool.install(work),
            // Building a pool only fails if threads cannot be spawned; the
            // global pool still works.
            Err(_) => work(),
        }
    }

    fn worker<S: Source>(&self, source: &S) -> Worker<S::Local> {
        Worker {
            buf: Vec::new(),
            scratch: engine::Scratch::default(),
            local: source.local(),
        }
    }

    fn handle<S: Source>(
        &self,
        source: &S,
        w: &mut Worker<S::Local>,
        ev: Event,
        budget: &Budget,
    ) -> Outcome {
        let mut outcome = match ev {
            Event::Skip(s) => Outcome::Skipped(s),
            Event::Item(item) => self.scan_item(source, w, item),
        };
        if let Outcome::Scanned { findings, .. } = &mut outcome {
            budget.trim(findings);
        }
        if let Some(p) = &self.progress {
            match &outcome {
                Outcome::Scanned {
                    findings, bytes, ..
                } => p.file_scanned(*bytes, findings.len()),
                Outcome::Skipped(_) => p.path_skipped(),
            }
        }
        outcome
    }

    fn scan_item<S: Source>(&self, source: &S, w: &mut Worker<S::Local>, item: Item) -> Outcome {
        let max = self.options.max_file_size;
        let skipped = |reason: SkipReason, detail: String| {
            Outcome::Skipped(Skipped {
                path: source.skip_path(&item),
                reason,
                detail,
            })
        };
        let (bytes, loaded): (&[u8], read::Loaded) = match &item.content {
            Content::File(path) if self.options.own_files.contains(path) => {
                return skipped(
                    SkipReason::OwnOutput,
                    "written or read by this run (--output, --report or --baseline)".into(),
                );
            }
            Content::File(path) => match read::read_file(path, max, &mut w.buf) {
                Ok(l) => (&w.buf, l),
                Err(s) => return skipped(s.reason, s.detail),
            },
            Content::Listed(path, ino) if self.options.own_files.contains_listed(path, *ino) => {
                return skipped(
                    SkipReason::OwnOutput,
                    "written or read by this run (--output, --report or --baseline)".into(),
                );
            }
            Content::Listed(path, _) => match read::read_listed(path, max, &mut w.buf) {
                Ok(l) => (&w.buf, l),
                Err(s) => return skipped(s.reason, s.detail),
            },
            Content::Bytes(b) => {
                let size = b.len() as u64;
                if size > max {
                    let s = read::Skip::too_large(size, max);
                    return skipped(s.reason, s.detail);
                }
                match read::classify(b, size) {
                    Ok(l) => (b, l),
                    Err(s) => return skipped(s.reason, s.detail),
                }
            }
            Content::Object => {
                if let Err((reason, detail)) =
                    source.read_object(&mut w.local, &item, max, &mut w.buf)
                {
                    return skipped(reason, detail);
                }
                match read::classify(&w.buf, w.buf.len() as u64) {
                    Ok(l) => (&w.buf, l),
                    Err(s) => return skipped(s.reason, s.detail),
                }
            }
        };
        let size = loaded.size;
        let content = loaded.content(bytes);
        if let Some(what) = own::sniff(content) {
            return skipped(SkipReason::KeysweepReport, format!("{what}, not scanned"));
        }
        let mut fs = engine::scan_content(
            &self.rules,
            &item.display,
            item.kind,
            content,
            &self.options,
            &*self.judge,
            &mut w.scratch,
        );
        let file = match &item.content {
            Content::File(path) | Content::Listed(path, _) => Some(path.clone()),
            _ => None,
        };
        if let Some(path) = &file {
            for f in &mut fs.findings {
                f.file = Some(path.clone());
            }
        }
        let refs = (!fs.refs.refs.is_empty()).then(|| ScannedRefs {
            path: item.display.clone(),
            file,
            kind: item.kind,
            digest: crate::finding::content_digest(content),
            refs: std::mem::take(&mut fs.refs),
        });
        Outcome::Scanned {
            refs,
            tag: item.tag,
            findings: fs.findings,
            bytes: size,
            truncated: fs.truncated,
            mentions: fs.mentions,
            silent: fs
                .silent
                .into_iter()
                .map(|mut s| {
                    s.path = item.display.clone();
                    s
                })
                .collect(),
        }
    }
}

/// Sorts findings into report order.
pub fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        (&a.path, a.location.line, a.location.column, &a.rule_id).cmp(&(
            &b.path,
            b.location.line,
            b.location.column,
            &b.rule_id,
        ))
    });
}
