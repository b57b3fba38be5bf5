//! Paths as keysweep shows and compares them.

use std::path::{Component, Path, PathBuf};

/// Formats a path for reports: lossy UTF-8, `/` separators, no leading `./`.
pub fn display_path(path: &Path) -> String {
    let s = path.to_string_lossy().replace('\\', "/");
    let mut s = s.as_str();
    while let Some(rest) = s.strip_prefix("./") {
        s = rest;
    }
    if s.is_empty() {
        ".".into()
    } else {
        s.to_string()
    }
}

/// Resolves `.` and `..` lexically, without touching the file system, so
/// paths of files that no longer exist (or never did) work.
pub fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Absolute form of `path` with `.` and `..` resolved lexically. Not
/// canonical: symlinks are kept, so the result compares with what the user
/// typed.
pub fn normalised_absolute(path: &Path) -> PathBuf {
    normalise(&std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_paths_are_normalised() {
        assert_eq!(display_path(Path::new("./a/b")), "a/b");
        assert_eq!(display_path(Path::new(".")), ".");
        assert_eq!(display_path(Path::new("a\\b")), "a/b");
    }

    #[test]
    fn normalise_resolves_dots_lexically() {
        assert_eq!(normalise(Path::new("/a/./b/../c")), PathBuf::from("/a/c"));
    }
}
