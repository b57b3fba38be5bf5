//! Docs map: which parts of a documentation file are prose and which are
//! code (fenced, indented and literal blocks with their language; inline
//! code spans), comments, or notebook outputs.
//!
//! A mention in prose is documentation; a mention in a code block is an
//! example a reader will copy, and the caller can analyse the block's
//! content with the syntax its language names. Line-based and linear: every
//! lookahead is bounded by the paragraph or block it belongs to.

use crate::context::lex::{at, line_end, skip_blanks};
use std::collections::HashMap;
use std::ops::Range;

/// Which markup a documentation file uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocFormat {
    /// CommonMark/GitHub Markdown, MDX.
    Markdown,
    /// reStructuredText.
    Rst,
    /// AsciiDoc.
    AsciiDoc,
    /// A Jupyter notebook (`.ipynb` JSON).
    Notebook,
    /// Plain text: all prose.
    Plain,
}

impl DocFormat {
    /// The format for a file extension (without the dot, any case).
    pub fn from_extension(ext: &str) -> DocFormat {
        match ext.to_ascii_lowercase().as_str() {
            "md" | "mdx" | "markdown" | "mkd" => DocFormat::Markdown,
            "rst" | "rest" => DocFormat::Rst,
            "adoc" | "asciidoc" | "asc" => DocFormat::AsciiDoc,
            "ipynb" => DocFormat::Notebook,
            _ => DocFormat::Plain,
        }
    }
}

/// What a position of a documentation file is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Region {
    /// Running text (also Markdown cells of notebooks).
    Prose,
    /// An inline code span (`` `…` ``, RST ``` ``…`` ```).
    InlineCode,
    /// A code block; `content` is its text without fences or directive lines.
    CodeBlock {
        /// The language its info string or directive names, lower-cased
        /// (`bash`, `yaml`, `python`…); None when unstated.
        lang: Option<String>,
        /// The block's content.
        content: Range<usize>,
        /// Whether the content is a JSON string (notebook cells): escapes
        /// such as `\n` and `\"` must be decoded before analysing it.
        json_escaped: bool,
    },
    /// An HTML/RST/AsciiDoc comment: text a reader does not see.
    Comment,
    /// Output of a notebook code cell.
    Output,
}

static PROSE: Region = Region::Prose;

/// The regions of one documentation file.
#[derive(Debug, Clone, Default)]
pub struct DocsMap {
    /// Non-prose regions, sorted and disjoint (a region's range covers the
    /// whole construct: fences and directive lines included).
    regions: Vec<(Range<usize>, Region)>,
}

impl DocsMap {
    /// Builds the map of a Markdown file.
    pub fn build(content: &[u8]) -> DocsMap {
        DocsMap::build_as(DocFormat::Markdown, content)
    }

    /// Builds the map of a file in `format`.
    pub fn build_as(format: DocFormat, content: &[u8]) -> DocsMap {
        let mut b = Builder::default();
        match format {
            DocFormat::Markdown => markdown(content, &mut b),
            DocFormat::Rst => rst(content, &mut b),
            DocFormat::AsciiDoc => asciidoc(content, &mut b),
            DocFormat::Notebook => notebook(content, &mut b),
            DocFormat::Plain => {}
        }
        DocsMap { regions: b.regions }
    }

    /// The region holding `offset` ([`Region::Prose`] outside every construct).
    pub fn region_at(&self, offset: usize) -> &Region {
        self.span_at(offset).map_or(&PROSE, |(_, r)| r)
    }

    /// The construct holding `offset` with its whole range; None in prose.
    pub fn span_at(&self, offset: usize) -> Option<(Range<usize>, &Region)> {
        let i = self.regions.partition_point(|(r, _)| r.end <= offset);
        self.regions
            .get(i)
            .filter(|(r, _)| r.start <= offset)
            .map(|(r, reg)| (r.clone(), reg))
    }

    /// Every non-prose region in order.
    pub fn regions(&self) -> impl Iterator<Item = (Range<usize>, &Region)> + '_ {
        self.regions.iter().map(|(r, reg)| (r.clone(), reg))
    }

    /// Every code block in order: (whole block, language, content).
    pub fn code_blocks(
        &self,
    ) -> impl Iterator<Item = (Range<usize>, Option<&str>, Range<usize>)> + '_ {
        self.regions.iter().filter_map(|(r, reg)| match reg {
            Region::CodeBlock { lang, content, .. } => {
                Some((r.clone(), lang.as_deref(), content.clone()))
            }
            _ => None,
        })
    }
}

#[derive(Default)]
struct Builder {
    regions: Vec<(Range<usize>, Region)>,
}

impl Builder {
    fn push(&mut self, r: Range<usize>, region: Region) {
        if r.end <= r.start {
            return;
        }
        if let Some((last, _)) = self.regions.last() {
            if r.start < last.end {
                return;
            }
        }
        self.regions.push((r, region));
    }
}

/// Language word of an info string: `bash`, `{.yaml}`, `yaml title="x"`,
/// `shell:docker-compose.yml`, `console$` → lower-cased first word.
fn info_lang(info: &[u8]) -> Option<String> {
    let t = info.trim_ascii();
    let t = t.strip_prefix(b"{").unwrap_or(t);
    let t = t.strip_prefix(b".").unwrap_or(t);
    let word: Vec<u8> = t
        .iter()
        .copied()
        .take_while(|&b| !b.is_ascii_whitespace() && !b"{},:=`".contains(&b))
        .collect();
    if word.is_empty() {
        return None;
    }
    Some(String::from_utf8_lossy(&word).to_ascii_lowercase())
}

fn is_blank_line(s: &[u8], line: usize, le: usize) -> bool {
    s[line..le].iter().all(|b| b.is_ascii_whitespace())
}

/// Indentation of the line at `line` in columns (a tab counts to the next
/// multiple of 4, as Markdown does).
fn indent_cols(s: &[u8], line: usize, le: usize) -> usize {
    let mut col = 0;
    for &b in &s[line..le] {
        match b {
            b' ' => col += 1,
            b'\t' => col += 4 - col % 4,
            _ => break,
        }
    }
    col
}

fn is_list_item(t: &[u8]) -> bool {
    if matches!(t.first(), Some(b'-' | b'*' | b'+')) && matches!(t.get(1), Some(b' ' | b'\t')) {
        return true;
    }
    let digits = t.iter().take_while(|b| b.is_ascii_digit()).count();
    (1..=9).contains(&digits)
        && matches!(t.get(digits), Some(b'.' | b')'))
        && matches!(t.get(digits + 1), Some(b' ' | b'\t') | None)
}

/// Index after the `<!-- … -->` comment at `i` (to the end when unclosed).
fn html_comment_end(s: &[u8], i: usize) -> usize {
    memchr::memmem::find(&s[(i + 4).min(s.len())..], b"-->").map_or(s.len(), |p| i + 4 + p + 3)
}

/// Inline code spans and HTML comments of one prose range `[from, to)`.
/// `para_end` bounds where a code span may close. Returns the index where
/// scanning stopped (past `to` when a construct ran over the line).
struct Inline {
    /// For each backtick run length, the limit up to which a search for a
    /// closing run already failed: a later opener with the same or a
    /// smaller limit fails too.
    failed: HashMap<usize, usize>,
}

impl Inline {
    fn scan(
        &mut self,
        s: &[u8],
        from: usize,
        to: usize,
        para_end: usize,
        b: &mut Builder,
    ) -> usize {
        let mut i = from;
        while i < to {
            match s[i] {
                b'\\' => i += 2,
                b'<' if s[i..].starts_with(b"<!--") => {
                    let e = html_comment_end(s, i);
                    b.push(i..e, Region::Comment);
                    i = e;
                }
                b'`' => {
                    let n = s[i..].iter().take_while(|&&c| c == b'`').count();
                    match self.close(s, i + n, n, para_end) {
                        Some(e) => {
                            b.push(i..e, Region::InlineCode);
                            i = e;
                        }
                        None => i += n,
                    }
                }
                _ => i += 1,
            }
        }
        i
    }

    fn close(&mut self, s: &[u8], from: usize, n: usize, limit: usize) -> Option<usize> {
        if self.failed.get(&n).is_some_and(|&l| l >= limit) {
            return None;
        }
        let mut j = from;
        while j < limit {
            match memchr::memchr(b'`', &s[j..limit]) {
                None => break,
                Some(p) => {
                    let st = j + p;
                    let run = s[st..limit].iter().take_while(|&&c| c == b'`').count();
                    if run == n {
                        return Some(st + run);
                    }
                    j = st + run;
                }
            }
        }
        self.failed.insert(n, limit);
        None
    }
}

/// End of the paragraph that holds `line`: the start of the next blank line.
fn paragraph_end(s: &[u8], line: usize) -> usize {
    let mut l = line;
    while l < s.len() {
        let le = line_end(s, l);
        if is_blank_line(s, l, le) {
            return l;
        }
        l = le + 1;
    }
    s.len()
}

fn markdown(s: &[u8], b: &mut Builder) {
    let end = s.len();
    let mut line = 0;
    // Front matter: YAML between `---` lines (TOML between `+++`) at the top.
    let body = s.strip_prefix(b"\xEF\xBB\xBF").map_or(0, |_| 3);
    for (fence, lang) in [(&b"---"[..], "yaml"), (&b"+++"[..], "toml")] {
        let le = line_end(s, body);
        if s[body..le].trim_ascii_end() == fence {
            let mut l = le + 1;
            while l < end {
                let lle = line_end(s, l);
                let t = s[l..lle].trim_ascii_end();
                if t == fence || (fence == b"---" && t == b"...") {
                    b.push(
                        body..lle,
                        Region::CodeBlock {
                            lang: Some(lang.into()),
                            content: (le + 1).min(lle)..l,
                            json_escaped: false,
                        },
                    );
                    line = lle + 1;
                    break;
                }
                l = lle + 1;
            }
        }
    }
    let mut inline = Inline {
        failed: HashMap::new(),
    };
    let mut prev_blank = true;
    let mut in_list = false;
    let mut para_end = 0;
    let mut resume = 0; // scanning of the current line starts here
    while line < end {
        let le = line_end(s, line);
        if resume > line {
            // The line began inside a construct that closed at `resume`.
            let stop = inline.scan(s, resume, le, para_end.max(le), b);
            prev_blank = false;
            if stop > le {
                resume = stop;
                if stop >= end {
                    break;
                }
                line = crate::context::lex::line_start(s, stop);
            } else {
                line = le + 1;
            }
            continue;
        }
        if is_blank_line(s, line, le) {
            prev_blank = true;
            line = le + 1;
            continue;
        }
        let first = skip_blanks(s, line);
        let t = &s[first..le];
        let cols = indent_cols(s, line, le);
        let fence_ch = at(s, first);
        let run = t.iter().take_while(|&&c| c == fence_ch).count();
        if matches!(fence_ch, b'`' | b'~')
            && run >= 3
            && !(fence_ch == b'`' && t[run..].contains(&b'`'))
        {
            let lang = info_lang(&t[run..]);
            let content_start = (le + 1).min(end);
            let mut l = content_start;
            let mut close = None;
            while l < end {
                let lle = line_end(s, l);
                let f = skip_blanks(s, l);
                let tt = s[f..lle].trim_ascii_end();
                let r = tt.iter().take_while(|&&c| c == fence_ch).count();
                if r >= run && r == tt.len() {
                    close = Some((l, lle));
                    break;
                }
                l = lle + 1;
            }
            let (content_end, block_end) = close.unwrap_or((end, end));
            b.push(
                line..block_end,
                Region::CodeBlock {
                    lang,
                    content: content_start.min(content_end)..content_end,
                    json_escaped: false,
                },
            );
            line = block_end + 1;
            prev_blank = false;
            continue;
        }
        if cols >= 4 && prev_blank && !in_list {
            // Indented code block: until a non-blank line indented less.
            let mut l = line;
            let mut last_end = le;
            while l < end {
                let lle = line_end(s, l);
                if is_blank_line(s, l, lle) {
                    l = lle + 1;
                    continue;
                }
                if indent_cols(s, l, lle) < 4 {
                    break;
                }
                last_end = lle;
                l = lle + 1;
            }
            b.push(
                line..last_end,
                Region::CodeBlock {
                    lang: None,
                    content: line..last_end,
                    json_escaped: false,
                },
            );
            line = last_end + 1;
            prev_blank = false;
            continue;
        }
        if is_list_item(t) {
            in_list = true;
        } else if cols == 0 && prev_blank {
            in_list = false;
        }
        if line >= para_end {
            para_end = paragraph_end(s, line);
        }
        let stop = inline.scan(s, first, le, para_end.max(le), b);
        prev_blank = false;
        if stop > le {
            resume = stop;
            if stop >= end {
                break;
            }
            line = crate::context::lex::line_start(s, stop);
            continue;
        }
        line = le + 1;
    }
}

/// Lines after `from` that are blank or indented deeper than `indent`:
/// returns (start of the first content line, end of the last one, resume).
fn indented_body(s: &[u8], from: usize, indent: usize) -> (Option<usize>, usize, usize) {
    let mut l = from;
    let mut first = None;
    let mut last_end = from;
    while l < s.len() {
        let le = line_end(s, l);
        if is_blank_line(s, l, le) {
            l = le + 1;
            continue;
        }
        if indent_cols(s, l, le) <= indent {
            break;
        }
        first.get_or_insert(l);
        last_end = le;
        l = le + 1;
    }
    (first, last_end, l.min(s.len()))
}

fn rst(s: &[u8], b: &mut Builder) {
    let end = s.len();
    let mut inline = Inline {
        failed: HashMap::new(),
    };
    let mut line = 0;
    while line < end {
        let le = line_end(s, line);
        if is_blank_line(s, line, le) {
            line = le + 1;
            continue;
        }
        let first = skip_blanks(s, line);
        let t = s[first..le].trim_ascii_end();
        let indent = indent_cols(s, line, le);
        let directive = [
            &b".. code-block::"[..],
            b".. code::",
            b".. sourcecode::",
            b".. highlight::",
        ]
        .iter()
        .find_map(|d| t.strip_prefix(*d));
        if let Some(rest) = directive {
            let lang = info_lang(rest);
            // Option lines (`:linenos:`) come first and are not content.
            let mut l = le + 1;
            while l < end {
                let lle = line_end(s, l);
                let f = skip_blanks(s, l);
                if f < lle && s[f] == b':' && indent_cols(s, l, lle) > indent {
                    l = lle + 1;
                } else {
                    break;
                }
            }
            let (cfirst, cend, resume) = indented_body(s, l.min(end), indent);
            let block_end = if cfirst.is_some() { cend } else { le };
            b.push(
                line..block_end,
                Region::CodeBlock {
                    lang,
                    content: cfirst.unwrap_or(block_end).min(block_end)..block_end,
                    json_escaped: false,
                },
            );
            line = resume.max(le + 1);
            continue;
        }
        if t.starts_with(b"..") && (t.len() == 2 || t[2] == b' ') {
            let is_markup = memchr::memmem::find(t, b"::").is_some()
                || t.starts_with(b".. _")
                || t.starts_with(b".. |")
                || t.starts_with(b".. [");
            if !is_markup {
                let (_, cend, resume) = indented_body(s, le + 1, indent);
                let stop = cend.max(le);
                b.push(line..stop, Region::Comment);
                line = resume.max(le + 1);
                continue;
            }
        }
        // A paragraph ending in `::` introduces a literal block.
        let para_end = paragraph_end(s, line);
        let mut l = line;
        let mut last_line = line;
        while l < para_end {
            let lle = line_end(s, l);
            inline_rst(s, skip_blanks(s, l), lle, para_end, &mut inline, b);
            last_line = l;
            l = lle + 1;
        }
        let last_le = line_end(s, last_line);
        let last_text = s[last_line..last_le].trim_ascii_end();
        line = para_end;
        if last_text.ends_with(b"::") {
            let pindent = indent_cols(s, last_line, last_le);
            let (cfirst, cend, resume) = indented_body(s, para_end, pindent);
            if let Some(cf) = cfirst {
                b.push(
                    cf..cend,
                    Region::CodeBlock {
                        lang: None,
                        content: cf..cend,
                        json_escaped: false,
                    },
                );
                line = resume;
            }
        }
    }
}

/// RST inline literals ``` ``…`` ``` on one line.
fn inline_rst(
    s: &[u8],
    from: usize,
    to: usize,
    para_end: usize,
    _inline: &mut Inline,
    b: &mut Builder,
) {
    let mut i = from;
    while i + 1 < to {
        if s[i] == b'`' && s[i + 1] == b'`' {
            if let Some(p) = memchr::memmem::find(&s[i + 2..para_end.max(i + 2)], b"``") {
                let e = i + 2 + p + 2;
                b.push(i..e, Region::InlineCode);
                i = e;
                continue;
            }
            return;
        }
        i += 1;
    }
}

fn asciidoc(s: &[u8], b: &mut Builder) {
    let end = s.len();
    let mut inline = Inline {
        failed: HashMap::new(),
    };
    let mut line = 0;
    let mut para_end = 0;
    let mut pending_lang: Option<Option<String>> = None;
    while line < end {
        let le = line_end(s, line);
        let t = s[line..le].trim_ascii();
        if t.is_empty() {
            line = le + 1;
            continue;
        }
        if t.starts_with(b"[") && t.ends_with(b"]") {
            // `[source,bash]`, `[source, yaml, linenums]`, `[,python]`.
            let inner = &t[1..t.len() - 1];
            let mut parts = inner.split(|&c| c == b',');
            let style = parts.next().unwrap_or_default().trim_ascii();
            if style == b"source" || style.is_empty() || style == b"listing" {
                pending_lang = Some(parts.next().and_then(info_lang));
            }
            line = le + 1;
            continue;
        }
        let delim = [&b"----"[..], b"....", b"////"]
            .iter()
            .copied()
            .find(|d| t.len() >= 4 && t.iter().all(|&c| c == d[0]) && t.starts_with(d));
        if let Some(d) = delim {
            let mut l = le + 1;
            let mut close = None;
            while l < end {
                let lle = line_end(s, l);
                if s[l..lle].trim_ascii() == t {
                    close = Some((l, lle));
                    break;
                }
                l = lle + 1;
            }
            let (cend, bend) = close.unwrap_or((end, end));
            let content = (le + 1).min(cend)..cend;
            let region = if d[0] == b'/' {
                Region::Comment
            } else {
                Region::CodeBlock {
                    lang: if d[0] == b'-' {
                        pending_lang.take().flatten()
                    } else {
                        None
                    },
                    content,
                    json_escaped: false,
                }
            };
            b.push(line..bend, region);
            pending_lang = None;
            line = bend + 1;
            continue;
        }
        if let Some(lang) = pending_lang.take() {
            // A source style on a plain paragraph: the paragraph is code.
            let pe = paragraph_end(s, line);
            let ce = if pe > line && pe <= end {
                pe.saturating_sub(1).max(line)
            } else {
                pe
            };
            b.push(
                line..ce,
                Region::CodeBlock {
                    lang,
                    content: line..ce,
                    json_escaped: false,
                },
            );
            line = pe;
            continue;
        }
        if t.starts_with(b"//") && !t.starts_with(b"///") {
            b.push(line..le, Region::Comment);
            line = le + 1;
            continue;
        }
        if line >= para_end {
            para_end = paragraph_end(s, line);
        }
        let pe = para_end;
        let stop = inline.scan(s, line, le, pe.max(le), b);
        line = if stop > le {
            crate::context::lex::line_start(s, stop.min(end))
                .max(le + 1)
                .min(line_end(s, stop.min(end)) + 1)
        } else {
            le + 1
        };
    }
}

/// Notebook cells: code cell sources are code blocks in the kernel's
/// language, outputs are [`Region::Output`], markdown and raw cells prose.
/// The JSON is read by a small iterative scanner that tolerates damage.
fn notebook(s: &[u8], b: &mut Builder) {
    #[derive(Debug)]
    struct Frame {
        obj: bool,
        key: Option<Range<usize>>,
        index: usize,
    }
    #[derive(Default, Debug)]
    struct Cell {
        kind: Option<Vec<u8>>,
        source: Option<Range<usize>>,
        outputs: Option<Range<usize>>,
    }
    let key_is = |s: &[u8], k: &Option<Range<usize>>, want: &[u8]| {
        k.as_ref().is_some_and(|r| s.get(r.clone()) == Some(want))
    };
    let mut stack: Vec<Frame> = Vec::new();
    let mut starts: Vec<usize> = Vec::new();
    let mut cells: Vec<Cell> = Vec::new();
    let mut lang: Option<String> = None;
    let mut expect_key = false;
    let mut i = 0;
    // Called when a value [vs, ve) completes at the current depth.
    let on_value = |stack: &[Frame],
                    vs: usize,
                    ve: usize,
                    cells: &mut Vec<Cell>,
                    lang: &mut Option<String>| {
        if stack.len() == 3
            && stack[0].obj
            && key_is(s, &stack[0].key, b"cells")
            && !stack[1].obj
            && stack[2].obj
        {
            let idx = stack[1].index;
            if cells.len() <= idx {
                cells.resize_with(idx + 1, Cell::default);
            }
            let cell = &mut cells[idx];
            if key_is(s, &stack[2].key, b"cell_type") {
                cell.kind = Some(s[vs..ve].trim_ascii().to_vec());
            } else if key_is(s, &stack[2].key, b"source") {
                cell.source = Some(vs..ve);
            } else if key_is(s, &stack[2].key, b"outputs") {
                cell.outputs = Some(vs..ve);
            }
        }
        if stack.len() == 3
            && key_is(s, &stack[0].key, b"metadata")
            && (key_is(s, &stack[1].key, b"kernelspec") && key_is(s, &stack[2].key, b"language")
                || key_is(s, &stack[1].key, b"language_info") && key_is(s, &stack[2].key, b"name"))
            && lang.is_none()
        {
            let v = s[vs..ve].trim_ascii();
            let v = v.strip_prefix(b"\"").unwrap_or(v);
            let v = v.strip_suffix(b"\"").unwrap_or(v);
            *lang = Some(String::from_utf8_lossy(v).to_ascii_lowercase());
        }
    };
    while i < s.len() {
        let c = s[i];
        match c {
            b'{' | b'[' => {
                if stack.len() >= 256 {
                    return;
                }
                starts.push(i);
                stack.push(Frame {
                    obj: c == b'{',
                    key: None,
                    index: 0,
                });
                expect_key = c == b'{';
                i += 1;
            }
            b'}' | b']' => {
                stack.pop();
                let vs = starts.pop().unwrap_or(i);
                on_value(&stack, vs, i + 1, &mut cells, &mut lang);
                expect_key = false;
                i += 1;
            }
            b',' => {
                if let Some(f) = stack.last_mut() {
                    if f.obj {
                        f.key = None;
                        expect_key = true;
                    } else {
                        f.index += 1;
                    }
                }
                i += 1;
            }
            b':' => {
                expect_key = false;
                i += 1;
            }
            b'"' => {
                let mut j = i + 1;
                while j < s.len() && s[j] != b'"' {
                    j += if s[j] == b'\\' { 2 } else { 1 };
                }
                let e = (j + 1).min(s.len());
                if expect_key {
                    if let Some(f) = stack.last_mut() {
                        f.key = Some((i + 1).min(e)..j.min(s.len()));
                    }
                    expect_key = false;
                } else {
                    on_value(&stack, i, e, &mut cells, &mut lang);
                }
                i = e;
            }
            c if c.is_ascii_whitespace() => i += 1,
            _ => {
                let st = i;
                while i < s.len() && !b",]}".contains(&s[i]) && !s[i].is_ascii_whitespace() {
                    i += 1;
                }
                on_value(&stack, st, i, &mut cells, &mut lang);
            }
        }
    }
    let lang = lang.unwrap_or_else(|| "python".into());
    // nbformat writes keys in order (`outputs` before `source`): sort.
    let mut found: Vec<(Range<usize>, Region)> = Vec::new();
    for cell in cells {
        if cell.kind.as_deref().map(|k| k.trim_ascii()) != Some(b"\"code\"") {
            continue;
        }
        if let Some(src) = cell.source {
            found.push((
                src.clone(),
                Region::CodeBlock {
                    lang: Some(lang.clone()),
                    content: src,
                    json_escaped: true,
                },
            ));
        }
        if let Some(o) = cell.outputs {
            found.push((o, Region::Output));
        }
    }
    found.sort_by_key(|(r, _)| r.start);
    for (r, reg) in found {
        b.push(r, reg);
    }
}

#[cfg(test)]
mod tests;
