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
//!
//! Version 2 stores no plain hash of a value: an entry's `hash` is
//! PBKDF2-HMAC-SHA256 of the finding's value hash, with a random salt kept in
//! the file (`kdf`) and [`KDF_ITERATIONS`] iterations, so recovering a short
//! value (a 10-character legacy key) from a committed baseline costs more
//! than 10^22 SHA-256 computations. Only findings whose path and rule have an
//! entry are hashed when matching, once per distinct value. Version 1 files
//! (plain SHA-256) are still read and matched; `keysweep baseline` rewrites
//! them as version 2 (the old hashes are the KDF's input, so nothing is
//! lost).

use crate::error::{shared_source, Error, ProblemKind, SourceProblem};
use crate::finding::Finding;
use crate::util::paths::{display_path, normalise, normalised_absolute};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// `format` value of a baseline file.
pub const FORMAT: &str = "keysweep-baseline";
/// Current baseline schema version.
pub const VERSION: u32 = 2;
/// The version with plain SHA-256 value hashes, still read.
pub const LEGACY_VERSION: u32 = 1;
/// KDF of version 2 files.
pub const KDF_ALGORITHM: &str = "pbkdf2-hmac-sha256";
/// PBKDF2 iterations written into new baselines (each costs two SHA-256
/// compressions).
pub const KDF_ITERATIONS: u32 = 20_000;
/// Iterations accepted when reading (a hostile file must not stall a scan).
const KDF_ITERATIONS_RANGE: std::ops::RangeInclusive<u32> = 1_000..=1_000_000;
/// Default file name.
pub const DEFAULT_FILE: &str = "keysweep-baseline.json";

/// The file as written on disk.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BaselineFile {
    format: String,
    version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kdf: Option<KdfSpec>,
    entries: Vec<Entry>,
}

/// The `kdf` object of a version 2 file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KdfSpec {
    algorithm: String,
    iterations: u32,
    /// Hex.
    salt: String,
}

/// How entry hashes are derived from finding value hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Kdf {
    iterations: u32,
    salt: Vec<u8>,
}

impl Kdf {
    fn fresh() -> Kdf {
        let mut salt = vec![0u8; 16];
        if getrandom::fill(&mut salt).is_err() {
            // No OS randomness (never seen on supported systems): a salt
            // unique to this moment and process still defeats precomputation.
            use sha2::{Digest, Sha256};
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            let mut h = Sha256::new();
            h.update(now.to_le_bytes());
            h.update(std::process::id().to_le_bytes());
            salt = h.finalize()[..16].to_vec();
        }
        Kdf {
            iterations: KDF_ITERATIONS,
            salt,
        }
    }

    fn derive(&self, value_hash: &str) -> String {
        let mut out = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<sha2::Sha256>(
            value_hash.as_bytes(),
            &self.salt,
            self.iterations,
            &mut out,
        );
        hex(&out)
    }

    fn spec(&self) -> KdfSpec {
        KdfSpec {
            algorithm: KDF_ALGORITHM.into(),
            iterations: self.iterations,
            salt: hex(&self.salt),
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
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
    /// (path, rule id) of every entry: a finding elsewhere is not hashed.
    scopes: BTreeSet<(String, String)>,
    /// `None` for a version 1 file (entry hashes are plain value hashes).
    kdf: Option<Kdf>,
    /// Value hash → entry hash, computed once per distinct value.
    cache: RefCell<HashMap<String, String>>,
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
            scopes: BTreeSet::new(),
            kdf: Some(Kdf::fresh()),
            cache: RefCell::new(HashMap::new()),
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
        if doc.format != FORMAT || !(doc.version == VERSION || doc.version == LEGACY_VERSION) {
            return Err(problem(
                format!(
                    "not a keysweep baseline version {VERSION} or {LEGACY_VERSION} (format `{}`, version {})",
                    doc.format, doc.version
                ),
                Some(0),
            ));
        }
        let kdf_at = text.find("\"kdf\"").or(Some(0));
        let kdf = match (doc.version, doc.kdf) {
            (LEGACY_VERSION, None) => None,
            (LEGACY_VERSION, Some(_)) => {
                return Err(problem("a version 1 baseline has no `kdf`".into(), kdf_at))
            }
            (_, None) => {
                return Err(problem(
                    format!("a version {VERSION} baseline needs `kdf`"),
                    Some(0),
                ))
            }
            (_, Some(k)) => {
                let salt = unhex(&k.salt).filter(|s| (8..=64).contains(&s.len()));
                match salt {
                    Some(salt)
                        if k.algorithm == KDF_ALGORITHM
                            && KDF_ITERATIONS_RANGE.contains(&k.iterations) =>
                    {
                        Some(Kdf {
                            iterations: k.iterations,
                            salt,
                        })
                    }
                    _ => {
                        return Err(problem(
                            format!(
                                "`kdf` must be {KDF_ALGORITHM} with {} to {} iterations and a hex salt of 8 to 64 bytes",
                                KDF_ITERATIONS_RANGE.start(),
                                KDF_ITERATIONS_RANGE.end()
                            ),
                            kdf_at,
                        ))
                    }
                }
            }
        };
        let mut b = Baseline::empty(file);
        b.name = name;
        b.kdf = kdf;
        for e in doc.entries {
            b.scopes.insert((e.path.clone(), e.rule_id.clone()));
            *b.entries.entry((e.path, e.rule_id, e.hash)).or_insert(0) += e.count.max(1);
        }
        Ok(b)
    }

    /// Whether the file was a version 1 baseline (plain value hashes);
    /// writing it back upgrades it.
    pub fn is_legacy(&self) -> bool {
        self.kdf.is_none()
    }

    /// Rewrites a version 1 baseline's entries with a fresh salt: the old
    /// plain hashes are exactly what the KDF takes, so no entry is lost.
    fn upgrade(&mut self) {
        if self.kdf.is_some() {
            return;
        }
        let kdf = Kdf::fresh();
        self.entries = std::mem::take(&mut self.entries)
            .into_iter()
            .map(|((p, r, h), n)| ((p, r, kdf.derive(&h)), n))
            .collect();
        self.kdf = Some(kdf);
        self.cache.borrow_mut().clear();
    }

    /// The entry hash of a finding's value hash (cached per value).
    fn entry_hash(&self, value_hash: &str) -> String {
        let Some(kdf) = &self.kdf else {
            return value_hash.to_string();
        };
        if let Some(h) = self.cache.borrow().get(value_hash) {
            return h.clone();
        }
        let h = kdf.derive(value_hash);
        self.cache
            .borrow_mut()
            .insert(value_hash.to_string(), h.clone());
        h
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

    /// The baseline path of `finding`, whose relative path is relative to
    /// `origin`.
    fn path_of(&self, finding: &Finding, origin: &Path) -> String {
        let p = Path::new(&finding.path);
        let abs = if p.is_absolute() {
            normalise(p)
        } else {
            normalise(&origin.join(p))
        };
        match abs.strip_prefix(&self.base_dir) {
            Ok(rel) => display_path(rel),
            Err(_) => display_path(&abs),
        }
    }

    /// The key of `finding`, whose relative path is relative to `origin`
    /// (computing the KDF of its value).
    pub fn key(&self, finding: &Finding, origin: &Path) -> Key {
        (
            self.path_of(finding, origin),
            finding.rule_id.clone(),
            self.entry_hash(&finding.match_hash),
        )
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
        self.upgrade();
        let found = self.count(findings, origin);
        let mut added = 0;
        for (k, n) in found {
            let have = self.entries.entry(k).or_insert(0);
            if n > *have {
                added += n - *have;
                *have = n;
            }
        }
        self.rescope();
        added
    }

    /// Drops entries (or parts of counts) that no longer match any finding.
    /// Returns how many accepted findings were dropped.
    pub fn prune<'a>(
        &mut self,
        findings: impl IntoIterator<Item = &'a Finding>,
        origin: &Path,
    ) -> usize {
        self.upgrade();
        let found = self.count(findings, origin);
        let mut dropped = 0;
        self.entries.retain(|k, n| {
            let keep = found.get(k).copied().unwrap_or(0).min(*n);
            dropped += *n - keep;
            *n = keep;
            keep > 0
        });
        self.rescope();
        dropped
    }

    fn rescope(&mut self) {
        self.scopes = self
            .entries
            .keys()
            .map(|(p, r, _)| (p.clone(), r.clone()))
            .collect();
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
            version: if self.kdf.is_some() {
                VERSION
            } else {
                LEGACY_VERSION
            },
            kdf: self.kdf.as_ref().map(Kdf::spec),
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
        let path = self.baseline.path_of(finding, origin);
        // Only a finding whose path and rule have an entry costs a KDF.
        if !self
            .baseline
            .scopes
            .contains(&(path.clone(), finding.rule_id.clone()))
        {
            return false;
        }
        let key = (
            path,
            finding.rule_id.clone(),
            self.baseline.entry_hash(&finding.match_hash),
        );
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
        assert!(b.is_legacy());
        // Version 2 needs a sane kdf.
        for kdf in [
            "",
            r#","kdf":{"algorithm":"md5","iterations":20000,"salt":"00112233445566778899aabbccddeeff"}"#,
            r#","kdf":{"algorithm":"pbkdf2-hmac-sha256","iterations":4000000000,"salt":"00112233445566778899aabbccddeeff"}"#,
            r#","kdf":{"algorithm":"pbkdf2-hmac-sha256","iterations":20000,"salt":"xy"}"#,
        ] {
            let text = format!(r#"{{"format":"keysweep-baseline","version":2{kdf},"entries":[]}}"#);
            assert!(Baseline::parse(p, &text).is_err(), "{text}");
        }
    }

    #[test]
    fn version_2_stores_no_plain_hash_and_round_trips() {
        let dir = std::env::temp_dir();
        let mut f = crate::finding::Finding {
            rule_id: "r".into(),
            severity: crate::finding::Severity::High,
            path: "a.env".into(),
            location: crate::finding::Location {
                line: 1,
                column: 1,
                end_line: 1,
                end_column: 2,
                byte_start: 0,
                byte_end: 1,
            },
            snippet: crate::finding::Snippet {
                text: String::new(),
                highlight_start: 0,
                highlight_len: 1,
            },
            secret: None,
            fingerprint: String::new(),
            fix: None,
            match_hash: crate::finding::secret_hash("4dR9xK2pQz"),
            suppression: None,
            occurrences: 1,
            commit: None,
            file: None,
            manual: None,
        };
        let mut b = Baseline::empty(&dir.join("b.json"));
        assert_eq!(b.accept([&f], &dir), 1);
        let text = b.to_json();
        assert!(text.contains("\"version\": 2") && text.contains(KDF_ALGORITHM));
        assert!(!text.contains(&f.match_hash));
        let back = Baseline::parse(&dir.join("b.json"), &text).unwrap();
        assert!(back.matcher().take(&f, &dir));
        f.match_hash = crate::finding::secret_hash("other");
        assert!(!back.matcher().take(&f, &dir));
        // A version 1 file matches by plain hash and upgrades on update.
        let v1 = format!(
            r#"{{"format":"keysweep-baseline","version":1,"entries":[{{"path":"a.env","rule_id":"r","hash":"{}"}}]}}"#,
            f.match_hash
        );
        let mut old = Baseline::parse(&dir.join("b.json"), &v1).unwrap();
        assert!(old.matcher().take(&f, &dir));
        assert_eq!(old.accept([&f], &dir), 0);
        assert!(!old.is_legacy() && !old.to_json().contains(&f.match_hash));
        assert!(old.matcher().take(&f, &dir));
    }
}
