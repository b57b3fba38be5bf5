//! Suppression: splits findings into those that count and those a team has
//! accepted, keeping the reason for every suppressed one. Nothing is dropped
//! here: suppressed findings are counted in the human summary, listed in JSON
//! and emitted in SARIF with `suppressions`.
//!
//! Three mechanisms, checked in this order (the first that applies is the
//! reason reported):
//! 1. an inline directive on the finding's line ([`inline`], SARIF `inSource`);
//! 2. an allowlisted value from keysweep.toml (marked by the scanner, which
//!    sees the raw value; SARIF `external`);
//! 3. an entry of the baseline file ([`baseline`], SARIF `external`).

pub mod baseline;
pub mod inline;

use crate::finding::{Finding, SuppressedFinding, Suppression, SuppressionKind};
use baseline::Baseline;
use std::path::Path;

/// Findings after suppression.
#[derive(Debug, Default)]
pub struct Applied {
    /// Findings that count (report order kept).
    pub kept: Vec<Finding>,
    /// Suppressed findings with their reason (report order kept).
    pub suppressed: Vec<SuppressedFinding>,
}

/// Applies inline directives, allowlist marks and the baseline (if any) to
/// `findings`. `origin` is the directory relative finding paths start from
/// (needed to match baseline paths).
pub fn apply(findings: Vec<Finding>, baseline: Option<&Baseline>, origin: &Path) -> Applied {
    let mut out = Applied::default();
    let mut matcher = baseline.map(Baseline::matcher);
    for f in findings {
        let reason = if let Some(d) = f.directive.as_ref().filter(|d| d.covers(&f.rule_id)) {
            let written = if d.rules.is_empty() {
                d.marker.to_string()
            } else {
                format!("{}[{}]", d.marker, d.rules.join(", "))
            };
            Some(Suppression {
                kind: SuppressionKind::InSource,
                by: "inline",
                justification: format!("`{written}` on the line"),
            })
        } else if let Some(pattern) = &f.allowlisted {
            Some(Suppression {
                kind: SuppressionKind::External,
                by: "allowlist",
                justification: pattern.clone(),
            })
        } else if let (Some(m), Some(b)) = (matcher.as_mut(), baseline) {
            m.take(&f, origin).then(|| Suppression {
                kind: SuppressionKind::External,
                by: "baseline",
                justification: format!("accepted in {}", b.name()),
            })
        } else {
            None
        };
        match reason {
            Some(suppression) => out.suppressed.push(SuppressedFinding {
                finding: f,
                suppression,
            }),
            None => out.kept.push(f),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Directive, Location, Severity, Snippet};

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
            directive: None,
            allowlisted: None,
            commit: None,
            fix: None,
        }
    }

    #[test]
    fn inline_wins_over_allowlist_and_baseline_and_scopes_by_rule() {
        let dir = std::env::temp_dir();
        let mut baseline = Baseline::empty(&dir.join("b.json"));
        let accepted = finding("r", "h1");
        baseline.accept([&accepted], &dir);

        let mut inline = finding("r", "h1");
        inline.directive = Some(Directive {
            marker: "keysweep:ignore",
            rules: vec!["r".into()],
        });
        let mut other_rule = finding("s", "h2");
        other_rule.directive = inline.directive.clone();
        let mut allowed = finding("r", "h3");
        allowed.allowlisted = Some("pattern".into());
        let plain_accepted = finding("r", "h1");
        let second_copy = finding("r", "h1");

        let out = apply(
            vec![inline, other_rule, allowed, plain_accepted, second_copy],
            Some(&baseline),
            &dir,
        );
        let reasons: Vec<&str> = out.suppressed.iter().map(|s| s.suppression.by).collect();
        // The inline-suppressed copy does not use up the baseline entry.
        assert_eq!(reasons, vec!["inline", "allowlist", "baseline"]);
        assert_eq!(
            out.suppressed[0].suppression.kind,
            SuppressionKind::InSource
        );
        assert_eq!(
            out.suppressed[2].suppression.kind,
            SuppressionKind::External
        );
        // `keysweep:ignore[r]` does not cover rule `s`; the baseline accepted
        // one copy of h1, so the second copy is new.
        let kept: Vec<(&str, &str)> = out
            .kept
            .iter()
            .map(|f| (f.rule_id.as_str(), f.match_hash.as_str()))
            .collect();
        assert_eq!(kept, vec![("s", "h2"), ("r", "h1")]);
    }
}
