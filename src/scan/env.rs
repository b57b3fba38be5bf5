//! Who sets and who reads each legacy name, per file: every mention of an
//! entity that declares renames (the legacy `LOCALSTACK_API_KEY` variable
//! and its aliases) becomes a [`Ref`] saying what it does where it stands —
//! sets the variable for what runs later (a CI `env:` map, an `export`, a
//! `.env` line), sets it for one container or command (a compose
//! `environment:` entry, `docker run -e`, a Testcontainers `withEnv`), reads
//! it (`${…}`, `getenv`, a guard), names a CI secret, is documentation, or is
//! left alone for a stated reason.
//!
//! `fix::rename` joins the refs of a whole repository into rename sets; this
//! module only looks at one file, with the context library's help (YAML key
//! paths, shell commands, code calls, comments). Every lookup is bounded
//! (a window of [`WINDOW`] bytes around the mention, at most [`MAX_REFS`]
//! refs and [`MAX_CODE_SITES`] code-context queries per file), so a file
//! with thousands of mentions on one long line stays linear.

use super::view::View;
use crate::context::yaml::{NodeKind, Seg};
use crate::context::{lex::Class, Syntax};
use crate::finding::Finding;
use crate::kind::FileKind;
use crate::rules::Entity;
use std::ops::Range;
use std::sync::OnceLock;

/// Bytes looked at on each side of a mention on its line.
const WINDOW: usize = 256;
/// Most refs kept per file; a file with more is marked as overflowing and
/// `fix` leaves every name it holds as it is.
pub const MAX_REFS: usize = 2048;
/// Most code-context queries per file (each scans up to 64 KiB each way).
const MAX_CODE_SITES: usize = 512;

/// What an occurrence of a legacy name does where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// Sets the variable for what runs later: a CI `env:` / `variables:` /
    /// `environment:` map, Jenkins `environment {}` or `withCredentials`,
    /// `export`, a `.env` or `.envrc` line, Nix `mkShell`, a devcontainer
    /// `remoteEnv`, `os.environ[…] = …`, a Makefile variable, an app
    /// container's environment.
    Provider,
    /// Sets it for one LocalStack container or one command only (a compose
    /// service or Kubernetes container running LocalStack, `docker run -e
    /// NAME=…`, `NAME=… localstack start`, `withEnv("NAME", …)`, a map or
    /// tuple key, Dockerfile `ENV`): LocalStack reads both names, so it is
    /// renamed on its own.
    Leaf,
    /// Reads it from the environment (`$NAME`, `${NAME-}`, `$(NAME)`,
    /// `getenv("NAME")`, `-e NAME`, `${{ env.NAME }}`, a guard).
    Reader,
    /// Reads it as a fallback after `LOCALSTACK_AUTH_TOKEN`: never renamed.
    Fallback,
    /// The name of a CI secret, variable or credential in its store.
    Secret(Store),
    /// A secret a reusable workflow receives (`on.workflow_call.secrets`).
    SecretDecl,
    /// A secret a job passes to a reusable workflow (`jobs.X.secrets.NAME`),
    /// with the workflow it calls.
    SecretPass(String),
    /// A name in code or configuration code (an identifier, a Terraform
    /// variable): renamed with every other occurrence of the same name.
    Symbol {
        /// Whether this occurrence defines it (assignment target,
        /// declaration, `variable "…"`, a tfvars entry).
        def: bool,
    },
    /// Documentation, a comment, an example template, a message: renamed
    /// when the names it documents are.
    Doc {
        /// The line talks about a secret (then it follows the secret's set).
        secret: bool,
    },
    /// Left as it is, for this reason.
    Keep(String),
}

/// Where a CI secret lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Store {
    /// `${{ secrets.NAME }}`.
    GithubSecret,
    /// `${{ vars.NAME }}`.
    GithubVar,
    /// Jenkins `credentials('id')` / `credentialsId: 'id'`.
    Jenkins,
    /// Drone `from_secret: name`.
    Drone,
}

/// Why an occurrence itself is never renamed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hold {
    /// Its line holds a committed credential (`live`: an Auth Token that
    /// still works); renaming around it would dress a dead key as a token.
    Credential {
        /// A checksum-shaped Auth Token rather than a legacy key.
        live: bool,
    },
    /// The same scope already sets the new name: renaming would duplicate it.
    Duplicate,
    /// Fed from `LOCALSTACK_AUTH_TOKEN` on purpose (kept for old readers).
    Pinned,
    /// Every finding on its line is accepted (inline directive, allowlist).
    Suppressed,
    /// Read by an action keysweep cannot see into.
    Consumer(String),
    /// The file has more mentions than `fix` plans.
    Overflow,
}

impl Hold {
    /// Why, in words.
    pub fn reason(&self) -> String {
        match self {
            Hold::Credential { live: true } => {
                "the line holds a committed Auth Token: rotate it, remove the value, then rename"
                    .into()
            }
            Hold::Credential { live: false } => {
                "the line holds a committed legacy key: rotate it and remove the value (a rename would dress a dead key as an Auth Token)".into()
            }
            Hold::Duplicate => {
                "the same scope already sets the new name: remove this line instead".into()
            }
            Hold::Pinned => {
                "kept on purpose: it feeds the old name from LOCALSTACK_AUTH_TOKEN for tools that still read it".into()
            }
            Hold::Suppressed => "accepted by an inline directive or the allowlist".into(),
            Hold::Consumer(what) => {
                format!("read by {what}, which may expect the old name")
            }
            Hold::Overflow => "the file has too many mentions to plan".into(),
        }
    }
}

/// One occurrence of a legacy name.
#[derive(Debug, Clone)]
pub struct Ref {
    /// Bytes of the name in the scanned content.
    pub range: Range<usize>,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters) of the name's start.
    pub column: usize,
    /// The name as written.
    pub name: String,
    /// What the entity's renames make of it (`None`: no rename applies).
    pub new_name: Option<String>,
    /// The name it is planned under: for a Terraform variable set through
    /// `TF_VAR_x`, `x`; otherwise the name.
    pub key: String,
    /// What it does.
    pub role: Role,
    /// In a CI definition: the scope it sets or reads in, as a key path
    /// (`jobs/test/steps/2`; empty = the whole file).
    pub scope: Option<String>,
    /// For a provider: whether it feeds what runs outside its own CI scope
    /// (scripts, compose files, Makefiles, code the job runs).
    pub reach: bool,
    /// For a reader: whether it is the value of a provider or leaf of the
    /// same name on its line (`NAME=${NAME}`), i.e. reads the caller's value.
    pub value_of: bool,
    /// Why it is never renamed itself, if so.
    pub hold: Option<Hold>,
}

/// The refs of one file.
#[derive(Debug, Clone, Default)]
pub struct FileRefs {
    /// The refs, in content order.
    pub refs: Vec<Ref>,
    /// More mentions than [`MAX_REFS`]: the file's names are left alone.
    pub overflow: bool,
}

/// Programs that neither read the legacy variable nor run anything from the
/// repository that could (so a CI job running only these feeds nothing).
const HARMLESS: &[&str] = &[
    "localstack",
    "awslocal",
    "aws",
    "pip",
    "pip3",
    "pipx",
    "uv",
    "apt-get",
    "apt",
    "apk",
    "brew",
    "yum",
    "dnf",
    "echo",
    "printf",
    "curl",
    "wget",
    "sleep",
    "cat",
    "ls",
    "mkdir",
    "rm",
    "cp",
    "mv",
    "chmod",
    "chown",
    "cd",
    "true",
    "false",
    "test",
    "[",
    "set",
    "unset",
    "git",
    "jq",
    "grep",
    "sed",
    "awk",
    "tee",
    "touch",
    "which",
    "exit",
    "kubectl",
    "helm",
    "lstk",
];

/// A regex for a line that sets `name` (an assignment, a mapping key, a
/// Kubernetes `name:`/`value:` pair). Built once per name and process: the
/// names are the rules' new names, a handful, and each build is costlier
/// than scanning a small file.
fn sets_name(name: &str) -> Option<std::sync::Arc<regex::bytes::Regex>> {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};
    static BUILT: OnceLock<Mutex<HashMap<String, Option<Arc<regex::bytes::Regex>>>>> =
        OnceLock::new();
    let mut built = BUILT
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    built
        .entry(name.to_string())
        .or_insert_with(|| {
            regex::bytes::Regex::new(&format!(
                r#"(?m)(?:^|[\s"'{{,(\[-])(?:export[ \t]+|\$env:)?{}["']?[ \t]*(?:[=,]|:[ \t]|:$|\r?\n[ \t]*value)"#,
                regex::escape(name)
            ))
            .ok()
            .map(Arc::new)
        })
        .clone()
}

fn re(cell: &'static OnceLock<regex::bytes::Regex>, pat: &str) -> &'static regex::bytes::Regex {
    cell.get_or_init(|| regex::bytes::Regex::new(pat).expect("constant pattern"))
}

/// What classification needs to know about a finding's rule.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RuleTraits {
    /// It accounts for the entity's mentions.
    pub(crate) mentions: bool,
    /// It reports compatibility readers (class F15): a read it covers is a
    /// fallback.
    pub(crate) compat: bool,
}

/// Classifies every mention of `entity` in `view`; `findings` are the
/// file's findings (for credential lines and suppressions), `traits` says
/// what their rules are.
pub(crate) fn classify(
    entity: &Entity,
    view: &View<'_>,
    findings: &[Finding],
    traits: &dyn Fn(&str) -> RuleTraits,
) -> FileRefs {
    let content = view.content;
    let mut out = FileRefs::default();
    let cx = Cx::new(view, findings);
    let mut cursor = super::location::Cursor::new(content);
    let mut code_sites = 0usize;
    for m in entity.regex.find_iter(content) {
        if m.is_empty() {
            continue;
        }
        if out.refs.len() >= MAX_REFS {
            out.overflow = true;
            break;
        }
        let range = m.range();
        let Ok(name) = std::str::from_utf8(&content[range.clone()]) else {
            continue;
        };
        let (line, column) = cursor.position(range.start);
        let mut r = Ref {
            range: range.clone(),
            line,
            column,
            name: name.to_string(),
            new_name: entity.renamed(name),
            key: key_of(name),
            role: Role::Keep(String::new()),
            scope: None,
            reach: true,
            value_of: false,
            hold: None,
        };
        cx.classify(&mut r, &mut code_sites);
        if r.role == Role::Reader
            && cx
                .on_line(line)
                .any(|i| traits(&findings[i].rule_id).compat)
        {
            r.role = Role::Fallback;
        }
        r.hold = r.hold.take().or_else(|| cx.hold(&r, findings, traits));
        out.refs.push(r);
    }
    if out.overflow {
        for r in &mut out.refs {
            r.hold = Some(Hold::Overflow);
        }
    }
    // A read right after a provider of the same name on its line is that
    // provider's value.
    for i in 1..out.refs.len() {
        let (before, rest) = out.refs.split_at_mut(i);
        let r = &mut rest[0];
        if r.role == Role::Reader {
            r.value_of = before
                .iter()
                .rev()
                .take_while(|p| p.line == r.line)
                .any(|p| p.key == r.key && matches!(p.role, Role::Provider | Role::Leaf));
        }
    }
    out
}

/// The planning key of a name: `TF_VAR_x` plans with the Terraform variable `x`.
fn key_of(name: &str) -> String {
    if name.len() > 7 && name[..7].eq_ignore_ascii_case("TF_VAR_") {
        name[7..].to_string()
    } else {
        name.to_string()
    }
}

/// The file-level facts classification needs.
struct Cx<'v, 'a> {
    view: &'v View<'a>,
    /// (scope, new name) → whether the scope already sets the new name.
    duplicates: std::cell::RefCell<std::collections::HashMap<(Range<usize>, String), bool>>,
    /// Finding indices by the lines they cover.
    by_line: std::collections::HashMap<usize, Vec<usize>>,
    kind: FileKind,
    /// A workflow (its readers are scoped to jobs), as opposed to an
    /// `action.yml` whose steps run for a caller.
    workflow: bool,
    changelog: bool,
    template: bool,
}

impl<'v, 'a> Cx<'v, 'a> {
    fn new(view: &'v View<'a>, findings: &[Finding]) -> Self {
        let lower = view.path.to_ascii_lowercase();
        let name = lower.rsplit('/').next().unwrap_or(&lower).to_string();
        let changelog = ["changelog", "changes", "history", "news", "release-notes"]
            .iter()
            .any(|c| name.starts_with(c))
            || lower.contains("/changelog/")
            || lower.contains("/release-notes/");
        let template = [
            ".example",
            ".sample",
            ".template",
            ".tmpl",
            ".dist",
            ".defaults",
        ]
        .iter()
        .any(|s| name.ends_with(s) || name.contains(&format!("{s}.")))
            || name.starts_with("example.")
            || name.starts_with("sample.");
        let workflow = match view.kind {
            FileKind::GithubActions => !(name == "action.yml" || name == "action.yaml"),
            k => k.group() == "ci",
        };
        let mut by_line: std::collections::HashMap<usize, Vec<usize>> = Default::default();
        for (i, f) in findings.iter().enumerate() {
            // A finding spans a few lines at most (a name/value pair).
            let last = f.location.end_line.min(f.location.line + 8);
            for l in f.location.line..=last {
                by_line.entry(l).or_default().push(i);
            }
        }
        Cx {
            view,
            duplicates: Default::default(),
            by_line,
            kind: view.kind,
            workflow,
            changelog,
            template,
        }
    }

    fn content(&self) -> &'a [u8] {
        self.view.content
    }

    /// Indices of the findings covering `line`.
    fn on_line(&self, line: usize) -> impl Iterator<Item = usize> + '_ {
        self.by_line.get(&line).into_iter().flatten().copied()
    }

    /// Up to [`WINDOW`] bytes before `off` on its line.
    fn before(&self, off: usize) -> &'a [u8] {
        let c = self.content();
        let lo = off.saturating_sub(WINDOW);
        let seg = &c[lo..off];
        match memchr::memrchr(b'\n', seg) {
            Some(i) => &seg[i + 1..],
            None => seg,
        }
    }

    /// Up to [`WINDOW`] bytes after `off` on its line.
    fn after(&self, off: usize) -> &'a [u8] {
        let c = self.content();
        let hi = (off + WINDOW).min(c.len());
        let seg = &c[off..hi];
        match memchr::memchr(b'\n', seg) {
            Some(i) => &seg[..i],
            None => seg,
        }
    }

    fn classify(&self, r: &mut Ref, code_sites: &mut usize) {
        let off = r.range.start;
        if self.changelog {
            r.role = Role::Keep("a changelog entry: history, not configuration".into());
            return;
        }
        if matches!(self.kind, FileKind::Docs | FileKind::Other) || self.template {
            r.role = Role::Doc {
                secret: self.mentions_secret(off),
            };
            return;
        }
        let places = self.view.places_at(off);
        if places & crate::rules::Place::Comment.bit() != 0 {
            r.role = Role::Doc {
                secret: self.mentions_secret(off),
            };
            return;
        }
        let pre = self.before(off);
        let post = self.after(r.range.end);
        if let Some(role) = self.reference(pre) {
            r.role = role;
            self.set_ci_scope(r, off);
            return;
        }
        let role = match self.view.syntax() {
            Syntax::Yaml => self.yaml(r, pre, post),
            Syntax::Shell
            | Syntax::Dotenv
            | Syntax::PowerShell
            | Syntax::Makefile
            | Syntax::Dockerfile => self.shell(r, pre, post),
            Syntax::Json => self.json(r, pre, post),
            Syntax::Hcl => Role::Symbol { def: true },
            Syntax::Nix => self.nix(pre, post),
            Syntax::Groovy => self.groovy(r, pre, post),
            s if s.is_program() => {
                *code_sites += 1;
                if *code_sites > MAX_CODE_SITES {
                    self.text(pre, post)
                } else {
                    self.code(r, pre, post)
                }
            }
            _ => self.text(pre, post),
        };
        // A read of the new variable first, then this one: a fallback.
        r.role = match role {
            Role::Reader if self.fallback(pre) => Role::Fallback,
            other => other,
        };
        if r.key != r.name {
            // TF_VAR_x is the Terraform variable x, wherever it is set.
            r.role = Role::Symbol { def: true };
        }
        if self.workflow && r.scope.is_none() {
            self.set_ci_scope(r, off);
        }
    }

    /// Whether the mention's line speaks of a secret.
    fn mentions_secret(&self, off: usize) -> bool {
        static RE: OnceLock<regex::bytes::Regex> = OnceLock::new();
        let line = [self.before(off), self.after(off)].concat();
        re(&RE, r"(?i)\bsecrets?\b").is_match(&line)
    }

    /// A reference to a secret store or an expression context, from what
    /// precedes the name.
    fn reference(&self, pre: &[u8]) -> Option<Role> {
        static JENKINS: OnceLock<regex::bytes::Regex> = OnceLock::new();
        static DRONE: OnceLock<regex::bytes::Regex> = OnceLock::new();
        static GH: OnceLock<regex::bytes::Regex> = OnceLock::new();
        static LOCAL: OnceLock<regex::bytes::Regex> = OnceLock::new();
        if let Some(c) = re(&GH, r"\$\{\{[^}]*\b(secrets|vars|env)\.$").captures(pre) {
            return Some(match c.get(1).map(|m| m.as_bytes()) {
                Some(b"secrets") => Role::Secret(Store::GithubSecret),
                Some(b"vars") => Role::Secret(Store::GithubVar),
                _ => Role::Reader,
            });
        }
        if re(
            &JENKINS,
            r#"(?:credentials\(\s*|credentialsId\s*:\s*)["']$"#,
        )
        .is_match(pre)
        {
            return Some(Role::Secret(Store::Jenkins));
        }
        if re(&DRONE, r#"from_secret\s*:\s*["']?$"#).is_match(pre) {
            return Some(Role::Secret(Store::Drone));
        }
        if re(&LOCAL, r"\$\{(?:localEnv|containerEnv|env):$").is_match(pre) {
            return Some(Role::Reader);
        }
        None
    }

    /// `${LOCALSTACK_AUTH_TOKEN:-${NAME}}`, `getenv("LOCALSTACK_AUTH_TOKEN") or getenv("NAME")`.
    fn fallback(&self, pre: &[u8]) -> bool {
        memchr::memmem::find(pre, b"LOCALSTACK_AUTH_TOKEN").is_some()
    }

    /// A plain read by syntax alone: `$NAME`, `${NAME`, `$$NAME`, `$(NAME`, `%NAME%`.
    fn dollar_read(pre: &[u8]) -> bool {
        pre.ends_with(b"$")
            || pre.ends_with(b"${")
            || pre.ends_with(b"$(")
            || pre.ends_with(b"$env:")
            || pre.ends_with(b"%")
    }

    /// `NAME=`, `NAME:` (then a blank or the end), `"NAME":`, `NAME =`.
    fn assigns(post: &[u8]) -> bool {
        static RE: OnceLock<regex::bytes::Regex> = OnceLock::new();
        re(&RE, r#"^["']?\]?[ \t]*(?:=[^=~]|=$|:(?:[ \t]|$))"#).is_match(post)
    }

    fn text(&self, pre: &[u8], post: &[u8]) -> Role {
        if Self::dollar_read(pre) {
            Role::Reader
        } else if Self::assigns(post) {
            Role::Keep("a configuration key: rename it together with the code that reads it".into())
        } else {
            Role::Doc { secret: false }
        }
    }

    fn set_ci_scope(&self, r: &mut Ref, off: usize) {
        if !self.workflow {
            return;
        }
        let path = self
            .view
            .yaml_at(off)
            .and_then(|y| y.path_at(off))
            .unwrap_or_default();
        r.scope = Some(scope_string(&path));
    }

    fn yaml(&self, r: &mut Ref, pre: &[u8], post: &[u8]) -> Role {
        let off = r.range.start;
        let Some(y) = self.view.yaml_at(off) else {
            return self.text(pre, post);
        };
        let doc = y.doc;
        let local = off - y.base;
        let path = doc.path_at(local).unwrap_or_default();
        if doc.in_key(local) {
            return self.yaml_key(r, &path, doc);
        }
        // A script in a `run:` / `script:` value.
        if self.view.shell_at(off).is_some() {
            let role = self.shell(r, pre, post);
            if self.workflow {
                r.scope = Some(scope_string(&path));
            }
            return role;
        }
        if Self::dollar_read(pre) {
            if self.workflow {
                r.scope = Some(scope_string(&path));
            }
            return Role::Reader;
        }
        let node = doc.node_at(local).map(|id| doc.node(id));
        let text = node.and_then(|n| n.text()).unwrap_or("");
        let key = path.last().and_then(|s| match s {
            Seg::Key(k) => Some(k.as_str()),
            _ => None,
        });
        if text.trim() == r.name {
            // `- name: NAME` in a Kubernetes env list, `variable: NAME`.
            if key == Some("name") {
                return self.container_key(r, &path, doc, true);
            }
            // `environment: [NAME]`: passed through from the caller.
            if matches!(path.last(), Some(Seg::Index(_)))
                && path
                    .iter()
                    .any(|s| matches!(s, Seg::Key(k) if is_env_map(k)))
            {
                return Role::Reader;
            }
            return Role::Keep(
                "a value naming the variable: check what reads it before renaming".into(),
            );
        }
        // `- NAME=value` list items under an environment.
        if text.trim_start().starts_with(&r.name)
            && Self::assigns(post)
            && matches!(path.last(), Some(Seg::Index(_)))
            && path
                .iter()
                .any(|s| matches!(s, Seg::Key(k) if is_env_map(k) || k == "args"))
        {
            return self.container_key(r, &path, doc, false);
        }
        Role::Doc {
            secret: self.mentions_secret(off),
        }
    }

    /// A mention that is a YAML mapping key.
    fn yaml_key(&self, r: &mut Ref, path: &[Seg], doc: &crate::context::yaml::YamlDoc) -> Role {
        let keys: Vec<&str> = path
            .iter()
            .map(|s| match s {
                Seg::Key(k) => k.as_str(),
                Seg::Index(_) => "#",
            })
            .collect();
        let n = keys.len();
        let parent = if n >= 2 { keys[n - 2] } else { "" };
        match self.kind {
            FileKind::GithubActions => {
                if keys.starts_with(&["on", "workflow_call", "secrets"]) && n == 4 {
                    return Role::SecretDecl;
                }
                if n == 4 && keys[0] == "jobs" && keys[2] == "secrets" {
                    let callee = doc
                        .get(&path[..2])
                        .and_then(|j| doc.child(j, "uses"))
                        .and_then(|u| doc.node(u).text())
                        .unwrap_or("")
                        .to_string();
                    return Role::SecretPass(callee);
                }
                if parent == "with" || parent == "inputs" {
                    return Role::Keep("the name of an action or workflow input".into());
                }
                if parent != "env" {
                    return Role::Keep("a key of the workflow".into());
                }
                let scope = scope_string(&path[..n - 2]);
                // A step's environment goes to what the step runs.
                if n == 6 && keys[0] == "jobs" && keys[2] == "steps" {
                    let step = doc.get(&path[..4]);
                    let uses = step
                        .and_then(|s| doc.child(s, "uses"))
                        .and_then(|u| doc.node(u).text())
                        .map(str::to_string);
                    if let Some(uses) = uses {
                        let lower = uses.to_ascii_lowercase();
                        if lower.starts_with("localstack/") {
                            return Role::Leaf;
                        }
                        if !lower.starts_with("./") {
                            r.hold = Some(Hold::Consumer(format!("the action `{uses}`")));
                        }
                    }
                }
                if (n >= 5 && (keys[2] == "container" || keys[2] == "services"))
                    || (self.workflow && keys.first() == Some(&"runs"))
                {
                    return Role::Leaf;
                }
                if self.workflow {
                    r.reach = self.ci_reach(doc, &path[..n - 2]);
                    r.scope = Some(scope);
                }
                Role::Provider
            }
            FileKind::GitlabCi
            | FileKind::CircleCi
            | FileKind::BitbucketPipelines
            | FileKind::OtherCi => {
                if !is_env_map(parent) {
                    return Role::Keep("a key of the CI definition".into());
                }
                if keys.contains(&"services") {
                    return Role::Leaf;
                }
                // CircleCI's primary image environment is the job's.
                let mut scope_path: Vec<Seg> = path[..n - 2].to_vec();
                if let Some(i) = keys.iter().position(|k| *k == "docker") {
                    if i < scope_path.len() {
                        scope_path.truncate(i);
                    }
                }
                r.reach = self.ci_reach(doc, &scope_path);
                r.scope = Some(scope_string(&scope_path));
                Role::Provider
            }
            FileKind::Compose | FileKind::Kubernetes => {
                if is_env_map(parent) || parent == "args" || parent == "extraEnvVars" {
                    self.container_key(r, path, doc, false)
                } else {
                    Role::Keep("a configuration key: rename it together with what reads it".into())
                }
            }
            _ => {
                if is_env_map(parent) {
                    Role::Provider
                } else {
                    Role::Keep(
                        "a configuration key: rename it together with the code that reads it"
                            .into(),
                    )
                }
            }
        }
    }

    /// An environment entry of a container (compose service, Kubernetes
    /// container, Helm values): a leaf when the container runs LocalStack,
    /// else a provider for the application in it.
    fn container_key(
        &self,
        r: &mut Ref,
        path: &[Seg],
        doc: &crate::context::yaml::YamlDoc,
        name_value: bool,
    ) -> Role {
        let _ = r;
        if path.iter().any(|s| matches!(s, Seg::Key(k) if k == "args")) {
            // Compose `build.args`: read by the Dockerfile's ARG.
            return Role::Provider;
        }
        if path
            .iter()
            .any(|s| matches!(s, Seg::Key(k) if k == "extraEnvVars"))
        {
            return Role::Leaf;
        }
        // The unit holding the environment: the service or container.
        let env_at = path
            .iter()
            .rposition(|s| matches!(s, Seg::Key(k) if is_env_map(k)))
            .unwrap_or(path.len().saturating_sub(if name_value { 3 } else { 2 }));
        let image = doc
            .get(&path[..env_at])
            .and_then(|u| doc.child(u, "image"))
            .and_then(|i| doc.node(i).text())
            .map(|t| t.to_ascii_lowercase());
        let unit_name = match env_at.checked_sub(1).and_then(|i| path.get(i)) {
            Some(Seg::Key(k)) => k.to_ascii_lowercase(),
            _ => String::new(),
        };
        match image {
            Some(i) if i.contains("localstack") => Role::Leaf,
            None if unit_name.contains("localstack") => Role::Leaf,
            // A Helm values file or manifest with no image: the chart's.
            None if self.kind == FileKind::Kubernetes => Role::Leaf,
            _ => Role::Provider,
        }
    }

    /// Whether the commands of a CI scope run anything that could read the
    /// variable outside the CI file (a script, make, compose, a test runner).
    fn ci_reach(&self, doc: &crate::context::yaml::YamlDoc, scope: &[Seg]) -> bool {
        let span = if scope.is_empty() {
            0..self.content().len()
        } else {
            match doc.get(scope) {
                Some(id) => doc.node(id).span(),
                None => return true,
            }
        };
        for c in self.view.commands_in(span.clone()) {
            let Some(p) = c.program() else { continue };
            let p = p.to_ascii_lowercase();
            let compose = c.args().next().is_some_and(|a| a.text == "compose");
            if p == "docker-compose" || compose || !HARMLESS.contains(&p.as_str()) {
                if p == "docker" && !compose {
                    continue;
                }
                return true;
            }
        }
        // Local actions and reusable workflows run files of the repository.
        static USES: OnceLock<regex::bytes::Regex> = OnceLock::new();
        let text = &self.content()[span];
        re(&USES, r#"(?m)^[ \t-]*uses:[ \t]*["']?\./"#).is_match(text)
    }

    fn shell(&self, r: &mut Ref, pre: &[u8], post: &[u8]) -> Role {
        static MAKE_DEF: OnceLock<regex::bytes::Regex> = OnceLock::new();
        static MAKE_IF: OnceLock<regex::bytes::Regex> = OnceLock::new();
        static LINE_START: OnceLock<regex::bytes::Regex> = OnceLock::new();
        static SET_ENV: OnceLock<regex::bytes::Regex> = OnceLock::new();
        let off = r.range.start;
        let syntax = self.view.syntax();
        // PowerShell: `$env:NAME = …` sets, `$env:NAME` reads.
        if pre.ends_with(b"$env:") {
            return if Self::assigns(post) {
                Role::Provider
            } else {
                Role::Reader
            };
        }
        if re(&SET_ENV, r#"(?i)SetEnvironmentVariable\(\s*["']$"#).is_match(pre) {
            return Role::Provider;
        }
        if pre.ends_with(b"Env:") {
            return Role::Keep("removes the variable".into());
        }
        if syntax == Syntax::Dockerfile {
            if let Some(ins) = self.view.dockerfile().and_then(|d| d.instruction_at(off)) {
                match ins.keyword.as_str() {
                    "ENV" if !Self::dollar_read(pre) => return Role::Leaf,
                    "ARG" if !Self::dollar_read(pre) => return Role::Reader,
                    _ => {}
                }
            }
        }
        if let Some(map) = self.view.shell_at(off) {
            if let Some(e) = map.expansion_at(off) {
                if e.name == r.name || Self::dollar_read(pre) {
                    return Role::Reader;
                }
            }
            if Self::dollar_read(pre) {
                return Role::Reader;
            }
            if let Some((cmd, wi)) = map.word_at(off) {
                let word = &cmd.words[wi];
                let starts = word.span.start == off
                    || (word.span.start + 1 == off
                        && matches!(self.content().get(word.span.start), Some(b'"' | b'\'')));
                let assignment = starts && word.text.starts_with(&format!("{}=", r.name));
                if wi < cmd.assignments {
                    if assignment {
                        return if cmd.program_index().is_some() {
                            Role::Leaf
                        } else {
                            Role::Provider
                        };
                    }
                    return Role::Doc { secret: false };
                }
                if let Some(d) = cmd.docker_run() {
                    for flag in &d.env {
                        if let crate::context::shell::EnvFlag::Env { name, value, span } = flag {
                            if span.contains(&off) && name == &r.name {
                                let localstack = d
                                    .image_text
                                    .as_deref()
                                    .is_some_and(|i| i.to_ascii_lowercase().contains("localstack"));
                                return match value {
                                    None => Role::Reader,
                                    Some(_) if localstack || d.image_text.is_none() => Role::Leaf,
                                    Some(_) => Role::Provider,
                                };
                            }
                        }
                    }
                }
                let program = cmd.program().unwrap_or("").to_ascii_lowercase();
                match program.as_str() {
                    "export" | "declare" | "typeset" | "readonly" | "local" | "setenv" => {
                        return if assignment || (program == "setenv" && starts) {
                            Role::Provider
                        } else {
                            Role::Reader
                        };
                    }
                    "unset" => return Role::Keep("removes the variable".into()),
                    _ => {}
                }
                if cmd.is_echo() || word.text.contains(' ') {
                    return Role::Doc { secret: false };
                }
                if word.text == r.name {
                    return Role::Reader;
                }
            }
        }
        // Lines a shell map does not cover: Makefile variables, dotenv.
        let line = [pre, &self.content()[r.range.clone()], post].concat();
        if syntax == Syntax::Makefile {
            if re(
                &MAKE_DEF,
                r"^[ \t]*(?:export[ \t]+|override[ \t]+)?[A-Za-z0-9_]+[ \t]*(?:\?|:|::|\+|!)?=",
            )
            .is_match(&line)
                && pre.iter().all(|b| {
                    b.is_ascii_whitespace()
                        || pre.starts_with(b"export")
                        || pre.starts_with(b"override")
                })
            {
                return Role::Provider;
            }
            if re(
                &MAKE_IF,
                r"^[ \t]*(?:ifn?def|export)[ \t]+[A-Za-z0-9_]+[ \t]*$",
            )
            .is_match(&line)
            {
                return Role::Reader;
            }
        }
        if re(&LINE_START, r"^[ \t]*(?:export[ \t]+)?$").is_match(pre) && Self::assigns(post) {
            return Role::Provider;
        }
        self.text(pre, post)
    }

    fn json(&self, r: &mut Ref, pre: &[u8], post: &[u8]) -> Role {
        static KEY_OF: OnceLock<regex::bytes::Regex> = OnceLock::new();
        if Self::dollar_read(pre) {
            return Role::Reader;
        }
        let quoted_key = pre.ends_with(b"\"") && post.starts_with(b"\"") && {
            let rest = &post[1..];
            rest.iter()
                .find(|b| !b.is_ascii_whitespace())
                .is_some_and(|&b| b == b':')
        };
        if quoted_key {
            // The object the key is in: its own key, looked for backwards.
            let c = self.content();
            let lo = r.range.start.saturating_sub(4096);
            let mut depth = 0i32;
            let mut open = None;
            for i in (lo..r.range.start).rev() {
                match c[i] {
                    b'}' => depth += 1,
                    b'{' if depth == 0 => {
                        open = Some(i);
                        break;
                    }
                    b'{' => depth -= 1,
                    _ => {}
                }
            }
            let owner = open.and_then(|o| {
                let seg = &c[o.saturating_sub(64)..o];
                re(&KEY_OF, r#""([A-Za-z_]+)"\s*:\s*$"#)
                    .captures(seg)
                    .and_then(|cap| cap.get(1))
                    .map(|m| String::from_utf8_lossy(m.as_bytes()).into_owned())
            });
            return match owner.as_deref() {
                Some("remoteEnv" | "containerEnv") => Role::Provider,
                Some("env" | "environment" | "environmentVariables") => Role::Leaf,
                _ => Role::Keep(
                    "a configuration key: rename it together with the code that reads it".into(),
                ),
            };
        }
        if pre.ends_with(b"\"") && post.starts_with(b"\"") {
            static NAME: OnceLock<regex::bytes::Regex> = OnceLock::new();
            if re(&NAME, r#""name"\s*:\s*"$"#).is_match(pre) {
                return Role::Leaf;
            }
            return Role::Reader;
        }
        Role::Doc { secret: false }
    }

    fn nix(&self, pre: &[u8], post: &[u8]) -> Role {
        if Self::dollar_read(pre) || pre.ends_with(b"getEnv \"") {
            return Role::Reader;
        }
        if pre.iter().all(u8::is_ascii_whitespace) && Self::assigns(post) {
            return Role::Provider;
        }
        Role::Doc { secret: false }
    }

    fn groovy(&self, r: &mut Ref, pre: &[u8], post: &[u8]) -> Role {
        static VARIABLE: OnceLock<regex::bytes::Regex> = OnceLock::new();
        static WITH_ENV: OnceLock<regex::bytes::Regex> = OnceLock::new();
        if self.workflow {
            r.scope = Some(String::new());
            r.reach = true;
        }
        if Self::dollar_read(pre) || pre.ends_with(b"env.") || pre.ends_with(b"${env.") {
            return Role::Reader;
        }
        if re(&VARIABLE, r#"variable\s*:\s*["']$"#).is_match(pre) {
            return Role::Provider;
        }
        if re(&WITH_ENV, r#"withEnv\(\s*\[[^\]]*["']$"#).is_match(pre) && post.starts_with(b"=") {
            return Role::Provider;
        }
        if pre.iter().all(u8::is_ascii_whitespace) && Self::assigns(post) {
            return Role::Provider;
        }
        let site = self.view.code_at(r.range.start);
        if site.is_some_and(|s| s.class == Class::String) {
            return Role::Doc { secret: false };
        }
        self.text(pre, post)
    }

    fn code(&self, r: &mut Ref, pre: &[u8], post: &[u8]) -> Role {
        static ENV_MEMBER: OnceLock<regex::bytes::Regex> = OnceLock::new();
        static DECL: OnceLock<regex::bytes::Regex> = OnceLock::new();
        let off = r.range.start;
        let Some(site) = self.view.code_at(off) else {
            return self.text(pre, post);
        };
        if site.class == Class::Docstring || site.class == Class::Heredoc {
            return Role::Doc { secret: false };
        }
        if site.class == Class::String {
            if Self::dollar_read(pre) || pre.ends_with(b"${env.") {
                return Role::Reader;
            }
            let lit = &self.content()[site.token.clone()];
            let inner: &[u8] = {
                let t = lit
                    .iter()
                    .position(|b| {
                        !matches!(b, b'"' | b'\'' | b'`' | b'@' | b'$' | b'f' | b'r' | b'b')
                    })
                    .unwrap_or(0);
                let e = lit
                    .iter()
                    .rposition(|b| !matches!(b, b'"' | b'\'' | b'`'))
                    .map_or(lit.len(), |i| i + 1);
                if t < e {
                    &lit[t..e]
                } else {
                    lit
                }
            };
            if inner != r.name.as_bytes() {
                return Role::Doc { secret: false };
            }
            let lower = |s: &str| s.to_ascii_lowercase();
            if let Some(call) = site.call() {
                let full = call.name.as_deref().map(lower).unwrap_or_default();
                let short = call.short_name().map(lower).unwrap_or_default();
                let first = call.arg_index == Some(0);
                match short.as_str() {
                    "setenv" | "set_var" | "setenvironmentvariable" | "putenv" if first => {
                        return Role::Provider
                    }
                    "pop" | "unsetenv" | "remove_var" | "delete" | "removeenv" => {
                        return Role::Keep("removes the variable".into())
                    }
                    "withenv" | "withenvironment" | "with_env" | "addenv" | "env"
                    | "environment" | "withenvvar" | "setenvironment"
                        if first =>
                    {
                        return Role::Leaf
                    }
                    "getenv"
                    | "get"
                    | "getenvironmentvariable"
                    | "lookupenv"
                    | "var"
                    | "var_os"
                    | "fetch"
                    | "getordefault"
                    | "require"
                    | "environ" => {
                        let _ = full;
                        return Role::Reader;
                    }
                    _ => {}
                }
            }
            if let Some(sub) = site.subscript() {
                let target = sub.name.as_deref().unwrap_or("").to_ascii_lowercase();
                let envish = target.ends_with("environ")
                    || target == "env"
                    || target.ends_with(".env")
                    || target == "process.env";
                let assigned = site
                    .assignment
                    .as_ref()
                    .is_some_and(|a| a.target.start <= sub.open && sub.open < a.target.end);
                return match (envish, assigned) {
                    (true, true) => Role::Provider,
                    (true, false) => Role::Reader,
                    (false, _) => Role::Leaf,
                };
            }
            if let Some((entry, in_key)) = site.entry() {
                if in_key {
                    return Role::Leaf;
                }
                let key = &self.content()[entry.key.clone()];
                let key: Vec<u8> = key
                    .iter()
                    .copied()
                    .filter(|b| !matches!(b, b'"' | b'\''))
                    .collect();
                if key == b"name" {
                    return Role::Leaf;
                }
                return Role::Reader;
            }
            if let Some(e) = site.enclosures.first() {
                if e.kind == crate::context::code::Kind::Tuple && e.arg_index == Some(0) {
                    return Role::Leaf;
                }
            }
            // A constant holding the name, or a name passed on: a read.
            return Role::Reader;
        }
        // An identifier or member.
        if re(&ENV_MEMBER, r"(?:process\.env|\bENV|\benv)\.$").is_match(pre) {
            return if site.is_assignment_target() {
                Role::Provider
            } else {
                Role::Reader
            };
        }
        let def = site.is_assignment_target()
            || re(
                &DECL,
                r"(?:\b(?:const|let|var|val|final|static|String|string|str|def|export)[ \t]+|^[ \t]*)$",
            )
            .is_match(pre)
                && Self::assigns(post);
        Role::Symbol { def }
    }

    /// Holds that follow from the file around the ref: a credential on its
    /// line, every finding on it accepted, the new name already set in its
    /// scope, a value fed from the new name.
    fn hold(
        &self,
        r: &Ref,
        findings: &[Finding],
        traits: &dyn Fn(&str) -> RuleTraits,
    ) -> Option<Hold> {
        // A name that ends its line (`- name: NAME`) takes its value from
        // the next one (`value: …`).
        let ends_line = self
            .after(r.range.end)
            .iter()
            .all(|b| b.is_ascii_whitespace() || *b == b'"' || *b == b'\'');
        let value_line = |l: usize| l == r.line || (ends_line && l == r.line + 1);
        let near: Vec<usize> = self
            .on_line(r.line)
            .chain(if ends_line {
                self.on_line(r.line + 1).collect::<Vec<_>>()
            } else {
                Vec::new()
            })
            .collect();
        for &i in &near {
            let f = &findings[i];
            if let Some(s) = &f.secret {
                if f.suppression.is_none() && value_line(f.location.line) {
                    let raw = s.redacted();
                    let live = raw.starts_with("ls") && raw.contains('-');
                    return Some(Hold::Credential { live });
                }
            }
        }
        let mut covering = self.on_line(r.line).map(|i| &findings[i]).peekable();
        covering.peek()?;
        let mut any_mention = false;
        let mut all_suppressed = true;
        for f in covering {
            if traits(&f.rule_id).mentions {
                any_mention = true;
                all_suppressed &= f.suppression.is_some();
            }
        }
        if any_mention && all_suppressed {
            return Some(Hold::Suppressed);
        }
        if matches!(r.role, Role::Provider | Role::Leaf) {
            if self.pinned(r) {
                return Some(Hold::Pinned);
            }
            if self.duplicate(r) {
                return Some(Hold::Duplicate);
            }
        }
        None
    }

    /// `NAME: ${{ secrets.LOCALSTACK_AUTH_TOKEN }}`, `NAME=$LOCALSTACK_AUTH_TOKEN`.
    fn pinned(&self, r: &Ref) -> bool {
        let post = self.after(r.range.end);
        let value = match post.iter().position(|&b| b == b'=' || b == b':') {
            Some(i) => &post[i..],
            None => return false,
        };
        memchr::memmem::find(value, b"LOCALSTACK_AUTH_TOKEN").is_some()
    }

    /// Whether the scope that the provider or leaf sets the name in already
    /// sets the new name (live text: a commented-out line sets nothing).
    fn duplicate(&self, r: &Ref) -> bool {
        let Some(new) = &r.new_name else { return false };
        let scope = self.scope_span(r.range.start);
        let key = (scope.clone(), new.clone());
        if let Some(&known) = self.duplicates.borrow().get(&key) {
            return known;
        }
        let live = self.view.live_text(scope);
        let found = sets_name(new).is_some_and(|pat| pat.is_match(&live));
        self.duplicates.borrow_mut().insert(key, found);
        found
    }

    /// The text a provider's or leaf's siblings live in: the YAML mapping or
    /// list, the shell command, the code statement, or the whole file.
    fn scope_span(&self, off: usize) -> Range<usize> {
        let whole = 0..self.content().len();
        match self.view.syntax() {
            Syntax::Yaml => {
                if let Some(y) = self.view.yaml_at(off) {
                    let doc = y.doc;
                    if let Some(id) = doc.node_at(off - y.base) {
                        let mut cur = Some(id);
                        // Up to the collection holding the entry.
                        for _ in 0..3 {
                            let Some(c) = cur else { break };
                            let n = doc.node(c);
                            let is_env = n.key().is_some_and(is_env_map);
                            if matches!(n.kind(), NodeKind::Mapping | NodeKind::Sequence) && is_env
                            {
                                let s = n.span();
                                return s.start + y.base..s.end + y.base;
                            }
                            cur = n.parent();
                        }
                    }
                }
                if let Some(c) = self.view.command_at(off) {
                    return c.span.clone();
                }
                whole
            }
            Syntax::Shell | Syntax::PowerShell | Syntax::Makefile | Syntax::Dockerfile => {
                match self.view.command_at(off) {
                    Some(c)
                        if c.docker_run().is_some()
                            || c.program_index().is_some() && c.assignments > 0 =>
                    {
                        c.span.clone()
                    }
                    _ => whole,
                }
            }
            s if s.is_program() => self
                .view
                .code_at(off)
                .map(|site| site.statement)
                .unwrap_or(whole),
            _ => whole,
        }
    }
}

/// Keys whose entries are environment variables.
fn is_env_map(k: &str) -> bool {
    matches!(
        k,
        "env"
            | "environment"
            | "variables"
            | "extraEnvVars"
            | "envVars"
            | "remoteEnv"
            | "containerEnv"
            | "global"
    )
}

/// A YAML path as a `/`-joined scope (`jobs/test/steps/2`).
fn scope_string(path: &[Seg]) -> String {
    path.iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>()
        .join("/")
}

/// Whether a provider in CI scope `provider` sets what runs in scope `reader`.
pub fn scope_feeds(provider: &str, reader: &str) -> bool {
    provider.is_empty()
        || reader == provider
        || reader
            .strip_prefix(provider)
            .is_some_and(|rest| rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_nest_by_path_segment() {
        assert!(scope_feeds("", "jobs/a"));
        assert!(scope_feeds("jobs/a", "jobs/a/steps/1/run"));
        assert!(!scope_feeds("jobs/a", "jobs/ab/steps/1"));
        assert!(!scope_feeds("jobs/a/steps/1", "jobs/a/steps/2/run"));
    }

    #[test]
    fn terraform_env_names_plan_with_the_variable() {
        assert_eq!(key_of("TF_VAR_localstack_api_key"), "localstack_api_key");
        assert_eq!(key_of("LOCALSTACK_API_KEY"), "LOCALSTACK_API_KEY");
    }
}
