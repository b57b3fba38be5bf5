//! Compact output: one line a finding, `path:line:col: severity rule-id:
//! title`, the form editors and `grep`-style tools read. Paths are quoted as
//! git quotes them and titles have control characters escaped, so a line
//! always is one finding. Suppressed findings are left out; secrets never
//! appear (titles carry none).

use super::Report;
use crate::util::term::{escape_controls, quote_path};
use std::io::Write;

/// Writes one line per finding and nothing else.
pub fn write(report: &Report<'_>, out: &mut dyn Write) -> std::io::Result<()> {
    for f in report.findings {
        let title = report
            .rule(&f.rule_id)
            .map_or(f.rule_id.as_str(), |r| r.title.as_str());
        writeln!(
            out,
            "{}:{}:{}: {} {}: {}",
            quote_path(&f.path),
            f.location.line,
            f.location.column,
            f.severity,
            f.rule_id,
            escape_controls(title, false)
        )?;
    }
    Ok(())
}
