//! Parses arbitrary text as keysweep.toml and, when it is valid, applies it to
//! the default rule pack (severity overrides, disabled rules, allowlists) and
//! builds its exclude matcher; when it is not, renders every diagnostic (spans
//! into the text). Nothing may panic. The file lives in a directory that does
//! not exist, so relative `rules` paths resolve to nothing on any machine.

#![no_main]

use keysweep::config::Config;
use keysweep::rules::{RuleSet, RuleSource};
use libfuzzer_sys::fuzz_target;
use std::path::Path;
use std::sync::OnceLock;

fn pack() -> &'static RuleSet {
    static PACK: OnceLock<RuleSet> = OnceLock::new();
    PACK.get_or_init(|| RuleSet::load(RuleSource::defaults()).expect("default pack loads"))
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let file = Path::new("/nonexistent-keysweep-fuzz/keysweep.toml");
    match Config::parse(file, &text) {
        Ok(cfg) => {
            let mut rules = pack().clone();
            if let Err(e) = cfg.apply_to_rules(&mut rules) {
                let _ = format!("{:?}", miette::Report::new(e));
            }
            let _ = cfg.root_ignore();
        }
        Err(e) => {
            let _ = format!("{:?}", miette::Report::new(e));
        }
    }
});
