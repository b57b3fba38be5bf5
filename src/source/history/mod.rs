//! Git history scanning (`keysweep scan --history`): finds secrets in every
//! blob reachable from the repository's refs, including ones long deleted
//! from the work tree.
//!
//! The pipeline:
//!
//! ```text
//! refs (or --branch) minus ancestors of --since
//!   → graph::plan: every commit read and ordered parents-first (before the scan)
//!   → graph::Plan::walk, while the scan runs: tree diffs → blob → [(commit, path)]
//!   → units: one per (blob, set of rules applicable to its paths), each sent
//!     to the workers as soon as the walk finds it and scanned in parallel,
//!     streaming blob contents through a per-thread buffer
//!   → dedupe: one finding per rule + secret, with the oldest commit and counts
//! ```
//!
//! Blobs are read with gix (pure Rust, no `git` process). Only object ids,
//! interned paths and findings are held in memory, never blob contents.
//! Findings carry the same `fingerprint` as a work-tree scan of the same path
//! and content, so suppressions and baselines keyed on fingerprints apply.

pub mod graph;

use super::{Content, Event, Item, Source, Tagged};
use crate::error::Error;
use crate::finding::{CommitInfo, Finding, HistoryStats, ScanStats, SkipReason, Skipped};
use crate::kind::{self, FileKind};
use crate::rules::RuleSet;
use gix::hash::ObjectId;
use gix::objs::FindExt;
use graph::{Index, Intro};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

/// What to scan.
#[derive(Debug, Clone)]
pub struct HistoryOptions {
    /// A path inside the repository (work tree or bare git dir).
    pub repo: PathBuf,
    /// Skip commits reachable from this revision.
    pub since: Option<String>,
    /// Start from these revisions instead of every ref.
    pub branches: Vec<String>,
    /// Skip blobs larger than this.
    pub max_blob_size: u64,
}

/// One scan unit: a blob scanned as the file kind of its first path, with
/// the introductions (commit, path) whose paths have the same applicable
/// rules, oldest first.
struct Unit {
    blob: ObjectId,
    kind: FileKind,
    intros: Vec<Intro>,
}

fn history_error(path: &Path, reason: impl std::fmt::Display) -> Error {
    Error::History {
        path: path.display().to_string(),
        reason: reason.to_string(),
    }
}

/// The error of a walk that could not read some commits or trees: the
/// history cannot be scanned completely.
fn unreadable_error(repo: &Path, unreadable: &[(ObjectId, String)]) -> Option<Error> {
    let (id, reason) = unreadable.first()?;
    Some(history_error(
        repo,
        format!(
            "{} commit(s) or tree(s) cannot be read, e.g. {id}: {reason}; the history cannot be scanned completely",
            unreadable.len()
        ),
    ))
}

/// Decides whether a repository path (as if checked out under the
/// repository root) is left out of a history scan.
pub type Exclude = Box<dyn Fn(&Path) -> bool + Send + Sync>;

/// What the walk has learnt so far, shared by the walking thread (which
/// adds to it) and the workers (which look their units up).
#[derive(Default)]
struct State {
    index: Index,
    units: Vec<Unit>,
    /// Per blob (indexed like `index.blobs`): (path signature, unit).
    blob_units: Vec<Vec<(u32, u32)>>,
    /// Per path: signature of the rules that apply, kind, excluded.
    path_sig: Vec<u32>,
    path_kind: Vec<FileKind>,
    path_excluded: Vec<bool>,
    sig_ids: HashMap<Vec<u64>, u32>,
    /// Time from the start of `open` to the end of the walk.
    walk_ms: u64,
}

/// The history of one repository, ready for the scanner. Commits are read
/// and ordered by [`HistorySource::open`]; their trees are compared while
/// the scan runs ([`Source::feed`], on the scanner's source thread), so blobs
/// are scanned as soon as the walk finds them. Only object ids, interned
/// paths and findings are held in memory, never blob contents.
pub struct HistorySource {
    /// Shared handle the workers and the walk open their own readers from.
    sync: gix::ThreadSafeRepository,
    plan: graph::Plan,
    tagged: Vec<(String, ObjectId, bool)>,
    rules: RuleSet,
    exclude: Exclude,
    state: Mutex<State>,
    /// Trees that could not be read during the walk: the scan fails closed.
    failed: Mutex<Vec<(ObjectId, String)>>,
    info: HistoryStats,
    root: PathBuf,
    repo_path: PathBuf,
    max_blob_size: u64,
    started: Instant,
    /// Time spent in `open`, before the scan started.
    open_ms: u64,
}

impl HistorySource {
    /// Reads and orders the commits of the repository at `opts.repo`. Paths
    /// for which `exclude` (given the path as if checked out under the
    /// repository root) returns true are not scanned; a blob committed only
    /// at such paths is counted as ignored.
    pub fn open(
        opts: &HistoryOptions,
        rules: &RuleSet,
        exclude: Exclude,
    ) -> Result<HistorySource, Error> {
        let started = Instant::now();
        let repo = gix::discover(&opts.repo).map_err(|e| open_error(&opts.repo, e))?;
        let tips = tips(&repo, opts)?;
        let hidden = match &opts.since {
            Some(rev) => graph::ancestors(&repo, &[resolve(&repo, opts, rev, "--since")?]),
            None => HashSet::new(),
        };
        let plan = graph::plan(&repo, &tips.commits, &hidden);
        // Fail closed: a commit that cannot be read hides everything below
        // it. (Missing blobs are counted skips: the run is incomplete.)
        if let Some(e) = unreadable_error(&opts.repo, &plan.unreadable) {
            return Err(e);
        }
        let (info, root) = history_stats(&repo, plan.len());
        // Blobs are read once each: an object cache would only copy them.
        let mut scan_repo = repo.clone();
        scan_repo.object_cache_size(None);
        Ok(HistorySource {
            sync: scan_repo.into_sync(),
            plan,
            tagged: tips.tagged,
            rules: rules.clone(),
            exclude,
            state: Mutex::new(State::default()),
            failed: Mutex::new(Vec::new()),
            info,
            root,
            repo_path: opts.repo.clone(),
            max_blob_size: opts.max_blob_size,
            open_ms: started.elapsed().as_millis() as u64,
            started,
        })
    }

    /// The error a walk that met unreadable trees ends with: the scan's
    /// results must not be used as if the history were complete.
    pub fn walk_error(&self) -> Option<Error> {
        unreadable_error(&self.repo_path, &lock(&self.failed))
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        lock(&self.state)
    }
}

/// A poisoned lock only means a panic elsewhere; the data is intact.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl State {
    /// Records that `commit` introduced `blob` at `path`; returns the new
    /// scan unit when this is the blob's first introduction at a path with
    /// this set of applicable rules (the blob is scanned once per set: the
    /// same content committed as `.env` and as `README.md` is scanned as
    /// both, while renames and copies to paths of the same kind cost
    /// nothing).
    fn record(
        &mut self,
        rules: &RuleSet,
        exclude: &Exclude,
        root: &Path,
        blob: ObjectId,
        commit: u32,
        path: &[u8],
    ) -> Option<u32> {
        let (path, new_path) = self.index.intern(path);
        if new_path {
            let p = &self.index.paths[path as usize];
            let k = kind::classify(p);
            let mut sig = vec![0u64; rules.rules().len().div_ceil(64)];
            for (i, r) in rules.rules().iter().enumerate() {
                if r.applies_to(k, p) {
                    sig[i / 64] |= 1 << (i % 64);
                }
            }
            let next = self.sig_ids.len() as u32;
            self.path_sig.push(*self.sig_ids.entry(sig).or_insert(next));
            self.path_kind.push(k);
            self.path_excluded.push(exclude(&root.join(p)));
        }
        let intro = Intro { commit, path };
        let b = self.index.record(blob, intro);
        if b == self.blob_units.len() {
            self.blob_units.push(Vec::new());
        }
        if self.path_excluded[path as usize] {
            return None;
        }
        let sig = self.path_sig[path as usize];
        match self.blob_units[b].iter().find(|(s, _)| *s == sig) {
            Some(&(_, u)) => {
                self.units[u as usize].intros.push(intro);
                None
            }
            None => {
                let u = self.units.len() as u32;
                self.units.push(Unit {
                    blob,
                    kind: self.path_kind[path as usize],
                    intros: vec![intro],
                });
                self.blob_units[b].push((sig, u));
                Some(u)
            }
        }
    }

    fn item(&self, unit: u32) -> Item {
        let u = &self.units[unit as usize];
        Item {
            display: self.index.paths[u.intros[0].path as usize].clone(),
            kind: u.kind,
            content: Content::Object,
            tag: unit,
        }
    }
}

impl Source for HistorySource {
    type Local = gix::Repository;

    /// Walks the commits in order, comparing trees, and sends each new scan
    /// unit as soon as it is found; then blobs committed only at excluded
    /// paths, as ignored skips.
    fn feed(&self, sink: &mut dyn FnMut(Event)) {
        let mut repo = self.sync.to_thread_local();
        // Trees of parents are read again when their children are compared.
        repo.object_cache_size_if_unset(16 << 20);
        let mut items: Vec<Item> = Vec::new();
        let mut on_blobs = |sink: &mut dyn FnMut(Event),
                            id: ObjectId,
                            label: Option<&str>,
                            blobs: graph::Introduced| {
            let blobs = match blobs {
                Ok(b) => b,
                Err(e) => {
                    lock(&self.failed).push((id, e));
                    return;
                }
            };
            if blobs.is_empty() {
                return;
            }
            let mut state = self.state();
            let commit = state.index.commits.len() as u32;
            // Items are sent after the lock is released: a send may wait for
            // the workers, which take the lock to read their objects.
            state.index.commits.push(graph::CommitRec {
                id,
                label: label.map(str::to_string),
            });
            for (path, blob) in blobs {
                if let Some(u) =
                    state.record(&self.rules, &self.exclude, &self.root, blob, commit, &path)
                {
                    items.push(state.item(u));
                }
            }
            drop(state);
            for item in items.drain(..) {
                sink(Event::Item(item));
            }
        };
        self.plan
            .walk(&repo, &mut |id, blobs| on_blobs(sink, id, None, blobs));
        graph::tagged(&repo, &self.tagged, &mut |name, id, blobs| {
            on_blobs(sink, id, Some(name), blobs)
        });
        let ignored = {
            let mut state = self.state();
            state.walk_ms = self.started.elapsed().as_millis() as u64;
            state.blob_units.iter().filter(|u| u.is_empty()).count()
        };
        for _ in 0..ignored {
            sink(Event::Skip(Skipped {
                path: String::new(),
                reason: SkipReason::Ignored,
                detail: String::new(),
            }));
        }
    }

    fn local(&self) -> gix::Repository {
        self.sync.to_thread_local()
    }

    fn read_object(
        &self,
        repo: &mut gix::Repository,
        item: &Item,
        max_size: u64,
        buf: &mut Vec<u8>,
    ) -> Result<(), (SkipReason, String)> {
        let blob = self.state().units[item.tag as usize].blob;
        let max_size = max_size.min(self.max_blob_size);
        let size = repo
            .find_header(blob)
            .map_err(|e| (SkipReason::Unreadable, format!("blob {blob}: {e}")))?
            .size();
        if size > max_size {
            return Err((
                SkipReason::TooLarge,
                format!("{size} bytes > limit of {max_size}"),
            ));
        }
        let (at, len) = {
            let data = repo
                .objects
                .find_blob(&blob, buf)
                .map_err(|e| (SkipReason::Unreadable, format!("blob {blob}: {e}")))?;
            (data.data.as_ptr() as usize, data.data.len())
        };
        // The blob's bytes are a slice of `buf`; make them all of it.
        let start = at.wrapping_sub(buf.as_ptr() as usize);
        if start.checked_add(len).is_none_or(|end| end > buf.len()) {
            return Err((
                SkipReason::Unreadable,
                format!("blob {blob}: object data outside its buffer"),
            ));
        }
        buf.copy_within(start..start + len, 0);
        buf.truncate(len);
        Ok(())
    }

    fn skip_path(&self, item: &Item) -> String {
        let state = self.state();
        let first = state.units[item.tag as usize].intros[0];
        format!(
            "{}@{}",
            state.index.paths[first.path as usize],
            state.index.commits[first.commit as usize]
                .id
                .to_hex_with_len(7)
        )
    }

    /// Binary blobs are only counted: a history holds many.
    fn lists_skip(&self, reason: SkipReason) -> bool {
        !matches!(reason, SkipReason::Ignored | SkipReason::Binary)
    }

    fn finish(&self, found: Tagged, stats: &mut ScanStats) -> Vec<Finding> {
        let state = self.state();
        stats.history = Some(HistoryStats {
            blobs: state.index.blobs.len() as u64,
            walk_ms: state.walk_ms,
            ..self.info.clone()
        });
        // The part of the walk before the scan started is part of its time
        // (the rest overlapped the scan).
        stats.elapsed_ms += self.open_ms;
        let found = found.into_iter().map(|(t, f)| (t as usize, f)).collect();
        dedupe(
            &self.sync.to_thread_local(),
            &state.index,
            &state.units,
            found,
        )
    }

    /// The repository root: history paths are repository paths.
    fn origin(&self) -> PathBuf {
        self.root.clone()
    }
}

/// Resolves a user-given revision to a commit id.
fn resolve(
    repo: &gix::Repository,
    opts: &HistoryOptions,
    rev: &str,
    flag: &str,
) -> Result<ObjectId, Error> {
    let spec = format!("{rev}^{{commit}}");
    repo.rev_parse_single(spec.as_str())
        .map(|id| id.detach())
        .map_err(|e| history_error(&opts.repo, format!("{flag} {rev}: {e}")))
}

/// Where a history walk starts: commits, plus trees and blobs that refs
/// point at directly (name, id, is a tree).
struct Tips {
    commits: Vec<ObjectId>,
    tagged: Vec<(String, ObjectId, bool)>,
}

/// The commits to start from: `--branch` revisions, or every ref plus HEAD.
/// A ref that cannot be resolved, or that points at an object that cannot be
/// read, fails the scan: a history gate must not pass what it could not see.
fn tips(repo: &gix::Repository, opts: &HistoryOptions) -> Result<Tips, Error> {
    let mut tips = Tips {
        commits: Vec::new(),
        tagged: Vec::new(),
    };
    if !opts.branches.is_empty() {
        for b in &opts.branches {
            tips.commits.push(resolve(repo, opts, b, "--branch")?);
        }
        return Ok(tips);
    }
    let platform = repo
        .references()
        .map_err(|e| history_error(&opts.repo, e))?;
    let refs = platform.all().map_err(|e| history_error(&opts.repo, e))?;
    for r in refs {
        let mut r = r.map_err(|e| history_error(&opts.repo, format!("cannot read a ref: {e}")))?;
        let name = r.name().as_bstr().to_string();
        let id = r
            .peel_to_id_in_place()
            .map_err(|e| history_error(&opts.repo, format!("ref {name} cannot be resolved: {e}")))?
            .detach();
        let kind = repo
            .find_header(id)
            .map_err(|e| {
                history_error(
                    &opts.repo,
                    format!("ref {name} points at {id}, which cannot be read: {e}"),
                )
            })?
            .kind();
        match kind {
            gix::objs::Kind::Commit => tips.commits.push(id),
            gix::objs::Kind::Tree => tips.tagged.push((name, id, true)),
            gix::objs::Kind::Blob => tips.tagged.push((name, id, false)),
            gix::objs::Kind::Tag => {}
        }
    }
    // An unborn HEAD (a new repository) has no id; one naming a missing
    // object is as broken as any other ref.
    if let Ok(Some(id)) = repo.head().map(|h| h.id()) {
        let id = id.detach();
        repo.find_header(id).map_err(|e| {
            history_error(
                &opts.repo,
                format!("HEAD points at {id}, which cannot be read: {e}"),
            )
        })?;
        tips.commits.push(id);
    }
    tips.commits.sort();
    tips.commits.dedup();
    tips.tagged.sort();
    tips.tagged.dedup();
    Ok(tips)
}

/// The error for a repository keysweep cannot open, with the likely reason
/// when gix's own message would mislead (SHA-256 repositories fail while
/// their configuration is read).
fn open_error(path: &Path, e: impl std::fmt::Display) -> Error {
    let sha256 = [path.join(".git").join("config"), path.join("config")]
        .iter()
        .filter_map(|p| crate::util::fs::read_regular(p, 1 << 20).ok())
        .any(|cfg| {
            let text = String::from_utf8_lossy(&cfg).to_ascii_lowercase();
            text.lines().any(|l| {
                let l: String = l.chars().filter(|c| !c.is_whitespace()).collect();
                l == "objectformat=sha256"
            })
        });
    if sha256 {
        history_error(
            path,
            "the repository uses SHA-256 object ids (extensions.objectFormat = sha256), which keysweep cannot read yet",
        )
    } else {
        history_error(path, e)
    }
}

/// What makes two history findings "the same": the rule and the secret
/// (wherever and however often it was committed); for findings without a
/// secret, the rule and the path-bound fingerprint minus its occurrence index.
fn dedupe_key(f: &Finding) -> (String, String) {
    let key = match &f.secret {
        Some(s) => format!("secret:{}", s.hash()),
        None => {
            let base = f
                .fingerprint
                .rsplit_once(':')
                .map_or(f.fingerprint.as_str(), |(b, _)| b);
            format!("fp:{base}")
        }
    };
    (f.rule_id.clone(), key)
}

struct Group {
    unit: usize,
    finding: Finding,
    commits: HashSet<u32>,
    paths: BTreeSet<u32>,
}

/// Folds findings from all units into one per [`dedupe_key`], keeping the one
/// from the oldest introduction and counting commits and paths.
fn dedupe(
    repo: &gix::Repository,
    index: &Index,
    units: &[Unit],
    found: Vec<(usize, Finding)>,
) -> Vec<Finding> {
    let mut groups: HashMap<(String, String), Group> = HashMap::new();
    for (ui, f) in found {
        let u = &units[ui];
        let key = dedupe_key(&f);
        let g = groups.entry(key).or_insert_with(|| Group {
            unit: ui,
            finding: f.clone(),
            commits: HashSet::new(),
            paths: BTreeSet::new(),
        });
        g.commits.extend(u.intros.iter().map(|i| i.commit));
        g.paths.extend(u.intros.iter().map(|i| i.path));
        let current = (
            units[g.unit].intros[0].commit,
            g.finding.location.line,
            g.finding.location.column,
        );
        let candidate = (u.intros[0].commit, f.location.line, f.location.column);
        if candidate < current {
            g.unit = ui;
            g.finding = f;
        }
    }
    // Commit messages are printed in every format: mask the secrets the run
    // found (by their hash, wherever they appear in a summary), credential
    // literals and token look-alikes, unless the user asked to see secrets.
    let exposed = groups
        .values()
        .any(|g| g.finding.secret.as_ref().is_some_and(|s| s.is_exposed()));
    let hashes: HashSet<String> = groups
        .values()
        .filter_map(|g| g.finding.secret.as_ref().map(|s| s.hash().to_string()))
        .collect();
    let mut meta: HashMap<u32, (String, String)> = HashMap::new();
    let mut buf = Vec::new();
    groups
        .into_values()
        .map(|g| {
            let commit = units[g.unit].intros[0].commit;
            let id = index.commits[commit as usize].id;
            let (author_date, summary) = meta
                .entry(commit)
                .or_insert_with(|| {
                    let (date, summary) = match &index.commits[commit as usize].label {
                        Some(name) => ("unknown".to_string(), format!("object named by {name}")),
                        None => commit_meta(repo, &id, &mut buf),
                    };
                    // Redacted before it is cut: a cut value would no longer
                    // be recognised.
                    let summary = if exposed {
                        summary
                    } else {
                        redact_summary(&summary, &hashes)
                    };
                    (date, crate::util::text::truncate_chars(&summary, 72))
                })
                .clone();
            let first = g.finding.path.clone();
            let mut paths = vec![first.clone()];
            paths.extend(
                g.paths
                    .iter()
                    .map(|p| index.paths[*p as usize].clone())
                    .filter(|p| *p != first),
            );
            let mut f = g.finding;
            // Fixes rewrite files on disk; a blob in history is not one.
            f.fix = None;
            f.commit = Some(CommitInfo {
                id: id.to_string(),
                short_id: id.to_hex_with_len(7).to_string(),
                author_date,
                summary,
                occurrences: g.commits.len() as u64,
                paths,
            });
            f
        })
        .collect()
}

/// `summary` with every word whose value hash is in `hashes`, every literal
/// after a credential-like name and every Auth Token look-alike masked.
pub fn redact_summary(summary: &str, hashes: &HashSet<String>) -> String {
    use crate::util::redact::{credential_literals, mask_ranges, token_shapes, words};
    let mut ranges = credential_literals(summary.as_bytes());
    ranges.extend(token_shapes(summary.as_bytes()));
    for w in words(summary) {
        let word = &summary[w.clone()];
        let trimmed = word.trim_end_matches(['.', '!', '?']);
        for candidate in [word, trimmed] {
            if hashes.contains(&crate::finding::secret_hash(candidate)) {
                ranges.push(w.start..w.start + candidate.len());
                break;
            }
        }
    }
    mask_ranges(summary, &ranges, crate::finding::redact)
}

/// Author date (RFC 3339) and message summary of a commit; placeholders when
/// the commit cannot be read or its date is malformed.
fn commit_meta(repo: &gix::Repository, id: &ObjectId, buf: &mut Vec<u8>) -> (String, String) {
    match repo.objects.find_commit(id, buf) {
        Ok(c) => {
            let date = c
                .author
                .time()
                .map(|t| t.format(gix::date::time::format::ISO8601_STRICT))
                .unwrap_or_else(|_| "unknown".to_string());
            let summary = c.message().summary().to_string();
            (date, summary.trim().to_string())
        }
        Err(_) => ("unknown".to_string(), String::new()),
    }
}

/// Repository identity for reports, and the repository root.
fn history_stats(repo: &gix::Repository, commits: u64) -> (HistoryStats, PathBuf) {
    let root = repo
        .workdir()
        .unwrap_or_else(|| repo.git_dir())
        .to_path_buf();
    // Absolute but not canonical: baselines and excludes compare paths
    // lexically against absolute forms of what the user typed.
    let root = std::path::absolute(&root).unwrap_or(root);
    let root_str = root.to_string_lossy().replace('\\', "/");
    let origin = repo
        .config_snapshot()
        .string("remote.origin.url")
        .map(|u| strip_credentials(&u.to_string()));
    let repository_uri = origin.unwrap_or_else(|| crate::util::uri::dir_uri(&root_str));
    let stats = HistoryStats {
        repository_uri,
        revision: repo.head_id().ok().map(|id| id.to_string()),
        branch: repo
            .head_name()
            .ok()
            .flatten()
            .map(|n| n.as_bstr().to_string()),
        commits,
        blobs: 0,
        walk_ms: 0,
    };
    (stats, root)
}

/// Removes `user:password@`, the query and the fragment from a URL: remotes
/// sometimes embed tokens (`https://x:ghp_…@host/r`, `…/r.git?access_token=…`),
/// and the URI ends up in SARIF files uploaded elsewhere.
pub fn strip_credentials(url: &str) -> String {
    let url = url.split(['?', '#']).next().unwrap_or_default();
    if let Some(scheme_end) = url.find("://") {
        let rest = &url[scheme_end + 3..];
        let authority_end = rest.find('/').unwrap_or(rest.len());
        if let Some(at) = rest[..authority_end].rfind('@') {
            return format!("{}{}", &url[..scheme_end + 3], &rest[at + 1..]);
        }
    }
    url.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_are_redacted_by_value() {
        let hashes: HashSet<String> = [crate::finding::secret_hash("4dR9xK2pQz")].into();
        assert_eq!(
            redact_summary("add key 4dR9xK2pQz.", &hashes),
            "add key ******."
        );
        assert_eq!(
            redact_summary("set LOCALSTACK_CI_KEY=Zq8mN3vL7w", &HashSet::new()),
            "set LOCALSTACK_CI_KEY=******"
        );
    }

    #[test]
    fn credentials_are_stripped_from_remote_urls() {
        assert_eq!(
            strip_credentials("https://x-access-token:ghp_abc@github.com/o/r.git"),
            "https://github.com/o/r.git"
        );
        assert_eq!(
            strip_credentials("git@github.com:o/r.git"),
            "git@github.com:o/r.git"
        );
        assert_eq!(strip_credentials("ssh://git@host/p@x"), "ssh://host/p@x");
        assert_eq!(
            strip_credentials("https://host/o/r.git?access_token=ghp_x#frag"),
            "https://host/o/r.git"
        );
    }
}
