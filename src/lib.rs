//! keysweep finds LocalStack legacy credentials (developer API keys, CI keys),
//! leaked Auth Tokens and deprecated authentication patterns in a tree, and
//! says for each finding how to migrate.
//!
//! The pipeline is a chain of narrow layers:
//!
//! ```text
//! source (tree walk | staged blobs | stdin | history blobs → items)
//!   → scan (read, keyword gate, rules → findings; the judge marks inline
//!     and allowlist suppressions)
//!   → suppress (baseline → kept + suppressed, each with its reason)
//!   → report (human | json | sarif) | fix | plan
//! ```
//!
//! Rules are data (`rules/*.toml`, embedded at build time, extensible with
//! `--rules`); see [`rules`]. Team settings come from keysweep.toml
//! ([`config`]); flags and the config meet once, in [`app::settings`], which
//! builds the one [`scan::Scanner`] every command uses. The CLI in `main.rs`
//! only parses arguments and calls [`app::run`].
//!
//! Modules may only use modules of lower layers; `tests/it/layers.rs`
//! enforces the order (leaf first):
//!
//! | layer | modules |
//! |---|---|
//! | 0 | `util`, `kind`, `context` |
//! | 1 | `error`, `finding` |
//! | 2 | `rules` |
//! | 3 | `suppress` |
//! | 4 | `source` |
//! | 5 | `scan` |
//! | 6 | `report`, `fix`, `selftest` |
//! | 7 | `plan` |
//! | 8 | `config` |
//! | 9 | `cli` |
//! | 10 | `app` |
//!
//! The library API is what the command line needs and the tests use; it is
//! not a stable interface for other crates.

#![warn(missing_docs)]

pub mod app;
pub mod cli;
pub mod config;
pub mod context;
pub mod error;
pub mod finding;
pub mod fix;
pub mod kind;
pub mod plan;
pub mod report;
pub mod rules;
pub mod scan;
pub mod selftest;
pub mod source;
pub mod suppress;
pub mod util;

pub use app::{run, Exit};
