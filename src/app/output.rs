//! Where reports go: a file or standard output, with a closed pipe treated
//! as the reader having seen enough (ripgrep's behaviour), not an error.

use crate::error::Error;
use std::io::Write;
use std::path::Path;

/// Writes to `path` (atomically: temporary file + rename) or stdout. A closed stdout pipe
/// (`keysweep scan | head`) is not an error.
pub fn write_output(
    path: Option<&Path>,
    f: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), Error> {
    let result = match path {
        // Temporary file + rename: a failed or interrupted write leaves the
        // previous file intact.
        Some(p) => crate::util::fs::write_atomic(p, f),
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

/// Refuses an output file that is also one of the run's inputs (a scanned
/// file, the config, a rule file, the baseline): writing it would destroy
/// what is being read.
pub fn refuse_input_as_output(
    output: Option<&Path>,
    inputs: impl IntoIterator<Item = impl AsRef<Path>>,
) -> Result<(), Error> {
    let Some(out) = output else {
        return Ok(());
    };
    for input in inputs {
        let input = input.as_ref();
        if crate::util::fs::same_file(out, input) {
            return Err(Error::Usage(format!(
                "--output {} is also an input of this run ({}); choose another file",
                out.display(),
                input.display()
            )));
        }
    }
    Ok(())
}

/// Whether `NO_COLOR` asks for no colour.
pub fn no_color_env() -> bool {
    std::env::var_os("NO_COLOR").is_some()
}
