//! Scanning: applies a [`RuleSet`] to file contents and produces findings.
//!
//! Per file the common case is one Aho-Corasick pass over the bytes: only rules
//! whose keyword occurs (or that have none) run their regex, and line/column
//! and snippets are computed only for hits. [`scan_all`] drives the walk and
//! spreads files over one rayon pool, each worker reusing its read buffer.
//! A rule's `[rule.fix]` is turned into byte-range edits here, where the
//! captures are at hand; `crate::fix` only applies them.

pub mod location;
pub mod read;

use crate::finding::{
    content_digest, secret_hash, Edit, Finding, Fix, ScanStats, SecretView, SkipReason, Skipped,
};
use crate::rules::{FixAction, FixRule, Rule, RuleSet};
use crate::status::Counters;
use crate::walk::kind::FileKind;
use crate::walk::{self, Candidate, WalkEvent, WalkOptions};
use location::Cursor;
use rayon::prelude::*;
use std::collections::HashMap;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// Default per-file size cap (8 MiB).
pub const DEFAULT_MAX_FILE_SIZE: u64 = 8 << 20;
/// Default cap on findings of one rule in one file.
pub const DEFAULT_MAX_MATCHES_PER_RULE: usize = 1000;

/// Options that change what a scan reports.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Keep raw secrets in findings (`--show-secrets`).
    pub show_secrets: bool,
    /// Stop a rule after this many findings in one file (counted as truncated).
    pub max_matches_per_rule: usize,
    /// Skip files larger than this.
    pub max_file_size: u64,
    /// Worker threads (0 = one per core).
    pub threads: usize,
    /// Allowlisted values from keysweep.toml: a finding whose secret (or
    /// matched text) matches one is marked [`Finding::allowlisted`], so it
    /// can be reported as suppressed instead of vanishing.
    pub allow_values: Vec<AllowValue>,
    /// Live counters for the progress display, bumped once per path.
    pub progress: Option<Arc<Counters>>,
}

/// One allowlisted-value pattern from keysweep.toml.
#[derive(Debug, Clone)]
pub struct AllowValue {
    /// The rule it is limited to; `None` applies to every rule.
    pub rule: Option<String>,
    /// The compiled pattern.
    pub regex: regex::bytes::Regex,
    /// The pattern as written (reported as the suppression reason).
    pub pattern: String,
}

impl AllowValue {
    /// Whether this entry allowlists `value` for `rule_id`.
    pub fn matches(&self, rule_id: &str, value: &[u8]) -> bool {
        let rule_ok = match &self.rule {
            Some(r) => r == rule_id,
            None => true,
        };
        rule_ok && self.regex.is_match(value)
    }

    /// Human description used as the suppression justification.
    pub fn describe(&self) -> String {
        match &self.rule {
            Some(r) => format!("keysweep.toml allowlist for {r}: {}", self.pattern),
            None => format!("keysweep.toml allowlist: {}", self.pattern),
        }
    }
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            show_secrets: false,
            max_matches_per_rule: DEFAULT_MAX_MATCHES_PER_RULE,
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            threads: 0,
            allow_values: Vec::new(),
            progress: None,
        }
    }
}

/// Per-thread reusable state.
#[derive(Default)]
pub struct Scratch {
    active: Vec<bool>,
    buf: Vec<u8>,
}

/// Result of scanning one buffer.
#[derive(Debug, Default)]
pub struct FileScan {
    /// Findings, sorted by position then rule id.
    pub findings: Vec<Finding>,
    /// Rules that hit their per-file cap.
    pub truncated: Vec<String>,
}

/// A match that survived every filter, before positions are computed.
struct Hit {
    rule: usize,
    whole: Range<usize>,
    focus: Range<usize>,
    secret: Option<Range<usize>>,
    /// (range, replacement) pairs from the rule's fix, in content order.
    edits: Vec<(Range<usize>, String)>,
}

/// The edits a rule's fix makes to one match: literal replacements inside the
/// fix group (or the match's lines), minus no-ops. Text that is not valid
/// UTF-8 is never edited. Only called for matches without a secret.
fn fix_edits(
    fix: &FixRule,
    caps: &regex::bytes::Captures<'_>,
    content: &[u8],
) -> Vec<(Range<usize>, String)> {
    let Some(g) = caps.get(fix.group.unwrap_or(0)) else {
        return Vec::new();
    };
    let target = if fix.whole_lines {
        let start = location::line_bounds(content, g.start()).start;
        let last = g.end().max(g.start() + 1) - 1;
        let end = memchr::memchr(b'\n', &content[last.min(content.len())..])
            .map_or(content.len(), |i| last + i + 1);
        start..end.max(start)
    } else {
        g.range()
    };
    let text = &content[target.clone()];
    if std::str::from_utf8(text).is_err() {
        return Vec::new();
    }
    let mut edits: Vec<(Range<usize>, String)> = match &fix.action {
        FixAction::Replace(r) => vec![(target.clone(), r.clone())],
        FixAction::Substitute(pairs) => pairs
            .iter()
            .flat_map(|(re, with)| {
                re.find_iter(text).filter(|m| !m.is_empty()).map(|m| {
                    (
                        target.start + m.start()..target.start + m.end(),
                        with.clone(),
                    )
                })
            })
            .collect(),
    };
    edits.retain(|(r, with)| content[r.clone()] != *with.as_bytes());
    edits.sort_by_key(|(r, _)| (r.start, r.end));
    edits
}

/// Whether a fix's `unless_line` patterns leave this match alone. The context
/// is the match's lines plus the line after it, so a value on the next line
/// (Kubernetes `name:` / `value:` pairs) is seen too.
pub(crate) fn fix_context_ok(fix: &FixRule, content: &[u8], m: Range<usize>) -> bool {
    if fix.unless_line.is_empty() {
        return true;
    }
    let start = location::line_bounds(content, m.start).start;
    let after = |from: usize| {
        memchr::memchr(b'\n', &content[from.min(content.len())..])
            .map_or(content.len(), |i| from + i)
    };
    // A match ending with its newline already reaches the next line.
    let first_end = if m.end > m.start && content[m.end - 1] == b'\n' {
        m.end - 1
    } else {
        after(m.end)
    };
    let end = after(first_end + 1).min(content.len());
    let window = &content[start..end.max(start)];
    !fix.unless_line.iter().any(|r| r.is_match(window))
}

fn entropy(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in bytes {
        counts[b as usize] += 1;
    }
    let n = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// Trims ASCII whitespace at both ends: rules often consume the separator
/// before a name (a newline included), which must not move the reported line.
fn trim(content: &[u8], mut r: Range<usize>) -> Range<usize> {
    while r.end > r.start && content[r.end - 1].is_ascii_whitespace() {
        r.end -= 1;
    }
    while r.start < r.end && content[r.start].is_ascii_whitespace() {
        r.start += 1;
    }
    r
}

/// Runs one rule over `content`, appending surviving hits.
fn run_rule(
    rule: &Rule,
    index: usize,
    content: &[u8],
    opts: &ScanOptions,
    hits: &mut Vec<Hit>,
) -> bool {
    let mut context_ok: Option<bool> = None;
    let mut fix_file_ok: Option<bool> = None;
    let mut line_verdict: Option<(Range<usize>, bool)> = None;
    let mut fix_line: Option<(Range<usize>, bool)> = None;
    let mut count = 0;
    for caps in rule.regex.captures_iter(content) {
        let Some(m) = caps.get(0) else { continue };
        if m.is_empty() {
            continue;
        }
        let secret = rule
            .secret_group
            .and_then(|g| caps.get(g))
            .filter(|s| !s.is_empty());
        let value = secret.map_or(m.as_bytes(), |s| s.as_bytes());
        if let (Some((alg, expect)), Some(s)) = (rule.checksum, secret) {
            if alg.verify(s.as_bytes()) != expect {
                continue;
            }
        }
        if let (Some(min), Some(s)) = (rule.min_entropy, secret) {
            if entropy(s.as_bytes()) < min {
                continue;
            }
        }
        if rule.allow.iter().any(|a| a.is_match(value)) {
            continue;
        }
        let whole = trim(content, m.range());
        if !rule.allow_line.is_empty() {
            // Matches come in offset order: reuse the verdict for the previous
            // match's line. Recomputing the bounds of one huge line for every
            // match on it would make a scan quadratic in the line length.
            let cached = line_verdict
                .as_ref()
                .filter(|(line, _)| line.start <= whole.start && whole.start <= line.end);
            let allowed = match cached {
                Some((_, allowed)) => *allowed,
                None => {
                    let line = location::line_bounds(content, whole.start);
                    let allowed = rule
                        .allow_line
                        .iter()
                        .any(|a| a.is_match(&content[line.clone()]));
                    line_verdict = Some((line, allowed));
                    allowed
                }
            };
            if allowed {
                continue;
            }
        }
        // Whole-file conditions are evaluated once, and only for files where
        // the rule has a candidate hit.
        let ok = *context_ok.get_or_insert_with(|| {
            rule.file_requires.iter().all(|r| r.is_match(content))
                && !rule.file_excludes.iter().any(|r| r.is_match(content))
        });
        if !ok {
            return false;
        }
        let focus = secret.map_or(whole.clone(), |s| s.range());
        // A finding that holds a credential value is never fixed (rules
        // with a secret group cannot declare a fix; this is the backstop).
        let edits = match (&rule.fix, secret) {
            (Some(f), None) => {
                let file_ok = *fix_file_ok
                    .get_or_insert_with(|| !f.unless_file.iter().any(|r| r.is_match(content)));
                // Every single-line match on one line has the same context
                // window (that line and the next), so the verdict is kept per
                // line, as for `allow_line` above.
                let cached = fix_line
                    .as_ref()
                    .filter(|(line, _)| line.start <= m.start() && m.end() <= line.end);
                let context_ok = file_ok
                    && match cached {
                        Some((_, ok)) => *ok,
                        None => {
                            let ok = fix_context_ok(f, content, m.range());
                            let line = location::line_bounds(content, m.start());
                            if m.end() <= line.end {
                                fix_line = Some((line, ok));
                            }
                            ok
                        }
                    };
                if context_ok {
                    fix_edits(f, &caps, content)
                } else {
                    Vec::new()
                }
            }
            _ => Vec::new(),
        };
        hits.push(Hit {
            rule: index,
            whole,
            focus,
            secret: secret.map(|s| s.range()),
            edits,
        });
        count += 1;
        if count >= opts.max_matches_per_rule {
            return true;
        }
    }
    false
}

/// Scans one buffer as a file of `kind` at `path` (the reported path).
pub fn scan_content(
    rules: &RuleSet,
    path: &str,
    kind: FileKind,
    content: &[u8],
    opts: &ScanOptions,
    active: &mut Vec<bool>,
) -> FileScan {
    rules.gate(content, active);
    let mut hits = Vec::new();
    let mut truncated = Vec::new();
    for (i, rule) in rules.rules().iter().enumerate() {
        if !active[i] || !rule.applies_to(kind, path) {
            continue;
        }
        if run_rule(rule, i, content, opts, &mut hits) {
            truncated.push(rule.id.clone());
        }
    }
    if hits.is_empty() {
        return FileScan {
            findings: Vec::new(),
            truncated,
        };
    }
    hits.sort_by_key(|h| (h.focus.start, h.rule));
    let mut secrets: Vec<Range<usize>> = hits.iter().filter_map(|h| h.secret.clone()).collect();
    secrets.sort_by_key(|r| (r.start, r.end));
    secrets.dedup();
    let mut cursor = Cursor::new(content);
    // Edits may lie before their finding's focus: a second cursor keeps both
    // query sequences (nearly) monotonic.
    let mut edit_cursor = Cursor::new(content);
    let digest = hits
        .iter()
        .any(|h| !h.edits.is_empty())
        .then(|| content_digest(content));
    let mut occurrences: HashMap<(usize, String), usize> = HashMap::new();
    // Hits are in offset order; consecutive hits on one line share its bounds
    // and its inline directive: recomputing them per hit would make a file
    // with many hits on one huge line quadratic (see `run_rule`).
    let mut line: Option<(Range<usize>, Option<crate::finding::Directive>)> = None;
    let findings = hits
        .into_iter()
        .map(|h| {
            let rule = &rules.rules()[h.rule];
            let location = cursor.location(h.focus.clone());
            let secret = h.secret.as_ref().map(|s| {
                SecretView::new(
                    &String::from_utf8_lossy(&content[s.clone()]),
                    opts.show_secrets,
                )
            });
            let key = match &secret {
                Some(s) => s.hash().to_string(),
                None => normalise_ws(&content[h.whole.clone()]),
            };
            let n = occurrences.entry((h.rule, key.clone())).or_insert(0);
            let fingerprint = fingerprint(&rule.id, path, &key, *n);
            *n += 1;
            let fix = match (&rule.fix, &digest) {
                (Some(f), Some(d)) if !h.edits.is_empty() => Some(Fix {
                    edits: h
                        .edits
                        .iter()
                        .map(|(r, with)| Edit {
                            location: edit_cursor.location(r.clone()),
                            original: String::from_utf8_lossy(&content[r.clone()]).into_owned(),
                            replacement: with.clone(),
                        })
                        .collect(),
                    opt_in: f.opt_in.clone(),
                    note: f.note.clone(),
                    content_digest: d.clone(),
                }),
                _ => None,
            };
            let match_hash = match &secret {
                Some(s) => s.hash().to_string(),
                None => secret_hash(&key),
            };
            let start = h.focus.start;
            let (line, on_line) = match &line {
                Some((l, d)) if l.start <= start && start <= l.end => (l.clone(), d.clone()),
                _ => {
                    let l = location::line_bounds(content, start);
                    let d = crate::suppress::inline::parse(&content[l.clone()]);
                    line.insert((l, d)).clone()
                }
            };
            let directive = directive_for(content, &h, &line, on_line);
            let value = &content[h.secret.clone().unwrap_or_else(|| h.whole.clone())];
            let allowlisted = opts
                .allow_values
                .iter()
                .find(|a| a.matches(&rule.id, value))
                .map(AllowValue::describe);
            Finding {
                rule_id: rule.id.clone(),
                severity: rule.severity,
                path: path.to_string(),
                location,
                snippet: location::snippet_on_line(
                    content,
                    line,
                    h.focus,
                    &secrets,
                    opts.show_secrets,
                ),
                secret,
                fingerprint,
                fix,
                match_hash,
                directive,
                allowlisted,
                commit: None,
            }
        })
        .collect();
    FileScan {
        findings,
        truncated,
    }
}

/// Reads an inline ignore directive from the raw source line(s) of a hit: the
/// line where the reported part starts and, for a match spanning lines, the
/// line where the match ends. The raw line is only inspected here, where the
/// content is at hand; findings carry a redacted snippet.
/// `first` is `line_bounds(content, h.focus.start)` and `on_first` the
/// directive parsed from it, which the caller keeps per line.
fn directive_for(
    content: &[u8],
    h: &Hit,
    first: &Range<usize>,
    on_first: Option<crate::finding::Directive>,
) -> Option<crate::finding::Directive> {
    if on_first.is_some() {
        return on_first;
    }
    let last_byte = h.whole.end.saturating_sub(1).max(h.whole.start);
    if first.start <= last_byte && last_byte <= first.end {
        return None;
    }
    let last = location::line_bounds(content, last_byte);
    if last != *first {
        return crate::suppress::inline::parse(&content[last]);
    }
    None
}

fn normalise_ws(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Line-independent identity of a finding: rule, path, what was found, and
/// how many identical findings precede it in the file.
pub fn fingerprint(rule_id: &str, path: &str, key: &str, occurrence: usize) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for part in [
        b"keysweep-fp-v1".as_slice(),
        rule_id.as_bytes(),
        path.as_bytes(),
        key.as_bytes(),
    ] {
        h.update(part);
        h.update([0]);
    }
    let hex = format!("{:x}", h.finalize());
    format!("{}:{occurrence}", &hex[..32])
}

/// Everything a scan produced.
#[derive(Debug, Default)]
pub struct ScanOutput {
    /// All findings, sorted by path, line, column, rule id.
    pub findings: Vec<Finding>,
    /// Skipped paths (ignored ones only counted in `stats`), sorted.
    pub skipped: Vec<Skipped>,
    /// Counters.
    pub stats: ScanStats,
}

enum Outcome {
    Scanned {
        findings: Vec<Finding>,
        bytes: u64,
        truncated: Vec<String>,
    },
    Skipped(Skipped),
}

/// Scans one candidate with per-thread scratch space.
fn scan_candidate(
    rules: &RuleSet,
    c: &Candidate,
    opts: &ScanOptions,
    scratch: &mut Scratch,
) -> Outcome {
    match read::read_file(&c.path, opts.max_file_size, &mut scratch.buf) {
        Err((reason, detail)) => Outcome::Skipped(Skipped {
            path: c.display.clone(),
            reason,
            detail,
        }),
        Ok(loaded) => {
            let content = loaded.content(&scratch.buf);
            let fs = scan_content(
                rules,
                &c.display,
                c.kind,
                content,
                opts,
                &mut scratch.active,
            );
            Outcome::Scanned {
                findings: fs.findings,
                bytes: loaded.size,
                truncated: fs.truncated,
            }
        }
    }
}

/// Walks `roots` and scans every candidate in parallel.
pub fn scan_all(
    roots: &[PathBuf],
    walk_opts: &WalkOptions,
    rules: &RuleSet,
    opts: &ScanOptions,
) -> ScanOutput {
    let started = Instant::now();
    let (tx, rx) = std::sync::mpsc::sync_channel::<WalkEvent>(4096);
    let mut out = ScanOutput::default();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .build();
    let run = |out: &mut ScanOutput| {
        std::thread::scope(|s| {
            s.spawn(move || {
                walk::walk(roots, walk_opts, &mut |ev| {
                    // The receiver only goes away if scanning panicked; nothing to do then.
                    let _ = tx.send(ev);
                });
            });
            let outcomes: Vec<Outcome> = rx
                .into_iter()
                .par_bridge()
                .map_init(Scratch::default, |scratch, ev| {
                    let outcome = match ev {
                        WalkEvent::File(c) => scan_candidate(rules, &c, opts, scratch),
                        WalkEvent::Skip(s) => Outcome::Skipped(s),
                    };
                    record_progress(opts, &outcome);
                    outcome
                })
                .collect();
            tally(out, outcomes);
        });
    };
    match pool {
        Ok(pool) => pool.install(|| run(&mut out)),
        // Building a pool only fails if threads cannot be spawned; fall back to
        // the global pool rather than refusing to scan.
        Err(_) => run(&mut out),
    }
    sort_findings(&mut out.findings);
    out.skipped.sort();
    out.stats.elapsed_ms = started.elapsed().as_millis() as u64;
    out
}

/// Bumps the progress counters, if any, for one finished path.
fn record_progress(opts: &ScanOptions, outcome: &Outcome) {
    if let Some(p) = &opts.progress {
        match outcome {
            Outcome::Scanned {
                findings, bytes, ..
            } => p.file_scanned(*bytes, findings.len()),
            Outcome::Skipped(_) => p.path_skipped(),
        }
    }
}

/// Adds per-file outcomes to the totals.
fn tally(out: &mut ScanOutput, outcomes: Vec<Outcome>) {
    for o in outcomes {
        match o {
            Outcome::Scanned {
                findings,
                bytes,
                truncated,
            } => {
                out.stats.files_scanned += 1;
                out.stats.bytes_scanned += bytes;
                out.findings.extend(findings);
                for t in truncated {
                    *out.stats.truncated.entry(t).or_insert(0) += 1;
                }
            }
            Outcome::Skipped(s) => {
                *out.stats.skipped.entry(s.reason).or_insert(0) += 1;
                if s.reason != SkipReason::Ignored {
                    out.skipped.push(s);
                }
            }
        }
    }
}

/// A file already in memory: standard input or a blob from the git index.
#[derive(Debug, Clone)]
pub struct Blob {
    /// Path as reported (decides the file kind too).
    pub display: String,
    /// The raw bytes.
    pub bytes: Vec<u8>,
}

fn scan_blob(rules: &RuleSet, b: &Blob, opts: &ScanOptions, scratch: &mut Scratch) -> Outcome {
    let outcome = scan_blob_inner(rules, b, opts, scratch);
    record_progress(opts, &outcome);
    outcome
}

fn scan_blob_inner(
    rules: &RuleSet,
    b: &Blob,
    opts: &ScanOptions,
    scratch: &mut Scratch,
) -> Outcome {
    let size = b.bytes.len() as u64;
    if size > opts.max_file_size {
        return Outcome::Skipped(Skipped {
            path: b.display.clone(),
            reason: SkipReason::TooLarge,
            detail: format!("{size} bytes > limit of {}", opts.max_file_size),
        });
    }
    match read::classify(&b.bytes, size) {
        Err((reason, detail)) => Outcome::Skipped(Skipped {
            path: b.display.clone(),
            reason,
            detail,
        }),
        Ok(loaded) => {
            let kind = crate::walk::kind::classify(&b.display);
            let fs = scan_content(
                rules,
                &b.display,
                kind,
                loaded.content(&b.bytes),
                opts,
                &mut scratch.active,
            );
            Outcome::Scanned {
                findings: fs.findings,
                bytes: size,
                truncated: fs.truncated,
            }
        }
    }
}

/// Scans in-memory files (stdin, staged blobs) with the same size cap,
/// binary and encoding handling as files on disk. `skipped` are paths the
/// caller already left out; they are counted like walker skips.
pub fn scan_blobs(
    blobs: &[Blob],
    skipped: Vec<Skipped>,
    rules: &RuleSet,
    opts: &ScanOptions,
) -> ScanOutput {
    let started = Instant::now();
    let mut out = ScanOutput::default();
    let scan = || -> Vec<Outcome> {
        blobs
            .par_iter()
            .map_init(Scratch::default, |scratch, b| {
                scan_blob(rules, b, opts, scratch)
            })
            .collect()
    };
    // A pre-commit run scans a handful of small blobs: a pool is only worth
    // building when there is more than one.
    let outcomes = if blobs.len() < 2 {
        let mut scratch = Scratch::default();
        blobs
            .iter()
            .map(|b| scan_blob(rules, b, opts, &mut scratch))
            .collect()
    } else {
        match rayon::ThreadPoolBuilder::new()
            .num_threads(opts.threads)
            .build()
        {
            Ok(pool) => pool.install(scan),
            Err(_) => scan(),
        }
    };
    tally(
        &mut out,
        skipped.into_iter().map(Outcome::Skipped).collect(),
    );
    tally(&mut out, outcomes);
    sort_findings(&mut out.findings);
    out.skipped.sort();
    out.stats.elapsed_ms = started.elapsed().as_millis() as u64;
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_orders_placeholders_below_keys() {
        assert!(entropy(b"xxxxxxxxxx") < 0.1);
        assert!(entropy(b"1n5HqMitb2") > 3.0);
    }

    #[test]
    fn fingerprints_ignore_line_numbers_but_not_occurrences() {
        let a = fingerprint("r", "p", "k", 0);
        assert_eq!(a, fingerprint("r", "p", "k", 0));
        assert_ne!(a, fingerprint("r", "p", "k", 1));
        assert_ne!(a, fingerprint("r", "q", "k", 0));
    }
}
