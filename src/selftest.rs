//! Runs every rule's examples through the real scanner (keyword gate, kind and
//! path gates, regex, secret filters, allowlists and file context included),
//! the way `keysweep rules check` and the test suite do. For a rule with a
//! `[rule.fix]`, each must_match example is also fixed: the fix must produce an
//! edit, the fixed text must no longer match the rule, and fixing the fixed
//! text must change nothing (idempotence).

use crate::error::SourceProblem;
use crate::fix::{fix_text, FixOptions};
use crate::kind;
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
                (true, _) if rule.fix.is_some() || renames(scanner, rule) => {
                    match check_fix(scanner, rule, &ex.path, &ex.text) {
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

/// Whether the rule accounts for the mentions of an entity that declares
/// renames (its findings carry the rename plan's edits).
fn renames(scanner: &Scanner, rule: &Rule) -> bool {
    scanner
        .rules()
        .entities()
        .iter()
        .any(|e| !e.rename.is_empty() && rule.matcher.mentions.contains(&e.id))
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

/// Checks a fixable rule on one must_match example, as `fix` would treat a
/// repository holding only the example, in the default mode and with
/// every opt-in: the fix must leave credential values alone, be
/// idempotent, and, where it rewrote the rule's finding completely, leave
/// nothing the rule still reports. `Ok(true)` if the rule's finding was
/// rewritten, `Ok(false)` if the plan or the fix's guards leave it alone.
fn check_fix(
    scanner: &Scanner,
    rule: &Rule,
    path: &str,
    text: &str,
) -> Result<bool, (String, String)> {
    let mut rewritten = false;
    for all in [false, true] {
        let mut opts = FixOptions::default();
        if all {
            opts.opt_ins = crate::rules::FIX_OPT_INS
                .iter()
                .map(|s| s.to_string())
                .collect();
        }
        let (once, findings) = fix_text(scanner, path, text.as_bytes(), &opts).map_err(|e| {
            (
                format!("the fix is refused: {e}"),
                "check the fix section".to_string(),
            )
        })?;
        let shown = String::from_utf8_lossy(&once.text).into_owned();
        for f in &findings {
            if let Some(s) = &f.secret {
                if s.is_exposed() {
                    continue;
                }
            }
            let raw = &text.as_bytes()[f.location.byte_start..f.location.byte_end];
            if f.secret.is_some() && memchr::memmem::find(&once.text, raw).is_none() {
                return Err((
                    format!("the fix edits a credential value: {shown:?}"),
                    "a fix must never change a secret".into(),
                ));
            }
        }
        let mine: Vec<&crate::finding::Finding> = findings
            .iter()
            .filter(|f| f.rule_id == rule.meta.id)
            .collect();
        let edited = once.edits_by_rule.contains_key(&rule.meta.id);
        rewritten |= edited;
        let complete = edited
            && rule.fix.is_some()
            && mine.iter().all(|f| {
                f.manual.is_none()
                    && f.fix
                        .as_ref()
                        .is_some_and(|x| x.edits.iter().all(|e| opts.allows_edit(e)))
            });
        if complete {
            let left = scanner
                .scan_bytes(path, kind::classify(path), &once.text)
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
        }
        let (twice, _) = fix_text(scanner, path, &once.text, &opts).map_err(|e| {
            (
                format!("the fixed text is refused: {e}"),
                "check the fix section".to_string(),
            )
        })?;
        if twice.text != once.text {
            return Err((
                format!(
                    "the fix is not idempotent: a second run changes {shown:?} into {:?}",
                    String::from_utf8_lossy(&twice.text)
                ),
                "a fixed file must not be rewritten again".into(),
            ));
        }
    }
    Ok(rewritten)
}
