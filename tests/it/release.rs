//! Release packaging: the Dockerfile's structure (no container engine is
//! needed), one version everywhere it is written down, and what the crate
//! package ships.

use crate::util::root;
use std::process::Command;

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Dockerfile instructions with continuation lines joined and comments
/// dropped: (INSTRUCTION, arguments).
fn instructions(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let t = line.trim();
        if current.is_empty() && (t.is_empty() || t.starts_with('#')) {
            continue;
        }
        if let Some(body) = t.strip_suffix('\\') {
            current.push_str(body);
            current.push(' ');
            continue;
        }
        current.push_str(t);
        let (op, args) = current.split_once(' ').unwrap_or((&current, ""));
        out.push((op.to_ascii_uppercase(), args.trim().to_string()));
        current.clear();
    }
    out
}

/// What is wrong with a Dockerfile, by the project's rules: every base
/// image pinned by tag (not `latest`) or digest, no `ADD` of a URL, the
/// `image` and `debug` stages run as a non-root user, `image` is the last
/// (default) stage, `/src` is the work dir and `keysweep` the entrypoint.
fn dockerfile_problems(text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let mut stages: Vec<String> = Vec::new();
    let mut users: Vec<Option<String>> = Vec::new();
    for (op, args) in instructions(text) {
        match op.as_str() {
            "FROM" => {
                let words: Vec<&str> = args
                    .split_whitespace()
                    .filter(|w| !w.starts_with("--platform"))
                    .collect();
                let image = words.first().copied().unwrap_or("");
                let known_stage = stages.iter().any(|s| s == image);
                if !(image == "scratch" || image.starts_with("${") || known_stage) {
                    let last = image.rsplit('/').next().unwrap_or(image);
                    let pinned = image.contains("@sha256:")
                        || last
                            .split_once(':')
                            .is_some_and(|(_, tag)| !tag.is_empty() && tag != "latest");
                    if !pinned {
                        problems.push(format!(
                            "base image `{image}` is pinned by neither tag nor digest"
                        ));
                    }
                }
                let name = words
                    .iter()
                    .position(|w| w.eq_ignore_ascii_case("as"))
                    .and_then(|i| words.get(i + 1))
                    .map(|w| w.to_string())
                    .unwrap_or_default();
                stages.push(name);
                users.push(None);
            }
            "USER" => match users.last_mut() {
                Some(u) => *u = Some(args.clone()),
                None => problems.push("USER before FROM".into()),
            },
            "ADD" if args.contains("://") => problems.push(format!(
                "`ADD {args}` fetches a URL; download in a checked RUN step"
            )),
            _ => {}
        }
    }
    for name in ["image", "debug"] {
        let Some(i) = stages.iter().position(|s| s == name) else {
            problems.push(format!("no stage named {name}"));
            continue;
        };
        match &users[i] {
            None => problems.push(format!("stage {name} sets no USER")),
            Some(user) => {
                let uid = user.split(':').next().unwrap_or("");
                if uid.is_empty() || uid == "root" || uid == "0" {
                    problems.push(format!("stage {name} runs as {user}"));
                }
            }
        }
    }
    if stages.last().map(String::as_str) != Some("image") {
        problems.push("the last (default) stage is not `image`".into());
    }
    if !text.contains("WORKDIR /src") {
        problems.push("no WORKDIR /src".into());
    }
    if !text.contains(r#"ENTRYPOINT ["keysweep"]"#) {
        problems.push("no ENTRYPOINT [\"keysweep\"]".into());
    }
    problems
}

#[test]
fn dockerfile_runs_as_non_root_from_pinned_bases() {
    let text = read("Dockerfile");
    let problems = dockerfile_problems(&text);
    assert!(problems.is_empty(), "{problems:#?}");
    assert!(text.contains("--locked"), "the image build uses Cargo.lock");

    // The check itself catches each kind of mistake.
    let broken = [
        text.replacen("USER 65532:65532", "USER root", 2),
        text.replace("static-debian12:nonroot", "static-debian12"),
        text.replace("rust:1.88-slim-bookworm", "rust:latest"),
        text.replace(
            "COPY Cargo.toml Cargo.lock build.rs ./",
            "ADD https://example.com/src.tar.gz ./",
        ),
        text.replace("WORKDIR /src", "WORKDIR /"),
    ];
    for (i, b) in broken.iter().enumerate() {
        assert_ne!(b, &text, "mutation {i} changed nothing");
        assert!(
            !dockerfile_problems(b).is_empty(),
            "mutation {i} went unnoticed"
        );
    }

    // The build context holds what the stages COPY and nothing bulky.
    let ignore = read(".dockerignore");
    assert!(
        ignore.lines().any(|l| l.trim() == "*"),
        ".dockerignore starts from nothing"
    );
    for needed in [
        "!Cargo.toml",
        "!Cargo.lock",
        "!build.rs",
        "!src/",
        "!rules/",
    ] {
        assert!(
            ignore.lines().any(|l| l.trim() == needed),
            ".dockerignore lacks {needed}"
        );
    }
}

#[test]
fn one_version_everywhere() {
    // action.yml's `version` input, the hook template's own version and the
    // wheel it depends on.
    let action = read("action.yml");
    let default = action
        .split("\n  version:\n")
        .nth(1)
        .and_then(|s| s.lines().find_map(|l| l.trim().strip_prefix("default: ")))
        .expect("version input");
    assert_eq!(default.trim_matches('"'), VERSION);
    let hook = read("packaging/pre-commit-hook/pyproject.toml");
    assert!(hook.contains(&format!("version = \"{VERSION}\"")), "{hook}");
    assert!(hook.contains(&format!("\"keysweep=={VERSION}\"")), "{hook}");
    // The wheel takes its version from Cargo.toml.
    let py = read("pyproject.toml");
    assert!(py.contains("dynamic = [\"version\"]"));
    assert!(py.contains("bindings = \"bin\""));
    assert!(py.contains("requires = [\"maturin>=1,<2\"]"));
    // The docs show this version in their examples.
    for doc in [
        "README.md",
        "docs/workflow.md",
        "packaging/pre-commit-hook/README.md",
    ] {
        let text = read(doc);
        assert!(
            text.contains(&format!("v{VERSION}")),
            "{doc} shows no v{VERSION}"
        );
    }
    let changelog = read("CHANGELOG.md");
    assert!(changelog.contains("## [Unreleased]"));
    assert!(
        changelog.contains(&format!("## {VERSION}"))
            || changelog.contains(&format!("## [{VERSION}]"))
    );
}

/// The crate ships the sources, the embedded rules, the docs and both
/// licences, and none of the fixtures or tests.
#[test]
fn crate_package_ships_rules_docs_and_licences_but_no_fixtures() {
    let o = Command::new(env!("CARGO"))
        .current_dir(root())
        .args(["package", "--list", "--allow-dirty", "--offline"])
        .output()
        .expect("cargo runs");
    assert!(
        o.status.success(),
        "cargo package --list: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let list = String::from_utf8_lossy(&o.stdout).into_owned();
    let files: Vec<&str> = list.lines().collect();
    for needed in [
        "Cargo.toml",
        "Cargo.lock",
        "build.rs",
        "src/main.rs",
        "src/lib.rs",
        "README.md",
        "CHANGELOG.md",
        "LICENSE-MIT",
        "LICENSE-APACHE",
        "docs/workflow.md",
    ] {
        assert!(files.contains(&needed), "package lacks {needed}:\n{list}");
    }
    let rules_on_disk = std::fs::read_dir(root().join("rules"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "toml")
        })
        .count();
    let rules_shipped = files
        .iter()
        .filter(|f| f.starts_with("rules/") && f.ends_with(".toml"))
        .count();
    assert_eq!(
        rules_shipped, rules_on_disk,
        "build.rs embeds every rules/*.toml"
    );
    for f in &files {
        assert!(
            !(f.starts_with("fixtures/")
                || f.starts_with("tests/")
                || f.starts_with("bench/")
                || f.starts_with("fuzz/")
                || f.starts_with(".ci/")
                || f.starts_with(".github/")),
            "package ships {f}"
        );
    }
}
