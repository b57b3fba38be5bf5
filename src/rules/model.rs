//! The compiled rule: what it means ([`RuleMeta`], all a reporter may see),
//! how it matches ([`Matcher`]), how it rewrites ([`FixRule`]) and its
//! examples. Built by `compile`, gated and looked up by [`super::RuleSet`].

use super::checksum::Checksum;
pub use super::pattern::{Globs, Pattern};
use crate::context::yaml::PathPattern;
use crate::finding::Severity;
use crate::kind::FileKind;
use serde::Serialize;

/// A rule file's name and text.
#[derive(Debug, Clone)]
pub struct RuleSource {
    /// Name shown in diagnostics (file name or path).
    pub name: String,
    /// The TOML text.
    pub text: String,
}

/// Migration advice carried by a rule.
#[derive(Debug, Clone, Serialize)]
pub struct Migration {
    /// One or two sentences: what to do.
    pub summary: String,
    /// The legacy form, if there is a representative one.
    pub before: Option<String>,
    /// The form to migrate to.
    pub after: Option<String>,
    /// Where the advice comes from.
    pub reference: Option<String>,
    /// Why `keysweep fix` leaves this to a person (rules without a rewrite).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manual: Option<String>,
}

/// What a rule's fix promises, as listed by `rules list` (the edit itself is
/// in [`FixRule`]).
#[derive(Debug, Clone, Serialize)]
pub struct FixMeta {
    /// Flag the user must pass for the fix to be applied.
    pub opt_in: Option<String>,
    /// What else the user must do once the edit is applied.
    pub note: Option<String>,
}

/// Everything about a rule that is data for people and reporters: no
/// compiled regex, no gate. Serialises as one entry of `rules list --format
/// json`.
#[derive(Debug, Clone, Serialize)]
pub struct RuleMeta {
    /// Stable id (never reused or renamed).
    pub id: String,
    /// One-line title.
    pub title: String,
    /// What the rule detects and why it matters.
    pub description: String,
    /// Severity of every finding of this rule (after any override).
    pub severity: Severity,
    /// Finding class of the domain spec (`F1`…`F17`), if any.
    pub class: Option<String>,
    /// How likely a finding is a true positive: very-high, high, medium, low.
    pub precision: String,
    /// Free-form tags (SARIF `properties.tags`).
    #[serde(skip)]
    pub tags: Vec<String>,
    /// Whether a finding is a security problem (a credential exposed or
    /// misused) rather than migration debt (deprecations, naming,
    /// documentation, expected values). Only security rules carry a SARIF
    /// `security-severity`. Rule files say `security = false` for debt.
    pub security: bool,
    /// Kinds the rule applies to; `None` means every kind.
    pub kinds: Option<Vec<FileKind>>,
    /// Kinds the rule never applies to.
    pub not_kinds: Vec<FileKind>,
    /// Path globs the rule is limited to (any of them), as written.
    pub paths: Vec<String>,
    /// Lowercase literals, one of which must occur in a file for the regex to run.
    pub keywords: Vec<String>,
    /// What to do about a finding.
    pub migration: Migration,
    /// The rewrite `keysweep fix` offers, if any.
    pub fix: Option<FixMeta>,
    /// Further reading.
    pub references: Vec<String>,
    /// Rule file the rule was defined in.
    pub file: String,
    /// 1-based line of the rule's `id` in that file.
    pub line: usize,
}

impl RuleMeta {
    /// The URL to show as help link: the migration reference or the first reference.
    pub fn help_uri(&self) -> Option<&str> {
        self.migration
            .reference
            .as_deref()
            .or(self.references.first().map(String::as_str))
    }
}

/// Where a match stands, lexically: the classes of `inside` / `outside`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// Live code, configuration structure or an unquoted value.
    Code,
    /// A comment, or anywhere on a commented-out line.
    Comment,
    /// A string literal (for YAML: quoted and block scalars).
    String,
    /// A Python docstring or bare string statement.
    Docstring,
    /// A heredoc body.
    Heredoc,
    /// Running text of a documentation file.
    Prose,
    /// Inline code of a documentation file.
    InlineCode,
    /// A code block of a documentation file.
    CodeBlock,
    /// Anywhere in a documentation file.
    Docs,
}

impl Place {
    /// Names accepted in rule files.
    pub const NAMES: &'static [(&'static str, Place)] = &[
        ("code", Place::Code),
        ("comment", Place::Comment),
        ("string", Place::String),
        ("docstring", Place::Docstring),
        ("heredoc", Place::Heredoc),
        ("prose", Place::Prose),
        ("inline-code", Place::InlineCode),
        ("code-block", Place::CodeBlock),
        ("docs", Place::Docs),
    ];

    /// The bit of this place in a [`Places`] set.
    pub fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// A set of [`Place`]s (a bit set).
pub type Places = u16;

/// What text a context alternative's `requires` / `excludes` / `unknown`
/// patterns are matched against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The whole file.
    File,
    /// The match's line.
    Line,
    /// The YAML unit holding the match (the innermost ancestor matching
    /// `unit`), or the whole file where there is no YAML structure.
    Unit,
    /// The shell command holding the match.
    Command,
    /// The code statement or builder chain holding the match.
    Statement,
    /// The innermost call (or the call `call` names) holding the match.
    Call,
    /// The documentation code block or YAML block scalar holding the match.
    Block,
}

impl Scope {
    /// Names accepted in rule files.
    pub const NAMES: &'static [(&'static str, Scope)] = &[
        ("file", Scope::File),
        ("line", Scope::Line),
        ("unit", Scope::Unit),
        ("command", Scope::Command),
        ("statement", Scope::Statement),
        ("call", Scope::Call),
        ("block", Scope::Block),
    ];
}

/// A pattern for call names: `withEnv`, `*.getenv`, `os.environ.get`.
/// Matched against the full dotted name and against its last component.
#[derive(Debug, Clone)]
pub struct NamePattern {
    /// The pattern as written (`*` any run of characters).
    pub text: String,
}

impl NamePattern {
    /// Whether `name` (or its last component `short`) matches.
    pub fn matches(&self, name: &str, short: &str) -> bool {
        glob_matches(&self.text, name) || glob_matches(&self.text, short)
    }
}

/// Whether `text` matches `glob` as a whole, `*` standing for any run of
/// characters. Matched by hand: a regex per call name cost more to compile
/// than a small scan spends using them all.
fn glob_matches(glob: &str, text: &str) -> bool {
    let mut parts = glob.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let mut parts: Vec<&str> = parts.collect();
    let Some(last) = parts.pop() else {
        // No `*`: the prefix was the whole pattern.
        return rest.is_empty();
    };
    let Some(middle) = rest.strip_suffix(last) else {
        return false;
    };
    rest = middle;
    // Between the ends, each part at its leftmost place leaves the most room
    // for the parts after it.
    for part in parts {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    true
}

/// One context alternative: structural conditions on where a match stands,
/// and conditions on the text of a scope around it. A match counts when any
/// alternative of its rule accepts it (a rule without alternatives accepts
/// every match).
#[derive(Debug, Clone)]
pub struct Context {
    /// File kinds it applies to; `None` = every kind.
    pub kinds: Option<Vec<FileKind>>,
    /// File kinds it never applies to.
    pub not_kinds: Vec<FileKind>,
    /// Path globs it is limited to.
    pub(crate) paths: Option<Globs>,
    /// The match must stand in one of these places (empty = anywhere).
    pub inside: Places,
    /// The match must stand in none of these places.
    pub outside: Places,
    /// YAML key paths the match's node must have (any of; empty = no condition).
    pub yaml: Vec<PathPattern>,
    /// Call names the match must be an argument of (any of).
    pub call: Vec<NamePattern>,
    /// Whether `call` may name any enclosing call, not just the innermost.
    pub call_any: bool,
    /// Shell commands (word prefixes) the match must be part of (any of).
    pub command: Vec<Vec<String>>,
    /// With `command`: the match must be the command's image word (`docker run … IMAGE`).
    pub image_word: bool,
    /// Dockerfile instructions the match must be in (upper-case keywords).
    pub instruction: Vec<String>,
    /// What `requires` / `excludes` / `unknown` are matched against.
    pub scope: Scope,
    /// YAML unit patterns for [`Scope::Unit`].
    pub unit: Vec<PathPattern>,
    /// YAML nodes (paths from the document root) whose text joins the scope.
    pub also: Vec<PathPattern>,
    /// Every one must match the scope's live text (comments blanked).
    pub requires: Vec<Pattern>,
    /// None may match the scope's live text; when one does, the match is not
    /// a finding (the mention is silent with `ok` as its reason).
    pub excludes: Vec<Pattern>,
    /// When one matches the scope's live text, what the rule looks for may be
    /// supplied where keysweep cannot see: no finding, and the mention is
    /// silent with `unknown_reason`.
    pub unknown: Vec<Pattern>,
    /// As `requires`, over the whole file's live text.
    pub file_requires: Vec<Pattern>,
    /// As `requires`, over the file's live text before the match: what must
    /// come first (a fallback reads the new variable before the old one).
    pub before_requires: Vec<Pattern>,
    /// As `excludes`, over the whole file's live text.
    pub file_excludes: Vec<Pattern>,
    /// As `unknown`, over the whole file's live text.
    pub file_unknown: Vec<Pattern>,
    /// Why a match the alternative's structure accepts but `excludes`
    /// rejects is fine (e.g. "credential configured in the service").
    pub ok: Option<String>,
    /// Why an `unknown` match is left alone.
    pub unknown_reason: Option<String>,
    /// For a string assigned to a constant (`IMAGE = "…"`): judge the
    /// constant's uses in the file instead of the literal itself.
    pub follow: bool,
}

/// What an entity outcome does with a mention.
#[derive(Debug, Clone)]
pub enum OutcomeKind {
    /// Report it as a finding of the rule with this id.
    Rule(String),
    /// Leave it silent, for this reason.
    Silent(String),
}

/// One outcome of an entity, tried in order.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// What happens.
    pub kind: OutcomeKind,
    /// The outcome applies when any of these accepts the mention (empty =
    /// always, or, for a rule, when the rule's own context accepts it).
    pub when: Vec<Context>,
}

/// A credential entity: a cheap lexical pattern whose every occurrence (a
/// mention) must end as a finding or as silent for a stated reason.
#[derive(Debug, Clone)]
pub struct Entity {
    /// Stable id, named by rules' `mentions`.
    pub id: String,
    /// What it is.
    pub description: String,
    /// Lowercase literals gating the regex.
    pub keywords: Vec<String>,
    /// Each match is one mention.
    pub regex: Pattern,
    /// For mentions no finding accounts for, in order.
    pub outcomes: Vec<Outcome>,
    /// Examples whose every mention must be silent.
    pub examples: Vec<Example>,
    /// Literal (find, with) renames of a mention's name, tried in order:
    /// `keysweep fix` renames the entity's names per repository with these
    /// (`fix::rename`). Empty for entities whose names are never renamed.
    pub rename: Vec<(String, String)>,
    /// Where the entity was defined.
    pub origin: Origin,
}

impl Entity {
    /// The name `name` is renamed to: the first rename pair whose `find`
    /// occurs in it, applied to every occurrence; `None` when no pair applies.
    pub fn renamed(&self, name: &str) -> Option<String> {
        self.rename
            .iter()
            .find(|(find, _)| name.contains(find.as_str()))
            .map(|(find, with)| name.replace(find.as_str(), with))
            .filter(|n| n != name)
    }
}

/// How a rule finds candidates and filters them.
#[derive(Debug, Clone)]
pub struct Matcher {
    /// Path globs compiled.
    pub(crate) path_set: Option<Globs>,
    /// Path globs the rule never applies to (changelogs, …).
    pub(crate) not_paths: Option<Globs>,
    /// The detection regex (byte-oriented, so invalid UTF-8 is never an
    /// error); `None` for a rule that only reports entity mentions.
    pub regex: Option<Pattern>,
    /// Context alternatives (any of; none = every match counts).
    pub context: Vec<Context>,
    /// Entities whose mentions on a finding's line this rule accounts for.
    pub mentions: Vec<String>,
    /// Index of the capture group holding the secret value.
    pub secret_group: Option<usize>,
    /// Required checksum of the secret and the expected outcome (`true` = valid).
    pub checksum: Option<(Checksum, bool)>,
    /// Minimum Shannon entropy (bits per char) of the secret.
    pub min_entropy: Option<f64>,
    /// Placeholder values: a secret (or match, without a secret group) matching any is dropped.
    pub allow: Vec<Pattern>,
    /// A finding whose line matches any of these is dropped.
    pub allow_line: Vec<Pattern>,
    /// The file must match every one of these for the rule to report.
    pub file_requires: Vec<Pattern>,
    /// The rule reports nothing in a file matching any of these.
    pub file_excludes: Vec<Pattern>,
}

/// Opt-in switches a rule's fix may require (`[rule.fix] opt_in`), each
/// matched by a `keysweep fix` flag of the same name.
pub const FIX_OPT_INS: &[&str] = &["rename-secrets"];

/// What a fix does to the text of its group.
#[derive(Debug, Clone)]
pub enum FixAction {
    /// Replace the whole group with this literal text.
    Replace(String),
    /// Replace every match of each regex inside the group with its literal text.
    Substitute(Vec<(Pattern, String)>),
}

/// A rule's declared mechanical rewrite (`[rule.fix]`). Replacement text is
/// literal: no capture expansion, so a fix can never copy a matched value
/// somewhere else, and the fix group is never the secret group.
#[derive(Debug, Clone)]
pub struct FixRule {
    /// Capture group whose text is rewritten; `None` = the whole match.
    pub group: Option<usize>,
    /// `scope = "line"`: rewrite the match's whole lines (terminators
    /// included) instead of a group, e.g. to drop a value that follows it.
    pub whole_lines: bool,
    /// `scope = "sentence"`: as `line`, plus the line before when the
    /// match's line continues its sentence (a link on the line after the
    /// words "your API key").
    pub sentence: bool,
    /// The rewrite.
    pub action: FixAction,
    /// Applied only when the user passes the flag of this name.
    pub opt_in: Option<String>,
    /// What else the user must do once the edit is applied (e.g. create the secret).
    pub note: Option<String>,
    /// No fix in a file matching any of these (e.g. one that already sets the
    /// new variable: renaming would create a duplicate).
    pub unless_file: Vec<Pattern>,
    /// No fix for a match whose context — its lines plus the next line —
    /// matches any of these (e.g. a literal value next to the name).
    pub unless_line: Vec<Pattern>,
    /// No edit for a group whose line, up to the group, matches any of these
    /// (anchor them with `$`): e.g. a name read through `${{ secrets.… }}`
    /// or `$(…)` rather than defined.
    pub unless_before: Vec<Pattern>,
    /// `drop_line`: when the rewrite above makes no edit, the match's line is
    /// deleted if it matches this pattern and is an entry of its own (a
    /// YAML mapping entry or list item, a `.env` or `export` line) whose
    /// removal leaves valid syntax behind. See `scan::drop`.
    pub drop_line: Option<Pattern>,
    /// Keys (`with`, `environment`) whose line is deleted with a dropped
    /// entry that was their only one: an empty key would be null.
    pub drop_parents: Vec<String>,
    /// YAML units (a CI step) that must hold the dropped entry ...
    pub drop_unit: Vec<PathPattern>,
    /// ... and match each of these patterns (e.g. an action version).
    pub drop_unit_requires: Vec<Pattern>,
    /// `drop_when_set`: instead of the rewrite, the match's line is deleted
    /// when the command is all of it and this variable is already exported
    /// before it (the CI step's or job's environment, an earlier `export` in
    /// the same script): the command then only repeats what the variable does.
    pub drop_when_set: Option<String>,
}

/// A rule example, run by `keysweep rules check`.
#[derive(Debug, Clone)]
pub struct Example {
    /// File content to scan.
    pub text: String,
    /// Path to scan it as (decides the file kind).
    pub path: String,
    /// Whether the rule must produce a finding on it.
    pub must_match: bool,
    /// Byte span of the example in its rule file.
    pub span: std::ops::Range<usize>,
}

/// Where a rule was defined.
#[derive(Debug, Clone)]
pub struct Origin {
    /// Byte span of the whole rule table.
    pub span: std::ops::Range<usize>,
    /// Index of the source in the list the set was loaded from.
    pub source_index: usize,
}

/// A checked, compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// What the rule means (the part reporters see).
    pub meta: RuleMeta,
    /// How it matches.
    pub matcher: Matcher,
    /// The mechanical rewrite `keysweep fix` applies, if the rule declares one.
    pub fix: Option<FixRule>,
    /// Examples that must and must not match.
    pub examples: Vec<Example>,
    /// Where the rule was defined.
    pub origin: Origin,
}

impl Rule {
    /// The rule id.
    pub fn id(&self) -> &str {
        &self.meta.id
    }

    /// Whether the rule applies to a file of this kind at this path.
    pub fn applies_to(&self, kind: FileKind, rel_path: &str) -> bool {
        if self.meta.not_kinds.contains(&kind) {
            return false;
        }
        if let Some(kinds) = &self.meta.kinds {
            if !kinds.contains(&kind) {
                return false;
            }
        }
        if self
            .matcher
            .not_paths
            .as_ref()
            .is_some_and(|set| set.is_match(rel_path))
        {
            return false;
        }
        match &self.matcher.path_set {
            Some(set) => set.is_match(rel_path),
            None => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::glob_matches;

    /// The regex a call-name glob used to compile to.
    fn as_regex(glob: &str) -> regex::Regex {
        let parts: Vec<String> = glob.split('*').map(regex::escape).collect();
        regex::Regex::new(&format!("^{}$", parts.join(".*"))).unwrap()
    }

    #[test]
    fn call_name_globs_match_as_their_regex_did() {
        let globs = [
            "withEnv",
            "*.getenv",
            "os.environ.get",
            "*",
            "**",
            "a*a",
            "a*b*a",
            "*env*",
            "x*",
            "*.",
            "",
        ];
        let alphabet = ['a', 'b', '.', 'e'];
        let mut texts = vec![
            String::new(),
            "withEnv".into(),
            "os.getenv".into(),
            "getenv".into(),
            "os.environ.get".into(),
        ];
        // Every text of up to four letters over a small alphabet.
        for len in 1..=4u32 {
            for n in 0..alphabet.len().pow(len) {
                let mut n = n;
                let mut t = String::new();
                for _ in 0..len {
                    t.push(alphabet[n % alphabet.len()]);
                    n /= alphabet.len();
                }
                texts.push(t);
            }
        }
        for g in globs {
            let re = as_regex(g);
            for t in &texts {
                assert_eq!(glob_matches(g, t), re.is_match(t), "{g:?} on {t:?}");
            }
        }
    }
}
