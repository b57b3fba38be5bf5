//! A file as the context step sees it: its syntax, the context facilities
//! of `crate::context` built on first use, and the code of other syntaxes
//! embedded in it (a YAML `run:` block is shell, a Markdown ```yaml block is
//! YAML). Built only for files where a rule with a context or an entity
//! mention needs it, so files without mentions pay nothing.

use crate::context::code::CodeSite;
use crate::context::docs::Region;
use crate::context::lex::{Class, LexMap};
use crate::context::shell::{Command, Dialect, DockerfileMap, ShellMap};
use crate::context::yaml::{NodeKind, Seg, Style, YamlDoc};
use crate::context::{FileContext, Syntax};
use crate::kind::FileKind;
use crate::rules::{Place, Places};
use std::cell::OnceCell;
use std::ops::Range;

/// YAML keys whose scalar values are shell scripts (CI `run:`/`script:`,
/// compose `command:`, buildspec `commands:`…), or whose sequence items are.
const SHELL_KEYS: &[&str] = &[
    "run",
    "script",
    "scripts",
    "before_script",
    "after_script",
    "before_install",
    "install",
    "after_success",
    "command",
    "commands",
    "entrypoint",
    "cmd",
    "args",
    "bash",
    "sh",
    "shell",
    "pwsh",
    "powershell",
];

/// The syntax a file of `kind` at `path` is read as.
pub fn syntax_of(kind: FileKind, path: &str) -> Syntax {
    let lower = path.to_ascii_lowercase();
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    let yaml = matches!(ext, "yml" | "yaml");
    match kind {
        FileKind::Dotenv => Syntax::Dotenv,
        FileKind::Shell => Syntax::Shell,
        FileKind::PowerShell => Syntax::PowerShell,
        FileKind::Nix => Syntax::Nix,
        FileKind::Makefile => Syntax::Makefile,
        FileKind::Dockerfile => Syntax::Dockerfile,
        FileKind::Compose
        | FileKind::Kubernetes
        | FileKind::GithubActions
        | FileKind::GitlabCi
        | FileKind::CircleCi
        | FileKind::BitbucketPipelines
        | FileKind::Yaml => Syntax::Yaml,
        FileKind::OtherCi if yaml => Syntax::Yaml,
        FileKind::OtherCi => Syntax::Shell,
        FileKind::Jenkinsfile => Syntax::Groovy,
        FileKind::Terraform => Syntax::Hcl,
        FileKind::Json => Syntax::Json,
        FileKind::Toml => Syntax::Toml,
        FileKind::OtherConfig => Syntax::Ini,
        FileKind::Python => Syntax::Python,
        FileKind::Java => match ext {
            "kt" | "kts" => Syntax::Kotlin,
            "groovy" | "gradle" => Syntax::Groovy,
            "scala" | "sc" => Syntax::Scala,
            _ => Syntax::Java,
        },
        FileKind::Go => Syntax::Go,
        FileKind::DotNet => Syntax::CSharp,
        FileKind::JavaScript => Syntax::JavaScript,
        FileKind::Rust => Syntax::Rust,
        FileKind::Ruby => Syntax::Ruby,
        FileKind::OtherCode => match ext {
            "pl" | "pm" => Syntax::Perl,
            "sh" | "bash" | "zsh" => Syntax::Shell,
            _ => Syntax::C,
        },
        FileKind::Docs => match ext {
            "rst" => Syntax::Rst,
            "adoc" | "asciidoc" => Syntax::AsciiDoc,
            "ipynb" => Syntax::Notebook,
            "md" | "markdown" | "mdx" => Syntax::Markdown,
            "html" | "htm" => Syntax::Html,
            _ => Syntax::Plain,
        },
        FileKind::Other => Syntax::Plain,
    }
}

fn is_shell(s: Syntax) -> bool {
    matches!(
        s,
        Syntax::Shell | Syntax::Dotenv | Syntax::PowerShell | Syntax::Makefile | Syntax::Dockerfile
    )
}

fn dialect(s: Syntax) -> Dialect {
    match s {
        Syntax::PowerShell => Dialect::PowerShell,
        Syntax::Makefile => Dialect::Make,
        _ => Dialect::Posix,
    }
}

/// Code of one syntax inside a file of another: offsets stay those of the
/// whole file.
pub struct Embedded {
    /// Where it is.
    pub range: Range<usize>,
    /// What it is.
    pub syntax: Syntax,
    lex: OnceCell<LexMap>,
    shell: OnceCell<ShellMap>,
    /// Parsed from the range alone: offsets are relative to `range.start`.
    yaml: OnceCell<YamlDoc>,
}

impl Embedded {
    fn new(range: Range<usize>, syntax: Syntax) -> Embedded {
        Embedded {
            range,
            syntax,
            lex: OnceCell::new(),
            shell: OnceCell::new(),
            yaml: OnceCell::new(),
        }
    }

    fn lex(&self, content: &[u8]) -> &LexMap {
        self.lex
            .get_or_init(|| LexMap::build_range(self.syntax, content, self.range.clone()))
    }

    fn shell(&self, content: &[u8]) -> Option<&ShellMap> {
        is_shell(self.syntax).then(|| {
            self.shell.get_or_init(|| {
                ShellMap::build_range(content, self.range.clone(), dialect(self.syntax))
            })
        })
    }

    fn yaml(&self, content: &[u8]) -> Option<&YamlDoc> {
        (self.syntax == Syntax::Yaml).then(|| {
            self.yaml
                .get_or_init(|| YamlDoc::parse(&content[self.range.clone()]))
        })
    }
}

/// A YAML tree and the offset its positions start at (0 for a YAML file;
/// the block's start for a YAML code block in documentation).
pub struct YamlRef<'v> {
    /// The tree.
    pub doc: &'v YamlDoc,
    /// Add to the tree's offsets to get file offsets.
    pub base: usize,
}

impl YamlRef<'_> {
    /// The key path of the node at file offset `off`.
    pub fn path_at(&self, off: usize) -> Option<Vec<Seg>> {
        self.doc.path_at(off.checked_sub(self.base)?)
    }
}

/// One file being scanned, with its context built lazily.
pub struct View<'a> {
    /// The file's bytes (BOM stripped, decoded).
    pub content: &'a [u8],
    /// Its kind.
    pub kind: FileKind,
    /// The reported path.
    pub path: &'a str,
    ctx: FileContext<'a>,
    live: OnceCell<Vec<u8>>,
    embedded: OnceCell<Vec<Embedded>>,
    /// (line start, offset up to which no line break follows it) of the
    /// last [`line_start`](Self::line_start) answer.
    last_line: std::cell::Cell<Option<(usize, usize)>>,
    /// The last [`line_at`](Self::line_at) answer.
    last_bounds: std::cell::Cell<Option<Range<usize>>>,
}

impl<'a> View<'a> {
    /// A view of `content`, reported at `path`, of `kind`; builds nothing yet.
    pub fn new(kind: FileKind, path: &'a str, content: &'a [u8]) -> View<'a> {
        View {
            content,
            kind,
            path,
            ctx: FileContext::new(syntax_of(kind, path), content),
            live: OnceCell::new(),
            embedded: OnceCell::new(),
            last_line: std::cell::Cell::new(None),
            last_bounds: std::cell::Cell::new(None),
        }
    }

    /// The file's syntax.
    pub fn syntax(&self) -> Syntax {
        self.ctx.syntax()
    }

    /// The whole file with comments blanked (same length).
    pub fn live(&self) -> &[u8] {
        self.live
            .get_or_init(|| self.ctx.blank_comments(0..self.content.len()))
    }

    /// Every embedded region, sorted by start, built once.
    fn embedded(&self) -> &[Embedded] {
        self.embedded.get_or_init(|| {
            let mut out = Vec::new();
            match self.syntax() {
                Syntax::Yaml => {
                    let doc = self.ctx.yaml();
                    for i in 0..doc.len() {
                        let n = doc.node(crate::context::yaml::NodeId(i as u32));
                        if !matches!(n.kind(), NodeKind::Scalar(_)) {
                            continue;
                        }
                        let key = n.key().or_else(|| {
                            n.parent()
                                .and_then(|p| doc.node(p).key())
                                .filter(|_| matches!(n.seg(), Some(Seg::Index(_))))
                        });
                        let Some(key) = key else { continue };
                        let key = key.to_ascii_lowercase();
                        if !SHELL_KEYS.contains(&key.as_str()) {
                            continue;
                        }
                        let syntax = if matches!(key.as_str(), "pwsh" | "powershell") {
                            Syntax::PowerShell
                        } else {
                            Syntax::Shell
                        };
                        let range = match (n.kind(), n.block_content()) {
                            (NodeKind::Scalar(Style::Literal | Style::Folded), Some(b)) => b,
                            _ => unquote(self.content, n.value_span()),
                        };
                        if range.end > range.start && range.end <= self.content.len() {
                            out.push(Embedded::new(range, syntax));
                        }
                    }
                }
                s if s.doc_format().is_some() => {
                    for (_, lang, content) in self.ctx.docs().code_blocks() {
                        let syntax = lang.and_then(Syntax::from_lang).unwrap_or(Syntax::Plain);
                        if content.end <= self.content.len() && content.end > content.start {
                            out.push(Embedded::new(content, syntax));
                        }
                    }
                }
                _ => {}
            }
            out.sort_by_key(|e| e.range.start);
            out
        })
    }

    /// The embedded region holding `off`, innermost (last starting) first.
    fn embedded_at(&self, off: usize) -> Option<&Embedded> {
        let all = self.embedded();
        let i = all.partition_point(|e| e.range.start <= off);
        all[..i]
            .iter()
            .rev()
            .take(8)
            .find(|e| e.range.contains(&off))
    }

    /// The docs region at `off` (documentation files only).
    pub fn docs_region(&self, off: usize) -> Option<(Range<usize>, Region)> {
        self.syntax().doc_format()?;
        self.ctx
            .docs()
            .span_at(off)
            .map(|(r, reg)| (r, reg.clone()))
            .or(Some((off..off, Region::Prose)))
    }

    /// The start of `off`'s line. Offsets mostly come in increasing order
    /// (mentions, hits): the last answer is extended instead of searching
    /// back from `off`, so many offsets on one long line stay linear.
    fn line_start(&self, off: usize) -> usize {
        let off = off.min(self.content.len());
        let start = match self.last_line.get() {
            Some((start, upto)) if start <= off && off <= upto => start,
            Some((start, upto)) if start <= off => {
                match memchr::memrchr(b'\n', &self.content[upto..off]) {
                    Some(i) => upto + i + 1,
                    None => start,
                }
            }
            _ => memchr::memrchr(b'\n', &self.content[..off]).map_or(0, |i| i + 1),
        };
        let upto = match self.last_line.get() {
            Some((s, u)) if s == start => u.max(off),
            _ => off,
        };
        self.last_line.set(Some((start, upto)));
        start
    }

    /// The bounds of `off`'s line (terminator excluded), kept for the next
    /// offset on the same line: mentions on one long line find it once.
    pub fn line_at(&self, off: usize) -> Range<usize> {
        if let Some(l) = self.last_bounds.take() {
            if l.start <= off && off <= l.end {
                self.last_bounds.set(Some(l.clone()));
                return l;
            }
        }
        let l = super::location::line_bounds(self.content, off);
        self.last_bounds.set(Some(l.clone()));
        l
    }

    /// Where `off` stands lexically.
    pub fn places_at(&self, off: usize) -> Places {
        let mut p: Places = 0;
        let class_bits = |c: Class| match c {
            Class::Code => Place::Code.bit(),
            Class::Comment => Place::Comment.bit(),
            Class::String => Place::String.bit(),
            Class::Docstring => Place::Docstring.bit(),
            Class::Heredoc => Place::Heredoc.bit(),
        };
        if self.syntax().doc_format().is_some() {
            p |= Place::Docs.bit();
            match self.docs_region(off).map(|(_, r)| r) {
                Some(Region::InlineCode) => p |= Place::InlineCode.bit(),
                Some(Region::CodeBlock { .. }) => {
                    p |= Place::CodeBlock.bit();
                    if let Some(e) = self.embedded_at(off) {
                        let lex = e.lex(self.content);
                        p |= class_bits(lex.class_at(off));
                        if lex.is_commented_line(self.content, off) {
                            p |= Place::Comment.bit();
                        }
                    }
                }
                Some(Region::Comment) => p |= Place::Comment.bit(),
                Some(Region::Output) => {}
                Some(Region::Prose) | None => p |= Place::Prose.bit(),
            }
            return p;
        }
        let lex = self.ctx.lex();
        let class = lex.class_at(off);
        p |= class_bits(class);
        if lex.is_commented_line_from(self.content, self.line_start(off), off) {
            p |= Place::Comment.bit();
        }
        if class != Class::Comment {
            if let Some(e) = self.embedded_at(off) {
                let elex = e.lex(self.content);
                p |= class_bits(elex.class_at(off));
                if elex.is_commented_line(self.content, off) {
                    p |= Place::Comment.bit();
                }
            }
        }
        p
    }

    /// The shell map that reads `off` as shell: the file's own for shell
    /// syntaxes, an embedded one for YAML scripts and docs code blocks.
    pub fn shell_at(&self, off: usize) -> Option<&ShellMap> {
        if is_shell(self.syntax()) {
            return Some(self.ctx.shell());
        }
        self.embedded_at(off).and_then(|e| e.shell(self.content))
    }

    /// Every shell command that starts inside `range`: the file's own for
    /// shell syntaxes, else those of the embedded scripts (YAML `run:`
    /// blocks, docs code blocks) in it.
    pub fn commands_in(&self, range: Range<usize>) -> Vec<&Command> {
        let inside = |c: &&Command| range.start <= c.span.start && c.span.start < range.end;
        if is_shell(self.syntax()) {
            return self.ctx.shell().commands().iter().filter(inside).collect();
        }
        let all = self.embedded();
        let from = all.partition_point(|e| e.range.start < range.start);
        all[from..]
            .iter()
            .take_while(|e| e.range.start < range.end)
            .filter_map(|e| e.shell(self.content))
            .flat_map(|m| m.commands().iter().filter(inside))
            .collect()
    }

    /// The shell command holding `off`.
    pub fn command_at(&self, off: usize) -> Option<&Command> {
        self.shell_at(off)?.command_at(off)
    }

    /// The YAML tree that holds `off`: the file's, or a docs code block's.
    pub fn yaml_at(&self, off: usize) -> Option<YamlRef<'_>> {
        if self.syntax() == Syntax::Yaml {
            return Some(YamlRef {
                doc: self.ctx.yaml(),
                base: 0,
            });
        }
        let e = self.embedded_at(off)?;
        e.yaml(self.content).map(|doc| YamlRef {
            doc,
            base: e.range.start,
        })
    }

    /// The code context of `off`, for program code (also in docs code blocks).
    pub fn code_at(&self, off: usize) -> Option<CodeSite> {
        if self.syntax().is_program() || self.syntax() == Syntax::Groovy {
            return Some(self.ctx.code_at(off));
        }
        let e = self.embedded_at(off)?;
        (e.syntax.is_program() || e.syntax == Syntax::Groovy)
            .then(|| CodeSite::at(e.syntax, self.content, e.lex(self.content), off))
    }

    /// The Dockerfile map, for Dockerfiles.
    pub fn dockerfile(&self) -> Option<&DockerfileMap> {
        (self.syntax() == Syntax::Dockerfile).then(|| self.ctx.dockerfile())
    }

    /// The embedded block (docs code block, YAML script) holding `off`.
    pub fn block_at(&self, off: usize) -> Option<Range<usize>> {
        self.embedded_at(off).map(|e| e.range.clone())
    }

    /// `content[range]` with comments blanked, read with the lexer that
    /// applies there (an embedded block's own, or the file's).
    pub fn live_text(&self, range: Range<usize>) -> Vec<u8> {
        let end = range.end.min(self.content.len());
        let start = range.start.min(end);
        if let Some(e) = self.embedded_at(start) {
            if e.range.start <= start && end <= e.range.end {
                return e.lex(self.content).blank_comments(self.content, start..end);
            }
        }
        self.live()[start..end].to_vec()
    }
}

/// The inside of a quoted scalar (`"docker run …"` → `docker run …`).
fn unquote(content: &[u8], r: Range<usize>) -> Range<usize> {
    let s = &content[r.start.min(content.len())..r.end.min(content.len())];
    match (s.first(), s.last()) {
        (Some(b'"'), Some(b'"')) | (Some(b'\''), Some(b'\'')) if s.len() >= 2 => {
            r.start + 1..r.end - 1
        }
        _ => r,
    }
}
