//! The options that change what a scan reports.

/// Default per-file size cap (8 MiB).
pub const DEFAULT_MAX_FILE_SIZE: u64 = 8 << 20;
/// Default cap on findings of one rule in one file.
pub const DEFAULT_MAX_MATCHES_PER_RULE: usize = 1000;
/// Default cap on findings kept by one run (suppressed ones included).
pub const DEFAULT_MAX_FINDINGS: usize = 100_000;
/// Options that change what a scan reports.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Keep raw secrets in findings (`--show-secrets`).
    pub show_secrets: bool,
    /// Stop a rule after this many findings in one file (counted as truncated).
    pub max_matches_per_rule: usize,
    /// Skip files larger than this.
    pub max_file_size: u64,
    /// Worker threads (0 = one per core).
    pub threads: usize,
    /// Files of this run (its reports, its baseline) never scanned.
    pub own_files: super::own::OwnFiles,
    /// Keep at most this many findings per run; more are dropped and
    /// counted (`ScanStats::dropped_findings`), so memory stays bounded
    /// whatever a tree holds.
    pub max_findings: usize,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            show_secrets: false,
            max_matches_per_rule: DEFAULT_MAX_MATCHES_PER_RULE,
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            threads: 0,
            own_files: super::own::OwnFiles::default(),
            max_findings: DEFAULT_MAX_FINDINGS,
        }
    }
}
