//! keysweep finds LocalStack legacy credentials (developer API keys, CI keys),
//! leaked Auth Tokens and deprecated authentication patterns in a tree, and
//! says for each finding how to migrate.
//!
//! The pipeline is a chain of narrow layers:
//!
//! ```text
//! walk (paths → candidates) → scan (read, keyword gate, rules → findings)
//!      → suppress (inline, allowlist, baseline → kept + suppressed)
//!      → report (human | json | sarif)
//! ```
//!
//! Rules are data (`rules/*.toml`, embedded at build time, extensible with
//! `--rules`); see [`rules`]. Team settings come from keysweep.toml
//! ([`config`]); `--staged` reads the git index instead of walking
//! ([`staged`]); `--history` scans every blob in the repository's git history
//! ([`history`]). The CLI in `main.rs` only parses arguments and calls [`run`].

#![warn(missing_docs)]

pub mod cli;
pub mod config;
pub mod context;
pub mod error;
pub mod finding;
pub mod fix;
pub mod history;
pub mod plan;
pub mod report;
pub mod rules;
pub mod scan;
pub mod selftest;
pub mod staged;
pub mod status;
pub mod suppress;
pub mod walk;

use cli::{
    BaselineArgs, Cli, ColorChoice, Command, ConfigArgs, FailOn, FixArgs, Format, InitArgs,
    ListFormat, PlanArgs, PlanFormat, RuleArgs, RulesCommand, ScanArgs, TreeArgs,
};
use config::Config;
use error::{Error, RuleErrors};
use finding::Severity;
use rules::RuleSet;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

/// Process exit status of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Nothing at or above the threshold.
    Clean = 0,
    /// Findings at or above the threshold, or a failed rule check.
    Findings = 1,
    /// Usage, configuration or rule error.
    Error = 2,
}

/// Runs a parsed command line, writing reports to stdout or `--output`.
pub fn run(cli: Cli) -> Result<Exit, Error> {
    match cli.command {
        Command::Scan(args) => run_scan(args),
        Command::Fix(args) => run_fix(args),
        Command::Plan(args) => run_plan(args),
        Command::Baseline(args) => run_baseline(args),
        Command::Init(args) => run_init(args),
        Command::Rules(RulesCommand::List { format, rules }) => run_rules_list(format, &rules),
        Command::Rules(RulesCommand::Check { rules }) => run_rules_check(&rules),
    }
}

fn load_rules(args: &RuleArgs) -> Result<RuleSet, Error> {
    if args.no_default_rules && args.rules.is_empty() {
        return Err(Error::Usage(
            "--no-default-rules needs at least one --rules PATH".into(),
        ));
    }
    RuleSet::load_with(args.no_default_rules, &args.rules)
}

/// Severity threshold for a `--fail-on` value (`None` = never fail).
pub fn threshold(fail_on: FailOn) -> Option<Severity> {
    match fail_on {
        FailOn::Critical => Some(Severity::Critical),
        FailOn::High => Some(Severity::High),
        FailOn::Medium => Some(Severity::Medium),
        FailOn::Low => Some(Severity::Low),
        FailOn::Never => None,
    }
}

/// Where the content of a scan comes from.
enum Input<'a> {
    /// Files and directories on disk.
    Paths(&'a [PathBuf]),
    /// The git index (`--staged`), limited by pathspecs.
    Staged(&'a [PathBuf]),
    /// Standard input, reported under this name.
    Stdin(String),
    /// Every blob in the history of a git repository (`--history`).
    History(history::HistoryOptions),
}

/// Options common to every scan-like command.
struct Prepare<'a> {
    input: Input<'a>,
    config: &'a ConfigArgs,
    rules: &'a RuleArgs,
    scan_opts: scan::ScanOptions,
    no_ignore: bool,
}

/// A finished scan with the settings it ran with.
struct Scanned {
    out: scan::ScanOutput,
    rules: RuleSet,
    config: Config,
    /// Directory that relative finding paths start from.
    origin: PathBuf,
}

fn load_config(args: &ConfigArgs, root: &std::path::Path) -> Result<Config, Error> {
    match config::discover(root, args.config.as_deref(), args.no_config)? {
        Some(file) => Config::load(&file),
        None => Ok(Config::none(root)),
    }
}

/// Loads settings and rules, then scans the input.
fn prepare_and_scan(p: Prepare<'_>) -> Result<Scanned, Error> {
    let cwd = std::env::current_dir().map_err(|e| Error::Root {
        path: ".".into(),
        reason: e.to_string(),
    })?;
    // Resolve the scan root first: for --staged it is the top of the work tree.
    let (root, toplevel) = match &p.input {
        Input::Paths(paths) => (config::scan_root(paths), None),
        Input::Staged(_) => {
            let top = staged::toplevel()?;
            (top.clone(), Some(top))
        }
        Input::Stdin(_) => (PathBuf::from("."), None),
        Input::History(h) => (config::scan_root(std::slice::from_ref(&h.repo)), None),
    };
    let cfg = load_config(p.config, &root)?;
    let mut rule_args = p.rules.clone();
    rule_args.rules.extend(cfg.rule_paths.iter().cloned());
    let mut rules = load_rules(&rule_args)?;
    cfg.apply_to_rules(&mut rules)?;
    let mut scan_opts = p.scan_opts;
    scan_opts.allow_values = cfg.allow_values.clone();
    let explicit_excludes = if p.no_ignore { None } else { cfg.root_ignore() };
    // Staged and history paths are named, not walked: keysweep.toml excludes
    // and the root .keysweepignore decide for them.
    let is_excluded = |abs: &std::path::Path| {
        [&cfg.exclude, &explicit_excludes].iter().any(|gi| {
            gi.as_ref()
                .is_some_and(|gi| walk::excluded_by(gi, abs, false))
        })
    };
    let (out, origin) = match p.input {
        Input::Paths(paths) => {
            walk::check_roots(paths)?;
            let walk_opts = walk::WalkOptions {
                no_ignore: p.no_ignore,
                excludes: cfg.exclude.clone(),
                explicit_excludes: explicit_excludes.clone(),
            };
            (scan::scan_all(paths, &walk_opts, &rules, &scan_opts), cwd)
        }
        Input::Staged(specs) => {
            let st = staged::read(specs, &is_excluded, scan_opts.max_file_size)?;
            let out = scan::scan_blobs(&st.blobs, st.skipped, &rules, &scan_opts);
            (out, toplevel.unwrap_or(st.toplevel))
        }
        Input::Stdin(name) => {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut bytes).map_err(|e| {
                Error::Read {
                    what: "input",
                    path: "standard input".into(),
                    reason: e.to_string(),
                }
            })?;
            let blob = scan::Blob {
                display: name,
                bytes,
            };
            (
                scan::scan_blobs(&[blob], Vec::new(), &rules, &scan_opts),
                cwd,
            )
        }
        Input::History(h) => {
            // Repository paths are matched against keysweep.toml excludes as
            // if they were checked out under the repository root.
            let out = history::scan_history(&h, &rules, &scan_opts, &is_excluded)?;
            // Baselines and SARIF see repository paths relative to its root.
            let origin = out
                .stats
                .history
                .as_ref()
                .map_or_else(|| cwd.clone(), |s| PathBuf::from(&s.root));
            (out, origin)
        }
    };
    Ok(Scanned {
        out,
        rules,
        config: cfg,
        origin,
    })
}

/// The `--history` input, when asked for.
fn history_input<'a>(
    paths: &[PathBuf],
    args: &cli::HistoryArgs,
    max_file_size: u64,
) -> Result<Option<Input<'a>>, Error> {
    if !args.history {
        return Ok(None);
    }
    let [repo] = paths else {
        return Err(Error::Usage(
            "--history scans one repository: give at most one PATH".into(),
        ));
    };
    Ok(Some(Input::History(history::HistoryOptions {
        repo: repo.clone(),
        since: args.since.clone(),
        branches: args.branch.clone(),
        max_blob_size: args.max_blob_size.unwrap_or(max_file_size),
    })))
}

fn run_scan(args: ScanArgs) -> Result<Exit, Error> {
    let stdin = args.paths.iter().any(|p| p.as_os_str() == "-");
    if stdin && args.paths.len() > 1 {
        return Err(Error::Usage(
            "`-` (standard input) cannot be combined with other paths".into(),
        ));
    }
    if stdin && args.staged {
        return Err(Error::Usage(
            "`-` (standard input) cannot be combined with --staged".into(),
        ));
    }
    if args.stdin_name.is_some() && !stdin {
        return Err(Error::Usage(
            "--stdin-name only applies when the path is `-`".into(),
        ));
    }
    if args.history.history && (stdin || args.staged) {
        return Err(Error::Usage(
            "--history cannot be combined with --staged or `-` (standard input)".into(),
        ));
    }
    let input = if let Some(h) = history_input(&args.paths, &args.history, args.max_file_size)? {
        h
    } else if args.staged {
        Input::Staged(&args.paths)
    } else if stdin {
        Input::Stdin(args.stdin_name.clone().unwrap_or_else(|| "<stdin>".into()))
    } else {
        Input::Paths(&args.paths)
    };
    // Read the baseline before scanning: a bad baseline should fail fast.
    let baseline = args
        .baseline
        .as_deref()
        .map(suppress::baseline::Baseline::load)
        .transpose()?;
    let counters = status::progress_wanted_here(args.quiet)
        .then(|| std::sync::Arc::new(status::Counters::default()));
    let started = std::time::Instant::now();
    // Dropped (and so erased) before any error below is printed.
    let progress = counters.clone().map(status::Progress::start);
    let scanned = prepare_and_scan(Prepare {
        input,
        config: &args.config,
        rules: &args.rules,
        scan_opts: scan::ScanOptions {
            show_secrets: args.show_secrets,
            max_file_size: args.max_file_size,
            threads: args.threads,
            progress: counters,
            ..Default::default()
        },
        no_ignore: args.no_ignore,
    })?;
    if let Some(p) = progress {
        p.finish();
    }
    if args.verbose {
        // Diagnostics only: a closed or failing stderr must not fail the scan.
        let _ = status::write_verbose(
            &mut std::io::stderr().lock(),
            &scanned.rules,
            &scanned.out,
            started.elapsed(),
        );
    }
    let Scanned {
        out,
        rules,
        config: cfg,
        origin,
    } = scanned;
    let applied = suppress::apply(out.findings, baseline.as_ref(), &origin);
    let report = report::Report {
        findings: &applied.kept,
        suppressed: &applied.suppressed,
        skipped: &out.skipped,
        stats: &out.stats,
        rules: &rules,
    };
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let color = use_color(args.color, to_terminal);
    let human = report::human::HumanOptions {
        color,
        quiet: args.quiet,
        width: 100,
    };
    let format = args.format.or(cfg.format).unwrap_or(Format::Human);
    write_output(args.output.as_deref(), |w| match format {
        Format::Human => report::human::write(&report, w, &human),
        Format::Json => report::json::write(&report, w),
        Format::Sarif => report::sarif::write(&report, w),
    })?;
    let fail_on = args.fail_on.or(cfg.fail_on).unwrap_or(FailOn::Low);
    let failing = threshold(fail_on).is_some_and(|t| {
        applied
            .kept
            .iter()
            .any(|f| f.severity >= t && f.severity > Severity::Info)
    });
    Ok(if failing { Exit::Findings } else { Exit::Clean })
}

/// `--color` resolved: `auto` colours only a terminal, and only without NO_COLOR.
fn use_color(choice: ColorChoice, to_terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => to_terminal && std::env::var_os("NO_COLOR").is_none(),
    }
}

/// The scan behind `fix`, `plan` and `baseline`: keysweep.toml applies as for
/// `scan` (rules, disabled rules, severities, excludes), and findings accepted
/// inline or by the allowlist are left out (baselines only gate `scan`).
fn scan_unsuppressed(input: Input<'_>, tree: &TreeArgs) -> Result<Unsuppressed, Error> {
    let scanned = prepare_and_scan(Prepare {
        input,
        config: &tree.config,
        rules: &tree.rules,
        scan_opts: scan::ScanOptions {
            max_file_size: tree.max_file_size,
            threads: tree.threads,
            ..Default::default()
        },
        no_ignore: tree.no_ignore,
    })?;
    Ok(Unsuppressed {
        kept: suppress::apply(scanned.out.findings, None, &scanned.origin).kept,
        rules: scanned.rules,
        stats: scanned.out.stats,
        origin: scanned.origin,
    })
}

/// What [`scan_unsuppressed`] returns.
struct Unsuppressed {
    rules: RuleSet,
    kept: Vec<finding::Finding>,
    stats: finding::ScanStats,
    /// Directory that relative finding paths start from.
    origin: PathBuf,
}

fn run_fix(args: FixArgs) -> Result<Exit, Error> {
    let Unsuppressed {
        rules,
        kept: findings,
        ..
    } = scan_unsuppressed(Input::Paths(&args.paths), &args.tree)?;
    let mut opts = fix::FixOptions {
        write: args.write,
        max_file_size: args.tree.max_file_size,
        ..Default::default()
    };
    if args.rename_secrets {
        opts.opt_ins.insert("rename-secrets".to_string());
    }
    let results = fix::fix_all(&rules, &findings, &opts);
    let color = use_color(args.color, std::io::stdout().is_terminal());
    if !args.write {
        write_output(None, |w| {
            for r in &results {
                if let Ok(c) = &r.outcome {
                    let style = fix::diff::DiffStyle {
                        color,
                        redact: if args.show_secrets {
                            Vec::new()
                        } else {
                            c.redact.clone()
                        },
                    };
                    w.write_all(fix::diff::unified(&r.path, &c.old, &c.new, &style).as_bytes())?;
                }
            }
            Ok(())
        })?;
    }
    let stderr = std::io::stderr();
    let mut e = stderr.lock();
    fix::write_summary(&mut e, &results, &findings, &opts).map_err(|err| Error::Output {
        target: "stderr".into(),
        reason: err.to_string(),
    })?;
    let refused = results.iter().any(|r| r.outcome.is_err());
    Ok(if refused { Exit::Findings } else { Exit::Clean })
}

fn run_plan(args: PlanArgs) -> Result<Exit, Error> {
    let Unsuppressed {
        rules,
        kept: findings,
        stats,
        ..
    } = scan_unsuppressed(Input::Paths(&args.paths), &args.tree)?;
    let plan = plan::Plan::build(&findings, &rules, &stats);
    write_output(args.output.as_deref(), |w| match args.format {
        PlanFormat::Markdown => plan.write_markdown(w),
        PlanFormat::Json => plan.write_json(w),
    })?;
    Ok(Exit::Clean)
}

fn run_baseline(args: BaselineArgs) -> Result<Exit, Error> {
    use suppress::baseline::Baseline;
    let existing = if args.output.exists() {
        Some(Baseline::load(&args.output)?)
    } else if args.prune {
        return Err(Error::Read {
            what: "baseline",
            path: args.output.display().to_string(),
            reason: "--prune needs an existing baseline file".into(),
        });
    } else {
        None
    };
    let input = match history_input(&args.paths, &args.history, args.tree.max_file_size)? {
        Some(h) => h,
        None => Input::Paths(&args.paths),
    };
    // Inline directives and allowlists already accept a finding; only what
    // would otherwise be reported goes into the baseline.
    let scanned = scan_unsuppressed(input, &args.tree)?;
    let mut baseline = existing.unwrap_or_else(|| Baseline::empty(&args.output));
    let message = if args.prune {
        let dropped = baseline.prune(&scanned.kept, &scanned.origin);
        format!(
            "pruned {dropped} stale entr{} from {}; {} accepted finding{} remain",
            if dropped == 1 { "y" } else { "ies" },
            args.output.display(),
            baseline.len(),
            if baseline.len() == 1 { "" } else { "s" }
        )
    } else {
        let added = baseline.accept(&scanned.kept, &scanned.origin);
        format!(
            "accepted {added} new finding{} in {} ({} in total)",
            if added == 1 { "" } else { "s" },
            args.output.display(),
            baseline.len()
        )
    };
    std::fs::write(&args.output, baseline.to_json()).map_err(|e| Error::Output {
        target: args.output.display().to_string(),
        reason: e.to_string(),
    })?;
    eprintln!("keysweep: {message}");
    Ok(Exit::Clean)
}

fn run_init(args: InitArgs) -> Result<Exit, Error> {
    if args.path.exists() && !args.force {
        return Err(Error::Usage(format!(
            "{} already exists; use --force to overwrite it",
            args.path.display()
        )));
    }
    std::fs::write(&args.path, config::STARTER).map_err(|e| Error::Output {
        target: args.path.display().to_string(),
        reason: e.to_string(),
    })?;
    eprintln!("keysweep: wrote {}", args.path.display());
    Ok(Exit::Clean)
}

/// Writes to `path` (created or truncated) or stdout. A closed stdout pipe
/// (`keysweep scan | head`) is not an error.
fn write_output(
    path: Option<&std::path::Path>,
    f: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), Error> {
    let result = match path {
        Some(p) => std::fs::File::create(p).and_then(|file| {
            let mut w = std::io::BufWriter::new(file);
            f(&mut w)?;
            w.flush()
        }),
        None => {
            let stdout = std::io::stdout();
            let mut w = std::io::BufWriter::new(stdout.lock());
            f(&mut w).and_then(|_| w.flush())
        }
    };
    match result {
        Err(e) if path.is_none() && e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::Output {
            target: path.map_or_else(|| "stdout".to_string(), |p| p.display().to_string()),
            reason: e.to_string(),
        }),
        Ok(()) => Ok(()),
    }
}

fn run_rules_list(format: ListFormat, args: &RuleArgs) -> Result<Exit, Error> {
    let rules = load_rules(args)?;
    write_output(None, |w| match format {
        ListFormat::Table => {
            let width = rules.rules().iter().map(|r| r.id.len()).max().unwrap_or(0);
            for r in rules.rules() {
                writeln!(
                    w,
                    "{:<width$}  {:<8}  {}",
                    r.id,
                    r.severity.as_str(),
                    r.title
                )?;
            }
            Ok(())
        }
        ListFormat::Json => {
            let list: Vec<serde_json::Value> = rules
                .rules()
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "id": r.id,
                        "severity": r.severity,
                        "title": r.title,
                        "description": r.description,
                        "class": r.class,
                        "precision": r.precision,
                        "kinds": r.kinds.as_ref().map(|k| k.iter().map(|k| k.as_str()).collect::<Vec<_>>()),
                        "not_kinds": r.not_kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
                        "paths": r.paths,
                        "keywords": r.keywords,
                        "migration": r.migration,
                        "fix": r.fix.as_ref().map(|f| serde_json::json!({
                            "opt_in": f.opt_in,
                            "note": f.note,
                        })),
                        "references": r.references,
                        "file": r.origin.file,
                        "line": r.origin.line,
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut *w, &list)?;
            w.write_all(b"\n")
        }
    })?;
    Ok(Exit::Clean)
}

fn run_rules_check(args: &RuleArgs) -> Result<Exit, Error> {
    let rules = load_rules(args)?;
    let problems = selftest::check(&rules);
    if !problems.is_empty() {
        return Err(Error::Rules(RuleErrors { problems }));
    }
    let examples: usize = rules.rules().iter().map(|r| r.examples.len()).sum();
    write_output(None, |w| {
        writeln!(
            w,
            "{} rules OK, {} examples checked",
            rules.rules().len(),
            examples
        )
    })?;
    Ok(Exit::Clean)
}
