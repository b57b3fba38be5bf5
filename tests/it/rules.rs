//! The rule pack: every rule's examples pass through the real scanner, and
//! broken rule files are reported precisely.

use crate::util::*;

#[test]
fn default_pack_examples_all_pass() {
    let o = run(&["rules", "check"]);
    assert_eq!(
        code(&o),
        0,
        "rules check failed:\n{}{}",
        stdout(&o),
        stderr(&o)
    );
    assert!(stdout(&o).contains("rules OK"), "{}", stdout(&o));
}

#[test]
fn every_rule_file_on_disk_is_embedded() {
    let mut on_disk: Vec<String> = std::fs::read_dir(root().join("rules"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    on_disk.sort();
    let embedded: Vec<String> = keysweep::rules::embedded::DEFAULT_RULES
        .iter()
        .map(|(n, _)| n.to_string())
        .collect();
    assert_eq!(on_disk, embedded);
}

/// Every malformed rule fixture fails `rules check` with exit 2 and a
/// diagnostic naming the file and the offending line.
#[test]
fn invalid_rule_files_are_reported_with_their_line() {
    let cases = [
        ("bad-regex.toml", "regex does not compile", 7),
        ("unknown-field.toml", "`must_mach`", 8),
        ("missing-group.toml", "is not a named group", 8),
        ("not-toml.toml", "invalid rule file", 1),
        (
            "failing-example.toml",
            "must_match example #1 produced no finding",
            8,
        ),
        ("pathological.toml", "regex does not compile", 9),
    ];
    for (file, message, line) in cases {
        let path = format!("fixtures/rules/invalid/{file}");
        let o = run(&["rules", "check", "--no-default-rules", "--rules", &path]);
        let err = stderr(&o);
        assert_eq!(code(&o), 2, "{file}: {err}");
        // miette wraps long messages; compare with the wrapping undone.
        let flat = flat(&err);
        assert!(
            flat.contains(message),
            "{file}: expected `{message}` in\n{err}"
        );
        assert!(
            err.contains(&format!("{path}:{line}:")),
            "{file}: expected line {line} in\n{err}"
        );
        // A structurally bad rule is just as fatal for a scan (examples are
        // only run by `rules check`).
        if file != "failing-example.toml" {
            let o = run(&["scan", "fixtures/repos/clean", "--rules", &path]);
            assert_eq!(code(&o), 2, "{file}");
        }
    }
}

#[test]
fn failing_examples_and_must_not_match_are_both_reported() {
    let o = run(&[
        "rules",
        "check",
        "--no-default-rules",
        "--rules",
        "fixtures/rules/invalid/failing-example.toml",
    ]);
    let err = stderr(&o);
    assert!(err.contains("2 problem(s)"), "{err}");
    let flat = flat(&err);
    assert!(
        flat.contains("must_not_match example produced 1 finding(s)"),
        "{err}"
    );
}
