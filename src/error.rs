//! User-facing errors. Problems with rule files, config or arguments are fatal
//! and precise (a span into the offending file where there is one); problems
//! with individual scanned files are not errors at all but counted skips
//! ([`crate::finding::SkipReason`]).

use miette::{Diagnostic, NamedSource, SourceSpan};
use thiserror::Error;

/// One problem in a rule file, pointing at the offending text.
#[derive(Debug, Error, Diagnostic, Clone)]
#[error("{message}")]
#[diagnostic(code(keysweep::rule))]
pub struct RuleProblem {
    /// What is wrong.
    pub message: String,
    /// The rule file.
    #[source_code]
    pub src: NamedSource<String>,
    /// Where in it.
    #[label("{label}")]
    pub span: Option<SourceSpan>,
    /// Label text at the span.
    pub label: String,
    /// How to fix it.
    #[help]
    pub help: Option<String>,
}

/// Every problem found while loading or checking rules.
#[derive(Debug, Error, Diagnostic)]
#[error("{} problem(s) in rule files", problems.len())]
#[diagnostic(
    code(keysweep::rules),
    help("fix the rule files listed below; `keysweep rules check` re-runs these checks")
)]
pub struct RuleErrors {
    /// The problems, in file order.
    #[related]
    pub problems: Vec<RuleProblem>,
}

/// One problem in keysweep.toml or a baseline file, pointing at the text.
#[derive(Debug, Error, Diagnostic, Clone)]
#[error("{message}")]
#[diagnostic(code(keysweep::config))]
pub struct ConfigProblem {
    /// What is wrong.
    pub message: String,
    /// The file.
    #[source_code]
    pub src: NamedSource<String>,
    /// Where in it.
    #[label("{label}")]
    pub span: Option<SourceSpan>,
    /// Label text at the span.
    pub label: String,
    /// How to fix it.
    #[help]
    pub help: Option<String>,
}

/// Every problem found in a config file.
#[derive(Debug, Error, Diagnostic)]
#[error("{} problem(s) in {file}", problems.len())]
#[diagnostic(
    code(keysweep::config),
    help("see docs/workflow.md for every keysweep.toml field; `keysweep init` writes a commented example")
)]
pub struct ConfigErrors {
    /// The config file name.
    pub file: String,
    /// The problems, in file order.
    #[related]
    pub problems: Vec<ConfigProblem>,
}

/// Top-level error type of the library.
#[derive(Debug, Error, Diagnostic)]
pub enum Error {
    /// Rule files failed to load or check.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Rules(#[from] RuleErrors),

    /// A path given on the command line cannot be scanned.
    #[error("cannot read {path}: {reason}")]
    #[diagnostic(code(keysweep::path), help("check the path exists and is readable"))]
    Root {
        /// The path as given.
        path: String,
        /// The OS error.
        reason: String,
    },

    /// A rules path given with `--rules` cannot be read.
    #[error("cannot read rules from {path}: {reason}")]
    #[diagnostic(code(keysweep::rules_path))]
    RulesPath {
        /// The path as given.
        path: String,
        /// The OS error.
        reason: String,
    },

    /// Writing the report failed.
    #[error("cannot write {target}: {reason}")]
    #[diagnostic(code(keysweep::output))]
    Output {
        /// `stdout` or the output file.
        target: String,
        /// The OS error.
        reason: String,
    },

    /// keysweep.toml is invalid.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Config(#[from] ConfigErrors),

    /// A baseline file is invalid.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Baseline(Box<ConfigProblem>),

    /// A file keysweep needs (config, baseline, stdin) cannot be read.
    #[error("cannot read {what} {path}: {reason}")]
    #[diagnostic(code(keysweep::read))]
    Read {
        /// What the file is for.
        what: &'static str,
        /// The path as given.
        path: String,
        /// The OS error.
        reason: String,
    },

    /// Reading the git index for `--staged` failed.
    #[error("cannot read the git index: {0}")]
    #[diagnostic(
        code(keysweep::git),
        help("--staged must run inside a git work tree with `git` on PATH")
    )]
    Git(String),

    /// A git repository or revision given for `--history` cannot be used.
    #[error("cannot scan the git history of {path}: {reason}")]
    #[diagnostic(
        code(keysweep::history),
        help("--history needs a git repository (a work tree or a bare repository); --since and --branch take revisions such as main, v1.2 or a commit id")
    )]
    History {
        /// The repository path as given.
        path: String,
        /// What went wrong.
        reason: String,
    },

    /// Invalid combination of options.
    #[error("{0}")]
    #[diagnostic(code(keysweep::usage))]
    Usage(String),
}
