//! The data that flows from the scanner to the reporters: findings, severities,
//! redacted secrets and per-run statistics.
//!
//! Nothing here knows how a finding was produced or how it will be printed.
//! Raw secret values never live in these types unless the user asked for them
//! with `--show-secrets`; everything else carries the redacted form and a hash.
//!
//! [`Judge`] is the narrow interface through which the scanner asks the
//! suppression layer about a finding while the raw line is still at hand.

use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// How bad a finding is, ordered from least to most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Expected or harmless; never fails a run.
    Info,
    /// Deprecated usage or cosmetic debt.
    Low,
    /// Functional breakage or latent misconfiguration.
    Medium,
    /// An exposed credential or a policy breach.
    High,
    /// A live credential committed in clear.
    Critical,
}

impl Severity {
    /// All severities, most severe first (report order).
    pub const ALL_DESC: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    /// Lowercase name used in rule files and every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// The report level: critical and high are errors, medium a warning,
    /// low and info notes (the SARIF levels; the human report uses the same).
    pub fn level(self) -> Level {
        match self {
            Severity::Critical | Severity::High => Level::Error,
            Severity::Medium => Level::Warning,
            Severity::Low | Severity::Info => Level::Note,
        }
    }
}

impl std::str::FromStr for Severity {
    type Err = ();

    /// Parses the lowercase name used in rule and config files.
    fn from_str(s: &str) -> Result<Severity, ()> {
        Ok(match s {
            "info" => Severity::Info,
            "low" => Severity::Low,
            "medium" => Severity::Medium,
            "high" => Severity::High,
            "critical" => Severity::Critical,
            _ => return Err(()),
        })
    }
}

/// How loudly a finding is reported (SARIF `level`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// A problem to fix now.
    Error,
    /// A problem to fix.
    Warning,
    /// Worth knowing.
    Note,
}

impl Level {
    /// The SARIF name of the level.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Note => "note",
        }
    }
}

/// Severity threshold that makes a scan fail (`--fail-on`, `fail_on`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    /// Fail only on critical findings.
    Critical,
    /// Fail on high or critical.
    High,
    /// Fail on medium and above.
    Medium,
    /// Fail on low and above (default).
    Low,
    /// Never fail because of findings.
    Never,
}

impl FailOn {
    /// The lowest failing severity (`None` = never fail).
    pub fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Critical => Some(Severity::Critical),
            FailOn::High => Some(Severity::High),
            FailOn::Medium => Some(Severity::Medium),
            FailOn::Low => Some(Severity::Low),
            FailOn::Never => None,
        }
    }

    /// Whether `findings` fail a run at this threshold. Info findings never
    /// fail, whatever the threshold.
    pub fn fails<'a>(self, findings: impl IntoIterator<Item = &'a Finding>) -> bool {
        self.threshold().is_some_and(|t| {
            findings
                .into_iter()
                .any(|f| f.severity >= t && f.severity > Severity::Info)
        })
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A 1-based position range inside a file. Columns count Unicode code points
/// and `end_column` points one past the last character (the SARIF convention).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Location {
    /// 1-based line of the first character.
    pub line: usize,
    /// 1-based column of the first character.
    pub column: usize,
    /// 1-based line of the last character.
    pub end_line: usize,
    /// 1-based column one past the last character.
    pub end_column: usize,
    /// Byte offset of the first byte in the scanned content.
    #[serde(skip)]
    pub byte_start: usize,
    /// Byte offset one past the last byte in the scanned content.
    #[serde(skip)]
    pub byte_end: usize,
}

/// A secret value as the reporters see it: always redacted, with the raw value
/// present only when the user asked for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretView {
    redacted: String,
    hash: String,
    raw: Option<String>,
}

impl SecretView {
    /// Builds the view of `raw`, keeping the raw value only if `show` is set.
    pub fn new(raw: &str, show: bool) -> SecretView {
        SecretView {
            redacted: redact(raw),
            hash: secret_hash(raw),
            raw: show.then(|| raw.to_string()),
        }
    }

    /// The redacted form, e.g. `ls-VuTa******` or `4dR9******`.
    pub fn redacted(&self) -> &str {
        &self.redacted
    }

    /// `sha256:<hex>` of the raw value; used for fingerprints and baselines.
    pub fn hash(&self) -> &str {
        &self.hash
    }

    /// What to print: the raw value when `--show-secrets` was given, else the
    /// redacted form.
    pub fn display(&self) -> &str {
        self.raw.as_deref().unwrap_or(&self.redacted)
    }

    /// True when the raw value is being shown.
    pub fn is_exposed(&self) -> bool {
        self.raw.is_some()
    }
}

impl fmt::Display for SecretView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.display())
    }
}

impl Serialize for SecretView {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.display())
    }
}

/// Redacts a secret, keeping a short recognisable prefix.
///
/// An Auth Token keeps its `ls…-` prefix and four characters; other values
/// of more than [`FULLY_MASKED_LEN`] characters keep up to four (never more
/// than a third of the value); shorter values are masked entirely, so a
/// report never narrows the search for a legacy key or a password. At most
/// six `*` are printed so the length of long secrets is not disclosed
/// exactly.
pub fn redact(raw: &str) -> String {
    let chars: Vec<char> = raw.chars().collect();
    let prefix_len = token_prefix_len(raw);
    let body = chars.len() - prefix_len;
    let keep = if body <= FULLY_MASKED_LEN {
        0
    } else {
        (body / 3).min(4)
    };
    let masked = (body - keep).clamp(1, 6);
    let mut out: String = chars[..prefix_len + keep].iter().collect();
    out.extend(std::iter::repeat_n('*', masked));
    out
}

/// Values of up to this many characters (after an Auth Token prefix) show
/// no character when redacted.
pub const FULLY_MASKED_LEN: usize = 16;

/// Length in chars of an `ls[a-zA-Z]*-` prefix, or 0.
fn token_prefix_len(raw: &str) -> usize {
    let b = raw.as_bytes();
    if b.len() < 8 || !b.starts_with(b"ls") {
        return 0;
    }
    let mut i = 2;
    while i < b.len() && b[i].is_ascii_alphabetic() {
        i += 1;
    }
    if i < b.len() && b[i] == b'-' && i <= 8 {
        i + 1
    } else {
        0
    }
}

/// `sha256:<hex>` of a value, domain-separated so it cannot be confused with a
/// plain digest of the secret published elsewhere.
pub fn secret_hash(raw: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"keysweep-secret\0");
    h.update(raw.as_bytes());
    format!("sha256:{:x}", h.finalize())
}

/// The source line of a finding, ready to print: secrets on it are already
/// redacted (unless shown on request) and very long lines are cut to a window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Snippet {
    /// The (possibly windowed) line text without its line terminator.
    pub text: String,
    /// Char offset inside `text` where the highlighted part starts.
    pub highlight_start: usize,
    /// Length in chars of the highlighted part (at least 1).
    pub highlight_len: usize,
}

/// One thing the scanner found, with everything the reporters need.
#[derive(Debug, Clone)]
pub struct Finding {
    /// Stable id of the rule that matched.
    pub rule_id: String,
    /// Severity of the rule (after any override).
    pub severity: Severity,
    /// Path as reported: relative, `/`-separated where possible.
    pub path: String,
    /// Where the finding is.
    pub location: Location,
    /// The source line, redacted.
    pub snippet: Snippet,
    /// The secret value, if the rule reports one.
    pub secret: Option<SecretView>,
    /// Hash of what identifies this finding independently of its line:
    /// rule id, path, secret hash (or matched text) and occurrence index.
    pub fingerprint: String,
    /// The mechanical rewrite of the rule, if it declares one and it applies here.
    pub fix: Option<Fix>,
    /// `secret_hash` of the secret, or of the whitespace-normalised matched
    /// text for rules without a secret group (the baseline key).
    pub match_hash: String,
    /// Why the finding does not count, if it was suppressed (inline
    /// directive, keysweep.toml allowlist, baseline). Suppressed findings are
    /// reported, never dropped.
    pub suppression: Option<Suppression>,
    /// Where in git history the finding was introduced (history scans only).
    pub commit: Option<CommitInfo>,
    /// How many times the problem occurs on this line (one finding per line
    /// and rule; at least 1).
    pub occurrences: usize,
    /// The file on disk the finding was read from, when it was one (tree
    /// scans): its exact name, which `path` shows lossily when it is not
    /// UTF-8. `fix` rewrites this file.
    pub file: Option<std::path::PathBuf>,
    /// Why `keysweep fix` leaves (part of) this finding to a person, when it
    /// does: no safe rewrite exists, or the rename it needs is held back
    /// (see `fix::rename`). Set when the repository's renames are planned.
    pub manual: Option<String>,
}

impl Finding {
    /// Whether this is a committed credential: editing does not fix it, the
    /// value must be rotated. (High findings without a value, such as a
    /// template that would write a token into a file, are work for a person
    /// instead.)
    pub fn needs_rotation(&self) -> bool {
        self.severity >= Severity::High && self.secret.is_some()
    }

    /// Whether the finding counts (was not suppressed).
    pub fn is_active(&self) -> bool {
        self.suppression.is_none()
    }
}

/// Decides, while the scanner still holds the raw text, whether a finding is
/// accepted. Implemented by `crate::suppress::Suppressors`.
///
/// Two steps, so that a line with a thousand findings is read once: the
/// scanner asks for the inline directive of each raw source line a finding
/// is on (and keeps the answer per line), then for each finding's verdict
/// given its rule id, its matched value (the secret, or the matched text for
/// rules without one) and that directive.
pub trait Judge: Sync {
    /// The inline directive on one raw source line, if this judge honours
    /// inline directives.
    fn directive(&self, line: &[u8]) -> Option<Directive>;

    /// The suppression that applies to a finding, if any.
    fn judge(
        &self,
        rule_id: &str,
        value: &[u8],
        directive: Option<&Directive>,
    ) -> Option<Suppression>;
}

/// A judge that accepts nothing (rule self-tests, raw scans).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoJudge;

impl Judge for NoJudge {
    fn directive(&self, _: &[u8]) -> Option<Directive> {
        None
    }

    fn judge(&self, _: &str, _: &[u8], _: Option<&Directive>) -> Option<Suppression> {
        None
    }
}

/// Provenance of a finding made in git history: the oldest commit that
/// introduced it, and how widespread it is. The same secret (rule + secret
/// hash) found in many commits or paths is one finding carrying these counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommitInfo {
    /// Full id of the oldest commit that introduced the finding.
    pub id: String,
    /// Abbreviated id (7 hex digits).
    pub short_id: String,
    /// Author date of that commit, RFC 3339 with the author's UTC offset.
    pub author_date: String,
    /// First line of the commit message (at most 72 characters).
    pub summary: String,
    /// Number of distinct commits that added or changed a file so that it
    /// contained this finding (a file carried along unchanged is not counted).
    pub occurrences: u64,
    /// Every path at which it was committed, the reported path first.
    pub paths: Vec<String>,
}

/// What a history scan covered, for summaries and SARIF provenance.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct HistoryStats {
    /// `remote.origin.url` without credentials, else a `file://` URI of the repository.
    pub repository_uri: String,
    /// Id of the commit HEAD pointed to, if any.
    pub revision: Option<String>,
    /// Branch HEAD pointed to, if any (e.g. `refs/heads/main`).
    pub branch: Option<String>,
    /// Commits walked.
    pub commits: u64,
    /// Distinct blobs introduced by the walked commits. `files_scanned`
    /// counts scans: a blob is scanned once per distinct set of rules that
    /// apply to its paths.
    pub blobs: u64,
    /// Milliseconds spent walking commits and comparing trees (the rest of
    /// `elapsed_ms` is reading and scanning blobs).
    pub walk_ms: u64,
}

/// An inline ignore comment found on a finding's source line, e.g.
/// `keysweep:ignore`, `keysweep:ignore[rule-id]` or a peer tool's form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// The marker as written in the source: `keysweep:ignore`,
    /// `gitleaks:allow`, `pragma: allowlist secret` or `trufflehog:ignore`.
    pub marker: &'static str,
    /// Rule ids the directive is limited to; empty means every rule.
    pub rules: Vec<String>,
}

impl Directive {
    /// Whether the directive silences findings of `rule_id`.
    pub fn covers(&self, rule_id: &str) -> bool {
        self.rules.is_empty() || self.rules.iter().any(|r| r == rule_id)
    }
}

/// Where a suppression is persisted (the SARIF `suppression.kind` values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum SuppressionKind {
    /// A comment in the scanned source.
    InSource,
    /// A file outside the source: the baseline or keysweep.toml.
    External,
}

/// Why a finding was suppressed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suppression {
    /// In source or external.
    pub kind: SuppressionKind,
    /// Short name of the mechanism: `inline`, `baseline` or `allowlist`.
    pub by: &'static str,
    /// Human explanation, e.g. the marker, the baseline file or the pattern.
    pub justification: String,
}

/// One replacement of a byte range of the scanned content (which excludes a
/// UTF-8 BOM). Never overlaps the finding's secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    /// Where: byte range and 1-based line/column of the text to replace.
    pub location: Location,
    /// The text at that range when it was scanned (checked before writing).
    pub original: String,
    /// The literal text to put there.
    pub replacement: String,
    /// The `keysweep fix` flag this edit needs (e.g. `rename-secrets`), if
    /// the default mode leaves it out.
    pub opt_in: Option<String>,
}

/// The edits that migrate one finding: its rule's rewrite and the renames
/// the repository's rename plan gives the names on its lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    /// Edits in content order. Empty when every edit the finding needs is
    /// carried by another finding on the same text (edits never overlap
    /// across findings, so applying every finding's fix applies each once).
    pub edits: Vec<Edit>,
    /// Name of the flag the user must pass for any of this fix to be
    /// applied (every edit needs it); `None` when some edit applies by default.
    pub opt_in: Option<String>,
    /// What else the user must do (e.g. create the renamed CI secret).
    pub note: Option<String>,
    /// `sha256:<hex>` of the scanned content the offsets refer to; a file
    /// whose content no longer hashes to this is refused.
    pub content_digest: String,
}

/// `sha256:<hex>` of a file's scanned content (see [`Fix::content_digest`]).
pub fn content_digest(content: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    format!("sha256:{:x}", Sha256::digest(content))
}

/// Why a file was not scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SkipReason {
    /// Contains NUL bytes near the start.
    Binary,
    /// Larger than `--max-file-size`.
    TooLarge,
    /// Could not be opened or read (permissions, vanished, I/O error).
    Unreadable,
    /// Excluded by `.gitignore`/`.ignore` (counted, not listed).
    Ignored,
    /// A symbolic link (never followed).
    Symlink,
    /// A FIFO, socket or device.
    Special,
    /// A report, baseline or plan written by keysweep (recognised by its
    /// content): scanning it would report the legacy forms its help text quotes.
    KeysweepReport,
    /// A file this run writes (`--output`, `--report`) or reads as its
    /// baseline (`--baseline`).
    OwnOutput,
    /// A temporary file of an interrupted `keysweep fix --write` or report
    /// write (`.keysweep-fix-*.tmp`, `.keysweep-out-*.tmp`): a copy of
    /// another file, never scanned twice.
    KeysweepTemp,
}

impl SkipReason {
    /// Kebab-case name used in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Binary => "binary",
            SkipReason::TooLarge => "too-large",
            SkipReason::Unreadable => "unreadable",
            SkipReason::Ignored => "ignored",
            SkipReason::Symlink => "symlink",
            SkipReason::Special => "special",
            SkipReason::KeysweepReport => "keysweep-report",
            SkipReason::OwnOutput => "own-output",
            SkipReason::KeysweepTemp => "keysweep-temp",
        }
    }
}

/// A path that was skipped, with the reason and a human detail.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Skipped {
    /// Path as reported.
    pub path: String,
    /// Why.
    pub reason: SkipReason,
    /// Extra detail, e.g. the OS error.
    pub detail: String,
}

/// What became of the mentions of one entity (every occurrence of the
/// legacy variable, an image reference, …): each is reported by a finding or
/// silent for a stated reason.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MentionStats {
    /// Mentions seen.
    pub found: u64,
    /// Mentions a finding accounts for.
    pub reported: u64,
    /// Silent mentions by reason.
    pub silent: BTreeMap<String, u64>,
    /// Mentions no rule and no stated reason applied to (a gap in the rule
    /// pack: the rules check and the tests keep this at zero).
    pub unclassified: u64,
}

impl MentionStats {
    /// Adds `other` to these counts.
    pub fn add(&mut self, other: &MentionStats) {
        self.found += other.found;
        self.reported += other.reported;
        self.unclassified += other.unclassified;
        for (reason, n) in &other.silent {
            *self.silent.entry(reason.clone()).or_insert(0) += n;
        }
    }
}

/// One mention left silent, with the reason (listed by `--verbose`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct SilentMention {
    /// Path as reported.
    pub path: String,
    /// 1-based line.
    pub line: usize,
    /// The entity.
    pub entity: String,
    /// Why it is not a finding; `None` when nothing applied (unclassified).
    pub reason: Option<String>,
}

/// Counters for one run.
#[derive(Debug, Clone, Default)]
pub struct ScanStats {
    /// Files whose content was scanned.
    pub files_scanned: u64,
    /// Bytes of content scanned.
    pub bytes_scanned: u64,
    /// Wall time of the scan in milliseconds.
    pub elapsed_ms: u64,
    /// Skipped paths by reason (ignored paths included).
    pub skipped: BTreeMap<SkipReason, u64>,
    /// Files where a rule hit its per-file match cap (rule id → files).
    pub truncated: BTreeMap<String, u64>,
    /// Set when git history was scanned instead of a tree of files.
    pub history: Option<HistoryStats>,
    /// What became of each entity's mentions.
    pub mentions: BTreeMap<String, MentionStats>,
    /// Findings left out because the run hit its cap on findings kept
    /// (`ScanOptions::max_findings`).
    pub dropped_findings: u64,
}

/// How a set of findings splits between what `fix` does, what it does only
/// with `--rename-secrets`, what needs a person and what needs rotating.
/// `scan`, `fix` and `plan` print these same numbers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// Findings the default `fix` rewrites.
    pub fixable: usize,
    /// Findings only `fix --rename-secrets` rewrites.
    pub opt_in: usize,
    /// Findings (above info) `fix` leaves to a person, in whole or in part
    /// (each says why in [`Finding::manual`]).
    pub manual: usize,
    /// Committed credentials to rotate.
    pub rotate: usize,
}

impl Tally {
    /// Counts active (unsuppressed) findings.
    pub fn of(findings: &[Finding]) -> Tally {
        let mut t = Tally::default();
        for f in findings.iter().filter(|f| f.is_active()) {
            if f.needs_rotation() {
                t.rotate += 1;
                continue;
            }
            match (&f.fix, &f.manual) {
                (_, Some(_)) if f.severity > Severity::Info => t.manual += 1,
                (_, Some(_)) => {}
                (Some(x), None) if x.opt_in.is_none() => t.fixable += 1,
                (Some(_), None) => t.opt_in += 1,
                (None, None) if f.severity > Severity::Info => t.manual += 1,
                (None, None) => {}
            }
        }
        t
    }

    /// Active findings with at least one edit that waits for `--flag`
    /// (whole fixes counted in [`Tally::opt_in`] and partial ones alike).
    pub fn waiting_for(findings: &[Finding], flag: &str) -> usize {
        findings
            .iter()
            .filter(|f| f.is_active())
            .filter(|f| {
                f.fix
                    .iter()
                    .flat_map(|x| x.edits.iter())
                    .any(|e| e.opt_in.as_deref() == Some(flag))
            })
            .count()
    }

    /// One line: `3 fixable, 1 more with --rename-secrets, 2 need a person, 1 to rotate`.
    pub fn line(&self) -> String {
        let verb = if self.manual == 1 { "needs" } else { "need" };
        format!(
            "{} fixable, {} more with --rename-secrets, {} {verb} a person, {} to rotate",
            self.fixable, self.opt_in, self.manual, self.rotate
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tally_line_agrees_in_number() {
        let one = Tally {
            fixable: 2,
            opt_in: 0,
            manual: 1,
            rotate: 3,
        };
        assert_eq!(
            one.line(),
            "2 fixable, 0 more with --rename-secrets, 1 needs a person, 3 to rotate"
        );
        let two = Tally { manual: 2, ..one };
        assert!(two.line().contains(", 2 need a person,"), "{}", two.line());
        let none = Tally { manual: 0, ..one };
        assert!(
            none.line().contains(", 0 need a person,"),
            "{}",
            none.line()
        );
    }

    #[test]
    fn redacts_tokens_keys_and_short_values() {
        assert_eq!(
            redact("ls-VuTa1234-abcd-efgh-ijkl-mnopqrst1234"),
            "ls-VuTa******"
        );
        assert_eq!(redact("4dR9xK2pQz"), "******");
        assert_eq!(redact("0123456789abcdef"), "******");
        assert_eq!(redact("0123456789abcdefg"), "0123******");
        assert_eq!(redact("hunter2"), "******");
        assert_eq!(redact("abc"), "***");
        assert_eq!(redact(""), "*");
    }

    #[test]
    fn redaction_never_contains_the_full_value() {
        for s in [
            "4dR9xK2pQz",
            "ls-VuTa1234-abcd-efgh-ijkl-mnopqrst1234",
            "p4ssw0rd!",
        ] {
            assert!(!redact(s).contains(s));
        }
    }

    #[test]
    fn secret_view_hides_raw_unless_asked() {
        let v = SecretView::new("4dR9xK2pQz", false);
        assert_eq!(v.to_string(), "******");
        assert!(serde_json::to_string(&v).unwrap().contains("******"));
        let v = SecretView::new("4dR9xK2pQz", true);
        assert_eq!(v.to_string(), "4dR9xK2pQz");
        assert!(v.hash().starts_with("sha256:"));
    }
}
