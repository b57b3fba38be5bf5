//! Reporting: turns a finished scan into human, JSON or SARIF output.
//!
//! Reporters get what they print and nothing more: findings, statistics,
//! rule metadata ([`RuleMeta`], never compiled regexes) and the directory
//! relative paths start from. They know nothing about walking or matching,
//! and read no process state. Secrets reach them already redacted.

pub mod human;
pub mod json;
pub mod sarif;

use crate::finding::{Finding, ScanStats, Severity, Skipped};
use crate::rules::RuleMeta;
use std::collections::BTreeMap;
use std::path::Path;

/// Output format of `scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Diagnostics with the source line and the migration as help.
    Human,
    /// The versioned keysweep JSON report (see README, "JSON report").
    Json,
    /// SARIF 2.1.0 for GitHub code scanning and other SARIF consumers.
    Sarif,
}

/// When to colour human output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when writing to a terminal and NO_COLOR is unset.
    #[default]
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

impl ColorChoice {
    /// Whether to colour output going to a terminal (`to_terminal`) or not,
    /// given the value of `NO_COLOR`.
    pub fn resolve(self, to_terminal: bool, no_color: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => to_terminal && !no_color,
        }
    }
}

/// Everything a reporter needs.
#[derive(Debug, Clone, Copy)]
pub struct Report<'a> {
    /// Findings that count, in report order.
    pub findings: &'a [Finding],
    /// Findings that matched but were suppressed (inline, allowlist,
    /// baseline), each with its [`Finding::suppression`]; never counted as
    /// failures.
    pub suppressed: &'a [Finding],
    /// Skipped paths (ignored ones are only counted in `stats`).
    pub skipped: &'a [Skipped],
    /// Counters.
    pub stats: &'a ScanStats,
    /// Metadata of the rules that were active, sorted by id.
    pub rules: &'a [RuleMeta],
    /// Absolute directory that relative finding paths start from.
    pub origin: &'a Path,
}

impl<'a> Report<'a> {
    /// The metadata of a finding's rule.
    pub fn rule(&self, id: &str) -> Option<&'a RuleMeta> {
        self.rules
            .binary_search_by(|r| r.id.as_str().cmp(id))
            .ok()
            .map(|i| &self.rules[i])
    }

    /// Index of a rule in [`Report::rules`].
    pub fn rule_index(&self, id: &str) -> Option<usize> {
        self.rules.binary_search_by(|r| r.id.as_str().cmp(id)).ok()
    }

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
            if let Some(sup) = &s.suppression {
                *m.entry(sup.by).or_insert(0) += 1;
            }
        }
        m
    }
}
