//! Fixes that delete a line: a deprecated setting whose replacement is
//! nothing at all (setup-localstack's `use-pro: true`, `ACTIVATE_PRO=1`).
//!
//! Deleting is only safe where the file stays valid and means the same
//! thing without the line, so the structure around it is read rather than
//! guessed: a YAML entry is deleted when another entry of its collection
//! remains, or together with its parent key (`with:`, `environment:`) when
//! it was that key's only entry and the parent's own mapping keeps other
//! keys (an empty key would be null, which Actions and compose reject). A
//! line of a script or `.env` file is deleted unless it continues another
//! line or is the only command of a shell block (`then … fi`).

use super::location;
use super::view::View;
use crate::context::yaml::{NodeId, NodeKind, Seg, Style, YamlDoc};
use crate::rules::FixRule;
use std::ops::Range;

/// How far before a command an `export` of its variable is looked for.
const EXPORT_LOOKBACK: usize = 64 * 1024;

/// The line holding `at`, with its terminator.
fn full_line(content: &[u8], at: usize) -> Range<usize> {
    let line = location::line_bounds(content, at);
    let end =
        memchr::memchr(b'\n', &content[line.end..]).map_or(content.len(), |i| line.end + i + 1);
    line.start..end
}

/// The text of the line holding `at`, without its terminator.
fn line_text(content: &[u8], at: usize) -> &[u8] {
    &content[location::line_bounds(content, at)]
}

/// Whether the line before `line_start` ends with a `\` continuation.
fn continues_previous(content: &[u8], line_start: usize) -> bool {
    line_start > 0
        && line_text(content, line_start - 1)
            .trim_ascii_end()
            .ends_with(b"\\")
}

/// The nearest non-blank, non-comment line before (`forward == false`) or
/// after the line starting at `line_start`, trimmed, within `bounds`.
fn neighbour<'c>(
    content: &'c [u8],
    line_start: usize,
    bounds: &Range<usize>,
    forward: bool,
) -> &'c [u8] {
    let mut cur = full_line(content, line_start);
    loop {
        let next = if forward {
            if cur.end >= bounds.end.min(content.len()) {
                return b"";
            }
            full_line(content, cur.end)
        } else {
            if cur.start <= bounds.start || cur.start == 0 {
                return b"";
            }
            full_line(content, cur.start - 1)
        };
        let text = content[location::line_bounds(content, next.start)].trim_ascii();
        if !text.is_empty() && !text.starts_with(b"#") {
            return text;
        }
        cur = next;
    }
}

/// Whether deleting the line at `line` would leave a shell compound
/// command without a body (`if …; then` directly followed by `fi`).
fn only_command_of_block(content: &[u8], line: Range<usize>, bounds: &Range<usize>) -> bool {
    let before = neighbour(content, line.start, bounds, false);
    let after = neighbour(content, line.start, bounds, true);
    let opens = [&b"then"[..], b"do", b"else", b"{", b"(", b"in", b")"]
        .iter()
        .any(|k| before.ends_with(k));
    let closes = [
        &b"fi"[..],
        b"done",
        b"else",
        b"elif",
        b"}",
        b")",
        b"esac",
        b";;",
    ]
    .iter()
    .any(|k| after.starts_with(k));
    opens && closes
}

/// Whether the line `text` is a key with nothing after the colon but a
/// comment: no anchor, tag or inline value would be lost with it.
fn bare_key_line(text: &[u8], key: &str) -> bool {
    let t = text.trim_ascii();
    let Some(rest) = t.strip_prefix(key.as_bytes()) else {
        return false;
    };
    let Some(rest) = rest.trim_ascii_start().strip_prefix(b":") else {
        return false;
    };
    let rest = rest.trim_ascii();
    rest.is_empty() || rest.starts_with(b"#")
}

/// The edits deleting the line of the match at `m`, when `fix` declares
/// `drop_line` and deleting it is safe; `None` otherwise (the finding then
/// stays work for a person, with its rule's reason).
pub(crate) fn drop_edits(
    view: &View<'_>,
    fix: &FixRule,
    m: Range<usize>,
) -> Option<Vec<(Range<usize>, String)>> {
    let pattern = fix.drop_line.as_ref()?;
    let content = view.content;
    let line = location::line_bounds(content, m.start);
    if m.end > line.end || !pattern.is_match(&content[line.clone()]) {
        return None;
    }
    if continues_previous(content, line.start) {
        return None;
    }
    let yaml = view.yaml_at(m.start);
    if let Some(y) = &yaml {
        // A tree read by indentation after the parser gave up is good
        // enough to find keys, not to decide what a deletion leaves.
        if y.doc.used_fallback() {
            return None;
        }
        let off = m.start.checked_sub(y.base)?;
        match y.doc.block_scalar_at(off) {
            // A script inside YAML: a line of it, but never the last one
            // (an empty `run:` fails the workflow).
            Some(b) => {
                if !fix.drop_unit.is_empty() {
                    return None;
                }
                let block = b.content.start + y.base..b.content.end + y.base;
                let others = content[block.clone()]
                    .split(|&c| c == b'\n')
                    .filter(|l| !l.trim_ascii().is_empty())
                    .count();
                if others < 2 || only_command_of_block(content, line.clone(), &block) {
                    return None;
                }
                return Some(vec![(full_line(content, m.start), String::new())]);
            }
            None => return yaml_entry(content, y.doc, y.base, fix, m.start),
        }
    }
    if !fix.drop_unit.is_empty() {
        return None;
    }
    let bounds = view.block_at(m.start).unwrap_or(0..content.len());
    if only_command_of_block(content, line, &bounds) {
        return None;
    }
    Some(vec![(full_line(content, m.start), String::new())])
}

/// The edit deleting a plain list item that is one command of a CI script
/// (GitLab `script:`, CircleCI-style `commands:`), when another item stays.
fn script_item(
    content: &[u8],
    doc: &YamlDoc,
    base: usize,
    off: usize,
    line: &Range<usize>,
) -> Option<Vec<(Range<usize>, String)>> {
    let id = doc
        .ancestors(off)
        .find(|id| doc.node(*id).seg().is_some())?;
    let item = doc.node(id);
    let span = item.span().start + base..item.span().end + base;
    if !matches!(item.seg(), Some(Seg::Index(_)))
        || item.kind() != NodeKind::Scalar(crate::context::yaml::Style::Plain)
        || span.start < line.start
        || span.end > line.end
    {
        return None;
    }
    let list = doc.node(item.parent()?);
    if list.kind() != NodeKind::Sequence || !list.block_collection || list.children().len() < 2 {
        return None;
    }
    Some(vec![(full_line(content, line.start), String::new())])
}

/// Deletes the YAML entry holding `at` (see the module comment).
fn yaml_entry(
    content: &[u8],
    doc: &YamlDoc,
    base: usize,
    fix: &FixRule,
    at: usize,
) -> Option<Vec<(Range<usize>, String)>> {
    let off = at - base;
    let abs = |r: &Range<usize>| r.start + base..r.end + base;
    let line = location::line_bounds(content, at);
    // The entry: the innermost node with a key or an index.
    let entry: NodeId = doc
        .ancestors(off)
        .find(|id| doc.node(*id).seg().is_some())?;
    let e = doc.node(entry);
    let span = abs(&e.span());
    if !matches!(e.kind(), NodeKind::Scalar(_)) || span.start < line.start || span.end > line.end {
        return None;
    }
    let parent_id = e.parent()?;
    let parent = doc.node(parent_id);
    if !parent.block_collection || doc.uses_merge(parent_id) {
        return None;
    }
    if !fix.drop_unit.is_empty() {
        let unit = doc.unit_at(off, &fix.drop_unit)?;
        if unit.uses_merge {
            return None;
        }
        let text = &content[abs(&unit.span)];
        if !fix.drop_unit_requires.iter().all(|r| r.is_match(text)) {
            return None;
        }
    }
    // Another entry stays: only this line goes. Siblings that would be
    // dropped too do not count, so two of them never empty the block.
    let stays = parent.children().iter().any(|c| {
        *c != entry && {
            let start = doc.node(*c).span().start + base;
            !pattern_matches(fix, line_text(content, start))
        }
    });
    if stays {
        return Some(vec![(full_line(content, at), String::new())]);
    }
    if parent.children().len() != 1 {
        return None;
    }
    // The only entry: its parent key goes with it, when that key is one the
    // rule names and its own mapping keeps another key.
    let Some(Seg::Key(key)) = parent.seg() else {
        return None;
    };
    if !fix.drop_parents.iter().any(|p| p == key) {
        return None;
    }
    let key_span = abs(&parent.key_span()?);
    if !bare_key_line(line_text(content, key_span.start), key) {
        return None;
    }
    let grand_id = parent.parent()?;
    let grand = doc.node(grand_id);
    if !grand.block_collection || grand.children().len() < 2 {
        return None;
    }
    let start = location::line_bounds(content, key_span.start).start;
    Some(vec![(start..full_line(content, at).end, String::new())])
}

fn pattern_matches(fix: &FixRule, text: &[u8]) -> bool {
    fix.drop_line.as_ref().is_some_and(|p| p.is_match(text))
}

/// Whether `name` is exported before `at`: in the environment of a YAML
/// mapping holding it (a CI step, job or workflow `env:`, GitLab
/// `variables:`, CircleCI `environment:`), or by an `export` line earlier
/// in the same script.
fn exported_before(view: &View<'_>, name: &str, at: usize) -> bool {
    let content = view.content;
    if let Some(y) = view.yaml_at(at) {
        if let Some(off) = at.checked_sub(y.base) {
            for id in y.doc.ancestors(off) {
                if y.doc.node(id).kind() != NodeKind::Mapping {
                    continue;
                }
                for key in ["env", "variables", "environment"] {
                    let set = y.doc.child(id, key).is_some_and(|env| {
                        y.doc.node(env).kind() == NodeKind::Mapping
                            && y.doc.child(env, name).is_some()
                    });
                    if set {
                        return true;
                    }
                }
            }
        }
    }
    let script = view.block_at(at).unwrap_or(0..content.len());
    let line_start = location::line_bounds(content, at).start;
    // A bounded look-back keeps a file with many login lines linear; an
    // export further up than this is not taken as setting the token.
    let from = script.start.max(line_start.saturating_sub(EXPORT_LOOKBACK));
    let before = &content[from.min(line_start)..line_start];
    before.split(|&c| c == b'\n').any(|l| {
        let l = l.trim_ascii();
        l.strip_prefix(b"export")
            .filter(|r| r.first().is_some_and(|c| c.is_ascii_whitespace()))
            .is_some_and(|r| {
                let r = r.trim_ascii_start();
                r.strip_prefix(name.as_bytes())
                    .is_some_and(|t| t.is_empty() || t[0] == b'=' || t[0].is_ascii_whitespace())
            })
    })
}

/// Keys a CI step may have beside `run:` and still be deleted with it:
/// none changes what later steps see (an `id:` can be referenced, an `if:`
/// or `uses:` makes it another kind of step).
const PLAIN_STEP_KEYS: &[&str] = &["run", "name", "shell", "env", "working-directory"];

/// The edit deleting a whole CI step whose `run:` is exactly the command at
/// `m` (`- run: localstack auth login`, or with a `name:`), when another step
/// stays in its `steps:` list. Comment lines after the step stay: they
/// introduce the next one.
fn run_step(
    content: &[u8],
    doc: &YamlDoc,
    base: usize,
    m: &Range<usize>,
) -> Option<Vec<(Range<usize>, String)>> {
    let off = m.start.checked_sub(base)?;
    let id = doc
        .ancestors(off)
        .find(|id| doc.node(*id).seg().is_some())?;
    let run = doc.node(id);
    let value = run.value_span();
    if run.key() != Some("run")
        || !matches!(run.kind(), NodeKind::Scalar(s) if s != Style::Literal && s != Style::Folded)
        || content
            .get(value.start + base..value.end + base)?
            .trim_ascii()
            != content[m.clone()].trim_ascii()
    {
        return None;
    }
    let step = doc.node(run.parent()?);
    if step.kind() != NodeKind::Mapping || !matches!(step.seg(), Some(Seg::Index(_))) {
        return None;
    }
    let mut end = 0;
    for c in step.children() {
        let child = doc.node(*c);
        if !child.key().is_some_and(|k| PLAIN_STEP_KEYS.contains(&k)) {
            return None;
        }
        end = end.max(child.value_span().end);
    }
    let steps = doc.node(step.parent()?);
    if steps.kind() != NodeKind::Sequence
        || steps.key() != Some("steps")
        || !steps.block_collection
        || steps.children().len() < 2
    {
        return None;
    }
    let start = step.span().start + base;
    let first = location::line_bounds(content, start);
    // The step (its span starts after the dash) must be the item its line
    // opens: only indentation and its dash before it.
    let before = content[first.start..start].trim_ascii();
    if before != b"-" {
        return None;
    }
    let last = full_line(content, (end + base).saturating_sub(1).max(start));
    Some(vec![(first.start..last.end, String::new())])
}

/// The edit deleting the line of the command at `m` when `fix` declares
/// `drop_when_set`, its variable is exported before it and the command is
/// the whole line, or the whole `run:` of a plain CI step (then the step
/// goes).
pub(crate) fn when_set(
    view: &View<'_>,
    fix: &FixRule,
    m: Range<usize>,
) -> Option<Vec<(Range<usize>, String)>> {
    let name = fix.drop_when_set.as_deref()?;
    if !exported_before(view, name, m.start) {
        return None;
    }
    let content = view.content;
    let line = location::line_bounds(content, m.start);
    let yaml = view.yaml_at(m.start);
    let text = content[line.clone()].trim_ascii();
    // In YAML the command may be a list item of its own (`- localstack …`).
    let text = match (&yaml, text.strip_prefix(b"-")) {
        (Some(_), Some(rest)) if rest.first().is_some_and(u8::is_ascii_whitespace) => {
            rest.trim_ascii()
        }
        _ => text,
    };
    if let Some(y) = yaml.as_ref().filter(|y| !y.doc.used_fallback()) {
        if let Some(edit) = run_step(content, y.doc, y.base, &m) {
            return Some(edit);
        }
    }
    if text != content[m.clone()].trim_ascii() || continues_previous(content, line.start) {
        return None;
    }
    let bounds = match yaml {
        Some(y) => {
            if y.doc.used_fallback() {
                return None;
            }
            let off = m.start.checked_sub(y.base)?;
            let Some(b) = y.doc.block_scalar_at(off) else {
                return script_item(content, y.doc, y.base, off, &line);
            };
            let block = b.content.start + y.base..b.content.end + y.base;
            let lines = content[block.clone()]
                .split(|&c| c == b'\n')
                .filter(|l| !l.trim_ascii().is_empty())
                .count();
            if lines < 2 {
                return None;
            }
            block
        }
        None => view.block_at(m.start).unwrap_or(0..content.len()),
    };
    if only_command_of_block(content, line, &bounds) {
        return None;
    }
    Some(vec![(full_line(content, m.start), String::new())])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shell_block_keeps_its_only_command() {
        let c = b"if x; then\n  export A=1\nfi\n";
        let at = 11;
        assert!(only_command_of_block(c, at..at, &(0..c.len())));
        let c = b"if x; then\n  export A=1\n  echo\nfi\n";
        assert!(!only_command_of_block(c, at..at, &(0..c.len())));
        let c = b"#!/bin/sh\nexport A=1\nstart\n";
        assert!(!only_command_of_block(c, 10..10, &(0..c.len())));
    }

    #[test]
    fn only_a_bare_key_line_goes_with_its_entry() {
        assert!(bare_key_line(b"    environment:", "environment"));
        assert!(bare_key_line(
            b"    environment:   # for the container",
            "environment"
        ));
        assert!(!bare_key_line(b"    environment: &env", "environment"));
        assert!(!bare_key_line(b"    environments:", "environment"));
    }

    #[test]
    fn a_line_continued_from_the_one_before_stays() {
        let c = b"ENV A=1 \\\n    ACTIVATE_PRO=1\n";
        let second = c.iter().position(|&b| b == b'\n').map_or(0, |i| i + 1);
        assert!(continues_previous(c, second));
        assert!(!continues_previous(b"A=1\nB=2\n", 4));
    }
}
