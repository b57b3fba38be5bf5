//! Whole-repository migrations: the fixture repositories under
//! `fixtures/repos/migration/` (each a `before/` tree and the trees `fix
//! --write` must produce in the default mode and with `--rename-secrets`),
//! the agreement of `scan`, `fix` and `plan` on the counts, SARIF fixes that
//! apply cleanly, and a property test that `fix --write` never disconnects
//! a reader from the providers of its name.

use crate::util::*;
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every file under `dir`: relative path (with `/`) → bytes.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, d: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p
                    .strip_prefix(base)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn copy_into(from: &Path, to: &Path) {
    for (rel, bytes) in tree(from) {
        let dest = to.join(&rel);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::write(dest, bytes).unwrap();
    }
}

fn cases() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(fixture("repos/migration"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("before").is_dir() && p.join("after-default").is_dir())
        .collect();
    v.sort();
    v
}

/// The `Findings: …` line of `fix`'s summary.
fn fix_tally(summary: &str) -> String {
    summary
        .lines()
        .find_map(|l| l.strip_prefix("Findings: "))
        .unwrap_or_else(|| panic!("no tally in:\n{summary}"))
        .to_string()
}

fn tally_line(t: &serde_json::Value) -> String {
    let verb = if t["manual"] == 1 { "needs" } else { "need" };
    format!(
        "{} fixable, {} more with --rename-secrets, {} {verb} a person, {} to rotate",
        t["fixable"], t["opt_in"], t["manual"], t["rotate"]
    )
}

fn diff_trees(want: &BTreeMap<String, Vec<u8>>, got: &BTreeMap<String, Vec<u8>>) -> String {
    let mut out = String::new();
    let names: BTreeSet<&String> = want.keys().chain(got.keys()).collect();
    for n in names {
        if want.get(n) != got.get(n) {
            out.push_str(&format!(
                "--- {n} expected\n{}\n--- {n} got\n{}\n",
                want.get(n)
                    .map(|b| String::from_utf8_lossy(b))
                    .unwrap_or_default(),
                got.get(n)
                    .map(|b| String::from_utf8_lossy(b))
                    .unwrap_or_default()
            ));
        }
    }
    out
}

/// Each fixture repository migrates to exactly its expected tree in both
/// modes; a second run changes nothing; `scan`, `fix` and `plan` print the
/// same counts.
#[test]
fn fixture_repositories_migrate_to_their_expected_trees() {
    let all = cases();
    assert!(all.len() >= 8, "{all:?}");
    for case in &all {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let dir = tempfile::tempdir().unwrap();
        copy_into(&case.join("before"), dir.path());
        let scan = json(&run_in(
            dir.path(),
            &["scan", "-f", "json", "--fail-on", "never"],
        ));
        let plan = json(&run_in(dir.path(), &["plan", "--format", "json"]));
        let dry = run_in(dir.path(), &["fix"]);
        let counts = fix_tally(&stderr(&dry));
        assert_eq!(counts, tally_line(&scan["summary"]["fix"]), "{name}: scan");
        assert_eq!(counts, tally_line(&plan["tally"]), "{name}: plan");
        for (mode, flags) in [
            ("default", &[][..]),
            ("rename-secrets", &["--rename-secrets"][..]),
        ] {
            let dir = tempfile::tempdir().unwrap();
            copy_into(&case.join("before"), dir.path());
            let mut args = vec!["fix", "--write"];
            args.extend(flags);
            let o = run_in(dir.path(), &args);
            assert_eq!(code(&o), 0, "{name} {mode}: {}", stderr(&o));
            let want = tree(&case.join(format!("after-{mode}")));
            let got = tree(dir.path());
            assert!(
                want == got,
                "{name} {mode}:\n{}\n{}",
                diff_trees(&want, &got),
                stderr(&o)
            );
            let again = run_in(dir.path(), &args);
            assert_eq!(code(&again), 0, "{name} {mode}: {}", stderr(&again));
            assert_eq!(tree(dir.path()), got, "{name} {mode}: not idempotent");
        }
    }
}

/// The repository shaped like a real migration pull request's base: with
/// `--rename-secrets`, `fix --write` produces the tree the engineer wrote
/// by hand (`fixtures/tools/fix_agreement.py` measures the line agreement
/// of both modes with it).
#[test]
fn full_migration_matches_the_engineers_tree() {
    let dir = tempfile::tempdir().unwrap();
    copy_into(&fixture("repos/migration-pr/before"), dir.path());
    let o = run_in(dir.path(), &["fix", "--write", "--rename-secrets"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let want = tree(&fixture("repos/migration-pr/engineer"));
    let got = tree(dir.path());
    assert!(want == got, "{}", diff_trees(&want, &got));
}

/// The two cross-file cases of the migration: a CI step that exports the
/// variable and a compose file reading it from the host are renamed
/// together; a start script exporting the old name stays connected to the
/// compose file that reads it in both modes; a set whose only provider is a
/// committed key is held, with the reason.
#[test]
fn cross_file_sets_are_renamed_together_or_held_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    copy_into(
        &fixture("repos/migration/ci-exports-compose-reads/before"),
        dir.path(),
    );
    let o = run_in(dir.path(), &["fix"]);
    let summary = stderr(&o);
    assert!(
        summary.contains(
            "renames  LOCALSTACK_API_KEY -> LOCALSTACK_AUTH_TOKEN  variable, set in 1 place(s), read in 1, 2 place(s) in 2 file(s)"
        ),
        "{summary}"
    );
    // --rename-secrets says what to create first, with the command.
    let o = run_in(dir.path(), &["fix", "--rename-secrets"]);
    assert!(
        stderr(&o).contains("gh secret set LOCALSTACK_AUTH_TOKEN"),
        "{}",
        stderr(&o)
    );

    let dir = tempfile::tempdir().unwrap();
    copy_into(
        &fixture("repos/migration/held-by-committed-key/before"),
        dir.path(),
    );
    let o = run_in(dir.path(), &["fix"]);
    assert!(
        stderr(&o).contains("scripts/dev.sh:2 is the only place that sets it for docker-compose.yml:5, and it cannot be renamed"),
        "{}",
        stderr(&o)
    );
    let plan = stdout(&run_in(dir.path(), &["plan"]));
    assert!(plan.contains("## 4. Needs a person (1)"), "{plan}");
    assert!(
        plan.contains("| medium | `docker-compose.yml:5` |"),
        "{plan}"
    );
}

/// GitLab and CircleCI variables read by a job get the commands of their CI
/// system; a secret a reusable workflow declares warns that callers must
/// pass it under the new name.
#[test]
fn rename_secrets_names_what_to_create_per_ci_system() {
    let dir = temp_tree(&[
        (
            ".gitlab-ci.yml",
            b"test:\n  script:\n    - test -n \"$LOCALSTACK_API_KEY\"\n    - docker compose up -d\n",
        ),
        (
            ".circleci/config.yml",
            b"version: 2.1\njobs:\n  test:\n    docker:\n      - image: cimg/base:current\n    steps:\n      - run: test -n \"$LOCALSTACK_API_KEY\"\n",
        ),
        (
            ".github/workflows/reusable.yml",
            b"on:\n  workflow_call:\n    secrets:\n      LOCALSTACK_API_KEY:\n        required: true\njobs:\n  t:\n    runs-on: ubuntu-latest\n    env:\n      LOCALSTACK_AUTH_TOKEN: ${{ secrets.LOCALSTACK_API_KEY }}\n    steps:\n      - run: localstack start -d\n",
        ),
    ]);
    let o = run_in(dir.path(), &["fix", "--rename-secrets"]);
    let s = stderr(&o);
    assert!(s.contains("glab variable set LOCALSTACK_AUTH_TOKEN"), "{s}");
    assert!(
        s.contains("CircleCI: variable `LOCALSTACK_AUTH_TOKEN`"),
        "{s}"
    );
    assert!(
        s.contains(".github/workflows/reusable.yml is a reusable workflow (on.workflow_call): callers must pass the secret LOCALSTACK_AUTH_TOKEN"),
        "{s}"
    );
}

/// Converts a SARIF 1-based line and column (Unicode code points) to a byte
/// offset.
fn offset(text: &str, line: usize, column: usize) -> usize {
    let mut start = 0;
    for _ in 1..line {
        start += text[start..]
            .find('\n')
            .map_or(text.len() - start, |i| i + 1);
    }
    let rest = &text[start..];
    start
        + rest
            .char_indices()
            .nth(column - 1)
            .map_or(rest.len(), |(i, _)| i)
}

/// A SARIF replacement: start line and column, end line and column (1-based),
/// and the inserted text.
type SarifReplacement = (usize, usize, usize, usize, String);

/// Applying every SARIF fix of the demo at once: no two replacements
/// overlap, and the result holds no mangled names.
#[test]
fn sarif_fixes_of_the_demo_never_overlap_and_apply_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    copy_into(&fixture("demo"), dir.path());
    let o = run_in(
        dir.path(),
        &[
            "scan",
            "--format",
            "sarif",
            "--fail-on",
            "never",
            "--no-ignore",
        ],
    );
    let doc = json(&o);
    let mut per_file: BTreeMap<String, Vec<SarifReplacement>> = BTreeMap::new();
    for r in doc["runs"][0]["results"].as_array().unwrap() {
        for f in r["fixes"].as_array().into_iter().flatten() {
            for c in f["artifactChanges"].as_array().unwrap() {
                let uri = c["artifactLocation"]["uri"].as_str().unwrap().to_string();
                for rep in c["replacements"].as_array().unwrap() {
                    let d = &rep["deletedRegion"];
                    let n = |k: &str| d[k].as_u64().unwrap() as usize;
                    per_file.entry(uri.clone()).or_default().push((
                        n("startLine"),
                        n("startColumn"),
                        n("endLine"),
                        n("endColumn"),
                        rep["insertedContent"]["text"].as_str().unwrap().to_string(),
                    ));
                }
            }
        }
    }
    assert!(per_file.len() >= 5, "{per_file:?}");
    let garbage = regex::Regex::new(r"AUTH_TOKEN[A-Z]|TOKENKEN|API_KEY_TOKEN|AUTH_AUTH").unwrap();
    for (uri, reps) in per_file {
        let path = dir.path().join(uri.trim_start_matches("./"));
        let text = std::fs::read_to_string(&path).unwrap();
        let mut spans: Vec<(usize, usize, String)> = reps
            .into_iter()
            .map(|(l, c, el, ec, t)| (offset(&text, l, c), offset(&text, el, ec), t))
            .collect();
        spans.sort();
        for w in spans.windows(2) {
            assert!(
                w[0].1 <= w[1].0 && w[0] != w[1],
                "{uri}: overlapping SARIF fixes {:?} and {:?}",
                w[0],
                w[1]
            );
        }
        let mut out = text.clone();
        for (s, e, t) in spans.iter().rev() {
            out.replace_range(*s..*e, t);
        }
        let before: usize = garbage.find_iter(&text).count();
        assert_eq!(
            garbage.find_iter(&out).count(),
            before,
            "{uri}: mangled names after applying the SARIF fixes:\n{out}"
        );
    }
}

/// What a generated file does with the variable.
#[derive(Debug, Clone, Copy)]
enum Part {
    /// A CI job that sets it from a secret and runs compose.
    CiProvider,
    /// A start script that exports it from a vault and runs compose.
    ScriptProvider,
    /// A script that exports a committed legacy key (never renamed).
    LiteralProvider,
    /// A script that exports the old name and passes it to one container
    /// under the new name (held: its scope already sets the new name).
    DuplicateProvider,
    /// A `.env` file setting it empty (a placeholder).
    DotenvProvider,
    /// A compose file reading it from the host.
    ComposeReader,
    /// A shell guard.
    GuardReader,
    /// Python reading it.
    CodeReader,
}

fn part() -> impl Strategy<Value = Part> {
    prop_oneof![
        Just(Part::CiProvider),
        Just(Part::ScriptProvider),
        Just(Part::LiteralProvider),
        Just(Part::DuplicateProvider),
        Just(Part::DotenvProvider),
        Just(Part::ComposeReader),
        Just(Part::GuardReader),
        Just(Part::CodeReader),
    ]
}

fn render(p: Part, i: usize) -> (String, String) {
    match p {
        Part::CiProvider => (
            format!(".github/workflows/ci{i}.yml"),
            "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    env:\n      LOCALSTACK_API_KEY: ${{ secrets.LOCALSTACK_API_KEY }}\n    steps:\n      - run: docker compose up -d\n".into(),
        ),
        Part::ScriptProvider => (
            format!("scripts/start{i}.sh"),
            "#!/bin/sh\nexport LOCALSTACK_API_KEY=\"$(op read op://dev/localstack/key)\"\ndocker compose up -d\n".into(),
        ),
        Part::LiteralProvider => (
            format!("scripts/dev{i}.sh"),
            "#!/bin/sh\nexport LOCALSTACK_API_KEY=4dR9xK2pQz\ndocker compose up -d\n".into(),
        ),
        Part::DuplicateProvider => (
            format!("scripts/run{i}.sh"),
            "#!/bin/sh\nexport LOCALSTACK_API_KEY=\"$(cat ~/.ls-key)\"\ndocker run -e LOCALSTACK_AUTH_TOKEN=\"$LOCALSTACK_API_KEY\" localstack/localstack-pro\n".into(),
        ),
        Part::DotenvProvider => (format!("env{i}/.env"), "LOCALSTACK_API_KEY=\n".into()),
        Part::ComposeReader => (
            format!("compose/docker-compose.{i}.yml"),
            "services:\n  app:\n    image: acme/app\n    environment:\n      - KEY=${LOCALSTACK_API_KEY-}\n".into(),
        ),
        Part::GuardReader => (
            format!("scripts/check{i}.sh"),
            "#!/bin/sh\n[ -n \"$LOCALSTACK_API_KEY\" ] || exit 1\nmake test\n".into(),
        ),
        Part::CodeReader => (
            format!("tests/conf{i}.py"),
            "import os\n\nKEY = os.environ[\"LOCALSTACK_API_KEY\"]\n".into(),
        ),
    }
}

/// Names set and names read in a tree of generated files.
fn provided_and_read(files: &BTreeMap<String, Vec<u8>>) -> (BTreeSet<String>, Vec<String>) {
    let set = regex::Regex::new(r"(?m)^(?:export |\s+)?([A-Z_]+)(?:=|: \$\{\{)").unwrap();
    let read =
        regex::Regex::new(r#"\$\{([A-Z_]+)-\}|"\$([A-Z_]+)"|os\.environ\["([A-Z_]+)"\]"#).unwrap();
    let mut provided = BTreeSet::new();
    let mut readers = Vec::new();
    for (path, bytes) in files {
        let text = String::from_utf8_lossy(bytes);
        for c in set.captures_iter(&text) {
            if c[1].starts_with("LOCALSTACK_") {
                provided.insert(c[1].to_string());
            }
        }
        for c in read.captures_iter(&text) {
            let name = c.iter().skip(1).flatten().next().unwrap().as_str();
            readers.push(format!("{path}\t{name}"));
        }
    }
    (provided, readers)
}

fn connected_after_fix(parts: &[Part], flags: &[&str]) -> Result<(), TestCaseError> {
    let files: Vec<(String, String)> = parts
        .iter()
        .enumerate()
        .map(|(i, p)| render(*p, i))
        .collect();
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_bytes()))
        .collect();
    let dir = temp_tree(&refs);
    let before = tree(dir.path());
    let mut args = vec!["fix", "--write"];
    args.extend(flags);
    let o = run_in(dir.path(), &args);
    prop_assert_eq!(code(&o), 0, "{}", stderr(&o));
    let after = tree(dir.path());
    let (provided_before, read_before) = provided_and_read(&before);
    let (provided_after, read_after) = provided_and_read(&after);
    prop_assert_eq!(read_before.len(), read_after.len());
    for (b, a) in read_before.iter().zip(&read_after) {
        let was = b.split('\t').nth(1).unwrap_or("");
        let now = a.split('\t').nth(1).unwrap_or("");
        prop_assert!(
            provided_after.contains(now) || !provided_before.contains(was),
            "{a} reads a name nothing sets after fix {flags:?} (before: {b}, set before: {provided_before:?}, after: {provided_after:?})\n{}",
            stderr(&o)
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(16),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// On random combinations of providers and readers across files,
    /// `fix --write` (in both modes) never leaves a reader reading a name
    /// no provider in the repository sets, unless that was so before.
    #[test]
    fn fix_never_disconnects_a_reader(parts in proptest::collection::vec(part(), 1..6)) {
        connected_after_fix(&parts, &[])?;
        connected_after_fix(&parts, &["--rename-secrets"])?;
    }
}
