//! Pure edit application: ordering, overlap resolution, the byte check that a
//! range still holds what was scanned, and application with a running offset.
//! Nothing here touches the file system.

use std::ops::Range;

/// An edit ready to apply to one buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedEdit {
    /// Byte range in the buffer.
    pub range: Range<usize>,
    /// Bytes expected at `range` (what the scanner saw).
    pub original: Vec<u8>,
    /// Literal replacement bytes.
    pub replacement: Vec<u8>,
    /// Rule that asked for the edit.
    pub rule_id: String,
}

/// An edit dropped because it overlaps one that sorts first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The dropped edit's rule.
    pub dropped: String,
    /// The rule whose edit was kept.
    pub kept: String,
    /// Byte offset of the dropped edit.
    pub at: usize,
}

/// Why a set of edits cannot be applied to a buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplyError {
    /// The bytes at an edit's range differ from what was scanned.
    Mismatch {
        /// Byte offset of the edit.
        at: usize,
    },
    /// An edit's range is outside the buffer.
    OutOfBounds {
        /// Byte offset of the edit.
        at: usize,
    },
}

impl std::fmt::Display for ApplyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApplyError::Mismatch { at } => {
                write!(f, "the text at byte {at} differs from what was scanned")
            }
            ApplyError::OutOfBounds { at } => write!(f, "byte {at} is past the end of the text"),
        }
    }
}

fn overlaps(a: &Range<usize>, b: &Range<usize>) -> bool {
    // Two insertions at the same point conflict too: their order would be arbitrary.
    (a.start < b.end && b.start < a.end) || (a.start == b.start && (a.is_empty() || b.is_empty()))
}

/// Sorts edits, merges exact duplicates (two rules asking for the same change)
/// and drops every edit that overlaps an earlier kept one. Ordering is by
/// (start, end, rule id, replacement), so the outcome never depends on the
/// order rules ran in; dropped edits are returned as conflicts. Since `fix`
/// rescans after applying, a dropped edit whose rule still matches is offered
/// again on the next pass.
pub fn resolve(mut edits: Vec<PlannedEdit>) -> (Vec<PlannedEdit>, Vec<Conflict>) {
    edits.sort_by(|a, b| {
        (a.range.start, a.range.end, &a.rule_id, &a.replacement).cmp(&(
            b.range.start,
            b.range.end,
            &b.rule_id,
            &b.replacement,
        ))
    });
    let mut kept: Vec<PlannedEdit> = Vec::with_capacity(edits.len());
    let mut conflicts = Vec::new();
    for e in edits {
        if let Some(last) = kept.last() {
            if last.range == e.range && last.replacement == e.replacement {
                continue;
            }
            if overlaps(&last.range, &e.range) {
                conflicts.push(Conflict {
                    dropped: e.rule_id.clone(),
                    kept: last.rule_id.clone(),
                    at: e.range.start,
                });
                continue;
            }
        }
        kept.push(e);
    }
    (kept, conflicts)
}

/// Applies sorted, non-overlapping edits (the output of [`resolve`]) to
/// `content`, checking that each range still holds its original bytes.
pub fn apply(content: &[u8], edits: &[PlannedEdit]) -> Result<Vec<u8>, ApplyError> {
    let grow: usize = edits.iter().map(|e| e.replacement.len()).sum();
    let mut out = Vec::with_capacity(content.len() + grow);
    let mut pos = 0;
    for e in edits {
        let r = &e.range;
        if r.start < pos || r.end < r.start || r.end > content.len() {
            return Err(ApplyError::OutOfBounds { at: r.start });
        }
        if content[r.clone()] != e.original[..] {
            return Err(ApplyError::Mismatch { at: r.start });
        }
        out.extend_from_slice(&content[pos..r.start]);
        out.extend_from_slice(&e.replacement);
        pos = r.end;
    }
    out.extend_from_slice(&content[pos..]);
    Ok(out)
}

/// A file's line terminator convention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineEnding {
    /// `\n`
    Lf,
    /// `\r\n`
    Crlf,
}

impl LineEnding {
    /// The dominant terminator of `content` (CRLF only if most lines use it).
    pub fn detect(content: &[u8]) -> LineEnding {
        let lf = memchr::memchr_iter(b'\n', content).count();
        let crlf = memchr::memmem::find_iter(content, b"\r\n").count();
        if crlf > 0 && crlf * 2 >= lf {
            LineEnding::Crlf
        } else {
            LineEnding::Lf
        }
    }

    /// `text` with its bare `\n` terminators converted to this convention.
    pub fn adapt(self, text: &str) -> String {
        match self {
            LineEnding::Lf => text.to_string(),
            LineEnding::Crlf => {
                let mut out = String::with_capacity(text.len() + 8);
                let mut prev = '\0';
                for c in text.chars() {
                    if c == '\n' && prev != '\r' {
                        out.push('\r');
                    }
                    out.push(c);
                    prev = c;
                }
                out
            }
        }
    }

    /// The terminator bytes.
    pub fn as_bytes(self) -> &'static [u8] {
        match self {
            LineEnding::Lf => b"\n",
            LineEnding::Crlf => b"\r\n",
        }
    }
}

/// Restores `original`'s trailing-newline state on `edited`: an edit at the
/// end of a file must not add or drop the final terminator.
pub fn keep_trailing_newline(original: &[u8], mut edited: Vec<u8>, ending: LineEnding) -> Vec<u8> {
    let had = original.ends_with(b"\n");
    let has = edited.ends_with(b"\n");
    if had && !has && !edited.is_empty() {
        edited.extend_from_slice(ending.as_bytes());
    } else if !had && has {
        edited.pop();
        if edited.ends_with(b"\r") {
            edited.pop();
        }
    }
    edited
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(range: Range<usize>, original: &str, with: &str, rule: &str) -> PlannedEdit {
        PlannedEdit {
            range,
            original: original.as_bytes().to_vec(),
            replacement: with.as_bytes().to_vec(),
            rule_id: rule.to_string(),
        }
    }

    #[test]
    fn applies_with_running_offset() {
        let c = b"A=1 B=2 C=3";
        let edits = vec![e(0..1, "A", "AAA", "r"), e(8..9, "C", "", "r")];
        assert_eq!(apply(c, &edits).unwrap(), b"AAA=1 B=2 =3");
    }

    #[test]
    fn resolve_is_order_independent_and_reports_conflicts() {
        let a = e(0..5, "hello", "HELLO", "b.rule");
        let b = e(2..4, "ll", "LL", "a.rule");
        let dup = e(0..5, "hello", "HELLO", "c.rule");
        let (k1, c1) = resolve(vec![a.clone(), b.clone(), dup.clone()]);
        let (k2, c2) = resolve(vec![dup, b, a]);
        assert_eq!(k1, k2);
        assert_eq!(c1, c2);
        assert_eq!(k1.len(), 1);
        assert_eq!(k1[0].rule_id, "b.rule");
        assert_eq!(c1.len(), 1);
        assert_eq!(c1[0].dropped, "a.rule");
        assert_eq!(c1[0].kept, "b.rule");
    }

    #[test]
    fn adjacent_edits_do_not_conflict_but_same_point_insertions_do() {
        let (k, c) = resolve(vec![e(0..2, "ab", "x", "r"), e(2..4, "cd", "y", "r")]);
        assert_eq!((k.len(), c.len()), (2, 0));
        let (k, c) = resolve(vec![e(1..1, "", "x", "r"), e(1..1, "", "y", "s")]);
        assert_eq!((k.len(), c.len()), (1, 1));
    }

    #[test]
    fn refuses_changed_bytes_and_bad_ranges() {
        assert_eq!(
            apply(b"abc", &[e(0..1, "x", "y", "r")]),
            Err(ApplyError::Mismatch { at: 0 })
        );
        assert_eq!(
            apply(b"abc", &[e(2..9, "c", "y", "r")]),
            Err(ApplyError::OutOfBounds { at: 2 })
        );
    }

    #[test]
    fn line_endings_and_trailing_newline() {
        assert_eq!(LineEnding::detect(b"a\r\nb\r\n"), LineEnding::Crlf);
        assert_eq!(LineEnding::detect(b"a\nb\r\n c\n"), LineEnding::Lf);
        assert_eq!(LineEnding::Crlf.adapt("x\ny\r\n"), "x\r\ny\r\n");
        assert_eq!(
            keep_trailing_newline(b"a\n", b"b".to_vec(), LineEnding::Lf),
            b"b\n"
        );
        assert_eq!(
            keep_trailing_newline(b"a", b"b\r\n".to_vec(), LineEnding::Crlf),
            b"b"
        );
    }
}
