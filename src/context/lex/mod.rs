//! Lexical map: which bytes of a file are comments, string literals,
//! docstrings or heredoc bodies, and which are live code.
//!
//! Each syntax family has a small hand-written scanner. None of them is a
//! full parser: they know exactly enough about string literals not to take a
//! `#` inside `"…#…"`, a URL or `${VAR#prefix}` for a comment, and enough about
//! comments not to take an apostrophe in `# don't` for a string. Every scanner
//! is a single forward pass with an explicit, capped stack for nested
//! contexts (`"$(…)"`, `${…}` holes in templates), so the cost is linear in
//! the input and no input can exhaust the call stack.

mod cfam;
mod config;
mod script;
mod shell;

pub(crate) use config::{block_extent, block_header, dockerfile_instructions};
pub(crate) use shell::find as shell_find;

use super::Syntax;
use std::ops::Range;

/// What a byte of a file is, lexically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    /// Live code (or, for data formats, structure and unquoted values).
    Code,
    /// A comment, delimiters included.
    Comment,
    /// A string literal, quotes included (for YAML: quoted and block scalars).
    String,
    /// A Python string statement (module, class or function docstring, or a
    /// bare string used as a comment): documentation, not code.
    Docstring,
    /// The body of a heredoc or here-string (shell, Ruby, Perl, HCL,
    /// PowerShell), terminator line included: content, not code, even when
    /// it is written to a file.
    Heredoc,
}

/// One classified range: every byte not covered by a span is [`Class::Code`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) class: Class,
}

/// Deepest nesting of interpolation contexts a scanner follows; deeper
/// openers are read as plain text so adversarial input stays cheap.
pub(crate) const MAX_NEST: usize = 64;

/// Collects spans in order, dropping empty ones.
#[derive(Debug, Default)]
pub(crate) struct Sink {
    spans: Vec<Span>,
}

impl Sink {
    pub(crate) fn push(&mut self, start: usize, end: usize, class: Class) {
        if end <= start || class == Class::Code {
            return;
        }
        // Scanners emit in order; a span that starts inside the previous one
        // (possible only on malformed input) is clipped to keep the map sorted
        // and disjoint.
        let start = match self.spans.last() {
            Some(last) if last.end > start => last.end,
            _ => start,
        };
        if end > start {
            self.spans.push(Span { start, end, class });
        }
    }
}

/// The lexical classes of one file's bytes.
#[derive(Debug, Clone)]
pub struct LexMap {
    len: usize,
    spans: Vec<Span>,
}

/// Byte at `i`, or 0 past the end (0 is never syntax in any scanner here).
#[inline]
pub(crate) fn at(s: &[u8], i: usize) -> u8 {
    s.get(i).copied().unwrap_or(0)
}

/// End of the line holding `i` (index of its `\n`, or the end of `s`).
#[inline]
pub(crate) fn line_end(s: &[u8], i: usize) -> usize {
    let i = i.min(s.len());
    memchr::memchr(b'\n', &s[i..]).map_or(s.len(), |p| i + p)
}

/// Start of the line holding `i`.
#[inline]
pub(crate) fn line_start(s: &[u8], i: usize) -> usize {
    let i = i.min(s.len());
    memchr::memrchr(b'\n', &s[..i]).map_or(0, |p| p + 1)
}

/// Whether `b` can be part of an identifier in most languages (non-ASCII
/// bytes count, so identifiers in other scripts are read as one word).
#[inline]
pub(crate) fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// Index of the first non-blank (space/tab) byte at or after `i` on its line.
#[inline]
pub(crate) fn skip_blanks(s: &[u8], mut i: usize) -> usize {
    while matches!(at(s, i), b' ' | b'\t') {
        i += 1;
    }
    i
}

/// Byte length of the UTF-8 sequence that starts with `b` (1 for invalid bytes).
#[inline]
pub(crate) fn utf8_len(b: u8) -> usize {
    match b {
        0xF0..=0xF7 => 4,
        0xE0..=0xEF => 3,
        0xC2..=0xDF => 2,
        _ => 1,
    }
}

impl LexMap {
    /// Classifies `content` read as `syntax`.
    pub fn build(syntax: Syntax, content: &[u8]) -> LexMap {
        let mut sink = Sink::default();
        let s = content;
        match syntax {
            Syntax::Shell | Syntax::Dotenv => {
                shell::lex_shell(s, 0..s.len(), shell::Dialect::Posix, &mut sink)
            }
            Syntax::PowerShell => shell::lex_powershell(s, &mut sink),
            Syntax::Makefile => config::lex_makefile(s, &mut sink),
            Syntax::Dockerfile => config::lex_dockerfile(s, &mut sink),
            Syntax::Yaml => config::lex_yaml(s, &mut sink),
            Syntax::Ini => config::lex_ini(s, &mut sink),
            Syntax::Markdown => config::lex_markdown(s, &mut sink),
            Syntax::Html => config::lex_html(s, &mut sink),
            Syntax::Rst | Syntax::AsciiDoc | Syntax::Notebook | Syntax::Plain => {}
            Syntax::Python => script::lex_python(s, &mut sink),
            Syntax::Ruby => script::lex_ruby(s, &mut sink),
            Syntax::Perl => script::lex_perl(s, &mut sink),
            Syntax::Nix => script::lex_nix(s, &mut sink),
            Syntax::Hcl => script::lex_hcl(s, &mut sink),
            Syntax::Toml => script::lex_toml(s, &mut sink),
            Syntax::Java
            | Syntax::Kotlin
            | Syntax::Groovy
            | Syntax::Scala
            | Syntax::Go
            | Syntax::CSharp
            | Syntax::JavaScript
            | Syntax::Rust
            | Syntax::C
            | Syntax::Json => cfam::lex_c_family(s, cfam::Flavour::of(syntax), &mut sink),
        }
        LexMap {
            len: content.len(),
            spans: sink.spans,
        }
    }

    /// Classifies only `content[range]` as `syntax` (a YAML `run: |` block
    /// as shell, a docs code block in its language); spans are offsets into
    /// `content`, and everything outside the range reads as code.
    pub fn build_range(syntax: Syntax, content: &[u8], range: Range<usize>) -> LexMap {
        let end = range.end.min(content.len());
        let start = range.start.min(end);
        let mut map = LexMap::build(syntax, &content[start..end]);
        for sp in &mut map.spans {
            sp.start += start;
            sp.end += start;
        }
        map.len = content.len();
        map
    }

    /// A map of `content` in which everything is code (for syntaxes without
    /// comments, or as a neutral default).
    pub fn all_code(content: &[u8]) -> LexMap {
        LexMap {
            len: content.len(),
            spans: Vec::new(),
        }
    }

    /// Length of the content the map was built from.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the content was empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn index_at(&self, offset: usize) -> Option<usize> {
        let i = self.spans.partition_point(|s| s.end <= offset);
        self.spans
            .get(i)
            .filter(|s| s.start <= offset && offset < s.end)
            .map(|_| i)
    }

    /// Class of the byte at `offset` (offsets past the end are code).
    pub fn class_at(&self, offset: usize) -> Class {
        self.index_at(offset)
            .map_or(Class::Code, |i| self.spans[i].class)
    }

    /// The comment, literal or heredoc holding `offset`, with its class; `None`
    /// for code. A literal with interpolation holes (`"a${b}c"`) is split in
    /// pieces around the holes, and this gives the piece.
    pub fn span_at(&self, offset: usize) -> Option<(Range<usize>, Class)> {
        self.index_at(offset).map(|i| {
            let s = &self.spans[i];
            (s.start..s.end, s.class)
        })
    }

    /// The raw spans, for scanners that walk them with a cursor.
    pub(crate) fn raw(&self) -> &[Span] {
        &self.spans
    }

    /// Whether the byte at `offset` is live code.
    pub fn is_code(&self, offset: usize) -> bool {
        self.class_at(offset) == Class::Code
    }

    /// Every non-code range in order, with its class.
    pub fn spans(&self) -> impl Iterator<Item = (Range<usize>, Class)> + '_ {
        self.spans.iter().map(|s| (s.start..s.end, s.class))
    }

    /// Non-code ranges overlapping `range`, in order.
    pub fn spans_in(
        &self,
        range: Range<usize>,
    ) -> impl Iterator<Item = (Range<usize>, Class)> + '_ {
        let first = self.spans.partition_point(|s| s.end <= range.start);
        self.spans[first..]
            .iter()
            .take_while(move |s| s.start < range.end)
            .map(|s| (s.start..s.end, s.class))
    }

    /// Every comment range in order.
    pub fn comment_ranges(&self) -> impl Iterator<Item = Range<usize>> + '_ {
        self.spans
            .iter()
            .filter(|s| s.class == Class::Comment)
            .map(|s| s.start..s.end)
    }

    /// Whether the line holding `offset` is a commented-out line: nothing but
    /// blanks before a comment (`# export X=…`, `    // .withEnv(…)`, a line
    /// inside a block comment). A code line with a trailing comment is not.
    pub fn is_commented_line(&self, content: &[u8], offset: usize) -> bool {
        let offset = offset.min(content.len());
        let start = line_start(content, offset);
        let first = skip_blanks(content, start);
        let end = line_end(content, offset);
        if first >= end {
            // A blank line is commented only when a block comment spans it.
            return start < end && self.class_at(start) == Class::Comment;
        }
        self.class_at(first) == Class::Comment
    }

    /// [`is_commented_line`](Self::is_commented_line) for a caller that
    /// knows where `offset`'s line starts: nothing after `offset` is read
    /// unless the line is blank up to it, so many offsets on one long line
    /// cost no rescans.
    pub fn is_commented_line_from(&self, content: &[u8], start: usize, offset: usize) -> bool {
        let offset = offset.min(content.len());
        let first = skip_blanks(content, start);
        match content.get(first) {
            Some(b) if first <= offset && *b != b'\n' && *b != b'\r' => {
                self.class_at(first) == Class::Comment
            }
            _ => self.is_commented_line(content, offset),
        }
    }

    /// A copy of `content[range]` with every comment byte replaced by a
    /// space (line breaks kept), so the copy has the same length and line
    /// structure and regexes over it see live code and literals only.
    pub fn blank_comments(&self, content: &[u8], range: Range<usize>) -> Vec<u8> {
        let end = range.end.min(content.len());
        let start = range.start.min(end);
        let mut out = content[start..end].to_vec();
        for r in self.comment_ranges_in(start..end) {
            let (a, b) = (r.start.max(start) - start, r.end.min(end) - start);
            for byte in &mut out[a..b] {
                if *byte != b'\n' && *byte != b'\r' {
                    *byte = b' ';
                }
            }
        }
        out
    }

    fn comment_ranges_in(&self, range: Range<usize>) -> impl Iterator<Item = Range<usize>> + '_ {
        self.spans_in(range)
            .filter(|(_, c)| *c == Class::Comment)
            .map(|(r, _)| r)
    }
}

#[cfg(test)]
mod tests;
