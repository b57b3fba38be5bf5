//! Embeds every `rules/*.toml` file in the binary. Generating the list here
//! (instead of a hand-kept `include_str!` list) means a new rule file cannot be
//! forgotten; `rerun-if-changed` on the directory makes cargo notice new files.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;

fn main() {
    let dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("set by cargo")).join("rules");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .expect("rules/ directory must exist")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    let mut out = String::from("/// Default rule pack: (file name, contents), sorted by name.\npub const DEFAULT_RULES: &[(&str, &str)] = &[\n");
    for f in &files {
        let name = f.file_name().expect("file").to_string_lossy();
        writeln!(
            out,
            "    ({name:?}, include_str!({:?})),",
            f.display().to_string()
        )
        .expect("write");
    }
    out.push_str("];\n");
    let dest = PathBuf::from(env::var("OUT_DIR").expect("set by cargo")).join("embedded_rules.rs");
    fs::write(dest, out).expect("write embedded rule list");
}
