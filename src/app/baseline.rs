//! `keysweep baseline`: accept today's findings (or prune stale entries).

use super::exit::Exit;
use super::fix::tree_flags;
use super::input::{Input, Scanned};
use super::scan::history_input;
use crate::cli::BaselineArgs;
use crate::error::Error;
use crate::suppress::{self, baseline::Baseline};
use crate::util::text::plural;

/// Runs `keysweep baseline`.
pub fn run(args: BaselineArgs) -> Result<Exit, Error> {
    super::output::refuse_input_as_output(
        Some(&args.output),
        args.paths
            .iter()
            .chain(&args.tree.config.config)
            .chain(&args.tree.rules.rules),
    )?;
    let existing = if args.output.exists() {
        Some(Baseline::load(&args.output)?)
    } else if args.prune {
        return Err(Error::Read {
            what: "baseline",
            path: args.output.display().to_string(),
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "--prune needs an existing baseline file",
            ),
        });
    } else {
        None
    };
    let input = match history_input(&args.paths, &args.history, args.tree.max_file_size)? {
        Some(h) => h,
        None => Input::Paths(args.paths.clone()),
    };
    let settings = input.settings(&tree_flags(&args.tree))?;
    let Scanned { out, origin } = input.scan(&settings)?;
    // A baseline written from a history that could not be read completely
    // would silently lack entries.
    super::input::completeness(&input, &out, args.history.allow_incomplete, false)?;
    // Inline directives and allowlists already accept a finding; only what
    // would otherwise be reported goes into the baseline.
    let (kept, _) = suppress::partition(out.findings);
    let mut baseline = existing.unwrap_or_else(|| Baseline::empty(&args.output));
    let message = if args.prune {
        let dropped = baseline.prune(&kept, &origin);
        format!(
            "pruned {dropped} stale entr{} from {}; {} accepted finding{} remain",
            if dropped == 1 { "y" } else { "ies" },
            args.output.display(),
            baseline.len(),
            plural(baseline.len())
        )
    } else {
        let added = baseline.accept(&kept, &origin);
        format!(
            "accepted {added} new finding{} in {} ({} in total)",
            plural(added),
            args.output.display(),
            baseline.len()
        )
    };
    let text = baseline.to_json();
    crate::util::fs::write_atomic(&args.output, |w| w.write_all(text.as_bytes()))
        .map_err(|e| Error::output(args.output.display(), e))?;
    eprintln!("keysweep: {message}");
    Ok(Exit::Clean)
}
