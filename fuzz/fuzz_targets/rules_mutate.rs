//! Structure-aware variant of `rules_load`: splices fuzzer bytes into one field
//! of a valid rule file (regex, keywords, kinds, paths, checksum, examples...),
//! so that most inputs get past the TOML parser and reach the checks and the
//! regex compiler. The first byte picks the field.

#![no_main]

use keysweep::rules::{RuleSet, RuleSource};
use libfuzzer_sys::fuzz_target;

const TEMPLATE: &str = r#"
[defs]
d = '''@DEF@'''

[[rule]]
id = "@ID@"
title = "t"
description = "d"
severity = "@SEV@"
kinds = ["@KIND@"]
paths = ["@PATH@"]
keywords = ["@KW@"]
regex = '''@RE@'''
checksum = "@CK@"
min_entropy = 1.5
allow = ['''@ALLOW@''']
must_match = ["@EX@"]

[rule.migration]
summary = "s"
"#;

const DEFAULTS: [(&str, &str); 10] = [
    ("@DEF@", "[a-z]{4}"),
    ("@ID@", "fuzz.rule"),
    ("@SEV@", "high"),
    ("@KIND@", "dotenv"),
    ("@PATH@", "**/*.env"),
    ("@KW@", "key="),
    ("@RE@", "KEY=(?P<secret>(?&d)[0-9]{6})"),
    ("@CK@", "localstack-auth-token"),
    ("@ALLOW@", "^xxxx"),
    ("@EX@", "KEY=abcd123456"),
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    // Keep the value inside a TOML string: drop quotes that would end it early
    // (the raw-TOML target covers broken syntax).
    let value: String = String::from_utf8_lossy(rest)
        .chars()
        .filter(|c| !matches!(c, '\'' | '"' | '\\' | '\n' | '\r'))
        .collect();
    let field = selector as usize % DEFAULTS.len();
    let mut text = TEMPLATE.to_string();
    for (i, (marker, default)) in DEFAULTS.iter().enumerate() {
        text = text.replace(marker, if i == field { &value } else { default });
    }
    let source = RuleSource {
        name: "fuzz.toml".into(),
        text,
    };
    if let Ok(rules) = RuleSet::load(vec![source]) {
        let scanner =
            keysweep::scan::Scanner::unjudged(rules, keysweep::scan::ScanOptions::default());
        let _ = keysweep::selftest::check(&scanner);
    }
});
