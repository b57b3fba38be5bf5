//! Secret and side-effect hygiene: no planted secret in any byte keysweep
//! writes (every format, `--verbose`, the progress line, report files); no
//! write anywhere but `--output`; no network access; progress only on an
//! interactive terminal.

use crate::util::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Every planted secret of every fixture tree (`fixtures/expected/*secrets*.txt`).
fn all_secrets() -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(fixture("expected")).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if name.contains("secrets") && name.ends_with(".txt") {
            let text = std::fs::read_to_string(&p).unwrap();
            out.extend(
                text.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty() && !l.starts_with('#'))
                    .map(String::from),
            );
        }
    }
    assert!(out.len() >= 20, "secrets lists went missing: {out:?}");
    out
}

/// Fixture trees holding the planted secrets.
const TREES: &[&str] = &[
    "fixtures/demo",
    "fixtures/repos/edge-cases",
    "fixtures/repos/encodings",
    "fixtures/repos/binary",
    "fixtures/repos/clean",
];

fn assert_clean(secrets: &[String], what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for s in secrets {
        assert!(!text.contains(s.as_str()), "{what} leaks {s}:\n{text}");
    }
}

/// `util::script` wrapper: runs `args` under a pseudo-terminal (util-linux
/// `script`) and returns everything written to the terminal, or None when
/// `script` is not available.
fn on_a_terminal(args: &[&str], env: &[(&str, &str)]) -> Option<String> {
    on_a_terminal_of(None, args, env)
}

/// [`on_a_terminal`] on a terminal `cols` columns wide.
fn on_a_terminal_of(cols: Option<u16>, args: &[&str], env: &[(&str, &str)]) -> Option<String> {
    let probe = Command::new("script").arg("--version").output();
    if !probe.is_ok_and(|o| o.status.success()) {
        // CI must run these checks: only a developer machine may lack it.
        assert!(
            std::env::var_os("CI").is_none(),
            "`script` (util-linux) is needed for the terminal checks in CI"
        );
        eprintln!("`script` not available: terminal checks skipped");
        return None;
    }
    let mut cmd_line = cols.map_or_else(String::new, |c| format!("stty rows 24 cols {c}; "));
    cmd_line.push_str(&shell_quote(env!("CARGO_BIN_EXE_keysweep")));
    for a in args {
        cmd_line.push(' ');
        cmd_line.push_str(&shell_quote(a));
    }
    let mut cmd = Command::new("script");
    cmd.args(["-q", "-e", "-c", &cmd_line, "/dev/null"])
        .current_dir(root())
        .env_remove("CI")
        .env_remove("NO_COLOR");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let o = cmd.output().unwrap();
    Some(String::from_utf8_lossy(&o.stdout).into_owned())
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

#[test]
fn no_secret_in_any_output_even_with_verbose_and_progress() {
    let secrets = all_secrets();
    let tmp = tempfile::tempdir().unwrap();
    for tree in TREES {
        for format in ["human", "json", "sarif"] {
            let report = tmp.path().join(format!("report.{format}"));
            let report_arg = report.to_str().unwrap();
            let base = [
                "scan",
                tree,
                "--format",
                format,
                "--fail-on",
                "never",
                "--no-ignore",
                "-v",
            ];
            let o = run(&[&base[..], &["--color", "always"]].concat());
            assert_eq!(code(&o), 0, "{tree} {format}: {}", stderr(&o));
            assert_clean(&secrets, &format!("{tree} {format} stdout"), &o.stdout);
            assert_clean(&secrets, &format!("{tree} {format} stderr"), &o.stderr);
            // -v really was on: the rule files and timing are on stderr.
            assert!(stderr(&o).contains(" scanned, "), "{}", stderr(&o));
            let o = run(&[&base[..], &["--output", report_arg]].concat());
            assert_eq!(code(&o), 0);
            assert_clean(&secrets, "stdout with --output", &o.stdout);
            assert_clean(&secrets, "stderr with --output", &o.stderr);
            assert_clean(&secrets, "report file", &std::fs::read(&report).unwrap());
        }
        // The progress line and the verbose details on a real terminal.
        let report = tmp.path().join("tty.json");
        if let Some(tty) = on_a_terminal(
            &[
                "scan",
                tree,
                "-v",
                "--no-ignore",
                "--format",
                "json",
                "--output",
                report.to_str().unwrap(),
                "--fail-on",
                "never",
            ],
            &[],
        ) {
            assert!(tty.contains("keysweep: scanning"), "{tty}");
            assert_clean(&secrets, "terminal", tty.as_bytes());
            assert_clean(&secrets, "tty report", &std::fs::read(&report).unwrap());
        }
    }
    // The checks above can fail: with --show-secrets the same scan prints them.
    let o = run(&[
        "scan",
        "fixtures/repos/encodings",
        "--show-secrets",
        "-f",
        "json",
        "-v",
    ]);
    assert!(
        secrets.iter().any(|s| stdout(&o).contains(s.as_str())),
        "{}",
        stdout(&o)
    );
}

#[test]
fn rule_commands_print_no_fixture_secret() {
    let secrets = all_secrets();
    for args in [
        &["rules", "list"][..],
        &["rules", "list", "--format", "json"],
        &["rules", "check"],
    ] {
        let o = run(args);
        assert_eq!(code(&o), 0, "{args:?}: {}", stderr(&o));
        assert_clean(&secrets, "rules stdout", &o.stdout);
        assert_clean(&secrets, "rules stderr", &o.stderr);
    }
}

#[test]
fn progress_appears_only_on_an_interactive_terminal() {
    // Piped stderr (this test, CI logs, `2> file`): never a progress line.
    let o = keysweep()
        .env_remove("CI")
        .args(["scan", "fixtures/demo", "--fail-on", "never"])
        .output()
        .unwrap();
    assert!(!stderr(&o).contains("scanning"), "{}", stderr(&o));
    assert!(!o.stderr.contains(&b'\r'));
    assert!(!o.stdout.contains(&b'\r'));
    let Some(tty) = on_a_terminal(
        &["scan", "fixtures/demo", "-f", "json", "-o", "/dev/null"],
        &[],
    ) else {
        return;
    };
    assert!(tty.contains("keysweep: scanning"), "{tty:?}");
    assert!(
        tty.contains("files,") && tty.contains("findings"),
        "{tty:?}"
    );
    // The line is erased at the end (cursor back at column 0, line cleared)
    // before the summary of the report written to a file.
    let last = tty.rfind("keysweep: scanning").unwrap();
    let summary_re = regex::Regex::new(r"keysweep: \d+ findings").unwrap();
    let summary = summary_re.find(&tty).expect("summary line").start();
    assert!(tty[last..summary].ends_with("\r\x1b[2K"), "{tty:?}");
    let ci = on_a_terminal(
        &["scan", "fixtures/demo", "-f", "json", "-o", "/dev/null"],
        &[("CI", "true")],
    )
    .unwrap_or_default();
    assert!(!ci.contains("scanning"), "CI set: no progress: {ci:?}");
    assert!(
        summary_re.find(&ci).is_some_and(|m| m.start() == 0),
        "{ci:?}"
    );
    let quiet = on_a_terminal(
        &[
            "scan",
            "fixtures/demo",
            "-q",
            "-f",
            "json",
            "-o",
            "/dev/null",
        ],
        &[],
    );
    assert_eq!(quiet.as_deref(), Some(""), "--quiet: no progress");
    // A narrow terminal gets lines cut to its width, never wrapped ones that
    // cannot be erased.
    let narrow = on_a_terminal_of(
        Some(30),
        &[
            "scan",
            "fixtures/demo",
            "-f",
            "json",
            "-o",
            "/dev/null",
            "-j",
            "1",
        ],
        &[],
    )
    .unwrap_or_default();
    assert!(narrow.contains("keysweep: scanning"), "{narrow:?}");
    for drawn in narrow.split(['\r', '\n']) {
        let drawn = drawn.trim_start_matches("\x1b[2K");
        if drawn.contains("scanning") {
            assert!(
                drawn.trim_end().chars().count() <= 30,
                "{drawn:?} in {narrow:?}"
            );
        }
    }
}

#[test]
fn verbose_lists_rule_files_and_every_skipped_path() {
    let o = run(&[
        "scan",
        "fixtures/repos/binary",
        "-v",
        "--fail-on",
        "never",
        "-q",
    ]);
    let err = stderr(&o);
    assert!(err.contains("rules/auth-token.toml"), "{err}");
    assert!(
        err.contains("keysweep: skipped fixtures/repos/binary/data/settings-cache.db (binary)"),
        "{err}"
    );
    assert!(err.contains("1 path skipped"), "{err}");
    // Without -v, stderr stays empty.
    let o = run(&["scan", "fixtures/repos/binary", "--fail-on", "never", "-q"]);
    assert!(o.stderr.is_empty(), "{}", stderr(&o));
}

/// Every file under `dir` with its length, modification time and content.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (u64, std::time::SystemTime, Vec<u8>)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let meta = std::fs::symlink_metadata(e.path()).unwrap();
            if meta.is_dir() {
                stack.push(e.path());
            }
            let content = if meta.is_file() {
                std::fs::read(e.path()).unwrap()
            } else {
                Vec::new()
            };
            out.insert(
                e.path().strip_prefix(dir).unwrap().to_path_buf(),
                (meta.len(), meta.modified().unwrap(), content),
            );
        }
    }
    out
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &target);
        } else if e.file_type().unwrap().is_file() {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

#[test]
fn writes_nothing_but_the_output_file() {
    let work = tempfile::tempdir().unwrap();
    let tree = work.path().join("tree");
    let home = work.path().join("home");
    let tmp = work.path().join("tmp");
    for d in [&tree, &home, &tmp] {
        std::fs::create_dir_all(d).unwrap();
    }
    copy_tree(&fixture("repos/edge-cases"), &tree);
    copy_tree(&fixture("repos/encodings"), &tree.join("encodings"));
    let before = snapshot(work.path());
    let run_here = |args: &[&str]| -> Output {
        keysweep()
            .current_dir(&tree)
            .env("HOME", &home)
            .env("TMPDIR", &tmp)
            .env("XDG_CACHE_HOME", home.join(".cache"))
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .args(args)
            .output()
            .unwrap()
    };
    for format in ["human", "json", "sarif"] {
        let o = run_here(&["scan", ".", "-v", "-f", format, "--fail-on", "never"]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
    }
    for args in [&["rules", "list"][..], &["rules", "check"]] {
        assert_eq!(code(&run_here(args)), 0);
    }
    assert_eq!(
        snapshot(work.path()),
        before,
        "a scan changed the tree, HOME or TMPDIR"
    );
    // With --output, exactly that file appears.
    let report = work.path().join("report.sarif");
    let o = run_here(&[
        "scan",
        ".",
        "-f",
        "sarif",
        "-o",
        report.to_str().unwrap(),
        "--fail-on",
        "never",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let mut after = snapshot(work.path());
    assert!(after.remove(Path::new("report.sarif")).is_some());
    assert_eq!(after, before);
}

#[test]
fn links_no_network_client() {
    // 1. No HTTP, TLS or async-socket crate anywhere in the dependency graph.
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).unwrap();
    let forbidden = [
        "reqwest",
        "hyper",
        "ureq",
        "curl",
        "curl-sys",
        "rustls",
        "openssl",
        "openssl-sys",
        "native-tls",
        "h2",
        "isahc",
        "attohttpc",
        "tokio",
        "mio",
        "socket2",
    ];
    for line in lock.lines() {
        if let Some(name) = line.strip_prefix("name = ") {
            let name = name.trim_matches('"');
            assert!(!forbidden.contains(&name), "Cargo.lock pulls in `{name}`");
        }
    }
    // 2. The binary does not even import the libc calls that open sockets
    //    (checked where `nm` can read it: ELF with dynamic libc).
    if let Ok(o) = Command::new("nm")
        .args(["-D", "--undefined-only", env!("CARGO_BIN_EXE_keysweep")])
        .output()
    {
        if o.status.success() {
            let syms = String::from_utf8_lossy(&o.stdout);
            for sym in ["socket", "connect", "getaddrinfo", "sendto"] {
                assert!(
                    !syms
                        .lines()
                        .any(|l| l.split_whitespace().last() == Some(sym)
                            || l.split_whitespace()
                                .last()
                                .is_some_and(|s| s.starts_with(&format!("{sym}@")))),
                    "keysweep imports `{sym}`"
                );
            }
        }
    }
}

#[test]
fn scans_identically_without_any_network() {
    // `unshare -n` gives the process an empty network namespace (root or
    // unprivileged user namespaces needed); skip where that is impossible.
    let usable = Command::new("unshare")
        .args(["-n", "true"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !usable {
        assert!(
            std::env::var_os("CI").is_none(),
            "`unshare -n` must be usable in CI (root, or unprivileged user namespaces)"
        );
        eprintln!("`unshare -n` not usable here: offline check skipped");
        return;
    }
    let args = ["scan", "fixtures/demo", "-f", "json", "--fail-on", "never"];
    let offline = Command::new("unshare")
        .arg("-n")
        .arg(env!("CARGO_BIN_EXE_keysweep"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(code(&offline), 0, "{}", stderr(&offline));
    let online = run(&args);
    let strip = |o: &Output| {
        let mut v = json(o);
        v["summary"]["elapsed_ms"] = serde_json::Value::Null;
        v
    };
    assert_eq!(strip(&offline), strip(&online));
}
