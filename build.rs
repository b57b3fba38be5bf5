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
//!
//! Scans do not even parse that copy: each file is also parsed here and
//! embedded as its values with their spans in a compact binary form
//! (`pack`), which `rules::packed` reads back into the spec types; its
//! tests check that every file reads as its TOML does.

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
    let mut packed = String::from("/// `DEFAULT_RULES_FOR_SCANNING`, parsed at build time (rules::packed), in the same order.\npub const DEFAULT_RULES_PACKED: &[&[u8]] = &[\n");
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
        let blanked_text = blank_examples(&text);
        fs::write(&blanked, &blanked_text).expect("write blanked rule file");
        writeln!(
            scan,
            "    ({name:?}, include_str!({:?})),",
            blanked.display().to_string()
        )
        .expect("write");
        let packed_path = out_dir.join(format!("scan-{name}.bin"));
        fs::write(&packed_path, pack(&blanked_text, &name)).expect("write packed rule file");
        writeln!(
            packed,
            "    include_bytes!({:?}),",
            packed_path.display().to_string()
        )
        .expect("write");
    }
    out.push_str("];\n");
    scan.push_str("];\n");
    packed.push_str("];\n");
    out.push_str(&scan);
    out.push_str(&packed);
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

/// `text` parsed and written in the compact form `rules::packed` reads:
/// every value is a tag byte, its span (two little-endian u32) and its
/// payload; strings and keys are a u32 length and UTF-8 bytes; arrays and
/// tables a u32 count and their items (a table item is its key, then its
/// value). Parsing TOML was the largest part of loading the pack.
fn pack(text: &str, name: &str) -> Vec<u8> {
    let doc = toml::de::DeTable::parse(text)
        .unwrap_or_else(|e| panic!("rules/{name} is not valid TOML: {e}"));
    let mut out = Vec::new();
    let span = doc.span();
    pack_table(doc.get_ref(), span, &mut out, name);
    out
}

fn pack_header(tag: u8, span: std::ops::Range<usize>, out: &mut Vec<u8>) {
    out.push(tag);
    for n in [span.start, span.end] {
        out.extend_from_slice(
            &u32::try_from(n)
                .expect("rule files are small")
                .to_le_bytes(),
        );
    }
}

fn pack_str(s: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(&u32::try_from(s.len()).expect("short").to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn pack_table(
    table: &toml::de::DeTable<'_>,
    span: std::ops::Range<usize>,
    out: &mut Vec<u8>,
    name: &str,
) {
    pack_header(6, span, out);
    out.extend_from_slice(&u32::try_from(table.len()).expect("short").to_le_bytes());
    for (k, v) in table {
        pack_str(k.get_ref(), out);
        pack_value(v, out, name);
    }
}

fn pack_value(v: &toml::Spanned<toml::de::DeValue<'_>>, out: &mut Vec<u8>, name: &str) {
    use toml::de::DeValue;
    let span = v.span();
    match v.get_ref() {
        DeValue::String(s) => {
            pack_header(0, span, out);
            pack_str(s, out);
        }
        DeValue::Integer(i) => {
            let digits = i.as_str().replace('_', "");
            let n = i64::from_str_radix(&digits, i.radix())
                .unwrap_or_else(|e| panic!("rules/{name}: integer {}: {e}", i.as_str()));
            pack_header(1, span, out);
            out.extend_from_slice(&n.to_le_bytes());
        }
        DeValue::Float(f) => {
            let x: f64 = f
                .as_str()
                .replace('_', "")
                .parse()
                .unwrap_or_else(|e| panic!("rules/{name}: float {}: {e}", f.as_str()));
            pack_header(2, span, out);
            out.extend_from_slice(&x.to_le_bytes());
        }
        DeValue::Boolean(b) => {
            pack_header(3, span, out);
            out.push(u8::from(*b));
        }
        DeValue::Datetime(_) => panic!("rules/{name}: rule files hold no dates"),
        DeValue::Array(items) => {
            pack_header(5, span, out);
            out.extend_from_slice(&u32::try_from(items.len()).expect("short").to_le_bytes());
            for item in items {
                pack_value(item, out, name);
            }
        }
        DeValue::Table(t) => pack_table(t, span, out, name),
    }
}
