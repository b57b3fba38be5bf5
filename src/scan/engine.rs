//! The matching engine for one buffer, in two steps:
//!
//! 1. rules: keyword gate → each active rule's regex → secret filters,
//!    allowlists, then the rule's context alternatives (where the match
//!    stands and what its scope holds, see [`super::contexts`]);
//! 2. mentions: every occurrence of every active entity (the legacy
//!    variable, image references, …) no finding accounts for goes through
//!    the entity's outcomes, so each ends as a finding or as silent for a
//!    stated reason ([`super::mentions`]).
//!
//! Hits of one rule on one line (with one secret) become one finding with
//! an occurrence count; findings carry positions, redacted snippets,
//! fingerprints, fix edits and the judge's suppression verdict. Knows
//! nothing about where the bytes came from.

use super::contexts::{self, Verdict};
use super::location::{self, Cursor};
use super::mentions;
use super::options::ScanOptions;
use super::view::View;
use crate::finding::{
    content_digest, secret_hash, Directive, Edit, Finding, Fix, Judge, MentionStats, SecretView,
    SilentMention,
};
use crate::kind::FileKind;
use crate::rules::{FixAction, FixRule, Pattern, Rule, RuleSet};
use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::sync::{Arc, Mutex};

/// Per-thread reusable state of the engine.
#[derive(Debug, Default)]
pub struct Scratch {
    active: Vec<bool>,
    /// Where a scan lists the patterns it is about to compile, so that a
    /// worker with nothing left to scan can compile some of them (see
    /// [`Compiles`]).
    compiles: Option<Arc<Compiles>>,
}

impl Scratch {
    /// Scratch space that lists the patterns each scan will compile in `compiles`.
    pub fn sharing(compiles: Arc<Compiles>) -> Scratch {
        Scratch {
            active: Vec::new(),
            compiles: Some(compiles),
        }
    }
}

/// Patterns that scans in progress are going to compile. On a run of a few
/// files, compiling the rules' regexes is most of the work and one file
/// often needs most of them: a worker whose own files are done takes
/// patterns from here (the last listed first, as the listing worker goes
/// through them in order) instead of sitting idle.
#[derive(Debug, Default)]
pub struct Compiles {
    pending: Mutex<Vec<Pattern>>,
}

impl Compiles {
    fn add(&self, patterns: impl Iterator<Item = Pattern>) {
        // A poisoned lock means a worker panicked; the run fails anyway.
        if let Ok(mut p) = self.pending.lock() {
            p.extend(patterns);
        }
    }

    /// Compiles listed patterns nobody has started on, until none is left.
    pub fn help(&self) {
        loop {
            let next = match self.pending.lock() {
                Ok(mut p) => p.pop(),
                Err(_) => None,
            };
            let Some(pattern) = next else { return };
            if !pattern.is_compiled() && !pattern.is_busy() {
                pattern.regex();
            }
        }
    }
}

/// Result of scanning one buffer.
#[derive(Debug, Default)]
pub struct FileScan {
    /// Findings, sorted by position then rule id.
    pub findings: Vec<Finding>,
    /// Rules that hit their per-file cap.
    pub truncated: Vec<String>,
    /// Entity mentions: how many, how many reported, why the rest are silent.
    pub mentions: BTreeMap<String, MentionStats>,
    /// Each silent mention (path left empty: the caller knows it).
    pub silent: Vec<SilentMention>,
    /// What each mention of a renamable entity does (who sets, who reads
    /// the legacy name), for `fix`'s repository rename plan.
    pub refs: super::env::FileRefs,
}

/// A match that survived every filter, before positions are computed.
#[derive(Debug, Clone)]
pub(crate) struct Hit {
    pub(crate) rule: usize,
    pub(crate) whole: Range<usize>,
    pub(crate) focus: Range<usize>,
    pub(crate) secret: Option<Range<usize>>,
    /// (range, replacement) pairs from the rule's fix, in content order.
    pub(crate) edits: Vec<(Range<usize>, String)>,
    /// The entity whose mention this hit reports (outcome hits only).
    pub(crate) entity: Option<usize>,
    /// Occurrences folded into this hit (one finding per line and rule).
    pub(crate) count: usize,
    /// The fix's `unless_before` guard turned down one of the occurrences:
    /// the line is left as it is (a half-renamed line would be worse).
    pub(crate) fix_blocked: bool,
}

/// A match a rule's context turned down for a stated reason (a credential
/// configured in the same unit, a scope keysweep cannot see): mentions it
/// overlaps are silent for that reason.
#[derive(Debug, Clone)]
pub(crate) struct Rejected {
    pub(crate) rule: usize,
    pub(crate) range: Range<usize>,
    pub(crate) reason: String,
}

/// The edits a rule's fix makes to one match: literal replacements inside
/// `group` (the fix group, or the whole match or mention), or inside the
/// match's lines, minus no-ops. Text that is not valid UTF-8 is never
/// edited. Only called for matches without a secret.
pub(crate) fn fix_edits(
    fix: &FixRule,
    group: Range<usize>,
    content: &[u8],
) -> Vec<(Range<usize>, String)> {
    let target = if fix.whole_lines {
        let mut start = location::line_bounds(content, group.start).start;
        if fix.sentence {
            start = sentence_start(content, start);
        }
        let last = group.end.max(group.start + 1) - 1;
        let end = memchr::memchr(b'\n', &content[last.min(content.len())..])
            .map_or(content.len(), |i| last + i + 1);
        start..end.max(start)
    } else {
        group
    };
    let text = &content[target.clone()];
    if std::str::from_utf8(text).is_err() {
        return Vec::new();
    }
    let mut edits: Vec<(Range<usize>, String)> = match &fix.action {
        FixAction::Replace(r) => vec![(target.clone(), r.clone())],
        FixAction::Substitute(pairs) => pairs
            .iter()
            .flat_map(|(re, with)| {
                re.find_iter(text).filter(|m| !m.is_empty()).map(|m| {
                    (
                        target.start + m.start()..target.start + m.end(),
                        with.clone(),
                    )
                })
            })
            .collect(),
    };
    edits.retain(|(r, with)| content[r.clone()] != *with.as_bytes());
    edits.sort_by_key(|(r, _)| (r.start, r.end));
    edits
}

/// Where the sentence holding the line at `line_start` begins: the previous
/// line's start when that line is prose that does not end its sentence
/// (not blank, not a heading, fence or table row, no `.`, `:`, `!` or `?`
/// at its end); otherwise `line_start`.
fn sentence_start(content: &[u8], line_start: usize) -> usize {
    if line_start == 0 {
        return 0;
    }
    let prev = location::line_bounds(content, line_start - 1);
    let text = content[prev.clone()].trim_ascii();
    let continues = text.iter().any(u8::is_ascii_alphabetic)
        && !text.starts_with(b"#")
        && !text.starts_with(b"```")
        && !text.starts_with(b"|")
        && !matches!(text.last(), Some(b'.' | b':' | b'!' | b'?' | b'`' | b'>'));
    if continues {
        prev.start
    } else {
        line_start
    }
}

/// Whether a fix's `unless_line` patterns leave this match alone. The context
/// is the match's lines plus the line after it, so a value on the next line
/// (Kubernetes `name:` / `value:` pairs) is seen too.
pub(crate) fn fix_context_ok(fix: &FixRule, content: &[u8], m: Range<usize>) -> bool {
    if fix.unless_line.is_empty() {
        return true;
    }
    let start = location::line_bounds(content, m.start).start;
    let after = |from: usize| {
        memchr::memchr(b'\n', &content[from.min(content.len())..])
            .map_or(content.len(), |i| from + i)
    };
    // A match ending with its newline already reaches the next line.
    let first_end = if m.end > m.start && content[m.end - 1] == b'\n' {
        m.end - 1
    } else {
        after(m.end)
    };
    let end = after(first_end + 1).min(content.len());
    let window = &content[start..end.max(start)];
    !fix.unless_line.iter().any(|r| r.is_match(window))
}

fn entropy(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in bytes {
        counts[b as usize] += 1;
    }
    let n = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// Trims ASCII whitespace at both ends: rules often consume the separator
/// before a name (a newline included), which must not move the reported line.
fn trim(content: &[u8], mut r: Range<usize>) -> Range<usize> {
    while r.end > r.start && content[r.end - 1].is_ascii_whitespace() {
        r.end -= 1;
    }
    while r.start < r.end && content[r.start].is_ascii_whitespace() {
        r.start += 1;
    }
    r
}

/// Whether a fix's `unless_before` patterns turn down an edit of `group`:
/// the text before it on its line shows a name read from elsewhere.
pub(crate) fn blocked_before(fix: &FixRule, group: &Range<usize>, content: &[u8]) -> bool {
    if fix.unless_before.is_empty() {
        return false;
    }
    // The patterns look at what immediately precedes the occurrence (`${`,
    // `secrets.`): a bounded window keeps many occurrences on one long line
    // linear.
    let lo = group.start.saturating_sub(256);
    let line_start = memchr::memrchr(b'\n', &content[lo..group.start]).map_or(lo, |i| lo + i + 1);
    let before = &content[line_start..group.start];
    fix.unless_before.iter().any(|r| r.is_match(before))
}

/// The cached guard verdict of the line a rule's last hit was on.
#[derive(Debug, Clone)]
pub(crate) struct LineGuard {
    /// The line's bytes.
    line: Range<usize>,
    /// Whether the fix's line guards let it apply there.
    ok: bool,
    /// Whether a whole-line fix already gave that line's edits to a hit.
    given: bool,
}

/// The fix edits of a hit whose fix group (or whole match) is `group`, if
/// the fix's guards leave it alone. `fix_file_ok` / `fix_line` cache the
/// file guard and the per-line guard across the hits of one rule.
pub(crate) fn guarded_edits(
    fix: &FixRule,
    group: Range<usize>,
    whole: Range<usize>,
    content: &[u8],
    fix_file_ok: &mut Option<bool>,
    fix_line: &mut Option<LineGuard>,
) -> Vec<(Range<usize>, String)> {
    let file_ok =
        *fix_file_ok.get_or_insert_with(|| !fix.unless_file.iter().any(|r| r.is_match(content)));
    if !file_ok {
        return Vec::new();
    }
    // Every single-line match on one line has the same context window (that
    // line and the next), so the verdict is kept per line.
    let on_cached = fix_line
        .as_ref()
        .is_some_and(|g| g.line.start <= whole.start && whole.end <= g.line.end);
    if !on_cached {
        let ok = fix_context_ok(fix, content, whole.clone());
        let line = location::line_bounds(content, whole.start);
        *fix_line = (whole.end <= line.end).then_some(LineGuard {
            line,
            ok,
            given: false,
        });
        if fix_line.is_none() {
            return if ok {
                fix_edits(fix, group, content)
            } else {
                Vec::new()
            };
        }
    }
    let Some(g) = fix_line.as_mut() else {
        return Vec::new();
    };
    if !g.ok {
        return Vec::new();
    }
    if fix.whole_lines {
        // A whole-line fix makes the same edits for every hit on the line,
        // and hits on one line become one finding: the first hit carries
        // them, so thousands of hits on one long line stay linear.
        if g.given {
            return Vec::new();
        }
        g.given = true;
    }
    fix_edits(fix, group, content)
}

/// Runs one rule over `content`, appending surviving hits (and matches its
/// context turned down for a reason to `rejected`). Returns whether the
/// rule hit its per-file cap with more matches left.
fn run_rule(
    rule: &Rule,
    index: usize,
    view: &View<'_>,
    opts: &ScanOptions,
    hits: &mut Vec<Hit>,
    rejected: &mut Vec<Rejected>,
) -> bool {
    let content = view.content;
    let Some(regex) = &rule.matcher.regex else {
        return false;
    };
    let mut context_ok: Option<bool> = None;
    let mut fix_file_ok: Option<bool> = None;
    let mut line_verdict: Option<(Range<usize>, bool)> = None;
    let mut fix_line: Option<LineGuard> = None;
    // The line a deletion was last considered for: one per line.
    let mut drop_line_seen: Option<usize> = None;
    let mut count = 0;
    for caps in regex.captures_iter(content) {
        let Some(m) = caps.get(0) else { continue };
        if m.is_empty() {
            continue;
        }
        let secret = rule
            .matcher
            .secret_group
            .and_then(|g| caps.get(g))
            .filter(|s| !s.is_empty());
        let value = secret.map_or(m.as_bytes(), |s| s.as_bytes());
        if let (Some((alg, expect)), Some(s)) = (rule.matcher.checksum, secret) {
            if alg.verify(s.as_bytes()) != expect {
                continue;
            }
        }
        if let (Some(min), Some(s)) = (rule.matcher.min_entropy, secret) {
            if entropy(s.as_bytes()) < min {
                continue;
            }
        }
        if rule.matcher.allow.iter().any(|a| a.is_match(value)) {
            continue;
        }
        let whole = trim(content, m.range());
        if !rule.matcher.allow_line.is_empty() {
            // Matches come in offset order: reuse the verdict for the previous
            // match's line. Recomputing the bounds of one huge line for every
            // match on it would make a scan quadratic in the line length.
            let cached = line_verdict
                .as_ref()
                .filter(|(line, _)| line.start <= whole.start && whole.start <= line.end);
            let allowed = match cached {
                Some((_, allowed)) => *allowed,
                None => {
                    let line = location::line_bounds(content, whole.start);
                    let allowed = rule
                        .matcher
                        .allow_line
                        .iter()
                        .any(|a| a.is_match(&content[line.clone()]));
                    line_verdict = Some((line, allowed));
                    allowed
                }
            };
            if allowed {
                continue;
            }
        }
        // Whole-file conditions are evaluated once, and only for files where
        // the rule has a candidate hit.
        let ok = *context_ok.get_or_insert_with(|| {
            rule.matcher
                .file_requires
                .iter()
                .all(|r| r.is_match(content))
                && !rule
                    .matcher
                    .file_excludes
                    .iter()
                    .any(|r| r.is_match(content))
        });
        if !ok {
            return false;
        }
        // The cap is only "hit" when a further hit survives every filter:
        // truncation must mean something was left out.
        if count >= opts.max_matches_per_rule {
            return true;
        }
        let focus = secret.map_or(whole.clone(), |s| s.range());
        match contexts::judge_all(view, &rule.matcher.context, focus.clone()) {
            Verdict::Accept => {}
            Verdict::Reject => continue,
            Verdict::Fine(reason) => {
                if let Some(reason) = reason {
                    rejected.push(Rejected {
                        rule: index,
                        range: whole,
                        reason,
                    });
                }
                continue;
            }
            Verdict::Unknown(reason) => {
                rejected.push(Rejected {
                    rule: index,
                    range: whole,
                    reason,
                });
                continue;
            }
        }
        // A finding that holds a credential value is never fixed (rules
        // with a secret group cannot declare a fix; this is the backstop).
        let mut fix_blocked = false;
        let edits = match (&rule.fix, secret) {
            (Some(f), None) => match caps.get(f.group.unwrap_or(0)) {
                Some(g) if blocked_before(f, &g.range(), content) => {
                    fix_blocked = true;
                    Vec::new()
                }
                Some(g) => guarded_edits(
                    f,
                    g.range(),
                    m.range(),
                    content,
                    &mut fix_file_ok,
                    &mut fix_line,
                ),
                None => Vec::new(),
            },
            _ => Vec::new(),
        };
        // A deprecated line whose replacement is nothing: deleted where the
        // structure around it allows (the rule's line guards are about its
        // rewrite, not about the deletion, which checks for itself).
        let edits = match (&rule.fix, secret) {
            (Some(f), None)
                if edits.is_empty()
                    && !fix_blocked
                    && f.drop_line.is_some()
                    && fix_file_ok != Some(false)
                    && drop_line_seen
                        != Some(location::line_bounds(content, whole.start).start) =>
            {
                drop_line_seen = Some(location::line_bounds(content, whole.start).start);
                super::drop::drop_edits(view, f, whole.clone()).unwrap_or_default()
            }
            _ => edits,
        };
        // A command made redundant by a variable already exported: removed
        // rather than rewritten, where its line is nothing else.
        let edits = match (&rule.fix, &edits[..]) {
            (Some(f), [_, ..]) if f.drop_when_set.is_some() => {
                super::drop::when_set(view, f, whole.clone()).unwrap_or(edits)
            }
            _ => edits,
        };
        hits.push(Hit {
            rule: index,
            whole,
            focus,
            secret: secret.map(|s| s.range()),
            edits,
            entity: None,
            count: 1,
            fix_blocked,
        });
        count += 1;
    }
    false
}

/// Scans one buffer as a file of `kind` at `path` (the reported path).
/// `judge` decides each finding's suppression while the raw line is at hand.
pub fn scan_content(
    rules: &RuleSet,
    path: &str,
    kind: FileKind,
    content: &[u8],
    opts: &ScanOptions,
    judge: &dyn Judge,
    scratch: &mut Scratch,
) -> FileScan {
    let active = &mut scratch.active;
    rules.gate(content, active);
    if let Some(compiles) = &scratch.compiles {
        // Every active rule that applies here runs its regex below.
        compiles.add(
            rules
                .rules()
                .iter()
                .enumerate()
                .filter(|(i, rule)| active[*i] && rule.applies_to(kind, path))
                .filter_map(|(_, rule)| rule.matcher.regex.clone())
                .filter(|p| !p.is_compiled()),
        );
    }
    let view = View::new(kind, path, content);
    let mut hits = Vec::new();
    let mut rejected = Vec::new();
    let mut truncated = Vec::new();
    // A rule whose regex another worker is compiling waits until the others
    // have run: with a few files on several workers (a pre-commit run) most
    // of the time is compiling, and a worker that waited for each pattern
    // would compile nothing itself.
    let mut deferred = Vec::new();
    let mut run = |i: usize, rule: &Rule, hits: &mut Vec<Hit>, rejected: &mut Vec<Rejected>| {
        if run_rule(rule, i, &view, opts, hits, rejected) {
            truncated.push(rule.meta.id.clone());
        }
    };
    for (i, rule) in rules.rules().iter().enumerate() {
        if !active[i] || !rule.applies_to(kind, path) {
            continue;
        }
        if rule.matcher.regex.as_ref().is_some_and(Pattern::is_busy) {
            deferred.push(i);
            continue;
        }
        run(i, rule, &mut hits, &mut rejected);
    }
    if !deferred.is_empty() {
        for &i in &deferred {
            run(i, &rules.rules()[i], &mut hits, &mut rejected);
        }
        // Back to rule order, as if nothing had waited: each rule's own
        // hits are already in offset order, and the sorts are stable.
        hits.sort_by_key(|h| h.rule);
        rejected.sort_by_key(|r| r.rule);
        let order = |id: &String| rules.rules().iter().position(|r| &r.meta.id == id);
        truncated.sort_by_key(order);
    }
    let accounted = mentions::account(rules, &view, active, &mut hits, &rejected, opts);
    if hits.is_empty() {
        let refs = env_refs(rules, &view, active, &[]);
        return FileScan {
            findings: Vec::new(),
            truncated,
            mentions: accounted.stats,
            silent: accounted.silent,
            refs,
        };
    }
    let hits = group_by_line(content, hits);
    let secrets: Vec<Range<usize>> = if opts.show_secrets {
        Vec::new()
    } else {
        let reported: Vec<Range<usize>> = hits.iter().filter_map(|h| h.secret.clone()).collect();
        super::redact::redaction_ranges(content, &shown_lines(content, &hits), &reported)
    };
    let mut cursor = Cursor::new(content);
    // Edits may lie before their finding's focus: a second cursor keeps both
    // query sequences (nearly) monotonic.
    let mut edit_cursor = Cursor::new(content);
    let digest = hits
        .iter()
        .any(|h| !h.edits.is_empty())
        .then(|| content_digest(content));
    let mut occurrences: HashMap<(usize, String), usize> = HashMap::new();
    // Hits are in offset order; consecutive hits on one line share its
    // bounds and its inline directive: recomputing them per hit would make a
    // file with many hits on one huge line quadratic (see `run_rule`).
    let mut line: Option<(Range<usize>, Option<Directive>)> = None;
    let findings = hits
        .into_iter()
        .map(|h| {
            let rule = &rules.rules()[h.rule];
            let location = cursor.location(h.focus.clone());
            let secret = h.secret.as_ref().map(|s| {
                SecretView::new(
                    &String::from_utf8_lossy(&content[s.clone()]),
                    opts.show_secrets,
                )
            });
            let key = match &secret {
                Some(s) => s.hash().to_string(),
                None => normalise_ws(&content[h.whole.clone()]),
            };
            let n = occurrences.entry((h.rule, key.clone())).or_insert(0);
            let fingerprint = fingerprint(&rule.meta.id, path, &key, *n);
            *n += 1;
            let fix = match (&rule.fix, &digest) {
                (Some(f), Some(d)) if !h.edits.is_empty() => Some(Fix {
                    edits: h
                        .edits
                        .iter()
                        .map(|(r, with)| Edit {
                            location: edit_cursor.location(r.clone()),
                            original: String::from_utf8_lossy(&content[r.clone()]).into_owned(),
                            replacement: with.clone(),
                            opt_in: f.opt_in.clone(),
                        })
                        .collect(),
                    opt_in: f.opt_in.clone(),
                    note: f.note.clone(),
                    content_digest: d.clone(),
                }),
                _ => None,
            };
            let match_hash = match &secret {
                Some(s) => s.hash().to_string(),
                None => secret_hash(&key),
            };
            let start = h.focus.start;
            let (line, on_line) = match &line {
                Some((l, d)) if l.start <= start && start <= l.end => (l.clone(), d.clone()),
                _ => {
                    let l = location::line_bounds(content, start);
                    let d = judge.directive(&content[l.clone()]);
                    line.insert((l, d)).clone()
                }
            };
            // The first line carrying a directive decides, whether or not it
            // covers this rule: a scoped directive for other rules does not
            // open the way to one further down a multi-line match.
            let directive = on_line.or_else(|| {
                last_line(content, &h, &line).and_then(|last| judge.directive(&content[last]))
            });
            let value = &content[h.secret.clone().unwrap_or_else(|| h.whole.clone())];
            let mut suppression = judge.judge(&rule.meta.id, value, directive.as_ref());
            if suppression.is_none() && h.secret.is_none() {
                // A finding without a secret may match only a name; its
                // allowlist value is also the line(s) it sits on, so a
                // pattern such as `^export` keeps meaning what it says.
                let end = last_line(content, &h, &line).map_or(line.end, |l| l.end);
                suppression = judge.judge(&rule.meta.id, &content[line.start..end], None);
            }
            Finding {
                rule_id: rule.meta.id.clone(),
                severity: rule.meta.severity,
                path: path.to_string(),
                location,
                snippet: location::snippet_on_line(
                    content,
                    line,
                    h.focus,
                    &secrets,
                    opts.show_secrets,
                ),
                secret,
                fingerprint,
                fix,
                match_hash,
                suppression,
                commit: None,
                occurrences: h.count,
                file: None,
                manual: None,
            }
        })
        .collect::<Vec<Finding>>();
    let refs = env_refs(rules, &view, active, &findings);
    FileScan {
        findings,
        truncated,
        mentions: accounted.stats,
        silent: accounted.silent,
        refs,
    }
}

/// The refs of every active entity that declares renames.
fn env_refs(
    rules: &RuleSet,
    view: &View<'_>,
    active: &[bool],
    findings: &[Finding],
) -> super::env::FileRefs {
    let n_rules = rules.rules().len();
    let mut out = super::env::FileRefs::default();
    for (j, entity) in rules.entities().iter().enumerate() {
        if entity.rename.is_empty() || !active.get(n_rules + j).copied().unwrap_or(false) {
            continue;
        }
        let traits = |id: &str| match rules.index_of(id) {
            Some(i) => {
                let r = &rules.rules()[i];
                super::env::RuleTraits {
                    mentions: r.matcher.mentions.contains(&entity.id),
                    compat: r.meta.class.as_deref() == Some("F15"),
                }
            }
            None => super::env::RuleTraits::default(),
        };
        let mut r = super::env::classify(entity, view, findings, &traits);
        out.overflow |= r.overflow;
        out.refs.append(&mut r.refs);
    }
    out.refs.sort_by_key(|r| r.range.start);
    out
}

/// Folds hits of one rule on one line (with the same secret, if any) into
/// one, counting occurrences and keeping every fix edit: the same problem
/// several times on a line is one finding, so a reader sees its help once.
/// Returns the hits sorted by position, then rule.
fn group_by_line(content: &[u8], mut hits: Vec<Hit>) -> Vec<Hit> {
    hits.sort_by_key(|h| (h.focus.start, h.rule));
    let mut out: Vec<Hit> = Vec::with_capacity(hits.len());
    // (rule, line start, secret bytes) → index in `out`.
    let mut seen: HashMap<(usize, usize, Option<Vec<u8>>), usize> = HashMap::new();
    let mut line: Option<Range<usize>> = None;
    for h in hits {
        let start = h.focus.start;
        let l = match &line {
            Some(l) if l.start <= start && start <= l.end => l.clone(),
            _ => line.insert(location::line_bounds(content, start)).clone(),
        };
        let secret = h.secret.as_ref().map(|s| content[s.clone()].to_vec());
        match seen.get(&(h.rule, l.start, secret.clone())) {
            Some(&i) => {
                let first = &mut out[i];
                first.count += h.count;
                // A read after a renamable occurrence on the same line is
                // that occurrence's source (`NAME=${NAME}`, `NAME: ${{
                // secrets.NAME }}`): it stays as it is (a later opt-in rule
                // renames it) without holding the rename back. A read that
                // opens the line blocks it.
                first.fix_blocked |= h.fix_blocked && first.fix_blocked;
                first.edits.extend(h.edits);
                first.edits.sort_by_key(|(r, _)| (r.start, r.end));
                first.edits.dedup_by(|a, b| a.0 == b.0);
            }
            None => {
                seen.insert((h.rule, l.start, secret), out.len());
                out.push(h);
            }
        }
    }
    // A rule blocked by a read anywhere in the file renames nothing in it:
    // renaming the definitions around a read that stays would leave the
    // read dangling (a guard, a script that defines and then reads it).
    let blocked: std::collections::HashSet<usize> = out
        .iter()
        .filter(|h| h.fix_blocked)
        .map(|h| h.rule)
        .collect();
    for h in &mut out {
        if blocked.contains(&h.rule) {
            h.edits.clear();
        }
    }
    out
}

/// The distinct lines findings are shown on (hits are in offset order, so
/// consecutive hits on one long line share one bounds computation).
fn shown_lines(content: &[u8], hits: &[Hit]) -> Vec<Range<usize>> {
    let mut lines: Vec<Range<usize>> = Vec::new();
    for h in hits {
        let at = h.focus.start;
        if lines.last().is_some_and(|l| l.start <= at && at <= l.end) {
            continue;
        }
        lines.push(location::line_bounds(content, at));
    }
    lines
}

/// For a match that spans lines, the line where it ends (an inline
/// directive may sit there, e.g. after a Kubernetes `value:`); `None` when
/// the match ends on `first`, the line where the reported part starts. The
/// raw lines are only handed to the judge here, where the content is at
/// hand; findings carry a redacted snippet.
fn last_line(content: &[u8], h: &Hit, first: &Range<usize>) -> Option<Range<usize>> {
    let last_byte = h.whole.end.saturating_sub(1).max(h.whole.start);
    if first.start <= last_byte && last_byte <= first.end {
        return None;
    }
    let last = location::line_bounds(content, last_byte);
    (last != *first).then_some(last)
}

fn normalise_ws(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Line-independent identity of a finding: rule, path, what was found, and
/// how many identical findings precede it in the file.
pub fn fingerprint(rule_id: &str, path: &str, key: &str, occurrence: usize) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for part in [
        b"keysweep-fp-v1".as_slice(),
        rule_id.as_bytes(),
        path.as_bytes(),
        key.as_bytes(),
    ] {
        h.update(part);
        h.update([0]);
    }
    let hex = format!("{:x}", h.finalize());
    format!("{}:{occurrence}", &hex[..32])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sentence_starts_on_the_line_before_only_when_it_continues() {
        let t = b"Get your API key from\nhttps://example.com/keys\n";
        assert_eq!(sentence_start(t, 22), 0);
        let t = b"Done.\nhttps://example.com/keys\n";
        assert_eq!(sentence_start(t, 6), 6);
        let t = b"# Setup\nhttps://example.com/keys\n";
        assert_eq!(sentence_start(t, 8), 8);
        let t = b"\nhttps://example.com/keys\n";
        assert_eq!(sentence_start(t, 1), 1);
        assert_eq!(sentence_start(b"x", 0), 0);
    }

    #[test]
    fn a_sharing_scan_lists_what_it_compiles_and_a_helper_compiles_the_rest() {
        let rules = RuleSet::load_confined(false, false, &[], &[], None).unwrap();
        let content = b"export LOCALSTACK_API_KEY=${CI_KEY}\nlocalstack auth login\n";
        let mut active = Vec::new();
        rules.gate(content, &mut active);
        let wanted: Vec<&Pattern> = rules
            .rules()
            .iter()
            .enumerate()
            .filter(|(i, r)| active[*i] && r.applies_to(crate::kind::classify("ci.sh"), "ci.sh"))
            .filter_map(|(_, r)| r.matcher.regex.as_ref())
            .collect();
        assert!(wanted.len() > 1, "{}", wanted.len());
        assert!(wanted.iter().all(|p| !p.is_compiled()));
        let compiles = Arc::new(Compiles::default());
        let mut scratch = Scratch::sharing(compiles.clone());
        let mut scan = || {
            scan_content(
                &rules,
                "ci.sh",
                crate::kind::classify("ci.sh"),
                content,
                &ScanOptions::default(),
                &crate::finding::NoJudge,
                &mut scratch,
            )
        };
        assert!(!scan().findings.is_empty());
        // The scan compiled what it ran; what it listed is there for helpers.
        assert!(wanted.iter().all(|p| p.is_compiled()));
        let listed = compiles.pending.lock().unwrap().len();
        assert_eq!(listed, wanted.len());
        compiles.help();
        assert!(compiles.pending.lock().unwrap().is_empty());
        // A second file lists nothing new: every pattern is compiled.
        let _ = scan();
        assert!(compiles.pending.lock().unwrap().is_empty());
    }

    /// What a scan of `content` reports, in order, with the regexes of
    /// every `busy`-th active rule taken as compiling on another worker.
    fn report_with_busy(content: &[u8], busy: usize) -> (Vec<String>, usize) {
        let rules = RuleSet::load_confined(false, false, &[], &[], None).unwrap();
        let mut active = Vec::new();
        rules.gate(content, &mut active);
        let mut deferred = 0;
        if busy > 0 {
            let hit = rules.rules().iter().enumerate().filter(|(i, _)| active[*i]);
            for (_, rule) in hit.step_by(busy) {
                if let Some(p) = &rule.matcher.regex {
                    assert!(!p.is_compiled());
                    p.pretend_busy();
                    assert!(p.is_busy());
                    deferred += 1;
                }
            }
        }
        let fs = scan_content(
            &rules,
            "ci.sh",
            crate::kind::classify("ci.sh"),
            content,
            &ScanOptions::default(),
            &crate::finding::NoJudge,
            &mut Scratch::default(),
        );
        let report = fs
            .findings
            .iter()
            .map(|f| format!("{} {} {}", f.rule_id, f.location.line, f.fingerprint))
            .chain(fs.silent.iter().map(|s| format!("silent {s:?}")))
            .collect();
        (report, deferred)
    }

    #[test]
    fn rules_left_for_another_worker_report_as_if_run_in_order() {
        let content = b"export LOCALSTACK_API_KEY=$LOCALSTACK_API_KEY\n\
            localstack auth login\n\
            echo \"key: $LOCALSTACK_API_KEY\"\n\
            docker run -e LOCALSTACK_API_KEY=1n5HqMitb2 localstack/localstack-pro:latest\n\
            # LOCALSTACK_API_KEY is read by the CLI\n";
        let (expected, none) = report_with_busy(content, 0);
        assert_eq!(none, 0);
        assert!(expected.len() >= 3, "{expected:#?}");
        for busy in [1, 2, 3] {
            let (got, deferred) = report_with_busy(content, busy);
            assert!(deferred > 0);
            assert_eq!(got, expected, "every {busy}th rule deferred");
        }
    }

    #[test]
    fn entropy_orders_placeholders_below_keys() {
        assert!(entropy(b"xxxxxxxxxx") < 0.1);
        assert!(entropy(b"1n5HqMitb2") > 3.0);
    }

    #[test]
    fn fingerprints_ignore_line_numbers_but_not_occurrences() {
        let a = fingerprint("r", "p", "k", 0);
        assert_eq!(a, fingerprint("r", "p", "k", 0));
        assert_ne!(a, fingerprint("r", "p", "k", 1));
        assert_ne!(a, fingerprint("r", "q", "k", 0));
    }
}
