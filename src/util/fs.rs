//! Reading the files keysweep is told to use and writing the files it
//! produces, safely.
//!
//! Reading: only regular files, opened without blocking (a FIFO or a device
//! is refused after `fstat`, never read), with a size cap, so a path cannot
//! hang a run or exhaust its memory. Paths named by a scanned tree are also
//! confined to it ([`confined`]).
//!
//! Writing: every file is written to a temporary file in the target's
//! directory and renamed over the target, so an interrupted or failed write
//! (a full disk, a kill) leaves the old file intact. Temporary files hold an
//! exclusive advisory lock while they live and are registered, so a SIGINT,
//! SIGTERM or SIGHUP removes them before the process exits; a temporary file
//! nobody holds a lock on is stale and may be removed ([`remove_stale_temps`]).

use std::ffi::OsStr;
use std::fs::{File, Metadata};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, Once};

/// Size cap for rule files, keysweep.toml and baselines (16 MiB).
pub const SETTINGS_MAX_BYTES: u64 = 16 << 20;

/// Name prefix of the temporary files of `keysweep fix --write`.
pub const FIX_TEMP_PREFIX: &str = ".keysweep-fix-";
/// Name prefix of the temporary files of reports, baselines and `init`.
pub const OUT_TEMP_PREFIX: &str = ".keysweep-out-";
/// Name suffix of every keysweep temporary file.
pub const TEMP_SUFFIX: &str = ".tmp";

/// Whether `name` is the name of a keysweep temporary file.
pub fn is_temp_name(name: &OsStr) -> bool {
    let b = name.as_encoded_bytes();
    (b.starts_with(FIX_TEMP_PREFIX.as_bytes()) || b.starts_with(OUT_TEMP_PREFIX.as_bytes()))
        && b.ends_with(TEMP_SUFFIX.as_bytes())
}

/// A short name for the type of a file that is not a regular file.
pub fn kind_name(meta: &Metadata) -> &'static str {
    let ft = meta.file_type();
    if ft.is_dir() {
        return "a directory";
    }
    if ft.is_symlink() {
        return "a symbolic link";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "a FIFO";
        }
        if ft.is_socket() {
            return "a socket";
        }
        if ft.is_char_device() {
            return "a character device";
        }
        if ft.is_block_device() {
            return "a block device";
        }
    }
    if ft.is_file() {
        "a regular file"
    } else {
        "not a regular file"
    }
}

fn not_regular(meta: &Metadata) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("{}, not a regular file", kind_name(meta)),
    )
}

/// Opens `path` for reading if (after following symlinks) it is a regular
/// file. The type is checked before opening, and again on the open handle;
/// the open itself never blocks (a FIFO swapped in between is opened
/// non-blocking and then refused).
pub fn open_regular(path: &Path) -> io::Result<(File, Metadata)> {
    let before = std::fs::metadata(path)?;
    if !before.is_file() {
        return Err(not_regular(&before));
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let flags = rustix::fs::OFlags::NONBLOCK | rustix::fs::OFlags::NOCTTY;
        opts.custom_flags(flags.bits() as i32);
    }
    let file = opts.open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(not_regular(&meta));
    }
    Ok((file, meta))
}

/// Opens a file a directory walk listed as a regular file, without a
/// `stat` first: the walk's file type is the check, and the open neither
/// follows a symlink swapped in since (it fails with `ELOOP`, see
/// [`is_symlink_refusal`]) nor blocks on a FIFO (`O_NONBLOCK`). Callers
/// bound what they read, so a device swapped in cannot feed them forever.
pub fn open_listed(path: &Path) -> io::Result<File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let flags = rustix::fs::OFlags::NONBLOCK
            | rustix::fs::OFlags::NOCTTY
            | rustix::fs::OFlags::NOFOLLOW;
        opts.custom_flags(flags.bits() as i32);
    }
    opts.open(path)
}

/// Whether an error of [`open_listed`] means the path is a symlink.
pub fn is_symlink_refusal(e: &io::Error) -> bool {
    #[cfg(unix)]
    {
        e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error())
    }
    #[cfg(not(unix))]
    {
        let _ = e;
        false
    }
}

/// Reads at most `max` bytes from `r`; `Ok(Err(n))` when there were more
/// (`n` is at least `max + 1`): the input is refused, not truncated.
pub fn read_capped(r: impl Read, max: u64, buf: &mut Vec<u8>) -> io::Result<Result<(), u64>> {
    buf.clear();
    r.take(max.saturating_add(1)).read_to_end(buf)?;
    if buf.len() as u64 > max {
        return Ok(Err(buf.len() as u64));
    }
    Ok(Ok(()))
}

fn too_large(max: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("larger than the limit of {max} bytes"),
    )
}

/// Reads a regular file of at most `max` bytes (see [`open_regular`]).
pub fn read_regular(path: &Path, max: u64) -> io::Result<Vec<u8>> {
    let (file, meta) = open_regular(path)?;
    if meta.len() > max {
        return Err(too_large(max));
    }
    let mut buf = Vec::with_capacity(meta.len() as usize);
    match read_capped(file, max, &mut buf)? {
        Ok(()) => Ok(buf),
        Err(_) => Err(too_large(max)),
    }
}

/// Reads a settings file (rules, keysweep.toml, a baseline): a regular file
/// of at most [`SETTINGS_MAX_BYTES`] holding UTF-8 text without NUL bytes.
/// Anything else is refused without its content ever reaching a message.
pub fn read_settings_text(path: &Path) -> io::Result<String> {
    let bytes = read_regular(path, SETTINGS_MAX_BYTES)?;
    if memchr::memchr(0, &bytes).is_some() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "holds NUL bytes: not a text file",
        ));
    }
    String::from_utf8(bytes)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "not valid UTF-8"))
}

/// The canonical form of `path` if it lies inside the canonical directory
/// `root`; an error saying why otherwise (outside, or a symlink leading out).
pub fn confined(path: &Path, root: &Path) -> io::Result<PathBuf> {
    let real = std::fs::canonicalize(path)?;
    if real.starts_with(root) {
        Ok(real)
    } else {
        Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("resolves to {}, outside {}", real.display(), root.display()),
        ))
    }
}

/// For a path the user named that is a symbolic link: its target must stay
/// inside the link's own directory (a committed `baseline.json ->
/// /proc/self/environ` is refused). Other paths pass unchanged.
pub fn link_stays_beside(path: &Path) -> io::Result<()> {
    let meta = std::fs::symlink_metadata(path)?;
    if !meta.file_type().is_symlink() {
        return Ok(());
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let dir = std::fs::canonicalize(dir)?;
    confined(path, &dir).map(|_| ()).map_err(|e| {
        io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("a symbolic link that {e}"),
        )
    })
}

/// Live temporary files, removed by the signal handler.
static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static HANDLER: Once = Once::new();

fn live() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    // A poisoned lock only means a panic elsewhere; the list is intact.
    LIVE.lock().unwrap_or_else(|p| p.into_inner())
}

/// Installs (once) the handler that removes live temporary files on SIGINT,
/// SIGTERM and SIGHUP, then exits with 128 + the signal number.
fn install_cleanup() {
    HANDLER.call_once(|| {
        #[cfg(unix)]
        {
            use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
            if let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])
            {
                std::thread::spawn(move || {
                    if let Some(sig) = signals.forever().next() {
                        for p in live().drain(..) {
                            let _ = std::fs::remove_file(p);
                        }
                        std::process::exit(128 + sig);
                    }
                });
            }
        }
    });
}

/// A temporary file in a target's directory, locked and registered for
/// cleanup while it lives; removed on drop unless persisted.
#[derive(Debug)]
pub struct TempFile {
    inner: Option<tempfile::NamedTempFile>,
    path: PathBuf,
}

impl TempFile {
    /// Creates a temporary file named `<prefix>XXXXXX.tmp` in `dir` with
    /// `mode` minus the umask. Replacing an existing file, pass 0o600 and
    /// give it the original's permissions afterwards: the copy of a private
    /// file is never readable by others, not even for a moment.
    pub fn new_in(dir: &Path, prefix: &str, mode: u32) -> io::Result<TempFile> {
        install_cleanup();
        let mut b = tempfile::Builder::new();
        b.prefix(prefix).suffix(TEMP_SUFFIX);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            b.permissions(std::fs::Permissions::from_mode(mode));
        }
        #[cfg(not(unix))]
        let _ = mode;
        let inner = b.tempfile_in(dir)?;
        let path = inner.path().to_path_buf();
        live().push(path.clone());
        #[cfg(unix)]
        {
            // Marks the file as in use: `remove_stale_temps` of another run
            // leaves it alone.
            rustix::fs::flock(
                inner.as_file(),
                rustix::fs::FlockOperation::NonBlockingLockExclusive,
            )
            .map_err(io::Error::from)?;
        }
        Ok(TempFile {
            inner: Some(inner),
            path,
        })
    }

    /// The open file.
    pub fn file(&self) -> &File {
        match &self.inner {
            Some(t) => t.as_file(),
            // `inner` is only taken by `persist`, which consumes `self`.
            None => unreachable!("a persisted temporary file is not used again"),
        }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Renames the file over `target` (atomic within one file system).
    pub fn persist(mut self, target: &Path) -> io::Result<()> {
        match self.inner.take() {
            Some(t) => t.persist(target).map(|_| ()).map_err(|e| e.error),
            None => Err(io::Error::other("temporary file already persisted")),
        }
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        live().retain(|p| *p != self.path);
    }
}

/// The directory a file is written in.
pub fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Whether `meta` is a character device or a FIFO: a stream (`/dev/null`,
/// `/dev/stdout`, a terminal, a pipe) written in place, where there is no
/// file content to lose.
fn is_stream(meta: &Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let ft = meta.file_type();
        ft.is_char_device() || ft.is_fifo()
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        false
    }
}

/// Writes `path` atomically: `write` fills a temporary file in the same
/// directory, which is flushed to disk and renamed over `path`. An existing
/// target must be a regular file, which keeps its permissions; a symlink to
/// one is refused, never written through or replaced. Streams (a character
/// device such as `/dev/null`, or a FIFO, named directly or through a
/// symlink such as `/dev/stdout`) are written in place.
pub fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let refuse = |what: &str| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{what}: keysweep only replaces regular files (temporary file + rename)"),
        )
    };
    let existing = match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_file() => Some(m),
        Ok(m) if is_stream(&m) || std::fs::metadata(path).is_ok_and(|t| is_stream(&t)) => {
            let f = std::fs::OpenOptions::new().write(true).open(path)?;
            let mut w = io::BufWriter::new(f);
            write(&mut w)?;
            return w.flush();
        }
        Ok(m) => return Err(refuse(kind_name(&m))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    let mode = if existing.is_some() { 0o600 } else { 0o666 };
    let tmp = TempFile::new_in(parent_dir(path), OUT_TEMP_PREFIX, mode)?;
    {
        let mut w = io::BufWriter::new(tmp.file());
        write(&mut w)?;
        w.flush()?;
    }
    if let Some(m) = existing {
        tmp.file().set_permissions(m.permissions())?;
    }
    tmp.file().sync_all()?;
    tmp.persist(path)
}

/// Whether `a` and `b` name the same existing file (same device and inode).
pub fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (std::fs::metadata(a), std::fs::metadata(b)) {
            (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
            (Ok(x), Ok(y)) => x == y,
            _ => false,
        }
    }
}

/// Removes keysweep temporary files in `dir` that no live run holds (their
/// lock can be taken): leftovers of a run that was killed. Returns how many
/// were removed. Symlinks and other non-regular entries are left alone.
pub fn remove_stale_temps(dir: &Path, prefix: &str) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for e in entries.flatten() {
        let name = e.file_name();
        let b = name.as_encoded_bytes();
        if !(b.starts_with(prefix.as_bytes()) && b.ends_with(TEMP_SUFFIX.as_bytes())) {
            continue;
        }
        let p = e.path();
        if !std::fs::symlink_metadata(&p).is_ok_and(|m| m.is_file()) {
            continue;
        }
        let Ok((f, _)) = open_regular(&p) else {
            continue;
        };
        #[cfg(unix)]
        {
            if rustix::fs::flock(&f, rustix::fs::FlockOperation::NonBlockingLockExclusive).is_err()
            {
                continue;
            }
        }
        drop(f);
        if std::fs::remove_file(&p).is_ok() {
            removed += 1;
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_names() {
        assert!(is_temp_name(OsStr::new(".keysweep-fix-a1B2c3.tmp")));
        assert!(is_temp_name(OsStr::new(".keysweep-out-a1B2c3.tmp")));
        assert!(!is_temp_name(OsStr::new(".keysweep-fix-a1B2c3")));
        assert!(!is_temp_name(OsStr::new("keysweep-fix-x.tmp")));
    }

    #[test]
    fn capped_reads_refuse_instead_of_truncating() {
        let mut buf = Vec::new();
        assert_eq!(read_capped(&b"abcd"[..], 4, &mut buf).unwrap(), Ok(()));
        assert!(read_capped(&b"abcde"[..], 4, &mut buf).unwrap().is_err());
    }

    #[test]
    fn atomic_writes_replace_and_keep_the_old_file_on_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.json");
        std::fs::write(&p, b"old").unwrap();
        let err = write_atomic(&p, |w| {
            w.write_all(b"partial")?;
            Err(io::Error::other("disk full"))
        });
        assert!(err.is_err());
        assert_eq!(std::fs::read(&p).unwrap(), b"old");
        write_atomic(&p, |w| w.write_all(b"new")).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn live_temps_are_not_stale() {
        let dir = tempfile::tempdir().unwrap();
        let t = TempFile::new_in(dir.path(), FIX_TEMP_PREFIX, 0o600).unwrap();
        std::fs::write(dir.path().join(".keysweep-fix-old.tmp"), b"x").unwrap();
        assert_eq!(remove_stale_temps(dir.path(), FIX_TEMP_PREFIX), 1);
        assert!(t.path().exists());
    }
}
