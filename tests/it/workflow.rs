//! Team workflow: keysweep.toml, inline and baseline suppressions, staged and
//! stdin scanning, the pre-commit hooks and the GitHub Action manifest.

use crate::util::{code, json, root, run_in, stderr, stdout, temp_tree};
use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

// Fabricated, checksum-valid Auth Tokens and legacy-style keys
// (fixtures/tools/lstoken.py gen/key --seed 303): none is a real credential.
const TOKEN_A: &str = "ls-ceJa6791-8091-goMa-5223-fEvi4425f6ce";
const TOKEN_B: &str = "ls-dOHihODe-HARa-8048-dIJU-XEXA65072696";
const TOKEN_C: &str = "ls-soBUhiWu-5453-sICu-wiLo-LiZa24820893";
const TOKEN_D: &str = "ls-qIfe2658-9610-3756-WeSa-VegufASI563b";
const LEGACY_KEY: &str = "cpVmfK8NqK";
const LEAKED: &str = "localstack.auth-token.leaked";

fn env_line(token: &str) -> String {
    format!("LOCALSTACK_AUTH_TOKEN={token}\n")
}

fn rule_ids(findings: &Value) -> Vec<String> {
    findings
        .as_array()
        .expect("array")
        .iter()
        .map(|f| f["rule_id"].as_str().expect("rule_id").to_string())
        .collect()
}

fn scan_json(dir: &Path, extra: &[&str]) -> (Output, Value) {
    let mut args = vec!["scan", "--format", "json"];
    args.extend_from_slice(extra);
    let o = run_in(dir, &args);
    assert!(code(&o) <= 1, "scan failed: {}", stderr(&o));
    let v = json(&o);
    (o, v)
}

fn run_stdin(dir: &Path, args: &[&str], input: &[u8]) -> Output {
    let mut child = crate::util::keysweep()
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("keysweep runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("write stdin");
    child.wait_with_output().expect("keysweep exits")
}

// ---------------------------------------------------------------- config

#[test]
fn config_unknown_key_is_an_error_pointing_into_the_file() {
    let dir = temp_tree(&[
        (
            "keysweep.toml",
            b"fail_on = \"high\"\nexclud = [\"vendor/\"]\n",
        ),
        (".env", env_line(TOKEN_A).as_bytes()),
    ]);
    let o = run_in(dir.path(), &["scan", "--color", "never"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("keysweep.toml"), "{err}");
    assert!(err.contains("exclud"), "{err}");
    // miette shows the offending line with its number.
    assert!(err.contains("2 │ exclud"), "{err}");
}

#[test]
fn config_bad_values_and_unknown_rule_ids_are_errors() {
    for (text, needle) in [
        (
            "[severity]\n\"localstack.auth-token.leaked\" = \"urgent\"\n",
            "urgent",
        ),
        ("fail_on = \"sometimes\"\n", "sometimes"),
        (
            "disabled_rules = [\"localstack.no-such-rule\"]\n",
            "localstack.no-such-rule",
        ),
        ("[allowlist]\nvalues = [\"(unclosed\"]\n", "(unclosed"),
        ("rules = [\"missing-rules.toml\"]\n", "missing-rules.toml"),
    ] {
        let dir = temp_tree(&[("keysweep.toml", text.as_bytes()), ("a.txt", b"x")]);
        let o = run_in(dir.path(), &["scan", "--color", "never"]);
        assert_eq!(code(&o), 2, "{text}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{text}: {}", stderr(&o));
    }
}

#[test]
fn config_disables_rules_overrides_severity_and_sets_defaults() {
    let files: &[(&str, &[u8])] = &[(".env", b"")];
    let dir = temp_tree(files);
    std::fs::write(
        dir.path().join(".env"),
        format!("{}LOCALSTACK_API_KEY={LEGACY_KEY}\n", env_line(TOKEN_A)),
    )
    .unwrap();
    let (_, base) = scan_json(dir.path(), &[]);
    let ids = rule_ids(&base["findings"]);
    assert!(ids.contains(&LEAKED.to_string()), "{ids:?}");
    assert!(
        ids.contains(&"localstack.api-key.leaked".to_string()),
        "{ids:?}"
    );

    std::fs::write(
        dir.path().join("keysweep.toml"),
        "disabled_rules = [\"localstack.api-key.leaked\"]\nfail_on = \"critical\"\nformat = \"json\"\n\
         [severity]\n\"localstack.auth-token.leaked\" = \"medium\"\n",
    )
    .unwrap();
    // format = "json" from the file; fail_on = critical: a medium finding passes.
    let o = run_in(dir.path(), &["scan"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v = json(&o);
    let ids = rule_ids(&v["findings"]);
    assert!(
        !ids.contains(&"localstack.api-key.leaked".to_string()),
        "{ids:?}"
    );
    let leaked = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == LEAKED)
        .expect("leaked finding");
    assert_eq!(leaked["severity"], "medium");
    // Flags win over the file.
    let o = run_in(
        dir.path(),
        &["scan", "--fail-on", "low", "--format", "human"],
    );
    assert_eq!(code(&o), 1);
    assert!(stdout(&o).contains("keysweep:"), "{}", stdout(&o));
    // --no-config ignores it.
    let (_, v) = scan_json(dir.path(), &["--no-config"]);
    assert!(rule_ids(&v["findings"]).contains(&"localstack.api-key.leaked".to_string()));
}

#[test]
fn config_excludes_apply_to_walked_and_explicit_files() {
    let dir = temp_tree(&[
        ("keysweep.toml", b"exclude = [\"vendor/\", \"*.sample\"]\n"),
        ("vendor/lib/.env", env_line(TOKEN_A).as_bytes()),
        ("app/.env.sample", env_line(TOKEN_B).as_bytes()),
        ("app/.env", env_line(TOKEN_C).as_bytes()),
    ]);
    let (_, v) = scan_json(dir.path(), &[]);
    let paths: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, vec!["app/.env"]);
    // Files named on the command line (as pre-commit does) are excluded too,
    // and counted as ignored.
    let (_, v) = scan_json(
        dir.path(),
        &["vendor/lib/.env", "app/.env.sample", "app/.env"],
    );
    assert_eq!(v["findings"].as_array().unwrap().len(), 1);
    assert_eq!(v["summary"]["skipped"]["ignored"], 2);
    // --no-ignore does not lift config excludes: they are policy.
    let (_, v) = scan_json(dir.path(), &["--no-ignore"]);
    assert_eq!(v["findings"].as_array().unwrap().len(), 1);
}

#[test]
fn keysweepignore_applies_to_walks_and_to_named_files() {
    let dir = temp_tree(&[
        (".keysweepignore", b"fixtures/\n"),
        ("fixtures/.env", env_line(TOKEN_A).as_bytes()),
        ("sub/.keysweepignore", b"local.env\n"),
        ("sub/local.env", env_line(TOKEN_B).as_bytes()),
        ("app/.env", env_line(TOKEN_C).as_bytes()),
    ]);
    let (_, v) = scan_json(dir.path(), &[]);
    assert_eq!(v["findings"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v["findings"][0]["path"], "app/.env");
    // A named file under a path excluded by the repository's .keysweepignore.
    let (_, v) = scan_json(dir.path(), &["fixtures/.env", "app/.env"]);
    assert_eq!(v["findings"].as_array().unwrap().len(), 1, "{v}");
    // --no-ignore scans it.
    let (_, v) = scan_json(dir.path(), &["--no-ignore", "fixtures/.env"]);
    assert_eq!(v["findings"].as_array().unwrap().len(), 1, "{v}");
}

#[test]
fn config_allowlist_suppresses_with_the_pattern_as_reason() {
    let dir = temp_tree(&[
        (
            "keysweep.toml",
            format!(
                "[allowlist]\nvalues = ['^{}$']\n[allowlist.rules]\n\"{LEAKED}\" = ['^{}$']\n",
                regex_escape(TOKEN_A),
                regex_escape(TOKEN_B)
            )
            .as_bytes(),
        ),
        (
            ".env",
            format!(
                "{}{}{}",
                env_line(TOKEN_A),
                env_line(TOKEN_B),
                env_line(TOKEN_C)
            )
            .as_bytes(),
        ),
    ]);
    let (o, v) = scan_json(dir.path(), &[]);
    assert_eq!(code(&o), 1);
    assert_eq!(v["findings"].as_array().unwrap().len(), 1);
    assert_eq!(v["findings"][0]["line"], 3);
    let sup = v["suppressed"].as_array().unwrap();
    assert_eq!(sup.len(), 2);
    for s in sup {
        assert_eq!(s["suppression"]["by"], "allowlist");
        assert_eq!(s["suppression"]["kind"], "external");
    }
    assert!(sup[1]["suppression"]["justification"]
        .as_str()
        .unwrap()
        .contains(LEAKED));
}

fn regex_escape(s: &str) -> String {
    s.replace('-', "\\-")
}

#[test]
fn init_writes_a_valid_starter_and_refuses_to_overwrite() {
    let dir = temp_tree(&[(".env", env_line(TOKEN_A).as_bytes())]);
    let o = run_in(dir.path(), &["init"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let text = std::fs::read_to_string(dir.path().join("keysweep.toml")).unwrap();
    assert!(text.contains("# disabled_rules"), "{text}");
    // The starter is a valid config: the scan runs with it.
    let o = run_in(dir.path(), &["scan", "-q"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let o = run_in(dir.path(), &["init"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("--force"));
    let o = run_in(dir.path(), &["init", "--force"]);
    assert_eq!(code(&o), 0);
}

// ---------------------------------------------------------------- inline

#[test]
fn inline_directives_suppress_and_are_reported_with_the_reason() {
    let text = format!(
        "A={TOKEN_A}\n\
         B={TOKEN_B} # keysweep:ignore\n\
         C={TOKEN_C} # gitleaks:allow\n\
         D={TOKEN_D} # keysweep:ignore[localstack.other-rule]\n\
         E={TOKEN_D}x # pragma: allowlist secret\n\
         F = '{TOKEN_B}'  # trufflehog:ignore\n\
         G={TOKEN_C} # keysweep:ignore[{LEAKED}]\n"
    );
    let dir = temp_tree(&[("settings.env", text.as_bytes())]);
    let (_, v) = scan_json(dir.path(), &[]);
    let lines: Vec<u64> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == LEAKED)
        .map(|f| f["line"].as_u64().unwrap())
        .collect();
    // Line 4's directive names another rule; the others silence this one.
    assert_eq!(lines, vec![1, 4], "{v}");
    let sup: Vec<(u64, String)> = v["suppressed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            assert_eq!(s["suppression"]["kind"], "inSource");
            assert_eq!(s["suppression"]["by"], "inline");
            (
                s["line"].as_u64().unwrap(),
                s["suppression"]["justification"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    let sup_lines: Vec<u64> = sup.iter().map(|s| s.0).collect();
    assert!(sup_lines.starts_with(&[2, 3]), "{sup:?}");
    assert!(sup_lines.contains(&6) && sup_lines.contains(&7), "{sup:?}");
    assert!(sup.iter().any(|s| s.1.contains("gitleaks:allow")));
    assert!(sup.iter().any(|s| s.1.contains("trufflehog:ignore")));
    assert_eq!(
        v["summary"]["suppressed"],
        v["suppressed"].as_array().unwrap().len()
    );
    // The human summary counts them; secrets stay redacted everywhere.
    let o = run_in(dir.path(), &["scan", "--color", "never"]);
    let out = stdout(&o);
    assert!(
        out.contains("suppressed findings (") && out.contains(" inline"),
        "{out}"
    );
    for t in [TOKEN_A, TOKEN_B, TOKEN_C, TOKEN_D] {
        assert!(!out.contains(t));
        assert!(!v.to_string().contains(t));
    }
}

#[test]
fn sarif_carries_suppressions_in_source_and_external() {
    let dir = temp_tree(&[(
        ".env",
        format!("{}B={TOKEN_B} # keysweep:ignore\n", env_line(TOKEN_A)).as_bytes(),
    )]);
    let o = run_in(dir.path(), &["baseline"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    std::fs::write(
        dir.path().join(".env"),
        format!(
            "{}B={TOKEN_B} # keysweep:ignore\n{}",
            env_line(TOKEN_A),
            env_line(TOKEN_C)
        ),
    )
    .unwrap();
    let o = run_in(
        dir.path(),
        &[
            "scan",
            "--format",
            "sarif",
            "--baseline",
            "keysweep-baseline.json",
        ],
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let sarif: Value = serde_json::from_slice(&o.stdout).expect("SARIF is JSON");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let kinds: Vec<Option<&str>> = results
        .iter()
        .map(|r| r["suppressions"][0]["kind"].as_str())
        .collect();
    assert_eq!(results.len(), 3, "{results:?}");
    assert_eq!(kinds.iter().filter(|k| k.is_none()).count(), 1);
    assert!(kinds.contains(&Some("inSource")));
    assert!(kinds.contains(&Some("external")));
    for r in results {
        if let Some(s) = r["suppressions"].as_array() {
            assert!(s[0]["justification"]
                .as_str()
                .is_some_and(|j| !j.is_empty()));
        }
    }
    // Still valid SARIF 2.1.0 with suppressions in it.
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(crate::util::fixture("schema/sarif-2.1.0.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

// ---------------------------------------------------------------- baseline

fn baseline_text(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("keysweep-baseline.json")).expect("baseline written")
}

#[test]
fn baseline_accepts_findings_by_value_not_line() {
    let dir = temp_tree(&[
        (
            ".env",
            format!("# settings\n{}", env_line(TOKEN_A)).as_bytes(),
        ),
        (
            "ci/deploy.sh",
            format!("export {}", env_line(TOKEN_B)).as_bytes(),
        ),
    ]);
    let o = run_in(dir.path(), &["baseline"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("accepted 2 new findings"),
        "{}",
        stderr(&o)
    );
    let text = baseline_text(dir.path());
    // No raw secret, no line numbers, no timestamp; sorted by path.
    for t in [TOKEN_A, TOKEN_B] {
        assert!(!text.contains(t), "{text}");
    }
    assert!(!text.contains("\"line\""), "{text}");
    let b: Value = serde_json::from_str(&text).unwrap();
    let paths: Vec<&str> = b["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, vec![".env", "ci/deploy.sh"]);
    // Stable: a second run leaves the file byte-identical.
    let o = run_in(dir.path(), &["baseline"]);
    assert!(
        stderr(&o).contains("accepted 0 new findings"),
        "{}",
        stderr(&o)
    );
    assert_eq!(baseline_text(dir.path()), text);

    let scan = |dir: &Path| scan_json(dir, &["--baseline", "keysweep-baseline.json"]);
    let (o, v) = scan(dir.path());
    assert_eq!(code(&o), 0, "{v}");
    assert_eq!(v["summary"]["suppressed_by"]["baseline"], 2);

    // Moving code does not resurrect an accepted finding.
    std::fs::write(
        dir.path().join(".env"),
        format!("# settings\n\n\n# moved down\n{}", env_line(TOKEN_A)),
    )
    .unwrap();
    let (o, _) = scan(dir.path());
    assert_eq!(code(&o), 0);

    // A new secret on an accepted line is reported.
    std::fs::write(
        dir.path().join(".env"),
        format!("# settings\n\n\n# moved down\n{}", env_line(TOKEN_C)),
    )
    .unwrap();
    let (o, v) = scan(dir.path());
    assert_eq!(code(&o), 1);
    assert_eq!(v["findings"].as_array().unwrap().len(), 1);
    assert_eq!(v["findings"][0]["path"], ".env");

    // A second copy of an accepted secret in the same file is new too.
    std::fs::write(
        dir.path().join("ci/deploy.sh"),
        format!("export {0}export {0}", env_line(TOKEN_B)),
    )
    .unwrap();
    let (_, v) = scan(dir.path());
    let paths: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, vec![".env", "ci/deploy.sh"], "{v}");
}

#[test]
fn baseline_paths_are_relative_to_the_baseline_file() {
    let dir = temp_tree(&[("app/.env", env_line(TOKEN_A).as_bytes())]);
    let o = run_in(dir.path(), &["baseline", "app"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(baseline_text(dir.path()).contains("\"path\": \"app/.env\""));
    // Scanning from inside app/ (paths reported as `.env`) still matches.
    let o = run_in(
        &dir.path().join("app"),
        &["scan", "--baseline", "../keysweep-baseline.json", "-q"],
    );
    assert_eq!(code(&o), 0, "{}", stdout(&o));
}

#[test]
fn baseline_prune_drops_entries_that_match_nothing() {
    let dir = temp_tree(&[
        ("a.env", env_line(TOKEN_A).as_bytes()),
        ("b.env", env_line(TOKEN_B).as_bytes()),
    ]);
    assert_eq!(code(&run_in(dir.path(), &["baseline"])), 0);
    std::fs::remove_file(dir.path().join("b.env")).unwrap();
    std::fs::write(dir.path().join("c.env"), env_line(TOKEN_C)).unwrap();
    let o = run_in(dir.path(), &["baseline", "--prune"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("pruned 1 stale entry"),
        "{}",
        stderr(&o)
    );
    let text = baseline_text(dir.path());
    assert!(text.contains("a.env") && !text.contains("b.env"), "{text}");
    // --prune accepts nothing new.
    assert!(!text.contains("c.env"), "{text}");
    let (o, v) = scan_json(dir.path(), &["--baseline", "keysweep-baseline.json"]);
    assert_eq!(code(&o), 1);
    assert_eq!(v["findings"][0]["path"], "c.env");
}

#[test]
fn a_broken_baseline_is_an_error_pointing_into_it() {
    let dir = temp_tree(&[
        ("a.env", env_line(TOKEN_A).as_bytes()),
        ("b.json", b"{\"format\": \"keysweep-baseline\",\n \"version\": 1,\n \"entries\": [ {\"path\": 3} ]}\n"),
    ]);
    let o = run_in(
        dir.path(),
        &["scan", "--baseline", "b.json", "--color", "never"],
    );
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("b.json"), "{}", stderr(&o));
    // Its own diagnostic code, not the config's.
    assert!(stderr(&o).contains("keysweep::baseline"), "{}", stderr(&o));
    let o = run_in(dir.path(), &["scan", "--baseline", "missing.json"]);
    assert_eq!(code(&o), 2);
    // The OS error is kept as the cause.
    assert!(
        crate::util::flat(&stderr(&o)).contains("No such file or directory"),
        "{}",
        stderr(&o)
    );
}

// ---------------------------------------------------------------- stdin, staged

#[test]
fn stdin_is_scanned_with_the_given_name() {
    let dir = temp_tree(&[]);
    let input = format!("LOCALSTACK_API_KEY={LEGACY_KEY}\n");
    let o = run_stdin(
        dir.path(),
        &[
            "scan",
            "-",
            "--stdin-name",
            "deploy/.env",
            "--format",
            "json",
        ],
        input.as_bytes(),
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["findings"][0]["path"], "deploy/.env");
    assert!(!stdout(&o).contains(LEGACY_KEY));
    let o = run_stdin(dir.path(), &["scan", "-", "-q"], b"nothing here\n");
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = run_in(dir.path(), &["scan", "--stdin-name", "x.env"]);
    assert_eq!(code(&o), 2);
}

fn git(dir: &Path, args: &[&str]) {
    let o = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git runs");
    assert!(
        o.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn git_repo(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = temp_tree(files);
    git(dir.path(), &["init", "-q", "-b", "main"]);
    git(dir.path(), &["config", "user.email", "dev@example.com"]);
    git(dir.path(), &["config", "user.name", "Dev"]);
    git(dir.path(), &["config", "commit.gpgsign", "false"]);
    dir
}

#[test]
fn staged_scans_the_index_not_the_working_tree() {
    let dir = git_repo(&[("README.md", b"# app\n")]);
    git(dir.path(), &["add", "README.md"]);
    git(dir.path(), &["commit", "-q", "-m", "init"]);

    // Staged, then edited away in the working tree: still caught.
    std::fs::write(dir.path().join(".env"), env_line(TOKEN_A)).unwrap();
    git(dir.path(), &["add", ".env"]);
    std::fs::write(dir.path().join(".env"), "LOCALSTACK_AUTH_TOKEN=\n").unwrap();
    // An unstaged edit is not reported.
    std::fs::write(dir.path().join("README.md"), env_line(TOKEN_B)).unwrap();

    let (o, v) = scan_json(dir.path(), &["--staged"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{v}");
    assert_eq!(findings[0]["path"], ".env");
    assert_eq!(v["summary"]["files_scanned"], 1);

    // From a subdirectory: paths stay relative to the top of the work tree,
    // and the pathspec `.` limits the scan to that directory.
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let (o, v) = scan_json(&dir.path().join("sub"), &["--staged", ".."]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(v["findings"][0]["path"], ".env");
    let (o, _) = scan_json(&dir.path().join("sub"), &["--staged"]);
    assert_eq!(code(&o), 0);

    // Once committed, nothing is staged: clean.
    git(dir.path(), &["commit", "-q", "-m", "add env"]);
    let (o, v) = scan_json(dir.path(), &["--staged"]);
    assert_eq!(code(&o), 0, "{v}");
}

#[test]
fn staged_honours_config_excludes_and_inline_directives() {
    let dir = git_repo(&[
        ("keysweep.toml", b"exclude = [\"vendor/\"]\n"),
        ("vendor/x.env", env_line(TOKEN_A).as_bytes()),
        (
            "app.env",
            format!("A={TOKEN_B} # keysweep:ignore\n").as_bytes(),
        ),
    ]);
    git(dir.path(), &["add", "-A"]);
    let (o, v) = scan_json(dir.path(), &["--staged"]);
    assert_eq!(code(&o), 0, "{v}");
    assert_eq!(v["suppressed"].as_array().unwrap().len(), 1);
    assert_eq!(v["summary"]["skipped"]["ignored"], 1);
}

#[test]
fn staged_outside_a_repository_is_an_error() {
    let dir = temp_tree(&[("a.txt", b"x")]);
    let o = crate::util::keysweep()
        .current_dir(dir.path())
        .env("GIT_CEILING_DIRECTORIES", dir.path().parent().unwrap())
        .args(["scan", "--staged"])
        .output()
        .unwrap();
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("git"), "{}", stderr(&o));
}

// ---------------------------------------------------------------- pre-commit

/// The pre-commit binary: `KEYSWEEP_PRE_COMMIT` (set by .ci/run), else
/// `pre-commit` on PATH. Under CI a missing pre-commit fails the test; on a
/// developer machine without it the test is skipped with a message.
fn pre_commit() -> Option<String> {
    let candidate =
        std::env::var("KEYSWEEP_PRE_COMMIT").unwrap_or_else(|_| "pre-commit".to_string());
    let works = Command::new(&candidate)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if works {
        return Some(candidate);
    }
    if std::env::var_os("CI").is_some() {
        panic!("pre-commit not found at `{candidate}` (CI is set: .ci/run must install it and export KEYSWEEP_PRE_COMMIT)");
    }
    eprintln!("skipping: pre-commit is not installed (set KEYSWEEP_PRE_COMMIT)");
    None
}

fn pre_commit_cmd(pc: &str, dir: &Path, home: &Path) -> Command {
    let mut c = Command::new(pc);
    c.current_dir(dir)
        .env("PRE_COMMIT_HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("PRE_COMMIT_COLOR")
        .env("NO_COLOR", "1");
    c
}

#[test]
fn pre_commit_hook_blocks_a_leak_and_passes_a_clean_commit() {
    let Some(pc) = pre_commit() else { return };
    let bin = env!("CARGO_BIN_EXE_keysweep");
    let config = format!(
        "repos:\n  - repo: local\n    hooks:\n      - id: keysweep\n        name: keysweep\n        \
         entry: {bin} scan\n        language: system\n        types: [text]\n        require_serial: true\n"
    );
    let dir = git_repo(&[
        (".pre-commit-config.yaml", config.as_bytes()),
        ("README.md", b"# app\n"),
    ]);
    let home = tempfile::tempdir().unwrap();
    let o = pre_commit_cmd(&pc, dir.path(), home.path())
        .arg("install")
        .output()
        .unwrap();
    assert!(o.status.success(), "pre-commit install: {}", stderr(&o));

    // A clean commit passes.
    git(dir.path(), &["add", "-A"]);
    let o = Command::new("git")
        .current_dir(dir.path())
        .env("PRE_COMMIT_HOME", home.path())
        .args(["commit", "-q", "-m", "clean"])
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "clean commit blocked: {}{}",
        stdout(&o),
        stderr(&o)
    );

    // A commit adding a legacy key is blocked with keysweep's message.
    std::fs::write(
        dir.path().join("deploy.env"),
        format!("LOCALSTACK_API_KEY={LEGACY_KEY}\n"),
    )
    .unwrap();
    git(dir.path(), &["add", "deploy.env"]);
    let o = Command::new("git")
        .current_dir(dir.path())
        .env("PRE_COMMIT_HOME", home.path())
        .args(["commit", "-q", "-m", "leak"])
        .output()
        .unwrap();
    let out = format!("{}{}", stdout(&o), stderr(&o));
    assert!(!o.status.success(), "leaking commit went through: {out}");
    assert!(out.contains("localstack.api-key.leaked"), "{out}");
    assert!(out.contains("deploy.env"), "{out}");
    assert!(!out.contains(LEGACY_KEY), "raw key printed: {out}");
    // The message ends with the three ways out, shortest first.
    let tail = &out[out.find("This commit is blocked").expect("ways out")..];
    let (inline, base, skip) = (
        tail.find("keysweep:ignore[localstack.api-key.leaked]")
            .expect("inline"),
        tail.find("keysweep baseline").expect("baseline"),
        tail.find("SKIP=keysweep git commit").expect("skip"),
    );
    assert!(inline < base && base < skip, "{tail}");

    // Accepting it inline lets the commit through.
    std::fs::write(
        dir.path().join("deploy.env"),
        format!("LOCALSTACK_API_KEY={LEGACY_KEY} # keysweep:ignore\n"),
    )
    .unwrap();
    git(dir.path(), &["add", "deploy.env"]);
    let o = Command::new("git")
        .current_dir(dir.path())
        .env("PRE_COMMIT_HOME", home.path())
        .args(["commit", "-q", "-m", "accepted"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
}

#[test]
fn shipped_hook_manifest_is_valid_and_runs_with_try_repo() {
    let Some(pc) = pre_commit() else { return };
    let home = tempfile::tempdir().unwrap();
    let o = pre_commit_cmd(&pc, &root(), home.path())
        .args(["validate-manifest", ".pre-commit-hooks.yaml"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));

    // try-repo clones this repository (uncommitted changes included) and
    // runs the `keysweep-system` hook, which finds keysweep on PATH.
    let dir = git_repo(&[(
        "leak.env",
        format!("LOCALSTACK_API_KEY={LEGACY_KEY}\n").as_bytes(),
    )]);
    git(dir.path(), &["add", "-A"]);
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_keysweep"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let o = pre_commit_cmd(&pc, dir.path(), home.path())
        .env("PATH", path)
        .arg("try-repo")
        .arg(root())
        .args(["keysweep-system", "--verbose"])
        .output()
        .unwrap();
    let out = format!("{}{}", stdout(&o), stderr(&o));
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("localstack.api-key.leaked"), "{out}");
    assert!(out.contains("leak.env"), "{out}");
}

// ---------------------------------------------------------------- manifests

/// Every `--flag` the Action and the hook manifests use exists in `scan --help`.
#[test]
fn action_and_hooks_only_use_existing_flags() {
    let help = stdout(&crate::util::run(&["scan", "--help"]));
    for file in [
        "action.yml",
        "action/scan.sh",
        ".pre-commit-hooks.yaml",
        "packaging/pre-commit-hook/.pre-commit-hooks.yaml",
    ] {
        let text = std::fs::read_to_string(root().join(file)).expect(file);
        let own: String = if file.ends_with(".sh") {
            // The `keysweep scan` command lines (with their continuations).
            let mut keep = Vec::new();
            let mut cont = false;
            for l in text.lines() {
                if cont || l.trim_start().starts_with("keysweep scan ") {
                    keep.push(l);
                    cont = l.trim_end().ends_with('\\');
                }
            }
            assert!(keep.len() >= 2, "{file}: no keysweep scan command found");
            keep.join("\n")
        } else {
            // Lines that build keysweep (cargo flags) are not keysweep's.
            text.lines()
                .filter(|l| !l.contains("cargo "))
                .collect::<Vec<_>>()
                .join("\n")
        };
        for word in own.split(|c: char| c.is_whitespace() || c == '(' || c == ')') {
            let flag = word.trim_matches(|c: char| c == '"' || c == ',' || c == '`');
            if flag.starts_with("--")
                && flag.len() > 2
                && flag[2..]
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '-')
            {
                assert!(
                    help.contains(flag),
                    "{file} uses {flag}, which `keysweep scan --help` does not list"
                );
            }
        }
    }
    let action = std::fs::read_to_string(root().join("action.yml")).unwrap();
    assert!(action.contains("github/codeql-action/upload-sarif"));
    assert!(action.contains("using: composite"));
}

#[test]
fn staged_blobs_over_the_size_cap_are_skipped_and_the_rest_scanned() {
    let big = format!("{}{}", "# padding\n".repeat(200), env_line(TOKEN_A));
    let dir = git_repo(&[
        ("a-big.env", big.as_bytes()),
        ("b-small.env", env_line(TOKEN_B).as_bytes()),
    ]);
    git(dir.path(), &["add", "-A"]);
    let (o, v) = scan_json(dir.path(), &["--staged", "--max-file-size", "1000"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(crate::util::finding_paths(&v), vec!["b-small.env"]);
    assert_eq!(v["summary"]["skipped"]["too-large"], 1);
    assert_eq!(v["skipped"][0]["path"], "a-big.env");
}

#[test]
fn config_adds_rule_files_relative_to_itself() {
    let rule = br#"[[rule]]
id = "team.internal-token"
title = "Internal deploy token"
description = "A team-specific credential."
severity = "high"
keywords = ["deploy_token"]
regex = '''deploy_token=(?P<secret>[a-z0-9]{12})'''
secret_group = "secret"
must_match = ["deploy_token=abcdef123456"]
must_not_match = ["deploy_token=short"]

[rule.migration]
summary = "Move it to the secret store."
"#;
    let dir = temp_tree(&[
        ("ci/keysweep.toml", b"rules = [\"team-rules.toml\"]\n"),
        ("ci/team-rules.toml", rule),
        ("app/config.ini", b"deploy_token=abcdef123456\n"),
    ]);
    let (o, v) = scan_json(dir.path(), &["app", "--config", "ci/keysweep.toml"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(rule_ids(&v["findings"]), vec!["team.internal-token"]);
    assert!(!stdout(&o).contains("abcdef123456"));
    // The config's rules can be disabled from the same file like any other.
    std::fs::write(
        dir.path().join("ci/keysweep.toml"),
        "rules = [\"team-rules.toml\"]\ndisabled_rules = [\"team.internal-token\"]\n",
    )
    .unwrap();
    let (o, _) = scan_json(dir.path(), &["app", "--config", "ci/keysweep.toml"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    // --config naming a missing file is an error.
    let o = run_in(dir.path(), &["scan", "--config", "nope.toml"]);
    assert_eq!(code(&o), 2);
}

/// The example keysweep.toml in docs/workflow.md is valid against the
/// current rule pack (rule ids, severities, patterns).
#[test]
fn documented_example_config_is_valid() {
    let doc = std::fs::read_to_string(root().join("docs/workflow.md")).unwrap();
    let example = doc
        .split("```toml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a toml block in docs/workflow.md");
    let rule = b"[[rule]]\nid = \"team.example\"\ntitle = \"t\"\ndescription = \"d\"\nseverity = \"low\"\n\
keywords = [\"teamkey\"]\nregex = 'teamkey=\\d+'\nmust_match = [\"teamkey=1\"]\n[rule.migration]\nsummary = \"s\"\n";
    let dir = temp_tree(&[
        ("keysweep.toml", example.as_bytes()),
        ("ci/keysweep-rules.toml", rule),
        ("app/.env", env_line(TOKEN_A).as_bytes()),
    ]);
    let (o, v) = scan_json(dir.path(), &[]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(crate::util::finding_paths(&v), vec!["app/.env"]);
}

/// Every commented example in the `keysweep init` starter is valid once
/// uncommented (rule ids exist, values parse).
#[test]
fn starter_examples_are_valid_when_uncommented() {
    let dir = temp_tree(&[(".env", env_line(TOKEN_A).as_bytes())]);
    assert_eq!(code(&run_in(dir.path(), &["init"])), 0);
    let starter = std::fs::read_to_string(dir.path().join("keysweep.toml")).unwrap();
    let uncommented: Vec<String> = starter
        .lines()
        .map(|l| {
            let Some(rest) = l.strip_prefix("# ") else {
                return l.to_string();
            };
            let key = rest.split(" = ").next().unwrap_or("");
            let is_code = rest.starts_with('"')
                || rest.starts_with("    ")
                || rest == "]"
                || (rest.contains(" = ")
                    && key.chars().all(|c| c.is_ascii_lowercase() || c == '_'));
            if is_code {
                rest.to_string()
            } else {
                l.to_string()
            }
        })
        .collect();
    let text = uncommented.join("\n");
    assert!(text.contains("\ndisabled_rules = "), "{text}");
    assert!(text.contains("\n\"localstack.cli.login\" = "), "{text}");
    std::fs::write(dir.path().join("keysweep.toml"), &text).unwrap();
    let rule = b"[[rule]]\nid = \"team.example\"\ntitle = \"t\"\ndescription = \"d\"\nseverity = \"low\"\n\
keywords = [\"teamkey\"]\nregex = 'teamkey=\\d+'\nmust_match = [\"teamkey=1\"]\n[rule.migration]\nsummary = \"s\"\n";
    std::fs::create_dir_all(dir.path().join("ci")).unwrap();
    std::fs::write(dir.path().join("ci/keysweep-rules.toml"), rule).unwrap();
    let (o, v) = scan_json(dir.path(), &[]);
    assert!(code(&o) <= 1, "{}\n{text}", stderr(&o));
    assert_eq!(crate::util::finding_paths(&v), vec![".env"]);
}

// ---------------------------------------------------------------- fix, plan

#[test]
fn fix_and_plan_honour_keysweep_toml_and_inline_directives() {
    let compose = |suffix: &str| {
        format!(
            "services:\n  localstack:\n    image: localstack/localstack-pro\n    environment:\n      \
             - LOCALSTACK_API_KEY=${{LOCALSTACK_API_KEY}}{suffix}\n"
        )
    };
    let dir = temp_tree(&[
        ("a/docker-compose.yml", compose("").as_bytes()),
        (
            "b/docker-compose.yml",
            compose(" # keysweep:ignore").as_bytes(),
        ),
        ("vendor/docker-compose.yml", compose("").as_bytes()),
        ("keysweep.toml", b"exclude = [\"vendor/\"]\n"),
        ("c.env", env_line(TOKEN_A).as_bytes()),
        (
            "d.env",
            format!("X={TOKEN_B} # gitleaks:allow\n").as_bytes(),
        ),
    ]);
    let o = run_in(dir.path(), &["fix", "--color", "never"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let diff = stdout(&o);
    assert!(diff.contains("+++ b/a/docker-compose.yml"), "{diff}");
    assert!(
        !diff.contains("b/b/docker-compose.yml"),
        "inline directive ignored: {diff}"
    );
    assert!(!diff.contains("vendor/"), "config exclude ignored: {diff}");

    // A rule disabled in keysweep.toml does not rewrite anything.
    std::fs::write(
        dir.path().join("keysweep.toml"),
        "exclude = [\"vendor/\"]\ndisabled_rules = [\"localstack.api-key.variable\"]\n",
    )
    .unwrap();
    let o = run_in(dir.path(), &["fix", "--color", "never"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(!stdout(&o).contains("+++"), "{}", stdout(&o));

    // The plan leaves out accepted findings.
    let o = run_in(dir.path(), &["plan", "--format", "json"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let plan = json(&o);
    let rotate: Vec<&str> = plan["rotate"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["path"].as_str().unwrap())
        .collect();
    assert_eq!(rotate, vec!["c.env"], "{plan}");
}

/// SARIF from `--staged` run in a subdirectory: URIs are relative to the top
/// of the work tree, so `%SRCROOT%` must be that directory, not the working
/// directory (code scanning would resolve `sub/sub/a.env`).
#[test]
fn staged_sarif_from_a_subdirectory_resolves_to_the_staged_file() {
    let dir = git_repo(&[("sub/a.env", b"LOCALSTACK_API_KEY=7tQk2LmZ9x\n")]);
    git(dir.path(), &["add", "."]);
    let o = run_in(
        &dir.path().join("sub"),
        &["scan", "--staged", "-f", "sarif", "--fail-on", "never"],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let sarif: Value = serde_json::from_slice(&o.stdout).unwrap();
    let run = &sarif["runs"][0];
    let uri = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        .as_str()
        .unwrap();
    assert_eq!(uri, "sub/a.env");
    let base = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap();
    let top = std::fs::canonicalize(dir.path()).unwrap();
    let resolved = format!("{base}{uri}");
    assert_eq!(
        resolved,
        format!("file://{}/sub/a.env", top.display()),
        "{base} + {uri}"
    );
}
