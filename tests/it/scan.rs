//! End-to-end scans of the fixture repositories: every expected finding (and
//! nothing else) is reported, exit codes, skipped-file accounting, ignore files.

use crate::util::*;
use std::collections::BTreeMap;

/// (path, line, class, severity) → count, from an expected-results TSV.
type Key = (String, u64, String, String);

fn expected(tsv: &str) -> BTreeMap<Key, usize> {
    let text = std::fs::read_to_string(fixture(&format!("expected/{tsv}"))).unwrap();
    let mut m = BTreeMap::new();
    for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        assert!(cols.len() >= 4, "malformed row in {tsv}: {line}");
        *m.entry((
            cols[0].to_string(),
            cols[1].parse().unwrap(),
            cols[2].to_string(),
            cols[3].to_string(),
        ))
        .or_insert(0) += 1;
    }
    m
}

/// Same shape from a JSON report, paths made relative to `prefix`.
fn reported(report: &serde_json::Value, prefix: &str) -> BTreeMap<Key, usize> {
    let mut m = BTreeMap::new();
    for f in report["findings"].as_array().unwrap() {
        let path = f["path"]
            .as_str()
            .unwrap()
            .strip_prefix(prefix)
            .unwrap()
            .to_string();
        let class = f["class"].as_str().unwrap_or("-").to_string();
        let severity = f["severity"].as_str().unwrap_or("-").to_string();
        *m.entry((path, f["line"].as_u64().unwrap(), class, severity))
            .or_insert(0) += 1;
    }
    m
}

fn assert_scenario(dir: &str, tsv: &str) {
    let o = run(&[
        "scan",
        &format!("fixtures/{dir}"),
        "--format",
        "json",
        "--fail-on",
        "never",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let got = reported(&json(&o), &format!("fixtures/{dir}/"));
    let want = expected(tsv);
    let missing: Vec<_> = want.iter().filter(|(k, n)| got.get(*k) < Some(n)).collect();
    let extra: Vec<_> = got.iter().filter(|(k, n)| want.get(*k) < Some(n)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{dir}: missing {missing:#?}\nunexpected {extra:#?}"
    );
}

#[test]
fn demo_repo_yields_exactly_the_expected_findings() {
    assert_scenario("demo", "demo-findings.tsv");
}

/// A polyglot monorepo with every detection pattern in realistic files
/// (fixtures/tools/patterns_expected.py says why each row is there).
#[test]
fn patterns_repo_yields_exactly_the_expected_findings() {
    assert_scenario("repos/patterns", "patterns.tsv");
}

/// The occurrences of one problem on one line are one finding, counted.
#[test]
fn one_finding_per_line_and_rule_counts_its_occurrences() {
    let o = run(&[
        "scan",
        "fixtures/repos/patterns/Makefile",
        "--format",
        "json",
        "--fail-on",
        "never",
    ]);
    let r = json(&o);
    let f = r["findings"].as_array().unwrap();
    assert_eq!(f.len(), 1, "{r}");
    assert_eq!(f[0]["occurrences"], 3, "{r}");
}

/// Every mention of every entity in every fixture tree ends as a finding or
/// as silent for a stated reason: none is left unclassified.
#[test]
fn no_mention_in_any_fixture_is_left_unclassified() {
    for dir in [
        "demo",
        "repos/patterns",
        "repos/edge-cases",
        "repos/clean",
        "repos/encodings",
    ] {
        let o = run(&[
            "scan",
            &format!("fixtures/{dir}"),
            "--format",
            "json",
            "--fail-on",
            "never",
        ]);
        let r = json(&o);
        let mentions = r["summary"]["mentions"].as_object().expect("mentions");
        assert!(!mentions.is_empty(), "{dir}: {r}");
        let mut found = 0;
        for (entity, m) in mentions {
            assert_eq!(m["unclassified"], 0, "{dir}: {entity}: {m}");
            let silent: u64 = m["silent"]
                .as_object()
                .unwrap()
                .values()
                .map(|v| v.as_u64().unwrap())
                .sum();
            assert_eq!(
                m["found"].as_u64().unwrap(),
                m["reported"].as_u64().unwrap() + silent,
                "{dir}: {entity}: {m}"
            );
            found += m["found"].as_u64().unwrap();
        }
        assert!(found > 0, "{dir}");
    }
}

/// `--verbose` names each silent mention and its reason.
#[test]
fn verbose_lists_silent_mentions_with_their_reasons() {
    let o = run(&[
        "scan",
        "fixtures/repos/patterns",
        "--verbose",
        "--quiet",
        "--fail-on",
        "never",
    ]);
    let err = stderr(&o);
    assert!(
        err.contains("keysweep: silent fixtures/repos/patterns/CHANGELOG.md:5 (legacy-variable): changelog entry"),
        "{err}"
    );
    assert!(
        err.contains("keysweep: silent fixtures/repos/patterns/.github/actions/setup-emulator/action.yml:4 (legacy-variable): an input the action itself declares"),
        "{err}"
    );
    assert!(!err.contains("UNCLASSIFIED"), "{err}");
}

#[test]
fn edge_cases_of_the_spec_are_classified_as_expected() {
    assert_scenario("repos/edge-cases", "edge-cases.tsv");
}

#[test]
fn encodings_crlf_bom_utf16_and_invalid_utf8_are_scanned() {
    assert_scenario("repos/encodings", "encodings.tsv");
}

#[test]
fn migrated_repo_is_clean_and_exits_zero() {
    assert_scenario("repos/clean", "clean.tsv");
    let o = run(&["scan", "fixtures/repos/clean"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(stdout(&o).contains("no findings"));
}

#[test]
fn binary_files_are_skipped_and_counted() {
    let o = run(&["scan", "fixtures/repos/binary", "--format", "json"]);
    assert_eq!(code(&o), 0);
    let r = json(&o);
    assert_eq!(r["findings"].as_array().unwrap().len(), 0);
    assert!(
        r["summary"]["skipped"]["binary"].as_u64().unwrap() >= 1,
        "{r}"
    );
}

/// `.gitignore` describes untracked files: in a git work tree every tracked
/// file is scanned, even under an ignored directory; only untracked ignored
/// paths are skipped (and counted). `--no-ignore` scans everything.
#[test]
fn tracked_files_are_scanned_even_where_gitignore_matches() {
    let token = "LOCALSTACK_AUTH_TOKEN=ls-QaPeKUFi-5251-5960-4895-9491TiWOadfd\n";
    let dir = temp_tree(&[
        (".gitignore", b"build/\n*.local.env\n"),
        ("build/ci.env", token.as_bytes()),
        ("build/untracked.env", token.as_bytes()),
        ("build/nested/tracked.env", token.as_bytes()),
        ("app.local.env", token.as_bytes()),
        ("tracked.local.env", token.as_bytes()),
        ("sub/build/tracked.env", token.as_bytes()),
        ("sub/build/untracked.env", token.as_bytes()),
    ]);
    let git = |args: &[&str]| {
        let o = std::process::Command::new("git")
            .current_dir(dir.path())
            .args(args)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .expect("git runs");
        assert!(o.status.success(), "git {args:?}: {}", stderr(&o));
    };
    git(&["init", "-q"]);
    git(&["add", ".gitignore"]);
    git(&[
        "add",
        "-f",
        "build/ci.env",
        "build/nested/tracked.env",
        "tracked.local.env",
        "sub/build/tracked.env",
    ]);
    let r = scan_json_in(dir.path(), &["."]);
    let mut paths = finding_paths(&r);
    paths.sort();
    assert_eq!(
        paths,
        vec![
            "build/ci.env",
            "build/nested/tracked.env",
            "sub/build/tracked.env",
            "tracked.local.env"
        ],
        "{r}"
    );
    // build/untracked.env, sub/build/untracked.env and app.local.env are
    // untracked and ignored.
    assert_eq!(r["summary"]["skipped"]["ignored"], 3, "{}", r["summary"]);
    // A subdirectory scan sees the repository's ignore files and index too.
    let r = scan_json_in(&dir.path().join("sub"), &["."]);
    assert_eq!(finding_paths(&r), vec!["build/tracked.env"], "{r}");
    // A directory named on the command line is scanned whole, like a file.
    let r = scan_json_in(dir.path(), &["build"]);
    assert_eq!(finding_paths(&r).len(), 3, "{r}");
    let r = scan_json_in(dir.path(), &[".", "--no-ignore"]);
    assert_eq!(finding_paths(&r).len(), 7, "{r}");
    // Outside git, .gitignore is not read at all (nothing is "untracked").
    std::fs::remove_dir_all(dir.path().join(".git")).unwrap();
    let r = scan_json_in(dir.path(), &["."]);
    assert_eq!(finding_paths(&r).len(), 7, "{r}");
}

#[test]
fn demo_build_dir_is_reported_because_it_is_tracked() {
    let r = scan_json(&["fixtures/demo"]);
    assert!(finding_paths(&r)
        .iter()
        .any(|p| p == "fixtures/demo/build/ci.env"));
}

#[test]
fn keysweepignore_excludes_paths_inside_a_git_repo_and_out() {
    let dir = temp_tree(&[
        ("keep.env", b"LOCALSTACK_API_KEY=7tQk2LmZ9x\n"),
        ("vendor/skip.env", b"LOCALSTACK_API_KEY=7tQk2LmZ9x\n"),
        (".keysweepignore", b"vendor/\n"),
    ]);
    let r = scan_json_in(dir.path(), &["."]);
    let paths = finding_paths(&r);
    assert!(
        paths.contains(&"keep.env".to_string()) && !paths.iter().any(|p| p.starts_with("vendor")),
        "{paths:?}"
    );
    assert_eq!(r["summary"]["skipped"]["ignored"], 1);
}

#[test]
fn ignore_files_apply_from_their_own_directory_down_and_only_as_regular_files() {
    let key: &[u8] = b"LOCALSTACK_API_KEY=7tQk2LmZ9x\n";
    let dir = temp_tree(&[
        ("a/.ignore", b"*.env\n"),
        ("a/x.env", key),
        // A deeper ignore file has the last word for its subtree.
        ("a/sub/.keysweepignore", b"!keep.env\n"),
        ("a/sub/keep.env", key),
        ("a/sub/drop.env", key),
        ("b/x.env", key),
        // A directory named like an ignore file is walked, not read.
        ("d/.ignore/x.env", key),
        ("patterns.txt", b"*.env\n"),
        ("c/x.env", key),
    ]);
    #[cfg(unix)]
    std::os::unix::fs::symlink("../patterns.txt", dir.path().join("c/.ignore")).expect("symlink");
    let r = scan_json_in(dir.path(), &["."]);
    let mut paths = finding_paths(&r);
    paths.sort();
    // A symlinked ignore file could point anywhere: it is not read, so
    // c/x.env is scanned.
    assert_eq!(
        paths,
        ["a/sub/keep.env", "b/x.env", "c/x.env", "d/.ignore/x.env"]
    );
    assert_eq!(r["summary"]["skipped"]["ignored"], 2, "{}", r["summary"]);
}

#[test]
fn never_descends_into_dot_git_but_scans_hidden_ci_files() {
    let dir = temp_tree(&[
        (".git/config", b"LOCALSTACK_API_KEY=7tQk2LmZ9x\n"),
        (
            ".github/workflows/ci.yml",
            b"env:\n  LOCALSTACK_API_KEY: ${{ secrets.LOCALSTACK_API_KEY }}\n",
        ),
    ]);
    let r = scan_json_in(dir.path(), &[]);
    assert_eq!(finding_paths(&r), vec![".github/workflows/ci.yml"]);
}

#[test]
fn exit_codes_follow_fail_on() {
    let medium_only = temp_tree(&[(
        "docker-compose.yml",
        b"services:\n  ls:\n    image: localstack/localstack:latest\n",
    )]);
    let d = medium_only.path();
    assert_eq!(
        code(&run_in(d, &["scan"])),
        1,
        "default --fail-on low fails on medium"
    );
    assert_eq!(code(&run_in(d, &["scan", "--fail-on", "medium"])), 1);
    assert_eq!(code(&run_in(d, &["scan", "--fail-on", "high"])), 0);
    assert_eq!(code(&run_in(d, &["scan", "--fail-on", "never"])), 0);
    let info_only = temp_tree(&[(
        "docker-compose.yml",
        b"services:\n  ls:\n    image: localstack/localstack:3.8\n",
    )]);
    let o = run_in(info_only.path(), &["scan", "--format", "json"]);
    assert_eq!(json(&o)["summary"]["by_severity"]["info"], 1);
    assert_eq!(code(&o), 0, "info findings never fail");
    let o = run(&["scan", "no/such/path"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("no/such/path"), "{}", stderr(&o));
    assert_eq!(code(&run(&["scan", "--fail-on", "sometimes"])), 2);
}

#[test]
fn skipped_files_are_counted_by_reason_and_named() {
    let dir = temp_tree(&[
        (
            "big.env",
            format!("LOCALSTACK_API_KEY=7tQk2LmZ9x\n{}", "#".repeat(500)).as_bytes(),
        ),
        ("bin.dat", b"\x00\x01LOCALSTACK_API_KEY=7tQk2LmZ9x"),
        ("ok.env", b"LOCALSTACK_API_KEY=7tQk2LmZ9x\n"),
        ("empty.env", b""),
    ]);
    #[cfg(unix)]
    std::os::unix::fs::symlink("ok.env", dir.path().join("link.env")).unwrap();
    let o = run_in(
        dir.path(),
        &[
            "scan",
            "--format",
            "json",
            "--max-file-size",
            "100",
            "--fail-on",
            "never",
        ],
    );
    let r = json(&o);
    let s = &r["summary"];
    assert_eq!(s["files_scanned"], 2, "{r}");
    assert_eq!(s["skipped"]["too-large"], 1);
    assert_eq!(s["skipped"]["binary"], 1);
    #[cfg(unix)]
    assert_eq!(s["skipped"]["symlink"], 1);
    let skipped: Vec<&str> = r["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["path"].as_str().unwrap())
        .collect();
    assert!(
        skipped.contains(&"big.env") && skipped.contains(&"bin.dat"),
        "{skipped:?}"
    );
    let human = stdout(&run_in(
        dir.path(),
        &["scan", "--max-file-size", "100", "--fail-on", "never", "-q"],
    ));
    assert!(
        human.contains("1 too-large") && human.contains("skipped big.env (too-large)"),
        "{human}"
    );
}

#[test]
fn explicit_file_arguments_are_scanned_even_if_ignored() {
    let o = run(&[
        "scan",
        "fixtures/demo/build/ci.env",
        "--format",
        "json",
        "--fail-on",
        "never",
    ]);
    assert!(!json(&o)["findings"].as_array().unwrap().is_empty());
}

#[test]
fn human_report_shows_location_line_rule_and_migration() {
    let dir = temp_tree(&[(".env", b"# local\nLOCALSTACK_API_KEY=7tQk2LmZ9x\n")]);
    let o = run_in(dir.path(), &["scan", "--color", "never"]);
    let out = stdout(&o);
    assert_eq!(code(&o), 1);
    assert!(out.contains(".env:2:20"), "{out}");
    assert!(
        out.contains("[high] Legacy LocalStack API key committed in clear"),
        "{out}"
    );
    assert!(out.contains("localstack.api-key.leaked"), "{out}");
    assert!(out.contains("LOCALSTACK_API_KEY=******"), "{out}");
    assert!(out.contains("after:"), "{out}");
    assert!(out.contains("keysweep: 1 finding (1 high)"), "{out}");
    assert!(out.contains("scanned 1 file"), "{out}");
    assert!(
        !out.contains('\u{1b}'),
        "no colour codes with --color never"
    );
}

#[test]
fn fingerprints_survive_moved_lines_and_change_with_the_secret() {
    let fp = |content: &[u8]| -> Vec<String> {
        let dir = temp_tree(&[(".env", content)]);
        let r = json(&run_in(
            dir.path(),
            &["scan", "--format", "json", "--fail-on", "never"],
        ));
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["fingerprint"].as_str().unwrap().to_string())
            .collect()
    };
    let a = fp(b"LOCALSTACK_API_KEY=7tQk2LmZ9x\n");
    let b = fp(b"# moved\n\n\nLOCALSTACK_API_KEY=7tQk2LmZ9x\n");
    let c = fp(b"LOCALSTACK_API_KEY=Hb4nW8pRz1\n");
    assert!(!a.is_empty());
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn rules_list_shows_every_rule_with_keywords() {
    let o = run(&["rules", "list", "--format", "json"]);
    assert_eq!(code(&o), 0);
    let list = json(&o);
    let rules = list.as_array().unwrap();
    assert!(rules.len() >= 25);
    for r in rules {
        assert!(r["id"].as_str().unwrap().starts_with("localstack."));
        assert!(["critical", "high", "medium", "low", "info"]
            .contains(&r["severity"].as_str().unwrap()));
    }
    let table = stdout(&run(&["rules", "list"]));
    assert!(table.contains("localstack.auth-token.leaked") && table.contains("critical"));
}

#[test]
fn user_rules_extend_or_replace_the_pack() {
    let dir = temp_tree(&[
        (
            "extra.toml",
            br#"[[rule]]
id = "acme.internal-token"
title = "ACME token"
description = "An internal token."
severity = "high"
keywords = ["acme_tok"]
regex = '''ACME_TOK=(?P<secret>[a-z0-9]{12})'''
must_match = ["ACME_TOK=abcdef123456"]
[rule.migration]
summary = "Rotate it."
"#,
        ),
        (
            "app.env",
            b"ACME_TOK=abcdef123456\nLOCALSTACK_API_KEY=7tQk2LmZ9x\n",
        ),
    ]);
    let ids = |args: &[&str]| -> Vec<String> {
        let r = json(&run_in(dir.path(), args));
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule_id"].as_str().unwrap().to_string())
            .collect()
    };
    let both = ids(&[
        "scan",
        "app.env",
        "--rules",
        "extra.toml",
        "--format",
        "json",
    ]);
    assert!(
        both.contains(&"acme.internal-token".into())
            && both.contains(&"localstack.api-key.leaked".into()),
        "{both:?}"
    );
    let only = ids(&[
        "scan",
        "app.env",
        "--rules",
        "extra.toml",
        "--no-default-rules",
        "--format",
        "json",
    ]);
    assert_eq!(only, vec!["acme.internal-token".to_string()]);
    assert_eq!(
        code(&run_in(
            dir.path(),
            &["rules", "check", "--rules", "extra.toml"]
        )),
        0
    );
}

/// The demo files as (path, bytes), sorted.
fn demo_files() -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut dirs = vec![fixture("demo")];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else {
                let rel = p
                    .strip_prefix(fixture("demo"))
                    .unwrap()
                    .display()
                    .to_string();
                files.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    files.sort();
    files
}

/// (path, rule, line, fingerprint) of every finding of an in-memory scan.
/// A source that panics after feeding `after` items.
struct PanickingSource {
    after: usize,
}

impl keysweep::source::Source for PanickingSource {
    type Local = ();
    fn feed(&self, sink: &mut dyn FnMut(keysweep::source::Event)) {
        for i in 0..self.after {
            sink(keysweep::source::Event::Item(keysweep::source::Item {
                display: format!("f{i}.txt"),
                kind: keysweep::kind::classify("f.txt"),
                content: keysweep::source::Content::Bytes(b"LOCALSTACK_API_KEY=x\n".to_vec()),
                tag: 0,
            }));
        }
        panic!("the source failed");
    }
    fn local(&self) {}
    fn origin(&self) -> std::path::PathBuf {
        "/".into()
    }
}

#[test]
fn a_source_that_panics_mid_feed_fails_the_scan_instead_of_hanging() {
    // Before and after the queue to the workers fills up (64 batches of 32).
    for after in [10, 5000] {
        for threads in [1, 2, 3] {
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let scanner = scanner_on(threads);
                let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    scanner.run(&PanickingSource { after })
                }));
                let _ = tx.send(r.is_err());
            });
            let panicked = rx
                .recv_timeout(std::time::Duration::from_secs(120))
                .unwrap_or_else(|_| panic!("{after} items, {threads} threads: the scan hung"));
            assert!(panicked, "{after} items, {threads} threads");
        }
    }
}

/// A scanner with the embedded pack on `threads` threads, without suppressions.
fn scanner_on(threads: usize) -> keysweep::scan::Scanner {
    let rules = keysweep::rules::RuleSet::load_with(false, &[]).unwrap();
    keysweep::scan::Scanner::unjudged(
        rules,
        keysweep::scan::ScanOptions {
            threads,
            ..keysweep::scan::ScanOptions::default()
        },
    )
}

fn scan_memory(files: Vec<(String, Vec<u8>)>, threads: usize) -> Vec<String> {
    use keysweep::source::MemorySource;
    let scanner = scanner_on(threads);
    let out = scanner.run(&MemorySource::new(files, Vec::new(), "/".into()));
    let mut found: Vec<String> = out
        .findings
        .iter()
        .map(|f| {
            format!(
                "{} {} {} {}",
                f.path, f.rule_id, f.location.line, f.fingerprint
            )
        })
        .collect();
    found.sort();
    found
}

#[test]
fn a_few_files_report_as_many_do_on_any_number_of_threads() {
    // Up to a few hundred files are scanned without a pool; more go through
    // the batched pipeline. Both, on one thread or several, must agree.
    let demo = demo_files();
    assert!(demo.len() < 200, "{} demo files", demo.len());
    let few = scan_memory(demo.clone(), 2);
    assert!(few.len() > 20, "{few:#?}");
    assert_eq!(scan_memory(demo.clone(), 1), few);
    let mut many = demo;
    many.extend((0..400).map(|i| (format!("pad/{i}.txt"), b"nothing here\n".to_vec())));
    assert_eq!(scan_memory(many.clone(), 2), few);
    assert_eq!(scan_memory(many.clone(), 1), few);
    // Enough events to fill the queue (64 batches of 32): the feeding
    // thread then scans batches itself, interleaved with the workers.
    many.extend((400..6000).map(|i| (format!("pad/{i}.txt"), b"nothing here\n".to_vec())));
    for threads in [1, 2, 3] {
        assert_eq!(scan_memory(many.clone(), threads), few, "{threads} threads");
    }
}
