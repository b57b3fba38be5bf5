//! Checks rule specs and compiles them into [`Rule`]s. Every structural problem
//! is collected (not just the first) and reported with a span into the file.

use super::checksum::Checksum;
use super::model::RuleSource;
use super::model::{
    Context, Entity, Example, FixAction, FixMeta, FixRule, Matcher, Migration, NamePattern, Origin,
    Outcome, OutcomeKind, Place, Places, Rule, RuleMeta, Scope, FIX_OPT_INS,
};
use super::pattern::{self, Globs, Pattern};
use super::spec::{
    ContextSpec, EntitySpec, ExampleSpec, FixSpec, OutcomeSpec, RuleFileSpec, RuleSpec,
};
use crate::context::yaml::PathPattern;
use crate::error::{shared_source, ProblemKind, RuleErrors, SharedSource, SourceProblem};
use crate::finding::Severity;
use crate::kind::{self, FileKind};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;
use toml::Spanned;

/// Longest pattern once `(?&name)` references are expanded (1 MiB).
const MAX_EXPANDED_LEN: usize = 1 << 20;
/// How deep `(?&name)` references may nest.
const MAX_DEF_DEPTH: usize = 8;
const PRECISIONS: &[&str] = &["very-high", "high", "medium", "low"];

struct Ctx<'a> {
    source: &'a RuleSource,
    /// The file as a diagnostic source, built on the first problem only.
    shared: Option<SharedSource>,
    problems: Vec<SourceProblem>,
    /// Regexes are kept as text and compiled on first use: the file is one
    /// of the embedded pack's, whose patterns its tests compile.
    deferred: bool,
    /// Patterns built so far in this load, by expanded text: the same
    /// pattern in several rules or contexts (a shared `(?&def)`, a common
    /// guard) is compiled once and shares its compiled form.
    patterns: HashMap<String, Pattern>,
    /// Glob sets built so far in this load, by their globs.
    globsets: HashMap<Vec<String>, Globs>,
    /// The file is the embedded pack's copy without examples (build.rs):
    /// its rules are not required to carry any.
    lean: bool,
}

impl Ctx<'_> {
    fn problem(
        &mut self,
        span: Option<Range<usize>>,
        message: impl Into<String>,
        label: &str,
        help: Option<String>,
    ) {
        let src = self
            .shared
            .get_or_insert_with(|| source_of(self.source))
            .clone();
        self.problems.push(SourceProblem::new(
            ProblemKind::Rule,
            &src,
            span,
            message.into(),
            label,
            help,
        ));
    }
}

fn source_of(source: &RuleSource) -> SharedSource {
    shared_source(&source.name, &source.text, Some("toml"))
}

/// Builds a problem for a rule source (used by the example checker too).
pub(crate) fn problem_at(
    source: &RuleSource,
    span: Range<usize>,
    message: String,
    label: &str,
    help: Option<String>,
) -> SourceProblem {
    SourceProblem::new(
        ProblemKind::Rule,
        &source_of(source),
        Some(span),
        message,
        label,
        help,
    )
}

/// Which of the embedded pack's files without examples `source` is.
fn lean_index(source: &RuleSource) -> Option<usize> {
    super::embedded::DEFAULT_RULES_FOR_SCANNING
        .iter()
        .position(|(_, text)| *text == source.text)
}

/// Whether `source` is one of the embedded pack's files without examples.
fn is_lean(source: &RuleSource) -> bool {
    lean_index(source).is_some()
}

/// Whether `source` holds exactly the text of one of the embedded pack's
/// files, in either copy (whatever it is called).
fn is_embedded(source: &RuleSource) -> bool {
    holds_one_of(super::embedded::DEFAULT_RULES, source) || is_lean(source)
}

/// Whether `source` holds exactly the text of one of `files`.
fn holds_one_of(files: &[(&str, &str)], source: &RuleSource) -> bool {
    files.iter().any(|(_, text)| *text == source.text)
}

pub(super) fn compile_all(sources: &[RuleSource]) -> Result<(Vec<Rule>, Vec<Entity>), RuleErrors> {
    compile_sources(sources, is_embedded)
}

/// [`compile_all`], deferring the regexes of the sources `defer` picks.
fn compile_sources(
    sources: &[RuleSource],
    defer: fn(&RuleSource) -> bool,
) -> Result<(Vec<Rule>, Vec<Entity>), RuleErrors> {
    let mut problems = Vec::new();
    let mut rules = Vec::new();
    let mut entities: Vec<Entity> = Vec::new();
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    let mut seen_entities: BTreeMap<String, String> = BTreeMap::new();
    let mut patterns = HashMap::new();
    let mut globsets = HashMap::new();
    let parsed = parse_all(sources);
    for ((index, source), (file, lean)) in sources.iter().enumerate().zip(parsed) {
        let mut ctx = Ctx {
            source,
            shared: None,
            problems: Vec::new(),
            deferred: defer(source),
            patterns: std::mem::take(&mut patterns),
            globsets: std::mem::take(&mut globsets),
            lean,
        };
        let (file_rules, file_entities) = compile_file(&mut ctx, file, index);
        patterns = std::mem::take(&mut ctx.patterns);
        globsets = std::mem::take(&mut ctx.globsets);
        for rule in file_rules {
            match seen.get(&rule.meta.id) {
                Some(first) => {
                    let span = rule.origin.span.clone();
                    ctx.problem(
                        Some(span),
                        format!(
                            "duplicate rule id `{}` (first defined in {first})",
                            rule.meta.id
                        ),
                        "second definition",
                        Some("rule ids are global: rename one, or disable the other in keysweep.toml".into()),
                    );
                }
                None => {
                    seen.insert(rule.meta.id.clone(), source.name.clone());
                    rules.push(rule);
                }
            }
        }
        for entity in file_entities {
            match seen_entities.get(&entity.id) {
                Some(first) => {
                    let span = entity.origin.span.clone();
                    ctx.problem(
                        Some(span),
                        format!(
                            "duplicate entity id `{}` (first defined in {first})",
                            entity.id
                        ),
                        "second definition",
                        Some("entity ids are global: rename one".into()),
                    );
                }
                None => {
                    seen_entities.insert(entity.id.clone(), source.name.clone());
                    entities.push(entity);
                }
            }
        }
        problems.append(&mut ctx.problems);
    }
    if problems.is_empty() {
        problems.extend(cross_check(sources, &rules, &entities));
    }
    if problems.is_empty() {
        Ok((rules, entities))
    } else {
        Err(RuleErrors { problems })
    }
}

/// Checks between files: `mentions` name entities, outcomes name rules, and
/// a rule without a regex is some entity's outcome (otherwise it never runs).
fn cross_check(sources: &[RuleSource], rules: &[Rule], entities: &[Entity]) -> Vec<SourceProblem> {
    let mut problems = Vec::new();
    let rule_ids: HashSet<&str> = rules.iter().map(|r| r.meta.id.as_str()).collect();
    let entity_ids: HashSet<&str> = entities.iter().map(|e| e.id.as_str()).collect();
    let mut outcome_rules: HashSet<&str> = HashSet::new();
    for e in entities {
        for o in &e.outcomes {
            if let OutcomeKind::Rule(id) = &o.kind {
                outcome_rules.insert(id.as_str());
                if !rule_ids.contains(id.as_str()) {
                    problems.push(problem_at(
                        &sources[e.origin.source_index],
                        e.origin.span.clone(),
                        format!("entity `{}`: outcome names unknown rule `{id}`", e.id),
                        "this entity",
                        Some("`keysweep rules list` prints every rule id".into()),
                    ));
                }
            }
        }
    }
    for r in rules {
        for m in &r.matcher.mentions {
            if !entity_ids.contains(m.as_str()) {
                problems.push(problem_at(
                    &sources[r.origin.source_index],
                    r.origin.span.clone(),
                    format!(
                        "rule `{}`: `mentions` names unknown entity `{m}`",
                        r.meta.id
                    ),
                    "this rule",
                    Some("entities are defined in `[[entity]]` tables".into()),
                ));
            }
        }
        if r.matcher.regex.is_none() && !outcome_rules.contains(r.meta.id.as_str()) {
            problems.push(problem_at(
                &sources[r.origin.source_index],
                r.origin.span.clone(),
                format!(
                    "rule `{}` has no regex and is no entity's outcome, so it never runs",
                    r.meta.id
                ),
                "this rule",
                Some("add a regex, or name the rule in an `[[entity.outcome]]`".into()),
            ));
        }
    }
    problems
}

/// A rule file that does not parse: the message, and where.
struct ParseError {
    message: String,
    span: Option<Range<usize>>,
}

/// Parses every rule file, one after the other, and says which are the
/// embedded pack's files without examples. Those were parsed at build time
/// and are read from their packed form (see `packed`). Parsing on a second
/// thread was tried and lost: for the shipped pack (100 KB) the thread and
/// the fresh memory it touches cost more than half the parse.
fn parse_all(sources: &[RuleSource]) -> Vec<(Result<RuleFileSpec, ParseError>, bool)> {
    sources
        .iter()
        .map(|s| {
            let packed = lean_index(s).and_then(|i| super::embedded::DEFAULT_RULES_PACKED.get(i));
            let parsed = match packed {
                Some(bytes) => super::packed::from_packed(bytes).map_err(|e| ParseError {
                    message: format!("the packed form of the embedded file is damaged: {e}"),
                    span: None,
                }),
                None => toml::from_str(&s.text).map_err(|e| ParseError {
                    message: e.message().to_string(),
                    span: e.span(),
                }),
            };
            (parsed, packed.is_some())
        })
        .collect()
}

fn compile_file(
    ctx: &mut Ctx<'_>,
    file: Result<RuleFileSpec, ParseError>,
    source_index: usize,
) -> (Vec<Rule>, Vec<Entity>) {
    let file: RuleFileSpec = match file {
        Ok(f) => f,
        Err(e) => {
            let msg = e.message;
            ctx.problem(e.span, format!("invalid rule file: {msg}"), "here", None);
            return (Vec::new(), Vec::new());
        }
    };
    if file.rule.is_empty() && file.entity.is_empty() {
        ctx.problem(
            Some(0..0),
            "the file defines no [[rule]]",
            "empty rule file",
            None,
        );
    }
    let defs = file.defs;
    for (name, value) in &defs {
        if !is_def_name(name) {
            ctx.problem(
                Some(value.span()),
                format!("invalid def name `{name}`"),
                "def",
                Some("use letters, digits and `_`".into()),
            );
        }
    }
    let rules = file
        .rule
        .into_iter()
        .filter_map(|spanned| {
            let span = spanned.span();
            compile_rule(ctx, &defs, spanned.into_inner(), span, source_index)
        })
        .collect();
    let entities = file
        .entity
        .into_iter()
        .filter_map(|spanned| {
            let span = spanned.span();
            compile_entity(ctx, &defs, spanned.into_inner(), span, source_index)
        })
        .collect();
    (rules, entities)
}

/// Resolves place names (`code`, `comment`, …) to a set.
fn places(ctx: &mut Ctx<'_>, list: &[Spanned<String>]) -> Option<Places> {
    let mut out: Places = 0;
    let mut ok = true;
    for p in list {
        match Place::NAMES
            .iter()
            .find(|(n, _)| *n == p.get_ref().as_str())
        {
            Some((_, place)) => out |= place.bit(),
            None => {
                ok = false;
                let names: Vec<&str> = Place::NAMES.iter().map(|(n, _)| *n).collect();
                ctx.problem(
                    Some(p.span()),
                    format!("unknown place `{}`", p.get_ref()),
                    "place",
                    Some(format!("known places: {}", names.join(", "))),
                );
            }
        }
    }
    ok.then_some(out)
}

fn path_patterns(ctx: &mut Ctx<'_>, list: &[Spanned<String>], what: &str) -> Vec<PathPattern> {
    list.iter()
        .filter_map(|p| {
            let text = p.get_ref().trim();
            if text.is_empty() || text.split('.').any(str::is_empty) {
                ctx.problem(
                    Some(p.span()),
                    format!("invalid {what} path pattern `{}`", p.get_ref()),
                    "pattern",
                    Some("use dot-separated keys, `*` for one step, `**` for any steps, e.g. `services.*.image`".into()),
                );
                None
            } else {
                Some(PathPattern::parse(text))
            }
        })
        .collect()
}

fn name_patterns(ctx: &mut Ctx<'_>, list: &[Spanned<String>]) -> Vec<NamePattern> {
    list.iter()
        .filter_map(|p| {
            let text = p.get_ref().trim();
            if text.is_empty() {
                ctx.problem(
                    Some(p.span()),
                    format!("invalid call name pattern `{}`", p.get_ref()),
                    "pattern",
                    Some("a name such as `withEnv` or `*.getenv`".into()),
                );
                return None;
            }
            Some(NamePattern {
                text: text.to_string(),
            })
        })
        .collect()
}

/// Checks one context alternative.
fn compile_context(
    ctx: &mut Ctx<'_>,
    defs: &BTreeMap<String, Spanned<String>>,
    spanned: &Spanned<ContextSpec>,
) -> Option<Context> {
    let before = ctx.problems.len();
    let spec = spanned.get_ref();
    let kinds_in = if spec.kinds.is_empty() {
        Some(None)
    } else {
        kinds(ctx, &spec.kinds).map(Some)
    };
    let not_kinds = kinds(ctx, &spec.not_kinds);
    let paths = globs(ctx, &spec.paths);
    let inside = places(ctx, &spec.inside);
    let outside = places(ctx, &spec.outside);
    let yaml = path_patterns(ctx, &spec.yaml, "yaml");
    let unit = path_patterns(ctx, &spec.unit, "unit");
    let also = path_patterns(ctx, &spec.also, "also");
    let call = name_patterns(ctx, &spec.call);
    let call_any = match spec.call_depth.as_ref().map(|d| (d, d.get_ref().as_str())) {
        None | Some((_, "innermost")) => false,
        Some((_, "any")) => true,
        Some((d, other)) => {
            ctx.problem(
                Some(d.span()),
                format!("unknown call_depth `{other}`"),
                "call_depth",
                Some("use `innermost` (the default) or `any`".into()),
            );
            false
        }
    };
    let command: Vec<Vec<String>> = spec
        .command
        .iter()
        .filter_map(|c| {
            let words: Vec<String> = c.get_ref().split_whitespace().map(str::to_string).collect();
            if words.is_empty() {
                ctx.problem(Some(c.span()), "empty command", "command", None);
                None
            } else {
                Some(words)
            }
        })
        .collect();
    let image_word = match spec.word.as_ref().map(|w| (w, w.get_ref().as_str())) {
        None | Some((_, "any")) => false,
        Some((_, "image")) => {
            if command.is_empty() {
                ctx.problem(
                    Some(spanned.span()),
                    "`word = \"image\"` needs `command`",
                    "context",
                    None,
                );
            }
            true
        }
        Some((w, other)) => {
            ctx.problem(
                Some(w.span()),
                format!("unknown word `{other}`"),
                "word",
                Some("use `image` (the image of `docker run`) or `any`".into()),
            );
            false
        }
    };
    let scope = match &spec.scope {
        None => Some(Scope::File),
        Some(sc) => match Scope::NAMES
            .iter()
            .find(|(n, _)| *n == sc.get_ref().as_str())
        {
            Some((_, s)) => Some(*s),
            None => {
                let names: Vec<&str> = Scope::NAMES.iter().map(|(n, _)| *n).collect();
                ctx.problem(
                    Some(sc.span()),
                    format!("unknown scope `{}`", sc.get_ref()),
                    "scope",
                    Some(format!("known scopes: {}", names.join(", "))),
                );
                None
            }
        },
    };
    if scope == Some(Scope::Unit) && unit.is_empty() && spec.unit.is_empty() {
        ctx.problem(
            Some(spanned.span()),
            "`scope = \"unit\"` needs `unit` patterns",
            "context",
            Some("e.g. `unit = [\"services.*\"]`".into()),
        );
    }
    let requires = build_regexes(ctx, defs, &spec.requires, "requires pattern");
    let excludes = build_regexes(ctx, defs, &spec.excludes, "excludes pattern");
    let unknown = build_regexes(ctx, defs, &spec.unknown, "unknown pattern");
    let file_requires = build_regexes(ctx, defs, &spec.file_requires, "file_requires pattern");
    let before_requires =
        build_regexes(ctx, defs, &spec.before_requires, "before_requires pattern");
    let file_excludes = build_regexes(ctx, defs, &spec.file_excludes, "file_excludes pattern");
    let file_unknown = build_regexes(ctx, defs, &spec.file_unknown, "file_unknown pattern");
    let instruction = spec
        .instruction
        .iter()
        .map(|i| i.get_ref().to_ascii_uppercase())
        .collect();
    if ctx.problems.len() != before {
        return None;
    }
    Some(Context {
        kinds: kinds_in?,
        not_kinds: not_kinds?,
        paths: paths?,
        inside: inside?,
        outside: outside?,
        yaml,
        call,
        call_any,
        command,
        image_word,
        instruction,
        scope: scope?,
        unit,
        also,
        requires: requires?,
        excludes: excludes?,
        unknown: unknown?,
        file_requires: file_requires?,
        before_requires: before_requires?,
        file_excludes: file_excludes?,
        file_unknown: file_unknown?,
        ok: spec.ok.clone(),
        unknown_reason: spec.unknown_reason.clone(),
        follow: spec.follow,
    })
}

fn compile_contexts(
    ctx: &mut Ctx<'_>,
    defs: &BTreeMap<String, Spanned<String>>,
    list: &[Spanned<ContextSpec>],
) -> Option<Vec<Context>> {
    let mut ok = true;
    let mut out = Vec::new();
    for c in list {
        match compile_context(ctx, defs, c) {
            Some(c) => out.push(c),
            None => ok = false,
        }
    }
    ok.then_some(out)
}

/// Compiles path globs; `Some(None)` when there are none. Each glob is
/// parsed now; the set is built now too, unless the file's patterns are
/// deferred.
fn globs(ctx: &mut Ctx<'_>, list: &[Spanned<String>]) -> Option<Option<Globs>> {
    if list.is_empty() {
        return Some(None);
    }
    // Rules and contexts repeat a few path lists; each set is built once.
    let key: Vec<String> = list.iter().map(|g| g.get_ref().clone()).collect();
    if let Some(set) = ctx.globsets.get(&key) {
        return Some(Some(set.clone()));
    }
    let mut parsed = Vec::new();
    let mut ok = true;
    for p in list {
        match globset::GlobBuilder::new(p.get_ref())
            .literal_separator(true)
            .build()
        {
            Ok(g) => parsed.push(g),
            Err(e) => {
                ok = false;
                ctx.problem(
                    Some(p.span()),
                    format!("invalid path glob `{}`", p.get_ref()),
                    "glob",
                    Some(e.to_string()),
                );
            }
        }
    }
    if !ok {
        return None;
    }
    let set = if ctx.deferred {
        Globs::deferred(parsed)
    } else {
        match pattern::build_globs(&parsed) {
            Ok(set) => Globs::built(parsed, set),
            Err(e) => {
                let span = list[0].span().start..list[list.len() - 1].span().end;
                ctx.problem(
                    Some(span),
                    "the path globs do not build",
                    "globs",
                    Some(e.to_string()),
                );
                return None;
            }
        }
    };
    ctx.globsets.insert(key, set.clone());
    Some(Some(set))
}

/// The 1-based line holding byte `offset` of `text` (`lines()` counted up
/// to it, without walking the text char by char: a pack has many rules).
fn line_of(text: &str, offset: usize) -> usize {
    let before = &text.as_bytes()[..offset];
    let newlines = memchr::memchr_iter(b'\n', before).count();
    let partial = usize::from(before.last().is_some_and(|&b| b != b'\n'));
    (newlines + partial).max(1)
}

fn compile_entity(
    ctx: &mut Ctx<'_>,
    defs: &BTreeMap<String, Spanned<String>>,
    spec: EntitySpec,
    span: Range<usize>,
    source_index: usize,
) -> Option<Entity> {
    let before = ctx.problems.len();
    let id = spec.id.get_ref().clone();
    if !is_rule_id(&id) {
        ctx.problem(
            Some(spec.id.span()),
            format!("invalid entity id `{id}`"),
            "entity id",
            Some("ids are lowercase letters and digits separated by `.` or `-`".into()),
        );
    }
    let mut keywords = Vec::new();
    for k in &spec.keywords {
        if k.get_ref().trim().is_empty() {
            ctx.problem(Some(k.span()), "empty keyword", "keyword", None);
        } else {
            keywords.push(k.get_ref().to_ascii_lowercase());
        }
    }
    let regex = build_regex(ctx, defs, &spec.regex, "entity regex");
    let mut outcomes = Vec::new();
    for o in &spec.outcome {
        if let Some(out) = compile_outcome(ctx, defs, o) {
            outcomes.push(out);
        }
    }
    if outcomes.is_empty() {
        ctx.problem(
            Some(spec.id.span()),
            format!("entity `{id}` has no outcome"),
            "entity",
            Some("say what happens to a mention no finding accounts for: `[[entity.outcome]]` with `rule` or `silent`".into()),
        );
    }
    let examples = spec
        .must_be_silent
        .iter()
        .map(|ex| {
            let (text, path) = match ex.get_ref() {
                ExampleSpec::Text(t) => (t.clone(), "example.txt".to_string()),
                ExampleSpec::WithPath(w) => (w.text.clone(), w.path.clone()),
            };
            Example {
                text,
                path,
                must_match: false,
                span: ex.span(),
            }
        })
        .collect();
    let mut rename = Vec::new();
    for r in &spec.rename {
        let p = r.get_ref();
        if p.find.is_empty() || p.with.is_empty() || p.find == p.with {
            ctx.problem(
                Some(r.span()),
                "a rename needs a non-empty `find` and a different, non-empty `with`",
                "rename",
                None,
            );
        } else {
            rename.push((p.find.clone(), p.with.clone()));
        }
    }
    if ctx.problems.len() != before {
        return None;
    }
    Some(Entity {
        id,
        description: spec.description,
        keywords,
        regex: regex?,
        outcomes,
        examples,
        rename,
        origin: Origin { span, source_index },
    })
}

fn compile_outcome(
    ctx: &mut Ctx<'_>,
    defs: &BTreeMap<String, Spanned<String>>,
    spanned: &Spanned<OutcomeSpec>,
) -> Option<Outcome> {
    let spec = spanned.get_ref();
    let kind = match (&spec.rule, &spec.silent) {
        (Some(r), None) => OutcomeKind::Rule(r.get_ref().clone()),
        (None, Some(reason)) if !reason.get_ref().trim().is_empty() => {
            OutcomeKind::Silent(reason.get_ref().trim().to_string())
        }
        _ => {
            ctx.problem(
                Some(spanned.span()),
                "an outcome has exactly one of `rule` (a rule id) or `silent` (a reason)",
                "outcome",
                None,
            );
            return None;
        }
    };
    let when = compile_contexts(ctx, defs, &spec.when)?;
    Some(Outcome { kind, when })
}

fn is_def_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn is_rule_id(s: &str) -> bool {
    // ^[a-z0-9]+(?:[.-][a-z0-9]+)*$ without pulling a regex in for it.
    !s.is_empty()
        && s.split(['.', '-']).all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// Expands `(?&name)` references to `(?:<def>)`. The expansion is bounded
/// while it is built ([`MAX_EXPANDED_LEN`]): defs referring to each other
/// several times grow exponentially with the nesting depth, and a small rule
/// file could otherwise ask for gigabytes before any regex size check runs.
fn expand(
    defs: &BTreeMap<String, Spanned<String>>,
    pattern: &str,
    depth: usize,
) -> Result<String, String> {
    let mut out = String::with_capacity(pattern.len().min(MAX_EXPANDED_LEN));
    expand_into(defs, pattern, depth, &mut out)?;
    Ok(out)
}

fn expand_into(
    defs: &BTreeMap<String, Spanned<String>>,
    pattern: &str,
    depth: usize,
    out: &mut String,
) -> Result<(), String> {
    if depth > MAX_DEF_DEPTH {
        return Err(format!(
            "`(?&…)` references nest deeper than {MAX_DEF_DEPTH} levels (a cycle?)"
        ));
    }
    let push = |out: &mut String, s: &str| {
        if out.len() + s.len() > MAX_EXPANDED_LEN {
            Err(format!(
                "the pattern expands to more than {} KiB once `(?&…)` references are replaced; use fewer or smaller references",
                MAX_EXPANDED_LEN >> 10
            ))
        } else {
            out.push_str(s);
            Ok(())
        }
    };
    let mut rest = pattern;
    while let Some(pos) = rest.find("(?&") {
        push(out, &rest[..pos])?;
        let after = &rest[pos + 3..];
        let end = after
            .find(')')
            .ok_or_else(|| "unterminated `(?&name)` reference".to_string())?;
        let name = &after[..end];
        let def = defs
            .get(name)
            .ok_or_else(|| format!("unknown def `{name}` in `(?&{name})`"))?;
        push(out, "(?:")?;
        expand_into(defs, def.get_ref(), depth + 1, out)?;
        push(out, ")")?;
        rest = &after[end + 1..];
    }
    push(out, rest)
}

fn build_regex(
    ctx: &mut Ctx<'_>,
    defs: &BTreeMap<String, Spanned<String>>,
    spanned: &Spanned<String>,
    what: &str,
) -> Option<Pattern> {
    let expanded = match expand(defs, spanned.get_ref(), 0) {
        Ok(p) => p,
        Err(msg) => {
            ctx.problem(
                Some(spanned.span()),
                format!("{what}: {msg}"),
                "in this pattern",
                None,
            );
            return None;
        }
    };
    if let Some(p) = ctx.patterns.get(&expanded) {
        return Some(p.clone());
    }
    let built = if ctx.deferred {
        Pattern::deferred(expanded.clone())
    } else {
        match pattern::build(&expanded) {
            Ok(r) => Pattern::compiled(expanded.clone(), r),
            Err(e) => {
                ctx.problem(
                    Some(spanned.span()),
                    format!("{what} does not compile"),
                    "this pattern",
                    Some(e.to_string()),
                );
                return None;
            }
        }
    };
    ctx.patterns.insert(expanded, built.clone());
    Some(built)
}

fn build_regexes(
    ctx: &mut Ctx<'_>,
    defs: &BTreeMap<String, Spanned<String>>,
    list: &[Spanned<String>],
    what: &str,
) -> Option<Vec<Pattern>> {
    let mut ok = true;
    let mut out = Vec::new();
    for s in list {
        match build_regex(ctx, defs, s, what) {
            Some(r) => out.push(r),
            None => ok = false,
        }
    }
    ok.then_some(out)
}

fn kinds(ctx: &mut Ctx<'_>, list: &[Spanned<String>]) -> Option<Vec<FileKind>> {
    let mut out = Vec::new();
    let mut ok = true;
    for k in list {
        match kind::resolve(k.get_ref()) {
            Some(ks) => out.extend(ks),
            None => {
                ok = false;
                let known: Vec<&str> = FileKind::ALL
                    .iter()
                    .map(|k| k.as_str())
                    .chain(kind::GROUPS.iter().copied())
                    .collect();
                ctx.problem(
                    Some(k.span()),
                    format!("unknown file kind `{}`", k.get_ref()),
                    "unknown kind",
                    Some(format!("known kinds and groups: {}", known.join(", "))),
                );
            }
        }
    }
    out.sort();
    out.dedup();
    ok.then_some(out)
}

fn compile_rule(
    ctx: &mut Ctx<'_>,
    defs: &BTreeMap<String, Spanned<String>>,
    spec: RuleSpec,
    span: Range<usize>,
    source_index: usize,
) -> Option<Rule> {
    let before = ctx.problems.len();
    let id = spec.id.get_ref().clone();
    if !is_rule_id(&id) {
        ctx.problem(
            Some(spec.id.span()),
            format!("invalid rule id `{id}`"),
            "rule id",
            Some("ids are lowercase letters and digits separated by `.` or `-`, e.g. `localstack.api-key.leaked`".into()),
        );
    }
    let severity: Option<Severity> = spec.severity.get_ref().parse().ok();
    if severity.is_none() {
        ctx.problem(
            Some(spec.severity.span()),
            format!("unknown severity `{}`", spec.severity.get_ref()),
            "severity",
            Some("use one of: critical, high, medium, low, info".into()),
        );
    }
    let precision = match &spec.precision {
        Some(p) if !PRECISIONS.contains(&p.get_ref().as_str()) => {
            ctx.problem(
                Some(p.span()),
                format!("unknown precision `{}`", p.get_ref()),
                "precision",
                Some(format!("use one of: {}", PRECISIONS.join(", "))),
            );
            String::new()
        }
        Some(p) => p.get_ref().clone(),
        None => "high".to_string(),
    };
    if let Some(class) = &spec.class {
        let ok = class
            .strip_prefix('F')
            .and_then(|n| n.parse::<u8>().ok())
            .is_some_and(|n| (1..=99).contains(&n));
        if !ok {
            ctx.problem(
                Some(span.clone()),
                format!("class `{class}` is not of the form F<number>"),
                "rule",
                None,
            );
        }
    }
    let kinds_in = if spec.kinds.is_empty() {
        Some(None)
    } else {
        kinds(ctx, &spec.kinds).map(Some)
    };
    let not_kinds = kinds(ctx, &spec.not_kinds);
    let not_paths = globs(ctx, &spec.not_paths);
    let path_set = globs(ctx, &spec.paths);
    let mut keywords = Vec::new();
    for k in &spec.keywords {
        if k.get_ref().trim().is_empty() {
            ctx.problem(
                Some(k.span()),
                "empty keyword",
                "keyword",
                Some("remove it; a rule without keywords runs on every file".into()),
            );
        } else {
            keywords.push(k.get_ref().to_ascii_lowercase());
        }
    }
    // `Err` when the regex does not compile (already reported), `Ok(None)`
    // for a rule that only reports entity mentions.
    let regex: Result<Option<Pattern>, ()> = match &spec.regex {
        None => Ok(None),
        Some(r) => build_regex(ctx, defs, r, "regex").map(Some).ok_or(()),
    };
    let compiled = regex.as_ref().ok().and_then(Option::as_ref);
    let mentions: Vec<String> = spec.mentions.iter().map(|m| m.get_ref().clone()).collect();
    let context = compile_contexts(ctx, defs, &spec.context);
    if spec.regex.is_none() && (spec.secret_group.is_some() || spec.checksum.is_some()) {
        ctx.problem(
            Some(span.clone()),
            "a rule without a regex reports mentions: it has no secret group or checksum",
            "rule",
            None,
        );
    }
    let secret_group = match (compiled, &spec.secret_group) {
        (Some(re), Some(g)) => match re.group_index(g.get_ref()) {
            Some(i) => Some(i),
            None => {
                ctx.problem(
                    Some(g.span()),
                    format!(
                        "secret_group `{}` is not a named group of the regex",
                        g.get_ref()
                    ),
                    "no such group",
                    Some(format!("name it in the regex: (?P<{}>...)", g.get_ref())),
                );
                None
            }
        },
        (Some(re), None) => re.group_index("secret"),
        _ => None,
    };
    let checksum = match &spec.checksum {
        None => None,
        Some(c) => match c.get_ref().parse::<Checksum>().ok() {
            None => {
                ctx.problem(
                    Some(c.span()),
                    format!("unknown checksum `{}`", c.get_ref()),
                    "checksum",
                    Some(format!("known: {}", Checksum::NAMES.join(", "))),
                );
                None
            }
            Some(alg) => {
                let expect = match spec.checksum_expect.as_ref().map(|s| s.get_ref().as_str()) {
                    None | Some("valid") => true,
                    Some("invalid") => false,
                    Some(other) => {
                        let sp = spec.checksum_expect.as_ref().map(|s| s.span());
                        ctx.problem(
                            sp,
                            format!("checksum_expect must be `valid` or `invalid`, not `{other}`"),
                            "here",
                            None,
                        );
                        true
                    }
                };
                if secret_group.is_none() && compiled.is_some() {
                    ctx.problem(
                        Some(c.span()),
                        "a checksum needs a secret group to check",
                        "checksum",
                        Some("add (?P<secret>...) to the regex".into()),
                    );
                }
                Some((alg, expect))
            }
        },
    };
    if spec.checksum.is_none() && spec.checksum_expect.is_some() {
        ctx.problem(
            spec.checksum_expect.as_ref().map(|s| s.span()),
            "checksum_expect without checksum",
            "here",
            None,
        );
    }
    if let Some(e) = spec.min_entropy {
        if !(0.0..=8.0).contains(&e) {
            ctx.problem(
                Some(span.clone()),
                format!("min_entropy {e} is outside 0.0..=8.0 bits per char"),
                "rule",
                None,
            );
        } else if secret_group.is_none() && compiled.is_some() {
            ctx.problem(
                Some(span.clone()),
                "min_entropy needs a secret group",
                "rule",
                None,
            );
        }
    }
    let fix = match (&regex, &spec.fix) {
        (_, None) => Some(None),
        (Ok(re), Some(f)) => compile_fix(ctx, defs, re.as_ref(), secret_group, f).map(Some),
        // The regex error is already reported; the fix cannot be checked.
        (Err(()), Some(_)) => None,
    };
    let allow = build_regexes(ctx, defs, &spec.allow, "allow pattern");
    let allow_line = build_regexes(ctx, defs, &spec.allow_line, "allow_line pattern");
    let file_requires = build_regexes(ctx, defs, &spec.file_requires, "file_requires pattern");
    let file_excludes = build_regexes(ctx, defs, &spec.file_excludes, "file_excludes pattern");
    if spec.migration.summary.trim().is_empty() {
        ctx.problem(
            Some(span.clone()),
            "migration.summary is empty",
            "rule",
            Some("say what the user should do".into()),
        );
    }
    if spec.title.trim().is_empty() || spec.description.trim().is_empty() {
        ctx.problem(
            Some(span.clone()),
            "title and description must not be empty",
            "rule",
            None,
        );
    }
    if spec.must_match.is_empty() && !ctx.lean {
        ctx.problem(
            Some(spec.id.span()),
            format!("rule `{id}` has no must_match example"),
            "rule",
            Some("every rule carries at least one example it must match".into()),
        );
    }
    let default_path =
        default_example_path(kinds_in.as_ref().and_then(|k| k.as_ref()), &spec.paths);
    let mut examples = Vec::new();
    for (list, must) in [(&spec.must_match, true), (&spec.must_not_match, false)] {
        for ex in list {
            let (text, path) = match ex.get_ref() {
                ExampleSpec::Text(t) => (t.clone(), default_path.clone()),
                ExampleSpec::WithPath(w) => (w.text.clone(), w.path.clone()),
            };
            examples.push(Example {
                text,
                path,
                must_match: must,
                span: ex.span(),
            });
        }
    }
    let mut seen_refs = HashSet::new();
    for r in spec
        .references
        .iter()
        .chain(spec.migration.reference.iter())
    {
        if !(r.starts_with("https://") || r.starts_with("http://")) && seen_refs.insert(r) {
            ctx.problem(
                Some(span.clone()),
                format!("reference `{r}` is not an http(s) URL"),
                "rule",
                None,
            );
        }
    }
    if ctx.problems.len() != before {
        return None;
    }
    let line = line_of(&ctx.source.text, spec.id.span().start);
    let fix: Option<FixRule> = fix?;
    Some(Rule {
        meta: RuleMeta {
            id,
            title: spec.title,
            description: spec.description,
            severity: severity?,
            class: spec.class,
            precision,
            tags: spec.tags,
            security: spec.security.unwrap_or(true),
            kinds: kinds_in?,
            not_kinds: not_kinds?,
            paths: spec.paths.iter().map(|p| p.get_ref().clone()).collect(),
            keywords,
            migration: Migration {
                summary: spec.migration.summary,
                before: spec.migration.before,
                after: spec.migration.after,
                reference: spec.migration.reference,
                manual: spec.migration.manual,
            },
            fix: fix.as_ref().map(|f| FixMeta {
                opt_in: f.opt_in.clone(),
                note: f.note.clone(),
            }),
            references: spec.references,
            file: ctx.source.name.clone(),
            line,
        },
        matcher: Matcher {
            path_set: path_set?,
            not_paths: not_paths?,
            regex: regex.ok()?,
            context: context?,
            mentions,
            secret_group,
            checksum,
            min_entropy: spec.min_entropy,
            allow: allow?,
            allow_line: allow_line?,
            file_requires: file_requires?,
            file_excludes: file_excludes?,
        },
        fix,
        examples,
        origin: Origin { span, source_index },
    })
}

/// Checks a `[rule.fix]` table: exactly one of `replacement` / `replace`, a
/// group that exists, no secret group in the rule, known opt-ins, compiling finds.
fn compile_fix(
    ctx: &mut Ctx<'_>,
    defs: &BTreeMap<String, Spanned<String>>,
    regex: Option<&Pattern>,
    secret_group: Option<usize>,
    spanned: &Spanned<FixSpec>,
) -> Option<FixRule> {
    let before = ctx.problems.len();
    let spec = spanned.get_ref();
    let group = match &spec.group {
        None => None,
        Some(g) => match regex.and_then(|regex| regex.group_index(g.get_ref())) {
            None => {
                ctx.problem(
                    Some(g.span()),
                    format!(
                        "fix group `{}` is not a named group of the regex",
                        g.get_ref()
                    ),
                    "no such group",
                    Some(format!("name it in the regex: (?P<{}>...)", g.get_ref())),
                );
                None
            }
            Some(i) => Some(i),
        },
    };
    if secret_group.is_some() {
        ctx.problem(
            Some(spanned.span()),
            "a rule that reports a secret value cannot have a fix",
            "fix",
            Some("a committed credential must be rotated, not edited; put the rewrite in a rule that matches references only".into()),
        );
    }
    let action = match (&spec.replacement, spec.replace.is_empty()) {
        (Some(r), true) => Some(FixAction::Replace(r.get_ref().clone())),
        (None, false) => {
            let mut pairs = Vec::new();
            for pair in &spec.replace {
                let p = pair.get_ref();
                if let Some(re) = build_regex(ctx, defs, &p.find, "fix find pattern") {
                    // (Embedded patterns are checked by the pack's tests.)
                    if re.is_compiled() && re.is_match(b"") {
                        ctx.problem(
                            Some(p.find.span()),
                            "fix find pattern matches the empty string",
                            "find",
                            Some("an empty match would insert text at every position".into()),
                        );
                    }
                    pairs.push((re, p.with.clone()));
                }
            }
            Some(FixAction::Substitute(pairs))
        }
        (Some(r), false) => {
            ctx.problem(
                Some(r.span()),
                "a fix has either `replacement` or `replace`, not both",
                "replacement",
                None,
            );
            None
        }
        // A fix that only deletes lines declares no rewrite of its own.
        (None, true) if spec.drop_line.is_some() => Some(FixAction::Substitute(Vec::new())),
        (None, true) => {
            ctx.problem(
                Some(spanned.span()),
                "a fix needs `replacement` (for the whole group) or `replace = [{ find, with }]`",
                "fix",
                None,
            );
            None
        }
    };
    if let Some(o) = &spec.opt_in {
        if !FIX_OPT_INS.contains(&o.get_ref().as_str()) {
            ctx.problem(
                Some(o.span()),
                format!("unknown fix opt_in `{}`", o.get_ref()),
                "opt_in",
                Some(format!("known: {}", FIX_OPT_INS.join(", "))),
            );
        }
    }
    let sentence = spec
        .scope
        .as_ref()
        .is_some_and(|s| s.get_ref() == "sentence");
    let whole_lines = match spec.scope.as_ref().map(|s| (s, s.get_ref().as_str())) {
        None | Some((_, "group")) => false,
        Some((_, "line" | "sentence")) => {
            if let Some(g) = &spec.group {
                ctx.problem(
                    Some(g.span()),
                    "`scope = \"line\"` rewrites whole lines: drop `group`",
                    "group",
                    None,
                );
            }
            true
        }
        Some((s, other)) => {
            ctx.problem(
                Some(s.span()),
                format!("unknown fix scope `{other}`"),
                "scope",
                Some("use `group` (the default), `line` or `sentence`".into()),
            );
            false
        }
    };
    let unless_file = build_regexes(ctx, defs, &spec.unless_file, "fix unless_file pattern");
    let unless_line = build_regexes(ctx, defs, &spec.unless_line, "fix unless_line pattern");
    let unless_before = build_regexes(ctx, defs, &spec.unless_before, "fix unless_before pattern");
    let drop_line = spec
        .drop_line
        .as_ref()
        .map(|p| build_regex(ctx, defs, p, "fix drop_line pattern"));
    let drop_unit = path_patterns(ctx, &spec.drop_unit, "fix drop_unit path");
    let drop_unit_requires = build_regexes(
        ctx,
        defs,
        &spec.drop_unit_requires,
        "fix drop_unit_requires pattern",
    );
    if ctx.problems.len() != before {
        return None;
    }
    Some(FixRule {
        group,
        whole_lines,
        sentence,
        action: action?,
        opt_in: spec.opt_in.as_ref().map(|o| o.get_ref().clone()),
        note: spec.note.clone(),
        unless_file: unless_file?,
        unless_line: unless_line?,
        unless_before: unless_before?,
        drop_line: match drop_line {
            Some(p) => Some(p?),
            None => None,
        },
        drop_parents: spec.drop_parents.clone(),
        drop_unit,
        drop_unit_requires: drop_unit_requires?,
        drop_when_set: spec.drop_when_set.clone(),
    })
}

/// A path that classifies as the rule's first kind (or satisfies its first
/// path glob), so bare-string examples pass the rule's own gates.
fn default_example_path(kinds: Option<&Vec<FileKind>>, paths: &[Spanned<String>]) -> String {
    if let Some(glob) = paths.first() {
        return glob
            .get_ref()
            .replace("**/", "")
            .replace("**", "x")
            .replace('*', "example");
    }
    let Some(kind) = kinds.and_then(|k| k.first()) else {
        return "example.txt".into();
    };
    let candidates: &[&str] = match kind {
        FileKind::Dotenv => &[".env"],
        FileKind::Shell => &["example.sh"],
        FileKind::PowerShell => &["example.ps1"],
        FileKind::Nix => &["shell.nix"],
        FileKind::Makefile => &["Makefile"],
        FileKind::Dockerfile => &["Dockerfile"],
        FileKind::Compose => &["docker-compose.yml"],
        FileKind::Kubernetes => &["charts/app/values.yaml"],
        FileKind::GithubActions => &[".github/workflows/example.yml"],
        FileKind::GitlabCi => &[".gitlab-ci.yml"],
        FileKind::CircleCi => &[".circleci/config.yml"],
        FileKind::BitbucketPipelines => &["bitbucket-pipelines.yml"],
        FileKind::Jenkinsfile => &["Jenkinsfile"],
        FileKind::OtherCi => &[".drone.yml"],
        FileKind::Terraform => &["example.auto.tfvars"],
        FileKind::Yaml => &["example.yaml"],
        FileKind::Json => &["example.json"],
        FileKind::Toml => &["example.toml"],
        FileKind::OtherConfig => &["example.ini"],
        FileKind::Python => &["example.py"],
        FileKind::Java => &["Example.java"],
        FileKind::Go => &["example.go"],
        FileKind::DotNet => &["Example.cs"],
        FileKind::JavaScript => &["example.ts"],
        FileKind::Rust => &["example.rs"],
        FileKind::Ruby => &["example.rb"],
        FileKind::OtherCode => &["example.c"],
        FileKind::Docs => &["README.md"],
        FileKind::Other => &["example.dat"],
    };
    candidates[0].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids() {
        assert!(is_rule_id("localstack.api-key.leaked"));
        assert!(is_rule_id("a1"));
        for bad in ["", "A", "a..b", "a-", ".a", "a b", "a_b"] {
            assert!(!is_rule_id(bad), "{bad}");
        }
    }

    #[test]
    fn defs_expand_and_report_unknown_names() {
        let mut defs = BTreeMap::new();
        let src = "x = 'a+'\n";
        let parsed: BTreeMap<String, Spanned<String>> = toml::from_str(src).unwrap();
        defs.extend(parsed);
        assert_eq!(expand(&defs, "^(?&x)$", 0).unwrap(), "^(?:a+)$");
        assert!(expand(&defs, "(?&y)", 0)
            .unwrap_err()
            .contains("unknown def `y`"));
        assert!(expand(&defs, "(?&x", 0)
            .unwrap_err()
            .contains("unterminated"));
    }

    #[test]
    fn fan_out_is_bounded_while_expanding() {
        // Each def refers to the previous one 16 times: 16^7 copies of `a`.
        let mut src = String::from("d0 = 'a'\n");
        for i in 1..=7 {
            let refs: String = (0..16).map(|_| format!("(?&d{})", i - 1)).collect();
            src.push_str(&format!("d{i} = '{refs}'\n"));
        }
        let defs: BTreeMap<String, Spanned<String>> = toml::from_str(&src).unwrap();
        let err = expand(&defs, "(?&d7)", 0).unwrap_err();
        assert!(err.contains("expands to more than 1024 KiB"), "{err}");
    }

    #[test]
    fn default_example_paths_classify_as_their_kind() {
        for k in FileKind::ALL {
            let p = default_example_path(Some(&vec![*k]), &[]);
            assert_eq!(kind::classify(&p), *k, "{p}");
        }
    }

    #[test]
    fn the_scanning_copy_of_the_pack_is_the_pack_without_its_examples() {
        let full = RuleSource::defaults();
        let scan = RuleSource::defaults_for_scanning();
        assert_eq!(full.len(), scan.len());
        let examples = ["must_match", "must_not_match", "must_be_silent"];
        for (a, b) in full.iter().zip(&scan) {
            assert_eq!(a.name, b.name);
            assert!(is_embedded(b));
            // Same offsets: every newline where it was, only spaces added.
            assert_eq!(a.text.len(), b.text.len(), "{}", a.name);
            for (x, y) in a.text.bytes().zip(b.text.bytes()) {
                assert!(x == y || y == b' ', "{}", a.name);
                assert_eq!(x == b'\n', y == b'\n', "{}", a.name);
            }
            // The same document once the example arrays are taken out.
            let mut want: toml::Table = toml::from_str(&a.text).expect("the pack parses");
            for section in ["rule", "entity"] {
                for t in want
                    .get_mut(section)
                    .and_then(|v| v.as_array_mut())
                    .into_iter()
                    .flatten()
                {
                    let t = t.as_table_mut().expect("a table");
                    for k in examples {
                        t.remove(k);
                    }
                }
            }
            let got: toml::Table = toml::from_str(&b.text).expect("the copy parses");
            assert_eq!(got, want, "{}", a.name);
            assert!(examples.iter().all(|k| !b.text.contains(k)), "{}", a.name);
        }
        // Loaded, the copy has the same rules at the same places, and no
        // examples.
        let (rules, entities) = compile_all(&full).expect("the pack loads");
        let (lean, lean_entities) = compile_all(&scan).expect("the copy loads");
        assert_eq!(rules.len(), lean.len());
        assert_eq!(entities.len(), lean_entities.len());
        for (a, b) in rules.iter().zip(&lean) {
            assert_eq!(
                (
                    &a.meta.id,
                    a.meta.line,
                    &a.origin.span,
                    a.matcher.regex.as_ref().map(|p| p.as_str())
                ),
                (
                    &b.meta.id,
                    b.meta.line,
                    &b.origin.span,
                    b.matcher.regex.as_ref().map(|p| p.as_str())
                )
            );
            assert!(
                !a.examples.is_empty() && b.examples.is_empty(),
                "{}",
                a.meta.id
            );
        }
        for (a, b) in entities.iter().zip(&lean_entities) {
            assert_eq!((&a.id, &a.origin.span), (&b.id, &b.origin.span));
            assert!(b.examples.is_empty(), "{}", a.id);
        }
    }

    #[test]
    fn a_line_is_counted_as_lines_counts_it() {
        let text = "a\nbb\r\n\nid = \"x\"\n";
        for offset in 0..=text.len() {
            let expected = text[..offset].lines().count().max(1);
            assert_eq!(line_of(text, offset), expected, "offset {offset}");
        }
    }

    #[test]
    fn every_embedded_pattern_compiles() {
        // Loading defers the pack's regexes; compiled eagerly, as a user's
        // rule file is, every one must build and pass every load check.
        let sources = RuleSource::defaults();
        assert!(sources.iter().all(is_embedded));
        let (rules, entities) =
            compile_sources(&sources, |_| false).unwrap_or_else(|e| panic!("{:?}", e.problems));
        assert!(rules
            .iter()
            .all(|r| r.matcher.regex.as_ref().is_none_or(Pattern::is_compiled)));
        assert!(!entities.is_empty());
        // Path glob sets too: built at load here, so each one builds.
        let sets = |rules: &[Rule]| -> Vec<Globs> {
            rules
                .iter()
                .flat_map(|r| {
                    let ctx = r.matcher.context.iter().filter_map(|c| c.paths.clone());
                    let own = [r.matcher.path_set.clone(), r.matcher.not_paths.clone()];
                    own.into_iter().flatten().chain(ctx).collect::<Vec<_>>()
                })
                .collect()
        };
        assert!(!sets(&rules).is_empty());
        assert!(sets(&rules).iter().all(Globs::is_built));
        let (lazy, _) = compile_all(&sources).expect("the pack loads");
        assert!(sets(&lazy).iter().all(|g| !g.is_built()));
        assert!(lazy
            .iter()
            .any(|r| r.matcher.regex.as_ref().is_some_and(|p| !p.is_compiled())));
        // Group indices read from syntax agree with the compiled regexes.
        for (a, b) in rules.iter().zip(&lazy) {
            assert_eq!(
                a.matcher.secret_group, b.matcher.secret_group,
                "{}",
                a.meta.id
            );
            assert_eq!(
                a.fix.as_ref().map(|f| f.group),
                b.fix.as_ref().map(|f| f.group),
                "{}",
                a.meta.id
            );
        }
    }

    #[test]
    fn a_pattern_shared_by_rules_is_compiled_once() {
        let rule = |id: &str| {
            format!(
                "[[rule]]\nid = \"{id}\"\ntitle = \"t\"\ndescription = \"d\"\nseverity = \"low\"\nclass = \"F1\"\nkeywords = [\"acme\"]\nregex = 'ACME=(?P<secret>[a-z]+)'\npaths = [\"**/*.env\"]\nmust_match = [\"ACME=x\"]\nmust_not_match = [\"ACME\"]\n[rule.migration]\nsummary = \"s\"\n"
            )
        };
        let text = format!("{}{}", rule("x.a"), rule("x.b"));
        let sources = [RuleSource {
            name: "shared.toml".into(),
            text,
        }];
        let (rules, _) =
            compile_sources(&sources, |_| true).unwrap_or_else(|e| panic!("{:?}", e.problems));
        let [a, b] = &rules[..] else {
            panic!("two rules expected, got {}", rules.len())
        };
        let ra = a.matcher.regex.as_ref().expect("a regex");
        let rb = b.matcher.regex.as_ref().expect("a regex");
        assert!(!rb.is_compiled());
        assert!(ra.is_match(b"ACME=x"));
        // Compiling one compiled the other: they share the compiled form.
        assert!(rb.is_compiled());
    }
}
