//! Git history scanning (`keysweep scan --history`): finds secrets in every
//! blob reachable from the repository's refs, including ones long deleted
//! from the work tree.
//!
//! The pipeline:
//!
//! ```text
//! refs (or --branch) minus ancestors of --since
//!   → graph::walk: commits parents-first, tree diffs → blob → [(commit, path)]
//!   → units: one per (blob, set of rules applicable to its paths), scanned
//!     in parallel, streaming blob contents through a per-thread buffer
//!   → dedupe: one finding per rule + secret, with the oldest commit and counts
//! ```
//!
//! Blobs are read with gix (pure Rust, no `git` process). Only object ids,
//! interned paths and findings are held in memory, never blob contents.
//! Findings carry the same `fingerprint` as a work-tree scan of the same path
//! and content, so suppressions and baselines keyed on fingerprints apply.

pub mod graph;

use crate::error::Error;
use crate::finding::{CommitInfo, Finding, HistoryStats, SkipReason, Skipped};
use crate::rules::RuleSet;
use crate::scan::{self, read, ScanOptions, ScanOutput};
use crate::walk::kind::{self, FileKind};
use gix::hash::ObjectId;
use gix::objs::FindExt;
use graph::{Index, Intro};
use rayon::prelude::*;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
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

enum Outcome {
    Scanned {
        findings: Vec<Finding>,
        bytes: u64,
        truncated: Vec<String>,
    },
    Skipped(SkipReason, String),
}

fn history_error(path: &Path, reason: impl std::fmt::Display) -> Error {
    Error::History {
        path: path.display().to_string(),
        reason: reason.to_string(),
    }
}

/// Scans the history of the repository at `opts.repo`. Paths for which
/// `is_excluded` (given the path as if checked out under the repository root)
/// returns true are not scanned; a blob committed only at such paths is
/// counted as ignored.
pub fn scan_history(
    opts: &HistoryOptions,
    rules: &RuleSet,
    scan_opts: &ScanOptions,
    is_excluded: &dyn Fn(&Path) -> bool,
) -> Result<ScanOutput, Error> {
    let started = Instant::now();
    let mut repo = gix::discover(&opts.repo).map_err(|e| history_error(&opts.repo, e))?;
    // Trees of parents are read again when their children are compared.
    repo.object_cache_size_if_unset(16 << 20);
    let tips = tips(&repo, opts)?;
    let hidden = match &opts.since {
        Some(rev) => graph::ancestors(&repo, &[resolve(&repo, opts, rev, "--since")?]),
        None => HashSet::new(),
    };
    let index = graph::walk(&repo, &tips, &hidden);
    let walk_ms = started.elapsed().as_millis() as u64;
    let info = history_stats(&repo, &index);
    let root = PathBuf::from(&info.root);
    let excluded: Vec<bool> = index
        .paths
        .iter()
        .map(|p| is_excluded(&root.join(p)))
        .collect();
    let (units, ignored) = units(&index, rules, &excluded);

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(scan_opts.threads)
        .build();
    // Blobs are read once each: an object cache would only copy them.
    let mut scan_repo = repo.clone();
    scan_repo.object_cache_size(None);
    let sync = scan_repo.into_sync();
    let scan_units = || -> Vec<Outcome> {
        units
            .par_iter()
            .map_init(
                || (sync.to_thread_local(), Vec::new(), Vec::new()),
                |(repo, buf, active), u| {
                    let path = &index.paths[u.intros[0].path as usize];
                    let outcome = scan_unit(
                        repo,
                        u,
                        path,
                        rules,
                        scan_opts,
                        opts.max_blob_size,
                        buf,
                        active,
                    );
                    // Feeds the progress line (one blob = one "file").
                    if let Some(p) = &scan_opts.progress {
                        match &outcome {
                            Outcome::Scanned {
                                findings, bytes, ..
                            } => p.file_scanned(*bytes, findings.len()),
                            Outcome::Skipped(..) => p.path_skipped(),
                        }
                    }
                    outcome
                },
            )
            .collect()
    };
    let outcomes = match pool {
        Ok(pool) => pool.install(scan_units),
        // Building a pool only fails if threads cannot be spawned; the global
        // pool still works.
        Err(_) => scan_units(),
    };

    let mut out = ScanOutput::default();
    if ignored > 0 {
        out.stats.skipped.insert(SkipReason::Ignored, ignored);
    }
    for (id, reason) in &index.unreadable {
        *out.stats.skipped.entry(SkipReason::Unreadable).or_insert(0) += 1;
        out.skipped.push(Skipped {
            path: format!("commit {}", id.to_hex_with_len(12)),
            reason: SkipReason::Unreadable,
            detail: reason.clone(),
        });
    }
    let mut found: Vec<(usize, Finding)> = Vec::new();
    for (i, o) in outcomes.into_iter().enumerate() {
        match o {
            Outcome::Scanned {
                findings,
                bytes,
                truncated,
            } => {
                out.stats.files_scanned += 1;
                out.stats.bytes_scanned += bytes;
                found.extend(findings.into_iter().map(|f| (i, f)));
                for t in truncated {
                    *out.stats.truncated.entry(t).or_insert(0) += 1;
                }
            }
            Outcome::Skipped(reason, detail) => {
                *out.stats.skipped.entry(reason).or_insert(0) += 1;
                if reason != SkipReason::Binary {
                    let u = &units[i];
                    let first = u.intros[0];
                    out.skipped.push(Skipped {
                        path: format!(
                            "{}@{}",
                            index.paths[first.path as usize],
                            index.commits[first.commit as usize].id.to_hex_with_len(7)
                        ),
                        reason,
                        detail,
                    });
                }
            }
        }
    }
    out.findings = dedupe(&repo, &index, &units, found);
    scan::sort_findings(&mut out.findings);
    out.skipped.sort();
    out.stats.history = Some(HistoryStats {
        blobs: index.blobs.len() as u64,
        walk_ms,
        ..info
    });
    out.stats.elapsed_ms = started.elapsed().as_millis() as u64;
    Ok(out)
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

/// The commits to start from: `--branch` revisions, or every ref that leads
/// to a commit plus HEAD.
fn tips(repo: &gix::Repository, opts: &HistoryOptions) -> Result<Vec<ObjectId>, Error> {
    let mut tips = Vec::new();
    if !opts.branches.is_empty() {
        for b in &opts.branches {
            tips.push(resolve(repo, opts, b, "--branch")?);
        }
        return Ok(tips);
    }
    let platform = repo
        .references()
        .map_err(|e| history_error(&opts.repo, e))?;
    let refs = platform.all().map_err(|e| history_error(&opts.repo, e))?;
    // A broken ref is skipped rather than failing the scan: everything else
    // in the repository is still worth scanning.
    for mut r in refs.flatten() {
        if let Ok(id) = r.peel_to_id_in_place() {
            let is_commit = repo
                .find_header(id.detach())
                .is_ok_and(|h| h.kind() == gix::objs::Kind::Commit);
            if is_commit {
                tips.push(id.detach());
            }
        }
    }
    if let Ok(head) = repo.head_id() {
        tips.push(head.detach());
    }
    tips.sort();
    tips.dedup();
    Ok(tips)
}

/// Splits every blob's introductions into scan units. What `scan_content`
/// reports for given bytes depends on the path only through which rules apply
/// to it (file kind and path globs), so the bytes are scanned once per
/// distinct set of applicable rules among the blob's paths: the same content
/// committed as `.env` and as `README.md` is scanned as both, while renames
/// and copies to paths of the same kind cost nothing.
///
/// Introductions at excluded paths are dropped; returns the units and the
/// number of blobs that were only committed at excluded paths.
fn units(index: &Index, rules: &RuleSet, excluded: &[bool]) -> (Vec<Unit>, u64) {
    let mut sig_ids: HashMap<Vec<u64>, u32> = HashMap::new();
    let mut path_sig: Vec<u32> = Vec::with_capacity(index.paths.len());
    let mut path_kind: Vec<FileKind> = Vec::with_capacity(index.paths.len());
    for p in &index.paths {
        let k = kind::classify(p);
        let mut sig = vec![0u64; rules.rules().len().div_ceil(64)];
        for (i, r) in rules.rules().iter().enumerate() {
            if r.applies_to(k, p) {
                sig[i / 64] |= 1 << (i % 64);
            }
        }
        let next = sig_ids.len() as u32;
        path_sig.push(*sig_ids.entry(sig).or_insert(next));
        path_kind.push(k);
    }
    let mut units = Vec::with_capacity(index.blobs.len());
    let mut ignored = 0;
    for (blob, intros) in &index.blobs {
        let mut by_sig: Vec<(u32, Unit)> = Vec::new();
        for intro in intros {
            if excluded[intro.path as usize] {
                continue;
            }
            let sig = path_sig[intro.path as usize];
            match by_sig.iter_mut().find(|(s, _)| *s == sig) {
                Some((_, u)) => u.intros.push(*intro),
                None => by_sig.push((
                    sig,
                    Unit {
                        blob: *blob,
                        kind: path_kind[intro.path as usize],
                        intros: vec![*intro],
                    },
                )),
            }
        }
        if by_sig.is_empty() {
            ignored += 1;
        }
        units.extend(by_sig.into_iter().map(|(_, u)| u));
    }
    (units, ignored)
}

#[allow(clippy::too_many_arguments)]
fn scan_unit(
    repo: &gix::Repository,
    u: &Unit,
    path: &str,
    rules: &RuleSet,
    opts: &ScanOptions,
    max_size: u64,
    buf: &mut Vec<u8>,
    active: &mut Vec<bool>,
) -> Outcome {
    let size = match repo.find_header(u.blob) {
        Ok(h) => h.size(),
        Err(e) => return Outcome::Skipped(SkipReason::Unreadable, format!("blob {}: {e}", u.blob)),
    };
    if size > max_size {
        return Outcome::Skipped(
            SkipReason::TooLarge,
            format!("{size} bytes > limit of {max_size}"),
        );
    }
    let blob = match repo.objects.find_blob(&u.blob, buf) {
        Ok(b) => b,
        Err(e) => return Outcome::Skipped(SkipReason::Unreadable, format!("blob {}: {e}", u.blob)),
    };
    let data = blob.data;
    match read::classify(data, size) {
        Err((reason, detail)) => Outcome::Skipped(reason, detail),
        Ok(loaded) => {
            let fs = scan::scan_content(rules, path, u.kind, loaded.content(data), opts, active);
            Outcome::Scanned {
                findings: fs.findings,
                bytes: size,
                truncated: fs.truncated,
            }
        }
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
    let mut meta: HashMap<u32, (String, String)> = HashMap::new();
    let mut buf = Vec::new();
    groups
        .into_values()
        .map(|g| {
            let commit = units[g.unit].intros[0].commit;
            let id = index.commits[commit as usize].id;
            let (author_date, summary) = meta
                .entry(commit)
                .or_insert_with(|| commit_meta(repo, &id, &mut buf))
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
            (date, crate::finding::truncate_chars(summary.trim(), 72))
        }
        Err(_) => ("unknown".to_string(), String::new()),
    }
}

/// Repository identity for reports.
fn history_stats(repo: &gix::Repository, index: &Index) -> HistoryStats {
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
    let repository_uri = origin.unwrap_or_else(|| {
        let mut uri = format!(
            "file://{}",
            crate::report::sarif::encode_uri_path(&root_str)
        );
        if !uri.ends_with('/') {
            uri.push('/');
        }
        uri
    });
    HistoryStats {
        repository_uri,
        revision: repo.head_id().ok().map(|id| id.to_string()),
        branch: repo
            .head_name()
            .ok()
            .flatten()
            .map(|n| n.as_bstr().to_string()),
        root: root_str,
        commits: index.walked,
        blobs: 0,
        walk_ms: 0,
    }
}

/// Removes `user:password@` from a URL: remotes sometimes embed tokens, and
/// the URI ends up in SARIF files uploaded elsewhere.
pub fn strip_credentials(url: &str) -> String {
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
    }
}
