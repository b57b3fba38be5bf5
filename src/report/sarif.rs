//! SARIF 2.1.0 output for GitHub code scanning (and any SARIF consumer).
//!
//! One run; `tool.driver.rules` holds every active rule (sorted by id, so
//! `ruleIndex` is stable) with short/full descriptions, help text and markdown
//! carrying the migration, `helpUri`, `security-severity` and `precision`.
//! Results use 1-based regions counted in Unicode code points (declared in
//! `columnKind`), URIs relative to `%SRCROOT%` (the report's origin: the
//! working directory, the work tree top for staged scans, the repository root
//! for history), and a `partialFingerprints` entry that does not depend on
//! line numbers. No secret is written: messages carry the redacted form only.

use super::{Report, WriteOptions, PROJECT_URL};
use crate::finding::{Finding, Severity, SkipReason, Skipped, Suppression, SuppressionKind};
use crate::rules::RuleMeta;
use crate::util::paths::display_path;
use crate::util::text::truncate_chars;
use crate::util::uri::{dir_uri, encode_path};
use serde_json::json;
use serde_sarif::sarif::{
    ArtifactChange, ArtifactContent, ArtifactLocation, Fix as SarifFix, Invocation, Location,
    Message, MultiformatMessageString, Notification, PhysicalLocation, PropertyBag, Region,
    Replacement, ReportingConfiguration, ReportingDescriptor, ReportingDescriptorReference,
    Result as SarifResult, ResultLevel, Run, RunAutomationDetails, Sarif,
    Suppression as SarifSuppression, Tool, ToolComponent, VersionControlDetails,
};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The `$schema` URL GitHub's documentation uses.
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// Key of keysweep's own entry in `partialFingerprints`.
pub const FINGERPRINT_KEY: &str = "keysweep/v1";
const SRCROOT: &str = "%SRCROOT%";
/// At most this many skipped paths are listed as notifications, one each;
/// the rest are counted in one notification per reason.
pub const MAX_SKIP_NOTIFICATIONS: usize = 500;

fn level(s: Severity) -> ResultLevel {
    match s.level() {
        crate::finding::Level::Error => ResultLevel::Error,
        crate::finding::Level::Warning => ResultLevel::Warning,
        crate::finding::Level::Note => ResultLevel::Note,
    }
}

/// GitHub maps >9.0 to critical, 7.0–8.9 high, 4.0–6.9 medium, 0.1–3.9 low.
fn security_severity(s: Severity) -> Option<&'static str> {
    match s {
        Severity::Critical => Some("9.5"),
        Severity::High => Some("8.0"),
        Severity::Medium => Some("5.5"),
        Severity::Low => Some("3.0"),
        Severity::Info => None,
    }
}

fn help_text(rule: &RuleMeta) -> (String, String) {
    let m = &rule.migration;
    let mut text = format!("{}\n\n{}", rule.description.trim(), m.summary.trim());
    let mut md = format!(
        "{}\n\n**Migration.** {}",
        rule.description.trim(),
        m.summary.trim()
    );
    if let Some(before) = &m.before {
        text.push_str(&format!("\n\nBefore:\n{}", before.trim_end()));
        md.push_str(&format!("\n\nBefore:\n\n```\n{}\n```", before.trim_end()));
    }
    if let Some(after) = &m.after {
        text.push_str(&format!("\n\nAfter:\n{}", after.trim_end()));
        md.push_str(&format!("\n\nAfter:\n\n```\n{}\n```", after.trim_end()));
    }
    let refs: Vec<&String> = m.reference.iter().chain(rule.references.iter()).collect();
    if !refs.is_empty() {
        text.push_str("\n\nReferences:");
        md.push_str("\n\nReferences:\n");
        for r in refs {
            text.push_str(&format!("\n- {r}"));
            md.push_str(&format!("\n- <{r}>"));
        }
    }
    (text, md)
}

fn descriptor(rule: &RuleMeta) -> ReportingDescriptor {
    let (text, markdown) = help_text(rule);
    let mut props = BTreeMap::new();
    props.insert("precision".to_string(), json!(rule.precision));
    // Only security rules are security alerts; migration debt is a code
    // quality problem (GitHub reads `problem.severity` for those).
    match security_severity(rule.severity).filter(|_| rule.security) {
        Some(score) => {
            props.insert("security-severity".to_string(), json!(score));
        }
        None => {
            let problem = if !rule.security && rule.severity >= Severity::Medium {
                "warning"
            } else {
                "recommendation"
            };
            props.insert("problem.severity".to_string(), json!(problem));
        }
    }
    props.insert(
        "keysweep-severity".to_string(),
        json!(rule.severity.as_str()),
    );
    if let Some(class) = &rule.class {
        props.insert("keysweep-class".to_string(), json!(class));
    }
    let mut tags = if rule.security {
        vec![
            "security".to_string(),
            "secrets".to_string(),
            "localstack".to_string(),
        ]
    } else {
        vec!["localstack".to_string(), "migration".to_string()]
    };
    // A rule tag repeating a default tag is listed once, order kept; a debt
    // rule never carries the `security` tag.
    for t in &rule.tags {
        if !tags.contains(t) && (rule.security || t != "security") {
            tags.push(t.clone());
        }
    }
    tags.truncate(20);
    let mut d = ReportingDescriptor::builder()
        .id(rule.id.clone())
        .name(truncate_chars(&rule.title, 255))
        .short_description(
            MultiformatMessageString::builder()
                .text(truncate_chars(&rule.title, 1024))
                .build(),
        )
        .full_description(
            MultiformatMessageString::builder()
                .text(truncate_chars(&rule.description, 1024))
                .build(),
        )
        .help(
            MultiformatMessageString::builder()
                .text(text)
                .markdown(markdown)
                .build(),
        )
        .default_configuration(
            ReportingConfiguration::builder()
                .level(json!(rule.severity.level().as_str()))
                .build(),
        )
        .properties(
            PropertyBag::builder()
                .tags(tags)
                .additional_properties(props)
                .build(),
        )
        .build();
    d.help_uri = rule.help_uri().map(str::to_string);
    d
}

/// Splits a reported path into (uri, uriBaseId) relative to `origin` when
/// possible.
fn artifact(path: &str, origin: &Path) -> ArtifactLocation {
    let p = Path::new(path);
    let rel: Option<PathBuf> = if p.is_absolute() {
        p.strip_prefix(origin).ok().map(Path::to_path_buf)
    } else {
        Some(p.to_path_buf())
    };
    match rel {
        Some(r) => ArtifactLocation::builder()
            .uri(encode_path(&display_path(&r)))
            .uri_base_id(SRCROOT)
            .build(),
        None => ArtifactLocation::builder()
            .uri(format!("file://{}", encode_path(path)))
            .build(),
    }
}

fn result(
    f: &Finding,
    rule_index: Option<usize>,
    rule: Option<&RuleMeta>,
    origin: &Path,
) -> SarifResult {
    let title = rule.map_or(f.rule_id.as_str(), |r| r.title.as_str());
    let mut text = format!("{title}.");
    if let Some(s) = &f.secret {
        text.push_str(&format!(" Value: {}.", s.redacted()));
    }
    if let Some(r) = rule {
        text.push_str(&format!(" {}", r.migration.summary.trim()));
    }
    let region = Region::builder()
        .start_line(f.location.line as i64)
        .start_column(f.location.column as i64)
        .end_line(f.location.end_line as i64)
        .end_column(f.location.end_column as i64)
        .build();
    let location = Location::builder()
        .physical_location(
            PhysicalLocation::builder()
                .artifact_location(artifact(&f.path, origin))
                .region(region)
                .build(),
        )
        .build();
    let mut fps = BTreeMap::new();
    fps.insert(FINGERPRINT_KEY.to_string(), f.fingerprint.clone());
    let mut props = BTreeMap::new();
    props.insert("severity".to_string(), json!(f.severity.as_str()));
    if let Some(m) = &f.manual {
        props.insert("keysweep-manual".to_string(), json!(m));
    }
    if let Some(c) = &f.commit {
        props.insert(
            "commit".to_string(),
            json!({
                "id": c.id,
                "shortId": c.short_id,
                "authorDate": c.author_date,
                "summary": c.summary,
                "occurrences": c.occurrences,
                "paths": c.paths,
            }),
        );
    }
    let mut r = SarifResult::builder()
        .rule_id(f.rule_id.clone())
        .level(level(f.severity))
        .message(Message::builder().text(text).build())
        .locations(vec![location])
        .partial_fingerprints(fps)
        .properties(PropertyBag::builder().additional_properties(props).build())
        .build();
    r.rule_index = rule_index.map(|i| i as i64);
    r.fixes = fixes(f, origin);
    r.suppressions = f.suppression.as_ref().map(|s| vec![suppression(s)]);
    r
}

/// The finding's fix as SARIF `fixes` (one artifact change, one replacement
/// per edit). Fixes behind an opt-in flag are left out: a SARIF consumer
/// could apply them without the user having opted in.
fn fixes(f: &Finding, origin: &Path) -> Option<Vec<SarifFix>> {
    let fix = f.fix.as_ref()?;
    let replacements: Vec<Replacement> = fix
        .edits
        .iter()
        .filter(|e| e.opt_in.is_none())
        .map(|e| {
            let l = &e.location;
            // An insertion deletes nothing: a zero-length region.
            let (end_line, end_column) = if l.byte_start == l.byte_end {
                (l.line, l.column)
            } else {
                (l.end_line, l.end_column)
            };
            Replacement::builder()
                .deleted_region(
                    Region::builder()
                        .start_line(l.line as i64)
                        .start_column(l.column as i64)
                        .end_line(end_line as i64)
                        .end_column(end_column as i64)
                        .build(),
                )
                .inserted_content(
                    ArtifactContent::builder()
                        .text(e.replacement.clone())
                        .build(),
                )
                .build()
        })
        .collect();
    if replacements.is_empty() {
        return None;
    }
    let mut text = "Apply the migration rewrite.".to_string();
    if let Some(n) = &fix.note {
        text = format!("{text} Then: {}", n.trim());
    }
    Some(vec![SarifFix::builder()
        .description(Message::builder().text(text).build())
        .artifact_changes(vec![ArtifactChange::builder()
            .artifact_location(artifact(&f.path, origin))
            .replacements(replacements)
            .build()])
        .build()])
}

fn suppression(s: &Suppression) -> SarifSuppression {
    let kind = match s.kind {
        SuppressionKind::InSource => "inSource",
        SuppressionKind::External => "external",
    };
    let mut props = BTreeMap::new();
    props.insert("keysweep-suppressed-by".to_string(), json!(s.by));
    SarifSuppression::builder()
        .kind(json!(kind))
        .justification(s.justification.clone())
        .properties(PropertyBag::builder().additional_properties(props).build())
        .build()
}

fn skip_level(r: SkipReason) -> &'static str {
    match r {
        SkipReason::Unreadable | SkipReason::TooLarge | SkipReason::Special => "warning",
        _ => "note",
    }
}

fn skip_meaning(r: SkipReason) -> &'static str {
    match r {
        SkipReason::Binary => "A binary file (NUL byte in the first 8 KiB) was not scanned.",
        SkipReason::TooLarge => "A file larger than --max-file-size was not scanned.",
        SkipReason::Unreadable => "A file could not be read (permissions, vanished, I/O error).",
        SkipReason::Ignored => "Paths excluded by ignore files or keysweep.toml were not scanned.",
        SkipReason::Symlink => "A symbolic link was not followed.",
        SkipReason::Special => "A FIFO, socket or device was not opened.",
        SkipReason::KeysweepReport => {
            "A report, baseline or plan written by keysweep was not scanned."
        }
        SkipReason::OwnOutput => "A file this run writes or reads as its baseline was not scanned.",
        SkipReason::KeysweepTemp => {
            "A temporary copy left by an interrupted keysweep write was not scanned."
        }
    }
}

const ALL_SKIPS: [SkipReason; 9] = [
    SkipReason::Binary,
    SkipReason::TooLarge,
    SkipReason::Unreadable,
    SkipReason::Ignored,
    SkipReason::Symlink,
    SkipReason::Special,
    SkipReason::KeysweepReport,
    SkipReason::OwnOutput,
    SkipReason::KeysweepTemp,
];

fn text(s: &str) -> MultiformatMessageString {
    MultiformatMessageString::builder().text(s).build()
}

/// `driver.notifications`: one descriptor per skip reason and per warning id.
fn notification_descriptors(report: &Report<'_>) -> Vec<ReportingDescriptor> {
    let mut out: Vec<ReportingDescriptor> = ALL_SKIPS
        .iter()
        .map(|r| {
            ReportingDescriptor::builder()
                .id(format!("keysweep/skipped/{}", r.as_str()))
                .short_description(text(&format!("Skipped: {}", r.as_str())))
                .full_description(text(skip_meaning(*r)))
                .help(text(skip_meaning(*r)))
                .default_configuration(
                    ReportingConfiguration::builder()
                        .level(json!(skip_level(*r)))
                        .build(),
                )
                .build()
        })
        .collect();
    let mut ids: Vec<&str> = report.run.warnings.iter().map(|w| w.id).collect();
    ids.sort_unstable();
    ids.dedup();
    for id in ids {
        out.push(
            ReportingDescriptor::builder()
                .id(format!("keysweep/warning/{id}"))
                .short_description(text(&format!("Warning: {id}")))
                .full_description(text("Something the reader of this report must know."))
                .help(text("See the notification's message."))
                .build(),
        );
    }
    out
}

fn descriptor_ref(id: String, index: usize) -> ReportingDescriptorReference {
    let mut r = ReportingDescriptorReference::builder().id(id).build();
    r.index = Some(index as i64);
    r
}

fn skip_notification(s: &Skipped, origin: &Path) -> Notification {
    let index = ALL_SKIPS.iter().position(|r| *r == s.reason).unwrap_or(0);
    let location = Location::builder()
        .physical_location(
            PhysicalLocation::builder()
                .artifact_location(artifact(&s.path, origin))
                .build(),
        )
        .build();
    let detail = if s.detail.is_empty() {
        String::new()
    } else {
        format!(": {}", s.detail)
    };
    Notification::builder()
        .descriptor(descriptor_ref(
            format!("keysweep/skipped/{}", s.reason.as_str()),
            index,
        ))
        .level(json!(skip_level(s.reason)))
        .message(
            Message::builder()
                .text(format!(
                    "Skipped {} ({}){detail}.",
                    s.path,
                    s.reason.as_str()
                ))
                .build(),
        )
        .locations(vec![location])
        .build()
}

/// `invocations[0].toolExecutionNotifications`: warnings, skipped paths
/// (the first [`MAX_SKIP_NOTIFICATIONS`] one each) and one count per reason
/// for the rest and for ignored paths, which are only counted.
fn notifications(report: &Report<'_>) -> Vec<Notification> {
    let mut out = Vec::new();
    let mut ids: Vec<&str> = report.run.warnings.iter().map(|w| w.id).collect();
    ids.sort_unstable();
    ids.dedup();
    for w in &report.run.warnings {
        let index = ALL_SKIPS.len() + ids.iter().position(|i| *i == w.id).unwrap_or(0);
        out.push(
            Notification::builder()
                .descriptor(descriptor_ref(format!("keysweep/warning/{}", w.id), index))
                .level(json!("warning"))
                .message(Message::builder().text(w.message.clone()).build())
                .build(),
        );
    }
    let mut listed: BTreeMap<SkipReason, u64> = BTreeMap::new();
    for s in report.skipped.iter().take(MAX_SKIP_NOTIFICATIONS) {
        out.push(skip_notification(s, report.origin));
        *listed.entry(s.reason).or_insert(0) += 1;
    }
    for (reason, total) in &report.stats.skipped {
        let rest = total.saturating_sub(listed.get(reason).copied().unwrap_or(0));
        if rest == 0 {
            continue;
        }
        let index = ALL_SKIPS.iter().position(|r| r == reason).unwrap_or(0);
        let more = if listed.contains_key(reason) {
            " more"
        } else {
            ""
        };
        out.push(
            Notification::builder()
                .descriptor(descriptor_ref(
                    format!("keysweep/skipped/{}", reason.as_str()),
                    index,
                ))
                .level(json!(skip_level(*reason)))
                .message(
                    Message::builder()
                        .text(format!(
                            "{rest}{more} path{} skipped ({}).",
                            crate::util::text::plural(rest),
                            reason.as_str()
                        ))
                        .build(),
                )
                .build(),
        );
    }
    out
}

/// Builds the SARIF log for a report.
pub fn build(report: &Report<'_>, opts: &WriteOptions) -> Sarif {
    let origin = report.origin;
    // Suppressed findings are results too, carrying `suppressions`, so code
    // scanning shows them as dismissed instead of losing them — unless the
    // consumer ignores `suppressions` (GitHub opens them as alerts) and the
    // user asked to leave them out.
    let suppressed: &[Finding] = if opts.sarif_omit_suppressed {
        &[]
    } else {
        report.suppressed
    };
    let results: Vec<SarifResult> = report
        .findings
        .iter()
        .chain(suppressed)
        .map(|f| {
            let i = report.rule_index(&f.rule_id);
            result(f, i, i.map(|i| &report.rules[i]), origin)
        })
        .collect();
    let driver = ToolComponent::builder()
        .name("keysweep")
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .information_uri(PROJECT_URL)
        .rules(report.rules.iter().map(descriptor).collect::<Vec<_>>())
        .notifications(notification_descriptors(report))
        .build();
    let mut invocation = Invocation::builder().execution_successful(true).build();
    let notes = notifications(report);
    if !notes.is_empty() {
        invocation.tool_execution_notifications = Some(notes);
    }
    let mut run = Run::builder()
        .tool(Tool::from(driver))
        .results(results)
        .invocations(vec![invocation])
        .column_kind(json!("unicodeCodePoints"))
        .build();
    if let Some(category) = opts.sarif_category.as_deref().filter(|c| !c.is_empty()) {
        // GitHub reads `category/run-id`; a trailing `/` means category only.
        let id = if category.ends_with('/') {
            category.to_string()
        } else {
            format!("{category}/")
        };
        run.automation_details = Some(RunAutomationDetails::builder().id(id).build());
    }
    if let Some(h) = report.stats.history.as_ref() {
        let mut vcs = VersionControlDetails::builder()
            .repository_uri(h.repository_uri.clone())
            .mapped_to(ArtifactLocation::builder().uri_base_id(SRCROOT).build())
            .build();
        vcs.revision_id = h.revision.clone();
        vcs.branch = h.branch.clone();
        run.version_control_provenance = Some(vec![vcs]);
    }
    let root = origin.to_string_lossy().replace('\\', "/");
    let mut bases = BTreeMap::new();
    bases.insert(
        SRCROOT.to_string(),
        ArtifactLocation::builder().uri(dir_uri(&root)).build(),
    );
    run.original_uri_base_ids = Some(bases);
    // A marker in the log's property bag, which serialises before the runs:
    // the next scan recognises the file from its first bytes (scan::own).
    let mut marker = BTreeMap::new();
    marker.insert("keysweep-report".to_string(), json!("sarif"));
    Sarif::builder()
        .schema(SCHEMA_URI)
        .version(json!("2.1.0"))
        .properties(PropertyBag::builder().additional_properties(marker).build())
        .runs(vec![run])
        .build()
}

/// Writes the SARIF log (pretty-printed, trailing newline).
pub fn write(report: &Report<'_>, out: &mut dyn Write, opts: &WriteOptions) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &build(report, opts))?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn security_severity_bands_match_github() {
        assert_eq!(security_severity(Severity::Critical), Some("9.5"));
        assert!(security_severity(Severity::Info).is_none());
    }
}
