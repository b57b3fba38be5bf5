//! Loads arbitrary text as a rule file and, when it loads, runs every example
//! through the scanner as `keysweep rules check` does, then scans the text
//! itself with the resulting rules; when it does not, renders every
//! diagnostic (spans into the text). Neither may panic, hang or blow up memory.

#![no_main]

use keysweep::kind;
use keysweep::rules::{RuleSet, RuleSource};
use keysweep::scan::{ScanOptions, Scanner};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    let source = RuleSource {
        name: "fuzz.toml".into(),
        text,
    };
    match RuleSet::load(vec![source.clone()]) {
        Ok(rules) => {
            let scanner = Scanner::unjudged(rules, ScanOptions::default());
            let _ = keysweep::selftest::check(&scanner);
            let path = "fuzz/input.env";
            let _ = scanner.scan_bytes(path, kind::classify(path), source.text.as_bytes());
        }
        Err(errors) => {
            // Rendering the diagnostics (spans into the file) must work too.
            for p in &errors.problems {
                let _ = format!("{:?}", miette::Report::new(p.clone()));
            }
        }
    }
});
