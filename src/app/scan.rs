//! `keysweep scan`: scan an input, apply the baseline, print the report and
//! decide the exit code.

use super::exit::Exit;
use super::input::{Input, Scanned};
use super::output::{color_env, write_output};
use super::progress;
use super::settings::Flags;
use crate::cli::{HistoryArgs, ScanArgs};
use crate::error::Error;
use crate::report::{self, Format, Report};
use crate::source::history::HistoryOptions;
use crate::suppress::{self, baseline::Baseline};
use crate::util::term::quote_path;
use crate::util::text::plural;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

/// The `--history` input, when asked for.
pub(super) fn history_input(
    paths: &[PathBuf],
    args: &HistoryArgs,
    max_file_size: u64,
) -> Result<Option<Input>, Error> {
    if !args.history {
        return Ok(None);
    }
    let [repo] = paths else {
        return Err(Error::Usage(
            "--history scans one repository: give at most one PATH".into(),
        ));
    };
    Ok(Some(Input::History(HistoryOptions {
        repo: repo.clone(),
        since: args.since.clone(),
        branches: args.branch.clone(),
        max_blob_size: args.max_blob_size.unwrap_or(max_file_size),
    })))
}

fn input(args: &ScanArgs) -> Result<Input, Error> {
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
    Ok(
        if let Some(h) = history_input(&args.paths, &args.history, args.max_file_size)? {
            h
        } else if args.staged {
            Input::Staged(args.paths.clone())
        } else if stdin {
            Input::Stdin(args.stdin_name.clone().unwrap_or_else(|| "<stdin>".into()))
        } else {
            Input::Paths(args.paths.clone())
        },
    )
}

fn flags(args: &ScanArgs) -> Flags {
    Flags {
        rules: args.rules.rules.clone(),
        no_default_rules: args.rules.no_default_rules,
        rule_examples: false,
        config: args.config.config.clone(),
        no_config: args.config.no_config,
        no_ignore: args.no_ignore,
        max_file_size: args.max_file_size,
        threads: args.threads,
        show_secrets: args.show_secrets,
        format: args.format,
        fail_on: args.fail_on,
        own_files: Vec::new(),
        globs: args.glob.clone(),
    }
}

/// Where one report of the run goes: `None` is standard output.
struct Target {
    format: Format,
    path: Option<PathBuf>,
}

/// The run's reports: `--format`/`--output` first, then every `--report`.
/// `-` means standard output; at most one report may go there.
fn targets(args: &ScanArgs, format: Format) -> Result<Vec<Target>, Error> {
    let file = |p: &PathBuf| (p.as_os_str() != "-").then(|| p.clone());
    let mut out = vec![Target {
        format,
        path: args.output.as_ref().and_then(file),
    }];
    for r in &args.reports {
        out.push(Target {
            format: r.format,
            path: file(&r.path),
        });
    }
    if out.iter().filter(|t| t.path.is_none()).count() > 1 {
        return Err(Error::Usage(
            "only one report can go to standard output: give --output FILE when a --report goes to `-`".into(),
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    for t in &out {
        if let Some(p) = &t.path {
            if !seen.insert(crate::util::paths::normalised_absolute(p)) {
                return Err(Error::Usage(format!(
                    "{} is named by two reports",
                    p.display()
                )));
            }
        }
    }
    Ok(out)
}

/// Whether this run checks a commit: `--staged`, or run by pre-commit
/// (which sets `PRE_COMMIT`).
fn checks_a_commit(args: &ScanArgs) -> bool {
    args.staged || std::env::var_os("PRE_COMMIT").is_some_and(|v| !v.is_empty())
}

/// Runs `keysweep scan`.
pub fn run(args: ScanArgs) -> Result<Exit, Error> {
    let started_at = std::time::SystemTime::now();
    let input = input(&args)?;
    // The format is known before settings only when given as a flag; the
    // config's `format` is applied below. Paths do not depend on it.
    let planned = targets(&args, args.format.unwrap_or(Format::Human))?;
    for t in &planned {
        super::output::refuse_input_as_output(
            t.path.as_deref(),
            args.paths
                .iter()
                .chain(&args.baseline)
                .chain(&args.config.config)
                .chain(&args.rules.rules),
        )?;
    }
    // Read the baseline before scanning: a bad baseline should fail fast.
    let baseline = args.baseline.as_deref().map(Baseline::load).transpose()?;
    let mut flags = flags(&args);
    flags.own_files = planned.iter().filter_map(|t| t.path.clone()).collect();
    flags.own_files.extend(args.baseline.iter().cloned());
    let mut warnings = Vec::new();
    if let Input::History(h) = &input {
        if super::repo::is_shallow(&h.repo) {
            let message = format!(
                "{} is a shallow clone: --history scans only the commits it has; fetch the full history first (git fetch --unshallow)",
                h.repo.display()
            );
            eprintln!("keysweep: warning: {message}");
            warnings.push(report::Warning {
                id: "shallow-history",
                message,
            });
        }
    }
    if let Some(b) = baseline.as_ref().filter(|b| b.is_legacy()) {
        eprintln!(
            "keysweep: note: {} is a version 1 baseline (plain value hashes); `keysweep baseline -o {}` rewrites it as version 2",
            b.name(),
            b.name()
        );
    }
    let counters = progress::progress_wanted_here(args.quiet)
        .then(|| Arc::new(crate::scan::progress::Counters::default()));
    let started = std::time::Instant::now();
    // Dropped (and so erased) before any error below is printed.
    let bar = counters.clone().map(progress::Progress::start);
    let mut settings = input.settings(&flags)?;
    if let Some(c) = counters {
        settings.scanner.set_progress(c);
    }
    let Scanned { mut out, origin } = input.scan(&settings)?;
    if let Some(p) = bar {
        p.finish();
    }
    if args.verbose {
        // Diagnostics only: a closed or failing stderr must not fail the scan.
        // Printed once the progress line is gone.
        let _ = super::settings::write_config_choice(&mut std::io::stderr().lock(), &settings);
        let _ = progress::write_verbose(
            &mut std::io::stderr().lock(),
            settings.scanner.rules(),
            &out,
            started.elapsed(),
        );
    }
    if let Some(b) = &baseline {
        suppress::apply_baseline(&mut out.findings, b, &origin);
    }
    let (mut kept, suppressed) = suppress::partition(std::mem::take(&mut out.findings));
    // The fixes reports carry are the repository's rename plan's, as `fix`
    // and `plan` apply and count them (a history scan has nothing to fix).
    let refs: &[crate::scan::ScannedRefs] = if out.stats.history.is_some() {
        &[]
    } else {
        &out.refs
    };
    crate::fix::prepare(settings.scanner.rules(), &mut kept, refs);
    let meta = settings.scanner.rules().meta();
    let targets = targets(&args, settings.format)?;
    let wants_commit = targets
        .iter()
        .any(|t| t.format == Format::GitlabSecretDetection);
    let run_info = report::RunInfo {
        start_secs: crate::util::time::unix_secs(started_at),
        end_secs: crate::util::time::unix_secs(std::time::SystemTime::now()),
        commit: match out.stats.history.as_ref() {
            Some(h) => h.revision.clone(),
            None if wants_commit => super::repo::head_commit(&origin),
            None => None,
        },
        warnings,
    };
    let report = Report {
        findings: &kept,
        suppressed: &suppressed,
        skipped: &out.skipped,
        stats: &out.stats,
        rules: &meta,
        origin: &origin,
        run: &run_info,
    };
    // Dropped findings were not judged: they may be failing ones.
    let dropped = out.stats.dropped_findings > 0 && settings.fail_on.threshold().is_some();
    let fails = settings.fail_on.fails(&kept) || dropped;
    let stdout_tty = std::io::stdout().is_terminal();
    let mut opts = report::WriteOptions {
        human: report::human::HumanOptions {
            quiet: args.quiet,
            width: if stdout_tty {
                super::output::terminal_width()
            } else {
                report::human::DEFAULT_WIDTH
            },
            blocked_commit: fails && checks_a_commit(&args),
            color: false,
        },
        sarif_category: args.sarif_category.clone(),
        sarif_omit_suppressed: args.sarif_omit_suppressed,
    };
    for t in &targets {
        let to_terminal = t.path.is_none() && stdout_tty;
        opts.human.color = args.color.resolve(to_terminal, color_env());
        write_output(t.path.as_deref(), |w| {
            report::write(t.format, &report, &opts, w)
        })?;
    }
    let files: Vec<String> = targets
        .iter()
        .filter_map(|t| {
            t.path.as_ref().map(|p| {
                format!(
                    "{} to {}",
                    t.format.as_str(),
                    quote_path(&p.display().to_string())
                )
            })
        })
        .collect();
    if !files.is_empty() && !args.quiet {
        eprintln!(
            "keysweep: {}; wrote {}",
            summary_line(&report),
            files.join(", ")
        );
    }
    // After the reports: what could be read is shown, and the run still fails.
    super::input::completeness(&input, &out, args.history.allow_incomplete, args.strict)?;
    Ok(if fails { Exit::Findings } else { Exit::Clean })
}

/// `3 findings (1 critical, 2 low), 1 suppressed, 2 skipped`.
fn summary_line(report: &Report<'_>) -> String {
    let n = report.findings.len();
    let mut line = if n == 0 {
        "no findings".to_string()
    } else {
        let counts: Vec<String> = report
            .by_severity()
            .into_iter()
            .rev()
            .filter(|(_, c)| *c > 0)
            .map(|(s, c)| format!("{c} {s}"))
            .collect();
        format!("{n} finding{} ({})", plural(n), counts.join(", "))
    };
    if !report.suppressed.is_empty() {
        line.push_str(&format!(", {} suppressed", report.suppressed.len()));
    }
    let skipped: u64 = report
        .stats
        .skipped
        .iter()
        .filter(|(r, _)| **r != crate::finding::SkipReason::Ignored)
        .map(|(_, n)| n)
        .sum();
    if skipped > 0 {
        line.push_str(&format!(", {skipped} skipped"));
    }
    line
}
