//! Shell command map and Dockerfile instruction map.
//!
//! The command map splits shell text into commands (at newlines, `;`, `&`,
//! `&&`, `||`, `|`, subshell parentheses; honouring quotes, `\` line
//! continuations, comments and heredoc bodies) and each command into words
//! with their spans and unquoted text, so a caller can ask what a command
//! is: `docker run` with its `-e`/`--env-file` flags and image, `localstack
//! auth login`, `echo`, a test (`[ -z "$X" ]`), and which parameter
//! expansions (`${X:?msg}`) it holds. Commands inside `$(…)` and backticks
//! are commands of their own, one level deeper.
//!
//! Dialects: POSIX shell (also dotenv and YAML `run:` blocks), Makefile
//! recipes (`$$` is the shell's `$`, `$(VAR)` a make reference), and a rough
//! PowerShell reading (backtick escapes, `$env:X`).

use crate::context::lex::{at, line_end, skip_blanks};
use std::ops::Range;

/// Which shell rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// POSIX sh / bash.
    Posix,
    /// A Makefile recipe.
    Make,
    /// PowerShell (roughly).
    PowerShell,
}

/// One word of a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// Where it is, quotes included.
    pub span: Range<usize>,
    /// Its text with quotes removed and escapes resolved; expansions and
    /// substitutions are kept as written (`$X`, `$(cat f)`).
    pub text: String,
    /// Whether it is the target of a redirection (`> file`, `<<EOF`).
    pub redirect: bool,
}

/// A parameter expansion or make reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expansion {
    /// The whole expansion (`${X:?set X}`, `$X`, `$(X)` in make, `$env:X`).
    pub span: Range<usize>,
    /// The variable name.
    pub name: String,
    /// The operator after the name (`:?`, `:-`, `-`, `+`, `:+`, `?`, `#`,
    /// `%`, `=`, `:=`…); empty for a plain reference.
    pub op: String,
    /// Whether it is a make reference rather than a shell expansion.
    pub make: bool,
}

/// What ended a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sep {
    /// A line break or the end of the text.
    Newline,
    /// `;` (or `;;`).
    Semi,
    /// `&&`.
    And,
    /// `||`.
    Or,
    /// `|`.
    Pipe,
    /// `&` (background).
    Background,
    /// A closing `)`, backtick or `}` of the enclosing construct.
    Close,
}

/// One simple command.
#[derive(Debug, Clone)]
pub struct Command {
    /// From its first word to its last (continuation lines included).
    pub span: Range<usize>,
    /// Reserved words before it (`if`, `then`, `!`, `while`, `do`, `{`…).
    pub keywords: Vec<String>,
    /// Its words (assignments first, then the command name and arguments).
    pub words: Vec<Word>,
    /// How many leading words are `NAME=value` assignments.
    pub assignments: usize,
    /// 0 at top level, +1 inside each `$(…)` or backticks.
    pub depth: u32,
    /// What ended it.
    pub sep: Sep,
    /// What came right before it (None at the start of a list).
    pub after: Option<Sep>,
}

/// A flag of `docker run` that passes environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvFlag {
    /// `-e NAME=value`, `--env NAME=value`, `-e NAME` (value from the caller).
    Env {
        /// The variable name.
        name: String,
        /// The value, when given.
        value: Option<String>,
        /// The word holding `NAME[=value]`.
        span: Range<usize>,
    },
    /// `--env-file FILE`.
    EnvFile {
        /// The file.
        path: String,
        /// The word holding the file name.
        span: Range<usize>,
    },
}

/// A `docker run` / `docker create` / `podman run` command, read.
#[derive(Debug, Clone)]
pub struct DockerRun {
    /// `docker`, `podman`, `nerdctl`.
    pub tool: String,
    /// Environment flags in order.
    pub env: Vec<EnvFlag>,
    /// Index (into the command's words) of the image word.
    pub image: Option<usize>,
    /// The image word's text.
    pub image_text: Option<String>,
}

/// Reserved words that may lead a command.
const KEYWORDS: &[&str] = &[
    "if", "then", "elif", "else", "fi", "while", "until", "do", "done", "for", "in", "case",
    "esac", "!", "{", "}", "time", "function", "select", "[[",
];

/// Wrappers that run the rest of the command.
const WRAPPERS: &[&str] = &[
    "sudo", "command", "exec", "nohup", "env", "time", "xargs", "winpty",
];

impl Command {
    /// The command name (first word after assignments), base name only
    /// (`/usr/bin/docker` → `docker`).
    pub fn name(&self) -> Option<&str> {
        let w = self.words.get(self.assignments)?;
        Some(w.text.rsplit(['/', '\\']).next().unwrap_or(&w.text))
    }

    /// Index of the word that names the program actually run: wrappers
    /// (`sudo`, `env X=1`, `command`, `exec`, `nohup`) and their flags skipped.
    pub fn program_index(&self) -> Option<usize> {
        let mut i = self.assignments;
        let mut guard = 0;
        while let Some(w) = self.words.get(i) {
            guard += 1;
            if guard > 16 {
                break;
            }
            let base = w.text.rsplit('/').next().unwrap_or(&w.text);
            if !WRAPPERS.contains(&base) {
                return Some(i);
            }
            i += 1;
            // Flags and assignments of the wrapper.
            while let Some(n) = self.words.get(i) {
                if n.text.starts_with('-') || is_assignment(&n.text) {
                    i += 1;
                } else {
                    break;
                }
            }
        }
        (i < self.words.len()).then_some(i)
    }

    /// The program actually run (see [`Command::program_index`]).
    pub fn program(&self) -> Option<&str> {
        let w = self.words.get(self.program_index()?)?;
        Some(w.text.rsplit(['/', '\\']).next().unwrap_or(&w.text))
    }

    /// The arguments after the program, without redirection targets.
    pub fn args(&self) -> impl Iterator<Item = &Word> {
        let from = self.program_index().map_or(self.words.len(), |i| i + 1);
        self.words[from.min(self.words.len())..]
            .iter()
            .filter(|w| !w.redirect)
    }

    /// The leading `NAME=value` assignments as (name, value, word).
    pub fn env_assignments(&self) -> impl Iterator<Item = (&str, &str, &Word)> {
        self.words[..self.assignments].iter().filter_map(|w| {
            let (n, v) = w.text.split_once('=')?;
            Some((n, v, w))
        })
    }

    /// Whether it prints its arguments (`echo`, `printf`, `Write-Host`…).
    pub fn is_echo(&self) -> bool {
        matches!(
            self.program().map(str::to_ascii_lowercase).as_deref(),
            Some("echo" | "printf" | "write-host" | "write-output" | "print" | "cat")
        ) && !self
            .program()
            .is_some_and(|p| p == "cat" && self.args().next().is_some())
    }

    /// Whether it is a test: `[ … ]`, `[[ … ]]`, `test …`.
    pub fn is_test(&self) -> bool {
        self.keywords.iter().any(|k| k == "[[") || matches!(self.program(), Some("[" | "test"))
    }

    /// Whether it runs under `if`/`while`/`until` or after `&&`/`||`, i.e. its
    /// status is a condition (a guard).
    pub fn is_condition(&self) -> bool {
        self.keywords
            .iter()
            .any(|k| matches!(k.as_str(), "if" | "elif" | "while" | "until" | "!"))
            || matches!(self.sep, Sep::And | Sep::Or)
    }

    /// Whether it is `localstack <sub…>` with these leading subcommands
    /// (e.g. `["auth", "login"]`), flags between them allowed.
    pub fn is_localstack(&self, subcommands: &[&str]) -> bool {
        if self.program() != Some("localstack") {
            return false;
        }
        let words: Vec<&str> = self
            .args()
            .map(|w| w.text.as_str())
            .filter(|t| !t.starts_with('-'))
            .collect();
        words.len() >= subcommands.len() && words.iter().zip(subcommands).all(|(a, b)| a == b)
    }

    /// Reads `docker|podman|nerdctl [global flags] [container] run|create …`.
    pub fn docker_run(&self) -> Option<DockerRun> {
        let p = self.program_index()?;
        let tool = self.program()?.to_ascii_lowercase();
        let tool = tool.strip_suffix(".exe").unwrap_or(&tool).to_string();
        if !matches!(tool.as_str(), "docker" | "podman" | "nerdctl") {
            return None;
        }
        let w = &self.words;
        let mut i = p + 1;
        // Global flags (`--context x`, `-H host`, `--log-level=debug`).
        while i < w.len() && w[i].text.starts_with('-') {
            let t = &w[i].text;
            i += if !t.contains('=')
                && matches!(
                    t.as_str(),
                    "-H" | "--host" | "-c" | "--context" | "--config" | "-l" | "--log-level"
                ) {
                2
            } else {
                1
            };
        }
        if w.get(i).is_some_and(|x| x.text == "container") {
            i += 1;
        }
        if !w
            .get(i)
            .is_some_and(|x| x.text == "run" || x.text == "create")
        {
            return None;
        }
        i += 1;
        let mut env = Vec::new();
        let mut image = None;
        while i < w.len() {
            let word = &w[i];
            if word.redirect {
                i += 1;
                continue;
            }
            let t = word.text.as_str();
            if t == "--" {
                image = (i + 1 < w.len()).then_some(i + 1);
                break;
            }
            if !t.starts_with('-') || t == "-" {
                image = Some(i);
                break;
            }
            let (flag, inline) = match t.split_once('=') {
                Some((f, v)) if t.starts_with("--") => (f, Some(v)),
                _ => (t, None),
            };
            // Short clusters: `-e X`, `-eX`, `-it`, `-dit`.
            let (flag, inline) = if !flag.starts_with("--") && flag.len() > 2 {
                let last_takes = flag[1..]
                    .char_indices()
                    .find(|(_, c)| SHORT_WITH_VALUE.contains(c));
                match last_takes {
                    Some((k, c)) => {
                        let rest = &t[1 + k + c.len_utf8()..];
                        let rest = rest.strip_prefix('=').unwrap_or(rest);
                        let f = match c {
                            'e' => "-e",
                            _ => "-v",
                        };
                        (f, (!rest.is_empty()).then_some(rest))
                    }
                    None => (flag, None),
                }
            } else {
                (flag, inline)
            };
            let takes_value = flag.starts_with("--") && !BOOL_LONG.contains(&flag)
                || (!flag.starts_with("--")
                    && flag.len() == 2
                    && flag[1..].chars().all(|c| SHORT_WITH_VALUE.contains(&c)));
            let (value, span, next) = match inline {
                Some(v) => (Some(v.to_string()), word.span.clone(), i + 1),
                None if takes_value => match w.get(i + 1) {
                    Some(v) => (Some(v.text.clone()), v.span.clone(), i + 2),
                    None => (None, word.span.clone(), i + 1),
                },
                None => (None, word.span.clone(), i + 1),
            };
            match (flag, value) {
                ("-e" | "--env", Some(v)) => {
                    let (name, val) = match v.split_once('=') {
                        Some((n, x)) => (n.to_string(), Some(x.to_string())),
                        None => (v.clone(), None),
                    };
                    env.push(EnvFlag::Env {
                        name,
                        value: val,
                        span,
                    });
                }
                ("--env-file", Some(v)) => env.push(EnvFlag::EnvFile { path: v, span }),
                _ => {}
            }
            i = next;
        }
        Some(DockerRun {
            tool,
            env,
            image_text: image.and_then(|k| w.get(k)).map(|x| x.text.clone()),
            image,
        })
    }
}

/// Short `docker run` flags that take a value.
const SHORT_WITH_VALUE: &[char] = &['e', 'p', 'v', 'w', 'u', 'l', 'h', 'm', 'c', 'a'];
/// Long `docker run` flags that take no value.
const BOOL_LONG: &[&str] = &[
    "--rm",
    "--detach",
    "--interactive",
    "--tty",
    "--privileged",
    "--init",
    "--read-only",
    "--publish-all",
    "--no-healthcheck",
    "--oom-kill-disable",
    "--sig-proxy",
    "--quiet",
    "--help",
    "--disable-content-trust",
];

fn is_assignment(t: &str) -> bool {
    match t.split_once('=') {
        Some((n, _)) => {
            let n = n.strip_suffix('+').unwrap_or(n);
            !n.is_empty()
                && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                && !n.as_bytes()[0].is_ascii_digit()
        }
        None => false,
    }
}

/// The commands and expansions of some shell text.
#[derive(Debug, Clone, Default)]
pub struct ShellMap {
    commands: Vec<Command>,
    expansions: Vec<Expansion>,
}

/// Most commands walked back when looking for the one holding an offset.
const MAX_WALK: usize = 4096;
/// Deepest `$(…)` nesting followed.
const MAX_DEPTH: u32 = 32;

impl ShellMap {
    /// Reads all of `content` as POSIX shell.
    pub fn build(content: &[u8]) -> ShellMap {
        ShellMap::build_range(content, 0..content.len(), Dialect::Posix)
    }

    /// Reads `content[range]` in `dialect`; spans stay offsets into
    /// `content` (for YAML `run:` blocks, docs code blocks, RUN arguments).
    pub fn build_range(content: &[u8], range: Range<usize>, dialect: Dialect) -> ShellMap {
        let mut m = ShellMap::default();
        m.add(content, range, dialect);
        m.finish();
        m
    }

    /// Reads a Makefile's recipe lines (tab-led, with continuations).
    pub fn build_makefile(content: &[u8]) -> ShellMap {
        let mut m = ShellMap::default();
        let mut line = 0;
        while line < content.len() {
            let mut le = line_end(content, line);
            while le < content.len() && le > line && content[le - 1] == b'\\' {
                le = line_end(content, le + 1);
            }
            if content[line] == b'\t' {
                let mut body = line + 1;
                while matches!(at(content, body), b'@' | b'-' | b'+' | b' ' | b'\t') {
                    body += 1;
                }
                m.add(content, body..le, Dialect::Make);
            } else {
                // Make's own `$(VAR)` references in non-recipe lines.
                m.make_refs(content, line..le);
            }
            line = le + 1;
        }
        m.finish();
        m
    }

    /// Reads PowerShell.
    pub fn build_powershell(content: &[u8]) -> ShellMap {
        ShellMap::build_range(content, 0..content.len(), Dialect::PowerShell)
    }

    /// Reads a Dockerfile's shell-form RUN/CMD/ENTRYPOINT arguments (and
    /// RUN heredoc scripts).
    pub fn build_dockerfile(df: &DockerfileMap, content: &[u8]) -> ShellMap {
        let mut m = ShellMap::default();
        for ins in &df.instructions {
            if !matches!(
                ins.keyword.as_str(),
                "RUN" | "CMD" | "ENTRYPOINT" | "HEALTHCHECK"
            ) {
                continue;
            }
            if ins.shell_form {
                let end = ins.heredocs.first().map_or(ins.span.end, |h| h.start);
                m.add(
                    content,
                    ins.args.start..end.max(ins.args.start),
                    Dialect::Posix,
                );
            }
            if ins.keyword == "RUN" {
                for h in &ins.heredocs {
                    // The body of `RUN <<EOF` is the script; its last line is
                    // the terminator.
                    let body_end = crate::context::lex::line_start(content, h.end);
                    m.add(content, h.start..body_end.max(h.start), Dialect::Posix);
                }
            }
        }
        m.finish();
        m
    }

    fn finish(&mut self) {
        self.commands.sort_by_key(|c| c.span.start);
        self.expansions.sort_by_key(|e| e.span.start);
    }

    /// Every command in order of start (nested ones after their parent).
    pub fn commands(&self) -> &[Command] {
        &self.commands
    }

    /// Every expansion in order.
    pub fn expansions(&self) -> &[Expansion] {
        &self.expansions
    }

    /// The innermost command holding `offset`.
    pub fn command_at(&self, offset: usize) -> Option<&Command> {
        let i = self.commands.partition_point(|c| c.span.start <= offset);
        self.commands[..i]
            .iter()
            .rev()
            .take(MAX_WALK)
            .find(|c| c.span.start <= offset && offset < c.span.end.max(c.span.start + 1))
    }

    /// The word holding `offset` in the innermost command, with its index.
    pub fn word_at(&self, offset: usize) -> Option<(&Command, usize)> {
        let c = self.command_at(offset)?;
        let i = c.words.iter().position(|w| w.span.contains(&offset))?;
        Some((c, i))
    }

    /// The innermost expansion holding `offset`.
    pub fn expansion_at(&self, offset: usize) -> Option<&Expansion> {
        let i = self.expansions.partition_point(|e| e.span.start <= offset);
        self.expansions[..i]
            .iter()
            .rev()
            .take(64)
            .find(|e| e.span.contains(&offset))
    }

    fn make_refs(&mut self, s: &[u8], range: Range<usize>) {
        let mut i = range.start;
        while i + 1 < range.end {
            if s[i] == b'$' && s[i + 1] == b'$' {
                i += 2;
                continue;
            }
            if s[i] == b'$' && matches!(s[i + 1], b'(' | b'{') {
                let close = if s[i + 1] == b'(' { b')' } else { b'}' };
                if let Some(p) = s[i + 2..range.end].iter().position(|&b| b == close) {
                    let inner = &s[i + 2..i + 2 + p];
                    if inner
                        .iter()
                        .all(|&b| b.is_ascii_alphanumeric() || b == b'_')
                        && !inner.is_empty()
                    {
                        self.expansions.push(Expansion {
                            span: i..i + 3 + p,
                            name: String::from_utf8_lossy(inner).into_owned(),
                            op: String::new(),
                            make: true,
                        });
                    }
                    i += 3 + p;
                    continue;
                }
            }
            i += 1;
        }
    }

    fn add(&mut self, s: &[u8], range: Range<usize>, dialect: Dialect) {
        let end = range.end.min(s.len());
        let start = range.start.min(end);
        Parser {
            s,
            end,
            dialect,
            map: self,
            stack: vec![Frame::new(0, Closer::None, start)],
            pending_heredocs: Vec::new(),
        }
        .run(start);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Closer {
    None,
    Paren,
    Backtick,
}

#[derive(Debug)]
struct Frame {
    depth: u32,
    closer: Closer,
    keywords: Vec<String>,
    words: Vec<Word>,
    /// The word being read: start and text so far.
    cur: Option<(usize, Vec<u8>)>,
    /// The next word is a redirection target.
    redirect_next: bool,
    after: Option<Sep>,
    /// Where this frame's substitution started (for the outer word's text).
    open_at: usize,
    /// Inside `"…"` when this frame was opened from within quotes… and for
    /// the frame itself, whether it is currently inside `"…"`.
    in_dq: bool,
}

impl Frame {
    fn new(depth: u32, closer: Closer, open_at: usize) -> Frame {
        Frame {
            depth,
            closer,
            keywords: Vec::new(),
            words: Vec::new(),
            cur: None,
            redirect_next: false,
            after: None,
            open_at,
            in_dq: false,
        }
    }
}

struct Parser<'a, 'm> {
    s: &'a [u8],
    end: usize,
    dialect: Dialect,
    map: &'m mut ShellMap,
    stack: Vec<Frame>,
    pending_heredocs: Vec<Vec<u8>>,
}

impl Parser<'_, '_> {
    fn top(&mut self) -> &mut Frame {
        let n = self.stack.len() - 1;
        &mut self.stack[n]
    }

    fn push_byte(&mut self, at: usize, b: u8) {
        let f = self.top();
        match &mut f.cur {
            Some((_, text)) => text.push(b),
            None => f.cur = Some((at, vec![b])),
        }
    }

    fn push_raw(&mut self, from: usize, to: usize) {
        let s = self.s;
        let f = self.top();
        match &mut f.cur {
            Some((_, text)) => text.extend_from_slice(&s[from..to]),
            None => f.cur = Some((from, s[from..to].to_vec())),
        }
    }

    /// Starts a word at `at` even if it stays empty (`""`).
    fn touch(&mut self, at: usize) {
        let f = self.top();
        if f.cur.is_none() {
            f.cur = Some((at, Vec::new()));
        }
    }

    fn end_word(&mut self, at: usize) {
        let f = self.top();
        if let Some((start, text)) = f.cur.take() {
            let text = String::from_utf8_lossy(&text).into_owned();
            let redirect = std::mem::take(&mut f.redirect_next);
            if f.words.is_empty() && !redirect && KEYWORDS.contains(&text.as_str()) {
                f.keywords.push(text);
                return;
            }
            f.words.push(Word {
                span: start..at,
                text,
                redirect,
            });
        }
    }

    fn end_command(&mut self, at: usize, sep: Sep) {
        self.end_word(at);
        let f = self.top();
        if f.words.is_empty() {
            // Keywords alone (`then`, `do`) lead the next command.
            if f.keywords.is_empty() {
                f.after = (sep != Sep::Newline).then_some(sep);
            }
            return;
        }
        let words = std::mem::take(&mut f.words);
        let keywords = std::mem::take(&mut f.keywords);
        let after = f.after.take();
        if sep != Sep::Newline && sep != Sep::Close {
            f.after = Some(sep);
        }
        let depth = f.depth;
        let assignments = words
            .iter()
            .take_while(|w| is_assignment(&w.text) && !w.redirect)
            .count();
        let span_start = words.first().map_or(at, |w| w.span.start);
        let span_end = words.iter().map(|w| w.span.end).max().unwrap_or(at);
        self.map.commands.push(Command {
            span: span_start..span_end,
            keywords,
            words,
            assignments,
            depth,
            sep,
            after,
        });
    }

    /// Index after a `${…}` opened at `i` (`$` position), nesting braces.
    fn param_end(&self, i: usize) -> usize {
        let s = self.s;
        let mut depth = 0u32;
        let mut j = i + 1;
        while j < self.end {
            match s[j] {
                b'\\' => j += 1,
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        return j + 1;
                    }
                }
                b'\n' if j > i + 4096 => return j,
                _ => {}
            }
            j += 1;
        }
        self.end
    }

    fn record_param(&mut self, i: usize, e: usize, make: bool) {
        let s = self.s;
        let inner_start = i + 2;
        let inner = &s[inner_start.min(e)..e.saturating_sub(1).max(inner_start.min(e))];
        let inner = inner.strip_prefix(b"#").unwrap_or(inner);
        let n = inner
            .iter()
            .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'_')
            .count();
        if n == 0 {
            return;
        }
        let rest = &inner[n..];
        let op_len = rest
            .iter()
            .take(2)
            .take_while(|&&b| {
                matches!(
                    b,
                    b':' | b'?' | b'-' | b'+' | b'=' | b'#' | b'%' | b'/' | b'^' | b','
                )
            })
            .count();
        self.map.expansions.push(Expansion {
            span: i..e,
            name: String::from_utf8_lossy(&inner[..n]).into_owned(),
            op: String::from_utf8_lossy(&rest[..op_len]).into_owned(),
            make,
        });
    }

    /// Handles `$` at `i` (shell rules); returns the index to resume at.
    fn dollar(&mut self, i: usize) -> usize {
        let s = self.s;
        let (n1, n2) = (at(s, i + 1), at(s, i + 2));
        match (n1, n2) {
            (b'(', b'(') => {
                // Arithmetic: skip to the balancing `))`.
                let mut depth = 0u32;
                let mut j = i + 1;
                while j < self.end {
                    match s[j] {
                        b'(' => depth += 1,
                        b')' => {
                            depth -= 1;
                            if depth == 0 {
                                j += 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                    j += 1;
                }
                let j = j.min(self.end);
                self.push_raw(i, j);
                j
            }
            (b'(', _) => {
                let depth = self.top().depth;
                if depth >= MAX_DEPTH {
                    self.push_raw(i, i + 2);
                    return i + 2;
                }
                self.touch(i);
                self.stack.push(Frame::new(depth + 1, Closer::Paren, i));
                i + 2
            }
            (b'{', _) => {
                let e = self.param_end(i);
                self.record_param(i, e, false);
                self.push_raw(i, e);
                e
            }
            (c, _) if c.is_ascii_alphabetic() || c == b'_' => {
                let mut j = i + 1;
                while j < self.end && (s[j].is_ascii_alphanumeric() || s[j] == b'_') {
                    j += 1;
                }
                self.map.expansions.push(Expansion {
                    span: i..j,
                    name: String::from_utf8_lossy(&s[i + 1..j]).into_owned(),
                    op: String::new(),
                    make: false,
                });
                self.push_raw(i, j);
                j
            }
            (c, _) if c != 0 && b"#?$!@*-0123456789".contains(&c) => {
                self.push_raw(i, i + 2);
                i + 2
            }
            _ => {
                self.push_byte(i, b'$');
                i + 1
            }
        }
    }

    /// Handles `$` in a Makefile recipe: `$$` is the shell's `$`; `$(X)`,
    /// `${X}` and `$X` are make references.
    fn make_dollar(&mut self, i: usize) -> usize {
        let s = self.s;
        match at(s, i + 1) {
            b'$' => {
                // Shell `$…`: read it as if the first `$` were not there, but
                // keep both bytes in the word text.
                let resume = self.dollar(i + 1);
                resume.max(i + 2)
            }
            b'(' | b'{' => {
                let close = if at(s, i + 1) == b'(' { b')' } else { b'}' };
                let le = line_end(s, i).min(self.end);
                let mut depth = 0u32;
                let mut j = i + 1;
                while j < le {
                    if s[j] == s[i + 1] {
                        depth += 1;
                    } else if s[j] == close {
                        depth -= 1;
                        if depth == 0 {
                            j += 1;
                            break;
                        }
                    }
                    j += 1;
                }
                let j = j.min(le);
                self.record_param(i, j, true);
                self.push_raw(i, j);
                j
            }
            _ => {
                let j = (i + 2).min(self.end);
                self.push_raw(i, j);
                j
            }
        }
    }

    /// Reads heredoc bodies after the line break at `nl`; returns the
    /// index of the line break after the last terminator.
    fn skip_heredocs(&mut self, nl: usize) -> usize {
        let s = self.s;
        let mut pos = nl + 1;
        let mut last = nl;
        for d in std::mem::take(&mut self.pending_heredocs) {
            let mut line = pos;
            let mut close = self.end;
            while line < self.end {
                let le = line_end(s, line).min(self.end);
                if s[line..le].trim_ascii() == d.as_slice() {
                    close = le;
                    break;
                }
                line = le + 1;
            }
            if close >= self.end {
                return self.end;
            }
            pos = close + 1;
            last = close;
        }
        last
    }

    fn run(&mut self, start: usize) {
        let s = self.s;
        let ps = self.dialect == Dialect::PowerShell;
        let esc = if ps { b'`' } else { b'\\' };
        let mut i = start;
        while i < self.end {
            let b = s[i];
            let in_dq = self.top().in_dq;
            if in_dq {
                match b {
                    b'"' => {
                        self.top().in_dq = false;
                        i += 1;
                    }
                    c if c == esc => {
                        if at(s, i + 1) == b'\n' {
                            i += 2;
                        } else {
                            let n = at(s, i + 1);
                            if ps || matches!(n, b'$' | b'`' | b'"' | b'\\') {
                                if i + 1 < self.end {
                                    self.push_byte(i, n);
                                }
                            } else {
                                self.push_byte(i, b'\\');
                                if i + 1 < self.end {
                                    self.push_byte(i, n);
                                }
                            }
                            i += 2;
                        }
                    }
                    b'$' if self.dialect == Dialect::Make => i = self.make_dollar(i),
                    b'$' if ps => i = self.ps_dollar(i),
                    b'$' => i = self.dollar(i),
                    b'`' if !ps => i = self.backtick(i),
                    _ => {
                        self.push_byte(i, b);
                        i += 1;
                    }
                }
                continue;
            }
            let word_start = self.top().cur.is_none();
            match b {
                b'\n' => {
                    self.end_command(i, Sep::Newline);
                    i = if self.pending_heredocs.is_empty() {
                        i + 1
                    } else {
                        self.skip_heredocs(i) + 1
                    };
                }
                b' ' | b'\t' | b'\r' => {
                    self.end_word(i);
                    i += 1;
                }
                c if c == esc => {
                    if at(s, i + 1) == b'\n' {
                        i += 2;
                    } else if at(s, i + 1) == b'\r' && at(s, i + 2) == b'\n' {
                        i += 3;
                    } else {
                        if i + 1 < self.end {
                            self.push_byte(i, at(s, i + 1));
                        }
                        i += 2;
                    }
                }
                b'#' if word_start => {
                    self.end_word(i);
                    i = line_end(s, i).min(self.end);
                }
                b'<' if ps && at(s, i + 1) == b'#' => {
                    i = crate::context::lex::shell_find(s, i + 2, b"#>")
                        .map_or(self.end, |p| p + 2);
                }
                b'\'' => {
                    self.touch(i);
                    let mut j = i + 1;
                    while j < self.end {
                        if s[j] == b'\'' {
                            if ps && at(s, j + 1) == b'\'' {
                                self.push_byte(j, b'\'');
                                j += 2;
                                continue;
                            }
                            break;
                        }
                        self.push_byte(j, s[j]);
                        j += 1;
                    }
                    i = (j + 1).min(self.end);
                }
                b'"' => {
                    self.touch(i);
                    self.top().in_dq = true;
                    i += 1;
                }
                b'@' if ps && matches!(at(s, i + 1), b'"' | b'\'') && word_start => {
                    // A here-string: one word, to the line starting with `"@`.
                    let q = s[i + 1];
                    let mut line = line_end(s, i) + 1;
                    let mut close = self.end;
                    while line < self.end {
                        if at(s, line) == q && at(s, line + 1) == b'@' {
                            close = line + 2;
                            break;
                        }
                        line = line_end(s, line) + 1;
                    }
                    let close = close.min(self.end);
                    self.push_raw(i, close);
                    i = close;
                }
                b'$' if self.dialect == Dialect::Make => i = self.make_dollar(i),
                b'$' if ps => i = self.ps_dollar(i),
                b'$' => i = self.dollar(i),
                b'`' if !ps => i = self.backtick(i),
                b';' => {
                    self.end_command(i, Sep::Semi);
                    i += if at(s, i + 1) == b';' { 2 } else { 1 };
                }
                b'&' if at(s, i + 1) == b'&' => {
                    self.end_command(i, Sep::And);
                    i += 2;
                }
                b'|' if at(s, i + 1) == b'|' => {
                    self.end_command(i, Sep::Or);
                    i += 2;
                }
                b'|' => {
                    self.end_command(i, Sep::Pipe);
                    i += 1;
                }
                b'&' if !ps && at(s, i + 1) == b'>' => {
                    self.end_word(i);
                    self.top().redirect_next = true;
                    i += if at(s, i + 2) == b'>' { 3 } else { 2 };
                }
                b'&' if !ps => {
                    self.end_command(i, Sep::Background);
                    i += 1;
                }
                b'(' if !ps && word_start => {
                    self.end_command(i, Sep::Semi);
                    i += 1;
                }
                b')' if !ps => {
                    if self.top().closer == Closer::Paren {
                        i = self.close_frame(i, 1);
                    } else {
                        self.end_command(i, Sep::Close);
                        i += 1;
                    }
                }
                b'>' | b'<' if !ps => {
                    // A redirection; a leading fd number is part of it.
                    if let Some((st, text)) = &self.top().cur {
                        if text.iter().all(u8::is_ascii_digit) && *st + text.len() == i {
                            self.top().cur = None;
                        }
                    }
                    self.end_word(i);
                    if b == b'<' && at(s, i + 1) == b'<' && at(s, i + 2) != b'<' {
                        let j = if at(s, i + 2) == b'-' { i + 3 } else { i + 2 };
                        let k = skip_blanks(s, j);
                        let mut e = k;
                        let mut delim = Vec::new();
                        while e < self.end
                            && !s[e].is_ascii_whitespace()
                            && !b";&|<>()".contains(&s[e])
                        {
                            if !matches!(s[e], b'\'' | b'"' | b'\\') {
                                delim.push(s[e]);
                            }
                            e += 1;
                        }
                        if !delim.is_empty() && self.pending_heredocs.len() < 16 {
                            self.pending_heredocs.push(delim.clone());
                            self.top().words.push(Word {
                                span: k..e,
                                text: String::from_utf8_lossy(&delim).into_owned(),
                                redirect: true,
                            });
                        }
                        i = e.max(j);
                        continue;
                    }
                    self.top().redirect_next = true;
                    i += 1;
                    while matches!(at(s, i), b'>' | b'&' | b'<') && i < self.end {
                        i += 1;
                    }
                }
                _ => {
                    self.push_byte(i, b);
                    i += 1;
                }
            }
        }
        // Close everything still open.
        while self.stack.len() > 1 {
            let e = self.end;
            self.close_frame(e, 0);
        }
        self.end_command(self.end, Sep::Newline);
    }

    /// PowerShell `$…`: `$env:NAME` is an expansion of NAME; `$(…)` a
    /// subexpression read as commands.
    fn ps_dollar(&mut self, i: usize) -> usize {
        let s = self.s;
        if at(s, i + 1) == b'(' {
            let depth = self.top().depth;
            if depth < MAX_DEPTH {
                self.touch(i);
                self.stack.push(Frame::new(depth + 1, Closer::Paren, i));
                return i + 2;
            }
        }
        let mut j = i + 1;
        while j < self.end && (s[j].is_ascii_alphanumeric() || s[j] == b'_' || s[j] == b':') {
            j += 1;
        }
        let name = &s[i + 1..j];
        let (scope, var) = match name.iter().position(|&b| b == b':') {
            Some(p) => (&name[..p], &name[p + 1..]),
            None => (&b""[..], name),
        };
        if !var.is_empty() {
            self.map.expansions.push(Expansion {
                span: i..j,
                name: String::from_utf8_lossy(var).into_owned(),
                op: if scope.eq_ignore_ascii_case(b"env") {
                    "env".into()
                } else {
                    String::new()
                },
                make: false,
            });
        }
        let j = j.max(i + 1);
        self.push_raw(i, j);
        j
    }

    fn backtick(&mut self, i: usize) -> usize {
        if self.top().closer == Closer::Backtick {
            return self.close_frame(i, 1);
        }
        let depth = self.top().depth;
        if depth >= MAX_DEPTH {
            self.push_byte(i, b'`');
            return i + 1;
        }
        self.touch(i);
        self.stack.push(Frame::new(depth + 1, Closer::Backtick, i));
        i + 1
    }

    /// Ends the innermost substitution at `i` (its closer is `len` bytes);
    /// the outer word gets the substitution as written.
    fn close_frame(&mut self, i: usize, len: usize) -> usize {
        self.end_command(i, Sep::Close);
        if self.stack.len() > 1 {
            if let Some(f) = self.stack.pop() {
                let e = (i + len).min(self.end);
                self.push_raw(f.open_at, e);
            }
        }
        i + len
    }
}

/// One Dockerfile instruction.
#[derive(Debug, Clone)]
pub struct Instruction {
    /// Upper-cased keyword (`FROM`, `ENV`, `RUN`…).
    pub keyword: String,
    /// From the keyword to the end of its last line (heredoc bodies included).
    pub span: Range<usize>,
    /// Its arguments: after the keyword to the end of the instruction text
    /// (heredoc bodies excluded).
    pub args: Range<usize>,
    /// Heredoc bodies (terminator line included).
    pub heredocs: Vec<Range<usize>>,
    /// Index of the build stage (0 before/at the first FROM).
    pub stage: usize,
    /// Whether the arguments are in shell form (not a JSON array).
    pub shell_form: bool,
}

/// One build stage.
#[derive(Debug, Clone)]
pub struct Stage {
    /// Index of its FROM instruction.
    pub from: usize,
    /// The image word (`localstack/localstack:3.8`, `${BASE}`, a stage name).
    pub image: Option<String>,
    /// Its span.
    pub image_span: Option<Range<usize>>,
    /// `AS name`.
    pub name: Option<String>,
    /// `--platform=…`.
    pub platform: Option<String>,
    /// When the image names an earlier stage, that stage's index.
    pub base_stage: Option<usize>,
    /// From the FROM line to the end of the stage's last instruction.
    pub span: Range<usize>,
}

/// The instructions and stages of a Dockerfile.
#[derive(Debug, Clone, Default)]
pub struct DockerfileMap {
    instructions: Vec<Instruction>,
    stages: Vec<Stage>,
}

impl DockerfileMap {
    /// Reads a Dockerfile.
    pub fn build(content: &[u8]) -> DockerfileMap {
        let (raw, _) = crate::context::lex::dockerfile_instructions(content);
        let mut map = DockerfileMap::default();
        for r in raw {
            let args_end = r.heredocs.first().map_or(r.span.end, |h| {
                // The instruction text ends at the line break before its body.
                h.start.saturating_sub(1).max(r.args)
            });
            let args = r.args.min(args_end)..args_end;
            let shell_form = content.get(args.start) != Some(&b'[');
            if r.keyword == "FROM" {
                let idx = map.instructions.len();
                map.stages
                    .push(read_from(content, args.clone(), idx, &map.stages));
            }
            let stage = map.stages.len().saturating_sub(1);
            if let Some(st) = map.stages.last_mut() {
                st.span.end = st.span.end.max(r.span.end);
            }
            map.instructions.push(Instruction {
                keyword: r.keyword,
                span: r.span.clone(),
                args,
                heredocs: r.heredocs,
                stage,
                shell_form,
            });
        }
        for st in &mut map.stages {
            if let Some(ins) = map.instructions.get(st.from) {
                st.span.start = ins.span.start;
            }
        }
        map
    }

    /// Every instruction in order.
    pub fn instructions(&self) -> &[Instruction] {
        &self.instructions
    }

    /// Every stage in order.
    pub fn stages(&self) -> &[Stage] {
        &self.stages
    }

    /// The instruction holding `offset`.
    pub fn instruction_at(&self, offset: usize) -> Option<&Instruction> {
        let i = self
            .instructions
            .partition_point(|x| x.span.start <= offset);
        self.instructions[..i]
            .last()
            .filter(|x| offset < x.span.end.max(x.span.start + 1))
    }

    /// The stage holding `offset`.
    pub fn stage_at(&self, offset: usize) -> Option<&Stage> {
        self.stages
            .iter()
            .rev()
            .find(|s| s.span.start <= offset && offset <= s.span.end)
    }

    /// The last stage (the one a plain `docker build` produces).
    pub fn final_stage(&self) -> Option<&Stage> {
        self.stages.last()
    }
}

fn read_from(s: &[u8], args: Range<usize>, from: usize, earlier: &[Stage]) -> Stage {
    let text = &s[args.clone()];
    let mut words: Vec<(Range<usize>, String)> = Vec::new();
    let mut i = 0;
    while i < text.len() {
        while i < text.len() && (text[i].is_ascii_whitespace() || text[i] == b'\\') {
            i += 1;
        }
        let st = i;
        while i < text.len() && !text[i].is_ascii_whitespace() {
            i += 1;
        }
        if i > st {
            words.push((
                args.start + st..args.start + i,
                String::from_utf8_lossy(&text[st..i]).into_owned(),
            ));
        }
    }
    let mut platform = None;
    let mut rest = words.as_slice();
    while let Some(((_, w), tail)) = rest.split_first() {
        if let Some(p) = w.strip_prefix("--platform=") {
            platform = Some(p.to_string());
            rest = tail;
        } else if w.starts_with("--") {
            rest = tail;
        } else {
            break;
        }
    }
    let image = rest.first().cloned();
    let name = match rest.get(1) {
        Some((_, w)) if w.eq_ignore_ascii_case("as") => rest.get(2).map(|(_, n)| n.clone()),
        _ => None,
    };
    let base_stage = image.as_ref().and_then(|(_, img)| {
        earlier.iter().rposition(|st| {
            st.name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(img))
        })
    });
    Stage {
        from,
        image_span: image.as_ref().map(|(r, _)| r.clone()),
        image: image.map(|(_, w)| w),
        name,
        platform,
        base_stage,
        span: args.start..args.end,
    }
}

#[cfg(test)]
mod tests;
