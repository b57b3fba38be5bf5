//! Test harness: run the keysweep binary, locate fixtures, build temp trees.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Repository root (where Cargo.toml is).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Path of a file or directory under `fixtures/`.
pub fn fixture(rel: &str) -> PathBuf {
    root().join("fixtures").join(rel)
}

/// A command for the keysweep binary built for these tests, run from the repo root.
pub fn keysweep() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_keysweep"));
    c.current_dir(root());
    for var in [
        "NO_COLOR",
        "CLICOLOR_FORCE",
        "FORCE_COLOR",
        "PRE_COMMIT",
        "TERM",
    ] {
        c.env_remove(var);
    }
    c
}

/// Runs keysweep with `args` from `dir`.
pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    keysweep()
        .current_dir(dir)
        .args(args)
        .output()
        .expect("keysweep binary runs")
}

/// Runs keysweep with `args` from the repo root.
pub fn run(args: &[&str]) -> Output {
    keysweep()
        .args(args)
        .output()
        .expect("keysweep binary runs")
}

/// stdout as UTF-8 (lossy).
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// stderr as UTF-8 (lossy).
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Exit code (panics on signal death, which is itself a test failure).
pub fn code(o: &Output) -> i32 {
    o.status.code().expect("process exited normally")
}

/// A temporary directory with the given files (path → content).
pub fn temp_tree(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (rel, content) in files {
        let p = dir.path().join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&p, content).expect("write fixture file");
    }
    dir
}

/// Parses a JSON report from stdout.
pub fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", stdout(o)))
}

/// `keysweep scan ARGS --format json --fail-on never` run from `dir`, parsed.
pub fn scan_json_in(dir: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["scan"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json", "--fail-on", "never"]);
    let o = run_in(dir, &all);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    json(&o)
}

/// Same as [`scan_json_in`] from the repository root.
pub fn scan_json(args: &[&str]) -> serde_json::Value {
    scan_json_in(&root(), args)
}

/// The `path` of every finding of a JSON report, in report order.
pub fn finding_paths(report: &serde_json::Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .map(|f| f["path"].as_str().expect("path").to_string())
        .collect()
}

/// Diagnostic text with miette's wrapping undone, for substring checks.
pub fn flat(text: &str) -> String {
    text.replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}
