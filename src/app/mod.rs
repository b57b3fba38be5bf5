//! The application layer: one module per command (`scan`, `fix`, `plan`,
//! `baseline`, `init`, `rules`), each turning its parsed arguments into
//! [`settings::Flags`], resolving [`settings::Settings`] once, and driving the
//! library. `main.rs` only parses the command line and calls [`run`].

pub mod baseline;
mod exit;
pub mod fix;
pub mod init;
pub mod input;
pub mod output;
pub mod plan;
pub mod progress;
mod repo;
pub mod rules;
pub mod scan;
pub mod settings;

pub use exit::Exit;

use crate::cli::{Cli, Command, RulesCommand};
use crate::error::Error;

/// Runs a parsed command line, writing reports to stdout or `--output`.
pub fn run(cli: Cli) -> Result<Exit, Error> {
    match cli.command {
        Command::Scan(args) => scan::run(args),
        Command::Fix(args) => fix::run(args),
        Command::Plan(args) => plan::run(args),
        Command::Baseline(args) => baseline::run(args),
        Command::Init(args) => init::run(args),
        Command::Rules(RulesCommand::List { format, rules }) => rules::list(format, &rules),
        Command::Rules(RulesCommand::Check { rules }) => rules::check(&rules),
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            output::write_output(None, |w| {
                clap_complete::generate(shell, &mut cmd, "keysweep", w);
                Ok(())
            })?;
            Ok(Exit::Clean)
        }
        Command::Man => {
            let cmd = <Cli as clap::CommandFactory>::command();
            output::write_output(None, |w| clap_mangen::Man::new(cmd).render(w))?;
            Ok(Exit::Clean)
        }
    }
}
