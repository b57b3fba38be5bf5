//! Judging a match (or an entity mention) against a rule's context
//! alternatives: where it stands (comment or code, YAML key path, the call
//! or shell command it sits in) and what the scope around it holds (a
//! credential in the same compose service, job or builder chain).

use super::view::View;
use crate::context::code::Kind;
use crate::rules::{Context, Scope};
use regex::bytes::Regex;
use std::ops::Range;

/// What an alternative (or a rule's alternatives together) says of a match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// It counts.
    Accept,
    /// Its structure does not fit: not what the rule looks for.
    Reject,
    /// The structure fits but the scope shows it is fine (`excludes`), for
    /// this reason (when the alternative states one).
    Fine(Option<String>),
    /// The structure fits but what would make it fine may be supplied where
    /// keysweep cannot see (`unknown`, a merged YAML mapping), for this reason.
    Unknown(String),
}

/// The verdict of a list of alternatives: the first that accepts wins;
/// otherwise a stated `Fine` or `Unknown` beats a plain reject.
pub fn judge_all(view: &View<'_>, alts: &[Context], focus: Range<usize>) -> Verdict {
    if alts.is_empty() {
        return Verdict::Accept;
    }
    let mut best = Verdict::Reject;
    for alt in alts {
        match judge(view, alt, focus.clone()) {
            Verdict::Accept => return Verdict::Accept,
            v @ (Verdict::Fine(_) | Verdict::Unknown(_)) => {
                if best == Verdict::Reject || matches!(best, Verdict::Fine(None)) {
                    best = v;
                }
            }
            Verdict::Reject => {}
        }
    }
    best
}

/// Judges one alternative; with `follow`, a literal assigned to a constant
/// is judged where the constant is used.
pub fn judge(view: &View<'_>, alt: &Context, focus: Range<usize>) -> Verdict {
    let v = judge_at(view, alt, focus.clone());
    if v != Verdict::Reject || !alt.follow {
        return v;
    }
    let Some(name) = constant_name(view, focus.start) else {
        return v;
    };
    let Ok(uses) = Regex::new(&format!(r"\b{}\b", regex::escape(&name))) else {
        return v;
    };
    let live = view.live();
    let mut best = Verdict::Reject;
    for m in uses.find_iter(live).take(64) {
        if m.range().contains(&focus.start) || is_definition(view, m.start()) {
            continue;
        }
        match judge_at(view, alt, m.range()) {
            Verdict::Accept => return Verdict::Accept,
            Verdict::Reject => {}
            other => best = other,
        }
    }
    best
}

/// The constant a string literal at `off` is assigned to (`IMAGE = "…"`,
/// `static final String IMAGE = "…"`, `const image = "…"`).
fn constant_name(view: &View<'_>, off: usize) -> Option<String> {
    let site = view.code_at(off)?;
    let a = site.assignment.as_ref().filter(|a| !a.in_target)?;
    let target = &view.content[a.target.clone()];
    let text = std::str::from_utf8(target).ok()?;
    let name = text
        .rsplit(|c: char| !(c.is_alphanumeric() || c == '_'))
        .find(|w| !w.is_empty())?;
    (name.len() >= 2 && !name.chars().all(|c| c.is_ascii_digit())).then(|| name.to_string())
}

fn is_definition(view: &View<'_>, off: usize) -> bool {
    view.code_at(off)
        .and_then(|s| s.assignment)
        .is_some_and(|a| a.in_target)
}

fn any_match(res: &[Regex], text: &[u8]) -> bool {
    res.iter().any(|r| r.is_match(text))
}

fn all_match(res: &[Regex], text: &[u8]) -> bool {
    res.iter().all(|r| r.is_match(text))
}

fn judge_at(view: &View<'_>, alt: &Context, focus: Range<usize>) -> Verdict {
    let off = focus.start;
    if alt.not_kinds.contains(&view.kind) {
        return Verdict::Reject;
    }
    if let Some(k) = &alt.kinds {
        if !k.contains(&view.kind) {
            return Verdict::Reject;
        }
    }
    if let Some(p) = &alt.paths {
        if !p.is_match(view.path) {
            return Verdict::Reject;
        }
    }
    if alt.inside != 0 || alt.outside != 0 {
        let places = view.places_at(off);
        if alt.inside != 0 && places & alt.inside == 0 {
            return Verdict::Reject;
        }
        if places & alt.outside != 0 {
            return Verdict::Reject;
        }
    }
    if !alt.yaml.is_empty() {
        let Some(path) = view.yaml_at(off).and_then(|y| y.path_at(off)) else {
            return Verdict::Reject;
        };
        if !alt.yaml.iter().any(|p| p.matches(&path)) {
            return Verdict::Reject;
        }
    }
    let mut call_span: Option<Range<usize>> = None;
    if !alt.call.is_empty() {
        let Some(site) = view.code_at(off) else {
            return Verdict::Reject;
        };
        let calls = site.enclosures.iter().filter(|e| e.kind == Kind::Call);
        let mut found = None;
        for (i, e) in calls.enumerate() {
            if i > 0 && !alt.call_any {
                break;
            }
            let name = e.name.as_deref().unwrap_or("");
            let short = e.short_name().unwrap_or(name);
            if alt.call.iter().any(|p| p.matches(name, short)) {
                found = Some(e.open..e.close.map_or(site.statement.end, |c| c + 1));
                break;
            }
        }
        match found {
            Some(span) => call_span = Some(span),
            None => return Verdict::Reject,
        }
    }
    if !alt.command.is_empty() {
        let Some(cmd) = view.command_at(off) else {
            return Verdict::Reject;
        };
        let Some(p) = cmd.program_index() else {
            return Verdict::Reject;
        };
        let ok = alt.command.iter().any(|prefix| {
            // Flags between the program and its subcommands are skipped
            // (`docker --context x run`). Words are taken lazily: a command
            // may be one huge line.
            let mut it = cmd.words[p..]
                .iter()
                .map(|w| base(&w.text))
                .filter(|w| !w.starts_with('-'));
            prefix
                .iter()
                .all(|want| it.next().is_some_and(|w| w == want))
        });
        if !ok {
            return Verdict::Reject;
        }
        if alt.image_word {
            let image = cmd
                .docker_run()
                .and_then(|d| d.image)
                .and_then(|i| cmd.words.get(i));
            if !image.is_some_and(|w| w.span.start <= off && off < w.span.end) {
                return Verdict::Reject;
            }
        }
    }
    if !alt.instruction.is_empty() {
        let Some(ins) = view.dockerfile().and_then(|d| d.instruction_at(off)) else {
            return Verdict::Reject;
        };
        if !alt.instruction.contains(&ins.keyword) {
            return Verdict::Reject;
        }
    }
    // The structure fits: now the scope.
    let scope = match scope_text(view, alt, focus.clone(), call_span) {
        Some(s) => s,
        None => return Verdict::Reject,
    };
    if !all_match(&alt.requires, &scope.text) || !all_match(&alt.file_requires, view.live()) {
        return Verdict::Reject;
    }
    if !alt.before_requires.is_empty() {
        let live = view.live();
        if !all_match(&alt.before_requires, &live[..focus.start.min(live.len())]) {
            return Verdict::Reject;
        }
    }
    if any_match(&alt.excludes, &scope.text) || any_match(&alt.file_excludes, view.live()) {
        return Verdict::Fine(alt.ok.clone());
    }
    if scope.merged
        || any_match(&alt.unknown, &scope.text)
        || any_match(&alt.file_unknown, view.live())
    {
        return Verdict::Unknown(alt.unknown_reason.clone().unwrap_or_else(|| {
            "what the rule looks for may be supplied outside this file".to_string()
        }));
    }
    Verdict::Accept
}

/// How far a `line` scope reaches either side of its match.
const LINE_WINDOW: usize = 4096;

/// A list of one range (clippy reads `vec![a..b]` as a likely mistake).
fn one(r: Range<usize>) -> Vec<Range<usize>> {
    let mut v = Vec::with_capacity(2);
    v.push(r);
    v
}

/// `/usr/bin/docker` → `docker`.
fn base(word: &str) -> &str {
    word.rsplit(['/', '\\']).next().unwrap_or(word)
}

/// The live text of an alternative's scope around a match.
struct ScopeText {
    text: Vec<u8>,
    /// The YAML unit takes keys from a merge key: its scope is partly elsewhere.
    merged: bool,
}

fn scope_text(
    view: &View<'_>,
    alt: &Context,
    focus: Range<usize>,
    call_span: Option<Range<usize>>,
) -> Option<ScopeText> {
    let off = focus.start;
    let needs_text =
        !alt.requires.is_empty() || !alt.excludes.is_empty() || !alt.unknown.is_empty();
    let mut merged = false;
    let ranges: Vec<Range<usize>> = match alt.scope {
        Scope::File => one(0..view.content.len()),
        // A line is read up to LINE_WINDOW bytes either side of the match:
        // on a minified or generated line megabytes long, "the same line"
        // means nothing further out, and every match re-reading it all
        // would make the scan quadratic.
        Scope::Line => {
            let l = view.line_at(off);
            let start = l.start.max(off.saturating_sub(LINE_WINDOW));
            let end = l.end.min(focus.end.saturating_add(LINE_WINDOW));
            one(start..end)
        }
        Scope::Unit => match view.yaml_at(off) {
            Some(y) => {
                let local = off.checked_sub(y.base)?;
                let unit = y.doc.unit_at(local, &alt.unit)?;
                merged = unit.uses_merge;
                let mut r = one(y.base + unit.span.start..y.base + unit.span.end);
                for p in &alt.also {
                    for id in y.doc.find(p) {
                        let n = y.doc.node(id);
                        // Only nodes of the same document as the unit.
                        if n.doc() == y.doc.node(unit.node).doc() {
                            let s = n.span();
                            r.push(y.base + s.start..y.base + s.end);
                        }
                    }
                }
                r
            }
            // Files without YAML structure are one unit.
            None => one(0..view.content.len()),
        },
        Scope::Command => vec![view.command_at(off)?.span.clone()],
        Scope::Statement => vec![view.code_at(off)?.statement],
        Scope::Call => match call_span {
            Some(s) => vec![s],
            None => {
                let site = view.code_at(off)?;
                let e = site.enclosures.iter().find(|e| e.kind == Kind::Call)?;
                one(e.open..e.close.map_or(site.statement.end, |c| c + 1))
            }
        },
        Scope::Block => vec![view.block_at(off)?],
    };
    if !needs_text {
        return Some(ScopeText {
            text: Vec::new(),
            merged,
        });
    }
    // An alternative about comments looks at them: its scope keeps them.
    let raw = alt.inside & crate::rules::Place::Comment.bit() != 0;
    let mut text = Vec::new();
    for r in ranges {
        if !text.is_empty() {
            text.push(b'\n');
        }
        if raw {
            let end = r.end.min(view.content.len());
            text.extend_from_slice(&view.content[r.start.min(end)..end]);
        } else {
            text.extend_from_slice(&view.live_text(r));
        }
    }
    Some(ScopeText { text, merged })
}
