//! Human output: one miette diagnostic per finding (the source line with the
//! finding underlined, the rule title and severity, the migration as help),
//! then a summary of findings, files, bytes, time and skipped paths.

use super::Report;
use crate::finding::{CommitInfo, Finding, SkipReason};
use crate::rules::RuleMeta;
use crate::util::text::{human_bytes, plural};
use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};
use std::fmt;
use std::io::Write;

/// Options of the human reporter.
#[derive(Debug, Clone, Copy)]
pub struct HumanOptions {
    /// Use colours and styles.
    pub color: bool,
    /// Only print the summary.
    pub quiet: bool,
    /// Terminal width to wrap at.
    pub width: usize,
}

/// One line of source with its real line number, as a miette source.
struct LineSource {
    name: String,
    text: String,
    line: usize,
    column: usize,
}

impl SourceCode for LineSource {
    fn read_span<'a>(
        &'a self,
        _span: &SourceSpan,
        _before: usize,
        _after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            self.text.as_bytes(),
            (0, self.text.len()).into(),
            self.line.saturating_sub(1),
            self.column.saturating_sub(1),
            1,
        )))
    }
}

struct FindingDiagnostic<'a> {
    finding: &'a Finding,
    rule: Option<&'a RuleMeta>,
    source: LineSource,
    span: SourceSpan,
}

impl fmt::Debug for FindingDiagnostic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FindingDiagnostic")
            .field("rule", &self.finding.rule_id)
            .finish()
    }
}

impl fmt::Display for FindingDiagnostic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let title = self
            .rule
            .map_or(self.finding.rule_id.as_str(), |r| r.title.as_str());
        write!(f, "[{}] {}", self.finding.severity, title)
    }
}

impl std::error::Error for FindingDiagnostic<'_> {}

impl Diagnostic for FindingDiagnostic<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(&self.finding.rule_id))
    }

    fn severity(&self) -> Option<miette::Severity> {
        use crate::finding::Level;
        Some(match self.finding.severity.level() {
            Level::Error => miette::Severity::Error,
            Level::Warning => miette::Severity::Warning,
            Level::Note => miette::Severity::Advice,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        let rule = self.rule?;
        let m = &rule.migration;
        let mut s = m.summary.trim().to_string();
        if let Some(before) = &m.before {
            s.push_str("\nbefore: ");
            s.push_str(before.trim());
        }
        if let Some(after) = &m.after {
            s.push_str("\nafter:  ");
            s.push_str(after.trim());
        }
        if let Some(uri) = rule.help_uri() {
            s.push_str("\nsee:    ");
            s.push_str(uri);
        }
        Some(Box::new(s))
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let label = match &self.finding.secret {
            Some(s) if s.is_exposed() => "secret (shown on request)".to_string(),
            Some(_) => "secret (redacted)".to_string(),
            None => self
                .rule
                .and_then(|r| r.class.clone())
                .map_or_else(|| "here".into(), |c| format!("{c} here")),
        };
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(
            Some(label),
            self.span,
        ))))
    }
}

fn char_to_byte(s: &str, chars: usize) -> usize {
    s.char_indices().nth(chars).map_or(s.len(), |(i, _)| i)
}

/// Renders one finding as a diagnostic.
pub fn render_finding(finding: &Finding, rule: Option<&RuleMeta>, opts: &HumanOptions) -> String {
    let text = finding.snippet.text.clone();
    let start = char_to_byte(&text, finding.snippet.highlight_start);
    let end = char_to_byte(
        &text,
        finding.snippet.highlight_start + finding.snippet.highlight_len,
    )
    .max(start);
    let diag = FindingDiagnostic {
        finding,
        rule,
        span: (start, end - start).into(),
        source: LineSource {
            name: finding.path.clone(),
            text,
            line: finding.location.line,
            column: finding.location.column,
        },
    };
    let theme = if opts.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(opts.width)
        .with_context_lines(0);
    let mut out = String::new();
    if handler.render_report(&mut out, &diag).is_err() {
        // Rendering into a String cannot fail short of a formatting bug;
        // fall back to a plain line rather than lose the finding.
        out = format!(
            "{}:{}:{}: {}\n",
            finding.path, finding.location.line, finding.location.column, diag
        );
    }
    out
}

/// Writes every finding and the summary.
pub fn write(report: &Report<'_>, out: &mut dyn Write, opts: &HumanOptions) -> std::io::Result<()> {
    if !opts.quiet {
        for f in report.findings {
            out.write_all(render_finding(f, report.rule(&f.rule_id), opts).as_bytes())?;
            if let Some(c) = &f.commit {
                writeln!(out, "  {}", provenance_line(c))?;
            }
            out.write_all(b"\n")?;
        }
    }
    write_summary(report, out)
}

/// The line printed under a history finding, e.g.
/// `introduced in abc1234 (2024-05-01) 'Add CI config' — seen in 37 commits`.
pub fn provenance_line(c: &CommitInfo) -> String {
    let date = c.author_date.get(..10).unwrap_or(&c.author_date);
    let mut line = format!(
        "introduced in {} ({date}) '{}' — seen in {} commit{}",
        c.short_id,
        c.summary,
        c.occurrences,
        plural(c.occurrences)
    );
    if c.paths.len() > 1 {
        line.push_str(&format!(", {} paths", c.paths.len()));
    }
    line
}

fn write_summary(report: &Report<'_>, out: &mut dyn Write) -> std::io::Result<()> {
    let stats = report.stats;
    let counts: Vec<String> = report
        .by_severity()
        .into_iter()
        .rev()
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| format!("{n} {s}"))
        .collect();
    let n = report.findings.len();
    if n == 0 {
        writeln!(out, "keysweep: no findings")?;
    } else {
        writeln!(
            out,
            "keysweep: {n} finding{} ({})",
            plural(n),
            counts.join(", ")
        )?;
    }
    if !report.suppressed.is_empty() {
        let parts: Vec<String> = report
            .suppressed_by()
            .into_iter()
            .map(|(by, n)| format!("{n} {by}"))
            .collect();
        writeln!(
            out,
            "{} suppressed finding{} ({}); `--format json` lists them with the reason",
            report.suppressed.len(),
            plural(report.suppressed.len()),
            parts.join(", ")
        )?;
    }
    if let Some(h) = &stats.history {
        let secs = (stats.elapsed_ms as f64 / 1000.0).max(0.001);
        writeln!(
            out,
            "scanned {} blob{} ({}) from {} commit{} in {:.2} s ({:.0} blobs/s, {:.1} MiB/s)",
            stats.files_scanned,
            plural(stats.files_scanned),
            human_bytes(stats.bytes_scanned),
            h.commits,
            plural(h.commits),
            stats.elapsed_ms as f64 / 1000.0,
            stats.files_scanned as f64 / secs,
            stats.bytes_scanned as f64 / (1024.0 * 1024.0) / secs,
        )?;
    } else {
        writeln!(
            out,
            "scanned {} file{} ({}) in {:.2} s",
            stats.files_scanned,
            plural(stats.files_scanned),
            human_bytes(stats.bytes_scanned),
            stats.elapsed_ms as f64 / 1000.0
        )?;
    }
    if !stats.skipped.is_empty() {
        let parts: Vec<String> = stats
            .skipped
            .iter()
            .map(|(r, n)| format!("{n} {}", r.as_str()))
            .collect();
        writeln!(out, "skipped {}", parts.join(", "))?;
    }
    // Files a user would expect to be scanned are named; binary files and
    // symlinks are routine and only counted.
    for s in report.skipped {
        if matches!(
            s.reason,
            SkipReason::Unreadable | SkipReason::TooLarge | SkipReason::Special
        ) {
            writeln!(
                out,
                "  skipped {} ({}): {}",
                s.path,
                s.reason.as_str(),
                s.detail
            )?;
        }
    }
    for (rule, files) in &stats.truncated {
        writeln!(out, "  note: rule {rule} hit its per-file match limit in {files} file(s); later matches were not reported")?;
    }
    if stats.dropped_findings > 0 {
        writeln!(out, "  note: {} more finding(s) were not kept: the run hit its cap of findings; the run fails unless --fail-on never", stats.dropped_findings)?;
    }
    let fixable = report.findings.iter().filter(|f| f.fix.is_some()).count();
    if fixable > 0 {
        writeln!(
            out,
            "{fixable} finding{} can be rewritten mechanically: run `keysweep fix` to see the diff",
            plural(fixable)
        )?;
    }
    Ok(())
}
