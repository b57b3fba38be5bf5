//! Reports CI systems and people rely on: no self-scans, several reports
//! from one scan, GitLab's formats against GitLab's schema, SARIF for code
//! scanning, the compact format, terminal conventions, the blocked-commit
//! message, config discovery, shallow history, completions and the man page.

use crate::util::*;
use std::path::Path;
use std::process::Command;

const OTHER_KEY_LINE: &[u8] = b"export LOCALSTACK_API_KEY=Zq8mT2wLpX\n";
const KEY_LINE: &[u8] = b"LOCALSTACK_API_KEY=cpVmfK8NqK\n";

fn git(dir: &Path, args: &[&str]) {
    let o = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.email=dev@example.com", "-c", "user.name=Dev"])
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .env("GIT_AUTHOR_DATE", "2024-05-01T12:00:00Z")
        .env("GIT_COMMITTER_DATE", "2024-05-01T12:00:00Z")
        .output()
        .expect("git runs");
    assert!(o.status.success(), "git {args:?}: {}", stderr(&o));
}

fn count(v: &serde_json::Value, key: &str) -> u64 {
    v["summary"]["skipped"][key].as_u64().unwrap_or(0)
}

// ------------------------------------------------------------ no self-scans

#[test]
fn reports_written_into_the_tree_are_never_scanned_again() {
    let dir = temp_tree(&[("deploy.env", KEY_LINE), ("ci.env", OTHER_KEY_LINE)]);
    let d = dir.path();
    let before = scan_json_in(d, &["."]);
    let n = before["findings"].as_array().unwrap().len();
    assert!(n >= 2, "{before}");
    // Every machine-readable format, written into the scanned tree by
    // another run (so not this run's own files), plus a baseline and plans.
    for (format, file) in [
        ("json", "out/report.json"),
        ("sarif", "out/report.sarif"),
        (
            "gitlab-secret-detection",
            "out/gl-secret-detection-report.json",
        ),
        ("gitlab-codequality", "out/gl-code-quality-report.json"),
    ] {
        std::fs::create_dir_all(d.join("out")).unwrap();
        let o = run_in(
            d,
            &["scan", "deploy.env", "ci.env", "-f", format, "-o", file],
        );
        assert_eq!(code(&o), 1, "{}", stderr(&o));
    }
    let o = run_in(d, &["baseline", "deploy.env", "-o", "out/accepted.json"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    for (format, file) in [("markdown", "out/PLAN.md"), ("json", "out/plan.json")] {
        let o = run_in(d, &["plan", ".", "-f", format, "-o", file]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
    }
    let after = scan_json_in(d, &["."]);
    assert_eq!(
        finding_paths(&after),
        finding_paths(&before),
        "a report was scanned: {after}"
    );
    assert_eq!(count(&after, "keysweep-report"), 7, "{}", after["summary"]);
    let listed: Vec<&str> = after["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["reason"] == "keysweep-report")
        .map(|s| s["path"].as_str().unwrap())
        .collect();
    assert!(listed.contains(&"out/report.sarif"), "{listed:?}");
    // The human summary counts them like any other skip.
    let o = run_in(d, &["scan", ".", "--fail-on", "never"]);
    assert!(stdout(&o).contains("7 keysweep-report"), "{}", stdout(&o));
}

#[test]
fn the_runs_own_output_and_baseline_are_skipped_by_identity() {
    let dir = temp_tree(&[("deploy.env", KEY_LINE)]);
    let d = dir.path();
    // A human report (not recognisable by content) written into the tree.
    let o = run_in(d, &["scan", ".", "-o", "report.txt", "--fail-on", "never"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let text = std::fs::read_to_string(d.join("report.txt")).unwrap();
    assert!(text.contains("localstack.api-key.leaked"), "{text}");
    // Rescanning with the same --output skips the old report instead of
    // reporting the legacy forms it quotes.
    let o = run_in(
        d,
        &[
            "scan",
            ".",
            "-o",
            "report.txt",
            "--report",
            "json=r.json",
            "--fail-on",
            "never",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("r.json")).unwrap()).unwrap();
    assert_eq!(finding_paths(&r), vec!["deploy.env"], "{r}");
    assert_eq!(count(&r, "own-output"), 1, "{}", r["summary"]);
    // Without it, the stale human report is scanned (it is not a format
    // keysweep recognises): the skip above is what kept it out.
    let r = scan_json_in(d, &["."]);
    assert!(finding_paths(&r).iter().any(|p| p == "report.txt"), "{r}");
}

// --------------------------------------------------- several reports, -o -

#[test]
fn one_scan_writes_several_reports_and_dash_means_stdout() {
    let dir = temp_tree(&[("deploy.env", KEY_LINE)]);
    let d = dir.path();
    let o = run_in(
        d,
        &[
            "scan",
            "deploy.env",
            "-f",
            "json",
            "-o",
            "-",
            "--report",
            "sarif=k.sarif",
            "--report",
            "compact=k.txt",
            "--fail-on",
            "never",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(!d.join("-").exists(), "-o - wrote a file named -");
    assert_eq!(json(&o)["format"], "keysweep-report");
    let sarif = std::fs::read_to_string(d.join("k.sarif")).unwrap();
    assert!(sarif.contains("\"2.1.0\""));
    let compact = std::fs::read_to_string(d.join("k.txt")).unwrap();
    assert!(
        compact.starts_with("deploy.env:1:20: high localstack.api-key.leaked: "),
        "{compact}"
    );
    // Reports went to files: one summary line on stderr.
    let err = stderr(&o);
    assert!(
        err.contains("keysweep: 1 finding (1 high); wrote sarif to k.sarif, compact to k.txt"),
        "{err}"
    );
    // Two reports on stdout is a usage error.
    let o = run_in(d, &["scan", "deploy.env", "--report", "json=-"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let o = run_in(d, &["scan", "deploy.env", "--report", "nope=x"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("unknown format `nope`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_failing_run_with_output_file_says_so_on_stderr_unless_quiet() {
    let dir = temp_tree(&[("deploy.env", KEY_LINE)]);
    let d = dir.path();
    let o = run_in(d, &["scan", ".", "-f", "sarif", "-o", "k.sarif"]);
    assert_eq!(code(&o), 1);
    assert!(stdout(&o).is_empty());
    let err = stderr(&o);
    assert!(
        err.starts_with("keysweep: 1 finding (1 high); wrote sarif to k.sarif"),
        "{err}"
    );
    let o = run_in(d, &["scan", ".", "-f", "sarif", "-o", "k.sarif", "-q"]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
}

// ------------------------------------------------------------------ GitLab

fn gitlab_schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(fixture(
        "schema/gitlab-secret-detection-report-format-15.2.4.json",
    ))
    .unwrap();
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&schema).expect("GitLab's schema compiles")
}

fn scan_format(path: &str, format: &str) -> serde_json::Value {
    let o = run(&["scan", path, "--format", format, "--fail-on", "never"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    json(&o)
}

#[test]
fn gitlab_secret_detection_report_validates_against_gitlabs_schema() {
    let validator = gitlab_schema();
    for path in [
        "fixtures/demo",
        "fixtures/repos/clean",
        "fixtures/repos/edge-cases",
    ] {
        let doc = scan_format(path, "gitlab-secret-detection");
        let errors: Vec<String> = validator
            .iter_errors(&doc)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{path}: {errors:#?}");
    }
    // The gate can fail: a report without its scan object is refused.
    let mut doc = scan_format("fixtures/demo", "gitlab-secret-detection");
    doc.as_object_mut().unwrap().remove("scan");
    assert!(!validator.is_valid(&doc));
}

#[test]
fn gitlab_secret_detection_carries_ids_severities_locations_and_the_scan() {
    let doc = scan_format("fixtures/demo", "gitlab-secret-detection");
    let json_report = scan_json(&["fixtures/demo"]);
    let vulns = doc["vulnerabilities"].as_array().unwrap();
    assert_eq!(
        vulns.len(),
        json_report["findings"].as_array().unwrap().len()
    );
    let scan = &doc["scan"];
    assert_eq!(scan["type"], "secret_detection");
    assert_eq!(scan["status"], "success");
    assert_eq!(scan["scanner"]["id"], "keysweep");
    assert_eq!(scan["analyzer"]["id"], "keysweep");
    let map = [
        ("critical", "Critical"),
        ("high", "High"),
        ("medium", "Medium"),
        ("low", "Low"),
        ("info", "Info"),
    ];
    for (v, f) in vulns
        .iter()
        .zip(json_report["findings"].as_array().unwrap())
    {
        let want = map.iter().find(|(k, _)| *k == f["severity"]).unwrap().1;
        assert_eq!(v["severity"], want);
        assert_eq!(v["location"]["file"], f["path"]);
        assert_eq!(v["location"]["start_line"], f["line"]);
        assert_eq!(v["identifiers"][0]["value"], f["rule_id"]);
        assert!(v["location"]["commit"]["sha"].as_str().unwrap().len() >= 7);
    }
    let ids: std::collections::BTreeSet<&str> =
        vulns.iter().map(|v| v["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), vulns.len(), "ids are unique");
    // Stable: the same scan gives the same ids.
    let again = scan_format("fixtures/demo", "gitlab-secret-detection");
    let again_ids: std::collections::BTreeSet<&str> = again["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, again_ids);
}

#[test]
fn gitlab_code_quality_report_has_the_fields_gitlab_reads() {
    let doc = scan_format("fixtures/demo", "gitlab-codequality");
    let issues = doc.as_array().unwrap();
    assert!(issues.len() > 50);
    let map = [
        ("critical", "blocker"),
        ("high", "critical"),
        ("medium", "major"),
        ("low", "minor"),
        ("info", "info"),
    ];
    let json_report = scan_json(&["fixtures/demo"]);
    for (i, f) in issues
        .iter()
        .zip(json_report["findings"].as_array().unwrap())
    {
        assert!(i["description"]
            .as_str()
            .unwrap()
            .contains(f["rule_id"].as_str().unwrap()));
        assert_eq!(i["check_name"], f["rule_id"]);
        assert!(!i["fingerprint"].as_str().unwrap().is_empty());
        assert_eq!(
            i["severity"],
            map.iter().find(|(k, _)| *k == f["severity"]).unwrap().1
        );
        assert_eq!(i["location"]["path"], f["path"]);
        assert_eq!(i["location"]["lines"]["begin"], f["line"]);
    }
}

// ------------------------------------------------------------------- SARIF

#[test]
fn sarif_has_information_uri_category_and_skip_notifications() {
    let dir = temp_tree(&[("deploy.env", KEY_LINE), ("logo.png", b"\x89PNG\0\0\0")]);
    let o = run_in(
        dir.path(),
        &[
            "scan",
            ".",
            "-f",
            "sarif",
            "--sarif-category",
            "keysweep-services",
            "--fail-on",
            "never",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let doc = json(&o);
    let run = &doc["runs"][0];
    assert_eq!(
        run["tool"]["driver"]["informationUri"],
        "https://github.com/keysweep/keysweep"
    );
    assert_eq!(run["automationDetails"]["id"], "keysweep-services/");
    let notes = run["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    let binary = notes
        .iter()
        .find(|n| n["descriptor"]["id"] == "keysweep/skipped/binary")
        .unwrap_or_else(|| panic!("{notes:#?}"));
    assert_eq!(
        binary["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "logo.png"
    );
    let descriptors = run["tool"]["driver"]["notifications"].as_array().unwrap();
    let idx = binary["descriptor"]["index"].as_u64().unwrap() as usize;
    assert_eq!(descriptors[idx]["id"], "keysweep/skipped/binary");
}

#[test]
fn only_security_rules_carry_security_severity() {
    let doc = scan_format("fixtures/demo", "sarif");
    let rules = doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let mut debt = 0;
    for r in rules {
        let props = &r["properties"];
        let tags: Vec<&str> = props["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        let class = props["keysweep-class"].as_str().unwrap_or("");
        let is_debt = matches!(class, "F12" | "F13" | "F14" | "F15" | "F16" | "F17");
        if is_debt {
            debt += 1;
            assert!(props["security-severity"].is_null(), "{}", r["id"]);
            assert!(!tags.contains(&"security"), "{}", r["id"]);
            let p = props["problem.severity"].as_str().unwrap();
            assert!(p == "recommendation" || p == "warning", "{}", r["id"]);
        } else if props["keysweep-severity"] != "info" {
            assert!(props["security-severity"].is_string(), "{}", r["id"]);
            assert!(tags.contains(&"security"), "{}", r["id"]);
        }
    }
    assert!(debt >= 10, "{debt}");
}

#[test]
fn sarif_can_leave_suppressed_findings_out() {
    let dir = temp_tree(&[(
        "deploy.env",
        b"LOCALSTACK_API_KEY=cpVmfK8NqK # keysweep:ignore\nLOCALSTACK_API_KEY=Zq8mT2wLpX\n",
    )]);
    let results = |extra: &[&str]| {
        let mut args = vec!["scan", ".", "-f", "sarif", "--fail-on", "never"];
        args.extend_from_slice(extra);
        let o = run_in(dir.path(), &args);
        json(&o)["runs"][0]["results"].as_array().unwrap().len()
    };
    let all = results(&[]);
    let kept = results(&["--sarif-omit-suppressed"]);
    assert_eq!(all, kept + 1, "{all} {kept}");
}

// ----------------------------------------------------------------- compact

#[test]
fn compact_format_is_one_redacted_line_per_finding() {
    let o = run(&[
        "scan",
        "fixtures/demo",
        "-f",
        "compact",
        "--fail-on",
        "never",
    ]);
    let out = stdout(&o);
    let n = scan_json(&["fixtures/demo"])["findings"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(out.lines().count(), n);
    let re = regex::Regex::new(r"^[^:]+:\d+:\d+: (critical|high|medium|low|info) [a-z0-9.-]+: \S")
        .unwrap();
    for line in out.lines() {
        assert!(re.is_match(line), "{line}");
    }
    assert!(!out.contains("cpVmfK8NqK"));
}

// ---------------------------------------------------------------- terminal

#[test]
fn colour_follows_no_color_clicolor_force_and_force_color() {
    let dir = temp_tree(&[("deploy.env", KEY_LINE)]);
    let run_env = |vars: &[(&str, &str)]| {
        let mut c = keysweep();
        c.current_dir(dir.path())
            .args(["scan", ".", "--fail-on", "never"]);
        for (k, v) in vars {
            c.env(k, v);
        }
        stdout(&c.output().unwrap()).contains('\x1b')
    };
    assert!(!run_env(&[]), "not a terminal: no colour");
    assert!(run_env(&[("CLICOLOR_FORCE", "1")]));
    assert!(run_env(&[("FORCE_COLOR", "1")]));
    assert!(!run_env(&[("FORCE_COLOR", "0")]));
    assert!(
        !run_env(&[("FORCE_COLOR", "1"), ("NO_COLOR", "1")]),
        "NO_COLOR wins"
    );
    assert!(
        run_env(&[("FORCE_COLOR", "1"), ("NO_COLOR", "")]),
        "an empty NO_COLOR is unset"
    );
}

#[test]
fn each_severity_has_its_own_look() {
    let dir = temp_tree(&[
        (
            "docs/setup.md",
            b"Set LOCALSTACK_API_KEY before you start.\n",
        ),
        (
            "app.py",
            b"token = os.environ.get(\"LOCALSTACK_AUTH_TOKEN\") or os.environ.get(\"LOCALSTACK_API_KEY\")\n",
        ),
    ]);
    let o = run_in(
        dir.path(),
        &["scan", ".", "--color", "always", "--fail-on", "never"],
    );
    let out = stdout(&o);
    let tag = |sev: &str| {
        let i = out
            .find(&format!("[{sev}]"))
            .unwrap_or_else(|| panic!("no {sev}: {out}"));
        let start = out[..i].rfind('\x1b').expect("styled");
        out[start..i].to_string()
    };
    assert_ne!(tag("low"), tag("info"), "{out}");
}

// ---------------------------------------------------------- blocked commit

#[test]
fn a_blocked_commit_ends_with_the_ways_out() {
    let dir = temp_tree(&[("deploy.env", KEY_LINE), ("README.md", b"# app\n")]);
    let d = dir.path();
    let hook = |files: &[&str], pre_commit: bool| {
        let mut c = keysweep();
        c.current_dir(d).arg("scan").args(files);
        if pre_commit {
            c.env("PRE_COMMIT", "1");
        }
        let o = c.output().unwrap();
        (code(&o), stdout(&o))
    };
    let (rc, out) = hook(&["deploy.env"], true);
    assert_eq!(rc, 1);
    let lines: Vec<&str> = out.lines().rev().take(3).collect();
    assert!(
        lines[2].contains("keysweep:ignore[localstack.api-key.leaked]"),
        "{out}"
    );
    assert!(lines[1].contains("keysweep baseline"), "{out}");
    assert!(
        lines[0].contains("SKIP=keysweep git commit") && lines[0].contains("--no-verify"),
        "{out}"
    );
    // Not when the commit passes, nor outside a hook.
    assert!(!hook(&["README.md"], true).1.contains("blocked"));
    assert!(!hook(&["deploy.env"], false).1.contains("blocked"));
}

// -------------------------------------------------------- config discovery

#[test]
fn keysweep_toml_is_found_walking_up_to_the_repository_root() {
    let dir = temp_tree(&[
        (
            "keysweep.toml",
            b"disabled_rules = [\"localstack.api-key.leaked\"]\n",
        ),
        ("services/a/deploy.env", KEY_LINE),
        ("services/b/keysweep.toml", b"fail_on = \"never\"\n"),
        ("services/b/deploy.env", KEY_LINE),
    ]);
    let d = dir.path();
    std::fs::create_dir(d.join(".git")).unwrap();
    let rules_of = |path: &str| -> Vec<String> {
        let r = scan_json_in(d, &[path]);
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule_id"].as_str().unwrap().to_string())
            .collect()
    };
    // The root config applies to a subdirectory scan (it used not to).
    assert!(!rules_of("services/a").contains(&"localstack.api-key.leaked".to_string()));
    assert!(!rules_of("services/a/deploy.env").contains(&"localstack.api-key.leaked".to_string()));
    // The nearest file wins.
    assert!(rules_of("services/b").contains(&"localstack.api-key.leaked".to_string()));
    // --verbose names it.
    let o = run_in(d, &["scan", "services/b", "-v", "-q"]);
    assert_eq!(
        code(&o),
        0,
        "fail_on = never from services/b: {}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("settings: services/b/keysweep.toml"),
        "{}",
        stderr(&o)
    );
    // Different nearest files: the common directory's applies, and -v says so.
    let o = run_in(d, &["scan", "services/a", "services/b", "-v", "-q"]);
    let err = stderr(&o);
    assert!(err.contains("common directory"), "{err}");
    // --config still overrides.
    let o = run_in(
        d,
        &[
            "scan",
            "services/a",
            "--config",
            "services/b/keysweep.toml",
            "-q",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

// ---------------------------------------------------------- shallow history

#[test]
fn history_of_a_shallow_clone_warns_and_says_so_in_the_reports() {
    let src = temp_tree(&[("deploy.env", KEY_LINE)]);
    git(src.path(), &["init", "-q"]);
    git(src.path(), &["add", "-A"]);
    git(src.path(), &["commit", "-q", "-m", "one"]);
    std::fs::write(src.path().join("README.md"), "# two\n").unwrap();
    git(src.path(), &["add", "-A"]);
    git(src.path(), &["commit", "-q", "-m", "two"]);
    let clones = tempfile::tempdir().unwrap();
    let url = format!("file://{}", src.path().display());
    git(
        clones.path(),
        &["clone", "-q", "--depth", "1", &url, "shallow"],
    );
    let shallow = clones.path().join("shallow");
    let o = run_in(
        &shallow,
        &["scan", "--history", ".", "-f", "json", "--fail-on", "never"],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stderr(&o).contains("shallow clone"), "{}", stderr(&o));
    assert_eq!(json(&o)["warnings"][0]["id"], "shallow-history");
    let o = run_in(
        &shallow,
        &[
            "scan",
            "--history",
            ".",
            "-f",
            "sarif",
            "--fail-on",
            "never",
        ],
    );
    let sarif = json(&o);
    let notes = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    assert!(notes
        .iter()
        .any(|n| n["descriptor"]["id"] == "keysweep/warning/shallow-history"));
    // The full repository gives no warning.
    let o = run_in(
        src.path(),
        &["scan", "--history", ".", "-f", "json", "--fail-on", "never"],
    );
    assert!(!stderr(&o).contains("shallow"), "{}", stderr(&o));
    assert_eq!(json(&o)["warnings"], serde_json::json!([]));
}

// ------------------------------------------------ completions and man page

#[test]
fn completions_and_man_page_are_generated() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let o = run(&["completions", shell]);
        assert_eq!(code(&o), 0, "{shell}: {}", stderr(&o));
        assert!(stdout(&o).contains("sarif-category"), "{shell}");
    }
    let o = run(&["man"]);
    assert_eq!(code(&o), 0);
    assert!(
        stdout(&o).starts_with(".ie") || stdout(&o).contains(".TH"),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("keysweep"));
    assert_eq!(code(&run(&["completions", "tcsh"])), 2);
}

// ------------------------------------------------ terminal and log injection

#[cfg(unix)]
#[test]
fn file_names_and_lines_cannot_inject_terminal_sequences_or_forge_lines() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let evil = "a\nkeysweep: no findings\n\x1b]52;c;cHduZWQ=\x07.env";
    std::fs::write(
        d.join(evil),
        b"LOCALSTACK_API_KEY=cpVmfK8NqK \x1b[2A\x1b[K\n",
    )
    .unwrap();
    for format in ["human", "compact"] {
        let o = run_in(
            d,
            &[
                "scan",
                ".",
                "-f",
                format,
                "--color",
                "never",
                "--fail-on",
                "never",
            ],
        );
        let out = stdout(&o);
        assert!(
            !out.contains('\x1b') && !out.contains('\x07'),
            "{format}: {out:?}"
        );
        assert!(
            !out.lines().any(|l| l.trim() == "keysweep: no findings"),
            "{format} forged a line: {out}"
        );
        assert!(
            out.contains("\"a\\nkeysweep: no findings\\n\\033]52;c;cHduZWQ=\\a.env\""),
            "{format}: {out}"
        );
    }
}

// -------------------------------------------------------------------- plan

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let ft = e.file_type().unwrap();
        let dest = to.join(e.file_name());
        if ft.is_dir() {
            copy_dir(&e.path(), &dest);
        } else if ft.is_file() {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

#[test]
fn plan_fits_a_comment_groups_by_owner_and_links_to_the_forge() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for i in 0..8 {
        copy_dir(&fixture("demo/services"), &d.join(format!("svc-{i}")));
    }
    std::fs::write(
        d.join("CODEOWNERS"),
        "* @acme/platform\n/svc-1/ @acme/payments\n/svc-2/ @acme/payments @bob\n/svc-3/\n",
    )
    .unwrap();
    git(d, &["init", "-q"]);
    git(
        d,
        &[
            "remote",
            "add",
            "origin",
            "https://ci:hunter2@github.com/acme/mono.git",
        ],
    );
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "init"]);
    let full = run_in(d, &["plan", ".", "--full"]);
    assert_eq!(code(&full), 0, "{}", stderr(&full));
    let full = stdout(&full);
    assert!(
        full.chars().count() > 12_000,
        "fixture too small: {}",
        full.len()
    );
    let o = run_in(
        d,
        &[
            "plan",
            ".",
            "--max-chars",
            "12000",
            "--output-full",
            "PLAN-full.md",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let cut = stdout(&o);
    assert!(cut.chars().count() <= 12_000, "{}", cut.len());
    assert!(
        cut.contains("more not shown here; the full plan is in `PLAN-full.md`"),
        "{cut}"
    );
    assert_eq!(
        std::fs::read_to_string(d.join("PLAN-full.md")).unwrap(),
        full
    );
    // Owners from CODEOWNERS: the last matching line wins, `/svc-3/` has none.
    for owner in ["@acme/platform", "@acme/payments", "@bob", "(no owner)"] {
        assert!(full.contains(&format!("| {owner} |")), "{owner}: {full}");
    }
    // Links at the current commit, without the remote's credentials.
    let head = String::from_utf8(
        Command::new("git")
            .current_dir(d)
            .args(["rev-parse", "HEAD"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let prefix = format!("https://github.com/acme/mono/blob/{}/svc-0/", head.trim());
    assert!(full.contains(&prefix), "{full}");
    assert!(regex::Regex::new(
        r"\]\(https://github\.com/acme/mono/blob/[0-9a-f]{40}/svc-\d/[^)]+#L\d+\)"
    )
    .unwrap()
    .is_match(&full));
    assert!(
        !full.contains("hunter2") && !full.contains("ci:"),
        "credentials leaked"
    );
    assert!(!stdout(&run_in(d, &["plan", ".", "--full", "--no-links"]))
        .contains("https://github.com/acme"));
    // The default cap keeps a plan under GitHub's comment limit.
    let o = run_in(d, &["plan", "."]);
    assert!(stdout(&o).chars().count() <= 60_000);
}

#[test]
fn commit_summaries_cannot_inject_terminal_sequences() {
    let dir = temp_tree(&[("deploy.env", KEY_LINE)]);
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "-A"]);
    git(
        dir.path(),
        &[
            "commit",
            "-q",
            "-m",
            "add \x1b]52;c;cHduZWQ=\x07 config\x1b[2K",
        ],
    );
    let o = run_in(
        dir.path(),
        &[
            "scan",
            "--history",
            ".",
            "--color",
            "never",
            "--fail-on",
            "never",
        ],
    );
    let out = stdout(&o);
    assert!(out.contains("introduced in"), "{out}");
    assert!(!out.contains('\x1b') && !out.contains('\x07'), "{out:?}");
    assert!(
        out.contains("add \\e]52;c;cHduZWQ=\\x07 config\\e[2K"),
        "{out}"
    );
}

#[test]
fn glob_limits_and_excludes_paths_like_ripgrep() {
    let dir = temp_tree(&[
        ("a/deploy.env", KEY_LINE),
        ("b/deploy.env", KEY_LINE),
        ("b/run.sh", OTHER_KEY_LINE),
    ]);
    let paths = |globs: &[&str]| {
        let mut args = vec!["."];
        for g in globs {
            args.extend_from_slice(&["-g", g]);
        }
        finding_paths(&scan_json_in(dir.path(), &args))
    };
    assert_eq!(paths(&[]).len(), 3);
    assert_eq!(paths(&["*.env"]), vec!["a/deploy.env", "b/deploy.env"]);
    assert_eq!(paths(&["!b/"]), vec!["a/deploy.env"]);
    assert_eq!(paths(&["*.env", "!a/**"]), vec!["b/deploy.env"]);
    let o = run_in(dir.path(), &["scan", ".", "-g", "a/{"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
}
