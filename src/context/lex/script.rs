//! Scanners for `#`-comment languages with their own literal forms: Python,
//! Ruby, Perl, Nix, Terraform/HCL and TOML.

use super::shell::find;
use super::{at, is_ident, line_end, skip_blanks, Class, Sink, MAX_NEST};

/// Scans a literal closed by `close` (a run of quote bytes) from `from`;
/// `\` escapes the next byte when `escapes`; a line break ends it when
/// `!multiline`. Returns the index after the closer (or where it stopped).
fn scan_quoted(s: &[u8], from: usize, close: &[u8], escapes: bool, multiline: bool) -> usize {
    let mut j = from;
    let q = close.first().copied().unwrap_or(b'"');
    while j < s.len() {
        let b = s[j];
        if escapes && b == b'\\' {
            j += 2;
        } else if b == b'\n' && !multiline {
            return j;
        } else if b == q && s[j..].starts_with(close) {
            return j + close.len();
        } else {
            j += 1;
        }
    }
    s.len()
}

/// Whether only blanks, a comment or a `;` follow `i` on its line.
fn rest_is_blank(s: &[u8], i: usize) -> bool {
    matches!(at(s, skip_blanks(s, i)), b'\n' | b'\r' | b'#' | b';' | 0)
}

/// Python: `#` comments; string prefixes (`r`, `b`, `f`, `rb`, …); single and
/// triple quotes. A string that forms a whole statement at bracket depth 0
/// (module/class/function docstrings, bare strings used as comments) is a
/// [`Class::Docstring`].
pub(crate) fn lex_python(s: &[u8], out: &mut Sink) {
    let end = s.len();
    let mut i = 0;
    let mut depth = 0u32;
    // At the start of a logical line: only blanks and comments seen since.
    let mut logical_start = true;
    while i < end {
        let b = s[i];
        match b {
            b'#' => {
                let le = line_end(s, i);
                out.push(i, le, Class::Comment);
                i = le;
            }
            b'\n' => {
                if depth == 0 {
                    logical_start = true;
                }
                i += 1;
            }
            b' ' | b'\t' | b'\r' | 0x0c => i += 1,
            b'\\' => {
                logical_start = false;
                i += 2;
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                logical_start = false;
                i += 1;
            }
            b')' | b']' | b'}' => {
                depth = depth.saturating_sub(1);
                logical_start = false;
                i += 1;
            }
            b'\'' | b'"' => {
                i = python_string(s, i, i, depth == 0 && logical_start, out);
                logical_start = false;
            }
            b if is_ident(b) => {
                let start = i;
                while i < end && is_ident(s[i]) {
                    i += 1;
                }
                let word = &s[start..i];
                let prefix = word.len() <= 2
                    && word.iter().all(|c| b"rRbBuUfFtT".contains(c))
                    && matches!(at(s, i), b'\'' | b'"');
                if prefix {
                    i = python_string(s, start, i, depth == 0 && logical_start, out);
                }
                logical_start = false;
            }
            _ => {
                logical_start = false;
                i += 1;
            }
        }
    }
}

/// Scans the Python literal whose prefix starts at `start` and quote at `q`.
fn python_string(s: &[u8], start: usize, q: usize, statement: bool, out: &mut Sink) -> usize {
    let quote = s[q];
    let triple = at(s, q + 1) == quote && at(s, q + 2) == quote;
    let e = if triple {
        scan_quoted(s, q + 3, &[quote; 3], true, true)
    } else {
        scan_quoted(s, q + 1, &[quote], true, false)
    };
    let class = if statement && rest_is_blank(s, e) {
        Class::Docstring
    } else {
        Class::String
    };
    out.push(start, e, class);
    e
}

/// A heredoc opener (`<<ID`, `<<-ID`, `<<~ID`, `<<"ID"`, `<<'ID'`) at `i`
/// for Ruby and Perl: returns the delimiter and the index after it. Bare
/// identifiers must start with an upper-case letter or `_` so that `x << y`
/// (append, shift) is not taken for one.
fn heredoc_opener(s: &[u8], i: usize) -> Option<(Vec<u8>, usize)> {
    let mut j = i + 2;
    if matches!(at(s, j), b'~' | b'-') {
        j += 1;
    }
    let q = at(s, j);
    if q == b'"' || q == b'\'' || q == b'`' {
        let limit = s.len().min(j + 128);
        let close = s[j + 1..limit].iter().position(|&b| b == q || b == b'\n')?;
        if s[j + 1 + close] != q || close == 0 {
            return None;
        }
        return Some((s[j + 1..j + 1 + close].to_vec(), j + close + 2));
    }
    if !(q.is_ascii_uppercase() || q == b'_') {
        return None;
    }
    let mut k = j;
    while k < s.len() && (s[k].is_ascii_alphanumeric() || s[k] == b'_') {
        k += 1;
    }
    Some((s[j..k].to_vec(), k))
}

/// Marks the bodies of `pending` heredocs starting after the line break at
/// `nl`; returns the index of the line break that ends the last terminator.
fn heredoc_bodies(s: &[u8], nl: usize, pending: &mut Vec<Vec<u8>>, out: &mut Sink) -> usize {
    let mut pos = nl + 1;
    let mut last = nl;
    for delim in pending.drain(..) {
        let body = pos;
        let mut close = s.len();
        let mut line = pos;
        while line < s.len() {
            let le = line_end(s, line);
            if s[line..le].trim_ascii() == delim.as_slice() {
                close = le;
                break;
            }
            line = le + 1;
        }
        out.push(body, close, Class::Heredoc);
        if close >= s.len() {
            return s.len();
        }
        pos = close + 1;
        last = close;
    }
    last
}

/// Ruby: `#` comments, `=begin`/`=end`, `'…'`, `"…"` with `#{…}`, heredocs,
/// `%q(…)`-style literals.
pub(crate) fn lex_ruby(s: &[u8], out: &mut Sink) {
    let end = s.len();
    let mut i = 0;
    let mut pending: Vec<Vec<u8>> = Vec::new();
    while i < end {
        let b = s[i];
        match b {
            b'=' if (i == 0 || s[i - 1] == b'\n') && s[i..].starts_with(b"=begin") => {
                let close = find(s, i, b"\n=end").map_or(end, |p| line_end(s, p + 1));
                out.push(i, close, Class::Comment);
                i = close;
            }
            b'#' => {
                let le = line_end(s, i);
                out.push(i, le, Class::Comment);
                i = le;
            }
            b'\n' if !pending.is_empty() => {
                i = heredoc_bodies(s, i, &mut pending, out);
                if i == end {
                    break;
                }
                i += 1;
            }
            b'<' if at(s, i + 1) == b'<' => match heredoc_opener(s, i) {
                Some((d, after)) if pending.len() < MAX_NEST => {
                    pending.push(d);
                    i = after;
                }
                _ => i += 2,
            },
            b'\'' => {
                let e = scan_quoted(s, i + 1, b"'", true, true);
                out.push(i, e, Class::String);
                i = e;
            }
            b'"' | b'`' => i = ruby_interpolated(s, i, b, out),
            b'%' if matches!(at(s, i + 1), b'q' | b'Q' | b'w' | b'W' | b'i' | b'I')
                && matches!(at(s, i + 2), b'(' | b'[' | b'{' | b'<' | b'|' | b'!' | b'/') =>
            {
                let e = percent_literal(s, i + 2);
                out.push(i, e, Class::String);
                i = e;
            }
            b'?' if at(s, i + 1) == b'#' => i += 2,
            b if is_ident(b) || b == b'$' || b == b'@' => {
                i += 1;
                while i < end && is_ident(s[i]) {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
}

/// A Ruby `"…"`/`` `…` `` literal with `#{…}` holes; returns the index after it.
fn ruby_interpolated(s: &[u8], i: usize, q: u8, out: &mut Sink) -> usize {
    let mut seg = i;
    let mut j = i + 1;
    while j < s.len() {
        match s[j] {
            b'\\' => j += 2,
            b if b == q => {
                out.push(seg, j + 1, Class::String);
                return j + 1;
            }
            b'#' if at(s, j + 1) == b'{' => {
                out.push(seg, j, Class::String);
                // The hole is code up to its balancing brace (quotes inside
                // the hole are rare enough to read as code).
                let mut depth = 0u32;
                let mut k = j + 1;
                while k < s.len() {
                    match s[k] {
                        b'{' => depth += 1,
                        b'}' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    k += 1;
                }
                seg = (k + 1).min(s.len());
                j = seg;
            }
            _ => j += 1,
        }
    }
    out.push(seg, s.len(), Class::String);
    s.len()
}

/// A `%q(…)`-style literal whose delimiter is at `d`: brackets nest.
fn percent_literal(s: &[u8], d: usize) -> usize {
    let open = s[d];
    let close = match open {
        b'(' => b')',
        b'[' => b']',
        b'{' => b'}',
        b'<' => b'>',
        other => other,
    };
    let mut depth = 0u32;
    let mut j = d + 1;
    while j < s.len() {
        let b = s[j];
        if b == b'\\' {
            j += 2;
            continue;
        }
        if b == close {
            if depth == 0 {
                return j + 1;
            }
            depth -= 1;
        } else if b == open && open != close {
            depth += 1;
        }
        j += 1;
    }
    s.len()
}

/// Perl: `#` comments (not `$#array`), POD blocks, quotes, `q{…}`-style
/// operators, heredocs, and `__END__`/`__DATA__` sections (data, read as
/// heredoc content).
pub(crate) fn lex_perl(s: &[u8], out: &mut Sink) {
    let end = s.len();
    let mut i = 0;
    let mut pending: Vec<Vec<u8>> = Vec::new();
    while i < end {
        let b = s[i];
        let line_begin = i == 0 || s[i - 1] == b'\n';
        match b {
            b'=' if line_begin && at(s, i + 1).is_ascii_alphabetic() => {
                // POD runs to a line starting with `=cut` (inclusive).
                let close = find(s, i, b"\n=cut").map_or(end, |p| line_end(s, p + 1));
                out.push(i, close, Class::Comment);
                i = close;
            }
            b'_' if line_begin
                && (s[i..].starts_with(b"__END__") || s[i..].starts_with(b"__DATA__")) =>
            {
                out.push(i, end, Class::Heredoc);
                i = end;
            }
            b'$' if at(s, i + 1) == b'#' => i += 2,
            b'#' => {
                let le = line_end(s, i);
                out.push(i, le, Class::Comment);
                i = le;
            }
            b'\n' if !pending.is_empty() => {
                i = heredoc_bodies(s, i, &mut pending, out);
                if i == end {
                    break;
                }
                i += 1;
            }
            b'<' if at(s, i + 1) == b'<' => match heredoc_opener(s, i) {
                Some((d, after)) if pending.len() < MAX_NEST => {
                    pending.push(d);
                    i = after;
                }
                _ => i += 2,
            },
            b'\'' => {
                let e = scan_quoted(s, i + 1, b"'", true, true);
                out.push(i, e, Class::String);
                i = e;
            }
            b'"' | b'`' => {
                let e = scan_quoted(s, i + 1, &[b], true, true);
                out.push(i, e, Class::String);
                i = e;
            }
            b if is_ident(b) => {
                let start = i;
                while i < end && is_ident(s[i]) {
                    i += 1;
                }
                let word = &s[start..i];
                let prev = if start > 0 { s[start - 1] } else { b' ' };
                // `q{…}`, `qq(…)`, `qw/…/`, `m/…/`, `qr{…}`: one part;
                // `s/…/…/`, `tr/…/…/`, `y/…/…/`: two.
                let parts = match word {
                    b"q" | b"qq" | b"qw" | b"qx" | b"m" | b"qr" => 1,
                    b"s" | b"tr" | b"y" => 2,
                    _ => 0,
                };
                let d = at(s, i);
                // A delimiter is punctuation; `=`, `,` and the like make the
                // word an ordinary identifier (`s => 1`, `q = 2`).
                let delim_ok = !(d.is_ascii_alphanumeric()
                    || d.is_ascii_whitespace()
                    || matches!(d, b'_' | b',' | b';' | b')' | b'=' | 0));
                if parts > 0
                    && delim_ok
                    && prev != b'$'
                    && prev != b'@'
                    && prev != b'%'
                    && prev != b'-'
                {
                    let mut e = percent_literal(s, i);
                    if parts == 2 {
                        e = if matches!(d, b'(' | b'[' | b'{' | b'<') {
                            let k = skip_blanks(s, e);
                            if matches!(at(s, k), b'(' | b'[' | b'{' | b'<') {
                                percent_literal(s, k)
                            } else {
                                e
                            }
                        } else {
                            percent_literal(s, e - 1)
                        };
                    }
                    while e < end && s[e].is_ascii_alphabetic() {
                        e += 1;
                    }
                    out.push(start, e, Class::String);
                    i = e;
                }
            }
            _ => i += 1,
        }
    }
}

/// Nix: `#` and `/* */` comments; `"…"` and `''…''` strings with `${…}` holes.
pub(crate) fn lex_nix(s: &[u8], out: &mut Sink) {
    // Frames: None = code (with brace depth), Some(kind) = in a string.
    #[derive(Debug)]
    enum F {
        Code(u32),
        Dq(usize),
        Ind(usize),
    }
    let end = s.len();
    let mut stack = vec![F::Code(0)];
    let mut i = 0;
    while i < end {
        let b = s[i];
        let nest_ok = stack.len() < MAX_NEST;
        let deep = stack.len() > 1;
        let Some(top) = stack.last_mut() else { break };
        match top {
            F::Dq(seg) => match b {
                b'\\' => i += 2,
                b'"' => {
                    out.push(*seg, i + 1, Class::String);
                    stack.pop();
                    i += 1;
                }
                b'$' if at(s, i + 1) == b'{' && nest_ok => {
                    out.push(*seg, i, Class::String);
                    stack.push(F::Code(0));
                    i += 2;
                }
                _ => i += 1,
            },
            F::Ind(seg) => match b {
                b'\'' if at(s, i + 1) == b'\'' => {
                    // `'''`, `''$`, `''\x` are escapes; a bare `''` closes.
                    match at(s, i + 2) {
                        b'\'' | b'$' => i += 3,
                        b'\\' => i += 4,
                        _ => {
                            out.push(*seg, i + 2, Class::String);
                            stack.pop();
                            i += 2;
                        }
                    }
                }
                b'$' if at(s, i + 1) == b'{' && nest_ok => {
                    out.push(*seg, i, Class::String);
                    stack.push(F::Code(0));
                    i += 2;
                }
                _ => i += 1,
            },
            F::Code(depth) => match b {
                b'#' => {
                    let le = line_end(s, i);
                    out.push(i, le, Class::Comment);
                    i = le;
                }
                b'/' if at(s, i + 1) == b'*' => {
                    let close = find(s, i + 2, b"*/").map_or(end, |p| p + 2);
                    out.push(i, close, Class::Comment);
                    i = close;
                }
                b'"' if nest_ok => {
                    stack.push(F::Dq(i));
                    i += 1;
                }
                b'\'' if at(s, i + 1) == b'\'' && nest_ok => {
                    stack.push(F::Ind(i));
                    i += 2;
                }
                b'{' => {
                    *depth += 1;
                    i += 1;
                }
                b'}' => {
                    if *depth == 0 && deep {
                        stack.pop();
                        match stack.last_mut() {
                            Some(F::Dq(seg)) | Some(F::Ind(seg)) => *seg = i + 1,
                            _ => {}
                        }
                    } else {
                        *depth = depth.saturating_sub(1);
                    }
                    i += 1;
                }
                _ => i += 1,
            },
        }
    }
    match stack.last() {
        Some(F::Dq(seg)) | Some(F::Ind(seg)) => out.push(*seg, end, Class::String),
        _ => {}
    }
}

/// Terraform/HCL: `#`, `//`, `/* */`; `"…"` with `${…}`/`%{…}` holes;
/// heredocs `<<EOF`/`<<-EOF` (content).
pub(crate) fn lex_hcl(s: &[u8], out: &mut Sink) {
    #[derive(Debug)]
    enum F {
        Code(u32),
        Dq(usize),
    }
    let end = s.len();
    let mut stack = vec![F::Code(0)];
    let mut i = 0;
    while i < end {
        let b = s[i];
        let nest_ok = stack.len() < MAX_NEST;
        let deep = stack.len() > 1;
        let Some(top) = stack.last_mut() else { break };
        match top {
            F::Dq(seg) => match b {
                b'\\' => i += 2,
                b'"' => {
                    out.push(*seg, i + 1, Class::String);
                    stack.pop();
                    i += 1;
                }
                b'\n' => {
                    // HCL quoted strings are one line: recover at the break.
                    out.push(*seg, i, Class::String);
                    stack.pop();
                }
                b'$' | b'%' if at(s, i + 1) == b'{' => {
                    if i > *seg && s[i - 1] == b {
                        // `$${` and `%%{` are escapes, not holes.
                        i += 2;
                    } else if nest_ok {
                        out.push(*seg, i, Class::String);
                        stack.push(F::Code(0));
                        i += 2;
                    } else {
                        i += 2;
                    }
                }
                _ => i += 1,
            },
            F::Code(depth) => match b {
                b'#' => {
                    let le = line_end(s, i);
                    out.push(i, le, Class::Comment);
                    i = le;
                }
                b'/' if at(s, i + 1) == b'/' => {
                    let le = line_end(s, i);
                    out.push(i, le, Class::Comment);
                    i = le;
                }
                b'/' if at(s, i + 1) == b'*' => {
                    let close = find(s, i + 2, b"*/").map_or(end, |p| p + 2);
                    out.push(i, close, Class::Comment);
                    i = close;
                }
                b'"' if nest_ok => {
                    stack.push(F::Dq(i));
                    i += 1;
                }
                b'<' if at(s, i + 1) == b'<' => {
                    let mut j = i + 2;
                    if at(s, j) == b'-' {
                        j += 1;
                    }
                    let k = {
                        let mut k = j;
                        while k < end && (s[k].is_ascii_alphanumeric() || s[k] == b'_') {
                            k += 1;
                        }
                        k
                    };
                    if k > j && matches!(at(s, skip_blanks(s, k)), b'\n' | b'\r' | 0) {
                        let delim = s[j..k].to_vec();
                        let body = (line_end(s, k) + 1).min(end);
                        let mut close = end;
                        let mut line = body;
                        while line < end {
                            let le = line_end(s, line);
                            if s[line..le].trim_ascii() == delim.as_slice() {
                                close = le;
                                break;
                            }
                            line = le + 1;
                        }
                        out.push(i, close, Class::Heredoc);
                        i = close;
                    } else {
                        i += 2;
                    }
                }
                b'{' => {
                    *depth += 1;
                    i += 1;
                }
                b'}' => {
                    if *depth == 0 && deep {
                        stack.pop();
                        if let Some(F::Dq(seg)) = stack.last_mut() {
                            *seg = i + 1;
                        }
                    } else {
                        *depth = depth.saturating_sub(1);
                    }
                    i += 1;
                }
                _ => i += 1,
            },
        }
    }
    if let Some(F::Dq(seg)) = stack.last() {
        out.push(*seg, end, Class::String);
    }
}

/// TOML: `#` comments; basic, literal and multi-line strings.
pub(crate) fn lex_toml(s: &[u8], out: &mut Sink) {
    let end = s.len();
    let mut i = 0;
    while i < end {
        match s[i] {
            b'#' => {
                let le = line_end(s, i);
                out.push(i, le, Class::Comment);
                i = le;
            }
            q @ (b'"' | b'\'') => {
                let triple = at(s, i + 1) == q && at(s, i + 2) == q;
                let e = if triple {
                    let e = scan_quoted(s, i + 3, &[q; 3], q == b'"', true);
                    // Up to two more quotes may belong to the content.
                    let mut e = e;
                    let mut extra = 0;
                    while extra < 2 && at(s, e) == q {
                        e += 1;
                        extra += 1;
                    }
                    e
                } else {
                    scan_quoted(s, i + 1, &[q], q == b'"', false)
                };
                out.push(i, e, Class::String);
                i = e;
            }
            _ => i += 1,
        }
    }
}
