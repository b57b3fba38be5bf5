//! The repository's rename plan: which occurrences of a legacy name `fix`
//! renames, in which mode, and why the others stay.
//!
//! A rename is decided per repository, not per line. From the refs of every
//! scanned file (`scan::env`: who sets the name, who reads it) the planner
//! builds, for each name, a graph that links every reader to the providers
//! that can feed it:
//!
//! - a reader in a CI definition is fed by the providers of its own scope
//!   (workflow, job or step environment) in that file;
//! - a reader anywhere else (a compose `${…}`, a script, a Makefile, code) is
//!   fed by every provider whose values reach other files: `.env` and
//!   `.envrc` lines, scripts that export, Nix shells, devcontainer
//!   environments, application containers, and CI scopes that run scripts,
//!   `make`, compose or a test runner;
//! - a reader nothing in the repository feeds reads what is set outside it:
//!   the CI system's variables, or a developer's shell.
//!
//! Each connected set is renamed as a whole or not at all. A set fed from
//! outside needs an action outside the repository (a CI variable under the
//! new name, developers exporting it), so it waits for `--rename-secrets`;
//! so do CI secret names, which are renamed per secret across the
//! repository. A set is held, with the reason, when one of its readers
//! cannot be renamed, or a provider that cannot be renamed would lose its
//! readers (a committed Auth Token, a value kept on purpose, an accepted
//! finding). Providers with no reader in the repository and leaves (one
//! LocalStack container's or one command's environment; LocalStack reads
//! both names) are renamed on their own. Documentation, comments and
//! messages follow the names they document.
//!
//! So after `fix`, no reader reads a name that no provider in the repository
//! sets, unless that was already so before.

use crate::kind::FileKind;
use crate::scan::env::{scope_feeds, Hold, Ref, Role, Store};
use crate::scan::ScannedRefs;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// The opt-in that lets `fix` do what needs an action outside the repository.
pub const RENAME_SECRETS: &str = "rename-secrets";

/// How far a rename reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    /// Needs nothing outside the repository: the default mode applies it.
    Default,
    /// Needs a secret or variable under the new name outside the repository
    /// (`--rename-secrets`).
    RenameSecrets,
}

impl Level {
    /// The `keysweep fix` flag this level needs, if any.
    pub fn opt_in(self) -> Option<&'static str> {
        match self {
            Level::Default => None,
            Level::RenameSecrets => Some(RENAME_SECRETS),
        }
    }
}

/// What the plan does with one ref.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Renamed to `to` at `level`, as part of set `set`.
    Rename {
        /// The new name.
        to: String,
        /// The mode that applies it.
        level: Level,
        /// Index into [`Plan::sets`].
        set: usize,
    },
    /// Left as it is, for this reason.
    Hold {
        /// Why.
        reason: String,
        /// The set it belongs to.
        set: Option<usize>,
    },
    /// Never renamed (a fallback reader, a name that stays): nothing to do.
    Untouched(Option<String>),
}

impl Decision {
    /// The set the decision belongs to, if any.
    pub fn set(&self) -> Option<usize> {
        match self {
            Decision::Rename { set, .. } => Some(*set),
            Decision::Hold { set, .. } => *set,
            Decision::Untouched(_) => None,
        }
    }
}

/// What kind of name a set renames.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SetKind {
    /// An environment variable, its providers and readers.
    Variable,
    /// Where the variable is set for one LocalStack container or command,
    /// or set with nothing in the repository reading it.
    Standalone,
    /// A name in code or Terraform.
    Symbol,
    /// A CI secret, variable or credential name.
    Secret,
    /// Documentation, comments, templates and messages.
    Docs,
}

/// Whether a set is renamed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Renamed in this mode (and every later one).
    Renamed(Level),
    /// Left as it is.
    Held(String),
}

/// One place of a set.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Place {
    /// Path as reported.
    pub path: String,
    /// 1-based line.
    pub line: usize,
}

/// What must exist outside the repository before a set's rename is merged.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Outside {
    /// A CI secret or variable to create, in its store.
    Secret {
        /// The CI system (`GitHub Actions`, `Jenkins`, …).
        system: String,
        /// What it is (`secret`, `variable`, `credential`).
        what: String,
        /// The name to create.
        name: String,
        /// Whether the repository already refers to it elsewhere (it may exist).
        referenced: bool,
    },
    /// A CI system variable to create (GitLab, CircleCI, Bitbucket, …).
    CiVariable {
        /// The CI system.
        system: String,
        /// The name to create.
        name: String,
    },
    /// Developers must set the new name where they set the old one.
    Developers {
        /// The old name.
        old: String,
        /// The new name.
        name: String,
    },
    /// Callers of a reusable workflow must pass the secret under the new name.
    Callers {
        /// The reusable workflow.
        workflow: String,
        /// The old name.
        old: String,
        /// The new name.
        name: String,
    },
}

/// One rename set.
#[derive(Debug, Clone, Serialize)]
pub struct RenameSet {
    /// What it renames.
    pub kind: SetKind,
    /// The CI store, for secret sets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store: Option<String>,
    /// The name as it is.
    pub from: String,
    /// The name it becomes.
    pub to: String,
    /// Renamed or held.
    pub status: Status,
    /// Where the name is set.
    pub providers: Vec<Place>,
    /// Where it is read.
    pub readers: Vec<Place>,
    /// Every other place (leaves, docs, secret references).
    pub others: Vec<Place>,
    /// What the rename needs outside the repository.
    pub outside: Vec<Outside>,
}

impl RenameSet {
    /// Every place of the set.
    pub fn len(&self) -> usize {
        self.providers.len() + self.readers.len() + self.others.len()
    }

    /// Whether the set has no place (never true for a planned set).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The distinct files of the set.
    pub fn files(&self) -> usize {
        self.providers
            .iter()
            .chain(&self.readers)
            .chain(&self.others)
            .map(|p| p.path.as_str())
            .collect::<BTreeSet<_>>()
            .len()
    }
}

/// The plan of one repository.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// The sets, in a stable order.
    pub sets: Vec<RenameSet>,
    /// Per scanned file (same order as the input), per ref: the decision.
    pub decisions: Vec<Vec<Decision>>,
}

impl Plan {
    /// What must exist outside the repository for the renames applied at
    /// `level`, without duplicates.
    pub fn outside(&self, level: Level) -> Vec<Outside> {
        let mut out: BTreeSet<Outside> = BTreeSet::new();
        for s in &self.sets {
            if matches!(s.status, Status::Renamed(l) if l <= level) {
                out.extend(s.outside.iter().cloned());
            }
        }
        out.into_iter().collect()
    }
}

/// A node of one name's graph: a ref, or the outside world feeding readers
/// nothing in the repository sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Node {
    Ref(usize, usize),
    Outside(usize),
}

struct UnionFind(Vec<usize>);

impl UnionFind {
    fn find(&mut self, x: usize) -> usize {
        let mut r = x;
        while self.0[r] != r {
            r = self.0[r];
        }
        let mut c = x;
        while self.0[c] != r {
            let n = self.0[c];
            self.0[c] = r;
            c = n;
        }
        r
    }
    fn union(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        if a != b {
            self.0[a.max(b)] = a.min(b);
        }
    }
}

/// The CI system of a file, for outside sources and secret commands.
pub fn ci_system(kind: FileKind, path: &str) -> &'static str {
    let lower = path.to_ascii_lowercase();
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    match kind {
        FileKind::GithubActions => "GitHub Actions",
        FileKind::GitlabCi => "GitLab CI",
        FileKind::CircleCi => "CircleCI",
        FileKind::BitbucketPipelines => "Bitbucket Pipelines",
        FileKind::Jenkinsfile => "Jenkins",
        FileKind::OtherCi if name.starts_with(".drone") => "Drone",
        FileKind::OtherCi if name.starts_with("buildspec") => "AWS CodeBuild",
        FileKind::OtherCi if name.starts_with("azure-pipelines") => "Azure Pipelines",
        FileKind::OtherCi if name.starts_with(".travis") => "Travis CI",
        _ => "CI",
    }
}

fn store_name(s: Store) -> (&'static str, &'static str) {
    match s {
        Store::GithubSecret => ("GitHub Actions", "secret"),
        Store::GithubVar => ("GitHub Actions", "variable"),
        Store::Jenkins => ("Jenkins", "credential"),
        Store::Drone => ("Drone", "secret"),
    }
}

fn place(files: &[ScannedRefs], (f, r): (usize, usize)) -> Place {
    Place {
        path: files[f].path.clone(),
        line: files[f].refs.refs[r].line,
    }
}

fn at(files: &[ScannedRefs], (f, r): (usize, usize)) -> &Ref {
    &files[f].refs.refs[r]
}

/// Whether a held provider still lets its readers be renamed: its scope
/// already sets the new name, or it holds a dead legacy key (checked per
/// reader: another provider must remain).
fn soft_hold(h: &Hold) -> bool {
    matches!(h, Hold::Duplicate | Hold::Credential { live: false })
}

/// A secret set: (store, the reusable workflow declaring it, name).
type SecretKey = (String, Option<usize>, String);

/// Plans the renames of every scanned file.
pub fn plan(files: &[ScannedRefs]) -> Plan {
    let mut decisions: Vec<Vec<Decision>> = files
        .iter()
        .map(|f| vec![Decision::Untouched(None); f.refs.refs.len()])
        .collect();
    let mut sets: Vec<RenameSet> = Vec::new();
    // Per key, refs by role.
    let mut by_key: BTreeMap<&str, Vec<(usize, usize)>> = BTreeMap::new();
    for (fi, f) in files.iter().enumerate() {
        for (ri, r) in f.refs.refs.iter().enumerate() {
            match &r.role {
                Role::Keep(why) => {
                    decisions[fi][ri] = Decision::Untouched(Some(why.clone()));
                }
                Role::Fallback => {
                    decisions[fi][ri] = Decision::Untouched(Some(
                        "reads the legacy name only as a fallback after LOCALSTACK_AUTH_TOKEN"
                            .into(),
                    ));
                }
                _ => by_key.entry(r.key.as_str()).or_default().push((fi, ri)),
            }
        }
    }
    // Secret sets: GitHub secrets per repository, or per reusable workflow
    // for the secrets it declares.
    let declared: BTreeSet<(usize, &str)> = files
        .iter()
        .enumerate()
        .flat_map(|(fi, f)| {
            f.refs
                .refs
                .iter()
                .filter(|r| r.role == Role::SecretDecl)
                .map(move |r| (fi, r.key.as_str()))
        })
        .collect();
    let mut secret_sets: BTreeMap<SecretKey, Vec<(usize, usize)>> = BTreeMap::new();
    let mut env_keys: BTreeMap<&str, Vec<(usize, usize)>> = BTreeMap::new();
    let mut symbol_keys: BTreeMap<&str, Vec<(usize, usize)>> = BTreeMap::new();
    let mut doc_keys: BTreeMap<&str, Vec<(usize, usize)>> = BTreeMap::new();
    for (key, nodes) in &by_key {
        for &n in nodes {
            let r = at(files, n);
            match &r.role {
                Role::Provider | Role::Leaf | Role::Reader => {
                    env_keys.entry(key).or_default().push(n)
                }
                Role::Symbol { .. } => symbol_keys.entry(key).or_default().push(n),
                Role::Doc { .. } => doc_keys.entry(key).or_default().push(n),
                Role::Secret(store) => {
                    let decl = (*store == Store::GithubSecret && declared.contains(&(n.0, key)))
                        .then_some(n.0);
                    secret_sets
                        .entry((format!("{store:?}"), decl, key.to_string()))
                        .or_default()
                        .push(n);
                }
                Role::SecretDecl => secret_sets
                    .entry(("GithubSecret".into(), Some(n.0), key.to_string()))
                    .or_default()
                    .push(n),
                Role::SecretPass(callee) => {
                    let target = resolve_callee(files, n.0, callee);
                    match target {
                        Some(t) if declared.contains(&(t, key)) => secret_sets
                            .entry(("GithubSecret".into(), Some(t), key.to_string()))
                            .or_default()
                            .push(n),
                        Some(_) => {
                            decisions[n.0][n.1] = Decision::Untouched(Some(
                                "passed to a workflow that does not declare it".into(),
                            ))
                        }
                        None => {
                            decisions[n.0][n.1] = Decision::Hold {
                                reason: format!(
                                    "passed to `{callee}`, a workflow outside this repository: it must accept the new name first"
                                ),
                                set: None,
                            }
                        }
                    }
                }
                Role::Keep(_) | Role::Fallback => {}
            }
        }
    }

    // Variables.
    let mut key_status: BTreeMap<&str, Vec<(Status, Place)>> = BTreeMap::new();
    for (key, nodes) in &env_keys {
        plan_variable(
            files,
            key,
            nodes,
            &mut decisions,
            &mut sets,
            &mut key_status,
        );
    }
    // Symbols: every occurrence of the name together, when it is defined here.
    for (key, nodes) in &symbol_keys {
        let to = at(files, nodes[0]).new_name.clone();
        let held = nodes
            .iter()
            .find_map(|&n| at(files, n).hold.as_ref().map(|h| (n, h.reason())));
        let defined = nodes
            .iter()
            .any(|&n| matches!(at(files, n).role, Role::Symbol { def: true }));
        let status = match (&to, held, defined) {
            (None, _, _) => Status::Held(format!("no rename is declared for `{key}`")),
            (_, Some((n, why)), _) => {
                let p = place(files, n);
                Status::Held(format!("{}:{}: {why}", p.path, p.line))
            }
            (_, None, false) => Status::Held(format!(
                "`{key}` is not defined in the repository (imported from elsewhere): rename it where it is defined"
            )),
            (Some(_), None, true) => Status::Renamed(Level::Default),
        };
        let set = push_set(
            &mut sets,
            files,
            SetKind::Symbol,
            None,
            key,
            to.as_deref().unwrap_or(key),
            status.clone(),
            nodes,
            Vec::new(),
        );
        for &n in nodes {
            decisions[n.0][n.1] = decide(&status, at(files, n), set);
            key_status
                .entry(key)
                .or_default()
                .push((status.clone(), place(files, n)));
        }
    }
    // Secrets: renamed per secret, only with --rename-secrets.
    let referenced: BTreeSet<(String, String)> = files
        .iter()
        .flat_map(|f| f.refs.refs.iter())
        .filter_map(|r| match &r.role {
            Role::Secret(s) => Some((format!("{s:?}"), r.name.clone())),
            _ => None,
        })
        .collect();
    let mut secret_status: BTreeMap<String, Status> = BTreeMap::new();
    for ((store, decl, key), nodes) in &secret_sets {
        let first = at(files, nodes[0]);
        let to = first.new_name.clone();
        let held = nodes
            .iter()
            .find_map(|&n| at(files, n).hold.as_ref().map(|h| (n, h.reason())));
        let status = match (&to, held) {
            (None, _) => Status::Held(format!("no rename is declared for `{key}`")),
            (_, Some((n, why))) => {
                let p = place(files, n);
                Status::Held(format!("{}:{}: {why}", p.path, p.line))
            }
            (Some(_), None) => Status::Renamed(Level::RenameSecrets),
        };
        let st = match nodes.iter().find_map(|&n| match at(files, n).role {
            Role::Secret(s) => Some(s),
            _ => None,
        }) {
            Some(s) => s,
            None => Store::GithubSecret,
        };
        let (system, what) = store_name(st);
        let new = to.clone().unwrap_or_else(|| key.clone());
        let mut outside = Vec::new();
        match decl {
            Some(wf) => outside.push(Outside::Callers {
                workflow: files[*wf].path.clone(),
                old: key.clone(),
                name: new.clone(),
            }),
            None => outside.push(Outside::Secret {
                system: system.into(),
                what: what.into(),
                name: new.clone(),
                referenced: referenced.contains(&(store.clone(), new.clone())),
            }),
        }
        let set = push_set(
            &mut sets,
            files,
            SetKind::Secret,
            Some(format!("{system} {what}")),
            key,
            &new,
            status.clone(),
            nodes,
            outside,
        );
        if decl.is_none() && *store == "GithubSecret" {
            secret_status.insert(key.clone(), status.clone());
        }
        for &n in nodes {
            decisions[n.0][n.1] = decide(&status, at(files, n), set);
        }
    }
    // Documentation follows what it documents.
    for (key, nodes) in &doc_keys {
        let env = key_status.get(key).map(Vec::as_slice).unwrap_or(&[]);
        let follow = |secret: bool| -> Status {
            if secret {
                if let Some(s) = secret_status.get(*key) {
                    return s.clone();
                }
            }
            if let Some((why, p)) = env.iter().find_map(|(s, p)| match s {
                Status::Held(w) => Some((w, p)),
                _ => None,
            }) {
                return Status::Held(format!(
                    "`{key}` keeps its name at {}:{} ({why})",
                    p.path, p.line
                ));
            }
            let level = env
                .iter()
                .filter_map(|(s, _)| match s {
                    Status::Renamed(l) => Some(*l),
                    _ => None,
                })
                .max()
                .unwrap_or(Level::Default);
            Status::Renamed(level)
        };
        let to = at(files, nodes[0]).new_name.clone();
        let mut by_status: BTreeMap<String, (Status, Vec<(usize, usize)>)> = BTreeMap::new();
        for &n in nodes {
            let secret = matches!(at(files, n).role, Role::Doc { secret: true });
            let st = match &to {
                None => Status::Held(format!("no rename is declared for `{key}`")),
                Some(_) => follow(secret),
            };
            by_status
                .entry(format!("{st:?}"))
                .or_insert_with(|| (st.clone(), Vec::new()))
                .1
                .push(n);
        }
        for (_, (status, group)) in by_status {
            let set = push_set(
                &mut sets,
                files,
                SetKind::Docs,
                None,
                key,
                to.as_deref().unwrap_or(key),
                status.clone(),
                &group,
                Vec::new(),
            );
            for &n in &group {
                decisions[n.0][n.1] = decide(&status, at(files, n), set);
            }
        }
    }
    follow_line_names(files, &mut decisions, &mut sets);
    Plan { sets, decisions }
}

/// A message or comment on the same line as a renamed name follows that
/// rename (a guard's `echo "LOCALSTACK_API_KEY is empty"` next to the test
/// it explains), whatever the repository's other documentation does.
fn follow_line_names(
    files: &[ScannedRefs],
    decisions: &mut [Vec<Decision>],
    sets: &mut [RenameSet],
) {
    for (fi, f) in files.iter().enumerate() {
        let refs = &f.refs.refs;
        let mut renamed: BTreeMap<(usize, &str), (Level, usize)> = BTreeMap::new();
        for (ri, r) in refs.iter().enumerate() {
            if matches!(r.role, Role::Doc { .. }) {
                continue;
            }
            if let Decision::Rename { level, set, .. } = &decisions[fi][ri] {
                let e = renamed
                    .entry((r.line, r.key.as_str()))
                    .or_insert((*level, *set));
                e.0 = e.0.max(*level);
            }
        }
        if renamed.is_empty() {
            continue;
        }
        for (ri, r) in refs.iter().enumerate() {
            if !matches!(r.role, Role::Doc { secret: false }) || r.hold.is_some() {
                continue;
            }
            let (Some(to), Some(&(level, set))) =
                (&r.new_name, renamed.get(&(r.line, r.key.as_str())))
            else {
                continue;
            };
            match &decisions[fi][ri] {
                Decision::Rename { level: l, .. } if *l <= level => {}
                old => {
                    // The place moves from its documentation set to the
                    // set of the name it follows, so the summary lists it
                    // where it is renamed.
                    let p = place(files, (fi, ri));
                    if let Decision::Hold {
                        set: Some(from), ..
                    }
                    | Decision::Rename { set: from, .. } = old
                    {
                        let still = refs.iter().enumerate().any(|(oi, o)| {
                            oi != ri && o.line == r.line && decisions[fi][oi].set() == Some(*from)
                        });
                        if !still {
                            sets[*from].others.retain(|q| *q != p);
                        }
                    }
                    let t = &sets[set];
                    if !t.others.contains(&p)
                        && !t.readers.contains(&p)
                        && !t.providers.contains(&p)
                    {
                        sets[set].others.push(p);
                        sets[set].others.sort();
                    }
                    decisions[fi][ri] = Decision::Rename {
                        to: to.clone(),
                        level,
                        set,
                    }
                }
            }
        }
    }
}

/// The decision for one ref of a set with `status`: its own hold wins.
fn decide(status: &Status, r: &Ref, set: usize) -> Decision {
    if let Some(h) = &r.hold {
        return Decision::Hold {
            reason: h.reason(),
            set: Some(set),
        };
    }
    match (status, &r.new_name) {
        (Status::Renamed(level), Some(to)) => Decision::Rename {
            to: to.clone(),
            level: *level,
            set,
        },
        (Status::Held(why), _) => Decision::Hold {
            reason: why.clone(),
            set: Some(set),
        },
        (_, None) => Decision::Hold {
            reason: format!("no rename is declared for `{}`", r.name),
            set: Some(set),
        },
    }
}

/// The file a `uses: ./.github/workflows/x.yml` names, among the scanned ones.
fn resolve_callee(files: &[ScannedRefs], from: usize, callee: &str) -> Option<usize> {
    let rel = callee.strip_prefix("./")?;
    let rel = rel.split('@').next().unwrap_or(rel);
    // Paths are reported relative to where keysweep runs: find the caller's
    // repository root by its `.github/` directory.
    let caller = &files[from].path;
    let root = caller.find(".github/").map_or("", |i| &caller[..i]);
    let want = format!("{root}{rel}");
    files.iter().position(|f| f.path == want)
}

#[allow(clippy::too_many_arguments)]
fn push_set(
    sets: &mut Vec<RenameSet>,
    files: &[ScannedRefs],
    kind: SetKind,
    store: Option<String>,
    from: &str,
    to: &str,
    status: Status,
    nodes: &[(usize, usize)],
    outside: Vec<Outside>,
) -> usize {
    let mut providers = Vec::new();
    let mut readers = Vec::new();
    let mut others = Vec::new();
    for &n in nodes {
        let p = place(files, n);
        match at(files, n).role {
            Role::Provider | Role::Symbol { def: true } | Role::SecretDecl => providers.push(p),
            Role::Reader | Role::Symbol { def: false } => readers.push(p),
            _ => others.push(p),
        }
    }
    for v in [&mut providers, &mut readers, &mut others] {
        v.sort();
        v.dedup();
    }
    sets.push(RenameSet {
        kind,
        store,
        from: from.to_string(),
        to: to.to_string(),
        status,
        providers,
        readers,
        others,
        outside,
    });
    sets.len() - 1
}

/// Plans one variable: links readers to their providers, decides each
/// connected set, and renames lone providers and leaves on their own.
fn plan_variable<'f>(
    files: &'f [ScannedRefs],
    key: &'f str,
    nodes: &[(usize, usize)],
    decisions: &mut [Vec<Decision>],
    sets: &mut Vec<RenameSet>,
    key_status: &mut BTreeMap<&'f str, Vec<(Status, Place)>>,
) {
    let providers: Vec<(usize, usize)> = nodes
        .iter()
        .copied()
        .filter(|&n| at(files, n).role == Role::Provider)
        .collect();
    let readers: Vec<(usize, usize)> = nodes
        .iter()
        .copied()
        .filter(|&n| at(files, n).role == Role::Reader)
        .collect();
    // Outside sources: per CI system, and developers' environments.
    let mut outsides: Vec<(String, bool)> = Vec::new();
    let mut index: BTreeMap<Node, usize> = BTreeMap::new();
    for &n in nodes {
        let i = index.len();
        index.insert(Node::Ref(n.0, n.1), i);
    }
    let mut feeders: BTreeMap<(usize, usize), Vec<(usize, usize)>> = BTreeMap::new();
    let mut outside_of: BTreeMap<(usize, usize), usize> = BTreeMap::new();
    for &r in &readers {
        let rr = at(files, r);
        let fed: Vec<(usize, usize)> = providers
            .iter()
            .copied()
            .filter(|&p| {
                let pr = at(files, p);
                if rr.value_of && p.0 == r.0 && pr.line == rr.line {
                    return false;
                }
                match (&rr.scope, &pr.scope) {
                    // A CI reader: its own scope's providers in its file.
                    (Some(rs), Some(ps)) => p.0 == r.0 && scope_feeds(ps, rs),
                    (Some(_), None) => false,
                    // Anywhere else: whatever reaches other files.
                    (None, _) => pr.reach,
                }
            })
            .collect();
        if fed.is_empty() {
            let src = if rr.scope.is_some() {
                (
                    ci_system(files[r.0].kind, &files[r.0].path).to_string(),
                    true,
                )
            } else {
                ("developers".to_string(), false)
            };
            let o = match outsides.iter().position(|x| *x == src) {
                Some(o) => o,
                None => {
                    outsides.push(src);
                    outsides.len() - 1
                }
            };
            let i = index.len();
            index.entry(Node::Outside(o)).or_insert(i);
            outside_of.insert(r, o);
        }
        feeders.insert(r, fed);
    }
    let mut uf = UnionFind((0..index.len()).collect());
    for (&r, fed) in &feeders {
        let ri = index[&Node::Ref(r.0, r.1)];
        for p in fed {
            uf.union(ri, index[&Node::Ref(p.0, p.1)]);
        }
        if let Some(o) = outside_of.get(&r) {
            uf.union(ri, index[&Node::Outside(*o)]);
        }
    }
    // Components holding a reader.
    let mut comps: BTreeMap<usize, Vec<(usize, usize)>> = BTreeMap::new();
    let mut comp_outside: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
    for &n in nodes {
        let c = uf.find(index[&Node::Ref(n.0, n.1)]);
        comps.entry(c).or_default().push(n);
    }
    for (o, _) in outsides.iter().enumerate() {
        if let Some(&i) = index.get(&Node::Outside(o)) {
            let c = uf.find(i);
            comp_outside.entry(c).or_default().insert(o);
        }
    }
    let mut standalone: BTreeMap<String, (Status, Vec<(usize, usize)>)> = BTreeMap::new();
    let to_of = |n: (usize, usize)| at(files, n).new_name.clone();
    for (c, members) in comps {
        let has_reader = members.iter().any(|&n| at(files, n).role == Role::Reader);
        if !has_reader {
            // A lone provider or leaf: LocalStack (or nothing here) reads it.
            for &n in &members {
                let r = at(files, n);
                let status = match (&r.hold, &r.new_name) {
                    (Some(h), _) => Status::Held(h.reason()),
                    (None, None) => Status::Held(format!("no rename is declared for `{key}`")),
                    (None, Some(_)) => Status::Renamed(Level::Default),
                };
                standalone
                    .entry(format!("{status:?}"))
                    .or_insert_with(|| (status, Vec::new()))
                    .1
                    .push(n);
            }
            continue;
        }
        let outside: Vec<usize> = comp_outside
            .get(&c)
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default();
        let level = if outside.is_empty() {
            Level::Default
        } else {
            Level::RenameSecrets
        };
        // What holds the set back, if anything.
        let mut blocker: Option<String> = None;
        for &n in &members {
            let r = at(files, n);
            let p = place(files, n);
            if to_of(n).is_none() {
                blocker = Some(format!("no rename is declared for `{}`", r.name));
                break;
            }
            match (&r.role, &r.hold) {
                (Role::Reader, Some(h)) => {
                    blocker = Some(format!(
                        "{}:{} reads it and cannot be renamed: {}",
                        p.path,
                        p.line,
                        h.reason()
                    ));
                    break;
                }
                (Role::Provider, Some(h)) if !soft_hold(h) => {
                    blocker = Some(format!(
                        "{}:{} sets it and cannot be renamed: {}",
                        p.path,
                        p.line,
                        h.reason()
                    ));
                    break;
                }
                _ => {}
            }
        }
        if blocker.is_none() {
            // Every reader must keep a provider that is renamed with it.
            for &r in members
                .iter()
                .filter(|&&n| at(files, n).role == Role::Reader)
            {
                let fed = &feeders[&r];
                if fed.is_empty() {
                    continue;
                }
                // A provider held because its scope already sets the new
                // name keeps feeding readers of that scope, but not readers
                // in other files: they would read a name it does not set.
                let kept = fed.iter().any(|&p| match &at(files, p).hold {
                    None => true,
                    Some(Hold::Duplicate) => p.0 == r.0,
                    Some(_) => false,
                });
                if !kept {
                    let p = place(files, fed[0]);
                    let why = at(files, fed[0])
                        .hold
                        .as_ref()
                        .map(Hold::reason)
                        .unwrap_or_default();
                    blocker = Some(format!(
                        "{}:{} is the only place that sets it for {}:{}, and it cannot be renamed: {why}",
                        p.path,
                        p.line,
                        files[r.0].path,
                        at(files, r).line
                    ));
                    break;
                }
            }
        }
        let status = match blocker {
            Some(why) => Status::Held(why),
            None => Status::Renamed(level),
        };
        let mut outs = Vec::new();
        if matches!(status, Status::Renamed(_)) {
            let new = to_of(members[0]).unwrap_or_else(|| key.to_string());
            for o in &outside {
                let (system, ci) = &outsides[*o];
                if *ci {
                    outs.push(Outside::CiVariable {
                        system: system.clone(),
                        name: new.clone(),
                    });
                } else {
                    outs.push(Outside::Developers {
                        old: key.to_string(),
                        name: new.clone(),
                    });
                }
            }
            if level == Level::Default
                && members
                    .iter()
                    .any(|&n| at(files, n).role == Role::Reader && at(files, n).scope.is_none())
            {
                // Developers who set the old name in their own shell.
                outs.push(Outside::Developers {
                    old: key.to_string(),
                    name: new,
                });
            }
        }
        let to = to_of(members[0]).unwrap_or_else(|| key.to_string());
        let set = push_set(
            sets,
            files,
            SetKind::Variable,
            None,
            key,
            &to,
            status.clone(),
            &members,
            outs,
        );
        for &n in &members {
            decisions[n.0][n.1] = decide(&status, at(files, n), set);
            key_status
                .entry(key)
                .or_default()
                .push((effective(at(files, n), &status), place(files, n)));
        }
    }
    for (_, (status, group)) in standalone {
        let to = to_of(group[0]).unwrap_or_else(|| key.to_string());
        let set = push_set(
            sets,
            files,
            SetKind::Standalone,
            None,
            key,
            &to,
            status.clone(),
            &group,
            Vec::new(),
        );
        for &n in &group {
            decisions[n.0][n.1] = decide(&status, at(files, n), set);
            // What one container or command reads says nothing about what
            // the documentation should name.
            if at(files, n).role == Role::Provider {
                key_status
                    .entry(key)
                    .or_default()
                    .push((effective(at(files, n), &status), place(files, n)));
            }
        }
    }
}

/// A member's status as documentation sees it: a member held only because
/// its scope already sets the new name or its dead key must be rotated
/// counts as renamed with its set.
fn effective(r: &Ref, set: &Status) -> Status {
    match (&r.hold, set) {
        (Some(h), Status::Renamed(l)) if soft_hold(h) => Status::Renamed(*l),
        (Some(h), Status::Renamed(_)) => Status::Held(h.reason()),
        _ => set.clone(),
    }
}
