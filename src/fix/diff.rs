//! Unified diffs of a file before and after its edits, for `keysweep fix`'s
//! dry run. Lines are compared with Myers' O(ND) algorithm (D = changed
//! lines, small for a migration), rendered with three lines of context.
//! Secrets on shown lines are redacted and control characters neutralised,
//! so a diff is as safe to print as any other report.

use std::fmt::Write as _;

const CONTEXT: usize = 3;
/// Beyond this many changed lines, fall back to one hunk instead of searching.
const MAX_D: usize = 2048;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Same,
    Del,
    Ins,
}

/// Splits after each `\n`, keeping terminators (a last line may lack one).
fn lines(b: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in memchr::memchr_iter(b'\n', b) {
        out.push(&b[start..=i]);
        start = i + 1;
    }
    if start < b.len() {
        out.push(&b[start..]);
    }
    out
}

/// Myers' shortest edit script over lines, as a sequence of ops.
fn script(a: &[&[u8]], b: &[&[u8]]) -> Vec<Op> {
    // Common prefix and suffix first: edits are sparse, this keeps N and M small.
    let pre = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let suf = a[pre..]
        .iter()
        .rev()
        .zip(b[pre..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (ma, mb) = (&a[pre..a.len() - suf], &b[pre..b.len() - suf]);
    let mut ops = vec![Op::Same; pre];
    ops.extend(middle(ma, mb));
    ops.extend(std::iter::repeat_n(Op::Same, suf));
    ops
}

fn middle(a: &[&[u8]], b: &[&[u8]]) -> Vec<Op> {
    let (n, m) = (a.len() as isize, b.len() as isize);
    let max = (n + m) as usize;
    if max == 0 {
        return Vec::new();
    }
    let off = max as isize;
    let mut v = vec![0isize; 2 * max + 1];
    let mut trace: Vec<Vec<isize>> = Vec::new();
    let mut found = false;
    for d in 0..=max.min(MAX_D) as isize {
        // Only diagonals -d..=d can be read when backtracking from step d:
        // O(D²) memory instead of O(D·(N+M)).
        trace.push(v[(off - d) as usize..=(off + d) as usize].to_vec());
        let mut k = -d;
        while k <= d {
            let idx = (k + off) as usize;
            let mut x = if k == -d || (k != d && v[idx - 1] < v[idx + 1]) {
                v[idx + 1]
            } else {
                v[idx - 1] + 1
            };
            let mut y = x - k;
            while x < n && y < m && a[x as usize] == b[y as usize] {
                x += 1;
                y += 1;
            }
            v[idx] = x;
            if x >= n && y >= m {
                found = true;
                break;
            }
            k += 2;
        }
        if found {
            break;
        }
    }
    if !found {
        let mut ops = vec![Op::Del; a.len()];
        ops.extend(std::iter::repeat_n(Op::Ins, b.len()));
        return ops;
    }
    // Walk the trace back from (n, m).
    let mut ops = Vec::new();
    let (mut x, mut y) = (n, m);
    for d in (0..trace.len() as isize).rev() {
        let v = &trace[d as usize];
        let at = |k: isize| v[(k + d) as usize];
        let k = x - y;
        let prev_k = if k == -d || (k != d && at(k - 1) < at(k + 1)) {
            k + 1
        } else {
            k - 1
        };
        let prev_x = if d == 0 { 0 } else { at(prev_k) };
        let prev_y = prev_x - prev_k;
        while x > prev_x.max(0) && y > prev_y.max(0) {
            ops.push(Op::Same);
            x -= 1;
            y -= 1;
        }
        if d > 0 {
            if x == prev_x {
                ops.push(Op::Ins);
                y -= 1;
            } else {
                ops.push(Op::Del);
                x -= 1;
            }
        }
    }
    while x > 0 && y > 0 {
        ops.push(Op::Same);
        x -= 1;
        y -= 1;
    }
    ops.reverse();
    ops
}

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
/// empty string if they are equal.
pub fn unified(path: &str, old: &[u8], new: &[u8], style: &DiffStyle) -> String {
    if old == new {
        return String::new();
    }
    let (a, b) = (lines(old), lines(new));
    let ops = script(&a, &b);
    // Index every op with its line numbers in a and b.
    let mut rows = Vec::with_capacity(ops.len());
    let (mut i, mut j) = (0usize, 0usize);
    for op in &ops {
        rows.push((*op, i, j));
        match op {
            Op::Same => {
                i += 1;
                j += 1;
            }
            Op::Del => i += 1,
            Op::Ins => j += 1,
        }
    }
    let (red, green, cyan, bold, reset) = if style.color {
        ("\x1b[31m", "\x1b[32m", "\x1b[36m", "\x1b[1m", "\x1b[0m")
    } else {
        ("", "", "", "", "")
    };
    let mut out = String::new();
    // An absolute path keeps one slash after the a/ and b/ prefixes.
    let path = path.trim_start_matches('/');
    let _ = writeln!(out, "{bold}--- a/{path}{reset}");
    let _ = writeln!(out, "{bold}+++ b/{path}{reset}");
    let changed: Vec<usize> = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| r.0 != Op::Same)
        .map(|(n, _)| n)
        .collect();
    let mut h = 0;
    while h < changed.len() {
        // Grow a hunk while the next change is within 2*CONTEXT unchanged rows.
        let first = changed[h];
        let mut last = first;
        while h + 1 < changed.len() && changed[h + 1] <= last + 2 * CONTEXT + 1 {
            h += 1;
            last = changed[h];
        }
        h += 1;
        let start = first.saturating_sub(CONTEXT);
        let end = (last + CONTEXT + 1).min(rows.len());
        let span = &rows[start..end];
        let a_len = span.iter().filter(|r| r.0 != Op::Ins).count();
        let b_len = span.iter().filter(|r| r.0 != Op::Del).count();
        let a_start = if a_len == 0 { span[0].1 } else { span[0].1 + 1 };
        let b_start = if b_len == 0 { span[0].2 } else { span[0].2 + 1 };
        let _ = writeln!(
            out,
            "{cyan}@@ -{a_start},{a_len} +{b_start},{b_len} @@{reset}"
        );
        for &(op, ai, bj) in span {
            let (sign, line, color) = match op {
                Op::Same => (' ', a[ai], ""),
                Op::Del => ('-', a[ai], red),
                Op::Ins => ('+', b[bj], green),
            };
            let (text, newline) = printable(line, style);
            let end_color = if color.is_empty() { "" } else { reset };
            let _ = writeln!(out, "{color}{sign}{text}{end_color}");
            if !newline {
                let _ = writeln!(out, "\\ No newline at end of file");
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
    fn script_is_minimal_on_insertions_and_deletions() {
        let a = lines(b"a\nb\nc\nd\n");
        let b = lines(b"a\nc\nd\ne\n");
        let ops = script(&a, &b);
        assert_eq!(ops.iter().filter(|o| **o != Op::Same).count(), 2);
    }
}
