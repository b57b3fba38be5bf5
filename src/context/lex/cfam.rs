//! C-family scanner: `//` and `/* */` comments and the string literal forms
//! of Java, Kotlin, Groovy (Jenkinsfiles), Scala, Go, C#, JavaScript and
//! TypeScript, Rust, C/C++, and JSON with comments.

use super::{at, is_ident, line_end, utf8_len, Class, Sink, MAX_NEST};
use crate::context::Syntax;

/// Which literal forms a file has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavour {
    Java,
    Kotlin,
    Groovy,
    Scala,
    Go,
    CSharp,
    Js,
    Rust,
    C,
    Json,
}

impl Flavour {
    pub(crate) fn of(syntax: Syntax) -> Flavour {
        match syntax {
            Syntax::Kotlin => Flavour::Kotlin,
            Syntax::Groovy => Flavour::Groovy,
            Syntax::Scala => Flavour::Scala,
            Syntax::Go => Flavour::Go,
            Syntax::CSharp => Flavour::CSharp,
            Syntax::JavaScript => Flavour::Js,
            Syntax::Rust => Flavour::Rust,
            Syntax::C => Flavour::C,
            Syntax::Json => Flavour::Json,
            _ => Flavour::Java,
        }
    }

    fn nested_comments(self) -> bool {
        matches!(self, Flavour::Rust | Flavour::Scala | Flavour::Kotlin)
    }

    /// Whether `'` opens a character literal (else a string, or nothing).
    fn has_chars(self) -> bool {
        !matches!(self, Flavour::Groovy | Flavour::Js | Flavour::Json)
    }
}

/// How an interpolating literal ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Close {
    /// One quote byte; the literal also ends at a line break (unterminated).
    One(u8),
    /// Three quote bytes; may span lines.
    Three(u8),
}

/// What opens a code hole inside the literal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hole {
    /// `${…}` (Kotlin, Groovy, Scala, JS templates).
    Dollar,
    /// `{…}` with `{{` as an escape (C# `$"…"`).
    Brace,
}

#[derive(Debug)]
enum Frame {
    Code {
        depth: u32,
    },
    Str {
        close: Close,
        hole: Hole,
        escapes: bool,
        /// `""` is a quote inside (C# verbatim).
        doubled: bool,
        /// A one-quote literal that may span lines (JS templates, C# `$@"…"`).
        multiline: bool,
        seg: usize,
    },
}

/// JS keywords after which `/` starts a regular expression.
const REGEX_AFTER: &[&[u8]] = &[
    b"return",
    b"typeof",
    b"case",
    b"do",
    b"else",
    b"in",
    b"of",
    b"new",
    b"delete",
    b"void",
    b"throw",
    b"yield",
    b"await",
    b"instanceof",
];

/// Longest regular expression literal looked for; longer is read as division.
const MAX_REGEX: usize = 4096;

pub(crate) fn lex_c_family(s: &[u8], fl: Flavour, out: &mut Sink) {
    let end = s.len();
    let mut stack = vec![Frame::Code { depth: 0 }];
    let mut i = 0;
    // Last significant code byte and, if it ended an identifier, where that
    // identifier started: decides whether `/` is division or a regex (JS).
    let mut prev: u8 = 0;
    let mut prev_word: Option<usize> = None;
    // A shebang line (scripts in JS, Groovy, Kotlin script) is a comment.
    if s.starts_with(b"#!") {
        let le = line_end(s, 0);
        out.push(0, le, Class::Comment);
        i = le;
    }
    while i < end {
        let b = s[i];
        let Some(top) = stack.last_mut() else { break };
        if let Frame::Str {
            close,
            hole,
            escapes,
            doubled,
            multiline,
            seg,
        } = top
        {
            let (close, hole, escapes, doubled, multiline, seg0) =
                (*close, *hole, *escapes, *doubled, *multiline, *seg);
            match b {
                b'\\' if escapes => i += 2,
                b'\n' if matches!(close, Close::One(_)) && !multiline => {
                    out.push(seg0, i, Class::String);
                    stack.pop();
                    i += 1;
                }
                q if q == quote_of(close) => {
                    if doubled && at(s, i + 1) == q {
                        i += 2;
                        continue;
                    }
                    let len = match close {
                        Close::One(_) => 1,
                        Close::Three(_) => {
                            if at(s, i + 1) == q && at(s, i + 2) == q {
                                3
                            } else {
                                i += 1;
                                continue;
                            }
                        }
                    };
                    out.push(seg0, i + len, Class::String);
                    stack.pop();
                    i += len;
                    prev = b'"';
                    prev_word = None;
                }
                b'$' if hole == Hole::Dollar && at(s, i + 1) == b'{' => {
                    if stack.len() < MAX_NEST {
                        out.push(seg0, i, Class::String);
                        stack.push(Frame::Code { depth: 0 });
                    }
                    i += 2;
                }
                b'{' if hole == Hole::Brace => {
                    if at(s, i + 1) == b'{' {
                        i += 2;
                    } else {
                        if stack.len() < MAX_NEST {
                            out.push(seg0, i, Class::String);
                            stack.push(Frame::Code { depth: 0 });
                        }
                        i += 1;
                    }
                }
                _ => i += 1,
            }
            continue;
        }
        let in_hole = stack.len() > 1;
        match b {
            b'/' if at(s, i + 1) == b'/' => {
                let le = line_end(s, i);
                out.push(i, le, Class::Comment);
                i = le;
                continue;
            }
            b'/' if at(s, i + 1) == b'*' => {
                let close = block_comment_end(s, i, fl.nested_comments());
                out.push(i, close, Class::Comment);
                i = close;
                continue;
            }
            b'/' if fl == Flavour::Js && regex_allowed(s, prev, prev_word) => {
                if let Some(close) = regex_end(s, i) {
                    out.push(i, close, Class::String);
                    i = close;
                    prev = b'"';
                    prev_word = None;
                    continue;
                }
                i += 1;
            }
            b'{' if in_hole => {
                if let Some(Frame::Code { depth }) = stack.last_mut() {
                    *depth += 1;
                }
                i += 1;
            }
            b'}' if in_hole => {
                let d = match stack.last() {
                    Some(Frame::Code { depth }) => *depth,
                    _ => 0,
                };
                if d == 0 {
                    stack.pop();
                    if let Some(Frame::Str { seg, .. }) = stack.last_mut() {
                        *seg = i + 1;
                    }
                } else if let Some(Frame::Code { depth }) = stack.last_mut() {
                    *depth -= 1;
                }
                i += 1;
            }
            b'"' | b'\'' | b'`' | b'@' | b'$' => {
                match open_literal(s, i, fl, &mut stack, out) {
                    Some(next) => {
                        i = next;
                        prev = b'"';
                        prev_word = None;
                    }
                    None => {
                        i += 1;
                        prev = b;
                        prev_word = None;
                    }
                }
                continue;
            }
            b if is_ident(b) => {
                let start = i;
                while i < end && is_ident(s[i]) {
                    i += 1;
                }
                // Literal prefixes: Rust `r"`/`r#"`/`b"`/`br"`, C# none
                // (handled at `@`/`$`), Scala interpolators `s"…"`.
                let word = &s[start..i];
                if let Some(next) = prefixed_literal(s, start, i, word, fl, &mut stack, out) {
                    i = next;
                    prev = b'"';
                    prev_word = None;
                } else {
                    prev = b'a';
                    prev_word = Some(start);
                }
                continue;
            }
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            _ => {
                prev = b;
                prev_word = None;
                i += 1;
            }
        }
        if !matches!(b, b' ' | b'\t' | b'\r' | b'\n') {
            prev = b;
            prev_word = None;
        }
    }
    if let Some(Frame::Str { seg, .. }) = stack.last() {
        out.push(*seg, end, Class::String);
    }
}

fn quote_of(c: Close) -> u8 {
    match c {
        Close::One(q) | Close::Three(q) => q,
    }
}

/// End of the block comment opened at `i` (`/*`).
fn block_comment_end(s: &[u8], i: usize, nested: bool) -> usize {
    let mut depth = 0u32;
    let mut j = i;
    while j + 1 < s.len() {
        if s[j] == b'/' && s[j + 1] == b'*' {
            if depth == 0 || nested {
                depth += 1;
            }
            j += 2;
        } else if s[j] == b'*' && s[j + 1] == b'/' {
            depth -= 1;
            j += 2;
            if depth == 0 {
                return j;
            }
        } else {
            j += 1;
        }
    }
    s.len()
}

fn regex_allowed(s: &[u8], prev: u8, prev_word: Option<usize>) -> bool {
    if let Some(start) = prev_word {
        let mut j = start;
        while j < s.len() && is_ident(s[j]) {
            j += 1;
        }
        return REGEX_AFTER.contains(&&s[start..j]);
    }
    matches!(
        prev,
        0 | b'('
            | b','
            | b'='
            | b':'
            | b'['
            | b'!'
            | b'&'
            | b'|'
            | b'?'
            | b'{'
            | b'}'
            | b';'
            | b'+'
            | b'-'
            | b'*'
            | b'%'
            | b'<'
            | b'>'
            | b'~'
            | b'^'
    )
}

/// End (after flags) of the regex literal at `i`, or None when the `/`
/// is not one (no closing `/` on the line within the cap).
fn regex_end(s: &[u8], i: usize) -> Option<usize> {
    let limit = s.len().min(i + MAX_REGEX);
    let mut j = i + 1;
    let mut class = false;
    if at(s, j) == b'/' || at(s, j) == b'*' {
        return None;
    }
    while j < limit {
        match s[j] {
            b'\\' => j += 2,
            b'\n' => return None,
            b'[' => {
                class = true;
                j += 1;
            }
            b']' => {
                class = false;
                j += 1;
            }
            b'/' if !class => {
                j += 1;
                while j < s.len() && s[j].is_ascii_alphabetic() {
                    j += 1;
                }
                return Some(j);
            }
            _ => j += 1,
        }
    }
    None
}

/// Scans a plain (non-interpolating) literal from `i`; `quote` closes it.
fn plain_literal(
    s: &[u8],
    i: usize,
    open: usize,
    quote: u8,
    escapes: bool,
    multiline: bool,
) -> usize {
    let mut j = i + open;
    while j < s.len() {
        match s[j] {
            b'\\' if escapes => j += 2,
            b'\n' if !multiline => return j,
            b if b == quote => return j + 1,
            _ => j += 1,
        }
    }
    s.len()
}

/// Scans a literal closed by `n` repeated `quote`s (text blocks, raw strings).
fn triple_literal(s: &[u8], i: usize, quote: u8, n: usize, escapes: bool) -> usize {
    let mut j = i + n;
    while j < s.len() {
        if escapes && s[j] == b'\\' {
            j += 2;
            continue;
        }
        if s[j] == quote && s[j..].iter().take(n).all(|&b| b == quote) && j + n <= s.len() {
            // A longer run ends with the last `n` quotes (`""""` in Kotlin).
            let mut k = j + n;
            while at(s, k) == quote {
                k += 1;
            }
            return k;
        }
        j += 1;
    }
    s.len()
}

/// Character literal at `i` (`'x'`, `'\n'`, `'\u{1F600}'`) or None for a
/// lifetime/label/symbol (`'a`, `'static`).
fn char_literal(s: &[u8], i: usize) -> Option<usize> {
    let n = at(s, i + 1);
    if n == b'\\' {
        let limit = s.len().min(i + 16);
        let mut j = i + 3;
        while j < limit {
            if s[j] == b'\'' {
                return Some(j + 1);
            }
            if s[j] == b'\n' {
                return None;
            }
            j += 1;
        }
        return None;
    }
    if n == b'\n' || n == 0 {
        return None;
    }
    let after = i + 1 + utf8_len(n);
    (at(s, after) == b'\'').then_some(after + 1)
}

/// Length of the run of `q` at `i`, counted up to 256: only the opening
/// runs of raw strings need a count, and a cap keeps a file of quotes linear.
fn run_of(s: &[u8], i: usize, q: u8) -> usize {
    s[i.min(s.len())..]
        .iter()
        .take(256)
        .take_while(|&&b| b == q)
        .count()
}

/// Pushes an interpolating literal frame unless the nesting cap is reached.
fn push_str(
    stack: &mut Vec<Frame>,
    close: Close,
    hole: Hole,
    flags: (bool, bool, bool),
    seg: usize,
) -> bool {
    if stack.len() >= MAX_NEST {
        return false;
    }
    let (escapes, doubled, multiline) = flags;
    stack.push(Frame::Str {
        close,
        hole,
        escapes,
        doubled,
        multiline,
        seg,
    });
    true
}

/// Opens the literal at `i` (a quote, backtick, or C# `@`/`$` prefix);
/// returns where scanning resumes, or None when `i` starts no literal.
fn open_literal(
    s: &[u8],
    i: usize,
    fl: Flavour,
    stack: &mut Vec<Frame>,
    out: &mut Sink,
) -> Option<usize> {
    let b = s[i];
    let direct = |out: &mut Sink, e: usize| {
        out.push(i, e, Class::String);
        Some(e)
    };
    match (fl, b) {
        (Flavour::Json, b'"') => direct(out, plain_literal(s, i, 1, b'"', true, false)),
        (Flavour::Json, _) => None,
        (Flavour::CSharp, b'@' | b'$') => {
            // `@"…"`, `$"…"`, `$@"…"`, `@$"…"`, `"""…"""` with prefixes.
            let mut j = i;
            let (mut verbatim, mut interp) = (false, false);
            while j < i + 3 && matches!(at(s, j), b'@' | b'$') {
                verbatim |= s[j] == b'@';
                interp |= s[j] == b'$';
                j += 1;
            }
            if at(s, j) != b'"' {
                return None;
            }
            let run = run_of(s, j, b'"');
            if run >= 3 {
                return direct(out, triple_literal(s, j, b'"', run, false));
            }
            if interp {
                let flags = if verbatim {
                    (false, true, true)
                } else {
                    (true, false, false)
                };
                return push_str(stack, Close::One(b'"'), Hole::Brace, flags, i).then_some(j + 1);
            }
            // `@"…"`: no escapes, `""` for a quote, may span lines.
            let mut k = j + 1;
            while k < s.len() {
                if s[k] == b'"' {
                    if at(s, k + 1) == b'"' {
                        k += 2;
                        continue;
                    }
                    k += 1;
                    return direct(out, k);
                }
                k += 1;
            }
            direct(out, s.len())
        }
        (_, b'@' | b'$') => None,
        (Flavour::Go, b'`') => direct(
            out,
            memchr::memchr(b'`', &s[i + 1..]).map_or(s.len(), |p| i + p + 2),
        ),
        (Flavour::Js, b'`') => push_str(
            stack,
            Close::One(b'`'),
            Hole::Dollar,
            (true, false, true),
            i,
        )
        .then_some(i + 1),
        (_, b'`') => None,
        (_, b'\'') if fl.has_chars() => {
            let e = char_literal(s, i)?;
            direct(out, e)
        }
        (Flavour::Groovy, b'\'') if run_of(s, i, b'\'') >= 3 => {
            direct(out, triple_literal(s, i, b'\'', 3, true))
        }
        (_, b'\'') => direct(out, plain_literal(s, i, 1, b'\'', true, false)),
        (_, b'"') => {
            let triple = run_of(s, i, b'"') >= 3;
            // Scala interpolates only with an interpolator prefix
            // (handled in `prefixed_literal`).
            let interpolates = matches!(fl, Flavour::Kotlin | Flavour::Groovy);
            match (triple, interpolates) {
                // Kotlin raw strings have no escapes; Groovy GStrings do.
                (true, true) => push_str(
                    stack,
                    Close::Three(b'"'),
                    Hole::Dollar,
                    (fl == Flavour::Groovy, false, true),
                    i,
                )
                .then_some(i + 3),
                (false, true) => push_str(
                    stack,
                    Close::One(b'"'),
                    Hole::Dollar,
                    (true, false, false),
                    i,
                )
                .then_some(i + 1),
                // Java text blocks and Scala/C# raw triple strings.
                (true, false) => direct(out, triple_literal(s, i, b'"', 3, fl == Flavour::Java)),
                // Rust string literals may span lines; the others end there.
                (false, false) => {
                    direct(out, plain_literal(s, i, 1, b'"', true, fl == Flavour::Rust))
                }
            }
        }
        _ => None,
    }
}

/// Literals introduced by an identifier prefix ending at `i`.
fn prefixed_literal(
    s: &[u8],
    start: usize,
    i: usize,
    word: &[u8],
    fl: Flavour,
    stack: &mut Vec<Frame>,
    out: &mut Sink,
) -> Option<usize> {
    let next = at(s, i);
    match fl {
        Flavour::Rust => {
            let raw = matches!(word, b"r" | b"br" | b"cr");
            if raw && (next == b'"' || next == b'#') {
                let hashes = run_of(s, i, b'#');
                if at(s, i + hashes) != b'"' {
                    return None;
                }
                // Ends at `"` followed by the same number of `#`.
                let mut j = i + hashes + 1;
                while j < s.len() {
                    if s[j] == b'"' && run_of(s, j + 1, b'#') >= hashes {
                        let e = j + 1 + hashes;
                        out.push(start, e, Class::String);
                        return Some(e);
                    }
                    j += 1;
                }
                out.push(start, s.len(), Class::String);
                return Some(s.len());
            }
            if matches!(word, b"b" | b"c") && next == b'"' {
                let e = plain_literal(s, i, 1, b'"', true, true);
                out.push(start, e, Class::String);
                return Some(e);
            }
            if word == b"b" && next == b'\'' {
                let e = char_literal(s, i)?;
                out.push(start, e, Class::String);
                return Some(e);
            }
            None
        }
        Flavour::Scala if next == b'"' => {
            // `s"…${x}…"`, `f"…"`, `raw"…"`: any identifier prefix interpolates.
            let triple = run_of(s, i, b'"') >= 3;
            let close = if triple {
                Close::Three(b'"')
            } else {
                Close::One(b'"')
            };
            push_str(stack, close, Hole::Dollar, (!triple, false, triple), start)
                .then_some(i + if triple { 3 } else { 1 })
        }
        _ => None,
    }
}
