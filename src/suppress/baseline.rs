//! Baseline files: the findings a team has accepted, so a scan reports only
//! what is new.
//!
//! An entry is keyed by rule id, path and a hash of the secret (or of the
//! whitespace-normalised matched text for findings without a value), with a
//! count for identical findings in one file. Line numbers are deliberately
//! not part of the key: moving code does not resurrect an accepted finding,
//! while a *new* secret on an accepted line has another hash and is reported.
//! Paths are stored relative to the baseline file's directory, so the file
//! works whichever directory keysweep runs from. The raw secret is never
//! written; entries are sorted and the file carries no timestamp or tool
//! version, so it diffs cleanly and does not churn.

use crate::error::{shared_source, Error, ProblemKind, SourceProblem};
use crate::finding::Finding;
use crate::util::paths::{display_path, normalise, normalised_absolute};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// `format` value of a baseline file.
pub const FORMAT: &str = "keysweep-baseline";
/// Current baseline schema version.
pub const VERSION: u32 = 1;
/// Default file name.
pub const DEFAULT_FILE: &str = "keysweep-baseline.json";

/// The file as written on disk.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BaselineFile {
    format: String,
    version: u32,
    entries: Vec<Entry>,
}

/// One accepted finding (or several identical ones in one file).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    path: String,
    rule_id: String,
    hash: String,
    #[serde(default = "one", skip_serializing_if = "is_one")]
    count: usize,
}

fn one() -> usize {
    1
}

fn is_one(n: &usize) -> bool {
    *n == 1
}

/// What identifies a finding in a baseline: (path, rule id, hash).
pub type Key = (String, String, String);

/// A loaded (or freshly built) baseline.
#[derive(Debug, Clone)]
pub struct Baseline {
    /// Absolute directory the entry paths are relative to.
    base_dir: PathBuf,
    /// Key → number of accepted identical findings.
    entries: BTreeMap<Key, usize>,
    /// File name for messages and suppression reasons.
    name: String,
}

impl Baseline {
    /// An empty baseline that will be written to `file`.
    pub fn empty(file: &Path) -> Baseline {
        let abs = normalised_absolute(file);
        Baseline {
            base_dir: abs.parent().map_or_else(PathBuf::new, Path::to_path_buf),
            entries: BTreeMap::new(),
            name: file.display().to_string(),
        }
    }

    /// Reads a baseline file; a malformed one is an error pointing into it.
    pub fn load(file: &Path) -> Result<Baseline, Error> {
        // A committed symlink must not turn the baseline into a way of
        // printing another file of the machine in a diagnostic.
        let text = crate::util::fs::link_stays_beside(file)
            .and_then(|()| crate::util::fs::read_settings_text(file))
            .map_err(|source| Error::Read {
                what: "baseline",
                path: file.display().to_string(),
                source,
            })?;
        Self::parse(file, &text)
    }

    /// Parses baseline text read from `file`.
    pub fn parse(file: &Path, text: &str) -> Result<Baseline, Error> {
        let name = display_path(file);
        let problem = |message: String, offset: Option<usize>| {
            Error::Baseline(Box::new(SourceProblem::new(
                ProblemKind::Baseline,
                &shared_source(&name, text, Some("json")),
                offset.map(|o| o..o),
                message,
                "here",
                Some(format!(
                    "regenerate it with `keysweep baseline --output {name}`"
                )),
            )))
        };
        let doc: BaselineFile = serde_json::from_str(text).map_err(|e| {
            problem(
                format!("invalid baseline: {e}"),
                offset_of(text, e.line(), e.column()),
            )
        })?;
        if doc.format != FORMAT || doc.version != VERSION {
            return Err(problem(
                format!(
                    "not a keysweep baseline version {VERSION} (format `{}`, version {})",
                    doc.format, doc.version
                ),
                Some(0),
            ));
        }
        let mut b = Baseline::empty(file);
        b.name = name;
        for e in doc.entries {
            *b.entries.entry((e.path, e.rule_id, e.hash)).or_insert(0) += e.count.max(1);
        }
        Ok(b)
    }

    /// File name as given (used in suppression reasons).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Number of accepted findings (counts summed).
    pub fn len(&self) -> usize {
        self.entries.values().sum()
    }

    /// True when nothing is accepted.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The key of `finding`, whose relative path is relative to `origin`.
    pub fn key(&self, finding: &Finding, origin: &Path) -> Key {
        let p = Path::new(&finding.path);
        let abs = if p.is_absolute() {
            normalise(p)
        } else {
            normalise(&origin.join(p))
        };
        let path = match abs.strip_prefix(&self.base_dir) {
            Ok(rel) => display_path(rel),
            Err(_) => display_path(&abs),
        };
        (path, finding.rule_id.clone(), finding.match_hash.clone())
    }

    /// A matcher that hands out each accepted finding once.
    pub fn matcher(&self) -> Matcher<'_> {
        Matcher {
            baseline: self,
            remaining: self.entries.clone(),
        }
    }

    /// Accepts every finding not already accepted (counts grow to the number
    /// found). Returns how many findings were newly accepted.
    pub fn accept<'a>(
        &mut self,
        findings: impl IntoIterator<Item = &'a Finding>,
        origin: &Path,
    ) -> usize {
        let found = self.count(findings, origin);
        let mut added = 0;
        for (k, n) in found {
            let have = self.entries.entry(k).or_insert(0);
            if n > *have {
                added += n - *have;
                *have = n;
            }
        }
        added
    }

    /// Drops entries (or parts of counts) that no longer match any finding.
    /// Returns how many accepted findings were dropped.
    pub fn prune<'a>(
        &mut self,
        findings: impl IntoIterator<Item = &'a Finding>,
        origin: &Path,
    ) -> usize {
        let found = self.count(findings, origin);
        let mut dropped = 0;
        self.entries.retain(|k, n| {
            let keep = found.get(k).copied().unwrap_or(0).min(*n);
            dropped += *n - keep;
            *n = keep;
            keep > 0
        });
        dropped
    }

    fn count<'a>(
        &self,
        findings: impl IntoIterator<Item = &'a Finding>,
        origin: &Path,
    ) -> BTreeMap<Key, usize> {
        let mut found: BTreeMap<Key, usize> = BTreeMap::new();
        for f in findings {
            *found.entry(self.key(f, origin)).or_insert(0) += 1;
        }
        found
    }

    /// The file text: pretty JSON, entries sorted, trailing newline.
    pub fn to_json(&self) -> String {
        let doc = BaselineFile {
            format: FORMAT.into(),
            version: VERSION,
            entries: self
                .entries
                .iter()
                .map(|((path, rule_id, hash), count)| Entry {
                    path: path.clone(),
                    rule_id: rule_id.clone(),
                    hash: hash.clone(),
                    count: *count,
                })
                .collect(),
        };
        // Serialising plain strings and integers cannot fail; an empty file
        // would silently drop every accepted finding, so never write one.
        let mut s = serde_json::to_string_pretty(&doc)
            .expect("a baseline of strings and integers serialises");
        s.push('\n');
        s
    }
}

/// Hands out baseline entries, each accepted finding once.
#[derive(Debug)]
pub struct Matcher<'a> {
    baseline: &'a Baseline,
    remaining: BTreeMap<Key, usize>,
}

impl Matcher<'_> {
    /// True (and uses up one accepted occurrence) when `finding` is accepted.
    pub fn take(&mut self, finding: &Finding, origin: &Path) -> bool {
        let key = self.baseline.key(finding, origin);
        match self.remaining.get_mut(&key) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        }
    }
}

/// Byte offset of a 1-based line/column in `text` (serde_json positions).
fn offset_of(text: &str, line: usize, column: usize) -> Option<usize> {
    if line == 0 {
        return None;
    }
    let start: usize = text
        .split_inclusive('\n')
        .take(line - 1)
        .map(str::len)
        .sum();
    Some((start + column.saturating_sub(1)).min(text.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_from_line_and_column() {
        assert_eq!(offset_of("ab\ncd", 2, 2), Some(4));
        assert_eq!(offset_of("ab", 0, 0), None);
    }

    #[test]
    fn rejects_unknown_fields_and_other_formats() {
        let p = Path::new("b.json");
        assert!(Baseline::parse(
            p,
            r#"{"format":"keysweep-baseline","version":1,"entries":[],"x":1}"#
        )
        .is_err());
        assert!(Baseline::parse(p, r#"{"format":"other","version":1,"entries":[]}"#).is_err());
        let b = Baseline::parse(
            p,
            r#"{"format":"keysweep-baseline","version":1,"entries":[{"path":"a","rule_id":"r","hash":"h","count":2}]}"#,
        )
        .unwrap();
        assert_eq!(b.len(), 2);
    }
}
