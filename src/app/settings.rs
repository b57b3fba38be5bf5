//! The one settings step: command-line flags and keysweep.toml meet here and
//! nowhere else (ripgrep's `HiArgs`). [`Settings::resolve`] loads the config,
//! the rules (built-in pack, `--rules`, the config's `rules`), applies
//! disabled rules and severity overrides, and builds the one [`Scanner`]
//! every command uses, with the config's allowlist as its judge — so `scan`,
//! `fix` (and its rescans), `plan`, `baseline` and `rules check` can never
//! disagree about what a finding is.
//!
//! [`Flags`] is a plain struct: settings can be built in a test without clap.

use crate::config::{self, Config};
use crate::error::Error;
use crate::finding::FailOn;
use crate::report::Format;
use crate::rules::RuleSet;
use crate::scan::{ScanOptions, Scanner, DEFAULT_MAX_FILE_SIZE};
use crate::source::tree::{excluded_by, WalkOptions};
use crate::suppress::Suppressors;
use ignore::gitignore::Gitignore;
use std::path::{Path, PathBuf};

/// Most worker threads `-j` accepts: more cannot speed a scan up and could
/// exhaust the process's threads or memory.
pub const MAX_THREADS: usize = 256;

/// Every flag that changes how content is scanned or judged, independent of
/// which command was given.
#[derive(Debug, Clone)]
pub struct Flags {
    /// Extra rule files or directories (`--rules`).
    pub rules: Vec<PathBuf>,
    /// Leave the built-in pack out (`--no-default-rules`).
    pub no_default_rules: bool,
    /// Load the built-in pack's examples (only `keysweep rules` reads them).
    pub rule_examples: bool,
    /// Settings file to use instead of discovering keysweep.toml (`--config`).
    pub config: Option<PathBuf>,
    /// Read no settings file (`--no-config`).
    pub no_config: bool,
    /// Read no ignore file (`--no-ignore`).
    pub no_ignore: bool,
    /// Per-file size cap (`--max-file-size`).
    pub max_file_size: u64,
    /// Worker threads, 0 = one per core (`-j`).
    pub threads: usize,
    /// Keep raw secrets in findings (`--show-secrets`).
    pub show_secrets: bool,
    /// Report format (`--format`); the config's `format` otherwise.
    pub format: Option<Format>,
    /// Failure threshold (`--fail-on`); the config's `fail_on` otherwise.
    pub fail_on: Option<FailOn>,
    /// Files of this run never scanned: its reports and its baseline.
    pub own_files: Vec<PathBuf>,
    /// `-g/--glob` path filters.
    pub globs: Vec<String>,
}

impl Default for Flags {
    fn default() -> Self {
        Flags {
            rules: Vec::new(),
            no_default_rules: false,
            rule_examples: false,
            config: None,
            no_config: false,
            no_ignore: false,
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            threads: 0,
            show_secrets: false,
            format: None,
            fail_on: None,
            own_files: Vec::new(),
            globs: Vec::new(),
        }
    }
}

/// Writes which settings file applied (`--verbose`).
pub fn write_config_choice(w: &mut dyn std::io::Write, s: &Settings) -> std::io::Result<()> {
    writeln!(w, "keysweep: settings: {}", s.config_choice)
}

/// Resolved settings of one run.
#[derive(Debug)]
pub struct Settings {
    /// The settings file's content (or the defaults when there is none).
    pub config: Config,
    /// The scanner every command uses.
    pub scanner: Scanner,
    /// How directories are walked.
    pub walk: WalkOptions,
    /// Report format: flag, then config, then human.
    pub format: Format,
    /// Failure threshold: flag, then config, then low.
    pub fail_on: FailOn,
    /// Which settings file applied and why (for `--verbose`).
    pub config_choice: String,
}

impl Settings {
    /// Resolves `flags` with the keysweep.toml that applies to `scanned`
    /// (the paths scanned; empty means `root`), found by walking up to the
    /// repository root. `root` is where relative paths start when no file
    /// applies (the one directory given, the work-tree top for staged scans,
    /// the repository for history). A file found this way (not named by
    /// --config) is confined to its own work tree: it, and every rules path
    /// it names, must resolve inside it.
    pub fn resolve(flags: &Flags, root: &Path, scanned: &[PathBuf]) -> Result<Settings, Error> {
        let found = config::discover(root, scanned, flags.config.as_deref(), flags.no_config)?;
        let config = match &found.file {
            Some(file) => {
                let boundary = config::confinement_root(file);
                Config::load(file, &boundary, flags.config.is_none())?
            }
            None => Config::none(root),
        };
        let mut settings = Settings::with_config(flags, config)?;
        settings.config_choice = found.why;
        Ok(settings)
    }

    /// Resolves `flags` with an already loaded config.
    pub fn with_config(flags: &Flags, config: Config) -> Result<Settings, Error> {
        if flags.threads > MAX_THREADS {
            return Err(Error::Usage(format!(
                "-j/--threads {} is too many: at most {MAX_THREADS} (0 = one per core)",
                flags.threads
            )));
        }
        if flags.no_default_rules && flags.rules.is_empty() && config.rule_paths.is_empty() {
            return Err(Error::Usage(
                "--no-default-rules needs at least one --rules PATH".into(),
            ));
        }
        let mut rules = RuleSet::load_confined(
            flags.no_default_rules,
            flags.rule_examples,
            &flags.rules,
            &config.rule_paths,
            config.confine.as_deref(),
        )?;
        config.apply_to_rules(&mut rules)?;
        let judge = Suppressors {
            inline: true,
            allowlist: config.allowlist.clone(),
        };
        let scanner = Scanner::new(
            rules,
            ScanOptions {
                show_secrets: flags.show_secrets,
                max_file_size: flags.max_file_size,
                threads: flags.threads,
                own_files: crate::scan::own::OwnFiles::new(&flags.own_files),
                ..ScanOptions::default()
            },
            Box::new(judge),
        );
        let explicit_excludes = if flags.no_ignore {
            None
        } else {
            config.root_ignore()
        };
        Ok(Settings {
            walk: WalkOptions {
                no_ignore: flags.no_ignore,
                excludes: config.exclude.clone(),
                explicit_excludes,
                globs: crate::source::tree::glob_filter(
                    &crate::util::paths::normalised_absolute(Path::new(".")),
                    &flags.globs,
                )?,
            },
            format: flags.format.or(config.format).unwrap_or(Format::Human),
            fail_on: flags.fail_on.or(config.fail_on).unwrap_or(FailOn::Low),
            scanner,
            config_choice: match &config.file {
                Some(f) => f.display().to_string(),
                None => "none".into(),
            },
            config,
        })
    }

    /// Whether a path that is named rather than walked (staged and history
    /// paths, given as absolute paths) is excluded by keysweep.toml's
    /// `exclude`, the root `.keysweepignore` or `-g/--glob`.
    pub fn is_excluded(&self, abs: &Path) -> bool {
        named_excluded(&self.walk, abs)
    }

    /// [`Settings::is_excluded`] as an owned check, for a source that
    /// decides while the scan runs.
    pub fn exclusion(&self) -> Box<dyn Fn(&Path) -> bool + Send + Sync> {
        let walk = self.walk.clone();
        Box::new(move |abs| named_excluded(&walk, abs))
    }
}

fn named_excluded(walk: &crate::source::tree::WalkOptions, abs: &Path) -> bool {
    let hit = |gi: &Option<Gitignore>| gi.as_ref().is_some_and(|g| excluded_by(g, abs, false));
    hit(&walk.excludes)
        || hit(&walk.explicit_excludes)
        || crate::source::tree::glob_excludes(walk, abs, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_over_the_config_and_defaults_fill_the_rest() {
        let cfg = Config::parse(
            Path::new("keysweep.toml"),
            "fail_on = \"high\"\nformat = \"sarif\"\ndisabled_rules = [\"localstack.cli.login\"]\n",
        )
        .expect("config");
        let s = Settings::with_config(&Flags::default(), cfg.clone()).expect("settings");
        assert_eq!((s.format, s.fail_on), (Format::Sarif, FailOn::High));
        assert!(s.scanner.rules().get("localstack.cli.login").is_none());
        let flags = Flags {
            format: Some(Format::Json),
            fail_on: Some(FailOn::Never),
            ..Flags::default()
        };
        let s = Settings::with_config(&flags, cfg).expect("settings");
        assert_eq!((s.format, s.fail_on), (Format::Json, FailOn::Never));
        let s = Settings::with_config(&Flags::default(), Config::none(Path::new("."))).unwrap();
        assert_eq!((s.format, s.fail_on), (Format::Human, FailOn::Low));
    }

    #[test]
    fn the_allowlist_reaches_the_scanner() {
        let cfg = Config::parse(
            Path::new("keysweep.toml"),
            "[allowlist.rules]\n\"localstack.api-key.leaked\" = [\"^4fJq\"]\n",
        )
        .expect("config");
        let s = Settings::with_config(&Flags::default(), cfg).expect("settings");
        let scan = s.scanner.scan_bytes(
            "run.sh",
            crate::kind::FileKind::Shell,
            b"export LOCALSTACK_API_KEY=4fJq9Xc2Lm\nLOCALSTACK_API_KEY=8nPw3Kd6Hs\n",
        );
        let by: Vec<Option<&str>> = scan
            .findings
            .iter()
            .map(|f| f.suppression.as_ref().map(|s| s.by))
            .collect();
        assert_eq!(by, vec![Some("allowlist"), None]);
    }
}
