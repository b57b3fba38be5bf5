//! GitLab reports: the secret detection security report
//! (`artifacts:reports:secret_detection`, schema 15.2.4, validated in the
//! tests against the vendored schema) and the Code Quality report
//! (`artifacts:reports:codequality`).
//!
//! GitLab has no notion of a suppressed finding: one listed would show as
//! open. Both reports carry the findings that count and leave suppressed
//! ones out (the JSON and SARIF reports keep them, marked). No secret
//! value is written: there is no raw source extract, and titles, rule
//! descriptions and migrations carry none.

use super::{Report, PROJECT_URL};
use crate::finding::{Finding, Severity};
use crate::util::text::truncate_chars;
use crate::util::time::utc_seconds;
use serde::Serialize;
use std::io::Write;

/// The schema version the secret detection report conforms to.
pub const SCHEMA_VERSION: &str = "15.2.4";
const SCHEMA_URL: &str = "https://gitlab.com/gitlab-org/security-products/security-report-schemas/-/raw/v15.2.4/dist/secret-detection-report-format.json";
/// The commit GitLab's own analyzer reports when it scanned a tree, not a
/// commit (the schema requires one).
const NO_COMMIT: &str = "0000000";

#[derive(Serialize)]
struct Doc<'a> {
    version: &'static str,
    schema: &'static str,
    // `scan` comes before the findings, so a report is recognised from its
    // first bytes (scan::own).
    scan: Scan,
    vulnerabilities: Vec<Vulnerability<'a>>,
}

#[derive(Serialize)]
struct Component {
    id: &'static str,
    name: &'static str,
    url: &'static str,
    version: &'static str,
    vendor: Vendor,
}

#[derive(Serialize)]
struct Vendor {
    name: &'static str,
}

#[derive(Serialize)]
struct Scan {
    analyzer: Component,
    scanner: Component,
    #[serde(rename = "type")]
    kind: &'static str,
    status: &'static str,
    start_time: String,
    end_time: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    messages: Vec<Message>,
}

#[derive(Serialize)]
struct Message {
    level: &'static str,
    value: String,
}

#[derive(Serialize)]
struct Vulnerability<'a> {
    id: String,
    name: String,
    description: String,
    severity: &'static str,
    solution: String,
    identifiers: Vec<Identifier<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    links: Vec<Link<'a>>,
    location: VulnLocation<'a>,
}

#[derive(Serialize)]
struct Identifier<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    name: String,
    value: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
}

#[derive(Serialize)]
struct Link<'a> {
    url: &'a str,
}

#[derive(Serialize)]
struct VulnLocation<'a> {
    file: &'a str,
    start_line: usize,
    end_line: usize,
    commit: Commit<'a>,
}

#[derive(Serialize)]
struct Commit<'a> {
    sha: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    date: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a str>,
}

fn component() -> Component {
    Component {
        id: "keysweep",
        name: "keysweep",
        url: PROJECT_URL,
        version: env!("CARGO_PKG_VERSION"),
        vendor: Vendor { name: "keysweep" },
    }
}

/// GitLab's severity names.
pub fn gitlab_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "Critical",
        Severity::High => "High",
        Severity::Medium => "Medium",
        Severity::Low => "Low",
        Severity::Info => "Info",
    }
}

/// Code Quality severity names.
pub fn codequality_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "blocker",
        Severity::High => "critical",
        Severity::Medium => "major",
        Severity::Low => "minor",
        Severity::Info => "info",
    }
}

/// A stable UUID-shaped id of a finding, from its line-independent
/// fingerprint: the same finding has the same id in every pipeline.
pub fn stable_id(f: &Finding) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"keysweep-gitlab\0");
    h.update(f.rule_id.as_bytes());
    h.update(b"\0");
    h.update(f.fingerprint.as_bytes());
    let d = h.finalize();
    let hex: String = d[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

fn messages(report: &Report<'_>) -> Vec<Message> {
    let mut out: Vec<Message> = report
        .run
        .warnings
        .iter()
        .map(|w| Message {
            level: "warn",
            value: w.message.clone(),
        })
        .collect();
    let skipped: Vec<String> = report
        .stats
        .skipped
        .iter()
        .map(|(r, n)| format!("{n} {}", r.as_str()))
        .collect();
    if !skipped.is_empty() {
        out.push(Message {
            level: "info",
            value: format!("skipped {}", skipped.join(", ")),
        });
    }
    out
}

/// Writes the GitLab secret detection report.
pub fn write_secret_detection(report: &Report<'_>, out: &mut dyn Write) -> std::io::Result<()> {
    let tree_commit = report.run.commit.as_deref().unwrap_or(NO_COMMIT);
    let vulnerabilities = report
        .findings
        .iter()
        .map(|f| {
            let rule = report.rule(&f.rule_id);
            let title = rule.map_or(f.rule_id.as_str(), |r| r.title.as_str());
            let help = rule.and_then(|r| r.help_uri());
            let commit = match &f.commit {
                Some(c) => Commit {
                    sha: &c.id,
                    date: Some(&c.author_date),
                    message: Some(&c.summary),
                },
                None => Commit {
                    sha: tree_commit,
                    date: None,
                    message: None,
                },
            };
            Vulnerability {
                id: stable_id(f),
                name: truncate_chars(title, 255),
                description: rule.map_or_else(String::new, |r| r.description.trim().to_string()),
                severity: gitlab_severity(f.severity),
                solution: truncate_chars(rule.map_or("", |r| r.migration.summary.trim()), 7000),
                identifiers: vec![Identifier {
                    kind: "keysweep_rule_id",
                    name: format!("keysweep rule {}", f.rule_id),
                    value: &f.rule_id,
                    url: help,
                }],
                links: help
                    .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
                    .map(|url| vec![Link { url }])
                    .unwrap_or_default(),
                location: VulnLocation {
                    file: &f.path,
                    start_line: f.location.line,
                    end_line: f.location.end_line,
                    commit,
                },
            }
        })
        .collect();
    let doc = Doc {
        version: SCHEMA_VERSION,
        schema: SCHEMA_URL,
        scan: Scan {
            analyzer: component(),
            scanner: component(),
            kind: "secret_detection",
            status: "success",
            start_time: utc_seconds(report.run.start_secs),
            end_time: utc_seconds(report.run.end_secs.max(report.run.start_secs)),
            messages: messages(report),
        },
        vulnerabilities,
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    out.write_all(b"\n")
}

#[derive(Serialize)]
struct Issue<'a> {
    // First, so the report is recognised from its first bytes (scan::own).
    engine_name: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    check_name: &'a str,
    description: String,
    categories: [&'static str; 1],
    fingerprint: String,
    severity: &'static str,
    location: IssueLocation<'a>,
}

#[derive(Serialize)]
struct IssueLocation<'a> {
    path: &'a str,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: usize,
}

/// Writes the GitLab Code Quality report (a JSON array of issues).
pub fn write_codequality(report: &Report<'_>, out: &mut dyn Write) -> std::io::Result<()> {
    let issues: Vec<Issue<'_>> = report
        .findings
        .iter()
        .map(|f| {
            let rule = report.rule(&f.rule_id);
            let title = rule.map_or(f.rule_id.as_str(), |r| r.title.as_str());
            let security = rule.is_none_or(|r| r.security);
            Issue {
                engine_name: "keysweep",
                kind: "issue",
                check_name: &f.rule_id,
                description: format!("{title} ({})", f.rule_id),
                categories: [if security {
                    "Security"
                } else {
                    "Compatibility"
                }],
                fingerprint: stable_id(f).replace('-', ""),
                severity: codequality_severity(f.severity),
                location: IssueLocation {
                    path: &f.path,
                    lines: Lines {
                        begin: f.location.line,
                    },
                },
            }
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &issues)?;
    out.write_all(b"\n")
}
