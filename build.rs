//! Embeds every `rules/*.toml` file in the binary. Generating the list here
//! (instead of a hand-kept `include_str!` list) means a new rule file cannot be
//! forgotten; `rerun-if-changed` on the directory makes cargo notice new files.
//!
//! Each file is embedded twice: as written (for `keysweep rules` and the
//! tests, which run every example) and with its example arrays blanked out
//! (for scans, which never read them). Blanking keeps every byte offset and
//! line, so spans and rule lines are the same in both; the examples are about
//! 30% of the pack's text and most of its inline tables, so a scan parses
//! a third less. `rules::tests` checks that both copies hold the same rules.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;

/// Keys whose arrays hold examples (rules and entities).
const EXAMPLE_KEYS: &[&str] = &["must_match", "must_not_match", "must_be_silent"];

fn main() {
    let dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("set by cargo")).join("rules");
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("set by cargo"));
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .expect("rules/ directory must exist")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    let mut out = String::from("/// Default rule pack: (file name, contents), sorted by name.\npub const DEFAULT_RULES: &[(&str, &str)] = &[\n");
    let mut scan = String::from("/// The default pack with its example arrays blanked out (same offsets).\npub const DEFAULT_RULES_FOR_SCANNING: &[(&str, &str)] = &[\n");
    for f in &files {
        let name = f.file_name().expect("file").to_string_lossy();
        writeln!(
            out,
            "    ({name:?}, include_str!({:?})),",
            f.display().to_string()
        )
        .expect("write");
        let text = fs::read_to_string(f).expect("rule files are UTF-8");
        let blanked = out_dir.join(format!("scan-{name}"));
        fs::write(&blanked, blank_examples(&text)).expect("write blanked rule file");
        writeln!(
            scan,
            "    ({name:?}, include_str!({:?})),",
            blanked.display().to_string()
        )
        .expect("write");
    }
    out.push_str("];\n");
    scan.push_str("];\n");
    out.push_str(&scan);
    fs::write(out_dir.join("embedded_rules.rs"), out).expect("write embedded rule list");
}

/// `text` with every top-level `KEY = [ … ]` of [`EXAMPLE_KEYS`] replaced by
/// spaces, newlines kept. Strings (basic, literal, multi-line) and comments
/// are skipped while the brackets are counted.
fn blank_examples(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = b.to_vec();
    let mut line_start = 0;
    while line_start < b.len() {
        let line_end = b[line_start..]
            .iter()
            .position(|&c| c == b'\n')
            .map_or(b.len(), |i| line_start + i);
        let line = &text[line_start..line_end];
        let key = EXAMPLE_KEYS.iter().find(|k| {
            line.strip_prefix(**k)
                .map(|r| r.trim_start_matches([' ', '\t']))
                .and_then(|r| r.strip_prefix('='))
                .is_some_and(|r| r.trim_start_matches([' ', '\t']).starts_with('['))
        });
        if key.is_none() {
            line_start = line_end + 1;
            continue;
        }
        let open = line_start + line.find('[').expect("checked above");
        let end = array_end(b, open);
        for c in &mut out[line_start..end] {
            if *c != b'\n' {
                *c = b' ';
            }
        }
        line_start = end;
    }
    String::from_utf8(out).expect("only ASCII bytes were replaced by spaces")
}

/// The offset just past the `]` closing the array opened at `open`.
fn array_end(b: &[u8], open: usize) -> usize {
    let mut depth = 0usize;
    let mut i = open;
    while i < b.len() {
        let rest = &b[i..];
        if rest.starts_with(b"'''") || rest.starts_with(b"\"\"\"") {
            let quote = &rest[..3];
            let mut j = i + 3;
            while j < b.len() && !b[j..].starts_with(quote) {
                if quote[0] == b'"' && b[j] == b'\\' {
                    j += 1;
                }
                j += 1;
            }
            // A multi-line string may end with up to two more quotes.
            i = j + 3;
            while i < b.len() && b[i] == quote[0] {
                i += 1;
            }
            continue;
        }
        match b[i] {
            q @ (b'"' | b'\'') => {
                let mut j = i + 1;
                while j < b.len() && b[j] != q && b[j] != b'\n' {
                    if q == b'"' && b[j] == b'\\' {
                        j += 1;
                    }
                    j += 1;
                }
                i = j + 1;
            }
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'[' => {
                depth += 1;
                i += 1;
            }
            b']' => {
                depth -= 1;
                i += 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => i += 1,
        }
    }
    panic!("unclosed example array in a rule file");
}
