//! Shell (POSIX sh, bash, zsh; dotenv files) and PowerShell scanners.

use super::{at, is_ident, line_end, Class, Sink, MAX_NEST};
use std::ops::Range;

/// Which `$` rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// Plain shell.
    Posix,
    /// A Makefile recipe: `$$` is the shell's `$`, `$(X)`/`${X}` are make
    /// references expanded before the shell runs.
    Make,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Code {
    Top,
    /// `$(…)`: ends at the `)` that balances it.
    CmdSub,
    /// `` `…` ``.
    Backtick,
    /// `${…}`: `#` and `%` are operators here, never comments.
    Param,
    /// `$((…))`: `<<` is a shift, never a heredoc.
    Arith,
}

#[derive(Debug)]
enum Frame {
    Code {
        kind: Code,
        depth: u32,
    },
    /// Inside `"…"`; the current literal piece started at `seg`.
    Dq {
        seg: usize,
    },
}

/// A heredoc announced on the current line, read at its end.
struct Pending {
    delim: Vec<u8>,
}

/// Bytes after which a `#` starts a comment (the start of a word).
#[inline]
fn word_boundary(b: u8) -> bool {
    matches!(
        b,
        b' ' | b'\t' | b'\n' | b'\r' | b';' | b'&' | b'|' | b'(' | b')' | b'<' | b'>'
    )
}

/// Reads a heredoc delimiter after `<<`/`<<-` at `i`; returns it and the
/// index after it. Quoted (`'EOF'`, `"EOF"`) and escaped (`\EOF`) forms
/// are accepted; digits-only words are not (they are far more often a
/// shift than a heredoc).
fn heredoc_delim(s: &[u8], mut i: usize, end: usize) -> Option<(Vec<u8>, usize)> {
    while i < end && matches!(s[i], b' ' | b'\t') {
        i += 1;
    }
    let mut delim = Vec::new();
    let limit = end.min(i + 256);
    while i < limit {
        match s[i] {
            q @ (b'\'' | b'"') => {
                let close = s[i + 1..limit].iter().position(|&b| b == q)?;
                delim.extend_from_slice(&s[i + 1..i + 1 + close]);
                i += close + 2;
            }
            b'\\' => i += 1,
            b if b.is_ascii_whitespace() || b";&|<>()`".contains(&b) => break,
            b => {
                delim.push(b);
                i += 1;
            }
        }
    }
    if delim.is_empty() || delim.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some((delim, i))
}

/// Reads heredoc bodies starting at `start` (the byte after the line break
/// that ended the announcing line); returns where scanning resumes: the
/// line break ending the last terminator line, or `end`.
///
/// The terminator is matched after trimming blanks on both sides, more
/// leniently than a shell: `<<-` strips tabs only, but heredocs inside a
/// YAML `run: |` block are indented with spaces and still end there.
fn read_heredocs(
    s: &[u8],
    start: usize,
    end: usize,
    pending: &mut Vec<Pending>,
    out: &mut Sink,
) -> usize {
    let mut pos = start;
    let mut last = end;
    for p in pending.drain(..) {
        let body = pos;
        let mut close = end;
        let mut line = pos;
        while line < end {
            let le = line_end(s, line).min(end);
            if s[line..le].trim_ascii() == p.delim.as_slice() {
                close = le;
                break;
            }
            line = le + 1;
        }
        out.push(body, close, Class::Heredoc);
        if close >= end {
            return end;
        }
        pos = close + 1;
        last = close;
    }
    last
}

/// Scans `s[range]` as shell and pushes its spans.
pub(crate) fn lex_shell(s: &[u8], range: Range<usize>, dialect: Dialect, out: &mut Sink) {
    let end = range.end.min(s.len());
    let begin = range.start.min(end);
    let mut stack: Vec<Frame> = vec![Frame::Code {
        kind: Code::Top,
        depth: 0,
    }];
    let mut pending: Vec<Pending> = Vec::new();
    let mut i = begin;
    let boundary = |i: usize| i == begin || word_boundary(s[i - 1]);
    while i < end {
        let b = s[i];
        let nest_ok = stack.len() < MAX_NEST;
        let Some(top) = stack.last_mut() else { break };
        match top {
            Frame::Dq { seg } => match b {
                b'\\' => i += 2,
                b'"' => {
                    out.push(*seg, i + 1, Class::String);
                    stack.pop();
                    i += 1;
                }
                b'$' | b'`' if nest_ok => {
                    let seg = *seg;
                    let (kind, skip) = match (dialect, b, at(s, i + 1), at(s, i + 2)) {
                        (_, b'`', _, _) => (Some(Code::Backtick), 1),
                        (Dialect::Make, b'$', b'$', b'(') if at(s, i + 3) == b'(' => {
                            (Some(Code::Arith), 4)
                        }
                        (Dialect::Make, b'$', b'$', b'(') => (Some(Code::CmdSub), 3),
                        (Dialect::Make, b'$', b'$', b'{') => (Some(Code::Param), 3),
                        (Dialect::Posix, b'$', b'(', b'(') => (Some(Code::Arith), 3),
                        (Dialect::Posix, b'$', b'(', _) => (Some(Code::CmdSub), 2),
                        (Dialect::Posix, b'$', b'{', _) => (Some(Code::Param), 2),
                        _ => (None, 1),
                    };
                    match kind {
                        Some(kind) => {
                            out.push(seg, i, Class::String);
                            stack.push(Frame::Code { kind, depth: 0 });
                        }
                        None if dialect == Dialect::Make && at(s, i + 1) == b'$' => i += 1,
                        None => {}
                    }
                    i += skip;
                }
                _ => i += 1,
            },
            Frame::Code { kind, .. } => {
                let kind = *kind;
                match b {
                    b'\\' => i += 2,
                    b'\'' if kind != Code::Arith => {
                        // `$'…'` (ANSI-C quoting) honours backslash escapes.
                        let ansi = i > begin && s[i - 1] == b'$';
                        let mut j = i + 1;
                        while j < end && s[j] != b'\'' {
                            j += if ansi && s[j] == b'\\' { 2 } else { 1 };
                        }
                        let close = (j + 1).min(end);
                        out.push(if ansi { i - 1 } else { i }, close, Class::String);
                        i = close;
                    }
                    b'"' if nest_ok => {
                        stack.push(Frame::Dq { seg: i });
                        i += 1;
                    }
                    b'`' if kind == Code::Backtick => {
                        stack.pop();
                        resume_dq(&mut stack, i + 1);
                        i += 1;
                    }
                    b'`' if nest_ok => {
                        stack.push(Frame::Code {
                            kind: Code::Backtick,
                            depth: 0,
                        });
                        i += 1;
                    }
                    b'$' => {
                        let (n1, n2) = (at(s, i + 1), at(s, i + 2));
                        let (n1, n2, lead) = match dialect {
                            Dialect::Make if n1 == b'$' => (n2, at(s, i + 3), 2),
                            Dialect::Make if n1 == b'(' || n1 == b'{' => {
                                // A make reference: skip it as one word.
                                i = skip_make_ref(s, i + 1, end);
                                continue;
                            }
                            Dialect::Make => {
                                i += 2;
                                continue;
                            }
                            Dialect::Posix => (n1, n2, 1),
                        };
                        let opened = match (n1, n2) {
                            (b'(', b'(') => Some((Code::Arith, lead + 2)),
                            (b'(', _) => Some((Code::CmdSub, lead + 1)),
                            (b'{', _) => Some((Code::Param, lead + 1)),
                            _ => None,
                        };
                        match opened {
                            Some((k, skip)) if nest_ok => {
                                stack.push(Frame::Code { kind: k, depth: 0 });
                                i += skip;
                            }
                            // `$#`, `$$`, `$?`, `$1`…: one parameter, never a comment.
                            _ => i += lead + 1,
                        }
                    }
                    b'#' if kind != Code::Param && kind != Code::Arith && boundary(i) => {
                        let le = line_end(s, i).min(end);
                        out.push(i, le, Class::Comment);
                        i = le;
                    }
                    b'(' if matches!(kind, Code::CmdSub | Code::Arith) => {
                        let d = depth_of(&stack);
                        set_depth(&mut stack, d + 1);
                        i += 1;
                    }
                    b')' if matches!(kind, Code::CmdSub | Code::Arith) => {
                        if depth_of(&stack) == 0 {
                            stack.pop();
                            // `$((…))` closes with two parens.
                            let skip = if kind == Code::Arith && at(s, i + 1) == b')' {
                                2
                            } else {
                                1
                            };
                            resume_dq(&mut stack, i + skip);
                            i += skip;
                        } else {
                            let d = depth_of(&stack);
                            set_depth(&mut stack, d.saturating_sub(1));
                            i += 1;
                        }
                    }
                    b'{' if kind == Code::Param => {
                        let d = depth_of(&stack);
                        set_depth(&mut stack, d + 1);
                        i += 1;
                    }
                    b'}' if kind == Code::Param => {
                        if depth_of(&stack) == 0 {
                            stack.pop();
                            resume_dq(&mut stack, i + 1);
                        } else {
                            let d = depth_of(&stack);
                            set_depth(&mut stack, d.saturating_sub(1));
                        }
                        i += 1;
                    }
                    b'<' if kind != Code::Param
                        && kind != Code::Arith
                        && at(s, i + 1) == b'<'
                        && at(s, i + 2) != b'<' =>
                    {
                        let j = if at(s, i + 2) == b'-' { i + 3 } else { i + 2 };
                        match heredoc_delim(s, j, end) {
                            Some((delim, after)) if pending.len() < MAX_NEST => {
                                pending.push(Pending { delim });
                                i = after;
                            }
                            _ => i += 2,
                        }
                    }
                    b'<' if at(s, i + 1) == b'<' => i += 3,
                    b'\n' if !pending.is_empty() => {
                        i = read_heredocs(s, i + 1, end, &mut pending, out);
                    }
                    _ => i += 1,
                }
            }
        }
    }
    if let Some(Frame::Dq { seg }) = stack.last() {
        out.push(*seg, end, Class::String);
    }
}

fn depth_of(stack: &[Frame]) -> u32 {
    match stack.last() {
        Some(Frame::Code { depth, .. }) => *depth,
        _ => 0,
    }
}

fn set_depth(stack: &mut [Frame], d: u32) {
    if let Some(Frame::Code { depth, .. }) = stack.last_mut() {
        *depth = d;
    }
}

/// After a code hole closes inside `"…"`, the literal resumes at `at`.
fn resume_dq(stack: &mut [Frame], at: usize) {
    if let Some(Frame::Dq { seg }) = stack.last_mut() {
        *seg = at;
    }
}

/// Skips a make reference whose opener is at `i`; returns the index after
/// its closer (or the end of the line when unbalanced).
fn skip_make_ref(s: &[u8], i: usize, end: usize) -> usize {
    let (open, close) = if at(s, i) == b'(' {
        (b'(', b')')
    } else {
        (b'{', b'}')
    };
    let le = line_end(s, i).min(end);
    let mut depth = 0u32;
    let mut j = i;
    while j < le {
        if s[j] == open {
            depth += 1;
        } else if s[j] == close {
            depth -= 1;
            if depth == 0 {
                return j + 1;
            }
        }
        j += 1;
    }
    le
}

/// Bytes after which a PowerShell `#` starts a comment.
#[inline]
fn ps_boundary(b: u8) -> bool {
    matches!(
        b,
        b' ' | b'\t' | b'\n' | b'\r' | b';' | b'(' | b')' | b'{' | b'}' | b'|' | b'&' | b','
    )
}

#[derive(Debug)]
enum PsFrame {
    Code {
        depth: u32,
    },
    /// Inside `"…"`, piece started at `seg`.
    Dq {
        seg: usize,
    },
}

/// Scans PowerShell: `#` and `<# … #>` comments, `'…'` (with `''`), `"…"`
/// (backtick escapes, `$(…)` subexpressions), here-strings `@"…"@`/`@'…'@`.
pub(crate) fn lex_powershell(s: &[u8], out: &mut Sink) {
    let end = s.len();
    let mut stack = vec![PsFrame::Code { depth: 0 }];
    let mut i = 0;
    while i < end {
        let b = s[i];
        let nest_ok = stack.len() < MAX_NEST;
        let deep = stack.len() > 1;
        let Some(top) = stack.last_mut() else { break };
        match top {
            PsFrame::Dq { seg } => match b {
                b'`' => i += 2,
                b'"' if at(s, i + 1) == b'"' => i += 2,
                b'"' => {
                    out.push(*seg, i + 1, Class::String);
                    stack.pop();
                    i += 1;
                }
                b'$' if at(s, i + 1) == b'(' && nest_ok => {
                    out.push(*seg, i, Class::String);
                    stack.push(PsFrame::Code { depth: 0 });
                    i += 2;
                }
                _ => i += 1,
            },
            PsFrame::Code { depth } => match b {
                b'`' => i += 2,
                b'<' if at(s, i + 1) == b'#' => {
                    let close = find(s, i + 2, b"#>").map_or(end, |p| p + 2);
                    out.push(i, close, Class::Comment);
                    i = close;
                }
                b'#' if i == 0 || ps_boundary(s[i - 1]) => {
                    let le = line_end(s, i);
                    out.push(i, le, Class::Comment);
                    i = le;
                }
                b'@' if matches!(at(s, i + 1), b'"' | b'\'')
                    && matches!(at(s, super::skip_blanks(s, i + 2)), b'\n' | b'\r') =>
                {
                    // A here-string ends at a line that starts with `"@` / `'@`.
                    let q = s[i + 1];
                    let mut line = line_end(s, i) + 1;
                    let mut close = end;
                    while line < end {
                        let le = line_end(s, line);
                        if at(s, line) == q && at(s, line + 1) == b'@' {
                            close = line + 2;
                            break;
                        }
                        line = le + 1;
                    }
                    out.push(i, close, Class::Heredoc);
                    i = close;
                }
                b'\'' => {
                    let mut j = i + 1;
                    while j < end {
                        if s[j] == b'\'' {
                            if at(s, j + 1) == b'\'' {
                                j += 2;
                                continue;
                            }
                            break;
                        }
                        j += 1;
                    }
                    let close = (j + 1).min(end);
                    out.push(i, close, Class::String);
                    i = close;
                }
                b'"' if nest_ok => {
                    stack.push(PsFrame::Dq { seg: i });
                    i += 1;
                }
                b'(' if deep => {
                    *depth += 1;
                    i += 1;
                }
                b')' if deep => {
                    if *depth == 0 {
                        stack.pop();
                        if let Some(PsFrame::Dq { seg }) = stack.last_mut() {
                            *seg = i + 1;
                        }
                    } else {
                        *depth -= 1;
                    }
                    i += 1;
                }
                b if is_ident(b) => {
                    while i < end && (is_ident(s[i]) || s[i] == b'-') {
                        i += 1;
                    }
                }
                _ => i += 1,
            },
        }
    }
    if let Some(PsFrame::Dq { seg }) = stack.last() {
        out.push(*seg, end, Class::String);
    }
}

/// First index of `needle` in `s` at or after `from`.
pub(crate) fn find(s: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    let from = from.min(s.len());
    memchr::memmem::find(&s[from..], needle).map(|p| from + p)
}
