//! `keysweep init`: write the commented starter keysweep.toml.

use super::exit::Exit;
use crate::cli::InitArgs;
use crate::config;
use crate::error::Error;

/// Runs `keysweep init`.
pub fn run(args: InitArgs) -> Result<Exit, Error> {
    if args.path.exists() && !args.force {
        return Err(Error::Usage(format!(
            "{} already exists; use --force to overwrite it",
            args.path.display()
        )));
    }
    crate::util::fs::write_atomic(&args.path, |w| w.write_all(config::STARTER.as_bytes()))
        .map_err(|e| Error::output(args.path.display(), e))?;
    eprintln!("keysweep: wrote {}", args.path.display());
    Ok(Exit::Clean)
}
