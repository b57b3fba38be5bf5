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
