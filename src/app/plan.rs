//! `keysweep plan`: the migration plan of a tree, as Markdown or JSON,
//! grouped by CODEOWNERS owner and linked to the forge when the repository
//! has them, and cut to fit a pull-request comment unless asked not to.

use super::exit::Exit;
use super::fix::tree_flags;
use super::input::{Input, Scanned};
use super::output::write_output;
use super::repo;
use crate::cli::{PlanArgs, PlanFormat};
use crate::error::Error;
use crate::plan::owners::{self, CodeOwners};
use crate::plan::{Links, MarkdownOptions, Plan};
use crate::suppress;
use crate::util::paths::display_path;
use std::path::{Path, PathBuf};

/// The repository's CODEOWNERS file, if it has one.
fn codeowners(work_tree: &Path, base: &Path) -> Option<CodeOwners> {
    owners::LOCATIONS.iter().find_map(|rel| {
        let text = std::fs::read_to_string(work_tree.join(rel)).ok()?;
        Some(CodeOwners::parse(
            &text,
            work_tree,
            base,
            (*rel).to_string(),
        ))
    })
}

/// Links to the forge of `origin`'s repository at its HEAD commit.
fn links(work_tree: &Path, base: &Path) -> Option<Links> {
    let remote = repo::origin_url(work_tree)?;
    let rev = repo::head_commit(work_tree)?;
    let rel = base.strip_prefix(work_tree).ok()?;
    let mut prefix = display_path(rel);
    if prefix == "." {
        prefix.clear();
    } else {
        prefix.push('/');
    }
    Links::for_remote(&remote, &rev, prefix)
}

/// Runs `keysweep plan`.
pub fn run(args: PlanArgs) -> Result<Exit, Error> {
    let input = Input::Paths(args.paths.clone());
    let mut flags = tree_flags(&args.tree);
    flags.own_files = [&args.output, &args.output_full]
        .into_iter()
        .flatten()
        .filter(|p| p.as_os_str() != "-")
        .cloned()
        .collect();
    for out in &flags.own_files {
        super::output::refuse_input_as_output(
            Some(out),
            args.paths
                .iter()
                .chain(&args.tree.config.config)
                .chain(&args.tree.rules.rules),
        )?;
    }
    let settings = input.settings(&flags)?;
    let Scanned { out, origin } = input.scan(&settings)?;
    let (mut findings, _) = suppress::partition(out.findings);
    let renames = crate::fix::prepare(settings.scanner.rules(), &mut findings, &out.refs);
    let mut plan = Plan::build(
        &findings,
        &settings.scanner.rules().meta(),
        &out.stats,
        &renames,
    );
    let work_tree = repo::work_tree(&origin);
    if let Some(co) = work_tree.as_deref().and_then(|w| codeowners(w, &origin)) {
        plan.assign_owners(&findings, &co);
    }
    let file = |p: &Option<PathBuf>| p.as_ref().filter(|p| p.as_os_str() != "-").cloned();
    let full_file = file(&args.output_full);
    let opts = MarkdownOptions {
        max_chars: (!args.full).then_some(args.max_chars),
        links: if args.no_links {
            None
        } else {
            work_tree.as_deref().and_then(|w| links(w, &origin))
        },
        full_hint: full_file
            .as_ref()
            .map(|f| format!("the full plan is in `{}`", display_path(f))),
    };
    if let Some(f) = &full_file {
        let full = MarkdownOptions {
            max_chars: None,
            ..opts.clone()
        };
        write_output(Some(f), |w| match args.format {
            PlanFormat::Markdown => plan.write_markdown_with(w, &full),
            PlanFormat::Json => plan.write_json(w),
        })?;
    }
    write_output(file(&args.output).as_deref(), |w| match args.format {
        PlanFormat::Markdown => plan.write_markdown_with(w, &opts),
        PlanFormat::Json => plan.write_json(w),
    })?;
    Ok(Exit::Clean)
}
