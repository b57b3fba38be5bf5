//! What keysweep tells a person on stderr about a scan, as opposed to the
//! report itself: the live progress line of long scans and the `--verbose`
//! details (rules loaded, every skipped path, timing).
//!
//! The scanner only bumps relaxed atomic counters ([`Counters`]), once per
//! file; a separate thread ([`Progress`]) reads them and redraws one line
//! (with indicatif) at most [`REDRAWS_PER_SECOND`] times a second. Progress is shown only when
//! stderr is a terminal, `CI` is unset and `--quiet` is not given, so it never
//! ends up in redirected output or CI logs. Nothing here ever sees a secret:
//! counters are numbers, and skip details are paths and OS errors.

use crate::finding::ScanStats;
use crate::rules::RuleSet;
use crate::scan::progress::{Counters, Snapshot};
use crate::scan::ScanOutput;
use crate::util::text::{human_bytes, plural};
use std::io::Write;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// Upper bound on progress redraws per second.
pub const REDRAWS_PER_SECOND: u64 = 10;

/// Whether to show progress: never with `--quiet`, never when stderr is not a
/// terminal, never when the `CI` variable is set (to anything: CI systems set
/// it, and some of them give jobs a pseudo-terminal).
pub fn progress_wanted(quiet: bool, stderr_is_terminal: bool, ci_set: bool) -> bool {
    !quiet && stderr_is_terminal && !ci_set
}

/// [`progress_wanted`] for this process.
pub fn progress_wanted_here(quiet: bool) -> bool {
    use std::io::IsTerminal;
    progress_wanted(
        quiet,
        std::io::stderr().is_terminal(),
        std::env::var_os("CI").is_some(),
    )
}

/// The progress line for a snapshot (no `\r`, no padding).
pub fn progress_line(s: &Snapshot) -> String {
    format!(
        "keysweep: scanning… {} file{}, {}, {} finding{}, {} skipped",
        s.files,
        plural(s.files),
        human_bytes(s.bytes),
        s.findings,
        plural(s.findings),
        s.skipped
    )
}

/// A running progress display; [`Progress::finish`] (or drop) erases it.
/// Drawing is indicatif's: it fits the line to the terminal's width (a
/// narrow terminal gets a cut line, never a wrapped one that cannot be
/// erased) and clears it with the terminal's erase sequence.
pub struct Progress {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<std::thread::JoinHandle<()>>,
    bar: indicatif::ProgressBar,
}

impl Progress {
    /// Starts redrawing the progress line of `counters` on stderr. The first
    /// line is drawn at once, then at most [`REDRAWS_PER_SECOND`] times a second.
    pub fn start(counters: Arc<Counters>) -> Progress {
        let target = indicatif::ProgressDrawTarget::stderr_with_hz(REDRAWS_PER_SECOND as u8);
        let bar = indicatif::ProgressBar::with_draw_target(None, target);
        bar.set_style(
            indicatif::ProgressStyle::default_spinner()
                .template("{wide_msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        // The first line is drawn here, not by the thread, so that it appears
        // (and is erased) even when the scan ends before the thread runs.
        bar.set_message(progress_line(&counters.snapshot()));
        bar.tick();
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let flag = Arc::clone(&stop);
        let drawn = bar.clone();
        let thread = std::thread::Builder::new()
            .name("keysweep-progress".into())
            .spawn(move || redraw_loop(&counters, &flag, &drawn))
            .ok();
        if thread.is_none() {
            // No thread, no redraws: erase the line now rather than leave it.
            bar.finish_and_clear();
        }
        Progress { stop, thread, bar }
    }

    /// Stops the display and erases its line.
    pub fn finish(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        let (lock, cvar) = &*self.stop;
        // A poisoned lock means the drawing thread panicked; setting the flag
        // is still the right thing to do.
        *lock.lock().unwrap_or_else(|p| p.into_inner()) = true;
        cvar.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        if !self.bar.is_finished() {
            self.bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

fn redraw_loop(counters: &Counters, stop: &(Mutex<bool>, Condvar), bar: &indicatif::ProgressBar) {
    let interval = Duration::from_millis(1000 / REDRAWS_PER_SECOND);
    let (lock, cvar) = stop;
    let mut stopped = lock.lock().unwrap_or_else(|p| p.into_inner());
    while !*stopped {
        stopped = match cvar.wait_timeout(stopped, interval) {
            Ok((guard, _)) => guard,
            Err(p) => p.into_inner().0,
        };
        if !*stopped {
            bar.set_message(progress_line(&counters.snapshot()));
        }
    }
    drop(stopped);
    bar.finish_and_clear();
}

/// Writes the `--verbose` details of a finished scan: rule sources, every
/// skipped path with its reason and detail, and timing. Paths ignored by
/// ignore files are only counted (they can be many thousands).
pub fn write_verbose(
    w: &mut dyn Write,
    rules: &RuleSet,
    out: &ScanOutput,
    walk_and_scan: Duration,
) -> std::io::Result<()> {
    let files: Vec<&str> = {
        let mut f: Vec<&str> = rules.sources().iter().map(|s| s.name.as_str()).collect();
        f.dedup();
        f
    };
    writeln!(
        w,
        "keysweep: {} rule{} from {} file{}: {}",
        rules.rules().len(),
        plural(rules.rules().len()),
        files.len(),
        plural(files.len()),
        files.join(", ")
    )?;
    for s in &out.skipped {
        writeln!(
            w,
            "keysweep: skipped {} ({}): {}",
            s.path,
            s.reason.as_str(),
            s.detail
        )?;
    }
    // Every mention that is not a finding, and why: what a reviewer checks
    // when a line they expected to see is not reported.
    for m in &out.silent {
        writeln!(
            w,
            "keysweep: silent {}:{} ({}): {}",
            crate::util::term::quote_path(&m.path),
            m.line,
            m.entity,
            m.reason
                .as_deref()
                .unwrap_or("UNCLASSIFIED: no rule or reason applies")
        )?;
    }
    let listed = out.silent.len() as u64;
    let silent: u64 = out
        .stats
        .mentions
        .values()
        .map(|m| m.silent.values().sum::<u64>() + m.unclassified)
        .sum();
    if silent > listed {
        writeln!(
            w,
            "keysweep: {} more silent mention(s) not listed",
            silent - listed
        )?;
    }
    write_timing(w, &out.stats, walk_and_scan)
}

fn write_timing(w: &mut dyn Write, stats: &ScanStats, elapsed: Duration) -> std::io::Result<()> {
    let secs = elapsed.as_secs_f64();
    let rate = if secs > 0.0 {
        stats.bytes_scanned as f64 / secs
    } else {
        0.0
    };
    let skipped: u64 = stats.skipped.values().sum();
    writeln!(
        w,
        "keysweep: {} file{} scanned, {} path{} skipped, {} in {:.3} s ({}/s)",
        stats.files_scanned,
        plural(stats.files_scanned),
        skipped,
        plural(skipped),
        human_bytes(stats.bytes_scanned),
        secs,
        human_bytes(rate as u64)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_only_on_an_interactive_terminal() {
        assert!(progress_wanted(false, true, false));
        assert!(!progress_wanted(true, true, false), "--quiet silences it");
        assert!(!progress_wanted(false, false, false), "not a terminal");
        assert!(!progress_wanted(false, true, true), "CI is set");
    }

    #[test]
    fn progress_line_says_files_bytes_and_findings() {
        let line = progress_line(&Snapshot {
            files: 1,
            bytes: 2048,
            findings: 3,
            skipped: 0,
        });
        assert!(line.contains("1 file,"), "{line}");
        assert!(line.contains("3 findings"), "{line}");
        assert!(!line.contains('\r') && !line.contains('\n'));
    }
}
