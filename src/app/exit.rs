//! The exit status of a run.

/// Process exit status of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Nothing at or above the threshold.
    Clean = 0,
    /// Findings at or above the threshold, or a refused fix.
    Findings = 1,
    /// Usage, configuration or rule error.
    Error = 2,
}
