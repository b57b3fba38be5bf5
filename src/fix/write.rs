//! Writing a fixed file safely: refuse anything that is not the plain regular
//! file we scanned (symlinks, hard-linked files, setuid/setgid files), take
//! an advisory lock on it for the whole check-write-rename sequence, write a
//! temporary file in the same directory (so the rename stays on one file
//! system and is atomic) that gets the original's owner, group, permissions
//! and extended attributes (ACLs included), flush it to disk, check the
//! original once more, then rename over it.
//!
//! A file whose identity cannot be kept (say its owner cannot be given to
//! the new file) is refused, never rewritten with another identity.

use super::refusal::Refusal;
use crate::util::fs::{parent_dir, remove_stale_temps, TempFile, FIX_TEMP_PREFIX};
use std::fs::File;
use std::io::{Read as _, Seek as _, Write as _};
use std::path::Path;

fn io(e: std::io::Error) -> Refusal {
    Refusal::Io(e.to_string())
}

/// Opens the original for locking, refusing symlinks and non-regular files
/// without following or blocking on them.
fn open_original(path: &Path) -> Result<(File, std::fs::Metadata), Refusal> {
    let meta = std::fs::symlink_metadata(path).map_err(|e| Refusal::NotRegular(e.to_string()))?;
    if meta.file_type().is_symlink() {
        return Err(Refusal::NotRegular("symbolic link".into()));
    }
    if !meta.is_file() {
        return Err(Refusal::NotRegular("not a file".into()));
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let flags = rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK;
        opts.custom_flags(flags.bits() as i32);
    }
    let file = opts.open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(Refusal::NotRegular("not a file".into()));
    }
    Ok((file, meta))
}

/// Refuses files whose identity a rewrite cannot keep.
fn check_identity(meta: &std::fs::Metadata) -> Result<(), Refusal> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if meta.nlink() > 1 {
            return Err(Refusal::HardLinked(meta.nlink()));
        }
        if meta.mode() & 0o6000 != 0 {
            return Err(Refusal::SetId);
        }
    }
    let _ = meta;
    Ok(())
}

/// Checks that `path` still names the file `locked` (same inode) and that it
/// holds exactly `expected`, compared in chunks (no second copy).
fn check_unchanged(path: &Path, locked: &mut File, expected: &[u8]) -> Result<(), Refusal> {
    let now = std::fs::symlink_metadata(path).map_err(|e| Refusal::NotRegular(e.to_string()))?;
    if now.file_type().is_symlink() {
        return Err(Refusal::NotRegular("symbolic link".into()));
    }
    let held = locked.metadata().map_err(io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if (now.dev(), now.ino()) != (held.dev(), held.ino()) {
            return Err(Refusal::Changed);
        }
    }
    if held.len() != expected.len() as u64 {
        return Err(Refusal::Changed);
    }
    locked.rewind().map_err(io)?;
    let mut chunk = vec![0u8; 64 << 10];
    let mut at = 0;
    loop {
        let n = locked.read(&mut chunk).map_err(io)?;
        if n == 0 {
            break;
        }
        if at + n > expected.len() || chunk[..n] != expected[at..at + n] {
            return Err(Refusal::Changed);
        }
        at += n;
    }
    if at != expected.len() {
        return Err(Refusal::Changed);
    }
    Ok(())
}

/// Gives the temporary file the original's owner, group, permissions and
/// extended attributes.
fn copy_identity(from: &File, meta: &std::fs::Metadata, to: &File) -> Result<(), Refusal> {
    #[cfg(unix)]
    {
        use rustix::fs::{Gid, Uid};
        use std::os::unix::fs::MetadataExt;
        let tmp = to.metadata().map_err(io)?;
        if (tmp.uid(), tmp.gid()) != (meta.uid(), meta.gid()) {
            rustix::fs::fchown(
                to,
                Some(Uid::from_raw(meta.uid())),
                Some(Gid::from_raw(meta.gid())),
            )
            .map_err(|e| {
                Refusal::Identity(format!(
                    "cannot give the rewritten file the owner {}:{} ({e})",
                    meta.uid(),
                    meta.gid()
                ))
            })?;
        }
        copy_xattrs(from, to)?;
    }
    // After chown, which may clear mode bits.
    to.set_permissions(meta.permissions()).map_err(io)?;
    let _ = from;
    Ok(())
}

/// Copies every extended attribute (ACLs are `system.posix_acl_*` ones) the
/// caller can read. One that cannot be set on the new file refuses the
/// rewrite, unless the new file already carries the same value (a label
/// the system gives every new file).
#[cfg(unix)]
fn copy_xattrs(from: &File, to: &File) -> Result<(), Refusal> {
    use rustix::io::Errno;
    let size = match rustix::fs::flistxattr_query(from) {
        Ok(n) => n,
        // The file system has no extended attributes: nothing to keep.
        Err(Errno::NOTSUP) | Err(Errno::NOSYS) => return Ok(()),
        Err(e) => {
            return Err(Refusal::Identity(format!(
                "cannot list extended attributes ({e})"
            )))
        }
    };
    if size == 0 {
        return Ok(());
    }
    let mut names = vec![0u8; size];
    let n = rustix::fs::flistxattr(from, &mut names[..])
        .map_err(|e| Refusal::Identity(format!("cannot list extended attributes ({e})")))?;
    names.truncate(n);
    for name in names.split(|&b| b == 0).filter(|n| !n.is_empty()) {
        let shown = String::from_utf8_lossy(name).into_owned();
        let name = std::ffi::CString::new(name)
            .map_err(|_| Refusal::Identity(format!("extended attribute {shown}")))?;
        let value = read_xattr(from, &name).map_err(|e| {
            Refusal::Identity(format!("cannot read extended attribute {shown} ({e})"))
        })?;
        if let Err(e) = rustix::fs::fsetxattr(to, &name, &value, rustix::fs::XattrFlags::empty()) {
            if read_xattr(to, &name).ok().as_deref() != Some(&value[..]) {
                return Err(Refusal::Identity(format!(
                    "cannot copy extended attribute {shown} ({e})"
                )));
            }
        }
    }
    Ok(())
}

#[cfg(unix)]
fn read_xattr(f: &File, name: &std::ffi::CStr) -> rustix::io::Result<Vec<u8>> {
    let size = rustix::fs::fgetxattr_query(f, name)?;
    let mut value = vec![0u8; size];
    let n = rustix::fs::fgetxattr(f, name, &mut value[..])?;
    value.truncate(n);
    Ok(value)
}

/// Replaces `path`, whose current content must be `expected`, with `new`.
/// The replacement is atomic (temp file + rename in the same directory), so
/// a reader sees either the old or the new file; it keeps owner, group,
/// permissions and extended attributes; and it happens under an exclusive
/// advisory lock on the original, so two runs cannot both rewrite one file
/// from the same content (the second sees the change and refuses).
pub fn replace_file(path: &Path, expected: &[u8], new: &[u8]) -> Result<(), Refusal> {
    let (mut original, meta) = open_original(path)?;
    check_identity(&meta)?;
    check_unchanged(path, &mut original, expected)?;
    let dir = parent_dir(path);
    // Leftovers of an interrupted run (a copy of a file next to it, maybe
    // full of secrets) go before a new temporary file is made.
    remove_stale_temps(dir, FIX_TEMP_PREFIX);
    let tmp = TempFile::new_in(dir, FIX_TEMP_PREFIX, 0o600).map_err(io)?;
    let mut out = tmp.file();
    out.write_all(new).map_err(io)?;
    copy_identity(&original, &meta, tmp.file())?;
    tmp.file().sync_all().map_err(io)?;
    // Check and rename under an exclusive lock on the original: a concurrent
    // run that rewrote the file first is seen here, and this run refuses
    // instead of replacing that run's edits.
    #[cfg(unix)]
    rustix::fs::flock(&original, rustix::fs::FlockOperation::LockExclusive)
        .map_err(|e| io(e.into()))?;
    check_unchanged(path, &mut original, expected)?;
    tmp.persist(path).map_err(io)?;
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
    fn keeps_permissions_and_refuses_links_and_setid() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("run.sh");
        std::fs::write(&p, b"x\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o751)).unwrap();
        replace_file(&p, b"x\n", b"y\n").unwrap();
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o751);
        std::fs::hard_link(&p, dir.path().join("other")).unwrap();
        assert_eq!(
            replace_file(&p, b"y\n", b"z\n"),
            Err(Refusal::HardLinked(2))
        );
        std::fs::remove_file(dir.path().join("other")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o4755)).unwrap();
        assert_eq!(replace_file(&p, b"y\n", b"z\n"), Err(Refusal::SetId));
        assert_eq!(std::fs::read(&p).unwrap(), b"y\n");
    }
}
