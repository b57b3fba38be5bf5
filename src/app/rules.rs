//! `keysweep rules list` and `keysweep rules check`.

use super::exit::Exit;
use super::output::write_output;
use super::settings::{Flags, Settings};
use crate::cli::{ListFormat, RuleArgs};
use crate::config::Config;
use crate::error::{Error, RuleErrors};
use crate::selftest;
use std::path::Path;

/// Rule commands read no keysweep.toml: they describe the rule files given.
fn settings(args: &RuleArgs) -> Result<Settings, Error> {
    let flags = Flags {
        rules: args.rules.clone(),
        no_default_rules: args.no_default_rules,
        rule_examples: true,
        no_config: true,
        ..Flags::default()
    };
    Settings::with_config(&flags, Config::none(Path::new(".")))
}

/// Runs `keysweep rules list`.
pub fn list(format: ListFormat, args: &RuleArgs) -> Result<Exit, Error> {
    let settings = settings(args)?;
    let meta = settings.scanner.rules().meta();
    write_output(None, |w| match format {
        ListFormat::Table => {
            let width = meta.iter().map(|r| r.id.len()).max().unwrap_or(0);
            for r in &meta {
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
            // Through a JSON value, so keys come out sorted.
            let list = serde_json::to_value(&meta)?;
            serde_json::to_writer_pretty(&mut *w, &list)?;
            w.write_all(b"\n")
        }
    })?;
    Ok(Exit::Clean)
}

/// Runs `keysweep rules check`.
pub fn check(args: &RuleArgs) -> Result<Exit, Error> {
    let settings = settings(args)?;
    let problems = selftest::check(&settings.scanner);
    if !problems.is_empty() {
        return Err(Error::Rules(RuleErrors { problems }));
    }
    let rules = settings.scanner.rules();
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
