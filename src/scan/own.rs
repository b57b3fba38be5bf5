//! Files keysweep wrote itself. A keysweep report quotes the legacy forms in
//! its help text and snippets, so scanning one reports it again: every
//! report, baseline and plan keysweep writes is recognised by its first few
//! KiB and skipped as `keysweep-report`, and the files of the current run
//! (its outputs and its baseline) are skipped by identity as `own-output`.

use std::path::{Path, PathBuf};

/// How many leading bytes are sniffed for a keysweep document.
pub const SNIFF_LEN: usize = 8192;

/// The first line of a Markdown plan (an HTML comment, invisible when
/// rendered), by which a committed plan is recognised.
pub const PLAN_MARKER: &str = "<!-- keysweep-plan -->";

/// What kind of keysweep document `content` starts like, if any: a JSON
/// report, baseline or plan (`"format": "keysweep-…"`), a SARIF log whose
/// driver is keysweep, a GitLab secret-detection report whose scanner is
/// keysweep, a GitLab Code Quality report whose engine is keysweep, or a
/// Markdown plan. Only the first [`SNIFF_LEN`] bytes are looked at.
pub fn sniff(content: &[u8]) -> Option<&'static str> {
    let head = &content[..content.len().min(SNIFF_LEN)];
    let start = head.iter().position(|b| !b.is_ascii_whitespace())?;
    let head = &head[start..];
    let has = |needle: &str| memchr::memmem::find(head, needle.as_bytes()).is_some();
    // A Markdown plan has the marker on its second line.
    if memchr::memmem::find(&head[..head.len().min(256)], PLAN_MARKER.as_bytes()).is_some() {
        return Some("a keysweep plan");
    }
    match head.first() {
        Some(b'{') => {}
        Some(b'[') => {
            return (has("\"engine_name\": \"keysweep\"") || has("\"engine_name\":\"keysweep\""))
                .then_some("a keysweep GitLab Code Quality report");
        }
        _ => return None,
    }
    for (format, what) in [
        ("keysweep-report", "a keysweep JSON report"),
        ("keysweep-baseline", "a keysweep baseline"),
        ("keysweep-plan", "a keysweep plan"),
    ] {
        if has(&format!("\"format\": \"{format}\"")) || has(&format!("\"format\":\"{format}\"")) {
            return Some(what);
        }
    }
    let sarif = has("sarif-2.1.0") || has("\"version\": \"2.1.0\"");
    // keysweep's own SARIF carries a marker in the log's property bag (first
    // few hundred bytes); older logs are known by the fingerprint key of
    // their results or the driver name, when they fall inside the window.
    if sarif
        && (has("\"keysweep-report\": \"sarif\"")
            || has("\"keysweep/v1\"")
            || has("\"name\": \"keysweep\""))
    {
        return Some("a keysweep SARIF log");
    }
    if has("\"secret_detection\"") && (has("\"id\": \"keysweep\"") || has("\"id\":\"keysweep\"")) {
        return Some("a keysweep GitLab secret-detection report");
    }
    None
}

/// The files of the current run that are never scanned: its report files and
/// its baseline, matched by file identity (device and inode on Unix) or, where
/// that is not available, by normalised absolute path.
#[derive(Debug, Clone, Default)]
pub struct OwnFiles {
    files: Vec<(PathBuf, Option<(u64, u64)>)>,
    /// Whether any own file exists as a regular file (only then can a walked
    /// file be it under another name, through a hard link).
    any_identity: bool,
}

impl OwnFiles {
    /// The run's own files (paths that do not exist yet are kept by path).
    pub fn new(paths: &[PathBuf]) -> OwnFiles {
        let files: Vec<(PathBuf, Option<(u64, u64)>)> = paths
            .iter()
            .map(|p| {
                (
                    crate::util::paths::normalised_absolute(p),
                    std::fs::metadata(p)
                        .ok()
                        .filter(std::fs::Metadata::is_file)
                        .and_then(|m| identity(&m)),
                )
            })
            .collect();
        let any_identity = files.iter().any(|(_, i)| i.is_some());
        OwnFiles {
            files,
            any_identity,
        }
    }

    /// Whether there is nothing to check.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Whether `path` is one of the run's own files. Called for every
    /// scanned file: the common answer (another name, no existing own file)
    /// costs neither a `stat` nor a path normalisation.
    pub fn contains(&self, path: &Path) -> bool {
        if self.files.is_empty() {
            return false;
        }
        if self.any_identity {
            let id = std::fs::metadata(path).ok().and_then(|m| identity(&m));
            if id.is_some() && self.files.iter().any(|(_, i)| *i == id) {
                return true;
            }
        }
        let name = path.file_name();
        if !self.files.iter().any(|(p, _)| p.file_name() == name) {
            return false;
        }
        let abs = crate::util::paths::normalised_absolute(path);
        self.files.iter().any(|(p, _)| *p == abs)
    }
}

#[cfg(unix)]
fn identity(m: &std::fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn identity(_: &std::fs::Metadata) -> Option<(u64, u64)> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_every_keysweep_document() {
        let cases: &[(&str, &str)] = &[
            ("{\n  \"format\": \"keysweep-report\",\n  \"version\": 1", "JSON report"),
            ("{\"format\":\"keysweep-baseline\",\"version\":1}", "baseline"),
            ("{\n  \"format\": \"keysweep-plan\"", "plan"),
            ("# LocalStack credential migration plan\n<!-- keysweep-plan -->\n", "plan"),
            (
                "{\n  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n  \"properties\": {\"keysweep-report\": \"sarif\"}",
                "SARIF",
            ),
            (
                "{\"$schema\":\"x/sarif-2.1.0.json\",\"runs\":[{\"results\":[{\"partialFingerprints\":{\"keysweep/v1\":\"a\"}}]}]}",
                "SARIF",
            ),
            (
                "{\n  \"version\": \"15.2.4\",\n  \"scan\": {\"analyzer\": {\"id\": \"keysweep\"}, \"type\": \"secret_detection\"}",
                "secret-detection",
            ),
            ("[\n  {\n    \"engine_name\": \"keysweep\"", "Code Quality"),
        ];
        for (text, what) in cases {
            let got = sniff(text.as_bytes()).unwrap_or_else(|| panic!("missed {what}: {text}"));
            assert!(got.contains(what), "{text}: {got}");
        }
    }

    #[test]
    fn other_documents_are_not_keysweep_reports() {
        for text in [
            "LOCALSTACK_API_KEY=abc\n",
            "{\"format\": \"other\"}",
            "{\"$schema\":\"x/sarif-2.1.0.json\",\"runs\":[{\"tool\":{\"driver\":{\"name\":\"gitleaks\"}}}]}",
            "{\"scan\": {\"scanner\": {\"id\": \"gitleaks\"}, \"type\": \"secret_detection\"}}",
            "[{\"engine_name\": \"rubocop\"}]",
            "",
            "   ",
            // A marker past the sniffed window is not looked for.
            &format!("{{{}\"format\": \"keysweep-report\"}}", " ".repeat(SNIFF_LEN)),
        ] {
            assert_eq!(sniff(text.as_bytes()), None, "{text}");
        }
    }
}
