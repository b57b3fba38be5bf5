//! Serde mirror of a rule file. These types only describe what the TOML says;
//! `compile` checks them and turns them into [`crate::rules::Rule`].
//!
//! Every struct denies unknown fields so a typo in a rule file is an error that
//! points at the offending key, never a silently ignored setting.

// Field meanings are documented once, in README.md ("Rule format"); repeating
// them on every serde field here would drift.
#![allow(missing_docs)]

use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

/// One rule file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFileSpec {
    /// Named regex fragments, usable in any regex of this file as `(?&name)`.
    #[serde(default)]
    pub defs: BTreeMap<String, Spanned<String>>,
    /// The rules.
    #[serde(default)]
    pub rule: Vec<Spanned<RuleSpec>>,
    /// Credential entities whose every mention must end as a finding or as
    /// silent for a stated reason.
    #[serde(default)]
    pub entity: Vec<Spanned<EntitySpec>>,
}

/// One `[[rule]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub id: Spanned<String>,
    pub title: String,
    pub description: String,
    pub severity: Spanned<String>,
    #[serde(default)]
    pub class: Option<String>,
    #[serde(default)]
    pub precision: Option<Spanned<String>>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub security: Option<bool>,
    #[serde(default)]
    pub kinds: Vec<Spanned<String>>,
    #[serde(default)]
    pub not_kinds: Vec<Spanned<String>>,
    #[serde(default)]
    pub paths: Vec<Spanned<String>>,
    #[serde(default)]
    pub not_paths: Vec<Spanned<String>>,
    #[serde(default)]
    pub keywords: Vec<Spanned<String>>,
    #[serde(default)]
    pub regex: Option<Spanned<String>>,
    #[serde(default)]
    pub mentions: Vec<Spanned<String>>,
    #[serde(default)]
    pub context: Vec<Spanned<ContextSpec>>,
    #[serde(default)]
    pub secret_group: Option<Spanned<String>>,
    #[serde(default)]
    pub checksum: Option<Spanned<String>>,
    #[serde(default)]
    pub checksum_expect: Option<Spanned<String>>,
    #[serde(default)]
    pub min_entropy: Option<f64>,
    #[serde(default)]
    pub allow: Vec<Spanned<String>>,
    #[serde(default)]
    pub allow_line: Vec<Spanned<String>>,
    #[serde(default)]
    pub file_requires: Vec<Spanned<String>>,
    #[serde(default)]
    pub file_excludes: Vec<Spanned<String>>,
    pub migration: MigrationSpec,
    #[serde(default)]
    pub fix: Option<Spanned<FixSpec>>,
    #[serde(default)]
    pub references: Vec<String>,
    #[serde(default)]
    pub must_match: Vec<Spanned<ExampleSpec>>,
    #[serde(default)]
    pub must_not_match: Vec<Spanned<ExampleSpec>>,
}

/// One `[[rule.context]]` alternative (or one `when` of an entity outcome):
/// where a match counts, and over which scope its conditions are judged.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContextSpec {
    #[serde(default)]
    pub kinds: Vec<Spanned<String>>,
    #[serde(default)]
    pub not_kinds: Vec<Spanned<String>>,
    #[serde(default)]
    pub paths: Vec<Spanned<String>>,
    #[serde(default)]
    pub inside: Vec<Spanned<String>>,
    #[serde(default)]
    pub outside: Vec<Spanned<String>>,
    #[serde(default)]
    pub yaml: Vec<Spanned<String>>,
    #[serde(default)]
    pub call: Vec<Spanned<String>>,
    #[serde(default)]
    pub call_depth: Option<Spanned<String>>,
    #[serde(default)]
    pub command: Vec<Spanned<String>>,
    #[serde(default)]
    pub word: Option<Spanned<String>>,
    #[serde(default)]
    pub instruction: Vec<Spanned<String>>,
    #[serde(default)]
    pub scope: Option<Spanned<String>>,
    #[serde(default)]
    pub unit: Vec<Spanned<String>>,
    #[serde(default)]
    pub also: Vec<Spanned<String>>,
    #[serde(default)]
    pub requires: Vec<Spanned<String>>,
    #[serde(default)]
    pub excludes: Vec<Spanned<String>>,
    #[serde(default)]
    pub unknown: Vec<Spanned<String>>,
    #[serde(default)]
    pub file_requires: Vec<Spanned<String>>,
    #[serde(default)]
    pub before_requires: Vec<Spanned<String>>,
    #[serde(default)]
    pub file_excludes: Vec<Spanned<String>>,
    #[serde(default)]
    pub file_unknown: Vec<Spanned<String>>,
    #[serde(default)]
    pub ok: Option<String>,
    #[serde(default)]
    pub unknown_reason: Option<String>,
    #[serde(default)]
    pub follow: bool,
}

/// One `[[entity]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntitySpec {
    pub id: Spanned<String>,
    pub description: String,
    #[serde(default)]
    pub keywords: Vec<Spanned<String>>,
    pub regex: Spanned<String>,
    #[serde(default)]
    pub outcome: Vec<Spanned<OutcomeSpec>>,
    #[serde(default)]
    pub must_be_silent: Vec<Spanned<ExampleSpec>>,
    /// Literal renames of a mention's name (`fix` plans them per repository).
    #[serde(default)]
    pub rename: Vec<Spanned<RenameSpec>>,
}

/// One `{ find = '…', with = '…' }` literal rename of an entity's names.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenameSpec {
    pub find: String,
    pub with: String,
}

/// One `[[entity.outcome]]`: a rule that reports the mention, or a stated
/// reason for silence, tried in order for mentions no finding accounts for.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomeSpec {
    #[serde(default)]
    pub rule: Option<Spanned<String>>,
    #[serde(default)]
    pub silent: Option<Spanned<String>>,
    #[serde(default)]
    pub when: Vec<Spanned<ContextSpec>>,
}

/// What to do about a finding.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MigrationSpec {
    pub summary: String,
    #[serde(default)]
    pub before: Option<String>,
    #[serde(default)]
    pub after: Option<String>,
    #[serde(default)]
    pub reference: Option<String>,
    #[serde(default)]
    pub manual: Option<String>,
}

/// `[rule.fix]`: a mechanical rewrite of part of each match. Either
/// `replacement` (the whole `group` is replaced) or `replace` (each `find`
/// regex is replaced inside `group`); `group` defaults to the whole match.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixSpec {
    #[serde(default)]
    pub group: Option<Spanned<String>>,
    #[serde(default)]
    pub replacement: Option<Spanned<String>>,
    #[serde(default)]
    pub replace: Vec<Spanned<ReplaceSpec>>,
    #[serde(default)]
    pub opt_in: Option<Spanned<String>>,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub unless_file: Vec<Spanned<String>>,
    #[serde(default)]
    pub unless_line: Vec<Spanned<String>>,
    #[serde(default)]
    pub unless_before: Vec<Spanned<String>>,
    #[serde(default)]
    pub scope: Option<Spanned<String>>,
    #[serde(default)]
    pub drop_line: Option<Spanned<String>>,
    #[serde(default)]
    pub drop_parents: Vec<String>,
    #[serde(default)]
    pub drop_unit: Vec<Spanned<String>>,
    #[serde(default)]
    pub drop_unit_requires: Vec<Spanned<String>>,
    #[serde(default)]
    pub drop_when_set: Option<String>,
}

/// One `{ find = '…', with = '…' }` pair of a fix.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplaceSpec {
    pub find: Spanned<String>,
    pub with: String,
}

/// An example: a bare string (scanned as a file of the rule's first kind) or a
/// table giving the path to scan it as.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum ExampleSpec {
    Text(String),
    WithPath(ExampleWithPath),
}

/// An example with an explicit path.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExampleWithPath {
    pub text: String,
    pub path: String,
}
