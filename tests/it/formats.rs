//! Output formats: SARIF validity (schema + GitHub's requirements), JSON shape,
//! and redaction of every planted secret in every format.

use crate::util::*;

fn secrets() -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(fixture("expected")).unwrap() {
        let p = entry.unwrap().path();
        if p.file_name().unwrap().to_string_lossy().contains("secrets") {
            for line in std::fs::read_to_string(&p).unwrap().lines() {
                let s = line.split('\t').next().unwrap().trim();
                if !s.is_empty() && !s.starts_with('#') {
                    out.push(s.to_string());
                }
            }
        }
    }
    assert!(out.len() >= 10, "secret lists are missing: {out:?}");
    out
}

fn sarif_of(path: &str) -> serde_json::Value {
    let o = run(&["scan", path, "--format", "sarif", "--fail-on", "never"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    json(&o)
}

#[test]
fn sarif_validates_against_the_sarif_2_1_0_schema() {
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("schema/sarif-2.1.0.json")).unwrap())
            .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    for path in [
        "fixtures/demo",
        "fixtures/repos/clean",
        "fixtures/repos/edge-cases",
    ] {
        let doc = sarif_of(path);
        let errors: Vec<String> = validator
            .iter_errors(&doc)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{path}: {errors:#?}");
    }
}

#[test]
fn sarif_meets_github_code_scanning_requirements() {
    let doc = sarif_of("fixtures/demo");
    assert_eq!(doc["version"], "2.1.0");
    assert!(doc["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
    let runs = doc["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1, "one run per upload");
    let run = &runs[0];
    assert_eq!(run["tool"]["driver"]["name"], "keysweep");
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "rules sorted by id");
    for r in rules {
        for field in ["shortDescription", "fullDescription", "help"] {
            let text = r[field]["text"]
                .as_str()
                .unwrap_or_else(|| panic!("{} lacks {field}", r["id"]));
            assert!(
                !text.is_empty()
                    && text.chars().count() <= if field == "help" { usize::MAX } else { 1024 }
            );
        }
        assert!(r["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains("Migration"));
        assert!(r["helpUri"].as_str().unwrap().starts_with("https://"));
        let props = &r["properties"];
        assert!(
            ["very-high", "high", "medium", "low"].contains(&props["precision"].as_str().unwrap())
        );
        let debt = props["security-severity"].is_null()
            && props["tags"]
                .as_array()
                .is_some_and(|t| !t.contains(&"security".into()));
        if props["keysweep-severity"] != "info" && !debt {
            let score: f64 = props["security-severity"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!(score > 0.0 && score <= 10.0);
        }
    }
    let results = run["results"].as_array().unwrap();
    assert!(results.len() > 50);
    for res in results {
        let idx = res["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[idx]["id"], res["ruleId"]);
        assert!(!res["message"]["text"].as_str().unwrap().is_empty());
        let loc = &res["locations"][0]["physicalLocation"];
        let uri = loc["artifactLocation"]["uri"].as_str().unwrap();
        assert!(
            uri.starts_with("fixtures/demo/") && !uri.contains(' '),
            "{uri}"
        );
        assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        let region = &loc["region"];
        for k in ["startLine", "startColumn", "endLine", "endColumn"] {
            assert!(
                region[k].as_u64().unwrap() >= 1,
                "{k} must be 1-based: {region}"
            );
        }
        assert!(res["partialFingerprints"]["keysweep/v1"]
            .as_str()
            .unwrap()
            .contains(':'));
    }
    assert_eq!(
        run["tool"]["driver"]["informationUri"],
        "https://github.com/keysweep/keysweep"
    );
    assert!(run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap()
        .starts_with("file://"));
}

#[test]
fn json_report_is_versioned_and_complete() {
    let r = scan_json(&["fixtures/demo"]);
    assert_eq!(r["format"], "keysweep-report");
    assert_eq!(r["version"], 1);
    let f = &r["findings"][0];
    for k in [
        "rule_id",
        "title",
        "severity",
        "path",
        "line",
        "column",
        "end_line",
        "end_column",
        "snippet",
        "fingerprint",
        "migration",
    ] {
        assert!(!f[k].is_null(), "finding lacks {k}: {f}");
    }
    let total: u64 = r["summary"]["by_severity"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(total as usize, r["findings"].as_array().unwrap().len());
    assert!(r["summary"]["files_scanned"].as_u64().unwrap() > 50);
}

#[test]
fn no_planted_secret_appears_in_any_output_format() {
    let secrets = secrets();
    let tmp = tempfile::tempdir().unwrap();
    for format in ["human", "json", "sarif"] {
        for path in [
            "fixtures/demo",
            "fixtures/repos",
            "fixtures/demo/build/ci.env",
        ] {
            let out_file = tmp.path().join(format!("report.{format}"));
            let o = run(&[
                "scan",
                path,
                "--format",
                format,
                "--fail-on",
                "never",
                "--no-ignore",
                "--color",
                "always",
            ]);
            let o2 = run(&[
                "scan",
                path,
                "--format",
                format,
                "--fail-on",
                "never",
                "--output",
                out_file.to_str().unwrap(),
            ]);
            let written = std::fs::read_to_string(&out_file).unwrap();
            for s in &secrets {
                for (what, text) in [
                    ("stdout", stdout(&o)),
                    ("stderr", stderr(&o)),
                    ("file", written.clone()),
                    ("stderr2", stderr(&o2)),
                ] {
                    assert!(
                        !text.contains(s.as_str()),
                        "{format} {path} {what} leaks {s}"
                    );
                }
            }
        }
    }
}

#[test]
fn show_secrets_is_the_only_way_to_print_them() {
    // Proves the redaction test above can fail: the same scan with the flag
    // does print a planted value.
    let o = run(&[
        "scan",
        "fixtures/demo/.env",
        "--format",
        "json",
        "--fail-on",
        "never",
        "--show-secrets",
    ]);
    let out = stdout(&o);
    assert!(secrets().iter().any(|s| out.contains(s.as_str())), "{out}");
}

/// The human report of a small fixture, byte for byte (colour off, the
/// width used when stdout is not a terminal, timing normalised). Set
/// `KEYSWEEP_BLESS=1` to rewrite the expected file after an intended change,
/// then review its diff.
#[test]
fn human_output_matches_the_golden_file() {
    let o = run_in(&fixture("repos/golden"), &["scan", ".", "--color", "never"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let timing = regex::Regex::new(r"in \d+\.\d+ s").unwrap();
    let got = timing.replace_all(&stdout(&o), "in 0.00 s").into_owned();
    let expected = fixture("expected/golden-human.txt");
    if std::env::var_os("KEYSWEEP_BLESS").is_some() {
        std::fs::write(&expected, &got).unwrap();
    }
    let want = std::fs::read_to_string(&expected).unwrap();
    assert!(
        got == want,
        "human output differs from {}:\n--- expected\n{want}\n--- got\n{got}",
        expected.display()
    );
}
