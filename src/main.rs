//! The keysweep command line: parse, run, map the outcome to an exit code.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match keysweep::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help/version to stdout with success, usage errors to stderr.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    if !reads_named_files_only(&cli) {
        alloc::return_freed_pages_at_once();
    }
    let code = match keysweep::app::run(cli) {
        Ok(exit) => exit as u8,
        Err(e) => {
            eprintln!("{:?}", miette::Report::new(e));
            keysweep::app::Exit::Error as u8
        }
    };
    exit_now(code)
}

/// Ends the process once `run` is done. Everything it opened is flushed
/// and closed by then, so only standard output is flushed here; the C exit
/// handlers are skipped: mimalloc's would return every freed page to the
/// system first, and that made a 5-file scan about 4% slower.
fn exit_now(code: u8) -> ExitCode {
    use std::io::Write;
    // As at a normal exit, a closed stdout is not an error of its own here.
    let _ = std::io::stdout().flush();
    #[cfg(unix)]
    // SAFETY: `_exit` ends the process at once; no other thread is doing
    // anything whose result is still needed (every worker has been joined).
    unsafe {
        libc::_exit(i32::from(code))
    }
    #[cfg(not(unix))]
    ExitCode::from(code)
}

/// Whether the run reads only files named on its command line (or the
/// index, or standard input), as a pre-commit hook's does: it is over in
/// milliseconds.
fn reads_named_files_only(cli: &keysweep::cli::Cli) -> bool {
    match &cli.command {
        keysweep::cli::Command::Scan(a) => {
            !a.history.history
                && (a.staged || a.paths.iter().all(|p| p.as_os_str() == "-" || p.is_file()))
        }
        _ => false,
    }
}

/// The allocator: mimalloc where it is built (see Cargo.toml), else the
/// system's.
#[cfg(all(
    feature = "mimalloc",
    not(all(target_arch = "aarch64", target_env = "musl"))
))]
mod alloc {
    #[global_allocator]
    static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

    /// `mi_option_purge_delay` in mimalloc.h (v2 and v3): the crate exports
    /// the options around it (14 and 16) but not this one.
    const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

    /// mimalloc keeps freed pages for a while (1 s in v3) before returning
    /// them to the system. A walk frees whole file buffers on every worker,
    /// and that delay showed as 85 MB peak RSS on the bench tree against
    /// 44–54 MB with none, at the same speed. A short run keeps the delay:
    /// purging at once made a 5-file scan about 1 ms slower, all of it in
    /// page faults.
    pub fn return_freed_pages_at_once() {
        // SAFETY: sets a process-wide option before any other thread
        // exists; mimalloc reads options atomically.
        unsafe {
            libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0);
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn the_purge_delay_option_is_the_one_set() {
            // SAFETY: reads and sets an option; no memory is handed over.
            let (before, after) = unsafe {
                let before = libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY);
                return_freed_pages_at_once();
                (
                    before,
                    libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY),
                )
            };
            // v3's default (options.c), unless the environment overrides it:
            // a wrong index would read another option's value.
            if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
                assert_eq!(before, 1000);
            }
            assert_eq!(after, 0);
        }
    }
}

/// The system allocator needs no tuning.
#[cfg(not(all(
    feature = "mimalloc",
    not(all(target_arch = "aarch64", target_env = "musl"))
)))]
mod alloc {
    pub fn return_freed_pages_at_once() {}
}
