//! [`Pattern`]: a rule regex that may be compiled on first use.
//!
//! Compiling every regex of the shipped pack costs more than scanning a
//! handful of files (a pre-commit run), and most rules' keywords never occur
//! in those files. Patterns of the embedded pack are therefore kept as text
//! and compiled the first time a scan needs them; the pack's tests compile
//! every one of them (`every_embedded_pattern_compiles`). Patterns from any
//! other rule file are compiled while the file is loaded, so a broken
//! pattern is reported with its span before anything is scanned.

use regex::bytes::{Regex, RegexBuilder};
use std::fmt;
use std::ops::Deref;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

/// Size limit for one compiled regex: generous for real rules, small enough
/// that a pathological user rule fails to compile instead of eating memory.
pub(super) const REGEX_SIZE_LIMIT: usize = 8 << 20;

/// A byte regex, compiled now or on first use; dereferences to the compiled
/// [`Regex`]. Clones share the compiled form.
#[derive(Clone)]
pub struct Pattern {
    inner: Arc<Inner>,
}

struct Inner {
    /// The pattern with `(?&name)` references expanded.
    source: String,
    compiled: OnceLock<Regex>,
    /// Set when a thread starts compiling, so that another thread can do
    /// other work first instead of waiting (see [`Pattern::is_busy`]).
    started: AtomicBool,
}

/// Compiles `source` the way every rule regex is compiled: over bytes, with
/// ASCII classes (`\w`, `\d`, `\s`, `\b` and case folding are ASCII, as in
/// Go's RE2 that gitleaks rules are written for). Unicode classes compile to
/// far larger automata, and compiling them was half the time of a 5-file
/// scan. A pattern that asks for Unicode (`\p{…}`, or a class ASCII mode
/// rejects) is compiled with Unicode instead.
pub(super) fn build(source: &str) -> Result<Regex, regex::Error> {
    let ascii = RegexBuilder::new(source)
        .size_limit(REGEX_SIZE_LIMIT)
        .unicode(false)
        .build();
    match ascii {
        Err(regex::Error::Syntax(_)) => RegexBuilder::new(source)
            .size_limit(REGEX_SIZE_LIMIT)
            .build(),
        other => other,
    }
}

impl Pattern {
    /// A pattern already compiled.
    pub(super) fn compiled(source: String, regex: Regex) -> Pattern {
        let compiled = OnceLock::new();
        let _ = compiled.set(regex);
        Pattern {
            inner: Arc::new(Inner {
                source,
                compiled,
                started: AtomicBool::new(true),
            }),
        }
    }

    /// A pattern compiled on first use. Only for text known to compile (the
    /// embedded pack).
    pub(super) fn deferred(source: String) -> Pattern {
        Pattern {
            inner: Arc::new(Inner {
                source,
                compiled: OnceLock::new(),
                started: AtomicBool::new(false),
            }),
        }
    }

    /// The pattern text (references expanded).
    pub fn as_str(&self) -> &str {
        &self.inner.source
    }

    /// Whether the regex has been compiled yet.
    pub fn is_compiled(&self) -> bool {
        self.inner.compiled.get().is_some()
    }

    /// Whether another thread is compiling the regex right now: asking for
    /// it would wait until that thread is done.
    pub fn is_busy(&self) -> bool {
        self.inner.started.load(Ordering::Acquire) && self.inner.compiled.get().is_none()
    }

    /// Marks the regex as being compiled elsewhere without compiling it, so
    /// that tests can take the path of a worker that found it busy.
    #[cfg(test)]
    pub(crate) fn pretend_busy(&self) {
        self.inner.started.store(true, Ordering::Release);
    }

    /// The compiled regex.
    pub fn regex(&self) -> &Regex {
        if let Some(re) = self.inner.compiled.get() {
            return re;
        }
        self.inner.started.store(true, Ordering::Release);
        self.inner.compiled.get_or_init(|| {
            build(&self.inner.source).unwrap_or_else(|e| {
                panic!(
                    "a pattern of the embedded rule pack does not compile (the pack's tests prevent this): {e}"
                )
            })
        })
    }

    /// Index of the capture group called `name`, read from the pattern's
    /// syntax without compiling it.
    pub fn group_index(&self, name: &str) -> Option<usize> {
        if let Some(re) = self.inner.compiled.get() {
            return re.capture_names().position(|n| n == Some(name));
        }
        // Both spellings of a named group, `(?P<name>` and `(?<name>`,
        // hold `<name>`: without it there is nothing to parse for.
        if !self.inner.source.contains(&format!("<{name}>")) {
            return None;
        }
        if let Some(found) = group_index_by_text(&self.inner.source, name) {
            return found;
        }
        let ast = regex_syntax::ast::parse::Parser::new()
            .parse(&self.inner.source)
            .ok()?;
        let mut found = None;
        named_groups(&ast, &mut |n, i| {
            if found.is_none() && n == name {
                found = Some(i as usize);
            }
        });
        found
    }
}

/// A set of path globs, built now or on first use like a [`Pattern`]:
/// building a set compiles regexes, and a scan of a few files needs only
/// the sets of the rules its files trigger. Clones share the built set.
#[derive(Clone)]
pub struct Globs {
    inner: Arc<GlobsInner>,
}

struct GlobsInner {
    /// The globs, each already parsed (so a bad one was reported at load).
    globs: Vec<globset::Glob>,
    set: OnceLock<globset::GlobSet>,
}

/// Builds the set of `globs`.
pub(super) fn build_globs(globs: &[globset::Glob]) -> Result<globset::GlobSet, globset::Error> {
    let mut b = globset::GlobSetBuilder::new();
    for g in globs {
        b.add(g.clone());
    }
    b.build()
}

impl Globs {
    /// A set already built.
    pub(super) fn built(globs: Vec<globset::Glob>, set: globset::GlobSet) -> Globs {
        let cell = OnceLock::new();
        let _ = cell.set(set);
        Globs {
            inner: Arc::new(GlobsInner { globs, set: cell }),
        }
    }

    /// A set built on first use. Only for globs known to build (the
    /// embedded pack).
    pub(super) fn deferred(globs: Vec<globset::Glob>) -> Globs {
        Globs {
            inner: Arc::new(GlobsInner {
                globs,
                set: OnceLock::new(),
            }),
        }
    }

    /// Whether the set has been built yet.
    #[cfg(test)]
    pub(super) fn is_built(&self) -> bool {
        self.inner.set.get().is_some()
    }

    /// Whether `path` matches one of the globs.
    pub fn is_match(&self, path: &str) -> bool {
        self.inner
            .set
            .get_or_init(|| {
                build_globs(&self.inner.globs).unwrap_or_else(|e| {
                    panic!(
                        "a glob set of the embedded rule pack does not build (the pack's tests prevent this): {e}"
                    )
                })
            })
            .is_match(path)
    }
}

impl fmt::Debug for Globs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let globs: Vec<&str> = self.inner.globs.iter().map(|g| g.glob()).collect();
        f.debug_tuple("Globs").field(&globs).finish()
    }
}

/// Calls `each` with the name and index of every named capture group.
fn named_groups(ast: &regex_syntax::ast::Ast, each: &mut dyn FnMut(&str, u32)) {
    use regex_syntax::ast::{Ast, GroupKind};
    match ast {
        Ast::Group(g) => {
            if let GroupKind::CaptureName { name, .. } = &g.kind {
                each(&name.name, name.index);
            }
            named_groups(&g.ast, each);
        }
        Ast::Concat(c) => c.asts.iter().for_each(|a| named_groups(a, each)),
        Ast::Alternation(a) => a.asts.iter().for_each(|a| named_groups(a, each)),
        Ast::Repetition(r) => named_groups(&r.ast, each),
        _ => {}
    }
}

impl Deref for Pattern {
    type Target = Regex;

    fn deref(&self) -> &Regex {
        self.regex()
    }
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Pattern").field(&self.inner.source).finish()
    }
}

/// The index of group `name` read off the pattern's text: groups are
/// numbered by their opening parentheses, left to right, skipping escaped
/// ones and those inside classes. Parsing the whole syntax tree for this
/// was a fifth of loading the rule pack. `None` when the pattern uses
/// verbose mode, where `#` starts a comment (the parser decides then).
fn group_index_by_text(src: &str, name: &str) -> Option<Option<usize>> {
    let b = src.as_bytes();
    let mut groups = 0;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'[' => i = class_end(b, i),
            b'(' if b.get(i + 1) == Some(&b'?') => {
                let rest = &src[i + 2..];
                let label = rest
                    .strip_prefix("P<")
                    .or_else(|| rest.strip_prefix('<'))
                    .and_then(|r| r.split_once('>'));
                if let Some((label, _)) = label {
                    groups += 1;
                    if label == name {
                        return Some(Some(groups));
                    }
                } else {
                    // Flags, `(?i)` or `(?i:`: verbose mode changes what
                    // the rest of the text means.
                    let flags = rest.split([')', ':']).next().unwrap_or("");
                    if flags.contains('x') {
                        return None;
                    }
                }
            }
            b'(' => groups += 1,
            _ => {}
        }
        i += 1;
    }
    Some(None)
}

/// The index of the `]` closing the class opened at `start` (or the end).
fn class_end(b: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    if b.get(i) == Some(&b'^') {
        i += 1;
    }
    // A `]` first in a class is a literal.
    if b.get(i) == Some(&b']') {
        i += 1;
    }
    let mut depth = 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'[' => depth += 1,
            b']' => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
        i += 1;
    }
    b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_indices_read_from_syntax_match_the_compiled_regex() {
        for (src, names) in [
            (r"(?P<a>x)(y)(?P<secret>z)", &["a", "secret", "b"][..]),
            (r"(?:p(?<fix>q))|((?P<secret>[a-z]+)\d)", &["fix", "secret"]),
            (r"(?x) a (?P<s> b ) # comment (?P<t>)", &["s", "t"]),
            (
                r"(?i:a)(?ix: ( # (?P<u>x)
                ) (?P<v>y))",
                &["u", "v"],
            ),
            (
                r"\((?P<a>x)[(](y)[]()](?P<b>z)[^]()](?P<c>w)",
                &["a", "b", "c"],
            ),
            (
                r"[[:alpha:](][a-z&&[^(]](?P<a>x)([\]\[(])(?P<b>y)",
                &["a", "b"],
            ),
            (
                r"(?m)(?i)(((?P<deep>x)))(?<plain>y)\\(?P<after>z)",
                &["deep", "plain", "after"],
            ),
        ] {
            let deferred = Pattern::deferred(src.to_string());
            let compiled = Regex::new(src).unwrap();
            for n in names {
                assert_eq!(
                    deferred.group_index(n),
                    compiled.capture_names().position(|c| c == Some(*n)),
                    "{src} {n}"
                );
            }
            assert!(!deferred.is_compiled());
            assert!(deferred.is_match(b"xyz") || !compiled.is_match(b"xyz"));
            assert!(deferred.is_compiled());
        }
    }

    #[test]
    fn classes_are_ascii_unless_the_pattern_asks_for_unicode() {
        // ASCII `\w` and `\b`: a non-ASCII letter is not a word character.
        let w = build(r"\bKEY\w*").unwrap();
        assert!(w.is_match(b"KEY_1"));
        assert_eq!(w.find("KEYé".as_bytes()).map(|m| m.len()), Some(3));
        // ASCII mode matches any byte with `.`, so invalid UTF-8 is searched.
        assert!(build(r"KEY=.x").unwrap().is_match(b"KEY=\xffx"));
        // Case folding is ASCII: the Kelvin sign is not a `k`.
        assert!(!build(r"(?i)key").unwrap().is_match("\u{212a}ey".as_bytes()));
        // A Unicode class still compiles, with Unicode semantics.
        let p = build(r"\p{Greek}+").unwrap();
        assert!(p.is_match("αβ".as_bytes()));
        // Other errors are still errors.
        assert!(build(r"(unclosed").is_err());
    }
}
