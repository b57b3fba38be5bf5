//! Hostile and unusual inputs: every case has one documented outcome (see
//! docs/robustness.md) and none may panic, hang or abort the scan.
//!
//! Most tests use a small rule file of their own (`KEY=<10 alphanumerics>`)
//! with `--no-default-rules`, so they test the scanner's handling of the input
//! and keep passing whatever the rule pack says about LocalStack.

use crate::util::*;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// One rule: `KEY=` followed by a 10-character secret.
const TEST_RULES: &str = r#"
[[rule]]
id = "test.key"
title = "Test key"
description = "A KEY= assignment with a ten-character value."
severity = "high"
keywords = ["key="]
regex = '''KEY=(?P<secret>[A-Za-z0-9]{10})\b'''
must_match = ["KEY=Ab3dEf9hIj"]

[rule.migration]
summary = "Rotate it."
"#;

/// A value the test rule reports.
const SECRET: &str = "Ab3dEf9hIj";

/// Writes `rules` to `name` in a temporary directory of its own (outside any
/// scanned tree: its examples would be findings) and returns both.
fn rules_file(name: &str, rules: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(name);
    std::fs::write(&p, rules).unwrap();
    let p = p.to_str().unwrap().to_string();
    (dir, p)
}

/// Runs `cmd` and fails the test if it has not exited after `secs` seconds
/// (a hang is a bug; the child is killed rather than left behind).
fn output_within(mut cmd: Command, secs: u64) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Drain the pipes on threads so a large report cannot block the child.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut out, &mut v).unwrap();
        v
    });
    let t_err = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut err, &mut v).unwrap();
        v
    });
    let deadline = Instant::now() + Duration::from_secs(secs);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("keysweep did not finish within {secs} s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: t_out.join().unwrap(),
        stderr: t_err.join().unwrap(),
    }
}

/// Scans `paths` (relative to `dir`) with the test rule and JSON output;
/// asserts a normal exit (0 or 1, no panic) and returns the report.
fn scan_json(dir: &Path, paths: &[&str], extra: &[&str]) -> Value {
    let (_keep, rules) = rules_file("test-rules.toml", TEST_RULES);
    let mut cmd = keysweep();
    cmd.current_dir(dir)
        .args(["scan", "--format", "json", "--fail-on", "never"])
        .args(["--no-default-rules", "--rules", &rules])
        .args(extra)
        .args(paths);
    let o = output_within(cmd, 60);
    assert_no_panic(&o);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    json(&o)
}

fn assert_no_panic(o: &Output) {
    let err = stderr(o);
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{err}"
    );
    assert!(matches!(code(o), 0..=2), "exit {:?}: {err}", o.status);
}

fn findings(r: &Value) -> &Vec<Value> {
    r["findings"].as_array().unwrap()
}

fn skipped(r: &Value) -> Vec<(String, String, String)> {
    r["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["path"].as_str().unwrap().to_string(),
                s["reason"].as_str().unwrap().to_string(),
                s["detail"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn reason_of(r: &Value, path: &str) -> Option<String> {
    skipped(r)
        .into_iter()
        .find(|(p, _, _)| p == path)
        .map(|(_, reason, _)| reason)
}

/// (line, column, end_column) of the only finding.
fn only_position(r: &Value) -> (u64, u64, u64) {
    let f = findings(r);
    assert_eq!(f.len(), 1, "{r}");
    let f = &f[0];
    (
        f["line"].as_u64().unwrap(),
        f["column"].as_u64().unwrap(),
        f["end_column"].as_u64().unwrap(),
    )
}

#[test]
fn binary_file_is_skipped_and_its_secret_never_read() {
    let mut data = b"\x7fELF\x02\x01\x01\x00".to_vec();
    data.extend_from_slice(format!("KEY={SECRET}\n").as_bytes());
    let dir = temp_tree(&[("app.bin", &data)]);
    let r = scan_json(dir.path(), &["."], &[]);
    assert!(findings(&r).is_empty(), "{r}");
    assert_eq!(reason_of(&r, "app.bin").as_deref(), Some("binary"));
    assert_eq!(r["summary"]["files_scanned"], 0);
}

#[test]
fn invalid_utf8_is_scanned_bytewise() {
    // Latin-1 é, a lone continuation byte and a truncated 2-byte sequence.
    let dir = temp_tree(&[("latin1.env", b"caf\xe9 \x80 KEY=Ab3dEf9hIj \xc3\n")]);
    let r = scan_json(dir.path(), &["."], &[]);
    // Columns count characters as UTF-8 lead bytes: é (a lone lead byte)
    // counts as one column, the stray continuation byte as none.
    assert_eq!(only_position(&r), (1, 11, 21));
    let snippet = findings(&r)[0]["snippet"]["text"].as_str().unwrap();
    assert!(snippet.contains('\u{FFFD}'), "{snippet}");
    assert!(!snippet.contains(SECRET), "{snippet}");
}

fn utf16(text: &str, bom: [u8; 2], unit: fn(u16) -> [u8; 2]) -> Vec<u8> {
    let mut v = bom.to_vec();
    for u in text.encode_utf16() {
        v.extend(unit(u));
    }
    v
}

#[test]
fn utf16_with_bom_is_decoded_and_scanned() {
    let text = "# é\r\n$env:KEY=Ab3dEf9hIj\r\n";
    let mut odd = utf16(text, [0xFF, 0xFE], u16::to_le_bytes);
    odd.push(b'K'); // a dangling half code unit is ignored
    let mut lone = utf16("x", [0xFF, 0xFE], u16::to_le_bytes);
    lone.extend([0x00, 0xD8]); // an unpaired surrogate becomes U+FFFD
    lone.extend(utf16("\nKEY=Ab3dEf9hIj\n", [0, 0], u16::to_le_bytes).split_off(2));
    let dir = temp_tree(&[
        ("le.ps1", &utf16(text, [0xFF, 0xFE], u16::to_le_bytes)),
        ("be.ps1", &utf16(text, [0xFE, 0xFF], u16::to_be_bytes)),
        ("odd.ps1", &odd),
        ("lone.ps1", &lone),
    ]);
    for file in ["le.ps1", "be.ps1", "odd.ps1"] {
        let r = scan_json(dir.path(), &[file], &[]);
        // Line and column refer to the decoded text.
        assert_eq!(only_position(&r), (2, 10, 20), "{file}: {r}");
    }
    let r = scan_json(dir.path(), &["lone.ps1"], &[]);
    assert_eq!(only_position(&r), (2, 5, 15), "{r}");
}

#[test]
fn crlf_lines_report_the_value_without_the_carriage_return() {
    let dir = temp_tree(&[("crlf.env", b"A=1\r\nKEY=Ab3dEf9hIj\r\nB=2\r\n")]);
    let r = scan_json(dir.path(), &["."], &[]);
    assert_eq!(only_position(&r), (2, 5, 15));
    let snippet = findings(&r)[0]["snippet"]["text"].as_str().unwrap();
    assert_eq!(snippet, "KEY=******");
}

#[test]
fn utf8_bom_is_stripped_and_not_counted_as_a_column() {
    let dir = temp_tree(&[("bom.sh", b"\xEF\xBB\xBFKEY=Ab3dEf9hIj\n")]);
    let r = scan_json(dir.path(), &["."], &[]);
    assert_eq!(only_position(&r), (1, 5, 15));
}

#[test]
fn size_cap_is_inclusive_and_larger_files_are_skipped_with_a_reason() {
    let at_cap = format!("KEY={SECRET}\n{}", "#".repeat(100 - 15));
    let over = format!("{at_cap}#");
    assert_eq!(at_cap.len(), 100);
    let dir = temp_tree(&[
        ("at-cap.env", at_cap.as_bytes()),
        ("over.env", over.as_bytes()),
    ]);
    let r = scan_json(dir.path(), &["."], &["--max-file-size", "100"]);
    assert_eq!(findings(&r).len(), 1, "{r}");
    assert_eq!(findings(&r)[0]["path"], "at-cap.env");
    let (_, reason, detail) = skipped(&r)
        .into_iter()
        .find(|(p, _, _)| p == "over.env")
        .unwrap();
    assert_eq!(reason, "too-large");
    assert!(detail.contains("101 bytes"), "{detail}");
}

#[test]
fn a_single_ten_megabyte_line_is_capped_by_default_and_scanned_when_allowed() {
    let mut line = "x".repeat(5_000_000);
    line.push_str(&format!(" KEY={SECRET} "));
    line.push_str(&"y".repeat(5_000_000));
    let dir = temp_tree(&[("one-line.txt", line.as_bytes())]);
    // Default cap is 8 MiB: the file is skipped, not truncated.
    let r = scan_json(dir.path(), &["."], &[]);
    assert_eq!(reason_of(&r, "one-line.txt").as_deref(), Some("too-large"));
    let r = scan_json(dir.path(), &["."], &["--max-file-size", "16777216"]);
    assert_eq!(only_position(&r), (1, 5_000_006, 5_000_016));
    // The snippet is a window around the finding, not the whole line.
    let snippet = findings(&r)[0]["snippet"]["text"].as_str().unwrap();
    assert!(snippet.chars().count() < 300, "{}", snippet.len());
    assert!(snippet.starts_with('…') && snippet.ends_with('…'));
    assert!(snippet.contains("KEY=******"), "{snippet}");
}

#[test]
fn empty_files_and_empty_directories_are_scanned_cleanly() {
    let dir = temp_tree(&[("empty.env", b"")]);
    std::fs::create_dir(dir.path().join("nothing-here")).unwrap();
    let r = scan_json(dir.path(), &["empty.env", "nothing-here"], &[]);
    assert!(findings(&r).is_empty());
    assert_eq!(r["summary"]["files_scanned"], 1);
    assert_eq!(r["summary"]["bytes_scanned"], 0);
    assert!(skipped(&r).is_empty(), "{r}");
}

#[cfg(unix)]
mod unix {
    use super::*;
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::{symlink, PermissionsExt};

    #[test]
    fn symlink_loops_are_skipped_inside_a_tree_and_refused_on_the_command_line() {
        let dir = temp_tree(&[("ok.env", b"KEY=Ab3dEf9hIj\n")]);
        let d = dir.path();
        symlink("b", d.join("a")).unwrap();
        symlink("a", d.join("b")).unwrap();
        std::fs::create_dir(d.join("sub")).unwrap();
        symlink("..", d.join("sub/up")).unwrap(); // a directory cycle
        let r = scan_json(d, &["."], &[]);
        assert_eq!(findings(&r).len(), 1, "{r}");
        for p in ["a", "b", "sub/up"] {
            assert_eq!(reason_of(&r, p).as_deref(), Some("symlink"), "{p}: {r}");
        }
        // Named explicitly, a loop cannot be resolved: a usage error (exit 2).
        let (_keep, rules) = rules_file("r.toml", TEST_RULES);
        let o = run_in(d, &["scan", "a", "--no-default-rules", "--rules", &rules]);
        assert_no_panic(&o);
        assert_eq!(code(&o), 2);
        assert!(stderr(&o).contains("cannot read a"), "{}", stderr(&o));
    }

    #[test]
    fn dangling_symlinks_are_skipped_inside_a_tree_and_refused_on_the_command_line() {
        let dir = temp_tree(&[("ok.env", b"x\n")]);
        let d = dir.path();
        symlink("does-not-exist", d.join("dangling.env")).unwrap();
        let r = scan_json(d, &["."], &[]);
        assert_eq!(reason_of(&r, "dangling.env").as_deref(), Some("symlink"));
        let o = run_in(d, &["scan", "dangling.env"]);
        assert_no_panic(&o);
        assert_eq!(code(&o), 2);
        assert!(stdout(&o).is_empty());
    }

    #[test]
    fn a_symlink_named_on_the_command_line_is_followed() {
        let dir = temp_tree(&[("real.env", b"KEY=Ab3dEf9hIj\n")]);
        symlink("real.env", dir.path().join("link.env")).unwrap();
        let r = scan_json(dir.path(), &["link.env"], &[]);
        assert_eq!(findings(&r).len(), 1, "{r}");
        // Reported under the name the user gave.
        assert_eq!(findings(&r)[0]["path"], "link.env");
    }

    fn mkfifo(path: &Path) {
        let ok = Command::new("mkfifo").arg(path).status().unwrap().success();
        assert!(ok, "mkfifo failed");
    }

    #[test]
    fn fifos_sockets_and_devices_are_skipped_without_blocking() {
        let dir = temp_tree(&[("ok.env", b"KEY=Ab3dEf9hIj\n")]);
        let d = dir.path();
        mkfifo(&d.join("pipe"));
        let _sock = std::os::unix::net::UnixListener::bind(d.join("sock")).unwrap();
        // Nobody ever writes to the FIFO: opening it for reading would block
        // forever, so a hang fails the test (output_within).
        let r = scan_json(d, &["."], &[]);
        assert_eq!(findings(&r).len(), 1);
        assert_eq!(reason_of(&r, "pipe").as_deref(), Some("special"));
        assert_eq!(reason_of(&r, "sock").as_deref(), Some("special"));
        // Named on the command line they are skipped the same way.
        let r = scan_json(d, &["pipe", "/dev/null"], &[]);
        assert_eq!(r["summary"]["skipped"]["special"], 2, "{r}");
        assert_eq!(r["summary"]["files_scanned"], 0);
    }

    /// True when this process can read files whose permission bits forbid it
    /// (root, or CAP_DAC_OVERRIDE): permission tests then check that keysweep
    /// scans such files, as any privileged reader would.
    fn bypasses_permissions(probe: &Path) -> bool {
        std::fs::read(probe).is_ok()
    }

    #[test]
    fn permission_denied_file_is_unreadable_unless_privileged() {
        let dir = temp_tree(&[("secret.env", b"KEY=Ab3dEf9hIj\n"), ("ok.env", b"x\n")]);
        let file = dir.path().join("secret.env");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o000)).unwrap();
        let r = scan_json(dir.path(), &["."], &[]);
        if bypasses_permissions(&file) {
            assert_eq!(
                findings(&r).len(),
                1,
                "privileged: scanned like any file: {r}"
            );
        } else {
            assert!(findings(&r).is_empty());
            let (_, reason, detail) = skipped(&r)
                .into_iter()
                .find(|(p, _, _)| p == "secret.env")
                .unwrap();
            assert_eq!(reason, "unreadable");
            assert!(detail.contains("ermission denied"), "{detail}");
        }
        assert_eq!(reason_of(&r, "ok.env"), None);
    }

    #[test]
    fn permission_denied_directory_is_unreadable_unless_privileged() {
        let dir = temp_tree(&[
            ("locked/secret.env", b"KEY=Ab3dEf9hIj\n"),
            ("ok.env", b"x\n"),
        ]);
        let locked = dir.path().join("locked");
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
        let privileged = std::fs::read_dir(&locked).is_ok();
        let r = scan_json(dir.path(), &["."], &[]);
        // Restore access so the temp dir can be removed.
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
        if privileged {
            assert_eq!(findings(&r).len(), 1, "{r}");
        } else {
            assert!(findings(&r).is_empty());
            assert_eq!(
                reason_of(&r, "locked").as_deref(),
                Some("unreadable"),
                "{r}"
            );
        }
        assert_eq!(
            r["summary"]["files_scanned"],
            if privileged { 2 } else { 1 }
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_file_the_kernel_refuses_even_to_root_is_counted_unreadable() {
        // Reading /proc/self/mem at offset 0 fails with EIO for every user:
        // the portable way to exercise the read-error path as root.
        let mem = Path::new("/proc/self/mem");
        if !mem.exists() {
            return;
        }
        let r = scan_json(Path::new("/"), &["/proc/self/mem"], &[]);
        assert_eq!(r["summary"]["skipped"]["unreadable"], 1, "{r}");
        assert_eq!(r["summary"]["files_scanned"], 0);
    }

    #[test]
    fn non_utf8_file_names_are_reported_lossily() {
        let dir = temp_tree(&[]);
        let name = std::ffi::OsStr::from_bytes(b"k\xffy.env");
        std::fs::write(dir.path().join(name), b"KEY=Ab3dEf9hIj\n").unwrap();
        let r = scan_json(dir.path(), &["."], &[]);
        assert_eq!(findings(&r).len(), 1, "{r}");
        assert_eq!(findings(&r)[0]["path"], "k\u{FFFD}y.env");
        // SARIF and human output cope with the name too.
        let (_keep, rules) = rules_file("r.toml", TEST_RULES);
        for format in ["sarif", "human"] {
            let o = run_in(
                dir.path(),
                &[
                    "scan",
                    "--format",
                    format,
                    "--no-default-rules",
                    "--rules",
                    &rules,
                ],
            );
            assert_no_panic(&o);
            assert_eq!(code(&o), 1, "{format}: {}", stderr(&o));
            // SARIF URIs are percent-encoded UTF-8: U+FFFD is %EF%BF%BD.
            let expect = if format == "sarif" {
                "k%EF%BF%BDy.env"
            } else {
                "k\u{FFFD}y.env"
            };
            assert!(stdout(&o).contains(expect), "{format}: {}", stdout(&o));
        }
    }
}

#[test]
fn a_missing_path_on_the_command_line_is_a_usage_error() {
    let dir = temp_tree(&[("ok.env", b"KEY=Ab3dEf9hIj\n")]);
    // Even next to a good path: nothing is scanned, nothing half-reported.
    let o = run_in(dir.path(), &["scan", "ok.env", "no/such/file.env"]);
    assert_no_panic(&o);
    assert_eq!(code(&o), 2);
    assert!(stdout(&o).is_empty(), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("cannot read no/such/file.env"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_file_that_vanished_before_reading_is_an_unreadable_skip() {
    let dir = temp_tree(&[]);
    let mut buf = Vec::new();
    let err = keysweep::scan::read::read_file(&dir.path().join("gone.env"), 1 << 20, &mut buf)
        .unwrap_err();
    assert_eq!(err.reason, keysweep::finding::SkipReason::Unreadable);
}

#[test]
fn files_deleted_while_the_scan_runs_never_break_it() {
    const N: usize = 1500;
    let dir = tempfile::tempdir().unwrap();
    for i in 0..N {
        let sub = dir.path().join(format!("d{}", i % 30));
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(sub.join(format!("f{i}.env")), format!("KEY={SECRET}\n")).unwrap();
    }
    let (_keep, rules) = rules_file("r.toml", TEST_RULES);
    let child = keysweep()
        .current_dir(dir.path())
        .args([
            "scan",
            ".",
            "--format",
            "json",
            "--fail-on",
            "never",
            "-j",
            "1",
        ])
        .args(["--no-default-rules", "--rules", &rules])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Delete files and whole directories while the scan runs.
    for i in (0..30).rev() {
        let _ = std::fs::remove_dir_all(dir.path().join(format!("d{i}")));
    }
    let o = child.wait_with_output().unwrap();
    assert_no_panic(&o);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let r = json(&o);
    let scanned = r["summary"]["files_scanned"].as_u64().unwrap();
    let unreadable = r["summary"]["skipped"]["unreadable"].as_u64().unwrap_or(0);
    // Every file is found and scanned, or counted unreadable, or was gone
    // before the walk got there; a finding is only reported for a read file.
    assert!(scanned + unreadable <= N as u64 + 30, "{r}");
    assert_eq!(findings(&r).len() as u64, scanned, "{r}");
}

/// Runs `rules check` and `scan` on a rule file; both must exit 2 with a
/// diagnostic that contains `expect` and points into the file.
fn assert_rule_error(rules: &str, expect: &str) -> String {
    let dir = temp_tree(&[("ok.env", b"x\n")]);
    let (_keep, path) = rules_file("bad.toml", rules);
    for args in [
        vec!["rules", "check", "--no-default-rules", "--rules", &path],
        vec!["scan", ".", "--rules", &path],
    ] {
        let o = run_in(dir.path(), &args);
        assert_no_panic(&o);
        assert_eq!(code(&o), 2, "{args:?}: {}", stderr(&o));
        assert!(stdout(&o).is_empty(), "{}", stdout(&o));
    }
    let o = run_in(
        dir.path(),
        &["rules", "check", "--no-default-rules", "--rules", &path],
    );
    let err = stderr(&o);
    let flat = err
        .replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(flat.contains(expect), "expected `{expect}` in\n{err}");
    assert!(err.contains("bad.toml"), "{err}");
    err
}

#[test]
fn malformed_rule_toml_is_a_precise_error() {
    let err = assert_rule_error("[[rule]\nid = \"x\"\n", "invalid rule file");
    assert!(err.contains("bad.toml:1:"), "{err}");
    let err = assert_rule_error(
        &TEST_RULES.replace("severity = \"high\"", "severity = \"high"),
        "invalid rule file",
    );
    assert!(err.contains("bad.toml:6:"), "{err}");
    assert_rule_error("", "defines no [[rule]]");
    assert_rule_error("rule = 3\n", "invalid rule file");
}

#[test]
fn a_rule_file_that_is_not_utf8_is_an_error_not_a_panic() {
    let dir = temp_tree(&[("bad.toml", b"id = \"\xff\"\n")]);
    let o = run_in(dir.path(), &["rules", "check", "--rules", "bad.toml"]);
    assert_no_panic(&o);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("cannot read rules from bad.toml"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn an_invalid_regex_is_a_precise_error() {
    let err = assert_rule_error(
        &TEST_RULES.replace("(?P<secret>[A-Za-z0-9]{10})", "(?P<secret>[A-Za-z0-9]{10}"),
        "regex does not compile",
    );
    assert!(err.contains("bad.toml:8:"), "{err}");
    assert_rule_error(
        &TEST_RULES.replace("regex = '''KEY=", "regex = '''(?&nope)KEY="),
        "unknown def `nope`",
    );
}

#[test]
fn unknown_keys_in_rule_files_are_errors_naming_the_key() {
    let err = assert_rule_error(
        &TEST_RULES.replace("severity = ", "severty = \"high\"\nseverity = "),
        "unknown field `severty`",
    );
    assert!(err.contains("bad.toml:6:"), "{err}");
    assert_rule_error(
        &TEST_RULES.replace("summary = ", "sumary = \"x\"\nsummary = "),
        "unknown field `sumary`",
    );
}

#[test]
fn pathological_regexes_run_in_linear_time_and_are_capped() {
    // Classic catastrophic-backtracking patterns; the regex crate has no
    // backtracking, so a megabyte of input takes milliseconds, not ages.
    let rules = r#"
[[rule]]
id = "test.nested"
title = "Nested quantifiers"
description = "(x+x+)+y"
severity = "low"
regex = '''(x+x+)+y'''
must_match = ["xxy"]
[rule.migration]
summary = "n/a"

[[rule]]
id = "test.alternation"
title = "Overlapping alternation"
description = "(a|aa)+$"
severity = "low"
regex = '''(?:a|aa)+b'''
must_match = ["aab"]
[rule.migration]
summary = "n/a"

[[rule]]
id = "test.everything"
title = "Matches every character"
description = "No keyword, matches everywhere: must stop at the per-file cap."
severity = "low"
regex = '''(?s).'''
must_match = ["z"]
[rule.migration]
summary = "n/a"
"#;
    let big = format!("{}\n{}\n", "x".repeat(500_000), "a".repeat(500_000));
    let dir = temp_tree(&[("big.txt", big.as_bytes())]);
    let (_keep, path) = rules_file("p.toml", rules);
    let mut cmd = keysweep();
    cmd.current_dir(dir.path()).args([
        "scan",
        "big.txt",
        "--format",
        "json",
        "--fail-on",
        "never",
        "--no-default-rules",
        "--rules",
        &path,
    ]);
    let started = Instant::now();
    let o = output_within(cmd, 120);
    assert_no_panic(&o);
    let r = json(&o);
    let by_rule = |id: &str| findings(&r).iter().filter(|f| f["rule_id"] == id).count();
    assert_eq!(by_rule("test.nested"), 0);
    assert_eq!(by_rule("test.alternation"), 0);
    // One finding per line and rule: the 1000 capped hits are all on the
    // first line, so they are one finding counting them.
    assert_eq!(by_rule("test.everything"), 1, "one finding per line");
    let everything = findings(&r)
        .iter()
        .find(|f| f["rule_id"] == "test.everything")
        .unwrap()
        .clone();
    assert_eq!(
        everything["occurrences"], 1000,
        "capped at 1000 per rule and file"
    );
    assert_eq!(
        r["summary"]["truncated"]["test.everything"], 1,
        "{}",
        r["summary"]
    );
    eprintln!("pathological rules on 1 MB: {:?}", started.elapsed());
}

#[test]
fn thousands_of_findings_in_one_file_are_capped_and_reported_as_truncated() {
    let many: String = (0..5000).map(|i| format!("KEY={SECRET} # {i}\n")).collect();
    // 2000 hits on one 4 MB line: each finding needs that line's bounds, which
    // must be computed once, not once per finding (quadratic before).
    let mut long = String::new();
    for _ in 0..2000 {
        long.push_str(&format!(" KEY={SECRET} {}", "z".repeat(2000)));
    }
    let dir = temp_tree(&[("many.env", many.as_bytes()), ("long.txt", long.as_bytes())]);
    let r = scan_json(dir.path(), &["many.env"], &[]);
    assert_eq!(findings(&r).len(), 1000);
    assert_eq!(r["summary"]["truncated"]["test.key"], 1);
    // The kept findings are the first 1000, in order, each with its own line.
    let lines: Vec<u64> = findings(&r)
        .iter()
        .map(|f| f["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, (1..=1000).collect::<Vec<u64>>());
    // Timing is measured by `bench/run.sh longline`, not asserted here; a
    // quadratic regression still shows as the watchdog of `output_within`.
    let r = scan_json(dir.path(), &["long.txt"], &[]);
    assert_eq!(findings(&r).len(), 1, "one finding per line and rule");
    assert_eq!(findings(&r)[0]["occurrences"], 1000);
    // The same with the default pack and a rule that offers a fix (whose
    // context check looks at the match's line).
    let mut long_fix = String::new();
    for _ in 0..2000 {
        long_fix.push_str(&format!(" LOCALSTACK_API_KEY=${{X}} {}", "z".repeat(2000)));
    }
    std::fs::write(dir.path().join("long.sh"), &long_fix).unwrap();
    let mut cmd = keysweep();
    cmd.current_dir(dir.path())
        .args(["scan", "long.sh", "-f", "json", "--fail-on", "never"]);
    let o = output_within(cmd, 120);
    assert_no_panic(&o);
    let r = json(&o);
    let on_line: Vec<&serde_json::Value> = findings(&r)
        .iter()
        .filter(|f| f["rule_id"] == "localstack.api-key.variable")
        .collect();
    assert_eq!(on_line.len(), 1, "{}", r["summary"]);
    assert!(on_line[0]["occurrences"].as_u64().unwrap() >= 1000);
    // Every output format copes with the cap and says so.
    let (_keep, rules) = rules_file("r.toml", TEST_RULES);
    let o = run_in(
        dir.path(),
        &[
            "scan",
            "many.env",
            "-q",
            "--no-default-rules",
            "--rules",
            &rules,
        ],
    );
    assert_eq!(code(&o), 1);
    assert!(
        stdout(&o).contains("rule test.key hit its per-file match limit in 1 file(s)"),
        "{}",
        stdout(&o)
    );
    let o = run_in(
        dir.path(),
        &[
            "scan",
            "many.env",
            "--format",
            "sarif",
            "--no-default-rules",
            "--rules",
            &rules,
        ],
    );
    let sarif: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 1000);
}
