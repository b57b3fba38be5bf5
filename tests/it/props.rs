//! Property tests: the scanner, the reader's encoding detection, redaction and
//! rule loading on generated input. They run in `cargo test` with a modest
//! number of cases (the whole module stays within a few seconds in a debug
//! build); `PROPTEST_CASES=20000 cargo test --release --test it props` runs a
//! long campaign. The cargo-fuzz targets in `fuzz/` cover the same surfaces
//! with coverage guidance. Inputs that once failed are kept as plain tests at
//! the bottom of this file.

use keysweep::finding::{redact, secret_hash};
use keysweep::kind::{self, FileKind};
use keysweep::rules::{RuleSet, RuleSource};
use keysweep::scan::{location, read, ScanOptions, Scanner};
use proptest::prelude::*;
use std::sync::OnceLock;

/// The default pack in a scanner that redacts (`show` false) or shows secrets.
fn pack(show: bool) -> &'static Scanner {
    static HIDE: OnceLock<Scanner> = OnceLock::new();
    static SHOW: OnceLock<Scanner> = OnceLock::new();
    (if show { &SHOW } else { &HIDE }).get_or_init(|| {
        let rules = RuleSet::load(RuleSource::defaults()).expect("default pack loads");
        Scanner::unjudged(
            rules,
            ScanOptions {
                show_secrets: show,
                ..ScanOptions::default()
            },
        )
    })
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        // An explicit PROPTEST_CASES (a long run) wins over the quick default.
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(cases),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Scans `content` as `kind` and checks the invariants reporters rely on.
fn scan_checked(content: &[u8], kind: FileKind, show: bool) -> Vec<keysweep::finding::Finding> {
    let path = format!("dir/file.{}", kind.as_str());
    let scan = pack(show).scan_bytes(&path, kind, content);
    let mut prev = None;
    for f in &scan.findings {
        let l = &f.location;
        assert!(
            l.byte_start <= l.byte_end && l.byte_end <= content.len(),
            "{l:?}"
        );
        assert!(
            l.line >= 1 && l.column >= 1 && l.end_line >= l.line,
            "{l:?}"
        );
        assert!(l.end_line > l.line || l.end_column > l.column, "{l:?}");
        let line = 1 + content[..l.byte_start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        assert_eq!(l.line, line);
        let chars = f.snippet.text.chars().count();
        assert!(f.snippet.highlight_len >= 1 && f.snippet.highlight_start <= chars);
        assert!(!f.snippet.text.contains(['\n', '\r', '\x1b']));
        if let Some(s) = &f.secret {
            assert_eq!(s.is_exposed(), show);
        }
        let key = (l.line, l.column);
        if let Some(p) = prev {
            assert!(p <= key, "findings out of order");
        }
        prev = Some(key);
    }
    scan.findings
}

/// A checksum-valid Auth Token (format of fixtures/tools/lstoken.py).
fn token_strategy() -> impl Strategy<Value = String> {
    (
        prop_oneof![Just("ls-"), Just("lsci-")],
        "[a-zA-Z]{4}[a-zA-Z0-9]{4}-[a-zA-Z0-9]{4}-[a-zA-Z0-9]{4}-[a-zA-Z0-9]{4}-[a-zA-Z0-9]{8}",
    )
        .prop_map(|(prefix, payload)| {
            use md5::{Digest, Md5};
            let sum = format!("{:x}", Md5::digest(payload.as_bytes()));
            format!("{prefix}{payload}{}", &sum[..4])
        })
}

/// Noise that cannot spell a token or a keyword by itself.
fn noise() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        prop_oneof![
            Just(b' '),
            Just(b'\n'),
            Just(b'\r'),
            Just(b'\t'),
            Just(b'='),
            Just(b'#'),
            Just(0xFFu8),
            Just(0xC3u8),
            Just(0x80u8),
            b'0'..=b'9',
        ],
        0..400,
    )
}

fn kind_strategy() -> impl Strategy<Value = FileKind> {
    (0..FileKind::ALL.len()).prop_map(|i| FileKind::ALL[i])
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn arbitrary_bytes_scan_without_panics(
        bytes in proptest::collection::vec(any::<u8>(), 0..2048),
        kind in kind_strategy(),
        show in any::<bool>(),
    ) {
        scan_checked(&bytes, kind, show);
        // Through the reader's classification too (BOMs, UTF-16 decoding).
        if let Ok(loaded) = read::classify(&bytes, bytes.len() as u64) {
            scan_checked(loaded.content(&bytes), kind, show);
        }
    }

    #[test]
    fn text_with_keywords_scans_without_panics(
        parts in proptest::collection::vec(
            prop_oneof![
                Just("LOCALSTACK_API_KEY".to_string()),
                Just("LOCALSTACK_AUTH_TOKEN".to_string()),
                Just("localstack/localstack-pro".to_string()),
                Just("localstack auth login".to_string()),
                Just("ls-".to_string()),
                Just("lsci-".to_string()),
                Just("=".to_string()),
                Just(": ".to_string()),
                Just("\n".to_string()),
                Just("\r\n".to_string()),
                Just("\"".to_string()),
                Just("${{ secrets.X }}".to_string()),
                "[a-zA-Z0-9_-]{1,12}",
                token_strategy(),
            ],
            0..40,
        ),
        kind in kind_strategy(),
    ) {
        scan_checked(parts.concat().as_bytes(), kind, false);
    }

    #[test]
    fn snippets_never_show_a_secret(
        left in "[a-z =]{0,300}",
        right in "[a-z =]{0,300}",
        secrets in proptest::collection::vec("[A-Z0-9]{7,40}", 1..4),
    ) {
        let mut line = left.clone();
        let mut ranges = Vec::new();
        for s in &secrets {
            let start = line.len();
            line.push_str(s);
            ranges.push(start..line.len());
            line.push_str(" x ");
        }
        line.push_str(&right);
        let text = format!("first\n{line}\nlast");
        let offset = "first\n".len();
        let ranges: Vec<_> = ranges.iter().map(|r| r.start + offset..r.end + offset).collect();
        for focus in &ranges {
            let snip = location::snippet(text.as_bytes(), focus.clone(), &ranges, false);
            for s in &secrets {
                // Redaction keeps at most four characters of a value.
                for w in s.as_bytes().windows(5) {
                    let w = std::str::from_utf8(w).unwrap();
                    prop_assert!(!snip.text.contains(w), "{} in {}", w, snip.text);
                }
            }
            let chars = snip.text.chars().count();
            prop_assert!(snip.highlight_start + snip.highlight_len <= chars + 1);
        }
    }

    #[test]
    fn utf16_and_utf8_bom_decode_to_the_original_text(text in any::<String>()) {
        let mut le = vec![0xFF, 0xFE];
        let mut be = vec![0xFE, 0xFF];
        for u in text.encode_utf16() {
            le.extend(u.to_le_bytes());
            be.extend(u.to_be_bytes());
        }
        for bytes in [le, be] {
            let loaded = read::classify(&bytes, bytes.len() as u64).unwrap();
            prop_assert_eq!(loaded.content(&bytes), text.as_bytes());
        }
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(text.as_bytes());
        if !text.as_bytes()[..text.len().min(8192 - 3)].contains(&0) {
            let loaded = read::classify(&bom, bom.len() as u64).unwrap();
            prop_assert_eq!(loaded.content(&bom), text.as_bytes());
        }
    }

    #[test]
    fn redaction_never_returns_the_value(value in "[^*]{1,80}") {
        let r = redact(&value);
        prop_assert!(!r.contains(&value), "{} -> {}", value, r);
        prop_assert!(r.chars().filter(|&c| c == '*').count() <= 6);
    }
}

proptest! {
    // The slowest property (every token rule runs on each case, ~75 ms in a
    // debug build), hence a lower default case count.
    #![proptest_config(config(48))]

    #[test]
    fn planted_tokens_are_found_and_never_printed(
        before in noise(),
        after in noise(),
        token in token_strategy(),
    ) {
        let mut content = before.clone();
        content.extend_from_slice(b"\nLOCALSTACK_AUTH_TOKEN=");
        content.extend_from_slice(token.as_bytes());
        content.push(b'\n');
        content.extend_from_slice(&after);
        let findings = scan_checked(&content, kind::classify("app/.env"), false);
        let line = 2 + before.iter().filter(|&&b| b == b'\n').count();
        let hash = secret_hash(&token);
        prop_assert!(
            findings.iter().any(|f| f.location.line == line
                && f.secret.as_ref().is_some_and(|s| s.hash() == hash)),
            "token on line {} not found: {:?}", line, findings
        );
        // No five consecutive characters of the secret body leak anywhere.
        let body = &token[token.find('-').unwrap() + 1..];
        for f in &findings {
            // What reporters print: the snippet and the secret's display form.
            let shown = format!(
                "{} {}",
                f.snippet.text,
                f.secret.as_ref().map_or("", |s| s.display())
            );
            for w in body.as_bytes().windows(5) {
                let w = std::str::from_utf8(w).unwrap();
                prop_assert!(!shown.contains(w), "`{}` of the token leaks: {}", w, shown);
            }
        }
    }
}

/// A valid rule with one field replaced by `value` (cf. fuzz/rules_mutate).
fn rule_with(field: usize, value: &str) -> String {
    let fields = [
        ("@SEV@", "high"),
        ("@KIND@", "dotenv"),
        ("@PATH@", "**/*.env"),
        ("@KW@", "key="),
        ("@RE@", "KEY=(?P<secret>(?&d)[0-9]{6})"),
        ("@DEF@", "[a-z]{4}"),
        ("@ALLOW@", "^xxxx"),
        ("@EX@", "KEY=abcd123456"),
        ("@ID@", "prop.rule"),
    ];
    let mut text = r#"
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
min_entropy = 1.5
allow = ['''@ALLOW@''']
must_match = [{ text = "@EX@", path = "a/.env" }]

[rule.migration]
summary = "s"
"#
    .to_string();
    for (i, (marker, default)) in fields.iter().enumerate() {
        text = text.replace(
            marker,
            if i == field % fields.len() {
                value
            } else {
                default
            },
        );
    }
    text
}

fn load_and_check(text: &str) {
    let source = RuleSource {
        name: "prop.toml".into(),
        text: text.to_string(),
    };
    match RuleSet::load(vec![source]) {
        Ok(rules) => {
            let _ = keysweep::selftest::check(&Scanner::unjudged(rules, ScanOptions::default()));
        }
        Err(e) => {
            assert!(!e.problems.is_empty());
            for p in &e.problems {
                // Rendering walks the span into the source: must not panic.
                let _ = format!("{:?}", miette::Report::new(p.clone()));
            }
        }
    }
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn arbitrary_rule_text_loads_or_fails_cleanly(text in "\\PC{0,400}") {
        load_and_check(&text);
    }

    #[test]
    fn mutated_rule_fields_load_or_fail_cleanly(
        field in 0usize..9,
        value in "[^'\"\\\\\n\r]{0,60}",
    ) {
        load_and_check(&rule_with(field, &value));
    }

    #[test]
    fn regex_fragments_in_rules_load_or_fail_cleanly(
        value in proptest::collection::vec(
            prop_oneof![
                Just("("), Just(")"), Just("(?&d)"), Just("(?&"), Just("(?P<secret>"),
                Just("{"), Just("}"), Just("{1000}"), Just("+"), Just("*"), Just("?"),
                Just("["), Just("]"), Just("\\b"), Just("."), Just("|"), Just("a"),
                Just("(?s)"), Just("^"), Just("$"), Just("\\p{L}"), Just("\\x"),
            ],
            0..20,
        ),
    ) {
        load_and_check(&rule_with(4, &value.concat()));
    }
}

/// The template itself is a valid rule (otherwise the mutation properties
/// would only ever test the error path).
#[test]
fn rule_template_is_valid() {
    let text = rule_with(0, "high");
    let rules = RuleSet::load(vec![RuleSource {
        name: "prop.toml".into(),
        text,
    }])
    .unwrap_or_else(|e| panic!("{:?}", miette::Report::new(e)));
    assert!(
        keysweep::selftest::check(&Scanner::unjudged(rules, ScanOptions::default())).is_empty()
    );
}

/// keysweep.toml with one value replaced by `value` (cf. fuzz/config_load).
fn config_with(field: usize, value: &str) -> String {
    let fields = [
        ("@DIS@", "localstack.cli.login"),
        ("@SEVID@", "localstack.cli.logout"),
        ("@SEV@", "low"),
        ("@EXCL@", "vendor/**"),
        ("@VAL@", "^test$"),
        ("@ARULE@", "localstack.api-key.leaked"),
        ("@AVAL@", "^0000"),
        ("@FAIL@", "high"),
        ("@FMT@", "json"),
    ];
    let mut text = r#"
disabled_rules = ["@DIS@"]
exclude = ["@EXCL@"]
fail_on = "@FAIL@"
format = "@FMT@"

[severity]
"@SEVID@" = "@SEV@"

[allowlist]
values = ['''@VAL@''']
rules = { "@ARULE@" = ['''@AVAL@'''] }
"#
    .to_string();
    for (i, (marker, default)) in fields.iter().enumerate() {
        text = text.replace(
            marker,
            if i == field % fields.len() {
                value
            } else {
                default
            },
        );
    }
    text
}

fn parse_config(text: &str) {
    // A directory that does not exist: relative paths resolve to nothing.
    let file = std::path::Path::new("/nonexistent-keysweep-props/keysweep.toml");
    match keysweep::config::Config::parse(file, text) {
        Ok(cfg) => {
            let mut rules = pack(false).rules().clone();
            if let Err(e) = cfg.apply_to_rules(&mut rules) {
                let _ = format!("{:?}", miette::Report::new(e));
            }
            let _ = cfg.root_ignore();
        }
        Err(e) => {
            let _ = format!("{:?}", miette::Report::new(e));
        }
    }
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn arbitrary_config_text_parses_or_fails_cleanly(text in "\\PC{0,300}") {
        parse_config(&text);
    }

    #[test]
    fn mutated_config_values_parse_or_fail_cleanly(
        field in 0usize..9,
        value in "[^'\"\\\\\n\r]{0,40}",
    ) {
        parse_config(&config_with(field, &value));
    }
}

/// The config template is valid as written, so the mutations above start
/// from a config that reaches every check.
#[test]
fn config_template_is_valid() {
    let file = std::path::Path::new("/nonexistent-keysweep-props/keysweep.toml");
    let cfg = keysweep::config::Config::parse(file, &config_with(0, "localstack.cli.login"))
        .unwrap_or_else(|e| panic!("{:?}", miette::Report::new(e)));
    let mut rules = pack(false).rules().clone();
    cfg.apply_to_rules(&mut rules)
        .unwrap_or_else(|e| panic!("{:?}", miette::Report::new(e)));
}
