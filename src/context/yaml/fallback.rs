//! Indentation reading of YAML-like files the parser rejects: Helm
//! templates (`{{- if … }}` lines, `{{ .Values.x }}` values), tab-indented
//! files, fragments. Keys come from `key:` lines, sequence items from `- `,
//! nesting from indentation; template-only lines are skipped, block scalars
//! are kept whole. The result has the same shape as the parser's tree.

use super::{Builder, Node, NodeId, NodeKind, Seg, Style, YamlDoc};
use crate::context::lex::{block_extent, block_header, line_end, skip_blanks};
use std::collections::{HashMap, HashSet};
use std::ops::Range;

#[derive(Debug)]
struct Ctx {
    id: NodeId,
    seq: bool,
    col: usize,
    /// Items so far (sequences).
    count: usize,
    /// The last entry (mappings): a key whose value may nest below it.
    open_entry: Option<NodeId>,
    /// A `-` line with nothing after it (sequences): where its dash is.
    pending_item: Option<usize>,
}

struct Fb<'a> {
    s: &'a [u8],
    nodes: Vec<Node>,
    roots: Vec<NodeId>,
    stack: Vec<Ctx>,
    doc: usize,
    has_merge: HashSet<NodeId>,
}

/// Deepest indentation nesting kept (deeper lines attach to the deepest).
const MAX_STACK: usize = 256;

fn unquote(t: &[u8]) -> &[u8] {
    if t.len() >= 2 && (t[0] == b'"' || t[0] == b'\'') && t[t.len() - 1] == t[0] {
        &t[1..t.len() - 1]
    } else {
        t
    }
}

/// Value text end: before a ` #` comment, trailing blanks trimmed.
fn value_end(s: &[u8], from: usize, le: usize) -> usize {
    let mut j = from;
    let mut quote: Option<u8> = None;
    if matches!(s.get(from), Some(b'"' | b'\'')) {
        quote = s.get(from).copied();
        j += 1;
    }
    while j < le {
        let c = s[j];
        if let Some(q) = quote {
            if c == q {
                quote = None;
            }
        } else if c == b'#' && j > from && matches!(s[j - 1], b' ' | b'\t') {
            break;
        }
        j += 1;
    }
    let mut e = j;
    while e > from && s[e - 1].is_ascii_whitespace() {
        e -= 1;
    }
    e
}

/// A key at `pos`: (key text range, index of its `:`).
fn key_at(s: &[u8], pos: usize, le: usize) -> Option<(Range<usize>, usize)> {
    let c = *s.get(pos)?;
    if c == b'"' || c == b'\'' {
        let close = s[pos + 1..le].iter().position(|&b| b == c)? + pos + 1;
        let colon = close + 1;
        let ok = s.get(colon) == Some(&b':')
            && matches!(s.get(colon + 1), None | Some(b' ' | b'\t' | b'\r' | b'\n'));
        return ok.then_some((pos + 1..close, colon));
    }
    if matches!(
        c,
        b'[' | b'{' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'%' | b'@' | b'`'
    ) {
        return None;
    }
    // A key is short: a `:` far along the line is inside a value.
    let limit = le.min(pos + 4096);
    let mut j = pos;
    while j < limit {
        let b = s[j];
        if b == b':' && matches!(s.get(j + 1), None | Some(b' ' | b'\t' | b'\r' | b'\n')) {
            let key = pos..j;
            if s[key.clone()].windows(2).any(|w| w == b"{{") {
                return None;
            }
            return Some((key, j));
        }
        if b == b'#' && j > pos && matches!(s[j - 1], b' ' | b'\t') {
            return None;
        }
        j += 1;
    }
    None
}

impl Fb<'_> {
    fn new_node(
        &mut self,
        parent: Option<NodeId>,
        seg: Option<Seg>,
        kind: NodeKind,
        value: Range<usize>,
        key: Option<Range<usize>>,
    ) -> NodeId {
        let id = NodeId(self.nodes.len() as u32);
        let start = key
            .as_ref()
            .map_or(value.start, |k| k.start.min(value.start));
        self.nodes.push(Node {
            parent,
            seg,
            kind,
            span: start..value.end.max(start),
            value: value.clone(),
            key,
            doc: self.doc,
            text: None,
            block: None,
            target: None,
            children: Vec::new(),
            block_collection: matches!(kind, NodeKind::Mapping | NodeKind::Sequence),
        });
        match parent {
            Some(p) => self.nodes[p.0 as usize].children.push(id),
            None => self.roots.push(id),
        }
        id
    }

    /// Turns an entry node into a collection (its value nests below it).
    fn convert(&mut self, id: NodeId, seq: bool, at: usize) {
        let n = &mut self.nodes[id.0 as usize];
        n.kind = if seq {
            NodeKind::Sequence
        } else {
            NodeKind::Mapping
        };
        n.value = at..at;
        n.span.end = n.span.end.max(at);
        n.text = None;
        n.block_collection = true;
    }

    /// Pops contexts deeper than `col`; closes pending empty items.
    fn pop_deeper(&mut self, col: usize) {
        while self.stack.last().is_some_and(|c| c.col > col) {
            self.stack.pop();
        }
    }

    /// The slot for a new collection starting at `at`: a new
    /// item of the sequence on top (`item`), the open entry of a shallower
    /// context, or a new document root.
    fn open_collection(&mut self, seq: bool, at: usize, item: bool) -> NodeId {
        let kind = if seq {
            NodeKind::Sequence
        } else {
            NodeKind::Mapping
        };
        if item {
            if let Some(top) = self.stack.last_mut() {
                let (parent, index) = (top.id, top.count);
                top.count += 1;
                top.pending_item = None;
                return self.new_node(Some(parent), Some(Seg::Index(index)), kind, at..at, None);
            }
        }
        match self.stack.last_mut() {
            None => self.new_node(None, None, kind, at..at, None),
            Some(top) if !top.seq => {
                if let Some(e) = top.open_entry.take() {
                    self.convert(e, seq, at);
                    e
                } else {
                    // No entry to nest under (lines hidden by templates):
                    // hang it under the mapping with a placeholder key.
                    let parent = top.id;
                    self.new_node(Some(parent), Some(Seg::Key("?".into())), kind, at..at, None)
                }
            }
            Some(top) => {
                let (parent, index) = (top.id, top.count);
                top.count += 1;
                top.pending_item = None;
                self.new_node(Some(parent), Some(Seg::Index(index)), kind, at..at, None)
            }
        }
    }

    fn push_ctx(&mut self, id: NodeId, seq: bool, col: usize) {
        if self.stack.len() < MAX_STACK {
            self.stack.push(Ctx {
                id,
                seq,
                col,
                count: 0,
                open_entry: None,
                pending_item: None,
            });
        }
    }

    /// The sequence whose items are at `col`, opened if needed.
    fn ensure_seq(&mut self, col: usize, at: usize, item: bool) {
        if !item {
            self.pop_deeper(col);
            if let Some(top) = self.stack.last_mut() {
                if top.seq && top.col == col {
                    if let Some(p) = top.pending_item.take() {
                        // The previous `-` had no content: a null item.
                        let (parent, index) = (top.id, top.count);
                        top.count += 1;
                        self.new_node(
                            Some(parent),
                            Some(Seg::Index(index)),
                            NodeKind::Scalar(Style::Plain),
                            p..p,
                            None,
                        );
                    }
                    return;
                }
            }
        }
        // An indentless sequence (`env:` then `- name:` at the key's
        // column) nests under the mapping's open entry.
        let id = self.open_collection(true, at, item);
        self.push_ctx(id, true, col);
    }

    /// The mapping whose keys are at `col`, opened if needed.
    fn ensure_map(&mut self, col: usize, at: usize, item: bool) {
        if !item {
            self.pop_deeper(col);
            loop {
                match self.stack.last() {
                    Some(top) if !top.seq && top.col == col => return,
                    // A key at a sequence's column ends that sequence.
                    Some(top) if top.seq && top.col == col => {
                        self.stack.pop();
                    }
                    _ => break,
                }
            }
        }
        let id = self.open_collection(false, at, item);
        self.push_ctx(id, false, col);
    }

    /// Reads one content line from `pos`; returns the index where the next
    /// line to read starts (past a block scalar's body).
    fn line(&mut self, ls: usize, mut pos: usize, le: usize) -> usize {
        let s = self.s;
        let mut item = false;
        loop {
            let col = pos - ls;
            let c = s[pos];
            if c == b'-' && matches!(s.get(pos + 1), None | Some(b' ' | b'\t' | b'\r' | b'\n')) {
                self.ensure_seq(col, pos, item);
                let next = skip_blanks(s, pos + 1);
                if next >= le || s[next] == b'#' || s[next] == b'\r' {
                    if let Some(top) = self.stack.last_mut() {
                        top.pending_item = Some(pos);
                    }
                    return le + 1;
                }
                pos = next;
                item = true;
                continue;
            }
            if let Some((key, colon)) = key_at(s, pos, le) {
                self.ensure_map(col, pos, item);
                let Some(top) = self.stack.last() else {
                    return le + 1;
                };
                let parent = top.id;
                let key_text = String::from_utf8_lossy(unquote(&s[key.clone()])).into_owned();
                let key_span = if matches!(s[pos], b'"' | b'\'') {
                    pos..colon
                } else {
                    key.clone()
                };
                if key_text == "<<" {
                    self.has_merge.insert(parent);
                }
                let vstart = skip_blanks(s, colon + 1);
                let vend = value_end(s, vstart, le);
                if let Some(h) = block_header(s, vstart).filter(|_| vstart < le) {
                    let _ = h;
                    let (cs, ce, resume) = block_extent(s, vstart, col);
                    let style = if s[vstart] == b'|' {
                        Style::Literal
                    } else {
                        Style::Folded
                    };
                    let id = self.new_node(
                        Some(parent),
                        Some(Seg::Key(key_text)),
                        NodeKind::Scalar(style),
                        vstart..ce.max(vstart + 1),
                        Some(key_span),
                    );
                    self.nodes[id.0 as usize].block = Some(cs..ce.max(cs));
                    self.nodes[id.0 as usize].text =
                        Some(String::from_utf8_lossy(&s[cs..ce.max(cs)]).into());
                    if let Some(top) = self.stack.last_mut() {
                        top.open_entry = None;
                    }
                    return resume;
                }
                let (vs, ve) = if vend > vstart {
                    (vstart, vend)
                } else {
                    (colon + 1, colon + 1)
                };
                let id = self.new_node(
                    Some(parent),
                    Some(Seg::Key(key_text)),
                    NodeKind::Scalar(style_of(s, vs, ve)),
                    vs..ve,
                    Some(key_span),
                );
                if ve > vs {
                    self.nodes[id.0 as usize].text =
                        Some(String::from_utf8_lossy(unquote(&s[vs..ve])).into());
                }
                if let Some(top) = self.stack.last_mut() {
                    // Only an empty value can nest (`key:` then deeper lines).
                    top.open_entry = (ve == vs || ve == colon + 1).then_some(id);
                }
                return le + 1;
            }
            // A scalar: a sequence item's content, or a continuation line.
            let ve = value_end(s, pos, le);
            if item {
                if let Some(top) = self.stack.last_mut() {
                    let (parent, index) = (top.id, top.count);
                    top.count += 1;
                    top.pending_item = None;
                    if let Some(_h) = block_header(s, pos) {
                        let (cs, ce, resume) = block_extent(s, pos, col.saturating_sub(2));
                        let style = if s[pos] == b'|' {
                            Style::Literal
                        } else {
                            Style::Folded
                        };
                        let id = self.new_node(
                            Some(parent),
                            Some(Seg::Index(index)),
                            NodeKind::Scalar(style),
                            pos..ce.max(pos + 1),
                            None,
                        );
                        self.nodes[id.0 as usize].block = Some(cs..ce.max(cs));
                        return resume;
                    }
                    let id = self.new_node(
                        Some(parent),
                        Some(Seg::Index(index)),
                        NodeKind::Scalar(style_of(s, pos, ve)),
                        pos..ve.max(pos),
                        None,
                    );
                    self.nodes[id.0 as usize].text =
                        Some(String::from_utf8_lossy(unquote(&s[pos..ve.max(pos)])).into());
                }
                return le + 1;
            }
            // Continuation of the last scalar (a multi-line plain value).
            if let Some(last) = self.nodes.last_mut() {
                if matches!(last.kind, NodeKind::Scalar(_)) && last.value.start < pos {
                    last.value.end = last.value.end.max(ve);
                    last.span.end = last.span.end.max(ve);
                }
            }
            return le + 1;
        }
    }
}

fn style_of(s: &[u8], vs: usize, ve: usize) -> Style {
    match s.get(vs) {
        Some(b'"') if ve > vs => Style::DoubleQuoted,
        Some(b'\'') if ve > vs => Style::SingleQuoted,
        _ => Style::Plain,
    }
}

/// Builds the indentation tree of `s`.
pub(super) fn build(s: &[u8]) -> YamlDoc {
    let mut fb = Fb {
        s,
        nodes: Vec::new(),
        roots: Vec::new(),
        stack: Vec::new(),
        doc: 0,
        has_merge: HashSet::new(),
    };
    let mut line = 0;
    let mut doc_has_content = false;
    while line < s.len() {
        let le = line_end(s, line);
        let first = skip_blanks(s, line);
        let mut t = &s[first..le];
        if let Some(x) = t.strip_suffix(b"\r") {
            t = x;
        }
        let t = t.trim_ascii_end();
        let skip = t.is_empty()
            || t[0] == b'#'
            || (t.starts_with(b"{{") && t.ends_with(b"}}"))
            || t.starts_with(b"%YAML")
            || t.starts_with(b"%TAG");
        if skip {
            line = le + 1;
            continue;
        }
        if first == line && (t == b"---" || t.starts_with(b"--- ") || t == b"...") {
            fb.stack.clear();
            if doc_has_content {
                fb.doc += 1;
                doc_has_content = false;
            }
            line = le + 1;
            continue;
        }
        doc_has_content = true;
        line = fb.line(line, first, le).max(le + 1);
    }
    YamlDoc {
        nodes: fb.nodes,
        roots: fb.roots,
        merges: HashMap::new(),
        has_merge: fb.has_merge,
        builder: Builder::Parser,
    }
}
