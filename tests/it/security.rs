//! A scanner that cannot be turned against its user: confinement of paths a
//! scanned tree names, redaction by value, history scans that fail closed,
//! safe writes, `fix --write` keeping a file's identity, interrupted runs,
//! bounded rule expansion and reads, and the smaller cases. Each test
//! reproduces a case that failed before and pins what keysweep does now.

use crate::util::*;
use serde_json::Value;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// A valid (checksummed) Auth Token; fabricated.
const TOKEN: &str = "ls-UjqfupmZ-WdMT-rruu-HDcN-a6UN6zPK44b9";
/// A legacy API key value; fabricated.
const KEY: &str = "Wm7qT2vB9x";
/// A value planted in the environment: it must never be printed.
const ENV_MARKER: &str = "KS_PLANTED_ENV_VALUE_7f3a9c";

/// Runs keysweep in `dir` with the marker in its environment and stdin
/// from `stdin`, waiting for it without a time limit of its own: a hang is a
/// failure that shows as a test that never ends (the test harness reports
/// it), never as a timed assertion.
fn ks_in(dir: &Path, args: &[&str], stdin: Stdio) -> Output {
    keysweep()
        .current_dir(dir)
        .args(args)
        .env("KS_PLANTED", ENV_MARKER)
        .stdin(stdin)
        .output()
        .expect("keysweep runs")
}

fn ks(dir: &Path, args: &[&str]) -> Output {
    ks_in(dir, args, Stdio::null())
}

fn all_output(o: &Output) -> String {
    format!("{}{}", stdout(o), stderr(o))
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=Test", "-c", "user.email=test@example.com"])
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn mkfifo(p: &Path) {
    let st = Command::new("mkfifo").arg(p).status().expect("mkfifo runs");
    assert!(st.success());
}

// --- 1. Paths named by a scanned tree stay inside it ---------------------

#[test]
fn a_tree_config_cannot_name_rule_files_outside_the_tree() {
    let outside = temp_tree(&[("evil.toml", b"not = [toml\nKS_SECRET=outside-value-9d2\n")]);
    let evil = outside.path().join("evil.toml");
    for target in [
        "/proc/self/environ".to_string(),
        evil.display().to_string(),
        "/dev/zero".to_string(),
    ] {
        let rel = pathdiff_like(&target);
        for named in [target.clone(), rel] {
            let cfg = format!("rules = [{:?}]\n", named);
            let dir = temp_tree(&[("keysweep.toml", cfg.as_bytes()), ("a.env", b"A=1\n")]);
            let o = ks(dir.path(), &["scan", "."]);
            let text = all_output(&o);
            assert_eq!(code(&o), 2, "{named}: {text}");
            assert!(!text.contains(ENV_MARKER), "{named}: {text}");
            assert!(!text.contains("outside-value-9d2"), "{named}: {text}");
            assert!(flat(&text).contains("cannot be used"), "{named}: {text}");
        }
    }
}

/// `../../..` up to `/` followed by the absolute path, as a tree would write it.
fn pathdiff_like(abs: &str) -> String {
    format!("../../../../../../../../..{abs}")
}

#[test]
fn a_tree_config_naming_a_fifo_or_a_symlink_out_is_refused_without_blocking() {
    let outside = temp_tree(&[("evil.toml", b"x = [\nKS_SECRET=outside-value-9d2\n")]);
    let dir = temp_tree(&[("a.env", b"A=1\n")]);
    mkfifo(&dir.path().join("rules.fifo"));
    std::os::unix::fs::symlink(outside.path(), dir.path().join("rules-dir")).unwrap();
    for named in ["rules.fifo", "rules-dir"] {
        std::fs::write(
            dir.path().join("keysweep.toml"),
            format!("rules = [\"{named}\"]\n"),
        )
        .unwrap();
        let o = ks(dir.path(), &["scan", "."]);
        assert_eq!(code(&o), 2, "{named}: {}", all_output(&o));
        assert!(!all_output(&o).contains("outside-value-9d2"));
    }
    // A rules directory inside the tree whose entry is a symlink leading out.
    std::fs::create_dir(dir.path().join("rules")).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("evil.toml"),
        dir.path().join("rules/r.toml"),
    )
    .unwrap();
    std::fs::write(dir.path().join("keysweep.toml"), "rules = [\"rules\"]\n").unwrap();
    let o = ks(dir.path(), &["scan", "."]);
    assert_eq!(code(&o), 2, "{}", all_output(&o));
    assert!(!all_output(&o).contains("outside-value-9d2"));
    assert!(all_output(&o).contains("outside"), "{}", all_output(&o));
}

#[test]
fn a_symlinked_keysweep_toml_or_baseline_cannot_print_another_file() {
    let outside = temp_tree(&[("creds", b"[default]\naws_secret = outside-value-9d2\n")]);
    for target in [
        Path::new("/proc/self/environ"),
        &outside.path().join("creds"),
    ] {
        let dir = temp_tree(&[("a.env", b"A=1\n")]);
        std::os::unix::fs::symlink(target, dir.path().join("keysweep.toml")).unwrap();
        let o = ks(dir.path(), &["scan", "."]);
        let text = all_output(&o);
        assert_eq!(code(&o), 2, "{text}");
        assert!(
            !text.contains(ENV_MARKER) && !text.contains("outside-value-9d2"),
            "{text}"
        );
        assert!(text.contains("outside"), "{text}");

        let dir = temp_tree(&[("a.env", b"A=1\n")]);
        std::os::unix::fs::symlink(target, dir.path().join("keysweep-baseline.json")).unwrap();
        let o = ks(
            dir.path(),
            &["scan", ".", "--baseline", "keysweep-baseline.json"],
        );
        let text = all_output(&o);
        assert_eq!(code(&o), 2, "{text}");
        assert!(
            !text.contains(ENV_MARKER) && !text.contains("outside-value-9d2"),
            "{text}"
        );
    }
}

#[test]
fn command_line_settings_files_must_be_regular_and_never_block() {
    let dir = temp_tree(&[("a.env", b"A=1\n")]);
    mkfifo(&dir.path().join("pipe"));
    for flag in ["--rules", "--config", "--baseline"] {
        for path in ["/dev/zero", "pipe"] {
            let o = ks(dir.path(), &["scan", ".", flag, path]);
            let text = flat(&all_output(&o));
            assert_eq!(code(&o), 2, "{flag} {path}: {text}");
            assert!(text.contains("not a regular file"), "{flag} {path}: {text}");
        }
    }
    // Text that is not a settings file (NUL bytes) is refused, not quoted.
    let o = ks(
        Path::new("/"),
        &["scan", "/dev/null", "--rules", "/proc/self/environ"],
    );
    assert_eq!(code(&o), 2);
    assert!(!all_output(&o).contains(ENV_MARKER), "{}", all_output(&o));
}

// --- 2. Redaction by value ----------------------------------------------

fn assert_hidden(text: &str, values: &[&str], what: &str) {
    for v in values {
        assert!(!text.contains(v), "{what} shows {v}:\n{text}");
    }
}

#[test]
fn values_are_redacted_wherever_they_appear_in_every_format() {
    let dir = temp_tree(&[
        (".env", format!("LOCALSTACK_API_KEY={KEY} # was {KEY}\n").as_bytes()),
        (
            ".github/workflows/preview.yml",
            b"jobs:\n  p:\n    steps:\n      - uses: LocalStack/setup-localstack/ephemeral/startup@v0.3.2\n        with:\n          localstack-api-key: Zq8mN3vL7w\n",
        ),
        ("b.env", b"LOCALSTACK_CI_KEY=Hq8mN3vL7wXy\nLSTK_AUTH_TOKEN=Pq8mN3vL7wXz\n"),
        ("README.md", format!("Set `LOCALSTACK_API_KEY={KEY}` first.\n").as_bytes()),
        (
            "keysweep.toml",
            format!("[allowlist]\nvalues = ['^{KEY}$']\n").as_bytes(),
        ),
    ]);
    let values = [KEY, "Zq8mN3vL7w", "Hq8mN3vL7wXy", "Pq8mN3vL7wXz"];
    for format in ["human", "json", "sarif"] {
        let o = ks(
            dir.path(),
            &["scan", ".", "-f", format, "--fail-on", "never", "-v"],
        );
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        assert_hidden(&all_output(&o), &values, format);
    }
    // The checks can fail: the values are there with --show-secrets.
    let o = ks(
        dir.path(),
        &[
            "scan",
            ".",
            "-f",
            "json",
            "--fail-on",
            "never",
            "--show-secrets",
        ],
    );
    for v in values {
        assert!(stdout(&o).contains(v), "{v} missing with --show-secrets");
    }
    // The allowlist justification names the line, not the pattern.
    let o = ks(
        dir.path(),
        &["scan", ".", "-f", "json", "--fail-on", "never"],
    );
    let r = json(&o);
    let j = r["suppressed"][0]["suppression"]["justification"]
        .as_str()
        .unwrap();
    assert!(j.contains("line 2"), "{j}");
}

#[test]
fn history_commit_summaries_are_redacted() {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q"]);
    std::fs::write(
        dir.path().join(".env"),
        format!("LOCALSTACK_API_KEY={KEY}\n"),
    )
    .unwrap();
    git(dir.path(), &["add", "."]);
    let msg = format!("add key {KEY} and token {TOKEN}, LOCALSTACK_CI_KEY=Hq8mN3vL7wXy");
    git(dir.path(), &["commit", "-qm", &msg]);
    for format in ["human", "json", "sarif"] {
        let o = ks(
            dir.path(),
            &["scan", "--history", ".", "-f", format, "--fail-on", "never"],
        );
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let text = all_output(&o);
        assert!(text.contains("add key"), "{format}: {text}");
        assert_hidden(&text, &[KEY, TOKEN, "Hq8mN3vL7wXy"], format);
    }
}

#[test]
fn short_values_show_no_characters() {
    let dir = temp_tree(&[(".env", format!("LOCALSTACK_API_KEY={KEY}\n").as_bytes())]);
    let r = scan_json_in(dir.path(), &["."]);
    let f = &r["findings"][0];
    assert_eq!(f["secret"], "******", "{f}");
    assert!(!f["snippet"]["text"].as_str().unwrap().contains(&KEY[..3]));
}

// --- 3. Every write is temp file + rename; outputs are not inputs -------

fn inode(p: &Path) -> u64 {
    std::fs::metadata(p).unwrap().ino()
}

#[test]
fn baselines_reports_and_init_replace_their_file_instead_of_truncating_it() {
    let dir = temp_tree(&[(".env", format!("LOCALSTACK_API_KEY={KEY}\n").as_bytes())]);
    let p = dir.path();
    let o = ks(p, &["baseline", "."]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    std::fs::write(p.join("report.json"), b"old report\n").unwrap();
    std::fs::write(p.join("keysweep.toml"), b"# curated\n").unwrap();
    // A hard link keeps the old inode visible: an in-place truncation would
    // change what it shows, a rename leaves it alone.
    for (file, args) in [
        ("keysweep-baseline.json", vec!["baseline", "."]),
        (
            "report.json",
            vec![
                "scan",
                ".",
                "-f",
                "json",
                "-o",
                "report.json",
                "--fail-on",
                "never",
            ],
        ),
        ("keysweep.toml", vec!["init", "--force"]),
    ] {
        let target = p.join(file);
        let keep = p.join(format!("{file}.old"));
        std::fs::hard_link(&target, &keep).unwrap();
        let before = std::fs::read(&keep).unwrap();
        let ino = inode(&target);
        let o = ks(p, &args);
        assert_eq!(code(&o), 0, "{file}: {}", stderr(&o));
        assert_ne!(inode(&target), ino, "{file} was rewritten in place");
        assert_eq!(std::fs::read(&keep).unwrap(), before, "{file}");
        std::fs::remove_file(&keep).unwrap();
    }
    let leftovers: Vec<_> = std::fs::read_dir(p)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn an_output_that_is_an_input_or_a_symlink_is_refused() {
    let content = format!("LOCALSTACK_API_KEY={KEY}\n");
    let dir = temp_tree(&[(".env", content.as_bytes()), ("keep.json", b"{}\n")]);
    let p = dir.path();
    let o = ks(p, &["scan", ".env", "-o", ".env"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("also an input"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(p.join(".env")).unwrap(), content);
    std::os::unix::fs::symlink("keep.json", p.join("link.json")).unwrap();
    let o = ks(p, &["baseline", ".", "-o", "link.json"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert_eq!(std::fs::read(p.join("keep.json")).unwrap(), b"{}\n");
    assert!(std::fs::symlink_metadata(p.join("link.json"))
        .unwrap()
        .file_type()
        .is_symlink());
}

// --- 4. History scans fail closed ---------------------------------------

fn repo_with_key() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q"]);
    std::fs::write(
        dir.path().join(".env"),
        format!("LOCALSTACK_API_KEY={KEY}\n"),
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::write(dir.path().join("sub/x.txt"), "x\n").unwrap();
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-qm", "one"]);
    std::fs::write(dir.path().join("b.txt"), "b\n").unwrap();
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-qm", "two"]);
    dir
}

fn loose_object(repo: &Path, id: &str) -> std::path::PathBuf {
    repo.join(".git/objects").join(&id[..2]).join(&id[2..])
}

#[test]
fn a_ref_to_a_missing_object_fails_the_history_scan() {
    let dir = repo_with_key();
    std::fs::write(
        dir.path().join(".git/refs/heads/broken"),
        "0123456789abcdef0123456789abcdef01234567\n",
    )
    .unwrap();
    let o = ks(dir.path(), &["scan", "--history", "."]);
    assert_eq!(code(&o), 2, "{}", all_output(&o));
    assert!(
        flat(&stderr(&o)).contains("refs/heads/broken"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn an_unreadable_tree_or_commit_fails_the_history_scan() {
    let dir = repo_with_key();
    let tree = git(dir.path(), &["rev-parse", "HEAD~1:sub"]);
    std::fs::remove_file(loose_object(dir.path(), &tree)).unwrap();
    let o = ks(dir.path(), &["scan", "--history", "."]);
    assert_eq!(code(&o), 2, "{}", all_output(&o));
    assert!(
        flat(&stderr(&o)).contains("cannot be read"),
        "{}",
        stderr(&o)
    );

    let dir = repo_with_key();
    let parent = git(dir.path(), &["rev-parse", "HEAD~1"]);
    std::fs::remove_file(loose_object(dir.path(), &parent)).unwrap();
    let o = ks(dir.path(), &["scan", "--history", "."]);
    assert_eq!(code(&o), 2, "{}", all_output(&o));
}

#[test]
fn missing_blobs_make_the_scan_incomplete_unless_allowed() {
    let src = repo_with_key();
    git(src.path(), &["config", "uploadpack.allowFilter", "true"]);
    let clones = tempfile::tempdir().unwrap();
    let url = format!("file://{}", src.path().display());
    git(
        clones.path(),
        &[
            "clone",
            "-q",
            "--filter=blob:none",
            "--no-checkout",
            &url,
            "partial",
        ],
    );
    let partial = clones.path().join("partial");
    let o = ks(&partial, &["scan", "--history", ".", "-f", "json"]);
    assert_eq!(code(&o), 2, "{}", all_output(&o));
    assert!(stderr(&o).contains("incomplete"), "{}", stderr(&o));
    // The report was still written: what could be read is shown.
    assert!(
        json(&o)["summary"]["skipped"]["unreadable"]
            .as_u64()
            .unwrap()
            > 0
    );
    let o = ks(&partial, &["scan", "--history", ".", "--allow-incomplete"]);
    assert_eq!(code(&o), 0, "{}", all_output(&o));
    // One blob missing (deleted loose object) does the same.
    let dir = repo_with_key();
    let blob = git(dir.path(), &["rev-parse", "HEAD:b.txt"]);
    std::fs::remove_file(loose_object(dir.path(), &blob)).unwrap();
    let o = ks(
        dir.path(),
        &["scan", "--history", ".", "--fail-on", "never"],
    );
    assert_eq!(code(&o), 2, "{}", all_output(&o));
}

#[test]
fn blobs_and_trees_named_only_by_tags_are_scanned() {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q"]);
    std::fs::write(dir.path().join("a.txt"), "a\n").unwrap();
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-qm", "one"]);
    let secret = dir.path().join("loose.env");
    std::fs::write(&secret, format!("LOCALSTACK_AUTH_TOKEN={TOKEN}\n")).unwrap();
    let blob = git(dir.path(), &["hash-object", "-w", "loose.env"]);
    git(dir.path(), &["tag", "blob-tag", &blob]);
    std::fs::remove_file(&secret).unwrap();
    // A tree no commit has, named by an annotated tag.
    std::fs::create_dir(dir.path().join("t")).unwrap();
    std::fs::write(
        dir.path().join("t/ci.env"),
        format!("LOCALSTACK_API_KEY={KEY}\n"),
    )
    .unwrap();
    git(dir.path(), &["add", "t/ci.env"]);
    let tree = git(dir.path(), &["write-tree"]);
    git(dir.path(), &["rm", "-q", "--cached", "t/ci.env"]);
    std::fs::remove_dir_all(dir.path().join("t")).unwrap();
    git(
        dir.path(),
        &["tag", "-a", "-m", "a tree", "tree-tag", &tree],
    );
    let o = ks(
        dir.path(),
        &["scan", "--history", ".", "-f", "json", "--fail-on", "never"],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let r = json(&o);
    let f = r["findings"].as_array().unwrap();
    assert!(
        f.iter()
            .any(|f| f["rule_id"] == "localstack.auth-token.leaked"
                && f["path"] == "refs/tags/blob-tag"),
        "{r}"
    );
    let key = f
        .iter()
        .find(|f| f["rule_id"] == "localstack.api-key.leaked")
        .unwrap_or_else(|| panic!("{r}"));
    assert_eq!(key["path"], "t/ci.env");
    assert_eq!(
        key["commit"]["summary"],
        "object named by refs/tags/tree-tag"
    );
}

// --- 5. fix --write keeps the file's identity ---------------------------

fn fix_rules() -> Vec<String> {
    vec![
        "--no-default-rules".into(),
        "--rules".into(),
        fixture("rules/fix").display().to_string(),
    ]
}

fn fix_in(dir: &Path, extra: &[&str]) -> Output {
    let mut args: Vec<String> = vec!["fix".into(), "--write".into()];
    args.extend(extra.iter().map(|s| s.to_string()));
    args.extend(fix_rules());
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    ks(dir, &refs)
}

const FIXABLE: &[u8] = b"export LOCALSTACK_API_KEY=$LOCALSTACK_API_KEY\n";

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

#[test]
fn fix_keeps_owner_group_and_extended_attributes() {
    let dir = temp_tree(&[("run.sh", FIXABLE)]);
    let p = dir.path().join("run.sh");
    if is_root() {
        std::os::unix::fs::chown(&p, Some(65534), Some(65534)).unwrap();
    }
    let f = std::fs::File::open(&p).unwrap();
    let xattrs = rustix::fs::fsetxattr(
        &f,
        "user.keysweep-test",
        b"kept",
        rustix::fs::XattrFlags::empty(),
    );
    // A POSIX ACL granting uid 65534 read-write: user::rw-, user:65534:rw-,
    // group::r--, mask::rw-, other::r-- (version 2; entries tag, perm, id).
    let mut acl = 2u32.to_le_bytes().to_vec();
    for (tag, perm, id) in [
        (0x01u16, 6u16, u32::MAX),
        (0x02, 6, 65534),
        (0x04, 4, u32::MAX),
        (0x10, 6, u32::MAX),
        (0x20, 4, u32::MAX),
    ] {
        acl.extend(tag.to_le_bytes());
        acl.extend(perm.to_le_bytes());
        acl.extend(id.to_le_bytes());
    }
    let acls = rustix::fs::fsetxattr(
        &f,
        "system.posix_acl_access",
        &acl,
        rustix::fs::XattrFlags::empty(),
    );
    let acl_before = acls
        .is_ok()
        .then(|| read_attr(&f, "system.posix_acl_access"));
    drop(f);
    // The file systems this runs on (ext4, as in CI) support both: their
    // absence there is a broken environment, not a reason to pass.
    if std::env::var_os("CI").is_some() {
        assert!(xattrs.is_ok() && acls.is_ok(), "{xattrs:?} {acls:?}");
    }
    let want = std::fs::metadata(&p).unwrap();
    let o = fix_in(dir.path(), &[]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_ne!(std::fs::read(&p).unwrap(), FIXABLE, "the file was fixed");
    let got = std::fs::metadata(&p).unwrap();
    assert_eq!((got.uid(), got.gid()), (want.uid(), want.gid()));
    assert_eq!(got.mode(), want.mode());
    let f = std::fs::File::open(&p).unwrap();
    if xattrs.is_ok() {
        assert_eq!(read_attr(&f, "user.keysweep-test"), b"kept");
    }
    if let Some(before) = acl_before {
        assert_eq!(read_attr(&f, "system.posix_acl_access"), before);
    }
}

fn read_attr(f: &std::fs::File, name: &str) -> Vec<u8> {
    let mut v = vec![0u8; 256];
    let n = rustix::fs::fgetxattr(f, name, &mut v[..]).expect("attribute present");
    v.truncate(n);
    v
}

#[test]
fn fix_refuses_hard_linked_and_setuid_files_and_says_why() {
    let dir = temp_tree(&[("run.sh", FIXABLE), ("tool.sh", FIXABLE)]);
    std::fs::hard_link(dir.path().join("run.sh"), dir.path().join("alias.sh")).unwrap();
    let tool = dir.path().join("tool.sh");
    if is_root() {
        std::os::unix::fs::chown(&tool, Some(65534), Some(65534)).unwrap();
    }
    std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o4755)).unwrap();
    let o = fix_in(dir.path(), &["run.sh", "tool.sh"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("hard links"), "{err}");
    assert!(err.contains("setuid/setgid"), "{err}");
    for f in ["run.sh", "alias.sh", "tool.sh"] {
        assert_eq!(std::fs::read(dir.path().join(f)).unwrap(), FIXABLE, "{f}");
    }
    let m = std::fs::metadata(&tool).unwrap();
    assert_eq!(m.mode() & 0o7777, 0o4755);
}

/// Waits (no deadline) until /proc/locks shows `pid` blocked on a lock.
fn wait_until_blocked(pid: u32) {
    loop {
        let locks = std::fs::read_to_string("/proc/locks").unwrap_or_default();
        if locks
            .lines()
            .any(|l| l.contains("->") && l.split_whitespace().nth(5) == Some(&pid.to_string()))
        {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

fn spawn_fix(dir: &Path) -> std::process::Child {
    let mut c = Command::new(env!("CARGO_BIN_EXE_keysweep"));
    c.current_dir(dir)
        .args(["fix", "--write"])
        .args(fix_rules())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c.spawn().expect("keysweep runs")
}

#[test]
fn a_concurrent_edit_under_the_lock_is_not_lost() {
    let dir = temp_tree(&[("run.sh", FIXABLE)]);
    let p = dir.path().join("run.sh");
    let held = std::fs::File::open(&p).unwrap();
    rustix::fs::flock(&held, rustix::fs::FlockOperation::LockExclusive).unwrap();
    let child = spawn_fix(dir.path());
    wait_until_blocked(child.id());
    // Another writer changes the file in place while keysweep waits.
    let mut edited = FIXABLE.to_vec();
    edited.extend_from_slice(b"echo other edit\n");
    std::fs::write(&p, &edited).unwrap();
    drop(held);
    let o = child.wait_with_output().unwrap();
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("changed since it was scanned"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read(&p).unwrap(), edited);
}

// --- 6. Interrupted fix runs leave nothing behind -----------------------

#[test]
fn sigterm_removes_the_temporary_copy() {
    let dir = temp_tree(&[("run.sh", FIXABLE)]);
    let p = dir.path().join("run.sh");
    let held = std::fs::File::open(&p).unwrap();
    rustix::fs::flock(&held, rustix::fs::FlockOperation::LockExclusive).unwrap();
    let mut child = spawn_fix(dir.path());
    wait_until_blocked(child.id());
    let temps = |d: &Path| -> usize {
        std::fs::read_dir(d)
            .unwrap()
            .flatten()
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with(".keysweep-fix-")
            })
            .count()
    };
    assert_eq!(temps(dir.path()), 1, "the copy exists while keysweep waits");
    let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(128 + 15));
    assert_eq!(temps(dir.path()), 0);
    drop(held);
    assert_eq!(std::fs::read(&p).unwrap(), FIXABLE);
}

#[test]
fn stale_temporary_files_are_skipped_by_scans_and_removed_by_fix() {
    let stale = format!("LOCALSTACK_API_KEY={KEY}\n");
    let dir = temp_tree(&[
        ("run.sh", FIXABLE),
        (".keysweep-fix-AbC123.tmp", stale.as_bytes()),
    ]);
    let r = scan_json_in(dir.path(), &["."]);
    assert!(
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["path"] != ".keysweep-fix-AbC123.tmp"),
        "{r}"
    );
    assert_eq!(r["summary"]["skipped"]["keysweep-temp"], 1, "{r}");
    let o = fix_in(dir.path(), &[]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(!dir.path().join(".keysweep-fix-AbC123.tmp").exists());
}

// --- 8. Rule expansion is bounded ---------------------------------------

#[test]
fn a_def_fan_out_is_a_diagnostic_not_an_abort() {
    let mut defs = String::from("[defs]\nd0 = 'ab'\n");
    for i in 1..=7 {
        let refs: String = (0..12).map(|_| format!("(?&d{})", i - 1)).collect();
        defs.push_str(&format!("d{i} = '{refs}'\n"));
    }
    let rule = format!(
        "{defs}[[rule]]\nid = \"x.fan\"\ntitle = \"t\"\ndescription = \"d\"\nseverity = \"low\"\nkeywords = [\"ab\"]\nregex = '(?&d7)'\nmust_match = [\"ab\"]\n[rule.migration]\nsummary = \"s\"\n"
    );
    assert!(rule.len() < 2000, "{}", rule.len());
    let dir = temp_tree(&[("fan.toml", rule.as_bytes())]);
    let o = ks(
        dir.path(),
        &[
            "rules",
            "check",
            "--no-default-rules",
            "--rules",
            "fan.toml",
        ],
    );
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(
        flat(&stderr(&o)).contains("expands to more than 1024 KiB"),
        "{}",
        stderr(&o)
    );
}

// --- 9. Baselines store no cheap value hash -----------------------------

#[test]
fn baselines_hash_values_with_a_salted_kdf_and_still_match() {
    let dir = temp_tree(&[(".env", format!("LOCALSTACK_API_KEY={KEY}\n").as_bytes())]);
    let o = ks(dir.path(), &["baseline", "."]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let text = std::fs::read_to_string(dir.path().join("keysweep-baseline.json")).unwrap();
    let b: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(b["version"], 2);
    assert_eq!(b["kdf"]["algorithm"], "pbkdf2-hmac-sha256");
    let plain = keysweep::finding::secret_hash(KEY);
    assert!(
        !text.contains(plain.trim_start_matches("sha256:")),
        "{text}"
    );
    let o = ks(
        dir.path(),
        &["scan", ".", "--baseline", "keysweep-baseline.json"],
    );
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    // A version 1 file still matches, with a note, and is upgraded.
    let v1 = format!(
        "{{\"format\":\"keysweep-baseline\",\"version\":1,\"entries\":[{{\"path\":\".env\",\"rule_id\":\"localstack.api-key.leaked\",\"hash\":\"{plain}\"}}]}}"
    );
    std::fs::write(dir.path().join("v1.json"), v1).unwrap();
    let o = ks(dir.path(), &["scan", ".", "--baseline", "v1.json"]);
    assert_eq!(code(&o), 0, "{}", all_output(&o));
    assert!(stderr(&o).contains("version 1 baseline"), "{}", stderr(&o));
    let o = ks(dir.path(), &["baseline", ".", "-o", "v1.json"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let text = std::fs::read_to_string(dir.path().join("v1.json")).unwrap();
    assert!(
        text.contains("\"version\": 2") && !text.contains(&plain),
        "{text}"
    );
    assert!(stderr(&o).contains("accepted 0 new"), "{}", stderr(&o));
}

// --- 10. Bounded reads and memory ---------------------------------------

#[test]
fn stdin_is_read_up_to_the_cap_only() {
    let zero = std::fs::File::open("/dev/zero").unwrap();
    let o = ks_in(
        Path::new("/"),
        &[
            "scan",
            "-",
            "--max-file-size",
            "1024",
            "-f",
            "json",
            "--fail-on",
            "never",
        ],
        Stdio::from(zero),
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(json(&o)["summary"]["skipped"]["too-large"], 1);
}

#[test]
fn findings_kept_per_run_are_capped_and_counted() {
    use keysweep::scan::{ScanOptions, Scanner};
    use keysweep::source::MemorySource;
    let rules = keysweep::rules::RuleSet::load_with(false, &[]).unwrap();
    let scanner = Scanner::unjudged(
        rules,
        ScanOptions {
            max_findings: 5,
            ..ScanOptions::default()
        },
    );
    let text = "LOCALSTACK_API_KEY=$X\n".repeat(40);
    let files: Vec<(String, Vec<u8>)> = (0..3)
        .map(|i| (format!("f{i}.sh"), text.clone().into_bytes()))
        .collect();
    let out = scanner.run(&MemorySource::new(files, Vec::new(), "/".into()));
    assert_eq!(out.findings.len(), 5);
    assert!(
        out.stats.dropped_findings >= 100,
        "{}",
        out.stats.dropped_findings
    );
}

// --- 11. Smaller cases ---------------------------------------------------

#[test]
fn too_many_threads_are_refused() {
    let o = run(&["scan", "fixtures/demo", "-j", "20000"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("at most 256"), "{}", stderr(&o));
}

#[test]
fn files_with_non_utf8_names_are_fixed() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(std::ffi::OsStr::from_bytes(b"run-\xff.sh"));
    std::fs::write(&p, FIXABLE).unwrap();
    let o = fix_in(dir.path(), &[]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_ne!(std::fs::read(&p).unwrap(), FIXABLE, "{}", stderr(&o));
}

#[test]
fn truncation_means_a_match_was_left_out() {
    let rule = "[[rule]]\nid = \"x.hit\"\ntitle = \"t\"\ndescription = \"d\"\nseverity = \"low\"\nkeywords = [\"hit\"]\nregex = 'HIT'\nmust_match = [\"HIT\"]\n[rule.migration]\nsummary = \"s\"\n";
    for (n, truncated) in [(1000, false), (1001, true)] {
        let dir = temp_tree(&[
            ("r.toml", rule.as_bytes()),
            ("a.txt", "HIT\n".repeat(n).as_bytes()),
        ]);
        let r = scan_json_in(
            dir.path(),
            &["a.txt", "--no-default-rules", "--rules", "r.toml"],
        );
        assert_eq!(r["findings"].as_array().unwrap().len(), 1000);
        assert_eq!(
            !r["summary"]["truncated"].as_object().unwrap().is_empty(),
            truncated,
            "{n}"
        );
    }
}

#[test]
fn url_encoded_and_glued_tokens_are_found() {
    let dir = temp_tree(&[
        (
            "a.sh",
            format!("curl 'https://h/x?t%3D{TOKEN}'\n").as_bytes(),
        ),
        ("b.txt", format!("TOKEN{TOKEN}xyz\n").as_bytes()),
    ]);
    let r = scan_json_in(dir.path(), &["."]);
    let leaked: Vec<&Value> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "localstack.auth-token.leaked")
        .collect();
    assert_eq!(leaked.len(), 2, "{r}");
}

#[test]
fn errors_say_what_is_wrong() {
    let dir = temp_tree(&[("a.env", b"A=1\n")]);
    std::fs::create_dir(dir.path().join("conf")).unwrap();
    let o = ks(dir.path(), &["scan", ".", "--config", "conf"]);
    assert_eq!(code(&o), 2);
    assert!(
        flat(&stderr(&o)).contains("a directory, not a regular file"),
        "{}",
        stderr(&o)
    );
    let repo = tempfile::tempdir().unwrap();
    git(repo.path(), &["init", "-q", "--object-format=sha256"]);
    let o = ks(repo.path(), &["scan", "--history", "."]);
    assert_eq!(code(&o), 2);
    assert!(flat(&stderr(&o)).contains("SHA-256"), "{}", stderr(&o));
}

#[test]
fn remote_url_queries_do_not_reach_sarif() {
    let dir = repo_with_key();
    git(
        dir.path(),
        &[
            "remote",
            "add",
            "origin",
            "https://u:pw@example.invalid/o/r.git?access_token=ghp_planted#x",
        ],
    );
    let o = ks(
        dir.path(),
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
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("https://example.invalid/o/r.git"), "{out}");
    assert!(
        !out.contains("ghp_planted") && !out.contains("pw@"),
        "{out}"
    );
}

#[test]
fn strict_fails_on_skips_other_than_ignored_and_binary() {
    let dir = temp_tree(&[("a.env", b"A=1\n"), ("b.bin", b"\0\0")]);
    let o = ks(dir.path(), &["scan", ".", "--strict"]);
    assert_eq!(code(&o), 0, "binary files do not count: {}", stderr(&o));
    std::os::unix::fs::symlink("a.env", dir.path().join("link.env")).unwrap();
    let o = ks(dir.path(), &["scan", "."]);
    assert_eq!(code(&o), 0);
    let o = ks(dir.path(), &["scan", ".", "--strict"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("1 symlink"), "{}", stderr(&o));
}
