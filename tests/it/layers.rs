//! The module layering of `src/`, enforced: a top-level module may only use
//! modules of strictly lower layers (the table in `src/lib.rs` and
//! ARCHITECTURE.md). Reads every source file up to its `#[cfg(test)]`
//! module, skips comments and attribute arguments (miette's
//! `code(keysweep::rule)` is a string, not a path), collects `crate::x` and
//! `super::` paths and maps each to its top-level module.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Leaf first; a module may use only modules on earlier rows.
const LAYERS: &[&[&str]] = &[
    &["util", "kind", "context"],
    &["error", "finding"],
    &["rules"],
    &["suppress"],
    &["source"],
    &["scan"],
    &["report", "fix"],
    &["plan", "selftest"],
    &["config"],
    &["cli"],
    &["app"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|row| row.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src is readable") {
        let p = entry.expect("dir entry").path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// Source text without comments, attributes and the test module.
fn code_of(text: &str) -> String {
    let text = match text.find("#[cfg(test)]") {
        Some(i) => &text[..i],
        None => text,
    };
    let mut out = String::new();
    for line in text.lines() {
        let line = match line.find("//") {
            Some(i) => &line[..i],
            None => line,
        };
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[") || trimmed.starts_with("#![") {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The module path segments of a file below `src/`: `src/scan/engine.rs` →
/// `[scan, engine]`, `src/scan/mod.rs` → `[scan]`, `src/lib.rs` → `[]`.
fn module_of(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .with_extension("")
        .iter()
        .map(|c| c.to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    parts
}

/// Top-level modules a file's code refers to.
fn uses(module: &[String], code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let bytes = code.as_bytes();
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    for start in ["crate::", "super::"] {
        let mut from = 0;
        while let Some(i) = code[from..].find(start) {
            let at = from + i;
            from = at + start.len();
            if at > 0 && (is_ident(bytes[at - 1]) || bytes[at - 1] == b':') {
                continue;
            }
            let head = code[at..]
                .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .next()
                .unwrap_or("");
            let prefix: Vec<&str> = head.split("::").filter(|s| !s.is_empty()).collect();
            // `use crate::{a::X, b}` names several modules at once.
            let mut paths: Vec<Vec<&str>> = Vec::new();
            if head.ends_with("::") && code[at + head.len()..].starts_with('{') {
                let group = &code[at + head.len() + 1..];
                let end = group.find('}').unwrap_or(group.len());
                for item in group[..end].split(',') {
                    let first = item.trim().split("::").next().unwrap_or("").trim();
                    if !first.is_empty() && first != "self" {
                        let mut p = prefix.clone();
                        p.push(first);
                        paths.push(p);
                    }
                }
            } else {
                paths.push(prefix);
            }
            for path in paths {
                let Some(top) = resolve(module, &path) else {
                    continue;
                };
                if layer_of(&top).is_some() {
                    out.insert(top);
                }
            }
        }
    }
    out
}

/// The top-level module a `crate::…` or `super::…` path leads to.
fn resolve(module: &[String], path: &[&str]) -> Option<String> {
    let abs: Vec<String> = if path.first() == Some(&"crate") {
        path[1..].iter().map(|s| s.to_string()).collect()
    } else {
        // `super` from a file's module; a directory module's mod.rs is the
        // module itself.
        let mut base: Vec<String> = module.to_vec();
        let mut rest = path;
        while rest.first() == Some(&"super") {
            base.pop();
            rest = &rest[1..];
        }
        base.extend(rest.iter().map(|s| s.to_string()));
        base
    };
    abs.into_iter().next()
}

/// Every (module → used module) edge of the crate, with the file it is in.
fn edges(src: &Path) -> BTreeMap<(String, String), BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut edges: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for f in files {
        let rel = f.strip_prefix(src).expect("below src");
        if rel == Path::new("main.rs") || rel == Path::new("lib.rs") {
            continue;
        }
        let module = module_of(rel);
        let top = module[0].clone();
        let text = std::fs::read_to_string(&f).expect("source is UTF-8");
        for used in uses(&module, &code_of(&text)) {
            if used != top {
                edges
                    .entry((top.clone(), used))
                    .or_default()
                    .insert(rel.display().to_string());
            }
        }
    }
    edges
}

fn violations(src: &Path) -> Vec<String> {
    let mut bad = Vec::new();
    for ((from, to), files) in edges(src) {
        match (layer_of(&from), layer_of(&to)) {
            (Some(a), Some(b)) if b < a => {}
            (None, _) => bad.push(format!(
                "module `{from}` is in no layer (add it to LAYERS in tests/it/layers.rs and the table in src/lib.rs)"
            )),
            _ => bad.push(format!(
                "`{from}` must not use `{to}` (a same or higher layer), in {}",
                files.into_iter().collect::<Vec<_>>().join(", ")
            )),
        }
    }
    bad
}

#[test]
fn modules_only_use_lower_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let bad = violations(&src);
    assert!(bad.is_empty(), "layering violations:\n{}", bad.join("\n"));
    // Every top-level module is in the table.
    for entry in std::fs::read_dir(&src).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_stem().unwrap().to_string_lossy().into_owned();
        if name == "main" || name == "lib" {
            continue;
        }
        assert!(layer_of(&name).is_some(), "module `{name}` is in no layer");
    }
}

#[test]
fn a_back_edge_is_caught() {
    // A copy of src/ with one upward `use` must fail the check.
    let dir = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    for f in &files {
        let to = dir.path().join(f.strip_prefix(&src).unwrap());
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(f, &to).unwrap();
    }
    assert!(violations(dir.path()).is_empty());
    let finding = dir.path().join("finding.rs");
    let text = std::fs::read_to_string(&finding).unwrap();
    std::fs::write(&finding, format!("use crate::report::Format;\n{text}")).unwrap();
    let bad = violations(dir.path());
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert!(
        bad[0].contains("`finding` must not use `report`"),
        "{bad:?}"
    );
    // A miette code is not an import, and neither is a comment.
    std::fs::write(
        &finding,
        format!("#[diagnostic(code(crate::app::x))]\n// crate::app::y\n{text}"),
    )
    .unwrap();
    assert!(violations(dir.path()).is_empty());
    // `super::super::` from a nested file reaches the crate root.
    let engine = dir.path().join("scan/engine.rs");
    let text = std::fs::read_to_string(&engine).unwrap();
    std::fs::write(&engine, format!("use super::super::app::Exit;\n{text}")).unwrap();
    let bad = violations(dir.path());
    assert!(
        bad.iter().any(|b| b.contains("`scan` must not use `app`")),
        "{bad:?}"
    );
}
