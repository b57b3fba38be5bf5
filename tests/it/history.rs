//! `scan --history`: fixture repositories built with the `git` command, then
//! scanned through gix by the binary.

use crate::util::{code, json, run_in, stderr, stdout};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

// Fabricated, checksum-valid tokens from fixtures/expected/edge-cases-secrets.txt.
const TOKEN_A: &str = "ls-XAtinaLo-juWI-polo-0935-jUXu91184962";
const TOKEN_B: &str = "ls-vEFU3803-bIwU-taHO-dUSO-6134HaBU4a33";
const TOKEN_C: &str = "ls-siVIToGO-9694-6724-ZoCe-79034906dd60";

/// Runs git in `dir` with a fixed identity and dates, so commits are
/// reproducible and independent of the user's configuration.
fn git(dir: &Path, args: &[&str]) -> String {
    let date = "2024-05-01T12:00:00+02:00";
    let out = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=Test", "-c", "user.email=test@example.com"])
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn write(dir: &Path, rel: &str, content: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().expect("has parent")).expect("mkdir");
    std::fs::write(p, content).expect("write");
}

fn commit(dir: &Path, msg: &str) -> String {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "--allow-empty", "-m", msg]);
    git(dir, &["rev-parse", "HEAD"])
}

/// The issue's scenario: a key added then removed on main, a token added on
/// a branch that is not checked out.
struct Scenario {
    dir: tempfile::TempDir,
    added: String,
    removed: String,
    branch: String,
}

fn scenario() -> Scenario {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    git(d, &["init", "-q"]);
    write(d, "README.md", "# demo\n");
    commit(d, "Initial commit");
    write(d, ".env", &format!("LOCALSTACK_AUTH_TOKEN={TOKEN_A}\n"));
    let added = commit(d, "Add local env file");
    std::fs::remove_file(d.join(".env")).expect("rm");
    let removed = commit(d, "Remove env file");
    git(d, &["checkout", "-q", "-b", "feature"]);
    write(
        d,
        "ci/run.sh",
        &format!("#!/bin/sh\nexport LOCALSTACK_AUTH_TOKEN={TOKEN_B}\nlocalstack start -d\n"),
    );
    let branch = commit(d, "Add CI script\n\nLonger body that is not the summary.");
    git(d, &["checkout", "-q", "main"]);
    Scenario {
        dir,
        added,
        removed,
        branch,
    }
}

fn findings(v: &Value) -> &Vec<Value> {
    v["findings"].as_array().expect("findings array")
}

fn by_path<'a>(v: &'a Value, path: &str) -> &'a Value {
    findings(v)
        .iter()
        .find(|f| f["path"] == path)
        .unwrap_or_else(|| panic!("no finding at {path}: {v:#}"))
}

#[test]
fn finds_deleted_and_branch_secrets_with_their_commits() {
    let s = scenario();
    let d = s.dir.path();
    let o = run_in(d, &["scan", "--history", "--format", "json"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(findings(&v).len(), 2, "{v:#}");

    let env = by_path(&v, ".env");
    assert_eq!(env["rule_id"], "localstack.auth-token.leaked");
    assert_eq!(env["line"], 1);
    assert_eq!(env["commit"]["id"], s.added.as_str());
    assert_eq!(env["commit"]["short_id"], &s.added[..7]);
    assert_eq!(env["commit"]["summary"], "Add local env file");
    assert_eq!(env["commit"]["author_date"], "2024-05-01T12:00:00+02:00");
    assert_eq!(env["commit"]["occurrences"], 1);
    assert_ne!(env["commit"]["id"], s.removed.as_str());

    let ci = by_path(&v, "ci/run.sh");
    assert_eq!(ci["line"], 2);
    assert_eq!(ci["commit"]["id"], s.branch.as_str());
    assert_eq!(ci["commit"]["summary"], "Add CI script");

    // No raw secret anywhere without --show-secrets.
    let text = stdout(&o);
    assert!(!text.contains(TOKEN_A) && !text.contains(TOKEN_B));

    let h = &v["summary"]["history"];
    assert_eq!(h["commits"], 4);
    assert_eq!(h["revision"], s.removed.as_str());
    assert_eq!(h["branch"], "refs/heads/main");
}

#[test]
fn working_tree_scan_of_the_same_repo_finds_nothing() {
    let s = scenario();
    let o = run_in(s.dir.path(), &["scan", "--format", "json", "."]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(findings(&json(&o)).is_empty());
}

#[test]
fn branch_and_since_limit_the_walk() {
    let s = scenario();
    let d = s.dir.path();
    let o = run_in(d, &["scan", "--history", "--branch", "main", "-f", "json"]);
    let v = json(&o);
    assert_eq!(findings(&v).len(), 1);
    assert_eq!(findings(&v)[0]["path"], ".env");

    // Everything up to and including the commit that added .env is excluded:
    // only the branch's token remains.
    let o = run_in(d, &["scan", "--history", "--since", &s.added, "-f", "json"]);
    let v = json(&o);
    assert_eq!(findings(&v).len(), 1, "{v:#}");
    assert_eq!(findings(&v)[0]["path"], "ci/run.sh");
    assert_eq!(v["summary"]["history"]["commits"], 2);

    let o = run_in(d, &["scan", "--history", "--branch", "no-such-branch"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("no-such-branch"), "{}", stderr(&o));
}

#[test]
fn the_same_secret_committed_many_times_is_one_finding_with_a_count() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    git(d, &["init", "-q"]);
    let mut first = String::new();
    for i in 0..5 {
        write(
            d,
            "config/app.env",
            &format!("# revision {i}\nLOCALSTACK_AUTH_TOKEN={TOKEN_C}\n"),
        );
        let id = commit(d, &format!("Tune config {i}"));
        if i == 0 {
            first = id;
        }
    }
    // The same content copied elsewhere, and a commit that changes nothing
    // in the file (not counted).
    write(
        d,
        "backup/app.env",
        &format!("# revision 4\nLOCALSTACK_AUTH_TOKEN={TOKEN_C}\n"),
    );
    commit(d, "Back up config");
    write(d, "README.md", "unrelated\n");
    commit(d, "Docs");

    let o = run_in(d, &["scan", "--history", "-f", "json"]);
    let v = json(&o);
    assert_eq!(findings(&v).len(), 1, "{v:#}");
    let f = &findings(&v)[0];
    assert_eq!(f["path"], "config/app.env");
    assert_eq!(f["line"], 2);
    assert_eq!(f["commit"]["id"], first.as_str());
    assert_eq!(f["commit"]["occurrences"], 6);
    assert_eq!(
        f["commit"]["paths"],
        serde_json::json!(["config/app.env", "backup/app.env"])
    );
    // Five versions of the file plus README: six distinct blobs scanned
    // (the backup has the same blob id as the last version).
    assert_eq!(v["summary"]["files_scanned"], 6);

    let o = run_in(d, &["scan", "--history", "--color", "never"]);
    let text = stdout(&o);
    assert!(
        text.contains(&format!(
            "introduced in {} (2024-05-01) 'Tune config 0' — seen in 6 commits, 2 paths",
            &first[..7]
        )),
        "{text}"
    );
    assert!(text.contains("blobs/s"), "{text}");
}

#[test]
fn merges_do_not_count_as_introducing_what_they_merge() {
    let s = scenario();
    let d = s.dir.path();
    git(
        d,
        &["merge", "-q", "--no-ff", "-m", "Merge feature", "feature"],
    );
    let o = run_in(d, &["scan", "--history", "-f", "json"]);
    let v = json(&o);
    let ci = by_path(&v, "ci/run.sh");
    assert_eq!(ci["commit"]["id"], s.branch.as_str());
    assert_eq!(ci["commit"]["occurrences"], 1);
}

#[test]
fn history_fingerprints_match_working_tree_fingerprints() {
    let s = scenario();
    let d = s.dir.path();
    git(d, &["checkout", "-q", "feature"]);
    let tree = json(&run_in(d, &["scan", "-f", "json", "."]));
    let hist = json(&run_in(d, &["scan", "--history", "-f", "json"]));
    let fp_tree = &by_path(&tree, "ci/run.sh")["fingerprint"];
    let fp_hist = &by_path(&hist, "ci/run.sh")["fingerprint"];
    assert!(fp_tree.is_string());
    assert_eq!(fp_tree, fp_hist);
}

#[test]
fn sarif_carries_commit_properties_and_version_control_provenance() {
    let s = scenario();
    let d = s.dir.path();
    git(
        d,
        &[
            "remote",
            "add",
            "origin",
            "https://user:hunter2secret@git.example.com/acme/shop.git",
        ],
    );
    let o = run_in(d, &["scan", "--history", "-f", "sarif"]);
    let text = stdout(&o);
    assert!(!text.contains("hunter2secret"), "credentials leaked");
    let v: Value = serde_json::from_str(&text).expect("SARIF is JSON");
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(crate::util::fixture("schema/sarif-2.1.0.json"))
            .expect("schema fixture"),
    )
    .expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&v)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let run = &v["runs"][0];
    let vcs = &run["versionControlProvenance"][0];
    assert_eq!(
        vcs["repositoryUri"],
        "https://git.example.com/acme/shop.git"
    );
    assert_eq!(vcs["revisionId"], s.removed.as_str());
    assert_eq!(vcs["branch"], "refs/heads/main");
    assert_eq!(vcs["mappedTo"]["uriBaseId"], "%SRCROOT%");
    let results = run["results"].as_array().expect("results");
    assert_eq!(results.len(), 2);
    let env = results
        .iter()
        .find(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == ".env")
        .expect(".env result");
    assert_eq!(env["properties"]["commit"]["id"], s.added.as_str());
    assert_eq!(env["properties"]["commit"]["occurrences"], 1);
    // %SRCROOT% is the repository root, whatever the working directory.
    let root = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .expect("srcroot");
    assert!(root.starts_with("file://") && root.ends_with('/'), "{root}");
}

#[test]
fn sarif_without_a_remote_uses_a_file_uri() {
    let s = scenario();
    let o = run_in(s.dir.path(), &["scan", "--history", "-f", "sarif"]);
    let v: Value = serde_json::from_slice(&o.stdout).expect("SARIF");
    let uri = v["runs"][0]["versionControlProvenance"][0]["repositoryUri"]
        .as_str()
        .expect("repositoryUri is required by the schema");
    assert!(uri.starts_with("file:///"), "{uri}");
}

#[test]
fn oversized_blobs_are_counted_not_scanned() {
    let s = scenario();
    let o = run_in(
        s.dir.path(),
        &["scan", "--history", "--max-blob-size", "20", "-f", "json"],
    );
    let v = json(&o);
    assert!(findings(&v).is_empty(), "{v:#}");
    assert_eq!(v["summary"]["skipped"]["too-large"], 2);
}

#[test]
fn scans_a_subdirectory_and_a_bare_clone() {
    let s = scenario();
    let d = s.dir.path();
    std::fs::create_dir_all(d.join("sub")).expect("mkdir");
    let o = run_in(&d.join("sub"), &["scan", "--history", "-f", "json"]);
    assert_eq!(findings(&json(&o)).len(), 2);

    let bare = tempfile::tempdir().expect("temp dir");
    let bare_path = bare.path().join("r.git");
    git(
        d,
        &[
            "clone",
            "-q",
            "--mirror",
            ".",
            bare_path.to_str().expect("utf-8"),
        ],
    );
    let o = run_in(bare.path(), &["scan", "--history", "-f", "json", "r.git"]);
    assert_eq!(findings(&json(&o)).len(), 2, "{}", stderr(&o));
}

#[test]
fn not_a_repository_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let o = run_in(dir.path(), &["scan", "--history", "."]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("keysweep::history"), "{}", stderr(&o));
    let o = run_in(dir.path(), &["scan", "--since", "HEAD"]);
    assert_eq!(code(&o), 2, "--since without --history is refused");
}

#[test]
fn an_empty_repository_has_no_findings() {
    let dir = tempfile::tempdir().expect("temp dir");
    git(dir.path(), &["init", "-q"]);
    let o = run_in(dir.path(), &["scan", "--history", "-f", "json"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v = json(&o);
    assert!(findings(&v).is_empty());
    assert_eq!(v["summary"]["history"]["commits"], 0);
}

#[test]
fn the_same_blob_is_rescanned_where_other_rules_apply() {
    // Identical bytes at two paths of the same kind: only the second path is
    // covered by the path-restricted state-file rule.
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    git(d, &["init", "-q"]);
    let content =
        "{\"username\": \"dev@acme.test\", \"token\": \"eyJhbGciOiJIUzI1NiJ9.payload\"}\n";
    write(d, "config/auth.json", content);
    commit(d, "Add sample auth");
    write(d, "home/.localstack/auth.json", content);
    let copied = commit(d, "Copy profile");
    let o = run_in(d, &["scan", "--history", "-f", "json"]);
    let v = json(&o);
    let f = findings(&v)
        .iter()
        .find(|f| f["rule_id"] == "localstack.state.committed")
        .unwrap_or_else(|| panic!("state file finding missing: {v:#}"));
    assert_eq!(f["path"], "home/.localstack/auth.json");
    assert_eq!(f["commit"]["id"], copied.as_str());
    // One blob, scanned once per distinct set of applicable rules.
    assert_eq!(v["summary"]["history"]["blobs"], 1);
    assert_eq!(v["summary"]["files_scanned"], 2);
}

#[test]
fn a_merge_that_adds_content_of_its_own_introduces_it() {
    let s = scenario();
    let d = s.dir.path();
    git(d, &["merge", "-q", "--no-ff", "--no-commit", "feature"]);
    write(
        d,
        "deploy.env",
        &format!("LOCALSTACK_AUTH_TOKEN={TOKEN_C}\n"),
    );
    let merge = commit(d, "Merge feature with deploy settings");
    let v = json(&run_in(d, &["scan", "--history", "-f", "json"]));
    let f = by_path(&v, "deploy.env");
    assert_eq!(f["commit"]["id"], merge.as_str());
    assert_eq!(by_path(&v, "ci/run.sh")["commit"]["id"], s.branch.as_str());
}

#[test]
fn inline_directives_in_committed_content_suppress_history_findings() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    git(d, &["init", "-q"]);
    write(
        d,
        "test/fixture.env",
        &format!("LOCALSTACK_AUTH_TOKEN={TOKEN_A} # keysweep:ignore\n"),
    );
    commit(d, "Add test fixture");
    git(d, &["rm", "-q", "-r", "test"]);
    commit(d, "Drop fixture");
    let o = run_in(d, &["scan", "--history", "-f", "json"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let v = json(&o);
    assert!(findings(&v).is_empty(), "{v:#}");
    let sup = v["suppressed"].as_array().expect("suppressed list");
    assert_eq!(sup.len(), 1, "{v:#}");
    assert_eq!(sup[0]["path"], "test/fixture.env");
}

#[test]
fn a_baseline_of_history_findings_accepts_them() {
    let s = scenario();
    let d = s.dir.path();
    // The baseline lives outside the repository, as it might in CI.
    let out = tempfile::tempdir().expect("temp dir");
    let baseline = out.path().join("history-baseline.json");
    let b = baseline.to_str().expect("utf-8");
    let o = run_in(d, &["baseline", "--history", "-o", b]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = run_in(d, &["scan", "--history", "--baseline", b, "-f", "json"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let v = json(&o);
    assert!(findings(&v).is_empty(), "{v:#}");
    assert_eq!(v["suppressed"].as_array().map(Vec::len), Some(2));

    // A new leak after the baseline is still reported.
    write(d, "new.env", &format!("LOCALSTACK_AUTH_TOKEN={TOKEN_C}\n"));
    let fresh = commit(d, "New leak");
    let o = run_in(d, &["scan", "--history", "--baseline", b, "-f", "json"]);
    assert_eq!(code(&o), 1);
    let v = json(&o);
    assert_eq!(findings(&v).len(), 1, "{v:#}");
    assert_eq!(findings(&v)[0]["commit"]["id"], fresh.as_str());
}

#[test]
fn config_excludes_apply_to_repository_paths() {
    let s = scenario();
    let d = s.dir.path();
    write(d, "keysweep.toml", "exclude = [\"ci/\"]\n");
    let o = run_in(d, &["scan", "--history", "-f", "json"]);
    let v = json(&o);
    assert_eq!(findings(&v).len(), 1, "{v:#}");
    assert_eq!(findings(&v)[0]["path"], ".env");
    assert_eq!(v["summary"]["skipped"]["ignored"], 1);
}
