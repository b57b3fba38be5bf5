//! `keysweep fix`: applies the rewrites rules declare (`[rule.fix]`) to the
//! files a scan found them in, as a unified diff (dry run) or in place.
//!
//! Rules own *what* to rewrite; this module only applies edits. Per file it
//! re-reads the bytes, checks they hash to what the scan saw, then rescans
//! and applies edits in passes until no rule offers another edit (so a fix
//! that enables another, e.g. an env rename followed by an opted-in secret
//! rename, converges in one run and a second run changes nothing). Line
//! endings, a UTF-8 BOM and the trailing-newline state are kept; UTF-16 files
//! are refused; writes go through [`write::replace_file`]. Credential values
//! are never edited: committed secrets are listed for rotation instead.

pub mod diff;
pub mod edit;
mod refusal;
pub mod write;

pub use refusal::Refusal;

use crate::finding::{Finding, Severity};
use crate::kind;
use crate::scan::{location, read, Scanner};
use crate::util::term::{escape_controls, quote_path};
use edit::{Conflict, LineEnding, PlannedEdit};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Passes over one file before its fixes are declared non-converging.
pub const MAX_PASSES: usize = 8;

/// Options of a fix run.
#[derive(Debug, Clone, Default)]
pub struct FixOptions {
    /// Write the files (otherwise only compute the changes).
    pub write: bool,
    /// Opt-ins the user passed (`rename-secrets`, ...).
    pub opt_ins: BTreeSet<String>,
    /// Files larger than this are refused (same cap as the scan).
    pub max_file_size: u64,
}

impl FixOptions {
    /// Whether a finding's fix may be applied under these options.
    pub fn allows(&self, f: &Finding) -> bool {
        // A suppressed finding (inline directive, keysweep.toml allowlist)
        // is accepted as it is: its line is left alone.
        if f.suppression.is_some() {
            return false;
        }
        f.fix.as_ref().is_some_and(|x| match &x.opt_in {
            None => true,
            Some(o) => self.opt_ins.contains(o),
        })
    }
}

/// The computed change of one file.
#[derive(Debug, Clone)]
pub struct Change {
    /// Bytes on disk when the fix started (BOM included).
    pub old: Vec<u8>,
    /// Bytes after every pass (BOM included).
    pub new: Vec<u8>,
    /// Applied edits per rule id.
    pub edits_by_rule: BTreeMap<String, usize>,
    /// Follow-up notes of the applied fixes (e.g. "create the secret").
    pub notes: BTreeSet<String>,
    /// (raw, redacted) secrets seen in the file, for printing diffs.
    pub redact: Vec<(String, String)>,
    /// Edits not applied because their line holds a credential.
    pub held_back: usize,
    /// Fixes left in the final content because they need an opt-in, per flag.
    pub waiting: BTreeMap<String, usize>,
    /// Whether the file was written.
    pub written: bool,
}

/// What happened to one file.
#[derive(Debug, Clone)]
pub struct FileResult {
    /// Path as reported.
    pub path: String,
    /// The change, or why the file was left untouched.
    pub outcome: Result<Change, Refusal>,
}

fn planned(f: &Finding, ending: LineEnding) -> impl Iterator<Item = PlannedEdit> + '_ {
    f.fix.iter().flat_map(move |fix| {
        fix.edits.iter().map(move |e| PlannedEdit {
            range: e.location.byte_start..e.location.byte_end,
            original: e.original.as_bytes().to_vec(),
            replacement: ending.adapt(&e.replacement).into_bytes(),
            rule_id: f.rule_id.clone(),
        })
    })
}

/// Computes (and with `opts.write`, applies) the fixes for one file, read
/// from `path` and reported as `display`, whose scan produced `findings`.
/// Each pass rescans with `scanner` — the same rules, options and
/// suppressions as the scan — so an accepted finding is never rewritten.
/// Never panics on file trouble: every problem is a refusal with a reason.
pub fn fix_file(
    scanner: &Scanner,
    path: &Path,
    display: &str,
    findings: &[&Finding],
    opts: &FixOptions,
) -> FileResult {
    let refuse = |why: Refusal| FileResult {
        path: display.to_string(),
        outcome: Err(why),
    };
    let mut buf = Vec::new();
    let loaded = match read::read_file(path, opts.max_file_size, &mut buf) {
        Ok(l) => l,
        Err(s) => {
            return refuse(Refusal::Unreadable {
                reason: s.reason,
                detail: s.detail,
            })
        }
    };
    if loaded.decoded.is_some() {
        return refuse(Refusal::Utf16);
    }
    // The file is held twice at most (as read, and the working copy) plus
    // one pass's output: the content is a view of the read buffer.
    let offset = loaded.offset;
    let content = &buf[offset..];
    let digest = crate::finding::content_digest(content);
    if findings
        .iter()
        .filter_map(|f| f.fix.as_ref())
        .any(|x| x.content_digest != digest)
    {
        return refuse(Refusal::Changed);
    }
    let bom = buf[..loaded.offset].to_vec();
    let ending = LineEnding::detect(content);
    let file_kind = kind::classify(display);
    let mut cur = content.to_vec();
    let mut edits_by_rule: BTreeMap<String, usize> = BTreeMap::new();
    let mut notes = BTreeSet::new();
    let mut redact: BTreeMap<String, String> = BTreeMap::new();
    let mut last_conflicts: Vec<Conflict> = Vec::new();
    let mut converged = false;
    let mut held_back = 0;
    let mut waiting: BTreeMap<String, usize> = BTreeMap::new();
    for _ in 0..MAX_PASSES {
        let scan = scanner.scan_bytes(display, file_kind, &cur);
        for f in &scan.findings {
            if let Some(s) = &f.secret {
                let raw = &cur[f.location.byte_start..f.location.byte_end];
                redact.insert(
                    String::from_utf8_lossy(raw).into_owned(),
                    s.redacted().to_string(),
                );
            }
        }
        // Diff lines are redacted by value: credential literals and token
        // look-alikes anywhere in the file too, not only reported secrets.
        for r in crate::util::redact::credential_literals(&cur)
            .into_iter()
            .chain(crate::util::redact::token_shapes(&cur))
        {
            let raw = String::from_utf8_lossy(&cur[r]).into_owned();
            if raw.len() >= crate::scan::redact::MIN_SEARCHED_VALUE {
                let masked = crate::finding::redact(&raw);
                redact.entry(raw).or_insert(masked);
            }
        }
        // Lines holding a credential are left alone: renaming the variable
        // around a committed value could hide it from the next scan, and the
        // value has to be rotated and removed by a person anyway.
        let secret_lines: Vec<std::ops::Range<usize>> = scan
            .findings
            .iter()
            .filter(|f| f.secret.is_some())
            .map(|f| {
                let first = location::line_bounds(&cur, f.location.byte_start);
                let last = location::line_bounds(&cur, f.location.byte_end.saturating_sub(1));
                first.start..last.end
            })
            .collect();
        let fixable: Vec<&Finding> = scan.findings.iter().filter(|f| opts.allows(f)).collect();
        let mut all: Vec<PlannedEdit> = fixable.iter().flat_map(|f| planned(f, ending)).collect();
        let before = all.len();
        all.retain(|e| {
            !secret_lines
                .iter()
                .any(|l| e.range.start <= l.end && l.start <= e.range.end)
        });
        held_back = held_back.max(before - all.len());
        if all.is_empty() {
            for f in &scan.findings {
                if let Some(o) = f.fix.as_ref().and_then(|x| x.opt_in.as_ref()) {
                    if !opts.opt_ins.contains(o) {
                        *waiting.entry(o.clone()).or_insert(0) += 1;
                    }
                }
            }
            converged = true;
            break;
        }
        let (kept, conflicts) = edit::resolve(all);
        last_conflicts = conflicts;
        let next = match edit::apply(&cur, &kept) {
            Ok(n) => n,
            // The edits were computed on `cur` a moment ago: a mismatch is a
            // scanner bug, but still a refusal rather than a panic.
            Err(e) => return refuse(Refusal::Internal(e)),
        };
        for e in &kept {
            *edits_by_rule.entry(e.rule_id.clone()).or_insert(0) += 1;
        }
        for f in &fixable {
            if let Some(n) = f.fix.as_ref().and_then(|x| x.note.as_ref()) {
                notes.insert(n.trim().to_string());
            }
        }
        cur = next;
    }
    if !converged {
        let mut rules_involved: Vec<String> = edits_by_rule.keys().cloned().collect();
        rules_involved.extend(last_conflicts.iter().map(|c| c.dropped.clone()));
        rules_involved.sort();
        rules_involved.dedup();
        return refuse(Refusal::NoConvergence {
            passes: MAX_PASSES,
            rules: rules_involved,
        });
    }
    let fixed = edit::keep_trailing_newline(&buf[offset..], cur, ending);
    let new = if bom.is_empty() {
        fixed
    } else {
        let mut new = bom;
        new.extend_from_slice(&fixed);
        new
    };
    let mut change = Change {
        old: buf,
        new,
        edits_by_rule,
        notes,
        redact: {
            // Longest first, so a value is never cut by a shorter one inside it.
            let mut pairs: Vec<(String, String)> = redact.into_iter().collect();
            pairs.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
            pairs
        },
        held_back,
        waiting,
        written: false,
    };
    if opts.write && change.old != change.new {
        if let Err(r) = write::replace_file(path, &change.old, &change.new) {
            return refuse(r);
        }
        change.written = true;
    }
    FileResult {
        path: display.to_string(),
        outcome: Ok(change),
    }
}

/// Runs [`fix_file`] on every file that has at least one applicable fix,
/// in path order. Relative finding paths are relative to `origin`.
pub fn fix_all(
    scanner: &Scanner,
    findings: &[Finding],
    origin: &Path,
    opts: &FixOptions,
) -> Vec<FileResult> {
    // Grouped by the file on disk: two names that differ only in bytes that
    // are not UTF-8 show as one `path` but are two files.
    let mut by_path: BTreeMap<(&str, std::path::PathBuf), Vec<&Finding>> = BTreeMap::new();
    for f in findings {
        if opts.allows(f) {
            let file = f.file.clone().unwrap_or_else(|| origin.join(&f.path));
            by_path.entry((f.path.as_str(), file)).or_default().push(f);
        }
    }
    by_path
        .into_iter()
        .map(|((p, file), fs)| fix_file(scanner, &file, p, &fs, opts))
        .collect()
}

/// Writes the end-of-run summary: what changed (or would), what was refused,
/// which credentials need rotating, and what is left for a person.
pub fn write_summary(
    out: &mut dyn std::io::Write,
    results: &[FileResult],
    findings: &[Finding],
    opts: &FixOptions,
) -> std::io::Result<()> {
    let changed: Vec<&Change> = results
        .iter()
        .filter_map(|r| r.outcome.as_ref().ok())
        .filter(|c| c.old != c.new)
        .collect();
    let mut per_rule: BTreeMap<&str, usize> = BTreeMap::new();
    let mut notes: BTreeSet<&str> = BTreeSet::new();
    for c in &changed {
        for (r, n) in &c.edits_by_rule {
            *per_rule.entry(r).or_insert(0) += n;
        }
        notes.extend(c.notes.iter().map(String::as_str));
    }
    let edits: usize = per_rule.values().sum();
    let verb = if opts.write {
        "rewritten"
    } else {
        "would be rewritten"
    };
    if opts.write {
        writeln!(
            out,
            "keysweep fix: {} file(s) {verb}, {edits} edit(s)",
            changed.len()
        )?;
    } else {
        writeln!(
            out,
            "keysweep fix (dry run, nothing written; pass --write to apply): {} file(s) {verb}, {edits} edit(s)",
            changed.len()
        )?;
    }
    for (r, n) in &per_rule {
        writeln!(out, "  {n:>4}  {r}")?;
    }
    if opts.write {
        for r in results {
            if let Ok(c) = &r.outcome {
                if c.written {
                    let n: usize = c.edits_by_rule.values().sum();
                    writeln!(out, "  wrote {} ({n} edit(s))", quote_path(&r.path))?;
                }
            }
        }
    }
    let held: Vec<(&str, usize)> = results
        .iter()
        .filter_map(|r| {
            r.outcome
                .as_ref()
                .ok()
                .map(|c| (r.path.as_str(), c.held_back))
        })
        .filter(|(_, n)| *n > 0)
        .collect();
    if !held.is_empty() {
        writeln!(
            out,
            "\nNot rewritten because the line holds a credential (rotate it, then edit by hand):"
        )?;
        for (p, n) in &held {
            writeln!(out, "  {}: {n} edit(s)", quote_path(p))?;
        }
    }
    let refused: Vec<(&str, String)> = results
        .iter()
        .filter_map(|r| {
            r.outcome
                .as_ref()
                .err()
                .map(|e| (r.path.as_str(), e.to_string()))
        })
        .collect();
    if !refused.is_empty() {
        writeln!(out, "\nRefused (left untouched):")?;
        for (p, why) in &refused {
            writeln!(out, "  {}: {}", quote_path(p), escape_controls(why, false))?;
        }
    }
    // Opt-in fixes still open: from the final pass of each processed file
    // (a rename can reveal one), from the scan for the other files.
    let mut waiting: BTreeMap<&str, usize> = BTreeMap::new();
    let fixed_paths: BTreeSet<&str> = results
        .iter()
        .filter(|r| r.outcome.is_ok())
        .map(|r| r.path.as_str())
        .collect();
    for r in results {
        if let Ok(c) = &r.outcome {
            for (o, n) in &c.waiting {
                *waiting.entry(o.as_str()).or_insert(0) += n;
            }
        }
    }
    for f in findings {
        if fixed_paths.contains(f.path.as_str()) {
            continue;
        }
        if let Some(o) = f.fix.as_ref().and_then(|x| x.opt_in.as_deref()) {
            if !opts.opt_ins.contains(o) {
                *waiting.entry(o).or_insert(0) += 1;
            }
        }
    }
    for (o, n) in &waiting {
        writeln!(out, "\n{n} more fix(es) need --{o} (not applied).")?;
    }
    if !notes.is_empty() {
        writeln!(out, "\nAlso do:")?;
        for n in &notes {
            writeln!(out, "  - {n}")?;
        }
    }
    let rotate: Vec<&Finding> = findings.iter().filter(|f| f.needs_rotation()).collect();
    if !rotate.is_empty() {
        writeln!(
            out,
            "\nRotate now ({}): editing a file does not fix a committed credential; it stays in git history.",
            rotate.len()
        )?;
        for f in &rotate {
            let value = f
                .secret
                .as_ref()
                .map(|s| format!("  {}", s.redacted()))
                .unwrap_or_default();
            writeln!(
                out,
                "  {:<8}  {}:{}  {}{value}",
                f.severity.as_str(),
                f.path,
                f.location.line,
                f.rule_id
            )?;
        }
    }
    let manual = findings
        .iter()
        .filter(|f| !f.needs_rotation() && f.severity > Severity::Info && f.fix.is_none())
        .count();
    if manual > 0 {
        writeln!(
            out,
            "\n{manual} other finding(s) need a person (no safe mechanical rewrite); see `keysweep scan` or `keysweep plan`."
        )?;
    }
    Ok(())
}
