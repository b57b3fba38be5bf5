//! Runs every rule's examples through the real scanner (keyword gate, kind and
//! path gates, regex, secret filters, allowlists and file context included),
//! the way `keysweep rules check` and the test suite do. For a rule with a
//! `[rule.fix]`, each must_match example is also fixed: the fix must produce an
//! edit, the fixed text must no longer match the rule, and fixing the fixed
//! text must change nothing (idempotence).

use crate::error::RuleProblem;
use crate::fix::edit::{self, PlannedEdit};
use crate::rules::{Rule, RuleSet};
use crate::scan::{scan_content, ScanOptions};
use crate::walk::kind;
use crate::walk::kind::FileKind;

/// Checks every example of every rule; returns all problems found.
pub fn check(rules: &RuleSet) -> Vec<RuleProblem> {
    let opts = ScanOptions::default();
    let mut active = Vec::new();
    let mut problems = Vec::new();
    for rule in rules.rules() {
        let source = &rules.sources()[rule.origin.source_index];
        // Whether some must_match example was actually rewritten by the fix.
        let mut exercised = false;
        for (n, ex) in rule.examples.iter().enumerate() {
            let kind = kind::classify(&ex.path);
            let found = scan_content(
                rules,
                &ex.path,
                kind,
                ex.text.as_bytes(),
                &opts,
                &mut active,
            )
            .findings
            .iter()
            .filter(|f| f.rule_id == rule.id)
            .count();
            let problem = match (ex.must_match, found) {
                (true, 0) => {
                    let lower = ex.text.to_ascii_lowercase();
                    let hint = if !rule.keywords.is_empty()
                        && !rule.keywords.iter().any(|k| lower.contains(k.as_str()))
                    {
                        format!("the example contains none of the rule's keywords ({}), so the prefilter skips it", rule.keywords.join(", "))
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
                            rule.id,
                            n + 1
                        ),
                        hint,
                    ))
                }
                (false, k) if k > 0 => Some((
                    format!(
                        "rule `{}`: must_not_match example produced {k} finding(s)",
                        rule.id
                    ),
                    "tighten the regex or add an allow pattern".to_string(),
                )),
                (true, _) if rule.fix.is_some() => {
                    match check_fix(rules, rule, &ex.path, kind, &ex.text, &opts, &mut active) {
                        Ok(fixed) => {
                            exercised |= fixed;
                            None
                        }
                        Err((what, help)) => Some((
                            format!("rule `{}`: must_match example #{}: {what}", rule.id, n + 1),
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
        if rule.fix.is_some() && !exercised {
            problems.push(crate::rules::problem_for_example(
                source,
                rule.origin.span.clone(),
                format!(
                    "rule `{}`: no must_match example is rewritten by its fix",
                    rule.id
                ),
                Some(
                    "add a must_match example the fix applies to, so rules check can test it"
                        .into(),
                ),
            ));
        }
    }
    problems
}

/// This rule's edits on `text`, resolved and applied; `None` if it has none.
fn fix_once(
    rules: &RuleSet,
    rule: &Rule,
    path: &str,
    kind: FileKind,
    text: &[u8],
    opts: &ScanOptions,
    active: &mut Vec<bool>,
) -> Result<Option<Vec<u8>>, String> {
    let edits: Vec<PlannedEdit> = scan_content(rules, path, kind, text, opts, active)
        .findings
        .iter()
        .filter(|f| f.rule_id == rule.id)
        .filter_map(|f| f.fix.as_ref())
        .flat_map(|fix| fix.edits.iter())
        .map(|e| PlannedEdit {
            range: e.location.byte_start..e.location.byte_end,
            original: e.original.as_bytes().to_vec(),
            replacement: e.replacement.as_bytes().to_vec(),
            rule_id: rule.id.clone(),
        })
        .collect();
    if edits.is_empty() {
        return Ok(None);
    }
    let (kept, _) = edit::resolve(edits);
    edit::apply(text, &kept)
        .map(Some)
        .map_err(|e| format!("the fix's edits do not apply: {e:?}"))
}

/// Whether the fix's `unless_file` / `unless_line` guards deliberately
/// leave this example alone.
fn guarded(
    rules: &RuleSet,
    rule: &Rule,
    path: &str,
    kind: FileKind,
    text: &[u8],
    opts: &ScanOptions,
    active: &mut Vec<bool>,
) -> bool {
    let Some(fix) = &rule.fix else { return false };
    if fix.unless_file.iter().any(|r| r.is_match(text)) {
        return true;
    }
    scan_content(rules, path, kind, text, opts, active)
        .findings
        .iter()
        .filter(|f| f.rule_id == rule.id)
        .any(|f| {
            !crate::scan::fix_context_ok(fix, text, f.location.byte_start..f.location.byte_end)
        })
}

/// Checks a fixable rule on one must_match example: `Ok(true)` if the fix
/// rewrote it correctly, `Ok(false)` if its guards deliberately skip it,
/// `Err((problem, help))` otherwise.
fn check_fix(
    rules: &RuleSet,
    rule: &Rule,
    path: &str,
    kind: FileKind,
    text: &str,
    opts: &ScanOptions,
    active: &mut Vec<bool>,
) -> Result<bool, (String, String)> {
    let once = match fix_once(rules, rule, path, kind, text.as_bytes(), opts, active) {
        Err(e) => return Err((e, "check the fix group and replacement".into())),
        Ok(None) if guarded(rules, rule, path, kind, text.as_bytes(), opts, active) => {
            return Ok(false)
        }
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
    let left = scan_content(rules, path, kind, &once, opts, active)
        .findings
        .iter()
        .filter(|f| f.rule_id == rule.id)
        .count();
    if left > 0 {
        return Err((
            format!("after the fix the rule still matches: {shown:?}"),
            "the rewrite must remove what the rule detects".into(),
        ));
    }
    match fix_once(rules, rule, path, kind, &once, opts, active) {
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
