//! The tree source: turns the paths given on the command line into files to
//! scan, honouring `.gitignore` / `.ignore` / `.keysweepignore`, never
//! entering `.git/`, never following symlinks, and reporting every path it
//! leaves out.
//!
//! The walk itself is sequential (a loop over `read_dir`) and feeds the
//! scanning pool through the scanner's queue: on the 2–8 cores keysweep
//! typically runs on, reading directories is cheap next to scanning
//! content, and one pool is simpler to reason about than two. Ignore files are matched with the
//! `ignore` crate's gitignore matcher, applied top-down so that ignored paths
//! can be counted — the `ignore` walker drops them without a trace.

use super::{Content, Event, Item, Source};
use crate::error::Error;
use crate::finding::{SkipReason, Skipped};
use crate::kind;
use crate::util::paths::{display_path, normalised_absolute};
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use ignore::Match;
use std::path::{Path, PathBuf};

/// Every name an ignore file can have in a walked directory: `.gitignore`
/// (inside git repositories), then the ones read in every directory.
const IGNORE_NAMES: [&str; 3] = [".gitignore", ".ignore", ".keysweepignore"];

/// Ignore files read in every directory (besides `.gitignore` inside git repos).
const IGNORE_FILES: &[&str] = IGNORE_NAMES.split_at(1).1;

/// Options of a walk.
#[derive(Debug, Clone, Default)]
pub struct WalkOptions {
    /// Scan everything: do not read any ignore file.
    pub no_ignore: bool,
    /// Path excludes from keysweep.toml: applied to every path, walked or
    /// named on the command line, even with `no_ignore` (they are policy).
    pub excludes: Option<Gitignore>,
    /// Ignore rules applied to files named on the command line only (the
    /// repository-level `.keysweepignore`); walked files see it anyway.
    pub explicit_excludes: Option<Gitignore>,
    /// `-g/--glob` filters (ripgrep's semantics): with any positive glob only
    /// matching files are scanned; `!glob` leaves matching paths out.
    pub globs: Option<ignore::overrides::Override>,
}

/// Builds the `-g/--glob` filter, globs matched against paths relative to
/// `root` (the working directory).
pub fn glob_filter(
    root: &Path,
    globs: &[String],
) -> Result<Option<ignore::overrides::Override>, Error> {
    if globs.is_empty() {
        return Ok(None);
    }
    let mut b = ignore::overrides::OverrideBuilder::new(root);
    for g in globs {
        b.add(g)
            .map_err(|e| Error::Usage(format!("invalid --glob `{g}`: {e}")))?;
    }
    b.build()
        .map(Some)
        .map_err(|e| Error::Usage(format!("invalid --glob: {e}")))
}

/// Whether the `-g/--glob` filter leaves `path` out.
pub fn glob_excludes(opts: &WalkOptions, path: &Path, is_dir: bool) -> bool {
    let Some(o) = &opts.globs else {
        return false;
    };
    let abs = normalised_absolute(path);
    match o.matched(&abs, is_dir) {
        Match::Ignore(_) => true,
        Match::Whitelist(_) => false,
        // Directories are walked into; files must match a positive glob
        // when there is one.
        Match::None => !is_dir && o.num_whitelists() > 0,
    }
}

/// True when `gi` excludes `path` (or one of its parents under the matcher's
/// root). Paths outside the matcher's root are never excluded.
pub fn excluded_by(gi: &Gitignore, path: &Path, is_dir: bool) -> bool {
    let abs = normalised_absolute(path);
    if !abs.starts_with(gi.path()) {
        return false;
    }
    gi.matched_path_or_any_parents(&abs, is_dir).is_ignore()
}

fn ignored_skip(path: String) -> Event {
    Event::Skip(Skipped {
        path,
        reason: SkipReason::Ignored,
        detail: String::new(),
    })
}

/// A file to scan, as an [`Item`] read from disk.
fn file_item(path: PathBuf, display: String) -> Event {
    Event::Item(Item {
        kind: kind::classify(&display),
        display,
        content: Content::File(path),
        tag: 0,
    })
}

/// Files and directories on disk.
#[derive(Debug, Clone)]
pub struct TreeSource {
    /// The paths as given (checked with [`check_roots`]).
    pub roots: Vec<PathBuf>,
    /// Ignore settings.
    pub options: WalkOptions,
}

impl Source for TreeSource {
    type Local = ();

    fn feed(&self, sink: &mut dyn FnMut(Event)) {
        walk(&self.roots, &self.options, sink);
    }

    /// One event per root when no root is a directory (files named on the
    /// command line, as a pre-commit hook names them).
    fn len_hint(&self) -> Option<usize> {
        (!self.roots.iter().any(|r| r.is_dir())).then_some(self.roots.len())
    }

    fn local(&self) {}

    /// Paths are reported as given, so they are relative to the working
    /// directory.
    fn origin(&self) -> PathBuf {
        normalised_absolute(Path::new("."))
    }
}

/// Checks that every root exists and is readable; a bad root is a usage error.
pub fn check_roots(roots: &[PathBuf]) -> Result<(), Error> {
    for root in roots {
        let res = std::fs::metadata(root).and_then(|m| {
            if m.is_dir() {
                std::fs::read_dir(root).map(|_| ())
            } else if m.is_file() {
                std::fs::File::open(root).map(|_| ())
            } else {
                // FIFOs, sockets and devices exist, so they are not usage
                // errors; they are reported as `special` skips. Opening a FIFO
                // here would block until some other process writes to it.
                Ok(())
            }
        });
        if let Err(source) = res {
            return Err(Error::Root {
                path: root.display().to_string(),
                source,
            });
        }
    }
    Ok(())
}

/// Walks every root, calling `sink` for each file and skipped path. Files given
/// explicitly are always scanned (like ripgrep), directories are filtered.
pub fn walk(roots: &[PathBuf], opts: &WalkOptions, sink: &mut dyn FnMut(Event)) {
    for root in roots {
        walk_root(root, opts, sink);
    }
}

fn walk_root(root: &Path, opts: &WalkOptions, sink: &mut dyn FnMut(Event)) {
    let meta = match std::fs::metadata(root) {
        Ok(m) => m,
        Err(e) => {
            sink(Event::Skip(Skipped {
                path: display_path(root),
                reason: SkipReason::Unreadable,
                detail: e.to_string(),
            }));
            return;
        }
    };
    let is_dir = meta.is_dir();
    if opts
        .excludes
        .as_ref()
        .is_some_and(|gi| excluded_by(gi, root, is_dir))
    {
        sink(ignored_skip(display_path(root)));
        return;
    }
    if !is_dir {
        let display = display_path(root);
        if glob_excludes(opts, root, false) {
            sink(ignored_skip(display));
            return;
        }
        if !opts.no_ignore
            && opts
                .explicit_excludes
                .as_ref()
                .is_some_and(|gi| excluded_by(gi, root, false))
        {
            sink(ignored_skip(display));
            return;
        }
        // A file named on the command line is scanned even when it is a
        // symlink (as a symlinked root directory is walked): the reader never
        // follows links, so hand it the link's target. Loops and dangling
        // links never get here: `check_roots` refuses them.
        let path = if root.is_symlink() {
            std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf())
        } else {
            root.to_path_buf()
        };
        sink(file_item(path, display));
        return;
    }
    // Match ignore files against absolute paths so that matchers from parent
    // directories (above the root) line up with the walked paths.
    let abs_root = std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf());
    let git_root = if opts.no_ignore {
        None
    } else {
        find_git_root(&abs_root)
    };
    // `.gitignore` describes untracked files: a file git tracks is scanned
    // even where an ignore pattern matches it. The index is read only when
    // a git ignore pattern first matches something.
    let mut tracked = Tracked::new(git_root.clone());
    let mut stack: Vec<(usize, Ignores)> = Vec::new();
    if !opts.no_ignore {
        // Parents (up to the repository root) contribute ignore rules too, so a
        // subdirectory scan sees the same files as a scan of the whole repo.
        let mut parents: Vec<&Path> = abs_root.ancestors().skip(1).collect();
        parents.reverse();
        for dir in parents {
            let inside_repo = git_root.as_deref().is_some_and(|g| dir.starts_with(g));
            if inside_repo {
                // Directories above the root are not listed: look each name up.
                if let Some(ig) = load_ignores(dir, git_root.as_deref(), inside_repo, |_| true) {
                    stack.push((0, ig));
                }
            }
        }
    }
    let base_len = stack.len();
    // Depth of the shallowest directory git ignores that was entered only
    // because it holds tracked files: below it, untracked paths are ignored.
    let mut in_ignored_dir: Option<usize> = None;
    // One frame per directory being walked: its listing, read in full before
    // any child is judged, because the listing is what says which ignore
    // files the directory holds (no lookup per candidate name).
    let mut frames: Vec<std::vec::IntoIter<Child>> = Vec::new();
    // Lists `dir` (at `depth`), pushes its ignore matchers and its frame.
    let enter = |dir: &Path,
                 depth: usize,
                 stack: &mut Vec<(usize, Ignores)>,
                 frames: &mut Vec<std::vec::IntoIter<Child>>|
     -> std::io::Result<()> {
        let listing = list_dir(dir)?;
        if !opts.no_ignore {
            let inside_repo = git_root.as_deref().is_some_and(|g| dir.starts_with(g));
            if let Some(ig) = load_ignores(dir, git_root.as_deref(), inside_repo, |n| {
                listing.has_file(n)
            }) {
                stack.push((depth, ig));
            }
        }
        frames.push(listing.children.into_iter());
        Ok(())
    };
    if let Err(e) = enter(&abs_root, 0, &mut stack, &mut frames) {
        sink(unreadable(display_path(root), &e));
        return;
    }
    while let Some(frame) = frames.last_mut() {
        let Some(child) = frame.next() else {
            frames.pop();
            continue;
        };
        // Children of the root are at depth 1, as in a walkdir walk.
        let depth = frames.len();
        while stack.len() > base_len && stack.last().is_some_and(|(d, _)| *d >= depth) {
            stack.pop();
        }
        if in_ignored_dir.is_some_and(|d| depth <= d) {
            in_ignored_dir = None;
        }
        let Child { path, ft, ino } = child;
        let is_dir = ft.is_dir();
        if is_dir && path.file_name().is_some_and(|n| n == ".git") {
            continue;
        }
        let excluded = opts
            .excludes
            .as_ref()
            .is_some_and(|gi| excluded_by(gi, &path, is_dir));
        let verdict = if opts.no_ignore {
            Verdict::Keep
        } else if in_ignored_dir.is_some() {
            Verdict::GitIgnored
        } else {
            verdict(&stack, &path, is_dir)
        };
        let ignored = excluded
            || glob_excludes(opts, &path, is_dir)
            || match verdict {
                Verdict::Keep => false,
                Verdict::Ignored => true,
                Verdict::GitIgnored => !tracked.holds(&path, is_dir),
            };
        if ignored {
            sink(ignored_skip(display_for(root, &abs_root, &path)));
            continue;
        }
        if is_dir {
            if verdict == Verdict::GitIgnored && in_ignored_dir.is_none() {
                in_ignored_dir = Some(depth);
            }
            if let Err(e) = enter(&path, depth, &mut stack, &mut frames) {
                sink(unreadable(display_for(root, &abs_root, &path), &e));
            }
            continue;
        }
        let display = display_for(root, &abs_root, &path);
        if path.file_name().is_some_and(crate::util::fs::is_temp_name) {
            sink(Event::Skip(Skipped {
                path: display,
                reason: SkipReason::KeysweepTemp,
                detail: "a temporary file left by an interrupted keysweep run; `keysweep fix --write` removes stale ones".into(),
            }));
        } else if ft.is_file() {
            sink(Event::Item(Item {
                kind: kind::classify(&display),
                display,
                content: Content::Listed(path, ino),
                tag: 0,
            }));
        } else if ft.is_symlink() {
            sink(Event::Skip(Skipped {
                path: display,
                reason: SkipReason::Symlink,
                detail: "symbolic links are not followed".into(),
            }));
        } else {
            sink(Event::Skip(Skipped {
                path: display,
                reason: SkipReason::Special,
                detail: "not a regular file".into(),
            }));
        }
    }
}

/// One entry of a directory listing.
struct Child {
    path: PathBuf,
    /// From the listing itself (`d_type`); std falls back to `lstat` only on
    /// file systems that do not fill it in.
    ft: std::fs::FileType,
    /// The inode number from the listing, so the scanner can recognise its
    /// own output files without a `stat`.
    ino: Option<u64>,
}

/// A directory's children, in the order the file system lists them.
struct Listing {
    children: Vec<Child>,
    /// Which of the ignore file names appear as regular files, indexed like
    /// [`IGNORE_NAMES`].
    present: [bool; IGNORE_NAMES.len()],
}

impl Listing {
    fn has_file(&self, name: &str) -> bool {
        IGNORE_NAMES
            .iter()
            .position(|n| *n == name)
            .is_some_and(|i| self.present[i])
    }
}

/// Reads a whole directory listing; an entry that cannot be read fails the
/// directory (reported as one unreadable path, as a failed `read_dir` is).
fn list_dir(dir: &Path) -> std::io::Result<Listing> {
    let mut children = Vec::new();
    let mut present = [false; IGNORE_NAMES.len()];
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let ft = entry.file_type()?;
        if ft.is_file() {
            let name = entry.file_name();
            if let Some(i) = IGNORE_NAMES.iter().position(|n| name == *n) {
                present[i] = true;
            }
        }
        #[cfg(unix)]
        let ino = Some(std::os::unix::fs::DirEntryExt::ino(&entry));
        #[cfg(not(unix))]
        let ino = None;
        children.push(Child {
            path: entry.path(),
            ft,
            ino,
        });
    }
    Ok(Listing { children, present })
}

fn unreadable(path: String, e: &std::io::Error) -> Event {
    Event::Skip(Skipped {
        path,
        reason: SkipReason::Unreadable,
        detail: e.to_string(),
    })
}

fn display_for(root: &Path, abs_root: &Path, path: &Path) -> String {
    // The walk yields `abs_root/rel`: split the bytes rather than compare
    // components (a third of the walk's own time on a large tree).
    #[cfg(unix)]
    if let Some(rel) = rel_bytes(abs_root, path) {
        use std::os::unix::ffi::OsStrExt;
        let rel = display_path(Path::new(std::ffi::OsStr::from_bytes(rel)));
        let base = display_path(root);
        return if base == "." {
            rel
        } else if base.ends_with('/') {
            base + &rel
        } else {
            format!("{base}/{rel}")
        };
    }
    display_by_components(root, abs_root, path)
}

/// [`display_for`] by path components: for paths not of the walk's shape.
fn display_by_components(root: &Path, abs_root: &Path, path: &Path) -> String {
    match path.strip_prefix(abs_root) {
        Ok(rel) if rel.as_os_str().is_empty() => display_path(root),
        Ok(rel) => display_path(&root.join(rel)),
        Err(_) => display_path(path),
    }
}

/// The part of `path` below `root` when `path` is `root/rel` byte for byte
/// with a plain relative `rel` (no `.`/`..` parts, no repeated slash).
#[cfg(unix)]
fn rel_bytes<'a>(root: &Path, path: &'a Path) -> Option<&'a [u8]> {
    use std::os::unix::ffi::OsStrExt;
    let rest = path
        .as_os_str()
        .as_bytes()
        .strip_prefix(root.as_os_str().as_bytes())?;
    let rel = if root.as_os_str().as_bytes().ends_with(b"/") {
        rest
    } else {
        rest.strip_prefix(b"/")?
    };
    let plain = !rel.is_empty()
        && rel
            .split(|&b| b == b'/')
            .all(|part| !part.is_empty() && part != b"." && part != b"..");
    plain.then_some(rel)
}

/// What the ignore files say about a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// Not ignored.
    Keep,
    /// Ignored by `.ignore` / `.keysweepignore`: never scanned.
    Ignored,
    /// Ignored by `.gitignore` / `.git/info/exclude`: scanned only if git
    /// tracks it (git ignore patterns describe untracked files).
    GitIgnored,
}

/// The ignore matchers of one directory, kept apart: a tracked file
/// overrides a git ignore pattern, not a keysweep one.
struct Ignores {
    /// `.gitignore` (and `.git/info/exclude` at the repository root).
    git: Option<Gitignore>,
    /// `.ignore` and `.keysweepignore`.
    tool: Option<Gitignore>,
}

/// The deepest matcher with an opinion wins, as in git; tool ignore files
/// take precedence over git's (a `!pattern` in `.ignore` re-includes a
/// git-ignored file, as in ripgrep).
fn verdict(stack: &[(usize, Ignores)], path: &Path, is_dir: bool) -> Verdict {
    for (_, ig) in stack.iter().rev() {
        if let Some(gi) = &ig.tool {
            match gi.matched(path, is_dir) {
                Match::Ignore(_) => return Verdict::Ignored,
                Match::Whitelist(_) => return Verdict::Keep,
                Match::None => {}
            }
        }
    }
    for (_, ig) in stack.iter().rev() {
        if let Some(gi) = &ig.git {
            match gi.matched(path, is_dir) {
                Match::Ignore(_) => return Verdict::GitIgnored,
                Match::Whitelist(_) => return Verdict::Keep,
                Match::None => {}
            }
        }
    }
    Verdict::Keep
}

/// The paths git tracks in the repository of a walk, read from its index
/// on first use.
struct Tracked {
    git_root: Option<PathBuf>,
    /// `None` until loaded; loading failure leaves an empty set (nothing
    /// tracked: git ignore patterns then apply as written).
    paths: Option<TrackedPaths>,
}

#[derive(Default)]
struct TrackedPaths {
    files: std::collections::HashSet<Vec<u8>>,
    /// Every directory that holds a tracked file, at any depth.
    dirs: std::collections::HashSet<Vec<u8>>,
}

impl Tracked {
    fn new(git_root: Option<PathBuf>) -> Tracked {
        Tracked {
            git_root,
            paths: None,
        }
    }

    /// Whether git tracks `path` (a file) or any file below it (a directory).
    fn holds(&mut self, path: &Path, is_dir: bool) -> bool {
        let Some(root) = &self.git_root else {
            return false;
        };
        let Ok(rel) = path.strip_prefix(root) else {
            return false;
        };
        let key = display_path(rel).into_bytes();
        let paths = self.paths.get_or_insert_with(|| load_tracked(root));
        if is_dir {
            paths.dirs.contains(&key)
        } else {
            paths.files.contains(&key)
        }
    }
}

/// Reads the index of the repository at `root`; an unreadable index (no
/// commits yet, a corrupt file, an unsupported version) counts as empty.
fn load_tracked(root: &Path) -> TrackedPaths {
    let mut out = TrackedPaths::default();
    let Ok(repo) = gix::open(root) else {
        return out;
    };
    let Ok(index) = repo.index_or_empty() else {
        return out;
    };
    for entry in index.entries() {
        let path: &[u8] = entry.path(&index).as_ref();
        let mut end = path.len();
        while let Some(slash) = path[..end].iter().rposition(|&b| b == b'/') {
            if !out.dirs.insert(path[..slash].to_vec()) {
                break;
            }
            end = slash;
        }
        out.files.insert(path.to_vec());
    }
    out
}

fn find_git_root(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
}

/// Largest ignore file read (1 MiB); a larger one is left out.
const MAX_IGNORE_FILE: u64 = 1 << 20;

/// Whether `p` is an ignore file keysweep reads: a regular file, not a
/// symlink (which could point anywhere, e.g. at a device), of bounded size.
pub fn is_plain_ignore_file(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_ok_and(|m| m.is_file() && m.len() <= MAX_IGNORE_FILE)
}

/// Builds the matchers for one directory's ignore files; `None` when it has none.
///
/// `listed(name)` says whether the directory holds a regular file of that
/// name (`.gitignore`, `.ignore`, `.keysweepignore`); names it denies are not
/// looked up at all.
fn load_ignores(
    dir: &Path,
    git_root: Option<&Path>,
    inside_repo: bool,
    listed: impl Fn(&str) -> bool,
) -> Option<Ignores> {
    let build = |files: &[PathBuf]| -> Option<Gitignore> {
        let mut builder = GitignoreBuilder::new(dir);
        let mut any = false;
        for p in files {
            if is_plain_ignore_file(p) {
                // A malformed line is skipped by the builder with an error we
                // cannot attach to a finding; the rest of the file still applies.
                let _ = builder.add(p);
                any = true;
            }
        }
        if !any {
            return None;
        }
        builder.build().ok().filter(|gi| !gi.is_empty())
    };
    let mut git_files = Vec::new();
    if inside_repo {
        if listed(".gitignore") {
            git_files.push(dir.join(".gitignore"));
        }
        if git_root == Some(dir) {
            git_files.push(dir.join(".git/info/exclude"));
        }
    }
    let tool_files: Vec<PathBuf> = IGNORE_FILES
        .iter()
        .filter(|n| listed(n))
        .map(|n| dir.join(n))
        .collect();
    let ig = Ignores {
        git: build(&git_files),
        tool: build(&tool_files),
    };
    (ig.git.is_some() || ig.tool.is_some()).then_some(ig)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_paths_split_by_bytes_agree_with_components() {
        let roots = [
            ".", "./", "src", "src/", "./src", "/abs/dir", "/", "a/./b", "dir\\x",
        ];
        let rels = [
            "f.txt",
            "a/b/c.yml",
            "x\\y.env",
            "deep/.hidden/file",
            "ü/ñ.md",
        ];
        for root in roots {
            let abs_root = if root.starts_with('/') {
                PathBuf::from(root)
            } else {
                PathBuf::from("/work/tree").join(root)
            };
            for rel in rels {
                let path = abs_root.join(rel);
                assert_eq!(
                    display_for(Path::new(root), &abs_root, &path),
                    display_by_components(Path::new(root), &abs_root, &path),
                    "root {root:?}, rel {rel:?}"
                );
            }
            // Paths not below the root, or the root itself, take the slow path.
            for other in ["/elsewhere/f", abs_root.to_str().unwrap_or("/")] {
                let p = Path::new(other);
                assert_eq!(
                    display_for(Path::new(root), &abs_root, p),
                    display_by_components(Path::new(root), &abs_root, p)
                );
            }
        }
    }
}
