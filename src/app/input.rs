//! What a scan reads: files and directories, the git index, standard input or
//! a repository's history. Each input resolves the root its keysweep.toml is
//! looked for in, then becomes a [`crate::source`] that the settings' one
//! scanner runs.

use super::settings::{Flags, Settings};
use crate::config;
use crate::error::Error;
use crate::scan::ScanOutput;
use crate::source::history::{HistoryOptions, HistorySource};
use crate::source::tree::{self, TreeSource};
use crate::source::{staged, MemorySource, Source};
use std::path::PathBuf;

/// Where the content of a scan comes from.
#[derive(Debug, Clone)]
pub enum Input {
    /// Files and directories on disk.
    Paths(Vec<PathBuf>),
    /// The git index (`--staged`), limited by pathspecs.
    Staged(Vec<PathBuf>),
    /// Standard input, reported under this name.
    Stdin(String),
    /// Every blob in the history of a git repository (`--history`).
    History(HistoryOptions),
}

/// A finished scan: its output and the directory relative paths start from.
#[derive(Debug)]
pub struct Scanned {
    /// What the scanner produced (findings carry inline and allowlist
    /// suppressions; baselines are the caller's).
    pub out: ScanOutput,
    /// Absolute directory that relative finding paths start from.
    pub origin: PathBuf,
}

/// Why a finished scan does not count as complete, if it does not: a
/// history scan with unreadable blobs (unless `allow_incomplete`), or, with
/// `strict`, any skip other than ignored or binary.
pub fn completeness(
    input: &Input,
    out: &ScanOutput,
    allow_incomplete: bool,
    strict: bool,
) -> Result<(), Error> {
    use crate::finding::SkipReason;
    let unreadable = out
        .stats
        .skipped
        .get(&SkipReason::Unreadable)
        .copied()
        .unwrap_or(0);
    if matches!(input, Input::History(_)) && unreadable > 0 && !allow_incomplete {
        return Err(Error::Incomplete { blobs: unreadable });
    }
    if strict {
        let parts: Vec<String> = out
            .stats
            .skipped
            .iter()
            .filter(|(r, _)| !matches!(r, SkipReason::Ignored | SkipReason::Binary))
            .map(|(r, n)| format!("{n} {}", r.as_str()))
            .collect();
        if !parts.is_empty() {
            return Err(Error::Strict {
                summary: parts.join(", "),
            });
        }
    }
    Ok(())
}

impl Input {
    /// Resolves the settings for this input: keysweep.toml is the nearest
    /// one walking up from the scanned paths (for `--staged`, from the top
    /// of the work tree; for standard input, from the current directory).
    pub fn settings(&self, flags: &Flags) -> Result<Settings, Error> {
        let (root, scanned) = match self {
            Input::Paths(paths) => (config::scan_root(paths), paths.clone()),
            Input::Staged(_) => (staged::toplevel()?, Vec::new()),
            Input::Stdin(_) => (PathBuf::from("."), Vec::new()),
            Input::History(h) => (
                config::scan_root(std::slice::from_ref(&h.repo)),
                vec![h.repo.clone()],
            ),
        };
        Settings::resolve(flags, &root, &scanned)
    }

    /// Reads the input and scans it with the settings' scanner.
    pub fn scan(&self, settings: &Settings) -> Result<Scanned, Error> {
        let scanner = &settings.scanner;
        let max = scanner.options().max_file_size;
        fn run<S: Source>(settings: &Settings, source: &S) -> Scanned {
            Scanned {
                out: settings.scanner.run(source),
                origin: source.origin(),
            }
        }
        Ok(match self {
            Input::Paths(paths) => {
                tree::check_roots(paths)?;
                let source = TreeSource {
                    roots: paths.clone(),
                    options: settings.walk.clone(),
                };
                run(settings, &source)
            }
            Input::Staged(specs) => {
                let top = staged::toplevel()?;
                // Staged paths are named, not walked: keysweep.toml excludes
                // and the root .keysweepignore decide for them.
                let source = staged::read(&top, specs, &|p| settings.is_excluded(p), max)?;
                run(settings, &source)
            }
            Input::Stdin(name) => {
                // Read one byte past the cap at most: a larger input is a
                // `too-large` skip, like a file, never held whole in memory.
                let mut bytes = Vec::new();
                let fits = crate::util::fs::read_capped(std::io::stdin().lock(), max, &mut bytes)
                    .map_err(|source| Error::Read {
                    what: "input",
                    path: "standard input".into(),
                    source,
                })?;
                let origin = crate::util::paths::normalised_absolute(std::path::Path::new("."));
                let source = match fits {
                    Ok(()) => MemorySource::new(vec![(name.clone(), bytes)], Vec::new(), origin),
                    Err(_) => {
                        let s = crate::scan::read::Skip::new(
                            crate::finding::SkipReason::TooLarge,
                            format!("more than the limit of {max} bytes"),
                        );
                        let skipped = crate::finding::Skipped {
                            path: name.clone(),
                            reason: s.reason,
                            detail: s.detail,
                        };
                        MemorySource::new(Vec::new(), vec![skipped], origin)
                    }
                };
                run(settings, &source)
            }
            Input::History(h) => {
                // Repository paths are matched against keysweep.toml excludes
                // as if they were checked out under the repository root.
                let source = HistorySource::open(h, scanner.rules(), settings.exclusion())?;
                let scanned = run(settings, &source);
                // Trees the walk could not read fail the scan, as commits do.
                if let Some(e) = source.walk_error() {
                    return Err(e);
                }
                scanned
            }
        })
    }
}
