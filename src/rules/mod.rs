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

mod checksum;
mod compile;
pub mod embedded;
pub mod spec;

pub use checksum::Checksum;

use crate::error::{Error, RuleErrors};
use crate::finding::Severity;
use crate::walk::kind::FileKind;
use aho_corasick::AhoCorasick;
use regex::bytes::Regex;
use serde::Serialize;
use std::path::Path;

/// A rule file's name and text.
#[derive(Debug, Clone)]
pub struct RuleSource {
    /// Name shown in diagnostics (file name or path).
    pub name: String,
    /// The TOML text.
    pub text: String,
}

impl RuleSource {
    /// The embedded default pack.
    pub fn defaults() -> Vec<RuleSource> {
        embedded::DEFAULT_RULES
            .iter()
            .map(|(name, text)| RuleSource {
                name: format!("rules/{name}"),
                text: (*text).to_string(),
            })
            .collect()
    }

    /// Reads a rule file, or every `*.toml` file of a directory (sorted).
    pub fn read_path(path: &Path) -> Result<Vec<RuleSource>, Error> {
        let err = |e: std::io::Error| Error::RulesPath {
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        let meta = std::fs::metadata(path).map_err(err)?;
        let mut files = Vec::new();
        if meta.is_dir() {
            for entry in std::fs::read_dir(path).map_err(err)? {
                let p = entry.map_err(err)?.path();
                if p.extension().is_some_and(|e| e == "toml") && p.is_file() {
                    files.push(p);
                }
            }
            files.sort();
            if files.is_empty() {
                return Err(Error::RulesPath {
                    path: path.display().to_string(),
                    reason: "the directory holds no *.toml rule file".into(),
                });
            }
        } else {
            files.push(path.to_path_buf());
        }
        files
            .into_iter()
            .map(|p| {
                let text = std::fs::read_to_string(&p).map_err(|e| Error::RulesPath {
                    path: p.display().to_string(),
                    reason: e.to_string(),
                })?;
                Ok(RuleSource {
                    name: p.display().to_string(),
                    text,
                })
            })
            .collect()
    }
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
    Substitute(Vec<(Regex, String)>),
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
    /// The rewrite.
    pub action: FixAction,
    /// Applied only when the user passes the flag of this name.
    pub opt_in: Option<String>,
    /// What else the user must do once the edit is applied (e.g. create the secret).
    pub note: Option<String>,
    /// No fix in a file matching any of these (e.g. one that already sets the
    /// new variable: renaming would create a duplicate).
    pub unless_file: Vec<Regex>,
    /// No fix for a match whose context — its lines plus the next line —
    /// matches any of these (e.g. a literal value next to the name).
    pub unless_line: Vec<Regex>,
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
    /// Rule file name.
    pub file: String,
    /// 1-based line of the rule's `id`.
    pub line: usize,
    /// Byte span of the whole rule table.
    pub span: std::ops::Range<usize>,
    /// Index of the source in the list the set was loaded from.
    pub source_index: usize,
}

/// A checked, compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Stable id (never reused or renamed).
    pub id: String,
    /// One-line title.
    pub title: String,
    /// What the rule detects and why it matters.
    pub description: String,
    /// Severity of every finding of this rule.
    pub severity: Severity,
    /// Finding class of the domain spec (`F1`…`F17`), if any.
    pub class: Option<String>,
    /// How likely a finding is a true positive: very-high, high, medium, low.
    pub precision: String,
    /// Free-form tags (SARIF `properties.tags`).
    pub tags: Vec<String>,
    /// Kinds the rule applies to; `None` means every kind.
    pub kinds: Option<Vec<FileKind>>,
    /// Kinds the rule never applies to.
    pub not_kinds: Vec<FileKind>,
    /// Path globs the rule is limited to (any of them), as written.
    pub paths: Vec<String>,
    pub(crate) path_set: Option<globset::GlobSet>,
    /// Lowercase literals, one of which must occur in a file for the regex to run.
    pub keywords: Vec<String>,
    /// The detection regex (byte-oriented, so invalid UTF-8 is never an error).
    pub regex: Regex,
    /// Index of the capture group holding the secret value.
    pub secret_group: Option<usize>,
    /// Required checksum of the secret and the expected outcome (`true` = valid).
    pub checksum: Option<(Checksum, bool)>,
    /// Minimum Shannon entropy (bits per char) of the secret.
    pub min_entropy: Option<f64>,
    /// Placeholder values: a secret (or match, without a secret group) matching any is dropped.
    pub allow: Vec<Regex>,
    /// A finding whose line matches any of these is dropped.
    pub allow_line: Vec<Regex>,
    /// The file must match every one of these for the rule to report.
    pub file_requires: Vec<Regex>,
    /// The rule reports nothing in a file matching any of these.
    pub file_excludes: Vec<Regex>,
    /// What to do about a finding.
    pub migration: Migration,
    /// The mechanical rewrite `keysweep fix` applies, if the rule declares one.
    pub fix: Option<FixRule>,
    /// Further reading.
    pub references: Vec<String>,
    /// Examples that must and must not match.
    pub examples: Vec<Example>,
    /// Where the rule was defined.
    pub origin: Origin,
}

impl Rule {
    /// Whether the rule applies to a file of this kind at this path.
    pub fn applies_to(&self, kind: FileKind, rel_path: &str) -> bool {
        if self.not_kinds.contains(&kind) {
            return false;
        }
        if let Some(kinds) = &self.kinds {
            if !kinds.contains(&kind) {
                return false;
            }
        }
        match &self.path_set {
            Some(set) => set.is_match(rel_path),
            None => true,
        }
    }

    /// The URL to show as help link: the migration reference or the first reference.
    pub fn help_uri(&self) -> Option<&str> {
        self.migration
            .reference
            .as_deref()
            .or(self.references.first().map(String::as_str))
    }
}

/// The compiled rules plus the keyword automaton that gates them.
#[derive(Debug, Clone)]
pub struct RuleSet {
    rules: Vec<Rule>,
    sources: Vec<RuleSource>,
    automaton: Option<AhoCorasick>,
    /// Automaton pattern index → rules gated by that keyword.
    keyword_rules: Vec<Vec<usize>>,
    /// Rules with no keyword: they always run.
    ungated: Vec<usize>,
}

impl RuleSet {
    /// Loads and compiles rules from the given sources, collecting every problem.
    pub fn load(sources: Vec<RuleSource>) -> Result<RuleSet, RuleErrors> {
        let rules = compile::compile_all(&sources)?;
        Ok(Self::from_rules(rules, sources))
    }

    /// Loads the default pack (unless `no_defaults`) plus the given paths.
    pub fn load_with(no_defaults: bool, extra: &[std::path::PathBuf]) -> Result<RuleSet, Error> {
        let mut sources = if no_defaults {
            Vec::new()
        } else {
            RuleSource::defaults()
        };
        for p in extra {
            sources.extend(RuleSource::read_path(p)?);
        }
        Ok(RuleSet::load(sources)?)
    }

    fn from_rules(mut rules: Vec<Rule>, sources: Vec<RuleSource>) -> RuleSet {
        rules.sort_by(|a, b| a.id.cmp(&b.id));
        let mut patterns: Vec<String> = Vec::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        let mut ungated = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            if rule.keywords.is_empty() {
                ungated.push(i);
            }
            for kw in &rule.keywords {
                match patterns.iter().position(|p| p == kw) {
                    Some(p) => keyword_rules[p].push(i),
                    None => {
                        patterns.push(kw.clone());
                        keyword_rules.push(vec![i]);
                    }
                }
            }
        }
        let automaton = (!patterns.is_empty()).then(|| {
            AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .build(&patterns)
                .expect("keywords are plain literals of bounded size")
        });
        RuleSet {
            rules,
            sources,
            automaton,
            keyword_rules,
            ungated,
        }
    }

    /// The rules, sorted by id.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The sources the rules were loaded from (for diagnostics).
    pub fn sources(&self) -> &[RuleSource] {
        &self.sources
    }

    /// Looks a rule up by id.
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules
            .binary_search_by(|r| r.id.as_str().cmp(id))
            .ok()
            .map(|i| &self.rules[i])
    }

    /// Marks in `active` (indexed like [`RuleSet::rules`]) every rule whose
    /// keyword gate passes for `haystack`: one Aho-Corasick pass, stopping early
    /// once every gated rule is active.
    pub fn gate(&self, haystack: &[u8], active: &mut Vec<bool>) {
        active.clear();
        active.resize(self.rules.len(), false);
        for &i in &self.ungated {
            active[i] = true;
        }
        let Some(ac) = &self.automaton else { return };
        // Count gated rules still inactive so the pass can stop early; no
        // per-file allocation.
        let mut remaining = self.rules.len() - self.ungated.len();
        for m in ac.find_overlapping_iter(haystack) {
            for &r in &self.keyword_rules[m.pattern().as_usize()] {
                if !active[r] {
                    active[r] = true;
                    remaining -= 1;
                }
            }
            if remaining == 0 {
                break;
            }
        }
    }

    /// Every distinct keyword, sorted (used by `rules list` and the benchmark).
    pub fn keywords(&self) -> Vec<String> {
        let mut k: Vec<String> = self.rules.iter().flat_map(|r| r.keywords.clone()).collect();
        k.sort();
        k.dedup();
        k
    }

    /// Removes rules by id; returns ids that matched no rule.
    pub fn retain(&mut self, keep: impl Fn(&Rule) -> bool) {
        let rules = std::mem::take(&mut self.rules)
            .into_iter()
            .filter(|r| keep(r))
            .collect();
        *self = RuleSet::from_rules(rules, std::mem::take(&mut self.sources));
    }

    /// Changes the severity of a rule; false if no rule has that id.
    pub fn set_severity(&mut self, id: &str, severity: Severity) -> bool {
        match self.rules.iter_mut().find(|r| r.id == id) {
            Some(r) => {
                r.severity = severity;
                true
            }
            None => false,
        }
    }
}

/// Builds a diagnostic pointing at an example in its rule file.
pub fn problem_for_example(
    source: &RuleSource,
    span: std::ops::Range<usize>,
    message: String,
    help: Option<String>,
) -> crate::error::RuleProblem {
    compile::problem_at(source, span, message, "this example", help)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(rules: &[(&str, &[&str])]) -> RuleSet {
        let mut text = String::new();
        for (id, kws) in rules {
            let kws: Vec<String> = kws.iter().map(|k| format!("{k:?}")).collect();
            text.push_str(&format!(
                "[[rule]]\nid = {id:?}\ntitle = \"t\"\ndescription = \"d\"\nseverity = \"low\"\nkeywords = [{}]\nregex = 'x'\nmust_match = [\"x\"]\n[rule.migration]\nsummary = \"s\"\n",
                kws.join(", ")
            ));
        }
        RuleSet::load(vec![RuleSource {
            name: "t.toml".into(),
            text,
        }])
        .expect("test rules load")
    }

    fn gated(rs: &RuleSet, text: &str) -> Vec<String> {
        let mut active = Vec::new();
        rs.gate(text.as_bytes(), &mut active);
        rs.rules()
            .iter()
            .zip(active)
            .filter(|(_, a)| *a)
            .map(|(r, _)| r.id.clone())
            .collect()
    }

    #[test]
    fn contained_and_overlapping_keywords_all_open_their_gates() {
        let rs = set(&[
            ("a", &["localstack"]),
            ("b", &["localstack_api_key"]),
            ("c", &["abc"]),
            ("d", &["bcd"]),
            ("e", &["zzz"]),
        ]);
        assert_eq!(gated(&rs, "export LOCALSTACK_API_KEY=1"), vec!["a", "b"]);
        assert_eq!(gated(&rs, "xabcdx"), vec!["c", "d"]);
        assert_eq!(gated(&rs, "nothing here"), Vec::<String>::new());
        assert_eq!(gated(&rs, "LocalStack"), vec!["a"]);
    }
}
