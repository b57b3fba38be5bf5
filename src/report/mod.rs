//! Reporting: turns a finished scan into human, compact, JSON, SARIF or
//! GitLab (secret detection, Code Quality) output.
//!
//! Reporters get what they print and nothing more: findings, statistics,
//! rule metadata ([`RuleMeta`], never compiled regexes) and the directory
//! relative paths start from. They know nothing about walking or matching,
//! and read no process state. Secrets reach them already redacted.

pub mod compact;
pub mod gitlab;
pub mod human;
pub mod json;
pub mod sarif;

use crate::finding::{Finding, ScanStats, Severity, Skipped};
use crate::rules::RuleMeta;
use std::collections::BTreeMap;
use std::path::Path;

/// The project's home page (SARIF `informationUri`, GitLab scanner URL).
pub const PROJECT_URL: &str = "https://github.com/keysweep/keysweep";

/// Output format of `scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Diagnostics with the source line and the migration as help.
    Human,
    /// One line a finding: `path:line:col: severity rule-id: title`.
    Compact,
    /// The versioned keysweep JSON report (see README, "JSON report").
    Json,
    /// SARIF 2.1.0 for GitHub code scanning and other SARIF consumers.
    Sarif,
    /// GitLab secret detection report (`gl-secret-detection-report.json`).
    GitlabSecretDetection,
    /// GitLab Code Quality report (`gl-code-quality-report.json`).
    GitlabCodequality,
}

impl Format {
    /// The name used on the command line and in keysweep.toml.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Human => "human",
            Format::Compact => "compact",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::GitlabSecretDetection => "gitlab-secret-detection",
            Format::GitlabCodequality => "gitlab-codequality",
        }
    }
}

/// Something about the run the reader must know, beyond findings and skips
/// (e.g. a history scan of a shallow clone).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Warning {
    /// Stable id, e.g. `shallow-history`.
    pub id: &'static str,
    /// What happened and what to do.
    pub message: String,
}

/// Facts about the run that reporters print but cannot know: when it ran,
/// the commit the scanned tree is at, warnings.
#[derive(Debug, Clone, Default)]
pub struct RunInfo {
    /// Start of the run, seconds since the Unix epoch.
    pub start_secs: u64,
    /// End of the scan, seconds since the Unix epoch.
    pub end_secs: u64,
    /// The commit HEAD of the scanned repository points to, if known.
    pub commit: Option<String>,
    /// Warnings about the run.
    pub warnings: Vec<Warning>,
}

/// Per-format options chosen on the command line.
#[derive(Debug, Clone, Default)]
pub struct WriteOptions {
    /// Human format.
    pub human: human::HumanOptions,
    /// SARIF: `automationDetails.id` category (`--sarif-category`).
    pub sarif_category: Option<String>,
    /// SARIF: leave suppressed results out (`--sarif-omit-suppressed`).
    pub sarif_omit_suppressed: bool,
}

/// Writes `report` in `format`.
pub fn write(
    format: Format,
    report: &Report<'_>,
    opts: &WriteOptions,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    match format {
        Format::Human => human::write(report, out, &opts.human),
        Format::Compact => compact::write(report, out),
        Format::Json => json::write(report, out),
        Format::Sarif => sarif::write(report, out, opts),
        Format::GitlabSecretDetection => gitlab::write_secret_detection(report, out),
        Format::GitlabCodequality => gitlab::write_codequality(report, out),
    }
}

/// When to colour human output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour on a terminal, following NO_COLOR, CLICOLOR_FORCE, FORCE_COLOR
    /// and TERM=dumb.
    #[default]
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// The colour conventions of the environment, read once by the caller.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ColorEnv {
    /// `NO_COLOR` is set and not empty.
    pub no_color: bool,
    /// `CLICOLOR_FORCE` is set and not empty, or `FORCE_COLOR` is set and
    /// neither empty, `0` nor `false`.
    pub force: bool,
    /// `TERM=dumb`: the terminal cannot show colours.
    pub dumb_term: bool,
}

impl ColorChoice {
    /// Whether to colour output going to a terminal (`to_terminal`) or not.
    /// `--color always`/`never` win; in `auto` a non-empty `NO_COLOR` turns
    /// colours off, then a forcing variable turns them on, then they are on
    /// only on a terminal that is not `TERM=dumb`.
    pub fn resolve(self, to_terminal: bool, env: ColorEnv) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto if env.no_color => false,
            ColorChoice::Auto if env.force => true,
            ColorChoice::Auto => to_terminal && !env.dumb_term,
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
    /// Times, commit and warnings of the run.
    pub run: &'a RunInfo,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_follows_the_conventions() {
        let env = |no_color, force, dumb_term| ColorEnv {
            no_color,
            force,
            dumb_term,
        };
        let auto = ColorChoice::Auto;
        assert!(auto.resolve(true, ColorEnv::default()));
        assert!(!auto.resolve(false, ColorEnv::default()));
        assert!(!auto.resolve(true, env(true, false, false)), "NO_COLOR");
        assert!(!auto.resolve(true, env(true, true, false)), "NO_COLOR wins");
        assert!(auto.resolve(false, env(false, true, false)), "forced");
        assert!(!auto.resolve(true, env(false, false, true)), "TERM=dumb");
        assert!(ColorChoice::Always.resolve(false, env(true, false, true)));
        assert!(!ColorChoice::Never.resolve(true, env(false, true, false)));
    }
}
