//! Why `fix` leaves a file untouched.

use super::edit::ApplyError;
use crate::finding::SkipReason;

/// Why a file was left untouched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The file's bytes differ from the ones the edits were computed on.
    Changed,
    /// The path is no longer a regular file (symlink, directory, vanished).
    NotRegular(String),
    /// An I/O error (permissions, full disk, ...).
    Io(String),
    /// The file has several hard links: replacing it would split them.
    HardLinked(u64),
    /// A setuid or setgid file: a rewrite must not touch what runs with
    /// another user's rights.
    SetId,
    /// The rewritten file could not keep the original's owner, group or
    /// extended attributes.
    Identity(String),
    /// UTF-16 files are scanned but never rewritten.
    Utf16,
    /// The file cannot be read as the scan read it.
    Unreadable {
        /// The skip reason.
        reason: SkipReason,
        /// What happened.
        detail: String,
    },
    /// Rescanning after each pass kept offering edits.
    NoConvergence {
        /// How many passes were made.
        passes: usize,
        /// The rules involved.
        rules: Vec<String>,
    },
    /// An edit did not fit the text it was computed on (a scanner bug).
    Internal(ApplyError),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Changed => {
                f.write_str("the file changed since it was scanned; run keysweep fix again")
            }
            Refusal::NotRegular(d) => write!(f, "not a regular file any more ({d})"),
            Refusal::Io(e) => write!(f, "I/O error: {e}"),
            Refusal::HardLinked(n) => write!(
                f,
                "the file has {n} hard links; replacing it would split them (edit it by hand)"
            ),
            Refusal::SetId => f.write_str(
                "setuid/setgid file; keysweep does not rewrite files that run with other rights",
            ),
            Refusal::Identity(why) => write!(f, "{why}; the file was left as it is"),
            Refusal::Utf16 => f.write_str("UTF-16 files are not rewritten; edit it by hand"),
            Refusal::Unreadable { reason, detail } => write!(f, "{}: {detail}", reason.as_str()),
            Refusal::NoConvergence { passes, rules } => write!(
                f,
                "fixes do not converge after {passes} passes (rules {}); check their fix sections",
                rules.join(", ")
            ),
            Refusal::Internal(e) => write!(f, "internal edit error: {e}"),
        }
    }
}
