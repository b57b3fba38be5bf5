//! `keysweep scan`: scan an input, apply the baseline, print the report and
//! decide the exit code.

use super::exit::Exit;
use super::input::{Input, Scanned};
use super::output::{no_color_env, write_output};
use super::progress;
use super::settings::Flags;
use crate::cli::{HistoryArgs, ScanArgs};
use crate::error::Error;
use crate::report::{self, Format, Report};
use crate::source::history::HistoryOptions;
use crate::suppress::{self, baseline::Baseline};
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
        config: args.config.config.clone(),
        no_config: args.config.no_config,
        no_ignore: args.no_ignore,
        max_file_size: args.max_file_size,
        threads: args.threads,
        show_secrets: args.show_secrets,
        format: args.format,
        fail_on: args.fail_on,
    }
}

/// Runs `keysweep scan`.
pub fn run(args: ScanArgs) -> Result<Exit, Error> {
    let input = input(&args)?;
    super::output::refuse_input_as_output(
        args.output.as_deref(),
        args.paths
            .iter()
            .chain(&args.baseline)
            .chain(&args.config.config)
            .chain(&args.rules.rules),
    )?;
    // Read the baseline before scanning: a bad baseline should fail fast.
    let baseline = args.baseline.as_deref().map(Baseline::load).transpose()?;
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
    let mut settings = input.settings(&flags(&args))?;
    if let Some(c) = counters {
        settings.scanner.set_progress(c);
    }
    let Scanned { mut out, origin } = input.scan(&settings)?;
    if let Some(p) = bar {
        p.finish();
    }
    if args.verbose {
        // Diagnostics only: a closed or failing stderr must not fail the scan.
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
    let (kept, suppressed) = suppress::partition(std::mem::take(&mut out.findings));
    let meta = settings.scanner.rules().meta();
    let report = Report {
        findings: &kept,
        suppressed: &suppressed,
        skipped: &out.skipped,
        stats: &out.stats,
        rules: &meta,
        origin: &origin,
    };
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let human = report::human::HumanOptions {
        color: args.color.resolve(to_terminal, no_color_env()),
        quiet: args.quiet,
        width: 100,
    };
    write_output(args.output.as_deref(), |w| match settings.format {
        Format::Human => report::human::write(&report, w, &human),
        Format::Json => report::json::write(&report, w),
        Format::Sarif => report::sarif::write(&report, w),
    })?;
    // After the report: what could be read is shown, and the run still fails.
    super::input::completeness(&input, &out, args.history.allow_incomplete, args.strict)?;
    // Dropped findings were not judged: they may be failing ones.
    let dropped = out.stats.dropped_findings > 0 && settings.fail_on.threshold().is_some();
    Ok(if settings.fail_on.fails(&kept) || dropped {
        Exit::Findings
    } else {
        Exit::Clean
    })
}
