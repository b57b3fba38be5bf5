//! Code call context: for an offset in program code, the calls, subscripts,
//! literals and statement around it.
//!
//! Reported: every enclosing bracket (innermost first) with its kind (call,
//! subscript, brace, list, tuple), the name before it (`withEnv`,
//! `System.getenv`, `os.environ.get`, `[Environment]::SetEnvironmentVariable`,
//! `testcontainers.WithEnv`, `map[string]string`), its arguments' spans, the
//! argument holding the offset, key/value entries (`"k": v`, `k = v`,
//! `"k" to v`, `k => v`, `k -> v`, named arguments `variable: 'X'`), the
//! statement or builder chain holding it (`new X(…)\n  .withEnv(…)\n  .withY();`)
//! and its assignment (`env["X"] = …`, `$env:X = …`, `key := os.Getenv(…)`).
//!
//! Scanning is comment- and string-aware (it reads the [`LexMap`]),
//! bracket-balanced, and bounded: at most [`MAX_SCAN`] bytes before and
//! after the offset and [`MAX_LEVELS`] enclosing brackets are looked at, so
//! a query costs the same in a huge file as in a small one. Nothing is built
//! per file.

use super::lex::{is_ident, Class, LexMap};
use super::Syntax;
use std::ops::Range;

/// Bytes scanned on each side of the offset.
pub const MAX_SCAN: usize = 64 * 1024;
/// Enclosing brackets followed outward.
pub const MAX_LEVELS: usize = 32;
/// Bytes a lookbehind for a name or a continuation may take.
const MAX_PEEK: usize = 4096;

/// What an enclosing bracket is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `name(…)`.
    Call,
    /// `target[…]`.
    Subscript,
    /// `{…}`: a map/object literal or a code block (see [`Enclosure::is_block`]).
    Brace,
    /// `[…]` not after a value: a list literal.
    List,
    /// `(…)` not after a name: a tuple or grouping.
    Tuple,
}

/// A key/value entry (`"k": v`, `k = v`, `"k" to v`, `k => v`, `k -> v`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The key (trimmed).
    pub key: Range<usize>,
    /// The value (trimmed).
    pub value: Range<usize>,
    /// The separator as written.
    pub sep: String,
}

/// An enclosing bracket.
#[derive(Debug, Clone)]
pub struct Enclosure {
    /// What it is.
    pub kind: Kind,
    /// Index of the opening bracket.
    pub open: usize,
    /// Index of the closing bracket, when found within the scan bounds.
    pub close: Option<usize>,
    /// The name before it: call name, subscript target, brace type prefix;
    /// for a block after a call (`withCredentials(…) {`), that call's name.
    pub name: Option<String>,
    /// Where the name is.
    pub name_span: Option<Range<usize>>,
    /// `new X(…)`.
    pub constructor: bool,
    /// A method called on the value before it (`…)\n  .withEnv(`): the
    /// name had a leading `.` (dropped from [`Enclosure::name`]).
    pub chained: bool,
    /// Argument (or element, or entry) spans, trimmed, split at top-level commas.
    pub args: Vec<Range<usize>>,
    /// The argument holding the offset.
    pub arg_index: Option<usize>,
    /// Entries of the arguments that are `key sep value`, in order.
    pub entries: Vec<Entry>,
    /// The entry holding the offset, and whether the offset is in its key.
    pub entry: Option<(Entry, bool)>,
    /// For a brace: whether it reads as a code block rather than a literal.
    pub is_block: bool,
}

impl Enclosure {
    /// The name's last component (`System.getenv` → `getenv`,
    /// `[Environment]::SetEnvironmentVariable` → `SetEnvironmentVariable`).
    pub fn short_name(&self) -> Option<&str> {
        let n = self.name.as_deref()?;
        Some(
            n.rsplit(['.', ':'])
                .next()
                .unwrap_or(n)
                .trim_end_matches('!'),
        )
    }
}

/// An assignment: `target op value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// The target (trimmed).
    pub target: Range<usize>,
    /// The value (trimmed).
    pub value: Range<usize>,
    /// `=`, `:=`, `+=`, `?=`, `||=`…
    pub op: String,
    /// Whether the offset is in the target.
    pub in_target: bool,
}

/// The code context of one offset.
#[derive(Debug, Clone)]
pub struct CodeSite {
    /// The offset asked about.
    pub offset: usize,
    /// Its lexical class.
    pub class: Class,
    /// The literal, identifier or member path at the offset.
    pub token: Range<usize>,
    /// Enclosing brackets, innermost first.
    pub enclosures: Vec<Enclosure>,
    /// The statement or builder chain holding the offset.
    pub statement: Range<usize>,
    /// The statement's assignment, if it is one.
    pub assignment: Option<Assignment>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum SepKind {
    Assign,
    Entry,
}

#[derive(Debug, Default)]
struct Level {
    open: Option<usize>,
    close: Option<usize>,
    commas: Vec<usize>,
    /// (position, length, kind) of separators at this level's depth 0.
    seps: Vec<(usize, usize, SepKind)>,
    /// Nearest statement boundary before the inner content.
    back_boundary: Option<usize>,
    /// First statement boundary after it: (position, whether it belongs to
    /// the statement, as a `;` does).
    fwd_boundary: Option<(usize, bool)>,
    semis: bool,
}

/// Keywords that take a parenthesised condition, not calls.
const NOT_CALLS: &[&str] = &[
    "if",
    "for",
    "while",
    "switch",
    "catch",
    "return",
    "and",
    "or",
    "not",
    "in",
    "elif",
    "when",
    "synchronized",
    "foreach",
    "using",
    "lock",
    "fixed",
    "match",
    "yield",
    "await",
    "assert",
    "print",
    "sizeof",
    "typeof",
    "else",
    "do",
    "with",
    "lambda",
    "throw",
    "case",
];

/// Keywords after which a brace opens a block.
const BLOCK_AFTER: &[&str] = &[
    "else", "try", "finally", "do", "static", "unsafe", "loop", "async", "default",
];

fn newline_terminated(syntax: Syntax) -> bool {
    !matches!(
        syntax,
        Syntax::Java
            | Syntax::CSharp
            | Syntax::C
            | Syntax::Rust
            | Syntax::Perl
            | Syntax::Json
            | Syntax::Nix
    )
}

struct Scan<'a> {
    s: &'a [u8],
    lex: &'a LexMap,
    nl_stmt: bool,
    lo: usize,
    hi: usize,
}

impl Scan<'_> {
    /// The non-code span holding `p`, if any.
    fn skip(&self, p: usize) -> Option<Range<usize>> {
        self.lex.span_at(p).map(|(r, _)| r)
    }

    /// Last code byte before `p` (blanks and comments skipped), if near.
    fn prev_code(&self, p: usize) -> Option<(usize, u8)> {
        let stop = p.saturating_sub(MAX_PEEK).max(self.lo);
        let mut q = p;
        while q > stop {
            q -= 1;
            if let Some(r) = self.skip(q) {
                if self.lex.class_at(q) == Class::Comment {
                    q = r.start;
                    continue;
                }
                return Some((q, b'"'));
            }
            let b = self.s[q];
            if !matches!(b, b' ' | b'\t' | b'\r') {
                return Some((q, b));
            }
        }
        None
    }

    /// First code byte at or after `p` (blanks, line breaks and comments
    /// skipped), if near.
    fn next_code(&self, p: usize) -> Option<(usize, u8)> {
        let stop = (p + MAX_PEEK).min(self.hi);
        let mut q = p;
        while q < stop {
            if let Some(r) = self.skip(q) {
                if self.lex.class_at(q) == Class::Comment {
                    q = r.end;
                    continue;
                }
                return Some((q, b'"'));
            }
            let b = self.s[q];
            if !b.is_ascii_whitespace() {
                return Some((q, b));
            }
            q += 1;
        }
        None
    }

    /// Whether the line break at `nl` ends a statement.
    fn ends_statement(&self, nl: usize) -> bool {
        if !self.nl_stmt {
            return false;
        }
        let before = self.prev_code(nl).map(|(_, b)| b);
        if matches!(
            before,
            Some(
                b'.' | b','
                    | b'('
                    | b'['
                    | b'{'
                    | b'='
                    | b'+'
                    | b'-'
                    | b'*'
                    | b'/'
                    | b'%'
                    | b'&'
                    | b'|'
                    | b'\\'
                    | b'?'
                    | b':'
                    | b'<'
                    | b'>'
                    | b'!'
                    | b'^'
                    | b'~'
                    | b'`'
            )
        ) || before.is_none()
        {
            return before.is_some();
        }
        let after = self.next_code(nl + 1);
        match after {
            None => true,
            Some((q, b)) => {
                let n = self.s.get(q + 1).copied().unwrap_or(0);
                !(matches!(b, b'.' | b')' | b']' | b'}' | b'?' | b',')
                    || (b == b'&' && n == b'&')
                    || (b == b'|' && n == b'|')
                    || (b == b':' && n != b':'))
            }
        }
    }

    /// A separator at `p` (code, depth 0): kind and length.
    fn sep_at(&self, p: usize) -> Option<(usize, usize, SepKind)> {
        let s = self.s;
        let b = s[p];
        let at = |i: usize| s.get(i).copied().unwrap_or(0);
        let prev = if p > 0 { s[p - 1] } else { 0 };
        match b {
            b'=' => {
                let next = at(p + 1);
                if next == b'>' {
                    return Some((p, 2, SepKind::Entry));
                }
                if matches!(next, b'=' | b'~') || matches!(prev, b'=' | b'!' | b'<' | b'>') {
                    return None;
                }
                // Compound assignments start at their operator.
                if matches!(
                    prev,
                    b'+' | b'-' | b'*' | b'/' | b'%' | b'&' | b'|' | b'^' | b'?' | b':' | b'.'
                ) {
                    let start = if p >= 2
                        && matches!(
                            (s[p - 2], prev),
                            (b'|', b'|')
                                | (b'&', b'&')
                                | (b'?', b'?')
                                | (b'*', b'*')
                                | (b'/', b'/')
                        ) {
                        p - 2
                    } else {
                        p - 1
                    };
                    return Some((start, p + 1 - start, SepKind::Assign));
                }
                Some((p, 1, SepKind::Assign))
            }
            b':' => {
                let next = at(p + 1);
                if next == b':' || prev == b':' || next == b'=' || prev == b'?' {
                    return None;
                }
                Some((p, 1, SepKind::Entry))
            }
            b'-' if at(p + 1) == b'>' => Some((p, 2, SepKind::Entry)),
            b't' if at(p + 1) == b'o'
                && prev.is_ascii_whitespace()
                && at(p + 2).is_ascii_whitespace() =>
            {
                Some((p, 2, SepKind::Entry))
            }
            _ => None,
        }
    }

    /// Records what a depth-0 byte at `p` means for `level` (both passes).
    fn note(&self, level: &mut Level, p: usize, forward: bool) {
        let b = self.s[p];
        match b {
            b',' => level.commas.push(p),
            b';' => {
                level.semis = true;
                if forward {
                    level.fwd_boundary.get_or_insert((p, true));
                } else {
                    level.back_boundary.get_or_insert(p);
                }
            }
            b'\n' if self.ends_statement(p) => {
                if forward {
                    level.fwd_boundary.get_or_insert((p, false));
                } else {
                    level.back_boundary.get_or_insert(p);
                }
            }
            _ => {
                if let Some(sep) = self.sep_at(p) {
                    // A compound operator is seen at its last byte going back.
                    if !level.seps.iter().any(|&(q, l, _)| q <= p && p < q + l) {
                        level.seps.push(sep);
                    }
                }
            }
        }
    }
}

/// Name before an opener at `open`: (span, text, preceded by `new`).
fn name_before(sc: &Scan<'_>, open: usize, brace: bool) -> Option<(Range<usize>, bool)> {
    let s = sc.s;
    let mut e = open;
    let floor = open.saturating_sub(MAX_PEEK);
    while e > floor && matches!(s[e - 1], b' ' | b'\t') {
        e -= 1;
    }
    let mut st = e;
    // Generic arguments: `Foo<Bar>(`, `List.<String>of(`.
    if st > floor && s[st - 1] == b'>' && !(st >= 2 && s[st - 2] == b'-') && !brace {
        let mut depth = 0u32;
        let mut q = st;
        while q > floor {
            q -= 1;
            match s[q] {
                b'>' => depth += 1,
                b'<' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                b'(' | b')' | b';' | b'{' | b'}' | b'\n' => return None,
                _ => {}
            }
        }
        st = q;
        e = q;
    }
    while st > floor {
        let b = s[st - 1];
        if sc.lex.class_at(st - 1) != Class::Code {
            break;
        }
        if is_ident(b) || matches!(b, b'.' | b'$' | b'@' | b'!') {
            st -= 1;
        } else if b == b':' && st >= 2 && s[st - 2] == b':' {
            st -= 2;
        } else if b == b':' && st >= 2 && is_ident(s[st - 2]) && s[..st - 1].ends_with(b"env") {
            // PowerShell `$env:NAME`.
            st -= 1;
        } else if b == b'>' && st >= 2 && s[st - 2] == b'-' {
            st -= 2;
        } else if b == b'?' && s.get(st) == Some(&b'.') {
            st -= 1;
        } else if b == b']' && (s[st..e].starts_with(b"::") || brace) {
            // `[Environment]::X`, Go `map[string]string{`.
            match s[floor..st - 1].iter().rposition(|&c| c == b'[') {
                Some(q) => st = floor + q,
                None => break,
            }
        } else {
            break;
        }
    }
    if st >= e {
        return None;
    }
    let name = &s[st..e];
    if name.iter().all(|&c| c == b'.' || c == b'!' || c == b'$') {
        return None;
    }
    // `new X(`: look at the word before.
    let mut q = st;
    while q > floor && matches!(s[q - 1], b' ' | b'\t') {
        q -= 1;
    }
    let word_end = q;
    while q > floor && is_ident(s[q - 1]) {
        q -= 1;
    }
    let constructor = &s[q..word_end] == b"new";
    Some((st..e, constructor))
}

/// The word before position `p` (after blanks), for keyword checks.
fn word_before(s: &[u8], p: usize) -> &[u8] {
    let mut e = p;
    while e > 0 && matches!(s[e - 1], b' ' | b'\t' | b'\r' | b'\n') {
        e -= 1;
    }
    let mut st = e;
    while st > 0 && is_ident(s[st - 1]) {
        st -= 1;
    }
    &s[st..e]
}

fn trim(s: &[u8], r: Range<usize>) -> Range<usize> {
    let (mut a, mut b) = (r.start, r.end.min(s.len()));
    while a < b && s[a].is_ascii_whitespace() {
        a += 1;
    }
    while b > a && s[b - 1].is_ascii_whitespace() {
        b -= 1;
    }
    a..b
}

impl CodeSite {
    /// Analyses `offset` of `content` read as `syntax`, with its lexical map.
    pub fn at(syntax: Syntax, content: &[u8], lex: &LexMap, offset: usize) -> CodeSite {
        let s = content;
        let offset = offset.min(s.len());
        let class = lex.class_at(offset);
        let token = token_at(s, lex, offset);
        let mut site = CodeSite {
            offset,
            class,
            token: token.clone(),
            enclosures: Vec::new(),
            statement: token.clone(),
            assignment: None,
        };
        if matches!(class, Class::Comment | Class::Heredoc | Class::Docstring) || s.is_empty() {
            return site;
        }
        let sc = Scan {
            s,
            lex,
            nl_stmt: newline_terminated(syntax),
            lo: offset.saturating_sub(MAX_SCAN),
            hi: (offset + MAX_SCAN).min(s.len()),
        };

        // Backward: find the unmatched openers, noting depth-0 bytes per level.
        let mut levels: Vec<Level> = vec![Level::default()];
        let mut depth = 0u32;
        let mut p = token.start;
        let mut next: u8 = s.get(token.start).copied().unwrap_or(0);
        // A cursor over the non-code spans: the scan moves monotonically,
        // so no lookup per byte.
        let spans = lex.raw();
        let mut k = spans.partition_point(|sp| sp.start < p);
        // Brace levels that look like code blocks; past the second one the
        // statement is long settled and further levels are not needed.
        let mut blocks = 0;
        while p > sc.lo && levels.len() <= MAX_LEVELS && blocks < 2 {
            p -= 1;
            while k > 0 && spans[k - 1].start > p {
                k -= 1;
            }
            if k > 0 && spans[k - 1].start <= p && p < spans[k - 1].end {
                p = spans[k - 1].start;
                next = b'"';
                continue;
            }
            let b = s[p];
            match b {
                b')' | b']' => depth += 1,
                b'}' => {
                    if depth == 0 && !matches!(next, b'.' | b')' | b',' | b']' | b'?') {
                        if let Some(l) = levels.last_mut() {
                            l.back_boundary.get_or_insert(p);
                        }
                    }
                    depth += 1;
                }
                b'(' | b'[' | b'{' => {
                    if depth == 0 {
                        if let Some(l) = levels.last_mut() {
                            l.open = Some(p);
                        }
                        if b == b'{' && looks_like_block(&sc, p) {
                            blocks += 1;
                        }
                        levels.push(Level::default());
                    } else {
                        depth -= 1;
                    }
                }
                _ if depth == 0 => {
                    if let Some(l) = levels.last_mut() {
                        sc.note(l, p, false);
                    }
                }
                _ => {}
            }
            if !b.is_ascii_whitespace() {
                next = b;
            }
        }
        // The last level is the region outside every found opener.
        let top_reached = p <= sc.lo;
        let real = levels.iter().filter(|l| l.open.is_some()).count();

        // Forward: find the closers, level by level, and the statement end.
        let mut cur = 0usize;
        let mut depth = 0u32;
        let mut p = token.end;
        let mut statement_level: Option<usize> = None;
        let mut k = spans.partition_point(|sp| sp.end <= p);
        while p < sc.hi {
            while k < spans.len() && spans[k].end <= p {
                k += 1;
            }
            if k < spans.len() && spans[k].start <= p {
                p = spans[k].end.max(p + 1);
                continue;
            }
            let b = s[p];
            match b {
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' => {
                    if depth == 0 {
                        if cur < real {
                            levels[cur].close = Some(p);
                            if is_block_level(&sc, &levels[cur]) {
                                statement_level = Some(cur);
                                break;
                            }
                            cur += 1;
                        } else {
                            // An unmatched closer beyond the scan start.
                            levels[cur].fwd_boundary.get_or_insert((p, false));
                            break;
                        }
                    } else {
                        depth -= 1;
                    }
                }
                _ if depth == 0 => sc.note(&mut levels[cur], p, true),
                _ => {}
            }
            if cur == real && levels[cur].fwd_boundary.is_some() {
                break;
            }
            p += 1;
        }
        // A level whose close was not reached may still be a block by what
        // was seen (a `;` in it).
        let sl = statement_level.unwrap_or_else(|| {
            (0..real)
                .find(|&i| {
                    levels[i].close.is_none()
                        && levels[i].semis
                        && opener(s, &levels[i]) == Some(b'{')
                })
                .unwrap_or(real)
        });

        // Enclosures.
        for i in 0..real {
            let anchor = if i == 0 {
                offset
            } else {
                levels[i - 1].open.unwrap_or(offset)
            };
            site.enclosures.push(enclosure(&sc, &levels[i], anchor));
        }

        // Statement span.
        let lv = &levels[sl];
        let start = match (lv.back_boundary, lv.open) {
            (Some(b), _) => b + 1,
            (None, Some(o)) => o + 1,
            (None, None) if top_reached && sc.lo > 0 => sc.lo,
            (None, None) => 0,
        };
        let end = match (lv.fwd_boundary, lv.close) {
            (Some((b, incl)), _) => b + usize::from(incl),
            (None, Some(c)) => c,
            (None, None) => p.min(s.len()),
        };
        let stmt = trim(s, start.min(end)..end);
        site.statement = stmt.clone();
        // The assignment of the statement: its first assignment operator.
        let mut seps: Vec<(usize, usize, SepKind)> = lv
            .seps
            .iter()
            .copied()
            .filter(|&(q, _, k)| k == SepKind::Assign && stmt.contains(&q))
            .collect();
        seps.sort_unstable();
        if let Some(&(q, len, _)) = seps.first() {
            let target = trim(s, stmt.start..q);
            let value = trim(s, q + len..stmt.end);
            let value = match s.get(value.end.wrapping_sub(1)) {
                Some(b';') => trim(s, value.start..value.end - 1),
                _ => value,
            };
            site.assignment = Some(Assignment {
                in_target: target.contains(&offset) || (target.end == offset && !target.is_empty()),
                op: String::from_utf8_lossy(&s[q..q + len]).into_owned(),
                target,
                value,
            });
        }
        site
    }

    /// The innermost enclosing call.
    pub fn call(&self) -> Option<&Enclosure> {
        self.enclosures.iter().find(|e| e.kind == Kind::Call)
    }

    /// Enclosing calls, innermost first.
    pub fn calls(&self) -> impl Iterator<Item = &Enclosure> {
        self.enclosures.iter().filter(|e| e.kind == Kind::Call)
    }

    /// The innermost enclosing subscript (`os.environ["X"]`).
    pub fn subscript(&self) -> Option<&Enclosure> {
        self.enclosures
            .first()
            .filter(|e| e.kind == Kind::Subscript)
    }

    /// The innermost entry holding the offset (`"X": v`, `"X" to v`).
    pub fn entry(&self) -> Option<(&Entry, bool)> {
        self.enclosures
            .iter()
            .find_map(|e| e.entry.as_ref().map(|(en, k)| (en, *k)))
    }

    /// Whether the offset is in the target of an assignment.
    pub fn is_assignment_target(&self) -> bool {
        self.assignment.as_ref().is_some_and(|a| a.in_target)
    }
}

fn opener(s: &[u8], l: &Level) -> Option<u8> {
    l.open.and_then(|o| s.get(o).copied())
}

/// A quick guess, from what precedes it, that the brace at `open` opens a
/// code block (`) {`, `else {`, `class X {`, `steps {`).
fn looks_like_block(sc: &Scan<'_>, open: usize) -> bool {
    match sc.prev_code(open) {
        Some((_, b')')) => true,
        Some((q, b)) if is_ident(b) => {
            let w = word_before(sc.s, q + 1);
            BLOCK_AFTER.iter().any(|k| k.as_bytes() == w)
                || !matches!(
                    sc.prev_code(q + 1 - w.len()).map(|(_, c)| c),
                    Some(b'=' | b'(' | b',' | b':' | b'[')
                )
        }
        _ => false,
    }
}

/// Whether a brace level reads as a code block.
fn is_block_level(sc: &Scan<'_>, l: &Level) -> bool {
    let Some(open) = l.open else { return false };
    if sc.s.get(open) != Some(&b'{') {
        return false;
    }
    let before = sc.prev_code(open).map(|(_, b)| b);
    if matches!(before, Some(b')' | b'>'))
        || BLOCK_AFTER
            .iter()
            .any(|k| k.as_bytes() == word_before(sc.s, open))
    {
        return true;
    }
    if matches!(before, Some(b'=' | b'(' | b',' | b':' | b'[' | b'"' | b'?')) || before.is_none() {
        // `= {…}`, `f({…})`: a literal unless it holds statements.
        return l.semis;
    }
    if l.semis {
        return true;
    }
    let entry_colon = l
        .seps
        .iter()
        .any(|&(q, _, k)| k == SepKind::Entry && sc.s[q] == b':');
    if !l.commas.is_empty() || entry_colon {
        return false;
    }
    // `environment { X = y }` (Groovy DSL, Kotlin lambdas): statements.
    l.seps.iter().any(|&(_, _, k)| k == SepKind::Assign) || before.is_some_and(is_ident)
}

fn enclosure(sc: &Scan<'_>, l: &Level, anchor: usize) -> Enclosure {
    let s = sc.s;
    let open = l.open.unwrap_or(0);
    let ob = s.get(open).copied().unwrap_or(b'(');
    let brace = ob == b'{';
    let named = name_before(sc, open, brace);
    let before = sc.prev_code(open);
    let (kind, name) = match ob {
        b'(' => match &named {
            Some((r, _)) if !NOT_CALLS.iter().any(|k| k.as_bytes() == &s[r.clone()]) => {
                (Kind::Call, named.clone())
            }
            _ if matches!(before, Some((_, b')' | b']'))) => (Kind::Call, None),
            _ => (Kind::Tuple, None),
        },
        b'[' => match before {
            Some((_, b)) if is_ident(b) || matches!(b, b')' | b']' | b'"' | b'\'') => {
                let kw = named.as_ref().is_some_and(|(r, _)| {
                    matches!(
                        &s[r.clone()],
                        b"return" | b"in" | b"yield" | b"case" | b"of"
                    )
                });
                if kw {
                    (Kind::List, None)
                } else {
                    (Kind::Subscript, named.clone())
                }
            }
            _ => (Kind::List, None),
        },
        _ => {
            // A block after a call takes the call's name (`withCredentials(…) {`).
            let call_name = match before {
                Some((q, b')')) => {
                    let mut depth = 0u32;
                    let mut k = q + 1;
                    let floor = q.saturating_sub(MAX_PEEK);
                    let mut found = None;
                    while k > floor {
                        k -= 1;
                        if sc.skip(k).is_some() {
                            continue;
                        }
                        match s[k] {
                            b')' => depth += 1,
                            b'(' => {
                                depth -= 1;
                                if depth == 0 {
                                    found = name_before(sc, k, false);
                                    break;
                                }
                            }
                            _ => {}
                        }
                    }
                    found
                }
                _ => None,
            };
            (Kind::Brace, call_name.or(named.clone()))
        }
    };
    // Arguments between the brackets (or up to what was scanned).
    let inner_end = l.close.unwrap_or_else(|| anchor.max(open + 1));
    let mut commas = l.commas.clone();
    commas.sort_unstable();
    let mut bounds = vec![open + 1];
    for &c in &commas {
        bounds.push(c);
        bounds.push(c + 1);
    }
    bounds.push(inner_end);
    let mut args = Vec::new();
    for pair in bounds.chunks(2) {
        if let [a, b] = pair {
            let r = trim(s, *a..(*b).max(*a));
            if !r.is_empty() || !commas.is_empty() {
                args.push(r);
            }
        }
    }
    let arg_index = args
        .iter()
        .position(|r| r.start <= anchor && anchor < r.end.max(r.start + 1));
    let mut seps: Vec<(usize, usize, SepKind)> = l.seps.clone();
    seps.sort_unstable();
    let entries: Vec<Entry> = args
        .iter()
        .filter_map(|r| {
            let &(q, len, _) = seps.iter().find(|&&(q, _, _)| r.contains(&q))?;
            Some(Entry {
                key: trim(s, r.start..q),
                value: trim(s, q + len..r.end),
                sep: String::from_utf8_lossy(&s[q..q + len]).into_owned(),
            })
        })
        .collect();
    let entry = arg_index.and_then(|i| {
        let r = &args[i];
        entries
            .iter()
            .find(|e| {
                e.key.start >= r.start
                    && e.value.end <= r.end.max(e.value.end)
                    && e.key.start < r.end
            })
            .map(|e| (e.clone(), e.key.contains(&anchor) || (anchor < e.key.end)))
    });
    let is_block = kind == Kind::Brace && is_block_level(sc, l);
    // `.withEnv(` / `?.let {`: drop the leading member operator.
    let name = name.map(|(r, c)| {
        let lead = s[r.clone()]
            .iter()
            .take_while(|&&b| b == b'.' || b == b'?')
            .count();
        (r.start + lead..r.end, c, lead > 0)
    });
    Enclosure {
        kind,
        open,
        close: l.close,
        name: name
            .as_ref()
            .map(|(r, _, _)| String::from_utf8_lossy(&s[r.clone()]).into_owned()),
        name_span: name.as_ref().map(|(r, _, _)| r.clone()),
        constructor: name.as_ref().is_some_and(|(_, c, _)| *c),
        chained: name.as_ref().is_some_and(|(_, _, d)| *d),
        args,
        arg_index,
        entries,
        entry,
        is_block,
    }
}

/// The token at `offset`: the literal holding it, or the identifier/member
/// path (`os.environ`, `$env:X`, `System.getenv`) around it.
fn token_at(s: &[u8], lex: &LexMap, offset: usize) -> Range<usize> {
    if let Some((r, _)) = lex.span_at(offset) {
        return r;
    }
    if offset >= s.len() {
        return s.len()..s.len();
    }
    let part = |b: u8| is_ident(b) || matches!(b, b'$' | b'@');
    if !part(s[offset]) {
        return offset..offset + 1;
    }
    let floor = offset.saturating_sub(MAX_PEEK);
    let ceil = (offset + MAX_PEEK).min(s.len());
    let mut a = offset;
    while a > floor
        && (part(s[a - 1])
            || (s[a - 1] == b'.' && a >= 2 && part(s[a - 2]))
            || (s[a - 1] == b':' && a >= 2 && (s[a - 2] == b':' || s[..a - 1].ends_with(b"env"))))
    {
        a -= 1;
    }
    let mut b = offset;
    while b < ceil && (part(s[b]) || (s[b] == b'.' && s.get(b + 1).is_some_and(|&c| part(c)))) {
        b += 1;
    }
    a..b
}

#[cfg(test)]
mod tests;
