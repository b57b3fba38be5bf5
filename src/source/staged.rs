//! `scan --staged`: reads the content staged in the git index, for plain git
//! hooks. What is scanned is the index, not the working tree: a secret that is
//! staged but then edited away in the working copy is still caught, and an
//! unstaged edit is not reported.
//!
//! Files scanned are those whose staged content differs from `HEAD` (added,
//! copied, modified or type-changed; every staged file before the first
//! commit), limited by the pathspecs given on the command line. Paths are
//! reported relative to the top of the work tree, as pre-commit does.
//!
//! This talks to `git` through two subprocesses (`git diff --cached --raw`
//! and one `git cat-file --batch`) rather than a git library: `git` is always
//! present where a commit hook runs, it honours every index feature (split
//! and sparse indexes, SHA-256 repositories) by definition, staged blobs are
//! small, and the two calls cost a few milliseconds — well inside the
//! pre-commit latency budget — without adding a large dependency.

use super::MemorySource;
use crate::error::Error;
use crate::finding::{SkipReason, Skipped};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// One entry of `git diff --cached --raw`.
struct Entry {
    mode: String,
    oid: String,
    path: String,
}

fn git(args: &[&str]) -> Command {
    let mut c = Command::new("git");
    c.args(args);
    c
}

fn run(mut cmd: Command) -> Result<Vec<u8>, Error> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Error::Git(format!("cannot run git: {e}")))?;
    if !out.status.success() {
        return Err(Error::Git(
            String::from_utf8_lossy(&out.stderr).trim().to_string(),
        ));
    }
    Ok(out.stdout)
}

/// Parses `git diff --raw -z` output: `:old new oid oid status\0path\0`...
fn parse_raw(out: &[u8]) -> Result<Vec<Entry>, Error> {
    let mut entries = Vec::new();
    let mut fields = out.split(|&b| b == 0);
    while let Some(meta) = fields.next() {
        if meta.is_empty() {
            continue;
        }
        let meta = String::from_utf8_lossy(meta);
        let parts: Vec<&str> = meta.trim_start_matches(':').split(' ').collect();
        let path = fields
            .next()
            .filter(|p| !p.is_empty())
            .ok_or_else(|| Error::Git("truncated `git diff --raw` output".into()))?;
        if parts.len() < 5 {
            return Err(Error::Git(format!(
                "unexpected `git diff --raw` line: {meta}"
            )));
        }
        entries.push(Entry {
            mode: parts[1].to_string(),
            oid: parts[3].to_string(),
            path: String::from_utf8_lossy(path).into_owned(),
        });
    }
    Ok(entries)
}

/// The absolute top directory of the current git work tree.
pub fn toplevel() -> Result<PathBuf, Error> {
    let top = run(git(&["rev-parse", "--show-toplevel"]))?;
    Ok(PathBuf::from(
        String::from_utf8_lossy(&top).trim_end_matches(['\n', '\r']),
    ))
}

/// Reads the staged files matching `pathspecs` (relative to the current
/// directory) of the work tree at `toplevel` into a source whose paths are
/// relative to `toplevel`. `exclude` decides, from an absolute path, whether
/// a file is left out (keysweep.toml excludes, `.keysweepignore`). Blobs
/// larger than `max_size` are skipped as too large without being held in
/// memory.
pub fn read(
    toplevel: &Path,
    pathspecs: &[PathBuf],
    exclude: &dyn Fn(&Path) -> bool,
    max_size: u64,
) -> Result<MemorySource, Error> {
    let toplevel = toplevel.to_path_buf();
    let mut diff = git(&[
        "diff",
        "--cached",
        "--raw",
        "-z",
        "--no-renames",
        "--no-abbrev",
        "--no-ext-diff",
        "--no-textconv",
        "--diff-filter=ACMT",
        "--",
    ]);
    diff.args(pathspecs);
    let entries = parse_raw(&run(diff)?)?;
    let mut skipped = Vec::new();
    let mut files = Vec::new();
    let mut wanted = Vec::new();
    for e in entries {
        match e.mode.as_str() {
            "100644" | "100755" => {}
            "120000" => {
                skipped.push(Skipped {
                    path: e.path,
                    reason: SkipReason::Symlink,
                    detail: "symbolic links are not followed".into(),
                });
                continue;
            }
            // Submodules (160000) are other repositories: not our content.
            _ => continue,
        }
        if exclude(&toplevel.join(&e.path)) {
            skipped.push(Skipped {
                path: e.path,
                reason: SkipReason::Ignored,
                detail: String::new(),
            });
            continue;
        }
        wanted.push(e);
    }
    if !wanted.is_empty() {
        let contents = cat_blobs(&wanted, max_size)?;
        for (e, content) in wanted.into_iter().zip(contents) {
            match content {
                Ok(bytes) => files.push((e.path, bytes)),
                Err(size) => skipped.push(Skipped {
                    path: e.path,
                    reason: SkipReason::TooLarge,
                    detail: format!("{size} bytes > limit of {max_size}"),
                }),
            }
        }
    }
    Ok(MemorySource::new(files, skipped, toplevel))
}

/// Reads every blob through one `git cat-file --batch` process; a blob over
/// `max_size` is drained from the pipe and returned as `Err(size)`.
fn cat_blobs(entries: &[Entry], max_size: u64) -> Result<Vec<Result<Vec<u8>, u64>>, Error> {
    let mut child = git(&["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::Git(format!("cannot run git cat-file: {e}")))?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| Error::Git("git cat-file has no stdin".into()))?;
    let request: String = entries.iter().map(|e| format!("{}\n", e.oid)).collect();
    // Write from a thread: git answers while we still write, and both pipes
    // filling up would deadlock.
    let writer = std::thread::spawn(move || stdin.write_all(request.as_bytes()));
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| Error::Git("git cat-file has no stdout".into()))?;
    let mut reader = BufReader::new(stdout);
    let mut out = Vec::with_capacity(entries.len());
    let io = |e: std::io::Error| Error::Git(format!("reading git cat-file output: {e}"));
    for e in entries {
        let mut header = String::new();
        reader.read_line(&mut header).map_err(io)?;
        let parts: Vec<&str> = header.trim_end().split(' ').collect();
        let size: usize = match parts.as_slice() {
            [_, "blob", size] => size
                .parse()
                .map_err(|_| Error::Git(format!("bad git cat-file header: {header}")))?,
            _ => {
                return Err(Error::Git(format!(
                    "cannot read staged blob {} of {}: {}",
                    e.oid,
                    e.path,
                    header.trim_end()
                )))
            }
        };
        if size as u64 > max_size {
            let skipped = std::io::copy(&mut (&mut reader).take(size as u64), &mut std::io::sink())
                .map_err(io)?;
            if skipped != size as u64 {
                return Err(Error::Git("truncated git cat-file output".into()));
            }
            out.push(Err(size as u64));
        } else {
            let mut bytes = vec![0; size];
            reader.read_exact(&mut bytes).map_err(io)?;
            out.push(Ok(bytes));
        }
        let mut newline = [0u8; 1];
        reader.read_exact(&mut newline).map_err(io)?;
    }
    drop(reader);
    let _ = writer.join();
    let status = child
        .wait()
        .map_err(|e| Error::Git(format!("git cat-file: {e}")))?;
    if !status.success() {
        return Err(Error::Git(format!("git cat-file exited with {status}")));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_raw_diff_output() {
        let raw = b":000000 100644 0000 abcd A\0dir/a b.txt\0:100644 120000 1111 2222 T\0link\0";
        let e = parse_raw(raw).unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!((e[0].mode.as_str(), e[0].oid.as_str()), ("100644", "abcd"));
        assert_eq!(e[0].path, "dir/a b.txt");
        assert_eq!(e[1].mode, "120000");
        assert!(parse_raw(b":000000 100644 0000 abcd A\0").is_err());
    }
}
