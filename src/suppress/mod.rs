//! Suppression: decides which findings a team has accepted and why. Nothing
//! is dropped here: a suppressed finding keeps its reason in
//! [`Finding::suppression`] and is counted in the human summary, listed in
//! JSON and emitted in SARIF with `suppressions`.
//!
//! Three mechanisms, checked in this order (the first that applies is the
//! reason reported):
//! 1. an inline directive on the finding's line ([`inline`], SARIF `inSource`);
//! 2. an allowlisted value from keysweep.toml ([`allowlist`], SARIF `external`);
//! 3. an entry of the baseline file ([`baseline`], SARIF `external`).
//!
//! The first two need the raw text, so the scanner asks [`Suppressors`]
//! through the [`Judge`] trait while it holds it; the baseline needs every
//! finding of the run and is applied afterwards ([`apply_baseline`]). Every
//! command and every input (tree, staged, stdin, history) goes through the
//! same two steps.

pub mod allowlist;
pub mod baseline;
pub mod inline;

use crate::finding::{Directive, Finding, Judge, Suppression, SuppressionKind};
use allowlist::Allowlist;
use baseline::Baseline;
use std::path::Path;

/// The inline and allowlist suppressions of a run.
#[derive(Debug, Clone, Default)]
pub struct Suppressors {
    /// Honour inline directives (`keysweep:ignore`, peers' forms).
    pub inline: bool,
    /// Allowlisted values from keysweep.toml.
    pub allowlist: Allowlist,
}

impl Suppressors {
    /// Inline directives on, no allowlist.
    pub fn inline_only() -> Suppressors {
        Suppressors {
            inline: true,
            allowlist: Allowlist::default(),
        }
    }
}

impl Judge for Suppressors {
    fn directive(&self, line: &[u8]) -> Option<Directive> {
        if self.inline {
            inline::parse(line)
        } else {
            None
        }
    }

    fn judge(
        &self,
        rule_id: &str,
        value: &[u8],
        directive: Option<&Directive>,
    ) -> Option<Suppression> {
        if let Some(d) = directive.filter(|d| d.covers(rule_id)) {
            let written = if d.rules.is_empty() {
                d.marker.to_string()
            } else {
                format!("{}[{}]", d.marker, d.rules.join(", "))
            };
            return Some(Suppression {
                kind: SuppressionKind::InSource,
                by: "inline",
                justification: format!("`{written}` on the line"),
            });
        }
        self.allowlist.find(rule_id, value).map(|a| Suppression {
            kind: SuppressionKind::External,
            by: "allowlist",
            justification: a.describe(),
        })
    }
}

/// Marks findings accepted in `baseline` as suppressed. Findings already
/// suppressed (inline, allowlist) do not use up a baseline entry. `origin`
/// is the directory relative finding paths start from.
pub fn apply_baseline(findings: &mut [Finding], baseline: &Baseline, origin: &Path) {
    let mut matcher = baseline.matcher();
    for f in findings.iter_mut().filter(|f| f.suppression.is_none()) {
        if matcher.take(f, origin) {
            f.suppression = Some(Suppression {
                kind: SuppressionKind::External,
                by: "baseline",
                justification: format!("accepted in {}", baseline.name()),
            });
        }
    }
}

/// Splits findings into (counting, suppressed), keeping report order.
pub fn partition(findings: Vec<Finding>) -> (Vec<Finding>, Vec<Finding>) {
    findings.into_iter().partition(Finding::is_active)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Location, Severity, Snippet};
    use allowlist::AllowValue;

    fn finding(rule: &str, hash: &str) -> Finding {
        Finding {
            rule_id: rule.into(),
            severity: Severity::High,
            path: "a.env".into(),
            location: Location {
                line: 1,
                column: 1,
                end_line: 1,
                end_column: 2,
                byte_start: 0,
                byte_end: 1,
            },
            snippet: Snippet {
                text: "x".into(),
                highlight_start: 0,
                highlight_len: 1,
            },
            secret: None,
            fingerprint: String::new(),
            match_hash: hash.into(),
            suppression: None,
            commit: None,
            file: None,
            manual: None,
            fix: None,
            occurrences: 1,
        }
    }

    #[test]
    fn inline_wins_over_allowlist_and_scopes_by_rule() {
        let s = Suppressors {
            inline: true,
            allowlist: Allowlist {
                values: vec![AllowValue {
                    rule: None,
                    regex: regex::bytes::Regex::new("^ok$").unwrap(),
                    pattern: "^ok$".into(),
                    line: 1,
                }],
            },
        };
        let d = s.directive(b"K=ok # keysweep:ignore[r]");
        assert_eq!(
            s.judge("r", b"ok", d.as_ref()).map(|x| x.by),
            Some("inline")
        );
        // `keysweep:ignore[r]` does not cover rule `s`; the allowlist does.
        assert_eq!(
            s.judge("s", b"ok", d.as_ref()).map(|x| x.by),
            Some("allowlist")
        );
        assert_eq!(s.judge("s", b"no", d.as_ref()), None);
        let off = Suppressors::default();
        assert_eq!(off.directive(b"value: v # keysweep:ignore"), None);
    }

    #[test]
    fn baseline_skips_suppressed_and_counts_copies() {
        let dir = std::env::temp_dir();
        let mut baseline = Baseline::empty(&dir.join("b.json"));
        baseline.accept([&finding("r", "h1")], &dir);
        let mut inline = finding("r", "h1");
        inline.suppression = Some(Suppression {
            kind: SuppressionKind::InSource,
            by: "inline",
            justification: String::new(),
        });
        let mut all = vec![inline, finding("r", "h1"), finding("r", "h1")];
        apply_baseline(&mut all, &baseline, &dir);
        let by: Vec<Option<&str>> = all
            .iter()
            .map(|f| f.suppression.as_ref().map(|s| s.by))
            .collect();
        // The inline copy does not use up the entry; the baseline accepted
        // one copy, so the third is new.
        assert_eq!(by, vec![Some("inline"), Some("baseline"), None]);
        let (kept, suppressed) = partition(all);
        assert_eq!((kept.len(), suppressed.len()), (1, 2));
    }
}
