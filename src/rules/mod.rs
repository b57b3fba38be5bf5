//! Rules: loading rule files (embedded pack plus user files), checking them and
//! compiling them into a [`RuleSet`], the only rule type the scanner sees.
//!
//! A rule is data: an id, what it means, where it applies (file kinds, path
//! globs), literal keywords that gate its regex, the regex with an optional
//! named secret group, filters on that secret (checksum, entropy, allowlists),
//! whole-file context conditions, the migration advice, an optional mechanical
//! rewrite (`[rule.fix]`, applied by `keysweep fix`), and examples that must
//! and must not match. Nothing about detection lives in Rust code a rule file
//! cannot see.
//!
//! Layout: `spec` mirrors the TOML, `compile` checks it into the `model`
//! types, `set` holds the compiled rules and the keyword gate.

mod checksum;
mod compile;
pub mod embedded;
mod gate;
mod model;
mod packed;
mod pattern;
mod set;
pub mod spec;

pub use checksum::Checksum;
pub use model::{
    Context, Entity, Example, FixAction, FixMeta, FixRule, Matcher, Migration, NamePattern, Origin,
    Outcome, OutcomeKind, Pattern, Place, Places, Rule, RuleMeta, RuleSource, Scope, FIX_OPT_INS,
};
pub use set::RuleSet;

use crate::error::{shared_source, Error, ProblemKind, RuleErrors, SourceProblem};
use std::path::Path;

impl RuleSource {
    /// The embedded default pack.
    pub fn defaults() -> Vec<RuleSource> {
        Self::embedded(embedded::DEFAULT_RULES)
    }

    /// The embedded default pack without its examples: the same rules at
    /// the same offsets, for runs that never check examples (a third less
    /// to parse; see build.rs).
    pub fn defaults_for_scanning() -> Vec<RuleSource> {
        Self::embedded(embedded::DEFAULT_RULES_FOR_SCANNING)
    }

    fn embedded(files: &[(&str, &str)]) -> Vec<RuleSource> {
        files
            .iter()
            .map(|(name, text)| RuleSource {
                name: format!("rules/{name}"),
                text: (*text).to_string(),
            })
            .collect()
    }

    /// Reads a rule file, or every `*.toml` file of a directory (sorted).
    /// Only regular files of bounded size are read (a FIFO or device named
    /// as a rules path is refused, never opened for a blocking read).
    pub fn read_path(path: &Path) -> Result<Vec<RuleSource>, Error> {
        Self::read_path_confined(path, None)
    }

    /// [`RuleSource::read_path`] for a path named by a scanned tree: with
    /// `confine`, the path and every file read from a directory must resolve
    /// inside that canonical directory (a symlink leading out is refused).
    pub fn read_path_confined(
        path: &Path,
        confine: Option<&Path>,
    ) -> Result<Vec<RuleSource>, Error> {
        let err = |p: &Path| {
            let p = p.display().to_string();
            move |source: std::io::Error| Error::RulesPath { path: p, source }
        };
        let check = |p: &Path| -> Result<(), Error> {
            if let Some(root) = confine {
                crate::util::fs::confined(p, root).map_err(err(p))?;
            }
            Ok(())
        };
        check(path)?;
        let meta = std::fs::metadata(path).map_err(err(path))?;
        let mut files = Vec::new();
        if meta.is_dir() {
            for entry in std::fs::read_dir(path).map_err(err(path))? {
                let p = entry.map_err(err(path))?.path();
                if p.extension().is_some_and(|e| e == "toml") && p.is_file() {
                    files.push(p);
                }
            }
            files.sort();
            if files.is_empty() {
                return Err(Error::NoRuleFiles {
                    path: path.display().to_string(),
                });
            }
        } else {
            files.push(path.to_path_buf());
        }
        files
            .into_iter()
            .map(|p| {
                check(&p)?;
                let text = crate::util::fs::read_settings_text(&p).map_err(err(&p))?;
                Ok(RuleSource {
                    name: p.display().to_string(),
                    text,
                })
            })
            .collect()
    }
}

impl RuleSet {
    /// Loads and compiles rules from the given sources, collecting every problem.
    pub fn load(sources: Vec<RuleSource>) -> Result<RuleSet, RuleErrors> {
        let (rules, entities) = compile::compile_all(&sources)?;
        RuleSet::from_rules(rules, entities, sources.clone()).map_err(|e| {
            let src = sources.first().map_or_else(
                || shared_source("rules", "", None),
                |s| shared_source(&s.name, &s.text, Some("toml")),
            );
            RuleErrors {
                problems: vec![SourceProblem::new(
                    ProblemKind::Rule,
                    &src,
                    None,
                    format!("the rules' keywords do not fit in one automaton: {e}"),
                    "",
                    Some("use fewer or shorter keywords".into()),
                )],
            }
        })
    }

    /// Loads the default pack (unless `no_defaults`) plus the given paths.
    pub fn load_with(no_defaults: bool, extra: &[std::path::PathBuf]) -> Result<RuleSet, Error> {
        Self::load_confined(no_defaults, true, extra, &[], None)
    }

    /// Loads the default pack (unless `no_defaults`; with its examples when
    /// `examples`), the user's paths, and paths named by a scanned tree,
    /// which must stay inside `confine`. Examples of other files are always
    /// loaded.
    pub fn load_confined(
        no_defaults: bool,
        examples: bool,
        user: &[std::path::PathBuf],
        tree: &[std::path::PathBuf],
        confine: Option<&Path>,
    ) -> Result<RuleSet, Error> {
        let mut sources = match (no_defaults, examples) {
            (true, _) => Vec::new(),
            (false, true) => RuleSource::defaults(),
            (false, false) => RuleSource::defaults_for_scanning(),
        };
        for p in user {
            sources.extend(RuleSource::read_path(p)?);
        }
        for p in tree {
            sources.extend(RuleSource::read_path_confined(p, confine)?);
        }
        Ok(RuleSet::load(sources)?)
    }
}

/// Builds a diagnostic pointing at an example (or a rule) in its rule file.
pub fn problem_for_example(
    source: &RuleSource,
    span: std::ops::Range<usize>,
    message: String,
    help: Option<String>,
) -> SourceProblem {
    compile::problem_at(source, span, message, "this example", help)
}
