//! Puts the repository's rename plan on the findings, so that `scan`, `fix`
//! and `plan` see the same edits and the same counts.
//!
//! Each ref (an occurrence of a legacy name) is carried by one finding on
//! its line, preferably of a rule that accounts for the entity's mentions.
//! A finding's fix becomes: the plan's renames of the refs it carries, plus
//! its rule's own edits that do not touch a name (placeholders, wording,
//! links), which wait as long as a name on the line waits. Edits never
//! overlap across the findings of a file: an edit another finding already
//! carries is dropped, so applying every finding's fix (SARIF `fixes`)
//! applies each change once. A finding left with nothing to apply says why
//! in [`Finding::manual`].

use super::rename::{Decision, Level, Plan};
use crate::finding::{Edit, Finding, Fix, Location};
use crate::scan::ScannedRefs;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

/// Why a finding of a rule without a declared rewrite is left to a person,
/// when its rule does not say.
pub const DEFAULT_MANUAL: &str =
    "no mechanical rewrite: the change depends on a decision keysweep cannot make";

/// Why an edit on a line that holds a credential is left to a person.
pub const CREDENTIAL_LINE: &str =
    "the line holds a committed credential: rotate it and remove the value, then edit the line by hand";

/// What the rules say about themselves that annotation needs.
#[derive(Debug, Clone, Default)]
pub struct RuleFacts {
    /// Rules that account for the mentions of a renamable entity.
    pub mention_rules: BTreeSet<String>,
    /// Rules that declare a rewrite (`[rule.fix]`): the others' findings
    /// stay work for a person even when the renames of their line are
    /// carried by them.
    pub fixable_rules: BTreeSet<String>,
    /// Per rule: why its findings are work for a person (`[rule.migration]
    /// manual`).
    pub manual: BTreeMap<String, String>,
}

impl RuleFacts {
    /// The facts of a rule set.
    pub fn of(rules: &crate::rules::RuleSet) -> RuleFacts {
        let renamable: BTreeSet<&str> = rules
            .entities()
            .iter()
            .filter(|e| !e.rename.is_empty())
            .map(|e| e.id.as_str())
            .collect();
        let mut facts = RuleFacts::default();
        for r in rules.rules() {
            if r.matcher
                .mentions
                .iter()
                .any(|m| renamable.contains(m.as_str()))
            {
                facts.mention_rules.insert(r.meta.id.clone());
            }
            if r.fix.is_some() {
                facts.fixable_rules.insert(r.meta.id.clone());
            }
            if let Some(m) = &r.meta.migration.manual {
                facts.manual.insert(r.meta.id.clone(), m.clone());
            }
        }
        facts
    }
}

fn overlaps(a: &Range<usize>, b: &Range<usize>) -> bool {
    (a.start < b.end && b.start < a.end) || (a.start == b.start && (a.is_empty() || b.is_empty()))
}

/// The location of a ref's name (names never span lines).
fn ref_location(r: &crate::scan::env::Ref) -> Location {
    Location {
        line: r.line,
        column: r.column,
        end_line: r.line,
        end_column: r.column + r.name.chars().count(),
        byte_start: r.range.start,
        byte_end: r.range.end,
    }
}

/// Applies `plan` to `findings` (sorted as a scan sorts them); `files` are
/// the refs the plan was made from.
pub fn annotate(findings: &mut [Finding], files: &[ScannedRefs], plan: &Plan, facts: &RuleFacts) {
    let mut by_file: BTreeMap<(&str, Option<&std::path::Path>), usize> = BTreeMap::new();
    for (i, f) in files.iter().enumerate() {
        by_file.insert((f.path.as_str(), f.file.as_deref()), i);
    }
    // Findings of one file are contiguous (sorted by path).
    let mut start = 0;
    while start < findings.len() {
        let path = findings[start].path.clone();
        let mut end = start;
        while end < findings.len() && findings[end].path == path {
            end += 1;
        }
        let group = &mut findings[start..end];
        let file = group[0].file.clone();
        let fi = by_file.get(&(path.as_str(), file.as_deref())).copied();
        annotate_file(group, fi.map(|i| (&files[i], &plan.decisions[i])), facts);
        start = end;
    }
}

fn annotate_file(
    group: &mut [Finding],
    refs: Option<(&ScannedRefs, &Vec<Decision>)>,
    facts: &RuleFacts,
) {
    let empty: Vec<crate::scan::env::Ref> = Vec::new();
    let (refs, decisions, digest) = match refs {
        Some((s, d)) => (&s.refs.refs, d.as_slice(), Some(s.digest.clone())),
        None => (&empty, &[][..], None),
    };
    let lines_of = |f: &Finding| f.location.line..=f.location.end_line;
    // Which finding carries each ref: an active finding on its line, of a
    // rule that accounts for the mention if there is one.
    let mut carrier: Vec<Option<usize>> = vec![None; refs.len()];
    for (ri, r) in refs.iter().enumerate() {
        let mut best: Option<(u8, usize)> = None;
        for (fi, f) in group.iter().enumerate() {
            if !lines_of(f).contains(&r.line) || f.secret.is_some() {
                continue;
            }
            let rank = match (
                f.suppression.is_none(),
                facts.mention_rules.contains(&f.rule_id),
                facts.fixable_rules.contains(&f.rule_id),
            ) {
                (true, true, true) => 0,
                (true, true, false) => 1,
                (true, false, _) => 2,
                (false, _, _) => 3,
            };
            if best.is_none_or(|(b, _)| rank < b) {
                best = Some((rank, fi));
            }
        }
        carrier[ri] = best.map(|(_, fi)| fi);
    }
    // Per finding: its edits and what holds it back.
    let mut planned: Vec<(Vec<Edit>, Option<String>)> = Vec::with_capacity(group.len());
    for (fi, f) in group.iter().enumerate() {
        let mut edits: Vec<Edit> = Vec::new();
        let mut manual: Option<String> = None;
        let mentions = facts.mention_rules.contains(&f.rule_id);
        // The line's names: the highest level any of them needs, and
        // whether one of them is held.
        let mut line_level = Level::Default;
        let mut line_held: Option<String> = None;
        for (ri, r) in refs.iter().enumerate() {
            if !lines_of(f).contains(&r.line) {
                continue;
            }
            match decisions.get(ri) {
                Some(Decision::Rename { level, .. }) => line_level = line_level.max(*level),
                Some(Decision::Hold { reason, .. }) => {
                    line_held.get_or_insert_with(|| reason.clone());
                }
                _ => {}
            }
        }
        for (ri, r) in refs.iter().enumerate() {
            if carrier[ri] != Some(fi) {
                continue;
            }
            match decisions.get(ri) {
                Some(Decision::Rename { to, level, .. }) => edits.push(Edit {
                    location: ref_location(r),
                    original: r.name.clone(),
                    replacement: to.clone(),
                    opt_in: level.opt_in().map(str::to_string),
                }),
                Some(Decision::Hold { reason, .. }) => {
                    manual.get_or_insert_with(|| format!("`{}` is not renamed: {reason}", r.name));
                }
                _ => {}
            }
        }
        // The rule's own edits: never on a name (the plan renames names),
        // and, for rules about the names, only with them.
        if let Some(fix) = &f.fix {
            let hold_own = mentions && line_held.is_some();
            for e in &fix.edits {
                let range = e.location.byte_start..e.location.byte_end;
                if refs.iter().any(|r| overlaps(&r.range, &range)) {
                    continue;
                }
                if hold_own {
                    continue;
                }
                let level = if mentions { line_level } else { Level::Default };
                let opt_in = e
                    .opt_in
                    .clone()
                    .or_else(|| level.opt_in().map(str::to_string));
                edits.push(Edit {
                    opt_in,
                    ..e.clone()
                });
            }
            if hold_own && manual.is_none() {
                manual = line_held.map(|r| format!("left as it is with the name on its line: {r}"));
            }
        }
        edits.sort_by_key(|e| (e.location.byte_start, e.location.byte_end));
        planned.push((edits, manual));
    }
    // `fix` leaves lines holding a credential alone (renaming around a
    // committed value could hide it from the next scan), so edits there are
    // not counted as fixable: the finding is work for a person.
    let secret_lines: BTreeSet<usize> = group
        .iter()
        .filter(|f| f.secret.is_some())
        .flat_map(|f| f.location.line..=f.location.end_line)
        .collect();
    for (edits, manual) in &mut planned {
        let before = edits.len();
        edits.retain(|e| !secret_lines.contains(&e.location.line));
        if edits.len() < before && manual.is_none() {
            *manual = Some(CREDENTIAL_LINE.to_string());
        }
    }
    // No two findings' edits overlap: the first (in report order) keeps it.
    let mut kept: Vec<(Range<usize>, String)> = Vec::new();
    for (fi, f) in group.iter_mut().enumerate() {
        let (edits, manual) = std::mem::take(&mut planned[fi]);
        let had = !edits.is_empty();
        let mut mine = Vec::new();
        for e in edits {
            let r = e.location.byte_start..e.location.byte_end;
            if kept.iter().any(|(k, _)| overlaps(k, &r)) {
                continue;
            }
            kept.push((r, e.replacement.clone()));
            mine.push(e);
        }
        let active = f.suppression.is_none();
        let note = f.fix.as_ref().and_then(|x| x.note.clone());
        let fix_digest = f
            .fix
            .as_ref()
            .map(|x| x.content_digest.clone())
            .or_else(|| digest.clone());
        f.fix = match fix_digest {
            Some(d) if active && had => {
                let opt_in = if !mine.is_empty() && mine.iter().all(|e| e.opt_in.is_some()) {
                    mine[0].opt_in.clone()
                } else {
                    None
                };
                Some(Fix {
                    edits: mine,
                    opt_in,
                    note,
                    content_digest: d,
                })
            }
            _ => None,
        };
        let own = facts.fixable_rules.contains(&f.rule_id);
        f.manual = match (&f.fix, manual) {
            (_, Some(m)) => Some(m),
            // Renames carried by a finding whose rule declares no rewrite
            // leave its own problem (an echo, a missing token) as it is.
            (Some(_), None) if active && !own && !f.needs_rotation() => Some(
                facts
                    .manual
                    .get(&f.rule_id)
                    .cloned()
                    .unwrap_or_else(|| DEFAULT_MANUAL.to_string()),
            ),
            (None, None) if active && !f.needs_rotation() => Some(
                facts
                    .manual
                    .get(&f.rule_id)
                    .cloned()
                    .unwrap_or_else(|| DEFAULT_MANUAL.to_string()),
            ),
            _ => None,
        };
    }
}

pub use crate::finding::Tally;
