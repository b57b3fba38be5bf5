//! Where reports go: a file or standard output, with a closed pipe treated
//! as the reader having seen enough (ripgrep's behaviour), not an error.

use crate::error::Error;
use crate::report::ColorEnv;
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
                "{} is written by this run but is also an input of it ({}); choose another file",
                out.display(),
                input.display()
            )));
        }
    }
    Ok(())
}

/// The colour conventions of this process's environment: `NO_COLOR` and
/// `CLICOLOR_FORCE` count when set and not empty (read with anstyle-query,
/// as clap does), `FORCE_COLOR` when set to anything but empty, `0` or
/// `false`, and `TERM=dumb` turns automatic colour off.
pub fn color_env() -> ColorEnv {
    let force_color = std::env::var("FORCE_COLOR")
        .is_ok_and(|v| !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false"));
    ColorEnv {
        no_color: anstyle_query::no_color(),
        force: anstyle_query::clicolor_force() || force_color,
        dumb_term: std::env::var_os("TERM").is_some_and(|t| t == "dumb"),
    }
}

/// The width of the terminal on stdout (or stderr), else the report default.
pub fn terminal_width() -> usize {
    terminal_size::terminal_size_of(std::io::stdout())
        .or_else(|| terminal_size::terminal_size_of(std::io::stderr()))
        .map_or(crate::report::human::DEFAULT_WIDTH, |(w, _)| {
            usize::from(w.0).max(40)
        })
}
