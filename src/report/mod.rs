//! Reporting: turns a finished scan into human, JSON or SARIF output.
//!
//! Reporters see findings, statistics and rule metadata only; they know
//! nothing about walking or matching. Secrets reach them already redacted.

pub mod human;
pub mod json;
pub mod sarif;

use crate::finding::{Finding, ScanStats, Severity, Skipped, SuppressedFinding};
use crate::rules::RuleSet;
use std::collections::BTreeMap;

/// Everything a reporter needs.
pub struct Report<'a> {
    /// Findings in report order.
    pub findings: &'a [Finding],
    /// Findings that matched but were suppressed (inline, allowlist,
    /// baseline), with the reason; never counted as failures.
    pub suppressed: &'a [SuppressedFinding],
    /// Skipped paths (ignored ones are only counted in `stats`).
    pub skipped: &'a [Skipped],
    /// Counters.
    pub stats: &'a ScanStats,
    /// The rules that were active (metadata for every finding's rule).
    pub rules: &'a RuleSet,
}

impl Report<'_> {
    /// Findings per severity, every severity present (zero included).
    pub fn by_severity(&self) -> BTreeMap<Severity, usize> {
        let mut m: BTreeMap<Severity, usize> = Severity::ALL_DESC.iter().map(|s| (*s, 0)).collect();
        for f in self.findings {
            *m.entry(f.severity).or_insert(0) += 1;
        }
        m
    }

    /// Suppressed findings per mechanism (`inline`, `allowlist`, `baseline`).
    pub fn suppressed_by(&self) -> BTreeMap<&'static str, usize> {
        let mut m = BTreeMap::new();
        for s in self.suppressed {
            *m.entry(s.suppression.by).or_insert(0) += 1;
        }
        m
    }
}

/// Formats a byte count for people (KiB, MiB, GiB).
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64;
    let mut unit = "B";
    for u in UNITS {
        if v < 1024.0 {
            break;
        }
        v /= 1024.0;
        unit = u;
    }
    format!("{v:.1} {unit}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn human_bytes() {
        assert_eq!(super::human_bytes(12), "12 B");
        assert_eq!(super::human_bytes(2048), "2.0 KiB");
        assert_eq!(super::human_bytes(5 << 20), "5.0 MiB");
    }
}
