//! Human output: one miette diagnostic per finding (the source line with the
//! finding underlined, the rule title and severity, the migration as help),
//! then a summary of findings, files, bytes, time and skipped paths.

use super::Report;
use crate::finding::{CommitInfo, Finding, Severity, SkipReason};
use crate::rules::RuleMeta;
use crate::util::term::{escape_controls, push_escaped, quote_path};
use crate::util::text::{human_bytes, plural};
use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};
use std::fmt;
use std::io::Write;

/// Width reports wrap at when the output is not a terminal.
pub const DEFAULT_WIDTH: usize = 100;

/// Options of the human reporter.
#[derive(Debug, Clone, Copy)]
pub struct HumanOptions {
    /// Use colours and styles.
    pub color: bool,
    /// Only print the summary.
    pub quiet: bool,
    /// Terminal width to wrap at.
    pub width: usize,
    /// The run blocks a commit (a failing pre-commit or `--staged` run): end
    /// with the ways out.
    pub blocked_commit: bool,
}

impl Default for HumanOptions {
    fn default() -> Self {
        HumanOptions {
            color: false,
            quiet: false,
            width: DEFAULT_WIDTH,
            blocked_commit: false,
        }
    }
}

/// The ANSI style of a severity's tag: each severity looks different.
fn severity_style(s: Severity) -> anstyle::Style {
    use anstyle::{AnsiColor, Effects, Style};
    match s {
        Severity::Critical => Style::new()
            .bold()
            .fg_color(Some(AnsiColor::BrightWhite.into()))
            .bg_color(Some(AnsiColor::Red.into())),
        Severity::High => Style::new().bold().fg_color(Some(AnsiColor::Red.into())),
        Severity::Medium => Style::new().fg_color(Some(AnsiColor::Yellow.into())),
        Severity::Low => Style::new().fg_color(Some(AnsiColor::Cyan.into())),
        Severity::Info => Style::new().effects(Effects::DIMMED),
    }
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
    color: bool,
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
        let title = escape_controls(title, false);
        if self.color {
            let style = severity_style(self.finding.severity);
            write!(f, "{style}[{}]{style:#} {title}", self.finding.severity)
        } else {
            write!(f, "[{}] {title}", self.finding.severity)
        }
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
        let mut s = escape_controls(m.summary.trim(), false);
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
        // One finding per line and rule: say how often the line repeats it.
        let label = match self.finding.occurrences {
            n if n > 1 => format!("{label} ({n} times on this line)"),
            _ => label,
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

/// A snippet with its control characters escaped, and the highlight's char
/// range moved to match.
fn escaped_snippet(text: &str, start: usize, len: usize) -> (String, usize, usize) {
    let mut out = String::with_capacity(text.len());
    let (mut new_start, mut new_end) = (None, None);
    let mut pos = 0;
    for (i, c) in text.chars().enumerate() {
        if i == start {
            new_start = Some(pos);
        }
        if i == start + len {
            new_end = Some(pos);
        }
        pos += push_escaped(&mut out, c, true);
    }
    let s = new_start.unwrap_or(pos);
    (out, s, new_end.unwrap_or(pos).max(s))
}

/// Renders one finding as a diagnostic.
pub fn render_finding(finding: &Finding, rule: Option<&RuleMeta>, opts: &HumanOptions) -> String {
    let (text, hl_start, hl_end) = escaped_snippet(
        &finding.snippet.text,
        finding.snippet.highlight_start,
        finding.snippet.highlight_len,
    );
    let start = char_to_byte(&text, hl_start);
    let end = char_to_byte(&text, hl_end).max(start);
    let diag = FindingDiagnostic {
        finding,
        rule,
        span: (start, end - start).into(),
        source: LineSource {
            name: quote_path(&finding.path),
            text,
            line: finding.location.line,
            column: finding.location.column,
        },
        color: opts.color,
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
            quote_path(&finding.path),
            finding.location.line,
            finding.location.column,
            diag
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
    write_summary(report, out)?;
    if opts.blocked_commit && !report.findings.is_empty() {
        write_ways_out(report, out)?;
    }
    Ok(())
}

/// The end of a blocked commit's report: how to get past it, shortest first.
fn write_ways_out(report: &Report<'_>, out: &mut dyn Write) -> std::io::Result<()> {
    let rule = report
        .findings
        .iter()
        .max_by_key(|f| f.severity)
        .map_or("rule-id", |f| f.rule_id.as_str());
    writeln!(out, "\nThis commit is blocked. Ways out, shortest first:")?;
    writeln!(
        out,
        "  - a false positive: end its line with the comment `keysweep:ignore[{rule}]`"
    )?;
    writeln!(
        out,
        "  - accept the findings: run `keysweep baseline` and commit keysweep-baseline.json (the hook needs `--baseline keysweep-baseline.json`)"
    )?;
    writeln!(
        out,
        "  - skip the hook once: `SKIP=keysweep git commit` (pre-commit; the hook id may be keysweep-system), or `git commit --no-verify`"
    )
}

/// The line printed under a history finding, e.g.
/// `introduced in abc1234 (2024-05-01) 'Add CI config' — seen in 37 commits`.
pub fn provenance_line(c: &CommitInfo) -> String {
    let date = c.author_date.get(..10).unwrap_or(&c.author_date);
    let mut line = format!(
        "introduced in {} ({}) '{}' — seen in {} commit{}",
        escape_controls(&c.short_id, false),
        escape_controls(date, false),
        escape_controls(&c.summary, false),
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
                quote_path(&s.path),
                s.reason.as_str(),
                escape_controls(&s.detail, false)
            )?;
        }
    }
    for (rule, files) in &stats.truncated {
        writeln!(
            out,
            "  note: rule {} hit its per-file match limit in {files} file(s); later matches were not reported",
            escape_controls(rule, false)
        )?;
    }
    if stats.dropped_findings > 0 {
        writeln!(out, "  note: {} more finding(s) were not kept: the run hit its cap of findings; the run fails unless --fail-on never", stats.dropped_findings)?;
    }
    let tally = crate::finding::Tally::of(report.findings);
    if tally.fixable + tally.opt_in > 0 {
        writeln!(
            out,
            "{} can be rewritten mechanically: run `keysweep fix` to see the diff ({})",
            match tally.fixable + tally.opt_in {
                1 => "1 finding".to_string(),
                n => format!("{n} findings"),
            },
            tally.line()
        )?;
    }
    Ok(())
}
