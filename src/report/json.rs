//! The keysweep JSON report, schema version 1 (documented in README.md).
//! Fields are only ever added within a version; renames or removals bump it.

use super::Report;
use crate::finding::{
    CommitInfo, Finding, HistoryStats, Location, SecretView, Skipped, Snippet, Suppression,
};
use crate::rules::Migration;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;

/// Current JSON schema version.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Doc<'a> {
    format: &'static str,
    version: u32,
    tool: Tool,
    findings: Vec<JsonFinding<'a>>,
    suppressed: Vec<JsonSuppressed<'a>>,
    summary: Summary<'a>,
    skipped: &'a [Skipped],
    /// What the reader must know about the run (e.g. a shallow history).
    warnings: &'a [super::Warning],
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule_id: &'a str,
    title: &'a str,
    severity: &'a str,
    class: Option<&'a str>,
    path: &'a str,
    #[serde(flatten)]
    location: &'a Location,
    snippet: &'a Snippet,
    secret: Option<&'a SecretView>,
    fingerprint: &'a str,
    migration: Option<&'a Migration>,
    /// The rule's mechanical rewrite for this finding (`keysweep fix`).
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<JsonFix<'a>>,
    /// Why `keysweep fix` leaves (part of) the finding to a person.
    #[serde(skip_serializing_if = "Option::is_none")]
    manual: Option<&'a str>,
    /// History scans only: the commit that introduced the finding.
    #[serde(skip_serializing_if = "Option::is_none")]
    commit: Option<&'a CommitInfo>,
    /// How many times the problem occurs on the line (one finding per line
    /// and rule).
    occurrences: usize,
}

#[derive(Serialize)]
struct JsonFix<'a> {
    opt_in: Option<&'a str>,
    note: Option<&'a str>,
    edits: Vec<JsonEdit<'a>>,
}

/// Only the position and the literal replacement: the replaced text is left
/// out so no report can echo a value through a fix.
#[derive(Serialize)]
struct JsonEdit<'a> {
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    replacement: &'a str,
    /// The `keysweep fix` flag this edit needs, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    opt_in: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonSuppressed<'a> {
    #[serde(flatten)]
    finding: JsonFinding<'a>,
    suppression: &'a Suppression,
}

#[derive(Serialize)]
struct Summary<'a> {
    findings: usize,
    suppressed: usize,
    suppressed_by: BTreeMap<&'static str, usize>,
    by_severity: BTreeMap<&'static str, usize>,
    files_scanned: u64,
    bytes_scanned: u64,
    elapsed_ms: u64,
    skipped: BTreeMap<&'static str, u64>,
    truncated: &'a BTreeMap<String, u64>,
    /// Per entity: mentions found, reported, silent by reason.
    mentions: &'a BTreeMap<String, crate::finding::MentionStats>,
    /// Findings left out because the run hit its cap on findings kept.
    #[serde(skip_serializing_if = "is_zero")]
    dropped_findings: u64,
    /// What `keysweep fix` rewrites, rewrites only with an opt-in, leaves
    /// to a person, and what needs rotating (the counts `fix` and `plan` show).
    fix: crate::finding::Tally,
    /// History scans only: repository, HEAD, commits walked, distinct blobs.
    #[serde(skip_serializing_if = "Option::is_none")]
    history: Option<&'a HistoryStats>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn finding<'a>(report: &Report<'a>, f: &'a Finding) -> JsonFinding<'a> {
    let rule = report.rule(&f.rule_id);
    JsonFinding {
        rule_id: &f.rule_id,
        title: rule.map_or("", |r| r.title.as_str()),
        severity: f.severity.as_str(),
        class: rule.and_then(|r| r.class.as_deref()),
        path: &f.path,
        location: &f.location,
        snippet: &f.snippet,
        secret: f.secret.as_ref(),
        fingerprint: &f.fingerprint,
        migration: rule.map(|r| &r.migration),
        fix: f.fix.as_ref().map(|x| JsonFix {
            opt_in: x.opt_in.as_deref(),
            note: x.note.as_deref(),
            edits: x
                .edits
                .iter()
                .map(|e| JsonEdit {
                    line: e.location.line,
                    column: e.location.column,
                    end_line: e.location.end_line,
                    end_column: e.location.end_column,
                    replacement: &e.replacement,
                    opt_in: e.opt_in.as_deref(),
                })
                .collect(),
        }),
        manual: f.manual.as_deref(),
        commit: f.commit.as_ref(),
        occurrences: f.occurrences,
    }
}

/// Writes the JSON report (pretty-printed, trailing newline).
pub fn write(report: &Report<'_>, out: &mut dyn Write) -> std::io::Result<()> {
    let doc = Doc {
        format: "keysweep-report",
        version: SCHEMA_VERSION,
        tool: Tool {
            name: "keysweep",
            version: env!("CARGO_PKG_VERSION"),
        },
        findings: report.findings.iter().map(|f| finding(report, f)).collect(),
        suppressed: report
            .suppressed
            .iter()
            .filter_map(|f| {
                f.suppression.as_ref().map(|suppression| JsonSuppressed {
                    finding: finding(report, f),
                    suppression,
                })
            })
            .collect(),
        summary: Summary {
            findings: report.findings.len(),
            suppressed: report.suppressed.len(),
            suppressed_by: report.suppressed_by(),
            by_severity: report
                .by_severity()
                .into_iter()
                .map(|(s, n)| (s.as_str(), n))
                .collect(),
            files_scanned: report.stats.files_scanned,
            bytes_scanned: report.stats.bytes_scanned,
            elapsed_ms: report.stats.elapsed_ms,
            skipped: report
                .stats
                .skipped
                .iter()
                .map(|(r, n)| (r.as_str(), *n))
                .collect(),
            truncated: &report.stats.truncated,
            mentions: &report.stats.mentions,
            dropped_findings: report.stats.dropped_findings,
            fix: crate::finding::Tally::of(report.findings),
            history: report.stats.history.as_ref(),
        },
        skipped: report.skipped,
        warnings: &report.run.warnings,
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    out.write_all(b"\n")
}
