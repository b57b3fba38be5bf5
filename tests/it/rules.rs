//! The rule pack: every rule's examples pass through the real scanner, and
//! broken rule files are reported precisely.

use crate::util::*;

#[test]
fn default_pack_examples_all_pass() {
    let o = run(&["rules", "check"]);
    assert_eq!(
        code(&o),
        0,
        "rules check failed:\n{}{}",
        stdout(&o),
        stderr(&o)
    );
    assert!(stdout(&o).contains("rules OK"), "{}", stdout(&o));
}

#[test]
fn every_rule_file_on_disk_is_embedded() {
    let mut on_disk: Vec<String> = std::fs::read_dir(root().join("rules"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    on_disk.sort();
    let embedded: Vec<String> = keysweep::rules::embedded::DEFAULT_RULES
        .iter()
        .map(|(n, _)| n.to_string())
        .collect();
    assert_eq!(on_disk, embedded);
}
