//! `keysweep fix`: rewrite what rules declare safe, as a diff or in place.

use super::exit::Exit;
use super::input::{Input, Scanned};
use super::output::{color_env, write_output};
use super::settings::Flags;
use crate::cli::{FixArgs, TreeArgs};
use crate::error::Error;
use crate::fix;
use crate::suppress;
use std::io::IsTerminal;

/// The flags of the scan behind `fix`, `plan` and `baseline`.
pub(super) fn tree_flags(tree: &TreeArgs) -> Flags {
    Flags {
        rules: tree.rules.rules.clone(),
        no_default_rules: tree.rules.no_default_rules,
        config: tree.config.config.clone(),
        no_config: tree.config.no_config,
        no_ignore: tree.no_ignore,
        max_file_size: tree.max_file_size,
        threads: tree.threads,
        ..Flags::default()
    }
}

/// Runs `keysweep fix`.
pub fn run(args: FixArgs) -> Result<Exit, Error> {
    let input = Input::Paths(args.paths.clone());
    let settings = input.settings(&tree_flags(&args.tree))?;
    let Scanned { out, origin } = input.scan(&settings)?;
    // Findings accepted inline or by the allowlist are left alone (baselines
    // only gate `scan`).
    let (mut findings, _) = suppress::partition(out.findings);
    let plan = fix::prepare(settings.scanner.rules(), &mut findings, &out.refs);
    let mut opts = fix::FixOptions {
        write: args.write,
        max_file_size: args.tree.max_file_size,
        ..Default::default()
    };
    if args.rename_secrets {
        opts.opt_ins.insert(fix::rename::RENAME_SECRETS.to_string());
    }
    let results = fix::fix_all(&settings.scanner, &findings, &origin, &opts);
    let color = args
        .color
        .resolve(std::io::stdout().is_terminal(), color_env());
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
    fix::write_summary(&mut e, &results, &findings, &opts, &plan)
        .map_err(|err| Error::output("stderr", err))?;
    let refused = results.iter().any(|r| r.outcome.is_err());
    Ok(if refused { Exit::Findings } else { Exit::Clean })
}
