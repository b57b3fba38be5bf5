//! Runs every rule's examples through the real scanner (keyword gate, kind and
//! path gates, regex, secret filters, allowlists and file context included),
//! the way `keysweep rules check` and the test suite do.

use crate::error::RuleProblem;
use crate::rules::RuleSet;
use crate::scan::{scan_content, ScanOptions};
use crate::walk::kind;

/// Checks every example of every rule; returns all problems found.
pub fn check(rules: &RuleSet) -> Vec<RuleProblem> {
    let opts = ScanOptions::default();
    let mut active = Vec::new();
    let mut problems = Vec::new();
    for rule in rules.rules() {
        let source = &rules.sources()[rule.origin.source_index];
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
    }
    problems
}
