//! User-facing errors. Problems with rule files, config, baselines or
//! arguments are fatal and precise (a span into the offending file where
//! there is one); problems with individual scanned files are not errors at
//! all but counted skips ([`crate::finding::SkipReason`]).

use miette::{Diagnostic, LabeledSpan, NamedSource, SourceCode, SourceSpan};
use std::fmt;
use std::io;
use std::sync::Arc;
use thiserror::Error;

/// Which kind of file a [`SourceProblem`] points into; decides its
/// diagnostic code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// A rule file (`keysweep::rule`).
    Rule,
    /// keysweep.toml (`keysweep::config`).
    Config,
    /// A baseline file (`keysweep::baseline`).
    Baseline,
}

impl ProblemKind {
    /// The diagnostic code users see.
    pub fn code(self) -> &'static str {
        match self {
            ProblemKind::Rule => "keysweep::rule",
            ProblemKind::Config => "keysweep::config",
            ProblemKind::Baseline => "keysweep::baseline",
        }
    }
}

/// A file's name and text, shared by every problem found in it (a rule file
/// with twenty problems is not copied twenty times).
pub type SharedSource = Arc<NamedSource<String>>;

/// Wraps `text` as the source of problems reported against file `name`.
pub fn shared_source(name: &str, text: &str, language: Option<&str>) -> SharedSource {
    let src = NamedSource::new(name, text.to_string());
    Arc::new(match language {
        Some(l) => src.with_language(l),
        None => src,
    })
}

/// One problem in a rule file, keysweep.toml or a baseline, pointing at the
/// offending text.
#[derive(Debug, Clone, Error)]
#[error("{message}")]
pub struct SourceProblem {
    /// Which kind of file.
    pub kind: ProblemKind,
    /// What is wrong (starts with the file name).
    pub message: String,
    /// The file.
    pub src: SharedSource,
    /// Where in it.
    pub span: Option<SourceSpan>,
    /// Label text at the span.
    pub label: String,
    /// How to fix it.
    pub help: Option<String>,
}

impl SourceProblem {
    /// A problem in `src` at `span`; the message is prefixed with the file name.
    pub fn new(
        kind: ProblemKind,
        src: &SharedSource,
        span: Option<std::ops::Range<usize>>,
        message: impl fmt::Display,
        label: impl Into<String>,
        help: Option<String>,
    ) -> SourceProblem {
        SourceProblem {
            kind,
            message: format!("{}: {message}", src.name()),
            src: Arc::clone(src),
            span: span.map(Into::into),
            label: label.into(),
            help,
        }
    }
}

impl Diagnostic for SourceProblem {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.kind.code()))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&*self.src)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = self.span?;
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(
            Some(self.label.clone()),
            span,
        ))))
    }
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
    pub problems: Vec<SourceProblem>,
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
    pub problems: Vec<SourceProblem>,
}

/// Top-level error type of the library.
#[derive(Debug, Error, Diagnostic)]
pub enum Error {
    /// Rule files failed to load or check.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Rules(#[from] RuleErrors),

    /// A path given on the command line cannot be scanned.
    #[error("cannot read {path}")]
    #[diagnostic(code(keysweep::path), help("check the path exists and is readable"))]
    Root {
        /// The path as given.
        path: String,
        /// The OS error.
        #[source]
        source: io::Error,
    },

    /// A rules path given with `--rules` (or in keysweep.toml) cannot be read.
    #[error("cannot read rules from {path}")]
    #[diagnostic(code(keysweep::rules_path))]
    RulesPath {
        /// The path as given.
        path: String,
        /// The OS error.
        #[source]
        source: io::Error,
    },

    /// A directory given as a rules path holds no rule file.
    #[error("cannot read rules from {path}: the directory holds no *.toml rule file")]
    #[diagnostic(code(keysweep::rules_path))]
    NoRuleFiles {
        /// The directory as given.
        path: String,
    },

    /// Writing a report or file failed.
    #[error("cannot write {target}")]
    #[diagnostic(code(keysweep::output))]
    Output {
        /// `stdout`, `stderr` or the output file.
        target: String,
        /// The OS error.
        #[source]
        source: io::Error,
    },

    /// keysweep.toml is invalid.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Config(#[from] ConfigErrors),

    /// A baseline file is invalid.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Baseline(Box<SourceProblem>),

    /// A file keysweep needs (config, baseline, stdin) cannot be read.
    #[error("cannot read {what} {path}")]
    #[diagnostic(code(keysweep::read))]
    Read {
        /// What the file is for.
        what: &'static str,
        /// The path as given.
        path: String,
        /// The OS error.
        #[source]
        source: io::Error,
    },

    /// A file keysweep was told to use (`--config FILE`) does not exist.
    #[error("cannot read {what} {path}: no such file")]
    #[diagnostic(code(keysweep::read))]
    Missing {
        /// What the file is for.
        what: &'static str,
        /// The path as given.
        path: String,
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

    /// A history scan could not read every blob it should have scanned.
    #[error("the history scan is incomplete: {blobs} blob(s) could not be read")]
    #[diagnostic(
        code(keysweep::incomplete),
        help("the report lists them as `unreadable`; fetch the missing objects (a partial clone needs e.g. `git fetch --refetch`, a damaged pack a fresh clone), or pass --allow-incomplete to accept the scan as it is")
    )]
    Incomplete {
        /// Blobs that could not be read.
        blobs: u64,
    },

    /// `--strict` and paths were skipped.
    #[error("--strict: {summary} skipped")]
    #[diagnostic(
        code(keysweep::strict),
        help("the report lists each skipped path with the reason; without --strict, skips do not change the exit code")
    )]
    Strict {
        /// Skips by reason, e.g. `2 unreadable, 1 too-large`.
        summary: String,
    },

    /// Invalid combination of options.
    #[error("{0}")]
    #[diagnostic(code(keysweep::usage))]
    Usage(String),
}

impl Error {
    /// An output error for `target`.
    pub fn output(target: impl fmt::Display, source: io::Error) -> Error {
        Error::Output {
            target: target.to_string(),
            source,
        }
    }
}
