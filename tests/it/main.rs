//! keysweep's integration tests: one test binary, one module per concern.

mod util;

mod fix;
mod formats;
mod history;
mod hygiene;
mod layers;
mod props;
mod robust;
mod rules;
mod scan;
mod security;
mod workflow;
