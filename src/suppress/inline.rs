//! Inline ignore directives: comments on a finding's own source line that
//! accept it. keysweep's own form is `keysweep:ignore` (every rule) or
//! `keysweep:ignore[rule-a, rule-b]` (only those rules); the forms users
//! already have in their code for other scanners are honoured too:
//! `gitleaks:allow`, detect-secrets' `pragma: allowlist secret` and
//! `trufflehog:ignore`.
//!
//! Parsing is a pure function of the raw line bytes; the scanner calls it for
//! the lines that carry a finding, and [`super::apply`] decides what it means.
//! A directive does not have to be inside a comment: the marker anywhere on
//! the line is enough, as with gitleaks.

use crate::finding::Directive;
use memchr::memmem;

const KEYSWEEP: &str = "keysweep:ignore";
/// Peer markers, as written. Matching is case-sensitive, like the peers.
const PEERS: &[&str] = &["gitleaks:allow", "trufflehog:ignore"];
const PRAGMA: &str = "pragma: allowlist secret";

/// Parses the directive on one raw source line, if any.
///
/// A malformed `keysweep:ignore[...` (no closing bracket, or an empty list) is
/// not a directive: a typo must not silence more than was meant.
pub fn parse(line: &[u8]) -> Option<Directive> {
    if let Some(d) = parse_keysweep(line) {
        return Some(d);
    }
    for marker in PEERS {
        if let Some(pos) = memmem::find(line, marker.as_bytes()) {
            if !continues_word(line, pos + marker.len()) {
                return Some(Directive {
                    marker,
                    rules: Vec::new(),
                });
            }
        }
    }
    if is_pragma(line) {
        return Some(Directive {
            marker: PRAGMA,
            rules: Vec::new(),
        });
    }
    None
}

/// True when the byte at `end` continues an identifier (`keysweep:ignored`,
/// `gitleaks:allowed` are not directives).
fn continues_word(line: &[u8], end: usize) -> bool {
    line.get(end)
        .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-')
}

fn parse_keysweep(line: &[u8]) -> Option<Directive> {
    let mut rules: Vec<String> = Vec::new();
    let mut all = false;
    let mut found = false;
    for pos in memmem::find_iter(line, KEYSWEEP.as_bytes()) {
        let rest = &line[pos + KEYSWEEP.len()..];
        if let Some(list) = rest.strip_prefix(b"[") {
            let Some(close) = memchr::memchr(b']', list) else {
                continue;
            };
            let ids: Vec<String> = String::from_utf8_lossy(&list[..close])
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
            if ids.is_empty() {
                continue;
            }
            found = true;
            rules.extend(ids);
        } else if !continues_word(line, pos + KEYSWEEP.len()) {
            found = true;
            all = true;
        }
    }
    if !found {
        return None;
    }
    if all {
        rules.clear();
    } else {
        rules.sort();
        rules.dedup();
    }
    Some(Directive {
        marker: KEYSWEEP,
        rules,
    })
}

/// detect-secrets accepts `pragma: allowlist secret`, with or without the
/// space after the colon and with `-` instead of the second space, and the
/// older `whitelist` spelling.
fn is_pragma(line: &[u8]) -> bool {
    let Some(pos) = memmem::find(line, b"pragma:") else {
        return false;
    };
    let mut rest = &line[pos + b"pragma:".len()..];
    while let Some(r) = rest.strip_prefix(b" ") {
        rest = r;
    }
    let Some(rest) = rest
        .strip_prefix(b"allowlist")
        .or_else(|| rest.strip_prefix(b"whitelist"))
    else {
        return false;
    };
    let Some(rest) = rest.strip_prefix(b" ").or_else(|| rest.strip_prefix(b"-")) else {
        return false;
    };
    rest.starts_with(b"secret")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(line: &str) -> Option<Vec<String>> {
        parse(line.as_bytes()).map(|d| d.rules)
    }

    #[test]
    fn keysweep_forms() {
        assert_eq!(rules("KEY=abc # keysweep:ignore"), Some(vec![]));
        assert_eq!(
            rules("KEY=abc // keysweep:ignore[b-rule, a-rule]"),
            Some(vec!["a-rule".to_string(), "b-rule".to_string()])
        );
        // A bare directive anywhere on the line widens a scoped one.
        assert_eq!(
            rules("x # keysweep:ignore[a] keysweep:ignore"),
            Some(vec![])
        );
        assert_eq!(rules("KEY=abc"), None);
    }

    #[test]
    fn malformed_or_longer_words_are_not_directives() {
        assert_eq!(rules("x # keysweep:ignore[unclosed"), None);
        assert_eq!(rules("x # keysweep:ignore[ ]"), None);
        assert_eq!(rules("x # keysweep:ignored"), None);
        assert_eq!(rules("x # gitleaks:allowed"), None);
        assert_eq!(rules("x # pragma: allowlist"), None);
    }

    #[test]
    fn peer_forms() {
        for line in [
            "k = 'v' # gitleaks:allow",
            "k = 'v'  # pragma: allowlist secret",
            "k = 'v'  # pragma:allowlist-secret",
            "k = 'v'  # pragma: whitelist secret",
            "k: v # trufflehog:ignore",
        ] {
            let d = parse(line.as_bytes()).unwrap_or_else(|| panic!("{line}"));
            assert!(d.rules.is_empty());
            assert!(d.covers("any-rule"));
        }
        assert_eq!(
            parse(b"# gitleaks:allow").map(|d| d.marker),
            Some("gitleaks:allow")
        );
    }

    #[test]
    fn scoped_directive_covers_only_its_rules() {
        let d = parse(b"# keysweep:ignore[a]").unwrap();
        assert!(d.covers("a"));
        assert!(!d.covers("b"));
    }
}
