//! Command-line interface types (clap derive). No behaviour lives here; the
//! value types flags take (formats, thresholds, colour) belong to the
//! library and are re-used here.

pub use crate::finding::FailOn;
pub use crate::report::{ColorChoice, Format};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

const AFTER_HELP: &str = "\
Exit codes:
  0  no finding at or above --fail-on (info findings never fail)
  1  at least one finding at or above --fail-on
  2  usage, configuration or rule error, a path that cannot be read, an
     incomplete --history scan (without --allow-incomplete), or a skip
     under --strict

Secrets are redacted in every output format unless --show-secrets is given.
keysweep never opens a network connection.";

/// Sweep repositories for legacy LocalStack API/CI keys and leaked credentials,
/// and say how to migrate each finding to Auth Tokens.
#[derive(Debug, Parser)]
#[command(name = "keysweep", version, about, after_help = AFTER_HELP, max_term_width = 100, args_override_self = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files and directories and report every finding with its migration.
    #[command(after_help = AFTER_HELP)]
    Scan(ScanArgs),
    /// Rewrite what can be migrated mechanically (dry run: print a diff).
    Fix(FixArgs),
    /// Write a migration plan for the whole tree (Markdown or JSON).
    Plan(PlanArgs),
    /// Record the current findings as accepted, so `scan --baseline FILE`
    /// reports only new ones.
    Baseline(BaselineArgs),
    /// Write a commented starter keysweep.toml.
    Init(InitArgs),
    /// List or check rules.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    #[command(after_help = COMPLETIONS_AFTER_HELP)]
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) to standard output.
    #[command(after_help = "Example: keysweep man > keysweep.1 && man ./keysweep.1")]
    Man,
}

const COMPLETIONS_AFTER_HELP: &str = "\
Examples:
  keysweep completions bash > ~/.local/share/bash-completion/completions/keysweep
  keysweep completions zsh > ~/.zfunc/_keysweep
  keysweep completions fish > ~/.config/fish/completions/keysweep.fish";

/// One `--report FORMAT=PATH`: another report of the same scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportTarget {
    /// Its format.
    pub format: Format,
    /// Where it goes; `-` is standard output.
    pub path: PathBuf,
}

/// Parses `FORMAT=PATH` for `--report`.
pub fn parse_report_target(s: &str) -> Result<ReportTarget, String> {
    let (format, path) = s
        .split_once('=')
        .ok_or_else(|| format!("expected FORMAT=PATH, e.g. sarif=keysweep.sarif, got `{s}`"))?;
    let format = Format::from_str(format, true).map_err(|_| {
        let names: Vec<String> = Format::value_variants()
            .iter()
            .filter_map(|f| f.to_possible_value().map(|v| v.get_name().to_string()))
            .collect();
        format!("unknown format `{format}`; one of {}", names.join(", "))
    })?;
    if path.is_empty() {
        return Err("the PATH of FORMAT=PATH is empty".into());
    }
    Ok(ReportTarget {
        format,
        path: PathBuf::from(path),
    })
}

/// Options shared by every command that loads rules.
#[derive(Debug, Clone, Args)]
pub struct RuleArgs {
    /// Add rules from a TOML file or a directory of them (repeatable).
    #[arg(long = "rules", value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    /// Do not load the built-in rule pack (use only --rules).
    #[arg(long)]
    pub no_default_rules: bool,
}

/// Scan settings shared by `fix`, `plan` and `baseline` (the scan behind
/// each of them).
#[derive(Debug, Clone, Args)]
pub struct TreeArgs {
    /// Also scan files ignored by .gitignore, .ignore and .keysweepignore.
    #[arg(long)]
    pub no_ignore: bool,
    /// Skip files larger than this many bytes (counted as too-large).
    #[arg(long, value_name = "BYTES", default_value_t = crate::scan::DEFAULT_MAX_FILE_SIZE)]
    pub max_file_size: u64,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N", default_value_t = 0)]
    pub threads: usize,
    /// Settings file.
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Rule selection.
    #[command(flatten)]
    pub rules: RuleArgs,
}

/// Options shared by `scan` and `baseline` that select the settings file.
#[derive(Debug, Clone, Args)]
pub struct ConfigArgs {
    /// Read settings from FILE instead of keysweep.toml at the scan root
    /// (the one directory given, otherwise the current directory).
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,
    /// Ignore keysweep.toml.
    #[arg(long)]
    pub no_config: bool,
}

/// `keysweep scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or directories to scan; `-` reads standard input. With
    /// --staged, pathspecs limiting which staged files are scanned.
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Output format [default: human, or `format` in keysweep.toml].
    #[arg(long, short = 'f', value_enum)]
    pub format: Option<Format>,
    /// Write the report to FILE instead of standard output (`-` is standard
    /// output). A one-line summary then goes to stderr (unless -q).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also write the same scan as FORMAT to PATH (repeatable; `-` is
    /// standard output), e.g. `--report sarif=keysweep.sarif --report
    /// gitlab-secret-detection=gl-secret-detection-report.json`.
    #[arg(long = "report", value_name = "FORMAT=PATH", value_parser = parse_report_target)]
    pub reports: Vec<ReportTarget>,
    /// SARIF: the code scanning category (`runs[0].automationDetails.id`),
    /// so several keysweep uploads can coexist.
    #[arg(long, value_name = "NAME")]
    pub sarif_category: Option<String>,
    /// SARIF: leave suppressed findings out (GitHub code scanning ignores
    /// SARIF `suppressions` and would open them as alerts).
    #[arg(long)]
    pub sarif_omit_suppressed: bool,
    /// Lowest severity that makes the exit code 1 [default: low, or
    /// `fail_on` in keysweep.toml].
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Report only findings not accepted in this baseline file (see
    /// `keysweep baseline`); accepted ones are listed as suppressed.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Scan the content staged in the git index (not the working tree):
    /// files whose staged content differs from HEAD. For git hooks.
    #[arg(long, conflicts_with = "stdin_name")]
    pub staged: bool,
    /// With `-`: the path standard input is reported as (decides the file
    /// kind, e.g. `.env` or `.github/workflows/ci.yml`).
    #[arg(long, value_name = "NAME")]
    pub stdin_name: Option<String>,
    /// Settings file.
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Scan files ignored by .gitignore, .ignore and .keysweepignore too.
    #[arg(long)]
    pub no_ignore: bool,
    /// Only scan files matching GLOB (gitignore syntax, relative to the
    /// working directory); `!GLOB` leaves matching paths out. Repeatable;
    /// the last matching glob wins (as in ripgrep).
    #[arg(long, short = 'g', value_name = "GLOB")]
    pub glob: Vec<String>,
    /// Skip files larger than this many bytes (counted as too-large).
    #[arg(long, value_name = "BYTES", default_value_t = crate::scan::DEFAULT_MAX_FILE_SIZE)]
    pub max_file_size: u64,
    /// Print secrets in full in every format (they are redacted by default).
    #[arg(long)]
    pub show_secrets: bool,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N", default_value_t = 0)]
    pub threads: usize,
    /// Print no progress line, and in the human format only the summary, not
    /// each finding. (Progress is only ever shown when stderr is a terminal
    /// and the CI variable is unset.)
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Print details to stderr: rule files loaded, every skipped path with the
    /// reason, every mention that is not a finding with the reason it is
    /// silent, and timing. Never prints secrets.
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// Human format: colour.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Fail (exit code 2, after the report) when any path was skipped for a
    /// reason other than being ignored or binary: unreadable, too large,
    /// special files, symlinks, keysweep temporary files.
    #[arg(long)]
    pub strict: bool,
    /// Rule selection.
    #[command(flatten)]
    pub rules: RuleArgs,
    /// Git history.
    #[command(flatten)]
    pub history: HistoryArgs,
}

/// Options of `scan --history`.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Git history")]
pub struct HistoryArgs {
    /// Scan every blob reachable from any ref (branches, tags, remotes,
    /// stash) of the git repository at PATH instead of its files on disk.
    /// Each finding names the oldest commit that introduced it; the same
    /// secret committed many times is reported once with a count.
    #[arg(long)]
    pub history: bool,
    /// Only scan commits not reachable from REV (like `git log REV..`): a
    /// revision such as a tag, branch or commit id, not a date.
    #[arg(long, value_name = "REV", requires = "history")]
    pub since: Option<String>,
    /// Only scan history reachable from REF instead of from all refs
    /// (repeatable).
    #[arg(long, value_name = "REF", requires = "history")]
    pub branch: Vec<String>,
    /// Skip blobs larger than this many bytes (default: --max-file-size).
    #[arg(long, value_name = "BYTES", requires = "history")]
    pub max_blob_size: Option<u64>,
    /// Accept a history scan that could not read every blob (a partial
    /// clone, a damaged pack): report what was read and exit as if complete.
    /// Without it such a scan fails with exit code 2.
    #[arg(long, requires = "history")]
    pub allow_incomplete: bool,
}

const FIX_AFTER_HELP: &str = "\
Only rewrites that rules declare safe are applied. Renames are planned for the
whole repository: the places that set a name and the places that read it form
a rename set, renamed as a whole or held with the reason shown, so no reader
is cut off from its provider. The default mode applies what needs nothing
outside the repository; --rename-secrets also renames CI secrets and names set
outside it, and first prints what to create (with the command per CI system).
Credential values are never edited: committed keys and tokens are listed for
rotation instead, and a name next to one is not renamed.

Without --write the unified diff goes to stdout and the summary to stderr.
Files are written atomically (temporary file + rename), keeping permissions,
line endings, a UTF-8 BOM and the trailing newline; a file that changed since
it was scanned is refused, and so are UTF-16 files.

Exit codes:
  0  done (or nothing to do)
  1  at least one file was refused
  2  usage, configuration or rule error";

/// `keysweep fix`.
#[derive(Debug, Args)]
#[command(after_help = FIX_AFTER_HELP)]
pub struct FixArgs {
    /// Files or directories to fix.
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Apply the changes (default: dry run printing a unified diff).
    #[arg(long)]
    pub write: bool,
    /// Also rename what needs an action outside the repository: legacy CI
    /// secret and variable names (`${{ secrets.LOCALSTACK_API_KEY }}` ->
    /// `${{ secrets.LOCALSTACK_AUTH_TOKEN }}`) and names read from the CI
    /// system or a developer's shell. Create the renamed secrets (holding a CI
    /// Auth Token) before merging: the summary lists them, with commands.
    #[arg(long)]
    pub rename_secrets: bool,
    /// Colour the diff.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Print secrets on diff lines in full (redacted by default, which keeps
    /// such hunks from applying as a patch).
    #[arg(long)]
    pub show_secrets: bool,
    /// What to scan and with which settings.
    #[command(flatten)]
    pub tree: TreeArgs,
}

/// Output format of `plan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    /// A Markdown document with counts and a checklist (PR comment ready).
    Markdown,
    /// The same plan as JSON.
    Json,
}

const PLAN_AFTER_HELP: &str = "\
The plan groups the scan's findings: credentials to rotate now, CI secrets to
create or rename per CI system, files `keysweep fix` can rewrite, edits that
need a person, deprecated commands, and the 2026 image change, with a checklist.
With a CODEOWNERS file (CODEOWNERS, .github/, docs/ or .gitlab/) the work is
also grouped by owner; in a GitHub or GitLab clone paths link to the file at
the current commit. Markdown plans are cut to --max-chars so they fit a
pull-request comment (--full or --output-full FILE for everything). Output is
sorted and has no timestamps, so it can be committed or posted as a
pull-request comment. Values are always redacted.

Exit codes:
  0  plan written (whatever it contains)
  2  usage, configuration or rule error";

/// `keysweep plan`.
#[derive(Debug, Args)]
#[command(after_help = PLAN_AFTER_HELP)]
pub struct PlanArgs {
    /// Files or directories to plan for.
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = PlanFormat::Markdown)]
    pub format: PlanFormat,
    /// Write the plan to FILE instead of standard output (`-` is standard
    /// output).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Markdown: never shorten the plan (by default long lists are cut so
    /// the plan fits a pull-request comment, see --max-chars).
    #[arg(long)]
    pub full: bool,
    /// Markdown: also write the full, uncut plan to FILE; a shortened plan
    /// points to it.
    #[arg(long, value_name = "FILE")]
    pub output_full: Option<PathBuf>,
    /// Markdown: the most characters a shortened plan may have (GitHub
    /// allows 65,536 in a comment).
    #[arg(long, value_name = "N", default_value_t = crate::plan::DEFAULT_MAX_CHARS)]
    pub max_chars: usize,
    /// Markdown: do not link paths to the forge hosting the repository.
    #[arg(long)]
    pub no_links: bool,
    /// What to scan and with which settings.
    #[command(flatten)]
    pub tree: TreeArgs,
}

/// `keysweep baseline`.
#[derive(Debug, Args)]
pub struct BaselineArgs {
    /// Files or directories to scan.
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Baseline file to write; an existing one is updated (its entries are
    /// kept, new findings are added).
    #[arg(long, short = 'o', value_name = "FILE", default_value = crate::suppress::baseline::DEFAULT_FILE)]
    pub output: PathBuf,
    /// Only drop entries of the existing baseline that no longer match any
    /// finding; accept nothing new.
    #[arg(long)]
    pub prune: bool,
    /// What to scan and with which settings.
    #[command(flatten)]
    pub tree: TreeArgs,
    /// Git history: accept what `scan --history` finds.
    #[command(flatten)]
    pub history: HistoryArgs,
}

/// `keysweep init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to write the starter config.
    #[arg(value_name = "FILE", default_value = crate::config::FILE_NAME)]
    pub path: PathBuf,
    /// Overwrite an existing file.
    #[arg(long)]
    pub force: bool,
}

/// `keysweep rules ...`.
#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List rules: id, severity and title.
    List {
        /// Output format: a table, or JSON with every field.
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
        /// Rule selection.
        #[command(flatten)]
        rules: RuleArgs,
    },
    /// Load rules, report every problem, and run every rule's examples
    /// through the scanner; exits 2 on any problem.
    Check {
        /// Rule selection.
        #[command(flatten)]
        rules: RuleArgs,
    },
}

/// Output format of `rules list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// Aligned columns.
    Table,
    /// JSON array with every rule field.
    Json,
}
