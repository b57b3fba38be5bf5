//! keysweep.toml: team settings that tune a scan without forking keysweep.
//!
//! The file is found by walking up from the scanned paths (or given with
//! `--config`). It is
//! parsed into a serde mirror that denies unknown keys, then checked into a
//! [`Config`]; every problem (unknown key, bad severity, bad regex, bad glob,
//! unknown rule id, missing rules file) is collected and reported as a miette
//! diagnostic pointing into the file. Paths in the file are relative to the
//! file's directory. Command-line flags win over the file.
//!
//! Owns: discovery, parsing, checking and applying the settings to a
//! [`RuleSet`]. Does not scan, walk or report.

use crate::error::{shared_source, ConfigErrors, Error, ProblemKind, SharedSource, SourceProblem};
use crate::finding::{FailOn, Severity};
use crate::report::Format;
use crate::rules::RuleSet;
use crate::suppress::allowlist::{AllowValue, Allowlist};
use crate::util::paths::{display_path, normalised_absolute};
use clap::ValueEnum;
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// Name of the config file looked for at the scan root.
pub const FILE_NAME: &str = "keysweep.toml";

/// Serde mirror of keysweep.toml. Field meanings are documented in
/// docs/workflow.md and in [`STARTER`].
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigSpec {
    #[serde(default)]
    rules: Vec<Spanned<String>>,
    #[serde(default)]
    disabled_rules: Vec<Spanned<String>>,
    #[serde(default)]
    severity: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
    #[serde(default)]
    allowlist: AllowlistSpec,
    #[serde(default)]
    fail_on: Option<Spanned<String>>,
    #[serde(default)]
    format: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AllowlistSpec {
    #[serde(default)]
    values: Vec<Spanned<String>>,
    #[serde(default)]
    rules: BTreeMap<Spanned<String>, Vec<Spanned<String>>>,
}

/// Checked settings from keysweep.toml (or the defaults when there is none).
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The file the settings came from.
    pub file: Option<PathBuf>,
    /// Absolute directory relative paths in the file start from (the scan
    /// root when there is no file).
    pub dir: PathBuf,
    /// Extra rule files or directories.
    pub rule_paths: Vec<PathBuf>,
    /// Disabled rule ids, with their span in the file.
    disabled: Vec<(String, Range<usize>)>,
    /// Severity overrides: rule id → severity, with the id's span.
    severity: Vec<(String, Severity, Range<usize>)>,
    /// Rule ids of per-rule allowlists, with their span.
    allow_rules: Vec<(String, Range<usize>)>,
    /// Path excludes (gitignore syntax, rooted at `dir`).
    pub exclude: Option<Gitignore>,
    /// Allowlisted values.
    pub allowlist: Allowlist,
    /// Default `--fail-on`.
    pub fail_on: Option<FailOn>,
    /// Default `--format`.
    pub format: Option<Format>,
    /// Canonical directory the rule paths of the file must stay inside (the
    /// scanned tree, when the file is part of it): a repository cannot make
    /// keysweep read, or quote in a diagnostic, a file outside itself.
    pub confine: Option<PathBuf>,
    text: String,
}

/// Which keysweep.toml applies to a run, and why (for `--verbose`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovered {
    /// The file, if any applies.
    pub file: Option<PathBuf>,
    /// How it was chosen, in words.
    pub why: String,
}

/// The config file to use: `explicit` (which must exist), none with
/// `no_config`, else the nearest keysweep.toml found by walking up from each
/// scanned path (from the path itself for a directory, from its parent for a
/// file) to the top of its git work tree, or the file-system root outside
/// one. When the scanned paths have different nearest files, the one nearest
/// to their common ancestor directory applies: one settings file per run.
/// `scanned` empty means `root`.
pub fn discover(
    root: &Path,
    scanned: &[PathBuf],
    explicit: Option<&Path>,
    no_config: bool,
) -> Result<Discovered, Error> {
    if let Some(p) = explicit {
        return match std::fs::metadata(p) {
            Ok(m) if m.is_file() => Ok(Discovered {
                file: Some(p.to_path_buf()),
                why: format!("{} (--config)", p.display()),
            }),
            Ok(m) => Err(Error::Read {
                what: "config",
                path: p.display().to_string(),
                source: std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!("{}, not a regular file", crate::util::fs::kind_name(&m)),
                ),
            }),
            Err(_) => Err(Error::Missing {
                what: "config",
                path: p.display().to_string(),
            }),
        };
    }
    if no_config {
        return Ok(Discovered {
            file: None,
            why: "none (--no-config)".into(),
        });
    }
    let starts: Vec<PathBuf> = if scanned.is_empty() {
        vec![normalised_absolute(root)]
    } else {
        scanned.iter().map(|p| start_dir(p)).collect()
    };
    let nearest: Vec<Option<PathBuf>> = starts.iter().map(|d| nearest_config(d)).collect();
    let first = nearest.first().cloned().flatten();
    if nearest.iter().all(|n| *n == first) {
        let why = match &first {
            Some(f) => format!("{} (nearest to the scanned paths)", relative(f)),
            None => "none found between the scanned paths and the repository root".into(),
        };
        return Ok(Discovered { file: first, why });
    }
    let common = common_ancestor(&starts);
    let file = nearest_config(&common);
    let why = format!(
        "{} (the scanned paths have different nearest keysweep.toml files; the one nearest to their common directory {} applies to all)",
        file.as_deref().map_or_else(|| "none".to_string(), relative),
        relative(&common)
    );
    Ok(Discovered { file, why })
}

/// `p` relative to the working directory when it is below it.
fn relative(p: &Path) -> String {
    let cwd = normalised_absolute(Path::new("."));
    match p.strip_prefix(&cwd) {
        Ok(r) => display_path(r),
        Err(_) => display_path(p),
    }
}

/// The directory the walk up starts from: the path for a directory, its
/// parent for anything else.
fn start_dir(p: &Path) -> PathBuf {
    let abs = normalised_absolute(p);
    if abs.is_dir() {
        abs
    } else {
        abs.parent().map_or(abs.clone(), Path::to_path_buf)
    }
}

/// The nearest keysweep.toml at or above `dir`, up to the top of the git work
/// tree `dir` is in (a directory holding `.git`) or the file-system root.
pub fn nearest_config(dir: &Path) -> Option<PathBuf> {
    for d in dir.ancestors() {
        let candidate = d.join(FILE_NAME);
        if candidate.is_file() {
            return Some(candidate);
        }
        if d.join(".git").exists() {
            return None;
        }
    }
    None
}

/// The directory a discovered keysweep.toml is confined to: the top of the
/// git work tree it sits in, or its own directory outside one. The file and
/// the rules paths it names must resolve inside it, so a scanned tree cannot
/// make keysweep read (and quote in an error) files elsewhere.
pub fn confinement_root(file: &Path) -> PathBuf {
    let abs = normalised_absolute(file);
    let dir = abs
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    dir.ancestors()
        .find(|d| d.join(".git").exists())
        .unwrap_or(&dir)
        .to_path_buf()
}

fn common_ancestor(dirs: &[PathBuf]) -> PathBuf {
    let mut common = dirs.first().cloned().unwrap_or_default();
    for d in &dirs[1.min(dirs.len())..] {
        while !d.starts_with(&common) {
            if !common.pop() {
                break;
            }
        }
    }
    common
}

/// The scan root: the one directory given, otherwise the current directory.
/// Relative paths of a run without a settings file start here.
pub fn scan_root(paths: &[PathBuf]) -> PathBuf {
    match paths {
        [one] if one.is_dir() => one.clone(),
        _ => PathBuf::from("."),
    }
}

struct Ctx {
    src: SharedSource,
    problems: Vec<SourceProblem>,
}

impl Ctx {
    fn problem(
        &mut self,
        span: Option<Range<usize>>,
        message: impl Into<String>,
        label: &str,
        help: Option<String>,
    ) {
        self.problems.push(SourceProblem::new(
            ProblemKind::Config,
            &self.src,
            span,
            message.into(),
            label,
            help,
        ));
    }
}

fn choices<T: ValueEnum>() -> String {
    T::value_variants()
        .iter()
        .filter_map(|v| v.to_possible_value())
        .map(|p| format!("`{}`", p.get_name()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn parse_enum<T: ValueEnum>(ctx: &mut Ctx, v: &Spanned<String>, key: &str) -> Option<T> {
    match T::from_str(v.get_ref(), false) {
        Ok(x) => Some(x),
        Err(_) => {
            ctx.problem(
                Some(v.span()),
                format!("invalid {key} `{}`", v.get_ref()),
                "not a known value",
                Some(format!("use one of {}", choices::<T>())),
            );
            None
        }
    }
}

fn compile_regex(ctx: &mut Ctx, v: &Spanned<String>) -> Option<regex::bytes::Regex> {
    match regex::bytes::RegexBuilder::new(v.get_ref())
        .size_limit(1 << 20)
        .build()
    {
        Ok(r) => Some(r),
        Err(e) => {
            ctx.problem(
                Some(v.span()),
                format!("invalid allowlist regex: {e}"),
                "this pattern",
                Some("patterns use Rust regex syntax (https://docs.rs/regex)".into()),
            );
            None
        }
    }
}

impl Config {
    /// Settings when there is no config file: nothing but the scan root.
    pub fn none(root: &Path) -> Config {
        Config {
            dir: normalised_absolute(root),
            ..Default::default()
        }
    }

    /// Reads and checks a config file for a scan of the tree at `root`.
    ///
    /// A file `discovered` at the root belongs to the tree: it must resolve
    /// inside it (a committed symlink leading out is refused). A file given
    /// with `--config` is the user's choice, but a symlink must stay in its
    /// own directory. Either way only a regular text file of bounded size is
    /// read, and when the file lies inside the tree every rules path it names
    /// must too.
    pub fn load(file: &Path, root: &Path, discovered: bool) -> Result<Config, Error> {
        let read_err = |source| Error::Read {
            what: "config",
            path: file.display().to_string(),
            source,
        };
        let tree = std::fs::canonicalize(root).ok();
        let real = match (&tree, discovered) {
            (Some(t), true) => crate::util::fs::confined(file, t).map_err(read_err)?,
            (None, true) => std::fs::canonicalize(file).map_err(read_err)?,
            (_, false) => {
                crate::util::fs::link_stays_beside(file).map_err(read_err)?;
                std::fs::canonicalize(file).map_err(read_err)?
            }
        };
        let text = crate::util::fs::read_settings_text(&real).map_err(read_err)?;
        let confine = tree.filter(|t| real.starts_with(t));
        Self::parse_confined(file, &text, confine)
    }

    /// Checks config text read from `file` (paths resolve against its
    /// directory), without confining its rules paths.
    pub fn parse(file: &Path, text: &str) -> Result<Config, Error> {
        Self::parse_confined(file, text, None)
    }

    /// Checks config text read from `file`; with `confine`, every rules path
    /// must resolve inside that canonical directory.
    pub fn parse_confined(
        file: &Path,
        text: &str,
        confine: Option<PathBuf>,
    ) -> Result<Config, Error> {
        let name = display_path(file);
        let abs = normalised_absolute(file);
        let dir = abs.parent().map_or_else(PathBuf::new, Path::to_path_buf);
        let mut ctx = Ctx {
            src: shared_source(&name, text, Some("toml")),
            problems: Vec::new(),
        };
        let spec: ConfigSpec = match toml::from_str(text) {
            Ok(s) => s,
            Err(e) => {
                ctx.problem(
                    e.span(),
                    format!("invalid config: {}", e.message()),
                    "here",
                    None,
                );
                return Err(ConfigErrors {
                    file: name.clone(),
                    problems: ctx.problems,
                }
                .into());
            }
        };
        let mut cfg = Config {
            file: Some(file.to_path_buf()),
            dir: dir.clone(),
            text: text.to_string(),
            confine: confine.clone(),
            ..Default::default()
        };
        for r in &spec.rules {
            let p = dir.join(r.get_ref());
            match check_rules_path(&p, confine.as_deref()) {
                Ok(()) => cfg.rule_paths.push(p),
                Err(RulesPathProblem::Missing) => ctx.problem(
                    Some(r.span()),
                    format!("rules path `{}` does not exist", r.get_ref()),
                    "not found",
                    Some(format!("paths are relative to {}", dir.display())),
                ),
                Err(RulesPathProblem::Refused(why)) => ctx.problem(
                    Some(r.span()),
                    format!("rules path `{}` cannot be used: {why}", r.get_ref()),
                    "refused",
                    Some(
                        "rules named by a repository's keysweep.toml must be regular files or directories inside it; pass other rule files with --rules".into(),
                    ),
                ),
            }
        }
        cfg.disabled = spec
            .disabled_rules
            .iter()
            .map(|d| (d.get_ref().clone(), d.span()))
            .collect();
        for (id, sev) in &spec.severity {
            match sev.get_ref().parse::<Severity>() {
                Ok(s) => cfg.severity.push((id.get_ref().clone(), s, id.span())),
                Err(()) => ctx.problem(
                    Some(sev.span()),
                    format!("invalid severity `{}`", sev.get_ref()),
                    "not a severity",
                    Some("use critical, high, medium, low or info".into()),
                ),
            }
        }
        if !spec.exclude.is_empty() {
            let mut b = GitignoreBuilder::new(&dir);
            for pat in &spec.exclude {
                if let Err(e) = b.add_line(None, pat.get_ref()) {
                    ctx.problem(
                        Some(pat.span()),
                        format!("invalid exclude pattern: {e}"),
                        "this pattern",
                        Some("patterns use .gitignore syntax".into()),
                    );
                }
            }
            match b.build() {
                Ok(gi) => cfg.exclude = Some(gi),
                Err(e) => ctx.problem(None, format!("invalid exclude patterns: {e}"), "", None),
            }
        }
        for v in &spec.allowlist.values {
            if let Some(regex) = compile_regex(&mut ctx, v) {
                cfg.allowlist.values.push(AllowValue {
                    rule: None,
                    regex,
                    pattern: v.get_ref().clone(),
                    line: line_of(text, v.span().start),
                });
            }
        }
        for (id, pats) in &spec.allowlist.rules {
            cfg.allow_rules.push((id.get_ref().clone(), id.span()));
            for v in pats {
                if let Some(regex) = compile_regex(&mut ctx, v) {
                    cfg.allowlist.values.push(AllowValue {
                        rule: Some(id.get_ref().clone()),
                        regex,
                        pattern: v.get_ref().clone(),
                        line: line_of(text, v.span().start),
                    });
                }
            }
        }
        if let Some(v) = &spec.fail_on {
            cfg.fail_on = parse_enum::<FailOn>(&mut ctx, v, "fail_on");
        }
        if let Some(v) = &spec.format {
            cfg.format = parse_enum::<Format>(&mut ctx, v, "format");
        }
        if ctx.problems.is_empty() {
            Ok(cfg)
        } else {
            let mut problems = ctx.problems;
            // Report in file order, whatever order the checks ran in.
            problems.sort_by_key(|p| p.span.map_or(usize::MAX, |s| s.offset()));
            Err(ConfigErrors {
                file: name,
                problems,
            }
            .into())
        }
    }

    /// Disables rules and overrides severities. Every rule id the file names
    /// must exist in `rules`: a typo is an error pointing at it, never a
    /// setting that silently does nothing.
    pub fn apply_to_rules(&self, rules: &mut RuleSet) -> Result<(), Error> {
        let name = self
            .file
            .as_ref()
            .map_or_else(String::new, |f| display_path(f));
        let mut ctx = Ctx {
            src: shared_source(&name, &self.text, Some("toml")),
            problems: Vec::new(),
        };
        let mut check = |id: &str, span: &Range<usize>, what: &str| {
            if rules.get(id).is_none() {
                ctx.problem(
                    Some(span.clone()),
                    format!("{what} names unknown rule `{id}`"),
                    "no rule has this id",
                    Some("`keysweep rules list` prints every rule id".into()),
                );
            }
        };
        for (id, span) in &self.disabled {
            check(id, span, "disabled_rules");
        }
        for (id, _, span) in &self.severity {
            check(id, span, "[severity]");
        }
        for (id, span) in &self.allow_rules {
            check(id, span, "[allowlist.rules]");
        }
        if !ctx.problems.is_empty() {
            return Err(ConfigErrors {
                file: name,
                problems: ctx.problems,
            }
            .into());
        }
        for (id, sev, _) in &self.severity {
            rules.set_severity(id, *sev);
        }
        if !self.disabled.is_empty() {
            rules.retain(|r| !self.disabled.iter().any(|(d, _)| *d == r.meta.id));
        }
        Ok(())
    }

    /// The repository-level `.keysweepignore` next to the config (or at the
    /// scan root): applied to files named on the command line, which the
    /// walker's per-directory ignore files never see. Like every ignore file
    /// it is only read when it is a regular file (not a symlink).
    pub fn root_ignore(&self) -> Option<Gitignore> {
        let p = self.dir.join(".keysweepignore");
        if !crate::source::tree::is_plain_ignore_file(&p) {
            return None;
        }
        let mut b = GitignoreBuilder::new(&self.dir);
        // A malformed line is skipped, as the walker does for ignore files.
        let _ = b.add(p);
        b.build().ok().filter(|gi| !gi.is_empty())
    }
}

/// 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    1 + memchr::memchr_iter(b'\n', &text.as_bytes()[..offset.min(text.len())]).count()
}

enum RulesPathProblem {
    Missing,
    Refused(String),
}

/// A rules path must exist and be a regular file or a directory; with
/// `confine`, it must resolve inside that directory.
fn check_rules_path(p: &Path, confine: Option<&Path>) -> Result<(), RulesPathProblem> {
    if std::fs::symlink_metadata(p).is_err() {
        return Err(RulesPathProblem::Missing);
    }
    if let Some(root) = confine {
        crate::util::fs::confined(p, root).map_err(|e| RulesPathProblem::Refused(e.to_string()))?;
    }
    match std::fs::metadata(p) {
        Ok(m) if m.is_file() || m.is_dir() => Ok(()),
        Ok(m) => Err(RulesPathProblem::Refused(format!(
            "{}, not a regular file or directory",
            crate::util::fs::kind_name(&m)
        ))),
        Err(e) => Err(RulesPathProblem::Refused(e.to_string())),
    }
}

/// The commented starter config written by `keysweep init`.
pub const STARTER: &str = r#"# keysweep.toml: settings for `keysweep scan` in this repository.
# Paths are relative to this file. Command-line flags win over this file.
# Every key is optional; unknown keys are errors. Reference: docs/workflow.md

# Extra rule files, or directories of *.toml rule files, added to the
# built-in pack (same format as the built-in rules/*.toml).
# rules = ["ci/keysweep-rules.toml"]

# Rule ids to turn off (`keysweep rules list` prints every id).
# disabled_rules = ["localstack.image.pinned-community"]

# Paths never scanned, in .gitignore syntax (also applied to files named on
# the command line, e.g. by pre-commit). A .keysweepignore file works too.
# exclude = [
#     "vendor/",
#     "**/*.min.js",
#     "ci/keysweep-rules.toml",   # rule examples match their own rules
# ]

# Default for --fail-on: critical, high, medium, low or never.
# fail_on = "low"

# Default for --format: human, json or sarif.
# format = "human"

# Severity overrides per rule id: critical, high, medium, low or info.
[severity]
# "localstack.cli.login" = "info"

# Accepted values (Rust regex syntax), matched against a finding's secret or,
# for rules without one, its matched text. Matching findings are reported as
# suppressed, never silently dropped.
[allowlist]
# values = ['^ls-TEST', 'EXAMPLE']

# Per-rule allowlists: rule id = [patterns].
[allowlist.rules]
# "localstack.api-key.leaked" = ['^0123456789$']
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, Error> {
        Config::parse(Path::new("keysweep.toml"), text)
    }

    fn problems(text: &str) -> Vec<SourceProblem> {
        match parse(text) {
            Err(Error::Config(e)) => e.problems,
            other => panic!("expected config errors, got {other:?}"),
        }
    }

    #[test]
    fn starter_config_is_valid() {
        let c = parse(STARTER).expect("starter parses");
        assert!(c.allowlist.is_empty() && c.fail_on.is_none());
    }

    #[test]
    fn unknown_keys_point_at_the_key() {
        let text = "fail_on = \"high\"\nexlude = [\"x\"]\n";
        let p = problems(text);
        assert_eq!(p.len(), 1);
        let span = p[0].span.expect("span");
        assert_eq!(&text[span.offset()..span.offset() + 6], "exlude");
    }

    #[test]
    fn every_bad_value_is_reported_with_its_span() {
        let text = "fail_on = \"sometimes\"\nformat = \"xml\"\n[severity]\nr = \"urgent\"\n[allowlist]\nvalues = [\"(\"]\n";
        let p = problems(text);
        assert_eq!(p.len(), 4, "{p:?}");
        for (problem, needle) in p
            .iter()
            .zip(["\"sometimes\"", "\"xml\"", "\"urgent\"", "\"(\""])
        {
            let span = problem.span.expect("span");
            assert_eq!(&text[span.offset()..span.offset() + span.len()], needle);
        }
    }

    #[test]
    fn values_are_parsed() {
        let c = parse(
            "fail_on = \"high\"\nformat = \"sarif\"\nexclude = [\"vendor/\"]\n[allowlist]\nvalues = [\"^EXAMPLE\"]\n[allowlist.rules]\nr = [\"x\"]\n",
        )
        .unwrap();
        assert_eq!(c.fail_on, Some(FailOn::High));
        assert_eq!(c.format, Some(Format::Sarif));
        let values = &c.allowlist.values;
        assert_eq!(values.len(), 2);
        assert!(values[0].matches("any", b"EXAMPLE123"));
        assert!(values[1].matches("r", b"x"));
        assert!(!values[1].matches("other", b"x"));
        let gi = c.exclude.expect("excludes");
        assert!(gi.matched(c.dir.join("vendor"), true).is_ignore());
    }
}
