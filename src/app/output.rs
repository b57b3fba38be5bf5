//! Where reports go: a file or standard output, with a closed pipe treated
//! as the reader having seen enough (ripgrep's behaviour), not an error.

use crate::error::Error;
use std::io::Write;
use std::path::Path;

/// Writes to `path` (created or truncated) or stdout. A closed stdout pipe
/// (`keysweep scan | head`) is not an error.
pub fn write_output(
    path: Option<&Path>,
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
        Err(e) => Err(Error::output(
            path.map_or_else(|| "stdout".to_string(), |p| p.display().to_string()),
            e,
        )),
        Ok(()) => Ok(()),
    }
}

/// Whether `NO_COLOR` asks for no colour.
pub fn no_color_env() -> bool {
    std::env::var_os("NO_COLOR").is_some()
}
