//! Text that looks like a credential, wherever it appears: literal values
//! assigned to credential-like names (`*_KEY`, `*_TOKEN`, `*_SECRET`,
//! `*PASSWORD*`, `api-key:` inputs, …) and strings shaped like a LocalStack
//! Auth Token. Used to redact snippets, diffs and commit summaries by value,
//! beyond the values rules report. Pure functions over bytes.

use std::ops::Range;
use std::sync::LazyLock;

/// Last name segments (after `_`, `-` or `.`) that make a name credential-like.
const CREDENTIAL_SUFFIXES: &[&str] = &[
    "key",
    "apikey",
    "token",
    "authtoken",
    "secret",
    "password",
    "passwd",
    "pwd",
    "credential",
    "credentials",
];

/// Values after a credential-like name that are not secrets.
const NOT_SECRETS: &[&str] = &["test", "true", "false", "null", "none", "nil", "~"];

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')
}

/// Whether `name` (an identifier such as `LOCALSTACK_CI_KEY` or
/// `localstack-api-key`) names a credential.
pub fn is_credential_name(name: &[u8]) -> bool {
    let lower = String::from_utf8_lossy(name).to_ascii_lowercase();
    let lower = lower.trim_start_matches('-');
    if lower.contains("password") || lower.contains("passwd") {
        return true;
    }
    lower
        .rsplit(['_', '-', '.'])
        .find(|s| !s.is_empty())
        .is_some_and(|last| CREDENTIAL_SUFFIXES.contains(&last))
}

/// Byte ranges in `text` of literal values assigned to credential-like
/// names: `NAME=value`, `NAME: value`, `"NAME": "value"`, `NAME := value`.
/// References (`$VAR`, `${{ secrets.X }}`, `{{ .Values.x }}`, `%VAR%`,
/// `<placeholder>`) and a few harmless words (`test`, `true`, …) are not
/// values.
pub fn credential_literals(text: &[u8]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < text.len() {
        if !is_name_byte(text[i]) || (i > 0 && is_name_byte(text[i - 1])) {
            i += 1;
            continue;
        }
        let start = i;
        while i < text.len() && is_name_byte(text[i]) {
            i += 1;
        }
        let name = &text[start..i];
        if !is_credential_name(name) {
            continue;
        }
        if let Some(v) = value_after(text, i) {
            i = v.end.max(i);
            out.push(v);
        }
    }
    out
}

/// The literal value after a name ending at `at`, if there is one.
fn value_after(text: &[u8], at: usize) -> Option<Range<usize>> {
    let mut j = at;
    if j < text.len() && matches!(text[j], b'"' | b'\'' | b'`') {
        j += 1;
    }
    while j < text.len() && matches!(text[j], b' ' | b'\t') {
        j += 1;
    }
    match text.get(j) {
        Some(b'=') => j += 1,
        Some(b':') if text.get(j + 1) != Some(&b':') => {
            j += 1;
            // `:=` assigns; `${NAME:-x}` and `${NAME:+x}` expand to a value;
            // `${NAME:?text}` is the error message shown when NAME is unset.
            match text.get(j) {
                Some(b'?') => return None,
                Some(b'=' | b'-' | b'+') => j += 1,
                _ => {}
            }
        }
        _ => return None,
    }
    if text.get(j) == Some(&b'=') {
        // `==` compares, it does not assign.
        return None;
    }
    while j < text.len() && matches!(text[j], b' ' | b'\t') {
        j += 1;
    }
    let quote = match text.get(j) {
        Some(&q @ (b'"' | b'\'' | b'`')) => {
            j += 1;
            Some(q)
        }
        _ => None,
    };
    let start = j;
    while j < text.len() {
        let b = text[j];
        let stop = match quote {
            Some(q) => b == q || b == b'\n' || b == b'\r',
            None => {
                b.is_ascii_whitespace()
                    || matches!(
                        b,
                        b'"' | b'\'' | b'`' | b',' | b';' | b')' | b'}' | b']' | b'>'
                    )
            }
        };
        if stop {
            break;
        }
        j += 1;
    }
    let value = &text[start..j];
    let first = *value.first()?;
    if matches!(first, b'$' | b'{' | b'%' | b'<' | b'#' | b'&' | b'*' | b'|') {
        return None;
    }
    let lower = String::from_utf8_lossy(value).to_ascii_lowercase();
    if NOT_SECRETS.contains(&lower.as_str()) {
        return None;
    }
    // `...`, `***`, `xxxx`: a placeholder, and masking it would hide that.
    if value
        .iter()
        .all(|b| matches!(b, b'.' | b'*' | b'x' | b'X' | b'-' | b'_'))
    {
        return None;
    }
    if quote.is_none() && is_expression(value) {
        return None;
    }
    Some(start..j)
}

/// Whether an unquoted value is code that computes the value rather than
/// the value itself: a call or index (`os.getenv(`, `cfg[`), or a short
/// dotted path of identifiers (`process.env.CI_KEY`, `var.localstack_api_key`,
/// `builtins.getEnv`). Credentials have no such shape (a JWT's first segment
/// is long base64).
fn is_expression(value: &[u8]) -> bool {
    if value.iter().any(|b| matches!(b, b'(' | b'[')) {
        return true;
    }
    let mut segments = value.split(|b| *b == b'.');
    let Some(first) = segments.next() else {
        return false;
    };
    let ident = |s: &[u8]| {
        s.first()
            .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
            && s.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
    };
    value.contains(&b'.')
        && first.len() <= 20
        && first.first().is_some_and(|b| b.is_ascii_lowercase())
        && ident(first)
        && segments.all(ident)
}

static TOKEN_SHAPE: LazyLock<Option<regex::bytes::Regex>> = LazyLock::new(|| {
    regex::bytes::Regex::new(
        r"ls[a-zA-Z]{0,8}-[a-zA-Z0-9]{8}-[a-zA-Z0-9]{4}-[a-zA-Z0-9]{4}-[a-zA-Z0-9]{4}-[a-zA-Z0-9]{12}",
    )
    .ok()
});

/// Byte ranges of strings shaped like a LocalStack Auth Token, whether or
/// not their checksum holds, glued to other text or not.
pub fn token_shapes(text: &[u8]) -> Vec<Range<usize>> {
    match TOKEN_SHAPE.as_ref() {
        Some(re) => re.find_iter(text).map(|m| m.range()).collect(),
        None => Vec::new(),
    }
}

/// Sorts `ranges` and merges overlapping or touching ones.
pub fn merge(mut ranges: Vec<Range<usize>>) -> Vec<Range<usize>> {
    ranges.retain(|r| r.start < r.end);
    ranges.sort_by_key(|r| (r.start, r.end));
    let mut out: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match out.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}

/// Replaces each of the (merged) `ranges` of `text` by `mask(original)`.
/// Ranges that do not fall on character boundaries are widened to them.
pub fn mask_ranges(text: &str, ranges: &[Range<usize>], mask: impl Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for r in merge(ranges.to_vec()) {
        let mut s = r.start.min(text.len());
        let mut e = r.end.min(text.len());
        while !text.is_char_boundary(s) {
            s -= 1;
        }
        while !text.is_char_boundary(e) {
            e += 1;
        }
        if s < at {
            s = at;
        }
        if s >= e {
            continue;
        }
        out.push_str(&text[at..s]);
        out.push_str(&mask(&text[s..e]));
        at = e;
    }
    out.push_str(&text[at..]);
    out
}

/// Candidate values in free text (a commit summary): maximal runs of bytes
/// that are not whitespace, quotes, brackets or separators, with their
/// ranges. Used to find known secrets by their hash.
pub fn words(text: &str) -> Vec<Range<usize>> {
    let sep = |c: char| {
        c.is_whitespace()
            || matches!(
                c,
                '"' | '\''
                    | '`'
                    | ','
                    | ';'
                    | '('
                    | ')'
                    | '['
                    | ']'
                    | '{'
                    | '}'
                    | '<'
                    | '>'
                    | '='
                    | ':'
                    | '|'
                    | '&'
            )
    };
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (sep(c), start) {
            (true, Some(s)) => {
                out.push(s..i);
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(s..text.len());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str) -> Vec<&str> {
        credential_literals(text.as_bytes())
            .into_iter()
            .map(|r| &text[r])
            .collect()
    }

    #[test]
    fn literals_after_credential_names() {
        assert_eq!(values("LOCALSTACK_CI_KEY=Zq8mN3vL7w"), ["Zq8mN3vL7w"]);
        assert_eq!(values("  localstack-api-key: 4dR9xK2pQz"), ["4dR9xK2pQz"]);
        assert_eq!(values(r#"{"LSTK_AUTH_TOKEN": "abc123def"}"#), ["abc123def"]);
        assert_eq!(values("`LOCALSTACK_API_KEY=4dR9xK2pQz`"), ["4dR9xK2pQz"]);
        assert_eq!(values("DB_PASSWORD='hunter 2'"), ["hunter 2"]);
        assert_eq!(values("export A_SECRET := s3cr3t;"), ["s3cr3t"]);
        assert!(values("LOCALSTACK_API_KEY=${LOCALSTACK_API_KEY}").is_empty());
        assert!(values("key: ${{ secrets.LOCALSTACK_API_KEY }}").is_empty());
        assert!(values("LOCALSTACK_API_KEY=test").is_empty());
        assert!(values("if API_KEY == x").is_empty());
        assert!(values("monkey=banana").is_empty());
        assert!(values("LOCALSTACK_API_KEY").is_empty());
        // Code that computes the value is not the value.
        assert!(values("LOCALSTACK_KEY = os.getenv(\"LOCALSTACK_API_KEY\")").is_empty());
        assert!(values("process.env.LOCALSTACK_API_KEY = process.env.CI_KEY ?? \"\";").is_empty());
        assert!(values("LOCALSTACK_API_KEY = builtins.getEnv \"LOCALSTACK_API_KEY\";").is_empty());
        assert!(values("X=\"${LOCALSTACK_AUTH_TOKEN:-${LOCALSTACK_API_KEY:-}}\"").is_empty());
        assert!(values("api_key = var.localstack_api_key").is_empty());
        assert!(values("export LOCALSTACK_API_KEY=...").is_empty());
        assert!(values("LOCALSTACK_API_KEY: xxxxxxxxxx").is_empty());
        assert!(values(": \"${LOCALSTACK_API_KEY:?LOCALSTACK_API_KEY must be set}\"").is_empty());
        // Literals stay literals, dotted or not.
        assert_eq!(values("${LOCALSTACK_API_KEY:-4dR9xK2pQz}"), ["4dR9xK2pQz"]);
        assert_eq!(values("DB_PASSWORD=Hunter.Two"), ["Hunter.Two"]);
        assert_eq!(
            values("JWT_TOKEN=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.sig"),
            ["eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.sig"]
        );
    }

    #[test]
    fn token_shapes_anywhere() {
        let t = "x%3Dls-UjqfupmZ-WdMT-rruu-HDcN-a6UN6zPK44b9y";
        let r = token_shapes(t.as_bytes());
        assert_eq!(&t[r[0].clone()], "ls-UjqfupmZ-WdMT-rruu-HDcN-a6UN6zPK44b9");
    }

    #[test]
    fn masking_merges_and_respects_char_boundaries() {
        assert_eq!(merge(vec![5..7, 1..3, 2..4, 7..8]), vec![1..4, 5..8]);
        let r = 2..4;
        let s = mask_ranges("a=ünïcode b", std::slice::from_ref(&r), |_| "*".into());
        assert_eq!(s, "a=*nïcode b");
        assert_eq!(
            words("fix: key=abc (ls-x)"),
            vec![0..3, 5..8, 9..12, 14..18]
        );
    }
}
