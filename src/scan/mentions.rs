//! The mention step: every occurrence of every active entity in a file ends
//! as a finding or as silent for a stated reason, never dropped unseen.
//!
//! A mention is *covered* when a finding of a rule that names the entity in
//! its `mentions` (or a finding an outcome made for it) is on the same line
//! or overlaps it. A mention a rule's context turned down for a reason (a
//! credential configured in the same service) is silent for that reason.
//! Every other mention goes through the entity's outcomes in order: a rule
//! whose context accepts it reports it; a `silent` outcome whose conditions
//! hold states why it is fine. A mention nothing applies to is counted as
//! unclassified, which the rules check and the test suite keep at zero.

use super::contexts::{self, Verdict};
use super::engine::{blocked_before, guarded_edits, Hit, Rejected};
use super::location;
use super::options::ScanOptions;
use super::view::View;
use crate::finding::{MentionStats, SilentMention};
use crate::rules::{Entity, OutcomeKind, Rule, RuleSet};
use std::collections::BTreeMap;
use std::ops::Range;

/// A fix's cached guard verdicts for one file: the file guard, and the last
/// line's guard.
type FixGuards = (Option<bool>, Option<super::engine::LineGuard>);

/// What the mention step produced for one file.
#[derive(Debug, Default)]
pub(crate) struct Accounted {
    pub(crate) stats: BTreeMap<String, MentionStats>,
    pub(crate) silent: Vec<SilentMention>,
}

/// Most mentions of one entity handled per file (the rest are counted as
/// found and reported by the same rules' per-file caps).
const MAX_MENTIONS: usize = 4096;

fn overlaps(a: &Range<usize>, b: &Range<usize>) -> bool {
    a.start < b.end && b.start < a.end
}

/// Runs the mention step for every entity whose keywords occur (`active`
/// holds rules then entities, as [`RuleSet::gate`] fills it), appending the
/// findings outcomes make to `hits`.
pub(crate) fn account(
    rules: &RuleSet,
    view: &View<'_>,
    active: &[bool],
    hits: &mut Vec<Hit>,
    rejected: &[Rejected],
    opts: &ScanOptions,
) -> Accounted {
    let mut out = Accounted::default();
    let n_rules = rules.rules().len();
    for (j, entity) in rules.entities().iter().enumerate() {
        if !active.get(n_rules + j).copied().unwrap_or(false) {
            continue;
        }
        let stats = account_entity(
            rules,
            j,
            entity,
            view,
            hits,
            rejected,
            opts,
            &mut out.silent,
        );
        if stats.found > 0 {
            out.stats.insert(entity.id.clone(), stats);
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn account_entity(
    rules: &RuleSet,
    j: usize,
    entity: &Entity,
    view: &View<'_>,
    hits: &mut Vec<Hit>,
    rejected: &[Rejected],
    opts: &ScanOptions,
    silent: &mut Vec<SilentMention>,
) -> MentionStats {
    let content = view.content;
    let mut stats = MentionStats::default();
    let accounts_for = |rule: &Rule| rule.matcher.mentions.contains(&entity.id);
    let mut cursor = location::Cursor::new(content);
    let mut fix_state: BTreeMap<usize, FixGuards> = BTreeMap::new();
    let mut outcome_hits = 0usize;
    for (n, m) in entity.regex.find_iter(content).enumerate() {
        if m.is_empty() {
            continue;
        }
        stats.found += 1;
        if n >= MAX_MENTIONS {
            stats.reported += 1;
            continue;
        }
        let range = m.range();
        let line = view.line_at(range.start);
        // An outcome hit of this entity accounts only for the mentions it
        // overlaps: a second mention on the line gets its own hit (folded
        // into the same finding later, with its own edit and count).
        let covered = hits.iter().any(|h| {
            (h.entity == Some(j) || accounts_for(&rules.rules()[h.rule]))
                && overlaps(&h.whole, &range)
        });
        if covered {
            stats.reported += 1;
            continue;
        }
        let mut reason: Option<String> = rejected
            .iter()
            .find(|r| overlaps(&r.range, &range) && accounts_for(&rules.rules()[r.rule]))
            .map(|r| r.reason.clone());
        let mut reported = false;
        if reason.is_none() {
            for outcome in &entity.outcomes {
                match &outcome.kind {
                    OutcomeKind::Silent(why) => {
                        if contexts::judge_all(view, &outcome.when, range.clone())
                            == Verdict::Accept
                        {
                            reason = Some(why.clone());
                            break;
                        }
                    }
                    OutcomeKind::Rule(id) => {
                        let Some(index) = rules.index_of(id) else {
                            continue;
                        };
                        let rule = &rules.rules()[index];
                        if !rule.applies_to(view.kind, view.path) {
                            continue;
                        }
                        if !outcome.when.is_empty()
                            && contexts::judge_all(view, &outcome.when, range.clone())
                                != Verdict::Accept
                        {
                            continue;
                        }
                        match contexts::judge_all(view, &rule.matcher.context, range.clone()) {
                            Verdict::Accept => {}
                            Verdict::Reject => continue,
                            Verdict::Fine(why) => {
                                reason =
                                    Some(why.unwrap_or_else(|| {
                                        format!("judged fine by {}", rule.meta.id)
                                    }));
                                break;
                            }
                            Verdict::Unknown(why) => {
                                reason = Some(why);
                                break;
                            }
                        }
                        let Some(hit) = outcome_hit(rule, index, j, view, &range, &line) else {
                            continue;
                        };
                        if outcome_hits >= opts.max_matches_per_rule {
                            reported = true;
                            break;
                        }
                        let mut hit = hit;
                        if let (Some(fix), None) = (&rule.fix, &hit.secret) {
                            if blocked_before(fix, &hit.whole, content) {
                                hit.fix_blocked = true;
                            } else {
                                let (file_ok, line_ok) = fix_state.entry(index).or_default();
                                hit.edits = guarded_edits(
                                    fix,
                                    hit.whole.clone(),
                                    hit.whole.clone(),
                                    content,
                                    file_ok,
                                    line_ok,
                                );
                            }
                        }
                        hits.push(hit);
                        outcome_hits += 1;
                        reported = true;
                        break;
                    }
                }
            }
        }
        if reported {
            stats.reported += 1;
            continue;
        }
        let line_no = cursor.position(range.start).0;
        match reason {
            Some(r) => {
                *stats.silent.entry(r.clone()).or_insert(0) += 1;
                silent.push(SilentMention {
                    path: String::new(),
                    line: line_no,
                    entity: entity.id.clone(),
                    reason: Some(r),
                });
            }
            None => {
                stats.unclassified += 1;
                silent.push(SilentMention {
                    path: String::new(),
                    line: line_no,
                    entity: entity.id.clone(),
                    reason: None,
                });
            }
        }
    }
    stats
}

/// The hit an outcome rule makes for a mention: its regex's match on the
/// mention's line that overlaps the mention (with the secret group, if any),
/// or the mention itself for a rule without a regex.
fn outcome_hit(
    rule: &Rule,
    index: usize,
    entity: usize,
    view: &View<'_>,
    mention: &Range<usize>,
    line: &Range<usize>,
) -> Option<Hit> {
    let content = view.content;
    let (whole, secret) = match &rule.matcher.regex {
        None => (mention.clone(), None),
        Some(re) => {
            let text = &content[line.clone()];
            let caps = re.captures_iter(text).find(|c| {
                c.get(0).is_some_and(|m| {
                    overlaps(&(line.start + m.start()..line.start + m.end()), mention)
                })
            })?;
            let m = caps.get(0)?;
            let secret = rule
                .matcher
                .secret_group
                .and_then(|g| caps.get(g))
                .filter(|s| !s.is_empty())
                .map(|s| line.start + s.start()..line.start + s.end());
            (line.start + m.start()..line.start + m.end(), secret)
        }
    };
    Some(Hit {
        rule: index,
        focus: secret.clone().unwrap_or_else(|| whole.clone()),
        whole,
        secret,
        edits: Vec::new(),
        entity: Some(entity),
        count: 1,
        fix_blocked: false,
    })
}
