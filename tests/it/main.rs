//! keysweep's integration tests: one test binary, one module per concern.

mod util;

mod action;
mod fix;
mod formats;
mod history;
mod hygiene;
mod layers;
mod migration;
mod props;
mod release;
mod reports;
mod robust;
mod rules;
mod scan;
mod security;
mod workflow;
