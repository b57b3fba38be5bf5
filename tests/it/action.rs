//! The GitHub Action's scripts (`action/install.sh`, `action/scan.sh`,
//! `action/report.py`) run the way GitHub runs them, against a release served
//! on loopback, plus the command-line behaviour the Action relies on.

use crate::util::{code, run_in, stderr, stdout, temp_tree};
use serde_json::Value;

const LEGACY_KEY: &str = "cpVmfK8NqK";

fn leak_env() -> String {
    format!("LOCALSTACK_API_KEY={LEGACY_KEY}\n")
}

// ------------------------------------------------- repeated flags override

/// The Action appends the user's `args` after its own flags, so a flag given
/// twice must take its last value instead of being a usage error.
#[test]
fn a_repeated_flag_takes_its_last_value() {
    let dir = temp_tree(&[("app/leak.env", leak_env().as_bytes())]);

    let o = run_in(
        dir.path(),
        &["scan", ".", "-q", "--format", "json", "--format", "sarif"],
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let report: Value = serde_json::from_slice(&o.stdout).expect("JSON document");
    assert_eq!(report["version"], "2.1.0", "not SARIF: {}", stdout(&o));

    let o = run_in(
        dir.path(),
        &["scan", ".", "-q", "--fail-on", "low", "--fail-on", "never"],
    );
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));

    let o = run_in(
        dir.path(),
        &["scan", ".", "-q", "--fail-on", "never", "--fail-on", "low"],
    );
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
}
