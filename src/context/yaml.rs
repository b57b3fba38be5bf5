//! YAML structure with byte positions: key paths, units, child values,
//! anchors and merge keys, block scalars.
//!
//! The tree comes from `saphyr-parser` events when the file is YAML; a file
//! the parser rejects (Helm templates, tabs, a stray `{{ }}`) is read by an
//! indentation-based fallback that yields the same kind of tree, so callers
//! always get paths. [`YamlDoc::builder`] says which one was used.
//!
//! Positions: the parser reports *character* indices; they are converted to
//! byte offsets through a checkpoint table, so non-ASCII content is right.
//! Invalid UTF-8 bytes are replaced by `_` (one byte for one byte) before
//! parsing, so offsets stay those of the original bytes.
//!
//! Spans: a node's `span` runs from its key (or sequence dash) to the end of
//! its content; a block collection's span is extended over the comment and
//! blank lines that follow it and are indented at least as deep as its
//! entries, so `#   - LOCALSTACK_API_KEY=…` under a service's `environment:`
//! belongs to that service.

use crate::context::lex::{block_extent, block_header, line_start, skip_blanks};
use saphyr_parser::{Event, Parser, ScalarStyle, Span};
use std::collections::{HashMap, HashSet};
use std::ops::Range;

mod fallback;

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Seg {
    /// A mapping key.
    Key(String),
    /// A sequence index (0-based).
    Index(usize),
}

impl std::fmt::Display for Seg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Seg::Key(k) => f.write_str(k),
            Seg::Index(i) => write!(f, "{i}"),
        }
    }
}

/// Renders a path as `a / b / 0`.
pub fn path_string(path: &[Seg]) -> String {
    path.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" / ")
}

/// Index of a node in a [`YamlDoc`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub(crate) u32);

/// What a node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    /// A mapping.
    Mapping,
    /// A sequence.
    Sequence,
    /// A scalar.
    Scalar(Style),
    /// An alias (`*name`).
    Alias,
}

/// How a scalar is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Unquoted.
    Plain,
    /// `'…'`.
    SingleQuoted,
    /// `"…"`.
    DoubleQuoted,
    /// `|` block.
    Literal,
    /// `>` block.
    Folded,
}

/// Which builder produced the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Builder {
    /// The YAML parser accepted the file.
    Parser,
    /// The parser rejected the file; the indentation reading was used.
    Fallback {
        /// Byte offset the parser stopped at.
        error_at: usize,
        /// The parser's message.
        message: String,
    },
}

/// One node of the tree.
#[derive(Debug, Clone)]
pub struct Node {
    pub(crate) parent: Option<NodeId>,
    pub(crate) seg: Option<Seg>,
    pub(crate) kind: NodeKind,
    /// From the key (or dash) to the end of the content.
    pub(crate) span: Range<usize>,
    /// The value alone.
    pub(crate) value: Range<usize>,
    pub(crate) key: Option<Range<usize>>,
    pub(crate) doc: usize,
    /// Scalar text (decoded by the parser; raw in the fallback).
    pub(crate) text: Option<Box<str>>,
    /// Block scalar content (the lines after the header).
    pub(crate) block: Option<Range<usize>>,
    /// Alias target.
    pub(crate) target: Option<NodeId>,
    pub(crate) children: Vec<NodeId>,
    /// Whether the node is a block collection (its end may be extended over
    /// trailing comment lines).
    pub(crate) block_collection: bool,
}

impl Node {
    /// The node's kind.
    pub fn kind(&self) -> NodeKind {
        self.kind
    }
    /// From the key (or sequence dash) to the end of the content.
    pub fn span(&self) -> Range<usize> {
        self.span.clone()
    }
    /// The value alone (for a collection: its entries).
    pub fn value_span(&self) -> Range<usize> {
        self.value.clone()
    }
    /// The key's span, for a mapping value.
    pub fn key_span(&self) -> Option<Range<usize>> {
        self.key.clone()
    }
    /// Its step from the parent (None for a document root).
    pub fn seg(&self) -> Option<&Seg> {
        self.seg.as_ref()
    }
    /// The key, for a mapping value.
    pub fn key(&self) -> Option<&str> {
        match &self.seg {
            Some(Seg::Key(k)) => Some(k),
            _ => None,
        }
    }
    /// The parent node.
    pub fn parent(&self) -> Option<NodeId> {
        self.parent
    }
    /// Scalar text (decoded for the parser's tree; for the fallback the raw
    /// text with surrounding quotes removed).
    pub fn text(&self) -> Option<&str> {
        self.text.as_deref()
    }
    /// Children in document order.
    pub fn children(&self) -> &[NodeId] {
        &self.children
    }
    /// Index of the document (`---`) the node belongs to.
    pub fn doc(&self) -> usize {
        self.doc
    }
    /// For a block scalar (`run: |`), its content lines.
    pub fn block_content(&self) -> Option<Range<usize>> {
        self.block.clone()
    }
    /// For an alias, the anchored node it refers to.
    pub fn alias_target(&self) -> Option<NodeId> {
        self.target
    }
}

/// One step of a [`PathPattern`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatSeg {
    /// This key (a decimal also matches that index).
    Key(String),
    /// Any one step (`*`).
    Any,
    /// Any number of steps, none included (`**`).
    AnyDepth,
}

/// A path pattern: `services.*`, `jobs.*.steps.*`, `**.containers.*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathPattern {
    segs: Vec<PatSeg>,
}

impl PathPattern {
    /// Parses a dot-separated pattern (`*` one step, `**` any steps).
    pub fn parse(pattern: &str) -> PathPattern {
        PathPattern::from_segs(
            pattern
                .split('.')
                .filter(|p| !p.is_empty())
                .map(|p| match p {
                    "*" => PatSeg::Any,
                    "**" => PatSeg::AnyDepth,
                    k => PatSeg::Key(k.to_string()),
                })
                .collect(),
        )
    }

    /// A pattern from steps (for keys that hold dots).
    pub fn from_segs(segs: Vec<PatSeg>) -> PathPattern {
        PathPattern { segs }
    }

    /// Whether `path` matches the whole pattern.
    pub fn matches(&self, path: &[Seg]) -> bool {
        // States: how many pattern steps are matched; `**` may absorb any
        // number of path steps. O(pattern × path).
        let n = self.segs.len();
        let mut states = vec![false; n + 1];
        states[0] = true;
        self.close(&mut states);
        for seg in path {
            states = self.step(&states, seg);
            if !states.iter().any(|&b| b) {
                return false;
            }
        }
        states[n]
    }

    /// The states after one path step `seg`, from `states` (entry `k`: the
    /// first `k` pattern steps are matched).
    fn step(&self, states: &[bool], seg: &Seg) -> Vec<bool> {
        let n = self.segs.len();
        let mut next = vec![false; n + 1];
        for k in 0..n {
            if !states[k] {
                continue;
            }
            match &self.segs[k] {
                PatSeg::AnyDepth => next[k] = true,
                PatSeg::Any => next[k + 1] = true,
                PatSeg::Key(key) => {
                    let ok = match seg {
                        Seg::Key(s) => s == key,
                        Seg::Index(i) => key.parse::<usize>().ok() == Some(*i),
                    };
                    if ok {
                        next[k + 1] = true;
                    }
                }
            }
        }
        self.close(&mut next);
        next
    }

    /// `**` may match nothing: a state before it also stands after it.
    fn close(&self, states: &mut [bool]) {
        for k in 0..self.segs.len() {
            if states[k] && self.segs[k] == PatSeg::AnyDepth {
                states[k + 1] = true;
            }
        }
    }
}

/// The innermost ancestor of an offset matching a unit pattern.
#[derive(Debug, Clone)]
pub struct Unit {
    /// The unit node.
    pub node: NodeId,
    /// Which pattern (index into the caller's list) matched.
    pub pattern: usize,
    /// Its key path.
    pub path: Vec<Seg>,
    /// Its span (key through content, trailing comment lines included).
    pub span: Range<usize>,
    /// Whether the unit (or a mapping between it and the offset) takes keys
    /// from a merge key (`<<: *defaults`): its scope is then partly elsewhere.
    pub uses_merge: bool,
}

/// A child looked up by key, merge keys considered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// Found directly in the mapping.
    Found(NodeId),
    /// Found in a mapping merged in with `<<`.
    Merged(NodeId),
    /// Not there, and the mapping has no merge key.
    Absent,
    /// Not found, but the mapping has a merge key that could not be
    /// resolved (fallback tree, or an unknown anchor): scope unknown.
    Unknown,
}

impl Lookup {
    /// The node, when found either way.
    pub fn node(self) -> Option<NodeId> {
        match self {
            Lookup::Found(n) | Lookup::Merged(n) => Some(n),
            _ => None,
        }
    }
}

/// A block scalar, with what a caller needs to lex its content as shell.
#[derive(Debug, Clone)]
pub struct BlockScalar {
    /// The scalar node.
    pub node: NodeId,
    /// Its key (`run`, `script`), or None for a sequence item.
    pub key: Option<String>,
    /// Literal (`|`) or folded (`>`).
    pub style: Style,
    /// The content lines.
    pub content: Range<usize>,
}

/// Most ancestors walked for one offset (documents nested deeper are cut).
const MAX_ANCESTORS: usize = 512;
/// Deepest merge chain followed.
const MAX_MERGE_DEPTH: usize = 8;
/// Most trailing comment lines a collection is extended over.
const MAX_TRAILING_LINES: usize = 256;

/// A parsed YAML file.
#[derive(Debug, Clone)]
pub struct YamlDoc {
    pub(crate) nodes: Vec<Node>,
    pub(crate) roots: Vec<NodeId>,
    /// Mapping → mappings merged into it (`<<: *a` or `<<: [*a, *b]`).
    pub(crate) merges: HashMap<NodeId, Vec<NodeId>>,
    /// Mappings with a `<<` key (resolved or not).
    pub(crate) has_merge: HashSet<NodeId>,
    pub(crate) builder: Builder,
}

/// Character index → byte offset, through a checkpoint every 64 characters.
struct CharIndex<'a> {
    s: &'a [u8],
    ascii: bool,
    marks: Vec<usize>,
}

impl<'a> CharIndex<'a> {
    fn new(s: &'a str) -> CharIndex<'a> {
        let b = s.as_bytes();
        if s.is_ascii() {
            return CharIndex {
                s: b,
                ascii: true,
                marks: Vec::new(),
            };
        }
        let mut marks = Vec::with_capacity(b.len() / 64 + 1);
        for (n, (i, _)) in s.char_indices().enumerate() {
            if n % 64 == 0 {
                marks.push(i);
            }
        }
        CharIndex {
            s: b,
            ascii: false,
            marks,
        }
    }

    fn byte(&self, ci: usize) -> usize {
        if self.ascii {
            return ci.min(self.s.len());
        }
        let Some(&base) = self.marks.get(ci / 64) else {
            return self.s.len();
        };
        let mut b = base;
        for _ in 0..ci % 64 {
            if b >= self.s.len() {
                break;
            }
            b += crate::context::lex::utf8_len(self.s[b]);
        }
        b.min(self.s.len())
    }
}

/// `content` as a `str` of the same length: invalid bytes become `_`.
fn sanitize(content: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(content) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => {
            let mut out = String::with_capacity(content.len());
            for chunk in content.utf8_chunks() {
                out.push_str(chunk.valid());
                for _ in chunk.invalid() {
                    out.push('_');
                }
            }
            std::borrow::Cow::Owned(out)
        }
    }
}

impl YamlDoc {
    /// Parses `content` (any bytes); never fails: a rejected file gets the
    /// fallback tree.
    pub fn parse(content: &[u8]) -> YamlDoc {
        let text = sanitize(content);
        match parse_events(&text) {
            Ok(mut doc) => {
                doc.finish(content);
                doc
            }
            Err((error_at, message)) => {
                let mut doc = fallback::build(content);
                doc.builder = Builder::Fallback { error_at, message };
                doc.finish(content);
                doc
            }
        }
    }

    /// Which builder produced the tree.
    pub fn builder(&self) -> &Builder {
        &self.builder
    }

    /// Whether the indentation fallback was used.
    pub fn used_fallback(&self) -> bool {
        matches!(self.builder, Builder::Fallback { .. })
    }

    /// The document roots, in order.
    pub fn roots(&self) -> &[NodeId] {
        &self.roots
    }

    /// A node.
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.0 as usize]
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the tree is empty.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The innermost node whose span holds `offset` (a key belongs to the
    /// entry it introduces).
    pub fn node_at(&self, offset: usize) -> Option<NodeId> {
        // Nodes are in document order, so starts are sorted and spans nest:
        // the innermost holder is the last node starting at or before the
        // offset, or one of its ancestors.
        let i = self.nodes.partition_point(|n| n.span.start <= offset);
        let mut cur = i.checked_sub(1).map(|i| NodeId(i as u32));
        let mut steps = 0;
        while let Some(id) = cur {
            let n = self.node(id);
            if n.span.start <= offset && offset < n.span.end.max(n.span.start + 1) {
                return Some(id);
            }
            cur = n.parent;
            steps += 1;
            if steps > MAX_ANCESTORS {
                return None;
            }
        }
        None
    }

    /// Whether `offset` lies in the key of the innermost node holding it.
    pub fn in_key(&self, offset: usize) -> bool {
        self.node_at(offset)
            .and_then(|id| self.node(id).key.clone())
            .is_some_and(|k| k.contains(&offset))
    }

    /// The key path of a node (root first; document roots have none).
    pub fn path(&self, id: NodeId) -> Vec<Seg> {
        let mut out = Vec::new();
        let mut cur = Some(id);
        while let Some(c) = cur {
            let n = self.node(c);
            if let Some(s) = &n.seg {
                out.push(s.clone());
            }
            cur = n.parent;
            if out.len() > MAX_ANCESTORS {
                break;
            }
        }
        out.reverse();
        out
    }

    /// The key path of the innermost node at `offset`.
    pub fn path_at(&self, offset: usize) -> Option<Vec<Seg>> {
        self.node_at(offset).map(|id| self.path(id))
    }

    /// The nodes holding `offset`, innermost first, up to the document root.
    pub fn ancestors(&self, offset: usize) -> impl Iterator<Item = NodeId> + '_ {
        let mut cur = self.node_at(offset);
        std::iter::from_fn(move || {
            let id = cur?;
            cur = self.node(id).parent;
            Some(id)
        })
        .take(MAX_ANCESTORS)
    }

    /// (path, span) of each node holding `offset`, innermost first.
    pub fn ancestor_paths(&self, offset: usize) -> Vec<(Vec<Seg>, Range<usize>)> {
        let ids: Vec<NodeId> = self.ancestors(offset).collect();
        let Some(&inner) = ids.first() else {
            return Vec::new();
        };
        let full = self.path(inner);
        let mut out = Vec::with_capacity(ids.len());
        let mut len = full.len();
        for id in ids {
            out.push((full[..len].to_vec(), self.node(id).span.clone()));
            if self.node(id).seg.is_some() {
                len = len.saturating_sub(1);
            }
        }
        out
    }

    /// Every node whose path matches `pattern`, in document order.
    pub fn find(&self, pattern: &PathPattern) -> Vec<NodeId> {
        // Walk the tree with the set of matched pattern prefixes.
        let n = pattern.segs.len();
        let mut out = Vec::new();
        let mut start = vec![false; n + 1];
        start[0] = true;
        pattern.close(&mut start);
        let mut stack: Vec<(NodeId, Vec<bool>)> = self
            .roots
            .iter()
            .rev()
            .map(|&r| (r, start.clone()))
            .collect();
        while let Some((id, states)) = stack.pop() {
            let node = self.node(id);
            let states = match &node.seg {
                None => states,
                Some(seg) => pattern.step(&states, seg),
            };
            if !states.iter().any(|&b| b) {
                continue;
            }
            if states[n] {
                out.push(id);
            }
            for &c in node.children.iter().rev() {
                stack.push((c, states.clone()));
            }
        }
        out.sort();
        out
    }

    /// The innermost ancestor of `offset` whose path matches one of
    /// `patterns` (the first matching pattern is reported).
    pub fn unit_at(&self, offset: usize, patterns: &[PathPattern]) -> Option<Unit> {
        let ids: Vec<NodeId> = self.ancestors(offset).collect();
        let inner = *ids.first()?;
        let full = self.path(inner);
        let mut len = full.len();
        let mut uses_merge = false;
        for id in ids {
            let node = self.node(id);
            uses_merge |= self.has_merge.contains(&id);
            let path = &full[..len];
            if let Some(p) = patterns.iter().position(|p| p.matches(path)) {
                // A merge key anywhere inside the unit (`environment: {<<:
                // *env}`) brings in keys from elsewhere, too.
                let span = node.span.clone();
                uses_merge |= self.has_merge.iter().any(|m| {
                    let s = &self.node(*m).span;
                    span.start <= s.start && s.end <= span.end
                });
                return Some(Unit {
                    node: id,
                    pattern: p,
                    path: path.to_vec(),
                    span,
                    uses_merge,
                });
            }
            if node.seg.is_some() {
                len = len.saturating_sub(1);
            }
        }
        None
    }

    /// The direct child of mapping `id` under `key`.
    pub fn child(&self, id: NodeId, key: &str) -> Option<NodeId> {
        self.node(id)
            .children
            .iter()
            .copied()
            .find(|&c| self.node(c).key() == Some(key))
    }

    /// The child of mapping `id` under `key`, looking into merged mappings
    /// (`<<: *defaults`) when the mapping lacks it.
    pub fn child_resolved(&self, id: NodeId, key: &str) -> Lookup {
        if let Some(c) = self.child(id, key) {
            return Lookup::Found(c);
        }
        let mut unknown = false;
        let mut todo: Vec<(NodeId, usize)> = vec![(id, 0)];
        while let Some((m, depth)) = todo.pop() {
            if !self.has_merge.contains(&m) {
                continue;
            }
            match self.merges.get(&m) {
                Some(sources) => {
                    for &src in sources {
                        if let Some(c) = self.child(src, key) {
                            return Lookup::Merged(c);
                        }
                        if depth + 1 < MAX_MERGE_DEPTH {
                            todo.push((src, depth + 1));
                        }
                    }
                }
                None => unknown = true,
            }
        }
        if unknown || (self.has_merge.contains(&id) && !self.merges.contains_key(&id)) {
            Lookup::Unknown
        } else {
            Lookup::Absent
        }
    }

    /// The node at `path` (exact keys and indices) in any document.
    pub fn get(&self, path: &[Seg]) -> Option<NodeId> {
        'docs: for &root in &self.roots {
            let mut cur = root;
            for seg in path {
                let next = self
                    .node(cur)
                    .children
                    .iter()
                    .copied()
                    .find(|&c| self.node(c).seg.as_ref() == Some(seg));
                match next {
                    Some(n) => cur = n,
                    None => continue 'docs,
                }
            }
            return Some(cur);
        }
        None
    }

    /// Whether mapping `id` has a merge key.
    pub fn uses_merge(&self, id: NodeId) -> bool {
        self.has_merge.contains(&id)
    }

    /// The block scalar holding `offset` (`run: |` content), if any.
    pub fn block_scalar_at(&self, offset: usize) -> Option<BlockScalar> {
        let id = self.node_at(offset)?;
        let n = self.node(id);
        let content = n.block.clone()?;
        let style = match n.kind {
            NodeKind::Scalar(s @ (Style::Literal | Style::Folded)) => s,
            _ => return None,
        };
        content.contains(&offset).then(|| BlockScalar {
            node: id,
            key: n.key().map(str::to_string),
            style,
            content,
        })
    }

    /// Every block scalar in document order.
    pub fn block_scalars(&self) -> Vec<BlockScalar> {
        self.nodes
            .iter()
            .enumerate()
            .filter_map(|(i, n)| {
                let content = n.block.clone()?;
                let style = match n.kind {
                    NodeKind::Scalar(s @ (Style::Literal | Style::Folded)) => s,
                    _ => return None,
                };
                Some(BlockScalar {
                    node: NodeId(i as u32),
                    key: n.key().map(str::to_string),
                    style,
                    content,
                })
            })
            .collect()
    }

    /// Completes spans: collections end at their last descendant, then
    /// block collections take the comment lines that follow them.
    fn finish(&mut self, content: &[u8]) {
        // A node holds its value (the fallback may place a nested value after
        // comment lines the key's own span did not reach).
        for n in &mut self.nodes {
            n.value.end = n.value.end.max(n.value.start);
            n.span.start = n.span.start.min(n.value.start);
            n.span.end = n.span.end.max(n.value.end);
        }
        // Children have larger indices than parents: one reverse pass
        // propagates ends upwards.
        for i in (0..self.nodes.len()).rev() {
            let end = self.nodes[i].span.end;
            if let Some(p) = self.nodes[i].parent {
                let pe = &mut self.nodes[p.0 as usize];
                if end > pe.span.end {
                    pe.span.end = end;
                }
                if end > pe.value.end {
                    pe.value.end = end;
                }
            }
        }
        // Document order is pre-order: a subtree is a contiguous index range.
        let mut last_desc: Vec<usize> = (0..self.nodes.len()).collect();
        for i in (0..self.nodes.len()).rev() {
            if let Some(p) = self.nodes[i].parent {
                let p = p.0 as usize;
                last_desc[p] = last_desc[p].max(last_desc[i]);
            }
        }
        // Line lookups by binary search: many nodes may share one long line.
        let lines = Lines::new(content);
        for i in (0..self.nodes.len()).rev() {
            if !self.nodes[i].block_collection {
                continue;
            }
            let n = &self.nodes[i];
            // The entries' column, computed only when a line follows.
            let value_start = n.value.start;
            let mut col: Option<usize> = None;
            let mut end = n.span.end;
            let mut line = (lines.end(end) + 1).min(content.len());
            // Stop at the parent's end or the next sibling: spans must nest.
            let limit = self
                .nodes
                .get(last_desc[i] + 1)
                .map_or(content.len(), |n| n.span.start);
            let mut count = 0;
            while line < limit && count < MAX_TRAILING_LINES {
                let le = lines.end(line);
                let first = skip_blanks(content, line);
                if first >= le || content[first] == b'\r' {
                    line = le + 1;
                    count += 1;
                    continue;
                }
                let c = *col.get_or_insert_with(|| value_start - lines.start(value_start));
                if content[first] == b'#' && first - line >= c && le <= limit {
                    end = le;
                    line = le + 1;
                    count += 1;
                    continue;
                }
                break;
            }
            if end > self.nodes[i].span.end {
                self.nodes[i].span.end = end;
                self.nodes[i].value.end = end.max(self.nodes[i].value.start);
                // Ancestors must still hold it.
                let mut p = self.nodes[i].parent;
                while let Some(pid) = p {
                    let pn = &mut self.nodes[pid.0 as usize];
                    if pn.span.end >= end {
                        break;
                    }
                    pn.span.end = end;
                    pn.value.end = end.max(pn.value.start);
                    p = pn.parent;
                }
            }
        }
    }
}

/// Line starts and ends by binary search over the line breaks.
struct Lines {
    breaks: Vec<usize>,
    len: usize,
}

impl Lines {
    fn new(s: &[u8]) -> Lines {
        Lines {
            breaks: memchr::memchr_iter(b'\n', s).collect(),
            len: s.len(),
        }
    }

    /// Index of the line break ending the line of `i` (or the end).
    fn end(&self, i: usize) -> usize {
        let k = self.breaks.partition_point(|&b| b < i);
        self.breaks.get(k).copied().unwrap_or(self.len)
    }

    /// Start of the line of `i`.
    fn start(&self, i: usize) -> usize {
        let k = self.breaks.partition_point(|&b| b < i);
        k.checked_sub(1).map_or(0, |k| self.breaks[k] + 1)
    }
}

/// Builds the tree from parser events.
fn parse_events(text: &str) -> Result<YamlDoc, (usize, String)> {
    let ci = CharIndex::new(text);
    let bytes = text.as_bytes();
    let mut b = TreeBuilder::default();
    let mut parser = Parser::new_from_str(text);
    loop {
        match parser.next_event() {
            None => break,
            Some(Err(e)) => {
                let m = e.marker();
                return Err((ci.byte(m.index()), e.info().to_string()));
            }
            Some(Ok((ev, span))) => {
                let (s, e) = (ci.byte(span.start.index()), ci.byte(span.end.index()));
                if b.event(ev, s, e, span, bytes) {
                    break;
                }
            }
        }
    }
    Ok(b.into_doc())
}

#[derive(Debug)]
enum Open {
    Map {
        id: NodeId,
        /// The key scalar waiting for its value.
        key: Option<(String, Range<usize>)>,
        /// The next event is a merge value (`<<`).
        merge_value: bool,
    },
    Seq {
        id: NodeId,
        index: usize,
    },
}

/// Parent, step from it, and key span of a node about to be added.
type Slot = (Option<NodeId>, Option<Seg>, Option<Range<usize>>);

#[derive(Default)]
pub(crate) struct TreeBuilder {
    nodes: Vec<Node>,
    roots: Vec<NodeId>,
    open: Vec<Open>,
    doc: usize,
    anchors: HashMap<usize, NodeId>,
    merges: HashMap<NodeId, Vec<NodeId>>,
    has_merge: HashSet<NodeId>,
    /// A document root still to come (after DocumentStart).
    in_doc: bool,
    /// Collecting the aliases of `<<: [*a, *b]` for this mapping.
    merge_seq: Option<(NodeId, usize)>,
}

impl TreeBuilder {
    /// Where the next node goes: parent, its step, and the key span.
    fn slot(&mut self) -> Option<Slot> {
        match self.open.last_mut() {
            None => Some((None, None, None)),
            Some(Open::Map { id, key, .. }) => {
                let (k, r) = key.take()?;
                Some((Some(*id), Some(Seg::Key(k)), Some(r)))
            }
            Some(Open::Seq { id, index }) => {
                let i = *index;
                *index += 1;
                Some((Some(*id), Some(Seg::Index(i)), None))
            }
        }
    }

    fn add(
        &mut self,
        kind: NodeKind,
        start: usize,
        end: usize,
        text: Option<Box<str>>,
        anchor: usize,
    ) -> NodeId {
        let (parent, seg, key) = self.slot().unwrap_or((None, None, None));
        let id = NodeId(self.nodes.len() as u32);
        let span_start = key.as_ref().map_or(start, |k| k.start.min(start));
        self.nodes.push(Node {
            parent,
            seg,
            kind,
            span: span_start..end.max(start),
            value: start..end.max(start),
            key,
            doc: self.doc,
            text,
            block: None,
            target: None,
            children: Vec::new(),
            block_collection: false,
        });
        match parent {
            Some(p) => self.nodes[p.0 as usize].children.push(id),
            None => self.roots.push(id),
        }
        if anchor != 0 {
            self.anchors.insert(anchor, id);
        }
        id
    }

    /// Handles one event; returns true at the end of the stream.
    fn event(&mut self, ev: Event<'_>, s: usize, e: usize, _span: Span, bytes: &[u8]) -> bool {
        // Inside `<<: [*a, *b]`: only aliases matter.
        if let Some((map, depth)) = self.merge_seq {
            match ev {
                Event::Alias(a) => {
                    if let Some(&t) = self.anchors.get(&a) {
                        self.merges.entry(map).or_default().push(t);
                    }
                    return false;
                }
                Event::SequenceStart(..) => {
                    self.merge_seq = Some((map, depth + 1));
                    return false;
                }
                Event::SequenceEnd if depth <= 1 => {
                    self.merge_seq = None;
                    return false;
                }
                Event::SequenceEnd => {
                    self.merge_seq = Some((map, depth - 1));
                    return false;
                }
                _ => return false,
            }
        }
        // A mapping expecting a key takes a scalar as the key.
        if let Some(Open::Map {
            key,
            merge_value,
            id,
        }) = self.open.last_mut()
        {
            if key.is_none() && !*merge_value {
                match &ev {
                    Event::Scalar(v, ..) => {
                        if v.as_ref() == "<<" {
                            *merge_value = true;
                            let id = *id;
                            self.has_merge.insert(id);
                        } else {
                            *key = Some((v.to_string(), s..e));
                        }
                        return false;
                    }
                    Event::MappingEnd => {}
                    _ => {
                        // A complex key (a collection as key): give it a
                        // synthetic name and skip nothing; its nodes hang
                        // under the mapping with key `?`.
                        *key = Some(("?".into(), s..s));
                    }
                }
            } else if *merge_value {
                let map = *id;
                *merge_value = false;
                match ev {
                    Event::Alias(a) => {
                        if let Some(&t) = self.anchors.get(&a) {
                            self.merges.entry(map).or_default().push(t);
                        }
                        return false;
                    }
                    Event::SequenceStart(..) => {
                        self.merge_seq = Some((map, 1));
                        return false;
                    }
                    // `<<: {a: 1}`: an inline mapping merged in; keep it as
                    // a child under `<<` so it is visible.
                    _ => {
                        if let Some(Open::Map { key, .. }) = self.open.last_mut() {
                            *key = Some(("<<".into(), s..s));
                        }
                    }
                }
            }
        }
        match ev {
            Event::StreamEnd => return true,
            Event::StreamStart | Event::Nothing => {}
            Event::DocumentStart(_) => self.in_doc = true,
            Event::DocumentEnd => {
                self.doc += 1;
                self.in_doc = false;
                self.anchors.clear();
            }
            Event::Scalar(v, style, anchor, _) => {
                let st = match style {
                    ScalarStyle::SingleQuoted => Style::SingleQuoted,
                    ScalarStyle::DoubleQuoted => Style::DoubleQuoted,
                    ScalarStyle::Literal => Style::Literal,
                    ScalarStyle::Folded => Style::Folded,
                    _ => Style::Plain,
                };
                let (vs, ve, block) = if matches!(st, Style::Literal | Style::Folded) {
                    // The parser's span starts at the first content byte and
                    // ends at the next token: find the header and the lines.
                    let header = memchr::memrchr2(b'|', b'>', &bytes[..s.min(bytes.len())]);
                    match header {
                        Some(h) if block_header(bytes, h).is_some() => {
                            let col = parent_col(&self.nodes, &self.open, bytes, h);
                            let (cs, ce, _) = block_extent(bytes, h, col);
                            (h, ce.max(h + 1), Some(cs..ce.max(cs)))
                        }
                        _ => (s, e, None),
                    }
                } else {
                    (s, e, None)
                };
                let id = self.add(
                    NodeKind::Scalar(st),
                    vs,
                    ve,
                    Some(v.as_ref().into()),
                    anchor,
                );
                self.nodes[id.0 as usize].block = block;
            }
            Event::Alias(a) => {
                let id = self.add(NodeKind::Alias, s, e, None, 0);
                self.nodes[id.0 as usize].target = self.anchors.get(&a).copied();
            }
            Event::MappingStart(anchor, _) | Event::SequenceStart(anchor, _) => {
                let is_map = matches!(ev, Event::MappingStart(..));
                let flow = matches!(bytes.get(e.saturating_sub(1)), Some(b'{' | b'[')) && e > s;
                // A block collection starts at its first entry; with an
                // anchor or tag the event span starts there instead.
                let start = if flow { e - 1 } else { s };
                let kind = if is_map {
                    NodeKind::Mapping
                } else {
                    NodeKind::Sequence
                };
                let id = self.add(kind, start, if flow { e } else { start }, None, anchor);
                self.nodes[id.0 as usize].block_collection = !flow;
                if !flow && e > s {
                    // `&anchor\n  key:` → the value starts at the entries.
                    self.nodes[id.0 as usize].value.start = e;
                }
                self.open.push(if is_map {
                    Open::Map {
                        id,
                        key: None,
                        merge_value: false,
                    }
                } else {
                    Open::Seq { id, index: 0 }
                });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                if let Some(Open::Map { id, .. } | Open::Seq { id, .. }) = self.open.pop() {
                    // A flow collection ends at its bracket.
                    if matches!(bytes.get(s), Some(b'}' | b']')) && e > s {
                        let n = &mut self.nodes[id.0 as usize];
                        n.span.end = n.span.end.max(e);
                        n.value.end = n.value.end.max(e);
                    }
                }
            }
        }
        false
    }

    pub(crate) fn into_doc(self) -> YamlDoc {
        YamlDoc {
            nodes: self.nodes,
            roots: self.roots,
            merges: self.merges,
            has_merge: self.has_merge,
            builder: Builder::Parser,
        }
    }
}

/// Column a block scalar's content must be indented beyond: that of its
/// key, or of the sequence dash for an item.
fn parent_col(nodes: &[Node], open: &[Open], bytes: &[u8], header: usize) -> usize {
    match open.last() {
        Some(Open::Map {
            key: Some((_, r)), ..
        }) => r.start - line_start(bytes, r.start),
        Some(Open::Seq { .. }) => {
            // The dash before the header on its line.
            let ls = line_start(bytes, header);
            memchr::memrchr(b'-', &bytes[ls..header]).map_or(0, |p| p)
        }
        _ => {
            let _ = nodes;
            0
        }
    }
}

#[cfg(test)]
mod tests;
