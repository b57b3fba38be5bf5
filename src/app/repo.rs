//! What a command asks of the git repository around the scanned paths:
//! whether it is shallow, the commit HEAD points to and the origin remote
//! (for links). Read with gix; never an error — a path outside
//! a repository simply has no answers.

use std::path::Path;

fn open(dir: &Path) -> Option<gix::Repository> {
    gix::discover(dir).ok()
}

/// Whether the repository at or above `dir` is a shallow clone.
pub fn is_shallow(dir: &Path) -> bool {
    open(dir).is_some_and(|r| r.is_shallow())
}

/// The commit HEAD points to.
pub fn head_commit(dir: &Path) -> Option<String> {
    let repo = open(dir)?;
    let id = repo.head_id().ok()?;
    Some(id.to_string())
}

/// `remote.origin.url` of the repository.
pub fn origin_url(dir: &Path) -> Option<String> {
    let repo = open(dir)?;
    let config = repo.config_snapshot();
    let url = config.string("remote.origin.url")?;
    Some(url.to_string())
}

/// The top of the work tree of the repository at or above `dir`.
pub fn work_tree(dir: &Path) -> Option<std::path::PathBuf> {
    let repo = open(dir)?;
    repo.workdir().map(crate::util::paths::normalised_absolute)
}
