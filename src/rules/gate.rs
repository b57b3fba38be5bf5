//! The keyword gate: which rules and entities have one of their keywords in
//! a buffer, compared ASCII-case-insensitively.
//!
//! Almost every file holds no keyword at all, so the gate is built for the
//! empty answer. Instead of one case-insensitive automaton over every
//! keyword (which no SIMD prefilter can serve, so it walks a DFA byte by
//! byte), it searches a few *anchors* in lowercased windows of the buffer
//! with a packed (Teddy) searcher:
//!
//! - keywords that contain another keyword need no anchor of their own: an
//!   occurrence of `localstack_api_key` holds one of `localstack`;
//! - every remaining keyword gets one anchor, a substring of at most
//!   [`ANCHOR_MAX`] bytes (an anchor another keyword already chose is
//!   shared);
//! - each anchor occurrence is checked against every keyword that contains
//!   the anchor, at every offset it has there, on the original bytes.
//!
//! Every occurrence of a keyword contains an occurrence of some anchor at a
//! known offset, and every anchor occurrence is visited (the search restarts
//! one byte after each match start, and all anchors starting there are
//! checked), so the gate opens exactly the slots a case-insensitive
//! substring search would. `tests` compare it with that reference.

use aho_corasick::packed;
use aho_corasick::{AhoCorasick, Input, MatchKind, Span};
use std::cell::RefCell;

/// Longest anchor, in bytes.
const ANCHOR_MAX: usize = 8;
/// Bytes lowercased and searched at a time (fits in L1 with the input).
const WINDOW: usize = 16 * 1024;

/// An anchor and where it sits in the keywords that contain it.
#[derive(Debug, Clone)]
struct Anchor {
    bytes: Vec<u8>,
    /// (keyword index, offset of the anchor in that keyword).
    sites: Vec<(usize, usize)>,
}

#[derive(Debug, Clone)]
enum Finder {
    Packed(packed::Searcher),
    Automaton(AhoCorasick),
}

impl Finder {
    /// Start of the leftmost anchor occurrence at or after `at`.
    fn find(&self, window: &[u8], at: usize) -> Option<usize> {
        match self {
            Finder::Packed(s) => s.find_in(window, Span::from(at..window.len())),
            Finder::Automaton(ac) => ac.find(Input::new(window).span(at..window.len())),
        }
        .map(|m| m.start())
    }
}

/// The compiled gate. Slots are opaque indices (the rule set numbers rules
/// first, then entities).
#[derive(Debug, Clone)]
pub(super) struct Gate {
    /// Distinct lowercase keywords.
    keywords: Vec<Vec<u8>>,
    /// Keyword index → slots it opens.
    slots: Vec<Vec<usize>>,
    anchors: Vec<Anchor>,
    finder: Finder,
    longest_anchor: usize,
    /// Bytes lowercased and searched at a time ([`WINDOW`]; tests use less).
    window: usize,
}

thread_local! {
    /// The lowercased window, reused across calls on one thread.
    static FOLDED: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

impl Gate {
    /// A gate for `keywords` (keyword → slots it opens); `None` when there
    /// are no keywords. Fails only when the fallback automaton cannot be
    /// built.
    pub(super) fn new(
        keywords: &[(String, Vec<usize>)],
    ) -> Result<Option<Gate>, aho_corasick::BuildError> {
        let mut words: Vec<Vec<u8>> = Vec::new();
        let mut slots: Vec<Vec<usize>> = Vec::new();
        for (k, s) in keywords {
            let k = k.as_bytes().to_ascii_lowercase();
            if k.is_empty() {
                continue;
            }
            match words.iter().position(|w| *w == k) {
                Some(i) => slots[i].extend(s),
                None => {
                    words.push(k);
                    slots.push(s.clone());
                }
            }
        }
        if words.is_empty() {
            return Ok(None);
        }
        let chosen = choose_anchors(&words);
        let anchors: Vec<Anchor> = chosen
            .into_iter()
            .map(|a| {
                let sites = words
                    .iter()
                    .enumerate()
                    .flat_map(|(ki, w)| {
                        let a = &a;
                        w.windows(a.len())
                            .enumerate()
                            .filter(move |(_, x)| *x == &a[..])
                            .map(move |(o, _)| (ki, o))
                    })
                    .collect();
                Anchor { bytes: a, sites }
            })
            .collect();
        let longest_anchor = anchors.iter().map(|a| a.bytes.len()).max().unwrap_or(1);
        let patterns: Vec<&[u8]> = anchors.iter().map(|a| a.bytes.as_slice()).collect();
        let packed = packed::Config::new()
            .match_kind(packed::MatchKind::LeftmostFirst)
            .builder()
            .extend(&patterns)
            .build();
        let finder = match packed {
            Some(s) => Finder::Packed(s),
            None => Finder::Automaton(
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostFirst)
                    .build(&patterns)?,
            ),
        };
        Ok(Some(Gate {
            keywords: words,
            slots,
            anchors,
            finder,
            longest_anchor,
            window: WINDOW,
        }))
    }

    /// Sets `active[s]` for every slot `s` one of whose keywords occurs in
    /// `haystack`. `remaining` counts the gated slots still inactive; the
    /// search stops once it reaches 0.
    pub(super) fn mark(&self, haystack: &[u8], active: &mut [bool], mut remaining: usize) {
        if remaining == 0 {
            return;
        }
        FOLDED.with(|cell| {
            let mut folded = cell.borrow_mut();
            let mut start = 0;
            while start < haystack.len() {
                // Anchors starting in [start, start + WINDOW) lie whole in the
                // window.
                let limit = (haystack.len() - start).min(self.window);
                let end = (start + limit + self.longest_anchor - 1).min(haystack.len());
                folded.clear();
                folded.extend(haystack[start..end].iter().map(u8::to_ascii_lowercase));
                let mut at = 0;
                while let Some(rel) = self.finder.find(&folded, at) {
                    if rel >= limit {
                        break;
                    }
                    self.check(
                        haystack,
                        &folded[rel..],
                        start + rel,
                        active,
                        &mut remaining,
                    );
                    if remaining == 0 {
                        return;
                    }
                    at = rel + 1;
                }
                start += limit;
            }
        });
    }

    /// Checks every keyword around an anchor occurrence at `pos` (`folded`
    /// is the lowercased text from `pos` on, at least one anchor long).
    fn check(
        &self,
        haystack: &[u8],
        folded: &[u8],
        pos: usize,
        active: &mut [bool],
        remaining: &mut usize,
    ) {
        for a in &self.anchors {
            if !folded.starts_with(&a.bytes) {
                continue;
            }
            for &(ki, off) in &a.sites {
                let slots = &self.slots[ki];
                if slots.iter().all(|&s| active[s]) {
                    continue;
                }
                let word = &self.keywords[ki];
                let Some(from) = pos.checked_sub(off) else {
                    continue;
                };
                let found = haystack
                    .get(from..from + word.len())
                    .is_some_and(|t| t.eq_ignore_ascii_case(word));
                if found {
                    for &s in slots {
                        if !active[s] {
                            active[s] = true;
                            *remaining -= 1;
                        }
                    }
                }
            }
        }
    }
}

/// How common a lowercase byte is in source text, roughly (higher = more
/// common): what a Teddy fingerprint of the anchor's first bytes collides
/// with.
fn commonness(b: u8) -> u32 {
    match b {
        b' ' | b'\n' | b'\t' => 10,
        b'e' | b't' | b'a' | b'o' | b'i' | b'n' | b's' | b'r' => 8,
        b'l' | b'c' | b'd' | b'u' | b'h' | b'm' | b'p' => 7,
        b'f' | b'g' | b'b' | b'y' | b'w' | b'v' | b'k' => 5,
        b'x' | b'j' | b'q' | b'z' => 3,
        b'0'..=b'9' | b'_' | b'.' | b'(' | b')' | b',' | b'=' | b'"' | b'\'' => 6,
        b'-' | b'/' | b':' | b';' => 4,
        0x80.. => 2,
        _ => 3,
    }
}

/// Picks the anchors: one per keyword that contains no other keyword,
/// shortest keywords first so longer ones can reuse their anchors.
fn choose_anchors(words: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut cover: Vec<&Vec<u8>> = words
        .iter()
        .filter(|w| {
            !words
                .iter()
                .any(|o| o.len() < w.len() && w.windows(o.len()).any(|x| x == &o[..]))
        })
        .collect();
    cover.sort_by_key(|w| (w.len(), w.to_vec()));
    cover.dedup();
    let mut anchors: Vec<Vec<u8>> = Vec::new();
    for w in cover {
        if anchors
            .iter()
            .any(|a| w.windows(a.len()).any(|x| x == &a[..]))
        {
            continue;
        }
        let len = w.len().min(ANCHOR_MAX);
        // The fingerprint is the first three bytes: start where they are
        // least common.
        let score = |o: usize| -> u32 {
            w[o..(o + 3).min(o + len)]
                .iter()
                .map(|&b| commonness(b))
                .sum()
        };
        let best = (0..=w.len() - len)
            .min_by_key(|&o| (score(o), o))
            .unwrap_or(0);
        anchors.push(w[best..best + len].to_vec());
    }
    anchors
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The gate's definition: a plain case-insensitive substring search.
    fn reference(keywords: &[(String, Vec<usize>)], haystack: &[u8], slots: usize) -> Vec<bool> {
        let mut active = vec![false; slots];
        let lower = haystack.to_ascii_lowercase();
        for (k, s) in keywords {
            let k = k.to_ascii_lowercase();
            if !k.is_empty() && lower.windows(k.len()).any(|w| w == k.as_bytes()) {
                for &i in s {
                    active[i] = true;
                }
            }
        }
        active
    }

    fn gated(keywords: &[(String, Vec<usize>)], haystack: &[u8], slots: usize) -> Vec<bool> {
        gated_in(keywords, haystack, slots, WINDOW)
    }

    fn gated_in(
        keywords: &[(String, Vec<usize>)],
        haystack: &[u8],
        slots: usize,
        window: usize,
    ) -> Vec<bool> {
        let mut active = vec![false; slots];
        if let Some(mut g) = Gate::new(keywords).unwrap() {
            g.window = window;
            g.mark(haystack, &mut active, slots);
        }
        active
    }

    fn kws(list: &[&str]) -> Vec<(String, Vec<usize>)> {
        list.iter()
            .enumerate()
            .map(|(i, k)| (k.to_string(), vec![i]))
            .collect()
    }

    #[test]
    fn contained_overlapping_and_window_crossing_keywords() {
        let k = kws(&[
            "localstack",
            "localstack_api_key",
            "ls-",
            "lsci-",
            "abcd",
            "bc",
            "s-ls",
        ]);
        for text in [
            "x LocalStack_API_KEY y",
            "LS-lsci-",
            "abcd",
            "xxbcxx",
            "ls-ls-",
            "s-ls-",
        ] {
            assert_eq!(
                gated(&k, text.as_bytes(), 7),
                reference(&k, text.as_bytes(), 7),
                "{text}"
            );
        }
        // A keyword across the boundary of two windows, and at the very end.
        let mut long = vec![b'z'; WINDOW - 3];
        long.extend_from_slice(b"LOCALSTACK_api_key");
        assert_eq!(gated(&k, &long, 7), reference(&k, &long, 7));
        let mut tail = vec![b'z'; 3 * WINDOW];
        tail.extend_from_slice(b"lsCI-");
        assert_eq!(gated(&k, &tail, 7), reference(&k, &tail, 7));
    }

    proptest::proptest! {
        #[test]
        fn agrees_with_a_plain_search(
            words in proptest::collection::vec("[a-dA-D_/-]{1,12}", 1..12),
            window in 1usize..40,
            pieces in proptest::collection::vec(("[a-dA-D_/ -]{0,6}", 0usize..12, proptest::bool::ANY), 0..40),
        ) {
            let k: Vec<(String, Vec<usize>)> = words
                .iter()
                .enumerate()
                .map(|(i, w)| (w.clone(), vec![i % 5]))
                .collect();
            // Text made of keyword pieces in random case and noise.
            let mut text = String::new();
            for (noise, which, upper) in &pieces {
                text.push_str(noise);
                let w = &words[which % words.len()];
                if *upper { text.push_str(&w.to_ascii_uppercase()) } else { text.push_str(w) }
            }
            let want = reference(&k, text.as_bytes(), 5);
            proptest::prop_assert_eq!(&gated(&k, text.as_bytes(), 5), &want);
            // Small windows put keywords across window boundaries.
            proptest::prop_assert_eq!(&gated_in(&k, text.as_bytes(), 5, window), &want);
        }
    }
}
