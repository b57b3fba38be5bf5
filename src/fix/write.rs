//! Writing a fixed file safely: refuse anything that is not the regular file
//! we scanned, write a temporary file in the same directory (so the rename
//! stays on one file system and is atomic), copy the permissions, flush to
//! disk, re-check the original once more, then rename over it.

use super::refusal::Refusal;
use std::io::Write as _;
use std::path::Path;

fn io(e: std::io::Error) -> Refusal {
    Refusal::Io(e.to_string())
}

/// Checks that `path` is a regular file holding exactly `expected`.
pub fn check_unchanged(path: &Path, expected: &[u8]) -> Result<std::fs::Metadata, Refusal> {
    let meta = std::fs::symlink_metadata(path).map_err(|e| Refusal::NotRegular(e.to_string()))?;
    if meta.file_type().is_symlink() {
        return Err(Refusal::NotRegular("symbolic link".into()));
    }
    if !meta.is_file() {
        return Err(Refusal::NotRegular("not a file".into()));
    }
    if meta.len() != expected.len() as u64 {
        return Err(Refusal::Changed);
    }
    let now = std::fs::read(path).map_err(io)?;
    if now != expected {
        return Err(Refusal::Changed);
    }
    Ok(meta)
}

/// Replaces `path`, whose current content must be `expected`, with `new`.
/// Permissions are kept; the replacement is atomic (temp file + rename in the
/// same directory), so a reader sees either the old or the new file.
pub fn replace_file(path: &Path, expected: &[u8], new: &[u8]) -> Result<(), Refusal> {
    let meta = check_unchanged(path, expected)?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".keysweep-fix-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(io)?;
    tmp.write_all(new).map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    std::fs::set_permissions(tmp.path(), meta.permissions()).map_err(io)?;
    // Last check right before the rename narrows the window in which a
    // concurrent edit could be lost to the time of one rename.
    check_unchanged(path, expected)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_and_refuses_changed_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.env");
        std::fs::write(&p, b"A=1\n").unwrap();
        assert_eq!(replace_file(&p, b"A=0\n", b"B=1\n"), Err(Refusal::Changed));
        replace_file(&p, b"A=1\n", b"B=1\n").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"B=1\n");
        // No temporary file is left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn keeps_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("run.sh");
        std::fs::write(&p, b"x\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o751)).unwrap();
        replace_file(&p, b"x\n", b"y\n").unwrap();
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o751);
    }
}
