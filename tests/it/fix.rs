//! `keysweep fix` and `keysweep plan` on fixture repositories: dry runs leave
//! every byte alone, writes converge, keep encodings/permissions, refuse
//! changed, UTF-16, binary and unreadable files; SARIF carries the edits; the
//! plan is deterministic; fix sections are validated and self-tested.

use crate::util::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Rules for these tests: the fixture fix rules plus the Auth Token rules, so
/// results do not move when the default pack changes.
fn rule_args() -> Vec<String> {
    vec![
        "--no-default-rules".into(),
        "--rules".into(),
        fixture("rules/fix").display().to_string(),
        "--rules".into(),
        root().join("rules/auth-token.toml").display().to_string(),
    ]
}

fn ks(dir: &Path, args: &[&str]) -> std::process::Output {
    let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    all.extend(rule_args());
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    run_in(dir, &refs)
}

/// Copies a directory tree (files keep their permissions).
fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
            copy_tree(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

fn fixable_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&fixture("repos/fixable"), dir.path());
    dir
}

/// Every file under `dir`: relative path → (bytes, mode).
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (Vec<u8>, u32)> {
    fn walk(base: &Path, d: &Path, out: &mut BTreeMap<PathBuf, (Vec<u8>, u32)>) {
        for e in std::fs::read_dir(d).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            if e.file_type().unwrap().is_dir() {
                walk(base, &p, out);
            } else {
                out.insert(
                    p.strip_prefix(base).unwrap().to_path_buf(),
                    (std::fs::read(&p).unwrap(), mode(&p)),
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
}
#[cfg(not(unix))]
fn mode(_: &Path) -> u32 {
    0
}

#[test]
fn dry_run_prints_a_diff_and_leaves_every_byte_unchanged() {
    let dir = fixable_copy();
    let before = snapshot(dir.path());
    let o = ks(dir.path(), &["fix", "--color", "never"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(snapshot(dir.path()), before, "a dry run must not write");
    let diff = stdout(&o);
    assert!(
        diff.contains("--- a/.github/workflows/ci.yml\n+++ b/.github/workflows/ci.yml\n"),
        "{diff}"
    );
    assert!(diff.contains("-      LOCALSTACK_API_KEY: ${{ secrets.LOCALSTACK_API_KEY }}\n+      LOCALSTACK_AUTH_TOKEN: ${{ secrets.LOCALSTACK_API_KEY }}\n"), "{diff}");
    assert!(
        diff.contains(
            "-      - run: localstack auth logout\n+      - run: localstack auth clear-token\n"
        ),
        "{diff}"
    );
    assert!(!diff.contains('\x1b'), "no colour when asked not to");
    let summary = stderr(&o);
    assert!(summary.contains("dry run"), "{summary}");
    assert!(summary.contains("need --rename-secrets"), "{summary}");
    assert!(summary.contains("Rotate now (2)"), "{summary}");
    // Never a planted secret, in the diff or the summary.
    for s in std::fs::read_to_string(fixture("expected/fixable-secrets.txt"))
        .unwrap()
        .lines()
    {
        assert!(
            !diff.contains(s) && !summary.contains(s),
            "secret {s} printed"
        );
    }
}

#[test]
fn colour_is_used_only_when_asked() {
    let dir = fixable_copy();
    let o = ks(dir.path(), &["fix", "--color", "always"]);
    assert!(stdout(&o).contains("\x1b[31m-"), "{}", stdout(&o));
    assert!(stdout(&o).contains("\x1b[32m+"));
}

#[test]
fn write_then_scan_leaves_only_what_needs_a_person_and_is_idempotent() {
    let dir = fixable_copy();
    let o = ks(dir.path(), &["fix", "--write", "--rename-secrets"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).is_empty(), "--write prints no diff");
    let summary = stderr(&o);
    assert!(summary.contains("rewritten"), "{summary}");
    assert!(
        summary.contains("Create the CI secret LOCALSTACK_AUTH_TOKEN"),
        "{summary}"
    );
    // The credential line's edits are held back before the write and the
    // finding is work for a person (counted so by scan and plan too).
    assert!(
        summary.contains(
            "scripts/fallback.sh:3  test.fix.env-name: the line holds a committed credential"
        ),
        "credential line held back: {summary}"
    );
    let after_first = snapshot(dir.path());

    let ci =
        String::from_utf8(after_first[Path::new(".github/workflows/ci.yml")].0.clone()).unwrap();
    assert!(
        ci.contains("LOCALSTACK_AUTH_TOKEN: ${{ secrets.LOCALSTACK_AUTH_TOKEN }}"),
        "chained env + secret rename in one run:\n{ci}"
    );
    assert!(ci.contains("localstack auth clear-token"));

    // What is left: credentials to rotate, the held-back line, and the
    // image finding that has no mechanical rewrite.
    let scan = ks(dir.path(), &["scan", "--format", "json"]);
    let doc = json(&scan);
    let mut left: Vec<(String, String)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["rule_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    left.sort();
    assert_eq!(
        left,
        vec![
            (
                "docker-compose.yml".to_string(),
                "test.image.latest".to_string()
            ),
            (
                "scripts/fallback.sh".into(),
                "localstack.auth-token.leaked".into()
            ),
            ("scripts/fallback.sh".into(), "test.fix.env-name".into()),
            ("scripts/fallback.sh".into(), "test.fix.reference".into()),
            ("scripts/legacy.sh".into(), "test.fix.literal-key".into()),
        ]
    );
    // The committed values are untouched.
    for s in std::fs::read_to_string(fixture("expected/fixable-secrets.txt"))
        .unwrap()
        .lines()
    {
        assert!(
            after_first
                .values()
                .any(|(b, _)| String::from_utf8_lossy(b).contains(s)),
            "fix must never remove or rewrite the value {s}"
        );
    }

    // Second run: nothing to do, nothing changes.
    let o2 = ks(dir.path(), &["fix", "--write", "--rename-secrets"]);
    assert_eq!(code(&o2), 0);
    assert!(
        stderr(&o2).contains("0 file(s) rewritten, 0 edit(s)"),
        "{}",
        stderr(&o2)
    );
    assert_eq!(snapshot(dir.path()), after_first);
    let dry = ks(dir.path(), &["fix", "--rename-secrets"]);
    assert!(stdout(&dry).is_empty(), "{}", stdout(&dry));
}

#[test]
fn write_keeps_crlf_bom_trailing_newline_and_permissions() {
    let dir = fixable_copy();
    let before = snapshot(dir.path());
    let o = ks(dir.path(), &["fix", "--write"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let after = snapshot(dir.path());

    let compose = &after[Path::new("docker-compose.yml")].0;
    assert_ne!(compose, &before[Path::new("docker-compose.yml")].0);
    assert!(
        compose
            .windows(2)
            .filter(|w| w[1] == b'\n')
            .all(|w| w[0] == b'\r'),
        "CRLF kept: {compose:?}"
    );
    let text = String::from_utf8_lossy(compose);
    assert!(!text.contains("ACTIVATE_PRO"), "line removed");
    assert!(
        text.contains(
            "      - LOCALSTACK_AUTH_TOKEN=${LOCALSTACK_AUTH_TOKEN:-}\r\n      - DEBUG=1\r\n"
        ),
        "{text}"
    );

    let bom = &after[Path::new("scripts/bom.sh")].0;
    assert!(bom.starts_with(b"\xEF\xBB\xBF#!/bin/sh\n"), "BOM kept");
    assert!(
        bom.ends_with(b"export LOCALSTACK_AUTH_TOKEN=$LOCALSTACK_AUTH_TOKEN"),
        "no newline added: {:?}",
        String::from_utf8_lossy(bom)
    );

    for p in ["scripts/dev.sh", "scripts/bom.sh", "docker-compose.yml"] {
        assert_eq!(after[Path::new(p)].1, before[Path::new(p)].1, "mode of {p}");
    }
    #[cfg(unix)]
    assert_eq!(after[Path::new("scripts/dev.sh")].1 & 0o777, 0o755);
    // No temporary file left anywhere.
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        before.keys().collect::<Vec<_>>()
    );
    // Binary file untouched.
    assert_eq!(
        after[Path::new("data/cache.bin")],
        before[Path::new("data/cache.bin")]
    );
}

#[test]
fn a_file_modified_between_scan_and_write_is_refused() {
    let dir = fixable_copy();
    let rules = keysweep::rules::RuleSet::load_with(
        true,
        &[fixture("rules/fix"), root().join("rules/auth-token.toml")],
    )
    .unwrap();
    let cwd = std::env::current_dir().unwrap();
    let target = dir.path().join("scripts/dev.sh");
    let scanner = keysweep::scan::Scanner::unjudged(rules, keysweep::scan::ScanOptions::default());
    let source = keysweep::source::tree::TreeSource {
        roots: vec![dir.path().to_path_buf()],
        options: keysweep::source::tree::WalkOptions::default(),
    };
    let out = scanner.run(&source);
    assert!(out
        .findings
        .iter()
        .any(|f| f.path.ends_with("scripts/dev.sh") && f.fix.is_some()));
    // Someone edits the file after the scan.
    std::fs::write(
        &target,
        b"#!/bin/sh\nexport LOCALSTACK_API_KEY=${LOCALSTACK_API_KEY:-}\n# edited\n",
    )
    .unwrap();
    let opts = keysweep::fix::FixOptions {
        write: true,
        max_file_size: 1 << 20,
        ..Default::default()
    };
    let results = keysweep::fix::fix_all(&scanner, &out.findings, &cwd, &opts);
    let dev = results
        .iter()
        .find(|r| r.path.ends_with("scripts/dev.sh"))
        .unwrap();
    let why = dev.outcome.as_ref().unwrap_err();
    assert_eq!(*why, keysweep::fix::Refusal::Changed);
    assert!(
        why.to_string().contains("changed since it was scanned"),
        "{why}"
    );
    assert_eq!(
        std::fs::read(&target).unwrap(),
        b"#!/bin/sh\nexport LOCALSTACK_API_KEY=${LOCALSTACK_API_KEY:-}\n# edited\n"
    );
    // Other files were still fixed.
    assert!(results
        .iter()
        .any(|r| r.outcome.as_ref().is_ok_and(|c| c.written)));
    assert_eq!(std::env::current_dir().unwrap(), cwd);

    // A file that vanished is refused, not recreated.
    let gone = dir.path().join("scripts/dev.sh");
    let out = scanner.run(&source);
    std::fs::remove_file(&gone).unwrap();
    let results = keysweep::fix::fix_all(&scanner, &out.findings, &cwd, &opts);
    assert!(results
        .iter()
        .any(|r| r.path.ends_with("scripts/dev.sh") && r.outcome.is_err()));
    assert!(!gone.exists());
}

#[test]
fn utf16_files_are_refused_and_left_byte_identical() {
    let mut utf16 = vec![0xFF, 0xFE];
    for u in "$env:LOCALSTACK_API_KEY=$LOCALSTACK_API_KEY\r\n".encode_utf16() {
        utf16.extend(u.to_le_bytes());
    }
    let dir = temp_tree(&[
        ("start.ps1", &utf16),
        ("dev.sh", b"export LOCALSTACK_API_KEY=$LOCALSTACK_API_KEY\n"),
    ]);
    let o = ks(dir.path(), &["fix", "--write"]);
    assert_eq!(code(&o), 1, "a refused file makes the exit code 1");
    assert!(
        stderr(&o).contains("start.ps1: UTF-16 files are not rewritten"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read(dir.path().join("start.ps1")).unwrap(), utf16);
    assert_eq!(
        std::fs::read(dir.path().join("dev.sh")).unwrap(),
        b"export LOCALSTACK_AUTH_TOKEN=$LOCALSTACK_AUTH_TOKEN\n"
    );
}

#[cfg(unix)]
#[test]
fn unreadable_files_are_untouched() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_tree(&[(
        "locked.sh",
        b"export LOCALSTACK_API_KEY=$LOCALSTACK_API_KEY\n",
    )]);
    let p = dir.path().join("locked.sh");
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000)).unwrap();
    // Root reads any file whatever its mode (CI runs as root): run keysweep
    // as an unprivileged user then, so the file really is unreadable to it.
    let o = if std::fs::read(&p).is_ok() {
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        unprivileged(dir.path(), &["fix", "--write"])
    } else {
        ks(dir.path(), &["fix", "--write"])
    };
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stderr(&o).contains("0 file(s) rewritten"), "{}", stderr(&o));
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert_eq!(
        std::fs::read(&p).unwrap(),
        b"export LOCALSTACK_API_KEY=$LOCALSTACK_API_KEY\n"
    );
}

/// Runs keysweep in `dir` as the unprivileged user `nobody` (uid 65534),
/// with `setpriv` from util-linux.
#[cfg(unix)]
fn unprivileged(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--",
            env!("CARGO_BIN_EXE_keysweep"),
        ])
        .args(args)
        .args(rule_args())
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .output()
        .expect("setpriv (util-linux) runs keysweep as an unprivileged user")
}

#[test]
fn fixes_that_undo_each_other_are_refused() {
    let dir = temp_tree(&[("a.env", b"FOO_A=1\n")]);
    let o = run_in(
        dir.path(),
        &[
            "fix",
            "--write",
            "--no-default-rules",
            "--rules",
            fixture("rules/fix-cycle").to_str().unwrap(),
        ],
    );
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("do not converge"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(dir.path().join("a.env")).unwrap(),
        b"FOO_A=1\n"
    );
}

#[test]
fn sarif_results_carry_the_fix_as_replacements() {
    let dir = fixable_copy();
    let o = ks(
        dir.path(),
        &["scan", "--format", "sarif", "--fail-on", "never"],
    );
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("schema/sarif-2.1.0.json")).unwrap())
            .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let logout = results
        .iter()
        .find(|r| r["ruleId"] == "test.fix.logout")
        .expect("logout finding");
    let change = &logout["fixes"][0]["artifactChanges"][0];
    assert_eq!(
        change["artifactLocation"]["uri"],
        ".github/workflows/ci.yml"
    );
    let rep = &change["replacements"][0];
    // `      - run: localstack auth logout` — "logout" starts at column 30.
    assert_eq!(rep["deletedRegion"]["startLine"], 11);
    assert_eq!(rep["deletedRegion"]["startColumn"], 30);
    assert_eq!(rep["deletedRegion"]["endColumn"], 36);
    assert_eq!(rep["insertedContent"]["text"], "clear-token");
    // The line deletion spans into the next line.
    let act = results
        .iter()
        .find(|r| r["ruleId"] == "test.fix.activate-pro")
        .unwrap();
    let region = &act["fixes"][0]["artifactChanges"][0]["replacements"][0]["deletedRegion"];
    assert_eq!(
        (region["startLine"].as_i64(), region["startColumn"].as_i64()),
        (Some(5), Some(1))
    );
    assert_eq!(
        (region["endLine"].as_i64(), region["endColumn"].as_i64()),
        (Some(6), Some(1))
    );
    // Opt-in fixes and findings holding a secret carry no fix.
    for id in [
        "test.fix.secret-name",
        "test.fix.literal-key",
        "localstack.auth-token.leaked",
    ] {
        for r in results.iter().filter(|r| r["ruleId"] == id) {
            assert!(r.get("fixes").is_none(), "{id} must have no fixes");
        }
    }
}

#[test]
fn plan_is_deterministic_and_groups_the_work() {
    let dir = fixable_copy();
    let a = ks(dir.path(), &["plan"]);
    assert_eq!(code(&a), 0, "{}", stderr(&a));
    let b = ks(dir.path(), &["plan", "-j", "1"]);
    assert_eq!(
        stdout(&a),
        stdout(&b),
        "plan output must not depend on scheduling"
    );
    let md = stdout(&a);
    assert!(
        md.starts_with("# LocalStack credential migration plan\n"),
        "{md}"
    );
    assert!(
        md.contains("## Checklist\n\n- [ ] Rotate 2 committed credentials (2 findings)"),
        "{md}"
    );
    assert!(md.contains("**GitHub Actions**: secret `LOCALSTACK_AUTH_TOKEN` (a CI Auth Token) needed by 2 files"), "{md}");
    assert!(
        md.contains("legacy secret `LOCALSTACK_API_KEY` still referenced by 2 files: point them at `LOCALSTACK_AUTH_TOKEN`"),
        "{md}"
    );
    assert!(
        md.contains("| critical | `scripts/fallback.sh:3` |"),
        "{md}"
    );
    assert!(
        md.contains("| `docker-compose.yml` | `test.fix.activate-pro` ×1"),
        "{md}"
    );
    assert!(md.contains("Community image that needs a token since 2026 (medium, `test.image.latest`): `docker-compose.yml:3`"), "{md}");
    assert!(md.contains("Deprecated localstack auth logout (low, `test.fix.logout`): `.github/workflows/ci.yml:11`"), "{md}");
    // The held-back credential line is work for a person, not for fix.
    assert!(!md.contains("| `scripts/fallback.sh` |"), "{md}");
    for s in std::fs::read_to_string(fixture("expected/fixable-secrets.txt"))
        .unwrap()
        .lines()
    {
        assert!(!md.contains(s), "secret {s} in plan");
    }

    let j = ks(dir.path(), &["plan", "--format", "json"]);
    let doc = json(&j);
    assert_eq!(doc["format"], "keysweep-plan");
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["rotate"].as_array().unwrap().len(), 2);
    assert_eq!(doc["rotate"][0]["severity"], "critical");
    assert_eq!(doc["ci_secrets"][0]["system"], "GitHub Actions");
    assert_eq!(doc["by_severity"]["critical"], 1);
    assert!(doc["checklist"].as_array().unwrap().len() >= 5);
}

#[test]
fn rules_check_runs_fix_sections_and_reports_bad_ones_with_spans() {
    let o = run(&[
        "rules",
        "check",
        "--no-default-rules",
        "--rules",
        fixture("rules/fix").to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));

    let bad = |fix: &str, regex: &str| {
        format!(
            "[[rule]]\nid = \"t.bad\"\ntitle = \"t\"\ndescription = \"d\"\nseverity = \"low\"\nkeywords = [\"_key\"]\nregex = '''{regex}'''\nmust_match = [\"FOO_KEY=1\"]\n\n[rule.migration]\nsummary = \"s\"\n\n[rule.fix]\n{fix}\n"
        )
    };
    let cases = [
        (
            bad("group = \"nope\"\nreplacement = \"x\"", r"(?P<n>FOO)_KEY"),
            "fix group `nope` is not a named group",
        ),
        (
            bad(
                "group = \"n\"\nreplacement = \"x\"\nopt_in = \"yolo\"",
                r"(?P<n>FOO)_KEY",
            ),
            "unknown fix opt_in `yolo`",
        ),
        (
            bad("group = \"n\"", r"(?P<n>FOO)_KEY"),
            "a fix needs `replacement`",
        ),
        (
            bad(
                "replacement = \"x\"\nreplace = [{ find = 'a', with = 'b' }]",
                r"FOO_KEY",
            ),
            "either `replacement` or `replace`",
        ),
        (
            bad("replace = [{ find = 'x*', with = 'b' }]", r"FOO_KEY"),
            "matches the empty string",
        ),
        (
            bad(
                "group = \"n\"\nreplacement = \"BAR\"",
                r"(?P<n>FOO)_KEY=(?P<secret>\d)",
            ),
            "reports a secret value cannot have a fix",
        ),
        (
            bad("scope = \"file\"\nreplacement = \"x\"", r"FOO_KEY"),
            "unknown fix scope `file`",
        ),
        (
            bad(
                "scope = \"line\"\ngroup = \"n\"\nreplacement = \"x\"",
                r"(?P<n>FOO)_KEY",
            ),
            "rewrites whole lines: drop `group`",
        ),
        // Guards that skip every example leave the fix untested.
        (
            bad(
                "group = \"n\"\nreplacement = \"BAR\"\nunless_file = ['=1']",
                r"(?P<n>FOO)_KEY",
            ),
            "no must_match example is rewritten by its fix",
        ),
        // Compiles, but the rewrite changes nothing: since fixes go through
        // the repository plan (which may hold an example back on purpose),
        // this is reported per rule, like guards that skip every example.
        (
            bad(
                "group = \"n\"\nreplacement = \"FOO\"",
                r"(?P<n>FOO|BAR)_KEY",
            ),
            "no must_match example is rewritten by its fix",
        ),
        (
            bad(
                "group = \"n\"\nreplacement = \"BAR\"",
                r"(?P<n>FOO|BAR)_KEY",
            ),
            "still matches",
        ),
    ];
    for (text, want) in cases {
        let dir = temp_tree(&[("bad.toml", text.as_bytes())]);
        let o = run(&[
            "rules",
            "check",
            "--no-default-rules",
            "--rules",
            dir.path().join("bad.toml").to_str().unwrap(),
        ]);
        assert_eq!(code(&o), 2, "{want}: {}", stdout(&o));
        // Diagnostics wrap long lines: compare with the box drawing removed.
        let err = stderr(&o)
            .split_whitespace()
            .filter(|w| *w != "│")
            .collect::<Vec<_>>()
            .join(" ");
        assert!(err.contains(want), "expected {want:?} in:\n{err}");
        assert!(
            err.contains("bad.toml:"),
            "diagnostic names the file and span:\n{err}"
        );
    }
}

/// The demo monorepo with the default rule pack: the dry-run diff, applied by
/// `git apply`, gives exactly the bytes `--write` produces; a second run
/// changes nothing; every credential finding survives the rewrite.
#[test]
fn demo_diff_applies_and_matches_write_with_the_default_pack() {
    let dry = tempfile::tempdir().unwrap();
    copy_tree(&fixture("demo"), dry.path());
    let written = tempfile::tempdir().unwrap();
    copy_tree(&fixture("demo"), written.path());
    let before = snapshot(dry.path());

    let o = run_in(dry.path(), &["fix", "--rename-secrets", "--color", "never"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(snapshot(dry.path()), before);
    let diff = o.stdout.clone();
    assert!(!diff.is_empty());
    for s in std::fs::read_to_string(fixture("expected/demo-secrets.txt"))
        .unwrap()
        .lines()
    {
        assert!(
            !String::from_utf8_lossy(&diff).contains(s.trim()),
            "secret in diff"
        );
    }
    // Redacted context lines cannot apply as a patch; --show-secrets prints them.
    let o = run_in(
        dry.path(),
        &[
            "fix",
            "--rename-secrets",
            "--color",
            "never",
            "--show-secrets",
        ],
    );
    let diff = o.stdout.clone();

    let scan_before = json(&run_in(
        written.path(),
        &["scan", "--format", "json", "--fail-on", "never"],
    ));
    let o = run_in(written.path(), &["fix", "--write", "--rename-secrets"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stderr(&o).contains("file(s) rewritten"), "{}", stderr(&o));
    let after_write = snapshot(written.path());
    assert_ne!(after_write, before);

    {
        // git is part of every environment keysweep is tested in.
        let patch = dry.path().join("fix.patch");
        std::fs::write(&patch, &diff).unwrap();
        let applied = std::process::Command::new("git")
            .current_dir(dry.path())
            .args(["apply", "--whitespace=nowarn", "fix.patch"])
            .output()
            .unwrap();
        assert!(
            applied.status.success(),
            "git apply: {}",
            String::from_utf8_lossy(&applied.stderr)
        );
        std::fs::remove_file(&patch).unwrap();
        assert_eq!(
            snapshot(dry.path()),
            after_write,
            "diff and --write disagree"
        );
    }

    let again = run_in(written.path(), &["fix", "--write", "--rename-secrets"]);
    assert!(
        stderr(&again).contains("0 file(s) rewritten, 0 edit(s)"),
        "{}",
        stderr(&again)
    );
    assert_eq!(snapshot(written.path()), after_write);

    // Critical and high findings (credentials to rotate) are all still there.
    let serious = |doc: &serde_json::Value| {
        let mut v: Vec<String> = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| matches!(f["severity"].as_str(), Some("critical" | "high")))
            .map(|f| format!("{} {}", f["path"], f["rule_id"]))
            .collect();
        v.sort();
        v
    };
    let scan_after = json(&run_in(
        written.path(),
        &["scan", "--format", "json", "--fail-on", "never"],
    ));
    assert_eq!(serious(&scan_after), serious(&scan_before));
    assert!(
        scan_after["findings"].as_array().unwrap().len()
            < scan_before["findings"].as_array().unwrap().len()
    );
}

#[test]
fn bytes_that_are_not_utf8_survive_a_write() {
    let original: &[u8] =
        b"# caf\xe9 \xff\xfe broken\nexport LOCALSTACK_API_KEY=${LOCALSTACK_API_KEY:-}\n\xc3\n";
    let dir = temp_tree(&[("dev.sh", original)]);
    let o = ks(dir.path(), &["fix", "--write"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        std::fs::read(dir.path().join("dev.sh")).unwrap(),
        b"# caf\xe9 \xff\xfe broken\nexport LOCALSTACK_AUTH_TOKEN=${LOCALSTACK_AUTH_TOKEN:-}\n\xc3\n"
    );
}

#[test]
fn scan_points_at_fix_when_something_is_fixable() {
    let dir = fixable_copy();
    let o = ks(
        dir.path(),
        &["scan", "--fail-on", "never", "--color", "never"],
    );
    assert!(
        stdout(&o).contains("can be rewritten mechanically: run `keysweep fix`"),
        "{}",
        stdout(&o)
    );
}

/// Guards of the default pack's renames: a script that defines the legacy
/// variable and reads it later is left alone; a file that already sets
/// LOCALSTACK_AUTH_TOKEN is left alone (no duplicate key); a plain reference
/// is renamed, and the secret behind it only with --rename-secrets.
#[test]
fn default_pack_renames_only_where_it_is_safe() {
    let dir = temp_tree(&[
        (
            "define-then-read.sh",
            b"export LOCALSTACK_API_KEY=\"$(cat ~/.ls-key)\"\ndocker run -e LOCALSTACK_AUTH_TOKEN=\"$LOCALSTACK_API_KEY\" localstack/localstack-pro\n",
        ),
        ("pass-through.sh", b"export LOCALSTACK_API_KEY=${LOCALSTACK_API_KEY:-}\nlocalstack start -d\n"),
        (
            ".github/workflows/both.yml",
            b"jobs:\n  a:\n    env:\n      LOCALSTACK_AUTH_TOKEN: ${{ secrets.LOCALSTACK_AUTH_TOKEN }}\n      LOCALSTACK_API_KEY: ${{ secrets.LOCALSTACK_API_KEY }}\n",
        ),
        (
            ".github/workflows/ci.yml",
            b"jobs:\n  a:\n    env:\n      LOCALSTACK_API_KEY: ${{ secrets.LOCALSTACK_API_KEY }}\n    steps:\n      - run: localstack auth logout\n",
        ),
    ]);
    let before = snapshot(dir.path());
    let o = run_in(dir.path(), &["fix", "--write"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let after = snapshot(dir.path());
    let text = |p: &str| String::from_utf8(after[Path::new(p)].0.clone()).unwrap();
    assert_eq!(
        after[Path::new("define-then-read.sh")],
        before[Path::new("define-then-read.sh")]
    );
    assert_eq!(
        after[Path::new(".github/workflows/both.yml")],
        before[Path::new(".github/workflows/both.yml")]
    );
    assert_eq!(
        text("pass-through.sh"),
        "export LOCALSTACK_AUTH_TOKEN=${LOCALSTACK_API_KEY:-}\nlocalstack start -d\n"
    );
    assert_eq!(
        text(".github/workflows/ci.yml"),
        "jobs:\n  a:\n    env:\n      LOCALSTACK_AUTH_TOKEN: ${{ secrets.LOCALSTACK_API_KEY }}\n    steps:\n      - run: localstack auth clear-token\n"
    );
    assert!(
        stderr(&o).contains("need --rename-secrets"),
        "{}",
        stderr(&o)
    );

    let o = run_in(dir.path(), &["fix", "--write", "--rename-secrets"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let after = snapshot(dir.path());
    let text = |p: &str| String::from_utf8(after[Path::new(p)].0.clone()).unwrap();
    // The pass-through's read may be fed by the other script's export,
    // which keeps the old name (its scope already sets the new one): the
    // read keeps the old name too, and says why.
    assert_eq!(
        text("pass-through.sh"),
        "export LOCALSTACK_AUTH_TOKEN=${LOCALSTACK_API_KEY:-}\nlocalstack start -d\n"
    );
    assert!(text(".github/workflows/ci.yml")
        .contains("LOCALSTACK_AUTH_TOKEN: ${{ secrets.LOCALSTACK_AUTH_TOKEN }}"));
    assert!(
        stderr(&o).contains("Create the renamed secret or variable"),
        "{}",
        stderr(&o)
    );
    // The script that defines its own value is still untouched.
    assert_eq!(
        after[Path::new("define-then-read.sh")],
        before[Path::new("define-then-read.sh")]
    );
}

/// `fix` rescans every file with the scan's own settings: a finding that
/// keysweep.toml allowlists stays as it is even when the same file has
/// another fixable finding (it used to be rewritten with it).
#[test]
fn fix_leaves_allowlisted_findings_alone_beside_fixable_ones() {
    let dir = temp_tree(&[
        (
            "run.sh",
            b"export LOCALSTACK_API_KEY=$A\nLOCALSTACK_API_KEY=$B\n",
        ),
        (
            "keysweep.toml",
            b"[allowlist.rules]\n\"localstack.api-key.variable\" = [\"^export\"]\n",
        ),
    ]);
    let scan = json(&run_in(
        dir.path(),
        &["scan", ".", "--format", "json", "--fail-on", "never"],
    ));
    let kept: Vec<u64> = scan["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "localstack.api-key.variable")
        .map(|f| f["line"].as_u64().unwrap())
        .collect();
    assert_eq!(kept, vec![2], "{scan}");
    let o = run_in(dir.path(), &["fix", ".", "--color", "never"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let diff = stdout(&o);
    assert!(diff.contains("+LOCALSTACK_AUTH_TOKEN=$B"), "{diff}");
    assert!(
        !diff.contains("-export"),
        "the allowlisted line is rewritten:\n{diff}"
    );
    // plan agrees with fix: one automatic edit in run.sh.
    let plan = json(&run_in(dir.path(), &["plan", ".", "--format", "json"]));
    let auto = plan["automatic"].as_array().unwrap();
    assert_eq!(auto.len(), 1, "{plan}");
    assert_eq!(auto[0]["path"], "run.sh");
    assert_eq!(auto[0]["rules"]["localstack.api-key.variable"], 1, "{plan}");
    let o = run_in(dir.path(), &["fix", ".", "--write"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("run.sh")).unwrap(),
        "export LOCALSTACK_API_KEY=$A\nLOCALSTACK_AUTH_TOKEN=$B\n"
    );
}
