//! Unified diffs of a file before and after its edits, for `keysweep fix`'s
//! dry run. Lines are compared by the `similar` crate (Myers' algorithm) and
//! rendered here with three lines of context, git's headers and hunk ranges.
//! Secrets on shown lines are redacted and control characters neutralised,
//! so a diff is as safe to print as any other report.

use crate::util::term::quote_path;
use std::fmt::Write as _;

const CONTEXT: usize = 3;
/// Give up searching for a minimal diff after this long and show a larger
/// one (a migration changes few lines, so this is never reached in practice).
const DEADLINE: std::time::Duration = std::time::Duration::from_secs(2);

/// How to render a diff.
#[derive(Debug, Clone, Default)]
pub struct DiffStyle {
    /// ANSI colours (red deletions, green insertions, cyan hunk headers).
    pub color: bool,
    /// Raw secret values to print redacted wherever they appear.
    pub redact: Vec<(String, String)>,
}

fn printable(line: &[u8], style: &DiffStyle) -> (String, bool) {
    let (body, newline) = match line.strip_suffix(b"\n") {
        Some(b) => (b, true),
        None => (line, false),
    };
    let mut text: String = String::from_utf8_lossy(body)
        .chars()
        .map(|c| match c {
            '\t' | '\r' => c,
            c if c.is_control() => '\u{FFFD}',
            c => c,
        })
        .collect();
    // A lone `\r` before the terminator belongs to CRLF; elsewhere it could
    // move the cursor, so neutralise it.
    let crlf = text.ends_with('\r');
    if crlf {
        text.pop();
    }
    text = text.replace('\r', "\u{FFFD}");
    for (raw, red) in &style.redact {
        if !raw.is_empty() {
            text = text.replace(raw.as_str(), red);
        }
    }
    if crlf {
        text.push('\r');
    }
    (text, newline)
}

/// Unified diff of `old` → `new` for `path` (`a/` and `b/` prefixes), or an
/// empty string if they are equal. Paths that need it are quoted as git
/// quotes them, so `git apply` reads them back.
pub fn unified(path: &str, old: &[u8], new: &[u8], style: &DiffStyle) -> String {
    if old == new {
        return String::new();
    }
    let diff = similar::TextDiff::configure()
        .algorithm(similar::Algorithm::Myers)
        .deadline(std::time::Instant::now() + DEADLINE)
        .diff_lines(old, new);
    let (red, green, cyan, bold, reset) = if style.color {
        ("\x1b[31m", "\x1b[32m", "\x1b[36m", "\x1b[1m", "\x1b[0m")
    } else {
        ("", "", "", "", "")
    };
    let mut out = String::new();
    // An absolute path keeps one slash after the a/ and b/ prefixes.
    let path = path.trim_start_matches('/');
    let _ = writeln!(out, "{bold}--- {}{reset}", quote_path(&format!("a/{path}")));
    let _ = writeln!(out, "{bold}+++ {}{reset}", quote_path(&format!("b/{path}")));
    for group in diff.grouped_ops(CONTEXT) {
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            continue;
        };
        let (a0, a1) = (first.old_range().start, last.old_range().end);
        let (b0, b1) = (first.new_range().start, last.new_range().end);
        let (a_len, b_len) = (a1 - a0, b1 - b0);
        let a_start = if a_len == 0 { a0 } else { a0 + 1 };
        let b_start = if b_len == 0 { b0 } else { b0 + 1 };
        let _ = writeln!(
            out,
            "{cyan}@@ -{a_start},{a_len} +{b_start},{b_len} @@{reset}"
        );
        for op in &group {
            for change in diff.iter_changes(op) {
                let (sign, color) = match change.tag() {
                    similar::ChangeTag::Equal => (' ', ""),
                    similar::ChangeTag::Delete => ('-', red),
                    similar::ChangeTag::Insert => ('+', green),
                };
                let (text, newline) = printable(change.value(), style);
                let end_color = if color.is_empty() { "" } else { reset };
                let _ = writeln!(out, "{color}{sign}{text}{end_color}");
                if !newline {
                    let _ = writeln!(out, "\\ No newline at end of file");
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain() -> DiffStyle {
        DiffStyle::default()
    }

    #[test]
    fn one_changed_line_with_context() {
        let old = b"1\n2\n3\n4\nOLD\n6\n7\n8\n9\n";
        let new = b"1\n2\n3\n4\nNEW\n6\n7\n8\n9\n";
        let d = unified("f.txt", old, new, &plain());
        assert_eq!(
            d,
            "--- a/f.txt\n+++ b/f.txt\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-OLD\n+NEW\n 6\n 7\n 8\n"
        );
    }

    #[test]
    fn distant_changes_make_two_hunks_and_equal_is_empty() {
        let old: String = (1..=30).map(|n| format!("{n}\n")).collect();
        let new = old
            .replace("\n3\n", "\nthree\n")
            .replace("\n27\n", "\nx\ny\n");
        let d = unified("f", old.as_bytes(), new.as_bytes(), &plain());
        assert_eq!(d.matches("@@ -").count(), 2, "{d}");
        assert!(d.contains("@@ -24,7 +24,8 @@"), "{d}");
        assert!(unified("f", b"a\n", b"a\n", &plain()).is_empty());
    }

    #[test]
    fn missing_final_newline_and_redaction() {
        let d = unified(
            "f",
            b"K=secret-value",
            b"T=secret-value",
            &DiffStyle {
                color: false,
                redact: vec![("secret-value".into(), "sec***".into())],
            },
        );
        assert!(
            d.contains("-K=sec***\n\\ No newline at end of file\n"),
            "{d}"
        );
        assert!(!d.contains("secret-value"));
    }

    #[test]
    fn paths_and_lines_cannot_forge_diff_or_terminal_output() {
        let d = unified(
            "x\n+++ b/evil\x1b]0;t\x07.env",
            b"K=1\n",
            b"K=2 \x1b[2J\n",
            &plain(),
        );
        assert!(
            d.starts_with("--- \"a/x\\n+++ b/evil\\033]0;t\\a.env\"\n+++ \"b/x\\n"),
            "{d}"
        );
        assert!(!d.contains('\x1b') && !d.contains('\x07'), "{d:?}");
        assert_eq!(d.lines().filter(|l| l.starts_with("+++")).count(), 1, "{d}");
    }
}
