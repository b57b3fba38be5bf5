//! Byte offsets → 1-based lines and columns, and redacted source snippets.
//! Only computed for hits, in offset order, so a file is walked at most once
//! no matter how many findings it has.

use crate::finding::{redact, Location, Snippet};
use std::ops::Range;

/// Lines longer than this are cut to a window around the finding.
const MAX_SNIPPET_BYTES: usize = 240;
/// Bytes of context kept on each side of the finding in a windowed line.
const WINDOW_CONTEXT: usize = 80;

fn is_char_start(b: u8) -> bool {
    (b & 0xC0) != 0x80
}

fn count_chars(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| is_char_start(b)).count()
}

/// Incremental offset → (line, column) mapper. Queries must come in
/// non-decreasing offset order for the cheap path; earlier offsets restart.
pub struct Cursor<'a> {
    content: &'a [u8],
    offset: usize,
    line: usize,
    line_start: usize,
    col: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `content`.
    pub fn new(content: &'a [u8]) -> Self {
        Cursor {
            content,
            offset: 0,
            line: 1,
            line_start: 0,
            col: 1,
        }
    }

    /// 1-based (line, column) of `offset`.
    pub fn position(&mut self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.content.len());
        if offset < self.offset {
            *self = Cursor::new(self.content);
        }
        let seg = &self.content[self.offset..offset];
        match memchr::memrchr(b'\n', seg) {
            Some(last) => {
                self.line += memchr::memchr_iter(b'\n', seg).count();
                self.line_start = self.offset + last + 1;
                self.col = 1 + count_chars(&self.content[self.line_start..offset]);
            }
            None => self.col += count_chars(seg),
        }
        self.offset = offset;
        (self.line, self.col)
    }

    /// Location of a byte range (end exclusive; an empty range is widened to 1 char).
    pub fn location(&mut self, range: Range<usize>) -> Location {
        let (line, column) = self.position(range.start);
        let (end_line, mut end_column) = {
            // Measure the range on its own so the cursor stays at `start` for
            // the next (sorted) query.
            let span = &self.content[range.start..range.end.min(self.content.len())];
            let newlines = memchr::memchr_iter(b'\n', span).count();
            if newlines == 0 {
                (line, column + count_chars(span))
            } else {
                let last = memchr::memrchr(b'\n', span).unwrap_or(0);
                (line + newlines, 1 + count_chars(&span[last + 1..]))
            }
        };
        if end_line == line && end_column <= column {
            end_column = column + 1;
        }
        Location {
            line,
            column,
            end_line,
            end_column,
            byte_start: range.start,
            byte_end: range.end,
        }
    }
}

/// Byte range of the line containing `offset`, without its terminator.
pub fn line_bounds(content: &[u8], offset: usize) -> Range<usize> {
    let offset = offset.min(content.len());
    let start = memchr::memrchr(b'\n', &content[..offset]).map_or(0, |i| i + 1);
    let mut end = memchr::memchr(b'\n', &content[offset..]).map_or(content.len(), |i| offset + i);
    if end > start && content[end - 1] == b'\r' {
        end -= 1;
    }
    start..end
}

fn push_clean(out: &mut String, bytes: &[u8]) -> usize {
    let before = out.chars().count();
    for ch in String::from_utf8_lossy(bytes).chars() {
        // Control characters could drive a terminal; tabs would break label alignment.
        out.push(match ch {
            '\t' => ' ',
            c if c.is_control() => '\u{FFFD}',
            c => c,
        });
    }
    out.chars().count() - before
}

/// Builds the printable line for a finding whose highlighted part is `focus`.
/// Every range in `secrets` (sorted, from all findings of the file) that
/// touches the shown window is replaced by its redacted form unless `show`.
pub fn snippet(
    content: &[u8],
    focus: Range<usize>,
    secrets: &[Range<usize>],
    show: bool,
) -> Snippet {
    snippet_on_line(
        content,
        line_bounds(content, focus.start),
        focus,
        secrets,
        show,
    )
}

/// [`snippet`] with the line already known (`line` must be
/// `line_bounds(content, focus.start)`): callers with many findings on one
/// long line compute its bounds once instead of once per finding.
pub fn snippet_on_line(
    content: &[u8],
    line: Range<usize>,
    focus: Range<usize>,
    secrets: &[Range<usize>],
    show: bool,
) -> Snippet {
    let focus = focus.start..focus.end.min(line.end).max(focus.start);
    let (mut ws, mut we) = (line.start, line.end);
    if line.len() > MAX_SNIPPET_BYTES {
        ws = focus.start.saturating_sub(WINDOW_CONTEXT).max(line.start);
        we = (focus.end + WINDOW_CONTEXT).min(line.end);
    }
    // Never cut through a secret: a partial raw value would leak through.
    let touching: Vec<Range<usize>> = secrets
        .iter()
        .filter(|s| s.start < line.end && s.end > line.start)
        .cloned()
        .collect();
    for s in &touching {
        if s.start < we && s.end > ws {
            ws = ws.min(s.start.max(line.start));
            we = we.max(s.end.min(line.end));
        }
    }
    while ws > line.start && !is_char_start(content[ws]) {
        ws -= 1;
    }
    while we < line.end && !is_char_start(content[we]) {
        we += 1;
    }
    let mut cuts = vec![ws, we, focus.start.clamp(ws, we), focus.end.clamp(ws, we)];
    for s in &touching {
        cuts.push(s.start.clamp(ws, we));
        cuts.push(s.end.clamp(ws, we));
    }
    cuts.sort_unstable();
    cuts.dedup();
    let mut text = String::new();
    let mut chars = 0;
    if ws > line.start {
        text.push('…');
        chars += 1;
    }
    let (mut hs, mut he) = (None, None);
    for pair in cuts.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        if a == focus.start && hs.is_none() {
            hs = Some(chars);
        }
        if a == focus.end && he.is_none() {
            he = Some(chars);
        }
        let inside = touching.iter().find(|s| s.start <= a && b <= s.end);
        match inside {
            Some(s) if !show => {
                // Emit the redaction once, at the start of the secret (or of the window).
                if a == s.start.max(ws) {
                    let raw = String::from_utf8_lossy(&content[s.start..s.end]);
                    chars += push_clean(&mut text, redact(&raw).as_bytes());
                }
            }
            _ => chars += push_clean(&mut text, &content[a..b]),
        }
    }
    if hs.is_none() {
        hs = Some(if focus.start >= we { chars } else { 0 });
    }
    if he.is_none() {
        he = Some(chars);
    }
    if we < line.end {
        text.push('…');
    }
    let start = hs.unwrap_or(0);
    let len = he.unwrap_or(chars).saturating_sub(start).max(1);
    Snippet {
        text,
        highlight_start: start,
        highlight_len: len,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_chars() {
        let text = "ab\nçd=x\n\nlast".as_bytes();
        let mut c = Cursor::new(text);
        assert_eq!(c.position(0), (1, 1));
        assert_eq!(c.position(3), (2, 1));
        let eq = text.iter().position(|&b| b == b'=').unwrap();
        assert_eq!(c.position(eq), (2, 3));
        assert_eq!(c.position(text.len()), (4, 5));
        // Going backwards restarts.
        assert_eq!(c.position(1), (1, 2));
    }

    #[test]
    fn location_end_is_exclusive() {
        let text = b"K=abc\n";
        let loc = Cursor::new(text).location(2..5);
        assert_eq!(
            (loc.line, loc.column, loc.end_line, loc.end_column),
            (1, 3, 1, 6)
        );
    }

    #[test]
    fn snippet_redacts_every_secret_on_the_line() {
        let text = b"A=4dR9xK2pQz B=Zq8mN3vL7w\r\nnext";
        let s1 = 2..12;
        let s2 = 15..25;
        let snip = snippet(text, s2.clone(), &[s1, s2], false);
        assert_eq!(snip.text, "A=****** B=******");
        assert_eq!(
            &snip
                .text
                .chars()
                .skip(snip.highlight_start)
                .take(snip.highlight_len)
                .collect::<String>(),
            "******"
        );
        let secret = 15..25;
        let shown = snippet(text, 15..25, std::slice::from_ref(&secret), true);
        assert_eq!(shown.text, "A=4dR9xK2pQz B=Zq8mN3vL7w");
    }

    #[test]
    fn long_lines_are_windowed_without_cutting_secrets() {
        let mut text = vec![b'x'; 1000];
        text.extend_from_slice(b" KEY=4dR9xK2pQz ");
        text.extend(vec![b'y'; 1000]);
        let start = 1005;
        let secret = start..start + 10;
        let snip = snippet(
            &text,
            start..start + 10,
            std::slice::from_ref(&secret),
            false,
        );
        assert!(snip.text.starts_with('…') && snip.text.ends_with('…'));
        assert!(snip.text.contains("KEY=******"));
        assert!(snip.text.chars().count() < 200);
    }

    #[test]
    fn control_characters_are_neutralised() {
        let snip = snippet(b"a\x1b[31mb\tc", 0..1, &[], false);
        assert_eq!(snip.text, "a\u{FFFD}[31mb c");
    }
}
