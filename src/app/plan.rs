//! `keysweep plan`: the migration plan of a tree, as Markdown or JSON.

use super::exit::Exit;
use super::fix::tree_flags;
use super::input::{Input, Scanned};
use super::output::write_output;
use crate::cli::{PlanArgs, PlanFormat};
use crate::error::Error;
use crate::plan::Plan;
use crate::suppress;

/// Runs `keysweep plan`.
pub fn run(args: PlanArgs) -> Result<Exit, Error> {
    let input = Input::Paths(args.paths.clone());
    super::output::refuse_input_as_output(
        args.output.as_deref(),
        args.paths
            .iter()
            .chain(&args.tree.config.config)
            .chain(&args.tree.rules.rules),
    )?;
    let settings = input.settings(&tree_flags(&args.tree))?;
    let Scanned { out, .. } = input.scan(&settings)?;
    let (findings, _) = suppress::partition(out.findings);
    let plan = Plan::build(&findings, &settings.scanner.rules().meta(), &out.stats);
    write_output(args.output.as_deref(), |w| match args.format {
        PlanFormat::Markdown => plan.write_markdown(w),
        PlanFormat::Json => plan.write_json(w),
    })?;
    Ok(Exit::Clean)
}
