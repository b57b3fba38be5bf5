//! Redaction by value: which byte ranges of a file's lines are printed
//! masked. Every occurrence of every secret value found in the file is
//! masked, not only the range a rule reported, and so are literal values
//! after credential-like names and Auth Token look-alikes on the lines that
//! are shown (rules without a secret group still show their line).

use crate::util::redact::{credential_literals, merge, token_shapes};
use aho_corasick::{AhoCorasick, MatchKind};
use std::collections::BTreeSet;
use std::ops::Range;

/// Values shorter than this are masked where they were found but not
/// searched for elsewhere on the line (a two-letter value would mask half of
/// every line).
pub const MIN_SEARCHED_VALUE: usize = 4;

/// The sorted, disjoint ranges of `content` to mask in snippets of the given
/// `lines` (the lines findings are shown on, each `line_bounds` of a
/// finding): the `secrets` rules reported, credential literals and token
/// look-alikes on those lines, and every further occurrence on them of any
/// of these values. One pass per line, whatever the number of values.
pub fn redaction_ranges(
    content: &[u8],
    lines: &[Range<usize>],
    secrets: &[Range<usize>],
) -> Vec<Range<usize>> {
    let mut ranges: Vec<Range<usize>> = secrets.to_vec();
    for l in lines {
        let line = &content[l.clone()];
        for r in credential_literals(line)
            .into_iter()
            .chain(token_shapes(line))
        {
            ranges.push(l.start + r.start..l.start + r.end);
        }
    }
    let values: BTreeSet<&[u8]> = ranges
        .iter()
        .map(|r| &content[r.clone()])
        .filter(|v| v.len() >= MIN_SEARCHED_VALUE)
        .collect();
    if !values.is_empty() {
        if let Ok(ac) = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(values)
        {
            for l in lines {
                for m in ac.find_iter(&content[l.clone()]) {
                    ranges.push(l.start + m.start()..l.start + m.end());
                }
            }
        }
    }
    merge(ranges)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_occurrence_of_a_found_value_is_masked() {
        let text = b"KEY=4dR9xK2pQz # was 4dR9xK2pQz, localstack-api-key: Zq8mN3vL7w\n";
        let line = 0..text.len() - 1;
        let secret = 4..14;
        let r = redaction_ranges(text, &[line], std::slice::from_ref(&secret));
        let shown: Vec<&[u8]> = r.iter().map(|r| &text[r.clone()]).collect();
        assert_eq!(
            shown,
            [&b"4dR9xK2pQz"[..], &b"4dR9xK2pQz"[..], &b"Zq8mN3vL7w"[..]]
        );
    }
}
