//! Scans arbitrary bytes with the default rule pack, as a file of a kind
//! picked by the first byte, through the same classification (binary, BOM,
//! UTF-16) the file reader uses. Checks the invariants every reporter relies
//! on: positions inside the content, ordered, and highlights inside snippets.

#![no_main]

use keysweep::kind::FileKind;
use keysweep::rules::RuleSet;
use keysweep::scan::{read, ScanOptions, Scanner};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

/// The default pack, redacting (`show` false) or showing secrets.
fn scanner(show: bool) -> &'static Scanner {
    static HIDE: OnceLock<Scanner> = OnceLock::new();
    static SHOW: OnceLock<Scanner> = OnceLock::new();
    (if show { &SHOW } else { &HIDE }).get_or_init(|| {
        let rules =
            RuleSet::load(keysweep::rules::RuleSource::defaults()).expect("default pack loads");
        Scanner::unjudged(
            rules,
            ScanOptions {
                show_secrets: show,
                ..ScanOptions::default()
            },
        )
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let kind = FileKind::ALL[selector as usize % FileKind::ALL.len()];
    let path = format!("fuzz/input.{}", kind.as_str());
    let Ok(loaded) = read::classify(bytes, bytes.len() as u64) else {
        return;
    };
    let content = loaded.content(bytes);
    let show = selector & 0x80 != 0;
    let scan = scanner(show).scan_bytes(&path, kind, content);
    for f in &scan.findings {
        let l = &f.location;
        assert!(l.byte_start <= l.byte_end && l.byte_end <= content.len());
        assert!(l.line >= 1 && l.column >= 1 && l.end_line >= l.line);
        assert!(l.end_line > l.line || l.end_column > l.column);
        let chars = f.snippet.text.chars().count();
        assert!(f.snippet.highlight_len >= 1);
        assert!(f.snippet.highlight_start <= chars);
        if let Some(s) = &f.secret {
            assert_eq!(s.is_exposed(), show);
        }
    }
});
