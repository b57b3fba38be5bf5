//! Runs every rule's examples through the real scanner (keyword gate, kind and
//! path gates, regex, secret filters, allowlists and file context included),
//! the way `keysweep rules check` and the test suite do. For a rule with a
//! `[rule.fix]`, each must_match example is also fixed: the fix must produce an
//! edit, the fixed text must no longer match the rule, and fixing the fixed
//! text must change nothing (idempotence).

use crate::error::SourceProblem;
use crate::fix::edit::{self, PlannedEdit};
use crate::kind::{self, FileKind};
use crate::rules::Rule;
use crate::scan::Scanner;

/// Checks every example of every rule of `scanner`; returns all problems
/// found. Findings count whether or not they are suppressed: an example
/// tests the rule, not a team's allowlist.
pub fn check(scanner: &Scanner) -> Vec<SourceProblem> {
    let rules = scanner.rules();
    let mut problems = Vec::new();
    for rule in rules.rules() {
        let source = &rules.sources()[rule.origin.source_index];
        // Whether some must_match example was actually rewritten by the fix.
        let mut exercised = false;
        for (n, ex) in rule.examples.iter().enumerate() {
            let kind = kind::classify(&ex.path);
            let found = scanner
                .scan_bytes(&ex.path, kind, ex.text.as_bytes())
                .findings
                .iter()
                .filter(|f| f.rule_id == rule.meta.id)
                .count();
            let problem = match (ex.must_match, found) {
                (true, 0) => {
                    let lower = ex.text.to_ascii_lowercase();
                    let keywords = &rule.meta.keywords;
                    let hint = if !keywords.is_empty()
                        && !keywords.iter().any(|k| lower.contains(k.as_str()))
                    {
                        format!("the example contains none of the rule's keywords ({}), so the prefilter skips it", keywords.join(", "))
                    } else if !rule.applies_to(kind, &ex.path) {
                        format!(
                            "the example path `{}` (kind {kind}) is outside the rule's kinds/paths",
                            ex.path
                        )
                    } else {
                        "the regex, a secret filter, an allowlist or a file condition rejects it"
                            .to_string()
                    };
                    Some((
                        format!(
                            "rule `{}`: must_match example #{} produced no finding",
                            rule.meta.id,
                            n + 1
                        ),
                        hint,
                    ))
                }
                (false, k) if k > 0 => Some((
                    format!(
                        "rule `{}`: must_not_match example produced {k} finding(s)",
                        rule.meta.id
                    ),
                    "tighten the regex or add an allow pattern".to_string(),
                )),
                (true, _) if rule.fix.is_some() => {
                    match check_fix(scanner, rule, &ex.path, kind, &ex.text) {
                        Ok(fixed) => {
                            exercised |= fixed;
                            None
                        }
                        Err((what, help)) => Some((
                            format!(
                                "rule `{}`: must_match example #{}: {what}",
                                rule.meta.id,
                                n + 1
                            ),
                            help,
                        )),
                    }
                }
                _ => None,
            };
            if let Some((message, help)) = problem {
                problems.push(crate::rules::problem_for_example(
                    source,
                    ex.span.clone(),
                    message,
                    Some(help),
                ));
            }
        }
        for ex in &rule.examples {
            let scan = scanner.scan_bytes(&ex.path, kind::classify(&ex.path), ex.text.as_bytes());
            for (entity, m) in &scan.mentions {
                if m.unclassified > 0 {
                    problems.push(crate::rules::problem_for_example(
                        source,
                        ex.span.clone(),
                        format!(
                            "rule `{}`: an example leaves {} mention(s) of entity `{entity}` with no outcome",
                            rule.meta.id, m.unclassified
                        ),
                        Some("add an outcome to the entity (a rule or a `silent` reason) that covers it".into()),
                    ));
                }
            }
        }
        if rule.fix.is_some() && !exercised {
            problems.push(crate::rules::problem_for_example(
                source,
                rule.origin.span.clone(),
                format!(
                    "rule `{}`: no must_match example is rewritten by its fix",
                    rule.meta.id
                ),
                Some(
                    "add a must_match example the fix applies to, so rules check can test it"
                        .into(),
                ),
            ));
        }
    }
    problems.extend(check_entities(scanner));
    problems
}

/// Checks every entity's `must_be_silent` examples: each holds a mention of
/// the entity, and none is reported or left without an outcome.
fn check_entities(scanner: &Scanner) -> Vec<SourceProblem> {
    let rules = scanner.rules();
    let mut problems = Vec::new();
    for entity in rules.entities() {
        let source = &rules.sources()[entity.origin.source_index];
        for (n, ex) in entity.examples.iter().enumerate() {
            let scan = scanner.scan_bytes(&ex.path, kind::classify(&ex.path), ex.text.as_bytes());
            let m = scan.mentions.get(&entity.id).cloned().unwrap_or_default();
            let what = if m.found == 0 {
                Some("holds no mention of the entity (check its regex and keywords)".to_string())
            } else if m.reported > 0 {
                let rules: Vec<&str> = scan.findings.iter().map(|f| f.rule_id.as_str()).collect();
                Some(format!(
                    "{} mention(s) reported (by {})",
                    m.reported,
                    rules.join(", ")
                ))
            } else if m.unclassified > 0 {
                Some(format!("{} mention(s) with no outcome", m.unclassified))
            } else {
                None
            };
            if let Some(what) = what {
                problems.push(crate::rules::problem_for_example(
                    source,
                    ex.span.clone(),
                    format!(
                        "entity `{}`: must_be_silent example #{}: {what}",
                        entity.id,
                        n + 1
                    ),
                    Some("every mention in a must_be_silent example must be silent for a stated reason".into()),
                ));
            }
        }
    }
    problems
}

/// This rule's edits on `text`, resolved and applied; `None` if it has none.
fn fix_once(
    scanner: &Scanner,
    rule: &Rule,
    path: &str,
    kind: FileKind,
    text: &[u8],
) -> Result<Option<Vec<u8>>, String> {
    let edits: Vec<PlannedEdit> = scanner
        .scan_bytes(path, kind, text)
        .findings
        .iter()
        .filter(|f| f.rule_id == rule.meta.id)
        .filter_map(|f| f.fix.as_ref())
        .flat_map(|fix| fix.edits.iter())
        .map(|e| PlannedEdit {
            range: e.location.byte_start..e.location.byte_end,
            original: e.original.as_bytes().to_vec(),
            replacement: e.replacement.as_bytes().to_vec(),
            rule_id: rule.meta.id.clone(),
        })
        .collect();
    if edits.is_empty() {
        return Ok(None);
    }
    let (kept, _) = edit::resolve(edits);
    edit::apply(text, &kept)
        .map(Some)
        .map_err(|e| format!("the fix's edits do not apply: {e}"))
}

/// Whether the fix's `unless_file` / `unless_line` guards deliberately
/// leave this example alone.
fn guarded(scanner: &Scanner, rule: &Rule, path: &str, kind: FileKind, text: &[u8]) -> bool {
    let Some(fix) = &rule.fix else { return false };
    if fix.unless_file.iter().any(|r| r.is_match(text)) {
        return true;
    }
    scanner
        .scan_bytes(path, kind, text)
        .findings
        .iter()
        .filter(|f| f.rule_id == rule.meta.id)
        .any(|f| {
            let (start, end) = (f.location.byte_start, f.location.byte_end);
            let line_start = text[..start]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
            !crate::scan::engine::fix_context_ok(fix, text, start..end)
                || fix
                    .unless_before
                    .iter()
                    .any(|r| r.is_match(&text[line_start..start]))
        })
}

/// Checks a fixable rule on one must_match example: `Ok(true)` if the fix
/// rewrote it correctly, `Ok(false)` if its guards deliberately skip it,
/// `Err((problem, help))` otherwise.
fn check_fix(
    scanner: &Scanner,
    rule: &Rule,
    path: &str,
    kind: FileKind,
    text: &str,
) -> Result<bool, (String, String)> {
    let once = match fix_once(scanner, rule, path, kind, text.as_bytes()) {
        Err(e) => return Err((e, "check the fix group and replacement".into())),
        Ok(None) if guarded(scanner, rule, path, kind, text.as_bytes()) => return Ok(false),
        Ok(None) => {
            return Err((
                "the fix produced no edit".into(),
                "the fix group did not take part in the match, or the replacement equals the \
                 text; every must_match example of a fixable rule must be fixable unless its \
                 unless_file / unless_line guards apply"
                    .into(),
            ))
        }
        Ok(Some(t)) => t,
    };
    let shown = String::from_utf8_lossy(&once).into_owned();
    let left = scanner
        .scan_bytes(path, kind, &once)
        .findings
        .iter()
        .filter(|f| f.rule_id == rule.meta.id)
        .count();
    if left > 0 {
        return Err((
            format!("after the fix the rule still matches: {shown:?}"),
            "the rewrite must remove what the rule detects".into(),
        ));
    }
    match fix_once(scanner, rule, path, kind, &once) {
        Ok(Some(twice)) if twice != once => Err((
            format!(
                "the fix is not idempotent: a second run changes {shown:?} into {:?}",
                String::from_utf8_lossy(&twice)
            ),
            "a fixed file must not be rewritten again".into(),
        )),
        Err(e) => Err((e, "check the fix group and replacement".into())),
        _ => Ok(true),
    }
}
