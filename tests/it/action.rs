//! The GitHub Action: its scripts (`action/install.sh`, `action/scan.sh`,
//! `action/report.py`) run with the environment GitHub sets, against a
//! release served on loopback by a small HTTP server in this file; the
//! manifest's pins and wiring; and the command-line behaviour the Action
//! relies on (a repeated flag takes its last value).
//!
//! Needs bash, python3, curl and tar. Without them the tests print why and
//! pass, except under `CI`, where a missing tool is a failure.

use crate::util::{code, root, run_in, stderr, stdout, temp_tree};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const LEGACY_KEY: &str = "cpVmfK8NqK";
const OTHER_KEY: &str = "Zq7TnW2rXb";
const VERSION: &str = env!("CARGO_PKG_VERSION");
const TARGET: &str = "x86_64-unknown-linux-musl";

fn leak_env() -> String {
    format!("LOCALSTACK_API_KEY={LEGACY_KEY}\n")
}

// ------------------------------------------------- repeated flags override

/// The Action appends the user's `args` after its own flags, so a flag given
/// twice must take its last value instead of being a usage error.
#[test]
fn a_repeated_flag_takes_its_last_value() {
    let dir = temp_tree(&[("app/leak.env", leak_env().as_bytes())]);

    let o = run_in(
        dir.path(),
        &["scan", ".", "-q", "--format", "json", "--format", "sarif"],
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let report: Value = serde_json::from_slice(&o.stdout).expect("JSON document");
    assert_eq!(report["version"], "2.1.0", "not SARIF: {}", stdout(&o));

    let o = run_in(
        dir.path(),
        &["scan", ".", "-q", "--fail-on", "low", "--fail-on", "never"],
    );
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));

    let o = run_in(
        dir.path(),
        &["scan", ".", "-q", "--fail-on", "never", "--fail-on", "low"],
    );
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
}

// ------------------------------------------------------------ prerequisites

/// The directory holding `tool` on PATH.
fn which(tool: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(tool))
        .find(|p| p.is_file())
        .and_then(|p| p.parent().map(Path::to_path_buf))
}

/// The directories the scripts' tools live in, or None (skip) when one is
/// missing outside CI.
fn tool_dirs() -> Option<Vec<PathBuf>> {
    let mut dirs = Vec::new();
    for tool in ["bash", "python3", "curl", "tar", "gzip"] {
        match which(tool) {
            Some(d) => {
                if !dirs.contains(&d) {
                    dirs.push(d)
                }
            }
            None => {
                if std::env::var_os("CI").is_some() {
                    panic!("{tool} is not on PATH (CI is set: the Action tests need bash, python3, curl, tar and gzip)");
                }
                eprintln!("skipping: {tool} is not on PATH");
                return None;
            }
        }
    }
    Some(dirs)
}

// ------------------------------------------------------ a release on loopback

/// A static file server on 127.0.0.1 for the test's fake release. Counts the
/// requests it answers.
struct Server {
    url: String,
    hits: Arc<AtomicUsize>,
}

fn serve(dir: &Path) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let url = format!("http://{}", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let dir = dir.to_path_buf();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            if reader.read_line(&mut request).is_err() {
                continue;
            }
            // Drain the headers.
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            counter.fetch_add(1, Ordering::SeqCst);
            let path = request.split_whitespace().nth(1).unwrap_or("/");
            let file = dir.join(path.trim_start_matches('/'));
            let body = if path.contains("..") {
                None
            } else {
                std::fs::read(&file).ok()
            };
            let _ = match body {
                Some(body) => stream
                    .write_all(
                        format!(
                            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                            body.len()
                        )
                        .as_bytes(),
                    )
                    .and_then(|_| stream.write_all(&body)),
                None => stream.write_all(
                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                ),
            };
        }
    });
    Server { url, hits }
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A release directory laid out like GitHub's download URLs:
/// `v<version>/keysweep-<version>-<target>.tar.gz` and its `.sha256`. The
/// archived `keysweep` is a two-line script that runs this build's binary
/// (the real one is 150 MB in a debug build: too slow to pack per test).
fn fake_release(version: &str) -> tempfile::TempDir {
    let rel = tempfile::tempdir().unwrap();
    let name = format!("keysweep-{version}-{TARGET}");
    let stage = tempfile::tempdir().unwrap();
    std::fs::create_dir(stage.path().join(&name)).unwrap();
    let exe = stage.path().join(&name).join("keysweep");
    std::fs::write(
        &exe,
        format!(
            "#!/bin/sh\nexec '{}' \"$@\"\n",
            env!("CARGO_BIN_EXE_keysweep")
        ),
    )
    .unwrap();
    chmod_x(&exe);
    let dir = rel.path().join(format!("v{version}"));
    std::fs::create_dir_all(&dir).unwrap();
    let archive = dir.join(format!("{name}.tar.gz"));
    let o = Command::new("tar")
        .current_dir(stage.path())
        .arg("-czf")
        .arg(&archive)
        .arg(&name)
        .output()
        .expect("tar runs");
    assert!(o.status.success(), "tar: {}", stderr(&o));
    let sum = sha256_hex(&std::fs::read(&archive).unwrap());
    std::fs::write(
        dir.join(format!("{name}.tar.gz.sha256")),
        format!("{sum}  {name}.tar.gz\n"),
    )
    .unwrap();
    rel
}

fn chmod_x(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

// ------------------------------------------------------ the runner's world

/// What a GitHub-hosted runner provides to a step: a workspace, RUNNER_TEMP,
/// a tool cache, and the GITHUB_OUTPUT / GITHUB_PATH / GITHUB_STEP_SUMMARY
/// files.
struct Runner {
    _dir: tempfile::TempDir,
    workspace: PathBuf,
    temp: PathBuf,
    tool_cache: PathBuf,
    output: PathBuf,
    path_file: PathBuf,
    summary: PathBuf,
    /// Put first on PATH: fake cargo and rustup live here.
    fake_bin: PathBuf,
    tools: Vec<PathBuf>,
}

impl Runner {
    fn new(tools: Vec<PathBuf>, files: &[(&str, &[u8])]) -> Runner {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        for d in ["work/repo", "temp", "tool_cache", "fake-bin", "files"] {
            std::fs::create_dir_all(p.join(d)).unwrap();
        }
        for (rel, content) in files {
            let f = p.join("work/repo").join(rel);
            std::fs::create_dir_all(f.parent().unwrap()).unwrap();
            std::fs::write(f, content).unwrap();
        }
        let r = Runner {
            workspace: p.join("work/repo"),
            temp: p.join("temp"),
            tool_cache: p.join("tool_cache"),
            output: p.join("files/output"),
            path_file: p.join("files/path"),
            summary: p.join("files/summary"),
            fake_bin: p.join("fake-bin"),
            tools,
            _dir: dir,
        };
        r.reset_files();
        r
    }

    fn reset_files(&self) {
        for f in [&self.output, &self.path_file, &self.summary] {
            std::fs::write(f, "").unwrap();
        }
    }

    fn install_dir(&self) -> PathBuf {
        self.tool_cache.join("keysweep").join(VERSION).join("X64")
    }

    /// Runs the `run:` line of the action.yml step that calls
    /// `action/<script>` the way GitHub runs a composite step (`bash
    /// --noprofile --norc -eo pipefail FILE`), from the workspace, with
    /// only the environment GitHub sets plus `env`. `extra_path` goes before
    /// the system tools on PATH.
    fn step(&self, script: &str, extra_path: &[&Path], env: &[(&str, &str)]) -> Output {
        let action = action_yml();
        let run = action
            .lines()
            .filter_map(|l| l.trim_start().strip_prefix("run: "))
            .find(|l| l.contains(&format!("action/{script}")))
            .unwrap_or_else(|| panic!("no action.yml step runs action/{script}"));
        let step_file = self.temp.join(format!("step-{script}"));
        std::fs::write(&step_file, run).unwrap();
        let mut path: Vec<PathBuf> = vec![self.fake_bin.clone()];
        path.extend(extra_path.iter().map(|p| p.to_path_buf()));
        path.extend(self.tools.iter().cloned());
        let mut cmd = Command::new("bash");
        cmd.current_dir(&self.workspace)
            .args(["--noprofile", "--norc", "-eo", "pipefail"])
            .arg(&step_file)
            .env_clear()
            .env("KS_ACTION_PATH", root())
            .env("PATH", std::env::join_paths(path).unwrap())
            .env("HOME", std::env::var_os("HOME").unwrap_or_default())
            .env("CI", "true")
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_WORKSPACE", &self.workspace)
            .env("GITHUB_OUTPUT", &self.output)
            .env("GITHUB_PATH", &self.path_file)
            .env("GITHUB_STEP_SUMMARY", &self.summary)
            .env("GITHUB_ACTION_PATH", root())
            .env("RUNNER_TEMP", &self.temp)
            .env("RUNNER_TOOL_CACHE", &self.tool_cache)
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_ARCH", "X64");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().expect("bash runs")
    }

    /// install.sh with the inputs action.yml passes.
    fn install(&self, env: &[(&str, &str)]) -> Output {
        let dir = self.install_dir();
        let root = root();
        let mut all = vec![
            ("KS_VERSION", VERSION),
            ("KS_INSTALL", "release"),
            ("KS_CARGO_FALLBACK", "false"),
            ("KS_TOOLCHAIN", "stable"),
            ("KS_CHECKSUM", ""),
            ("KS_INSTALL_DIR", dir.to_str().unwrap()),
            ("KS_ACTION_PATH", root.to_str().unwrap()),
        ];
        all.extend_from_slice(env);
        self.step("install.sh", &[], &all)
    }

    /// scan.sh with the inputs action.yml passes (its defaults), keysweep
    /// from this build on PATH.
    fn scan(&self, env: &[(&str, &str)]) -> Output {
        let bin_dir = Path::new(env!("CARGO_BIN_EXE_keysweep")).parent().unwrap();
        let mut all = vec![
            ("KS_PATHS", "."),
            ("KS_FAIL_ON", ""),
            ("KS_BASELINE", ""),
            ("KS_CONFIG", ""),
            ("KS_SARIF", ""),
            ("KS_ARGS", ""),
            ("KS_UPLOAD", "true"),
            ("KS_UPLOAD_SUPPRESSED", "false"),
            ("KS_SUMMARY", "true"),
        ];
        all.extend_from_slice(env);
        self.step("scan.sh", &[bin_dir], &all)
    }

    /// GITHUB_OUTPUT as a map (the last value of a name wins, as on GitHub).
    fn outputs(&self) -> BTreeMap<String, String> {
        std::fs::read_to_string(&self.output)
            .unwrap()
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn summary(&self) -> String {
        std::fs::read_to_string(&self.summary).unwrap()
    }

    /// A `cargo` and a `rustup` that log how they were called and "build" a
    /// keysweep printing the version they were asked for.
    fn fake_cargo(&self) -> PathBuf {
        let log = self.fake_bin.join("calls.log");
        let cargo = format!(
            r#"#!/bin/bash
{{ echo "cargo $*"; echo "cwd=$PWD"; echo "RUSTUP_TOOLCHAIN=${{RUSTUP_TOOLCHAIN:-}}"; echo "RUSTFLAGS=${{RUSTFLAGS:-unset}}"; }} >> '{log}'
root=""; version=""
while [ $# -gt 0 ]; do
  case "$1" in
    --root) root="$2"; shift 2 ;;
    --version) version="${{2#=}}"; shift 2 ;;
    *) shift ;;
  esac
done
[ -n "$version" ] || version="$(sed -n 's/^version = "\(.*\)"$/\1/p' '{manifest}' | head -n 1)"
mkdir -p "$root/bin"
printf '#!/bin/sh\necho "keysweep %s"\n' "$version" > "$root/bin/keysweep"
chmod +x "$root/bin/keysweep"
"#,
            log = log.display(),
            manifest = root().join("Cargo.toml").display(),
        );
        std::fs::write(self.fake_bin.join("cargo"), cargo).unwrap();
        chmod_x(&self.fake_bin.join("cargo"));
        let rustup = format!("#!/bin/sh\necho \"rustup $*\" >> '{}'\n", log.display());
        std::fs::write(self.fake_bin.join("rustup"), rustup).unwrap();
        chmod_x(&self.fake_bin.join("rustup"));
        log
    }
}

fn all_output(o: &Output) -> String {
    format!("{}{}", stdout(o), stderr(o))
}

// ------------------------------------------------------------- install.sh

#[test]
fn install_downloads_verifies_and_then_uses_the_cached_binary() {
    let Some(tools) = tool_dirs() else { return };
    let release = fake_release(VERSION);
    let server = serve(release.path());
    let runner = Runner::new(tools, &[]);

    let o = runner.install(&[("KS_RELEASE_URL", &server.url)]);
    assert_eq!(code(&o), 0, "{}", all_output(&o));
    let out = runner.outputs();
    assert_eq!(out["source"], "release", "{out:?}");
    assert_eq!(out["version"], VERSION);
    let bin = runner.install_dir().join("keysweep");
    assert_eq!(out["path"], bin.to_str().unwrap());
    assert!(all_output(&o).contains("verified"), "{}", all_output(&o));
    // The install directory goes on PATH for the following steps.
    let path_file = std::fs::read_to_string(&runner.path_file).unwrap();
    assert_eq!(path_file.trim(), runner.install_dir().to_str().unwrap());
    let v = Command::new(&bin).arg("--version").output().unwrap();
    assert_eq!(stdout(&v).trim(), format!("keysweep {VERSION}"));
    assert_eq!(
        server.hits.load(Ordering::SeqCst),
        2,
        "archive and checksum"
    );

    // What actions/cache restored is used as is: no download.
    runner.reset_files();
    let o = runner.install(&[("KS_RELEASE_URL", &server.url)]);
    assert_eq!(code(&o), 0, "{}", all_output(&o));
    assert_eq!(runner.outputs()["source"], "cache");
    assert_eq!(server.hits.load(Ordering::SeqCst), 2, "no new request");

    // A cached binary of another version is replaced.
    std::fs::write(&bin, "#!/bin/sh\necho keysweep 0.0.1\n").unwrap();
    runner.reset_files();
    let o = runner.install(&[("KS_RELEASE_URL", &server.url)]);
    assert_eq!(code(&o), 0, "{}", all_output(&o));
    assert_eq!(runner.outputs()["source"], "release");
    assert_eq!(server.hits.load(Ordering::SeqCst), 4);
}

#[test]
fn install_fails_on_a_checksum_mismatch_and_never_falls_back() {
    let Some(tools) = tool_dirs() else { return };
    let release = fake_release(VERSION);
    let sum_file = release.path().join(format!(
        "v{VERSION}/keysweep-{VERSION}-{TARGET}.tar.gz.sha256"
    ));
    let good = std::fs::read_to_string(&sum_file).unwrap();
    let server = serve(release.path());
    let runner = Runner::new(tools, &[]);
    let calls = runner.fake_cargo();

    // The published checksum does not match the archive.
    let bad = format!("{}{}", "0".repeat(64), &good[64..]);
    std::fs::write(&sum_file, bad).unwrap();
    let o = runner.install(&[
        ("KS_RELEASE_URL", &server.url),
        ("KS_CARGO_FALLBACK", "true"),
    ]);
    assert_ne!(code(&o), 0, "{}", all_output(&o));
    assert!(
        stderr(&o).contains("::error") && stderr(&o).contains("checksum mismatch"),
        "{}",
        all_output(&o)
    );
    assert!(!runner.install_dir().join("keysweep").exists());
    assert!(!calls.exists(), "cargo ran after a checksum mismatch");
    assert!(!runner.outputs().contains_key("path"));

    // The archive matches its .sha256 but not the pinned `checksum` input.
    std::fs::write(&sum_file, &good).unwrap();
    let o = runner.install(&[
        ("KS_RELEASE_URL", &server.url),
        ("KS_CHECKSUM", &"a".repeat(64)),
    ]);
    assert_ne!(code(&o), 0, "{}", all_output(&o));
    assert!(stderr(&o).contains("checksum input"), "{}", all_output(&o));

    // The pinned checksum, upper case as some tools print it, is accepted.
    let o = runner.install(&[
        ("KS_RELEASE_URL", &server.url),
        ("KS_CHECKSUM", &good[..64].to_uppercase()),
    ]);
    assert_eq!(code(&o), 0, "{}", all_output(&o));
}

#[test]
fn install_builds_with_cargo_only_when_asked_and_with_its_own_toolchain() {
    let Some(tools) = tool_dirs() else { return };
    // No release for this version on the server: the download fails.
    let empty = tempfile::tempdir().unwrap();
    let server = serve(empty.path());
    // The caller's repository pins another toolchain and sets flags for its
    // own build: neither may reach keysweep's build.
    let runner = Runner::new(
        tools,
        &[
            (
                "rust-toolchain.toml",
                b"[toolchain]\nchannel = \"1.60.0\"\n",
            ),
            (
                ".cargo/config.toml",
                b"[build]\nrustflags = [\"-Dwarnings\"]\n",
            ),
        ],
    );
    let calls = runner.fake_cargo();

    let o = runner.install(&[("KS_RELEASE_URL", &server.url)]);
    assert_ne!(code(&o), 0, "{}", all_output(&o));
    assert!(stderr(&o).contains("cargo-fallback"), "{}", all_output(&o));
    assert!(!calls.exists(), "cargo ran without being asked");

    let o = runner.install(&[
        ("KS_RELEASE_URL", &server.url),
        ("KS_CARGO_FALLBACK", "true"),
        ("KS_TOOLCHAIN", "1.88.0"),
        ("RUSTFLAGS", "-Ctarget-cpu=native"),
    ]);
    assert_eq!(code(&o), 0, "{}", all_output(&o));
    assert_eq!(runner.outputs()["source"], "cargo");
    let log = std::fs::read_to_string(&calls).unwrap();
    assert!(log.contains("rustup toolchain install 1.88.0"), "{log}");
    // The action's own version: built from the action's checkout.
    let own = format!("--path {}", root().display());
    assert!(log.contains("cargo install --locked --root"), "{log}");
    assert!(log.contains(&own), "{log}");
    assert!(log.contains("RUSTUP_TOOLCHAIN=1.88.0"), "{log}");
    assert!(log.contains("RUSTFLAGS=unset"), "{log}");
    let cwd = log
        .lines()
        .find_map(|l| l.strip_prefix("cwd="))
        .expect("cwd logged");
    assert!(
        !Path::new(cwd).starts_with(&runner.workspace),
        "cargo ran inside the caller's repository: {cwd}"
    );

    // Another version comes from crates.io, pinned exactly.
    std::fs::remove_file(&calls).unwrap();
    runner.reset_files();
    let other_dir = runner.tool_cache.join("other");
    let o = runner.install(&[
        ("KS_INSTALL", "cargo"),
        ("KS_VERSION", "9.8.7"),
        ("KS_INSTALL_DIR", other_dir.to_str().unwrap()),
    ]);
    assert_eq!(code(&o), 0, "{}", all_output(&o));
    let log = std::fs::read_to_string(&calls).unwrap();
    assert!(log.contains("keysweep --version =9.8.7"), "{log}");
    assert_eq!(runner.outputs()["version"], "9.8.7");
}

#[test]
fn install_none_uses_the_keysweep_on_path_and_bad_inputs_fail() {
    let Some(tools) = tool_dirs() else { return };
    let runner = Runner::new(tools, &[]);
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_keysweep")).parent().unwrap();
    let o = runner.step("install.sh", &[bin_dir], &[("KS_INSTALL", "none")]);
    assert_eq!(code(&o), 0, "{}", all_output(&o));
    assert_eq!(runner.outputs()["source"], "path");

    let o = runner.step("install.sh", &[], &[("KS_INSTALL", "none")]);
    assert_ne!(code(&o), 0, "{}", all_output(&o));

    let o = runner.install(&[("KS_INSTALL", "download-it")]);
    assert_ne!(code(&o), 0);
    assert!(
        stderr(&o).contains("release, cargo or none"),
        "{}",
        stderr(&o)
    );
    let o = runner.install(&[("KS_VERSION", "1.0;rm -rf /")]);
    assert_ne!(code(&o), 0);
    assert!(stderr(&o).contains("not a version"), "{}", stderr(&o));
}

// ---------------------------------------------------------------- scan.sh

/// A workspace with one live finding, one inline-ignored and one accepted
/// in a baseline.
fn scan_files() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("app/leak.env", leak_env().into_bytes()),
        (
            "app/ignored.env",
            format!("LOCALSTACK_API_KEY={OTHER_KEY} # keysweep:ignore\n").into_bytes(),
        ),
    ]
}

fn runner_with(tools: Vec<PathBuf>, files: &[(&'static str, Vec<u8>)]) -> Runner {
    let refs: Vec<(&str, &[u8])> = files.iter().map(|(p, c)| (*p, c.as_slice())).collect();
    Runner::new(tools, &refs)
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(
        &std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap()
}

fn results(sarif: &Value) -> Vec<Value> {
    sarif["runs"][0]["results"].as_array().unwrap().clone()
}

#[test]
fn scan_reports_outputs_summary_and_uploads_without_suppressed_results() {
    let Some(tools) = tool_dirs() else { return };
    let runner = runner_with(tools, &scan_files());

    let o = runner.scan(&[]);
    assert_eq!(
        code(&o),
        0,
        "findings are gated by the last step: {}",
        all_output(&o)
    );
    let log = stdout(&o);
    assert!(log.contains("localstack.api-key.leaked"), "{log}");
    assert!(log.contains("\u{1b}["), "the log is coloured by default");
    assert!(!all_output(&o).contains(LEGACY_KEY), "secret in the log");

    let out = runner.outputs();
    assert_eq!(out["exit-code"], "1");
    assert_eq!(out["findings"], "1");
    assert_eq!(out["suppressed"], "1");
    assert_eq!(out["high"], "1");
    let sarif_file = PathBuf::from(&out["sarif-file"]);
    assert!(sarif_file.is_absolute());
    assert!(sarif_file.starts_with(&runner.temp), "{sarif_file:?}");
    let upload_file = PathBuf::from(&out["sarif-upload-file"]);
    assert!(upload_file.starts_with(&runner.temp), "{upload_file:?}");

    // The full report keeps the suppressed result; the upload drops it.
    let full = read_json(&sarif_file);
    assert_eq!(results(&full).len(), 2);
    let upload = read_json(&upload_file);
    let uploaded = results(&upload);
    assert_eq!(uploaded.len(), 1, "{uploaded:?}");
    assert!(uploaded.iter().all(
        |r| r.get("suppressions").is_none() || r["suppressions"].as_array().unwrap().is_empty()
    ));
    assert_eq!(upload["runs"][0]["tool"], full["runs"][0]["tool"]);

    let summary = runner.summary();
    assert!(summary.contains("## keysweep"), "{summary}");
    assert!(summary.contains("| high | 1 | 1 |"), "{summary}");
    assert!(summary.contains("`localstack.api-key.leaked`"), "{summary}");
    assert!(summary.contains("`app/leak.env:1`"), "{summary}");
    assert!(summary.contains("failed"), "{summary}");
    assert!(!summary.contains(LEGACY_KEY) && !summary.contains(OTHER_KEY));

    // upload-suppressed keeps them.
    runner.reset_files();
    let o = runner.scan(&[("KS_UPLOAD_SUPPRESSED", "true")]);
    assert_eq!(code(&o), 0, "{}", all_output(&o));
    let upload = read_json(Path::new(&runner.outputs()["sarif-upload-file"]));
    assert_eq!(results(&upload).len(), 2);

    // No upload, no summary: neither file is written.
    runner.reset_files();
    let o = runner.scan(&[("KS_UPLOAD", "false"), ("KS_SUMMARY", "false")]);
    assert_eq!(code(&o), 0, "{}", all_output(&o));
    assert!(!runner.outputs().contains_key("sarif-upload-file"));
    assert_eq!(runner.summary(), "");
}

#[test]
fn scan_args_come_last_and_override_the_action_defaults() {
    let Some(tools) = tool_dirs() else { return };
    let runner = runner_with(tools, &scan_files());

    // fail-on input low, `--fail-on never` in args: args win.
    let o = runner.scan(&[("KS_FAIL_ON", "low"), ("KS_ARGS", "--fail-on never")]);
    assert_eq!(code(&o), 0, "{}", all_output(&o));
    assert_eq!(runner.outputs()["exit-code"], "0");
    assert!(runner.summary().contains("passed"));

    // --format and --color in args change the log; the SARIF stays SARIF.
    runner.reset_files();
    let o = runner.scan(&[("KS_ARGS", "--format json --color never")]);
    assert_eq!(code(&o), 0, "{}", all_output(&o));
    let log = stdout(&o);
    assert!(log.contains("\"findings\""), "{log}");
    assert!(!log.contains("\u{1b}["), "{log}");
    let out = runner.outputs();
    assert_eq!(out["exit-code"], "1");
    assert_eq!(read_json(Path::new(&out["sarif-file"]))["version"], "2.1.0");

    // Shell quoting in paths and args: a directory with a space.
    let spaced = runner.workspace.join("with space");
    std::fs::create_dir_all(&spaced).unwrap();
    std::fs::write(spaced.join("x.env"), leak_env()).unwrap();
    runner.reset_files();
    let o = runner.scan(&[("KS_PATHS", "'with space'"), ("KS_ARGS", "--no-ignore -q")]);
    assert_eq!(code(&o), 0, "{}", all_output(&o));
    assert_eq!(runner.outputs()["findings"], "1");
    assert!(
        runner.summary().contains("with space/x.env"),
        "{}",
        runner.summary()
    );
}

#[test]
fn scan_writes_a_sarif_file_outside_the_workspace_and_uploads_it_from_runner_temp() {
    let Some(tools) = tool_dirs() else { return };
    let runner = runner_with(tools, &scan_files());
    let elsewhere = tempfile::tempdir().unwrap();
    let target = elsewhere.path().join("reports/deep/keysweep.sarif");

    let o = runner.scan(&[("KS_SARIF", target.to_str().unwrap())]);
    assert_eq!(code(&o), 0, "{}", all_output(&o));
    let out = runner.outputs();
    assert_eq!(PathBuf::from(&out["sarif-file"]), target);
    assert!(target.is_file());
    let upload = PathBuf::from(&out["sarif-upload-file"]);
    assert!(upload.starts_with(&runner.temp) && upload.is_file());
}

#[test]
fn scan_with_a_baseline_passes_and_an_error_stops_the_step() {
    let Some(tools) = tool_dirs() else { return };
    let runner = runner_with(tools, &scan_files());
    let o = run_in(&runner.workspace, &["baseline"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));

    let o = runner.scan(&[("KS_BASELINE", "keysweep-baseline.json")]);
    assert_eq!(code(&o), 0, "{}", all_output(&o));
    let out = runner.outputs();
    assert_eq!(out["exit-code"], "0");
    assert_eq!(out["findings"], "0");
    assert_eq!(out["suppressed"], "2");
    // Nothing is uploaded for accepted findings.
    let upload = read_json(Path::new(&out["sarif-upload-file"]));
    assert!(results(&upload).is_empty());

    // A missing baseline is an error: exit 2, nothing to upload.
    runner.reset_files();
    let o = runner.scan(&[("KS_BASELINE", "missing.json")]);
    assert_eq!(code(&o), 2, "{}", all_output(&o));
    let out = runner.outputs();
    assert_eq!(out["exit-code"], "2");
    assert!(!out.contains_key("sarif-upload-file"));
    assert!(stdout(&o).contains("::error"), "{}", all_output(&o));
}

#[test]
fn the_summary_stays_small_whatever_the_number_of_findings() {
    let Some(tools) = tool_dirs() else { return };
    // A synthetic report: 5,000 results with long messages and markup.
    let long = format!("{} | <b>*x*</b> `y`", "m".repeat(1000));
    let results: Vec<Value> = (0..5_000)
        .map(|i| {
            let severity = ["critical", "high", "medium", "low", "info"][i % 5];
            serde_json::json!({
                "ruleId": format!("rule.{}", i % 7),
                "level": "error",
                "message": {"text": long},
                "properties": {"severity": severity},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": format!("dir/file{i}.env")},
                    "region": {"startLine": i + 1}
                }}],
                "suppressions": if i % 3 == 0 { serde_json::json!([{"kind": "external"}]) } else { serde_json::json!([]) }
            })
        })
        .collect();
    let log = serde_json::json!({
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "keysweep", "rules": []}}, "results": results}]
    });
    let dir = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("big.sarif");
    std::fs::write(&sarif, serde_json::to_vec(&log).unwrap()).unwrap();
    let summary = dir.path().join("summary.md");
    let outputs = dir.path().join("outputs");
    let upload = dir.path().join("upload.sarif");
    let path = std::env::join_paths(&tools).unwrap();
    let o = Command::new("python3")
        .env("PATH", path)
        .arg(root().join("action/report.py"))
        .arg(&sarif)
        .arg("--summary")
        .arg(&summary)
        .arg("--outputs")
        .arg(&outputs)
        .arg("--upload")
        .arg(&upload)
        .args(["--exit-code", "1"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", all_output(&o));
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(text.len() < 64 * 1024, "summary is {} bytes", text.len());
    assert!(text.contains("### Top findings (20 of 3333)"), "{text}");
    assert!(text.contains("3313 more"), "{text}");
    assert!(
        !text.contains("<b>"),
        "markup from the data reached the summary"
    );
    let critical_rows = text
        .lines()
        .filter(|l| l.starts_with("| critical | `"))
        .count();
    assert_eq!(critical_rows, 20, "the top rows are the most severe");
    let out = std::fs::read_to_string(&outputs).unwrap();
    assert!(
        out.contains("findings=3333\n") && out.contains("suppressed=1667\n"),
        "{out}"
    );
    assert_eq!(
        read_json(&upload)["runs"][0]["results"]
            .as_array()
            .unwrap()
            .len(),
        3333
    );
}

// ------------------------------------------------------------- the manifest

fn action_yml() -> String {
    std::fs::read_to_string(root().join("action.yml")).unwrap()
}

/// Every `uses:` in the Action and in the repository's workflows names a
/// full commit SHA followed by the version it is, as `# vX.Y.Z`.
#[test]
fn every_action_used_is_pinned_by_commit_sha_with_its_version() {
    let mut files = vec![root().join("action.yml")];
    if let Ok(dir) = std::fs::read_dir(root().join(".github/workflows")) {
        files.extend(dir.filter_map(|e| e.ok().map(|e| e.path())));
    }
    let mut pins = BTreeMap::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for line in text.lines() {
            let Some(rest) = line
                .trim_start()
                .trim_start_matches("- ")
                .strip_prefix("uses: ")
            else {
                continue;
            };
            let (spec, comment) = rest.split_once(" # ").unwrap_or((rest, ""));
            let (action, sha) = spec.split_once('@').unwrap_or((spec, ""));
            assert!(
                sha.len() == 40
                    && sha
                        .chars()
                        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()),
                "{}: `{line}` is not pinned by a full commit SHA",
                file.display()
            );
            assert!(
                comment.starts_with('v') && comment[1..].split('.').count() == 3,
                "{}: `{line}` lacks its version as `# vX.Y.Z`",
                file.display()
            );
            if let Some(old) =
                pins.insert(action.to_string(), (sha.to_string(), comment.to_string()))
            {
                assert_eq!(
                    old,
                    (sha.to_string(), comment.to_string()),
                    "{action} is pinned twice differently"
                );
            }
        }
    }
    let action = action_yml();
    assert!(action.contains("github/codeql-action/upload-sarif@"));
    assert!(action.contains("actions/cache@"));
    assert!(pins["github/codeql-action/upload-sarif"]
        .1
        .starts_with("v4."));
    assert!(pins["actions/cache"].1.starts_with("v4."));
}

#[test]
fn the_action_defaults_to_this_version() {
    let action = action_yml();
    let version = action
        .split("\n  version:\n")
        .nth(1)
        .and_then(|s| s.lines().find_map(|l| l.trim().strip_prefix("default: ")))
        .expect("a version input with a default");
    assert_eq!(version.trim_matches('"'), VERSION);
}

/// Each script reads only inputs its step passes, and each step passes only
/// inputs its script reads.
#[test]
fn the_steps_pass_exactly_the_inputs_their_scripts_read() {
    let action = action_yml();
    for (step, script) in [("install", "install.sh"), ("scan", "scan.sh")] {
        let block = action
            .split("\n    - name: ")
            .find(|s| s.contains(&format!("\n      id: {step}\n")))
            .unwrap_or_else(|| panic!("a step with id: {step}"));
        let passed: std::collections::BTreeSet<String> = block
            .lines()
            .filter_map(|l| l.trim().split_once(':').map(|(k, _)| k.to_string()))
            .filter(|k| k.starts_with("KS_"))
            .collect();
        // The script, and the step's own `run:` line (which finds the script).
        let run_line = block
            .lines()
            .find(|l| l.trim_start().starts_with("run: "))
            .unwrap_or_default();
        let text =
            std::fs::read_to_string(root().join("action").join(script)).unwrap() + "\n" + run_line;
        let mut read = std::collections::BTreeSet::new();
        let bytes = text.as_bytes();
        let mut i = 0;
        while let Some(at) = text[i..].find("KS_") {
            let start = i + at;
            let end = start
                + text[start..]
                    .find(|c: char| !(c.is_ascii_uppercase() || c == '_'))
                    .unwrap_or(text.len() - start);
            if start == 0 || !(bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_')
            {
                read.insert(text[start..end].to_string());
            }
            i = end;
        }
        assert_eq!(passed, read, "step {step} and action/{script} disagree");
    }
}
