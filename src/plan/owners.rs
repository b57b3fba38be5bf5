//! CODEOWNERS: who owns a path, so the plan can hand each team its work.
//!
//! GitHub and GitLab read `CODEOWNERS`, `.github/CODEOWNERS` or
//! `docs/CODEOWNERS` (GitLab also `.gitlab/CODEOWNERS`). Each line is a
//! pattern in gitignore syntax followed by owners; the last matching line
//! wins, and a line without owners leaves its paths unowned. GitLab's
//! `[Section]` headers are read as plain separators.

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use std::path::{Path, PathBuf};

/// Where CODEOWNERS files live, relative to the repository root, in the
/// order forges look for them.
pub const LOCATIONS: &[&str] = &[
    ".github/CODEOWNERS",
    "CODEOWNERS",
    "docs/CODEOWNERS",
    ".gitlab/CODEOWNERS",
];

/// A parsed CODEOWNERS file.
#[derive(Debug)]
pub struct CodeOwners {
    /// Absolute directory the plan's paths are relative to.
    base: PathBuf,
    /// (matcher of one pattern, its owners), in file order.
    rules: Vec<(Gitignore, Vec<String>)>,
    /// The file's path as shown in the plan.
    pub file: String,
}

impl CodeOwners {
    /// Parses `text` of a CODEOWNERS file of the repository at `root`;
    /// plan paths are relative to `base`. Lines whose pattern does not parse
    /// are skipped.
    pub fn parse(text: &str, root: &Path, base: &Path, file: String) -> CodeOwners {
        let mut rules = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty()
                || line.starts_with('#')
                || line.starts_with('[')
                || line.starts_with("^[")
            {
                continue;
            }
            let line = line.split(" #").next().unwrap_or(line);
            let mut parts = line.split_whitespace();
            let Some(pattern) = parts.next() else {
                continue;
            };
            let owners: Vec<String> = parts.map(str::to_string).collect();
            let mut b = GitignoreBuilder::new(root);
            if b.add_line(None, pattern).is_err() {
                continue;
            }
            if let Ok(gi) = b.build() {
                rules.push((gi, owners));
            }
        }
        CodeOwners {
            base: base.to_path_buf(),
            rules,
            file,
        }
    }

    /// The owners of a plan path (relative to the plan's base), as written
    /// in the file; empty when no line matches or the last match has none.
    pub fn owners_of(&self, path: &str) -> &[String] {
        let abs = self.base.join(path);
        for (gi, owners) in self.rules.iter().rev() {
            if !abs.starts_with(gi.path()) {
                continue;
            }
            if gi.matched_path_or_any_parents(&abs, false).is_ignore() {
                return owners;
            }
        }
        &[]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_matching_line_wins_with_gitignore_patterns() {
        let root = Path::new("/repo");
        let co = CodeOwners::parse(
            "# owners\n* @org/all\n/services/ @org/backend\nservices/payments/ @org/payments @alice\n*.md @org/docs\n/services/legacy/\n[Infra]\ninfra/** @org/infra\n",
            root,
            root,
            "CODEOWNERS".into(),
        );
        assert_eq!(co.owners_of("README.md"), ["@org/docs"]);
        assert_eq!(co.owners_of("ci.yml"), ["@org/all"]);
        assert_eq!(co.owners_of("services/orders/.env"), ["@org/backend"]);
        assert_eq!(
            co.owners_of("services/payments/a/b.env"),
            ["@org/payments", "@alice"]
        );
        assert!(
            co.owners_of("services/legacy/x.env").is_empty(),
            "no owners: unowned"
        );
        assert_eq!(co.owners_of("infra/main.tf"), ["@org/infra"]);
        // Paths relative to a subdirectory of the repository.
        let sub = CodeOwners::parse(
            "/services/ @org/backend\n",
            root,
            &root.join("services"),
            "CODEOWNERS".into(),
        );
        assert_eq!(sub.owners_of("orders/.env"), ["@org/backend"]);
    }
}
