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

pub mod annotate;
pub mod diff;
pub mod edit;
mod refusal;
pub mod rename;
mod summary;
pub mod write;

pub use summary::{display_name, outside_lines, write_summary};

pub use refusal::Refusal;

use crate::finding::Finding;
use crate::kind;
use crate::scan::{location, read, Scanner};
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
    /// Whether an edit may be applied under these options.
    pub fn allows_edit(&self, e: &crate::finding::Edit) -> bool {
        e.opt_in.as_ref().is_none_or(|o| self.opt_ins.contains(o))
    }

    /// Whether some edit of a finding's fix may be applied under these options.
    pub fn allows(&self, f: &Finding) -> bool {
        // A suppressed finding (inline directive, keysweep.toml allowlist)
        // is accepted as it is: its line is left alone.
        if f.suppression.is_some() {
            return false;
        }
        f.fix
            .as_ref()
            .is_some_and(|x| x.edits.iter().any(|e| self.allows_edit(e)))
    }

    /// The rename level these options reach.
    pub fn level(&self) -> rename::Level {
        if self.opt_ins.contains(rename::RENAME_SECRETS) {
            rename::Level::RenameSecrets
        } else {
            rename::Level::Default
        }
    }
}

/// Plans the repository's renames from a scan's refs and puts the plan on
/// its findings (see [`annotate`]): every command that shows fixes calls
/// this once, so they agree.
pub fn prepare(
    rules: &crate::rules::RuleSet,
    findings: &mut [Finding],
    refs: &[crate::scan::ScannedRefs],
) -> rename::Plan {
    let plan = rename::plan(refs);
    annotate::annotate(findings, refs, &plan, &annotate::RuleFacts::of(rules));
    plan
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

fn planned<'f>(
    f: &'f Finding,
    ending: LineEnding,
    opts: &'f FixOptions,
) -> impl Iterator<Item = PlannedEdit> + 'f {
    f.fix.iter().flat_map(move |fix| {
        fix.edits
            .iter()
            .filter(|e| opts.allows_edit(e))
            .map(move |e| PlannedEdit {
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
    let fixed = match fix_content(
        scanner,
        display,
        kind::classify(display),
        content,
        findings,
        opts,
    ) {
        Ok(f) => f,
        Err(r) => return refuse(r),
    };
    let new = if bom.is_empty() {
        fixed.text
    } else {
        let mut new = bom;
        new.extend_from_slice(&fixed.text);
        new
    };
    let mut change = Change {
        old: buf,
        new,
        edits_by_rule: fixed.edits_by_rule,
        notes: fixed.notes,
        redact: fixed.redact,
        held_back: fixed.held_back,
        waiting: fixed.waiting,
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

/// The rewrite of one file's content (BOM excluded).
#[derive(Debug, Clone)]
pub struct Fixed {
    /// The content after every pass.
    pub text: Vec<u8>,
    /// Applied edits per rule id.
    pub edits_by_rule: BTreeMap<String, usize>,
    /// Follow-up notes of the applied fixes.
    pub notes: BTreeSet<String>,
    /// (raw, redacted) secrets seen, longest first.
    pub redact: Vec<(String, String)>,
    /// Edits not applied because their line holds a credential.
    pub held_back: usize,
    /// Fixes left because they need an opt-in, per flag.
    pub waiting: BTreeMap<String, usize>,
}

/// Rewrites `content` (a file of `file_kind` reported as `display`) with
/// the planned edits of `findings`, then with what the rules offer on the
/// rewritten text, pass after pass until nothing changes. Pure: nothing is
/// read or written. Line endings and the trailing-newline state are kept.
pub fn fix_content(
    scanner: &Scanner,
    display: &str,
    file_kind: kind::FileKind,
    content: &[u8],
    findings: &[&Finding],
    opts: &FixOptions,
) -> Result<Fixed, Refusal> {
    let ending = LineEnding::detect(content);
    let mut cur = content.to_vec();
    let mut edits_by_rule: BTreeMap<String, usize> = BTreeMap::new();
    let mut notes = BTreeSet::new();
    let mut redact: BTreeMap<String, String> = BTreeMap::new();
    let mut last_conflicts: Vec<Conflict> = Vec::new();
    let mut converged = false;
    let mut held_back = 0;
    // Fixes that wait for an opt-in: from the findings the plan annotated.
    let mut waiting: BTreeMap<String, usize> = BTreeMap::new();
    for f in findings {
        let mut flags: BTreeSet<&str> = BTreeSet::new();
        for e in f.fix.iter().flat_map(|x| x.edits.iter()) {
            if let Some(o) = e.opt_in.as_deref().filter(|o| !opts.opt_ins.contains(*o)) {
                flags.insert(o);
            }
        }
        for o in flags {
            *waiting.entry(o.to_string()).or_insert(0) += 1;
        }
    }
    // The first pass applies the findings' planned edits (the repository's
    // renames included); later passes only what the rules offer on the
    // rewritten text away from the legacy names, which only the plan renames.
    let mut first: Option<Vec<PlannedEdit>> = Some(
        findings
            .iter()
            .flat_map(|f| planned(f, ending, opts))
            .collect(),
    );
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
        let (mut all, from_plan) = match first.take() {
            Some(edits) => (edits, true),
            None => {
                let name_lines: Vec<std::ops::Range<usize>> = scan
                    .refs
                    .refs
                    .iter()
                    .map(|r| location::line_bounds(&cur, r.range.start))
                    .collect();
                let on_name_line = |e: &PlannedEdit| {
                    name_lines
                        .iter()
                        .any(|l| e.range.start <= l.end && l.start <= e.range.end)
                };
                let edits: Vec<PlannedEdit> = scan
                    .findings
                    .iter()
                    .filter(|f| opts.allows(f))
                    .flat_map(|f| planned(f, ending, opts))
                    .filter(|e| !on_name_line(e))
                    .collect();
                (edits, false)
            }
        };
        let before = all.len();
        all.retain(|e| {
            !secret_lines
                .iter()
                .any(|l| e.range.start <= l.end && l.start <= e.range.end)
        });
        held_back = held_back.max(before - all.len());
        if all.is_empty() {
            if from_plan {
                // Nothing planned: still offer what the rules rewrite.
                continue;
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
            Err(e) => return Err(Refusal::Internal(e)),
        };
        for e in &kept {
            *edits_by_rule.entry(e.rule_id.clone()).or_insert(0) += 1;
        }
        let applied: BTreeSet<&str> = kept.iter().map(|e| e.rule_id.as_str()).collect();
        let notes_from: Vec<&Finding> = if from_plan {
            findings.to_vec()
        } else {
            scan.findings.iter().collect()
        };
        for f in notes_from {
            if applied.contains(f.rule_id.as_str()) && opts.allows(f) {
                if let Some(n) = f.fix.as_ref().and_then(|x| x.note.as_ref()) {
                    notes.insert(n.trim().to_string());
                }
            }
        }
        cur = next;
    }
    if !converged {
        let mut rules_involved: Vec<String> = edits_by_rule.keys().cloned().collect();
        rules_involved.extend(last_conflicts.iter().map(|c| c.dropped.clone()));
        rules_involved.sort();
        rules_involved.dedup();
        return Err(Refusal::NoConvergence {
            passes: MAX_PASSES,
            rules: rules_involved,
        });
    }
    let text = edit::keep_trailing_newline(content, cur, ending);
    // Longest first, so a value is never cut by a shorter one inside it.
    let mut pairs: Vec<(String, String)> = redact.into_iter().collect();
    pairs.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
    Ok(Fixed {
        text,
        edits_by_rule,
        notes,
        redact: pairs,
        held_back,
        waiting,
    })
}

/// Fixes one in-memory file the way `fix` fixes a repository that holds
/// only it: scan, rename plan, planned edits, rule passes. Returns the
/// rewrite and the scan's findings as the plan annotated them. Used by the
/// rules' self-test and by tests.
pub fn fix_text(
    scanner: &Scanner,
    path: &str,
    text: &[u8],
    opts: &FixOptions,
) -> Result<(Fixed, Vec<Finding>), Refusal> {
    let kind = kind::classify(path);
    let scan = scanner.scan_bytes(path, kind, text);
    let mut findings: Vec<Finding> = scan
        .findings
        .into_iter()
        .filter(|f| f.suppression.is_none())
        .collect();
    let refs = crate::scan::ScannedRefs {
        path: path.to_string(),
        file: None,
        kind,
        digest: crate::finding::content_digest(text),
        refs: scan.refs,
    };
    prepare(scanner.rules(), &mut findings, std::slice::from_ref(&refs));
    let chosen: Vec<&Finding> = findings.iter().filter(|f| opts.allows(f)).collect();
    let fixed = fix_content(scanner, path, kind, text, &chosen, opts)?;
    Ok((fixed, findings))
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
