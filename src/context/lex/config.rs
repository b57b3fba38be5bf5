//! Scanners for configuration and markup formats: YAML (with Helm/Go
//! template comments), Makefiles, Dockerfiles, INI, Markdown and HTML.

use super::shell::{find, lex_shell, Dialect};
use super::{at, line_end, skip_blanks, Class, Sink};

#[inline]
fn blank_or_end(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0)
}

/// Index after the closing quote of a YAML quoted scalar opened at `i`
/// (may span lines; `''` escapes in single quotes, `\` in double quotes).
fn yaml_quoted_end(s: &[u8], i: usize) -> usize {
    let q = s[i];
    let mut j = i + 1;
    while j < s.len() {
        match s[j] {
            b'\\' if q == b'"' => j += 2,
            b if b == q => {
                if q == b'\'' && at(s, j + 1) == b'\'' {
                    j += 2;
                    continue;
                }
                return j + 1;
            }
            _ => j += 1,
        }
    }
    s.len()
}

/// If a block scalar header (`|`, `>-`, `|2+`, …) starts at `i`, the index
/// after its indicators.
pub(crate) fn block_header(s: &[u8], i: usize) -> Option<usize> {
    if !matches!(at(s, i), b'|' | b'>') {
        return None;
    }
    let mut j = i + 1;
    while j < i + 3 && matches!(at(s, j), b'0'..=b'9' | b'+' | b'-') {
        j += 1;
    }
    blank_or_end(at(s, j)).then_some(j)
}

/// Lines after the header line at `header` that belong to a block scalar
/// whose parent entry starts at column `parent_col`: blank lines and lines
/// indented deeper. Returns (content start, content end, resume index).
pub(crate) fn block_extent(s: &[u8], header: usize, parent_col: usize) -> (usize, usize, usize) {
    let start = (line_end(s, header) + 1).min(s.len());
    let mut content_end = start;
    let mut line = start;
    while line < s.len() {
        let le = line_end(s, line);
        let first = skip_blanks(s, line);
        let blank = first >= le || (s[first] == b'\r' && first + 1 >= le);
        if !blank && first - line <= parent_col {
            break;
        }
        if !blank {
            content_end = if le > line && s[le - 1] == b'\r' {
                le - 1
            } else {
                le
            };
        }
        line = le + 1;
    }
    (start, content_end, line.min(s.len()))
}

/// Where a Go/Helm template action `{{ … }}` opened at `i` ends (after `}}`),
/// bounded by the line; whether it is a `{{/* … */}}` comment.
fn template_end(s: &[u8], i: usize) -> (usize, bool) {
    let mut j = i + 2;
    if at(s, j) == b'-' {
        j += 1;
    }
    j = skip_blanks(s, j);
    if at(s, j) == b'/' && at(s, j + 1) == b'*' {
        // Template comments may span lines.
        let close = find(s, j + 2, b"*/").map_or(s.len(), |p| p + 2);
        let close = find(s, close, b"}}").map_or(s.len(), |p| p + 2);
        return (close, true);
    }
    let le = line_end(s, i);
    (
        find(s, i + 2, b"}}")
            .filter(|&p| p < le)
            .map_or(le, |p| p + 2),
        false,
    )
}

/// YAML: `#` comments only at a line start or after a blank; quoted scalars
/// only where a node starts (so `name: Don't` holds no quote); block scalar
/// bodies (`run: |`) are strings whose `#` is not a YAML comment; `{{/* */}}`
/// template comments in Helm charts are comments.
pub(crate) fn lex_yaml(s: &[u8], out: &mut Sink) {
    let end = s.len();
    let mut i = 0;
    let mut ls = 0; // start of the current line
    let mut node_start = true;
    let mut entry_col = 0usize;
    let mut flow = 0u32;
    let mut at_line_start = true;
    while i < end {
        if at_line_start {
            at_line_start = false;
            ls = i;
            i = skip_blanks(s, i);
            node_start = true;
            entry_col = i - ls;
            continue;
        }
        let b = s[i];
        match b {
            b'\n' => {
                i += 1;
                at_line_start = true;
            }
            b'#' if i == ls || matches!(s[i - 1], b' ' | b'\t') => {
                let le = line_end(s, i);
                out.push(i, le, Class::Comment);
                i = le;
            }
            b'{' if at(s, i + 1) == b'{' => {
                let (e, comment) = template_end(s, i);
                if comment {
                    out.push(i, e, Class::Comment);
                }
                i = e;
            }
            b'\'' | b'"' if node_start => {
                let e = yaml_quoted_end(s, i);
                out.push(i, e, Class::String);
                // A quoted key: `"x": 1` (a key spanning lines is invalid YAML).
                if at(s, e) == b':' && blank_or_end(at(s, e + 1)) {
                    entry_col = i - ls;
                }
                i = e;
                node_start = false;
            }
            b'|' | b'>' if node_start && flow == 0 && block_header(s, i).is_some() => {
                let after = block_header(s, i).unwrap_or(i + 1);
                // The header line may end with a comment.
                let le = line_end(s, after);
                let c = skip_blanks(s, after);
                if at(s, c) == b'#' {
                    out.push(c, le, Class::Comment);
                }
                let (cs, ce, resume) = block_extent(s, i, entry_col);
                out.push(cs, ce, Class::String);
                i = resume;
                at_line_start = true;
            }
            b'-' | b'?' if node_start && blank_or_end(at(s, i + 1)) => {
                entry_col = i - ls;
                i += 1;
            }
            b':' if blank_or_end(at(s, i + 1))
                || (flow > 0 && matches!(at(s, i + 1), b',' | b']' | b'}')) =>
            {
                node_start = true;
                i += 1;
            }
            b'[' | b'{' => {
                flow += 1;
                node_start = true;
                i += 1;
            }
            b']' | b'}' => {
                flow = flow.saturating_sub(1);
                node_start = false;
                i += 1;
            }
            b',' if flow > 0 => {
                node_start = true;
                i += 1;
            }
            b'&' | b'!' if node_start => {
                while i < end && !blank_or_end(s[i]) {
                    i += 1;
                }
            }
            b' ' | b'\t' | b'\r' => i += 1,
            _ => {
                // A plain scalar: up to `: `, ` #`, a template, the line end,
                // or a flow indicator inside a flow collection.
                let start = i;
                let le = line_end(s, i);
                let mut j = i;
                while j < le {
                    let c = s[j];
                    if c == b':'
                        && (blank_or_end(at(s, j + 1))
                            || (flow > 0 && matches!(at(s, j + 1), b',' | b']' | b'}')))
                    {
                        break;
                    }
                    if c == b'#' && j > start && matches!(s[j - 1], b' ' | b'\t') {
                        break;
                    }
                    if c == b'{' && at(s, j + 1) == b'{' {
                        break;
                    }
                    if flow > 0 && matches!(c, b',' | b'[' | b']' | b'{' | b'}') {
                        break;
                    }
                    j += 1;
                }
                if j == start {
                    j += 1;
                }
                if node_start && at(s, j) == b':' {
                    entry_col = start - ls;
                }
                node_start = false;
                i = j;
            }
        }
    }
}

/// Whether the logical line ending at `le` continues on the next (`\` last).
fn continued(s: &[u8], line: usize, le: usize, esc: u8) -> bool {
    let mut e = le;
    while e > line && matches!(s[e - 1], b' ' | b'\t' | b'\r') {
        e -= 1;
    }
    e > line && s[e - 1] == esc
}

/// Makefile: recipe lines (tab-led) are shell with make's `$` rules; other
/// lines have `#` comments unless escaped; `define … endef` bodies are text.
pub(crate) fn lex_makefile(s: &[u8], out: &mut Sink) {
    let end = s.len();
    let mut line = 0;
    let mut in_define = false;
    while line < end {
        let mut le = line_end(s, line);
        while le < end && continued(s, line, le, b'\\') {
            le = line_end(s, le + 1);
        }
        let first = skip_blanks(s, line);
        let text = &s[first..le];
        if in_define {
            if text.starts_with(b"endef") {
                in_define = false;
            }
        } else if s[line] == b'\t' {
            let mut body = line + 1;
            while matches!(at(s, body), b'@' | b'-' | b'+' | b' ' | b'\t') {
                body += 1;
            }
            if at(s, body) == b'#' {
                // `@# …`: the whole recipe line, prefix included, is a comment.
                out.push(line + 1, le, Class::Comment);
            } else {
                lex_shell(s, body..le, Dialect::Make, out);
            }
        } else if text.starts_with(b"define ") || text == b"define" {
            in_define = true;
        } else {
            let mut j = first;
            while j < le {
                if s[j] == b'#' && (j == 0 || s[j - 1] != b'\\') {
                    out.push(j, le, Class::Comment);
                    break;
                }
                j += 1;
            }
        }
        line = le + 1;
    }
}

/// Dockerfile instructions whose arguments are (usually) a shell command.
pub(crate) const SHELL_INSTRUCTIONS: &[&str] =
    &["RUN", "CMD", "ENTRYPOINT", "SHELL", "HEALTHCHECK"];

/// The escape character a Dockerfile declares (`# escape=\``), default `\`.
pub(crate) fn dockerfile_escape(s: &[u8]) -> u8 {
    let mut line = 0;
    while line < s.len() {
        let le = line_end(s, line);
        let t = s[line..le].trim_ascii();
        let Some(rest) = t.strip_prefix(b"#") else {
            break;
        };
        let rest = rest.trim_ascii();
        let lower = rest.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix(b"escape") {
            let v = v.trim_ascii();
            if let Some(v) = v.strip_prefix(b"=") {
                if let Some(&c) = v.trim_ascii().first() {
                    return c;
                }
            }
        } else if !lower.contains(&b'=') {
            break;
        }
        line = le + 1;
    }
    b'\\'
}

/// One Dockerfile instruction as laid out in the file.
#[derive(Debug, Clone)]
pub(crate) struct RawInstruction {
    /// Upper-cased keyword.
    pub(crate) keyword: String,
    /// From the keyword to the end of the last continuation line.
    pub(crate) span: std::ops::Range<usize>,
    /// After the keyword and its blanks.
    pub(crate) args: usize,
    /// Heredoc bodies that follow the instruction (terminator included).
    pub(crate) heredocs: Vec<std::ops::Range<usize>>,
    /// Comment lines inside the instruction (continuation-interleaved).
    pub(crate) comments: Vec<std::ops::Range<usize>>,
}

/// Heredoc delimiters announced in `s[range]` (`<<EOF`, `<<-EOF`, `<<"EOF"`).
fn dockerfile_heredocs(s: &[u8], range: std::ops::Range<usize>) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut i = range.start;
    while let Some(p) = find(s, i, b"<<").filter(|&p| p < range.end) {
        let mut j = p + 2;
        if at(s, j) == b'-' {
            j += 1;
        }
        let q = at(s, j);
        let quoted = q == b'"' || q == b'\'';
        if quoted {
            j += 1;
        }
        let st = j;
        while j < range.end && (s[j].is_ascii_alphanumeric() || s[j] == b'_') {
            j += 1;
        }
        if j > st && !s[st..j].iter().all(u8::is_ascii_digit) && out.len() < 16 {
            out.push(s[st..j].to_vec());
        }
        i = j.max(p + 2);
    }
    out
}

/// Splits a Dockerfile into instructions (continuations, interleaved
/// comment lines and heredoc bodies included), and lists comment lines.
pub(crate) fn dockerfile_instructions(
    s: &[u8],
) -> (Vec<RawInstruction>, Vec<std::ops::Range<usize>>) {
    let esc = dockerfile_escape(s);
    let end = s.len();
    let mut instrs = Vec::new();
    let mut comments = Vec::new();
    let mut line = 0;
    while line < end {
        let le = line_end(s, line);
        let first = skip_blanks(s, line);
        if first >= le || s[first] == b'\r' {
            line = le + 1;
            continue;
        }
        if s[first] == b'#' {
            comments.push(first..le);
            line = le + 1;
            continue;
        }
        let mut kw_end = first;
        while kw_end < le && s[kw_end].is_ascii_alphabetic() {
            kw_end += 1;
        }
        let keyword = String::from_utf8_lossy(&s[first..kw_end]).to_ascii_uppercase();
        let args = skip_blanks(s, kw_end);
        let mut inner_comments = Vec::new();
        let mut last = le;
        let mut cur_line = line;
        let mut cur_end = le;
        while cur_end < end && continued(s, cur_line, cur_end, esc) {
            // Continuation: skip comment and blank lines, which Docker drops.
            let mut next = cur_end + 1;
            loop {
                if next >= end {
                    break;
                }
                let nle = line_end(s, next);
                let nf = skip_blanks(s, next);
                if nf < nle && s[nf] == b'#' {
                    inner_comments.push(nf..nle);
                    next = nle + 1;
                    continue;
                }
                if nf >= nle {
                    next = nle + 1;
                    continue;
                }
                break;
            }
            if next >= end {
                break;
            }
            cur_line = next;
            cur_end = line_end(s, next);
            last = cur_end;
        }
        let mut heredocs = Vec::new();
        let mut after = last;
        for delim in dockerfile_heredocs(s, args..last) {
            let body = (after + 1).min(end);
            let mut close = end;
            let mut l = body;
            while l < end {
                let lle = line_end(s, l);
                if s[l..lle].trim_ascii() == delim.as_slice() {
                    close = lle;
                    break;
                }
                l = lle + 1;
            }
            heredocs.push(body..close);
            after = close;
            if close >= end {
                break;
            }
        }
        let span_end = after.max(last);
        comments.extend(inner_comments.iter().cloned());
        instrs.push(RawInstruction {
            keyword,
            span: first..span_end,
            args,
            heredocs,
            comments: inner_comments,
        });
        line = span_end + 1;
    }
    comments.sort_by_key(|r| r.start);
    (instrs, comments)
}

/// Dockerfile: comment lines (also inside continuations); shell arguments of
/// RUN/CMD/ENTRYPOINT… lexed as shell; quotes elsewhere; heredoc bodies.
pub(crate) fn lex_dockerfile(s: &[u8], out: &mut Sink) {
    let (instrs, comments) = dockerfile_instructions(s);
    let mut ci = 0;
    for ins in &instrs {
        while ci < comments.len() && comments[ci].start < ins.span.start {
            out.push(comments[ci].start, comments[ci].end, Class::Comment);
            ci += 1;
        }
        if SHELL_INSTRUCTIONS.contains(&ins.keyword.as_str()) {
            // The shell scanner reads interleaved comment lines as comments
            // and the heredoc bodies as heredocs.
            lex_shell(s, ins.args..ins.span.end, Dialect::Posix, out);
        } else {
            let body_end = ins.heredocs.first().map_or(ins.span.end, |h| h.start);
            let mut j = ins.args;
            let mut le_cache = 0;
            let mut inner = ins.comments.iter().peekable();
            while j < body_end {
                if let Some(c) = inner.peek() {
                    if j >= c.start {
                        out.push(c.start, c.end, Class::Comment);
                        j = c.end;
                        inner.next();
                        continue;
                    }
                }
                match s[j] {
                    q @ (b'"' | b'\'') => {
                        if j >= le_cache {
                            le_cache = line_end(s, j);
                        }
                        let le = le_cache.min(body_end);
                        let e = s[j + 1..le]
                            .iter()
                            .position(|&b| b == q)
                            .map_or(le, |p| j + p + 2);
                        out.push(j, e, Class::String);
                        j = e;
                    }
                    b'\\' => j += 2,
                    _ => j += 1,
                }
            }
            for h in &ins.heredocs {
                out.push(h.start, h.end, Class::Heredoc);
            }
        }
        while ci < comments.len() && comments[ci].start < ins.span.end {
            ci += 1;
        }
    }
    while ci < comments.len() {
        out.push(comments[ci].start, comments[ci].end, Class::Comment);
        ci += 1;
    }
}

/// INI / properties: whole-line `;` and `#` comments.
pub(crate) fn lex_ini(s: &[u8], out: &mut Sink) {
    let mut line = 0;
    while line < s.len() {
        let le = line_end(s, line);
        let f = skip_blanks(s, line);
        if matches!(at(s, f), b';' | b'#') && f < le {
            out.push(f, le, Class::Comment);
        }
        line = le + 1;
    }
}

/// Markdown: HTML comments outside code (code blocks and spans are decided
/// by the docs map).
pub(crate) fn lex_markdown(s: &[u8], out: &mut Sink) {
    let docs = crate::context::docs::DocsMap::build(s);
    for (r, region) in docs.regions() {
        if matches!(region, crate::context::docs::Region::Comment) {
            out.push(r.start, r.end, Class::Comment);
        }
    }
}

/// HTML: `<!-- … -->` comments.
pub(crate) fn lex_html(s: &[u8], out: &mut Sink) {
    let mut i = 0;
    while let Some(p) = find(s, i, b"<!--") {
        let e = find(s, p + 4, b"-->").map_or(s.len(), |q| q + 3);
        out.push(p, e, Class::Comment);
        i = e;
    }
}
